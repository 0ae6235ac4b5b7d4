/* SPDX-License-Identifier: MIT */
/*
 * The management endpoint, coprocessor side (hardware.md 2.1, 2.2): HELLO with
 * the version range, the endpoint map in chunks, STARTEP, and the two
 * power states.
 *
 * Sleep (IOP SLEEP or QUIESCED) drops the buffers: the AP frees them when
 * it reinitialises. A wake (IOP ON or INIT while asleep) starts over from
 * HELLO: the map again, the system endpoints started again and asking
 * for their buffers again, IOP ON, then the AP's AP ON (hardware.md 2.2; what
 * Linux, m1n1, u-boot and OpenBSD all wait for). IOP IDLE keeps the
 * session: a wake from it answers IOP ON. A wake request while booting
 * is what bootloaders send before waiting for HELLO: ignored, quietly.
 * Only a CPU restart leaves OFF.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rtkit_fw_internal.h"

/* Without a configured set: what Linux starts. */
#define FW_DEFAULT_REQUIRED                                                  \
	((1u << FW_EP_CRASHLOG) | (1u << FW_EP_SYSLOG) | (1u << FW_EP_DEBUG) | \
	 (1u << FW_EP_IOREPORT) | (1u << FW_EP_OSLOG))

const char *fw_pwr_name(unsigned state)
{
	switch (state) {
	case FW_PWR_OFF: return "OFF";
	case FW_PWR_SLEEP: return "SLEEP";
	case FW_PWR_QUIESCED: return "QUIESCED";
	case FW_PWR_ON: return "ON";
	case FW_PWR_IDLE: return "IDLE";
	case FW_PWR_INIT: return "INIT";
	default: return "unknown";
	}
}

static int mgmt_send(struct copro_sim_rtkit *fw, unsigned type, uint64_t msg)
{
	return fw_send(fw, 0, RTK_MGMT_TYPE_MAKE(type) | msg);
}

/* ---- boot handshake ---------------------------------------------------- */

static unsigned last_base(const struct copro_sim_rtkit *fw)
{
	unsigned last = 0;

	for (unsigned base = 0; base < 8; base++)
		for (unsigned i = 0; i < 4; i++)
			if (fw->map[base * 4 + i])
				last = base;
	return last;
}

static void send_epmap_chunk(struct copro_sim_rtkit *fw, unsigned base)
{
	const uint8_t *b = &fw->map[base * 4];
	uint32_t bitmap = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
			  (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	uint64_t msg = RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) | bitmap |
		       RTK_EPMAP_BASE_MAKE(base);

	/* The fault keeps the map going: LAST never comes. */
	if (base == fw->epmap_last && !fw_fault(fw, COPRO_SIM_RTKIT_FAULT_NO_EPMAP_LAST))
		msg |= RTK_EPMAP_LAST;
	fw->epmap_base = base;
	fw->epmap_sent = msg;
	fw->phase = PH_EPMAP;
	fw_send(fw, 0, msg);
}

void fw_mgmt_boot(struct copro_sim_rtkit *fw)
{
	fw->phase = PH_HELLO;
	fw->version = 0;
	fw->boot_counted = false;
	memset(fw->started, 0, sizeof(fw->started));
	/* A new session: the AP says again which state it is in. */
	fw_set_ap_on(fw, false);
	atomic_store(&fw->ap_state, FW_PWR_OFF);
	if (fw_fault(fw, COPRO_SIM_RTKIT_FAULT_NO_HELLO)) {
		copro_dev_dbg(&fw->ld, "fault: no HELLO, staying silent");
		fw_go_silent(fw);
		return;
	}
	mgmt_send(fw, RTK_MGMT_HELLO,
		  RTK_HELLO_MAKE(fw->cfg.ver_min, fw->cfg.ver_max));
}

static void rx_hello_reply(struct copro_sim_rtkit *fw, uint64_t msg)
{
	unsigned v = (unsigned)RTK_HELLO_MIN(msg);
	unsigned v2 = (unsigned)RTK_HELLO_MAX(msg);

	if (fw->phase != PH_HELLO) {
		fw_refuse(fw, 0, msg, "HELLO_REPLY out of sequence");
		return;
	}
	if (v != v2) {
		fw_refuse(fw, 0, msg, "HELLO_REPLY version fields differ"
			  " (15:0 = %u, 31:16 = %u)", v, v2);
		return;
	}
	if (v < fw->cfg.ver_min || v > fw->cfg.ver_max) {
		copro_dev_err(&fw->ld,
			      "HELLO_REPLY chose version %u, outside this"
			      " firmware's [%u, %u]: not booting",
			      v, fw->cfg.ver_min, fw->cfg.ver_max);
		fw_go_silent(fw);
		fw_stat_inc(fw, refused);
		return;
	}
	fw->version = v;
	fw->epmap_last = last_base(fw);
	send_epmap_chunk(fw, 0);
}

static void missing_eps(const struct copro_sim_rtkit *fw, char *buf,
			size_t len)
{
	uint32_t need = fw->cfg.required_eps ? fw->cfg.required_eps
					     : FW_DEFAULT_REQUIRED;
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned ep = 1; ep < FW_APP_EP_START; ep++) {
		if ((need >> ep) & 1 && fw_bit(fw->map, ep) &&
		    !fw_bit(fw->started, ep) && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s0x%02x",
						off ? ", " : "", ep);
	}
}

/* Once every required system endpoint of the map is started, IOP ON. */
static void check_started(struct copro_sim_rtkit *fw)
{
	char missing[64];

	missing_eps(fw, missing, sizeof(missing));
	if (missing[0])
		return;
	fw->phase = PH_BOOTED;
	atomic_store(&fw->iop_state, FW_PWR_ON);
	fw_set_iop_on(fw, true);
	if (fw_fault(fw, COPRO_SIM_RTKIT_FAULT_NO_IOP_ON) ||
	    (fw->waking && fw_fault(fw, COPRO_SIM_RTKIT_FAULT_NO_IOP_ACK))) {
		copro_dev_dbg(&fw->ld, "fault: IOP ON not reported");
		return;
	}
	fw->waking = false;
	mgmt_send(fw, RTK_MGMT_SET_IOP_PWR_STATE_ACK,
		  RTK_PWR_STATE_MAKE(FW_PWR_ON));
}

static void rx_epmap_reply(struct copro_sim_rtkit *fw, uint64_t msg)
{
	bool was_last = fw->epmap_sent & RTK_EPMAP_LAST;

	if (fw->phase != PH_EPMAP) {
		fw_refuse(fw, 0, msg, "EPMAP_REPLY out of sequence");
		return;
	}
	if (RTK_EPMAP_BASE(msg) != fw->epmap_base) {
		fw_refuse(fw, 0, msg, "EPMAP_REPLY base %u, but chunk %u was"
			  " sent", (unsigned)RTK_EPMAP_BASE(msg),
			  fw->epmap_base);
		return;
	}
	if (was_last != !!(msg & RTK_EPMAP_LAST) ||
	    (!was_last && !(msg & RTK_EPMAP_MORE))) {
		fw_refuse(fw, 0, msg, "EPMAP_REPLY flags: LAST %s, MORE %s"
			  " for a chunk %s LAST",
			  msg & RTK_EPMAP_LAST ? "set" : "clear",
			  msg & RTK_EPMAP_MORE ? "set" : "clear",
			  was_last ? "with" : "without");
		return;
	}
	if (!was_last) {
		send_epmap_chunk(fw, (fw->epmap_base + 1) % 8);
		return;
	}
	fw->phase = PH_STARTEP;
	check_started(fw);
}

void fw_mgmt_startep(struct copro_sim_rtkit *fw, uint64_t msg)
{
	unsigned ep = (unsigned)RTK_STARTEP_EP(msg);

	if (!fw_bit(fw->map, ep)) {
		fw_refuse(fw, 0, msg, "STARTEP of endpoint 0x%02x, which is not"
			  " in the map", ep);
		return;
	}
	if (ep == 0) {
		fw_refuse(fw, 0, msg, "STARTEP of the management endpoint");
		return;
	}
	if (ep >= FW_APP_EP_START) {
		if (!atomic_load(&fw->up)) {
			fw_refuse(fw, 0, msg, "STARTEP of application endpoint"
				  " 0x%02x before boot completed", ep);
			return;
		}
	} else if (fw->phase != PH_STARTEP && fw->phase != PH_BOOTED) {
		fw_refuse(fw, 0, msg, "STARTEP of 0x%02x %s", ep,
			  fw->phase < PH_STARTEP
				  ? "before the endpoint map was acknowledged"
				  : "while asleep");
		return;
	}
	if (fw_bit(fw->started, ep)) {
		fw_refuse(fw, 0, msg, "endpoint 0x%02x already started", ep);
		return;
	}
	fw_set_bit(fw->started, ep);
	copro_dev_dbg(&fw->ld, "endpoint 0x%02x started", ep);
	if (ep < FW_APP_EP_START) {
		fw_log_start_ep(fw, (uint8_t)ep);
		if (fw->phase == PH_STARTEP)
			check_started(fw);
	}
}

/* ---- power states ------------------------------------------------------- */

static void iop_ack(struct copro_sim_rtkit *fw, unsigned state)
{
	if (fw_fault(fw, COPRO_SIM_RTKIT_FAULT_NO_IOP_ACK)) {
		copro_dev_dbg(&fw->ld, "fault: IOP %s not acknowledged",
			      fw_pwr_name(state));
		return;
	}
	mgmt_send(fw, RTK_MGMT_SET_IOP_PWR_STATE_ACK, RTK_PWR_STATE_MAKE(state));
}

static void rx_set_iop(struct copro_sim_rtkit *fw, uint64_t msg)
{
	unsigned s = (unsigned)RTK_PWR_STATE(msg);

	switch (s) {
	case FW_PWR_ON:
	case FW_PWR_INIT:
		if (fw->phase == PH_OFF) {
			copro_dev_err(&fw->ld, "SET_IOP_PWR_STATE(%s) after OFF:"
				      " the coprocessor does not wake from OFF",
				      fw_pwr_name(s));
			fw_stat_inc(fw, refused);
			return;
		}
		if (fw->phase == PH_ASLEEP) {
			copro_dev_dbg(&fw->ld, "waking from %s: HELLO again",
				      fw_pwr_name(atomic_load(&fw->iop_state)));
			fw->waking = true;
			fw_mgmt_boot(fw);
			return;
		}
		if (fw->phase == PH_IDLE) {
			copro_dev_dbg(&fw->ld, "waking from IDLE");
			fw->phase = PH_BOOTED;
			atomic_store(&fw->iop_state, FW_PWR_ON);
			fw_set_iop_on(fw, true);
			iop_ack(fw, FW_PWR_ON);
			return;
		}
		if (fw->phase == PH_BOOTED) {
			iop_ack(fw, FW_PWR_ON);
			return;
		}
		/* Booting anyway: the bootloaders' wake before HELLO. */
		copro_dev_dbg(&fw->ld, "SET_IOP_PWR_STATE(%s) while booting:"
			      " ignored", fw_pwr_name(s));
		return;
	case FW_PWR_IDLE:
		if (fw->phase != PH_BOOTED && fw->phase != PH_IDLE) {
			fw_refuse(fw, 0, msg, "SET_IOP_PWR_STATE(IDLE) while"
				  " not running");
			return;
		}
		/* Asleep but keeping everything: buffers, map, endpoints. */
		fw_set_iop_on(fw, false);
		atomic_store(&fw->iop_state, s);
		fw->phase = PH_IDLE;
		iop_ack(fw, s);
		return;
	case FW_PWR_SLEEP:
	case FW_PWR_QUIESCED:
	case FW_PWR_OFF:
		fw_set_iop_on(fw, false);
		/* The AP frees the buffers when it reinitialises. */
		fw_buf_reset(fw);
		fw_log_reset(fw);
		/* And forgets the map: application endpoints start again. */
		memset(fw->started + FW_APP_EP_START / 8, 0,
		       sizeof(fw->started) - FW_APP_EP_START / 8);
		atomic_store(&fw->iop_state, s);
		fw->phase = s == FW_PWR_OFF ? PH_OFF : PH_ASLEEP;
		iop_ack(fw, s);
		return;
	default:
		fw_refuse(fw, 0, msg, "SET_IOP_PWR_STATE: unknown state 0x%x", s);
	}
}

static void rx_set_ap(struct copro_sim_rtkit *fw, uint64_t msg)
{
	unsigned s = (unsigned)RTK_PWR_STATE(msg);
	char missing[64];

	switch (s) {
	case FW_PWR_ON:
		if (fw->phase != PH_BOOTED) {
			missing_eps(fw, missing, sizeof(missing));
			/*
			 * The detail first: the refusal counts it, and
			 * whoever waits for the count may read the log.
			 */
			if (missing[0] && fw->phase == PH_STARTEP)
				copro_dev_warn(&fw->ld, "not started: %s",
					       missing);
			fw_refuse(fw, 0, msg, "AP ON before boot completed (%s)",
				  fw->phase == PH_STARTEP
					  ? "system endpoints not started"
				  : fw->phase < PH_STARTEP
					  ? "handshake not finished"
					  : "IOP not on");
			return;
		}
		break;
	case FW_PWR_QUIESCED:
	case FW_PWR_IDLE:
	case FW_PWR_SLEEP:
	case FW_PWR_OFF:
		break;
	default:
		fw_refuse(fw, 0, msg, "SET_AP_PWR_STATE: unknown state 0x%x", s);
		return;
	}
	atomic_store(&fw->ap_state, s);
	if (s == FW_PWR_ON && !fw->boot_counted) {
		fw->boot_counted = true;
		fw_stat_inc(fw, boots);
	}
	/* In effect before the ACK: whoever sees the ACK sees the state. */
	fw_set_ap_on(fw, s == FW_PWR_ON);
	if (fw_fault(fw, COPRO_SIM_RTKIT_FAULT_NO_AP_ACK))
		copro_dev_dbg(&fw->ld, "fault: AP %s not acknowledged",
			      fw_pwr_name(s));
	else
		mgmt_send(fw, RTK_MGMT_SET_AP_PWR_STATE,
			  RTK_PWR_STATE_MAKE(s));
	/* AP ON opens the syslog: what waited goes out now. */
	fw_syslog_flush(fw);
}

void fw_mgmt_rx(struct copro_sim_rtkit *fw, uint64_t msg)
{
	unsigned type = (unsigned)RTK_MGMT_TYPE(msg);

	switch (type) {
	case RTK_MGMT_HELLO_REPLY:
		rx_hello_reply(fw, msg);
		break;
	case RTK_MGMT_EPMAP:
		rx_epmap_reply(fw, msg);
		break;
	case RTK_MGMT_STARTEP:
		fw_mgmt_startep(fw, msg);
		break;
	case RTK_MGMT_SET_IOP_PWR_STATE:
		rx_set_iop(fw, msg);
		break;
	case RTK_MGMT_SET_AP_PWR_STATE:
		rx_set_ap(fw, msg);
		break;
	default:
		fw_refuse(fw, 0, msg, "management type 0x%x is not one the AP"
			  " sends", type);
	}
}
