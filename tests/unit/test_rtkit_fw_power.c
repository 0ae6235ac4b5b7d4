/* SPDX-License-Identifier: MIT */
/*
 * The RTKit firmware model at the message level, against a hand-written
 * AP (tests/common/test_rtkit_ap.h): power states (sleep, quiesce, both
 * kinds of wake, poweroff, idle), each fault, and the application side.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/regs/rtkit.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/rtkit_fw.h>

#include "test_rtkit_ap.h"
#include "test_rtkit_msg.h"

/* ---- power states -------------------------------------------------------- */

struct state_arg {
	struct test_ap *ap;
	unsigned iop, ap_state;
};

static bool iop_is(void *arg)
{
	struct state_arg *a = arg;

	return copro_sim_rtkit_iop_state(a->ap->fw) == a->iop;
}

static bool ap_is(void *arg)
{
	struct state_arg *a = arg;

	return copro_sim_rtkit_ap_state(a->ap->fw) == a->ap_state;
}

static void wait_iop(struct test_ap *ap, unsigned s)
{
	struct state_arg a = { .ap = ap, .iop = s };

	assert_true(test_wait_until(iop_is, &a, TEST_TIMEOUT_NS));
}

static void wait_ap(struct test_ap *ap, unsigned s)
{
	struct state_arg a = { .ap = ap, .ap_state = s };

	assert_true(test_wait_until(ap_is, &a, TEST_TIMEOUT_NS));
}

/* The ANS2 configuration the boards use. */
static void open_ans(struct test_ap *ap)
{
	struct copro_sim_rtkit_config cfg = {
		.crashlog_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.syslog_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.ioreport_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.app_eps = { 0x20 },
	};

	test_ap_open(ap, NULL, NULL);
	cfg.sart = copro_board_sart(ap->b, copro_sart_node(ap->sart));
	assert_non_null(cfg.sart);
	test_ap_replace_fw(ap, &cfg);
}

/*
 * Shutdown or quiesce, then wake: a new handshake, as hardware.md 2.2 says and
 * every public driver waits for.
 */
static void check_sleep_wake(unsigned iop_sleep, unsigned wake_state)
{
	struct test_ap *ap = calloc(1, sizeof(*ap));

	assert_non_null(ap);
	open_ans(ap);
	test_ap_boot(ap);
	test_ap_ap_state(ap, QUIESCED);
	assert_false(copro_sim_rtkit_is_up(ap->fw));
	test_ap_iop_state(ap, iop_sleep);
	assert_int_equal(copro_sim_rtkit_iop_state(ap->fw), iop_sleep);
	test_ap_reinit(ap);

	/* Asleep, it takes no STARTEP and no AP ON. */
	test_ap_send(ap, 0, STARTEP(1));
	test_ap_send(ap, 0, SET_AP(ON));
	test_ap_wait_refused(ap, 2);
	test_logcap_expect(&ap->cap, "STARTEP of 0x01 while asleep");
	test_logcap_expect(&ap->cap, "AP ON before boot completed (IOP not on)");

	test_ap_send(ap, 0, SET_IOP(wake_state));
	/* The buffers are asked for again: the AP freed them. */
	test_ap_expect(ap, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	test_ap_epmap(ap);
	test_ap_start_system(ap);
	assert_true(ap->bufs[TEST_AP_SYSLOG].set);
	test_ap_ap_state(ap, ON);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	assert_int_equal(test_ap_stats(ap).boots, 2);
	/* Application endpoints must be started again. */
	test_ap_send(ap, 0x20, 1);
	test_ap_wait_refused(ap, 3);
	test_logcap_expect(&ap->cap, "endpoint 0x20 was not started");
	test_ap_expect_none(ap);
	test_ap_free(ap);
}

static void test_shutdown_wake(void **state)
{
	(void)state;
	check_sleep_wake(SLEEP, ON);
}

static void test_quiesce_wake_init(void **state)
{
	(void)state;
	check_sleep_wake(QUIESCED, INIT);
}

static void test_poweroff_refuses_wake(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);

	(void)state;
	test_ap_boot(ap);
	test_ap_ap_state(ap, OFF);
	test_ap_iop_state(ap, OFF);
	test_ap_reinit(ap);
	test_ap_send(ap, 0, SET_IOP(ON));
	test_ap_send(ap, 0, SET_IOP(INIT));
	test_ap_wait_refused(ap, 2);
	test_logcap_expect(&ap->cap, "SET_IOP_PWR_STATE(ON) after OFF: the"
				     " coprocessor does not wake from OFF");
	test_ap_expect_none(ap);
	assert_int_equal(copro_sim_rtkit_iop_state(ap->fw), OFF);

	/* Only a CPU restart brings it back. */
	test_ap_cpu(ap, false);
	test_ap_boot(ap);
	assert_int_equal(test_ap_stats(ap).boots, 2);
	test_ap_free(ap);
}

static void test_idle_and_back(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);

	(void)state;
	test_ap_boot(ap);
	test_ap_ap_state(ap, IDLE);
	assert_false(copro_sim_rtkit_is_up(ap->fw));
	assert_int_equal(copro_sim_rtkit_ap_state(ap->fw), IDLE);
	test_ap_ap_state(ap, ON);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	/* IOP ON while on is acknowledged; unknown states are refused. */
	test_ap_iop_state(ap, ON);
	test_ap_send(ap, 0, SET_IOP(0x77));
	test_ap_send(ap, 0, SET_AP(0x88));
	test_ap_wait_refused(ap, 2);
	test_logcap_expect(&ap->cap, "SET_IOP_PWR_STATE: unknown state 0x77");
	test_logcap_expect(&ap->cap, "SET_AP_PWR_STATE: unknown state 0x88");
	assert_int_equal(test_ap_stats(ap).boots, 1);
	test_ap_free(ap);
}

/*
 * Idle, AP then IOP, each acknowledged; the firmware keeps its session,
 * so a wake is answered with IOP ON (no HELLO) and the buffers it had
 * are used again.
 */
static void test_idle_keeps_session(void **state)
{
	struct test_ap *ap = calloc(1, sizeof(*ap));

	(void)state;
	assert_non_null(ap);
	open_ans(ap);
	test_ap_boot(ap);
	test_ap_ap_state(ap, IDLE);
	test_ap_iop_state(ap, IDLE);
	assert_int_equal(copro_sim_rtkit_iop_state(ap->fw), IDLE);
	assert_false(copro_sim_rtkit_is_up(ap->fw));
	test_ap_send(ap, 0, SET_IOP(INIT));
	test_ap_expect(ap, 0, IOP_ACK(ON));
	test_ap_ap_state(ap, ON);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	/* The syslog buffer it had still serves. */
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "c", "after idle"), 0);
	test_ap_pump_lines(ap, 1);
	assert_string_equal(ap->last_text, "after idle");
	assert_int_equal(test_ap_stats(ap).boots, 1);
	assert_int_equal(test_ap_stats(ap).refused, 0);
	test_ap_expect_none(ap);
	test_ap_free(ap);
}

/*
 * A bootloader's wake before HELLO is ignored by a firmware that boots
 * anyway; a wake while running is answered with IOP ON.
 */
static void test_wake_while_booting_and_running(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);

	(void)state;
	test_ap_cpu(ap, true);
	test_ap_send(ap, 0, SET_IOP(INIT));
	test_ap_expect(ap, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	test_ap_wait_log(ap, "SET_IOP_PWR_STATE(INIT) while booting: ignored");
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	test_ap_epmap(ap);
	test_ap_start_system(ap);
	test_ap_ap_state(ap, ON);
	test_ap_iop_state(ap, ON);
	assert_int_equal(test_ap_stats(ap).refused, 0);
	test_ap_expect_none(ap);
	test_ap_free(ap);
}

/* Handles what comes until every buffer the firmware asks for is set. */
static void answer_buffers(struct test_ap *ap)
{
	while (!ap->bufs[TEST_AP_CRASHLOG].set || !ap->bufs[TEST_AP_IOREPORT].set ||
	       !ap->bufs[TEST_AP_OSLOG].set) {
		uint8_t ep;
		uint64_t msg;

		assert_true(test_ap_recv(ap, &ep, &msg));
		assert_true(test_ap_handle(ap, ep, msg));
	}
}

static void start(struct test_ap *ap, const uint8_t *eps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		test_ap_send(ap, 0, STARTEP(eps[i]));
}

/*
 * The ANS2 firmware needs crashlog, ioreport and oslog (u-boot starts
 * no others); by default a firmware needs every system endpoint of its
 * map that Linux starts.
 */
static void test_required_endpoints(void **state)
{
	static const uint8_t uboot[] = { 1, 4, 8 }, rest[] = { 2, 3 };
	struct copro_sim_rtkit_config cfg = {
		.crashlog_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.ioreport_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.oslog_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.required_eps = (1u << 1) | (1u << 4) | (1u << 8),
	};
	struct test_ap *ap = calloc(1, sizeof(*ap));

	(void)state;
	assert_non_null(ap);
	test_ap_open(ap, NULL, NULL);
	cfg.sart = copro_board_sart(ap->b, copro_sart_node(ap->sart));
	test_ap_replace_fw(ap, &cfg);
	test_ap_hello(ap, 11, 12, 12);
	test_ap_epmap(ap);
	start(ap, uboot, sizeof(uboot));
	answer_buffers(ap);
	test_ap_pump_until(ap, 0, IOP_ACK(ON));
	assert_int_equal(test_ap_stats(ap).refused, 0);
	test_ap_free(ap);

	/* The default: syslog and debug too. */
	ap = calloc(1, sizeof(*ap));
	assert_non_null(ap);
	test_ap_open(ap, NULL, NULL);
	cfg.required_eps = 0;
	cfg.sart = copro_board_sart(ap->b, copro_sart_node(ap->sart));
	test_ap_replace_fw(ap, &cfg);
	test_ap_hello(ap, 11, 12, 12);
	test_ap_epmap(ap);
	start(ap, uboot, sizeof(uboot));
	answer_buffers(ap);
	/* The three were taken (their buffers asked for), and no IOP ON. */
	test_ap_expect_none(ap);
	assert_int_not_equal(copro_sim_rtkit_iop_state(ap->fw), ON);
	start(ap, rest, sizeof(rest));
	test_ap_pump_until(ap, 0, IOP_ACK(ON));
	assert_int_equal(test_ap_stats(ap).refused, 0);
	test_ap_free(ap);
}

/* A firmware that restarts on its own says HELLO again, as at a CPU start. */
static void test_restart(void **state)
{
	struct test_ap *ap = calloc(1, sizeof(*ap));

	(void)state;
	assert_non_null(ap);
	open_ans(ap);
	test_ap_boot(ap);
	assert_int_equal(copro_sim_rtkit_restart(ap->fw), 0);
	test_ap_expect(ap, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	assert_false(copro_sim_rtkit_is_up(ap->fw));
	test_ap_reinit(ap);
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	test_ap_epmap(ap);
	test_ap_start_system(ap);
	test_ap_ap_state(ap, ON);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	assert_int_equal(test_ap_stats(ap).boots, 2);
	assert_int_equal(test_ap_stats(ap).refused, 0);
	test_ap_free(ap);
}

/* ---- faults -------------------------------------------------------------- */

static void test_fault_no_hello(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);

	(void)state;
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_HELLO, true);
	test_ap_cpu(ap, true);
	test_ap_wait_log(ap, "fault: no HELLO, staying silent");
	test_ap_expect_none(ap);
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	test_ap_expect_none(ap);
	test_ap_cpu(ap, false);
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_HELLO, false);
	test_ap_boot(ap);
	test_ap_free(ap);
}

static void test_fault_endless_epmap(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);
	uint8_t ep;
	uint64_t msg;

	(void)state;
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_EPMAP_LAST,
				  true);
	test_ap_hello(ap, 11, 12, 12);
	/* Twice around the eight bases, and still no LAST. */
	for (unsigned i = 0; i < 16; i++) {
		assert_true(test_ap_recv(ap, &ep, &msg));
		assert_int_equal(ep, 0);
		assert_int_equal(RTK_MGMT_TYPE(msg), RTK_MGMT_EPMAP);
		assert_int_equal(RTK_EPMAP_BASE(msg), i % 8);
		assert_false(msg & RTK_EPMAP_LAST);
		test_ap_send(ap, 0, MGMT(RTK_MGMT_EPMAP,
					 RTK_EPMAP_BASE_MAKE(i % 8) |
						 RTK_EPMAP_MORE));
	}
	/* A host that gives up and stops the CPU can boot it again. */
	assert_true(test_ap_recv(ap, &ep, &msg));
	test_ap_cpu(ap, false);
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_EPMAP_LAST,
				  false);
	memset(ap->map, 0, sizeof(ap->map));
	test_ap_boot(ap);
	test_ap_free(ap);
}

/* STARTEP everything, handle what comes, and see no IOP ON. */
static void start_without_iop_on(struct test_ap *ap)
{
	static const uint8_t eps[] = { 1, 2, 3, 4, 8 };

	for (size_t i = 0; i < sizeof(eps); i++)
		test_ap_send(ap, 0, STARTEP(eps[i]));
	wait_iop(ap, ON);
	test_ap_settle(ap);
	while (test_ap_queued(ap)) {
		uint8_t ep;
		uint64_t msg;

		assert_true(test_ap_recv(ap, &ep, &msg));
		assert_true(test_ap_handle(ap, ep, msg));
	}
	test_ap_expect_none(ap);
}

static void test_fault_no_iop_on(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);

	(void)state;
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_IOP_ON, true);
	test_ap_hello(ap, 11, 12, 12);
	test_ap_epmap(ap);
	start_without_iop_on(ap);
	test_ap_free(ap);
}

static void test_fault_lost_acks(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);

	(void)state;
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_AP_ACK, true);
	test_ap_hello(ap, 11, 12, 12);
	test_ap_epmap(ap);
	test_ap_start_system(ap);
	/* AP ON takes effect, but its ACK is lost. */
	test_ap_send(ap, 0, SET_AP(ON));
	wait_ap(ap, ON);
	test_ap_expect_none(ap);
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_AP_ACK, false);

	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_IOP_ACK,
				  true);
	test_ap_ap_state(ap, QUIESCED);
	test_ap_send(ap, 0, SET_IOP(SLEEP));
	wait_iop(ap, SLEEP);
	test_ap_expect_none(ap);
	/* A wake's IOP ON, at the end of its handshake, is lost as well. */
	test_ap_reinit(ap);
	test_ap_send(ap, 0, SET_IOP(ON));
	test_ap_expect(ap, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	test_ap_epmap(ap);
	for (unsigned ep = 1; ep < 0x20; ep++)
		if (ap->map[ep / 8] & (1u << (ep % 8)))
			test_ap_send(ap, 0, STARTEP(ep));
	wait_iop(ap, ON);
	test_ap_settle(ap);
	for (uint8_t ep; test_ap_queued(ap);) {
		uint64_t msg;

		assert_true(test_ap_recv(ap, &ep, &msg));
		assert_true(test_ap_handle(ap, ep, msg));
	}
	assert_int_equal(test_ap_stats(ap).refused, 0);

	/*
	 * A restart after that wake is a cold boot: its IOP ON reports the
	 * boot and answers no request, so the lost-ack fault, still armed,
	 * does not take it. A refused message fences the buffer answers
	 * above: the firmware must have taken them before it restarts.
	 */
	test_ap_send(ap, 0, STARTEP(0));
	test_ap_wait_refused(ap, 1);
	assert_int_equal(copro_sim_rtkit_restart(ap->fw), 0);
	test_ap_expect(ap, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	test_ap_reinit(ap);
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	test_ap_epmap(ap);
	test_ap_start_system(ap);
	assert_int_equal(test_ap_stats(ap).refused, 1);
	test_ap_free(ap);
}

/* ---- the application side ------------------------------------------------ */

struct app_rec {
	_Atomic int ups, downs, msgs;
	_Atomic uint64_t last;
	_Atomic int send_ret, bad_send_ret;
};

static void app_up(void *ctx, struct copro_sim_rtkit *fw)
{
	struct app_rec *r = ctx;

	(void)fw;
	atomic_fetch_add(&r->ups, 1);
}

static void app_down(void *ctx, struct copro_sim_rtkit *fw)
{
	struct app_rec *r = ctx;

	/* Down means down: the app can no longer send. */
	atomic_store(&r->send_ret, copro_sim_rtkit_send(fw, 0x20, 1));
	atomic_fetch_add(&r->downs, 1);
}

/* Answers every message with msg + 1, on the CPU thread. */
static void app_recv(void *ctx, struct copro_sim_rtkit *fw, uint8_t ep,
		     uint64_t msg)
{
	struct app_rec *r = ctx;

	atomic_store(&r->bad_send_ret, copro_sim_rtkit_send(fw, 0x22, msg));
	atomic_store(&r->last, msg);
	atomic_fetch_add(&r->msgs, 1);
	/* Stored after the answer left: the test waits for it. */
	atomic_store(&r->send_ret, copro_sim_rtkit_send(fw, ep, msg + 1));
}

static bool sent_ok(void *arg)
{
	return atomic_load(&((struct app_rec *)arg)->send_ret) == 0;
}

static bool ups_reached(void *arg)
{
	return atomic_load(&((struct app_rec *)arg)->ups) == 1;
}

static bool downs_reached(void *arg)
{
	return atomic_load(&((struct app_rec *)arg)->downs) == 1;
}

static void test_app(void **state)
{
	struct app_rec *r = calloc(1, sizeof(*r));
	const struct copro_sim_rtkit_app app = {
		.ctx = r, .up = app_up, .down = app_down, .recv = app_recv,
	};
	const uint8_t eps[] = { 0x20, 0x21, 0 };
	const uint8_t bad_eps[] = { 0x20, 0x08, 0 };
	struct test_ap *ap = test_ap_new(NULL, NULL);

	(void)state;
	assert_non_null(r);
	atomic_store(&r->send_ret, 1);
	assert_int_equal(copro_sim_rtkit_set_app(ap->fw, &app, bad_eps),
			 -EINVAL);
	assert_int_equal(copro_sim_rtkit_set_app(ap->fw, &app, eps), 0);
	test_ap_hello(ap, 11, 12, 12);
	assert_int_equal(copro_sim_rtkit_set_app(ap->fw, NULL, NULL), -EBUSY);
	test_ap_epmap(ap);
	assert_true(has(ap->map, 0x20) && has(ap->map, 0x21));
	assert_int_equal(atomic_load(&r->ups), 0);
	/* Up at IOP ON, before and without AP ON (u-boot never sends it). */
	test_ap_start_system(ap);
	assert_true(test_wait_until(ups_reached, r, TEST_TIMEOUT_NS));
	assert_false(copro_sim_rtkit_is_up(ap->fw));
	test_ap_ap_state(ap, ON);

	/* Started endpoints reach the app, which answers. */
	test_ap_send(ap, 0, STARTEP(0x20));
	test_ap_send(ap, 0x20, 0x1000);
	test_ap_expect(ap, 0x20, 0x1001);
	assert_int_equal(atomic_load(&r->last), 0x1000);
	assert_true(test_wait_until(sent_ok, r, TEST_TIMEOUT_NS));
	assert_int_equal(atomic_load(&r->bad_send_ret), -EINVAL);
	/* An endpoint not started is refused. */
	test_ap_send(ap, 0x21, 0x2000);
	test_ap_wait_refused(ap, 1);
	test_logcap_expect(&ap->cap, "endpoint 0x21 was not started");
	assert_int_equal(atomic_load(&r->msgs), 1);
	assert_int_equal(test_ap_stats(ap).app_messages, 2);

	/*
	 * AP QUIESCED: the firmware still runs (the app too), but its
	 * application endpoints are not talked to; IOP SLEEP: the app goes
	 * down and cannot send.
	 */
	test_ap_ap_state(ap, QUIESCED);
	test_ap_send(ap, 0x20, 0x3000);
	test_ap_wait_refused(ap, 2);
	assert_int_equal(atomic_load(&r->downs), 0);
	test_ap_iop_state(ap, SLEEP);
	assert_true(test_wait_until(downs_reached, r, TEST_TIMEOUT_NS));
	assert_int_equal(atomic_load(&r->send_ret), -ENOTCONN);
	test_ap_cpu(ap, false);
	assert_int_equal(copro_sim_rtkit_set_app(ap->fw, NULL, NULL), 0);
	test_ap_free(ap);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shutdown_wake),
		cmocka_unit_test(test_quiesce_wake_init),
		cmocka_unit_test(test_poweroff_refuses_wake),
		cmocka_unit_test(test_idle_and_back),
		cmocka_unit_test(test_idle_keeps_session),
		cmocka_unit_test(test_wake_while_booting_and_running),
		cmocka_unit_test(test_required_endpoints),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_fault_no_hello),
		cmocka_unit_test(test_fault_endless_epmap),
		cmocka_unit_test(test_fault_no_iop_on),
		cmocka_unit_test(test_fault_lost_acks),
		cmocka_unit_test(test_app),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
