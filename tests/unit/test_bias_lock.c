/* SPDX-License-Identifier: MIT */
/*
 * The biased lock (os.h): the bias is earned by a streak and lost to any
 * other thread, a revoker waits for the owner inside, and however the
 * threads interleave, one is in at a time and every section sees the
 * last one's writes (TSan checks the latter). Each concurrent test runs
 * with the membarrier half and with the full-fence fallback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdbool.h>

#include "copro/os.h"
#include "testutil.h"

#define WAIT_NS (10 * COPRO_NSEC_PER_SEC)

static void lock_init(struct copro_bias_lock *l, bool heavy)
{
	assert_int_equal(copro_bias_lock_init(l), 0);
	/* The fallback where the kernel has no membarrier. */
	if (!heavy)
		l->heavy = false;
}

static void earn_bias(struct copro_bias_lock *l)
{
	for (unsigned i = 0; i < COPRO_BIAS_STREAK; i++) {
		copro_bias_lock(l);
		copro_bias_unlock(l);
	}
	assert_true(atomic_load(&l->owner) == copro_thread_id());
}

static void test_bias_earned_by_streak(void **state)
{
	(void)state;
	struct copro_bias_lock l;

	lock_init(&l, true);
	for (unsigned i = 0; i + 1 < COPRO_BIAS_STREAK; i++) {
		copro_bias_lock(&l);
		assert_false(l.fast_held);
		copro_bias_unlock(&l);
	}
	assert_true(atomic_load(&l.owner) == 0);
	copro_bias_lock(&l);
	copro_bias_unlock(&l);
	assert_true(atomic_load(&l.owner) == copro_thread_id());
	/* From now on: in and out without the mutex. */
	copro_bias_lock(&l);
	assert_true(l.fast_held);
	assert_int_equal(atomic_load(&l.inside), 1);
	assert_true(copro_mutex_trylock(&l.mu));
	copro_mutex_unlock(&l.mu);
	copro_bias_unlock(&l);
	assert_int_equal(atomic_load(&l.inside), 0);
	assert_int_equal(l.revocations, 0);
	copro_bias_lock_destroy(&l);
}

struct other {
	struct copro_bias_lock *l;
	_Atomic int entered, left;
};

static void *other_thread(void *arg)
{
	struct other *o = arg;

	copro_bias_lock(o->l);
	atomic_store(&o->entered, 1);
	copro_bias_unlock(o->l);
	atomic_store(&o->left, 1);
	return NULL;
}

static void test_bias_revoked_by_another_thread(void **state)
{
	(void)state;
	struct copro_bias_lock l;
	struct other o = { .l = &l };
	struct copro_thread th;

	lock_init(&l, true);
	earn_bias(&l);
	assert_int_equal(copro_thread_start(&th, "other", other_thread, &o), 0);
	copro_thread_join(&th);
	assert_int_equal(atomic_load(&o.entered), 1);
	assert_int_equal(l.revocations, 1);
	assert_true(atomic_load(&l.owner) == 0);
	/* The old owner is back on the mutex until it earns the bias again. */
	copro_bias_lock(&l);
	assert_false(l.fast_held);
	copro_bias_unlock(&l);
	earn_bias(&l);
	copro_bias_lock_destroy(&l);
}

struct streaker {
	struct copro_bias_lock *l;
	uintptr_t owner_after;
};

static void *streak_thread(void *arg)
{
	struct streaker *st = arg;

	for (unsigned i = 0; i < 2 * COPRO_BIAS_STREAK; i++) {
		copro_bias_lock(st->l);
		copro_bias_unlock(st->l);
	}
	st->owner_after = atomic_load(&st->l->owner);
	return NULL;
}

/*
 * A revoked owner may be between its first look at `owner` and its store
 * to `inside`: nobody gets the bias until it has seen its loss.
 */
static void test_no_bias_until_loss_seen(void **state)
{
	(void)state;
	struct copro_bias_lock l;
	struct streaker st = { .l = &l };
	struct copro_thread th;

	lock_init(&l, true);
	earn_bias(&l);
	assert_int_equal(copro_thread_start(&th, "streak", streak_thread, &st),
			 0);
	copro_thread_join(&th);
	assert_int_equal(l.revocations, 1);
	assert_true(st.owner_after == 0);
	assert_true(atomic_load(&l.revoked) == copro_thread_id());
	/* The old owner comes back and sees it. */
	copro_bias_lock(&l);
	copro_bias_unlock(&l);
	assert_true(atomic_load(&l.revoked) == 0);
	earn_bias(&l);
	copro_bias_lock_destroy(&l);
}

static bool flag_set(void *arg)
{
	return atomic_load((_Atomic int *)arg) != 0;
}

/* A revoker must not get in while the owner is inside by the fast path. */
static void revoker_waits(bool heavy)
{
	struct copro_bias_lock l;
	struct other o = { .l = &l };
	struct copro_thread th;

	lock_init(&l, heavy);
	earn_bias(&l);
	copro_bias_lock(&l);
	assert_true(l.fast_held);
	assert_int_equal(copro_thread_start(&th, "revoker", other_thread, &o),
			 0);
	/* Long past its spin: asleep on the futex, or not yet there. */
	copro_sleep_ns(20 * COPRO_NSEC_PER_MSEC);
	assert_int_equal(atomic_load(&o.entered), 0);
	copro_bias_unlock(&l);
	assert_true(test_wait_until(flag_set, &o.left, WAIT_NS));
	copro_thread_join(&th);
	assert_int_equal(l.revocations, 1);
	copro_bias_lock_destroy(&l);
}

static void test_revoker_waits_for_owner(void **state)
{
	(void)state;
	revoker_waits(true);
}

static void test_revoker_waits_for_owner_fenced(void **state)
{
	(void)state;
	revoker_waits(false);
}

/* ---- many threads ---- */

#define THREADS 3
#define TURNS 30     /* per thread, in the turn-taking phase */
#define BURST 100    /* sections per turn: past the streak */
#define FREE_ROUNDS 20000

struct shared {
	struct copro_bias_lock l;
	uint64_t counter;  /* plain: only the lock orders it */
	_Atomic int in;    /* threads inside: never more than one */
	_Atomic int overlaps;
	_Atomic unsigned turn;
};

struct worker {
	struct shared *sh;
	unsigned id;
};

static void section(struct shared *sh)
{
	copro_bias_lock(&sh->l);
	if (atomic_fetch_add(&sh->in, 1) != 0)
		atomic_fetch_add(&sh->overlaps, 1);
	sh->counter++;
	atomic_fetch_sub(&sh->in, 1);
	copro_bias_unlock(&sh->l);
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	/* Turns: each burst earns the bias, the next thread's revokes it. */
	for (unsigned t = 0; t < TURNS; t++) {
		while (atomic_load(&sh->turn) % THREADS != w->id)
			copro_cpu_relax();
		for (unsigned i = 0; i < BURST; i++)
			section(sh);
		atomic_fetch_add(&sh->turn, 1);
	}
	/* Then everyone at once: bias earned and lost under contention. */
	for (unsigned i = 0; i < FREE_ROUNDS; i++) {
		section(sh);
		if (i % 512 == w->id)
			copro_sleep_ns(COPRO_NSEC_PER_USEC * (1 + w->id));
	}
	return NULL;
}

static void many_threads(bool heavy)
{
	struct shared sh = { 0 };
	struct worker w[THREADS];
	struct copro_thread th[THREADS];

	lock_init(&sh.l, heavy);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .sh = &sh, .id = i };
		assert_int_equal(copro_thread_start(&th[i], "bias", worker_thread,
						    &w[i]),
				 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		copro_thread_join(&th[i]);
	assert_int_equal(atomic_load(&sh.overlaps), 0);
	assert_true(sh.counter ==
		    (uint64_t)THREADS * (TURNS * BURST + FREE_ROUNDS));
	/*
	 * Thread 0 earns the bias in each of its turns and thread 1 takes it
	 * away in the next; thread 1 and 2 earn none, as thread 0 has not
	 * seen its loss until its next turn.
	 */
	assert_true(sh.l.revocations >= TURNS);
	copro_bias_lock_destroy(&sh.l);
}

static void test_many_threads(void **state)
{
	(void)state;
	many_threads(true);
}

static void test_many_threads_fenced(void **state)
{
	(void)state;
	many_threads(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bias_earned_by_streak),
		cmocka_unit_test(test_bias_revoked_by_another_thread),
		cmocka_unit_test(test_no_bias_until_loss_seen),
		cmocka_unit_test(test_revoker_waits_for_owner),
		cmocka_unit_test(test_revoker_waits_for_owner_fenced),
		cmocka_unit_test(test_many_threads),
		cmocka_unit_test(test_many_threads_fenced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
