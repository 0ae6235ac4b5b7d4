/* SPDX-License-Identifier: MIT */
/*
 * The tracer's state, shared by writer.c (buffers and the file),
 * board.c (the devicetree's devices) and backend.c (the wrapping ops).
 */
#ifndef COPRO_TRACE_INTERNAL_H
#define COPRO_TRACE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/driver/backend.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/trace.h>

#include "trace/trace_format.h"

/*
 * One thread's events since its last chunk. Only its thread appends;
 * a flush from elsewhere takes the lock, which the owner otherwise holds
 * alone (an uncontended lock: no system call).
 */
struct trace_buf {
	struct copro_mutex lock;
	struct copro_trace *t;
	struct trace_buf *prev, *next; /* on t->bufs, under t->list_lock */
	uint32_t tid;
	char name[TRF_THREAD_NAME];
	uint32_t nevents;
	size_t used;
	/* Where the last event starts if it is an MMIO read, else NO_READ. */
	size_t last_read;
	unsigned char data[];
};

#define NO_READ SIZE_MAX

/* A devicetree node the file describes, and its registers. */
struct trace_dev {
	int node;
	unsigned nregs;
	struct {
		uint64_t phys, size;
	} *regs;
};

struct copro_trace {
	const struct copro_backend_ops *ops;
	void *be;
	struct copro_logdev ld; /* prefix: the file's path */
	uint64_t t0;
	size_t buf_size;

	/* Buffers of every thread that recorded; lock order list, buf, file. */
	pthread_key_t key;
	struct copro_mutex list_lock;
	struct trace_buf *bufs;

	struct copro_mutex file_lock;
	int fd;
	int err; /* the first write error, under file_lock */

	uint64_t nevents, nchunks; /* written, under file_lock */

	_Atomic uint32_t next_region, next_irq;

	struct trace_dev *devs;
	unsigned ndevs;

	/* An observer of the platform's creator, told after we record. */
	struct copro_backend_observer outer;
	_Atomic bool outer_set;
};

/* Nanoseconds since the recording started. */
static inline uint64_t trace_now(const struct copro_trace *t)
{
	return copro_time_ns() - t->t0;
}

/*
 * Start an event of `len` bytes (header included) in a caller buffer:
 * fills the header and returns where the payload goes.
 */
static inline unsigned char *trace_ev(unsigned char *ev, unsigned kind,
				      unsigned flags, size_t len, uint64_t ns)
{
	ev[0] = (unsigned char)kind;
	ev[1] = (unsigned char)flags;
	trf_put16(ev + 2, (uint16_t)len);
	trf_put64(ev + 4, ns);
	return ev + TRF_EV_HDR;
}

/* Append one event to the calling thread's buffer. */
void trace_put(struct copro_trace *t, const unsigned char *ev, size_t len);
/*
 * An MMIO read (a whole TRF_EV_MMIO event): when the thread's last event
 * is a read of the same register that returned the same value, that
 * event's repeat count goes up instead, so a driver spinning on a
 * status register costs no space (only the first read's time is kept).
 */
void trace_put_read(struct copro_trace *t, const unsigned char *ev);
/* Copy a string of at most TRF_NAME_MAX bytes and its NUL; its length + 1. */
size_t trace_put_str(unsigned char *p, const char *s);

/* A top-level record straight to the file (creation, end). */
int trace_write_record(struct copro_trace *t, uint32_t type,
		       const unsigned char *payload, size_t len);

/* board.c: DEVICE and LINE records for the devicetree; lookups. */
int trace_board_write(struct copro_trace *t, const struct copro_dt *dt);
void trace_board_free(struct copro_trace *t);
/* The device and reg entry holding [phys, phys + size), if any. */
uint32_t trace_board_find(const struct copro_trace *t, uint64_t phys,
			  uint64_t size, uint32_t *reg, uint64_t *reg_off);
uint32_t trace_board_node(const struct copro_trace *t, int node);

/* backend.c: install (on) or remove the tracer's observer on the inner backend. */
void trace_observe_inner(struct copro_trace *t, bool on);

#endif
