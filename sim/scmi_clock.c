/* SPDX-License-Identifier: MIT */
/*
 * The Clock protocol (0x14), version 2.0: rates as a list or a range,
 * rate changes synchronous or asynchronous (with CLOCK_RATE_SET_COMPLETE
 * as the delayed response), enable, and rate notifications. A requested
 * rate is rounded down, up or to the nearest supported rate as the flags
 * say; outside the clock's span it is OUT_OF_RANGE.
 */
#include "scmi_internal.h"

static void clock_attributes_proto(struct sp_req *r)
{
	sp_out32(r, r->s->nclocks | sp_max_async(r->a) << 16);
}

static bool clk_ok(struct sp_req *r, uint32_t id, bool write)
{
	return sp_res_ok(r, id, r->s->nclocks, r->a->clock_rw, write);
}

static void clock_attributes(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);
	const struct sp_clock *k;
	uint32_t attr = 0;

	if (!clk_ok(r, id, false))
		return;
	k = &r->s->clocks[id];
	if (r->a->has_p2a)
		attr |= SCMI_CLOCK_ATTR_RATE_NOTIFY |
			SCMI_CLOCK_ATTR_RATE_REQ_NOTIFY;
	if (k->enabled)
		attr |= SCMI_CLOCK_ATTR_ENABLED;
	sp_out32(r, attr);
	sp_out_name(r, k->name);
	sp_out32(r, k->latency_us);
}

static void describe_rates(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0), index = sp_in32(r, 1);
	const struct sp_clock *k;
	unsigned fit, n;

	if (!clk_ok(r, id, false))
		return;
	k = &r->s->clocks[id];
	if (k->range) {
		if (index) {
			r->status = SCMI_INVALID_PARAMETERS;
			return;
		}
		sp_out32(r, 3 | SCMI_CLOCK_RATES_RANGE);
		sp_out64(r, k->min);
		sp_out64(r, k->max);
		sp_out64(r, k->step);
		return;
	}
	if (index > k->nrates) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	fit = (unsigned)((r->out_cap - 4) / 8);
	n = k->nrates - index < fit ? k->nrates - index : fit;
	sp_out32(r, n | (k->nrates - index - n) << 16);
	for (unsigned i = index; i < index + n; i++)
		sp_out64(r, k->rates[i]);
}

/* The supported rate `want` rounds to; false when outside the span. */
static bool round_rate(const struct sp_clock *k, uint64_t want, uint32_t flags,
		       uint64_t *out)
{
	bool up = flags & SCMI_CLOCK_SET_ROUND_UP;
	bool nearest = flags & SCMI_CLOCK_SET_ROUND_AUTO;
	uint64_t lo, hi;

	if (k->range) {
		if (want < k->min || want > k->max)
			return false;
		lo = k->min + (want - k->min) / k->step * k->step;
		hi = lo == want ? lo : lo + k->step;
	} else {
		if (want < k->rates[0] || want > k->rates[k->nrates - 1])
			return false;
		lo = hi = k->rates[0];
		for (unsigned i = 0; i < k->nrates; i++) {
			if (k->rates[i] <= want)
				lo = k->rates[i];
			if (k->rates[i] >= want) {
				hi = k->rates[i];
				break;
			}
		}
	}
	if (nearest)
		*out = want - lo <= hi - want ? lo : hi;
	else
		*out = up ? hi : lo;
	return true;
}

static void rate_apply(struct copro_sim_scmi *s, uint32_t cause, uint32_t id,
		       uint64_t rate)
{
	uint32_t w[3] = { id, (uint32_t)rate, (uint32_t)(rate >> 32) };

	if (s->clocks[id].rate == rate)
		return;
	s->clocks[id].rate = rate;
	sp_notify(s, cause, SCMI_PROTO_CLOCK, SCMI_CLOCK_EVT_RATE_CHANGED, id,
		  w, 3);
}

static void rate_set(struct sp_req *r)
{
	uint32_t flags = sp_in32(r, 0), id = sp_in32(r, 1);
	uint64_t want = sp_in32(r, 2) | (uint64_t)sp_in32(r, 3) << 32, rate;
	bool async = flags & SCMI_CLOCK_SET_ASYNC;

	if (flags & SCMI_CLOCK_SET_RESERVED) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	if (!clk_ok(r, id, true))
		return;
	if (!round_rate(&r->s->clocks[id], want, flags, &rate)) {
		r->status = SCMI_OUT_OF_RANGE;
		return;
	}
	if (async && !sp_max_async(r->a)) {
		r->status = SCMI_NOT_SUPPORTED;
		return;
	}
	if (async && r->a->clock_async >= sp_max_async(r->a)) {
		r->status = SCMI_BUSY;
		return;
	}
	uint32_t w[3] = { id, (uint32_t)rate, (uint32_t)(rate >> 32) };

	sp_notify(r->s, r->a->id, SCMI_PROTO_CLOCK,
		  SCMI_CLOCK_EVT_RATE_CHANGE_REQUESTED, id, w, 3);
	if (!async) {
		rate_apply(r->s, r->a->id, id, rate);
		return;
	}
	sp_async_start(r, SP_JOB_CLOCK_RATE, id, rate, r->s->clocks[id].async_ns,
		       !(flags & SCMI_CLOCK_SET_IGNORE_DELAYED),
		       &r->a->clock_async);
}

void sp_clock_job(struct copro_sim_scmi *s, const struct sp_job *j)
{
	uint32_t w[3] = { j->id, (uint32_t)j->arg, (uint32_t)(j->arg >> 32) };

	j->a->clock_async--;
	rate_apply(s, j->a->id, j->id, j->arg);
	if (j->respond)
		sp_delayed(s, j->a, j->hdr, SCMI_SUCCESS, w, 3);
}

static void rate_get(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);

	if (!clk_ok(r, id, false))
		return;
	sp_out64(r, r->s->clocks[id].rate);
}

static void config_set(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0), attr = sp_in32(r, 1);

	if (attr & SCMI_CLOCK_CONFIG_RESERVED) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	if (!clk_ok(r, id, true))
		return;
	r->s->clocks[id].enabled = attr & SCMI_CLOCK_CONFIG_ENABLE;
}

static void notify(struct sp_req *r, unsigned evt)
{
	uint32_t id = sp_in32(r, 0);
	bool on;

	if (!clk_ok(r, id, false) || !sp_notify_arg(r, sp_in32(r, 1), &on))
		return;
	if (on)
		r->a->clock_ntf[id] |= (uint8_t)(1u << evt);
	else
		r->a->clock_ntf[id] &= (uint8_t)~(1u << evt);
}

static void rate_notify(struct sp_req *r)
{
	notify(r, SCMI_CLOCK_EVT_RATE_CHANGED);
}

static void rate_req_notify(struct sp_req *r)
{
	notify(r, SCMI_CLOCK_EVT_RATE_CHANGE_REQUESTED);
}

static const struct sp_msg_desc clock_msgs[] = {
	SP_COMMON_MSGS,
	[SCMI_CLOCK_ATTRIBUTES] = { clock_attributes, 4 },
	[SCMI_CLOCK_DESCRIBE_RATES] = { describe_rates, 8 },
	[SCMI_CLOCK_RATE_SET] = { rate_set, 16 },
	[SCMI_CLOCK_RATE_GET] = { rate_get, 4 },
	[SCMI_CLOCK_CONFIG_SET] = { config_set, 8 },
	[SCMI_CLOCK_NAME_GET] = { NULL, -1 },
	[SCMI_CLOCK_RATE_NOTIFY] = { rate_notify, 8 },
	[SCMI_CLOCK_RATE_CHANGE_REQUESTED_NOTIFY] = { rate_req_notify, 8 },
};

const struct sp_proto sp_proto_clock = {
	.id = SCMI_PROTO_CLOCK,
	.version = SP_VERSION_CLOCK,
	.msgs = clock_msgs,
	.nmsgs = sizeof(clock_msgs) / sizeof(clock_msgs[0]),
	.attributes = clock_attributes_proto,
};
