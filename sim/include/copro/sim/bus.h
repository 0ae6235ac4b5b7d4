/* SPDX-License-Identifier: MIT */
/*
 * The emulated machine: the bus device models appear on, and the platform
 * backend drivers reach them through. Models add register regions, drive
 * level interrupt lines, reach emulated physical memory by address (with
 * bus faults, never wild pointers), watch reset lines and power domains,
 * and answer SMC/HVC firmware calls. Drivers never include this header.
 */
#ifndef COPRO_SIM_BUS_H
#define COPRO_SIM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/driver/backend.h>
#include <copro/driver/platform.h>
#include <copro/dt.h>
#include <copro/log.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_bus;

struct copro_bus_config {
	/* The board; borrowed, it must outlive the bus. */
	const struct copro_dt *dt;
	struct copro_log *log;
	/*
	 * false: no interrupt thread; handlers run only from the platform's
	 * poll (and frameworks over it run without threads of their own).
	 */
	bool threaded;
	/* How long the interrupt thread spins before sleeping (0: default). */
	uint64_t irq_spin_ns;
};

COPRO_API int copro_bus_create(const struct copro_bus_config *cfg,
			       struct copro_bus **out);
/* Every region, line, buffer, watcher and firmware handler must be gone. */
COPRO_API void copro_bus_destroy(struct copro_bus *bus);

COPRO_API const struct copro_dt *copro_bus_dt(const struct copro_bus *bus);
COPRO_API struct copro_log *copro_bus_log(const struct copro_bus *bus);

/* The platform backend over this bus: pass with the bus as `backend`. */
COPRO_API const struct copro_backend_ops *copro_bus_backend(void);
/*
 * Shorthand: a platform straight over the bus, for the bus's devicetree
 * and log. Destroy it with copro_platform_destroy() before the bus.
 */
COPRO_API int copro_bus_platform_create(struct copro_bus *bus,
					struct copro_platform **out);

/* ---- MMIO ---------------------------------------------------------- */

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
COPRO_API int copro_bus_add_mmio(struct copro_bus *bus, uint64_t phys,
				 uint64_t size,
				 const struct copro_mmio_ops *ops, void *ctx,
				 const char *name);
/*
 * A region that is plain memory (an SRAM): `words` holds its size / 4
 * 32-bit words, which the model and the other side access only with C11
 * atomic acquire loads and release stores (a 64-bit access: the low word,
 * then the high one), exactly as ops->read and ops->write do. A platform
 * mapping it may then load and store the words itself, as a CPU maps
 * memory, instead of calling the handlers; raw accesses and a wrapping
 * backend that must see every access (the tracer) still call them.
 * phys and size must be multiples of 4 (-EINVAL otherwise).
 */
COPRO_API int copro_bus_add_memory(struct copro_bus *bus, uint64_t phys,
				   uint64_t size,
				   const struct copro_mmio_ops *ops, void *ctx,
				   void *words, const char *name);
/* Waits for no access to be in flight (the caller stops drivers first). */
COPRO_API void copro_bus_remove_mmio(struct copro_bus *bus, uint64_t phys);

/*
 * A raw access by physical address, as a CPU with no driver framework
 * makes one: width 4 or 8, naturally aligned, inside one region. 0, or
 * -EINVAL (width, alignment) / -ENXIO (no device there), logged. Each
 * access looks its region up: for bring-up code and other people's
 * drivers, not hot paths (map a window through a platform for those).
 */
COPRO_API int copro_bus_read(struct copro_bus *bus, uint64_t phys,
			     unsigned width, uint64_t *val);
COPRO_API int copro_bus_write(struct copro_bus *bus, uint64_t phys,
			      unsigned width, uint64_t val);

/* ---- interrupt lines --------------------------------------------------- */

/* Interrupt lines 0..COPRO_BUS_IRQ_LINES-1. */
#define COPRO_BUS_IRQ_LINES 4096

/* Drive a level-triggered line (any thread, never blocks). */
COPRO_API void copro_bus_irq_set(struct copro_bus *bus, unsigned line,
				 bool level);
COPRO_API bool copro_bus_irq_get(struct copro_bus *bus, unsigned line);

/*
 * A line whose level a model computes from state it keeps anyway (a
 * FIFO's indices) instead of storing it, so that driving it writes
 * nothing another core reads: every read of the line (the dispatcher,
 * copro_bus_irq_get, enabling) calls fn(ctx, line), which must not block
 * and may run in any thread. The model still reports the changes it
 * makes with copro_bus_irq_set(): a rising edge always (it wakes the
 * interrupt thread), and every change while copro_bus_irq_watched() says
 * something records them. A dispatcher calls fn only while it holds the
 * line's claim, so removing the source (fn NULL: the line reads as its
 * stored level again) waits out a dispatcher looking at it; a model
 * removes its sources before it goes. 0, or -EINVAL (no such line),
 * -EBUSY (another source has the line).
 */
typedef bool (*copro_bus_irq_level_fn)(void *ctx, unsigned line);
COPRO_API int copro_bus_irq_set_source(struct copro_bus *bus, unsigned line,
				       copro_bus_irq_level_fn fn, void *ctx);
/*
 * Whether anything (a recording observer, a raw hook or waiter) needs to
 * hear of every level change, falling edges included.
 */
COPRO_API bool copro_bus_irq_watched(struct copro_bus *bus);
/*
 * Whether a rising edge reported now (copro_bus_irq_set(bus, line, true))
 * could wake anyone: false on a bus without an interrupt thread (only
 * polls run handlers, and they look at every line) and while a thread
 * busy-polls the platform (copro_platform_poll_hold: it runs what rises
 * itself). It says nothing of observers and raw hooks: ask
 * copro_bus_irq_watched() first. A model may then skip what it reads
 * only to find its edges (another core's line), if it calls this after
 * a full fence that follows the store that made the change: a poller
 * that stops holding after that fence looks at the lines again.
 */
COPRO_API bool copro_bus_irq_edges_wake(struct copro_bus *bus);

/*
 * The interrupt thread's waits (threaded buses): all of them, and those
 * that slept at once, without the spin, because a thread busy-polling
 * the platform (copro_platform_poll_hold) was counted then and no edge
 * would wake the interrupt thread anyway.
 */
struct copro_bus_irq_stats {
	uint64_t thread_waits, thread_waits_unspun;
};
COPRO_API void copro_bus_irq_get_stats(struct copro_bus *bus,
				       struct copro_bus_irq_stats *out);

/* ---- DMA ------------------------------------------------------------- */

/*
 * DMA as a device sees it. _map returns a pointer valid while the buffer
 * stays registered, only when [phys, phys + len) lies inside one
 * registered buffer; otherwise it is a bus fault: logged (naming `who`
 * and the address), counted, and -COPRO_EBUSFAULT returned.
 */
COPRO_API int copro_bus_dma_map(struct copro_bus *bus, const char *who,
				uint64_t phys, size_t len, void **ptr);

/*
 * A device's memory of the buffer its last access through it fell in: a
 * model that reaches the same buffer on every command (a queue, a TCB
 * array, the host's data pool) keeps one per purpose and thread, zeroed
 * to start, and passes it to _map_hint or _read_hint. It stands while no
 * buffer has been added or removed since (the bus counts every change);
 * otherwise the lookup is made afresh and the hint refilled. The result
 * is the same as without it, bus faults included.
 */
struct copro_bus_dma_hint {
	uint64_t gen; /* the bus's change count when filled; 0: empty */
	uint64_t phys, size;
	unsigned char *cpu;
};

COPRO_API int copro_bus_dma_map_hint(struct copro_bus *bus, const char *who,
				     uint64_t phys, size_t len, void **ptr,
				     struct copro_bus_dma_hint *hint);
COPRO_API int copro_bus_dma_read_hint(struct copro_bus *bus, const char *who,
				      uint64_t phys, void *dst, size_t len,
				      struct copro_bus_dma_hint *hint);
COPRO_API int copro_bus_dma_read(struct copro_bus *bus, const char *who,
				 uint64_t phys, void *dst, size_t len);
COPRO_API int copro_bus_dma_write(struct copro_bus *bus, const char *who,
				  uint64_t phys, const void *src, size_t len);
COPRO_API uint64_t copro_bus_dma_faults(const struct copro_bus *bus);

/* ---- reset lines and power domains -------------------------------------- */

/*
 * Reset lines and power domains are provided by devicetree nodes with
 * #reset-cells / #power-domain-cells (e.g. "apple,pmgr-pwrstate").
 * Models watch them; the callback runs in the thread that changed the
 * state, with no bus lock held.
 */
struct copro_bus_watch {
	void (*changed)(void *ctx, int provider_node, uint32_t arg, bool on);
	void *ctx;
};
COPRO_API int copro_bus_watch_reset(struct copro_bus *bus, int provider_node,
				    const struct copro_bus_watch *w);
COPRO_API int copro_bus_watch_power(struct copro_bus *bus, int provider_node,
				    const struct copro_bus_watch *w);
COPRO_API void copro_bus_unwatch(struct copro_bus *bus, int provider_node,
				 const struct copro_bus_watch *w);
/* Current state (a reset line starts deasserted, a domain off). */
COPRO_API bool copro_bus_reset_asserted(struct copro_bus *bus,
					int provider_node, uint32_t arg);
COPRO_API bool copro_bus_power_is_on(struct copro_bus *bus, int provider_node,
				     uint32_t arg);

/* ---- firmware calls ------------------------------------------------------ */

/* The SMCCC owning entity of a function id (bits 29:24). */
#define COPRO_SMCCC_OWNER(fid) ((unsigned)(((fid) >> 24) & 0x3f))
/* SMCCC NOT_SUPPORTED: what x0 holds after a call nobody handles. */
#define COPRO_SMCCC_NOT_SUPPORTED ((uint64_t)(int64_t)-1)

typedef void (*copro_bus_fwcall_fn)(void *ctx, enum copro_conduit conduit,
				    const struct copro_smccc_regs *in,
				    struct copro_smccc_regs *out);
/*
 * Route calls through `conduit` whose function id has owning entity
 * `owner` (0..63) to fn, in the calling thread. -EEXIST if taken. A call
 * nobody handles returns NOT_SUPPORTED in x0, as real firmware does, and
 * leaves x1.. as they were. `out` starts as a copy of `in`.
 */
COPRO_API int copro_bus_add_fwcall(struct copro_bus *bus,
				   enum copro_conduit conduit, unsigned owner,
				   copro_bus_fwcall_fn fn, void *ctx);
/* Waits for calls in flight through that entry to return. */
COPRO_API void copro_bus_remove_fwcall(struct copro_bus *bus,
				       enum copro_conduit conduit,
				       unsigned owner);
/*
 * Returns once every call in flight through the bus (any conduit, any
 * owner) when it was called has returned: a handler that retires part
 * of its service waits with it, with no count of its own per call. Not
 * from inside a call.
 */
COPRO_API void copro_bus_fwcall_sync(struct copro_bus *bus);
/*
 * Calls made through that entry since the bus was created, whether a
 * handler took them or not (0 for a conduit or owner out of range). The
 * count costs a call nothing beyond what it pays to be waited out, so a
 * firmware model can keep its statistics from it.
 */
COPRO_API uint64_t copro_bus_fwcall_count(struct copro_bus *bus,
					  enum copro_conduit conduit,
					  unsigned owner);

#ifdef __cplusplus
}
#endif
#endif
