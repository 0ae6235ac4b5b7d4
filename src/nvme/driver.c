/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 NVMe driver's table: it needs its mailbox controller
 * ("mboxes") and its SART ("apple,sart") registered before it probes,
 * and takes them by reference (RTKit binds the mailbox channel, the
 * driver gets the SART); it never probes or frees either. Its
 * configuration is a struct copro_nvme_config.
 */
#include <copro/driver/device.h>
#include <copro/driver/mbox_controller.h>
#include <copro/nvme.h>
#include <copro/sart.h>

#include "driver/builtin.h"

/* Both generations (hw.c); the A11's node has no generic fallback. */
static const char *const compatibles[] = {
	COPRO_NVME_COMPATIBLE,
	COPRO_NVME_COMPATIBLE_T8015,
	NULL,
};

static const struct copro_driver_need needs[] = {
	{ "mboxes", "#mbox-cells", COPRO_MBOX_PROVIDER },
	{ "apple,sart", NULL, COPRO_SART_PROVIDER },
	{ NULL, NULL, NULL },
};

static int probe(struct copro_device *dev)
{
	struct copro_nvme *nvme;
	int rc = copro_nvme_probe(copro_device_platform(dev),
				  copro_device_node(dev),
				  copro_device_config(dev), &nvme);

	if (!rc)
		copro_device_set_data(dev, nvme);
	return rc;
}

static int remove_(struct copro_device *dev)
{
	copro_nvme_remove(copro_device_data(dev));
	return 0;
}

const struct copro_driver copro_nvme_driver_table = {
	.name = "nvme",
	.compatible = compatibles,
	.needs = needs,
	.probe = probe,
	.remove = remove_,
};

const struct copro_driver *copro_nvme_driver(void)
{
	return &copro_nvme_driver_table;
}

struct copro_nvme *copro_nvme_from_device(const struct copro_device *dev)
{
	if (!dev || copro_device_driver(dev) != &copro_nvme_driver_table)
		return NULL;
	return copro_device_data(dev);
}
