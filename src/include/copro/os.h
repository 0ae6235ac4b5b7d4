/* SPDX-License-Identifier: MIT */
/*
 * The small OS layer: monotonic time, mutexes, an event count (the one
 * wait/wake primitive everything else is built on), completions with
 * timeouts, and threads. Nothing outside src/base calls the OS for these.
 *
 * Internal: libcopro, libcopro-sim, the tools and the tests use it; it is
 * not installed and none of its names are exported from the shared
 * libraries (each library carries its own hidden copy).
 *
 * Waits spin for a short, configurable time before sleeping: a reply
 * that arrives within the spin window costs no system call on either side.
 */
#ifndef COPRO_OS_H
#define COPRO_OS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Default spin before sleeping in copro_event_wait(). */
#define COPRO_SPIN_DEFAULT_NS (20 * COPRO_NSEC_PER_USEC)

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t copro_time_ns(void);
/*
 * CLOCK_MONOTONIC_COARSE in nanoseconds: the same clock as of its last
 * tick, never ahead of copro_time_ns() and behind it by at most
 * COPRO_TIME_COARSE_SLACK_NS, for a quarter of the cost (about 6 ns
 * against 23 here). For deadlines that may be late by that much: add
 * the slack, and one is never early.
 */
uint64_t copro_time_coarse_ns(void);
#define COPRO_TIME_COARSE_SLACK_NS (10 * COPRO_NSEC_PER_MSEC)
/* Sleeps at least ns nanoseconds. */
void copro_sleep_ns(uint64_t ns);
/* A pause instruction for spin loops. */
void copro_cpu_relax(void);

/*
 * v, passed through a general register: keeps the compiler from merging
 * a loop of 8-byte moves into a block fill (rep stos) or 16-byte moves,
 * which stall store forwarding when the words around them were stored
 * 8 bytes at a time (SMCCC register files).
 */
static inline uint64_t copro_reg_word(uint64_t v)
{
	__asm__("" : "+r"(v));
	return v;
}

struct copro_mutex {
	pthread_mutex_t m;
};
int copro_mutex_init(struct copro_mutex *mu);
void copro_mutex_destroy(struct copro_mutex *mu);
void copro_mutex_lock(struct copro_mutex *mu);
void copro_mutex_unlock(struct copro_mutex *mu);
bool copro_mutex_trylock(struct copro_mutex *mu);

struct copro_rwlock {
	pthread_rwlock_t l;
};
int copro_rwlock_init(struct copro_rwlock *l);
void copro_rwlock_destroy(struct copro_rwlock *l);
void copro_rwlock_rdlock(struct copro_rwlock *l);
void copro_rwlock_wrlock(struct copro_rwlock *l);
bool copro_rwlock_trywrlock(struct copro_rwlock *l);
void copro_rwlock_unlock(struct copro_rwlock *l);

/*
 * A lock around a few stores that one thread almost always takes alone
 * (a side of a device model's FIFO). Taking it is one exchange; letting
 * it go is a plain release store, where a mutex's unlock is a second
 * locked instruction, a full barrier that waits for every store before
 * it to reach the other cores. A contended taker spins 1000 pauses,
 * then sleeps 10 us at a time (bounded spinning on two cores): hold it
 * only across short work that does not wait for another thread.
 */
struct copro_spinlock {
	_Atomic bool held;
};

static inline void copro_spin_init(struct copro_spinlock *l)
{
	atomic_init(&l->held, false);
}

static inline bool copro_spin_trylock(struct copro_spinlock *l)
{
	return !atomic_load_explicit(&l->held, memory_order_relaxed) &&
	       !atomic_exchange_explicit(&l->held, true, memory_order_acquire);
}

void copro_spin_lock_contended(struct copro_spinlock *l);

static inline void copro_spin_lock(struct copro_spinlock *l)
{
	if (!copro_spin_trylock(l))
		copro_spin_lock_contended(l);
}

static inline void copro_spin_unlock(struct copro_spinlock *l)
{
	atomic_store_explicit(&l->held, false, memory_order_release);
}

/*
 * A sequence count, for a table read on a hot path and seldom changed.
 * Writers (one at a time, under a lock of their own) bracket an edit
 * with copro_seq_write_begin/end, which make the count odd meanwhile;
 * they store the table's fields with atomic stores. Readers load the
 * fields with relaxed atomic loads between copro_seq_read_begin and
 * copro_seq_read_retry, and look again when the latter says the count
 * moved. No locked instruction on either side.
 */
struct copro_seqcount {
	_Atomic uint32_t seq;
};

static inline void copro_seq_write_begin(struct copro_seqcount *s)
{
	atomic_store_explicit(&s->seq,
			      atomic_load_explicit(&s->seq, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static inline void copro_seq_write_end(struct copro_seqcount *s)
{
	atomic_store_explicit(&s->seq,
			      atomic_load_explicit(&s->seq, memory_order_relaxed) + 1,
			      memory_order_release);
}

/* Waits out an edit in progress (a few stores) and returns the count. */
static inline uint32_t copro_seq_read_begin(struct copro_seqcount *s)
{
	for (;;) {
		uint32_t v = atomic_load_explicit(&s->seq, memory_order_acquire);

		if (!(v & 1))
			return v;
		copro_cpu_relax();
	}
}

/* true: an edit overlapped the loads since read_begin returned `start`. */
static inline bool copro_seq_read_retry(struct copro_seqcount *s,
					uint32_t start)
{
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&s->seq, memory_order_relaxed) != start;
}

/*
 * Adds n to a counter that only one thread at a time writes (others may
 * read it): a load and a store, not a locked add. The writer's turn must
 * be handed on through some other atomic (a lock, a tag's state).
 */
static inline void copro_owned_add(_Atomic uint64_t *c, int64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) +
				      (uint64_t)n,
			      memory_order_relaxed);
}

/*
 * Event count: lost-wakeup-free waiting on any condition.
 *
 *   uint32_t key = copro_event_prepare(&ev);
 *   if (!condition())
 *           copro_event_wait(&ev, key, timeout, spin);
 *
 * and on the other side: make the condition true, then copro_event_signal().
 * copro_event_wait returns 0 when signalled after prepare (or spuriously:
 * callers re-check their condition), -ETIMEDOUT when the timeout passed.
 */
struct copro_event {
	_Atomic uint32_t seq;
	_Atomic uint32_t sleepers;
};
void copro_event_init(struct copro_event *ev);
uint32_t copro_event_prepare(struct copro_event *ev);
/* spin_ns: how long to spin before sleeping (0: sleep at once). */
int copro_event_wait(struct copro_event *ev, uint32_t key, int64_t timeout_ns,
		     uint64_t spin_ns);
void copro_event_signal(struct copro_event *ev);

/*
 * Completion: a counted "it happened" signal. complete() releases one
 * waiter (or the next wait), complete_all() every present and future
 * waiter until reinit().
 *
 * complete() touches the completion after the count it adds is visible:
 * a waiter may return while complete() is still running. So the
 * completion must outlive the completer's call: neither on the
 * waiter's stack nor reused, unless the waiter first takes a lock the
 * completer holds around complete() (the Gunyah RM reuses its call
 * slots only under it) or joins the completer's thread.
 */
struct copro_completion {
	_Atomic uint32_t done;
	struct copro_event ev;
};
void copro_completion_init(struct copro_completion *c);
void copro_completion_reinit(struct copro_completion *c);
void copro_completion_complete(struct copro_completion *c);
void copro_completion_complete_all(struct copro_completion *c);
bool copro_completion_done(struct copro_completion *c);
/* 0 when completed, -ETIMEDOUT otherwise. Spins COPRO_SPIN_DEFAULT_NS. */
int copro_completion_wait(struct copro_completion *c, int64_t timeout_ns);

struct copro_thread {
	pthread_t t;
	bool started;
};
/* name: at most 15 characters are kept (the kernel's limit). */
int copro_thread_start(struct copro_thread *th, const char *name,
		       void *(*fn)(void *arg), void *arg);
/* Waits for the thread to return. No-op for a thread never started. */
void copro_thread_join(struct copro_thread *th);
/*
 * The calling thread's identity: no two live threads share one (a thread
 * started after another ended may get its value).
 */
static inline uintptr_t copro_thread_id(void)
{
	return (uintptr_t)pthread_self();
}

/*
 * Asymmetric barriers, for a fast path that must not pay a locked
 * instruction: the fast side orders its store before a later load with
 * a compiler barrier alone (atomic_signal_fence), and the rare slow side
 * calls copro_heavy_barrier(), which makes every thread of the process
 * execute a full memory barrier before it returns (Linux's membarrier,
 * private expedited). copro_heavy_barrier_init() registers the process
 * for it and says whether it can be had; without it, fast sides must
 * use atomic_thread_fence(memory_order_seq_cst) instead.
 */
bool copro_heavy_barrier_init(void);
void copro_heavy_barrier(void);

/*
 * The two halves, given what copro_heavy_barrier_init() said (`heavy`):
 * the fast side's is a compiler barrier, or a full fence without
 * membarrier; the slow side's is copro_heavy_barrier(), or a full fence.
 */
static inline void copro_barrier_fast(bool heavy)
{
	if (heavy)
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

static inline void copro_barrier_slow(bool heavy)
{
	if (heavy)
		copro_heavy_barrier();
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/*
 * A mutex biased to the thread that takes it again and again (an SCMI
 * channel's one caller): that thread enters and leaves with plain stores
 * and no locked instruction, the cost that dominated a synchronous
 * firmware call. Any other thread takes the inner mutex and first
 * revokes the bias: it clears the owner, runs the slow half of the
 * asymmetric barrier above and waits (on a futex) for the owner to
 * leave. The owner's fast path stores `inside`, orders it before its
 * second look at `owner` with the cheap half, and backs off to the mutex
 * if the bias is gone. A thread that takes the mutex COPRO_BIAS_STREAK
 * times in a row, nobody else between, gets the bias: a lock shared by
 * several threads stays on the mutex, and a revocation (a membarrier, a
 * few microseconds) is paid at most once per streak. No bias is given
 * while a revoked owner has not yet seen its loss (at its next entry or
 * exit): one that never comes back leaves the lock on its mutex.
 *
 * Not recursive. Without membarrier the fast path pays a full fence
 * instead (still no read-modify-write).
 */
#define COPRO_BIAS_STREAK 64

struct copro_bias_lock {
	_Atomic uintptr_t owner;  /* the biased thread (copro_thread_id), 0 none */
	_Atomic uint32_t inside;  /* the owner is in by the fast path; a futex */
	_Atomic uintptr_t revoked; /* an owner that has not seen it lost the bias */
	bool heavy;               /* copro_heavy_barrier() can be had */
	bool fast_held;           /* how the holder got in: only it writes it */
	uintptr_t streak_tid;     /* under mu: who took the mutex last, */
	unsigned streak;          /* and how many times in a row */
	uint64_t revocations;     /* under mu */
	struct copro_mutex mu;
};
int copro_bias_lock_init(struct copro_bias_lock *l);
void copro_bias_lock_destroy(struct copro_bias_lock *l);
void copro_bias_lock_slow(struct copro_bias_lock *l);
void copro_bias_lock_leave_slow(struct copro_bias_lock *l);

static inline void copro_bias_lock(struct copro_bias_lock *l)
{
	uintptr_t me = copro_thread_id();

	if (atomic_load_explicit(&l->owner, memory_order_relaxed) == me) {
		atomic_store_explicit(&l->inside, 1, memory_order_relaxed);
		copro_barrier_fast(l->heavy);
		/* Still ours after the barrier: no revoker can be past it. */
		if (atomic_load_explicit(&l->owner, memory_order_relaxed) == me) {
			l->fast_held = true;
			return;
		}
		copro_bias_lock_leave_slow(l);
	}
	copro_bias_lock_slow(l);
}

static inline void copro_bias_unlock(struct copro_bias_lock *l)
{
	if (!l->fast_held) {
		copro_mutex_unlock(&l->mu);
		return;
	}
	l->fast_held = false;
	/* Released: the critical section happens before a revoker's entry. */
	atomic_store_explicit(&l->inside, 0, memory_order_release);
	copro_barrier_fast(l->heavy);
	/* Revoked while inside: the revoker may be asleep on `inside`. */
	if (atomic_load_explicit(&l->owner, memory_order_relaxed) !=
	    copro_thread_id())
		copro_bias_lock_leave_slow(l);
}

/* Deadline helpers for loops that wait in several steps. */
uint64_t copro_deadline(int64_t timeout_ns); /* UINT64_MAX for FOREVER */
/* Remaining time until a deadline: 0 once passed, FOREVER for UINT64_MAX. */
int64_t copro_deadline_left(uint64_t deadline);

#ifdef __cplusplus
}
#endif
#endif
