/* SPDX-License-Identifier: MIT */
/*
 * The mailbox framework's receiving side on a threaded and a polled t8103
 * platform: delivery in interrupt context, deferred delivery (worker or
 * copro_mbox_poll), ring overflow without loss, and unbinding while a
 * callback runs.
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

#include "test_irq_gate.h"
#include "test_mbox_ctrl.h"
#include "test_modes.h"

#define CHAN 1

struct fixture {
	struct tenv *e;
	struct tctrl *t;
	struct trec r;
	struct copro_mbox_chan *chan;
};

static void fx_open(struct fixture *f, void **state, bool rx_use_room,
		    enum copro_mbox_rx_mode mode, unsigned rx_ring)
{
	struct tctrl_config cfg = {
		.name = "tc",
		.mode = COPRO_MBOX_TXDONE_IRQ,
		.line = TCTRL_LINE_BASE + 1,
		.node = -1,
		.rx_use_room = rx_use_room,
	};
	struct copro_mbox_client cl;

	f->e = *state;
	assert_int_equal(tctrl_create(f->e->p, f->e->bus, &cfg, &f->t), 0);
	trec_init(&f->r);
	cl = trec_client(&f->r, mode, rx_ring, 0);
	assert_int_equal(copro_mbox_request(f->e->p, "tc", CHAN, &cl,
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

static void inject_seq(struct tctrl *t, unsigned id, uint32_t from,
		       uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		struct tmsg m = { .seq = i };

		tctrl_inject(t, id, &m, sizeof(m));
	}
}

static void check_rx_order(struct trec *r, unsigned n)
{
	assert_int_equal(trec_nrx(r), n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(tmsg_seq(&r->rx[i]), i);
}

struct rx_arg {
	struct trec *r;
	unsigned n;
};

static bool rx_has(void *arg)
{
	struct rx_arg *a = arg;

	return trec_nrx(a->r) >= a->n;
}

/* ---- interrupt context ------------------------------------------------------ */

static void test_rx_irq_context(void **state)
{
	struct copro_mbox_stats st;
	struct fixture f;

	fx_open(&f, state, false, COPRO_MBOX_RX_IRQ, 0);
	inject_seq(f.t, CHAN, 0, 20);
	if (!f.e->threaded) {
		/* Nothing moves until polled; the poll reports deliveries. */
		assert_int_equal(trec_nrx(&f.r), 0);
		assert_int_equal(copro_mbox_poll(f.chan), 20);
	}
	struct rx_arg a = { &f.r, 20 };

	assert_true(tenv_wait(f.e, NULL, rx_has, &a));
	check_rx_order(&f.r, 20);
	/* Straight from the controller's handler. */
	assert_int_equal(f.r.rx_in_handler, 20);
	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.received, 20);
	fx_close(&f);
}

/* ---- deferred ------------------------------------------------------------------- */

static void test_rx_deferred(void **state)
{
	struct copro_mbox_stats st;
	struct fixture f;

	fx_open(&f, state, false, COPRO_MBOX_RX_DEFERRED, 0);
	inject_seq(f.t, CHAN, 0, 50);
	if (f.e->threaded) {
		struct rx_arg a = { &f.r, 50 };

		/* Nobody polls: the controller's worker delivers. */
		assert_true(test_wait_until(rx_has, &a, TEST_TIMEOUT_NS));
	} else {
		unsigned got = 0;

		for (int i = 0; i < 1000 && got < 50; i++) {
			int n = copro_mbox_poll(f.chan);

			assert_true(n >= 0);
			got += (unsigned)n;
		}
		assert_int_equal(got, 50);
		assert_int_equal(copro_mbox_poll(f.chan), 0);
	}
	check_rx_order(&f.r, 50);
	/* Not in interrupt context. */
	assert_int_equal(f.r.rx_in_handler, 0);
	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.received, 50);
	assert_int_equal(st.rx_stalls, 0);
	fx_close(&f);
}

/* ---- the received count ---------------------------------------------------------- */

/*
 * A client that has seen a message finds it counted: each rx checks that
 * the stats already include the message it is handed (they used to be
 * added per batch after the callbacks, so a waiter could see every
 * message and still read a lower count).
 */
struct counting {
	_Atomic unsigned seen, short_counts;
};

static void counting_rx(void *ctx, struct copro_mbox_chan *chan,
			const void *msg, size_t len)
{
	struct counting *c = ctx;
	struct copro_mbox_stats st;
	unsigned seen = atomic_load(&c->seen) + 1;

	(void)msg;
	(void)len;
	copro_mbox_get_stats(chan, &st);
	if (st.received < seen)
		atomic_fetch_add(&c->short_counts, 1);
	atomic_store(&c->seen, seen);
}

static bool counting_has(void *arg)
{
	return atomic_load(&((struct counting *)arg)->seen) >= 40;
}

static void check_counted(void **state, enum copro_mbox_rx_mode mode)
{
	struct tctrl_config cfg = {
		.name = "tc",
		.mode = COPRO_MBOX_TXDONE_IRQ,
		.line = TCTRL_LINE_BASE + 1,
		.node = -1,
	};
	struct counting c = { 0 };
	const struct copro_mbox_client cl = {
		.ctx = &c, .rx = counting_rx, .rx_mode = mode,
	};
	struct tenv *e = *state;
	struct copro_mbox_chan *chan;
	struct copro_mbox_stats st;
	struct tctrl *t;

	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t), 0);
	assert_int_equal(copro_mbox_request(e->p, "tc", CHAN, &cl, &chan), 0);
	inject_seq(t, CHAN, 0, 40);
	if (!e->threaded)
		for (int i = 0; i < 1000 && !counting_has(&c); i++)
			assert_true(copro_mbox_poll(chan) >= 0);
	assert_true(tenv_wait(e, NULL, counting_has, &c));
	assert_int_equal(atomic_load(&c.short_counts), 0);
	copro_mbox_get_stats(chan, &st);
	assert_int_equal(st.received, 40);
	copro_mbox_free(chan);
	tctrl_destroy(t);
}

static void test_rx_counted_before_client(void **state)
{
	check_counted(state, COPRO_MBOX_RX_IRQ);
	check_counted(state, COPRO_MBOX_RX_DEFERRED);
}

/* ---- interrupt-context pre-filter of a deferred client -------------------------- */

struct early {
	struct trec *r;
	_Atomic unsigned seen, taken, in_handler;
	uint32_t taken_seq[64];
};

/* Takes the odd messages, leaves the even ones to the ring. */
static bool early_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		     size_t len)
{
	struct early *e = ctx;
	struct tmsg m;

	(void)chan;
	assert_int_equal(len, sizeof(m));
	memcpy(&m, msg, sizeof(m));
	atomic_fetch_add(&e->seen, 1);
	if (tctrl_in_handler())
		atomic_fetch_add(&e->in_handler, 1);
	if (!(m.seq & 1))
		return false;
	e->taken_seq[atomic_load(&e->taken) % 64] = m.seq;
	atomic_fetch_add(&e->taken, 1);
	return true;
}

static void early_trec_rx(void *ctx, struct copro_mbox_chan *chan,
			  const void *msg, size_t len)
{
	struct early *e = ctx;

	trec_client(e->r, COPRO_MBOX_RX_DEFERRED, 0, 0).rx(e->r, chan, msg,
							   len);
}

/*
 * Every message offered to rx_early, the odd ones taken and the even ones
 * through rx. Taken is counted last: rx_early counts a message seen before
 * it takes it, so "seen" alone reached 40 while the last take was still
 * to be counted (TSan, 1 in 20).
 */
static bool early_all_seen(void *arg)
{
	struct early *e = arg;

	return atomic_load(&e->seen) >= 40 && atomic_load(&e->taken) >= 20 &&
	       trec_nrx(e->r) >= 20;
}

static void test_rx_early(void **state)
{
	struct tctrl_config cfg = {
		.name = "tc",
		.mode = COPRO_MBOX_TXDONE_IRQ,
		.line = TCTRL_LINE_BASE + 1,
		.node = -1,
	};
	struct tenv *env = *state;
	struct copro_mbox_stats st;
	struct early e = { 0 };
	struct trec r;
	struct copro_mbox_client cl = {
		.ctx = &e,
		.rx = early_trec_rx,
		.rx_early = early_rx,
		.rx_mode = COPRO_MBOX_RX_DEFERRED,
	};
	struct copro_mbox_chan *chan;
	struct tctrl *t;

	trec_init(&r);
	e.r = &r;
	assert_int_equal(tctrl_create(env->p, env->bus, &cfg, &t), 0);
	assert_int_equal(copro_mbox_request(env->p, "tc", CHAN, &cl, &chan), 0);
	r.chan = chan;
	inject_seq(t, CHAN, 0, 40);
	/* rx can see its twentieth (seq 38) before seq 39 is offered. */
	assert_true(tenv_wait(env, env->threaded ? NULL : chan, early_all_seen,
			      &e));
	/* Every message was offered; only the even ones reached rx, in order. */
	assert_int_equal(atomic_load(&e.seen), 40);
	assert_int_equal(atomic_load(&e.taken), 20);
	assert_int_equal(trec_nrx(&r), 20);
	for (unsigned i = 0; i < 20; i++) {
		assert_int_equal(tmsg_seq(&r.rx[i]), 2 * i);
		assert_int_equal(e.taken_seq[i], 2 * i + 1);
	}
	/* Offered in the controller's handler; rx itself was deferred. */
	assert_int_equal(atomic_load(&e.in_handler), 40);
	assert_int_equal(r.rx_in_handler, 0);
	copro_mbox_get_stats(chan, &st);
	assert_int_equal(st.received, 40);
	assert_int_equal(st.rx_early, 20);
	copro_mbox_free(chan);

	/* Interrupt-context clients have nothing to pre-filter. */
	cl.rx_mode = COPRO_MBOX_RX_IRQ;
	assert_int_equal(copro_mbox_request(env->p, "tc", CHAN, &cl, &chan),
			 -EINVAL);
	tctrl_destroy(t);
	trec_fini(&r);
}

/* ---- a full ring stops the controller, nothing is lost ------------------------ */

#define OVF_N 100
#define OVF_RING 8

static bool stalled(void *arg)
{
	struct copro_mbox_stats st;

	copro_mbox_get_stats(arg, &st);
	return st.rx_stalls >= 1;
}

static bool hw_drained(void *arg)
{
	struct fixture *f = arg;

	return tctrl_rx_pending(f->t, CHAN) == 0;
}

static void run_overflow(void **state, bool rx_use_room)
{
	struct copro_mbox_stats st;
	struct fixture f;

	fx_open(&f, state, rx_use_room, COPRO_MBOX_RX_DEFERRED, OVF_RING);
	if (f.e->threaded) {
		/* The worker blocks on the first message; the ring fills. */
		atomic_store(&f.r.gate_closed, true);
		inject_seq(f.t, CHAN, 0, OVF_N);
		assert_true(test_wait_until(stalled, f.chan, TEST_TIMEOUT_NS));
	} else {
		inject_seq(f.t, CHAN, 0, OVF_N);
		copro_platform_poll(f.e->p);
	}
	/* The ring holds 8 (one of them being delivered), 92 stay put. */
	assert_int_equal(tctrl_rx_pending(f.t, CHAN), OVF_N - OVF_RING);
	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.rx_stalls, 1);
	assert_int_equal(tctrl_rx_resumes(f.t, CHAN), 0);
	assert_int_equal(tctrl_rx_errors(f.t, CHAN), 0);

	trec_open_gate(&f.r);
	struct rx_arg a = { &f.r, OVF_N };

	assert_true(tenv_wait(f.e, f.e->threaded ? NULL : f.chan, rx_has, &a));
	check_rx_order(&f.r, OVF_N);
	/*
	 * The fake hardware counts a message gone only after handing it
	 * over returned, which may be after the worker delivered it.
	 */
	assert_true(tenv_wait(f.e, f.e->threaded ? NULL : f.chan, hw_drained,
			      &f));
	assert_true(tctrl_rx_resumes(f.t, CHAN) >= 1);
	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.received, OVF_N);
	assert_true(st.rx_stalls >= 1);
	fx_close(&f);
}

/*
 * copro_mbox_rx_queued counts what rx has not handed back, the message
 * it is handling included: what an rx_early taking a message would
 * overtake.
 */
struct queued_arg {
	struct copro_mbox_chan *chan;
	unsigned n;
};

static bool queued_is(void *arg)
{
	struct queued_arg *q = arg;

	return copro_mbox_rx_queued(q->chan) == q->n;
}

static void test_rx_queued(void **state)
{
	struct fixture f;
	struct queued_arg q;

	fx_open(&f, state, false, COPRO_MBOX_RX_DEFERRED, OVF_RING);
	q.chan = f.chan;
	assert_int_equal(copro_mbox_rx_queued(f.chan), 0);
	/*
	 * Threaded: the worker blocks in rx on the first message. Polled:
	 * dispatching the interrupt fills the ring, nobody drains it.
	 */
	if (f.e->threaded) {
		atomic_store(&f.r.gate_closed, true);
		inject_seq(f.t, CHAN, 0, 5);
	} else {
		inject_seq(f.t, CHAN, 0, 5);
		copro_platform_poll(f.e->p);
	}
	q.n = 5;
	assert_true(test_wait_until(queued_is, &q, TEST_TIMEOUT_NS));
	trec_open_gate(&f.r);
	struct rx_arg a = { &f.r, 5 };

	assert_true(tenv_wait(f.e, f.e->threaded ? NULL : f.chan, rx_has, &a));
	q.n = 0;
	assert_true(test_wait_until(queued_is, &q, TEST_TIMEOUT_NS));
	check_rx_order(&f.r, 5);
	fx_close(&f);
}

/*
 * A thread busy-polling the channel under copro_mbox_poll_hold delivers
 * what it queues: no message is left to the worker (stats.rx_worker,
 * which counts every queued message otherwise). Letting go hands what is
 * still up, in the controller or queued, to the worker: nothing is
 * stranded. Threaded only (a polled platform has no worker).
 */
static void test_rx_poll_hold(void **state)
{
	struct copro_mbox_stats st;
	struct fixture f;

	fx_open(&f, state, false, COPRO_MBOX_RX_DEFERRED, 64);
	/* Without a hold every queued message is the worker's. */
	inject_seq(f.t, CHAN, 0, 3);
	struct rx_arg a = { &f.r, 3 };

	assert_true(tenv_wait(f.e, NULL, rx_has, &a));
	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.rx_worker, 3);

	/*
	 * Held: our polls deliver (a worker still finishing its last pass
	 * may take some; none was handed to it).
	 */
	copro_mbox_poll_hold(f.chan, true);
	inject_seq(f.t, CHAN, 3, 23);
	for (uint64_t deadline = copro_deadline(TEST_TIMEOUT_NS);
	     trec_nrx(&f.r) < 23 && copro_deadline_left(deadline) > 0;)
		assert_true(copro_mbox_poll(f.chan) >= 0);
	assert_int_equal(trec_nrx(&f.r), 23);
	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.rx_worker, 3);

	/*
	 * Raised while held, never polled: letting go delivers them (the
	 * last look queues them and the releasing thread delivers them, or
	 * the interrupt thread, once woken, queues them for the worker:
	 * rx_worker then counts those).
	 */
	inject_seq(f.t, CHAN, 23, 30);
	copro_mbox_poll_hold(f.chan, false);
	a.n = 30;
	assert_true(tenv_wait(f.e, NULL, rx_has, &a));
	check_rx_order(&f.r, 30);
	copro_mbox_get_stats(f.chan, &st);
	assert_int_equal(st.received, 30);
	fx_close(&f);
}

/*
 * Letting go delivers what the last look queued in the releasing thread,
 * as its polls did, instead of waking the worker for it: with the
 * interrupt thread held (nobody else dispatches), every message raised
 * while held has been delivered when copro_mbox_poll_hold returns, and
 * none was queued for the worker.
 */
static void test_rx_poll_hold_release_delivers(void **state)
{
	struct copro_mbox_stats st;
	struct test_irq_gate gate;
	struct fixture f;
	unsigned got;

	fx_open(&f, state, false, COPRO_MBOX_RX_DEFERRED, 64);
	test_irq_gate_close(&gate, f.e->p, f.e->bus, TCTRL_GATE_LINE);
	copro_mbox_poll_hold(f.chan, true);
	inject_seq(f.t, CHAN, 0, 8);
	copro_mbox_poll_hold(f.chan, false);
	got = trec_nrx(&f.r);
	copro_mbox_get_stats(f.chan, &st);
	/* Let the interrupt thread go before any assertion can leave. */
	test_irq_gate_open(&gate);
	assert_int_equal(got, 8);
	assert_int_equal(st.rx_worker, 0);
	check_rx_order(&f.r, 8);
	test_irq_gate_free(&gate);
	fx_close(&f);
}

static void test_rx_overflow_enospc(void **state)
{
	run_overflow(state, false);
}

static void test_rx_overflow_room(void **state)
{
	run_overflow(state, true);
}

/* ---- replying from the rx callback ----------------------------------------------- */

struct echo {
	_Atomic unsigned n;
	_Atomic int err;
};

static void echo_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct echo *e = ctx;
	/* A reply from the callback: no framework lock may be held here. */
	int ret = copro_mbox_send(chan, msg, len, 0);

	if (ret)
		atomic_store(&e->err, ret);
	atomic_fetch_add(&e->n, 1);
}

struct echo_arg {
	struct tctrl *t;
	struct echo *e;
	unsigned n;
};

static bool echoed(void *arg)
{
	struct echo_arg *a = arg;

	return atomic_load(&a->e->err) ||
	       (atomic_load(&a->e->n) >= a->n &&
		tctrl_hw_count(a->t, CHAN) >= a->n);
}

static void run_echo(void **state, enum copro_mbox_rx_mode mode)
{
	struct tctrl_config cfg = {
		.name = "tc",
		.mode = COPRO_MBOX_TXDONE_CREDIT,
		.line = TCTRL_LINE_BASE + 1,
		.node = -1,
		.credit_depth = 16,
	};
	struct tenv *e = *state;
	struct echo ec = { 0 };
	struct copro_mbox_client cl = {
		.ctx = &ec,
		.rx = echo_rx,
		.rx_mode = mode,
		.tx_queue = 64,
	};
	struct copro_mbox_chan *chan;
	struct tctrl *t;

	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t), 0);
	assert_int_equal(copro_mbox_request(e->p, "tc", CHAN, &cl, &chan), 0);
	inject_seq(t, CHAN, 0, 40);
	struct echo_arg a = { t, &ec, 40 };

	assert_true(tenv_wait(e, chan, echoed, &a));
	assert_int_equal(atomic_load(&ec.err), 0);
	for (unsigned i = 0; i < 40; i++) {
		struct tctrl_msg m = tctrl_hw_msg(t, CHAN, i);

		assert_int_equal(tmsg_seq(&m), i);
	}
	copro_mbox_free(chan);
	tctrl_destroy(t);
}

static void test_echo_irq(void **state)
{
	run_echo(state, COPRO_MBOX_RX_IRQ);
}

static void test_echo_deferred(void **state)
{
	run_echo(state, COPRO_MBOX_RX_DEFERRED);
}

/* ---- unbinding waits for a running callback ------------------------------------- */

struct freer {
	struct copro_mbox_chan *chan;
	_Atomic bool done;
};

static void *free_thread(void *arg)
{
	struct freer *fr = arg;

	copro_mbox_free(fr->chan);
	atomic_store(&fr->done, true);
	return NULL;
}

static bool in_rx(void *arg)
{
	return atomic_load(&((struct trec *)arg)->in_rx) == 1;
}

/* A bidirectional channel has send room until copro_mbox_free begins. */
static bool free_began(void *arg)
{
	return copro_mbox_tx_room(arg) == 0;
}

static void test_free_waits_for_callback(void **state)
{
	struct fixture f;
	struct copro_thread th;

	fx_open(&f, state, false, COPRO_MBOX_RX_DEFERRED, 4);
	atomic_store(&f.r.gate_closed, true);
	inject_seq(f.t, CHAN, 0, 3);
	/* The worker is inside the client's rx, held at the gate. */
	assert_true(test_wait_until(in_rx, &f.r, TEST_TIMEOUT_NS));

	struct freer fr = { .chan = f.chan };

	assert_true(copro_mbox_tx_room(f.chan) > 0);
	assert_int_equal(copro_thread_start(&th, "free", free_thread, &fr), 0);
	assert_true(test_wait_until(free_began, f.chan, TEST_TIMEOUT_NS));
	/*
	 * Begun, yet it must not return while the callback runs, nor shut
	 * the controller's side down under a call still inside the channel.
	 */
	copro_sleep_ns(20 * COPRO_NSEC_PER_MSEC);
	assert_false(atomic_load(&fr.done));
	assert_int_equal(tctrl_shutdowns(f.t, CHAN), 0);
	assert_int_equal(atomic_load(&f.r.in_rx), 1);
	trec_open_gate(&f.r);
	copro_thread_join(&th);
	assert_true(atomic_load(&fr.done));
	assert_int_equal(tctrl_shutdowns(f.t, CHAN), 1);
	assert_int_equal(atomic_load(&f.r.in_rx), 0);
	/* Delivery stopped with the unbinding: the rest was dropped. */
	assert_true(trec_nrx(&f.r) >= 1);
	assert_true(trec_nrx(&f.r) <= 3);

	tctrl_destroy(f.t);
	trec_fini(&f.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_rx_irq_context, tenv_setup, tenv_teardown),
		TEST_BOTH(test_rx_deferred, tenv_setup, tenv_teardown),
		TEST_BOTH(test_rx_counted_before_client, tenv_setup, tenv_teardown),
		TEST_BOTH(test_rx_early, tenv_setup, tenv_teardown),
		TEST_BOTH(test_rx_queued, tenv_setup, tenv_teardown),
		TEST_THREADED(test_rx_poll_hold, tenv_setup, tenv_teardown),
		TEST_THREADED(test_rx_poll_hold_release_delivers, tenv_setup,
			      tenv_teardown),
		TEST_BOTH(test_rx_overflow_enospc, tenv_setup, tenv_teardown),
		TEST_BOTH(test_rx_overflow_room, tenv_setup, tenv_teardown),
		TEST_BOTH(test_echo_irq, tenv_setup, tenv_teardown),
		TEST_BOTH(test_echo_deferred, tenv_setup, tenv_teardown),
		TEST_THREADED(test_free_waits_for_callback, tenv_setup,
			      tenv_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
