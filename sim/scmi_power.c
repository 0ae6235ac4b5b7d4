/* SPDX-License-Identifier: MIT */
/*
 * The Power domain protocol (0x11), version 2.0. A domain supports ON and
 * OFF (context lost); an asynchronous STATE_SET is acknowledged at once
 * and takes effect later, which the agent learns from POWER_STATE_CHANGED.
 */
#include "scmi_internal.h"

static void pd_attributes_proto(struct sp_req *r)
{
	sp_out32(r, r->s->npds);
	/* No statistics area. */
	sp_out32(r, 0);
	sp_out32(r, 0);
	sp_out32(r, 0);
}

static void pd_attributes(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);
	struct sp_pd *d;
	uint32_t attr = 0;

	if (!sp_res_ok(r, id, r->s->npds, r->a->pd_rw, false))
		return;
	d = &r->s->pds[id];
	if (r->a->has_p2a)
		attr |= SCMI_PD_ATTR_NOTIFY;
	if (d->async)
		attr |= SCMI_PD_ATTR_ASYNC;
	if (d->sync)
		attr |= SCMI_PD_ATTR_SYNC;
	sp_out32(r, attr);
	sp_out_name(r, d->name);
}

static void pd_apply(struct copro_sim_scmi *s, uint32_t cause, uint32_t id,
		     uint32_t state)
{
	struct sp_pd *d = &s->pds[id];
	uint32_t w[2] = { id, state };

	if (d->state == state)
		return;
	d->state = state;
	sp_notify(s, cause, SCMI_PROTO_POWER, SCMI_PD_EVT_STATE_CHANGED, id, w,
		  2);
}

static void pd_state_set(struct sp_req *r)
{
	uint32_t flags = sp_in32(r, 0), id = sp_in32(r, 1);
	uint32_t state = sp_in32(r, 2);
	bool async = flags & SCMI_PD_SET_ASYNC;
	struct sp_pd *d;

	if (flags & ~SCMI_PD_SET_ASYNC) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	if (!sp_res_ok(r, id, r->s->npds, r->a->pd_rw, true))
		return;
	d = &r->s->pds[id];
	if (state != SCMI_PD_STATE_ON && state != SCMI_PD_STATE_OFF) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	if (async ? !d->async : !d->sync) {
		r->status = SCMI_NOT_SUPPORTED;
		return;
	}
	if (!async) {
		pd_apply(r->s, r->a->id, id, state);
		return;
	}
	struct sp_job j = {
		.due = copro_time_ns() + d->async_ns,
		.kind = SP_JOB_PD_STATE,
		.a = r->a,
		.id = id,
		.arg = state,
	};

	if (sp_job_add(r->s, &j) < 0)
		r->status = SCMI_BUSY;
}

void sp_pd_job(struct copro_sim_scmi *s, const struct sp_job *j)
{
	pd_apply(s, j->a->id, j->id, (uint32_t)j->arg);
}

static void pd_state_get(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);

	if (!sp_res_ok(r, id, r->s->npds, r->a->pd_rw, false))
		return;
	sp_out32(r, r->s->pds[id].state);
}

static void pd_state_notify(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);
	bool on;

	if (!sp_res_ok(r, id, r->s->npds, r->a->pd_rw, false) ||
	    !sp_notify_arg(r, sp_in32(r, 1), &on))
		return;
	r->a->pd_ntf[id] = on;
}

static const struct sp_msg_desc pd_msgs[] = {
	SP_COMMON_MSGS,
	[SCMI_PD_ATTRIBUTES] = { pd_attributes, 4 },
	[SCMI_PD_STATE_SET] = { pd_state_set, 12 },
	[SCMI_PD_STATE_GET] = { pd_state_get, 4 },
	[SCMI_PD_STATE_NOTIFY] = { pd_state_notify, 8 },
	[SCMI_PD_STATE_CHANGE_REQUESTED_NOTIFY] = { NULL, -1 },
};

const struct sp_proto sp_proto_power = {
	.id = SCMI_PROTO_POWER,
	.version = SP_VERSION_POWER,
	.msgs = pd_msgs,
	.nmsgs = sizeof(pd_msgs) / sizeof(pd_msgs[0]),
	.attributes = pd_attributes_proto,
};
