/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "copro/error.h"
#include "copro/os.h"

/*
 * A failing lock/unlock on an initialised mutex means memory corruption or
 * a locking bug in copro itself, never something a peer can cause; running
 * on without mutual exclusion would only corrupt more.
 */
static void os_fatal(const char *what, int err)
{
	fprintf(stderr, "copro: fatal: %s: %s\n", what, strerror(err));
	abort();
}

/* ---- time ---- */

uint64_t copro_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * COPRO_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t copro_time_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * COPRO_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static struct timespec ns_to_timespec(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / COPRO_NSEC_PER_SEC),
		.tv_nsec = (long)(ns % COPRO_NSEC_PER_SEC),
	};
	return ts;
}

void copro_sleep_ns(uint64_t ns)
{
	if (!ns)
		return;
	/* An absolute deadline makes signal interruptions cost no extra time. */
	struct timespec until = ns_to_timespec(copro_time_ns() + ns);

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
	       EINTR)
		;
}

bool copro_heavy_barrier_init(void)
{
	return syscall(SYS_membarrier,
		       MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void copro_heavy_barrier(void)
{
	/* Only after a successful init; a failure then is a kernel bug. */
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
		os_fatal("membarrier", errno);
}

void copro_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause" ::: "memory");
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/*
 * Only COPRO_FOREVER waits forever: any other negative timeout is a caller's
 * arithmetic gone below zero, and treating it as expired cannot hang.
 */
uint64_t copro_deadline(int64_t timeout_ns)
{
	if (timeout_ns == COPRO_FOREVER)
		return UINT64_MAX;
	if (timeout_ns <= 0)
		return copro_time_ns();
	uint64_t now = copro_time_ns();
	uint64_t d = now + (uint64_t)timeout_ns;
	/* Saturate below UINT64_MAX, which means "forever". */
	return d < now || d == UINT64_MAX ? UINT64_MAX - 1 : d;
}

int64_t copro_deadline_left(uint64_t deadline)
{
	if (deadline == UINT64_MAX)
		return COPRO_FOREVER;
	uint64_t now = copro_time_ns();
	if (now >= deadline)
		return 0;
	uint64_t left = deadline - now;
	return left > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)left;
}

/* ---- locks ---- */

int copro_mutex_init(struct copro_mutex *mu)
{
	return -pthread_mutex_init(&mu->m, NULL);
}

void copro_mutex_destroy(struct copro_mutex *mu)
{
	pthread_mutex_destroy(&mu->m);
}

void copro_mutex_lock(struct copro_mutex *mu)
{
	int rc = pthread_mutex_lock(&mu->m);

	if (rc)
		os_fatal("pthread_mutex_lock", rc);
}

void copro_mutex_unlock(struct copro_mutex *mu)
{
	int rc = pthread_mutex_unlock(&mu->m);

	if (rc)
		os_fatal("pthread_mutex_unlock", rc);
}

bool copro_mutex_trylock(struct copro_mutex *mu)
{
	return pthread_mutex_trylock(&mu->m) == 0;
}

int copro_rwlock_init(struct copro_rwlock *l)
{
	return -pthread_rwlock_init(&l->l, NULL);
}

void copro_rwlock_destroy(struct copro_rwlock *l)
{
	pthread_rwlock_destroy(&l->l);
}

void copro_rwlock_rdlock(struct copro_rwlock *l)
{
	int rc = pthread_rwlock_rdlock(&l->l);

	if (rc)
		os_fatal("pthread_rwlock_rdlock", rc);
}

void copro_rwlock_wrlock(struct copro_rwlock *l)
{
	int rc = pthread_rwlock_wrlock(&l->l);

	if (rc)
		os_fatal("pthread_rwlock_wrlock", rc);
}

bool copro_rwlock_trywrlock(struct copro_rwlock *l)
{
	return pthread_rwlock_trywrlock(&l->l) == 0;
}

void copro_rwlock_unlock(struct copro_rwlock *l)
{
	int rc = pthread_rwlock_unlock(&l->l);

	if (rc)
		os_fatal("pthread_rwlock_unlock", rc);
}

/* ---- spin lock ---- */

void copro_spin_lock_contended(struct copro_spinlock *l)
{
	for (unsigned spins = 0; !copro_spin_trylock(l); spins++) {
		if (spins < 1000)
			copro_cpu_relax();
		else
			copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
	}
}

/* ---- event count ---- */

static int futex_wait(_Atomic uint32_t *addr, uint32_t val,
		      const struct timespec *rel)
{
	/* The kernel compares *addr with val atomically, the heart of it all. */
	if (syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, rel,
		    NULL, 0) < 0)
		return -errno;
	return 0;
}

static void futex_wake_all(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
		NULL, 0);
}

void copro_event_init(struct copro_event *ev)
{
	atomic_init(&ev->seq, 0);
	atomic_init(&ev->sleepers, 0);
}

uint32_t copro_event_prepare(struct copro_event *ev)
{
	/* Acquire: the caller's condition check must not move above this. */
	return atomic_load_explicit(&ev->seq, memory_order_acquire);
}

/*
 * The signaller increments seq and then reads sleepers; the waiter
 * increments sleepers and then reads seq. Both pairs are seq_cst, so at
 * least one side sees the other: either the waiter sees the new seq and
 * does not sleep, or the signaller sees the sleeper and wakes it (and a
 * wake that lands before FUTEX_WAIT makes the kernel's compare fail).
 */
void copro_event_signal(struct copro_event *ev)
{
	atomic_fetch_add_explicit(&ev->seq, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&ev->sleepers, memory_order_seq_cst))
		futex_wake_all(&ev->seq);
}

static bool event_changed(struct copro_event *ev, uint32_t key)
{
	return atomic_load_explicit(&ev->seq, memory_order_acquire) != key;
}

/* Reading the clock costs more than a pause; look at it now and then. */
#define SPIN_CLOCK_EVERY 16

static bool event_spin(struct copro_event *ev, uint32_t key, uint64_t until)
{
	for (;;) {
		for (int i = 0; i < SPIN_CLOCK_EVERY; i++) {
			if (event_changed(ev, key))
				return true;
			copro_cpu_relax();
		}
		if (copro_time_ns() >= until)
			return event_changed(ev, key);
	}
}

int copro_event_wait(struct copro_event *ev, uint32_t key, int64_t timeout_ns,
		     uint64_t spin_ns)
{
	if (event_changed(ev, key))
		return 0;
	if (timeout_ns != COPRO_FOREVER && timeout_ns <= 0)
		return -ETIMEDOUT;

	uint64_t deadline = copro_deadline(timeout_ns);

	if (spin_ns) {
		uint64_t now = copro_time_ns();
		uint64_t spin_until = now + spin_ns < now ? UINT64_MAX
							  : now + spin_ns;
		if (spin_until > deadline)
			spin_until = deadline;
		if (event_spin(ev, key, spin_until))
			return 0;
	}

	int ret = 0;

	atomic_fetch_add_explicit(&ev->sleepers, 1, memory_order_seq_cst);
	for (;;) {
		if (atomic_load_explicit(&ev->seq, memory_order_seq_cst) != key)
			break;

		struct timespec rel, *relp = NULL;
		int64_t left = copro_deadline_left(deadline);

		if (left != COPRO_FOREVER) {
			if (left == 0) {
				ret = -ETIMEDOUT;
				break;
			}
			rel = ns_to_timespec((uint64_t)left);
			relp = &rel;
		}
		/*
		 * Every return (woken, value already changed, EINTR, a
		 * spurious wake, timeout) goes back to re-check seq and
		 * recompute the time left from the fixed deadline.
		 */
		futex_wait(&ev->seq, key, relp);
	}
	atomic_fetch_sub_explicit(&ev->sleepers, 1, memory_order_relaxed);
	return ret;
}

/* ---- biased lock ---- */

int copro_bias_lock_init(struct copro_bias_lock *l)
{
	atomic_init(&l->owner, 0);
	atomic_init(&l->inside, 0);
	atomic_init(&l->revoked, 0);
	l->heavy = copro_heavy_barrier_init();
	l->fast_held = false;
	l->streak_tid = 0;
	l->streak = 0;
	l->revocations = 0;
	return copro_mutex_init(&l->mu);
}

void copro_bias_lock_destroy(struct copro_bias_lock *l)
{
	copro_mutex_destroy(&l->mu);
}

/* The owner leaves (or backs off): a revoker may sleep on `inside`. */
void copro_bias_lock_leave_slow(struct copro_bias_lock *l)
{
	atomic_store_explicit(&l->inside, 0, memory_order_release);
	futex_wake_all(&l->inside);
	/*
	 * This thread has seen its bias go: it will not store `inside`
	 * again until it is given one anew. Released: its stores to
	 * `inside` come before the next owner's.
	 */
	if (atomic_load_explicit(&l->revoked, memory_order_relaxed) ==
	    copro_thread_id())
		atomic_store_explicit(&l->revoked, 0, memory_order_release);
}

/* Spins before a revoker sleeps: an owner's section is usually short. */
#define BIAS_REVOKE_SPINS 256

/* mu held: takes the bias away and waits for its owner to leave. */
static void bias_revoke(struct copro_bias_lock *l, uintptr_t owner)
{
	atomic_store_explicit(&l->revoked, owner, memory_order_relaxed);
	atomic_store_explicit(&l->owner, 0, memory_order_relaxed);
	/* The slow half: the owner either sees 0 or is seen inside. */
	copro_barrier_slow(l->heavy);
	for (unsigned spins = 0;
	     atomic_load_explicit(&l->inside, memory_order_acquire); spins++) {
		if (spins < BIAS_REVOKE_SPINS)
			copro_cpu_relax();
		else
			futex_wait(&l->inside, 1, NULL);
	}
	l->revocations++;
}

void copro_bias_lock_slow(struct copro_bias_lock *l)
{
	uintptr_t me = copro_thread_id();
	uintptr_t owner;

	copro_mutex_lock(&l->mu);
	owner = atomic_load_explicit(&l->owner, memory_order_relaxed);
	if (owner && owner != me)
		bias_revoke(l, owner);
	if (atomic_load_explicit(&l->revoked, memory_order_relaxed) == me)
		atomic_store_explicit(&l->revoked, 0, memory_order_relaxed);
	if (l->streak_tid == me) {
		l->streak++;
	} else {
		l->streak_tid = me;
		l->streak = 1;
	}
	/*
	 * Ours from the next entry on (this one holds the mutex). Not
	 * while a revoked owner may not know yet: between its first look
	 * at `owner` and its store to `inside`, it would clear our mark.
	 * It finds out at its next entry or exit; until then, the mutex.
	 */
	if (!owner && l->streak >= COPRO_BIAS_STREAK &&
	    !atomic_load_explicit(&l->revoked, memory_order_acquire))
		atomic_store_explicit(&l->owner, me, memory_order_relaxed);
}

/* ---- completion ---- */

/* complete_all()'s mark: far above any count of complete() calls. */
#define COMPLETION_ALL 0x80000000u

void copro_completion_init(struct copro_completion *c)
{
	atomic_init(&c->done, 0);
	copro_event_init(&c->ev);
}

void copro_completion_reinit(struct copro_completion *c)
{
	atomic_store_explicit(&c->done, 0, memory_order_relaxed);
}

void copro_completion_complete(struct copro_completion *c)
{
	/* Release: whatever the completer wrote is visible to the waiter. */
	atomic_fetch_add_explicit(&c->done, 1, memory_order_release);
	copro_event_signal(&c->ev);
}

void copro_completion_complete_all(struct copro_completion *c)
{
	atomic_store_explicit(&c->done, COMPLETION_ALL, memory_order_release);
	copro_event_signal(&c->ev);
}

bool copro_completion_done(struct copro_completion *c)
{
	return atomic_load_explicit(&c->done, memory_order_acquire) != 0;
}

static bool completion_consume(struct copro_completion *c)
{
	uint32_t v = atomic_load_explicit(&c->done, memory_order_acquire);

	while (v && v < COMPLETION_ALL) {
		if (atomic_compare_exchange_weak_explicit(
			    &c->done, &v, v - 1, memory_order_acquire,
			    memory_order_acquire))
			return true;
	}
	return v >= COMPLETION_ALL;
}

int copro_completion_wait(struct copro_completion *c, int64_t timeout_ns)
{
	uint64_t deadline = copro_deadline(timeout_ns);

	for (;;) {
		if (completion_consume(c))
			return 0;
		uint32_t key = copro_event_prepare(&c->ev);
		/* Another waiter may have taken the count since we looked. */
		if (completion_consume(c))
			return 0;
		int64_t left = copro_deadline_left(deadline);
		if (left == 0)
			return -ETIMEDOUT;
		copro_event_wait(&c->ev, key, left, COPRO_SPIN_DEFAULT_NS);
	}
}

/* ---- threads ---- */

/* The kernel keeps 15 characters of a thread's name plus the NUL. */
#define THREAD_NAME_MAX 16

struct thread_start {
	void *(*fn)(void *arg);
	void *arg;
	char name[THREAD_NAME_MAX];
};

/* Naming from inside the thread: it is named before any of its code runs. */
static void *thread_trampoline(void *p)
{
	struct thread_start st = *(struct thread_start *)p;

	free(p);
	if (st.name[0])
		pthread_setname_np(pthread_self(), st.name);
	return st.fn(st.arg);
}

int copro_thread_start(struct copro_thread *th, const char *name,
		       void *(*fn)(void *arg), void *arg)
{
	struct thread_start *st;
	int rc;

	th->started = false;
	if (!fn)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->fn = fn;
	st->arg = arg;
	if (name)
		snprintf(st->name, sizeof(st->name), "%s", name);
	rc = pthread_create(&th->t, NULL, thread_trampoline, st);
	if (rc) {
		free(st);
		return -rc;
	}
	th->started = true;
	return 0;
}

void copro_thread_join(struct copro_thread *th)
{
	if (!th->started)
		return;
	pthread_join(th->t, NULL);
	th->started = false;
}
