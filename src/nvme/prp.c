/* SPDX-License-Identifier: MIT */
/*
 * PRP construction (NVMe base specification, "Physical Region Page
 * Entry and List"): PRP1 is the first byte, PRP2 the second page or, for
 * more than two pages, a list of page addresses whose pages chain
 * through their last entry. Sans-I/O so it can be tested on its own.
 */
#include <errno.h>

#include "nvme/nvme_internal.h"

#define PAGE_MASK ((uint64_t)NVME_PAGE_SIZE - 1)

/* Walks the page-sized pieces of a transfer: one PRP entry each. */
struct prp_iter {
	const struct nvme_seg *segs;
	unsigned nsegs, seg;
	uint64_t next; /* address of the next piece in segs[seg] */
};

static bool prp_next(struct prp_iter *it, uint64_t *entry)
{
	while (it->seg < it->nsegs) {
		const struct nvme_seg *s = &it->segs[it->seg];

		if (it->next < s->phys + s->len) {
			*entry = it->next;
			it->next = (it->next & ~PAGE_MASK) + NVME_PAGE_SIZE;
			return true;
		}
		if (++it->seg < it->nsegs)
			it->next = it->segs[it->seg].phys;
	}
	return false;
}

static int prp_check(const struct nvme_seg *segs, unsigned nsegs,
		     uint64_t *entries)
{
	uint64_t total = 0, n = 0;

	if (!nsegs || nsegs > COPRO_NVME_MAX_SEGMENTS)
		return nsegs ? -E2BIG : -EINVAL;
	for (unsigned i = 0; i < nsegs; i++) {
		uint64_t start = segs[i].phys, end = start + segs[i].len;

		if (!segs[i].len || end < start)
			return -EINVAL;
		/* Only the first piece may start inside a page (dword-aligned). */
		if (i == 0 ? (start & 3) : (start & PAGE_MASK))
			return -EINVAL;
		/* Only the last may end inside one. */
		if (i + 1 < nsegs && (end & PAGE_MASK))
			return -EINVAL;
		total += segs[i].len;
		n += ((end + PAGE_MASK) >> 12) - (start >> 12);
	}
	if (total > COPRO_NVME_MAX_TRANSFER)
		return -E2BIG;
	*entries = n;
	return 0;
}

int copro_nvme_prp_build(const struct nvme_seg *segs, unsigned nsegs,
			 const struct nvme_prp_page *pages, unsigned npages,
			 uint64_t *prp1, uint64_t *prp2)
{
	struct prp_iter it = { segs, nsegs, 0, 0 };
	uint64_t n, left, e;
	unsigned page = 0;
	int rc;

	rc = prp_check(segs, nsegs, &n);
	if (rc)
		return rc;
	it.next = segs[0].phys;
	prp_next(&it, prp1);
	*prp2 = 0;
	if (n == 1)
		return 0;
	if (n == 2) {
		prp_next(&it, prp2);
		return 0;
	}
	/* Entries 2..n go to the list; a page that cannot hold the rest chains. */
	left = n - 1;
	if (!npages)
		return -E2BIG;
	*prp2 = pages[0].phys;
	while (left) {
		unsigned room = NVME_PRP_PER_PAGE, i;
		bool chain = left > room;

		if (chain)
			room--;
		for (i = 0; i < room && left; i++, left--) {
			prp_next(&it, &e);
			pages[page].cpu[i] = e;
		}
		if (chain) {
			if (page + 1 >= npages)
				return -E2BIG;
			pages[page].cpu[room] = pages[page + 1].phys;
			page++;
		}
	}
	return (int)page + 1;
}
