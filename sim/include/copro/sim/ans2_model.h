/* SPDX-License-Identifier: MIT */
/*
 * Device model of the Apple ANS2 NVMe controller (hardware.md 4): the
 * "nvme" register region with the CC/CSTS state machine, one admin and
 * one I/O queue, and a namespace stored in a backing file (4096-byte
 * LBAs). Two generations, by compatible: the M1's ("apple,nvme-ans2":
 * linear submission queues, the NVMMU and its TCBs, 64 tags shared by
 * both queues) and the A11's ("apple,t8015-nvme-ans2": ring submission
 * queues with tail doorbells, 16 entries, 128-byte I/O entries, no
 * NVMMU; docs/a11.md). It is the application side of the ANS2 coprocessor's RTKit
 * firmware model: BOOT_STATUS reads 0xde71ce55 only after that firmware
 * booted, and a coprocessor crash stops the controller.
 *
 * The model enforces what the hardware enforces (tags < 64 over both
 * queues, a valid TCB for every command, DMA only to the PRPs its TCB
 * allows, the PRP null check until cleared, linear doorbells only in
 * linear mode, one I/O queue pair, no Abort) and can be told to fail the
 * ways the hardware fails (faults below).
 *
 * Commands run on the model's own threads (a small pool), several at
 * once; a command nothing makes slow (a read, or a write that needs no
 * fdatasync, on the I/O queue, while no I/O fault is armed) runs in the
 * thread that rang its doorbell instead, unless the configuration says
 * workers_only. Data moves with preadv/pwritev (pread/pwrite for one
 * segment) straight between the file and the host's DMA memory. A
 * write has completed when it is in the file; Flush, FUA and a disabled
 * volatile write cache add fdatasync. While one of the node's power
 * domains is off or its reset asserted, the registers read all ones and
 * take no writes; turning either off resets the controller.
 *
 * Where the public record does not say what the hardware does, the
 * model chooses, and sticks to it:
 *  - A linear doorbell naming a tag >= 64 or outside its queue's array is
 *    ignored (logged, tag_errors). A tag still in flight in either queue
 *    gets a completion on the doorbell's queue with Command ID Conflict
 *    (DNR) and CID = the tag; the command in flight is not disturbed.
 *  - Linear doorbells while LINEAR_SQ_CTRL is off are ignored (logged,
 *    doorbells_ignored). On the M1 there are no SQ tail doorbells; on
 *    the A11 no linear or NVMMU registers (bad accesses both).
 *  - A11: a tail doorbell beyond the queue or over unfetched entries is
 *    ignored (doorbells_ignored); a queue runs at most 16 commands; an
 *    entry whose CID is in flight on its queue gets Command ID Conflict
 *    (cid_conflicts); Identify says SQES 0x77.
 *  - The NVMMU reads a tag's TCB when its command starts and keeps that
 *    copy until NVMMU_TCB_INVAL; invalidating a tag in flight fails
 *    (NVMMU_TCB_STAT 1) and keeps the TCB.
 *  - Status codes: no TCB or a TCB for another command: Internal Error;
 *    PRPs, length or direction not what the TCB allows: Data Transfer
 *    Error; the PRP null check: Invalid Field; all with DNR. A data DMA
 *    bus fault (or the injected one) is a Data Transfer Error.
 *  - Completions carry SQ head 0 on the M1 (a linear queue has no head),
 *    the fetch position on the A11.
 *  - The vendor command's layout is in <copro/regs/ans2.h>.
 *  - Dataset Management (deallocate) and Write Zeroes are supported
 *    (ONCS bits 2 and 3); deallocated LBAs read as zeroes and Write
 *    Zeroes honours DEAC (Identify Namespace DLFEAT 0x09). Deallocating
 *    punches a hole in the backing file; Write Zeroes without DEAC
 *    zeroes the range in place (fallocate ZERO_RANGE, or written zeroes
 *    where the file system has neither). The range list of a Dataset
 *    Management command is data the host sends through PRPs, so its
 *    TCB must allow DMA to the device, like a write.
 *  - A write the backing store refuses for lack of space fails with
 *    Capacity Exceeded (as a thin-provisioned namespace does), any other
 *    I/O error with Write Fault or Unrecovered Read Error.
 */
#ifndef COPRO_SIM_ANS2_MODEL_H
#define COPRO_SIM_ANS2_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/sim/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_sim_ans2;
struct copro_sim_rtkit;
struct copro_sim_sart;

#define COPRO_SIM_ANS2_WORKERS_DEFAULT 3u
#define COPRO_SIM_ANS2_WORKERS_MAX 3u

/*
 * How the model's writes use its shared mapping of the disk. A write
 * into a page the mapping holds writable is a copy, a fifth to a third
 * of a pwrite's cost; taking a page in costs a page fault, 1.5 to 5
 * pwrites depending on the host (docs/performance.md).
 */
enum copro_sim_ans2_map_writes {
	/* A page written a second time goes in while the pages before it
	 * repaid their faults, as measured on this host (the default). */
	COPRO_SIM_ANS2_MAP_WRITES_MEASURED,
	/* Every page written a second time goes in. */
	COPRO_SIM_ANS2_MAP_WRITES_SECOND_TOUCH,
	/* Writes take calls only. */
	COPRO_SIM_ANS2_MAP_WRITES_NEVER,
};

/* The policies' names, as copro_sim_ans2_map_writes_parse takes them. */
#define COPRO_SIM_ANS2_MAP_WRITES_NAMES "measured, second-touch or never"

/* The policy named `name` (one of the names above): 0, or -EINVAL. */
COPRO_API int
copro_sim_ans2_map_writes_parse(const char *name,
				enum copro_sim_ans2_map_writes *out);

struct copro_sim_ans2_config {
	/*
	 * Backing file or block device: a file is created if missing and
	 * grown to `size` if smaller (logged at info level).
	 */
	const char *disk_path;	/* NULL: an anonymous temporary file */
	/* Bytes, a multiple of 4096; 0: the file's size (64 MiB new). */
	uint64_t size;
	/* Emulate the real 17-18 ms flush. */
	bool slow_flush;
	/*
	 * Every command on the model's worker threads, never in the thread
	 * that rang its doorbell (the asynchronous path real hardware always
	 * takes, with its thread hand-overs).
	 */
	bool workers_only;
	/*
	 * How many worker threads run the commands that do not run in the
	 * doorbell write: 0 for COPRO_SIM_ANS2_WORKERS_DEFAULT, at most
	 * COPRO_SIM_ANS2_WORKERS_MAX. Several move one large request's
	 * chunks in parallel. One beside a host that polls its completion
	 * queue is the pipeline a two-core machine has room for: copro
	 * bench nvme's queue-depth-32 workloads, where three took turns on
	 * the disk file's inode lock and on the cores.
	 */
	unsigned workers;
	/*
	 * The namespace is write protected: the file is opened read-only,
	 * and every command that would change it (Write, Write Zeroes,
	 * Dataset Management deallocate) fails with Namespace is Write
	 * Protected.
	 */
	bool read_only;
	/*
	 * Move data with read and write calls only, never by copies through
	 * a shared mapping of the disk (which a page read twice takes, and
	 * one written twice as `map_writes` says: a copy costs a fifth to a
	 * third of a call). The model then installs no SIGBUS handler (see
	 * its stats' `mapped`).
	 */
	bool unmapped;
	/*
	 * How writes use the mapping (reads take it at a page's second
	 * touch whatever this says).
	 */
	enum copro_sim_ans2_map_writes map_writes;
};

/*
 * Instantiate from an "apple,nvme-ans2" node. `fw` is the RTKit firmware
 * model of the node's mailbox (the model plugs its endpoints into it),
 * `sart` the model of its apple,sart (vendor command DMA goes through it).
 * Identify strings come from the node's "apple,model", "apple,serial",
 * "apple,firmware" properties, or defaults.
 *
 * The firmware's CPU must be stopped at creation (the model becomes its
 * application, endpoint ANS2_RTKIT_APP_EP). With fw NULL there is no
 * firmware: BOOT_STATUS never reads OK and the controller never becomes
 * ready. Destroy while the CPU is stopped; a CPU still running is
 * stopped through the node's "ans" region first (logged).
 */
COPRO_API int copro_sim_ans2_create(struct copro_bus *bus, int node,
				    struct copro_sim_rtkit *fw,
				    struct copro_sim_sart *sart,
				    const struct copro_sim_ans2_config *cfg,
				    struct copro_sim_ans2 **out);
COPRO_API void copro_sim_ans2_destroy(struct copro_sim_ans2 *m);

/* Faults, armed until cleared; counts say how many commands they hit. */
enum copro_sim_ans2_fault {
	/* The next N completions raise no interrupt (still in the CQ). */
	COPRO_SIM_ANS2_FAULT_LOST_IRQ,
	/*
	 * A doorbell during completion processing loses the interrupt
	 * (boolean): while armed, a submission doorbell written while a CQ
	 * holds unacknowledged entries makes the next completion posted
	 * raise no interrupt.
	 */
	COPRO_SIM_ANS2_FAULT_DOORBELL_RACE,
	/* The next N commands never complete (a reset frees their tags). */
	COPRO_SIM_ANS2_FAULT_STUCK,
	/* The next N commands' data DMA faults (error completion); commands
	 * that move no data do not use it up. */
	COPRO_SIM_ANS2_FAULT_DMA,
	/* After N more completions, the coprocessor crashes (with
	 * crashlog): what is still in flight never completes. */
	COPRO_SIM_ANS2_FAULT_CRASH,
	/* BOOT_STATUS never reads OK (boolean). */
	COPRO_SIM_ANS2_FAULT_NO_BOOT_STATUS,
	/* Identify Controller fails with Internal Error (boolean). */
	COPRO_SIM_ANS2_FAULT_IDENTIFY,
	/* Set Features Number of Queues grants two (boolean). */
	COPRO_SIM_ANS2_FAULT_QUEUE_COUNT,
	/* The next N Flush commands (and shutdown's flush) fail to make
	 * the data durable: Write Fault, as when fdatasync fails. */
	COPRO_SIM_ANS2_FAULT_FLUSH,
	COPRO_SIM_ANS2_FAULT_COUNT
};
/* count 0 disarms; for the boolean faults any non-zero count arms. */
COPRO_API void copro_sim_ans2_set_fault(struct copro_sim_ans2 *m,
					enum copro_sim_ans2_fault f,
					unsigned count);

struct copro_sim_ans2_stats {
	uint64_t commands, errors;
	uint64_t reads, writes, flushes, fdatasyncs;
	uint64_t bytes_read, bytes_written;
	/* Dataset Management deallocate and Write Zeroes, and their LBAs. */
	uint64_t deallocates, write_zeroes;
	uint64_t lbas_deallocated, lbas_zeroed;
	uint64_t tcb_missing, tcb_invalidations, prp_violations;
	uint64_t tag_errors, lost_irqs, stuck;
	/* Accesses to unknown registers, wrong widths, or while off. */
	uint64_t bad_accesses;
	/* Doorbells dropped: linear mode off, controller not ready, no
	 * such queue, bad CQ head. */
	uint64_t doorbells_ignored;
	/* Messages on the firmware's application endpoint (dropped). */
	uint64_t app_messages;
	/* Commands run in the thread that rang their doorbell. */
	uint64_t inline_commands;
	/* Worker threads the model runs (copro_sim_ans2_config.workers). */
	unsigned workers;
	/* A11: entries whose CID was already in flight on their queue. */
	uint64_t cid_conflicts;
	/* A11: the most commands each queue had in flight at once. */
	uint64_t inflight_max_admin, inflight_max_io;
	/* I/O submission queues deleted by Delete I/O SQ. */
	uint64_t ioq_deleted;
	/*
	 * CC.EN cleared while the I/O queues still existed: Linux deletes
	 * them first (on shutdown, reset and suspend); a host that follows
	 * it keeps this at 0.
	 */
	uint64_t disabled_with_ioq;
	/*
	 * The disk is mapped (not unmapped, and the mapping worked); the
	 * reads and writes whose data went through it; the copies through it
	 * that faulted (the first turns the mapping off).
	 */
	bool mapped;
	uint64_t mapped_reads, mapped_writes, map_faults;
	/*
	 * What writes cost of late, ns a 4 KiB page: a call, a copy taking
	 * pages in (their faults), a copy into pages already in (0: not
	 * timed yet); whether a page written a second time goes in now.
	 */
	uint64_t map_write_call_ns, map_write_fault_ns, map_write_hit_ns;
	bool map_takes_writes;
};
COPRO_API void copro_sim_ans2_get_stats(const struct copro_sim_ans2 *m,
					struct copro_sim_ans2_stats *out);
COPRO_API uint64_t copro_sim_ans2_size(const struct copro_sim_ans2 *m);
/* "t8103" (the M1's controller, also t6000's) or "t8015" (the A11's). */
COPRO_API const char *copro_sim_ans2_generation(const struct copro_sim_ans2 *m);

#ifdef __cplusplus
}
#endif
#endif
