// SPDX-License-Identifier: MIT
/*
 * Reset lines and power domains. Providers are devicetree nodes with
 * #reset-cells / #power-domain-cells; a line is (provider node, argument).
 * Power is reference counted; resets are plain state. Models watch a
 * provider and hear about every change, in order, with no state lock held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform_internal.h"

struct copro_reset {
	struct pr_handle h; /* first: the list frees handles through it */
	struct copro_platform *p;
	int node;
	uint32_t arg;
};

struct copro_power {
	struct pr_handle h; /* first: the list frees handles through it */
	struct copro_platform *p;
	int node;
	uint32_t arg;
	unsigned on; /* this user's share of the domain's count */
};

/*
 * The platform whose notify_lock this thread holds, so a watcher that
 * changes state or (un)watches from its callback does not deadlock.
 */
static _Thread_local struct copro_platform *tl_notifying;

struct notify_scope {
	struct copro_platform *prev;
	bool locked;
};

static void notify_enter(struct copro_platform *p, struct notify_scope *s)
{
	s->prev = tl_notifying;
	s->locked = tl_notifying != p;
	if (s->locked) {
		copro_mutex_lock(&p->pr.notify_lock);
		tl_notifying = p;
	}
	p->pr.notify_depth++;
}

static void notify_leave(struct copro_platform *p, struct notify_scope *s)
{
	struct platform_pr *pr = &p->pr;

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
static void notify(struct copro_platform *p, enum pr_kind kind, int node,
		   uint32_t arg, bool on)
{
	/* Index, not pointer: a callback may grow the array. */
	for (size_t i = 0; i < p->pr.nwatches; i++) {
		struct pr_watch w = p->pr.watches[i];

		if (!w.dead && w.kind == kind && w.node == node)
			w.w.changed(w.w.ctx, node, arg, on);
	}
}

int copro_plat_pr_init(struct copro_platform *p)
{
	int rc = copro_mutex_init(&p->pr.lock);

	p->pr.handles.prev = p->pr.handles.next = &p->pr.handles;
	if (rc)
		return rc;
	rc = copro_mutex_init(&p->pr.notify_lock);
	if (rc)
		copro_mutex_destroy(&p->pr.lock);
	return rc;
}

void copro_plat_pr_fini(struct copro_platform *p)
{
	struct platform_pr *pr = &p->pr;
	unsigned leaked = 0;
	char path[256];

	for (size_t i = 0; i < pr->nwatches; i++)
		if (!pr->watches[i].dead)
			copro_dev_err(&p->ld,
				      "platform destroyed with a %s watcher of %s still registered",
				      pr->watches[i].kind == PR_RESET ? "reset"
								      : "power",
				      copro_dt_node_path(p->dt,
							 pr->watches[i].node,
							 path, sizeof(path)));
	while (pr->handles.next != &pr->handles) {
		struct pr_handle *h = pr->handles.next;

		pr->handles.next = h->next;
		free(h);
		leaked++;
	}
	if (leaked)
		copro_dev_err(&p->ld,
			      "platform destroyed with %u reset/power handles not put",
			      leaked);
	free(pr->watches);
	free(pr->lines);
	copro_mutex_destroy(&pr->notify_lock);
	copro_mutex_destroy(&pr->lock);
}

/* Under pr.lock. */
static struct pr_line *line_find(struct platform_pr *pr, int node,
				 uint32_t arg)
{
	for (size_t i = 0; i < pr->nlines; i++)
		if (pr->lines[i].node == node && pr->lines[i].arg == arg)
			return &pr->lines[i];
	return NULL;
}

/* Resolves entry `index` of `prop` and makes sure its line exists. */
static int pr_get(struct copro_platform *p, int node, unsigned index,
		  const char *prop, const char *cells, struct pr_handle *h,
		  int *prov, uint32_t *arg)
{
	struct platform_pr *pr = &p->pr;
	struct copro_dt_ref ref;
	char path[256];
	int rc;

	rc = copro_dt_ref(p->dt, node, prop, cells, index, &ref);
	if (rc)
		return rc;
	if (ref.nargs > 1) {
		copro_dev_err(&p->ld,
			      "%s: property '%s' entry %u has %u argument cells; copro supports 0 or 1",
			      copro_dt_node_path(p->dt, node, path, sizeof(path)),
			      prop, index, ref.nargs);
		return -EINVAL;
	}
	*prov = ref.node;
	*arg = ref.nargs ? ref.args[0] : 0;

	copro_mutex_lock(&pr->lock);
	if (!line_find(pr, *prov, *arg)) {
		rc = copro_plat_grow((void **)&pr->lines, &pr->caplines,
				     pr->nlines, sizeof(*pr->lines));
		if (!rc)
			pr->lines[pr->nlines++] = (struct pr_line){ .node = *prov,
								    .arg = *arg };
	}
	if (!rc) {
		h->next = &pr->handles;
		h->prev = pr->handles.prev;
		h->prev->next = h;
		pr->handles.prev = h;
	}
	copro_mutex_unlock(&pr->lock);
	return rc;
}

static void pr_put(struct copro_platform *p, struct pr_handle *h)
{
	copro_mutex_lock(&p->pr.lock);
	h->prev->next = h->next;
	h->next->prev = h->prev;
	copro_mutex_unlock(&p->pr.lock);
}

/* ---- resets ---- */

int copro_reset_get_dt(struct copro_platform *p, int node, unsigned index,
		       struct copro_reset **out)
{
	struct copro_reset *r;
	int rc;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->p = p;
	rc = pr_get(p, node, index, "resets", "#reset-cells", &r->h, &r->node,
		    &r->arg);
	if (rc) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void copro_reset_put(struct copro_reset *r)
{
	if (!r)
		return;
	pr_put(r->p, &r->h);
	free(r);
}

static int reset_set(struct copro_reset *r, bool asserted)
{
	struct copro_platform *p = r->p;
	struct notify_scope s;
	struct pr_line *l;
	bool changed;

	notify_enter(p, &s);
	copro_mutex_lock(&p->pr.lock);
	l = line_find(&p->pr, r->node, r->arg);
	changed = l->reset_asserted != asserted;
	l->reset_asserted = asserted;
	copro_mutex_unlock(&p->pr.lock);
	if (changed)
		notify(p, PR_RESET, r->node, r->arg, asserted);
	notify_leave(p, &s);
	return 0;
}

int copro_reset_assert(struct copro_reset *r)
{
	return reset_set(r, true);
}

int copro_reset_deassert(struct copro_reset *r)
{
	return reset_set(r, false);
}

/* ---- power domains ---- */

int copro_power_get_dt(struct copro_platform *p, int node, unsigned index,
		       struct copro_power **out)
{
	struct copro_power *pd;
	int rc;

	*out = NULL;
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return -ENOMEM;
	pd->p = p;
	rc = pr_get(p, node, index, "power-domains", "#power-domain-cells",
		    &pd->h, &pd->node, &pd->arg);
	if (rc) {
		free(pd);
		return rc;
	}
	*out = pd;
	return 0;
}

/* Moves this user's share by `delta` (+1, -1, or -on to drop it all). */
static int power_change(struct copro_power *pd, int delta)
{
	struct copro_platform *p = pd->p;
	struct notify_scope s;
	struct pr_line *l;
	bool was, now;
	char path[256];

	notify_enter(p, &s);
	copro_mutex_lock(&p->pr.lock);
	if (delta < 0 && pd->on < (unsigned)-delta) {
		copro_mutex_unlock(&p->pr.lock);
		notify_leave(p, &s);
		copro_dev_err(&p->ld,
			      "power: domain %s:%u turned off more often than on",
			      copro_dt_node_path(p->dt, pd->node, path,
						 sizeof(path)),
			      pd->arg);
		return -EINVAL;
	}
	l = line_find(&p->pr, pd->node, pd->arg);
	was = l->power_refs > 0;
	l->power_refs += (unsigned)delta;
	pd->on += (unsigned)delta;
	now = l->power_refs > 0;
	copro_mutex_unlock(&p->pr.lock);
	if (was != now)
		notify(p, PR_POWER, pd->node, pd->arg, now);
	notify_leave(p, &s);
	return 0;
}

int copro_power_on(struct copro_power *pd)
{
	return power_change(pd, 1);
}

int copro_power_off(struct copro_power *pd)
{
	return power_change(pd, -1);
}

void copro_power_put(struct copro_power *pd)
{
	char path[256];

	if (!pd)
		return;
	if (pd->on) {
		copro_dev_warn(&pd->p->ld,
			       "power: domain %s:%u put while still on; turning it off",
			       copro_dt_node_path(pd->p->dt, pd->node, path,
						  sizeof(path)),
			       pd->arg);
		power_change(pd, -(int)pd->on);
	}
	pr_put(pd->p, &pd->h);
	free(pd);
}

/* ---- the model's side ---- */

static int watch_add(struct copro_platform *p, enum pr_kind kind, int node,
		     const struct copro_bus_watch *w)
{
	const char *cells = kind == PR_RESET ? "#reset-cells"
					     : "#power-domain-cells";
	struct notify_scope s;
	char path[256];
	int rc;

	if (!w || !w->changed)
		return -EINVAL;
	if (!copro_dt_has(p->dt, node, cells)) {
		copro_dev_err(&p->ld,
			      "%s: cannot watch: not a %s provider (no '%s')",
			      copro_dt_node_path(p->dt, node, path, sizeof(path)),
			      kind == PR_RESET ? "reset" : "power domain", cells);
		return -EINVAL;
	}
	notify_enter(p, &s);
	rc = copro_plat_grow((void **)&p->pr.watches, &p->pr.capwatches,
			     p->pr.nwatches, sizeof(*p->pr.watches));
	if (!rc)
		p->pr.watches[p->pr.nwatches++] =
			(struct pr_watch){ .kind = kind, .node = node, .w = *w };
	notify_leave(p, &s);
	return rc;
}

int copro_bus_watch_reset(struct copro_platform *p, int provider_node,
			  const struct copro_bus_watch *w)
{
	return watch_add(p, PR_RESET, provider_node, w);
}

int copro_bus_watch_power(struct copro_platform *p, int provider_node,
			  const struct copro_bus_watch *w)
{
	return watch_add(p, PR_POWER, provider_node, w);
}

void copro_bus_unwatch(struct copro_platform *p, int provider_node,
		       const struct copro_bus_watch *w)
{
	struct notify_scope s;
	bool found = false;
	char path[256];

	notify_enter(p, &s);
	for (size_t i = 0; i < p->pr.nwatches; i++) {
		struct pr_watch *pw = &p->pr.watches[i];

		if (!pw->dead && pw->node == provider_node &&
		    pw->w.changed == w->changed && pw->w.ctx == w->ctx) {
			pw->dead = true;
			found = true;
		}
	}
	notify_leave(p, &s);
	if (!found)
		copro_dev_warn(&p->ld, "%s: unwatch of a watcher never added",
			       copro_dt_node_path(p->dt, provider_node, path,
						  sizeof(path)));
}

bool copro_bus_reset_asserted(struct copro_platform *p, int provider_node,
			      uint32_t arg)
{
	struct pr_line *l;
	bool v;

	copro_mutex_lock(&p->pr.lock);
	l = line_find(&p->pr, provider_node, arg);
	v = l && l->reset_asserted;
	copro_mutex_unlock(&p->pr.lock);
	return v;
}

bool copro_bus_power_is_on(struct copro_platform *p, int provider_node,
			   uint32_t arg)
{
	struct pr_line *l;
	bool v;

	copro_mutex_lock(&p->pr.lock);
	l = line_find(&p->pr, provider_node, arg);
	v = l && l->power_refs > 0;
	copro_mutex_unlock(&p->pr.lock);
	return v;
}
