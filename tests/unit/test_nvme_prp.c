/* SPDX-License-Identifier: MIT */
/* The NVMe driver's PRP builder, on its own (no controller needed). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "nvme/nvme_internal.h"

#define PG NVME_PAGE_SIZE
#define LIST_BASE 0x900000000ull /* where the fake list pages "live" */

struct lists {
	uint64_t mem[NVME_PRP_PAGES][NVME_PRP_PER_PAGE];
	struct nvme_prp_page pages[NVME_PRP_PAGES];
};

static void lists_init(struct lists *l)
{
	memset(l->mem, 0xa5, sizeof(l->mem));
	for (unsigned i = 0; i < NVME_PRP_PAGES; i++)
		l->pages[i] = (struct nvme_prp_page){ l->mem[i],
						      LIST_BASE + i * PG };
}

static int build(struct lists *l, const struct nvme_seg *s, unsigned n,
		 uint64_t *p1, uint64_t *p2)
{
	lists_init(l);
	return copro_nvme_prp_build(s, n, l->pages, NVME_PRP_PAGES, p1, p2);
}

/*
 * Walks the PRPs the way a controller does and returns the page-sized
 * pieces it would transfer, to compare with what was asked for.
 */
static unsigned walk(struct lists *l, uint64_t p1, uint64_t p2, size_t len,
		     uint64_t *out, unsigned max)
{
	unsigned n = 0, page = 0, idx = 0;
	size_t first = PG - (p1 & (PG - 1));

	out[n++] = p1;
	if (len <= first)
		return n;
	len -= first;
	if (len <= PG) {
		out[n++] = p2;
		return n;
	}
	assert_int_equal(p2, l->pages[0].phys);
	while (len && n < max) {
		if (idx == NVME_PRP_PER_PAGE - 1 && len > PG) {
			/* The last slot chains to the next list page. */
			page++;
			assert_true(page < NVME_PRP_PAGES);
			assert_int_equal(l->mem[page - 1][idx], l->pages[page].phys);
			idx = 0;
		}
		out[n++] = l->mem[page][idx++];
		len -= len < PG ? len : PG;
	}
	return n;
}

static void test_one_and_two_pages(void **state)
{
	struct lists l;
	uint64_t p1, p2;
	struct nvme_seg s = { 0x800001000ull, PG };

	assert_int_equal(build(&l, &s, 1, &p1, &p2), 0);
	assert_int_equal(p1, 0x800001000ull);
	assert_int_equal(p2, 0);

	s.len = 512; /* inside one page, unaligned start */
	s.phys = 0x800001200ull;
	assert_int_equal(build(&l, &s, 1, &p1, &p2), 0);
	assert_int_equal(p1, 0x800001200ull);
	assert_int_equal(p2, 0);

	s.len = 2 * PG;
	s.phys = 0x800001000ull;
	assert_int_equal(build(&l, &s, 1, &p1, &p2), 0);
	assert_int_equal(p2, 0x800002000ull);

	/* One page's worth, but straddling two pages. */
	s.len = PG;
	s.phys = 0x800001200ull;
	assert_int_equal(build(&l, &s, 1, &p1, &p2), 0);
	assert_int_equal(p1, 0x800001200ull);
	assert_int_equal(p2, 0x800002000ull);
}

static void test_short_list(void **state)
{
	struct lists l;
	uint64_t p1, p2;
	struct nvme_seg s = { 0x800010000ull, 3 * PG };

	assert_int_equal(build(&l, &s, 1, &p1, &p2), 1);
	assert_int_equal(p1, 0x800010000ull);
	assert_int_equal(p2, LIST_BASE);
	assert_int_equal(l.mem[0][0], 0x800011000ull);
	assert_int_equal(l.mem[0][1], 0x800012000ull);
}

static void check_contiguous(size_t off, size_t len, int want_pages)
{
	static uint64_t got[1100];
	struct lists l;
	uint64_t p1, p2, base = 0x840000000ull + off;
	struct nvme_seg s = { base, len };
	unsigned n;

	assert_int_equal(build(&l, &s, 1, &p1, &p2), want_pages);
	n = walk(&l, p1, p2, len, got, 1100);
	assert_int_equal(n, ((base + len + PG - 1) / PG) - base / PG);
	assert_int_equal(got[0], base);
	for (unsigned i = 1; i < n; i++)
		assert_int_equal(got[i], (base & ~(uint64_t)(PG - 1)) + i * PG);
}

static void test_4mib_chains(void **state)
{
	/* 1024 pages: 1023 list entries, 511 in the first page + a chain. */
	check_contiguous(0, COPRO_NVME_MAX_TRANSFER, 2);
	/* Unaligned: 1025 pages, the third list page holds the tail. */
	check_contiguous(0x200, COPRO_NVME_MAX_TRANSFER, 3);
	/* Exactly 513 entries: one full page cannot hold them. */
	check_contiguous(0, 514 * PG, 2);
	/* 512 list entries fit one page with no chain. */
	check_contiguous(0, 513 * PG, 1);
}

static void test_scattered_segments(void **state)
{
	static uint64_t got[1100];
	struct nvme_seg s[64];
	struct lists l;
	uint64_t p1, p2;
	unsigned n, k = 0;

	/* 64 chunks of 64 KiB, in reverse address order, last one short. */
	for (unsigned i = 0; i < 64; i++)
		s[i] = (struct nvme_seg){ 0x880000000ull + (63 - i) * 0x10000ull,
					  i == 63 ? 0x1000 : 0x10000 };
	assert_true(build(&l, s, 64, &p1, &p2) > 0);
	n = walk(&l, p1, p2, 63 * 0x10000 + 0x1000, got, 1100);
	assert_int_equal(n, 63 * 16 + 1);
	for (unsigned i = 0; i < 64; i++)
		for (unsigned j = 0; j < (i == 63 ? 1u : 16u); j++)
			assert_int_equal(got[k++], s[i].phys + j * PG);
}

static void test_refused_shapes(void **state)
{
	struct lists l;
	uint64_t p1, p2;
	struct nvme_seg s[128];

	/* PRP1 must be dword-aligned. */
	s[0] = (struct nvme_seg){ 0x800000002ull, 512 };
	assert_int_equal(build(&l, s, 1, &p1, &p2), -EINVAL);
	/* A later segment must start on a page... */
	s[0] = (struct nvme_seg){ 0x800000000ull, PG };
	s[1] = (struct nvme_seg){ 0x800010200ull, PG };
	assert_int_equal(build(&l, s, 2, &p1, &p2), -EINVAL);
	/* ...and an earlier one must end on one. */
	s[0] = (struct nvme_seg){ 0x800000000ull, 512 };
	s[1] = (struct nvme_seg){ 0x800010000ull, PG };
	assert_int_equal(build(&l, s, 2, &p1, &p2), -EINVAL);
	/* Empty pieces, no pieces. */
	s[0] = (struct nvme_seg){ 0x800000000ull, 0 };
	assert_int_equal(build(&l, s, 1, &p1, &p2), -EINVAL);
	assert_int_equal(build(&l, s, 0, &p1, &p2), -EINVAL);
	/* Past 4 MiB. */
	s[0] = (struct nvme_seg){ 0x800000000ull, COPRO_NVME_MAX_TRANSFER + PG };
	assert_int_equal(build(&l, s, 1, &p1, &p2), -E2BIG);
	/* 128 segments, one more than allowed (127 is fine). */
	for (unsigned i = 0; i < 128; i++)
		s[i] = (struct nvme_seg){ 0x800000000ull + i * 2 * PG, PG };
	assert_int_equal(build(&l, s, 128, &p1, &p2), -E2BIG);
	assert_true(build(&l, s, 127, &p1, &p2) > 0);
	/* Not enough list pages handed in. */
	s[0] = (struct nvme_seg){ 0x800000000ull, 600 * PG };
	lists_init(&l);
	assert_int_equal(copro_nvme_prp_build(s, 1, l.pages, 1, &p1, &p2),
			 -E2BIG);
	assert_int_equal(copro_nvme_prp_build(s, 1, l.pages, 0, &p1, &p2),
			 -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_and_two_pages),
		cmocka_unit_test(test_short_list),
		cmocka_unit_test(test_4mib_chains),
		cmocka_unit_test(test_scattered_segments),
		cmocka_unit_test(test_refused_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
