/* SPDX-License-Identifier: MIT */
/*
 * A disk file's shared mapping, for the pages that are cheaper to copy
 * than to read or write with a call.
 *
 * A 4 KiB copy into a page the mapping already holds writable costs a
 * fifth to a third of a pwrite; one into a page it does not (never
 * touched, or cleaned by a writeback, which write-protects it) takes a
 * page fault, whose cost depends on the host: about 1.5 pwrites on a
 * bare Intel host, 5 on a paravirtual AMD guest where a PTE write traps
 * (docs/performance.md). So a page is known before it goes through the
 * mapping: copied before, or written (read) by a call since the last
 * flush, for a write (a read).
 *
 * Reads take the mapping at a page's second touch: its fault is paid
 * once while the page stays. Writes weigh it (map_writes measured):
 * a page's second write pays the fault only while the copies so far
 * repaid theirs, measured on this host: the pages written again through
 * the mapping, times what each saved against a call, against the pages
 * taken in, times what their fault cost beyond a call; and a write into
 * pages already in copies while that is cheaper than a call (it is not
 * where the kernel writes pages back as fast as they come, so that each
 * copy faults again). Every write counts; every eighth is timed, and
 * every fault; while a way does not pay, a candidate still takes it
 * every 10 ms, so the figures stay current. A flush forgets the pages
 * written, as it write-protects them, and so do about 4 s (a writeback
 * the model does not see write-protects them too). The bits are hints: a
 * stale one costs a fault or a call, never data.
 *
 * Writes take a stripe lock over their pages, calls and copies alike, so
 * a 4 KiB LBA is written whole against any other write, as a pwrite
 * under the kernel's inode lock was; copies out of the mapping take it
 * too, so they see a page before or after a write, never half (a mutex,
 * not a reader-writer lock: cheaper, and the copies are short).
 *
 * A copy that faults (see sigbus_guard.h) turns the mapping off: every
 * access takes the calls from then on, and they say what went wrong.
 */
#ifndef COPRO_SIM_DISK_MAP_H
#define COPRO_SIM_DISK_MAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/os.h>
#include <copro/sim/ans2_model.h>

/*
 * Stripes a write may hold all at once (a 256 KiB chunk spans 64 pages):
 * few enough for ThreadSanitizer's deadlock detector, which gives up on
 * a thread holding 64 locks, and plenty for 16 nbdkit threads' 4 KiB
 * writes to rarely meet.
 */
#define DISK_MAP_STRIPES 16u

/* What a page may have: present in the mapping readable, read by a call;
 * present in it writable, written by a call. */
enum disk_map_bit {
	DISK_MAP_HAVE_R,
	DISK_MAP_SEEN_R,
	DISK_MAP_HAVE_W,
	DISK_MAP_SEEN_W,
	DISK_MAP_BITS
};

/* The ways a write goes, timed apart. */
enum disk_map_way {
	DISK_MAP_CALL,		/* a pwrite */
	DISK_MAP_FAULT,		/* a copy taking pages in (their faults) */
	DISK_MAP_HIT,		/* a copy into pages already in */
	DISK_MAP_WAYS
};

/* Recent timed writes of one way: their time and pages, both decaying. */
struct disk_map_cost {
	_Atomic uint64_t ns, pages;
};

struct disk_map {
	char *base;		/* NULL: not mapped, every access takes a call */
	uint64_t size;
	_Atomic bool off;	/* a copy faulted: calls from now on */
	/* A bit a page of each kind (disk_map.c says which a sync forgets). */
	_Atomic uint64_t *bits[DISK_MAP_BITS];
	/* A word's write bits' tag; the syncs so far (disk_map.c). */
	_Atomic uint32_t *tag, syncs;
	size_t words;
	_Atomic uint64_t faults;
	enum copro_sim_ans2_map_writes writes;	/* config.map_writes */
	struct disk_map_cost cost[DISK_MAP_WAYS];
	/* Recent pages taken in and written again through it (decaying). */
	_Atomic uint64_t taken_in, written_again;
	_Atomic uint64_t ticket;	/* every write: which are timed */
	/* A candidate goes against the figures once every explore_ns (10 ms;
	 * tests set it): the last time one did. */
	_Atomic uint64_t explored_at;
	uint64_t explore_ns;
	struct copro_mutex stripe[DISK_MAP_STRIPES];
};

/*
 * Maps `size` bytes of fd (PROT_WRITE too if `writable`); fd -1 asks for
 * no mapping. Returns 0, or a negative errno saying why there is none:
 * either way the map is valid, and unmapped it sends every access to the
 * calls.
 */
int disk_map_init(struct disk_map *dm, int fd, uint64_t size, bool writable,
		  enum copro_sim_ans2_map_writes writes);
void disk_map_fini(struct disk_map *dm);

static inline bool disk_map_on(const struct disk_map *dm)
{
	return dm->base &&
	       !atomic_load_explicit(&dm->off, memory_order_relaxed);
}

/*
 * Copies one page-aligned run of bytes if the policy says so: 1 if
 * copied, 0 if the caller must make the call (and the pages are now
 * seen), -EFAULT if the copy faulted (the map is off now; the caller
 * makes the call, which says what is wrong).
 */
int disk_map_read(struct disk_map *dm, void *dst, uint64_t off, size_t len);
/*
 * As disk_map_read; when it returns 0, *call_t0 is the time the caller's
 * call starts if that call is to be timed (disk_map_call_timed after
 * it), else 0.
 */
int disk_map_write(struct disk_map *dm, const void *src, uint64_t off,
		   size_t len, uint64_t *call_t0);
void disk_map_call_timed(struct disk_map *dm, uint64_t t0, size_t len);

/* A way's recent cost, ns a 4 KiB page (0: not timed yet). */
uint64_t disk_map_cost_ns(struct disk_map *dm, enum disk_map_way way);
/* Whether a page written a second time goes through the mapping now. */
bool disk_map_takes_writes(struct disk_map *dm);
/* Whether a write into pages already in goes through the mapping now. */
bool disk_map_hits_pay(struct disk_map *dm);
/* Adds a timed write of `pages` pages (for tests: any figures). */
void disk_map_cost_add(struct disk_map *dm, enum disk_map_way way,
		       uint64_t ns, uint64_t pages);

/* Around every write to the file, whichever way it goes. */
void disk_map_lock(struct disk_map *dm, uint64_t off, uint64_t len);
void disk_map_unlock(struct disk_map *dm, uint64_t off, uint64_t len);

/* The file was synced: its pages are write-protected again. */
void disk_map_synced(struct disk_map *dm);
/* A range was deallocated or zeroed: its pages left the mapping. */
void disk_map_dropped(struct disk_map *dm, uint64_t off, uint64_t len);

#endif
