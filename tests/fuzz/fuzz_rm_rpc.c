/* SPDX-License-Identifier: MIT */
/*
 * The resource manager RPC's reassembly (what the RM, or anything posing
 * as it, sends a VM) and the VM_GET_HYP_RESOURCES decoder.
 *
 * Input: byte 0 selects the side (bit 0: accept requests, as the RM's
 * side does), then records "len[1] bytes[len]", each one received
 * fragment (len up to 255, so oversized fragments are reached too).
 * Every complete message is checked against the codec's invariants and,
 * when it carries a resource table, decoded. Afterwards the payload of
 * the last message is re-encoded and reassembled, which must give it
 * back exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <copro/gunyah_rm.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct frags {
	uint8_t m[COPRO_RM_MAX_FRAGS + 1][COPRO_RM_MSGQ_SIZE];
	size_t len[COPRO_RM_MAX_FRAGS + 1];
	unsigned n;
};

static int collect(void *ctx, const void *frag, size_t len, bool last)
{
	struct frags *f = ctx;

	(void)last;
	if (f->n > COPRO_RM_MAX_FRAGS || len > COPRO_RM_MSGQ_SIZE)
		abort();
	memcpy(f->m[f->n], frag, len);
	f->len[f->n++] = len;
	return 0;
}

static void roundtrip(const uint8_t *payload, size_t len, uint16_t seq,
		      uint32_t id)
{
	static struct frags f;
	struct copro_rm_rx rx;
	struct copro_rm_msg m;
	int st = COPRO_RM_RX_MORE;

	f.n = 0;
	if (copro_rm_encode(COPRO_RM_NOTIF, seq, id, 0, payload, len, collect,
			    &f) < 0)
		return;
	if (copro_rm_rx_init(&rx, false) < 0)
		return;
	for (unsigned i = 0; i < f.n; i++) {
		st = copro_rm_rx_feed(&rx, f.m[i], f.len[i], &m);
		if (st != (i + 1 == f.n ? COPRO_RM_RX_DONE : COPRO_RM_RX_MORE))
			abort();
	}
	if (m.len != len || m.seq != seq || m.msg_id != id ||
	    (len && memcmp(m.payload, payload, len)))
		abort();
	copro_rm_rx_fini(&rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t last[COPRO_RM_MAX_PAYLOAD];
	size_t last_len = 0;
	struct copro_rm_rx rx;
	struct copro_rm_msg m;

	if (size < 1 || copro_rm_rx_init(&rx, data[0] & 1) < 0)
		return 0;
	for (size_t i = 1; i < size;) {
		size_t len = data[i++];
		int st;

		if (len > size - i)
			len = size - i;
		st = copro_rm_rx_feed(&rx, data + i, len, &m);
		i += len;
		if (st < COPRO_RM_RX_INTERLEAVED || st > COPRO_RM_RX_DONE)
			abort();
		if (st != COPRO_RM_RX_DONE)
			continue;
		if (m.len > COPRO_RM_MAX_PAYLOAD || m.type == COPRO_RM_CONTINUATION)
			abort();
		memcpy(last, m.payload, m.len);
		last_len = m.len;
		if (m.type == COPRO_RM_REPLY &&
		    m.msg_id == COPRO_RM_VM_GET_HYP_RESOURCES) {
			struct copro_gh_resource *v;
			size_t n;

			if (copro_gh_rm_parse_resources(m.payload, m.len, &v,
							&n) == 0) {
				if (4 + n * COPRO_RM_RSC_ENTRY_SIZE != m.len)
					abort();
				free(v);
			}
		}
	}
	copro_rm_rx_fini(&rx);
	roundtrip(last, last_len, (uint16_t)size, (uint32_t)last_len);
	return 0;
}
