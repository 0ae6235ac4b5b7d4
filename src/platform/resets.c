// SPDX-License-Identifier: MIT
/*
 * Reset lines and power domains, the driver's side. A handle names entry
 * `index` of a node's "resets" / "power-domains": a provider node and its
 * argument cell. Power is reference counted across users: the backend
 * hears only when a domain turns on or off; resets are plain state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform_internal.h"

struct copro_reset {
	struct plat_handle h; /* first: the list frees handles through it */
	struct copro_platform *p;
	int node;
	uint32_t arg;
};

struct copro_power {
	struct plat_handle h; /* first: the list frees handles through it */
	struct copro_platform *p;
	int node;
	uint32_t arg;
	unsigned on; /* this user's share of the domain's count */
};

/* Under pr_lock. */
static struct pr_line *line_find(struct copro_platform *p, int node,
				 uint32_t arg)
{
	for (size_t i = 0; i < p->nlines; i++)
		if (p->lines[i].node == node && p->lines[i].arg == arg)
			return &p->lines[i];
	return NULL;
}

/* Resolves entry `index` of `prop` and makes sure its line exists. */
static int pr_get(struct copro_platform *p, int node, unsigned index,
		  const char *prop, const char *cells, struct plat_handle *h,
		  enum plat_handle_kind kind, int *prov, uint32_t *arg)
{
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

	copro_mutex_lock(&p->pr_lock);
	if (!line_find(p, *prov, *arg)) {
		rc = copro_grow((void **)&p->lines, &p->caplines,
				p->nlines, sizeof(*p->lines));
		if (!rc)
			p->lines[p->nlines++] = (struct pr_line){ .node = *prov,
								  .arg = *arg };
	}
	if (!rc)
		copro_plat_handle_add(p, h, kind);
	copro_mutex_unlock(&p->pr_lock);
	return rc;
}

static void pr_put(struct copro_platform *p, struct plat_handle *h)
{
	copro_mutex_lock(&p->pr_lock);
	copro_plat_handle_del(p, h);
	copro_mutex_unlock(&p->pr_lock);
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
	rc = pr_get(p, node, index, "resets", "#reset-cells", &r->h, PH_RESET,
		    &r->node, &r->arg);
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

int copro_reset_assert(struct copro_reset *r)
{
	return r->p->ops->reset_set(r->p->be, r->node, r->arg, true);
}

int copro_reset_deassert(struct copro_reset *r)
{
	return r->p->ops->reset_set(r->p->be, r->node, r->arg, false);
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
		    &pd->h, PH_POWER, &pd->node, &pd->arg);
	if (rc) {
		free(pd);
		return rc;
	}
	*out = pd;
	return 0;
}

/*
 * The platform whose pr_lock this thread holds while the backend hears of
 * a power change, so a device model's watcher that changes power state
 * itself does not deadlock.
 */
static _Thread_local struct copro_platform *tl_changing;

/*
 * Moves this user's share by `delta` (+1, -1, or -on to drop it all). The
 * lock is held across the backend's call, so transitions reach it in the
 * order of the counts they come from.
 */
static int power_change(struct copro_power *pd, int delta)
{
	struct copro_platform *p = pd->p;
	struct copro_platform *outer = tl_changing;
	bool locked = outer != p;
	struct pr_line *l;
	bool was, now;
	char path[256];
	int rc = 0;

	if (locked) {
		copro_mutex_lock(&p->pr_lock);
		tl_changing = p;
	}
	if (delta < 0 && pd->on < (unsigned)-delta) {
		rc = -EINVAL;
		copro_dev_err(&p->ld,
			      "power: domain %s:%u turned off more often than on",
			      copro_dt_node_path(p->dt, pd->node, path,
						 sizeof(path)),
			      pd->arg);
		goto out;
	}
	l = line_find(p, pd->node, pd->arg);
	was = l->power_refs > 0;
	l->power_refs += (unsigned)delta;
	pd->on += (unsigned)delta;
	now = l->power_refs > 0;
	if (was != now) {
		rc = p->ops->power_set(p->be, pd->node, pd->arg, now);
		if (rc) {
			/* A re-entrant change may have moved the line. */
			l = line_find(p, pd->node, pd->arg);
			l->power_refs -= (unsigned)delta;
			pd->on -= (unsigned)delta;
		}
	}
out:
	if (locked) {
		tl_changing = outer;
		copro_mutex_unlock(&p->pr_lock);
	}
	return rc;
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
