/* SPDX-License-Identifier: MIT */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "copro/error.h"
#include "copro/log.h"
#include "copro/os.h"

struct copro_log {
	/* Read without the lock by copro_log_enabled(), the filter fast path. */
	_Atomic int level;
	struct copro_mutex lock;
	struct copro_log_sink sink;
};

/* What a NULL log means: warnings and errors to stderr. */
#define COPRO_LOG_NULL_LEVEL COPRO_LOG_WARN

/* Messages longer than this take one heap allocation. */
#define COPRO_LOG_STACK_MSG 512

static const char *const level_names[] = {
	[COPRO_LOG_ERR] = "err",
	[COPRO_LOG_WARN] = "warn",
	[COPRO_LOG_INFO] = "info",
	[COPRO_LOG_DEBUG] = "debug",
	[COPRO_LOG_TRACE] = "trace",
};

#define LEVEL_COUNT (sizeof(level_names) / sizeof(level_names[0]))

static bool level_valid(enum copro_log_level level)
{
	return (unsigned int)level < LEVEL_COUNT;
}

const char *copro_log_level_name(enum copro_log_level level)
{
	return level_valid(level) ? level_names[level] : "?";
}

int copro_log_level_parse(const char *name, enum copro_log_level *out)
{
	static const struct {
		const char *name;
		enum copro_log_level level;
	} aliases[] = {
		{ "error", COPRO_LOG_ERR },
		{ "warning", COPRO_LOG_WARN },
		{ "dbg", COPRO_LOG_DEBUG },
	};

	if (!name || !out)
		return -EINVAL;
	for (size_t i = 0; i < LEVEL_COUNT; i++) {
		if (!strcasecmp(name, level_names[i])) {
			*out = (enum copro_log_level)i;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (!strcasecmp(name, aliases[i].name)) {
			*out = aliases[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * One fprintf per line: stdio locks the stream for the whole call, so
 * lines from unrelated logs (and NULL logs) sharing stderr stay whole.
 */
static void stderr_write(void *ctx, enum copro_log_level level,
			 const char *dev, const char *msg)
{
	(void)ctx;
	if (dev)
		fprintf(stderr, "copro: %s: %s: %s\n",
			copro_log_level_name(level), dev, msg);
	else
		fprintf(stderr, "copro: %s: %s\n", copro_log_level_name(level),
			msg);
}

static const struct copro_log_sink stderr_sink = { .write = stderr_write };

int copro_log_create(const struct copro_log_sink *sink,
		     enum copro_log_level level, struct copro_log **out)
{
	struct copro_log *log;
	int ret;

	if (!out || !level_valid(level) || (sink && !sink->write))
		return -EINVAL;
	log = calloc(1, sizeof(*log));
	if (!log)
		return -ENOMEM;
	ret = copro_mutex_init(&log->lock);
	if (ret) {
		free(log);
		return ret;
	}
	atomic_init(&log->level, (int)level);
	log->sink = sink ? *sink : stderr_sink;
	*out = log;
	return 0;
}

void copro_log_destroy(struct copro_log *log)
{
	if (!log)
		return;
	copro_mutex_destroy(&log->lock);
	free(log);
}

void copro_log_set_level(struct copro_log *log, enum copro_log_level level)
{
	if (log && level_valid(level))
		atomic_store_explicit(&log->level, (int)level,
				      memory_order_relaxed);
}

enum copro_log_level copro_log_get_level(const struct copro_log *log)
{
	if (!log)
		return COPRO_LOG_NULL_LEVEL;
	/* The log itself is never const (it is heap-allocated), only the view. */
	struct copro_log *l = (struct copro_log *)log;
	return (enum copro_log_level)atomic_load_explicit(&l->level,
							  memory_order_relaxed);
}

int copro_log_enabled(const struct copro_log *log, enum copro_log_level level)
{
	return level_valid(level) && level <= copro_log_get_level(log);
}

void copro_logf(struct copro_log *log, enum copro_log_level level,
		const char *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	copro_vlogf(log, level, dev, fmt, ap);
	va_end(ap);
}

void copro_vlogf(struct copro_log *log, enum copro_log_level level,
		 const char *dev, const char *fmt, va_list ap)
{
	char stack[COPRO_LOG_STACK_MSG];
	char *msg = stack;
	va_list ap2;
	int n;

	if (!copro_log_enabled(log, level) || !fmt)
		return;

	va_copy(ap2, ap);
	n = vsnprintf(stack, sizeof(stack), fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t)n >= sizeof(stack)) {
		char *big = malloc((size_t)n + 1);

		/* Out of memory: the truncated text is better than nothing. */
		if (big) {
			vsnprintf(big, (size_t)n + 1, fmt, ap2);
			msg = big;
		} else {
			n = (int)sizeof(stack) - 1;
		}
	}
	va_end(ap2);

	/* Sinks receive lines without the newline printf habit adds. */
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (dev && !dev[0])
		dev = NULL;

	if (!log) {
		stderr_write(NULL, level, dev, msg);
	} else {
		copro_mutex_lock(&log->lock);
		log->sink.write(log->sink.ctx, level, dev, msg);
		copro_mutex_unlock(&log->lock);
	}
	if (msg != stack)
		free(msg);
}

void copro_logdev_init(struct copro_logdev *ld, struct copro_log *log,
		       const char *fmt, ...)
{
	va_list ap;

	ld->log = log;
	ld->name[0] = '\0';
	if (!fmt)
		return;
	va_start(ap, fmt);
	/* A prefix longer than name[] is cut short, which is fine for a label. */
	vsnprintf(ld->name, sizeof(ld->name), fmt, ap);
	va_end(ap);
}
