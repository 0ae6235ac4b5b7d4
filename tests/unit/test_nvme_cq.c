/* SPDX-License-Identifier: MIT */
/*
 * The NVMe completion-queue parser on its own: phase, tag and SQ id
 * checks and status decoding over plain memory, no controller, no
 * platform. Every malformed completion a controller can post has a test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "nvme/cq.h"

/* An I/O queue as the driver sets it up: SQ 1, tags 2-63, 64 entries. */
#define DEPTH 64u
#define SQID 1u
#define LO 2u
#define HI 64u

struct ring {
	struct nvme_cqe e[DEPTH];
	struct nvme_cq_cursor c;
};

static void ring_init(struct ring *r, unsigned depth)
{
	memset(r->e, 0, sizeof(r->e));
	assert_int_equal(copro_nvme_cq_init(&r->c, depth, SQID, LO, HI), 0);
}

/* What a controller writes at `slot` in its pass with `phase`. */
static void post(struct ring *r, unsigned slot, uint16_t phase, uint16_t sq,
		 uint16_t cid, uint16_t status, uint32_t result)
{
	r->e[slot] = (struct nvme_cqe){
		.result = result,
		.sq_id = sq,
		.cid = cid,
		.status = (uint16_t)((status & ~NVME_CQE_PHASE) | phase),
	};
}

static enum nvme_cqe_verdict take(struct ring *r, struct nvme_cqe_info *i)
{
	return copro_nvme_cq_take(&r->c, &r->e[r->c.head], i);
}

static void test_init_refuses_bad_shapes(void **state)
{
	struct nvme_cq_cursor c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(copro_nvme_cq_init(&c, 1, 0, 0, 2), -EINVAL);
	assert_int_equal(copro_nvme_cq_init(&c, 2, 0, 2, 2), -EINVAL);
	assert_int_equal(copro_nvme_cq_init(&c, 2, 0, 3, 2), -EINVAL);
	assert_int_equal(copro_nvme_cq_init(&c, 2, 0, 0, 65), -EINVAL);
	/* Untouched on refusal. */
	assert_int_equal(c.depth, 0x5a5a5a5au);
	assert_int_equal(copro_nvme_cq_init(&c, 2, 0, 0, 2), 0);
	assert_int_equal(c.head, 0);
	assert_int_equal(c.phase, 1);
	assert_int_equal(c.issued, 0);
}

static void test_ok_completion(void **state)
{
	struct ring r;
	struct nvme_cqe_info i;

	(void)state;
	ring_init(&r, DEPTH);
	assert_int_equal(copro_nvme_cq_issue(&r.c, 5), 0);
	assert_true(copro_nvme_cq_issued(&r.c, 5));
	post(&r, 0, 1, SQID, 5, 0, 0xabcd1234);
	assert_int_equal(take(&r, &i), NVME_CQE_OK);
	assert_int_equal(i.index, 0);
	assert_int_equal(i.cid, 5);
	assert_int_equal(i.sq_id, SQID);
	assert_int_equal(i.status, 0); /* phase cleared */
	assert_int_equal(i.result, 0xabcd1234);
	assert_int_equal(r.c.head, 1);
	assert_false(copro_nvme_cq_issued(&r.c, 5));
	/* Nothing more: the next slot is still zero (phase 0). */
	assert_int_equal(take(&r, &i), NVME_CQE_EMPTY);
	assert_int_equal(r.c.head, 1);
}

/* An entry whose phase is not the pass's is not new: never consumed. */
static void test_bad_phase_is_empty(void **state)
{
	struct ring r;
	struct nvme_cqe_info i = { .cid = 77 };

	(void)state;
	ring_init(&r, DEPTH);
	copro_nvme_cq_issue(&r.c, 5);
	post(&r, 0, 0, SQID, 5, 0, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_EMPTY);
	assert_int_equal(r.c.head, 0);
	assert_int_equal(r.c.phase, 1);
	assert_true(copro_nvme_cq_issued(&r.c, 5));
	assert_int_equal(i.cid, 77); /* out untouched */
}

/* After the wrap the phase flips: last pass's entries are stale. */
static void test_phase_flips_at_wrap(void **state)
{
	struct ring r;
	struct nvme_cqe_info i;

	(void)state;
	ring_init(&r, 4);
	for (unsigned n = 0; n < 4; n++) {
		copro_nvme_cq_issue(&r.c, LO + n);
		post(&r, n, 1, SQID, (uint16_t)(LO + n), 0, n);
		assert_int_equal(take(&r, &i), NVME_CQE_OK);
		assert_int_equal(i.index, n);
	}
	assert_int_equal(r.c.head, 0);
	assert_int_equal(r.c.phase, 0);
	/* Slot 0 still holds the first pass's entry, phase 1: stale. */
	assert_int_equal(take(&r, &i), NVME_CQE_EMPTY);
	copro_nvme_cq_issue(&r.c, LO);
	post(&r, 0, 0, SQID, LO, 0, 9);
	assert_int_equal(take(&r, &i), NVME_CQE_OK);
	assert_int_equal(i.result, 9);
	assert_int_equal(r.c.head, 1);
	assert_int_equal(r.c.phase, 0);
}

static void test_tag_out_of_range(void **state)
{
	struct ring r;
	struct nvme_cqe_info i;

	(void)state;
	ring_init(&r, DEPTH);
	/* Below the queue's tags (an admin tag on the I/O queue)... */
	post(&r, 0, 1, SQID, 1, 0, 0);
	/* ... at the end, and far beyond what a 64-bit mask holds. */
	post(&r, 1, 1, SQID, HI, 0, 0);
	post(&r, 2, 1, SQID, 0xffff, 0, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_TAG_RANGE);
	assert_int_equal(i.cid, 1);
	assert_int_equal(take(&r, &i), NVME_CQE_TAG_RANGE);
	assert_int_equal(i.cid, HI);
	assert_int_equal(take(&r, &i), NVME_CQE_TAG_RANGE);
	assert_int_equal(i.cid, 0xffff);
	/* Consumed all the same: a bad entry never wedges the queue. */
	assert_int_equal(r.c.head, 3);
	assert_int_equal(r.c.issued, 0);
	/* Issuing out of range is refused too. */
	assert_int_equal(copro_nvme_cq_issue(&r.c, 1), -EINVAL);
	assert_int_equal(copro_nvme_cq_issue(&r.c, HI), -EINVAL);
	assert_int_equal(copro_nvme_cq_issue(&r.c, 1000), -EINVAL);
	assert_false(copro_nvme_cq_issued(&r.c, 1000));
	assert_int_equal(r.c.issued, 0);
}

static void test_tag_not_issued(void **state)
{
	struct ring r;
	struct nvme_cqe_info i;

	(void)state;
	ring_init(&r, DEPTH);
	copro_nvme_cq_issue(&r.c, 7);
	post(&r, 0, 1, SQID, 8, 0, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_NOT_ISSUED);
	assert_int_equal(i.cid, 8);
	/* The issued tag is still waiting for its own completion. */
	assert_true(copro_nvme_cq_issued(&r.c, 7));
	post(&r, 1, 1, SQID, 7, 0, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_OK);
}

static void test_wrong_sq_id(void **state)
{
	struct ring r;
	struct nvme_cqe_info i;

	(void)state;
	ring_init(&r, DEPTH);
	copro_nvme_cq_issue(&r.c, 9);
	/* The admin SQ's id on the I/O CQ, for a tag the I/O queue issued. */
	post(&r, 0, 1, 0, 9, 0, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_WRONG_SQ);
	assert_int_equal(i.sq_id, 0);
	assert_int_equal(i.cid, 9);
	/* It does not complete the tag. */
	assert_true(copro_nvme_cq_issued(&r.c, 9));
	post(&r, 1, 1, 0x1234, 9, 0, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_WRONG_SQ);
	post(&r, 2, 1, SQID, 9, 0, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_OK);
	assert_int_equal(r.c.head, 3);
}

static void test_duplicate(void **state)
{
	struct ring r;
	struct nvme_cqe_info i;

	(void)state;
	ring_init(&r, DEPTH);
	copro_nvme_cq_issue(&r.c, 10);
	post(&r, 0, 1, SQID, 10, 0, 1);
	post(&r, 1, 1, SQID, 10, 0, 2);
	post(&r, 2, 1, SQID, 10, 0, 3);
	assert_int_equal(take(&r, &i), NVME_CQE_OK);
	assert_int_equal(i.result, 1);
	assert_int_equal(take(&r, &i), NVME_CQE_DUPLICATE);
	assert_int_equal(i.result, 2);
	assert_int_equal(take(&r, &i), NVME_CQE_DUPLICATE);
	/* Issued again, the tag takes one completion again. */
	copro_nvme_cq_issue(&r.c, 10);
	post(&r, 3, 1, SQID, 10, 0, 4);
	post(&r, 4, 1, SQID, 10, 0, 5);
	assert_int_equal(take(&r, &i), NVME_CQE_OK);
	assert_int_equal(i.result, 4);
	assert_int_equal(take(&r, &i), NVME_CQE_DUPLICATE);
}

/* A reset forgets what was issued and completed, and rewinds the ring. */
static void test_reset(void **state)
{
	struct ring r;
	struct nvme_cqe_info i;

	(void)state;
	ring_init(&r, 4);
	copro_nvme_cq_issue(&r.c, 3);
	copro_nvme_cq_issue(&r.c, 4);
	post(&r, 0, 1, SQID, 3, 0, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_OK);
	copro_nvme_cq_reset(&r.c);
	assert_int_equal(r.c.head, 0);
	assert_int_equal(r.c.phase, 1);
	assert_false(copro_nvme_cq_issued(&r.c, 4));
	/* A late completion from before the reset is refused, not taken. */
	post(&r, 0, 1, SQID, 4, 0, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_NOT_ISSUED);
	post(&r, 1, 1, SQID, 3, 0, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_NOT_ISSUED);
	/* The geometry stays. */
	assert_int_equal(r.c.depth, 4);
	assert_int_equal(r.c.sq_id, SQID);
}

/* Bits of the status do not leak into the tag or phase logic. */
static void test_status_travels(void **state)
{
	struct ring r;
	struct nvme_cqe_info i;
	uint16_t st = NVME_CQE_STATUS(2, NVME_SC_READ_ERROR) | NVME_CQE_DNR;

	(void)state;
	ring_init(&r, DEPTH);
	copro_nvme_cq_issue(&r.c, 11);
	post(&r, 0, 1, SQID, 11, st, 0);
	assert_int_equal(take(&r, &i), NVME_CQE_OK);
	assert_int_equal(i.status, st);
	assert_int_equal(copro_nvme_status_errno(i.status), -EIO);
}

static void test_status_decode(void **state)
{
	struct nvme_status_info si;
	static const struct {
		uint16_t status;
		int err;
	} cases[] = {
		{ 0, 0 },
		{ NVME_CQE_PHASE, 0 }, /* the phase bit is not status */
		{ NVME_CQE_STATUS(0, NVME_SC_INVALID_OPCODE), -EINVAL },
		{ NVME_CQE_STATUS(0, NVME_SC_INVALID_FIELD), -EINVAL },
		{ NVME_CQE_STATUS(0, NVME_SC_INVALID_NS), -EINVAL },
		{ NVME_CQE_STATUS(0, NVME_SC_LBA_RANGE), -ERANGE },
		{ NVME_CQE_STATUS(0, NVME_SC_CMDID_CONFLICT), -EBUSY },
		{ NVME_CQE_STATUS(0, NVME_SC_INTERNAL), -EIO },
		{ NVME_CQE_STATUS(0, NVME_SC_DATA_XFER_ERROR), -EIO },
		{ NVME_CQE_STATUS(0, 0xff), -EIO },
		/* Code 0 of another type is not success. */
		{ NVME_CQE_STATUS(1, 0), -EIO },
		{ NVME_CQE_STATUS(1, NVME_SC_QID_INVALID), -EIO },
		/* Only generic codes map to specific errnos. */
		{ NVME_CQE_STATUS(1, NVME_SC_INVALID_FIELD), -EIO },
		{ NVME_CQE_STATUS(2, NVME_SC_WRITE_FAULT), -EIO },
		{ NVME_CQE_STATUS(7, 0x01), -EIO },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		copro_nvme_status_decode(cases[k].status, &si);
		assert_int_equal(si.err, cases[k].err);
		assert_int_equal(copro_nvme_status_errno(cases[k].status),
				 cases[k].err);
	}

	copro_nvme_status_decode(NVME_CQE_STATUS(2, NVME_SC_READ_ERROR) |
					 NVME_CQE_DNR | (1u << 14) | (2u << 12),
				 &si);
	assert_int_equal(si.sct, 2);
	assert_int_equal(si.sc, NVME_SC_READ_ERROR);
	assert_true(si.dnr);
	assert_true(si.more);
	assert_int_equal(si.crd, 2);
	copro_nvme_status_decode(NVME_CQE_STATUS(0, NVME_SC_LBA_RANGE), &si);
	assert_false(si.dnr);
	assert_false(si.more);
	assert_int_equal(si.crd, 0);
	/* DNR on a success is still success: the code decides. */
	assert_int_equal(copro_nvme_status_errno(NVME_CQE_DNR), 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(copro_nvme_status_name(
				    NVME_CQE_STATUS(0, NVME_SC_LBA_RANGE)),
			    "LBA out of range");
	assert_string_equal(copro_nvme_status_name(NVME_CQE_STATUS(
				    2, NVME_SC_READ_ERROR) | NVME_CQE_DNR),
			    "unrecovered read error");
	assert_string_equal(copro_nvme_status_name(NVME_CQE_STATUS(
				    1, NVME_SC_QUEUE_SIZE)),
			    "queue size exceeded");
	assert_null(copro_nvme_status_name(NVME_CQE_STATUS(7, 0x42)));
	/* The same code under another type is another status. */
	assert_null(copro_nvme_status_name(NVME_CQE_STATUS(3, 0x80)));

	assert_string_equal(copro_nvme_cqe_verdict_name(NVME_CQE_DUPLICATE),
			    "duplicate completion");
	assert_string_equal(copro_nvme_cqe_verdict_name(NVME_CQE_WRONG_SQ),
			    "wrong SQ id");
	assert_string_equal(copro_nvme_cqe_verdict_name(
				    (enum nvme_cqe_verdict)99),
			    "unknown verdict");
}

/*
 * A ring full of garbage never makes the cursor take more than one pass
 * or mark a tag it did not issue, whatever the entries say.
 */
static void test_garbage_ring(void **state)
{
	struct ring r;
	struct nvme_cqe_info i;
	uint32_t x = 12345;
	unsigned taken = 0;

	(void)state;
	ring_init(&r, DEPTH);
	for (unsigned n = 0; n < DEPTH; n++) {
		x = x * 1103515245u + 12345u;
		memcpy(&r.e[n], &x, sizeof(x));
		r.e[n].cid = (uint16_t)(x >> 8);
		r.e[n].sq_id = (uint16_t)(x >> 20) & 3u;
		r.e[n].status = (uint16_t)(x >> 4) | NVME_CQE_PHASE;
	}
	copro_nvme_cq_issue(&r.c, 20);
	while (take(&r, &i) != NVME_CQE_EMPTY && taken <= DEPTH)
		taken++;
	assert_int_equal(taken, DEPTH);
	assert_int_equal(r.c.head, 0);
	assert_int_equal(r.c.phase, 0);
	assert_int_equal(r.c.issued & ~(1ull << 20), 0);
	assert_int_equal(r.c.completed & ~(1ull << 20), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_refuses_bad_shapes),
		cmocka_unit_test(test_ok_completion),
		cmocka_unit_test(test_bad_phase_is_empty),
		cmocka_unit_test(test_phase_flips_at_wrap),
		cmocka_unit_test(test_tag_out_of_range),
		cmocka_unit_test(test_tag_not_issued),
		cmocka_unit_test(test_wrong_sq_id),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_status_travels),
		cmocka_unit_test(test_status_decode),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_garbage_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
