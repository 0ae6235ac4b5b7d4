/* SPDX-License-Identifier: MIT */
/*
 * The drivers libcopro has, for a probe-all pass that names none. A new
 * driver (the SMC mailbox, the SCMI agent, ...) is its table, a line in
 * builtin.h and one here, and an accessor in its public header;
 * providers need not come before their consumers, the pass orders the
 * probes.
 */
#include <copro/devices.h>

#include "driver/builtin.h"

static const struct copro_driver *const builtin[] = {
	&copro_asc_driver_table,
	&copro_sart_driver_table,
	&copro_nvme_driver_table,
	&copro_smc_mbox_driver_table,
	&copro_scmi_driver_table,
	NULL,
};

const struct copro_driver *const *copro_builtin_drivers(void)
{
	return builtin;
}
