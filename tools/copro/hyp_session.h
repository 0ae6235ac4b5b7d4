/* SPDX-License-Identifier: MIT */
/*
 * A Gunyah session for the command line: the "gunyah" board (the primary
 * VM and the hypervisor model) and VMs the primary creates at run time
 * through the resource manager, each a machine of its own with its
 * message-queue and doorbell controllers and RM client.
 */
#ifndef COPRO_HYP_SESSION_H
#define COPRO_HYP_SESSION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/gunyah.h>
#include <copro/gunyah_msgq.h>
#include <copro/gunyah_rm.h>
#include <copro/log.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>
#include <copro/sim/hyp.h>

struct hyp_vm_side {
	const char *name;
	struct copro_bus *bus; /* the VM's machine */
	struct copro_platform *p;
	bool own_platform;
	uint16_t vmid;
	struct copro_gh_msgq *mq;
	struct copro_gh_bell *db;
	struct copro_gh_rm *rm;
	/* Set from the RM's notifications (receive worker). */
	_Atomic unsigned exited;
	_Atomic uint16_t last_exited;
	void (*on_notify)(struct hyp_vm_side *s, uint32_t msg_id,
			  const uint8_t *payload, size_t len);
	void *ctx;
};

struct hyp_session {
	struct copro_board *b;
	struct copro_sim_hyp *hyp;
	struct copro_log *log;
	struct hyp_vm_side prim;
};

int hyp_session_open(struct hyp_session *s, struct copro_log *log);
void hyp_session_close(struct hyp_session *s);
/* Allocate a VM, give it a machine and open its side; then start it. */
int hyp_session_vm_create(struct hyp_session *s, struct hyp_vm_side *vm,
			  const char *name);
int hyp_session_vm_start(struct hyp_session *s, struct hyp_vm_side *vm);
/* Close its side, stop (if running) and deallocate it, free its machine. */
void hyp_session_vm_destroy(struct hyp_session *s, struct hyp_vm_side *vm);
/* The resource of `type` `side` holds towards `partner`. */
int hyp_session_res(struct hyp_vm_side *side, uint16_t partner,
		    enum copro_gh_rsc_type type, struct copro_gh_resource *out);

#endif
