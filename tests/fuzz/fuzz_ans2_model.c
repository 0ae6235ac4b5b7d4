/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 NVMe controller model against a hostile host: a host that
 * writes anything to the "nvme" registers, builds queues, submission
 * entries, TCBs and PRP lists out of garbage, rings doorbells in any
 * state and resets or powers the block off in the middle of commands.
 *
 * Three hosts are set up once: the t8103 (the M1's controller: linear
 * submission queues, the NVMMU), the t8015 (the A11's: ring queues), and
 * the t8103 again with every command on one worker thread
 * (workers_only); each with the model on a small temporary disk
 * (unlinked at once), the host's DMA buffers, and the RTKit firmware
 * booted by the host RTKit library as tests/unit/test_ans2_model_host.h
 * does. Between inputs the block's reset line is cycled (every register
 * back to its reset value, every queue, tag and TCB forgotten; the
 * firmware keeps running, or is booted again after a crash or a power
 * cut), the faults disarmed, the disk and the vendor area zeroed, so
 * inputs are independent.
 *
 * Input: byte 0 modulo 3 picks the host, then records (the first byte's
 * value modulo the number of kinds picks the kind):
 *   REG32   idx v[4]            32-bit write of a register of the table
 *   REG64   idx a[3]            64-bit write of an address (see addr())
 *   READ    idx                 a register read (32 and 64 bits)
 *   RAW     off[3] w v[8]       any aligned offset of the region
 *   BUF     sel off[2] n d[n]   bytes into one of the host's buffers
 *   SQE     how slot opc fl a[3] a[3] c10[4] c11[4] c12[4] -
 *                               a submission entry (how: bit 0 the
 *                               queue, 1 submit and ring, 2 the TCB)
 *   TCB     q tag opc fl cid len[2] a[3] a[3]
 *   PRPL    first[2] n stride chain   a PRP list in the list buffer
 *   STEP    s arg               a well-formed host step (bring-up, ...)
 *   IO      opc tag lba[2] nlb off[2] flags   a well-formed command
 *   IDLE                        wait until no command runs
 *   FAULT   f n                 arm one of the model's faults
 *   SUPPLY  s                   reset line or power domain
 *   DB      q v                 a doorbell with a small value
 *
 * What must hold: no sanitizer report, no hang (every wait is bounded
 * and aborts when the model never settles), the disk never grows, the
 * completion queues' positions stay inside the queues the controller
 * accepted (and those inside DMA memory), the statistics add up, and
 * after the reset line cycled the controller is idle with CSTS 0, the
 * interrupt line low and the firmware up again.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <copro/asc.h>
#include <copro/error.h>
#include <copro/le.h>
#include <copro/log.h>
#include <copro/regs/ans2.h>
#include <copro/regs/asc.h>
#include <copro/regs/nvme.h>
#include <copro/rtkit.h>
#include <copro/sart.h>
#include <copro/sim/ans2_model.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>
#include <copro/sim/rtkit_fw.h>
#include <copro/sim/sart_model.h>

#include "ans2_host_tcb.h"
#include "ans2_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DISK_SIZE (4u << 20)
#define DATA_SIZE (16u * NVME_PAGE_SIZE)
#define PRP_SIZE (3u * NVME_PAGE_SIZE)
#define SQ_SIZE (2u * NVME_PAGE_SIZE)	/* 64 entries of 64 or 128 bytes */
#define CQ_SIZE NVME_PAGE_SIZE
#define TCB_SIZE (ANS2_MAX_TAGS * sizeof(struct ans2_tcb))
/* Waits: a command on a worker is quick; a stuck model is a bug. */
#define WAIT_NS (5ull * 1000000000ull)
#define POLL_NS (20ull * 1000000ull)
#define NBUF 8

/*
 * A hostile host writes its DMA memory while the controller reads it (a
 * slot reused in flight, bytes over a queue), or gives two commands in
 * flight the same buffer: on hardware torn data in the host's memory,
 * which the model copes with (the ASan runs say so). Under
 * ThreadSanitizer those are races in the host's memory, not the model's:
 * the host's buffers are declared benign races there, so that what TSan
 * reports is the model's own.
 */
#if defined(__SANITIZE_THREAD__)
#define FUZZ_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FUZZ_TSAN 1
#endif
#endif
#ifdef FUZZ_TSAN
/* The TSan runtime's dynamic annotation. */
void AnnotateBenignRaceSized(const char *file, int line,
			     const volatile void *mem, unsigned long size,
			     const char *desc);
#define BENIGN_RACE(p, n)                                                  \
	AnnotateBenignRaceSized(__FILE__, __LINE__, (p), (n),              \
				"the hostile host's DMA memory")
#else
#define BENIGN_RACE(p, n) ((void)(p), (void)(n))
#endif
#define FAULTS 9

struct fhost {
	bool a11;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_bus *bus;
	const struct copro_dt *dt;
	int node;
	struct copro_sim_rtkit *fw;
	struct copro_sim_sart *sart;
	struct copro_sim_ans2 *m;
	struct copro_asc *asc;
	struct copro_sart *sart_drv;
	struct copro_rtkit *rtk;
	struct copro_mmio *r, *ans;
	struct copro_power *pd, *pd2;	/* the A11 has a second */
	struct copro_reset *rst;
	unsigned line;
	int disk_fd;
	/* sq0 sq1 cq0 cq1 tcb0 tcb1 prp data */
	struct copro_dma_buf buf[NBUF];
	/* The host's view of its queues (a hostile host may spoil it). */
	unsigned depth[2], head[2], phase[2], tail[2], sqdepth[2];
	uint16_t cid;
	/* Our reference on each power domain (they count), the reset line. */
	bool pd_on[2], in_reset;
	/* FAULT_CRASH was armed, and it fired (its count ran out). */
	bool crash_armed, crash_fired;
	/* Crashes the host's RTKit reported; those the harness waited for. */
	_Atomic unsigned crashes_heard;
	unsigned crashes_seen;
	_Atomic uint64_t crash_chars;	/* on the host's RTKit thread */
};

enum { B_SQ0, B_SQ1, B_CQ0, B_CQ1, B_TCB0, B_TCB1, B_PRP, B_DATA };

static struct {
	bool ready;
	struct copro_log *log;
	struct fhost h[3];
	uint64_t sink;
} fz;

/* Silent, unless FUZZ_ANS2_LOG is set (to look at an input). */
static void quiet(void *ctx, enum copro_log_level level, const char *dev,
		  const char *msg)
{
	(void)ctx;
	(void)level;
	if (getenv("FUZZ_ANS2_LOG"))
		fprintf(stderr, "%s: %s\n", dev ? dev : "-", msg);
}

static void die(const char *why)
{
	fprintf(stderr, "fuzz_ans2_model: %s\n", why);
	abort();
}

static bool wait_until(bool (*pred)(struct fhost *), struct fhost *h,
		       uint64_t ns)
{
	uint64_t until = copro_time_ns() + ns;

	for (unsigned i = 0;; i++) {
		if (pred(h))
			return true;
		if (copro_time_ns() >= until)
			return false;
		if (i > 64)
			usleep(10);
		else
			copro_cpu_relax();
	}
}

static uint32_t rd(struct fhost *h, uint64_t off)
{
	return copro_readl(h->r, off);
}

static void wr(struct fhost *h, uint64_t off, uint32_t v)
{
	copro_writel(h->r, off, v);
}

/* ---- setup -------------------------------------------------------------- */

static bool boot_ok(struct fhost *h)
{
	return rd(h, ANS2_BOOT_STATUS) == ANS2_BOOT_STATUS_OK;
}

/* RTKit boot from any state (test_ans2_model_host.h's h_boot). */
static int fw_boot(struct fhost *h)
{
	if (!copro_sim_rtkit_is_up(h->fw)) {
		copro_writel(h->ans, ASC_CPU_CONTROL, 0);
		if (copro_rtkit_reinit(h->rtk))
			return -1;
		copro_writel(h->ans, ASC_CPU_CONTROL, ASC_CPU_CONTROL_RUN);
		if (copro_rtkit_boot(h->rtk))
			return -1;
	}
	return wait_until(boot_ok, h, WAIT_NS) ? 0 : -1;
}

static int ref(struct fhost *h, const char *prop, const char *cells)
{
	struct copro_dt_ref r;

	if (copro_dt_ref(h->dt, h->node, prop, cells, 0, &r))
		return -1;
	return r.node;
}

/*
 * The host's RTKit heard of a crash: read what the crashlog says, then
 * count it (the crashlog is the library's until the call returns).
 */
static void crashed(void *ctx, const struct copro_crashlog *cl)
{
	struct fhost *h = ctx;

	if (cl && cl->has_str)
		atomic_fetch_add(&h->crash_chars, strlen(cl->str));
	atomic_fetch_add(&h->crashes_heard, 1);
}

/* Power domain i (0, or the A11's second) on or off, once each way. */
static int power(struct fhost *h, unsigned i, bool on)
{
	struct copro_power *pd = i ? h->pd2 : h->pd;
	int ret;

	if (!pd || h->pd_on[i] == on)
		return 0;
	ret = on ? copro_power_on(pd) : copro_power_off(pd);
	if (!ret)
		h->pd_on[i] = on;
	return ret;
}

static int host_setup(struct fhost *h, const char *board, bool workers_only)
{
	static const struct copro_rtkit_ops ops = { .crashed = crashed };
	static const size_t sizes[NBUF] = {
		SQ_SIZE, SQ_SIZE, CQ_SIZE, CQ_SIZE,
		TCB_SIZE, TCB_SIZE, PRP_SIZE, DATA_SIZE,
	};
	struct copro_board_config bc = { .board = board, .threaded = true,
					 .firmware_only = true, .log = fz.log };
	struct copro_sim_ans2_config cfg = { .size = DISK_SIZE,
					     .workers_only = workers_only,
					     .workers = workers_only ? 1 : 0 };
	struct copro_rtkit_config rcfg = { .ops = &ops, .ctx = h,
					   .shmem_mode = COPRO_RTKIT_SHMEM_SART };
	char path[] = "/tmp/copro-fuzz-ans2-XXXXXX";
	int sart_node, mbox_node, ret;

	h->a11 = !strcmp(board, "t8015");
	if (copro_board_create(&bc, &h->b))
		return -1;
	h->p = copro_board_platform(h->b);
	h->bus = copro_board_bus(h->b);
	h->dt = copro_board_dt(h->b);
	h->node = copro_board_nvme_node(h->b);
	if (h->node < 0 || !(h->fw = copro_board_rtkit(h->b, h->node)))
		return -1;
	sart_node = ref(h, "apple,sart", NULL);
	mbox_node = ref(h, "mboxes", "#mbox-cells");
	if (sart_node < 0 || mbox_node < 0 ||
	    !(h->sart = copro_board_sart(h->b, sart_node)))
		return -1;
	/* The disk: a temporary file gone from /tmp as soon as it is open. */
	h->disk_fd = mkstemp(path);
	if (h->disk_fd < 0)
		return -1;
	cfg.disk_path = path;
	ret = copro_sim_ans2_create(h->bus, h->node, h->fw, h->sart, &cfg,
				    &h->m);
	unlink(path);
	if (ret)
		return -1;
	if (copro_mmio_map_dt(h->p, h->node, "nvme", 0, &h->r) ||
	    copro_mmio_map_dt(h->p, h->node, "ans", 0, &h->ans) ||
	    copro_dt_irq(h->dt, h->node, 0, &h->line) ||
	    copro_power_get_dt(h->p, h->node, 0, &h->pd) ||
	    copro_reset_get_dt(h->p, h->node, 0, &h->rst) ||
	    copro_asc_probe(h->p, mbox_node, &h->asc) ||
	    copro_sart_probe(h->p, sart_node, &h->sart_drv))
		return -1;
	rcfg.sart = h->sart_drv;
	if (copro_rtkit_create(h->p, h->node, &rcfg, &h->rtk))
		return -1;
	for (int i = 0; i < NBUF; i++) {
		if (copro_dma_alloc(h->p, sizes[i], &h->buf[i]))
			return -1;
		BENIGN_RACE(h->buf[i].cpu, h->buf[i].size);
	}
	if (copro_power_get_dt(h->p, h->node, 1, &h->pd2))
		h->pd2 = NULL;
	if (power(h, 0, true) || power(h, 1, true) || fw_boot(h))
		return -1;
	return 0;
}

static int setup(void)
{
	struct copro_log_sink sink = { quiet, NULL };

	if (copro_log_create(&sink, getenv("FUZZ_ANS2_LOG") ? COPRO_LOG_DEBUG
							    : COPRO_LOG_ERR,
			     &fz.log))
		return -1;
	if (host_setup(&fz.h[0], "t8103", false) ||
	    host_setup(&fz.h[1], "t8015", false) ||
	    host_setup(&fz.h[2], "t8103", true))
		return -1;
	return 0;
}

/* ---- the host's pieces ------------------------------------------------ */

/*
 * An address from 3 bytes: one of the host's buffers plus an offset
 * (which may run a little past its end), or 0, or an address no buffer
 * has.
 */
static uint64_t addr(struct fhost *h, const uint8_t *a)
{
	unsigned sel = a[0] % 12, off = a[1] | (unsigned)a[2] << 8;

	if (sel < NBUF) {
		const struct copro_dma_buf *b = &h->buf[sel];

		if (!(a[0] & 0x80))
			off &= ~(NVME_PAGE_SIZE - 1u) & 0xffffu;
		off <<= (a[0] >> 4) & 3;
		return b->phys + off % (b->size + NVME_PAGE_SIZE);
	}
	if (sel == 8)
		return 0;
	if (sel == 9)
		return (uint64_t)off << 12;
	if (sel == 10)
		return ~0ull - off;
	return h->buf[B_DATA].phys + h->buf[B_DATA].size + off;
}

static const uint32_t regs32[] = {
	ANS2_NVME_CC,	     ANS2_NVME_CSTS,	     ANS2_NVME_AQA,
	ANS2_NVME_VS,	     ANS2_BOOT_STATUS,	     ANS2_ACQ_DB,
	ANS2_IOCQ_DB,	     ANS2_ASQ_DB,	     ANS2_IOSQ_DB,
	ANS2_MAX_PEND_CMDS,  ANS2_MODESEL,	     ANS2_UNKNOWN_CTRL,
	ANS2_LINEAR_SQ_CTRL, ANS2_LINEAR_ASQ_DB,     ANS2_LINEAR_IOSQ_DB,
	ANS2_NVMMU_NUM_TCBS, ANS2_NVMMU_TCB_INVAL,   ANS2_NVMMU_TCB_STAT,
	ANS2_NVME_ASQ,	     ANS2_NVME_ASQ + 4,	     ANS2_NVME_ACQ,
	ANS2_NVME_ACQ + 4,   ANS2_NVMMU_ASQ_TCB_BASE, ANS2_NVMMU_IOSQ_TCB_BASE + 4,
	ANS2_NVME_CAP,	     ANS2_NVME_CAP + 4,
};
#define NREGS32 (sizeof(regs32) / sizeof(regs32[0]))

static const uint32_t regs64[] = {
	ANS2_NVME_ASQ, ANS2_NVME_ACQ, ANS2_NVMMU_ASQ_TCB_BASE,
	ANS2_NVMMU_IOSQ_TCB_BASE, ANS2_NVME_CAP,
};
#define NREGS64 (sizeof(regs64) / sizeof(regs64[0]))

static size_t sqe_size(struct fhost *h, unsigned q)
{
	return h->a11 && q ? ANS2_T8015_IOSQ_ENTRY : sizeof(struct nvme_sqe);
}

static unsigned sq_slots(struct fhost *h, unsigned q)
{
	return (unsigned)(SQ_SIZE / sqe_size(h, q));
}

static struct nvme_sqe *sqe_at(struct fhost *h, unsigned q, unsigned slot)
{
	return (struct nvme_sqe *)((uint8_t *)h->buf[B_SQ0 + q].cpu +
				   (size_t)(slot % sq_slots(h, q)) *
					   sqe_size(h, q));
}

static struct ans2_tcb *tcb_at(struct fhost *h, unsigned q, unsigned tag)
{
	return (struct ans2_tcb *)h->buf[B_TCB0 + q].cpu + tag % ANS2_MAX_TAGS;
}

/* The TCB the way Linux fills it from the command. */
static void fill_tcb(struct fhost *h, unsigned q, unsigned tag,
		     const struct nvme_sqe *s)
{
	ans2_host_tcb_fill(tcb_at(h, q, tag), tag, s);
}

/*
 * Submit: on the M1 the entry goes to its tag's slot, with its TCB, and
 * the tag to the linear doorbell; on the A11 to the tail, then the tail
 * doorbell.
 */
static void submit(struct fhost *h, unsigned q, unsigned tag,
		   struct nvme_sqe s, bool tcb)
{
	if (h->a11) {
		unsigned n = h->sqdepth[q] ? h->sqdepth[q] : ANS2_T8015_DEPTH;

		s.cid = h->cid++;
		h->tail[q] %= n;
		*sqe_at(h, q, h->tail[q]) = s;
		h->tail[q] = (h->tail[q] + 1) % n;
		atomic_thread_fence(memory_order_release);
		wr(h, q ? ANS2_IOSQ_DB : ANS2_ASQ_DB, h->tail[q]);
		return;
	}
	tag %= ANS2_MAX_TAGS;
	s.cid = (uint16_t)tag;
	if (tcb)
		fill_tcb(h, q, tag, &s);
	*sqe_at(h, q, tag) = s;
	atomic_thread_fence(memory_order_release);
	wr(h, q ? ANS2_LINEAR_IOSQ_DB : ANS2_LINEAR_ASQ_DB, tag);
}

static volatile struct nvme_cqe *cq_head(struct fhost *h, unsigned q)
{
	return (volatile struct nvme_cqe *)h->buf[B_CQ0 + q].cpu +
	       h->head[q] % (CQ_SIZE / sizeof(struct nvme_cqe));
}

static bool cq_ready(struct fhost *h, unsigned q)
{
	return h->depth[q] &&
	       (__atomic_load_n(&cq_head(h, q)->status, __ATOMIC_ACQUIRE) &
		NVME_CQE_PHASE) == h->phase[q];
}

/* Take what the CQ holds: the TCB invalidated, then the head doorbell. */
static unsigned reap(struct fhost *h, unsigned q)
{
	unsigned n = 0;

	while (n < h->depth[q] && cq_ready(h, q)) {
		struct nvme_cqe c;

		memcpy(&c, (const void *)cq_head(h, q), sizeof(c));
		fz.sink += c.result + c.status + c.sq_head;
		if (!h->a11)
			wr(h, ANS2_NVMMU_TCB_INVAL, c.cid & 0xff);
		if (++h->head[q] >= h->depth[q]) {
			h->head[q] = 0;
			h->phase[q] ^= 1;
		}
		n++;
	}
	if (n)
		wr(h, q ? ANS2_IOCQ_DB : ANS2_ACQ_DB, h->head[q]);
	return n;
}

/*
 * No command runs or waits for a worker: nothing more completes until
 * the host does something (the doorbells publish their commands before
 * they return, and a worker counts itself active before it takes one).
 */
static bool idle(struct fhost *h)
{
	return !atomic_load(&h->m->active) && !atomic_load(&h->m->pending);
}

static unsigned wq;
static bool done_or_idle(struct fhost *h)
{
	return cq_ready(h, wq) || idle(h);
}

/* Wait (a little) for a completion on q, then reap. */
static void await(struct fhost *h, unsigned q)
{
	wq = q;
	wait_until(done_or_idle, h, POLL_NS);
	reap(h, q);
}

static void wait_idle(struct fhost *h)
{
	if (!wait_until(idle, h, WAIT_NS))
		die("the model never went idle");
}

/* ---- well-formed steps ---------------------------------------------------- */

static void prepare(struct fhost *h)
{
	if (!h->a11) {
		wr(h, ANS2_LINEAR_SQ_CTRL, ANS2_LINEAR_SQ_EN);
		wr(h, ANS2_MAX_PEND_CMDS, ANS2_MAX_PEND_VALUE);
		wr(h, ANS2_NVMMU_NUM_TCBS, ANS2_NUM_TCBS_VALUE);
		wr(h, ANS2_UNKNOWN_CTRL,
		   rd(h, ANS2_UNKNOWN_CTRL) & ~ANS2_PRP_NULL_CHECK);
		copro_writeq(h->r, ANS2_NVMMU_ASQ_TCB_BASE,
			     h->buf[B_TCB0].phys);
		copro_writeq(h->r, ANS2_NVMMU_IOSQ_TCB_BASE,
			     h->buf[B_TCB1].phys);
	}
	wr(h, ANS2_NVME_AQA, h->a11 ? (ANS2_T8015_DEPTH - 1) * 0x10001u
				   : ANS2_AQA_VALUE);
	copro_writeq(h->r, ANS2_NVME_ASQ, h->buf[B_SQ0].phys);
	copro_writeq(h->r, ANS2_NVME_ACQ, h->buf[B_CQ0].phys);
}

static void enable(struct fhost *h)
{
	memset(h->buf[B_CQ0].cpu, 0, CQ_SIZE);
	h->head[0] = h->tail[0] = 0;
	h->phase[0] = 1;
	h->depth[0] = h->a11 ? ANS2_T8015_DEPTH : ANS2_ADMIN_DEPTH;
	h->sqdepth[0] = h->depth[0];
	wr(h, ANS2_NVME_CC, ANS2_CC_EN | 6u << 16 | 4u << 20);
}

static struct nvme_sqe admin_sqe(uint8_t opc, uint32_t cdw10, uint32_t cdw11,
				 uint64_t prp1)
{
	struct nvme_sqe s = { .opcode = opc, .prp1 = prp1, .cdw10 = cdw10,
			      .cdw11 = cdw11 };

	return s;
}

static void create_cq(struct fhost *h, unsigned depth)
{
	memset(h->buf[B_CQ1].cpu, 0, CQ_SIZE);
	h->head[1] = 0;
	h->phase[1] = 1;
	h->depth[1] = depth;
	submit(h, 0, 0,
	       admin_sqe(NVME_ADMIN_CREATE_CQ, 1 | (depth - 1) << 16,
			 NVME_QUEUE_PHYS_CONTIG | NVME_CQ_IRQ_ENABLED,
			 h->buf[B_CQ1].phys),
	       true);
	await(h, 0);
}

static void create_sq(struct fhost *h, unsigned depth)
{
	h->tail[1] = 0;
	h->sqdepth[1] = depth;
	submit(h, 0, 0,
	       admin_sqe(NVME_ADMIN_CREATE_SQ, 1 | (depth - 1) << 16,
			 NVME_QUEUE_PHYS_CONTIG | 1u << 16,
			 h->buf[B_SQ1].phys),
	       true);
	await(h, 0);
}

static unsigned io_depth(struct fhost *h, uint8_t arg)
{
	unsigned max = h->a11 ? ANS2_T8015_DEPTH : ANS2_IO_DEPTH;

	return 2 + arg % (max - 1);
}

static void step(struct fhost *h, uint8_t which, uint8_t arg)
{
	switch (which % 12) {
	case 0:
		prepare(h);
		enable(h);
		break;
	case 1:
		prepare(h);
		enable(h);
		create_cq(h, io_depth(h, arg));
		create_sq(h, io_depth(h, arg));
		break;
	case 2:
		create_cq(h, io_depth(h, arg));
		break;
	case 3:
		create_sq(h, io_depth(h, arg));
		break;
	case 4:
		reap(h, arg & 1);
		break;
	case 5:
		await(h, arg & 1);
		break;
	case 6:
		wr(h, ANS2_NVME_CC, rd(h, ANS2_NVME_CC) & ~ANS2_CC_EN);
		break;
	case 7:
		wr(h, ANS2_NVME_CC, rd(h, ANS2_NVME_CC) | ANS2_CC_SHN_NORMAL);
		break;
	case 8:
		submit(h, 0, arg >> 1,
		       admin_sqe(arg & 1 ? NVME_ADMIN_DELETE_CQ
					 : NVME_ADMIN_DELETE_SQ, 1, 0, 0),
		       true);
		break;
	case 9:
		submit(h, 0, arg >> 2,
		       admin_sqe(arg & 1 ? NVME_ADMIN_SET_FEATURES
					 : NVME_ADMIN_GET_FEATURES,
				 arg & 2 ? NVME_FEAT_VOLATILE_WC
					 : NVME_FEAT_NUM_QUEUES,
				 arg >> 7, 0),
		       true);
		break;
	case 10: {
		/* Identify into the data buffer, a page of it. */
		struct nvme_sqe s = admin_sqe(NVME_ADMIN_IDENTIFY, arg % 4, 0,
					      h->buf[B_DATA].phys +
						      (arg >> 4) * NVME_PAGE_SIZE);

		s.nsid = (arg >> 2) & 1;
		submit(h, 0, arg >> 6, s, true);
		break;
	}
	case 11: {
		/* The vendor command through the SART: mostly refused. */
		struct nvme_sqe s = admin_sqe(ANS2_VENDOR_OPC, arg, 0,
					      h->buf[B_DATA].phys);

		s.prp2 = s.prp1;
		s.cdw12 = 1 + (arg & 1);
		s.cdw13 = (uint32_t)(arg & 0xf0) << 4;
		submit(h, 0, arg >> 7, s, true);
		break;
	}
	}
}

/* PRPs for `len` bytes at `off` into the data buffer (h_prps). */
static void prps(struct fhost *h, size_t off, size_t len, uint64_t *prp1,
		 uint64_t *prp2)
{
	const struct copro_dma_buf *d = &h->buf[B_DATA], *l = &h->buf[B_PRP];
	uint64_t a = d->phys + off % d->size;
	size_t first = NVME_PAGE_SIZE - (a & (NVME_PAGE_SIZE - 1));
	uint64_t *list = l->cpu;
	size_t n = 0, per = NVME_PAGE_SIZE / 8, page = 0;

	*prp1 = a;
	*prp2 = 0;
	if (len <= first)
		return;
	len -= first;
	page = (a - d->phys) / NVME_PAGE_SIZE + 1;
	if (len <= NVME_PAGE_SIZE) {
		*prp2 = d->phys + (page % (d->size / NVME_PAGE_SIZE)) *
					  NVME_PAGE_SIZE;
		return;
	}
	*prp2 = l->phys;
	/* Pages of the data buffer again and again: a long list. */
	while (len && n < l->size / 8) {
		if (n % per == per - 1 && len > NVME_PAGE_SIZE) {
			list[n] = l->phys + (n + 1) * 8;
			n++;
			continue;
		}
		list[n++] = d->phys + (page++ % (d->size / NVME_PAGE_SIZE)) *
					      NVME_PAGE_SIZE;
		len -= len < NVME_PAGE_SIZE ? len : NVME_PAGE_SIZE;
	}
}

static void io(struct fhost *h, const uint8_t *r)
{
	static const uint8_t opcs[] = {
		NVME_CMD_READ, NVME_CMD_WRITE, NVME_CMD_FLUSH,
		NVME_CMD_WRITE_ZEROES, NVME_CMD_DSM, NVME_CMD_READ,
		NVME_CMD_WRITE, 0x7f,
	};
	uint8_t opc = opcs[r[0] % 8];
	unsigned tag = r[1], nlb = 1 + r[4] * (1 + (r[7] >> 6) * 3);
	uint64_t lba = r[2] | (unsigned)r[3] << 8, prp1, prp2;
	size_t off = (r[5] | (size_t)r[6] << 8) & ~(size_t)3;
	struct nvme_sqe s = { .opcode = opc, .nsid = ANS2_NSID };
	size_t len = (size_t)nlb * ANS2_LBA_SIZE;

	if (opc == NVME_CMD_DSM) {
		struct nvme_dsm_range *rg = (void *)((uint8_t *)h->buf[B_DATA].cpu +
						     (off % h->buf[B_DATA].size &
						      ~(size_t)(NVME_PAGE_SIZE - 1)));

		unsigned nr = r[4] % 4u + 1;

		len = nr * sizeof(*rg);
		off &= ~(size_t)(NVME_PAGE_SIZE - 1);
		for (unsigned i = 0; i < nr; i++) {
			rg[i].slba = lba + i * 16;
			rg[i].nlb = nlb;
		}
		s.cdw10 = r[4] % 4;
		s.cdw11 = NVME_DSM_AD;
	} else {
		s.cdw10 = (uint32_t)lba;
		s.cdw12 = nlb - 1;
		if (r[7] & 1)
			s.cdw12 |= NVME_RW_FUA;
		if (opc == NVME_CMD_WRITE_ZEROES && (r[7] & 2))
			s.cdw12 |= NVME_WZ_DEAC;
	}
	if (opc == NVME_CMD_READ || opc == NVME_CMD_WRITE ||
	    opc == NVME_CMD_DSM) {
		prps(h, off, len, &prp1, &prp2);
		s.prp1 = prp1;
		s.prp2 = prp2;
	}
	if (r[7] & 4)
		s.nsid = r[7] >> 3;
	submit(h, 1, tag, s, !(r[7] & 8));
}

/* ---- hostile records ------------------------------------------------------ */

static void raw(struct fhost *h, const uint8_t *r)
{
	uint64_t off = (r[0] | (uint64_t)r[1] << 8 | (uint64_t)r[2] << 16) %
		       ANS2_NVME_REGION_SIZE;
	unsigned width = r[3] & 1 ? 8 : 4;
	uint64_t v = copro_get_le64(r + 4);

	off &= ~(uint64_t)(width - 1);
	if (r[3] & 2)
		copro_bus_write(h->bus, h->m->phys + off, width, v);
	else if (!copro_bus_read(h->bus, h->m->phys + off, width, &v))
		fz.sink += v;
}

static void sqe_rec(struct fhost *h, const uint8_t *r)
{
	unsigned q = r[0] & 1;
	struct nvme_sqe s = {
		.opcode = r[2],
		.flags = r[3],
		.nsid = r[3] & 0x80 ? ANS2_NSID : r[3],
		.prp1 = addr(h, r + 4),
		.prp2 = addr(h, r + 7),
		.cdw10 = copro_get_le32(r + 10),
		.cdw11 = copro_get_le32(r + 14),
		.cdw12 = copro_get_le32(r + 18),
	};

	if (r[0] & 2) {
		/* Through the usual path: TCB (unless bit 2), doorbell. */
		submit(h, q, r[1], s, !(r[0] & 4));
		return;
	}
	/* Only into the queue, at any slot; maybe with a matching TCB. */
	s.cid = r[1];
	*sqe_at(h, q, r[1]) = s;
	if (r[0] & 4)
		fill_tcb(h, q, r[1], &s);
}

static void tcb_rec(struct fhost *h, const uint8_t *r)
{
	struct ans2_tcb *t = tcb_at(h, r[0] & 1, r[1]);

	t->opcode = r[2];
	t->dma_flags = r[3];
	t->command_id = r[4];
	t->length = r[5] | (uint32_t)r[6] << 8;
	t->prp1 = addr(h, r + 7);
	t->prp2 = addr(h, r + 10);
}

static void prpl_rec(struct fhost *h, const uint8_t *r)
{
	uint64_t *list = h->buf[B_PRP].cpu;
	size_t nent = PRP_SIZE / 8, first = (r[0] | (size_t)r[1] << 8) % nent;
	const struct copro_dma_buf *d = &h->buf[B_DATA];

	for (size_t i = 0; i < (size_t)r[2] * 4 && first + i < nent; i++) {
		size_t at = first + i;

		if ((r[4] & 1) && at % 512 == 511)
			list[at] = h->buf[B_PRP].phys + (at + 1) * 8;
		else
			list[at] = d->phys + ((i * r[3]) % (d->size / NVME_PAGE_SIZE)) *
						     NVME_PAGE_SIZE +
				   (r[4] & 2 ? 8 : 0);
	}
}

static void supply(struct fhost *h, uint8_t s)
{
	switch (s % 4) {
	case 0:
		copro_reset_assert(h->rst);
		h->in_reset = true;
		break;
	case 1:
		copro_reset_deassert(h->rst);
		h->in_reset = false;
		break;
	default:
		power(h, (s >> 2) & 1, s % 4 == 3);
		break;
	}
}

/*
 * FAULT_CRASH set to n (0 at the end of an input): did the count it had
 * run out, i.e. did the crash fire? An exchange, not a look then a set:
 * a command completing on a worker in between may fire it.
 */
static void crash_set(struct fhost *h, unsigned n)
{
	unsigned old = atomic_exchange(&h->m->faults[COPRO_SIM_ANS2_FAULT_CRASH],
				       n);

	if (h->crash_armed && !old)
		h->crash_fired = true;
	h->crash_armed = n != 0;
}

static void fault(struct fhost *h, uint8_t f, uint8_t n)
{
	static const enum copro_sim_ans2_fault faults[FAULTS] = {
		COPRO_SIM_ANS2_FAULT_LOST_IRQ, COPRO_SIM_ANS2_FAULT_DOORBELL_RACE,
		COPRO_SIM_ANS2_FAULT_STUCK,    COPRO_SIM_ANS2_FAULT_DMA,
		COPRO_SIM_ANS2_FAULT_IDENTIFY, COPRO_SIM_ANS2_FAULT_QUEUE_COUNT,
		COPRO_SIM_ANS2_FAULT_FLUSH,    COPRO_SIM_ANS2_FAULT_NO_BOOT_STATUS,
		COPRO_SIM_ANS2_FAULT_CRASH,
	};
	enum copro_sim_ans2_fault which = faults[f % FAULTS];

	if (which == COPRO_SIM_ANS2_FAULT_CRASH)
		crash_set(h, n % 4);
	else
		copro_sim_ans2_set_fault(h->m, which, n % 4);
}

static bool fw_down(struct fhost *h)
{
	return !atomic_load(&h->m->fw_up);
}

static bool crash_heard(struct fhost *h)
{
	return atomic_load(&h->crashes_heard) != h->crashes_seen;
}

/* ---- invariants and the reset between inputs ------------------------------- */

static void check_cqs(struct fhost *h)
{
	struct copro_sim_ans2 *m = h->m;

	for (unsigned q = 0; q < ANS2_NQ; q++) {
		struct ans2_cq *cq = &m->cq[q];
		void *p;

		copro_spin_lock(&cq->lock);
		if (cq->depth) {
			if (cq->head >= cq->depth || cq->tail >= cq->depth ||
			    cq->nwait > ANS2_MAX_TAGS || cq->nuwait > ANS2_UWAIT ||
			    cq->posted - cq->acked >= cq->depth ||
			    cq->acked > cq->posted)
				die("a completion queue's positions left it");
			if (copro_bus_dma_map(m->bus, "fuzz", cq->base,
					      cq->depth * sizeof(struct nvme_cqe),
					      &p))
				die("a completion queue outside DMA memory");
		}
		copro_spin_unlock(&cq->lock);
	}
}

/*
 * After a reset every tag is free and nothing is pending; a worker may
 * still count itself active for a moment while it finds nothing to take.
 */
static void check_quiet_after_reset(struct fhost *h)
{
	struct copro_sim_ans2 *m = h->m;

	if (atomic_load(&m->pending))
		die("commands pending after the reset");
	for (unsigned i = 0; i < ANS2_MAX_TAGS; i++)
		if (atomic_load(&m->tags[i].state) != TAG_FREE)
			die("a tag in flight after the reset");
	if (!wait_until(idle, h, WAIT_NS))
		die("workers busy long after the reset");
}

static void check_stats(const struct copro_sim_ans2_stats *a,
			const struct copro_sim_ans2_stats *b)
{
	uint64_t reads = b->reads - a->reads, writes = b->writes - a->writes;
	uint64_t cmds = b->commands - a->commands;

	if (b->commands < a->commands || b->errors < a->errors ||
	    b->reads < a->reads || b->writes < a->writes)
		die("a statistic went backwards");
	if (reads + writes > cmds ||
	    b->inline_commands - a->inline_commands > cmds)
		die("more reads and writes than commands");
	if (b->bytes_read - a->bytes_read > reads * ANS2_MAX_TRANSFER ||
	    b->bytes_read - a->bytes_read < reads * ANS2_LBA_SIZE ||
	    b->bytes_written - a->bytes_written > writes * ANS2_MAX_TRANSFER ||
	    b->bytes_written - a->bytes_written < writes * ANS2_LBA_SIZE)
		die("bytes moved do not match the reads and writes");
}

static void reset(struct fhost *h)
{
	struct copro_sim_ans2 *m = h->m;
	struct stat st;

	/*
	 * The injected crash fired: the firmware goes down on its own
	 * thread; wait for the controller to hear of it, so it does not
	 * arrive after the reset below.
	 */
	crash_set(h, 0);
	if (h->crash_fired && !wait_until(fw_down, h, WAIT_NS))
		die("the injected crash never took the firmware down");
	/*
	 * And for the host's RTKit to be done with its crash report before
	 * fw_boot's reinit frees the crashlog it reports.
	 */
	if (h->crash_fired && !wait_until(crash_heard, h, WAIT_NS))
		die("the host never heard of the injected crash");
	h->crashes_seen = atomic_load(&h->crashes_heard);
	h->crash_fired = false;
	for (int f = 0; f < COPRO_SIM_ANS2_FAULT_COUNT; f++)
		copro_sim_ans2_set_fault(m, (enum copro_sim_ans2_fault)f, 0);
	/*
	 * Powered and out of reset, then the reset line cycled: every
	 * register and queue back to its reset state, whatever happened
	 * while the input held the block off.
	 */
	power(h, 0, true);
	power(h, 1, true);
	copro_reset_deassert(h->rst);
	copro_reset_assert(h->rst);
	copro_reset_deassert(h->rst);
	h->in_reset = false;
	check_quiet_after_reset(h);
	if (rd(h, ANS2_NVME_CSTS) != 0 || rd(h, ANS2_NVME_CC) != 0) {
		fprintf(stderr, "CSTS 0x%" PRIx32 " CC 0x%" PRIx32 "\n",
			rd(h, ANS2_NVME_CSTS), rd(h, ANS2_NVME_CC));
		die("CSTS or CC not 0 after the reset");
	}
	if (copro_bus_irq_get(h->bus, h->line))
		die("the interrupt line is high after the reset");
	if (fw_boot(h))
		die("the firmware does not come back up");
	if (fstat(h->disk_fd, &st) || (uint64_t)st.st_size != DISK_SIZE)
		die("the disk changed its size");
	if (st.st_blocks)
		fallocate(h->disk_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  0, DISK_SIZE);
	copro_mutex_lock(&m->vendor_lock);
	memset(m->vendor, 0, sizeof(m->vendor));
	copro_mutex_unlock(&m->vendor_lock);
	for (int i = 0; i < NBUF; i++)
		memset(h->buf[i].cpu, 0, h->buf[i].size);
	memset(h->depth, 0, sizeof(h->depth));
	memset(h->head, 0, sizeof(h->head));
	memset(h->tail, 0, sizeof(h->tail));
	memset(h->sqdepth, 0, sizeof(h->sqdepth));
	h->phase[0] = h->phase[1] = 1;
	h->cid = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct copro_sim_ans2_stats before, after;
	struct fhost *h;
	size_t i = 1;

	if (!fz.ready) {
		if (setup())
			die("setup failed");
		fz.ready = true;
	}
	if (size < 1 || size > 4096)
		return 0;
	h = &fz.h[data[0] % 3];
	copro_sim_ans2_get_stats(h->m, &before);
	while (i < size) {
		uint8_t op = data[i++] % 14;
		size_t left = size - i;
		const uint8_t *r = data + i;

		switch (op) {
		case 0:
			if (left < 5)
				goto out;
			wr(h, regs32[r[0] % NREGS32], copro_get_le32(r + 1));
			i += 5;
			break;
		case 1:
			if (left < 4)
				goto out;
			copro_writeq(h->r, regs64[r[0] % NREGS64], addr(h, r + 1));
			i += 4;
			break;
		case 2:
			if (left < 1)
				goto out;
			fz.sink += rd(h, regs32[r[0] % NREGS32]) +
				   copro_readq(h->r, regs64[r[0] % NREGS64]);
			i += 1;
			break;
		case 3:
			if (left < 12)
				goto out;
			raw(h, r);
			i += 12;
			break;
		case 4: {
			const struct copro_dma_buf *b;
			size_t off, n;

			if (left < 4)
				goto out;
			b = &h->buf[r[0] % NBUF];
			off = (r[1] | (size_t)r[2] << 8) % b->size;
			n = r[3];
			i += 4;
			if (n > size - i)
				n = size - i;
			if (n > b->size - off)
				n = b->size - off;
			memcpy((uint8_t *)b->cpu + off, data + i, n);
			i += n;
			break;
		}
		case 5:
			if (left < 23)
				goto out;
			sqe_rec(h, r);
			i += 23;
			break;
		case 6:
			if (left < 13)
				goto out;
			tcb_rec(h, r);
			i += 13;
			break;
		case 7:
			if (left < 5)
				goto out;
			prpl_rec(h, r);
			i += 5;
			break;
		case 8:
			if (left < 2)
				goto out;
			step(h, r[0], r[1]);
			i += 2;
			break;
		case 9:
			if (left < 8)
				goto out;
			io(h, r);
			i += 8;
			break;
		case 10:
			wait_idle(h);
			check_cqs(h);
			break;
		case 11:
			if (left < 2)
				goto out;
			fault(h, r[0], r[1]);
			i += 2;
			break;
		case 12:
			if (left < 1)
				goto out;
			supply(h, r[0]);
			i += 1;
			break;
		case 13:
			if (left < 2)
				goto out;
			if (r[0] & 2)
				wr(h, r[0] & 1 ? ANS2_IOCQ_DB : ANS2_ACQ_DB, r[1]);
			else if (h->a11)
				wr(h, r[0] & 1 ? ANS2_IOSQ_DB : ANS2_ASQ_DB, r[1]);
			else
				wr(h, r[0] & 1 ? ANS2_LINEAR_IOSQ_DB
					       : ANS2_LINEAR_ASQ_DB, r[1]);
			i += 2;
			break;
		}
	}
out:
	wait_idle(h);
	check_cqs(h);
	reset(h);
	copro_sim_ans2_get_stats(h->m, &after);
	if (getenv("FUZZ_ANS2_LOG"))
		fprintf(stderr, "input: %" PRIu64 " commands, %" PRIu64
			" errors, %" PRIu64 " reads, %" PRIu64 " writes\n",
			after.commands - before.commands,
			after.errors - before.errors, after.reads - before.reads,
			after.writes - before.writes);
	check_stats(&before, &after);
	return 0;
}
