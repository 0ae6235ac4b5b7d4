/* SPDX-License-Identifier: MIT */
/* The Base protocol (0x10), version 2.0: discovery and error reports. */
#include "scmi_internal.h"

static unsigned visible_protocols(const struct sp_agent *a, uint8_t *ids)
{
	unsigned n = 0;

	/* Base itself is not listed. */
	for (unsigned p = SCMI_PROTO_BASE + 1; p < SCMI_PROTO_BASE + 32; p++)
		if (sp_proto_find(p) && sp_agent_allows(a, p)) {
			if (ids)
				ids[n] = (uint8_t)p;
			n++;
		}
	return n;
}

static void base_attributes(struct sp_req *r)
{
	sp_out32(r, visible_protocols(r->a, NULL) | r->s->nagents << 8);
}

static void vendor(struct sp_req *r)
{
	sp_out_name(r, r->s->vendor);
}

static void sub_vendor(struct sp_req *r)
{
	sp_out_name(r, r->s->sub_vendor);
}

static void impl_version(struct sp_req *r)
{
	sp_out32(r, r->s->impl_version);
}

static void list_protocols(struct sp_req *r)
{
	uint8_t ids[32];
	unsigned n = visible_protocols(r->a, ids);
	uint32_t skip = sp_in32(r, 0);
	size_t fit;
	unsigned count;

	if (skip > n) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	/* As many as the channel holds, four ids to a word. */
	fit = r->out_cap >= 4 ? (r->out_cap - 4) / 4 * 4 : 0;
	count = n - skip < fit ? n - skip : (unsigned)fit;
	sp_out32(r, count);
	for (unsigned i = 0; i < count; i += 4) {
		uint32_t w = 0;

		for (unsigned j = 0; j < 4 && i + j < count; j++)
			w |= (uint32_t)ids[skip + i + j] << (8 * j);
		sp_out32(r, w);
	}
}

static void discover_agent(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);

	if (id == SCMI_BASE_AGENT_SELF)
		id = r->a->id;
	if (id > r->s->nagents) {
		r->status = SCMI_NOT_FOUND;
		return;
	}
	if (id && id != r->a->id && !r->a->discover_ok) {
		r->status = SCMI_DENIED;
		return;
	}
	sp_out32(r, id);
	sp_out_name(r, id ? r->s->agents[id - 1].name : "platform");
}

static void notify_errors(struct sp_req *r)
{
	bool on;

	if (!sp_notify_arg(r, sp_in32(r, 0), &on))
		return;
	if (!r->a->errors_ok) {
		r->status = SCMI_DENIED;
		return;
	}
	r->a->err_ntf = on;
}

static const struct sp_msg_desc base_msgs[] = {
	SP_COMMON_MSGS,
	[SCMI_BASE_DISCOVER_VENDOR] = { vendor, 0 },
	[SCMI_BASE_DISCOVER_SUB_VENDOR] = { sub_vendor, 0 },
	[SCMI_BASE_DISCOVER_IMPL_VERSION] = { impl_version, 0 },
	[SCMI_BASE_DISCOVER_LIST_PROTOCOLS] = { list_protocols, 4 },
	[SCMI_BASE_DISCOVER_AGENT] = { discover_agent, 4 },
	[SCMI_BASE_NOTIFY_ERRORS] = { notify_errors, 4 },
	/* Optional in 2.0, not implemented here. */
	[SCMI_BASE_SET_DEVICE_PERMISSIONS] = { NULL, -1 },
	[SCMI_BASE_SET_PROTOCOL_PERMISSIONS] = { NULL, -1 },
	[SCMI_BASE_RESET_AGENT_CONFIGURATION] = { NULL, -1 },
};

const struct sp_proto sp_proto_base = {
	.id = SCMI_PROTO_BASE,
	.version = SP_VERSION_BASE,
	.msgs = base_msgs,
	.nmsgs = sizeof(base_msgs) / sizeof(base_msgs[0]),
	.attributes = base_attributes,
};
