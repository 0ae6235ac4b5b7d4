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
	const struct copro_crashlog *cl;
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
			rtk->crashlog = rtk_crash_decode(rtk);
			d->cl = rtk->crashlog;
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

int rtk_send_out(struct copro_rtkit *rtk, const struct copro_rtkit_out *out)
{
	int first = 0;

	for (unsigned i = 0; i < out->n_msgs; i++) {
		int err = rtk_send(rtk, out->msg[i].ep, out->msg[i].msg,
				   rtk_timeout(rtk));

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

static void run_callbacks(struct copro_rtkit *rtk, const struct deferred *d)
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
}

void rtk_handle(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	struct copro_rtkit_out out;
	struct deferred d;

	if (rtk->ops->trace)
		rtk->ops->trace(rtk->cfg.ctx, false, ep, msg, copro_time_ns());
	rtk_stat_inc(&rtk->st.received);
	if (atomic_load(&rtk->discard)) {
		copro_dev_dbg(&rtk->ld, "%s: dropped 0x%016llx (reinit)",
			      copro_rtkit_ep_name(ep), (unsigned long long)msg);
		return;
	}
	d.restarted = d.crashed = d.syslog = d.recv = false;
	d.cl = NULL;
	copro_mutex_lock(&rtk->lock);
	copro_rtkit_engine_receive(&rtk->eng, ep, msg, &out);
	run_events(rtk, &out, &d);
	rtk_sync(rtk);
	copro_mutex_unlock(&rtk->lock);
	rtk_send_out(rtk, &out);
	run_callbacks(rtk, &d);
}
