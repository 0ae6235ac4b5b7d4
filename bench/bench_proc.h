/* SPDX-License-Identifier: MIT */
/*
 * Child processes for benchmarks that drive real programs (servers and
 * load generators): start, wait with a deadline, capture output, stop.
 */
#ifndef COPRO_BENCH_PROC_H
#define COPRO_BENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The first executable `name` in $PATH, into buf; false when none. */
bool bench_which(const char *name, char *buf, size_t len);

/*
 * Starts argv[0] (a path) with stdin from /dev/null and stdout and
 * stderr appended to `log` (NULL: inherited).
 */
int bench_spawn(char *const argv[], const char *log, pid_t *pid);
/*
 * Waits for the child up to timeout_ns; on expiry kills it (SIGKILL)
 * and returns -ETIMEDOUT. Otherwise its exit status, or 128 + signal.
 */
int bench_wait(pid_t pid, int64_t timeout_ns);
/* SIGTERM, a grace period, then SIGKILL; reaps the child. */
void bench_stop(pid_t pid);

/*
 * Runs argv to completion within timeout_ns with stdout captured into a
 * NUL-terminated malloc'd buffer (stderr to `log`). Returns the exit
 * status (see bench_wait) or a negative errno.
 */
int bench_run_capture(char *const argv[], const char *log, int64_t timeout_ns,
		      char **out);

/*
 * Waits until a server accepts connections on the Unix socket `path`,
 * up to timeout_ns, failing early (-ECHILD) if the server exited.
 */
int bench_wait_socket(const char *path, pid_t server, int64_t timeout_ns);

/*
 * User + system CPU time (ns) of `pid` and every live descendant (a
 * supervisor's server child counts as the server), from /proc.
 */
int bench_proc_tree_cpu_ns(pid_t pid, uint64_t *ns);

/* Prints the last lines of a log file to stderr, indented. */
void bench_print_log_tail(const char *log, int lines);

#endif
