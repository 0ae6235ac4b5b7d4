// SPDX-License-Identifier: MIT
/*
 * One RTKit coprocessor, host side: creation over the mailbox of a
 * devicetree node, sending, and the state getters. The protocol itself
 * lives in the files listed in rtkit_internal.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/asc.h>
#include <copro/error.h>
#include <copro/regs/rtkit.h>

#include "rtkit/rtkit_internal.h"

static const struct copro_rtkit_ops no_ops;

void rtk_stat_inc(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

int64_t rtk_timeout(struct copro_rtkit *rtk)
{
	return atomic_load_explicit(&rtk->timeout_ns, memory_order_relaxed);
}

int copro_rtkit_set_timeout(struct copro_rtkit *rtk, int64_t timeout_ns)
{
	if (!rtk || timeout_ns < 0)
		return -EINVAL;
	atomic_store(&rtk->timeout_ns,
		     timeout_ns ? timeout_ns : RTK_DEFAULT_TIMEOUT_NS);
	return 0;
}

bool rtk_ep_started(struct copro_rtkit *rtk, uint8_t ep)
{
	return (atomic_load_explicit(&rtk->started[ep / 64],
				     memory_order_acquire) >>
		(ep % 64)) & 1;
}

/* Lock held. */
bool rtk_sync_quiet(struct copro_rtkit *rtk)
{
	const struct copro_rtkit_engine *e = &rtk->eng;

	atomic_store(&rtk->crashed, copro_rtkit_engine_crashed(e));
	atomic_store(&rtk->running, copro_rtkit_engine_running(e));
	atomic_store(&rtk->generation, copro_rtkit_engine_generation(e));
	for (unsigned i = 0; i < COPRO_RTKIT_MAX_EPS / 64; i++)
		atomic_store_explicit(&rtk->started[i], e->started[i],
				      memory_order_release);
	uint64_t ws = rtk_wait_state(e);

	/* A futex wake per message cost the handshake a wake-up each. */
	if (ws == rtk->wait_state)
		return false;
	rtk->wait_state = ws;
	return true;
}

void rtk_sync(struct copro_rtkit *rtk)
{
	if (rtk_sync_quiet(rtk))
		copro_event_signal(&rtk->ev);
}

/* Engine log lines go out under this device's name. */
static void engine_log(void *ctx, enum copro_log_level level, const char *msg)
{
	struct copro_rtkit *rtk = ctx;

	copro_dev_log(&rtk->ld, level, "%s", msg);
}

int rtk_send(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg,
	     int64_t timeout_ns)
{
	int ret;

	if (atomic_load(&rtk->crashed))
		return -ECONNRESET;
	ret = rtk->io->send(rtk->io_ctx, ep, msg, timeout_ns);
	if (ret < 0) {
		if (ret != -EAGAIN && ret != -ETIMEDOUT)
			copro_dev_err(&rtk->ld, "%s: cannot send 0x%016llx: %s",
				      copro_rtkit_ep_name(ep),
				      (unsigned long long)msg,
				      copro_strerror(ret));
		return ret;
	}
	rtk_stat_inc(&rtk->st.sent);
	if (rtk->ops->trace)
		rtk->ops->trace(rtk->cfg.ctx, true, ep, msg, copro_time_ns());
	return 0;
}

/* ---- creation ---------------------------------------------------------- */

static int config_check(struct copro_rtkit *rtk,
			const struct copro_rtkit_config *c)
{
	const char *why = NULL;

	if (c->shmem_mode > COPRO_RTKIT_SHMEM_IOVA)
		why = "unknown shmem_mode";
	else if (c->shmem_mode == COPRO_RTKIT_SHMEM_SART && !c->sart &&
		 !(c->ops && c->ops->shmem_setup))
		why = "SART mode without a SART";
	else if ((c->shmem_mode == COPRO_RTKIT_SHMEM_MMIO ||
		  c->shmem_mode == COPRO_RTKIT_SHMEM_IOVA) &&
		 (!c->iova_size || c->iova_base + c->iova_size < c->iova_base))
		why = "an empty or wrapping iova window";
	else if (c->timeout_ns < 0)
		why = "a negative timeout (every wait needs one)";
	else if (c->wake_iop_state && c->wake_iop_state != COPRO_RTKIT_PWR_ON &&
		 c->wake_iop_state != COPRO_RTKIT_PWR_INIT)
		why = "a wake state other than ON or INIT";
	else if (c->shmem_max > UINT32_MAX)
		why = "a shmem_max above 4 GiB";
	else if (c->ops && (!c->ops->shmem_setup != !c->ops->shmem_destroy))
		why = "only one of shmem_setup and shmem_destroy";
	if (!why)
		return 0;
	copro_dev_err(&rtk->ld, "bad configuration: %s", why);
	return -EINVAL;
}

int rtk_create(struct copro_platform *p, const struct copro_rtkit_config *cfg,
	       const char *name, const struct rtk_io *io, void *io_ctx,
	       struct copro_rtkit **out)
{
	struct copro_rtkit *rtk;
	int ret;

	*out = NULL;
	if (!p || !cfg || !io)
		return -EINVAL;
	rtk = calloc(1, sizeof(*rtk));
	if (!rtk)
		return -ENOMEM;
	snprintf(rtk->name, sizeof(rtk->name), "%s", name ? name : "rtkit");
	copro_logdev_init(&rtk->ld, copro_platform_log(p), "%s", rtk->name);
	ret = config_check(rtk, cfg);
	if (ret < 0) {
		free(rtk);
		return ret;
	}
	ret = copro_mutex_init(&rtk->lock);
	if (ret < 0) {
		free(rtk);
		return ret;
	}
	copro_event_init(&rtk->ev);
	rtk->p = p;
	rtk->cfg = *cfg;
	rtk->cfg.name = rtk->name;
	rtk->ops = cfg->ops ? cfg->ops : &no_ops;
	if (!rtk->cfg.timeout_ns)
		rtk->cfg.timeout_ns = RTK_DEFAULT_TIMEOUT_NS;
	atomic_store(&rtk->timeout_ns, rtk->cfg.timeout_ns);
	copro_rtkit_engine_init(&rtk->eng,
				&(struct copro_rtkit_engine_config){
					.shmem_max = rtk->cfg.shmem_max,
					.wake_iop_state = rtk->cfg.wake_iop_state,
					.wake_on_boot = rtk->cfg.wake_on_boot,
					.log = engine_log,
					.log_ctx = rtk,
				});
	rtk->cfg.shmem_max = (size_t)rtk->eng.cfg.shmem_max;
	rtk->cfg.wake_iop_state = rtk->eng.cfg.wake_iop_state;
	rtk->io = io;
	rtk->io_ctx = io_ctx;
	rtk->polled = !copro_platform_threaded(p);
	copro_mutex_lock(&rtk->lock);
	rtk_sync(rtk);
	copro_mutex_unlock(&rtk->lock);
	*out = rtk;
	return 0;
}

void rtk_destroy(struct copro_rtkit *rtk)
{
	copro_mutex_lock(&rtk->lock);
	rtk_reinit_locked(rtk);
	copro_mutex_unlock(&rtk->lock);
	copro_mutex_destroy(&rtk->lock);
	free(rtk);
}

/* ---- the mailbox ------------------------------------------------------- */

static int mbox_send(void *ctx, uint8_t ep, uint64_t msg, int64_t timeout_ns)
{
	struct copro_rtkit *rtk = ctx;
	struct copro_asc_msg m = { .msg0 = msg, .msg1 = ep };

	return copro_mbox_send(rtk->chan, &m, sizeof(m), timeout_ns);
}

static int mbox_poll(void *ctx)
{
	return copro_mbox_poll(((struct copro_rtkit *)ctx)->chan);
}

static int mbox_flush(void *ctx, int64_t timeout_ns)
{
	return copro_mbox_flush(((struct copro_rtkit *)ctx)->chan, timeout_ns);
}

static void mbox_poll_hold(void *ctx, bool on)
{
	copro_mbox_poll_hold(((struct copro_rtkit *)ctx)->chan, on);
}

static bool mbox_irq_ready(void *ctx, unsigned n)
{
	struct copro_mbox_chan *chan = ((struct copro_rtkit *)ctx)->chan;

	return !copro_mbox_rx_queued(chan) && copro_mbox_tx_room(chan) >= n;
}

static int mbox_rx_discard(void *ctx)
{
	return copro_mbox_rx_discard(((struct copro_rtkit *)ctx)->chan);
}

static bool mbox_rx_stale(void *ctx)
{
	return copro_mbox_rx_stale(((struct copro_rtkit *)ctx)->chan);
}

static uint64_t mbox_stale(void *ctx)
{
	struct copro_mbox_stats st;

	copro_mbox_get_stats(((struct copro_rtkit *)ctx)->chan, &st);
	return st.rx_discarded;
}

static const struct rtk_io mbox_io = {
	.send = mbox_send,
	.poll = mbox_poll,
	.flush = mbox_flush,
	.irq_ready = mbox_irq_ready,
	.rx_discard = mbox_rx_discard,
	.rx_stale = mbox_rx_stale,
	.stale = mbox_stale,
	.poll_hold = mbox_poll_hold,
};

static bool mbox_msg(struct copro_rtkit *rtk, const void *msg, size_t len,
		     struct copro_asc_msg *m)
{
	if (len != sizeof(*m)) {
		rtk_stat_inc(&rtk->st.refused);
		copro_dev_err(&rtk->ld,
			      "mailbox delivered %zu bytes, not a %zu-byte ASC message",
			      len, sizeof(*m));
		return false;
	}
	memcpy(m, msg, sizeof(*m));
	return true;
}

static void mbox_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct copro_rtkit *rtk = ctx;
	struct copro_asc_msg m;

	(void)chan;
	if (mbox_msg(rtk, msg, len, &m))
		rtk_handle(rtk, (uint8_t)(m.msg1 & RTK_ASC_EP_MASK), m.msg0);
}

static bool mbox_rx_early(void *ctx, struct copro_mbox_chan *chan,
			  const void *msg, size_t len)
{
	struct copro_rtkit *rtk = ctx;
	struct copro_asc_msg m;
	uint8_t ep;

	(void)chan;
	if (len != sizeof(m))
		return false; /* rx refuses it, with a log line */
	memcpy(&m, msg, sizeof(m));
	ep = (uint8_t)(m.msg1 & RTK_ASC_EP_MASK);
	if (ep >= COPRO_RTKIT_APP_EP_START)
		return rtk_app_rx_early(rtk, ep, m.msg0);
	return rtk_irq_handle(rtk, ep, m.msg0);
}

int copro_rtkit_create(struct copro_platform *p, int node,
		       const struct copro_rtkit_config *cfg,
		       struct copro_rtkit **out)
{
	struct copro_mbox_client cl = {
		.rx = mbox_rx,
		.rx_mode = COPRO_MBOX_RX_DEFERRED,
	};
	struct copro_rtkit *rtk;
	const char *name;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!p || !cfg)
		return -EINVAL;
	name = cfg->name ? cfg->name
			 : copro_dt_node_name(copro_platform_dt(p), node);
	ret = rtk_create(p, cfg, name, &mbox_io, NULL, &rtk);
	if (ret < 0)
		return ret;
	rtk->io_ctx = rtk;
	cl.ctx = rtk;
	/*
	 * With an interrupt thread, system messages are handled in it when
	 * they can be (rtk_irq_handle): the answer goes out from there, one
	 * thread hop instead of three per step of a handshake.
	 */
	if (rtk->ops->recv_message_early || !rtk->polled)
		cl.rx_early = mbox_rx_early;
	ret = copro_mbox_request_dt(p, node, cfg->mbox_name, 0, &cl,
				    &rtk->chan);
	if (ret < 0) {
		copro_dev_err(&rtk->ld, "cannot bind the mailbox%s%s: %s",
			      cfg->mbox_name ? " " : "",
			      cfg->mbox_name ? cfg->mbox_name : "",
			      copro_strerror(ret));
		rtk_destroy(rtk);
		return ret;
	}
	if (copro_mbox_mtu(rtk->chan) < sizeof(struct copro_asc_msg)) {
		copro_dev_err(&rtk->ld,
			      "the mailbox carries %zu bytes, not an ASC message",
			      copro_mbox_mtu(rtk->chan));
		copro_mbox_free(rtk->chan);
		rtk_destroy(rtk);
		return -EINVAL;
	}
	*out = rtk;
	return 0;
}

void copro_rtkit_destroy(struct copro_rtkit *rtk)
{
	if (!rtk)
		return;
	/* No callback may run once the buffers are gone. */
	if (rtk->chan)
		copro_mbox_free(rtk->chan);
	rtk_destroy(rtk);
}

/* ---- state ---------------------------------------------------------------- */

/* Getters take a const handle; the lock is not part of the state. */
static struct copro_rtkit *lock_state(const struct copro_rtkit *rtk)
{
	struct copro_rtkit *r = (struct copro_rtkit *)rtk;

	copro_mutex_lock(&r->lock);
	return r;
}

bool copro_rtkit_is_running(const struct copro_rtkit *rtk)
{
	return atomic_load(&rtk->running) && !atomic_load(&rtk->crashed);
}

bool copro_rtkit_is_crashed(const struct copro_rtkit *rtk)
{
	return atomic_load(&rtk->crashed);
}

static unsigned locked_query(const struct copro_rtkit *rtk,
			     unsigned (*q)(const struct copro_rtkit_engine *))
{
	struct copro_rtkit *r = lock_state(rtk);
	unsigned val = q(&r->eng);

	copro_mutex_unlock(&r->lock);
	return val;
}

unsigned copro_rtkit_version(const struct copro_rtkit *rtk)
{
	return locked_query(rtk, copro_rtkit_engine_version);
}

bool copro_rtkit_has_ep(const struct copro_rtkit *rtk, uint8_t ep)
{
	struct copro_rtkit *r = lock_state(rtk);
	bool has = copro_rtkit_engine_has_ep(&r->eng, ep);

	copro_mutex_unlock(&r->lock);
	return has;
}

unsigned copro_rtkit_iop_state(const struct copro_rtkit *rtk)
{
	return locked_query(rtk, copro_rtkit_engine_iop_state);
}

unsigned copro_rtkit_ap_state(const struct copro_rtkit *rtk)
{
	return locked_query(rtk, copro_rtkit_engine_ap_state);
}

const char *copro_rtkit_name(const struct copro_rtkit *rtk)
{
	return rtk->name;
}

const struct copro_crashlog *copro_rtkit_crashlog(const struct copro_rtkit *rtk)
{
	struct copro_rtkit *r = lock_state(rtk);
	const struct copro_crashlog *cl = r->crashlog;

	copro_mutex_unlock(&r->lock);
	return cl;
}

const struct copro_rtkit_shmem *copro_rtkit_shmem(const struct copro_rtkit *rtk,
						  uint8_t ep)
{
	struct copro_rtkit *r = lock_state(rtk);
	const struct copro_rtkit_shmem *s = NULL;

	if (ep < RTK_SYS_EPS && r->bufs[ep].used)
		s = &r->bufs[ep].pub;
	copro_mutex_unlock(&r->lock);
	return s;
}

void copro_rtkit_get_stats(const struct copro_rtkit *rtk,
			   struct copro_rtkit_stats *out)
{
	struct copro_rtkit *r = lock_state(rtk);
	struct copro_rtkit_engine_stats es;

	copro_rtkit_engine_get_stats(&r->eng, &es);
	copro_mutex_unlock(&r->lock);
	out->sent = atomic_load(&r->st.sent);
	out->received = atomic_load(&r->st.received);
	out->refused = atomic_load(&r->st.refused) + es.refused;
	out->syslog_lines = atomic_load(&r->st.syslog_lines);
	out->irq_handled = atomic_load(&r->st.irq_handled);
	/* Dropped here, and before they reached us (never "received"). */
	out->stale = atomic_load(&r->st.stale) +
		     (r->io->stale && r->chan ? r->io->stale(r->io_ctx) : 0);
	out->ioreport_echoed = es.ioreport_echoed;
	out->crashes = es.crashes;
	out->restarts = es.restarts;
}
