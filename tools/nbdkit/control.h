/* SPDX-License-Identifier: MIT */
/*
 * The plugin's channel to `copro serve`, which runs nbdkit and passes
 * one end of a socketpair as status-fd=N. One line per message.
 *
 * plugin -> copro serve
 *   ready                    the board and driver are up (after_fork)
 *   clients N                connections open now (on every change)
 *   stats T R W Z D F E RB WB BUSY INFLIGHT
 *                            cumulative request counts at time T (ns):
 *                            reads, writes, zeroes, trims, flushes,
 *                            errors, bytes read, bytes written, the sum
 *                            of request latencies (ns), requests now in
 *                            flight; once a second while clients are
 *                            connected and stats were asked for, and
 *                            once at exit
 *   final ok | final failed REASON
 *                            the flush at shutdown
 * copro serve -> plugin
 *   stats                    start sending stats
 *   drain                    refuse new connections (shutting down)
 *   disconnect               end every client connection now (shutdown
 *                            of their sockets; nbdkit then exits as
 *                            after a normal disconnect)
 *
 * copro serve treats what it reads as untrusted input: it is our own
 * child, but a line it cannot parse is reported, not believed.
 */
#ifndef COPRO_NBDKIT_CONTROL_H
#define COPRO_NBDKIT_CONTROL_H

#include <stdatomic.h>
#include <stdbool.h>

#include <copro/os.h>

#include "nbd_io.h"

struct control {
	int fd;			/* -1: no copro serve */
	int wake[2];		/* stops the thread */
	struct copro_thread thread;
	struct nbd_io *io;
	_Atomic unsigned clients;
	_Atomic bool stats, draining;
	struct copro_mutex send_lock;
};

/* fd: the status-fd (or -1). Nothing runs until control_start. */
int control_init(struct control *c, int fd);
/* After fork: the thread that reads commands and sends stats. */
int control_start(struct control *c, struct nbd_io *io);
void control_stop(struct control *c);
void control_fini(struct control *c);

void control_send(struct control *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void control_clients(struct control *c, int delta);
void control_send_stats(struct control *c);

#endif
