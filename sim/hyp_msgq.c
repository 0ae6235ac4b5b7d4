// SPDX-License-Identifier: MIT
/*
 * Message queue objects, as Gunyah's msgqueue: the hypervisor copies each
 * message into a ring of `depth` slots of `max_size` bytes. Send returns
 * `not_full`; receive returns the size and `not_empty`.
 *
 * Interrupts are level latches on the bound lines:
 *   not empty (receiver): asserted when a send brings the count up to the
 *     not-empty threshold (default 1), or at once with PUSH; it stays
 *     asserted until a receive leaves fewer than the threshold.
 *   not full (sender): asserted when a receive brings the count down to
 *     the not-full threshold (default depth - 1); it stays asserted while
 *     the count is at or below it (Gunyah re-checks at each EOI), so a
 *     sender enables it only while it waits for room.
 * Configuring a threshold re-evaluates the line at once. The delay
 * ("holdoff") arguments must be UNCHANGED: the public hypervisor answers
 * UNIMPLEMENTED to anything else, and so does this model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hyp_internal.h"

struct hyp_msgq *hyp_msgq_new(uint32_t depth, uint32_t max_size, int64_t *err)
{
	struct hyp_msgq *q;

	/* msgqueue_configure's rule: both non-zero and below the maxima. */
	if (!depth || !max_size || depth >= COPRO_GH_MSGQ_MAX_DEPTH ||
	    max_size >= COPRO_GH_MSGQ_MAX_MSG_SIZE) {
		*err = COPRO_GH_ARG_INVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (q) {
		q->buf = calloc(depth, max_size);
		q->len = calloc(depth, sizeof(*q->len));
	}
	if (!q || !q->buf || !q->len) {
		hyp_msgq_free(q);
		*err = COPRO_GH_NOMEM;
		return NULL;
	}
	q->depth = depth;
	q->max_size = max_size;
	q->notfull_thd = depth - 1;
	q->notempty_thd = 1;
	*err = COPRO_GH_OK;
	return q;
}

void hyp_msgq_free(struct hyp_msgq *q)
{
	if (!q)
		return;
	free(q->buf);
	free(q->len);
	free(q);
}

int64_t hyp_msgq_send(struct copro_sim_hyp *h, struct hyp_msgq *q,
		      const void *msg, size_t size, bool push, bool *not_full)
{
	uint32_t slot;

	if (q->count == q->depth) {
		h->st.msgq_full++;
		return COPRO_GH_MSGQUEUE_FULL;
	}
	if (size > q->max_size)
		return COPRO_GH_ARG_SIZE;
	if (size && !msg)
		return COPRO_GH_ADDR_INVAL;
	slot = (q->head + q->count) % q->depth;
	if (size)
		memcpy(q->buf + (size_t)slot * q->max_size, msg, size);
	q->len[slot] = (uint32_t)size;
	q->count++;
	h->st.msgq_sent++;
	if (q->count > q->notfull_thd)
		hyp_virq_set(h, &q->tx_irq, false);
	if ((push || q->count == q->notempty_thd) && !q->stalled)
		hyp_virq_set(h, &q->rx_irq, true);
	*not_full = q->count < q->depth;
	return COPRO_GH_OK;
}

int64_t hyp_msgq_recv(struct copro_sim_hyp *h, struct hyp_msgq *q, void *buf,
		      size_t max, size_t *size, bool *not_empty)
{
	uint32_t len;

	if (!q->count || q->stalled) {
		h->st.msgq_empty++;
		return COPRO_GH_MSGQUEUE_EMPTY;
	}
	if (q->fail_n) {
		q->fail_n--;
		return q->fail_err;
	}
	len = q->len[q->head];
	/* The message stays queued when the buffer is too small. */
	if (len > max)
		return COPRO_GH_ARG_SIZE;
	if (len && !buf)
		return COPRO_GH_ADDR_INVAL;
	if (len)
		memcpy(buf, q->buf + (size_t)q->head * q->max_size, len);
	q->head = (q->head + 1) % q->depth;
	q->count--;
	h->st.msgq_received++;
	if (q->count < q->notempty_thd)
		hyp_virq_set(h, &q->rx_irq, false);
	if (q->count == q->notfull_thd)
		hyp_virq_set(h, &q->tx_irq, true);
	*size = len;
	*not_empty = q->count != 0;
	return COPRO_GH_OK;
}

void hyp_msgq_flush(struct copro_sim_hyp *h, struct hyp_msgq *q)
{
	if (q->count) {
		/* Room for everything: the sender hears it at once. */
		hyp_virq_set(h, &q->tx_irq, true);
		hyp_virq_set(h, &q->rx_irq, false);
	}
	q->count = 0;
	q->head = 0;
}

int64_t hyp_msgq_conf_send(struct copro_sim_hyp *h, struct hyp_msgq *q,
			   uint64_t thd, uint64_t delay)
{
	if (delay != COPRO_GH_MSGQ_UNCHANGED)
		return COPRO_GH_UNIMPLEMENTED;
	if (thd == COPRO_GH_MSGQ_UNCHANGED)
		return COPRO_GH_OK;
	if (thd >= q->depth)
		return COPRO_GH_ARG_INVAL;
	q->notfull_thd = (uint32_t)thd;
	hyp_virq_set(h, &q->tx_irq, q->count <= q->notfull_thd);
	return COPRO_GH_OK;
}

int64_t hyp_msgq_conf_recv(struct copro_sim_hyp *h, struct hyp_msgq *q,
			   uint64_t thd, uint64_t delay)
{
	if (delay != COPRO_GH_MSGQ_UNCHANGED)
		return COPRO_GH_UNIMPLEMENTED;
	if (thd == 0 || (thd > q->depth && thd != COPRO_GH_MSGQ_THRESHOLD_MAX &&
			 thd != COPRO_GH_MSGQ_UNCHANGED))
		return COPRO_GH_ARG_INVAL;
	if (thd == COPRO_GH_MSGQ_UNCHANGED)
		return COPRO_GH_OK;
	if (thd == COPRO_GH_MSGQ_THRESHOLD_MAX) {
		/* As the hypervisor: the threshold changes, the line does not. */
		q->notempty_thd = q->depth;
		return COPRO_GH_OK;
	}
	q->notempty_thd = (uint32_t)thd;
	hyp_virq_set(h, &q->rx_irq,
		     q->count >= q->notempty_thd && !q->stalled);
	return COPRO_GH_OK;
}

void hyp_msgq_unstall(struct copro_sim_hyp *h, struct hyp_msgq *q)
{
	q->stalled = false;
	if (q->count)
		hyp_virq_set(h, &q->rx_irq, true);
}
