/* SPDX-License-Identifier: MIT */
/*
 * The Performance protocol (0x13), version 3.0: discrete levels, limits
 * that bound the level, notifications of both. A level outside the
 * current limits is OUT_OF_RANGE; a value between two levels is not a
 * level (INVALID_PARAMETERS). Narrowing the limits moves the level into
 * them, and says so.
 */
#include <errno.h>

#include "scmi_internal.h"

static void perf_attributes_proto(struct sp_req *r)
{
	sp_out32(r, r->s->nperfs | SCMI_PERF_ATTR_POWER_MW);
	sp_out32(r, 0);
	sp_out32(r, 0);
	sp_out32(r, 0);
}

static bool domain(struct sp_req *r, uint32_t id, bool write)
{
	return sp_res_ok(r, id, r->s->nperfs, r->a->perf_rw, write);
}

static void perf_domain_attributes(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);
	struct sp_perf *f;
	uint32_t attr = 0;

	if (!domain(r, id, false))
		return;
	f = &r->s->perfs[id];
	if (r->a->perf_rw[id])
		attr |= SCMI_PERF_DOM_SET_LIMITS | SCMI_PERF_DOM_SET_LEVEL;
	if (r->a->has_p2a)
		attr |= SCMI_PERF_DOM_LIMITS_NOTIFY | SCMI_PERF_DOM_LEVEL_NOTIFY;
	sp_out32(r, attr);
	sp_out32(r, f->rate_limit_us & 0xfffff);
	sp_out32(r, f->sustained_khz);
	sp_out32(r, f->sustained_level);
	sp_out_name(r, f->name);
}

static void describe_levels(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0), index = sp_in32(r, 1);
	const struct sp_perf *f;
	unsigned fit, n;

	if (!domain(r, id, false))
		return;
	f = &r->s->perfs[id];
	if (index > f->nlevels) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	fit = (unsigned)((r->out_cap - 4) / (4 * SCMI_PERF_LEVEL_WORDS));
	n = f->nlevels - index < fit ? f->nlevels - index : fit;
	sp_out32(r, n | (f->nlevels - index - n) << 16);
	for (unsigned i = index; i < index + n; i++) {
		sp_out32(r, f->levels[i].level);
		sp_out32(r, f->levels[i].power);
		sp_out32(r, f->levels[i].latency_us);
	}
}

static bool is_level(const struct sp_perf *f, uint32_t level)
{
	for (unsigned i = 0; i < f->nlevels; i++)
		if (f->levels[i].level == level)
			return true;
	return false;
}

static void level_apply(struct copro_sim_scmi *s, uint32_t cause, uint32_t id,
			uint32_t level)
{
	struct sp_perf *f = &s->perfs[id];
	uint32_t w[2] = { id, level };

	if (f->level == level)
		return;
	f->level = level;
	sp_notify(s, cause, SCMI_PROTO_PERF, SCMI_PERF_EVT_LEVEL_CHANGED, id, w,
		  2);
}

void sp_perf_limits(struct copro_sim_scmi *s, uint32_t cause, uint32_t id,
		    uint32_t max, uint32_t min)
{
	struct sp_perf *f = &s->perfs[id];
	uint32_t w[3] = { id, max, min };

	if (f->max == max && f->min == min)
		return;
	f->max = max;
	f->min = min;
	sp_notify(s, cause, SCMI_PROTO_PERF, SCMI_PERF_EVT_LIMITS_CHANGED, id, w,
		  3);
	/* The highest level the new limits allow, or the lowest. */
	if (f->level > max || f->level < min) {
		uint32_t to = f->levels[0].level;

		for (unsigned i = 0; i < f->nlevels; i++)
			if (f->levels[i].level <= max &&
			    f->levels[i].level >= min)
				to = f->levels[i].level;
		level_apply(s, cause, id, to);
	}
}

static void limits_set(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0), max = sp_in32(r, 1), min = sp_in32(r, 2);
	const struct sp_perf *f;

	if (!domain(r, id, true))
		return;
	f = &r->s->perfs[id];
	if (min > max) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	if (min < f->levels[0].level || max > f->levels[f->nlevels - 1].level) {
		r->status = SCMI_OUT_OF_RANGE;
		return;
	}
	sp_perf_limits(r->s, r->a->id, id, max, min);
}

static void limits_get(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);

	if (!domain(r, id, false))
		return;
	sp_out32(r, r->s->perfs[id].max);
	sp_out32(r, r->s->perfs[id].min);
}

static void level_set(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0), level = sp_in32(r, 1);
	const struct sp_perf *f;

	if (!domain(r, id, true))
		return;
	f = &r->s->perfs[id];
	if (level > f->max || level < f->min) {
		r->status = SCMI_OUT_OF_RANGE;
		return;
	}
	if (!is_level(f, level)) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	level_apply(r->s, r->a->id, id, level);
}

static void level_get(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0);

	if (!domain(r, id, false))
		return;
	sp_out32(r, r->s->perfs[id].level);
}

static void notify(struct sp_req *r, unsigned evt)
{
	uint32_t id = sp_in32(r, 0);
	bool on;

	if (!domain(r, id, false) || !sp_notify_arg(r, sp_in32(r, 1), &on))
		return;
	if (on)
		r->a->perf_ntf[id] |= (uint8_t)(1u << evt);
	else
		r->a->perf_ntf[id] &= (uint8_t)~(1u << evt);
}

static void notify_limits(struct sp_req *r)
{
	notify(r, SCMI_PERF_EVT_LIMITS_CHANGED);
}

static void notify_level(struct sp_req *r)
{
	notify(r, SCMI_PERF_EVT_LEVEL_CHANGED);
}

int copro_sim_scmi_perf_cap(struct copro_sim_scmi *s, uint32_t id,
			    uint32_t max, uint32_t min)
{
	int ret = 0;

	copro_mutex_lock(&s->lock);
	if (id >= s->nperfs)
		ret = -ENOENT;
	else if (min > max || min < s->perfs[id].levels[0].level ||
		 max > s->perfs[id].levels[s->perfs[id].nlevels - 1].level)
		ret = -ERANGE;
	else
		sp_perf_limits(s, 0, id, max, min);
	copro_mutex_unlock(&s->lock);
	copro_event_signal(&s->wake);
	return ret;
}

static const struct sp_msg_desc perf_msgs[] = {
	SP_COMMON_MSGS,
	[SCMI_PERF_DOMAIN_ATTRIBUTES] = { perf_domain_attributes, 4 },
	[SCMI_PERF_DESCRIBE_LEVELS] = { describe_levels, 8 },
	[SCMI_PERF_LIMITS_SET] = { limits_set, 12 },
	[SCMI_PERF_LIMITS_GET] = { limits_get, 4 },
	[SCMI_PERF_LEVEL_SET] = { level_set, 8 },
	[SCMI_PERF_LEVEL_GET] = { level_get, 4 },
	[SCMI_PERF_NOTIFY_LIMITS] = { notify_limits, 8 },
	[SCMI_PERF_NOTIFY_LEVEL] = { notify_level, 8 },
	[SCMI_PERF_DESCRIBE_FASTCHANNEL] = { NULL, -1 },
	[SCMI_PERF_DOMAIN_NAME_GET] = { NULL, -1 },
};

const struct sp_proto sp_proto_perf = {
	.id = SCMI_PROTO_PERF,
	.version = SP_VERSION_PERF,
	.msgs = perf_msgs,
	.nmsgs = sizeof(perf_msgs) / sizeof(perf_msgs[0]),
	.attributes = perf_attributes_proto,
};
