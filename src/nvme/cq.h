/* SPDX-License-Identifier: MIT */
/*
 * NVMe completion-queue parsing, sans-I/O (hardware.md 4): the phase bit, the
 * tag and submission-queue checks and the status decoding, as pure
 * functions over a cursor the caller owns. No platform, no locks, no
 * logging, no allocation: the driver copies an entry out of the ring
 * (status first, with acquire order, so the rest is the controller's
 * finished write), hands the copy here, and acts on the verdict.
 *
 * The controller is not trusted. Every entry it posts in phase is one
 * of:
 *   OK           a completion of a tag the host issued and the controller
 *                has not completed since;
 *   WRONG_SQ     it names another submission queue than the one this CQ
 *                serves;
 *   TAG_RANGE    it names a tag outside this queue's tags;
 *   DUPLICATE    a second completion of a tag already completed since it
 *                was last issued;
 *   NOT_ISSUED   a tag in range that the host never issued (since the
 *                last reset).
 * Every in-phase entry, good or bad, is consumed (the head moves on and
 * the phase flips at the wrap), so a bad entry never wedges the queue.
 * An entry out of phase is EMPTY: nothing new, the cursor is unchanged.
 *
 * The cursor also tracks which tags are issued, which is the
 * controller-visible half of a tag's life: the driver marks a tag issued
 * when it rings the doorbell, under the same lock as it takes entries.
 * Whether the host still wants the result (a timeout or a crash may have
 * given up on it) is the driver's business, decided after OK.
 */
#ifndef COPRO_NVME_CQ_H
#define COPRO_NVME_CQ_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/regs/nvme.h>

/* Tags are bits of a 64-bit mask: every tag is below this. */
#define NVME_CQ_MAX_TAGS 64u

struct nvme_cq_cursor {
	unsigned depth;	     /* entries in the ring, >= 2 */
	unsigned head;	     /* the next entry to look at */
	uint16_t phase;	     /* the phase bit a new entry carries */
	uint16_t sq_id;	     /* the submission queue this CQ serves */
	unsigned tag_lo;     /* this queue's tags: [tag_lo, tag_hi) */
	unsigned tag_hi;
	uint64_t issued;     /* doorbell rung, no completion seen yet */
	uint64_t completed;  /* completed since last issued */
};

enum nvme_cqe_verdict {
	NVME_CQE_EMPTY,
	NVME_CQE_OK,
	NVME_CQE_WRONG_SQ,
	NVME_CQE_TAG_RANGE,
	NVME_CQE_DUPLICATE,
	NVME_CQE_NOT_ISSUED,
};

/* One entry as parsed; filled for every verdict but EMPTY. */
struct nvme_cqe_info {
	unsigned index;	 /* where in the ring it was */
	uint16_t cid;	 /* the tag it names */
	uint16_t sq_id;
	uint16_t status; /* the status field, phase bit cleared */
	uint32_t result; /* command specific (DW0) */
};

/* A completion status, decoded (NVMe base spec, Completion Queue Entry). */
struct nvme_status_info {
	unsigned sct;	/* status code type, 3 bits */
	unsigned sc;	/* status code, 8 bits */
	unsigned crd;	/* command retry delay, 2 bits */
	bool more;	/* more status in the error log */
	bool dnr;	/* do not retry */
	int err;	/* 0 or the negative errno the driver reports */
};

/*
 * A cursor for a fresh ring: head 0, phase 1, nothing issued. -EINVAL
 * (cursor untouched) for depth < 2 or an empty or too wide tag range.
 */
int copro_nvme_cq_init(struct nvme_cq_cursor *c, unsigned depth,
		       uint16_t sq_id, unsigned tag_lo, unsigned tag_hi);
/* The controller was reset and its ring zeroed: as after init. */
void copro_nvme_cq_reset(struct nvme_cq_cursor *c);
/*
 * The host rang the doorbell of `tag`. -EINVAL outside the queue's tags
 * (nothing changes). Re-issuing a tag never completed is allowed (a
 * command abandoned without a reset): one completion settles it.
 */
int copro_nvme_cq_issue(struct nvme_cq_cursor *c, unsigned tag);
/* Is `tag` issued and not completed? */
bool copro_nvme_cq_issued(const struct nvme_cq_cursor *c, unsigned tag);
/*
 * Judge the entry at the cursor's head, `e` being the caller's copy of
 * it. EMPTY leaves the cursor as it was; every other verdict consumes
 * the entry (head advances, the phase flips at the wrap) and fills
 * *out. OK also moves the tag from issued to completed.
 */
enum nvme_cqe_verdict copro_nvme_cq_take(struct nvme_cq_cursor *c,
					 const struct nvme_cqe *e,
					 struct nvme_cqe_info *out);
/* "ok", "wrong SQ", ...: for messages. */
const char *copro_nvme_cqe_verdict_name(enum nvme_cqe_verdict v);

/*
 * A status field (phase bit ignored) decoded, with the errno the driver
 * reports for it: 0 for success; -EINVAL for an invalid opcode, field or
 * namespace; -ERANGE for an LBA out of range; -EBUSY for a command id
 * conflict; -EIO for everything else.
 */
void copro_nvme_status_decode(uint16_t status, struct nvme_status_info *out);
int copro_nvme_status_errno(uint16_t status);
/*
 * The name of a status ("LBA out of range"), or NULL for a code this
 * driver has no name for (the caller prints the numbers).
 */
const char *copro_nvme_status_name(uint16_t status);

#endif
