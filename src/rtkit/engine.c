// SPDX-License-Identifier: MIT
/*
 * The RTKit engine's core: initialisation, the outputs, logging and
 * refusals, routing a received message, and the state queries. The
 * management endpoint is engine_mgmt.c, the system endpoints
 * engine_sys.c, the host's requests engine_life.c. No I/O anywhere: see
 * include/copro/rtkit_engine.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>

#include "rtkit/engine_internal.h"

#define DEFAULT_SHMEM_MAX (4ull << 20)

const char *copro_rtkit_phase_name(enum copro_rtkit_phase phase)
{
	switch (phase) {
	case COPRO_RTKIT_PHASE_IDLE:
		return "not booting";
	case COPRO_RTKIT_PHASE_WAIT_HELLO:
		return "waiting for HELLO";
	case COPRO_RTKIT_PHASE_WAIT_EPMAP:
		return "waiting for the endpoint map";
	case COPRO_RTKIT_PHASE_WAIT_IOP_ON:
		return "waiting for IOP ON";
	case COPRO_RTKIT_PHASE_WAIT_AP_ON:
		return "waiting for the AP ON ACK";
	case COPRO_RTKIT_PHASE_RUNNING:
		return "running";
	case COPRO_RTKIT_PHASE_FAILED:
		return "after a failed boot";
	case COPRO_RTKIT_PHASE_TAKEOVER:
		return "taking over: waiting for HELLO or IOP ON";
	case COPRO_RTKIT_PHASE_TAKEOVER_AP:
		return "taking over: waiting for the AP QUIESCED ACK";
	case COPRO_RTKIT_PHASE_TAKEOVER_IOP:
		return "taking over: waiting for the IOP SLEEP ACK";
	}
	return "in an unknown phase";
}

/* ---- logging ------------------------------------------------------------ */

void eng_vlog(const struct copro_rtkit_engine *e, enum copro_log_level level,
	      const char *fmt, va_list ap)
{
	char line[256];

	if (!e->cfg.log)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	e->cfg.log(e->cfg.log_ctx, level, line);
}

void eng_log(const struct copro_rtkit_engine *e, enum copro_log_level level,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	eng_vlog(e, level, fmt, ap);
	va_end(ap);
}

void eng_refuse(struct copro_rtkit_engine *e, uint8_t ep, uint64_t msg,
		const char *fmt, ...)
{
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	e->st.refused++;
	eng_log(e, COPRO_LOG_ERR, "%s: refused message 0x%016llx: %s",
		copro_rtkit_ep_name(ep), (unsigned long long)msg, why);
}

/* ---- outputs -------------------------------------------------------------- */

void eng_send(struct copro_rtkit_engine *e, struct copro_rtkit_out *out,
	      uint8_t ep, uint64_t msg)
{
	/* The largest batch (the last EPMAP chunk) needs 7: never more. */
	if (out->n_msgs == COPRO_RTKIT_OUT_MSGS) {
		eng_log(e, COPRO_LOG_ERR, "%s: message 0x%016llx dropped: more than %d in one step",
			copro_rtkit_ep_name(ep), (unsigned long long)msg,
			COPRO_RTKIT_OUT_MSGS);
		return;
	}
	out->msg[out->n_msgs].ep = ep;
	out->msg[out->n_msgs].msg = msg;
	out->n_msgs++;
}

void eng_emit(struct copro_rtkit_engine *e, struct copro_rtkit_out *out,
	      const struct copro_rtkit_event *ev)
{
	/* One step produces at most three (FREE_BUFFERS, RESTARTED, one more). */
	if (out->n_ev == COPRO_RTKIT_OUT_EVENTS) {
		eng_log(e, COPRO_LOG_ERR, "event %d dropped: more than %d in one step",
			(int)ev->type, COPRO_RTKIT_OUT_EVENTS);
		return;
	}
	out->ev[out->n_ev++] = *ev;
}

void eng_out_init(struct copro_rtkit_out *out)
{
	out->n_msgs = 0;
	out->n_ev = 0;
}

/* ---- endpoint sets ------------------------------------------------------- */

bool eng_bit(const uint64_t *set, uint8_t ep)
{
	return (set[ep / 64] >> (ep % 64)) & 1;
}

void eng_set_bit(uint64_t *set, uint8_t ep)
{
	set[ep / 64] |= 1ull << (ep % 64);
}

void eng_clear_bit(uint64_t *set, uint8_t ep)
{
	set[ep / 64] &= ~(1ull << (ep % 64));
}

void eng_set_phase(struct copro_rtkit_engine *e, enum copro_rtkit_phase phase)
{
	e->phase = phase;
	/* A boot, wake or takeover owns the run until it ends. */
	if (phase == COPRO_RTKIT_PHASE_IDLE || phase == COPRO_RTKIT_PHASE_FAILED)
		e->boot_claimed = false;
}

bool eng_handshaking(const struct copro_rtkit_engine *e)
{
	return e->phase == COPRO_RTKIT_PHASE_WAIT_EPMAP ||
	       e->phase == COPRO_RTKIT_PHASE_WAIT_IOP_ON ||
	       e->phase == COPRO_RTKIT_PHASE_WAIT_AP_ON;
}

bool eng_booting(const struct copro_rtkit_engine *e)
{
	return eng_handshaking(e) ||
	       e->phase == COPRO_RTKIT_PHASE_WAIT_HELLO ||
	       e->phase == COPRO_RTKIT_PHASE_TAKEOVER ||
	       e->phase == COPRO_RTKIT_PHASE_TAKEOVER_AP ||
	       e->phase == COPRO_RTKIT_PHASE_TAKEOVER_IOP;
}

void eng_boot_fail(struct copro_rtkit_engine *e, int err)
{
	if (!eng_booting(e))
		return;
	e->boot_err = err;
	eng_set_phase(e, COPRO_RTKIT_PHASE_FAILED);
}

/* ---- init and receive ---------------------------------------------------- */

void copro_rtkit_engine_init(struct copro_rtkit_engine *e,
			     const struct copro_rtkit_engine_config *cfg)
{
	memset(e, 0, sizeof(*e));
	if (cfg)
		e->cfg = *cfg;
	if (!e->cfg.shmem_max)
		e->cfg.shmem_max = DEFAULT_SHMEM_MAX;
	if (!e->cfg.wake_iop_state)
		e->cfg.wake_iop_state = COPRO_RTKIT_PWR_INIT;
	copro_rtkit_engine_reinit(e);
}

void copro_rtkit_engine_receive(struct copro_rtkit_engine *e, uint8_t ep,
				uint64_t msg, struct copro_rtkit_out *out)
{
	eng_out_init(out);
	e->st.received++;
	if (e->crashed) {
		/* A dead coprocessor's last words: nothing is answered. */
		eng_refuse(e, ep, msg, "the coprocessor has crashed");
		return;
	}
	if (ep == COPRO_RTKIT_EP_MGMT) {
		eng_mgmt_rx(e, msg, out);
		return;
	}
	if (!copro_rtkit_engine_has_ep(e, ep)) {
		if (ep < COPRO_RTKIT_APP_EP_START && !e->have_map &&
		    eng_unmapped_sys_rx(e, ep, msg, out))
			return;
		eng_refuse(e, ep, msg, "endpoint 0x%02x is not in the endpoint map",
			   ep);
		return;
	}
	switch (ep) {
	case COPRO_RTKIT_EP_CRASHLOG:
		eng_crashlog_rx(e, msg, out);
		break;
	case COPRO_RTKIT_EP_SYSLOG:
		eng_syslog_rx(e, msg, out);
		break;
	case COPRO_RTKIT_EP_IOREPORT:
		eng_ioreport_rx(e, msg, out);
		break;
	case COPRO_RTKIT_EP_OSLOG:
		eng_oslog_rx(e, msg, out);
		break;
	default:
		if (ep < COPRO_RTKIT_APP_EP_START) {
			eng_refuse(e, ep, msg,
				   "no protocol is known for endpoint 0x%02x (%s)",
				   ep, copro_rtkit_ep_name(ep));
		} else if (!eng_bit(e->started, ep)) {
			eng_refuse(e, ep, msg, "endpoint 0x%02x was not started",
				   ep);
		} else {
			eng_emit(e, out,
				 &(struct copro_rtkit_event){
					 .type = COPRO_RTKIT_EV_RECV,
					 .ep = ep,
					 .msg = msg,
				 });
		}
		break;
	}
}

#define EV_BIT(t) (1u << (t))

static bool any_buffer(const struct copro_rtkit_engine *e)
{
	for (unsigned ep = 0; ep < COPRO_RTKIT_ENGINE_SYS_EPS; ep++)
		if (e->bufs[ep].present || e->bufs[ep].pending)
			return true;
	return false;
}

/* Follows copro_rtkit_engine_receive and what it calls, erring high. */
unsigned copro_rtkit_engine_events_of(const struct copro_rtkit_engine *e,
				      uint8_t ep, uint64_t msg)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);
	unsigned forget = any_buffer(e) ? EV_BIT(COPRO_RTKIT_EV_FREE_BUFFERS)
					: 0;

	if (e->crashed)
		return 0;
	if (ep == COPRO_RTKIT_EP_MGMT) {
		switch (RTK_MGMT_TYPE(msg)) {
		case RTK_MGMT_HELLO:
			/* A new session: the old one's buffers go. */
			return forget |
			       (e->phase == COPRO_RTKIT_PHASE_RUNNING
					? EV_BIT(COPRO_RTKIT_EV_RESTARTED)
					: 0);
		case RTK_MGMT_SET_IOP_PWR_STATE_ACK:
			/* The takeover's last step forgets the old session. */
			return e->phase == COPRO_RTKIT_PHASE_TAKEOVER_IOP ? forget
									  : 0;
		default:
			return 0;
		}
	}
	if (!copro_rtkit_engine_has_ep(e, ep))
		return 0; /* refused, or answered without a map */
	switch (ep) {
	case COPRO_RTKIT_EP_CRASHLOG:
		if (type != RTK_BUFFER_REQUEST)
			return 0;
		return e->bufs[ep].present ? EV_BIT(COPRO_RTKIT_EV_CRASHED)
					   : EV_BIT(COPRO_RTKIT_EV_BUFFER);
	case COPRO_RTKIT_EP_SYSLOG:
		if (type == RTK_BUFFER_REQUEST)
			return EV_BIT(COPRO_RTKIT_EV_BUFFER);
		return type == RTK_SYSLOG_LOG ? EV_BIT(COPRO_RTKIT_EV_SYSLOG) : 0;
	case COPRO_RTKIT_EP_IOREPORT:
		return type == RTK_BUFFER_REQUEST ? EV_BIT(COPRO_RTKIT_EV_BUFFER)
						  : 0;
	case COPRO_RTKIT_EP_OSLOG:
		return RTK_OSLOG_TYPE(msg) == RTK_OSLOG_INIT
			       ? EV_BIT(COPRO_RTKIT_EV_BUFFER)
			       : 0;
	default:
		return ep >= COPRO_RTKIT_APP_EP_START && eng_bit(e->started, ep)
			       ? EV_BIT(COPRO_RTKIT_EV_RECV)
			       : 0;
	}
}

/* ---- state ------------------------------------------------------------------ */

enum copro_rtkit_phase copro_rtkit_engine_phase(const struct copro_rtkit_engine *e)
{
	return e->phase;
}

int copro_rtkit_engine_boot_error(const struct copro_rtkit_engine *e)
{
	return e->boot_err;
}

bool copro_rtkit_engine_running(const struct copro_rtkit_engine *e)
{
	return !e->crashed && e->phase == COPRO_RTKIT_PHASE_RUNNING;
}

bool copro_rtkit_engine_crashed(const struct copro_rtkit_engine *e)
{
	return e->crashed;
}

bool copro_rtkit_engine_has_ep(const struct copro_rtkit_engine *e, uint8_t ep)
{
	return ep == COPRO_RTKIT_EP_MGMT || eng_bit(e->eps, ep);
}

bool copro_rtkit_engine_started(const struct copro_rtkit_engine *e, uint8_t ep)
{
	return eng_bit(e->started, ep);
}

unsigned copro_rtkit_engine_version(const struct copro_rtkit_engine *e)
{
	return e->version;
}

unsigned copro_rtkit_engine_iop_state(const struct copro_rtkit_engine *e)
{
	return e->iop_state;
}

unsigned copro_rtkit_engine_ap_state(const struct copro_rtkit_engine *e)
{
	return e->ap_state;
}

uint64_t copro_rtkit_engine_generation(const struct copro_rtkit_engine *e)
{
	return e->generation;
}

bool copro_rtkit_engine_buffer_of(const struct copro_rtkit_engine *e,
				  uint8_t ep, uint64_t *iova, uint64_t *size)
{
	if (ep >= COPRO_RTKIT_ENGINE_SYS_EPS || !e->bufs[ep].present)
		return false;
	if (iova)
		*iova = e->bufs[ep].iova;
	if (size)
		*size = e->bufs[ep].size;
	return true;
}

void copro_rtkit_engine_get_stats(const struct copro_rtkit_engine *e,
				  struct copro_rtkit_engine_stats *out)
{
	*out = e->st;
}
