// SPDX-License-Identifier: MIT
/*
 * Emulated physical memory. Every buffer a driver allocates or registers
 * gets a physical address in the board's DRAM window (the /memory node);
 * models translate addresses back through a sorted range table, and an
 * access that does not fall inside one buffer is a bus fault.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <libfdt.h>

#include "bus_internal.h"

#define PAGE_MASK ((uint64_t)COPRO_PAGE_SIZE - 1)

/*
 * Freed allocations of up to DMA_CACHE_MAX_LEN are kept (up to
 * BUS_DMA_CACHE_SLOTS of them) and handed out again, zeroed, for the same
 * length. Memory the process has not touched costs a page fault per page
 * on first touch, about 12 us each on the development VM: an RTKit boot
 * paid 60-120 us for each 16 KiB shared buffer, since the allocator
 * seldom gave back the pages it had just been given back (page-aligned
 * requests from another thread's arena). Real DMA allocators draw from
 * pools as well. Not under AddressSanitizer, which should see a freed
 * buffer as freed.
 */
#define DMA_CACHE_MAX_LEN (256u * 1024)
#if defined(__SANITIZE_ADDRESS__)
#define DMA_CACHE_ON 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DMA_CACHE_ON 0
#endif
#endif
#ifndef DMA_CACHE_ON
#define DMA_CACHE_ON 1
#endif

static uint64_t page_down(uint64_t v)
{
	return v & ~PAGE_MASK;
}

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE_MASK) & ~PAGE_MASK;
}

int copro_bus_dma_init(struct copro_bus *bus)
{
	struct bus_dma *d = &bus->dma;
	uint64_t base, size;
	int node, rc;

	atomic_init(&d->faults, 0);
	atomic_init(&d->seq.seq, 0);
	atomic_init(&d->gen, 1);
	/*
	 * A board without /memory (a mailbox-only test board) still has
	 * MMIO and interrupts; its first DMA allocation fails instead.
	 */
	node = fdt_path_offset(copro_dt_blob(bus->dt), "/memory");
	if (node < 0)
		return copro_rwlock_init(&d->lock);
	rc = copro_dt_reg(bus->dt, node, 0, &base, &size);
	if (rc)
		return rc;
	/* copro_dt_reg has ruled out wrapping; page_up must not wrap either. */
	d->base = page_up(base);
	d->end = page_down(base + size);
	if (d->base < base || d->base >= d->end) {
		copro_dev_err(&bus->ld,
			      "dma: /memory reg [0x%llx, +0x%llx) holds no whole page",
			      (unsigned long long)base, (unsigned long long)size);
		return -EINVAL;
	}
	return copro_rwlock_init(&d->lock);
}

/* A kept allocation of exactly len bytes, or NULL. */
static void *dma_cache_take(struct bus_dma *d, uint64_t len)
{
	void *cpu = NULL;

	if (!DMA_CACHE_ON)
		return NULL;
	copro_rwlock_wrlock(&d->lock);
	for (unsigned i = 0; i < d->ncache; i++) {
		if (d->cache_len[i] != len)
			continue;
		cpu = d->cache[i];
		d->ncache--;
		d->cache[i] = d->cache[d->ncache];
		d->cache_len[i] = d->cache_len[d->ncache];
		break;
	}
	copro_rwlock_unlock(&d->lock);
	return cpu;
}

/* Keeps a freed allocation for reuse, or frees it. */
static void dma_cache_put(struct bus_dma *d, void *cpu, uint64_t len)
{
	if (DMA_CACHE_ON && len <= DMA_CACHE_MAX_LEN) {
		copro_rwlock_wrlock(&d->lock);
		if (d->ncache < BUS_DMA_CACHE_SLOTS) {
			d->cache[d->ncache] = cpu;
			d->cache_len[d->ncache++] = len;
			cpu = NULL;
		}
		copro_rwlock_unlock(&d->lock);
	}
	free(cpu);
}

/* Page-aligned, zeroed, len a multiple of the page size. */
static void *dma_memory(struct bus_dma *d, uint64_t len)
{
	void *cpu = dma_cache_take(d, len);

	if (!cpu)
		cpu = aligned_alloc(COPRO_PAGE_SIZE, len);
	if (cpu)
		memset(cpu, 0, len);
	return cpu;
}

void copro_bus_dma_fini(struct copro_bus *bus)
{
	struct bus_dma *d = &bus->dma;

	for (size_t i = 0; i < d->n; i++) {
		copro_dev_err(&bus->ld,
			      "bus destroyed with DMA buffer [0x%llx, +0x%llx) still %s",
			      (unsigned long long)d->v[i].phys,
			      (unsigned long long)d->v[i].size,
			      d->v[i].owned ? "allocated" : "registered");
		if (d->v[i].mapped)
			munmap(d->v[i].cpu, page_up(d->v[i].size));
		else if (d->v[i].owned)
			free(d->v[i].cpu);
	}
	free(d->v);
	for (size_t i = 0; i < d->nretired; i++)
		free(d->retired[i]);
	free(d->retired);
	for (unsigned i = 0; i < d->ncache; i++)
		free(d->cache[i]);
	copro_rwlock_destroy(&d->lock);
}

/* ---- the range table (see bus_internal.h) ---- */

static void range_store(struct dma_range *dst, const struct dma_range *r)
{
	__atomic_store_n(&dst->phys, r->phys, __ATOMIC_RELAXED);
	__atomic_store_n(&dst->size, r->size, __ATOMIC_RELAXED);
	__atomic_store_n(&dst->cpu, r->cpu, __ATOMIC_RELAXED);
	__atomic_store_n(&dst->owned, r->owned, __ATOMIC_RELAXED);
	__atomic_store_n(&dst->mapped, r->mapped, __ATOMIC_RELAXED);
}

static void range_load(const struct dma_range *src, struct dma_range *r)
{
	r->phys = __atomic_load_n(&src->phys, __ATOMIC_RELAXED);
	r->size = __atomic_load_n(&src->size, __ATOMIC_RELAXED);
	r->cpu = __atomic_load_n(&src->cpu, __ATOMIC_RELAXED);
	r->owned = __atomic_load_n(&src->owned, __ATOMIC_RELAXED);
	r->mapped = __atomic_load_n(&src->mapped, __ATOMIC_RELAXED);
}

/*
 * lock held, after a change: hints filled before it no longer stand. A
 * removal's count is stored before its buffer can be freed (by the
 * caller, after this returns), so a hint checked against a count still
 * current names memory not yet given back.
 */
static void ranges_changed(struct bus_dma *d)
{
	atomic_store_explicit(&d->gen,
			      atomic_load_explicit(&d->gen, memory_order_relaxed) + 1,
			      memory_order_release);
}

/* lock held: room for one more, the outgrown array retired, not freed. */
static int ranges_reserve(struct bus_dma *d)
{
	struct dma_range *nv;
	size_t ncap;
	void **nr;

	if (d->n < d->cap)
		return 0;
	ncap = d->cap ? d->cap * 2 : 8;
	nv = calloc(ncap, sizeof(*nv));
	nr = realloc(d->retired, (d->nretired + 1) * sizeof(*nr));
	if (!nv || !nr) {
		free(nv);
		if (nr)
			d->retired = nr;
		return -ENOMEM;
	}
	d->retired = nr;
	for (size_t i = 0; i < d->n; i++)
		nv[i] = d->v[i];
	if (d->v)
		d->retired[d->nretired++] = d->v;
	/*
	 * Readers see either array whole (the new one is filled first), and
	 * the swap moves the sequence count: a reader that saw it unmoved
	 * has an entry count that fits the array it loaded.
	 */
	copro_seq_write_begin(&d->seq);
	__atomic_store_n(&d->v, nv, __ATOMIC_RELEASE);
	copro_seq_write_end(&d->seq);
	d->cap = ncap;
	return 0;
}

/* lock held, room reserved: r goes in at index i. */
static void ranges_insert(struct bus_dma *d, size_t i,
			  const struct dma_range *r)
{
	copro_seq_write_begin(&d->seq);
	for (size_t j = d->n; j > i; j--)
		range_store(&d->v[j], &d->v[j - 1]);
	range_store(&d->v[i], r);
	__atomic_store_n(&d->n, d->n + 1, __ATOMIC_RELAXED);
	copro_seq_write_end(&d->seq);
	ranges_changed(d);
}

/* lock held: the range at index i goes. */
static void ranges_remove(struct bus_dma *d, size_t i)
{
	copro_seq_write_begin(&d->seq);
	for (size_t j = i; j + 1 < d->n; j++)
		range_store(&d->v[j], &d->v[j + 1]);
	__atomic_store_n(&d->n, d->n - 1, __ATOMIC_RELAXED);
	copro_seq_write_end(&d->seq);
	ranges_changed(d);
}

/*
 * The range holding `phys`, without the lock: a consistent snapshot of
 * the table at some instant, as the locked lookup gave (the memory may
 * go the next instant either way: freeing a buffer a device still uses
 * is the driver's bug, whichever way the table is read).
 */
static bool ranges_find(struct bus_dma *d, uint64_t phys, struct dma_range *out)
{
	for (;;) {
		uint32_t s = copro_seq_read_begin(&d->seq);
		const struct dma_range *v;
		size_t lo = 0, hi;
		bool found = false;

		v = __atomic_load_n(&d->v, __ATOMIC_ACQUIRE);
		hi = __atomic_load_n(&d->n, __ATOMIC_RELAXED);
		/*
		 * The array and the count from one moment, before the search
		 * indexes the one with the other: an array outgrown meanwhile
		 * is shorter than the new count.
		 */
		if (copro_seq_read_retry(&d->seq, s))
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (__atomic_load_n(&v[mid].phys, __ATOMIC_RELAXED) <= phys)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0) {
			range_load(&v[lo - 1], out);
			found = phys - out->phys < out->size;
		}
		if (!copro_seq_read_retry(&d->seq, s))
			return found;
	}
}

/* Index of the first range starting above `phys`. */
static size_t upper_bound(const struct bus_dma *d, uint64_t phys)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->v[mid].phys <= phys)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First fit of `len` bytes (a page multiple) in the DRAM window. */
static int find_gap(const struct bus_dma *d, uint64_t len, uint64_t *out)
{
	uint64_t cursor = d->base;

	for (size_t i = 0; i < d->n; i++) {
		uint64_t lo = page_down(d->v[i].phys);

		if (lo >= cursor && lo - cursor >= len)
			break;
		if (page_up(d->v[i].phys + d->v[i].size) > cursor)
			cursor = page_up(d->v[i].phys + d->v[i].size);
	}
	if (cursor > d->end || d->end - cursor < len)
		return -ENOMEM;
	*out = cursor;
	return 0;
}

static int dma_no_room(struct copro_bus *bus, uint64_t len)
{
	if (bus->dma.base == bus->dma.end) {
		copro_dev_err(&bus->ld,
			      "dma: the board has no /memory node, so there is no DRAM window for DMA buffers");
		return -ENOMEM;
	}
	copro_dev_err(&bus->ld,
		      "dma: no room for 0x%llx bytes in the DRAM window [0x%llx, 0x%llx)",
		      (unsigned long long)len, (unsigned long long)bus->dma.base,
		      (unsigned long long)bus->dma.end);
	return -ENOMEM;
}

/* Places a buffer of `size` bytes starting `off` into its first page. */
static int dma_insert(struct copro_bus *bus, unsigned char *cpu,
		      uint64_t off, uint64_t size, bool owned, uint64_t *phys)
{
	struct bus_dma *d = &bus->dma;
	uint64_t base, len = page_up(off + size);
	size_t i;
	int rc;

	if (len < size) {
		copro_dev_err(&bus->ld, "dma: a buffer of 0x%llx bytes cannot have an address",
			      (unsigned long long)size);
		return -EINVAL;
	}
	copro_rwlock_wrlock(&d->lock);
	rc = find_gap(d, len, &base);
	if (!rc)
		rc = ranges_reserve(d);
	if (!rc) {
		i = upper_bound(d, base + off);
		ranges_insert(d, i, &(struct dma_range){ base + off, size, cpu,
							 owned, false });
		*phys = base + off;
	}
	copro_rwlock_unlock(&d->lock);
	return rc == -ENOMEM ? dma_no_room(bus, len) : rc;
}

int bus_be_dma_alloc(void *be, size_t size, struct copro_dma_buf *out)
{
	struct copro_bus *bus = be;
	unsigned char *cpu;
	uint64_t phys, len = page_up(size);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!size || len < size) {
		copro_dev_err(&bus->ld, "dma: cannot allocate a buffer of 0x%zx bytes",
			      size);
		return -EINVAL;
	}
	if (len > bus->dma.end - bus->dma.base)
		return dma_no_room(bus, len);
	cpu = dma_memory(&bus->dma, len);
	if (!cpu)
		return -ENOMEM;
	rc = dma_insert(bus, cpu, 0, len, true, &phys);
	if (rc) {
		dma_cache_put(&bus->dma, cpu, len);
		return rc;
	}
	*out = (struct copro_dma_buf){ cpu, phys, size };
	return 0;
}

/* Does [lo, hi) overlap a buffer's pages? d->lock held. */
static bool dma_overlaps(const struct bus_dma *d, uint64_t lo,
			 uint64_t hi)
{
	for (size_t i = 0; i < d->n; i++) {
		uint64_t a = page_down(d->v[i].phys);
		uint64_t b = page_up(d->v[i].phys + d->v[i].size);

		if (a < hi && lo < b)
			return true;
	}
	return false;
}

/*
 * [phys, phys + size) at exactly phys, backed by `cpu` (NULL: allocated
 * here), which must then hold page_up(size) bytes.
 */
static int dma_add_at(struct copro_bus *bus, uint64_t phys, size_t size,
		      unsigned char *cpu, struct copro_dma_buf *out)
{
	struct bus_dma *d = &bus->dma;
	uint64_t len = page_up(size);
	bool mapped = cpu != NULL;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!size || len < size || (phys & PAGE_MASK)) {
		copro_dev_err(&bus->ld,
			      "dma: cannot allocate 0x%zx bytes at 0x%llx: %s",
			      size, (unsigned long long)phys,
			      (phys & PAGE_MASK) ? "address not page aligned"
						 : "bad size");
		return -EINVAL;
	}
	if (phys < d->base || phys >= d->end || len > d->end - phys) {
		copro_dev_err(&bus->ld,
			      "dma: [0x%llx, +0x%llx) is outside the DRAM window [0x%llx, 0x%llx)",
			      (unsigned long long)phys, (unsigned long long)len,
			      (unsigned long long)d->base,
			      (unsigned long long)d->end);
		return -EINVAL;
	}
	if (!mapped) {
		cpu = dma_memory(d, len);
		if (!cpu)
			return -ENOMEM;
	}
	copro_rwlock_wrlock(&d->lock);
	if (dma_overlaps(d, phys, phys + len))
		rc = -EBUSY;
	if (!rc)
		rc = ranges_reserve(d);
	if (!rc) {
		i = upper_bound(d, phys);
		ranges_insert(d, i, &(struct dma_range){ phys, len, cpu, true,
							 mapped });
	}
	copro_rwlock_unlock(&d->lock);
	if (rc) {
		if (rc == -EBUSY)
			copro_dev_err(&bus->ld,
				      "dma: [0x%llx, +0x%llx) overlaps a buffer that exists",
				      (unsigned long long)phys,
				      (unsigned long long)len);
		if (!mapped)
			dma_cache_put(d, cpu, len);
		return rc;
	}
	*out = (struct copro_dma_buf){ cpu, phys, size };
	return 0;
}

int bus_be_dma_alloc_at(void *be, uint64_t phys, size_t size,
			struct copro_dma_buf *out)
{
	return dma_add_at(be, phys, size, NULL, out);
}

static void range_release(struct bus_dma *d, const struct dma_range *r)
{
	if (r->mapped)
		munmap(r->cpu, page_up(r->size));
	else
		dma_cache_put(d, r->cpu, page_up(r->size));
}

/* Removes the range starting exactly at phys; returns it in *r. */
static int dma_remove(struct copro_bus *bus, uint64_t phys, bool owned,
		      const void *cpu, struct dma_range *r)
{
	struct bus_dma *d = &bus->dma;
	size_t i;
	int rc = -ENOENT;

	copro_rwlock_wrlock(&d->lock);
	i = upper_bound(d, phys);
	if (i > 0 && d->v[i - 1].phys == phys && d->v[i - 1].owned == owned &&
	    (!cpu || d->v[i - 1].cpu == cpu)) {
		*r = d->v[i - 1];
		ranges_remove(d, i - 1);
		rc = 0;
	}
	copro_rwlock_unlock(&d->lock);
	if (rc)
		copro_dev_err(&bus->ld, "dma: no %s buffer at 0x%llx to %s",
			      owned ? "allocated" : "registered",
			      (unsigned long long)phys,
			      owned ? "free" : "unregister");
	return rc;
}

void bus_be_dma_free(void *be, const struct copro_dma_buf *buf)
{
	struct dma_range r;

	if (!dma_remove(be, buf->phys, true, buf->cpu, &r))
		range_release(&((struct copro_bus *)be)->dma, &r);
}

int bus_be_dma_register(void *be, void *ptr, size_t size, uint64_t *phys)
{
	struct copro_bus *bus = be;

	if (!ptr || !size) {
		copro_dev_err(&bus->ld, "dma: cannot register %zu bytes at %p",
			      size, ptr);
		return -EINVAL;
	}
	/* Keep the in-page offset, as an IOMMU mapping of that page would. */
	return dma_insert(bus, ptr, (uintptr_t)ptr & PAGE_MASK, size, false,
			  phys);
}

int bus_be_dma_unregister(void *be, uint64_t phys)
{
	struct dma_range r;

	return dma_remove(be, phys, false, NULL, &r);
}

/* ---- the device's view ---- */

/*
 * The lookup in the table, and the fault when there is no buffer. Out of
 * line, so the hint's hit (below) costs a dozen instructions, not this
 * function's frame.
 */
static __attribute__((noinline)) int
dma_map_lookup(struct copro_bus *bus, const char *who, uint64_t phys,
	       size_t len, void **ptr, struct copro_bus_dma_hint *hint,
	       uint64_t gen)
{
	struct bus_dma *d = &bus->dma;
	struct dma_range r = { 0 };
	bool found, ok = false;

	found = ranges_find(d, phys, &r);
	if (found)
		ok = len <= r.size - (phys - r.phys);

	if (ok) {
		/* The count read before the lookup: a change between the two
		 * leaves the hint stale, never wrong. */
		if (hint)
			*hint = (struct copro_bus_dma_hint){ gen, r.phys, r.size,
							     r.cpu };
		*ptr = r.cpu + (phys - r.phys);
		return 0;
	}
	*ptr = NULL;
	atomic_fetch_add(&d->faults, 1);
	if (atomic_load_explicit(&bus->observed, memory_order_acquire) &&
	    bus->obs.dma_fault)
		bus->obs.dma_fault(bus->obs.ctx, who, phys, len);
	if (found)
		copro_dev_err(&bus->ld,
			      "dma: bus fault: %s accessed [0x%llx, +0x%zx), which runs past the end of the buffer [0x%llx, +0x%llx)",
			      who ? who : "a device", (unsigned long long)phys,
			      len, (unsigned long long)r.phys,
			      (unsigned long long)r.size);
	else
		copro_dev_err(&bus->ld,
			      "dma: bus fault: %s accessed [0x%llx, +0x%zx), which is not in any DMA buffer",
			      who ? who : "a device", (unsigned long long)phys,
			      len);
	return -COPRO_EBUSFAULT;
}

int copro_bus_dma_map_hint(struct copro_bus *bus, const char *who,
			   uint64_t phys, size_t len, void **ptr,
			   struct copro_bus_dma_hint *hint)
{
	uint64_t gen = 0;

	if (hint) {
		gen = atomic_load_explicit(&bus->dma.gen, memory_order_acquire);
		if (hint->gen == gen && phys - hint->phys < hint->size &&
		    len <= hint->size - (phys - hint->phys)) {
			*ptr = hint->cpu + (phys - hint->phys);
			return 0;
		}
	}
	return dma_map_lookup(bus, who, phys, len, ptr, hint, gen);
}

int copro_bus_dma_map(struct copro_bus *bus, const char *who,
		      uint64_t phys, size_t len, void **ptr)
{
	return copro_bus_dma_map_hint(bus, who, phys, len, ptr, NULL);
}

int copro_bus_dma_read_hint(struct copro_bus *bus, const char *who,
			    uint64_t phys, void *dst, size_t len,
			    struct copro_bus_dma_hint *hint)
{
	void *src;
	int rc = copro_bus_dma_map_hint(bus, who, phys, len, &src, hint);

	if (!rc && len)
		memcpy(dst, src, len);
	return rc;
}

int copro_bus_dma_read(struct copro_bus *bus, const char *who,
		       uint64_t phys, void *dst, size_t len)
{
	return copro_bus_dma_read_hint(bus, who, phys, dst, len, NULL);
}

int copro_bus_dma_write(struct copro_bus *bus, const char *who,
			uint64_t phys, const void *src, size_t len)
{
	void *dst;
	int rc = copro_bus_dma_map(bus, who, phys, len, &dst);

	if (!rc && len)
		memcpy(dst, src, len);
	return rc;
}

uint64_t copro_bus_dma_faults(const struct copro_bus *bus)
{
	return atomic_load(&((struct copro_bus *)bus)->dma.faults);
}

/* ---- the raw-bus API's memory ---- */

/* Host memory at virtual address == phys, or -EADDRNOTAVAIL. */
static int map_identity(struct copro_bus *bus, uint64_t phys, uint64_t len,
			unsigned char **cpu)
{
	void *want = (void *)(uintptr_t)phys;
	void *p = MAP_FAILED;

	if ((uint64_t)(uintptr_t)want == phys)
		p = mmap(want, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			 0);
	if (p != MAP_FAILED && p != want) { /* a kernel without NOREPLACE */
		munmap(p, len);
		p = MAP_FAILED;
	}
	if (p == MAP_FAILED) {
		copro_dev_err(&bus->ld,
			      "dma: cannot map [0x%llx, +0x%llx) at the same host address: %s",
			      (unsigned long long)phys, (unsigned long long)len,
			      strerror(errno));
		return -EADDRNOTAVAIL;
	}
	*cpu = p;
	return 0;
}

int copro_raw_dma_alloc(struct copro_bus *bus, uint64_t phys, size_t size,
			unsigned flags, struct copro_raw_dma *out)
{
	struct copro_dma_buf b;
	unsigned char *cpu = NULL;
	uint64_t len = page_up(size);
	int rc;

	memset(out, 0, sizeof(*out));
	if (flags & ~COPRO_RAW_DMA_IDENTITY) {
		copro_dev_err(&bus->ld, "dma: unknown flags 0x%x", flags);
		return -EINVAL;
	}
	if (!(flags & COPRO_RAW_DMA_IDENTITY)) {
		rc = phys ? bus_be_dma_alloc_at(bus, phys, size, &b)
			  : bus_be_dma_alloc(bus, size, &b);
	} else {
		if (!size || len < size)
			return -EINVAL;
		if (!phys) {
			copro_rwlock_rdlock(&bus->dma.lock);
			rc = find_gap(&bus->dma, len, &phys);
			copro_rwlock_unlock(&bus->dma.lock);
			if (rc)
				return dma_no_room(bus, len);
		}
		if (phys & PAGE_MASK)
			return dma_add_at(bus, phys, size, NULL, &b); /* logs */
		rc = map_identity(bus, phys, len, &cpu);
		if (rc)
			return rc;
		rc = dma_add_at(bus, phys, size, cpu, &b);
		if (rc)
			munmap(cpu, len);
	}
	if (!rc)
		*out = (struct copro_raw_dma){ b.cpu, b.phys, b.size };
	return rc;
}

void copro_raw_dma_free(struct copro_bus *bus, struct copro_raw_dma *buf)
{
	const struct copro_dma_buf b = { buf->cpu, buf->phys, buf->size };

	if (buf->cpu)
		bus_be_dma_free(bus, &b);
	memset(buf, 0, sizeof(*buf));
}
