/* SPDX-License-Identifier: MIT */
/*
 * The SCMI platform's shared-memory channels (hardware.md 5): how a request
 * arrives (an SMC with the channel's function id, its page and offset for
 * the -param variant, or a send on an SMC mailbox channel), how it is read
 * out of the area and answered in place, and the P2A queue that carries
 * delayed responses and notifications to the agent.
 *
 * A request is copied out of the area before the response is written:
 * they share the payload. A malformed area (length under 4, or past the
 * area's end) is released with CHANNEL_ERROR, so one bad request does not
 * kill the channel. Faults and scripts act here, where a real platform's
 * bugs would.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/log.h>
#include <copro/sim/smc_mbox_fw.h>
#include <copro/sim/smccc_fw.h>
#include <copro/sim/sram_model.h>
#include <copro/driver/smccc.h>

#include "scmi_internal.h"

static uint32_t rd(struct copro_sim_sram *m, uint64_t base, uint64_t off)
{
	return copro_sim_sram_read32(m, base + off);
}

static void wr(struct copro_sim_sram *m, uint64_t base, uint64_t off,
	       uint32_t v)
{
	copro_sim_sram_write32(m, base + off, v);
}

/*
 * The hot path works on the area's words directly (c->w, the SRAM's own
 * atomic words, acquire loads and release stores as every other access
 * to them), as firmware reads its SRAM: no call and no range check per
 * word, the area's bounds having been checked once at attach.
 */
static uint32_t area_ld(const struct sp_chan *c, uint64_t off)
{
	return atomic_load_explicit(&c->w[off / 4], memory_order_acquire);
}

static void area_st(struct sp_chan *c, uint64_t off, uint32_t v)
{
	atomic_store_explicit(&c->w[off / 4], v, memory_order_release);
}

/* len bytes from word-aligned off; off + len inside the area. */
static void area_get(const struct sp_chan *c, uint64_t off, uint8_t *dst,
		     size_t len)
{
	for (; len >= 4; off += 4, dst += 4, len -= 4) {
		uint32_t w = area_ld(c, off);

		memcpy(dst, &w, 4);
	}
	if (len) {
		uint32_t w = area_ld(c, off);

		memcpy(dst, &w, len);
	}
}

static void area_put(struct sp_chan *c, uint64_t off, const uint8_t *src,
		     size_t len)
{
	for (; len >= 4; off += 4, src += 4, len -= 4) {
		uint32_t w;

		memcpy(&w, src, 4);
		area_st(c, off, w);
	}
	if (len) {
		/* A partial word: keep the bytes after it. */
		uint32_t w = area_ld(c, off);

		memcpy(&w, src, len);
		area_st(c, off, w);
	}
}

/* s->lock held. */
static void a2p_irq_set(struct sp_chan *c, bool level)
{
	if (c->a2p_irq < 0 || c->irq_level == level)
		return;
	c->irq_level = level;
	copro_bus_irq_set(c->s->bus, (unsigned)c->a2p_irq, level);
}

/* Write what the fault leaves of a response (channel lock held). */
static void write_response(struct sp_chan *c, uint8_t *resp, size_t len,
			   const struct copro_sim_scmi_fault *f)
{
	struct copro_sim_sram *m = c->sram;
	uint32_t status = SCMI_SHMEM_STATUS_FREE;
	uint32_t length = (uint32_t)len;

	switch (f ? f->kind : COPRO_SIM_SCMI_FAULT_NONE) {
	case COPRO_SIM_SCMI_FAULT_WRONG_TOKEN: {
		uint32_t h = copro_get_le32(resp);

		copro_put_le32(resp, scmi_hdr(scmi_hdr_proto(h), scmi_hdr_msg(h),
					scmi_hdr_type(h),
					scmi_hdr_token(h) + 1));
		break;
	}
	case COPRO_SIM_SCMI_FAULT_SHORT:
		length = length > 4 ? length - 4 : 0;
		break;
	case COPRO_SIM_SCMI_FAULT_OVERLONG:
		length = (uint32_t)(c->size - SCMI_SHMEM_HEADER + 4);
		break;
	case COPRO_SIM_SCMI_FAULT_BAD_STATUS:
		if (len >= 8)
			copro_put_le32(resp + 4, (uint32_t)f->param);
		break;
	case COPRO_SIM_SCMI_FAULT_LEAVE_BUSY:
		status = 0;
		break;
	case COPRO_SIM_SCMI_FAULT_GARBAGE:
		for (uint64_t off = 0; off < c->size; off += 4)
			wr(m, c->off, off, sp_random(c->s));
		wr(m, c->off, SCMI_SHMEM_STATUS,
		   sp_random(c->s) | SCMI_SHMEM_STATUS_FREE);
		return;
	case COPRO_SIM_SCMI_FAULT_CHANNEL_ERROR:
		wr(m, c->off, SCMI_SHMEM_STATUS,
		   SCMI_SHMEM_STATUS_FREE | SCMI_SHMEM_STATUS_ERROR);
		return;
	default:
		break;
	}
	area_put(c, SCMI_SHMEM_HEADER, resp, len);
	area_st(c, SCMI_SHMEM_LENGTH, length);
	/* The status word last: FREE hands the area back. */
	area_st(c, SCMI_SHMEM_STATUS, status);
}

static void write_area(struct sp_chan *c,
		       const struct copro_sim_scmi_area *area)
{
	size_t n = area->payload_len;
	size_t room = (size_t)c->size - SCMI_SHMEM_PAYLOAD;

	if (area->never_answer)
		return;
	if (n > room)
		n = room;
	if (n > sizeof(area->payload))
		n = sizeof(area->payload);
	copro_sim_sram_write(c->sram, c->off + SCMI_SHMEM_PAYLOAD,
			     area->payload, n);
	wr(c->sram, c->off, SCMI_SHMEM_HEADER, area->header);
	wr(c->sram, c->off, SCMI_SHMEM_LENGTH, area->length);
	wr(c->sram, c->off, SCMI_SHMEM_FLAGS, area->flags);
	wr(c->sram, c->off, SCMI_SHMEM_STATUS, area->status);
}

void sp_chan_process(struct sp_chan *c)
{
	struct copro_sim_scmi *s = c->s;
	struct sp_agent *a = c->a;
	uint8_t req[SCMI_SHMEM_PAYLOAD + SP_MSG_MAX];
	uint8_t resp[SCMI_SHMEM_PAYLOAD + SP_MSG_MAX];
	struct copro_sim_scmi_fault f = { 0 };
	uint32_t status, length, flags;
	size_t cap = (size_t)c->size - SCMI_SHMEM_HEADER, n;
	copro_sim_scmi_script_fn script;
	void *script_ctx;
	bool faulty;

	/*
	 * One lock for reading, answering and writing back: a second
	 * trigger of the same channel meanwhile finds it FREE (spurious).
	 */
	copro_mutex_lock(&s->lock);
	status = area_ld(c, SCMI_SHMEM_STATUS);
	if (status & SCMI_SHMEM_STATUS_FREE) {
		/* Rung with nothing in the area: the agent still owns it. */
		s->stats.spurious++;
		goto out;
	}
	length = area_ld(c, SCMI_SHMEM_LENGTH);
	flags = area_ld(c, SCMI_SHMEM_FLAGS);
	if (length < 4 || length > cap) {
		copro_dev_dbg(&s->ld, "agent %" PRIu32 ": channel at 0x%" PRIx64
			      ": length %" PRIu32 " (area holds %zu):"
			      " CHANNEL_ERROR", a->id, c->phys, length, cap);
		area_st(c, SCMI_SHMEM_STATUS,
			SCMI_SHMEM_STATUS_FREE | SCMI_SHMEM_STATUS_ERROR);
		s->stats.channel_errors++;
		a2p_irq_set(c, flags & SCMI_SHMEM_FLAGS_INTR);
		goto out;
	}
	area_get(c, SCMI_SHMEM_HEADER, req, length);
	faulty = sp_fault_take(&a->fault, &f);
	if (faulty)
		s->stats.faults++;
	script = a->script;
	script_ctx = a->script_ctx;

	if (script) {
		struct copro_sim_scmi_area area = {
			.status = SCMI_SHMEM_STATUS_FREE,
			.flags = flags,
		};

		/* The script may ask the handler: it takes the lock. */
		copro_mutex_unlock(&s->lock);
		script(script_ctx, req, length, (size_t)c->size, &area);
		copro_mutex_lock(&s->lock);
		write_area(c, &area);
		if (area.never_answer ||
		    !(area.status & (SCMI_SHMEM_STATUS_FREE |
				     SCMI_SHMEM_STATUS_ERROR)))
			goto out;
		goto done;
	}
	if (faulty && f.kind == COPRO_SIM_SCMI_FAULT_LATE && c->a2p_irq < 0) {
		/* The firmware is busy elsewhere; the caller waits in the SMC. */
		copro_mutex_unlock(&s->lock);
		copro_sleep_ns(f.param);
		copro_mutex_lock(&s->lock);
	}
	if (faulty && f.kind == COPRO_SIM_SCMI_FAULT_NEVER)
		goto out;
	n = sp_handle_locked(s, a, req, length, resp, cap);
	write_response(c, resp, n, faulty ? &f : NULL);
	if (faulty && f.kind == COPRO_SIM_SCMI_FAULT_LEAVE_BUSY)
		goto out;
done:
	/* The agent asked for an interrupt (not polling): raise a2p. */
	if (flags & SCMI_SHMEM_FLAGS_INTR)
		a2p_irq_set(c, true);
out:
	copro_mutex_unlock(&s->lock);
}

/* Queued for the firmware thread, which raises a2p once it answered. */
static void chan_queue(struct copro_sim_scmi *s, struct sp_chan *c)
{
	struct sp_job j = { .kind = SP_JOB_A2P, .a = c->a, .c = c };

	copro_mutex_lock(&s->lock);
	/* The interrupt of the last answer is acknowledged by this call. */
	a2p_irq_set(c, false);
	if (!c->job_queued) {
		struct copro_sim_scmi_fault f;

		j.due = copro_time_ns();
		if (c->a->fault.f.kind == COPRO_SIM_SCMI_FAULT_LATE &&
		    sp_fault_take(&c->a->fault, &f))
			j.due += f.param;
		if (sp_job_add(s, &j) == 0)
			c->job_queued = true;
	}
	copro_mutex_unlock(&s->lock);
}

/* A trigger: answer now, or (a2p interrupt) from the firmware thread. */
static void chan_trigger(struct sp_chan *c)
{
	struct copro_sim_scmi *s = c->s;

	if (c->a2p_irq < 0) {
		sp_chan_process(c);
		return;
	}
	chan_queue(s, c);
}

/* ---- SMC triggers ------------------------------------------------------- */

static void smc_trigger(void *ctx, const struct copro_smccc_regs *in,
			struct copro_smccc_regs *out)
{
	struct sp_svc *svc = ctx;
	uint32_t fid = (uint32_t)in->x[0];

	for (struct sp_chan *c = svc->first; c; c = c->svc_next) {
		/* -param: x1 is the area's page, x2 its offset. */
		if (c->trig == SP_TRIG_SMC_PARAM &&
		    (in->x[1] != c->phys >> 12 || in->x[2] != (c->phys & 0xfff)))
			continue;
		chan_trigger(c);
		out->x[0] = 0;
		return;
	}
	copro_dev_dbg(&svc->s->ld, "SMC 0x%08" PRIx32 " with page 0x%" PRIx64
		      " offset 0x%" PRIx64 ": no such channel", fid, in->x[1],
		      in->x[2]);
	out->x[0] = copro_smccc_is_64(fid)
			    ? (uint64_t)(int64_t)COPRO_SMCCC_RET_INVALID_PARAMETER
			    : (uint32_t)COPRO_SMCCC_RET_INVALID_PARAMETER;
}

static int smc_attach(struct copro_sim_scmi *s, struct sp_chan *c)
{
	struct copro_sim_smccc *disp = s->env.dispatcher(s->env.ctx, c->conduit);
	struct sp_svc *svc;
	struct sp_chan **tail;
	int ret;

	if (!disp)
		return -ENODEV;
	c->svc_next = NULL;
	for (unsigned i = 0; i < s->nsvc; i++) {
		if (s->svc[i].disp == disp && s->svc[i].fid == c->fid) {
			/* Shared: the call's arguments pick the channel. */
			for (tail = &s->svc[i].first; *tail;
			     tail = &(*tail)->svc_next)
				;
			*tail = c;
			return 0;
		}
	}
	svc = &s->svc[s->nsvc];
	*svc = (struct sp_svc){ s, disp, c->conduit, c->fid, c };
	ret = copro_sim_smccc_add(disp, c->fid, smc_trigger, svc);
	if (ret == 0)
		s->nsvc++;
	return ret;
}

/* ---- mailbox triggers --------------------------------------------------- */

static void a2p_send(void *ctx, uint32_t chan, const void *msg, size_t len,
		     struct copro_smccc_regs *out)
{
	(void)chan;
	(void)msg;
	(void)len;
	(void)out;
	chan_trigger(ctx);
}

static const struct copro_sim_smc_mbox_chan_ops a2p_ops = {
	.send = a2p_send,
};

/* The agent is done with a P2A message: push the next. */
static void p2a_send(void *ctx, uint32_t chan, const void *msg, size_t len,
		     struct copro_smccc_regs *out)
{
	struct sp_agent *a = ctx;
	struct copro_sim_scmi *s = a->chans[0].s;

	(void)chan;
	(void)msg;
	(void)len;
	(void)out;
	copro_mutex_lock(&s->lock);
	sp_p2a_flush(s, a);
	copro_mutex_unlock(&s->lock);
}

static const struct copro_sim_smc_mbox_chan_ops p2a_ops = {
	.send = p2a_send,
};

int sp_chans_attach(struct copro_sim_scmi *s)
{
	int ret;

	for (unsigned i = 0; i < s->nagents; i++) {
		struct sp_agent *a = &s->agents[i];

		for (unsigned k = 0; k < a->nchans; k++) {
			struct sp_chan *c = &a->chans[k];

			/* Checked inside the SRAM and word aligned (config). */
			c->w = copro_sim_sram_words(c->sram, c->off, c->size);
			if (!c->w)
				return -EINVAL;
			/* At boot every area is the agent's: free. */
			wr(c->sram, c->off, SCMI_SHMEM_STATUS,
			   SCMI_SHMEM_STATUS_FREE);
			if (c->trig == SP_TRIG_MBOX)
				ret = copro_sim_smc_mbox_add_chan(
					c->mbox, c->mbox_chan,
					COPRO_SMC_MBOX_CAN_SEND, &a2p_ops, c);
			else
				ret = smc_attach(s, c);
			if (ret) {
				copro_dev_err(&s->ld, "agent %" PRIu32
					      ": cannot attach channel %u: %s",
					      a->id, k, copro_strerror(ret));
				return ret;
			}
		}
		if (a->has_p2a) {
			/* The area starts free: nothing for the agent yet. */
			wr(a->p2a.sram, a->p2a.off, SCMI_SHMEM_STATUS,
			   SCMI_SHMEM_STATUS_FREE);
			ret = copro_sim_smc_mbox_add_chan(
				a->p2a.mbox, a->p2a.mbox_chan,
				COPRO_SMC_MBOX_CAN_SEND | COPRO_SMC_MBOX_CAN_RECV,
				&p2a_ops, a);
			if (ret)
				return ret;
		}
	}
	return 0;
}

void sp_chans_detach(struct copro_sim_scmi *s)
{
	for (unsigned i = 0; i < s->nsvc; i++)
		copro_sim_smccc_remove(s->svc[i].disp, s->svc[i].fid);
	s->nsvc = 0;
	for (unsigned i = 0; i < s->nagents; i++) {
		struct sp_agent *a = &s->agents[i];

		for (unsigned k = 0; k < a->nchans; k++) {
			struct sp_chan *c = &a->chans[k];

			if (c->trig == SP_TRIG_MBOX && c->mbox)
				copro_sim_smc_mbox_remove_chan(c->mbox,
							       c->mbox_chan);
			/* The firmware thread may still be answering. */
			copro_mutex_lock(&s->lock);
			if (c->irq_level)
				copro_bus_irq_set(s->bus, (unsigned)c->a2p_irq,
						  false);
			c->irq_level = false;
			copro_mutex_unlock(&s->lock);
		}
		if (a->has_p2a && a->p2a.mbox)
			copro_sim_smc_mbox_remove_chan(a->p2a.mbox,
						       a->p2a.mbox_chan);
	}
}

/* ---- the P2A channel ------------------------------------------------------- */

int sp_p2a_queue(struct sp_agent *a, uint32_t hdr, const void *payload,
		 size_t len, bool droppable)
{
	struct copro_sim_scmi *s = a->chans[0].s;
	struct sp_p2a *q = &a->p2a;
	struct sp_p2a_msg *m;

	if (!a->has_p2a)
		return -ENODEV;
	if (q->count == SP_P2A_DEPTH ||
	    (droppable && q->count >= SP_P2A_NOTIFY_MAX) ||
	    len > sizeof(m->payload)) {
		s->stats.p2a_dropped++;
		copro_dev_log(&s->ld, droppable ? COPRO_LOG_DEBUG : COPRO_LOG_ERR,
			      "agent %" PRIu32 ": %s 0x%08" PRIx32 " dropped:"
			      " %u messages wait for the agent", a->id,
			      droppable ? "notification" : "delayed response",
			      hdr, q->count);
		return -ENOSPC;
	}
	m = &q->q[(q->head + q->count) % SP_P2A_DEPTH];
	m->hdr = hdr;
	m->len = (uint32_t)len;
	memcpy(m->payload, payload, len);
	q->count++;
	sp_p2a_flush(s, a);
	return 0;
}

static void p2a_retry(struct copro_sim_scmi *s, struct sp_agent *a)
{
	struct sp_job j = {
		.due = copro_time_ns() + SP_P2A_RETRY_NS,
		.kind = SP_JOB_P2A,
		.a = a,
	};

	if (!a->p2a.retry_queued && sp_job_add(s, &j) == 0)
		a->p2a.retry_queued = true;
}

/* Write one message into the area, as the P2A fault leaves it. */
static void p2a_write(struct copro_sim_scmi *s, struct sp_agent *a,
		      struct sp_p2a_msg *m)
{
	struct sp_p2a *q = &a->p2a;
	struct copro_sim_scmi_fault f;
	uint32_t hdr = m->hdr, length = 4 + m->len;
	uint32_t status = 0;

	if (sp_fault_take(&a->p2a_fault, &f)) {
		switch (f.kind) {
		case COPRO_SIM_SCMI_FAULT_WRONG_TOKEN:
			hdr = scmi_hdr(scmi_hdr_proto(hdr), scmi_hdr_msg(hdr),
				       scmi_hdr_type(hdr),
				       scmi_hdr_token(hdr) + 1);
			break;
		case COPRO_SIM_SCMI_FAULT_SHORT:
			length = length > 4 ? length - 4 : 0;
			break;
		case COPRO_SIM_SCMI_FAULT_OVERLONG:
			length = (uint32_t)(q->size - SCMI_SHMEM_HEADER + 4);
			break;
		case COPRO_SIM_SCMI_FAULT_BAD_STATUS:
			if (m->len >= 4 &&
			    scmi_hdr_type(hdr) == SCMI_MSG_DELAYED_RESP)
				copro_put_le32(m->payload, (uint32_t)f.param);
			break;
		case COPRO_SIM_SCMI_FAULT_GARBAGE:
			for (uint64_t off = 0; off < q->size; off += 4)
				wr(q->sram, q->off, off, sp_random(s));
			wr(q->sram, q->off, SCMI_SHMEM_STATUS, 0);
			q->doorbell_pending = true;
			return;
		case COPRO_SIM_SCMI_FAULT_NEVER:
			return; /* lost: never reaches the area */
		default:
			break;
		}
	}
	size_t room = (size_t)q->size - SCMI_SHMEM_PAYLOAD;

	copro_sim_sram_write(q->sram, q->off + SCMI_SHMEM_PAYLOAD, m->payload,
			     m->len < room ? m->len : room);
	wr(q->sram, q->off, SCMI_SHMEM_HEADER, hdr);
	wr(q->sram, q->off, SCMI_SHMEM_LENGTH, length);
	/* Ask the agent to ring back when done, so nothing polls. */
	wr(q->sram, q->off, SCMI_SHMEM_FLAGS, SCMI_SHMEM_FLAGS_INTR);
	wr(q->sram, q->off, SCMI_SHMEM_STATUS, status);
	q->doorbell_pending = true;
}

void sp_p2a_flush(struct copro_sim_scmi *s, struct sp_agent *a)
{
	struct sp_p2a *q = &a->p2a;

	if (!a->has_p2a)
		return;
	for (;;) {
		if (q->doorbell_pending) {
			if (copro_sim_smc_mbox_post(q->mbox, q->mbox_chan, NULL,
						    0) < 0) {
				p2a_retry(s, a);
				return;
			}
			q->doorbell_pending = false;
		}
		if (!q->count)
			return;
		if (!(rd(q->sram, q->off, SCMI_SHMEM_STATUS) &
		      SCMI_SHMEM_STATUS_FREE)) {
			/* The agent has not finished the last one. */
			p2a_retry(s, a);
			return;
		}
		p2a_write(s, a, &q->q[q->head]);
		q->head = (q->head + 1) % SP_P2A_DEPTH;
		q->count--;
	}
}

int copro_sim_scmi_p2a_raw(struct copro_sim_scmi *s, uint32_t agent,
			   uint32_t header, const void *payload, size_t len)
{
	struct sp_agent *a = sp_agent_by_id(s, agent);
	int ret;

	if (!a)
		return -ENOENT;
	copro_mutex_lock(&s->lock);
	ret = sp_p2a_queue(a, header, payload, len, false);
	copro_mutex_unlock(&s->lock);
	return ret;
}
