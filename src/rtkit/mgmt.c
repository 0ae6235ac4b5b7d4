// SPDX-License-Identifier: MIT
/*
 * The management endpoint (hardware.md 2.1, 2.2): HELLO and the endpoint map
 * drive the boot handshake forward, power-state ACKs complete the
 * requests lifecycle.c sent. A message that does not fit where the
 * handshake stands fails the handshake (-EPROTO) if one is under way, and
 * is refused otherwise; nothing the coprocessor sends is taken on trust.
 *
 * The handshake runs here, in the receiving context, step after step:
 * boot() only starts it and waits. A HELLO that arrives before boot() is
 * called (the CPU was started first) starts it just the same, as Linux
 * does; boot() then finds it under way or finished.
 */
#include <errno.h>

#include <copro/error.h>
#include <copro/regs/rtkit.h>

#include "rtkit/rtkit_internal.h"

/* The system endpoints the host starts (the coprocessor needs them). */
static bool sys_ep_known(uint8_t ep)
{
	return ep == COPRO_RTKIT_EP_CRASHLOG || ep == COPRO_RTKIT_EP_SYSLOG ||
	       ep == COPRO_RTKIT_EP_DEBUG || ep == COPRO_RTKIT_EP_IOREPORT ||
	       ep == COPRO_RTKIT_EP_OSLOG;
}

static bool state_on(unsigned state)
{
	return (state & 0xff) == COPRO_RTKIT_PWR_ON;
}

void rtk_set_phase(struct copro_rtkit *rtk, enum rtk_phase phase)
{
	rtk->phase = phase;
	if (phase != RTK_RUNNING)
		rtk->boot_claimed = false;
	atomic_store(&rtk->running, phase == RTK_RUNNING);
	copro_event_signal(&rtk->ev);
}

static bool handshaking(const struct copro_rtkit *rtk)
{
	return rtk->phase == RTK_WAIT_EPMAP || rtk->phase == RTK_WAIT_IOP_ON ||
	       rtk->phase == RTK_WAIT_AP_ON;
}

void rtk_boot_fail(struct copro_rtkit *rtk, int err)
{
	if (!handshaking(rtk) && rtk->phase != RTK_WAIT_HELLO)
		return;
	rtk->boot_err = err;
	rtk_set_phase(rtk, RTK_FAILED);
}

static const char *phase_name(enum rtk_phase phase)
{
	static const char *const names[] = {
		[RTK_IDLE] = "not booting",
		[RTK_WAIT_HELLO] = "waiting for HELLO",
		[RTK_WAIT_EPMAP] = "waiting for the endpoint map",
		[RTK_WAIT_IOP_ON] = "waiting for IOP ON",
		[RTK_WAIT_AP_ON] = "waiting for the AP ON ACK",
		[RTK_RUNNING] = "running",
		[RTK_FAILED] = "after a failed boot",
	};

	return names[phase];
}

/* A message the handshake did not expect here. */
static void out_of_sequence(struct copro_rtkit *rtk, uint64_t msg,
			    const char *what)
{
	rtk_refuse(rtk, COPRO_RTKIT_EP_MGMT, msg, "%s %s", what,
		   phase_name(rtk->phase));
	if (handshaking(rtk))
		rtk_boot_fail(rtk, -EPROTO);
}

static void hello(struct copro_rtkit *rtk, uint64_t msg, struct rtk_out *out)
{
	unsigned min = (unsigned)RTK_HELLO_MIN(msg);
	unsigned max = (unsigned)RTK_HELLO_MAX(msg);
	unsigned want = max < COPRO_RTKIT_MAX_VERSION ? max
						       : COPRO_RTKIT_MAX_VERSION;

	if (rtk->phase != RTK_IDLE && rtk->phase != RTK_WAIT_HELLO &&
	    rtk->phase != RTK_FAILED) {
		out_of_sequence(rtk, msg, "HELLO");
		return;
	}
	if (want < min || want < COPRO_RTKIT_MIN_VERSION) {
		rtk_refuse(rtk, COPRO_RTKIT_EP_MGMT, msg,
			   "HELLO offers versions %u to %u; this host speaks %u to %u",
			   min, max, COPRO_RTKIT_MIN_VERSION,
			   COPRO_RTKIT_MAX_VERSION);
		rtk->phase = RTK_WAIT_HELLO; /* so that the failure sticks */
		rtk_boot_fail(rtk, -EPROTONOSUPPORT);
		return;
	}
	rtk->version = want;
	rtk->iop_on_seen = false;
	rtk->boot_err = 0;
	rtk->powered_off = false;
	/* A new handshake brings a new map. */
	for (unsigned i = 0; i < COPRO_RTKIT_MAX_EPS / 64; i++)
		rtk->eps[i] = 0;
	copro_dev_dbg(&rtk->ld, "HELLO: versions %u to %u, using %u", min, max,
		      want);
	rtk_out_send(out, COPRO_RTKIT_EP_MGMT,
		     RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO_REPLY) |
			     RTK_HELLO_MAKE(want, want));
	out->boot_step = true;
	rtk_set_phase(rtk, RTK_WAIT_EPMAP);
}

/* IOP ON is in: ask for AP ON. */
static void ask_ap_on(struct copro_rtkit *rtk, struct rtk_out *out)
{
	rtk_out_send(out, COPRO_RTKIT_EP_MGMT,
		     RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_AP_PWR_STATE) |
			     RTK_PWR_STATE_MAKE(COPRO_RTKIT_PWR_ON));
	out->boot_step = true;
	rtk_set_phase(rtk, RTK_WAIT_AP_ON);
}

static void start_system_eps(struct copro_rtkit *rtk, struct rtk_out *out)
{
	for (unsigned ep = 1; ep < RTK_SYS_EPS; ep++) {
		if (!rtk_has_ep(rtk, (uint8_t)ep))
			continue;
		if (!sys_ep_known((uint8_t)ep)) {
			copro_dev_warn(&rtk->ld,
				       "unknown system endpoint 0x%02x (%s) in the map: not started",
				       ep, copro_rtkit_ep_name((uint8_t)ep));
			continue;
		}
		rtk_out_send(out, COPRO_RTKIT_EP_MGMT,
			     RTK_MGMT_TYPE_MAKE(RTK_MGMT_STARTEP) |
				     RTK_STARTEP_MAKE(ep));
	}
}

static void epmap(struct copro_rtkit *rtk, uint64_t msg, struct rtk_out *out)
{
	uint32_t bitmap = (uint32_t)RTK_EPMAP_BITMAP(msg);
	unsigned base = (unsigned)RTK_EPMAP_BASE(msg);
	bool last = msg & RTK_EPMAP_LAST;

	if (rtk->phase != RTK_WAIT_EPMAP) {
		out_of_sequence(rtk, msg, "EPMAP");
		return;
	}
	for (unsigned bit = 0; bit < 32; bit++) {
		unsigned ep = base * 32 + bit;

		if (bitmap & (1u << bit))
			rtk->eps[ep / 64] |= 1ull << (ep % 64);
	}
	rtk_out_send(out, COPRO_RTKIT_EP_MGMT,
		     RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) |
			     RTK_EPMAP_BASE_MAKE(base) |
			     (last ? RTK_EPMAP_LAST : RTK_EPMAP_MORE));
	out->boot_step = true;
	if (!last)
		return;
	start_system_eps(rtk, out);
	rtk_set_phase(rtk, RTK_WAIT_IOP_ON);
	/* The coprocessor may have reported ON before the map ended. */
	if (rtk->iop_on_seen)
		ask_ap_on(rtk, out);
}

static void pwr_done(struct copro_rtkit *rtk, struct rtk_pwr_wait *w,
		     const char *who, unsigned state)
{
	if (!w->pending)
		return;
	w->pending = false;
	w->result = 0;
	if (state != w->want) {
		copro_dev_err(&rtk->ld, "%s power state: asked for %s (0x%x), ACK says %s (0x%x)",
			      who, copro_rtkit_pwr_state_name(w->want), w->want,
			      copro_rtkit_pwr_state_name(state), state);
		w->result = -EPROTO;
	}
	copro_event_signal(&rtk->ev);
}

static void iop_ack(struct copro_rtkit *rtk, uint64_t msg, struct rtk_out *out)
{
	unsigned state = (unsigned)RTK_PWR_STATE(msg);

	copro_dev_dbg(&rtk->ld, "IOP power state %s (0x%x)",
		      copro_rtkit_pwr_state_name(state), state);
	rtk->iop_state = state;
	if (state_on(state))
		rtk->iop_on_seen = true;
	if (!state_on(state) && rtk->phase == RTK_RUNNING) {
		copro_dev_warn(&rtk->ld, "the coprocessor left ON on its own (%s)",
			       copro_rtkit_pwr_state_name(state));
		rtk_set_phase(rtk, RTK_IDLE);
	}
	pwr_done(rtk, &rtk->iop_wait, "IOP", state);
	if (rtk->phase == RTK_WAIT_IOP_ON && state_on(state))
		ask_ap_on(rtk, out);
	copro_event_signal(&rtk->ev);
}

static void ap_ack(struct copro_rtkit *rtk, uint64_t msg)
{
	unsigned state = (unsigned)RTK_PWR_STATE(msg);

	copro_dev_dbg(&rtk->ld, "AP power state %s (0x%x) acknowledged",
		      copro_rtkit_pwr_state_name(state), state);
	rtk->ap_state = state;
	pwr_done(rtk, &rtk->ap_wait, "AP", state);
	if (rtk->phase == RTK_WAIT_AP_ON) {
		if (state_on(state)) {
			copro_dev_info(&rtk->ld, "running (protocol version %u)",
				       rtk->version);
			rtk_set_phase(rtk, RTK_RUNNING);
		} else {
			copro_dev_err(&rtk->ld, "AP ON answered with %s (0x%x)",
				      copro_rtkit_pwr_state_name(state), state);
			rtk_boot_fail(rtk, -EPROTO);
		}
	}
	copro_event_signal(&rtk->ev);
}

void rtk_mgmt_rx(struct copro_rtkit *rtk, uint64_t msg, struct rtk_out *out)
{
	unsigned type = (unsigned)RTK_MGMT_TYPE(msg);

	switch (type) {
	case RTK_MGMT_HELLO:
		hello(rtk, msg, out);
		break;
	case RTK_MGMT_EPMAP:
		epmap(rtk, msg, out);
		break;
	case RTK_MGMT_SET_IOP_PWR_STATE_ACK:
		iop_ack(rtk, msg, out);
		break;
	case RTK_MGMT_SET_AP_PWR_STATE:
		ap_ack(rtk, msg);
		break;
	default:
		rtk_refuse(rtk, COPRO_RTKIT_EP_MGMT, msg,
			   "unknown management message type 0x%x", type);
		break;
	}
}
