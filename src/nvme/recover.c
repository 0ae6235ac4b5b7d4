/* SPDX-License-Identifier: MIT */
/*
 * When things go wrong: timeouts (re-poll first, then reset), the full
 * controller reset with what was outstanding retried or failed, a
 * coprocessor crash (everything fails at once, the crashlog is logged),
 * and the polled mode's and the watchdog's periodic checks.
 */
#include <errno.h>

#include <copro/crashlog.h>
#include <copro/error.h>
#include <copro/rtkit.h>

#include "nvme/nvme_internal.h"

#define DEFAULT_TIMEOUT_NS (5 * COPRO_NSEC_PER_SEC)
#define WATCHDOG_MAX_PERIOD_NS (50 * COPRO_NSEC_PER_MSEC)

#define FROM(s) (1u << (s))

int64_t copro_nvme_timeout(const struct copro_nvme *nvme)
{
	return nvme->cfg.io_timeout_ns > 0 ? nvme->cfg.io_timeout_ns
					   : DEFAULT_TIMEOUT_NS;
}

static void wake_all(struct copro_nvme *nvme)
{
	copro_event_signal(&nvme->tag_ev);
	copro_event_signal(&nvme->pool_ev);
	copro_event_signal(&nvme->sync_ev);
}

/* Sets the state under cq_lock (the doorbell path reads it there). */
static void set_state(struct copro_nvme *nvme, enum nvme_state s)
{
	copro_nvme_cq_lock(nvme);
	atomic_store(&nvme->state, s);
	copro_nvme_cq_unlock(nvme);
	wake_all(nvme);
}

unsigned copro_nvme_fail_all(struct copro_nvme *nvme, int status)
{
	unsigned n = 0;

	for (unsigned tag = 0; tag < ANS2_MAX_TAGS; tag++)
		if (copro_nvme_tag_fail(nvme, tag,
					FROM(TAG_INFLIGHT) | FROM(TAG_PARKED),
					status))
			n++;
	return n;
}

/*
 * The controller is disabled and its completions reaped: whatever is
 * still in flight will never complete. Park what may be retried and
 * fail the rest.
 */
static void sort_outstanding(struct copro_nvme *nvme)
{
	int fail[ANS2_MAX_TAGS];
	unsigned nfail = 0, retried = 0;

	copro_nvme_cq_lock(nvme);
	for (unsigned tag = 0; tag < ANS2_MAX_TAGS; tag++) {
		struct nvme_tag *t = &nvme->tags[tag];
		int expect = TAG_INFLIGHT;

		fail[tag] = 0;
		if (atomic_load(&t->state) != TAG_INFLIGHT)
			continue;
		if (!t->admin && ++t->req->attempts_ <= nvme->cfg.retries &&
		    atomic_compare_exchange_strong(&t->state, &expect,
						   TAG_PARKED)) {
			retried++;
		} else {
			fail[tag] = t->expired ? -ETIMEDOUT : -ECANCELED;
			nfail++;
		}
		t->expired = false;
	}
	copro_nvme_cq_unlock(nvme);
	nvme_stat_add(&nvme->st.retried, retried);
	if (retried)
		copro_dev_warn(&nvme->ld, "retrying %u request(s) after the reset",
			       retried);
	for (unsigned tag = 0; tag < ANS2_MAX_TAGS && nfail; tag++) {
		if (fail[tag])
			copro_nvme_tag_fail(nvme, tag, FROM(TAG_INFLIGHT),
					    fail[tag]);
	}
}

int copro_nvme_reset_locked(struct copro_nvme *nvme, const char *reason)
{
	enum nvme_state s = nvme_state(nvme);
	int rc;

	if (s == NVME_DEAD)
		return -ECONNRESET;
	if (s == NVME_REMOVED || s == NVME_SUSPENDED)
		return -ESHUTDOWN;
	copro_dev_warn(&nvme->ld, "resetting the controller: %s", reason);
	set_state(nvme, NVME_RESETTING);
	nvme_stat_add(&nvme->st.resets, 1);

	copro_nvme_disable(nvme, false);
	/* What completed before the controller stopped is not retried. */
	copro_nvme_reap(nvme);
	sort_outstanding(nvme);

	rc = copro_nvme_bringup(nvme, false);

	copro_nvme_cq_lock(nvme);
	s = nvme_state(nvme);
	if (!rc && s == NVME_RESETTING) {
		atomic_store(&nvme->state, NVME_LIVE);
		copro_nvme_issue_parked_locked(nvme);
	} else if (s != NVME_DEAD) {
		nvme->fail_status = -EIO;
		atomic_store(&nvme->state, NVME_FAILED);
		if (!rc)
			rc = -EIO;
	}
	copro_nvme_cq_unlock(nvme);
	wake_all(nvme);
	if (rc) {
		unsigned n = copro_nvme_fail_all(nvme, nvme_state(nvme) == NVME_DEAD
							       ? -ECONNRESET
							       : -EIO);

		copro_dev_err(&nvme->ld,
			      "reset failed (%s); the controller is out of service, %u request(s) failed",
			      copro_strerror(rc), n);
		return rc;
	}
	copro_dev_info(&nvme->ld, "controller reset done");
	return 0;
}

int copro_nvme_reset(struct copro_nvme *nvme)
{
	int rc;

	copro_mutex_lock(&nvme->reset_lock);
	rc = copro_nvme_reset_locked(nvme, "requested");
	copro_mutex_unlock(&nvme->reset_lock);
	return rc;
}

/* ---- timeouts --------------------------------------------------------- */

static uint64_t expired_mask(struct copro_nvme *nvme, uint64_t now)
{
	uint64_t m = 0;

	for (unsigned tag = nvme->io_tag0; tag < nvme->hw->ntags; tag++) {
		struct nvme_tag *t = &nvme->tags[tag];

		if (atomic_load(&t->state) == TAG_INFLIGHT &&
		    atomic_load(&t->deadline) <= now)
			m |= 1ull << tag;
	}
	return m;
}

void copro_nvme_check_timeouts(struct copro_nvme *nvme, bool may_block)
{
	uint64_t now = copro_time_ns(), before, after;
	unsigned n;

	if (nvme_state(nvme) != NVME_LIVE)
		return;
	before = expired_mask(nvme, now);
	if (!before)
		return;
	/* The interrupt may be all that was lost. */
	copro_nvme_reap(nvme);
	after = expired_mask(nvme, now);
	n = (unsigned)__builtin_popcountll(before & ~after);
	if (n) {
		nvme_stat_add(&nvme->st.repolled, n);
		copro_dev_warn(&nvme->ld,
			       "%u completion(s) found by re-polling the completion queue after their deadline (lost interrupt)",
			       n);
	}
	if (!after)
		return;
	if (may_block)
		copro_mutex_lock(&nvme->reset_lock);
	else if (!copro_mutex_trylock(&nvme->reset_lock))
		return; /* a reset or admin command runs; look again later */
	/* Still expired now that we own the controller? */
	copro_nvme_cq_lock(nvme);
	after = nvme_state(nvme) == NVME_LIVE ? expired_mask(nvme, now) : 0;
	for (unsigned tag = nvme->io_tag0; tag < nvme->hw->ntags; tag++)
		if (after & (1ull << tag))
			nvme->tags[tag].expired = true;
	copro_nvme_cq_unlock(nvme);
	if (after) {
		unsigned tag = (unsigned)__builtin_ctzll(after);

		nvme_stat_add(&nvme->st.timeouts,
			      (uint64_t)__builtin_popcountll(after));
		copro_dev_err(&nvme->ld,
			      "%d request(s) timed out after %lld ms (first: tag %u, opcode 0x%02x, LBA %llu)",
			      __builtin_popcountll(after),
			      (long long)(copro_nvme_timeout(nvme) /
					  COPRO_NSEC_PER_MSEC),
			      tag, nvme->tags[tag].sqe.opcode,
			      (unsigned long long)nvme->tags[tag].sqe.cdw10 |
				      (unsigned long long)nvme->tags[tag].sqe.cdw11
					      << 32);
		copro_nvme_reset_locked(nvme, "I/O timeout");
	}
	copro_mutex_unlock(&nvme->reset_lock);
}

/*
 * Polled, the caller is also the RTKit endpoints' poller and the
 * watchdog. Those look at the mailbox and at every tag: once per tick of
 * the coarse clock (a few ms; the deadlines have 10 ms of slack anyway)
 * by whichever poller sees the tick first. Every call of a host that
 * polls a deep queue paid them, and they took more of its time than the
 * reaping (copro bench nvme, 4 KiB writes at queue depth 32 on one model
 * worker: expired_mask, the mailbox's dispatch and the clock, 12% of
 * samples).
 */
static bool poll_slow_due(struct copro_nvme *nvme)
{
	uint64_t now = copro_time_coarse_ns();
	uint64_t last = atomic_load_explicit(&nvme->poll_slow_at,
					     memory_order_relaxed);

	return now != last &&
	       atomic_compare_exchange_strong_explicit(&nvme->poll_slow_at,
						       &last, now,
						       memory_order_relaxed,
						       memory_order_relaxed);
}

int copro_nvme_poll(struct copro_nvme *nvme)
{
	bool slow = nvme->polled && poll_slow_due(nvme);
	int n;

	if (slow && nvme->rtk)
		copro_rtkit_poll(nvme->rtk);
	n = copro_nvme_reap(nvme);
	/* Never block a caller inside a reset. */
	if (slow)
		copro_nvme_check_timeouts(nvme, false);
	return n;
}

static void *watchdog(void *arg)
{
	struct copro_nvme *nvme = arg;
	int64_t period = copro_nvme_timeout(nvme) / 4;

	if (period > WATCHDOG_MAX_PERIOD_NS)
		period = WATCHDOG_MAX_PERIOD_NS;
	if (period < COPRO_NSEC_PER_MSEC)
		period = COPRO_NSEC_PER_MSEC;
	while (!atomic_load(&nvme->stop)) {
		uint32_t key = copro_event_prepare(&nvme->watch_ev);

		copro_nvme_check_timeouts(nvme, true);
		if (atomic_load(&nvme->stop))
			break;
		copro_event_wait(&nvme->watch_ev, key, period, 0);
	}
	return NULL;
}

int copro_nvme_watchdog_start(struct copro_nvme *nvme)
{
	atomic_store(&nvme->stop, false);
	return copro_thread_start(&nvme->watchdog, "nvme-watchdog", watchdog,
				  nvme);
}

void copro_nvme_watchdog_stop(struct copro_nvme *nvme)
{
	atomic_store(&nvme->stop, true);
	copro_event_signal(&nvme->watch_ev);
	copro_thread_join(&nvme->watchdog);
	nvme->watchdog.started = false;
}

/* ---- crash ------------------------------------------------------------ */

void copro_nvme_crashed(void *ctx, const struct copro_crashlog *cl)
{
	struct copro_nvme *nvme = ctx;
	unsigned n;

	set_state(nvme, NVME_DEAD);
	n = copro_nvme_fail_all(nvme, -ECONNRESET);
	/* RTKit has logged the decoded crashlog under this device already. */
	copro_dev_err(&nvme->ld,
		      "the NVMe coprocessor crashed; %u outstanding request(s) failed, and every new one will",
		      n);
	wake_all(nvme);
}

bool copro_nvme_is_dead(const struct copro_nvme *nvme)
{
	return nvme_state(nvme) == NVME_DEAD;
}

/* ---- suspend and resume ---------------------------------------------- */

/* Waits (bounded) for the I/O in flight to finish; fails what remains. */
static void drain(struct copro_nvme *nvme, int status)
{
	uint64_t deadline = copro_deadline(copro_nvme_timeout(nvme));

	for (;;) {
		uint32_t key = copro_event_prepare(&nvme->tag_ev);

		if (!atomic_load(&nvme->inflight) ||
		    !copro_deadline_left(deadline))
			break;
		if (nvme->polled) {
			copro_nvme_reap(nvme);
			if (nvme->rtk)
				copro_rtkit_poll(nvme->rtk);
			copro_cpu_relax();
		} else {
			copro_event_wait(&nvme->tag_ev, key,
					 10 * COPRO_NSEC_PER_MSEC,
					 COPRO_SPIN_DEFAULT_NS);
		}
	}
	copro_nvme_disable(nvme, true);
	copro_nvme_reap(nvme);
	unsigned n = copro_nvme_fail_all(nvme, status);
	if (n)
		copro_dev_warn(&nvme->ld,
			       "%u request(s) still outstanding at shutdown failed",
			       n);
}

/* Stops I/O and the coprocessor; reset_lock held. */
void copro_nvme_quiesce_locked(struct copro_nvme *nvme, enum nvme_state to)
{
	enum nvme_state s = nvme_state(nvme);

	set_state(nvme, s == NVME_DEAD ? NVME_DEAD : NVME_QUIESCING);
	if (s == NVME_DEAD) {
		copro_nvme_fail_all(nvme, -ECONNRESET);
		copro_writel(nvme->ans, ANS2_CPU_CONTROL, 0);
	} else if (s == NVME_LIVE || s == NVME_FAILED) {
		drain(nvme, -ESHUTDOWN);
		copro_nvme_copro_stop(nvme);
	}
	if (s != NVME_DEAD || to == NVME_REMOVED)
		set_state(nvme, to);
}

int copro_nvme_suspend(struct copro_nvme *nvme)
{
	int rc = 0;

	copro_mutex_lock(&nvme->reset_lock);
	switch (nvme_state(nvme)) {
	case NVME_DEAD:
		rc = -ECONNRESET;
		break;
	case NVME_SUSPENDED:
		break;
	default:
		copro_nvme_quiesce_locked(nvme, NVME_SUSPENDED);
		/* The coprocessor is stopped: its domains may go down. */
		copro_nvme_power(nvme, false);
		copro_dev_info(&nvme->ld, "suspended");
		break;
	}
	copro_mutex_unlock(&nvme->reset_lock);
	return rc;
}

int copro_nvme_resume(struct copro_nvme *nvme)
{
	int rc;

	copro_mutex_lock(&nvme->reset_lock);
	if (nvme_state(nvme) != NVME_SUSPENDED) {
		rc = nvme_state(nvme) == NVME_LIVE ? 0 : -EINVAL;
		copro_mutex_unlock(&nvme->reset_lock);
		return rc;
	}
	set_state(nvme, NVME_RESETTING);
	rc = copro_nvme_power(nvme, true);
	if (!rc)
		rc = copro_nvme_bringup(nvme, false);
	copro_nvme_cq_lock(nvme);
	if (!rc && nvme_state(nvme) == NVME_RESETTING) {
		atomic_store(&nvme->state, NVME_LIVE);
	} else if (nvme_state(nvme) != NVME_DEAD) {
		nvme->fail_status = -EIO;
		atomic_store(&nvme->state, NVME_FAILED);
		if (!rc)
			rc = -EIO;
	}
	copro_nvme_cq_unlock(nvme);
	wake_all(nvme);
	copro_mutex_unlock(&nvme->reset_lock);
	if (!rc)
		copro_dev_info(&nvme->ld, "resumed");
	return rc;
}
