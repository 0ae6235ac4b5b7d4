// SPDX-License-Identifier: MIT
/*
 * The scripted RTKit coprocessor and its bench (see test_iop.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/regs/asc.h>
#include <copro/regs/rtkit.h>
#include <copro/sim/board.h>
#include <copro/sim/sart_model.h>

#include "test_iop.h"

#define IOP_LOG_MAX 4096
#define IOP_RECV_SLICE_NS (10 * COPRO_NSEC_PER_MSEC)

struct iop_rec {
	uint8_t ep;
	uint64_t msg;
};

struct test_iop {
	struct copro_sim_asc *asc;
	struct test_iop_config cfg;
	struct copro_mutex lock;
	struct copro_event ev; /* a message was recorded */
	struct iop_rec *log;
	size_t n;
	/* The CPU thread's own state, reset on every start. */
	unsigned version;
	uint64_t started[4];
	enum { IOP_BOOTING, IOP_UP, IOP_ASLEEP, IOP_IDLE } state;
};

static bool ep_in(const uint64_t *map, unsigned ep)
{
	return (map[ep / 64] >> (ep % 64)) & 1;
}

int test_iop_send(struct test_iop *iop, uint8_t ep, uint64_t msg)
{
	struct copro_asc_msg m = { .msg0 = msg, .msg1 = ep };

	return copro_sim_asc_iop_send(iop->asc, &m, TEST_TIMEOUT_NS);
}

static void send_chunk(struct test_iop *iop, unsigned base)
{
	unsigned last_base = 0;

	for (unsigned b = 0; b < 8; b++)
		if ((iop->cfg.eps[b / 2] >> ((b % 2) * 32)) & 0xffffffffull)
			last_base = b;
	uint64_t bits = (iop->cfg.eps[base / 2] >> ((base % 2) * 32)) &
			0xffffffffull;

	test_iop_send(iop, 0,
		      RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) | bits |
			      RTK_EPMAP_BASE_MAKE(base) |
			      (base == last_base ? RTK_EPMAP_LAST : 0));
}

/* IOP ON once every system endpoint the host must start was started. */
static void maybe_iop_on(struct test_iop *iop)
{
	static const unsigned need[] = { 1, 2, 3, 4, 8 };

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (ep_in(iop->cfg.eps, need[i]) && !ep_in(iop->started, need[i]))
			return;
	iop->state = IOP_UP;
	if (!iop->cfg.no_iop_on)
		test_iop_send(iop, 0,
			      RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_IOP_PWR_STATE_ACK) |
				      RTK_PWR_STATE_MAKE(COPRO_RTKIT_PWR_ON));
}

static void hello(struct test_iop *iop)
{
	iop->version = 0;
	memset(iop->started, 0, sizeof(iop->started));
	iop->state = IOP_BOOTING;
	if (!iop->cfg.no_hello)
		test_iop_send(iop, 0,
			      RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO) |
				      RTK_HELLO_MAKE(iop->cfg.ver_min,
						     iop->cfg.ver_max));
}

void test_iop_restart(struct test_iop *iop)
{
	hello(iop);
}

/*
 * As real firmware does: a wake while booting is ignored, wakes a
 * sleeping IOP into a new handshake, and brings an idle one back ON.
 */
static void iop_pwr(struct test_iop *iop, unsigned state)
{
	bool wake = state == COPRO_RTKIT_PWR_ON || state == COPRO_RTKIT_PWR_INIT;

	if (wake && iop->state == IOP_BOOTING)
		return;
	if (wake && iop->state == IOP_ASLEEP) {
		hello(iop);
		return;
	}
	if (wake)
		iop->state = IOP_UP;
	else if (state == COPRO_RTKIT_PWR_IDLE)
		iop->state = IOP_IDLE;
	else
		iop->state = IOP_ASLEEP;
	if (!iop->cfg.no_iop_ack)
		test_iop_send(iop, 0,
			      RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_IOP_PWR_STATE_ACK) |
				      RTK_PWR_STATE_MAKE(wake ? COPRO_RTKIT_PWR_ON
							      : state));
}

static void auto_mgmt(struct test_iop *iop, uint64_t msg)
{
	unsigned type = (unsigned)RTK_MGMT_TYPE(msg);
	unsigned state = (unsigned)RTK_PWR_STATE(msg);

	switch (type) {
	case RTK_MGMT_HELLO_REPLY:
		iop->version = (unsigned)RTK_HELLO_MIN(msg);
		send_chunk(iop, 0);
		break;
	case RTK_MGMT_EPMAP:
		if (msg & RTK_EPMAP_LAST)
			maybe_iop_on(iop);
		else if (RTK_EPMAP_BASE(msg) < 7)
			send_chunk(iop, (unsigned)RTK_EPMAP_BASE(msg) + 1);
		break;
	case RTK_MGMT_STARTEP: {
		unsigned ep = (unsigned)RTK_STARTEP_EP(msg);
		bool was = ep_in(iop->started, ep);

		iop->started[ep / 64] |= 1ull << (ep % 64);
		if (!was && ep < 0x20)
			maybe_iop_on(iop);
		break;
	}
	case RTK_MGMT_SET_AP_PWR_STATE:
		if (!iop->cfg.no_ap_ack)
			test_iop_send(iop, 0,
				      RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_AP_PWR_STATE) |
					      RTK_PWR_STATE_MAKE(state));
		break;
	case RTK_MGMT_SET_IOP_PWR_STATE:
		iop_pwr(iop, state);
		break;
	}
}

static void iop_run(void *ctx, struct copro_sim_asc *asc)
{
	struct test_iop *iop = ctx;
	struct copro_asc_msg m;

	hello(iop);
	for (;;) {
		int ret = copro_sim_asc_iop_recv(asc, &m, IOP_RECV_SLICE_NS);
		uint8_t ep = (uint8_t)(m.msg1 & RTK_ASC_EP_MASK);

		if (ret == -ESHUTDOWN)
			return;
		if (ret < 0)
			continue;
		copro_mutex_lock(&iop->lock);
		if (iop->n < IOP_LOG_MAX)
			iop->log[iop->n++] = (struct iop_rec){ ep, m.msg0 };
		copro_mutex_unlock(&iop->lock);
		copro_event_signal(&iop->ev);
		if (iop->cfg.hook &&
		    iop->cfg.hook(iop->cfg.hook_ctx, iop, ep, m.msg0))
			continue;
		if (ep == 0)
			auto_mgmt(iop, m.msg0);
	}
}

int test_iop_create(struct copro_sim_asc *asc, const struct test_iop_config *cfg,
		    struct test_iop **out)
{
	struct test_iop *iop = calloc(1, sizeof(*iop));
	struct copro_sim_asc_fw fw = { .name = "test-iop", .run = iop_run };
	int ret;

	if (!iop)
		return -ENOMEM;
	iop->log = calloc(IOP_LOG_MAX, sizeof(*iop->log));
	if (!iop->log) {
		free(iop);
		return -ENOMEM;
	}
	iop->asc = asc;
	if (cfg)
		iop->cfg = *cfg;
	if (!iop->cfg.ver_min && !iop->cfg.ver_max) {
		iop->cfg.ver_min = 11;
		iop->cfg.ver_max = 12;
	}
	if (!(iop->cfg.eps[0] | iop->cfg.eps[1] | iop->cfg.eps[2] |
	      iop->cfg.eps[3]))
		iop->cfg.eps[0] = (1ull << 1) | (1ull << 2) | (1ull << 3) |
				  (1ull << 4) | (1ull << 8) |
				  (1ull << TEST_IOP_APP_EP);
	copro_mutex_init(&iop->lock);
	copro_event_init(&iop->ev);
	fw.ctx = iop;
	ret = copro_sim_asc_set_firmware(asc, &fw);
	if (ret < 0) {
		test_iop_destroy(iop);
		return ret;
	}
	*out = iop;
	return 0;
}

void test_iop_destroy(struct test_iop *iop)
{
	if (!iop)
		return;
	copro_mutex_destroy(&iop->lock);
	free(iop->log);
	free(iop);
}

size_t test_iop_count(struct test_iop *iop)
{
	copro_mutex_lock(&iop->lock);
	size_t n = iop->n;
	copro_mutex_unlock(&iop->lock);
	return n;
}

bool test_iop_get(struct test_iop *iop, size_t i, uint8_t *ep, uint64_t *msg)
{
	bool ok;

	copro_mutex_lock(&iop->lock);
	ok = i < iop->n;
	if (ok) {
		*ep = iop->log[i].ep;
		*msg = iop->log[i].msg;
	}
	copro_mutex_unlock(&iop->lock);
	return ok;
}

static bool matches(uint8_t ep, int type, const struct iop_rec *r)
{
	return r->ep == ep && (type < 0 || RTK_EP_TYPE(r->msg) == (unsigned)type);
}

bool test_iop_wait(struct test_iop *iop, size_t *cursor, uint8_t ep, int type,
		   uint64_t *msg, int64_t timeout_ns, int (*poll)(void *),
		   void *poll_ctx)
{
	uint64_t deadline = copro_deadline(timeout_ns);

	for (;;) {
		uint32_t key = copro_event_prepare(&iop->ev);

		copro_mutex_lock(&iop->lock);
		for (size_t i = *cursor; i < iop->n; i++) {
			if (matches(ep, type, &iop->log[i])) {
				if (msg)
					*msg = iop->log[i].msg;
				*cursor = i + 1;
				copro_mutex_unlock(&iop->lock);
				return true;
			}
		}
		copro_mutex_unlock(&iop->lock);
		int64_t left = copro_deadline_left(deadline);

		if (!left)
			return false;
		if (poll) {
			poll(poll_ctx);
			if (left > 50 * COPRO_NSEC_PER_USEC)
				left = 50 * COPRO_NSEC_PER_USEC;
		}
		copro_event_wait(&iop->ev, key, left, COPRO_SPIN_DEFAULT_NS);
	}
}

size_t test_iop_count_of(struct test_iop *iop, uint8_t ep, int type)
{
	size_t n = 0;

	copro_mutex_lock(&iop->lock);
	for (size_t i = 0; i < iop->n; i++)
		n += matches(ep, type, &iop->log[i]);
	copro_mutex_unlock(&iop->lock);
	return n;
}

unsigned test_iop_version(struct test_iop *iop)
{
	return iop->version;
}

int test_iop_dma_write(struct test_iop *iop, uint64_t iova, const void *src,
		       size_t len)
{
	if (iop->cfg.sart)
		return copro_sim_sart_dma_write(iop->cfg.sart, "test-iop", iova,
						src, len);
	return copro_bus_dma_write(copro_sim_asc_bus(iop->asc), "test-iop",
				   iova, src, len);
}

int test_iop_dma_read(struct test_iop *iop, uint64_t iova, void *dst,
		      size_t len)
{
	if (iop->cfg.sart)
		return copro_sim_sart_dma_read(iop->cfg.sart, "test-iop", iova,
					       dst, len);
	return copro_bus_dma_read(copro_sim_asc_bus(iop->asc), "test-iop",
				  iova, dst, len);
}

/* ---- SRAM ---------------------------------------------------------------- */

struct test_sram {
	struct copro_bus *bus;
	uint64_t phys, size;
	uint8_t *mem;
	struct copro_mutex lock;
	uint64_t bad, reads;
};

static uint64_t sram_read(void *ctx, uint64_t off, unsigned width)
{
	struct test_sram *s = ctx;
	uint32_t v = 0;

	copro_mutex_lock(&s->lock);
	if (width != 4) {
		s->bad++;
	} else {
		memcpy(&v, s->mem + off, 4);
		s->reads++;
	}
	copro_mutex_unlock(&s->lock);
	return v;
}

static void sram_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct test_sram *s = ctx;
	uint32_t v = (uint32_t)val;

	copro_mutex_lock(&s->lock);
	if (width != 4)
		s->bad++;
	else
		memcpy(s->mem + off, &v, 4);
	copro_mutex_unlock(&s->lock);
}

static const struct copro_mmio_ops sram_ops = {
	.read = sram_read,
	.write = sram_write,
};

int test_sram_create(struct copro_bus *bus, uint64_t phys, uint64_t size,
		     struct test_sram **out)
{
	struct test_sram *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->mem = calloc(1, size);
	if (!s->mem) {
		free(s);
		return -ENOMEM;
	}
	s->bus = bus;
	s->phys = phys;
	s->size = size;
	copro_mutex_init(&s->lock);
	ret = copro_bus_add_mmio(bus, phys, size, &sram_ops, s, "test-sram");
	if (ret < 0) {
		copro_mutex_destroy(&s->lock);
		free(s->mem);
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void test_sram_destroy(struct test_sram *s)
{
	if (!s)
		return;
	copro_bus_remove_mmio(s->bus, s->phys);
	copro_mutex_destroy(&s->lock);
	free(s->mem);
	free(s);
}

void test_sram_write(struct test_sram *s, uint64_t off, const void *src,
		     size_t len)
{
	copro_mutex_lock(&s->lock);
	assert_true(off <= s->size && len <= s->size - off);
	memcpy(s->mem + off, src, len);
	copro_mutex_unlock(&s->lock);
}

uint64_t test_sram_bad_accesses(struct test_sram *s)
{
	copro_mutex_lock(&s->lock);
	uint64_t n = s->bad;
	copro_mutex_unlock(&s->lock);
	return n;
}

uint64_t test_sram_reads(struct test_sram *s)
{
	copro_mutex_lock(&s->lock);
	uint64_t n = s->reads;
	copro_mutex_unlock(&s->lock);
	return n;
}

/* ---- the bench ------------------------------------------------------------ */

void test_rtk_open(struct test_rtk *t, bool threaded,
		   const struct test_iop_config *icfg)
{
	struct copro_board_config bc = { .threaded = threaded };
	uint64_t phys, size;
	int mbox;

	memset(t, 0, sizeof(*t));
	t->threaded = threaded;
	assert_int_equal(test_logcap_init(&t->cap), 0);
	bc.log = test_logcap_log(&t->cap);
	assert_int_equal(copro_board_create(&bc, &t->b), 0);
	t->p = copro_board_platform(t->b);
	t->bus = copro_board_bus(t->b);
	t->dt = copro_board_dt(t->b);
	t->node = copro_dt_next_compatible(t->dt, -1, "apple,nvme-ans2");
	assert_true(t->node >= 0);
	mbox = copro_dt_next_compatible(t->dt, -1, COPRO_ASC_COMPATIBLE);
	assert_true(mbox >= 0);
	t->model = copro_board_asc(t->b, mbox);
	assert_non_null(t->model);
	assert_int_equal(copro_dt_reg(t->dt, mbox, 0, &phys, &size), 0);
	assert_int_equal(copro_mmio_map(t->p, phys - ASC_MBOX_OFFSET,
					ASC_CPU_REGION_SIZE, &t->cpu),
			 0);
	assert_int_equal(copro_asc_probe(t->p, mbox, &t->asc), 0);
	assert_int_equal(test_iop_create(t->model, icfg, &t->iop), 0);
}

int test_rtk_create(struct test_rtk *t, const struct copro_rtkit_config *cfg)
{
	struct copro_rtkit_config c = *cfg;

	if (!c.name)
		c.name = "rtk";
	/* A loaded machine must not fail a test that expects no timeout. */
	if (!c.timeout_ns)
		c.timeout_ns = TEST_TIMEOUT_NS;
	return copro_rtkit_create(t->p, t->node, &c, &t->rtk);
}

void test_rtk_cpu(struct test_rtk *t, bool run)
{
	copro_writel(t->cpu, ASC_CPU_CONTROL, run ? ASC_CPU_CONTROL_RUN : 0);
}

int test_rtk_boot(struct test_rtk *t)
{
	test_rtk_cpu(t, true);
	return copro_rtkit_boot(t->rtk);
}

static int poll_rtk(void *ctx)
{
	return copro_rtkit_poll(ctx);
}

bool test_rtk_wait_ap(struct test_rtk *t, size_t *cursor, uint8_t ep, int type,
		      uint64_t *msg)
{
	bool polled = !t->threaded;

	return test_iop_wait(t->iop, cursor, ep, type, msg, TEST_TIMEOUT_NS,
			     polled ? poll_rtk : NULL, t->rtk);
}

int test_rtk_iop_send(struct test_rtk *t, uint8_t ep, uint64_t msg)
{
	struct copro_asc_msg m = { .msg0 = msg, .msg1 = ep };
	uint64_t deadline = copro_deadline(TEST_TIMEOUT_NS);
	int ret;

	if (t->threaded)
		return test_iop_send(t->iop, ep, msg);
	for (;;) {
		ret = copro_sim_asc_iop_send(t->model, &m, 0);
		if (ret != -ETIMEDOUT || !copro_deadline_left(deadline))
			return ret;
		copro_rtkit_poll(t->rtk);
	}
}

struct wait_arg {
	struct test_rtk *t;
	bool (*cond)(void *);
	void *arg;
};

static bool wait_cond(void *arg)
{
	struct wait_arg *w = arg;

	if (!w->t->threaded && w->t->rtk)
		copro_rtkit_poll(w->t->rtk);
	return w->cond(w->arg);
}

bool test_rtk_wait(struct test_rtk *t, bool (*cond)(void *), void *arg)
{
	struct wait_arg w = { t, cond, arg };

	return test_wait_until(wait_cond, &w, TEST_TIMEOUT_NS);
}

void test_rtk_close(struct test_rtk *t)
{
	if (t->cpu)
		test_rtk_cpu(t, false);
	copro_rtkit_destroy(t->rtk);
	if (t->asc)
		copro_asc_remove(t->asc);
	if (t->cpu)
		copro_mmio_unmap(t->cpu);
	/* The model keeps a copy of the firmware, not the IOP: stopped now. */
	test_iop_destroy(t->iop);
	copro_board_destroy(t->b);
	test_logcap_destroy(&t->cap);
	memset(t, 0, sizeof(*t));
}
