/* SPDX-License-Identifier: MIT */
/*
 * The Gunyah resource manager's RPC (docs/hyp.md): a sans-I/O codec
 * (fragmentation and reassembly, fuzzed) and a client over a TX/RX
 * message queue pair.
 *
 * Wire format: every fragment starts with an 8-byte header (api 0x21,
 * type and continuation count, le16 sequence, le32 message id); a reply's
 * first fragment adds a le32 RM error. A message is one REQUEST, REPLY or
 * NOTIF fragment followed by at most 62 CONTINUATION fragments carrying
 * the same message id, sequence and count.
 */
#ifndef COPRO_GUNYAH_RM_H
#define COPRO_GUNYAH_RM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>

#include <copro/gunyah.h>
#include <copro/gunyah_msgq.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- codec ----------------------------------------------------------------- */

/*
 * Fragment a message and hand each fragment (at most COPRO_RM_MSGQ_SIZE
 * bytes) to emit, in order; `last` marks the final one. `err` is used for
 * replies only. -E2BIG above COPRO_RM_MAX_PAYLOAD (less 4 for replies);
 * otherwise emit's first negative return, or 0.
 */
typedef int (*copro_rm_emit_fn)(void *ctx, const void *frag, size_t len,
				bool last);
COPRO_API int copro_rm_encode(enum copro_rm_type type, uint16_t seq, uint32_t msg_id,
			      uint32_t err, const void *payload, size_t len,
			      copro_rm_emit_fn emit, void *ctx);

enum copro_rm_rx_status {
	COPRO_RM_RX_MORE = 0,	/* a fragment taken, the message goes on */
	COPRO_RM_RX_DONE = 1,	/* *msg is complete */
	/* Rejected fragments (the message in progress, if any, is dropped): */
	COPRO_RM_RX_SHORT = -1,	     /* shorter than its header */
	COPRO_RM_RX_BAD_API = -2,    /* not api 0x21 */
	COPRO_RM_RX_BAD_TYPE = -3,   /* a REQUEST where only replies come */
	COPRO_RM_RX_OVERSIZED = -4,  /* > 62 continuations or > 240 bytes */
	COPRO_RM_RX_OUT_OF_ORDER = -5, /* a continuation with none begun */
	COPRO_RM_RX_INTERLEAVED = -6,  /* a continuation of another message */
};
COPRO_API const char *copro_rm_rx_status_name(int status);

struct copro_rm_msg {
	enum copro_rm_type type; /* REPLY or NOTIF (or REQUEST if accepted) */
	uint16_t seq;
	uint32_t msg_id;
	uint32_t err; /* replies */
	const uint8_t *payload; /* valid until the next feed */
	size_t len;
};

/* Reassembly state for one receive queue. */
struct copro_rm_rx {
	uint8_t *buf; /* COPRO_RM_MAX_PAYLOAD bytes, owned */
	size_t len;
	bool active;
	bool accept_requests; /* the RM's side: requests come in */
	struct copro_rm_msg cur;
	unsigned frags, frags_left;
	/*
	 * Set by a feed that began a new message while another was
	 * incomplete: the one cut short (truncated), which the caller must
	 * fail (a reply's waiter) — its type, sequence and message id.
	 */
	bool aborted;
	struct copro_rm_msg aborted_msg;
	uint64_t truncated; /* messages cut short so far */
};
COPRO_API int copro_rm_rx_init(struct copro_rm_rx *rx, bool accept_requests);
COPRO_API void copro_rm_rx_fini(struct copro_rm_rx *rx);
/* One received fragment: enum copro_rm_rx_status. */
COPRO_API int copro_rm_rx_feed(struct copro_rm_rx *rx, const void *frag, size_t len,
			       struct copro_rm_msg *msg);

/* An RM error as a negative errno (0 for OK). */
COPRO_API int copro_rm_errno(uint32_t rm_error);

/* ---- client ----------------------------------------------------------------- */

struct copro_gh_rm;

struct copro_gh_rm_config {
	/* The RM queue pair: from the devicetree, or what the RM gave a VM. */
	uint64_t tx_capid, rx_capid;
	unsigned tx_virq, rx_virq;
	/* Where the queues are bound (the VM's message-queue controller). */
	struct copro_gh_msgq *mq;
	const char *mq_name; /* its name; NULL: COPRO_GH_MSGQ_CONTROLLER */
	int64_t timeout_ns;  /* per call; 0: one second */
	/* Notifications, from the receive worker (may call the RM). */
	void (*notify)(void *ctx, uint32_t msg_id, const void *payload,
		       size_t len);
	void *ctx;
};

COPRO_API int copro_gh_rm_open(struct copro_platform *p,
			       const struct copro_gh_rm_config *cfg,
			       struct copro_gh_rm **out);
/*
 * Close the client, from any thread but a notify callback's. Calls in
 * flight end with -ESHUTDOWN: one waiting for its reply is woken, and
 * close returns once every caller has returned (one still sending, once
 * its send does, within the call's timeout). Calls begun after close
 * began fail with -ESHUTDOWN; none may begin after it returned.
 */
COPRO_API void copro_gh_rm_close(struct copro_gh_rm *rm);

/*
 * One request and its reply: the reply payload is malloc'd into *resp
 * (NULL when empty; the caller frees it). The RM's own refusal is a
 * negative errno from copro_rm_errno (*rm_err, if given, holds the code).
 * -ETIMEDOUT when no reply came in time (a late one is discarded).
 */
COPRO_API int copro_gh_rm_call(struct copro_gh_rm *rm, uint32_t msg_id,
			       const void *req, size_t req_len, void **resp,
			       size_t *resp_len, uint32_t *rm_err);

/* VM management (each a copro_gh_rm_call). */
COPRO_API int copro_gh_rm_alloc_vmid(struct copro_gh_rm *rm, uint16_t want,
				     uint16_t *vmid);
COPRO_API int copro_gh_rm_vm_start(struct copro_gh_rm *rm, uint16_t vmid);
COPRO_API int copro_gh_rm_vm_stop(struct copro_gh_rm *rm, uint16_t vmid);
COPRO_API int copro_gh_rm_dealloc_vmid(struct copro_gh_rm *rm, uint16_t vmid);
COPRO_API int copro_gh_rm_get_vmid(struct copro_gh_rm *rm, uint16_t *vmid);
/*
 * The caller's resources towards `vmid` (all of them when it names
 * itself), decoded and checked: *out is malloc'd, *n entries.
 */
COPRO_API int copro_gh_rm_get_resources(struct copro_gh_rm *rm, uint16_t vmid,
					struct copro_gh_resource **out, size_t *n);
/* Decode a VM_GET_HYP_RESOURCES reply payload (fuzzed). */
COPRO_API int copro_gh_rm_parse_resources(const uint8_t *p, size_t len,
					  struct copro_gh_resource **out, size_t *n);

struct copro_gh_rm_stats {
	uint64_t calls, replies, timeouts, unmatched, notifications;
	uint64_t rx_rejected, truncated;
};
COPRO_API void copro_gh_rm_get_stats(struct copro_gh_rm *rm,
				     struct copro_gh_rm_stats *out);

#ifdef __cplusplus
}
#endif
#endif
