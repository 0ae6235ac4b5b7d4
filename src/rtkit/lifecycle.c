// SPDX-License-Identifier: MIT
/*
 * The lifecycle (hardware.md 2.2): boot, takeover, shutdown, quiesce, wake,
 * idle, poweroff and reinit. Each asks the engine for its first step,
 * sends what that produced, and waits while the coprocessor's answers
 * move the engine on (dispatch.c). Every wait has the configured
 * timeout, ends at once when the coprocessor crashes, and in polled mode
 * drives the mailbox itself, so nothing here needs a host thread.
 */
#include <errno.h>
#include <stdlib.h>

#include <copro/error.h>
#include <copro/regs/rtkit.h>

#include "rtkit/rtkit_internal.h"

/* ---- waiting ----------------------------------------------------------- */

/* -EINPROGRESS while the awaited thing has not happened; lock held. */
typedef int (*rtk_check_fn)(struct copro_rtkit *rtk, void *arg);

/* A lifecycle wait's polling: until when, and whether it holds the mailbox. */
struct waiter {
	uint64_t spin_until; /* 0: a new spin starts at the next poll */
	bool held;
};

static int poll_once(struct copro_rtkit *rtk, struct waiter *w)
{
	int ret = rtk->io->poll(rtk->io_ctx);

	if (ret < 0) {
		copro_dev_err(&rtk->ld, "polling the mailbox: %s",
			      copro_strerror(ret));
		return ret;
	}
	if (ret > 0)
		w->spin_until = 0;
	return ret;
}

/*
 * A threaded platform: the waiter polls the mailbox itself, holding it,
 * for RTK_POLL_SPIN_NS after the last message. Each step of a handshake
 * then crosses two threads (the coprocessor's and this one) with no
 * wake-up: the interrupt thread and the worker stay asleep, and what
 * needs deferred context runs here, a thread that may block. When the
 * coprocessor goes quiet the hold is let go (its last look delivers
 * what is queued here and hands a line still up to the interrupt
 * thread) and the waiter sleeps until what it waits for changes.
 * 1: look at the state again; 0: sleep; < 0: the mailbox failed.
 */
static int busy_poll(struct copro_rtkit *rtk, struct waiter *w)
{
	uint64_t now;
	int ret;

	if (!rtk->io->poll_hold)
		return 0;
	now = copro_time_ns();
	if (!w->spin_until)
		w->spin_until = now + RTK_POLL_SPIN_NS;
	if (now >= w->spin_until) {
		if (!w->held)
			return 0;
		rtk->io->poll_hold(rtk->io_ctx, false);
		w->held = false;
		return 1; /* the last look may have ended the wait */
	}
	if (!w->held) {
		rtk->io->poll_hold(rtk->io_ctx, true);
		w->held = true;
	}
	ret = poll_once(rtk, w);
	if (ret == 0)
		copro_cpu_relax();
	return ret < 0 ? ret : 1;
}

static int wait_loop(struct copro_rtkit *rtk, rtk_check_fn check, void *arg,
		     const char *what, struct waiter *w)
{
	int64_t timeout = rtk_timeout(rtk);
	uint64_t deadline = copro_deadline(timeout);

	for (;;) {
		uint32_t key = copro_event_prepare(&rtk->ev);
		int64_t left;
		int ret;

		copro_mutex_lock(&rtk->lock);
		ret = copro_rtkit_engine_crashed(&rtk->eng) ? -ECONNRESET
							    : check(rtk, arg);
		copro_mutex_unlock(&rtk->lock);
		left = copro_deadline_left(deadline);
		if (ret != -EINPROGRESS) {
			/*
			 * The interrupt thread may still be tracing and answering
			 * the message that got us here: wait for it (it signals
			 * once it sees irq_waiter), within the timeout.
			 */
			if (!atomic_load(&rtk->irq_busy))
				return ret;
			atomic_store(&rtk->irq_waiter, true);
			if (!atomic_load(&rtk->irq_busy) || left == 0)
				return ret;
			copro_event_wait(&rtk->ev, key, left, 0);
			continue;
		}
		if (left == 0) {
			copro_dev_err(&rtk->ld, "timed out after %lld ms waiting for %s",
				      (long long)(timeout / COPRO_NSEC_PER_MSEC),
				      what);
			return -ETIMEDOUT;
		}
		if (!rtk->polled) {
			ret = busy_poll(rtk, w);
			if (ret < 0)
				return ret;
			if (ret > 0)
				continue;
			/*
			 * No spin here: the interrupt thread answers the
			 * coprocessor and wakes this waiter once, when what it
			 * waits for changed; a spin would only take a core
			 * from the two threads doing the work.
			 */
			copro_event_wait(&rtk->ev, key, left, 0);
			w->spin_until = 0;
			continue;
		}
		ret = poll_once(rtk, w);
		if (ret < 0)
			return ret;
		if (ret > 0)
			continue;
		/*
		 * Nothing yet: keep polling for a while (the coprocessor's
		 * answer usually takes a round trip), then in sleeps; a
		 * short sleep costs far more than its length (timer slack).
		 */
		if (!w->spin_until)
			w->spin_until = copro_time_ns() + RTK_POLL_SPIN_NS;
		if (copro_time_ns() < w->spin_until) {
			copro_cpu_relax();
			continue;
		}
		copro_event_wait(&rtk->ev, key,
				 left < RTK_POLL_IDLE_NS ? left : RTK_POLL_IDLE_NS,
				 0);
	}
}

static int wait_for(struct copro_rtkit *rtk, rtk_check_fn check, void *arg,
		    const char *what)
{
	struct waiter w = { 0 };
	int ret = wait_loop(rtk, check, arg, what, &w);

	if (w.held)
		rtk->io->poll_hold(rtk->io_ctx, false);
	return ret;
}

static int boot_check(struct copro_rtkit *rtk, void *arg)
{
	(void)arg;
	switch (copro_rtkit_engine_phase(&rtk->eng)) {
	case COPRO_RTKIT_PHASE_RUNNING:
		return 0;
	case COPRO_RTKIT_PHASE_FAILED:
		return copro_rtkit_engine_boot_error(&rtk->eng);
	case COPRO_RTKIT_PHASE_IDLE:
		/* Something else (a power request) ended the boot. */
		return -ECANCELED;
	default:
		return -EINPROGRESS;
	}
}

static int pwr_check(struct copro_rtkit *rtk, void *arg)
{
	return copro_rtkit_engine_pwr_wait(&rtk->eng, *(bool *)arg);
}

/* What wait_for, boot_check and pwr_check read. */
uint64_t rtk_wait_state(const struct copro_rtkit_engine *e)
{
	enum copro_rtkit_phase ph = copro_rtkit_engine_phase(e);
	/* The phases boot_check tells apart; every other one is "booting". */
	uint64_t phase = ph == COPRO_RTKIT_PHASE_RUNNING ||
					 ph == COPRO_RTKIT_PHASE_FAILED ||
					 ph == COPRO_RTKIT_PHASE_IDLE
				 ? (uint64_t)ph
				 : 0xff;

	return (uint64_t)copro_rtkit_engine_crashed(e) | phase << 8 |
	       (uint64_t)(uint16_t)-copro_rtkit_engine_boot_error(e) << 16 |
	       (uint64_t)(uint16_t)-copro_rtkit_engine_pwr_wait(e, false) << 32 |
	       (uint64_t)(uint16_t)-copro_rtkit_engine_pwr_wait(e, true) << 48;
}

/* ---- steps ------------------------------------------------------------- */

typedef int (*rtk_request_fn)(struct copro_rtkit_engine *e,
			      struct copro_rtkit_out *out);

/* One engine request under the lock, then what it produced. */
static int request(struct copro_rtkit *rtk, rtk_request_fn fn)
{
	struct copro_rtkit_out out;
	int ret, err;

	copro_mutex_lock(&rtk->lock);
	ret = fn(&rtk->eng, &out);
	rtk_request_events(rtk, &out);
	rtk_sync(rtk);
	copro_mutex_unlock(&rtk->lock);
	err = rtk_send_out(rtk, &out);
	return ret < 0 ? ret : err < 0 ? err : ret;
}

/* The end of a boot, wake or takeover: a failure leaves nothing under way. */
static int end_boot(struct copro_rtkit *rtk, int ret)
{
	if (ret < 0) {
		copro_mutex_lock(&rtk->lock);
		copro_rtkit_engine_abort(&rtk->eng);
		rtk_sync(rtk);
		copro_mutex_unlock(&rtk->lock);
	}
	return ret;
}

static int run_boot(struct copro_rtkit *rtk, rtk_request_fn fn,
		    const char *what)
{
	int ret = request(rtk, fn);

	if (ret < 0)
		return end_boot(rtk, ret);
	if (ret > 0)
		return 0;
	return end_boot(rtk, wait_for(rtk, boot_check, NULL, what));
}

static int set_pwr(struct copro_rtkit *rtk, bool ap, unsigned state)
{
	struct copro_rtkit_out out;
	char what[64];
	int ret;

	copro_mutex_lock(&rtk->lock);
	ret = copro_rtkit_engine_set_power(&rtk->eng, ap, state, &out);
	rtk_sync(rtk);
	copro_mutex_unlock(&rtk->lock);
	if (ret < 0)
		return ret;
	ret = rtk_send_out(rtk, &out);
	if (!ret) {
		snprintf(what, sizeof(what), "the %s %s ACK", ap ? "AP" : "IOP",
			 copro_rtkit_pwr_state_name(state));
		ret = wait_for(rtk, pwr_check, &ap, what);
	}
	if (ret < 0) {
		copro_mutex_lock(&rtk->lock);
		copro_rtkit_engine_pwr_cancel(&rtk->eng, ap);
		copro_mutex_unlock(&rtk->lock);
	}
	return ret;
}

/* ---- the public calls ---------------------------------------------------- */

int copro_rtkit_boot(struct copro_rtkit *rtk)
{
	if (!rtk)
		return -EINVAL;
	return run_boot(rtk, copro_rtkit_engine_boot, "the boot handshake");
}

int copro_rtkit_takeover(struct copro_rtkit *rtk)
{
	if (!rtk)
		return -EINVAL;
	return run_boot(rtk, copro_rtkit_engine_takeover,
			"the takeover (IOP ON or HELLO ... AP ON)");
}

int copro_rtkit_wake(struct copro_rtkit *rtk)
{
	if (!rtk)
		return -EINVAL;
	return run_boot(rtk, copro_rtkit_engine_wake, "the wake (HELLO or IOP ON ... AP ON)");
}

int copro_rtkit_idle(struct copro_rtkit *rtk)
{
	int ret;

	if (!rtk)
		return -EINVAL;
	ret = set_pwr(rtk, true, COPRO_RTKIT_PWR_IDLE);
	if (!ret)
		ret = set_pwr(rtk, false, COPRO_RTKIT_PWR_IDLE);
	if (ret)
		return ret;
	copro_mutex_lock(&rtk->lock);
	copro_rtkit_engine_set_states(&rtk->eng, COPRO_RTKIT_PWR_IDLE,
				      COPRO_RTKIT_PWR_IDLE);
	copro_mutex_unlock(&rtk->lock);
	return 0;
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
	copro_rtkit_engine_set_states(&rtk->eng, COPRO_RTKIT_PWR_QUIESCED,
				      COPRO_RTKIT_PWR_QUIESCED);
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
	copro_rtkit_engine_set_powered_off(&rtk->eng);
	copro_mutex_unlock(&rtk->lock);
	return 0;
}

void rtk_reinit_locked(struct copro_rtkit *rtk)
{
	rtk_shmem_free_all(rtk);
	free(rtk->crashlog);
	rtk->crashlog = NULL;
	copro_rtkit_engine_reinit(&rtk->eng);
	rtk_sync(rtk);
}

int copro_rtkit_reinit(struct copro_rtkit *rtk)
{
	int ret = 0;

	if (!rtk)
		return -EINVAL;
	/*
	 * Whatever the old coprocessor sent means nothing now. Under the
	 * lock: a handler that holds a message from before the discard
	 * either took the lock first (the old session handles it, then is
	 * forgotten) or finds the message stale once it has the lock.
	 */
	copro_mutex_lock(&rtk->lock);
	if (rtk->io->rx_discard)
		ret = rtk->io->rx_discard(rtk->io_ctx);
	rtk_reinit_locked(rtk);
	copro_mutex_unlock(&rtk->lock);
	if (ret < 0)
		copro_dev_err(&rtk->ld, "reinit: cannot drop what the mailbox received: %s",
			      copro_strerror(ret));
	else
		copro_dev_dbg(&rtk->ld, "reinitialised");
	return ret;
}
