/* SPDX-License-Identifier: MIT */
/*
 * The SCMI agent against a scripted platform that sends each class of
 * malformed answer: the header (token, message, protocol, type, reserved
 * bits), the length (none, header only, short, long, odd, past the
 * area), the status (unknown values; each error as its errno), the area
 * (left busy, channel error, never answered), and each message's own
 * fields (reserved bits, names without a terminator, counts against the
 * payload, pages that do not add up, lists that do not ascend, ranges
 * that are not triplets, versions too new). Every one is an error, never
 * a crash or an overread (the suite also runs under ASan); good answers
 * around them still work. The script also plays OP-TEE's deviations, and
 * checks what the agent never asks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <copro/error.h>

#include "test_scmi.h"

enum tamper {
	T_NONE,
	T_TOKEN,
	T_MSG,
	T_PROTO,
	T_TYPE,
	T_HDR_RESERVED,
	T_LEN_ZERO,
	T_LEN_HDR,
	T_LEN_PAST,
	T_LEN_SHORT,
	T_LEN_LONG,
	T_LEN_ODD,
	T_STATUS,      /* the status word = arg */
	T_AREA_BUSY,
	T_AREA_ERROR,
	T_NEVER,
	T_WORD,	       /* payload word `at` (status is word 0) = arg */
	T_WORD_OR,     /* ... |= arg */
	T_TRUNCATE,    /* keep `at` payload words, length to match */
	T_FILL4,       /* payload words at..at+3 = arg (a whole name) */
};

struct scr {
	struct test_scmi *t;
	uint8_t proto, msg;
	enum tamper how;
	unsigned at, only_call; /* only_call: 0 every matching call, n: the nth */
	uint32_t arg;
	unsigned hits, calls;
};

static void apply(enum tamper how, unsigned at, uint32_t arg, size_t area,
		  struct copro_sim_scmi_area *a)
{
	uint32_t h = a->header;

	switch (how) {
	case T_NONE: break;
	case T_TOKEN:
		a->header = scmi_hdr(scmi_hdr_proto(h), scmi_hdr_msg(h), 0,
				     scmi_hdr_token(h) + 1);
		break;
	case T_MSG:
		a->header = scmi_hdr(scmi_hdr_proto(h), scmi_hdr_msg(h) + 1, 0,
				     scmi_hdr_token(h));
		break;
	case T_PROTO:
		a->header = scmi_hdr(scmi_hdr_proto(h) + 1, scmi_hdr_msg(h), 0,
				     scmi_hdr_token(h));
		break;
	case T_TYPE:
		a->header = h | SCMI_MSG_DELAYED_RESP << SCMI_HDR_TYPE_SHIFT;
		break;
	case T_HDR_RESERVED: a->header = h | 0x20000000u; break;
	case T_LEN_ZERO: a->length = 0; break;
	case T_LEN_HDR: a->length = 4; break;
	case T_LEN_PAST: a->length = (uint32_t)(area - SCMI_SHMEM_HEADER + 4); break;
	case T_LEN_SHORT: a->length -= 4; break;
	case T_LEN_LONG:
		memset(a->payload + a->payload_len, 0, 4);
		a->payload_len += 4;
		a->length += 4;
		break;
	case T_LEN_ODD:
		a->payload[a->payload_len] = 0;
		a->payload_len += 1;
		a->length += 1;
		break;
	case T_STATUS: memcpy(a->payload, &arg, 4); break;
	case T_AREA_BUSY: a->status = 0; break;
	case T_AREA_ERROR:
		a->status = SCMI_SHMEM_STATUS_FREE | SCMI_SHMEM_STATUS_ERROR;
		break;
	case T_NEVER: a->never_answer = true; break;
	case T_WORD: memcpy(a->payload + 4 * at, &arg, 4); break;
	case T_WORD_OR: {
		uint32_t w;

		memcpy(&w, a->payload + 4 * at, 4);
		w |= arg;
		memcpy(a->payload + 4 * at, &w, 4);
		break;
	}
	case T_FILL4:
		for (unsigned i = 0; i < 4; i++)
			memcpy(a->payload + 4 * (at + i), &arg, 4);
		break;
	case T_TRUNCATE:
		a->payload_len = 4 * (size_t)at;
		a->length = (uint32_t)(4 + a->payload_len);
		break;
	}
}

/* The reference platform answers; then the script spoils what it should. */
static void script(void *ctx, const uint8_t *req, size_t len, size_t area,
		   struct copro_sim_scmi_area *a)
{
	struct scr *s = ctx;
	uint8_t resp[256];
	uint32_t hdr;
	size_t n;

	memcpy(&hdr, req, 4);
	n = copro_sim_scmi_handle(s->t->plat, 1, req, len, resp,
				  area - SCMI_SHMEM_HEADER);
	s->calls++;
	a->status = SCMI_SHMEM_STATUS_FREE;
	a->length = (uint32_t)n;
	memcpy(&a->header, resp, 4);
	a->payload_len = n - 4;
	memcpy(a->payload, resp + 4, n - 4);
	if (scmi_hdr_proto(hdr) == s->proto && scmi_hdr_msg(hdr) == s->msg) {
		s->hits++;
		if (!s->only_call || s->hits == s->only_call)
			apply(s->how, s->at, s->arg, area, a);
	}
}

struct fx {
	struct test_scmi t;
	struct scr s;
	struct copro_scmi *a;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	test_scmi_open(&f->t, "scmi-smc", true);
	f->s.t = &f->t;
	assert_int_equal(copro_sim_scmi_script(f->t.plat, 1, script, &f->s), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	test_scmi_close(&f->t);
	free(f);
	return 0;
}

static struct copro_scmi *probe(struct fx *f)
{
	assert_int_equal(test_scmi_agent(&f->t, 0, NULL), 0);
	f->a = f->t.agent[0];
	return f->a;
}

static int probe_err(struct fx *f)
{
	int ret = test_scmi_agent(&f->t, 0, NULL);

	assert_null(f->t.agent[0]);
	return ret;
}

static void target(struct fx *f, unsigned proto, unsigned msg, enum tamper how,
		   unsigned at, uint32_t arg)
{
	f->s.proto = (uint8_t)proto;
	f->s.msg = (uint8_t)msg;
	f->s.how = how;
	f->s.at = at;
	f->s.arg = arg;
	f->s.hits = 0;
	f->s.only_call = 0;
}

static int rate_get(struct fx *f)
{
	uint64_t rate;

	return copro_scmi_clock_rate_get(f->a, 0, &rate);
}

/* ---- the frame: header, length, status, the area ----------------------- */

static void test_frame_classes(void **state)
{
	struct fx *f = *state;
	static const struct {
		enum tamper how;
		uint32_t arg;
		int want;
	} cases[] = {
		{ T_TOKEN, 0, -EPROTO },
		{ T_MSG, 0, -EPROTO },
		{ T_PROTO, 0, -EPROTO },
		{ T_TYPE, 0, -EPROTO },
		{ T_HDR_RESERVED, 0, -EPROTO },
		{ T_LEN_ZERO, 0, -EPROTO },
		{ T_LEN_HDR, 0, -EPROTO },
		{ T_LEN_PAST, 0, -EPROTO },
		{ T_LEN_SHORT, 0, -EPROTO },
		{ T_LEN_LONG, 0, -EPROTO },
		{ T_LEN_ODD, 0, -EPROTO },
		{ T_STATUS, 1, -EPROTO },
		{ T_STATUS, (uint32_t)-11, -EPROTO },
		{ T_STATUS, 0x80000000u, -EPROTO },
		{ T_AREA_ERROR, 0, -ECOMM },
		{ T_NEVER, 0, -EPROTO },
	};

	probe(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_GET, cases[i].how, 0,
		       cases[i].arg);
		f->s.only_call = 1;
		assert_int_equal(rate_get(f), cases[i].want);
		/* One spoiled answer; the next is good again. */
		if (cases[i].how != T_NEVER)
			assert_int_equal(rate_get(f), 0);
	}
	test_logcap_expect(&f->t.cap, "the header has another token");
	test_logcap_expect(&f->t.cap, "an unknown status");
	test_logcap_expect(&f->t.cap, "a length below the header's 4 bytes");
}

static void test_status_errnos(void **state)
{
	struct fx *f = *state;
	static const int want[] = {
		0, -EOPNOTSUPP, -EINVAL, -EACCES, -ENOENT, -ERANGE, -EBUSY,
		-ECOMM, -EIO, -EREMOTEIO, -EBADMSG,
	};

	probe(f);
	for (int st = 1; st <= 10; st++) {
		/* A failed command's answer is its status alone. */
		target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_GET, T_STATUS, 0,
		       (uint32_t)-st);
		assert_int_equal(rate_get(f), want[st]);
		assert_int_equal(copro_scmi_status_errno(-st), want[st]);
	}
	assert_string_equal(copro_scmi_status_name(SCMI_DENIED), "DENIED");
	assert_string_equal(copro_scmi_status_name(7), "(not a status)");
}

static void test_area_left_busy(void **state)
{
	struct fx *f = *state;

	probe(f);
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_GET, T_AREA_BUSY, 0, 0);
	f->s.only_call = 1;
	assert_int_equal(rate_get(f), -EPROTO);
}

/* ---- each message's own fields ----------------------------------------------- */

static void test_clock_fields(void **state)
{
	struct fx *f = *state;
	struct copro_scmi_clock_info ci;
	struct copro_scmi_clock_rates r;

	probe(f);
	/* Attributes: a reserved bit; a name with no terminator. */
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_ATTRIBUTES, T_WORD_OR, 1, 1u << 5);
	assert_int_equal(copro_scmi_clock_attributes(f->a, 0, &ci), -EPROTO);
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_ATTRIBUTES, T_FILL4, 2,
	       0x01424242u);
	assert_int_equal(copro_scmi_clock_attributes(f->a, 0, &ci), 0);
	assert_string_equal(ci.name, "BBB?BBB?BBB?BBB"); /* 15, terminated */
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_ATTRIBUTES, T_TRUNCATE, 4, 0);
	assert_int_equal(copro_scmi_clock_attributes(f->a, 0, &ci), -EPROTO);

	/* Rates: more claimed than sent; reserved bits; pages that lie. */
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, T_WORD, 1,
	       12 | 8 << 16);
	assert_int_equal(copro_scmi_clock_rates(f->a, 2, &r), -EPROTO);
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, T_WORD_OR, 1,
	       1u << 14);
	assert_int_equal(copro_scmi_clock_rates(f->a, 2, &r), -EPROTO);
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, T_WORD, 1,
	       9 | 5 << 16);
	f->s.only_call = 2;
	assert_int_equal(copro_scmi_clock_rates(f->a, 2, &r), -EPROTO);
	/* None returned but more to come: would never end. */
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, T_WORD, 1,
	       0 | 20 << 16);
	assert_int_equal(copro_scmi_clock_rates(f->a, 2, &r), -EPROTO);
	/* Rates must ascend. */
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, T_WORD, 4, 1);
	assert_int_equal(copro_scmi_clock_rates(f->a, 2, &r), -EPROTO);
	/* A range: only ever one triplet, min not above max. */
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, T_WORD, 1,
	       3 | SCMI_CLOCK_RATES_RANGE | 1 << 16);
	assert_int_equal(copro_scmi_clock_rates(f->a, 1, &r), -EPROTO);
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, T_WORD, 1,
	       2 | SCMI_CLOCK_RATES_RANGE);
	assert_int_equal(copro_scmi_clock_rates(f->a, 1, &r), -EPROTO);
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, T_WORD, 2,
	       0xffffffffu);
	assert_int_equal(copro_scmi_clock_rates(f->a, 1, &r), -EPROTO);
	/* And the good answers still come through. */
	target(f, 0, 0, T_NONE, 0, 0);
	assert_int_equal(copro_scmi_clock_rates(f->a, 2, &r), 0);
	assert_int_equal(r.n, 20);
	free(r.rates);
}

static void test_perf_sensor_fields(void **state)
{
	struct fx *f = *state;
	struct copro_scmi_perf_level *lv;
	struct copro_scmi_sensor_info *si;
	size_t n;
	uint32_t max, min;

	probe(f);
	target(f, SCMI_PROTO_PERF, SCMI_PERF_DESCRIBE_LEVELS, T_WORD_OR, 4,
	       1u << 16);
	assert_int_equal(copro_scmi_perf_levels(f->a, 0, &lv, &n), -EPROTO);
	target(f, SCMI_PROTO_PERF, SCMI_PERF_DESCRIBE_LEVELS, T_WORD, 5, 100);
	assert_int_equal(copro_scmi_perf_levels(f->a, 0, &lv, &n), -EPROTO);
	target(f, SCMI_PROTO_PERF, SCMI_PERF_DESCRIBE_LEVELS, T_WORD, 1,
	       8 | 2 << 16);
	assert_int_equal(copro_scmi_perf_levels(f->a, 0, &lv, &n), -EPROTO);
	target(f, SCMI_PROTO_PERF, SCMI_PERF_LIMITS_GET, T_WORD, 1, 1);
	assert_int_equal(copro_scmi_perf_limits_get(f->a, 0, &max, &min),
			 -EPROTO);
	target(f, SCMI_PROTO_PERF, SCMI_PERF_DOMAIN_ATTRIBUTES, T_WORD_OR, 2,
	       1u << 25);
	struct copro_scmi_perf_info pi;

	assert_int_equal(copro_scmi_perf_attributes(f->a, 0, &pi), -EPROTO);

	target(f, SCMI_PROTO_SENSOR, SCMI_SENSOR_DESCRIPTION_GET, T_WORD, 2, 9);
	assert_int_equal(copro_scmi_sensor_list(f->a, &si, &n), -EPROTO);
	target(f, SCMI_PROTO_SENSOR, SCMI_SENSOR_DESCRIPTION_GET, T_WORD_OR, 3,
	       1u << 9);
	assert_int_equal(copro_scmi_sensor_list(f->a, &si, &n), -EPROTO);
	target(f, SCMI_PROTO_SENSOR, SCMI_SENSOR_DESCRIPTION_GET, T_TRUNCATE,
	       20, 0);
	assert_int_equal(copro_scmi_sensor_list(f->a, &si, &n), -EPROTO);
	target(f, 0, 0, T_NONE, 0, 0);
	assert_int_equal(copro_scmi_sensor_list(f->a, &si, &n), 0);
	assert_int_equal(n, 5);
	free(si);
	assert_int_equal(copro_scmi_perf_levels(f->a, 0, &lv, &n), 0);
	assert_int_equal(n, 9);
	free(lv);
}

static void test_versions(void **state)
{
	struct fx *f = *state;
	unsigned n;

	probe(f);
	target(f, SCMI_PROTO_CLOCK, SCMI_PROTOCOL_VERSION, T_WORD, 1,
	       SCMI_VERSION(4, 0));
	assert_int_equal(copro_scmi_clock_count(f->a, &n), -EPROTONOSUPPORT);
	target(f, SCMI_PROTO_SENSOR, SCMI_PROTOCOL_VERSION, T_WORD, 1,
	       SCMI_VERSION(0, 9));
	assert_int_equal(copro_scmi_sensor_count(f->a, &n), -EPROTONOSUPPORT);
	target(f, SCMI_PROTO_POWER, SCMI_PROTOCOL_ATTRIBUTES, T_WORD_OR, 1,
	       1u << 20);
	assert_int_equal(copro_scmi_pd_count(f->a, &n), -EPROTO);
	target(f, SCMI_PROTO_RESET, SCMI_PROTOCOL_ATTRIBUTES, T_LEN_LONG, 0, 0);
	assert_int_equal(copro_scmi_reset_count(f->a, &n), -EPROTO);
}

/* ---- Base discovery at probe --------------------------------------------------- */

static void test_discovery_classes(void **state)
{
	struct fx *f = *state;
	static const struct {
		uint8_t msg;
		enum tamper how;
		unsigned at;
		uint32_t arg;
	} cases[] = {
		/* Attributes with reserved bits. */
		{ SCMI_PROTOCOL_ATTRIBUTES, T_WORD_OR, 1, 1u << 16 },
		{ SCMI_PROTOCOL_VERSION, T_WORD, 1, SCMI_VERSION(3, 0) },
		/* The protocol list: none, too many, padding, base itself. */
		{ SCMI_BASE_DISCOVER_LIST_PROTOCOLS, T_WORD, 1, 0 },
		{ SCMI_BASE_DISCOVER_LIST_PROTOCOLS, T_WORD, 1, 7 },
		{ SCMI_BASE_DISCOVER_LIST_PROTOCOLS, T_WORD_OR, 3, 0xff000000u },
		{ SCMI_BASE_DISCOVER_LIST_PROTOCOLS, T_WORD, 2, 0x14131210u },
		{ SCMI_BASE_DISCOVER_LIST_PROTOCOLS, T_LEN_LONG, 0, 0 },
		/* An agent id the platform does not have. */
		{ SCMI_BASE_DISCOVER_AGENT, T_WORD, 1, 7 },
		{ SCMI_BASE_DISCOVER_VENDOR, T_TRUNCATE, 3, 0 },
		{ SCMI_BASE_DISCOVER_IMPL_VERSION, T_LEN_LONG, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		target(f, SCMI_PROTO_BASE, cases[i].msg, cases[i].how,
		       cases[i].at, cases[i].arg);
		assert_int_equal(probe_err(f), cases[i].how == T_WORD &&
						       cases[i].msg ==
							       SCMI_PROTOCOL_VERSION
					       ? -EPROTONOSUPPORT
					       : -EPROTO);
	}
	/* A platform without a sub-vendor is fine. */
	target(f, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_SUB_VENDOR, T_STATUS, 0,
	       (uint32_t)SCMI_NOT_SUPPORTED);
	probe(f);
	assert_string_equal(copro_scmi_base(f->a)->sub_vendor, "");
}

/* ---- OP-TEE's deviations, and what the agent never sends ---------------------- */

static void test_optee_deviations(void **state)
{
	struct fx *f = *state;
	struct copro_scmi_clock_rates r;
	uint32_t attr, level;
	uint64_t rate;

	probe(f);
	/* OP-TEE: NOT_SUPPORTED for a message it lacks; read as absent. */
	target(f, SCMI_PROTO_CLOCK, SCMI_PROTOCOL_MESSAGE_ATTRIBUTES, T_STATUS,
	       0, (uint32_t)SCMI_NOT_SUPPORTED);
	assert_int_equal(copro_scmi_message_attributes(
				 f->a, COPRO_SCMI_CLOCK, SCMI_CLOCK_NAME_GET,
				 &attr),
			 -ENOENT);
	/* OP-TEE: INVALID_PARAMETERS for a clock it lacks. */
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_GET, T_STATUS, 0,
	       (uint32_t)SCMI_INVALID_PARAMETERS);
	assert_int_equal(copro_scmi_clock_rate_get(f->a, 0, &rate), -EINVAL);
	/* OP-TEE clamps an unknown perf domain to 0: never asked. */
	target(f, SCMI_PROTO_PERF, SCMI_PERF_LEVEL_GET, T_NONE, 0, 0);
	assert_int_equal(copro_scmi_perf_level_get(f->a, 2, &level), -ENOENT);
	assert_int_equal(f->s.hits, 0);
	/* OP-TEE underflows on an index past the end: never asked either. */
	target(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, T_NONE, 0, 0);
	assert_int_equal(copro_scmi_clock_rates(f->a, 2, &r), 0);
	assert_int_equal(f->s.hits, 2);
	free(r.rates);
	assert_int_equal(copro_scmi_clock_rates(f->a, 1, &r), 0);
	assert_int_equal(f->s.hits, 3);
	/* OP-TEE has no LIMITS_GET. */
	target(f, SCMI_PROTO_PERF, SCMI_PERF_LIMITS_GET, T_STATUS, 0,
	       (uint32_t)SCMI_NOT_SUPPORTED);
	assert_int_equal(copro_scmi_perf_limits_get(f->a, 0, &attr, &level),
			 -EOPNOTSUPP);
}

/* ---- messages as text ------------------------------------------------------------- */

static void test_describe(void **state)
{
	uint8_t p[24];
	char buf[256];
	uint32_t w[5] = { 0, 0, 2, 1500000000u, 0 };

	(void)state;
	memcpy(p, w + 1, 16);
	copro_scmi_describe(scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, 0, 3),
			    p, 16, false, buf, sizeof(buf));
	assert_string_equal(buf, "clock CLOCK_RATE_SET token=3 flags=0x0"
				 " clock_id=2 rate=1500000000");
	memcpy(p, w, 4);
	copro_scmi_describe(scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, 0, 3),
			    p, 4, true, buf, sizeof(buf));
	assert_string_equal(buf, "clock CLOCK_RATE_SET token=3 SUCCESS");
	w[0] = (uint32_t)SCMI_DENIED;
	memcpy(p, w, 4);
	copro_scmi_describe(scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, 0, 3),
			    p, 4, true, buf, sizeof(buf));
	assert_string_equal(buf, "clock CLOCK_RATE_SET token=3 DENIED");
	/* A notification has no status; a delayed response has one. */
	uint32_t n[4] = { 1, 0, 900000000u, 0 };

	memcpy(p, n, 16);
	copro_scmi_describe(scmi_hdr(SCMI_PROTO_CLOCK, 0, SCMI_MSG_NOTIFICATION,
				     9),
			    p, 16, true, buf, sizeof(buf));
	assert_string_equal(buf, "clock CLOCK_RATE_CHANGED token=9 agent_id=1"
				 " clock_id=0 rate=900000000");
	/* Too short for its fields: shown as words, never overread. */
	copro_scmi_describe(scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, 0, 1),
			    p, 6, false, buf, sizeof(buf));
	assert_string_equal(buf, "clock CLOCK_RATE_SET token=1 0x00000001"
				 " +2 byte(s)");
	/* A tiny buffer is cut, still terminated. */
	copro_scmi_describe(scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, 0, 1),
			    p, 16, false, buf, 8);
	assert_int_equal(strlen(buf), 7);
	copro_scmi_describe(scmi_hdr(0x99, 0x42, 0, 1), p, 0, false, buf,
			    sizeof(buf));
	assert_string_equal(buf, "vendor (unknown message) token=1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_frame_classes),
		T(test_status_errnos),
		T(test_area_left_busy),
		T(test_clock_fields),
		T(test_perf_sensor_fields),
		T(test_versions),
		T(test_discovery_classes),
		T(test_optee_deviations),
		cmocka_unit_test(test_describe),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
