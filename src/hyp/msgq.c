// SPDX-License-Identifier: MIT
/*
 * Gunyah message queues as a CREDIT mailbox controller.
 *
 * TX: a send is one msgq_send hypercall. `not_full` false means the queue
 * is now full: the framework stops handing over messages, and the
 * not-full interrupt (enabled only while waiting, since the hypervisor
 * keeps it asserted whenever the queue is below its threshold) lets it
 * resume. FULL (a race with another sender) pushes back with -EBUSY; the
 * message stays queued, so nothing is lost or reordered.
 *
 * RX: the not-empty interrupt drains the queue into the framework, but
 * only while the client's ring has room; otherwise the line is disabled
 * until rx_resume, and the messages wait in the hypervisor's queue. A
 * discard (rx_sync) empties the queue from the discarding thread; the
 * resource's rx_lock keeps it and the handler from taking messages at
 * the same time, and makes the discard wait for a message the handler
 * has taken but not yet handed over.
 *
 * Resources come and go at run time. Withdrawing one whose channel is
 * bound revokes the channel (pending sends fail with -ENODEV) but leaves
 * it to its client; the resource is freed when the channel is. A
 * withdrawal, a kick and the client's unbinding may come at once from
 * three threads: the controller's lock decides who frees the line (the
 * first to take it), and the unbinding waits for a withdrawal or kick
 * still holding the channel before it lets the channel go.
 */
#include <errno.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/os.h>
#include <copro/gunyah_msgq.h>
#include <copro/log.h>
#include <copro/driver/mbox_controller.h>

/* At most this many receives per interrupt: a hypervisor that always
 * says "not empty" must not hold the interrupt thread forever. */
#define RX_BATCH COPRO_GH_MSGQ_MAX_DEPTH

struct mq_res {
	struct mq_res *next;
	struct copro_gh_msgq *mq;
	struct copro_gh_resource r;
	struct copro_gh_msgq_opts o;
	_Atomic bool withdrawn; /* copro_gh_msgq_del while bound */
	/* The line: the handlers' while they run; others' while owned. */
	struct copro_irq *irq;
	bool irq_owned; /* requested, not yet taken to be freed; mq->lock */
	unsigned busy;	/* dels and kicks using chan unlocked; mq->lock */
	struct copro_mbox_chan *_Atomic chan; /* set under mq->lock */
	struct copro_mutex rx_lock; /* taking messages, and buf */
	uint8_t buf[COPRO_GH_MSGQ_MAX_MSG_SIZE];
	char name[48];
};

struct copro_gh_msgq {
	struct copro_platform *p;
	struct copro_logdev ld;
	struct copro_mbox_controller *ctrl;
	struct copro_mutex lock; /* the list; entries' chan, irq_owned, busy */
	struct mq_res *res;
	_Atomic uint64_t full, tx_irqs, rx_irqs, hyp_errors;
	char name[64];
};

static struct mq_res *res_find(struct copro_gh_msgq *mq, uint64_t capid)
{
	for (struct mq_res *r = mq->res; r; r = r->next)
		if (r->r.capid == capid)
			return r;
	return NULL;
}

static void res_unlink(struct copro_gh_msgq *mq, struct mq_res *res)
{
	for (struct mq_res **pp = &mq->res; *pp; pp = &(*pp)->next)
		if (*pp == res) {
			*pp = res->next;
			return;
		}
}

static void res_free(struct mq_res *res)
{
	copro_mutex_destroy(&res->rx_lock);
	free(res);
}

/* The line, to whoever frees it: the first to ask (mq->lock held). */
static struct copro_irq *irq_take_locked(struct mq_res *res)
{
	struct copro_irq *irq = res->irq_owned ? res->irq : NULL;

	res->irq_owned = false;
	return irq;
}

/*
 * Enable the line from outside its handlers (a send finding the queue
 * full, rx_resume): not once a withdrawal has taken it to free it.
 */
static void irq_enable_owned(struct copro_gh_msgq *mq, struct mq_res *res)
{
	copro_mutex_lock(&mq->lock);
	if (res->irq_owned)
		copro_irq_enable(res->irq);
	copro_mutex_unlock(&mq->lock);
}

/*
 * Let the channel go: free the line (waiting out its handlers) unless a
 * withdrawal took it, wait for a withdrawal or kick still using the
 * channel, then forget it; a withdrawn resource goes with it.
 */
static void res_unbind(struct copro_gh_msgq *mq, struct mq_res *res)
{
	struct copro_irq *irq;
	bool gone;

	copro_mutex_lock(&mq->lock);
	irq = irq_take_locked(res);
	copro_mutex_unlock(&mq->lock);
	if (irq)
		copro_irq_free(irq);
	copro_mutex_lock(&mq->lock);
	while (res->busy) {
		copro_mutex_unlock(&mq->lock);
		copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
		copro_mutex_lock(&mq->lock);
	}
	atomic_store(&res->chan, NULL);
	gone = atomic_load(&res->withdrawn);
	if (gone)
		res_unlink(mq, res);
	copro_mutex_unlock(&mq->lock);
	if (gone)
		res_free(res);
}

/* ---- interrupts ------------------------------------------------------ */

static void mq_tx_irq(void *ctx)
{
	struct mq_res *res = ctx;
	struct copro_mbox_chan *chan = atomic_load(&res->chan);

	/* Level, and kept asserted while there is room: off until needed. */
	copro_irq_disable(res->irq);
	res->mq->tx_irqs++;
	if (chan)
		copro_mbox_chan_tx_room(chan);
}

enum rx_took { RX_TOOK, RX_EMPTY, RX_FAILED };

/*
 * Take one message into res->buf and hand it over (rx_lock held). A
 * hypervisor error is logged with `then`, what the caller does about it.
 */
static enum rx_took rx_one(struct copro_gh_msgq *mq, struct mq_res *res,
			   struct copro_mbox_chan *chan, bool *more,
			   const char *then)
{
	size_t size = 0;
	int64_t e;

	*more = false;
	e = copro_gh_msgq_recv(mq->p, res->r.capid, res->buf, sizeof(res->buf),
			       &size, more);
	if (e == COPRO_GH_MSGQUEUE_EMPTY)
		return RX_EMPTY;
	if (e) {
		/* Said first: whoever sees the count may read the log. */
		copro_dev_err(&mq->ld,
			      "queue cap 0x%" PRIx64 " (virq %u): msgq_recv:"
			      " %s (%" PRId64 ")%s",
			      res->r.capid, res->r.virq, copro_gh_error_name(e),
			      e, then);
		mq->hyp_errors++;
		return RX_FAILED;
	}
	if (copro_mbox_chan_rx(chan, res->buf, size) < 0)
		copro_dev_dbg(&mq->ld,
			      "queue cap 0x%" PRIx64
			      ": a %zu-byte message found no client",
			      res->r.capid, size);
	return RX_TOOK;
}

static void mq_rx_irq(void *ctx)
{
	struct mq_res *res = ctx;
	struct copro_gh_msgq *mq = res->mq;
	struct copro_mbox_chan *chan = atomic_load(&res->chan);
	bool more = true;

	mq->rx_irqs++;
	if (!chan) {
		copro_irq_disable(res->irq);
		return;
	}
	copro_mutex_lock(&res->rx_lock);
	for (unsigned i = 0; more && i < RX_BATCH; i++) {
		if (!copro_mbox_chan_rx_room(chan)) {
			copro_irq_disable(res->irq);
			/* rx_resume may have run between the check and here. */
			if (!copro_mbox_chan_rx_room(chan))
				break;
			copro_irq_enable(res->irq);
		}
		/*
		 * On an error the line would stay asserted and the same error
		 * repeat: stop here, loudly; a kick (or rx_resume) retries.
		 */
		enum rx_took took = rx_one(mq, res, chan, &more,
					   ", receive interrupt disabled");

		if (took == RX_FAILED)
			copro_irq_disable(res->irq);
		if (took != RX_TOOK)
			break;
	}
	copro_mutex_unlock(&res->rx_lock);
}

/* ---- controller ops ----------------------------------------------------- */

/* The thresholds the client asked for, before anything flows. */
static int configure(struct copro_gh_msgq *mq, struct mq_res *res)
{
	bool tx = res->r.type == COPRO_GH_RSC_MSGQ_TX;
	uint32_t thres = tx ? res->o.not_full_thres : res->o.not_empty_thres;
	int64_t e;

	if (!thres)
		return 0;
	e = tx ? copro_gh_msgq_configure_send(mq->p, res->r.capid, thres,
					      COPRO_GH_MSGQ_UNCHANGED)
	       : copro_gh_msgq_configure_recv(mq->p, res->r.capid, thres,
					      COPRO_GH_MSGQ_UNCHANGED);
	if (e) {
		copro_dev_err(&mq->ld,
			      "queue cap 0x%" PRIx64 ": %s threshold %" PRIu32
			      " refused: %s",
			      res->r.capid, tx ? "not-full" : "not-empty",
			      thres, copro_gh_error_name(e));
		return copro_gh_errno(e);
	}
	return 0;
}

static int mq_startup(void *ctx, struct copro_mbox_chan *chan, uint64_t id,
		      unsigned *dir)
{
	struct copro_gh_msgq *mq = ctx;
	struct mq_res *res;
	bool tx;
	int ret;

	/* Claimed at once: a withdrawal from now on revokes the channel. */
	copro_mutex_lock(&mq->lock);
	res = res_find(mq, id);
	if (res && (res->withdrawn || atomic_load(&res->chan)))
		res = NULL;
	if (res)
		atomic_store(&res->chan, chan);
	copro_mutex_unlock(&mq->lock);
	if (!res) {
		copro_dev_err(&mq->ld,
			      "no message queue with capability 0x%" PRIx64
			      " was offered (copro_gh_msgq_add)",
			      id);
		return -ENOENT;
	}
	tx = res->r.type == COPRO_GH_RSC_MSGQ_TX;
	if (res->r.virq == COPRO_GH_VIRQ_NONE && !tx) {
		copro_dev_err(&mq->ld,
			      "receive queue cap 0x%" PRIx64
			      " has no interrupt: it cannot be bound",
			      id);
		ret = -ENXIO;
		goto undo;
	}
	ret = configure(mq, res);
	if (ret < 0)
		goto undo;
	copro_mbox_chan_set_priv(chan, res);
	if (res->r.virq != COPRO_GH_VIRQ_NONE) {
		/* The handle is in place before a handler can run. */
		ret = copro_irq_request(mq->p, res->r.virq,
					tx ? mq_tx_irq : mq_rx_irq, res,
					res->name, &res->irq);
		if (ret < 0) {
			copro_dev_err(&mq->ld,
				      "queue cap 0x%" PRIx64
				      ": cannot request virq %u: %s",
				      id, res->r.virq, copro_strerror(ret));
			goto undo;
		}
		/* TX: armed only when a send finds the queue full. */
		if (tx)
			copro_irq_disable(res->irq);
		copro_mutex_lock(&mq->lock);
		res->irq_owned = true;
		copro_mutex_unlock(&mq->lock);
	}
	*dir = tx ? COPRO_MBOX_DIR_TX : COPRO_MBOX_DIR_RX;
	return 0;
undo:
	res_unbind(mq, res);
	return ret;
}

static void mq_shutdown(void *ctx, struct copro_mbox_chan *chan)
{
	res_unbind(ctx, copro_mbox_chan_priv(chan));
}

static int mq_send(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		   size_t len)
{
	struct copro_gh_msgq *mq = ctx;
	struct mq_res *res = copro_mbox_chan_priv(chan);
	bool not_full = false;
	int64_t e;

	if (res->withdrawn)
		return -ENODEV;
	e = copro_gh_msgq_send(mq->p, res->r.capid, msg, len,
			       res->o.push ? COPRO_GH_MSGQ_SEND_PUSH : 0,
			       &not_full);
	if (e == COPRO_GH_OK && not_full)
		return 0;
	if (e == COPRO_GH_OK || e == COPRO_GH_MSGQUEUE_FULL) {
		if (e)
			mq->full++;
		irq_enable_owned(mq, res);
		return e ? -EBUSY : COPRO_MBOX_SENT_FULL;
	}
	copro_dev_err(&mq->ld,
		      "queue cap 0x%" PRIx64 ": msgq_send of %zu bytes: %s"
		      " (%" PRId64 ")",
		      res->r.capid, len, copro_gh_error_name(e), e);
	mq->hyp_errors++;
	return copro_gh_errno(e);
}

static void mq_rx_resume(void *ctx, struct copro_mbox_chan *chan)
{
	irq_enable_owned(ctx, copro_mbox_chan_priv(chan));
}

/*
 * A discard: what the queue holds now is taken here (the framework drops
 * it), at most a queue's depth, so a hypervisor that always says "not
 * empty" cannot hold the caller. A withdrawn queue holds nothing.
 */
static void mq_rx_sync(void *ctx, struct copro_mbox_chan *chan)
{
	struct copro_gh_msgq *mq = ctx;
	struct mq_res *res = copro_mbox_chan_priv(chan);
	bool more = true;

	if (atomic_load(&res->withdrawn))
		return;
	copro_mutex_lock(&res->rx_lock);
	for (unsigned i = 0; more && i < RX_BATCH; i++)
		if (!copro_mbox_chan_rx_room(chan) ||
		    rx_one(mq, res, chan, &more, ", while discarding") !=
			    RX_TOOK)
			break;
	copro_mutex_unlock(&res->rx_lock);
}

static const struct copro_mbox_controller_ops mq_ops = {
	.startup = mq_startup,
	.shutdown = mq_shutdown,
	.send = mq_send,
	.rx_resume = mq_rx_resume,
	.rx_sync = mq_rx_sync,
};

/* ---- resources ------------------------------------------------------------ */

int copro_gh_msgq_add(struct copro_gh_msgq *mq,
		      const struct copro_gh_resource *r,
		      const struct copro_gh_msgq_opts *opts)
{
	struct mq_res *res;
	int ret = 0;

	if (r->type != COPRO_GH_RSC_MSGQ_TX && r->type != COPRO_GH_RSC_MSGQ_RX) {
		copro_dev_err(&mq->ld,
			      "resource cap 0x%" PRIx64
			      " is of type %d, not a message queue",
			      r->capid, (int)r->type);
		return -EINVAL;
	}
	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	ret = copro_mutex_init(&res->rx_lock);
	if (ret < 0) {
		free(res);
		return ret;
	}
	res->mq = mq;
	res->r = *r;
	if (opts)
		res->o = *opts;
	atomic_init(&res->chan, NULL);
	snprintf(res->name, sizeof(res->name), "msgq-%s-0x%" PRIx64,
		 r->type == COPRO_GH_RSC_MSGQ_TX ? "tx" : "rx", r->capid);
	copro_mutex_lock(&mq->lock);
	if (res_find(mq, r->capid)) {
		ret = -EEXIST;
	} else {
		res->next = mq->res;
		mq->res = res;
	}
	copro_mutex_unlock(&mq->lock);
	if (ret < 0)
		res_free(res);
	return ret;
}

int copro_gh_msgq_del(struct copro_gh_msgq *mq, uint64_t capid)
{
	struct copro_mbox_chan *chan = NULL;
	struct copro_irq *irq = NULL;
	struct mq_res *res;

	copro_mutex_lock(&mq->lock);
	res = res_find(mq, capid);
	if (!res || res->withdrawn) {
		copro_mutex_unlock(&mq->lock);
		return -ENOENT;
	}
	chan = atomic_load(&res->chan);
	if (!chan) {
		res_unlink(mq, res);
		copro_mutex_unlock(&mq->lock);
		res_free(res);
		return 0;
	}
	/* Bound: the channel's unbinding frees the resource, after us. */
	atomic_store(&res->withdrawn, true);
	irq = irq_take_locked(res);
	res->busy++;
	copro_mutex_unlock(&mq->lock);
	if (irq)
		copro_irq_free(irq);
	/* The channel is the client's; what it waits for will never come. */
	copro_mbox_chan_revoke(chan, -ENODEV);
	copro_mutex_lock(&mq->lock);
	res->busy--;
	copro_mutex_unlock(&mq->lock);
	return 0;
}

int copro_gh_msgq_kick(struct copro_gh_msgq *mq, uint64_t capid)
{
	struct copro_mbox_chan *chan = NULL;
	struct mq_res *res;

	copro_mutex_lock(&mq->lock);
	res = res_find(mq, capid);
	if (res && !atomic_load(&res->withdrawn))
		chan = atomic_load(&res->chan);
	if (chan && res->r.type == COPRO_GH_RSC_MSGQ_RX) {
		/* The line back on: it fires at once if a message waits. */
		if (res->irq_owned)
			copro_irq_enable(res->irq);
		copro_mutex_unlock(&mq->lock);
		return 0;
	}
	if (chan)
		res->busy++;
	copro_mutex_unlock(&mq->lock);
	if (!chan)
		return -ENOENT;
	/* As if the interrupt had come: the framework sends again. */
	copro_mbox_chan_tx_room(chan);
	copro_mutex_lock(&mq->lock);
	res->busy--;
	copro_mutex_unlock(&mq->lock);
	return 0;
}

void copro_gh_msgq_get_stats(struct copro_gh_msgq *mq,
			     struct copro_gh_msgq_stats *out)
{
	out->full = mq->full;
	out->tx_irqs = mq->tx_irqs;
	out->rx_irqs = mq->rx_irqs;
	out->hyp_errors = mq->hyp_errors;
}

/* ---- probe ---------------------------------------------------------------- */

int copro_gh_msgq_probe(struct copro_platform *p, const char *name,
			struct copro_gh_msgq **out)
{
	struct copro_mbox_controller_desc d = {
		.node = -1,
		.ops = &mq_ops,
		.txdone = COPRO_MBOX_TXDONE_CREDIT,
		.mtu = COPRO_GH_MSGQ_MAX_MSG_SIZE - 1,
	};
	struct copro_gh_msgq *mq;
	int ret;

	*out = NULL;
	mq = calloc(1, sizeof(*mq));
	if (!mq)
		return -ENOMEM;
	mq->p = p;
	snprintf(mq->name, sizeof(mq->name), "%s",
		 name ? name : COPRO_GH_MSGQ_CONTROLLER);
	copro_logdev_init(&mq->ld, copro_platform_log(p), "%s", mq->name);
	ret = copro_mutex_init(&mq->lock);
	if (ret < 0) {
		free(mq);
		return ret;
	}
	d.name = mq->name;
	d.ctx = mq;
	ret = copro_mbox_controller_register(p, &d, &mq->ctrl);
	if (ret < 0) {
		copro_mutex_destroy(&mq->lock);
		free(mq);
		return ret;
	}
	*out = mq;
	return 0;
}

int copro_gh_msgq_remove(struct copro_gh_msgq *mq)
{
	int ret;

	if (!mq)
		return 0;
	/* A bound client keeps the controller, resources and all. */
	ret = copro_mbox_controller_unregister(mq->ctrl);
	if (ret < 0)
		return ret;
	while (mq->res) {
		struct mq_res *r = mq->res;

		mq->res = r->next;
		res_free(r);
	}
	copro_mutex_destroy(&mq->lock);
	free(mq);
	return 0;
}
