/* SPDX-License-Identifier: MIT */
/*
 * The firmware side of the SMC/HVC mailbox (<copro/regs/smc_mbox.h>): one
 * function id on a dispatcher, channels that services attach to, a queue
 * of events per receive channel and the level interrupt that announces
 * them. Nothing here knows what the messages mean.
 */
#ifndef COPRO_SIM_SMC_MBOX_FW_H
#define COPRO_SIM_SMC_MBOX_FW_H

#include <copro/export.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/sim/bus.h>
#include <copro/sim/smccc_fw.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_sim_smc_mbox;

/* What a channel does (the call convention's INFO bits). */
#define COPRO_SMC_MBOX_CAN_SEND (1u << 0)
#define COPRO_SMC_MBOX_CAN_RECV (1u << 1)

/* Events a receive channel holds before posting pushes back. */
#define COPRO_SIM_SMC_MBOX_DEPTH 8

struct copro_sim_smc_mbox_chan_ops {
	/*
	 * A SEND on the channel, in the caller's thread, no lock held (it
	 * may post). out->x[0] is 0 (SUCCESS) unless set; x1..x3 are the
	 * reply registers.
	 */
	void (*send)(void *ctx, uint32_t chan, const void *msg, size_t len,
		     struct copro_smccc_regs *out);
};

/*
 * The mailbox of an "arm,smc-mbox" / "arm,hvc-mbox" node on a dispatcher
 * of the matching conduit: `arm,func-id`, and the interrupt (optional)
 * from `interrupts`.
 */
COPRO_API int copro_sim_smc_mbox_create(struct copro_bus *bus,
			      struct copro_sim_smccc *disp, int node,
			      struct copro_sim_smc_mbox **out);
/* Every channel must have been removed. */
COPRO_API void copro_sim_smc_mbox_destroy(struct copro_sim_smc_mbox *m);
COPRO_API int copro_sim_smc_mbox_node(const struct copro_sim_smc_mbox *m);
COPRO_API uint32_t copro_sim_smc_mbox_fid(const struct copro_sim_smc_mbox *m);
/* The interrupt line, or -1. */
COPRO_API int copro_sim_smc_mbox_irq(const struct copro_sim_smc_mbox *m);

/*
 * Channel `id` with COPRO_SMC_MBOX_CAN_* flags (CAN_SEND needs ops->send).
 * -EEXIST when taken.
 */
COPRO_API int copro_sim_smc_mbox_add_chan(struct copro_sim_smc_mbox *m, uint32_t id,
				unsigned can,
				const struct copro_sim_smc_mbox_chan_ops *ops,
				void *ctx);
/* Waits until no send to it is in flight; drops its queued events. */
COPRO_API void copro_sim_smc_mbox_remove_chan(struct copro_sim_smc_mbox *m, uint32_t id);

/*
 * Queue an event on a receive channel (any thread): -ENOSPC when its
 * queue is full, -ENOENT / -EOPNOTSUPP for no such receive channel,
 * -EMSGSIZE above what the registers carry (24 bytes, 12 for SMC32).
 */
COPRO_API int copro_sim_smc_mbox_post(struct copro_sim_smc_mbox *m, uint32_t id,
			    const void *msg, size_t len);
COPRO_API unsigned copro_sim_smc_mbox_queued(struct copro_sim_smc_mbox *m, uint32_t id);

#ifdef __cplusplus
}
#endif
#endif
