/* SPDX-License-Identifier: MIT */
/*
 * The mailbox framework's receiving side: delivery in interrupt context,
 * or through a bounded lock-free ring with one producer (the controller's
 * interrupt handler) and one consumer at a time (the worker, or whoever
 * calls copro_mbox_poll). A full ring pushes back on the controller
 * instead of dropping: it returns -ENOSPC (or rx_room says no), the
 * channel is marked stalled, and the consumer calls ops->rx_resume once
 * it has made room.
 *
 * Epochs: copro_mbox_rx_discard starts a new one. A message is stamped
 * with the epoch current when the controller hands it over (kept in its
 * ring slot), and one of an older epoch is dropped before rx or rx_early
 * sees it. While a callback runs, the thread remembers which message's
 * epoch it holds, so the client can ask copro_mbox_rx_stale under its
 * own lock and close the window between our check and its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>

#include "mbox/mbox_internal.h"

/* A slot: the length, the epoch, then the payload, 8-byte aligned. */
#define RX_HDR 8
#define RX_EPOCH_OFF 4

/*
 * The delivery this thread is making (callbacks nest: a client's rx may
 * poll the platform, which runs another controller's handler): per
 * thread, and keyed by channel, so two boards never see each other's.
 */
struct rx_delivery {
	struct copro_mbox_chan *chan;
	uint32_t epoch;
};
static _Thread_local struct rx_delivery tl_rx;

/*
 * The channel this thread is polling (copro_mbox_poll), whose handler
 * may hand it messages: the poll's own count keeps the channel from
 * being freed, so a delivery inside it counts itself in irq_users for
 * nothing, two locked instructions between a reply and its waiter.
 * Per thread, saved and restored as polls nest.
 */
static _Thread_local struct copro_mbox_chan *tl_polling;

static bool rx_enter(struct copro_mbox_chan *chan)
{
	if (tl_polling == chan)
		return !atomic_load_explicit(&chan->shutting,
					     memory_order_relaxed);
	return mbox_chan_enter(chan, &chan->irq_users);
}

static void rx_leave(struct copro_mbox_chan *chan)
{
	if (tl_polling != chan)
		mbox_chan_leave(chan, &chan->irq_users);
}

static void rx_deliver(struct copro_mbox_chan *chan, uint32_t epoch,
		       const void *msg, size_t len)
{
	struct rx_delivery saved = tl_rx;

	tl_rx = (struct rx_delivery){ chan, epoch };
	chan->cl.rx(chan->cl.ctx, chan, msg, len);
	tl_rx = saved;
}

static bool rx_deliver_early(struct copro_mbox_chan *chan, uint32_t epoch,
			     const void *msg, size_t len)
{
	struct rx_delivery saved = tl_rx;
	bool taken;

	tl_rx = (struct rx_delivery){ chan, epoch };
	taken = chan->cl.rx_early(chan->cl.ctx, chan, msg, len);
	tl_rx = saved;
	return taken;
}

static uint32_t rx_epoch(struct copro_mbox_chan *chan)
{
	return atomic_load_explicit(&chan->rx_epoch, memory_order_acquire);
}

bool copro_mbox_rx_stale(struct copro_mbox_chan *chan)
{
	return chan && tl_rx.chan == chan && tl_rx.epoch != rx_epoch(chan);
}

int mbox_rx_init(struct copro_mbox_chan *chan, unsigned entries)
{
	chan->rx_cap = entries;
	if (!entries)
		return 0;
	chan->rx_stride = RX_HDR + ((chan->mtu + 7) & ~(size_t)7);
	chan->rx_buf = calloc(entries, chan->rx_stride);
	return chan->rx_buf ? 0 : -ENOMEM;
}

void mbox_rx_fini(struct copro_mbox_chan *chan)
{
	free(chan->rx_buf);
	chan->rx_buf = NULL;
}

static uint8_t *rx_slot(const struct copro_mbox_chan *chan, uint32_t i)
{
	return chan->rx_buf +
	       (size_t)mbox_ring_slot(i, chan->rx_cap) * chan->rx_stride;
}

bool mbox_rx_pending(struct copro_mbox_chan *chan)
{
	return chan->rx_buf &&
	       atomic_load_explicit(&chan->rx_head, memory_order_acquire) !=
		       atomic_load_explicit(&chan->rx_tail,
					    memory_order_relaxed);
}

/* ---- producer (the controller's interrupt context) ----------------------- */

/* Full, as far as the producer can tell? Refreshes its view of the tail. */
static bool rx_full(struct copro_mbox_chan *chan, uint32_t head)
{
	if (mbox_ring_used(head, chan->rx_tail_cache, chan->rx_cap) <
	    chan->rx_cap)
		return false;
	chan->rx_tail_cache =
		atomic_load_explicit(&chan->rx_tail, memory_order_acquire);
	return mbox_ring_used(head, chan->rx_tail_cache, chan->rx_cap) ==
	       chan->rx_cap;
}

/*
 * The ring looked full: mark the channel stalled, then look again. The
 * consumer publishes its tail and then looks at the mark; with a full
 * fence on both sides, either it sees the mark (and resumes us) or we see
 * the room it made.
 */
static bool rx_stall(struct copro_mbox_chan *chan, uint32_t head)
{
	bool was = atomic_exchange(&chan->rx_stalled, true);

	atomic_thread_fence(memory_order_seq_cst);
	if (!rx_full(chan, head)) {
		/* Room after all; unmark unless the consumer took the mark. */
		if (!was)
			atomic_exchange(&chan->rx_stalled, false);
		return false;
	}
	if (!was)
		copro_owned_add(&chan->rx_stalls, 1);
	return true;
}

bool copro_mbox_chan_rx_room(struct copro_mbox_chan *chan)
{
	if (!chan->rx_buf)
		return true;
	if (atomic_load_explicit(&chan->shutting, memory_order_relaxed))
		return false;
	/* A discard drops what is handed over: it needs no slot. */
	if (atomic_load_explicit(&chan->rx_flushing, memory_order_acquire))
		return true;

	uint32_t head = atomic_load_explicit(&chan->rx_head,
					     memory_order_relaxed);

	return !rx_full(chan, head) || !rx_stall(chan, head);
}

/*
 * A message was queued: the worker delivers it, unless a poller holds the
 * channel (its next copro_mbox_poll does). The fence orders the push
 * before the load of the count, as copro_mbox_poll_hold orders its
 * uncounting before its last look: either we see the poller, and it
 * sees the push, or we kick.
 */
static void rx_kick(struct copro_mbox_chan *chan)
{
	if (!chan->ctrl->has_worker)
		return;
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&chan->rx_pollers, memory_order_relaxed))
		return;
	copro_owned_add(&chan->rx_worker, 1);
	mbox_ctrl_kick(chan->ctrl);
}

int copro_mbox_chan_rx(struct copro_mbox_chan *chan, const void *msg,
		       size_t len)
{
	if (!chan->cl.rx) {
		copro_dev_err(&chan->ctrl->ld,
			      "channel %" PRIu64
			      ": message received on a channel that does"
			      " not receive",
			      chan->id);
		return -EOPNOTSUPP;
	}
	if (len && !msg)
		return -EINVAL;
	if (len > chan->mtu) {
		copro_dev_err(&chan->ctrl->ld,
			      "channel %" PRIu64
			      ": received %zu bytes, above the MTU of %zu",
			      chan->id, len, chan->mtu);
		return -EMSGSIZE;
	}
	if (!rx_enter(chan))
		return -ESHUTDOWN;

	/* The stamp: the epoch in which the message left the hardware. */
	uint32_t epoch = rx_epoch(chan);

	if (atomic_load_explicit(&chan->rx_flushing, memory_order_acquire)) {
		atomic_fetch_add(&chan->rx_discarded_irq, 1);
		copro_dev_dbg(&chan->ctrl->ld,
			      "channel %" PRIu64
			      ": dropped a message received during a discard",
			      chan->id);
		rx_leave(chan);
		return 0;
	}

	if (!chan->rx_buf) {
		/*
		 * Counted before the client sees it: a client that has seen
		 * a message finds it in the stats (see rx_consume).
		 */
		copro_owned_add(&chan->received, 1);
		rx_deliver(chan, epoch, msg, len);
		rx_leave(chan);
		return 0;
	}

	/* Ahead of the ring: a message the client takes needs no slot. */
	if (chan->cl.rx_early && rx_deliver_early(chan, epoch, msg, len)) {
		copro_owned_add(&chan->rx_early, 1);
		rx_leave(chan);
		return 0;
	}

	uint32_t head = atomic_load_explicit(&chan->rx_head,
					     memory_order_relaxed);

	if (rx_full(chan, head) && rx_stall(chan, head)) {
		rx_leave(chan);
		return -ENOSPC;
	}

	uint8_t *slot = rx_slot(chan, head);
	uint32_t len32 = (uint32_t)len;

	memcpy(slot, &len32, sizeof(len32));
	memcpy(slot + RX_EPOCH_OFF, &epoch, sizeof(epoch));
	if (len)
		memcpy(slot + RX_HDR, msg, len);
	atomic_store_explicit(&chan->rx_head, mbox_ring_next(head, chan->rx_cap),
			      memory_order_release);
	rx_kick(chan);
	rx_leave(chan);
	return 0;
}

/* ---- consumer -------------------------------------------------------------- */

/* A queued message of an epoch a discard ended. */
static void rx_drop(struct copro_mbox_chan *chan, uint32_t epoch)
{
	atomic_fetch_add(&chan->rx_discarded_ring, 1);
	copro_dev_dbg(&chan->ctrl->ld,
		      "channel %" PRIu64 ": dropped a message of receive epoch"
		      " %" PRIu32 " (now %" PRIu32 ")",
		      chan->id, epoch, rx_epoch(chan));
}

static void rx_resume(struct copro_mbox_chan *chan)
{
	struct copro_mbox_controller *ctrl = chan->ctrl;

	if (atomic_exchange(&chan->rx_stalled, false) &&
	    ctrl->d.ops->rx_resume)
		ctrl->d.ops->rx_resume(ctrl->d.ctx, chan);
}

/*
 * Delivers in place: a slot is handed back only after the client's rx
 * returns. A stalled controller is resumed once the ring is half empty,
 * so it refills while we drain instead of once per message.
 */
static unsigned rx_consume(struct copro_mbox_chan *chan)
{
	uint32_t cap = chan->rx_cap;
	uint32_t tail = atomic_load_explicit(&chan->rx_tail,
					     memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&chan->rx_head,
					     memory_order_acquire);
	unsigned n = 0;

	while (tail != head &&
	       !atomic_load_explicit(&chan->shutting, memory_order_relaxed)) {
		const uint8_t *slot = rx_slot(chan, tail);
		uint32_t len, epoch;

		memcpy(&len, slot, sizeof(len));
		memcpy(&epoch, slot + RX_EPOCH_OFF, sizeof(epoch));
		if (epoch != rx_epoch(chan)) {
			rx_drop(chan, epoch);
		} else {
			/*
			 * Counted before the client sees the message, not per
			 * batch after it: a client (or a test) that has seen
			 * the last message must find it in
			 * copro_mbox_get_stats, and a batch count added after
			 * the loop left the last batch out for a while
			 * (system.asc_stream saw 199950 of 200000 under load).
			 */
			copro_owned_add(&chan->received, 1);
			rx_deliver(chan, epoch, slot + RX_HDR, len);
			n++;
		}
		tail = mbox_ring_next(tail, cap);
		atomic_store_explicit(&chan->rx_tail, tail,
				      memory_order_release);
		if (atomic_load_explicit(&chan->rx_stalled,
					 memory_order_relaxed) &&
		    mbox_ring_used(head, tail, cap) <= cap / 2)
			rx_resume(chan);
		if (tail == head)
			head = atomic_load_explicit(&chan->rx_head,
						    memory_order_acquire);
	}
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&chan->rx_stalled, memory_order_relaxed))
		rx_resume(chan);
	return n;
}

unsigned mbox_rx_drain(struct copro_mbox_chan *chan)
{
	unsigned n = 0;

	if (!chan->rx_buf)
		return 0;
	/*
	 * One consumer at a time. A loser just leaves; the winner looks
	 * again after letting go, so nothing pushed meanwhile waits for
	 * the next wake-up.
	 */
	while (!atomic_exchange_explicit(&chan->rx_consuming, true,
					 memory_order_acquire)) {
		n += rx_consume(chan);
		atomic_store(&chan->rx_consuming, false);
		if (!mbox_rx_pending(chan) ||
		    atomic_load_explicit(&chan->shutting, memory_order_relaxed))
			break;
	}
	return n;
}

unsigned copro_mbox_rx_queued(struct copro_mbox_chan *chan)
{
	uint32_t tail, head;

	if (!chan || !chan->rx_buf)
		return 0;
	/* The tail first: the head read after it is never behind it. */
	tail = atomic_load_explicit(&chan->rx_tail, memory_order_acquire);
	head = atomic_load_explicit(&chan->rx_head, memory_order_acquire);
	return mbox_ring_used(head, tail, chan->rx_cap);
}

/*
 * copro_mbox_rx_discard, when no consumer runs: drop the ring's leading
 * messages of an older epoch now (so copro_mbox_rx_queued stops counting
 * them), up to the first current one. A busy consumer drops them itself.
 */
static void rx_drop_queued(struct copro_mbox_chan *chan)
{
	uint32_t cap = chan->rx_cap;
	uint32_t epoch = rx_epoch(chan);
	uint32_t tail, head;

	if (!chan->rx_buf ||
	    atomic_exchange_explicit(&chan->rx_consuming, true,
				     memory_order_acquire))
		return;
	tail = atomic_load_explicit(&chan->rx_tail, memory_order_relaxed);
	head = atomic_load_explicit(&chan->rx_head, memory_order_acquire);
	while (tail != head) {
		uint32_t e;

		memcpy(&e, rx_slot(chan, tail) + RX_EPOCH_OFF, sizeof(e));
		if (e == epoch)
			break;
		rx_drop(chan, e);
		tail = mbox_ring_next(tail, cap);
		atomic_store_explicit(&chan->rx_tail, tail,
				      memory_order_release);
	}
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&chan->rx_stalled, memory_order_relaxed))
		rx_resume(chan);
	atomic_store(&chan->rx_consuming, false);
}

int copro_mbox_rx_discard(struct copro_mbox_chan *chan)
{
	struct copro_mbox_controller *ctrl;
	uint32_t epoch;

	if (!chan)
		return -EINVAL;
	if (!mbox_chan_enter(chan, &chan->api_users))
		return -ESHUTDOWN;
	ctrl = chan->ctrl;
	/*
	 * Dropping while the controller empties its hardware, then the new
	 * epoch: a message its handler took before rx_sync returned carries
	 * the old one. Discards may overlap: hence a count.
	 */
	atomic_fetch_add(&chan->rx_flushing, 1);
	if (ctrl->d.ops->rx_sync)
		ctrl->d.ops->rx_sync(ctrl->d.ctx, chan);
	epoch = atomic_fetch_add(&chan->rx_epoch, 1) + 1;
	atomic_fetch_sub(&chan->rx_flushing, 1);
	rx_drop_queued(chan);
	/* What is left waits for a busy consumer, which drops it. */
	if (mbox_rx_pending(chan))
		mbox_ctrl_kick(ctrl);
	copro_dev_dbg(&ctrl->ld,
		      "channel %" PRIu64 ": receive epoch %" PRIu32
		      ": what was received before is dropped",
		      chan->id, epoch);
	mbox_chan_leave(chan, &chan->api_users);
	return 0;
}

/* Messages copro_mbox_free found undelivered (no consumer is left). */
uint32_t mbox_rx_undelivered(struct copro_mbox_chan *chan)
{
	if (!chan->rx_buf)
		return 0;
	return mbox_ring_used(atomic_load(&chan->rx_head),
			      atomic_load(&chan->rx_tail), chan->rx_cap);
}

/* ---- polling ---------------------------------------------------------------- */

/*
 * Holds this thread has taken: while it holds a platform, the interrupt
 * thread may sleep through what this thread waits for, so its waits run
 * the handlers themselves (mbox_thread_polls).
 */
static _Thread_local unsigned tl_holds;

bool mbox_thread_polls(void)
{
	return tl_holds != 0;
}

void copro_mbox_poll_hold(struct copro_mbox_chan *chan, bool on)
{
	if (!chan)
		return;
	if (on) {
		tl_holds++;
		atomic_fetch_add(&chan->rx_pollers, 1);
		copro_platform_poll_hold(chan->ctrl->p, true);
		return;
	}
	/*
	 * The platform's last look may queue messages: still counted, we
	 * deliver them ourselves, as our polls did. This thread may block,
	 * as the worker may, and waking the worker instead cost the
	 * releasing thread 23-28 us on average where it had to (copro bench
	 * boot: a wake-up of an idle vCPU on this VM, docs/performance.md).
	 * What comes after we stop counting ourselves is the worker's.
	 */
	copro_platform_poll_hold(chan->ctrl->p, false);
	tl_holds--;
	if (chan->rx_buf && mbox_chan_enter(chan, &chan->api_users)) {
		mbox_rx_drain(chan);
		mbox_chan_leave(chan, &chan->api_users);
	}
	atomic_fetch_sub(&chan->rx_pollers, 1);
	atomic_thread_fence(memory_order_seq_cst);
	if (mbox_rx_pending(chan))
		mbox_ctrl_kick(chan->ctrl);
}

int copro_mbox_poll(struct copro_mbox_chan *chan)
{
	uint64_t before;
	int n;

	if (!chan)
		return -EINVAL;
	if (!mbox_chan_enter(chan, &chan->api_users))
		return -ESHUTDOWN;
	before = atomic_load_explicit(&chan->received, memory_order_relaxed);

	struct copro_mbox_chan *outer = tl_polling;

	tl_polling = chan;
	copro_platform_poll(chan->ctrl->p);
	tl_polling = outer;
	if (atomic_load(&chan->tx_polling))
		mbox_tx_poll(chan);
	if (chan->rx_buf) {
		n = (int)mbox_rx_drain(chan);
	} else {
		/* Interrupt-context delivery happened inside the poll. */
		n = (int)(atomic_load_explicit(&chan->received,
					       memory_order_relaxed) -
			  before);
	}
	mbox_chan_leave(chan, &chan->api_users);
	return n;
}
