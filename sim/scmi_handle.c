/* SPDX-License-Identifier: MIT */
/*
 * One SCMI message, the way the reference platform checks it before any
 * protocol sees it: the header (type, reserved bits), the protocol (known,
 * and allowed to this agent), the message id (defined by the protocol's
 * version, implemented), the payload size (exact), then the handler. The
 * response echoes the header and starts with the status.
 */
#include <errno.h>
#include <string.h>

#include "scmi_internal.h"

const struct sp_proto *sp_proto_find(unsigned id)
{
	static const struct sp_proto *const protos[] = {
		&sp_proto_base, &sp_proto_power, &sp_proto_system,
		&sp_proto_perf, &sp_proto_clock, &sp_proto_sensor,
		&sp_proto_reset,
	};

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i]->id == id)
			return protos[i];
	return NULL;
}

bool sp_agent_allows(const struct sp_agent *a, unsigned proto)
{
	return proto >= SCMI_PROTO_BASE && proto < SCMI_PROTO_BASE + 32 &&
	       (a->protocols >> (proto - SCMI_PROTO_BASE)) & 1;
}

uint32_t sp_in32(const struct sp_req *r, unsigned word)
{
	return 4 * (size_t)word + 4 <= r->in_len ? copro_get_le32(r->in + 4 * word)
						 : 0;
}

bool sp_room(const struct sp_req *r, size_t n)
{
	return r->out_len + n <= r->out_cap;
}

void sp_out32(struct sp_req *r, uint32_t v)
{
	if (!sp_room(r, 4))
		return;
	copro_put_le32(r->out + r->out_len, v);
	r->out_len += 4;
}

void sp_out64(struct sp_req *r, uint64_t v)
{
	sp_out32(r, (uint32_t)v);
	sp_out32(r, (uint32_t)(v >> 32));
}

void sp_out_name(struct sp_req *r, const char *name)
{
	uint8_t buf[SCMI_NAME_LEN] = { 0 };
	size_t n = strnlen(name, SCMI_NAME_LEN - 1);

	memcpy(buf, name, n);
	if (!sp_room(r, SCMI_NAME_LEN))
		return;
	memcpy(r->out + r->out_len, buf, SCMI_NAME_LEN);
	r->out_len += SCMI_NAME_LEN;
}

bool sp_res_ok(struct sp_req *r, uint32_t id, unsigned count,
	       const uint8_t *rw, bool write)
{
	if (id >= count) {
		r->status = SCMI_NOT_FOUND;
		return false;
	}
	if (write && !rw[id]) {
		r->status = SCMI_DENIED;
		return false;
	}
	return true;
}

bool sp_notify_arg(struct sp_req *r, uint32_t v, bool *enable)
{
	if (v & SCMI_NOTIFY_RESERVED) {
		r->status = SCMI_INVALID_PARAMETERS;
		return false;
	}
	/* Without a receive channel nothing could be delivered. */
	if (!r->a->has_p2a) {
		r->status = SCMI_NOT_SUPPORTED;
		return false;
	}
	*enable = v & SCMI_NOTIFY_ENABLE;
	return true;
}

/* Is agent a subscribed to this event of this resource? */
static bool subscribed(const struct copro_sim_scmi *s, const struct sp_agent *a,
		       unsigned proto, unsigned evt, uint32_t id)
{
	if (!a->has_p2a || !sp_agent_allows(a, proto))
		return false;
	switch (proto) {
	case SCMI_PROTO_BASE:
		return a->err_ntf;
	case SCMI_PROTO_POWER:
		return id < s->npds && a->pd_ntf[id];
	case SCMI_PROTO_SYSTEM:
		return a->sys_ntf;
	case SCMI_PROTO_PERF:
		return id < s->nperfs && ((a->perf_ntf[id] >> evt) & 1);
	case SCMI_PROTO_CLOCK:
		return id < s->nclocks && ((a->clock_ntf[id] >> evt) & 1);
	case SCMI_PROTO_RESET:
		return id < s->nresets && a->reset_ntf[id];
	}
	return false;
}

void sp_notify(struct copro_sim_scmi *s, uint32_t cause, unsigned proto,
	       unsigned evt, uint32_t id, const uint32_t *words,
	       unsigned nwords)
{
	uint8_t payload[SP_MSG_MAX];
	size_t len = 4;

	copro_put_le32(payload, cause);
	for (unsigned i = 0; i < nwords && len + 4 <= sizeof(payload); i++) {
		copro_put_le32(payload + len, words[i]);
		len += 4;
	}
	for (unsigned i = 0; i < s->nagents; i++) {
		struct sp_agent *a = &s->agents[i];

		if (!subscribed(s, a, proto, evt, id))
			continue;
		uint32_t hdr = scmi_hdr(proto, evt, SCMI_MSG_NOTIFICATION,
					a->ntf_token++);

		if (sp_p2a_queue(a, hdr, payload, len, true) == 0)
			s->stats.notifications++;
	}
}

void sp_delayed(struct copro_sim_scmi *s, struct sp_agent *a, uint32_t hdr,
		int32_t status, const uint32_t *words, unsigned nwords)
{
	uint8_t payload[SP_MSG_MAX];
	size_t len = 4;

	copro_put_le32(payload, (uint32_t)status);
	for (unsigned i = 0; i < nwords && len + 4 <= sizeof(payload); i++) {
		copro_put_le32(payload + len, words[i]);
		len += 4;
	}
	hdr = scmi_hdr(scmi_hdr_proto(hdr), scmi_hdr_msg(hdr),
		       SCMI_MSG_DELAYED_RESP, scmi_hdr_token(hdr));
	if (sp_p2a_queue(a, hdr, payload, len, false) == 0)
		s->stats.delayed++;
}

size_t sp_handle_locked(struct copro_sim_scmi *s, struct sp_agent *a,
			const uint8_t *msg, size_t len, uint8_t *resp,
			size_t cap)
{
	struct sp_req r = { .s = s, .a = a };
	const struct sp_proto *proto;
	unsigned id;

	if (len < 4 || cap < 8)
		return 0;
	r.hdr = copro_get_le32(msg);
	r.in = msg + 4;
	r.in_len = len - 4;
	r.out = resp + 8;
	r.out_cap = cap - 8;
	id = scmi_hdr_msg(r.hdr);
	proto = sp_proto_find(scmi_hdr_proto(r.hdr));

	if ((r.hdr & SCMI_HDR_RESERVED_MASK) ||
	    scmi_hdr_type(r.hdr) != SCMI_MSG_COMMAND)
		r.status = SCMI_PROTOCOL_ERROR;
	else if (!proto)
		r.status = SCMI_NOT_SUPPORTED;
	else if (!sp_agent_allows(a, proto->id))
		r.status = SCMI_DENIED;
	else if (id >= proto->nmsgs)
		r.status = SCMI_NOT_FOUND;
	else if (!proto->msgs[id].fn)
		r.status = SCMI_NOT_SUPPORTED;
	else if (proto->msgs[id].req_len >= 0 &&
		 r.in_len != (size_t)proto->msgs[id].req_len)
		r.status = SCMI_PROTOCOL_ERROR;
	else
		proto->msgs[id].fn(&r);

	/* A failed command returns its status alone. */
	if (r.status != SCMI_SUCCESS) {
		r.out_len = 0;
		s->stats.errors++;
		a->last_err_hdr = r.hdr;
	}
	s->stats.commands++;
	copro_put_le32(resp, r.hdr);
	copro_put_le32(resp + 4, (uint32_t)r.status);
	return 8 + r.out_len;
}

size_t copro_sim_scmi_handle(struct copro_sim_scmi *s, uint32_t agent,
			     const void *msg, size_t len, void *resp,
			     size_t cap)
{
	struct sp_agent *a = sp_agent_by_id(s, agent);
	size_t n;

	if (!a || !msg || !resp)
		return 0;
	copro_mutex_lock(&s->lock);
	n = sp_handle_locked(s, a, msg, len, resp, cap);
	copro_mutex_unlock(&s->lock);
	return n;
}

/* ---- every protocol's first three messages ----------------------------- */

void sp_common_version(struct sp_req *r)
{
	sp_out32(r, sp_proto_find(scmi_hdr_proto(r->hdr))->version);
}

void sp_common_attributes(struct sp_req *r)
{
	sp_proto_find(scmi_hdr_proto(r->hdr))->attributes(r);
}

void sp_common_msg_attributes(struct sp_req *r)
{
	const struct sp_proto *p = sp_proto_find(scmi_hdr_proto(r->hdr));
	uint32_t id = sp_in32(r, 0);

	/* Unknown or unimplemented: NOT_FOUND (not NOT_SUPPORTED). */
	if (id >= p->nmsgs || !p->msgs[id].fn) {
		r->status = SCMI_NOT_FOUND;
		return;
	}
	sp_out32(r, 0);
}

unsigned sp_max_async(const struct sp_agent *a)
{
	return a->has_p2a ? SP_MAX_ASYNC : 0;
}

void sp_async_start(struct sp_req *r, enum sp_job_kind kind, uint32_t id,
		    uint64_t arg, uint64_t delay_ns, bool respond,
		    unsigned *inflight)
{
	const struct sp_job j = {
		.due = copro_time_ns() + delay_ns,
		.kind = kind,
		.a = r->a,
		.hdr = r->hdr,
		.id = id,
		.arg = arg,
		.respond = respond,
	};

	if (*inflight >= sp_max_async(r->a) || sp_job_add(r->s, &j) < 0) {
		r->status = SCMI_BUSY;
		return;
	}
	(*inflight)++;
}
