// SPDX-License-Identifier: MIT
/*
 * The emulated machine: its lifetime, the platform backend over it, and
 * firmware calls. MMIO, interrupt lines, DMA memory and reset/power live
 * in bus_mmio.c, bus_irq.c, bus_dma.c and bus_power.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus_internal.h"

int copro_bus_create(const struct copro_bus_config *cfg,
		     struct copro_bus **out)
{
	struct copro_bus *bus;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->dt)
		return -EINVAL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	bus->dt = cfg->dt;
	bus->threaded = cfg->threaded;
	atomic_init(&bus->observed, false);
	copro_logdev_init(&bus->ld, cfg->log, "%s", copro_dt_name(cfg->dt));

	rc = copro_bus_mmio_init(bus);
	if (rc)
		goto err_free;
	rc = copro_bus_irq_init(bus, cfg->irq_spin_ns ? cfg->irq_spin_ns
						      : COPRO_SPIN_DEFAULT_NS);
	if (rc)
		goto err_mmio;
	rc = copro_bus_dma_init(bus);
	if (rc)
		goto err_irq;
	rc = copro_bus_pr_init(bus);
	if (rc)
		goto err_dma;
	rc = copro_bus_fw_init(bus);
	if (rc)
		goto err_pr;
	if (bus->threaded) {
		rc = copro_bus_irq_start(bus);
		if (rc)
			goto err_fw;
	}
	*out = bus;
	return 0;

err_fw:
	copro_bus_fw_fini(bus);
err_pr:
	copro_bus_pr_fini(bus);
err_dma:
	copro_bus_dma_fini(bus);
err_irq:
	copro_bus_irq_fini(bus);
err_mmio:
	copro_bus_mmio_fini(bus);
err_free:
	free(bus);
	return rc;
}

void copro_bus_destroy(struct copro_bus *bus)
{
	if (!bus)
		return;
	if (bus->threaded)
		copro_bus_irq_stop(bus);
	copro_bus_fw_fini(bus);
	copro_bus_pr_fini(bus);
	copro_bus_irq_fini(bus);
	copro_bus_mmio_fini(bus);
	copro_bus_dma_fini(bus);
	free(bus);
}

const struct copro_dt *copro_bus_dt(const struct copro_bus *bus)
{
	return bus->dt;
}

struct copro_log *copro_bus_log(const struct copro_bus *bus)
{
	return bus->ld.log;
}

/* ---- firmware calls ---- */

int copro_bus_fw_init(struct copro_bus *bus)
{
	bus->fw.heavy = copro_heavy_barrier_init();
	return copro_mutex_init(&bus->fw.lock);
}

void copro_bus_fw_fini(struct copro_bus *bus)
{
	for (unsigned c = 0; c < 2; c++)
		for (unsigned o = 0; o < BUS_FW_OWNERS; o++)
			if (atomic_load(&bus->fw.by_owner[c][o].fn))
				copro_dev_err(&bus->ld,
					      "bus destroyed with the %s handler of owner %u still registered",
					      c ? "HVC" : "SMC", o);
	for (unsigned i = 0; i < BUS_FW_THREADS; i++)
		free(atomic_load(&bus->fw.threads[i]));
	copro_mutex_destroy(&bus->fw.lock);
}

static bool conduit_ok(enum copro_conduit c)
{
	return c == COPRO_CONDUIT_SMC || c == COPRO_CONDUIT_HVC;
}

static unsigned thread_hash(uintptr_t id)
{
	return (unsigned)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> 58) %
	       BUS_FW_THREADS;
}

/*
 * The calling thread's record; NULL (the table is full, or no memory):
 * it counts in the entries' shared words instead. A thread's first call
 * publishes its record with a compare-and-swap, taking no lock: a
 * remover waits out calls holding fw.lock, and a call it waits for may
 * need another thread's first call to finish.
 */
static struct bus_fw_thread *thread_rec(struct copro_bus *bus)
{
	uintptr_t id = copro_thread_id();
	unsigned h = thread_hash(id);
	struct bus_fw_thread *t, *mine = NULL;

	for (unsigned i = 0; i < BUS_FW_THREADS; i++) {
		_Atomic(struct bus_fw_thread *) *e =
			&bus->fw.threads[(h + i) % BUS_FW_THREADS];

		t = atomic_load_explicit(e, memory_order_acquire);
		while (!t) {
			if (!mine && !(mine = calloc(1, sizeof(*mine))))
				return NULL;
			mine->id = id;
			if (atomic_compare_exchange_strong_explicit(
				    e, &t, mine, memory_order_acq_rel,
				    memory_order_acquire))
				return mine;
			/* Another thread took the slot: t is its record. */
		}
		if (t->id == id) {
			free(mine);
			return t;
		}
	}
	free(mine);
	return NULL;
}

int copro_bus_add_fwcall(struct copro_bus *bus, enum copro_conduit conduit,
			 unsigned owner, copro_bus_fwcall_fn fn, void *ctx)
{
	struct bus_fwcall *slot;
	int rc = 0;

	if (!conduit_ok(conduit) || owner >= BUS_FW_OWNERS || !fn) {
		copro_dev_err(&bus->ld,
			      "fwcall: cannot add a handler for conduit %d owner %u%s",
			      (int)conduit, owner, fn ? "" : " (no function)");
		return -EINVAL;
	}
	copro_mutex_lock(&bus->fw.lock);
	slot = &bus->fw.by_owner[conduit - 1][owner];
	if (atomic_load(&slot->fn)) {
		rc = -EEXIST;
	} else {
		atomic_store_explicit(&slot->ctx, ctx, memory_order_relaxed);
		atomic_store(&slot->fn, fn);
	}
	copro_mutex_unlock(&bus->fw.lock);
	if (rc)
		copro_dev_err(&bus->ld,
			      "fwcall: %s owner %u already has a handler",
			      conduit == COPRO_CONDUIT_SMC ? "SMC" : "HVC",
			      owner);
	return rc;
}

/* The remover's half of the asymmetric barrier (bus_fw). */
static void fw_barrier(struct copro_bus *bus)
{
	copro_barrier_slow(bus->fw.heavy);
}

static bool fw_busy(struct copro_bus *bus, unsigned c, unsigned o)
{
	if (atomic_load(&bus->fw.by_owner[c][o].shared) & BUS_FW_INFLIGHT_MASK)
		return true;
	for (unsigned i = 0; i < BUS_FW_THREADS; i++) {
		struct bus_fw_thread *t = atomic_load(&bus->fw.threads[i]);

		if (t && (atomic_load(&t->state[c][o]) & BUS_FW_INFLIGHT_MASK))
			return true;
	}
	return false;
}

/*
 * Returns once no call through entry [c][o] is in flight (not from
 * inside one). After fw_barrier(): a call not counted yet sees the
 * remover's stores.
 */
static void fw_wait_idle(struct copro_bus *bus, unsigned c, unsigned o)
{
	for (unsigned spins = 0; fw_busy(bus, c, o); spins++) {
		if (spins < 64)
			copro_cpu_relax();
		else
			copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
	}
}

void copro_bus_remove_fwcall(struct copro_bus *bus, enum copro_conduit conduit,
			     unsigned owner)
{
	struct bus_fwcall *slot;
	bool found = false;

	if (!conduit_ok(conduit) || owner >= BUS_FW_OWNERS)
		return;
	slot = &bus->fw.by_owner[conduit - 1][owner];
	copro_mutex_lock(&bus->fw.lock);
	found = atomic_exchange(&slot->fn, NULL) != NULL;
	/* No new call finds it; wait out the ones that might have. */
	fw_barrier(bus);
	fw_wait_idle(bus, conduit - 1, owner);
	copro_mutex_unlock(&bus->fw.lock);
	if (!found)
		copro_dev_warn(&bus->ld,
			       "fwcall: no %s handler of owner %u to remove",
			       conduit == COPRO_CONDUIT_SMC ? "SMC" : "HVC",
			       owner);
}

void copro_bus_fwcall_sync(struct copro_bus *bus)
{
	/*
	 * Each entry idle at some moment after the barrier: every call in
	 * flight when it was made has returned by then, and every later one
	 * sees what the caller stored before.
	 */
	fw_barrier(bus);
	for (unsigned c = 0; c < 2; c++)
		for (unsigned o = 0; o < BUS_FW_OWNERS; o++)
			fw_wait_idle(bus, c, o);
}

uint64_t copro_bus_fwcall_count(struct copro_bus *bus,
				enum copro_conduit conduit, unsigned owner)
{
	unsigned c = conduit - 1;
	uint64_t n;

	if (!conduit_ok(conduit) || owner >= BUS_FW_OWNERS)
		return 0;
	n = atomic_load(&bus->fw.by_owner[c][owner].shared) >>
	    BUS_FW_INFLIGHT_BITS;
	for (unsigned i = 0; i < BUS_FW_THREADS; i++) {
		struct bus_fw_thread *t = atomic_load(&bus->fw.threads[i]);

		if (t)
			n += atomic_load(&t->state[c][owner]) >>
			     BUS_FW_INFLIGHT_BITS;
	}
	return n;
}

static void fw_enter(struct copro_bus *bus, struct bus_fwcall *slot,
		     _Atomic uint64_t *mine)
{
	if (!mine) {
		/* Locked, and sequentially consistent against the clear. */
		atomic_fetch_add(&slot->shared, BUS_FW_CALL + 1);
		return;
	}
	/* Ours alone: a load and a store, then the cheap half of the barrier. */
	copro_owned_add(mine, (int64_t)(BUS_FW_CALL + 1));
	copro_barrier_fast(bus->fw.heavy);
}

int bus_be_fw_call(void *be, enum copro_conduit conduit,
		   const struct copro_smccc_regs *in,
		   struct copro_smccc_regs *out)
{
	struct copro_bus *bus = be;
	unsigned c = conduit - 1, o;
	struct bus_fw_thread *t;
	struct bus_fwcall *slot;
	_Atomic uint64_t *mine;
	copro_bus_fwcall_fn fn;

	if (!conduit_ok(conduit))
		return -EINVAL;
	/*
	 * The front end never passes in == out (backend.h). Word by word:
	 * 16-byte loads over the caller's 8-byte stores stall store
	 * forwarding (perf annotate: half this function's samples on the
	 * first one). Six at a time: less loop.
	 */
	_Static_assert(COPRO_SMCCC_NREGS % 6 == 0, "copied six at a time");
	for (unsigned i = 0; i < COPRO_SMCCC_NREGS; i += 6) {
		uint64_t w0 = copro_reg_word(in->x[i]);
		uint64_t w1 = copro_reg_word(in->x[i + 1]);
		uint64_t w2 = copro_reg_word(in->x[i + 2]);
		uint64_t w3 = copro_reg_word(in->x[i + 3]);
		uint64_t w4 = copro_reg_word(in->x[i + 4]);
		uint64_t w5 = copro_reg_word(in->x[i + 5]);

		out->x[i] = w0;
		out->x[i + 1] = w1;
		out->x[i + 2] = w2;
		out->x[i + 3] = w3;
		out->x[i + 4] = w4;
		out->x[i + 5] = w5;
	}
	o = COPRO_SMCCC_OWNER(in->x[0]);
	slot = &bus->fw.by_owner[c][o];
	t = thread_rec(bus);
	mine = t ? &t->state[c][o] : NULL;
	fw_enter(bus, slot, mine);
	fn = atomic_load_explicit(&slot->fn, memory_order_acquire);
	if (fn)
		fn(atomic_load_explicit(&slot->ctx, memory_order_relaxed),
		   conduit, in, out);
	else
		out->x[0] = COPRO_SMCCC_NOT_SUPPORTED;
	/* Released: what the handler did happens before the remover's wait ends. */
	if (mine)
		atomic_store_explicit(mine,
				      atomic_load_explicit(mine,
							   memory_order_relaxed) - 1,
				      memory_order_release);
	else
		atomic_fetch_sub_explicit(&slot->shared, 1,
					  memory_order_release);
	return 0;
}

/* ---- the backend ---- */

static bool bus_be_threaded(void *be)
{
	return ((struct copro_bus *)be)->threaded;
}

static void bus_be_observe(void *be, const struct copro_backend_observer *obs)
{
	struct copro_bus *bus = be;

	/*
	 * Set before the flag is raised and left alone while it is up: a
	 * device thread reading it sees a whole observer or none.
	 */
	atomic_store_explicit(&bus->observed, false, memory_order_release);
	if (obs) {
		bus->obs = *obs;
		atomic_store_explicit(&bus->observed, true,
				      memory_order_release);
	}
}

static const struct copro_backend_ops bus_backend = {
	.name = "emulated",
	.threaded = bus_be_threaded,
	.poll = bus_be_poll,
	.poll_hold = bus_be_poll_hold,
	.mmio_map = bus_be_mmio_map,
	.mmio_unmap = bus_be_mmio_unmap,
	.irq_request = bus_be_irq_request,
	.irq_free = bus_be_irq_free,
	.irq_enable = bus_be_irq_enable,
	.irq_disable = bus_be_irq_disable,
	.dma_alloc = bus_be_dma_alloc,
	.dma_alloc_at = bus_be_dma_alloc_at,
	.dma_free = bus_be_dma_free,
	.dma_register = bus_be_dma_register,
	.dma_unregister = bus_be_dma_unregister,
	.reset_set = bus_be_reset_set,
	.power_set = bus_be_power_set,
	.fw_call = bus_be_fw_call,
	.observe = bus_be_observe,
};

const struct copro_backend_ops *copro_bus_backend(void)
{
	return &bus_backend;
}

int copro_bus_platform_create(struct copro_bus *bus,
			      struct copro_platform **out)
{
	struct copro_platform_config cfg = {
		.dt = bus->dt,
		.log = bus->ld.log,
		.ops = &bus_backend,
		.backend = bus,
	};

	return copro_platform_create(&cfg, out);
}
