// SPDX-License-Identifier: MIT
/*
 * The smaller system endpoints: ioreport (hardware.md 2.6), oslog (2.7), and
 * debug and tracekit, which the host starts (or sees) but has no
 * protocol for.
 */
#include <copro/regs/rtkit.h>

#include "rtkit/rtkit_internal.h"

void rtk_ioreport_rx(struct copro_rtkit *rtk, uint64_t msg,
		     struct rtk_out *out)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);

	switch (type) {
	case RTK_BUFFER_REQUEST:
		rtk_shmem_request_msg(rtk, COPRO_RTKIT_EP_IOREPORT, msg, out);
		break;
	case RTK_IOREPORT_UNKNOWN1:
	case RTK_IOREPORT_UNKNOWN2:
		/* Unanswered, the coprocessor hangs. */
		rtk_stat_inc(&rtk->st.ioreport_echoed);
		rtk_out_send(out, COPRO_RTKIT_EP_IOREPORT, msg);
		break;
	default:
		rtk_refuse(rtk, COPRO_RTKIT_EP_IOREPORT, msg,
			   "unknown ioreport message type 0x%x", type);
		break;
	}
}

/*
 * Type 1 is both schemes' first message: old firmware's INIT carries
 * nothing, newer firmware's buffer request a size.
 */
void rtk_oslog_rx(struct copro_rtkit *rtk, uint64_t msg, struct rtk_out *out)
{
	unsigned type = (unsigned)RTK_OSLOG_TYPE(msg);
	uint64_t size = RTK_OSLOG_SIZE(msg), iova = RTK_OSLOG_IOVA(msg) << 12;
	uint64_t chosen;
	bool answer;

	if (type != RTK_OSLOG_INIT) {
		rtk_refuse(rtk, COPRO_RTKIT_EP_OSLOG, msg,
			   "unknown oslog message type 0x%x", type);
		return;
	}
	if (!size && !iova) {
		copro_dev_dbg(&rtk->ld, "oslog: INIT (old scheme), acknowledged");
		rtk_out_send(out, COPRO_RTKIT_EP_OSLOG,
			     RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_ACK));
		return;
	}
	if (rtk_shmem_request(rtk, COPRO_RTKIT_EP_OSLOG, iova, size, msg,
			      &answer, &chosen) < 0 ||
	    !answer)
		return;
	rtk_out_send(out, COPRO_RTKIT_EP_OSLOG,
		     RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT) |
			     RTK_OSLOG_SIZE_MAKE(size) |
			     RTK_OSLOG_IOVA_MAKE(chosen >> 12));
}

void rtk_other_sys_rx(struct copro_rtkit *rtk, uint8_t ep, uint64_t msg)
{
	rtk_refuse(rtk, ep, msg, "no protocol is known for endpoint 0x%02x (%s)",
		   ep, copro_rtkit_ep_name(ep));
}
