// SPDX-License-Identifier: MIT
/*
 * The host's requests to the engine (hardware.md 2.2): boot, wake, takeover,
 * power states and reinit, and the application endpoints. Each changes
 * the state and says what to send; the coprocessor's answers move the
 * state on (engine_mgmt.c). Waiting, and timing out, is the glue's.
 */
#include <errno.h>

#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>

#include "rtkit/engine_internal.h"

int copro_rtkit_engine_boot(struct copro_rtkit_engine *e,
			    struct copro_rtkit_out *out)
{
	int ret;

	eng_out_init(out);
	if (e->crashed)
		return -ECONNRESET;
	switch (e->phase) {
	case COPRO_RTKIT_PHASE_RUNNING:
		/* Finished on its own, from a HELLO that came first. */
		ret = e->boot_claimed ? -EBUSY : 1;
		e->boot_claimed = true;
		return ret;
	case COPRO_RTKIT_PHASE_FAILED:
		/* A handshake that failed before anyone waited for it. */
		ret = e->boot_err;
		eng_set_phase(e, COPRO_RTKIT_PHASE_IDLE);
		return ret;
	case COPRO_RTKIT_PHASE_IDLE:
		eng_set_phase(e, COPRO_RTKIT_PHASE_WAIT_HELLO);
		e->boot_claimed = true;
		/*
		 * Bootloaders wake a coprocessor an earlier owner may have
		 * left asleep; one that is booting anyway ignores it.
		 */
		if (e->cfg.wake_on_boot)
			eng_send_pwr(e, out, false, e->cfg.wake_iop_state);
		return 0;
	default:
		/* A HELLO came first and the handshake is under way: ours now. */
		e->boot_claimed = true;
		return 0;
	}
}

int copro_rtkit_engine_wake(struct copro_rtkit_engine *e,
			    struct copro_rtkit_out *out)
{
	eng_out_init(out);
	if (e->crashed)
		return -ECONNRESET;
	if (e->powered_off) {
		eng_log(e, COPRO_LOG_ERR,
			"wake refused: the coprocessor was powered off and cannot wake");
		return -EPERM;
	}
	if (e->phase == COPRO_RTKIT_PHASE_RUNNING || eng_booting(e))
		return -EBUSY;
	e->iop_on_seen = false;
	e->boot_err = 0;
	/*
	 * After shutdown or quiesce the host forgot the session (reinit) and
	 * the coprocessor starts over from HELLO; after idle both kept it and
	 * the coprocessor answers IOP ON (a HELLO is still welcome).
	 */
	eng_set_phase(e, e->have_map ? COPRO_RTKIT_PHASE_WAIT_IOP_ON
				     : COPRO_RTKIT_PHASE_WAIT_HELLO);
	e->boot_claimed = true;
	eng_send_pwr(e, out, false, e->cfg.wake_iop_state);
	return 0;
}

int copro_rtkit_engine_takeover(struct copro_rtkit_engine *e,
				struct copro_rtkit_out *out)
{
	eng_out_init(out);
	if (e->crashed)
		return -ECONNRESET;
	if (e->phase == COPRO_RTKIT_PHASE_RUNNING || eng_booting(e))
		return -EBUSY;
	eng_forget_session(e, out);
	e->iop_on_seen = false;
	e->boot_err = 0;
	e->powered_off = false;
	eng_set_phase(e, COPRO_RTKIT_PHASE_TAKEOVER);
	e->boot_claimed = true;
	eng_send_pwr(e, out, false, e->cfg.wake_iop_state);
	return 0;
}

int copro_rtkit_engine_set_power(struct copro_rtkit_engine *e, bool ap,
				 unsigned state, struct copro_rtkit_out *out)
{
	struct copro_rtkit_pwr_wait *w = ap ? &e->ap_wait : &e->iop_wait;

	eng_out_init(out);
	if (e->crashed)
		return -ECONNRESET;
	/* From the first request on, the coprocessor is not running. */
	if (e->phase != COPRO_RTKIT_PHASE_IDLE)
		eng_set_phase(e, COPRO_RTKIT_PHASE_IDLE);
	w->pending = true;
	w->want = state;
	w->result = 0;
	eng_send_pwr(e, out, ap, state);
	return 0;
}

int copro_rtkit_engine_pwr_wait(const struct copro_rtkit_engine *e, bool ap)
{
	const struct copro_rtkit_pwr_wait *w = ap ? &e->ap_wait : &e->iop_wait;

	if (e->crashed)
		return -ECONNRESET;
	return w->pending ? -EINPROGRESS : w->result;
}

void copro_rtkit_engine_pwr_cancel(struct copro_rtkit_engine *e, bool ap)
{
	(ap ? &e->ap_wait : &e->iop_wait)->pending = false;
}

void copro_rtkit_engine_reinit(struct copro_rtkit_engine *e)
{
	eng_forget_session(e, NULL);
	e->crashed = false;
	e->iop_state = COPRO_RTKIT_PWR_OFF;
	e->ap_state = COPRO_RTKIT_PWR_OFF;
	e->iop_on_seen = false;
	e->version = 0;
	e->boot_err = 0;
	e->ap_wait.pending = false;
	e->iop_wait.pending = false;
	e->generation++;
	eng_set_phase(e, COPRO_RTKIT_PHASE_IDLE);
}

void copro_rtkit_engine_set_states(struct copro_rtkit_engine *e, unsigned ap,
				   unsigned iop)
{
	/* Only what the ACKs of a finished quiesce or idle said. */
	if (e->phase == COPRO_RTKIT_PHASE_RUNNING || eng_booting(e))
		return;
	e->ap_state = ap;
	e->iop_state = iop;
}

void copro_rtkit_engine_set_powered_off(struct copro_rtkit_engine *e)
{
	e->powered_off = true;
}

void copro_rtkit_engine_send_failed(struct copro_rtkit_engine *e, uint8_t ep,
				    uint64_t msg, int err)
{
	if (ep != COPRO_RTKIT_EP_MGMT)
		return;
	if (RTK_MGMT_TYPE(msg) == RTK_MGMT_STARTEP &&
	    RTK_STARTEP_EP(msg) >= COPRO_RTKIT_APP_EP_START) {
		eng_clear_bit(e->started, (uint8_t)RTK_STARTEP_EP(msg));
		return;
	}
	eng_boot_fail(e, err);
}

void copro_rtkit_engine_abort(struct copro_rtkit_engine *e)
{
	if (eng_booting(e) || e->phase == COPRO_RTKIT_PHASE_FAILED)
		eng_set_phase(e, COPRO_RTKIT_PHASE_IDLE);
}

/* ---- application endpoints ------------------------------------------- */

static int app_check(const struct copro_rtkit_engine *e, uint8_t ep,
		     bool starting, const char *what)
{
	if (ep < COPRO_RTKIT_APP_EP_START) {
		eng_log(e, COPRO_LOG_ERR, "%s: endpoint 0x%02x is a system endpoint",
			what, ep);
		return -EINVAL;
	}
	if (!eng_bit(e->eps, ep)) {
		eng_log(e, COPRO_LOG_ERR,
			"%s: endpoint 0x%02x is not in the endpoint map", what, ep);
		return -EINVAL;
	}
	if (e->crashed)
		return -ECONNRESET;
	if (e->phase != COPRO_RTKIT_PHASE_RUNNING) {
		eng_log(e, COPRO_LOG_ERR,
			"%s: endpoint 0x%02x: the coprocessor is not running (%s)",
			what, ep, copro_rtkit_phase_name(e->phase));
		return -ENOTCONN;
	}
	if (!starting && !eng_bit(e->started, ep)) {
		eng_log(e, COPRO_LOG_ERR, "%s: endpoint 0x%02x was not started",
			what, ep);
		return -EINVAL;
	}
	return 0;
}

int copro_rtkit_engine_start_ep(struct copro_rtkit_engine *e, uint8_t ep,
				struct copro_rtkit_out *out)
{
	int ret;

	eng_out_init(out);
	ret = app_check(e, ep, true, "start");
	if (ret < 0)
		return ret;
	/* Started this session already (idle keeps them): nothing to send. */
	if (eng_bit(e->started, ep))
		return 0;
	eng_send(e, out, COPRO_RTKIT_EP_MGMT,
		 RTK_MGMT_TYPE_MAKE(RTK_MGMT_STARTEP) | RTK_STARTEP_MAKE(ep));
	eng_set_bit(e->started, ep);
	return 0;
}

int copro_rtkit_engine_check_send(const struct copro_rtkit_engine *e,
				  uint8_t ep)
{
	return app_check(e, ep, false, "send");
}
