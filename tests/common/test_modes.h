/* SPDX-License-Identifier: MIT */
/*
 * Running a test in the host's two modes, the one scaffold every test
 * uses for it: threaded (the platform's interrupt thread and the
 * mailbox workers deliver) and polled (no host threads; the test's own
 * thread polls). The mode travels in cmocka's initial state:
 *
 *   static void test_x(void **state)
 *   {
 *           bool threaded = test_threaded(state);   (no fixture)
 *           ...
 *   }
 *   static int setup(void **state)
 *   {
 *           bool threaded = test_threaded(state);   (before *state changes)
 *           ...
 *           *state = fixture;
 *   }
 *
 *   TEST_BOTH(test_x, NULL, NULL)       "test_x (threaded)", "test_x (polled)"
 *   TEST_THREADED(test_y, setup, teardown)   one mode only
 *   TEST_POLLED(test_z, setup, teardown)
 */
#ifndef COPRO_TEST_MODES_H
#define COPRO_TEST_MODES_H

#include <stdbool.h>

struct test_mode {
	bool threaded;
};

extern const struct test_mode test_mode_threaded, test_mode_polled;

/*
 * The mode of the running case, read from its initial state; fails the
 * test when *state is not a mode (a setup already replaced it).
 */
bool test_threaded(void **state);
/* An initial state for a fixture set up by hand. */
void *test_mode_state(bool threaded);

#define TEST_THREADED(fn, setup, teardown)                                   \
	{ #fn " (threaded)", fn, setup, teardown,                            \
	  (void *)&test_mode_threaded }
#define TEST_POLLED(fn, setup, teardown)                                     \
	{ #fn " (polled)", fn, setup, teardown, (void *)&test_mode_polled }
#define TEST_BOTH(fn, setup, teardown)                                       \
	TEST_THREADED(fn, setup, teardown), TEST_POLLED(fn, setup, teardown)

#endif
