/* SPDX-License-Identifier: MIT */
/*
 * A hand-written AP for testing the RTKit firmware model at the message
 * level, without the host RTKit library: a board, the ASC mailbox driver
 * bound as a plain mailbox client through the NVMe node's `mboxes`, the
 * coprocessor's CPU_CONTROL, the host SART driver, and helpers that play
 * the AP's side of each step (hardware.md 2.2 - 2.7) with assertions.
 *
 *   struct test_ap ap;
 *   test_ap_open(&ap, "t8103", NULL);   // the board's own firmware model
 *   test_ap_boot(&ap);                  // HELLO ... AP ON, all checked
 *   ...
 *   test_ap_close(&ap);
 *
 * With a config, the test's own firmware model replaces the board's on
 * the same ASC. Received messages queue in a ring; test_ap_recv takes
 * the next one (waiting up to TEST_TIMEOUT_NS).
 */
#ifndef COPRO_TEST_RTKIT_AP_H
#define COPRO_TEST_RTKIT_AP_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/asc.h>
#include <copro/driver/platform.h>
#include <copro/mbox.h>
#include <copro/sart.h>
#include <copro/sim/board.h>
#include <copro/sim/rtkit_fw.h>

#include "testutil.h"

#define TEST_AP_RING 512
#define TEST_AP_LOG 1024

/* The buffer-owning system endpoints, in the firmware's slot order. */
enum { TEST_AP_CRASHLOG, TEST_AP_SYSLOG, TEST_AP_IOREPORT, TEST_AP_OSLOG,
       TEST_AP_NBUFS };

struct test_ap_msg {
	uint8_t ep;
	uint64_t msg;
};

struct test_ap_buf {
	bool set;
	struct copro_mmio *mmio; /* in the coprocessor's SRAM: mapped */
	bool allocated;		/* dma holds memory the AP allocated */
	struct copro_dma_buf dma;
	struct copro_sart_handle sart;
	uint64_t iova;
	uint64_t size;
};

struct test_ap {
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_platform *p;
	int nvme;
	struct copro_sim_asc *asc;
	struct copro_sim_rtkit *fw;	/* the model running on the ASC */
	struct copro_sim_rtkit *own;	/* the test's own model, or NULL */
	struct copro_asc *drv;
	struct copro_mbox_chan *chan;
	struct copro_mmio *cpu;
	struct copro_sart *sart;	/* host driver of the NVMe's SART */

	struct copro_mutex lock;
	struct test_ap_msg ring[TEST_AP_RING];
	unsigned head, n;
	_Atomic uint64_t received;
	/* Every message, each direction in order (the first TEST_AP_LOG). */
	struct test_ap_msg sent_log[TEST_AP_LOG], recv_log[TEST_AP_LOG];
	unsigned n_sent, n_recv;

	/* What the helpers learnt and set up. */
	uint8_t map[32];
	unsigned version;
	struct test_ap_buf bufs[TEST_AP_NBUFS];
	unsigned syslog_entries, syslog_msg_size;
	unsigned syslog_lines;
	char last_context[32], last_text[300];
	bool oslog_acked;
	/*
	 * Memory the test allocated before creating a firmware model in IOVA
	 * mode with iova_base = iova_mem.phys: requests inside it are
	 * answered in place (the emulated platform cannot allocate at a
	 * chosen address).
	 */
	struct copro_dma_buf iova_mem;
	/* Policy of test_ap_handle. */
	bool no_sart_add;	/* leave host buffers out of the SART */
	bool no_ioreport_echo;
	bool no_syslog_ack;
};

/*
 * Board `board` (NULL: t8103), threaded. cfg NULL: the board's firmware
 * model; otherwise the test's own, created on the same ASC.
 */
void test_ap_open(struct test_ap *ap, const char *board,
		  const struct copro_sim_rtkit_config *cfg);
void test_ap_close(struct test_ap *ap);
/* The same on the heap (a test_ap is too large for some stacks). */
struct test_ap *test_ap_new(const char *board,
			    const struct copro_sim_rtkit_config *cfg);
/*
 * The board's own firmware model with the ANS2 controller model behind
 * it (a 16 MiB disk), for hosts that drive the controller too.
 */
struct test_ap *test_ap_new_ans2(const char *board);
/*
 * The AP walks away and leaves the coprocessor as it is (a bootloader
 * handing over): its mailbox channel is freed so another host can bind
 * it; its buffers stay allocated (reserved memory) until close.
 */
void test_ap_release(struct test_ap *ap);
void test_ap_free(struct test_ap *ap);
/* Replace the board's firmware model by the test's own (CPU stopped). */
void test_ap_replace_fw(struct test_ap *ap,
			const struct copro_sim_rtkit_config *cfg);
/* CPU_CONTROL.RUN through MMIO. */
void test_ap_cpu(struct test_ap *ap, bool run);

void test_ap_send(struct test_ap *ap, uint8_t ep, uint64_t msg);
/* Next message, waiting up to TEST_TIMEOUT_NS; false when none came. */
bool test_ap_recv(struct test_ap *ap, uint8_t *ep, uint64_t *msg);
/* Receive, and assert that it is exactly (ep, msg). */
void test_ap_expect(struct test_ap *ap, uint8_t ep, uint64_t msg);
/* Messages received and not yet taken. */
unsigned test_ap_queued(struct test_ap *ap);
/*
 * Wait until everything the firmware pushed into the mailbox has
 * reached the ring, so test_ap_queued() tells the whole story.
 */
void test_ap_settle(struct test_ap *ap);
/* Settle, then assert that nothing is queued. */
void test_ap_expect_none(struct test_ap *ap);
struct copro_sim_rtkit_stats test_ap_stats(struct test_ap *ap);
/* Wait until the captured log holds `what` (asserted). */
void test_ap_wait_log(struct test_ap *ap, const char *what);
/* Wait until stats.refused reaches n (asserted), then settle. */
void test_ap_wait_refused(struct test_ap *ap, uint64_t n);

/* ---- the AP's side of the protocol ------------------------------------ */

/* Start the CPU, expect HELLO(min, max), answer with version `ver`. */
void test_ap_hello(struct test_ap *ap, unsigned min, unsigned max,
		   unsigned ver);
/* Answer EPMAP chunks until LAST; returns the number of chunks. */
unsigned test_ap_epmap(struct test_ap *ap);
/*
 * STARTEP every system endpoint of the map among 1, 2, 3, 4, 8, then
 * handle what they send until IOP ON arrives.
 */
void test_ap_start_system(struct test_ap *ap);
/* SET_AP_PWR_STATE(state) and its ACK. */
void test_ap_ap_state(struct test_ap *ap, unsigned state);
/* SET_IOP_PWR_STATE(state) and its ACK. */
void test_ap_iop_state(struct test_ap *ap, unsigned state);
/* All of the above for a [11, 12] firmware: version 12, AP ON. */
void test_ap_boot(struct test_ap *ap);
/* Forget buffers (freeing them) and the map, as a host's reinit does. */
void test_ap_reinit(struct test_ap *ap);

/*
 * Play the AP for one message of a system endpoint: answer buffer
 * requests (allocating and, with a SART, allowing memory), record syslog
 * INIT, read and acknowledge LOG, echo ioreport, ACK oslog INIT. Returns
 * false for anything else (the caller's business).
 */
bool test_ap_handle(struct test_ap *ap, uint8_t ep, uint64_t msg);
/* Receive and handle until (ep, msg) arrives (which is not handled). */
void test_ap_pump_until(struct test_ap *ap, uint8_t ep, uint64_t msg);

/* Receive and handle until `lines` syslog lines were read in all. */
void test_ap_pump_lines(struct test_ap *ap, unsigned lines);

/* Read a buffer as the AP sees it (SRAM through 32-bit MMIO reads). */
void test_ap_read_buf(struct test_ap *ap, int buf, uint64_t off, void *dst,
		      size_t len);
/* Read syslog entry `index`: context and text as raw bytes. */
void test_ap_read_syslog(struct test_ap *ap, unsigned index,
			 uint8_t *context24, uint8_t *text, size_t text_len);

#endif
