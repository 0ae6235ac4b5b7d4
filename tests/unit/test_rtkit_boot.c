// SPDX-License-Identifier: MIT
/*
 * RTKit host library, the boot handshake (hardware.md 2.1, 2.2) against a
 * scripted coprocessor on the t8103 board: versions, endpoint maps in one
 * and several chunks, lost answers (timeouts), messages out of sequence,
 * with the platform's threads and fully polled.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>

#include <copro/regs/rtkit.h>
#include <copro/sim/bus.h>
#include <copro/rtkit.h>

#include "test_iop.h"
#include "test_irq_gate.h"
#include "test_modes.h"

/* Short, so that the timeout tests stay fast; generous for a live peer. */
#define SHORT_TIMEOUT_NS (200 * COPRO_NSEC_PER_MSEC)

static const struct copro_rtkit_config default_cfg = { 0 };

static void open_bench(struct test_rtk *t, void **state,
		       const struct test_iop_config *icfg,
		       const struct copro_rtkit_config *cfg)
{
	test_rtk_open(t, test_threaded(state), icfg);
	assert_int_equal(test_rtk_create(t, cfg ? cfg : &default_cfg), 0);
}

/* The n-th AP message must be (ep, msg). */
static void expect_ap(struct test_rtk *t, size_t *cur, uint8_t ep,
		      uint64_t want)
{
	uint64_t got;

	assert_true(test_rtk_wait_ap(t, cur, ep, -1, &got));
	assert_int_equal(got, want);
}

struct count_arg {
	struct copro_rtkit *rtk;
	uint64_t received, refused;
};

static bool counted(void *arg)
{
	struct count_arg *a = arg;
	struct copro_rtkit_stats st;

	copro_rtkit_get_stats(a->rtk, &st);
	return st.received >= a->received && st.refused >= a->refused;
}

static uint64_t mgmt(unsigned type, uint64_t fields)
{
	return RTK_MGMT_TYPE_MAKE(type) | fields;
}

static void test_boot(void **state)
{
	struct test_rtk t;
	struct copro_rtkit_stats st;
	size_t cur = 0;

	open_bench(&t, state, NULL, NULL);
	assert_false(copro_rtkit_is_running(t.rtk));
	assert_int_equal(copro_rtkit_version(t.rtk), 0);
	assert_int_equal(test_rtk_boot(&t), 0);
	assert_true(copro_rtkit_is_running(t.rtk));
	assert_false(copro_rtkit_is_crashed(t.rtk));
	assert_int_equal(copro_rtkit_version(t.rtk), 12);
	assert_int_equal(copro_rtkit_iop_state(t.rtk), COPRO_RTKIT_PWR_ON);
	assert_int_equal(copro_rtkit_ap_state(t.rtk), COPRO_RTKIT_PWR_ON);
	for (unsigned ep = 0; ep < 0x100; ep++) {
		bool want = ep == 0 || ep == 1 || ep == 2 || ep == 3 ||
			    ep == 4 || ep == 8 || ep == TEST_IOP_APP_EP;

		assert_int_equal(copro_rtkit_has_ep(t.rtk, (uint8_t)ep), want);
	}

	/* Exactly the AP's half of the handshake, in order. */
	expect_ap(&t, &cur, 0, mgmt(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	/* Endpoint 0x20 is in the second chunk. */
	expect_ap(&t, &cur, 0,
		  mgmt(RTK_MGMT_EPMAP, RTK_EPMAP_BASE_MAKE(0) | RTK_EPMAP_MORE));
	expect_ap(&t, &cur, 0,
		  mgmt(RTK_MGMT_EPMAP, RTK_EPMAP_BASE_MAKE(1) | RTK_EPMAP_LAST));
	static const unsigned sys[] = { 1, 2, 3, 4, 8 };

	for (size_t i = 0; i < 5; i++)
		expect_ap(&t, &cur, 0,
			  mgmt(RTK_MGMT_STARTEP, RTK_STARTEP_MAKE(sys[i])));
	expect_ap(&t, &cur, 0,
		  mgmt(RTK_MGMT_SET_AP_PWR_STATE,
		       RTK_PWR_STATE_MAKE(COPRO_RTKIT_PWR_ON)));
	assert_int_equal(test_iop_count(t.iop), cur);
	assert_int_equal(test_iop_version(t.iop), 12);
	/* The application endpoint is the client's to start. */
	assert_int_equal(test_iop_count_of(t.iop, 0, RTK_MGMT_STARTEP), 5);

	copro_rtkit_get_stats(t.rtk, &st);
	assert_int_equal(st.sent, 9);
	assert_int_equal(st.received, 5); /* HELLO, 2 EPMAP, IOP ON, AP ACK */
	assert_int_equal(st.refused, 0);
	test_logcap_expect(&t.cap, "info: rtk: running (protocol version 12)");

	/* Booting twice is an error, and changes nothing. */
	assert_int_equal(copro_rtkit_boot(t.rtk), -EBUSY);
	assert_true(copro_rtkit_is_running(t.rtk));
	test_rtk_close(&t);
}

static void run_version(void **state, unsigned min, unsigned max, int want_ret,
			unsigned want_ver)
{
	struct test_iop_config icfg = { .ver_min = min, .ver_max = max };
	struct test_rtk t;

	open_bench(&t, state, &icfg, NULL);
	assert_int_equal(test_rtk_boot(&t), want_ret);
	assert_int_equal(copro_rtkit_is_running(t.rtk), want_ret == 0);
	assert_int_equal(copro_rtkit_version(t.rtk), want_ver);
	if (want_ret) {
		/* Nothing was answered: not even HELLO_REPLY. */
		assert_int_equal(test_iop_count(t.iop), 0);
		test_logcap_expect(&t.cap, "this host speaks 11 to 12");
	} else {
		assert_int_equal(test_iop_version(t.iop), want_ver);
	}
	test_rtk_close(&t);
}

static void test_version_11(void **state)
{
	run_version(state, 11, 11, 0, 11);
}

static void test_version_12_of_wider_range(void **state)
{
	run_version(state, 5, 20, 0, 12);
}

static void test_version_min_above_12(void **state)
{
	run_version(state, 13, 14, -EPROTONOSUPPORT, 0);
}

static void test_version_max_below_11(void **state)
{
	run_version(state, 9, 10, -EPROTONOSUPPORT, 0);
}

static void test_multi_chunk_epmap(void **state)
{
	struct test_iop_config icfg = {
		.eps = { (1ull << 1) | (1ull << 2) | (1ull << 3) | (1ull << 4) |
				 (1ull << 5) | (1ull << 8) | (1ull << 0x0a) |
				 (1ull << 0x21),
			 1ull << (0x55 - 64), 0, 1ull << 63 },
	};
	struct test_rtk t;
	size_t cur = 0;

	open_bench(&t, state, &icfg, NULL);
	assert_int_equal(test_rtk_boot(&t), 0);
	assert_true(copro_rtkit_has_ep(t.rtk, 0x21));
	assert_true(copro_rtkit_has_ep(t.rtk, 0x55));
	assert_true(copro_rtkit_has_ep(t.rtk, 0xff));
	assert_true(copro_rtkit_has_ep(t.rtk, 0x0a));
	assert_false(copro_rtkit_has_ep(t.rtk, 0x20));
	assert_false(copro_rtkit_has_ep(t.rtk, 0x56));
	/* Every chunk answered with its base; MORE until the LAST one. */
	expect_ap(&t, &cur, 0, mgmt(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	for (unsigned base = 0; base < 7; base++)
		expect_ap(&t, &cur, 0,
			  mgmt(RTK_MGMT_EPMAP,
			       RTK_EPMAP_BASE_MAKE(base) | RTK_EPMAP_MORE));
	expect_ap(&t, &cur, 0,
		  mgmt(RTK_MGMT_EPMAP, RTK_EPMAP_BASE_MAKE(7) | RTK_EPMAP_LAST));
	/*
	 * Tracekit is a system endpoint the host has no use for (real
	 * firmware boots without it); 0x05 is one nobody knows.
	 */
	assert_int_equal(test_iop_count_of(t.iop, 0, RTK_MGMT_STARTEP), 5);
	test_logcap_expect(&t.cap, "tracekit endpoint not started");
	test_logcap_expect(&t.cap, "warn: rtk: unknown system endpoint 0x05 in the map: not started");
	test_rtk_close(&t);
}

/* ---- lost answers --------------------------------------------------------- */

static void run_timeout(void **state, const struct test_iop_config *icfg,
			const char *what)
{
	struct copro_rtkit_config cfg = { .timeout_ns = SHORT_TIMEOUT_NS };
	struct test_rtk t;

	open_bench(&t, state, icfg, &cfg);
	assert_int_equal(test_rtk_boot(&t), -ETIMEDOUT);
	assert_false(copro_rtkit_is_running(t.rtk));
	test_logcap_expect(&t.cap, "err: rtk: timed out after 200 ms waiting for");
	test_logcap_expect(&t.cap, what);
	test_rtk_close(&t);
}

static void test_timeout_no_hello(void **state)
{
	struct test_iop_config icfg = { .no_hello = true };

	run_timeout(state, &icfg, "the boot handshake");
}

static void test_timeout_no_iop_on(void **state)
{
	struct test_iop_config icfg = { .no_iop_on = true };

	run_timeout(state, &icfg, "the boot handshake");
}

static void test_timeout_no_ap_ack(void **state)
{
	struct test_iop_config icfg = { .no_ap_ack = true };
	/* Long enough for the steps before AP ON even on a busy machine. */
	struct copro_rtkit_config cfg = { .timeout_ns = COPRO_NSEC_PER_SEC };
	struct test_rtk t;
	size_t cur = 0;

	open_bench(&t, state, &icfg, &cfg);
	assert_int_equal(test_rtk_boot(&t), -ETIMEDOUT);
	assert_false(copro_rtkit_is_running(t.rtk));
	assert_true(test_rtk_wait_ap(&t, &cur, 0, RTK_MGMT_SET_AP_PWR_STATE,
				     NULL));
	/* A late ACK does not make a failed boot run. */
	struct copro_rtkit_stats st;

	copro_rtkit_get_stats(t.rtk, &st);
	struct count_arg a = { t.rtk, st.received + 1, 0 };

	assert_int_equal(test_iop_send(t.iop, 0,
				       mgmt(RTK_MGMT_SET_AP_PWR_STATE,
					    RTK_PWR_STATE_MAKE(COPRO_RTKIT_PWR_ON))),
			 0);

	assert_true(test_rtk_wait(&t, counted, &a));
	assert_false(copro_rtkit_is_running(t.rtk));
	assert_int_equal(copro_rtkit_ap_state(t.rtk), COPRO_RTKIT_PWR_ON);
	/* Application endpoints stay closed. */
	assert_int_equal(copro_rtkit_start_ep(t.rtk, TEST_IOP_APP_EP), -ENOTCONN);
	test_rtk_close(&t);
}

/* ---- out of sequence ---------------------------------------------------- */

struct oos {
	unsigned when;	    /* AP message type that triggers the intrusion */
	uint64_t intruder;  /* what the IOP sends instead of the next step */
};

static bool oos_hook(void *ctx, struct test_iop *iop, uint8_t ep, uint64_t msg)
{
	struct oos *o = ctx;

	if (ep != 0 || RTK_MGMT_TYPE(msg) != o->when)
		return false;
	/* After the whole map, not after its first chunk. */
	if (o->when == RTK_MGMT_EPMAP && !(msg & RTK_EPMAP_LAST))
		return false;
	test_iop_send(iop, 0, o->intruder);
	return true;
}

static void run_oos(void **state, unsigned when, uint64_t intruder,
		    const char *why)
{
	struct oos o = { when, intruder };
	struct test_iop_config icfg = { .hook = oos_hook, .hook_ctx = &o };
	struct copro_rtkit_config cfg = { .timeout_ns = 5 * COPRO_NSEC_PER_SEC };
	struct copro_rtkit_stats st;
	struct test_rtk t;

	open_bench(&t, state, &icfg, &cfg);
	/* Fails at once, long before the timeout. */
	assert_int_equal(test_rtk_boot(&t), -EPROTO);
	assert_false(copro_rtkit_is_running(t.rtk));
	test_logcap_expect(&t.cap, why);
	copro_rtkit_get_stats(t.rtk, &st);
	assert_int_equal(st.refused, 1);
	test_rtk_close(&t);
}

/* The firmware restarts once, where `when` says, instead of going on. */
struct restart {
	unsigned when;
	bool done;
};

static bool restart_hook(void *ctx, struct test_iop *iop, uint8_t ep,
			 uint64_t msg)
{
	struct restart *r = ctx;

	if (r->done || ep != 0 || RTK_MGMT_TYPE(msg) != r->when)
		return false;
	if (r->when == RTK_MGMT_EPMAP && !(msg & RTK_EPMAP_LAST))
		return false;
	r->done = true;
	test_iop_restart(iop);
	return true;
}

/*
 * A HELLO in the middle of the handshake is a restarted coprocessor: it
 * is answered and the handshake starts over, as every public driver
 * answers a HELLO whenever it comes.
 */
static void run_restart(void **state, unsigned when)
{
	struct restart r = { when, false };
	struct test_iop_config icfg = { .hook = restart_hook, .hook_ctx = &r };
	struct copro_rtkit_stats st;
	struct test_rtk t;

	open_bench(&t, state, &icfg, NULL);
	assert_int_equal(test_rtk_boot(&t), 0);
	assert_true(copro_rtkit_is_running(t.rtk));
	assert_true(r.done);
	assert_int_equal(test_iop_count_of(t.iop, 0, RTK_MGMT_HELLO_REPLY), 2);
	/* The system endpoints are started again in the new handshake. */
	assert_int_equal(test_iop_count_of(t.iop, 0, RTK_MGMT_STARTEP),
			 when == RTK_MGMT_EPMAP ? 10 : 5);
	test_logcap_expect(&t.cap, "restarted (HELLO in the middle of the handshake)");
	copro_rtkit_get_stats(t.rtk, &st);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.restarts, 1);
	test_rtk_close(&t);
}

static void test_hello_during_epmap(void **state)
{
	run_restart(state, RTK_MGMT_HELLO_REPLY);
}

static void test_hello_after_map(void **state)
{
	run_restart(state, RTK_MGMT_EPMAP);
}

static void test_epmap_after_map(void **state)
{
	run_oos(state, RTK_MGMT_SET_AP_PWR_STATE,
		mgmt(RTK_MGMT_EPMAP, RTK_EPMAP_LAST | 0x2),
		"EPMAP waiting for the AP ON ACK");
}

static void test_ap_on_refused(void **state)
{
	struct oos o = { RTK_MGMT_SET_AP_PWR_STATE,
			 mgmt(RTK_MGMT_SET_AP_PWR_STATE,
			      RTK_PWR_STATE_MAKE(COPRO_RTKIT_PWR_SLEEP)) };
	struct test_iop_config icfg = { .hook = oos_hook, .hook_ctx = &o };
	struct test_rtk t;

	open_bench(&t, state, &icfg, NULL);
	assert_int_equal(test_rtk_boot(&t), -EPROTO);
	assert_false(copro_rtkit_is_running(t.rtk));
	test_logcap_expect(&t.cap, "AP ON answered with SLEEP (0x1)");
	test_rtk_close(&t);
}

/* A map before any HELLO: nobody is booting, so it is only refused. */
static void test_epmap_before_hello(void **state)
{
	struct test_iop_config icfg = { .no_hello = true };
	struct copro_rtkit_stats st;
	struct test_rtk t;

	open_bench(&t, state, &icfg, NULL);
	test_rtk_cpu(&t, true);
	assert_int_equal(test_iop_send(t.iop, 0,
				       mgmt(RTK_MGMT_EPMAP, RTK_EPMAP_LAST | 2)),
			 0);
	assert_int_equal(test_iop_send(t.iop, 0, mgmt(0x3f, 0)), 0);
	struct count_arg a = { t.rtk, 2, 2 };

	assert_true(test_rtk_wait(&t, counted, &a));
	assert_int_equal(test_iop_send(t.iop, 0,
				       mgmt(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12))),
			 0);
	/* The HELLO still boots it. */
	assert_int_equal(copro_rtkit_boot(t.rtk), 0);
	copro_rtkit_get_stats(t.rtk, &st);
	assert_int_equal(st.refused, 2);
	test_logcap_expect(&t.cap, "EPMAP not booting");
	test_logcap_expect(&t.cap, "unknown management message type 0x3f");
	test_rtk_close(&t);
}

static void test_bad_config(void **state)
{
	struct copro_rtkit_config cfgs[] = {
		{ .shmem_mode = 7 },
		{ .shmem_mode = COPRO_RTKIT_SHMEM_SART },
		{ .shmem_mode = COPRO_RTKIT_SHMEM_MMIO },
		{ .shmem_mode = COPRO_RTKIT_SHMEM_IOVA, .iova_base = ~0ull,
		  .iova_size = 2 },
		{ .timeout_ns = -1 },
		{ .wake_iop_state = COPRO_RTKIT_PWR_SLEEP },
	};
	struct test_rtk t;

	test_rtk_open(&t, test_threaded(state), NULL);
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		assert_int_equal(test_rtk_create(&t, &cfgs[i]), -EINVAL);
		assert_null(t.rtk);
	}
	test_logcap_expect(&t.cap, "rtk: bad configuration: SART mode without a SART");
	/* A node without a mailbox. */
	int sart = copro_dt_next_compatible(t.dt, -1, "apple,t8103-sart");
	struct copro_rtkit *rtk = NULL;

	assert_true(copro_rtkit_create(t.p, sart, &default_cfg, &rtk) < 0);
	assert_null(rtk);
	test_rtk_close(&t);
}

/* ---- the lifecycle waiter polls (threaded) ------------------------------- */

/* A line of the bus no model drives: the gate holding the interrupt thread. */
#define BLOCK_LINE 4000

struct waiter_bench {
	struct test_irq_gate gate;
	_Atomic int hello_by; /* 0: not yet; 1: the waiter; 2: another thread */
};

static _Thread_local bool tl_in_boot;

static void wb_trace(void *ctx, bool to_iop, uint8_t ep, uint64_t msg,
		     uint64_t time_ns)
{
	struct waiter_bench *wb = ctx;
	int none = 0;

	(void)time_ns;
	if (!to_iop && ep == COPRO_RTKIT_EP_MGMT &&
	    RTK_MGMT_TYPE(msg) == RTK_MGMT_HELLO)
		atomic_compare_exchange_strong(&wb->hello_by, &none,
					       tl_in_boot ? 1 : 2);
}

static bool wb_hello(void *arg)
{
	return atomic_load(&((struct waiter_bench *)arg)->hello_by) != 0;
}

/* Lets the interrupt thread go once the HELLO was handled (or never). */
static void *wb_opener(void *arg)
{
	struct waiter_bench *wb = arg;

	test_wait_until(wb_hello, wb, TEST_TIMEOUT_NS);
	test_irq_gate_open(&wb->gate);
	return NULL;
}

/*
 * On a threaded platform a boot's waiter polls the mailbox itself while
 * the coprocessor answers (copro_mbox_poll_hold), and so handles a
 * HELLO that is waiting in the FIFO while the interrupt thread is busy
 * elsewhere (here: held in another line's handler until the HELLO was
 * handled). A waiter that only slept would see it handled by nobody
 * until the interrupt thread came back, and then by that thread.
 */
static void test_waiter_polls(void **state)
{
	static const struct copro_rtkit_ops ops = { .trace = wb_trace };
	struct waiter_bench wb = { 0 };
	const struct copro_rtkit_config cfg = { .ops = &ops, .ctx = &wb };
	struct copro_thread th;
	struct test_rtk t;

	open_bench(&t, state, &(struct test_iop_config){ .no_hello = true },
		   &cfg);
	test_irq_gate_close(&wb.gate, t.p, t.bus, BLOCK_LINE);
	test_rtk_cpu(&t, true);
	assert_int_equal(test_iop_send(t.iop, COPRO_RTKIT_EP_MGMT,
				       RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO) |
					       RTK_HELLO_MAKE(11, 12)),
			 0);
	assert_int_equal(copro_thread_start(&th, "opener", wb_opener, &wb), 0);
	tl_in_boot = true;
	assert_int_equal(copro_rtkit_boot(t.rtk), 0);
	tl_in_boot = false;
	copro_thread_join(&th);
	assert_int_equal(atomic_load(&wb.hello_by), 1);
	assert_true(copro_rtkit_is_running(t.rtk));
	test_irq_gate_free(&wb.gate);
	test_rtk_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_boot, NULL, NULL),
		TEST_BOTH(test_version_11, NULL, NULL),
		TEST_BOTH(test_version_12_of_wider_range, NULL, NULL),
		TEST_BOTH(test_version_min_above_12, NULL, NULL),
		TEST_BOTH(test_version_max_below_11, NULL, NULL),
		TEST_BOTH(test_multi_chunk_epmap, NULL, NULL),
		TEST_BOTH(test_timeout_no_hello, NULL, NULL),
		TEST_BOTH(test_timeout_no_iop_on, NULL, NULL),
		TEST_BOTH(test_timeout_no_ap_ack, NULL, NULL),
		TEST_BOTH(test_hello_during_epmap, NULL, NULL),
		TEST_BOTH(test_hello_after_map, NULL, NULL),
		TEST_BOTH(test_epmap_after_map, NULL, NULL),
		TEST_BOTH(test_ap_on_refused, NULL, NULL),
		TEST_BOTH(test_epmap_before_hello, NULL, NULL),
		TEST_BOTH(test_bad_config, NULL, NULL),
		TEST_THREADED(test_waiter_polls, NULL, NULL),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
