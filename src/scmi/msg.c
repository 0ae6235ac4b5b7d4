/* SPDX-License-Identifier: MIT */
/*
 * The sans-I/O part of the agent: reading an answer with every bound and
 * reserved bit checked, and the names of statuses, protocols and
 * messages.
 */
#include <errno.h>
#include <string.h>

#include "scmi/scmi_internal.h"

void rd_fail(struct scmi_rd *r, const char *why)
{
	if (!r->err) {
		r->err = -EPROTO;
		r->why = why;
	}
}

void rd_name(struct scmi_rd *r, char out[SCMI_NAME_LEN])
{
	memset(out, 0, SCMI_NAME_LEN);
	if (r->err)
		return;
	if (r->len - r->off < SCMI_NAME_LEN || r->off > r->len) {
		rd_fail(r, "the answer is shorter than its name field");
		return;
	}
	/* Untrusted: stop at the first NUL, keep printable bytes only. */
	for (size_t i = 0; i < SCMI_NAME_LEN - 1; i++) {
		uint8_t c = r->p[r->off + i];

		if (!c)
			break;
		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	r->off += SCMI_NAME_LEN;
}

uint32_t rd_mbz(struct scmi_rd *r, uint32_t v, uint32_t mask,
		const char *field)
{
	if (v & mask)
		rd_fail(r, field);
	return v;
}

size_t rd_left(const struct scmi_rd *r)
{
	return r->err || r->off > r->len ? 0 : r->len - r->off;
}

/* ---- names ---------------------------------------------------------------- */

const char *copro_scmi_status_name(int32_t status)
{
	static const char *const names[] = {
		"SUCCESS",	 "NOT_SUPPORTED", "INVALID_PARAMETERS",
		"DENIED",	 "NOT_FOUND",	  "OUT_OF_RANGE",
		"BUSY",		 "COMMS_ERROR",	  "GENERIC_ERROR",
		"HARDWARE_ERROR", "PROTOCOL_ERROR",
	};

	if (status > 0 || status < SCMI_STATUS_MIN)
		return "(not a status)";
	return names[-status];
}

int copro_scmi_status_errno(int32_t status)
{
	switch (status) {
	case SCMI_SUCCESS: return 0;
	case SCMI_NOT_SUPPORTED: return -EOPNOTSUPP;
	case SCMI_INVALID_PARAMETERS: return -EINVAL;
	case SCMI_DENIED: return -EACCES;
	case SCMI_NOT_FOUND: return -ENOENT;
	case SCMI_OUT_OF_RANGE: return -ERANGE;
	case SCMI_BUSY: return -EBUSY;
	case SCMI_COMMS_ERROR: return -ECOMM;
	case SCMI_GENERIC_ERROR: return -EIO;
	case SCMI_HARDWARE_ERROR: return -EREMOTEIO;
	case SCMI_PROTOCOL_ERROR: return -EBADMSG;
	}
	return -EPROTO;
}

const char *copro_scmi_protocol_name(unsigned proto)
{
	switch (proto) {
	case SCMI_PROTO_BASE: return "base";
	case SCMI_PROTO_POWER: return "power domain";
	case SCMI_PROTO_SYSTEM: return "system power";
	case SCMI_PROTO_PERF: return "performance";
	case SCMI_PROTO_CLOCK: return "clock";
	case SCMI_PROTO_SENSOR: return "sensor";
	case SCMI_PROTO_RESET: return "reset";
	case 0x17: return "voltage";
	case 0x18: return "power capping";
	case 0x19: return "pin control";
	}
	return proto >= 0x80 ? "vendor" : "unknown";
}

struct msg_name {
	uint8_t proto, msg;
	const char *name;
};

static const struct msg_name commands[] = {
	{ SCMI_PROTO_BASE, 3, "BASE_DISCOVER_VENDOR" },
	{ SCMI_PROTO_BASE, 4, "BASE_DISCOVER_SUB_VENDOR" },
	{ SCMI_PROTO_BASE, 5, "BASE_DISCOVER_IMPLEMENTATION_VERSION" },
	{ SCMI_PROTO_BASE, 6, "BASE_DISCOVER_LIST_PROTOCOLS" },
	{ SCMI_PROTO_BASE, 7, "BASE_DISCOVER_AGENT" },
	{ SCMI_PROTO_BASE, 8, "BASE_NOTIFY_ERRORS" },
	{ SCMI_PROTO_BASE, 9, "BASE_SET_DEVICE_PERMISSIONS" },
	{ SCMI_PROTO_BASE, 10, "BASE_SET_PROTOCOL_PERMISSIONS" },
	{ SCMI_PROTO_BASE, 11, "BASE_RESET_AGENT_CONFIGURATION" },
	{ SCMI_PROTO_POWER, 3, "POWER_DOMAIN_ATTRIBUTES" },
	{ SCMI_PROTO_POWER, 4, "POWER_STATE_SET" },
	{ SCMI_PROTO_POWER, 5, "POWER_STATE_GET" },
	{ SCMI_PROTO_POWER, 6, "POWER_STATE_NOTIFY" },
	{ SCMI_PROTO_POWER, 7, "POWER_STATE_CHANGE_REQUESTED_NOTIFY" },
	{ SCMI_PROTO_SYSTEM, 3, "SYSTEM_POWER_STATE_SET" },
	{ SCMI_PROTO_SYSTEM, 4, "SYSTEM_POWER_STATE_GET" },
	{ SCMI_PROTO_SYSTEM, 5, "SYSTEM_POWER_STATE_NOTIFY" },
	{ SCMI_PROTO_PERF, 3, "PERFORMANCE_DOMAIN_ATTRIBUTES" },
	{ SCMI_PROTO_PERF, 4, "PERFORMANCE_DESCRIBE_LEVELS" },
	{ SCMI_PROTO_PERF, 5, "PERFORMANCE_LIMITS_SET" },
	{ SCMI_PROTO_PERF, 6, "PERFORMANCE_LIMITS_GET" },
	{ SCMI_PROTO_PERF, 7, "PERFORMANCE_LEVEL_SET" },
	{ SCMI_PROTO_PERF, 8, "PERFORMANCE_LEVEL_GET" },
	{ SCMI_PROTO_PERF, 9, "PERFORMANCE_NOTIFY_LIMITS" },
	{ SCMI_PROTO_PERF, 10, "PERFORMANCE_NOTIFY_LEVEL" },
	{ SCMI_PROTO_PERF, 11, "PERFORMANCE_DESCRIBE_FASTCHANNEL" },
	{ SCMI_PROTO_CLOCK, 3, "CLOCK_ATTRIBUTES" },
	{ SCMI_PROTO_CLOCK, 4, "CLOCK_DESCRIBE_RATES" },
	{ SCMI_PROTO_CLOCK, 5, "CLOCK_RATE_SET" },
	{ SCMI_PROTO_CLOCK, 6, "CLOCK_RATE_GET" },
	{ SCMI_PROTO_CLOCK, 7, "CLOCK_CONFIG_SET" },
	{ SCMI_PROTO_CLOCK, 8, "CLOCK_NAME_GET" },
	{ SCMI_PROTO_CLOCK, 9, "CLOCK_RATE_NOTIFY" },
	{ SCMI_PROTO_CLOCK, 10, "CLOCK_RATE_CHANGE_REQUESTED_NOTIFY" },
	{ SCMI_PROTO_SENSOR, 3, "SENSOR_DESCRIPTION_GET" },
	{ SCMI_PROTO_SENSOR, 4, "SENSOR_TRIP_POINT_NOTIFY" },
	{ SCMI_PROTO_SENSOR, 5, "SENSOR_TRIP_POINT_CONFIG" },
	{ SCMI_PROTO_SENSOR, 6, "SENSOR_READING_GET" },
	{ SCMI_PROTO_RESET, 3, "RESET_DOMAIN_ATTRIBUTES" },
	{ SCMI_PROTO_RESET, 4, "RESET" },
	{ SCMI_PROTO_RESET, 5, "RESET_NOTIFY" },
};

static const struct msg_name delayed[] = {
	{ SCMI_PROTO_CLOCK, 5, "CLOCK_RATE_SET_COMPLETE" },
	{ SCMI_PROTO_SENSOR, 6, "SENSOR_READING_COMPLETE" },
	{ SCMI_PROTO_RESET, 4, "RESET_COMPLETE" },
};

static const struct msg_name events[] = {
	{ SCMI_PROTO_BASE, 0, "BASE_ERROR_EVENT" },
	{ SCMI_PROTO_POWER, 0, "POWER_STATE_CHANGED" },
	{ SCMI_PROTO_SYSTEM, 0, "SYSTEM_POWER_STATE_NOTIFIER" },
	{ SCMI_PROTO_PERF, 0, "PERFORMANCE_LIMITS_CHANGED" },
	{ SCMI_PROTO_PERF, 1, "PERFORMANCE_LEVEL_CHANGED" },
	{ SCMI_PROTO_CLOCK, 0, "CLOCK_RATE_CHANGED" },
	{ SCMI_PROTO_CLOCK, 1, "CLOCK_RATE_CHANGE_REQUESTED" },
	{ SCMI_PROTO_SENSOR, 0, "SENSOR_TRIP_POINT_EVENT" },
	{ SCMI_PROTO_RESET, 0, "RESET_ISSUED" },
};

static const char *find(const struct msg_name *t, size_t n, unsigned proto,
			unsigned msg)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].proto == proto && t[i].msg == msg)
			return t[i].name;
	return NULL;
}

const char *copro_scmi_message_name(unsigned proto, unsigned type,
				    unsigned msg)
{
	const char *n = NULL;

	switch (type) {
	case SCMI_MSG_COMMAND:
		switch (msg) {
		case SCMI_PROTOCOL_VERSION: return "PROTOCOL_VERSION";
		case SCMI_PROTOCOL_ATTRIBUTES: return "PROTOCOL_ATTRIBUTES";
		case SCMI_PROTOCOL_MESSAGE_ATTRIBUTES:
			return "PROTOCOL_MESSAGE_ATTRIBUTES";
		}
		n = find(commands, sizeof(commands) / sizeof(commands[0]),
			 proto, msg);
		break;
	case SCMI_MSG_DELAYED_RESP:
		n = find(delayed, sizeof(delayed) / sizeof(delayed[0]), proto,
			 msg);
		break;
	case SCMI_MSG_NOTIFICATION:
		n = find(events, sizeof(events) / sizeof(events[0]), proto,
			 msg);
		break;
	}
	return n ? n : "(unknown message)";
}
