/* SPDX-License-Identifier: MIT */
/*
 * The RTKit firmware model at the message level, against a hand-written
 * AP (tests/common/test_rtkit_ap.h): the boot handshake on both boards,
 * version checks, the endpoint map in chunks, what it refuses before
 * boot, injections while stopped, bad configurations, two boards.
 * Power states, faults and apps are in test_rtkit_fw_power.c.
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

/* ---- boot --------------------------------------------------------------- */

static void check_board_boot(const char *board)
{
	struct test_ap *ap = test_ap_new(board, NULL);
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
	test_ap_free(ap);
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
	struct test_ap *ap = test_ap_new(NULL, &cfg);

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
	test_ap_free(ap);
}

static void test_version_checks(void **state)
{
	struct copro_sim_rtkit_config cfg = { .ver_min = 11, .ver_max = 11 };
	struct test_ap *ap = test_ap_new(NULL, &cfg);

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
	test_ap_free(ap);
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
	ap = test_ap_new(NULL, &cfg);
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
	test_ap_free(ap);
}

static void test_refusals_before_boot(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);
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
	test_ap_free(ap);
}

/* Injections need a running CPU; while it is stopped they are dropped. */
static void test_injections_dropped_while_stopped(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);

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
	test_ap_free(ap);
}

static void test_bad_configs(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);
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
	test_ap_free(ap);
}

/* Two boards, two coprocessors booted side by side. */
static void test_two_boards(void **state)
{
	struct test_ap *a = test_ap_new("t8103", NULL);
	struct test_ap *b = test_ap_new("t6000", NULL);

	(void)state;
	test_ap_boot(a);
	test_ap_boot(b);
	assert_int_equal(copro_sim_rtkit_syslog(a->fw, "a", "from a"), 0);
	assert_int_equal(copro_sim_rtkit_syslog(b->fw, "b", "from b"), 0);
	test_ap_pump_lines(a, 1);
	test_ap_pump_lines(b, 1);
	assert_string_equal(a->last_text, "from a");
	assert_string_equal(b->last_text, "from b");
	test_ap_free(b);
	test_ap_free(a);
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
		cmocka_unit_test(test_injections_dropped_while_stopped),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_two_boards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
