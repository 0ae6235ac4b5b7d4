/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <copro/os.h>

#include "bench_proc.h"

extern char **environ;

#define POLL_STEP_NS (10 * COPRO_NSEC_PER_MSEC)
/*
 * Between two readings of a child's I/O workers. Seldom: the reading
 * wakes this process on a machine the child may be using whole (fio's
 * io_uring writes take 1.7 CPUs of 2), and the figure it gives has no
 * goal. A worker's CPU in its last step is missed: with fio's 2 s runs,
 * up to 5% of it, so fio reads cheaper than it is, never dearer.
 */
#define IO_WORKERS_STEP_NS (100 * COPRO_NSEC_PER_MSEC)

static int spawn_fds(char *const argv[], const char *log, int out_fd,
		     pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int ret;

	ret = posix_spawn_file_actions_init(&fa);
	if (ret)
		return -ret;
	ret = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
					       O_RDONLY, 0);
	if (!ret && log)
		ret = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log,
						       O_WRONLY | O_CREAT | O_APPEND,
						       0644);
	if (!ret && out_fd >= 0)
		ret = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	else if (!ret && log)
		ret = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO,
						       STDOUT_FILENO);
	if (!ret)
		ret = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return -ret;
}

int bench_spawn(char *const argv[], const char *log, pid_t *pid)
{
	return spawn_fds(argv, log, -1, pid);
}

static int status_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

int bench_wait(pid_t pid, int64_t timeout_ns)
{
	uint64_t deadline = copro_deadline(timeout_ns);
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return status_of(st);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (copro_deadline_left(deadline) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -ETIMEDOUT;
		}
		copro_sleep_ns(POLL_STEP_NS);
	}
}

void bench_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	/* bench_wait kills it outright when the grace period runs out. */
	bench_wait(pid, 10 * COPRO_NSEC_PER_SEC);
}

static bool io_worker_name(const char *comm)
{
	return !strncmp(comm, "iou-wrk-", 8);
}

/*
 * A stat file of /proc (a process's or a thread's): its name (into comm,
 * unless NULL), its parent, and its utime + stime in ticks. The name may
 * hold spaces and parentheses: the fields start after the last ')'.
 */
static int read_stat(const char *path, char *comm, size_t len, pid_t *ppid,
		     uint64_t *ticks)
{
	char buf[1024];
	unsigned long long ut, st;
	const char *open_p, *close_p;
	int ppid_i;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p)
		return -EPROTO;
	if (comm)
		snprintf(comm, len, "%.*s", (int)(close_p - open_p - 1),
			 open_p + 1);
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (sscanf(close_p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ppid_i, &ut, &st) != 3)
		return -EPROTO;
	*ppid = (pid_t)ppid_i;
	*ticks = ut + st;
	return 0;
}

/* One thread's name and utime + stime (ticks), from its task stat. */
static int thread_stat(pid_t pid, long tid, char *comm, size_t len,
		       uint64_t *ticks)
{
	char path[96];
	pid_t ppid;

	snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat", (int)pid, tid);
	return read_stat(path, comm, len, &ppid, ticks);
}

/* One reading of every I/O worker of `pid`. */
static void io_workers_read(pid_t pid, struct bench_io_workers *w)
{
	char path[64], comm[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		uint64_t ticks = 0;
		unsigned i;
		char *end;
		long tid = strtol(e->d_name, &end, 10);

		if (*end || tid <= 0 ||
		    thread_stat(pid, tid, comm, sizeof(comm), &ticks) ||
		    !io_worker_name(comm))
			continue;
		for (i = 0; i < w->n && w->tid[i] != (pid_t)tid; i++)
			;
		if (i == w->n) {
			if (w->n == BENCH_IO_WORKERS_MAX)
				continue;
			w->tid[w->n++] = (pid_t)tid;
		}
		w->ticks[i] = ticks;
	}
	closedir(d);
}

uint64_t bench_io_workers_ns(const struct bench_io_workers *w)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t sum = 0;

	for (unsigned i = 0; i < w->n; i++)
		sum += w->ticks[i];
	return hz > 0 ? sum * (uint64_t)(COPRO_NSEC_PER_SEC / hz) : 0;
}

int bench_run_capture(char *const argv[], const char *log, int64_t timeout_ns,
		      char **out)
{
	return bench_run_capture_workers(argv, log, timeout_ns, out, NULL);
}

int bench_run_capture_workers(char *const argv[], const char *log,
			      int64_t timeout_ns, char **out,
			      struct bench_io_workers *workers)
{
	uint64_t deadline = copro_deadline(timeout_ns);
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int fds[2], ret;
	pid_t pid;

	*out = NULL;
	if (workers)
		memset(workers, 0, sizeof(*workers));
	if (!buf)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		free(buf);
		return -errno;
	}
	ret = spawn_fds(argv, log, fds[1], &pid);
	close(fds[1]);
	if (ret < 0) {
		close(fds[0]);
		free(buf);
		return ret;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		int64_t left = copro_deadline_left(deadline);

		if (left == 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (workers) {
			io_workers_read(pid, workers);
			if (left > IO_WORKERS_STEP_NS)
				left = IO_WORKERS_STEP_NS;
		}
		if (poll(&pfd, 1, (int)(left / COPRO_NSEC_PER_MSEC) + 1) <= 0)
			continue;
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fds[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	if (ret < 0) {
		kill(pid, SIGKILL);
		bench_wait(pid, COPRO_NSEC_PER_SEC);
		free(buf);
		return ret;
	}
	ret = bench_wait(pid, copro_deadline_left(deadline) + COPRO_NSEC_PER_SEC);
	buf[len] = '\0';
	*out = buf;
	return ret;
}

int bench_wait_socket(const char *path, pid_t server, int64_t timeout_ns)
{
	uint64_t deadline = copro_deadline(timeout_ns);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int st;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		int ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return 0;
		if (waitpid(server, &st, WNOHANG) == server)
			return -ECHILD;
		if (copro_deadline_left(deadline) == 0)
			return -ETIMEDOUT;
		copro_sleep_ns(POLL_STEP_NS);
	}
}

void bench_print_log_tail(const char *log, int lines)
{
	FILE *f = fopen(log, "r");
	char line[512], ring[16][512];
	int n = 0;

	if (!f)
		return;
	if (lines > 16)
		lines = 16;
	while (fgets(line, sizeof(line), f))
		snprintf(ring[n++ % lines], sizeof(ring[0]), "%s", line);
	fclose(f);
	for (int i = n > lines ? n - lines : 0; i < n; i++)
		fprintf(stderr, "    %s", ring[i % lines]);
}

/* utime + stime (ticks) and the parent of /proc/PID/stat. */
static int proc_stat(pid_t pid, pid_t *ppid, uint64_t *ticks)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return read_stat(path, NULL, 0, ppid, ticks);
}

int bench_proc_tree_cpu_ns(pid_t root, uint64_t *ns)
{
	enum { MAXP = 4096 };
	static const char proc[] = "/proc";
	pid_t *pids = calloc(MAXP, sizeof(*pids)), *parents;
	uint64_t *ticks = calloc(MAXP, sizeof(*ticks)), sum = 0;
	bool *in;
	size_t n = 0;
	DIR *d;
	struct dirent *e;
	long hz = sysconf(_SC_CLK_TCK);

	parents = calloc(MAXP, sizeof(*parents));
	in = calloc(MAXP, sizeof(*in));
	d = opendir(proc);
	if (!pids || !ticks || !parents || !in || !d || hz <= 0) {
		if (d)
			closedir(d);
		free(pids);
		free(ticks);
		free(parents);
		free(in);
		return -ENOMEM;
	}
	while ((e = readdir(d)) && n < MAXP) {
		char *end;
		long v = strtol(e->d_name, &end, 10);

		if (*end || v <= 0)
			continue;
		if (proc_stat((pid_t)v, &parents[n], &ticks[n]) == 0)
			pids[n++] = (pid_t)v;
	}
	closedir(d);
	/* Mark the tree: repeat until no process joins (depth is small). */
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < n; i++) {
			if (in[i])
				continue;
			bool join = pids[i] == root;

			for (size_t j = 0; j < n && !join; j++)
				join = in[j] && pids[j] == parents[i];
			if (join) {
				in[i] = true;
				grew = true;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (in[i])
			sum += ticks[i];
	*ns = sum * (uint64_t)(COPRO_NSEC_PER_SEC / hz);
	free(pids);
	free(ticks);
	free(parents);
	free(in);
	return 0;
}
