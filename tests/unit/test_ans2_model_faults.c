/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 model's interrupt line and every injectable fault: lost
 * interrupts, the doorbell race, stuck commands, DMA faults, a crash in
 * the middle of I/O, BOOT_STATUS never set, Identify failing, a queue
 * count other than one; a full CQ holding completions back; and two
 * boards side by side.
 */
#include "test_ans2_model_host.h"

static struct nvme_sqe read1(struct host *h, size_t off)
{
	return h_rw_sqe(NVME_CMD_READ, 0, 1, h->data.phys + off,
			h->data.phys + off);
}

static bool line(struct host *h)
{
	return copro_bus_irq_get(h->bus, h->line);
}

static bool line_up(void *arg)
{
	return line(arg);
}

/* The entry `ahead` slots past the host's head is in phase. */
struct slot_ctx {
	struct host *h;
	unsigned q, ahead;
};

static bool slot_ready(void *arg)
{
	struct slot_ctx *sc = arg;
	struct host *h = sc->h;
	unsigned idx = h->head[sc->q] + sc->ahead;
	unsigned phase = h->phase[sc->q] ^ (idx >= h->depth[sc->q]);
	volatile struct nvme_cqe *e = (volatile struct nvme_cqe *)
		h->cq[sc->q].cpu + idx % h->depth[sc->q];

	return (__atomic_load_n(&e->status, __ATOMIC_ACQUIRE) &
		NVME_CQE_PHASE) == phase;
}

static void test_interrupt_level(void **state)
{
	struct host *h = *state;
	struct slot_ctx second = { h, 1, 1 };
	struct nvme_cqe a, b;

	h_bringup(h);
	assert_false(line(h));
	h_submit(h, 1, 2, read1(h, 0));
	assert_true(test_wait_until(line_up, h, TEST_TIMEOUT_NS));
	h_submit(h, 1, 3, read1(h, 4096));
	assert_true(test_wait_until(slot_ready, &second, TEST_TIMEOUT_NS));
	/* Level: up until the head doorbell passes every entry. */
	a = h_reap_nodb(h, 1);
	h_cq_db(h, 1);
	assert_true(line(h));
	b = h_reap_nodb(h, 1);
	assert_true(line(h));
	h_cq_db(h, 1);
	assert_false(line(h));
	assert_int_equal(a.cid + b.cid, 5);
	assert_int_equal(a.status & ~NVME_CQE_PHASE, 0);
	h_wr(h, ANS2_NVMMU_TCB_INVAL, 2);
	h_wr(h, ANS2_NVMMU_TCB_INVAL, 3);

	/* A head doorbell past the tail, or past the ring, is refused. */
	h_wr(h, ANS2_IOCQ_DB, (h->head[1] + 5) % H_IO_DEPTH);
	test_logcap_expect(h->cap, "I/O CQ head doorbell");
	h_wr(h, ANS2_IOCQ_DB, 64);
	assert_int_equal(h_stats(h).doorbells_ignored, 2);
	assert_int_equal(h_cmd(h, 1, 2, read1(h, 0), NULL), 0);
}

static void test_lost_interrupt(void **state)
{
	struct host *h = *state;
	struct nvme_cqe c;

	h_bringup(h);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_LOST_IRQ, 1);
	h_submit(h, 1, 2, read1(h, 0));
	/* The completion is in the ring, the line never rose. */
	c = h_reap_nodb(h, 1);
	assert_int_equal(c.cid, 2);
	assert_false(line(h));
	assert_int_equal(h_stats(h).lost_irqs, 1);
	h_wr(h, ANS2_NVMMU_TCB_INVAL, 2);
	h_cq_db(h, 1);
	/* The fault was used up: the next one interrupts. */
	h_submit(h, 1, 2, read1(h, 0));
	assert_true(test_wait_until(line_up, h, TEST_TIMEOUT_NS));
	h_reap(h, 1);
	assert_false(line(h));
}

static void test_doorbell_race(void **state)
{
	struct host *h = *state;
	struct nvme_cqe a, b;

	h_bringup(h);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_DOORBELL_RACE, 1);
	/*
	 * No completion being processed: nothing is lost. The line rises
	 * after the entry is in the ring, as a device's interrupt follows
	 * its write: wait for it rather than catch it on the way.
	 */
	h_submit(h, 1, 2, read1(h, 0));
	a = h_reap_nodb(h, 1);
	assert_true(test_wait_until(line_up, h, TEST_TIMEOUT_NS));
	/* A doorbell while the host is still in its completion handler... */
	h_submit(h, 1, 3, read1(h, 4096));
	b = h_reap_nodb(h, 1);
	assert_int_equal(a.cid, 2);
	assert_int_equal(b.cid, 3);
	/* ... lost that completion's interrupt: acknowledging the first
	 * entry drops the line although the second is in the ring. */
	h_wr(h, ANS2_IOCQ_DB, (h->head[1] + H_IO_DEPTH - 1) % H_IO_DEPTH);
	assert_false(line(h));
	assert_int_equal(h_stats(h).lost_irqs, 1);
	h_cq_db(h, 1);
	h_wr(h, ANS2_NVMMU_TCB_INVAL, 2);
	h_wr(h, ANS2_NVMMU_TCB_INVAL, 3);
	/* Disarmed, the same sequence keeps the line up. */
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_DOORBELL_RACE, 0);
	h_submit(h, 1, 2, read1(h, 0));
	h_reap_nodb(h, 1);
	h_submit(h, 1, 3, read1(h, 4096));
	h_reap_nodb(h, 1);
	h_wr(h, ANS2_IOCQ_DB, (h->head[1] + H_IO_DEPTH - 1) % H_IO_DEPTH);
	assert_true(line(h));
	h_cq_db(h, 1);
	assert_false(line(h));
}

static bool stuck_one(void *arg)
{
	return h_stats(arg).stuck == 1;
}

static void test_stuck_command(void **state)
{
	struct host *h = *state;
	struct nvme_cqe c;

	h_bringup(h);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_STUCK, 1);
	h_submit(h, 1, 3, read1(h, 0));
	assert_true(test_wait_until(stuck_one, h, TEST_TIMEOUT_NS));
	/* Later commands pass it by; it never shows up. */
	h_submit(h, 1, 4, read1(h, 0));
	c = h_reap(h, 1);
	assert_int_equal(c.cid, 4);
	h_assert_empty(h, 1);
	assert_int_equal(h_stats(h).stuck, 1);
	h_wr(h, ANS2_NVMMU_TCB_INVAL, 3);
	assert_int_equal(h_rd(h, ANS2_NVMMU_TCB_STAT), 1);

	/* Deleting its SQ aborts it. */
	assert_int_equal(h_cmd(h, 0, 0,
			       h_admin_sqe(NVME_ADMIN_DELETE_SQ, 1, 0, 0),
			       NULL),
			 0);
	c = h_reap(h, 1);
	assert_int_equal(c.cid, 3);
	assert_int_equal(c.status & ~NVME_CQE_PHASE,
			 NVME_CQE_STATUS(NVME_SCT_GENERIC,
					 NVME_SC_ABORT_SQ_DELETED));
}

static void test_dma_fault(void **state)
{
	struct host *h = *state;

	h_bringup(h);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_DMA, 1);
	/* Flush moves no data: the fault waits for a command that does. */
	assert_int_equal(h_cmd(h, 1, 2,
			       h_rw_sqe(NVME_CMD_FLUSH, 0, 1, h->data.phys,
					h->data.phys),
			       NULL),
			 0);
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, 0, 1, 0, false),
			 NVME_CQE_STATUS(NVME_SCT_GENERIC,
					 NVME_SC_DATA_XFER_ERROR));
	test_logcap_expect(h->cap, "injected DMA fault");
	assert_int_equal(h_stats(h).writes, 0);
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, 0, 1, 0, false), 0);
}

static bool cfs_set(void *arg)
{
	struct host *h = arg;

	return h_rd(h, ANS2_NVME_CSTS) & ANS2_CSTS_CFS;
}

static void test_crash_mid_io(void **state)
{
	struct host *h = *state;
	struct copro_sim_ans2_stats st;
	unsigned done = 0;

	h_bringup(h);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_CRASH, 3);
	for (unsigned tag = 2; tag < 34; tag++)
		h_submit(h, 1, tag, read1(h, (tag - 2) * 4096));
	/* The firmware crashed: its crashlog reaches the host... */
	h_expect_crash(h, "ANS2: injected crash in the middle of I/O");
	assert_true(cfs_set(h));
	test_logcap_expect(h->cap, "injected coprocessor crash");
	assert_true(copro_sim_rtkit_crashed(h->fw));
	/* ... after which nothing more completes. */
	while (h_cq_ready(h, 1)) {
		h_reap_nodb(h, 1);
		done++;
	}
	st = h_stats(h);
	/* The third completion and whatever was posted beside it. */
	assert_true(done >= 3 && done <= st.commands && done < 32);
	assert_int_equal(h_rd(h, ANS2_BOOT_STATUS), 0);
	h_submit(h, 1, 40, read1(h, 0));
	assert_int_equal(h_stats(h).commands, st.commands);
	/* Dead until reset: enabling again does not help. */
	h_wr(h, ANS2_NVME_CC, 0);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), ANS2_CSTS_CFS);
	h_wr(h, ANS2_NVME_CC, ANS2_CC_EN);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), ANS2_CSTS_CFS);
	/* A reset and a new boot bring it back. */
	assert_int_equal(copro_reset_assert(h->rst), 0);
	assert_int_equal(copro_reset_deassert(h->rst), 0);
	h_bringup(h);
	assert_int_equal(h_io(h, NVME_CMD_READ, 2, 0, 1, 0, false), 0);
}

static void test_boot_status_and_identify_faults(void **state)
{
	struct host *h = *state;
	uint32_t result = 0;
	struct nvme_sqe s;

	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_NO_BOOT_STATUS, 1);
	assert_int_equal(copro_power_on(h->pd), 0);
	h_boot(h);
	assert_int_equal(h_rd(h, ANS2_BOOT_STATUS), 0);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_NO_BOOT_STATUS, 0);
	assert_int_equal(h_rd(h, ANS2_BOOT_STATUS), ANS2_BOOT_STATUS_OK);

	h_bringup(h);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_IDENTIFY, 1);
	s = h_admin_sqe(NVME_ADMIN_IDENTIFY, NVME_ID_CNS_CTRL, 0,
			h->data.phys);
	assert_int_equal(h_cmd(h, 0, 0, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INTERNAL));
	/* Only the controller data fails. */
	s.cdw10 = NVME_ID_CNS_NS;
	s.nsid = 1;
	assert_int_equal(h_cmd(h, 0, 0, s, NULL), 0);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_IDENTIFY, 0);
	s.cdw10 = NVME_ID_CNS_CTRL;
	assert_int_equal(h_cmd(h, 0, 0, s, NULL), 0);

	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_QUEUE_COUNT, 1);
	s = h_admin_sqe(NVME_ADMIN_SET_FEATURES, NVME_FEAT_NUM_QUEUES, 0, 0);
	assert_int_equal(h_cmd(h, 0, 0, s, &result), 0);
	assert_int_equal(result, 1u | 1u << 16);
}

static bool two_ran(void *arg)
{
	return h_stats(arg).commands == 2;
}

static void test_full_cq_holds_completions(void **state)
{
	struct host *h = *state;
	struct nvme_sqe s = h_admin_sqe(NVME_ADMIN_GET_FEATURES,
					NVME_FEAT_VOLATILE_WC, 0, 0);
	struct nvme_cqe a, b;

	h_prepare(h);
	h_enable(h);
	/* Two admin entries hold one completion; the second waits. */
	h_submit(h, 0, 0, s);
	h_submit(h, 0, 1, s);
	a = h_reap_nodb(h, 0);
	assert_true(test_wait_until(line_up, h, TEST_TIMEOUT_NS));
	assert_true(test_wait_until(two_ran, h, TEST_TIMEOUT_NS));
	h_assert_empty(h, 0);
	h_wr(h, ANS2_NVMMU_TCB_INVAL, a.cid);
	h_cq_db(h, 0);
	b = h_reap(h, 0);
	assert_int_equal(a.cid + b.cid, 1);
	assert_false(line(h));
}

static bool stuck_two(void *arg)
{
	return h_stats(arg).stuck == 2;
}

static void test_power_off_mid_io(void **state)
{
	struct host *h = *state;

	h_bringup(h);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_STUCK, 2);
	h_submit(h, 1, 2, read1(h, 0));
	h_submit(h, 1, 3, read1(h, 0));
	assert_true(test_wait_until(stuck_two, h, TEST_TIMEOUT_NS));
	for (unsigned tag = 4; tag < 20; tag++)
		h_submit(h, 1, tag, read1(h, tag * 4096));
	assert_int_equal(copro_power_off(h->pd), 0);
	assert_false(line(h));
	assert_int_equal(copro_power_on(h->pd), 0);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), 0);
	/* Everything was forgotten: the same tags are free again. */
	h_prepare(h);
	h_enable(h);
	assert_int_equal(h_create_cq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_create_sq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_io(h, NVME_CMD_READ, 2, 0, 1, 0, false), 0);
	assert_int_equal(h_io(h, NVME_CMD_READ, 3, 0, 1, 0, false), 0);
}

static void test_two_boards(void **state)
{
	struct host *a = *state, *b = calloc(1, sizeof(*b));
	uint8_t buf[ANS2_LBA_SIZE];

	assert_non_null(b);
	h_open_cfg(b, false);
	h_bringup(a);
	h_bringup(b);
	h_fill(a->data.cpu, ANS2_LBA_SIZE, 1);
	h_fill(b->data.cpu, ANS2_LBA_SIZE, 2);
	assert_int_equal(h_io(a, NVME_CMD_WRITE, 2, 7, 1, 0, false), 0);
	assert_int_equal(h_io(b, NVME_CMD_WRITE, 2, 7, 1, 0, false), 0);
	/* A fault on one board leaves the other alone. */
	copro_sim_ans2_set_fault(a->m, COPRO_SIM_ANS2_FAULT_DMA, 1);
	assert_int_equal(h_io(b, NVME_CMD_READ, 3, 7, 1, 0, false), 0);
	assert_int_equal(h_io(a, NVME_CMD_READ, 3, 7, 1, 0, false),
			 NVME_CQE_STATUS(NVME_SCT_GENERIC,
					 NVME_SC_DATA_XFER_ERROR));
	h_file(a, 7 * ANS2_LBA_SIZE, buf, sizeof(buf));
	assert_memory_equal(buf, a->data.cpu, sizeof(buf));
	h_file(b, 7 * ANS2_LBA_SIZE, buf, sizeof(buf));
	assert_memory_equal(buf, b->data.cpu, sizeof(buf));
	assert_int_equal(h_stats(a).writes, 1);
	assert_int_equal(h_stats(b).reads, 1);
	h_close(b);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_interrupt_level, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_lost_interrupt, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_doorbell_race, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_stuck_command, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_dma_fault, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_crash_mid_io, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(
			test_boot_status_and_identify_faults, h_setup,
			h_teardown),
		cmocka_unit_test_setup_teardown(test_full_cq_holds_completions,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_power_off_mid_io, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_two_boards, h_setup,
						h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
