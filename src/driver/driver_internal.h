/* SPDX-License-Identifier: MIT */
/*
 * The driver model's state, shared by devices.c (matching, the probe-all
 * pass, removal, lookups) and needs.c (which providers a device still
 * waits for, and why they will not come).
 */
#ifndef COPRO_DRIVER_INTERNAL_H
#define COPRO_DRIVER_INTERNAL_H

#include <stddef.h>

#include <copro/devices.h>
#include <copro/driver/device.h>
#include <copro/log.h>

#define DEV_PATH_MAX 256
#define DEV_REASON_MAX 256

enum dev_state {
	DEV_PENDING, /* matched, not probed yet (or deferred) */
	DEV_BOUND,
	DEV_REMOVED,
};

/* What a deferred device waits for: one entry of one of its needs. */
struct dev_wait {
	const struct copro_driver_need *need; /* NULL: probe deferred itself */
	unsigned index;	/* entry of need->prop */
	int node;	/* the node it names */
};

struct copro_device {
	struct copro_devices *set;
	const struct copro_driver *drv;
	const char *compat;	/* the string it matched */
	const void *config;
	int node;
	enum dev_state state;
	void *data;
	struct copro_logdev ld; /* prefix: the node's name */
	char path[DEV_PATH_MAX];
	struct dev_wait wait;	/* while deferred */
	char reason[DEV_REASON_MAX]; /* copro_device_defer's */
};

struct copro_devices {
	struct copro_platform *p;
	const struct copro_dt *dt;
	struct copro_log *log;
	struct copro_device *devs;  /* devicetree order */
	size_t ndevs;
	struct copro_device **order; /* bound, in probe order */
	size_t nbound;
};

/*
 * 0 when every provider the device's driver needs is registered; 1 when
 * one is missing (dev->wait says which); a negative error for a
 * malformed property (logged by the devicetree layer).
 */
int devices_needs_met(struct copro_device *dev);
/*
 * A bound device whose needs name `dev`'s node (so removing `dev` would
 * pull a provider from under it), or NULL. *prop: the property.
 */
struct copro_device *devices_consumer_of(struct copro_devices *set,
					 const struct copro_device *dev,
					 const char **prop);
/*
 * The pass ended with devices still pending: log, for each, what it
 * waits for and why that will not come. -ELOOP when some wait in a
 * cycle, -ENODEV otherwise.
 */
int devices_report_stuck(struct copro_devices *set);

#endif
