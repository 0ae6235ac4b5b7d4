/* SPDX-License-Identifier: MIT */
/*
 * SCMI test helpers: a board with its SCMI platform, the SMC/HVC mailbox
 * drivers its "arm,scmi" nodes need, agents bound on demand, and a way to
 * send one message straight to the platform's handler and look at the
 * answer word by word.
 */
#ifndef COPRO_TEST_SCMI_H
#define COPRO_TEST_SCMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/regs/scmi.h>
#include <copro/scmi.h>
#include <copro/sim/board.h>
#include <copro/sim/scmi_platform.h>
#include <copro/smc_mbox.h>

#include "testutil.h"

#define TEST_SCMI_MAX_AGENTS 2

struct test_scmi {
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_bus *bus;
	struct copro_sim_scmi *plat;
	struct copro_smc_mbox *mbox[4];
	unsigned nmbox;
	struct copro_scmi *agent[TEST_SCMI_MAX_AGENTS];
};

/* The board, its platform, and every SMC/HVC mailbox driver; asserts. */
void test_scmi_open(struct test_scmi *t, const char *board, bool threaded);
/* The same, the board recorded to record_path (NULL: not recorded). */
void test_scmi_open_recorded(struct test_scmi *t, const char *board,
			     bool threaded, const char *record_path);
/* Agents first, then drivers, then the board. */
void test_scmi_close(struct test_scmi *t);
/* Bind agent n (the board's n-th SCMI node); the error, or 0. */
int test_scmi_agent(struct test_scmi *t, unsigned n,
		    const struct copro_scmi_config *cfg);
void test_scmi_agent_remove(struct test_scmi *t, unsigned n);

/* One answer from the handler, split into words. */
struct test_scmi_resp {
	uint32_t hdr;
	int32_t status;
	uint32_t w[64]; /* after the status */
	unsigned n;	/* words after the status */
	size_t len;	/* bytes of the whole answer */
};

/*
 * Message `msg` of `proto` (token 5) with `nw` payload words from
 * platform agent `agent`, straight into the handler (cap: the answer's
 * room, 0 for 128 bytes' worth as a 128-byte area gives).
 */
void test_scmi_call(struct copro_sim_scmi *plat, uint32_t agent,
		    unsigned proto, unsigned msg, const uint32_t *w,
		    unsigned nw, size_t cap, struct test_scmi_resp *r);
/* The same with a header of the caller's. */
void test_scmi_call_hdr(struct copro_sim_scmi *plat, uint32_t agent,
			uint32_t hdr, const uint32_t *w, unsigned nw,
			size_t cap, struct test_scmi_resp *r);

#endif
