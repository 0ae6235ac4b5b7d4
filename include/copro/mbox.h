/* SPDX-License-Identifier: MIT */
/*
 * The mailbox framework, client side.
 *
 * A controller offers channels; a client binds one (by devicetree
 * reference or at run time by channel id) and sends and receives messages
 * of the controller's shape, at most copro_mbox_mtu() bytes. A message of
 * length 0 rings a doorbell. Sends never drop: when the channel's queue is
 * full a blocking send waits (up to its timeout) and a non-blocking one
 * returns -EAGAIN.
 *
 * Received messages reach the client's rx callback either in interrupt
 * context, straight from the controller's interrupt handler (must not
 * block), or deferred: queued in a bounded ring and delivered by the
 * controller's worker thread (threaded platform) or by copro_mbox_poll()
 * (polled platform). A full ring stops the controller draining its
 * hardware; nothing is lost.
 */
#ifndef COPRO_MBOX_H
#define COPRO_MBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/platform.h>
#include <copro/time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_mbox_chan;
struct copro_mbox_controller;

/* How a controller learns that a message has left (TX completion). */
enum copro_mbox_txdone {
	/* The controller's interrupt reports each message done. */
	COPRO_MBOX_TXDONE_IRQ,
	/* The framework polls the controller until the message is done. */
	COPRO_MBOX_TXDONE_POLL,
	/* The client reports completion (its protocol tells it). */
	COPRO_MBOX_TXDONE_ACK,
	/*
	 * The controller's send says whether there is room for more; an
	 * interrupt says when room returns. The framework keeps the
	 * hardware queue full instead of one message in flight.
	 */
	COPRO_MBOX_TXDONE_CREDIT,
	/* The send itself completes the transfer and may return a reply. */
	COPRO_MBOX_TXDONE_SYNC,
};
COPRO_API const char *copro_mbox_txdone_name(enum copro_mbox_txdone mode);

/* Channel directions, as flags. */
enum {
	COPRO_MBOX_DIR_TX = 1u << 0,
	COPRO_MBOX_DIR_RX = 1u << 1,
	COPRO_MBOX_DIR_BIDI = COPRO_MBOX_DIR_TX | COPRO_MBOX_DIR_RX,
};

enum copro_mbox_rx_mode {
	COPRO_MBOX_RX_DEFERRED, /* worker thread or copro_mbox_poll() */
	COPRO_MBOX_RX_IRQ,	/* interrupt context, no ring */
};

#define COPRO_MBOX_DEFAULT_QUEUE 64

struct copro_mbox_client {
	void *ctx;
	/* Required when the channel can receive. */
	void (*rx)(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		   size_t len);
	/*
	 * Optional: called once per sent message when it has left (status
	 * 0), or failed / was cancelled by copro_mbox_free (negative), in
	 * the order the messages were sent. Interrupt or worker context, or
	 * the sending thread; never with a framework lock held.
	 */
	void (*tx_done)(void *ctx, struct copro_mbox_chan *chan, int status);
	/*
	 * Optional, DEFERRED mode only: sees each received message first,
	 * in interrupt context (must not block), and returns true to
	 * consume it; otherwise the message is queued for rx as usual.
	 * Messages keep their order only among those that take the same
	 * path. Setting it with RX_IRQ mode is an error (-EINVAL).
	 */
	bool (*rx_early)(void *ctx, struct copro_mbox_chan *chan,
			 const void *msg, size_t len);
	enum copro_mbox_rx_mode rx_mode;
	unsigned rx_ring;  /* deferred ring entries; 0: default */
	unsigned tx_queue; /* queued sends; 0: default */
};

/*
 * Bind entry `index` (or, with name non-NULL, the "mbox-names" entry) of
 * `client_node`'s "mboxes" property. -EPROBE_DEFER-like -ENODEV when the
 * controller is not registered yet; -EBUSY when the channel is bound.
 */
COPRO_API int copro_mbox_request_dt(struct copro_platform *p, int client_node,
				    const char *name, unsigned index,
				    const struct copro_mbox_client *cl,
				    struct copro_mbox_chan **out);
/* Bind at run time by controller name and channel id. */
COPRO_API int copro_mbox_request(struct copro_platform *p,
				 const char *controller, uint64_t chan_id,
				 const struct copro_mbox_client *cl,
				 struct copro_mbox_chan **out);
/*
 * Unbind. Queued, unsent messages are cancelled (tx_done gets
 * -ECANCELED) and counted in the log, and so is a message already handed
 * to the hardware (whether it left is unknowable); waits until no callback
 * for this channel is running, so it must not be called from this
 * channel's own rx or tx_done callback. The channel can then be bound
 * again.
 */
COPRO_API void copro_mbox_free(struct copro_mbox_chan *chan);

COPRO_API size_t copro_mbox_mtu(const struct copro_mbox_chan *chan);
COPRO_API unsigned copro_mbox_dir(const struct copro_mbox_chan *chan);
COPRO_API enum copro_mbox_txdone
copro_mbox_txdone_mode(const struct copro_mbox_chan *chan);
COPRO_API uint64_t copro_mbox_chan_id(const struct copro_mbox_chan *chan);

/*
 * Queue a message (copied) for sending. timeout_ns 0: -EAGAIN at once if
 * the queue is full; COPRO_FOREVER: wait for room. Returns 0 once the
 * message is queued or handed to the controller. -EMSGSIZE above the MTU,
 * -EOPNOTSUPP for a doorbell on a controller without them or on an
 * RX-only channel, -ETIMEDOUT, -ESHUTDOWN after copro_mbox_free began.
 */
COPRO_API int copro_mbox_send(struct copro_mbox_chan *chan, const void *msg,
			      size_t len, int64_t timeout_ns);
/*
 * How many messages copro_mbox_send would queue now without waiting: a
 * snapshot (other senders may take the room), 0 once the channel is
 * shutting down or revoked.
 */
COPRO_API unsigned copro_mbox_tx_room(struct copro_mbox_chan *chan);
/*
 * DEFERRED mode: received messages queued for rx and not yet handed back
 * by it (one rx is handling counts). From rx_early, nonzero means that
 * taking this message early would overtake them.
 */
COPRO_API unsigned copro_mbox_rx_queued(struct copro_mbox_chan *chan);
/*
 * Start a new receive epoch: every message received so far is dropped
 * instead of reaching rx or rx_early, however late it would have been
 * delivered: those waiting in the deferred ring, one the controller is
 * handing over right now, and (when the controller has an rx_sync op)
 * what its hardware still holds. Each message is stamped with the epoch
 * when the controller hands it over; drops are counted in
 * stats.rx_discarded. A message already inside rx or rx_early when this
 * is called is not waited for: the client asks copro_mbox_rx_stale()
 * there, under whatever lock it also holds around this call. Messages
 * received after it returns are delivered as usual. Never waits for a
 * client callback; not from interrupt context (rx_sync may wait for the
 * controller's handler). -ESHUTDOWN once copro_mbox_free began.
 */
COPRO_API int copro_mbox_rx_discard(struct copro_mbox_chan *chan);
/*
 * From inside this channel's rx or rx_early: true when the message being
 * handed over was received before the last copro_mbox_rx_discard (one
 * that ran after the framework's own check). False anywhere else.
 */
COPRO_API bool copro_mbox_rx_stale(struct copro_mbox_chan *chan);
/* A doorbell ring: a message with no payload. */
COPRO_API int copro_mbox_ring(struct copro_mbox_chan *chan, int64_t timeout_ns);
/*
 * SYNC controllers: send and wait for the transfer, returning the reply
 * (up to *reply_len bytes; *reply_len is updated) and the transfer's
 * status; tx_done is not called. Other modes: -EOPNOTSUPP.
 */
COPRO_API int copro_mbox_call(struct copro_mbox_chan *chan, const void *msg,
			      size_t len, void *reply, size_t *reply_len);
/*
 * Wait until every queued message has left (TX done). tx_done calls are
 * made outside the channel's lock, so the last of them may still be
 * running when this returns.
 */
COPRO_API int
copro_mbox_flush(struct copro_mbox_chan *chan, int64_t timeout_ns);

/* ACK mode: the client says the message in flight is done. */
COPRO_API void
copro_mbox_client_txdone(struct copro_mbox_chan *chan, int status);

/*
 * Polled mode: dispatch interrupts (copro_platform_poll), poll TX
 * completion, deliver deferred messages. Returns messages delivered.
 * Also valid on a threaded platform (it then competes with the worker).
 */
COPRO_API int copro_mbox_poll(struct copro_mbox_chan *chan);

/*
 * Busy-polling a channel on a threaded platform: between hold(true) and
 * hold(false) the caller keeps calling copro_mbox_poll, which delivers
 * what the controller queued, so a message queued meanwhile does not wake
 * the worker; the platform is held too (copro_platform_poll_hold: no
 * interrupt thread woken either). hold(false) lets go of the platform
 * (its last look may queue more), then hands whatever is still queued to
 * the worker. While it holds, a send of this thread that must wait for
 * room runs the interrupt handlers itself. Holds from several threads
 * count; each is let go by the thread that took it. Not concurrently
 * with copro_mbox_free of the channel; does nothing on a NULL channel.
 */
COPRO_API void copro_mbox_poll_hold(struct copro_mbox_chan *chan, bool on);

struct copro_mbox_stats {
	uint64_t sent;		/* handed to the controller */
	uint64_t tx_done;	/* completed */
	uint64_t received;	/* delivered to the client (rx or rx_early) */
	uint64_t rx_early;	/* of which consumed by rx_early */
	uint64_t backpressure;	/* sends that found the queue full */
	uint64_t rx_stalls;	/* times a full ring stopped the controller */
	uint64_t rx_discarded;	/* dropped by copro_mbox_rx_discard */
	/*
	 * Queued for deferred delivery while no copro_mbox_poll_hold poller
	 * held the channel: each is the worker's (a wake-up when it sleeps).
	 */
	uint64_t rx_worker;
};
COPRO_API void copro_mbox_get_stats(const struct copro_mbox_chan *chan,
				    struct copro_mbox_stats *out);

#ifdef __cplusplus
}
#endif
#endif
