/* SPDX-License-Identifier: MIT */
/* The plugin's side of its channel to copro serve (control.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <copro/os.h>

#include "control.h"

int control_init(struct control *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->wake[0] = c->wake[1] = -1;
	return copro_mutex_init(&c->send_lock);
}

void control_send(struct control *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (c->fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	copro_mutex_lock(&c->send_lock);
	/* A gone copro serve is no reason to fail a request: drop it. */
	for (int off = 0; off < n;) {
		ssize_t w = send(c->fd, line + off, (size_t)(n - off),
				 MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (int)w;
	}
	copro_mutex_unlock(&c->send_lock);
}

void control_clients(struct control *c, int delta)
{
	unsigned now = delta > 0 ? atomic_fetch_add(&c->clients, 1) + 1
				 : atomic_fetch_sub(&c->clients, 1) - 1;

	control_send(c, "clients %u", now);
	/* The first second of a busy spell has a baseline. */
	if (delta > 0 && now == 1 && atomic_load(&c->stats))
		control_send_stats(c);
}

void control_send_stats(struct control *c)
{
	struct nbd_io_stats s;

	if (!c->io)
		return;
	nbd_io_get_stats(c->io, &s);
	control_send(c, "stats %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		     " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		     " %" PRIu64 " %" PRIu32,
		     copro_time_ns(), s.reads, s.writes, s.zeroes, s.trims,
		     s.flushes, s.errors, s.bytes_read, s.bytes_written,
		     s.busy_ns, s.inflight);
}

/*
 * Ends every client connection: each connected stream socket in this
 * process but our own channel is shut down, so nbdkit's read of the
 * next request sees the end of the connection, closes it normally and
 * (with its listening socket already closed by the first signal) exits
 * through the plugin's cleanup: the final flush still runs.
 */
static void disconnect_all(struct control *c)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), type = 0, listening = 0;
		socklen_t len = sizeof(type);

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == c->fd ||
		    fd == dirfd(d))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
		    type != SOCK_STREAM)
			continue;
		len = sizeof(listening);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
			       &len) < 0 || listening)
			continue;
		if (shutdown(fd, SHUT_RDWR) == 0)
			n++;
	}
	closedir(d);
	control_send(c, "disconnected %u", n);
}

static void handle_line(struct control *c, const char *line)
{
	if (!strcmp(line, "stats"))
		atomic_store(&c->stats, true);
	else if (!strcmp(line, "drain"))
		atomic_store(&c->draining, true);
	else if (!strcmp(line, "disconnect"))
		disconnect_all(c);
}

static void *control_thread(void *arg)
{
	struct control *c = arg;
	char buf[256];
	size_t have = 0;

	for (;;) {
		struct pollfd p[2] = { { c->fd, POLLIN, 0 },
				       { c->wake[0], POLLIN, 0 } };
		int r = poll(p, 2, 1000);

		if (r < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (r == 0) {
			if (atomic_load(&c->stats) && atomic_load(&c->clients))
				control_send_stats(c);
			continue;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = read(c->fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break; /* copro serve is gone */
		}
		have += (size_t)n;
		buf[have] = '\0';
		char *nl;
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			handle_line(c, buf);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
		if (have == sizeof(buf) - 1)
			have = 0; /* a line too long: not ours, drop it */
	}
	return NULL;
}

int control_start(struct control *c, struct nbd_io *io)
{
	c->io = io;
	if (c->fd < 0)
		return 0;
	if (pipe2(c->wake, O_CLOEXEC) < 0)
		return -errno;
	return copro_thread_start(&c->thread, "copro-control", control_thread,
				  c);
}

void control_stop(struct control *c)
{
	if (c->wake[1] >= 0) {
		ssize_t w = write(c->wake[1], "x", 1);
		(void)w;
	}
	copro_thread_join(&c->thread);
	c->thread.started = false;
	for (int i = 0; i < 2; i++) {
		if (c->wake[i] >= 0)
			close(c->wake[i]);
		c->wake[i] = -1;
	}
}

void control_fini(struct control *c)
{
	control_stop(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	copro_mutex_destroy(&c->send_lock);
}
