/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <copro/os.h>

#include "test_irq_gate.h"
#include "testutil.h"

static void gate_handler(void *ctx)
{
	struct test_irq_gate *g = ctx;

	atomic_store(&g->entered, true);
	while (!atomic_load(&g->open))
		copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
	copro_bus_irq_set(g->bus, g->line, false);
}

static bool gate_entered(void *arg)
{
	return atomic_load(&((struct test_irq_gate *)arg)->entered);
}

void test_irq_gate_close(struct test_irq_gate *g, struct copro_platform *p,
			 struct copro_bus *bus, unsigned line)
{
	g->bus = bus;
	g->line = line;
	g->irq = NULL;
	atomic_init(&g->entered, false);
	atomic_init(&g->open, false);
	assert_int_equal(copro_irq_request(p, line, gate_handler, g, "gate",
					   &g->irq),
			 0);
	copro_bus_irq_set(bus, line, true);
	assert_true(test_wait_until(gate_entered, g, TEST_TIMEOUT_NS));
}

void test_irq_gate_open(struct test_irq_gate *g)
{
	atomic_store(&g->open, true);
}

void test_irq_gate_free(struct test_irq_gate *g)
{
	test_irq_gate_open(g);
	copro_irq_free(g->irq);
	g->irq = NULL;
}
