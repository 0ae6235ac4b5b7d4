/* SPDX-License-Identifier: MIT */
/*
 * What `copro boot` and `copro bench boot` record of an RTKit session:
 * every mailbox message with its time and direction, the syslog lines,
 * and where the boot ended. Filled from RTKit's ops (any thread).
 */
#ifndef COPRO_BOOT_TRACE_H
#define COPRO_BOOT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <copro/os.h>
#include <copro/rtkit.h>

#define BOOT_TRACE_MAX 4096
#define BOOT_TRACE_SYSLOG_MAX 256

struct boot_trace_msg {
	uint64_t time_ns;
	uint64_t msg;
	uint8_t ep;
	bool to_iop;
	bool by_starter; /* traced in the thread that called boot_trace_start */
};

struct boot_trace {
	struct copro_mutex lock;
	uint64_t t0;
	long starter; /* the thread id of boot_trace_start's caller */
	struct boot_trace_msg msgs[BOOT_TRACE_MAX];
	size_t nmsgs, dropped;
	size_t booted_at;	/* messages before boot returned */
	char *syslog[BOOT_TRACE_SYSLOG_MAX];
	size_t nsyslog;
	/* What the boot found (shutdown forgets it in RTKit). */
	unsigned version;
	uint8_t eps[COPRO_RTKIT_MAX_EPS];
	unsigned neps;
};

struct boot_trace *boot_trace_create(void);
void boot_trace_destroy(struct boot_trace *t);
/* The ops to hand RTKit, with the trace as ctx. */
const struct copro_rtkit_ops *boot_trace_ops(void);
/* Forget what was recorded; times count from t0. */
void boot_trace_start(struct boot_trace *t, uint64_t t0);
/* The boot returned: note where, and what it found when it succeeded. */
void boot_trace_mark_booted(struct boot_trace *t, const struct copro_rtkit *rtk);

/*
 * Sequential exchanges of the boot: how often the AP sent and then had
 * to wait for the coprocessor (an AP message followed by a coprocessor
 * one), counting from the first message to the end of the boot.
 */
unsigned boot_trace_round_trips(const struct boot_trace *t);

/* Messages recorded so far. */
size_t boot_trace_count(struct boot_trace *t);
/*
 * One message as every trace prints it: direction, decoded endpoint and
 * message, payload ("AP -> IOP mgmt HELLO_REPLY version=12 ... 0x...").
 */
void boot_trace_format(char *buf, size_t len, bool to_iop, uint8_t ep,
		       uint64_t msg);
/* Messages [first, end) (end clamped to what was recorded). */
void boot_trace_print(const struct boot_trace *t, size_t first, size_t end,
		      FILE *out);
/* Space-separated names of the mapped endpoints other than mgmt. */
void boot_trace_endpoints(const struct boot_trace *t, char *buf, size_t len);
/*
 * One JSON object: board, version, endpoints, boot_us, round_trips,
 * messages (before the boot completed), syslog. 0 or CLI_EXIT_FAILURE.
 */
int boot_trace_json(const struct boot_trace *t, const char *board,
		    uint64_t boot_ns, FILE *out);

#endif
