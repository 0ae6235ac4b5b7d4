/* SPDX-License-Identifier: MIT */
/*
 * The Clock protocol (0x14) from the agent's side: attributes, the rates
 * (a list, paged, or one min/max/step triplet), rate get and set
 * (asynchronous ones wait for CLOCK_RATE_SET_COMPLETE), enable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scmi/scmi_internal.h"

#define K SCMI_PROTO_CLOCK

int copro_scmi_clock_count(struct copro_scmi *s, unsigned *n)
{
	const struct scmi_proto *pi;
	int ret = scmi_proto(s, K, &pi);

	if (!ret)
		*n = SCMI_CLOCK_PATTR_CLOCKS(pi->attr[0]);
	return ret;
}

int copro_scmi_clock_max_async(struct copro_scmi *s, unsigned *n)
{
	const struct scmi_proto *pi;
	int ret = scmi_proto(s, K, &pi);

	if (!ret)
		*n = SCMI_CLOCK_PATTR_MAX_ASYNC(pi->attr[0]);
	return ret;
}

static int clock_id(struct copro_scmi *s, uint32_t id)
{
	unsigned n;
	int ret = copro_scmi_clock_count(s, &n);

	return ret ? ret : scmi_check_id(s, K, id, n);
}

int copro_scmi_clock_attributes(struct copro_scmi *s, uint32_t id,
				struct copro_scmi_clock_info *out)
{
	const struct scmi_proto *pi;
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	uint32_t attr;
	bool v2;
	int ret = clock_id(s, id);

	if (ret || (ret = scmi_proto(s, K, &pi)))
		return ret;
	v2 = SCMI_VERSION_MAJOR(pi->version) >= 2;
	ret = scmi_cmd(s, K, SCMI_CLOCK_ATTRIBUTES, &id, 1, false, x);
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		attr = rd_u32(&r);
		/* Version 3 defines bits 28:1 too; 2 only the top three. */
		if (SCMI_VERSION_MAJOR(pi->version) == 2)
			rd_mbz(&r, attr, 0x1ffffffeu,
			       "reserved attribute bits set");
		else if (!v2)
			rd_mbz(&r, attr, 0xfffffffeu,
			       "reserved attribute bits set");
		rd_name(&r, out->name);
		/* The enable latency arrived with version 2.0. */
		out->enable_latency_us = v2 ? rd_u32(&r) : 0;
		out->enabled = attr & SCMI_CLOCK_ATTR_ENABLED;
		out->rate_notify = v2 && (attr & SCMI_CLOCK_ATTR_RATE_NOTIFY);
		out->rate_req_notify =
			v2 && (attr & SCMI_CLOCK_ATTR_RATE_REQ_NOTIFY);
		if (rd_end(&r))
			ret = scmi_bad(s, K, SCMI_CLOCK_ATTRIBUTES, r.why);
	}
	return ret;
}

int copro_scmi_clock_rates(struct copro_scmi *s, uint32_t id,
			   struct copro_scmi_clock_rates *out)
{
	struct scmi_xfer xs, *x = &xs;
	size_t total = 0;
	int ret = clock_id(s, id);

	memset(out, 0, sizeof(*out));
	if (ret)
		return ret;
	for (unsigned page = 0;; page++) {
		uint32_t w[2] = { id, (uint32_t)out->n };
		unsigned got, left;
		struct scmi_rd r;
		uint32_t f;

		if (page == SCMI_MAX_PAGES) {
			ret = scmi_bad(s, K, SCMI_CLOCK_DESCRIBE_RATES,
				       "the list never ends");
			break;
		}
		ret = scmi_cmd(s, K, SCMI_CLOCK_DESCRIBE_RATES, w, 2, false, x);
		if (ret)
			break;
		rd_init(&r, x->rx, x->rx_len);
		f = rd_mbz(&r, rd_u32(&r), SCMI_CLOCK_RATES_RESERVED,
			   "reserved count bits set");
		got = SCMI_CLOCK_RATES_RETURNED(f);
		left = SCMI_CLOCK_RATES_REMAINING(f);
		if (!r.err && rd_left(&r) != (size_t)got * 8)
			rd_fail(&r, "a count that does not match the rates");
		if (!r.err && (f & SCMI_CLOCK_RATES_RANGE)) {
			/* A triplet, whole, on the first page only. */
			if (page || got != 3 || left)
				rd_fail(&r, "a range that is not one triplet");
			out->range = true;
			out->min = rd_u64(&r);
			out->max = rd_u64(&r);
			out->step = rd_u64(&r);
			if (!r.err && (out->min > out->max ||
				       (!out->step && out->min != out->max)))
				rd_fail(&r, "a range with min above max or no"
					    " step");
			if (rd_end(&r))
				ret = scmi_bad(s, K, SCMI_CLOCK_DESCRIBE_RATES,
					       r.why);
			break;
		}
		if (!r.err && page == 0)
			total = got + left;
		if (!r.err && (out->n + got + left != total || (!got && left)))
			rd_fail(&r, "counts that do not add up across pages");
		if (!r.err && !out->rates && total) {
			out->rates = calloc(total, sizeof(*out->rates));
			if (!out->rates) {
				ret = -ENOMEM;
				break;
			}
		}
		for (unsigned i = 0; !r.err && i < got; i++) {
			out->rates[out->n + i] = rd_u64(&r);
			if (out->n + i &&
			    out->rates[out->n + i] <= out->rates[out->n + i - 1])
				rd_fail(&r, "rates that do not ascend");
		}
		if (rd_end(&r)) {
			ret = scmi_bad(s, K, SCMI_CLOCK_DESCRIBE_RATES, r.why);
			break;
		}
		out->n += got;
		if (!left)
			break;
	}
	if (ret) {
		free(out->rates);
		memset(out, 0, sizeof(*out));
	}
	return ret;
}

int copro_scmi_clock_rate_get(struct copro_scmi *s, uint32_t id,
			      uint64_t *rate)
{
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	int ret = clock_id(s, id);

	if (ret)
		return ret;
	ret = scmi_cmd(s, K, SCMI_CLOCK_RATE_GET, &id, 1, false, x);
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		*rate = rd_u64(&r);
		if (rd_end(&r))
			ret = scmi_bad(s, K, SCMI_CLOCK_RATE_GET, r.why);
	}
	return ret;
}

int copro_scmi_clock_rate_set(struct copro_scmi *s, uint32_t id,
			      uint64_t rate, uint32_t flags, uint64_t *set)
{
	uint32_t w[4] = { flags, id, (uint32_t)rate, (uint32_t)(rate >> 32) };
	bool async = flags & SCMI_CLOCK_SET_ASYNC;
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	int ret = clock_id(s, id);

	if (ret)
		return ret;
	if (flags & ~(uint32_t)(SCMI_CLOCK_SET_ASYNC | SCMI_CLOCK_SET_ROUND_UP |
				SCMI_CLOCK_SET_ROUND_AUTO))
		return -EINVAL;
	ret = scmi_cmd(s, K, SCMI_CLOCK_RATE_SET, w, 4, async, x);
	if (!ret && x->rx_len)
		ret = scmi_bad(s, K, SCMI_CLOCK_RATE_SET, "a payload after SUCCESS");
	if (!ret && async) {
		/* CLOCK_RATE_SET_COMPLETE: the clock and the rate it got. */
		rd_init(&r, x->dr, x->dr_len);
		if (rd_u32(&r) != id && !r.err)
			rd_fail(&r, "CLOCK_RATE_SET_COMPLETE for another clock");
		uint64_t got = rd_u64(&r);

		if (rd_end(&r))
			ret = scmi_bad(s, K, SCMI_CLOCK_RATE_SET, r.why);
		else if (set)
			*set = got;
	}
	return ret;
}

int copro_scmi_clock_enable(struct copro_scmi *s, uint32_t id, bool enable)
{
	uint32_t w[2] = { id, enable ? SCMI_CLOCK_CONFIG_ENABLE : 0 };
	struct scmi_xfer xs, *x = &xs;
	int ret = clock_id(s, id);

	if (ret)
		return ret;
	ret = scmi_cmd(s, K, SCMI_CLOCK_CONFIG_SET, w, 2, false, x);
	if (!ret && x->rx_len)
		ret = scmi_bad(s, K, SCMI_CLOCK_CONFIG_SET, "a payload after SUCCESS");
	return ret;
}
