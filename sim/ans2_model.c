/* SPDX-License-Identifier: MIT */
/*
 * Device model of the Apple ANS2 NVMe controller (hardware.md 4): its
 * life cycle, what the devicetree node gives it (the "nvme" region, the
 * interrupt, Identify strings, power domains and resets), the power and
 * reset lines it watches, fault injection and statistics. The register
 * file is ans2_regs.c; queues, the NVMMU and commands are in the other
 * ans2_*.c files (see ans2_internal.h).
 *
 * Powering a domain off or asserting a reset returns every register to
 * its reset value and forgets all queues, commands and TCBs, as the
 * hardware's reset does; the vendor area and the disk survive.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/dt.h>
#include <copro/error.h>
#include <copro/sim/ans2_model.h>

#include "ans2_internal.h"

#define DEFAULT_MODEL "APPLE SSD AP0256Q"
#define DEFAULT_SERIAL "C0PR00000000000ANS2"
#define DEFAULT_FIRMWARE "1.0"

/*
 * The generations, by compatible (a node lists one of them). The M1's
 * figures are hardware.md 4's; the A11's are what Linux's apple.c gives
 * "apple,t8015-nvme-ans2" (has_lsq_nvmmu false, max_queue_depth 16,
 * I/O SQ entries of 1 << 7 bytes). That 16 is also the most entries a
 * queue may have and the most commands of a queue the controller runs
 * at once is the model's reading of that depth: the public record gives
 * no other limit.
 */
static const struct ans2_gen gens[] = {
	{ "apple,t8015-nvme-ans2", "t8015", false, ANS2_T8015_DEPTH, 2,
	  ANS2_T8015_DEPTH, ANS2_T8015_IOSQ_ENTRY, ANS2_BOOT_STATUS + 4 },
	{ "apple,nvme-ans2", "t8103", true, ANS2_IO_DEPTH, ANS2_ADMIN_DEPTH,
	  ANS2_ADMIN_DEPTH, sizeof(struct nvme_sqe),
	  ANS2_NVMMU_TCB_STAT + 4 },
};

/* ---- faults --------------------------------------------------------- */

/* One hit off the fault's count, unless it is 0; the count it had. */
static unsigned fault_hit(struct copro_sim_ans2 *m, enum copro_sim_ans2_fault f)
{
	unsigned v = atomic_load_explicit(&m->faults[f], memory_order_relaxed);

	while (v && !atomic_compare_exchange_weak(&m->faults[f], &v, v - 1))
		;
	return v;
}

/* ans2_fault_take, once the fault was seen armed (another may take it). */
bool ans2_fault_take_armed(struct copro_sim_ans2 *m,
			   enum copro_sim_ans2_fault f)
{
	return fault_hit(m, f) != 0;
}

bool ans2_fault_countdown(struct copro_sim_ans2 *m,
			  enum copro_sim_ans2_fault f)
{
	return fault_hit(m, f) == 1;
}

void copro_sim_ans2_set_fault(struct copro_sim_ans2 *m,
			      enum copro_sim_ans2_fault f, unsigned count)
{
	if ((unsigned)f >= COPRO_SIM_ANS2_FAULT_COUNT) {
		copro_dev_err(&m->ld, "no fault %u", (unsigned)f);
		return;
	}
	atomic_store(&m->faults[f], count);
}

/* ---- power and reset ------------------------------------------------ */

static bool supplies_ok(struct copro_sim_ans2 *m)
{
	for (unsigned i = 0; i < m->npower; i++)
		if (!copro_bus_power_is_on(m->bus, m->power[i].node,
					   m->power[i].arg))
			return false;
	for (unsigned i = 0; i < m->nreset; i++)
		if (copro_bus_reset_asserted(m->bus, m->reset[i].node,
					     m->reset[i].arg))
			return false;
	return true;
}

static void supplies_changed(void *ctx, int node, uint32_t arg, bool on)
{
	struct copro_sim_ans2 *m = ctx;
	bool now;

	copro_mutex_lock(&m->ctl_lock);
	now = supplies_ok(m);
	if (atomic_load(&m->powered) && !now) {
		atomic_store(&m->powered, false);
		ans2_stop(m);
		ans2_regs_reset(m);
		atomic_store(&m->crashed, false);
		copro_dev_dbg(&m->ld, "powered off or held in reset");
	} else if (!atomic_load(&m->powered) && now) {
		atomic_store(&m->off_warned, false);
		atomic_store(&m->powered, true);
		copro_dev_dbg(&m->ld, "powered and out of reset");
	}
	copro_mutex_unlock(&m->ctl_lock);
}

/* ---- devicetree ----------------------------------------------------- */

static int node_err(struct copro_sim_ans2 *m, const struct copro_dt *dt,
		    int ret, const char *fmt, const char *what)
{
	char path[256];

	copro_dev_err(&m->ld, "%s: %s: %s %s: %s", copro_dt_name(dt),
		      copro_dt_node_path(dt, m->node, path, sizeof(path)), fmt,
		      what, copro_strerror(ret));
	return ret;
}

/* An Identify string: printable ASCII that fits its field. */
static int ident(struct copro_sim_ans2 *m, const struct copro_dt *dt,
		 const char *prop, char *out, size_t width, const char *def)
{
	const char *s = def;
	char path[256];
	int ret;

	if (copro_dt_has(dt, m->node, prop)) {
		ret = copro_dt_string(dt, m->node, prop, &s);
		if (ret < 0)
			return ret;
	}
	for (const char *c = s; *c; c++) {
		if (*c < 0x20 || *c > 0x7e || (size_t)(c - s) >= width) {
			copro_dev_err(&m->ld,
				      "%s: %s: \"%s\" = \"%s\" is not printable"
				      " ASCII of at most %zu characters",
				      copro_dt_name(dt),
				      copro_dt_node_path(dt, m->node, path,
							 sizeof(path)),
				      prop, s, width);
			return -EINVAL;
		}
	}
	snprintf(out, width + 1, "%s", s);
	return 0;
}

static int supplies(struct copro_sim_ans2 *m, const struct copro_dt *dt,
		    const char *prop, const char *cells,
		    struct ans2_supply *out, unsigned *n)
{
	int count = copro_dt_ref_count(dt, m->node, prop, cells);

	if (count < 0)
		return node_err(m, dt, count, "cannot read", prop);
	if (count > ANS2_SUPPLIES)
		return node_err(m, dt, -EINVAL, "too many entries in", prop);
	for (int i = 0; i < count; i++) {
		struct copro_dt_ref ref;
		int ret = copro_dt_ref(dt, m->node, prop, cells, (unsigned)i,
				       &ref);

		if (ret < 0)
			return ret;
		if (ref.nargs > 1)
			return node_err(m, dt, -EINVAL,
					"more than one argument cell in", prop);
		out[i].node = ref.node;
		out[i].arg = ref.nargs ? ref.args[0] : 0;
	}
	*n = (unsigned)count;
	return 0;
}

static int lookup(struct copro_sim_ans2 *m, const struct copro_dt *dt)
{
	int ret;

	for (size_t i = 0; i < sizeof(gens) / sizeof(gens[0]) && !m->gen; i++)
		if (copro_dt_is_compatible(dt, m->node, gens[i].compatible))
			m->gen = &gens[i];
	if (!m->gen)
		return node_err(m, dt, -ENODEV, "compatible names neither",
				"\"apple,nvme-ans2\" nor"
				" \"apple,t8015-nvme-ans2\"");
	ret = copro_dt_reg_by_name(dt, m->node, "nvme", &m->phys, &m->size);
	if (ret < 0)
		return ret;
	if (m->size < m->gen->regs_end)
		return node_err(m, dt, -EINVAL, "reg \"nvme\" too small for",
				"the last register");
	ret = copro_dt_irq(dt, m->node, 0, &m->line);
	if (ret < 0)
		return ret;
	ret = ident(m, dt, "apple,model", m->model, 40, DEFAULT_MODEL);
	if (!ret)
		ret = ident(m, dt, "apple,serial", m->serial, 20,
			    DEFAULT_SERIAL);
	if (!ret)
		ret = ident(m, dt, "apple,firmware", m->firmware, 8,
			    DEFAULT_FIRMWARE);
	if (!ret)
		ret = supplies(m, dt, "power-domains", "#power-domain-cells",
			       m->power, &m->npower);
	if (!ret)
		ret = supplies(m, dt, "resets", "#reset-cells", m->reset,
			       &m->nreset);
	return ret;
}

/* ---- watching the supplies ---------------------------------------- */

static bool seen_before(const struct ans2_supply *s, unsigned i, int node)
{
	for (unsigned j = 0; j < i; j++)
		if (s[j].node == node)
			return true;
	return false;
}

static void unwatch_all(struct copro_sim_ans2 *m)
{
	int done[2 * ANS2_SUPPLIES];
	unsigned n = 0;

	/* One unwatch drops both kinds of watch on a node. */
	for (unsigned k = 0; k < 2; k++) {
		const struct ans2_supply *s = k ? m->reset : m->power;
		unsigned cnt = k ? m->nreset : m->npower;

		for (unsigned i = 0; i < cnt; i++) {
			bool dup = false;

			for (unsigned j = 0; j < n; j++)
				dup |= done[j] == s[i].node;
			if (!dup) {
				copro_bus_unwatch(m->bus, s[i].node, &m->watch);
				done[n++] = s[i].node;
			}
		}
	}
}

static int watch_all(struct copro_sim_ans2 *m)
{
	int ret = 0;

	m->watch.changed = supplies_changed;
	m->watch.ctx = m;
	for (unsigned i = 0; i < m->npower && !ret; i++)
		if (!seen_before(m->power, i, m->power[i].node))
			ret = copro_bus_watch_power(m->bus, m->power[i].node,
						    &m->watch);
	for (unsigned i = 0; i < m->nreset && !ret; i++)
		if (!seen_before(m->reset, i, m->reset[i].node))
			ret = copro_bus_watch_reset(m->bus, m->reset[i].node,
						    &m->watch);
	return ret;
}

/* ---- lifecycle ------------------------------------------------------ */

static int init_locks(struct copro_sim_ans2 *m)
{
	struct copro_mutex *locks[] = {
		&m->ctl_lock, &m->lock, &m->vendor_lock,
		&m->sq[0].lock, &m->sq[1].lock,
	};
	size_t n = sizeof(locks) / sizeof(locks[0]);

	for (size_t i = 0; i < n; i++) {
		int ret = copro_mutex_init(locks[i]);

		if (ret < 0) {
			while (i--)
				copro_mutex_destroy(locks[i]);
			return ret;
		}
	}
	copro_spin_init(&m->cq[0].lock);
	copro_spin_init(&m->cq[1].lock);
	copro_event_init(&m->idle_ev);
	return 0;
}

static void fini_locks(struct copro_sim_ans2 *m)
{
	copro_mutex_destroy(&m->sq[1].lock);
	copro_mutex_destroy(&m->sq[0].lock);
	copro_mutex_destroy(&m->vendor_lock);
	copro_mutex_destroy(&m->lock);
	copro_mutex_destroy(&m->ctl_lock);
}

int copro_sim_ans2_create(struct copro_bus *bus, int node,
			  struct copro_sim_rtkit *fw,
			  struct copro_sim_sart *sart,
			  const struct copro_sim_ans2_config *cfg,
			  struct copro_sim_ans2 **out)
{
	static const struct copro_sim_ans2_config defaults;
	const struct copro_dt *dt = copro_bus_dt(bus);
	struct copro_sim_ans2 *m;
	int ret;

	*out = NULL;
	if (!cfg)
		cfg = &defaults;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->bus = bus;
	m->node = node;
	m->fw = fw;
	m->sart = sart;
	m->node_name = copro_dt_node_name(dt, node);
	copro_logdev_init(&m->ld, copro_bus_log(bus), "sim:%s",
			  m->node_name);
	m->disk.fd = -1;

	ret = lookup(m, dt);
	if (ret < 0)
		goto err_free;
	ret = init_locks(m);
	if (ret < 0)
		goto err_free;
	ans2_regs_reset(m);
	m->workers_only = cfg->workers_only;
	m->nworkers = cfg->workers ? cfg->workers
				   : COPRO_SIM_ANS2_WORKERS_DEFAULT;
	if (m->nworkers > COPRO_SIM_ANS2_WORKERS_MAX) {
		copro_dev_err(&m->ld,
			      "%u worker threads asked for; the model runs 1 to %u",
			      cfg->workers, COPRO_SIM_ANS2_WORKERS_MAX);
		ret = -EINVAL;
		goto err_locks;
	}
	ret = ans2_disk_open(m, cfg);
	if (ret < 0)
		goto err_locks;
	ret = ans2_workers_start(m);
	if (ret < 0)
		goto err_disk;
	ret = watch_all(m);
	if (ret < 0)
		goto err_watch;
	atomic_store(&m->powered, supplies_ok(m));
	snprintf(m->region_name, sizeof(m->region_name), "%s nvme",
		 m->node_name);
	ret = copro_bus_add_mmio(bus, m->phys, m->size, &ans2_nvme_ops, m,
				 m->region_name);
	if (ret < 0) {
		copro_dev_err(&m->ld, "cannot add the nvme registers at 0x%"
			      PRIx64 ": %s", m->phys, copro_strerror(ret));
		goto err_watch;
	}
	ret = ans2_fw_attach(m);
	if (ret < 0)
		goto err_mmio;
	*out = m;
	return 0;

err_mmio:
	copro_bus_remove_mmio(bus, m->phys);
err_watch:
	unwatch_all(m);
	ans2_workers_stop(m);
err_disk:
	ans2_disk_close(m);
err_locks:
	fini_locks(m);
err_free:
	free(m);
	return ret;
}

void copro_sim_ans2_destroy(struct copro_sim_ans2 *m)
{
	if (!m)
		return;
	ans2_fw_detach(m);
	copro_bus_remove_mmio(m->bus, m->phys);
	unwatch_all(m);
	copro_mutex_lock(&m->ctl_lock);
	ans2_stop(m);
	copro_mutex_unlock(&m->ctl_lock);
	ans2_workers_stop(m);
	copro_bus_irq_set(m->bus, m->line, false);
	ans2_disk_close(m);
	fini_locks(m);
	free(m);
}

uint64_t copro_sim_ans2_size(const struct copro_sim_ans2 *m)
{
	return m->disk.size;
}

const char *copro_sim_ans2_generation(const struct copro_sim_ans2 *m)
{
	return m->gen->name;
}

void copro_sim_ans2_get_stats(const struct copro_sim_ans2 *m,
			      struct copro_sim_ans2_stats *out)
{
	struct copro_sim_ans2 *mm = (struct copro_sim_ans2 *)m;

	memset(out, 0, sizeof(*out));
	out->workers = m->nworkers;
	for (unsigned i = 0; i < ANS2_WORKERS + ANS2_INLINE_SLOTS; i++) {
		const struct ans2_wstats *w = i < ANS2_WORKERS
			? &mm->wk[i].st : &mm->inl[i - ANS2_WORKERS].st;

		out->commands += atomic_load(&w->commands);
		out->inline_commands += atomic_load(&w->inline_commands);
		out->reads += atomic_load(&w->reads);
		out->writes += atomic_load(&w->writes);
		out->bytes_read += atomic_load(&w->bytes_read);
		out->bytes_written += atomic_load(&w->bytes_written);
		out->mapped_reads += atomic_load(&w->mapped_reads);
		out->mapped_writes += atomic_load(&w->mapped_writes);
	}
	out->mapped = m->disk.map.base != NULL;
	out->map_faults = atomic_load(&mm->disk.map.faults);
	out->map_write_call_ns = disk_map_cost_ns(&mm->disk.map, DISK_MAP_CALL);
	out->map_write_fault_ns = disk_map_cost_ns(&mm->disk.map,
						   DISK_MAP_FAULT);
	out->map_write_hit_ns = disk_map_cost_ns(&mm->disk.map, DISK_MAP_HIT);
	out->map_takes_writes = disk_map_on(&mm->disk.map) &&
				disk_map_takes_writes(&mm->disk.map);
	out->errors = atomic_load(&mm->st.errors);
	out->flushes = atomic_load(&mm->st.flushes);
	out->fdatasyncs = atomic_load(&mm->st.fdatasyncs);
	out->deallocates = atomic_load(&mm->st.deallocates);
	out->write_zeroes = atomic_load(&mm->st.write_zeroes);
	out->lbas_deallocated = atomic_load(&mm->st.lbas_deallocated);
	out->lbas_zeroed = atomic_load(&mm->st.lbas_zeroed);
	out->tcb_missing = atomic_load(&mm->st.tcb_missing);
	out->tcb_invalidations = atomic_load(&mm->st.tcb_invalidations);
	out->prp_violations = atomic_load(&mm->st.prp_violations);
	out->tag_errors = atomic_load(&mm->st.tag_errors);
	out->lost_irqs = atomic_load(&mm->st.lost_irqs);
	out->stuck = atomic_load(&mm->st.stuck);
	out->bad_accesses = atomic_load(&mm->st.bad_accesses);
	out->doorbells_ignored = atomic_load(&mm->st.doorbells_ignored);
	out->app_messages = atomic_load(&mm->st.app_messages);
	out->cid_conflicts = atomic_load(&mm->st.cid_conflicts);
	out->inflight_max_admin = atomic_load(&mm->st.inflight_max[ANS2_QA]);
	out->inflight_max_io = atomic_load(&mm->st.inflight_max[ANS2_QIO]);
	out->ioq_deleted = atomic_load(&mm->st.ioq_deleted);
	out->disabled_with_ioq = atomic_load(&mm->st.disabled_with_ioq);
}
