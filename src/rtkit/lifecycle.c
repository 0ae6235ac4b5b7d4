// SPDX-License-Identifier: MIT
/*
 * The lifecycle (hardware.md 2.2): boot, shutdown, quiesce, wake, idle,
 * poweroff and reinit. Each is a "begin" (state change and the message
 * that starts it, no waiting) and a wait; mgmt.c moves the state on as
 * the coprocessor answers. Every wait has the configured timeout, ends
 * at once when the coprocessor crashes, and in polled mode drives the
 * mailbox itself, so nothing here needs a host thread.
 */
#include <errno.h>
#include <stdlib.h>

#include <copro/error.h>
#include <copro/regs/rtkit.h>

#include "rtkit/rtkit_internal.h"

/* ---- waiting ----------------------------------------------------------- */

/* -EINPROGRESS while the awaited thing has not happened; lock held. */
typedef int (*rtk_check_fn)(struct copro_rtkit *rtk, void *arg);

static int wait_for(struct copro_rtkit *rtk, rtk_check_fn check, void *arg,
		    const char *what)
{
	int64_t timeout = rtk_timeout(rtk);
	uint64_t deadline = copro_deadline(timeout);
	uint64_t spin_until = 0;

	for (;;) {
		uint32_t key = copro_event_prepare(&rtk->ev);
		int64_t left;
		int ret;

		copro_mutex_lock(&rtk->lock);
		ret = atomic_load(&rtk->crashed) ? -ECONNRESET
						 : check(rtk, arg);
		copro_mutex_unlock(&rtk->lock);
		if (ret != -EINPROGRESS)
			return ret;
		left = copro_deadline_left(deadline);
		if (left == 0) {
			copro_dev_err(&rtk->ld, "timed out after %lld ms waiting for %s",
				      (long long)(timeout / COPRO_NSEC_PER_MSEC),
				      what);
			return -ETIMEDOUT;
		}
		if (!rtk->polled) {
			copro_event_wait(&rtk->ev, key, left,
					 COPRO_SPIN_DEFAULT_NS);
			continue;
		}
		ret = rtk->io->poll(rtk->io_ctx);
		if (ret < 0) {
			copro_dev_err(&rtk->ld, "polling the mailbox: %s",
				      copro_strerror(ret));
			return ret;
		}
		if (ret > 0) {
			spin_until = 0;
			continue;
		}
		/*
		 * Nothing yet: keep polling for a while (the coprocessor's
		 * answer usually takes a round trip), then in sleeps; a
		 * short sleep costs far more than its length (timer slack).
		 */
		if (!spin_until)
			spin_until = copro_time_ns() + RTK_POLL_SPIN_NS;
		if (copro_time_ns() < spin_until) {
			copro_cpu_relax();
			continue;
		}
		copro_event_wait(&rtk->ev, key,
				 left < RTK_POLL_IDLE_NS ? left : RTK_POLL_IDLE_NS,
				 0);
	}
}

static int boot_check(struct copro_rtkit *rtk, void *arg)
{
	(void)arg;
	if (rtk->phase == RTK_RUNNING)
		return 0;
	if (rtk->phase == RTK_FAILED)
		return rtk->boot_err;
	return -EINPROGRESS;
}

static int pwr_check(struct copro_rtkit *rtk, void *arg)
{
	struct rtk_pwr_wait *w = arg;

	return w->pending ? -EINPROGRESS : w->result;
}

/* ---- steps ------------------------------------------------------------- */

int rtk_boot_begin(struct copro_rtkit *rtk)
{
	int ret = 0;

	copro_mutex_lock(&rtk->lock);
	if (atomic_load(&rtk->crashed)) {
		ret = -ECONNRESET;
	} else if (rtk->phase == RTK_RUNNING) {
		/* Finished on its own, from a HELLO that came first. */
		ret = rtk->boot_claimed ? -EBUSY : 1;
		rtk->boot_claimed = true;
	} else if (rtk->phase == RTK_FAILED) {
		/* A handshake that failed before anyone waited for it. */
		ret = rtk->boot_err;
		rtk_set_phase(rtk, RTK_IDLE);
	} else if (rtk->phase == RTK_IDLE) {
		rtk_set_phase(rtk, RTK_WAIT_HELLO);
	}
	/* Otherwise a HELLO came first and the handshake is under way. */
	copro_mutex_unlock(&rtk->lock);
	return ret;
}

int rtk_wake_begin(struct copro_rtkit *rtk)
{
	int ret = 0;

	copro_mutex_lock(&rtk->lock);
	if (atomic_load(&rtk->crashed))
		ret = -ECONNRESET;
	else if (rtk->powered_off)
		ret = -EPERM;
	else if (rtk->phase == RTK_RUNNING)
		ret = -EBUSY;
	else if (rtk->phase != RTK_IDLE && rtk->phase != RTK_FAILED)
		ret = -EBUSY; /* a boot is under way */
	if (!ret) {
		rtk->iop_on_seen = false;
		rtk_set_phase(rtk, RTK_WAIT_IOP_ON);
	}
	copro_mutex_unlock(&rtk->lock);
	if (ret == -EPERM)
		copro_dev_err(&rtk->ld, "wake refused: the coprocessor was powered off and cannot wake");
	if (ret)
		return ret;
	ret = rtk_send(rtk, COPRO_RTKIT_EP_MGMT,
		       RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_IOP_PWR_STATE) |
			       RTK_PWR_STATE_MAKE(rtk->cfg.wake_iop_state),
		       rtk_timeout(rtk));
	if (ret < 0) {
		copro_mutex_lock(&rtk->lock);
		rtk_set_phase(rtk, RTK_IDLE);
		copro_mutex_unlock(&rtk->lock);
	}
	return ret;
}

/* Asks for a power state; the ACK completes rtk->{ap,iop}_wait. */
int rtk_pwr_begin(struct copro_rtkit *rtk, bool ap, unsigned state)
{
	struct rtk_pwr_wait *w = ap ? &rtk->ap_wait : &rtk->iop_wait;
	int ret;

	copro_mutex_lock(&rtk->lock);
	if (atomic_load(&rtk->crashed)) {
		copro_mutex_unlock(&rtk->lock);
		return -ECONNRESET;
	}
	/* From the first request on, the coprocessor is not running. */
	if (rtk->phase != RTK_IDLE)
		rtk_set_phase(rtk, RTK_IDLE);
	w->pending = true;
	w->want = state;
	w->result = 0;
	copro_mutex_unlock(&rtk->lock);
	ret = rtk_send(rtk, COPRO_RTKIT_EP_MGMT,
		       RTK_MGMT_TYPE_MAKE(ap ? RTK_MGMT_SET_AP_PWR_STATE
					     : RTK_MGMT_SET_IOP_PWR_STATE) |
			       RTK_PWR_STATE_MAKE(state),
		       rtk_timeout(rtk));
	if (ret < 0) {
		copro_mutex_lock(&rtk->lock);
		w->pending = false;
		copro_mutex_unlock(&rtk->lock);
	}
	return ret;
}

static int set_pwr(struct copro_rtkit *rtk, bool ap, unsigned state)
{
	struct rtk_pwr_wait *w = ap ? &rtk->ap_wait : &rtk->iop_wait;
	char what[64];
	int ret = rtk_pwr_begin(rtk, ap, state);

	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "the %s %s ACK", ap ? "AP" : "IOP",
		 copro_rtkit_pwr_state_name(state));
	ret = wait_for(rtk, pwr_check, w, what);
	if (ret == -ETIMEDOUT || ret == -ECONNRESET) {
		copro_mutex_lock(&rtk->lock);
		w->pending = false;
		copro_mutex_unlock(&rtk->lock);
	}
	return ret;
}

/* ---- the public calls ---------------------------------------------------- */

static int end_boot(struct copro_rtkit *rtk, int ret)
{
	copro_mutex_lock(&rtk->lock);
	if (ret == 0 && rtk->phase == RTK_RUNNING)
		rtk->boot_claimed = true;
	else if (rtk->phase != RTK_RUNNING || ret < 0)
		rtk_set_phase(rtk, RTK_IDLE);
	copro_mutex_unlock(&rtk->lock);
	return ret;
}

int copro_rtkit_boot(struct copro_rtkit *rtk)
{
	int ret;

	if (!rtk)
		return -EINVAL;
	ret = rtk_boot_begin(rtk);
	if (ret == -EBUSY)
		copro_dev_err(&rtk->ld, "boot: already running");
	if (ret < 0)
		return ret;
	if (ret > 0)
		return 0;
	return end_boot(rtk, wait_for(rtk, boot_check, NULL, "the boot handshake"));
}

int copro_rtkit_wake(struct copro_rtkit *rtk)
{
	int ret;

	if (!rtk)
		return -EINVAL;
	ret = rtk_wake_begin(rtk);
	if (ret < 0)
		return ret;
	return end_boot(rtk, wait_for(rtk, boot_check, NULL, "IOP ON and AP ON"));
}

int copro_rtkit_idle(struct copro_rtkit *rtk)
{
	if (!rtk)
		return -EINVAL;
	return set_pwr(rtk, true, COPRO_RTKIT_PWR_IDLE);
}

int copro_rtkit_shutdown(struct copro_rtkit *rtk)
{
	int ret;

	if (!rtk)
		return -EINVAL;
	ret = set_pwr(rtk, true, COPRO_RTKIT_PWR_QUIESCED);
	if (!ret)
		ret = set_pwr(rtk, false, COPRO_RTKIT_PWR_SLEEP);
	if (ret)
		return ret;
	return copro_rtkit_reinit(rtk);
}

int copro_rtkit_quiesce(struct copro_rtkit *rtk)
{
	int ret;

	if (!rtk)
		return -EINVAL;
	ret = set_pwr(rtk, true, COPRO_RTKIT_PWR_QUIESCED);
	if (!ret)
		ret = set_pwr(rtk, false, COPRO_RTKIT_PWR_QUIESCED);
	if (!ret)
		ret = copro_rtkit_reinit(rtk);
	if (ret)
		return ret;
	copro_mutex_lock(&rtk->lock);
	rtk->ap_state = COPRO_RTKIT_PWR_QUIESCED;
	rtk->iop_state = COPRO_RTKIT_PWR_QUIESCED;
	copro_mutex_unlock(&rtk->lock);
	return 0;
}

int copro_rtkit_poweroff(struct copro_rtkit *rtk)
{
	int ret;

	if (!rtk)
		return -EINVAL;
	ret = set_pwr(rtk, true, COPRO_RTKIT_PWR_OFF);
	if (!ret)
		ret = set_pwr(rtk, false, COPRO_RTKIT_PWR_OFF);
	if (!ret)
		ret = copro_rtkit_reinit(rtk);
	if (ret)
		return ret;
	copro_mutex_lock(&rtk->lock);
	rtk->powered_off = true;
	copro_mutex_unlock(&rtk->lock);
	return 0;
}

void rtk_reinit_locked(struct copro_rtkit *rtk)
{
	rtk_shmem_free_all(rtk);
	for (unsigned i = 0; i < COPRO_RTKIT_MAX_EPS / 64; i++) {
		rtk->eps[i] = 0;
		atomic_store(&rtk->started[i], 0);
	}
	free(rtk->crashlog);
	rtk->crashlog = NULL;
	atomic_store(&rtk->crashed, false);
	rtk->iop_state = COPRO_RTKIT_PWR_OFF;
	rtk->ap_state = COPRO_RTKIT_PWR_OFF;
	rtk->iop_on_seen = false;
	rtk->version = 0;
	rtk->boot_err = 0;
	rtk->syslog_entries = 0;
	rtk->syslog_msg_size = 0;
	rtk->ap_wait.pending = false;
	rtk->iop_wait.pending = false;
	rtk_set_phase(rtk, RTK_IDLE);
}

/* A polled mailbox never has more than its FIFO and ring queued. */
#define REINIT_DRAIN_MAX 1024

int copro_rtkit_reinit(struct copro_rtkit *rtk)
{
	if (!rtk)
		return -EINVAL;
	/* Whatever the old coprocessor left queued means nothing now. */
	atomic_store(&rtk->discard, true);
	for (int i = 0; i < REINIT_DRAIN_MAX; i++)
		if (rtk->io->poll(rtk->io_ctx) <= 0)
			break;
	copro_mutex_lock(&rtk->lock);
	rtk_reinit_locked(rtk);
	copro_mutex_unlock(&rtk->lock);
	atomic_store(&rtk->discard, false);
	copro_dev_dbg(&rtk->ld, "reinitialised");
	return 0;
}
