/* SPDX-License-Identifier: MIT */
/*
 * What the ANS2 controller enforces, each rule from outside: a valid TCB
 * for every command, DMA only to what the TCB allows, the PRP null check
 * until UNKNOWN_CTRL bit 11 is cleared, tags below 64 in one space over
 * both queues, linear doorbells only in linear mode, one I/O queue pair
 * of at most 64 entries, admin depth 2, no Abort and no async events.
 */
#include "test_ans2_model_host.h"

static struct nvme_sqe read1(struct host *h, size_t off)
{
	return h_rw_sqe(NVME_CMD_READ, 0, 1, h->data.phys + off,
			h->data.phys + off);
}

/* Submit with the TCB as the test left it, reap, acknowledge. */
static uint16_t raw_cmd(struct host *h, unsigned q, unsigned tag,
			struct nvme_sqe s)
{
	struct nvme_cqe c;

	s.cid = (uint16_t)tag;
	h_ring(h, q, tag, &s);
	c = h_reap(h, q);
	assert_int_equal(c.cid, tag);
	return c.status & ~NVME_CQE_PHASE;
}

static void test_missing_tcb(void **state)
{
	struct host *h = *state;
	struct nvme_sqe s = read1(h, 0);

	h_bringup(h);
	/* Never written: the TCB names tag 0, not 5. */
	memset(h_tcb(h, 1, 5), 0, sizeof(struct ans2_tcb));
	assert_int_equal(raw_cmd(h, 1, 5, s),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INTERNAL));
	test_logcap_expect(h->cap, "I/O tag 5 (opcode 0x02) has no valid TCB");
	assert_int_equal(h_stats(h).tcb_missing, 1);

	/* A TCB for another opcode. */
	h_fill_tcb(h, 1, 6, &s);
	h_tcb(h, 1, 6)->opcode = NVME_CMD_WRITE;
	assert_int_equal(raw_cmd(h, 1, 6, s),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INTERNAL));

	/* Commands that move no data need one too. */
	s = h_admin_sqe(NVME_ADMIN_SET_FEATURES, NVME_FEAT_VOLATILE_WC, 1,
			h->data.phys);
	s.prp2 = h->data.phys;
	memset(h_tcb(h, 0, 1), 0, sizeof(struct ans2_tcb));
	assert_int_equal(raw_cmd(h, 0, 1, s),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INTERNAL));

	/* A tag beyond NVMMU_NUM_TCBS has none. */
	h_wr(h, ANS2_NVMMU_NUM_TCBS, 3);
	assert_int_equal(h_cmd(h, 1, 4, read1(h, 0), NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INTERNAL));
	test_logcap_expect(h->cap, "has no TCB: NVMMU_NUM_TCBS is 3");
	assert_int_equal(h_cmd(h, 1, 3, read1(h, 0), NULL), 0);
	assert_int_equal(h_stats(h).tcb_missing, 4);
	assert_int_equal(h_stats(h).reads, 1);
}

static void test_prp_outside_tcb(void **state)
{
	struct host *h = *state;
	uint8_t *d = h->data.cpu;
	uint8_t zero[ANS2_LBA_SIZE] = { 0 };
	struct nvme_sqe s;

	h_bringup(h);
	h_fill(d, ANS2_LBA_SIZE, 5);
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, 8, 1, 0, false), 0);
	memset(d, 0, 8 * NVME_PAGE_SIZE);

	/* The TCB allows page 0; the command names page 4. */
	s = h_rw_sqe(NVME_CMD_READ, 8, 1, h->data.phys, h->data.phys);
	h_fill_tcb(h, 1, 7, &s);
	s.prp1 = h->data.phys + 4 * NVME_PAGE_SIZE;
	assert_int_equal(raw_cmd(h, 1, 7, s),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR));
	test_logcap_expect(h->cap, "are not what its TCB allows");
	/* Nothing moved, to either page. */
	assert_memory_equal(d, zero, sizeof(zero));
	assert_memory_equal(d + 4 * NVME_PAGE_SIZE, zero, sizeof(zero));

	/* PRP2 (the list) differs. */
	s = h_rw_sqe(NVME_CMD_READ, 8, 3, h->data.phys, h->prp.phys);
	h_fill_tcb(h, 1, 7, &s);
	s.prp2 = h->prp.phys + 8;
	assert_int_equal(raw_cmd(h, 1, 7, s),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR));

	/* A longer transfer than the TCB's length. */
	s = h_rw_sqe(NVME_CMD_READ, 8, 1, h->data.phys, h->data.phys);
	h_fill_tcb(h, 1, 7, &s);
	s.cdw12 = 1;
	assert_int_equal(raw_cmd(h, 1, 7, s),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR));
	test_logcap_expect(h->cap, "length 1 is not the TCB's 0");

	/* A read whose TCB allows only DMA to the device. */
	s = h_rw_sqe(NVME_CMD_READ, 8, 1, h->data.phys, h->data.phys);
	h_fill_tcb(h, 1, 7, &s);
	h_tcb(h, 1, 7)->dma_flags = ANS2_TCB_DMA_TO_DEVICE;
	assert_int_equal(raw_cmd(h, 1, 7, s),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR));
	test_logcap_expect(h->cap, "needs DMA flags 0x1, its TCB allows 0x2");
	assert_memory_equal(d, zero, sizeof(zero));
	assert_int_equal(h_stats(h).prp_violations, 4);

	/* With the TCB right, the same read lands. */
	assert_int_equal(h_io(h, NVME_CMD_READ, 7, 8, 1, 0, false), 0);
	assert_int_equal(d[1], (uint8_t)(1 * 131 + 5 * 7919));
}

static void test_tcb_must_be_invalidated(void **state)
{
	struct host *h = *state;
	struct nvme_sqe a = read1(h, 0), b = read1(h, NVME_PAGE_SIZE);
	struct nvme_cqe c;

	h_bringup(h);
	/* Tag 9 completes without NVMMU_TCB_INVAL... */
	a.cid = 9;
	h_fill_tcb(h, 1, 9, &a);
	h_ring(h, 1, 9, &a);
	c = h_reap_nodb(h, 1);
	assert_int_equal(c.status & ~NVME_CQE_PHASE, 0);
	h_cq_db(h, 1);
	/* ... so its next command runs against the stale TCB. */
	b.cid = 9;
	h_fill_tcb(h, 1, 9, &b);
	assert_int_equal(raw_cmd(h, 1, 9, b),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR));
	/* raw_cmd's reap invalidated: now the new TCB is read. */
	assert_int_equal(raw_cmd(h, 1, 9, b), 0);
	assert_int_equal(h_stats(h).tcb_invalidations, 5);

	/* Invalidating a tag beyond 64 fails. */
	h_wr(h, ANS2_NVMMU_TCB_INVAL, 64);
	assert_int_equal(h_rd(h, ANS2_NVMMU_TCB_STAT), 1);
	h_wr(h, ANS2_NVMMU_TCB_INVAL, 9);
	assert_int_equal(h_rd(h, ANS2_NVMMU_TCB_STAT), 0);
}

static void test_prp_null_check(void **state)
{
	struct host *h = *state;
	struct nvme_sqe s;

	h_bringup(h);
	h_wr(h, ANS2_UNKNOWN_CTRL,
	     h_rd(h, ANS2_UNKNOWN_CTRL) | ANS2_PRP_NULL_CHECK);
	/* One page needs no PRP2, but a zero PRP2 still fails... */
	s = h_rw_sqe(NVME_CMD_READ, 0, 1, h->data.phys, 0);
	assert_int_equal(h_cmd(h, 1, 2, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	test_logcap_expect(h->cap, "NULL_PRP_PTR_ERR");
	/* ... as does a command that moves no data at all. */
	s = h_admin_sqe(NVME_ADMIN_GET_FEATURES, NVME_FEAT_VOLATILE_WC, 0, 0);
	assert_int_equal(h_cmd(h, 0, 0, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	s.prp1 = s.prp2 = h->data.phys;
	assert_int_equal(h_cmd(h, 0, 0, s, NULL), 0);

	/* Cleared, as every driver does: the same commands pass. */
	h_wr(h, ANS2_UNKNOWN_CTRL,
	     h_rd(h, ANS2_UNKNOWN_CTRL) & ~ANS2_PRP_NULL_CHECK);
	s = h_rw_sqe(NVME_CMD_READ, 0, 1, h->data.phys, 0);
	assert_int_equal(h_cmd(h, 1, 2, s, NULL), 0);
	s = h_admin_sqe(NVME_ADMIN_GET_FEATURES, NVME_FEAT_VOLATILE_WC, 0, 0);
	assert_int_equal(h_cmd(h, 0, 0, s, NULL), 0);
	assert_int_equal(h_stats(h).errors, 2);
}

static bool stuck_one(void *arg)
{
	return h_stats(arg).stuck == 1;
}

static void test_tags(void **state)
{
	struct host *h = *state;
	struct copro_sim_ans2_stats st;
	struct nvme_sqe s = read1(h, 0);
	struct nvme_cqe c;

	h_bringup(h);
	/* 64 and above, or past the admin queue's two entries: no entry. */
	st = h_stats(h);
	h_submit(h, 1, 64, s);
	h_submit(h, 1, 200, s);
	h_submit(h, 0, 2, h_admin_sqe(NVME_ADMIN_GET_FEATURES,
				      NVME_FEAT_VOLATILE_WC, 0, 0));
	assert_int_equal(h_stats(h).tag_errors, st.tag_errors + 3);
	test_logcap_expect(h->cap, "tag 64 ignored, the queue holds tags 0 to 63");
	test_logcap_expect(h->cap, "admin linear doorbell: tag 2 ignored");
	h_assert_empty(h, 0);
	h_assert_empty(h, 1);

	/* Admin tag 1 stays in flight (stuck)... */
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_STUCK, 1);
	h_submit(h, 0, 1, h_admin_sqe(NVME_ADMIN_GET_FEATURES,
				      NVME_FEAT_VOLATILE_WC, 0, 0));
	assert_true(test_wait_until(stuck_one, h, TEST_TIMEOUT_NS));
	/* ... so tag 1 on the I/O queue collides across queues. */
	h_submit(h, 1, 1, s);
	c = h_reap_nodb(h, 1);
	h_cq_db(h, 1);
	assert_int_equal(c.cid, 1);
	assert_int_equal(c.status & ~NVME_CQE_PHASE,
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_CMDID_CONFLICT));
	test_logcap_expect(h->cap, "tag 1 is already in flight on the admin queue");
	/* Its TCB cannot be invalidated while in flight. */
	h_wr(h, ANS2_NVMMU_TCB_INVAL, 1);
	assert_int_equal(h_rd(h, ANS2_NVMMU_TCB_STAT), 1);
	/* The other tags work on. */
	assert_int_equal(h_cmd(h, 1, 63, s, NULL), 0);
	assert_int_equal(h_cmd(h, 0, 0, h_admin_sqe(NVME_ADMIN_GET_FEATURES,
						    NVME_FEAT_VOLATILE_WC, 0,
						    0),
			       NULL),
			 0);
	/* Only a controller reset frees a stuck tag. */
	h_wr(h, ANS2_NVME_CC, 0);
	h_wr(h, ANS2_NVMMU_TCB_INVAL, 1);
	assert_int_equal(h_rd(h, ANS2_NVMMU_TCB_STAT), 0);
	h_enable(h);
	assert_int_equal(h_create_cq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_create_sq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_cmd(h, 1, 1, s, NULL), 0);
}

static void test_linear_mode(void **state)
{
	struct host *h = *state;
	struct copro_sim_ans2_stats st;

	h_bringup(h);
	h_wr(h, ANS2_LINEAR_SQ_CTRL, 0);
	st = h_stats(h);
	h_submit(h, 1, 2, read1(h, 0));
	h_submit(h, 0, 0, h_admin_sqe(NVME_ADMIN_GET_FEATURES,
				      NVME_FEAT_VOLATILE_WC, 0, 0));
	assert_int_equal(h_stats(h).doorbells_ignored,
			 st.doorbells_ignored + 2);
	assert_int_equal(h_stats(h).commands, st.commands);
	test_logcap_expect(h->cap, "linear submission is off");
	h_assert_empty(h, 1);
	h_wr(h, ANS2_LINEAR_SQ_CTRL, ANS2_LINEAR_SQ_EN);
	assert_int_equal(h_cmd(h, 1, 2, read1(h, 0), NULL), 0);
}

static uint16_t admin(struct host *h, uint8_t opc, uint32_t cdw10,
		      uint32_t cdw11, uint64_t prp1)
{
	struct nvme_sqe s = h_admin_sqe(opc, cdw10, cdw11, prp1);

	s.prp2 = h->data.phys;
	return h_cmd(h, 0, 0, s, NULL);
}

static void test_one_io_queue_pair(void **state)
{
	struct host *h = *state;
	const uint32_t pc = NVME_QUEUE_PHYS_CONTIG, ien = NVME_CQ_IRQ_ENABLED;
	uint32_t result = ~0u;
	struct nvme_sqe s;

	h_bringup(h);
	/* A second pair, or queue 1 again. */
	assert_int_equal(admin(h, NVME_ADMIN_CREATE_CQ, 2 | 15 << 16, pc | ien,
			       h->data.phys),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID));
	test_logcap_expect(h->cap, "queue id 2 refused");
	assert_int_equal(admin(h, NVME_ADMIN_CREATE_CQ, 1 | 15 << 16, pc | ien,
			       h->data.phys),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID));
	assert_int_equal(admin(h, NVME_ADMIN_CREATE_SQ, 2 | 15 << 16,
			       pc | 1u << 16, h->data.phys),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID));
	assert_int_equal(admin(h, NVME_ADMIN_CREATE_SQ, 1 | 15 << 16,
			       pc | 1u << 16, h->data.phys),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID));

	/* Number of Queues grants one pair whatever is asked. */
	s = h_admin_sqe(NVME_ADMIN_SET_FEATURES, NVME_FEAT_NUM_QUEUES,
			7 | 7u << 16, h->data.phys);
	s.prp2 = h->data.phys;
	assert_int_equal(h_cmd(h, 0, 0, s, &result), 0);
	assert_int_equal(result, 0);

	/* The CQ goes last; then queue 1 may come back, within limits. */
	assert_int_equal(admin(h, NVME_ADMIN_DELETE_CQ, 1, 0, h->data.phys),
			 H_ERR(NVME_SCT_CMD_SPECIFIC,
			       NVME_SC_INVALID_QUEUE_DELETION));
	assert_int_equal(admin(h, NVME_ADMIN_DELETE_SQ, 1, 0, h->data.phys), 0);
	assert_int_equal(admin(h, NVME_ADMIN_DELETE_SQ, 1, 0, h->data.phys),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID));
	assert_int_equal(admin(h, NVME_ADMIN_CREATE_SQ, 1 | 15 << 16,
			       pc | 2u << 16, h->sq[1].phys),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_CQ_INVALID));
	assert_int_equal(admin(h, NVME_ADMIN_DELETE_CQ, 1, 0, h->data.phys), 0);
	assert_int_equal(admin(h, NVME_ADMIN_CREATE_CQ, 1 | 64u << 16,
			       pc | ien, h->cq[1].phys),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QUEUE_SIZE));
	test_logcap_expect(h->cap, "65 entries refused (2 to 64)");
	assert_int_equal(admin(h, NVME_ADMIN_CREATE_CQ, 1 | 15 << 16, ien,
			       h->cq[1].phys),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	assert_int_equal(admin(h, NVME_ADMIN_CREATE_CQ, 1 | 15 << 16,
			       pc | ien | 1u << 16, h->cq[1].phys),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_VECTOR));
	assert_int_equal(admin(h, NVME_ADMIN_CREATE_CQ, 1 | 15 << 16,
			       pc | ien, 0x1000),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR));
	assert_int_equal(h_create_cq(h, H_IO_DEPTH), 0);
	assert_int_equal(admin(h, NVME_ADMIN_CREATE_SQ, 1 | 64u << 16,
			       pc | 1u << 16, h->sq[1].phys),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QUEUE_SIZE));
	assert_int_equal(h_create_sq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_cmd(h, 1, 2, read1(h, 0), NULL), 0);
}

static void test_no_abort_no_async_events(void **state)
{
	struct host *h = *state;
	struct nvme_sqe s;

	h_bringup(h);
	s = h_admin_sqe(NVME_ADMIN_ABORT, 1 << 16 | 2, 0, h->data.phys);
	s.prp2 = h->data.phys;
	assert_int_equal(h_cmd(h, 0, 0, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE));
	test_logcap_expect(h->cap, "opcode 0x08 is not supported");
	s.opcode = NVME_ADMIN_ASYNC_EVENT;
	assert_int_equal(h_cmd(h, 0, 0, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE));
	s.opcode = 0x80; /* Format NVM */
	assert_int_equal(h_cmd(h, 0, 0, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE));
	s = h_admin_sqe(NVME_ADMIN_SET_FEATURES, 0x0b, 0, h->data.phys);
	s.prp2 = h->data.phys;
	assert_int_equal(h_cmd(h, 0, 0, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_tcb, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_prp_outside_tcb, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_tcb_must_be_invalidated,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_prp_null_check, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_tags, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_linear_mode, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_one_io_queue_pair, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_no_abort_no_async_events,
						h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
