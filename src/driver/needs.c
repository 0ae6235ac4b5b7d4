/* SPDX-License-Identifier: MIT */
/*
 * Which providers a device waits for, who consumes a device, and, when
 * the probe-all pass gives up, why each waiting device's provider will
 * never come: no driver for its node, the node disabled, its driver
 * bound without registering it, or a cycle of devices waiting for each
 * other.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "driver/driver_internal.h"

static struct copro_device *dev_of(struct copro_devices *set, int node)
{
	for (size_t i = 0; i < set->ndevs; i++)
		if (set->devs[i].node == node)
			return &set->devs[i];
	return NULL;
}

/* The first entry of one need whose provider is not registered: 1. */
static int need_missing(struct copro_device *dev,
			const struct copro_driver_need *nd)
{
	const struct copro_dt *dt = dev->set->dt;
	int n = copro_dt_ref_count(dt, dev->node, nd->prop, nd->cells_prop);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct copro_dt_ref ref;
		int rc = copro_dt_ref(dt, dev->node, nd->prop, nd->cells_prop,
				      (unsigned)i, &ref);

		if (rc < 0)
			return rc;
		if (copro_platform_provider_find(dev->set->p, nd->kind,
						 ref.node))
			continue;
		dev->wait = (struct dev_wait){ nd, (unsigned)i, ref.node };
		return 1;
	}
	return 0;
}

int devices_needs_met(struct copro_device *dev)
{
	const struct copro_driver_need *nd = dev->drv->needs;

	dev->wait = (struct dev_wait){ NULL, 0, -1 };
	for (; nd && nd->prop; nd++) {
		int rc = need_missing(dev, nd);

		if (rc)
			return rc;
	}
	return 0;
}

/* Does some entry of `nd` in `c`'s node name `node`? */
static bool names_node(const struct copro_device *c,
		       const struct copro_driver_need *nd, int node)
{
	const struct copro_dt *dt = c->set->dt;
	int n = copro_dt_ref_count(dt, c->node, nd->prop, nd->cells_prop);

	for (int i = 0; i < n; i++) {
		struct copro_dt_ref ref;

		if (copro_dt_ref(dt, c->node, nd->prop, nd->cells_prop,
				 (unsigned)i, &ref) == 0 &&
		    ref.node == node)
			return true;
	}
	return false;
}

struct copro_device *devices_consumer_of(struct copro_devices *set,
					 const struct copro_device *dev,
					 const char **prop)
{
	for (size_t i = 0; i < set->nbound; i++) {
		struct copro_device *c = set->order[i];

		if (c == dev)
			continue;
		for (const struct copro_driver_need *nd = c->drv->needs;
		     nd && nd->prop; nd++) {
			if (names_node(c, nd, dev->node)) {
				*prop = nd->prop;
				return c;
			}
		}
	}
	return NULL;
}

/* ---- giving up ------------------------------------------------------- */

/* The device `dev` waits for, when that one is itself waiting. */
static struct copro_device *waits_for(struct copro_device *dev)
{
	struct copro_device *t;

	if (!dev->wait.need)
		return NULL;
	t = dev_of(dev->set, dev->wait.node);
	return t && t->state == DEV_PENDING ? t : NULL;
}

/*
 * Is `dev` on a cycle of waits? Then `buf` spells it:
 * "/a ('mboxes') -> /b ('apple,sart') -> /a".
 */
static bool on_cycle(struct copro_device *dev, char *buf, size_t len)
{
	struct copro_device *cur = waits_for(dev);
	size_t used;

	for (size_t steps = 0; cur && cur != dev && steps < dev->set->ndevs;
	     steps++)
		cur = waits_for(cur);
	if (cur != dev)
		return false;
	used = 0;
	buf[0] = '\0';
	cur = dev;
	do {
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
					 "%s ('%s') -> ", cur->path,
					 cur->wait.need->prop);
		cur = waits_for(cur);
	} while (cur != dev && used < len);
	if (used < len)
		snprintf(buf + used, len - used, "%s", dev->path);
	return true;
}

/* The node's compatible list, quoted, for messages. */
static void compat_list(const struct copro_dt *dt, int node, char *buf,
			size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; used < len; i++) {
		const char *s = fdt_stringlist_get(copro_dt_blob(dt), node,
						   "compatible", i, NULL);

		if (!s)
			break;
		used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"",
					 i ? ", " : "", s);
	}
	if (!buf[0])
		snprintf(buf, len, "(no compatible)");
}

/* Why the provider at `w->node` is not there. Returns true for a cycle. */
static bool why_missing(struct copro_device *dev, char *buf, size_t len)
{
	struct copro_device *t = dev_of(dev->set, dev->wait.node);
	const struct copro_dt *dt = dev->set->dt;
	char cyc[3 * DEV_PATH_MAX], compat[160];

	if (t && t->state == DEV_PENDING) {
		if (on_cycle(dev, cyc, sizeof(cyc))) {
			snprintf(buf, len, "dependency cycle: %s", cyc);
			return true;
		}
		snprintf(buf, len,
			 "its driver '%s' is waiting for a provider of its own",
			 t->drv->name);
	} else if (t && t->state == DEV_BOUND) {
		snprintf(buf, len,
			 "it is bound to driver '%s', which registered no %s provider for it",
			 t->drv->name, dev->wait.need->kind);
	} else if (!copro_dt_enabled(dt, dev->wait.node)) {
		snprintf(buf, len, "the node is disabled");
	} else {
		compat_list(dt, dev->wait.node, compat, sizeof(compat));
		snprintf(buf, len, "no driver in this pass binds to %s",
			 compat);
	}
	return false;
}

int devices_report_stuck(struct copro_devices *set)
{
	char why[4 * DEV_PATH_MAX], target[DEV_PATH_MAX];
	bool cycle = false;

	for (size_t i = 0; i < set->ndevs; i++) {
		struct copro_device *dev = &set->devs[i];
		const struct dev_wait *w = &dev->wait;

		if (dev->state != DEV_PENDING)
			continue;
		if (!w->need) {
			copro_logf(set->log, COPRO_LOG_ERR, "devices",
				   "%s: %s (driver %s): probe deferred and nothing it waits for came: %s",
				   copro_dt_name(set->dt), dev->path,
				   dev->drv->name,
				   dev->reason[0] ? dev->reason : "(no reason given)");
			continue;
		}
		cycle |= why_missing(dev, why, sizeof(why));
		copro_dt_node_path(set->dt, w->node, target, sizeof(target));
		copro_logf(set->log, COPRO_LOG_ERR, "devices",
			   "%s: %s (driver %s): '%s' entry %u (phandle 0x%x) names %s, which has no %s provider: %s",
			   copro_dt_name(set->dt), dev->path, dev->drv->name,
			   w->need->prop, w->index,
			   fdt_get_phandle(copro_dt_blob(set->dt), w->node),
			   target, w->need->kind, why);
	}
	return cycle ? -ELOOP : -ENODEV;
}
