/* SPDX-License-Identifier: MIT */
/*
 * The EL3/EL2 call dispatcher: see <copro/sim/smccc_fw.h>. It takes every
 * owning entity that has a service (and owner 0, the Arm architecture
 * calls) on the bus; a call then finds its service in a small table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/sim/smccc_fw.h>
#include <copro/driver/smccc.h>

#define SMCCC_OWNERS 64
#define SMCCC_MAX_SERVICES 32
/* Registers of a 32-bit call: w0..w7. */
#define SMCCC32_REGS 8

/* A slot is published by storing fn last, and retired by clearing it. */
struct service {
	uint32_t fid;
	void *ctx;
	_Atomic(copro_sim_smccc_fn) fn;
};

struct copro_sim_smccc {
	struct copro_bus *bus;
	struct copro_logdev ld;
	enum copro_conduit conduit;
	/*
	 * Calls take no lock of ours and count nothing themselves: they
	 * read the slots inside the bus's call, which counts them (in
	 * flight and in total) per owner. Remove retires a slot, then waits
	 * out the bus's calls in flight (copro_bus_fwcall_sync), so no call
	 * still runs the service when it returns; the statistics add up
	 * the bus's counts of the owners taken.
	 */
	/* Serialises add/remove (and the owners taken on the bus). */
	struct copro_mutex reg_lock;
	struct service svc[SMCCC_MAX_SERVICES];
	unsigned nsvc; /* slots in use, under reg_lock */
	unsigned owner_refs[SMCCC_OWNERS]; /* services per owner (0: +1) */
	/* Under reg_lock: the bus's count of an owner when it was taken,
	 * and the calls of owners given back. */
	uint64_t owner_base[SMCCC_OWNERS];
	uint64_t retired_calls;
	_Atomic uint64_t not_supported;
};

/* A return code in the width of the call's convention. */
static uint64_t ret_val(uint32_t fid, int32_t v)
{
	return copro_smccc_is_64(fid) ? (uint64_t)(int64_t)v : (uint32_t)v;
}

static void answer_arch(struct copro_sim_smccc *d, uint32_t fid,
			const struct copro_smccc_regs *in,
			struct copro_smccc_regs *out)
{
	uint32_t q = (uint32_t)in->x[1];

	switch (fid) {
	case COPRO_SMCCC_VERSION:
		out->x[0] = COPRO_SMCCC_VERSION_1_2;
		return;
	case COPRO_SMCCC_ARCH_FEATURES:
		/* Only the architecture calls this firmware implements. */
		out->x[0] = q == COPRO_SMCCC_VERSION ||
					    q == COPRO_SMCCC_ARCH_FEATURES
				    ? 0
				    : ret_val(fid, COPRO_SMCCC_RET_NOT_SUPPORTED);
		return;
	}
	atomic_fetch_add_explicit(&d->not_supported, 1, memory_order_relaxed);
	out->x[0] = ret_val(fid, COPRO_SMCCC_RET_NOT_SUPPORTED);
}

static void not_supported(struct copro_sim_smccc *d, uint32_t fid,
			  struct copro_smccc_regs *out)
{
	atomic_fetch_add_explicit(&d->not_supported, 1, memory_order_relaxed);
	copro_dev_dbg(&d->ld, "function id 0x%08" PRIx32 ": NOT_SUPPORTED",
		      fid);
	out->x[0] = ret_val(fid, COPRO_SMCCC_RET_NOT_SUPPORTED);
}

static void dispatch(void *ctx, enum copro_conduit conduit,
		     const struct copro_smccc_regs *in,
		     struct copro_smccc_regs *out);

/*
 * A 32-bit call whose registers have bits above w0..w7's: what the
 * firmware sees is the low halves (SMCCC 1.2: SMC32/HVC32 take w1..w7
 * and return w0..w7; x8..x17 carry nothing, only SMC64 extends to x17).
 * Out of line: copro_smccc_call's registers are clean already.
 */
static __attribute__((noinline)) void
dispatch_narrowed(struct copro_sim_smccc *d, enum copro_conduit conduit,
		  const struct copro_smccc_regs *in,
		  struct copro_smccc_regs *out)
{
	struct copro_smccc_regs w = *in;

	for (unsigned i = 0; i < SMCCC32_REGS; i++) {
		w.x[i] = (uint32_t)w.x[i];
		out->x[i] = w.x[i];
	}
	dispatch(d, conduit, &w, out);
}

static void dispatch(void *ctx, enum copro_conduit conduit,
		     const struct copro_smccc_regs *in,
		     struct copro_smccc_regs *out)
{
	struct copro_sim_smccc *d = ctx;
	/* The function id is w0, whatever the caller left above it. */
	uint32_t fid = (uint32_t)in->x[0];

	if (copro_smccc_fid_check(fid) < 0) {
		not_supported(d, fid, out);
		return;
	}
	if (!copro_smccc_is_64(fid) &&
	    ((in->x[0] | in->x[1] | in->x[2] | in->x[3] | in->x[4] | in->x[5] |
	      in->x[6] | in->x[7]) >> 32)) {
		/* out, a copy of in, needs the same narrowing. */
		dispatch_narrowed(d, conduit, in, out);
		return;
	}
	if (copro_smccc_owner(fid) == COPRO_SMCCC_OWNER_ARCH) {
		answer_arch(d, fid, in, out);
		return;
	}
	for (unsigned i = 0; i < SMCCC_MAX_SERVICES; i++) {
		/* Ordered with the bus's call count (copro_bus_fwcall_sync). */
		copro_sim_smccc_fn fn = atomic_load(&d->svc[i].fn);

		if (fn && d->svc[i].fid == fid) {
			fn(d->svc[i].ctx, in, out);
			return;
		}
	}
	not_supported(d, fid, out);
}

static int owner_get(struct copro_sim_smccc *d, unsigned owner)
{
	int ret;

	if (d->owner_refs[owner]++)
		return 0;
	/* Calls before this (answered by nobody) are not ours. */
	d->owner_base[owner] = copro_bus_fwcall_count(d->bus, d->conduit,
						      owner);
	ret = copro_bus_add_fwcall(d->bus, d->conduit, owner, dispatch, d);
	if (ret < 0) {
		d->owner_refs[owner]--;
		copro_dev_err(&d->ld,
			      "cannot take %s calls of owner %u (%s): %s",
			      copro_conduit_name(d->conduit), owner,
			      copro_smccc_owner_name(owner), copro_strerror(ret));
	}
	return ret;
}

static void owner_put(struct copro_sim_smccc *d, unsigned owner)
{
	if (d->owner_refs[owner] && !--d->owner_refs[owner]) {
		copro_bus_remove_fwcall(d->bus, d->conduit, owner);
		d->retired_calls += copro_bus_fwcall_count(d->bus, d->conduit,
							   owner) -
				    d->owner_base[owner];
	}
}

int copro_sim_smccc_create(struct copro_bus *bus, enum copro_conduit conduit,
			   struct copro_sim_smccc **out)
{
	struct copro_sim_smccc *d;
	int ret;

	*out = NULL;
	if (conduit != COPRO_CONDUIT_SMC && conduit != COPRO_CONDUIT_HVC)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->bus = bus;
	d->conduit = conduit;
	copro_logdev_init(&d->ld, copro_bus_log(bus), "%s",
			  conduit == COPRO_CONDUIT_SMC ? "el3-firmware"
						       : "el2-hypervisor");
	ret = copro_mutex_init(&d->reg_lock);
	if (ret < 0) {
		free(d);
		return ret;
	}
	ret = owner_get(d, COPRO_SMCCC_OWNER_ARCH);
	if (ret < 0) {
		copro_mutex_destroy(&d->reg_lock);
		free(d);
		return ret;
	}
	*out = d;
	return 0;
}

void copro_sim_smccc_destroy(struct copro_sim_smccc *d)
{
	if (!d)
		return;
	if (d->nsvc)
		copro_dev_err(&d->ld, "destroyed with %u service(s) left",
			      d->nsvc);
	for (unsigned o = 0; o < SMCCC_OWNERS; o++)
		if (d->owner_refs[o])
			copro_bus_remove_fwcall(d->bus, d->conduit, o);
	copro_mutex_destroy(&d->reg_lock);
	free(d);
}

enum copro_conduit copro_sim_smccc_conduit(const struct copro_sim_smccc *d)
{
	return d->conduit;
}

int copro_sim_smccc_add(struct copro_sim_smccc *d, uint32_t fid,
			copro_sim_smccc_fn fn, void *ctx)
{
	char desc[96];
	int ret = 0;

	if (!fn || copro_smccc_fid_check(fid) < 0 ||
	    copro_smccc_owner(fid) == COPRO_SMCCC_OWNER_ARCH) {
		copro_dev_err(&d->ld, "cannot serve %s: not a usable service id",
			      copro_smccc_fid_describe(fid, desc, sizeof(desc)));
		return -EINVAL;
	}
	copro_mutex_lock(&d->reg_lock);
	for (unsigned i = 0; i < SMCCC_MAX_SERVICES; i++)
		if (atomic_load(&d->svc[i].fn) && d->svc[i].fid == fid)
			ret = -EEXIST;
	if (!ret && d->nsvc == SMCCC_MAX_SERVICES)
		ret = -ENOSPC;
	if (ret == -EEXIST || ret == -ENOSPC)
		copro_dev_err(&d->ld, "cannot serve %s: %s",
			      copro_smccc_fid_describe(fid, desc, sizeof(desc)),
			      ret == -EEXIST ? "already served"
					     : "too many services");
	if (!ret)
		ret = owner_get(d, copro_smccc_owner(fid));
	for (unsigned i = 0; !ret && i < SMCCC_MAX_SERVICES; i++) {
		if (atomic_load(&d->svc[i].fn))
			continue;
		d->svc[i].fid = fid;
		d->svc[i].ctx = ctx;
		atomic_store_explicit(&d->svc[i].fn, fn, memory_order_release);
		d->nsvc++;
		break;
	}
	copro_mutex_unlock(&d->reg_lock);
	return ret;
}

void copro_sim_smccc_remove(struct copro_sim_smccc *d, uint32_t fid)
{
	bool found = false;

	copro_mutex_lock(&d->reg_lock);
	for (unsigned i = 0; i < SMCCC_MAX_SERVICES; i++) {
		if (atomic_load(&d->svc[i].fn) && d->svc[i].fid == fid) {
			atomic_store(&d->svc[i].fn, NULL);
			d->nsvc--;
			found = true;
			break;
		}
	}
	/* No new call reaches it; wait for the ones that already had. */
	if (found) {
		copro_bus_fwcall_sync(d->bus);
		owner_put(d, copro_smccc_owner(fid));
	}
	copro_mutex_unlock(&d->reg_lock);
}

void copro_sim_smccc_stats(const struct copro_sim_smccc *d,
			   struct copro_sim_smccc_stats *out)
{
	struct copro_sim_smccc *m = (struct copro_sim_smccc *)d;

	copro_mutex_lock(&m->reg_lock);
	out->calls = m->retired_calls;
	for (unsigned o = 0; o < SMCCC_OWNERS; o++)
		if (m->owner_refs[o])
			out->calls += copro_bus_fwcall_count(m->bus, m->conduit,
							     o) -
				      m->owner_base[o];
	copro_mutex_unlock(&m->reg_lock);
	out->not_supported = atomic_load(&m->not_supported);
}
