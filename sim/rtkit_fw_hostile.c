/* SPDX-License-Identifier: MIT */
/*
 * Hostile traffic: what a buggy or malicious coprocessor could send, one
 * burst per kind, for tests that the AP logs and refuses it. The
 * firmware's own state is left alone: a hostile buffer request does not
 * replace the real buffer, and an AP that (wrongly) answers one is
 * refused like any unexpected answer.
 */
#include <inttypes.h>
#include <string.h>

#include "rtkit_fw_internal.h"

#define HOSTILE_PAYLOAD 0xbadc0ffee0ddf00dull
#define HOSTILE_BAD_IOVA_HIGH 0xffffffff000ull /* the top of 44 bits */
#define HOSTILE_BAD_IOVA_LOW 0x1000ull	      /* page 1: nothing there */

static const char *const hostile_names[COPRO_SIM_RTKIT_HOSTILE_COUNT] = {
	[COPRO_SIM_RTKIT_HOSTILE_UNKNOWN_EP] = "unknown-ep",
	[COPRO_SIM_RTKIT_HOSTILE_UNKNOWN_TYPE] = "unknown-type",
	[COPRO_SIM_RTKIT_HOSTILE_SYSLOG_INDEX] = "syslog-index",
	[COPRO_SIM_RTKIT_HOSTILE_SYSLOG_TEXT] = "syslog-text",
	[COPRO_SIM_RTKIT_HOSTILE_BUF_ZERO] = "buf-zero",
	[COPRO_SIM_RTKIT_HOSTILE_BUF_HUGE] = "buf-huge",
	[COPRO_SIM_RTKIT_HOSTILE_BUF_DUP] = "buf-dup",
	[COPRO_SIM_RTKIT_HOSTILE_BUF_BAD_IOVA] = "buf-bad-iova",
	[COPRO_SIM_RTKIT_HOSTILE_MGMT] = "mgmt",
};

const char *copro_sim_rtkit_hostile_name(enum copro_sim_rtkit_hostile kind)
{
	if ((unsigned)kind >= COPRO_SIM_RTKIT_HOSTILE_COUNT)
		return "invalid";
	return hostile_names[kind];
}

/* Only to endpoints the AP knows, except where unknown ones are the point. */
static void send_mapped(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg)
{
	if (fw_bit(fw->map, ep))
		fw_send(fw, ep, msg);
}

static void unknown_eps(struct copro_sim_rtkit *fw)
{
	/* One unmapped system endpoint, two application ones, and 0xff. */
	static const uint8_t from[] = { 0x05, 0x21, 0x7e, 0xff };

	for (size_t i = 0; i < sizeof(from); i++) {
		unsigned ep = from[i];

		while (ep < 0xff && fw_bit(fw->map, ep))
			ep++;
		if (!fw_bit(fw->map, ep))
			fw_send(fw, (uint8_t)ep, HOSTILE_PAYLOAD);
	}
}

static void unknown_types(struct copro_sim_rtkit *fw)
{
	fw_send(fw, 0, RTK_MGMT_TYPE_MAKE(0x3f) | 0x1234);
	fw_send(fw, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_IOP_PWR_STATE) | 0x20);
	send_mapped(fw, FW_EP_CRASHLOG, RTK_EP_TYPE_MAKE(0x7) | 0x42);
	send_mapped(fw, FW_EP_SYSLOG, RTK_EP_TYPE_MAKE(0x77) | 0x42);
	send_mapped(fw, FW_EP_DEBUG, RTK_EP_TYPE_MAKE(0x2) | 0x42);
	send_mapped(fw, FW_EP_IOREPORT, RTK_EP_TYPE_MAKE(0x55) | 0x42);
	send_mapped(fw, FW_EP_OSLOG, RTK_OSLOG_TYPE_MAKE(0x42) | 0x42);
}

static void syslog_indices(struct copro_sim_rtkit *fw)
{
	unsigned n = fw->cfg.syslog_entries;

	send_mapped(fw, FW_EP_SYSLOG,
		    RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | RTK_MAKE(n, 7, 0));
	if (n < 0xff)
		send_mapped(fw, FW_EP_SYSLOG,
			    RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | 0xff);
}

static void syslog_texts(struct copro_sim_rtkit *fw)
{
	uint8_t e[RTK_SYSLOG_ENTRY_HDR + 0xff];
	size_t size = fw->cfg.syslog_msg_size;
	uint8_t *text = e + RTK_SYSLOG_TEXT_OFF;

	/* Neither context nor text terminated: both fill their fields. */
	memset(e, 0, sizeof(e));
	memset(e + RTK_SYSLOG_CONTEXT_OFF, 'C', RTK_SYSLOG_CONTEXT_SIZE);
	memset(text, 'U', size);
	if (fw_syslog_emit(fw, e) < 0)
		return;
	/* Binary: control characters, escapes, high bytes, no NUL. */
	memset(e, 0, sizeof(e));
	memcpy(e + RTK_SYSLOG_CONTEXT_OFF, "bin\x1b[31m", 8);
	for (size_t i = 0; i < size; i++)
		text[i] = (uint8_t)(i % 2 ? 0x80 + i % 0x80 : 1 + i % 0x1f);
	fw_syslog_emit(fw, e);
	/* Trailing newlines, then garbage after the NUL the AP must not show. */
	memset(e, 0, sizeof(e));
	memcpy(e + RTK_SYSLOG_CONTEXT_OFF, "nl", 2);
	memset(text, 0xee, size);
	if (size >= 8)
		memcpy(text, "line\n\n\n", 8);
	fw_syslog_emit(fw, e);
}

static uint64_t buf_msg(unsigned pages, uint64_t iova)
{
	return RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) | RTK_BUF_SIZE_MAKE(pages) |
	       RTK_BUF_IOVA_MAKE(iova);
}

/* Syslog and ioreport: a crashlog type 1 with a buffer means "crashed". */
static void buffers(struct copro_sim_rtkit *fw,
		    enum copro_sim_rtkit_hostile kind)
{
	static const struct {
		uint8_t ep;
		enum fw_buf_id id;
	} eps[] = { { FW_EP_SYSLOG, FWB_SYSLOG },
		    { FW_EP_IOREPORT, FWB_IOREPORT } };

	for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
		const struct fw_buf *b = &fw->bufs[eps[i].id];
		uint64_t slot = b->mode == COPRO_SIM_RTKIT_BUF_HOST
					? 0
					: fw_buf_slot_iova(fw, eps[i].id);
		uint64_t msg;

		switch (kind) {
		case COPRO_SIM_RTKIT_HOSTILE_BUF_ZERO:
			msg = buf_msg(0, 0);
			break;
		case COPRO_SIM_RTKIT_HOSTILE_BUF_HUGE:
			msg = buf_msg(0xff, slot);
			break;
		case COPRO_SIM_RTKIT_HOSTILE_BUF_DUP:
			msg = buf_msg(fw->cfg.buf_pages, slot);
			break;
		default:
			msg = buf_msg(fw->cfg.buf_pages,
				      i ? HOSTILE_BAD_IOVA_LOW
					: HOSTILE_BAD_IOVA_HIGH);
			break;
		}
		send_mapped(fw, eps[i].ep, msg);
	}
	if (kind == COPRO_SIM_RTKIT_HOSTILE_BUF_HUGE &&
	    fw->bufs[FWB_OSLOG].mode != COPRO_SIM_RTKIT_BUF_NONE)
		send_mapped(fw, FW_EP_OSLOG,
			    RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT) |
				    RTK_OSLOG_SIZE_MAKE(0xfffff));
}

/*
 * A HELLO is not among them: real firmware that restarts says HELLO, and
 * hosts answer it with a new handshake.
 */
static void mgmt(struct copro_sim_rtkit *fw)
{
	fw_send(fw, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) | 0xffff0000u |
			       RTK_EPMAP_BASE_MAKE(3));
	fw_send(fw, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) | 0xffffffffu |
			       RTK_EPMAP_BASE_MAKE(7) | RTK_EPMAP_LAST);
}

void fw_hostile(struct copro_sim_rtkit *fw, enum copro_sim_rtkit_hostile kind)
{
	copro_dev_info(&fw->ld, "hostile burst: %s",
		       copro_sim_rtkit_hostile_name(kind));
	switch (kind) {
	case COPRO_SIM_RTKIT_HOSTILE_UNKNOWN_EP:
		unknown_eps(fw);
		break;
	case COPRO_SIM_RTKIT_HOSTILE_UNKNOWN_TYPE:
		unknown_types(fw);
		break;
	case COPRO_SIM_RTKIT_HOSTILE_SYSLOG_INDEX:
		syslog_indices(fw);
		break;
	case COPRO_SIM_RTKIT_HOSTILE_SYSLOG_TEXT:
		syslog_texts(fw);
		break;
	case COPRO_SIM_RTKIT_HOSTILE_BUF_ZERO:
	case COPRO_SIM_RTKIT_HOSTILE_BUF_HUGE:
	case COPRO_SIM_RTKIT_HOSTILE_BUF_DUP:
	case COPRO_SIM_RTKIT_HOSTILE_BUF_BAD_IOVA:
		buffers(fw, kind);
		break;
	case COPRO_SIM_RTKIT_HOSTILE_MGMT:
		mgmt(fw);
		break;
	case COPRO_SIM_RTKIT_HOSTILE_COUNT:
		break;
	}
}
