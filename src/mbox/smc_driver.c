/* SPDX-License-Identifier: MIT */
/*
 * The SMC/HVC mailbox's driver table: probed by the probe-all pass before
 * any client whose "mboxes" names it; its removal refuses (-EBUSY) while
 * a client still has a channel bound.
 */
#include <copro/driver/device.h>
#include <copro/smc_mbox.h>

#include "driver/builtin.h"

static const char *const compatibles[] = {
	COPRO_SMC_MBOX_COMPATIBLE,
	COPRO_HVC_MBOX_COMPATIBLE,
	NULL,
};

static int probe(struct copro_device *dev)
{
	struct copro_smc_mbox *m;
	int rc = copro_smc_mbox_probe(copro_device_platform(dev),
				      copro_device_node(dev), &m);

	if (!rc)
		copro_device_set_data(dev, m);
	return rc;
}

static int remove_(struct copro_device *dev)
{
	return copro_smc_mbox_remove(copro_device_data(dev));
}

const struct copro_driver copro_smc_mbox_driver_table = {
	.name = "smc-mbox",
	.compatible = compatibles,
	.probe = probe,
	.remove = remove_,
};

const struct copro_driver *copro_smc_mbox_driver(void)
{
	return &copro_smc_mbox_driver_table;
}
