/* SPDX-License-Identifier: MIT */
/* Recorded traces as text and as Chrome's Trace Event Format. */
#ifndef COPRO_TRACE_PRINT_H
#define COPRO_TRACE_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <copro/trace.h>

/* The device an event concerns, or COPRO_TRACE_NO_DEVICE. */
uint32_t trace_event_device(const struct copro_trace_info *in,
			    const struct copro_trace_event *e);
/* One event as a line of text ("write A2I_SEND0 <- 0x..."). */
void trace_event_text(const struct copro_trace_info *in,
		      const struct copro_trace_event *e, char *buf, size_t len);
/* "name/tid". */
void trace_thread_label(const struct copro_trace_info *in, uint32_t thread,
			char *buf, size_t len);

void trace_print_summary(const struct copro_trace_info *in, const char *path,
			 FILE *out);
/*
 * Every event, with the decoded RTKit messages and NVMe events beneath
 * the accesses that complete them; messages_only: just those.
 */
int trace_print(const struct copro_trace_info *in, bool messages_only,
		FILE *out);

/*
 * The Trace Event Format (Perfetto, chrome://tracing): one process per
 * device, a thread per recording thread, interrupt lines and NVMe tags
 * as tracks of their own. 0 or a negative errno (reported on stderr).
 */
int trace_chrome_write(const struct copro_trace_info *in, const char *path);

#endif
