// SPDX-License-Identifier: MIT
/*
 * The management endpoint (hardware.md 2.1, 2.2) in the engine. HELLO and the
 * endpoint map drive the handshake forward, power-state ACKs complete
 * the host's requests, and the takeover of a coprocessor another owner
 * left running goes through its three steps here.
 *
 * A HELLO is answered whenever it comes outside a running session (the
 * public drivers all do, and bootloaders rely on it after waking a
 * sleeping coprocessor). A HELLO while running, or in the middle of a
 * handshake, means the coprocessor restarted: its buffers are stale and
 * its application endpoints forgotten, and the handshake starts again.
 * Anything else out of sequence fails a handshake under way (-EPROTO)
 * and is refused otherwise.
 */
#include <errno.h>

#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>

#include "rtkit/engine_internal.h"

static bool state_on(unsigned state)
{
	return (state & 0xff) == COPRO_RTKIT_PWR_ON;
}

/* The system endpoints the host starts: the firmware may insist on them. */
static bool sys_ep_known(uint8_t ep)
{
	return ep == COPRO_RTKIT_EP_CRASHLOG || ep == COPRO_RTKIT_EP_SYSLOG ||
	       ep == COPRO_RTKIT_EP_DEBUG || ep == COPRO_RTKIT_EP_IOREPORT ||
	       ep == COPRO_RTKIT_EP_OSLOG;
}

void eng_send_pwr(struct copro_rtkit_engine *e, struct copro_rtkit_out *out,
		  bool ap, unsigned state)
{
	eng_send(e, out, COPRO_RTKIT_EP_MGMT,
		 RTK_MGMT_TYPE_MAKE(ap ? RTK_MGMT_SET_AP_PWR_STATE
				       : RTK_MGMT_SET_IOP_PWR_STATE) |
			 RTK_PWR_STATE_MAKE(state));
}

void eng_forget_session(struct copro_rtkit_engine *e,
			struct copro_rtkit_out *out)
{
	bool bufs = false;

	for (unsigned ep = 0; ep < COPRO_RTKIT_ENGINE_SYS_EPS; ep++) {
		bufs |= e->bufs[ep].present || e->bufs[ep].pending;
		e->bufs[ep].present = false;
		e->bufs[ep].pending = false;
	}
	if (bufs && out)
		eng_emit(e, out,
			 &(struct copro_rtkit_event){
				 .type = COPRO_RTKIT_EV_FREE_BUFFERS });
	for (unsigned i = 0; i < 4; i++) {
		e->eps[i] = 0;
		e->started[i] = 0;
	}
	e->have_map = false;
	e->syslog_entries = 0;
	e->syslog_msg_size = 0;
}

/* A message the session did not expect here. */
static void out_of_sequence(struct copro_rtkit_engine *e, uint64_t msg,
			    const char *what)
{
	eng_refuse(e, COPRO_RTKIT_EP_MGMT, msg, "%s %s", what,
		   copro_rtkit_phase_name(e->phase));
	eng_boot_fail(e, -EPROTO);
}

static void fail_pwr_wait(struct copro_rtkit_engine *e,
			  struct copro_rtkit_pwr_wait *w, const char *who)
{
	if (!w->pending)
		return;
	eng_log(e, COPRO_LOG_ERR, "the %s %s request is lost: the coprocessor restarted",
		who, copro_rtkit_pwr_state_name(w->want));
	w->pending = false;
	w->result = -EPROTO;
}

static void hello(struct copro_rtkit_engine *e, uint64_t msg,
		  struct copro_rtkit_out *out)
{
	unsigned min = (unsigned)RTK_HELLO_MIN(msg);
	unsigned max = (unsigned)RTK_HELLO_MAX(msg);
	unsigned want = max < COPRO_RTKIT_MAX_VERSION ? max
						       : COPRO_RTKIT_MAX_VERSION;
	bool was_running = e->phase == COPRO_RTKIT_PHASE_RUNNING;

	if (want < min || want < COPRO_RTKIT_MIN_VERSION) {
		eng_refuse(e, COPRO_RTKIT_EP_MGMT, msg,
			   "HELLO offers versions %u to %u; this host speaks %u to %u",
			   min, max, COPRO_RTKIT_MIN_VERSION,
			   COPRO_RTKIT_MAX_VERSION);
		/* Whoever boots next learns why; a running session ends. */
		eng_set_phase(e, COPRO_RTKIT_PHASE_WAIT_HELLO);
		eng_boot_fail(e, -EPROTONOSUPPORT);
		return;
	}
	if (was_running || eng_handshaking(e)) {
		e->st.restarts++;
		eng_log(e, COPRO_LOG_WARN,
			"the coprocessor restarted (HELLO %s): handshaking again",
			was_running ? "while running" : "in the middle of the handshake");
	}
	eng_forget_session(e, out);
	if (was_running)
		eng_emit(e, out,
			 &(struct copro_rtkit_event){
				 .type = COPRO_RTKIT_EV_RESTARTED });
	fail_pwr_wait(e, &e->ap_wait, "AP");
	fail_pwr_wait(e, &e->iop_wait, "IOP");
	e->version = want;
	e->generation++;
	e->iop_on_seen = false;
	e->boot_err = 0;
	e->powered_off = false;
	e->iop_state = COPRO_RTKIT_PWR_OFF;
	e->ap_state = COPRO_RTKIT_PWR_OFF;
	eng_log(e, COPRO_LOG_DEBUG, "HELLO: versions %u to %u, using %u", min,
		max, want);
	eng_send(e, out, COPRO_RTKIT_EP_MGMT,
		 RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO_REPLY) |
			 RTK_HELLO_MAKE(want, want));
	eng_set_phase(e, COPRO_RTKIT_PHASE_WAIT_EPMAP);
}

/* IOP ON is in: ask for AP ON. */
static void ask_ap_on(struct copro_rtkit_engine *e, struct copro_rtkit_out *out)
{
	eng_send_pwr(e, out, true, COPRO_RTKIT_PWR_ON);
	eng_set_phase(e, COPRO_RTKIT_PHASE_WAIT_AP_ON);
}

static void start_system_eps(struct copro_rtkit_engine *e,
			     struct copro_rtkit_out *out)
{
	for (unsigned ep = 1; ep < COPRO_RTKIT_APP_EP_START; ep++) {
		if (!eng_bit(e->eps, (uint8_t)ep))
			continue;
		if (ep == COPRO_RTKIT_EP_TRACEKIT) {
			/* Seen on real firmware, which boots without it. */
			eng_log(e, COPRO_LOG_DEBUG, "tracekit endpoint not started");
			continue;
		}
		if (!sys_ep_known((uint8_t)ep)) {
			eng_log(e, COPRO_LOG_WARN,
				"unknown system endpoint 0x%02x in the map: not started",
				ep);
			continue;
		}
		eng_send(e, out, COPRO_RTKIT_EP_MGMT,
			 RTK_MGMT_TYPE_MAKE(RTK_MGMT_STARTEP) |
				 RTK_STARTEP_MAKE(ep));
		eng_set_bit(e->started, (uint8_t)ep);
	}
}

static void epmap(struct copro_rtkit_engine *e, uint64_t msg,
		  struct copro_rtkit_out *out)
{
	uint32_t bitmap = (uint32_t)RTK_EPMAP_BITMAP(msg);
	unsigned base = (unsigned)RTK_EPMAP_BASE(msg);
	bool last = msg & RTK_EPMAP_LAST;

	if (e->phase != COPRO_RTKIT_PHASE_WAIT_EPMAP) {
		out_of_sequence(e, msg, "EPMAP");
		return;
	}
	for (unsigned bit = 0; bit < 32; bit++)
		if (bitmap & (1u << bit))
			eng_set_bit(e->eps, (uint8_t)(base * 32 + bit));
	eng_send(e, out, COPRO_RTKIT_EP_MGMT,
		 RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) | RTK_EPMAP_BASE_MAKE(base) |
			 (last ? RTK_EPMAP_LAST : RTK_EPMAP_MORE));
	if (!last)
		return;
	e->have_map = true;
	start_system_eps(e, out);
	eng_set_phase(e, COPRO_RTKIT_PHASE_WAIT_IOP_ON);
	/* The coprocessor may have reported ON before the map ended. */
	if (e->iop_on_seen)
		ask_ap_on(e, out);
}

static void pwr_done(struct copro_rtkit_engine *e,
		     struct copro_rtkit_pwr_wait *w, const char *who,
		     unsigned state)
{
	if (!w->pending)
		return;
	w->pending = false;
	w->result = 0;
	if (state != w->want) {
		eng_log(e, COPRO_LOG_ERR,
			"%s power state: asked for %s (0x%x), ACK says %s (0x%x)",
			who, copro_rtkit_pwr_state_name(w->want), w->want,
			copro_rtkit_pwr_state_name(state), state);
		w->result = -EPROTO;
	}
}

/* The takeover's steps, driven by the IOP's ACKs. */
static void takeover_iop_ack(struct copro_rtkit_engine *e, unsigned state,
			     struct copro_rtkit_out *out)
{
	if (e->phase == COPRO_RTKIT_PHASE_TAKEOVER && state_on(state)) {
		eng_log(e, COPRO_LOG_INFO,
			"the coprocessor runs another owner's session: putting it to sleep for one of our own");
		eng_send_pwr(e, out, true, COPRO_RTKIT_PWR_QUIESCED);
		eng_set_phase(e, COPRO_RTKIT_PHASE_TAKEOVER_AP);
	} else if (e->phase == COPRO_RTKIT_PHASE_TAKEOVER_IOP &&
		   state == COPRO_RTKIT_PWR_SLEEP) {
		/* Asleep, it forgot the old session: wake it into ours. */
		eng_forget_session(e, out);
		eng_send_pwr(e, out, false, e->cfg.wake_iop_state);
		eng_set_phase(e, COPRO_RTKIT_PHASE_WAIT_HELLO);
	} else {
		eng_log(e, COPRO_LOG_ERR, "takeover: the IOP reported %s (0x%x) %s",
			copro_rtkit_pwr_state_name(state), state,
			copro_rtkit_phase_name(e->phase));
		eng_boot_fail(e, -EPROTO);
	}
}

static void iop_ack(struct copro_rtkit_engine *e, uint64_t msg,
		    struct copro_rtkit_out *out)
{
	unsigned state = (unsigned)RTK_PWR_STATE(msg);

	eng_log(e, COPRO_LOG_DEBUG, "IOP power state %s (0x%x)",
		copro_rtkit_pwr_state_name(state), state);
	e->iop_state = state;
	pwr_done(e, &e->iop_wait, "IOP", state);
	switch (e->phase) {
	case COPRO_RTKIT_PHASE_TAKEOVER:
	case COPRO_RTKIT_PHASE_TAKEOVER_IOP:
		takeover_iop_ack(e, state, out);
		break;
	case COPRO_RTKIT_PHASE_WAIT_HELLO:
		/*
		 * Awake without a HELLO: it kept a session this host does not
		 * have (it forgot its own at reinit, or never had one).
		 */
		if (state_on(state)) {
			eng_log(e, COPRO_LOG_ERR,
				"the coprocessor reports IOP ON without a new HELLO: it runs a session this host does not know (take it over instead)");
			eng_boot_fail(e, -EPROTO);
		}
		break;
	case COPRO_RTKIT_PHASE_WAIT_EPMAP:
		/* The last report counts once the map is done. */
		e->iop_on_seen = state_on(state);
		break;
	case COPRO_RTKIT_PHASE_WAIT_IOP_ON:
		if (state_on(state))
			ask_ap_on(e, out);
		break;
	case COPRO_RTKIT_PHASE_WAIT_AP_ON:
		if (!state_on(state)) {
			eng_log(e, COPRO_LOG_ERR,
				"the IOP left ON (%s) before AP ON was acknowledged",
				copro_rtkit_pwr_state_name(state));
			eng_boot_fail(e, -EPROTO);
		}
		break;
	case COPRO_RTKIT_PHASE_RUNNING:
		if (!state_on(state)) {
			eng_log(e, COPRO_LOG_WARN, "the coprocessor left ON on its own (%s)",
				copro_rtkit_pwr_state_name(state));
			eng_set_phase(e, COPRO_RTKIT_PHASE_IDLE);
		}
		break;
	default:
		break;
	}
}

static void ap_ack(struct copro_rtkit_engine *e, uint64_t msg,
		   struct copro_rtkit_out *out)
{
	unsigned state = (unsigned)RTK_PWR_STATE(msg);

	eng_log(e, COPRO_LOG_DEBUG, "AP power state %s (0x%x) acknowledged",
		copro_rtkit_pwr_state_name(state), state);
	e->ap_state = state;
	pwr_done(e, &e->ap_wait, "AP", state);
	if (e->phase == COPRO_RTKIT_PHASE_RUNNING && !state_on(state)) {
		eng_log(e, COPRO_LOG_WARN, "the AP state left ON without a request (%s)",
			copro_rtkit_pwr_state_name(state));
		eng_set_phase(e, COPRO_RTKIT_PHASE_IDLE);
	} else if (e->phase == COPRO_RTKIT_PHASE_WAIT_AP_ON) {
		if (state_on(state)) {
			eng_log(e, COPRO_LOG_INFO, "running (protocol version %u)",
				e->version);
			eng_set_phase(e, COPRO_RTKIT_PHASE_RUNNING);
		} else {
			eng_log(e, COPRO_LOG_ERR, "AP ON answered with %s (0x%x)",
				copro_rtkit_pwr_state_name(state), state);
			eng_boot_fail(e, -EPROTO);
		}
	} else if (e->phase == COPRO_RTKIT_PHASE_TAKEOVER_AP) {
		if (state == COPRO_RTKIT_PWR_QUIESCED) {
			eng_send_pwr(e, out, false, COPRO_RTKIT_PWR_SLEEP);
			eng_set_phase(e, COPRO_RTKIT_PHASE_TAKEOVER_IOP);
		} else {
			eng_log(e, COPRO_LOG_ERR,
				"takeover: AP QUIESCED answered with %s (0x%x)",
				copro_rtkit_pwr_state_name(state), state);
			eng_boot_fail(e, -EPROTO);
		}
	}
}

void eng_mgmt_rx(struct copro_rtkit_engine *e, uint64_t msg,
		 struct copro_rtkit_out *out)
{
	unsigned type = (unsigned)RTK_MGMT_TYPE(msg);

	switch (type) {
	case RTK_MGMT_HELLO:
		hello(e, msg, out);
		break;
	case RTK_MGMT_EPMAP:
		epmap(e, msg, out);
		break;
	case RTK_MGMT_SET_IOP_PWR_STATE_ACK:
		iop_ack(e, msg, out);
		break;
	case RTK_MGMT_SET_AP_PWR_STATE:
		ap_ack(e, msg, out);
		break;
	default:
		eng_refuse(e, COPRO_RTKIT_EP_MGMT, msg,
			   "unknown management message type 0x%x", type);
		break;
	}
}
