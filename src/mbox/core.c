/* SPDX-License-Identifier: MIT */
/*
 * The mailbox framework: controllers, binding channels to clients, the
 * per-controller worker, and unbinding.
 *
 * Controllers are found through the platform's provider table, the one
 * per-platform registry there is: one entry per controller, of kind
 * "mbox", under its devicetree node (what clients' "mboxes" name) and its
 * name (copro_mbox_request() at run time). A controller bound at run time
 * has a name and no node: the name space is the mailbox kind's own, not
 * a fake devicetree node. Every bound channel holds a reference on its
 * controller's entry, so a controller with clients cannot unregister.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>

#include "mbox/mbox_internal.h"

#define MBOX_NAME_MAX 64

/* How often copro_mbox_free re-checks for callbacks still running. */
#define FREE_RECHECK_NS COPRO_NSEC_PER_MSEC

const char *copro_mbox_txdone_name(enum copro_mbox_txdone mode)
{
	switch (mode) {
	case COPRO_MBOX_TXDONE_IRQ:
		return "irq";
	case COPRO_MBOX_TXDONE_POLL:
		return "poll";
	case COPRO_MBOX_TXDONE_ACK:
		return "ack";
	case COPRO_MBOX_TXDONE_CREDIT:
		return "credit";
	case COPRO_MBOX_TXDONE_SYNC:
		return "sync";
	}
	return "unknown";
}

/* ---- channel users ---------------------------------------------------- */

/*
 * Signal before dropping the count: once the count is zero, copro_mbox_free
 * may free the channel, so the decrement must be our last touch. The
 * waiter re-checks on a short period for the wake that came first.
 */
void mbox_chan_leave(struct copro_mbox_chan *chan, _Atomic uint32_t *users)
{
	if (atomic_load_explicit(&chan->shutting, memory_order_seq_cst))
		copro_event_signal(&chan->idle_ev);
	atomic_fetch_sub_explicit(users, 1, memory_order_seq_cst);
}

/* No client call inside the channel, and (all) no handler either. */
static bool chan_idle(struct copro_mbox_chan *chan, bool all)
{
	return !atomic_load(&chan->api_users) &&
	       (!all || !atomic_load(&chan->irq_users));
}

static void chan_wait_idle(struct copro_mbox_chan *chan, bool all)
{
	for (;;) {
		uint32_t key = copro_event_prepare(&chan->idle_ev);

		if (chan_idle(chan, all))
			return;
		copro_event_wait(&chan->idle_ev, key, FREE_RECHECK_NS,
				 COPRO_SPIN_DEFAULT_NS);
	}
}

/* ---- the worker --------------------------------------------------------- */

/*
 * Producers publish their work (a store) before kicking; the worker parks
 * (a store) before its last look. With a full fence on both sides, either
 * the worker's last look sees the work or the producer sees it parked.
 */
void mbox_ctrl_kick(struct copro_mbox_controller *ctrl)
{
	if (!ctrl->has_worker)
		return;
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&ctrl->worker_parked, memory_order_relaxed))
		copro_event_signal(&ctrl->wake);
}

/*
 * One pass over the channels: deliver deferred messages and poll TX
 * completion. The channel list lock is dropped around the work (client
 * callbacks may bind or free other channels); the user count keeps the
 * channel, and so its place in the list, alive meanwhile. Returns the
 * messages delivered; *polling says whether a POLL channel still waits.
 */
static unsigned worker_pass(struct copro_mbox_controller *ctrl, bool *polling)
{
	unsigned delivered = 0;

	*polling = false;
	copro_mutex_lock(&ctrl->lock);
	for (struct copro_mbox_chan *chan = ctrl->chans; chan;) {
		bool rx = mbox_rx_pending(chan);
		bool tx = atomic_load(&chan->tx_polling);

		if ((!rx && !tx) || !mbox_chan_enter(chan, &chan->api_users)) {
			chan = chan->next;
			continue;
		}
		copro_mutex_unlock(&ctrl->lock);
		if (rx)
			delivered += mbox_rx_drain(chan);
		if (tx && mbox_tx_poll(chan))
			*polling = true;
		copro_mutex_lock(&ctrl->lock);

		struct copro_mbox_chan *next = chan->next;

		mbox_chan_leave(chan, &chan->api_users);
		chan = next;
	}
	copro_mutex_unlock(&ctrl->lock);
	return delivered;
}

static void *worker_main(void *arg)
{
	struct copro_mbox_controller *ctrl = arg;
	bool polling;

	while (!atomic_load(&ctrl->stop)) {
		uint32_t key = copro_event_prepare(&ctrl->wake);

		if (worker_pass(ctrl, &polling))
			continue;
		atomic_store(&ctrl->worker_parked, true);
		atomic_thread_fence(memory_order_seq_cst);
		/* The last look, now that producers will signal. */
		if (!worker_pass(ctrl, &polling) && !atomic_load(&ctrl->stop)) {
			/* Spinning first: a reply soon costs no system call. */
			copro_event_wait(&ctrl->wake, key,
					 polling ? (int64_t)ctrl->poll_ns
						 : COPRO_FOREVER,
					 COPRO_SPIN_DEFAULT_NS);
		}
		atomic_store(&ctrl->worker_parked, false);
	}
	return NULL;
}

/* ---- controllers -------------------------------------------------------- */

static int desc_check(struct copro_platform *p,
		      const struct copro_mbox_controller_desc *d)
{
	struct copro_log *log = copro_platform_log(p);
	const char *name = d->name ? d->name : "(unnamed)";
	const char *why = NULL;

	if (!d->name || !d->name[0])
		why = "has no name";
	else if (strlen(d->name) >= MBOX_NAME_MAX)
		why = "has a name too long";
	else if (!d->ops || !d->ops->startup)
		why = "has no startup op";
	else if ((unsigned)d->txdone > COPRO_MBOX_TXDONE_SYNC)
		why = "has an unknown TX completion mode";
	else if (d->txdone == COPRO_MBOX_TXDONE_POLL && !d->ops->last_tx_done)
		why = "polls TX completion without a last_tx_done op";
	else if (d->mtu > MBOX_MAX_MTU)
		why = "has an MTU above 64 KiB";
	else if (!d->mtu && !d->doorbell)
		why = "has an MTU of 0 and no doorbells";
	if (!why)
		return 0;
	copro_logf(log, COPRO_LOG_ERR, "mbox",
		   "controller %s (node %d, %s mode, MTU %zu): %s", name,
		   d->node, copro_mbox_txdone_name(d->txdone), d->mtu, why);
	return -EINVAL;
}

int copro_mbox_controller_register(struct copro_platform *p,
				   const struct copro_mbox_controller_desc *d,
				   struct copro_mbox_controller **out)
{
	struct copro_mbox_controller *ctrl;
	char path[256];
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!p || !d)
		return -EINVAL;
	ret = desc_check(p, d);
	if (ret < 0)
		return ret;

	ctrl = calloc(1, sizeof(*ctrl));
	if (!ctrl)
		return -ENOMEM;
	ctrl->name = strdup(d->name);
	if (!ctrl->name) {
		free(ctrl);
		return -ENOMEM;
	}
	ctrl->p = p;
	ctrl->d = *d;
	ctrl->d.name = ctrl->name;
	ctrl->poll_ns = d->poll_ns ? d->poll_ns : MBOX_DEFAULT_POLL_NS;
	copro_logdev_init(&ctrl->ld, copro_platform_log(p), "mbox:%s",
			  ctrl->d.name);
	copro_event_init(&ctrl->wake);
	atomic_init(&ctrl->stop, false);
	ret = copro_mutex_init(&ctrl->lock);
	if (ret < 0)
		goto err_free;

	/* Checked first for a clear message; the register below decides. */
	ret = copro_platform_provider_find_named(p, COPRO_MBOX_PROVIDER,
						 ctrl->name)
		      ? -EEXIST
		      : copro_platform_provider_register(
				p, &(struct copro_provider_desc){
					   .kind = COPRO_MBOX_PROVIDER,
					   .node = d->node >= 0 ? d->node : -1,
					   .name = ctrl->name,
					   .provider = ctrl,
				   });
	if (ret == -EEXIST &&
	    copro_platform_provider_find_named(p, COPRO_MBOX_PROVIDER,
					       ctrl->name)) {
		copro_dev_err(&ctrl->ld,
			      "cannot register: the name \"%s\" is taken (%s)",
			      ctrl->d.name, copro_strerror(ret));
		goto err_mutex;
	}
	if (ret < 0) {
		copro_dev_err(&ctrl->ld, "cannot register for %s: %s",
			      d->node >= 0
				      ? copro_dt_node_path(copro_platform_dt(p),
							   d->node, path,
							   sizeof(path))
				      : "(no node)",
			      copro_strerror(ret));
		goto err_mutex;
	}
	if (copro_platform_threaded(p)) {
		char tname[16];

		snprintf(tname, sizeof(tname), "mbox-%s", ctrl->d.name);
		ret = copro_thread_start(&ctrl->worker, tname, worker_main,
					 ctrl);
		if (ret < 0) {
			copro_dev_err(&ctrl->ld, "cannot start the worker: %s",
				      copro_strerror(ret));
			goto err_provider;
		}
		ctrl->has_worker = true;
	}
	copro_dev_dbg(&ctrl->ld, "registered: %s mode, MTU %zu%s",
		      copro_mbox_txdone_name(d->txdone), d->mtu,
		      d->doorbell ? ", doorbells" : "");
	*out = ctrl;
	return 0;

err_provider:
	copro_platform_provider_unregister(p, COPRO_MBOX_PROVIDER, ctrl);
err_mutex:
	copro_mutex_destroy(&ctrl->lock);
err_free:
	free(ctrl->name);
	free(ctrl);
	return ret;
}

int copro_mbox_controller_unregister(struct copro_mbox_controller *ctrl)
{
	unsigned bound = 0;
	uint64_t first = 0;
	int ret;

	if (!ctrl)
		return 0;
	copro_mutex_lock(&ctrl->lock);
	for (struct copro_mbox_chan *c = ctrl->chans; c; c = c->next) {
		first = c->id;
		bound++;
	}
	copro_mutex_unlock(&ctrl->lock);
	if (bound) {
		/* Freeing now would leave clients holding dangling channels. */
		copro_dev_err(&ctrl->ld,
			      "cannot unregister: %u channel(s) still bound"
			      " (channel %" PRIu64 "); free them first",
			      bound, first);
		return -EBUSY;
	}
	/* A bind in progress holds a reference too: then this refuses. */
	ret = copro_platform_provider_unregister(ctrl->p, COPRO_MBOX_PROVIDER,
						 ctrl);
	if (ret < 0)
		return ret;
	if (ctrl->has_worker) {
		atomic_store(&ctrl->stop, true);
		copro_event_signal(&ctrl->wake);
		copro_thread_join(&ctrl->worker);
	}
	copro_dev_dbg(&ctrl->ld, "unregistered");
	copro_mutex_destroy(&ctrl->lock);
	free(ctrl->name);
	free(ctrl);
	return 0;
}

/* ---- binding -------------------------------------------------------------- */

static void chan_destroy(struct copro_mbox_chan *chan)
{
	mbox_rx_fini(chan);
	mbox_tx_fini(chan);
	free(chan);
}

static int client_check(struct copro_mbox_controller *ctrl,
			const struct copro_mbox_client *cl, uint64_t id)
{
	const char *why = NULL;

	if (cl->rx_mode != COPRO_MBOX_RX_DEFERRED &&
	    cl->rx_mode != COPRO_MBOX_RX_IRQ)
		why = "unknown rx_mode";
	else if (cl->rx_early && cl->rx_mode != COPRO_MBOX_RX_DEFERRED)
		why = "rx_early without deferred rx_mode";
	else if (cl->rx_ring > MBOX_MAX_ENTRIES)
		why = "rx_ring above 2^20 entries";
	else if (cl->tx_queue > MBOX_MAX_ENTRIES)
		why = "tx_queue above 2^20 entries";
	if (!why)
		return 0;
	copro_dev_err(&ctrl->ld, "channel %" PRIu64 ": client has %s", id,
		      why);
	return -EINVAL;
}

static void chan_unlink(struct copro_mbox_chan *chan)
{
	struct copro_mbox_controller *ctrl = chan->ctrl;

	copro_mutex_lock(&ctrl->lock);
	for (struct copro_mbox_chan **pp = &ctrl->chans; *pp;
	     pp = &(*pp)->next) {
		if (*pp == chan) {
			*pp = chan->next;
			break;
		}
	}
	copro_mutex_unlock(&ctrl->lock);
}

/* Stop everything that could still call into a channel, in order. */
static void chan_quiesce(struct copro_mbox_chan *chan)
{
	struct copro_mbox_controller *ctrl = chan->ctrl;

	/* Under tx_lock: no pump hands the controller anything after this. */
	copro_mutex_lock(&chan->tx_lock);
	atomic_store(&chan->shutting, true);
	copro_mutex_unlock(&chan->tx_lock);
	copro_event_signal(&chan->tx_ev);
	/*
	 * A client call already inside may still be in one of the
	 * controller's ops (send, call, rx_resume, rx_sync), which may use
	 * what shutdown frees: wait it out first. Handlers run on until
	 * shutdown stops them; one that enters now finds the channel
	 * shutting.
	 */
	chan_wait_idle(chan, false);
	if (ctrl->d.ops->shutdown)
		ctrl->d.ops->shutdown(ctrl->d.ctx, chan);
	chan_wait_idle(chan, true);
}

static int chan_bind(struct copro_mbox_controller *ctrl, uint64_t id,
		     const struct copro_mbox_client *cl,
		     struct copro_mbox_chan **out)
{
	const struct copro_mbox_controller_ops *ops = ctrl->d.ops;
	struct copro_mbox_chan *chan;
	unsigned dir = 0;
	const char *why = NULL;
	int ret = client_check(ctrl, cl, id);

	if (ret < 0)
		return ret;
	chan = calloc(1, sizeof(*chan));
	if (!chan)
		return -ENOMEM;
	chan->ctrl = ctrl;
	chan->cl = *cl;
	chan->id = id;
	chan->mtu = ctrl->d.mtu;
	chan->txdone = ctrl->d.txdone;
	copro_event_init(&chan->idle_ev);
	ret = mbox_tx_init(chan, cl->tx_queue ? cl->tx_queue
					      : COPRO_MBOX_DEFAULT_QUEUE);
	if (ret < 0) {
		free(chan);
		return ret;
	}
	/*
	 * Everything exists before startup: the controller may enable its
	 * interrupt there, and a message may arrive at once.
	 */
	if (cl->rx && cl->rx_mode == COPRO_MBOX_RX_DEFERRED)
		ret = mbox_rx_init(chan, cl->rx_ring ? cl->rx_ring
						     : COPRO_MBOX_DEFAULT_QUEUE);
	if (ret < 0) {
		chan_destroy(chan);
		return ret;
	}

	/* Listing the channel reserves its id. */
	copro_mutex_lock(&ctrl->lock);
	for (struct copro_mbox_chan *c = ctrl->chans; c; c = c->next) {
		if (c->id == id) {
			ret = -EBUSY;
			break;
		}
	}
	if (!ret) {
		chan->next = ctrl->chans;
		ctrl->chans = chan;
	}
	copro_mutex_unlock(&ctrl->lock);
	if (ret < 0) {
		copro_dev_dbg(&ctrl->ld, "channel %" PRIu64 " is already bound",
			      id);
		chan_destroy(chan);
		return ret;
	}

	/*
	 * The client's handle before startup: a message that arrives at
	 * once reaches a callback that may already answer through it.
	 */
	*out = chan;
	ret = ops->startup(ctrl->d.ctx, chan, id, &dir);
	if (ret < 0) {
		*out = NULL;
		copro_dev_dbg(&ctrl->ld, "channel %" PRIu64 ": startup: %s", id,
			      copro_strerror(ret));
		/* Whatever the controller delivered meanwhile must be over. */
		atomic_store(&chan->shutting, true);
		chan_wait_idle(chan, true);
		chan_unlink(chan);
		chan_destroy(chan);
		return ret;
	}
	if (!dir || (dir & ~(unsigned)COPRO_MBOX_DIR_BIDI))
		why = "reported no valid direction";
	else if ((dir & COPRO_MBOX_DIR_TX) && !ops->send)
		why = "can send but the controller has no send op";
	else if ((dir & COPRO_MBOX_DIR_RX) && !cl->rx)
		why = "can receive but the client has no rx callback";
	if (why) {
		copro_dev_err(&ctrl->ld, "channel %" PRIu64 " (dir 0x%x): %s",
			      id, dir, why);
		*out = NULL;
		chan_quiesce(chan);
		chan_unlink(chan);
		chan_destroy(chan);
		return -EINVAL;
	}
	atomic_store_explicit(&chan->dir, dir, memory_order_release);
	copro_dev_dbg(&ctrl->ld, "channel %" PRIu64 " bound (%s%s)", id,
		      dir & COPRO_MBOX_DIR_TX ? "tx" : "",
		      dir & COPRO_MBOX_DIR_RX ? "rx" : "");
	return 0;
}

/* Binds on a controller the caller holds a reference on; drops it on failure. */
static int bind_held(struct copro_mbox_controller *ctrl, uint64_t id,
		     const struct copro_mbox_client *cl,
		     struct copro_mbox_chan **out)
{
	int ret = chan_bind(ctrl, id, cl, out);

	if (ret < 0)
		copro_platform_provider_put(ctrl->p, COPRO_MBOX_PROVIDER, ctrl);
	return ret;
}

int copro_mbox_request(struct copro_platform *p, const char *controller,
		       uint64_t chan_id, const struct copro_mbox_client *cl,
		       struct copro_mbox_chan **out)
{
	struct copro_mbox_controller *ctrl;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!p || !controller || !cl)
		return -EINVAL;
	if (strlen(controller) >= MBOX_NAME_MAX)
		return -ENODEV;
	ctrl = copro_platform_provider_get_named(p, COPRO_MBOX_PROVIDER,
						 controller);
	if (!ctrl) {
		copro_logf(copro_platform_log(p), COPRO_LOG_DEBUG, "mbox",
			   "no mailbox controller named \"%s\" (yet)",
			   controller);
		return -ENODEV;
	}
	return bind_held(ctrl, chan_id, cl, out);
}

int copro_mbox_request_dt(struct copro_platform *p, int client_node,
			  const char *name, unsigned index,
			  const struct copro_mbox_client *cl,
			  struct copro_mbox_chan **out)
{
	const struct copro_dt *dt;
	struct copro_mbox_controller *ctrl;
	struct copro_dt_ref ref;
	uint64_t id;
	char path[256];
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!p || !cl)
		return -EINVAL;
	dt = copro_platform_dt(p);
	if (name) {
		ret = copro_dt_string_index(dt, client_node, "mbox-names",
					    name);
		if (ret < 0)
			return ret;
		index = (unsigned)ret;
	}
	ret = copro_dt_ref(dt, client_node, "mboxes", "#mbox-cells", index,
			   &ref);
	if (ret < 0)
		return ret;
	ctrl = copro_platform_provider_get(p, COPRO_MBOX_PROVIDER, ref.node);
	if (!ctrl) {
		/* Usually a probe-order matter: the caller may retry later. */
		copro_logf(copro_platform_log(p), COPRO_LOG_DEBUG, "mbox",
			   "%s: %s: mboxes entry %u: no controller registered"
			   " for %s (yet)",
			   copro_dt_name(dt),
			   copro_dt_node_path(dt, client_node, path,
					      sizeof(path)),
			   index, copro_dt_node_name(dt, ref.node));
		return -ENODEV;
	}
	if (ctrl->d.ops->xlate) {
		ret = ctrl->d.ops->xlate(ctrl->d.ctx, ref.args, ref.nargs, &id);
		if (ret < 0) {
			copro_dev_err(&ctrl->ld,
				      "%s: %s: mboxes entry %u (%u cells):"
				      " cannot translate: %s",
				      copro_dt_name(dt),
				      copro_dt_node_path(dt, client_node, path,
							 sizeof(path)),
				      index, ref.nargs, copro_strerror(ret));
			copro_platform_provider_put(p, COPRO_MBOX_PROVIDER,
						    ctrl);
			return ret;
		}
	} else {
		id = ref.nargs ? ref.args[0] : 0;
	}
	return bind_held(ctrl, id, cl, out);
}

void copro_mbox_free(struct copro_mbox_chan *chan)
{
	struct copro_mbox_controller *ctrl;
	uint32_t dropped;

	if (!chan)
		return;
	chan_quiesce(chan);
	mbox_tx_cancel(chan);
	dropped = mbox_rx_undelivered(chan);
	if (dropped)
		copro_dev_info(&chan->ctrl->ld,
			       "channel %" PRIu64 ": unbound with %" PRIu32
			       " received messages undelivered",
			       chan->id, dropped);
	chan_unlink(chan);
	copro_dev_dbg(&chan->ctrl->ld, "channel %" PRIu64 " unbound",
		      chan->id);
	ctrl = chan->ctrl;
	chan_destroy(chan);
	/* The channel's reference: the controller may go now. */
	copro_platform_provider_put(ctrl->p, COPRO_MBOX_PROVIDER, ctrl);
}

/* ---- accessors -------------------------------------------------------------- */

size_t copro_mbox_mtu(const struct copro_mbox_chan *chan)
{
	return chan->mtu;
}

unsigned copro_mbox_dir(const struct copro_mbox_chan *chan)
{
	return atomic_load_explicit(&chan->dir, memory_order_acquire);
}

enum copro_mbox_txdone copro_mbox_txdone_mode(const struct copro_mbox_chan *chan)
{
	return chan->txdone;
}

uint64_t copro_mbox_chan_id(const struct copro_mbox_chan *chan)
{
	return chan->id;
}

void copro_mbox_chan_set_priv(struct copro_mbox_chan *chan, void *priv)
{
	chan->priv = priv;
}

void *copro_mbox_chan_priv(const struct copro_mbox_chan *chan)
{
	return chan->priv;
}

void copro_mbox_get_stats(const struct copro_mbox_chan *chan,
			  struct copro_mbox_stats *out)
{
	/* The counters are atomics; reading them needs no lock. */
	struct copro_mbox_chan *c = (struct copro_mbox_chan *)chan;

	out->sent = atomic_load_explicit(&c->sent, memory_order_relaxed);
	out->tx_done =
		atomic_load_explicit(&c->tx_done_count, memory_order_relaxed);
	out->rx_early =
		atomic_load_explicit(&c->rx_early, memory_order_relaxed);
	out->received =
		atomic_load_explicit(&c->received, memory_order_relaxed) +
		out->rx_early;
	out->backpressure =
		atomic_load_explicit(&c->backpressure, memory_order_relaxed);
	out->rx_stalls =
		atomic_load_explicit(&c->rx_stalls, memory_order_relaxed);
	out->rx_discarded = atomic_load(&c->rx_discarded_ring) +
			    atomic_load(&c->rx_discarded_irq);
	out->rx_worker =
		atomic_load_explicit(&c->rx_worker, memory_order_relaxed);
}
