/* SPDX-License-Identifier: MIT */
/*
 * The three SART register layouts (hardware.md 3).
 *
 * v0 and v2 keep the flags and the size in one config register, so the
 * range is complete (address first, then size and flags in one store)
 * the moment the flags appear. v3 has a register for each, written
 * address, size, flags.
 */
#include "sart/sart_internal.h"

struct config_layout {
	uint32_t flags_mask;
	unsigned flags_shift;
	uint32_t size_mask;
};

static const struct config_layout layout_v0 = {
	.flags_mask = SART0_CONFIG_FLAGS_MASK,
	.flags_shift = SART0_CONFIG_FLAGS_SHIFT,
	.size_mask = SART0_CONFIG_SIZE_MASK,
};

static const struct config_layout layout_v2 = {
	.flags_mask = SART2_CONFIG_FLAGS_MASK,
	.flags_shift = SART2_CONFIG_FLAGS_SHIFT,
	.size_mask = SART2_CONFIG_SIZE_MASK,
};

static void config_get(const struct config_layout *l,
		       const struct copro_mmio *m, unsigned i,
		       struct sart_entry *e)
{
	uint32_t cfg = copro_readl(m, SART_CONFIG(i));

	e->flags = (cfg & l->flags_mask) >> l->flags_shift;
	e->size = (uint64_t)(cfg & l->size_mask) << SART_SIZE_SHIFT;
	e->phys = (uint64_t)copro_readl(m, SART_ADDR(i)) << SART_ADDR_SHIFT;
}

/* The caller has checked alignment and limits. */
static void config_set(const struct config_layout *l,
		       const struct copro_mmio *m, unsigned i, uint32_t flags,
		       uint64_t phys, uint64_t size)
{
	uint32_t cfg = ((flags << l->flags_shift) & l->flags_mask) |
		       ((uint32_t)(size >> SART_SIZE_SHIFT) & l->size_mask);

	copro_writel(m, SART_ADDR(i), (uint32_t)(phys >> SART_ADDR_SHIFT));
	copro_writel(m, SART_CONFIG(i), cfg);
}

static void config_clear(const struct copro_mmio *m, unsigned i)
{
	/* Flags and size go together; the address only after both. */
	copro_writel(m, SART_CONFIG(i), 0);
	copro_writel(m, SART_ADDR(i), 0);
}

static void sart0_get(const struct copro_mmio *m, unsigned i,
		      struct sart_entry *e)
{
	config_get(&layout_v0, m, i, e);
}

static void sart0_set(const struct copro_mmio *m, unsigned i, uint32_t flags,
		      uint64_t phys, uint64_t size)
{
	config_set(&layout_v0, m, i, flags, phys, size);
}

static void sart2_get(const struct copro_mmio *m, unsigned i,
		      struct sart_entry *e)
{
	config_get(&layout_v2, m, i, e);
}

static void sart2_set(const struct copro_mmio *m, unsigned i, uint32_t flags,
		      uint64_t phys, uint64_t size)
{
	config_set(&layout_v2, m, i, flags, phys, size);
}

static void sart3_get(const struct copro_mmio *m, unsigned i,
		      struct sart_entry *e)
{
	e->flags = copro_readl(m, SART3_FLAGS(i)) & SART3_FLAGS_MASK;
	e->size = (uint64_t)(copro_readl(m, SART3_SIZE(i)) & SART3_SIZE_MASK)
		  << SART_SIZE_SHIFT;
	e->phys = (uint64_t)copro_readl(m, SART_ADDR(i)) << SART_ADDR_SHIFT;
}

static void sart3_set(const struct copro_mmio *m, unsigned i, uint32_t flags,
		      uint64_t phys, uint64_t size)
{
	copro_writel(m, SART_ADDR(i), (uint32_t)(phys >> SART_ADDR_SHIFT));
	copro_writel(m, SART3_SIZE(i), (uint32_t)(size >> SART_SIZE_SHIFT));
	copro_writel(m, SART3_FLAGS(i), flags & SART3_FLAGS_MASK);
}

static void sart3_clear(const struct copro_mmio *m, unsigned i)
{
	copro_writel(m, SART3_FLAGS(i), 0);
	copro_writel(m, SART3_SIZE(i), 0);
	copro_writel(m, SART_ADDR(i), 0);
}

const struct sart_ops copro_sart_ops_v0 = {
	.compatible = SART_COMPAT_V0,
	.name = "SART1",
	.version = 0,
	.addr_bits = SART0_ADDR_BITS,
	.size_max = (uint64_t)SART0_SIZE_MAX << SART_SIZE_SHIFT,
	.allow = SART0_FLAGS_ALLOW,
	.regs_size = SART0_REGS_SIZE,
	.get = sart0_get,
	.set = sart0_set,
	.clear = config_clear,
};

const struct sart_ops copro_sart_ops_v2 = {
	.compatible = SART_COMPAT_V2,
	.name = "SART2",
	.version = 2,
	.addr_bits = SART2_ADDR_BITS,
	.size_max = (uint64_t)SART2_SIZE_MAX << SART_SIZE_SHIFT,
	.allow = SART2_FLAGS_ALLOW,
	.regs_size = SART2_REGS_SIZE,
	.get = sart2_get,
	.set = sart2_set,
	.clear = config_clear,
};

const struct sart_ops copro_sart_ops_v3 = {
	.compatible = SART_COMPAT_V3,
	.name = "SART3",
	.version = 3,
	.addr_bits = SART3_ADDR_BITS,
	.size_max = (uint64_t)SART3_SIZE_MAX << SART_SIZE_SHIFT,
	.allow = SART3_FLAGS_ALLOW,
	.regs_size = SART3_REGS_SIZE,
	.get = sart3_get,
	.set = sart3_set,
	.clear = sart3_clear,
};
