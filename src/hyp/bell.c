// SPDX-License-Identifier: MIT
/*
 * Gunyah doorbells as a mailbox controller of signal-only channels.
 *
 * A doorbell is 64 flag bits with no payload and no acknowledgement, so a
 * channel is either one flag bit (a zero-length message rings it) or the
 * whole mask for a single client (8-byte flag words), the client's choice
 * at bind time; the two do not mix on one doorbell.
 *
 * TX (BELL_TX): SYNC, the bell_send hypercall is the whole transfer;
 * copro_mbox_call returns the flags as they were before.
 * RX (BELL_RX): the receiver's enable mask is exactly the bits clients
 * have bound, so an unbound bit never interrupts; the level interrupt
 * takes those bits with bell_recv (clearing them, which deasserts the
 * line) and delivers one signal per set bit, or the word to the whole-mask
 * client. It only takes flags when every bound channel has room. A
 * discard (rx_sync) takes its channel's flags from the discarding thread;
 * the resource's rx_lock makes it wait for flags the handler has taken
 * but not yet delivered. A pass holds that lock over the deliveries, so a
 * client's interrupt-context rx must not unbind another channel of the
 * same doorbell (its own it never may).
 *
 * A withdrawal (del) and the unbinding of any of the doorbell's channels
 * may come at once from several threads. The controller's lock decides
 * who frees the line (the first to take it); each keeps the resource
 * alive while it works unlocked (busy), an unbinding waits for a
 * withdrawal still revoking the channels before it lets its channel go,
 * and whoever leaves a withdrawn resource unused frees it.
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

#define CAPID_MAX (1ull << 57)

struct bell_res {
	struct bell_res *next;
	struct copro_gh_bell *db;
	struct copro_gh_resource r;
	_Atomic bool withdrawn;
	/* The line: the handler's while it runs; others' while owned. */
	struct copro_irq *irq;
	bool irq_owned;	   /* requested, not yet taken to be freed */
	unsigned busy;	   /* dels and unbindings working unlocked */
	unsigned revoking; /* dels revoking the bound channels */
	/*
	 * Bound channels, under db->lock, as are irq_owned, busy and
	 * revoking; the handler reads the channels too.
	 */
	struct copro_mbox_chan *_Atomic bits[64];
	struct copro_mbox_chan *_Atomic all;
	struct copro_mutex rx_lock; /* from bell_recv to the delivery */
	unsigned nbound;
	_Atomic uint64_t mask; /* the bound bits; written under db->lock */
	char name[48];
};

struct copro_gh_bell {
	struct copro_platform *p;
	struct copro_logdev ld;
	struct copro_mbox_controller *ctrl;
	struct copro_mutex lock; /* the list, and what bell_res says */
	struct bell_res *res;
	char name[64];
};

static struct bell_res *res_find(struct copro_gh_bell *db, uint64_t capid)
{
	for (struct bell_res *r = db->res; r; r = r->next)
		if (r->r.capid == capid)
			return r;
	return NULL;
}

static void res_unlink(struct copro_gh_bell *db, struct bell_res *res)
{
	for (struct bell_res **pp = &db->res; *pp; pp = &(*pp)->next)
		if (*pp == res) {
			*pp = res->next;
			return;
		}
}

static void res_free(struct bell_res *res)
{
	copro_mutex_destroy(&res->rx_lock);
	free(res);
}

static unsigned chan_bit(uint64_t id)
{
	return (unsigned)(id & 0x7f) ? (unsigned)(id & 0x7f) - 1
				     : COPRO_GH_BELL_ALL;
}

/* ---- receive ----------------------------------------------------------- */

static bool all_have_room(struct bell_res *res)
{
	struct copro_mbox_chan *all = atomic_load(&res->all);

	if (all)
		return copro_mbox_chan_rx_room(all);
	for (unsigned b = 0; b < 64; b++) {
		struct copro_mbox_chan *c = atomic_load(&res->bits[b]);

		if (c && !copro_mbox_chan_rx_room(c))
			return false;
	}
	return true;
}

/*
 * One pass (rx_lock held, so that an unbinding, which takes the lock
 * once its bit is clear, knows no pass still holds its channel).
 */
static void bell_take_locked(struct bell_res *res)
{
	struct copro_gh_bell *db = res->db;
	struct copro_mbox_chan *all = atomic_load(&res->all);
	uint64_t old = 0, flags;
	int64_t e;

	if (!all_have_room(res)) {
		copro_irq_disable(res->irq);
		if (!all_have_room(res))
			return;
		copro_irq_enable(res->irq);
	}
	/* Only the bits someone listens to; the enable mask is the same. */
	uint64_t mask = all ? ~0ull : atomic_load(&res->mask);

	/*
	 * None (the last channel is going, or binding has not set its
	 * bit yet): nothing to take, nobody to tell; off until a bind.
	 */
	if (!mask) {
		copro_irq_disable(res->irq);
		/* A bind may have set its bit and enabled the line since. */
		if (atomic_load(&res->mask) || atomic_load(&res->all))
			copro_irq_enable(res->irq);
		return;
	}
	e = copro_gh_bell_recv(db->p, res->r.capid, mask, &old);
	if (e) {
		copro_dev_err(&db->ld,
			      "doorbell cap 0x%" PRIx64 " (virq %u): bell_recv:"
			      " %s (%" PRId64 "), interrupt disabled",
			      res->r.capid, res->r.virq,
			      copro_gh_error_name(e), e);
		copro_irq_disable(res->irq);
		return;
	}
	if (all) {
		if (old)
			copro_mbox_chan_rx(all, &old, sizeof(old));
		return;
	}
	flags = old & mask;
	for (unsigned b = 0; flags && b < 64; b++) {
		struct copro_mbox_chan *c = atomic_load(&res->bits[b]);

		if ((flags >> b & 1) && c)
			copro_mbox_chan_rx(c, NULL, 0);
	}
}

static void bell_irq(void *ctx)
{
	struct bell_res *res = ctx;

	copro_mutex_lock(&res->rx_lock);
	bell_take_locked(res);
	copro_mutex_unlock(&res->rx_lock);
}

/* The receiver hears exactly the bound bits. */
static int rx_mask(struct copro_gh_bell *db, struct bell_res *res)
{
	uint64_t mask = atomic_load(&res->mask);
	int64_t e = copro_gh_bell_mask(db->p, res->r.capid, mask, 0);

	/* A doorbell that is gone has nothing left to mask. */
	if (e == COPRO_GH_CSPACE_CAP_REVOKED && !res->nbound)
		return 0;
	if (e)
		copro_dev_err(&db->ld,
			      "doorbell cap 0x%" PRIx64 ": bell_mask(0x%016" PRIx64
			      "): %s",
			      res->r.capid, mask, copro_gh_error_name(e));
	return copro_gh_errno(e);
}

/* ---- controller ops ------------------------------------------------------ */

/* The line, to whoever frees it: the first to ask (db->lock held). */
static struct copro_irq *irq_take_locked(struct bell_res *res)
{
	struct copro_irq *irq = res->irq_owned ? res->irq : NULL;

	res->irq_owned = false;
	return irq;
}

/*
 * A withdrawn resource nobody uses any more leaves the list (db->lock
 * held): true when the caller is to free it, unlocked.
 */
static bool res_done_locked(struct copro_gh_bell *db, struct bell_res *res)
{
	if (!atomic_load(&res->withdrawn) || res->nbound || res->busy)
		return false;
	res_unlink(db, res);
	return true;
}

/*
 * Forget one channel (db->lock held). The last one takes the line with
 * it (returned, for the caller to free unlocked: freeing waits for a
 * running handler).
 */
static struct copro_irq *unbind_locked(struct bell_res *res, unsigned bit)
{
	if (bit == COPRO_GH_BELL_ALL) {
		atomic_store(&res->all, NULL);
		atomic_store(&res->mask, 0);
	} else {
		atomic_store(&res->bits[bit], NULL);
		atomic_fetch_and(&res->mask, ~(1ull << bit));
	}
	return --res->nbound ? NULL : irq_take_locked(res);
}

/*
 * The resource behind `capid` for a new channel (db->lock held), once no
 * unbinding is still freeing its line: NULL if there is none to bind.
 */
static struct bell_res *res_for_bind(struct copro_gh_bell *db, uint64_t capid)
{
	for (;;) {
		struct bell_res *res = res_find(db, capid);

		if (!res || atomic_load(&res->withdrawn))
			return NULL;
		if (res->irq_owned || !res->busy)
			return res;
		copro_mutex_unlock(&db->lock);
		copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
		copro_mutex_lock(&db->lock);
	}
}

static int db_startup(void *ctx, struct copro_mbox_chan *chan, uint64_t id,
		      unsigned *dir)
{
	struct copro_gh_bell *db = ctx;
	uint64_t capid = id >> 7;
	unsigned bit = chan_bit(id);
	struct copro_irq *irq = NULL;
	struct bell_res *res;
	bool rx, undo = false;
	int ret = 0;

	copro_mutex_lock(&db->lock);
	res = res_for_bind(db, capid);
	if (!res) {
		copro_mutex_unlock(&db->lock);
		copro_dev_err(&db->ld,
			      "no doorbell with capability 0x%" PRIx64
			      " was offered (copro_gh_bell_add)",
			      capid);
		return -ENOENT;
	}
	rx = res->r.type == COPRO_GH_RSC_BELL_RX;
	if (atomic_load(&res->all) ||
	    (bit == COPRO_GH_BELL_ALL && res->nbound) ||
	    (bit < 64 && atomic_load(&res->bits[bit])))
		ret = -EBUSY;
	if (!ret && rx && res->r.virq == COPRO_GH_VIRQ_NONE)
		ret = -ENXIO;
	if (!ret) {
		if (bit == COPRO_GH_BELL_ALL) {
			atomic_store(&res->all, chan);
			atomic_store(&res->mask, ~0ull);
		} else {
			atomic_store(&res->bits[bit], chan);
			atomic_fetch_or(&res->mask, 1ull << bit);
		}
		res->nbound++;
		if (rx)
			ret = rx_mask(db, res);
		/*
		 * The line last, once the bits it serves are set: it may fire
		 * at once (a flag raised before the bind).
		 */
		if (!ret && rx && !res->irq_owned) {
			ret = copro_irq_request(db->p, res->r.virq, bell_irq,
						res, res->name, &res->irq);
			res->irq_owned = !ret;
		} else if (!ret && rx) {
			/* A line the last bitless pass turned off. */
			copro_irq_enable(res->irq);
		}
		if (ret < 0) {
			irq = unbind_locked(res, bit);
			undo = true;
			res->busy++;
		}
	}
	copro_mutex_unlock(&db->lock);
	/*
	 * A failed bind leaves nothing behind: the framework frees chan,
	 * which a pass may have read (see db_shutdown).
	 */
	if (undo) {
		copro_mutex_lock(&res->rx_lock);
		copro_mutex_unlock(&res->rx_lock);
		if (irq)
			copro_irq_free(irq);
		copro_mutex_lock(&db->lock);
		res->busy--;
		copro_mutex_unlock(&db->lock);
	}
	if (ret < 0) {
		copro_dev_err(&db->ld,
			      "doorbell cap 0x%" PRIx64 " %s %u: cannot bind: %s",
			      capid, bit == COPRO_GH_BELL_ALL ? "mask" : "bit",
			      bit, copro_strerror(ret));
		return ret;
	}
	copro_mbox_chan_set_priv(chan, res);
	*dir = rx ? COPRO_MBOX_DIR_RX : COPRO_MBOX_DIR_TX;
	return 0;
}

static void db_shutdown(void *ctx, struct copro_mbox_chan *chan)
{
	struct copro_gh_bell *db = ctx;
	struct bell_res *res = copro_mbox_chan_priv(chan);
	unsigned bit = chan_bit(copro_mbox_chan_id(chan));
	struct copro_irq *irq;
	bool gone;

	if (!res)
		return;
	copro_mutex_lock(&db->lock);
	irq = unbind_locked(res, bit);
	if (res->r.type == COPRO_GH_RSC_BELL_RX &&
	    !atomic_load(&res->withdrawn))
		rx_mask(db, res);
	res->busy++;
	copro_mutex_unlock(&db->lock);
	/*
	 * A pass of the handler may still hold this channel, its bit read
	 * before we cleared it: wait it out (freeing the line, when this
	 * was the last channel, waits too).
	 */
	copro_mutex_lock(&res->rx_lock);
	copro_mutex_unlock(&res->rx_lock);
	if (irq)
		copro_irq_free(irq);
	copro_mutex_lock(&db->lock);
	/* A withdrawal may be revoking this very channel: let it finish. */
	while (res->revoking) {
		copro_mutex_unlock(&db->lock);
		copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
		copro_mutex_lock(&db->lock);
	}
	res->busy--;
	gone = res_done_locked(db, res);
	copro_mutex_unlock(&db->lock);
	if (gone)
		res_free(res);
}

static int ring(struct copro_gh_bell *db, struct copro_mbox_chan *chan,
		const void *msg, size_t len, uint64_t *old)
{
	struct bell_res *res = copro_mbox_chan_priv(chan);
	unsigned bit = chan_bit(copro_mbox_chan_id(chan));
	uint64_t flags;
	int64_t e;

	if (atomic_load(&res->withdrawn))
		return -ENODEV;
	if (bit == COPRO_GH_BELL_ALL) {
		if (len != sizeof(flags))
			return -EINVAL;
		memcpy(&flags, msg, sizeof(flags));
	} else {
		if (len)
			return -EINVAL;
		flags = 1ull << bit;
	}
	e = copro_gh_bell_send(db->p, res->r.capid, flags, old);
	if (e)
		copro_dev_err(&db->ld,
			      "doorbell cap 0x%" PRIx64 ": bell_send(0x%016" PRIx64
			      "): %s",
			      res->r.capid, flags, copro_gh_error_name(e));
	return copro_gh_errno(e);
}

static int db_send(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		   size_t len)
{
	uint64_t old;

	return ring(ctx, chan, msg, len, &old);
}

static int db_call(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		   size_t len, void *reply, size_t *reply_len)
{
	uint64_t old = 0;
	int ret = ring(ctx, chan, msg, len, &old);

	if (ret == 0 && reply && *reply_len >= sizeof(old))
		memcpy(reply, &old, sizeof(old));
	*reply_len = sizeof(old);
	return ret;
}

/* Not once a withdrawal has taken the line to free it. */
static void db_rx_resume(void *ctx, struct copro_mbox_chan *chan)
{
	struct copro_gh_bell *db = ctx;
	struct bell_res *res = copro_mbox_chan_priv(chan);

	if (!res)
		return;
	copro_mutex_lock(&db->lock);
	if (res->irq_owned)
		copro_irq_enable(res->irq);
	copro_mutex_unlock(&db->lock);
}

/*
 * A discard: the channel's own flags, taken here (the framework drops
 * the signal); other channels' bits stay set for the handler.
 */
static void db_rx_sync(void *ctx, struct copro_mbox_chan *chan)
{
	struct copro_gh_bell *db = ctx;
	struct bell_res *res = copro_mbox_chan_priv(chan);
	unsigned bit = chan_bit(copro_mbox_chan_id(chan));
	uint64_t mask = bit == COPRO_GH_BELL_ALL ? ~0ull : 1ull << bit;
	uint64_t old = 0;
	int64_t e;

	if (atomic_load(&res->withdrawn))
		return;
	copro_mutex_lock(&res->rx_lock);
	if (!copro_mbox_chan_rx_room(chan)) {
		copro_mutex_unlock(&res->rx_lock);
		return;
	}
	e = copro_gh_bell_recv(db->p, res->r.capid, mask, &old);
	if (e)
		copro_dev_err(&db->ld,
			      "doorbell cap 0x%" PRIx64 ": bell_recv(0x%016"
			      PRIx64 ") while discarding: %s (%" PRId64 ")",
			      res->r.capid, mask, copro_gh_error_name(e), e);
	else if (bit == COPRO_GH_BELL_ALL && old)
		copro_mbox_chan_rx(chan, &old, sizeof(old));
	else if (bit != COPRO_GH_BELL_ALL && (old & mask))
		copro_mbox_chan_rx(chan, NULL, 0);
	copro_mutex_unlock(&res->rx_lock);
}

static const struct copro_mbox_controller_ops db_ops = {
	.startup = db_startup,
	.shutdown = db_shutdown,
	.send = db_send,
	.call = db_call,
	.rx_resume = db_rx_resume,
	.rx_sync = db_rx_sync,
};

/* ---- resources ----------------------------------------------------------- */

int copro_gh_bell_add(struct copro_gh_bell *db,
		      const struct copro_gh_resource *r)
{
	struct bell_res *res;
	int ret = 0;

	if ((r->type != COPRO_GH_RSC_BELL_TX && r->type != COPRO_GH_RSC_BELL_RX) ||
	    r->capid >= CAPID_MAX) {
		copro_dev_err(&db->ld,
			      "resource cap 0x%" PRIx64
			      " (type %d) is not a doorbell copro can bind",
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
	res->db = db;
	res->r = *r;
	snprintf(res->name, sizeof(res->name), "bell-0x%" PRIx64, r->capid);
	copro_mutex_lock(&db->lock);
	if (res_find(db, r->capid)) {
		ret = -EEXIST;
	} else {
		res->next = db->res;
		db->res = res;
	}
	copro_mutex_unlock(&db->lock);
	if (ret < 0)
		res_free(res);
	return ret;
}

int copro_gh_bell_del(struct copro_gh_bell *db, uint64_t capid)
{
	struct copro_mbox_chan *chans[65];
	struct copro_irq *irq;
	struct bell_res *res;
	unsigned n = 0;

	copro_mutex_lock(&db->lock);
	res = res_find(db, capid);
	if (!res || atomic_load(&res->withdrawn)) {
		copro_mutex_unlock(&db->lock);
		return -ENOENT;
	}
	atomic_store(&res->withdrawn, true);
	if (res_done_locked(db, res)) {
		copro_mutex_unlock(&db->lock);
		res_free(res);
		return 0;
	}
	/* Channels stay the clients'; the last unbinding frees res. */
	for (unsigned b = 0; b < 64; b++)
		if (atomic_load(&res->bits[b]))
			chans[n++] = atomic_load(&res->bits[b]);
	if (atomic_load(&res->all))
		chans[n++] = atomic_load(&res->all);
	irq = irq_take_locked(res);
	res->busy++;
	res->revoking++;
	copro_mutex_unlock(&db->lock);
	if (irq)
		copro_irq_free(irq);
	for (unsigned i = 0; i < n; i++)
		copro_mbox_chan_revoke(chans[i], -ENODEV);
	copro_mutex_lock(&db->lock);
	res->revoking--;
	res->busy--;
	bool gone = res_done_locked(db, res);

	copro_mutex_unlock(&db->lock);
	if (gone)
		res_free(res);
	return 0;
}

/* ---- probe ----------------------------------------------------------------- */

int copro_gh_bell_probe(struct copro_platform *p, const char *name,
			struct copro_gh_bell **out)
{
	struct copro_mbox_controller_desc d = {
		.node = -1,
		.ops = &db_ops,
		.txdone = COPRO_MBOX_TXDONE_SYNC,
		.mtu = sizeof(uint64_t),
		.doorbell = true,
	};
	struct copro_gh_bell *db;
	int ret;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->p = p;
	snprintf(db->name, sizeof(db->name), "%s",
		 name ? name : COPRO_GH_BELL_CONTROLLER);
	copro_logdev_init(&db->ld, copro_platform_log(p), "%s", db->name);
	ret = copro_mutex_init(&db->lock);
	if (ret < 0) {
		free(db);
		return ret;
	}
	d.name = db->name;
	d.ctx = db;
	ret = copro_mbox_controller_register(p, &d, &db->ctrl);
	if (ret < 0) {
		copro_mutex_destroy(&db->lock);
		free(db);
		return ret;
	}
	*out = db;
	return 0;
}

int copro_gh_bell_remove(struct copro_gh_bell *db)
{
	int ret;

	if (!db)
		return 0;
	ret = copro_mbox_controller_unregister(db->ctrl);
	if (ret < 0)
		return ret;
	while (db->res) {
		struct bell_res *r = db->res;

		db->res = r->next;
		res_free(r);
	}
	copro_mutex_destroy(&db->lock);
	free(db);
	return 0;
}
