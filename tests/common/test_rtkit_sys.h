/* SPDX-License-Identifier: MIT */
/*
 * End to end: the host RTKit library (include/copro/rtkit.h) driving the
 * RTKit firmware model on a board, through the real ASC driver, mailbox
 * framework and SART driver. For tests/system/test_rtkit_*.c.
 *
 *   struct test_sys s;
 *   test_sys_open(&s, "t6000", true);      // board, drivers; CPU stopped
 *   struct copro_rtkit_config cfg = { .shmem_mode = COPRO_RTKIT_SHMEM_SART };
 *   test_sys_create(&s, &cfg);              // sart, ops, ctx filled in
 *   assert_int_equal(test_sys_boot(&s), 0); // RUN, then copro_rtkit_boot
 *   ...
 *   test_sys_close(&s);
 */
#ifndef COPRO_TEST_RTKIT_SYS_H
#define COPRO_TEST_RTKIT_SYS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/asc.h>
#include <copro/crashlog.h>
#include <copro/rtkit.h>
#include <copro/sart.h>
#include <copro/sim/board.h>
#include <copro/sim/rtkit_fw.h>

#include "testutil.h"

/* Free for a coprocessor SRAM window on both boards (t8103's SMC SRAM). */
#define TEST_SYS_SRAM_PHYS 0x23fe00000ull
#define TEST_SYS_SRAM_SIZE 0x100000ull
/* Where IOVA-mode firmware places its buffers: 1 GiB into DRAM. */
#define TEST_SYS_IOVA_OFFSET 0x40000000ull
#define TEST_SYS_IOVA_SIZE 0x100000ull

struct test_sys {
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_platform *p;
	bool threaded;
	int nvme;
	uint64_t dram_base;
	struct copro_sim_asc *asc;
	struct copro_sim_rtkit *fw;	/* the model running on the ASC */
	struct copro_sim_rtkit *own;	/* the test's own, or NULL */
	struct copro_asc *drv;
	struct copro_mmio *cpu;
	struct copro_sart *sart;	/* host SART driver */
	struct copro_rtkit *rtk;

	/* What the client callbacks saw. */
	struct copro_mutex lock;
	_Atomic unsigned crashes, crashes_with_log, syslog_lines, app_msgs;
	_Atomic unsigned restarts;
	char crash_str[COPRO_CRASHLOG_STR_MAX];
	char last_context[32], last_text[300];
	_Atomic uint64_t last_app_msg;
};

void test_sys_open(struct test_sys *s, const char *board, bool threaded);
void test_sys_close(struct test_sys *s);
/* The ANS2 configuration of the boards, before any change a test makes. */
struct copro_sim_rtkit_config test_sys_ans_cfg(struct test_sys *s);
/* Replace the board's firmware model by the test's own (CPU stopped). */
void test_sys_replace_fw(struct test_sys *s,
			 const struct copro_sim_rtkit_config *cfg);
/*
 * copro_rtkit_create on the NVMe node. Unset fields get: the client ops
 * below, the host SART driver, a generous timeout.
 */
int test_sys_create(struct test_sys *s, const struct copro_rtkit_config *cfg);
void test_sys_cpu(struct test_sys *s, bool run);
/* CPU_CONTROL.RUN, then copro_rtkit_boot. */
int test_sys_boot(struct test_sys *s);
/*
 * Poll pred until true (-> true) or TEST_TIMEOUT_NS; in polled mode the
 * host library is polled meanwhile.
 */
bool test_sys_wait(struct test_sys *s, bool (*pred)(void *), void *arg);
/* Wait until the captured log holds `what` (asserted). */
void test_sys_wait_log(struct test_sys *s, const char *what);
/* Wait for the firmware model's and the client's syslog counts. */
void test_sys_wait_lines(struct test_sys *s, unsigned lines);
struct copro_sim_rtkit_stats test_sys_fw_stats(struct test_sys *s);
struct copro_rtkit_stats test_sys_host_stats(struct test_sys *s);

#endif
