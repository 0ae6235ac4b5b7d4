/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/sim/board.h>
#include <copro/sim/bus.h>
#include <copro/error.h>

#include "test_mbox_ctrl.h"
#include "test_modes.h"

struct tctrl_chan {
	struct copro_mbox_chan *chan; /* bound, NULL otherwise */
	unsigned handler_refs;	      /* handler calls using chan right now */
	struct tctrl_msg log[TCTRL_LOG];
	unsigned nlog;
	bool in_flight;	   /* IRQ/POLL/ACK: a message in the hardware */
	bool done_pending; /* IRQ: "done" interrupt raised */
	unsigned polls;	   /* POLL: polls of the message in flight */
	unsigned fifo;	   /* CREDIT: messages in the FIFO */
	bool room_armed;   /* CREDIT/-EBUSY: raise room when there is */
	bool room_pending; /* room interrupt raised */
	struct tctrl_msg rxq[TCTRL_RXQ];
	unsigned rx_head, rx_count;
	bool rx_enabled;
	unsigned rx_resume_gen;
	unsigned rx_resumes, rx_errors, shutdowns, rx_syncs;
};

struct tctrl {
	struct copro_platform *p;
	struct copro_bus *bus;
	struct copro_mbox_controller *ctrl;
	struct copro_irq *irq;
	struct tctrl_config cfg;
	char name[32];
	struct copro_mutex lock;
	bool stalled;
	unsigned busy_next, busy_count;
	_Atomic unsigned sync_active;
	_Atomic unsigned sync_overlaps;
	struct tctrl_chan ch[TCTRL_CHANS];
};

static _Thread_local bool tl_in_handler;

bool tctrl_in_handler(void)
{
	return tl_in_handler;
}

static unsigned chan_dir(unsigned id)
{
	if (id == TCTRL_CHAN_RX_ONLY)
		return COPRO_MBOX_DIR_RX;
	if (id == TCTRL_CHAN_TX_ONLY)
		return COPRO_MBOX_DIR_TX;
	return COPRO_MBOX_DIR_BIDI;
}

static unsigned chan_index(struct tctrl *t, struct copro_mbox_chan *chan)
{
	uint64_t id = copro_mbox_chan_id(chan);

	assert_true(id < TCTRL_CHANS);
	assert_ptr_equal(t->ch[id].chan, chan);
	return (unsigned)id;
}

/* ---- the interrupt line (t->lock held) ---------------------------------- */

static bool chan_wants_irq(const struct tctrl *t, const struct tctrl_chan *c)
{
	if (!c->chan)
		return false;
	if (c->done_pending || c->room_pending)
		return true;
	if (t->cfg.mode == COPRO_MBOX_TXDONE_CREDIT && c->fifo && !t->stalled)
		return true;
	return c->rx_enabled && c->rx_count;
}

static void update_line(struct tctrl *t)
{
	bool level = false;

	for (unsigned i = 0; i < TCTRL_CHANS; i++)
		level |= chan_wants_irq(t, &t->ch[i]);
	copro_bus_irq_set(t->bus, t->cfg.line, level);
}

/* ---- the interrupt handler ---------------------------------------------- */

/* Takes a reference on the bound channel so shutdown can wait it out. */
static struct copro_mbox_chan *chan_get(struct tctrl_chan *c)
{
	if (c->chan)
		c->handler_refs++;
	return c->chan;
}

static void chan_put(struct tctrl *t, struct tctrl_chan *c)
{
	copro_mutex_lock(&t->lock);
	c->handler_refs--;
	copro_mutex_unlock(&t->lock);
}

static void handle_rx(struct tctrl *t, struct tctrl_chan *c)
{
	for (;;) {
		struct copro_mbox_chan *chan;
		struct tctrl_msg m;
		unsigned gen;
		int ret;

		copro_mutex_lock(&t->lock);
		if (!c->rx_enabled || !c->rx_count || !(chan = chan_get(c))) {
			copro_mutex_unlock(&t->lock);
			return;
		}
		m = c->rxq[c->rx_head];
		gen = c->rx_resume_gen;
		copro_mutex_unlock(&t->lock);

		if (t->cfg.rx_use_room && !copro_mbox_chan_rx_room(chan))
			ret = -ENOSPC;
		else
			ret = copro_mbox_chan_rx(chan, m.data, m.len);

		copro_mutex_lock(&t->lock);
		c->handler_refs--;
		if (ret == -ENOSPC) {
			/* Unless rx_resume came meanwhile, wait for it. */
			if (c->rx_resume_gen == gen)
				c->rx_enabled = false;
		} else {
			if (ret < 0)
				c->rx_errors++;
			c->rx_head = (c->rx_head + 1) % TCTRL_RXQ;
			c->rx_count--;
		}
		copro_mutex_unlock(&t->lock);
	}
}

static void tctrl_irq(void *ctx)
{
	struct tctrl *t = ctx;

	tl_in_handler = true;
	for (unsigned i = 0; i < TCTRL_CHANS; i++) {
		struct tctrl_chan *c = &t->ch[i];
		struct copro_mbox_chan *chan;
		bool done, room;

		copro_mutex_lock(&t->lock);
		if (t->cfg.mode == COPRO_MBOX_TXDONE_CREDIT && !t->stalled &&
		    c->fifo) {
			c->fifo = 0;
			if (c->room_armed)
				c->room_pending = true;
		}
		done = c->done_pending;
		room = c->room_pending;
		c->done_pending = false;
		c->room_pending = false;
		if (room)
			c->room_armed = false;
		if (done)
			c->in_flight = false;
		chan = (done || room) ? chan_get(c) : NULL;
		copro_mutex_unlock(&t->lock);

		if (chan) {
			if (done)
				copro_mbox_chan_txdone(chan, 0);
			if (room)
				copro_mbox_chan_tx_room(chan);
			chan_put(t, c);
		}
		handle_rx(t, c);
	}
	copro_mutex_lock(&t->lock);
	update_line(t);
	copro_mutex_unlock(&t->lock);
	tl_in_handler = false;
}

/* ---- controller ops ------------------------------------------------------ */

static int tctrl_xlate(void *ctx, const uint32_t *args, unsigned nargs,
		       uint64_t *chan_id)
{
	if (nargs != 1)
		return -EINVAL;
	*chan_id = args[0];
	return 0;
}

static int tctrl_startup(void *ctx, struct copro_mbox_chan *chan, uint64_t id,
			 unsigned *dir)
{
	struct tctrl *t = ctx;

	if (id >= TCTRL_CHANS)
		return -ENOENT;
	copro_mutex_lock(&t->lock);
	struct tctrl_chan *c = &t->ch[id];

	c->chan = chan;
	c->rx_enabled = chan_dir((unsigned)id) & COPRO_MBOX_DIR_RX;
	c->in_flight = false;
	c->done_pending = false;
	c->fifo = 0;
	c->room_armed = false;
	c->room_pending = false;
	copro_mbox_chan_set_priv(chan, c);
	update_line(t);
	copro_mutex_unlock(&t->lock);
	*dir = chan_dir((unsigned)id);
	return 0;
}

static void tctrl_shutdown(void *ctx, struct copro_mbox_chan *chan)
{
	struct tctrl *t = ctx;
	unsigned id = chan_index(t, chan);
	struct tctrl_chan *c = &t->ch[id];

	assert_ptr_equal(copro_mbox_chan_priv(chan), c);
	copro_mutex_lock(&t->lock);
	c->chan = NULL;
	c->rx_enabled = false;
	c->shutdowns++;
	update_line(t);
	/* Like a real driver: the handler must be done with the channel. */
	while (c->handler_refs) {
		copro_mutex_unlock(&t->lock);
		copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
		copro_mutex_lock(&t->lock);
	}
	copro_mutex_unlock(&t->lock);
}

static bool msg_fails(const void *msg, size_t len)
{
	struct tmsg m;

	if (len < sizeof(m))
		return false;
	memcpy(&m, msg, sizeof(m));
	return m.flags & TMSG_FAIL;
}

static void record(struct tctrl_chan *c, const void *msg, size_t len)
{
	assert_true(c->nlog < TCTRL_LOG);
	assert_true(len <= TCTRL_MTU);
	c->log[c->nlog].len = (uint32_t)len;
	if (len)
		memcpy(c->log[c->nlog].data, msg, len);
	c->nlog++;
}

static void sync_enter(struct tctrl *t)
{
	if (atomic_fetch_add(&t->sync_active, 1))
		atomic_fetch_add(&t->sync_overlaps, 1);
	/* Widen the window a concurrent caller would have to hit. */
	for (int i = 0; i < 100; i++)
		copro_cpu_relax();
}

static void sync_leave(struct tctrl *t)
{
	atomic_fetch_sub(&t->sync_active, 1);
}

static int tctrl_send(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		      size_t len)
{
	struct tctrl *t = ctx;
	unsigned id = chan_index(t, chan);
	struct tctrl_chan *c = &t->ch[id];
	enum copro_mbox_txdone mode = t->cfg.mode;
	int ret = 0;

	assert_true(chan_dir(id) & COPRO_MBOX_DIR_TX);
	assert_true(len <= t->cfg.mtu);
	if (mode == COPRO_MBOX_TXDONE_SYNC) {
		sync_enter(t);
		copro_mutex_lock(&t->lock);
		if (msg_fails(msg, len))
			ret = -EIO;
		else
			record(c, msg, len);
		copro_mutex_unlock(&t->lock);
		sync_leave(t);
		return ret;
	}

	copro_mutex_lock(&t->lock);
	if (mode != COPRO_MBOX_TXDONE_CREDIT) {
		/* The framework never overlaps messages in these modes. */
		assert_false(c->in_flight);
	}
	if (t->busy_next) {
		t->busy_next--;
		t->busy_count++;
		c->room_armed = true;
		c->room_pending = true;
		ret = -EBUSY;
	} else if (msg_fails(msg, len)) {
		ret = -EIO;
	} else if (mode == COPRO_MBOX_TXDONE_CREDIT) {
		unsigned depth = t->cfg.credit_depth;

		if (c->fifo == depth) {
			t->busy_count++;
			c->room_armed = true;
			ret = -EBUSY;
		} else {
			record(c, msg, len);
			c->fifo++;
			if (c->fifo == depth) {
				c->room_armed = true;
				if (!t->cfg.credit_no_full)
					ret = COPRO_MBOX_SENT_FULL;
			}
		}
	} else {
		record(c, msg, len);
		/* ACK: only the client knows when it is done. */
		c->in_flight = mode != COPRO_MBOX_TXDONE_ACK;
		c->polls = 0;
		if (mode == COPRO_MBOX_TXDONE_IRQ && !t->stalled)
			c->done_pending = true;
	}
	update_line(t);
	copro_mutex_unlock(&t->lock);
	return ret;
}

static int tctrl_call(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		      size_t len, void *reply, size_t *reply_len)
{
	struct tctrl *t = ctx;
	unsigned id = chan_index(t, chan);
	const uint8_t *in = msg;
	uint8_t *out = reply;
	int ret = 0;

	sync_enter(t);
	copro_mutex_lock(&t->lock);
	if (msg_fails(msg, len)) {
		ret = -EIO;
	} else {
		record(&t->ch[id], msg, len);
		if (*reply_len < len) {
			ret = -EOVERFLOW;
		} else {
			for (size_t i = 0; i < len; i++)
				out[i] = (uint8_t)~in[i];
			*reply_len = len;
		}
	}
	copro_mutex_unlock(&t->lock);
	sync_leave(t);
	return ret;
}

static bool tctrl_last_tx_done(void *ctx, struct copro_mbox_chan *chan)
{
	struct tctrl *t = ctx;
	struct tctrl_chan *c = &t->ch[chan_index(t, chan)];
	bool done = false;

	copro_mutex_lock(&t->lock);
	assert_true(c->in_flight);
	if (!t->stalled && ++c->polls >= t->cfg.polls_needed) {
		c->in_flight = false;
		done = true;
	}
	copro_mutex_unlock(&t->lock);
	return done;
}

static void tctrl_rx_resume(void *ctx, struct copro_mbox_chan *chan)
{
	struct tctrl *t = ctx;
	struct tctrl_chan *c = &t->ch[chan_index(t, chan)];

	copro_mutex_lock(&t->lock);
	c->rx_resume_gen++;
	c->rx_resumes++;
	c->rx_enabled = true;
	update_line(t);
	copro_mutex_unlock(&t->lock);
}

/*
 * A discard: the handler waited out and held off, the channel's hardware
 * FIFO handed over here (the framework drops it all, ring full or not),
 * then the line as before.
 */
static void tctrl_rx_sync(void *ctx, struct copro_mbox_chan *chan)
{
	struct tctrl *t = ctx;
	struct tctrl_chan *c = &t->ch[chan_index(t, chan)];

	copro_irq_disable(t->irq);
	for (;;) {
		struct tctrl_msg m;
		int ret;

		copro_mutex_lock(&t->lock);
		if (!c->rx_count) {
			c->rx_syncs++;
			update_line(t);
			copro_mutex_unlock(&t->lock);
			break;
		}
		m = c->rxq[c->rx_head];
		c->rx_head = (c->rx_head + 1) % TCTRL_RXQ;
		c->rx_count--;
		copro_mutex_unlock(&t->lock);
		ret = copro_mbox_chan_rx(chan, m.data, m.len);
		if (ret < 0) {
			copro_mutex_lock(&t->lock);
			c->rx_errors++;
			copro_mutex_unlock(&t->lock);
		}
	}
	copro_irq_enable(t->irq);
}

static const struct copro_mbox_controller_ops tctrl_ops = {
	.startup = tctrl_startup,
	.shutdown = tctrl_shutdown,
	.send = tctrl_send,
	.call = tctrl_call,
	.last_tx_done = tctrl_last_tx_done,
	.rx_resume = tctrl_rx_resume,
	.rx_sync = tctrl_rx_sync,
};

static const struct copro_mbox_controller_ops tctrl_ops_xlate = {
	.xlate = tctrl_xlate,
	.startup = tctrl_startup,
	.shutdown = tctrl_shutdown,
	.send = tctrl_send,
	.call = tctrl_call,
	.last_tx_done = tctrl_last_tx_done,
	.rx_resume = tctrl_rx_resume,
	.rx_sync = tctrl_rx_sync,
};

/* ---- lifetime ---------------------------------------------------------- */

int tctrl_create(struct copro_platform *p, struct copro_bus *bus,
		 const struct tctrl_config *cfg,
		 struct tctrl **out)
{
	struct tctrl *t = calloc(1, sizeof(*t));
	int ret;

	assert_non_null(t);
	t->p = p;
	t->bus = bus;
	t->cfg = *cfg;
	if (!t->cfg.mtu)
		t->cfg.mtu = TCTRL_MTU;
	if (!t->cfg.credit_depth)
		t->cfg.credit_depth = 4;
	if (!t->cfg.polls_needed)
		t->cfg.polls_needed = 1;
	snprintf(t->name, sizeof(t->name), "%s", cfg->name);
	t->stalled = cfg->stalled;
	assert_int_equal(copro_mutex_init(&t->lock), 0);
	ret = copro_irq_request(p, cfg->line, tctrl_irq, t, t->name, &t->irq);
	assert_int_equal(ret, 0);

	struct copro_mbox_controller_desc d = {
		.name = t->name,
		.node = cfg->node,
		.ops = cfg->use_xlate ? &tctrl_ops_xlate : &tctrl_ops,
		.ctx = t,
		.txdone = cfg->mode,
		.mtu = t->cfg.mtu,
		.doorbell = cfg->doorbell,
		.poll_ns = 20 * COPRO_NSEC_PER_USEC,
	};
	ret = copro_mbox_controller_register(p, &d, &t->ctrl);
	if (ret < 0) {
		copro_irq_free(t->irq);
		copro_mutex_destroy(&t->lock);
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void tctrl_destroy(struct tctrl *t)
{
	if (!t)
		return;
	copro_mbox_controller_unregister(t->ctrl);
	copro_irq_free(t->irq);
	copro_bus_irq_set(t->bus, t->cfg.line, false);
	copro_mutex_destroy(&t->lock);
	free(t);
}

struct copro_mbox_controller *tctrl_controller(struct tctrl *t)
{
	return t->ctrl;
}

/* ---- test controls -------------------------------------------------------- */

void tctrl_set_stalled(struct tctrl *t, bool stalled)
{
	copro_mutex_lock(&t->lock);
	t->stalled = stalled;
	if (!stalled && t->cfg.mode == COPRO_MBOX_TXDONE_IRQ) {
		for (unsigned i = 0; i < TCTRL_CHANS; i++)
			if (t->ch[i].in_flight)
				t->ch[i].done_pending = true;
	}
	update_line(t);
	copro_mutex_unlock(&t->lock);
}

void tctrl_busy_next(struct tctrl *t, unsigned n)
{
	copro_mutex_lock(&t->lock);
	t->busy_next = n;
	copro_mutex_unlock(&t->lock);
}

#define LOCKED_GET(t, expr)                          \
	({                                           \
		copro_mutex_lock(&(t)->lock);        \
		__typeof__(expr) v_ = (expr);        \
		copro_mutex_unlock(&(t)->lock);      \
		v_;                                  \
	})

unsigned tctrl_hw_count(struct tctrl *t, unsigned id)
{
	return LOCKED_GET(t, t->ch[id].nlog);
}

struct tctrl_msg tctrl_hw_msg(struct tctrl *t, unsigned id, unsigned i)
{
	assert_true(i < tctrl_hw_count(t, id));
	return LOCKED_GET(t, t->ch[id].log[i]);
}

unsigned tctrl_fifo_level(struct tctrl *t, unsigned id)
{
	return LOCKED_GET(t, t->ch[id].fifo);
}

void tctrl_fifo_pop(struct tctrl *t, unsigned id, unsigned n)
{
	struct tctrl_chan *c = &t->ch[id];

	copro_mutex_lock(&t->lock);
	assert_true(n <= c->fifo);
	c->fifo -= n;
	if (n && c->room_armed)
		c->room_pending = true;
	update_line(t);
	copro_mutex_unlock(&t->lock);
}

unsigned tctrl_busy_count(struct tctrl *t)
{
	return LOCKED_GET(t, t->busy_count);
}

unsigned tctrl_sync_overlaps(struct tctrl *t)
{
	return atomic_load(&t->sync_overlaps);
}

void tctrl_inject(struct tctrl *t, unsigned id, const void *msg, size_t len)
{
	struct tctrl_chan *c = &t->ch[id];

	copro_mutex_lock(&t->lock);
	assert_true(c->rx_count < TCTRL_RXQ);
	assert_true(len <= TCTRL_MTU);
	struct tctrl_msg *m = &c->rxq[(c->rx_head + c->rx_count) % TCTRL_RXQ];

	m->len = (uint32_t)len;
	if (len)
		memcpy(m->data, msg, len);
	c->rx_count++;
	update_line(t);
	copro_mutex_unlock(&t->lock);
}

unsigned tctrl_rx_pending(struct tctrl *t, unsigned id)
{
	return LOCKED_GET(t, t->ch[id].rx_count);
}

unsigned tctrl_rx_syncs(struct tctrl *t, unsigned id)
{
	return LOCKED_GET(t, t->ch[id].rx_syncs);
}

unsigned tctrl_rx_resumes(struct tctrl *t, unsigned id)
{
	return LOCKED_GET(t, t->ch[id].rx_resumes);
}

unsigned tctrl_rx_errors(struct tctrl *t, unsigned id)
{
	return LOCKED_GET(t, t->ch[id].rx_errors);
}

unsigned tctrl_shutdowns(struct tctrl *t, unsigned id)
{
	return LOCKED_GET(t, t->ch[id].shutdowns);
}

/* ---- environment ----------------------------------------------------------- */

int tenv_init_dt(struct tenv *e, struct copro_dt *dt, bool threaded)
{
	e->threaded = threaded;
	return test_platform_create(dt, test_logcap_log(&e->cap), threaded,
				    &e->bus, &e->p);
}

void tenv_fini(struct tenv *e)
{
	test_platform_destroy(e->bus, e->p);
	e->p = NULL;
	e->bus = NULL;
}

int tenv_setup(void **state)
{
	bool threaded = test_threaded(state);
	struct tenv *e = calloc(1, sizeof(*e));

	if (!e || test_logcap_init(&e->cap) < 0)
		return -1;
	if (copro_board_dt_open("t8103", test_logcap_log(&e->cap), &e->dt) < 0)
		return -1;
	if (tenv_init_dt(e, e->dt, threaded) < 0)
		return -1;
	*state = e;
	return 0;
}

int tenv_teardown(void **state)
{
	struct tenv *e = *state;

	tenv_fini(e);
	copro_dt_close(e->dt);
	test_logcap_destroy(&e->cap);
	free(e);
	return 0;
}

/* ---- recording client ------------------------------------------------------ */

static void trec_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct trec *r = ctx;

	atomic_fetch_add(&r->in_rx, 1);
	while (atomic_load(&r->gate_closed))
		copro_sleep_ns(50 * COPRO_NSEC_PER_USEC);
	assert_true(len <= TCTRL_MTU);
	copro_mutex_lock(&r->lock);
	assert_true(r->nrx < TREC_MAX);
	r->rx[r->nrx].len = (uint32_t)len;
	if (len)
		memcpy(r->rx[r->nrx].data, msg, len);
	r->nrx++;
	r->rx_in_handler += tctrl_in_handler();
	copro_mutex_unlock(&r->lock);
	atomic_fetch_sub(&r->in_rx, 1);
}

static void trec_tx_done(void *ctx, struct copro_mbox_chan *chan, int status)
{
	struct trec *r = ctx;

	copro_mutex_lock(&r->lock);
	assert_true(r->ntx < TREC_MAX);
	r->status[r->ntx++] = status;
	copro_mutex_unlock(&r->lock);
}

void trec_init(struct trec *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(copro_mutex_init(&r->lock), 0);
}

void trec_fini(struct trec *r)
{
	copro_mutex_destroy(&r->lock);
}

struct copro_mbox_client trec_client(struct trec *r,
				     enum copro_mbox_rx_mode mode,
				     unsigned rx_ring, unsigned tx_queue)
{
	struct copro_mbox_client cl = {
		.ctx = r,
		.rx = trec_rx,
		.tx_done = trec_tx_done,
		.rx_mode = mode,
		.rx_ring = rx_ring,
		.tx_queue = tx_queue,
	};
	return cl;
}

unsigned trec_ntx(struct trec *r)
{
	return LOCKED_GET(r, r->ntx);
}

unsigned trec_nrx(struct trec *r)
{
	return LOCKED_GET(r, r->nrx);
}

void trec_open_gate(struct trec *r)
{
	atomic_store(&r->gate_closed, false);
}

int tsend(struct copro_mbox_chan *chan, uint32_t seq, uint32_t flags,
	  int64_t timeout_ns)
{
	struct tmsg m = { .seq = seq, .flags = flags };

	return copro_mbox_send(chan, &m, sizeof(m), timeout_ns);
}

uint32_t tmsg_seq(const struct tctrl_msg *m)
{
	struct tmsg t;

	assert_int_equal(m->len, sizeof(t));
	memcpy(&t, m->data, sizeof(t));
	return t.seq;
}

/* ---- waiting ----------------------------------------------------------------- */

struct wait_ctx {
	struct tenv *e;
	struct copro_mbox_chan *chan;
	bool (*cond)(void *arg);
	void *arg;
};

static bool wait_pred(void *arg)
{
	struct wait_ctx *w = arg;

	if (w->chan)
		copro_mbox_poll(w->chan);
	else if (!w->e->threaded)
		copro_platform_poll(w->e->p);
	return w->cond(w->arg);
}

bool tenv_wait(struct tenv *e, struct copro_mbox_chan *chan,
	       bool (*cond)(void *arg), void *arg)
{
	struct wait_ctx w = { e, chan, cond, arg };
	bool ok = test_wait_until(wait_pred, &w, TEST_TIMEOUT_NS);

	if (!ok)
		test_logcap_dump(&e->cap);
	return ok;
}
