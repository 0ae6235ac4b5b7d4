/* SPDX-License-Identifier: MIT */
/*
 * A host bound to one SCMI agent of a board: the emulated board (its EL3
 * firmware and SCMI platform), the SMC/HVC mailbox controllers the
 * board's "arm,scmi" nodes use (a probe-all pass with their driver), and
 * the agent of the board's n-th SCMI node alone, so a trace shows only
 * its messages. Shared by `copro scmi` and `copro bench scmi`.
 */
#ifndef COPRO_SCMI_SESSION_H
#define COPRO_SCMI_SESSION_H

#include <stdbool.h>

#include <copro/devices.h>
#include <copro/log.h>
#include <copro/platform.h>
#include <copro/scmi.h>
#include <copro/sim/board.h>
#include <copro/smc_mbox.h>

#define SCMI_SESSION_DEFAULT_BOARD "scmi-smc"

struct scmi_session_config {
	const char *board; /* NULL: SCMI_SESSION_DEFAULT_BOARD */
	struct copro_log *log;
	unsigned agent;	   /* the board's n-th SCMI node, from 0 */
	bool polled;	   /* no host threads */
	struct copro_scmi_config scmi;
};

struct scmi_session {
	struct copro_board *board;
	struct copro_platform *p;
	struct copro_devices *devs; /* the SMC/HVC mailboxes */
	int node;
	char path[128];
	struct copro_scmi *scmi;
};

/* Everything or nothing: on error the session is left closed. */
int scmi_session_open(const struct scmi_session_config *cfg,
		      struct scmi_session *s);
void scmi_session_close(struct scmi_session *s);

#endif
