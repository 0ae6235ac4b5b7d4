/* SPDX-License-Identifier: MIT */
/*
 * The SCMI platform model's answers, message by message, against the
 * specification (DEN0056) and the reference platform's choices: every
 * protocol's messages with good arguments, then every error path: header
 * (reserved bits, type), protocol (unknown, not allowed), message id
 * (unknown: NOT_FOUND; defined but not implemented: NOT_SUPPORTED),
 * payload size (PROTOCOL_ERROR), ids (NOT_FOUND), rights (DENIED),
 * reserved bits and values (INVALID_PARAMETERS), ranges (OUT_OF_RANGE).
 *
 * The messages go straight into the handler (copro_sim_scmi_handle); the
 * channels around it have their own tests. Board scmi-smc: agent 1 (OSPM)
 * has no receive channel, agent 2 (trusted-svc) fewer rights.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "test_scmi.h"

#define OSPM 1
#define TSVC 2

/* A command with payload words; the answer in r. */
#define CMD(t, agent, proto, msg, ...)                                        \
	do {                                                                  \
		const uint32_t w_[] = { 0, __VA_ARGS__ };                     \
		test_scmi_call((t)->plat, agent, proto, msg, w_ + 1,          \
			       (unsigned)(sizeof(w_) / 4 - 1), 0, &r);        \
	} while (0)
#define CMD0(t, agent, proto, msg)                                            \
	test_scmi_call((t)->plat, agent, proto, msg, NULL, 0, 0, &r)

#define EXPECT(st, words)                                                     \
	do {                                                                  \
		assert_int_equal(r.status, st);                               \
		assert_int_equal(r.n, words);                                 \
	} while (0)

static int setup(void **state)
{
	struct test_scmi *t = calloc(1, sizeof(*t));

	test_scmi_open(t, "scmi-smc", true);
	*state = t;
	return 0;
}

static int setup_mbox(void **state)
{
	struct test_scmi *t = calloc(1, sizeof(*t));

	test_scmi_open(t, "scmi-mbox", true);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	test_scmi_close(*state);
	free(*state);
	return 0;
}

static bool name_is(const uint32_t *w, const char *want)
{
	char buf[SCMI_NAME_LEN] = { 0 };

	memcpy(buf, w, SCMI_NAME_LEN);
	return buf[SCMI_NAME_LEN - 1] == 0 && strcmp(buf, want) == 0;
}

/* ---- Base ------------------------------------------------------------------- */

static void test_base_discovery(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD0(t, OSPM, SCMI_PROTO_BASE, SCMI_PROTOCOL_VERSION);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], SCMI_VERSION(2, 0));
	/* Protocols as the agent sees them, and every agent. */
	CMD0(t, OSPM, SCMI_PROTO_BASE, SCMI_PROTOCOL_ATTRIBUTES);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], 6 | 2 << 8);
	CMD0(t, TSVC, SCMI_PROTO_BASE, SCMI_PROTOCOL_ATTRIBUTES);
	assert_int_equal(r.w[0], 3 | 2 << 8);
	CMD0(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_VENDOR);
	EXPECT(SCMI_SUCCESS, 4);
	assert_true(name_is(r.w, "copro"));
	CMD0(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_SUB_VENDOR);
	EXPECT(SCMI_SUCCESS, 4);
	assert_true(name_is(r.w, "emulated EL3"));
	CMD0(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_IMPL_VERSION);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], 0x00010002);
}

static void test_base_message_attributes(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_PROTOCOL_MESSAGE_ATTRIBUTES,
	    SCMI_BASE_DISCOVER_AGENT);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], 0);
	/* Defined by the specification, not implemented: NOT_FOUND here. */
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_PROTOCOL_MESSAGE_ATTRIBUTES,
	    SCMI_BASE_SET_DEVICE_PERMISSIONS);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_PROTOCOL_MESSAGE_ATTRIBUTES, 0x20);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_PROTOCOL_MESSAGE_ATTRIBUTES,
	    SCMI_CLOCK_NAME_GET);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_PROTOCOL_MESSAGE_ATTRIBUTES,
	    SCMI_CLOCK_RATE_SET);
	EXPECT(SCMI_SUCCESS, 1);
}

static void test_base_list_protocols(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_LIST_PROTOCOLS, 0);
	EXPECT(SCMI_SUCCESS, 3);
	assert_int_equal(r.w[0], 6);
	assert_int_equal(r.w[1], 0x14131211);
	assert_int_equal(r.w[2], 0x00001615); /* padded with zeroes */
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_LIST_PROTOCOLS, 4);
	EXPECT(SCMI_SUCCESS, 2);
	assert_int_equal(r.w[0], 2);
	assert_int_equal(r.w[1], 0x1615);
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_LIST_PROTOCOLS, 6);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], 0);
	/* Skipping past the end is an error, not an underflow. */
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_LIST_PROTOCOLS, 7);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	/* The agent sees only what it may use. */
	CMD(t, TSVC, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_LIST_PROTOCOLS, 0);
	EXPECT(SCMI_SUCCESS, 2);
	assert_int_equal(r.w[0], 3);
	assert_int_equal(r.w[1], 0x161412);
	/* A small channel: as many as fit (one word of ids here). */
	uint32_t skip = 0;

	test_scmi_call(t->plat, OSPM, SCMI_PROTO_BASE,
		       SCMI_BASE_DISCOVER_LIST_PROTOCOLS, &skip, 1, 16, &r);
	EXPECT(SCMI_SUCCESS, 2);
	assert_int_equal(r.w[0], 4);
	assert_int_equal(r.w[1], 0x14131211);
}

static void test_base_discover_agent(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_AGENT,
	    SCMI_BASE_AGENT_SELF);
	EXPECT(SCMI_SUCCESS, 5);
	assert_int_equal(r.w[0], 1);
	assert_true(name_is(r.w + 1, "OSPM"));
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_AGENT, 0);
	EXPECT(SCMI_SUCCESS, 5);
	assert_int_equal(r.w[0], 0);
	assert_true(name_is(r.w + 1, "platform"));
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_AGENT, 2);
	EXPECT(SCMI_SUCCESS, 5);
	assert_true(name_is(r.w + 1, "trusted-svc"));
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_AGENT, 3);
	EXPECT(SCMI_NOT_FOUND, 0);
	/* trusted-svc may not discover the others, only itself. */
	CMD(t, TSVC, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_AGENT, 1);
	EXPECT(SCMI_DENIED, 0);
	CMD(t, TSVC, SCMI_PROTO_BASE, SCMI_BASE_DISCOVER_AGENT,
	    SCMI_BASE_AGENT_SELF);
	EXPECT(SCMI_SUCCESS, 5);
	assert_int_equal(r.w[0], 2);
}

static void test_base_notify_errors(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	/* No receive channel on this board: nothing could be delivered. */
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_NOTIFY_ERRORS, 1);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_NOTIFY_ERRORS, 2);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_SET_PROTOCOL_PERMISSIONS, 1, 2,
	    3);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
}

static void test_base_notify_errors_mbox(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_NOTIFY_ERRORS, 1);
	EXPECT(SCMI_SUCCESS, 0);
	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_BASE_NOTIFY_ERRORS, 0);
	EXPECT(SCMI_SUCCESS, 0);
	/* guest-vm may not watch errors. */
	CMD(t, TSVC, SCMI_PROTO_BASE, SCMI_BASE_NOTIFY_ERRORS, 1);
	EXPECT(SCMI_DENIED, 0);
}

/* ---- every message: the header, the protocol, the size ---------------------- */

static void test_header_errors(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;
	uint32_t hdr;

	/* Reserved bits: PROTOCOL_ERROR, the header echoed as it came. */
	hdr = scmi_hdr(SCMI_PROTO_BASE, 0, 0, 7) | 0x10000000u;
	test_scmi_call_hdr(t->plat, OSPM, hdr, NULL, 0, 0, &r);
	assert_int_equal(r.hdr, hdr);
	EXPECT(SCMI_PROTOCOL_ERROR, 0);
	/* Only commands go from agent to platform. */
	for (unsigned type = 1; type <= 3; type++) {
		hdr = scmi_hdr(SCMI_PROTO_BASE, 0, type, 7);
		test_scmi_call_hdr(t->plat, OSPM, hdr, NULL, 0, 0, &r);
		assert_int_equal(r.hdr, hdr);
		EXPECT(SCMI_PROTOCOL_ERROR, 0);
	}
	/* The token is echoed, all ten bits of it. */
	hdr = scmi_hdr(SCMI_PROTO_BASE, 0, 0, 1023);
	test_scmi_call_hdr(t->plat, OSPM, hdr, NULL, 0, 0, &r);
	assert_int_equal(r.hdr, hdr);
	EXPECT(SCMI_SUCCESS, 1);
}

static void test_protocol_errors(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	/* Unknown, and known to the specification but not here. */
	CMD0(t, OSPM, 0x20, SCMI_PROTOCOL_VERSION);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD0(t, OSPM, 0x17, SCMI_PROTOCOL_VERSION);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD0(t, OSPM, 0x80, SCMI_PROTOCOL_VERSION);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	/* Implemented, but not for this agent. */
	CMD0(t, TSVC, SCMI_PROTO_PERF, SCMI_PROTOCOL_VERSION);
	EXPECT(SCMI_DENIED, 0);
	CMD(t, TSVC, SCMI_PROTO_SENSOR, SCMI_SENSOR_READING_GET, 0, 0);
	EXPECT(SCMI_DENIED, 0);
	/* A message id past the protocol's: NOT_FOUND. */
	CMD0(t, OSPM, SCMI_PROTO_CLOCK, 0x40);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD0(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_MSG_MAX + 1);
	EXPECT(SCMI_NOT_FOUND, 0);
}

static void test_size_errors(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;
	uint8_t small[3] = { 0 }, resp[64];

	CMD(t, OSPM, SCMI_PROTO_BASE, SCMI_PROTOCOL_VERSION, 0);
	EXPECT(SCMI_PROTOCOL_ERROR, 0);
	CMD0(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_ATTRIBUTES);
	EXPECT(SCMI_PROTOCOL_ERROR, 0);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, 0, 0, 1000);
	EXPECT(SCMI_PROTOCOL_ERROR, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LEVEL_SET, 0, 600, 0);
	EXPECT(SCMI_PROTOCOL_ERROR, 0);
	/* No header at all: nothing to answer. */
	assert_int_equal(copro_sim_scmi_handle(t->plat, OSPM, small,
					       sizeof(small), resp,
					       sizeof(resp)),
			 0);
	/* Nor for an agent the platform does not have. */
	uint32_t hdr = scmi_hdr(SCMI_PROTO_BASE, 0, 0, 0);

	assert_int_equal(copro_sim_scmi_handle(t->plat, 3, &hdr, 4, resp,
					       sizeof(resp)),
			 0);
	assert_int_equal(copro_sim_scmi_handle(t->plat, 0, &hdr, 4, resp,
					       sizeof(resp)),
			 0);
}

/* ---- Power domains -------------------------------------------------------------- */

static bool pd_is(struct test_scmi *t, uint32_t id, uint32_t want)
{
	uint32_t st = ~0u;

	return copro_sim_scmi_pd_state(t->plat, id, &st) == 0 && st == want;
}

struct pd_wait {
	struct test_scmi *t;
	uint32_t id, want;
};

static bool pd_reached(void *arg)
{
	struct pd_wait *w = arg;

	return pd_is(w->t, w->id, w->want);
}

static void test_power(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD0(t, OSPM, SCMI_PROTO_POWER, SCMI_PROTOCOL_VERSION);
	assert_int_equal(r.w[0], SCMI_VERSION(2, 0));
	CMD0(t, OSPM, SCMI_PROTO_POWER, SCMI_PROTOCOL_ATTRIBUTES);
	EXPECT(SCMI_SUCCESS, 4);
	assert_int_equal(r.w[0], 3);
	assert_int_equal(r.w[1] | r.w[2] | r.w[3], 0);
	/* No notification bit without a receive channel. */
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_ATTRIBUTES, 0);
	EXPECT(SCMI_SUCCESS, 5);
	assert_int_equal(r.w[0], SCMI_PD_ATTR_ASYNC | SCMI_PD_ATTR_SYNC);
	assert_true(name_is(r.w + 1, "gpu"));
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_ATTRIBUTES, 1);
	assert_int_equal(r.w[0], SCMI_PD_ATTR_SYNC);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_ATTRIBUTES, 3);
	EXPECT(SCMI_NOT_FOUND, 0);

	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_GET, 0);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], SCMI_PD_STATE_OFF);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_SET, 0, 0, SCMI_PD_STATE_ON);
	EXPECT(SCMI_SUCCESS, 0);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_GET, 0);
	assert_int_equal(r.w[0], SCMI_PD_STATE_ON);
	assert_true(pd_is(t, 0, SCMI_PD_STATE_ON));
}

static void test_power_errors(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	/* secure-ram is not OSPM's to switch, only to look at. */
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_SET, 0, 2, SCMI_PD_STATE_OFF);
	EXPECT(SCMI_DENIED, 0);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_GET, 2);
	EXPECT(SCMI_SUCCESS, 1);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_SET, 0, 9, SCMI_PD_STATE_OFF);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_GET, 9);
	EXPECT(SCMI_NOT_FOUND, 0);
	/* States it does not have; reserved bits; reserved flags. */
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_SET, 0, 0, 1);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_SET, 0, 0, 0x80000000u);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_SET, 2, 0, SCMI_PD_STATE_ON);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	/* dsp changes synchronously only. */
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_SET, SCMI_PD_SET_ASYNC, 1,
	    SCMI_PD_STATE_OFF);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_NOTIFY, 0, 1);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_NOTIFY, 7, 1);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_CHANGE_REQUESTED_NOTIFY, 0,
	    1);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
}

static void test_power_async(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;
	struct pd_wait w = { t, 0, SCMI_PD_STATE_ON };

	assert_true(pd_is(t, 0, SCMI_PD_STATE_OFF));
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_STATE_SET, SCMI_PD_SET_ASYNC, 0,
	    SCMI_PD_STATE_ON);
	EXPECT(SCMI_SUCCESS, 0);
	/* Acknowledged now, done later by the firmware. */
	assert_true(test_wait_until(pd_reached, &w, TEST_TIMEOUT_NS));
}

/* ---- System power ----------------------------------------------------------------- */

static void test_system(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD0(t, OSPM, SCMI_PROTO_SYSTEM, SCMI_PROTOCOL_VERSION);
	assert_int_equal(r.w[0], SCMI_VERSION(2, 0));
	CMD0(t, OSPM, SCMI_PROTO_SYSTEM, SCMI_PROTOCOL_ATTRIBUTES);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], SCMI_SYS_ATTR_WARM_RESET | SCMI_SYS_ATTR_SUSPEND);
	CMD0(t, OSPM, SCMI_PROTO_SYSTEM, SCMI_SYS_STATE_GET);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], SCMI_SYS_POWER_UP);
	/* The OS may not shut the system down; the trusted service may. */
	CMD(t, OSPM, SCMI_PROTO_SYSTEM, SCMI_SYS_STATE_SET, 0, SCMI_SYS_SHUTDOWN);
	EXPECT(SCMI_DENIED, 0);
	CMD(t, TSVC, SCMI_PROTO_SYSTEM, SCMI_SYS_STATE_SET, 2, SCMI_SYS_SHUTDOWN);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, TSVC, SCMI_PROTO_SYSTEM, SCMI_SYS_STATE_SET, 0, 9);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, TSVC, SCMI_PROTO_SYSTEM, SCMI_SYS_STATE_SET, 0, 0x80000001u);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD(t, TSVC, SCMI_PROTO_SYSTEM, SCMI_SYS_STATE_SET,
	    SCMI_SYS_SET_GRACEFUL, SCMI_SYS_WARM_RESET);
	EXPECT(SCMI_SUCCESS, 0);
	assert_int_equal(copro_sim_scmi_system_state(t->plat),
			 SCMI_SYS_WARM_RESET);
	CMD(t, OSPM, SCMI_PROTO_SYSTEM, SCMI_SYS_STATE_NOTIFY, 1);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD(t, OSPM, SCMI_PROTO_SYSTEM, SCMI_SYS_STATE_NOTIFY, 4);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
}

/* ---- Performance ------------------------------------------------------------------ */

static void test_perf(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD0(t, OSPM, SCMI_PROTO_PERF, SCMI_PROTOCOL_VERSION);
	assert_int_equal(r.w[0], SCMI_VERSION(3, 0));
	CMD0(t, OSPM, SCMI_PROTO_PERF, SCMI_PROTOCOL_ATTRIBUTES);
	EXPECT(SCMI_SUCCESS, 4);
	assert_int_equal(r.w[0], 2 | SCMI_PERF_ATTR_POWER_MW);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_DOMAIN_ATTRIBUTES, 0);
	EXPECT(SCMI_SUCCESS, 8);
	assert_int_equal(r.w[0],
			 SCMI_PERF_DOM_SET_LIMITS | SCMI_PERF_DOM_SET_LEVEL);
	assert_int_equal(r.w[1], 1000);
	assert_int_equal(r.w[2], 1800000);
	assert_int_equal(r.w[3], 900);
	assert_true(name_is(r.w + 4, "cpu-little"));

	/* Nine levels, three words each: seven fit a 128-byte area. */
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_DESCRIBE_LEVELS, 0, 0);
	EXPECT(SCMI_SUCCESS, 1 + 7 * 3);
	assert_int_equal(r.w[0], 7 | 2 << 16);
	assert_int_equal(r.w[1], 200);
	assert_int_equal(r.w[2], 40);
	assert_int_equal(r.w[3], 100);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_DESCRIBE_LEVELS, 0, 7);
	EXPECT(SCMI_SUCCESS, 1 + 2 * 3);
	assert_int_equal(r.w[0], 2);
	assert_int_equal(r.w[4], 1000);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_DESCRIBE_LEVELS, 0, 9);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_DESCRIBE_LEVELS, 0, 10);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);

	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LEVEL_GET, 0);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], 600);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LEVEL_SET, 0, 800);
	EXPECT(SCMI_SUCCESS, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LEVEL_GET, 0);
	assert_int_equal(r.w[0], 800);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LIMITS_GET, 0);
	EXPECT(SCMI_SUCCESS, 2);
	assert_int_equal(r.w[0], 1000);
	assert_int_equal(r.w[1], 200);
	/* Narrower limits pull the level inside them. */
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LIMITS_SET, 0, 500, 300);
	EXPECT(SCMI_SUCCESS, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LEVEL_GET, 0);
	assert_int_equal(r.w[0], 500);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LEVEL_SET, 0, 700);
	EXPECT(SCMI_OUT_OF_RANGE, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LEVEL_SET, 0, 350);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
}

static void test_perf_errors(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LIMITS_SET, 0, 300, 500);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LIMITS_SET, 0, 2000, 200);
	EXPECT(SCMI_OUT_OF_RANGE, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LIMITS_SET, 0, 1000, 100);
	EXPECT(SCMI_OUT_OF_RANGE, 0);
	/* An unknown domain is NOT_FOUND, never clamped to domain 0. */
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LEVEL_SET, 2, 100);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_DOMAIN_ATTRIBUTES, 2);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_DESCRIBE_LEVELS, 2, 0);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_LIMITS_GET, 2);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_NOTIFY_LEVEL, 0, 1);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_NOTIFY_LIMITS, 0, 3);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_DESCRIBE_FASTCHANNEL, 0, 7);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD0(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_MSG_MAX + 1);
	EXPECT(SCMI_NOT_FOUND, 0);
}

/* ---- Clocks -------------------------------------------------------------------------- */

static uint64_t u64(const uint32_t *w)
{
	return w[0] | (uint64_t)w[1] << 32;
}

static void test_clock(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD0(t, OSPM, SCMI_PROTO_CLOCK, SCMI_PROTOCOL_VERSION);
	assert_int_equal(r.w[0], SCMI_VERSION(2, 0));
	/* Three clocks; no async changes without a receive channel. */
	CMD0(t, OSPM, SCMI_PROTO_CLOCK, SCMI_PROTOCOL_ATTRIBUTES);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], 3);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_ATTRIBUTES, 0);
	EXPECT(SCMI_SUCCESS, 6);
	assert_int_equal(r.w[0], SCMI_CLOCK_ATTR_ENABLED);
	assert_true(name_is(r.w + 1, "cpu"));
	assert_int_equal(r.w[5], 10);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_ATTRIBUTES, 3);
	EXPECT(SCMI_NOT_FOUND, 0);

	/* Twenty rates: eleven fit, then nine. */
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, 2, 0);
	EXPECT(SCMI_SUCCESS, 1 + 11 * 2);
	assert_int_equal(r.w[0], 11 | 9 << 16);
	assert_int_equal(u64(r.w + 1), 25175000);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, 2, 11);
	EXPECT(SCMI_SUCCESS, 1 + 9 * 2);
	assert_int_equal(r.w[0], 9);
	assert_int_equal(u64(r.w + 17), 234000000);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, 2, 20);
	EXPECT(SCMI_SUCCESS, 1);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, 2, 21);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	/* A range is one triplet. */
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, 1, 0);
	EXPECT(SCMI_SUCCESS, 7);
	assert_int_equal(r.w[0], 3 | SCMI_CLOCK_RATES_RANGE);
	assert_int_equal(u64(r.w + 1), 1000000);
	assert_int_equal(u64(r.w + 3), 48000000);
	assert_int_equal(u64(r.w + 5), 1000000);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_DESCRIBE_RATES, 1, 1);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);

	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_GET, 0);
	EXPECT(SCMI_SUCCESS, 2);
	assert_int_equal(u64(r.w), 1200000000);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_CONFIG_SET, 0, 0);
	EXPECT(SCMI_SUCCESS, 0);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_ATTRIBUTES, 0);
	assert_int_equal(r.w[0], 0);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_CONFIG_SET, 0, 2);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_NAME_GET, 0);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
}

/* Rate set: flags, clock, rate; then the rate the clock has. */
static uint64_t set_rate(struct test_scmi *t, uint32_t agent, uint32_t flags,
			 uint32_t id, uint64_t rate, int32_t *status)
{
	struct test_scmi_resp r;
	uint64_t now = 0;
	bool en;

	CMD(t, agent, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, flags, id,
	    (uint32_t)rate, (uint32_t)(rate >> 32));
	*status = r.status;
	assert_int_equal(r.n, 0);
	if (id < 3)
		assert_int_equal(
			copro_sim_scmi_clock_state(t->plat, id, &now, &en), 0);
	return now;
}

static void test_clock_rounding(void **state)
{
	struct test_scmi *t = *state;
	int32_t st;

	assert_int_equal(set_rate(t, OSPM, 0, 0, 900000000, &st), 900000000);
	assert_int_equal(st, SCMI_SUCCESS);
	/* Between 900 and 1200 MHz: down (default), up, nearest. */
	assert_int_equal(set_rate(t, OSPM, 0, 0, 1000000000, &st), 900000000);
	assert_int_equal(set_rate(t, OSPM, SCMI_CLOCK_SET_ROUND_UP, 0,
				  1000000000, &st),
			 1200000000);
	assert_int_equal(set_rate(t, OSPM, SCMI_CLOCK_SET_ROUND_AUTO, 0,
				  1000000000, &st),
			 900000000);
	assert_int_equal(set_rate(t, OSPM, SCMI_CLOCK_SET_ROUND_AUTO, 0,
				  1100000000, &st),
			 1200000000);
	/* A range rounds to its step. */
	assert_int_equal(set_rate(t, OSPM, 0, 1, 2500000, &st), 2000000);
	assert_int_equal(set_rate(t, OSPM, SCMI_CLOCK_SET_ROUND_UP, 1, 2500000,
				  &st),
			 3000000);
	assert_int_equal(st, SCMI_SUCCESS);
	/* Outside the span: OUT_OF_RANGE, nothing changes. */
	assert_int_equal(set_rate(t, OSPM, 0, 1, 100000000, &st), 3000000);
	assert_int_equal(st, SCMI_OUT_OF_RANGE);
	assert_int_equal(set_rate(t, OSPM, 0, 0, 100, &st), 1200000000);
	assert_int_equal(st, SCMI_OUT_OF_RANGE);
	set_rate(t, OSPM, 1u << 4, 0, 900000000, &st);
	assert_int_equal(st, SCMI_INVALID_PARAMETERS);
	/* Asynchronous needs a receive channel for its delayed response. */
	set_rate(t, OSPM, SCMI_CLOCK_SET_ASYNC, 0, 900000000, &st);
	assert_int_equal(st, SCMI_NOT_SUPPORTED);
	set_rate(t, OSPM, 0, 7, 900000000, &st);
	assert_int_equal(st, SCMI_NOT_FOUND);
}

static void test_clock_rights(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;
	int32_t st;

	/* trusted-svc owns the uart clock, and may only look at the cpu's. */
	set_rate(t, TSVC, 0, 0, 900000000, &st);
	assert_int_equal(st, SCMI_DENIED);
	assert_int_equal(set_rate(t, TSVC, 0, 1, 5000000, &st), 5000000);
	assert_int_equal(st, SCMI_SUCCESS);
	CMD(t, TSVC, SCMI_PROTO_CLOCK, SCMI_CLOCK_CONFIG_SET, 0, 0);
	EXPECT(SCMI_DENIED, 0);
	CMD(t, TSVC, SCMI_PROTO_CLOCK, SCMI_CLOCK_ATTRIBUTES, 0);
	EXPECT(SCMI_SUCCESS, 6);
	CMD(t, TSVC, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_GET, 0);
	EXPECT(SCMI_SUCCESS, 2);
}

/* ---- Sensors ---------------------------------------------------------------------------- */

static void test_sensor(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD0(t, OSPM, SCMI_PROTO_SENSOR, SCMI_PROTOCOL_VERSION);
	assert_int_equal(r.w[0], SCMI_VERSION(1, 0));
	CMD0(t, OSPM, SCMI_PROTO_SENSOR, SCMI_PROTOCOL_ATTRIBUTES);
	EXPECT(SCMI_SUCCESS, 4);
	assert_int_equal(r.w[0], 5);
	/* Five 28-byte descriptors: three fit, then two. */
	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_DESCRIPTION_GET, 0);
	EXPECT(SCMI_SUCCESS, 1 + 3 * 7);
	assert_int_equal(r.w[0], 3 | 2 << 16);
	assert_int_equal(r.w[1], 0);
	assert_int_equal(r.w[2], 0); /* no async without a receive channel */
	assert_int_equal(r.w[3], 2 | 0x1du << 11); /* degrees C, 10^-3 */
	assert_true(name_is(r.w + 4, "soc-temp"));
	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_DESCRIPTION_GET, 3);
	EXPECT(SCMI_SUCCESS, 1 + 2 * 7);
	assert_int_equal(r.w[1], 3);
	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_DESCRIPTION_GET, 5);
	EXPECT(SCMI_SUCCESS, 1);
	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_DESCRIPTION_GET, 6);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);

	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_READING_GET, 3, 0);
	EXPECT(SCMI_SUCCESS, 2);
	assert_int_equal((int64_t)u64(r.w), -2000);
	assert_int_equal(copro_sim_scmi_sensor_set(t->plat, 3, 1234), 0);
	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_READING_GET, 3, 0);
	assert_int_equal(u64(r.w), 1234);
	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_READING_GET, 3, 2);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_READING_GET, 0,
	    SCMI_SENSOR_READ_ASYNC);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_READING_GET, 5, 0);
	EXPECT(SCMI_NOT_FOUND, 0);
	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_TRIP_POINT_NOTIFY, 0, 1);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
}

/* ---- Resets -------------------------------------------------------------------------------- */

static void test_reset(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;
	bool asserted;
	unsigned resets;

	CMD0(t, OSPM, SCMI_PROTO_RESET, SCMI_PROTOCOL_VERSION);
	assert_int_equal(r.w[0], SCMI_VERSION(1, 0));
	CMD0(t, OSPM, SCMI_PROTO_RESET, SCMI_PROTOCOL_ATTRIBUTES);
	EXPECT(SCMI_SUCCESS, 1);
	assert_int_equal(r.w[0], 2);
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_DOMAIN_ATTRIBUTES, 1);
	EXPECT(SCMI_SUCCESS, 6);
	assert_int_equal(r.w[0], 0); /* async needs a receive channel */
	assert_int_equal(r.w[1], 500);
	assert_true(name_is(r.w + 2, "pcie"));
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_DOMAIN_ATTRIBUTES, 2);
	EXPECT(SCMI_NOT_FOUND, 0);

	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_RESET, 0,
	    SCMI_RESET_AUTONOMOUS, 0);
	EXPECT(SCMI_SUCCESS, 0);
	assert_int_equal(copro_sim_scmi_reset_state(t->plat, 0, &asserted,
						    &resets),
			 0);
	assert_false(asserted);
	assert_int_equal(resets, 1);
	/* Explicit: assert and hold, then release. */
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_RESET, 0,
	    SCMI_RESET_EXPLICIT_ASSERT, 0);
	EXPECT(SCMI_SUCCESS, 0);
	copro_sim_scmi_reset_state(t->plat, 0, &asserted, &resets);
	assert_true(asserted);
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_RESET, 0, 0, 0);
	EXPECT(SCMI_SUCCESS, 0);
	copro_sim_scmi_reset_state(t->plat, 0, &asserted, &resets);
	assert_false(asserted);
	assert_int_equal(resets, 1);
}

static void test_reset_errors(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	/* Asynchronous only goes with autonomous. */
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_RESET, 1, SCMI_RESET_ASYNC, 0);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_RESET, 1,
	    SCMI_RESET_ASYNC | SCMI_RESET_AUTONOMOUS, 0);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_RESET, 0, 8, 0);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_RESET, 0,
	    SCMI_RESET_AUTONOMOUS, SCMI_RESET_STATE_VENDOR | 3);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_RESET, 0,
	    SCMI_RESET_AUTONOMOUS, 1);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_RESET, 2,
	    SCMI_RESET_AUTONOMOUS, 0);
	EXPECT(SCMI_NOT_FOUND, 0);
	/* trusted-svc owns usb, not pcie. */
	CMD(t, TSVC, SCMI_PROTO_RESET, SCMI_RESET_RESET, 1,
	    SCMI_RESET_AUTONOMOUS, 0);
	EXPECT(SCMI_DENIED, 0);
	CMD(t, TSVC, SCMI_PROTO_RESET, SCMI_RESET_RESET, 0,
	    SCMI_RESET_AUTONOMOUS, 0);
	EXPECT(SCMI_SUCCESS, 0);
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_NOTIFY, 0, 1);
	EXPECT(SCMI_NOT_SUPPORTED, 0);
}

/* With a receive channel, attributes offer what it makes possible. */
static void test_attributes_with_p2a(void **state)
{
	struct test_scmi *t = *state;
	struct test_scmi_resp r;

	CMD0(t, OSPM, SCMI_PROTO_CLOCK, SCMI_PROTOCOL_ATTRIBUTES);
	assert_int_equal(r.w[0], 3 | 4 << 16);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_ATTRIBUTES, 2);
	assert_int_equal(r.w[0], SCMI_CLOCK_ATTR_RATE_NOTIFY |
					 SCMI_CLOCK_ATTR_RATE_REQ_NOTIFY);
	CMD(t, OSPM, SCMI_PROTO_POWER, SCMI_PD_ATTRIBUTES, 0);
	assert_int_equal(r.w[0], SCMI_PD_ATTR_NOTIFY | SCMI_PD_ATTR_ASYNC |
					 SCMI_PD_ATTR_SYNC);
	CMD(t, OSPM, SCMI_PROTO_PERF, SCMI_PERF_DOMAIN_ATTRIBUTES, 1);
	assert_int_equal(r.w[0], 0xf0000000u);
	CMD(t, OSPM, SCMI_PROTO_RESET, SCMI_RESET_DOMAIN_ATTRIBUTES, 1);
	assert_int_equal(r.w[0], SCMI_RESET_ATTR_ASYNC | SCMI_RESET_ATTR_NOTIFY);
	CMD(t, OSPM, SCMI_PROTO_SENSOR, SCMI_SENSOR_DESCRIPTION_GET, 0);
	assert_int_equal(r.w[2], SCMI_SENSOR_ATTRL_ASYNC);
	/* guest-vm may not set perf: the bits say so. */
	CMD(t, TSVC, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_NOTIFY, 0, 1);
	EXPECT(SCMI_SUCCESS, 0);
	CMD(t, OSPM, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_NOTIFY, 0, 0x10);
	EXPECT(SCMI_INVALID_PARAMETERS, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_base_discovery),
		T(test_base_message_attributes),
		T(test_base_list_protocols),
		T(test_base_discover_agent),
		T(test_base_notify_errors),
		cmocka_unit_test_setup_teardown(test_base_notify_errors_mbox,
						setup_mbox, teardown),
		T(test_header_errors),
		T(test_protocol_errors),
		T(test_size_errors),
		T(test_power),
		T(test_power_errors),
		T(test_power_async),
		T(test_system),
		T(test_perf),
		T(test_perf_errors),
		T(test_clock),
		T(test_clock_rounding),
		T(test_clock_rights),
		T(test_sensor),
		T(test_reset),
		T(test_reset_errors),
		cmocka_unit_test_setup_teardown(test_attributes_with_p2a,
						setup_mbox, teardown),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
