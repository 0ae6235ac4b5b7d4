/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 NVMe host driver (src/nvme) against a hostile controller.
 * Real firmware is an independent implementation, so everything the
 * controller produces is untrusted: register values, completion entries
 * (phase, SQ id, command id, status, SQ head), Identify pages, feature
 * answers, the interrupt line and timing (late, never, twice, tags never
 * issued, on the wrong queue).
 *
 * Setup, once: four boards (t8103 and t8015, each polled and threaded)
 * created with firmware_only, so they have the ASC mailbox, the SART and
 * the RTKit firmware model (the driver's RTKit boot is real) but no ANS2
 * controller model; in its place a scripted controller (struct ctl) is
 * the node's "nvme" register region. The ASC and SART drivers are
 * probed once; each input probes and removes the NVMe driver itself
 * (copro_nvme_probe / copro_nvme_remove), with short timeouts
 * (io_timeout_ns, ctrl_timeout_ns) so that every failure ends quickly.
 *
 * The scripted controller is a well-behaved ANS2 controller by default:
 * CC/CSTS, AQA/ASQ/ACQ, linear doorbells with NVMMU TCBs (t8103) or ring
 * tail doorbells (t8015), Identify, the I/O queue pair, Set Features,
 * Delete (aborting what it holds), reads (it writes a known pattern),
 * writes, flush, Dataset Management, Write Zeroes, the vendor command,
 * and an interrupt level that is high while a CQ holds entries the host
 * has not acknowledged. The input perturbs it.
 *
 * Input:
 *   byte 0       context (t8103/t8015, polled/threaded: bits 0-1), bit 2
 *                irq_only, bits 3-4 retries, bits 5-7 the data salt
 *   bytes 1-2    D (LE16): the last D bytes of the input are the
 *                controller's decisions, consumed backwards one byte per
 *                decision (a command executed, an Identify field, a
 *                status); once they run out every decision is "behave"
 *   the rest     the harness's operations, each an opcode byte (modulo
 *                the number of operations) and its arguments:
 *     PROBE                 probe the driver (once; ops need it)
 *     REGFAULT r m f n v[4] reads f..f+n-1 of register r answer v
 *                           (m: replace, or, xor, and-not)
 *     READ/WRITE fl lba n   fl bit 0 asynchronous, bit 1 zero-copy
 *                           buffer, bit 2 FUA, bit 3 a 4 MiB transfer
 *     FLUSH fl, DISCARD fl lba n, WZEROES fl lba n (fl bit 4 deallocate)
 *     POLL n, CTRL m a (post what the controller holds, spurious
 *     entries, the interrupt line), RESET, SUSPEND, RESUME, VENDOR fl n,
 *     CRASH (the RTKit firmware crashes), SLEEP n (past the I/O
 *     timeout), REMOVE, WAIT (for every asynchronous request),
 *     CPU_RUN (before a probe: the coprocessor left running)
 *   A decision byte below 96 is "behave"; above, one of the kinds of
 *   enum dkind: an error status, held (completed by a later CTRL, or
 *   never), dropped, completed twice, a bogus entry first, the wrong SQ
 *   id, the wrong phase, posted on the other CQ, no interrupt, the
 *   interrupt stuck high, a firmware crash, a perturbed answer (an
 *   Identify field, the feature result), another held command first, a
 *   garbage SQ head.
 *
 * What must hold, beyond the sanitizers (leaks included: remove frees
 * everything):
 *   - every input ends within a bound (a watchdog thread aborts);
 *   - every driver call returns 0 or a negative errno; every request
 *     submitted gets exactly one done(), by the time remove returns;
 *   - success (done() or a blocking call's 0) only for a command the
 *     controller completed with success status since the request was
 *     submitted (op, LBA and length match a success the controller
 *     posted, each used once); duplicates, tags never issued, other
 *     queues' entries and error statuses never turn into a success;
 *   - a read that succeeds holds exactly the pattern the controller
 *     wrote for its own LBAs (not another request's data, not stale);
 *     a write's data, fetched at the doorbell, is the caller's;
 *   - every address the driver hands the controller (queue bases, TCB
 *     arrays, SQEs, PRPs and PRP lists, Identify and vendor buffers) is
 *     inside DMA memory when the doorbell rings, TCBs match their SQEs,
 *     and doorbells name only the queue's own tags or a tail inside it.
 *
 * A limit of the hardware, not of the driver: on ANS2 the command id is
 * the tag (the NVMMU's TCB carries the bare tag, the linear doorbell is
 * the tag, and NVMMU_TCB_INVAL is written with the entry's command id),
 * as in Linux's apple.c, which sets NVME_QUIRK_SKIP_CID_GEN: no
 * generation bits in the CID. An entry for a tag that completes nothing
 * (a completion posted twice, an entry for a tag not running) and is
 * still queued when the driver issues that tag again is taken for the
 * new command's completion by any driver; this target found it (the
 * corpus file dup-completion-reissued-tag). The controller remembers
 * where such stray entries sit in each CQ; a command issued while one
 * for its tag is queued (in the ring, not passed by the host's CQ head,
 * or waiting for room) is tainted, and exactly those commands are
 * exempt from the success match and the data check (a taint record
 * stands for the success; see execute() and log_take()). Every other
 * check holds for them.
 *
 * FUZZ_NVME_DRV_LOG=1 prints the driver's log and the controller's
 * decisions.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <copro/asc.h>
#include <copro/devices.h>
#include <copro/le.h>
#include <copro/log.h>
#include <copro/nvme.h>
#include <copro/os.h>
#include <copro/regs/ans2.h>
#include <copro/regs/nvme.h>
#include <copro/sart.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>
#include <copro/sim/rtkit_fw.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE NVME_PAGE_SIZE
#define NS_BLOCKS 4096u		/* the namespace: 16 MiB of 4 KiB blocks */
#define MAX_INPUT 4096u
#define NSLOTS 64u		/* asynchronous requests per input */
#define ZC_SLOT (64u * 1024u)	/* each slot's piece of the zero-copy area */
#define SUCCESS_LOG 1024u
#define IO_TIMEOUT_NS (30 * COPRO_NSEC_PER_MSEC)
#define CTRL_TIMEOUT_NS (50 * COPRO_NSEC_PER_MSEC)
#define INPUT_LIMIT_NS (60ull * COPRO_NSEC_PER_SEC)
#define NCTX 4
#define HELD_MAX 64u
#define CQ_WAIT_MAX 8u

/* ---- the scripted controller ------------------------------------------ */

enum dkind {
	D_BEHAVE,
	D_ERROR,	/* an error status */
	D_HOLD,		/* completed later by a CTRL op, or never */
	D_DROP,		/* never completed */
	D_TWICE,	/* completed twice */
	D_BOGUS,	/* an entry for a made-up tag first */
	D_WRONG_SQ,	/* the entry names the other SQ */
	D_BAD_PHASE,	/* the entry carries the old phase */
	D_OTHER_CQ,	/* posted on the other queue's CQ */
	D_NO_IRQ,	/* the line is not raised for it */
	D_IRQ_STUCK,	/* the line stays high until disabled */
	D_CRASH,	/* the firmware crashes instead */
	D_PERTURB,	/* an Identify field or the feature result changed */
	D_HELD_FIRST,	/* a held command is completed first */
	D_SQ_HEAD,	/* a garbage SQ head */
	D_NKINDS
};

/* A command the controller fetched: the latest one of its tag (CID). */
struct ccmd {
	bool active;	/* fetched, no success posted since */
	bool held;
	bool tainted;	/* issued while a stray entry for its tag was queued */
	unsigned q;	/* 0 admin, 1 I/O */
	struct nvme_sqe sqe;
};

struct cqueue {
	uint64_t cq_base, sq_base, tcb_base;
	unsigned cq_depth, sq_depth, tail, head, sq_head;
	size_t sq_entry;
	uint16_t phase;
	bool live;	/* admin: enabled; I/O: created */
	struct nvme_cqe wait[CQ_WAIT_MAX]; /* posted while the ring was full */
	bool wait_stray[CQ_WAIT_MAX];
	unsigned nwait;
	/*
	 * Per ring slot: the entry there completes no command the host
	 * has issued on its tag (a second copy, an entry for a tag not
	 * running, an abort); see stray_queued().
	 */
	bool stray[64];
	uint16_t stray_cid[64], stray_sq[64];
};

/* Registers whose reads the input may perturb. */
enum { R_CAP_LO, R_CAP_HI, R_VS, R_CSTS, R_BOOT, R_TCB_STAT, R_UNK_CTRL,
       R_AQA, R_NREGS };

struct regfault {
	unsigned reg, mode, first, count;
	uint32_t val;
};

/*
 * A success the controller posted, or (taint) a command issued on a tag
 * a stray entry was still queued for: the host may take that entry for
 * it, so it may succeed without a success of its own (see execute()).
 */
struct success {
	uint8_t opc;
	uint64_t slba, nlb; /* blocks, not 0-based */
	uint64_t seq;
	bool used, taint;
};

struct ctl {
	struct copro_mutex lock;
	struct copro_bus *bus;
	struct copro_sim_rtkit *fw;
	unsigned line;
	bool linear;
	_Atomic bool fw_up;
	/* registers */
	uint32_t cc, aqa, lin_ctrl, unk_ctrl, misc[4];
	uint64_t asq, acq;
	bool shn_done;
	bool irq_stuck;
	struct cqueue q[2];
	struct ccmd cmd[ANS2_MAX_TAGS];
	unsigned nheld;
	uint8_t held[HELD_MAX];
	unsigned reads[R_NREGS];
	struct regfault faults[8];
	unsigned nfaults;
	/* decisions, consumed backwards */
	const uint8_t *dec;
	size_t ndec;
	/* what the checks need */
	uint64_t seq;
	uint32_t lba_size;	/* the driver's, once probed */
	uint64_t salt;
	struct success log[SUCCESS_LOG];
	unsigned nlog;
	bool log_full;
	uint8_t vendor[PAGE];
};

struct fctx {
	const char *board;
	bool threaded, a11;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_bus *bus;
	struct copro_devices *devs;
	int node;
	uint64_t phys, size, ans;
	struct ctl c;
};

/* One request of the harness. */
struct slot {
	struct copro_nvme_req req;
	bool used, zc, sync;
	_Atomic unsigned done_calls;
	_Atomic int status;
	uint64_t seq;
	void *buf;
};

static struct {
	bool ready;
	struct copro_log *log;
	struct fctx ctx[NCTX];
	uint8_t *zc;		/* the zero-copy area: NSLOTS * ZC_SLOT */
	_Atomic uint64_t started; /* the running input's start, 0: none */
	struct copro_thread dog;
} fz;

static void die(const char *why)
{
	fprintf(stderr, "fuzz_nvme_driver: %s\n", why);
	abort();
}

static void check(bool cond, const char *why)
{
	if (!cond)
		die(why);
}

/* cmd->lock held: the next decision byte, 0 ("behave") when none is left. */
static uint8_t dbyte(struct ctl *c)
{
	if (!c->ndec)
		return 0;
	c->ndec--;
	return c->dec[c->ndec];
}

static enum dkind decide(struct ctl *c)
{
	uint8_t d = dbyte(c);

	return d < 96 ? D_BEHAVE : (enum dkind)(1 + (d - 96) % (D_NKINDS - 1));
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* The data at byte address `a` of the disk (reads) or of a write. */
static uint8_t pattern(uint64_t salt, uint64_t a)
{
	return (uint8_t)(mix64((a >> 3) ^ salt) >> ((a & 7) * 8));
}

static void fill(uint8_t *buf, size_t len, uint64_t salt, uint64_t addr)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(salt, addr + i);
}

static bool matches(const uint8_t *buf, size_t len, uint64_t salt,
		    uint64_t addr)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern(salt, addr + i))
			return false;
	return true;
}

#define READ_SALT(c) ((c)->salt)
#define WRITE_SALT(c) ((c)->salt ^ 0x5a5a5a5a5a5a5a5aull)

/* ---- DMA through the bus, as the controller does it ------------------- */

static bool dma_ok(struct ctl *c, uint64_t a, size_t n)
{
	void *p;

	return !copro_bus_dma_map(c->bus, "fuzz-ctl", a, n, &p);
}

static bool dma_rd(struct ctl *c, uint64_t a, void *dst, size_t n)
{
	return !copro_bus_dma_read(c->bus, "fuzz-ctl", a, dst, n);
}

static bool dma_wr(struct ctl *c, uint64_t a, const void *src, size_t n)
{
	return !copro_bus_dma_write(c->bus, "fuzz-ctl", a, src, n);
}

/*
 * The pieces of a PRP transfer of `len` bytes, in order: fn(addr, n,
 * offset) for each. False when a piece or a list page is outside DMA
 * memory or fn refuses; a malformed PRP (a later entry not on a page)
 * is the driver's bug.
 */
typedef bool (*piece_fn)(struct ctl *c, uint64_t a, size_t n, size_t off,
			 void *arg);

static bool prp_walk(struct ctl *c, uint64_t prp1, uint64_t prp2, size_t len,
		     piece_fn fn, void *arg)
{
	size_t first = PAGE - (prp1 & (PAGE - 1)), off;
	uint64_t list = prp2;
	unsigned i = 0;

	check(!(prp1 & 3), "PRP1 not dword aligned");
	if (first > len)
		first = len;
	if (!fn(c, prp1, first, 0, arg))
		return false;
	off = first;
	if (off == len)
		return true;
	if (len - off <= PAGE) {
		check(!(prp2 & (PAGE - 1)), "PRP2 (data) not on a page");
		return fn(c, prp2, len - off, off, arg);
	}
	check(!(list & (PAGE - 1)), "PRP list not on a page");
	while (off < len) {
		size_t left = (len - off + PAGE - 1) / PAGE;
		uint8_t e[8];
		uint64_t a;

		if (!dma_rd(c, list + 8u * i, e, 8))
			return false;
		a = copro_get_le64(e);
		if (i == PAGE / 8 - 1 && left > 1) {
			check(!(a & (PAGE - 1)), "chained PRP list not on a page");
			list = a;
			i = 0;
			continue;
		}
		check(!(a & (PAGE - 1)), "PRP list entry not on a page");
		size_t n = len - off < PAGE ? len - off : PAGE;

		if (!fn(c, a, n, off, arg))
			return false;
		off += n;
		i++;
	}
	return true;
}

static bool piece_valid(struct ctl *c, uint64_t a, size_t n, size_t off,
			void *arg)
{
	(void)off;
	(void)arg;
	return dma_ok(c, a, n);
}

static bool piece_read_data(struct ctl *c, uint64_t a, size_t n, size_t off,
			    void *arg)
{
	uint64_t base = *(const uint64_t *)arg;
	uint8_t buf[PAGE];

	fill(buf, n, READ_SALT(c), base + off);
	return dma_wr(c, a, buf, n);
}

static bool piece_check_write(struct ctl *c, uint64_t a, size_t n, size_t off,
			      void *arg)
{
	uint64_t base = *(const uint64_t *)arg;
	uint8_t buf[PAGE];

	if (!dma_rd(c, a, buf, n))
		return false;
	check(matches(buf, n, WRITE_SALT(c), base + off),
	      "a write's data at the doorbell is not the caller's");
	return true;
}

/* ---- completions ------------------------------------------------------- */

/*
 * lock held: command m's success (or, `taint`, its licence to succeed
 * without one) recorded for the checks; only I/O and the vendor command
 * are checked.
 */
static void log_record(struct ctl *c, const struct ccmd *m, bool taint)
{
	struct success *s = &c->log[c->nlog];
	uint8_t opc = m->sqe.opcode;

	if (m->q != 1 && opc != ANS2_VENDOR_OPC)
		return;
	if (c->nlog == SUCCESS_LOG) {
		c->log_full = true;
		return;
	}
	s->opc = opc;
	s->slba = ((uint64_t)m->sqe.cdw11 << 32) | m->sqe.cdw10;
	s->nlb = (m->sqe.cdw12 & 0xffff) + 1u;
	if (opc == NVME_CMD_FLUSH)
		s->slba = s->nlb = 0;
	s->seq = ++c->seq;
	s->used = false;
	s->taint = taint;
	c->nlog++;
}

/* lock held. The line: high while a CQ holds unacknowledged entries. */
static void irq_update(struct ctl *c)
{
	bool level = c->irq_stuck;

	for (unsigned i = 0; i < 2; i++)
		if (c->q[i].live && c->q[i].cq_depth &&
		    (c->q[i].tail != c->q[i].head || c->q[i].nwait))
			level = true;
	copro_bus_irq_set(c->bus, c->line, level);
}

/*
 * lock held: one entry into queue qi's ring (waits while it is full).
 * `stray`: it completes nothing the host has issued on its tag.
 */
static void cq_put(struct ctl *c, unsigned qi, struct nvme_cqe e,
		   bool raw_phase, bool stray)
{
	struct cqueue *q = &c->q[qi];
	struct nvme_cqe *slot;
	void *p;

	if (!q->live || !q->cq_depth)
		return;
	if (!raw_phase && (q->tail + 1) % q->cq_depth == q->head) {
		if (q->nwait < CQ_WAIT_MAX) {
			q->wait_stray[q->nwait] = stray;
			q->wait[q->nwait++] = e;
		}
		return;
	}
	if (copro_bus_dma_map(c->bus, "fuzz-ctl",
			      q->cq_base + (uint64_t)q->tail * sizeof(e),
			      sizeof(e), &p))
		return;
	slot = p;
	memcpy(slot, &e, offsetof(struct nvme_cqe, status));
	__atomic_store_n(&slot->status,
			 (uint16_t)(raw_phase ? e.status
					      : ((e.status & ~NVME_CQE_PHASE) |
						 q->phase)),
			 __ATOMIC_RELEASE);
	/* An entry with the old phase is never read: the host stops there. */
	q->stray[q->tail] = stray && !raw_phase;
	q->stray_cid[q->tail] = e.cid;
	q->stray_sq[q->tail] = e.sq_id;
	if (++q->tail == q->cq_depth) {
		q->tail = 0;
		q->phase ^= 1;
	}
}

/*
 * lock held: would the host take an entry on CQ qi naming tag `cid` and
 * SQ `sq_id` for the completion of the command the tag is running? Then
 * it is that completion, whatever the controller meant by it.
 */
static bool accepted(const struct ctl *c, unsigned qi, unsigned cid,
		     unsigned sq_id)
{
	return cid < ANS2_MAX_TAGS && sq_id == qi && c->cmd[cid].active &&
	       c->cmd[cid].q == qi;
}

/*
 * lock held: would an entry for `cid` the host takes (`accept`) complete
 * the command the host issued on it? Not when none runs, nor when the
 * command is tainted: the stray entry queued before it is the one the
 * host takes, and this one is a stray in turn.
 */
static bool completes(const struct ctl *c, unsigned cid, bool accept)
{
	const struct ccmd *m = &c->cmd[cid % ANS2_MAX_TAGS];

	return accept && m->active && !m->tainted;
}

/*
 * lock held: the entry naming tag `cid` with `status`. When the host will
 * take it (`accept`) it completes the command: a read's data is written
 * first, a success recorded for the checks before the entry is visible.
 */
static struct nvme_cqe finish(struct ctl *c, unsigned cid, uint16_t status,
			      uint32_t result, bool accept)
{
	struct ccmd *m = &c->cmd[cid % ANS2_MAX_TAGS];
	struct nvme_cqe e = { .cid = (uint16_t)cid, .sq_id = (uint16_t)m->q,
			      .result = result, .status = status };

	if (!accept || !m->active)
		return e;
	m->held = false;
	if (m->q == 1 && !status && m->sqe.opcode == NVME_CMD_READ) {
		uint64_t base = (((uint64_t)m->sqe.cdw11 << 32) | m->sqe.cdw10) *
				c->lba_size;
		size_t len = ((m->sqe.cdw12 & 0xffff) + 1u) * (size_t)c->lba_size;

		if (!prp_walk(c, m->sqe.prp1, m->sqe.prp2, len, piece_read_data,
			      &base))
			e.status = NVME_CQE_STATUS(NVME_SCT_GENERIC,
						   NVME_SC_DATA_XFER_ERROR);
	}
	if (!e.status)
		log_record(c, m, false);
	m->active = false;
	return e;
}

/* lock held: an entry the controller makes up (tag, status, queue). */
static void post_made_up(struct ctl *c, unsigned qi, unsigned cid,
			 unsigned sq_id, uint16_t status)
{
	bool acc = accepted(c, qi, cid, sq_id), stray = !completes(c, cid, acc);
	struct nvme_cqe e = finish(c, cid, status, 0, acc);

	e.cid = (uint16_t)cid;
	e.sq_id = (uint16_t)sq_id;
	cq_put(c, qi, e, false, stray);
}

static uint16_t error_status(struct ctl *c)
{
	unsigned sct = dbyte(c) % 8, sc = dbyte(c);
	uint16_t st = NVME_CQE_STATUS(sct, sc) |
		      (uint16_t)(dbyte(c) & 1 ? NVME_CQE_DNR : 0);

	if (!sct && !sc)
		st = NVME_CQE_STATUS(NVME_SCT_GENERIC, NVME_SC_INTERNAL);
	return st;
}

/* lock held: post the completion of `cid` as decision `k` says. */
static void post(struct ctl *c, unsigned cid, enum dkind k, uint16_t status,
		 uint32_t result)
{
	struct ccmd *m = &c->cmd[cid];
	unsigned qi = m->q;
	struct nvme_cqe e;
	bool acc, stray;

	if (getenv("FUZZ_NVME_DRV_LOG"))
		fprintf(stderr, "fuzz-ctl: tag %u (queue %u, opcode 0x%02x%s): decision %d, status 0x%x\n",
			cid, qi, m->sqe.opcode, m->active ? "" : ", not active",
			(int)k, status);

	if (k == D_BOGUS) {
		unsigned bcid = dbyte(c);

		post_made_up(c, qi, bcid, qi, (uint16_t)(dbyte(c) << 1));
	}
	if (k == D_ERROR && !status)
		status = error_status(c);
	/* Entries the host must refuse complete nothing it may believe. */
	acc = k != D_WRONG_SQ && k != D_BAD_PHASE && k != D_OTHER_CQ;
	stray = !completes(c, cid, acc);
	e = finish(c, cid, status, result, acc);
	switch (k) {
	case D_WRONG_SQ:
		e.sq_id = (uint16_t)(qi ^ 1);
		break;
	case D_OTHER_CQ:
		qi ^= 1;
		break;
	case D_SQ_HEAD:
		e.sq_head = (uint16_t)(dbyte(c) | dbyte(c) << 8);
		break;
	default:
		break;
	}
	if (k == D_BAD_PHASE) {
		e.status = (uint16_t)((e.status & ~NVME_CQE_PHASE) |
				      (c->q[qi].phase ^ 1));
		cq_put(c, qi, e, true, false);
	} else {
		cq_put(c, qi, e, false, stray);
	}
	/* The second copy completes nothing: a stray. */
	if (k == D_TWICE)
		cq_put(c, qi, e, false, true);
	if (k == D_IRQ_STUCK)
		c->irq_stuck = true;
	if (k != D_NO_IRQ)
		irq_update(c);
}

static void hold(struct ctl *c, unsigned cid)
{
	if (c->cmd[cid].held || c->nheld == HELD_MAX)
		return;
	c->cmd[cid].held = true;
	c->held[c->nheld++] = (uint8_t)cid;
}

/* lock held: the i-th held command (still held and active) completed. */
static void post_held(struct ctl *c, unsigned i, enum dkind k)
{
	unsigned cid = c->held[i];

	memmove(&c->held[i], &c->held[i + 1], c->nheld - i - 1);
	c->nheld--;
	if (c->cmd[cid].held && c->cmd[cid].active)
		post(c, cid, k, 0, 0);
	c->cmd[cid].held = false;
}

/* ---- command execution ------------------------------------------------- */

/* The Identify page as a healthy ANS2 answers it, then perturbed. */
static void identify_page(struct ctl *c, const struct nvme_sqe *s, uint8_t *id,
			  bool perturb)
{
	memset(id, 0, PAGE);
	if ((s->cdw10 & 0xff) == NVME_ID_CNS_CTRL) {
		memcpy(id + NVME_IDCTRL_SN, "FUZZ0000000000000001", 20);
		memcpy(id + NVME_IDCTRL_MN, "APPLE SSD fuzz                          ",
		       40);
		memcpy(id + NVME_IDCTRL_FR, "1.0     ", 8);
		id[NVME_IDCTRL_MDTS] = ANS2_MDTS;
		id[NVME_IDCTRL_SQES] = 0x66;
		id[NVME_IDCTRL_CQES] = 0x44;
		copro_put_le32(id + NVME_IDCTRL_NN, 1);
		copro_put_le16(id + NVME_IDCTRL_ONCS,
			       NVME_ONCS_DSM | NVME_ONCS_WRITE_ZEROES);
		id[NVME_IDCTRL_VWC] = 1;
	} else {
		copro_put_le64(id + NVME_IDNS_NSZE, NS_BLOCKS);
		copro_put_le64(id + NVME_IDNS_NCAP, NS_BLOCKS);
		copro_put_le32(id + NVME_IDNS_LBAF0, ANS2_LBA_SHIFT << 16);
		id[NVME_IDNS_DLFEAT] = NVME_DLFEAT_READ_ZEROES |
				       NVME_DLFEAT_WZ_DEAC;
	}
	if (!perturb)
		return;
	/* A field picked by the next byte, its value from the ones after. */
	static const struct { uint16_t off, len; } fields[] = {
		{ NVME_IDCTRL_MDTS, 1 }, { NVME_IDCTRL_NN, 4 },
		{ NVME_IDCTRL_ONCS, 2 }, { NVME_IDCTRL_VWC, 1 },
		{ NVME_IDCTRL_SN, 20 },	 { NVME_IDCTRL_MN, 40 },
		{ NVME_IDCTRL_FR, 8 },	 { NVME_IDNS_NSZE, 8 },
		{ NVME_IDNS_NLBAF, 1 },	 { NVME_IDNS_FLBAS, 1 },
		{ NVME_IDNS_LBAF0, 4 },	 { NVME_IDNS_LBAF0 + 4, 4 },
		{ NVME_IDNS_DLFEAT, 1 }, { 0, 64 },
	};
	unsigned f = dbyte(c) % (sizeof(fields) / sizeof(fields[0]));

	for (unsigned i = 0; i < fields[f].len; i++)
		id[fields[f].off + i] = dbyte(c);
}

static void forget_io(struct ctl *c, bool abort_held)
{
	for (unsigned t = 0; t < ANS2_MAX_TAGS; t++) {
		struct ccmd *m = &c->cmd[t];

		if (!m->active || m->q != 1)
			continue;
		if (abort_held)
			cq_put(c, 1, finish(c, t, NVME_CQE_STATUS(
						NVME_SCT_GENERIC,
						NVME_SC_ABORT_SQ_DELETED), 0,
					    false),
			       false, true);
		m->active = false;
		m->held = false;
	}
}

/* lock held: an admin command; *status and *result its answer. */
static bool run_admin(struct ctl *c, const struct nvme_sqe *s, bool perturb,
		      uint16_t *status, uint32_t *result)
{
	struct cqueue *io = &c->q[1];
	uint8_t id[PAGE];
	unsigned depth = (s->cdw10 >> 16) + 1u;

	switch (s->opcode) {
	case NVME_ADMIN_IDENTIFY:
		check(dma_ok(c, s->prp1, PAGE), "Identify buffer outside DMA memory");
		identify_page(c, s, id, perturb);
		dma_wr(c, s->prp1, id, PAGE);
		return true;
	case NVME_ADMIN_CREATE_CQ:
		check((s->cdw10 & 0xffff) == 1 && depth >= 2 && depth <= 64,
		      "Create I/O CQ: bad queue id or size");
		check(dma_ok(c, s->prp1, depth * sizeof(struct nvme_cqe)),
		      "I/O CQ outside DMA memory");
		io->cq_base = s->prp1;
		io->cq_depth = depth;
		io->tail = io->head = 0;
		io->phase = 1;
		io->nwait = 0;
		io->live = true;
		return true;
	case NVME_ADMIN_CREATE_SQ:
		check((s->cdw10 & 0xffff) == 1 && depth >= 2 && depth <= 64,
		      "Create I/O SQ: bad queue id or size");
		io->sq_base = s->prp1;
		io->sq_depth = depth;
		io->sq_head = 0;
		check(dma_ok(c, s->prp1, (c->linear ? ANS2_MAX_TAGS : depth) *
						 io->sq_entry),
		      "I/O SQ outside DMA memory");
		return true;
	case NVME_ADMIN_SET_FEATURES:
		if (perturb)
			*result = copro_get_le32((const uint8_t[]){
				dbyte(c), dbyte(c), dbyte(c), dbyte(c) });
		return true;
	case NVME_ADMIN_DELETE_SQ:
		forget_io(c, true);
		io->sq_depth = 0;
		return true;
	case NVME_ADMIN_DELETE_CQ:
		forget_io(c, false);
		io->live = false;
		io->nwait = 0;
		irq_update(c);
		return true;
	case ANS2_VENDOR_OPC: {
		size_t len = (size_t)s->cdw10 * 4;

		if (len > PAGE || !len) {
			*status = NVME_CQE_STATUS(NVME_SCT_GENERIC,
						  NVME_SC_INVALID_FIELD);
			return true;
		}
		check(dma_ok(c, s->prp1, len), "vendor buffer outside DMA memory");
		if (s->cdw12 == ANS2_VENDOR_OP_READ)
			dma_wr(c, s->prp1, c->vendor, len);
		else
			dma_rd(c, s->prp1, c->vendor, len);
		*result = (uint32_t)len;
		return true;
	}
	default:
		*status = NVME_CQE_STATUS(NVME_SCT_GENERIC,
					  NVME_SC_INVALID_OPCODE);
		return true;
	}
}

/* lock held: an I/O command's data checked when it is fetched. */
static void fetch_io(struct ctl *c, const struct nvme_sqe *s)
{
	uint64_t slba = ((uint64_t)s->cdw11 << 32) | s->cdw10;
	uint64_t base = slba * c->lba_size;
	size_t len = ((s->cdw12 & 0xffff) + 1u) * (size_t)c->lba_size;

	check(s->nsid == 1, "I/O for a namespace other than 1");
	switch (s->opcode) {
	case NVME_CMD_READ:
		check(prp_walk(c, s->prp1, s->prp2, len, piece_valid, NULL),
		      "a read's PRPs leave DMA memory");
		break;
	case NVME_CMD_WRITE:
		check(prp_walk(c, s->prp1, s->prp2, len, piece_check_write, &base),
		      "a write's PRPs leave DMA memory");
		break;
	case NVME_CMD_DSM:
		check(dma_ok(c, s->prp1, sizeof(struct nvme_dsm_range)),
		      "the DSM range list is outside DMA memory");
		break;
	case NVME_CMD_FLUSH:
	case NVME_CMD_WRITE_ZEROES:
		break;
	default:
		die("an unknown I/O opcode");
	}
}

/* lock held: the DSM range sits in the record as its LBA and length. */
static void dsm_fixup(struct ctl *c, struct ccmd *m)
{
	struct nvme_dsm_range r;

	if (m->sqe.opcode != NVME_CMD_DSM || !dma_rd(c, m->sqe.prp1, &r, sizeof(r)))
		return;
	/* Recorded as cdw10/11 = SLBA and cdw12 = NLB - 1, like a read. */
	m->sqe.cdw10 = (uint32_t)r.slba;
	m->sqe.cdw11 = (uint32_t)(r.slba >> 32);
	m->sqe.cdw12 = r.nlb ? r.nlb - 1 : 0;
}

/*
 * lock held: is a stray entry for tag `cid` of queue qi still queued on
 * CQ qi (in the ring and not passed by the host's CQ head, or waiting
 * for room)? An entry naming another SQ is refused by its SQ id.
 */
static bool stray_queued(const struct ctl *c, unsigned qi, unsigned cid)
{
	const struct cqueue *q = &c->q[qi];

	if (!q->live || !q->cq_depth)
		return false;
	for (unsigned p = q->head; p != q->tail; p = (p + 1) % q->cq_depth)
		if (q->stray[p] && q->stray_cid[p] == cid &&
		    q->stray_sq[p] == qi)
			return true;
	for (unsigned i = 0; i < q->nwait; i++)
		if (q->wait_stray[i] && q->wait[i].cid == cid &&
		    q->wait[i].sq_id == qi)
			return true;
	return false;
}

/*
 * lock held: a command fetched from queue qi; it runs now.
 *
 * The command id is the tag (on ANS2 as in Linux's apple.c, which sets
 * NVME_QUIRK_SKIP_CID_GEN): nothing in an entry tells one command on a
 * tag from the next. So when the tag is issued while a stray entry for
 * it (a completion posted twice, an entry for a tag not running, an
 * abort) is still queued, the host takes that entry for this command,
 * as any driver would. Such a command is tainted: it may succeed without
 * a success of its own (a taint record licenses one), a read's data is
 * not checked for it, and its own completion is a stray in turn. Every
 * other check holds for it.
 */
static void execute(struct ctl *c, unsigned qi, unsigned cid,
		    const struct nvme_sqe *s)
{
	struct ccmd *m = &c->cmd[cid];
	enum dkind k = decide(c);
	uint16_t status = 0;
	uint32_t result = 0;

	m->tainted = stray_queued(c, qi, cid);
	m->active = true;
	m->held = false;
	m->q = qi;
	m->sqe = *s;
	if (qi == 0)
		run_admin(c, s, k == D_PERTURB, &status, &result);
	else {
		fetch_io(c, s);
		dsm_fixup(c, m);
	}
	if (m->tainted) {
		if (getenv("FUZZ_NVME_DRV_LOG"))
			fprintf(stderr, "fuzz-ctl: tag %u (queue %u, opcode 0x%02x) issued while a stray entry for it is queued: tainted\n",
				cid, qi, s->opcode);
		log_record(c, m, true);
	}
	if (k == D_HELD_FIRST && c->nheld)
		post_held(c, 0, D_BEHAVE);
	switch (k) {
	case D_HOLD:
		hold(c, cid);
		return;
	case D_DROP:
		return;
	case D_CRASH:
		copro_sim_rtkit_crash(c->fw, "fuzz: the controller's firmware died", -1);
		return;
	default:
		post(c, cid, k, status, result);
	}
}

/* lock held: the TCB the NVMMU would use for tag `tag` must match. */
static void check_tcb(struct ctl *c, unsigned qi, unsigned tag,
		      const struct nvme_sqe *s)
{
	struct ans2_tcb t;

	check(dma_rd(c, c->q[qi].tcb_base + (uint64_t)tag * sizeof(t), &t,
		     sizeof(t)),
	      "TCB outside DMA memory");
	check(t.command_id == tag && t.opcode == s->opcode,
	      "TCB names another command");
	if (s->opcode != ANS2_VENDOR_OPC)
		check(t.prp1 == s->prp1 && t.prp2 == s->prp2,
		      "TCB PRPs differ from the SQE's");
	check(!!(t.dma_flags & ANS2_TCB_DMA_TO_DEVICE) == !!(s->opcode & 1) &&
		      !!(t.dma_flags & ANS2_TCB_DMA_FROM_DEVICE) ==
			      !!(s->opcode & 2),
	      "TCB DMA direction differs from the opcode's");
}

/* lock held: a linear doorbell (t8103). */
static void linear_doorbell(struct ctl *c, unsigned qi, uint32_t tag)
{
	struct cqueue *q = &c->q[qi];
	struct nvme_sqe s;

	check(qi ? tag >= ANS2_ADMIN_DEPTH && tag < ANS2_MAX_TAGS
		 : tag < ANS2_ADMIN_DEPTH,
	      "linear doorbell names a tag outside its queue");
	check((c->cc & ANS2_CC_EN) && (c->lin_ctrl & ANS2_LINEAR_SQ_EN),
	      "doorbell while the controller is disabled or not linear");
	check(q->sq_depth || qi == 0, "I/O doorbell with no I/O SQ");
	check(dma_rd(c, q->sq_base + (uint64_t)tag * sizeof(s), &s, sizeof(s)),
	      "SQE outside DMA memory");
	check(s.cid == tag, "SQE CID is not its tag");
	check_tcb(c, qi, tag, &s);
	execute(c, qi, tag, &s);
}

/* lock held: a tail doorbell (t8015): every entry up to the new tail. */
static void ring_doorbell(struct ctl *c, unsigned qi, uint32_t tail)
{
	struct cqueue *q = &c->q[qi];

	check(c->cc & ANS2_CC_EN, "doorbell while the controller is disabled");
	check(q->sq_depth, "I/O doorbell with no I/O SQ");
	check(tail < q->sq_depth, "SQ tail doorbell beyond the queue");
	while (q->sq_head != tail) {
		struct nvme_sqe s;

		check(dma_rd(c, q->sq_base + (uint64_t)q->sq_head * q->sq_entry,
			     &s, sizeof(s)),
		      "SQE outside DMA memory");
		check(qi ? s.cid >= 1 && s.cid < ANS2_T8015_DEPTH : s.cid == 0,
		      "SQE CID outside its queue's tags");
		q->sq_head = (q->sq_head + 1) % q->sq_depth;
		execute(c, qi, s.cid, &s);
	}
}

/* lock held: the host wrote CQ head `v` of queue qi. */
static void cq_doorbell(struct ctl *c, unsigned qi, uint32_t v)
{
	struct cqueue *q = &c->q[qi];

	if (!q->live)
		return;
	check(v < q->cq_depth, "CQ head doorbell beyond the queue");
	q->head = v;
	while (q->nwait && (q->tail + 1) % q->cq_depth != q->head) {
		struct nvme_cqe e = q->wait[0];
		bool stray = q->wait_stray[0];

		q->nwait--;
		memmove(&q->wait[0], &q->wait[1], q->nwait * sizeof(e));
		memmove(&q->wait_stray[0], &q->wait_stray[1],
			q->nwait * sizeof(stray));
		cq_put(c, qi, e, false, stray);
	}
	irq_update(c);
}

/* lock held: CC.EN 1 -> 0: every queue and command forgotten. */
static void ctl_disable(struct ctl *c)
{
	memset(c->q, 0, sizeof(c->q));
	c->q[0].sq_entry = sizeof(struct nvme_sqe);
	c->q[1].sq_entry = c->linear ? sizeof(struct nvme_sqe)
				     : ANS2_T8015_IOSQ_ENTRY;
	memset(c->cmd, 0, sizeof(c->cmd));
	c->nheld = 0;
	c->irq_stuck = false;
	irq_update(c);
}

static void ctl_enable(struct ctl *c)
{
	struct cqueue *a = &c->q[0];

	a->sq_depth = ANS2_AQA_ASQS(c->aqa) + 1u;
	a->cq_depth = ANS2_AQA_ACQS(c->aqa) + 1u;
	a->sq_base = c->asq;
	a->cq_base = c->acq;
	a->tail = a->head = a->sq_head = 0;
	a->phase = 1;
	a->live = true;
	check(a->cq_depth >= 2 && a->cq_depth <= 64 && a->sq_depth <= 64,
	      "AQA: bad admin queue sizes");
	check(dma_ok(c, c->acq, a->cq_depth * sizeof(struct nvme_cqe)) &&
		      dma_ok(c, c->asq, (c->linear ? ANS2_ADMIN_DEPTH : a->sq_depth) *
						sizeof(struct nvme_sqe)),
	      "admin queues outside DMA memory");
	if (c->linear)
		check(dma_ok(c, c->q[0].tcb_base,
			     ANS2_MAX_TAGS * sizeof(struct ans2_tcb)) &&
			      dma_ok(c, c->q[1].tcb_base,
				     ANS2_MAX_TAGS * sizeof(struct ans2_tcb)),
		      "TCB arrays outside DMA memory");
}

static void cc_write(struct ctl *c, uint32_t v)
{
	bool was = c->cc & ANS2_CC_EN, now = v & ANS2_CC_EN;

	if ((v & ANS2_CC_SHN_MASK) && was)
		c->shn_done = true;
	c->cc = v;
	if (was && !now)
		ctl_disable(c);
	else if (!was && now) {
		c->shn_done = false;
		ctl_enable(c);
	}
}

static uint32_t reg_value(struct ctl *c, uint64_t off, unsigned *which)
{
	*which = R_NREGS;
	switch (off) {
	case ANS2_NVME_CAP:
		*which = R_CAP_LO;
		return 63u | (uint32_t)ANS2_CAP_CQR | 2u << ANS2_CAP_TO_SHIFT;
	case ANS2_NVME_CAP + 4:
		*which = R_CAP_HI;
		return (uint32_t)(ANS2_CAP_CSS_NVM >> 32);
	case ANS2_NVME_VS:
		*which = R_VS;
		return ANS2_VS_VALUE;
	case ANS2_NVME_CC:
		return c->cc;
	case ANS2_NVME_CSTS:
		*which = R_CSTS;
		return ((c->cc & ANS2_CC_EN) ? ANS2_CSTS_RDY : 0) |
		       (c->shn_done ? ANS2_CSTS_SHST_CMPLT : 0);
	case ANS2_NVME_AQA:
		*which = R_AQA;
		return c->aqa;
	case ANS2_BOOT_STATUS:
		*which = R_BOOT;
		return atomic_load(&c->fw_up) ? ANS2_BOOT_STATUS_OK : 0;
	case ANS2_NVMMU_TCB_STAT:
		*which = R_TCB_STAT;
		return 0;
	case ANS2_UNKNOWN_CTRL:
		*which = R_UNK_CTRL;
		return c->unk_ctrl;
	case ANS2_LINEAR_SQ_CTRL:
		return c->lin_ctrl;
	default:
		return 0;
	}
}

static uint32_t perturbed(struct ctl *c, unsigned which, uint32_t v)
{
	unsigned n;

	if (which == R_NREGS)
		return v;
	n = c->reads[which]++;
	for (unsigned i = 0; i < c->nfaults; i++) {
		const struct regfault *f = &c->faults[i];

		if (f->reg != which || n < f->first || n - f->first >= f->count)
			continue;
		switch (f->mode) {
		case 0:
			v = f->val;
			break;
		case 1:
			v |= f->val;
			break;
		case 2:
			v ^= f->val;
			break;
		default:
			v &= ~f->val;
			break;
		}
	}
	return v;
}

static uint64_t mmio_read(void *ctx, uint64_t off, unsigned width)
{
	struct ctl *c = ctx;
	uint64_t v;
	unsigned w;

	copro_mutex_lock(&c->lock);
	v = reg_value(c, off, &w);
	v = perturbed(c, w, (uint32_t)v);
	if (width == 8) {
		uint32_t hi = reg_value(c, off + 4, &w);

		v |= (uint64_t)perturbed(c, w, hi) << 32;
	}
	copro_mutex_unlock(&c->lock);
	return v;
}

static void write64_half(struct ctl *c, uint64_t *r, uint64_t off, uint64_t base,
			 uint64_t val, unsigned width)
{
	if (width == 8)
		*r = val;
	else if (off == base)
		*r = (*r & ~0xffffffffull) | (uint32_t)val;
	else
		*r = (*r & 0xffffffffull) | val << 32;
}

static void mmio_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct ctl *c = ctx;
	uint32_t v = (uint32_t)val;

	copro_mutex_lock(&c->lock);
	switch (off) {
	case ANS2_NVME_CC:
		cc_write(c, v);
		break;
	case ANS2_NVME_AQA:
		c->aqa = v;
		break;
	case ANS2_NVME_ASQ:
	case ANS2_NVME_ASQ + 4:
		write64_half(c, &c->asq, off, ANS2_NVME_ASQ, val, width);
		break;
	case ANS2_NVME_ACQ:
	case ANS2_NVME_ACQ + 4:
		write64_half(c, &c->acq, off, ANS2_NVME_ACQ, val, width);
		break;
	case ANS2_NVMMU_ASQ_TCB_BASE:
	case ANS2_NVMMU_ASQ_TCB_BASE + 4:
		write64_half(c, &c->q[0].tcb_base, off, ANS2_NVMMU_ASQ_TCB_BASE,
			     val, width);
		break;
	case ANS2_NVMMU_IOSQ_TCB_BASE:
	case ANS2_NVMMU_IOSQ_TCB_BASE + 4:
		write64_half(c, &c->q[1].tcb_base, off,
			     ANS2_NVMMU_IOSQ_TCB_BASE, val, width);
		break;
	case ANS2_LINEAR_SQ_CTRL:
		c->lin_ctrl = v;
		break;
	case ANS2_UNKNOWN_CTRL:
		c->unk_ctrl = v;
		break;
	case ANS2_LINEAR_ASQ_DB:
		linear_doorbell(c, 0, v);
		break;
	case ANS2_LINEAR_IOSQ_DB:
		linear_doorbell(c, 1, v);
		break;
	case ANS2_ASQ_DB:
		check(!c->linear, "tail doorbell on a linear controller");
		ring_doorbell(c, 0, v);
		break;
	case ANS2_IOSQ_DB:
		check(!c->linear, "tail doorbell on a linear controller");
		ring_doorbell(c, 1, v);
		break;
	case ANS2_ACQ_DB:
		cq_doorbell(c, 0, v);
		break;
	case ANS2_IOCQ_DB:
		cq_doorbell(c, 1, v);
		break;
	default:
		break; /* MAX_PEND_CMDS, NUM_TCBS, TCB_INVAL, MODESEL */
	}
	copro_mutex_unlock(&c->lock);
}

static const struct copro_mmio_ops ctl_ops = { mmio_read, mmio_write };

static void fw_up(void *ctx, struct copro_sim_rtkit *fw)
{
	(void)fw;
	atomic_store(&((struct ctl *)ctx)->fw_up, true);
}

static void fw_down(void *ctx, struct copro_sim_rtkit *fw)
{
	(void)fw;
	atomic_store(&((struct ctl *)ctx)->fw_up, false);
}

static void fw_recv(void *ctx, struct copro_sim_rtkit *fw, uint8_t ep,
		    uint64_t msg)
{
	(void)ctx;
	(void)fw;
	(void)ep;
	(void)msg;
}

/* Between inputs: a controller fresh from reset, this input's decisions. */
static void ctl_reset(struct ctl *c, const uint8_t *dec, size_t ndec,
		      uint64_t salt)
{
	copro_mutex_lock(&c->lock);
	c->cc = c->aqa = c->lin_ctrl = 0;
	c->unk_ctrl = ANS2_PRP_NULL_CHECK;
	c->asq = c->acq = 0;
	c->shn_done = false;
	ctl_disable(c);
	memset(c->reads, 0, sizeof(c->reads));
	c->nfaults = 0;
	c->dec = dec;
	c->ndec = ndec;
	c->seq = 0;
	c->nlog = 0;
	c->log_full = false;
	c->lba_size = ANS2_LBA_SIZE;
	c->salt = salt;
	memset(c->vendor, 0xc5, sizeof(c->vendor));
	copro_mutex_unlock(&c->lock);
}

/* ---- the harness: requests and their checks --------------------------- */

enum op {
	OP_PROBE,
	OP_REGFAULT,
	OP_READ,
	OP_WRITE,
	OP_FLUSH,
	OP_DISCARD,
	OP_WZEROES,
	OP_POLL,
	OP_CTRL,
	OP_RESET,
	OP_SUSPEND,
	OP_RESUME,
	OP_VENDOR,
	OP_CRASH,
	OP_SLEEP,
	OP_REMOVE,
	OP_WAIT,
	OP_CPU_RUN,
	OP_COUNT
};
/* Arguments after the opcode byte. */
static const uint8_t op_args[OP_COUNT] = {
	[OP_REGFAULT] = 8, [OP_READ] = 3, [OP_WRITE] = 3, [OP_FLUSH] = 1,
	[OP_DISCARD] = 3,  [OP_WZEROES] = 3, [OP_POLL] = 1, [OP_CTRL] = 2,
	[OP_VENDOR] = 2,   [OP_SLEEP] = 1,
};
/* Operations per input: each may wait out a few short timeouts. */
#define MAX_OPS 48u

struct run {
	struct fctx *x;
	struct copro_nvme *nvme;
	struct copro_nvme_config cfg;
	struct copro_nvme_info info;
	struct slot slots[NSLOTS];
};

static struct run run_state;

static void check_errno(int rc, const char *what)
{
	if (rc > 0 || rc <= -4096) {
		fprintf(stderr, "fuzz_nvme_driver: %s returned %d\n", what, rc);
		abort();
	}
}

static uint8_t req_opcode(const struct copro_nvme_req *r)
{
	switch (r->op) {
	case COPRO_NVME_READ:
		return NVME_CMD_READ;
	case COPRO_NVME_WRITE:
		return NVME_CMD_WRITE;
	case COPRO_NVME_FLUSH:
		return NVME_CMD_FLUSH;
	case COPRO_NVME_DISCARD:
		return NVME_CMD_DSM;
	default:
		return NVME_CMD_WRITE_ZEROES;
	}
}

/*
 * A success the caller saw must be one the controller posted after the
 * request was submitted, for the same command; each is used once. A
 * successful read must hold the data the controller wrote for its LBAs.
 * A tainted command (execute()) may take the place of a success: its
 * taint record, used once like a success, and then the data is not
 * checked. Which of two identical commands (op, LBA, length) the host
 * took the stray entry for cannot be told, so while a taint record for
 * the same command is unused, neither's data is checked.
 */
/*
 * lock held: takes the success the caller believes in, or dies. True
 * when the data cannot be checked.
 */
static bool log_take(struct ctl *c, uint8_t opc, uint64_t slba, uint64_t nlb,
		     uint64_t seq)
{
	struct success *ok = NULL, *taint = NULL;

	for (unsigned i = 0; i < c->nlog; i++) {
		struct success *s = &c->log[i];

		if (s->used || s->seq <= seq || s->opc != opc ||
		    s->slba != slba || s->nlb != nlb)
			continue;
		if (s->taint && !taint)
			taint = s;
		else if (!s->taint && !ok)
			ok = s;
	}
	if (ok) {
		ok->used = true;
		return taint != NULL;
	}
	if (taint) {
		taint->used = true;
		return true;
	}
	check(c->log_full,
	      "success for a command the controller never completed with success");
	return false;
}

static void check_success(struct ctl *c, const struct copro_nvme_req *r,
			  uint64_t seq)
{
	uint8_t opc = req_opcode(r);
	bool unchecked;

	copro_mutex_lock(&c->lock);
	if (opc == NVME_CMD_FLUSH)
		unchecked = log_take(c, opc, 0, 0, seq);
	else
		unchecked = log_take(c, opc, r->offset / c->lba_size,
				     r->len / c->lba_size, seq);
	if (r->op == COPRO_NVME_READ && !unchecked)
		check(matches(r->buf, r->len, READ_SALT(c), r->offset),
		      "a successful read does not hold its own data");
	copro_mutex_unlock(&c->lock);
}

static uint64_t ctl_seq(struct ctl *c)
{
	uint64_t s;

	copro_mutex_lock(&c->lock);
	s = c->seq;
	copro_mutex_unlock(&c->lock);
	return s;
}

static void slot_done(struct copro_nvme_req *req, int status)
{
	struct slot *s = req->ctx;

	check(atomic_fetch_add(&s->done_calls, 1) == 0,
	      "done() called twice for one request");
	check_errno(status, "done()");
	atomic_store(&s->status, status);
	if (!status)
		check_success(&run_state.x->c, req, s->seq);
}

static struct slot *slot_get(struct run *r, unsigned *idx)
{
	for (unsigned i = 0; i < NSLOTS; i++)
		if (!r->slots[i].used) {
			*idx = i;
			return &r->slots[i];
		}
	return NULL;
}

static void slot_free(struct slot *s)
{
	if (!s->zc)
		free(s->buf);
	memset(s, 0, sizeof(*s));
}

/*
 * One request from its arguments: fl (async, zero-copy, FUA, the largest
 * transfer, out of range, deallocate), a start and a length in blocks.
 */
static void do_io(struct run *r, enum copro_nvme_op op, const uint8_t *a)
{
	struct ctl *c = &r->x->c;
	uint8_t fl = a[0];
	uint64_t lbas = r->info.lba_count, bs = r->info.lba_size;
	size_t nblk = 1u + a[2] % 32u, len;
	unsigned idx;
	struct slot *s = slot_get(r, &idx);
	int rc;

	if (!r->nvme || !s)
		return;
	if (fl & 8)
		nblk = op == COPRO_NVME_READ || op == COPRO_NVME_WRITE
			       ? r->info.max_transfer / bs
			       : 1u + a[2];
	len = nblk * bs;
	s->used = true;
	s->req.op = op;
	s->req.len = op == COPRO_NVME_FLUSH ? 0 : len;
	s->req.offset = op == COPRO_NVME_FLUSH
				? 0
				: ((fl & 0x20) ? lbas : (a[1] * 61u) % lbas) * bs;
	s->req.fua = fl & 4;
	s->req.deallocate = fl & 0x10;
	s->req.done = slot_done;
	s->req.ctx = s;
	if (op == COPRO_NVME_READ || op == COPRO_NVME_WRITE) {
		s->zc = (fl & 2) && len <= ZC_SLOT;
		s->buf = s->zc ? fz.zc + (size_t)idx * ZC_SLOT : malloc(len);
		check(s->buf != NULL, "out of memory");
		if (op == COPRO_NVME_WRITE)
			fill(s->buf, len, WRITE_SALT(c), s->req.offset);
		else
			memset(s->buf, 0xee, len);
		s->req.buf = s->buf;
	}
	s->seq = ctl_seq(c);
	if (fl & 1) {
		rc = copro_nvme_submit(r->nvme, &s->req);
		check_errno(rc, "copro_nvme_submit");
		if (rc) /* refused: done() must never come */
			s->sync = true;
		return;
	}
	s->sync = true;
	switch (op) {
	case COPRO_NVME_READ:
		rc = copro_nvme_read(r->nvme, s->req.offset, s->buf, len);
		break;
	case COPRO_NVME_WRITE:
		rc = copro_nvme_write(r->nvme, s->req.offset, s->buf, len,
				      s->req.fua);
		break;
	case COPRO_NVME_FLUSH:
		rc = copro_nvme_flush(r->nvme);
		break;
	case COPRO_NVME_DISCARD:
		rc = copro_nvme_discard(r->nvme, s->req.offset, len);
		break;
	default:
		rc = copro_nvme_write_zeroes(r->nvme, s->req.offset, len,
					     s->req.deallocate, s->req.fua);
		break;
	}
	check_errno(rc, "a blocking I/O call");
	if (!rc)
		check_success(c, &s->req, s->seq);
	slot_free(s);
}

/* Every asynchronous request got its one done() (after remove). */
static void slots_settle(struct run *r)
{
	for (unsigned i = 0; i < NSLOTS; i++) {
		struct slot *s = &r->slots[i];

		if (!s->used)
			continue;
		check(atomic_load(&s->done_calls) == (s->sync ? 0u : 1u),
		      s->sync ? "done() called for a refused request"
			      : "a request never got its done()");
		slot_free(s);
	}
}

static bool slots_busy(struct run *r)
{
	for (unsigned i = 0; i < NSLOTS; i++)
		if (r->slots[i].used && !r->slots[i].sync &&
		    !atomic_load(&r->slots[i].done_calls))
			return true;
	return false;
}

/* Lets time pass (polling, on an unthreaded board) for up to `ns`. */
static void pass_time(struct run *r, uint64_t ns, bool until_idle)
{
	uint64_t end = copro_time_ns() + ns;

	while (copro_time_ns() < end) {
		if (until_idle && !slots_busy(r))
			return;
		if (r->nvme && !r->x->threaded)
			check(copro_nvme_poll(r->nvme) >= 0, "copro_nvme_poll failed");
		copro_sleep_ns(200 * COPRO_NSEC_PER_USEC);
	}
}

static void do_probe(struct run *r)
{
	struct ctl *c = &r->x->c;
	int rc;

	if (r->nvme)
		return;
	rc = copro_nvme_probe(r->x->p, r->x->node, &r->cfg, &r->nvme);
	check_errno(rc, "copro_nvme_probe");
	check(!rc == (r->nvme != NULL), "probe's result and its device disagree");
	if (rc)
		return;
	copro_nvme_get_info(r->nvme, &r->info);
	check(r->info.lba_size >= 512 && r->info.lba_size <= PAGE &&
		      !(r->info.lba_size & (r->info.lba_size - 1)) &&
		      r->info.lba_count &&
		      r->info.max_transfer >= r->info.lba_size &&
		      r->info.max_transfer <= COPRO_NVME_MAX_TRANSFER &&
		      r->info.io_tags &&
		      r->info.io_tags <= COPRO_NVME_IO_TAGS,
	      "the driver believes an impossible geometry");
	copro_mutex_lock(&c->lock);
	c->lba_size = r->info.lba_size;
	copro_mutex_unlock(&c->lock);
	rc = copro_nvme_register_buffer(r->nvme, fz.zc, (size_t)NSLOTS * ZC_SLOT);
	check(!rc, "registering the zero-copy area failed");
}

static void do_remove(struct run *r)
{
	if (!r->nvme)
		return;
	if (getenv("FUZZ_NVME_DRV_LOG")) {
		struct copro_nvme_stats st;

		copro_nvme_get_stats(r->nvme, &st);
		fprintf(stderr,
			"fuzz_nvme_driver: %llu submitted, %llu completed, %llu errors, %llu timeouts, %llu resets, %llu failed\n",
			(unsigned long long)st.submitted,
			(unsigned long long)st.completed,
			(unsigned long long)st.errors,
			(unsigned long long)st.timeouts,
			(unsigned long long)st.resets,
			(unsigned long long)st.failed);
	}
	copro_nvme_remove(r->nvme);
	r->nvme = NULL;
	slots_settle(r);
}

static void do_regfault(struct run *r, const uint8_t *a)
{
	struct ctl *c = &r->x->c;

	copro_mutex_lock(&c->lock);
	if (c->nfaults < sizeof(c->faults) / sizeof(c->faults[0]))
		c->faults[c->nfaults++] = (struct regfault){
			.reg = a[0] % R_NREGS, .mode = a[1] % 4,
			.first = a[2], .count = a[3] ? a[3] : 1000000u,
			.val = copro_get_le32(a + 4),
		};
	copro_mutex_unlock(&c->lock);
}

/* The controller acts on its own: held commands, spurious entries, IRQ. */
static void do_ctrl(struct run *r, const uint8_t *a)
{
	struct ctl *c = &r->x->c;

	/*
	 * Not while no driver runs: a controller a crash left enabled
	 * still points at the freed queues of the last one.
	 */
	if (!r->nvme)
		return;
	copro_mutex_lock(&c->lock);
	switch (a[0] % 6) {
	case 0:
		while (c->nheld)
			post_held(c, 0, D_BEHAVE);
		break;
	case 1:
		if (c->nheld)
			post_held(c, a[1] % c->nheld, decide(c));
		break;
	case 2:
		while (c->nheld)
			post_held(c, c->nheld - 1, decide(c));
		break;
	case 3: {
		unsigned cid = dbyte(c);

		post_made_up(c, a[1] & 1, cid, (a[1] >> 1) & 1,
			     (uint16_t)(dbyte(c) << 1));
		irq_update(c);
		break;
	}
	case 4:
		copro_bus_irq_set(c->bus, c->line, true);
		break;
	default:
		c->irq_stuck = false;
		irq_update(c);
		break;
	}
	copro_mutex_unlock(&c->lock);
}

static void do_vendor(struct run *r, const uint8_t *a)
{
	struct ctl *c = &r->x->c;
	size_t len = (size_t)(a[1] % 5) * 64;
	bool rd = a[0] & 1;
	uint32_t cdw[6] = { (uint32_t)(len / 4), 0,
			    rd ? ANS2_VENDOR_OP_READ : ANS2_VENDOR_OP_WRITE,
			    0, 0, 0 };
	uint8_t *buf = len ? malloc(len) : NULL;
	uint32_t result = 0;
	uint64_t seq = ctl_seq(c);
	int rc;

	if (!r->nvme || (len && !buf)) {
		free(buf);
		return;
	}
	if (len)
		fill(buf, len, WRITE_SALT(c), 0);
	rc = copro_nvme_vendor_cmd(r->nvme, cdw, buf, len, !rd, &result);
	check_errno(rc, "copro_nvme_vendor_cmd");
	if (!rc) {
		copro_mutex_lock(&c->lock);
		/* Recorded as an I/O's: SLBA the NDT, NLB the op plus one. */
		bool unchecked = log_take(c, ANS2_VENDOR_OPC, cdw[0],
					  (cdw[2] & 0xffff) + 1u, seq);

		check(unchecked || !rd || !len || !memcmp(buf, c->vendor, len),
		      "a successful vendor read does not hold the controller's data");
		copro_mutex_unlock(&c->lock);
	}
	free(buf);
}

static void step(struct run *r, enum op op, const uint8_t *a)
{
	struct ctl *c = &r->x->c;

	switch (op) {
	case OP_PROBE:
		do_probe(r);
		break;
	case OP_REGFAULT:
		do_regfault(r, a);
		break;
	case OP_READ:
		do_io(r, COPRO_NVME_READ, a);
		break;
	case OP_WRITE:
		do_io(r, COPRO_NVME_WRITE, a);
		break;
	case OP_FLUSH:
		do_io(r, COPRO_NVME_FLUSH, (const uint8_t[]){ a[0], 0, 0 });
		break;
	case OP_DISCARD:
		do_io(r, COPRO_NVME_DISCARD, a);
		break;
	case OP_WZEROES:
		do_io(r, COPRO_NVME_WRITE_ZEROES, a);
		break;
	case OP_POLL:
		for (unsigned i = 0; r->nvme && i <= a[0] % 8u; i++)
			check(copro_nvme_poll(r->nvme) >= 0, "copro_nvme_poll failed");
		break;
	case OP_CTRL:
		do_ctrl(r, a);
		break;
	case OP_RESET:
		if (r->nvme)
			check_errno(copro_nvme_reset(r->nvme), "copro_nvme_reset");
		break;
	case OP_SUSPEND:
		if (r->nvme)
			check_errno(copro_nvme_suspend(r->nvme),
				    "copro_nvme_suspend");
		break;
	case OP_RESUME:
		if (r->nvme)
			check_errno(copro_nvme_resume(r->nvme),
				    "copro_nvme_resume");
		break;
	case OP_VENDOR:
		do_vendor(r, a);
		break;
	case OP_CRASH:
		if (r->nvme)
			copro_sim_rtkit_crash(c->fw, "fuzz: crash", -1);
		break;
	case OP_SLEEP:
		pass_time(r, IO_TIMEOUT_NS * (1u + a[0] % 3u) +
				     10 * COPRO_NSEC_PER_MSEC, false);
		break;
	case OP_REMOVE:
		do_remove(r);
		break;
	case OP_CPU_RUN:
		/* A bootloader left the CPU running: the probe takes it over. */
		if (!r->nvme)
			copro_bus_write(r->x->bus, r->x->ans + ANS2_CPU_CONTROL, 4,
					ANS2_CPU_CONTROL_RUN);
		break;
	case OP_WAIT:
	case OP_COUNT:
		pass_time(r, 8 * IO_TIMEOUT_NS, true);
		break;
	}
}

/* ---- setup ------------------------------------------------------------ */

static void quiet(void *ctx, enum copro_log_level level, const char *dev,
		  const char *msg)
{
	(void)ctx;
	(void)level;
	if (getenv("FUZZ_NVME_DRV_LOG"))
		fprintf(stderr, "%s: %s\n", dev ? dev : "-", msg);
}

static int ctx_setup(struct fctx *x, const char *board, bool threaded)
{
	static const struct copro_sim_rtkit_app app = {
		.up = fw_up, .down = fw_down, .recv = fw_recv,
	};
	const struct copro_driver *drivers[] = { copro_asc_driver(),
						 copro_sart_driver(), NULL };
	const struct copro_devices_config dc = { .drivers = drivers };
	struct copro_board_config bc = { .board = board, .threaded = threaded,
					 .firmware_only = true, .log = fz.log };
	struct copro_sim_rtkit_app a = app;
	const struct copro_dt *dt;
	uint64_t asz;

	x->board = board;
	x->threaded = threaded;
	x->a11 = !strcmp(board, "t8015");
	if (copro_board_create(&bc, &x->b))
		return -1;
	x->p = copro_board_platform(x->b);
	x->bus = copro_board_bus(x->b);
	dt = copro_board_dt(x->b);
	x->node = copro_board_nvme_node(x->b);
	if (x->node < 0 || !(x->c.fw = copro_board_rtkit(x->b, x->node)) ||
	    copro_dt_reg_by_name(dt, x->node, "nvme", &x->phys, &x->size) ||
	    copro_dt_reg_by_name(dt, x->node, "ans", &x->ans, &asz) ||
	    copro_dt_irq(dt, x->node, 0, &x->c.line) ||
	    copro_mutex_init(&x->c.lock))
		return -1;
	x->c.bus = x->bus;
	x->c.linear = !x->a11;
	a.ctx = &x->c;
	ctl_reset(&x->c, NULL, 0, 0);
	if (copro_sim_rtkit_set_app(x->c.fw, &a, NULL) ||
	    copro_bus_add_mmio(x->bus, x->phys, x->size, &ctl_ops, &x->c,
			       "fuzz nvme") ||
	    copro_devices_probe_all(x->p, &dc, &x->devs))
		return -1;
	return 0;
}

/* Aborts an input that runs too long: a hang is a failure. */
static void *watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t t = atomic_load(&fz.started);

		if (t && copro_time_ns() - t > INPUT_LIMIT_NS)
			die("an input ran for over a minute: the driver hangs");
		copro_sleep_ns(100 * COPRO_NSEC_PER_MSEC);
	}
	return NULL;
}

static void setup(void)
{
	struct copro_log_sink sink = { quiet, NULL };
	static const char *const boards[NCTX] = { "t8103", "t8103", "t8015",
						  "t8015" };

	if (copro_log_create(&sink, getenv("FUZZ_NVME_DRV_LOG") ? COPRO_LOG_DEBUG
								 : COPRO_LOG_ERR,
			     &fz.log))
		die("no log");
	for (unsigned i = 0; i < NCTX; i++)
		if (ctx_setup(&fz.ctx[i], boards[i], i & 1))
			die("setup failed");
	fz.zc = aligned_alloc(PAGE, (size_t)NSLOTS * ZC_SLOT);
	if (!fz.zc || copro_thread_start(&fz.dog, "fuzz-watchdog", watchdog,
					 NULL))
		die("setup failed");
	fz.ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run *r = &run_state;
	size_t ndec, nops, i = 0;
	const uint8_t *ops;

	if (!fz.ready)
		setup();
	if (size < 3 || size > MAX_INPUT)
		return 0;
	ndec = copro_get_le16(data + 1);
	if (ndec > size - 3)
		ndec = size - 3;
	ops = data + 3;
	nops = size - 3 - ndec;
	memset(r, 0, sizeof(*r));
	r->x = &fz.ctx[data[0] % NCTX];
	r->cfg = (struct copro_nvme_config){
		.io_timeout_ns = IO_TIMEOUT_NS,
		.ctrl_timeout_ns = CTRL_TIMEOUT_NS,
		.retries = (data[0] >> 3) & 3u,
		.irq_only = data[0] & 4,
	};
	ctl_reset(&r->x->c, data + size - ndec, ndec,
		  mix64(data[0] >> 5) | 1);
	atomic_store(&fz.started, copro_time_ns());
	for (unsigned n = 0; i < nops && n < MAX_OPS; n++) {
		enum op op = (enum op)(ops[i++] % OP_COUNT);
		uint8_t a[8] = { 0 };

		for (unsigned k = 0; k < op_args[op]; k++)
			a[k] = i < nops ? ops[i++] : 0;
		step(r, op, a);
	}
	do_remove(r);
	/* The line is the controller's: leave it low for the next input. */
	copro_mutex_lock(&r->x->c.lock);
	ctl_disable(&r->x->c);
	copro_mutex_unlock(&r->x->c.lock);
	atomic_store(&fz.started, 0);
	return 0;
}
