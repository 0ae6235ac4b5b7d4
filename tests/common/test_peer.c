// SPDX-License-Identifier: MIT
/*
 * The public drivers' sequences, played by hand (see test_peer.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <string.h>

#include <copro/dt.h>
#include <copro/regs/ans2.h>
#include <copro/regs/asc.h>
#include <copro/regs/nvme.h>
#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>

#include "test_peer.h"
#include "test_rtkit_msg.h"

#define PEER_TCBS 128 /* 16 KiB arrays, as u-boot and OpenBSD allocate */
#define PEER_IO_DEPTH 16
#define PEER_CMD_TIMEOUT_NS TEST_TIMEOUT_NS

static bool bit(const uint64_t *set, unsigned ep)
{
	return (set[ep / 64] >> (ep % 64)) & 1;
}

void peer_open(struct peer *pr, struct test_ap *ap)
{
	const struct copro_dt *dt = copro_platform_dt(ap->p);
	int n;

	memset(pr, 0, sizeof(*pr));
	pr->ap = ap;
	pr->iop_state = SLEEP;	  /* what u-boot and OpenBSD assume */
	pr->ap_state = QUIESCED;
	n = copro_dt_ref_count(dt, ap->nvme, "power-domains",
			       "#power-domain-cells");
	assert_true(n >= 0 && n <= 4);
	for (int i = 0; i < n; i++) {
		assert_int_equal(copro_power_get_dt(ap->p, ap->nvme, (unsigned)i,
						    &pr->pd[i]),
				 0);
		assert_int_equal(copro_power_on(pr->pd[i]), 0);
		pr->npd++;
	}
	n = copro_dt_ref_count(dt, ap->nvme, "resets", "#reset-cells");
	assert_true(n >= 0 && n <= 4);
	for (int i = 0; i < n; i++) {
		assert_int_equal(copro_reset_get_dt(ap->p, ap->nvme, (unsigned)i,
						    &pr->rst[i]),
				 0);
		pr->nrst++;
	}
	assert_int_equal(copro_mmio_map_dt(ap->p, ap->nvme, "nvme", 0, &pr->nvme),
			 0);
}

void peer_close(struct peer *pr)
{
	struct copro_dma_buf *bufs[] = { &pr->asq,  &pr->acq,	&pr->iosq,
					 &pr->iocq, &pr->atcb,	&pr->iotcb,
					 &pr->data };

	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		if (bufs[i]->cpu)
			copro_dma_free(pr->ap->p, bufs[i]);
	copro_mmio_unmap(pr->nvme);
	for (unsigned i = 0; i < pr->nrst; i++)
		copro_reset_put(pr->rst[i]);
	/*
	 * Its own hold on the domains ends: the domain stays on only for
	 * whoever else holds it (a next owner that took it before).
	 */
	for (unsigned i = 0; i < pr->npd; i++) {
		if (!pr->off)
			copro_power_off(pr->pd[i]);
		copro_power_put(pr->pd[i]);
	}
	memset(pr, 0, sizeof(*pr));
}

void peer_cpu(struct peer *pr, bool run)
{
	uint32_t ctrl = copro_readl(pr->ap->cpu, ASC_CPU_CONTROL);

	copro_writel(pr->ap->cpu, ASC_CPU_CONTROL,
		     run ? ctrl | ASC_CPU_CONTROL_RUN
			 : ctrl & ~ASC_CPU_CONTROL_RUN);
}

void peer_reset_toggle(struct peer *pr)
{
	for (unsigned i = 0; i < pr->nrst; i++)
		assert_int_equal(copro_reset_assert(pr->rst[i]), 0);
	for (unsigned i = 0; i < pr->nrst; i++)
		assert_int_equal(copro_reset_deassert(pr->rst[i]), 0);
}

void peer_power_off(struct peer *pr)
{
	for (unsigned i = 0; i < pr->npd; i++)
		assert_int_equal(copro_power_off(pr->pd[i]), 0);
	pr->off = true;
}

/* ---- RTKit ------------------------------------------------------------------ */

static void recv(struct peer *pr, uint8_t *ep, uint64_t *msg)
{
	if (!test_ap_recv(pr->ap, ep, msg)) {
		test_logcap_dump(&pr->ap->cap);
		fail_msg("the firmware went quiet");
	}
}

/* HELLO, the map; returns with the map in pr->eps. */
static void hello_and_map(struct peer *pr)
{
	uint8_t ep;
	uint64_t msg;
	unsigned max, want;

	recv(pr, &ep, &msg);
	assert_int_equal(ep, 0);
	assert_int_equal(RTK_MGMT_TYPE(msg), RTK_MGMT_HELLO);
	max = (unsigned)RTK_HELLO_MAX(msg);
	want = max < 12 ? max : 12;
	test_ap_send(pr->ap, 0,
		     MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(want, want)));
	memset(pr->eps, 0, sizeof(pr->eps));
	for (;;) {
		uint64_t base;

		recv(pr, &ep, &msg);
		assert_int_equal(ep, 0);
		assert_int_equal(RTK_MGMT_TYPE(msg), RTK_MGMT_EPMAP);
		base = RTK_EPMAP_BASE(msg);
		pr->eps[base / 2] |= RTK_EPMAP_BITMAP(msg) << (32 * (base % 2));
		test_ap_send(pr->ap, 0,
			     MGMT(RTK_MGMT_EPMAP,
				  RTK_EPMAP_BASE_MAKE(base) |
					  (msg & RTK_EPMAP_LAST
						   ? RTK_EPMAP_LAST
						   : RTK_EPMAP_MORE)));
		if (msg & RTK_EPMAP_LAST)
			break;
	}
}

static void start(struct peer *pr, unsigned ep)
{
	if (bit(pr->eps, ep))
		test_ap_send(pr->ap, 0, STARTEP(ep));
}

/*
 * One message as a bootloader's poll loop takes it: power-state ACKs are
 * recorded, the system endpoints' requests answered (test_ap_handle
 * does what all three do with buffers, syslog and ioreport), oslog
 * `oslog_ack` (m1n1's reading of it) or as a buffer request.
 */
static void poll_one(struct peer *pr, bool oslog_ack)
{
	uint8_t ep;
	uint64_t msg;

	recv(pr, &ep, &msg);
	if (ep == 0) {
		switch (RTK_MGMT_TYPE(msg)) {
		case RTK_MGMT_SET_IOP_PWR_STATE_ACK:
			pr->iop_state = (unsigned)RTK_PWR_STATE(msg);
			return;
		case RTK_MGMT_SET_AP_PWR_STATE:
			pr->ap_state = (unsigned)RTK_PWR_STATE(msg);
			return;
		default:
			fail_msg("management message 0x%016" PRIx64, msg);
		}
	}
	if (ep == 8 && oslog_ack && RTK_OSLOG_TYPE(msg) == RTK_OSLOG_INIT) {
		test_ap_send(pr->ap, 8, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_ACK));
		return;
	}
	if (!test_ap_handle(pr->ap, ep, msg))
		fail_msg("unexpected ep 0x%02x msg 0x%016" PRIx64, ep, msg);
}

static void poll_until_iop(struct peer *pr, unsigned low_byte, bool oslog_ack)
{
	while ((pr->iop_state & 0xff) != low_byte)
		poll_one(pr, oslog_ack);
}

static void poll_until_ap(struct peer *pr, unsigned state, bool oslog_ack)
{
	while (pr->ap_state != state)
		poll_one(pr, oslog_ack);
}

void peer_uboot_rtkit_boot(struct peer *pr)
{
	peer_cpu(pr, true);
	test_ap_send(pr->ap, 0, SET_IOP(ON)); /* "Wakup the IOP." */
	hello_and_map(pr);
	for (unsigned ep = 1; ep < 0x20; ep++)
		if (ep != 2 && ep != 3 && ep != 0x0a)
			start(pr, ep);
	pr->iop_state = SLEEP;
	pr->ap_state = QUIESCED;
	poll_until_iop(pr, ON, false);
}

void peer_uboot_rtkit_shutdown(struct peer *pr)
{
	/* It believes the AP is QUIESCED already, so asks only the IOP. */
	test_ap_send(pr->ap, 0, SET_IOP(SLEEP));
	poll_until_iop(pr, SLEEP, false);
}

void peer_m1n1_rtkit_boot(struct peer *pr)
{
	static const unsigned order[] = { 3, 1, 2, 4, 8 };

	peer_cpu(pr, true);
	/* "can be sent unconditionally to wake up a possibly sleeping IOP" */
	test_ap_send(pr->ap, 0, SET_IOP(ON));
	hello_and_map(pr);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		start(pr, order[i]);
	pr->iop_state = OFF;
	pr->ap_state = OFF;
	poll_until_iop(pr, ON, true);
	/* "this enables syslog"; its ACK is taken whenever it comes. */
	test_ap_send(pr->ap, 0, SET_AP(ON));
}

void peer_m1n1_rtkit_shutdown(struct peer *pr)
{
	test_ap_send(pr->ap, 0, SET_AP(QUIESCED));
	poll_until_ap(pr, QUIESCED, true);
	test_ap_send(pr->ap, 0, SET_IOP(QUIESCED));
	poll_until_iop(pr, QUIESCED, true);
}

/*
 * OpenBSD handles HELLO and the map inside its poll loop, whenever they
 * come, and starts the system endpoints on the last chunk.
 */
static void openbsd_poll(struct peer *pr)
{
	uint8_t ep;
	uint64_t msg;

	recv(pr, &ep, &msg);
	if (ep == 0 && RTK_MGMT_TYPE(msg) == RTK_MGMT_HELLO) {
		unsigned max = (unsigned)RTK_HELLO_MAX(msg), v = max < 12 ? max : 12;

		test_ap_send(pr->ap, 0,
			     MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(v, v)));
		return;
	}
	if (ep == 0 && RTK_MGMT_TYPE(msg) == RTK_MGMT_EPMAP) {
		uint64_t base = RTK_EPMAP_BASE(msg);

		pr->eps[base / 2] |= RTK_EPMAP_BITMAP(msg) << (32 * (base % 2));
		test_ap_send(pr->ap, 0,
			     MGMT(RTK_MGMT_EPMAP,
				  RTK_EPMAP_BASE_MAKE(base) |
					  (msg & RTK_EPMAP_LAST
						   ? RTK_EPMAP_LAST
						   : RTK_EPMAP_MORE)));
		if (msg & RTK_EPMAP_LAST)
			for (unsigned e = 1; e < 0x20; e++)
				if (e == 1 || e == 2 || e == 3 || e == 4 ||
				    e == 8)
					start(pr, e);
		return;
	}
	if (ep == 0 && RTK_MGMT_TYPE(msg) == RTK_MGMT_SET_IOP_PWR_STATE_ACK) {
		pr->iop_state = (unsigned)RTK_PWR_STATE(msg);
		return;
	}
	if (ep == 0 && RTK_MGMT_TYPE(msg) == RTK_MGMT_SET_AP_PWR_STATE) {
		pr->ap_state = (unsigned)RTK_PWR_STATE(msg);
		return;
	}
	/* oslog types 3, 4 and 5 are ignored. */
	if (ep == 8 && RTK_OSLOG_TYPE(msg) >= 3 && RTK_OSLOG_TYPE(msg) <= 5)
		return;
	if (!test_ap_handle(pr->ap, ep, msg))
		fail_msg("unexpected ep 0x%02x msg 0x%016" PRIx64, ep, msg);
}

static void openbsd_set(struct peer *pr, bool ap, unsigned state)
{
	unsigned *cur = ap ? &pr->ap_state : &pr->iop_state;

	/* It compares the IOP's low byte only (INIT is 0x220). */
	if (ap ? *cur == state : *cur == (state & 0xff))
		return;
	test_ap_send(pr->ap, 0, ap ? SET_AP(state) : SET_IOP(state));
	while (ap ? *cur != state : *cur != (state & 0xff))
		openbsd_poll(pr);
}

void peer_openbsd_rtkit_boot(struct peer *pr)
{
	peer_cpu(pr, true);
	memset(pr->eps, 0, sizeof(pr->eps));
	openbsd_set(pr, false, INIT);
	openbsd_set(pr, true, ON);
}

void peer_openbsd_rtkit_shutdown(struct peer *pr)
{
	openbsd_set(pr, true, QUIESCED);
	openbsd_set(pr, false, SLEEP);
}

/* ---- ANS2 ----------------------------------------------------------------- */

uint32_t peer_boot_status(struct peer *pr)
{
	return copro_readl(pr->nvme, ANS2_BOOT_STATUS);
}

bool peer_wait_boot_status(struct peer *pr, int64_t timeout_ns)
{
	uint64_t deadline = copro_deadline(timeout_ns);

	while (peer_boot_status(pr) != ANS2_BOOT_STATUS_OK) {
		if (!copro_deadline_left(deadline))
			return false;
		copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);
	}
	return true;
}

static void wait_csts(struct peer *pr, uint32_t mask, uint32_t want)
{
	uint64_t deadline = copro_deadline(PEER_CMD_TIMEOUT_NS);

	while ((copro_readl(pr->nvme, ANS2_NVME_CSTS) & mask) != want) {
		if (!copro_deadline_left(deadline))
			fail_msg("CSTS 0x%08x, waiting for 0x%x under 0x%x",
				 copro_readl(pr->nvme, ANS2_NVME_CSTS), want, mask);
		copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
	}
}

/*
 * One command, as u-boot submits it: the TCB of the slot filled in
 * (opcode, DMA flags 0x3 whatever the command, the slot, the length as
 * a 32-bit field), the SQE at the slot, the slot to the doorbell; the
 * completion polled, the TCB cleared and invalidated, the CQ head rung.
 */
static uint16_t command(struct peer *pr, unsigned q, struct nvme_sqe *sqe)
{
	struct copro_dma_buf *sq = q ? &pr->iosq : &pr->asq;
	struct copro_dma_buf *cq = q ? &pr->iocq : &pr->acq;
	struct copro_dma_buf *tcbs = q ? &pr->iotcb : &pr->atcb;
	unsigned depth = q ? PEER_IO_DEPTH : ANS2_ADMIN_DEPTH;
	unsigned tag = pr->tail[q];
	struct ans2_tcb *tcb = (struct ans2_tcb *)tcbs->cpu + tag;
	struct nvme_cqe *cqe;
	uint64_t deadline = copro_deadline(PEER_CMD_TIMEOUT_NS);
	uint16_t status;

	sqe->cid = (uint16_t)tag;
	memset(tcb, 0, sizeof(*tcb));
	tcb->opcode = sqe->opcode;
	tcb->dma_flags = ANS2_TCB_DMA_FROM_DEVICE | ANS2_TCB_DMA_TO_DEVICE;
	tcb->command_id = (uint8_t)tag;
	tcb->length = sqe->cdw12 & 0xffff;
	tcb->prp1 = sqe->prp1;
	tcb->prp2 = sqe->prp2;
	memcpy((struct nvme_sqe *)sq->cpu + tag, sqe, sizeof(*sqe));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	copro_writel(pr->nvme, q ? ANS2_LINEAR_IOSQ_DB : ANS2_LINEAR_ASQ_DB, tag);

	cqe = (struct nvme_cqe *)cq->cpu + pr->head[q];
	while ((__atomic_load_n(&cqe->status, __ATOMIC_ACQUIRE) & 1) !=
	       pr->phase[q]) {
		if (!copro_deadline_left(deadline))
			fail_msg("no completion for opcode 0x%02x on queue %u",
				 sqe->opcode, q);
		copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
	}
	status = cqe->status >> 1;
	assert_int_equal(cqe->cid, tag);
	memset(tcb, 0, sizeof(*tcb));
	copro_writel(pr->nvme, ANS2_NVMMU_TCB_INVAL, tag);
	assert_int_equal(copro_readl(pr->nvme, ANS2_NVMMU_TCB_STAT), 0);
	if (++pr->head[q] == depth) {
		pr->head[q] = 0;
		pr->phase[q] ^= 1;
	}
	copro_writel(pr->nvme, q ? ANS2_IOCQ_DB : ANS2_ACQ_DB, pr->head[q]);
	pr->tail[q] = (tag + 1) % depth;
	return status;
}

static void alloc(struct peer *pr, struct copro_dma_buf *b, size_t size)
{
	if (!b->cpu)
		assert_int_equal(copro_dma_alloc(pr->ap->p, size, b), 0);
	memset(b->cpu, 0, size);
}

void peer_nvme_init(struct peer *pr)
{
	struct nvme_sqe sqe;
	const uint32_t qid = 1;

	copro_writel(pr->nvme, ANS2_LINEAR_SQ_CTRL, ANS2_LINEAR_SQ_EN);
	copro_writel(pr->nvme, ANS2_MAX_PEND_CMDS, (64u << 16) | 64u);
	copro_writel(pr->nvme, ANS2_UNKNOWN_CTRL,
		     copro_readl(pr->nvme, ANS2_UNKNOWN_CTRL) &
			     ~ANS2_PRP_NULL_CHECK);
	copro_writel(pr->nvme, ANS2_NVMMU_NUM_TCBS, PEER_TCBS - 1);
	copro_writel(pr->nvme, ANS2_MODESEL, 0);

	/* The generic NVMe bring-up. */
	if (copro_readl(pr->nvme, ANS2_NVME_CC) & ANS2_CC_EN) {
		copro_writel(pr->nvme, ANS2_NVME_CC, 0);
		wait_csts(pr, ANS2_CSTS_RDY, 0);
	}
	alloc(pr, &pr->asq, 4096);
	alloc(pr, &pr->acq, 4096);
	alloc(pr, &pr->atcb, PEER_TCBS * sizeof(struct ans2_tcb));
	alloc(pr, &pr->iotcb, PEER_TCBS * sizeof(struct ans2_tcb));
	alloc(pr, &pr->iosq, 4096);
	alloc(pr, &pr->iocq, 4096);
	alloc(pr, &pr->data, 4096);
	memset(pr->head, 0, sizeof(pr->head));
	memset(pr->tail, 0, sizeof(pr->tail));
	pr->phase[0] = pr->phase[1] = 1;
	copro_writel(pr->nvme, ANS2_NVME_AQA, ANS2_AQA_VALUE);
	copro_writeq(pr->nvme, ANS2_NVME_ASQ, pr->asq.phys);
	copro_writeq(pr->nvme, ANS2_NVME_ACQ, pr->acq.phys);
	copro_writeq(pr->nvme, ANS2_NVMMU_ASQ_TCB_BASE, pr->atcb.phys);
	copro_writeq(pr->nvme, ANS2_NVMMU_IOSQ_TCB_BASE, pr->iotcb.phys);
	copro_writel(pr->nvme, ANS2_NVME_CC,
		     ANS2_CC_EN | (6u << 16) | (4u << 20));
	wait_csts(pr, ANS2_CSTS_RDY, ANS2_CSTS_RDY);

	sqe = (struct nvme_sqe){ .opcode = NVME_ADMIN_IDENTIFY,
				 .prp1 = pr->data.phys,
				 .cdw10 = NVME_ID_CNS_CTRL };
	assert_int_equal(command(pr, 0, &sqe), 0);
	sqe = (struct nvme_sqe){ .opcode = NVME_ADMIN_CREATE_CQ,
				 .prp1 = pr->iocq.phys,
				 .cdw10 = (PEER_IO_DEPTH - 1) << 16 | qid,
				 .cdw11 = NVME_QUEUE_PHYS_CONTIG };
	assert_int_equal(command(pr, 0, &sqe), 0);
	sqe = (struct nvme_sqe){ .opcode = NVME_ADMIN_CREATE_SQ,
				 .prp1 = pr->iosq.phys,
				 .cdw10 = (PEER_IO_DEPTH - 1) << 16 | qid,
				 .cdw11 = qid << 16 | NVME_QUEUE_PHYS_CONTIG };
	assert_int_equal(command(pr, 0, &sqe), 0);
	pr->ioq = true;
	sqe = (struct nvme_sqe){ .opcode = NVME_CMD_READ,
				 .nsid = 1,
				 .prp1 = pr->data.phys };
	assert_int_equal(command(pr, 1, &sqe), 0);
}

void peer_nvme_shutdown(struct peer *pr)
{
	struct nvme_sqe sqe;

	if (pr->ioq) {
		sqe = (struct nvme_sqe){ .opcode = NVME_ADMIN_DELETE_SQ,
					 .cdw10 = 1 };
		assert_int_equal(command(pr, 0, &sqe), 0);
		sqe = (struct nvme_sqe){ .opcode = NVME_ADMIN_DELETE_CQ,
					 .cdw10 = 1 };
		assert_int_equal(command(pr, 0, &sqe), 0);
		pr->ioq = false;
	}
	copro_writel(pr->nvme, ANS2_NVME_CC, 0);
	wait_csts(pr, ANS2_CSTS_RDY, 0);
}
