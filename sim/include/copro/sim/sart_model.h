/* SPDX-License-Identifier: MIT */
/*
 * Device model of an Apple SART DMA address filter (hardware.md 3), in
 * all three register layouts, chosen by compatible like the driver does:
 * "apple,t8015-sart" (v0), "apple,t8103-sart" (v2), "apple,t6000-sart"
 * (v3).
 *
 * Registers: 32-bit accesses only. Each register holds what was written,
 * masked to its implemented bits (<copro/regs/sart.h>). Any other width,
 * and any offset the layout does not define, is a bad access: counted,
 * logged, reads return 0 and writes are dropped.
 *
 * The filter: an entry whose flags are non-zero allows reads and writes
 * of [address, address + size). The meaning of the individual flag bits
 * is unknown (the driver always writes all of them), so the model does
 * not tell them apart. An access is allowed only if it lies entirely
 * inside one such entry; an access spanning two adjacent entries is
 * blocked.
 *
 * Bootloader entries (a simulator-only property of the SART node):
 *
 *   apple,bootloader-entries = <index addr_hi addr_lo size_hi size_lo flags>,
 *                              ...;
 *
 * six cells per entry: the entry index (0-15), the 64-bit address and
 * size in bytes (4 KiB aligned, within the version's limits) and the
 * flags (non-zero, within the flags field). The model programs them
 * before the bus sees the SART, as a bootloader would have.
 */
#ifndef COPRO_SIM_SART_MODEL_H
#define COPRO_SIM_SART_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/dt.h>
#include <copro/sim/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COPRO_SIM_SART_BOOT_ENTRIES "apple,bootloader-entries"

struct copro_sim_sart;

/* Does the simulator have a SART model for this node's compatible? */
COPRO_API bool copro_sim_sart_matches(const struct copro_dt *dt, int node);

/* -ENODEV for an unknown compatible, -EINVAL for bad bootloader entries. */
COPRO_API int copro_sim_sart_create(struct copro_bus *bus, int node,
				    struct copro_sim_sart **out);
/* Leaves the bus; whoever DMAs through it must have stopped. */
COPRO_API void copro_sim_sart_destroy(struct copro_sim_sart *s);

COPRO_API int copro_sim_sart_node(const struct copro_sim_sart *s);
COPRO_API const char *copro_sim_sart_name(const struct copro_sim_sart *s);
/* 0, 2, 3 */
COPRO_API unsigned copro_sim_sart_version(const struct copro_sim_sart *s);

/*
 * The filter. 0 when [phys, phys + len) lies inside one enabled entry
 * (len 0 is always allowed and not counted); otherwise the access is
 * counted as blocked, logged and -COPRO_EBUSFAULT returned.
 */
COPRO_API int copro_sim_sart_check(struct copro_sim_sart *s, uint64_t phys,
				   size_t len, bool write);

/*
 * Filtered DMA for the device behind the SART: the filter, then
 * copro_bus_dma_read/write (which may still fault if no memory is there).
 * `who` names the DMA master in messages.
 */
COPRO_API int copro_sim_sart_dma_read(struct copro_sim_sart *s, const char *who,
				      uint64_t phys, void *dst, size_t len);
COPRO_API int copro_sim_sart_dma_write(struct copro_sim_sart *s,
				       const char *who, uint64_t phys,
				       const void *src, size_t len);

/* Entry `index` as the filter sees it (-EINVAL for index >= 16). */
struct copro_sim_sart_entry {
	uint32_t flags;
	uint64_t phys;
	uint64_t size;
};
COPRO_API int copro_sim_sart_get_entry(struct copro_sim_sart *s, unsigned index,
				       struct copro_sim_sart_entry *out);

struct copro_sim_sart_stats {
	uint64_t allowed;      /* accesses the filter let through */
	uint64_t blocked;      /* accesses it stopped */
	uint64_t reg_writes;   /* register writes that landed */
	uint64_t bad_accesses; /* unknown offsets, wrong widths */
};
COPRO_API void copro_sim_sart_get_stats(struct copro_sim_sart *s,
					struct copro_sim_sart_stats *out);

/*
 * Test hook: called for every register write that lands, in order, with
 * the offset and the value as written (before masking). Runs in the
 * writing thread with the model's lock held: it must not touch the SART.
 * fn NULL removes it.
 */
typedef void (*copro_sim_sart_trace_fn)(void *ctx, uint64_t off,
					uint32_t val);
COPRO_API void copro_sim_sart_set_trace(struct copro_sim_sart *s,
					copro_sim_sart_trace_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
