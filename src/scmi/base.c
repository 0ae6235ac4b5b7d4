/* SPDX-License-Identifier: MIT */
/*
 * The Base protocol from the agent's side: discovery at probe (version,
 * attributes, vendor, sub-vendor, implementation version, the protocol
 * list page by page, this agent's identity), and the per-protocol
 * queries every protocol answers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/log.h>

#include "scmi/scmi_internal.h"

#define B SCMI_PROTO_BASE

static int name_cmd(struct copro_scmi *s, unsigned msg, struct scmi_xfer *x,
		    char out[SCMI_NAME_LEN])
{
	struct scmi_rd r;
	int ret = scmi_cmd(s, B, msg, NULL, 0, false, x);

	if (ret)
		return ret;
	rd_init(&r, x->rx, x->rx_len);
	rd_name(&r, out);
	return rd_end(&r) ? scmi_bad(s, B, msg, r.why) : 0;
}

/* Protocol ids, four to a word, page after page until all are listed. */
static int list_protocols(struct copro_scmi *s, struct scmi_xfer *x)
{
	struct copro_scmi_base_info *b = &s->base;
	unsigned total = 0;

	for (unsigned page = 0; total < b->num_protocols; page++) {
		uint32_t skip = total;
		struct scmi_rd r;
		unsigned n;
		int ret;

		if (page == SCMI_MAX_PAGES)
			return scmi_bad(s, B, SCMI_BASE_DISCOVER_LIST_PROTOCOLS,
					"the list never ends");
		ret = scmi_cmd(s, B, SCMI_BASE_DISCOVER_LIST_PROTOCOLS, &skip,
			       1, false, x);
		if (ret)
			return ret;
		rd_init(&r, x->rx, x->rx_len);
		n = rd_u32(&r);
		if (!r.err && (n == 0 || n > b->num_protocols - total))
			rd_fail(&r, n ? "more protocols than it has"
				      : "no protocols, fewer than it has");
		if (!r.err && rd_left(&r) != (n + 3) / 4 * 4)
			rd_fail(&r, "a count that does not match the ids");
		for (unsigned i = 0; !r.err && i < n; i += 4) {
			uint32_t w = rd_u32(&r);

			for (unsigned j = 0; j < 4; j++) {
				uint8_t id = (uint8_t)(w >> (8 * j));

				if (i + j >= n) {
					rd_mbz(&r, id, 0xff,
					       "padding after the ids");
					continue;
				}
				if (id <= B) {
					rd_fail(&r, "a protocol id below 0x11");
					break;
				}
				b->protocols[total + i + j] = id;
			}
		}
		if (rd_end(&r))
			return scmi_bad(s, B, SCMI_BASE_DISCOVER_LIST_PROTOCOLS,
					r.why);
		total += n;
	}
	return 0;
}

int scmi_base_discover(struct copro_scmi *s)
{
	struct copro_scmi_base_info *b = &s->base;
	const struct scmi_proto *pi;
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	uint32_t self = SCMI_BASE_AGENT_SELF;
	int ret;

	ret = scmi_proto(s, B, &pi);
	if (ret)
		goto out;
	b->version = pi->version;
	b->num_protocols = SCMI_BASE_ATTR_PROTOCOLS(pi->attr[0]);
	b->num_agents = SCMI_BASE_ATTR_AGENTS(pi->attr[0]);
	ret = name_cmd(s, SCMI_BASE_DISCOVER_VENDOR, x, b->vendor);
	if (ret)
		goto out;
	/* Optional: a platform may have no sub-vendor. */
	ret = name_cmd(s, SCMI_BASE_DISCOVER_SUB_VENDOR, x, b->sub_vendor);
	if (ret == -EOPNOTSUPP || ret == -ENOENT)
		ret = 0;
	if (ret)
		goto out;
	ret = scmi_cmd(s, B, SCMI_BASE_DISCOVER_IMPL_VERSION, NULL, 0, false,
		       x);
	if (ret)
		goto out;
	rd_init(&r, x->rx, x->rx_len);
	b->impl_version = rd_u32(&r);
	if (rd_end(&r)) {
		ret = scmi_bad(s, B, SCMI_BASE_DISCOVER_IMPL_VERSION, r.why);
		goto out;
	}
	ret = list_protocols(s, x);
	if (ret)
		goto out;
	/* Version 1.0 has no DISCOVER_AGENT for the caller itself. */
	b->agent_id = SCMI_BASE_AGENT_SELF;
	if (SCMI_VERSION_MAJOR(b->version) >= 2) {
		ret = scmi_cmd(s, B, SCMI_BASE_DISCOVER_AGENT, &self, 1, false,
			       x);
		if (ret == -EOPNOTSUPP || ret == -EACCES) {
			ret = 0;
		} else if (!ret) {
			rd_init(&r, x->rx, x->rx_len);
			b->agent_id = rd_u32(&r);
			rd_name(&r, b->agent_name);
			if (!r.err && (b->agent_id == 0 ||
				       b->agent_id > b->num_agents))
				rd_fail(&r, "an agent id it does not have");
			if (rd_end(&r))
				ret = scmi_bad(s, B, SCMI_BASE_DISCOVER_AGENT,
					       r.why);
		}
	}
	if (!ret)
		copro_dev_dbg(&s->ld, "%s %s 0x%08" PRIx32 ", base %" PRIu32
			      ".%" PRIu32 ", %u protocols, agent %" PRIu32
			      " (%s) of %u", b->vendor, b->sub_vendor,
			      b->impl_version, b->version >> 16,
			      b->version & 0xffff, b->num_protocols,
			      b->agent_id, b->agent_name, b->num_agents);
out:
	return ret;
}

const struct copro_scmi_base_info *copro_scmi_base(const struct copro_scmi *s)
{
	return &s->base;
}

bool copro_scmi_has_protocol(const struct copro_scmi *s, unsigned proto)
{
	if (proto == B)
		return true;
	for (unsigned i = 0; i < s->base.num_protocols; i++)
		if (s->base.protocols[i] == proto)
			return true;
	return false;
}

int copro_scmi_discover_agent(struct copro_scmi *s, uint32_t agent,
			      uint32_t *id, char name[SCMI_NAME_LEN])
{
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	int ret;

	ret = scmi_cmd(s, B, SCMI_BASE_DISCOVER_AGENT, &agent, 1, false, x);
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		*id = rd_u32(&r);
		rd_name(&r, name);
		if (!r.err && agent != SCMI_BASE_AGENT_SELF && *id != agent)
			rd_fail(&r, "another agent than asked for");
		if (rd_end(&r))
			ret = scmi_bad(s, B, SCMI_BASE_DISCOVER_AGENT, r.why);
	}
	return ret;
}

int copro_scmi_protocol_version(struct copro_scmi *s, unsigned proto,
				uint32_t *version)
{
	const struct scmi_proto *pi;
	int ret = scmi_proto(s, proto, &pi);

	if (!ret)
		*version = pi->version;
	return ret;
}

int copro_scmi_message_attributes(struct copro_scmi *s, unsigned proto,
				  unsigned msg, uint32_t *attributes)
{
	struct scmi_xfer xs, *x = &xs;
	const struct scmi_proto *pi;
	uint32_t id = msg;
	struct scmi_rd r;
	int ret = scmi_proto(s, proto, &pi);

	if (ret)
		return ret;
	ret = scmi_cmd(s, proto, SCMI_PROTOCOL_MESSAGE_ATTRIBUTES, &id, 1,
		       false, x);
	/* OP-TEE answers NOT_SUPPORTED where the specification says NOT_FOUND. */
	if (ret == -EOPNOTSUPP)
		ret = -ENOENT;
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		*attributes = rd_u32(&r);
		if (rd_end(&r))
			ret = scmi_bad(s, proto,
				       SCMI_PROTOCOL_MESSAGE_ATTRIBUTES, r.why);
	}
	return ret;
}
