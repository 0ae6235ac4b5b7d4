/* SPDX-License-Identifier: MIT */
/*
 * The threaded-and-polled scaffold (tests/common/test_modes.h): each
 * registration runs its case in the mode it names, with and without a
 * fixture, and a fixture set up by hand gets the mode asked for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "test_modes.h"

struct fx {
	bool threaded;
};

static int setup(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	if (!f)
		return -1;
	f->threaded = test_threaded(state);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_threaded_case(void **state)
{
	assert_true(test_threaded(state));
}

static void test_polled_case(void **state)
{
	assert_false(test_threaded(state));
}

static void test_fixture_threaded(void **state)
{
	assert_true(((struct fx *)*state)->threaded);
}

static void test_fixture_polled(void **state)
{
	assert_false(((struct fx *)*state)->threaded);
}

/* TEST_BOTH is the two registrations, in order, with the names they say. */
static void test_both_expands(void **state)
{
	const struct CMUnitTest both[] = { TEST_BOTH(test_threaded_case, setup,
						     teardown) };

	(void)state;
	assert_int_equal(sizeof(both) / sizeof(both[0]), 2);
	assert_string_equal(both[0].name, "test_threaded_case (threaded)");
	assert_string_equal(both[1].name, "test_threaded_case (polled)");
	assert_ptr_equal(both[0].initial_state, test_mode_state(true));
	assert_ptr_equal(both[1].initial_state, test_mode_state(false));
	assert_ptr_equal(both[0].setup_func, setup);
	assert_ptr_equal(both[1].teardown_func, teardown);
}

static void test_by_hand(void **state)
{
	void *mode = test_mode_state(false);

	(void)state;
	assert_int_equal(setup(&mode), 0);
	assert_false(((struct fx *)mode)->threaded);
	teardown(&mode);
	mode = test_mode_state(true);
	assert_true(test_threaded(&mode));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_THREADED(test_threaded_case, NULL, NULL),
		TEST_POLLED(test_polled_case, NULL, NULL),
		TEST_THREADED(test_fixture_threaded, setup, teardown),
		TEST_POLLED(test_fixture_polled, setup, teardown),
		cmocka_unit_test(test_both_expands),
		cmocka_unit_test(test_by_hand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
