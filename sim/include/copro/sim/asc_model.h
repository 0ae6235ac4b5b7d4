/* SPDX-License-Identifier: MIT */
/*
 * Device model of an Apple ASC: the mailbox block (hardware.md 1: two
 * 16-entry FIFOs, the registers with their exact side effects, four level
 * interrupt lines) and the coprocessor CPU, whose CPU_CONTROL.RUN bit
 * (ASC base + 0x44) starts and stops a firmware thread.
 *
 * Instantiated from a mailbox node in one of the layouts Linux drives
 * ("apple,asc-mailbox-v4", "apple,t8015-asc-mailbox", "apple,m3-mailbox-v2";
 * "apple,asc-mailbox" as v4): the mailbox registers at the node's reg, in
 * that layout. The CPU control block is at the "ans" reg of the first node
 * whose `mboxes` names the mailbox (as the NVMe node does), else at the
 * ASC base, reg - 0x8000.
 */
#ifndef COPRO_SIM_ASC_MODEL_H
#define COPRO_SIM_ASC_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/asc.h>
#include <copro/sim/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_sim_asc;

/*
 * The firmware the coprocessor CPU runs. run() is the CPU thread's body:
 * it talks through the copro_sim_asc_iop_* calls and returns once they
 * report -ESHUTDOWN (RUN was cleared).
 */
struct copro_sim_asc_fw {
	const char *name;
	void (*run)(void *ctx, struct copro_sim_asc *asc);
	void *ctx;
};

COPRO_API int copro_sim_asc_create(struct copro_bus *bus, int node,
				   struct copro_sim_asc **out);
/* Stops the CPU thread if running and leaves the bus. */
COPRO_API void copro_sim_asc_destroy(struct copro_sim_asc *asc);
/* Only while the CPU is stopped; the struct is copied. NULL: no firmware
 * (RUN then starts a CPU that does nothing). */
COPRO_API int copro_sim_asc_set_firmware(struct copro_sim_asc *asc,
					 const struct copro_sim_asc_fw *fw);
COPRO_API bool copro_sim_asc_cpu_running(const struct copro_sim_asc *asc);
COPRO_API int copro_sim_asc_node(const struct copro_sim_asc *asc);
COPRO_API const char *copro_sim_asc_name(const struct copro_sim_asc *asc);
COPRO_API struct copro_bus *copro_sim_asc_bus(const struct copro_sim_asc *asc);
/* The compatible whose register layout the model implements. */
COPRO_API const char *copro_sim_asc_layout(const struct copro_sim_asc *asc);
/* Where the CPU control block (CPU_CONTROL at +0x44) is. */
COPRO_API void copro_sim_asc_cpu_region(const struct copro_sim_asc *asc,
					uint64_t *phys, uint64_t *size);

/*
 * The coprocessor's side of the FIFOs, for firmware. Waits spin briefly,
 * then sleep. Both return -ESHUTDOWN while the CPU is not running (RUN
 * clear, or cleared during the wait), -ETIMEDOUT when the timeout passed.
 */
COPRO_API int copro_sim_asc_iop_recv(struct copro_sim_asc *asc,
				     struct copro_asc_msg *msg,
				     int64_t timeout_ns);
COPRO_API int copro_sim_asc_iop_send(struct copro_sim_asc *asc,
				     const struct copro_asc_msg *msg,
				     int64_t timeout_ns);
COPRO_API bool copro_sim_asc_iop_stopping(const struct copro_sim_asc *asc);
/*
 * Interrupt the firmware's copro_sim_asc_iop_recv wait (or, when it is
 * not waiting, its next one): the wait returns -EINTR instead of a
 * message. For firmware that also takes work from other threads. Any
 * thread; kicks do not accumulate.
 */
COPRO_API void copro_sim_asc_iop_kick(struct copro_sim_asc *asc);
/*
 * Stop the CPU as clearing CPU_CONTROL.RUN would, without a register
 * access: for owners tearing a board down. Not from the CPU thread.
 */
COPRO_API void copro_sim_asc_cpu_stop(struct copro_sim_asc *asc);
/*
 * How long the CPU thread watches for RUN after the firmware halts
 * before it sleeps (default 20 us; 0: it sleeps at once). A restart
 * within it needs no wake-up. For tests that need it certain (a long
 * watch) or absent; any thread, from the next halt on.
 */
COPRO_API void copro_sim_asc_set_restart_watch(struct copro_sim_asc *asc,
					       uint64_t ns);

struct copro_sim_asc_stats {
	uint64_t a2i_pushed, a2i_popped, a2i_overflows, a2i_underflows;
	uint64_t i2a_pushed, i2a_popped, i2a_overflows, i2a_underflows;
	uint64_t bad_accesses; /* unknown offsets, wrong widths, read-only writes */
	uint64_t cpu_starts, cpu_stops;
	/*
	 * Of cpu_starts: those the CPU thread took while still watching
	 * for RUN after its last halt (copro_sim_asc_set_restart_watch: a
	 * restart within the watch costs no wake-up).
	 */
	uint64_t cpu_starts_spinning;
};
COPRO_API void copro_sim_asc_get_stats(const struct copro_sim_asc *asc,
				       struct copro_sim_asc_stats *out);

/* The echo firmware: sends every message back unchanged. */
COPRO_API const struct copro_sim_asc_fw *copro_sim_fw_echo(void);

#ifdef __cplusplus
}
#endif
#endif
