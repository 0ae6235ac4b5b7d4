/* SPDX-License-Identifier: MIT */
/*
 * The SART's driver table: probed by the probe-all pass before any
 * client that names it in "apple,sart", removed after the last; removal
 * clears every entry the bootloader did not set, as a shutdown would.
 */
#include <copro/driver/device.h>
#include <copro/sart.h>

#include "driver/builtin.h"
#include "sart/sart_internal.h"

static const char *const compatibles[] = {
	SART_COMPAT_V0,
	SART_COMPAT_V2,
	SART_COMPAT_V3,
	NULL,
};

static int probe(struct copro_device *dev)
{
	struct copro_sart *sart;
	int rc = copro_sart_probe(copro_device_platform(dev),
				  copro_device_node(dev), &sart);

	if (!rc)
		copro_device_set_data(dev, sart);
	return rc;
}

static int remove_(struct copro_device *dev)
{
	return copro_sart_release(copro_device_data(dev), true);
}

const struct copro_driver copro_sart_driver_table = {
	.name = "sart",
	.compatible = compatibles,
	.probe = probe,
	.remove = remove_,
};

const struct copro_driver *copro_sart_driver(void)
{
	return &copro_sart_driver_table;
}
