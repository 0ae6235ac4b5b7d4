/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 model's Dataset Management (deallocate) and Write Zeroes:
 * what Identify advertises, holes punched in the backing file (allocated
 * blocks measured), zeroes read back, DEAC, FUA, range checks, the TCB
 * rules, and a write-protected namespace.
 */
#include <sys/stat.h>

#include "test_ans2_model_host.h"

#define DATA_LBAS 256u /* 1 MiB of data to deallocate */

/* Bytes the backing file really occupies. */
static uint64_t allocated(struct host *h)
{
	struct stat st;

	assert_int_equal(stat(h->path, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/* DATA_LBAS blocks of data at LBA 0, made durable so they are allocated. */
static void write_data(struct host *h)
{
	h_fill(h->data.cpu, DATA_LBAS * ANS2_LBA_SIZE, 5);
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, 0, DATA_LBAS, 0, true), 0);
	assert_true(allocated(h) >= DATA_LBAS * ANS2_LBA_SIZE);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* The range list goes in the last page of h->data, away from the data. */
static uint16_t dsm(struct host *h, unsigned tag, uint32_t attr,
		    const struct nvme_dsm_range *r, unsigned nr)
{
	size_t off = H_DATA_SIZE - NVME_PAGE_SIZE;
	struct nvme_sqe s = {
		.opcode = NVME_CMD_DSM,
		.nsid = ANS2_NSID,
		.prp1 = h->data.phys + off,
		.cdw10 = nr - 1,
		.cdw11 = attr,
	};

	memcpy((uint8_t *)h->data.cpu + off, r, nr * sizeof(*r));
	return h_cmd(h, 1, tag, s, NULL);
}

static uint16_t wz(struct host *h, unsigned tag, uint64_t lba, unsigned nlb,
		   uint32_t flags)
{
	struct nvme_sqe s = h_rw_sqe(NVME_CMD_WRITE_ZEROES, lba, nlb, 0, 0);

	s.cdw12 |= flags;
	return h_cmd(h, 1, tag, s, NULL);
}

static void read_lbas(struct host *h, uint64_t lba, unsigned nlb)
{
	memset(h->data.cpu, 0xee, (size_t)nlb * ANS2_LBA_SIZE);
	assert_int_equal(h_io(h, NVME_CMD_READ, 3, lba, nlb, 0, false), 0);
}

static void test_identify_advertises(void **state)
{
	struct host *h = *state;
	const uint8_t *d = h->data.cpu;

	h_bringup(h);
	assert_int_equal(h_cmd(h, 0, H_ADMIN_TAG,
			       h_admin_sqe(NVME_ADMIN_IDENTIFY, NVME_ID_CNS_CTRL,
					   0, h->data.phys), NULL), 0);
	assert_int_equal(d[NVME_IDCTRL_ONCS] & (NVME_ONCS_DSM | NVME_ONCS_WRITE_ZEROES),
			 NVME_ONCS_DSM | NVME_ONCS_WRITE_ZEROES);
	struct nvme_sqe s = h_admin_sqe(NVME_ADMIN_IDENTIFY, NVME_ID_CNS_NS, 0,
					h->data.phys);
	s.nsid = ANS2_NSID;
	assert_int_equal(h_cmd(h, 0, H_ADMIN_TAG, s, NULL), 0);
	/* Deallocated blocks read as zeroes; Write Zeroes may deallocate. */
	assert_int_equal(d[NVME_IDNS_DLFEAT] & 0x7, NVME_DLFEAT_READ_ZEROES);
	assert_true(d[NVME_IDNS_DLFEAT] & NVME_DLFEAT_WZ_DEAC);
}

static void test_deallocate_punches_holes(void **state)
{
	struct host *h = *state;
	struct nvme_dsm_range r[2] = {
		{ .nlb = 64, .slba = 0 },
		{ .nlb = 128, .slba = 128 },
	};
	uint64_t before;

	h_bringup(h);
	write_data(h);
	before = allocated(h);
	assert_int_equal(dsm(h, 2, NVME_DSM_AD, r, 2), 0);
	/* 192 of the 256 blocks are gone from the file... */
	assert_true(allocated(h) <= before - 192ull * ANS2_LBA_SIZE);
	/* ...read back as zeroes, and the rest is untouched. */
	read_lbas(h, 0, DATA_LBAS);
	assert_true(all_zero(h->data.cpu, 64 * ANS2_LBA_SIZE));
	assert_true(all_zero((uint8_t *)h->data.cpu + 128 * ANS2_LBA_SIZE,
			     128 * ANS2_LBA_SIZE));
	uint8_t *want = malloc(DATA_LBAS * ANS2_LBA_SIZE);
	assert_non_null(want);
	h_fill(want, DATA_LBAS * ANS2_LBA_SIZE, 5);
	assert_memory_equal((uint8_t *)h->data.cpu + 64 * ANS2_LBA_SIZE,
			    want + 64 * ANS2_LBA_SIZE, 64 * ANS2_LBA_SIZE);
	free(want);
	assert_int_equal(h_stats(h).deallocates, 1);
	assert_int_equal(h_stats(h).lbas_deallocated, 192);
}

static void test_dsm_hints_and_bad_ranges(void **state)
{
	struct host *h = *state;
	struct nvme_dsm_range r[2] = {
		{ .nlb = 8, .slba = 0 },
		{ .nlb = 2, .slba = H_DISK_SIZE / ANS2_LBA_SIZE - 1 },
	};
	uint64_t before;

	h_bringup(h);
	write_data(h);
	before = allocated(h);
	/* Access hints alone change nothing. */
	assert_int_equal(dsm(h, 2, NVME_DSM_IDR | NVME_DSM_IDW, r, 1), 0);
	assert_int_equal(allocated(h), before);
	/* One range past the end: nothing at all is deallocated. */
	assert_int_equal(dsm(h, 2, NVME_DSM_AD, r, 2),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE));
	assert_int_equal(allocated(h), before);
	test_logcap_expect(h->cap, "range 1");
	read_lbas(h, 0, 8);
	assert_false(all_zero(h->data.cpu, 8 * ANS2_LBA_SIZE));
	/* The range list is data sent to the device: its TCB must allow it. */
	struct nvme_sqe s = {
		.opcode = NVME_CMD_DSM, .nsid = ANS2_NSID,
		.prp1 = h->data.phys + H_DATA_SIZE - NVME_PAGE_SIZE,
		.cdw11 = NVME_DSM_AD,
	};
	s.cid = 4;
	h_fill_tcb(h, 1, 4, &s);
	h_tcb(h, 1, 4)->dma_flags = ANS2_TCB_DMA_FROM_DEVICE;
	h_ring(h, 1, 4, &s);
	assert_int_equal(h_reap(h, 1).status & ~NVME_CQE_PHASE,
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR));
	test_logcap_expect(h->cap, "needs DMA flags");
	assert_int_equal(allocated(h), before);
}

static void test_write_zeroes(void **state)
{
	struct host *h = *state;
	uint64_t before, syncs;

	h_bringup(h);
	write_data(h);
	before = allocated(h);
	/* Without DEAC: zeroes, still allocated. */
	assert_int_equal(wz(h, 2, 0, 64, 0), 0);
	assert_true(allocated(h) >= before - 8 * ANS2_LBA_SIZE);
	read_lbas(h, 0, 64);
	assert_true(all_zero(h->data.cpu, 64 * ANS2_LBA_SIZE));
	/* With DEAC: the file stays sparse. */
	assert_int_equal(wz(h, 2, 64, 192, NVME_WZ_DEAC), 0);
	assert_true(allocated(h) <= before - 192ull * ANS2_LBA_SIZE);
	read_lbas(h, 64, 192);
	assert_true(all_zero(h->data.cpu, 192 * ANS2_LBA_SIZE));
	/* FUA makes it durable before completion. */
	syncs = h_stats(h).fdatasyncs;
	assert_int_equal(wz(h, 2, 300, 1, NVME_RW_FUA), 0);
	assert_int_equal(h_stats(h).fdatasyncs, syncs + 1);
	/* Out of range. */
	assert_int_equal(wz(h, 2, H_DISK_SIZE / ANS2_LBA_SIZE, 1, 0),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE));
	assert_int_equal(h_stats(h).write_zeroes, 3);
	assert_int_equal(h_stats(h).lbas_zeroed, 64 + 192 + 1);
}

static int setup_ro(void **state)
{
	struct host *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->read_only = true;
	h_open_cfg(h, false);
	*state = h;
	return 0;
}

static void test_write_protected(void **state)
{
	struct host *h = *state;
	struct nvme_dsm_range r = { .nlb = 1, .slba = 0 };
	const uint16_t wp = H_ERR(NVME_SCT_GENERIC, NVME_SC_NS_WRITE_PROTECTED);

	h_bringup(h);
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, 0, 1, 0, false), wp);
	assert_int_equal(wz(h, 2, 0, 1, 0), wp);
	assert_int_equal(dsm(h, 2, NVME_DSM_AD, &r, 1), wp);
	/* Reads and flushes work. */
	read_lbas(h, 0, 1);
	assert_true(all_zero(h->data.cpu, ANS2_LBA_SIZE));
	struct nvme_sqe s = h_rw_sqe(NVME_CMD_FLUSH, 0, 1, 0, 0);
	s.cdw12 = 0;
	assert_int_equal(h_cmd(h, 1, 2, s, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identify_advertises, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_deallocate_punches_holes,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_dsm_hints_and_bad_ranges,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_write_zeroes, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_write_protected, setup_ro,
						h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
