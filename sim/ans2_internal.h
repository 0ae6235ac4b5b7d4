/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 NVMe controller model's state, shared by its files:
 *   ans2_model.c   lifecycle, devicetree, power and reset, faults, stats
 *   ans2_regs.c    the register file, CC/CSTS, the firmware's state
 *   ans2_queues.c  linear doorbells, tags, completion rings, the interrupt
 *   ans2_ring.c    ring submission queues (the A11's): tail doorbells,
 *                  fetching entries into the controller's command slots
 *   ans2_qsetup.c  creating and deleting queues
 *   ans2_worker.c  the controller's threads executing commands
 *   ans2_nvmmu.c   TCBs and PRPs
 *   ans2_cmds.c    admin and I/O commands
 *   ans2_disk.c    the backing file
 *   ans2_fw.c      the link to the coprocessor's RTKit firmware model
 *
 * Locks, outermost first:
 *   ctl_lock  state transitions (enable, disable, reset, power, firmware);
 *             held while waiting for the workers to go idle, so workers
 *             never take it
 *   lock      registers and queue configuration, short sections only
 *   cq.lock   one completion queue (the interrupt line, the OR of both
 *             CQs' levels, is driven without a lock: ans2_irq_update)
 * The linear doorbell path takes none of them: tags move between states
 * with atomics and a 64-bit pending mask hands them to the workers (or
 * the doorbell's own thread runs the command: ans2_run_inline). The
 * ring path takes sq.lock (never together with cq.lock).
 *
 * Two generations share the code (struct ans2_gen): the M1's controller
 * (linear submission queues indexed by tag, the NVMMU, 64 tags over both
 * queues) and the A11's (ordinary ring submission queues with tail
 * doorbells, no NVMMU, 16 entries a queue, 128-byte I/O SQ entries).
 * In both, `tags` are the controller's command slots: on the M1 the host
 * names them (the tag is the CID); on the A11 the controller takes a
 * free one for every entry it fetches, and the CID is the host's.
 */
#ifndef COPRO_SIM_ANS2_INTERNAL_H
#define COPRO_SIM_ANS2_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <copro/sim/bus.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/regs/ans2.h>
#include <copro/regs/nvme.h>
#include <copro/sim/ans2_model.h>

#include "disk_map.h"

#define ANS2_NQ 2
enum { ANS2_QA = 0, ANS2_QIO = 1 };

/* What differs between the controller generations (ans2_model.c). */
struct ans2_gen {
	const char *compatible;
	const char *name;	/* "t8103", "t8015" */
	/* M1: linear submission queues and the NVMMU; A11: rings. */
	bool linear;
	unsigned max_entries;	/* a queue's entries at most: CAP.MQES + 1 */
	unsigned admin_min;	/* AQA: entries of each admin queue */
	unsigned admin_max;
	size_t iosq_entry;	/* bytes per I/O SQ entry */
	/* The end of the last register: the "nvme" reg must reach it. */
	uint32_t regs_end;
};

/* Controller threads executing commands, at most (nworkers run). */
#define ANS2_WORKERS COPRO_SIM_ANS2_WORKERS_MAX
/*
 * Commands that may run in doorbell-ringing threads at once (each needs
 * a worker's scratch space); more go to the workers.
 */
#define ANS2_INLINE_SLOTS 16
/* Data pages of the largest transfer, which need not start page-aligned. */
#define ANS2_MAX_PAGES (ANS2_MAX_TRANSFER / NVME_PAGE_SIZE + 1)
#define ANS2_SUPPLIES 4
/* Completions of no slot that can wait for CQ room (ans2_queues.c). */
#define ANS2_UWAIT 32

enum ans2_tag_state {
	TAG_FREE,
	TAG_PENDING,	/* doorbell rung, waiting for a worker */
	TAG_RUNNING,	/* a worker executes it */
	TAG_STUCK,	/* FAULT_STUCK: it never completes */
	TAG_CQ_WAIT,	/* done; its completion waits for room in the CQ */
};

struct ans2_tag {
	_Atomic uint32_t state;
	/* Ring queues: the entry the controller fetched into this slot. */
	struct nvme_sqe sqe;
	/* Written by the doorbell before the tag is published as pending. */
	_Atomic unsigned q;
	_Atomic uint32_t epoch;
	/*
	 * The NVMMU's copy of the TCB, loaded when a command of this tag
	 * starts and kept until the host invalidates it: a tag reused
	 * without NVMMU_TCB_INVAL runs against the stale copy.
	 */
	_Atomic bool tcb_loaded;
	struct ans2_tcb tcb;
	struct nvme_cqe cqe;	/* TAG_CQ_WAIT */
};

struct ans2_sq {
	_Atomic unsigned depth;	/* 0: no queue */
	_Atomic uint64_t base;
	/*
	 * Ring queues: the fetch position (reported as the SQ head in
	 * completions) and the host's tail, under `lock`; the entry size.
	 */
	struct copro_mutex lock;
	_Atomic unsigned head;
	unsigned tail;
	size_t entry;
};

struct ans2_cq {
	/*
	 * A spin lock: held for an entry's stores and the line's level (the
	 * interrupt kick at most), taken twice a command; a mutex's second
	 * locked instruction and call cost more than the section.
	 */
	struct copro_spinlock lock;
	unsigned depth;		/* 0: no queue */
	uint64_t base;
	bool ien;
	unsigned head, tail;
	uint16_t phase;
	struct copro_bus_dma_hint hint; /* where entries were last written */
	/*
	 * Free-running counts behind the interrupt: entries posted, entries
	 * the head doorbell acknowledged, and the count up to which posted
	 * entries raised the interrupt (a lost interrupt does not move it).
	 */
	uint64_t posted, acked, irq_mark;
	/* Tags whose completions wait for room, in order. */
	uint8_t wait[ANS2_MAX_TAGS];
	unsigned nwait;
	/*
	 * Completions owned by no slot (refused or aborted entries) waiting
	 * for room, after the tags' ones.
	 */
	struct nvme_cqe uwait[ANS2_UWAIT];
	unsigned nuwait;
	_Atomic bool level;
	/* Entries posted and not yet acknowledged (the doorbell race). */
	_Atomic bool busy;
};

struct ans2_disk {
	int fd;
	uint64_t size;
	struct disk_map map;	/* the pages copied rather than called for */
	bool slow_flush;
	bool read_only;		/* the namespace is write protected */
	bool block_device;	/* no holes to punch: BLKDISCARD-like fallocate */
	_Atomic uint32_t rng;	/* jitter of the emulated slow flush */
};

/*
 * Counts of what one worker (or inline slot) ran. Only the thread holding
 * the worker writes them (copro_owned_add), so an increment is a load
 * and a store, not a locked add: five of those a command cost about 35 ns.
 * copro_sim_ans2_get_stats adds them up.
 */
struct ans2_wstats {
	_Atomic uint64_t commands, inline_commands, reads, writes, bytes_read,
		bytes_written, mapped_reads, mapped_writes;
};

/* A worker's scratch space: no allocation on the I/O path. */
struct ans2_worker {
	struct copro_sim_ans2 *m;
	unsigned id;
	struct ans2_wstats st;
	struct copro_event ev;	/* woken alone, by wake_one */
	struct iovec iov[ANS2_MAX_PAGES];
	unsigned niov;
	size_t len;
	uint8_t page[NVME_PAGE_SIZE] __attribute__((aligned(8)));
	/* The buffers its entry fetches, TCB loads and data last fell in. */
	struct copro_bus_dma_hint sqe_hint, tcb_hint, data_hint;
};

struct ans2_supply {
	int node;
	uint32_t arg;
};

struct copro_sim_ans2 {
	struct copro_logdev ld;
	struct copro_bus *bus;
	int node;
	const char *node_name;
	const struct ans2_gen *gen;
	struct copro_sim_rtkit *fw;
	struct copro_sim_sart *sart;
	uint64_t phys, size;
	unsigned line;
	char region_name[80];
	char model[41], serial[21], firmware[9];
	struct ans2_disk disk;

	struct ans2_supply power[ANS2_SUPPLIES], reset[ANS2_SUPPLIES];
	unsigned npower, nreset;
	struct copro_bus_watch watch;

	struct copro_mutex ctl_lock;
	struct copro_mutex lock;
	/* Registers, under lock; the atomic ones are read without it. */
	uint32_t cc, aqa, max_pend, modesel;
	uint64_t asq, acq;
	_Atomic uint32_t csts, linear, tcb_stat, unknown_ctrl, num_tcbs;
	_Atomic uint64_t tcb_base[ANS2_NQ];
	/* An access while off was logged (once per power-off). */
	_Atomic bool off_warned;

	/* Supplies on and reset deasserted. */
	_Atomic bool powered;
	/* The RTKit firmware is up (its app's up() ran, no down() since). */
	_Atomic bool fw_up;
	/* The coprocessor crashed: dead until power or reset cycles. */
	_Atomic bool crashed;
	/* Commands are accepted: RDY, no CFS, firmware up. */
	_Atomic bool ready;
	/* Bumped by every start and stop; commands carry theirs. */
	_Atomic uint32_t epoch;
	_Atomic bool wce;

	struct ans2_sq sq[ANS2_NQ];
	struct ans2_cq cq[ANS2_NQ];
	struct ans2_tag tags[ANS2_MAX_TAGS];
	_Atomic uint64_t pending;
	_Atomic unsigned cursor;
	/* FAULT_DOORBELL_RACE: the next completion loses its interrupt. */
	_Atomic bool race_lost;

	struct copro_thread workers[ANS2_WORKERS];
	struct ans2_worker wk[ANS2_WORKERS];
	unsigned nworkers;	/* started, from the configuration */
	/* Every command goes to the workers (the configuration). */
	bool workers_only;
	/* Scratch for commands run in the doorbell's thread; bit i: free. */
	struct ans2_worker inl[ANS2_INLINE_SLOTS];
	_Atomic uint32_t inl_free;
	struct copro_event idle_ev;
	/* Workers asleep (bit per worker), and awake looking for work. */
	_Atomic uint32_t sleeping;
	_Atomic unsigned searching;
	/* Workers inside a command (see ans2_quiesce). */
	_Atomic unsigned active;
	_Atomic bool exiting;

	struct copro_mutex vendor_lock;
	uint8_t vendor[ANS2_VENDOR_AREA_SIZE];

	_Atomic unsigned faults[COPRO_SIM_ANS2_FAULT_COUNT];
	/* Besides what each worker counts itself (struct ans2_wstats). */
	struct {
		_Atomic uint64_t errors;
		_Atomic uint64_t flushes, fdatasyncs;
		_Atomic uint64_t deallocates, write_zeroes;
		_Atomic uint64_t lbas_deallocated, lbas_zeroed;
		_Atomic uint64_t tcb_missing, tcb_invalidations, prp_violations;
		_Atomic uint64_t tag_errors, lost_irqs, stuck;
		_Atomic uint64_t bad_accesses, doorbells_ignored, app_messages;
		_Atomic uint64_t cid_conflicts;
		/* Ring queues: the most commands a queue had at once. */
		_Atomic uint64_t inflight_max[ANS2_NQ];
		_Atomic uint64_t ioq_deleted, disabled_with_ioq;
	} st;
};

/* One command as a worker executes it. */
struct ans2_cmd {
	/* The worker running it; NULL for an abort at SQ deletion. */
	struct ans2_worker *w;
	unsigned tag, q;
	uint32_t epoch;
	struct nvme_sqe sqe;
	const struct ans2_tcb *tcb;
	uint32_t result;
	uint16_t status;	/* NVME_CQE_STATUS, maybe | NVME_CQE_DNR */
};


#define ANS2_ERR(sct, sc) (NVME_CQE_STATUS(sct, sc) | NVME_CQE_DNR)

static inline void ans2_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ans2_regs.c */
extern const struct copro_mmio_ops ans2_nvme_ops;
/* Under ctl_lock: every register to its reset value. */
void ans2_regs_reset(struct copro_sim_ans2 *m);
/* Under ctl_lock: stop every command, forget queues, tags and TCBs. */
void ans2_stop(struct copro_sim_ans2 *m);
/* Controller Fatal Status from a worker: stop taking commands. */
void ans2_fatal(struct copro_sim_ans2 *m);
/* The firmware side (the RTKit app callbacks, or tests of the core). */
void ans2_fw_up(struct copro_sim_ans2 *m);
void ans2_fw_down(struct copro_sim_ans2 *m, bool crashed);
/* FAULT_CRASH fired in a worker: stop now, make the firmware crash. */
void ans2_crash_now(struct copro_sim_ans2 *m);

/* ans2_model.c */
/*
 * Faults are looked at on every command and seldom armed: the look is
 * inline, one load; taking a hit is out of line.
 */
static inline bool ans2_fault_armed(struct copro_sim_ans2 *m,
				    enum copro_sim_ans2_fault f)
{
	return atomic_load_explicit(&m->faults[f], memory_order_relaxed) != 0;
}

bool ans2_fault_take_armed(struct copro_sim_ans2 *m,
			   enum copro_sim_ans2_fault f);

/* Counted faults: take one hit (true if one was armed). */
static inline bool ans2_fault_take(struct copro_sim_ans2 *m,
				   enum copro_sim_ans2_fault f)
{
	return ans2_fault_armed(m, f) && ans2_fault_take_armed(m, f);
}

/* Counted down per command: true for the one that reaches zero. */
bool ans2_fault_countdown(struct copro_sim_ans2 *m,
			  enum copro_sim_ans2_fault f);

/* ans2_fw.c: the RTKit firmware model's app (nothing when fw is NULL). */
int ans2_fw_attach(struct copro_sim_ans2 *m);
void ans2_fw_detach(struct copro_sim_ans2 *m);
/* Make the firmware crash (it writes its crashlog and tells the host). */
void ans2_fw_crash(struct copro_sim_ans2 *m, const char *why);

/* ans2_worker.c */
int ans2_workers_start(struct copro_sim_ans2 *m);
void ans2_workers_stop(struct copro_sim_ans2 *m);
/* New pending work: make sure a worker will look at it. */
void ans2_kick(struct copro_sim_ans2 *m);
/*
 * The doorbell of `tag` (PENDING, not yet published to the workers) on
 * queue q: run it here and now when nothing about it is slow. False
 * when it must go to the workers instead.
 */
bool ans2_run_inline(struct copro_sim_ans2 *m, unsigned tag, unsigned q);
/* Under ctl_lock: stop accepting, wait for the workers to go idle. */
void ans2_quiesce(struct copro_sim_ans2 *m);

/* ans2_queues.c */
void ans2_irq_update(struct copro_sim_ans2 *m);
/* cq->lock held: the CQ's share of the line, after it changed. */
void ans2_cq_set_level(struct copro_sim_ans2 *m, struct ans2_cq *cq);
void ans2_sq_doorbell(struct copro_sim_ans2 *m, unsigned q, uint32_t val);
void ans2_cq_doorbell(struct copro_sim_ans2 *m, unsigned q, uint32_t val);
/* A completion owned by no slot (a refused entry or doorbell). */
void ans2_complete_untagged(struct copro_sim_ans2 *m, unsigned q,
			    uint16_t cid, uint16_t status);
/* Post the command's completion; its tag is free again. */
void ans2_complete(struct copro_sim_ans2 *m, const struct ans2_cmd *c);

/* ans2_ring.c (ring generations only) */
/* A tail doorbell: validate it, then fetch what the slots allow. */
void ans2_ring_doorbell(struct copro_sim_ans2 *m, unsigned q, uint32_t val);
/* A slot of queue q was freed: fetch entries that waited for one. */
void ans2_ring_refill(struct copro_sim_ans2 *m, unsigned q);
/* Under ctl_lock: the queue's ring positions back to 0. */
void ans2_ring_reset(struct copro_sim_ans2 *m, unsigned q);
/*
 * Delete SQ: entries still in the ring are read and aborted (Command
 * Aborted due to SQ Deletion, with their CIDs). The queue is already
 * marked deleted.
 */
void ans2_ring_abort_unfetched(struct copro_sim_ans2 *m, unsigned q,
			       unsigned depth);

/* ans2_nvmmu.c */
/* Does the tag's TCB describe the command? 0 or a CQE status. */
uint16_t ans2_nvmmu_check(struct copro_sim_ans2 *m, struct ans2_cmd *c);
void ans2_tcb_inval(struct copro_sim_ans2 *m, uint32_t val);
/*
 * Map the command's data through its PRPs (checked against the TCB by
 * the caller) into w->iov. Returns 0 or a CQE status.
 */
uint16_t ans2_prp_map(struct copro_sim_ans2 *m, struct ans2_worker *w,
		      const struct ans2_cmd *c, size_t len);
/* Copy between a flat buffer and the mapped w->iov. */
void ans2_iov_to(struct ans2_worker *w, const void *src, size_t len);
void ans2_iov_from(struct ans2_worker *w, void *dst, size_t len);
/* ans2_qsetup.c */
/* Under ctl_lock, after ans2_quiesce: forget queues, tags, TCBs. */
void ans2_queues_reset(struct copro_sim_ans2 *m);
/* Admin queue setup from AQA/ASQ/ACQ at enable; NULL or the reason. */
const char *ans2_admin_setup(struct copro_sim_ans2 *m);
/* Queue creation and deletion for the admin commands. */
uint16_t ans2_create_cq(struct copro_sim_ans2 *m, const struct ans2_cmd *c);
uint16_t ans2_create_sq(struct copro_sim_ans2 *m, const struct ans2_cmd *c);
uint16_t ans2_delete_sq(struct copro_sim_ans2 *m, const struct ans2_cmd *c);
uint16_t ans2_delete_cq(struct copro_sim_ans2 *m, const struct ans2_cmd *c);

/* ans2_cmds.c: fills c->status and c->result. */
void ans2_exec(struct copro_sim_ans2 *m, struct ans2_worker *w,
	       struct ans2_cmd *c);

/* ans2_disk.c */
int ans2_disk_open(struct copro_sim_ans2 *m,
		   const struct copro_sim_ans2_config *cfg);
void ans2_disk_close(struct copro_sim_ans2 *m);
/*
 * Whole transfers at a byte offset: 1 if the data went through the
 * disk's mapping, 0 if through calls, or a negative errno. The iovecs
 * are scratch: they are consumed.
 */
int ans2_disk_read(struct copro_sim_ans2 *m, struct iovec *iov,
		   unsigned niov, uint64_t off, size_t len);
int ans2_disk_write(struct copro_sim_ans2 *m, struct iovec *iov,
		    unsigned niov, uint64_t off, size_t len);
int ans2_disk_sync(struct copro_sim_ans2 *m, bool flush_cmd);
/*
 * Byte ranges of whole LBAs. Deallocate punches a hole (reads give
 * zeroes after it); zero writes zeroes in place, keeping the blocks
 * allocated. 0 or a negative errno.
 */
int ans2_disk_deallocate(struct copro_sim_ans2 *m, uint64_t off,
			 uint64_t len);
int ans2_disk_zero(struct copro_sim_ans2 *m, uint64_t off, uint64_t len);

#endif
