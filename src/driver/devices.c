/* SPDX-License-Identifier: MIT */
/*
 * The driver model: match devicetree nodes to driver tables, probe them
 * providers first (a device waits until every provider its driver needs
 * is registered, and is retried after each pass that probed something),
 * remove them in reverse, and find them again. See <copro/devices.h>.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "driver/driver_internal.h"

/* ---- the device, for its driver --------------------------------------- */

struct copro_platform *copro_device_platform(const struct copro_device *dev)
{
	return dev->set->p;
}

int copro_device_node(const struct copro_device *dev)
{
	return dev->node;
}

const char *copro_device_name(const struct copro_device *dev)
{
	return copro_dt_node_name(dev->set->dt, dev->node);
}

const char *copro_device_compatible(const struct copro_device *dev)
{
	return dev->compat;
}

const struct copro_driver *copro_device_driver(const struct copro_device *dev)
{
	return dev->drv;
}

const void *copro_device_config(const struct copro_device *dev)
{
	return dev->config;
}

void copro_device_set_data(struct copro_device *dev, void *data)
{
	dev->data = data;
}

void *copro_device_data(const struct copro_device *dev)
{
	return dev->data;
}

int copro_device_defer(struct copro_device *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev->reason, sizeof(dev->reason), fmt, ap);
	va_end(ap);
	return -COPRO_EPROBE_DEFER;
}

/* ---- matching ----------------------------------------------------------- */

const struct copro_driver *const *copro_builtin_drivers(void);

/*
 * The driver listing the node's earliest compatible (the most specific
 * one, by devicetree convention); among drivers, the first in the list.
 */
static const struct copro_driver *
match(const struct copro_dt *dt, int node,
      const struct copro_driver *const *drivers, const char **compat)
{
	for (int i = 0;; i++) {
		const char *c = fdt_stringlist_get(copro_dt_blob(dt), node,
						   "compatible", i, NULL);

		if (!c)
			return NULL;
		for (const struct copro_driver *const *d = drivers; *d; d++) {
			for (const char *const *s = (*d)->compatible; s && *s;
			     s++) {
				if (!strcmp(*s, c)) {
					*compat = *s;
					return *d;
				}
			}
		}
	}
}

static const void *config_of(const struct copro_devices_config *cfg,
			     const struct copro_driver *drv)
{
	for (const struct copro_driver_config *c = cfg ? cfg->configs : NULL;
	     c && c->driver; c++)
		if (!strcmp(c->driver, drv->name))
			return c->config;
	return NULL;
}

static bool driver_ok(struct copro_devices *set, const struct copro_driver *d)
{
	if (d->name && d->compatible && d->probe && d->remove)
		return true;
	copro_logf(set->log, COPRO_LOG_ERR, "devices",
		   "driver table '%s' lacks a name, compatibles, probe or remove",
		   d->name ? d->name : "(unnamed)");
	return false;
}

/* Every enabled node some driver binds to, in devicetree order. */
static int collect(struct copro_devices *set,
		   const struct copro_devices_config *cfg)
{
	const struct copro_driver *const *drivers =
		cfg && cfg->drivers ? cfg->drivers : copro_builtin_drivers();
	const void *blob = copro_dt_blob(set->dt);
	size_t n = 0, cap = 0;
	int node;

	for (const struct copro_driver *const *d = drivers; *d; d++)
		if (!driver_ok(set, *d))
			return -EINVAL;
	for (node = fdt_next_node(blob, -1, NULL); node >= 0;
	     node = fdt_next_node(blob, node, NULL)) {
		const struct copro_driver *drv;
		struct copro_device *dev;
		const char *compat = NULL;

		if (!copro_dt_enabled(set->dt, node))
			continue;
		drv = match(set->dt, node, drivers, &compat);
		if (!drv)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			void *nv = realloc(set->devs, ncap * sizeof(*set->devs));

			if (!nv)
				return -ENOMEM;
			set->devs = nv;
			cap = ncap;
		}
		dev = &set->devs[n++];
		memset(dev, 0, sizeof(*dev));
		dev->drv = drv;
		dev->compat = compat;
		dev->config = config_of(cfg, drv);
		dev->node = node;
		dev->state = DEV_PENDING;
		dev->wait.node = -1;
		copro_dt_node_path(set->dt, node, dev->path, sizeof(dev->path));
		copro_logdev_init(&dev->ld, set->log, "%s",
				  copro_dt_node_name(set->dt, node));
	}
	set->ndevs = n;
	/* The array is final now: the back pointers stay valid. */
	for (size_t i = 0; i < n; i++)
		set->devs[i].set = set;
	set->order = calloc(n ? n : 1, sizeof(*set->order));
	return set->order ? 0 : -ENOMEM;
}

/* ---- probing ---------------------------------------------------------- */

/* 1: bound; 0: deferred; < 0: the probe failed. */
static int try_probe(struct copro_device *dev)
{
	struct copro_devices *set = dev->set;
	int rc = devices_needs_met(dev);

	if (rc < 0)
		return rc;
	if (rc > 0) {
		copro_dev_dbg(&dev->ld, "deferred: '%s' entry %u has no %s provider yet",
			      dev->wait.need->prop, dev->wait.index,
			      dev->wait.need->kind);
		return 0;
	}
	dev->reason[0] = '\0';
	dev->data = NULL;
	rc = dev->drv->probe(dev);
	if (rc == -COPRO_EPROBE_DEFER) {
		copro_dev_dbg(&dev->ld, "probe deferred: %s",
			      dev->reason[0] ? dev->reason : "(no reason given)");
		return 0;
	}
	if (rc < 0) {
		copro_logf(set->log, COPRO_LOG_ERR, "devices",
			   "%s: %s: driver %s (\"%s\"): probe failed: %s",
			   copro_dt_name(set->dt), dev->path, dev->drv->name,
			   dev->compat, copro_strerror(rc));
		return rc;
	}
	dev->state = DEV_BOUND;
	set->order[set->nbound++] = dev;
	copro_dev_dbg(&dev->ld, "bound to driver %s", dev->drv->name);
	return 1;
}

/* One pass over the pending devices: how many bound, or an error. */
static int pass(struct copro_devices *set)
{
	int bound = 0;

	for (size_t i = 0; i < set->ndevs; i++) {
		int rc;

		if (set->devs[i].state != DEV_PENDING)
			continue;
		rc = try_probe(&set->devs[i]);
		if (rc < 0)
			return rc;
		bound += rc;
	}
	return bound;
}

static int dev_remove(struct copro_device *dev);

/* Last probed first; what refuses stays. -EBUSY if anything did. */
static int remove_bound(struct copro_devices *set)
{
	int ret = 0;

	for (size_t i = set->nbound; i-- > 0;)
		if (dev_remove(set->order[i]) < 0)
			ret = -EBUSY;
	return ret;
}

static void set_free(struct copro_devices *set)
{
	free(set->order);
	free(set->devs);
	free(set);
}

int copro_devices_probe_all(struct copro_platform *p,
			    const struct copro_devices_config *cfg,
			    struct copro_devices **out)
{
	struct copro_devices *set;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!p)
		return -EINVAL;
	set = calloc(1, sizeof(*set));
	if (!set)
		return -ENOMEM;
	set->p = p;
	set->dt = copro_platform_dt(p);
	set->log = copro_platform_log(p);
	rc = collect(set, cfg);
	while (!rc) {
		rc = pass(set);
		if (rc <= 0)
			break;
		rc = 0;
	}
	if (!rc && set->nbound < set->ndevs)
		rc = devices_report_stuck(set);
	if (rc) {
		if (remove_bound(set) < 0)
			copro_logf(set->log, COPRO_LOG_ERR, "devices",
				   "%s: devices left bound after a failed probe-all",
				   copro_dt_name(set->dt));
		else
			set_free(set);
		return rc;
	}
	copro_logf(set->log, COPRO_LOG_DEBUG, "devices", "%s: %zu devices bound",
		   copro_dt_name(set->dt), set->nbound);
	*out = set;
	return 0;
}

/* ---- removal ---------------------------------------------------------- */

static void unlist(struct copro_devices *set, struct copro_device *dev)
{
	size_t j = 0;

	for (size_t i = 0; i < set->nbound; i++)
		if (set->order[i] != dev)
			set->order[j++] = set->order[i];
	set->nbound = j;
}

static int dev_remove(struct copro_device *dev)
{
	struct copro_devices *set = dev->set;
	struct copro_device *user;
	const char *prop = NULL;
	int rc;

	user = devices_consumer_of(set, dev, &prop);
	if (user) {
		copro_logf(set->log, COPRO_LOG_ERR, "devices",
			   "%s: cannot remove %s (driver %s): %s still uses it through '%s'",
			   copro_dt_name(set->dt), dev->path, dev->drv->name,
			   user->path, prop);
		return -EBUSY;
	}
	rc = dev->drv->remove(dev);
	if (rc < 0) {
		copro_logf(set->log, COPRO_LOG_ERR, "devices",
			   "%s: cannot remove %s (driver %s): %s; it stays bound",
			   copro_dt_name(set->dt), dev->path, dev->drv->name,
			   copro_strerror(rc));
		return rc;
	}
	dev->state = DEV_REMOVED;
	dev->data = NULL;
	unlist(set, dev);
	copro_dev_dbg(&dev->ld, "removed");
	return 0;
}

int copro_device_remove(struct copro_device *dev)
{
	if (!dev || dev->state != DEV_BOUND)
		return -EINVAL;
	return dev_remove(dev);
}

int copro_devices_remove_all(struct copro_devices *devs)
{
	if (!devs)
		return 0;
	if (remove_bound(devs) < 0)
		return -EBUSY;
	set_free(devs);
	return 0;
}

/* ---- lookups ---------------------------------------------------------- */

struct copro_device *copro_devices_find(struct copro_devices *devs, int node)
{
	for (size_t i = 0; devs && i < devs->nbound; i++)
		if (devs->order[i]->node == node)
			return devs->order[i];
	return NULL;
}

struct copro_device *copro_devices_find_compatible(struct copro_devices *devs,
						   const char *compatible,
						   struct copro_device *prev)
{
	size_t i = 0;

	if (!devs)
		return NULL;
	if (prev) {
		while (i < devs->nbound && devs->order[i] != prev)
			i++;
		i++;
	}
	for (; i < devs->nbound; i++) {
		struct copro_device *dev = devs->order[i];

		if (!compatible ||
		    copro_dt_is_compatible(devs->dt, dev->node, compatible))
			return dev;
	}
	return NULL;
}

unsigned copro_devices_count(const struct copro_devices *devs)
{
	return devs ? (unsigned)devs->nbound : 0;
}
