/* SPDX-License-Identifier: MIT */
/*
 * What a recorded register stream means, for `copro trace`: RTKit
 * messages rebuilt from the ASC mailbox's SEND/RECV register pairs and
 * decoded as `copro boot --trace` decodes them, and the ANS2 NVMe
 * controller's doorbells, TCB invalidations, CQ heads and state changes
 * as far as the registers show them (commands themselves live in DMA
 * memory, which the trace does not hold).
 *
 * Feed every event of a trace in order; an event that completes
 * something yields a note.
 */
#ifndef COPRO_TRACE_DECODE_H
#define COPRO_TRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/trace.h>

enum trace_note_kind {
	NOTE_NONE,
	NOTE_RTKIT,	  /* an RTKit message crossed the mailbox */
	NOTE_NVME,	  /* a controller register event worth a line */
	NOTE_NVME_DONE,	  /* a tagged command finished (submit known) */
};

struct trace_note {
	enum trace_note_kind kind;
	const char *cat; /* "rtkit", "nvme", "asc" */
	/* NOTE_RTKIT */
	bool to_iop;
	uint8_t ep;
	uint64_t msg;
	/* NOTE_NVME_DONE: when the tag was submitted, and through which queue */
	uint32_t tag;
	uint64_t submit_ns;
	bool admin;
	/* A line of text for every note ("AP -> IOP mgmt HELLO ... 0x..."). */
	char text[256];
};

struct trace_decode;

struct trace_decode *trace_decode_new(const struct copro_trace_info *in);
void trace_decode_free(struct trace_decode *d);
/* Event i (call for 0, 1, 2, ... in turn); false when it makes no note. */
bool trace_decode_event(struct trace_decode *d, size_t i,
			struct trace_note *note);

/* The device a region or line belongs to, as a short name ("mbox@2774..."). */
const char *trace_device_short(const struct copro_trace_info *in, uint32_t dev);

#endif
