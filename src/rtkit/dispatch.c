// SPDX-License-Identifier: MIT
/*
 * One message from the coprocessor: route it by endpoint under the lock,
 * then carry out what its handler asked for with the lock dropped, so a
 * client callback may call back into the library.
 */
#include <errno.h>

#include <copro/error.h>
#include <copro/regs/rtkit.h>

#include "rtkit/rtkit_internal.h"

void rtk_out_send(struct rtk_out *out, uint8_t ep, uint64_t msg)
{
	/* Handlers produce at most 7 (the last EPMAP chunk); never more. */
	if (out->n < RTK_OUT_MAX) {
		out->m[out->n].ep = ep;
		out->m[out->n].msg = msg;
		out->n++;
	}
}

static void route(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg,
		  struct rtk_out *out)
{
	if (ep == COPRO_RTKIT_EP_MGMT) {
		rtk_mgmt_rx(rtk, msg, out);
		return;
	}
	if (!rtk_has_ep(rtk, ep)) {
		rtk_refuse(rtk, ep, msg, "endpoint 0x%02x is not in the endpoint map",
			   ep);
		return;
	}
	switch (ep) {
	case COPRO_RTKIT_EP_CRASHLOG:
		rtk_crashlog_rx(rtk, msg, out);
		break;
	case COPRO_RTKIT_EP_SYSLOG:
		rtk_syslog_rx(rtk, msg, out);
		break;
	case COPRO_RTKIT_EP_IOREPORT:
		rtk_ioreport_rx(rtk, msg, out);
		break;
	case COPRO_RTKIT_EP_OSLOG:
		rtk_oslog_rx(rtk, msg, out);
		break;
	default:
		if (ep >= COPRO_RTKIT_APP_EP_START)
			rtk_app_rx(rtk, ep, msg, out);
		else
			rtk_other_sys_rx(rtk, ep, msg);
		break;
	}
}

static void run_out(struct copro_rtkit *rtk, struct rtk_out *out)
{
	const struct copro_rtkit_ops *ops = rtk->ops;
	int err = 0;

	for (unsigned i = 0; i < out->n && !err; i++)
		err = rtk_send(rtk, out->m[i].ep, out->m[i].msg,
			       rtk_timeout(rtk));
	if (err && out->boot_step) {
		copro_mutex_lock(&rtk->lock);
		rtk_boot_fail(rtk, err);
		copro_mutex_unlock(&rtk->lock);
	}

	switch (out->ev) {
	case RTK_EV_NONE:
		break;
	case RTK_EV_RECV:
		if (ops->recv_message)
			ops->recv_message(rtk->cfg.ctx, out->ep, out->msg);
		break;
	case RTK_EV_CRASHED:
		if (ops->crashed)
			ops->crashed(rtk->cfg.ctx, out->cl);
		break;
	case RTK_EV_SYSLOG:
		if (ops->syslog)
			ops->syslog(rtk->cfg.ctx, out->context, out->text);
		break;
	}
}

void rtk_handle(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	struct rtk_out out;

	if (rtk->ops->trace)
		rtk->ops->trace(rtk->cfg.ctx, false, ep, msg, copro_time_ns());
	rtk_stat_inc(&rtk->st.received);
	if (atomic_load(&rtk->discard)) {
		copro_dev_dbg(&rtk->ld, "%s: dropped 0x%016llx (reinit)",
			      copro_rtkit_ep_name(ep), (unsigned long long)msg);
		return;
	}
	if (atomic_load(&rtk->crashed)) {
		/* A dead coprocessor's last words: nothing is answered. */
		rtk_refuse(rtk, ep, msg, "the coprocessor has crashed");
		return;
	}
	out.n = 0;
	out.boot_step = false;
	out.ev = RTK_EV_NONE;
	out.cl = NULL;
	copro_mutex_lock(&rtk->lock);
	route(rtk, ep, msg, &out);
	copro_mutex_unlock(&rtk->lock);
	run_out(rtk, &out);
}
