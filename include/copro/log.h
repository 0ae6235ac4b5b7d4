/* SPDX-License-Identifier: MIT */
/*
 * Logging with levels, per-device prefixes and pluggable sinks.
 *
 * There is no global logger: a struct copro_log is created by whoever owns
 * a board (or a tool) and handed down, so two boards in one process log
 * independently. A NULL log is valid everywhere and writes warnings and
 * errors to stderr.
 */
#ifndef COPRO_LOG_H
#define COPRO_LOG_H

#include <stdarg.h>

#include <copro/export.h>

#ifdef __cplusplus
extern "C" {
#endif

enum copro_log_level {
	COPRO_LOG_ERR,
	COPRO_LOG_WARN,
	COPRO_LOG_INFO,
	COPRO_LOG_DEBUG,
	COPRO_LOG_TRACE,
};

/*
 * A sink receives whole, formatted lines (no trailing newline). `dev` is
 * the device prefix ("asc@277408000") or NULL. Sinks are called with the
 * log's lock held, so lines never interleave; a sink must not log.
 */
struct copro_log_sink {
	void (*write)(void *ctx, enum copro_log_level level, const char *dev,
		      const char *msg);
	void *ctx;
};

struct copro_log;

/* sink NULL: stderr, "copro: <level>: <dev>: <msg>". */
COPRO_API int copro_log_create(const struct copro_log_sink *sink,
			       enum copro_log_level level,
			       struct copro_log **out);
COPRO_API void copro_log_destroy(struct copro_log *log);
COPRO_API void copro_log_set_level(struct copro_log *log,
				   enum copro_log_level level);
COPRO_API enum copro_log_level copro_log_get_level(const struct copro_log *log);
/* True when a message of this level would be written (cheap). */
COPRO_API int copro_log_enabled(const struct copro_log *log,
				enum copro_log_level level);

COPRO_API const char *copro_log_level_name(enum copro_log_level level);
/* Parses "err", "warn", "info", "debug", "trace"; -EINVAL otherwise. */
COPRO_API int
copro_log_level_parse(const char *name, enum copro_log_level *out);

COPRO_API void copro_logf(struct copro_log *log, enum copro_log_level level,
			  const char *dev, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
COPRO_API void copro_vlogf(struct copro_log *log, enum copro_log_level level,
			   const char *dev, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/*
 * A device's logging identity: the log it writes to and its prefix.
 * Embed one in every device/driver state struct.
 */
struct copro_logdev {
	struct copro_log *log;
	char name[64];
};

COPRO_API void copro_logdev_init(struct copro_logdev *ld, struct copro_log *log,
				 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define copro_dev_log(ld, lvl, ...)                                          \
	do {                                                                 \
		const struct copro_logdev *ld_ = (ld);                       \
		if (copro_log_enabled(ld_->log, (lvl)))                      \
			copro_logf(ld_->log, (lvl), ld_->name, __VA_ARGS__); \
	} while (0)
#define copro_dev_err(ld, ...) copro_dev_log(ld, COPRO_LOG_ERR, __VA_ARGS__)
#define copro_dev_warn(ld, ...) copro_dev_log(ld, COPRO_LOG_WARN, __VA_ARGS__)
#define copro_dev_info(ld, ...) copro_dev_log(ld, COPRO_LOG_INFO, __VA_ARGS__)
#define copro_dev_dbg(ld, ...) copro_dev_log(ld, COPRO_LOG_DEBUG, __VA_ARGS__)
#define copro_dev_trace(ld, ...) copro_dev_log(ld, COPRO_LOG_TRACE, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
