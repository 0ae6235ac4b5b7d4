/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 model as the application of its coprocessor's RTKit firmware
 * model: the controller follows the firmware up and down (sleep, a new
 * boot, CPU stop), dies with it when it crashes, drops messages on its unused
 * application endpoint, and stops a still-running CPU when destroyed.
 */
#include "test_ans2_model_host.h"

#include <copro/rtkit.h>

static struct nvme_sqe read1(struct host *h, size_t off)
{
	return h_rw_sqe(NVME_CMD_READ, 0, 1, h->data.phys + off,
			h->data.phys + off);
}

static bool stuck_two(void *arg)
{
	return h_stats(arg).stuck == 2;
}

static bool cfs_set(void *arg)
{
	struct host *h = arg;

	return h_rd(h, ANS2_NVME_CSTS) & ANS2_CSTS_CFS;
}

static void test_firmware_crash_mid_io(void **state)
{
	struct host *h = *state;
	struct copro_sim_ans2_stats st;

	h_bringup(h);
	/* Two commands the controller holds when the firmware dies. */
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_STUCK, 2);
	h_submit(h, 1, 2, read1(h, 0));
	h_submit(h, 1, 3, read1(h, 4096));
	assert_true(test_wait_until(stuck_two, h, TEST_TIMEOUT_NS));

	assert_int_equal(copro_sim_rtkit_crash(h->fw, "test crash", -1), 0);
	h_expect_crash(h, "test crash");
	/* By the time the host hears of it, the controller is dead. */
	assert_true(cfs_set(h));
	assert_int_equal(h_rd(h, ANS2_BOOT_STATUS), 0);
	h_assert_empty(h, 1);
	st = h_stats(h);
	h_submit(h, 1, 4, read1(h, 0));
	assert_int_equal(h_stats(h).doorbells_ignored,
			 st.doorbells_ignored + 1);
	h_assert_empty(h, 1);
	assert_int_equal(h_stats(h).commands, st.commands);

	/* Only a reset and a new boot bring it back. */
	h_wr(h, ANS2_NVME_CC, 0);
	assert_int_equal(copro_reset_assert(h->rst), 0);
	assert_int_equal(copro_reset_deassert(h->rst), 0);
	h_bringup(h);
	assert_int_equal(h_io(h, NVME_CMD_READ, 2, 0, 1, 0, false), 0);
}

static void test_firmware_sleep_and_wake(void **state)
{
	struct host *h = *state;
	struct copro_sim_ans2_stats st;

	h_bringup(h);
	/* The RTKit shutdown sequence takes the firmware out of ON. */
	assert_int_equal(copro_rtkit_shutdown(h->rtk), 0);
	assert_int_equal(h_rd(h, ANS2_BOOT_STATUS), 0);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS) & ANS2_CSTS_RDY, 0);
	st = h_stats(h);
	h_submit(h, 1, 2, read1(h, 0));
	assert_int_equal(h_stats(h).doorbells_ignored,
			 st.doorbells_ignored + 1);

	/* The resume path: a full boot; the controller needs a new enable. */
	h_boot(h);
	assert_int_equal(h_rd(h, ANS2_BOOT_STATUS), ANS2_BOOT_STATUS_OK);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS) & ANS2_CSTS_RDY, 0);
	h_wr(h, ANS2_NVME_CC, 0);
	h_enable(h);
	assert_int_equal(h_create_cq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_create_sq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_io(h, NVME_CMD_READ, 2, 0, 1, 0, false), 0);
}

static bool app_msg_seen(void *arg)
{
	return h_stats(arg).app_messages == 1;
}

static void test_app_endpoint(void **state)
{
	struct host *h = *state;

	h_bringup(h);
	assert_int_equal(copro_rtkit_start_ep(h->rtk, ANS2_RTKIT_APP_EP), 0);
	assert_int_equal(copro_rtkit_send_message(h->rtk, ANS2_RTKIT_APP_EP,
						  0x1234, TEST_TIMEOUT_NS),
			 0);
	assert_true(test_wait_until(app_msg_seen, h, TEST_TIMEOUT_NS));
	test_logcap_expect(h->cap, "message 0x0000000000001234 on endpoint"
			   " 0x20 ignored");
	/* The controller does not care. */
	assert_int_equal(h_io(h, NVME_CMD_READ, 2, 0, 1, 0, false), 0);
}

static void test_destroy_while_running(void **state)
{
	struct host *h = *state;

	h_bringup(h);
	h_submit(h, 1, 2, read1(h, 0));
	copro_mmio_unmap(h->r);
	h->r = NULL;
	copro_sim_ans2_destroy(h->m);
	h->m = NULL;
	test_logcap_expect(h->cap, "destroyed while the coprocessor runs");
	assert_false(copro_sim_rtkit_is_up(h->fw));
	/* The firmware lives on without its app: it boots again. */
	h_boot(h);
	assert_true(copro_sim_rtkit_is_up(h->fw));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_firmware_crash_mid_io,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_firmware_sleep_and_wake,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_app_endpoint, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_while_running,
						h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
