// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <copro/dt.h>
#include <copro/error.h>

#include "hyp_session.h"

static void notify(void *ctx, uint32_t msg_id, const void *payload,
		   size_t len)
{
	struct hyp_vm_side *s = ctx;
	const uint8_t *p = payload;

	if (msg_id == COPRO_RM_NOTIF_VM_EXITED && len >= 2) {
		atomic_store(&s->last_exited, (uint16_t)(p[0] | p[1] << 8));
		atomic_fetch_add(&s->exited, 1);
	}
	if (s->on_notify)
		s->on_notify(s, msg_id, p, len);
}

static int side_open(struct hyp_vm_side *s,
		     const struct copro_sim_hyp_rm_desc *d)
{
	struct copro_gh_rm_config cfg = {
		.tx_capid = d->tx_capid,
		.rx_capid = d->rx_capid,
		.tx_virq = d->tx_virq,
		.rx_virq = d->rx_virq,
		.notify = notify,
		.ctx = s,
		/* A busy machine must not turn into a failed demo. */
		.timeout_ns = 10 * COPRO_NSEC_PER_SEC,
	};
	int ret = copro_gh_msgq_probe(s->p, NULL, &s->mq);

	if (!ret)
		ret = copro_gh_bell_probe(s->p, NULL, &s->db);
	cfg.mq = s->mq;
	if (!ret)
		ret = copro_gh_rm_open(s->p, &cfg, &s->rm);
	return ret;
}

static void side_close(struct hyp_vm_side *s)
{
	copro_gh_rm_close(s->rm);
	copro_gh_bell_remove(s->db);
	copro_gh_msgq_remove(s->mq);
	s->rm = NULL;
	s->db = NULL;
	s->mq = NULL;
}

int hyp_session_open(struct hyp_session *s, struct copro_log *log)
{
	struct copro_board_config bc = { .board = "gunyah", .threaded = true,
					 .log = log };
	struct copro_sim_hyp_rm_desc d;
	const struct copro_dt *dt;
	uint64_t cap;
	int node, ret;

	s->log = log;
	ret = copro_board_create(&bc, &s->b);
	if (ret < 0)
		return ret;
	s->hyp = copro_board_hyp(s->b);
	if (!s->hyp)
		return -ENODEV;
	s->prim.name = "primary";
	s->prim.p = copro_board_platform(s->b);
	s->prim.bus = copro_board_bus(s->b);
	s->prim.vmid = COPRO_SIM_HYP_PRIMARY_VMID;
	/* As a Linux guest: the RM's queues are in the devicetree. */
	dt = copro_board_dt(s->b);
	node = copro_dt_next_compatible(dt, -1, COPRO_SIM_HYP_RM_COMPATIBLE);
	if (node < 0)
		return node;
	ret = copro_dt_reg_raw(dt, node, 0, &cap);
	d.tx_capid = cap;
	if (!ret)
		ret = copro_dt_reg_raw(dt, node, 1, &cap);
	d.rx_capid = cap;
	if (!ret)
		ret = copro_dt_irq(dt, node, 0, &d.tx_virq);
	if (!ret)
		ret = copro_dt_irq(dt, node, 1, &d.rx_virq);
	if (!ret)
		ret = side_open(&s->prim, &d);
	return ret;
}

int hyp_session_vm_create(struct hyp_session *s, struct hyp_vm_side *vm,
			  const char *name)
{
	struct copro_bus_config bc = {
		.dt = copro_board_dt(s->b),
		.log = s->log,
		.threaded = true,
	};
	struct copro_sim_hyp_rm_desc d;
	int ret;

	vm->name = name;
	ret = copro_gh_rm_alloc_vmid(s->prim.rm, 0, &vm->vmid);
	if (ret < 0)
		return ret;
	ret = copro_bus_create(&bc, &vm->bus);
	if (ret < 0)
		return ret;
	ret = copro_bus_platform_create(vm->bus, &vm->p);
	if (ret < 0)
		return ret;
	vm->own_platform = true;
	ret = copro_sim_hyp_attach(s->hyp, vm->vmid, vm->bus, &d);
	return ret < 0 ? ret : side_open(vm, &d);
}

int hyp_session_vm_start(struct hyp_session *s, struct hyp_vm_side *vm)
{
	return copro_gh_rm_vm_start(s->prim.rm, vm->vmid);
}

void hyp_session_vm_destroy(struct hyp_session *s, struct hyp_vm_side *vm)
{
	if (!vm->p)
		return;
	side_close(vm);
	/* Already stopped (or crashed) is fine: -EBUSY. */
	copro_gh_rm_vm_stop(s->prim.rm, vm->vmid);
	copro_gh_rm_dealloc_vmid(s->prim.rm, vm->vmid);
	copro_sim_hyp_detach(s->hyp, vm->vmid);
	copro_platform_destroy(vm->p);
	copro_bus_destroy(vm->bus);
	vm->p = NULL;
	vm->bus = NULL;
}

void hyp_session_close(struct hyp_session *s)
{
	if (s->prim.rm || s->prim.mq)
		side_close(&s->prim);
	copro_board_destroy(s->b);
}

int hyp_session_res(struct hyp_vm_side *side, uint16_t partner,
		    enum copro_gh_rsc_type type, struct copro_gh_resource *out)
{
	struct copro_gh_resource *v;
	size_t n;
	int ret = copro_gh_rm_get_resources(side->rm, partner, &v, &n);

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
