/* SPDX-License-Identifier: MIT */
/*
 * What a driver may ask of the machine it runs on, and nothing else:
 * MMIO regions, interrupt lines, DMA memory, reset lines and power
 * domains, firmware calls (SMC/HVC), and the provider registry drivers
 * find each other through. This is the seam between the host side and
 * the machine: a front end over the backend ops table
 * (<copro/driver/backend.h>) chosen by whoever created the platform.
 *
 * On an emulated board an MMIO access calls the model's handler
 * synchronously in the caller's thread, like a trapped access. Interrupt
 * handlers run in "interrupt context" (they must not block) on the
 * backend's interrupt thread, or from copro_platform_poll() on an
 * unthreaded platform.
 */
#ifndef COPRO_DRIVER_PLATFORM_H
#define COPRO_DRIVER_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/dt.h>
#include <copro/log.h>
#include <copro/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- MMIO ---------------------------------------------------------- */

struct copro_mmio;

/* Map [phys, phys + size): must lie inside one device's region. */
COPRO_API int copro_mmio_map(struct copro_platform *p, uint64_t phys,
			     uint64_t size, struct copro_mmio **out);
/* Map a node's reg entry, by "reg-names" name or (name NULL) index. */
COPRO_API int copro_mmio_map_dt(struct copro_platform *p, int node,
				const char *name, unsigned index,
				struct copro_mmio **out);
COPRO_API void copro_mmio_unmap(struct copro_mmio *m);
COPRO_API uint64_t copro_mmio_phys(const struct copro_mmio *m);
COPRO_API uint64_t copro_mmio_size(const struct copro_mmio *m);

/*
 * Accessors. An offset outside the mapping, or a misaligned one, is a bus
 * error: it is logged, reads return all ones and writes are dropped.
 */
COPRO_API uint32_t copro_readl(const struct copro_mmio *m, uint64_t off);
COPRO_API void copro_writel(const struct copro_mmio *m, uint64_t off,
			    uint32_t val);
COPRO_API uint64_t copro_readq(const struct copro_mmio *m, uint64_t off);
COPRO_API void copro_writeq(const struct copro_mmio *m, uint64_t off,
			    uint64_t val);

/* ---- interrupts ---------------------------------------------------- */

struct copro_irq;
typedef void (*copro_irq_handler_t)(void *ctx);

/*
 * Request a level-triggered line. The handler runs whenever the line is
 * asserted and enabled, again and again while it stays asserted: it must
 * clear the cause or disable the line. Lines start enabled.
 */
COPRO_API int copro_irq_request(struct copro_platform *p, unsigned line,
				copro_irq_handler_t handler, void *ctx,
				const char *name, struct copro_irq **out);
/* By "interrupt-names" name or (name NULL) index of the node. */
COPRO_API int copro_irq_request_dt(struct copro_platform *p, int node,
				   const char *name, unsigned index,
				   copro_irq_handler_t handler, void *ctx,
				   struct copro_irq **out);
/*
 * Disables the line and waits until its handler is not running (no wait
 * when called from that handler itself).
 */
COPRO_API void copro_irq_free(struct copro_irq *irq);
/*
 * Safe from any context. disable, like Linux's disable_irq, also waits
 * for a running handler of the line to return, except when called from
 * that handler: after it returns, the handler is not running and will
 * not run until enable.
 */
COPRO_API void copro_irq_enable(struct copro_irq *irq);
COPRO_API void copro_irq_disable(struct copro_irq *irq);
COPRO_API unsigned copro_irq_line(const struct copro_irq *irq);

/* ---- DMA memory ------------------------------------------------------ */

/*
 * Emulated physical memory. A buffer is host memory with a physical
 * address that device models translate back; models reaching outside
 * every registered buffer take a bus fault instead of a wild pointer.
 */
struct copro_dma_buf {
	void *cpu;
	uint64_t phys;
	size_t size;
};

/* Zeroed, page-aligned (4 KiB) coherent memory with a physical address. */
COPRO_API int copro_dma_alloc(struct copro_platform *p, size_t size,
			      struct copro_dma_buf *out);
/*
 * The same, at exactly `phys` (a coprocessor-chosen IOVA on a machine
 * whose IOMMU maps it 1:1): phys 4 KiB aligned, [phys, phys + size)
 * inside the DRAM window (-EINVAL otherwise), -EBUSY when it overlaps a
 * buffer that exists. Freed with copro_dma_free.
 */
COPRO_API int copro_dma_alloc_at(struct copro_platform *p, uint64_t phys,
				 size_t size, struct copro_dma_buf *out);
COPRO_API void copro_dma_free(struct copro_platform *p,
			      struct copro_dma_buf *buf);
/*
 * Zero-copy: give caller memory a physical address. The address keeps
 * the pointer's offset within its 4 KiB page.
 */
COPRO_API int copro_dma_register(struct copro_platform *p, void *ptr,
				 size_t size, uint64_t *phys);
COPRO_API int copro_dma_unregister(struct copro_platform *p, uint64_t phys);

/* ---- reset lines and power domains ---------------------------------- */

struct copro_reset;
struct copro_power;

/* Entry `index` of the node's "resets" / "power-domains". */
COPRO_API int copro_reset_get_dt(struct copro_platform *p, int node,
				 unsigned index, struct copro_reset **out);
COPRO_API void copro_reset_put(struct copro_reset *r);
COPRO_API int copro_reset_assert(struct copro_reset *r);
COPRO_API int copro_reset_deassert(struct copro_reset *r);

COPRO_API int copro_power_get_dt(struct copro_platform *p, int node,
				 unsigned index, struct copro_power **out);
COPRO_API void copro_power_put(struct copro_power *pd);
/* Reference counted: the domain is on while any user has it on. */
COPRO_API int copro_power_on(struct copro_power *pd);
COPRO_API int copro_power_off(struct copro_power *pd);

/* ---- firmware calls (the SMCCC conduit) ------------------------------ */

enum copro_conduit {
	COPRO_CONDUIT_SMC = 1, /* to EL3 firmware */
	COPRO_CONDUIT_HVC = 2, /* to the hypervisor at EL2 */
};

/* x0..x17: SMCCC v1.2 passes arguments and results in up to 18 registers. */
#define COPRO_SMCCC_NREGS 18
struct copro_smccc_regs {
	uint64_t x[COPRO_SMCCC_NREGS];
};

/*
 * Execute SMC or HVC: in->x[0] is the function id, x1.. the arguments;
 * *out receives x0..x17 as the firmware left them (out may equal in).
 * 0 when the call was made (the firmware's result is in out->x[0]);
 * -EOPNOTSUPP when the machine has no such conduit (on hardware the
 * instruction would be undefined). On an emulated board the call enters
 * the firmware model synchronously in the caller's thread, as the
 * instruction would. May block as long as the firmware takes.
 */
COPRO_API int copro_fw_call(struct copro_platform *p,
			    enum copro_conduit conduit,
			    const struct copro_smccc_regs *in,
			    struct copro_smccc_regs *out);

/* ---- providers ---------------------------------------------------- */

/*
 * Frameworks register the providers drivers bind to (mailbox controllers,
 * SARTs) so consumers find them: by the devicetree node that describes
 * them (what a consumer's phandle names), or by name in the kind's own
 * name space (providers bound at run time, which have no node). `kind`
 * is a static string ("mbox", "sart"); a provider may have a node, a
 * name, or both, and is one entry either way.
 *
 * Consumers hold providers by reference: _get takes one, _put drops it.
 * A provider cannot be unregistered while references are held: the
 * unregister fails with -EBUSY, logged, and the provider stays registered
 * and usable, so its driver can refuse to go away instead of leaving
 * consumers with dangling pointers. _find only peeks (no reference): for
 * "is it there yet" checks, never to keep the pointer.
 */
struct copro_provider_desc {
	const char *kind;
	int node;	  /* the describing node, or -1 */
	const char *name; /* unique within the kind, copied; or NULL */
	void *provider;
};

/* -EEXIST (logged) when the node or the name is taken for this kind. */
COPRO_API int
copro_platform_provider_register(struct copro_platform *p,
				 const struct copro_provider_desc *d);
/* -EBUSY while referenced (logged); -ENOENT when not registered. */
COPRO_API int copro_platform_provider_unregister(struct copro_platform *p,
						 const char *kind,
						 void *provider);

/* The same by node: register with no name, unregister by node. */
COPRO_API int copro_platform_provider_add(struct copro_platform *p,
					  const char *kind, int node,
					  void *provider);
COPRO_API int copro_platform_provider_remove(struct copro_platform *p,
					     const char *kind, int node);

/* NULL when no provider of that kind is registered for the node. */
COPRO_API void *copro_platform_provider_find(struct copro_platform *p,
					     const char *kind, int node);
COPRO_API void *copro_platform_provider_find_named(struct copro_platform *p,
						   const char *kind,
						   const char *name);
/* The same, taking a reference the caller puts. NULL: none registered. */
COPRO_API void *copro_platform_provider_get(struct copro_platform *p,
					    const char *kind, int node);
COPRO_API void *copro_platform_provider_get_named(struct copro_platform *p,
						  const char *kind,
						  const char *name);
COPRO_API void copro_platform_provider_put(struct copro_platform *p,
					   const char *kind, void *provider);
/* References held on a registered provider (0 when not registered). */
COPRO_API unsigned copro_platform_provider_refs(struct copro_platform *p,
						const char *kind,
						void *provider);

#ifdef __cplusplus
}
#endif
#endif
