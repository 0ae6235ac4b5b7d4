/* SPDX-License-Identifier: MIT */
/*
 * The Apple ASC mailbox driver (hardware.md 1): a CREDIT controller with
 * one bidirectional channel.
 *
 * TX: a send writes straight into the A2I FIFO while A2I_CONTROL says it
 * is not full. When it is full the send pushes back (-EBUSY) and enables
 * "send-empty", the only "room again" signal the hardware has; its
 * handler disables the line and lets the framework refill the FIFO.
 *
 * RX: "recv-not-empty" hands the I2A FIFO's messages to the framework,
 * but only while the client's ring has room, so that a popped message
 * always has somewhere to go. With the ring full the line is disabled
 * until the framework calls rx_resume. The handler takes one message a
 * call and lets the level bring it back while the FIFO holds more: a
 * CONTROL read to find the FIFO empty after every delivery would sit
 * between a reply and its waiter (docs/performance.md). M3 drains the
 * FIFO in one call, as it must acknowledge its latch once the FIFO is
 * empty. A client's discard (rx_sync) empties the FIFO in its own
 * thread, with the line held off.
 *
 * Three register layouts (<copro/regs/asc.h>), as Linux's
 * drivers/soc/apple/mailbox.c drives them: ASC v4, the A11's ASC and M3
 * v2. M3 interrupts also latch at the mailbox: the driver enables the two
 * it uses there when a client binds, acknowledges "recv-not-empty" once
 * the FIFO is drained (or the line would stay asserted) and "send-empty"
 * before waiting for room (or a latch left from the last time the FIFO
 * was empty would fire at once).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <copro/asc.h>
#include <copro/driver/mbox_controller.h>
#include <copro/driver/platform.h>
#include <copro/error.h>
#include <copro/log.h>
#include <copro/regs/asc.h>

struct copro_asc {
	struct copro_logdev ld;
	struct copro_platform *p;
	int node;
	const struct asc_layout *lay;
	struct copro_mmio *mmio;
	struct copro_irq *irq_recv; /* recv-not-empty */
	struct copro_irq *irq_send; /* send-empty */
	struct copro_mbox_controller *ctrl;
	/* The bound channel, NULL while none is: the handlers read it. */
	struct copro_mbox_chan *_Atomic chan;
	char name[64];
};

/* ---- interrupts ------------------------------------------------------ */

static void asc_send_empty(void *ctx)
{
	struct copro_asc *asc = ctx;
	struct copro_mbox_chan *chan = atomic_load(&asc->chan);

	/* Level-triggered: it stays asserted until the host sends again. */
	copro_irq_disable(asc->irq_send);
	if (chan)
		copro_mbox_chan_tx_room(chan);
}

/*
 * Hands one message from the I2A FIFO to the framework; false once the
 * FIFO is empty (acknowledged on M3: a message arriving after the check
 * latches the condition again right after the acknowledge).
 */
static bool asc_pop(struct copro_asc *asc, struct copro_mbox_chan *chan)
{
	struct copro_asc_msg msg;
	int ret;

	if (copro_readl(asc->mmio, asc->lay->i2a_control) & ASC_CONTROL_EMPTY) {
		if (asc->lay->irq_controls)
			copro_writel(asc->mmio, asc->lay->irq_ack,
				     M3_IRQ_I2A_NOT_EMPTY);
		return false;
	}
	msg.msg0 = copro_readq(asc->mmio, asc->lay->i2a_recv0);
	msg.msg1 = (uint32_t)(copro_readq(asc->mmio, asc->lay->i2a_recv1) &
			      ASC_RECV1_MSG_MASK);
	ret = copro_mbox_chan_rx(chan, &msg, sizeof(msg));
	if (ret < 0) {
		/*
		 * A ring cannot fill after reporting room; a channel being
		 * unbound can refuse. Never drop silently.
		 */
		copro_dev_log(&asc->ld,
			      ret == -ESHUTDOWN ? COPRO_LOG_DEBUG : COPRO_LOG_ERR,
			      "message 0x%016" PRIx64 " 0x%08" PRIx32
			      " dropped: %s",
			      msg.msg0, msg.msg1, copro_strerror(ret));
	}
	return true;
}

static void asc_recv_not_empty(void *ctx)
{
	struct copro_asc *asc = ctx;
	struct copro_mbox_chan *chan = atomic_load(&asc->chan);

	if (!chan) {
		/* Nobody to deliver to: leave the messages in the FIFO. */
		copro_irq_disable(asc->irq_recv);
		return;
	}
	for (;;) {
		if (!copro_mbox_chan_rx_room(chan)) {
			copro_irq_disable(asc->irq_recv);
			/*
			 * The ring may have drained (and rx_resume run) between
			 * the check and the disable; re-check so the line is
			 * never left off with room available.
			 */
			if (!copro_mbox_chan_rx_room(chan))
				return;
			copro_irq_enable(asc->irq_recv);
		}
		if (!asc_pop(asc, chan) || !asc->lay->irq_controls)
			return;
	}
}

/* ---- controller ops -------------------------------------------------- */

static int asc_xlate(void *ctx, const uint32_t *args, unsigned nargs,
		     uint64_t *chan_id)
{
	struct copro_asc *asc = ctx;

	(void)args;
	if (nargs != 0) {
		copro_dev_err(&asc->ld,
			      "mboxes reference with %u argument cells, the"
			      " ASC mailbox has #mbox-cells = <0>",
			      nargs);
		return -EINVAL;
	}
	*chan_id = 0;
	return 0;
}

static int asc_startup(void *ctx, struct copro_mbox_chan *chan, uint64_t id,
		       unsigned *dir)
{
	struct copro_asc *asc = ctx;

	if (id != 0) {
		copro_dev_err(&asc->ld,
			      "no channel %" PRIu64 ": the ASC mailbox has"
			      " only channel 0",
			      id);
		return -ENOENT;
	}
	*dir = COPRO_MBOX_DIR_BIDI;
	atomic_store(&asc->chan, chan);
	/* M3: the two lines the driver uses, enabled at the mailbox too. */
	if (asc->lay->irq_controls)
		copro_writel(asc->mmio, asc->lay->irq_enable,
			     M3_IRQ_I2A_NOT_EMPTY | M3_IRQ_A2I_EMPTY);
	copro_irq_enable(asc->irq_recv);
	return 0;
}

static void asc_shutdown(void *ctx, struct copro_mbox_chan *chan)
{
	struct copro_asc *asc = ctx;

	(void)chan;
	copro_irq_disable(asc->irq_recv);
	copro_irq_disable(asc->irq_send);
	if (asc->lay->irq_controls)
		copro_writel(asc->mmio, asc->lay->irq_enable, 0);
	atomic_store(&asc->chan, NULL);
}

static int asc_send(void *ctx, struct copro_mbox_chan *chan, const void *data,
		    size_t len)
{
	struct copro_asc *asc = ctx;
	struct copro_asc_msg msg;

	(void)chan;
	if (len != sizeof(msg)) {
		copro_dev_err(&asc->ld,
			      "message of %zu bytes, expected %zu"
			      " (struct copro_asc_msg)",
			      len, sizeof(msg));
		return -EINVAL;
	}
	memcpy(&msg, data, sizeof(msg));
	if (copro_readl(asc->mmio, asc->lay->a2i_control) & ASC_CONTROL_FULL) {
		/*
		 * Level-triggered: if it drained meanwhile, it fires at once.
		 * M3 latched "empty" the last time the FIFO was: forget that.
		 */
		if (asc->lay->irq_controls)
			copro_writel(asc->mmio, asc->lay->irq_ack,
				     M3_IRQ_A2I_EMPTY);
		copro_irq_enable(asc->irq_send);
		return -EBUSY;
	}
	copro_writeq(asc->mmio, asc->lay->a2i_send0, msg.msg0);
	copro_writeq(asc->mmio, asc->lay->a2i_send1, msg.msg1);
	return 0;
}

static void asc_rx_resume(void *ctx, struct copro_mbox_chan *chan)
{
	struct copro_asc *asc = ctx;

	(void)chan;
	copro_irq_enable(asc->irq_recv);
}

/*
 * A discard: the handler is waited out (disabling the line does that, and
 * keeps it from starting), the FIFO emptied here, and the line enabled
 * again; a ring still full has the handler disable it at once.
 */
static void asc_rx_sync(void *ctx, struct copro_mbox_chan *chan)
{
	struct copro_asc *asc = ctx;

	copro_irq_disable(asc->irq_recv);
	while (copro_mbox_chan_rx_room(chan) && asc_pop(asc, chan))
		;
	copro_irq_enable(asc->irq_recv);
}

static const struct copro_mbox_controller_ops asc_ops = {
	.xlate = asc_xlate,
	.startup = asc_startup,
	.shutdown = asc_shutdown,
	.send = asc_send,
	.rx_resume = asc_rx_resume,
	.rx_sync = asc_rx_sync,
};

/* ---- probe ----------------------------------------------------------- */

/* The first layout whose compatible the node lists (most specific first). */
static const struct asc_layout *find_layout(const struct copro_dt *dt,
					    int node)
{
	size_t n;
	const struct asc_layout *l = asc_layouts(&n);

	for (size_t i = 0; i < n; i++)
		if (copro_dt_is_compatible(dt, node, l[i].compatible))
			return &l[i];
	return NULL;
}

static int request_line(struct copro_asc *asc, const char *name,
			copro_irq_handler_t handler, struct copro_irq **out)
{
	const struct copro_dt *dt = copro_platform_dt(asc->p);
	char path[256];
	int ret = copro_irq_request_dt(asc->p, asc->node, name, 0, handler, asc,
				       out);

	if (ret < 0) {
		copro_dev_err(&asc->ld,
			      "%s: %s: no usable \"%s\" interrupt"
			      " (interrupts/interrupt-names): %s",
			      copro_dt_name(dt),
			      copro_dt_node_path(dt, asc->node, path,
						 sizeof(path)),
			      name, copro_strerror(ret));
		return ret;
	}
	/* Enabled when a client binds (recv) or the FIFO fills (send). */
	copro_irq_disable(*out);
	return 0;
}

int copro_asc_probe(struct copro_platform *p, int node,
		    struct copro_asc **out)
{
	const struct copro_dt *dt = copro_platform_dt(p);
	struct copro_mbox_controller_desc desc = {
		.node = node,
		.ops = &asc_ops,
		.txdone = COPRO_MBOX_TXDONE_CREDIT,
		.mtu = sizeof(struct copro_asc_msg),
	};
	struct copro_asc *asc;
	char path[256];
	int ret;

	*out = NULL;
	asc = calloc(1, sizeof(*asc));
	if (!asc)
		return -ENOMEM;
	asc->p = p;
	asc->node = node;
	snprintf(asc->name, sizeof(asc->name), "%s",
		 copro_dt_node_name(dt, node));
	copro_logdev_init(&asc->ld, copro_platform_log(p), "%s", asc->name);
	atomic_init(&asc->chan, NULL);

	asc->lay = find_layout(dt, node);
	if (!asc->lay) {
		copro_dev_err(&asc->ld,
			      "%s: %s: compatible lists none of \"%s\", \"%s\","
			      " \"%s\", \"%s\"",
			      copro_dt_name(dt),
			      copro_dt_node_path(dt, node, path, sizeof(path)),
			      COPRO_ASC_COMPATIBLE_V4, COPRO_ASC_COMPATIBLE_T8015,
			      COPRO_ASC_COMPATIBLE_M3, COPRO_ASC_COMPATIBLE);
		ret = -ENODEV;
		goto err_free;
	}
	ret = copro_mmio_map_dt(p, node, NULL, 0, &asc->mmio);
	if (ret < 0) {
		copro_dev_err(&asc->ld, "%s: %s: cannot map reg: %s",
			      copro_dt_name(dt),
			      copro_dt_node_path(dt, node, path, sizeof(path)),
			      copro_strerror(ret));
		goto err_free;
	}
	if (copro_mmio_size(asc->mmio) < asc->lay->min_size) {
		copro_dev_err(&asc->ld,
			      "%s: %s: reg size 0x%" PRIx64
			      " too small for the %s mailbox (0x%x)",
			      copro_dt_name(dt),
			      copro_dt_node_path(dt, node, path, sizeof(path)),
			      copro_mmio_size(asc->mmio), asc->lay->name,
			      asc->lay->min_size);
		ret = -EINVAL;
		goto err_unmap;
	}
	/* Nothing enabled at the mailbox until a client binds. */
	if (asc->lay->irq_controls)
		copro_writel(asc->mmio, asc->lay->irq_enable, 0);
	ret = request_line(asc, ASC_IRQ_RECV_NOT_EMPTY, asc_recv_not_empty,
			   &asc->irq_recv);
	if (ret < 0)
		goto err_unmap;
	ret = request_line(asc, ASC_IRQ_SEND_EMPTY, asc_send_empty,
			   &asc->irq_send);
	if (ret < 0)
		goto err_irq_recv;

	desc.name = asc->name;
	desc.ctx = asc;
	ret = copro_mbox_controller_register(p, &desc, &asc->ctrl);
	if (ret < 0) {
		copro_dev_err(&asc->ld, "cannot register the controller: %s",
			      copro_strerror(ret));
		goto err_irq_send;
	}
	*out = asc;
	return 0;

err_irq_send:
	copro_irq_free(asc->irq_send);
err_irq_recv:
	copro_irq_free(asc->irq_recv);
err_unmap:
	copro_mmio_unmap(asc->mmio);
err_free:
	free(asc);
	return ret;
}

int copro_asc_remove(struct copro_asc *asc)
{
	int ret;

	if (!asc)
		return 0;
	/* A bound client keeps the mailbox, interrupts and all, working. */
	ret = copro_mbox_controller_unregister(asc->ctrl);
	if (ret < 0)
		return ret;
	copro_irq_free(asc->irq_send);
	copro_irq_free(asc->irq_recv);
	copro_mmio_unmap(asc->mmio);
	free(asc);
	return 0;
}

struct copro_mbox_controller *copro_asc_controller(struct copro_asc *asc)
{
	return asc->ctrl;
}

int copro_asc_next(const struct copro_dt *dt, int from)
{
	const void *fdt = copro_dt_blob(dt);

	for (int n = fdt_next_node(fdt, from, NULL); n >= 0;
	     n = fdt_next_node(fdt, n, NULL))
		if (find_layout(dt, n) && copro_dt_enabled(dt, n))
			return n;
	return -ENOENT;
}
