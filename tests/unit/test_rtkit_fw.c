/* SPDX-License-Identifier: MIT */
/*
 * The RTKit firmware model at the message level, against a hand-written
 * AP (tests/common/test_rtkit_ap.h): the boot handshake, the endpoint map
 * in chunks, what it refuses, power states, faults, and the application
 * side.
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

#define MGMT(t, v) (RTK_MGMT_TYPE_MAKE(t) | (v))
#define IOP_ACK(s) MGMT(RTK_MGMT_SET_IOP_PWR_STATE_ACK, RTK_PWR_STATE_MAKE(s))
#define SET_IOP(s) MGMT(RTK_MGMT_SET_IOP_PWR_STATE, RTK_PWR_STATE_MAKE(s))
#define SET_AP(s) MGMT(RTK_MGMT_SET_AP_PWR_STATE, RTK_PWR_STATE_MAKE(s))
#define STARTEP(ep) MGMT(RTK_MGMT_STARTEP, RTK_STARTEP_MAKE(ep))

enum { OFF = 0, SLEEP = 1, QUIESCED = 0x10, ON = 0x20, IDLE = 0x201,
       INIT = 0x220 };

static struct test_ap *ap_new(const char *board,
			      const struct copro_sim_rtkit_config *cfg)
{
	struct test_ap *ap = calloc(1, sizeof(*ap));

	assert_non_null(ap);
	test_ap_open(ap, board, cfg);
	return ap;
}

static void ap_free(struct test_ap *ap)
{
	test_ap_close(ap);
	free(ap);
}

static bool has(const uint8_t *map, unsigned ep)
{
	return map[ep / 8] & (1u << (ep % 8));
}

struct log_arg {
	struct test_ap *ap;
	const char *what;
};

static bool log_has(void *arg)
{
	struct log_arg *l = arg;

	return test_logcap_contains(&l->ap->cap, l->what);
}

static void wait_log(struct test_ap *ap, const char *what)
{
	struct log_arg l = { ap, what };

	if (!test_wait_until(log_has, &l, TEST_TIMEOUT_NS))
		test_logcap_expect(&ap->cap, what);
}

/* ---- boot --------------------------------------------------------------- */

static void check_board_boot(const char *board)
{
	struct test_ap *ap = ap_new(board, NULL);
	struct copro_sim_rtkit_stats s;

	test_ap_hello(ap, 11, 12, 12);
	/* 0, 1, 2, 3, 4, 8 in chunk 0; the NVMe side's 0x20 in chunk 1. */
	assert_int_equal(test_ap_epmap(ap), 2);
	for (unsigned ep = 0; ep < 256; ep++)
		assert_int_equal(has(ap->map, ep),
				 ep == 0 || ep == 1 || ep == 2 || ep == 3 ||
					 ep == 4 || ep == 8 || ep == 0x20);
	test_ap_start_system(ap);
	assert_int_equal(copro_sim_rtkit_iop_state(ap->fw), ON);
	assert_false(copro_sim_rtkit_is_up(ap->fw));
	test_ap_ap_state(ap, ON);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	assert_int_equal(copro_sim_rtkit_ap_state(ap->fw), ON);

	/* The ANS2 asks for host buffers for crashlog, syslog and ioreport. */
	for (int b = TEST_AP_CRASHLOG; b <= TEST_AP_IOREPORT; b++) {
		assert_true(ap->bufs[b].set);
		assert_true(ap->bufs[b].allocated);
	}
	assert_int_equal(ap->syslog_entries, 8);
	assert_int_equal(ap->syslog_msg_size, 0x80);
	s = test_ap_stats(ap);
	assert_int_equal(s.boots, 1);
	assert_int_equal(s.refused, 0);
	test_ap_expect_none(ap);
	ap_free(ap);
}

static void test_boot_t8103(void **state)
{
	(void)state;
	check_board_boot("t8103");
}

static void test_boot_t6000(void **state)
{
	(void)state;
	check_board_boot("t6000");
}


/* Every version range the host may meet: the firmware checks the answer. */
static void test_version_outside_range_is_silent(void **state)
{
	struct copro_sim_rtkit_config cfg = { .ver_min = 13, .ver_max = 14 };
	struct test_ap *ap = ap_new(NULL, &cfg);

	(void)state;
	/* A host that only speaks 12 answers 12 anyway: the firmware balks. */
	test_ap_hello(ap, 13, 14, 12);
	test_ap_wait_refused(ap, 1);
	test_logcap_expect(&ap->cap, "chose version 12, outside this firmware's"
				     " [13, 14]");
	/* And stays silent, even to a good answer. */
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(13, 13)));
	test_ap_send(ap, 0, SET_AP(ON));
	test_ap_expect_none(ap);
	assert_int_equal(test_ap_stats(ap).refused, 1);
	ap_free(ap);
}

static void test_version_checks(void **state)
{
	struct copro_sim_rtkit_config cfg = { .ver_min = 11, .ver_max = 11 };
	struct test_ap *ap = ap_new(NULL, &cfg);

	(void)state;
	test_ap_cpu(ap, true);
	test_ap_expect(ap, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 11)));
	/* The two version fields must agree. */
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(11, 12)));
	test_ap_wait_refused(ap, 1);
	test_logcap_expect(&ap->cap, "version fields differ");
	test_ap_expect_none(ap);
	/* A correct answer still boots. */
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(11, 11)));
	/* No application endpoints: the map fits one chunk. */
	assert_int_equal(test_ap_epmap(ap), 1);
	test_ap_start_system(ap);
	test_ap_ap_state(ap, ON);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	ap_free(ap);
}

/* A map reaching endpoint 0xff takes all eight chunks. */
static void test_epmap_chunks(void **state)
{
	static const uint8_t eps[] = { 1, 2, 3, 4, 8, 0x0a, 0x45, 0x9c, 0xff };
	struct copro_sim_rtkit_config cfg = { 0 };
	struct test_ap *ap;
	uint8_t ep;
	uint64_t msg;

	(void)state;
	for (size_t i = 0; i < sizeof(eps); i++)
		cfg.endpoints[eps[i] / 8] |= (uint8_t)(1u << (eps[i] % 8));
	ap = ap_new(NULL, &cfg);
	test_ap_hello(ap, 11, 12, 12);

	/* A reply for the wrong chunk, then one without MORE: refused. */
	assert_true(test_ap_recv(ap, &ep, &msg));
	assert_int_equal(RTK_EPMAP_BASE(msg), 0);
	assert_false(msg & RTK_EPMAP_LAST);
	test_ap_send(ap, 0, MGMT(RTK_MGMT_EPMAP, RTK_EPMAP_BASE_MAKE(1) |
						  RTK_EPMAP_MORE));
	test_ap_send(ap, 0, MGMT(RTK_MGMT_EPMAP, RTK_EPMAP_BASE_MAKE(0)));
	test_ap_wait_refused(ap, 2);
	test_logcap_expect(&ap->cap, "EPMAP_REPLY base 1, but chunk 0 was sent");
	test_logcap_expect(&ap->cap, "EPMAP_REPLY flags: LAST clear, MORE clear");
	test_ap_expect_none(ap);
	test_ap_send(ap, 0, MGMT(RTK_MGMT_EPMAP, RTK_EPMAP_BASE_MAKE(0) |
						  RTK_EPMAP_MORE));
	ap->map[0] = (uint8_t)RTK_EPMAP_BITMAP(msg);
	ap->map[1] = (uint8_t)(RTK_EPMAP_BITMAP(msg) >> 8);

	/* Chunks 1 to 7, the last flagged. */
	assert_int_equal(test_ap_epmap(ap), 7);
	for (unsigned e = 0; e < 256; e++) {
		bool want = e == 0;

		for (size_t i = 0; i < sizeof(eps); i++)
			want |= e == eps[i];
		assert_int_equal(has(ap->map, e), want);
	}
	/* 0x0a (tracekit) is in the map but not needed to boot. */
	test_ap_start_system(ap);
	test_ap_ap_state(ap, ON);
	ap_free(ap);
}

static void test_refusals_before_boot(void **state)
{
	struct test_ap *ap = ap_new(NULL, NULL);
	uint64_t refused = 0;

	(void)state;
	test_ap_cpu(ap, true);
	test_ap_expect(ap, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	/* Before the map: no STARTEP, no application message, no AP ON. */
	test_ap_send(ap, 0, STARTEP(1));
	test_ap_send(ap, 0x20, 0x1234);
	test_ap_send(ap, 0, SET_AP(ON));
	test_ap_send(ap, 0, MGMT(RTK_MGMT_EPMAP, RTK_EPMAP_LAST));
	test_ap_wait_refused(ap, refused += 4);
	test_logcap_expect(&ap->cap, "STARTEP of 0x01 before the endpoint map");
	test_logcap_expect(&ap->cap, "application endpoint 0x20 before boot"
				     " completed");
	test_logcap_expect(&ap->cap, "AP ON before boot completed (handshake"
				     " not finished)");
	test_logcap_expect(&ap->cap, "EPMAP_REPLY out of sequence");
	test_ap_expect_none(ap);

	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	test_ap_epmap(ap);
	/* After the map, HELLO_REPLY is out of sequence. */
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	/* Endpoints not in the map, management types the AP never sends. */
	test_ap_send(ap, 0, STARTEP(0x30));
	test_ap_send(ap, 0x30, 1);
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO, 0));
	test_ap_send(ap, 0, MGMT(0x3f, 0));
	/* An application endpoint cannot start before AP ON. */
	test_ap_send(ap, 0, STARTEP(0x20));
	test_ap_wait_refused(ap, refused += 6);
	test_logcap_expect(&ap->cap, "HELLO_REPLY out of sequence");
	test_logcap_expect(&ap->cap, "STARTEP of endpoint 0x30, which is not in"
				     " the map");
	test_logcap_expect(&ap->cap, "endpoint 0x30 is not in the map");
	test_logcap_expect(&ap->cap, "management type 0x3f is not one the AP"
				     " sends");
	test_logcap_expect(&ap->cap, "STARTEP of application endpoint 0x20"
				     " before boot completed");

	/* Every system endpoint but oslog: no IOP ON, and AP ON refused. */
	for (uint8_t ep = 1; ep <= 4; ep++)
		test_ap_send(ap, 0, STARTEP(ep));
	test_ap_send(ap, 0, STARTEP(2));
	test_ap_wait_refused(ap, refused += 1);
	test_logcap_expect(&ap->cap, "endpoint 0x02 already started");
	while (test_ap_queued(ap)) {
		uint8_t ep;
		uint64_t msg;

		assert_true(test_ap_recv(ap, &ep, &msg));
		assert_true(test_ap_handle(ap, ep, msg));
	}
	test_ap_send(ap, 0, SET_AP(ON));
	test_ap_wait_refused(ap, refused += 1);
	test_logcap_expect(&ap->cap, "AP ON before boot completed (system"
				     " endpoints not started)");
	test_logcap_expect(&ap->cap, "not started: 0x08");
	test_ap_expect_none(ap);
	assert_false(copro_sim_rtkit_is_up(ap->fw));

	test_ap_send(ap, 0, STARTEP(8));
	test_ap_pump_until(ap, 0, IOP_ACK(ON));
	test_ap_ap_state(ap, ON);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	/* The management endpoint is never started. */
	test_ap_send(ap, 0, STARTEP(0));
	test_ap_wait_refused(ap, refused += 1);
	assert_int_equal(test_ap_stats(ap).refused, refused);
	ap_free(ap);
}

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

/* Shutdown, then wake: the firmware announces itself again from HELLO. */
static void check_sleep_wake(unsigned iop_sleep, unsigned wake_state)
{
	struct test_ap *ap = ap_new(NULL, NULL);

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
	test_ap_expect(ap, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	test_ap_epmap(ap);
	/* The buffers are asked for again: the AP freed them. */
	test_ap_start_system(ap);
	assert_true(ap->bufs[TEST_AP_SYSLOG].set);
	test_ap_ap_state(ap, ON);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	assert_int_equal(test_ap_stats(ap).boots, 2);
	ap_free(ap);
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
	struct test_ap *ap = ap_new(NULL, NULL);

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
	ap_free(ap);
}

static void test_idle_and_back(void **state)
{
	struct test_ap *ap = ap_new(NULL, NULL);

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
	ap_free(ap);
}

/* ---- faults -------------------------------------------------------------- */

static void test_fault_no_hello(void **state)
{
	struct test_ap *ap = ap_new(NULL, NULL);

	(void)state;
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_HELLO, true);
	test_ap_cpu(ap, true);
	wait_log(ap, "fault: no HELLO, staying silent");
	test_ap_expect_none(ap);
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	test_ap_expect_none(ap);
	test_ap_cpu(ap, false);
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_HELLO, false);
	test_ap_boot(ap);
	ap_free(ap);
}

static void test_fault_endless_epmap(void **state)
{
	struct test_ap *ap = ap_new(NULL, NULL);
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
	ap_free(ap);
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
	struct test_ap *ap = ap_new(NULL, NULL);

	(void)state;
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_IOP_ON, true);
	test_ap_hello(ap, 11, 12, 12);
	test_ap_epmap(ap);
	start_without_iop_on(ap);
	ap_free(ap);
}

static void test_fault_lost_acks(void **state)
{
	struct test_ap *ap = ap_new(NULL, NULL);

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
	/* A wake's IOP ON is an answer too: lost as well. */
	test_ap_reinit(ap);
	test_ap_send(ap, 0, SET_IOP(ON));
	test_ap_expect(ap, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	test_ap_send(ap, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	test_ap_epmap(ap);
	start_without_iop_on(ap);
	ap_free(ap);
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

	atomic_fetch_add(&r->downs, 1);
	/* Down means down: the app can no longer send. */
	atomic_store(&r->send_ret, copro_sim_rtkit_send(fw, 0x20, 1));
}

/* Answers every message with msg + 1, on the CPU thread. */
static void app_recv(void *ctx, struct copro_sim_rtkit *fw, uint8_t ep,
		     uint64_t msg)
{
	struct app_rec *r = ctx;

	atomic_store(&r->last, msg);
	atomic_fetch_add(&r->msgs, 1);
	atomic_store(&r->send_ret, copro_sim_rtkit_send(fw, ep, msg + 1));
	atomic_store(&r->bad_send_ret, copro_sim_rtkit_send(fw, 0x22, msg));
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
	struct test_ap *ap = ap_new(NULL, NULL);

	(void)state;
	assert_non_null(r);
	assert_int_equal(copro_sim_rtkit_set_app(ap->fw, &app, bad_eps),
			 -EINVAL);
	assert_int_equal(copro_sim_rtkit_set_app(ap->fw, &app, eps), 0);
	test_ap_hello(ap, 11, 12, 12);
	assert_int_equal(copro_sim_rtkit_set_app(ap->fw, NULL, NULL), -EBUSY);
	test_ap_epmap(ap);
	assert_true(has(ap->map, 0x20) && has(ap->map, 0x21));
	test_ap_start_system(ap);
	assert_int_equal(atomic_load(&r->ups), 0);
	test_ap_ap_state(ap, ON);
	assert_true(test_wait_until(ups_reached, r, TEST_TIMEOUT_NS));

	/* Started endpoints reach the app, which answers. */
	test_ap_send(ap, 0, STARTEP(0x20));
	test_ap_send(ap, 0x20, 0x1000);
	test_ap_expect(ap, 0x20, 0x1001);
	assert_int_equal(atomic_load(&r->last), 0x1000);
	assert_int_equal(atomic_load(&r->send_ret), 0);
	assert_int_equal(atomic_load(&r->bad_send_ret), -EINVAL);
	/* An endpoint not started is refused. */
	test_ap_send(ap, 0x21, 0x2000);
	test_ap_wait_refused(ap, 1);
	test_logcap_expect(&ap->cap, "endpoint 0x21 was not started");
	assert_int_equal(atomic_load(&r->msgs), 1);
	assert_int_equal(test_ap_stats(ap).app_messages, 2);

	/* Sleep: the app goes down and cannot send. */
	test_ap_ap_state(ap, QUIESCED);
	assert_true(test_wait_until(downs_reached, r, TEST_TIMEOUT_NS));
	assert_int_equal(atomic_load(&r->send_ret), -ENOTCONN);
	test_ap_send(ap, 0x20, 0x3000);
	test_ap_wait_refused(ap, 2);
	test_ap_cpu(ap, false);
	assert_int_equal(copro_sim_rtkit_set_app(ap->fw, NULL, NULL), 0);
	ap_free(ap);
	free(r);
}

/* Injections need a running CPU; while it is stopped they are dropped. */
static void test_injections_dropped_while_stopped(void **state)
{
	struct test_ap *ap = ap_new(NULL, NULL);

	(void)state;
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "c", "t"), -ESHUTDOWN);
	assert_int_equal(copro_sim_rtkit_ioreport(ap->fw, 8), -ESHUTDOWN);
	assert_int_equal(copro_sim_rtkit_hostile(
				 ap->fw, COPRO_SIM_RTKIT_HOSTILE_MGMT),
			 -ESHUTDOWN);
	assert_int_equal(copro_sim_rtkit_crash(ap->fw, "x", -1), -ESHUTDOWN);
	assert_int_equal(test_ap_stats(ap).injections_dropped, 4);
	/* Bad arguments are refused outright. */
	assert_int_equal(copro_sim_rtkit_ioreport(ap->fw, 1), -EINVAL);
	assert_int_equal(copro_sim_rtkit_ioreport(ap->fw, 0x100), -EINVAL);
	assert_int_equal(copro_sim_rtkit_hostile(ap->fw,
						 COPRO_SIM_RTKIT_HOSTILE_COUNT),
			 -EINVAL);
	assert_int_equal(copro_sim_rtkit_crash(ap->fw, "x", 99), -EINVAL);
	test_ap_boot(ap);
	test_ap_expect_none(ap);
	ap_free(ap);
}

static void test_bad_configs(void **state)
{
	struct test_ap *ap = ap_new(NULL, NULL);
	struct copro_sim_rtkit *fw;
	const struct copro_sim_rtkit_config bad[] = {
		{ .ver_min = 12, .ver_max = 11 },
		{ .buf_pages = 256 },
		{ .syslog_buf = COPRO_SIM_RTKIT_BUF_HOST, .buf_pages = 1,
		  .syslog_entries = 200 },
		{ .syslog_buf = COPRO_SIM_RTKIT_BUF_IOVA },
		{ .syslog_buf = COPRO_SIM_RTKIT_BUF_MMIO, .sram_phys = 0x1000,
		  .sram_size = 0x1000 },
		{ .app_eps = { 0x20, 0x1f } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(copro_sim_rtkit_create(ap->asc, &bad[i], &fw),
				 -EINVAL);
	test_logcap_expect(&ap->cap, "version range [12, 11] is empty");
	test_logcap_expect(&ap->cap, "does not fit a 0x1000-byte buffer");
	test_logcap_expect(&ap->cap, "needs a non-zero, page-aligned iova_base");
	test_logcap_expect(&ap->cap, "does not fit the SRAM window");
	test_logcap_expect(&ap->cap, "app endpoint 0x1f is a system endpoint");
	/* The board's model is still the one loaded. */
	test_ap_boot(ap);
	ap_free(ap);
}

/* Two boards, two coprocessors booted side by side. */
static void test_two_boards(void **state)
{
	struct test_ap *a = ap_new("t8103", NULL);
	struct test_ap *b = ap_new("t6000", NULL);

	(void)state;
	test_ap_boot(a);
	test_ap_boot(b);
	assert_int_equal(copro_sim_rtkit_syslog(a->fw, "a", "from a"), 0);
	assert_int_equal(copro_sim_rtkit_syslog(b->fw, "b", "from b"), 0);
	test_ap_pump_lines(a, 1);
	test_ap_pump_lines(b, 1);
	assert_string_equal(a->last_text, "from a");
	assert_string_equal(b->last_text, "from b");
	ap_free(b);
	ap_free(a);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_t8103),
		cmocka_unit_test(test_boot_t6000),
		cmocka_unit_test(test_version_outside_range_is_silent),
		cmocka_unit_test(test_version_checks),
		cmocka_unit_test(test_epmap_chunks),
		cmocka_unit_test(test_refusals_before_boot),
		cmocka_unit_test(test_shutdown_wake),
		cmocka_unit_test(test_quiesce_wake_init),
		cmocka_unit_test(test_poweroff_refuses_wake),
		cmocka_unit_test(test_idle_and_back),
		cmocka_unit_test(test_fault_no_hello),
		cmocka_unit_test(test_fault_endless_epmap),
		cmocka_unit_test(test_fault_no_iop_on),
		cmocka_unit_test(test_fault_lost_acks),
		cmocka_unit_test(test_app),
		cmocka_unit_test(test_injections_dropped_while_stopped),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_two_boards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
