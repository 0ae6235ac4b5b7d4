/* SPDX-License-Identifier: MIT */
/*
 * The SCMI agent's driver table: every "arm,scmi" node after the
 * mailboxes it names (the SMC transports need nothing but the firmware,
 * which is there from the start). The driver's config, when given, is a
 * struct copro_scmi_config.
 */
#include <copro/driver/device.h>
#include <copro/driver/mbox_controller.h>
#include <copro/scmi.h>

#include "driver/builtin.h"

static const char *const compatibles[] = {
	COPRO_SCMI_COMPATIBLE,
	COPRO_SCMI_SMC_COMPATIBLE,
	COPRO_SCMI_SMC_PARAM_COMPATIBLE,
	NULL,
};

static const struct copro_driver_need needs[] = {
	{ "mboxes", "#mbox-cells", COPRO_MBOX_PROVIDER },
	{ NULL, NULL, NULL },
};

static int probe(struct copro_device *dev)
{
	struct copro_scmi *s;
	int rc = copro_scmi_probe(copro_device_platform(dev),
				  copro_device_node(dev),
				  copro_device_config(dev), &s);

	if (!rc)
		copro_device_set_data(dev, s);
	return rc;
}

static int remove_(struct copro_device *dev)
{
	copro_scmi_remove(copro_device_data(dev));
	return 0;
}

const struct copro_driver copro_scmi_driver_table = {
	.name = "scmi",
	.compatible = compatibles,
	.needs = needs,
	.probe = probe,
	.remove = remove_,
};

const struct copro_driver *copro_scmi_driver(void)
{
	return &copro_scmi_driver_table;
}
