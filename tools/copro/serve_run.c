/* SPDX-License-Identifier: MIT */
/*
 * Running nbdkit and watching it. nbdkit runs in a process group of its
 * own (the terminal's Ctrl-C comes to us, not to it) with the plugin's
 * status channel (tools/nbdkit/control.h) and its error output on pipes
 * we read. Nothing is announced until the plugin says it is ready, so a
 * start-up failure ends the command at once instead of leaving a client
 * waiting; `--run`'s command runs only then, in a process group of its
 * own that we end should the server die under it.
 *
 * Stopping: with no client connected, SIGTERM to nbdkit. With clients,
 * the plugin is told to refuse new connections and we say how many we
 * wait for (nbdkit on SIGTERM would cut a busy client at its next
 * request), then SIGTERM once the last has gone. A second Ctrl-C (or the
 * shutdown timeout) asks the plugin to disconnect them; nbdkit then exits
 * through the plugin's cleanup, whose final flush decides the exit
 * status. Only if that hangs too is nbdkit killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_size.h"
#include "serve.h"

extern char **environ;

#define START_TIMEOUT_MS 60000	/* the plugin's bring-up */
#define FORCE_TIMEOUT_MS 10000	/* disconnected clients to nbdkit's exit */
#define ORPHAN_GRACE_MS 5000	/* --run's command after the server died */
/* nbdkit past its final flush is only exiting (slowly under LeakSanitizer). */
#define EXIT_GRACE_MS 60000

enum state { STARTING, SERVING, STOPPING, FORCING, KILLED };

struct stats {
	uint64_t t, reads, writes, zeroes, trims, flushes, errors;
	uint64_t rbytes, wbytes, busy;
	uint32_t inflight;
};

struct sup {
	struct serve_ctx *c;
	enum state state;
	pid_t nbdkit, cmd;
	int nbdkit_status, cmd_status;	/* -1 while running */
	int status_fd, err_fd, sig_fd;
	int daemon_fd;			/* tells the waiting parent we serve */
	bool detached, said_something, ready, cmd_tty, cmd_signalled, termed;
	bool exit_grace;		/* the deadline was extended once */
	unsigned clients;
	bool final_seen, final_failed;
	int64_t deadline;		/* ms, 0: none */
	int64_t cmd_gone_at;		/* nbdkit died under the command */
	int64_t wait_msg_at;		/* say who we wait for, if still there */
	struct stats prev, last;
	bool have_prev, have_last;
	char line[1024];
	size_t have;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Our own messages; in the background they go to syslog. */
static void say(struct sup *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct sup *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (s->detached) {
		vsyslog(LOG_NOTICE, fmt, ap);
	} else {
		fputs("copro serve: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

static void ctl(struct sup *s, const char *cmd)
{
	if (s->status_fd >= 0)
		(void)!send(s->status_fd, cmd, strlen(cmd), MSG_NOSIGNAL);
}

/* ---- starting nbdkit -------------------------------------------------- */

struct argv_buf {
	const char *v[64];
	char store[16][PATH_MAX + 64];
	int n, ns;
};

static void arg(struct argv_buf *a, const char *s)
{
	if (a->n < (int)(sizeof(a->v) / sizeof(a->v[0])) - 1)
		a->v[a->n++] = s;
}

static void argf(struct argv_buf *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void argf(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;

	if (a->ns >= (int)(sizeof(a->store) / sizeof(a->store[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(a->store[a->ns], sizeof(a->store[0]), fmt, ap);
	va_end(ap);
	arg(a, a->store[a->ns++]);
}

static void nbdkit_argv(const struct serve_ctx *c, int status_fd,
			struct argv_buf *a)
{
	const struct serve_opts *o = &c->o;

	arg(a, "nbdkit");
	arg(a, "--foreground");
	arg(a, "--exit-with-parent");
	if (o->verbose)
		arg(a, "--verbose");
	if (c->sock[0]) {
		arg(a, "--unix");
		arg(a, c->sock);
	} else {
		arg(a, "--ipaddr");
		arg(a, o->ip);
		argf(a, "--port=%u", o->port);
	}
	if (o->read_only)
		arg(a, "--readonly");
	if (o->threads)
		argf(a, "--threads=%u", o->threads);
	if (o->tls != SERVE_TLS_OFF) {
		arg(a, o->tls == SERVE_TLS_REQUIRE ? "--tls=require" : "--tls=on");
		argf(a, "--tls-certificates=%s", c->tls_dir);
	}
	for (int i = 0; i < o->n_nbdkit_args; i++)
		arg(a, o->nbdkit_args[i]);
	arg(a, c->plugin);
	argf(a, "disk=%s", c->disk);
	if (c->board_arg[0])
		argf(a, "board=%s", c->board_arg);
	argf(a, "size=%" PRIu64, c->size);
	if (o->read_only)
		arg(a, "readonly=true");
	if (o->raw)
		arg(a, "raw=true");
	if (o->export_name)
		argf(a, "export=%s", o->export_name);
	if (o->slow_flush)
		arg(a, "slow-flush=true");
	if (o->no_map)
		arg(a, "map=false");
	if (o->map_writes)
		argf(a, "map-writes=%s", o->map_writes);
	if (o->verbose)
		arg(a, "log=debug");
	/* The plugin makes it absolute before nbdkit changes directory. */
	if (o->record)
		argf(a, "record=%s", o->record);
	argf(a, "status-fd=%d", status_fd);
	if (o->fault_crash_after)
		argf(a, "fault-crash-after=%u", o->fault_crash_after);
	if (o->fault_bringup)
		arg(a, "fault-bringup=true");
	if (o->fault_flush)
		argf(a, "fault-flush=%u", o->fault_flush);
	a->v[a->n] = NULL;
}

/* The signals we take through signalfd; children get them back. */
static void sig_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTTOU);
}

static int spawn(pid_t *pid, const char *path, char *const argv[],
		 char *const envp[], int err_fd, const int *close_fds, int nclose)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int ret;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sig_set(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	if (err_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
	for (int i = 0; i < nclose; i++)
		if (close_fds[i] >= 0)
			posix_spawn_file_actions_addclose(&fa, close_fds[i]);
	ret = posix_spawn(pid, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return -ret;
}

#ifdef COPRO_SANITIZER_PRELOAD
/*
 * Sanitizer builds: the plugin needs the runtime preloaded into nbdkit
 * (tools/nbdkit/CMakeLists.txt). Leaks are suppressed only where the
 * nbdkit binary allocated directly, which needs allocation stacks cut to
 * the immediate caller, since nbdkit frames sit above every plugin frame.
 * Only nbdkit's environment gets them, not --run's command.
 */
static char **sanitizer_env(size_t *own)
{
	size_t n = 0;
	const char *old = getenv("LSAN_OPTIONS");
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 3, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) &&
		    strncmp(environ[i], "LSAN_OPTIONS=", 13))
			env[k++] = environ[i];
	*own = k; /* the entries from here on are ours to free */
	if (asprintf(&env[k], "LSAN_OPTIONS=%s%ssuppressions=%s:malloc_context_size=2",
		     old ? old : "", old && *old ? ":" : "",
		     COPRO_SANITIZER_LSAN_SUPP) < 0) {
		free(env);
		return NULL;
	}
	if (asprintf(&env[k + 1], "LD_PRELOAD=%s", COPRO_SANITIZER_PRELOAD) < 0) {
		free(env[k]);
		free(env);
		return NULL;
	}
	return env;
}
#endif

static int start_nbdkit(struct sup *s)
{
	struct argv_buf a = { .n = 0 };
	int sp[2], ep[2], ret;
	char **env = environ;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		return -errno;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		ret = -errno;
		close(sp[0]);
		close(sp[1]);
		return ret;
	}
	fcntl(sp[0], F_SETFD, FD_CLOEXEC);
	nbdkit_argv(s->c, sp[1], &a);
#ifdef COPRO_SANITIZER_PRELOAD
	size_t own = 0;
	env = sanitizer_env(&own);
	if (!env)
		env = environ;
#endif
	ret = spawn(&s->nbdkit, s->c->nbdkit, (char *const *)a.v, env, ep[1],
		    NULL, 0);
#ifdef COPRO_SANITIZER_PRELOAD
	if (env != environ) {
		for (size_t i = own; env[i]; i++)
			free(env[i]);
		free(env);
	}
#endif
	close(sp[1]);
	close(ep[1]);
	if (ret < 0) {
		close(sp[0]);
		close(ep[0]);
		fprintf(stderr, "copro serve: cannot run %s: %s\n", s->c->nbdkit,
			strerror(-ret));
		return ret;
	}
	s->status_fd = sp[0];
	s->err_fd = ep[0];
	s->deadline = now_ms() + START_TIMEOUT_MS;
	return 0;
}

/* ---- --run's command ---------------------------------------------------- */

static int start_command(struct sup *s)
{
	const struct serve_ctx *c = s->c;
	char *const argv[] = { "sh", "-c", (char *)c->o.run, NULL };
	const int closes[] = { s->status_fd, s->err_fd, s->sig_fd };
	char port[16];
	int ret;

	/* What nbdkit's --run sets, so its recipes work unchanged. */
	setenv("uri", c->uri, 1);
	setenv("exportname", c->o.export_name ? c->o.export_name : "", 1);
	setenv("tls", c->o.tls == SERVE_TLS_OFF ? "0"
		      : c->o.tls == SERVE_TLS_ON ? "1" : "2", 1);
	if (c->sock[0]) {
		setenv("unixsocket", c->sock, 1);
	} else {
		snprintf(port, sizeof(port), "%u", c->o.port);
		setenv("port", port, 1);
	}
	ret = spawn(&s->cmd, "/bin/sh", argv, environ, -1, closes, 3);
	if (ret < 0) {
		say(s, "cannot run the command: %s", strerror(-ret));
		return ret;
	}
	/* An interactive command gets the terminal (and its Ctrl-C). */
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
		setpgid(s->cmd, s->cmd);
		s->cmd_tty = tcsetpgrp(STDIN_FILENO, s->cmd) == 0;
	}
	return 0;
}

static void command_ended(struct sup *s)
{
	if (s->cmd_tty)
		tcsetpgrp(STDIN_FILENO, getpgrp()); /* SIGTTOU is blocked */
	s->cmd_tty = false;
}

/* ---- statistics ------------------------------------------------------- */

static uint64_t ops(const struct stats *t)
{
	return t->reads + t->writes + t->zeroes + t->trims + t->flushes;
}

static void print_stats(struct sup *s, const struct stats *a,
			const struct stats *b)
{
	double dt = (double)(b->t - a->t) / 1e9;
	uint64_t n = ops(b) - ops(a);
	double busy = (double)(b->busy - a->busy);

	if (dt <= 0)
		return;
	printf("copro serve: %.0f IOPS, %.1f MiB/s (read %.1f, write %.1f), "
	       "queue depth %.1f, latency %.0f us, %u client%s\n",
	       (double)n / dt,
	       (double)(b->rbytes - a->rbytes + b->wbytes - a->wbytes) / dt / 1048576,
	       (double)(b->rbytes - a->rbytes) / dt / 1048576,
	       (double)(b->wbytes - a->wbytes) / dt / 1048576,
	       busy / 1e9 / dt, n ? busy / (double)n / 1e3 : 0.0, s->clients,
	       s->clients == 1 ? "" : "s");
	fflush(stdout);
}

static void summary(struct sup *s)
{
	const struct stats *t = &s->last;
	char r[CLI_SIZE_BUF], w[CLI_SIZE_BUF];
	uint64_t n = ops(t);

	if (!s->c->o.stats || !s->have_last || s->detached)
		return;
	printf("copro serve: in all, %" PRIu64 " requests: %" PRIu64 " reads (%s), %"
	       PRIu64 " writes (%s), %" PRIu64 " zeroes, %" PRIu64 " trims, %" PRIu64
	       " flushes, %" PRIu64 " errors; mean latency %.0f us\n",
	       n, t->reads, cli_format_size(t->rbytes, r, sizeof(r)), t->writes,
	       cli_format_size(t->wbytes, w, sizeof(w)), t->zeroes, t->trims,
	       t->flushes, t->errors, n ? (double)t->busy / (double)n / 1e3 : 0.0);
	fflush(stdout);
}

static void on_stats(struct sup *s, const char *args)
{
	struct stats t;

	if (sscanf(args, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu32,
		   &t.t, &t.reads, &t.writes, &t.zeroes, &t.trims, &t.flushes,
		   &t.errors, &t.rbytes, &t.wbytes, &t.busy, &t.inflight) != 11) {
		say(s, "unreadable statistics from the plugin: '%s'", args);
		return;
	}
	s->last = t;
	s->have_last = true;
	if (!s->c->o.stats || s->detached)
		return;
	/* A gap without clients is no second to report. */
	if (s->have_prev && t.t > s->prev.t && t.t - s->prev.t < 3000000000ull &&
	    s->state == SERVING && s->clients)
		print_stats(s, &s->prev, &t);
	s->prev = t;
	s->have_prev = true;
}

/* ---- events --------------------------------------------------------- */

static int write_pidfile(struct sup *s)
{
	char tmp[PATH_MAX + 16];
	FILE *f;

	if (!s->c->pidfile[0])
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->c->pidfile);
	f = fopen(tmp, "we");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 ||
	    rename(tmp, s->c->pidfile) < 0) {
		say(s, "cannot write pidfile %s: %s", s->c->pidfile,
		    strerror(errno));
		return -errno;
	}
	return 0;
}

static void detach(struct sup *s)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	fflush(stdout);
	fflush(stderr);
	openlog("copro-serve", LOG_PID, LOG_DAEMON);
	s->detached = true;
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	(void)!write(s->daemon_fd, "ok", 2);
	close(s->daemon_fd);
	s->daemon_fd = -1;
}

static void stop(struct sup *s);
static void term_nbdkit(struct sup *s);

static void on_ready(struct sup *s)
{
	if (s->state != STARTING)
		return;
	s->state = SERVING;
	s->ready = true;
	s->deadline = 0;
	serve_banner(s->c->o.run ? stderr : stdout, s->c);
	fflush(stdout);
	if (s->c->o.stats)
		ctl(s, "stats\n");
	if (write_pidfile(s) < 0) {
		stop(s);
		return;
	}
	if (s->c->o.run && start_command(s) < 0) {
		s->cmd_status = 1;
		stop(s);
		return;
	}
	if (s->daemon_fd >= 0)
		detach(s);
}

static void handle_line(struct sup *s, char *line)
{
	unsigned n;

	if (!strcmp(line, "ready")) {
		on_ready(s);
	} else if (sscanf(line, "clients %u", &n) == 1) {
		s->clients = n;
		if (!n)
			s->have_prev = false;
		/* The last client left after Ctrl-C: now nbdkit may go. */
		if (!n && s->state == STOPPING)
			term_nbdkit(s);
	} else if (!strncmp(line, "stats ", 6)) {
		on_stats(s, line + 6);
	} else if (!strcmp(line, "final ok")) {
		s->final_seen = true;
	} else if (!strncmp(line, "final failed", 12)) {
		s->final_seen = s->final_failed = true;
	} else if (sscanf(line, "disconnected %u", &n) == 1) {
		/* Said when asked; nothing to do. */
	} else {
		say(s, "unexpected message from the plugin: '%.80s'", line);
	}
}

static void read_status(struct sup *s)
{
	ssize_t n = read(s->status_fd, s->line + s->have,
			 sizeof(s->line) - 1 - s->have);
	char *nl;

	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		close(s->status_fd);
		s->status_fd = -1;
		return;
	}
	s->have += (size_t)n;
	s->line[s->have] = '\0';
	while ((nl = strchr(s->line, '\n'))) {
		*nl = '\0';
		handle_line(s, s->line);
		s->have -= (size_t)(nl + 1 - s->line);
		memmove(s->line, nl + 1, s->have + 1);
	}
	if (s->have == sizeof(s->line) - 1) {
		say(s, "an over-long message from the plugin was dropped");
		s->have = 0;
	}
}

/* nbdkit's messages, passed on as they come (to syslog once detached). */
static void relay_errors(struct sup *s)
{
	char buf[4096];
	ssize_t n = read(s->err_fd, buf, sizeof(buf));

	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		close(s->err_fd);
		s->err_fd = -1;
		return;
	}
	s->said_something = true;
	if (s->detached)
		syslog(LOG_ERR, "%.*s", (int)n, buf);
	else
		(void)!write(STDERR_FILENO, buf, (size_t)n);
}

static void term_nbdkit(struct sup *s)
{
	if (!s->termed && s->nbdkit_status < 0)
		kill(s->nbdkit, SIGTERM);
	s->termed = true;
}

/* First Ctrl-C, SIGTERM, the end of --run's command, a failure. */
static void stop(struct sup *s)
{
	bool serving = s->state == SERVING;

	if (s->state == STOPPING || s->state == FORCING || s->state == KILLED)
		return;
	s->state = STOPPING;
	s->deadline = now_ms() + (int64_t)s->c->o.shutdown_timeout * 1000;
	if (!serving || !s->clients) {
		term_nbdkit(s);
		return;
	}
	ctl(s, "drain\n");
	/*
	 * After --run's command, its own connections may still be closing:
	 * only clients still there a moment later are worth a word.
	 */
	s->wait_msg_at = now_ms() + (s->cmd_status >= 0 ? 1000 : 0);
}

/* Second Ctrl-C, or the shutdown timeout: end the connections. */
static void force(struct sup *s, bool by_user)
{
	if (s->state == FORCING) {
		/* Flushed and shut down: nbdkit is only exiting; give it time. */
		if (!by_user && s->final_seen && !s->exit_grace) {
			s->exit_grace = true;
			s->deadline = now_ms() + EXIT_GRACE_MS;
			return;
		}
		say(s, "nbdkit did not exit; killing it%s", s->final_seen ? ""
		    : " (the final flush did not run)");
		kill(s->nbdkit, SIGKILL);
		s->state = KILLED;
		s->deadline = 0;
		return;
	}
	if (s->clients)
		say(s, "disconnecting %u client%s", s->clients,
		    s->clients == 1 ? "" : "s");
	term_nbdkit(s);
	ctl(s, "disconnect\n");
	s->state = FORCING;
	s->deadline = now_ms() + FORCE_TIMEOUT_MS;
}

static void say_waiting(struct sup *s)
{
	s->wait_msg_at = 0;
	if (s->state != STOPPING || !s->clients || s->nbdkit_status >= 0)
		return;
	say(s, "waiting for %u client%s to disconnect (Ctrl-C again, or wait "
	    "%u s, to disconnect %s)", s->clients, s->clients == 1 ? "" : "s",
	    s->c->o.shutdown_timeout, s->clients == 1 ? "it" : "them");
}

static void on_signal(struct sup *s, int sig)
{
	/* --run: the command decides; a second signal ends it for good. */
	if (s->cmd > 0 && s->cmd_status < 0 && s->state == SERVING) {
		kill(-s->cmd, s->cmd_signalled ? SIGKILL : sig);
		s->cmd_signalled = true;
		return;
	}
	if (s->state == STARTING || s->state == SERVING)
		stop(s);
	else
		force(s, true);
}

static void reap(struct sup *s)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		int code = WIFEXITED(st) ? WEXITSTATUS(st)
			   : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;

		if (pid == s->nbdkit) {
			s->nbdkit_status = code;
		} else if (pid == s->cmd) {
			s->cmd_status = code;
			command_ended(s);
			/* Its clients are gone; whatever is left is stray. */
			if (s->state == SERVING)
				stop(s);
		}
	}
}

static void on_deadline(struct sup *s)
{
	s->deadline = 0;
	switch (s->state) {
	case STARTING:
		say(s, "the plugin did not start serving within %d s", START_TIMEOUT_MS / 1000);
		kill(s->nbdkit, SIGKILL);
		s->state = KILLED;
		break;
	case STOPPING:
	case FORCING:
		force(s, false);
		break;
	default:
		break;
	}
}

static bool finished(const struct sup *s)
{
	return s->nbdkit_status >= 0 && s->err_fd < 0 && s->status_fd < 0 &&
	       (s->cmd <= 0 || s->cmd_status >= 0);
}

/* The server died under --run's command: its clients fail; end it soon. */
static void orphaned(struct sup *s)
{
	int64_t now = now_ms();

	if (!s->cmd_gone_at) {
		s->cmd_gone_at = now;
		return;
	}
	if (now - s->cmd_gone_at > 2 * ORPHAN_GRACE_MS)
		kill(-s->cmd, SIGKILL);
	else if (now - s->cmd_gone_at > ORPHAN_GRACE_MS)
		kill(-s->cmd, SIGTERM);
}

static void loop(struct sup *s)
{
	while (!finished(s)) {
		struct pollfd p[3] = {
			{ s->sig_fd, POLLIN, 0 },
			{ s->status_fd, POLLIN, 0 },
			{ s->err_fd, POLLIN, 0 },
		};
		int64_t wait = 1000;

		if (s->deadline) {
			wait = s->deadline - now_ms();
			if (wait < 0)
				wait = 0;
			if (wait > 1000)
				wait = 1000;
		}
		if (s->wait_msg_at && (wait > 100 || wait == 0))
			wait = 100;
		if (poll(p, 3, (int)wait) < 0 && errno != EINTR)
			break;
		/* What the plugin said before what the signals say. */
		if (p[1].revents)
			read_status(s);
		if (p[2].revents)
			relay_errors(s);
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(s->sig_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap(s);
				else if (si.ssi_signo != SIGTTOU)
					on_signal(s, (int)si.ssi_signo);
			}
		}
		reap(s); /* SIGCHLD is coalesced */
		if (s->wait_msg_at && now_ms() >= s->wait_msg_at)
			say_waiting(s);
		if (s->deadline && now_ms() >= s->deadline)
			on_deadline(s);
		if (s->nbdkit_status >= 0 && s->cmd > 0 && s->cmd_status < 0)
			orphaned(s);
	}
}

/* ---- the exit status ------------------------------------------------ */

static int exit_status(struct sup *s)
{
	if (!s->ready) {
		if (!s->said_something)
			say(s, "nbdkit exited (status %d) before serving",
			    s->nbdkit_status);
		return CLI_EXIT_FAILURE;
	}
	summary(s);
	if (s->state == KILLED)
		return CLI_EXIT_FAILURE;
	if (s->final_failed) {
		say(s, "the final flush failed: what clients wrote since their "
		    "last successful flush may not be on %s", s->c->disk);
		return CLI_EXIT_FAILURE;
	}
	if (s->nbdkit_status != 0) {
		if (!s->said_something)
			say(s, "nbdkit exited with status %d", s->nbdkit_status);
		return CLI_EXIT_FAILURE;
	}
	if (s->c->o.run)
		return s->cmd_status > 0 ? s->cmd_status : 0;
	return 0;
}

static void cleanup(struct sup *s)
{
	struct stat st;

	if (s->c->sock[0] && lstat(s->c->sock, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(s->c->sock);
	if (s->c->sockdir[0])
		rmdir(s->c->sockdir);
	if (s->c->pidfile[0] && s->ready) {
		FILE *f = fopen(s->c->pidfile, "re");
		long pid = 0;

		if (f) {
			if (fscanf(f, "%ld", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid == (long)getpid())
			unlink(s->c->pidfile);
	}
}

/*
 * --daemon: the parent waits until the child serves (or fails, having
 * said why on the terminal they share), then returns.
 */
static int daemonize(int *fd_out)
{
	int p[2];
	pid_t pid;
	char buf[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(p[0]);
		setsid();
		*fd_out = p[1];
		return 0;
	}
	close(p[1]);
	ssize_t n;
	while ((n = read(p[0], buf, sizeof(buf))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == 2)
		_exit(0);
	int st = 0;
	waitpid(pid, &st, 0);
	_exit(WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : CLI_EXIT_FAILURE);
}

int serve_run(struct serve_ctx *c)
{
	struct sup s = {
		.c = c, .state = STARTING, .nbdkit = -1, .cmd = -1,
		.nbdkit_status = -1, .cmd_status = -1, .status_fd = -1,
		.err_fd = -1, .sig_fd = -1, .daemon_fd = -1,
	};
	sigset_t set;
	int ret;

	if (c->o.daemon && daemonize(&s.daemon_fd) < 0) {
		fprintf(stderr, "copro serve: cannot go to the background: %s\n",
			strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	signal(SIGPIPE, SIG_IGN);
	sig_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s.sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (s.sig_fd < 0) {
		fprintf(stderr, "copro serve: signalfd: %s\n", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	ret = start_nbdkit(&s);
	if (ret < 0) {
		close(s.sig_fd);
		cleanup(&s);
		return CLI_EXIT_FAILURE;
	}
	loop(&s);
	ret = exit_status(&s);
	cleanup(&s);
	close(s.sig_fd);
	if (s.status_fd >= 0)
		close(s.status_fd);
	if (s.err_fd >= 0)
		close(s.err_fd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return ret;
}
