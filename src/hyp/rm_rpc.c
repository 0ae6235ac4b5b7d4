// SPDX-License-Identifier: MIT
/*
 * The resource manager RPC's codec: fragmentation and reassembly, with no
 * I/O. Reassembly treats every fragment as hostile: a header is checked
 * before it is believed, a continuation must belong to the message in
 * progress (same id, sequence and continuation count) and cannot exceed
 * the count it announced, and a message never outgrows
 * COPRO_RM_MAX_PAYLOAD. Unlike Linux, which silently ignores a stray
 * continuation, every rejection is reported so the client can count it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <copro/gunyah_rm.h>
#include <copro/le.h>

int copro_rm_encode(enum copro_rm_type type, uint16_t seq, uint32_t msg_id,
		    uint32_t err, const void *payload, size_t len,
		    copro_rm_emit_fn emit, void *ctx)
{
	size_t hdr = type == COPRO_RM_REPLY ? COPRO_RM_REPLY_HDR_SIZE
					    : COPRO_RM_HDR_SIZE;
	size_t first = COPRO_RM_MSGQ_SIZE - hdr;
	const uint8_t *src = payload;
	uint8_t frag[COPRO_RM_MSGQ_SIZE];
	size_t off = 0;
	unsigned conts;

	if (type == COPRO_RM_CONTINUATION || (unsigned)type > COPRO_RM_NOTIF ||
	    (len && !payload))
		return -EINVAL;
	if (len > first + (size_t)COPRO_RM_MAX_FRAGS * COPRO_RM_FRAG_PAYLOAD)
		return -E2BIG;
	conts = len > first ? (unsigned)((len - first + COPRO_RM_FRAG_PAYLOAD -
					  1) /
					 COPRO_RM_FRAG_PAYLOAD)
			    : 0;
	for (unsigned i = 0; i <= conts; i++) {
		size_t h = i ? COPRO_RM_HDR_SIZE : hdr;
		size_t n = len - off < COPRO_RM_MSGQ_SIZE - h
				   ? len - off
				   : COPRO_RM_MSGQ_SIZE - h;
		int ret;

		frag[0] = COPRO_RM_API;
		frag[1] = (uint8_t)((i ? COPRO_RM_CONTINUATION : type) |
				    conts << COPRO_RM_FRAGS_SHIFT);
		copro_put_le16(frag + 2, seq);
		copro_put_le32(frag + 4, msg_id);
		if (!i && type == COPRO_RM_REPLY)
			copro_put_le32(frag + 8, err);
		if (n)
			memcpy(frag + h, src + off, n);
		off += n;
		ret = emit(ctx, frag, h + n, i == conts);
		if (ret < 0)
			return ret;
	}
	return 0;
}

const char *copro_rm_rx_status_name(int status)
{
	switch (status) {
	case COPRO_RM_RX_MORE: return "more";
	case COPRO_RM_RX_DONE: return "done";
	case COPRO_RM_RX_SHORT: return "fragment shorter than its header";
	case COPRO_RM_RX_BAD_API: return "unknown RPC API";
	case COPRO_RM_RX_BAD_TYPE: return "unexpected message type";
	case COPRO_RM_RX_OVERSIZED: return "oversized message";
	case COPRO_RM_RX_OUT_OF_ORDER: return "continuation out of order";
	case COPRO_RM_RX_INTERLEAVED: return "continuation of another message";
	}
	return "unknown status";
}

int copro_rm_rx_init(struct copro_rm_rx *rx, bool accept_requests)
{
	memset(rx, 0, sizeof(*rx));
	rx->accept_requests = accept_requests;
	rx->buf = malloc(COPRO_RM_MAX_PAYLOAD);
	return rx->buf ? 0 : -ENOMEM;
}

void copro_rm_rx_fini(struct copro_rm_rx *rx)
{
	free(rx->buf);
	rx->buf = NULL;
}

static int reject(struct copro_rm_rx *rx, int status)
{
	rx->active = false;
	return status;
}

static int finish(struct copro_rm_rx *rx, struct copro_rm_msg *msg)
{
	rx->active = false;
	*msg = rx->cur;
	msg->payload = rx->buf;
	msg->len = rx->len;
	return COPRO_RM_RX_DONE;
}

int copro_rm_rx_feed(struct copro_rm_rx *rx, const void *frag, size_t len,
		     struct copro_rm_msg *msg)
{
	const uint8_t *m = frag;
	unsigned type, conts;
	size_t hdr;

	rx->aborted = false;
	if (len < COPRO_RM_HDR_SIZE)
		return reject(rx, COPRO_RM_RX_SHORT);
	if (len > COPRO_RM_MSGQ_SIZE)
		return reject(rx, COPRO_RM_RX_OVERSIZED);
	if (m[0] != COPRO_RM_API)
		return reject(rx, COPRO_RM_RX_BAD_API);
	type = m[1] & COPRO_RM_TYPE_MASK;
	conts = m[1] >> COPRO_RM_FRAGS_SHIFT;

	if (type == COPRO_RM_CONTINUATION) {
		if (!rx->active)
			return COPRO_RM_RX_OUT_OF_ORDER;
		if (copro_get_le32(m + 4) != rx->cur.msg_id ||
		    copro_get_le16(m + 2) != rx->cur.seq || conts != rx->frags)
			return reject(rx, COPRO_RM_RX_INTERLEAVED);
		/* frags_left > 0 while active: the count cannot be exceeded. */
		memcpy(rx->buf + rx->len, m + COPRO_RM_HDR_SIZE,
		       len - COPRO_RM_HDR_SIZE);
		rx->len += len - COPRO_RM_HDR_SIZE;
		if (--rx->frags_left)
			return COPRO_RM_RX_MORE;
		return finish(rx, msg);
	}
	if (type == COPRO_RM_REQUEST && !rx->accept_requests)
		return reject(rx, COPRO_RM_RX_BAD_TYPE);
	hdr = type == COPRO_RM_REPLY ? COPRO_RM_REPLY_HDR_SIZE
				     : COPRO_RM_HDR_SIZE;
	if (len < hdr)
		return reject(rx, COPRO_RM_RX_SHORT);
	if (conts > COPRO_RM_MAX_FRAGS)
		return reject(rx, COPRO_RM_RX_OVERSIZED);
	if (rx->active) {
		/* A new message while one was incomplete: that one is lost. */
		rx->aborted = true;
		rx->aborted_msg = rx->cur;
		rx->aborted_msg.payload = NULL;
		rx->aborted_msg.len = 0;
		rx->truncated++;
	}
	rx->cur.type = (enum copro_rm_type)type;
	rx->cur.seq = copro_get_le16(m + 2);
	rx->cur.msg_id = copro_get_le32(m + 4);
	rx->cur.err = type == COPRO_RM_REPLY ? copro_get_le32(m + 8) : 0;
	rx->frags = rx->frags_left = conts;
	rx->len = len - hdr;
	memcpy(rx->buf, m + hdr, rx->len);
	rx->active = true;
	if (conts)
		return COPRO_RM_RX_MORE;
	return finish(rx, msg);
}

int copro_rm_errno(uint32_t rm_error)
{
	switch (rm_error) {
	case COPRO_RM_OK:
		return 0;
	case COPRO_RM_UNIMPLEMENTED:
		return -EOPNOTSUPP;
	case COPRO_RM_NOMEM:
		return -ENOMEM;
	case COPRO_RM_NORESOURCE:
		return -ENODEV;
	case COPRO_RM_DENIED:
		return -EPERM;
	case COPRO_RM_BUSY:
		return -EBUSY;
	}
	/* Linux's mapping: every other defined code is an invalid request. */
	return rm_error <= 0x11 ? -EINVAL : -EBADMSG;
}
