/* SPDX-License-Identifier: MIT */
/*
 * The raw-bus API: libcopro-sim for drivers that are not written against
 * libcopro. A bootloader's or a kernel's own ASC, RTKit, SART or NVMe code
 * (or a port of it) runs against copro's device models the way it runs on
 * the hardware: it pokes registers by physical address, puts descriptors
 * in memory at addresses it chose, and waits for interrupt lines. See
 * docs/sim-api.md for a walk-through and examples/ for a whole driver.
 *
 *   struct copro_board *b;
 *   struct copro_board_config cfg = { .board = "t8103", .threaded = true };
 *   copro_board_create(&cfg, &b);          // <copro/sim/board.h>
 *   struct copro_bus *bus = copro_board_bus(b);
 *   copro_raw_write32(bus, 0x277400044, 1u << 4);   // CPU_CONTROL.RUN
 *
 * Everything a board has is there from creation: the models of every
 * known node, a PMGR power-state register per "apple,pmgr-pwrstate" node
 * (power domains and resets are turned on and off through it, as on the
 * hardware), and emulated DRAM at the board's /memory node. Nothing in
 * this header uses the board's platform (<copro/platform.h>): a raw driver
 * and libcopro's drivers must not drive the same device at once.
 *
 * The models' statistics and fault injection are in their own headers,
 * reached from the board: copro_board_ans2() with <copro/sim/ans2_model.h>,
 * copro_board_rtkit() with <copro/sim/rtkit_fw.h>, copro_board_asc() with
 * <copro/sim/asc_model.h>, copro_board_sart() with <copro/sim/sart_model.h>.
 */
#ifndef COPRO_SIM_RAW_H
#define COPRO_SIM_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- registers --------------------------------------------------------- */

/*
 * What a CPU load or store does: an access where no device answers, or a
 * misaligned one, is logged and reads all ones (the hardware would take
 * an SError; a test wants to see the value and carry on). For the error
 * code, use copro_bus_read()/copro_bus_write() from <copro/sim/bus.h>.
 */
COPRO_API uint32_t copro_raw_read32(struct copro_bus *bus, uint64_t phys);
COPRO_API void copro_raw_write32(struct copro_bus *bus, uint64_t phys,
				 uint32_t val);
COPRO_API uint64_t copro_raw_read64(struct copro_bus *bus, uint64_t phys);
COPRO_API void copro_raw_write64(struct copro_bus *bus, uint64_t phys,
				 uint64_t val);

/* ---- DMA memory ---------------------------------------------------------- */

/*
 * The CPU pointer equals the device address (cpu == (void *)phys), as on a
 * bootloader that runs with an identity MMU: descriptors may then hold
 * pointers. Only where the host has that virtual address free:
 * -EADDRNOTAVAIL otherwise (for instance under AddressSanitizer, whose
 * shadow memory covers the low DRAM windows).
 */
#define COPRO_RAW_DMA_IDENTITY (1u << 0)

struct copro_raw_dma {
	void *cpu;	/* the CPU's view */
	uint64_t phys;	/* the device's: what goes in registers and descriptors */
	size_t size;
};

/*
 * Zeroed, 4 KiB aligned memory in the board's DRAM window that the
 * models reach by physical address. phys 0: anywhere free; otherwise at
 * exactly phys (4 KiB aligned, inside the window: -EINVAL; -EBUSY when it
 * overlaps a buffer that exists). flags: COPRO_RAW_DMA_*.
 */
COPRO_API int copro_raw_dma_alloc(struct copro_bus *bus, uint64_t phys,
				  size_t size, unsigned flags,
				  struct copro_raw_dma *out);
COPRO_API void copro_raw_dma_free(struct copro_bus *bus,
				  struct copro_raw_dma *buf);

/* ---- interrupt lines ------------------------------------------------------ */

/*
 * Lines are numbered as the devicetree's "interrupts" cells give them
 * (the AIC's hwirq: 583 for the t8103 NVMe mailbox's send-empty). Read a
 * line's level with copro_bus_irq_get().
 *
 * A hook runs on every level change of its line, in the thread of the
 * model that changed it and possibly with that model's locks held, like
 * an interrupt controller latching an edge: it must not block, touch any
 * device's registers (the model may be in the middle of an access), nor
 * add or remove hooks. Note the edge and return (set a flag, wake a
 * thread); the driver's own thread does the work. One hook per line;
 * -EBUSY when the line has one.
 */
typedef void (*copro_raw_irq_fn)(void *ctx, unsigned line, bool level);
COPRO_API int copro_raw_irq_hook(struct copro_bus *bus, unsigned line,
				 copro_raw_irq_fn fn, void *ctx);
/* On return the hook is not running and will not run again. */
COPRO_API void copro_raw_irq_unhook(struct copro_bus *bus, unsigned line);
/*
 * Sleep until `line` is at `level` (what a bare-metal driver's WFI loop
 * does): 0 at once if it already is, -ETIMEDOUT after timeout_ns
 * (COPRO_FOREVER: never), -EINVAL for a line that does not exist.
 */
COPRO_API int copro_raw_irq_wait(struct copro_bus *bus, unsigned line,
				 bool level, int64_t timeout_ns);

#ifdef __cplusplus
}
#endif
#endif
