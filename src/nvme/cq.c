/* SPDX-License-Identifier: MIT */
/*
 * NVMe completion-queue parsing, sans-I/O: see cq.h. Nothing here touches
 * the platform, a lock or a log, so the unit tests and the fuzz target
 * drive it with plain memory.
 */
#include <errno.h>
#include <stddef.h>

#include "nvme/cq.h"

static uint64_t tag_bit(unsigned tag)
{
	return 1ull << tag;
}

static bool in_range(const struct nvme_cq_cursor *c, unsigned tag)
{
	return tag >= c->tag_lo && tag < c->tag_hi;
}

int copro_nvme_cq_init(struct nvme_cq_cursor *c, unsigned depth,
		       uint16_t sq_id, unsigned tag_lo, unsigned tag_hi)
{
	if (depth < 2 || tag_lo >= tag_hi || tag_hi > NVME_CQ_MAX_TAGS)
		return -EINVAL;
	c->depth = depth;
	c->sq_id = sq_id;
	c->tag_lo = tag_lo;
	c->tag_hi = tag_hi;
	copro_nvme_cq_reset(c);
	return 0;
}

void copro_nvme_cq_reset(struct nvme_cq_cursor *c)
{
	c->head = 0;
	c->phase = 1; /* a zeroed ring: the controller's first pass writes 1 */
	c->issued = 0;
	c->completed = 0;
}

int copro_nvme_cq_issue(struct nvme_cq_cursor *c, unsigned tag)
{
	if (!in_range(c, tag))
		return -EINVAL;
	c->issued |= tag_bit(tag);
	c->completed &= ~tag_bit(tag);
	return 0;
}

bool copro_nvme_cq_issued(const struct nvme_cq_cursor *c, unsigned tag)
{
	return in_range(c, tag) && (c->issued & tag_bit(tag));
}

static void advance(struct nvme_cq_cursor *c)
{
	if (++c->head >= c->depth) {
		c->head = 0;
		c->phase ^= 1;
	}
}

/* Which of the bad kinds an in-phase entry is, or OK. */
static enum nvme_cqe_verdict judge(const struct nvme_cq_cursor *c,
				   const struct nvme_cqe_info *i)
{
	/* Another queue's entry says nothing about this queue's tags. */
	if (i->sq_id != c->sq_id)
		return NVME_CQE_WRONG_SQ;
	if (!in_range(c, i->cid))
		return NVME_CQE_TAG_RANGE;
	if (c->issued & tag_bit(i->cid))
		return NVME_CQE_OK;
	if (c->completed & tag_bit(i->cid))
		return NVME_CQE_DUPLICATE;
	return NVME_CQE_NOT_ISSUED;
}

enum nvme_cqe_verdict copro_nvme_cq_take(struct nvme_cq_cursor *c,
					 const struct nvme_cqe *e,
					 struct nvme_cqe_info *out)
{
	enum nvme_cqe_verdict v;

	if ((e->status & NVME_CQE_PHASE) != c->phase)
		return NVME_CQE_EMPTY;
	out->index = c->head;
	out->cid = e->cid;
	out->sq_id = e->sq_id;
	out->status = (uint16_t)(e->status & ~NVME_CQE_PHASE);
	out->result = e->result;
	advance(c);
	v = judge(c, out);
	if (v == NVME_CQE_OK) {
		c->issued &= ~tag_bit(out->cid);
		c->completed |= tag_bit(out->cid);
	}
	return v;
}

const char *copro_nvme_cqe_verdict_name(enum nvme_cqe_verdict v)
{
	switch (v) {
	case NVME_CQE_EMPTY:
		return "empty";
	case NVME_CQE_OK:
		return "ok";
	case NVME_CQE_WRONG_SQ:
		return "wrong SQ id";
	case NVME_CQE_TAG_RANGE:
		return "tag out of range";
	case NVME_CQE_DUPLICATE:
		return "duplicate completion";
	case NVME_CQE_NOT_ISSUED:
		return "tag not issued";
	}
	return "unknown verdict";
}

/* ---- status ---------------------------------------------------------- */

/* Status field bits above the code and type (phase is bit 0). */
#define STATUS_CRD(s) (((s) >> 12) & 0x3u)
#define STATUS_MORE (1u << 14)

static int generic_errno(unsigned sc)
{
	switch (sc) {
	case NVME_SC_INVALID_OPCODE:
	case NVME_SC_INVALID_FIELD:
	case NVME_SC_INVALID_NS:
		return -EINVAL;
	case NVME_SC_LBA_RANGE:
		return -ERANGE;
	case NVME_SC_CAP_EXCEEDED:
		return -ENOSPC;	/* as Linux: BLK_STS_NOSPC */
	case NVME_SC_NS_WRITE_PROTECTED:
		return -EROFS;
	case NVME_SC_CMDID_CONFLICT:
		return -EBUSY;
	default:
		return -EIO;
	}
}

void copro_nvme_status_decode(uint16_t status, struct nvme_status_info *out)
{
	out->sct = NVME_CQE_SCT(status);
	out->sc = NVME_CQE_SC(status);
	out->crd = STATUS_CRD(status);
	out->more = (status & STATUS_MORE) != 0;
	out->dnr = (status & NVME_CQE_DNR) != 0;
	if (!out->sct && out->sc == NVME_SC_SUCCESS)
		out->err = 0;
	else if (out->sct == 0)
		out->err = generic_errno(out->sc);
	else
		out->err = -EIO;
}

int copro_nvme_status_errno(uint16_t status)
{
	struct nvme_status_info si;

	copro_nvme_status_decode(status, &si);
	return si.err;
}

struct status_name {
	uint8_t sct, sc;
	const char *name;
};

static const struct status_name status_names[] = {
	{ 0, NVME_SC_SUCCESS, "success" },
	{ 0, NVME_SC_INVALID_OPCODE, "invalid opcode" },
	{ 0, NVME_SC_INVALID_FIELD, "invalid field" },
	{ 0, NVME_SC_CMDID_CONFLICT, "command id conflict" },
	{ 0, NVME_SC_DATA_XFER_ERROR, "data transfer error" },
	{ 0, NVME_SC_INTERNAL, "internal error" },
	{ 0, NVME_SC_ABORT_SQ_DELETED, "aborted: SQ deleted" },
	{ 0, NVME_SC_INVALID_NS, "invalid namespace" },
	{ 0, NVME_SC_PRP_OFFSET_INVALID, "PRP offset invalid" },
	{ 0, NVME_SC_NS_WRITE_PROTECTED, "namespace is write protected" },
	{ 0, NVME_SC_LBA_RANGE, "LBA out of range" },
	{ 0, NVME_SC_CAP_EXCEEDED, "capacity exceeded" },
	{ 1, NVME_SC_CQ_INVALID, "completion queue invalid" },
	{ 1, NVME_SC_QID_INVALID, "invalid queue id" },
	{ 1, NVME_SC_QUEUE_SIZE, "queue size exceeded" },
	{ 1, NVME_SC_INVALID_VECTOR, "invalid interrupt vector" },
	{ 1, NVME_SC_INVALID_QUEUE_DELETION, "invalid queue deletion" },
	{ 2, NVME_SC_WRITE_FAULT, "write fault" },
	{ 2, NVME_SC_READ_ERROR, "unrecovered read error" },
};

const char *copro_nvme_status_name(uint16_t status)
{
	unsigned sct = NVME_CQE_SCT(status), sc = NVME_CQE_SC(status);

	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]);
	     i++)
		if (status_names[i].sct == sct && status_names[i].sc == sc)
			return status_names[i].name;
	return NULL;
}
