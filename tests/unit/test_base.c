/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "copro/error.h"
#include "copro/grow.h"
#include "copro/log.h"
#include "copro/os.h"
#include "testutil.h"

#define WAIT_NS (5 * COPRO_NSEC_PER_SEC)

/* ---- errors ---- */

static void test_strerror_errno(void **state)
{
	(void)state;
	assert_string_equal(copro_strerror(-ENOENT), "No such file or directory");
	assert_string_equal(copro_strerror(ENOENT), copro_strerror(-ENOENT));
	assert_string_equal(copro_strerror(-ETIMEDOUT),
			    "Connection timed out");
}

static void test_strerror_copro(void **state)
{
	(void)state;
	const int codes[] = { COPRO_EBUSFAULT, COPRO_EDT, COPRO_EPROBE_DEFER };

	assert_non_null(strstr(copro_strerror(-COPRO_EBUSFAULT), "bus fault"));
	assert_non_null(strstr(copro_strerror(-COPRO_EDT), "devicetree"));
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = copro_strerror(-codes[i]);

		assert_string_equal(s, copro_strerror(codes[i]));
		assert_null(strstr(s, "unknown"));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s, copro_strerror(-codes[j]));
	}
}

static void test_strerror_unknown(void **state)
{
	(void)state;
	assert_string_equal(copro_strerror(-99999), "unknown error -99999");
	assert_string_equal(copro_strerror(COPRO_EPROBE_DEFER + 1),
			    "unknown error 4099");
	assert_non_null(strstr(copro_strerror(INT_MIN), "unknown error"));
	assert_non_null(copro_strerror(0));
}

/* ---- logging ---- */

static void test_log_level_filter(void **state)
{
	(void)state;
	struct test_logcap cap;

	assert_int_equal(test_logcap_init(&cap), 0);
	struct copro_log *log = test_logcap_log(&cap);

	copro_log_set_level(log, COPRO_LOG_INFO);
	assert_int_equal(copro_log_get_level(log), COPRO_LOG_INFO);
	assert_true(copro_log_enabled(log, COPRO_LOG_ERR));
	assert_true(copro_log_enabled(log, COPRO_LOG_INFO));
	assert_false(copro_log_enabled(log, COPRO_LOG_DEBUG));

	copro_logf(log, COPRO_LOG_ERR, NULL, "e%d", 1);
	copro_logf(log, COPRO_LOG_INFO, NULL, "i%d", 2);
	copro_logf(log, COPRO_LOG_DEBUG, NULL, "d%d", 3);
	copro_logf(log, COPRO_LOG_TRACE, NULL, "t%d", 4);
	assert_true(test_logcap_contains(&cap, "err: e1"));
	assert_true(test_logcap_contains(&cap, "info: i2"));
	assert_false(test_logcap_contains(&cap, "d3"));
	assert_false(test_logcap_contains(&cap, "t4"));

	copro_log_set_level(log, COPRO_LOG_TRACE);
	copro_logf(log, COPRO_LOG_TRACE, NULL, "t%d", 5);
	assert_true(test_logcap_contains(&cap, "trace: t5"));

	/* A NULL log is the stderr default: warnings and errors only. */
	assert_int_equal(copro_log_get_level(NULL), COPRO_LOG_WARN);
	assert_true(copro_log_enabled(NULL, COPRO_LOG_WARN));
	assert_false(copro_log_enabled(NULL, COPRO_LOG_INFO));
	test_logcap_destroy(&cap);
}

static void test_log_dev_prefix(void **state)
{
	(void)state;
	struct test_logcap cap;
	struct copro_logdev ld;

	assert_int_equal(test_logcap_init(&cap), 0);
	copro_logdev_init(&ld, test_logcap_log(&cap), "mbox%d", 3);
	assert_string_equal(ld.name, "mbox3");
	copro_logdev_init(&ld, test_logcap_log(&cap), "asc@%llx",
			  0x277408000ull);
	assert_string_equal(ld.name, "asc@277408000");

	copro_dev_err(&ld, "bad tag %u\n", 70u);
	copro_dev_trace(&ld, "tracing");
	assert_true(test_logcap_contains(&cap, "err: asc@277408000: bad tag 70"));
	assert_true(test_logcap_contains(&cap, "trace: asc@277408000: tracing"));
	/* The trailing newline is stripped: exactly two lines. */
	assert_int_equal(cap.lines, 2);
	assert_int_equal(test_logcap_count(&cap, "asc@277408000"), 2);
	assert_int_equal(test_logcap_count(&cap, "tag 70\n"), 0);

	test_logcap_clear(&cap);
	assert_false(test_logcap_contains(&cap, "asc@"));

	/* A prefix longer than the name field is cut, not overflowed. */
	char longname[200];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	copro_logdev_init(&ld, NULL, "%s", longname);
	assert_int_equal(strlen(ld.name), sizeof(ld.name) - 1);
	test_logcap_destroy(&cap);
}

static void test_log_long_message(void **state)
{
	(void)state;
	struct test_logcap cap;
	char big[900], want[920];

	assert_int_equal(test_logcap_init(&cap), 0);
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = 'Z';
	big[sizeof(big) - 1] = '\0';
	copro_logf(test_logcap_log(&cap), COPRO_LOG_WARN, "dev", "%s", big);
	snprintf(want, sizeof(want), "warn: dev: %s", big);
	assert_true(test_logcap_contains(&cap, want));
	test_logcap_destroy(&cap);
}

static void test_log_level_parse(void **state)
{
	(void)state;
	enum copro_log_level lvl;
	const char *names[] = { "err", "warn", "info", "debug", "trace" };

	for (int i = COPRO_LOG_ERR; i <= COPRO_LOG_TRACE; i++) {
		assert_string_equal(copro_log_level_name(i), names[i]);
		assert_int_equal(copro_log_level_parse(names[i], &lvl), 0);
		assert_int_equal(lvl, i);
	}
	assert_int_equal(copro_log_level_parse("DEBUG", &lvl), 0);
	assert_int_equal(lvl, COPRO_LOG_DEBUG);
	assert_int_equal(copro_log_level_parse("error", &lvl), 0);
	assert_int_equal(lvl, COPRO_LOG_ERR);
	assert_int_equal(copro_log_level_parse("loud", &lvl), -EINVAL);
	assert_int_equal(copro_log_level_parse("", &lvl), -EINVAL);
	assert_int_equal(copro_log_level_parse(NULL, &lvl), -EINVAL);
	assert_string_equal(copro_log_level_name((enum copro_log_level)42), "?");
}

static void test_log_independent(void **state)
{
	(void)state;
	struct test_logcap a, b;

	assert_int_equal(test_logcap_init(&a), 0);
	assert_int_equal(test_logcap_init(&b), 0);
	copro_log_set_level(test_logcap_log(&a), COPRO_LOG_ERR);

	copro_logf(test_logcap_log(&a), COPRO_LOG_ERR, "a0", "to a");
	copro_logf(test_logcap_log(&b), COPRO_LOG_INFO, "b0", "to b");
	copro_logf(test_logcap_log(&a), COPRO_LOG_INFO, "a0", "filtered");

	assert_true(test_logcap_contains(&a, "a0: to a"));
	assert_false(test_logcap_contains(&a, "to b"));
	assert_false(test_logcap_contains(&a, "filtered"));
	assert_true(test_logcap_contains(&b, "b0: to b"));
	assert_false(test_logcap_contains(&b, "to a"));
	assert_int_equal(copro_log_get_level(test_logcap_log(&b)),
			 COPRO_LOG_TRACE);
	test_logcap_destroy(&a);
	test_logcap_destroy(&b);
}

/* Runs fn with stderr redirected to a file and returns what it wrote. */
static void capture_stderr(void (*fn)(void), char *out, size_t size)
{
	char path[] = "/tmp/copro-test-stderr-XXXXXX";
	int fd = mkstemp(path);
	int saved;
	ssize_t n;

	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	n = pread(fd, out, size - 1, 0);
	close(fd);
	assert_true(n >= 0);
	out[n] = '\0';
}

static void log_to_default_sinks(void)
{
	struct copro_log *log;

	copro_logf(NULL, COPRO_LOG_WARN, "sart@1", "null log %d", 1);
	copro_logf(NULL, COPRO_LOG_INFO, "sart@1", "hidden");
	copro_logf(NULL, COPRO_LOG_ERR, NULL, "no dev");
	if (copro_log_create(NULL, COPRO_LOG_INFO, &log) == 0) {
		copro_logf(log, COPRO_LOG_INFO, "mbox", "created %s", "log");
		copro_log_destroy(log);
	}
}

static void test_log_stderr_sink(void **state)
{
	(void)state;
	char out[1024];

	capture_stderr(log_to_default_sinks, out, sizeof(out));
	assert_string_equal(out, "copro: warn: sart@1: null log 1\n"
				 "copro: err: no dev\n"
				 "copro: info: mbox: created log\n");
}

static void test_log_create_invalid(void **state)
{
	(void)state;
	struct copro_log *log;
	const struct copro_log_sink nowrite = { 0 };

	assert_int_equal(copro_log_create(NULL, (enum copro_log_level)9, &log),
			 -EINVAL);
	assert_int_equal(copro_log_create(&nowrite, COPRO_LOG_INFO, &log),
			 -EINVAL);
	copro_log_destroy(NULL);
}

/* A sink that notices being entered by two threads at once. */
struct overlap_sink {
	_Atomic int inside;
	_Atomic int overlaps;
	_Atomic int lines;
	struct copro_log *log;
};

static void overlap_write(void *ctx, enum copro_log_level level,
			  const char *dev, const char *msg)
{
	struct overlap_sink *s = ctx;

	(void)level;
	(void)dev;
	(void)msg;
	if (atomic_fetch_add(&s->inside, 1) != 0)
		atomic_fetch_add(&s->overlaps, 1);
	for (int i = 0; i < 200; i++)
		copro_cpu_relax();
	atomic_fetch_sub(&s->inside, 1);
	atomic_fetch_add(&s->lines, 1);
}

static void *overlap_thread(void *arg)
{
	struct overlap_sink *s = arg;

	for (int i = 0; i < 2000; i++)
		copro_logf(s->log, COPRO_LOG_INFO, "t", "line %d", i);
	return NULL;
}

static void test_log_serialised(void **state)
{
	(void)state;
	struct overlap_sink s = { 0 };
	const struct copro_log_sink sink = { .write = overlap_write, .ctx = &s };
	struct copro_thread th[3];

	assert_int_equal(copro_log_create(&sink, COPRO_LOG_INFO, &s.log), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(copro_thread_start(&th[i], "logger",
						    overlap_thread, &s),
				 0);
	for (int i = 0; i < 3; i++)
		copro_thread_join(&th[i]);
	assert_int_equal(atomic_load(&s.lines), 3 * 2000);
	assert_int_equal(atomic_load(&s.overlaps), 0);
	copro_log_destroy(s.log);
}

static void test_logcap_bounded(void **state)
{
	(void)state;
	struct test_logcap cap;

	assert_int_equal(test_logcap_init(&cap), 0);
	/* Far more text than the buffer holds: the newest lines survive. */
	for (int i = 0; i < 20000; i++)
		copro_logf(test_logcap_log(&cap), COPRO_LOG_INFO, "d",
			   "message number %06d padding padding", i);
	assert_true(cap.len < TEST_LOGCAP_SIZE);
	assert_true(cap.dropped > 0);
	assert_true(test_logcap_contains(&cap, "message number 019999"));
	assert_false(test_logcap_contains(&cap, "message number 000000"));
	assert_int_equal(test_logcap_count(&cap, "info: d: message"),
			 cap.lines - cap.dropped);
	test_logcap_destroy(&cap);
}

/* ---- time and deadlines ---- */

static void test_time_and_deadline(void **state)
{
	(void)state;
	uint64_t t0 = copro_time_ns();

	copro_sleep_ns(COPRO_NSEC_PER_MSEC);
	assert_true(copro_time_ns() - t0 >= COPRO_NSEC_PER_MSEC);

	assert_int_equal(copro_deadline(COPRO_FOREVER), UINT64_MAX);
	assert_int_equal(copro_deadline_left(UINT64_MAX), COPRO_FOREVER);
	assert_int_equal(copro_deadline_left(copro_deadline(0)), 0);
	assert_int_equal(copro_deadline_left(copro_deadline(-5)), 0);
	assert_int_equal(copro_deadline_left(0), 0);

	int64_t left = copro_deadline_left(copro_deadline(10 * COPRO_NSEC_PER_SEC));
	assert_true(left > 0 && left <= 10 * COPRO_NSEC_PER_SEC);

	/* Huge but finite timeouts stay finite. */
	assert_true(copro_deadline(INT64_MAX) != UINT64_MAX);
	assert_true(copro_deadline_left(copro_deadline(INT64_MAX)) > 0);
}

static void test_mutex_rwlock(void **state)
{
	(void)state;
	struct copro_mutex mu;
	struct copro_rwlock rw;

	assert_int_equal(copro_mutex_init(&mu), 0);
	copro_mutex_lock(&mu);
	assert_false(copro_mutex_trylock(&mu));
	copro_mutex_unlock(&mu);
	assert_true(copro_mutex_trylock(&mu));
	copro_mutex_unlock(&mu);
	copro_mutex_destroy(&mu);

	assert_int_equal(copro_rwlock_init(&rw), 0);
	copro_rwlock_rdlock(&rw);
	copro_rwlock_rdlock(&rw);
	copro_rwlock_unlock(&rw);
	copro_rwlock_unlock(&rw);
	copro_rwlock_wrlock(&rw);
	copro_rwlock_unlock(&rw);
	copro_rwlock_destroy(&rw);
}

/* ---- threads ---- */

struct thread_probe {
	int value;
	char name[32];
};

static void *probe_thread(void *arg)
{
	struct thread_probe *p = arg;

	p->value = 42;
	pthread_getname_np(pthread_self(), p->name, sizeof(p->name));
	return NULL;
}

/*
 * The spin lock excludes: two threads add to a plain counter under it
 * (a lost update shows as a short total; TSan sees the race too), and
 * a taker that finds it held waits, past its spin into the sleeps, for
 * the holder's release.
 */
#define SPIN_ADDS 200000u

struct spin_ctx {
	struct copro_spinlock l;
	uint64_t count; /* under l */
	_Atomic bool held_long, taken;
};

static void *spin_adder(void *arg)
{
	struct spin_ctx *c = arg;

	for (unsigned i = 0; i < SPIN_ADDS; i++) {
		copro_spin_lock(&c->l);
		c->count++;
		copro_spin_unlock(&c->l);
	}
	return NULL;
}

static void *spin_taker(void *arg)
{
	struct spin_ctx *c = arg;

	copro_spin_lock(&c->l);
	atomic_store(&c->taken, true);
	copro_spin_unlock(&c->l);
	return NULL;
}

static void test_spinlock(void **state)
{
	struct spin_ctx c = { .count = 0 };
	struct copro_thread a, b;

	(void)state;
	copro_spin_init(&c.l);
	assert_int_equal(copro_thread_start(&a, "spin-a", spin_adder, &c), 0);
	assert_int_equal(copro_thread_start(&b, "spin-b", spin_adder, &c), 0);
	copro_thread_join(&a);
	copro_thread_join(&b);
	assert_int_equal(c.count, 2 * SPIN_ADDS);

	/* Held: trylock fails, and a taker waits until it is let go. */
	copro_spin_lock(&c.l);
	assert_false(copro_spin_trylock(&c.l));
	assert_int_equal(copro_thread_start(&a, "spin-t", spin_taker, &c), 0);
	copro_sleep_ns(5 * COPRO_NSEC_PER_MSEC);
	assert_false(atomic_load(&c.taken));
	copro_spin_unlock(&c.l);
	copro_thread_join(&a);
	assert_true(atomic_load(&c.taken));
	assert_true(copro_spin_trylock(&c.l));
	copro_spin_unlock(&c.l);
}

static void test_thread_start_join(void **state)
{
	(void)state;
	struct thread_probe p = { 0 };
	struct copro_thread th;

	assert_int_equal(copro_thread_start(&th, "a-very-long-thread-name",
					    probe_thread, &p),
			 0);
	copro_thread_join(&th);
	assert_int_equal(p.value, 42);
	assert_string_equal(p.name, "a-very-long-thr");
	/* Joining twice, or a thread never started, is harmless. */
	copro_thread_join(&th);
	struct copro_thread never = { 0 };
	copro_thread_join(&never);
	assert_int_equal(copro_thread_start(&th, "x", NULL, NULL), -EINVAL);
	assert_false(th.started);
}

/* ---- event ---- */

static void test_event_signal_before_wait(void **state)
{
	(void)state;
	struct copro_event ev;

	copro_event_init(&ev);
	uint32_t key = copro_event_prepare(&ev);
	copro_event_signal(&ev);
	/* Even a zero timeout sees a signal that came after prepare. */
	assert_int_equal(copro_event_wait(&ev, key, 0, 0), 0);
	assert_int_equal(copro_event_wait(&ev, key, COPRO_FOREVER, 0), 0);
	assert_int_equal(copro_event_wait(&ev, key, WAIT_NS,
					  COPRO_SPIN_DEFAULT_NS),
			 0);
}

static void test_event_timeout(void **state)
{
	(void)state;
	struct copro_event ev;

	copro_event_init(&ev);
	uint32_t key = copro_event_prepare(&ev);
	assert_int_equal(copro_event_wait(&ev, key, 0, 0), -ETIMEDOUT);
	assert_int_equal(copro_event_wait(&ev, key, -7, 0), -ETIMEDOUT);
	uint64_t t0 = copro_time_ns();
	assert_int_equal(copro_event_wait(&ev, key, 2 * COPRO_NSEC_PER_MSEC, 0),
			 -ETIMEDOUT);
	/* The full timeout passed, however the futex woke up on the way. */
	assert_true(copro_time_ns() - t0 >= 2 * COPRO_NSEC_PER_MSEC);
	/* A spin longer than the timeout is cut to the timeout. */
	assert_int_equal(copro_event_wait(&ev, key, COPRO_NSEC_PER_MSEC,
					  10 * COPRO_NSEC_PER_SEC),
			 -ETIMEDOUT);
	assert_int_equal(atomic_load(&ev.sleepers), 0);
}

struct waker {
	struct copro_event ev;
	_Atomic int flag;
	uint64_t spin_ns;
	int ret;
};

static void *event_waiter(void *arg)
{
	struct waker *w = arg;
	uint64_t deadline = copro_deadline(WAIT_NS);

	w->ret = 0;
	for (;;) {
		uint32_t key = copro_event_prepare(&w->ev);
		if (atomic_load(&w->flag))
			return NULL;
		int64_t left = copro_deadline_left(deadline);
		if (left == 0) {
			w->ret = -ETIMEDOUT;
			return NULL;
		}
		w->ret = copro_event_wait(&w->ev, key, left, w->spin_ns);
		if (w->ret && w->ret != -ETIMEDOUT)
			return NULL;
	}
}

static bool has_sleeper(void *arg)
{
	struct waker *w = arg;

	return atomic_load(&w->ev.sleepers) > 0;
}

static void cross_thread_wake(bool wait_for_sleep, uint64_t spin_ns)
{
	struct waker w = { .spin_ns = spin_ns, .ret = 1 };
	struct copro_thread th;

	copro_event_init(&w.ev);
	assert_int_equal(copro_thread_start(&th, "waiter", event_waiter, &w), 0);
	/*
	 * Once the waiter counts as a sleeper it is in (or about to enter)
	 * FUTEX_WAIT: only a real futex wake can release it before its
	 * timeout.
	 */
	if (wait_for_sleep)
		assert_true(test_wait_until(has_sleeper, &w, WAIT_NS));
	atomic_store(&w.flag, 1);
	copro_event_signal(&w.ev);
	copro_thread_join(&th);
	assert_int_equal(w.ret, 0);
	assert_int_equal(atomic_load(&w.ev.sleepers), 0);
}

static void test_event_cross_thread_futex(void **state)
{
	(void)state;
	cross_thread_wake(true, 0);
}

static void test_event_cross_thread_spin(void **state)
{
	(void)state;
	/* Usually released while spinning, the path a fast reply takes. */
	cross_thread_wake(false, COPRO_SPIN_DEFAULT_NS);
	cross_thread_wake(true, COPRO_SPIN_DEFAULT_NS);
}

/*
 * Ping-pong: each side publishes a turn number and signals the other's
 * event. A single lost wakeup stalls both sides until the timeout.
 *
 * A spinning side answers within nanoseconds, so its signal lands while
 * a non-spinning peer is still on its way into FUTEX_WAIT: exactly the
 * window a lost-wakeup race needs. Two sleeping sides cover the plain
 * futex path.
 */
struct pingpong {
	struct copro_event ev[2];
	_Atomic uint32_t turn;
	uint32_t rounds;
	uint64_t spin_ns[2];
	int ret[2];
};

struct pp_side {
	struct pingpong *pp;
	int me;
};

static int pp_wait_turn(struct pingpong *pp, int me, uint32_t want)
{
	uint64_t deadline = copro_deadline(WAIT_NS);

	for (;;) {
		uint32_t key = copro_event_prepare(&pp->ev[me]);
		if (atomic_load_explicit(&pp->turn, memory_order_acquire) ==
		    want)
			return 0;
		int64_t left = copro_deadline_left(deadline);
		if (left == 0)
			return -ETIMEDOUT;
		copro_event_wait(&pp->ev[me], key, left, pp->spin_ns[me]);
	}
}

static void *pp_thread(void *arg)
{
	struct pp_side *side = arg;
	struct pingpong *pp = side->pp;
	int me = side->me;

	/* Side 0 owns even turns, side 1 odd ones. */
	for (uint32_t t = (uint32_t)me; t < 2 * pp->rounds; t += 2) {
		int ret = pp_wait_turn(pp, me, t);
		if (ret) {
			pp->ret[me] = ret;
			/* Let the other side out too. */
			atomic_store(&pp->turn, UINT32_MAX);
			copro_event_signal(&pp->ev[!me]);
			return NULL;
		}
		atomic_store_explicit(&pp->turn, t + 1, memory_order_release);
		copro_event_signal(&pp->ev[!me]);
	}
	return NULL;
}

static void run_pingpong(uint32_t rounds, uint64_t spin0, uint64_t spin1)
{
	struct pingpong pp = { .rounds = rounds, .spin_ns = { spin0, spin1 } };
	struct pp_side sides[2] = { { &pp, 0 }, { &pp, 1 } };
	struct copro_thread th[2];

	copro_event_init(&pp.ev[0]);
	copro_event_init(&pp.ev[1]);
	atomic_init(&pp.turn, 0);
	assert_int_equal(copro_thread_start(&th[0], "ping", pp_thread, &sides[0]),
			 0);
	assert_int_equal(copro_thread_start(&th[1], "pong", pp_thread, &sides[1]),
			 0);
	copro_thread_join(&th[0]);
	copro_thread_join(&th[1]);
	assert_int_equal(pp.ret[0], 0);
	assert_int_equal(pp.ret[1], 0);
	assert_int_equal(atomic_load(&pp.turn), 2 * rounds);
}

static void test_event_pingpong_futex(void **state)
{
	(void)state;
	run_pingpong(100000, 0, 0);
}

static void test_event_pingpong_spin(void **state)
{
	(void)state;
	run_pingpong(100000, COPRO_SPIN_DEFAULT_NS, 0);
	run_pingpong(20000, COPRO_SPIN_DEFAULT_NS, COPRO_SPIN_DEFAULT_NS);
}

/* ---- completion ---- */

static void test_completion_basic(void **state)
{
	(void)state;
	struct copro_completion c;

	copro_completion_init(&c);
	assert_false(copro_completion_done(&c));
	assert_int_equal(copro_completion_wait(&c, 0), -ETIMEDOUT);
	assert_int_equal(copro_completion_wait(&c, COPRO_NSEC_PER_MSEC),
			 -ETIMEDOUT);

	/* Counted: two completes release exactly two waits. */
	copro_completion_complete(&c);
	copro_completion_complete(&c);
	assert_true(copro_completion_done(&c));
	assert_int_equal(copro_completion_wait(&c, 0), 0);
	assert_int_equal(copro_completion_wait(&c, WAIT_NS), 0);
	assert_false(copro_completion_done(&c));
	assert_int_equal(copro_completion_wait(&c, 0), -ETIMEDOUT);
}

struct cwaiter {
	struct copro_completion *c;
	_Atomic int started;
	int ret;
};

static void *completion_waiter(void *arg)
{
	struct cwaiter *w = arg;

	atomic_store(&w->started, 1);
	w->ret = copro_completion_wait(w->c, WAIT_NS);
	return NULL;
}

static void test_completion_cross_thread(void **state)
{
	(void)state;
	struct copro_completion c;
	struct cwaiter w = { .c = &c, .ret = 1 };
	struct copro_thread th;

	copro_completion_init(&c);
	assert_int_equal(copro_thread_start(&th, "cwait", completion_waiter, &w),
			 0);
	copro_completion_complete(&c);
	copro_thread_join(&th);
	assert_int_equal(w.ret, 0);
	assert_false(copro_completion_done(&c));
}

static bool waiters_asleep(void *arg)
{
	struct copro_completion *c = arg;

	return atomic_load(&c->ev.sleepers) == 3;
}

static void test_completion_complete_all(void **state)
{
	(void)state;
	struct copro_completion c;
	struct cwaiter w[3];
	struct copro_thread th[3];

	copro_completion_init(&c);
	for (int i = 0; i < 3; i++) {
		w[i] = (struct cwaiter){ .c = &c, .ret = 1 };
		assert_int_equal(copro_thread_start(&th[i], "cwait",
						    completion_waiter, &w[i]),
				 0);
	}
	/* All three in the futex: one wake must release every one of them. */
	assert_true(test_wait_until(waiters_asleep, &c, WAIT_NS));
	copro_completion_complete_all(&c);
	for (int i = 0; i < 3; i++) {
		copro_thread_join(&th[i]);
		assert_int_equal(w[i].ret, 0);
	}
	/* Future waiters pass too, and nothing is consumed... */
	assert_int_equal(copro_completion_wait(&c, 0), 0);
	assert_int_equal(copro_completion_wait(&c, 0), 0);
	copro_completion_complete(&c);
	assert_int_equal(copro_completion_wait(&c, 0), 0);
	assert_true(copro_completion_done(&c));

	/* ...until reinit. */
	copro_completion_reinit(&c);
	assert_false(copro_completion_done(&c));
	assert_int_equal(copro_completion_wait(&c, 0), -ETIMEDOUT);
	copro_completion_complete(&c);
	assert_int_equal(copro_completion_wait(&c, 0), 0);
	assert_int_equal(copro_completion_wait(&c, 0), -ETIMEDOUT);
}

/* ---- test helpers ---- */

static bool flag_set(void *arg)
{
	return atomic_load((_Atomic int *)arg) != 0;
}

static void test_wait_until_helper(void **state)
{
	(void)state;
	_Atomic int flag = 0;

	assert_false(test_wait_until(flag_set, &flag, COPRO_NSEC_PER_MSEC));
	atomic_store(&flag, 1);
	assert_true(test_wait_until(flag_set, &flag, 0));
}

/* Appending one at a time keeps every element; a size that would
 * overflow is refused with the array left as it was. */
static void test_grow(void **state)
{
	(void)state;
	uint32_t *v = NULL;
	size_t cap = 0, n;

	for (n = 0; n < 1000; n++) {
		assert_int_equal(copro_grow((void **)&v, &cap, n, sizeof(*v)), 0);
		assert_true(cap > n);
		v[n] = (uint32_t)n * 7u;
	}
	for (n = 0; n < 1000; n++)
		assert_int_equal(v[n], (uint32_t)n * 7u);
	/* Room left: nothing moves. */
	uint32_t *before = v;
	size_t had = cap;
	assert_int_equal(copro_grow((void **)&v, &cap, cap - 1, sizeof(*v)), 0);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, had);
	/* Doubling past SIZE_MAX bytes, or a zero element size. */
	assert_int_equal(copro_grow((void **)&v, &cap, cap, SIZE_MAX / 4),
			 -ENOMEM);
	assert_int_equal(copro_grow((void **)&v, &cap, cap, 0), -ENOMEM);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, had);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror_errno),
		cmocka_unit_test(test_strerror_copro),
		cmocka_unit_test(test_strerror_unknown),
		cmocka_unit_test(test_log_level_filter),
		cmocka_unit_test(test_log_dev_prefix),
		cmocka_unit_test(test_log_long_message),
		cmocka_unit_test(test_log_level_parse),
		cmocka_unit_test(test_log_independent),
		cmocka_unit_test(test_log_stderr_sink),
		cmocka_unit_test(test_log_create_invalid),
		cmocka_unit_test(test_log_serialised),
		cmocka_unit_test(test_logcap_bounded),
		cmocka_unit_test(test_time_and_deadline),
		cmocka_unit_test(test_mutex_rwlock),
		cmocka_unit_test(test_spinlock),
		cmocka_unit_test(test_thread_start_join),
		cmocka_unit_test(test_event_signal_before_wait),
		cmocka_unit_test(test_event_timeout),
		cmocka_unit_test(test_event_cross_thread_futex),
		cmocka_unit_test(test_event_cross_thread_spin),
		cmocka_unit_test(test_event_pingpong_futex),
		cmocka_unit_test(test_event_pingpong_spin),
		cmocka_unit_test(test_completion_basic),
		cmocka_unit_test(test_completion_cross_thread),
		cmocka_unit_test(test_completion_complete_all),
		cmocka_unit_test(test_wait_until_helper),
		cmocka_unit_test(test_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
