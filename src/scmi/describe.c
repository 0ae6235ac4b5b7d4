/* SPDX-License-Identifier: MIT */
/*
 * SCMI messages as one line of text, for tracing. Each message's fields
 * are named in a small table: "clock_id rate:64 name:s". Unknown
 * messages, or payloads that do not fit their table, print as words.
 *
 * Field kinds: plain (32-bit, decimal), ":x" (hex), ":64" (two words,
 * low first), ":s" (a 16-byte name), "*" (every remaining word, hex).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scmi/scmi_internal.h"

struct fields {
	uint8_t proto, type, msg;
	bool response;
	const char *spec;
};

#define CMD(p, m, req, resp)                                                 \
	{ p, SCMI_MSG_COMMAND, m, false, req },                              \
		{ p, SCMI_MSG_COMMAND, m, true, resp }

static const struct fields table[] = {
	/* Every protocol. */
	CMD(0, 0, "", "version:x"),
	CMD(0, 1, "", "attributes:x *"),
	CMD(0, 2, "message_id", "attributes:x"),
	CMD(SCMI_PROTO_BASE, 3, "", "vendor:s"),
	CMD(SCMI_PROTO_BASE, 4, "", "sub_vendor:s"),
	CMD(SCMI_PROTO_BASE, 5, "", "implementation_version:x"),
	CMD(SCMI_PROTO_BASE, 6, "skip", "num_protocols protocols:x *"),
	CMD(SCMI_PROTO_BASE, 7, "agent_id", "agent_id name:s"),
	CMD(SCMI_PROTO_BASE, 8, "notify_enable", ""),
	CMD(SCMI_PROTO_POWER, 3, "domain_id", "attributes:x name:s"),
	CMD(SCMI_PROTO_POWER, 4, "flags:x domain_id state:x", ""),
	CMD(SCMI_PROTO_POWER, 5, "domain_id", "state:x"),
	CMD(SCMI_PROTO_POWER, 6, "domain_id notify_enable", ""),
	CMD(SCMI_PROTO_SYSTEM, 3, "flags:x system_state", ""),
	CMD(SCMI_PROTO_SYSTEM, 4, "", "system_state"),
	CMD(SCMI_PROTO_SYSTEM, 5, "notify_enable", ""),
	CMD(SCMI_PROTO_PERF, 3, "domain_id",
	    "attributes:x rate_limit_us sustained_khz sustained_level name:s"),
	CMD(SCMI_PROTO_PERF, 4, "domain_id level_index", "num_levels:x *"),
	CMD(SCMI_PROTO_PERF, 5, "domain_id max min", ""),
	CMD(SCMI_PROTO_PERF, 6, "domain_id", "max min"),
	CMD(SCMI_PROTO_PERF, 7, "domain_id level", ""),
	CMD(SCMI_PROTO_PERF, 8, "domain_id", "level"),
	CMD(SCMI_PROTO_PERF, 9, "domain_id notify_enable", ""),
	CMD(SCMI_PROTO_PERF, 10, "domain_id notify_enable", ""),
	CMD(SCMI_PROTO_CLOCK, 3, "clock_id",
	    "attributes:x name:s enable_latency_us"),
	CMD(SCMI_PROTO_CLOCK, 4, "clock_id rate_index", "num_rates:x *"),
	CMD(SCMI_PROTO_CLOCK, 5, "flags:x clock_id rate:64", ""),
	CMD(SCMI_PROTO_CLOCK, 6, "clock_id", "rate:64"),
	CMD(SCMI_PROTO_CLOCK, 7, "clock_id attributes:x", ""),
	CMD(SCMI_PROTO_CLOCK, 9, "clock_id notify_enable", ""),
	CMD(SCMI_PROTO_CLOCK, 10, "clock_id notify_enable", ""),
	CMD(SCMI_PROTO_SENSOR, 3, "desc_index", "num_sensors:x *"),
	CMD(SCMI_PROTO_SENSOR, 6, "sensor_id flags:x", "value:64"),
	CMD(SCMI_PROTO_RESET, 3, "domain_id", "attributes:x latency_us name:s"),
	CMD(SCMI_PROTO_RESET, 4, "domain_id flags:x state:x", ""),
	CMD(SCMI_PROTO_RESET, 5, "domain_id notify_enable", ""),
	/* Delayed responses (after the status). */
	{ SCMI_PROTO_CLOCK, SCMI_MSG_DELAYED_RESP, 5, true, "clock_id rate:64" },
	{ SCMI_PROTO_SENSOR, SCMI_MSG_DELAYED_RESP, 6, true,
	  "sensor_id value:64" },
	{ SCMI_PROTO_RESET, SCMI_MSG_DELAYED_RESP, 4, true, "domain_id" },
	/* Notifications. */
	{ SCMI_PROTO_BASE, SCMI_MSG_NOTIFICATION, 0, false,
	  "agent_id error_status:x *" },
	{ SCMI_PROTO_POWER, SCMI_MSG_NOTIFICATION, 0, false,
	  "agent_id domain_id state:x" },
	{ SCMI_PROTO_SYSTEM, SCMI_MSG_NOTIFICATION, 0, false,
	  "agent_id flags:x system_state timeout" },
	{ SCMI_PROTO_PERF, SCMI_MSG_NOTIFICATION, 0, false,
	  "agent_id domain_id max min" },
	{ SCMI_PROTO_PERF, SCMI_MSG_NOTIFICATION, 1, false,
	  "agent_id domain_id level" },
	{ SCMI_PROTO_CLOCK, SCMI_MSG_NOTIFICATION, 0, false,
	  "agent_id clock_id rate:64" },
	{ SCMI_PROTO_CLOCK, SCMI_MSG_NOTIFICATION, 1, false,
	  "agent_id clock_id rate:64" },
	{ SCMI_PROTO_RESET, SCMI_MSG_NOTIFICATION, 0, false,
	  "agent_id domain_id state:x" },
};

static const char *spec_of(unsigned proto, unsigned type, unsigned msg,
			   bool response)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct fields *f = &table[i];

		if (f->type == type && f->msg == msg &&
		    f->response == response &&
		    (f->proto == proto ||
		     (f->proto == 0 && msg <= 2 && type == 0)))
			return f->spec;
	}
	return NULL;
}

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->size - o->len ? (size_t)n
						       : o->size - o->len - 1;
}

static void words(struct out *o, const uint8_t *p, size_t len, size_t max)
{
	size_t i;

	for (i = 0; i + 4 <= len && i / 4 < max; i += 4)
		put(o, " 0x%08" PRIx32, copro_get_le32(p + i));
	if (i + 4 <= len)
		put(o, " ...(%zu bytes)", len);
	else if (i < len)
		put(o, " +%zu byte(s)", len - i);
}

/* Fields as the spec names them; false when the payload does not fit. */
static bool fields(struct out *o, const char *spec, const uint8_t *p,
		   size_t len)
{
	size_t off = 0;
	char name[48];

	while (*spec) {
		size_t n = strcspn(spec, " ");
		char *kind;

		if (n >= sizeof(name))
			return false;
		memcpy(name, spec, n);
		name[n] = 0;
		spec += n + (spec[n] == ' ');
		if (!strcmp(name, "*")) {
			words(o, p + off, len - off, 16);
			return true;
		}
		kind = strchr(name, ':');
		if (kind)
			*kind++ = 0;
		if (kind && !strcmp(kind, "s")) {
			char s[SCMI_NAME_LEN];
			struct scmi_rd r;

			rd_init(&r, p + off, len - off);
			rd_name(&r, s);
			if (r.err)
				return false;
			put(o, " %s=\"%s\"", name, s);
			off += SCMI_NAME_LEN;
		} else if (kind && !strcmp(kind, "64")) {
			if (len - off < 8)
				return false;
			put(o, " %s=%" PRIu64, name,
			    copro_get_le32(p + off) | (uint64_t)copro_get_le32(p + off + 4) << 32);
			off += 8;
		} else {
			if (len - off < 4)
				return false;
			if (kind)
				put(o, " %s=0x%" PRIx32, name, copro_get_le32(p + off));
			else
				put(o, " %s=%" PRIu32, name, copro_get_le32(p + off));
			off += 4;
		}
	}
	if (off < len)
		put(o, " +%zu byte(s)", len - off);
	return true;
}

const char *copro_scmi_describe(uint32_t header, const uint8_t *payload,
				size_t len, bool is_response, char *buf,
				size_t size)
{
	unsigned proto = scmi_hdr_proto(header), msg = scmi_hdr_msg(header);
	unsigned type = scmi_hdr_type(header);
	struct out o = { buf, size, 0 };
	bool resp = (is_response && type == SCMI_MSG_COMMAND) ||
		    type == SCMI_MSG_DELAYED_RESP;
	const char *spec;
	size_t mark;

	if (!size)
		return buf;
	buf[0] = 0;
	put(&o, "%s %s token=%u", copro_scmi_protocol_name(proto),
	    copro_scmi_message_name(proto, type, msg), scmi_hdr_token(header));
	if (resp) {
		if (len < 4) {
			put(&o, " (no status)");
			words(&o, payload, len, 4);
			return buf;
		}
		int32_t st = (int32_t)copro_get_le32(payload);

		put(&o, " %s", copro_scmi_status_name(st));
		payload += 4;
		len -= 4;
		if (st != SCMI_SUCCESS) {
			if (len)
				words(&o, payload, len, 4);
			return buf;
		}
	}
	spec = spec_of(proto, type, msg, resp);
	mark = o.len;
	if (!spec || !fields(&o, spec, payload, len)) {
		o.len = mark;
		buf[mark] = 0;
		words(&o, payload, len, 16);
	}
	return buf;
}
