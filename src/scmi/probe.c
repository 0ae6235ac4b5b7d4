/* SPDX-License-Identifier: MIT */
/*
 * Bringing an agent up from its devicetree node: the channels (the
 * node's own, and those of protocol subnodes with their own `shmem`), the
 * receive channel of the mailbox transport, and Base discovery. Each
 * other protocol is looked at when first used: its version (of a major
 * this agent reads) and attributes, cached.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/log.h>

#include "scmi/scmi_internal.h"

int copro_scmi_node(const struct copro_dt *dt, unsigned n)
{
	static const char *const compat[] = { COPRO_SCMI_COMPATIBLE,
					      COPRO_SCMI_SMC_COMPATIBLE,
					      COPRO_SCMI_SMC_PARAM_COMPATIBLE };
	int found[64];
	unsigned nfound = 0;

	for (size_t k = 0; k < sizeof(compat) / sizeof(compat[0]); k++)
		for (int node = copro_dt_next_compatible(dt, -1, compat[k]);
		     node >= 0 && nfound < 64;
		     node = copro_dt_next_compatible(dt, node, compat[k])) {
			bool dup = false;

			for (unsigned i = 0; i < nfound; i++)
				dup |= found[i] == node;
			if (!dup)
				found[nfound++] = node;
		}
	/* Devicetree order, whichever compatible found it. */
	for (unsigned i = 0; i < nfound; i++)
		for (unsigned j = i + 1; j < nfound; j++)
			if (found[j] < found[i]) {
				int t = found[i];

				found[i] = found[j];
				found[j] = t;
			}
	return n < nfound ? found[n] : -ENOENT;
}

/* The major versions whose layouts this agent reads. */
static unsigned major_max(unsigned proto)
{
	switch (proto) {
	case SCMI_PROTO_BASE: return 2;
	case SCMI_PROTO_POWER: return 3;
	case SCMI_PROTO_SYSTEM: return 2;
	case SCMI_PROTO_PERF: return 3;
	case SCMI_PROTO_CLOCK: return 3;
	case SCMI_PROTO_SENSOR: return 1;
	case SCMI_PROTO_RESET: return 3;
	}
	return 0;
}

/* PROTOCOL_ATTRIBUTES: how many words, which bits of the first reserved. */
static void attr_layout(unsigned proto, uint32_t version, size_t *words,
			uint32_t *reserved)
{
	*words = 1;
	*reserved = 0;
	switch (proto) {
	case SCMI_PROTO_BASE:
	case SCMI_PROTO_RESET:
		*reserved = 0xffff0000u;
		break;
	case SCMI_PROTO_POWER:
		*words = 4;
		*reserved = 0xffff0000u;
		break;
	case SCMI_PROTO_SYSTEM:
		if (SCMI_VERSION_MAJOR(version) >= 2)
			*reserved = 0x3fffffffu;
		break;
	case SCMI_PROTO_PERF:
		*words = 4;
		*reserved = SCMI_VERSION_MAJOR(version) >= 3 ? 0xfffc0000u
							     : 0xfffe0000u;
		break;
	case SCMI_PROTO_CLOCK:
		*reserved = 0xff000000u;
		break;
	case SCMI_PROTO_SENSOR:
		*words = 4;
		*reserved = 0xff000000u;
		break;
	}
}

static int proto_fetch(struct copro_scmi *s, unsigned proto,
		       struct scmi_proto *pi)
{
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	uint32_t reserved;
	int ret;

	ret = scmi_cmd(s, proto, SCMI_PROTOCOL_VERSION, NULL, 0, false, x);
	if (ret)
		goto out;
	rd_init(&r, x->rx, x->rx_len);
	pi->version = rd_u32(&r);
	if (rd_end(&r)) {
		ret = scmi_bad(s, proto, SCMI_PROTOCOL_VERSION, r.why);
		goto out;
	}
	if (SCMI_VERSION_MAJOR(pi->version) > major_max(proto) ||
	    !SCMI_VERSION_MAJOR(pi->version)) {
		copro_dev_err(&s->ld, "%s protocol version %" PRIu32 ".%" PRIu32
			      ": this agent reads versions 1 to %u",
			      copro_scmi_protocol_name(proto),
			      pi->version >> 16, pi->version & 0xffff,
			      major_max(proto));
		ret = -EPROTONOSUPPORT;
		goto out;
	}
	ret = scmi_cmd(s, proto, SCMI_PROTOCOL_ATTRIBUTES, NULL, 0, false, x);
	if (ret)
		goto out;
	attr_layout(proto, pi->version, &pi->attr_words, &reserved);
	rd_init(&r, x->rx, x->rx_len);
	for (size_t i = 0; i < pi->attr_words; i++)
		pi->attr[i] = rd_u32(&r);
	rd_mbz(&r, pi->attr[0], reserved, "reserved attribute bits set");
	if (rd_end(&r))
		ret = scmi_bad(s, proto, SCMI_PROTOCOL_ATTRIBUTES, r.why);
out:
	return ret;
}

int scmi_proto_probe(struct copro_scmi *s, unsigned proto,
		     const struct scmi_proto **out)
{
	struct scmi_proto *pi = &s->protos[proto & 0xff], fresh = { 0 };
	int ret;

	if (proto != SCMI_PROTO_BASE && !copro_scmi_has_protocol(s, proto)) {
		copro_dev_dbg(&s->ld, "the platform does not list the %s"
			      " protocol (0x%x) for this agent",
			      copro_scmi_protocol_name(proto), proto);
		return -EOPNOTSUPP;
	}
	/* Two threads may both ask; they get the same answers. */
	ret = proto_fetch(s, proto, &fresh);
	if (ret)
		return ret;
	copro_mutex_lock(&s->lock);
	if (!atomic_load(&pi->probed)) {
		pi->err = fresh.err;
		pi->version = fresh.version;
		memcpy(pi->attr, fresh.attr, sizeof(pi->attr));
		pi->attr_words = fresh.attr_words;
		atomic_store_explicit(&pi->probed, true, memory_order_release);
	}
	copro_mutex_unlock(&s->lock);
	*out = pi;
	return 0;
}

int scmi_check_id(struct copro_scmi *s, unsigned proto, uint32_t id,
		  unsigned count)
{
	if (id < count)
		return 0;
	copro_dev_dbg(&s->ld, "%s %" PRIu32 ": the platform has %u",
		      copro_scmi_protocol_name(proto), id, count);
	return -ENOENT;
}

/* ---- probe -------------------------------------------------------------- */

static int channels(struct copro_scmi *s, bool smc)
{
	const struct copro_dt *dt = copro_platform_dt(s->p);
	int child, ret;

	ret = smc ? scmi_chan_smc(s, s->node, s->node, &s->chans[0])
		  : scmi_chan_mbox(s, s->node, &s->chans[0]);
	if (ret)
		return ret;
	s->nchans = 1;
	for (child = copro_dt_first_child(dt, s->node); child >= 0;
	     child = copro_dt_next_child(dt, child)) {
		uint32_t proto;

		if (!copro_dt_has(dt, child, "shmem") ||
		    copro_dt_u32(dt, child, "reg", &proto) || proto > 0xff)
			continue;
		if (s->nchans == SCMI_MAX_CHANS)
			return -ENOSPC;
		struct scmi_chan *c = &s->chans[s->nchans];

		ret = smc ? scmi_chan_smc(s, child, s->node, c)
			  : scmi_chan_mbox(s, child, c);
		if (ret)
			return ret;
		s->nchans++;
		s->proto_chan[proto] = c;
	}
	s->token_stride = 1;
	while (s->token_stride < s->nchans)
		s->token_stride *= 2;
	for (unsigned i = 0; i < s->nchans; i++)
		s->chans[i].index = i;
	if (!smc && copro_dt_ref_count(dt, s->node, "mboxes", "#mbox-cells") >= 2 &&
	    copro_dt_ref_count(dt, s->node, "shmem", NULL) >= 2)
		return scmi_p2a_setup(s, s->node);
	return 0;
}

int copro_scmi_probe(struct copro_platform *p, int node,
		     const struct copro_scmi_config *cfg,
		     struct copro_scmi **out)
{
	const struct copro_dt *dt = copro_platform_dt(p);
	struct copro_scmi *s;
	char path[256];
	bool smc;
	int ret;

	*out = NULL;
	smc = copro_dt_is_compatible(dt, node, COPRO_SCMI_SMC_COMPATIBLE) ||
	      copro_dt_is_compatible(dt, node, COPRO_SCMI_SMC_PARAM_COMPATIBLE);
	if (!smc && !copro_dt_is_compatible(dt, node, COPRO_SCMI_COMPATIBLE)) {
		copro_logf(copro_platform_log(p), COPRO_LOG_ERR, "scmi",
			   "%s: %s: not an SCMI node (\"%s\", \"%s\")",
			   copro_dt_name(dt),
			   copro_dt_node_path(dt, node, path, sizeof(path)),
			   COPRO_SCMI_COMPATIBLE, COPRO_SCMI_SMC_COMPATIBLE);
		return -ENODEV;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->p = p;
	s->node = node;
	s->threaded = copro_platform_threaded(p);
	if (cfg)
		s->cfg = *cfg;
	if (s->cfg.timeout_ns <= 0)
		s->cfg.timeout_ns = SCMI_DEFAULT_TIMEOUT_NS;
	if (s->cfg.delayed_timeout_ns <= 0)
		s->cfg.delayed_timeout_ns = SCMI_DEFAULT_DELAYED_NS;
	copro_logdev_init(&s->ld, copro_platform_log(p), "scmi:%s",
			  copro_dt_node_name(dt, node));
	for (unsigned i = 0; i < SCMI_MAX_PENDING; i++)
		copro_completion_init(&s->pending[i].done);
	ret = copro_mutex_init(&s->lock);
	if (ret)
		goto err_free;
	ret = copro_mutex_init(&s->sub_lock);
	if (ret)
		goto err_lock;
	ret = channels(s, smc);
	if (!ret)
		ret = scmi_base_discover(s);
	if (ret) {
		if (ret != -ENODEV)
			copro_dev_err(&s->ld, "%s: %s: cannot bring the agent"
				      " up: %s", copro_dt_name(dt),
				      copro_dt_node_path(dt, node, path,
							 sizeof(path)),
				      copro_strerror(ret));
		goto err_chans;
	}
	*out = s;
	return 0;

err_chans:
	scmi_p2a_free(s);
	for (unsigned i = 0; i < SCMI_MAX_CHANS; i++)
		if (s->chans[i].s)
			scmi_chan_free(&s->chans[i]);
	copro_mutex_destroy(&s->sub_lock);
err_lock:
	copro_mutex_destroy(&s->lock);
err_free:
	free(s);
	return ret;
}

void copro_scmi_remove(struct copro_scmi *s)
{
	if (!s)
		return;
	/* Nothing arrives for subscribers once the receive channel is gone. */
	scmi_p2a_free(s);
	scmi_notify_free(s);
	for (unsigned i = 0; i < SCMI_MAX_CHANS; i++)
		if (s->chans[i].s)
			scmi_chan_free(&s->chans[i]);
	copro_mutex_destroy(&s->sub_lock);
	copro_mutex_destroy(&s->lock);
	free(s);
}

void copro_scmi_get_stats(struct copro_scmi *s, struct copro_scmi_stats *out)
{
	out->commands = 0;
	for (unsigned i = 0; i < s->nchans; i++)
		out->commands += atomic_load_explicit(&s->chans[i].commands,
						      memory_order_relaxed);
	out->errors = atomic_load(&s->stats.errors);
	out->timeouts = atomic_load(&s->stats.timeouts);
	out->bad_responses = atomic_load(&s->stats.bad_responses);
	out->delayed = atomic_load(&s->stats.delayed);
	out->notifications = atomic_load(&s->stats.notifications);
	out->dropped = atomic_load(&s->stats.dropped);
}
