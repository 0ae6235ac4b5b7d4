// SPDX-License-Identifier: MIT
/*
 * RTKit host library, the lifecycle after boot (hardware.md 2.2): shutdown and
 * boot again, quiesce and wake, idle, poweroff (after which wake is
 * refused), reinit, and lost ACKs, threaded and polled.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>

#include "test_iop.h"
#include "test_modes.h"

#define SHORT_TIMEOUT_NS (200 * COPRO_NSEC_PER_MSEC)

static uint64_t mgmt(unsigned type, uint64_t fields)
{
	return RTK_MGMT_TYPE_MAKE(type) | fields;
}

static uint64_t pwr(unsigned type, unsigned state)
{
	return mgmt(type, RTK_PWR_STATE_MAKE(state));
}

static void boot_bench(struct test_rtk *t, void **state,
		       const struct test_iop_config *icfg,
		       const struct copro_rtkit_config *cfg)
{
	static const struct copro_rtkit_config none = { 0 };

	test_rtk_open(t, test_threaded(state), icfg);
	assert_int_equal(test_rtk_create(t, cfg ? cfg : &none), 0);
	assert_int_equal(test_rtk_boot(t), 0);
}

/* The AP messages after *cur must start with exactly these. */
static void expect_next(struct test_rtk *t, size_t *cur, uint64_t want)
{
	uint8_t ep;
	uint64_t got;

	assert_true(test_rtk_wait_ap(t, cur, 0, -1, NULL));
	assert_true(test_iop_get(t->iop, *cur - 1, &ep, &got));
	assert_int_equal(got, want);
}

static void expect_forgotten(struct test_rtk *t)
{
	assert_false(copro_rtkit_is_running(t->rtk));
	assert_false(copro_rtkit_is_crashed(t->rtk));
	assert_int_equal(copro_rtkit_version(t->rtk), 0);
	assert_true(copro_rtkit_has_ep(t->rtk, 0));
	for (unsigned ep = 1; ep < 0x100; ep++)
		assert_false(copro_rtkit_has_ep(t->rtk, (uint8_t)ep));
	for (unsigned ep = 0; ep < 0x20; ep++)
		assert_null(copro_rtkit_shmem(t->rtk, (uint8_t)ep));
}

static void test_shutdown_then_boot_again(void **state)
{
	struct test_rtk t;
	size_t cur;

	boot_bench(&t, state, NULL, NULL);
	cur = test_iop_count(t.iop);
	assert_int_equal(copro_rtkit_shutdown(t.rtk), 0);
	expect_next(&t, &cur,
		    pwr(RTK_MGMT_SET_AP_PWR_STATE, COPRO_RTKIT_PWR_QUIESCED));
	expect_next(&t, &cur,
		    pwr(RTK_MGMT_SET_IOP_PWR_STATE, COPRO_RTKIT_PWR_SLEEP));
	expect_forgotten(&t);
	assert_int_equal(copro_rtkit_iop_state(t.rtk), COPRO_RTKIT_PWR_OFF);
	assert_int_equal(copro_rtkit_ap_state(t.rtk), COPRO_RTKIT_PWR_OFF);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, TEST_IOP_APP_EP), -EINVAL);

	/* A reset coprocessor boots from the start. */
	test_rtk_cpu(&t, false);
	assert_int_equal(test_rtk_boot(&t), 0);
	assert_true(copro_rtkit_is_running(t.rtk));
	assert_true(copro_rtkit_has_ep(t.rtk, TEST_IOP_APP_EP));
	assert_int_equal(copro_rtkit_start_ep(t.rtk, TEST_IOP_APP_EP), 0);
	test_rtk_close(&t);
}

/*
 * Wake after quiesce (or shutdown) is a new handshake: the IOP state
 * request, then HELLO, the map and the system endpoints again, IOP ON
 * and AP ON (hardware.md 2.2, as every public driver expects).
 */
static void run_quiesce_wake(void **state, unsigned wake_state)
{
	struct copro_rtkit_config cfg = { .wake_iop_state = wake_state };
	struct test_rtk t;
	size_t cur, hellos;

	boot_bench(&t, state, NULL, &cfg);
	cur = test_iop_count(t.iop);
	assert_int_equal(copro_rtkit_quiesce(t.rtk), 0);
	expect_next(&t, &cur,
		    pwr(RTK_MGMT_SET_AP_PWR_STATE, COPRO_RTKIT_PWR_QUIESCED));
	expect_next(&t, &cur,
		    pwr(RTK_MGMT_SET_IOP_PWR_STATE, COPRO_RTKIT_PWR_QUIESCED));
	assert_false(copro_rtkit_is_running(t.rtk));
	assert_int_equal(copro_rtkit_iop_state(t.rtk), COPRO_RTKIT_PWR_QUIESCED);
	assert_int_equal(copro_rtkit_ap_state(t.rtk), COPRO_RTKIT_PWR_QUIESCED);
	assert_false(copro_rtkit_has_ep(t.rtk, TEST_IOP_APP_EP));

	hellos = test_iop_count_of(t.iop, 0, RTK_MGMT_HELLO_REPLY);
	assert_int_equal(copro_rtkit_wake(t.rtk), 0);
	expect_next(&t, &cur,
		    pwr(RTK_MGMT_SET_IOP_PWR_STATE,
			wake_state ? wake_state : COPRO_RTKIT_PWR_INIT));
	expect_next(&t, &cur, mgmt(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	assert_int_equal(test_iop_count_of(t.iop, 0, RTK_MGMT_HELLO_REPLY),
			 hellos + 1);
	assert_true(test_rtk_wait_ap(&t, &cur, 0, RTK_MGMT_SET_AP_PWR_STATE, NULL));
	assert_true(copro_rtkit_is_running(t.rtk));
	/* The whole map again, and the system endpoints started again. */
	assert_true(copro_rtkit_has_ep(t.rtk, TEST_IOP_APP_EP));
	assert_int_equal(test_iop_count_of(t.iop, 0, RTK_MGMT_STARTEP), 10);
	assert_int_equal(copro_rtkit_iop_state(t.rtk), COPRO_RTKIT_PWR_ON);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, TEST_IOP_APP_EP), 0);
	/* Waking a running coprocessor is an error. */
	assert_int_equal(copro_rtkit_wake(t.rtk), -EBUSY);
	test_rtk_close(&t);
}

static void test_quiesce_then_wake(void **state)
{
	run_quiesce_wake(state, 0);
}

static void test_quiesce_then_wake_on(void **state)
{
	run_quiesce_wake(state, COPRO_RTKIT_PWR_ON);
}

static void test_idle_then_wake(void **state)
{
	struct test_rtk t;
	size_t cur;

	boot_bench(&t, state, NULL, NULL);
	cur = test_iop_count(t.iop);
	assert_int_equal(copro_rtkit_idle(t.rtk), 0);
	/* AP IDLE, then IOP IDLE, each acknowledged (Linux's order). */
	expect_next(&t, &cur, pwr(RTK_MGMT_SET_AP_PWR_STATE, COPRO_RTKIT_PWR_IDLE));
	expect_next(&t, &cur, pwr(RTK_MGMT_SET_IOP_PWR_STATE, COPRO_RTKIT_PWR_IDLE));
	assert_int_equal(copro_rtkit_ap_state(t.rtk), COPRO_RTKIT_PWR_IDLE);
	assert_int_equal(copro_rtkit_iop_state(t.rtk), COPRO_RTKIT_PWR_IDLE);
	assert_false(copro_rtkit_is_running(t.rtk));
	/* Idle keeps what the coprocessor set up... */
	assert_true(copro_rtkit_has_ep(t.rtk, TEST_IOP_APP_EP));
	/* ...but it is not to be talked to until woken. */
	assert_int_equal(copro_rtkit_start_ep(t.rtk, TEST_IOP_APP_EP), -ENOTCONN);
	/* It kept its session too: IOP ON and AP ON, no new HELLO. */
	assert_int_equal(copro_rtkit_wake(t.rtk), 0);
	expect_next(&t, &cur, pwr(RTK_MGMT_SET_IOP_PWR_STATE, COPRO_RTKIT_PWR_INIT));
	expect_next(&t, &cur, pwr(RTK_MGMT_SET_AP_PWR_STATE, COPRO_RTKIT_PWR_ON));
	assert_int_equal(test_iop_count_of(t.iop, 0, RTK_MGMT_HELLO_REPLY), 1);
	assert_true(copro_rtkit_is_running(t.rtk));
	assert_int_equal(copro_rtkit_start_ep(t.rtk, TEST_IOP_APP_EP), 0);
	test_rtk_close(&t);
}

static void test_poweroff_then_wake_refused(void **state)
{
	struct test_rtk t;
	size_t cur;

	boot_bench(&t, state, NULL, NULL);
	cur = test_iop_count(t.iop);
	assert_int_equal(copro_rtkit_poweroff(t.rtk), 0);
	expect_next(&t, &cur, pwr(RTK_MGMT_SET_AP_PWR_STATE, COPRO_RTKIT_PWR_OFF));
	expect_next(&t, &cur, pwr(RTK_MGMT_SET_IOP_PWR_STATE, COPRO_RTKIT_PWR_OFF));
	expect_forgotten(&t);
	assert_int_equal(copro_rtkit_wake(t.rtk), -EPERM);
	test_logcap_expect(&t.cap, "wake refused: the coprocessor was powered off");
	/* Nothing was sent for it. */
	assert_int_equal(test_iop_count(t.iop), cur);
	/* A full restart still works. */
	test_rtk_cpu(&t, false);
	assert_int_equal(test_rtk_boot(&t), 0);
	test_rtk_close(&t);
}

static void test_reinit(void **state)
{
	struct test_rtk t;
	size_t cur = 0;

	boot_bench(&t, state, NULL, NULL);
	assert_int_equal(test_iop_send(t.iop, COPRO_RTKIT_EP_SYSLOG,
				       RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) |
					       RTK_BUF_SIZE_MAKE(2)),
			 0);
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_SYSLOG,
				     RTK_BUFFER_REQUEST, NULL));
	assert_non_null(copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_SYSLOG));
	test_rtk_cpu(&t, false);
	assert_int_equal(copro_rtkit_reinit(t.rtk), 0);
	expect_forgotten(&t);
	assert_int_equal(copro_rtkit_iop_state(t.rtk), COPRO_RTKIT_PWR_OFF);
	assert_int_equal(copro_rtkit_ap_state(t.rtk), COPRO_RTKIT_PWR_OFF);
	/* And it boots again, buffers and all. */
	assert_int_equal(test_rtk_boot(&t), 0);
	cur = test_iop_count(t.iop);
	assert_int_equal(test_iop_send(t.iop, COPRO_RTKIT_EP_SYSLOG,
				       RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) |
					       RTK_BUF_SIZE_MAKE(2)),
			 0);
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_SYSLOG,
				     RTK_BUFFER_REQUEST, NULL));
	test_rtk_close(&t);
}

/* ---- lost ACKs ------------------------------------------------------------- */

struct drop {
	unsigned type; /* SET_AP_PWR_STATE or SET_IOP_PWR_STATE */
	unsigned state;
};

/* Leaves one power-state request unanswered. */
static bool drop_hook(void *ctx, struct test_iop *iop, uint8_t ep, uint64_t msg)
{
	struct drop *d = ctx;

	(void)iop;
	return ep == 0 && RTK_MGMT_TYPE(msg) == d->type &&
	       RTK_PWR_STATE(msg) == d->state;
}

static void run_lost_ack(void **state, unsigned type, unsigned pstate,
			 int (*op)(struct copro_rtkit *), const char *what)
{
	struct drop d = { type, pstate };
	struct test_iop_config icfg = { .hook = drop_hook, .hook_ctx = &d };
	struct test_rtk t;

	boot_bench(&t, state, &icfg, NULL);
	assert_int_equal(copro_rtkit_set_timeout(t.rtk, SHORT_TIMEOUT_NS), 0);
	assert_int_equal(op(t.rtk), -ETIMEDOUT);
	assert_false(copro_rtkit_is_running(t.rtk));
	test_logcap_expect(&t.cap, what);
	test_rtk_close(&t);
}

static void test_shutdown_lost_ap_ack(void **state)
{
	run_lost_ack(state, RTK_MGMT_SET_AP_PWR_STATE, COPRO_RTKIT_PWR_QUIESCED,
		     copro_rtkit_shutdown, "waiting for the AP QUIESCED ACK");
}

static void test_shutdown_lost_iop_ack(void **state)
{
	run_lost_ack(state, RTK_MGMT_SET_IOP_PWR_STATE, COPRO_RTKIT_PWR_SLEEP,
		     copro_rtkit_shutdown, "waiting for the IOP SLEEP ACK");
}

static void test_idle_lost_ack(void **state)
{
	run_lost_ack(state, RTK_MGMT_SET_AP_PWR_STATE, COPRO_RTKIT_PWR_IDLE,
		     copro_rtkit_idle, "waiting for the AP IDLE ACK");
}

static void test_poweroff_lost_iop_ack(void **state)
{
	run_lost_ack(state, RTK_MGMT_SET_IOP_PWR_STATE, COPRO_RTKIT_PWR_OFF,
		     copro_rtkit_poweroff, "waiting for the IOP OFF ACK");
}

static void test_wake_lost_iop_on(void **state)
{
	struct drop d = { RTK_MGMT_SET_IOP_PWR_STATE, COPRO_RTKIT_PWR_INIT };
	struct test_iop_config icfg = { .hook = drop_hook, .hook_ctx = &d };
	struct test_rtk t;

	boot_bench(&t, state, &icfg, NULL);
	assert_int_equal(copro_rtkit_quiesce(t.rtk), 0);
	assert_int_equal(copro_rtkit_set_timeout(t.rtk, SHORT_TIMEOUT_NS), 0);
	assert_int_equal(copro_rtkit_set_timeout(t.rtk, -1), -EINVAL);
	assert_int_equal(copro_rtkit_wake(t.rtk), -ETIMEDOUT);
	assert_false(copro_rtkit_is_running(t.rtk));
	test_logcap_expect(&t.cap, "waiting for the wake");
	test_rtk_close(&t);
}

/* An ACK with another state than the one asked for. */
static bool wrong_hook(void *ctx, struct test_iop *iop, uint8_t ep, uint64_t msg)
{
	(void)ctx;
	if (ep != 0 || RTK_MGMT_TYPE(msg) != RTK_MGMT_SET_IOP_PWR_STATE)
		return false;
	test_iop_send(iop, 0,
		      pwr(RTK_MGMT_SET_IOP_PWR_STATE_ACK, COPRO_RTKIT_PWR_ON));
	return true;
}

static void test_shutdown_wrong_ack(void **state)
{
	struct test_iop_config icfg = { .hook = wrong_hook };
	struct test_rtk t;

	boot_bench(&t, state, &icfg, NULL);
	assert_int_equal(copro_rtkit_shutdown(t.rtk), -EPROTO);
	test_logcap_expect(&t.cap, "IOP power state: asked for SLEEP (0x1), ACK says ON (0x20)");
	assert_false(copro_rtkit_is_running(t.rtk));
	test_rtk_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_shutdown_then_boot_again, NULL, NULL),
		TEST_BOTH(test_quiesce_then_wake, NULL, NULL),
		TEST_BOTH(test_quiesce_then_wake_on, NULL, NULL),
		TEST_BOTH(test_idle_then_wake, NULL, NULL),
		TEST_BOTH(test_poweroff_then_wake_refused, NULL, NULL),
		TEST_BOTH(test_reinit, NULL, NULL),
		TEST_BOTH(test_shutdown_lost_ap_ack, NULL, NULL),
		TEST_BOTH(test_shutdown_lost_iop_ack, NULL, NULL),
		TEST_BOTH(test_idle_lost_ack, NULL, NULL),
		TEST_BOTH(test_poweroff_lost_iop_ack, NULL, NULL),
		TEST_BOTH(test_wake_lost_iop_on, NULL, NULL),
		TEST_BOTH(test_shutdown_wrong_ack, NULL, NULL),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
