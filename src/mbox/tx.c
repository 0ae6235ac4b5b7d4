/* SPDX-License-Identifier: MIT */
/*
 * The mailbox framework's sending side: the per-channel queue, the pump
 * that hands queued messages to the controller whenever the hardware has
 * room, and tx_done reporting.
 *
 * tx_done callbacks must run in send order and never under tx_lock, yet
 * completions arrive from several threads (interrupt context, the worker,
 * senders). Whoever completes a message records its status in the queue;
 * one thread at a time (tx_reporting) then runs the callbacks in order,
 * dropping the lock around each, and picks up whatever others completed
 * meanwhile.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>

#include "mbox/mbox_internal.h"

/* Blocked waiters on a polled platform re-poll at most this far apart. */
#define TX_ASSIST_MAX_NS COPRO_NSEC_PER_MSEC
#define TX_ASSIST_MIN_NS COPRO_NSEC_PER_USEC

int mbox_tx_init(struct copro_mbox_chan *chan, unsigned entries)
{
	int ret = copro_mutex_init(&chan->tx_lock);

	if (ret < 0)
		return ret;
	copro_event_init(&chan->tx_ev);
	chan->tx_cap = entries;
	chan->tx_stride = (chan->mtu + 7) & ~(size_t)7;
	chan->tx_buf = calloc(entries, chan->tx_stride ? chan->tx_stride : 1);
	chan->tx_ent = calloc(entries, sizeof(*chan->tx_ent));
	if (!chan->tx_buf || !chan->tx_ent) {
		mbox_tx_fini(chan);
		return -ENOMEM;
	}
	return 0;
}

void mbox_tx_fini(struct copro_mbox_chan *chan)
{
	free(chan->tx_buf);
	free(chan->tx_ent);
	chan->tx_buf = NULL;
	chan->tx_ent = NULL;
	copro_mutex_destroy(&chan->tx_lock);
}

/* ---- queue state (tx_lock held) ---------------------------------------- */

static bool tx_full(const struct copro_mbox_chan *chan)
{
	return mbox_ring_used(chan->tx_tail, chan->tx_rep, chan->tx_cap) ==
	       chan->tx_cap;
}

static bool tx_has_room(const struct copro_mbox_chan *chan)
{
	return !tx_full(chan);
}

static bool tx_all_done(const struct copro_mbox_chan *chan)
{
	return chan->tx_done == chan->tx_tail;
}

static bool tx_in_flight(const struct copro_mbox_chan *chan)
{
	return chan->tx_sent != chan->tx_done;
}

static bool tx_hw_free(const struct copro_mbox_chan *chan)
{
	switch (chan->txdone) {
	case COPRO_MBOX_TXDONE_CREDIT:
		return !chan->hw_full;
	case COPRO_MBOX_TXDONE_SYNC:
		return true;
	default:
		/* One message in flight at a time. */
		return !tx_in_flight(chan) && !chan->hw_blocked;
	}
}

/* The oldest message handed over (or failed on hand-over) is done. */
static void tx_complete(struct copro_mbox_chan *chan, int status)
{
	chan->tx_ent[mbox_ring_slot(chan->tx_done, chan->tx_cap)].status =
		status;
	chan->tx_done = mbox_ring_next(chan->tx_done, chan->tx_cap);
	copro_owned_add(&chan->tx_done_count, 1);
}

static void tx_set_polling(struct copro_mbox_chan *chan, bool on)
{
	if (atomic_load_explicit(&chan->tx_polling, memory_order_relaxed) == on)
		return;
	atomic_store(&chan->tx_polling, on);
	if (on)
		mbox_ctrl_kick(chan->ctrl);
}

/*
 * Hand queued messages to the controller while it has room: one in flight
 * for IRQ/POLL/ACK, as many as the hardware takes for CREDIT. Never after
 * copro_mbox_free began, which is after ops->shutdown for the controller.
 */
static void tx_pump(struct copro_mbox_chan *chan)
{
	struct copro_mbox_controller *ctrl = chan->ctrl;
	int (*send)(void *, struct copro_mbox_chan *, const void *, size_t) =
		ctrl->d.ops->send;

	while (chan->tx_sent != chan->tx_tail && tx_hw_free(chan) &&
	       !chan->revoked &&
	       !atomic_load_explicit(&chan->shutting, memory_order_relaxed)) {
		uint32_t slot = mbox_ring_slot(chan->tx_sent, chan->tx_cap);
		int ret = send(ctrl->d.ctx, chan,
			       chan->tx_buf + (size_t)slot * chan->tx_stride,
			       chan->tx_ent[slot].len);

		if (ret == -EBUSY && chan->txdone != COPRO_MBOX_TXDONE_SYNC) {
			/* Keep the message; tx_room (or polling) retries. */
			if (chan->txdone == COPRO_MBOX_TXDONE_CREDIT) {
				chan->hw_full = true;
			} else {
				chan->hw_blocked = true;
				if (chan->txdone == COPRO_MBOX_TXDONE_POLL)
					tx_set_polling(chan, true);
			}
			break;
		}
		chan->tx_sent = mbox_ring_next(chan->tx_sent, chan->tx_cap);
		if (ret < 0) {
			/* Only this message fails; the queue moves on. */
			tx_complete(chan, ret);
			continue;
		}
		copro_owned_add(&chan->sent, 1);
		switch (chan->txdone) {
		case COPRO_MBOX_TXDONE_CREDIT:
			tx_complete(chan, 0);
			if (ret == COPRO_MBOX_SENT_FULL)
				chan->hw_full = true;
			break;
		case COPRO_MBOX_TXDONE_SYNC:
			tx_complete(chan, 0);
			break;
		case COPRO_MBOX_TXDONE_POLL:
			tx_set_polling(chan, true);
			break;
		default:
			break;
		}
	}
}

/*
 * Releases tx_lock, running pending tx_done callbacks first unless
 * another thread already is; wakes blocked senders and flushers.
 */
static void tx_unlock_report(struct copro_mbox_chan *chan)
{
	void (*cb)(void *, struct copro_mbox_chan *, int) = chan->cl.tx_done;
	bool wake = chan->tx_waiters != 0;

	if (!cb) {
		chan->tx_rep = chan->tx_done;
	} else if (!chan->tx_reporting) {
		chan->tx_reporting = true;
		while (chan->tx_rep != chan->tx_done) {
			int status = chan->tx_ent[mbox_ring_slot(
						      chan->tx_rep,
						      chan->tx_cap)]
					     .status;

			chan->tx_rep = mbox_ring_next(chan->tx_rep,
						      chan->tx_cap);
			wake = chan->tx_waiters != 0;
			copro_mutex_unlock(&chan->tx_lock);
			if (wake)
				copro_event_signal(&chan->tx_ev);
			cb(chan->cl.ctx, chan, status);
			copro_mutex_lock(&chan->tx_lock);
		}
		chan->tx_reporting = false;
		wake = chan->tx_waiters != 0;
	}
	copro_mutex_unlock(&chan->tx_lock);
	if (wake)
		copro_event_signal(&chan->tx_ev);
}

/* ---- waiting ------------------------------------------------------------ */

/*
 * Waits (tx_lock held, and held again on return) until cond holds.
 * Nobody else may be there to move the queue: on a polled platform (or
 * one this thread holds busy-polled, copro_mbox_poll_hold) the waiter
 * runs the interrupt handlers itself, and in POLL mode it polls
 * the controller, backing off so a long wait does not burn a core.
 */
static int tx_wait(struct copro_mbox_chan *chan,
		   bool (*cond)(const struct copro_mbox_chan *),
		   uint64_t deadline)
{
	struct copro_mbox_controller *ctrl = chan->ctrl;
	/* A thread holding the platform keeps its interrupt thread asleep. */
	bool poll_irqs = !ctrl->has_worker || mbox_thread_polls();
	bool poll_tx = chan->txdone == COPRO_MBOX_TXDONE_POLL;
	uint64_t slice = TX_ASSIST_MIN_NS;

	for (;;) {
		if (atomic_load(&chan->shutting))
			return -ESHUTDOWN;
		if (cond(chan))
			return 0;
		if (chan->revoked)
			return chan->revoked;
		if (poll_irqs || poll_tx) {
			copro_mutex_unlock(&chan->tx_lock);
			if (poll_irqs)
				copro_platform_poll(ctrl->p);
			if (poll_tx)
				mbox_tx_poll(chan);
			copro_mutex_lock(&chan->tx_lock);
			if (atomic_load(&chan->shutting))
				return -ESHUTDOWN;
			if (cond(chan))
				return 0;
		}

		int64_t left = copro_deadline_left(deadline);

		if (left == 0)
			return -ETIMEDOUT;
		if (poll_tx) {
			slice = ctrl->poll_ns;
		} else if (poll_irqs) {
			slice = slice * 2 > TX_ASSIST_MAX_NS ? TX_ASSIST_MAX_NS
							     : slice * 2;
		}
		if ((poll_irqs || poll_tx) &&
		    (left == COPRO_FOREVER || (uint64_t)left > slice))
			left = (int64_t)slice;

		chan->tx_waiters++;
		uint32_t key = copro_event_prepare(&chan->tx_ev);

		copro_mutex_unlock(&chan->tx_lock);
		copro_event_wait(&chan->tx_ev, key, left, COPRO_SPIN_DEFAULT_NS);
		copro_mutex_lock(&chan->tx_lock);
		chan->tx_waiters--;
	}
}

/* ---- client calls ------------------------------------------------------- */

static int tx_check(const struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	if (!chan || (len && !msg))
		return -EINVAL;
	if (!(atomic_load_explicit(&chan->dir, memory_order_acquire) &
	      COPRO_MBOX_DIR_TX))
		return -EOPNOTSUPP;
	if (len > chan->mtu)
		return -EMSGSIZE;
	if (!len && !chan->ctrl->d.doorbell)
		return -EOPNOTSUPP;
	return 0;
}

int copro_mbox_send(struct copro_mbox_chan *chan, const void *msg, size_t len,
		    int64_t timeout_ns)
{
	int ret = tx_check(chan, msg, len);

	if (ret < 0)
		return ret;
	if (!mbox_chan_enter(chan, &chan->api_users))
		return -ESHUTDOWN;
	copro_mutex_lock(&chan->tx_lock);
	if (atomic_load(&chan->shutting)) {
		ret = -ESHUTDOWN;
	} else if (chan->revoked) {
		ret = chan->revoked;
	} else if (tx_full(chan)) {
		copro_owned_add(&chan->backpressure, 1);
		ret = timeout_ns == 0 ? -EAGAIN
				      : tx_wait(chan, tx_has_room,
						copro_deadline(timeout_ns));
	}
	if (ret < 0) {
		copro_mutex_unlock(&chan->tx_lock);
		mbox_chan_leave(chan, &chan->api_users);
		return ret;
	}

	uint32_t slot = mbox_ring_slot(chan->tx_tail, chan->tx_cap);

	chan->tx_ent[slot].len = (uint32_t)len;
	if (len)
		memcpy(chan->tx_buf + (size_t)slot * chan->tx_stride, msg, len);
	chan->tx_tail = mbox_ring_next(chan->tx_tail, chan->tx_cap);
	tx_pump(chan);
	/*
	 * A SYNC transfer is over once the pump returns: report its outcome
	 * here too, as the caller is the only one who can still act on it.
	 */
	if (chan->txdone == COPRO_MBOX_TXDONE_SYNC)
		ret = chan->tx_ent[slot].status;
	tx_unlock_report(chan);
	mbox_chan_leave(chan, &chan->api_users);
	return ret;
}

unsigned copro_mbox_tx_room(struct copro_mbox_chan *chan)
{
	unsigned room = 0;

	if (!chan || !(atomic_load_explicit(&chan->dir, memory_order_acquire) &
		       COPRO_MBOX_DIR_TX))
		return 0;
	copro_mutex_lock(&chan->tx_lock);
	if (!atomic_load(&chan->shutting) && !chan->revoked)
		room = chan->tx_cap - mbox_ring_used(chan->tx_tail, chan->tx_rep,
						     chan->tx_cap);
	copro_mutex_unlock(&chan->tx_lock);
	return room;
}

int copro_mbox_ring(struct copro_mbox_chan *chan, int64_t timeout_ns)
{
	return copro_mbox_send(chan, NULL, 0, timeout_ns);
}

int copro_mbox_call(struct copro_mbox_chan *chan, const void *msg, size_t len,
		    void *reply, size_t *reply_len)
{
	int ret = tx_check(chan, msg, len);

	if (ret < 0)
		return ret;
	if (chan->txdone != COPRO_MBOX_TXDONE_SYNC)
		return -EOPNOTSUPP;
	if (!mbox_chan_enter(chan, &chan->api_users))
		return -ESHUTDOWN;

	const struct copro_mbox_controller_ops *ops = chan->ctrl->d.ops;
	size_t room = reply && reply_len ? *reply_len : 0;
	size_t got = room;

	/*
	 * tx_lock serialises calls with each other and with sends; a SYNC
	 * channel never keeps messages queued, so this one goes out next.
	 */
	copro_mutex_lock(&chan->tx_lock);
	if (atomic_load(&chan->shutting)) {
		ret = -ESHUTDOWN;
	} else if (chan->revoked) {
		ret = chan->revoked;
	} else {
		if (ops->call) {
			ret = ops->call(chan->ctrl->d.ctx, chan, msg, len,
					room ? reply : NULL, &got);
		} else {
			ret = ops->send(chan->ctrl->d.ctx, chan, msg, len);
			got = 0;
		}
		if (ret > 0)
			ret = 0;
		if (!ret)
			copro_owned_add(&chan->sent, 1);
		copro_owned_add(&chan->tx_done_count, 1);
	}
	copro_mutex_unlock(&chan->tx_lock);

	if (!ret && got > room) {
		copro_dev_err(&chan->ctrl->ld,
			      "channel %" PRIu64 ": reply of %zu bytes for a"
			      " buffer of %zu",
			      chan->id, got, room);
		ret = -EOVERFLOW;
	}
	if (reply_len)
		*reply_len = ret ? 0 : got;
	mbox_chan_leave(chan, &chan->api_users);
	return ret;
}

int copro_mbox_flush(struct copro_mbox_chan *chan, int64_t timeout_ns)
{
	int ret;

	if (!chan)
		return -EINVAL;
	if (!(atomic_load_explicit(&chan->dir, memory_order_acquire) &
	      COPRO_MBOX_DIR_TX))
		return 0;
	if (!mbox_chan_enter(chan, &chan->api_users))
		return -ESHUTDOWN;
	copro_mutex_lock(&chan->tx_lock);
	ret = tx_wait(chan, tx_all_done, copro_deadline(timeout_ns));
	copro_mutex_unlock(&chan->tx_lock);
	mbox_chan_leave(chan, &chan->api_users);
	return ret;
}

/* ---- completion --------------------------------------------------------- */

/* The message in flight is done (IRQ and ACK modes). */
static void tx_done_in_flight(struct copro_mbox_chan *chan,
			      _Atomic uint32_t *users, int status,
			      const char *who)
{
	bool spurious;

	if (!mbox_chan_enter(chan, users))
		return;
	copro_mutex_lock(&chan->tx_lock);
	spurious = !tx_in_flight(chan);
	if (!spurious)
		tx_complete(chan, status);
	tx_pump(chan);
	tx_unlock_report(chan);
	if (spurious)
		copro_dev_warn(&chan->ctrl->ld,
			       "channel %" PRIu64
			       ": %s with no message in flight (status %d)",
			       chan->id, who, status);
	mbox_chan_leave(chan, users);
}

void copro_mbox_chan_txdone(struct copro_mbox_chan *chan, int status)
{
	if (chan->txdone != COPRO_MBOX_TXDONE_IRQ) {
		copro_dev_warn(&chan->ctrl->ld,
			       "channel %" PRIu64
			       ": copro_mbox_chan_txdone in %s mode, ignored",
			       chan->id, copro_mbox_txdone_name(chan->txdone));
		return;
	}
	tx_done_in_flight(chan, &chan->irq_users, status, "TX done interrupt");
}

void copro_mbox_client_txdone(struct copro_mbox_chan *chan, int status)
{
	if (chan->txdone != COPRO_MBOX_TXDONE_ACK) {
		copro_dev_warn(&chan->ctrl->ld,
			       "channel %" PRIu64
			       ": copro_mbox_client_txdone in %s mode, ignored",
			       chan->id, copro_mbox_txdone_name(chan->txdone));
		return;
	}
	tx_done_in_flight(chan, &chan->api_users, status, "client TX done");
}

/* Any mode: the controller may take more (CREDIT), or retry after -EBUSY. */
void copro_mbox_chan_tx_room(struct copro_mbox_chan *chan)
{
	if (!mbox_chan_enter(chan, &chan->irq_users))
		return;
	copro_mutex_lock(&chan->tx_lock);
	chan->hw_full = false;
	chan->hw_blocked = false;
	tx_pump(chan);
	tx_unlock_report(chan);
	mbox_chan_leave(chan, &chan->irq_users);
}

void copro_mbox_chan_revoke(struct copro_mbox_chan *chan, int status)
{
	uint32_t pending;

	if (status >= 0)
		status = -ENODEV;
	if (!mbox_chan_enter(chan, &chan->api_users))
		return;
	copro_mutex_lock(&chan->tx_lock);
	chan->revoked = status;
	pending = mbox_ring_used(chan->tx_tail, chan->tx_done, chan->tx_cap);
	while (chan->tx_done != chan->tx_tail)
		tx_complete(chan, status);
	chan->tx_sent = chan->tx_tail;
	chan->hw_full = false;
	atomic_store(&chan->tx_polling, false);
	tx_unlock_report(chan);
	copro_event_signal(&chan->tx_ev);
	copro_dev_info(&chan->ctrl->ld,
		       "channel %" PRIu64 ": revoked (%s), %" PRIu32
		       " pending message(s) failed",
		       chan->id, copro_strerror(status), pending);
	mbox_chan_leave(chan, &chan->api_users);
}

bool mbox_tx_poll(struct copro_mbox_chan *chan)
{
	struct copro_mbox_controller *ctrl = chan->ctrl;
	bool busy;

	copro_mutex_lock(&chan->tx_lock);
	if (tx_in_flight(chan)) {
		if (ctrl->d.ops->last_tx_done(ctrl->d.ctx, chan))
			tx_complete(chan, 0);
	} else {
		chan->hw_blocked = false;
	}
	tx_pump(chan);
	busy = tx_in_flight(chan) || chan->hw_blocked;
	atomic_store(&chan->tx_polling, busy);
	tx_unlock_report(chan);
	return busy;
}

void mbox_tx_cancel(struct copro_mbox_chan *chan)
{
	uint32_t queued, in_flight;

	copro_mutex_lock(&chan->tx_lock);
	queued = mbox_ring_used(chan->tx_tail, chan->tx_sent, chan->tx_cap);
	in_flight = mbox_ring_used(chan->tx_sent, chan->tx_done, chan->tx_cap);
	/* Whether an in-flight message left is unknowable after shutdown. */
	while (chan->tx_done != chan->tx_tail)
		tx_complete(chan, -ECANCELED);
	chan->tx_sent = chan->tx_tail;
	tx_unlock_report(chan);
	if (queued || in_flight)
		copro_dev_warn(&chan->ctrl->ld,
			       "channel %" PRIu64 ": unbound with %" PRIu32
			       " queued and %" PRIu32
			       " in-flight messages, cancelled",
			       chan->id, queued, in_flight);
}
