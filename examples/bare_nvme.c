/* SPDX-License-Identifier: MIT */
/*
 * A bare-metal-style driver for the Apple M1 (t8103) NVMe coprocessor,
 * run against copro's device models through the raw-bus API
 * (<copro/sim/raw.h>). It uses no libcopro driver: every step is a
 * register poke or a descriptor in memory, as a bootloader does it.
 *
 *   1. power the ANS2 domain on through its PMGR power-state register
 *   2. start the coprocessor's CPU (ASC CPU_CONTROL.RUN)
 *   3. RTKit over the ASC mailbox: HELLO, the endpoint map, STARTEP of the
 *      system endpoints, their shared-buffer requests (allowed in the
 *      SART), syslog and ioreport traffic, IOP ON, then AP ON
 *   4. the ANS2 controller: BOOT_STATUS, linear submission queues, the
 *      NVMMU's TCBs, the admin queue, Identify, the I/O queue pair
 *   5. one NVMe Read of a block whose content this program put on the
 *      disk, a second Read with a DMA fault injected into the model, and
 *      a third that works again
 *   6. shut it all down: queues deleted, controller shut down, RTKit AP
 *      QUIESCED and IOP SLEEP, CPU stopped, SART cleared, power off
 *
 * Exit status 0 when every step did what the hardware should do.
 * Usage: bare_nvme [-v]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <copro/error.h>
#include <copro/sim/ans2_model.h>
#include <copro/sim/raw.h>
#include <copro/sim/rtkit_fw.h>

/* ---- the t8103 addresses (boards/t8103.dts) -------------------------- */

#define PMGR_PS_ANS2 0x23b7003f0ull	/* ps_ans2: power domain and reset */
#define ASC_BASE 0x277400000ull		/* the "ans" region */
#define MBOX_BASE (ASC_BASE + 0x8000)	/* mbox@277408000 */
#define SART_BASE 0x27bc50000ull	/* iommu@27bc50000, SART v2 */
#define NVME_BASE 0x27bcc0000ull	/* the "nvme" region */
#define IRQ_MBOX_RECV_NOT_EMPTY 586
#define IRQ_NVME 590

/* ---- registers and messages, written out here on purpose ---------------- */

#define PS_TARGET_MASK 0xfu
#define PS_ACTUAL_SHIFT 4
#define PS_ACTIVE 0xfu
#define PS_PWRGATE 0x0u
#define PS_RESET (1u << 31)

#define CPU_CONTROL 0x44
#define CPU_RUN (1u << 4)

#define A2I_CONTROL 0x110
#define I2A_CONTROL 0x114
#define FIFO_FULL (1u << 16)
#define FIFO_EMPTY (1u << 17)
#define A2I_SEND0 0x800
#define A2I_SEND1 0x808
#define I2A_RECV0 0x830
#define I2A_RECV1 0x838

#define EP_MGMT 0
#define EP_CRASHLOG 1
#define EP_SYSLOG 2
#define EP_IOREPORT 4
#define EP_OSLOG 8
#define MGMT_HELLO 1
#define MGMT_HELLO_REPLY 2
#define MGMT_STARTEP 5
#define MGMT_IOP_PWR 6
#define MGMT_IOP_PWR_ACK 7
#define MGMT_EPMAP 8
#define MGMT_AP_PWR 0xb
#define EPMAP_LAST (1ull << 51)
#define PWR_SLEEP 0x001
#define PWR_QUIESCED 0x010
#define PWR_ON 0x020
#define TYPE(m) ((unsigned)((m) >> 52) & 0xff)
#define BUF_REQUEST 1
#define SYSLOG_INIT 8
#define SYSLOG_LOG 5
#define OSLOG_ACK 3

#define SART_CONFIG(i) (0x00 + 4 * (i))
#define SART_ADDR(i) (0x40 + 4 * (i))
#define SART_ENTRIES 16
#define SART_ALLOW (0xffu << 24)

#define NVME_CC 0x14
#define NVME_CSTS 0x1c
#define NVME_AQA 0x24
#define NVME_ASQ 0x28
#define NVME_ACQ 0x30
#define ACQ_DB 0x1004
#define IOCQ_DB 0x100c
#define MAX_PEND_CMDS 0x1210
#define BOOT_STATUS 0x1300
#define BOOT_STATUS_OK 0xde71ce55u
#define MODESEL 0x1304
#define UNKNOWN_CTRL 0x24008
#define PRP_NULL_CHECK (1u << 11)
#define LINEAR_SQ_CTRL 0x24908
#define LINEAR_ASQ_DB 0x2490c
#define LINEAR_IOSQ_DB 0x24910
#define NVMMU_NUM_TCBS 0x28100
#define NVMMU_ASQ_TCB_BASE 0x28108
#define NVMMU_IOSQ_TCB_BASE 0x28110
#define NVMMU_TCB_INVAL 0x28118
#define NVMMU_TCB_STAT 0x28120
#define CC_EN (1u << 0)
#define CC_IOSQES (6u << 16)
#define CC_IOCQES (4u << 20)
#define CC_SHN_NORMAL (1u << 14)
#define CSTS_RDY (1u << 0)
#define CSTS_CFS (1u << 1)
#define CSTS_SHST_MASK (3u << 2)
#define CSTS_SHST_DONE (2u << 2)

#define ADMIN_DEPTH 2
#define IO_DEPTH 64
#define IO_TAG 2 /* tags 0 and 1 are the admin queue's */
#define LBA 4096u
#define TEST_LBA 3u

enum { QA, QIO };

struct sqe {
	uint8_t opc, flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd, mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct cqe {
	uint32_t result, rsvd;
	uint16_t sq_head, sq_id, cid, status;
};

struct tcb {
	uint8_t opcode, dma_flags, command_id, unk0;
	uint32_t length;
	uint64_t unk1[2], prp1, prp2, unk2[2], aes_iv;
	uint8_t aes[64];
};
#define TCB_FROM_DEVICE (1u << 0)
#define TCB_TO_DEVICE (1u << 1)

struct drv {
	struct copro_bus *bus;
	bool verbose;
	/* RTKit */
	uint8_t eps[32];	/* the endpoint map, a bit per endpoint */
	unsigned iop, ap;	/* power states the coprocessor acknowledged */
	struct copro_raw_dma buf[256];
	uint64_t sart_used;	/* entries this driver set */
	unsigned syslog_entries, syslog_size, syslog_lines;
	/* NVMe */
	struct copro_raw_dma sq[2], cq[2], tcbs[2], page;
	unsigned cq_head[2];
	uint16_t phase[2];
};

static int say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bare_nvme: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define TIMEOUT_NS (5ull * 1000000000u)

static uint32_t rd32(struct drv *d, uint64_t a) { return copro_raw_read32(d->bus, a); }
static void wr32(struct drv *d, uint64_t a, uint32_t v) { copro_raw_write32(d->bus, a, v); }
static uint64_t rd64(struct drv *d, uint64_t a) { return copro_raw_read64(d->bus, a); }
static void wr64(struct drv *d, uint64_t a, uint64_t v) { copro_raw_write64(d->bus, a, v); }

/* Poll a register until (value & mask) == want, 1 ms apart. */
static int poll32(struct drv *d, uint64_t a, uint32_t mask, uint32_t want,
		  const char *what)
{
	uint64_t end = now_ns() + TIMEOUT_NS;
	uint32_t v;

	while (((v = rd32(d, a)) & mask) != want) {
		if (now_ns() > end)
			return say("%s: 0x%" PRIx64 " reads 0x%08x, waited for 0x%08x",
				   what, a, v & mask, want);
		usleep(1000);
	}
	return 0;
}

/* ---- power ----------------------------------------------------------- */

static int pmgr_set(struct drv *d, uint32_t target)
{
	uint32_t v = rd32(d, PMGR_PS_ANS2);

	wr32(d, PMGR_PS_ANS2, (v & ~(PS_TARGET_MASK | PS_RESET)) | target);
	return poll32(d, PMGR_PS_ANS2, PS_TARGET_MASK << PS_ACTUAL_SHIFT,
		      target << PS_ACTUAL_SHIFT, "PMGR ps_ans2");
}

/* ---- the ASC mailbox ------------------------------------------------- */

static int mbox_send(struct drv *d, uint8_t ep, uint64_t msg)
{
	uint64_t end = now_ns() + TIMEOUT_NS;

	while (rd32(d, MBOX_BASE + A2I_CONTROL) & FIFO_FULL)
		if (now_ns() > end)
			return say("mailbox: A2I stays full");
	if (d->verbose)
		fprintf(stderr, "  -> ep 0x%02x 0x%016" PRIx64 "\n", ep, msg);
	wr64(d, MBOX_BASE + A2I_SEND0, msg);
	wr64(d, MBOX_BASE + A2I_SEND1, ep); /* pushes the message */
	return 0;
}

static int mbox_recv(struct drv *d, uint8_t *ep, uint64_t *msg)
{
	uint64_t end = now_ns() + TIMEOUT_NS;

	/* Sleep on the recv-not-empty line, as a driver's WFI loop would. */
	while (rd32(d, MBOX_BASE + I2A_CONTROL) & FIFO_EMPTY) {
		int64_t left = (int64_t)(end - now_ns());

		if (left <= 0 || copro_raw_irq_wait(d->bus, IRQ_MBOX_RECV_NOT_EMPTY,
						    true, left))
			return say("mailbox: no message from the coprocessor");
	}
	*msg = rd64(d, MBOX_BASE + I2A_RECV0);
	*ep = (uint8_t)rd64(d, MBOX_BASE + I2A_RECV1); /* pops it */
	if (d->verbose)
		fprintf(stderr, "  <- ep 0x%02x 0x%016" PRIx64 "\n", *ep, *msg);
	return 0;
}

/* ---- the SART -------------------------------------------------------- */

static int sart_allow(struct drv *d, uint64_t phys, uint64_t size)
{
	for (unsigned i = 0; i < SART_ENTRIES; i++) {
		/* Entries with flags set that are not ours are the bootloader's. */
		if (rd32(d, SART_BASE + SART_CONFIG(i)) ||
		    (d->sart_used & (1u << i)))
			continue;
		wr32(d, SART_BASE + SART_ADDR(i), (uint32_t)(phys >> 12));
		wr32(d, SART_BASE + SART_CONFIG(i),
		     SART_ALLOW | (uint32_t)(size >> 12));
		d->sart_used |= 1u << i;
		return 0;
	}
	return say("SART: no free entry");
}

static void sart_clear(struct drv *d)
{
	for (unsigned i = 0; i < SART_ENTRIES; i++) {
		if (!(d->sart_used & (1u << i)))
			continue;
		wr32(d, SART_BASE + SART_CONFIG(i), 0);
		wr32(d, SART_BASE + SART_ADDR(i), 0);
	}
	d->sart_used = 0;
}

/* ---- RTKit ----------------------------------------------------------- */

static bool has_ep(const struct drv *d, unsigned ep)
{
	return d->eps[ep / 8] & (1u << (ep % 8));
}

/* A system endpoint's buffer: DMA memory the SART lets the coprocessor reach. */
static int give_buffer(struct drv *d, uint8_t ep, uint64_t iova, size_t size,
		       uint64_t *phys)
{
	struct copro_raw_dma *b = &d->buf[ep];
	int rc;

	if (iova)
		return say("ep 0x%02x asks for its buffer at 0x%" PRIx64
			   ": this driver only provides buffers", ep, iova);
	if (!size || size > (4u << 20) || b->cpu)
		return say("ep 0x%02x: refusing a buffer of %zu bytes", ep, size);
	size = (size + 4095) & ~(size_t)4095;
	rc = copro_raw_dma_alloc(d->bus, 0, size, 0, b);
	if (rc)
		return say("ep 0x%02x: no DMA memory: %s", ep, copro_strerror(rc));
	*phys = b->phys;
	return sart_allow(d, b->phys, size);
}

static void print_syslog(struct drv *d, unsigned index)
{
	const struct copro_raw_dma *b = &d->buf[EP_SYSLOG];
	size_t stride = 0x20 + d->syslog_size;
	char ctx[25], text[256];

	if (!b->cpu || index >= d->syslog_entries ||
	    (index + 1) * stride > b->size || d->syslog_size >= sizeof(text))
		return;
	memcpy(ctx, (char *)b->cpu + index * stride + 8, 24);
	ctx[24] = '\0';
	memcpy(text, (char *)b->cpu + index * stride + 0x20, d->syslog_size);
	text[d->syslog_size] = '\0';
	text[strcspn(text, "\n")] = '\0';
	printf("syslog: %s: %s\n", ctx, text);
	d->syslog_lines++;
}

/* One message from the coprocessor, whatever the boot step. */
static int rtkit_handle(struct drv *d, uint8_t ep, uint64_t msg)
{
	uint64_t phys;

	switch (ep) {
	case EP_MGMT:
		switch (TYPE(msg)) {
		case MGMT_HELLO: {
			unsigned min = msg & 0xffff, max = (msg >> 16) & 0xffff;
			unsigned v = max > 12 ? 12 : max;

			if (v < min || v < 11)
				return say("RTKit versions %u..%u: none of 11..12", min, max);
			return mbox_send(d, EP_MGMT, (uint64_t)MGMT_HELLO_REPLY << 52 |
							     v << 16 | v);
		}
		case MGMT_EPMAP: {
			unsigned base = (msg >> 32) & 7;
			uint32_t bitmap = (uint32_t)msg;
			bool last = msg & EPMAP_LAST;
			int rc;

			memcpy(&d->eps[base * 4], &bitmap, 4);
			rc = mbox_send(d, EP_MGMT, (uint64_t)MGMT_EPMAP << 52 |
							   (uint64_t)base << 32 |
							   (last ? EPMAP_LAST : 1));
			if (rc || !last)
				return rc;
			/* Start every system endpoint in the map. */
			for (unsigned e = 1; e < 0x20 && !rc; e++)
				if (has_ep(d, e))
					rc = mbox_send(d, EP_MGMT,
						       (uint64_t)MGMT_STARTEP << 52 |
							       (uint64_t)e << 32 | 2);
			return rc;
		}
		case MGMT_IOP_PWR_ACK:
			d->iop = msg & 0xffff;
			return 0;
		case MGMT_AP_PWR:
			d->ap = msg & 0xffff;
			return 0;
		}
		break;
	case EP_CRASHLOG:
	case EP_SYSLOG:
	case EP_IOREPORT:
		if (TYPE(msg) == BUF_REQUEST && ep == EP_CRASHLOG && d->buf[ep].cpu)
			return say("the coprocessor crashed");
		if (TYPE(msg) == BUF_REQUEST) {
			size_t pages = (msg >> 44) & 0xff;

			if (give_buffer(d, ep, msg & ((1ull << 44) - 1),
					pages * 4096, &phys))
				return -1;
			return mbox_send(d, ep, (uint64_t)BUF_REQUEST << 52 |
							(uint64_t)pages << 44 | phys);
		}
		if (ep == EP_SYSLOG && TYPE(msg) == SYSLOG_INIT) {
			d->syslog_entries = msg & 0xff;
			d->syslog_size = (msg >> 24) & 0xff;
			return 0;
		}
		if (ep == EP_SYSLOG && TYPE(msg) == SYSLOG_LOG) {
			print_syslog(d, msg & 0xff);
			return mbox_send(d, ep, msg); /* the acknowledgement */
		}
		if (ep == EP_IOREPORT && (TYPE(msg) == 8 || TYPE(msg) == 0xc))
			return mbox_send(d, ep, msg); /* or it hangs */
		break;
	case EP_OSLOG:
		if ((msg >> 56) == BUF_REQUEST) {
			size_t size = (msg >> 36) & 0xfffff;

			/* The old scheme: INIT with no buffer, answered with ACK. */
			if (!size && !(msg & ((1ull << 36) - 1)))
				return mbox_send(d, ep, (uint64_t)OSLOG_ACK << 56);

			if (give_buffer(d, ep, (msg & ((1ull << 36) - 1)) << 12,
					size, &phys))
				return -1;
			return mbox_send(d, ep, (uint64_t)BUF_REQUEST << 56 |
							(uint64_t)size << 36 |
							phys >> 12);
		}
		break;
	}
	if (d->verbose)
		fprintf(stderr, "  (ignored)\n");
	return 0;
}

/* Handle messages until *state == want. */
static int rtkit_until(struct drv *d, const unsigned *state, unsigned want,
		       const char *what)
{
	uint8_t ep = 0;
	uint64_t msg = 0;

	while (*state != want)
		if (mbox_recv(d, &ep, &msg) || rtkit_handle(d, ep, msg))
			return say("RTKit: %s did not come", what);
	return 0;
}

static int rtkit_set_ap(struct drv *d, unsigned state)
{
	return mbox_send(d, EP_MGMT, (uint64_t)MGMT_AP_PWR << 52 | state) ||
	       rtkit_until(d, &d->ap, state, "the AP power state ACK");
}

static int rtkit_set_iop(struct drv *d, unsigned state)
{
	return mbox_send(d, EP_MGMT, (uint64_t)MGMT_IOP_PWR << 52 | state) ||
	       rtkit_until(d, &d->iop, state, "the IOP power state ACK");
}

/* ---- the ANS2 NVMe controller ----------------------------------------- */

static int alloc(struct drv *d, struct copro_raw_dma *b, size_t size)
{
	int rc = copro_raw_dma_alloc(d->bus, 0, size, 0, b);

	return rc ? say("DMA memory: %s", copro_strerror(rc)) : 0;
}

/* Submit on queue q under tag, wait for its completion; the NVMe status. */
static int nvme_cmd(struct drv *d, int q, uint8_t tag, struct sqe cmd,
		    uint32_t *result)
{
	struct sqe *sqe = (struct sqe *)d->sq[q].cpu + tag;
	struct tcb *tcb = (struct tcb *)d->tcbs[q].cpu + tag;
	unsigned depth = q == QA ? ADMIN_DEPTH : IO_DEPTH;
	struct cqe *cqe;
	uint64_t end = now_ns() + TIMEOUT_NS;
	uint16_t status;

	/* The NVMMU moves data only as the tag's TCB describes. */
	memset(tcb, 0, sizeof(*tcb));
	tcb->opcode = cmd.opc;
	tcb->command_id = tag;
	tcb->length = cmd.cdw12 & 0xffff;
	tcb->prp1 = cmd.prp1;
	tcb->prp2 = cmd.prp2;
	if (cmd.opc & 1)
		tcb->dma_flags |= TCB_TO_DEVICE;
	if (cmd.opc & 2)
		tcb->dma_flags |= TCB_FROM_DEVICE;
	cmd.cid = tag;
	*sqe = cmd;
	atomic_thread_fence(memory_order_release);
	/* Linear submission: the queue is indexed by tag; ring with the tag. */
	wr32(d, NVME_BASE + (q == QA ? LINEAR_ASQ_DB : LINEAR_IOSQ_DB), tag);

	/*
	 * The controller writes the entry, then its status word (the phase
	 * bit) last; an acquire load of the status orders the reads of the
	 * rest after it, as a barrier after the phase check does on the CPU.
	 */
	cqe = (struct cqe *)d->cq[q].cpu + d->cq_head[q];
	while ((__atomic_load_n(&cqe->status, __ATOMIC_ACQUIRE) & 1) !=
	       d->phase[q]) {
		int64_t left = (int64_t)(end - now_ns());

		if (left <= 0)
			return say("command 0x%02x (tag %u) never completed",
				   cmd.opc, tag);
		/* The shared interrupt line; re-check the ring either way. */
		copro_raw_irq_wait(d->bus, IRQ_NVME, true,
				   left < 10000000 ? left : 10000000);
	}
	status = cqe->status >> 1;
	if (cqe->cid != tag)
		return say("completion for tag %u, expected %u", cqe->cid, tag);
	if (result)
		*result = cqe->result;
	/* Invalidate the TCB before the tag is used again. */
	wr32(d, NVME_BASE + NVMMU_TCB_INVAL, tag);
	if (rd32(d, NVME_BASE + NVMMU_TCB_STAT))
		return say("TCB %u: invalidation failed", tag);
	if (++d->cq_head[q] == depth) {
		d->cq_head[q] = 0;
		d->phase[q] ^= 1;
	}
	wr32(d, NVME_BASE + (q == QA ? ACQ_DB : IOCQ_DB), d->cq_head[q]);
	return status;
}

static int admin(struct drv *d, struct sqe cmd, uint32_t *result,
		 const char *what)
{
	int st = nvme_cmd(d, QA, 0, cmd, result);

	if (st)
		return say("%s: NVMe status 0x%x", what, st);
	return 0;
}

static int nvme_up(struct drv *d)
{
	uint32_t result;
	char model[41];
	uint64_t nsze;
	uint8_t *id;

	if (poll32(d, NVME_BASE + BOOT_STATUS, ~0u, BOOT_STATUS_OK,
		   "BOOT_STATUS"))
		return -1;
	wr32(d, NVME_BASE + MODESEL, 0);
	wr32(d, NVME_BASE + LINEAR_SQ_CTRL, 1);
	wr32(d, NVME_BASE + MAX_PEND_CMDS, IO_DEPTH | IO_DEPTH << 16);
	wr32(d, NVME_BASE + NVMMU_NUM_TCBS, IO_DEPTH - 1);
	wr32(d, NVME_BASE + UNKNOWN_CTRL,
	     rd32(d, NVME_BASE + UNKNOWN_CTRL) & ~PRP_NULL_CHECK);

	for (int q = QA; q <= QIO; q++)
		if (alloc(d, &d->sq[q], IO_DEPTH * sizeof(struct sqe)) ||
		    alloc(d, &d->cq[q], IO_DEPTH * sizeof(struct cqe)) ||
		    alloc(d, &d->tcbs[q], IO_DEPTH * sizeof(struct tcb)))
			return -1;
	if (alloc(d, &d->page, LBA))
		return -1;
	d->phase[QA] = d->phase[QIO] = 1;

	wr32(d, NVME_BASE + NVME_AQA, (ADMIN_DEPTH - 1) | (ADMIN_DEPTH - 1) << 16);
	wr64(d, NVME_BASE + NVME_ASQ, d->sq[QA].phys);
	wr64(d, NVME_BASE + NVME_ACQ, d->cq[QA].phys);
	wr64(d, NVME_BASE + NVMMU_ASQ_TCB_BASE, d->tcbs[QA].phys);
	wr64(d, NVME_BASE + NVMMU_IOSQ_TCB_BASE, d->tcbs[QIO].phys);
	wr32(d, NVME_BASE + NVME_CC, CC_EN | CC_IOSQES | CC_IOCQES);
	if (poll32(d, NVME_BASE + NVME_CSTS, CSTS_RDY | CSTS_CFS, CSTS_RDY,
		   "CSTS"))
		return -1;

	/* Identify Controller: the model number at byte 24. */
	if (admin(d, (struct sqe){ .opc = 0x06, .prp1 = d->page.phys, .cdw10 = 1 },
		  NULL, "Identify Controller"))
		return -1;
	id = d->page.cpu;
	memcpy(model, id + 24, 40);
	model[40] = '\0';
	for (int i = 39; i >= 0 && model[i] == ' '; i--)
		model[i] = '\0';
	/* Identify Namespace 1: its size in blocks at byte 0. */
	if (admin(d, (struct sqe){ .opc = 0x06, .nsid = 1, .prp1 = d->page.phys },
		  NULL, "Identify Namespace"))
		return -1;
	memcpy(&nsze, id, 8);
	printf("nvme: %s, %" PRIu64 " blocks of %u bytes\n", model, nsze, LBA);

	/* One I/O queue pair, 64 entries, interrupts on vector 0. */
	if (admin(d, (struct sqe){ .opc = 0x05, .prp1 = d->cq[QIO].phys,
				   .cdw10 = 1 | (IO_DEPTH - 1) << 16,
				   .cdw11 = 1 | 2 },
		  NULL, "Create I/O CQ") ||
	    admin(d, (struct sqe){ .opc = 0x01, .prp1 = d->sq[QIO].phys,
				   .cdw10 = 1 | (IO_DEPTH - 1) << 16,
				   .cdw11 = 1 | 1u << 16 },
		  NULL, "Create I/O SQ") ||
	    admin(d, (struct sqe){ .opc = 0x09, .cdw10 = 0x07 }, &result,
		  "Set Features (Number of Queues)"))
		return -1;
	if (result != 0)
		return say("Number of Queues: granted 0x%08x, not exactly one pair",
			   result);
	return 0;
}

static int nvme_read(struct drv *d, uint64_t lba)
{
	memset(d->page.cpu, 0, LBA);
	return nvme_cmd(d, QIO, IO_TAG,
			(struct sqe){ .opc = 0x02, .nsid = 1,
				      .prp1 = d->page.phys,
				      .cdw10 = (uint32_t)lba,
				      .cdw11 = (uint32_t)(lba >> 32),
				      .cdw12 = 0 /* one block */ },
			NULL);
}

static int nvme_down(struct drv *d)
{
	if (admin(d, (struct sqe){ .opc = 0x00, .cdw10 = 1 }, NULL, "Delete I/O SQ") ||
	    admin(d, (struct sqe){ .opc = 0x04, .cdw10 = 1 }, NULL, "Delete I/O CQ"))
		return -1;
	wr32(d, NVME_BASE + NVME_CC,
	     (rd32(d, NVME_BASE + NVME_CC) & ~CC_EN) | CC_SHN_NORMAL | CC_EN);
	return poll32(d, NVME_BASE + NVME_CSTS, CSTS_SHST_MASK, CSTS_SHST_DONE,
		      "CSTS.SHST");
}

/* ---- the disk ---------------------------------------------------------- */

static void fill(uint8_t *p, uint64_t lba)
{
	for (unsigned i = 0; i < LBA; i++)
		p[i] = (uint8_t)(lba * 131 + i * 7);
}

static int make_disk(char *path, size_t len)
{
	uint8_t block[LBA];
	int fd;

	snprintf(path, len, "%s/bare_nvme-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return say("%s: %s", path, strerror(errno));
	fill(block, TEST_LBA);
	if (ftruncate(fd, 4 << 20) ||
	    pwrite(fd, block, LBA, (off_t)TEST_LBA * LBA) != LBA) {
		close(fd);
		return say("%s: %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

/* ---- the whole run ------------------------------------------------------- */

static int run(struct drv *d, struct copro_board *b)
{
	struct copro_sim_ans2 *ans2 = copro_board_ans2(b, copro_board_nvme_node(b));
	struct copro_sim_rtkit *fw = copro_board_rtkit(b, copro_board_nvme_node(b));
	struct copro_sim_ans2_stats as;
	struct copro_sim_rtkit_stats rs;
	uint8_t want[LBA];
	int st;

	if (!ans2 || !fw)
		return say("the board has no ANS2 controller model");

	/* 1, 2: power, then the CPU. */
	if (pmgr_set(d, PS_ACTIVE))
		return -1;
	wr32(d, ASC_BASE + CPU_CONTROL, CPU_RUN);

	/* 3: RTKit, until the IOP says ON; then the AP goes ON. */
	if (rtkit_until(d, &d->iop, PWR_ON, "IOP ON") || rtkit_set_ap(d, PWR_ON))
		return -1;
	printf("rtkit: booted, endpoints:");
	for (unsigned e = 0; e < 256; e++)
		if (has_ep(d, e))
			printf(" 0x%02x", e);
	printf("\n");

	/* 4: the controller. */
	if (nvme_up(d))
		return -1;

	/* 5: a block this program wrote to the disk file. */
	fill(want, TEST_LBA);
	if ((st = nvme_read(d, TEST_LBA)))
		return say("Read: NVMe status 0x%x", st);
	if (memcmp(d->page.cpu, want, LBA))
		return say("Read: block %u is not what the disk holds", TEST_LBA);
	printf("nvme: read block %u: matches the disk\n", TEST_LBA);

	/* The model fails the next data transfer, as a bus error would. */
	copro_sim_ans2_set_fault(ans2, COPRO_SIM_ANS2_FAULT_DMA, 1);
	st = nvme_read(d, TEST_LBA);
	if (st <= 0)
		return say("Read with a DMA fault injected: status 0x%x, expected an error", st);
	printf("nvme: read with a DMA fault injected: NVMe status 0x%x\n", st);
	if ((st = nvme_read(d, TEST_LBA)) || memcmp(d->page.cpu, want, LBA))
		return say("Read after the fault: status 0x%x", st);

	/* 6: down again. */
	if (nvme_down(d) || rtkit_set_ap(d, PWR_QUIESCED) ||
	    rtkit_set_iop(d, PWR_SLEEP))
		return -1;
	wr32(d, ASC_BASE + CPU_CONTROL, 0);
	sart_clear(d);
	if (pmgr_set(d, PS_PWRGATE))
		return -1;

	/* What the models saw: nothing a real controller would refuse. */
	copro_sim_ans2_get_stats(ans2, &as);
	copro_sim_rtkit_get_stats(fw, &rs);
	printf("model: %" PRIu64 " commands, %" PRIu64 " errors, %" PRIu64
	       " TCB invalidations, %" PRIu64 " bytes read\n",
	       as.commands, as.errors, as.tcb_invalidations, as.bytes_read);
	printf("firmware: %" PRIu64 " boots, %" PRIu64 " refused, syslog %" PRIu64
	       "/%" PRIu64 " acknowledged, %u lines read\n", rs.boots, rs.refused,
	       rs.syslog_acked, rs.syslog_sent, d->syslog_lines);
	if (as.errors != 1 || as.tcb_missing || as.prp_violations ||
	    as.tag_errors || as.bad_accesses || as.doorbells_ignored ||
	    rs.refused || rs.sart_blocked || rs.boots != 1 ||
	    rs.syslog_acked != rs.syslog_sent || !d->syslog_lines)
		return say("the models saw something go wrong (see above)");
	return 0;
}

int main(int argc, char **argv)
{
	struct drv d = { .verbose = argc > 1 && !strcmp(argv[1], "-v") };
	char disk[256];
	struct copro_board *b;
	int rc;

	if (make_disk(disk, sizeof(disk)))
		return 1;
	struct copro_board_config cfg = {
		.board = "t8103",
		.threaded = true,
		.disk_path = disk,
	};
	rc = copro_board_create(&cfg, &b);
	if (rc) {
		unlink(disk);
		say("board: %s", copro_strerror(rc));
		return 1;
	}
	d.bus = copro_board_bus(b);
	rc = run(&d, b);
	/* A failed run may have left the coprocessor going: stop it first. */
	wr32(&d, ASC_BASE + CPU_CONTROL, 0);
	for (unsigned i = 0; i < 256; i++)
		copro_raw_dma_free(d.bus, &d.buf[i]);
	for (int q = QA; q <= QIO; q++) {
		copro_raw_dma_free(d.bus, &d.sq[q]);
		copro_raw_dma_free(d.bus, &d.cq[q]);
		copro_raw_dma_free(d.bus, &d.tcbs[q]);
	}
	copro_raw_dma_free(d.bus, &d.page);
	copro_board_destroy(b);
	unlink(disk);
	printf("%s\n", rc ? "FAILED" : "ok");
	return rc ? 1 : 0;
}
