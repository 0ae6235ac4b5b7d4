/* SPDX-License-Identifier: MIT */
/*
 * The SMC/HVC mailbox controller: see <copro/smc_mbox.h>.
 *
 * TX: SYNC. A send is one call; when it returns the firmware has the
 * message, and the framework completes it at once.
 *
 * RX: the interrupt is level and shared by the receive channels. Its
 * handler drains, channel by channel, the events the firmware queued,
 * but only while the client's ring has room: a channel whose ring is full
 * is disabled at the firmware (RX_DISABLE), which then stops asserting
 * the line for it, until the framework's rx_resume enables it again. An
 * event the firmware holds is never lost, and the line never storms. A
 * pass takes at most RX_BATCH events a channel (the level brings the
 * handler back), so a firmware that never runs dry cannot hold the
 * interrupt thread. A discard (rx_sync) drains its channel from the
 * discarding thread; the channel's rx_lock keeps it and the handler from
 * taking events at the same time, and makes the discard wait for an
 * event the handler has taken but not yet handed over.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/driver/mbox_controller.h>
#include <copro/driver/platform.h>
#include <copro/regs/smc_mbox.h>
#include <copro/smc_mbox.h>
#include <copro/driver/smccc.h>

/* Bound receive channels the interrupt handler scans. */
#define SMC_MBOX_MAX_RX 16
/* Events taken from one channel in one pass. */
#define RX_BATCH 64

struct copro_smc_mbox {
	struct copro_logdev ld;
	struct copro_platform *p;
	int node;
	enum copro_conduit conduit;
	uint32_t fid;
	struct copro_irq *irq;
	struct copro_mbox_controller *ctrl;
	/* Receive channels, published for the handler. */
	struct copro_mbox_chan *_Atomic rx[SMC_MBOX_MAX_RX];
	/* The line is on while any is bound: no client, nobody to drain. */
	_Atomic unsigned nrx;
	char name[64];
};

struct smc_chan {
	uint32_t id;
	int rx_slot; /* index in rx[], or -1 */
	struct copro_mutex rx_lock; /* taking events (receive channels) */
};

static int call(struct copro_smc_mbox *m, uint32_t id, unsigned op,
		const uint64_t *extra, unsigned nextra,
		struct copro_smccc_regs *res)
{
	uint64_t args[6] = { id, op };

	for (unsigned i = 0; i < nextra; i++)
		args[2 + i] = extra[i];
	return copro_smccc_call(m->p, m->conduit, m->fid, args, 2 + nextra,
				res);
}

static int64_t ret_of(const struct copro_smc_mbox *m,
		      const struct copro_smccc_regs *r)
{
	return copro_smccc_ret(m->fid, r->x[0]);
}

/* ---- receive ------------------------------------------------------------ */

/*
 * Drain one channel's events while its client has room, at most
 * RX_BATCH (sc->rx_lock held).
 */
static void rx_drain_locked(struct copro_smc_mbox *m,
			    struct copro_mbox_chan *chan)
{
	struct smc_chan *sc = copro_mbox_chan_priv(chan);
	struct copro_smccc_regs r;
	uint8_t msg[COPRO_SMC_MBOX_MTU];

	for (unsigned n = 0; n < RX_BATCH; n++) {
		if (!copro_mbox_chan_rx_room(chan)) {
			/* Held at the firmware until rx_resume. */
			call(m, sc->id, COPRO_SMC_MBOX_RX_DISABLE, NULL, 0, &r);
			/*
			 * The client may have made room, and rx_resume
			 * enabled the channel, between the check and the
			 * disable: that enable is undone, so look again
			 * (a ring still full is marked stalled anew, and
			 * its resume comes after our disable).
			 */
			if (!copro_mbox_chan_rx_room(chan))
				return;
			call(m, sc->id, COPRO_SMC_MBOX_RX_ENABLE, NULL, 0, &r);
			continue;
		}
		if (call(m, sc->id, COPRO_SMC_MBOX_RECV, NULL, 0, &r) < 0)
			return;
		int64_t ret = ret_of(m, &r);

		if (ret == COPRO_SMCCC_RET_NOT_REQUIRED)
			return;
		if (ret != 0 || r.x[1] > COPRO_SMC_MBOX_MTU) {
			/* The firmware broke the convention: stop listening. */
			copro_dev_err(&m->ld,
				      "channel %" PRIu32 ": RECV returned %"
				      PRId64 " with length %" PRIu64
				      "; receive disabled",
				      sc->id, ret, r.x[1]);
			call(m, sc->id, COPRO_SMC_MBOX_RX_DISABLE, NULL, 0, &r);
			return;
		}
		size_t len = (size_t)r.x[1];
		unsigned rb = copro_smc_mbox_reg_bytes(m->fid);

		if (len > COPRO_SMC_MBOX_WORDS * rb) {
			copro_dev_err(&m->ld, "channel %" PRIu32 ": RECV of %zu"
				      " bytes, more than %u registers hold;"
				      " receive disabled", sc->id, len,
				      COPRO_SMC_MBOX_WORDS);
			call(m, sc->id, COPRO_SMC_MBOX_RX_DISABLE, NULL, 0, &r);
			return;
		}
		for (size_t i = 0; i < len; i++)
			msg[i] = (uint8_t)(r.x[2 + i / rb] >> (8 * (i % rb)));
		int rc = copro_mbox_chan_rx(chan, msg, len);

		if (rc < 0 && rc != -ESHUTDOWN)
			copro_dev_err(&m->ld,
				      "channel %" PRIu32 ": event of %zu bytes"
				      " dropped: %s",
				      sc->id, len, copro_strerror(rc));
	}
}

static void rx_drain(struct copro_smc_mbox *m, struct copro_mbox_chan *chan)
{
	struct smc_chan *sc = copro_mbox_chan_priv(chan);

	copro_mutex_lock(&sc->rx_lock);
	rx_drain_locked(m, chan);
	copro_mutex_unlock(&sc->rx_lock);
}

static void smc_mbox_irq(void *ctx)
{
	struct copro_smc_mbox *m = ctx;

	for (unsigned i = 0; i < SMC_MBOX_MAX_RX; i++) {
		struct copro_mbox_chan *chan = atomic_load(&m->rx[i]);

		if (chan)
			rx_drain(m, chan);
	}
}

/* ---- controller ops -------------------------------------------------- */

static int smc_xlate(void *ctx, const uint32_t *args, unsigned nargs,
		     uint64_t *chan_id)
{
	struct copro_smc_mbox *m = ctx;

	if (nargs != 1) {
		copro_dev_err(&m->ld,
			      "mboxes reference with %u argument cells; this"
			      " mailbox has #mbox-cells = <1> (the channel id)",
			      nargs);
		return -EINVAL;
	}
	*chan_id = args[0];
	return 0;
}

static void chan_free(struct smc_chan *sc)
{
	copro_mutex_destroy(&sc->rx_lock);
	free(sc);
}

static int smc_startup(void *ctx, struct copro_mbox_chan *chan, uint64_t id,
		       unsigned *dir)
{
	struct copro_smc_mbox *m = ctx;
	struct copro_smccc_regs r;
	struct smc_chan *sc;
	int64_t ret;
	int rc;

	if (id > UINT32_MAX) {
		copro_dev_err(&m->ld, "no channel %" PRIu64
			      ": channel ids are 32-bit", id);
		return -ENOENT;
	}
	rc = call(m, (uint32_t)id, COPRO_SMC_MBOX_INFO, NULL, 0, &r);
	if (rc < 0)
		return rc;
	ret = ret_of(m, &r);
	if (ret == COPRO_SMCCC_RET_NOT_SUPPORTED) {
		copro_dev_err(&m->ld,
			      "the firmware does not implement function id"
			      " 0x%08" PRIx32 " (%s)",
			      m->fid, copro_conduit_name(m->conduit));
		return -ENODEV;
	}
	if (ret != 0) {
		copro_dev_err(&m->ld, "no channel %" PRIu64
			      ": the firmware answered %s", id,
			      copro_smccc_ret_name(ret) ? copro_smccc_ret_name(ret)
							: "an unknown code");
		return -ENOENT;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	rc = copro_mutex_init(&sc->rx_lock);
	if (rc < 0) {
		free(sc);
		return rc;
	}
	sc->id = (uint32_t)id;
	sc->rx_slot = -1;
	/* Before the handler, scanning rx[] for another channel, finds it. */
	copro_mbox_chan_set_priv(chan, sc);
	*dir = 0;
	if (r.x[1] & COPRO_SMC_MBOX_CAN_SEND)
		*dir |= COPRO_MBOX_DIR_TX;
	if ((r.x[1] & COPRO_SMC_MBOX_CAN_RECV) && m->irq) {
		for (int i = 0; i < SMC_MBOX_MAX_RX && sc->rx_slot < 0; i++) {
			struct copro_mbox_chan *none = NULL;

			if (atomic_compare_exchange_strong(&m->rx[i], &none,
							   chan))
				sc->rx_slot = i;
		}
		if (sc->rx_slot < 0) {
			copro_dev_err(&m->ld, "channel %" PRIu64 ": more than"
				      " %d receive channels bound", id,
				      SMC_MBOX_MAX_RX);
			copro_mbox_chan_set_priv(chan, NULL);
			chan_free(sc);
			return -ENOSPC;
		}
		*dir |= COPRO_MBOX_DIR_RX;
	} else if (r.x[1] & COPRO_SMC_MBOX_CAN_RECV) {
		copro_dev_dbg(&m->ld, "channel %" PRIu64 " has events but the"
			      " node no interrupt: send only", id);
	}
	if (!*dir) {
		copro_dev_err(&m->ld, "channel %" PRIu64 ": the firmware gives"
			      " it neither send nor receive (0x%" PRIx64 ")",
			      id, r.x[1]);
		copro_mbox_chan_set_priv(chan, NULL);
		chan_free(sc);
		return -ENOENT;
	}
	if (sc->rx_slot >= 0) {
		call(m, sc->id, COPRO_SMC_MBOX_RX_ENABLE, NULL, 0, &r);
		/* Events queued before binding fire at once. */
		if (atomic_fetch_add(&m->nrx, 1) == 0)
			copro_irq_enable(m->irq);
	}
	return 0;
}

static void smc_shutdown(void *ctx, struct copro_mbox_chan *chan)
{
	struct copro_smc_mbox *m = ctx;
	struct smc_chan *sc = copro_mbox_chan_priv(chan);
	struct copro_smccc_regs r;

	if (!sc)
		return;
	if (sc->rx_slot >= 0) {
		call(m, sc->id, COPRO_SMC_MBOX_RX_DISABLE, NULL, 0, &r);
		atomic_store(&m->rx[sc->rx_slot], NULL);
		/* Wait for a handler that may still hold the channel. */
		copro_irq_disable(m->irq);
		if (atomic_fetch_sub(&m->nrx, 1) > 1)
			copro_irq_enable(m->irq);
	}
	copro_mbox_chan_set_priv(chan, NULL);
	chan_free(sc);
}

static int do_call(struct copro_smc_mbox *m, struct copro_mbox_chan *chan,
		   const void *msg, size_t len, struct copro_smccc_regs *r)
{
	struct smc_chan *sc = copro_mbox_chan_priv(chan);
	uint64_t words[1 + COPRO_SMC_MBOX_WORDS] = { len };
	unsigned rb = copro_smc_mbox_reg_bytes(m->fid);
	const uint8_t *b = msg;
	int64_t ret;
	int rc;

	if (len > COPRO_SMC_MBOX_WORDS * rb)
		return -EMSGSIZE;
	for (size_t i = 0; i < len; i++)
		words[1 + i / rb] |= (uint64_t)b[i] << (8 * (i % rb));
	rc = call(m, sc->id, COPRO_SMC_MBOX_SEND, words, 4, r);
	if (rc < 0)
		return rc;
	ret = ret_of(m, r);
	if (ret == COPRO_SMCCC_RET_NOT_SUPPORTED) {
		copro_dev_err(&m->ld, "channel %" PRIu32 ": the firmware no"
			      " longer implements 0x%08" PRIx32, sc->id, m->fid);
		return -EOPNOTSUPP;
	}
	if (ret == COPRO_SMCCC_RET_INVALID_PARAMETER) {
		copro_dev_err(&m->ld, "channel %" PRIu32 ": the firmware"
			      " refused a %zu-byte message", sc->id, len);
		return -EINVAL;
	}
	return 0;
}

static int smc_send(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct copro_smccc_regs r;

	return do_call(ctx, chan, msg, len, &r);
}

static int smc_call(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len, void *reply, size_t *reply_len)
{
	struct copro_smccc_regs r;
	struct copro_smc_mbox_reply out;
	int ret = do_call(ctx, chan, msg, len, &r);

	if (ret < 0)
		return ret;
	memcpy(out.x, r.x, sizeof(out.x));
	if (reply_len) {
		size_t n = *reply_len < sizeof(out) ? *reply_len : sizeof(out);

		if (n)
			memcpy(reply, &out, n);
		*reply_len = n;
	}
	return 0;
}

static void smc_rx_resume(void *ctx, struct copro_mbox_chan *chan)
{
	struct copro_smc_mbox *m = ctx;
	struct smc_chan *sc = copro_mbox_chan_priv(chan);
	struct copro_smccc_regs r;

	if (sc && sc->rx_slot >= 0)
		call(m, sc->id, COPRO_SMC_MBOX_RX_ENABLE, NULL, 0, &r);
}

/* A discard: the channel's events, taken here (the framework drops them). */
static void smc_rx_sync(void *ctx, struct copro_mbox_chan *chan)
{
	struct smc_chan *sc = copro_mbox_chan_priv(chan);

	if (sc && sc->rx_slot >= 0)
		rx_drain(ctx, chan);
}

static const struct copro_mbox_controller_ops smc_ops = {
	.xlate = smc_xlate,
	.startup = smc_startup,
	.shutdown = smc_shutdown,
	.send = smc_send,
	.call = smc_call,
	.rx_resume = smc_rx_resume,
	.rx_sync = smc_rx_sync,
};

/* ---- probe ----------------------------------------------------------- */

int copro_smc_mbox_probe(struct copro_platform *p, int node,
			 struct copro_smc_mbox **out)
{
	const struct copro_dt *dt = copro_platform_dt(p);
	struct copro_mbox_controller_desc desc = {
		.node = node,
		.ops = &smc_ops,
		.txdone = COPRO_MBOX_TXDONE_SYNC,
		.mtu = COPRO_SMC_MBOX_MTU,
		.doorbell = true,
	};
	struct copro_smc_mbox *m;
	char path[256], fdesc[96];
	uint32_t cells;
	int ret;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->p = p;
	m->node = node;
	snprintf(m->name, sizeof(m->name), "%s", copro_dt_node_name(dt, node));
	copro_logdev_init(&m->ld, copro_platform_log(p), "%s", m->name);
	copro_dt_node_path(dt, node, path, sizeof(path));

	if (copro_dt_is_compatible(dt, node, COPRO_SMC_MBOX_COMPATIBLE)) {
		m->conduit = COPRO_CONDUIT_SMC;
	} else if (copro_dt_is_compatible(dt, node, COPRO_HVC_MBOX_COMPATIBLE)) {
		m->conduit = COPRO_CONDUIT_HVC;
	} else {
		copro_dev_err(&m->ld, "%s: %s: compatible lists neither \"%s\""
			      " nor \"%s\"", copro_dt_name(dt), path,
			      COPRO_SMC_MBOX_COMPATIBLE,
			      COPRO_HVC_MBOX_COMPATIBLE);
		ret = -ENODEV;
		goto err_free;
	}
	ret = copro_dt_u32(dt, node, "arm,func-id", &m->fid);
	if (ret < 0)
		goto err_free;
	if (!copro_smccc_is_fast(m->fid) || copro_smccc_fid_check(m->fid) < 0) {
		copro_dev_err(&m->ld, "%s: %s: arm,func-id %s: the mailbox"
			      " needs a fast call id", copro_dt_name(dt), path,
			      copro_smccc_fid_describe(m->fid, fdesc,
						       sizeof(fdesc)));
		ret = -EINVAL;
		goto err_free;
	}
	ret = copro_dt_u32(dt, node, "#mbox-cells", &cells);
	if (ret < 0)
		goto err_free;
	if (cells != 1) {
		copro_dev_err(&m->ld, "%s: %s: #mbox-cells = <%" PRIu32 ">, the"
			      " SMC mailbox needs <1> (the channel id)",
			      copro_dt_name(dt), path, cells);
		ret = -EINVAL;
		goto err_free;
	}
	if (copro_dt_has(dt, node, "interrupts")) {
		ret = copro_irq_request_dt(p, node, NULL, 0, smc_mbox_irq, m,
					   &m->irq);
		if (ret < 0) {
			copro_dev_err(&m->ld, "%s: %s: cannot request the"
				      " interrupt: %s", copro_dt_name(dt), path,
				      copro_strerror(ret));
			goto err_free;
		}
		/* On when a receive channel is bound. */
		copro_irq_disable(m->irq);
	}
	desc.name = m->name;
	desc.ctx = m;
	desc.mtu = COPRO_SMC_MBOX_WORDS * copro_smc_mbox_reg_bytes(m->fid);
	ret = copro_mbox_controller_register(p, &desc, &m->ctrl);
	if (ret < 0)
		goto err_irq;
	copro_dev_dbg(&m->ld, "%s, function id %s%s",
		      copro_conduit_name(m->conduit),
		      copro_smccc_fid_describe(m->fid, fdesc, sizeof(fdesc)),
		      m->irq ? ", receive interrupt" : "");
	*out = m;
	return 0;

err_irq:
	if (m->irq)
		copro_irq_free(m->irq);
err_free:
	free(m);
	return ret;
}

int copro_smc_mbox_remove(struct copro_smc_mbox *m)
{
	int ret;

	if (!m)
		return 0;
	/* A bound client keeps the mailbox, interrupt and all, working. */
	ret = copro_mbox_controller_unregister(m->ctrl);
	if (ret < 0)
		return ret;
	if (m->irq)
		copro_irq_free(m->irq);
	free(m);
	return 0;
}

struct copro_mbox_controller *copro_smc_mbox_controller(struct copro_smc_mbox *m)
{
	return m->ctrl;
}

bool copro_smc_mbox_is_hvc(const struct copro_smc_mbox *m)
{
	return m->conduit == COPRO_CONDUIT_HVC;
}
