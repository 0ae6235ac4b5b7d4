/* SPDX-License-Identifier: MIT */
/*
 * The device side of the platform: what device models use to appear on
 * the emulated bus. Drivers never include this header.
 */
#ifndef COPRO_BUS_H
#define COPRO_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A model's register block. Handlers run synchronously in the accessing
 * thread, possibly several at once: the model does its own locking.
 * `width` is 4 or 8; `off` is relative to the region base and already
 * checked to be inside it and aligned to the width.
 */
struct copro_mmio_ops {
	uint64_t (*read)(void *ctx, uint64_t off, unsigned width);
	void (*write)(void *ctx, uint64_t off, uint64_t val, unsigned width);
};

/* -EEXIST when the range overlaps a region already on the bus. */
int copro_bus_add_mmio(struct copro_platform *p, uint64_t phys, uint64_t size,
		       const struct copro_mmio_ops *ops, void *ctx,
		       const char *name);
/* Waits for no access to be in flight (the caller stops drivers first). */
void copro_bus_remove_mmio(struct copro_platform *p, uint64_t phys);

/* Drive a level-triggered line (any thread, never blocks). */
void copro_bus_irq_set(struct copro_platform *p, unsigned line, bool level);
bool copro_bus_irq_get(struct copro_platform *p, unsigned line);

/*
 * DMA as a device sees it. _map returns a pointer valid while the buffer
 * stays registered, only when [phys, phys + len) lies inside one
 * registered buffer; otherwise it is a bus fault: logged (naming `who`
 * and the address), counted, and -COPRO_EBUSFAULT returned.
 */
int copro_bus_dma_map(struct copro_platform *p, const char *who,
		      uint64_t phys, size_t len, void **ptr);
int copro_bus_dma_read(struct copro_platform *p, const char *who,
		       uint64_t phys, void *dst, size_t len);
int copro_bus_dma_write(struct copro_platform *p, const char *who,
			uint64_t phys, const void *src, size_t len);
uint64_t copro_bus_dma_faults(const struct copro_platform *p);

/*
 * Reset lines and power domains are provided by devicetree nodes with
 * #reset-cells / #power-domain-cells (e.g. "apple,pmgr-pwrstate").
 * Models watch them; the callback runs in the thread that changed the
 * state, with no platform lock held.
 */
struct copro_bus_watch {
	void (*changed)(void *ctx, int provider_node, uint32_t arg, bool on);
	void *ctx;
};
int copro_bus_watch_reset(struct copro_platform *p, int provider_node,
			  const struct copro_bus_watch *w);
int copro_bus_watch_power(struct copro_platform *p, int provider_node,
			  const struct copro_bus_watch *w);
void copro_bus_unwatch(struct copro_platform *p, int provider_node,
		       const struct copro_bus_watch *w);
/* Current state (a reset line starts deasserted, a domain off). */
bool copro_bus_reset_asserted(struct copro_platform *p, int provider_node,
			      uint32_t arg);
bool copro_bus_power_is_on(struct copro_platform *p, int provider_node,
			   uint32_t arg);

/*
 * Firmware models answer SMC/HVC calls: calls through `conduit` whose
 * function id has SMCCC owning entity `owner` (bits 29:24, 0..63) go to
 * fn, in the calling thread. -EEXIST if taken. A call nobody handles
 * returns SMCCC NOT_SUPPORTED (-1) in x0. `out` starts as a copy of `in`.
 */
typedef void (*copro_bus_fwcall_fn)(void *ctx, enum copro_conduit conduit,
				    const struct copro_smccc_regs *in,
				    struct copro_smccc_regs *out);
int copro_bus_add_fwcall(struct copro_platform *p, enum copro_conduit conduit,
			 unsigned owner, copro_bus_fwcall_fn fn, void *ctx);
/* Waits until no call to fn is in flight. */
void copro_bus_remove_fwcall(struct copro_platform *p,
			     enum copro_conduit conduit, unsigned owner);

#ifdef __cplusplus
}
#endif
#endif
