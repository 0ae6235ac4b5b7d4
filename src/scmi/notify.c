/* SPDX-License-Identifier: MIT */
/*
 * Notifications: subscriptions, the NOTIFY command that turns an event
 * on at the platform when its first subscriber arrives (and off after the
 * last one leaves), and the decoding of each event, checked like any
 * answer: an event of the wrong size or of an unknown kind is dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/log.h>

#include "scmi/scmi_internal.h"

/* The command that turns an event on or off; 0 when there is none. */
static unsigned notify_cmd(unsigned proto, unsigned evt, bool *has_src)
{
	*has_src = true;
	switch (proto) {
	case SCMI_PROTO_BASE:
		*has_src = false;
		return evt == SCMI_BASE_EVT_ERROR ? SCMI_BASE_NOTIFY_ERRORS : 0;
	case SCMI_PROTO_POWER:
		return evt == SCMI_PD_EVT_STATE_CHANGED ? SCMI_PD_STATE_NOTIFY : 0;
	case SCMI_PROTO_SYSTEM:
		*has_src = false;
		return evt == SCMI_SYS_EVT_NOTIFIER ? SCMI_SYS_STATE_NOTIFY : 0;
	case SCMI_PROTO_PERF:
		if (evt == SCMI_PERF_EVT_LIMITS_CHANGED)
			return SCMI_PERF_NOTIFY_LIMITS;
		return evt == SCMI_PERF_EVT_LEVEL_CHANGED ? SCMI_PERF_NOTIFY_LEVEL
							  : 0;
	case SCMI_PROTO_CLOCK:
		if (evt == SCMI_CLOCK_EVT_RATE_CHANGED)
			return SCMI_CLOCK_RATE_NOTIFY;
		return evt == SCMI_CLOCK_EVT_RATE_CHANGE_REQUESTED
			       ? SCMI_CLOCK_RATE_CHANGE_REQUESTED_NOTIFY
			       : 0;
	case SCMI_PROTO_RESET:
		return evt == SCMI_RESET_EVT_ISSUED ? SCMI_RESET_NOTIFY : 0;
	}
	return 0;
}

static int notify_set(struct copro_scmi *s, unsigned proto, unsigned evt,
		      uint32_t src, bool on)
{
	struct scmi_xfer xs, *x = &xs;
	uint32_t w[2];
	bool has_src;
	unsigned cmd = notify_cmd(proto, evt, &has_src);
	int ret;

	if (has_src) {
		w[0] = src;
		w[1] = on ? SCMI_NOTIFY_ENABLE : 0;
	} else {
		w[0] = on ? SCMI_NOTIFY_ENABLE : 0;
	}
	ret = scmi_cmd(s, proto, cmd, w, has_src ? 2 : 1, false, x);
	if (!ret && x->rx_len)
		ret = scmi_bad(s, proto, cmd, "a NOTIFY answer with a payload");
	return ret;
}

static bool same(const struct copro_scmi_sub *a, unsigned proto,
		 unsigned evt, uint32_t src)
{
	return a->proto == proto && a->evt == evt && a->src == src;
}

int copro_scmi_subscribe(struct copro_scmi *s, unsigned proto, unsigned evt,
			 uint32_t src, copro_scmi_event_fn fn, void *ctx,
			 struct copro_scmi_sub **out)
{
	const struct scmi_proto *pi;
	struct copro_scmi_sub *sub;
	bool has_src, first = true;
	int ret;

	*out = NULL;
	if (!fn || proto > 0xff || evt > 0xff)
		return -EINVAL;
	if (!notify_cmd(proto, evt, &has_src))
		return -EOPNOTSUPP;
	if (!has_src)
		src = 0;
	if (!s->has_p2a) {
		copro_dev_err(&s->ld, "%s event %u: this transport has no"
			      " receive channel for notifications",
			      copro_scmi_protocol_name(proto), evt);
		return -EOPNOTSUPP;
	}
	ret = scmi_proto(s, proto, &pi);
	if (ret)
		return ret;
	sub = calloc(1, sizeof(*sub));
	if (!sub)
		return -ENOMEM;
	*sub = (struct copro_scmi_sub){ s, NULL, (uint8_t)proto, (uint8_t)evt,
					src, fn, ctx };
	copro_mutex_lock(&s->sub_lock);
	for (struct copro_scmi_sub *o = s->subs; o; o = o->next)
		if (same(o, proto, evt, src))
			first = false;
	ret = first ? notify_set(s, proto, evt, src, true) : 0;
	if (!ret) {
		sub->next = s->subs;
		s->subs = sub;
	}
	copro_mutex_unlock(&s->sub_lock);
	if (ret) {
		free(sub);
		return ret;
	}
	*out = sub;
	return 0;
}

void copro_scmi_unsubscribe(struct copro_scmi_sub *sub)
{
	struct copro_scmi *s;
	bool last = true;

	if (!sub)
		return;
	s = sub->s;
	copro_mutex_lock(&s->sub_lock);
	for (struct copro_scmi_sub **pp = &s->subs; *pp; pp = &(*pp)->next) {
		if (*pp == sub) {
			*pp = sub->next;
			break;
		}
	}
	for (struct copro_scmi_sub *o = s->subs; o; o = o->next)
		if (same(o, sub->proto, sub->evt, sub->src))
			last = false;
	if (last)
		notify_set(s, sub->proto, sub->evt, sub->src, false);
	copro_mutex_unlock(&s->sub_lock);
	free(sub);
}

void scmi_notify_free(struct copro_scmi *s)
{
	while (s->subs) {
		struct copro_scmi_sub *sub = s->subs;

		s->subs = sub->next;
		free(sub);
	}
}

/* An event's payload into ev; -EPROTO when it is not what it should be. */
static int decode(struct copro_scmi *s, const struct scmi_msg *m,
		  struct copro_scmi_event *ev)
{
	struct scmi_rd r;
	unsigned proto = scmi_hdr_proto(m->header), evt = scmi_hdr_msg(m->header);
	uint32_t version;
	bool known;

	copro_mutex_lock(&s->lock);
	known = s->protos[proto].probed;
	version = s->protos[proto].version;
	copro_mutex_unlock(&s->lock);

	memset(ev, 0, sizeof(*ev));
	ev->protocol = (uint8_t)proto;
	ev->id = (uint8_t)evt;
	rd_init(&r, m->payload, m->len);
	ev->agent_id = rd_u32(&r);
	switch (proto << 8 | evt) {
	case SCMI_PROTO_BASE << 8 | SCMI_BASE_EVT_ERROR: {
		unsigned n;

		ev->u.error.status = rd_u32(&r);
		n = SCMI_BASE_ERROR_COUNT(ev->u.error.status);
		rd_mbz(&r, ev->u.error.status, 0x7ffffc00u,
		       "error status reserved bits set");
		if (n * 8 != rd_left(&r))
			rd_fail(&r, "error reports do not match their count");
		ev->u.error.report = n ? rd_u64(&r) : 0;
		r.off = r.len; /* the other reports are counted, not kept */
		break;
	}
	case SCMI_PROTO_POWER << 8 | SCMI_PD_EVT_STATE_CHANGED:
	case SCMI_PROTO_RESET << 8 | SCMI_RESET_EVT_ISSUED:
		ev->src_id = rd_u32(&r);
		ev->u.state = rd_u32(&r);
		break;
	case SCMI_PROTO_SYSTEM << 8 | SCMI_SYS_EVT_NOTIFIER:
		ev->u.system.flags = rd_u32(&r);
		ev->u.system.state = rd_u32(&r);
		/* The timeout came with version 2.0. */
		if (!known || SCMI_VERSION_MAJOR(version) >= 2)
			ev->u.system.timeout = rd_u32(&r);
		break;
	case SCMI_PROTO_PERF << 8 | SCMI_PERF_EVT_LIMITS_CHANGED:
		ev->src_id = rd_u32(&r);
		ev->u.limits.max = rd_u32(&r);
		ev->u.limits.min = rd_u32(&r);
		break;
	case SCMI_PROTO_PERF << 8 | SCMI_PERF_EVT_LEVEL_CHANGED:
		ev->src_id = rd_u32(&r);
		ev->u.level = rd_u32(&r);
		break;
	case SCMI_PROTO_CLOCK << 8 | SCMI_CLOCK_EVT_RATE_CHANGED:
	case SCMI_PROTO_CLOCK << 8 | SCMI_CLOCK_EVT_RATE_CHANGE_REQUESTED:
		ev->src_id = rd_u32(&r);
		ev->u.rate = rd_u64(&r);
		break;
	default:
		rd_fail(&r, "an event this agent does not know");
		break;
	}
	if (m->header & SCMI_HDR_RESERVED_MASK)
		rd_fail(&r, "reserved header bits set");
	if (rd_end(&r)) {
		copro_dev_err(&s->ld, "p2a: %s %s dropped: %s",
			      copro_scmi_protocol_name(proto),
			      copro_scmi_message_name(proto, SCMI_MSG_NOTIFICATION,
						      evt),
			      r.why);
		return -EPROTO;
	}
	return 0;
}

void scmi_notify_dispatch(struct copro_scmi *s, const struct scmi_msg *m)
{
	struct copro_scmi_event ev;
	unsigned delivered = 0;

	if (decode(s, m, &ev)) {
		atomic_fetch_add_explicit(&s->stats.dropped, 1,
					  memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&s->stats.notifications, 1,
				  memory_order_relaxed);
	copro_mutex_lock(&s->sub_lock);
	for (struct copro_scmi_sub *sub = s->subs; sub; sub = sub->next) {
		if (same(sub, ev.protocol, ev.id, ev.src_id)) {
			sub->fn(sub->ctx, &ev);
			delivered++;
		}
	}
	copro_mutex_unlock(&s->sub_lock);
	if (!delivered)
		copro_dev_dbg(&s->ld, "p2a: %s for nobody",
			      copro_scmi_message_name(ev.protocol,
						      SCMI_MSG_NOTIFICATION,
						      ev.id));
}
