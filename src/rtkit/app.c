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

/* Interrupt context: atomics only, no lock. */
bool rtk_app_rx_early(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	const struct copro_rtkit_ops *ops = rtk->ops;

	if (ep < COPRO_RTKIT_APP_EP_START || !ops->recv_message_early ||
	    !rtk_ep_started(rtk, ep) || atomic_load(&rtk->crashed) ||
	    (rtk->io->rx_stale && rtk->io->rx_stale(rtk->io_ctx)))
		return false; /* the deferred path decides, and logs */
	if (!ops->recv_message_early(rtk->cfg.ctx, ep, msg))
		return false;
	if (ops->trace)
		ops->trace(rtk->cfg.ctx, false, ep, msg, copro_time_ns());
	rtk_stat_inc(&rtk->st.received);
	return true;
}

int copro_rtkit_start_ep(struct copro_rtkit *rtk, uint8_t ep)
{
	struct copro_rtkit_out out;
	int ret;

	if (!rtk)
		return -EINVAL;
	copro_mutex_lock(&rtk->lock);
	ret = copro_rtkit_engine_start_ep(&rtk->eng, ep, &out);
	rtk_sync(rtk);
	copro_mutex_unlock(&rtk->lock);
	if (ret < 0)
		return ret;
	return rtk_send_out(rtk, &out);
}

/* The session generation a send may go out in, or why it may not. */
static int send_check(struct copro_rtkit *rtk, uint8_t ep, uint64_t *gen)
{
	int ret;

	copro_mutex_lock(&rtk->lock);
	ret = copro_rtkit_engine_check_send(&rtk->eng, ep);
	*gen = copro_rtkit_engine_generation(&rtk->eng);
	copro_mutex_unlock(&rtk->lock);
	return ret;
}

/* The coprocessor crashed or restarted since the send began. */
static bool session_over(struct copro_rtkit *rtk, uint64_t gen)
{
	return atomic_load(&rtk->crashed) || atomic_load(&rtk->generation) != gen;
}

/*
 * Blocking sends and flushes wait in slices, so a crash (after which the
 * mailbox never drains) ends them promptly instead of at their timeout.
 */
int copro_rtkit_send_message(struct copro_rtkit *rtk, uint8_t ep,
			     uint64_t msg, int64_t timeout_ns)
{
	uint64_t deadline, gen;
	int ret;

	if (!rtk)
		return -EINVAL;
	ret = send_check(rtk, ep, &gen);
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

		if (session_over(rtk, gen))
			return -ECONNRESET;
		ret = rtk_send(rtk, ep, msg, slice);
		if (ret != -ETIMEDOUT || copro_deadline_left(deadline) == 0)
			return ret;
	}
}

/*
 * For callers that cannot sleep: no lock, no blocking wait. Room in the
 * mailbox is busy-waited for (on an unthreaded platform the interrupt
 * handlers that make room are run here), for RTK_ATOMIC_SEND_NS at most.
 */
int copro_rtkit_send_message_atomic(struct copro_rtkit *rtk, uint8_t ep,
				    uint64_t msg)
{
	uint64_t deadline;
	bool kick;
	int ret;

	if (!rtk)
		return -EINVAL;
	if (ep < COPRO_RTKIT_APP_EP_START || !rtk_ep_started(rtk, ep))
		return -EINVAL;
	if (atomic_load(&rtk->crashed))
		return -ECONNRESET;
	if (!atomic_load(&rtk->running))
		return -ENOTCONN;
	kick = !copro_platform_threaded(rtk->p);
	deadline = copro_deadline(RTK_ATOMIC_SEND_NS);
	for (;;) {
		ret = rtk_send(rtk, ep, msg, 0);
		if (ret != -EAGAIN)
			return ret;
		if (!copro_deadline_left(deadline)) {
			copro_dev_err(&rtk->ld, "%s: no room in the mailbox for %lld ms (atomic send)",
				      copro_rtkit_ep_name(ep),
				      (long long)(RTK_ATOMIC_SEND_NS / COPRO_NSEC_PER_MSEC));
			return -ETIMEDOUT;
		}
		if (kick)
			copro_platform_poll(rtk->p);
		else
			copro_cpu_relax();
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
