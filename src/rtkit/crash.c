// SPDX-License-Identifier: MIT
/*
 * The crashlog endpoint (hardware.md 2.4). Type 1 asks for the buffer while
 * there is none and means "crashed" once there is one. On a crash the
 * whole buffer is copied first (the coprocessor may still be writing,
 * and MMIO buffers take 32-bit reads only), then parsed from the copy,
 * logged, and kept for copro_rtkit_crashlog(). From then on nothing is
 * sent and every waiter returns -ECONNRESET.
 */
#include <errno.h>
#include <stdlib.h>

#include <copro/error.h>
#include <copro/regs/rtkit.h>

#include "rtkit/rtkit_internal.h"

/* The decoded log, or NULL when the buffer held none that can be read. */
static struct copro_crashlog *decode(struct copro_rtkit *rtk,
				     const struct rtk_buf *b)
{
	struct copro_crashlog *cl;
	void *copy = malloc(b->pub.size);
	int ret;

	cl = calloc(1, sizeof(*cl));
	if (!copy || !cl) {
		copro_dev_err(&rtk->ld, "crashlog: no memory for a 0x%zx-byte copy",
			      b->pub.size);
		goto fail;
	}
	ret = rtk_shmem_read(rtk, b, 0, copy, b->pub.size);
	if (ret < 0)
		goto fail;
	ret = copro_crashlog_parse(copy, b->pub.size, cl);
	if (ret < 0) {
		copro_dev_err(&rtk->ld, "crashlog unreadable: %s",
			      cl->error.msg[0] ? cl->error.msg
					       : copro_strerror(ret));
		goto fail;
	}
	free(copy);
	return cl;
fail:
	free(copy);
	free(cl);
	return NULL;
}

static void crashed(struct copro_rtkit *rtk, const struct rtk_buf *b,
		    struct rtk_out *out)
{
	copro_dev_err(&rtk->ld, "the coprocessor crashed");
	free(rtk->crashlog);
	rtk->crashlog = decode(rtk, b);
	if (rtk->crashlog)
		copro_crashlog_log(rtk->crashlog, &rtk->ld, COPRO_LOG_ERR);
	atomic_store(&rtk->crashed, true);
	atomic_store(&rtk->running, false);
	rtk_stat_inc(&rtk->st.crashes);
	/* Waiters look at the crashed flag first. */
	copro_event_signal(&rtk->ev);
	out->ev = RTK_EV_CRASHED;
	out->cl = rtk->crashlog;
}

void rtk_crashlog_rx(struct copro_rtkit *rtk, uint64_t msg,
		     struct rtk_out *out)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);
	const struct rtk_buf *b;

	if (type != RTK_BUFFER_REQUEST) {
		rtk_refuse(rtk, COPRO_RTKIT_EP_CRASHLOG, msg,
			   "unknown crashlog message type 0x%x", type);
		return;
	}
	b = rtk_shmem_get(rtk, COPRO_RTKIT_EP_CRASHLOG);
	if (b)
		crashed(rtk, b, out);
	else
		rtk_shmem_request_msg(rtk, COPRO_RTKIT_EP_CRASHLOG, msg, out);
}
