/* SPDX-License-Identifier: MIT */
/*
 * A minimal hand-written ANS2 host for the model's tests: it boots the
 * coprocessor's RTKit firmware model with the host RTKit library, drives
 * the "nvme" registers of the t8103 board directly, builds queues, TCBs and PRP lists in DMA memory by hand
 * and reads completions out of the rings, so every rule of the model can
 * be poked at from outside.
 *
 * Included by the tests/unit/test_ans2_model*.c files only; everything
 * is static inline so each test uses what it needs.
 */
#ifndef TEST_ANS2_MODEL_HOST_H
#define TEST_ANS2_MODEL_HOST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/regs/ans2.h>
#include <copro/regs/nvme.h>
#include <copro/sart.h>
#include <copro/sim/ans2_model.h>
#include <copro/sim/board.h>
#include <copro/sim/rtkit_fw.h>
#include <copro/asc.h>
#include <copro/regs/asc.h>
#include <copro/rtkit.h>
#include <copro/sim/sart_model.h>

#include "ans2_host_tcb.h"
#include "testutil.h"

#define H_DISK_SIZE (16u << 20)
#define H_DATA_SIZE (4u << 20)
#define H_IO_DEPTH 64u
#define H_ADMIN_TAG 0u

struct host {
	struct test_logcap logcap;
	struct test_logcap *cap;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_bus *bus;
	const struct copro_dt *dt;
	int node, sart_node, mbox_node;
	struct copro_sim_rtkit *fw;	/* the board's firmware model */
	struct copro_sim_sart *sart;	/* the board's SART model */
	struct copro_sim_ans2 *m;
	/* The host side of RTKit: mailbox and SART drivers, the library. */
	struct copro_asc *asc;
	struct copro_sart *sart_drv;
	struct copro_rtkit *rtk;
	_Atomic bool crashed;
	char crash_str[COPRO_CRASHLOG_STR_MAX];
	struct copro_mmio *r, *ans;
	struct copro_power *pd;
	struct copro_reset *rst;
	unsigned line;
	char path[64];
	struct copro_dma_buf sq[2], cq[2], tcb[2], data, prp;
	unsigned depth[2], head[2], phase[2];
	bool read_only;		/* set before h_open_board */
	bool unmapped;		/* likewise: the model's data moves by calls */
	enum copro_sim_ans2_map_writes map_writes;	/* likewise */
};

static inline uint32_t h_rd(struct host *h, uint64_t off)
{
	return copro_readl(h->r, off);
}

static inline void h_wr(struct host *h, uint64_t off, uint32_t v)
{
	copro_writel(h->r, off, v);
}

static inline struct copro_sim_ans2_stats h_stats(struct host *h)
{
	struct copro_sim_ans2_stats s;

	copro_sim_ans2_get_stats(h->m, &s);
	return s;
}

static inline void h_alloc(struct host *h, struct copro_dma_buf *b,
			   size_t size)
{
	assert_int_equal(copro_dma_alloc(h->p, size, b), 0);
}

/* RTKit's crash report: keep the crashlog's message. */
static inline void h_crashed(void *ctx, const struct copro_crashlog *cl)
{
	struct host *h = ctx;

	if (cl && cl->has_str)
		snprintf(h->crash_str, sizeof(h->crash_str), "%s", cl->str);
	atomic_store(&h->crashed, true);
}

static inline int h_ref(struct host *h, const char *prop, const char *cells)
{
	struct copro_dt_ref ref;

	assert_int_equal(copro_dt_ref(h->dt, h->node, prop, cells, 0, &ref), 0);
	return ref.node;
}

/*
 * A board (built-in t8103 or a .dtb path) with its RTKit firmware and
 * SART models, the ANS2 model on a fresh backing file, and the host's
 * RTKit library over the ASC mailbox driver with SART-filtered buffers.
 */
static inline void h_open_board(struct host *h, const char *board,
				bool slow_flush)
{
	static const struct copro_rtkit_ops ops = { .crashed = h_crashed };
	/* The test creates and owns the controller model. */
	struct copro_board_config bcfg = { .board = board, .threaded = true,
					   .firmware_only = true };
	struct copro_sim_ans2_config cfg = { 0 };
	struct copro_rtkit_config rcfg = {
		.ops = &ops,
		.ctx = h,
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
	};
	int fd;

	snprintf(h->path, sizeof(h->path), "/tmp/copro-ans2-test-XXXXXX");
	fd = mkstemp(h->path);
	assert_true(fd >= 0);
	/* A read-only disk cannot be grown by the model: size it here. */
	if (h->read_only)
		assert_int_equal(ftruncate(fd, H_DISK_SIZE), 0);
	close(fd);
	cfg.disk_path = h->path;
	cfg.size = H_DISK_SIZE;
	cfg.slow_flush = slow_flush;
	cfg.read_only = h->read_only;
	cfg.unmapped = h->unmapped;
	cfg.map_writes = h->map_writes;

	assert_int_equal(test_logcap_init(&h->logcap), 0);
	h->cap = &h->logcap;
	bcfg.log = test_logcap_log(h->cap);
	assert_int_equal(copro_board_create(&bcfg, &h->b), 0);
	h->p = copro_board_platform(h->b);
	h->bus = copro_board_bus(h->b);
	h->dt = copro_board_dt(h->b);
	h->node = copro_board_nvme_node(h->b);
	assert_true(h->node >= 0);
	h->fw = copro_board_rtkit(h->b, h->node);
	assert_non_null(h->fw);
	h->sart_node = h_ref(h, "apple,sart", NULL);
	h->mbox_node = h_ref(h, "mboxes", "#mbox-cells");
	h->sart = copro_board_sart(h->b, h->sart_node);
	assert_non_null(h->sart);
	assert_null(copro_board_ans2(h->b, h->node));
	assert_int_equal(copro_sim_ans2_create(h->bus, h->node, h->fw, h->sart,
					       &cfg, &h->m), 0);
	assert_int_equal(copro_mmio_map_dt(h->p, h->node, "nvme", 0, &h->r), 0);
	assert_int_equal(copro_mmio_map_dt(h->p, h->node, "ans", 0, &h->ans), 0);
	assert_int_equal(copro_dt_irq(h->dt, h->node, 0, &h->line), 0);
	assert_int_equal(copro_power_get_dt(h->p, h->node, 0, &h->pd), 0);
	assert_int_equal(copro_reset_get_dt(h->p, h->node, 0, &h->rst), 0);
	assert_int_equal(copro_asc_probe(h->p, h->mbox_node, &h->asc), 0);
	assert_int_equal(copro_sart_probe(h->p, h->sart_node, &h->sart_drv), 0);
	rcfg.sart = h->sart_drv;
	assert_int_equal(copro_rtkit_create(h->p, h->node, &rcfg, &h->rtk), 0);
	for (int q = 0; q < 2; q++) {
		h_alloc(h, &h->sq[q], H_IO_DEPTH * sizeof(struct nvme_sqe));
		h_alloc(h, &h->cq[q], H_IO_DEPTH * sizeof(struct nvme_cqe));
		h_alloc(h, &h->tcb[q], ANS2_MAX_TAGS * sizeof(struct ans2_tcb));
	}
	h_alloc(h, &h->data, H_DATA_SIZE);
	h_alloc(h, &h->prp, 4 * NVME_PAGE_SIZE);
}

static inline void h_open_cfg(struct host *h, bool slow_flush)
{
	h_open_board(h, NULL, slow_flush);
}

/* Stop the coprocessor CPU: the firmware leaves ON. */
static inline void h_cpu_stop(struct host *h)
{
	copro_writel(h->ans, ASC_CPU_CONTROL, 0);
}

/*
 * The coprocessor stops, then the controller goes, before the memory it
 * may write.
 */
static inline void h_close(struct host *h)
{
	h_cpu_stop(h);
	if (h->r)
		copro_mmio_unmap(h->r);
	copro_sim_ans2_destroy(h->m);
	copro_rtkit_destroy(h->rtk);
	copro_sart_shutdown(h->sart_drv);
	copro_sart_remove(h->sart_drv);
	copro_asc_remove(h->asc);
	copro_mmio_unmap(h->ans);
	for (int q = 0; q < 2; q++) {
		copro_dma_free(h->p, &h->sq[q]);
		copro_dma_free(h->p, &h->cq[q]);
		copro_dma_free(h->p, &h->tcb[q]);
	}
	copro_dma_free(h->p, &h->data);
	copro_dma_free(h->p, &h->prp);
	copro_power_put(h->pd);
	copro_reset_put(h->rst);
	copro_board_destroy(h->b);
	test_logcap_destroy(&h->logcap);
	unlink(h->path);
}

static inline int h_setup(void **state)
{
	struct host *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h_open_cfg(h, false);
	*state = h;
	return 0;
}

static inline int h_teardown(void **state)
{
	struct host *h = *state;

	h_close(h);
	free(h);
	return 0;
}

static inline bool h_crash_seen(void *arg)
{
	return atomic_load(&((struct host *)arg)->crashed);
}

/* The host heard of a crash whose crashlog says `text`. */
static inline void h_expect_crash(struct host *h, const char *text)
{
	assert_true(test_wait_until(h_crash_seen, h, TEST_TIMEOUT_NS));
	if (!strstr(h->crash_str, text))
		fail_msg("crashlog message \"%s\" lacks \"%s\"", h->crash_str,
			 text);
}

/* RTKit boot as hardware.md 4 steps 2 and 3 do it, from any state. */
static inline void h_boot(struct host *h)
{
	if (copro_sim_rtkit_is_up(h->fw))
		return;
	h_cpu_stop(h);
	assert_int_equal(copro_rtkit_reinit(h->rtk), 0);
	atomic_store(&h->crashed, false);
	copro_writel(h->ans, ASC_CPU_CONTROL, ASC_CPU_CONTROL_RUN);
	assert_int_equal(copro_rtkit_boot(h->rtk), 0);
}

/* ---- the rings -------------------------------------------------------- */

static inline struct nvme_sqe *h_sqe(struct host *h, unsigned q, unsigned tag)
{
	return (struct nvme_sqe *)h->sq[q].cpu + tag;
}

static inline struct ans2_tcb *h_tcb(struct host *h, unsigned q, unsigned tag)
{
	return (struct ans2_tcb *)h->tcb[q].cpu + tag;
}

/* The TCB the way Linux fills it from the command. */
static inline void h_fill_tcb(struct host *h, unsigned q, unsigned tag,
			      const struct nvme_sqe *s)
{
	ans2_host_tcb_fill(h_tcb(h, q, tag), tag, s);
}

/* Place the entry at its tag (without touching the TCB) and ring. */
static inline void h_ring(struct host *h, unsigned q, unsigned tag,
			  const struct nvme_sqe *s)
{
	if (tag < H_IO_DEPTH)
		*h_sqe(h, q, tag) = *s;
	atomic_thread_fence(memory_order_release);
	h_wr(h, q ? ANS2_LINEAR_IOSQ_DB : ANS2_LINEAR_ASQ_DB, tag);
}

static inline void h_submit(struct host *h, unsigned q, unsigned tag,
			    struct nvme_sqe s)
{
	s.cid = (uint16_t)tag;
	if (tag < ANS2_MAX_TAGS)
		h_fill_tcb(h, q, tag, &s);
	h_ring(h, q, tag, &s);
}

struct h_poll {
	struct host *h;
	unsigned q;
};

static inline volatile struct nvme_cqe *h_cq_head(struct host *h, unsigned q)
{
	return (volatile struct nvme_cqe *)h->cq[q].cpu + h->head[q];
}

static inline bool h_cq_ready(struct host *h, unsigned q)
{
	return (__atomic_load_n(&h_cq_head(h, q)->status, __ATOMIC_ACQUIRE) &
		NVME_CQE_PHASE) == h->phase[q];
}

static inline bool h_poll_pred(void *arg)
{
	struct h_poll *hp = arg;

	return h_cq_ready(hp->h, hp->q);
}

/* Take the next completion out of the ring (no doorbell yet). */
static inline struct nvme_cqe h_reap_nodb(struct host *h, unsigned q)
{
	struct h_poll hp = { h, q };
	struct nvme_cqe c;

	if (!test_wait_until(h_poll_pred, &hp, TEST_TIMEOUT_NS)) {
		test_logcap_dump(h->cap);
		fail_msg("no completion on queue %u", q);
	}
	memcpy(&c, (const void *)h_cq_head(h, q), sizeof(c));
	if (++h->head[q] == h->depth[q]) {
		h->head[q] = 0;
		h->phase[q] ^= 1;
	}
	return c;
}

static inline void h_cq_db(struct host *h, unsigned q)
{
	h_wr(h, q ? ANS2_IOCQ_DB : ANS2_ACQ_DB, h->head[q]);
}

/* Reap, invalidate the TCB, acknowledge: the Linux completion path. */
static inline struct nvme_cqe h_reap(struct host *h, unsigned q)
{
	struct nvme_cqe c = h_reap_nodb(h, q);

	h_wr(h, ANS2_NVMMU_TCB_INVAL, c.cid & 0xff);
	assert_int_equal(h_rd(h, ANS2_NVMMU_TCB_STAT), 0);
	h_cq_db(h, q);
	return c;
}

/* Nothing in the ring at the head right now. */
static inline void h_assert_empty(struct host *h, unsigned q)
{
	assert_false(h_cq_ready(h, q));
}

/* One command, start to finish; returns the status field (no phase). */
static inline uint16_t h_cmd(struct host *h, unsigned q, unsigned tag,
			     struct nvme_sqe s, uint32_t *result)
{
	struct nvme_cqe c;

	h_submit(h, q, tag, s);
	c = h_reap(h, q);
	assert_int_equal(c.cid, tag);
	assert_int_equal(c.sq_id, q);
	if (result)
		*result = c.result;
	return c.status & ~NVME_CQE_PHASE;
}

#define H_ERR(sct, sc) ((uint16_t)(NVME_CQE_STATUS(sct, sc) | NVME_CQE_DNR))

/* ---- bring-up --------------------------------------------------------- */

static inline bool h_boot_ok(void *arg)
{
	struct host *h = arg;

	return h_rd(h, ANS2_BOOT_STATUS) == ANS2_BOOT_STATUS_OK;
}

/* Power, the firmware, and the register setup of hardware.md 4 steps 3 to 5. */
static inline void h_prepare(struct host *h)
{
	assert_int_equal(copro_power_on(h->pd), 0);
	h_boot(h);
	assert_true(test_wait_until(h_boot_ok, h, TEST_TIMEOUT_NS));
	h_wr(h, ANS2_LINEAR_SQ_CTRL, ANS2_LINEAR_SQ_EN);
	h_wr(h, ANS2_MAX_PEND_CMDS, ANS2_MAX_PEND_VALUE);
	h_wr(h, ANS2_NVMMU_NUM_TCBS, ANS2_NUM_TCBS_VALUE);
	h_wr(h, ANS2_UNKNOWN_CTRL,
	     h_rd(h, ANS2_UNKNOWN_CTRL) & ~ANS2_PRP_NULL_CHECK);
	h_wr(h, ANS2_NVME_AQA, ANS2_AQA_VALUE);
	copro_writeq(h->r, ANS2_NVME_ASQ, h->sq[0].phys);
	copro_writeq(h->r, ANS2_NVME_ACQ, h->cq[0].phys);
	copro_writeq(h->r, ANS2_NVMMU_ASQ_TCB_BASE, h->tcb[0].phys);
	copro_writeq(h->r, ANS2_NVMMU_IOSQ_TCB_BASE, h->tcb[1].phys);
}

static inline void h_enable(struct host *h)
{
	memset(h->cq[0].cpu, 0, h->cq[0].size);
	h->head[0] = 0;
	h->phase[0] = 1;
	h->depth[0] = ANS2_ADMIN_DEPTH;
	h_wr(h, ANS2_NVME_CC, ANS2_CC_EN | 6u << 16 | 4u << 20);
	assert_int_equal(h_rd(h, ANS2_NVME_CSTS) & ANS2_CSTS_RDY,
			 ANS2_CSTS_RDY);
}

static inline struct nvme_sqe h_admin_sqe(uint8_t opc, uint32_t cdw10,
					  uint32_t cdw11, uint64_t prp1)
{
	struct nvme_sqe s = { .opcode = opc, .prp1 = prp1, .cdw10 = cdw10,
			      .cdw11 = cdw11 };

	return s;
}

static inline uint16_t h_create_cq(struct host *h, unsigned depth)
{
	memset(h->cq[1].cpu, 0, h->cq[1].size);
	h->head[1] = 0;
	h->phase[1] = 1;
	h->depth[1] = depth;
	return h_cmd(h, 0, H_ADMIN_TAG,
		     h_admin_sqe(NVME_ADMIN_CREATE_CQ, 1 | (depth - 1) << 16,
				 NVME_QUEUE_PHYS_CONTIG | NVME_CQ_IRQ_ENABLED,
				 h->cq[1].phys),
		     NULL);
}

static inline uint16_t h_create_sq(struct host *h, unsigned depth)
{
	return h_cmd(h, 0, H_ADMIN_TAG,
		     h_admin_sqe(NVME_ADMIN_CREATE_SQ, 1 | (depth - 1) << 16,
				 NVME_QUEUE_PHYS_CONTIG | 1u << 16,
				 h->sq[1].phys),
		     NULL);
}

/* The whole hardware.md 4 bring-up, up to a live I/O queue pair. */
static inline void h_bringup(struct host *h)
{
	uint32_t result = ~0u;

	h_prepare(h);
	h_enable(h);
	assert_int_equal(h_create_cq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_create_sq(h, H_IO_DEPTH), 0);
	assert_int_equal(h_cmd(h, 0, H_ADMIN_TAG,
			       h_admin_sqe(NVME_ADMIN_SET_FEATURES,
					   NVME_FEAT_NUM_QUEUES, 0, 0),
			       &result),
			 0);
	assert_int_equal(result, 0);
}

/* ---- I/O -------------------------------------------------------------- */

static inline struct nvme_sqe h_rw_sqe(uint8_t opc, uint64_t lba,
				       unsigned nlb, uint64_t prp1,
				       uint64_t prp2)
{
	struct nvme_sqe s = {
		.opcode = opc,
		.nsid = ANS2_NSID,
		.prp1 = prp1,
		.prp2 = prp2,
		.cdw10 = (uint32_t)lba,
		.cdw11 = (uint32_t)(lba >> 32),
		.cdw12 = nlb - 1,
	};

	return s;
}

/*
 * PRPs for `len` bytes at `off` into h->data: PRP1, then PRP2 or a PRP
 * list in h->prp (chained across its pages when needed).
 */
static inline void h_prps(struct host *h, size_t off, size_t len,
			  uint64_t *prp1, uint64_t *prp2)
{
	uint64_t addr = h->data.phys + off;
	size_t first = NVME_PAGE_SIZE - (addr & (NVME_PAGE_SIZE - 1));
	uint64_t *list = h->prp.cpu;
	size_t n = 0, per = NVME_PAGE_SIZE / 8;

	*prp1 = addr;
	*prp2 = 0;
	if (len <= first)
		return;
	addr += first;
	len -= first;
	if (len <= NVME_PAGE_SIZE) {
		*prp2 = addr;
		return;
	}
	*prp2 = h->prp.phys;
	while (len) {
		if (n % per == per - 1 && len > NVME_PAGE_SIZE) {
			list[n] = h->prp.phys + (n + 1) * 8;
			n++;
			continue;
		}
		list[n++] = addr;
		addr += NVME_PAGE_SIZE;
		len -= len < NVME_PAGE_SIZE ? len : NVME_PAGE_SIZE;
	}
}

static inline uint16_t h_io(struct host *h, uint8_t opc, unsigned tag,
			    uint64_t lba, unsigned nlb, size_t off, bool fua)
{
	uint64_t prp1, prp2;
	struct nvme_sqe s;

	h_prps(h, off, (size_t)nlb * ANS2_LBA_SIZE, &prp1, &prp2);
	s = h_rw_sqe(opc, lba, nlb, prp1, prp2);
	if (fua)
		s.cdw12 |= NVME_RW_FUA;
	return h_cmd(h, 1, tag, s, NULL);
}

static inline void h_fill(void *p, size_t len, uint32_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)((i * 131 + seed * 7919 + (i >> 12)) & 0xff);
}

/* The backing file's bytes, read behind the model's back. */
static inline void h_file(struct host *h, uint64_t off, void *buf, size_t len)
{
	int fd = open(h->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

#endif
