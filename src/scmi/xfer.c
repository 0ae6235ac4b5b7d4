/* SPDX-License-Identifier: MIT */
/*
 * Commands: a token per command, the exchange on the protocol's channel,
 * the answer checked against the command (the header echoed exactly, a
 * known status), and for asynchronous commands the wait for the delayed
 * response, matched by token on the receive channel.
 *
 * Tokens are taken under the channel's lock (no shared counter to bounce
 * between threads): each channel owns the slice of the 10-bit space
 * congruent to its index modulo the stride (all of it for one channel),
 * so no two channels ever hand out the same token. Within its slice a
 * channel advances monotonically, skipping tokens whose delayed response
 * is still awaited: a late answer to an old command carries a token no
 * new command has had for a long time, so it is recognised as stale
 * rather than taken for the new one's, on the channel's area and on the
 * receive channel alike.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/log.h>

#include "scmi/scmi_internal.h"

void scmi_trace_msg(struct copro_scmi *s, const char *chan, bool to_platform,
		    uint32_t header, const uint8_t *payload, size_t len)
{
	struct copro_scmi_trace t = {
		.to_platform = to_platform,
		.channel = chan,
		.header = header,
		.payload = payload,
		.len = len,
	};

	s->cfg.trace(s->cfg.trace_ctx, &t);
}

static void count(struct copro_scmi *s, _Atomic uint64_t *field)
{
	(void)s;
	atomic_fetch_add_explicit(field, 1, memory_order_relaxed);
}

int scmi_bad(struct copro_scmi *s, unsigned proto, unsigned msg,
	     const char *why)
{
	copro_dev_err(&s->ld, "%s %s: bad answer from the platform: %s",
		      copro_scmi_protocol_name(proto),
		      copro_scmi_message_name(proto, SCMI_MSG_COMMAND, msg),
		      why);
	count(s, &s->stats.bad_responses);
	return -EPROTO;
}


/* c->lock held: the channel's next token. */
static uint32_t token_next(struct copro_scmi *s, struct scmi_chan *c)
{
	return (c->index + c->seq++ * s->token_stride) % SCMI_TOKENS;
}

/* c->lock and s->lock held: a token no pending delayed response uses. */
static uint32_t token_take(struct copro_scmi *s, struct scmi_chan *c)
{
	for (unsigned tries = 0; tries < SCMI_TOKENS; tries++) {
		uint32_t t = token_next(s, c);
		bool busy = false;

		for (unsigned i = 0; i < SCMI_MAX_PENDING; i++)
			if (s->pending[i].used &&
			    scmi_hdr_token(s->pending[i].header) == t)
				busy = true;
		if (!busy)
			return t;
	}
	return 0; /* unreachable: at most SCMI_MAX_PENDING are busy */
}

static struct scmi_pending *pending_add(struct copro_scmi *s, uint32_t hdr)
{
	for (unsigned i = 0; i < SCMI_MAX_PENDING; i++) {
		struct scmi_pending *p = &s->pending[i];

		if (!p->used) {
			p->used = true;
			atomic_fetch_add(&s->npending, 1);
			p->header = hdr;
			p->len = 0;
			p->err = 0;
			copro_completion_reinit(&p->done);
			return p;
		}
	}
	return NULL;
}

void scmi_xfer_delayed(struct copro_scmi *s, const struct scmi_msg *m)
{
	unsigned token = scmi_hdr_token(m->header);
	bool found = false;

	copro_mutex_lock(&s->lock);
	for (unsigned i = 0; i < SCMI_MAX_PENDING; i++) {
		struct scmi_pending *p = &s->pending[i];

		if (!p->used || scmi_hdr_token(p->header) != token)
			continue;
		found = true;
		if (scmi_hdr_proto(p->header) != scmi_hdr_proto(m->header) ||
		    scmi_hdr_msg(p->header) != scmi_hdr_msg(m->header) ||
		    (m->header & SCMI_HDR_RESERVED_MASK) || m->len < 4) {
			p->err = -EPROTO;
		} else {
			p->status = (int32_t)copro_get_le32(m->payload);
			p->len = m->len - 4;
			memcpy(p->payload, m->payload + 4, p->len);
		}
		/* Counted before the waiter can see it. */
		count(s, &s->stats.delayed);
		copro_completion_complete(&p->done);
		break;
	}
	copro_mutex_unlock(&s->lock);
	if (!found) {
		copro_dev_warn(&s->ld, "delayed response 0x%08" PRIx32 " (token"
			       " %u) matches no command waiting for one:"
			       " dropped", m->header, token);
		count(s, &s->stats.dropped);
	}
}

/* Without host threads, nobody else delivers the receive channel. */
static int wait_delayed(struct copro_scmi *s, struct scmi_pending *p)
{
	uint64_t deadline;

	if (s->threaded)
		return copro_completion_wait(&p->done,
					     s->cfg.delayed_timeout_ns);
	deadline = copro_deadline(s->cfg.delayed_timeout_ns);
	for (;;) {
		copro_scmi_poll(s);
		if (copro_completion_wait(&p->done, 0) == 0)
			return 0;
		if (copro_deadline_left(deadline) == 0)
			return -ETIMEDOUT;
		copro_sleep_ns(20 * COPRO_NSEC_PER_USEC);
	}
}

static int64_t timeout(const struct copro_scmi *s)
{
	return s->cfg.timeout_ns;
}

int scmi_xfer(struct copro_scmi *s, struct scmi_xfer *x)
{
	struct scmi_chan *c = s->proto_chan[x->proto] ? s->proto_chan[x->proto]
						      : &s->chans[0];
	struct scmi_pending *p = NULL;
	struct scmi_msg *m = &x->m;
	uint32_t hdr;
	int ret;

	x->rx = m->payload;
	x->rx_len = x->dr_len = 0;
	x->status = x->dr_status = SCMI_GENERIC_ERROR;
	if (x->async && !s->has_p2a) {
		copro_dev_err(&s->ld, "%s %s: asynchronous, but this transport"
			      " has no receive channel for its delayed response",
			      copro_scmi_protocol_name(x->proto),
			      copro_scmi_message_name(x->proto, 0, x->msg));
		return -EOPNOTSUPP;
	}
	copro_bias_lock(&c->lock);
	if (!x->async && !atomic_load(&s->npending)) {
		/* Nothing awaits a delayed response: no token is taken. */
		hdr = scmi_hdr(x->proto, x->msg, SCMI_MSG_COMMAND,
			       token_next(s, c));
	} else {
		copro_mutex_lock(&s->lock);
		hdr = scmi_hdr(x->proto, x->msg, SCMI_MSG_COMMAND,
			       token_take(s, c));
		if (x->async && !(p = pending_add(s, hdr))) {
			copro_mutex_unlock(&s->lock);
			copro_bias_unlock(&c->lock);
			return -EBUSY;
		}
		copro_mutex_unlock(&s->lock);
	}
	/* Only the lock holder writes it: a store, not an atomic add. */
	copro_owned_add(&c->commands, 1);
	ret = scmi_chan_exchange(c, hdr, x->tx, x->tx_len, timeout(s), m);
	copro_bias_unlock(&c->lock);
	if (ret) {
		count(s, ret == -ETIMEDOUT ? &s->stats.timeouts
			 : ret == -EPROTO  ? &s->stats.bad_responses
					   : &s->stats.errors);
		goto out;
	}
	if (m->header != hdr) {
		ret = scmi_bad(s, x->proto, x->msg,
			       scmi_hdr_token(m->header) != scmi_hdr_token(hdr)
				       ? "the header has another token"
				       : "the header is not the command's");
		goto out;
	}
	x->status = (int32_t)copro_get_le32(m->payload);
	if (x->status > 0 || x->status < SCMI_STATUS_MIN) {
		ret = scmi_bad(s, x->proto, x->msg, "an unknown status");
		goto out;
	}
	/* Read straight into m by the exchange: no copy. */
	x->rx = m->payload + 4;
	x->rx_len = m->len - 4;
	ret = copro_scmi_status_errno(x->status);
	if (ret) {
		count(s, &s->stats.errors);
		goto out;
	}
	if (!p)
		goto out;

	/* The command is accepted; its result comes later. */
	ret = wait_delayed(s, p);
	copro_mutex_lock(&s->lock);
	if (ret) {
		copro_dev_err(&s->ld, "%s %s: no delayed response to token %u"
			      " in %" PRId64 " ms",
			      copro_scmi_protocol_name(x->proto),
			      copro_scmi_message_name(x->proto, 0, x->msg),
			      scmi_hdr_token(hdr),
			      (int64_t)(s->cfg.delayed_timeout_ns / COPRO_NSEC_PER_MSEC));
		count(s, &s->stats.timeouts);
	} else if (p->err) {
		ret = p->err;
	} else {
		x->dr_status = p->status;
		x->dr_len = p->len;
		memcpy(x->dr, p->payload, p->len);
	}
	copro_mutex_unlock(&s->lock);
	if (ret == -EPROTO) {
		ret = scmi_bad(s, x->proto, x->msg,
			       "its delayed response has another message or"
			       " no status");
	} else if (!ret) {
		if (x->dr_status > 0 || x->dr_status < SCMI_STATUS_MIN)
			ret = scmi_bad(s, x->proto, x->msg,
				       "its delayed response has an unknown"
				       " status");
		else
			ret = copro_scmi_status_errno(x->dr_status);
	}
out:
	if (p) {
		copro_mutex_lock(&s->lock);
		p->used = false;
		atomic_fetch_sub(&s->npending, 1);
		copro_mutex_unlock(&s->lock);
	}
	return ret;
}

int scmi_cmd(struct copro_scmi *s, unsigned proto, unsigned msg,
	     const uint32_t *words, unsigned nw, bool async,
	     struct scmi_xfer *x)
{
	uint8_t tx[16 * 4];

	if (nw > 16)
		return -EINVAL;
	for (unsigned i = 0; i < nw; i++)
		copro_put_le32(tx + 4 * i, words[i]);
	x->proto = (uint8_t)proto;
	x->msg = (uint8_t)msg;
	x->tx = tx;
	x->tx_len = 4 * (size_t)nw;
	x->async = async;
	return scmi_xfer(s, x);
}
