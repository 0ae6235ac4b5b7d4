/* SPDX-License-Identifier: MIT */
/*
 * The mailbox framework's private state, shared by core.c (controllers,
 * binding, the worker), tx.c and rx.c.
 *
 * Locking, from the outside in:
 *   ctrl->lock     the controller's channel list (binding, the worker's scan)
 *   chan->tx_lock  one channel's TX queue; held across ops->send, never
 *                  across a client callback
 * The receive ring takes no lock: one producer (the controller's interrupt
 * context) and one consumer at a time (rx_consuming).
 */
#ifndef COPRO_MBOX_INTERNAL_H
#define COPRO_MBOX_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/driver/mbox_controller.h>
#include <copro/log.h>
#include <copro/os.h>

/* Sanity limits: far above any real mailbox, low enough to never overflow. */
#define MBOX_MAX_MTU (64u * 1024)
#define MBOX_MAX_ENTRIES (1u << 20)
#define MBOX_DEFAULT_POLL_NS (10 * COPRO_NSEC_PER_USEC)

/* Keeps the producer's and the consumer's ring indices on separate lines. */
#define MBOX_CACHELINE 64

/*
 * Ring indices run over [0, 2 * cap): equal means empty, cap apart means
 * full. That uses every slot, allows any capacity (not only powers of
 * two) and needs no division on the hot path.
 */
static inline uint32_t mbox_ring_next(uint32_t i, uint32_t cap)
{
	return ++i == 2 * cap ? 0 : i;
}

static inline uint32_t mbox_ring_used(uint32_t head, uint32_t tail,
				      uint32_t cap)
{
	return head >= tail ? head - tail : head + 2 * cap - tail;
}

static inline uint32_t mbox_ring_slot(uint32_t i, uint32_t cap)
{
	return i < cap ? i : i - cap;
}

/*
 * Statistics have one writer at a time (under tx_lock, the ring's single
 * producer or its single consumer): they are counted with
 * copro_owned_add, a load and a store, not a locked add.
 */

struct mbox_txent {
	uint32_t len;
	int status; /* valid once the entry is done */
};

/*
 * Fields are grouped by who writes them, each group on its own cache
 * lines, so the interrupt-context producer, the consumer and senders on
 * other cores do not invalidate each other's lines on the hot paths.
 */
struct copro_mbox_chan {
	/* Set at bind time, read-only afterwards (except shutting). */
	struct copro_mbox_controller *ctrl;
	struct copro_mbox_chan *next; /* ctrl->chans, under ctrl->lock */
	struct copro_mbox_client cl;
	uint64_t id;
	/*
	 * What startup reported, published once it returned: a message
	 * delivered during startup may already ask (0 until then).
	 */
	_Atomic unsigned dir;
	void *priv;
	size_t mtu;
	enum copro_mbox_txdone txdone;
	uint8_t *rx_buf; /* NULL: no ring (interrupt-context delivery) */
	size_t rx_stride;
	uint32_t rx_cap;
	/* Set once by copro_mbox_free: new sends fail, callbacks stop. */
	_Atomic bool shutting;
	/* Signalled when the last user leaves a shutting channel. */
	struct copro_event idle_ev;

	/*
	 * TX queue, under tx_lock. Four indices split it, oldest first:
	 *   [rep, done)   completed, tx_done callback not yet started
	 *   [done, sent)  handed to the controller, waiting for completion
	 *   [sent, tail)  queued, not yet handed over
	 * A slot is free again once its callback has been started.
	 */
	char pad_tx[MBOX_CACHELINE];
	struct copro_mutex tx_lock;
	uint8_t *tx_buf;
	struct mbox_txent *tx_ent;
	size_t tx_stride;
	uint32_t tx_cap;
	uint32_t tx_rep, tx_done, tx_sent, tx_tail;
	uint32_t tx_waiters; /* threads blocked in tx_wait */
	bool tx_reporting;   /* a thread is running tx_done callbacks */
	bool hw_full;	     /* CREDIT: the controller said full or busy */
	bool hw_blocked;     /* other modes: the controller said busy */
	int revoked;	     /* copro_mbox_chan_revoke's status, or 0 */
	/* Room, completion or shutdown: what blocked senders wait for. */
	struct copro_event tx_ev;
	/* POLL: a message is in flight (or blocked); the worker polls. */
	_Atomic bool tx_polling;
	/* TX statistics, written under tx_lock. */
	_Atomic uint64_t sent;
	_Atomic uint64_t tx_done_count;
	_Atomic uint64_t backpressure;
	/* Client calls and the worker in progress. */
	_Atomic uint32_t api_users;

	/* Interrupt-context calls in progress: only the producer's line. */
	char pad_irq[MBOX_CACHELINE];
	_Atomic uint32_t irq_users;

	/* RX ring, producer side (interrupt context). */
	char pad_prod[MBOX_CACHELINE];
	_Atomic uint32_t rx_head;
	uint32_t rx_tail_cache;
	_Atomic uint64_t rx_stalls;
	_Atomic uint64_t rx_early; /* consumed by the client's rx_early */
	_Atomic uint64_t rx_discarded_irq; /* dropped while handed over */
	_Atomic uint64_t rx_worker; /* queued with no poller holding */

	/* RX ring, consumer side. */
	char pad_cons[MBOX_CACHELINE];
	_Atomic uint32_t rx_tail;
	_Atomic bool rx_consuming;
	_Atomic uint64_t received;
	_Atomic uint64_t rx_discarded_ring; /* dropped from the ring */

	/*
	 * Threads between copro_mbox_poll_hold(chan, true) and (false): each
	 * delivers what is queued on its next copro_mbox_poll, so a push
	 * then wakes no worker. Written only when a hold starts or ends.
	 */
	char pad_poll[MBOX_CACHELINE];
	_Atomic uint32_t rx_pollers;

	/* Written by both sides, but only when the ring runs full. */
	char pad_stall[MBOX_CACHELINE];
	_Atomic bool rx_stalled; /* the controller waits for rx_resume */

	/*
	 * Written only by copro_mbox_rx_discard. Each message is stamped
	 * with rx_epoch when the controller hands it over; one of an
	 * older epoch is dropped before the client sees it. While
	 * rx_flushing is nonzero, messages handed over are dropped at once
	 * (the controller's rx_sync empties its hardware).
	 */
	char pad_epoch[MBOX_CACHELINE];
	_Atomic uint32_t rx_epoch;
	_Atomic uint32_t rx_flushing;
	char pad_end[MBOX_CACHELINE];
};

struct copro_mbox_controller {
	/* Read-only after registration. */
	struct copro_platform *p;
	struct copro_logdev ld;
	struct copro_mbox_controller_desc d; /* d.name points to name */
	char *name;
	uint64_t poll_ns;
	bool has_worker; /* threaded platform: deferred receive, TX polling */

	char pad_lock[MBOX_CACHELINE];
	struct copro_mutex lock;
	struct copro_mbox_chan *chans;
	struct copro_thread worker;
	_Atomic bool stop;

	/*
	 * The worker is about to sleep (or spins before sleeping): only then
	 * do producers signal it, so a busy stream costs them no shared
	 * write at all.
	 */
	char pad_wake[MBOX_CACHELINE];
	_Atomic bool worker_parked;
	struct copro_event wake;
	char pad_end[MBOX_CACHELINE];
};

/*
 * Entering a channel: the user count first, then the shutdown check, so
 * that copro_mbox_free (shutdown first, then waiting for the count) never
 * misses a caller that is inside.
 */
void mbox_chan_leave(struct copro_mbox_chan *chan, _Atomic uint32_t *users);

static inline bool mbox_chan_enter(struct copro_mbox_chan *chan,
				   _Atomic uint32_t *users)
{
	atomic_fetch_add_explicit(users, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&chan->shutting, memory_order_seq_cst)) {
		mbox_chan_leave(chan, users);
		return false;
	}
	return true;
}

/* tx.c */
int mbox_tx_init(struct copro_mbox_chan *chan, unsigned entries);
void mbox_tx_fini(struct copro_mbox_chan *chan);
/* Polls a POLL-mode channel's controller; true while still in flight. */
bool mbox_tx_poll(struct copro_mbox_chan *chan);
/* copro_mbox_free: fail everything not done with -ECANCELED. */
void mbox_tx_cancel(struct copro_mbox_chan *chan);

/* rx.c */
int mbox_rx_init(struct copro_mbox_chan *chan, unsigned entries);
void mbox_rx_fini(struct copro_mbox_chan *chan);
bool mbox_rx_pending(struct copro_mbox_chan *chan);
/* Delivers queued messages to the client; returns how many. */
unsigned mbox_rx_drain(struct copro_mbox_chan *chan);
/* This thread holds a channel busy-polled (copro_mbox_poll_hold). */
bool mbox_thread_polls(void);
/* copro_mbox_free: what is left in the ring once no consumer runs. */
uint32_t mbox_rx_undelivered(struct copro_mbox_chan *chan);

/* core.c: have the controller's worker look at its channels. */
void mbox_ctrl_kick(struct copro_mbox_controller *ctrl);

#endif
