// SPDX-License-Identifier: MIT
/*
 * Application endpoints (0x20 and up): starting them, sending to them
 * and handing their messages to the client. Only a running coprocessor
 * may be talked to; a message from an endpoint that was never started is
 * refused, since real firmware only talks on started endpoints.
 */
#include <errno.h>

#include <copro/error.h>
#include <copro/regs/rtkit.h>

#include "rtkit/rtkit_internal.h"

void rtk_app_rx(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg,
		struct rtk_out *out)
{
	if (!rtk_ep_started(rtk, ep)) {
		rtk_refuse(rtk, ep, msg, "endpoint 0x%02x was not started", ep);
		return;
	}
	out->ev = RTK_EV_RECV;
	out->ep = ep;
	out->msg = msg;
}

/* Interrupt context: atomics only, no lock. */
bool rtk_app_rx_early(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	const struct copro_rtkit_ops *ops = rtk->ops;

	if (ep < COPRO_RTKIT_APP_EP_START || !ops->recv_message_early ||
	    !rtk_ep_started(rtk, ep) || atomic_load(&rtk->crashed) ||
	    atomic_load(&rtk->discard))
		return false; /* the deferred path decides, and logs */
	if (!ops->recv_message_early(rtk->cfg.ctx, ep, msg))
		return false;
	if (ops->trace)
		ops->trace(rtk->cfg.ctx, false, ep, msg, copro_time_ns());
	rtk_stat_inc(&rtk->st.received);
	return true;
}

/* -EINVAL, -ECONNRESET or -ENOTCONN when ep cannot be talked to now. */
static int app_check(struct copro_rtkit *rtk, uint8_t ep, bool starting,
		     const char *what)
{
	bool mapped;

	if (ep < COPRO_RTKIT_APP_EP_START) {
		copro_dev_err(&rtk->ld, "%s: endpoint 0x%02x is a system endpoint",
			      what, ep);
		return -EINVAL;
	}
	copro_mutex_lock(&rtk->lock);
	mapped = rtk_has_ep(rtk, ep);
	copro_mutex_unlock(&rtk->lock);
	if (!mapped) {
		copro_dev_err(&rtk->ld, "%s: endpoint 0x%02x is not in the endpoint map",
			      what, ep);
		return -EINVAL;
	}
	if (atomic_load(&rtk->crashed))
		return -ECONNRESET;
	if (!atomic_load(&rtk->running)) {
		copro_dev_err(&rtk->ld, "%s: endpoint 0x%02x: the coprocessor is not running",
			      what, ep);
		return -ENOTCONN;
	}
	if (!starting && !rtk_ep_started(rtk, ep)) {
		copro_dev_err(&rtk->ld, "%s: endpoint 0x%02x was not started",
			      what, ep);
		return -EINVAL;
	}
	return 0;
}

int copro_rtkit_start_ep(struct copro_rtkit *rtk, uint8_t ep)
{
	int ret;

	if (!rtk)
		return -EINVAL;
	ret = app_check(rtk, ep, true, "start");
	if (ret < 0)
		return ret;
	ret = rtk_send(rtk, COPRO_RTKIT_EP_MGMT,
		       RTK_MGMT_TYPE_MAKE(RTK_MGMT_STARTEP) |
			       RTK_STARTEP_MAKE(ep),
		       rtk_timeout(rtk));
	if (ret < 0)
		return ret;
	atomic_fetch_or(&rtk->started[ep / 64], 1ull << (ep % 64));
	return 0;
}

/*
 * Blocking sends and flushes wait in slices, so a crash (after which the
 * mailbox never drains) ends them promptly instead of at their timeout.
 */
int copro_rtkit_send_message(struct copro_rtkit *rtk, uint8_t ep,
			     uint64_t msg, int64_t timeout_ns)
{
	uint64_t deadline;
	int ret;

	if (!rtk)
		return -EINVAL;
	ret = app_check(rtk, ep, false, "send");
	if (ret < 0)
		return ret;
	if (timeout_ns == 0)
		return rtk_send(rtk, ep, msg, 0);
	deadline = copro_deadline(timeout_ns);
	for (;;) {
		int64_t left = copro_deadline_left(deadline);
		int64_t slice = left == COPRO_FOREVER || left > RTK_SEND_SLICE_NS
					? RTK_SEND_SLICE_NS
					: left;

		ret = rtk_send(rtk, ep, msg, slice);
		if (ret != -ETIMEDOUT || copro_deadline_left(deadline) == 0)
			return ret;
	}
}

int copro_rtkit_flush(struct copro_rtkit *rtk, int64_t timeout_ns)
{
	uint64_t deadline;

	if (!rtk)
		return -EINVAL;
	deadline = copro_deadline(timeout_ns);
	for (;;) {
		int64_t left = copro_deadline_left(deadline);
		int64_t slice = left == COPRO_FOREVER || left > RTK_SEND_SLICE_NS
					? RTK_SEND_SLICE_NS
					: left;
		int ret;

		if (atomic_load(&rtk->crashed))
			return -ECONNRESET;
		ret = rtk->io->flush(rtk->io_ctx, slice);
		if (ret != -ETIMEDOUT || copro_deadline_left(deadline) == 0)
			return ret;
	}
}

int copro_rtkit_poll(struct copro_rtkit *rtk)
{
	if (!rtk)
		return -EINVAL;
	return rtk->io->poll(rtk->io_ctx);
}
