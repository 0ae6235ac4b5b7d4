/* SPDX-License-Identifier: MIT */
/*
 * Apple RTKit, host side (hardware.md 2): the protocol every Apple
 * coprocessor speaks over its ASC mailbox. One struct copro_rtkit drives
 * one coprocessor: boot handshake, power states, the system endpoints
 * (crashlog, syslog, debug, ioreport, oslog) with their shared buffers,
 * crash detection, and the application endpoints of the client driver.
 * The protocol itself is the sans-I/O engine of rtkit_engine.h; this is
 * its glue to the copro platform (mailbox, DMA memory, SART, threads).
 *
 * The coprocessor is untrusted: every message and every byte it writes
 * into a shared buffer is validated; bad input is logged and refused.
 * Every wait has a timeout; nothing here hangs on a silent coprocessor.
 *
 * Threads. On a threaded platform a system endpoint's message is handled
 * in interrupt context when that needs no client callback (the handshake,
 * power ACKs, buffers in the built-in modes: the answer goes out from the
 * interrupt thread) and nothing received before it is still queued;
 * otherwise, like application messages, it goes to the mailbox worker,
 * which reaches ops->recv_message (deferred context, may block briefly,
 * may send). While a lifecycle call (boot, shutdown, wake, ...) waits,
 * its thread polls the mailbox itself for a short while after each
 * message (copro_mbox_poll_hold): it is then the interrupt context and
 * the deferred context both, so callbacks may also run in the thread
 * that made the lifecycle call, as they do on an unthreaded platform.
 * ops->recv_message_early, when set, sees application messages
 * first, in interrupt context, and returns true to consume them. On an
 * unthreaded platform (<copro/platform.h>) there are no host threads at
 * all: the lifecycle calls poll while they wait, and the client calls
 * copro_rtkit_poll() to receive.
 */
#ifndef COPRO_RTKIT_H
#define COPRO_RTKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/crashlog.h>
#include <copro/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_rtkit;
struct copro_sart;
struct copro_mmio;

/* ---- protocol constants (hardware.md 2.1) -------------------------------- */

#define COPRO_RTKIT_EP_MGMT 0x00
#define COPRO_RTKIT_EP_CRASHLOG 0x01
#define COPRO_RTKIT_EP_SYSLOG 0x02
#define COPRO_RTKIT_EP_DEBUG 0x03
#define COPRO_RTKIT_EP_IOREPORT 0x04
#define COPRO_RTKIT_EP_OSLOG 0x08
#define COPRO_RTKIT_EP_TRACEKIT 0x0a
#define COPRO_RTKIT_APP_EP_START 0x20
#define COPRO_RTKIT_MAX_EPS 0x100

#define COPRO_RTKIT_MIN_VERSION 11
#define COPRO_RTKIT_MAX_VERSION 12

enum copro_rtkit_pwr_state {
	COPRO_RTKIT_PWR_OFF = 0x000,
	COPRO_RTKIT_PWR_SLEEP = 0x001,
	COPRO_RTKIT_PWR_QUIESCED = 0x010,
	COPRO_RTKIT_PWR_ON = 0x020,
	COPRO_RTKIT_PWR_IDLE = 0x201,
	COPRO_RTKIT_PWR_INIT = 0x220,
};
COPRO_API const char *copro_rtkit_pwr_state_name(unsigned state);

/* "mgmt", "crashlog", ..., "app 0x20"; never NULL (buf-less: static). */
COPRO_API const char *copro_rtkit_ep_name(uint8_t ep);

/*
 * One line describing a message for traces: endpoint name, message type
 * name, decoded fields ("mgmt HELLO min=11 max=12"). Truncates to len.
 * `to_iop`: the direction, which decides how some types are read.
 */
COPRO_API void copro_rtkit_decode(char *buf, size_t len, bool to_iop,
				  uint8_t ep, uint64_t msg);

/* ---- shared buffers (hardware.md 2.3) ------------------------------------ */

/*
 * A system endpoint's shared buffer. Exactly one of `buffer` (ordinary
 * memory, any access) and `iomem` (a window of coprocessor MMIO: 32-bit
 * aligned accesses only, at iomem_off) is set once set up.
 */
struct copro_rtkit_shmem {
	uint8_t ep;	     /* whose buffer */
	uint64_t iova;	     /* as the coprocessor addresses it */
	size_t size;	     /* bytes */
	void *buffer;
	struct copro_mmio *iomem;
	uint64_t iomem_off;
	void *priv;	     /* the setup's own bookkeeping */
};

/*
 * How the built-in shmem_setup provides buffers (used when the client
 * gives no ops->shmem_setup):
 *  DMA      coherent DMA memory; a coprocessor-chosen IOVA is refused.
 *  SART     DMA memory also allowed in cfg.sart for its lifetime (the
 *           NVMe coprocessor, whose buffer DMA is filtered).
 *  MMIO     the coprocessor places buffers inside its own MMIO region
 *           [iova_base, iova_base + iova_size); the host maps it and uses
 *           32-bit accesses (the SMC coprocessor).
 *  IOVA     the coprocessor chooses the address; the host backs it with
 *           DMA memory at exactly that IOVA, which must lie inside
 *           [iova_base, iova_base + iova_size) (the display coprocessor).
 *           An IOVA of 0 still gets ordinary DMA memory.
 *
 * Every request is validated first: size 0 or above shmem_max, a second
 * request for the same endpoint, an IOVA that is not 4 KiB aligned, an
 * IOVA in DMA or SART mode, IOVA 0 in MMIO mode, and a buffer outside
 * the window are refused: logged, counted in stats.refused, and not
 * answered. Accepted requests are answered with the buffer's IOVA and
 * size, except in MMIO mode, where the coprocessor manages the buffer.
 */
enum copro_rtkit_shmem_mode {
	COPRO_RTKIT_SHMEM_DMA,
	COPRO_RTKIT_SHMEM_SART,
	COPRO_RTKIT_SHMEM_MMIO,
	COPRO_RTKIT_SHMEM_IOVA,
};
COPRO_API const char
*copro_rtkit_shmem_mode_name(enum copro_rtkit_shmem_mode mode);

/* ---- the client ----------------------------------------------------- */

struct copro_rtkit_ops {
	/*
	 * The coprocessor crashed. `cl` is the decoded crashlog (NULL when
	 * there was no crashlog buffer or its header was unreadable); it is
	 * valid during the call only (copro_rtkit_crashlog keeps a copy).
	 * Deferred context. Sends are refused from now on.
	 */
	void (*crashed)(void *ctx, const struct copro_crashlog *cl);
	/*
	 * An application endpoint's message, deferred context. Only from
	 * endpoints the client started; others are refused.
	 */
	void (*recv_message)(void *ctx, uint8_t ep, uint64_t msg);
	/*
	 * Optional: interrupt context; true = consumed. Must not block.
	 * Started application endpoints only, and only while not crashed.
	 */
	bool (*recv_message_early)(void *ctx, uint8_t ep, uint64_t msg);
	/*
	 * Optional pair replacing the built-in buffer modes. setup fills
	 * buffer or iomem (and may change iova when it was 0); a negative
	 * return refuses the request (logged). The size, duplicate and
	 * alignment checks still apply; the mode's IOVA rules do not.
	 * Called with the library's lock held: they must not call back
	 * into copro_rtkit_*. A request is answered unless it had an IOVA
	 * and setup gave iomem (a buffer the coprocessor manages).
	 */
	int (*shmem_setup)(void *ctx, struct copro_rtkit_shmem *buf);
	void (*shmem_destroy)(void *ctx, struct copro_rtkit_shmem *buf);
	/* Optional: every syslog line, after it was logged. */
	void (*syslog)(void *ctx, const char *context, const char *text);
	/*
	 * Optional: the coprocessor restarted on its own (a HELLO while
	 * running). Deferred context. Its application endpoints are
	 * forgotten and whatever was outstanding on them will never be
	 * answered (blocked sends return -ECONNRESET); the new handshake
	 * is under way, and copro_rtkit_is_running() says when it is done.
	 */
	void (*restarted)(void *ctx);
	/*
	 * Optional: every message, both directions, once it was handed to
	 * the mailbox or as it is received (before any validation). For
	 * traces. Messages taken by recv_message_early are traced in
	 * interrupt context, after the callback took them, and so are the
	 * system messages the library handles there (an interrupt thread
	 * answers the handshake's steps itself) and their answers.
	 */
	void (*trace)(void *ctx, bool to_iop, uint8_t ep, uint64_t msg,
		      uint64_t time_ns);
};

struct copro_rtkit_config {
	const struct copro_rtkit_ops *ops; /* may be NULL */
	void *ctx;
	const char *name;	/* log prefix; NULL: the node's name */
	const char *mbox_name;	/* "mbox-names" entry; NULL: index 0 */
	enum copro_rtkit_shmem_mode shmem_mode;
	struct copro_sart *sart; /* SART mode */
	uint64_t iova_base, iova_size; /* MMIO and IOVA modes */
	size_t shmem_max;	/* largest buffer accepted; 0: 4 MiB */
	int64_t timeout_ns;	/* every wait; 0: 1 s */
	/*
	 * IOP state sent by wake and takeover: INIT (0, the default, as
	 * Linux since 6.15 and OpenBSD send) or ON.
	 */
	unsigned wake_iop_state;
	/*
	 * boot() sends SET_IOP_PWR_STATE(wake state) before waiting for
	 * HELLO, as m1n1, u-boot and OpenBSD do, so a coprocessor an earlier
	 * owner left asleep wakes; one that is booting anyway ignores it.
	 */
	bool wake_on_boot;
};

/*
 * Bind the mailbox of `node` ("mboxes", optionally by cfg->mbox_name).
 * Nothing is sent until copro_rtkit_boot. -ENODEV when the mailbox
 * controller is not probed.
 */
COPRO_API int copro_rtkit_create(struct copro_platform *p, int node,
				 const struct copro_rtkit_config *cfg,
				 struct copro_rtkit **out);
/*
 * Change the timeout of every wait from now on (0: 1 s; negative:
 * -EINVAL), e.g. a long one for boot and a short one afterwards.
 */
COPRO_API int copro_rtkit_set_timeout(struct copro_rtkit *rtk,
				      int64_t timeout_ns);
/* Frees buffers and the channel; does not talk to the coprocessor. */
COPRO_API void copro_rtkit_destroy(struct copro_rtkit *rtk);

/* ---- lifecycle (hardware.md 2.2) ----------------------------------------- */

/*
 * Boot handshake, from HELLO to AP ON; the CPU must have been started.
 * Errors: -EPROTONOSUPPORT (version range), -ETIMEDOUT (a step's wait),
 * -EPROTO (a message out of sequence), -ECONNRESET (crashed), -EBUSY
 * (already running). On error the coprocessor is left not running.
 * The handshake is driven by the coprocessor's messages: a HELLO that
 * arrives before this call starts it all the same (as in Linux), and
 * boot() then returns its outcome.
 */
COPRO_API int copro_rtkit_boot(struct copro_rtkit *rtk);
/*
 * AP QUIESCED, IOP SLEEP, then reinit. Like every power-state change:
 * -ETIMEDOUT when an ACK does not come, -EPROTO when it names another
 * state, -ECONNRESET once crashed; the coprocessor is not running from
 * the first request on, whatever the outcome.
 */
COPRO_API int copro_rtkit_shutdown(struct copro_rtkit *rtk);
/*
 * Take over a coprocessor whose CPU an earlier owner (a bootloader, a
 * previous instance) left running: SET_IOP_PWR_STATE(wake state) first.
 * Asleep, it says HELLO and the boot handshake follows; running another
 * owner's session (IOP ON without a HELLO), it is put to sleep (AP
 * QUIESCED, IOP SLEEP) and woken into a session of our own, with
 * buffers of our own. Errors as for boot.
 */
COPRO_API int copro_rtkit_takeover(struct copro_rtkit *rtk);
/* AP and IOP QUIESCED, reinit, both recorded as QUIESCED. */
COPRO_API int copro_rtkit_quiesce(struct copro_rtkit *rtk);
/*
 * Wake after shutdown, quiesce or idle: SET_IOP_PWR_STATE(wake state),
 * then, after shutdown or quiesce, the whole handshake from HELLO (the
 * system endpoints are started again and ask for buffers again); after
 * idle, which kept the session, IOP ON and AP ON. -EPERM after poweroff.
 */
COPRO_API int copro_rtkit_wake(struct copro_rtkit *rtk);
/*
 * AP IDLE, then IOP IDLE, each acknowledged; both recorded as IDLE. The
 * session (map, buffers) is kept; the coprocessor is not running until
 * copro_rtkit_wake.
 */
COPRO_API int copro_rtkit_idle(struct copro_rtkit *rtk);
/* AP and IOP OFF, then reinit; the coprocessor will not wake again. */
COPRO_API int copro_rtkit_poweroff(struct copro_rtkit *rtk);
/*
 * Forget everything the coprocessor set up: buffers freed, endpoint map
 * cleared, crashed flag cleared, both states OFF. Only while it is held
 * in reset or asleep (the caller knows). Every message the mailbox
 * took before the call (queued, being handed over, still in the FIFO) is
 * dropped, however late it would have been handled, and counted in
 * stats.stale: none reaches the next session.
 */
COPRO_API int copro_rtkit_reinit(struct copro_rtkit *rtk);

COPRO_API bool copro_rtkit_is_running(const struct copro_rtkit *rtk);
COPRO_API bool copro_rtkit_is_crashed(const struct copro_rtkit *rtk);

/* ---- application endpoints ----------------------------------------- */

/* -EINVAL for a system or unmapped endpoint, -ENOTCONN when not running. */
COPRO_API int copro_rtkit_start_ep(struct copro_rtkit *rtk, uint8_t ep);
/*
 * Send to an application endpoint. timeout_ns 0: -EAGAIN at once when the
 * mailbox is full; otherwise block until the mailbox accepted it
 * (-ETIMEDOUT). -EINVAL for a system, unmapped or not started endpoint,
 * -ENOTCONN when not running, -ECONNRESET once crashed or restarted (also
 * ending a blocked send within a millisecond or so).
 */
COPRO_API int copro_rtkit_send_message(struct copro_rtkit *rtk, uint8_t ep,
			     uint64_t msg, int64_t timeout_ns);
/*
 * For callers that cannot sleep (interrupt context): never blocks on a
 * lock or an event; busy-waits up to 500 ms for room in the mailbox
 * (-ETIMEDOUT), as Linux's atomic sends do. Other errors as above.
 */
COPRO_API int copro_rtkit_send_message_atomic(struct copro_rtkit *rtk, uint8_t ep,
				    uint64_t msg);
/* Wait until every message sent has left the mailbox; -ECONNRESET once crashed. */
COPRO_API int copro_rtkit_flush(struct copro_rtkit *rtk, int64_t timeout_ns);
/*
 * Polled mode: dispatch interrupts and handle received messages in the
 * caller's thread. Returns messages handled (>= 0) or a negative error.
 */
COPRO_API int copro_rtkit_poll(struct copro_rtkit *rtk);

/* ---- state, for tools and tests ------------------------------------- */

/* Negotiated version, 0 before HELLO. */
COPRO_API unsigned copro_rtkit_version(const struct copro_rtkit *rtk);
/* From the endpoint map (endpoint 0 always). */
COPRO_API bool copro_rtkit_has_ep(const struct copro_rtkit *rtk, uint8_t ep);
COPRO_API unsigned copro_rtkit_iop_state(const struct copro_rtkit *rtk);
COPRO_API unsigned copro_rtkit_ap_state(const struct copro_rtkit *rtk);
COPRO_API const char *copro_rtkit_name(const struct copro_rtkit *rtk);
/* The last crash's decoded log, NULL if none since reinit. */
COPRO_API const struct copro_crashlog
*copro_rtkit_crashlog(const struct copro_rtkit *rtk);
/* The shared buffer of a system endpoint, NULL if not set up. */
COPRO_API const struct copro_rtkit_shmem
*copro_rtkit_shmem(const struct copro_rtkit *rtk, uint8_t ep);

struct copro_rtkit_stats {
	uint64_t sent, received;
	uint64_t refused;	 /* invalid messages and buffer requests */
	uint64_t syslog_lines;
	uint64_t ioreport_echoed;
	uint64_t crashes;
	uint64_t restarts;	 /* HELLOs while running or handshaking */
	/*
	 * Of received: system messages handled in interrupt context (with
	 * an interrupt thread, those that need no client callback).
	 */
	uint64_t irq_handled;
	/* Messages received before a reinit, dropped (see copro_rtkit_reinit). */
	uint64_t stale;
};
COPRO_API void copro_rtkit_get_stats(const struct copro_rtkit *rtk,
				     struct copro_rtkit_stats *out);

#ifdef __cplusplus
}
#endif
#endif
