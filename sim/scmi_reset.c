/* SPDX-License-Identifier: MIT */
/*
 * The Reset domain protocol (0x16), version 1.0: an autonomous reset
 * (assert and release), synchronous or with RESET_COMPLETE as the
 * delayed response, or an explicit assert and a later deassert. Only the
 * architectural cold reset (state 0) is implemented.
 */
#include <errno.h>

#include "scmi_internal.h"

static void reset_attributes_proto(struct sp_req *r)
{
	sp_out32(r, r->s->nresets);
}

static bool domain(struct sp_req *r, uint32_t id, bool write)
{
	return sp_res_ok(r, id, r->s->nresets, r->a->reset_rw, write);
}

static void reset_attributes(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);
	const struct sp_reset *d;
	uint32_t attr = 0;

	if (!domain(r, id, false))
		return;
	d = &r->s->resets[id];
	if (d->async && r->a->has_p2a)
		attr |= SCMI_RESET_ATTR_ASYNC;
	if (r->a->has_p2a)
		attr |= SCMI_RESET_ATTR_NOTIFY;
	sp_out32(r, attr);
	sp_out32(r, d->latency_us);
	sp_out_name(r, d->name);
}

static void issued(struct copro_sim_scmi *s, uint32_t cause, uint32_t id,
		   uint32_t state)
{
	uint32_t w[2] = { id, state };

	sp_notify(s, cause, SCMI_PROTO_RESET, SCMI_RESET_EVT_ISSUED, id, w, 2);
}

static void reset(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0), flags = sp_in32(r, 1);
	uint32_t state = sp_in32(r, 2);
	bool autonomous = flags & SCMI_RESET_AUTONOMOUS;
	bool async = flags & SCMI_RESET_ASYNC;
	struct sp_reset *d;

	if ((flags & SCMI_RESET_FLAGS_RESERVED) || (async && !autonomous)) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	if (!domain(r, id, true))
		return;
	d = &r->s->resets[id];
	if (state & SCMI_RESET_STATE_VENDOR) {
		r->status = SCMI_NOT_SUPPORTED;
		return;
	}
	if (state != SCMI_RESET_STATE_COLD) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	if (async && (!d->async || !r->a->has_p2a)) {
		r->status = SCMI_NOT_SUPPORTED;
		return;
	}
	if (!autonomous) {
		/* Explicit: assert and hold, or (flags 0) release. */
		d->asserted = flags & SCMI_RESET_EXPLICIT_ASSERT;
		if (d->asserted)
			issued(r->s, r->a->id, id, state);
		return;
	}
	if (!async) {
		d->asserted = false;
		d->resets++;
		issued(r->s, r->a->id, id, state);
		return;
	}
	sp_async_start(r, SP_JOB_RESET, id, 0, d->async_ns, true,
		       &r->a->reset_async);
}

void sp_reset_job(struct copro_sim_scmi *s, const struct sp_job *j)
{
	struct sp_reset *d = &s->resets[j->id];
	uint32_t w[1] = { j->id };

	j->a->reset_async--;
	d->asserted = false;
	d->resets++;
	issued(s, j->a->id, j->id, SCMI_RESET_STATE_COLD);
	sp_delayed(s, j->a, j->hdr, SCMI_SUCCESS, w, 1);
}

static void reset_notify(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);
	bool on;

	if (!domain(r, id, false) || !sp_notify_arg(r, sp_in32(r, 1), &on))
		return;
	r->a->reset_ntf[id] = on;
}

int copro_sim_scmi_reset_state(struct copro_sim_scmi *s, uint32_t id,
			       bool *asserted, unsigned *resets)
{
	int ret = 0;

	copro_mutex_lock(&s->lock);
	if (id < s->nresets) {
		*asserted = s->resets[id].asserted;
		*resets = s->resets[id].resets;
	} else {
		ret = -ENOENT;
	}
	copro_mutex_unlock(&s->lock);
	return ret;
}

static const struct sp_msg_desc reset_msgs[] = {
	SP_COMMON_MSGS,
	[SCMI_RESET_DOMAIN_ATTRIBUTES] = { reset_attributes, 4 },
	[SCMI_RESET_RESET] = { reset, 12 },
	[SCMI_RESET_NOTIFY] = { reset_notify, 8 },
};

const struct sp_proto sp_proto_reset = {
	.id = SCMI_PROTO_RESET,
	.version = SP_VERSION_RESET,
	.msgs = reset_msgs,
	.nmsgs = sizeof(reset_msgs) / sizeof(reset_msgs[0]),
	.attributes = reset_attributes_proto,
};
