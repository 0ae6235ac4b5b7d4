/* SPDX-License-Identifier: MIT */
/*
 * The A11 (t8015) generation of the ANS2 model, driven at the register
 * level by a hand-written host: ring submission queues with tail
 * doorbells (no linear queues, no NVMMU), 16 entries a queue, 128-byte
 * I/O entries, CIDs unique per queue, at most 16 commands of a queue in
 * flight, and the doorbell checks an NVMe controller makes. A host that
 * does what Linux's apple.c does for "apple,t8015-nvme-ans2" leaves
 * every refusal counter at zero.
 */
#include "test_ans2_model_host.h"

#define R_DEPTH ANS2_T8015_DEPTH

struct rh {
	struct host h;
	struct copro_power *pcie;	/* the node's second power domain */
	unsigned tail[2];
};

static size_t r_entry_size(unsigned q)
{
	return q ? ANS2_T8015_IOSQ_ENTRY : sizeof(struct nvme_sqe);
}

static void *r_entry(struct rh *r, unsigned q, unsigned i)
{
	return (char *)r->h.sq[q].cpu + (size_t)i * r_entry_size(q);
}

/* Write an entry at the tail (no doorbell). */
static void r_put(struct rh *r, unsigned q, uint16_t cid, struct nvme_sqe s)
{
	s.cid = cid;
	memcpy(r_entry(r, q, r->tail[q]), &s, sizeof(s));
	r->tail[q] = (r->tail[q] + 1) % R_DEPTH;
}

static void r_db(struct rh *r, unsigned q)
{
	atomic_thread_fence(memory_order_release);
	h_wr(&r->h, q ? ANS2_IOSQ_DB : ANS2_ASQ_DB, r->tail[q]);
}

/* Reap one completion and acknowledge it at once. */
static struct nvme_cqe r_reap(struct rh *r, unsigned q)
{
	struct nvme_cqe c = h_reap_nodb(&r->h, q);

	h_cq_db(&r->h, q);
	return c;
}

static uint16_t r_cmd(struct rh *r, unsigned q, uint16_t cid,
		      struct nvme_sqe s, uint32_t *result,
		      struct nvme_cqe *out)
{
	struct nvme_cqe c;

	r_put(r, q, cid, s);
	r_db(r, q);
	c = r_reap(r, q);
	assert_int_equal(c.cid, cid);
	assert_int_equal(c.sq_id, q);
	/* The controller reports how far it fetched: past this entry. */
	assert_int_equal(c.sq_head, r->tail[q]);
	if (result)
		*result = c.result;
	if (out)
		*out = c;
	return c.status & ~NVME_CQE_PHASE;
}

static int r_setup(void **state)
{
	struct rh *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	h_open_board(&r->h, "t8015", false);
	assert_int_equal(copro_power_get_dt(r->h.p, r->h.node, 1, &r->pcie),
			 0);
	assert_string_equal(copro_sim_ans2_generation(r->h.m), "t8015");
	*state = r;
	return 0;
}

static int r_teardown(void **state)
{
	struct rh *r = *state;

	copro_power_put(r->pcie);
	h_close(&r->h);
	free(r);
	return 0;
}

static void r_power(struct rh *r)
{
	assert_int_equal(copro_power_on(r->h.pd), 0);
	assert_int_equal(copro_power_on(r->pcie), 0);
}

/* What Linux writes before enabling: AQA for 16 entries, ASQ, ACQ. */
static void r_prepare(struct rh *r, uint32_t aqa)
{
	struct host *h = &r->h;

	r_power(r);
	h_boot(h);
	assert_true(test_wait_until(h_boot_ok, h, TEST_TIMEOUT_NS));
	h_wr(h, ANS2_NVME_AQA, aqa);
	copro_writeq(h->r, ANS2_NVME_ASQ, h->sq[0].phys);
	copro_writeq(h->r, ANS2_NVME_ACQ, h->cq[0].phys);
}

#define R_AQA ((R_DEPTH - 1) | (R_DEPTH - 1) << 16)

/* CC as Linux's core writes it: IOSQES 6 although entries are 128 bytes. */
static uint32_t r_enable(struct rh *r)
{
	struct host *h = &r->h;

	memset(h->cq[0].cpu, 0, h->cq[0].size);
	h->head[0] = 0;
	h->phase[0] = 1;
	h->depth[0] = R_DEPTH;
	r->tail[0] = 0;
	h_wr(h, ANS2_NVME_CC, ANS2_CC_EN | 6u << 16 | 4u << 20);
	return h_rd(h, ANS2_NVME_CSTS);
}

static uint16_t r_create_cq(struct rh *r, unsigned depth)
{
	struct host *h = &r->h;

	memset(h->cq[1].cpu, 0, h->cq[1].size);
	h->head[1] = 0;
	h->phase[1] = 1;
	h->depth[1] = depth;
	return r_cmd(r, 0, 1,
		     h_admin_sqe(NVME_ADMIN_CREATE_CQ, 1 | (depth - 1) << 16,
				 NVME_QUEUE_PHYS_CONTIG | NVME_CQ_IRQ_ENABLED,
				 h->cq[1].phys),
		     NULL, NULL);
}

static uint16_t r_create_sq(struct rh *r, unsigned depth)
{
	r->tail[1] = 0;
	return r_cmd(r, 0, 2,
		     h_admin_sqe(NVME_ADMIN_CREATE_SQ, 1 | (depth - 1) << 16,
				 NVME_QUEUE_PHYS_CONTIG | 1u << 16,
				 r->h.sq[1].phys),
		     NULL, NULL);
}

static void r_bringup(struct rh *r)
{
	uint32_t result = ~0u;

	r_prepare(r, R_AQA);
	assert_int_equal(r_enable(r) & (ANS2_CSTS_RDY | ANS2_CSTS_CFS),
			 ANS2_CSTS_RDY);
	assert_int_equal(r_create_cq(r, R_DEPTH), 0);
	assert_int_equal(r_create_sq(r, R_DEPTH), 0);
	assert_int_equal(r_cmd(r, 0, 3,
			       h_admin_sqe(NVME_ADMIN_SET_FEATURES,
					   NVME_FEAT_NUM_QUEUES, 0, 0),
			       &result, NULL),
			 0);
	assert_int_equal(result, 0);
}

static void assert_no_refusals(struct rh *r)
{
	struct copro_sim_ans2_stats st = h_stats(&r->h);

	assert_int_equal(st.bad_accesses, 0);
	assert_int_equal(st.doorbells_ignored, 0);
	assert_int_equal(st.tag_errors, 0);
	assert_int_equal(st.cid_conflicts, 0);
	assert_int_equal(st.tcb_missing, 0);
	assert_int_equal(st.prp_violations, 0);
	assert_int_equal(st.errors, 0);
}

/* ---- registers ------------------------------------------------------- */

static void test_registers(void **state)
{
	struct rh *r = *state;
	struct host *h = &r->h;
	static const uint32_t m1_only[] = {
		ANS2_MAX_PEND_CMDS, ANS2_MODESEL, ANS2_UNKNOWN_CTRL,
		ANS2_LINEAR_SQ_CTRL, ANS2_LINEAR_ASQ_DB, ANS2_LINEAR_IOSQ_DB,
		ANS2_NVMMU_NUM_TCBS, ANS2_NVMMU_TCB_INVAL, ANS2_NVMMU_TCB_STAT,
	};
	uint64_t cap, bad;

	r_power(r);
	cap = copro_readq(h->r, ANS2_NVME_CAP);
	assert_int_equal(cap & ANS2_CAP_MQES_MASK, R_DEPTH - 1);
	assert_int_equal((cap >> 32) & 0xf, 0); /* DSTRD: 4-byte doorbells */
	assert_int_equal(h_rd(h, ANS2_NVME_VS), ANS2_VS_VALUE);
	assert_int_equal(h_rd(h, ANS2_ASQ_DB), 0);
	assert_int_equal(h_rd(h, ANS2_IOSQ_DB), 0);
	assert_int_equal(h_stats(h).bad_accesses, 0);

	/* The M1's linear-queue and NVMMU registers are not there. */
	for (size_t i = 0; i < sizeof(m1_only) / sizeof(m1_only[0]); i++) {
		bad = h_stats(h).bad_accesses;
		assert_int_equal(h_rd(h, m1_only[i]), 0);
		h_wr(h, m1_only[i], 1);
		assert_int_equal(h_stats(h).bad_accesses, bad + 2);
	}
	bad = h_stats(h).bad_accesses;
	copro_writeq(h->r, ANS2_NVMMU_ASQ_TCB_BASE, 0x800000000ull);
	assert_int_equal(h_stats(h).bad_accesses, bad + 1);

	h_boot(h);
	assert_true(test_wait_until(h_boot_ok, h, TEST_TIMEOUT_NS));
}

/* The M1 generation has no SQ tail doorbells: its queues are linear. */
static void test_t8103_has_no_tail_doorbells(void **state)
{
	struct host *h = calloc(1, sizeof(*h));
	uint64_t bad;

	(void)state;
	assert_non_null(h);
	h_open_board(h, "t8103", false);
	assert_string_equal(copro_sim_ans2_generation(h->m), "t8103");
	assert_int_equal(copro_power_on(h->pd), 0);
	bad = h_stats(h).bad_accesses;
	h_wr(h, ANS2_ASQ_DB, 1);
	h_wr(h, ANS2_IOSQ_DB, 1);
	assert_int_equal(h_stats(h).bad_accesses, bad + 2);
	assert_int_equal(copro_readq(h->r, ANS2_NVME_CAP) & ANS2_CAP_MQES_MASK,
			 ANS2_IO_DEPTH - 1);
	h_close(h);
	free(h);
}

/* ---- bring-up and I/O the way Linux does it ----------------------------- */

static void test_bringup_like_linux(void **state)
{
	struct rh *r = *state;
	struct host *h = &r->h;
	uint8_t *d = h->data.cpu;
	struct nvme_sqe s;

	r_bringup(r);
	s = h_admin_sqe(NVME_ADMIN_IDENTIFY, NVME_ID_CNS_CTRL, 0, h->data.phys);
	/* Forty admin commands: the 16-entry admin ring wraps twice. */
	for (unsigned i = 0; i < 40; i++) {
		memset(d, 0, NVME_PAGE_SIZE);
		assert_int_equal(r_cmd(r, 0, 0, s, NULL, NULL), 0);
		assert_int_equal(d[NVME_IDCTRL_SQES], 0x77);
		assert_int_equal(d[NVME_IDCTRL_CQES], 0x44);
	}
	assert_no_refusals(r);
}

/*
 * I/O entries are 128 bytes: the command in the first 64, the rest left
 * alone. A decoy command sits in every entry's second half, where a
 * 64-byte stride would find odd entries; data written through sixty
 * writes (the ring wraps almost four times) lands where it should.
 */
static void test_io_128_byte_entries(void **state)
{
	struct rh *r = *state;
	struct host *h = &r->h;
	struct nvme_sqe decoy = h_rw_sqe(NVME_CMD_WRITE, 0, 1, 0, 0);
	uint8_t *d = h->data.cpu, buf[ANS2_LBA_SIZE];
	uint64_t prp1, prp2;

	r_bringup(r);
	decoy.opcode = 0x7f;
	for (unsigned i = 0; i < R_DEPTH; i++)
		memcpy((char *)r_entry(r, 1, i) + 64, &decoy, sizeof(decoy));
	for (unsigned i = 0; i < 60; i++) {
		uint64_t lba = i * 3;

		h_fill(d, ANS2_LBA_SIZE * 2, i);
		h_prps(h, 0, ANS2_LBA_SIZE * 2, &prp1, &prp2);
		assert_int_equal(r_cmd(r, 1, (uint16_t)(i % 15),
				       h_rw_sqe(NVME_CMD_WRITE, lba, 2, prp1,
						prp2),
				       NULL, NULL),
				 0);
		h_file(h, lba * ANS2_LBA_SIZE, buf, sizeof(buf));
		assert_memory_equal(buf, d, sizeof(buf));
	}
	memset(d, 0, ANS2_LBA_SIZE);
	h_prps(h, 0, ANS2_LBA_SIZE, &prp1, &prp2);
	assert_int_equal(r_cmd(r, 1, 9,
			       h_rw_sqe(NVME_CMD_READ, 59 * 3, 1, prp1, prp2),
			       NULL, NULL),
			 0);
	h_fill(buf, sizeof(buf), 59);
	assert_memory_equal(buf, d, sizeof(buf));
	assert_int_equal(h_stats(h).writes, 60);
	assert_no_refusals(r);
}

/* Fifteen commands in flight at once, as Linux's I/O tag set allows. */
static void test_fifteen_in_flight(void **state)
{
	struct rh *r = *state;
	struct host *h = &r->h;
	bool seen[15] = { false };
	uint64_t prp1, prp2;

	r_bringup(r);
	for (uint16_t cid = 0; cid < 15; cid++) {
		h_prps(h, cid * ANS2_LBA_SIZE, ANS2_LBA_SIZE, &prp1, &prp2);
		r_put(r, 1, cid, h_rw_sqe(NVME_CMD_WRITE, cid, 1, prp1, prp2));
	}
	r_db(r, 1);
	for (unsigned i = 0; i < 15; i++) {
		struct nvme_cqe c = h_reap_nodb(h, 1);

		assert_int_equal(c.status & ~NVME_CQE_PHASE, 0);
		assert_true(c.cid < 15 && !seen[c.cid]);
		seen[c.cid] = true;
	}
	h_cq_db(h, 1);
	/* One doorbell, fifteen entries: all fetched at once. */
	assert_int_equal(h_stats(h).inflight_max_io, 15);
	assert_int_equal(h_stats(h).inflight_max_admin, 1);
	assert_no_refusals(r);
}

/* ---- what the controller refuses -------------------------------------- */

static void test_queue_limits(void **state)
{
	struct rh *r = *state;
	struct host *h = &r->h;

	/* An admin queue of 17 entries, or of one: fatal at enable. */
	r_prepare(r, 16 | 16u << 16);
	assert_true(r_enable(r) & ANS2_CSTS_CFS);
	test_logcap_expect(h->cap, "each admin queue must hold 2 to 16 entries");
	h_wr(h, ANS2_NVME_CC, 0);
	h_wr(h, ANS2_NVME_AQA, 0);
	assert_true(r_enable(r) & ANS2_CSTS_CFS);
	h_wr(h, ANS2_NVME_CC, 0);
	/* Two to sixteen are fine. */
	h_wr(h, ANS2_NVME_AQA, 1 | 1u << 16);
	assert_int_equal(r_enable(r) & (ANS2_CSTS_RDY | ANS2_CSTS_CFS),
			 ANS2_CSTS_RDY);
	h_wr(h, ANS2_NVME_CC, 0);
	h_wr(h, ANS2_NVME_AQA, R_AQA);
	assert_int_equal(r_enable(r) & (ANS2_CSTS_RDY | ANS2_CSTS_CFS),
			 ANS2_CSTS_RDY);

	/* I/O queues: sixteen entries at most. */
	assert_int_equal(r_create_cq(r, R_DEPTH + 1),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QUEUE_SIZE));
	assert_int_equal(r_create_cq(r, R_DEPTH), 0);
	assert_int_equal(r_create_sq(r, R_DEPTH + 1),
			 H_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QUEUE_SIZE));
	assert_int_equal(r_create_sq(r, R_DEPTH), 0);
}

struct stuck_wait {
	struct host *h;
	uint64_t n;
};

static bool stuck_n(void *arg)
{
	struct stuck_wait *w = arg;

	return h_stats(w->h).stuck >= w->n;
}

static void test_tail_doorbell_checks(void **state)
{
	struct rh *r = *state;
	struct host *h = &r->h;
	uint64_t ign;

	/* Not ready: nothing to fetch from. */
	r_prepare(r, R_AQA);
	h_wr(h, ANS2_ASQ_DB, 1);
	assert_int_equal(h_stats(h).doorbells_ignored, 1);
	test_logcap_expect(h->cap, "the controller is not ready");
	assert_int_equal(r_enable(r) & ANS2_CSTS_RDY, ANS2_CSTS_RDY);
	/* No I/O queue yet. */
	h_wr(h, ANS2_IOSQ_DB, 1);
	assert_int_equal(h_stats(h).doorbells_ignored, 2);
	test_logcap_expect(h->cap, "the queue does not exist");
	assert_int_equal(r_create_cq(r, R_DEPTH), 0);
	assert_int_equal(r_create_sq(r, 8), 0);
	/* A tail beyond the queue's last entry. */
	ign = h_stats(h).doorbells_ignored;
	h_wr(h, ANS2_IOSQ_DB, 8);
	assert_int_equal(h_stats(h).doorbells_ignored, ign + 1);
	test_logcap_expect(h->cap, "beyond the queue's last entry");
	/* The queue still works from where it was. */
	assert_int_equal(r_cmd(r, 1, 5,
			       h_rw_sqe(NVME_CMD_FLUSH, 0, 1, 0, 0), NULL,
			       NULL),
			 0);
}

/*
 * Sixteen commands of a queue in flight at most (here stuck): the
 * seventeenth entry waits in the ring, unfetched, and a tail that would
 * overwrite unfetched entries is refused. Deleting the queue aborts both
 * the commands in flight and the entries still in the ring, with their
 * CIDs.
 */
static void test_slots_overrun_and_delete(void **state)
{
	struct rh *r = *state;
	struct host *h = &r->h;
	struct stuck_wait w = { h, R_DEPTH };
	struct nvme_sqe flush = h_rw_sqe(NVME_CMD_FLUSH, 0, 1, 0, 0);
	bool seen[19] = { false };
	uint64_t ign;

	r_bringup(r);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_STUCK, R_DEPTH);
	for (uint16_t cid = 100; cid < 115; cid++)
		r_put(r, 1, cid, flush);
	r_db(r, 1);
	/* Three more: one gets the last slot, two wait in the ring. */
	for (uint16_t cid = 115; cid < 118; cid++)
		r_put(r, 1, cid, flush);
	r_db(r, 1);
	assert_true(test_wait_until(stuck_n, &w, TEST_TIMEOUT_NS));

	/* Two unfetched: the ring takes thirteen more, not fourteen. */
	ign = h_stats(h).doorbells_ignored;
	h_wr(h, ANS2_IOSQ_DB, (r->tail[1] + 14) % R_DEPTH);
	assert_int_equal(h_stats(h).doorbells_ignored, ign + 1);
	test_logcap_expect(h->cap, "would overwrite entries not yet fetched");
	r_put(r, 1, 118, flush);
	r_db(r, 1);
	assert_int_equal(h_stats(h).doorbells_ignored, ign + 1);

	assert_int_equal(r_cmd(r, 0, 4,
			       h_admin_sqe(NVME_ADMIN_DELETE_SQ, 1, 0, 0), NULL,
			       NULL),
			 0);
	for (unsigned i = 0; i < 19; i++) {
		struct nvme_cqe c = r_reap(r, 1);

		assert_int_equal(c.status & ~NVME_CQE_PHASE,
				 NVME_CQE_STATUS(NVME_SCT_GENERIC,
						 NVME_SC_ABORT_SQ_DELETED));
		assert_true(c.cid >= 100 && c.cid < 119 && !seen[c.cid - 100]);
		seen[c.cid - 100] = true;
	}
	assert_int_equal(h_stats(h).stuck, R_DEPTH);
	/* Sixteen in flight at most, though nineteen were submitted. */
	assert_int_equal(h_stats(h).inflight_max_io, R_DEPTH);
	assert_int_equal(r_cmd(r, 0, 5,
			       h_admin_sqe(NVME_ADMIN_DELETE_CQ, 1, 0, 0), NULL,
			       NULL),
			 0);
}

/* A CID in flight twice on one queue: the second is refused, not run. */
static void test_cid_conflict(void **state)
{
	struct rh *r = *state;
	struct host *h = &r->h;
	struct stuck_wait w = { h, 1 };
	struct nvme_sqe flush = h_rw_sqe(NVME_CMD_FLUSH, 0, 1, 0, 0);
	struct nvme_cqe c;

	r_bringup(r);
	copro_sim_ans2_set_fault(h->m, COPRO_SIM_ANS2_FAULT_STUCK, 1);
	r_put(r, 1, 7, flush);
	r_db(r, 1);
	assert_true(test_wait_until(stuck_n, &w, TEST_TIMEOUT_NS));
	assert_int_equal(r_cmd(r, 1, 7, flush, NULL, &c),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_CMDID_CONFLICT));
	assert_int_equal(h_stats(h).cid_conflicts, 1);
	test_logcap_expect(h->cap, "CID 7 is already in flight");
	/* Another CID runs; the same CID on the admin queue is no conflict. */
	assert_int_equal(r_cmd(r, 1, 8, flush, NULL, NULL), 0);
	assert_int_equal(r_cmd(r, 0, 7,
			       h_admin_sqe(NVME_ADMIN_GET_FEATURES,
					   NVME_FEAT_NUM_QUEUES, 0, 0),
			       NULL, NULL),
			 0);
	assert_int_equal(h_stats(h).cid_conflicts, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registers, r_setup,
						r_teardown),
		cmocka_unit_test(test_t8103_has_no_tail_doorbells),
		cmocka_unit_test_setup_teardown(test_bringup_like_linux, r_setup,
						r_teardown),
		cmocka_unit_test_setup_teardown(test_io_128_byte_entries,
						r_setup, r_teardown),
		cmocka_unit_test_setup_teardown(test_fifteen_in_flight, r_setup,
						r_teardown),
		cmocka_unit_test_setup_teardown(test_queue_limits, r_setup,
						r_teardown),
		cmocka_unit_test_setup_teardown(test_tail_doorbell_checks,
						r_setup, r_teardown),
		cmocka_unit_test_setup_teardown(test_slots_overrun_and_delete,
						r_setup, r_teardown),
		cmocka_unit_test_setup_teardown(test_cid_conflict, r_setup,
						r_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
