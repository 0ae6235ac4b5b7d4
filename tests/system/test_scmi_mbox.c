/* SPDX-License-Identifier: MIT */
/*
 * The SCMI agent against the platform model over the mailbox transport
 * (board scmi-mbox: the OS on an SMC mailbox, a guest VM on the
 * hypervisor's HVC mailbox, each with a receive channel): delayed
 * responses matched by token, notifications to subscribers across the two
 * agents (and from the platform itself), unsubscribing, faults on the
 * receive channel (a delayed response with another token, lost, short,
 * with an error status; a garbage notification), and all of it without
 * host threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <copro/devices.h>
#include <copro/driver/device.h>
#include <copro/error.h>

#include "test_scmi.h"

#define OS 0
#define VM 1

/* Events a subscriber received, kept for the test to look at. */
struct events {
	_Atomic unsigned n;
	struct copro_scmi_event last;
};

static void on_event(void *ctx, const struct copro_scmi_event *ev)
{
	struct events *e = ctx;

	e->last = *ev;
	atomic_fetch_add(&e->n, 1);
}

struct wait_n {
	struct events *e;
	unsigned n;
	struct copro_scmi *poll; /* unthreaded: deliver while waiting */
};

static bool got(void *arg)
{
	struct wait_n *w = arg;

	if (w->poll)
		copro_scmi_poll(w->poll);
	return atomic_load(&w->e->n) >= w->n;
}

static void wait_events(struct events *e, unsigned n, struct copro_scmi *poll)
{
	struct wait_n w = { e, n, poll };

	assert_true(test_wait_until(got, &w, TEST_TIMEOUT_NS));
}

static struct test_scmi *open_agents(bool threaded,
				     const struct copro_scmi_config *cfg)
{
	struct test_scmi *t = calloc(1, sizeof(*t));

	test_scmi_open(t, "scmi-mbox", threaded);
	assert_int_equal(test_scmi_agent(t, OS, cfg), 0);
	assert_int_equal(test_scmi_agent(t, VM, cfg), 0);
	return t;
}

static int setup(void **state)
{
	*state = open_agents(true, NULL);
	return 0;
}

static int setup_short(void **state)
{
	struct copro_scmi_config cfg = {
		.delayed_timeout_ns = 500 * COPRO_NSEC_PER_MSEC,
	};

	*state = open_agents(true, &cfg);
	return 0;
}

static int teardown(void **state)
{
	test_scmi_close(*state);
	free(*state);
	return 0;
}

static void test_discovery(void **state)
{
	struct test_scmi *t = *state;

	assert_int_equal(copro_scmi_base(t->agent[OS])->agent_id, 1);
	assert_string_equal(copro_scmi_base(t->agent[OS])->sub_vendor,
			    "emulated EL3+2");
	assert_int_equal(copro_scmi_base(t->agent[VM])->agent_id, 2);
	assert_string_equal(copro_scmi_base(t->agent[VM])->agent_name,
			    "guest-vm");
	assert_int_equal(copro_scmi_base(t->agent[VM])->num_protocols, 4);
}

static void test_delayed_responses(void **state)
{
	struct test_scmi *t = *state;
	struct copro_scmi *a = t->agent[OS];
	struct copro_scmi_stats st;
	uint64_t set = 0, rate;
	unsigned max;
	int64_t v;
	bool asserted;
	unsigned resets;

	assert_int_equal(copro_scmi_clock_max_async(a, &max), 0);
	assert_int_equal(max, 4);
	/* CLOCK_RATE_SET_COMPLETE says what the clock got. */
	assert_int_equal(copro_scmi_clock_rate_set(a, 2, 50000001,
						   COPRO_SCMI_CLOCK_ASYNC |
							   COPRO_SCMI_CLOCK_ROUND_UP,
						   &set),
			 0);
	assert_int_equal(set, 65000000);
	assert_int_equal(copro_scmi_clock_rate_get(a, 2, &rate), 0);
	assert_int_equal(rate, 65000000);
	assert_int_equal(copro_scmi_sensor_read(a, 0, true, &v), 0);
	assert_int_equal(v, 45250);
	assert_int_equal(copro_scmi_reset(a, 1, true), 0);
	copro_sim_scmi_reset_state(t->plat, 1, &asserted, &resets);
	assert_int_equal(resets, 1);
	/* Errors come back synchronously, before any delayed response. */
	assert_int_equal(copro_scmi_clock_rate_set(a, 2, 1, COPRO_SCMI_CLOCK_ASYNC,
						   &set),
			 -ERANGE);
	copro_scmi_get_stats(a, &st);
	assert_int_equal(st.delayed, 3);
	assert_int_equal(st.dropped, 0);
}

static void test_notifications_across_agents(void **state)
{
	struct test_scmi *t = *state;
	struct events os = { 0 }, vm = { 0 };
	struct copro_scmi_sub *s1, *s2;

	assert_int_equal(copro_scmi_subscribe(t->agent[OS], COPRO_SCMI_CLOCK,
					      COPRO_SCMI_CLOCK_RATE_CHANGED, 1,
					      on_event, &os, &s1),
			 0);
	assert_int_equal(copro_scmi_subscribe(t->agent[VM], COPRO_SCMI_CLOCK,
					      COPRO_SCMI_CLOCK_RATE_CHANGED, 1,
					      on_event, &vm, &s2),
			 0);
	/* The guest changes its clock; both hear, and who did it. */
	assert_int_equal(copro_scmi_clock_rate_set(t->agent[VM], 1, 7000000, 0,
						   NULL),
			 0);
	wait_events(&os, 1, NULL);
	wait_events(&vm, 1, NULL);
	assert_int_equal(os.last.protocol, COPRO_SCMI_CLOCK);
	assert_int_equal(os.last.id, COPRO_SCMI_CLOCK_RATE_CHANGED);
	assert_int_equal(os.last.agent_id, 2);
	assert_int_equal(os.last.src_id, 1);
	assert_int_equal(os.last.u.rate, 7000000);
	/* The OS does the same; now the guest hears of agent 1. */
	assert_int_equal(copro_scmi_clock_rate_set(t->agent[OS], 1, 9000000, 0,
						   NULL),
			 0);
	wait_events(&vm, 2, NULL);
	assert_int_equal(vm.last.agent_id, 1);
	assert_int_equal(vm.last.u.rate, 9000000);
	copro_scmi_unsubscribe(s1);
	copro_scmi_unsubscribe(s2);
}

static void test_power_async_notification(void **state)
{
	struct test_scmi *t = *state;
	struct events e = { 0 };
	struct copro_scmi_sub *sub;
	struct copro_scmi_pd_info pi;

	assert_int_equal(copro_scmi_pd_attributes(t->agent[OS], 0, &pi), 0);
	assert_true(pi.notify && pi.async);
	assert_int_equal(copro_scmi_subscribe(t->agent[OS], COPRO_SCMI_POWER,
					      COPRO_SCMI_POWER_STATE_CHANGED, 0,
					      on_event, &e, &sub),
			 0);
	/* Acknowledged now; the notification says when it is done. */
	assert_int_equal(copro_scmi_pd_set(t->agent[OS], 0, COPRO_SCMI_PD_ON,
					   true),
			 0);
	wait_events(&e, 1, NULL);
	assert_int_equal(e.last.src_id, 0);
	assert_int_equal(e.last.u.state, COPRO_SCMI_PD_ON);
	assert_int_equal(e.last.agent_id, 1);
	/* The guest may switch the gpu domain too: the OS hears of it. */
	assert_int_equal(copro_scmi_pd_set(t->agent[VM], 0, COPRO_SCMI_PD_OFF,
					   false),
			 0);
	wait_events(&e, 2, NULL);
	assert_int_equal(e.last.agent_id, 2);
	assert_int_equal(e.last.u.state, COPRO_SCMI_PD_OFF);
	/* But not the dsp's. */
	assert_int_equal(copro_scmi_pd_set(t->agent[VM], 1, COPRO_SCMI_PD_OFF,
					   false),
			 -EACCES);
	copro_scmi_unsubscribe(sub);
}

static void test_platform_events(void **state)
{
	struct test_scmi *t = *state;
	struct events lim = { 0 }, lvl = { 0 }, sys = { 0 }, err = { 0 };
	struct copro_scmi_sub *s[4];
	uint64_t rate;

	assert_int_equal(copro_scmi_subscribe(t->agent[OS], COPRO_SCMI_PERF,
					      COPRO_SCMI_PERF_LIMITS_CHANGED, 0,
					      on_event, &lim, &s[0]),
			 0);
	assert_int_equal(copro_scmi_subscribe(t->agent[OS], COPRO_SCMI_PERF,
					      COPRO_SCMI_PERF_LEVEL_CHANGED, 0,
					      on_event, &lvl, &s[1]),
			 0);
	assert_int_equal(copro_scmi_subscribe(t->agent[OS], COPRO_SCMI_SYSTEM,
					      COPRO_SCMI_SYSTEM_NOTIFIER, 0,
					      on_event, &sys, &s[2]),
			 0);
	assert_int_equal(copro_scmi_subscribe(t->agent[OS], COPRO_SCMI_BASE,
					      COPRO_SCMI_BASE_ERROR, 0,
					      on_event, &err, &s[3]),
			 0);
	/* Thermal: the platform caps the cpu; its level follows. */
	assert_int_equal(copro_sim_scmi_perf_cap(t->plat, 0, 400, 200), 0);
	wait_events(&lim, 1, NULL);
	wait_events(&lvl, 1, NULL);
	assert_int_equal(lim.last.agent_id, 0);
	assert_int_equal(lim.last.u.limits.max, 400);
	assert_int_equal(lim.last.u.limits.min, 200);
	assert_int_equal(lvl.last.u.level, 400);
	/* The guest shuts the system down; the OS is told, gracefully. */
	assert_int_equal(copro_scmi_system_set(t->agent[VM],
					       COPRO_SCMI_SYSTEM_SHUTDOWN, true),
			 0);
	wait_events(&sys, 1, NULL);
	assert_int_equal(sys.last.agent_id, 2);
	assert_int_equal(sys.last.u.system.state, COPRO_SCMI_SYSTEM_SHUTDOWN);
	assert_int_equal(sys.last.u.system.flags, COPRO_SCMI_SYSTEM_GRACEFUL);
	assert_int_equal(sys.last.u.system.timeout, 1000);
	/* An error the guest made, reported to the OS. */
	assert_int_equal(copro_scmi_clock_rate_set(t->agent[VM], 0, 5, 0, NULL),
			 -EACCES);
	assert_int_equal(copro_sim_scmi_report_error(t->plat, 2, false), 0);
	wait_events(&err, 1, NULL);
	assert_int_equal(err.last.agent_id, 2);
	assert_int_equal(err.last.u.error.status, 1);
	assert_int_equal((uint32_t)err.last.u.error.report,
			 scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, 0,
				  scmi_hdr_token((uint32_t)err.last.u.error.report)));
	/* The guest may not ask for errors. */
	struct copro_scmi_sub *no;

	assert_int_equal(copro_scmi_subscribe(t->agent[VM], COPRO_SCMI_BASE,
					      COPRO_SCMI_BASE_ERROR, 0,
					      on_event, &err, &no),
			 -EACCES);
	for (unsigned i = 0; i < 4; i++)
		copro_scmi_unsubscribe(s[i]);
	(void)rate;
}

static void test_unsubscribe(void **state)
{
	struct test_scmi *t = *state;
	struct events clk = { 0 }, pd = { 0 };
	struct copro_scmi_sub *sc, *sp;

	assert_int_equal(copro_scmi_subscribe(t->agent[OS], COPRO_SCMI_CLOCK,
					      COPRO_SCMI_CLOCK_RATE_CHANGED, 1,
					      on_event, &clk, &sc),
			 0);
	assert_int_equal(copro_scmi_subscribe(t->agent[OS], COPRO_SCMI_POWER,
					      COPRO_SCMI_POWER_STATE_CHANGED, 0,
					      on_event, &pd, &sp),
			 0);
	copro_scmi_unsubscribe(sc);
	/* The clock change, then a power change behind it in the queue. */
	assert_int_equal(copro_scmi_clock_rate_set(t->agent[OS], 1, 3000000, 0,
						   NULL),
			 0);
	assert_int_equal(copro_scmi_pd_set(t->agent[OS], 0, COPRO_SCMI_PD_ON,
					   false),
			 0);
	wait_events(&pd, 1, NULL);
	assert_int_equal(atomic_load(&clk.n), 0);
	copro_scmi_unsubscribe(sp);
	/* Events the agent has no decoding for are refused up front. */
	assert_int_equal(copro_scmi_subscribe(t->agent[OS], COPRO_SCMI_SENSOR,
					      0, 0, on_event, &clk, &sc),
			 -EOPNOTSUPP);
}

/* ---- the receive channel misbehaving --------------------------------------- */

static void inject_p2a(struct test_scmi *t, enum copro_sim_scmi_fault_kind k,
		       uint64_t param)
{
	struct copro_sim_scmi_fault f = { k, 1, param, true };

	assert_int_equal(copro_sim_scmi_inject(t->plat, 1, &f), 0);
}

static void test_p2a_faults(void **state)
{
	struct test_scmi *t = *state;
	struct copro_scmi *a = t->agent[OS];
	struct copro_scmi_stats st;
	int64_t v;

	/* Another token: nobody waits for it; ours never comes. */
	inject_p2a(t, COPRO_SIM_SCMI_FAULT_WRONG_TOKEN, 0);
	assert_int_equal(copro_scmi_sensor_read(a, 0, true, &v), -ETIMEDOUT);
	test_logcap_expect(&t->cap, "matches no command waiting for one");
	/* Lost on the way. */
	inject_p2a(t, COPRO_SIM_SCMI_FAULT_NEVER, 0);
	assert_int_equal(copro_scmi_sensor_read(a, 0, true, &v), -ETIMEDOUT);
	/* Cut short: the reading is missing. */
	inject_p2a(t, COPRO_SIM_SCMI_FAULT_SHORT, 0);
	assert_int_equal(copro_scmi_sensor_read(a, 0, true, &v), -EPROTO);
	/* Past the area: not read at all, dropped, then nothing. */
	inject_p2a(t, COPRO_SIM_SCMI_FAULT_OVERLONG, 0);
	assert_int_equal(copro_scmi_sensor_read(a, 0, true, &v), -ETIMEDOUT);
	/* The platform failed the operation after accepting it. */
	inject_p2a(t, COPRO_SIM_SCMI_FAULT_BAD_STATUS,
		   (uint32_t)SCMI_HARDWARE_ERROR);
	assert_int_equal(copro_scmi_sensor_read(a, 0, true, &v), -EREMOTEIO);
	inject_p2a(t, COPRO_SIM_SCMI_FAULT_GARBAGE, 0);
	assert_int_equal(copro_scmi_sensor_read(a, 0, true, &v), -ETIMEDOUT);
	/* And through it all the channel kept working. */
	assert_int_equal(copro_scmi_sensor_read(a, 0, true, &v), 0);
	assert_int_equal(v, 45250);
	copro_scmi_get_stats(a, &st);
	assert_true(st.dropped >= 3);
	assert_int_equal(st.timeouts, 4);
}

/* Messages no platform should send on the receive channel. */
static void test_p2a_malformed(void **state)
{
	struct test_scmi *t = *state;
	struct events e = { 0 };
	struct copro_scmi_sub *sub;
	struct copro_scmi_stats st;
	uint32_t bad[2] = { 1, 0 }, ok[3] = { 1, 0, SCMI_PD_STATE_ON };

	assert_int_equal(copro_scmi_subscribe(t->agent[OS], COPRO_SCMI_POWER,
					      COPRO_SCMI_POWER_STATE_CHANGED, 0,
					      on_event, &e, &sub),
			 0);
	/* A notification one word short, one of an unknown event, a command. */
	assert_int_equal(copro_sim_scmi_p2a_raw(
				 t->plat, 1,
				 scmi_hdr(SCMI_PROTO_POWER, 0,
					  SCMI_MSG_NOTIFICATION, 1),
				 bad, sizeof(bad)),
			 0);
	assert_int_equal(copro_sim_scmi_p2a_raw(
				 t->plat, 1,
				 scmi_hdr(SCMI_PROTO_POWER, 5,
					  SCMI_MSG_NOTIFICATION, 2),
				 ok, sizeof(ok)),
			 0);
	assert_int_equal(copro_sim_scmi_p2a_raw(
				 t->plat, 1,
				 scmi_hdr(SCMI_PROTO_POWER, 0, SCMI_MSG_COMMAND,
					  3),
				 ok, sizeof(ok)),
			 0);
	/* A delayed response nobody asked for. */
	assert_int_equal(copro_sim_scmi_p2a_raw(
				 t->plat, 1,
				 scmi_hdr(SCMI_PROTO_CLOCK, 5,
					  SCMI_MSG_DELAYED_RESP, 999),
				 ok, sizeof(ok)),
			 0);
	/* Then a good one: it arrives, the others did not. */
	assert_int_equal(copro_sim_scmi_p2a_raw(
				 t->plat, 1,
				 scmi_hdr(SCMI_PROTO_POWER, 0,
					  SCMI_MSG_NOTIFICATION, 4),
				 ok, sizeof(ok)),
			 0);
	wait_events(&e, 1, NULL);
	assert_int_equal(atomic_load(&e.n), 1);
	assert_int_equal(e.last.u.state, SCMI_PD_STATE_ON);
	copro_scmi_get_stats(t->agent[OS], &st);
	assert_int_equal(st.dropped, 4);
	copro_scmi_unsubscribe(sub);
}

/* ---- the driver model --------------------------------------------------------- */

/* One probe-all pass brings the mailboxes up, then the agents on them. */
static void test_probe_all(void **state)
{
	struct test_logcap cap;
	struct copro_board_config bc = { .board = "scmi-mbox", .threaded = true };
	struct copro_board *b;
	struct copro_devices *devs;
	struct copro_device *d, *mb;
	uint32_t ids = 0;
	unsigned agents = 0;

	(void)state;
	assert_int_equal(test_logcap_init(&cap), 0);
	bc.log = test_logcap_log(&cap);
	assert_int_equal(copro_board_create(&bc, &b), 0);
	assert_int_equal(copro_devices_probe_all(copro_board_platform(b), NULL,
						 &devs),
			 0);
	assert_int_equal(copro_devices_count(devs), 4);
	for (d = copro_devices_find_compatible(devs, COPRO_SCMI_COMPATIBLE, NULL);
	     d; d = copro_devices_find_compatible(devs, COPRO_SCMI_COMPATIBLE, d)) {
		struct copro_scmi *a = copro_device_data(d);

		assert_ptr_equal(copro_device_driver(d), copro_scmi_driver());
		ids |= 1u << copro_scmi_base(a)->agent_id;
		agents++;
	}
	assert_int_equal(agents, 2);
	assert_int_equal(ids, 1u << 1 | 1u << 2);
	/* The agents hold their mailboxes: those stay. */
	mb = copro_devices_find_compatible(devs, COPRO_HVC_MBOX_COMPATIBLE, NULL);
	assert_non_null(mb);
	assert_ptr_equal(copro_device_driver(mb), copro_smc_mbox_driver());
	assert_int_equal(copro_device_remove(mb), -EBUSY);
	assert_int_equal(copro_devices_remove_all(devs), 0);
	copro_board_destroy(b);
	test_logcap_destroy(&cap);
}

/* ---- without host threads ---------------------------------------------------- */

static void test_unthreaded(void **state)
{
	struct test_scmi *t = open_agents(false, NULL);
	struct copro_scmi *a = t->agent[OS];
	struct events e = { 0 };
	struct copro_scmi_sub *sub;
	uint64_t set = 0;

	(void)state;
	/* The delayed response is delivered by the wait's own polling. */
	assert_int_equal(copro_scmi_clock_rate_set(a, 0, 1500000000,
						   COPRO_SCMI_CLOCK_ASYNC, &set),
			 0);
	assert_int_equal(set, 1500000000);
	/* Notifications by copro_scmi_poll(). */
	assert_int_equal(copro_scmi_subscribe(a, COPRO_SCMI_CLOCK,
					      COPRO_SCMI_CLOCK_RATE_CHANGED, 0,
					      on_event, &e, &sub),
			 0);
	assert_int_equal(copro_scmi_clock_rate_set(t->agent[VM], 1, 2000000, 0,
						   NULL),
			 0);
	assert_int_equal(copro_scmi_clock_rate_set(a, 0, 600000000, 0, NULL),
			 0);
	wait_events(&e, 1, a);
	assert_int_equal(e.last.u.rate, 600000000);
	copro_scmi_unsubscribe(sub);
	test_scmi_close(t);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_discovery),
		T(test_delayed_responses),
		T(test_notifications_across_agents),
		T(test_power_async_notification),
		T(test_platform_events),
		T(test_unsubscribe),
		cmocka_unit_test_setup_teardown(test_p2a_faults, setup_short,
						teardown),
		T(test_p2a_malformed),
		cmocka_unit_test(test_unthreaded),
		cmocka_unit_test(test_probe_all),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
