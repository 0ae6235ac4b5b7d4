/* SPDX-License-Identifier: MIT */
/*
 * Shared between the files of the ANS2 NVMe host driver.
 *
 * Locking, outermost first:
 *   reset_lock  one bring-up/reset/suspend/resume/admin command at a time
 *   reg_lock    the zero-copy registry's writers (lookups read it
 *               under reg_seq, a sequence count: io.c)
 *   pool_lock   the shared bounce chunks
 *   cq_lock     completion processing and the device state; with
 *     db_gate   (a reader-writer gate on one word, queue.c) exclusive
 *               for both, as every doorbell write holds it shared (the
 *               lost-interrupt quirk: no doorbell while completions are
 *               processed). A submitter takes db_gate shared before it
 *               lets go of cq_lock and rings after: doorbells do not
 *               exclude each
 *               other (a controller model answering inside the write
 *               takes a while), only completion processing and state
 *               changes (which wait for the doorbells in progress).
 *               The A11's tail doorbells move in order: they are
 *               written under cq_lock instead.
 * done() callbacks never run under any of them, so they may submit.
 *
 * Tags are the CIDs: on the M1 0-1 admin, 2-63 I/O; on the A11 0 admin,
 * 1-15 I/O (hw.c). A tag's slot (SQE copy, bounce chunks,
 * request) belongs to whoever moved its state away from FREE; the
 * completion path, the crash path and resets race for INFLIGHT and
 * PARKED slots with a compare-and-swap, and only the winner finishes.
 */
#ifndef COPRO_NVME_INTERNAL_H
#define COPRO_NVME_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/driver/platform.h>
#include <copro/log.h>
#include <copro/nvme.h>
#include <copro/os.h>
#include <copro/regs/ans2.h>
#include <copro/regs/nvme.h>
#include <copro/sart.h>

#include "nvme/cq.h"

struct copro_rtkit;
struct copro_crashlog;

#define NVME_ADMIN_TAG0 0u
#define NVME_NSID 1u
/* Submission queue ids: what completions name in their SQ id field. */
#define NVME_ADMIN_QID 0u
#define NVME_IO_QID 1u

struct copro_nvme;
struct nvme_queue;

/*
 * What differs between the controller generations (hw.c): the M1's
 * linear queues with the NVMMU, and the A11's rings.
 */
struct nvme_hw {
	const char *compatible;
	const char *name;	/* "t8103", "t8015" */
	bool linear;		/* linear SQs and the NVMMU */
	unsigned admin_depth;	/* admin queue entries (AQA) */
	unsigned admin_tags;	/* admin tags: 0 to admin_tags - 1 */
	unsigned io_depth;	/* I/O queue entries */
	unsigned ntags;		/* I/O tags: admin_tags to ntags - 1 */
	size_t iosq_entry;	/* bytes per I/O SQ entry */
	uint32_t asq_db, iosq_db; /* the SQ doorbells */
	/*
	 * Writes the command where the controller fetches it; cq_lock held.
	 * Returns what the queue's doorbell (sq_db) is to be written with
	 * (M1: the tag; A11: the new tail), which the caller writes next.
	 */
	uint32_t (*submit)(struct copro_nvme *nvme, struct nvme_queue *q,
			   unsigned tag, const struct nvme_sqe *sqe);
	/* After a completion of `tag` was taken (M1: invalidate its TCB). */
	void (*retire)(struct copro_nvme *nvme, unsigned tag);
	/* Bring-up, before the admin queue is set: the generation's registers. */
	void (*setup)(struct copro_nvme *nvme);
};

/* The generation a node is, or NULL. */
const struct nvme_hw *copro_nvme_hw_match(const struct copro_dt *dt, int node);

/* ---- PRPs (prp.c) ---------------------------------------------------- */

/* A physically contiguous piece of a transfer. */
struct nvme_seg {
	uint64_t phys;
	size_t len;
};

/* One PRP list page: 512 entries, the last chains to the next page. */
struct nvme_prp_page {
	uint64_t *cpu;
	uint64_t phys;
};
#define NVME_PRP_PER_PAGE (NVME_PAGE_SIZE / 8u)
/* Pages of list a 4 MiB transfer can need (1025 entries, see prp.c). */
#define NVME_PRP_PAGES 3u

/*
 * Builds PRP1/PRP2 (and list pages) for segments that together form a
 * valid PRP transfer: the first may start anywhere dword-aligned, every
 * other starts on a page, every one but the last ends on a page. At most
 * COPRO_NVME_MAX_SEGMENTS segments and COPRO_NVME_MAX_TRANSFER bytes.
 * Returns the list pages used (0 to npages), -EINVAL for a shape PRPs
 * cannot express, -E2BIG when the limits or the list pages run out.
 */
int copro_nvme_prp_build(const struct nvme_seg *segs, unsigned nsegs,
			 const struct nvme_prp_page *pages, unsigned npages,
			 uint64_t *prp1, uint64_t *prp2);

/* ---- per-tag state --------------------------------------------------- */

enum nvme_tag_state {
	TAG_FREE,
	TAG_ALLOC,	/* a submitter is filling it in */
	TAG_PARKED,	/* ready, waiting for the controller to be live */
	TAG_INFLIGHT,	/* doorbell rung */
	TAG_DONE,	/* claimed by whoever finishes it */
};

/* Bounce memory comes in chunks; a 4 MiB transfer takes 64 of them. */
#define NVME_CHUNK_SIZE (64u * 1024u)
#define NVME_MAX_CHUNKS (COPRO_NVME_MAX_TRANSFER / NVME_CHUNK_SIZE)
/* Chunks shared by the transfers larger than a tag's own chunk. */
#define NVME_SHARED_CHUNKS NVME_MAX_CHUNKS

struct nvme_tag {
	_Atomic int state;
	_Atomic uint64_t deadline; /* INFLIGHT: when it times out */
	bool expired;		   /* under cq_lock: found past deadline */
	bool admin;
	struct nvme_sqe sqe;	   /* what the controller is asked to do */
	struct copro_nvme_req *req;
	/* Bounce: chunk indices, [0] the tag's own; 0 chunks: zero-copy. */
	unsigned nchunks;
	uint16_t chunk[NVME_MAX_CHUNKS];
	struct nvme_prp_page prp[NVME_PRP_PAGES];
	/* Result for the admin waiter. */
	uint32_t result;
	int status;
	/*
	 * The I/O stats' submitted and completed, counted per tag by whoever
	 * holds it (the submitter, then the thread that claimed its
	 * completion): one writer at a time, handed on through the tag's
	 * atomics, so copro_owned_add instead of a locked add.
	 */
	_Atomic uint64_t n_submitted, n_completed;
};

struct nvme_queue {
	struct copro_dma_buf sq, cq, tcb; /* tcb: M1 only */
	struct nvme_cqe *cqes;
	/* Ring SQs (A11): entries, their size, the tail (under cq_lock). */
	unsigned sq_depth, sq_tail;
	size_t sq_entry;
	/* Ring position, phase and issued tags (cq.h); under cq_lock. */
	struct nvme_cq_cursor cur;
	uint32_t sq_db, cq_db;	/* register offsets */
	const char *name;	/* "admin", "I/O" */
};

enum nvme_state {
	NVME_RESETTING,	/* bring-up running: I/O parks */
	NVME_LIVE,
	NVME_QUIESCING,	/* suspend or remove draining: new I/O refused */
	NVME_SUSPENDED,
	NVME_FAILED,	/* a reset failed; every request fails */
	NVME_DEAD,	/* the coprocessor crashed */
	NVME_REMOVED,
};

/* Atomic fields: lookups read them without a lock (reg_seq, io.c). */
struct nvme_reg {
	_Atomic uintptr_t start;
	_Atomic size_t len;
	_Atomic uint64_t phys;
};
#define NVME_MAX_REGS 32

struct copro_nvme {
	struct copro_logdev ld;
	struct copro_platform *p;
	int node;
	const struct nvme_hw *hw;
	unsigned io_tag0;	/* hw->admin_tags: the first I/O tag */
	struct copro_nvme_config cfg;
	/* The platform is unthreaded: completions only from copro_nvme_poll. */
	bool polled;

	struct copro_power *power[8];
	unsigned npower, npower_on;
	struct copro_reset *resets[8];
	unsigned nresets;
	struct copro_mmio *regs, *ans;
	struct copro_irq *irq;
	struct copro_rtkit *rtk;
	struct copro_sart *sart; /* a reference */

	struct copro_mutex reset_lock;
	struct copro_mutex cq_lock;
	_Atomic uint32_t db_gate;	/* queue.c: DB_EXCL, DB_WANT, a count */
	_Atomic int state;	/* enum nvme_state; written under cq_lock */
	int fail_status;	/* what FAILED requests get */

	struct nvme_queue adminq, ioq;
	bool ioq_live; /* the I/O queue pair was created; reset_lock */
	struct nvme_tag tags[ANS2_MAX_TAGS];
	_Atomic uint64_t io_free;  /* bit t: I/O tag t free */
	struct copro_event tag_ev; /* an I/O tag was freed, or state changed */
	/*
	 * Long-lived things to signal: a waiter's own stack may be gone the
	 * moment it sees its flag, so nothing on it is touched after that.
	 */
	struct copro_event sync_ev;
	struct copro_completion admin_comp;
	struct copro_dma_buf idbuf; /* Identify data */
	_Atomic unsigned inflight; /* I/O tags not FREE */

	struct copro_dma_buf chunks;   /* tag-own chunks, then the shared */
	struct copro_dma_buf prp_pages;
	struct copro_mutex pool_lock;
	uint16_t pool[NVME_SHARED_CHUNKS];
	unsigned pool_n;
	struct copro_event pool_ev;

	struct copro_rwlock reg_lock;
	struct copro_seqcount reg_seq; /* reg_lock's holder moves an entry */
	struct nvme_reg regs_zc[NVME_MAX_REGS];
	_Atomic unsigned nregs;

	struct copro_nvme_info info;
	uint32_t lba_shift;

	/*
	 * Submitters polling the I/O CQ right now: while there are any, the
	 * interrupt line is masked, so a completion they will find
	 * themselves wakes no interrupt thread (see poll_own_cq in io.c).
	 */
	_Atomic unsigned pollers;
	/* Polled mode: the coarse clock at copro_nvme_poll's last slow look. */
	_Atomic uint64_t poll_slow_at;

	struct copro_thread watchdog;
	_Atomic bool stop;
	struct copro_event watch_ev;

	struct {
		_Atomic uint64_t errors, timeouts,
			repolled, resets, retried, failed, bounced_bytes,
			zero_copy_bytes;
	} st;
};

static inline void nvme_stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline enum nvme_state nvme_state(const struct copro_nvme *nvme)
{
	return (enum nvme_state)atomic_load(&((struct copro_nvme *)nvme)->state);
}

/*
 * A wait outside I/O (an admin command, a register poll, RTKit's
 * handshakes): cfg.ctrl_timeout_ns when it is set, else `dflt`.
 */
static inline int64_t nvme_ctrl_timeout(const struct copro_nvme *nvme,
					int64_t dflt)
{
	return nvme->cfg.ctrl_timeout_ns > 0 ? nvme->cfg.ctrl_timeout_ns : dflt;
}

const char *copro_nvme_state_name(enum nvme_state s);

/* ---- queues, tags, completion (queue.c) ------------------------------ */

/* cq_lock with db_gate exclusive: no doorbell is being written. */
void copro_nvme_cq_lock(struct copro_nvme *nvme);
void copro_nvme_cq_unlock(struct copro_nvme *nvme);

int copro_nvme_queues_alloc(struct copro_nvme *nvme);
void copro_nvme_queues_free(struct copro_nvme *nvme);
/* Empties both CQs for a fresh controller (no tag may be INFLIGHT). */
void copro_nvme_queues_reset(struct copro_nvme *nvme);

/* An I/O tag, or -EAGAIN when all are taken. */
int copro_nvme_tag_get(struct copro_nvme *nvme);
void copro_nvme_tag_put(struct copro_nvme *nvme, unsigned tag);
/*
 * Hands a filled-in slot to the controller: TCB and SQE, then the
 * doorbell under cq_lock; parks it while a reset runs. With `internal`
 * (admin commands of the bring-up) the doorbell is rung in any state.
 * Returns 0, or the error that refuses it (the slot stays the caller's).
 */
int copro_nvme_issue(struct copro_nvme *nvme, unsigned tag, bool internal);
/* Rings every PARKED slot; cq_lock held, state LIVE. */
void copro_nvme_issue_parked_locked(struct copro_nvme *nvme);
/*
 * Reaps both completion queues; finished requests are completed after
 * cq_lock is dropped. Returns completions handled.
 */
int copro_nvme_reap(struct copro_nvme *nvme);
/*
 * The same unless a doorbell is being written right now (0 then): its
 * writer polls after it, or the interrupt comes.
 */
int copro_nvme_reap_try(struct copro_nvme *nvme);
/* Whether this thread is inside copro_nvme_reap (running done()s). */
bool copro_nvme_reaping(void);
/* A done() submitted; the count of those, per thread. */
void copro_nvme_note_resubmit(void);
unsigned copro_nvme_resubmits(void);
/*
 * Claims a slot in one of the states in `from_mask` (bit per state) and
 * finishes it with `status`: copies a read's bounce data back, frees the
 * bounce chunks and the tag, calls done(). False if someone else won.
 */
bool copro_nvme_tag_finish(struct copro_nvme *nvme, unsigned tag,
			   unsigned from_mask, int status, uint32_t result);
/* The same for a request the driver gives up on: counted as failed. */
bool copro_nvme_tag_fail(struct copro_nvme *nvme, unsigned tag,
			 unsigned from_mask, int status);
void copro_nvme_irq(void *ctx);

/* ---- I/O (io.c) ------------------------------------------------------- */

void copro_nvme_chunks_put(struct copro_nvme *nvme, struct nvme_tag *t);
/* Copies a finished read out of its bounce chunks into req->buf. */
void copro_nvme_bounce_out(struct copro_nvme *nvme, struct nvme_tag *t);

/* ---- discard and write-zeroes (zero.c) ---------------------------- */

void copro_nvme_parse_oncs(struct copro_nvme_info *in, uint16_t oncs);
/* After the LBA size is known; dlfeat from Identify Namespace. */
void copro_nvme_zero_limits(struct copro_nvme_info *in, uint8_t dlfeat);
/* -EOPNOTSUPP if the device lacks the command; *bad names a bad field. */
int copro_nvme_check_zero_req(const struct copro_nvme *nvme,
			      const struct copro_nvme_req *r, const char **bad);
void copro_nvme_prep_zero(struct copro_nvme *nvme, struct nvme_tag *t,
			  unsigned tag, const struct copro_nvme_req *req);

/* ---- admin commands (admin.c) ---------------------------------------- */

/*
 * Runs one admin command on admin tag 0 and waits (timeout_ns) for it;
 * reset_lock held. `what` names the step in errors. On a timeout the
 * command is reaped once more, then abandoned (-ETIMEDOUT): the caller
 * resets the controller.
 */
int copro_nvme_admin(struct copro_nvme *nvme, struct nvme_sqe *cmd,
		     int64_t timeout_ns, const char *what, uint32_t *result);
int copro_nvme_configure(struct copro_nvme *nvme);
int copro_nvme_create_io_queues(struct copro_nvme *nvme);
/* Delete I/O SQ, then Delete I/O CQ; failures logged. reset_lock. */
void copro_nvme_delete_io_queues(struct copro_nvme *nvme);

/* ---- bring-up and recovery (bringup.c, recover.c) -------------------- */

/* hardware.md 4: from coprocessor stop to live queues. reset_lock. */
int copro_nvme_bringup(struct copro_nvme *nvme, bool first);
/* Controller disable (shn: shutdown notification); best effort. */
void copro_nvme_ctrl_disable(struct copro_nvme *nvme, bool shn);
/* The I/O queues deleted (when they can be), then ctrl_disable. */
void copro_nvme_disable(struct copro_nvme *nvme, bool shn);
/* Assert or deassert every reset line of the node. */
int copro_nvme_resets(struct copro_nvme *nvme, bool assert);
/* Power domains on (in order) or off (in reverse); probe.c. */
int copro_nvme_power(struct copro_nvme *nvme, bool on);
/* Stops the coprocessor: RTKit shutdown if it runs, then CPU_CONTROL 0. */
void copro_nvme_copro_stop(struct copro_nvme *nvme);

/* reset_lock held. reason: for the log. */
int copro_nvme_reset_locked(struct copro_nvme *nvme, const char *reason);
/* Finds I/O past its deadline; re-polls, then resets. */
void copro_nvme_check_timeouts(struct copro_nvme *nvme, bool may_block);
/*
 * Fails every INFLIGHT and PARKED slot (admin included) with `status`;
 * returns how many.
 */
unsigned copro_nvme_fail_all(struct copro_nvme *nvme, int status);
/* Drains or fails I/O and stops the coprocessor; reset_lock held. */
void copro_nvme_quiesce_locked(struct copro_nvme *nvme, enum nvme_state to);
void copro_nvme_crashed(void *ctx, const struct copro_crashlog *cl);
int copro_nvme_watchdog_start(struct copro_nvme *nvme);
void copro_nvme_watchdog_stop(struct copro_nvme *nvme);
/* The I/O timeout in force. */
int64_t copro_nvme_timeout(const struct copro_nvme *nvme);

#endif
