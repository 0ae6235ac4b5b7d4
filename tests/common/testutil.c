/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Drops the oldest lines, at least half of the buffer, keeping whole lines. */
static void logcap_make_room(struct test_logcap *cap, size_t need)
{
	if (cap->len + need < TEST_LOGCAP_SIZE)
		return;
	size_t cut = cap->len / 2;
	if (cap->len + need - cut >= TEST_LOGCAP_SIZE)
		cut = cap->len;
	char *nl = cut < cap->len ? memchr(cap->buf + cut, '\n', cap->len - cut)
				  : NULL;
	cut = nl ? (size_t)(nl - cap->buf) + 1 : cap->len;
	for (const char *p = cap->buf; p < cap->buf + cut; p++)
		cap->dropped += *p == '\n';
	memmove(cap->buf, cap->buf + cut, cap->len - cut);
	cap->len -= cut;
	cap->buf[cap->len] = '\0';
}

static void logcap_write(void *ctx, enum copro_log_level level,
			 const char *dev, const char *msg)
{
	struct test_logcap *cap = ctx;
	char line[1024];
	int n;

	if (dev)
		n = snprintf(line, sizeof(line), "%s: %s: %s\n",
			     copro_log_level_name(level), dev, msg);
	else
		n = snprintf(line, sizeof(line), "%s: %s\n",
			     copro_log_level_name(level), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		/* Keep the line a line: over-long text is cut, not split. */
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}

	if (cap->echo)
		fprintf(stderr, "copro: %s", line);

	copro_mutex_lock(&cap->lock);
	logcap_make_room(cap, (size_t)n);
	memcpy(cap->buf + cap->len, line, (size_t)n + 1);
	cap->len += (size_t)n;
	cap->lines++;
	copro_mutex_unlock(&cap->lock);
}

int test_logcap_init(struct test_logcap *cap)
{
	const char *verbose = getenv("COPRO_TEST_VERBOSE");
	int ret;

	memset(cap, 0, sizeof(*cap));
	cap->echo = verbose && verbose[0] && strcmp(verbose, "0") != 0;
	cap->buf = malloc(TEST_LOGCAP_SIZE);
	if (!cap->buf)
		return -ENOMEM;
	cap->buf[0] = '\0';
	ret = copro_mutex_init(&cap->lock);
	if (ret)
		goto err_buf;

	const struct copro_log_sink sink = { .write = logcap_write, .ctx = cap };
	ret = copro_log_create(&sink, COPRO_LOG_TRACE, &cap->log);
	if (ret)
		goto err_lock;
	return 0;

err_lock:
	copro_mutex_destroy(&cap->lock);
err_buf:
	free(cap->buf);
	cap->buf = NULL;
	return ret;
}

void test_logcap_destroy(struct test_logcap *cap)
{
	if (!cap->buf)
		return;
	copro_log_destroy(cap->log);
	copro_mutex_destroy(&cap->lock);
	free(cap->buf);
	memset(cap, 0, sizeof(*cap));
}

struct copro_log *test_logcap_log(struct test_logcap *cap)
{
	return cap->log;
}

size_t test_logcap_count(struct test_logcap *cap, const char *substr)
{
	size_t count = 0;

	copro_mutex_lock(&cap->lock);
	for (char *line = cap->buf; *line;) {
		char *end = strchr(line, '\n');

		/* Match within one line: cut it off from the rest for strstr. */
		if (end)
			*end = '\0';
		count += strstr(line, substr) != NULL;
		if (!end)
			break;
		*end = '\n';
		line = end + 1;
	}
	copro_mutex_unlock(&cap->lock);
	return count;
}

bool test_logcap_contains(struct test_logcap *cap, const char *substr)
{
	return test_logcap_count(cap, substr) > 0;
}

void test_logcap_clear(struct test_logcap *cap)
{
	copro_mutex_lock(&cap->lock);
	cap->len = 0;
	cap->buf[0] = '\0';
	cap->lines = 0;
	cap->dropped = 0;
	copro_mutex_unlock(&cap->lock);
}

void test_logcap_dump(struct test_logcap *cap)
{
	copro_mutex_lock(&cap->lock);
	fprintf(stderr, "---- captured log (%zu lines, %zu dropped) ----\n%s----\n",
		cap->lines, cap->dropped, cap->buf);
	copro_mutex_unlock(&cap->lock);
}

bool test_wait_until(bool (*pred)(void *arg), void *arg, int64_t timeout_ns)
{
	uint64_t deadline = copro_deadline(timeout_ns);

	for (;;) {
		if (pred(arg))
			return true;
		if (copro_deadline_left(deadline) == 0)
			return pred(arg);
		copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);
	}
}

void test_logcap_expect(struct test_logcap *cap, const char *substr)
{
	if (!test_logcap_contains(cap, substr)) {
		test_logcap_dump(cap);
		fail_msg("log lacks: %s", substr);
	}
}

int test_platform_create(const struct copro_dt *dt, struct copro_log *log,
			 bool threaded, struct copro_bus **bus,
			 struct copro_platform **p)
{
	struct copro_bus_config cfg = {
		.dt = dt,
		.log = log,
		.threaded = threaded,
	};
	int ret;

	*p = NULL;
	ret = copro_bus_create(&cfg, bus);
	if (ret < 0)
		return ret;
	ret = copro_bus_platform_create(*bus, p);
	if (ret < 0) {
		copro_bus_destroy(*bus);
		*bus = NULL;
	}
	return ret;
}

void test_platform_destroy(struct copro_bus *bus, struct copro_platform *p)
{
	copro_platform_destroy(p);
	copro_bus_destroy(bus);
}
