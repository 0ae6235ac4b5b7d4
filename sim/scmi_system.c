/* SPDX-License-Identifier: MIT */
/*
 * The System power protocol (0x12), version 2.0. Only agents the
 * configuration trusts (copro,system) may change the system state; every
 * agent may ask to be told (SYSTEM_POWER_STATE_NOTIFIER), which is how an
 * OS learns that another agent, or the platform, is shutting it down.
 */
#include <errno.h>

#include "scmi_internal.h"

static void sys_attributes(struct sp_req *r)
{
	sp_out32(r, SCMI_SYS_ATTR_WARM_RESET | SCMI_SYS_ATTR_SUSPEND);
}

static bool state_known(uint32_t st)
{
	return st <= SCMI_SYS_SUSPEND;
}

/* Notify subscribers: agent, flags, state, timeout (2.0). */
static void sys_change(struct copro_sim_scmi *s, uint32_t cause,
		       uint32_t state, bool graceful, uint32_t timeout)
{
	uint32_t w[3] = { graceful ? SCMI_SYS_SET_GRACEFUL : 0, state,
			  graceful ? timeout : 0 };

	s->system_state = state;
	sp_notify(s, cause, SCMI_PROTO_SYSTEM, SCMI_SYS_EVT_NOTIFIER, 0, w, 3);
}

static void sys_state_set(struct sp_req *r)
{
	uint32_t flags = sp_in32(r, 0), state = sp_in32(r, 1);

	if (flags & ~SCMI_SYS_SET_GRACEFUL) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	if (!r->a->system_ok) {
		r->status = SCMI_DENIED;
		return;
	}
	if (!state_known(state)) {
		/* Vendor states (bit 31) are not implemented here. */
		r->status = state & 0x80000000u ? SCMI_NOT_SUPPORTED
						: SCMI_INVALID_PARAMETERS;
		return;
	}
	sys_change(r->s, r->a->id, state, flags & SCMI_SYS_SET_GRACEFUL, 1000);
}

static void sys_state_get(struct sp_req *r)
{
	sp_out32(r, r->s->system_state);
}

static void sys_state_notify(struct sp_req *r)
{
	bool on;

	if (sp_notify_arg(r, sp_in32(r, 0), &on))
		r->a->sys_ntf = on;
}

int copro_sim_scmi_system_event(struct copro_sim_scmi *s, uint32_t state,
				bool graceful, uint32_t timeout_ms)
{
	if (!state_known(state))
		return -EINVAL;
	copro_mutex_lock(&s->lock);
	sys_change(s, 0, state, graceful, timeout_ms);
	copro_mutex_unlock(&s->lock);
	copro_event_signal(&s->wake);
	return 0;
}

static const struct sp_msg_desc sys_msgs[] = {
	SP_COMMON_MSGS,
	[SCMI_SYS_STATE_SET] = { sys_state_set, 8 },
	[SCMI_SYS_STATE_GET] = { sys_state_get, 0 },
	[SCMI_SYS_STATE_NOTIFY] = { sys_state_notify, 4 },
};

const struct sp_proto sp_proto_system = {
	.id = SCMI_PROTO_SYSTEM,
	.version = SP_VERSION_SYSTEM,
	.msgs = sys_msgs,
	.nmsgs = sizeof(sys_msgs) / sizeof(sys_msgs[0]),
	.attributes = sys_attributes,
};
