/* SPDX-License-Identifier: MIT */
/*
 * The host RTKit library against a misbehaving RTKit firmware model: a
 * crash (decoded crashlog, the client told, sends refused), a damaged
 * crashlog, a crash with no crashlog buffer, an ioreport stall, and every
 * kind of hostile traffic at once. The host must log and refuse, never
 * crash, never hang.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/rtkit.h>
#include <copro/sim/crashlog_writer.h>
#include <copro/sim/rtkit_fw.h>

#include "test_rtkit_sys.h"
#include "test_modes.h"

#define SHORT_NS (50 * COPRO_NSEC_PER_MSEC)

static struct test_sys *sys_new(const char *board, bool threaded)
{
	struct test_sys *s = calloc(1, sizeof(*s));
	struct copro_rtkit_config cfg = { .shmem_mode = COPRO_RTKIT_SHMEM_SART };

	assert_non_null(s);
	test_sys_open(s, board, threaded);
	assert_int_equal(test_sys_create(s, &cfg), 0);
	return s;
}

static void sys_free(struct test_sys *s)
{
	test_sys_close(s);
	free(s);
}

static bool crashed(void *arg)
{
	return atomic_load(&((struct test_sys *)arg)->crashes) == 1;
}

static bool app_ep_started(void *arg)
{
	return test_logcap_contains(&((struct test_sys *)arg)->cap,
				    "endpoint 0x20 started");
}

static void check_crash(bool threaded)
{
	struct test_sys *s = sys_new("t8103", threaded);
	const struct copro_crashlog *cl;

	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_rtkit_start_ep(s->rtk, 0x20), 0);
	assert_true(test_sys_wait(s, app_ep_started, s));
	assert_int_equal(copro_sim_rtkit_crash(s->fw, "ANS2 panic: tag 7 lost",
					       -1),
			 0);
	assert_true(test_sys_wait(s, crashed, s));
	assert_int_equal(atomic_load(&s->crashes_with_log), 1);
	assert_string_equal(s->crash_str, "ANS2 panic: tag 7 lost");
	assert_true(copro_rtkit_is_crashed(s->rtk));
	assert_false(copro_rtkit_is_running(s->rtk));
	cl = copro_rtkit_crashlog(s->rtk);
	assert_non_null(cl);
	assert_false(cl->partial);
	assert_true(cl->has_version && cl->has_time && cl->has_regs);
	/* The history ends with the AP's STARTEP of 0x20. */
	assert_true(cl->has_mbx && cl->n_mbx > 2);
	assert_int_equal(cl->mbx[cl->n_mbx - 1].msg1, 0);
	assert_int_equal(cl->mbx[cl->n_mbx - 1].msg0 >> 52, 5);
	assert_int_equal((cl->mbx[cl->n_mbx - 1].msg0 >> 32) & 0xff, 0x20);
	assert_int_equal(test_sys_host_stats(s).crashes, 1);

	/* Nothing is sent once it has crashed. */
	assert_int_equal(copro_rtkit_send_message(s->rtk, 0x20, 1, 0),
			 -ECONNRESET);
	assert_int_equal(copro_rtkit_shutdown(s->rtk), -ECONNRESET);
	assert_int_equal(copro_rtkit_start_ep(s->rtk, 0x20), -ECONNRESET);
	test_logcap_expect(&s->cap, "crashed: ANS2 panic");

	/* Reset: the coprocessor boots again, the crash forgotten. */
	test_sys_cpu(s, false);
	assert_int_equal(copro_rtkit_reinit(s->rtk), 0);
	assert_false(copro_rtkit_is_crashed(s->rtk));
	assert_int_equal(test_sys_boot(s), 0);
	assert_false(copro_sim_rtkit_crashed(s->fw));
	sys_free(s);
}

static void test_crash(void **state)
{
	check_crash(test_threaded(state));
}

/* A damaged crashlog: decoded as far as it goes, the client still told. */
static void test_crash_damaged(void **state)
{
	static const int kinds[] = {
		COPRO_SIM_CRASHLOG_SHORT_CMBX,
		COPRO_SIM_CRASHLOG_BAD_MAGIC,
		COPRO_SIM_CRASHLOG_OVERSIZED_SECTION,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct test_sys *s = sys_new("t6000", true);
		const struct copro_crashlog *cl;

		assert_int_equal(test_sys_boot(s), 0);
		assert_int_equal(copro_sim_rtkit_crash(s->fw, "damaged",
						       kinds[i]),
				 0);
		assert_true(test_sys_wait(s, crashed, s));
		assert_true(copro_rtkit_is_crashed(s->rtk));
		cl = copro_rtkit_crashlog(s->rtk);
		if (kinds[i] == COPRO_SIM_CRASHLOG_BAD_MAGIC) {
			/* An unreadable header: the client gets no log. */
			assert_int_equal(atomic_load(&s->crashes_with_log), 0);
		} else {
			assert_non_null(cl);
			assert_true(cl->partial);
		}
		sys_free(s);
	}
}

static bool fw_crashed(void *arg)
{
	return copro_sim_rtkit_crashed(((struct test_sys *)arg)->fw);
}

/* No crashlog buffer: it dies silently; the host notices by timing out. */
static void test_crash_without_buffer(void **state)
{
	struct test_sys *s = calloc(1, sizeof(*s));
	struct copro_rtkit_config cfg = { .shmem_mode = COPRO_RTKIT_SHMEM_SART };
	struct copro_sim_rtkit_config fcfg;

	(void)state;
	assert_non_null(s);
	test_sys_open(s, "t8103", true);
	fcfg = test_sys_ans_cfg(s);
	fcfg.crashlog_buf = COPRO_SIM_RTKIT_BUF_NONE;
	test_sys_replace_fw(s, &fcfg);
	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_sim_rtkit_crash(s->fw, "silent", -1), -ENOENT);
	assert_true(test_sys_wait(s, fw_crashed, s));
	assert_int_equal(copro_rtkit_set_timeout(s->rtk, SHORT_NS), 0);
	assert_int_equal(copro_rtkit_shutdown(s->rtk), -ETIMEDOUT);
	assert_int_equal(atomic_load(&s->crashes), 0);
	sys_free(s);
}

static bool stalled(void *arg)
{
	return copro_sim_rtkit_stalled(((struct test_sys *)arg)->fw);
}

/*
 * A firmware that gives up on an ioreport echo at once stalls, however
 * quick the host is; stalled, it answers nothing: the host times out.
 */
static void test_stall(void **state)
{
	struct test_sys *s = calloc(1, sizeof(*s));
	struct copro_rtkit_config cfg = { .shmem_mode = COPRO_RTKIT_SHMEM_SART };
	struct copro_sim_rtkit_config fcfg;

	(void)state;
	assert_non_null(s);
	test_sys_open(s, "t6000", true);
	fcfg = test_sys_ans_cfg(s);
	fcfg.ioreport_timeout_ns = 1;
	test_sys_replace_fw(s, &fcfg);
	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_sim_rtkit_ioreport(s->fw, 0xc), 0);
	assert_true(test_sys_wait(s, stalled, s));
	assert_int_equal(copro_rtkit_set_timeout(s->rtk, SHORT_NS), 0);
	assert_int_equal(copro_rtkit_shutdown(s->rtk), -ETIMEDOUT);
	assert_false(copro_rtkit_is_crashed(s->rtk));
	sys_free(s);
}

/* ---- hostile traffic ----------------------------------------------------- */

static bool bursts_done(void *arg)
{
	struct test_sys *s = arg;

	return test_logcap_count(&s->cap, "hostile burst:") ==
	       COPRO_SIM_RTKIT_HOSTILE_COUNT;
}

static bool after_seen(void *arg)
{
	struct test_sys *s = arg;
	bool seen;

	copro_mutex_lock(&s->lock);
	seen = strcmp(s->last_text, "after") == 0;
	copro_mutex_unlock(&s->lock);
	return seen;
}

static void check_hostile(const char *board, bool threaded)
{
	struct test_sys *s = sys_new(board, threaded);
	struct copro_rtkit_stats st;
	int ret;

	assert_int_equal(test_sys_boot(s), 0);
	for (int k = 0; k < COPRO_SIM_RTKIT_HOSTILE_COUNT; k++)
		assert_int_equal(copro_sim_rtkit_hostile(s->fw, k), 0);
	assert_true(test_sys_wait(s, bursts_done, s));
	/* Everything the firmware sent has reached the host. */
	assert_int_equal(copro_rtkit_flush(s->rtk, TEST_TIMEOUT_NS), 0);
	/* A line after the bursts: once it arrives, the host saw them all. */
	assert_int_equal(copro_sim_rtkit_syslog(s->fw, "c", "after"), 0);
	assert_true(test_sys_wait(s, after_seen, s));

	/*
	 * One refusal per malformed message: 4 unknown endpoints, 7 unknown
	 * types, 2 syslog indices, 2 per buffer kind (all second requests
	 * here; the huge oslog one too), 2 out of sequence.
	 */
	st = test_sys_host_stats(s);
	assert_int_equal(st.refused, 24);
	assert_int_equal(test_logcap_count(&s->cap, "a second buffer request"),
			 9);
	test_logcap_expect(&s->cap, "EPMAP running");
	assert_false(copro_rtkit_is_crashed(s->rtk));
	assert_true(copro_rtkit_is_running(s->rtk));
	test_logcap_expect(&s->cap, "not in the endpoint map");
	/* The lifecycle still completes, one way or another, in time. */
	assert_int_equal(copro_rtkit_set_timeout(s->rtk, SHORT_NS), 0);
	ret = copro_rtkit_shutdown(s->rtk);
	assert_true(ret == 0 || ret == -ETIMEDOUT || ret == -EPROTO);
	sys_free(s);
}

static bool echoed(void *arg)
{
	return test_sys_fw_stats(arg).ioreport_echoed == 1;
}

/*
 * Buffer requests the host must judge on their merits: a firmware whose
 * syslog and ioreport want no buffer of their own, so nothing is a
 * second request.
 */
static void test_hostile_buffer_requests(void **state)
{
	struct test_sys *s = calloc(1, sizeof(*s));
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
		.shmem_max = 64 * 1024,
	};
	struct copro_sim_rtkit_config fcfg;

	(void)state;
	assert_non_null(s);
	test_sys_open(s, "t8103", true);
	fcfg = test_sys_ans_cfg(s);
	fcfg.syslog_buf = COPRO_SIM_RTKIT_BUF_NONE;
	fcfg.ioreport_buf = COPRO_SIM_RTKIT_BUF_NONE;
	fcfg.oslog_buf = COPRO_SIM_RTKIT_BUF_NONE;
	test_sys_replace_fw(s, &fcfg);
	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_sim_rtkit_hostile(s->fw,
				COPRO_SIM_RTKIT_HOSTILE_BUF_ZERO), 0);
	assert_int_equal(copro_sim_rtkit_hostile(s->fw,
				COPRO_SIM_RTKIT_HOSTILE_BUF_HUGE), 0);
	assert_int_equal(copro_sim_rtkit_hostile(s->fw,
				COPRO_SIM_RTKIT_HOSTILE_BUF_BAD_IOVA), 0);
	/* An echo after the bursts: once it is back, all were judged. */
	assert_int_equal(copro_sim_rtkit_ioreport(s->fw, 8), 0);
	assert_true(test_sys_wait(s, echoed, s));
	assert_int_equal(test_sys_host_stats(s).refused, 6);
	assert_int_equal(test_logcap_count(&s->cap, "a buffer of 0 bytes"), 2);
	assert_int_equal(test_logcap_count(&s->cap, "a buffer larger than the"
						    " configured maximum"),
			 2);
	assert_int_equal(test_logcap_count(&s->cap, "a coprocessor-chosen IOVA"),
			 2);
	assert_null(copro_rtkit_shmem(s->rtk, 2));
	assert_null(copro_rtkit_shmem(s->rtk, 4));
	assert_true(copro_rtkit_is_running(s->rtk));
	assert_int_equal(copro_rtkit_shutdown(s->rtk), 0);
	sys_free(s);
}

/* Both boards, one in each mode. */
static void test_hostile(void **state)
{
	bool threaded = test_threaded(state);

	check_hostile(threaded ? "t6000" : "t8103", threaded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_crash, NULL, NULL),
		cmocka_unit_test(test_crash_damaged),
		cmocka_unit_test(test_crash_without_buffer),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_hostile_buffer_requests),
		TEST_BOTH(test_hostile, NULL, NULL),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
