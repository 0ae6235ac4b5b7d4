/* SPDX-License-Identifier: MIT */
/*
 * A host bound to a board's NVMe coprocessor at the RTKit level: the
 * emulated board, its ASC mailbox and SART drivers brought up by the
 * probe-all pass, the coprocessor's power domains and CPU control
 * ("ans"), and an RTKit instance with SART-filtered buffers, as the NVMe
 * driver would set them up (but no NVMe). Shared by `copro boot` and
 * `copro bench boot`.
 */
#ifndef COPRO_RTKIT_SESSION_H
#define COPRO_RTKIT_SESSION_H

#include <stdbool.h>

#include <copro/devices.h>
#include <copro/driver/platform.h>
#include <copro/log.h>
#include <copro/rtkit.h>
#include <copro/sart.h>
#include <copro/sim/board.h>

#define RTKIT_SESSION_MAX_PD 4

struct rtkit_session_config {
	const char *board;	/* NULL: the default board */
	struct copro_log *log;
	bool polled;		/* no host threads */
	const struct copro_rtkit_ops *ops;
	void *ctx;
	const char *record;	/* record the board to this file, or NULL */
};

struct rtkit_session {
	struct copro_board *board;
	struct copro_platform *p;
	int node;		/* the ANS2 NVMe node (either generation) */
	char path[128];
	struct copro_devices *devs; /* the mailbox and SART drivers */
	struct copro_sart *sart;    /* a reference, as the NVMe driver holds */
	struct copro_power *pd[RTKIT_SESSION_MAX_PD];
	unsigned npd, npd_on;
	struct copro_mmio *ans;	/* CPU control */
	struct copro_rtkit *rtk;
};

/* Everything or nothing: on error the session is left closed. */
int rtkit_session_open(const struct rtkit_session_config *cfg,
		       struct rtkit_session *s);
/* Shuts RTKit down if it runs, stops the CPU, releases everything. */
void rtkit_session_close(struct rtkit_session *s);
/* CPU_CONTROL.RUN through the "ans" region, as the NVMe driver does. */
void rtkit_session_cpu_run(struct rtkit_session *s, bool run);

#endif
