/* SPDX-License-Identifier: MIT */
/*
 * The backend behind the platform: for whoever provides a machine to
 * drivers. Drivers never include this header; they call the front end in
 * <copro/driver/platform.h>, and only the platform's creator picks the
 * backend.
 *
 * copro ships the emulated machine of libcopro-sim (<copro/sim/bus.h>:
 * device models behind MMIO, level lines, emulated physical memory,
 * firmware models behind SMC/HVC). A backend may also wrap another (the
 * observer below lets it see the device side).
 *
 * Every op receives the backend's own context `be`. Unless an entry says
 * otherwise it is required. The front end has already validated what it
 * can (sizes, alignment, DT lookups) and logs failures the backend
 * returns; a backend logs what only it can explain.
 */
#ifndef COPRO_DRIVER_BACKEND_H
#define COPRO_DRIVER_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/driver/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A mapped register window as the backend hands it out. The front end
 * bounds-checks and alignment-checks every access against the mapping,
 * then calls read/write with `base + offset`; width is 4 or 8. Handlers
 * run in the accessing thread, possibly several at once.
 */
struct copro_mmio_window {
	uint64_t (*read)(void *ctx, uint64_t off, unsigned width);
	void (*write)(void *ctx, uint64_t off, uint64_t val, unsigned width);
	void *ctx;
	uint64_t base;
	void *cookie; /* the backend's, given back to mmio_unmap */
	char name[48]; /* what error messages call the region */
	/*
	 * Optional: when the window is plain memory, its 32-bit words
	 * (`base + offset` is then a byte offset into them). The front end
	 * accesses them itself with C11 atomic acquire loads and release
	 * stores (a 64-bit access: the low word, then the high one) instead
	 * of calling read/write. A backend that must see every access (a
	 * tracer) leaves it NULL.
	 */
	void *mem;
};

/*
 * What a backend reports about the machine beyond the driver's own calls:
 * for a wrapper (the tracing backend) that wants to see the device side.
 * Every member may be NULL; callbacks run in whatever thread saw the
 * event and must not block.
 */
struct copro_backend_observer {
	/* A level interrupt line changed level. */
	void (*irq_level)(void *ctx, unsigned line, bool level);
	/* A device's DMA at [phys, phys + len) faulted. */
	void (*dma_fault)(void *ctx, const char *who, uint64_t phys,
			  size_t len);
	void *ctx;
};

struct copro_backend_ops {
	const char *name;

	/*
	 * Whether interrupt handlers run on a thread of the backend's
	 * (true) or only from poll (false). Fixed for the backend's life.
	 */
	bool (*threaded)(void *be);
	/* Run pending interrupt handlers; returns handler calls. */
	int (*poll)(void *be);

	/* [phys, phys + size) must lie inside one device's registers. */
	int (*mmio_map)(void *be, uint64_t phys, uint64_t size,
			struct copro_mmio_window *w);
	void (*mmio_unmap)(void *be, void *cookie);

	/*
	 * Level-triggered lines with the semantics documented at
	 * copro_irq_request() and copro_irq_disable(); *cookie identifies
	 * the request in the other calls. Set *cookie before the handler
	 * can first run: on a line already asserted it may run before
	 * irq_request returns, and disable its line through its handle.
	 */
	int (*irq_request)(void *be, unsigned line, copro_irq_handler_t handler,
			   void *ctx, const char *name, void **cookie);
	void (*irq_free)(void *be, void *cookie);
	void (*irq_enable)(void *be, void *cookie);
	void (*irq_disable)(void *be, void *cookie);

	/* As copro_dma_alloc() and friends. */
	int (*dma_alloc)(void *be, size_t size, struct copro_dma_buf *out);
	int (*dma_alloc_at)(void *be, uint64_t phys, size_t size,
			    struct copro_dma_buf *out);
	void (*dma_free)(void *be, const struct copro_dma_buf *buf);
	int (*dma_register)(void *be, void *ptr, size_t size, uint64_t *phys);
	int (*dma_unregister)(void *be, uint64_t phys);

	/*
	 * A reset line or power domain (provider node, argument cell)
	 * changes state. The front end reference-counts power users and
	 * calls power_set only when a domain turns on or off.
	 */
	int (*reset_set)(void *be, int provider, uint32_t arg, bool asserted);
	int (*power_set)(void *be, int provider, uint32_t arg, bool on);

	/*
	 * Optional (NULL: every call gives -EOPNOTSUPP). As copro_fw_call(),
	 * except that in and out never alias (the front end copies in when
	 * the caller passed the same registers), so a backend can leave the
	 * arguments where they are while it fills out.
	 */
	int (*fw_call)(void *be, enum copro_conduit conduit,
		       const struct copro_smccc_regs *in,
		       struct copro_smccc_regs *out);

	/* Optional: install (obs non-NULL) or remove an observer. */
	void (*observe)(void *be, const struct copro_backend_observer *obs);

	/* Optional: as copro_platform_poll_hold(). */
	void (*poll_hold)(void *be, bool on);
};

/* ---- the front end over a backend ------------------------------------ */

struct copro_platform_config {
	/* The board. The platform borrows it; it must outlive the platform. */
	const struct copro_dt *dt;
	struct copro_log *log;
	/* The machine; borrowed, it must outlive the platform. */
	const struct copro_backend_ops *ops;
	void *backend;
};

COPRO_API int copro_platform_create(const struct copro_platform_config *cfg,
				    struct copro_platform **out);
/*
 * Every region, line, buffer, reset/power handle and provider must have
 * been released. The backend is the creator's to destroy, afterwards.
 */
COPRO_API void copro_platform_destroy(struct copro_platform *p);

#ifdef __cplusplus
}
#endif
#endif
