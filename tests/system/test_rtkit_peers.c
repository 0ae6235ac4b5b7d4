// SPDX-License-Identifier: MIT
/*
 * The firmware and ANS2 models against the public drivers' own
 * sequences (tests/common/test_peer.h): u-boot, m1n1 and OpenBSD boot,
 * use and hand over the coprocessor as on a real Mac, and the models
 * take every step without a refusal or a warning, as real firmware does.
 * The handoffs between them (m1n1 to u-boot to OpenBSD) work too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include <copro/regs/ans2.h>
#include <copro/sim/ans2_model.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>
#include <copro/sim/rtkit_fw.h>

#include "test_peer.h"
#include "test_rtkit_msg.h"

/* What a faithful model owes a real driver: no refusal, no complaint. */
static void clean(struct test_ap *ap)
{
	struct copro_sim_ans2 *m = copro_board_ans2(ap->b, ap->nvme);
	struct copro_sim_ans2_stats st;

	test_ap_settle(ap);
	assert_int_equal(test_ap_stats(ap).refused, 0);
	assert_non_null(m);
	copro_sim_ans2_get_stats(m, &st);
	assert_int_equal(st.bad_accesses, 0);
	assert_int_equal(st.tcb_missing, 0);
	assert_int_equal(st.prp_violations, 0);
	assert_int_equal(st.tag_errors, 0);
	assert_int_equal(st.doorbells_ignored, 0);
	assert_int_equal(st.disabled_with_ioq, 0);
	if (test_logcap_count(&ap->cap, "warn:") ||
	    test_logcap_count(&ap->cap, "err:")) {
		test_logcap_dump(&ap->cap);
		fail_msg("a model complained about a real driver's sequence");
	}
}

/*
 * u-boot: boot without AP ON, BOOT_STATUS polled right after (OK at IOP
 * ON), the controller set up with its register values and TCBs, then
 * its remove: controller off, IOP SLEEP only, CPU stopped, resets
 * toggled. And again, as the next u-boot command would.
 */
static void check_uboot(const char *board)
{
	struct test_ap *ap = test_ap_new_ans2(board);
	struct peer pr;

	peer_open(&pr, ap);
	for (int round = 0; round < 2; round++) {
		peer_uboot_rtkit_boot(&pr);
		assert_true(peer_wait_boot_status(&pr, 500 * COPRO_NSEC_PER_MSEC));
		assert_int_equal(copro_sim_rtkit_ap_state(ap->fw), OFF);
		assert_false(copro_sim_rtkit_is_up(ap->fw));
		/* syslog and debug were never started: no line, no complaint. */
		assert_false(ap->bufs[TEST_AP_SYSLOG].set);
		assert_true(ap->bufs[TEST_AP_OSLOG].set);
		peer_nvme_init(&pr);
		peer_nvme_shutdown(&pr);
		peer_uboot_rtkit_shutdown(&pr);
		assert_int_equal(copro_sim_rtkit_iop_state(ap->fw), SLEEP);
		peer_cpu(&pr, false);
		peer_reset_toggle(&pr);
		test_ap_reinit(ap);
		clean(ap);
	}
	peer_close(&pr);
	test_ap_free(ap);
}

static void test_uboot_t8103(void **state)
{
	(void)state;
	check_uboot("t8103");
}

static void test_uboot_t6000(void **state)
{
	(void)state;
	check_uboot("t6000");
}

/*
 * m1n1: its oslog ACK for the buffer request, AP ON without waiting,
 * BOOT_STATUS within 1 s, and its shutdown (AP and IOP 0x10). Then
 * u-boot takes the sleeping coprocessor over with its IOP ON, as the
 * boot chain does, and OpenBSD after u-boot's remove.
 */
static void test_m1n1_then_uboot_then_openbsd(void **state)
{
	struct test_ap *ap = test_ap_new_ans2("t8103");
	struct peer pr;

	(void)state;
	peer_open(&pr, ap);
	peer_m1n1_rtkit_boot(&pr);
	assert_true(peer_wait_boot_status(&pr, COPRO_NSEC_PER_SEC));
	assert_false(ap->bufs[TEST_AP_OSLOG].set);
	peer_m1n1_rtkit_shutdown(&pr);
	assert_int_equal(copro_sim_rtkit_iop_state(ap->fw), QUIESCED);
	clean(ap);
	peer_close(&pr);
	test_ap_reinit(ap);

	/* u-boot: the CPU still runs, the firmware sleeps: IOP ON wakes it. */
	peer_open(&pr, ap);
	peer_uboot_rtkit_boot(&pr);
	assert_true(peer_wait_boot_status(&pr, 500 * COPRO_NSEC_PER_MSEC));
	peer_nvme_init(&pr);
	peer_nvme_shutdown(&pr);
	peer_uboot_rtkit_shutdown(&pr);
	peer_cpu(&pr, false);
	peer_reset_toggle(&pr);
	clean(ap);
	peer_close(&pr);
	test_ap_reinit(ap);

	/* OpenBSD: INIT first, AP ON, BOOT_STATUS read once, at once. */
	peer_open(&pr, ap);
	peer_openbsd_rtkit_boot(&pr);
	assert_int_equal(peer_boot_status(&pr), ANS2_BOOT_STATUS_OK);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	peer_nvme_init(&pr);
	clean(ap);
	peer_close(&pr);
	test_ap_free(ap);
}

/*
 * OpenBSD's suspend and resume: nvme shutdown, RTKit shutdown, CPU
 * stopped, resets toggled, power domains off; then power on, the CPU
 * started, BOOT_STATUS not OK, so a whole boot again.
 */
static void test_openbsd_suspend_resume(void **state)
{
	struct test_ap *ap = test_ap_new_ans2("t6000");
	struct copro_sim_asc_stats as;
	struct peer pr;

	(void)state;
	peer_open(&pr, ap);
	peer_openbsd_rtkit_boot(&pr);
	assert_int_equal(peer_boot_status(&pr), ANS2_BOOT_STATUS_OK);
	peer_nvme_init(&pr);
	peer_nvme_shutdown(&pr);
	peer_openbsd_rtkit_shutdown(&pr);
	peer_cpu(&pr, false);
	peer_reset_toggle(&pr);
	peer_power_off(&pr);
	peer_close(&pr);
	test_ap_reinit(ap);

	peer_open(&pr, ap);
	assert_int_not_equal(peer_boot_status(&pr), ANS2_BOOT_STATUS_OK);
	peer_openbsd_rtkit_boot(&pr);
	assert_int_equal(peer_boot_status(&pr), ANS2_BOOT_STATUS_OK);
	peer_nvme_init(&pr);
	copro_sim_asc_get_stats(ap->asc, &as);
	assert_int_equal(as.cpu_starts, 2);
	assert_int_equal(test_ap_stats(ap).boots, 2);
	clean(ap);
	peer_close(&pr);
	test_ap_free(ap);
}

/*
 * The A11 (t8015): the same RTKit under the bootloaders' sequences, one
 * after another on one coprocessor (their NVMe side is the M1's linear
 * queue, which the A11 lacks, so only RTKit and BOOT_STATUS here):
 * u-boot's boot (OK at IOP ON, no AP ON) and remove, m1n1's boot and
 * quiesce with the CPU left running, then OpenBSD's INIT waking it and
 * its shutdown.
 */
static void test_bootloaders_t8015(void **state)
{
	struct test_ap *ap = test_ap_new_ans2("t8015");
	struct peer pr;

	(void)state;
	peer_open(&pr, ap);
	peer_uboot_rtkit_boot(&pr);
	assert_true(peer_wait_boot_status(&pr, 500 * COPRO_NSEC_PER_MSEC));
	assert_int_equal(copro_sim_rtkit_ap_state(ap->fw), OFF);
	peer_uboot_rtkit_shutdown(&pr);
	assert_int_equal(copro_sim_rtkit_iop_state(ap->fw), SLEEP);
	peer_cpu(&pr, false);
	peer_reset_toggle(&pr);
	test_ap_reinit(ap);
	clean(ap);

	peer_m1n1_rtkit_boot(&pr);
	assert_true(peer_wait_boot_status(&pr, COPRO_NSEC_PER_SEC));
	peer_m1n1_rtkit_shutdown(&pr);
	assert_int_equal(copro_sim_rtkit_iop_state(ap->fw), QUIESCED);
	test_ap_reinit(ap);
	clean(ap);

	peer_openbsd_rtkit_boot(&pr);
	assert_int_equal(peer_boot_status(&pr), ANS2_BOOT_STATUS_OK);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	peer_openbsd_rtkit_shutdown(&pr);
	assert_int_equal(copro_sim_rtkit_iop_state(ap->fw), SLEEP);
	test_ap_reinit(ap);
	/* A boot counts at AP ON, which u-boot never sends. */
	assert_int_equal(test_ap_stats(ap).boots, 2);
	clean(ap);
	peer_close(&pr);
	test_ap_free(ap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uboot_t8103),
		cmocka_unit_test(test_uboot_t6000),
		cmocka_unit_test(test_m1n1_then_uboot_then_openbsd),
		cmocka_unit_test(test_openbsd_suspend_resume),
		cmocka_unit_test(test_bootloaders_t8015),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
