/* SPDX-License-Identifier: MIT */
/* The Reset domain protocol (0x16) from the agent's side. */
#include <errno.h>
#include <stdlib.h>

#include "scmi/scmi_internal.h"

#define R SCMI_PROTO_RESET

int copro_scmi_reset_count(struct copro_scmi *s, unsigned *n)
{
	const struct scmi_proto *pi;
	int ret = scmi_proto(s, R, &pi);

	if (!ret)
		*n = pi->attr[0] & 0xffff;
	return ret;
}

static int domain(struct copro_scmi *s, uint32_t id)
{
	unsigned n;
	int ret = copro_scmi_reset_count(s, &n);

	return ret ? ret : scmi_check_id(s, R, id, n);
}

int copro_scmi_reset_attributes(struct copro_scmi *s, uint32_t id,
				struct copro_scmi_reset_info *out)
{
	const struct scmi_proto *pi;
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	uint32_t attr;
	int ret = domain(s, id);

	if (ret || (ret = scmi_proto(s, R, &pi)))
		return ret;
	ret = scmi_cmd(s, R, SCMI_RESET_DOMAIN_ATTRIBUTES, &id, 1, false, x);
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		attr = rd_u32(&r);
		/* Bit 29 (extended names) arrived with version 3.0. */
		rd_mbz(&r, attr,
		       SCMI_VERSION_MAJOR(pi->version) >= 3 ? 0x1fffffffu
							   : 0x3fffffffu,
		       "reserved attribute bits set");
		out->latency_us = rd_u32(&r);
		rd_name(&r, out->name);
		out->async = attr & SCMI_RESET_ATTR_ASYNC;
		out->notify = attr & SCMI_RESET_ATTR_NOTIFY;
		if (rd_end(&r))
			ret = scmi_bad(s, R, SCMI_RESET_DOMAIN_ATTRIBUTES, r.why);
	}
	return ret;
}

static int reset_cmd(struct copro_scmi *s, uint32_t id, uint32_t flags)
{
	uint32_t w[3] = { id, flags, SCMI_RESET_STATE_COLD };
	bool async = flags & SCMI_RESET_ASYNC;
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	int ret = domain(s, id);

	if (ret)
		return ret;
	ret = scmi_cmd(s, R, SCMI_RESET_RESET, w, 3, async, x);
	if (!ret && x->rx_len)
		ret = scmi_bad(s, R, SCMI_RESET_RESET, "a payload after SUCCESS");
	if (!ret && async) {
		/* RESET_COMPLETE: the domain it completed. */
		rd_init(&r, x->dr, x->dr_len);
		if (rd_u32(&r) != id && !r.err)
			rd_fail(&r, "RESET_COMPLETE for another domain");
		if (rd_end(&r))
			ret = scmi_bad(s, R, SCMI_RESET_RESET, r.why);
	}
	return ret;
}

int copro_scmi_reset(struct copro_scmi *s, uint32_t id, bool async)
{
	return reset_cmd(s, id, SCMI_RESET_AUTONOMOUS |
				       (async ? SCMI_RESET_ASYNC : 0));
}

int copro_scmi_reset_assert(struct copro_scmi *s, uint32_t id, bool assert)
{
	return reset_cmd(s, id, assert ? SCMI_RESET_EXPLICIT_ASSERT : 0);
}
