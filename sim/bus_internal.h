/* SPDX-License-Identifier: MIT */
/*
 * The emulated machine's state, shared by bus.c, bus_mmio.c, bus_irq.c,
 * bus_dma.c, bus_power.c and bus_fwcall.c. Each part has its own lock;
 * none is held while calling out to a model or a driver.
 */
#ifndef COPRO_SIM_BUS_INTERNAL_H
#define COPRO_SIM_BUS_INTERNAL_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/error.h>
#include <copro/grow.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/sim/bus.h>
#include <copro/sim/raw.h>

#define COPRO_IRQ_LINES COPRO_BUS_IRQ_LINES
#define COPRO_PAGE_SIZE 4096u

/* ---- MMIO ---- */

struct mmio_region {
	uint64_t phys, size;
	const struct copro_mmio_ops *ops;
	void *ctx;
	void *mem;		  /* plain memory: its words (else NULL) */
	unsigned mappings;	  /* live copro_mmio handles, under the lock */
	struct bus_map *maps;     /* ... and the mappings themselves */
	struct mmio_region *next; /* on the removed list */
	char name[48];
};

/* One driver mapping of a region: the cookie of its window. */
struct bus_map {
	struct mmio_region *region;
	struct bus_map *prev, *next; /* the region's mappings */
};

struct bus_mmio {
	struct copro_mutex lock;
	struct mmio_region **v; /* sorted by phys, never overlapping */
	size_t n, cap;
	/* Removed while still mapped: kept so a late unmap stays safe. */
	struct mmio_region *removed;
};

/* ---- interrupts ---- */

/*
 * Allocated on the first request of a line and kept until the bus
 * goes away, so a dispatcher that raced with copro_irq_free() never
 * touches freed memory; a re-request reuses it.
 */
struct bus_irq {
	struct copro_bus *bus;
	unsigned line;
	copro_irq_handler_t handler;
	void *ctx;
	_Atomic bool requested;
	_Atomic bool enabled;
	char name[48];
	/*
	 * IRQ_FREE, or a dispatcher has claimed the line (enum irq_run).
	 * Written on every dispatch pass: on a line of its own, away from
	 * what a model reads when it reports an edge (requested, enabled).
	 */
	alignas(64) _Atomic unsigned char running;
	char pad_running[63];
};

/* bus_irq.running */
enum irq_run {
	IRQ_FREE,
	IRQ_CLAIMED, /* looking at a computed level (copro_bus_irq_set_source) */
	IRQ_HANDLER, /* running the handler */
};

struct bus_irq_lines {
	_Atomic bool level[COPRO_IRQ_LINES];
	/* Lines whose level a model computes: the function, else NULL. */
	_Atomic copro_bus_irq_level_fn src_fn[COPRO_IRQ_LINES];
	void *_Atomic src_ctx[COPRO_IRQ_LINES];
	struct bus_irq *_Atomic by_line[COPRO_IRQ_LINES];
	/* Lines ever requested, append-only: what a dispatch pass scans. */
	struct bus_irq *_Atomic active[COPRO_IRQ_LINES];
	_Atomic unsigned nactive;
	struct copro_mutex lock; /* request and free */
	struct copro_event ev;	 /* wakes the interrupt thread */
	_Atomic bool stop;
	struct copro_thread thread;
	uint64_t spin_ns;
	/* copro_bus_irq_stats: written by the interrupt thread only. */
	_Atomic uint64_t thread_waits, thread_waits_unspun;
	/* The raw-bus API's hooks and waiters (bus_raw.c). */
	struct copro_rwlock raw_lock;	/* the hooks */
	struct bus_raw_hook *raw_hooks;
	size_t raw_nhooks, raw_cap;
	_Atomic unsigned raw_users;	/* hooks + waiters: 0 skips it all */
	struct copro_event raw_ev;	/* every level change while users */
	/*
	 * Threads busy-polling (copro_platform_poll_hold, threaded buses):
	 * while one is, a rising edge does not wake the interrupt thread
	 * (the poller looks again after it stops counting itself). Written
	 * by pollers, read on rising edges: a line of its own.
	 */
	alignas(64) _Atomic unsigned pollers;
	char pad_pollers[60];
};
struct bus_raw_hook {
	unsigned line;
	copro_raw_irq_fn fn;
	void *ctx;
};

/* ---- DMA ---- */

struct dma_range {
	uint64_t phys;
	uint64_t size;
	unsigned char *cpu;
	bool owned; /* copro_dma_alloc'd (else registered caller memory) */
	bool mapped; /* owned, and mmap'd at a fixed address (munmap it) */
};

/*
 * The range table. Writers hold `lock` exclusively; the models' accesses
 * (copro_bus_dma_map, on every command) read it without any lock, under
 * `seq` (odd while a writer changes the table; a reader that saw it move
 * looks again). So a writer stores every field with an atomic store, and
 * an array outgrown is kept (retired) until the bus goes, as a reader
 * may still be looking at it.
 */
#define BUS_DMA_CACHE_SLOTS 8

struct bus_dma {
	struct copro_rwlock lock;
	struct copro_seqcount seq;
	/*
	 * Every change to the table, counted from 1 (under `lock`, read
	 * without it): a copro_bus_dma_hint filled at a count still current
	 * names a buffer still there. 64 bits, so it never comes round.
	 */
	_Atomic uint64_t gen;
	struct dma_range *v; /* sorted by phys; atomic loads and stores */
	size_t n, cap;	     /* n: atomic loads and stores */
	void **retired;
	size_t nretired;
	/* Freed allocations kept for reuse (bus_dma.c, dma_cache_*). */
	void *cache[BUS_DMA_CACHE_SLOTS];
	uint64_t cache_len[BUS_DMA_CACHE_SLOTS];
	unsigned ncache;
	uint64_t base, end; /* the DRAM window, page aligned */
	_Atomic uint64_t faults;
};

/* ---- reset lines and power domains ---- */

enum pr_kind { PR_RESET, PR_POWER };

struct pr_line {
	int node;
	uint32_t arg;
	bool power_on;
	bool reset_asserted;
};

struct pr_watch {
	enum pr_kind kind;
	int node;
	struct copro_bus_watch w;
	bool dead; /* unwatched during a notification; dropped afterwards */
};

struct bus_pr {
	struct copro_mutex lock; /* the state below */
	struct pr_line *lines;
	size_t nlines, caplines;
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

#define BUS_FW_OWNERS 64

/*
 * One entry's calls: the low BUS_FW_INFLIGHT_BITS of a count word count
 * the calls in flight through it, the rest every call ever made through
 * it, so a call counts itself both ways with one change.
 */
#define BUS_FW_INFLIGHT_BITS 20
#define BUS_FW_INFLIGHT_MASK ((1ull << BUS_FW_INFLIGHT_BITS) - 1)
#define BUS_FW_CALL (1ull << BUS_FW_INFLIGHT_BITS)
/* Calling threads with count words of their own (the rest share). */
#define BUS_FW_THREADS 64

/*
 * Published by storing fn last (ctx first), retired by clearing fn.
 * `shared` counts the calls of threads without a record (locked adds).
 */
struct bus_fwcall {
	_Atomic(copro_bus_fwcall_fn) fn;
	_Atomic(void *) ctx;
	_Atomic uint64_t shared;
};

/*
 * A calling thread's count words, one per entry: only that thread
 * writes them (a load and a store, no locked instruction), anyone reads
 * them. Kept until the bus goes; a thread started after its owner ended
 * may take it over (thread ids are reused), never a live one.
 */
struct bus_fw_thread {
	uintptr_t id;
	_Atomic uint64_t state[2][BUS_FW_OWNERS]; /* [conduit - 1] */
};

/*
 * Calls take no lock and no locked instruction: a call counts itself in
 * its thread's word (a plain store), then reads fn; remove clears fn,
 * then waits for every thread's in-flight count of the entry to reach
 * 0. The store-then-load on the call's side is ordered against the
 * remover's clear-then-load by an asymmetric barrier: a compiler
 * barrier in the call, copro_heavy_barrier() (every thread executes a
 * full barrier) in the remover, so a call either is counted before the
 * remover looks or finds fn already cleared. Without membarrier
 * (`heavy` false) calls pay a full fence instead.
 */
struct bus_fw {
	struct copro_mutex lock; /* serialises add, remove and registration */
	bool heavy;
	struct bus_fwcall by_owner[2][BUS_FW_OWNERS]; /* [conduit - 1] */
	/* Open addressing by thread id; published once, never moved. */
	_Atomic(struct bus_fw_thread *) threads[BUS_FW_THREADS];
};

struct copro_bus {
	const struct copro_dt *dt;
	struct copro_logdev ld; /* prefix: the board's name */
	bool threaded;

	struct bus_mmio mmio;
	struct bus_irq_lines irq;
	struct bus_dma dma;
	struct bus_pr pr;
	struct bus_fw fw;

	/* A wrapping backend's view of device-side events. */
	struct copro_backend_observer obs;
	_Atomic bool observed;
};

/* Each part's setup and teardown (teardown reports what leaked). */
int copro_bus_mmio_init(struct copro_bus *bus);
void copro_bus_mmio_fini(struct copro_bus *bus);
int copro_bus_irq_init(struct copro_bus *bus, uint64_t spin_ns);
/* A line changed level and the raw API has users (bus_raw.c). */
void bus_raw_irq_changed(struct copro_bus *bus, unsigned line, bool level);
int copro_bus_irq_start(struct copro_bus *bus);
void copro_bus_irq_stop(struct copro_bus *bus);
void copro_bus_irq_fini(struct copro_bus *bus);
int copro_bus_dma_init(struct copro_bus *bus);
void copro_bus_dma_fini(struct copro_bus *bus);
int copro_bus_pr_init(struct copro_bus *bus);
void copro_bus_pr_fini(struct copro_bus *bus);
int copro_bus_fw_init(struct copro_bus *bus);
void copro_bus_fw_fini(struct copro_bus *bus);
/*
 * One dispatch pass over the requested lines; returns handler calls.
 * *busy: a pending line was skipped because another thread runs it.
 * *again: a line whose handler ran is still asserted afterwards (level
 * semantics: it wants another pass).
 */
unsigned copro_bus_irq_dispatch(struct copro_bus *bus, bool *busy,
				bool *again);

/* The backend ops, one file each part (bus.c gathers them). */
int bus_be_poll(void *be);
void bus_be_poll_hold(void *be, bool on);
int bus_be_mmio_map(void *be, uint64_t phys, uint64_t size,
		    struct copro_mmio_window *w);
void bus_be_mmio_unmap(void *be, void *cookie);
int bus_be_irq_request(void *be, unsigned line, copro_irq_handler_t handler,
		       void *ctx, const char *name, void **cookie);
void bus_be_irq_free(void *be, void *cookie);
void bus_be_irq_enable(void *be, void *cookie);
void bus_be_irq_disable(void *be, void *cookie);
int bus_be_dma_alloc(void *be, size_t size, struct copro_dma_buf *out);
int bus_be_dma_alloc_at(void *be, uint64_t phys, size_t size,
			struct copro_dma_buf *out);
void bus_be_dma_free(void *be, const struct copro_dma_buf *buf);
int bus_be_dma_register(void *be, void *ptr, size_t size, uint64_t *phys);
int bus_be_dma_unregister(void *be, uint64_t phys);
int bus_be_reset_set(void *be, int provider, uint32_t arg, bool asserted);
int bus_be_power_set(void *be, int provider, uint32_t arg, bool on);
int bus_be_fw_call(void *be, enum copro_conduit conduit,
		   const struct copro_smccc_regs *in,
		   struct copro_smccc_regs *out);

#endif
