/* SPDX-License-Identifier: MIT */
/*
 * The SCMI agent against the platform model over the SMC transport
 * (board scmi-smc): discovery and every protocol's calls; each way a
 * command completes (the SMC's return on the base channel, the a2p
 * interrupt on the performance channel and on agent 2's, polling); a
 * platform without host threads; the two agents' rights; and every
 * fault the platform can inject, each an error for the agent and never a
 * hang, with the channel usable afterwards wherever the platform let go
 * of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <copro/devices.h>
#include <copro/driver/device.h>
#include <copro/driver/platform.h>
#include <copro/error.h>
#include <copro/sim/bus.h>
#include <copro/trace.h>

#include "test_scmi.h"

#define BASE_AREA 0x50000000ull
#define PERF_AREA 0x50000080ull
#define PERF_A2P_LINE (32 + 40)
#define SHORT_NS (300 * COPRO_NSEC_PER_MSEC)

static struct test_scmi *open_agents(bool threaded,
				     const struct copro_scmi_config *cfg)
{
	struct test_scmi *t = calloc(1, sizeof(*t));

	test_scmi_open(t, "scmi-smc", threaded);
	assert_int_equal(test_scmi_agent(t, 0, cfg), 0);
	assert_int_equal(test_scmi_agent(t, 1, cfg), 0);
	return t;
}

static int setup(void **state)
{
	*state = open_agents(true, NULL);
	return 0;
}

static int setup_short(void **state)
{
	struct copro_scmi_config cfg = { .timeout_ns = SHORT_NS };

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
	const struct copro_scmi_base_info *b = copro_scmi_base(t->agent[0]);
	char name[COPRO_SCMI_NAME_LEN];
	uint32_t id, v, attr;

	assert_string_equal(b->vendor, "copro");
	assert_string_equal(b->sub_vendor, "emulated EL3");
	assert_int_equal(b->impl_version, 0x00010002);
	assert_int_equal(b->version, SCMI_VERSION(2, 0));
	assert_int_equal(b->num_agents, 2);
	assert_int_equal(b->num_protocols, 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(b->protocols[i], 0x11 + i);
	assert_int_equal(b->agent_id, 1);
	assert_string_equal(b->agent_name, "OSPM");
	b = copro_scmi_base(t->agent[1]);
	assert_int_equal(b->agent_id, 2);
	assert_int_equal(b->num_protocols, 3);
	assert_true(copro_scmi_has_protocol(t->agent[1], COPRO_SCMI_CLOCK));
	assert_false(copro_scmi_has_protocol(t->agent[1], COPRO_SCMI_PERF));

	assert_int_equal(copro_scmi_discover_agent(t->agent[0], 2, &id, name), 0);
	assert_int_equal(id, 2);
	assert_string_equal(name, "trusted-svc");
	assert_int_equal(copro_scmi_discover_agent(t->agent[1], 1, &id, name),
			 -EACCES);
	assert_int_equal(copro_scmi_discover_agent(t->agent[0], 5, &id, name),
			 -ENOENT);
	assert_int_equal(copro_scmi_protocol_version(t->agent[0],
						     COPRO_SCMI_PERF, &v),
			 0);
	assert_int_equal(v, SCMI_VERSION(3, 0));
	assert_int_equal(copro_scmi_message_attributes(
				 t->agent[0], COPRO_SCMI_CLOCK,
				 SCMI_CLOCK_RATE_SET, &attr),
			 0);
	assert_int_equal(copro_scmi_message_attributes(
				 t->agent[0], COPRO_SCMI_CLOCK,
				 SCMI_CLOCK_NAME_GET, &attr),
			 -ENOENT);
}

static void test_clock(void **state)
{
	struct copro_scmi *a = ((struct test_scmi *)*state)->agent[0];
	struct copro_scmi_clock_info ci;
	struct copro_scmi_clock_rates r;
	uint64_t rate;
	unsigned n, async;

	assert_int_equal(copro_scmi_clock_count(a, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(copro_scmi_clock_max_async(a, &async), 0);
	assert_int_equal(async, 0);
	assert_int_equal(copro_scmi_clock_attributes(a, 0, &ci), 0);
	assert_string_equal(ci.name, "cpu");
	assert_true(ci.enabled);
	assert_false(ci.rate_notify);
	assert_int_equal(ci.enable_latency_us, 10);
	/* Twenty rates over two pages, and a range. */
	assert_int_equal(copro_scmi_clock_rates(a, 2, &r), 0);
	assert_false(r.range);
	assert_int_equal(r.n, 20);
	assert_int_equal(r.rates[0], 25175000);
	assert_int_equal(r.rates[19], 234000000);
	free(r.rates);
	assert_int_equal(copro_scmi_clock_rates(a, 1, &r), 0);
	assert_true(r.range);
	assert_int_equal(r.min, 1000000);
	assert_int_equal(r.max, 48000000);
	assert_int_equal(r.step, 1000000);

	assert_int_equal(copro_scmi_clock_rate_set(a, 0, 1000000000,
						   COPRO_SCMI_CLOCK_ROUND_UP,
						   NULL),
			 0);
	assert_int_equal(copro_scmi_clock_rate_get(a, 0, &rate), 0);
	assert_int_equal(rate, 1200000000);
	assert_int_equal(copro_scmi_clock_rate_set(a, 0, 10, 0, NULL), -ERANGE);
	/* Asynchronous needs a receive channel this transport lacks. */
	assert_int_equal(copro_scmi_clock_rate_set(a, 0, 900000000,
						   COPRO_SCMI_CLOCK_ASYNC, NULL),
			 -EOPNOTSUPP);
	assert_int_equal(copro_scmi_clock_enable(a, 0, false), 0);
	assert_int_equal(copro_scmi_clock_attributes(a, 0, &ci), 0);
	assert_false(ci.enabled);
	/* Ids past the count never reach the platform. */
	assert_int_equal(copro_scmi_clock_rate_get(a, 3, &rate), -ENOENT);
}

static void test_power_system(void **state)
{
	struct copro_scmi *a = ((struct test_scmi *)*state)->agent[0];
	struct copro_scmi_pd_info pi;
	uint32_t st;
	unsigned n;

	assert_int_equal(copro_scmi_pd_count(a, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(copro_scmi_pd_attributes(a, 0, &pi), 0);
	assert_string_equal(pi.name, "gpu");
	assert_true(pi.async && pi.sync && !pi.notify);
	assert_int_equal(copro_scmi_pd_set(a, 0, COPRO_SCMI_PD_ON, false), 0);
	assert_int_equal(copro_scmi_pd_get(a, 0, &st), 0);
	assert_int_equal(st, COPRO_SCMI_PD_ON);
	assert_int_equal(copro_scmi_pd_set(a, 2, COPRO_SCMI_PD_OFF, false),
			 -EACCES);
	assert_int_equal(copro_scmi_pd_set(a, 1, COPRO_SCMI_PD_OFF, true),
			 -EOPNOTSUPP);
	assert_int_equal(copro_scmi_pd_set(a, 0, 0x80000000u, false), -EINVAL);
	assert_int_equal(copro_scmi_system_get(a, &st), 0);
	assert_int_equal(st, COPRO_SCMI_SYSTEM_POWER_UP);
	assert_int_equal(copro_scmi_system_set(a, COPRO_SCMI_SYSTEM_SHUTDOWN,
					       true),
			 -EACCES);
}

static void test_perf_irq_channel(void **state)
{
	struct test_scmi *t = *state;
	struct copro_scmi *a = t->agent[0];
	struct copro_scmi_perf_info pi;
	struct copro_scmi_perf_level *lv;
	uint32_t level, max, min;
	size_t n;

	/* Everything here crosses the channel completed by interrupt. */
	assert_int_equal(copro_scmi_perf_attributes(a, 0, &pi), 0);
	assert_string_equal(pi.name, "cpu-little");
	assert_true(pi.set_level && pi.set_limits && !pi.level_notify);
	assert_int_equal(pi.sustained_khz, 1800000);
	assert_int_equal(copro_scmi_perf_levels(a, 0, &lv, &n), 0);
	assert_int_equal(n, 9);
	assert_int_equal(lv[0].level, 200);
	assert_int_equal(lv[8].level, 1000);
	assert_int_equal(lv[8].power, 340);
	free(lv);
	assert_int_equal(copro_scmi_perf_level_set(a, 0, 900), 0);
	assert_int_equal(copro_scmi_perf_level_get(a, 0, &level), 0);
	assert_int_equal(level, 900);
	assert_int_equal(copro_scmi_perf_limits_set(a, 0, 700, 300), 0);
	assert_int_equal(copro_scmi_perf_limits_get(a, 0, &max, &min), 0);
	assert_int_equal(max, 700);
	assert_int_equal(min, 300);
	assert_int_equal(copro_scmi_perf_level_get(a, 0, &level), 0);
	assert_int_equal(level, 700);
	assert_int_equal(copro_scmi_perf_level_set(a, 0, 900), -ERANGE);
	assert_int_equal(copro_scmi_perf_level_set(a, 2, 100), -ENOENT);
	/* Each answer raised the line; the agent took it every time. */
	assert_true(copro_bus_irq_get(t->bus, PERF_A2P_LINE));
}

static void test_sensor_reset(void **state)
{
	struct test_scmi *t = *state;
	struct copro_scmi *a = t->agent[0];
	struct copro_scmi_sensor_info *si;
	struct copro_scmi_reset_info ri;
	int64_t v;
	size_t n;
	bool asserted;
	unsigned resets;

	assert_int_equal(copro_scmi_sensor_list(a, &si, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(si[0].name, "soc-temp");
	assert_int_equal(si[0].type, 2);
	assert_int_equal(si[0].scale, -3);
	assert_false(si[0].async);
	assert_string_equal(si[4].name, "vdd-io");
	free(si);
	assert_int_equal(copro_scmi_sensor_read(a, 3, false, &v), 0);
	assert_int_equal(v, -2000);
	assert_int_equal(copro_scmi_sensor_read(a, 0, true, &v), -EOPNOTSUPP);
	assert_string_equal(copro_scmi_sensor_unit(2), "degrees C");

	assert_int_equal(copro_scmi_reset_attributes(a, 0, &ri), 0);
	assert_string_equal(ri.name, "usb");
	assert_int_equal(ri.latency_us, 20);
	assert_int_equal(copro_scmi_reset(a, 0, false), 0);
	assert_int_equal(copro_scmi_reset_assert(a, 1, true), 0);
	assert_int_equal(copro_sim_scmi_reset_state(t->plat, 1, &asserted,
						    &resets),
			 0);
	assert_true(asserted);
	assert_int_equal(copro_scmi_reset_assert(a, 1, false), 0);
	copro_sim_scmi_reset_state(t->plat, 1, &asserted, &resets);
	assert_false(asserted);
	copro_sim_scmi_reset_state(t->plat, 0, &asserted, &resets);
	assert_int_equal(resets, 1);
}

static void test_second_agent_rights(void **state)
{
	struct test_scmi *t = *state;
	struct copro_scmi *b = t->agent[1];
	uint64_t rate;
	uint32_t st;
	unsigned n;

	/* Not listed for it: refused before anything is sent. */
	assert_int_equal(copro_scmi_perf_count(b, &n), -EOPNOTSUPP);
	assert_int_equal(copro_scmi_pd_count(b, &n), -EOPNOTSUPP);
	/* The uart clock is its own; the cpu clock it may only read. */
	assert_int_equal(copro_scmi_clock_rate_set(b, 1, 12000000, 0, NULL), 0);
	assert_int_equal(copro_scmi_clock_rate_get(t->agent[0], 1, &rate), 0);
	assert_int_equal(rate, 12000000);
	assert_int_equal(copro_scmi_clock_rate_set(b, 0, 900000000, 0, NULL),
			 -EACCES);
	assert_int_equal(copro_scmi_clock_rate_get(b, 0, &rate), 0);
	assert_int_equal(copro_scmi_reset(b, 1, false), -EACCES);
	assert_int_equal(copro_scmi_reset(b, 0, false), 0);
	/* It may restart the system; the OS sees the new state. */
	assert_int_equal(copro_scmi_system_set(b, COPRO_SCMI_SYSTEM_WARM_RESET,
					       false),
			 0);
	assert_int_equal(copro_scmi_system_get(t->agent[0], &st), 0);
	assert_int_equal(st, COPRO_SCMI_SYSTEM_WARM_RESET);
}

/* ---- completion by polling, and without host threads --------------------- */

static void test_polling(void **state)
{
	struct copro_scmi_config cfg = { .poll = true };
	struct test_scmi *t = calloc(1, sizeof(*t));
	uint32_t level;

	(void)state;
	test_scmi_open(t, "scmi-smc", true);
	assert_int_equal(test_scmi_agent(t, 0, &cfg), 0);
	assert_int_equal(copro_scmi_perf_level_set(t->agent[0], 0, 400), 0);
	assert_int_equal(copro_scmi_perf_level_get(t->agent[0], 0, &level), 0);
	assert_int_equal(level, 400);
	/* A polling agent asks for no interrupt, and gets none. */
	assert_false(copro_bus_irq_get(t->bus, PERF_A2P_LINE));
	test_scmi_close(t);
	free(t);
}

static void test_unthreaded(void **state)
{
	struct test_scmi *t = open_agents(false, NULL);
	uint32_t level;
	uint64_t rate;

	(void)state;
	assert_int_equal(copro_scmi_perf_level_set(t->agent[0], 0, 300), 0);
	assert_int_equal(copro_scmi_perf_level_get(t->agent[0], 0, &level), 0);
	assert_int_equal(level, 300);
	/* Agent 2 completes by interrupt too: handlers run from its waits. */
	assert_int_equal(copro_scmi_clock_rate_get(t->agent[1], 1, &rate), 0);
	assert_int_equal(rate, 24000000);
	test_scmi_close(t);
	free(t);
}

/* ---- faults --------------------------------------------------------------------- */

static void inject(struct test_scmi *t, uint32_t agent,
		   enum copro_sim_scmi_fault_kind kind, unsigned count,
		   uint64_t param)
{
	struct copro_sim_scmi_fault f = { kind, count, param, false };

	assert_int_equal(copro_sim_scmi_inject(t->plat, agent, &f), 0);
}

/* Faults on the channel completed by the SMC's return. */
static void test_faults_sync(void **state)
{
	struct test_scmi *t = *state;
	struct copro_scmi *a = t->agent[0];
	struct copro_scmi_stats st;
	uint64_t rate;
	int ret;

	inject(t, 1, COPRO_SIM_SCMI_FAULT_WRONG_TOKEN, 1, 0);
	assert_int_equal(copro_scmi_clock_rate_get(a, 0, &rate), -EPROTO);
	inject(t, 1, COPRO_SIM_SCMI_FAULT_SHORT, 1, 0);
	assert_int_equal(copro_scmi_clock_rate_get(a, 0, &rate), -EPROTO);
	inject(t, 1, COPRO_SIM_SCMI_FAULT_OVERLONG, 1, 0);
	assert_int_equal(copro_scmi_clock_rate_get(a, 0, &rate), -EPROTO);
	inject(t, 1, COPRO_SIM_SCMI_FAULT_BAD_STATUS, 1, (uint32_t)-42);
	assert_int_equal(copro_scmi_clock_rate_get(a, 0, &rate), -EPROTO);
	inject(t, 1, COPRO_SIM_SCMI_FAULT_BAD_STATUS, 1,
	       (uint32_t)SCMI_HARDWARE_ERROR);
	assert_int_equal(copro_scmi_clock_rate_get(a, 0, &rate), -EREMOTEIO);
	inject(t, 1, COPRO_SIM_SCMI_FAULT_CHANNEL_ERROR, 1, 0);
	assert_int_equal(copro_scmi_clock_rate_get(a, 0, &rate), -ECOMM);
	inject(t, 1, COPRO_SIM_SCMI_FAULT_GARBAGE, 1, 0);
	ret = copro_scmi_clock_rate_get(a, 0, &rate);
	assert_true(ret == -EPROTO || ret == -ECOMM);
	/* Late, on this channel, is a long SMC: the answer is still right. */
	inject(t, 1, COPRO_SIM_SCMI_FAULT_LATE, 1, 20 * COPRO_NSEC_PER_MSEC);
	assert_int_equal(copro_scmi_clock_rate_get(a, 0, &rate), 0);
	assert_int_equal(rate, 1200000000);
	/* Every fault was one message: the channel is fine. */
	assert_int_equal(copro_scmi_clock_rate_get(a, 0, &rate), 0);
	copro_scmi_get_stats(a, &st);
	assert_true(st.bad_responses >= 4);
	test_logcap_expect(&t->cap, "the header has another token");
	test_logcap_expect(&t->cap, "a length past the end of the area");
	test_logcap_expect(&t->cap, "reported a channel error");
}

/* A platform that keeps the area: an error, then BUSY, never a hang. */
static void test_fault_left_busy(void **state)
{
	struct test_scmi *t = *state;
	uint64_t rate;

	inject(t, 1, COPRO_SIM_SCMI_FAULT_LEAVE_BUSY, 1, 0);
	assert_int_equal(copro_scmi_clock_rate_get(t->agent[0], 0, &rate),
			 -EPROTO);
	test_logcap_expect(&t->cap, "returned with the area still busy");
	assert_int_equal(copro_scmi_clock_rate_get(t->agent[0], 0, &rate),
			 -EBUSY);
	test_logcap_expect(&t->cap, "still holds the area");
	/* The other agent's channel is its own. */
	assert_int_equal(copro_scmi_clock_rate_get(t->agent[1], 0, &rate), 0);
}

static void test_fault_never_sync(void **state)
{
	struct test_scmi *t = *state;
	uint64_t rate;

	inject(t, 1, COPRO_SIM_SCMI_FAULT_NEVER, 1, 0);
	assert_int_equal(copro_scmi_clock_rate_get(t->agent[0], 0, &rate),
			 -EPROTO);
}

struct free_wait {
	struct copro_mmio *m;
};

static bool area_free(void *arg)
{
	struct free_wait *w = arg;

	return copro_readl(w->m, SCMI_SHMEM_STATUS) & SCMI_SHMEM_STATUS_FREE;
}

/* Faults on the channel completed by interrupt: timeouts, then recovery. */
static void test_faults_irq(void **state)
{
	struct test_scmi *t = *state;
	struct copro_scmi *a = t->agent[0];
	struct copro_scmi_stats st;
	struct free_wait w;
	uint32_t level;

	/* Answered after the agent gave up: it times out... */
	inject(t, 1, COPRO_SIM_SCMI_FAULT_LATE, 1, 4 * SHORT_NS);
	assert_int_equal(copro_scmi_perf_level_get(a, 0, &level), -ETIMEDOUT);
	/* ...and once the late answer is in, the next command is fine. */
	assert_int_equal(copro_mmio_map(t->p, PERF_AREA, 0x80, &w.m), 0);
	assert_true(test_wait_until(area_free, &w, TEST_TIMEOUT_NS));
	copro_mmio_unmap(w.m);
	assert_int_equal(copro_scmi_perf_level_set(a, 0, 500), 0);
	assert_int_equal(copro_scmi_perf_level_get(a, 0, &level), 0);
	assert_int_equal(level, 500);
	/* An answer with another token: not ours, so no answer. */
	inject(t, 1, COPRO_SIM_SCMI_FAULT_WRONG_TOKEN, 1, 0);
	assert_int_equal(copro_scmi_perf_level_get(a, 0, &level), -ETIMEDOUT);
	assert_int_equal(copro_scmi_perf_level_get(a, 0, &level), 0);
	/* No answer at all. */
	inject(t, 1, COPRO_SIM_SCMI_FAULT_NEVER, 1, 0);
	assert_int_equal(copro_scmi_perf_level_get(a, 0, &level), -ETIMEDOUT);
	copro_scmi_get_stats(a, &st);
	assert_int_equal(st.timeouts, 3);
}

/* ---- the probe-all pass -------------------------------------------------------- */

static void count_trace(void *ctx, const struct copro_scmi_trace *tr)
{
	(void)tr;
	atomic_fetch_add((atomic_uint *)ctx, 1);
}

/*
 * Both SMC bindings ("arm,scmi-smc-param" for agent 1, "arm,scmi-smc"
 * for agent 2) bind to the agent's table, with the pass's config.
 */
static void test_probe_all(void **state)
{
	struct copro_board_config bc = { .board = "scmi-smc", .threaded = true };
	atomic_uint traced = 0;
	struct copro_scmi_config cfg = { .trace = count_trace,
					 .trace_ctx = &traced };
	const struct copro_driver_config cfgs[] = { { "scmi", &cfg },
						    { NULL, NULL } };
	const struct copro_devices_config dc = { .configs = cfgs };
	struct copro_board *b;
	struct copro_devices *devs;
	struct copro_device *d;
	uint32_t ids = 0;

	(void)state;
	assert_int_equal(copro_board_create(&bc, &b), 0);
	assert_int_equal(copro_devices_probe_all(copro_board_platform(b), &dc,
						 &devs),
			 0);
	assert_int_equal(copro_devices_count(devs), 2);
	d = copro_devices_find_compatible(devs, COPRO_SCMI_SMC_PARAM_COMPATIBLE,
					  NULL);
	assert_non_null(d);
	assert_ptr_equal(copro_device_driver(d), copro_scmi_driver());
	ids |= 1u << copro_scmi_base(copro_device_data(d))->agent_id;
	d = copro_devices_find_compatible(devs, COPRO_SCMI_SMC_COMPATIBLE, NULL);
	assert_non_null(d);
	assert_ptr_equal(copro_device_driver(d), copro_scmi_driver());
	ids |= 1u << copro_scmi_base(copro_device_data(d))->agent_id;
	assert_int_equal(ids, 1u << 1 | 1u << 2);
	/* Discovery went through the config's trace. */
	assert_true(atomic_load(&traced) > 0);
	assert_int_equal(copro_devices_remove_all(devs), 0);
	copro_board_destroy(b);
}

/*
 * A recorded board: the tracer hides the SRAM's memory, so the agent
 * reaches its areas through the MMIO accessors instead of loading and
 * storing the words. Commands work the same, and each of the area's
 * accesses is in the recording.
 */
static void test_recorded(void **state)
{
	(void)state;
	struct test_scmi t;
	struct copro_trace_file *f;
	const struct copro_trace_info *in;
	uint64_t rate, reads = 0, writes = 0;
	char path[64];

	snprintf(path, sizeof(path), "/tmp/copro-test-scmi-rec.%d", getpid());
	test_scmi_open_recorded(&t, "scmi-smc", true, path);
	assert_int_equal(test_scmi_agent(&t, 0, NULL), 0);
	assert_int_equal(copro_scmi_clock_rate_set(t.agent[0], 0, 1000000000,
						   COPRO_SCMI_CLOCK_ROUND_UP,
						   NULL),
			 0);
	assert_int_equal(copro_scmi_clock_rate_get(t.agent[0], 0, &rate), 0);
	assert_int_equal(rate, 1200000000);
	test_scmi_close(&t);

	assert_int_equal(copro_trace_load(path, NULL, &f), 0);
	in = copro_trace_file_info(f);
	for (size_t i = 0; i < in->nevents; i++) {
		const struct copro_trace_event *e = &in->events[i];

		if (e->kind != COPRO_TRACE_MMIO ||
		    in->regions[e->u.mmio.region].phys != BASE_AREA)
			continue;
		if (e->u.mmio.write)
			writes++;
		else
			reads++;
	}
	copro_trace_file_free(f);
	unlink(path);
	/* Discovery's commands and these two: several accesses each. */
	assert_true(writes >= 8);
	assert_true(reads >= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define S(fn) cmocka_unit_test_setup_teardown(fn, setup_short, teardown)
		T(test_discovery),
		T(test_clock),
		T(test_power_system),
		T(test_perf_irq_channel),
		T(test_sensor_reset),
		T(test_second_agent_rights),
		cmocka_unit_test(test_polling),
		cmocka_unit_test(test_unthreaded),
		S(test_faults_sync),
		S(test_fault_left_busy),
		S(test_fault_never_sync),
		S(test_faults_irq),
		cmocka_unit_test(test_probe_all),
		cmocka_unit_test(test_recorded),
#undef T
#undef S
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
