// SPDX-License-Identifier: MIT
/*
 * One message from the coprocessor through the engine, then what the
 * engine asked for: under the lock, the events that touch shared memory
 * (buffers to provide or free, the syslog entry to copy before its
 * acknowledgement goes, the crashlog to copy and decode); then, with the
 * lock dropped, the messages and the client callbacks, so a callback
 * may call back into the library.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/regs/rtkit.h>

#include "rtkit/rtkit_internal.h"

/* What the callbacks will need once the lock is dropped. */
struct deferred {
	bool restarted, crashed, syslog, recv;
	/*
	 * The crashed callback's own decode: rtk->crashlog (a copy) is
	 * freed by a reinit, which may run while the callback does.
	 */
	struct copro_crashlog *cl;
	uint8_t ep;
	uint64_t msg;
	char context[COPRO_RTKIT_SYSLOG_CONTEXT_MAX];
	char text[COPRO_RTKIT_SYSLOG_TEXT_MAX];
};

static void provide_buffer(struct copro_rtkit *rtk,
			   const struct copro_rtkit_event *ev,
			   struct copro_rtkit_out *out)
{
	const char *why = NULL;
	uint64_t iova = 0;
	bool answer = false;
	int ret = rtk_shmem_setup(rtk, ev->ep, ev->iova, ev->size, &iova,
				  &answer, &why);

	copro_rtkit_engine_buffer(&rtk->eng, ev->ep, ret, why, iova, answer,
				  out);
}

static void read_syslog(struct copro_rtkit *rtk,
			const struct copro_rtkit_event *ev, struct deferred *d)
{
	const struct rtk_buf *b = rtk_shmem_get(rtk, COPRO_RTKIT_EP_SYSLOG);
	uint8_t entry[RTK_SYSLOG_ENTRY_HDR + 255];

	/* The engine checked the entry against the buffer it recorded. */
	if (!b || ev->size > sizeof(entry) ||
	    rtk_shmem_read(rtk, b, ev->offset, entry, (size_t)ev->size) < 0 ||
	    copro_rtkit_syslog_entry(entry, (size_t)ev->size,
				     (unsigned)(ev->size - RTK_SYSLOG_ENTRY_HDR),
				     d->context, d->text) < 0) {
		copro_dev_err(&rtk->ld, "syslog entry %u cannot be read", ev->index);
		return;
	}
	copro_dev_info(&rtk->ld, "syslog [%s] %s", d->context, d->text);
	rtk_stat_inc(&rtk->st.syslog_lines);
	d->syslog = true;
}

/* Lock held. */
static void run_events(struct copro_rtkit *rtk, struct copro_rtkit_out *out,
		       struct deferred *d)
{
	for (unsigned i = 0; i < out->n_ev; i++) {
		const struct copro_rtkit_event *ev = &out->ev[i];

		switch (ev->type) {
		case COPRO_RTKIT_EV_BUFFER:
			provide_buffer(rtk, ev, out);
			break;
		case COPRO_RTKIT_EV_FREE_BUFFERS:
			rtk_shmem_free_all(rtk);
			break;
		case COPRO_RTKIT_EV_SYSLOG:
			read_syslog(rtk, ev, d);
			break;
		case COPRO_RTKIT_EV_CRASHED:
			free(rtk->crashlog);
			rtk->crashlog = NULL;
			free(d->cl);
			d->cl = rtk_crash_decode(rtk);
			if (d->cl) {
				rtk->crashlog = malloc(sizeof(*d->cl));
				if (rtk->crashlog)
					*rtk->crashlog = *d->cl;
				else
					copro_dev_err(&rtk->ld,
						      "crashlog: no memory to keep it"
						      " for copro_rtkit_crashlog");
			}
			d->crashed = true;
			break;
		case COPRO_RTKIT_EV_RECV:
			d->recv = true;
			d->ep = ev->ep;
			d->msg = ev->msg;
			break;
		case COPRO_RTKIT_EV_RESTARTED:
			d->restarted = true;
			break;
		}
	}
}

void rtk_request_events(struct copro_rtkit *rtk,
			const struct copro_rtkit_out *out)
{
	for (unsigned i = 0; i < out->n_ev; i++)
		if (out->ev[i].type == COPRO_RTKIT_EV_FREE_BUFFERS)
			rtk_shmem_free_all(rtk);
}

static int send_blocking(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	return rtk_send(rtk, ep, msg, rtk_timeout(rtk));
}

/*
 * Interrupt context. rtk_irq_handle saw room for every answer; should
 * another sender have taken it since, waiting for room here would wait
 * for the "room again" interrupt this very thread has to run, so it runs
 * the other lines itself meanwhile (as a polled waiter does), within the
 * usual timeout.
 */
static int send_irq(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	uint64_t deadline = 0;
	int ret;

	while ((ret = rtk_send(rtk, ep, msg, 0)) == -EAGAIN) {
		if (!deadline)
			deadline = copro_deadline(rtk_timeout(rtk));
		else if (copro_deadline_left(deadline) == 0)
			return -ETIMEDOUT;
		if (copro_platform_poll(rtk->p) <= 0)
			copro_sleep_ns(RTK_POLL_IDLE_NS);
	}
	return ret;
}

static int send_out(struct copro_rtkit *rtk, const struct copro_rtkit_out *out,
		    int (*send)(struct copro_rtkit *, uint8_t, uint64_t))
{
	int first = 0;

	for (unsigned i = 0; i < out->n_msgs; i++) {
		int err = send(rtk, out->msg[i].ep, out->msg[i].msg);

		if (!err)
			continue;
		if (!first)
			first = err;
		copro_mutex_lock(&rtk->lock);
		copro_rtkit_engine_send_failed(&rtk->eng, out->msg[i].ep,
					       out->msg[i].msg, err);
		rtk_sync(rtk);
		copro_mutex_unlock(&rtk->lock);
	}
	return first;
}

int rtk_send_out(struct copro_rtkit *rtk, const struct copro_rtkit_out *out)
{
	return send_out(rtk, out, send_blocking);
}

static void run_callbacks(struct copro_rtkit *rtk, struct deferred *d)
{
	const struct copro_rtkit_ops *ops = rtk->ops;

	if (d->restarted && ops->restarted)
		ops->restarted(rtk->cfg.ctx);
	if (d->crashed && ops->crashed)
		ops->crashed(rtk->cfg.ctx, d->cl);
	if (d->syslog && ops->syslog)
		ops->syslog(rtk->cfg.ctx, d->context, d->text);
	if (d->recv && ops->recv_message)
		ops->recv_message(rtk->cfg.ctx, d->ep, d->msg);
	free(d->cl);
}

/*
 * Lock held (reinit drops under it): the message was received before the
 * last reinit, however late it reached us. It means nothing to the new
 * session.
 */
static bool stale_locked(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	if (!rtk->io->rx_stale || !rtk->io->rx_stale(rtk->io_ctx))
		return false;
	rtk_stat_inc(&rtk->st.stale);
	copro_dev_dbg(&rtk->ld, "%s: dropped 0x%016llx (received before a reinit)",
		      copro_rtkit_ep_name(ep), (unsigned long long)msg);
	return true;
}

void rtk_handle(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	struct copro_rtkit_out out;
	struct deferred d;

	if (rtk->ops->trace)
		rtk->ops->trace(rtk->cfg.ctx, false, ep, msg, copro_time_ns());
	rtk_stat_inc(&rtk->st.received);
	d.restarted = d.crashed = d.syslog = d.recv = false;
	d.cl = NULL;
	copro_mutex_lock(&rtk->lock);
	if (stale_locked(rtk, ep, msg)) {
		copro_mutex_unlock(&rtk->lock);
		return;
	}
	copro_rtkit_engine_receive(&rtk->eng, ep, msg, &out);
	run_events(rtk, &out, &d);
	rtk_sync(rtk);
	copro_mutex_unlock(&rtk->lock);
	rtk_send_out(rtk, &out);
	run_callbacks(rtk, &d);
}

/* ---- interrupt context ------------------------------------------------- */

/* Holders of the lock keep it briefly; one that does not is waited out in
 * deferred context instead. */
#define IRQ_LOCK_TRIES 64

static bool irq_lock(struct copro_rtkit *rtk)
{
	for (unsigned i = 0; i < IRQ_LOCK_TRIES; i++) {
		if (copro_mutex_trylock(&rtk->lock))
			return true;
		copro_cpu_relax();
	}
	return false;
}

/*
 * Lock held. What the message makes the engine emit can run here: no
 * event (an answer at most), or a buffer provided in a built-in mode. A
 * client's shmem_setup, syslog copies, crashes, restarts and application
 * messages go to the deferred path, whose callbacks may block.
 */
static bool irq_safe(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	unsigned ev = copro_rtkit_engine_events_of(&rtk->eng, ep, msg);

	if (ev == 1u << COPRO_RTKIT_EV_BUFFER)
		return !rtk->ops->shmem_setup;
	return ev == 0;
}

bool rtk_irq_handle(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	struct copro_rtkit_out out;
	struct deferred d;
	uint64_t t = copro_time_ns();
	bool wake;

	if (rtk->polled || !rtk->io->irq_ready ||
	    ep >= COPRO_RTKIT_APP_EP_START || atomic_load(&rtk->crashed) ||
	    !irq_lock(rtk))
		return false;
	/*
	 * A reinit ran while we waited for the lock: the message is the
	 * old session's, and taken here it goes nowhere else.
	 */
	if (stale_locked(rtk, ep, msg)) {
		copro_mutex_unlock(&rtk->lock);
		rtk_stat_inc(&rtk->st.received);
		return true;
	}
	/*
	 * Room for as many answers as one message can produce, and nothing
	 * received before it left to the deferred path (order holds).
	 */
	if (!irq_safe(rtk, ep, msg) ||
	    !rtk->io->irq_ready(rtk->io_ctx, COPRO_RTKIT_OUT_MSGS)) {
		copro_mutex_unlock(&rtk->lock);
		return false;
	}
	rtk_stat_inc(&rtk->st.received);
	rtk_stat_inc(&rtk->st.irq_handled);
	d.restarted = d.crashed = d.syslog = d.recv = false;
	d.cl = NULL;
	atomic_fetch_add(&rtk->irq_busy, 1);
	copro_rtkit_engine_receive(&rtk->eng, ep, msg, &out);
	run_events(rtk, &out, &d);
	wake = rtk_sync_quiet(rtk);
	copro_mutex_unlock(&rtk->lock);
	/*
	 * Traced once taken (a message left to rtk_handle is traced there).
	 * A waiter that saw what the engine did meanwhile waits for
	 * irq_busy (see wait_for): a boot that returns has seen its last
	 * message, and its answers, in the trace.
	 */
	if (rtk->ops->trace)
		rtk->ops->trace(rtk->cfg.ctx, false, ep, msg, t);
	/* No callbacks: irq_safe let nothing through that has one. */
	free(d.cl);
	send_out(rtk, &out, send_irq);
	atomic_fetch_sub(&rtk->irq_busy, 1);
	if (atomic_exchange(&rtk->irq_waiter, false) || wake)
		copro_event_signal(&rtk->ev);
	return true;
}
