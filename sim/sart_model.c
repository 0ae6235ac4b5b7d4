/* SPDX-License-Identifier: MIT */
/*
 * Device model of an Apple SART (hardware.md 3): the register file of
 * each layout, and the filter that DMA through the SART must pass.
 *
 * One mutex covers the registers, so a filter check sees each register
 * either before or after a write, as the hardware's does; the order in
 * which the driver writes an entry's registers is what keeps a
 * half-written entry from allowing anything, and the model does nothing
 * to hide a wrong order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/regs/sart.h>
#include <copro/sim/sart_model.h>

struct sim_layout {
	const char *compatible;
	const char *name;
	unsigned version;
	/* v3: flags, size and address each have a register. */
	bool split;
	/* The flags field: in CONFIG (v0, v2) or the whole FLAGS register. */
	uint32_t flags_mask;
	unsigned flags_shift;
	/* The size field: in CONFIG (v0, v2) or the SIZE register (v3). */
	uint32_t size_mask;
	uint32_t addr_mask;
	uint64_t regs_size;
};

static const struct sim_layout layouts[] = {
	{
		.compatible = SART_COMPAT_V0,
		.name = "SART1",
		.version = 0,
		.flags_mask = SART0_CONFIG_FLAGS_MASK,
		.flags_shift = SART0_CONFIG_FLAGS_SHIFT,
		.size_mask = SART0_CONFIG_SIZE_MASK,
		.addr_mask = SART0_ADDR_MASK,
		.regs_size = SART0_REGS_SIZE,
	},
	{
		.compatible = SART_COMPAT_V2,
		.name = "SART2",
		.version = 2,
		.flags_mask = SART2_CONFIG_FLAGS_MASK,
		.flags_shift = SART2_CONFIG_FLAGS_SHIFT,
		.size_mask = SART2_CONFIG_SIZE_MASK,
		.addr_mask = SART2_ADDR_MASK,
		.regs_size = SART2_REGS_SIZE,
	},
	{
		.compatible = SART_COMPAT_V3,
		.name = "SART3",
		.version = 3,
		.split = true,
		.flags_mask = SART3_FLAGS_MASK,
		.flags_shift = 0,
		.size_mask = SART3_SIZE_MASK,
		.addr_mask = SART3_ADDR_MASK,
		.regs_size = SART3_REGS_SIZE,
	},
};

#define NLAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

/* Cells per apple,bootloader-entries entry. */
#define BOOT_ENTRY_CELLS 6

struct copro_sim_sart {
	struct copro_logdev ld;
	struct copro_bus *bus;
	int node;
	const struct sim_layout *lay;
	uint64_t phys, size;
	char region_name[80];

	struct copro_mutex lock;
	/* CONFIG (v0, v2) or FLAGS (v3); ADDR; SIZE (v3 only). */
	uint32_t cfg[SART_MAX_ENTRIES];
	uint32_t addr[SART_MAX_ENTRIES];
	uint32_t size3[SART_MAX_ENTRIES];
	copro_sim_sart_trace_fn trace;
	void *trace_ctx;

	_Atomic uint64_t allowed, blocked, reg_writes, bad_accesses;
};

static const struct sim_layout *match_layout(const struct copro_dt *dt,
					     int node)
{
	const struct sim_layout *best = NULL;
	int best_idx = -1;

	/* The compatible listed first wins, as devicetree matching goes. */
	for (size_t i = 0; i < NLAYOUTS; i++) {
		int idx = fdt_stringlist_search(copro_dt_blob(dt), node,
						"compatible",
						layouts[i].compatible);

		if (idx >= 0 && (best_idx < 0 || idx < best_idx)) {
			best = &layouts[i];
			best_idx = idx;
		}
	}
	return best;
}

bool copro_sim_sart_matches(const struct copro_dt *dt, int node)
{
	return match_layout(dt, node) != NULL;
}

/* ---- entries -------------------------------------------------------- */

/* Under lock. */
static void decode(const struct copro_sim_sart *s, unsigned i,
		   struct copro_sim_sart_entry *e)
{
	const struct sim_layout *l = s->lay;
	uint32_t size_units = l->split ? s->size3[i] : s->cfg[i] & l->size_mask;

	e->flags = (s->cfg[i] & l->flags_mask) >> l->flags_shift;
	e->size = (uint64_t)size_units << SART_SIZE_SHIFT;
	e->phys = (uint64_t)s->addr[i] << SART_ADDR_SHIFT;
}

static bool entry_holds(const struct copro_sim_sart_entry *e, uint64_t phys,
			uint64_t len)
{
	return e->flags && phys >= e->phys && len <= e->size &&
	       phys - e->phys <= e->size - len;
}

static int check(struct copro_sim_sart *s, const char *who, uint64_t phys,
		 size_t len, bool write)
{
	struct copro_sim_sart_entry e;
	uint64_t n;

	if (len == 0)
		return 0;
	copro_mutex_lock(&s->lock);
	for (unsigned i = 0; i < SART_MAX_ENTRIES; i++) {
		decode(s, i, &e);
		if (entry_holds(&e, phys, len)) {
			copro_mutex_unlock(&s->lock);
			atomic_fetch_add_explicit(&s->allowed, 1,
						  memory_order_relaxed);
			return 0;
		}
	}
	copro_mutex_unlock(&s->lock);
	n = atomic_fetch_add_explicit(&s->blocked, 1, memory_order_relaxed) + 1;
	copro_dev_warn(&s->ld,
		       "blocked DMA %s of 0x%zx bytes at 0x%" PRIx64
		       "%s%s: not inside any allowed entry (%" PRIu64
		       " blocked so far)",
		       write ? "write" : "read", len, phys, who ? " by " : "",
		       who ? who : "", n);
	return -COPRO_EBUSFAULT;
}

int copro_sim_sart_check(struct copro_sim_sart *s, uint64_t phys, size_t len,
			 bool write)
{
	return check(s, NULL, phys, len, write);
}

int copro_sim_sart_dma_read(struct copro_sim_sart *s, const char *who,
			    uint64_t phys, void *dst, size_t len)
{
	int ret = check(s, who, phys, len, false);

	if (ret < 0)
		return ret;
	return copro_bus_dma_read(s->bus, who, phys, dst, len);
}

int copro_sim_sart_dma_write(struct copro_sim_sart *s, const char *who,
			     uint64_t phys, const void *src, size_t len)
{
	int ret = check(s, who, phys, len, true);

	if (ret < 0)
		return ret;
	return copro_bus_dma_write(s->bus, who, phys, src, len);
}

int copro_sim_sart_get_entry(struct copro_sim_sart *s, unsigned index,
			     struct copro_sim_sart_entry *out)
{
	if (index >= SART_MAX_ENTRIES)
		return -EINVAL;
	copro_mutex_lock(&s->lock);
	decode(s, index, out);
	copro_mutex_unlock(&s->lock);
	return 0;
}

/* ---- registers ------------------------------------------------------ */

static void bad_access(struct copro_sim_sart *s, const char *what,
		       uint64_t off, unsigned width)
{
	atomic_fetch_add_explicit(&s->bad_accesses, 1, memory_order_relaxed);
	copro_dev_warn(&s->ld, "bad %u-byte %s at offset 0x%" PRIx64
		       " (%s: 32-bit registers below 0x%" PRIx64 ")",
		       width, what, off, s->lay->name, s->lay->regs_size);
}

/*
 * The register an offset names and the bits it implements; NULL when
 * the layout has none there.
 */
static uint32_t *reg_at(struct copro_sim_sart *s, uint64_t off,
			uint32_t *mask)
{
	const struct sim_layout *l = s->lay;
	unsigned i = (unsigned)(off / 4) % SART_MAX_ENTRIES;

	if (off < SART_ADDR(0)) {
		*mask = l->split ? l->flags_mask : l->flags_mask | l->size_mask;
		return &s->cfg[i];
	}
	if (off < SART3_SIZE(0)) {
		*mask = l->addr_mask;
		return &s->addr[i];
	}
	if (l->split && off < l->regs_size) {
		*mask = l->size_mask;
		return &s->size3[i];
	}
	return NULL;
}

static uint64_t sart_read(void *ctx, uint64_t off, unsigned width)
{
	struct copro_sim_sart *s = ctx;
	uint32_t mask, v;
	uint32_t *reg;

	if (width != 4 || off >= s->lay->regs_size) {
		bad_access(s, "read", off, width);
		return 0;
	}
	copro_mutex_lock(&s->lock);
	reg = reg_at(s, off, &mask);
	v = *reg;
	copro_mutex_unlock(&s->lock);
	return v;
}

static void sart_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct copro_sim_sart *s = ctx;
	uint32_t mask;
	uint32_t *reg;

	if (width != 4 || off >= s->lay->regs_size) {
		bad_access(s, "write", off, width);
		return;
	}
	copro_mutex_lock(&s->lock);
	reg = reg_at(s, off, &mask);
	*reg = (uint32_t)val & mask;
	if (s->trace)
		s->trace(s->trace_ctx, off, (uint32_t)val);
	copro_mutex_unlock(&s->lock);
	atomic_fetch_add_explicit(&s->reg_writes, 1, memory_order_relaxed);
}

static const struct copro_mmio_ops sart_mmio_ops = {
	.read = sart_read,
	.write = sart_write,
};

/* ---- creation ------------------------------------------------------- */

static uint64_t cells64(const fdt32_t *c)
{
	return ((uint64_t)fdt32_to_cpu(c[0]) << 32) | fdt32_to_cpu(c[1]);
}

/* Checks one bootloader entry against the layout and programs it. */
static int boot_entry(struct copro_sim_sart *s, const char *path, int n,
		      const fdt32_t *c, uint32_t *seen)
{
	const struct sim_layout *l = s->lay;
	uint32_t index = fdt32_to_cpu(c[0]);
	uint64_t phys = cells64(c + 1), size = cells64(c + 3);
	uint32_t flags = fdt32_to_cpu(c[5]);
	const char *why = NULL;

	if (index >= SART_MAX_ENTRIES)
		why = "index beyond the 16 entries";
	else if (*seen & (1u << index))
		why = "index listed twice";
	else if ((phys | size) & (SART_GRANULE - 1))
		why = "address or size not 4 KiB aligned";
	else if ((phys >> SART_ADDR_SHIFT) > l->addr_mask)
		why = "address beyond the address space";
	else if ((size >> SART_SIZE_SHIFT) > l->size_mask)
		why = "size above the limit";
	else if (!flags)
		why = "flags zero: a disabled entry is no bootloader entry";
	else if (flags > (l->flags_mask >> l->flags_shift))
		why = "flags wider than the flags field";
	if (why) {
		copro_dev_err(&s->ld,
			      "%s: %s entry %d <%" PRIu32 " 0x%" PRIx64
			      " 0x%" PRIx64 " 0x%" PRIx32 ">: %s (%s)",
			      path, COPRO_SIM_SART_BOOT_ENTRIES, n, index,
			      phys, size, flags, why, l->name);
		return -EINVAL;
	}
	*seen |= 1u << index;
	s->addr[index] = (uint32_t)(phys >> SART_ADDR_SHIFT);
	if (l->split) {
		s->cfg[index] = flags;
		s->size3[index] = (uint32_t)(size >> SART_SIZE_SHIFT);
	} else {
		s->cfg[index] = (flags << l->flags_shift) |
				(uint32_t)(size >> SART_SIZE_SHIFT);
	}
	return 0;
}

static int load_boot_entries(struct copro_sim_sart *s,
			     const struct copro_dt *dt, const char *path)
{
	const fdt32_t *c;
	uint32_t seen = 0;
	int len, ret;

	c = fdt_getprop(copro_dt_blob(dt), s->node, COPRO_SIM_SART_BOOT_ENTRIES,
			&len);
	if (!c)
		return 0;
	if (len % (BOOT_ENTRY_CELLS * 4)) {
		copro_dev_err(&s->ld,
			      "%s: %s is %d bytes, not a list of <index addr_hi"
			      " addr_lo size_hi size_lo flags>",
			      path, COPRO_SIM_SART_BOOT_ENTRIES, len);
		return -EINVAL;
	}
	for (int n = 0; n < len / (BOOT_ENTRY_CELLS * 4); n++) {
		ret = boot_entry(s, path, n, c + n * BOOT_ENTRY_CELLS, &seen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int copro_sim_sart_create(struct copro_bus *bus, int node,
			  struct copro_sim_sart **out)
{
	const struct copro_dt *dt = copro_bus_dt(bus);
	struct copro_sim_sart *s;
	char path[256];
	const char *compat = NULL;
	int ret;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->bus = bus;
	s->node = node;
	atomic_init(&s->allowed, 0);
	atomic_init(&s->blocked, 0);
	atomic_init(&s->reg_writes, 0);
	atomic_init(&s->bad_accesses, 0);
	copro_logdev_init(&s->ld, copro_bus_log(bus), "sim:%s",
			  copro_dt_node_name(dt, node));
	copro_dt_node_path(dt, node, path, sizeof(path));

	s->lay = match_layout(dt, node);
	if (!s->lay) {
		compat = fdt_getprop(copro_dt_blob(dt), node, "compatible",
				     NULL);
		copro_dev_err(&s->ld,
			      "%s: %s: compatible \"%s\" is not a SART the"
			      " simulator models",
			      copro_dt_name(dt), path, compat ? compat : "");
		ret = -ENODEV;
		goto err_free;
	}
	ret = copro_dt_reg(dt, node, 0, &s->phys, &s->size);
	if (ret < 0) {
		copro_dev_err(&s->ld, "%s: %s: no usable reg: %s",
			      copro_dt_name(dt), path, copro_strerror(ret));
		goto err_free;
	}
	if (s->size < s->lay->regs_size) {
		copro_dev_err(&s->ld,
			      "%s: %s: reg size 0x%" PRIx64
			      " cannot hold the %s registers (0x%" PRIx64 ")",
			      copro_dt_name(dt), path, s->size, s->lay->name,
			      s->lay->regs_size);
		ret = -EINVAL;
		goto err_free;
	}
	ret = load_boot_entries(s, dt, path);
	if (ret < 0)
		goto err_free;
	ret = copro_mutex_init(&s->lock);
	if (ret < 0)
		goto err_free;

	snprintf(s->region_name, sizeof(s->region_name), "%s %s",
		 copro_dt_node_name(dt, node), s->lay->name);
	ret = copro_bus_add_mmio(bus, s->phys, s->size, &sart_mmio_ops, s,
				 s->region_name);
	if (ret < 0) {
		copro_dev_err(&s->ld,
			      "cannot add the registers at 0x%" PRIx64 ": %s",
			      s->phys, copro_strerror(ret));
		goto err_lock;
	}
	*out = s;
	return 0;

err_lock:
	copro_mutex_destroy(&s->lock);
err_free:
	free(s);
	return ret;
}

void copro_sim_sart_destroy(struct copro_sim_sart *s)
{
	if (!s)
		return;
	copro_bus_remove_mmio(s->bus, s->phys);
	copro_mutex_destroy(&s->lock);
	free(s);
}

int copro_sim_sart_node(const struct copro_sim_sart *s)
{
	return s->node;
}

const char *copro_sim_sart_name(const struct copro_sim_sart *s)
{
	return s->ld.name;
}

unsigned copro_sim_sart_version(const struct copro_sim_sart *s)
{
	return s->lay->version;
}

void copro_sim_sart_get_stats(struct copro_sim_sart *s,
			      struct copro_sim_sart_stats *out)
{
	out->allowed = atomic_load_explicit(&s->allowed, memory_order_relaxed);
	out->blocked = atomic_load_explicit(&s->blocked, memory_order_relaxed);
	out->reg_writes =
		atomic_load_explicit(&s->reg_writes, memory_order_relaxed);
	out->bad_accesses =
		atomic_load_explicit(&s->bad_accesses, memory_order_relaxed);
}

void copro_sim_sart_set_trace(struct copro_sim_sart *s,
			      copro_sim_sart_trace_fn fn, void *ctx)
{
	copro_mutex_lock(&s->lock);
	s->trace = fn;
	s->trace_ctx = ctx;
	copro_mutex_unlock(&s->lock);
}
