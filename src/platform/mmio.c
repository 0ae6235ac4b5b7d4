// SPDX-License-Identifier: MIT
/*
 * MMIO on the emulated bus: models add register regions, drivers map
 * windows of them. Mapping looks the region up once; the accessors only
 * bounds-check and call the model, with no lock and no lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform_internal.h"

int copro_plat_mmio_init(struct copro_platform *p)
{
	return copro_mutex_init(&p->mmio.lock);
}

/* Frees a region with any handles drivers forgot to unmap. */
static void region_free(struct mmio_region *r)
{
	while (r->maps) {
		struct copro_mmio *h = r->maps;

		r->maps = h->next;
		free(h);
	}
	free(r);
}

void copro_plat_mmio_fini(struct copro_platform *p)
{
	struct platform_mmio *m = &p->mmio;

	for (size_t i = 0; i < m->n; i++) {
		copro_dev_err(&p->ld,
			      "platform destroyed with MMIO region '%s' [0x%llx, +0x%llx) still on the bus (%u mappings)",
			      m->v[i]->name, (unsigned long long)m->v[i]->phys,
			      (unsigned long long)m->v[i]->size,
			      m->v[i]->mappings);
		region_free(m->v[i]);
	}
	free(m->v);
	while (m->removed) {
		struct mmio_region *r = m->removed;

		copro_dev_err(&p->ld,
			      "platform destroyed with %u mappings of removed MMIO region '%s'",
			      r->mappings, r->name);
		m->removed = r->next;
		region_free(r);
	}
	copro_mutex_destroy(&m->lock);
}

/* Index of the first region ending above `phys` (regions are sorted). */
static size_t region_search(const struct platform_mmio *m, uint64_t phys)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid]->phys + m->v[mid]->size <= phys)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int copro_bus_add_mmio(struct copro_platform *p, uint64_t phys, uint64_t size,
		       const struct copro_mmio_ops *ops, void *ctx,
		       const char *name)
{
	struct platform_mmio *m = &p->mmio;
	struct mmio_region *r;
	size_t i;
	int rc;

	if (!name)
		name = "?";
	if (!ops || !ops->read || !ops->write || !size ||
	    phys + size < phys) {
		copro_dev_err(&p->ld,
			      "mmio: cannot add region '%s' [0x%llx, +0x%llx): %s",
			      name, (unsigned long long)phys,
			      (unsigned long long)size,
			      size && phys + size >= phys ? "no read/write handlers"
							  : "bad size");
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (struct mmio_region){ .phys = phys, .size = size, .ops = ops,
				   .ctx = ctx };
	snprintf(r->name, sizeof(r->name), "%s", name);

	copro_mutex_lock(&m->lock);
	i = region_search(m, phys);
	if (i < m->n && m->v[i]->phys < phys + size) {
		const struct mmio_region *o = m->v[i];

		copro_dev_err(&p->ld,
			      "mmio: region '%s' [0x%llx, +0x%llx) overlaps region '%s' [0x%llx, +0x%llx)",
			      r->name, (unsigned long long)phys,
			      (unsigned long long)size, o->name,
			      (unsigned long long)o->phys,
			      (unsigned long long)o->size);
		rc = -EEXIST;
	} else {
		rc = copro_plat_grow((void **)&m->v, &m->cap, m->n,
				     sizeof(*m->v));
	}
	if (!rc) {
		memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*m->v));
		m->v[i] = r;
		m->n++;
	}
	copro_mutex_unlock(&m->lock);
	if (rc)
		free(r);
	return rc;
}

void copro_bus_remove_mmio(struct copro_platform *p, uint64_t phys)
{
	struct platform_mmio *m = &p->mmio;
	struct mmio_region *r = NULL;
	size_t i;

	copro_mutex_lock(&m->lock);
	i = region_search(m, phys);
	if (i < m->n && m->v[i]->phys == phys) {
		r = m->v[i];
		memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
		m->n--;
		if (r->mappings) {
			/*
			 * A driver still holds a mapping: its next access
			 * would call into a model that is going away. Say so
			 * loudly; keep the region so its unmap stays safe.
			 */
			copro_dev_err(&p->ld,
				      "mmio: region '%s' removed with %u live mappings (drivers must unmap first)",
				      r->name, r->mappings);
			r->next = m->removed;
			m->removed = r;
			r = NULL;
		}
	} else {
		copro_dev_err(&p->ld, "mmio: no region starts at 0x%llx",
			      (unsigned long long)phys);
	}
	copro_mutex_unlock(&m->lock);
	free(r);
}

int copro_mmio_map(struct copro_platform *p, uint64_t phys, uint64_t size,
		   struct copro_mmio **out)
{
	struct platform_mmio *m = &p->mmio;
	struct copro_mmio *h;
	struct mmio_region *r = NULL;
	size_t i;

	*out = NULL;
	if (!size || phys + size < phys) {
		copro_dev_err(&p->ld, "mmio: cannot map [0x%llx, +0x%llx): bad size",
			      (unsigned long long)phys, (unsigned long long)size);
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;

	copro_mutex_lock(&m->lock);
	i = region_search(m, phys);
	if (i < m->n && m->v[i]->phys <= phys &&
	    phys + size <= m->v[i]->phys + m->v[i]->size) {
		r = m->v[i];
		*h = (struct copro_mmio){ .ops = r->ops, .ctx = r->ctx,
					  .offset = phys - r->phys,
					  .size = size, .phys = phys,
					  .region = r, .p = p,
					  .next = r->maps };
		if (r->maps)
			r->maps->prev = h;
		r->maps = h;
		r->mappings++;
	} else if (i < m->n && m->v[i]->phys < phys + size) {
		copro_dev_err(&p->ld,
			      "mmio: cannot map [0x%llx, +0x%llx): not inside region '%s' [0x%llx, +0x%llx)",
			      (unsigned long long)phys, (unsigned long long)size,
			      m->v[i]->name, (unsigned long long)m->v[i]->phys,
			      (unsigned long long)m->v[i]->size);
	} else {
		copro_dev_err(&p->ld,
			      "mmio: cannot map [0x%llx, +0x%llx): no device there",
			      (unsigned long long)phys, (unsigned long long)size);
	}
	copro_mutex_unlock(&m->lock);
	if (!r) {
		free(h);
		return -ENXIO;
	}
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

static bool unlink_removed(struct platform_mmio *m, struct mmio_region *r)
{
	for (struct mmio_region **pp = &m->removed; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return true;
		}
	}
	return false;
}

void copro_mmio_unmap(struct copro_mmio *h)
{
	struct platform_mmio *m;
	struct mmio_region *r;

	if (!h)
		return;
	m = &h->p->mmio;
	r = h->region;
	copro_mutex_lock(&m->lock);
	if (h->prev)
		h->prev->next = h->next;
	else
		r->maps = h->next;
	if (h->next)
		h->next->prev = h->prev;
	/* The last unmap of a region removed too early frees it. */
	if (--r->mappings || !unlink_removed(m, r))
		r = NULL;
	copro_mutex_unlock(&m->lock);
	free(h);
	free(r);
}

uint64_t copro_mmio_phys(const struct copro_mmio *h)
{
	return h->phys;
}

uint64_t copro_mmio_size(const struct copro_mmio *h)
{
	return h->size;
}

/* ---- accessors ---- */

static bool bad_access(const struct copro_mmio *h, uint64_t off,
		       unsigned width)
{
	return off >= h->size || h->size - off < width ||
	       ((h->offset + off) & (width - 1));
}

static void report_bad(const struct copro_mmio *h, uint64_t off,
		       unsigned width, const char *dir)
{
	const char *why = off >= h->size || h->size - off < width
				  ? "outside the mapping"
				  : "misaligned";

	copro_dev_err(&h->p->ld,
		      "mmio: bus error: %u-byte %s at offset 0x%llx of '%s' mapping [0x%llx, +0x%llx): %s",
		      width, dir, (unsigned long long)off,
		      h->region->name, (unsigned long long)h->phys,
		      (unsigned long long)h->size, why);
}

uint32_t copro_readl(const struct copro_mmio *h, uint64_t off)
{
	if (__builtin_expect(bad_access(h, off, 4), 0)) {
		report_bad(h, off, 4, "read");
		return UINT32_MAX;
	}
	return (uint32_t)h->ops->read(h->ctx, h->offset + off, 4);
}

void copro_writel(const struct copro_mmio *h, uint64_t off, uint32_t val)
{
	if (__builtin_expect(bad_access(h, off, 4), 0)) {
		report_bad(h, off, 4, "write");
		return;
	}
	h->ops->write(h->ctx, h->offset + off, val, 4);
}

uint64_t copro_readq(const struct copro_mmio *h, uint64_t off)
{
	if (__builtin_expect(bad_access(h, off, 8), 0)) {
		report_bad(h, off, 8, "read");
		return UINT64_MAX;
	}
	return h->ops->read(h->ctx, h->offset + off, 8);
}

void copro_writeq(const struct copro_mmio *h, uint64_t off, uint64_t val)
{
	if (__builtin_expect(bad_access(h, off, 8), 0)) {
		report_bad(h, off, 8, "write");
		return;
	}
	h->ops->write(h->ctx, h->offset + off, val, 8);
}
