/* SPDX-License-Identifier: MIT */
/*
 * `copro bench boot --timeline`: where a boot's time goes, step by step.
 * Each boot's trace (every message, stamped where the host took or sent
 * it) and its marks (CPU_CONTROL.RUN written, the boot returned, the
 * shutdown returned, the CPU stopped) are sorted by time; each step is
 * named by direction, endpoint, message type and its occurrence in the
 * boot ("IOP -> AP syslog LOG #2"), and the timeline keeps, per step,
 * the gap from the step before and the time from RUN, over every boot.
 */
#ifndef COPRO_BOOT_TIMELINE_H
#define COPRO_BOOT_TIMELINE_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "boot_trace.h"

struct boot_timeline;

/* The host's marks of one boot, absolute copro_time_ns() values. */
struct boot_marks {
	uint64_t run, booted, shut_down, stopped;
};

struct boot_timeline *boot_timeline_create(void);
/*
 * The counted boots' span, CLOCK_MONOTONIC ns (printed, so that a `perf
 * record -k CLOCK_MONOTONIC` of the run can count what fell within it).
 */
void boot_timeline_span(struct boot_timeline *tl, uint64_t start, uint64_t end);
void boot_timeline_destroy(struct boot_timeline *tl);
/* One boot: the trace since boot_trace_start(t, m->run). */
int boot_timeline_add(struct boot_timeline *tl, struct boot_trace *t,
		      const struct boot_marks *m);
/* Boots added. */
uint64_t boot_timeline_boots(const struct boot_timeline *tl);
/* One line per step, in the order of their median time from RUN. */
void boot_timeline_print(struct boot_timeline *tl, const char *title,
			 FILE *out);
/* The same as a JSON array of {step, n, at_us, gap_p50_us, gap_p90_us}. */
json_t *boot_timeline_json(struct boot_timeline *tl);

#endif
