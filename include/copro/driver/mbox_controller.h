/* SPDX-License-Identifier: MIT */
/*
 * The mailbox framework, controller side: what a mailbox driver
 * implements and the calls it makes back into the framework.
 */
#ifndef COPRO_DRIVER_MBOX_CONTROLLER_H
#define COPRO_DRIVER_MBOX_CONTROLLER_H

#include <copro/export.h>
#include <copro/driver/platform.h>
#include <copro/mbox.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The provider kind a registered controller is found under: by its
 * devicetree node (what a client's "mboxes" points at) and by its name
 * (copro_mbox_request), in the mailbox kind's own name space.
 */
#define COPRO_MBOX_PROVIDER "mbox"

/* A CREDIT controller's send: accepted, and the hardware queue is now full. */
#define COPRO_MBOX_SENT_FULL 1

struct copro_mbox_controller_ops {
	/*
	 * Translate devicetree argument cells (#mbox-cells of them) into a
	 * channel id. NULL: the first cell, or 0 with no cells.
	 */
	int (*xlate)(void *ctx, const uint32_t *args, unsigned nargs,
		     uint64_t *chan_id);
	/*
	 * A client binds channel `id`: check it exists, set up, and report
	 * its COPRO_MBOX_DIR_* flags. May use copro_mbox_chan_set_priv().
	 */
	int (*startup)(void *ctx, struct copro_mbox_chan *chan, uint64_t id,
		       unsigned *dir);
	/*
	 * The client is gone: stop interrupts for this channel. On return
	 * the controller's handlers must be done with `chan` (disable the
	 * lines: copro_irq_disable waits for a running handler). No other
	 * op for `chan` is running or will run (the framework waits out
	 * the client calls inside the channel first), so shutdown may free
	 * what they use.
	 */
	void (*shutdown)(void *ctx, struct copro_mbox_chan *chan);
	/*
	 * Hand one message to the hardware; never blocks. len 0 is a
	 * doorbell. Returns 0 when accepted, -EBUSY when the hardware has
	 * no room (the framework keeps the message and retries once room
	 * returns), another negative error to fail the message. CREDIT
	 * controllers may return COPRO_MBOX_SENT_FULL (accepted, no room for
	 * another); on -EBUSY or SENT_FULL they must arm the interrupt that
	 * calls copro_mbox_chan_tx_room(). SYNC controllers complete the
	 * transfer before returning.
	 */
	int (*send)(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len);
	/* SYNC: send and return the reply. NULL: replies are empty. */
	int (*call)(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len, void *reply, size_t *reply_len);
	/* POLL: has the message in flight left? */
	bool (*last_tx_done)(void *ctx, struct copro_mbox_chan *chan);
	/*
	 * The deferred ring had been full and now has room: re-enable the
	 * receive interrupt that was disabled when copro_mbox_chan_rx()
	 * returned -ENOSPC.
	 */
	void (*rx_resume)(void *ctx, struct copro_mbox_chan *chan);
	/*
	 * Optional, for copro_mbox_rx_discard (never interrupt context):
	 * return once a receive handler running now has returned (a message
	 * it took from the hardware has then been handed over), after
	 * handing to copro_mbox_chan_rx what the hardware holds for the
	 * channel, while copro_mbox_chan_rx_room() allows. The framework
	 * drops those messages.
	 */
	void (*rx_sync)(void *ctx, struct copro_mbox_chan *chan);
};

struct copro_mbox_controller_desc {
	/*
	 * Run-time name for copro_mbox_request(), unique among the
	 * platform's mailbox controllers; a controller bound at run time
	 * (hypervisor queues) has only this.
	 */
	const char *name;
	/* The devicetree node clients' "mboxes" point at, or -1. */
	int node;
	const struct copro_mbox_controller_ops *ops;
	void *ctx;
	enum copro_mbox_txdone txdone;
	size_t mtu;		/* largest message, bytes */
	bool doorbell;		/* accepts zero-length messages */
	uint64_t poll_ns;	/* POLL: interval (0: 10 us) */
};

COPRO_API int
copro_mbox_controller_register(struct copro_platform *p,
			       const struct copro_mbox_controller_desc *d,
			       struct copro_mbox_controller **out);
/*
 * -EBUSY (logged; the controller stays registered and working) while a
 * channel is bound: every channel holds a reference on its controller.
 */
COPRO_API int
copro_mbox_controller_unregister(struct copro_mbox_controller *ctrl);

COPRO_API void
copro_mbox_chan_set_priv(struct copro_mbox_chan *chan, void *priv);
COPRO_API void *copro_mbox_chan_priv(const struct copro_mbox_chan *chan);

/* IRQ mode: the message in flight is done (interrupt context). */
COPRO_API void copro_mbox_chan_txdone(struct copro_mbox_chan *chan, int status);
/*
 * CREDIT mode: the hardware has room again (interrupt context). Accepted
 * in every mode: a controller that refused a send with -EBUSY calls it to
 * have the framework retry.
 */
COPRO_API void copro_mbox_chan_tx_room(struct copro_mbox_chan *chan);
/*
 * The object behind a bound channel is gone (a hypervisor revoked the
 * capability): every message not yet done fails with `status` (tx_done
 * reports it, in order), later sends return it at once, and blocked
 * senders wake with it. The channel stays the client's until it calls
 * copro_mbox_free. Any context but the channel's own callbacks.
 */
COPRO_API void copro_mbox_chan_revoke(struct copro_mbox_chan *chan, int status);
/*
 * A message arrived (interrupt context). 0 when taken; -ENOSPC when the
 * client's deferred ring is full: the controller must leave further
 * messages in the hardware and disable its receive interrupt until
 * ops->rx_resume. Check copro_mbox_chan_rx_room() before popping a
 * hardware FIFO so that no message is ever held by nobody.
 */
COPRO_API int copro_mbox_chan_rx(struct copro_mbox_chan *chan, const void *msg,
				 size_t len);
COPRO_API bool copro_mbox_chan_rx_room(struct copro_mbox_chan *chan);

#ifdef __cplusplus
}
#endif
#endif
