/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 NVMe controller model driven at the register level by a
 * hand-written host: bring-up, registers, power and reset, every command,
 * data really landing in the backing file, durability (fdatasync counts),
 * the vendor command through the SART, and queue depth 32.
 */
#include "test_ans2_model_host.h"
#include "test_dtb.h"

#include <copro/sim/board.h>

static void test_registers_and_power(void **state)
{
	struct host *h = *state;
	struct copro_sim_ans2_stats st;

	/* The power domain starts off: the block is not there. */
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), 0xffffffffu);
	h_wr(h, ANS2_NVME_CC, ANS2_CC_EN);
	test_logcap_expect(h->cap, "while powered off or held in reset");
	assert_int_equal(copro_power_on(h->pd), 0);

	/* Reset values. */
	assert_int_equal(h_rd(h, ANS2_NVME_CC), 0);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), 0);
	assert_int_equal(h_rd(h, ANS2_NVME_VS), ANS2_VS_VALUE);
	assert_int_equal(copro_readq(h->r, ANS2_NVME_CAP) & ANS2_CAP_MQES_MASK,
			 ANS2_IO_DEPTH - 1);
	assert_true(copro_readq(h->r, ANS2_NVME_CAP) & ANS2_CAP_CQR);
	assert_int_equal(h_rd(h, ANS2_UNKNOWN_CTRL), ANS2_PRP_NULL_CHECK);
	assert_int_equal(h_rd(h, ANS2_LINEAR_SQ_CTRL), 0);
	assert_int_equal(h_rd(h, ANS2_BOOT_STATUS), 0);

	/* 64-bit registers take either width, halves in any order. */
	h_wr(h, ANS2_NVME_ASQ + 4, 0x8);
	h_wr(h, ANS2_NVME_ASQ, 0x1000);
	assert_int_equal(copro_readq(h->r, ANS2_NVME_ASQ), 0x800001000ull);
	copro_writeq(h->r, ANS2_NVMMU_IOSQ_TCB_BASE, 0x812345000ull);
	assert_int_equal(h_rd(h, ANS2_NVMMU_IOSQ_TCB_BASE + 4), 0x8);
	h_wr(h, ANS2_MAX_PEND_CMDS, ANS2_MAX_PEND_VALUE);
	assert_int_equal(h_rd(h, ANS2_MAX_PEND_CMDS), ANS2_MAX_PEND_VALUE);
	/* What u-boot and OpenBSD write: taken without a word. */
	test_logcap_clear(h->cap);
	st = h_stats(h);
	h_wr(h, ANS2_MODESEL, 0);
	h_wr(h, ANS2_NVMMU_NUM_TCBS, 127);
	assert_int_equal(h_rd(h, ANS2_NVMMU_NUM_TCBS), 127);
	assert_int_equal(h_rd(h, ANS2_MODESEL), 0);
	assert_int_equal(h_stats(h).bad_accesses, st.bad_accesses);
	assert_int_equal(test_logcap_count(h->cap, "warn:"), 0);

	/* Unknown offsets, wrong widths, read-only registers. */
	st = h_stats(h);
	assert_int_equal(h_rd(h, 0x2000), 0);
	assert_int_equal(copro_readq(h->r, ANS2_NVME_VS), 0);
	h_wr(h, ANS2_NVME_CSTS, 1);
	h_wr(h, ANS2_BOOT_STATUS, ANS2_BOOT_STATUS_OK);
	assert_int_equal(h_stats(h).bad_accesses, st.bad_accesses + 4);
	assert_int_equal(h_rd(h, ANS2_BOOT_STATUS), 0);
	test_logcap_expect(h->cap, "bad 8-byte read of register 0x8");

	/* BOOT_STATUS only once the RTKit firmware booted, until it stops. */
	h_boot(h);
	assert_int_equal(h_rd(h, ANS2_BOOT_STATUS), ANS2_BOOT_STATUS_OK);
	h_cpu_stop(h);
	assert_int_equal(h_rd(h, ANS2_BOOT_STATUS), 0);

	/* Powering off forgets everything. */
	assert_int_equal(copro_power_off(h->pd), 0);
	assert_int_equal(copro_power_on(h->pd), 0);
	assert_int_equal(copro_readq(h->r, ANS2_NVME_ASQ), 0);
	assert_int_equal(h_rd(h, ANS2_MAX_PEND_CMDS), 0);
	assert_int_equal(h_rd(h, ANS2_NVMMU_NUM_TCBS), 0);
}

static void test_bringup_and_identify(void **state)
{
	struct host *h = *state;
	uint8_t *d = h->data.cpu;
	uint32_t result = 0, nn, lbaf;
	uint64_t nsze;
	struct nvme_sqe s;

	h_bringup(h);
	assert_false(copro_bus_irq_get(h->bus, h->line));

	s = h_admin_sqe(NVME_ADMIN_IDENTIFY, NVME_ID_CNS_CTRL, 0,
			h->data.phys);
	assert_int_equal(h_cmd(h, 0, 1, s, NULL), 0);
	assert_memory_equal(d + NVME_IDCTRL_MN, "APPLE SSD AP0256Q   ", 20);
	assert_memory_equal(d + NVME_IDCTRL_SN, "C0PR00000000000ANS2 ", 20);
	assert_memory_equal(d + NVME_IDCTRL_FR, "1.0     ", 8);
	assert_int_equal(d[NVME_IDCTRL_MDTS], ANS2_MDTS);
	assert_int_equal(d[NVME_IDCTRL_VWC] & 1, 1);
	assert_int_equal(d[NVME_IDCTRL_NVSCC] & 1, 1);
	memcpy(&nn, d + NVME_IDCTRL_NN, 4);
	assert_int_equal(nn, 1);

	memset(d, 0xee, NVME_PAGE_SIZE);
	s = h_admin_sqe(NVME_ADMIN_IDENTIFY, NVME_ID_CNS_NS, 0, h->data.phys);
	s.nsid = 1;
	assert_int_equal(h_cmd(h, 0, 0, s, NULL), 0);
	memcpy(&nsze, d + NVME_IDNS_NSZE, 8);
	assert_int_equal(nsze, H_DISK_SIZE / ANS2_LBA_SIZE);
	assert_int_equal(copro_sim_ans2_size(h->m), H_DISK_SIZE);
	memcpy(&lbaf, d + NVME_IDNS_LBAF0, 4);
	assert_int_equal((lbaf >> 16) & 0xff, ANS2_LBA_SHIFT);

	s.nsid = 2;
	assert_int_equal(h_cmd(h, 0, 0, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_NS));

	memset(d, 0xee, NVME_PAGE_SIZE);
	s = h_admin_sqe(NVME_ADMIN_IDENTIFY, NVME_ID_CNS_NS_LIST, 0,
			h->data.phys);
	assert_int_equal(h_cmd(h, 0, 0, s, NULL), 0);
	memcpy(&nn, d, 4);
	assert_int_equal(nn, 1);
	memcpy(&nn, d + 4, 4);
	assert_int_equal(nn, 0);

	s = h_admin_sqe(NVME_ADMIN_IDENTIFY, 0x10, 0, h->data.phys);
	assert_int_equal(h_cmd(h, 0, 0, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));

	/* Get Features: one queue pair, volatile write cache on. */
	s = h_admin_sqe(NVME_ADMIN_GET_FEATURES, NVME_FEAT_NUM_QUEUES, 0, 0);
	assert_int_equal(h_cmd(h, 0, 0, s, &result), 0);
	assert_int_equal(result, 0);
	s = h_admin_sqe(NVME_ADMIN_GET_FEATURES, NVME_FEAT_VOLATILE_WC, 0, 0);
	assert_int_equal(h_cmd(h, 0, 0, s, &result), 0);
	assert_int_equal(result, 1);
	s = h_admin_sqe(NVME_ADMIN_GET_FEATURES, 0x02, 0, 0);
	assert_int_equal(h_cmd(h, 0, 0, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
}

/* The t8103 board with properties set on its NVMe node, as a .dtb file. */
static void write_board(const char *path, const char *const *props)
{
	size_t len;
	void *blob = test_dtb_board_with("t8103", "apple,nvme-ans2", props,
					 &len);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(blob, 1, len, f), len);
	fclose(f);
	free(blob);
}

static void test_identify_strings_from_dt(void **state)
{
	static const char *const good[] = {
		"apple,model", "copro test disk",
		"apple,serial", "SN-0123456789ABCDEFG",
		"apple,firmware", "9.99",
		NULL,
	};
	static const char *const bad[] = {
		"apple,model", "a model name far longer than forty characters",
		NULL,
	};
	struct host *h = *state;
	char path[] = "/tmp/copro-ans2-dtb-XXXXXX";
	struct copro_board_config bcfg = { .board = path,
					   .firmware_only = true };
	uint8_t *d;
	struct copro_board *b;
	struct copro_sim_ans2 *m = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	write_board(path, good);
	h_close(h);
	h_open_board(h, path, false);
	h_bringup(h);
	d = h->data.cpu;
	assert_int_equal(h_cmd(h, 0, 0,
			       h_admin_sqe(NVME_ADMIN_IDENTIFY, NVME_ID_CNS_CTRL,
					   0, h->data.phys),
			       NULL),
			 0);
	assert_memory_equal(d + NVME_IDCTRL_MN, "copro test disk          ", 25);
	assert_memory_equal(d + NVME_IDCTRL_SN, "SN-0123456789ABCDEFG", 20);
	assert_memory_equal(d + NVME_IDCTRL_FR, "9.99    ", 8);

	/* A value that does not fit its field is refused at creation. */
	write_board(path, bad);
	bcfg.log = test_logcap_log(h->cap);
	assert_int_equal(copro_board_create(&bcfg, &b), 0);
	assert_int_equal(copro_sim_ans2_create(copro_board_bus(b),
					       copro_board_nvme_node(b), NULL,
					       NULL, NULL, &m),
			 -EINVAL);
	assert_null(m);
	copro_board_destroy(b);
	test_logcap_expect(h->cap, "\"apple,model\" = \"a model name far");
	unlink(path);
}

static void test_read_write(void **state)
{
	struct host *h = *state;
	uint8_t *d = h->data.cpu;
	uint8_t *check = malloc(H_DATA_SIZE);
	struct copro_sim_ans2_stats st;

	assert_non_null(check);
	h_bringup(h);

	/* One block: PRP1 only. */
	h_fill(d, ANS2_LBA_SIZE, 1);
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, 5, 1, 0, false), 0);
	h_file(h, 5 * ANS2_LBA_SIZE, check, ANS2_LBA_SIZE);
	assert_memory_equal(check, d, ANS2_LBA_SIZE);

	/* Two blocks: PRP1 and PRP2. */
	h_fill(d, 2 * ANS2_LBA_SIZE, 2);
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 3, 100, 2, 0, false), 0);
	h_file(h, 100 * ANS2_LBA_SIZE, check, 2 * ANS2_LBA_SIZE);
	assert_memory_equal(check, d, 2 * ANS2_LBA_SIZE);

	/* 4 MiB, the largest transfer: a PRP list chained over pages. */
	h_fill(d, H_DATA_SIZE, 3);
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 63, 1000,
			      H_DATA_SIZE / ANS2_LBA_SIZE, 0, true), 0);
	h_file(h, 1000ull * ANS2_LBA_SIZE, check, H_DATA_SIZE);
	assert_memory_equal(check, d, H_DATA_SIZE);
	memset(d, 0, H_DATA_SIZE);
	assert_int_equal(h_io(h, NVME_CMD_READ, 62, 1000,
			      H_DATA_SIZE / ANS2_LBA_SIZE, 0, false), 0);
	assert_memory_equal(check, d, H_DATA_SIZE);

	/* A buffer starting inside a page: three pages for two blocks. */
	memset(d, 0, H_DATA_SIZE);
	assert_int_equal(h_io(h, NVME_CMD_READ, 9, 1000, 2, 512, false), 0);
	assert_memory_equal(d + 512, check, 2 * ANS2_LBA_SIZE);
	assert_int_equal(d[511], 0);
	assert_int_equal(d[512 + 2 * ANS2_LBA_SIZE], 0);

	/* Unwritten blocks read as zeros. */
	memset(d, 0xaa, ANS2_LBA_SIZE);
	assert_int_equal(h_io(h, NVME_CMD_READ, 9, 3000, 1, 0, false), 0);
	assert_int_equal(d[0], 0);
	assert_int_equal(d[ANS2_LBA_SIZE - 1], 0);

	st = h_stats(h);
	assert_int_equal(st.writes, 3);
	assert_int_equal(st.reads, 3);
	assert_int_equal(st.bytes_written, 3 * ANS2_LBA_SIZE + H_DATA_SIZE);
	assert_int_equal(st.bytes_read, 3 * ANS2_LBA_SIZE + H_DATA_SIZE);
	assert_int_equal(st.errors, 0);
	free(check);
}

static void test_io_errors(void **state)
{
	struct host *h = *state;
	uint64_t nlbas = H_DISK_SIZE / ANS2_LBA_SIZE;
	struct nvme_sqe s;

	h_bringup(h);
	assert_int_equal(h_io(h, NVME_CMD_READ, 4, nlbas - 1, 2, 0, false),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE));
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 4, nlbas, 1, 0, false),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE));
	assert_int_equal(h_io(h, NVME_CMD_READ, 4, 1ull << 40, 1, 0, false),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE));
	/* Beyond MDTS (4 MiB). */
	s = h_rw_sqe(NVME_CMD_READ, 0, H_DATA_SIZE / ANS2_LBA_SIZE + 1,
		     h->data.phys, h->prp.phys);
	assert_int_equal(h_cmd(h, 1, 4, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	s = h_rw_sqe(NVME_CMD_READ, 0, 1, h->data.phys, h->data.phys);
	s.nsid = 7;
	assert_int_equal(h_cmd(h, 1, 4, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_NS));
	/* A misaligned second page, and data outside DMA memory. */
	s = h_rw_sqe(NVME_CMD_READ, 0, 2, h->data.phys, h->data.phys + 8);
	assert_int_equal(h_cmd(h, 1, 4, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_PRP_OFFSET_INVALID));
	s = h_rw_sqe(NVME_CMD_READ, 0, 1, 0x1000, h->data.phys);
	assert_int_equal(h_cmd(h, 1, 4, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR));
	test_logcap_expect(h->cap, "bus fault");
	/* Compare and friends are not supported. */
	s = h_rw_sqe(0x05, 0, 1, h->data.phys, h->data.phys);
	assert_int_equal(h_cmd(h, 1, 4, s, NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE));
	test_logcap_expect(h->cap, "opcode 0x05 is not supported");
	assert_int_equal(h_stats(h).errors, 8);
}

static void test_flush_fua_durability(void **state)
{
	struct host *h = *state;
	struct nvme_sqe s;
	uint64_t syncs;

	h_bringup(h);
	syncs = h_stats(h).fdatasyncs;

	/* A plain write is complete in the file, not yet durable. */
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, 0, 1, 0, false), 0);
	assert_int_equal(h_stats(h).fdatasyncs, syncs);
	/* FUA and Flush are. */
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, 0, 1, 0, true), 0);
	assert_int_equal(h_stats(h).fdatasyncs, syncs + 1);
	s = h_rw_sqe(NVME_CMD_FLUSH, 0, 1, h->data.phys, h->data.phys);
	s.cdw12 = 0;
	assert_int_equal(h_cmd(h, 1, 2, s, NULL), 0);
	assert_int_equal(h_stats(h).fdatasyncs, syncs + 2);
	assert_int_equal(h_stats(h).flushes, 1);
	s.nsid = 0xffffffffu;
	assert_int_equal(h_cmd(h, 1, 2, s, NULL), 0);

	/* Without a volatile cache every write is durable. */
	s = h_admin_sqe(NVME_ADMIN_SET_FEATURES, NVME_FEAT_VOLATILE_WC, 0, 0);
	assert_int_equal(h_cmd(h, 0, 0, s, NULL), 0);
	syncs = h_stats(h).fdatasyncs;
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, 0, 1, 0, false), 0);
	assert_int_equal(h_stats(h).fdatasyncs, syncs + 1);

	/* Shutdown notification: durable, then SHST complete. */
	h_wr(h, ANS2_NVME_CC, h_rd(h, ANS2_NVME_CC) | ANS2_CC_SHN_NORMAL);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS) & ANS2_CSTS_SHST_MASK,
			 ANS2_CSTS_SHST_CMPLT);
	assert_int_equal(h_stats(h).fdatasyncs, syncs + 2);
}

static void test_slow_flush(void **state)
{
	struct host *h = *state;
	struct nvme_sqe s;
	uint64_t t0;

	h_close(h);
	h_open_cfg(h, true);
	h_bringup(h);
	s = h_rw_sqe(NVME_CMD_FLUSH, 0, 1, h->data.phys, h->data.phys);
	s.cdw12 = 0;
	t0 = copro_time_ns();
	assert_int_equal(h_cmd(h, 1, 2, s, NULL), 0);
	/*
	 * A lower bound only: the model sleeps at least 17 ms, which no
	 * scheduler can shorten. Nothing is asserted about an upper bound.
	 */
	assert_true(copro_time_ns() - t0 >= 17 * COPRO_NSEC_PER_MSEC);
}

static void test_disable_and_reenable(void **state)
{
	struct host *h = *state;
	struct copro_sim_ans2_stats st;
	struct nvme_sqe s;

	h_bringup(h);
	h_wr(h, ANS2_NVME_CC, 0);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), 0);
	/* The I/O queues are gone, and nothing is accepted. */
	st = h_stats(h);
	s = h_rw_sqe(NVME_CMD_READ, 0, 1, h->data.phys, h->data.phys);
	h_submit(h, 1, 5, s);
	assert_int_equal(h_stats(h).doorbells_ignored,
			 st.doorbells_ignored + 1);
	test_logcap_expect(h->cap, "controller not ready");
	/* AQA, ASQ and ACQ survive; a new enable starts clean. */
	h_enable(h);
	assert_int_equal(h_rd(h, ANS2_NVME_AQA), ANS2_AQA_VALUE);
	h_submit(h, 1, 5, s);
	test_logcap_expect(h->cap, "no such queue");
	assert_int_equal(h_create_cq(h, 16), 0);
	assert_int_equal(h_create_sq(h, 16), 0);
	assert_int_equal(h_io(h, NVME_CMD_READ, 5, 0, 1, 0, false), 0);
	/* Tags outside the 16-entry array have no entry to read. */
	st = h_stats(h);
	h_submit(h, 1, 16, s);
	assert_int_equal(h_stats(h).tag_errors, st.tag_errors + 1);
	test_logcap_expect(h->cap, "the queue holds tags 0 to 15");
}

static void test_enable_needs_firmware_and_valid_aqa(void **state)
{
	struct host *h = *state;

	h_prepare(h);
	h_cpu_stop(h);
	h_wr(h, ANS2_NVME_CC, ANS2_CC_EN);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), 0);
	test_logcap_expect(h->cap, "before the firmware booted");
	h_wr(h, ANS2_NVME_CC, 0);

	h_boot(h);
	h_wr(h, ANS2_NVME_AQA, 3 | 3 << 16);
	h_wr(h, ANS2_NVME_CC, ANS2_CC_EN);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), ANS2_CSTS_CFS);
	test_logcap_expect(h->cap, "AQA: both admin queues must hold 2");
	h_wr(h, ANS2_NVME_CC, 0);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), 0);

	h_wr(h, ANS2_NVME_AQA, ANS2_AQA_VALUE);
	copro_writeq(h->r, ANS2_NVME_ACQ, h->cq[0].phys + 16);
	h_wr(h, ANS2_NVME_CC, ANS2_CC_EN);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), ANS2_CSTS_CFS);
	test_logcap_expect(h->cap, "ACQ is not a page-aligned address");
	h_wr(h, ANS2_NVME_CC, 0);
	copro_writeq(h->r, ANS2_NVME_ACQ, h->cq[0].phys);
	h_enable(h);
}

static void test_reset_line(void **state)
{
	struct host *h = *state;

	h_bringup(h);
	assert_int_equal(copro_reset_assert(h->rst), 0);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), 0xffffffffu);
	assert_int_equal(copro_reset_deassert(h->rst), 0);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS), 0);
	assert_int_equal(h_rd(h, ANS2_NVME_CC), 0);
	assert_int_equal(h_rd(h, ANS2_UNKNOWN_CTRL), ANS2_PRP_NULL_CHECK);
	assert_int_equal(h_rd(h, ANS2_LINEAR_SQ_CTRL), 0);
	/* The firmware kept running: the full sequence brings it back. */
	h_prepare(h);
	h_enable(h);
	assert_int_equal(h_create_cq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_create_sq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_io(h, NVME_CMD_READ, 2, 0, 1, 0, false), 0);
}

static struct nvme_sqe vendor_sqe(uint64_t buf, uint32_t len, uint32_t op,
				  uint32_t off)
{
	struct nvme_sqe s = { .opcode = ANS2_VENDOR_OPC, .prp1 = buf,
			      .prp2 = buf, .cdw10 = len / 4, .cdw12 = op,
			      .cdw13 = off };

	return s;
}

static void test_vendor_command(void **state)
{
	struct host *h = *state;
	uint8_t *d = h->data.cpu;
	uint8_t want[6000];
	uint32_t result = 0;
	struct copro_sart_handle allowed;

	h_bringup(h);
	assert_int_equal(copro_sart_allow(h->sart_drv, h->data.phys,
					2 * NVME_PAGE_SIZE, &allowed), 0);

	h_fill(want, sizeof(want), 9);
	memcpy(d, want, sizeof(want));
	assert_int_equal(h_cmd(h, 0, 1,
			       vendor_sqe(h->data.phys, 6000,
					  ANS2_VENDOR_OP_WRITE, 256),
			       &result),
			 0);
	assert_int_equal(result, 6000);
	memset(d, 0, 2 * NVME_PAGE_SIZE);
	assert_int_equal(h_cmd(h, 0, 1,
			       vendor_sqe(h->data.phys + 100, 6000,
					  ANS2_VENDOR_OP_READ, 256),
			       &result),
			 0);
	assert_memory_equal(d + 100, want, sizeof(want));
	assert_int_equal(d[99], 0);

	/* Outside the SART: blocked, even though it is DMA memory. */
	assert_int_equal(h_cmd(h, 0, 1,
			       vendor_sqe(h->data.phys + 2 * NVME_PAGE_SIZE,
					  64, ANS2_VENDOR_OP_READ, 0),
			       NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR));
	test_logcap_expect(h->cap, "blocked DMA write");
	assert_int_equal(h_cmd(h, 0, 1,
			       vendor_sqe(h->data.phys, 64, 3, 0), NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	assert_int_equal(h_cmd(h, 0, 1,
			       vendor_sqe(h->data.phys, 64,
					  ANS2_VENDOR_OP_READ,
					  ANS2_VENDOR_AREA_SIZE - 32),
			       NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	/* Its TCB names tag and opcode; PRPs there are not looked at. */
	{
		struct nvme_sqe v = vendor_sqe(h->data.phys, 64,
					       ANS2_VENDOR_OP_READ, 0);

		v.cid = 1;
		h_fill_tcb(h, 0, 1, &v);
		h_tcb(h, 0, 1)->prp1 = h_tcb(h, 0, 1)->prp2 = 0;
		h_ring(h, 0, 1, &v);
		assert_int_equal(h_reap(h, 0).status & ~NVME_CQE_PHASE, 0);
		h_tcb(h, 0, 1)->command_id = 0;
		h_ring(h, 0, 1, &v);
		assert_int_equal(h_reap(h, 0).status & ~NVME_CQE_PHASE,
				 H_ERR(NVME_SCT_GENERIC, NVME_SC_INTERNAL));
	}
	/* The vendor command is admin only. */
	assert_int_equal(h_cmd(h, 1, 5,
			       vendor_sqe(h->data.phys, 64,
					  ANS2_VENDOR_OP_READ, 0),
			       NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE));
	/* Disallowed again: the same buffer is blocked. */
	assert_int_equal(copro_sart_revoke(h->sart_drv, &allowed), 0);
	assert_int_equal(h_cmd(h, 0, 1,
			       vendor_sqe(h->data.phys, 64,
					  ANS2_VENDOR_OP_READ, 0),
			       NULL),
			 H_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR));
}

static void test_queue_depth_32(void **state)
{
	struct host *h = *state;
	uint8_t *d = h->data.cpu;
	const unsigned n = 32;
	struct copro_sim_ans2_stats st;
	uint8_t *want = malloc(n * ANS2_LBA_SIZE);
	bool seen[ANS2_MAX_TAGS] = { false };

	assert_non_null(want);
	h_bringup(h);
	h_fill(want, n * ANS2_LBA_SIZE, 77);
	memcpy(d, want, n * ANS2_LBA_SIZE);
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, 40, n, 0, false), 0);
	memset(d, 0, n * ANS2_LBA_SIZE);

	/* 32 single-block reads in flight at once, in reverse order. */
	for (unsigned i = 0; i < n; i++) {
		unsigned tag = 2 + i;
		struct nvme_sqe s = h_rw_sqe(NVME_CMD_READ, 40 + n - 1 - i, 1,
					     h->data.phys +
						     (uint64_t)(n - 1 - i) *
							     ANS2_LBA_SIZE,
					     h->data.phys);

		h_submit(h, 1, tag, s);
	}
	for (unsigned i = 0; i < n; i++) {
		struct nvme_cqe c = h_reap(h, 1);

		assert_int_equal(c.status & ~NVME_CQE_PHASE, 0);
		assert_true(c.cid >= 2 && c.cid < 2 + n);
		assert_false(seen[c.cid]);
		seen[c.cid] = true;
	}
	assert_memory_equal(d, want, n * ANS2_LBA_SIZE);
	st = h_stats(h);
	assert_int_equal(st.reads, n);
	assert_int_equal(st.tcb_invalidations, st.commands);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registers_and_power,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_bringup_and_identify,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_identify_strings_from_dt,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_read_write, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_io_errors, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_flush_fua_durability,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_slow_flush, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_disable_and_reenable,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(
			test_enable_needs_firmware_and_valid_aqa, h_setup,
			h_teardown),
		cmocka_unit_test_setup_teardown(test_reset_line, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_vendor_command, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_queue_depth_32, h_setup,
						h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
