/* SPDX-License-Identifier: MIT */
/*
 * The driver model, embedder side: bring a board's host side up with one
 * probe-all pass over its devicetree, find what was probed, and take it
 * all down again in reverse.
 *
 *   struct copro_devices *devs;
 *   const struct copro_driver_config cfgs[] = { { "nvme", &ncfg }, { 0 } };
 *   const struct copro_devices_config dc = { .configs = cfgs };
 *
 *   copro_devices_probe_all(platform, &dc, &devs);
 *   nvme = copro_nvme_from_device(
 *           copro_devices_find_compatible(devs, COPRO_NVME_COMPATIBLE, NULL));
 *   ...
 *   copro_devices_remove_all(devs);
 *
 * Every enabled node whose compatible a driver lists becomes a device,
 * bound to the driver that lists the node's earliest compatible. A device
 * is probed once the providers its driver needs are registered; a pass
 * that probed something is followed by another, until all are bound or
 * none can be. Probe order is therefore provider before consumer, and
 * removal runs it backwards.
 *
 * A set is not locked: lookups may run concurrently with each other,
 * but not with a removal, and removals not with each other.
 */
#ifndef COPRO_DEVICES_H
#define COPRO_DEVICES_H

#include <copro/export.h>
#include <copro/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_devices;
/* Driver side: <copro/driver/device.h>. */
struct copro_device;
struct copro_driver;

/* Configuration handed to one driver's probe (copro_device_config). */
struct copro_driver_config {
	const char *driver; /* struct copro_driver.name */
	const void *config; /* the driver's own type: struct copro_nvme_config... */
};

struct copro_devices_config {
	/*
	 * The drivers to bind, NULL-terminated (the ASC mailbox and the
	 * SART alone for a tool that drives RTKit itself, say); NULL: every
	 * driver copro has (copro_builtin_drivers).
	 */
	const struct copro_driver *const *drivers;
	/* Terminated by an entry with driver NULL; may be NULL. */
	const struct copro_driver_config *configs;
};

/* Every driver in libcopro, NULL-terminated. */
COPRO_API const struct copro_driver *const *copro_builtin_drivers(void);
/* The built-in drivers' tables, one by one: <copro/asc.h>
 * copro_asc_driver(), <copro/sart.h> copro_sart_driver(), <copro/nvme.h>
 * copro_nvme_driver(). */

/*
 * Probe every device of the platform's devicetree (cfg may be NULL).
 * All or nothing: when a probe fails, or the pass ends with devices
 * still waiting, everything probed is removed again and the error
 * returned: the probe's own, -ENODEV when a device waits for a provider
 * that will never come (no driver for its node, the node disabled,
 * bound without providing it), -ELOOP for a dependency cycle. Each
 * waiting device is logged with the property, entry, phandle and node it
 * waits for, and why that provider is not there.
 */
COPRO_API int copro_devices_probe_all(struct copro_platform *p,
				      const struct copro_devices_config *cfg,
				      struct copro_devices **out);
/*
 * Remove every device, last probed first, and free the set: 0. A device
 * whose remove refuses (a provider somebody outside still holds by
 * reference) stays bound, as do its own providers: -EBUSY, logged, and
 * the set stays valid with what is left; release the references and
 * call again.
 */
COPRO_API int copro_devices_remove_all(struct copro_devices *devs);

/*
 * Remove one device: -EBUSY (logged; nothing changes) while another bound
 * device needs what it provides, or its driver refuses. On success the
 * lookups no longer find it; the pointer itself stays valid (and
 * useless) until the set is freed.
 */
COPRO_API int copro_device_remove(struct copro_device *dev);

/* The device of a node, or NULL. */
COPRO_API struct copro_device *copro_devices_find(struct copro_devices *devs,
						 int node);
/*
 * The next bound device after `prev` (NULL: the first), in probe order,
 * whose node lists `compatible` (NULL: any).
 */
COPRO_API struct copro_device *
copro_devices_find_compatible(struct copro_devices *devs,
			      const char *compatible, struct copro_device *prev);
/* Bound devices. */
COPRO_API unsigned copro_devices_count(const struct copro_devices *devs);

#ifdef __cplusplus
}
#endif
#endif
