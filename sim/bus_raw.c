/* SPDX-License-Identifier: MIT */
/*
 * The raw-bus API (<copro/sim/raw.h>): register access as a CPU makes it,
 * and interrupt lines as a driver without a platform sees them: hooks
 * called on level changes, and waits. DMA memory is in bus_dma.c.
 */
#include <errno.h>
#include <stdlib.h>

#include "bus_internal.h"

uint32_t copro_raw_read32(struct copro_bus *bus, uint64_t phys)
{
	uint64_t v;

	copro_bus_read(bus, phys, 4, &v); /* all ones on error, logged */
	return (uint32_t)v;
}

void copro_raw_write32(struct copro_bus *bus, uint64_t phys, uint32_t val)
{
	copro_bus_write(bus, phys, 4, val);
}

uint64_t copro_raw_read64(struct copro_bus *bus, uint64_t phys)
{
	uint64_t v;

	copro_bus_read(bus, phys, 8, &v);
	return v;
}

void copro_raw_write64(struct copro_bus *bus, uint64_t phys, uint64_t val)
{
	copro_bus_write(bus, phys, 8, val);
}

/* ---- interrupt lines ---- */

void bus_raw_irq_changed(struct copro_bus *bus, unsigned line, bool level)
{
	struct bus_irq_lines *q = &bus->irq;

	copro_event_signal(&q->raw_ev);
	copro_rwlock_rdlock(&q->raw_lock);
	for (size_t i = 0; i < q->raw_nhooks; i++)
		if (q->raw_hooks[i].line == line)
			q->raw_hooks[i].fn(q->raw_hooks[i].ctx, line, level);
	copro_rwlock_unlock(&q->raw_lock);
}

/*
 * After counting ourselves in raw_users: a model may store a change and
 * then load the count with no fence between (the ASC model's pops, see
 * fifo_after in asc_model.c), so every thread executes a full barrier
 * here, and a change we do not see in the level we read next is one
 * whose model sees our count and tells us. Without membarrier, models
 * fence (they learn the same from copro_heavy_barrier_init()).
 */
static void raw_order_count(struct copro_bus *bus)
{
	if (bus->fw.heavy)
		copro_heavy_barrier();
}

static int check_line(struct copro_bus *bus, unsigned line, const char *what)
{
	if (line < COPRO_IRQ_LINES)
		return 0;
	copro_dev_err(&bus->ld, "raw: cannot %s interrupt line %u (lines are 0 to %u)",
		      what, line, COPRO_IRQ_LINES - 1);
	return -EINVAL;
}

int copro_raw_irq_hook(struct copro_bus *bus, unsigned line,
		       copro_raw_irq_fn fn, void *ctx)
{
	struct bus_irq_lines *q = &bus->irq;
	int rc = check_line(bus, line, "hook");

	if (rc)
		return rc;
	if (!fn)
		return -EINVAL;
	copro_rwlock_wrlock(&q->raw_lock);
	for (size_t i = 0; i < q->raw_nhooks; i++)
		if (q->raw_hooks[i].line == line)
			rc = -EBUSY;
	if (!rc)
		rc = copro_grow((void **)&q->raw_hooks, &q->raw_cap,
				q->raw_nhooks, sizeof(*q->raw_hooks));
	if (!rc) {
		q->raw_hooks[q->raw_nhooks++] =
			(struct bus_raw_hook){ line, fn, ctx };
		atomic_fetch_add(&q->raw_users, 1);
	}
	copro_rwlock_unlock(&q->raw_lock);
	if (!rc)
		raw_order_count(bus);
	if (rc == -EBUSY)
		copro_dev_err(&bus->ld, "raw: interrupt line %u already has a hook",
			      line);
	return rc;
}

void copro_raw_irq_unhook(struct copro_bus *bus, unsigned line)
{
	struct bus_irq_lines *q = &bus->irq;
	bool found = false;

	/* The write lock waits for hooks running under the read lock. */
	copro_rwlock_wrlock(&q->raw_lock);
	for (size_t i = 0; i < q->raw_nhooks; i++) {
		if (q->raw_hooks[i].line != line)
			continue;
		q->raw_hooks[i] = q->raw_hooks[--q->raw_nhooks];
		atomic_fetch_sub(&q->raw_users, 1);
		found = true;
		break;
	}
	copro_rwlock_unlock(&q->raw_lock);
	if (!found)
		copro_dev_err(&bus->ld, "raw: no hook on interrupt line %u to remove",
			      line);
}

int copro_raw_irq_wait(struct copro_bus *bus, unsigned line, bool level,
		       int64_t timeout_ns)
{
	struct bus_irq_lines *q = &bus->irq;
	uint64_t deadline = copro_deadline(timeout_ns);
	int rc = check_line(bus, line, "wait for");

	if (rc)
		return rc;
	atomic_fetch_add(&q->raw_users, 1);
	raw_order_count(bus);
	for (;;) {
		uint32_t key = copro_event_prepare(&q->raw_ev);

		if (copro_bus_irq_get(bus, line) == level)
			break;
		int64_t left = copro_deadline_left(deadline);

		if (left == 0) {
			rc = -ETIMEDOUT;
			break;
		}
		copro_event_wait(&q->raw_ev, key, left, q->spin_ns);
	}
	atomic_fetch_sub(&q->raw_users, 1);
	return rc;
}
