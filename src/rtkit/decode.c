// SPDX-License-Identifier: MIT
/*
 * Names and one-line decoding of RTKit messages, for traces and logs.
 * Pure functions of their arguments: any 64-bit value decodes to
 * something printable.
 */
#include <stdio.h>

#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>

const char *copro_rtkit_pwr_state_name(unsigned state)
{
	switch (state) {
	case COPRO_RTKIT_PWR_OFF:
		return "OFF";
	case COPRO_RTKIT_PWR_SLEEP:
		return "SLEEP";
	case COPRO_RTKIT_PWR_QUIESCED:
		return "QUIESCED";
	case COPRO_RTKIT_PWR_ON:
		return "ON";
	case COPRO_RTKIT_PWR_IDLE:
		return "IDLE";
	case COPRO_RTKIT_PWR_INIT:
		return "INIT";
	}
	return "unknown";
}

const char *copro_rtkit_ep_name(uint8_t ep)
{
	switch (ep) {
	case COPRO_RTKIT_EP_MGMT:
		return "mgmt";
	case COPRO_RTKIT_EP_CRASHLOG:
		return "crashlog";
	case COPRO_RTKIT_EP_SYSLOG:
		return "syslog";
	case COPRO_RTKIT_EP_DEBUG:
		return "debug";
	case COPRO_RTKIT_EP_IOREPORT:
		return "ioreport";
	case COPRO_RTKIT_EP_OSLOG:
		return "oslog";
	case COPRO_RTKIT_EP_TRACEKIT:
		return "tracekit";
	}
	/* Static names, so the result never needs a buffer. */
	static const char *const app[] = {
#define X4(b) "app " b "0", "app " b "1", "app " b "2", "app " b "3",        \
	      "app " b "4", "app " b "5", "app " b "6", "app " b "7",        \
	      "app " b "8", "app " b "9", "app " b "a", "app " b "b",        \
	      "app " b "c", "app " b "d", "app " b "e", "app " b "f"
		X4("0x2"), X4("0x3"), X4("0x4"), X4("0x5"), X4("0x6"),
		X4("0x7"), X4("0x8"), X4("0x9"), X4("0xa"), X4("0xb"),
		X4("0xc"), X4("0xd"), X4("0xe"), X4("0xf"),
#undef X4
	};
	if (ep >= COPRO_RTKIT_APP_EP_START)
		return app[ep - COPRO_RTKIT_APP_EP_START];
	return "system";
}

static void mgmt(char *buf, size_t len, bool to_iop, uint64_t msg)
{
	unsigned type = (unsigned)RTK_MGMT_TYPE(msg);
	unsigned state = (unsigned)RTK_PWR_STATE(msg);

	switch (type) {
	case RTK_MGMT_HELLO:
		snprintf(buf, len, "mgmt HELLO min=%u max=%u",
			 (unsigned)RTK_HELLO_MIN(msg),
			 (unsigned)RTK_HELLO_MAX(msg));
		return;
	case RTK_MGMT_HELLO_REPLY:
		snprintf(buf, len, "mgmt HELLO_REPLY version=%u",
			 (unsigned)RTK_HELLO_MIN(msg));
		return;
	case RTK_MGMT_STARTEP:
		snprintf(buf, len, "mgmt STARTEP ep=0x%02x (%s)",
			 (unsigned)RTK_STARTEP_EP(msg),
			 copro_rtkit_ep_name((uint8_t)RTK_STARTEP_EP(msg)));
		return;
	case RTK_MGMT_SET_IOP_PWR_STATE:
	case RTK_MGMT_SET_IOP_PWR_STATE_ACK:
		snprintf(buf, len, "mgmt %s state=%s (0x%x)",
			 type == RTK_MGMT_SET_IOP_PWR_STATE
				 ? "SET_IOP_PWR_STATE"
				 : "SET_IOP_PWR_STATE_ACK",
			 copro_rtkit_pwr_state_name(state), state);
		return;
	case RTK_MGMT_EPMAP:
		if (to_iop)
			snprintf(buf, len, "mgmt EPMAP_REPLY base=%u%s",
				 (unsigned)RTK_EPMAP_BASE(msg),
				 msg & RTK_EPMAP_LAST ? " LAST"
				 : msg & RTK_EPMAP_MORE ? " MORE"
							: "");
		else
			snprintf(buf, len, "mgmt EPMAP base=%u bitmap=0x%08x%s",
				 (unsigned)RTK_EPMAP_BASE(msg),
				 (unsigned)RTK_EPMAP_BITMAP(msg),
				 msg & RTK_EPMAP_LAST ? " LAST" : "");
		return;
	case RTK_MGMT_SET_AP_PWR_STATE:
		snprintf(buf, len, "mgmt %s state=%s (0x%x)",
			 to_iop ? "SET_AP_PWR_STATE" : "SET_AP_PWR_STATE_ACK",
			 copro_rtkit_pwr_state_name(state), state);
		return;
	}
	snprintf(buf, len, "mgmt type=0x%x msg=0x%016llx", type,
		 (unsigned long long)msg);
}

static void buf_request(char *buf, size_t len, const char *ep, uint64_t msg)
{
	snprintf(buf, len, "%s BUFFER_REQUEST size=%u pages iova=0x%llx", ep,
		 (unsigned)RTK_BUF_SIZE(msg),
		 (unsigned long long)RTK_BUF_IOVA(msg));
}

void copro_rtkit_decode(char *buf, size_t len, bool to_iop, uint8_t ep,
			uint64_t msg)
{
	const char *name = copro_rtkit_ep_name(ep);
	unsigned type = (unsigned)RTK_EP_TYPE(msg);

	if (!buf || !len)
		return;
	switch (ep) {
	case COPRO_RTKIT_EP_MGMT:
		mgmt(buf, len, to_iop, msg);
		return;
	case COPRO_RTKIT_EP_CRASHLOG:
		if (type == RTK_BUFFER_REQUEST) {
			/* Without the host's state, the IOVA tells them apart. */
			buf_request(buf, len, name, msg);
			return;
		}
		break;
	case COPRO_RTKIT_EP_SYSLOG:
		if (type == RTK_BUFFER_REQUEST) {
			buf_request(buf, len, name, msg);
			return;
		}
		if (type == RTK_SYSLOG_INIT) {
			snprintf(buf, len, "syslog INIT entries=%u msg_size=%u",
				 (unsigned)RTK_SYSLOG_N_ENTRIES(msg),
				 (unsigned)RTK_SYSLOG_MSG_SIZE(msg));
			return;
		}
		if (type == RTK_SYSLOG_LOG) {
			snprintf(buf, len, "syslog LOG%s index=%u",
				 to_iop ? "_ACK" : "",
				 (unsigned)RTK_SYSLOG_INDEX(msg));
			return;
		}
		break;
	case COPRO_RTKIT_EP_IOREPORT:
		if (type == RTK_BUFFER_REQUEST) {
			buf_request(buf, len, name, msg);
			return;
		}
		if (type == RTK_IOREPORT_UNKNOWN1 ||
		    type == RTK_IOREPORT_UNKNOWN2) {
			snprintf(buf, len, "ioreport type=0x%x%s msg=0x%016llx",
				 type, to_iop ? " (echo)" : "",
				 (unsigned long long)msg);
			return;
		}
		break;
	case COPRO_RTKIT_EP_OSLOG: {
		unsigned t = (unsigned)RTK_OSLOG_TYPE(msg);

		if (t == RTK_OSLOG_INIT && !RTK_OSLOG_SIZE(msg) &&
		    !RTK_OSLOG_IOVA(msg)) {
			snprintf(buf, len, "oslog INIT");
			return;
		}
		if (t == RTK_OSLOG_INIT) {
			snprintf(buf, len, "oslog BUFFER_REQUEST size=0x%llx iova=0x%llx",
				 (unsigned long long)RTK_OSLOG_SIZE(msg),
				 (unsigned long long)RTK_OSLOG_IOVA(msg) << 12);
			return;
		}
		if (t == RTK_OSLOG_ACK) {
			snprintf(buf, len, "oslog ACK");
			return;
		}
		snprintf(buf, len, "oslog type=0x%x msg=0x%016llx", t,
			 (unsigned long long)msg);
		return;
	}
	default:
		if (ep >= COPRO_RTKIT_APP_EP_START) {
			snprintf(buf, len, "%s msg=0x%016llx", name,
				 (unsigned long long)msg);
			return;
		}
		snprintf(buf, len, "ep 0x%02x msg=0x%016llx", ep,
			 (unsigned long long)msg);
		return;
	}
	snprintf(buf, len, "%s type=0x%x msg=0x%016llx", name, type,
		 (unsigned long long)msg);
}
