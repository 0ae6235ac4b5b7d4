// SPDX-License-Identifier: MIT
/*
 * MMIO handles. Mapping asks the backend once for the window; the
 * accessors only bounds-check and call the window's handler, with no lock
 * and no lookup. A window that is plain memory (an SRAM) is loaded and
 * stored directly, as a CPU maps it: the same acquire/release words the
 * model uses, without the call.
 */
#include <errno.h>
#include <stdlib.h>

#include "copro/mmio_words.h"
#include "platform/platform_internal.h"

int copro_mmio_map(struct copro_platform *p, uint64_t phys, uint64_t size,
		   struct copro_mmio **out)
{
	struct copro_mmio *h;
	int rc;

	*out = NULL;
	if (!size || phys + size < phys) {
		copro_dev_err(&p->ld, "mmio: cannot map [0x%llx, +0x%llx): bad size",
			      (unsigned long long)phys, (unsigned long long)size);
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	rc = p->ops->mmio_map(p->be, phys, size, &h->w);
	if (rc) {
		free(h);
		return rc;
	}
	/* Words are indexed by offset / 4: only a word-aligned mapping. */
	if (h->w.mem && !((h->w.base | phys) & 3))
		h->mem = (_Atomic uint32_t *)h->w.mem + h->w.base / 4;
	h->phys = phys;
	h->size = size;
	h->p = p;
	copro_mutex_lock(&p->pr_lock);
	copro_plat_handle_add(p, &h->h, PH_MMIO);
	copro_mutex_unlock(&p->pr_lock);
	*out = h;
	return 0;
}

int copro_mmio_map_dt(struct copro_platform *p, int node, const char *name,
		      unsigned index, struct copro_mmio **out)
{
	uint64_t addr, size;
	int rc;

	*out = NULL;
	rc = name ? copro_dt_reg_by_name(p->dt, node, name, &addr, &size)
		  : copro_dt_reg(p->dt, node, index, &addr, &size);
	return rc ? rc : copro_mmio_map(p, addr, size, out);
}

void copro_mmio_unmap(struct copro_mmio *h)
{
	if (!h)
		return;
	copro_mutex_lock(&h->p->pr_lock);
	copro_plat_handle_del(h->p, &h->h);
	copro_mutex_unlock(&h->p->pr_lock);
	h->p->ops->mmio_unmap(h->p->be, h->w.cookie);
	free(h);
}

uint64_t copro_mmio_phys(const struct copro_mmio *h)
{
	return h->phys;
}

uint64_t copro_mmio_size(const struct copro_mmio *h)
{
	return h->size;
}

_Atomic uint32_t *copro_mmio_words(const struct copro_mmio *h)
{
	return h->mem;
}

/* ---- accessors ---- */

static bool bad_access(const struct copro_mmio *h, uint64_t off,
		       unsigned width)
{
	return off >= h->size || h->size - off < width ||
	       ((h->phys + off) & (width - 1));
}

static void report_bad(const struct copro_mmio *h, uint64_t off,
		       unsigned width, const char *dir)
{
	const char *why = off >= h->size || h->size - off < width
				  ? "outside the mapping"
				  : "misaligned";

	copro_dev_err(&h->p->ld,
		      "mmio: bus error: %u-byte %s at offset 0x%llx of '%s' mapping [0x%llx, +0x%llx): %s",
		      width, dir, (unsigned long long)off, h->w.name,
		      (unsigned long long)h->phys, (unsigned long long)h->size,
		      why);
}

/* Plain memory: a 64-bit access is the low word, then the high one. */
static uint64_t mem_read(const struct copro_mmio *h, uint64_t off,
			 unsigned width)
{
	uint64_t v = atomic_load_explicit(&h->mem[off / 4],
					  memory_order_acquire);

	if (width == 8)
		v |= (uint64_t)atomic_load_explicit(&h->mem[off / 4 + 1],
						    memory_order_acquire)
		     << 32;
	return v;
}

static void mem_write(const struct copro_mmio *h, uint64_t off, uint64_t val,
		      unsigned width)
{
	atomic_store_explicit(&h->mem[off / 4], (uint32_t)val,
			      memory_order_release);
	if (width == 8)
		atomic_store_explicit(&h->mem[off / 4 + 1],
				      (uint32_t)(val >> 32),
				      memory_order_release);
}

uint32_t copro_readl(const struct copro_mmio *h, uint64_t off)
{
	if (__builtin_expect(bad_access(h, off, 4), 0)) {
		report_bad(h, off, 4, "read");
		return UINT32_MAX;
	}
	if (h->mem)
		return (uint32_t)mem_read(h, off, 4);
	return (uint32_t)h->w.read(h->w.ctx, h->w.base + off, 4);
}

void copro_writel(const struct copro_mmio *h, uint64_t off, uint32_t val)
{
	if (__builtin_expect(bad_access(h, off, 4), 0)) {
		report_bad(h, off, 4, "write");
		return;
	}
	if (h->mem)
		mem_write(h, off, val, 4);
	else
		h->w.write(h->w.ctx, h->w.base + off, val, 4);
}

uint64_t copro_readq(const struct copro_mmio *h, uint64_t off)
{
	if (__builtin_expect(bad_access(h, off, 8), 0)) {
		report_bad(h, off, 8, "read");
		return UINT64_MAX;
	}
	if (h->mem)
		return mem_read(h, off, 8);
	return h->w.read(h->w.ctx, h->w.base + off, 8);
}

void copro_writeq(const struct copro_mmio *h, uint64_t off, uint64_t val)
{
	if (__builtin_expect(bad_access(h, off, 8), 0)) {
		report_bad(h, off, 8, "write");
		return;
	}
	if (h->mem)
		mem_write(h, off, val, 8);
	else
		h->w.write(h->w.ctx, h->w.base + off, val, 8);
}
