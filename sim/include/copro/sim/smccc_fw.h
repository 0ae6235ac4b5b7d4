/* SPDX-License-Identifier: MIT */
/*
 * The firmware that answers SMC (EL3, a Trusted Firmware) or HVC (EL2, a
 * hypervisor) calls: it decodes the function id, answers the Arm
 * architecture calls itself (SMCCC_VERSION 1.2, SMCCC_ARCH_FEATURES), and
 * hands registered function ids to their services. Anything else answers
 * NOT_SUPPORTED, as real firmware does: unknown ids, fast calls with
 * bits 23:16 set, yielding calls outside the trusted OS range.
 *
 * Services see w registers for SMC32 calls (upper halves cleared) and run
 * in the caller's thread, like the instruction's trap.
 */
#ifndef COPRO_SIM_SMCCC_FW_H
#define COPRO_SIM_SMCCC_FW_H

#include <copro/export.h>
#include <stdint.h>

#include <copro/sim/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_sim_smccc;

/* out starts as a copy of in (x0 the function id); set out->x[0..]. */
typedef void (*copro_sim_smccc_fn)(void *ctx, const struct copro_smccc_regs *in,
				   struct copro_smccc_regs *out);

COPRO_API int copro_sim_smccc_create(struct copro_bus *bus, enum copro_conduit conduit,
			   struct copro_sim_smccc **out);
/* Every service must have been removed. */
COPRO_API void copro_sim_smccc_destroy(struct copro_sim_smccc *d);
COPRO_API enum copro_conduit copro_sim_smccc_conduit(const struct copro_sim_smccc *d);

/*
 * Serve `fid` (exactly: type, convention, owner and number). -EEXIST when
 * taken; -EINVAL for an id no caller could use or one of the Arm
 * architecture range (owner 0), which the dispatcher answers itself.
 */
COPRO_API int copro_sim_smccc_add(struct copro_sim_smccc *d, uint32_t fid,
			copro_sim_smccc_fn fn, void *ctx);
/*
 * Waits until no call to the service is in flight (copro_bus_fwcall_sync:
 * so not from inside a firmware call, which would wait for itself).
 */
COPRO_API void copro_sim_smccc_remove(struct copro_sim_smccc *d, uint32_t fid);

struct copro_sim_smccc_stats {
	uint64_t calls;		/* every call that reached the firmware */
	uint64_t not_supported; /* of which answered NOT_SUPPORTED */
};
COPRO_API void copro_sim_smccc_stats(const struct copro_sim_smccc *d,
			   struct copro_sim_smccc_stats *out);

#ifdef __cplusplus
}
#endif
#endif
