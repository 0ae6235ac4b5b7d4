// SPDX-License-Identifier: MIT
/*
 * Firmware calls (the SMCCC conduit): SMC or HVC, routed by the function
 * id's owning entity to whichever firmware model registered for it. The
 * call runs the model synchronously in the caller's thread, like the
 * instruction trapping to a higher exception level.
 */
#include <errno.h>
#include <string.h>

#include "platform/platform_internal.h"

#define SMCCC_OWNER_SHIFT 24
#define SMCCC_OWNER_MASK 0x3fu
#define SMCCC_NOT_SUPPORTED ((uint64_t)-1)

static bool conduit_ok(enum copro_conduit c)
{
	return c == COPRO_CONDUIT_SMC || c == COPRO_CONDUIT_HVC;
}

int copro_bus_add_fwcall(struct copro_platform *p, enum copro_conduit conduit,
			 unsigned owner, copro_bus_fwcall_fn fn, void *ctx)
{
	struct fw_handler *h;
	int ret = 0;

	if (!p || !fn || !conduit_ok(conduit) || owner >= COPRO_FW_OWNERS)
		return -EINVAL;
	copro_rwlock_wrlock(&p->fw.lock);
	h = &p->fw.h[conduit - 1][owner];
	if (h->fn) {
		ret = -EEXIST;
	} else {
		h->fn = fn;
		h->ctx = ctx;
	}
	copro_rwlock_unlock(&p->fw.lock);
	if (ret)
		copro_dev_err(&p->ld,
			      "%s owner %u already has a firmware call handler",
			      conduit == COPRO_CONDUIT_HVC ? "HVC" : "SMC",
			      owner);
	return ret;
}

void copro_bus_remove_fwcall(struct copro_platform *p,
			     enum copro_conduit conduit, unsigned owner)
{
	if (!p || !conduit_ok(conduit) || owner >= COPRO_FW_OWNERS)
		return;
	/* The write lock waits for every call in flight to return. */
	copro_rwlock_wrlock(&p->fw.lock);
	p->fw.h[conduit - 1][owner].fn = NULL;
	p->fw.h[conduit - 1][owner].ctx = NULL;
	copro_rwlock_unlock(&p->fw.lock);
}

int copro_fw_call(struct copro_platform *p, enum copro_conduit conduit,
		  const struct copro_smccc_regs *in,
		  struct copro_smccc_regs *out)
{
	struct copro_smccc_regs regs;
	unsigned owner;

	if (!p || !in || !out)
		return -EINVAL;
	if (!conduit_ok(conduit))
		return -EOPNOTSUPP;
	owner = (unsigned)(in->x[0] >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK;
	regs = *in;
	copro_rwlock_rdlock(&p->fw.lock);
	struct fw_handler h = p->fw.h[conduit - 1][owner];

	if (h.fn)
		h.fn(h.ctx, conduit, in, &regs);
	else
		regs.x[0] = SMCCC_NOT_SUPPORTED;
	copro_rwlock_unlock(&p->fw.lock);
	*out = regs;
	return 0;
}
