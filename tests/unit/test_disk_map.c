/* SPDX-License-Identifier: MIT */
/*
 * The disk mapping's parts on their own (sim/disk_map.c): which stripes
 * a range takes, wrapping or not; the second-touch policy, what a sync
 * and a deallocation forget; the measured policy for writes, on figures
 * the test sets; a copy past the file's end failing instead of killing
 * the process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk_map.h"

#define PAGE 4096u
#define PAGES 256u

struct fx {
	char path[64];
	int fd;
	struct disk_map dm;
};

/*
 * cmocka puts its own SIGBUS handler around each test and fixture: the
 * map is made in the test, where the guard's handler goes over it.
 */
static struct fx *open_map_writes(enum copro_sim_ans2_map_writes writes)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/copro-disk-map-XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	assert_int_equal(ftruncate(f->fd, PAGES * PAGE), 0);
	assert_int_equal(disk_map_init(&f->dm, f->fd, PAGES * PAGE, true,
				       writes), 0);
	assert_true(disk_map_on(&f->dm));
	return f;
}

static struct fx *open_map(void)
{
	return open_map_writes(COPRO_SIM_ANS2_MAP_WRITES_SECOND_TOUCH);
}

/* A write: 1 copied, 0 the caller's call. */
static int wr(struct fx *f, const void *src, uint64_t off, size_t len)
{
	uint64_t t0;

	return disk_map_write(&f->dm, src, off, len, &t0);
}

/* A write that is the caller's call, and not one to time. */
static void wr_call_untimed(struct disk_map *dm, const void *src, uint64_t off)
{
	uint64_t t0 = 1;

	assert_int_equal(disk_map_write(dm, src, off, PAGE, &t0), 0);
	assert_int_equal(t0, 0);
}

/* Starts a window of the coarse clock's write tags with a second or more
 * left in it (the write bits lapse at its end). */
static void start_window(void)
{
	uint64_t window = 1ull << 32, now = copro_time_coarse_ns();

	if (window - (now & (window - 1)) < 1000000000ull)
		copro_sleep_ns(window - (now & (window - 1)) + 10000000ull);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f) {
		disk_map_fini(&f->dm);
		close(f->fd);
		unlink(f->path);
		free(f);
	}
	return 0;
}

/* Stripe s is held (by this thread) exactly when `want` says so. */
static void expect_held(struct fx *f, const bool *want)
{
	for (unsigned s = 0; s < DISK_MAP_STRIPES; s++) {
		bool free_now = copro_mutex_trylock(&f->dm.stripe[s]);

		if (free_now)
			copro_mutex_unlock(&f->dm.stripe[s]);
		if (free_now == want[s])
			fail_msg("stripe %u: %s", s,
				 want[s] ? "not held" : "held, not wanted");
	}
}

static void check_span(struct fx *f, uint64_t first, uint64_t n)
{
	bool want[DISK_MAP_STRIPES] = { false };

	for (uint64_t p = first; p < first + n; p++)
		want[p % DISK_MAP_STRIPES] = true;
	disk_map_lock(&f->dm, first * PAGE, n * PAGE);
	expect_held(f, want);
	disk_map_unlock(&f->dm, first * PAGE, n * PAGE);
	memset(want, 0, sizeof(want));
	expect_held(f, want);
}

static void test_stripes(void **state)
{
	struct fx *f = open_map();

	*state = f;
	check_span(f, 3, 1);
	check_span(f, 3, 5);
	/* Across the last stripe and back to the first. */
	check_span(f, DISK_MAP_STRIPES - 2, 4);
	check_span(f, 2 * DISK_MAP_STRIPES - 1, 2);
	check_span(f, 5, DISK_MAP_STRIPES - 1);
	/* As many pages as stripes, or more: all of them. */
	check_span(f, 7, DISK_MAP_STRIPES);
	check_span(f, 0, 64);
	/* An unaligned byte range takes the stripes of every page it touches. */
	bool want[DISK_MAP_STRIPES] = { false };

	want[1] = want[2] = true;
	disk_map_lock(&f->dm, PAGE + 4000, 200);
	expect_held(f, want);
	disk_map_unlock(&f->dm, PAGE + 4000, 200);
}

static void test_second_touch(void **state)
{
	struct fx *f = open_map();
	uint8_t a[2 * PAGE], b[2 * PAGE];

	*state = f;
	memset(a, 0x5a, sizeof(a));
	start_window();

	/* Writes: a call first, then copies. */
	assert_int_equal(wr(f, a, 8 * PAGE, PAGE), 0);
	assert_int_equal(wr(f, a, 8 * PAGE, PAGE), 1);
	assert_int_equal(wr(f, a, 8 * PAGE, PAGE), 1);
	/* A page the copy mapped reads through the mapping at once. */
	assert_int_equal(disk_map_read(&f->dm, b, 8 * PAGE, PAGE), 1);
	assert_memory_equal(a, b, PAGE);
	/* Two pages go only if both qualify. */
	assert_int_equal(wr(f, a, 8 * PAGE, 2 * PAGE), 0);
	assert_int_equal(wr(f, a, 8 * PAGE, 2 * PAGE), 1);
	/* A read does not count as a write's first touch... */
	assert_int_equal(disk_map_read(&f->dm, b, 20 * PAGE, PAGE), 0);
	assert_int_equal(wr(f, a, 20 * PAGE, PAGE), 0);
	/* ...but a read's own second touch copies. */
	assert_int_equal(disk_map_read(&f->dm, b, 21 * PAGE, PAGE), 0);
	assert_int_equal(disk_map_read(&f->dm, b, 21 * PAGE, PAGE), 1);

	/* A sync forgets the writes, not the reads. */
	disk_map_synced(&f->dm);
	assert_int_equal(wr(f, a, 8 * PAGE, PAGE), 0);
	assert_int_equal(wr(f, a, 8 * PAGE, PAGE), 1);
	assert_int_equal(disk_map_read(&f->dm, b, 21 * PAGE, PAGE), 1);

	/* Dropped pages leave the mapping: every bit goes. */
	disk_map_dropped(&f->dm, 8 * PAGE, 8 * PAGE);
	assert_int_equal(disk_map_read(&f->dm, b, 8 * PAGE, PAGE), 0);
	assert_int_equal(wr(f, a, 9 * PAGE, PAGE), 0);
	assert_int_equal(disk_map_read(&f->dm, b, 21 * PAGE, PAGE), 1);

	/* Past the end: always the call. */
	assert_int_equal(disk_map_read(&f->dm, b, PAGES * PAGE, PAGE), 0);
	assert_int_equal(disk_map_read(&f->dm, b, (PAGES - 1) * PAGE,
				       2 * PAGE), 0);
	assert_int_equal(f->dm.faults, 0);
}

/* Sets the recent figures: ns a page of each way, pages taken in and
 * written again. */
static void set_figures(struct fx *f, uint64_t call, uint64_t fault,
			uint64_t hit, uint64_t taken_in, uint64_t again)
{
	const uint64_t ns[DISK_MAP_WAYS] = { call, fault, hit };

	for (unsigned w = 0; w < DISK_MAP_WAYS; w++) {
		atomic_store(&f->dm.cost[w].ns, ns[w] * 1000);
		atomic_store(&f->dm.cost[w].pages, 1000);
	}
	atomic_store(&f->dm.taken_in, taken_in);
	atomic_store(&f->dm.written_again, again);
}

/* Candidates go against the figures never, or every time. */
static void no_explore(struct fx *f)
{
	f->dm.explore_ns = UINT64_MAX;
}

static void always_explore(struct fx *f)
{
	f->dm.explore_ns = 0;
}

/*
 * Of n pages written once each from `first`, then each written again: how
 * many of the second writes went through the mapping.
 */
static unsigned second_writes_copied(struct fx *f, uint64_t first, unsigned n)
{
	uint8_t a[PAGE];
	unsigned copied = 0;

	memset(a, 0x33, sizeof(a));
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(wr(f, a, (first + i) * PAGE, PAGE), 0);
	for (unsigned i = 0; i < n; i++)
		copied += (unsigned)wr(f, a, (first + i) * PAGE, PAGE);
	return copied;
}

/*
 * The measured policy: a page written twice goes in while the pages
 * written again saved more against their calls than taking pages in cost
 * beyond theirs; pages already in are written through the mapping while
 * such a copy is cheaper than a call; a candidate goes anyway now and
 * then (the tests say when: never, or every time).
 */
static void test_measured(void **state)
{
	struct fx *f = open_map_writes(COPRO_SIM_ANS2_MAP_WRITES_MEASURED);
	uint8_t a[PAGE];

	*state = f;
	memset(a, 0x44, sizeof(a));
	start_window();
	no_explore(f);
	/* Nothing timed yet: pages go in at their second write. */
	assert_true(disk_map_takes_writes(&f->dm));
	assert_true(disk_map_hits_pay(&f->dm));
	assert_int_equal(second_writes_copied(f, 0, 4), 4);

	/* Faults at 6x a call; each page taken in written again once: 1.6
	 * us saved against 10 us lost. */
	set_figures(f, 2000, 12000, 400, 1000, 1000);
	assert_false(disk_map_takes_writes(&f->dm));
	assert_int_equal(second_writes_copied(f, 16, 16), 0);
	assert_int_equal(disk_map_cost_ns(&f->dm, DISK_MAP_CALL), 2000);
	/* Exploring: each candidate goes. */
	always_explore(f);
	assert_int_equal(second_writes_copied(f, 32, 4), 4);
	no_explore(f);
	/* A page already in still goes through the mapping. */
	assert_true(disk_map_hits_pay(&f->dm));
	assert_int_equal(wr(f, a, 0, PAGE), 1);
	/* Two pages of which one is in (35, explored): a candidate, a call. */
	assert_int_equal(wr(f, a, 35 * PAGE, 2 * PAGE), 0);
	assert_int_equal(wr(f, a, 35 * PAGE, 2 * PAGE), 0);

	/* Each page written again 20 times: 32 us saved, it pays (with room
	 * for this loop's own faults, timed into the figures). */
	set_figures(f, 2000, 12000, 400, 1000, 20000);
	assert_true(disk_map_takes_writes(&f->dm));
	assert_int_equal(second_writes_copied(f, 64, 32), 32);

	/* A fault cheaper than a call pays with nothing written again. */
	set_figures(f, 2000, 1500, 400, 1000, 0);
	assert_true(disk_map_takes_writes(&f->dm));
	/* Copies dearer than calls (each faults): nothing pays, and pages
	 * already in take calls too, unless exploring. */
	set_figures(f, 2000, 12000, 2500, 1000, 1000000);
	assert_false(disk_map_takes_writes(&f->dm));
	assert_false(disk_map_hits_pay(&f->dm));
	assert_int_equal(wr(f, a, 64 * PAGE, PAGE), 0);
	assert_int_equal(wr(f, a, 64 * PAGE, PAGE), 0);
	always_explore(f);
	assert_int_equal(wr(f, a, 64 * PAGE, PAGE), 1);
	no_explore(f);
	set_figures(f, 2000, 12000, 1900, 1000, 1000000);
	assert_true(disk_map_hits_pay(&f->dm));

	/* A sync forgets the pages written: a page in is a candidate again. */
	set_figures(f, 2000, 12000, 400, 1000, 1000);
	disk_map_synced(&f->dm);
	assert_int_equal(second_writes_copied(f, 64, 15), 0);
	assert_int_equal(f->dm.faults, 0);
}

/* Candidates explore once every 10 ms, one writer at a time. */
static void test_explore_interval(void **state)
{
	struct fx *f = open_map_writes(COPRO_SIM_ANS2_MAP_WRITES_MEASURED);
	uint8_t a[PAGE];

	*state = f;
	memset(a, 0x77, sizeof(a));
	start_window();
	set_figures(f, 2000, 12000, 400, 1000, 1000);
	/* The last exploration an interval ago: the next candidate goes,
	 * and the one after it does not (unless 10 ms passed between). */
	atomic_store(&f->dm.explored_at,
		     copro_time_coarse_ns() - f->dm.explore_ns);
	assert_int_equal(second_writes_copied(f, 0, 1), 1);
	uint64_t at = atomic_load(&f->dm.explored_at);

	assert_int_equal(wr(f, a, 1 * PAGE, PAGE), 0);
	if (copro_time_coarse_ns() - at < f->dm.explore_ns)
		assert_int_equal(wr(f, a, 1 * PAGE, PAGE), 0);
}

/* Every eighth write is timed; a call's timing lands in its figures, per
 * page, and the figures decay past their span. */
static void test_measured_timing(void **state)
{
	struct fx *f = open_map_writes(COPRO_SIM_ANS2_MAP_WRITES_MEASURED);
	uint8_t a[PAGE];
	unsigned timed = 0;

	*state = f;
	memset(a, 0x55, sizeof(a));
	for (unsigned i = 0; i < 32; i++) {
		uint64_t t0 = 0;

		assert_int_equal(disk_map_write(&f->dm, a, i * PAGE, PAGE, &t0),
				 0);
		timed += t0 != 0;
	}
	assert_int_equal(timed, 4);
	assert_int_equal(disk_map_cost_ns(&f->dm, DISK_MAP_CALL), 0);
	disk_map_cost_add(&f->dm, DISK_MAP_CALL, 3000 * 4, 4);
	assert_int_equal(disk_map_cost_ns(&f->dm, DISK_MAP_CALL), 3000);
	/* 4100 pages is past the span: halved, the same average. */
	disk_map_cost_add(&f->dm, DISK_MAP_CALL, 3000ull * 4096, 4096);
	assert_int_equal(atomic_load(&f->dm.cost[DISK_MAP_CALL].pages), 2050);
	assert_int_equal(disk_map_cost_ns(&f->dm, DISK_MAP_CALL), 3000);
}

/* Writes never copy; reads do, from their second touch. */
static void test_writes_never(void **state)
{
	struct fx *f = open_map_writes(COPRO_SIM_ANS2_MAP_WRITES_NEVER);
	uint8_t a[PAGE], b[PAGE];

	*state = f;
	memset(a, 0x66, sizeof(a));
	start_window();
	assert_false(disk_map_takes_writes(&f->dm));
	for (unsigned i = 0; i < 4; i++)
		wr_call_untimed(&f->dm, a, 0);
	assert_int_equal(disk_map_read(&f->dm, b, 0, PAGE), 0);
	assert_int_equal(disk_map_read(&f->dm, b, 0, PAGE), 1);
}

/* A page the file no longer has: the copy fails, the mapping goes off. */
static void test_fault_turns_off(void **state)
{
	struct fx *f = open_map();
	uint8_t b[PAGE];

	*state = f;
	assert_int_equal(disk_map_read(&f->dm, b, 100 * PAGE, PAGE), 0);
	assert_int_equal(disk_map_read(&f->dm, b, 100 * PAGE, PAGE), 1);
	assert_int_equal(ftruncate(f->fd, 50 * PAGE), 0);
	assert_int_equal(disk_map_read(&f->dm, b, 100 * PAGE, PAGE), -EFAULT);
	assert_int_equal(f->dm.faults, 1);
	assert_false(disk_map_on(&f->dm));
	/* Off: every access is the caller's call, even a page still there. */
	assert_int_equal(disk_map_read(&f->dm, b, 0, PAGE), 0);
	assert_int_equal(disk_map_read(&f->dm, b, 0, PAGE), 0);
	assert_int_equal(f->dm.faults, 1);
}

static void test_unmapped(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t b[PAGE] = { 0 };

	assert_non_null(f);
	f->fd = -1;
	assert_int_equal(disk_map_init(&f->dm, -1, PAGES * PAGE, true,
				       COPRO_SIM_ANS2_MAP_WRITES_MEASURED), 0);
	assert_false(disk_map_on(&f->dm));
	for (int i = 0; i < 3; i++) {
		wr_call_untimed(&f->dm, b, 0);
		assert_int_equal(disk_map_read(&f->dm, b, 0, PAGE), 0);
	}
	/* No mapping, no stripes to take. */
	disk_map_lock(&f->dm, 0, PAGE);
	assert_true(copro_mutex_trylock(&f->dm.stripe[0]));
	copro_mutex_unlock(&f->dm.stripe[0]);
	disk_map_unlock(&f->dm, 0, PAGE);
	disk_map_fini(&f->dm);
	free(f);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_stripes, teardown),
		cmocka_unit_test_teardown(test_second_touch, teardown),
		cmocka_unit_test_teardown(test_measured, teardown),
		cmocka_unit_test_teardown(test_measured_timing, teardown),
		cmocka_unit_test_teardown(test_explore_interval, teardown),
		cmocka_unit_test_teardown(test_writes_never, teardown),
		cmocka_unit_test_teardown(test_fault_turns_off, teardown),
		cmocka_unit_test(test_unmapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
