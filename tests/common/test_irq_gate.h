/* SPDX-License-Identifier: MIT */
/*
 * A gate that holds a threaded platform's interrupt thread, so that a
 * test can show who else runs the handlers meanwhile (a busy-polling
 * waiter, a sender waiting for room): a bus line no model drives, raised
 * so that the interrupt thread runs its handler, which waits until the
 * test opens the gate.
 *
 *   struct test_irq_gate g;
 *   test_irq_gate_close(&g, p, bus, LINE);   (the thread is held now)
 *   ...
 *   test_irq_gate_open(&g);                  (before any assertion)
 *   ...
 *   test_irq_gate_free(&g);
 */
#ifndef COPRO_TEST_IRQ_GATE_H
#define COPRO_TEST_IRQ_GATE_H

#include <stdatomic.h>
#include <stdbool.h>

#include <copro/driver/platform.h>
#include <copro/sim/bus.h>

struct test_irq_gate {
	struct copro_bus *bus;
	unsigned line;
	struct copro_irq *irq;
	_Atomic bool entered, open;
};

/*
 * Requests `line` (one no model drives), raises it and waits until the
 * interrupt thread is in its handler; fails the test if it never is.
 */
void test_irq_gate_close(struct test_irq_gate *g, struct copro_platform *p,
			 struct copro_bus *bus, unsigned line);
/* Lets the interrupt thread go; any thread, more than once. */
void test_irq_gate_open(struct test_irq_gate *g);
/* Opens the gate and frees the line. */
void test_irq_gate_free(struct test_irq_gate *g);

#endif
