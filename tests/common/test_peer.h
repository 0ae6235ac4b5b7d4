/* SPDX-License-Identifier: MIT */
/*
 * The public drivers that run on real machines, played by hand at the
 * message and register level over a test_ap: what u-boot
 * (arch/arm/mach-apple/rtkit.c, drivers/nvme/nvme_apple.c), m1n1
 * (src/rtkit.c, src/nvme.c) and OpenBSD (sys/arch/arm64/dev/rtkit.c,
 * aplns.c) send, in their order, with their field layouts, and what they
 * tolerate (docs/rtkit.md lists the facts and where they come from).
 * Linux's sequence is the host library's own. A model that real firmware
 * is faithful to takes every step without a refusal or a warning.
 *
 * The ANS2 side is a minimal NVMe host as the bootloaders have one: one
 * command at a time, polled completions, TCBs of 128 entries with DMA
 * flags 0x3 and a 32-bit length, as u-boot and OpenBSD write them.
 */
#ifndef COPRO_TEST_PEER_H
#define COPRO_TEST_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/driver/platform.h>

#include "test_rtkit_ap.h"

struct peer {
	struct test_ap *ap;
	struct copro_mmio *nvme;	/* the ANS2 "nvme" registers */
	struct copro_power *pd[4];
	unsigned npd;
	bool off;			/* peer_power_off ran */
	struct copro_reset *rst[4];
	unsigned nrst;
	unsigned iop_state, ap_state;	/* as the peer tracks them */
	uint64_t eps[4];		/* the endpoint map it learnt */
	/* NVMe: admin and I/O queues, their TCB arrays, one data page. */
	struct copro_dma_buf asq, acq, iosq, iocq, atcb, iotcb, data;
	unsigned head[2], phase[2], tail[2];
	bool ioq;
};

/*
 * The peer's view of `ap`'s board: power domains on (the bootloaders'
 * device model, or iBoot, powers the block first) and the "nvme"
 * registers mapped. The ap needs the ANS2 model (test_ap_new_ans2).
 */
void peer_open(struct peer *pr, struct test_ap *ap);
/*
 * Unmaps and releases; its hold on the power domains ends (a domain
 * stays on for whoever else holds it: close after the next owner took
 * it, for a handoff with the power on).
 */
void peer_close(struct peer *pr);

/* ---- RTKit -------------------------------------------------------------- */

/*
 * u-boot's apple_rtkit_boot: IOP ON first, HELLO, the map, STARTEP of
 * every system endpoint but syslog, debug and tracekit, buffers (IOVA
 * read from 41:0), until IOP ON. Never AP ON.
 */
void peer_uboot_rtkit_boot(struct peer *pr);
/* u-boot's apple_rtkit_shutdown(SLEEP): only the IOP state is asked. */
void peer_uboot_rtkit_shutdown(struct peer *pr);
/*
 * m1n1's rtkit_boot: IOP ON first, HELLO, the map, STARTEP of debug,
 * crashlog, syslog, ioreport and oslog in that order, the oslog buffer
 * request answered with the old ACK, until IOP ON, then AP ON without
 * waiting for its ACK.
 */
void peer_m1n1_rtkit_boot(struct peer *pr);
/* m1n1's rtkit_shutdown: AP 0x10, then IOP 0x10, each awaited. */
void peer_m1n1_rtkit_shutdown(struct peer *pr);
/*
 * OpenBSD's rtkit_boot: IOP INIT, everything handled as it comes until
 * the IOP reports ON (low byte 0x20), then AP ON and its ACK.
 */
void peer_openbsd_rtkit_boot(struct peer *pr);
/* OpenBSD's rtkit_shutdown: AP QUIESCED, IOP SLEEP, each awaited. */
void peer_openbsd_rtkit_shutdown(struct peer *pr);

/* ---- ANS2 -------------------------------------------------------------- */

uint32_t peer_boot_status(struct peer *pr);
/* Poll BOOT_STATUS for OK, up to timeout_ns (u-boot 500 ms, m1n1 1 s). */
bool peer_wait_boot_status(struct peer *pr, int64_t timeout_ns);
/*
 * What u-boot's apple_nvme_probe and OpenBSD's nvme_ans_init and
 * nvme_ans_enable write (linear SQ, MAX_PEND_CMDS, the PRP null check off,
 * NVMMU_NUM_TCBS 127, MODESEL 0), then the NVMe bring-up: admin queue,
 * CC.EN, Identify Controller, the I/O queue pair, one read of LBA 0.
 */
void peer_nvme_init(struct peer *pr);
/* The I/O queues deleted, then CC.EN cleared (the handoff convention). */
void peer_nvme_shutdown(struct peer *pr);
/* CPU_CONTROL.RUN set or cleared, keeping the other bits (read-modify-write). */
void peer_cpu(struct peer *pr, bool run);
/* Every reset line of the node asserted, then deasserted. */
void peer_reset_toggle(struct peer *pr);
void peer_power_off(struct peer *pr);

#endif
