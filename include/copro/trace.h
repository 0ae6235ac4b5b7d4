/* SPDX-License-Identifier: MIT */
/*
 * Recording what drivers do to a machine, and reading it back.
 *
 * The tracing backend wraps any other backend (<copro/driver/backend.h>): every
 * MMIO access, interrupt edge and handler run, DMA allocation, bus fault,
 * reset and power change and firmware call passes through to the inner
 * backend and is written, timestamped and tagged with its thread, to a
 * file. Whoever creates the platform puts the tracer between the platform
 * and the machine:
 *
 *     copro_trace_create(&(struct copro_trace_config){
 *             .ops = inner_ops, .backend = inner, .dt = dt,
 *             .path = "boot.trace" }, &tr);
 *     copro_platform_create(&(struct copro_platform_config){
 *             .dt = dt, .ops = copro_trace_backend(), .backend = tr }, &p);
 *
 * Drivers see no difference. Each thread appends to a buffer of its own;
 * full buffers go to the file as checksummed chunks, so recording costs a
 * timestamp and a copy per event, and threads never wait for each other
 * except while a buffer is written out.
 *
 * The reader takes the file as untrusted input: every length, reference
 * and value is checked, and a file that is truncated, corrupt or of
 * another version is refused with a message naming the file, the offset
 * and what was wrong. docs/trace.md describes the format.
 */
#ifndef COPRO_TRACE_H
#define COPRO_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/dt.h>
#include <copro/export.h>
#include <copro/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/* <copro/driver/backend.h>, for whoever creates a platform. */
struct copro_backend_ops;

/* The version this library writes; the reader accepts exactly this one. */
#define COPRO_TRACE_VERSION 1

/* ---- recording -------------------------------------------------------- */

struct copro_trace;

struct copro_trace_config {
	/* The machine being traced; borrowed, it must outlive the tracer. */
	const struct copro_backend_ops *ops;
	void *backend;
	/* Created or truncated. */
	const char *path;
	/*
	 * The board (optional): its devices, register windows and
	 * interrupt lines are written to the file so the reader can name
	 * them. Borrowed for the tracer's life.
	 */
	const struct copro_dt *dt;
	struct copro_log *log;
	/* Bytes each thread buffers before writing (0: 64 KiB). */
	size_t buffer_size;
};

COPRO_API int copro_trace_create(const struct copro_trace_config *cfg,
		       struct copro_trace **out);
/*
 * The backend to create the platform over, with the tracer as `backend`.
 * Its observer hook forwards to an observer of the caller's own.
 */
COPRO_API const struct copro_backend_ops *copro_trace_backend(void);
/*
 * Writes every thread's buffered events to the file now. 0, or the
 * first write error since the tracer was created (also logged).
 */
COPRO_API int copro_trace_flush(struct copro_trace *t);
/* Events recorded so far (written, or buffered to be). */
COPRO_API uint64_t copro_trace_events(struct copro_trace *t);
/*
 * Flushes, writes the end record and closes the file; returns what the
 * last flush returns. Every platform over the tracer must be destroyed,
 * and every thread of the inner backend that reports to its observer
 * stopped, first.
 */
COPRO_API int copro_trace_destroy(struct copro_trace *t);

/* ---- reading ----------------------------------------------------------- */

enum copro_trace_kind {
	COPRO_TRACE_MAP = 1,	 /* a register window mapped */
	COPRO_TRACE_UNMAP,
	COPRO_TRACE_MMIO,
	COPRO_TRACE_IRQ_REQUEST, /* a handler requested a line */
	COPRO_TRACE_IRQ_FREE,
	COPRO_TRACE_IRQ_ENABLE,
	COPRO_TRACE_IRQ_DISABLE,
	COPRO_TRACE_IRQ_LEVEL,	 /* a line changed level (device side) */
	COPRO_TRACE_IRQ_HANDLER, /* a handler ran (ns is its start) */
	COPRO_TRACE_DMA_ALLOC,
	COPRO_TRACE_DMA_ALLOC_AT,
	COPRO_TRACE_DMA_FREE,
	COPRO_TRACE_DMA_REGISTER,
	COPRO_TRACE_DMA_UNREGISTER,
	COPRO_TRACE_DMA_FAULT,	 /* a device's DMA missed every buffer */
	COPRO_TRACE_RESET,
	COPRO_TRACE_POWER,
	COPRO_TRACE_FWCALL,
	COPRO_TRACE_KIND_MAX = COPRO_TRACE_FWCALL,
};

/* x0..x7 of a firmware call are recorded (SMCCC's arguments and results). */
#define COPRO_TRACE_FW_REGS 8

/* No device: an address or line the board's devicetree does not name. */
#define COPRO_TRACE_NO_DEVICE UINT32_MAX

struct copro_trace_event {
	enum copro_trace_kind kind;
	uint64_t ns;	 /* since the recording started */
	uint32_t thread; /* index into copro_trace_info.threads */
	union {
		/* MAP, UNMAP, MMIO: index into copro_trace_info.regions. */
		struct {
			uint32_t region;
			uint64_t off; /* from the window's start */
			uint64_t val;
			uint8_t width; /* 4 or 8 */
			bool write;
			/*
			 * Reads only: how many more times the thread read
			 * the same value from the same register right after
			 * (a spinning driver's polls, kept as a count).
			 */
			uint32_t repeat;
		} mmio;
		/* IRQ_*: index into copro_trace_info.irqs. */
		struct {
			uint32_t irq;
			uint64_t dur_ns; /* IRQ_HANDLER: how long it ran */
		} irq;
		struct {
			uint32_t line;
			bool level;
		} level;
		/* DMA_*: result is 0 or the negative error returned. */
		struct {
			uint64_t phys, size;
			int32_t result;
		} dma;
		struct {
			uint64_t phys, len;
			const char *who; /* the device's name for itself */
		} fault;
		/* RESET (on: asserted) and POWER (on: powered). */
		struct {
			uint32_t device; /* the provider's device, or NO_DEVICE */
			uint32_t arg;
			bool on;
			int32_t result;
		} pr;
		struct {
			uint8_t conduit; /* enum copro_conduit */
			int32_t result;
			uint64_t dur_ns;
			uint64_t in[COPRO_TRACE_FW_REGS];
			uint64_t out[COPRO_TRACE_FW_REGS];
		} fw;
	} u;
};

struct copro_trace_thread {
	uint32_t tid;	 /* the kernel's thread id */
	char name[16];	 /* its name when it first recorded */
};

/* A devicetree node with registers, interrupts, resets or power domains. */
struct copro_trace_device {
	const char *path;
	const char *compatible; /* the first compatible string, or "" */
	/* The whole lists, each string NUL-terminated, *_len bytes. */
	const char *compat_list;
	size_t compat_len;
	const char *reg_names;
	size_t reg_names_len;
};

struct copro_trace_line {
	uint32_t line;
	uint32_t device;  /* index into devices, or NO_DEVICE */
	const char *name; /* its interrupt-names entry, or "" */
};

/* A register window: where the MAP event put it. */
struct copro_trace_region {
	uint64_t phys, size;
	uint32_t device;   /* index into devices, or NO_DEVICE */
	uint32_t reg;	   /* which of the device's reg entries */
	uint64_t reg_off;  /* phys minus that entry's start */
	const char *name;  /* what the backend calls the window */
};

/* A requested interrupt line (IRQ_REQUEST). */
struct copro_trace_irq {
	uint32_t line;
	const char *name;
};

struct copro_trace_info {
	unsigned version;
	const char *board;   /* the devicetree's name, or "" */
	const char *backend; /* the inner backend's name */
	uint32_t pid;
	uint64_t start_realtime_ns; /* wall clock when recording started */
	const struct copro_trace_thread *threads;
	size_t nthreads;
	const struct copro_trace_device *devices;
	size_t ndevices;
	const struct copro_trace_line *lines;
	size_t nlines;
	const struct copro_trace_region *regions;
	size_t nregions;
	const struct copro_trace_irq *irqs;
	size_t nirqs;
	/* Every event, in time order (a thread's own events in its order). */
	const struct copro_trace_event *events;
	size_t nevents;
};

struct copro_trace_file;

/*
 * Parses and validates a whole trace held in memory (copied). `name`
 * names it in error messages. -EINVAL (with the reason logged) for
 * anything but a complete, well-formed trace of COPRO_TRACE_VERSION;
 * -ENOMEM.
 */
COPRO_API int copro_trace_parse(const void *data, size_t len, const char *name,
		      struct copro_log *log, struct copro_trace_file **out);
/* The same from a file (-errno when it cannot be read). */
COPRO_API int copro_trace_load(const char *path, struct copro_log *log,
		     struct copro_trace_file **out);
COPRO_API void copro_trace_file_free(struct copro_trace_file *f);
COPRO_API const struct copro_trace_info *copro_trace_file_info(
	const struct copro_trace_file *f);

/*
 * The name of the register at byte `off` of a region, from the regs
 * headers of its device's kind (ASC mailbox, ASC CPU control, ANS2 NVMe,
 * SART v0/v2/v3). NULL when unknown.
 */
COPRO_API const char *copro_trace_reg_name(const struct copro_trace_info *info,
				 const struct copro_trace_region *r,
				 uint64_t off);
/* The line's entry from the board, or NULL. */
COPRO_API const struct copro_trace_line *copro_trace_line_find(
	const struct copro_trace_info *info, uint32_t line);
/* "mmio", "irq-level", ... */
COPRO_API const char *copro_trace_kind_name(enum copro_trace_kind kind);

#ifdef __cplusplus
}
#endif
#endif
