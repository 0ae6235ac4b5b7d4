/* SPDX-License-Identifier: MIT */
/*
 * The drivers libcopro has, for a probe-all pass that names none. A new
 * driver (the SMC mailbox, the SCMI agent, ...) is its table and a line
 * here; providers need not come before their consumers, the pass orders
 * the probes.
 */
#include <copro/asc.h>
#include <copro/devices.h>
#include <copro/nvme.h>
#include <copro/sart.h>

static const struct copro_driver *const builtin[] = {
	&copro_asc_driver,
	&copro_sart_driver,
	&copro_nvme_driver,
	NULL,
};

const struct copro_driver *const *copro_builtin_drivers(void)
{
	return builtin;
}
