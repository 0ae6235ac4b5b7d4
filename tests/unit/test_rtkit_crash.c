// SPDX-License-Identifier: MIT
/*
 * RTKit host library, crashes (hardware.md 2.4): the crashlog buffer, then the
 * crash message: the log copied and decoded, crashed() called, every send
 * refused, waiters woken with -ECONNRESET, and reinit bringing it back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>
#include <copro/sim/crashlog_writer.h>

#include "test_iop.h"
#include "test_modes.h"

#define CL_PAGES 4
#define SRAM_PHYS 0x278000000ull
#define SRAM_SIZE 0x10000ull

struct seen {
	_Atomic int crashes; /* last: the callback's other fields come first */
	bool had_log;
	char str[COPRO_CRASHLOG_STR_MAX];
};

static void on_crashed(void *ctx, const struct copro_crashlog *cl)
{
	struct seen *s = ctx;

	s->had_log = cl != NULL;
	if (cl && cl->has_str)
		snprintf(s->str, sizeof(s->str), "%s", cl->str);
	atomic_fetch_add(&s->crashes, 1);
}

static const struct copro_rtkit_ops crash_ops = { .crashed = on_crashed };

/* Each test's client state, found from its bench. */
static struct seen *current_seen;

static struct seen *seen_of(struct test_rtk *t)
{
	(void)t;
	return current_seen;
}

static uint64_t sys_msg(unsigned type, uint64_t fields)
{
	return RTK_EP_TYPE_MAKE(type) | fields;
}

/* A whole crashlog for CL_PAGES pages, damaged when corrupt >= 0. */
static void *make_crashlog(const char *message, int corrupt, size_t *len)
{
	struct copro_sim_crashlog_info info = {
		.version = 1,
		.str = message,
		.version_str = "RTKit-test",
		.has_time = true,
		.time = 1234,
	};
	size_t size = CL_PAGES * 4096;
	void *buf = calloc(1, size);
	long n;

	assert_non_null(buf);
	n = copro_sim_crashlog_write(&info, buf, size);
	assert_true(n > 0);
	if (corrupt >= 0)
		assert_int_equal(copro_sim_crashlog_corrupt(
					 buf, size, corrupt,
					 COPRO_SIM_CRASHLOG_FOURCC('C', 'v', 'e',
								   'r')),
				 0);
	*len = size;
	return buf;
}

static void boot_with_crashlog(struct test_rtk *t, void **state,
			       const struct test_iop_config *icfg,
			       struct seen *s, const struct copro_rtkit_config *base)
{
	struct copro_rtkit_config cfg = base ? *base : (struct copro_rtkit_config){ 0 };
	size_t cur;

	cfg.ops = &crash_ops;
	cfg.ctx = s;
	memset(s, 0, sizeof(*s));
	current_seen = s;
	test_rtk_open(t, test_threaded(state), icfg);
	assert_int_equal(test_rtk_create(t, &cfg), 0);
	assert_int_equal(test_rtk_boot(t), 0);
	cur = test_iop_count(t->iop);
	test_iop_send(t->iop, COPRO_RTKIT_EP_CRASHLOG,
		      sys_msg(RTK_BUFFER_REQUEST, RTK_BUF_SIZE_MAKE(CL_PAGES)));
	assert_true(test_rtk_wait_ap(t, &cur, COPRO_RTKIT_EP_CRASHLOG,
				     RTK_BUFFER_REQUEST, NULL));
	assert_non_null(copro_rtkit_shmem(t->rtk, COPRO_RTKIT_EP_CRASHLOG));
}

static struct seen *seen_of(struct test_rtk *t);

/* Crashed, and the client told (waiters may return before the callback). */
static bool told(void *arg)
{
	struct test_rtk *t = arg;

	return copro_rtkit_is_crashed(t->rtk) &&
	       atomic_load(&seen_of(t)->crashes) > 0;
}

static void crash(struct test_rtk *t, const void *log, size_t len)
{
	const struct copro_rtkit_shmem *sh =
		copro_rtkit_shmem(t->rtk, COPRO_RTKIT_EP_CRASHLOG);

	if (log)
		assert_int_equal(test_iop_dma_write(t->iop, sh->iova, log, len), 0);
	assert_int_equal(test_iop_send(t->iop, COPRO_RTKIT_EP_CRASHLOG,
				       sys_msg(RTK_CRASHLOG_CRASH, 0)),
			 0);
	assert_true(test_rtk_wait(t, told, t));
}

struct more_arg {
	struct copro_rtkit *rtk;
	uint64_t received; /* refusals so far */
};

static bool received_more(void *arg)
{
	struct more_arg *a = arg;
	struct copro_rtkit_stats st;

	copro_rtkit_get_stats(a->rtk, &st);
	return st.refused > a->received;
}

static void expect_dead(struct test_rtk *t)
{
	struct copro_rtkit_stats st;
	size_t cur = test_iop_count(t->iop);

	assert_true(copro_rtkit_is_crashed(t->rtk));
	assert_false(copro_rtkit_is_running(t->rtk));
	assert_int_equal(copro_rtkit_send_message(t->rtk, TEST_IOP_APP_EP, 1, 0),
			 -ECONNRESET);
	assert_int_equal(copro_rtkit_send_message(t->rtk, TEST_IOP_APP_EP, 1,
						  TEST_TIMEOUT_NS),
			 -ECONNRESET);
	assert_int_equal(copro_rtkit_start_ep(t->rtk, TEST_IOP_APP_EP),
			 -ECONNRESET);
	assert_int_equal(copro_rtkit_boot(t->rtk), -ECONNRESET);
	assert_int_equal(copro_rtkit_shutdown(t->rtk), -ECONNRESET);
	assert_int_equal(copro_rtkit_idle(t->rtk), -ECONNRESET);
	assert_int_equal(copro_rtkit_wake(t->rtk), -ECONNRESET);
	assert_int_equal(copro_rtkit_flush(t->rtk, TEST_TIMEOUT_NS), -ECONNRESET);
	/* Its last words are not answered either. */
	copro_rtkit_get_stats(t->rtk, &st);
	test_iop_send(t->iop, COPRO_RTKIT_EP_IOREPORT, sys_msg(8, 0));
	struct copro_rtkit_stats now;
	struct more_arg a = { t->rtk, st.refused };

	assert_true(test_rtk_wait(t, received_more, &a));
	copro_rtkit_get_stats(t->rtk, &now);
	assert_int_equal(now.refused, st.refused + 1);
	assert_int_equal(test_iop_count(t->iop), cur);
	assert_int_equal(now.crashes, 1);
}

static void test_crash(void **state)
{
	struct test_rtk t;
	struct seen s;
	size_t len;
	void *log = make_crashlog("panic: the test said so", -1, &len);

	boot_with_crashlog(&t, state, NULL, &s, NULL);
	crash(&t, log, len);
	assert_int_equal(s.crashes, 1);
	assert_true(s.had_log);
	assert_string_equal(s.str, "panic: the test said so");
	const struct copro_crashlog *cl = copro_rtkit_crashlog(t.rtk);

	assert_non_null(cl);
	assert_true(cl->has_time);
	assert_int_equal(cl->time, 1234);
	assert_string_equal(cl->version_str, "RTKit-test");
	test_logcap_expect(&t.cap, "err: rtk: the coprocessor crashed");
	test_logcap_expect(&t.cap, "panic: the test said so");
	expect_dead(&t);

	/* Held in reset, reinitialised: a new life. */
	test_rtk_cpu(&t, false);
	assert_int_equal(copro_rtkit_reinit(t.rtk), 0);
	assert_false(copro_rtkit_is_crashed(t.rtk));
	assert_null(copro_rtkit_crashlog(t.rtk));
	assert_null(copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_CRASHLOG));
	assert_int_equal(test_rtk_boot(&t), 0);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, TEST_IOP_APP_EP), 0);
	free(log);
	test_rtk_close(&t);
}

static void test_crash_unreadable_log(void **state)
{
	struct test_rtk t;
	struct seen s;
	size_t len;
	void *log = make_crashlog("x", COPRO_SIM_CRASHLOG_BAD_MAGIC, &len);

	boot_with_crashlog(&t, state, NULL, &s, NULL);
	crash(&t, log, len);
	assert_int_equal(s.crashes, 1);
	assert_false(s.had_log);
	assert_null(copro_rtkit_crashlog(t.rtk));
	test_logcap_expect(&t.cap, "crashlog unreadable");
	expect_dead(&t);
	free(log);
	test_rtk_close(&t);
}

/* A damaged section: what came before it is still reported. */
static void test_crash_partial_log(void **state)
{
	struct test_rtk t;
	struct seen s;
	size_t len;
	void *log = make_crashlog("before the damage",
				  COPRO_SIM_CRASHLOG_OVERSIZED_SECTION, &len);

	boot_with_crashlog(&t, state, NULL, &s, NULL);
	crash(&t, log, len);
	assert_int_equal(s.crashes, 1);
	assert_non_null(copro_rtkit_crashlog(t.rtk));
	assert_true(copro_rtkit_crashlog(t.rtk)->partial);
	free(log);
	test_rtk_close(&t);
}

/* The crashlog of an MMIO-mode coprocessor is read 32 bits at a time. */
static void test_crash_mmio(void **state)
{
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_MMIO,
		.iova_base = SRAM_PHYS,
		.iova_size = SRAM_SIZE,
	};
	struct test_sram *sram;
	struct test_rtk t;
	struct seen s;
	size_t len;
	void *log = make_crashlog("SMC down", -1, &len);

	test_rtk_open(&t, test_threaded(state), NULL);
	assert_int_equal(test_sram_create(t.bus, SRAM_PHYS, SRAM_SIZE, &sram), 0);
	memset(&s, 0, sizeof(s));
	current_seen = &s;
	cfg.ops = &crash_ops;
	cfg.ctx = &s;
	assert_int_equal(test_rtk_create(&t, &cfg), 0);
	assert_int_equal(test_rtk_boot(&t), 0);
	size_t cur = test_iop_count(t.iop);

	test_iop_send(t.iop, COPRO_RTKIT_EP_CRASHLOG,
		      sys_msg(RTK_BUFFER_REQUEST, RTK_BUF_SIZE_MAKE(CL_PAGES) |
							  RTK_BUF_IOVA_MAKE(SRAM_PHYS)));
	test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, sys_msg(8, 0));
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_IOREPORT, 8, NULL));
	test_sram_write(sram, 0, log, len);
	assert_int_equal(test_iop_send(t.iop, COPRO_RTKIT_EP_CRASHLOG,
				       sys_msg(RTK_CRASHLOG_CRASH, 0)),
			 0);
	assert_true(test_rtk_wait(&t, told, &t));
	assert_string_equal(s.str, "SMC down");
	assert_int_equal(test_sram_reads(sram), CL_PAGES * 4096 / 4);
	assert_int_equal(test_sram_bad_accesses(sram), 0);
	test_rtk_cpu(&t, false);
	copro_rtkit_destroy(t.rtk);
	t.rtk = NULL;
	test_sram_destroy(sram);
	free(log);
	test_rtk_close(&t);
}

/* A crash instead of an ACK ends the wait at once, with -ECONNRESET. */
static bool crash_hook(void *ctx, struct test_iop *iop, uint8_t ep, uint64_t msg)
{
	(void)ctx;
	if (ep != 0 || RTK_MGMT_TYPE(msg) != RTK_MGMT_SET_AP_PWR_STATE ||
	    RTK_PWR_STATE(msg) != COPRO_RTKIT_PWR_QUIESCED)
		return false;
	test_iop_send(iop, COPRO_RTKIT_EP_CRASHLOG, sys_msg(RTK_CRASHLOG_CRASH, 0));
	return true;
}

static void test_crash_wakes_waiter(void **state)
{
	struct test_iop_config icfg = { .hook = crash_hook };
	/* Far longer than the test may take: only the crash can end it. */
	struct copro_rtkit_config cfg = { .timeout_ns = 60 * COPRO_NSEC_PER_SEC };
	struct test_rtk t;
	struct seen s;
	size_t len;
	void *log = make_crashlog("mid-shutdown", -1, &len);

	boot_with_crashlog(&t, state, &icfg, &s, &cfg);
	const struct copro_rtkit_shmem *sh =
		copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_CRASHLOG);

	assert_int_equal(test_iop_dma_write(t.iop, sh->iova, log, len), 0);
	assert_int_equal(copro_rtkit_shutdown(t.rtk), -ECONNRESET);
	assert_true(test_rtk_wait(&t, told, &t));
	assert_int_equal(s.crashes, 1);
	assert_string_equal(s.str, "mid-shutdown");
	free(log);
	test_rtk_close(&t);
}

/*
 * A client's crashed callback, held until the test has reinitialised the
 * library under it: the crashlog it was handed must stay what it was for
 * the whole call (rtkit.h), though the reinit frees the library's copy.
 */
struct gated {
	struct seen s;
	_Atomic bool entered, open, changed;
	struct copro_crashlog at_entry;
};

static bool gate_open(void *arg)
{
	return atomic_load(&((struct gated *)arg)->open);
}

static bool gate_entered(void *arg)
{
	return atomic_load(&((struct gated *)arg)->entered);
}

static bool gate_counted(void *arg)
{
	return atomic_load(&((struct gated *)arg)->s.crashes) > 0;
}

static void on_crashed_gated(void *ctx, const struct copro_crashlog *cl)
{
	struct gated *g = ctx;

	if (cl)
		memcpy(&g->at_entry, cl, sizeof(*cl));
	atomic_store(&g->entered, true);
	if (!test_wait_until(gate_open, g, TEST_TIMEOUT_NS) || !cl ||
	    memcmp(cl, &g->at_entry, sizeof(*cl)))
		atomic_store(&g->changed, true);
	atomic_fetch_add(&g->s.crashes, 1);
}

static void test_crash_callback_outlives_reinit(void **state)
{
	static const struct copro_rtkit_ops ops = { .crashed = on_crashed_gated };
	struct gated *g = calloc(1, sizeof(*g));
	struct copro_rtkit_config cfg = { .ops = &ops };
	struct test_rtk t;
	size_t len, cur;
	void *log = make_crashlog("held across a reinit", -1, &len);
	void *reuse;

	assert_non_null(g);
	cfg.ctx = g;
	current_seen = &g->s;
#ifdef __GLIBC__
	/* glibc fills what is freed: a use after free reads the filling. */
	mallopt(M_PERTURB, 0xa5);
#endif
	test_rtk_open(&t, test_threaded(state), NULL);
	assert_int_equal(test_rtk_create(&t, &cfg), 0);
	assert_int_equal(test_rtk_boot(&t), 0);
	cur = test_iop_count(t.iop);
	test_iop_send(t.iop, COPRO_RTKIT_EP_CRASHLOG,
		      sys_msg(RTK_BUFFER_REQUEST, RTK_BUF_SIZE_MAKE(CL_PAGES)));
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_CRASHLOG,
				     RTK_BUFFER_REQUEST, NULL));
	assert_int_equal(test_iop_dma_write(
				 t.iop,
				 copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_CRASHLOG)->iova,
				 log, len),
			 0);
	assert_int_equal(test_iop_send(t.iop, COPRO_RTKIT_EP_CRASHLOG,
				       sys_msg(RTK_CRASHLOG_CRASH, 0)),
			 0);
	/* The callback runs in the mailbox's consumer thread: held there. */
	assert_true(test_wait_until(gate_entered, g, TEST_TIMEOUT_NS));
	test_rtk_cpu(&t, false);
	assert_int_equal(copro_rtkit_reinit(t.rtk), 0);
	assert_null(copro_rtkit_crashlog(t.rtk));
	/* And whatever was freed may be handed out again. */
	reuse = malloc(sizeof(struct copro_crashlog));
	assert_non_null(reuse);
	memset(reuse, 0x5a, sizeof(struct copro_crashlog));
	atomic_store(&g->open, true);
	assert_true(test_wait_until(gate_counted, g, TEST_TIMEOUT_NS));
	assert_int_equal(atomic_load(&g->s.crashes), 1);
	assert_false(atomic_load(&g->changed));
	assert_string_equal(g->at_entry.str, "held across a reinit");
	free(reuse);
	free(log);
	test_rtk_close(&t);
	free(g);
#ifdef __GLIBC__
	mallopt(M_PERTURB, 0);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_crash, NULL, NULL),
		TEST_BOTH(test_crash_unreadable_log, NULL, NULL),
		TEST_BOTH(test_crash_partial_log, NULL, NULL),
		TEST_BOTH(test_crash_mmio, NULL, NULL),
		TEST_BOTH(test_crash_wakes_waiter, NULL, NULL),
		TEST_THREADED(test_crash_callback_outlives_reinit, NULL, NULL),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
