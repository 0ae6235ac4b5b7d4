// SPDX-License-Identifier: MIT
/*
 * The resource manager client: requests with sequence numbers over the RM
 * TX queue, replies matched to them by sequence and message id from the
 * RX queue, notifications dispatched to the owner.
 *
 * The RX channel is deferred: reassembly and dispatch run in the message
 * queue controller's worker (or copro_mbox_poll), one at a time, so the
 * reassembly state needs no lock. Calls wait on a completion each; the
 * table of calls in flight is under `lock`. A reply nobody waits for any
 * more (its call timed out) is counted and dropped.
 */
#include <errno.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/gunyah_rm.h>
#include <copro/le.h>
#include <copro/log.h>
#include <copro/mbox.h>
#include <copro/os.h>

#define RM_MAX_CALLS 16
#define RM_DEFAULT_TIMEOUT_NS (1000 * COPRO_NSEC_PER_MSEC)
#define RM_POLL_SLICE_NS (50 * COPRO_NSEC_PER_USEC)

struct rm_call {
	bool used;
	uint16_t seq;
	uint32_t msg_id;
	struct copro_completion done;
	int status; /* 0, or -EIO when the reply was cut short */
	uint32_t rm_err;
	uint8_t *resp;
	size_t resp_len;
};

struct copro_gh_rm {
	struct copro_platform *p;
	struct copro_logdev ld;
	struct copro_gh_rm_config cfg;
	struct copro_mbox_chan *tx, *rx;
	struct copro_rm_rx asm_;
	struct copro_mutex lock;      /* calls[], next_seq, closing, inflight */
	struct copro_mutex send_lock; /* one request's fragments at a time */
	struct rm_call calls[RM_MAX_CALLS];
	uint16_t next_seq;
	bool closing;
	unsigned inflight; /* calls between taking a slot and returning */
	struct copro_event idle; /* the last call out while closing */
	bool threaded;
	struct copro_gh_rm_stats st;
};

/* ---- receive ------------------------------------------------------------- */

static void reply_fail(struct copro_gh_rm *rm, const struct copro_rm_msg *m,
		       int status)
{
	copro_mutex_lock(&rm->lock);
	for (unsigned i = 0; i < RM_MAX_CALLS; i++) {
		struct rm_call *c = &rm->calls[i];

		if (c->used && c->seq == m->seq && c->msg_id == m->msg_id &&
		    !c->status) {
			c->status = status;
			copro_completion_complete(&c->done);
		}
	}
	copro_mutex_unlock(&rm->lock);
}

static void reply_deliver(struct copro_gh_rm *rm, const struct copro_rm_msg *m)
{
	struct rm_call *c = NULL;

	copro_mutex_lock(&rm->lock);
	for (unsigned i = 0; i < RM_MAX_CALLS; i++)
		if (rm->calls[i].used && rm->calls[i].seq == m->seq &&
		    rm->calls[i].msg_id == m->msg_id && !rm->calls[i].resp &&
		    !rm->calls[i].status) {
			c = &rm->calls[i];
			break;
		}
	if (c) {
		c->rm_err = m->err;
		c->resp_len = m->len;
		c->resp = malloc(m->len ? m->len : 1);
		if (c->resp)
			memcpy(c->resp, m->payload, m->len);
		else
			c->status = -ENOMEM;
		rm->st.replies++;
		copro_completion_complete(&c->done);
	} else {
		rm->st.unmatched++;
	}
	copro_mutex_unlock(&rm->lock);
	if (!c)
		copro_dev_warn(&rm->ld,
			       "reply seq %u to message 0x%08" PRIx32
			       " matches no call in flight; dropped",
			       m->seq, m->msg_id);
}

static void rm_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		  size_t len)
{
	struct copro_gh_rm *rm = ctx;
	struct copro_rm_msg m;
	int st = copro_rm_rx_feed(&rm->asm_, msg, len, &m);

	(void)chan;
	if (rm->asm_.aborted) {
		rm->st.truncated++;
		copro_dev_warn(&rm->ld,
			       "message 0x%08" PRIx32 " seq %u cut short by"
			       " the next one",
			       rm->asm_.aborted_msg.msg_id,
			       rm->asm_.aborted_msg.seq);
		if (rm->asm_.aborted_msg.type == COPRO_RM_REPLY)
			reply_fail(rm, &rm->asm_.aborted_msg, -EIO);
	}
	if (st < 0) {
		rm->st.rx_rejected++;
		copro_dev_warn(&rm->ld, "fragment of %zu bytes rejected: %s",
			       len, copro_rm_rx_status_name(st));
		return;
	}
	if (st != COPRO_RM_RX_DONE)
		return;
	if (m.type == COPRO_RM_REPLY) {
		reply_deliver(rm, &m);
	} else {
		rm->st.notifications++;
		if (rm->cfg.notify)
			rm->cfg.notify(rm->cfg.ctx, m.msg_id, m.payload,
				       m.len);
	}
}

/* ---- calls --------------------------------------------------------------- */

struct emit_ctx {
	struct copro_gh_rm *rm;
	uint64_t deadline;
};

static int emit(void *ctx, const void *frag, size_t len, bool last)
{
	struct emit_ctx *e = ctx;
	int64_t left = copro_deadline_left(e->deadline);

	(void)last;
	return copro_mbox_send(e->rm->tx, frag, len, left ? left : 1);
}

static int call_wait(struct copro_gh_rm *rm, struct rm_call *c,
		     uint64_t deadline)
{
	for (;;) {
		int64_t left = copro_deadline_left(deadline);

		if (rm->threaded)
			return copro_completion_wait(&c->done, left);
		/* No threads: this caller runs the receive path itself. */
		copro_mbox_poll(rm->rx);
		if (copro_completion_wait(&c->done, 0) == 0)
			return 0;
		if (!left)
			return -ETIMEDOUT;
		copro_sleep_ns(RM_POLL_SLICE_NS);
	}
}

int copro_gh_rm_call(struct copro_gh_rm *rm, uint32_t msg_id,
		     const void *req, size_t req_len, void **resp,
		     size_t *resp_len, uint32_t *rm_err)
{
	struct emit_ctx ec = { rm, copro_deadline(rm->cfg.timeout_ns) };
	struct rm_call *c = NULL;
	int ret;

	if (resp)
		*resp = NULL;
	if (resp_len)
		*resp_len = 0;
	if (rm_err)
		*rm_err = 0;
	if (!msg_id || (req_len && !req))
		return -EINVAL;
	copro_mutex_lock(&rm->lock);
	for (unsigned i = 0; !rm->closing && i < RM_MAX_CALLS; i++)
		if (!rm->calls[i].used) {
			c = &rm->calls[i];
			break;
		}
	if (c) {
		rm->inflight++;
		memset(c, 0, sizeof(*c));
		c->used = true;
		c->msg_id = msg_id;
		c->seq = rm->next_seq++;
		copro_completion_init(&c->done);
		rm->st.calls++;
	}
	ret = rm->closing ? -ESHUTDOWN : c ? 0 : -EBUSY;
	copro_mutex_unlock(&rm->lock);
	if (ret < 0)
		return ret;

	copro_mutex_lock(&rm->send_lock);
	ret = copro_rm_encode(COPRO_RM_REQUEST, c->seq, msg_id, 0, req,
			      req_len, emit, &ec);
	copro_mutex_unlock(&rm->send_lock);
	if (!ret) {
		ret = call_wait(rm, c, ec.deadline);
		if (ret == -ETIMEDOUT) {
			copro_dev_warn(&rm->ld,
				       "message 0x%08" PRIx32 " seq %u: no reply"
				       " in %" PRId64 " ms",
				       msg_id, c->seq,
				       (int64_t)(rm->cfg.timeout_ns /
						 COPRO_NSEC_PER_MSEC));
		}
	} else {
		copro_dev_err(&rm->ld,
			      "message 0x%08" PRIx32 " seq %u (%zu bytes):"
			      " cannot send: %s",
			      msg_id, c->seq, req_len, copro_strerror(ret));
	}

	copro_mutex_lock(&rm->lock);
	if (ret == -ETIMEDOUT)
		rm->st.timeouts++;
	if (!ret)
		ret = c->status;
	if (!ret) {
		if (rm_err)
			*rm_err = c->rm_err;
		ret = copro_rm_errno(c->rm_err);
	}
	if (!ret && resp && c->resp_len) {
		*resp = c->resp;
		c->resp = NULL;
	}
	if (!ret && resp_len)
		*resp_len = c->resp_len;
	free(c->resp);
	c->used = false;
	/*
	 * Under the lock, and our last touch: once close sees no call in
	 * flight it frees the client.
	 */
	if (!--rm->inflight && rm->closing)
		copro_event_signal(&rm->idle);
	copro_mutex_unlock(&rm->lock);
	return ret;
}

static int vmid_call(struct copro_gh_rm *rm, uint32_t msg_id, uint16_t vmid)
{
	uint8_t req[4] = { (uint8_t)vmid, (uint8_t)(vmid >> 8), 0, 0 };

	return copro_gh_rm_call(rm, msg_id, req, sizeof(req), NULL, NULL, NULL);
}

static int vmid_reply(struct copro_gh_rm *rm, uint32_t msg_id, uint16_t want,
		      uint16_t *vmid)
{
	uint8_t req[4] = { (uint8_t)want, (uint8_t)(want >> 8), 0, 0 };
	void *resp;
	size_t len;
	int ret = copro_gh_rm_call(rm, msg_id, req,
				   msg_id == COPRO_RM_VM_GET_VMID ? 0
								  : sizeof(req),
				   &resp, &len, NULL);

	if (ret < 0)
		return ret;
	if (len < 2) {
		copro_dev_err(&rm->ld,
			      "message 0x%08" PRIx32 ": reply of %zu bytes,"
			      " expected a VMID (2+)",
			      msg_id, len);
		free(resp);
		return -EBADMSG;
	}
	*vmid = (uint16_t)(((uint8_t *)resp)[0] | ((uint8_t *)resp)[1] << 8);
	free(resp);
	return 0;
}

int copro_gh_rm_alloc_vmid(struct copro_gh_rm *rm, uint16_t want,
			   uint16_t *vmid)
{
	return vmid_reply(rm, COPRO_RM_VM_ALLOC_VMID, want, vmid);
}

int copro_gh_rm_get_vmid(struct copro_gh_rm *rm, uint16_t *vmid)
{
	return vmid_reply(rm, COPRO_RM_VM_GET_VMID, 0, vmid);
}

int copro_gh_rm_vm_start(struct copro_gh_rm *rm, uint16_t vmid)
{
	return vmid_call(rm, COPRO_RM_VM_START, vmid);
}

int copro_gh_rm_vm_stop(struct copro_gh_rm *rm, uint16_t vmid)
{
	return vmid_call(rm, COPRO_RM_VM_STOP, vmid);
}

int copro_gh_rm_dealloc_vmid(struct copro_gh_rm *rm, uint16_t vmid)
{
	return vmid_call(rm, COPRO_RM_VM_DEALLOC_VMID, vmid);
}

int copro_gh_rm_parse_resources(const uint8_t *p, size_t len,
				struct copro_gh_resource **out, size_t *n)
{
	struct copro_gh_resource *v;
	uint32_t count;

	*out = NULL;
	*n = 0;
	if (len < 4)
		return -EBADMSG;
	count = (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
	/* Exactly the entries it announces: no more, no fewer. */
	if (count > (len - 4) / COPRO_RM_RSC_ENTRY_SIZE ||
	    len != 4 + (size_t)count * COPRO_RM_RSC_ENTRY_SIZE)
		return -EBADMSG;
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = p + 4 + (size_t)i * COPRO_RM_RSC_ENTRY_SIZE;

		if (e[0] > COPRO_GH_RSC_VCPU) {
			free(v);
			return -EBADMSG;
		}
		v[i].type = (enum copro_gh_rsc_type)e[0];
		v[i].partner_vmid = copro_get_le16(e + 2);
		v[i].label = copro_get_le32(e + 8);
		v[i].capid = copro_get_le64(e + 12);
		v[i].virq = copro_get_le32(e + 24);
	}
	*out = v;
	*n = count;
	return 0;
}

int copro_gh_rm_get_resources(struct copro_gh_rm *rm, uint16_t vmid,
			      struct copro_gh_resource **out, size_t *n)
{
	uint8_t req[4] = { (uint8_t)vmid, (uint8_t)(vmid >> 8), 0, 0 };
	void *resp;
	size_t len;
	int ret = copro_gh_rm_call(rm, COPRO_RM_VM_GET_HYP_RESOURCES, req,
				   sizeof(req), &resp, &len, NULL);

	*out = NULL;
	*n = 0;
	if (ret < 0)
		return ret;
	ret = copro_gh_rm_parse_resources(resp, len, out, n);
	if (ret == -EBADMSG)
		copro_dev_err(&rm->ld,
			      "VM_GET_HYP_RESOURCES for VM %u: malformed reply"
			      " of %zu bytes",
			      vmid, len);
	free(resp);
	return ret;
}

void copro_gh_rm_get_stats(struct copro_gh_rm *rm,
			   struct copro_gh_rm_stats *out)
{
	copro_mutex_lock(&rm->lock);
	*out = rm->st;
	copro_mutex_unlock(&rm->lock);
}

/* ---- open and close ---------------------------------------------------------- */

int copro_gh_rm_open(struct copro_platform *p,
		     const struct copro_gh_rm_config *cfg,
		     struct copro_gh_rm **out)
{
	struct copro_gh_resource tx = { .type = COPRO_GH_RSC_MSGQ_TX,
					.partner_vmid = 0xff,
					.capid = cfg->tx_capid,
					.virq = cfg->tx_virq };
	struct copro_gh_resource rx = { .type = COPRO_GH_RSC_MSGQ_RX,
					.partner_vmid = 0xff,
					.capid = cfg->rx_capid,
					.virq = cfg->rx_virq };
	const char *mq = cfg->mq_name ? cfg->mq_name : COPRO_GH_MSGQ_CONTROLLER;
	struct copro_mbox_client cl_tx = { 0 }, cl_rx = { 0 };
	static const struct copro_gh_msgq_opts push = { .push = true };
	struct copro_gh_rm *rm;
	int ret;

	*out = NULL;
	if (!cfg->mq)
		return -EINVAL;
	rm = calloc(1, sizeof(*rm));
	if (!rm)
		return -ENOMEM;
	rm->p = p;
	rm->cfg = *cfg;
	if (!rm->cfg.timeout_ns)
		rm->cfg.timeout_ns = RM_DEFAULT_TIMEOUT_NS;
	rm->threaded = copro_platform_threaded(p);
	copro_logdev_init(&rm->ld, copro_platform_log(p), "gunyah-rm");
	ret = copro_rm_rx_init(&rm->asm_, false);
	if (ret < 0)
		goto err_free;
	copro_event_init(&rm->idle);
	ret = copro_mutex_init(&rm->lock);
	if (ret < 0)
		goto err_rx;
	ret = copro_mutex_init(&rm->send_lock);
	if (ret < 0)
		goto err_lock;
	/* Every fragment pushed: the RM hears a request as soon as it ends. */
	ret = copro_gh_msgq_add(cfg->mq, &tx, &push);
	if (ret < 0)
		goto err_send_lock;
	ret = copro_gh_msgq_add(cfg->mq, &rx, NULL);
	if (ret < 0)
		goto err_add_tx;
	cl_tx.ctx = rm;
	ret = copro_mbox_request(p, mq, cfg->tx_capid, &cl_tx, &rm->tx);
	if (ret < 0)
		goto err_add_rx;
	cl_rx.ctx = rm;
	cl_rx.rx = rm_rx;
	/* Room for a whole message (63 fragments) and a notification. */
	cl_rx.rx_ring = 2 * (COPRO_RM_MAX_FRAGS + 1);
	ret = copro_mbox_request(p, mq, cfg->rx_capid, &cl_rx, &rm->rx);
	if (ret < 0)
		goto err_tx;
	*out = rm;
	return 0;

err_tx:
	copro_mbox_free(rm->tx);
err_add_rx:
	copro_gh_msgq_del(cfg->mq, cfg->rx_capid);
err_add_tx:
	copro_gh_msgq_del(cfg->mq, cfg->tx_capid);
err_send_lock:
	copro_mutex_destroy(&rm->send_lock);
err_lock:
	copro_mutex_destroy(&rm->lock);
err_rx:
	copro_rm_rx_fini(&rm->asm_);
err_free:
	copro_dev_err(&rm->ld,
		      "cannot open the RM queues (TX cap 0x%" PRIx64 ", RX cap"
		      " 0x%" PRIx64 "): %s",
		      cfg->tx_capid, cfg->rx_capid, copro_strerror(ret));
	free(rm);
	return ret;
}

void copro_gh_rm_close(struct copro_gh_rm *rm)
{
	if (!rm)
		return;
	copro_mutex_lock(&rm->lock);
	rm->closing = true;
	for (unsigned i = 0; i < RM_MAX_CALLS; i++)
		if (rm->calls[i].used && !rm->calls[i].status) {
			rm->calls[i].status = -ESHUTDOWN;
			copro_completion_complete(&rm->calls[i].done);
		}
	copro_mutex_unlock(&rm->lock);
	/*
	 * The callers just woken, and any still sending, return before the
	 * client goes (a send ends within the call's timeout).
	 */
	for (;;) {
		uint32_t key = copro_event_prepare(&rm->idle);
		unsigned n;

		copro_mutex_lock(&rm->lock);
		n = rm->inflight;
		copro_mutex_unlock(&rm->lock);
		if (!n)
			break;
		copro_event_wait(&rm->idle, key, RM_POLL_SLICE_NS,
				 COPRO_SPIN_DEFAULT_NS);
	}
	copro_mbox_free(rm->rx);
	copro_mbox_free(rm->tx);
	copro_gh_msgq_del(rm->cfg.mq, rm->cfg.rx_capid);
	copro_gh_msgq_del(rm->cfg.mq, rm->cfg.tx_capid);
	copro_mutex_destroy(&rm->send_lock);
	copro_mutex_destroy(&rm->lock);
	copro_rm_rx_fini(&rm->asm_);
	free(rm);
}
