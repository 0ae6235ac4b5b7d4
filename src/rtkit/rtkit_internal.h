/* SPDX-License-Identifier: MIT */
/*
 * The RTKit host library's private state, shared by its files:
 *
 *   rtkit.c      create/destroy, the mailbox glue, getters, sending
 *   dispatch.c   one received message: routing, then the actions it produced
 *   mgmt.c       endpoint 0: the boot handshake and power-state acks
 *   lifecycle.c  boot, shutdown, quiesce, wake, idle, poweroff, reinit
 *   shmem.c      shared buffers: the four modes and request validation
 *   crash.c      the crashlog endpoint
 *   syslog.c     the syslog endpoint
 *   endpoints.c  ioreport, oslog, debug and tracekit
 *   app.c        application endpoints
 *   decode.c     names and one-line decoding for traces
 *
 * The message handling is sans-I/O: rtk_handle() takes one message from
 * the coprocessor and, under the lock, updates the state and collects
 * what must happen (messages to send, one client callback) in a struct
 * rtk_out; the caller then carries that out with no lock held. The
 * mailbox is just one way in and out (struct rtk_io), which is how the
 * fuzz target drives the same code with arbitrary message sequences.
 *
 * Locking: rtk->lock covers everything but the atomics below. Client
 * callbacks (recv_message, crashed, syslog, trace) never run under it;
 * shmem_setup/shmem_destroy do (documented in the public header).
 * Messages are handled one at a time (the mailbox has one consumer).
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
#include <copro/sart.h>

#define RTK_SYS_EPS COPRO_RTKIT_APP_EP_START
#define RTK_DEFAULT_TIMEOUT_NS COPRO_NSEC_PER_SEC
#define RTK_DEFAULT_SHMEM_MAX (4u << 20)
/* Polled waits sleep this long when a poll found nothing. */
#define RTK_POLL_IDLE_NS (20 * COPRO_NSEC_PER_USEC)
/* Blocking sends look for a crash at least this often. */
#define RTK_SEND_SLICE_NS COPRO_NSEC_PER_MSEC
/* Syslog text after escaping: every byte may become "\xNN". */
#define RTK_SYSLOG_TEXT_MAX (4 * 255 + 1)

/* Where the boot handshake (SPEC 2.2) stands. */
enum rtk_phase {
	RTK_IDLE,	  /* not running, nothing expected */
	RTK_WAIT_HELLO,	  /* boot() waits for HELLO */
	RTK_WAIT_EPMAP,	  /* HELLO answered, map chunks coming */
	RTK_WAIT_IOP_ON,  /* endpoints started (or wake sent), IOP ON next */
	RTK_WAIT_AP_ON,	  /* AP ON sent, its ACK next */
	RTK_RUNNING,
	RTK_FAILED,	  /* handshake failed; boot_err says why */
};

/* A power-state request waiting for its ACK. */
struct rtk_pwr_wait {
	bool pending;
	unsigned want;
	int result; /* once !pending */
};

struct rtk_buf {
	bool used;
	struct copro_rtkit_shmem pub;
	struct copro_dma_buf dma; /* DMA, SART and IOVA modes */
	struct copro_sart_handle sart;
	bool custom; /* set up by ops->shmem_setup */
};

/* What handling one message asks for, done after the lock is dropped. */
#define RTK_OUT_MAX 16
enum rtk_event {
	RTK_EV_NONE,
	RTK_EV_RECV,	/* ops->recv_message(ep, msg) */
	RTK_EV_CRASHED, /* ops->crashed(crashlog) */
	RTK_EV_SYSLOG,	/* ops->syslog(context, text) */
};
struct rtk_out {
	unsigned n;
	struct {
		uint8_t ep;
		uint64_t msg;
	} m[RTK_OUT_MAX];
	/* A failed send of these fails the boot handshake. */
	bool boot_step;
	enum rtk_event ev;
	uint8_t ep;
	uint64_t msg;
	const struct copro_crashlog *cl;
	char context[4 * RTK_SYSLOG_CONTEXT_SIZE + 1]; /* escaped */
	char text[RTK_SYSLOG_TEXT_MAX];
};

/* The way to the coprocessor; the mailbox, or a fuzz target's stand-in. */
struct rtk_io {
	int (*send)(void *ctx, uint8_t ep, uint64_t msg, int64_t timeout_ns);
	/* Polled mode: move messages; how many were handled, or < 0. */
	int (*poll)(void *ctx);
	int (*flush)(void *ctx, int64_t timeout_ns);
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
	/* Signalled on every change a waiter may be waiting for. */
	struct copro_event ev;

	/* Under lock. */
	enum rtk_phase phase;
	int boot_err;
	bool iop_on_seen; /* this handshake saw IOP ON */
	/* A boot() or wake() returned this run; a second boot() is -EBUSY. */
	bool boot_claimed;
	unsigned version;
	unsigned iop_state, ap_state;
	struct rtk_pwr_wait ap_wait, iop_wait;
	bool powered_off;
	uint64_t eps[COPRO_RTKIT_MAX_EPS / 64];
	struct rtk_buf bufs[RTK_SYS_EPS];
	unsigned syslog_entries, syslog_msg_size;
	struct copro_crashlog *crashlog;

	/* Read without the lock (interrupt context, fast paths). */
	_Atomic bool crashed;
	_Atomic bool running;
	_Atomic bool discard; /* reinit drops what is still queued */
	_Atomic int64_t timeout_ns; /* every wait; cfg's, or set later */
	_Atomic uint64_t started[COPRO_RTKIT_MAX_EPS / 64];

	struct {
		_Atomic uint64_t sent, received, refused;
		_Atomic uint64_t syslog_lines, ioreport_echoed, crashes;
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
bool rtk_has_ep(const struct copro_rtkit *rtk, uint8_t ep);
int64_t rtk_timeout(struct copro_rtkit *rtk);
bool rtk_ep_started(struct copro_rtkit *rtk, uint8_t ep);
void rtk_stat_inc(_Atomic uint64_t *c);
/* Counts a refused message and logs why. */
void rtk_refuse(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* dispatch.c */
void rtk_handle(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg);
void rtk_out_send(struct rtk_out *out, uint8_t ep, uint64_t msg);

/* mgmt.c (lock held) */
void rtk_mgmt_rx(struct copro_rtkit *rtk, uint64_t msg, struct rtk_out *out);
void rtk_boot_fail(struct copro_rtkit *rtk, int err);
void rtk_set_phase(struct copro_rtkit *rtk, enum rtk_phase phase);

/* lifecycle.c: the steps, without their waits (the fuzz target's way in) */
/* rtk_boot_begin: 1 when a handshake already finished on its own. */
int rtk_boot_begin(struct copro_rtkit *rtk);
int rtk_wake_begin(struct copro_rtkit *rtk);
int rtk_pwr_begin(struct copro_rtkit *rtk, bool ap, unsigned state);
/* Forget the coprocessor's state; lock held. */
void rtk_reinit_locked(struct copro_rtkit *rtk);

/* shmem.c (lock held) */
/*
 * A buffer request for `ep`: validates, sets up, and says whether to
 * answer and with which IOVA. Refusals are logged and counted.
 */
int rtk_shmem_request(struct copro_rtkit *rtk, uint8_t ep, uint64_t iova,
		      uint64_t size, uint64_t msg, bool *answer,
		      uint64_t *iova_out);
void rtk_shmem_free(struct copro_rtkit *rtk, uint8_t ep);
void rtk_shmem_free_all(struct copro_rtkit *rtk);
struct rtk_buf *rtk_shmem_get(struct copro_rtkit *rtk, uint8_t ep);
/* Copies [off, off + len) out of a buffer; 32-bit reads for MMIO. */
int rtk_shmem_read(struct copro_rtkit *rtk, const struct rtk_buf *b,
		   uint64_t off, void *dst, size_t len);
/* The type-1 request of crashlog, syslog and ioreport (SPEC 2.3). */
void rtk_shmem_request_msg(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg,
			   struct rtk_out *out);

/* crash.c, syslog.c, endpoints.c (lock held) */
void rtk_crashlog_rx(struct copro_rtkit *rtk, uint64_t msg,
		     struct rtk_out *out);
void rtk_syslog_rx(struct copro_rtkit *rtk, uint64_t msg, struct rtk_out *out);
void rtk_ioreport_rx(struct copro_rtkit *rtk, uint64_t msg,
		     struct rtk_out *out);
void rtk_oslog_rx(struct copro_rtkit *rtk, uint64_t msg, struct rtk_out *out);
void rtk_other_sys_rx(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg);

/* app.c */
void rtk_app_rx(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg,
		struct rtk_out *out);
bool rtk_app_rx_early(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg);

#endif
