/* SPDX-License-Identifier: MIT */
/*
 * Device model of the Apple ANS2 NVMe controller (SPEC section 4): the
 * "nvme" register region, the CC/CSTS state machine, BOOT_STATUS, the
 * power domains and reset lines it sits behind, the firmware it depends
 * on, fault injection and statistics. Queues, the NVMMU and commands
 * are in the other ans2_*.c files (see ans2_internal.h).
 *
 * Registers are 32 bits wide; the 64-bit ones (CAP, ASQ, ACQ, the TCB
 * bases) also take 64-bit accesses. While a power domain is off or the
 * reset is asserted the block is not there: reads return all ones,
 * writes are dropped, both logged once per power-off. Powering off or
 * asserting the reset returns every register to its reset value and
 * forgets all queues, commands and TCBs.
 *
 * CC.EN 0 to 1 makes the controller ready (CSTS.RDY) only when the
 * firmware is up and the admin queues are valid (AQA of two entries
 * each, page-aligned ASQ and ACQ in DMA memory); invalid ones set
 * CSTS.CFS. CC.EN 1 to 0 stops every command and forgets the I/O
 * queues and TCBs, keeping AQA, ASQ and ACQ as NVMe does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/bus.h>
#include <copro/dt.h>
#include <copro/error.h>
#include <copro/sim/ans2_model.h>

#include "ans2_internal.h"

#define DEFAULT_MODEL "APPLE SSD AP0256Q"
#define DEFAULT_SERIAL "C0PR00000000000ANS2"
#define DEFAULT_FIRMWARE "1.0"

/* The region must reach the last register. */
#define REGION_MIN (ANS2_NVMMU_TCB_STAT + 4)

static const uint64_t cap_value =
	(ANS2_IO_DEPTH - 1) | ANS2_CAP_CQR |
	(uint64_t)2 << ANS2_CAP_TO_SHIFT | /* 1 s */
	ANS2_CAP_CSS_NVM;

/* ---- faults --------------------------------------------------------- */

bool ans2_fault_armed(struct copro_sim_ans2 *m, enum copro_sim_ans2_fault f)
{
	return atomic_load_explicit(&m->faults[f], memory_order_relaxed) != 0;
}

bool ans2_fault_take(struct copro_sim_ans2 *m, enum copro_sim_ans2_fault f)
{
	unsigned v = atomic_load_explicit(&m->faults[f], memory_order_relaxed);

	while (v && !atomic_compare_exchange_weak(&m->faults[f], &v, v - 1))
		;
	return v != 0;
}

bool ans2_fault_countdown(struct copro_sim_ans2 *m,
			  enum copro_sim_ans2_fault f)
{
	unsigned v = atomic_load_explicit(&m->faults[f], memory_order_relaxed);

	while (v && !atomic_compare_exchange_weak(&m->faults[f], &v, v - 1))
		;
	return v == 1;
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

/* ---- state transitions (ctl_lock held) ------------------------------- */

/* Everything a power-off or reset forgets. */
static void regs_reset(struct copro_sim_ans2 *m)
{
	copro_mutex_lock(&m->lock);
	m->cc = m->aqa = m->max_pend = m->modesel = 0;
	m->asq = m->acq = 0;
	copro_mutex_unlock(&m->lock);
	atomic_store(&m->csts, 0);
	atomic_store(&m->linear, 0);
	atomic_store(&m->tcb_stat, 0);
	atomic_store(&m->unknown_ctrl, ANS2_PRP_NULL_CHECK);
	atomic_store(&m->num_tcbs, 0);
	atomic_store(&m->tcb_base[ANS2_QA], 0);
	atomic_store(&m->tcb_base[ANS2_QIO], 0);
	atomic_store(&m->wce, true);
}

static void stop(struct copro_sim_ans2 *m)
{
	ans2_quiesce(m);
	ans2_queues_reset(m);
}

static void enable(struct copro_sim_ans2 *m, uint32_t cc)
{
	const char *why = NULL;

	if (atomic_load(&m->crashed)) {
		copro_dev_err(&m->ld, "CC.EN: the coprocessor has crashed,"
			      " the controller stays dead");
		return;
	}
	if (!atomic_load(&m->fw_up)) {
		copro_dev_warn(&m->ld, "CC.EN set before the firmware booted"
			       " (BOOT_STATUS not OK): CSTS.RDY stays clear");
		return;
	}
	if (cc & ANS2_CC_MPS_MASK)
		why = "CC.MPS: only 4 KiB host pages are supported";
	if (!why) {
		copro_mutex_lock(&m->lock);
		why = ans2_admin_setup(m);
		copro_mutex_unlock(&m->lock);
	}
	if (why) {
		copro_dev_err(&m->ld, "cannot enable: %s (CC 0x%" PRIx32
			      ", AQA 0x%" PRIx32 ", ASQ 0x%" PRIx64
			      ", ACQ 0x%" PRIx64 "): controller fatal status",
			      why, cc, m->aqa, m->asq, m->acq);
		atomic_fetch_or(&m->csts, ANS2_CSTS_CFS);
		return;
	}
	atomic_fetch_add(&m->epoch, 1);
	atomic_store(&m->csts, ANS2_CSTS_RDY);
	atomic_store(&m->ready, true);
	copro_dev_dbg(&m->ld, "controller enabled");
}

static void disable(struct copro_sim_ans2 *m)
{
	stop(m);
	atomic_store(&m->tcb_stat, 0);
	atomic_store(&m->csts, atomic_load(&m->crashed) ? ANS2_CSTS_CFS : 0);
	copro_dev_dbg(&m->ld, "controller disabled");
}

static void cc_write(struct copro_sim_ans2 *m, uint32_t val)
{
	uint32_t old;

	copro_mutex_lock(&m->ctl_lock);
	copro_mutex_lock(&m->lock);
	old = m->cc;
	m->cc = val;
	copro_mutex_unlock(&m->lock);
	if (!(old & ANS2_CC_EN) && (val & ANS2_CC_EN))
		enable(m, val);
	else if ((old & ANS2_CC_EN) && !(val & ANS2_CC_EN))
		disable(m);
	/* Shutdown notification: make everything written durable. */
	if ((val & ANS2_CC_SHN_MASK) && !(old & ANS2_CC_SHN_MASK)) {
		ans2_disk_sync(m, false);
		atomic_fetch_or(&m->csts, ANS2_CSTS_SHST_CMPLT);
	}
	copro_mutex_unlock(&m->ctl_lock);
}

void ans2_fatal(struct copro_sim_ans2 *m)
{
	atomic_store(&m->ready, false);
	atomic_fetch_add(&m->epoch, 1);
	atomic_fetch_or(&m->csts, ANS2_CSTS_CFS);
}

void ans2_fw_up(struct copro_sim_ans2 *m)
{
	copro_mutex_lock(&m->ctl_lock);
	atomic_store(&m->crashed, false);
	atomic_store(&m->fw_up, true);
	copro_mutex_unlock(&m->ctl_lock);
	copro_dev_dbg(&m->ld, "firmware up");
}

void ans2_fw_down(struct copro_sim_ans2 *m, bool crashed)
{
	copro_mutex_lock(&m->ctl_lock);
	atomic_store(&m->fw_up, false);
	if (crashed) {
		/* Whatever is in flight never completes. */
		atomic_store(&m->crashed, true);
		atomic_fetch_or(&m->csts, ANS2_CSTS_CFS);
		ans2_quiesce(m);
	} else {
		stop(m);
		atomic_fetch_and(&m->csts, ~ANS2_CSTS_RDY);
	}
	copro_mutex_unlock(&m->ctl_lock);
	copro_dev_dbg(&m->ld, "firmware down%s", crashed ? " (crashed)" : "");
}

void ans2_crash_now(struct copro_sim_ans2 *m)
{
	atomic_store(&m->crashed, true);
	ans2_fatal(m);
	copro_dev_err(&m->ld, "injected coprocessor crash");
}

/* ---- power and reset ------------------------------------------------ */

static bool supplies_ok(struct copro_sim_ans2 *m)
{
	for (unsigned i = 0; i < m->npower; i++)
		if (!copro_bus_power_is_on(m->p, m->power[i].node,
					   m->power[i].arg))
			return false;
	for (unsigned i = 0; i < m->nreset; i++)
		if (copro_bus_reset_asserted(m->p, m->reset[i].node,
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
		stop(m);
		regs_reset(m);
		atomic_store(&m->crashed, false);
		copro_dev_dbg(&m->ld, "powered off or held in reset");
	} else if (!atomic_load(&m->powered) && now) {
		atomic_store(&m->off_warned, false);
		atomic_store(&m->powered, true);
		copro_dev_dbg(&m->ld, "powered and out of reset");
	}
	copro_mutex_unlock(&m->ctl_lock);
}

/* ---- registers ------------------------------------------------------ */

static void bad_access(struct copro_sim_ans2 *m, const char *what,
		       uint64_t off, unsigned width)
{
	ans2_count(&m->st.bad_accesses, 1);
	copro_dev_warn(&m->ld, "bad %u-byte %s of register 0x%" PRIx64, width,
		       what, off);
}

static void off_access(struct copro_sim_ans2 *m, const char *what,
		       uint64_t off)
{
	ans2_count(&m->st.bad_accesses, 1);
	if (!atomic_exchange(&m->off_warned, true))
		copro_dev_warn(&m->ld, "%s of register 0x%" PRIx64
			       " while powered off or held in reset", what,
			       off);
}

static const uint64_t regs64[] = {
	ANS2_NVME_CAP, ANS2_NVME_ASQ, ANS2_NVME_ACQ,
	ANS2_NVMMU_ASQ_TCB_BASE, ANS2_NVMMU_IOSQ_TCB_BASE,
};

static bool reg64_base(uint64_t off, uint64_t *base)
{
	for (size_t i = 0; i < sizeof(regs64) / sizeof(regs64[0]); i++) {
		if (off == regs64[i] || off == regs64[i] + 4) {
			*base = regs64[i];
			return true;
		}
	}
	return false;
}

static uint64_t read64(struct copro_sim_ans2 *m, uint64_t base)
{
	uint64_t v;

	switch (base) {
	case ANS2_NVME_CAP:
		return cap_value;
	case ANS2_NVMMU_ASQ_TCB_BASE:
		return atomic_load(&m->tcb_base[ANS2_QA]);
	case ANS2_NVMMU_IOSQ_TCB_BASE:
		return atomic_load(&m->tcb_base[ANS2_QIO]);
	}
	copro_mutex_lock(&m->lock);
	v = base == ANS2_NVME_ASQ ? m->asq : m->acq;
	copro_mutex_unlock(&m->lock);
	return v;
}

static void write64(struct copro_sim_ans2 *m, uint64_t off, uint64_t base,
		    uint64_t val, unsigned width)
{
	uint64_t *plain = base == ANS2_NVME_ASQ ? &m->asq : &m->acq;
	uint64_t old = read64(m, base);

	if (width == 4)
		val = off == base ? (old & ~0xffffffffull) | (uint32_t)val
				  : (old & 0xffffffffull) | val << 32;
	switch (base) {
	case ANS2_NVMMU_ASQ_TCB_BASE:
		atomic_store(&m->tcb_base[ANS2_QA], val);
		return;
	case ANS2_NVMMU_IOSQ_TCB_BASE:
		atomic_store(&m->tcb_base[ANS2_QIO], val);
		return;
	}
	copro_mutex_lock(&m->lock);
	*plain = val;
	copro_mutex_unlock(&m->lock);
}

static uint32_t boot_status(struct copro_sim_ans2 *m)
{
	if (atomic_load(&m->fw_up) && !atomic_load(&m->crashed) &&
	    !ans2_fault_armed(m, COPRO_SIM_ANS2_FAULT_NO_BOOT_STATUS))
		return ANS2_BOOT_STATUS_OK;
	return 0;
}

static uint32_t locked_read(struct copro_sim_ans2 *m, const uint32_t *reg)
{
	uint32_t v;

	copro_mutex_lock(&m->lock);
	v = *reg;
	copro_mutex_unlock(&m->lock);
	return v;
}

static void locked_write(struct copro_sim_ans2 *m, uint32_t *reg,
			 uint32_t val)
{
	copro_mutex_lock(&m->lock);
	*reg = val;
	copro_mutex_unlock(&m->lock);
}

static uint64_t nvme_read(void *ctx, uint64_t off, unsigned width)
{
	struct copro_sim_ans2 *m = ctx;
	uint64_t base, v;

	if (!atomic_load(&m->powered)) {
		off_access(m, "read", off);
		return width == 8 ? ~0ull : 0xffffffffu;
	}
	if (reg64_base(off, &base)) {
		v = read64(m, base);
		if (width == 8)
			return off == base ? v : (bad_access(m, "read", off, 8), 0);
		return off == base ? (uint32_t)v : v >> 32;
	}
	if (width != 4) {
		bad_access(m, "read", off, width);
		return 0;
	}
	switch (off) {
	case ANS2_NVME_VS:
		return ANS2_VS_VALUE;
	case ANS2_NVME_CC:
		return locked_read(m, &m->cc);
	case ANS2_NVME_CSTS:
		return atomic_load(&m->csts);
	case ANS2_NVME_AQA:
		return locked_read(m, &m->aqa);
	case ANS2_MAX_PEND_CMDS:
		return locked_read(m, &m->max_pend);
	case ANS2_BOOT_STATUS:
		return boot_status(m);
	case ANS2_MODESEL:
		return locked_read(m, &m->modesel);
	case ANS2_UNKNOWN_CTRL:
		return atomic_load(&m->unknown_ctrl);
	case ANS2_LINEAR_SQ_CTRL:
		return atomic_load(&m->linear);
	case ANS2_NVMMU_NUM_TCBS:
		return atomic_load(&m->num_tcbs);
	case ANS2_NVMMU_TCB_STAT:
		return atomic_load(&m->tcb_stat);
	/* Write-only doorbells read as zero. */
	case ANS2_ACQ_DB:
	case ANS2_IOCQ_DB:
	case ANS2_LINEAR_ASQ_DB:
	case ANS2_LINEAR_IOSQ_DB:
	case ANS2_NVMMU_TCB_INVAL:
		return 0;
	}
	bad_access(m, "read", off, width);
	return 0;
}

static void num_tcbs_write(struct copro_sim_ans2 *m, uint32_t val)
{
	if (val >= ANS2_MAX_TAGS)
		copro_dev_warn(&m->ld, "NVMMU_NUM_TCBS %" PRIu32
			       " exceeds the %u TCBs (kept: %u)", val,
			       ANS2_MAX_TAGS, val & (ANS2_MAX_TAGS - 1));
	atomic_store(&m->num_tcbs, val & (ANS2_MAX_TAGS - 1));
}

static void nvme_write(void *ctx, uint64_t off, uint64_t val64, unsigned width)
{
	struct copro_sim_ans2 *m = ctx;
	uint32_t val = (uint32_t)val64;
	uint64_t base;

	if (!atomic_load(&m->powered)) {
		off_access(m, "write", off);
		return;
	}
	if (reg64_base(off, &base)) {
		if (base == ANS2_NVME_CAP || (width == 8 && off != base))
			bad_access(m, "write", off, width);
		else
			write64(m, off, base, val64, width);
		return;
	}
	if (width != 4) {
		bad_access(m, "write", off, width);
		return;
	}
	switch (off) {
	case ANS2_NVME_CC:
		cc_write(m, val);
		return;
	case ANS2_NVME_AQA:
		locked_write(m, &m->aqa, val & 0x0fff0fffu);
		return;
	case ANS2_ACQ_DB:
		ans2_cq_doorbell(m, ANS2_QA, val);
		return;
	case ANS2_IOCQ_DB:
		ans2_cq_doorbell(m, ANS2_QIO, val);
		return;
	case ANS2_MAX_PEND_CMDS:
		locked_write(m, &m->max_pend, val);
		return;
	case ANS2_MODESEL:
		locked_write(m, &m->modesel, val);
		return;
	case ANS2_UNKNOWN_CTRL:
		atomic_store(&m->unknown_ctrl, val);
		return;
	case ANS2_LINEAR_SQ_CTRL:
		atomic_store(&m->linear, val & ANS2_LINEAR_SQ_EN);
		return;
	case ANS2_LINEAR_ASQ_DB:
		ans2_sq_doorbell(m, ANS2_QA, val);
		return;
	case ANS2_LINEAR_IOSQ_DB:
		ans2_sq_doorbell(m, ANS2_QIO, val);
		return;
	case ANS2_NVMMU_NUM_TCBS:
		num_tcbs_write(m, val);
		return;
	case ANS2_NVMMU_TCB_INVAL:
		ans2_tcb_inval(m, val);
		return;
	}
	/* Including VS, CSTS, BOOT_STATUS and TCB_STAT, which are read-only. */
	bad_access(m, "write", off, width);
}

static const struct copro_mmio_ops nvme_ops = {
	.read = nvme_read,
	.write = nvme_write,
};

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

	ret = copro_dt_reg_by_name(dt, m->node, "nvme", &m->phys, &m->size);
	if (ret < 0)
		return ret;
	if (m->size < REGION_MIN)
		return node_err(m, dt, -EINVAL, "reg \"nvme\" too small for",
				"NVMMU_TCB_STAT");
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
				copro_bus_unwatch(m->p, s[i].node, &m->watch);
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
			ret = copro_bus_watch_power(m->p, m->power[i].node,
						    &m->watch);
	for (unsigned i = 0; i < m->nreset && !ret; i++)
		if (!seen_before(m->reset, i, m->reset[i].node))
			ret = copro_bus_watch_reset(m->p, m->reset[i].node,
						    &m->watch);
	return ret;
}

/* ---- lifecycle ------------------------------------------------------ */

static int init_locks(struct copro_sim_ans2 *m)
{
	struct copro_mutex *locks[] = {
		&m->ctl_lock, &m->lock, &m->irq_lock, &m->vendor_lock,
		&m->cq[0].lock, &m->cq[1].lock,
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
	copro_event_init(&m->idle_ev);
	return 0;
}

static void fini_locks(struct copro_sim_ans2 *m)
{
	copro_mutex_destroy(&m->cq[1].lock);
	copro_mutex_destroy(&m->cq[0].lock);
	copro_mutex_destroy(&m->vendor_lock);
	copro_mutex_destroy(&m->irq_lock);
	copro_mutex_destroy(&m->lock);
	copro_mutex_destroy(&m->ctl_lock);
}

int copro_sim_ans2_create(struct copro_platform *p, int node,
			  struct copro_sim_rtkit *fw,
			  struct copro_sim_sart *sart,
			  const struct copro_sim_ans2_config *cfg,
			  struct copro_sim_ans2 **out)
{
	static const struct copro_sim_ans2_config defaults;
	const struct copro_dt *dt = copro_platform_dt(p);
	struct copro_sim_ans2 *m;
	int ret;

	*out = NULL;
	if (!cfg)
		cfg = &defaults;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->p = p;
	m->node = node;
	m->fw = fw;
	m->sart = sart;
	m->node_name = copro_dt_node_name(dt, node);
	copro_logdev_init(&m->ld, copro_platform_log(p), "sim:%s",
			  m->node_name);
	m->disk.fd = -1;

	ret = lookup(m, dt);
	if (ret < 0)
		goto err_free;
	ret = init_locks(m);
	if (ret < 0)
		goto err_free;
	regs_reset(m);
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
	ret = copro_bus_add_mmio(p, m->phys, m->size, &nvme_ops, m,
				 m->region_name);
	if (ret < 0) {
		copro_dev_err(&m->ld, "cannot add the nvme registers at 0x%"
			      PRIx64 ": %s", m->phys, copro_strerror(ret));
		goto err_watch;
	}
	*out = m;
	return 0;

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
	copro_bus_remove_mmio(m->p, m->phys);
	unwatch_all(m);
	copro_mutex_lock(&m->ctl_lock);
	stop(m);
	copro_mutex_unlock(&m->ctl_lock);
	ans2_workers_stop(m);
	copro_bus_irq_set(m->p, m->line, false);
	ans2_disk_close(m);
	fini_locks(m);
	free(m);
}

uint64_t copro_sim_ans2_size(const struct copro_sim_ans2 *m)
{
	return m->disk.size;
}

void copro_sim_ans2_get_stats(const struct copro_sim_ans2 *m,
			      struct copro_sim_ans2_stats *out)
{
	struct copro_sim_ans2 *mm = (struct copro_sim_ans2 *)m;

	memset(out, 0, sizeof(*out));
	out->commands = atomic_load(&mm->st.commands);
	out->errors = atomic_load(&mm->st.errors);
	out->reads = atomic_load(&mm->st.reads);
	out->writes = atomic_load(&mm->st.writes);
	out->flushes = atomic_load(&mm->st.flushes);
	out->fdatasyncs = atomic_load(&mm->st.fdatasyncs);
	out->bytes_read = atomic_load(&mm->st.bytes_read);
	out->bytes_written = atomic_load(&mm->st.bytes_written);
	out->tcb_missing = atomic_load(&mm->st.tcb_missing);
	out->tcb_invalidations = atomic_load(&mm->st.tcb_invalidations);
	out->prp_violations = atomic_load(&mm->st.prp_violations);
	out->tag_errors = atomic_load(&mm->st.tag_errors);
	out->lost_irqs = atomic_load(&mm->st.lost_irqs);
	out->stuck = atomic_load(&mm->st.stuck);
	out->bad_accesses = atomic_load(&mm->st.bad_accesses);
	out->doorbells_ignored = atomic_load(&mm->st.doorbells_ignored);
}
