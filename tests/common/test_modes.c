/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_modes.h"

const struct test_mode test_mode_threaded = { .threaded = true };
const struct test_mode test_mode_polled = { .threaded = false };

bool test_threaded(void **state)
{
	const struct test_mode *m = *state;

	if (m != &test_mode_threaded && m != &test_mode_polled)
		fail_msg("test_threaded: the case's state is not a test mode "
			 "(register it with TEST_BOTH/TEST_THREADED/TEST_POLLED, "
			 "and read the mode before a setup replaces *state)");
	return m->threaded;
}

void *test_mode_state(bool threaded)
{
	return (void *)(threaded ? &test_mode_threaded : &test_mode_polled);
}
