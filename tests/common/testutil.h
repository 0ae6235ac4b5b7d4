/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by every test.
 *
 * Capturing logs: give the code under test a log that records every line,
 * then assert on what was said.
 *
 *   struct test_logcap cap;
 *   assert_int_equal(test_logcap_init(&cap), 0);
 *   run_something(test_logcap_log(&cap));
 *   assert_true(test_logcap_contains(&cap, "asc@0: bad message"));
 *   test_logcap_destroy(&cap);
 *
 * Lines are stored as "<level>: <dev>: <msg>" (or "<level>: <msg>" without
 * a device), the stderr format without its "copro: " prefix, so a test can
 * match on the level too: test_logcap_contains(&cap, "err: asc@").
 *
 * Set COPRO_TEST_VERBOSE=1 in the environment to also echo every captured
 * line to stderr while a test runs.
 *
 * Waiting: never sleep a fixed time and hope; poll a condition with
 * test_wait_until() and a generous timeout, and assert on its result.
 */
#ifndef COPRO_TESTUTIL_H
#define COPRO_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "copro/log.h"
#include "copro/os.h"
#include "copro/platform.h"
#include "copro/sim/bus.h"

/* A generous timeout for waits that should finish almost at once. */
#define TEST_TIMEOUT_NS (10 * COPRO_NSEC_PER_SEC)

/*
 * Bytes of log text kept. When full, the oldest half is dropped, so the
 * latest lines are always there.
 */
#define TEST_LOGCAP_SIZE (256 * 1024)

struct test_logcap {
	struct copro_log *log;
	struct copro_mutex lock;
	char *buf;		/* lines, each ending in '\n', NUL-terminated */
	size_t len;		/* bytes used in buf, without the NUL */
	size_t lines;		/* lines captured since init/clear */
	size_t dropped;		/* of which dropped to make room */
	bool echo;		/* COPRO_TEST_VERBOSE: echo to stderr */
};

/* 0 or a negative errno. The log starts at COPRO_LOG_TRACE. */
int test_logcap_init(struct test_logcap *cap);
void test_logcap_destroy(struct test_logcap *cap);
/* The log to hand to the code under test; owned by cap. */
struct copro_log *test_logcap_log(struct test_logcap *cap);
/* Does any captured line contain substr? */
bool test_logcap_contains(struct test_logcap *cap, const char *substr);
/* How many captured lines contain substr (each line counts once). */
size_t test_logcap_count(struct test_logcap *cap, const char *substr);
/* Fails the current cmocka test, dumping the log, unless it holds substr. */
void test_logcap_expect(struct test_logcap *cap, const char *substr);
/* Forget everything captured so far. */
void test_logcap_clear(struct test_logcap *cap);
/* Print everything captured to stderr, e.g. before failing an assertion. */
void test_logcap_dump(struct test_logcap *cap);

/*
 * Polls pred(arg) with short sleeps until it returns true (-> true) or
 * timeout_ns passes (-> false; pred is checked one last time).
 * COPRO_FOREVER is allowed but a test should not use it.
 */
bool test_wait_until(bool (*pred)(void *arg), void *arg, int64_t timeout_ns);

/*
 * An emulated machine for `dt` and a platform over it: what a test that
 * puts models on a bus of its own (no board) drives. 0 or the error of
 * the step that failed (nothing is left behind).
 */
int test_platform_create(const struct copro_dt *dt, struct copro_log *log,
			 bool threaded, struct copro_bus **bus,
			 struct copro_platform **p);
/* The platform, then the bus; either may be NULL. */
void test_platform_destroy(struct copro_bus *bus, struct copro_platform *p);

#endif
