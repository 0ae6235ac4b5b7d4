/* SPDX-License-Identifier: MIT */
/*
 * The built-in drivers' tables, for the list in builtin.c and their own
 * accessors (copro_asc_driver() and the like). Internal: a shared
 * library exports functions, not data.
 */
#ifndef COPRO_DRIVER_BUILTIN_H
#define COPRO_DRIVER_BUILTIN_H

#include <copro/driver/device.h>

extern const struct copro_driver copro_asc_driver_table;
extern const struct copro_driver copro_sart_driver_table;
extern const struct copro_driver copro_nvme_driver_table;
extern const struct copro_driver copro_smc_mbox_driver_table;
extern const struct copro_driver copro_scmi_driver_table;

#endif
