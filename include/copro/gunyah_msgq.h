/* SPDX-License-Identifier: MIT */
/*
 * Gunyah message queues and doorbells as mailbox controllers, bound at
 * run time by capability id (docs/hyp.md). No devicetree: the resources
 * come from the resource manager (struct copro_gh_resource), are added to
 * a controller, and a client binds one with
 * copro_mbox_request(p, controller name, capid, ...).
 *
 * Message queues: CREDIT completion. A channel is TX-only (MSGQ_TX) or
 * RX-only (MSGQ_RX); messages are bytes, at most
 * COPRO_GH_MSGQ_MAX_MSG_SIZE - 1 (the queue's own maximum is enforced by
 * the hypervisor: a larger message fails with -EMSGSIZE).
 *
 * Doorbells: signal-only channels. Channel id copro_gh_bell_chan(capid,
 * bit) is one flag bit (zero-length messages both ways); bit
 * COPRO_GH_BELL_ALL is the whole 64-bit mask for one client (8-byte
 * little-endian flag words both ways). A BELL_TX channel is SYNC (the
 * hypercall completes the ring; copro_mbox_call returns the old flags).
 */
#ifndef COPRO_GUNYAH_MSGQ_H
#define COPRO_GUNYAH_MSGQ_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/export.h>

#include <copro/gunyah.h>
#include <copro/mbox.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COPRO_GH_MSGQ_CONTROLLER "gunyah-msgq"
#define COPRO_GH_BELL_CONTROLLER "gunyah-bell"

struct copro_gh_msgq;
struct copro_gh_bell;

/* name NULL: COPRO_GH_MSGQ_CONTROLLER. */
COPRO_API int copro_gh_msgq_probe(struct copro_platform *p, const char *name,
				  struct copro_gh_msgq **out);
/*
 * -EBUSY (logged; everything stays working) while a channel is bound:
 * free the channels first.
 */
COPRO_API int copro_gh_msgq_remove(struct copro_gh_msgq *mq);
/* How a queue end is driven; zeroes are the hypervisor's defaults. */
struct copro_gh_msgq_opts {
	/* TX: send every message with PUSH (the receiver is interrupted
	 * at once, whatever its threshold). */
	bool push;
	/*
	 * TX: the not-full threshold (default depth - 1: an interrupt as
	 * soon as one slot frees, so a full queue refills one message per
	 * interrupt). Lower, the queue refills in batches.
	 */
	uint32_t not_full_thres;
	/* RX: the not-empty threshold (default 1). Needs PUSH senders for
	 * the tail of a burst. */
	uint32_t not_empty_thres;
};
/*
 * Offer a MSGQ_TX or MSGQ_RX resource for binding; opts NULL for the
 * defaults (set with the configure hypercalls at bind time). -EEXIST for
 * a capability already offered.
 */
COPRO_API int copro_gh_msgq_add(struct copro_gh_msgq *mq,
				const struct copro_gh_resource *r,
				const struct copro_gh_msgq_opts *opts);
/*
 * Withdraw a resource (its VM is gone). A bound channel stays the
 * client's: its pending sends fail with -ENODEV, later sends return
 * -ENODEV, its interrupt is released; copro_mbox_free still frees it.
 * -ENOENT if not offered.
 */
COPRO_API int copro_gh_msgq_del(struct copro_gh_msgq *mq, uint64_t capid);

/*
 * Retry a TX queue that waits for its not-full interrupt: for a client
 * whose send or flush timed out because that interrupt was lost. The
 * framework hands over what is queued; if the queue is still full, the
 * interrupt is armed again. Nothing is lost or reordered either way.
 * On an RX queue: enable its receive interrupt again, which the driver
 * turned off when a receive failed (the error is logged and counted in
 * hyp_errors; the message waits in the queue), so a client that has
 * dealt with the cause resumes receiving. -ENOENT when no channel is
 * bound to capid.
 */
COPRO_API int copro_gh_msgq_kick(struct copro_gh_msgq *mq, uint64_t capid);

struct copro_gh_msgq_stats {
	uint64_t full;	      /* sends that found the queue full */
	uint64_t tx_irqs;     /* not-full interrupts taken */
	uint64_t rx_irqs;     /* not-empty interrupts taken */
	uint64_t hyp_errors;  /* hypercalls that failed otherwise */
};
COPRO_API void copro_gh_msgq_get_stats(struct copro_gh_msgq *mq,
				       struct copro_gh_msgq_stats *out);

#define COPRO_GH_BELL_ALL 64
/* The channel id of one flag bit (0..63) or of COPRO_GH_BELL_ALL. */
static inline uint64_t copro_gh_bell_chan(uint64_t capid, unsigned bit)
{
	return capid << 7 | (bit > 63 ? 0 : bit + 1);
}

COPRO_API int copro_gh_bell_probe(struct copro_platform *p, const char *name,
				  struct copro_gh_bell **out);
/* As copro_gh_msgq_remove. */
COPRO_API int copro_gh_bell_remove(struct copro_gh_bell *db);
/* A BELL_TX or BELL_RX resource; capid below 2^57. */
COPRO_API int copro_gh_bell_add(struct copro_gh_bell *db,
				const struct copro_gh_resource *r);
/* As copro_gh_msgq_del, for every channel on the doorbell. */
COPRO_API int copro_gh_bell_del(struct copro_gh_bell *db, uint64_t capid);

#ifdef __cplusplus
}
#endif
#endif
