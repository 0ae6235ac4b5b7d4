/* SPDX-License-Identifier: MIT */
/* copro boot --sequence: lifecycle steps one after another. */
#ifndef COPRO_BOOT_SEQUENCE_H
#define COPRO_BOOT_SEQUENCE_H

#include <stdbool.h>

#include "rtkit_session.h"

enum seq_step {
	SEQ_BOOT,	/* start the CPU (afresh) and boot */
	SEQ_SHUTDOWN,
	SEQ_QUIESCE,
	SEQ_WAKE,
	SEQ_IDLE,
	SEQ_POWEROFF,
	SEQ_TAKEOVER,
	SEQ_COUNT
};

#define BOOT_SEQUENCE_MAX 64

struct boot_sequence {
	enum seq_step steps[BOOT_SEQUENCE_MAX];
	unsigned n;
};

/* "boot,quiesce,wake": 0, or a usage error printed (CLI_EXIT_USAGE). */
int boot_sequence_parse(const char *list, struct boot_sequence *seq);
/*
 * Runs every step whatever the previous one did, prints a table (or one
 * JSON object with a `steps` list), returns -EIO if any step failed.
 */
int boot_sequence_run(struct rtkit_session *s, const char *board,
		      const struct boot_sequence *seq, bool json, bool polled);

#endif
