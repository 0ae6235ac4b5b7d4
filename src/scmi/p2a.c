/* SPDX-License-Identifier: MIT */
/*
 * The receive (P2A) channel of the mailbox transport: its mailbox says a
 * message is in the P2A area, a delayed response or a notification. The
 * area is read and checked, handed on, and released (FREE); if the
 * platform asked for it (flags bit 0) the agent rings back on the same
 * mailbox channel so the platform can send the next one.
 *
 * Whatever the platform wrote, the area is released: a malformed message
 * is counted and dropped, never allowed to wedge the channel.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <copro/error.h>
#include <copro/log.h>

#include <copro/driver/platform.h>

#include "scmi/scmi_internal.h"

static void p2a_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		   size_t len)
{
	struct copro_scmi *s = ctx;
	struct scmi_p2a *q = &s->p2a;
	struct scmi_msg *m;
	const char *why = NULL;
	unsigned type;

	(void)chan;
	(void)msg;
	(void)len;
	if (scmi_area_free(&q->area))
		return; /* a doorbell with nothing in the area */
	m = malloc(sizeof(*m));
	if (!m)
		goto release;
	if (scmi_area_read(&q->area, 0, m, &why) == 0) {
		scmi_trace(s, "p2a", false, m->header, m->payload, m->len);
		type = scmi_hdr_type(m->header);
		if (type == SCMI_MSG_DELAYED_RESP) {
			scmi_xfer_delayed(s, m);
		} else if (type == SCMI_MSG_NOTIFICATION) {
			scmi_notify_dispatch(s, m);
		} else {
			why = "a message that is neither a delayed response"
			      " nor a notification";
		}
	}
	if (why) {
		copro_dev_err(&s->ld, "p2a: dropped a message with %s (header"
			      " 0x%08" PRIx32 ")", why, m->header);
		atomic_fetch_add_explicit(&s->stats.dropped, 1,
					  memory_order_relaxed);
	}
release:
	{
		bool ack = scmi_rd32(&q->area, SCMI_SHMEM_FLAGS) &
			   SCMI_SHMEM_FLAGS_INTR;

		scmi_area_release(&q->area);
		if (ack && q->can_ack)
			copro_mbox_send(q->rx, NULL, 0, 0);
	}
	free(m);
}

int scmi_p2a_setup(struct copro_scmi *s, int node)
{
	const struct copro_dt *dt = copro_platform_dt(s->p);
	struct copro_mbox_client cl = {
		.ctx = s,
		.rx = p2a_rx,
		.rx_mode = COPRO_MBOX_RX_DEFERRED,
	};
	bool named = copro_dt_has(dt, node, "mbox-names");
	int ret;

	ret = scmi_area_map(s, node, 1, &s->p2a.area);
	if (ret)
		return ret;
	ret = copro_mbox_request_dt(s->p, node, named ? "rx" : NULL,
				    named ? 0 : 1, &cl, &s->p2a.rx);
	if (ret) {
		copro_dev_log(&s->ld, ret == -ENODEV ? COPRO_LOG_DEBUG
						      : COPRO_LOG_ERR,
			      "cannot bind the rx mailbox: %s",
			      copro_strerror(ret));
		scmi_area_unmap(&s->p2a.area);
		return ret;
	}
	if (!(copro_mbox_dir(s->p2a.rx) & COPRO_MBOX_DIR_RX)) {
		copro_dev_err(&s->ld, "the rx mailbox channel cannot receive"
			      " (no interrupt?): no delayed responses or"
			      " notifications");
		copro_mbox_free(s->p2a.rx);
		scmi_area_unmap(&s->p2a.area);
		return -EINVAL;
	}
	s->p2a.can_ack = copro_mbox_dir(s->p2a.rx) & COPRO_MBOX_DIR_TX;
	s->has_p2a = true;
	return 0;
}

void scmi_p2a_free(struct copro_scmi *s)
{
	if (!s->has_p2a)
		return;
	copro_mbox_free(s->p2a.rx);
	scmi_area_unmap(&s->p2a.area);
	s->has_p2a = false;
}

int copro_scmi_poll(struct copro_scmi *s)
{
	return s->has_p2a ? copro_mbox_poll(s->p2a.rx) : 0;
}
