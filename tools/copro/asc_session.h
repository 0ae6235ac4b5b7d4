/* SPDX-License-Identifier: MIT */
/*
 * A host bound to a board's first ASC mailbox: the emulated board, the
 * ASC driver brought up by the probe-all pass (the only driver it runs:
 * the session is the mailbox's client), one channel, and the
 * coprocessor's CPU control block. Shared by `copro demo` and
 * `copro bench mbox`.
 */
#ifndef COPRO_ASC_SESSION_H
#define COPRO_ASC_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/asc.h>
#include <copro/devices.h>
#include <copro/driver/platform.h>
#include <copro/log.h>
#include <copro/mbox.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>

struct asc_session_config {
	const char *board; /* NULL: the default board */
	struct copro_log *log;
	bool threaded;
	uint64_t irq_spin_ns;
	const struct copro_mbox_client *client;
	const char *record;	/* record the board to this file, or NULL */
};

struct asc_session {
	struct copro_board *board;
	struct copro_platform *p;
	struct copro_sim_asc *model;
	struct copro_devices *devs; /* the ASC mailbox drivers */
	struct copro_mbox_chan *chan;
	struct copro_mmio *cpu;
	int node;
	char path[128];
};

/* Everything or nothing: on error the session is left closed. */
int asc_session_open(const struct asc_session_config *cfg,
		     struct asc_session *s);
void asc_session_close(struct asc_session *s);
/* CPU_CONTROL.RUN through MMIO, as a driver would. */
void asc_session_cpu_run(struct asc_session *s, bool run);

#endif
