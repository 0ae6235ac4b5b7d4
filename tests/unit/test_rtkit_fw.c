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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_t8103),
		cmocka_unit_test(test_boot_t6000),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
