/* SPDX-License-Identifier: MIT */
/* The Power domain protocol (0x11) from the agent's side. */
#include <errno.h>
#include <stdlib.h>

#include "scmi/scmi_internal.h"

#define P SCMI_PROTO_POWER

int copro_scmi_pd_count(struct copro_scmi *s, unsigned *n)
{
	const struct scmi_proto *pi;
	int ret = scmi_proto(s, P, &pi);

	if (!ret)
		*n = pi->attr[0] & 0xffff;
	return ret;
}

static int domain(struct copro_scmi *s, uint32_t id)
{
	unsigned n;
	int ret = copro_scmi_pd_count(s, &n);

	return ret ? ret : scmi_check_id(s, P, id, n);
}

int copro_scmi_pd_attributes(struct copro_scmi *s, uint32_t id,
			     struct copro_scmi_pd_info *out)
{
	const struct scmi_proto *pi;
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	uint32_t attr;
	int ret = domain(s, id);

	if (ret || (ret = scmi_proto(s, P, &pi)))
		return ret;
	ret = scmi_cmd(s, P, SCMI_PD_ATTRIBUTES, &id, 1, false, x);
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		attr = rd_u32(&r);
		/* 3.0 adds bit 27 (extended names); the rest is reserved. */
		rd_mbz(&r, attr,
		       SCMI_VERSION_MAJOR(pi->version) >= 3 ? 0x17ffffffu
							   : 0x1fffffffu,
		       "reserved attribute bits set");
		rd_name(&r, out->name);
		out->notify = attr & SCMI_PD_ATTR_NOTIFY;
		out->async = attr & SCMI_PD_ATTR_ASYNC;
		out->sync = attr & SCMI_PD_ATTR_SYNC;
		if (rd_end(&r))
			ret = scmi_bad(s, P, SCMI_PD_ATTRIBUTES, r.why);
	}
	return ret;
}

int copro_scmi_pd_set(struct copro_scmi *s, uint32_t id, uint32_t state,
		      bool async)
{
	uint32_t w[3] = { async ? SCMI_PD_SET_ASYNC : 0, id, state };
	struct scmi_xfer xs, *x = &xs;
	int ret = domain(s, id);

	if (ret)
		return ret;
	if (state & SCMI_PD_STATE_RESERVED)
		return -EINVAL;
	/* No delayed response: an async change shows as a notification. */
	ret = scmi_cmd(s, P, SCMI_PD_STATE_SET, w, 3, false, x);
	if (!ret && x->rx_len)
		ret = scmi_bad(s, P, SCMI_PD_STATE_SET, "a payload after SUCCESS");
	return ret;
}

int copro_scmi_pd_get(struct copro_scmi *s, uint32_t id, uint32_t *state)
{
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	int ret = domain(s, id);

	if (ret)
		return ret;
	ret = scmi_cmd(s, P, SCMI_PD_STATE_GET, &id, 1, false, x);
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		*state = rd_u32(&r);
		rd_mbz(&r, *state, SCMI_PD_STATE_RESERVED,
		       "a state with reserved bits set");
		if (rd_end(&r))
			ret = scmi_bad(s, P, SCMI_PD_STATE_GET, r.why);
	}
	return ret;
}
