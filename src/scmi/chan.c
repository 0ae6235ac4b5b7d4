/* SPDX-License-Identifier: MIT */
/*
 * The agent's A2P channels: how a command reaches the platform and how
 * the agent learns it was answered.
 *
 * Triggers: an SMC/HVC with the channel's function id (the -param
 * variant adds the area's page and offset), or a send on a mailbox
 * channel (a doorbell; a SYNC mailbox returns once the platform has it).
 *
 * Completion, chosen per channel:
 *  - RETURN: the call returned, so the answer is there. A platform that
 *    returns with the area still busy broke that promise: -EPROTO.
 *  - IRQ: the "a2p" interrupt, or a message on a bidirectional mailbox
 *    channel. The a2p line is level and stays asserted until the next
 *    trigger, so its handler disables it; the next command enables it
 *    again once its call returned.
 *  - POLL: the area's status word and token, with back-off.
 * A wait ends at the command's timeout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <copro/error.h>
#include <copro/log.h>
#include <copro/mbox.h>
#include <copro/driver/smccc.h>

#include <copro/driver/platform.h>

#include "scmi/scmi_internal.h"

#define POLL_MIN_NS (1 * COPRO_NSEC_PER_USEC)
#define POLL_MAX_NS (500 * COPRO_NSEC_PER_USEC)
#define SPIN_NS (20 * COPRO_NSEC_PER_USEC)

static bool answered(const struct scmi_chan *c, uint32_t token)
{
	uint32_t st = scmi_area_status(&c->area);

	return (st & (SCMI_SHMEM_STATUS_FREE | SCMI_SHMEM_STATUS_ERROR)) &&
	       scmi_hdr_token(scmi_rd32(&c->area, SCMI_SHMEM_HEADER)) ==
		       token;
}

/* Interrupt context: the answer we wait for, or a stray one. */
static void completion_irq(struct scmi_chan *c)
{
	uint32_t want = atomic_load(&c->waiting);

	if (want == SCMI_TOKEN_NONE)
		return;
	if (!answered(c, want)) {
		copro_dev_dbg(&c->s->ld, "%s: interrupt without the answer to"
			      " token %" PRIu32 " (status 0x%" PRIx32 ")",
			      c->name, want, scmi_area_status(&c->area));
		return;
	}
	if (atomic_compare_exchange_strong(&c->waiting, &want,
					   SCMI_TOKEN_NONE))
		copro_completion_complete(&c->done);
}

static void a2p_irq(void *ctx)
{
	struct scmi_chan *c = ctx;

	/* Level, held until the next trigger: off until then. */
	copro_irq_disable(c->a2p_irq);
	completion_irq(c);
}

static void mbox_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	(void)chan;
	(void)msg;
	(void)len;
	completion_irq(ctx);
}

/* ---- setup ------------------------------------------------------------ */

static void name_chan(struct scmi_chan *c, int node, int transport)
{
	const struct copro_dt *dt = copro_platform_dt(c->s->p);
	uint32_t proto;

	if (node != transport && copro_dt_u32(dt, node, "reg", &proto) == 0)
		snprintf(c->name, sizeof(c->name), "%s a2p",
			 copro_scmi_protocol_name(proto));
	else
		snprintf(c->name, sizeof(c->name), "a2p");
}

static int chan_init(struct copro_scmi *s, struct scmi_chan *c, int node)
{
	c->s = s;
	c->node = node;
	atomic_init(&c->waiting, SCMI_TOKEN_NONE);
	copro_completion_init(&c->done);
	return copro_bias_lock_init(&c->lock);
}

int scmi_chan_smc(struct copro_scmi *s, int node, int transport,
		  struct scmi_chan *c)
{
	const struct copro_dt *dt = copro_platform_dt(s->p);
	char path[256], desc[96];
	int ret = chan_init(s, c, node);

	if (ret)
		return ret;
	name_chan(c, node, transport);
	c->trig = SCMI_TRIG_SMC;
	c->param = copro_dt_is_compatible(dt, transport,
					  COPRO_SCMI_SMC_PARAM_COMPATIBLE);
	copro_dt_node_path(dt, transport, path, sizeof(path));
	ret = copro_dt_u32(dt, transport, "arm,smc-id", &c->fid);
	if (!ret)
		ret = copro_smccc_conduit_dt(dt, transport, &c->conduit);
	if (ret)
		goto err;
	if (copro_smccc_fid_check(c->fid) < 0) {
		copro_dev_err(&s->ld, "%s: %s: arm,smc-id %s is not a function"
			      " id a caller may use", copro_dt_name(dt), path,
			      copro_smccc_fid_describe(c->fid, desc,
						       sizeof(desc)));
		ret = -EINVAL;
		goto err;
	}
	ret = scmi_area_map(s, node, 0, &c->area);
	if (ret)
		goto err;
	c->done_by = s->cfg.poll ? SCMI_DONE_POLL : SCMI_DONE_RETURN;
	if (!s->cfg.poll && copro_dt_has(dt, node, "interrupts") &&
	    copro_dt_string_index(dt, node, "interrupt-names", "a2p") >= 0) {
		ret = copro_irq_request_dt(s->p, node, "a2p", 0, a2p_irq, c,
					   &c->a2p_irq);
		if (ret) {
			scmi_area_unmap(&c->area);
			goto err;
		}
		copro_irq_disable(c->a2p_irq);
		c->done_by = SCMI_DONE_IRQ;
	}
	return 0;
err:
	copro_bias_lock_destroy(&c->lock);
	return ret;
}

int scmi_chan_mbox(struct copro_scmi *s, int node, struct scmi_chan *c)
{
	const struct copro_dt *dt = copro_platform_dt(s->p);
	struct copro_mbox_client cl = {
		.ctx = c,
		.rx = mbox_rx,
		.rx_mode = COPRO_MBOX_RX_IRQ,
	};
	bool named = copro_dt_has(dt, node, "mbox-names");
	int ret = chan_init(s, c, node);

	if (ret)
		return ret;
	name_chan(c, node, s->node);
	c->trig = SCMI_TRIG_MBOX;
	ret = scmi_area_map(s, node, 0, &c->area);
	if (ret)
		goto err;
	ret = copro_mbox_request_dt(s->p, node, named ? "tx" : NULL, 0, &cl,
				    &c->tx);
	if (ret) {
		copro_dev_log(&s->ld, ret == -ENODEV ? COPRO_LOG_DEBUG
						      : COPRO_LOG_ERR,
			      "%s: cannot bind its tx mailbox: %s", c->name,
			      copro_strerror(ret));
		scmi_area_unmap(&c->area);
		goto err;
	}
	c->tx_sync = copro_mbox_txdone_mode(c->tx) == COPRO_MBOX_TXDONE_SYNC;
	if (s->cfg.poll)
		c->done_by = SCMI_DONE_POLL;
	else if (c->tx_sync)
		c->done_by = SCMI_DONE_RETURN;
	else if (copro_mbox_dir(c->tx) & COPRO_MBOX_DIR_RX)
		c->done_by = SCMI_DONE_IRQ;
	else
		c->done_by = SCMI_DONE_POLL;
	return 0;
err:
	copro_bias_lock_destroy(&c->lock);
	return ret;
}

void scmi_chan_free(struct scmi_chan *c)
{
	if (c->a2p_irq)
		copro_irq_free(c->a2p_irq);
	if (c->tx)
		copro_mbox_free(c->tx);
	scmi_area_unmap(&c->area);
	copro_bias_lock_destroy(&c->lock);
	memset(c, 0, sizeof(*c));
}

/* ---- one exchange ------------------------------------------------------ */

/* Polls `cond` until it holds or the deadline passes, backing off. */
static bool wait_for(struct scmi_chan *c, bool (*cond)(struct scmi_chan *, uint32_t),
		     uint32_t arg, uint64_t deadline)
{
	uint64_t start = copro_time_ns(), slice = POLL_MIN_NS;

	for (;;) {
		if (cond(c, arg))
			return true;
		if (copro_deadline_left(deadline) == 0)
			return cond(c, arg);
		if (!c->s->threaded)
			copro_platform_poll(c->s->p);
		if (copro_time_ns() - start < SPIN_NS) {
			copro_cpu_relax();
			continue;
		}
		copro_sleep_ns(slice);
		slice = slice * 2 > POLL_MAX_NS ? POLL_MAX_NS : slice * 2;
	}
}

static bool area_free(struct scmi_chan *c, uint32_t unused)
{
	(void)unused;
	return scmi_area_free(&c->area);
}

static bool area_answered(struct scmi_chan *c, uint32_t token)
{
	return answered(c, token);
}

static bool irq_done(struct scmi_chan *c, uint32_t unused)
{
	(void)unused;
	return copro_completion_done(&c->done);
}

/* Cold: the firmware refused the call, or there is no conduit. */
static __attribute__((noinline)) int smc_failed(struct scmi_chan *c, int ret,
						 int64_t fw)
{
	struct copro_scmi *s = c->s;
	const char *n;

	if (ret) {
		copro_dev_err(&s->ld, "%s: no %s conduit: %s", c->name,
			      copro_conduit_name(c->conduit), copro_strerror(ret));
		return ret;
	}
	n = copro_smccc_ret_name(fw);
	copro_dev_err(&s->ld, "%s: the firmware answered the %s call 0x%08"
		      PRIx32 " with %s (%" PRId64 ")", c->name,
		      copro_conduit_name(c->conduit), c->fid,
		      n ? n : "an unknown code", fw);
	return fw == COPRO_SMCCC_RET_NOT_SUPPORTED ? -EOPNOTSUPP : -EIO;
}

/* Inline in the exchange: the SMC is the hot path. */
static inline int trigger_smc(struct scmi_chan *c)
{
	uint64_t args[2] = { c->area.phys >> 12, c->area.phys & 0xfff };
	struct copro_smccc_regs r;
	int64_t fw;
	int ret = copro_smccc_call(c->s->p, c->conduit, c->fid, args,
				   c->param ? 2 : 0, &r);

	if (ret)
		return smc_failed(c, ret, 0);
	fw = copro_smccc_ret(c->fid, r.x[0]);
	return fw ? smc_failed(c, 0, fw) : 0;
}

static __attribute__((noinline)) int trigger_mbox(struct scmi_chan *c)
{
	struct copro_scmi *s = c->s;
	int ret;

	if (c->tx_sync) {
		uint8_t reply[64];
		size_t rlen = sizeof(reply);

		return copro_mbox_call(c->tx, NULL, 0, reply, &rlen);
	}
	ret = copro_mbox_send(c->tx, NULL, 0, s->cfg.timeout_ns);
	if (ret == -EOPNOTSUPP) {
		/* No doorbells: a message of zeroes rings it as well. */
		uint8_t zero[64] = { 0 };
		size_t n = copro_mbox_mtu(c->tx);

		ret = copro_mbox_send(c->tx, zero, n < sizeof(zero) ? n : sizeof(zero),
				      s->cfg.timeout_ns);
	}
	return ret;
}

static inline int trigger(struct scmi_chan *c)
{
	return c->trig == SCMI_TRIG_SMC ? trigger_smc(c) : trigger_mbox(c);
}

int scmi_chan_exchange(struct scmi_chan *c, uint32_t header,
		       const void *payload, size_t len, int64_t timeout_ns,
		       struct scmi_msg *msg)
{
	struct copro_scmi *s = c->s;
	uint64_t deadline = UINT64_MAX;
	uint32_t token = scmi_hdr_token(header), status = 0;
	const char *why = NULL;
	int ret;

	if (len > scmi_area_payload_max(&c->area))
		return -EMSGSIZE;
	/* A platform that answered late may still hold the area. */
	if (!scmi_area_free(&c->area) &&
	    !wait_for(c, area_free, 0,
		      deadline = copro_deadline(timeout_ns))) {
		copro_dev_err(&s->ld, "%s: the platform still holds the area"
			      " at 0x%" PRIx64 " (status 0x%" PRIx32 ") after"
			      " %" PRId64 " ms", c->name, c->area.phys,
			      scmi_area_status(&c->area),
			      (int64_t)(timeout_ns / COPRO_NSEC_PER_MSEC));
		return -EBUSY;
	}
	if (c->done_by == SCMI_DONE_IRQ) {
		copro_completion_reinit(&c->done);
		atomic_store(&c->waiting, token);
	}
	scmi_area_write_cmd(&c->area, header, payload, len,
			    c->done_by == SCMI_DONE_IRQ);
	scmi_trace(s, c->name, true, header, payload, len);

	ret = trigger(c);
	if (ret) {
		/* The platform never saw it: the area is ours again. */
		atomic_store(&c->waiting, SCMI_TOKEN_NONE);
		scmi_area_release(&c->area);
		return ret;
	}
	/* Only waits need the clock. */
	if (c->done_by != SCMI_DONE_RETURN && deadline == UINT64_MAX)
		deadline = copro_deadline(timeout_ns);
	switch (c->done_by) {
	case SCMI_DONE_RETURN:
		status = scmi_area_status(&c->area);
		if (!(status &
		      (SCMI_SHMEM_STATUS_FREE | SCMI_SHMEM_STATUS_ERROR))) {
			copro_dev_err(&s->ld, "%s: the call returned with the"
				      " area still busy (status 0x%" PRIx32 ")",
				      c->name, status);
			return -EPROTO;
		}
		break;
	case SCMI_DONE_IRQ:
		if (c->a2p_irq)
			copro_irq_enable(c->a2p_irq);
		if (s->threaded)
			ret = copro_completion_wait(&c->done,
						    copro_deadline_left(deadline));
		else
			ret = wait_for(c, irq_done, 0, deadline) ? 0 : -ETIMEDOUT;
		if (ret) {
			uint32_t want = token;

			/* Too late now: a late interrupt finds nobody. */
			atomic_compare_exchange_strong(&c->waiting, &want,
						       SCMI_TOKEN_NONE);
			if (c->a2p_irq)
				copro_irq_disable(c->a2p_irq);
		}
		break;
	case SCMI_DONE_POLL:
		ret = wait_for(c, area_answered, token, deadline) ? 0
								  : -ETIMEDOUT;
		break;
	}
	if (ret == -ETIMEDOUT) {
		copro_dev_err(&s->ld, "%s: no answer to token %" PRIu32 " in %"
			      PRId64 " ms (status 0x%" PRIx32 ")", c->name,
			      token, (int64_t)(timeout_ns / COPRO_NSEC_PER_MSEC),
			      scmi_area_status(&c->area));
		return ret;
	}
	if (ret)
		return ret;
	if (c->done_by != SCMI_DONE_RETURN)
		status = scmi_area_status(&c->area);
	if (status & SCMI_SHMEM_STATUS_ERROR) {
		copro_dev_err(&s->ld, "%s: the platform reported a channel"
			      " error (status 0x%" PRIx32 ")", c->name, status);
		return -ECOMM;
	}
	ret = scmi_area_read(&c->area, 4, msg, &why);
	if (ret) {
		copro_dev_err(&s->ld, "%s: the answer to token %" PRIu32
			      " has %s", c->name, token, why);
		return ret;
	}
	scmi_trace(s, c->name, false, msg->header, msg->payload, msg->len);
	return 0;
}
