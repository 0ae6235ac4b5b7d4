/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <copro/error.h>
#include <copro/regs/asc.h>
#include <copro/sim/asc_model.h>

#include "test_rtkit_sys.h"

#define POLL_NS (50 * COPRO_NSEC_PER_USEC)

/* ---- the client ---------------------------------------------------------- */

static void on_crashed(void *ctx, const struct copro_crashlog *cl)
{
	struct test_sys *s = ctx;

	copro_mutex_lock(&s->lock);
	if (cl && cl->has_str)
		snprintf(s->crash_str, sizeof(s->crash_str), "%s", cl->str);
	copro_mutex_unlock(&s->lock);
	if (cl)
		atomic_fetch_add(&s->crashes_with_log, 1);
	atomic_fetch_add(&s->crashes, 1);
}

static void on_recv(void *ctx, uint8_t ep, uint64_t msg)
{
	struct test_sys *s = ctx;

	(void)ep;
	atomic_store(&s->last_app_msg, msg);
	atomic_fetch_add(&s->app_msgs, 1);
}

static void on_syslog(void *ctx, const char *context, const char *text)
{
	struct test_sys *s = ctx;

	copro_mutex_lock(&s->lock);
	snprintf(s->last_context, sizeof(s->last_context), "%s", context);
	snprintf(s->last_text, sizeof(s->last_text), "%s", text);
	copro_mutex_unlock(&s->lock);
	atomic_fetch_add(&s->syslog_lines, 1);
}

static void on_restarted(void *ctx)
{
	struct test_sys *s = ctx;

	atomic_fetch_add(&s->restarts, 1);
}

static const struct copro_rtkit_ops client_ops = {
	.restarted = on_restarted,
	.crashed = on_crashed,
	.recv_message = on_recv,
	.syslog = on_syslog,
};

/* ---- the bench ------------------------------------------------------------ */

static int ref_node(struct test_sys *s, const char *prop, const char *cells)
{
	struct copro_dt_ref ref;

	assert_int_equal(copro_dt_ref(copro_board_dt(s->b), s->nvme, prop,
				      cells, 0, &ref),
			 0);
	return ref.node;
}

void test_sys_open(struct test_sys *s, const char *board, bool threaded)
{
	/* RTKit against its firmware model; no NVMe controller behind it. */
	struct copro_board_config bc = { .board = board, .threaded = threaded,
					 .firmware_only = true };
	const struct copro_dt *dt;
	uint64_t phys, size;
	int mbox, mem;

	memset(s, 0, sizeof(*s));
	s->threaded = threaded;
	assert_int_equal(test_logcap_init(&s->cap), 0);
	assert_int_equal(copro_mutex_init(&s->lock), 0);
	bc.log = test_logcap_log(&s->cap);
	assert_int_equal(copro_board_create(&bc, &s->b), 0);
	s->p = copro_board_platform(s->b);
	dt = copro_board_dt(s->b);
	s->nvme = copro_board_nvme_node(s->b);
	assert_true(s->nvme >= 0);
	s->fw = copro_board_rtkit(s->b, s->nvme);
	assert_non_null(s->fw);
	mbox = ref_node(s, "mboxes", "#mbox-cells");
	s->asc = copro_board_asc(s->b, mbox);
	assert_non_null(s->asc);
	mem = copro_dt_path(dt, "/memory");
	assert_true(mem >= 0);
	assert_int_equal(copro_dt_reg(dt, mem, 0, &s->dram_base, &size), 0);

	copro_sim_asc_cpu_region(s->asc, &phys, &size);
	assert_int_equal(copro_mmio_map(s->p, phys, size, &s->cpu), 0);
	assert_int_equal(copro_asc_probe(s->p, mbox, &s->drv), 0);
	assert_int_equal(copro_sart_probe(s->p, ref_node(s, "apple,sart", NULL),
					  &s->sart),
			 0);
}

struct copro_sim_rtkit_config test_sys_ans_cfg(struct test_sys *s)
{
	struct copro_sim_rtkit_config cfg = {
		.crashlog_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.syslog_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.ioreport_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.oslog_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.required_eps = (1u << 1) | (1u << 4) | (1u << 8),
		.app_eps = { 0x20 },
	};

	cfg.sart = copro_board_sart(s->b, copro_sart_node(s->sart));
	assert_non_null(cfg.sart);
	return cfg;
}

void test_sys_replace_fw(struct test_sys *s,
			 const struct copro_sim_rtkit_config *cfg)
{
	assert_null(s->own);
	assert_int_equal(copro_sim_rtkit_create(s->asc, cfg, &s->own), 0);
	s->fw = s->own;
}

int test_sys_create(struct test_sys *s, const struct copro_rtkit_config *cfg)
{
	struct copro_rtkit_config c = *cfg;

	if (!c.ops) {
		c.ops = &client_ops;
		c.ctx = s;
	}
	if (!c.sart)
		c.sart = s->sart;
	/* A loaded machine must not fail a test that expects no timeout. */
	if (!c.timeout_ns)
		c.timeout_ns = TEST_TIMEOUT_NS;
	return copro_rtkit_create(s->p, s->nvme, &c, &s->rtk);
}

void test_sys_cpu(struct test_sys *s, bool run)
{
	copro_writel(s->cpu, ASC_CPU_CONTROL, run ? ASC_CPU_CONTROL_RUN : 0);
}

int test_sys_boot(struct test_sys *s)
{
	test_sys_cpu(s, true);
	return copro_rtkit_boot(s->rtk);
}

void test_sys_close(struct test_sys *s)
{
	test_sys_cpu(s, false);
	copro_rtkit_destroy(s->rtk);
	copro_asc_remove(s->drv);
	copro_sart_shutdown(s->sart);
	copro_sart_remove(s->sart);
	copro_mmio_unmap(s->cpu);
	copro_sim_rtkit_destroy(s->own);
	copro_board_destroy(s->b);
	copro_mutex_destroy(&s->lock);
	test_logcap_destroy(&s->cap);
}

bool test_sys_wait(struct test_sys *s, bool (*pred)(void *), void *arg)
{
	uint64_t deadline = copro_deadline(TEST_TIMEOUT_NS);

	while (!pred(arg)) {
		if (copro_deadline_left(deadline) == 0)
			return pred(arg);
		if (s->rtk && !s->threaded)
			copro_rtkit_poll(s->rtk);
		copro_sleep_ns(POLL_NS);
	}
	return true;
}

struct log_arg {
	struct test_sys *s;
	const char *what;
};

static bool log_has(void *arg)
{
	struct log_arg *l = arg;

	return test_logcap_contains(&l->s->cap, l->what);
}

void test_sys_wait_log(struct test_sys *s, const char *what)
{
	struct log_arg l = { s, what };

	if (!test_sys_wait(s, log_has, &l))
		test_logcap_expect(&s->cap, what);
}

struct lines_arg {
	struct test_sys *s;
	unsigned n;
};

static bool lines_reached(void *arg)
{
	struct lines_arg *l = arg;
	struct copro_sim_rtkit_stats st;

	copro_sim_rtkit_get_stats(l->s->fw, &st);
	return atomic_load(&l->s->syslog_lines) >= l->n &&
	       st.syslog_acked >= l->n;
}

void test_sys_wait_lines(struct test_sys *s, unsigned lines)
{
	struct lines_arg l = { s, lines };

	if (!test_sys_wait(s, lines_reached, &l)) {
		test_logcap_dump(&s->cap);
		fail_msg("%u syslog lines seen, waiting for %u",
			 atomic_load(&s->syslog_lines), lines);
	}
}

struct copro_sim_rtkit_stats test_sys_fw_stats(struct test_sys *s)
{
	struct copro_sim_rtkit_stats st;

	copro_sim_rtkit_get_stats(s->fw, &st);
	return st;
}

struct copro_rtkit_stats test_sys_host_stats(struct test_sys *s)
{
	struct copro_rtkit_stats st;

	copro_rtkit_get_stats(s->rtk, &st);
	return st;
}
