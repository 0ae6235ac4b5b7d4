/* SPDX-License-Identifier: MIT */
/*
 * The Sensor protocol (0x15), version 1.0: 28-byte descriptors, readings
 * synchronous or asynchronous (SENSOR_READING_COMPLETE as the delayed
 * response). Trip points are not implemented (no sensor has any).
 */
#include <errno.h>

#include "scmi_internal.h"

static void sensor_attributes_proto(struct sp_req *r)
{
	sp_out32(r, r->s->nsensors | sp_max_async(r->a) << 16);
	sp_out32(r, 0);
	sp_out32(r, 0);
	sp_out32(r, 0);
}

static void description_get(struct sp_req *r)
{
	uint32_t index = sp_in32(r, 0);
	unsigned n, fit, total = r->s->nsensors;

	if (index > total) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	fit = (unsigned)((r->out_cap - 4) / SCMI_SENSOR_DESC_SIZE);
	n = total - index < fit ? total - index : fit;
	sp_out32(r, n | (total - index - n) << 16);
	for (unsigned i = index; i < index + n; i++) {
		const struct sp_sensor *x = &r->s->sensors[i];
		uint32_t lo = 0, hi;

		if (x->async && sp_max_async(r->a))
			lo |= SCMI_SENSOR_ATTRL_ASYNC;
		hi = x->type | ((uint32_t)x->scale & 0x1fu) << 11;
		sp_out32(r, i);
		sp_out32(r, lo);
		sp_out32(r, hi);
		sp_out_name(r, x->name);
	}
}

static void reading_get(struct sp_req *r)
{
	uint32_t id = sp_in32(r, 0), flags = sp_in32(r, 1);
	const struct sp_sensor *x;

	if (flags & ~SCMI_SENSOR_READ_ASYNC) {
		r->status = SCMI_INVALID_PARAMETERS;
		return;
	}
	if (!sp_res_ok(r, id, r->s->nsensors, r->a->sensor_rw, false))
		return;
	x = &r->s->sensors[id];
	if (!(flags & SCMI_SENSOR_READ_ASYNC)) {
		sp_out64(r, (uint64_t)x->value);
		return;
	}
	if (!x->async || !sp_max_async(r->a)) {
		r->status = SCMI_NOT_SUPPORTED;
		return;
	}
	sp_async_start(r, SP_JOB_SENSOR, id, 0, x->async_ns, true,
		       &r->a->sensor_async);
}

void sp_sensor_job(struct copro_sim_scmi *s, const struct sp_job *j)
{
	uint64_t v = (uint64_t)s->sensors[j->id].value;
	uint32_t w[3] = { j->id, (uint32_t)v, (uint32_t)(v >> 32) };

	j->a->sensor_async--;
	sp_delayed(s, j->a, j->hdr, SCMI_SUCCESS, w, 3);
}

int copro_sim_scmi_sensor_set(struct copro_sim_scmi *s, uint32_t id,
			      int64_t value)
{
	int ret = 0;

	copro_mutex_lock(&s->lock);
	if (id < s->nsensors)
		s->sensors[id].value = value;
	else
		ret = -ENOENT;
	copro_mutex_unlock(&s->lock);
	return ret;
}

static const struct sp_msg_desc sensor_msgs[] = {
	SP_COMMON_MSGS,
	[SCMI_SENSOR_DESCRIPTION_GET] = { description_get, 4 },
	[SCMI_SENSOR_TRIP_POINT_NOTIFY] = { NULL, -1 },
	[SCMI_SENSOR_TRIP_POINT_CONFIG] = { NULL, -1 },
	[SCMI_SENSOR_READING_GET] = { reading_get, 8 },
};

const struct sp_proto sp_proto_sensor = {
	.id = SCMI_PROTO_SENSOR,
	.version = SP_VERSION_SENSOR,
	.msgs = sensor_msgs,
	.nmsgs = sizeof(sensor_msgs) / sizeof(sensor_msgs[0]),
	.attributes = sensor_attributes_proto,
};
