/* SPDX-License-Identifier: MIT */
/*
 * Admin commands: the runner (admin tag 0, one command at a time under
 * reset_lock), Identify, the I/O queue pair and its feature check, and
 * Apple's vendor command. The controller's answers are validated before
 * anything is believed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <copro/error.h>
#include <copro/rtkit.h>

#include "nvme/nvme_internal.h"

/* The bring-up's and teardown's admin commands, unless ctrl_timeout_ns. */
#define ADMIN_TIMEOUT_NS (2 * COPRO_NSEC_PER_SEC)

int copro_nvme_admin(struct copro_nvme *nvme, struct nvme_sqe *cmd,
		     int64_t timeout_ns, const char *what, uint32_t *result)
{
	const unsigned tag = NVME_ADMIN_TAG0;
	struct nvme_tag *t = &nvme->tags[tag];
	uint64_t deadline = copro_deadline(timeout_ns);
	int expect = TAG_INFLIGHT, rc;

	if (atomic_load(&t->state) != TAG_FREE) {
		copro_dev_err(&nvme->ld, "%s: the admin tag is still busy", what);
		return -EBUSY;
	}
	t->sqe = *cmd;
	t->sqe.cid = (uint16_t)tag;
	t->status = 0;
	t->result = 0;
	copro_completion_reinit(&nvme->admin_comp);
	atomic_store(&t->state, TAG_ALLOC);
	copro_nvme_issue(nvme, tag, true);

	for (;;) {
		if (nvme->polled) {
			copro_nvme_poll(nvme);
			rc = copro_completion_wait(&nvme->admin_comp, 0);
		} else {
			rc = copro_completion_wait(&nvme->admin_comp,
						   copro_deadline_left(deadline));
		}
		if (!rc || !copro_deadline_left(deadline))
			break;
		copro_cpu_relax();
	}
	if (rc) {
		/* The interrupt may be what got lost: look once more. */
		copro_nvme_reap(nvme);
		rc = copro_completion_wait(&nvme->admin_comp, 0);
	}
	if (rc && atomic_compare_exchange_strong(&t->state, &expect, TAG_FREE)) {
		copro_dev_err(&nvme->ld, "%s (opcode 0x%02x) timed out after %lld ms",
			      what, cmd->opcode,
			      (long long)(timeout_ns / COPRO_NSEC_PER_MSEC));
		return -ETIMEDOUT;
	}
	if (rc) /* someone else is finishing it right now */
		copro_completion_wait(&nvme->admin_comp, COPRO_NSEC_PER_SEC);
	if (t->status) {
		copro_dev_err(&nvme->ld, "%s (opcode 0x%02x) failed: %s", what,
			      cmd->opcode, copro_strerror(t->status));
		return t->status;
	}
	if (result)
		*result = t->result;
	return 0;
}

/* Identify strings: space padded ASCII from an untrusted controller. */
static void id_string(char *dst, size_t dst_len, const uint8_t *src,
		      size_t len)
{
	size_t n = len < dst_len - 1 ? len : dst_len - 1;

	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	while (n && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int identify(struct copro_nvme *nvme, uint32_t cns, uint32_t nsid,
		    const char *what)
{
	struct nvme_sqe cmd = {
		.opcode = NVME_ADMIN_IDENTIFY,
		.nsid = nsid,
		.prp1 = nvme->idbuf.phys,
		.cdw10 = cns,
	};

	memset(nvme->idbuf.cpu, 0, NVME_PAGE_SIZE);
	return copro_nvme_admin(nvme, &cmd,
				nvme_ctrl_timeout(nvme, ADMIN_TIMEOUT_NS), what,
				NULL);
}

static int identify_ctrl(struct copro_nvme *nvme, struct copro_nvme_info *in)
{
	const uint8_t *id = nvme->idbuf.cpu;
	uint32_t nn;
	uint8_t mdts;
	int rc;

	rc = identify(nvme, NVME_ID_CNS_CTRL, 0, "Identify Controller");
	if (rc)
		return rc;
	id_string(in->serial, sizeof(in->serial), id + NVME_IDCTRL_SN, 20);
	id_string(in->model, sizeof(in->model), id + NVME_IDCTRL_MN, 40);
	id_string(in->firmware, sizeof(in->firmware), id + NVME_IDCTRL_FR, 8);
	mdts = id[NVME_IDCTRL_MDTS];
	in->max_transfer = COPRO_NVME_MAX_TRANSFER;
	/* MDTS is a power of two in minimum pages (4 KiB here); 0: no limit. */
	if (mdts && mdts < 20 && (NVME_PAGE_SIZE << mdts) < in->max_transfer)
		in->max_transfer = NVME_PAGE_SIZE << mdts;
	in->volatile_cache = id[NVME_IDCTRL_VWC] & 1;
	copro_nvme_parse_oncs(in, (uint16_t)(id[NVME_IDCTRL_ONCS] |
					     id[NVME_IDCTRL_ONCS + 1] << 8));
	nn = le32(id + NVME_IDCTRL_NN);
	if (nn < NVME_NSID) {
		copro_dev_err(&nvme->ld,
			      "Identify Controller: NN (number of namespaces) is %u; need namespace %u",
			      nn, NVME_NSID);
		return -ENODEV;
	}
	return 0;
}

static int identify_ns(struct copro_nvme *nvme, struct copro_nvme_info *in)
{
	const uint8_t *id = nvme->idbuf.cpu;
	unsigned flbas, nlbaf, lbads;
	uint32_t lbaf;
	uint64_t nsze;
	int rc;

	rc = identify(nvme, NVME_ID_CNS_NS, NVME_NSID, "Identify Namespace");
	if (rc)
		return rc;
	nsze = le64(id + NVME_IDNS_NSZE);
	nlbaf = id[NVME_IDNS_NLBAF];
	flbas = id[NVME_IDNS_FLBAS] & 0xf;
	if (flbas > nlbaf || flbas > 15) {
		copro_dev_err(&nvme->ld,
			      "Identify Namespace: FLBAS picks LBA format %u of %u",
			      flbas, nlbaf + 1);
		return -EPROTO;
	}
	lbaf = le32(id + NVME_IDNS_LBAF0 + 4 * flbas);
	lbads = (lbaf >> 16) & 0xff;
	/* A block must fit a page: the PRP and bounce code rely on it. */
	if (lbads < 9 || lbads > 12 || (lbaf & 0xffff)) {
		copro_dev_err(&nvme->ld,
			      "Identify Namespace: LBA format %u (0x%08x: data size 2^%u, metadata %u bytes) is not supported",
			      flbas, lbaf, lbads, lbaf & 0xffff);
		return -EPROTO;
	}
	if (!nsze || nsze > (UINT64_MAX >> lbads)) {
		copro_dev_err(&nvme->ld,
			      "Identify Namespace: NSZE (size in blocks) is %llu",
			      (unsigned long long)nsze);
		return -EPROTO;
	}
	in->lba_size = 1u << lbads;
	in->lba_count = nsze;
	copro_nvme_zero_limits(in, id[NVME_IDNS_DLFEAT]);
	return 0;
}

/*
 * hardware.md 4 steps 7 and 8: Identify Controller, the I/O queue pair, then
 * Identify Namespace. The first bring-up keeps the answers; later ones
 * must find the same namespace.
 */
int copro_nvme_configure(struct copro_nvme *nvme)
{
	struct copro_nvme_info in = { 0 };
	bool first = nvme->info.lba_size == 0;
	int rc;

	rc = identify_ctrl(nvme, &in);
	if (!rc)
		rc = copro_nvme_create_io_queues(nvme);
	if (!rc)
		rc = identify_ns(nvme, &in);
	if (rc)
		return rc;
	if (first) {
		nvme->info = in;
		nvme->lba_shift = (uint32_t)__builtin_ctz(in.lba_size);
		copro_dev_info(&nvme->ld,
			       "%s, serial %s, firmware %s: %llu blocks of %u bytes%s",
			       in.model, in.serial, in.firmware,
			       (unsigned long long)in.lba_count, in.lba_size,
			       in.volatile_cache ? ", volatile write cache" : "");
	} else if (in.lba_size != nvme->info.lba_size ||
		   in.lba_count != nvme->info.lba_count) {
		copro_dev_err(&nvme->ld,
			      "after the reset the namespace has %llu blocks of %u bytes, not %llu of %u",
			      (unsigned long long)in.lba_count, in.lba_size,
			      (unsigned long long)nvme->info.lba_count,
			      nvme->info.lba_size);
		return -EPROTO;
	}
	return 0;
}

int copro_nvme_create_io_queues(struct copro_nvme *nvme)
{
	const uint32_t qsize = nvme->hw->io_depth - 1, qid = NVME_IO_QID;
	struct nvme_sqe cq = {
		.opcode = NVME_ADMIN_CREATE_CQ,
		.prp1 = nvme->ioq.cq.phys,
		.cdw10 = qsize << 16 | qid,
		.cdw11 = NVME_QUEUE_PHYS_CONTIG | NVME_CQ_IRQ_ENABLED, /* vector 0 */
	};
	struct nvme_sqe sq = {
		.opcode = NVME_ADMIN_CREATE_SQ,
		.prp1 = nvme->ioq.sq.phys,
		.cdw10 = qsize << 16 | qid,
		.cdw11 = qid << 16 | NVME_QUEUE_PHYS_CONTIG,
	};
	struct nvme_sqe feat = {
		.opcode = NVME_ADMIN_SET_FEATURES,
		.cdw10 = NVME_FEAT_NUM_QUEUES,
		.cdw11 = 0, /* one submission and one completion queue, 0-based */
	};
	const int64_t to = nvme_ctrl_timeout(nvme, ADMIN_TIMEOUT_NS);
	uint32_t granted;
	int rc;

	rc = copro_nvme_admin(nvme, &cq, to, "Create I/O Completion Queue",
			      NULL);
	if (!rc)
		rc = copro_nvme_admin(nvme, &sq, to,
				      "Create I/O Submission Queue", NULL);
	if (!rc)
		rc = copro_nvme_admin(nvme, &feat, to,
				      "Set Features (Number of Queues)",
				      &granted);
	if (rc)
		return rc;
	nvme->ioq_live = true;
	/* ANS2 has exactly one I/O queue pair; anything else is not ANS2. */
	if (granted != 0) {
		copro_dev_err(&nvme->ld,
			      "Set Features (Number of Queues) granted %u submission and %u completion queues (result 0x%08x); ANS2 must grant exactly one of each",
			      (granted & 0xffff) + 1, (granted >> 16) + 1, granted);
		return -EPROTO;
	}
	return 0;
}

void copro_nvme_delete_io_queues(struct copro_nvme *nvme)
{
	const uint32_t qid = 1;
	struct nvme_sqe sq = { .opcode = NVME_ADMIN_DELETE_SQ, .cdw10 = qid };
	struct nvme_sqe cq = { .opcode = NVME_ADMIN_DELETE_CQ, .cdw10 = qid };
	const int64_t to = nvme_ctrl_timeout(nvme, ADMIN_TIMEOUT_NS);
	int rc;

	rc = copro_nvme_admin(nvme, &sq, to, "Delete I/O Submission Queue",
			      NULL);
	if (!rc)
		rc = copro_nvme_admin(nvme, &cq, to,
				      "Delete I/O Completion Queue", NULL);
	if (rc)
		copro_dev_warn(&nvme->ld,
			       "the I/O queues could not be deleted (%s); disabling the controller anyway",
			       copro_strerror(rc));
}

/* ---- Apple's vendor command ----------------------------------------- */

int copro_nvme_vendor_cmd(struct copro_nvme *nvme, const uint32_t cdw[6],
			  void *buf, size_t len, bool to_device,
			  uint32_t *result)
{
	struct nvme_sqe cmd = { .opcode = ANS2_VENDOR_OPC };
	struct copro_sart_handle h = { .index = -1 };
	struct copro_dma_buf dma = { 0 };
	int rc;

	if (!cdw || (len && !buf) || len > COPRO_NVME_MAX_TRANSFER) {
		copro_dev_err(&nvme->ld,
			      "vendor command: bad arguments (cdw %p, buf %p, len %zu)",
			      (const void *)cdw, buf, len);
		return -EINVAL;
	}
	copro_mutex_lock(&nvme->reset_lock);
	switch (nvme_state(nvme)) {
	case NVME_LIVE:
		rc = 0;
		break;
	case NVME_DEAD:
		rc = -ECONNRESET;
		break;
	case NVME_FAILED:
		rc = -EIO;
		break;
	default:
		rc = -ESHUTDOWN;
		break;
	}
	/*
	 * Its data does not go through the NVMMU but through the SART, which
	 * allows whole pages: the buffer gets DMA pages of its own, allowed
	 * only while the command runs.
	 */
	if (!rc && len)
		rc = copro_dma_alloc(nvme->p, len, &dma);
	if (!rc && len)
		rc = copro_sart_allow(nvme->sart, dma.phys,
				    (len + NVME_PAGE_SIZE - 1) &
					    ~(size_t)(NVME_PAGE_SIZE - 1),
				    &h);
	if (!rc) {
		if (len && to_device)
			memcpy(dma.cpu, buf, len);
		cmd.prp1 = dma.phys;
		cmd.cdw10 = cdw[0];
		cmd.cdw11 = cdw[1];
		cmd.cdw12 = cdw[2];
		cmd.cdw13 = cdw[3];
		cmd.cdw14 = cdw[4];
		cmd.cdw15 = cdw[5];
		rc = copro_nvme_admin(nvme, &cmd, copro_nvme_timeout(nvme),
				      "vendor command 0xd8", result);
		/* The controller may still be at it: stop it before disallowing. */
		if (rc == -ETIMEDOUT)
			copro_nvme_reset_locked(nvme, "vendor command timeout");
		if (!rc && len && !to_device)
			memcpy(buf, dma.cpu, len);
	}
	if (h.index >= 0)
		copro_sart_revoke(nvme->sart, &h);
	copro_dma_free(nvme->p, &dma);
	copro_mutex_unlock(&nvme->reset_lock);
	return rc;
}
