/* SPDX-License-Identifier: MIT */
/* The Performance protocol (0x13) from the agent's side. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scmi/scmi_internal.h"

#define F SCMI_PROTO_PERF

int copro_scmi_perf_count(struct copro_scmi *s, unsigned *n)
{
	const struct scmi_proto *pi;
	int ret = scmi_proto(s, F, &pi);

	if (!ret)
		*n = pi->attr[0] & 0xffff;
	return ret;
}

/*
 * Checked here, not left to the platform: OP-TEE clamps an unknown
 * domain to 0 and answers SUCCESS.
 */
static int domain(struct copro_scmi *s, uint32_t id)
{
	unsigned n;
	int ret = copro_scmi_perf_count(s, &n);

	return ret ? ret : scmi_check_id(s, F, id, n);
}

int copro_scmi_perf_attributes(struct copro_scmi *s, uint32_t id,
			       struct copro_scmi_perf_info *out)
{
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	uint32_t attr;
	int ret = domain(s, id);

	if (ret)
		return ret;
	ret = scmi_cmd(s, F, SCMI_PERF_DOMAIN_ATTRIBUTES, &id, 1, false, x);
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		attr = rd_u32(&r);
		rd_mbz(&r, attr, 0x03ffffffu, "reserved attribute bits set");
		out->set_limits = attr & SCMI_PERF_DOM_SET_LIMITS;
		out->set_level = attr & SCMI_PERF_DOM_SET_LEVEL;
		out->limits_notify = attr & SCMI_PERF_DOM_LIMITS_NOTIFY;
		out->level_notify = attr & SCMI_PERF_DOM_LEVEL_NOTIFY;
		out->rate_limit_us = rd_mbz(&r, rd_u32(&r), 0xfff00000u,
					    "reserved rate limit bits set");
		out->sustained_khz = rd_u32(&r);
		out->sustained_level = rd_u32(&r);
		rd_name(&r, out->name);
		if (rd_end(&r))
			ret = scmi_bad(s, F, SCMI_PERF_DOMAIN_ATTRIBUTES, r.why);
	}
	return ret;
}

int copro_scmi_perf_levels(struct copro_scmi *s, uint32_t id,
			   struct copro_scmi_perf_level **levels, size_t *n)
{
	struct copro_scmi_perf_level *v = NULL;
	size_t have = 0, total = 0;
	struct scmi_xfer xs, *x = &xs;
	int ret = domain(s, id);

	*levels = NULL;
	*n = 0;
	if (ret)
		return ret;
	for (unsigned page = 0;; page++) {
		uint32_t w[2] = { id, (uint32_t)have };
		unsigned got, left;
		struct scmi_rd r;

		if (page == SCMI_MAX_PAGES) {
			ret = scmi_bad(s, F, SCMI_PERF_DESCRIBE_LEVELS,
				       "the list never ends");
			break;
		}
		ret = scmi_cmd(s, F, SCMI_PERF_DESCRIBE_LEVELS, w, 2, false, x);
		if (ret)
			break;
		rd_init(&r, x->rx, x->rx_len);
		uint32_t f = rd_mbz(&r, rd_u32(&r), 0x0000f000u,
				    "reserved count bits set");

		got = f & 0xfff;
		left = f >> 16;
		if (!r.err && page == 0)
			total = got + left;
		if (!r.err && (have + got + left != total || (!got && left)))
			rd_fail(&r, "counts that do not add up across pages");
		if (!r.err && rd_left(&r) != (size_t)got * 12)
			rd_fail(&r, "a count that does not match the levels");
		if (!r.err && !v && total) {
			v = calloc(total, sizeof(*v));
			if (!v) {
				ret = -ENOMEM;
				break;
			}
		}
		for (unsigned i = 0; !r.err && i < got; i++) {
			struct copro_scmi_perf_level *l = &v[have + i];

			l->level = rd_u32(&r);
			l->power = rd_u32(&r);
			l->latency_us = rd_mbz(&r, rd_u32(&r), 0xffff0000u,
					       "reserved latency bits set");
			if (have + i && l->level <= v[have + i - 1].level)
				rd_fail(&r, "levels that do not ascend");
		}
		if (rd_end(&r)) {
			ret = scmi_bad(s, F, SCMI_PERF_DESCRIBE_LEVELS, r.why);
			break;
		}
		have += got;
		if (!left)
			break;
	}
	if (ret) {
		free(v);
		return ret;
	}
	*levels = v;
	*n = have;
	return 0;
}

int copro_scmi_perf_limits_set(struct copro_scmi *s, uint32_t id,
			       uint32_t max, uint32_t min)
{
	uint32_t w[3] = { id, max, min };
	struct scmi_xfer xs, *x = &xs;
	int ret = domain(s, id);

	if (ret)
		return ret;
	ret = scmi_cmd(s, F, SCMI_PERF_LIMITS_SET, w, 3, false, x);
	if (!ret && x->rx_len)
		ret = scmi_bad(s, F, SCMI_PERF_LIMITS_SET, "a payload after SUCCESS");
	return ret;
}

int copro_scmi_perf_limits_get(struct copro_scmi *s, uint32_t id,
			       uint32_t *max, uint32_t *min)
{
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	int ret = domain(s, id);

	if (ret)
		return ret;
	ret = scmi_cmd(s, F, SCMI_PERF_LIMITS_GET, &id, 1, false, x);
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		*max = rd_u32(&r);
		*min = rd_u32(&r);
		if (!r.err && *min > *max)
			rd_fail(&r, "a minimum above the maximum");
		if (rd_end(&r))
			ret = scmi_bad(s, F, SCMI_PERF_LIMITS_GET, r.why);
	}
	return ret;
}

int copro_scmi_perf_level_set(struct copro_scmi *s, uint32_t id,
			      uint32_t level)
{
	uint32_t w[2] = { id, level };
	struct scmi_xfer xs, *x = &xs;
	int ret = domain(s, id);

	if (ret)
		return ret;
	ret = scmi_cmd(s, F, SCMI_PERF_LEVEL_SET, w, 2, false, x);
	if (!ret && x->rx_len)
		ret = scmi_bad(s, F, SCMI_PERF_LEVEL_SET, "a payload after SUCCESS");
	return ret;
}

int copro_scmi_perf_level_get(struct copro_scmi *s, uint32_t id,
			      uint32_t *level)
{
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	int ret = domain(s, id);

	if (ret)
		return ret;
	ret = scmi_cmd(s, F, SCMI_PERF_LEVEL_GET, &id, 1, false, x);
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		*level = rd_u32(&r);
		if (rd_end(&r))
			ret = scmi_bad(s, F, SCMI_PERF_LEVEL_GET, r.why);
	}
	return ret;
}
