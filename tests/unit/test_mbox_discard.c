/* SPDX-License-Identifier: MIT */
/*
 * Receive epochs (copro_mbox_rx_discard), on a threaded and a polled
 * t8103 platform with the fake controller: a message received before a
 * discard never reaches rx, whether it waits in the deferred ring, is
 * still in the hardware, or is being delivered right then (the client
 * then finds it stale with copro_mbox_rx_stale); what comes after is
 * delivered as usual, and every drop is counted.
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

#include "test_mbox_ctrl.h"
#include "test_modes.h"

#define CHAN 2
#define MAXREC 32

/* A client that records each message's number and staleness. */
struct drec {
	struct copro_mbox_chan *chan;
	_Atomic bool gate_closed; /* rx blocks while set */
	_Atomic unsigned in_rx;
	_Atomic unsigned n;
	uint32_t seq[MAXREC];
	bool stale[MAXREC];
	_Atomic unsigned early_stale; /* rx_early calls that found theirs stale */
};

static void drec_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct drec *r = ctx;
	struct tmsg m;
	unsigned i = atomic_load(&r->n);

	atomic_fetch_add(&r->in_rx, 1);
	while (atomic_load(&r->gate_closed))
		copro_sleep_ns(50 * COPRO_NSEC_PER_USEC);
	assert_int_equal(len, sizeof(m));
	assert_true(i < MAXREC);
	memcpy(&m, msg, sizeof(m));
	r->seq[i] = m.seq;
	r->stale[i] = copro_mbox_rx_stale(chan);
	/* One consumer at a time: the count publishes the entry. */
	atomic_store(&r->n, i + 1);
	atomic_fetch_sub(&r->in_rx, 1);
}

/* Takes nothing; only asks. */
static bool drec_rx_early(void *ctx, struct copro_mbox_chan *chan,
			  const void *msg, size_t len)
{
	struct drec *r = ctx;

	(void)msg;
	(void)len;
	if (copro_mbox_rx_stale(chan))
		atomic_fetch_add(&r->early_stale, 1);
	return false;
}

struct fixture {
	struct tenv *e;
	struct tctrl *t;
	struct drec r;
};

static void fx_open(struct fixture *f, void **state,
		    enum copro_mbox_rx_mode mode, unsigned ring)
{
	struct tctrl_config cfg = {
		.name = "td",
		.mode = COPRO_MBOX_TXDONE_IRQ,
		.line = TCTRL_LINE_BASE + 2,
		.node = -1,
		.rx_use_room = true,
	};
	struct copro_mbox_client cl = {
		.ctx = &f->r,
		.rx = drec_rx,
		.rx_early = mode == COPRO_MBOX_RX_DEFERRED ? drec_rx_early : NULL,
		.rx_mode = mode,
		.rx_ring = ring,
	};

	memset(&f->r, 0, sizeof(f->r));
	f->e = *state;
	assert_int_equal(tctrl_create(f->e->p, f->e->bus, &cfg, &f->t), 0);
	assert_int_equal(copro_mbox_request(f->e->p, "td", CHAN, &cl,
					    &f->r.chan),
			 0);
}

static void fx_close(struct fixture *f)
{
	copro_mbox_free(f->r.chan);
	tctrl_destroy(f->t);
}

static void inject(struct fixture *f, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		struct tmsg m = { .seq = i };

		tctrl_inject(f->t, CHAN, &m, sizeof(m));
	}
}

struct count_arg {
	struct fixture *f;
	unsigned n;
};

static bool got(void *arg)
{
	struct count_arg *a = arg;

	return atomic_load(&a->f->r.n) >= a->n;
}

static bool held(void *arg)
{
	struct count_arg *a = arg;

	return atomic_load(&a->f->r.in_rx) == 1 &&
	       copro_mbox_rx_queued(a->f->r.chan) == a->n;
}

static bool hw_holds(void *arg)
{
	struct count_arg *a = arg;

	return tctrl_rx_pending(a->f->t, CHAN) == a->n;
}

static struct copro_mbox_stats stats(struct fixture *f)
{
	struct copro_mbox_stats st;

	copro_mbox_get_stats(f->r.chan, &st);
	return st;
}

/*
 * Messages 0..4 are received; then a discard; then 5..7. Threaded: the
 * worker is held inside rx with message 0 while 1..4 wait in the ring.
 * Polled: all five wait in the ring. Only 5..7 may reach rx after the
 * discard, and message 0, already inside rx, is stale there.
 */
static void test_discard_ring(void **state)
{
	struct fixture f;
	struct count_arg a = { &f, 5 };
	unsigned dropped = 5;

	fx_open(&f, state, COPRO_MBOX_RX_DEFERRED, 16);
	if (f.e->threaded) {
		atomic_store(&f.r.gate_closed, true);
		inject(&f, 0, 5);
		assert_true(test_wait_until(held, &a, TEST_TIMEOUT_NS));
		dropped = 4;
	} else {
		inject(&f, 0, 5);
		copro_platform_poll(f.e->p);
		assert_int_equal(copro_mbox_rx_queued(f.r.chan), 5);
	}
	assert_int_equal(copro_mbox_rx_discard(f.r.chan), 0);
	if (!f.e->threaded) {
		/* No consumer ran: the ring was emptied there and then. */
		assert_int_equal(copro_mbox_rx_queued(f.r.chan), 0);
		assert_int_equal(stats(&f).rx_discarded, 5);
	}
	/* Outside a callback there is nothing to be stale. */
	assert_false(copro_mbox_rx_stale(f.r.chan));
	inject(&f, 5, 8);
	atomic_store(&f.r.gate_closed, false);
	a.n = 8 - dropped;
	assert_true(tenv_wait(f.e, f.r.chan, got, &a));

	unsigned first = 0;

	if (f.e->threaded) {
		/* Being delivered during the discard: stale, and told so. */
		assert_int_equal(f.r.seq[0], 0);
		assert_true(f.r.stale[0]);
		first = 1;
	}
	for (unsigned i = first; i < a.n; i++) {
		assert_int_equal(f.r.seq[i], 5 + i - first);
		assert_false(f.r.stale[i]);
	}
	/* Nothing else arrives. */
	assert_int_equal(tctrl_rx_pending(f.t, CHAN), 0);
	assert_int_equal(copro_mbox_rx_queued(f.r.chan), 0);
	assert_int_equal(atomic_load(&f.r.n), a.n);
	assert_int_equal(stats(&f).rx_discarded, dropped);
	assert_true(test_logcap_contains(&f.e->cap,
					 "dropped a message of receive epoch"));
	assert_int_equal(stats(&f).received, a.n);
	assert_int_equal(atomic_load(&f.r.early_stale), 0);
	assert_int_equal(tctrl_rx_syncs(f.t, CHAN), 1);
	fx_close(&f);
}

/*
 * What the hardware still holds is dropped too (the controller's
 * rx_sync), even behind a full ring. Threaded: the worker is held with
 * message 0, which keeps its slot of the ring (2) until rx returns, the
 * other slot holds 1, the FIFO 2..5. Polled: the FIFO holds all six.
 */
static void test_discard_hardware(void **state)
{
	struct fixture f;
	struct count_arg a = { &f, 2 };
	unsigned dropped = 6;

	fx_open(&f, state, COPRO_MBOX_RX_DEFERRED, 2);
	if (f.e->threaded) {
		atomic_store(&f.r.gate_closed, true);
		inject(&f, 0, 6);
		assert_true(test_wait_until(held, &a, TEST_TIMEOUT_NS));
		a.n = 4;
		assert_true(test_wait_until(hw_holds, &a, TEST_TIMEOUT_NS));
		dropped = 5;
	} else {
		inject(&f, 0, 6);
	}
	assert_int_equal(copro_mbox_rx_discard(f.r.chan), 0);
	assert_int_equal(tctrl_rx_pending(f.t, CHAN), 0);
	assert_int_equal(tctrl_rx_errors(f.t, CHAN), 0);
	inject(&f, 6, 8);
	atomic_store(&f.r.gate_closed, false);
	a.n = f.e->threaded ? 3 : 2;
	assert_true(tenv_wait(f.e, f.r.chan, got, &a));
	if (f.e->threaded) {
		assert_int_equal(f.r.seq[0], 0);
		assert_true(f.r.stale[0]);
	}
	assert_int_equal(f.r.seq[a.n - 2], 6);
	assert_int_equal(f.r.seq[a.n - 1], 7);
	assert_false(f.r.stale[a.n - 1]);
	assert_int_equal(copro_mbox_rx_queued(f.r.chan), 0);
	assert_int_equal(atomic_load(&f.r.n), a.n);
	assert_int_equal(stats(&f).rx_discarded, dropped);
	fx_close(&f);
}

/* Interrupt-context delivery has no ring: the hardware part alone. */
static void test_discard_irq_mode(void **state)
{
	struct fixture f;
	struct count_arg a = { &f, 1 };

	fx_open(&f, state, COPRO_MBOX_RX_IRQ, 0);
	/* Polled, nothing leaves the hardware until polled. */
	inject(&f, 0, 3);
	assert_int_equal(copro_mbox_rx_discard(f.r.chan), 0);
	assert_int_equal(tctrl_rx_pending(f.t, CHAN), 0);
	inject(&f, 3, 4);
	assert_true(tenv_wait(f.e, f.r.chan, got, &a));
	assert_int_equal(atomic_load(&f.r.n), 1);
	assert_int_equal(f.r.seq[0], 3);
	assert_false(f.r.stale[0]);
	assert_int_equal(stats(&f).rx_discarded, 3);
	assert_int_equal(stats(&f).received, 1);
	fx_close(&f);
}

/* Arguments, and a channel being unbound. */
static void test_discard_args(void **state)
{
	struct fixture f;

	fx_open(&f, state, COPRO_MBOX_RX_DEFERRED, 4);
	assert_int_equal(copro_mbox_rx_discard(NULL), -EINVAL);
	assert_false(copro_mbox_rx_stale(NULL));
	/* Nothing received: a discard changes nothing but the epoch. */
	assert_int_equal(copro_mbox_rx_discard(f.r.chan), 0);
	assert_int_equal(copro_mbox_rx_discard(f.r.chan), 0);
	inject(&f, 0, 2);
	struct count_arg a = { &f, 2 };

	assert_true(tenv_wait(f.e, f.r.chan, got, &a));
	assert_int_equal(stats(&f).rx_discarded, 0);
	assert_int_equal(f.r.seq[1], 1);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_discard_ring, tenv_setup, tenv_teardown),
		TEST_BOTH(test_discard_hardware, tenv_setup, tenv_teardown),
		TEST_POLLED(test_discard_irq_mode, tenv_setup, tenv_teardown),
		TEST_BOTH(test_discard_args, tenv_setup, tenv_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
