/* SPDX-License-Identifier: MIT */
/*
 * The NVMe completion-queue parser against arbitrary rings: the input is
 * a queue shape, a set of issued tags and a ring of entries as a hostile
 * controller might post them. Whatever they say, the cursor consumes at
 * most one pass per look, stays inside the ring, completes only tags it
 * issued, each once, and every status decodes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/cq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DEPTH 256u

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvme_cqe ring[MAX_DEPTH];
	struct nvme_cq_cursor c;
	struct nvme_cqe_info i;
	struct nvme_status_info si;
	uint64_t issued;
	unsigned depth, lo, hi, rounds;

	if (size < 13) /* the header and the SQ id byte */
		return 0;
	depth = 2u + data[0] % (MAX_DEPTH - 1u);
	lo = data[1] % NVME_CQ_MAX_TAGS;
	hi = lo + 1u + data[2] % (NVME_CQ_MAX_TAGS - lo);
	memcpy(&issued, data + 3, sizeof(issued));
	rounds = 1u + data[11] % 4u;
	data += 12;
	size -= 12;
	if (copro_nvme_cq_init(&c, depth, (uint16_t)(data[0] & 3u), lo, hi))
		abort();
	memset(ring, 0, sizeof(ring));
	memcpy(ring, data, size < depth * sizeof(ring[0]) ? size
							  : depth * sizeof(ring[0]));
	for (unsigned t = 0; t < NVME_CQ_MAX_TAGS; t++)
		if ((issued >> t) & 1)
			copro_nvme_cq_issue(&c, t);
	check((c.issued & ~(((hi < 64 ? 1ull << hi : 0) - 1) &
			    ~((1ull << lo) - 1))) == 0);

	for (unsigned r = 0; r < rounds; r++) {
		uint64_t before = c.issued;
		unsigned taken = 0, ok = 0;
		enum nvme_cqe_verdict v;

		while ((v = copro_nvme_cq_take(&c, &ring[c.head], &i)) !=
		       NVME_CQE_EMPTY) {
			check(i.index < depth && c.head < depth);
			check(copro_nvme_cqe_verdict_name(v) != NULL);
			copro_nvme_status_decode(i.status, &si);
			check(si.sct < 8 && si.sc < 256 && si.err <= 0);
			if (v == NVME_CQE_OK) {
				check(i.cid >= lo && i.cid < hi);
				check((before >> i.cid) & 1);
				ok++;
			}
			if (++taken > depth)
				break;
		}
		check(taken <= depth);
		check((c.issued & ~before) == 0);
		check((unsigned)__builtin_popcountll(before & ~c.issued) == ok);
	}
	return 0;
}
