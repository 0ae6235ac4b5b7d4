/* SPDX-License-Identifier: MIT */
/*
 * A small programmable RTKit coprocessor for host-side tests: firmware
 * for an ASC model's CPU thread that records every message the AP sends
 * and, unless told otherwise, answers the management protocol like real
 * firmware (HELLO, the endpoint map in chunks, IOP ON once the system
 * endpoints are started, power-state ACKs). Tests break that behaviour
 * with the config's knobs or a hook, and send anything they like with
 * test_iop_send().
 *
 * struct test_rtk is the whole bench around it: the t8103 board, the ASC
 * driver, the CPU control block, the scripted IOP and the host library
 * bound to the NVMe node's mailbox.
 *
 *   struct test_rtk t;
 *   test_rtk_open(&t, true, &(struct test_iop_config){ .ver_max = 12 });
 *   test_rtk_create(&t, &(struct copro_rtkit_config){ 0 });
 *   assert_int_equal(test_rtk_boot(&t), 0);
 *   ...
 *   test_rtk_close(&t);
 */
#ifndef COPRO_TEST_IOP_H
#define COPRO_TEST_IOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/asc.h>
#include <copro/rtkit.h>
#include <copro/sim/asc_model.h>

#include "testutil.h"

struct test_iop;
struct copro_sim_sart;

struct test_iop_config {
	unsigned ver_min, ver_max; /* HELLO's range; 0, 0: 11, 12 */
	/* Endpoint map, bit ep. All zero: 1, 2, 3, 4, 8 and 0x20. */
	uint64_t eps[4];
	bool no_hello;	 /* silent after RUN */
	bool no_iop_on;	 /* never reports IOP ON after the map */
	bool no_ap_ack;	 /* SET_AP_PWR_STATE unanswered */
	bool no_iop_ack; /* SET_IOP_PWR_STATE unanswered */
	/*
	 * Sees every AP message first, on the CPU thread, after it was
	 * recorded; returns true when it handled it (no automatic answer).
	 */
	bool (*hook)(void *ctx, struct test_iop *iop, uint8_t ep,
		     uint64_t msg);
	void *hook_ctx;
	/* Filtered DMA through this SART model in test_iop_dma_*. */
	struct copro_sim_sart *sart;
};

/* Installs itself as the ASC's firmware (its CPU must be stopped). */
int test_iop_create(struct copro_sim_asc *asc, const struct test_iop_config *cfg,
		    struct test_iop **out);
/* After the CPU stopped. */
void test_iop_destroy(struct test_iop *iop);

/*
 * From a hook (the CPU thread): the firmware restarts, forgetting what
 * was started, and says HELLO again.
 */
void test_iop_restart(struct test_iop *iop);
/* Sends as the coprocessor (from any thread); 0 or a negative errno. */
int test_iop_send(struct test_iop *iop, uint8_t ep, uint64_t msg);
/* AP messages received so far, and the i-th of them. */
size_t test_iop_count(struct test_iop *iop);
bool test_iop_get(struct test_iop *iop, size_t i, uint8_t *ep, uint64_t *msg);
/*
 * The first AP message at or after *cursor on `ep` whose bits 59:52
 * (type < 0: any type) match; moves *cursor past it. Waits up to
 * timeout_ns, calling poll(poll_ctx) meanwhile when poll is non-NULL.
 */
bool test_iop_wait(struct test_iop *iop, size_t *cursor, uint8_t ep, int type,
		   uint64_t *msg, int64_t timeout_ns, int (*poll)(void *),
		   void *poll_ctx);
/* How many AP messages on ep with that type (< 0: any) were received. */
size_t test_iop_count_of(struct test_iop *iop, uint8_t ep, int type);
/* The version the AP chose, 0 before HELLO_REPLY. */
unsigned test_iop_version(struct test_iop *iop);

/* DMA as this coprocessor: through its SART model when it has one. */
int test_iop_dma_write(struct test_iop *iop, uint64_t iova, const void *src,
		       size_t len);
int test_iop_dma_read(struct test_iop *iop, uint64_t iova, void *dst,
		      size_t len);

/*
 * Coprocessor SRAM on the bus: 32-bit accesses only (a 64-bit access is
 * counted as bad, reads 0 and writes nothing), like the real thing.
 */
struct test_sram;
int test_sram_create(struct copro_bus *bus, uint64_t phys, uint64_t size,
		     struct test_sram **out);
void test_sram_destroy(struct test_sram *s);
void test_sram_write(struct test_sram *s, uint64_t off, const void *src,
		     size_t len);
uint64_t test_sram_bad_accesses(struct test_sram *s);
uint64_t test_sram_reads(struct test_sram *s);

/* ---- the bench ---------------------------------------------------------- */

struct test_rtk {
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_bus *bus;
	const struct copro_dt *dt;
	struct copro_sim_asc *model;
	struct copro_asc *asc;
	struct copro_mmio *cpu;
	int node; /* the client: the NVMe node, whose mailbox is the ASC's */
	struct test_iop *iop;
	struct copro_rtkit *rtk;
	bool threaded;
};

/* Board, ASC driver and IOP; the CPU stays stopped. */
void test_rtk_open(struct test_rtk *t, bool threaded,
		   const struct test_iop_config *icfg);
/*
 * The host library with this config (name defaults to "rtk", the
 * timeout to TEST_TIMEOUT_NS).
 */
int test_rtk_create(struct test_rtk *t, const struct copro_rtkit_config *cfg);
void test_rtk_cpu(struct test_rtk *t, bool run);
/* Starts the CPU and boots. */
int test_rtk_boot(struct test_rtk *t);
/* test_iop_wait on t's IOP, polling the host when it has no threads. */
bool test_rtk_wait_ap(struct test_rtk *t, size_t *cursor, uint8_t ep, int type,
		      uint64_t *msg);
/*
 * test_iop_send that keeps the host polling while the coprocessor's FIFO
 * is full (a polled host drains it only when polled).
 */
int test_rtk_iop_send(struct test_rtk *t, uint8_t ep, uint64_t msg);
/* Waits until cond(arg), polling the host when it has no threads. */
bool test_rtk_wait(struct test_rtk *t, bool (*cond)(void *), void *arg);
void test_rtk_close(struct test_rtk *t);

/* The endpoint map test_iop announces by default. */
#define TEST_IOP_APP_EP 0x20

#endif
