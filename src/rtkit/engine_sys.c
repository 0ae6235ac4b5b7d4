// SPDX-License-Identifier: MIT
/*
 * The system endpoints in the engine: buffer requests (hardware.md 2.3), the
 * crashlog (2.4), syslog (2.5), ioreport (2.6) and oslog (2.7).
 *
 * A buffer request is checked here for what needs no knowledge of the
 * memory (size 0 or above the limit, a second request, an unaligned
 * IOVA) and handed to the glue as a BUFFER event; the glue's outcome
 * (copro_rtkit_engine_buffer) produces the answer.
 *
 * Every syslog LOG is acknowledged, even one that cannot be read (before
 * INIT or a buffer, an index out of range, an entry past the buffer):
 * the firmware waits for the acknowledgement before it reuses the
 * entry, as Linux, m1n1 and OpenBSD all do. An unreadable one is
 * refused (logged, counted) as well.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>

#include "rtkit/engine_internal.h"

#define PAGE_MASK ((uint64_t)RTK_PAGE_SIZE - 1)

/* ---- buffer requests ----------------------------------------------------- */

static void buffer_request(struct copro_rtkit_engine *e, uint8_t ep,
			   uint64_t iova, uint64_t size, uint64_t msg,
			   struct copro_rtkit_out *out)
{
	const char *why = NULL;

	if (e->bufs[ep].present || e->bufs[ep].pending)
		why = "a second buffer request; the endpoint has its buffer";
	else if (!size)
		why = "a buffer of 0 bytes";
	else if (size > e->cfg.shmem_max)
		why = "a buffer larger than the configured maximum";
	else if (iova & PAGE_MASK)
		why = "an IOVA that is not 4 KiB aligned";
	if (why) {
		eng_refuse(e, ep, msg,
			   "buffer request (iova 0x%" PRIx64 ", size 0x%" PRIx64
			   ", limit 0x%" PRIx64 "): %s",
			   iova, size, e->cfg.shmem_max, why);
		return;
	}
	e->bufs[ep].pending = true;
	e->bufs[ep].iova = iova;
	e->bufs[ep].size = size;
	e->bufs[ep].msg = msg;
	eng_emit(e, out,
		 &(struct copro_rtkit_event){ .type = COPRO_RTKIT_EV_BUFFER,
					      .ep = ep,
					      .iova = iova,
					      .size = size });
}

void copro_rtkit_engine_buffer(struct copro_rtkit_engine *e, uint8_t ep,
			       int err, const char *why, uint64_t iova,
			       bool answer, struct copro_rtkit_out *out)
{
	uint64_t size;

	if (ep >= COPRO_RTKIT_ENGINE_SYS_EPS || !e->bufs[ep].pending) {
		eng_log(e, COPRO_LOG_ERR,
			"buffer outcome for endpoint 0x%02x, which asked for none",
			ep);
		return;
	}
	e->bufs[ep].pending = false;
	size = e->bufs[ep].size;
	if (err < 0) {
		eng_refuse(e, ep, e->bufs[ep].msg,
			   "buffer request (iova 0x%" PRIx64 ", size 0x%" PRIx64
			   "): %s",
			   e->bufs[ep].iova, size, why ? why : "not provided");
		return;
	}
	e->bufs[ep].present = true;
	e->bufs[ep].iova = iova;
	eng_log(e, COPRO_LOG_DEBUG, "%s: buffer at 0x%" PRIx64 ", 0x%" PRIx64 " bytes",
		copro_rtkit_ep_name(ep), iova, size);
	if (!answer)
		return;
	if (ep == COPRO_RTKIT_EP_OSLOG)
		eng_send(e, out, ep,
			 RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT) |
				 RTK_OSLOG_SIZE_MAKE(size) |
				 RTK_OSLOG_IOVA_MAKE(iova >> 12));
	else
		eng_send(e, out, ep,
			 RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) |
				 RTK_BUF_SIZE_MAKE(size / RTK_PAGE_SIZE) |
				 RTK_BUF_IOVA_MAKE(iova));
}

/* The type-1 request of crashlog, syslog and ioreport. */
static void request_msg(struct copro_rtkit_engine *e, uint8_t ep, uint64_t msg,
			struct copro_rtkit_out *out)
{
	buffer_request(e, ep, RTK_BUF_IOVA(msg),
		       RTK_BUF_SIZE(msg) * RTK_PAGE_SIZE, msg, out);
}

/* ---- crashlog -------------------------------------------------------------- */

void eng_crashlog_rx(struct copro_rtkit_engine *e, uint64_t msg,
		     struct copro_rtkit_out *out)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);

	if (type != RTK_BUFFER_REQUEST) {
		eng_refuse(e, COPRO_RTKIT_EP_CRASHLOG, msg,
			   "unknown crashlog message type 0x%x", type);
		return;
	}
	if (!e->bufs[COPRO_RTKIT_EP_CRASHLOG].present) {
		request_msg(e, COPRO_RTKIT_EP_CRASHLOG, msg, out);
		return;
	}
	/* With its buffer in place, type 1 means "crashed". */
	eng_log(e, COPRO_LOG_ERR, "the coprocessor crashed");
	e->crashed = true;
	e->st.crashes++;
	eng_emit(e, out,
		 &(struct copro_rtkit_event){
			 .type = COPRO_RTKIT_EV_CRASHED,
			 .ep = COPRO_RTKIT_EP_CRASHLOG,
			 .iova = e->bufs[COPRO_RTKIT_EP_CRASHLOG].iova,
			 .size = e->bufs[COPRO_RTKIT_EP_CRASHLOG].size });
}

/* ---- syslog ------------------------------------------------------------------ */

static void syslog_init(struct copro_rtkit_engine *e, uint64_t msg)
{
	unsigned n = (unsigned)RTK_SYSLOG_N_ENTRIES(msg);
	unsigned size = (unsigned)RTK_SYSLOG_MSG_SIZE(msg);

	if (!n || !size) {
		eng_refuse(e, COPRO_RTKIT_EP_SYSLOG, msg,
			   "syslog INIT with %u entries of %u bytes", n, size);
		return;
	}
	/* A restarted coprocessor may send INIT again: the new ring counts. */
	e->syslog_entries = n;
	e->syslog_msg_size = size;
	eng_log(e, COPRO_LOG_DEBUG, "syslog: %u entries of %u bytes", n, size);
}

static void syslog_ack(struct copro_rtkit_engine *e, uint64_t msg,
		       struct copro_rtkit_out *out)
{
	e->st.syslog_acked++;
	eng_send(e, out, COPRO_RTKIT_EP_SYSLOG, msg);
}

static void syslog_log(struct copro_rtkit_engine *e, uint64_t msg,
		       struct copro_rtkit_out *out)
{
	unsigned idx = (unsigned)RTK_SYSLOG_INDEX(msg);
	uint64_t stride = RTK_SYSLOG_ENTRY_HDR + e->syslog_msg_size;
	uint64_t off = idx * stride, size = e->bufs[COPRO_RTKIT_EP_SYSLOG].size;

	syslog_ack(e, msg, out);
	if (!e->syslog_entries) {
		eng_refuse(e, COPRO_RTKIT_EP_SYSLOG, msg,
			   "syslog LOG before INIT (acknowledged unread)");
	} else if (!e->bufs[COPRO_RTKIT_EP_SYSLOG].present) {
		eng_refuse(e, COPRO_RTKIT_EP_SYSLOG, msg,
			   "syslog LOG without a buffer (acknowledged unread)");
	} else if (idx >= e->syslog_entries) {
		eng_refuse(e, COPRO_RTKIT_EP_SYSLOG, msg,
			   "syslog LOG index %u, but there are %u entries (acknowledged unread)",
			   idx, e->syslog_entries);
	} else if (off + stride > size) {
		eng_refuse(e, COPRO_RTKIT_EP_SYSLOG, msg,
			   "syslog entry %u at 0x%" PRIx64
			   " runs past the 0x%" PRIx64 "-byte buffer (acknowledged unread)",
			   idx, off, size);
	} else {
		eng_emit(e, out,
			 &(struct copro_rtkit_event){
				 .type = COPRO_RTKIT_EV_SYSLOG,
				 .ep = COPRO_RTKIT_EP_SYSLOG,
				 .index = idx,
				 .offset = off,
				 .size = stride });
	}
}

void eng_syslog_rx(struct copro_rtkit_engine *e, uint64_t msg,
		   struct copro_rtkit_out *out)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);

	switch (type) {
	case RTK_BUFFER_REQUEST:
		request_msg(e, COPRO_RTKIT_EP_SYSLOG, msg, out);
		break;
	case RTK_SYSLOG_INIT:
		syslog_init(e, msg);
		break;
	case RTK_SYSLOG_LOG:
		syslog_log(e, msg, out);
		break;
	default:
		eng_refuse(e, COPRO_RTKIT_EP_SYSLOG, msg,
			   "unknown syslog message type 0x%x", type);
		break;
	}
}

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

int copro_rtkit_syslog_entry(const uint8_t *entry, size_t len,
			     unsigned msg_size, char *context, char *text)
{
	if (msg_size > 0xff || len < RTK_SYSLOG_ENTRY_HDR + (size_t)msg_size)
		return -EINVAL;
	sanitize(context, entry + RTK_SYSLOG_CONTEXT_OFF, RTK_SYSLOG_CONTEXT_SIZE);
	sanitize(text, entry + RTK_SYSLOG_TEXT_OFF, msg_size);
	return 0;
}

/* ---- ioreport and oslog -------------------------------------------------------- */

static bool ioreport_echo(struct copro_rtkit_engine *e, uint64_t msg,
			  struct copro_rtkit_out *out)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);

	if (type != RTK_IOREPORT_UNKNOWN1 && type != RTK_IOREPORT_UNKNOWN2)
		return false;
	/* Unanswered, the coprocessor hangs. */
	e->st.ioreport_echoed++;
	eng_send(e, out, COPRO_RTKIT_EP_IOREPORT, msg);
	return true;
}

void eng_ioreport_rx(struct copro_rtkit_engine *e, uint64_t msg,
		     struct copro_rtkit_out *out)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);

	if (type == RTK_BUFFER_REQUEST)
		request_msg(e, COPRO_RTKIT_EP_IOREPORT, msg, out);
	else if (!ioreport_echo(e, msg, out))
		eng_refuse(e, COPRO_RTKIT_EP_IOREPORT, msg,
			   "unknown ioreport message type 0x%x", type);
}

/* Notifications OpenBSD ignores and nobody answers. */
static bool oslog_ignored(unsigned type)
{
	return type == 3 || type == 4 || type == 5;
}

/*
 * Type 1 is a buffer request on supported firmware (size in bytes,
 * IOVA >> 12). An empty one is the old INIT, which wants an ACK; never
 * seen on supported firmware, tolerated.
 */
void eng_oslog_rx(struct copro_rtkit_engine *e, uint64_t msg,
		  struct copro_rtkit_out *out)
{
	unsigned type = (unsigned)RTK_OSLOG_TYPE(msg);
	uint64_t size = RTK_OSLOG_SIZE(msg), iova = RTK_OSLOG_IOVA(msg) << 12;

	if (type == RTK_OSLOG_INIT && !size && !iova) {
		eng_log(e, COPRO_LOG_DEBUG, "oslog: INIT (old scheme), acknowledged");
		eng_send(e, out, COPRO_RTKIT_EP_OSLOG,
			 RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_ACK));
	} else if (type == RTK_OSLOG_INIT) {
		buffer_request(e, COPRO_RTKIT_EP_OSLOG, iova, size, msg, out);
	} else if (oslog_ignored(type)) {
		eng_log(e, COPRO_LOG_DEBUG, "oslog: notification 0x%016" PRIx64
			" (type %u) ignored", msg, type);
	} else {
		eng_refuse(e, COPRO_RTKIT_EP_OSLOG, msg,
			   "unknown oslog message type 0x%x", type);
	}
}

/* ---- without a map ------------------------------------------------------------- */

bool eng_unmapped_sys_rx(struct copro_rtkit_engine *e, uint8_t ep,
			 uint64_t msg, struct copro_rtkit_out *out)
{
	switch (ep) {
	case COPRO_RTKIT_EP_SYSLOG:
		if (RTK_EP_TYPE(msg) != RTK_SYSLOG_LOG)
			return false;
		eng_log(e, COPRO_LOG_DEBUG,
			"syslog LOG of a session this host did not set up: acknowledged unread");
		syslog_ack(e, msg, out);
		return true;
	case COPRO_RTKIT_EP_IOREPORT:
		return ioreport_echo(e, msg, out);
	case COPRO_RTKIT_EP_OSLOG:
		return oslog_ignored((unsigned)RTK_OSLOG_TYPE(msg));
	default:
		return false;
	}
}
