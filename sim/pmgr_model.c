/* SPDX-License-Identifier: MIT */
/*
 * A PMGR power-state register (the layout Linux's, u-boot's and m1n1's
 * apple pmgr drivers program; docs/sim-api.md):
 *
 *   3:0   PS_TARGET   the state software asks for: 0xf active, 0x4 clock
 *                     gated, 0x0 power gated
 *   7:4   PS_ACTUAL   the state reached; here at once, so a driver's poll
 *                     of ACTUAL == TARGET succeeds on its first read
 *   10    DEV_DISABLE kept as written
 *   31    RESET       holds the device in reset while set
 *
 * The domain's state lives in the bus (the same state a platform's
 * copro_power_on/copro_reset_assert change): only ACTIVE counts as on for
 * the models watching it, since a clock-gated device does not run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <copro/dt.h>
#include <copro/log.h>

#include "bus_internal.h"
#include "pmgr_model.h"

#define PS_TARGET 0xfu
#define PS_ACTUAL_SHIFT 4
#define PS_ACTIVE 0xfu
#define PS_DEV_DISABLE (1u << 10)
#define PS_RESET (1u << 31)

struct sim_pmgr_ps {
	struct copro_bus *bus;
	int node;
	uint64_t phys;
	struct copro_mutex lock;	/* writes */
	_Atomic uint32_t off_target;	/* the target last asked for when not ACTIVE */
	_Atomic uint32_t kept;		/* DEV_DISABLE as written */
	struct copro_logdev ld;
};

static uint64_t ps_read(void *ctx, uint64_t off, unsigned width)
{
	struct sim_pmgr_ps *ps = ctx;
	uint32_t state = copro_bus_power_is_on(ps->bus, ps->node, 0)
				 ? PS_ACTIVE
				 : atomic_load(&ps->off_target);
	uint32_t v = state | state << PS_ACTUAL_SHIFT | atomic_load(&ps->kept);

	if (copro_bus_reset_asserted(ps->bus, ps->node, 0))
		v |= PS_RESET;
	return v;
}

static void ps_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct sim_pmgr_ps *ps = ctx;
	uint32_t target = (uint32_t)val & PS_TARGET;
	bool on = target == PS_ACTIVE;
	int rc;

	copro_mutex_lock(&ps->lock);
	if (!on)
		atomic_store(&ps->off_target, target);
	atomic_store(&ps->kept, (uint32_t)val & PS_DEV_DISABLE);
	rc = bus_be_power_set(ps->bus, ps->node, 0, on);
	if (!rc)
		rc = bus_be_reset_set(ps->bus, ps->node, 0,
				      (val & PS_RESET) != 0);
	copro_mutex_unlock(&ps->lock);
	if (rc)
		copro_dev_err(&ps->ld, "write 0x%llx: %s",
			      (unsigned long long)val, copro_strerror(rc));
}

static const struct copro_mmio_ops ps_ops = {
	.read = ps_read,
	.write = ps_write,
};

int sim_pmgr_ps_create(struct copro_bus *bus, int node,
		       struct sim_pmgr_ps **out)
{
	const struct copro_dt *dt = copro_bus_dt(bus);
	struct sim_pmgr_ps *ps;
	uint64_t size;
	int rc;

	*out = NULL;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	ps->bus = bus;
	ps->node = node;
	atomic_init(&ps->off_target, 0);
	atomic_init(&ps->kept, 0);
	copro_logdev_init(&ps->ld, copro_bus_log(bus), "%s",
			  copro_dt_node_name(dt, node));
	rc = copro_dt_reg(dt, node, 0, &ps->phys, &size);
	if (!rc && size < 4) {
		copro_dev_err(&ps->ld, "reg size %llu: the register needs 4 bytes",
			      (unsigned long long)size);
		rc = -COPRO_EDT;
	}
	if (!rc)
		rc = copro_mutex_init(&ps->lock);
	if (rc) {
		free(ps);
		return rc;
	}
	rc = copro_bus_add_mmio(bus, ps->phys, 4, &ps_ops, ps, ps->ld.name);
	if (rc) {
		copro_mutex_destroy(&ps->lock);
		free(ps);
		return rc;
	}
	*out = ps;
	return 0;
}

void sim_pmgr_ps_destroy(struct sim_pmgr_ps *ps)
{
	if (!ps)
		return;
	copro_bus_remove_mmio(ps->bus, ps->phys);
	copro_mutex_destroy(&ps->lock);
	free(ps);
}
