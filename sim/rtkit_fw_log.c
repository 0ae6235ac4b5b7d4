/* SPDX-License-Identifier: MIT */
/*
 * The system endpoints other than management, coprocessor side: crashlog
 * and ioreport buffers (hardware.md 2.3, 2.6), the syslog ring (2.5),
 * both oslog schemes (2.7), and the periodic traffic.
 *
 * Syslog: entry i lives at i * (0x20 + msg_size): a u64 sequence number,
 * the 24-byte context at +8, the text at +0x20. An entry stays busy from
 * its LOG message until the AP sends that message back; with every entry
 * busy, new lines are dropped (and logged), never overwritten.
 *
 * IOReport: types 8 and 0xc must come back unchanged within
 * ioreport_timeout_ns, or the firmware stalls for good (stalled, silent),
 * which is what real firmware does when the AP forgets the echo.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <copro/error.h>

#include "rtkit_fw_internal.h"



size_t fw_syslog_stride(const struct copro_sim_rtkit *fw)
{
	return RTK_SYSLOG_ENTRY_HDR + fw->cfg.syslog_msg_size;
}

void fw_log_reset(struct copro_sim_rtkit *fw)
{
	memset(fw->syslog_pending, 0, sizeof(fw->syslog_pending));
	fw->syslog_next = 0;
	fw->n_echoes = 0;
	fw->oslog_init_pending = false;
	fw->n_held = 0;
}

void fw_log_schedule(struct copro_sim_rtkit *fw)
{
	uint64_t now = copro_time_ns();

	fw->next_syslog_ns = now + fw->cfg.syslog_period_ns;
	fw->next_ioreport_ns = now + fw->cfg.ioreport_period_ns;
}

void fw_log_start_ep(struct copro_sim_rtkit *fw, uint8_t ep)
{
	switch (ep) {
	case FW_EP_CRASHLOG:
		fw_buf_request(fw, FWB_CRASHLOG);
		break;
	case FW_EP_SYSLOG:
		fw_buf_request(fw, FWB_SYSLOG);
		fw_send(fw, ep, RTK_EP_TYPE_MAKE(RTK_SYSLOG_INIT) |
				RTK_SYSLOG_INIT_MAKE(fw->cfg.syslog_entries,
						     fw->cfg.syslog_msg_size));
		/*
		 * An SRAM ring is ready already: lines held until now go
		 * out, after the request and INIT that tell the AP of it.
		 */
		fw_syslog_flush(fw);
		break;
	case FW_EP_IOREPORT:
		fw_buf_request(fw, FWB_IOREPORT);
		break;
	case FW_EP_OSLOG:
		if (!fw->cfg.oslog_init_ack) {
			fw_buf_request(fw, FWB_OSLOG);
			break;
		}
		/* The old scheme (a test option): INIT, answered by ACK. */
		fw->oslog_init_pending = true;
		fw_send(fw, ep, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT));
		break;
	default:
		break; /* debug, tracekit: nothing to set up */
	}
}

/* ---- syslog ---------------------------------------------------------------- */

static bool syslog_busy(const struct copro_sim_rtkit *fw, unsigned i)
{
	return fw_bit(fw->syslog_pending, i);
}

int fw_syslog_emit(struct copro_sim_rtkit *fw, const void *entry)
{
	unsigned n = fw->cfg.syslog_entries, index = n;
	size_t stride = fw_syslog_stride(fw);
	int ret;

	if (!fw_bit(fw->started, FW_EP_SYSLOG) ||
	    fw->bufs[FWB_SYSLOG].state != FB_READY) {
		copro_dev_warn(&fw->ld, "syslog line dropped: no syslog buffer"
			       " set up");
		return -ENOENT;
	}
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (fw->syslog_next + k) % n;

		if (!syslog_busy(fw, i)) {
			index = i;
			break;
		}
	}
	if (index == n) {
		copro_dev_warn(&fw->ld, "syslog line dropped: all %u entries"
			       " await the AP's acknowledgement", n);
		return -ENOBUFS;
	}
	ret = fw_buf_write(fw, FWB_SYSLOG, (uint64_t)index * stride, entry,
			   stride);
	if (ret < 0) {
		copro_dev_warn(&fw->ld, "syslog line dropped: writing entry %u"
			       " failed: %s", index, copro_strerror(ret));
		return ret;
	}
	fw->syslog_next = (index + 1) % n;
	fw_set_bit(fw->syslog_pending, index);
	fw_stat_inc(fw, syslog_sent);
	return fw_send(fw, FW_EP_SYSLOG, RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) |
					 RTK_MAKE(index, 7, 0));
}

/*
 * Lines go out once the AP may read them: both power states ON (m1n1's
 * AP ON "enables syslog"), the endpoint started, its buffer in place.
 * Until then a few are held; a host that never starts syslog (u-boot)
 * never gets them.
 */
static bool syslog_open(const struct copro_sim_rtkit *fw)
{
	return atomic_load(&fw->up) && fw_bit(fw->started, FW_EP_SYSLOG) &&
	       fw->bufs[FWB_SYSLOG].state == FB_READY;
}

void fw_syslog_flush(struct copro_sim_rtkit *fw)
{
	unsigned i = 0;

	while (i < fw->n_held && syslog_open(fw))
		fw_syslog_emit(fw, fw->held[i++]);
	memmove(fw->held, fw->held[i], (fw->n_held - i) * sizeof(fw->held[0]));
	fw->n_held -= i;
}

void fw_syslog_line(struct copro_sim_rtkit *fw, const char *context,
		    const char *text)
{
	uint8_t entry[FW_SYSLOG_MAX_STRIDE] = { 0 };
	uint64_t seq = fw->syslog_seq++;
	size_t tmax = fw->cfg.syslog_msg_size - 1;
	size_t clen = strnlen(context, RTK_SYSLOG_CONTEXT_SIZE - 1);
	size_t tlen = strnlen(text, tmax);

	for (int i = 0; i < 8; i++)
		entry[i] = (uint8_t)(seq >> (8 * i));
	memcpy(entry + RTK_SYSLOG_CONTEXT_OFF, context, clen);
	memcpy(entry + RTK_SYSLOG_TEXT_OFF, text, tlen);
	if (syslog_open(fw) && !fw->n_held) {
		fw_syslog_emit(fw, entry);
		return;
	}
	if (fw->n_held == FW_SYSLOG_HELD) {
		copro_dev_dbg(&fw->ld, "syslog line dropped: %d lines already"
			      " wait for the AP to read them", FW_SYSLOG_HELD);
		return;
	}
	memcpy(fw->held[fw->n_held++], entry, sizeof(entry));
}

static void syslog_ack(struct copro_sim_rtkit *fw, uint64_t msg)
{
	unsigned index = (unsigned)RTK_SYSLOG_INDEX(msg);
	uint64_t want = RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | RTK_MAKE(index, 7, 0);

	if (msg != want) {
		fw_refuse(fw, FW_EP_SYSLOG, msg, "syslog acknowledgement is not"
			  " the LOG message sent back unchanged");
		return;
	}
	if (index >= fw->cfg.syslog_entries || !syslog_busy(fw, index)) {
		fw_refuse(fw, FW_EP_SYSLOG, msg, "syslog acknowledgement of"
			  " entry %u, which awaits none", index);
		return;
	}
	fw->syslog_pending[index / 8] &= (uint8_t)~(1u << (index % 8));
	fw_stat_inc(fw, syslog_acked);
}

/* ---- ioreport --------------------------------------------------------------- */

static bool needs_echo(unsigned type)
{
	return type == RTK_IOREPORT_UNKNOWN1 || type == RTK_IOREPORT_UNKNOWN2;
}

void fw_ioreport_send(struct copro_sim_rtkit *fw, unsigned type)
{
	/* A report id in 47:32 and a sequence number, so echoes are told apart. */
	uint64_t msg = RTK_EP_TYPE_MAKE(type) | RTK_MAKE(0x1005, 47, 32) |
		       fw->ioreport_seq++;

	if (!fw_bit(fw->started, FW_EP_IOREPORT)) {
		copro_dev_warn(&fw->ld, "ioreport type 0x%x dropped: endpoint"
			       " not started", type);
		return;
	}
	if (needs_echo(type)) {
		if (fw->n_echoes == FW_IOREPORT_PENDING) {
			copro_dev_warn(&fw->ld, "ioreport type 0x%x dropped:"
				       " %d echoes outstanding", type,
				       FW_IOREPORT_PENDING);
			return;
		}
		fw->echoes[fw->n_echoes++] = (struct fw_echo){
			.msg = msg,
			.deadline = copro_time_ns() + fw->cfg.ioreport_timeout_ns,
		};
	}
	fw_stat_inc(fw, ioreport_sent);
	fw_send(fw, FW_EP_IOREPORT, msg);
}

static void ioreport_echo(struct copro_sim_rtkit *fw, uint64_t msg)
{
	for (unsigned i = 0; i < fw->n_echoes; i++) {
		if (fw->echoes[i].msg != msg)
			continue;
		memmove(&fw->echoes[i], &fw->echoes[i + 1],
			(fw->n_echoes - i - 1) * sizeof(fw->echoes[0]));
		fw->n_echoes--;
		fw_stat_inc(fw, ioreport_echoed);
		return;
	}
	fw_refuse(fw, FW_EP_IOREPORT, msg, "ioreport echo of a message that was"
		  " never sent (or was changed)");
}

void fw_log_timers(struct copro_sim_rtkit *fw, uint64_t now,
		   uint64_t *next_wake)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < fw->n_echoes; i++) {
		if (fw->echoes[i].deadline <= now) {
			copro_dev_err(&fw->ld, "ioreport message 0x%016" PRIx64
				      " not echoed within %" PRIu64 " ms:"
				      " firmware stalled",
				      fw->echoes[i].msg,
				      fw->cfg.ioreport_timeout_ns /
					      (uint64_t)COPRO_NSEC_PER_MSEC);
			/* Silent before it says so: stalled() means down. */
			fw_go_silent(fw);
			atomic_store(&fw->stalled, true);
			*next_wake = UINT64_MAX;
			return;
		}
		if (fw->echoes[i].deadline < next)
			next = fw->echoes[i].deadline;
	}
	if (atomic_load(&fw->up) && fw->cfg.syslog_period_ns) {
		if (now >= fw->next_syslog_ns) {
			char text[48];

			snprintf(text, sizeof(text), "periodic line %" PRIu64,
				 fw->syslog_seq);
			fw_syslog_line(fw, "tick", text);
			fw->next_syslog_ns = now + fw->cfg.syslog_period_ns;
		}
		if (fw->next_syslog_ns < next)
			next = fw->next_syslog_ns;
	}
	if (atomic_load(&fw->up) && fw->cfg.ioreport_period_ns) {
		if (now >= fw->next_ioreport_ns) {
			fw_ioreport_send(fw, RTK_IOREPORT_UNKNOWN1);
			fw->next_ioreport_ns = now + fw->cfg.ioreport_period_ns;
		}
		if (fw->next_ioreport_ns < next)
			next = fw->next_ioreport_ns;
	}
	*next_wake = next;
}

/* ---- receiving ---------------------------------------------------------------- */

static void rx_oslog(struct copro_sim_rtkit *fw, uint64_t msg)
{
	unsigned type = (unsigned)RTK_OSLOG_TYPE(msg);

	if (!fw->cfg.oslog_init_ack) {
		if (type == RTK_OSLOG_INIT &&
		    fw->bufs[FWB_OSLOG].mode != COPRO_SIM_RTKIT_BUF_NONE) {
			fw_buf_reply(fw, FWB_OSLOG, FW_EP_OSLOG, msg);
		} else if (msg == RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_ACK) &&
			   fw->bufs[FWB_OSLOG].state == FB_WAIT) {
			/*
			 * m1n1 reads the request as the old INIT and ACKs it:
			 * the firmware goes on without an oslog buffer.
			 */
			copro_dev_dbg(&fw->ld, "oslog buffer request answered"
				      " with the old ACK: no oslog buffer");
			fw->bufs[FWB_OSLOG].state = FB_NONE;
		} else {
			fw_refuse(fw, FW_EP_OSLOG, msg, "oslog type 0x%x is not"
				  " a buffer answer", type);
		}
		return;
	}
	if (type != RTK_OSLOG_ACK) {
		fw_refuse(fw, FW_EP_OSLOG, msg, "oslog type 0x%x is not the"
			  " ACK of INIT", type);
		return;
	}
	if (!fw->oslog_init_pending) {
		fw_refuse(fw, FW_EP_OSLOG, msg, "oslog ACK without an INIT");
		return;
	}
	fw->oslog_init_pending = false;
	copro_dev_dbg(&fw->ld, "oslog INIT acknowledged");
}

void fw_log_rx(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);

	if (!fw_bit(fw->map, ep)) {
		fw_refuse(fw, ep, msg, "endpoint 0x%02x is not in the map", ep);
		return;
	}
	if (!fw_bit(fw->started, ep)) {
		fw_refuse(fw, ep, msg, "endpoint 0x%02x was not started", ep);
		return;
	}
	switch (ep) {
	case FW_EP_CRASHLOG:
		if (type == RTK_BUFFER_REQUEST)
			fw_buf_reply(fw, FWB_CRASHLOG, ep, msg);
		else
			fw_refuse(fw, ep, msg, "crashlog type 0x%x is not one"
				  " the AP sends", type);
		return;
	case FW_EP_SYSLOG:
		if (type == RTK_BUFFER_REQUEST)
			fw_buf_reply(fw, FWB_SYSLOG, ep, msg);
		else if (type == RTK_SYSLOG_LOG)
			syslog_ack(fw, msg);
		else
			fw_refuse(fw, ep, msg, "syslog type 0x%x is not one the"
				  " AP sends", type);
		return;
	case FW_EP_IOREPORT:
		if (type == RTK_BUFFER_REQUEST)
			fw_buf_reply(fw, FWB_IOREPORT, ep, msg);
		else if (needs_echo(type))
			ioreport_echo(fw, msg);
		else
			fw_refuse(fw, ep, msg, "ioreport type 0x%x is not one"
				  " the AP sends", type);
		return;
	case FW_EP_OSLOG:
		rx_oslog(fw, msg);
		return;
	default:
		fw_refuse(fw, ep, msg, "endpoint 0x%02x takes no messages from"
			  " the AP", ep);
	}
}
