/* SPDX-License-Identifier: MIT */
/*
 * The disk mapping's parts on their own (sim/disk_map.c): which stripes
 * a range takes, wrapping or not; the second-touch policy, what a sync
 * and a deallocation forget; a copy past the file's end failing instead
 * of killing the process.
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
static struct fx *open_map(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/copro-disk-map-XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	assert_int_equal(ftruncate(f->fd, PAGES * PAGE), 0);
	assert_int_equal(disk_map_init(&f->dm, f->fd, PAGES * PAGE, true), 0);
	assert_true(disk_map_on(&f->dm));
	return f;
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
	/*
	 * The write bits also lapse with the coarse clock's 2^32 ns window:
	 * start with a second or more left in it.
	 */
	uint64_t window = 1ull << 32, now = copro_time_coarse_ns();

	if (window - (now & (window - 1)) < 1000000000ull)
		copro_sleep_ns(window - (now & (window - 1)) + 10000000ull);

	/* Writes: a call first, then copies. */
	assert_int_equal(disk_map_write(&f->dm, a, 8 * PAGE, PAGE), 0);
	assert_int_equal(disk_map_write(&f->dm, a, 8 * PAGE, PAGE), 1);
	assert_int_equal(disk_map_write(&f->dm, a, 8 * PAGE, PAGE), 1);
	/* A page the copy mapped reads through the mapping at once. */
	assert_int_equal(disk_map_read(&f->dm, b, 8 * PAGE, PAGE), 1);
	assert_memory_equal(a, b, PAGE);
	/* Two pages go only if both qualify. */
	assert_int_equal(disk_map_write(&f->dm, a, 8 * PAGE, 2 * PAGE), 0);
	assert_int_equal(disk_map_write(&f->dm, a, 8 * PAGE, 2 * PAGE), 1);
	/* A read does not count as a write's first touch... */
	assert_int_equal(disk_map_read(&f->dm, b, 20 * PAGE, PAGE), 0);
	assert_int_equal(disk_map_write(&f->dm, a, 20 * PAGE, PAGE), 0);
	/* ...but a read's own second touch copies. */
	assert_int_equal(disk_map_read(&f->dm, b, 21 * PAGE, PAGE), 0);
	assert_int_equal(disk_map_read(&f->dm, b, 21 * PAGE, PAGE), 1);

	/* A sync forgets the writes, not the reads. */
	disk_map_synced(&f->dm);
	assert_int_equal(disk_map_write(&f->dm, a, 8 * PAGE, PAGE), 0);
	assert_int_equal(disk_map_write(&f->dm, a, 8 * PAGE, PAGE), 1);
	assert_int_equal(disk_map_read(&f->dm, b, 21 * PAGE, PAGE), 1);

	/* Dropped pages leave the mapping: every bit goes. */
	disk_map_dropped(&f->dm, 8 * PAGE, 8 * PAGE);
	assert_int_equal(disk_map_read(&f->dm, b, 8 * PAGE, PAGE), 0);
	assert_int_equal(disk_map_write(&f->dm, a, 9 * PAGE, PAGE), 0);
	assert_int_equal(disk_map_read(&f->dm, b, 21 * PAGE, PAGE), 1);

	/* Past the end: always the call. */
	assert_int_equal(disk_map_read(&f->dm, b, PAGES * PAGE, PAGE), 0);
	assert_int_equal(disk_map_read(&f->dm, b, (PAGES - 1) * PAGE,
				       2 * PAGE), 0);
	assert_int_equal(f->dm.faults, 0);
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
	assert_int_equal(disk_map_init(&f->dm, -1, PAGES * PAGE, true), 0);
	assert_false(disk_map_on(&f->dm));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(disk_map_write(&f->dm, b, 0, PAGE), 0);
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
		cmocka_unit_test_teardown(test_fault_turns_off, teardown),
		cmocka_unit_test(test_unmapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
