// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>

#include "test_hyp.h"

static void notify(void *ctx, uint32_t msg_id, const void *payload,
		   size_t len)
{
	struct hyp_side *s = ctx;
	const uint8_t *p = payload;

	if (len < 8)
		return;
	if (msg_id == COPRO_RM_NOTIF_VM_EXITED) {
		atomic_store(&s->last_exited, (uint16_t)(p[0] | p[1] << 8));
		atomic_fetch_add(&s->exited, 1);
	} else if (msg_id == COPRO_RM_NOTIF_VM_STATUS &&
		   p[4] == COPRO_RM_VM_RUNNING) {
		atomic_fetch_add(&s->running, 1);
	}
}

static int side_open(struct hyp_side *s,
		     const struct copro_sim_hyp_rm_desc *d)
{
	struct copro_gh_rm_config cfg = {
		.tx_capid = d->tx_capid,
		.rx_capid = d->rx_capid,
		.tx_virq = d->tx_virq,
		.rx_virq = d->rx_virq,
		.notify = notify,
		.ctx = s,
		/* Generous: CI runs this under sanitizers on a busy machine. */
		.timeout_ns = 5 * COPRO_NSEC_PER_SEC,
	};
	int ret = copro_gh_msgq_probe(s->p, NULL, &s->mq);

	if (!ret)
		ret = copro_gh_bell_probe(s->p, NULL, &s->db);
	cfg.mq = s->mq;
	if (!ret)
		ret = copro_gh_rm_open(s->p, &cfg, &s->rm);
	return ret;
}

static void side_close(struct hyp_side *s)
{
	copro_gh_rm_close(s->rm);
	copro_gh_bell_remove(s->db);
	copro_gh_msgq_remove(s->mq);
	s->rm = NULL;
	s->db = NULL;
	s->mq = NULL;
}

int hyp_fix_init(struct hyp_fix *f, bool threaded)
{
	struct copro_board_config bc = { .board = "gunyah", .threaded = threaded };
	const struct copro_dt *dt;
	struct copro_sim_hyp_rm_desc d;
	int node, ret;

	memset(f, 0, sizeof(*f));
	ret = test_logcap_init(&f->cap);
	if (ret < 0)
		return ret;
	bc.log = test_logcap_log(&f->cap);
	ret = copro_board_create(&bc, &f->b);
	if (ret < 0)
		return ret;
	f->hyp = copro_board_hyp(f->b);
	if (!f->hyp)
		return -ENODEV;
	f->prim.p = copro_board_platform(f->b);
	f->prim.bus = copro_board_bus(f->b);
	f->prim.vmid = COPRO_SIM_HYP_PRIMARY_VMID;
	/* The primary reads its RM queues from its devicetree, as Linux. */
	dt = copro_board_dt(f->b);
	node = copro_dt_next_compatible(dt, -1, COPRO_SIM_HYP_RM_COMPATIBLE);
	if (node < 0)
		return node;
	uint64_t base;

	ret = copro_dt_reg_raw(dt, node, 0, &base);
	d.tx_capid = base;
	if (!ret)
		ret = copro_dt_reg_raw(dt, node, 1, &base);
	d.rx_capid = base;
	if (!ret)
		ret = copro_dt_irq(dt, node, 0, &d.tx_virq);
	if (!ret)
		ret = copro_dt_irq(dt, node, 1, &d.rx_virq);
	if (ret < 0)
		return ret;
	return side_open(&f->prim, &d);
}

int hyp_fix_vm_up(struct hyp_fix *f, unsigned i)
{
	struct hyp_side *s = &f->vm[i];
	struct copro_bus_config bc = {
		.dt = copro_board_dt(f->b),
		.log = test_logcap_log(&f->cap),
		.threaded = copro_platform_threaded(f->prim.p),
	};
	struct copro_sim_hyp_rm_desc d;
	int ret = copro_gh_rm_alloc_vmid(f->prim.rm, 0, &s->vmid);

	if (ret < 0)
		return ret;
	ret = copro_bus_create(&bc, &s->bus);
	if (ret < 0)
		return ret;
	ret = copro_bus_platform_create(s->bus, &s->p);
	if (ret < 0)
		return ret;
	s->own_platform = true;
	ret = copro_sim_hyp_attach(f->hyp, s->vmid, s->bus, &d);
	if (!ret)
		ret = side_open(s, &d);
	if (!ret)
		ret = copro_gh_rm_vm_start(f->prim.rm, s->vmid);
	return ret;
}

void hyp_fix_vm_down(struct hyp_fix *f, unsigned i)
{
	struct hyp_side *s = &f->vm[i];

	if (!s->p)
		return;
	copro_gh_rm_vm_stop(f->prim.rm, s->vmid);
	side_close(s);
	copro_gh_rm_dealloc_vmid(f->prim.rm, s->vmid);
	copro_sim_hyp_detach(f->hyp, s->vmid);
	copro_platform_destroy(s->p);
	copro_bus_destroy(s->bus);
	memset(s, 0, sizeof(*s));
}

void hyp_fix_fini(struct hyp_fix *f)
{
	for (unsigned i = 0; i < HYP_FIX_VMS; i++)
		hyp_fix_vm_down(f, i);
	side_close(&f->prim);
	copro_board_destroy(f->b);
	test_logcap_destroy(&f->cap);
}

int hyp_fix_res(struct hyp_side *s, uint16_t partner,
		enum copro_gh_rsc_type type, struct copro_gh_resource *out)
{
	struct copro_gh_resource *v;
	size_t n;
	int ret = copro_gh_rm_get_resources(s->rm, partner, &v, &n);

	if (ret < 0)
		return ret;
	ret = -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (v[i].type == type && v[i].partner_vmid == partner) {
			*out = v[i];
			ret = 0;
			break;
		}
	free(v);
	return ret;
}
