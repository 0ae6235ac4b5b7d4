/* SPDX-License-Identifier: MIT */
/*
 * The RTKit host library: the glue around the sans-I/O engine
 * (rtkit_engine.h, engine*.c) for the copro platform. Its files:
 *
 *   rtkit.c      create/destroy, the mailbox, sending, the state getters
 *   dispatch.c   one received message through the engine, then what it
 *                asked for: buffers, syslog copies, crash decoding,
 *                messages, client callbacks
 *   lifecycle.c  boot, takeover, shutdown, quiesce, wake, idle, poweroff,
 *                reinit: the engine's requests and the waits around them
 *   shmem.c      shared buffers in the four modes, and reading them
 *   crash.c      copying and decoding the crashlog
 *   app.c        application endpoints: start, send (blocking, atomic),
 *                flush, poll
 *   decode.c     names and one-line decoding for traces
 *
 * Locking: rtk->lock covers the engine and the buffers. Client callbacks
 * (recv_message, crashed, syslog, restarted, trace) never run under it;
 * shmem_setup/shmem_destroy do (documented in the public header). The
 * atomics mirror what the engine says for readers that cannot take the
 * lock (interrupt context, fast paths); rtk_sync() refreshes them after
 * every engine call. Messages are handled one at a time (the mailbox
 * has one consumer).
 */
#ifndef COPRO_RTKIT_INTERNAL_H
#define COPRO_RTKIT_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/crashlog.h>
#include <copro/driver/platform.h>
#include <copro/dt.h>
#include <copro/log.h>
#include <copro/mbox.h>
#include <copro/os.h>
#include <copro/rtkit.h>
#include <copro/rtkit_engine.h>
#include <copro/sart.h>

#define RTK_SYS_EPS COPRO_RTKIT_APP_EP_START
#define RTK_DEFAULT_TIMEOUT_NS COPRO_NSEC_PER_SEC
/* Polled waits sleep this long when a poll found nothing. */
#define RTK_POLL_IDLE_NS (20 * COPRO_NSEC_PER_USEC)
/*
 * A lifecycle waiter polls without sleeping this long after the last
 * message (on a threaded platform too, holding it: see wait_for).
 */
#define RTK_POLL_SPIN_NS (50 * COPRO_NSEC_PER_USEC)
/* Blocking sends look for a crash or a restart at least this often. */
#define RTK_SEND_SLICE_NS COPRO_NSEC_PER_MSEC
/* An atomic send busy-waits this long for room, as Linux does. */
#define RTK_ATOMIC_SEND_NS (500 * COPRO_NSEC_PER_MSEC)

struct rtk_buf {
	bool used;
	struct copro_rtkit_shmem pub;
	struct copro_dma_buf dma; /* DMA, SART and IOVA modes */
	struct copro_sart_handle sart;
	bool custom; /* set up by ops->shmem_setup */
};

/* The way to the coprocessor; the mailbox, or a fuzz target's stand-in. */
struct rtk_io {
	int (*send)(void *ctx, uint8_t ep, uint64_t msg, int64_t timeout_ns);
	/* Polled mode: move messages; how many were handled, or < 0. */
	int (*poll)(void *ctx);
	int (*flush)(void *ctx, int64_t timeout_ns);
	/*
	 * Optional, interrupt context: may a message be handled right here,
	 * its answers (up to n) sent without waiting? False while messages
	 * received before it wait for the deferred path, or the send queue
	 * has less room.
	 */
	bool (*irq_ready)(void *ctx, unsigned n);
	/*
	 * Optional: drop everything received so far (reinit, lock held),
	 * and, from inside a receive callback under the lock, say whether
	 * the message being handled was received before the last drop.
	 * Dropped messages are counted in stale().
	 */
	int (*rx_discard)(void *ctx);
	bool (*rx_stale)(void *ctx);
	uint64_t (*stale)(void *ctx);
	/*
	 * Optional, threaded platforms: between on and off the caller keeps
	 * calling poll, which then handles what arrives without waking the
	 * interrupt thread or the worker (copro_mbox_poll_hold).
	 */
	void (*poll_hold)(void *ctx, bool on);
};

struct copro_rtkit {
	struct copro_logdev ld;
	struct copro_platform *p;
	struct copro_rtkit_config cfg; /* defaults filled in */
	const struct copro_rtkit_ops *ops; /* never NULL */
	const struct rtk_io *io;
	void *io_ctx;
	struct copro_mbox_chan *chan; /* NULL without a mailbox */
	bool polled;

	struct copro_mutex lock;
	/*
	 * Signalled when what a lifecycle wait checks changes (see
	 * rtk_wait_state), not on every message: a boot's waiter sleeps
	 * through the handshake until it is over.
	 */
	struct copro_event ev;
	uint64_t wait_state; /* under lock: the last one signalled */

	/* Under lock. */
	struct copro_rtkit_engine eng;
	struct rtk_buf bufs[RTK_SYS_EPS];
	struct copro_crashlog *crashlog;
	char why[192]; /* a refused buffer's reason, for the engine's log */

	/* Mirrors of the engine, read without the lock. */
	_Atomic bool crashed;
	_Atomic bool running;
	_Atomic uint64_t generation;
	_Atomic uint64_t started[COPRO_RTKIT_MAX_EPS / 64];
	/*
	 * rtk_irq_handle between its engine call and its last trace and
	 * answer: a lifecycle wait that finds its condition met waits for
	 * it (setting irq_waiter so it is signalled), so that a call that
	 * returns has seen the message that ended it traced.
	 */
	_Atomic unsigned irq_busy;
	_Atomic bool irq_waiter;
	_Atomic int64_t timeout_ns; /* every wait; cfg's, or set later */

	struct {
		_Atomic uint64_t sent, received, refused, syslog_lines;
		_Atomic uint64_t irq_handled; /* of received: rtk_irq_handle */
		_Atomic uint64_t stale; /* of received: a reinit's, dropped */
	} st;
	char name[64];
};

/* rtkit.c */
int rtk_create(struct copro_platform *p, const struct copro_rtkit_config *cfg,
	       const char *name, const struct rtk_io *io, void *io_ctx,
	       struct copro_rtkit **out);
void rtk_destroy(struct copro_rtkit *rtk);
/* One message to the coprocessor: -ECONNRESET once crashed. */
int rtk_send(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg,
	     int64_t timeout_ns);
int64_t rtk_timeout(struct copro_rtkit *rtk);
bool rtk_ep_started(struct copro_rtkit *rtk, uint8_t ep);
void rtk_stat_inc(_Atomic uint64_t *c);
/* Refresh the atomics from the engine and wake waiters; lock held. */
void rtk_sync(struct copro_rtkit *rtk);
/* rtk_sync without the wake: true when waiters need one (signal rtk->ev). */
bool rtk_sync_quiet(struct copro_rtkit *rtk);

/* dispatch.c */
void rtk_handle(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg);
/*
 * Interrupt context: handle a system endpoint's message here when that
 * needs no client callback and nothing queued before it waits; true when
 * it did, false to leave it to rtk_handle in deferred context.
 */
bool rtk_irq_handle(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg);
/*
 * Send what a host request made the engine produce (lock not held);
 * failures go back to the engine. The first error, or 0.
 */
int rtk_send_out(struct copro_rtkit *rtk, const struct copro_rtkit_out *out);
/* The events of a host request (buffers to free), lock held. */
void rtk_request_events(struct copro_rtkit *rtk,
			const struct copro_rtkit_out *out);

/* lifecycle.c: forget the coprocessor's state; lock held. */
void rtk_reinit_locked(struct copro_rtkit *rtk);
/*
 * Everything the lifecycle waits' checks read from the engine, packed:
 * while it is unchanged no waiter has anything to wake up for.
 */
uint64_t rtk_wait_state(const struct copro_rtkit_engine *e);

/* shmem.c (lock held) */
/*
 * Provide the buffer of a BUFFER event in the configured mode. 0 and
 * where it lives and whether to answer; or < 0 and why.
 */
int rtk_shmem_setup(struct copro_rtkit *rtk, uint8_t ep, uint64_t iova,
		    uint64_t size, uint64_t *iova_out, bool *answer,
		    const char **why);
void rtk_shmem_free_all(struct copro_rtkit *rtk);
struct rtk_buf *rtk_shmem_get(struct copro_rtkit *rtk, uint8_t ep);
/* Copies [off, off + len) out of a buffer; 32-bit reads for MMIO. */
int rtk_shmem_read(struct copro_rtkit *rtk, const struct rtk_buf *b,
		   uint64_t off, void *dst, size_t len);

/* crash.c (lock held): the decoded log of a CRASHED event, or NULL. */
struct copro_crashlog *rtk_crash_decode(struct copro_rtkit *rtk);

/* app.c */
bool rtk_app_rx_early(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg);

#endif
