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
 * A child's kernel I/O workers: io_uring's "iou-wrk-*" threads, which
 * run the I/O the child handed to the kernel when it cannot be done at
 * once (a buffered write, on ext4), in the child's thread group but left
 * out of a thread's own usage (fio's report counts its job thread only).
 * Read from /proc/PID/task every 100 ms while the child runs, each
 * worker's last reading kept: one that exits between two readings loses
 * what it used since the last, at most a step's worth.
 */
#define BENCH_IO_WORKERS_MAX 64

struct bench_io_workers {
	pid_t tid[BENCH_IO_WORKERS_MAX];
	uint64_t ticks[BENCH_IO_WORKERS_MAX];
	unsigned n;
};

/* User + system time of every worker seen, in ns. */
uint64_t bench_io_workers_ns(const struct bench_io_workers *w);

/* bench_run_capture, reading the child's I/O workers as it runs. */
int bench_run_capture_workers(char *const argv[], const char *log,
			      int64_t timeout_ns, char **out,
			      struct bench_io_workers *workers);

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
