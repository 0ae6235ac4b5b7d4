/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor model's state. One lock (h->lock) covers all of it:
 * hypercalls are short, and one lock makes capability revocation (a VM
 * going away while others call) trivially consistent. Interrupt lines are
 * driven under it (copro_bus_irq_set never blocks); nothing else that
 * can block is called with it held.
 */
#ifndef COPRO_SIM_HYP_INTERNAL_H
#define COPRO_SIM_HYP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/gunyah.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/sim/bus.h>
#include <copro/sim/hyp.h>

#define HYP_MAX_VMS 16
#define HYP_RM_DEPTH 8
#define HYP_RM_BACKLOG 32 /* messages the RM keeps waiting for one VM */
#define HYP_FIRST_VIRQ 64 /* run-time virqs of a VM start here */
#define HYP_NO_VIRQ COPRO_BUS_IRQ_LINES /* every line of the VM taken */
#define HYP_LINK_DEPTH 16
#define HYP_LINK_MSG_SIZE 240

enum hyp_obj_type { OBJ_MSGQ = 1, OBJ_BELL = 2 };

/* Capability rights, as Gunyah's cap_rights_msgqueue / doorbell. */
enum {
	RIGHT_SEND = 1u << 0,
	RIGHT_RECV = 1u << 1,
};

struct hyp_vm;

/* Where an object's interrupt goes: a VM's line, or the RM's thread. */
struct hyp_virq {
	struct hyp_vm *vm; /* NULL: unbound */
	unsigned line;
	bool rm;       /* the RM's own queue: wake its thread instead */
	bool pending;  /* the latch: the line's level */
};

struct hyp_obj {
	enum hyp_obj_type type;
	uint64_t id; /* for the trace */
	struct hyp_obj *next;
	struct hyp_vm *owner; /* destroyed with this VM */
	struct hyp_vm *peer;  /* links: destroyed with this one too */
};

struct hyp_msgq {
	struct hyp_obj o;
	uint32_t depth, max_size;
	uint32_t count, head;
	uint8_t *buf;	/* depth slots of max_size */
	uint32_t *len;
	uint32_t notfull_thd, notempty_thd;
	struct hyp_virq tx_irq; /* not full, on the sender's side */
	struct hyp_virq rx_irq; /* not empty, on the receiver's side */
	bool stalled;
	int64_t fail_err; /* fault: receive answers this ... */
	unsigned fail_n;  /* ... this many times while a message waits */
};

struct hyp_bell {
	struct hyp_obj o;
	uint64_t flags, enable, ack;
	struct hyp_virq irq; /* on the receiver's side */
};

struct hyp_cap {
	uint64_t id;
	struct hyp_obj *obj; /* NULL once revoked */
	unsigned rights;
	/* What GET_HYP_RESOURCES says about it. */
	enum copro_gh_rsc_type rsc;
	uint16_t partner;
	uint32_t label;
	uint32_t virq; /* COPRO_GH_VIRQ_NONE */
};

enum hyp_vm_state { VM_ALLOCATED, VM_RUNNING, VM_EXITED };

/* A VM's HVC conduit: freed only after the handler is removed. */
struct hyp_port {
	struct copro_sim_hyp *h;
	uint16_t vmid;
	struct copro_bus *bus;
	/* Its VM is gone: calls reach no VM, not even a new one of its id. */
	bool dead;
	struct hyp_port *next; /* on ports_dead */
};

/* The RM's reassembly of one VM's fragmented request. */
struct rm_rx {
	uint8_t *buf;
	size_t len;
	unsigned frags_left;
	uint32_t msg_id;
	uint16_t seq;
	bool active;
};

/*
 * A reply or notification for a VM whose queue from the RM had no room:
 * sent fragment by fragment as the VM reads.
 */
struct rm_out {
	struct rm_out *next;
	enum copro_rm_type type;
	uint16_t seq;
	uint32_t msg_id, err;
	unsigned conts, next_frag;
	size_t len, off;
	uint8_t payload[];
};

struct rm_notif {
	struct rm_notif *next;
	uint16_t to;
	uint32_t msg_id;
	uint8_t payload[8];
};

struct hyp_vm {
	uint16_t vmid;
	uint16_t owner;
	enum hyp_vm_state state;
	struct hyp_port *port; /* NULL: no machine attached */
	struct hyp_cap *caps;
	unsigned ncaps, capcaps;
	uint64_t next_cap;
	unsigned next_virq; /* where hyp_virq_alloc looks first */
	unsigned lose_irqs; /* fault: assertions still to lose */
	/* The RM queue pair: to_rm (VM sends), from_rm (VM receives). */
	struct hyp_msgq *to_rm, *from_rm;
	struct copro_sim_hyp_rm_desc rm_desc;
	struct rm_rx rx;
	struct rm_out *out; /* the RM's messages waiting for room */
	unsigned nout;
};

struct copro_sim_hyp {
	struct copro_bus *bus; /* the primary VM's machine */
	struct copro_logdev ld;
	struct copro_mutex lock;
	struct hyp_vm *vms[HYP_MAX_VMS];
	struct hyp_obj *objs;
	uint64_t next_obj;
	unsigned link_depth, link_size;

	/* The RM's CPU. */
	struct copro_thread rm_thread;
	struct copro_event rm_ev;
	bool rm_stop;

	/* Notifications the RM's thread still has to send. */
	struct rm_notif *notifs;

	copro_sim_hyp_trace_fn trace;
	void *trace_ctx;
	struct copro_sim_hyp_stats st;
	/* Ports of VMs that were freed while attached: detach closes them. */
	struct hyp_port *ports_dead;
};

/* hyp_model.c */
struct hyp_vm *hyp_vm_find(struct copro_sim_hyp *h, uint16_t vmid);
void hyp_tracef(struct copro_sim_hyp *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sets or clears a virq latch, driving the line (lock held). */
void hyp_virq_set(struct copro_sim_hyp *h, struct hyp_virq *v, bool level);
uint64_t hyp_cap_add(struct hyp_vm *vm, struct hyp_obj *obj, unsigned rights,
		     enum copro_gh_rsc_type rsc, uint16_t partner,
		     uint32_t virq);
/* A free run-time line of vm, or HYP_NO_VIRQ (lock held). */
unsigned hyp_virq_alloc(struct copro_sim_hyp *h, struct hyp_vm *vm);
struct hyp_vm *hyp_vm_new(struct copro_sim_hyp *h, uint16_t vmid,
			  uint16_t owner);
/*
 * Objects of vm go (links only, or everything); caps to them everywhere
 * are revoked. Fills peers[] (HYP_MAX_VMS) with the VMs it had links to.
 */
unsigned hyp_vm_teardown(struct copro_sim_hyp *h, struct hyp_vm *vm,
			 bool links_only, uint16_t *peers);
void hyp_vm_free(struct copro_sim_hyp *h, struct hyp_vm *vm);
void hyp_obj_link(struct copro_sim_hyp *h, struct hyp_obj *o,
		  enum hyp_obj_type type, struct hyp_vm *owner);

/* hyp_msgq.c */
struct hyp_msgq *hyp_msgq_new(uint32_t depth, uint32_t max_size, int64_t *err);
void hyp_msgq_free(struct hyp_msgq *q);
int64_t hyp_msgq_send(struct copro_sim_hyp *h, struct hyp_msgq *q,
		      const void *msg, size_t size, bool push, bool *not_full);
int64_t hyp_msgq_recv(struct copro_sim_hyp *h, struct hyp_msgq *q, void *buf,
		      size_t max, size_t *size, bool *not_empty);
void hyp_msgq_flush(struct copro_sim_hyp *h, struct hyp_msgq *q);
int64_t hyp_msgq_conf_send(struct copro_sim_hyp *h, struct hyp_msgq *q,
			   uint64_t thd, uint64_t delay);
int64_t hyp_msgq_conf_recv(struct copro_sim_hyp *h, struct hyp_msgq *q,
			   uint64_t thd, uint64_t delay);
/* Releases a stall: re-evaluates the receive interrupt. */
void hyp_msgq_unstall(struct copro_sim_hyp *h, struct hyp_msgq *q);

/* hyp_bell.c */
struct hyp_bell *hyp_bell_new(void);
int64_t hyp_bell_send(struct copro_sim_hyp *h, struct hyp_bell *b,
		      uint64_t flags, uint64_t *old);
int64_t hyp_bell_recv(struct copro_sim_hyp *h, struct hyp_bell *b,
		      uint64_t clear, uint64_t *old);
int64_t hyp_bell_mask(struct copro_sim_hyp *h, struct hyp_bell *b,
		      uint64_t enable, uint64_t ack);
int64_t hyp_bell_reset(struct copro_sim_hyp *h, struct hyp_bell *b);

/* hyp_rm.c */
int hyp_rm_start(struct copro_sim_hyp *h);
void hyp_rm_stop(struct copro_sim_hyp *h);
/* A VM stops or crashes (lock held): links go, peers are told. */
void hyp_rm_vm_exit(struct copro_sim_hyp *h, struct hyp_vm *vm,
		    uint32_t exit_type);
/* An RM queue pair for a new VM (lock held). */
int hyp_rm_queues(struct copro_sim_hyp *h, struct hyp_vm *vm);
/* The VM goes: what the RM had waiting for it too (lock held). */
void hyp_rm_vm_gone(struct hyp_vm *vm);

#endif
