// SPDX-License-Identifier: MIT
/*
 * The syslog endpoint (hardware.md 2.5): INIT gives the ring's geometry, each
 * LOG names an entry of the shared buffer, which is logged as
 * "<name>: syslog [<context>] <text>" and acknowledged by sending the
 * message back. The entry bytes are the coprocessor's: text is cut at its
 * first NUL and at the message size, trailing newlines go, and anything
 * not printable is escaped, so a log line is always one clean line.
 * A LOG that cannot be read (before INIT or the buffer, an index out of
 * range, an entry past the buffer's end) is refused and not acknowledged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <copro/regs/rtkit.h>

#include "rtkit/rtkit_internal.h"

/* Printable ASCII stays, everything else becomes \xNN; dst holds 4*n+1. */
static void sanitize(char *dst, const uint8_t *src, size_t n)
{
	size_t len = 0, o = 0;

	while (len < n && src[len])
		len++;
	while (len && (src[len - 1] == '\n' || src[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < len; i++) {
		if (src[i] >= 0x20 && src[i] < 0x7f)
			dst[o++] = (char)src[i];
		else
			o += (size_t)snprintf(dst + o, 5, "\\x%02x", src[i]);
	}
	dst[o] = '\0';
}

static void syslog_init(struct copro_rtkit *rtk, uint64_t msg)
{
	unsigned n = (unsigned)RTK_SYSLOG_N_ENTRIES(msg);
	unsigned size = (unsigned)RTK_SYSLOG_MSG_SIZE(msg);

	if (!n || !size) {
		rtk_refuse(rtk, COPRO_RTKIT_EP_SYSLOG, msg,
			   "syslog INIT with %u entries of %u bytes", n, size);
		return;
	}
	rtk->syslog_entries = n;
	rtk->syslog_msg_size = size;
	copro_dev_dbg(&rtk->ld, "syslog: %u entries of %u bytes", n, size);
}

static void syslog_log(struct copro_rtkit *rtk, uint64_t msg,
		       struct rtk_out *out)
{
	const struct rtk_buf *b = rtk_shmem_get(rtk, COPRO_RTKIT_EP_SYSLOG);
	unsigned idx = (unsigned)RTK_SYSLOG_INDEX(msg);
	uint8_t entry[RTK_SYSLOG_ENTRY_HDR + 255];
	uint64_t stride = RTK_SYSLOG_ENTRY_HDR + rtk->syslog_msg_size;
	uint64_t off = idx * stride;

	if (!rtk->syslog_entries) {
		rtk_refuse(rtk, COPRO_RTKIT_EP_SYSLOG, msg, "syslog LOG before INIT");
		return;
	}
	if (!b) {
		rtk_refuse(rtk, COPRO_RTKIT_EP_SYSLOG, msg,
			   "syslog LOG without a buffer");
		return;
	}
	if (idx >= rtk->syslog_entries) {
		rtk_refuse(rtk, COPRO_RTKIT_EP_SYSLOG, msg,
			   "syslog LOG index %u, but there are %u entries", idx,
			   rtk->syslog_entries);
		return;
	}
	if (off + stride > b->pub.size) {
		rtk_refuse(rtk, COPRO_RTKIT_EP_SYSLOG, msg,
			   "syslog entry %u at 0x%llx runs past the 0x%zx-byte buffer",
			   idx, (unsigned long long)off, b->pub.size);
		return;
	}
	if (rtk_shmem_read(rtk, b, off, entry, (size_t)stride) < 0)
		return;
	sanitize(out->context, entry + RTK_SYSLOG_CONTEXT_OFF,
		 RTK_SYSLOG_CONTEXT_SIZE);
	sanitize(out->text, entry + RTK_SYSLOG_TEXT_OFF, rtk->syslog_msg_size);
	copro_dev_info(&rtk->ld, "syslog [%s] %s", out->context, out->text);
	rtk_stat_inc(&rtk->st.syslog_lines);
	out->ev = RTK_EV_SYSLOG;
	rtk_out_send(out, COPRO_RTKIT_EP_SYSLOG, msg);
}

void rtk_syslog_rx(struct copro_rtkit *rtk, uint64_t msg, struct rtk_out *out)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);

	switch (type) {
	case RTK_BUFFER_REQUEST:
		rtk_shmem_request_msg(rtk, COPRO_RTKIT_EP_SYSLOG, msg, out);
		break;
	case RTK_SYSLOG_INIT:
		syslog_init(rtk, msg);
		break;
	case RTK_SYSLOG_LOG:
		syslog_log(rtk, msg, out);
		break;
	default:
		rtk_refuse(rtk, COPRO_RTKIT_EP_SYSLOG, msg,
			   "unknown syslog message type 0x%x", type);
		break;
	}
}
