// SPDX-License-Identifier: MIT
/*
 * Doorbell objects, as Gunyah's doorbell: 64 flag bits, no payload, no
 * acknowledgement. send ORs flags in and returns the old ones; receive
 * clears the given flags and returns the old ones; mask sets the enable
 * and auto-acknowledge masks; reset clears everything. The receiver's
 * interrupt is level: asserted while any enabled flag is set; flags in
 * the ack mask are cleared when it is asserted. Zero flags to send or
 * clear are ARGUMENT_INVALID, as in the hypervisor.
 */
#include <stdlib.h>

#include "hyp_internal.h"

struct hyp_bell *hyp_bell_new(void)
{
	struct hyp_bell *b = calloc(1, sizeof(*b));

	if (b)
		b->enable = ~0ull;
	return b;
}

static void bell_eval(struct copro_sim_hyp *h, struct hyp_bell *b)
{
	bool on = (b->flags & b->enable) != 0;

	hyp_virq_set(h, &b->irq, on);
	if (on)
		b->flags &= ~b->ack;
}

int64_t hyp_bell_send(struct copro_sim_hyp *h, struct hyp_bell *b,
		      uint64_t flags, uint64_t *old)
{
	if (!flags)
		return COPRO_GH_ARG_INVAL;
	*old = b->flags;
	b->flags |= flags;
	h->st.bell_sent++;
	bell_eval(h, b);
	return COPRO_GH_OK;
}

int64_t hyp_bell_recv(struct copro_sim_hyp *h, struct hyp_bell *b,
		      uint64_t clear, uint64_t *old)
{
	if (!clear)
		return COPRO_GH_ARG_INVAL;
	*old = b->flags;
	b->flags &= ~clear;
	h->st.bell_received++;
	/* The level follows the flags: deasserted when none enabled is left. */
	hyp_virq_set(h, &b->irq, (b->flags & b->enable) != 0);
	return COPRO_GH_OK;
}

int64_t hyp_bell_mask(struct copro_sim_hyp *h, struct hyp_bell *b,
		      uint64_t enable, uint64_t ack)
{
	b->enable = enable;
	b->ack = ack;
	bell_eval(h, b);
	return COPRO_GH_OK;
}

int64_t hyp_bell_reset(struct copro_sim_hyp *h, struct hyp_bell *b)
{
	b->flags = 0;
	b->ack = 0;
	b->enable = ~0ull;
	hyp_virq_set(h, &b->irq, false);
	return COPRO_GH_OK;
}
