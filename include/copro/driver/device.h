/* SPDX-License-Identifier: MIT */
/*
 * The driver model, driver side: what a host driver declares so that one
 * probe-all pass over the devicetree (<copro/devices.h>) brings it up in
 * the right order, and what its probe and remove may ask of the device.
 *
 * A driver is a const table: a name, the compatibles it binds to, the
 * providers it consumes (by the phandle properties that name them), and
 * probe/remove. The pass probes a device only once every provider its
 * needs name is registered, so probe finds them with the typed lookups
 * (copro_mbox_request_dt, copro_sart_get_dt, copro_power_get_dt, ...)
 * and holds them by reference; it never probes or frees a provider
 * itself. A provider a driver cannot declare (found some other way) is
 * waited for by returning copro_device_defer() from probe. See
 * docs/drivers.md.
 */
#ifndef COPRO_DRIVER_DEVICE_H
#define COPRO_DRIVER_DEVICE_H

#include <stdbool.h>

#include <copro/driver/platform.h>
#include <copro/error.h>
#include <copro/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_device;

/*
 * A provider the driver consumes: every entry of phandle-list property
 * `prop` of the device's node (with `cells_prop` argument cells, or
 * NULL for bare phandles) must name a node with a registered provider of
 * `kind` (COPRO_MBOX_PROVIDER, COPRO_SART_PROVIDER, ...) before probe
 * runs. An absent property is no need; probe decides if it is an error.
 */
struct copro_driver_need {
	const char *prop;
	const char *cells_prop;
	const char *kind;
};

struct copro_driver {
	/* "asc", "sart", "nvme": for messages and per-driver config. */
	const char *name;
	/* NULL-terminated; a node binds to the driver of its first match. */
	const char *const *compatible;
	/* Terminated by an entry with prop NULL; NULL: needs nothing. */
	const struct copro_driver_need *needs;
	/*
	 * Bring the device up: 0, -COPRO_EPROBE_DEFER (through
	 * copro_device_defer) to be retried after other devices probe, or
	 * an error that fails the whole pass. On failure nothing is left
	 * behind.
	 */
	int (*probe)(struct copro_device *dev);
	/*
	 * Take it down: 0, or -EBUSY (logged) while consumers still hold
	 * what it provides; the device then stays bound and working.
	 */
	int (*remove)(struct copro_device *dev);
};

COPRO_API struct copro_platform *
copro_device_platform(const struct copro_device *dev);
COPRO_API int copro_device_node(const struct copro_device *dev);
/* The node's name ("nvme@27bcc0000"). */
COPRO_API const char *copro_device_name(const struct copro_device *dev);
/* The compatible string it was matched by. */
COPRO_API const char *
copro_device_compatible(const struct copro_device *dev);
COPRO_API const struct copro_driver *
copro_device_driver(const struct copro_device *dev);
/* The configuration given for this driver to probe-all, or NULL. */
COPRO_API const void *
copro_device_config(const struct copro_device *dev);
/* The driver's object (struct copro_nvme *, ...), set by probe. */
COPRO_API void copro_device_set_data(struct copro_device *dev, void *data);
COPRO_API void *copro_device_data(const struct copro_device *dev);

/*
 * From probe: wait for something the declared needs cannot say. Records
 * the reason (printf-style), reported if the pass ends without it, and
 * returns -COPRO_EPROBE_DEFER for probe to return.
 */
COPRO_API int copro_device_defer(struct copro_device *dev, const char *fmt,
				 ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
