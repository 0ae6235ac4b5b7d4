// SPDX-License-Identifier: MIT
/*
 * MMIO on the emulated bus: models add register regions, drivers map
 * windows of them. Mapping looks the region up once and hands the front
 * end the model's handlers, so an access is a bounds check and a call,
 * with no lock and no lookup; a region that is plain memory hands out its
 * words as well, so an access is a bounds check and a load or store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_internal.h"

int copro_bus_mmio_init(struct copro_bus *bus)
{
	return copro_mutex_init(&bus->mmio.lock);
}

/* Frees a region with any handles drivers forgot to unmap. */
static void region_free(struct mmio_region *r)
{
	while (r->maps) {
		struct bus_map *h = r->maps;

		r->maps = h->next;
		free(h);
	}
	free(r);
}

void copro_bus_mmio_fini(struct copro_bus *bus)
{
	struct bus_mmio *m = &bus->mmio;

	for (size_t i = 0; i < m->n; i++) {
		copro_dev_err(&bus->ld,
			      "bus destroyed with MMIO region '%s' [0x%llx, +0x%llx) still on the bus (%u mappings)",
			      m->v[i]->name, (unsigned long long)m->v[i]->phys,
			      (unsigned long long)m->v[i]->size,
			      m->v[i]->mappings);
		region_free(m->v[i]);
	}
	free(m->v);
	while (m->removed) {
		struct mmio_region *r = m->removed;

		copro_dev_err(&bus->ld,
			      "bus destroyed with %u mappings of removed MMIO region '%s'",
			      r->mappings, r->name);
		m->removed = r->next;
		region_free(r);
	}
	copro_mutex_destroy(&m->lock);
}

/* Index of the first region ending above `phys` (regions are sorted). */
static size_t region_search(const struct bus_mmio *m, uint64_t phys)
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

static int add_region(struct copro_bus *bus, uint64_t phys, uint64_t size,
		      const struct copro_mmio_ops *ops, void *ctx, void *mem,
		      const char *name)
{
	struct bus_mmio *m = &bus->mmio;
	struct mmio_region *r;
	size_t i;
	int rc;

	if (!name)
		name = "?";
	if (!ops || !ops->read || !ops->write || !size ||
	    phys + size < phys) {
		copro_dev_err(&bus->ld,
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
				   .ctx = ctx, .mem = mem };
	snprintf(r->name, sizeof(r->name), "%s", name);

	copro_mutex_lock(&m->lock);
	i = region_search(m, phys);
	if (i < m->n && m->v[i]->phys < phys + size) {
		const struct mmio_region *o = m->v[i];

		copro_dev_err(&bus->ld,
			      "mmio: region '%s' [0x%llx, +0x%llx) overlaps region '%s' [0x%llx, +0x%llx)",
			      r->name, (unsigned long long)phys,
			      (unsigned long long)size, o->name,
			      (unsigned long long)o->phys,
			      (unsigned long long)o->size);
		rc = -EEXIST;
	} else {
		rc = copro_grow((void **)&m->v, &m->cap, m->n,
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

int copro_bus_add_mmio(struct copro_bus *bus, uint64_t phys, uint64_t size,
		       const struct copro_mmio_ops *ops, void *ctx,
		       const char *name)
{
	return add_region(bus, phys, size, ops, ctx, NULL, name);
}

int copro_bus_add_memory(struct copro_bus *bus, uint64_t phys, uint64_t size,
			 const struct copro_mmio_ops *ops, void *ctx,
			 void *words, const char *name)
{
	if (!words || (phys & 3) || (size & 3)) {
		copro_dev_err(&bus->ld,
			      "mmio: cannot add memory '%s' [0x%llx, +0x%llx): %s",
			      name ? name : "?", (unsigned long long)phys,
			      (unsigned long long)size,
			      words ? "not word aligned" : "no words");
		return -EINVAL;
	}
	return add_region(bus, phys, size, ops, ctx, words, name);
}

void copro_bus_remove_mmio(struct copro_bus *bus, uint64_t phys)
{
	struct bus_mmio *m = &bus->mmio;
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
			copro_dev_err(&bus->ld,
				      "mmio: region '%s' removed with %u live mappings (drivers must unmap first)",
				      r->name, r->mappings);
			r->next = m->removed;
			m->removed = r;
			r = NULL;
		}
	} else {
		copro_dev_err(&bus->ld, "mmio: no region starts at 0x%llx",
			      (unsigned long long)phys);
	}
	copro_mutex_unlock(&m->lock);
	free(r);
}

int bus_be_mmio_map(void *be, uint64_t phys, uint64_t size,
		    struct copro_mmio_window *w)
{
	struct copro_bus *bus = be;
	struct bus_mmio *m = &bus->mmio;
	struct bus_map *h;
	struct mmio_region *r = NULL;
	size_t i;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;

	copro_mutex_lock(&m->lock);
	i = region_search(m, phys);
	if (i < m->n && m->v[i]->phys <= phys &&
	    phys + size <= m->v[i]->phys + m->v[i]->size) {
		r = m->v[i];
		*h = (struct bus_map){ .region = r, .next = r->maps };
		if (r->maps)
			r->maps->prev = h;
		r->maps = h;
		r->mappings++;
		w->read = r->ops->read;
		w->write = r->ops->write;
		w->ctx = r->ctx;
		w->base = phys - r->phys;
		/* Plain memory: the front end may load and store it. */
		w->mem = r->mem;
		w->cookie = h;
		snprintf(w->name, sizeof(w->name), "%s", r->name);
	} else if (i < m->n && m->v[i]->phys < phys + size) {
		copro_dev_err(&bus->ld,
			      "mmio: cannot map [0x%llx, +0x%llx): not inside region '%s' [0x%llx, +0x%llx)",
			      (unsigned long long)phys, (unsigned long long)size,
			      m->v[i]->name, (unsigned long long)m->v[i]->phys,
			      (unsigned long long)m->v[i]->size);
	} else {
		copro_dev_err(&bus->ld,
			      "mmio: cannot map [0x%llx, +0x%llx): no device there",
			      (unsigned long long)phys, (unsigned long long)size);
	}
	copro_mutex_unlock(&m->lock);
	if (!r) {
		free(h);
		return -ENXIO;
	}
	return 0;
}

static bool unlink_removed(struct bus_mmio *m, struct mmio_region *r)
{
	for (struct mmio_region **pp = &m->removed; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return true;
		}
	}
	return false;
}

void bus_be_mmio_unmap(void *be, void *cookie)
{
	struct copro_bus *bus = be;
	struct bus_mmio *m = &bus->mmio;
	struct bus_map *h = cookie;
	struct mmio_region *r = h->region;

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

/* ---- raw accesses ---- */

static int raw_begin(struct copro_bus *bus, uint64_t phys, unsigned width,
		     const char *dir, struct copro_mmio_window *w)
{
	if ((width != 4 && width != 8) || (phys & (width - 1))) {
		copro_dev_err(&bus->ld,
			      "mmio: bus error: %u-byte %s at 0x%llx: %s", width,
			      dir, (unsigned long long)phys,
			      width != 4 && width != 8 ? "width must be 4 or 8"
						       : "misaligned");
		return -EINVAL;
	}
	return bus_be_mmio_map(bus, phys, width, w);
}

int copro_bus_read(struct copro_bus *bus, uint64_t phys, unsigned width,
		   uint64_t *val)
{
	struct copro_mmio_window w;
	int rc = raw_begin(bus, phys, width, "read", &w);

	*val = width == 4 ? UINT32_MAX : UINT64_MAX;
	if (rc)
		return rc;
	*val = w.read(w.ctx, w.base, width);
	bus_be_mmio_unmap(bus, w.cookie);
	return 0;
}

int copro_bus_write(struct copro_bus *bus, uint64_t phys, unsigned width,
		    uint64_t val)
{
	struct copro_mmio_window w;
	int rc = raw_begin(bus, phys, width, "write", &w);

	if (rc)
		return rc;
	w.write(w.ctx, w.base, val, width);
	bus_be_mmio_unmap(bus, w.cookie);
	return 0;
}
