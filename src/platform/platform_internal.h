/* SPDX-License-Identifier: MIT */
/*
 * The emulated platform's state, shared by platform.c, mmio.c, irq.c,
 * dma.c and power.c. Each part has its own lock; none is held while
 * calling out to a model or a driver.
 */
#ifndef COPRO_PLATFORM_INTERNAL_H
#define COPRO_PLATFORM_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/bus.h>
#include <copro/error.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/platform.h>

/* Interrupt lines 0..COPRO_IRQ_LINES-1 (an AIC has fewer). */
#define COPRO_IRQ_LINES 4096
#define COPRO_PAGE_SIZE 4096u

/* ---- MMIO ---- */

struct mmio_region {
	uint64_t phys, size;
	const struct copro_mmio_ops *ops;
	void *ctx;
	unsigned mappings;	  /* live copro_mmio handles, under the lock */
	struct copro_mmio *maps;  /* ... and the handles themselves */
	struct mmio_region *next; /* on the removed list */
	char name[48];
};

/* What an accessor needs, in one place: no lookup, no lock. */
struct copro_mmio {
	const struct copro_mmio_ops *ops;
	void *ctx;
	uint64_t offset; /* of the mapping within the region */
	uint64_t size;
	uint64_t phys;
	struct mmio_region *region;
	struct copro_platform *p;
	struct copro_mmio *prev, *next; /* the region's handles */
};

struct platform_mmio {
	struct copro_mutex lock;
	struct mmio_region **v; /* sorted by phys, never overlapping */
	size_t n, cap;
	/* Removed while still mapped: kept so a late unmap stays safe. */
	struct mmio_region *removed;
};

/* ---- interrupts ---- */

/*
 * Allocated on the first request of a line and kept until the platform
 * goes away, so a dispatcher that raced with copro_irq_free() never
 * touches freed memory; a re-request reuses it.
 */
struct copro_irq {
	struct copro_platform *p;
	unsigned line;
	copro_irq_handler_t handler;
	void *ctx;
	_Atomic bool requested;
	_Atomic bool enabled;
	_Atomic bool running; /* a dispatcher has claimed the handler */
	char name[48];
};

struct platform_irq {
	_Atomic bool level[COPRO_IRQ_LINES];
	struct copro_irq *_Atomic by_line[COPRO_IRQ_LINES];
	/* Lines ever requested, append-only: what a dispatch pass scans. */
	struct copro_irq *_Atomic active[COPRO_IRQ_LINES];
	_Atomic unsigned nactive;
	struct copro_mutex lock; /* request and free */
	struct copro_event ev;	 /* wakes the interrupt thread */
	_Atomic bool stop;
	struct copro_thread thread;
	uint64_t spin_ns;
};

/* ---- DMA ---- */

struct dma_range {
	uint64_t phys;
	uint64_t size;
	unsigned char *cpu;
	bool owned; /* copro_dma_alloc'd (else registered caller memory) */
};

struct platform_dma {
	struct copro_rwlock lock;
	struct dma_range *v; /* sorted by phys */
	size_t n, cap;
	uint64_t base, end; /* the DRAM window, page aligned */
	_Atomic uint64_t faults;
};

/* ---- reset lines and power domains ---- */

enum pr_kind { PR_RESET, PR_POWER };

struct pr_line {
	int node;
	uint32_t arg;
	unsigned power_refs;
	bool reset_asserted;
};

/* Every reset/power handle, so destroy can report and free leaks. */
struct pr_handle {
	struct pr_handle *prev, *next;
};

struct pr_watch {
	enum pr_kind kind;
	int node;
	struct copro_bus_watch w;
	bool dead; /* unwatched during a notification; dropped afterwards */
};

struct platform_pr {
	struct copro_mutex lock; /* the state below */
	struct pr_line *lines;
	size_t nlines, caplines;
	struct pr_handle handles; /* list head of live handles */
	/*
	 * Serialises state changes with their notifications (so watchers
	 * see them in order) and with watch/unwatch (so an unwatched
	 * callback never runs afterwards). Watchers run under it, never
	 * under `lock`.
	 */
	struct copro_mutex notify_lock;
	struct pr_watch *watches;
	size_t nwatches, capwatches;
	unsigned notify_depth;
};

/* ---- firmware calls ---- */

#define COPRO_FW_OWNERS 64

struct fw_handler {
	copro_bus_fwcall_fn fn;
	void *ctx;
};

struct platform_fw {
	/* Readers are calls in flight; remove takes it for writing. */
	struct copro_rwlock lock;
	struct fw_handler h[2][COPRO_FW_OWNERS]; /* [conduit - 1][owner] */
};

/* ---- providers ---- */

struct provider {
	const char *kind;
	int node;
	void *ptr;
};

struct copro_platform {
	const struct copro_dt *dt;
	struct copro_logdev ld; /* prefix: the board's name */
	bool threaded;

	struct platform_mmio mmio;
	struct platform_irq irq;
	struct platform_dma dma;
	struct platform_pr pr;
	struct platform_fw fw;

	struct copro_mutex prov_lock;
	struct provider *prov;
	size_t nprov, capprov;
};

/* Each part's setup and teardown (teardown reports what leaked). */
int copro_plat_mmio_init(struct copro_platform *p);
void copro_plat_mmio_fini(struct copro_platform *p);
int copro_plat_irq_init(struct copro_platform *p, uint64_t spin_ns);
int copro_plat_irq_start(struct copro_platform *p);
void copro_plat_irq_stop(struct copro_platform *p);
void copro_plat_irq_fini(struct copro_platform *p);
int copro_plat_dma_init(struct copro_platform *p);
void copro_plat_dma_fini(struct copro_platform *p);
int copro_plat_pr_init(struct copro_platform *p);
void copro_plat_pr_fini(struct copro_platform *p);
/*
 * One dispatch pass over the requested lines; returns handler calls.
 * *busy: a pending line was skipped because another thread runs it.
 */
unsigned copro_plat_irq_dispatch(struct copro_platform *p, bool *busy);

/* Grows *v (of *cap elements of `elem` bytes) to hold n + 1. */
int copro_plat_grow(void **v, size_t *cap, size_t n, size_t elem);

#endif
