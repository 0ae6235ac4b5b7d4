/* SPDX-License-Identifier: MIT */
/* A disk file's shared mapping and when to use it: see disk_map.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "disk_map.h"
#include "sigbus_guard.h"

#define MAP_PAGE_SHIFT 12
#define MAP_PAGE_SIZE (1ull << MAP_PAGE_SHIFT)
#define EXPLORE_NS 10000000ull	/* see explore() */

static void free_bits(struct disk_map *dm)
{
	for (unsigned k = 0; k < DISK_MAP_BITS; k++) {
		free(dm->bits[k]);
		dm->bits[k] = NULL;
	}
	free(dm->tag);
	dm->tag = NULL;
}

int disk_map_init(struct disk_map *dm, int fd, uint64_t size, bool writable,
		  enum copro_sim_ans2_map_writes writes)
{
	void *p;
	int ret;

	dm->base = NULL;
	dm->size = size;
	for (unsigned k = 0; k < DISK_MAP_BITS; k++)
		dm->bits[k] = NULL;
	dm->tag = NULL;
	dm->words = 0;
	atomic_init(&dm->syncs, 1);
	atomic_init(&dm->off, false);
	atomic_init(&dm->faults, 0);
	dm->writes = writes;
	for (unsigned w = 0; w < DISK_MAP_WAYS; w++) {
		atomic_init(&dm->cost[w].ns, 0);
		atomic_init(&dm->cost[w].pages, 0);
	}
	atomic_init(&dm->taken_in, 0);
	atomic_init(&dm->written_again, 0);
	atomic_init(&dm->ticket, 0);
	atomic_init(&dm->explored_at, copro_time_coarse_ns());
	dm->explore_ns = EXPLORE_NS;
	for (unsigned i = 0; i < DISK_MAP_STRIPES; i++)
		copro_mutex_init(&dm->stripe[i]);

	if (fd < 0)
		return 0;
	if (!size || size > SIZE_MAX || size % MAP_PAGE_SIZE)
		return -EFBIG;
	ret = sigbus_guard_install();
	if (ret < 0)
		return ret;
	dm->words = (size_t)((size / MAP_PAGE_SIZE + 63) / 64);
	/* Zero pages until touched: a large disk's bits cost what it uses. */
	for (unsigned k = 0; k < DISK_MAP_BITS; k++) {
		dm->bits[k] = calloc(dm->words, sizeof(*dm->bits[k]));
		if (!dm->bits[k]) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	dm->tag = calloc(dm->words, sizeof(*dm->tag));
	if (!dm->tag) {
		ret = -ENOMEM;
		goto fail;
	}
	p = mmap(NULL, (size_t)size, PROT_READ | (writable ? PROT_WRITE : 0),
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto fail;
	}
	dm->base = p;
	return 0;
fail:
	free_bits(dm);
	return ret;
}

void disk_map_fini(struct disk_map *dm)
{
	if (dm->base)
		munmap(dm->base, (size_t)dm->size);
	dm->base = NULL;
	free_bits(dm);
	for (unsigned i = 0; i < DISK_MAP_STRIPES; i++)
		copro_mutex_destroy(&dm->stripe[i]);
}

/* ---- a bit a page ---------------------------------------------------- */

static uint64_t first_page(uint64_t off) { return off >> MAP_PAGE_SHIFT; }

static uint64_t end_page(uint64_t off, uint64_t len)
{
	return (off + len + MAP_PAGE_SIZE - 1) >> MAP_PAGE_SHIFT;
}

/* The pages from *p to e that share *p's word: the word, their bits. */
static size_t next_run(uint64_t *p, uint64_t e, uint64_t *mask)
{
	unsigned b = (unsigned)(*p % 64);
	uint64_t n = 64 - b < e - *p ? 64 - b : e - *p;
	size_t w = (size_t)(*p / 64);

	*mask = (n == 64 ? ~0ull : (1ull << n) - 1) << b;
	*p += n;
	return w;
}

/*
 * A page's bits (disk_map.h). HAVE_R and SEEN_R hold until the page
 * leaves the mapping. HAVE_W and SEEN_W hold until the next sync, or
 * for about 4 s: a word's write bits count only while its tag is the
 * current one, the syncs so far plus the 2^32 ns windows of the coarse
 * clock (each only grows, so no tag comes back). A sync costs one
 * increment whatever the disk's size; the window bounds what a
 * writeback the model does not see (the kernel's, every 30 s or so, or
 * another process's fdatasync) leaves stale: a page's first write after
 * it takes the call, not a fault. Reads and writes count their touches
 * apart: a write's fault is paid for a page written again, not for one
 * read once.
 */
#define BIT(k) (1u << (k))
#define WRITE_BITS (BIT(DISK_MAP_HAVE_W) | BIT(DISK_MAP_SEEN_W))

static uint64_t load(_Atomic uint64_t *a, size_t w)
{
	return atomic_load_explicit(&a[w], memory_order_relaxed);
}

static uint32_t write_tag(struct disk_map *dm)
{
	return atomic_load_explicit(&dm->syncs, memory_order_relaxed) +
	       (uint32_t)(copro_time_coarse_ns() >> 32);
}

/* Every page of the range was read before (by a call or a copy). */
static bool all_read(struct disk_map *dm, uint64_t off, uint64_t len)
{
	for (uint64_t p = first_page(off), e = end_page(off, len); p < e;) {
		uint64_t mask;
		size_t w = next_run(&p, e, &mask);
		uint64_t v = load(dm->bits[DISK_MAP_HAVE_R], w) |
			     load(dm->bits[DISK_MAP_SEEN_R], w);

		if ((v & mask) != mask)
			return false;
	}
	return true;
}

/*
 * How a write of the range would go, by its pages' write bits under the
 * current tag: HIT if every page is in, FAULT if every page is in or
 * written since (a candidate), else CALL (some page's first write).
 */
static enum disk_map_way write_way(struct disk_map *dm, uint64_t off,
				   uint64_t len, uint32_t tag)
{
	enum disk_map_way way = DISK_MAP_HIT;

	for (uint64_t p = first_page(off), e = end_page(off, len); p < e;) {
		uint64_t mask, have = 0, seen = 0;
		size_t w = next_run(&p, e, &mask);

		if (atomic_load_explicit(&dm->tag[w], memory_order_relaxed) ==
		    tag) {
			have = load(dm->bits[DISK_MAP_HAVE_W], w);
			seen = load(dm->bits[DISK_MAP_SEEN_W], w);
		}
		if (((have | seen) & mask) != mask)
			return DISK_MAP_CALL;
		if ((have & mask) != mask)
			way = DISK_MAP_FAULT;
	}
	return way;
}

static void or_bits(_Atomic uint64_t *a, size_t w, uint64_t mask)
{
	/* Mostly set already: a load, not a locked or. */
	if ((load(a, w) & mask) != mask)
		atomic_fetch_or_explicit(&a[w], mask, memory_order_relaxed);
}

/* Gives every page of the range the bits in `kinds`. */
static void mark(struct disk_map *dm, uint64_t off, uint64_t len,
		 unsigned kinds, uint32_t tag)
{
	for (uint64_t p = first_page(off), e = end_page(off, len); p < e;) {
		uint64_t mask;
		size_t w = next_run(&p, e, &mask);

		/* A word's first write mark under a new tag drops the old ones. */
		if ((kinds & WRITE_BITS) &&
		    atomic_load_explicit(&dm->tag[w], memory_order_relaxed) != tag) {
			atomic_store_explicit(&dm->bits[DISK_MAP_HAVE_W][w], 0,
					      memory_order_relaxed);
			atomic_store_explicit(&dm->bits[DISK_MAP_SEEN_W][w], 0,
					      memory_order_relaxed);
			atomic_store_explicit(&dm->tag[w], tag,
					      memory_order_relaxed);
		}
		for (unsigned k = 0; k < DISK_MAP_BITS; k++)
			if (kinds & BIT(k))
				or_bits(dm->bits[k], w, mask);
	}
}

static void unmark(struct disk_map *dm, uint64_t off, uint64_t len)
{
	for (uint64_t p = first_page(off), e = end_page(off, len); p < e;) {
		uint64_t mask;
		size_t w = next_run(&p, e, &mask);

		for (unsigned k = 0; k < DISK_MAP_BITS; k++)
			if (load(dm->bits[k], w) & mask)
				atomic_fetch_and_explicit(&dm->bits[k][w], ~mask,
							  memory_order_relaxed);
	}
}

/* ---- stripes --------------------------------------------------------- */

/*
 * Page p's stripe is p % DISK_MAP_STRIPES, so a run's stripes are one
 * range of them, or two where it wraps: [lo0, lo1) and [hi0, hi1), taken
 * in that (increasing) order so two writers never wait on each other
 * crosswise.
 */
struct stripe_span {
	unsigned lo0, lo1, hi0, hi1;
};

static struct stripe_span span_of(uint64_t off, uint64_t len)
{
	uint64_t p0 = first_page(off);
	uint64_t n = len ? end_page(off, len) - p0 : 1;
	unsigned s0 = (unsigned)(p0 % DISK_MAP_STRIPES);

	if (n >= DISK_MAP_STRIPES)
		return (struct stripe_span){ 0, DISK_MAP_STRIPES, 0, 0 };
	if (s0 + n <= DISK_MAP_STRIPES)
		return (struct stripe_span){ s0, s0 + (unsigned)n, 0, 0 };
	return (struct stripe_span){ 0, (unsigned)(s0 + n - DISK_MAP_STRIPES),
				     s0, DISK_MAP_STRIPES };
}

static void span_lock(struct disk_map *dm, uint64_t off, uint64_t len)
{
	struct stripe_span sp = span_of(off, len);

	for (unsigned s = sp.lo0; s < sp.lo1; s++)
		copro_mutex_lock(&dm->stripe[s]);
	for (unsigned s = sp.hi0; s < sp.hi1; s++)
		copro_mutex_lock(&dm->stripe[s]);
}

static void span_unlock(struct disk_map *dm, uint64_t off, uint64_t len)
{
	struct stripe_span sp = span_of(off, len);

	for (unsigned s = sp.hi0; s < sp.hi1; s++)
		copro_mutex_unlock(&dm->stripe[s]);
	for (unsigned s = sp.lo0; s < sp.lo1; s++)
		copro_mutex_unlock(&dm->stripe[s]);
}

void disk_map_lock(struct disk_map *dm, uint64_t off, uint64_t len)
{
	if (dm->base)
		span_lock(dm, off, len);
}

void disk_map_unlock(struct disk_map *dm, uint64_t off, uint64_t len)
{
	if (dm->base)
		span_unlock(dm, off, len);
}

/* ---- what a write through the mapping saves -------------------------- */

/*
 * Every TIME_EVERY-th write is timed (a clock read costs about 25 ns, a
 * 4 KiB copy 400), every write that takes pages in too (each a fault of
 * a few microseconds). The figures decay, halved past their span, so
 * they follow the host and the workload: a cost over the last few
 * thousand timed pages, the counts over the last 64 Ki pages written.
 *
 * Taking a page in pays while the pages written again saved more than
 * the faults cost beyond their calls; writing into pages already in pays
 * while such a copy is cheaper than a call (it is not where the kernel
 * writes pages back faster than they are written again, and each copy
 * faults: 1 MiB sequential writes over a 256 MiB file). Until both ways
 * have MIN_PAGES timed pages, they go (at worst MIN_PAGES faults). While
 * a way does not pay, a candidate takes it anyway now and then (explore
 * below), timed.
 *
 * Concurrent writers update the figures with relaxed atomics and may lose
 * an update across a halving: they are estimates, and a lost sample
 * costs nothing but a little accuracy.
 */
#define TIME_EVERY 8u
#define MIN_PAGES 16u
#define COST_SPAN 4096u
#define COUNT_SPAN 65536u

static uint64_t get(_Atomic uint64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

static void put(_Atomic uint64_t *a, uint64_t v)
{
	atomic_store_explicit(a, v, memory_order_relaxed);
}

static uint64_t add(_Atomic uint64_t *a, uint64_t v)
{
	return atomic_fetch_add_explicit(a, v, memory_order_relaxed) + v;
}

void disk_map_cost_add(struct disk_map *dm, enum disk_map_way way,
		       uint64_t ns, uint64_t pages)
{
	struct disk_map_cost *c = &dm->cost[way];
	uint64_t t = add(&c->ns, ns);

	if (add(&c->pages, pages) > COST_SPAN) {
		put(&c->pages, get(&c->pages) / 2);
		put(&c->ns, t / 2);
	}
}

static void count(struct disk_map *dm, enum disk_map_way way, uint64_t pages)
{
	bool hit = way == DISK_MAP_HIT;
	_Atomic uint64_t *n = hit ? &dm->written_again : &dm->taken_in;
	_Atomic uint64_t *other = hit ? &dm->taken_in : &dm->written_again;

	if (add(n, pages) + get(other) > COUNT_SPAN) {
		put(&dm->taken_in, get(&dm->taken_in) / 2);
		put(&dm->written_again, get(&dm->written_again) / 2);
	}
}

uint64_t disk_map_cost_ns(struct disk_map *dm, enum disk_map_way way)
{
	uint64_t pages = get(&dm->cost[way].pages);

	return pages ? get(&dm->cost[way].ns) / pages : 0;
}

/* Not weighed: a fixed policy, or a way not yet timed enough; and then
 * whether the way goes. */
static bool unweighed(struct disk_map *dm, enum disk_map_way way, bool *go)
{
	*go = dm->writes != COPRO_SIM_ANS2_MAP_WRITES_NEVER;
	return dm->writes != COPRO_SIM_ANS2_MAP_WRITES_MEASURED ||
	       get(&dm->cost[DISK_MAP_CALL].pages) < MIN_PAGES ||
	       get(&dm->cost[way].pages) < MIN_PAGES;
}

bool disk_map_takes_writes(struct disk_map *dm)
{
	bool go;

	if (unweighed(dm, DISK_MAP_FAULT, &go))
		return go;
	double call = (double)disk_map_cost_ns(dm, DISK_MAP_CALL);
	double fault = (double)disk_map_cost_ns(dm, DISK_MAP_FAULT);
	double hit = (double)disk_map_cost_ns(dm, DISK_MAP_HIT);

	/* What the pages written again saved, against what taking them in
	 * cost beyond their calls (negative if a fault is cheaper). */
	return (double)get(&dm->written_again) * (call - hit) >
	       (double)get(&dm->taken_in) * (fault - call);
}

bool disk_map_hits_pay(struct disk_map *dm)
{
	bool go;

	if (unweighed(dm, DISK_MAP_HIT, &go))
		return go;
	return disk_map_cost_ns(dm, DISK_MAP_HIT) <
	       disk_map_cost_ns(dm, DISK_MAP_CALL);
}

/*
 * A candidate goes against the figures, to keep them current, once every
 * explore_ns: a bound on what it costs (a 256 KiB write that faults in
 * each page, 150 us on the dearest host seen, every 10 ms, is 1.5% of
 * the time; a 4 KiB one, 0.1%).
 */
static bool explore(struct disk_map *dm)
{
	uint64_t now = copro_time_coarse_ns(), at = get(&dm->explored_at);

	/* `at` may be another thread's later reading of the coarse clock. */
	return dm->writes == COPRO_SIM_ANS2_MAP_WRITES_MEASURED && now >= at &&
	       now - at >= dm->explore_ns &&
	       atomic_compare_exchange_strong_explicit(&dm->explored_at, &at, now,
						       memory_order_relaxed,
						       memory_order_relaxed);
}

void disk_map_call_timed(struct disk_map *dm, uint64_t t0, size_t len)
{
	disk_map_cost_add(dm, DISK_MAP_CALL, copro_time_ns() - t0,
			  (len + MAP_PAGE_SIZE - 1) >> MAP_PAGE_SHIFT);
}

/* ---- copies ---------------------------------------------------------- */

static int faulted(struct disk_map *dm)
{
	atomic_store_explicit(&dm->off, true, memory_order_relaxed);
	atomic_fetch_add_explicit(&dm->faults, 1, memory_order_relaxed);
	return -EFAULT;
}

static bool in_map(const struct disk_map *dm, uint64_t off, size_t len)
{
	return disk_map_on(dm) && off <= dm->size && len <= dm->size - off;
}

int disk_map_read(struct disk_map *dm, void *dst, uint64_t off, size_t len)
{
	int ret;

	if (!in_map(dm, off, len))
		return 0;
	/* Read bits carry no tag. */
	if (!all_read(dm, off, len)) {
		mark(dm, off, len, BIT(DISK_MAP_SEEN_R), 0);
		return 0;
	}
	/* A page being written is read whole, before or after. */
	span_lock(dm, off, len);
	ret = sigbus_guarded_copy(dst, dm->base + off, len);
	span_unlock(dm, off, len);
	if (ret < 0)
		return faulted(dm);
	mark(dm, off, len, BIT(DISK_MAP_HAVE_R), 0);
	return 1;
}

int disk_map_write(struct disk_map *dm, const void *src, uint64_t off,
		   size_t len, uint64_t *call_t0)
{
	*call_t0 = 0;
	if (!in_map(dm, off, len) ||
	    dm->writes == COPRO_SIM_ANS2_MAP_WRITES_NEVER)
		return 0;
	uint32_t tag = write_tag(dm);
	bool timed = add(&dm->ticket, 1) % TIME_EVERY == 0;
	enum disk_map_way way = write_way(dm, off, len, tag);
	bool go = way == DISK_MAP_HIT	  ? disk_map_hits_pay(dm)
		  : way == DISK_MAP_FAULT ? disk_map_takes_writes(dm)
					  : false;

	if (!go && way != DISK_MAP_CALL && explore(dm))
		go = timed = true;
	if (!go) {
		if (way != DISK_MAP_HIT)
			mark(dm, off, len, BIT(DISK_MAP_SEEN_W), tag);
		if (timed)
			*call_t0 = copro_time_ns();
		return 0;
	}
	uint64_t pages = end_page(off, len) - first_page(off);
	uint64_t t0 = timed || way == DISK_MAP_FAULT ? copro_time_ns() : 0;

	if (sigbus_guarded_copy(dm->base + off, src, len) < 0)
		return faulted(dm);
	if (t0)
		disk_map_cost_add(dm, way, copro_time_ns() - t0, pages);
	count(dm, way, pages);
	mark(dm, off, len, BIT(DISK_MAP_HAVE_R) | BIT(DISK_MAP_HAVE_W), tag);
	return 1;
}

/* ---- what the file did ----------------------------------------------- */

void disk_map_synced(struct disk_map *dm)
{
	atomic_fetch_add_explicit(&dm->syncs, 1, memory_order_relaxed);
}

void disk_map_dropped(struct disk_map *dm, uint64_t off, uint64_t len)
{
	if (!dm->base || off >= dm->size)
		return;
	if (len > dm->size - off)
		len = dm->size - off;
	unmark(dm, off, len);
}
