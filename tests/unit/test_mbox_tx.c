/* SPDX-License-Identifier: MIT */
/*
 * The mailbox framework's sending side, in each TX completion mode, on a
 * threaded and on a polled t8103 platform: order, exactly-once delivery,
 * tx_done order, back-pressure, doorbells and the checks on every send.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <copro/driver/mbox_controller.h>
#include <copro/error.h>
#include <copro/sim/bus.h>

#include "test_irq_gate.h"
#include "test_mbox_ctrl.h"
#include "test_modes.h"

#define CHAN 2

struct fixture {
	struct tenv *e;
	struct tctrl *t;
	struct trec r;
	struct copro_mbox_chan *chan;
};

static void fx_open(struct fixture *f, void **state,
		    const struct tctrl_config *cfg, unsigned tx_queue)
{
	struct copro_mbox_client cl;

	f->e = *state;
	assert_int_equal(tctrl_create(f->e->p, f->e->bus, cfg, &f->t), 0);
	trec_init(&f->r);
	cl = trec_client(&f->r, COPRO_MBOX_RX_DEFERRED, 0, tx_queue);
	assert_int_equal(copro_mbox_request(f->e->p, cfg->name, CHAN, &cl,
					    &f->chan),
			 0);
	f->r.chan = f->chan;
}

static void fx_close(struct fixture *f)
{
	copro_mbox_free(f->chan);
	tctrl_destroy(f->t);
	trec_fini(&f->r);
}

static struct tctrl_config cfg_of(const char *name,
				  enum copro_mbox_txdone mode)
{
	struct tctrl_config cfg = {
		.name = name,
		.mode = mode,
		.line = TCTRL_LINE_BASE,
		.node = -1,
	};
	return cfg;
}

struct count_arg {
	struct tctrl *t;
	struct trec *r;
	unsigned id;
	unsigned n;
};

static bool hw_has(void *arg)
{
	struct count_arg *a = arg;

	return tctrl_hw_count(a->t, a->id) >= a->n;
}

static bool tx_done_has(void *arg)
{
	struct count_arg *a = arg;

	return trec_ntx(a->r) >= a->n;
}

/* Every seq in [from, to) except the failing ones reached the hardware. */
static void check_hw_order(struct tctrl *t, unsigned from, unsigned to,
			   unsigned fail_mod)
{
	unsigned k = 0;

	for (unsigned seq = from; seq < to; seq++) {
		if (fail_mod && seq % fail_mod == 3)
			continue;
		struct tctrl_msg m = tctrl_hw_msg(t, CHAN, k++);

		assert_int_equal(tmsg_seq(&m), seq);
	}
	assert_int_equal(tctrl_hw_count(t, CHAN), k);
}

/* ---- order and exactly-once, per mode ------------------------------------- */

#define ORDER_N 300
#define FAIL_MOD 7 /* seq % 7 == 3 is refused by the hardware */

static void run_order(void **state, enum copro_mbox_txdone mode)
{
	struct tctrl_config cfg = cfg_of("tc", mode);
	struct fixture f;
	struct copro_mbox_stats st;
	unsigned nfail = 0;

	cfg.polls_needed = 3;
	fx_open(&f, state, &cfg, 8);
	assert_int_equal(copro_mbox_txdone_mode(f.chan), mode);
	for (unsigned i = 0; i < ORDER_N; i++) {
		bool fail = i % FAIL_MOD == 3;
		int ret = tsend(f.chan, i, fail ? TMSG_FAIL : 0,
				TEST_TIMEOUT_NS);

		nfail += fail;
		/* Only a SYNC send knows the outcome when it returns. */
		if (fail && mode == COPRO_MBOX_TXDONE_SYNC)
			assert_int_equal(ret, -EIO);
		else
			assert_int_equal(ret, 0);
	}
	assert_int_equal(copro_mbox_flush(f.chan, TEST_TIMEOUT_NS), 0);

	struct count_arg a = { f.t, &f.r, CHAN, ORDER_N };

	assert_true(tenv_wait(f.e, NULL, tx_done_has, &a));
	check_hw_order(f.t, 0, ORDER_N, FAIL_MOD);
	assert_int_equal(trec_ntx(&f.r), ORDER_N);
	for (unsigned i = 0; i < ORDER_N; i++)
		assert_int_equal(f.r.status[i], i % FAIL_MOD == 3 ? -EIO : 0);

	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.sent, ORDER_N - nfail);
	assert_int_equal(st.tx_done, ORDER_N);
	assert_int_equal(st.received, 0);
	fx_close(&f);
}

static void test_order_irq(void **state)
{
	run_order(state, COPRO_MBOX_TXDONE_IRQ);
}

static void test_order_poll(void **state)
{
	run_order(state, COPRO_MBOX_TXDONE_POLL);
}

static void test_order_credit(void **state)
{
	run_order(state, COPRO_MBOX_TXDONE_CREDIT);
}

static void test_order_sync(void **state)
{
	run_order(state, COPRO_MBOX_TXDONE_SYNC);
}

/*
 * POLL with nobody blocked: the worker polls on a threaded platform,
 * copro_mbox_poll on a polled one, and nothing else does.
 */
static void test_poll_progress(void **state)
{
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_POLL);
	struct fixture f;

	cfg.polls_needed = 2;
	fx_open(&f, state, &cfg, 8);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(tsend(f.chan, i, 0, 0), 0);

	struct count_arg a = { f.t, &f.r, CHAN, 3 };

	if (f.e->threaded) {
		assert_true(test_wait_until(tx_done_has, &a, TEST_TIMEOUT_NS));
	} else {
		assert_int_equal(trec_ntx(&f.r), 0);
		for (int i = 0; i < 100 && trec_ntx(&f.r) < 3; i++)
			assert_int_equal(copro_mbox_poll(f.chan), 0);
		assert_int_equal(trec_ntx(&f.r), 3);
	}
	check_hw_order(f.t, 0, 3, 0);
	fx_close(&f);
}

/* ACK: one message in flight until the client says it is done. */
static void test_order_ack(void **state)
{
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_ACK);
	struct fixture f;

	fx_open(&f, state, &cfg, 8);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(tsend(f.chan, i, 0, 0), 0);
	assert_int_equal(tctrl_hw_count(f.t, CHAN), 1);
	assert_int_equal(copro_mbox_flush(f.chan, 0), -ETIMEDOUT);
	for (unsigned k = 1; k <= 5; k++) {
		/* The callback runs in the acking thread, before we return. */
		copro_mbox_client_txdone(f.chan, k == 3 ? -EIO : 0);
		assert_int_equal(trec_ntx(&f.r), k);
		assert_int_equal(tctrl_hw_count(f.t, CHAN), k < 5 ? k + 1 : 5);
	}
	check_hw_order(f.t, 0, 5, 0);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(f.r.status[i], i == 2 ? -EIO : 0);
	assert_int_equal(copro_mbox_flush(f.chan, 0), 0);

	/* Acks with nothing in flight, or from the controller: ignored. */
	test_logcap_clear(&f.e->cap);
	copro_mbox_client_txdone(f.chan, 0);
	assert_true(test_logcap_contains(&f.e->cap, "no message in flight"));
	copro_mbox_chan_txdone(f.chan, 0);
	assert_true(test_logcap_contains(&f.e->cap, "in ack mode"));
	assert_int_equal(trec_ntx(&f.r), 5);
	fx_close(&f);
}

/* ---- CREDIT keeps the hardware FIFO full ------------------------------------ */

static void run_credit_fifo(void **state, bool no_full_hint)
{
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_CREDIT);
	struct copro_mbox_stats st;
	struct fixture f;

	cfg.stalled = true;
	cfg.credit_depth = 4;
	cfg.credit_no_full = no_full_hint;
	fx_open(&f, state, &cfg, 16);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(tsend(f.chan, i, 0, 0), 0);
	assert_int_equal(tctrl_fifo_level(f.t, CHAN), 4);
	assert_int_equal(tctrl_hw_count(f.t, CHAN), 4);
	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.sent, 4);
	/* In CREDIT mode a message is done once the hardware took it. */
	assert_int_equal(trec_ntx(&f.r), 4);
	/* SENT_FULL stops the pump; without the hint it learns from -EBUSY. */
	assert_int_equal(tctrl_busy_count(f.t), no_full_hint ? 1 : 0);

	/* Room for two: the room interrupt refills the FIFO. */
	tctrl_fifo_pop(f.t, CHAN, 2);
	struct count_arg a = { f.t, &f.r, CHAN, 6 };

	assert_true(tenv_wait(f.e, f.chan, hw_has, &a));
	assert_int_equal(tctrl_fifo_level(f.t, CHAN), 4);
	assert_int_equal(tctrl_hw_count(f.t, CHAN), 6);
	assert_int_equal(tctrl_busy_count(f.t), no_full_hint ? 2 : 0);

	/* The far side drains freely: everything goes, in order. */
	tctrl_set_stalled(f.t, false);
	assert_int_equal(copro_mbox_flush(f.chan, TEST_TIMEOUT_NS), 0);
	check_hw_order(f.t, 0, 10, 0);
	a.n = 10;
	assert_true(tenv_wait(f.e, NULL, tx_done_has, &a));
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(f.r.status[i], 0);
	fx_close(&f);
}

static void test_credit_fifo_full(void **state)
{
	run_credit_fifo(state, false);
}

static void test_credit_fifo_busy(void **state)
{
	run_credit_fifo(state, true);
}

/* ---- SYNC ------------------------------------------------------------------- */

struct sync_thread {
	struct copro_mbox_chan *chan;
	unsigned base;
	int err;
};

static void *sync_worker(void *arg)
{
	struct sync_thread *s = arg;

	for (unsigned i = 0; i < 200 && !s->err; i++) {
		struct tmsg m = { .seq = s->base + i }, reply;
		size_t len = sizeof(reply);

		if (i % 2) {
			s->err = copro_mbox_send(s->chan, &m, sizeof(m),
						 COPRO_FOREVER);
		} else {
			s->err = copro_mbox_call(s->chan, &m, sizeof(m), &reply,
						 &len);
			if (!s->err && (len != sizeof(reply) ||
					reply.seq != ~m.seq))
				s->err = -EPROTO;
		}
	}
	return NULL;
}

static void test_sync_call(void **state)
{
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_SYNC);
	struct tmsg m = { .seq = 0x12345678 }, reply;
	struct fixture f;
	size_t len = sizeof(reply);

	fx_open(&f, state, &cfg, 4);
	assert_int_equal(copro_mbox_call(f.chan, &m, sizeof(m), &reply, &len),
			 0);
	assert_int_equal(len, sizeof(reply));
	assert_int_equal(reply.seq, ~0x12345678u);
	assert_int_equal(reply.flags, ~0u);

	/* The controller's error comes back, and nothing is returned. */
	len = 4;
	assert_int_equal(copro_mbox_call(f.chan, &m, sizeof(m), &reply, &len),
			 -EOVERFLOW);
	assert_int_equal(len, 0);
	m.flags = TMSG_FAIL;
	len = sizeof(reply);
	assert_int_equal(copro_mbox_call(f.chan, &m, sizeof(m), &reply, &len),
			 -EIO);

	/* Calls do not count as sends for tx_done. */
	assert_int_equal(trec_ntx(&f.r), 0);
	assert_int_equal(tsend(f.chan, 1, 0, 0), 0);
	assert_int_equal(trec_ntx(&f.r), 1);

	/* Concurrent sends and calls reach the controller one at a time. */
	struct sync_thread s[2] = { { f.chan, 1000, 0 }, { f.chan, 2000, 0 } };
	struct copro_thread th[2];

	for (int i = 0; i < 2; i++)
		assert_int_equal(copro_thread_start(&th[i], "sync", sync_worker,
						    &s[i]),
				 0);
	for (int i = 0; i < 2; i++) {
		copro_thread_join(&th[i]);
		assert_int_equal(s[i].err, 0);
	}
	assert_int_equal(tctrl_sync_overlaps(f.t), 0);
	/* 2 + 1 before, and 2 x 200 from the threads. */
	assert_int_equal(tctrl_hw_count(f.t, CHAN), 403);
	assert_int_equal(trec_ntx(&f.r), 201);
	fx_close(&f);
}

static void test_call_needs_sync(void **state)
{
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_IRQ);
	struct tmsg m = { 0 }, reply;
	size_t len = sizeof(reply);
	struct fixture f;

	fx_open(&f, state, &cfg, 4);
	assert_int_equal(copro_mbox_call(f.chan, &m, sizeof(m), &reply, &len),
			 -EOPNOTSUPP);
	assert_int_equal(tctrl_hw_count(f.t, CHAN), 0);
	fx_close(&f);
}

/* ---- -EBUSY from a one-in-flight controller ---------------------------------- */

static void test_irq_busy_retried(void **state)
{
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_IRQ);
	struct fixture f;

	fx_open(&f, state, &cfg, 8);
	tctrl_busy_next(f.t, 2);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(tsend(f.chan, i, 0, 0), 0);
	assert_int_equal(copro_mbox_flush(f.chan, TEST_TIMEOUT_NS), 0);
	assert_int_equal(tctrl_busy_count(f.t), 2);
	check_hw_order(f.t, 0, 3, 0);
	fx_close(&f);
}

/* ---- doorbells, sizes and directions ------------------------------------------ */

static void test_doorbell(void **state)
{
	struct tctrl_config cfg = cfg_of("db", COPRO_MBOX_TXDONE_IRQ);
	struct fixture f;

	cfg.doorbell = true;
	fx_open(&f, state, &cfg, 4);
	assert_int_equal(copro_mbox_ring(f.chan, 0), 0);
	assert_int_equal(tsend(f.chan, 1, 0, 0), 0);
	assert_int_equal(copro_mbox_ring(f.chan, TEST_TIMEOUT_NS), 0);
	assert_int_equal(copro_mbox_flush(f.chan, TEST_TIMEOUT_NS), 0);
	assert_int_equal(tctrl_hw_count(f.t, CHAN), 3);
	struct tctrl_msg m = tctrl_hw_msg(f.t, CHAN, 1);

	assert_int_equal(tctrl_hw_msg(f.t, CHAN, 0).len, 0);
	assert_int_equal(tmsg_seq(&m), 1);
	assert_int_equal(tctrl_hw_msg(f.t, CHAN, 2).len, 0);
	fx_close(&f);
}

static void test_send_checks(void **state)
{
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_IRQ);
	uint8_t big[TCTRL_MTU + 1] = { 0 };
	struct copro_mbox_chan *rx_only, *tx_only, *bidi;
	struct copro_mbox_client cl;
	struct fixture f;
	struct trec r2;

	fx_open(&f, state, &cfg, 4);
	assert_int_equal(copro_mbox_mtu(f.chan), TCTRL_MTU);
	assert_int_equal(copro_mbox_dir(f.chan), COPRO_MBOX_DIR_BIDI);
	/* No doorbells on this controller. */
	assert_int_equal(copro_mbox_ring(f.chan, 0), -EOPNOTSUPP);
	assert_int_equal(copro_mbox_send(f.chan, big, sizeof(big), 0),
			 -EMSGSIZE);
	assert_int_equal(copro_mbox_send(f.chan, big, TCTRL_MTU, 0), 0);

	/* A receive-only channel cannot send. */
	trec_init(&r2);
	cl = trec_client(&r2, COPRO_MBOX_RX_DEFERRED, 0, 0);
	assert_int_equal(copro_mbox_request(f.e->p, "tc", TCTRL_CHAN_RX_ONLY,
					    &cl, &rx_only),
			 0);
	assert_int_equal(copro_mbox_dir(rx_only), COPRO_MBOX_DIR_RX);
	assert_int_equal(tsend(rx_only, 0, 0, 0), -EOPNOTSUPP);
	assert_int_equal(copro_mbox_flush(rx_only, 0), 0);
	copro_mbox_free(rx_only);

	/* A send-only channel needs no rx callback... */
	cl.rx = NULL;
	assert_int_equal(copro_mbox_request(f.e->p, "tc", TCTRL_CHAN_TX_ONLY,
					    &cl, &tx_only),
			 0);
	assert_int_equal(copro_mbox_dir(tx_only), COPRO_MBOX_DIR_TX);
	assert_int_equal(tsend(tx_only, 5, 0, TEST_TIMEOUT_NS), 0);
	assert_int_equal(copro_mbox_flush(tx_only, TEST_TIMEOUT_NS), 0);
	assert_int_equal(tctrl_hw_count(f.t, TCTRL_CHAN_TX_ONLY), 1);
	copro_mbox_free(tx_only);

	/* ...but one that can receive does. */
	test_logcap_clear(&f.e->cap);
	assert_int_equal(copro_mbox_request(f.e->p, "tc", 3, &cl, &bidi),
			 -EINVAL);
	assert_null(bidi);
	assert_true(test_logcap_contains(&f.e->cap, "no rx callback"));
	/* The failed bind left channel 3 free and shut down. */
	assert_int_equal(tctrl_shutdowns(f.t, 3), 1);
	cl.rx = trec_client(&r2, COPRO_MBOX_RX_DEFERRED, 0, 0).rx;
	assert_int_equal(copro_mbox_request(f.e->p, "tc", 3, &cl, &bidi), 0);
	copro_mbox_free(bidi);
	trec_fini(&r2);
	fx_close(&f);
}

/* ---- back-pressure -------------------------------------------------------------- */

struct blocked_send {
	struct copro_mbox_chan *chan;
	uint32_t seq;
	int64_t timeout;
	_Atomic int ret;
	_Atomic bool done;
};

static void *blocked_sender(void *arg)
{
	struct blocked_send *b = arg;

	atomic_store(&b->ret, tsend(b->chan, b->seq, 0, b->timeout));
	atomic_store(&b->done, true);
	return NULL;
}

struct bp_arg {
	struct copro_mbox_chan *chan;
	uint64_t n;
};

static bool backpressure_has(void *arg)
{
	struct bp_arg *a = arg;
	struct copro_mbox_stats st;

	copro_mbox_get_stats(a->chan, &st);
	return st.backpressure >= a->n;
}

static void test_backpressure(void **state)
{
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_IRQ);
	struct copro_mbox_stats st;
	struct copro_thread th;
	struct fixture f;

	cfg.stalled = true;
	fx_open(&f, state, &cfg, 4);
	/* One in the hardware (never completing), three queued: full. */
	assert_int_equal(copro_mbox_tx_room(f.chan), 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(tsend(f.chan, i, 0, 0), 0);
		assert_int_equal(copro_mbox_tx_room(f.chan), 3 - i);
	}
	assert_int_equal(tctrl_hw_count(f.t, CHAN), 1);
	assert_int_equal(tsend(f.chan, 4, 0, 0), -EAGAIN);
	assert_int_equal(tsend(f.chan, 4, 0, 20 * COPRO_NSEC_PER_MSEC),
			 -ETIMEDOUT);
	assert_int_equal(copro_mbox_flush(f.chan, COPRO_NSEC_PER_MSEC),
			 -ETIMEDOUT);
	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.backpressure, 2);

	/* A sender without a timeout waits until the hardware frees. */
	struct blocked_send b = { .chan = f.chan, .seq = 4,
				  .timeout = COPRO_FOREVER };
	struct bp_arg bp = { f.chan, 3 };

	assert_int_equal(copro_thread_start(&th, "sender", blocked_sender, &b),
			 0);
	assert_true(test_wait_until(backpressure_has, &bp, TEST_TIMEOUT_NS));
	assert_false(atomic_load(&b.done));
	tctrl_set_stalled(f.t, false);
	copro_thread_join(&th);
	assert_int_equal(atomic_load(&b.ret), 0);

	assert_int_equal(copro_mbox_flush(f.chan, TEST_TIMEOUT_NS), 0);
	check_hw_order(f.t, 0, 5, 0);
	struct count_arg a = { f.t, &f.r, CHAN, 5 };

	assert_true(tenv_wait(f.e, NULL, tx_done_has, &a));
	assert_int_equal(trec_ntx(&f.r), 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(f.r.status[i], 0);
	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.sent, 5);
	assert_int_equal(st.tx_done, 5);
	/* Every tx_done has run: the whole queue is free again. */
	assert_int_equal(copro_mbox_tx_room(f.chan), 4);
	fx_close(&f);
}

/* ---- callbacks run without framework locks ------------------------------------- */

struct chain {
	unsigned n;
	_Atomic unsigned done;
	_Atomic int err;
};

static void chain_tx_done(void *ctx, struct copro_mbox_chan *chan, int status)
{
	struct chain *c = ctx;
	unsigned k = atomic_fetch_add(&c->done, 1) + 1;

	if (status)
		atomic_store(&c->err, status);
	else if (k < c->n) {
		/* Sending from tx_done would deadlock under a held lock. */
		int ret = tsend(chan, k, 0, 0);

		if (ret)
			atomic_store(&c->err, ret);
	}
}

static bool chain_done(void *arg)
{
	struct chain *c = arg;

	return atomic_load(&c->done) >= c->n || atomic_load(&c->err);
}

static void run_chain(void **state, enum copro_mbox_txdone mode)
{
	struct tctrl_config cfg = cfg_of("tc", mode);
	struct tenv *e = *state;
	struct chain c = { .n = 50 };
	struct copro_mbox_client cl = {
		.ctx = &c,
		.tx_done = chain_tx_done,
		.tx_queue = 2,
	};
	struct copro_mbox_chan *chan;
	struct tctrl *t;

	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t), 0);
	assert_int_equal(copro_mbox_request(e->p, "tc", TCTRL_CHAN_TX_ONLY,
					    &cl, &chan),
			 0);
	assert_int_equal(tsend(chan, 0, 0, 0), 0);
	assert_true(tenv_wait(e, chan, chain_done, &c));
	assert_int_equal(atomic_load(&c.err), 0);
	assert_int_equal(tctrl_hw_count(t, TCTRL_CHAN_TX_ONLY), 50);
	copro_mbox_free(chan);
	tctrl_destroy(t);
}

static void test_send_from_tx_done_irq(void **state)
{
	run_chain(state, COPRO_MBOX_TXDONE_IRQ);
}

static void test_send_from_tx_done_credit(void **state)
{
	run_chain(state, COPRO_MBOX_TXDONE_CREDIT);
}

/* ---- sending while holding the platform busy-polled ------------------------ */

/*
 * A thread that holds the platform (copro_mbox_poll_hold) keeps the
 * interrupt thread from being woken, so when its send must wait for room
 * it runs the interrupt handlers itself: here the interrupt thread is
 * held in another line's handler all along, and every completion comes
 * from the sender's own polls. A sender that only slept would time out.
 */
static void test_send_while_holding(void **state)
{
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_IRQ);
	struct test_irq_gate gate;
	struct fixture f;

	fx_open(&f, state, &cfg, 2);
	test_irq_gate_close(&gate, f.e->p, f.e->bus, TCTRL_GATE_LINE);
	copro_mbox_poll_hold(f.chan, true);
	int ret[9];

	for (uint32_t i = 0; i < 8; i++)
		ret[i] = tsend(f.chan, i, 0, TEST_TIMEOUT_NS);
	ret[8] = copro_mbox_flush(f.chan, TEST_TIMEOUT_NS);
	copro_mbox_poll_hold(f.chan, false);
	/* Let the interrupt thread go before any assertion can leave. */
	test_irq_gate_open(&gate);
	for (unsigned i = 0; i < 9; i++)
		assert_int_equal(ret[i], 0);
	assert_int_equal(tctrl_hw_count(f.t, CHAN), 8);
	for (unsigned i = 0; i < 8; i++) {
		struct tctrl_msg m = tctrl_hw_msg(f.t, CHAN, i);

		assert_int_equal(tmsg_seq(&m), i);
	}
	test_irq_gate_free(&gate);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_order_irq, tenv_setup, tenv_teardown),
		TEST_BOTH(test_order_poll, tenv_setup, tenv_teardown),
		TEST_BOTH(test_order_credit, tenv_setup, tenv_teardown),
		TEST_BOTH(test_order_sync, tenv_setup, tenv_teardown),
		TEST_BOTH(test_order_ack, tenv_setup, tenv_teardown),
		TEST_BOTH(test_poll_progress, tenv_setup, tenv_teardown),
		TEST_BOTH(test_credit_fifo_full, tenv_setup, tenv_teardown),
		TEST_BOTH(test_credit_fifo_busy, tenv_setup, tenv_teardown),
		TEST_BOTH(test_sync_call, tenv_setup, tenv_teardown),
		TEST_BOTH(test_call_needs_sync, tenv_setup, tenv_teardown),
		TEST_BOTH(test_irq_busy_retried, tenv_setup, tenv_teardown),
		TEST_BOTH(test_doorbell, tenv_setup, tenv_teardown),
		TEST_BOTH(test_send_checks, tenv_setup, tenv_teardown),
		TEST_BOTH(test_backpressure, tenv_setup, tenv_teardown),
		TEST_BOTH(test_send_from_tx_done_irq, tenv_setup, tenv_teardown),
		TEST_BOTH(test_send_from_tx_done_credit, tenv_setup, tenv_teardown),
		TEST_THREADED(test_send_while_holding, tenv_setup, tenv_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
