/* SPDX-License-Identifier: MIT */
/*
 * The Sensor protocol (0x15), version 1.0, from the agent's side: the
 * 28-byte descriptors, paged, and readings (asynchronous ones wait for
 * SENSOR_READING_COMPLETE).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scmi/scmi_internal.h"

#define S SCMI_PROTO_SENSOR

int copro_scmi_sensor_count(struct copro_scmi *s, unsigned *n)
{
	const struct scmi_proto *pi;
	int ret = scmi_proto(s, S, &pi);

	if (!ret)
		*n = SCMI_SENSOR_PATTR_SENSORS(pi->attr[0]);
	return ret;
}

const char *copro_scmi_sensor_unit(uint8_t type)
{
	switch (type) {
	case SCMI_SENSOR_TYPE_DEG_C: return "degrees C";
	case 3: return "degrees F";
	case 4: return "kelvin";
	case SCMI_SENSOR_TYPE_VOLTS: return "volts";
	case SCMI_SENSOR_TYPE_AMPS: return "amps";
	case SCMI_SENSOR_TYPE_WATTS: return "watts";
	case 8: return "joules";
	case 19: return "hertz";
	}
	return "";
}

int copro_scmi_sensor_list(struct copro_scmi *s,
			   struct copro_scmi_sensor_info **out, size_t *n)
{
	struct copro_scmi_sensor_info *v = NULL;
	struct scmi_xfer xs, *x = &xs;
	size_t have = 0;
	unsigned total;
	int ret = copro_scmi_sensor_count(s, &total);

	*out = NULL;
	*n = 0;
	if (ret)
		return ret;
	if (!total)
		return 0;
	v = calloc(total, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (unsigned page = 0; have < total; page++) {
		uint32_t idx = (uint32_t)have;
		unsigned got, left;
		struct scmi_rd r;
		uint32_t f;

		if (page == SCMI_MAX_PAGES) {
			ret = scmi_bad(s, S, SCMI_SENSOR_DESCRIPTION_GET,
				       "the list never ends");
			break;
		}
		ret = scmi_cmd(s, S, SCMI_SENSOR_DESCRIPTION_GET, &idx, 1, false,
			       x);
		if (ret)
			break;
		rd_init(&r, x->rx, x->rx_len);
		f = rd_mbz(&r, rd_u32(&r), 0x0000f000u,
			   "reserved count bits set");
		got = f & 0xfff;
		left = f >> 16;
		if (!r.err && (!got || have + got + left != total))
			rd_fail(&r, "counts that do not match the sensors");
		if (!r.err && rd_left(&r) != (size_t)got * SCMI_SENSOR_DESC_SIZE)
			rd_fail(&r, "a count that does not match the"
				    " descriptors");
		for (unsigned i = 0; !r.err && i < got; i++) {
			struct copro_scmi_sensor_info *d = &v[have + i];
			uint32_t lo, hi;
			int scale;

			d->id = rd_u32(&r);
			lo = rd_mbz(&r, rd_u32(&r), SCMI_SENSOR_ATTRL_RESERVED,
				    "reserved descriptor bits set");
			hi = rd_mbz(&r, rd_u32(&r), SCMI_SENSOR_ATTRH_RESERVED,
				    "reserved descriptor bits set");
			rd_name(&r, d->name);
			d->async = lo & SCMI_SENSOR_ATTRL_ASYNC;
			d->trip_points = SCMI_SENSOR_ATTRL_TRIPS(lo);
			d->type = (uint8_t)SCMI_SENSOR_ATTRH_TYPE(hi);
			scale = (int)SCMI_SENSOR_ATTRH_SCALE(hi);
			d->scale = scale >= 16 ? scale - 32 : scale;
			if (!r.err && d->id >= total)
				rd_fail(&r, "a sensor id it does not have");
		}
		if (rd_end(&r)) {
			ret = scmi_bad(s, S, SCMI_SENSOR_DESCRIPTION_GET, r.why);
			break;
		}
		have += got;
	}
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	*n = have;
	return 0;
}

int copro_scmi_sensor_read(struct copro_scmi *s, uint32_t id, bool async,
			   int64_t *value)
{
	uint32_t w[2] = { id, async ? SCMI_SENSOR_READ_ASYNC : 0 };
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	unsigned n;
	int ret = copro_scmi_sensor_count(s, &n);

	if (ret || (ret = scmi_check_id(s, S, id, n)))
		return ret;
	ret = scmi_cmd(s, S, SCMI_SENSOR_READING_GET, w, 2, async, x);
	if (!ret) {
		if (async) {
			/* SENSOR_READING_COMPLETE: the sensor, its value. */
			rd_init(&r, x->dr, x->dr_len);
			if (rd_u32(&r) != id && !r.err)
				rd_fail(&r, "a reading of another sensor");
			if (x->rx_len)
				rd_fail(&r, "a payload after SUCCESS");
		} else {
			rd_init(&r, x->rx, x->rx_len);
		}
		*value = (int64_t)rd_u64(&r);
		if (rd_end(&r))
			ret = scmi_bad(s, S, SCMI_SENSOR_READING_GET, r.why);
	}
	return ret;
}
