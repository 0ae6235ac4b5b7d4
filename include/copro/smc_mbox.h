/* SPDX-License-Identifier: MIT */
/*
 * The SMC/HVC mailbox controller ("arm,smc-mbox" / "arm,hvc-mbox"): a
 * mailbox whose send is one firmware call, so TX completes in SYNC mode
 * and copro_mbox_call() returns the firmware's reply registers. It is a
 * generic mailbox: it knows nothing of what travels over it.
 *
 * Devicetree: `arm,func-id` (a fast call id), `#mbox-cells = <1>` (the
 * channel id, passed to the firmware in x1), optional `interrupts` (one
 * line announcing events on receive channels). A channel sends when the
 * firmware says it can; it also receives when the firmware says it has
 * events for it and the node has the interrupt. The call convention is
 * in docs/scmi.md (and the internal <copro/regs/smc_mbox.h>).
 *
 * Messages are up to 24 bytes (12 with an SMC32 id); a zero-length
 * message is a doorbell.
 */
#ifndef COPRO_SMC_MBOX_H
#define COPRO_SMC_MBOX_H

#include <copro/export.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/mbox.h>
#include <copro/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The largest message: three argument registers, 24 bytes with an SMC64
 * function id; an SMC32 id's registers are 32-bit, so 12 bytes
 * (copro_mbox_mtu() says which).
 */
#define COPRO_SMC_MBOX_MTU 24u

#define COPRO_SMC_MBOX_COMPATIBLE "arm,smc-mbox"
#define COPRO_HVC_MBOX_COMPATIBLE "arm,hvc-mbox"

/* What copro_mbox_call() returns: the firmware's x0..x3. */
struct copro_smc_mbox_reply {
	uint64_t x[4];
};

struct copro_smc_mbox;
struct copro_driver;

COPRO_API int copro_smc_mbox_probe(struct copro_platform *p, int node,
			 struct copro_smc_mbox **out);
/* -EBUSY (logged; it stays working) while a channel is bound. */
COPRO_API int copro_smc_mbox_remove(struct copro_smc_mbox *m);
COPRO_API struct copro_mbox_controller *copro_smc_mbox_controller(struct copro_smc_mbox *m);
/* Its table for the probe-all pass (<copro/devices.h>): name "smc-mbox". */
COPRO_API const struct copro_driver *copro_smc_mbox_driver(void);
/* Its calls are HVC ("arm,hvc-mbox") rather than SMC. */
COPRO_API bool copro_smc_mbox_is_hvc(const struct copro_smc_mbox *m);

#ifdef __cplusplus
}
#endif
#endif
