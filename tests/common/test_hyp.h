/* SPDX-License-Identifier: MIT */
/*
 * A Gunyah fixture: the "gunyah" board (the primary VM and the hypervisor
 * model), and VMs the primary creates through the RM at run time, each
 * with its own platform (machine), message-queue and doorbell
 * controllers and RM client.
 */
#ifndef COPRO_TEST_HYP_H
#define COPRO_TEST_HYP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/gunyah.h>
#include <copro/gunyah_msgq.h>
#include <copro/gunyah_rm.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>
#include <copro/sim/hyp.h>

#include "testutil.h"

#define HYP_FIX_VMS 3

struct hyp_side {
	struct copro_bus *bus; /* the VM's machine */
	struct copro_platform *p;
	bool own_platform;
	uint16_t vmid;
	struct copro_gh_msgq *mq;
	struct copro_gh_bell *db;
	struct copro_gh_rm *rm;
	_Atomic unsigned exited, running;
	_Atomic uint16_t last_exited;
};

struct hyp_fix {
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_sim_hyp *hyp;
	struct hyp_side prim;
	struct hyp_side vm[HYP_FIX_VMS];
};

int hyp_fix_init(struct hyp_fix *f, bool threaded);
void hyp_fix_fini(struct hyp_fix *f);
/* Allocate, attach and start VM i; its side opens its own RM client. */
int hyp_fix_vm_up(struct hyp_fix *f, unsigned i);
/* Stop (if running) and deallocate VM i, then take its machine away. */
void hyp_fix_vm_down(struct hyp_fix *f, unsigned i);
/* The resource of `type` side s holds towards `partner`: 0 or -ENOENT. */
int hyp_fix_res(struct hyp_side *s, uint16_t partner,
		enum copro_gh_rsc_type type, struct copro_gh_resource *out);

#endif
