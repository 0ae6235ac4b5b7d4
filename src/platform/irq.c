// SPDX-License-Identifier: MIT
/*
 * Level-triggered interrupt lines. A model sets a line's level with one
 * atomic store; a rising edge on a line someone listens to wakes the
 * dispatcher. The dispatcher (the interrupt thread, or whoever calls
 * copro_platform_poll) runs the handler of every line that is asserted,
 * enabled and requested, and keeps doing so while any stays asserted.
 *
 * A handler never runs concurrently with itself: a dispatcher claims the
 * line's `running` flag first, and others skip it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "platform/platform_internal.h"

/*
 * The line whose handler this thread is running, so that disabling or
 * freeing the line from inside its handler does not wait for itself.
 */
static _Thread_local struct copro_irq *tl_running;

int copro_plat_irq_init(struct copro_platform *p, uint64_t spin_ns)
{
	struct platform_irq *q = &p->irq;

	for (unsigned i = 0; i < COPRO_IRQ_LINES; i++) {
		atomic_init(&q->level[i], false);
		atomic_init(&q->by_line[i], NULL);
		atomic_init(&q->active[i], NULL);
	}
	atomic_init(&q->nactive, 0);
	atomic_init(&q->stop, false);
	copro_event_init(&q->ev);
	q->spin_ns = spin_ns;
	return copro_mutex_init(&q->lock);
}

void copro_plat_irq_fini(struct copro_platform *p)
{
	struct platform_irq *q = &p->irq;
	unsigned n = atomic_load(&q->nactive);

	for (unsigned i = 0; i < n; i++) {
		struct copro_irq *irq = atomic_load(&q->active[i]);

		if (atomic_load(&irq->requested))
			copro_dev_err(&p->ld,
				      "platform destroyed with interrupt line %u ('%s') still requested",
				      irq->line, irq->name);
		free(irq);
	}
	copro_mutex_destroy(&q->lock);
}

/* ---- dispatch ---- */

static bool irq_pending(const struct copro_irq *irq)
{
	return atomic_load(&irq->p->irq.level[irq->line]) &&
	       atomic_load(&irq->enabled) && atomic_load(&irq->requested);
}

unsigned copro_plat_irq_dispatch(struct copro_platform *p, bool *busy)
{
	struct platform_irq *q = &p->irq;
	unsigned n = atomic_load_explicit(&q->nactive, memory_order_acquire);
	unsigned calls = 0;

	*busy = false;
	for (unsigned i = 0; i < n; i++) {
		struct copro_irq *irq = atomic_load_explicit(
			&q->active[i], memory_order_relaxed);
		struct copro_irq *outer;

		if (!irq_pending(irq))
			continue;
		if (atomic_exchange(&irq->running, true)) {
			*busy = true; /* another dispatcher has it right now */
			continue;
		}
		/* Re-check under the claim: copro_irq_free may have won. */
		if (irq_pending(irq)) {
			outer = tl_running;
			tl_running = irq;
			irq->handler(irq->ctx);
			tl_running = outer;
			calls++;
		}
		atomic_store(&irq->running, false);
	}
	return calls;
}

static void *irq_thread(void *arg)
{
	struct copro_platform *p = arg;
	struct platform_irq *q = &p->irq;

	while (!atomic_load(&q->stop)) {
		uint32_t key = copro_event_prepare(&q->ev);
		bool busy;

		/*
		 * Level semantics: go round again while something ran, or
		 * while a poller runs a handler whose line may stay asserted.
		 */
		if (copro_plat_irq_dispatch(p, &busy))
			continue;
		if (busy) {
			copro_cpu_relax();
			continue;
		}
		if (atomic_load(&q->stop))
			break;
		copro_event_wait(&q->ev, key, COPRO_FOREVER, q->spin_ns);
	}
	return NULL;
}

int copro_plat_irq_start(struct copro_platform *p)
{
	char name[16];

	snprintf(name, sizeof(name), "irq-%s", copro_dt_name(p->dt));
	return copro_thread_start(&p->irq.thread, name, irq_thread, p);
}

void copro_plat_irq_stop(struct copro_platform *p)
{
	atomic_store(&p->irq.stop, true);
	copro_event_signal(&p->irq.ev);
	copro_thread_join(&p->irq.thread);
}

/* The dispatcher needs a look only on a rising edge of a live line. */
static void irq_kick(struct copro_platform *p)
{
	if (p->threaded)
		copro_event_signal(&p->irq.ev);
}

/* ---- the model's side ---- */

void copro_bus_irq_set(struct copro_platform *p, unsigned line, bool level)
{
	struct copro_irq *irq;

	if (line >= COPRO_IRQ_LINES) {
		copro_dev_err(&p->ld, "irq: a model drove line %u (lines are 0 to %u)",
			      line, COPRO_IRQ_LINES - 1);
		return;
	}
	/*
	 * Models recompute their lines after every register access; an
	 * unchanged level costs one plain load, not a locked exchange.
	 */
	if (atomic_load_explicit(&p->irq.level[line], memory_order_relaxed) ==
	    level)
		return;
	if (atomic_exchange(&p->irq.level[line], level) || !level)
		return;
	irq = atomic_load(&p->irq.by_line[line]);
	if (irq && atomic_load(&irq->enabled) && atomic_load(&irq->requested))
		irq_kick(p);
}

bool copro_bus_irq_get(struct copro_platform *p, unsigned line)
{
	return line < COPRO_IRQ_LINES && atomic_load(&p->irq.level[line]);
}

/* ---- the driver's side ---- */

int copro_irq_request(struct copro_platform *p, unsigned line,
		      copro_irq_handler_t handler, void *ctx, const char *name,
		      struct copro_irq **out)
{
	struct platform_irq *q = &p->irq;
	struct copro_irq *irq;
	int rc = 0;

	*out = NULL;
	if (!name)
		name = "?";
	if (line >= COPRO_IRQ_LINES || !handler) {
		copro_dev_err(&p->ld, "irq: cannot request line %u for '%s': %s",
			      line, name,
			      handler ? "no such line" : "no handler");
		return -EINVAL;
	}
	copro_mutex_lock(&q->lock);
	irq = atomic_load(&q->by_line[line]);
	if (irq && atomic_load(&irq->requested)) {
		copro_dev_err(&p->ld,
			      "irq: line %u requested for '%s' is already held by '%s'",
			      line, name, irq->name);
		rc = -EBUSY;
	} else if (!irq) {
		unsigned n = atomic_load(&q->nactive);

		irq = calloc(1, sizeof(*irq));
		if (!irq) {
			rc = -ENOMEM;
		} else {
			irq->p = p;
			irq->line = line;
			/* Publish the slot before the count the scanners read. */
			atomic_store(&q->active[n], irq);
			atomic_store_explicit(&q->nactive, n + 1,
					      memory_order_release);
			atomic_store(&q->by_line[line], irq);
		}
	}
	if (!rc) {
		irq->handler = handler;
		irq->ctx = ctx;
		snprintf(irq->name, sizeof(irq->name), "%s", name);
		atomic_store(&irq->enabled, true);
		atomic_store(&irq->requested, true);
		*out = irq;
	}
	copro_mutex_unlock(&q->lock);
	if (!rc && atomic_load(&q->level[line]))
		irq_kick(p);
	return rc;
}

int copro_irq_request_dt(struct copro_platform *p, int node, const char *name,
			 unsigned index, copro_irq_handler_t handler,
			 void *ctx, struct copro_irq **out)
{
	char label[48];
	unsigned line;
	int rc;

	*out = NULL;
	rc = name ? copro_dt_irq_by_name(p->dt, node, name, &line)
		  : copro_dt_irq(p->dt, node, index, &line);
	if (rc)
		return rc;
	if (name)
		snprintf(label, sizeof(label), "%s:%s",
			 copro_dt_node_name(p->dt, node), name);
	else
		snprintf(label, sizeof(label), "%s:%u",
			 copro_dt_node_name(p->dt, node), index);
	return copro_irq_request(p, line, handler, ctx, label, out);
}

/*
 * Masks the line and, from outside its own handler, waits out a handler
 * already running, as Linux's disable_irq() does: when this returns the
 * handler is not running and will not start until the line is enabled
 * again. Taking the dispatchers' own claim is what makes that hold even
 * against a handler that re-enables its line on the way out.
 */
static void disable_sync(struct copro_irq *irq)
{
	atomic_store(&irq->enabled, false);
	if (tl_running == irq)
		return;
	/* Handlers do not block, so a short spin usually sees one end. */
	for (unsigned spins = 0; atomic_exchange(&irq->running, true);
	     spins++) {
		if (spins < 1000)
			copro_cpu_relax();
		else
			copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
	}
	atomic_store(&irq->enabled, false);
	atomic_store(&irq->running, false);
}

void copro_irq_free(struct copro_irq *irq)
{
	struct platform_irq *q;

	if (!irq)
		return;
	q = &irq->p->irq;
	copro_mutex_lock(&q->lock);
	atomic_store(&irq->requested, false);
	copro_mutex_unlock(&q->lock);
	/* From inside its own handler there is nothing to wait for. */
	disable_sync(irq);
}

void copro_irq_enable(struct copro_irq *irq)
{
	atomic_store(&irq->enabled, true);
	/* Level semantics: enabling a line that is still asserted fires it. */
	if (atomic_load(&irq->p->irq.level[irq->line]) &&
	    atomic_load(&irq->requested))
		irq_kick(irq->p);
}

void copro_irq_disable(struct copro_irq *irq)
{
	disable_sync(irq);
}

unsigned copro_irq_line(const struct copro_irq *irq)
{
	return irq->line;
}
