// SPDX-License-Identifier: MIT
/*
 * Reset lines and power domains as the hardware sees them. Providers are
 * devicetree nodes with #reset-cells / #power-domain-cells; a line is
 * (provider node, argument), and its state is what the platform last set
 * (the platform reference-counts power users). Models watch a provider
 * and hear about every change, in order, with no state lock held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus_internal.h"

/*
 * The bus whose notify_lock this thread holds, so a watcher that
 * changes state or (un)watches from its callback does not deadlock.
 */
static _Thread_local struct copro_bus *tl_notifying;

struct notify_scope {
	struct copro_bus *prev;
	bool locked;
};

static void notify_enter(struct copro_bus *bus, struct notify_scope *s)
{
	s->prev = tl_notifying;
	s->locked = tl_notifying != bus;
	if (s->locked) {
		copro_mutex_lock(&bus->pr.notify_lock);
		tl_notifying = bus;
	}
	bus->pr.notify_depth++;
}

static void notify_leave(struct copro_bus *bus, struct notify_scope *s)
{
	struct bus_pr *pr = &bus->pr;

	/* Drop watchers unwatched meanwhile, once no loop walks the array. */
	if (--pr->notify_depth == 0) {
		size_t n = 0;

		for (size_t i = 0; i < pr->nwatches; i++)
			if (!pr->watches[i].dead)
				pr->watches[n++] = pr->watches[i];
		pr->nwatches = n;
	}
	if (s->locked) {
		tl_notifying = s->prev;
		copro_mutex_unlock(&pr->notify_lock);
	}
}

/* Under notify_lock, not under pr.lock. */
static void notify(struct copro_bus *bus, enum pr_kind kind, int node,
		   uint32_t arg, bool on)
{
	/* Index, not pointer: a callback may grow the array. */
	for (size_t i = 0; i < bus->pr.nwatches; i++) {
		struct pr_watch w = bus->pr.watches[i];

		if (!w.dead && w.kind == kind && w.node == node)
			w.w.changed(w.w.ctx, node, arg, on);
	}
}

int copro_bus_pr_init(struct copro_bus *bus)
{
	int rc = copro_mutex_init(&bus->pr.lock);

	if (rc)
		return rc;
	rc = copro_mutex_init(&bus->pr.notify_lock);
	if (rc)
		copro_mutex_destroy(&bus->pr.lock);
	return rc;
}

void copro_bus_pr_fini(struct copro_bus *bus)
{
	struct bus_pr *pr = &bus->pr;
	char path[256];

	for (size_t i = 0; i < pr->nwatches; i++)
		if (!pr->watches[i].dead)
			copro_dev_err(&bus->ld,
				      "bus destroyed with a %s watcher of %s still registered",
				      pr->watches[i].kind == PR_RESET ? "reset"
								      : "power",
				      copro_dt_node_path(bus->dt,
							 pr->watches[i].node,
							 path, sizeof(path)));
	free(pr->watches);
	free(pr->lines);
	copro_mutex_destroy(&pr->notify_lock);
	copro_mutex_destroy(&pr->lock);
}

/* Under pr.lock. */
static struct pr_line *line_find(struct bus_pr *pr, int node,
				 uint32_t arg)
{
	for (size_t i = 0; i < pr->nlines; i++)
		if (pr->lines[i].node == node && pr->lines[i].arg == arg)
			return &pr->lines[i];
	return NULL;
}

/* The line's state, created on first use. Under pr.lock. */
static struct pr_line *line_get(struct bus_pr *pr, int node, uint32_t arg)
{
	struct pr_line *l = line_find(pr, node, arg);

	if (l || copro_grow((void **)&pr->lines, &pr->caplines,
			    pr->nlines, sizeof(*pr->lines)))
		return l;
	l = &pr->lines[pr->nlines++];
	*l = (struct pr_line){ .node = node, .arg = arg };
	return l;
}

static int line_set(struct copro_bus *bus, enum pr_kind kind, int node,
		    uint32_t arg, bool on)
{
	struct notify_scope s;
	struct pr_line *l;
	bool changed = false;
	int rc = 0;

	notify_enter(bus, &s);
	copro_mutex_lock(&bus->pr.lock);
	l = line_get(&bus->pr, node, arg);
	if (!l) {
		rc = -ENOMEM;
	} else if (kind == PR_RESET) {
		changed = l->reset_asserted != on;
		l->reset_asserted = on;
	} else {
		changed = l->power_on != on;
		l->power_on = on;
	}
	copro_mutex_unlock(&bus->pr.lock);
	if (changed)
		notify(bus, kind, node, arg, on);
	notify_leave(bus, &s);
	return rc;
}

int bus_be_reset_set(void *be, int provider, uint32_t arg, bool asserted)
{
	return line_set(be, PR_RESET, provider, arg, asserted);
}

int bus_be_power_set(void *be, int provider, uint32_t arg, bool on)
{
	return line_set(be, PR_POWER, provider, arg, on);
}

/* ---- the model's side ---- */

static int watch_add(struct copro_bus *bus, enum pr_kind kind, int node,
		     const struct copro_bus_watch *w)
{
	const char *cells = kind == PR_RESET ? "#reset-cells"
					     : "#power-domain-cells";
	struct notify_scope s;
	char path[256];
	int rc;

	if (!w || !w->changed)
		return -EINVAL;
	if (!copro_dt_has(bus->dt, node, cells)) {
		copro_dev_err(&bus->ld,
			      "%s: cannot watch: not a %s provider (no '%s')",
			      copro_dt_node_path(bus->dt, node, path, sizeof(path)),
			      kind == PR_RESET ? "reset" : "power domain", cells);
		return -EINVAL;
	}
	notify_enter(bus, &s);
	rc = copro_grow((void **)&bus->pr.watches, &bus->pr.capwatches,
			bus->pr.nwatches, sizeof(*bus->pr.watches));
	if (!rc)
		bus->pr.watches[bus->pr.nwatches++] =
			(struct pr_watch){ .kind = kind, .node = node, .w = *w };
	notify_leave(bus, &s);
	return rc;
}

int copro_bus_watch_reset(struct copro_bus *bus, int provider_node,
			  const struct copro_bus_watch *w)
{
	return watch_add(bus, PR_RESET, provider_node, w);
}

int copro_bus_watch_power(struct copro_bus *bus, int provider_node,
			  const struct copro_bus_watch *w)
{
	return watch_add(bus, PR_POWER, provider_node, w);
}

void copro_bus_unwatch(struct copro_bus *bus, int provider_node,
		       const struct copro_bus_watch *w)
{
	struct notify_scope s;
	bool found = false;
	char path[256];

	notify_enter(bus, &s);
	for (size_t i = 0; i < bus->pr.nwatches; i++) {
		struct pr_watch *pw = &bus->pr.watches[i];

		if (!pw->dead && pw->node == provider_node &&
		    pw->w.changed == w->changed && pw->w.ctx == w->ctx) {
			pw->dead = true;
			found = true;
		}
	}
	notify_leave(bus, &s);
	if (!found)
		copro_dev_warn(&bus->ld, "%s: unwatch of a watcher never added",
			       copro_dt_node_path(bus->dt, provider_node, path,
						  sizeof(path)));
}

bool copro_bus_reset_asserted(struct copro_bus *bus, int provider_node,
			      uint32_t arg)
{
	struct pr_line *l;
	bool v;

	copro_mutex_lock(&bus->pr.lock);
	l = line_find(&bus->pr, provider_node, arg);
	v = l && l->reset_asserted;
	copro_mutex_unlock(&bus->pr.lock);
	return v;
}

bool copro_bus_power_is_on(struct copro_bus *bus, int provider_node,
			   uint32_t arg)
{
	struct pr_line *l;
	bool v;

	copro_mutex_lock(&bus->pr.lock);
	l = line_find(&bus->pr, provider_node, arg);
	v = l && l->power_on;
	copro_mutex_unlock(&bus->pr.lock);
	return v;
}
