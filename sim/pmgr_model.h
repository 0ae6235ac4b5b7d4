/* SPDX-License-Identifier: MIT */
/*
 * The PMGR power-state registers: one 32-bit register per
 * "apple,pmgr-pwrstate" node, through which software on the hardware turns
 * a device's power domain on and off and holds it in reset. Internal to
 * libcopro-sim: boards instantiate it; raw-bus drivers write it.
 */
#ifndef COPRO_SIM_PMGR_MODEL_H
#define COPRO_SIM_PMGR_MODEL_H

#include <copro/sim/bus.h>

struct sim_pmgr_ps;

int sim_pmgr_ps_create(struct copro_bus *bus, int node,
		       struct sim_pmgr_ps **out);
void sim_pmgr_ps_destroy(struct sim_pmgr_ps *ps);

#endif
