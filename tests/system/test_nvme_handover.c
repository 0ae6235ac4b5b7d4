// SPDX-License-Identifier: MIT
/*
 * The NVMe driver and a coprocessor someone else left running: a
 * bootloader that booted it and walked away (u-boot without its remove,
 * OpenBSD-style with AP ON), one that put it to sleep with the CPU still
 * running (m1n1), and firmware that does not answer at all. The driver
 * adopts the first three without stopping the CPU or touching the reset
 * line, with a session and buffers of its own, and falls back to a cold
 * start for the last. The A11 (t8015) is adopted the same way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <copro/nvme.h>
#include <copro/regs/ans2.h>
#include <copro/rtkit.h>
#include <copro/sim/ans2_model.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>
#include <copro/sim/rtkit_fw.h>

#include "test_peer.h"
#include "test_rtkit_msg.h"

struct edges {
	_Atomic unsigned asserted;
};

static void reset_changed(void *ctx, int provider, uint32_t arg, bool on)
{
	struct edges *e = ctx;

	(void)provider;
	(void)arg;
	if (on)
		atomic_fetch_add(&e->asserted, 1);
}

/* Counts assertions of the NVMe node's (first) reset line. */
static void watch_reset(struct test_ap *ap, struct edges *e,
			struct copro_bus_watch *w)
{
	struct copro_dt_ref ref;

	assert_int_equal(copro_dt_ref(copro_board_dt(ap->b), ap->nvme, "resets",
				      "#reset-cells", 0, &ref),
			 0);
	*w = (struct copro_bus_watch){ .changed = reset_changed, .ctx = e };
	assert_int_equal(copro_bus_watch_reset(copro_board_bus(ap->b), ref.node, w),
			 0);
}

static void unwatch_reset(struct test_ap *ap, struct copro_bus_watch *w)
{
	struct copro_dt_ref ref;

	assert_int_equal(copro_dt_ref(copro_board_dt(ap->b), ap->nvme, "resets",
				      "#reset-cells", 0, &ref),
			 0);
	copro_bus_unwatch(copro_board_bus(ap->b), ref.node, w);
}

static void read_block(struct copro_nvme *nvme)
{
	void *buf = aligned_alloc(4096, 4096);

	assert_non_null(buf);
	assert_int_equal(copro_nvme_read(nvme, 0, buf, 4096), 0);
	free(buf);
}

/*
 * RTKIT_RUNNING: OpenBSD's RTKit boot (AP ON) and nothing more, the
 * controller never enabled; the A11 has no linear queue for the peers'
 * NVMe side, so its previous owner leaves it so.
 */
enum previous { UBOOT_RUNNING, OPENBSD_RUNNING, RTKIT_RUNNING, M1N1_ASLEEP };

/*
 * `prev` leaves the coprocessor; the NVMe driver probes on the same
 * board and adopts it.
 */
static void check_adopt(enum previous prev, const char *board)
{
	struct test_ap *ap = test_ap_new_ans2(board);
	struct copro_sim_asc_stats before, after;
	struct copro_bus_watch w;
	struct edges e = { 0 };
	struct copro_nvme *nvme;
	struct peer pr;

	peer_open(&pr, ap);
	switch (prev) {
	case UBOOT_RUNNING:
		/* Booted and in use, controller enabled: never removed. */
		peer_uboot_rtkit_boot(&pr);
		assert_true(peer_wait_boot_status(&pr, 500 * COPRO_NSEC_PER_MSEC));
		peer_nvme_init(&pr);
		break;
	case OPENBSD_RUNNING:
		peer_openbsd_rtkit_boot(&pr);
		peer_nvme_init(&pr);
		assert_true(copro_sim_rtkit_is_up(ap->fw));
		break;
	case RTKIT_RUNNING:
		peer_openbsd_rtkit_boot(&pr);
		assert_true(peer_wait_boot_status(&pr, 500 * COPRO_NSEC_PER_MSEC));
		assert_true(copro_sim_rtkit_is_up(ap->fw));
		break;
	case M1N1_ASLEEP:
		peer_m1n1_rtkit_boot(&pr);
		assert_true(peer_wait_boot_status(&pr, COPRO_NSEC_PER_SEC));
		peer_m1n1_rtkit_shutdown(&pr);
		break;
	}
	test_ap_settle(ap);
	test_ap_release(ap);
	copro_sim_asc_get_stats(ap->asc, &before);
	watch_reset(ap, &e, &w);

	assert_int_equal(copro_nvme_probe(ap->p, ap->nvme, NULL, &nvme), 0);
	/* The handoff is done: the previous owner lets go of the power. */
	peer_close(&pr);
	copro_sim_asc_get_stats(ap->asc, &after);
	assert_int_equal(after.cpu_stops, before.cpu_stops);
	assert_int_equal(after.cpu_starts, before.cpu_starts);
	assert_int_equal(atomic_load(&e.asserted), 0);
	test_logcap_expect(&ap->cap, "the coprocessor is already running");
	/* A session of its own: the map, and buffers it gave. */
	assert_true(copro_rtkit_is_running(copro_nvme_rtkit(nvme)));
	assert_true(copro_rtkit_has_ep(copro_nvme_rtkit(nvme), 0x20));
	assert_non_null(copro_rtkit_shmem(copro_nvme_rtkit(nvme),
					  COPRO_RTKIT_EP_CRASHLOG));
	assert_true(copro_sim_rtkit_is_up(ap->fw));
	read_block(nvme);
	assert_int_equal(test_ap_stats(ap).refused, 0);

	copro_nvme_remove(nvme);
	/* Remove toggles the reset line once the CPU is stopped. */
	assert_int_equal(atomic_load(&e.asserted), 1);
	unwatch_reset(ap, &w);
	assert_int_equal(test_ap_stats(ap).refused, 0);
	test_ap_reinit(ap);
	test_ap_free(ap);
}

static void test_adopt_uboot_t8103(void **state)
{
	(void)state;
	check_adopt(UBOOT_RUNNING, "t8103");
}

static void test_adopt_uboot_t6000(void **state)
{
	(void)state;
	check_adopt(UBOOT_RUNNING, "t6000");
}

static void test_adopt_running_with_ap_on(void **state)
{
	(void)state;
	check_adopt(OPENBSD_RUNNING, "t8103");
}

static void test_adopt_asleep(void **state)
{
	(void)state;
	check_adopt(M1N1_ASLEEP, "t8103");
}

static void test_adopt_running_t8015(void **state)
{
	(void)state;
	check_adopt(RTKIT_RUNNING, "t8015");
}

static void test_adopt_asleep_t8015(void **state)
{
	(void)state;
	check_adopt(M1N1_ASLEEP, "t8015");
}

/*
 * The CPU runs but its firmware never answers: the takeover times out
 * and the driver starts the coprocessor cold (CPU stopped, reset, RUN).
 */
static void test_silent_firmware_cold_start(void **state)
{
	struct test_ap *ap = test_ap_new_ans2("t8103");
	struct copro_sim_asc_stats st;
	struct copro_nvme *nvme;
	struct peer pr;

	(void)state;
	peer_open(&pr, ap);
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_HELLO, true);
	peer_cpu(&pr, true);
	test_ap_wait_log(ap, "fault: no HELLO, staying silent");
	copro_sim_rtkit_set_fault(ap->fw, COPRO_SIM_RTKIT_FAULT_NO_HELLO, false);
	test_ap_release(ap);
	assert_int_equal(copro_nvme_probe(ap->p, ap->nvme, NULL, &nvme), 0);
	peer_close(&pr);
	test_logcap_expect(&ap->cap, "taking over the running coprocessor failed");
	copro_sim_asc_get_stats(ap->asc, &st);
	assert_int_equal(st.cpu_stops, 1);
	assert_int_equal(st.cpu_starts, 2);
	read_block(nvme);
	copro_nvme_remove(nvme);
	test_ap_free(ap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adopt_uboot_t8103),
		cmocka_unit_test(test_adopt_uboot_t6000),
		cmocka_unit_test(test_adopt_running_with_ap_on),
		cmocka_unit_test(test_adopt_asleep),
		cmocka_unit_test(test_adopt_running_t8015),
		cmocka_unit_test(test_adopt_asleep_t8015),
		cmocka_unit_test(test_silent_firmware_cold_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
