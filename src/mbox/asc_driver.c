/* SPDX-License-Identifier: MIT */
/*
 * The ASC mailbox's driver table: probed by the probe-all pass before
 * any client whose "mboxes" names it; its removal refuses (-EBUSY) while
 * a client still has the channel bound.
 */
#include <copro/asc.h>
#include <copro/driver/device.h>

#include "driver/builtin.h"

/* The three layouts of Linux's mailbox.c (asc.c picks the registers). */
static const char *const compatibles[] = {
	COPRO_ASC_COMPATIBLE_V4,
	COPRO_ASC_COMPATIBLE,
	COPRO_ASC_COMPATIBLE_T8015,
	COPRO_ASC_COMPATIBLE_M3,
	NULL,
};

static int probe(struct copro_device *dev)
{
	struct copro_asc *asc;
	int rc = copro_asc_probe(copro_device_platform(dev),
				 copro_device_node(dev), &asc);

	if (!rc)
		copro_device_set_data(dev, asc);
	return rc;
}

static int remove_(struct copro_device *dev)
{
	return copro_asc_remove(copro_device_data(dev));
}

const struct copro_driver copro_asc_driver_table = {
	.name = "asc",
	.compatible = compatibles,
	.probe = probe,
	.remove = remove_,
};

const struct copro_driver *copro_asc_driver(void)
{
	return &copro_asc_driver_table;
}
