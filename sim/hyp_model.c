// SPDX-License-Identifier: MIT
/*
 * The Gunyah hypervisor model: VMs and their capability tables, the
 * hypercall dispatcher behind each VM's HVC conduit, virtual interrupt
 * lines, and the fault injection hooks. Message queues, doorbells and
 * the resource manager live beside it (hyp_msgq.c, hyp_bell.c,
 * hyp_rm.c); docs/hyp.md describes the whole.
 *
 * Capability lookups fail as Gunyah's cspace does: an id never issued is
 * CSPACE_CAP_NULL, an object that has gone is CSPACE_CAP_REVOKED, another
 * object's type is CSPACE_WRONG_OBJECT_TYPE, a missing right (sending on
 * a receive capability) is CSPACE_INSUF_RIGHTS.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/dt.h>
#include <copro/error.h>

#include "hyp_internal.h"

/* ---- tracing ----------------------------------------------------------- */

void hyp_tracef(struct copro_sim_hyp *h, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!h->trace)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->trace(h->trace_ctx, line);
}

void copro_sim_hyp_set_trace(struct copro_sim_hyp *h, copro_sim_hyp_trace_fn fn,
			     void *ctx)
{
	copro_mutex_lock(&h->lock);
	h->trace = fn;
	h->trace_ctx = ctx;
	copro_mutex_unlock(&h->lock);
}

void copro_sim_hyp_get_stats(struct copro_sim_hyp *h,
			     struct copro_sim_hyp_stats *out)
{
	copro_mutex_lock(&h->lock);
	*out = h->st;
	copro_mutex_unlock(&h->lock);
}

/* ---- virtual interrupts ---------------------------------------------- */

void hyp_virq_set(struct copro_sim_hyp *h, struct hyp_virq *v, bool level)
{
	if (v->rm) {
		if (level)
			copro_event_signal(&h->rm_ev);
		return;
	}
	if (!v->vm || v->pending == level)
		return;
	if (level && v->vm->lose_irqs) {
		/* Lost on the way: the latch never sets, the line stays low. */
		v->vm->lose_irqs--;
		h->st.virq_lost++;
		hyp_tracef(h, "vm %u: virq %u assertion lost (fault)",
			   v->vm->vmid, v->line);
		return;
	}
	v->pending = level;
	if (level)
		h->st.virq_asserted++;
	hyp_tracef(h, "vm %u: virq %u %s", v->vm->vmid, v->line,
		   level ? "asserted" : "deasserted");
	if (v->vm->port)
		copro_bus_irq_set(v->vm->port->bus, v->line, level);
}

static void line_mark(uint8_t *used, const struct hyp_virq *v,
		      const struct hyp_vm *vm)
{
	if (v->vm == vm && v->line < COPRO_BUS_IRQ_LINES)
		used[v->line / 8] |= (uint8_t)(1u << (v->line % 8));
}

/*
 * A run-time line of vm no object of it has, the next in turn after the
 * last one given: lines come back with the objects that had them (as the
 * RM's irq manager returns them), and one is given again only after all
 * the others, so that a driver still letting go of a line does not meet
 * it again at once.
 */
unsigned hyp_virq_alloc(struct copro_sim_hyp *h, struct hyp_vm *vm)
{
	const unsigned n = COPRO_BUS_IRQ_LINES - HYP_FIRST_VIRQ;
	uint8_t used[COPRO_BUS_IRQ_LINES / 8] = { 0 };

	for (struct hyp_obj *o = h->objs; o; o = o->next) {
		if (o->type == OBJ_MSGQ) {
			line_mark(used, &((struct hyp_msgq *)o)->tx_irq, vm);
			line_mark(used, &((struct hyp_msgq *)o)->rx_irq, vm);
		} else {
			line_mark(used, &((struct hyp_bell *)o)->irq, vm);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned l = HYP_FIRST_VIRQ + (vm->next_virq + i) % n;

		if (!(used[l / 8] & (1u << (l % 8)))) {
			vm->next_virq = (l - HYP_FIRST_VIRQ + 1) % n;
			return l;
		}
	}
	return HYP_NO_VIRQ;
}

/* ---- VMs and capabilities -------------------------------------------- */

struct hyp_vm *hyp_vm_find(struct copro_sim_hyp *h, uint16_t vmid)
{
	for (unsigned i = 0; i < HYP_MAX_VMS; i++)
		if (h->vms[i] && h->vms[i]->vmid == vmid)
			return h->vms[i];
	return NULL;
}

struct hyp_vm *hyp_vm_new(struct copro_sim_hyp *h, uint16_t vmid,
			  uint16_t owner)
{
	struct hyp_vm *vm;
	unsigned slot = HYP_MAX_VMS;

	for (unsigned i = 0; i < HYP_MAX_VMS; i++)
		if (!h->vms[i]) {
			slot = i;
			break;
		}
	if (slot == HYP_MAX_VMS || hyp_vm_find(h, vmid))
		return NULL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	vm->vmid = vmid;
	vm->owner = owner;
	vm->state = VM_ALLOCATED;
	/* Capability ids look like Gunyah's: opaque, never 0. */
	vm->next_cap = 0x100 + ((uint64_t)vmid << 12);
	h->vms[slot] = vm;
	h->st.vms_created++;
	return vm;
}

uint64_t hyp_cap_add(struct hyp_vm *vm, struct hyp_obj *obj, unsigned rights,
		     enum copro_gh_rsc_type rsc, uint16_t partner,
		     uint32_t virq)
{
	struct hyp_cap *c;

	if (vm->ncaps == vm->capcaps) {
		unsigned n = vm->capcaps ? vm->capcaps * 2 : 8;
		struct hyp_cap *v = realloc(vm->caps, n * sizeof(*v));

		if (!v)
			return 0;
		vm->caps = v;
		vm->capcaps = n;
	}
	c = &vm->caps[vm->ncaps++];
	memset(c, 0, sizeof(*c));
	c->id = vm->next_cap++;
	c->obj = obj;
	c->rights = rights;
	c->rsc = rsc;
	c->partner = partner;
	c->label = 0;
	c->virq = virq;
	return c->id;
}

static struct hyp_cap *cap_find(struct hyp_vm *vm, uint64_t id)
{
	for (unsigned i = 0; i < vm->ncaps; i++)
		if (vm->caps[i].id == id)
			return &vm->caps[i];
	return NULL;
}

/* Gunyah's cspace lookup: the object, or the error the hypervisor gives. */
static void *cap_lookup(struct hyp_vm *vm, uint64_t id,
			enum hyp_obj_type type, unsigned right, int64_t *err)
{
	struct hyp_cap *c = vm ? cap_find(vm, id) : NULL;

	if (!c)
		*err = COPRO_GH_CSPACE_CAP_NULL;
	else if (!c->obj)
		*err = COPRO_GH_CSPACE_CAP_REVOKED;
	else if (c->obj->type != type)
		*err = COPRO_GH_CSPACE_WRONG_OBJ_TYPE;
	else if (!(c->rights & right))
		*err = COPRO_GH_CSPACE_INSUF_RIGHTS;
	else
		*err = COPRO_GH_OK;
	return *err ? NULL : c->obj;
}

void hyp_obj_link(struct copro_sim_hyp *h, struct hyp_obj *o,
		  enum hyp_obj_type type, struct hyp_vm *owner)
{
	o->type = type;
	o->id = ++h->next_obj;
	o->owner = owner;
	o->next = h->objs;
	h->objs = o;
}

static void obj_free(struct hyp_obj *o)
{
	if (o->type == OBJ_MSGQ)
		hyp_msgq_free((struct hyp_msgq *)o);
	else
		free(o);
}

static void virqs_drop(struct copro_sim_hyp *h, struct hyp_obj *o)
{
	if (o->type == OBJ_MSGQ) {
		struct hyp_msgq *q = (struct hyp_msgq *)o;

		hyp_virq_set(h, &q->tx_irq, false);
		hyp_virq_set(h, &q->rx_irq, false);
	} else {
		hyp_virq_set(h, &((struct hyp_bell *)o)->irq, false);
	}
}

static unsigned peer_add(uint16_t *peers, unsigned n, uint16_t vmid)
{
	for (unsigned i = 0; i < n; i++)
		if (peers[i] == vmid)
			return n;
	if (n < HYP_MAX_VMS)
		peers[n++] = vmid;
	return n;
}

unsigned hyp_vm_teardown(struct copro_sim_hyp *h, struct hyp_vm *vm,
			 bool links_only, uint16_t *peers)
{
	unsigned npeers = 0;

	for (struct hyp_obj **pp = &h->objs; *pp;) {
		struct hyp_obj *o = *pp;
		bool mine = o->owner == vm || o->peer == vm;

		if (!mine || (links_only && !o->peer)) {
			pp = &o->next;
			continue;
		}
		if (o->peer && peers)
			npeers = peer_add(peers, npeers,
					  o->owner == vm ? o->peer->vmid
							 : o->owner->vmid);
		for (unsigned i = 0; i < HYP_MAX_VMS; i++) {
			struct hyp_vm *v = h->vms[i];

			for (unsigned c = 0; v && c < v->ncaps; c++)
				if (v->caps[c].obj == o)
					v->caps[c].obj = NULL;
		}
		virqs_drop(h, o);
		if (vm->to_rm == (struct hyp_msgq *)o)
			vm->to_rm = NULL;
		if (vm->from_rm == (struct hyp_msgq *)o)
			vm->from_rm = NULL;
		*pp = o->next;
		obj_free(o);
	}
	return npeers;
}

/* Links between VMs are owned by the newer VM; either going takes them. */
void hyp_vm_free(struct copro_sim_hyp *h, struct hyp_vm *vm)
{
	hyp_vm_teardown(h, vm, false, NULL);
	for (unsigned i = 0; i < HYP_MAX_VMS; i++)
		if (h->vms[i] == vm)
			h->vms[i] = NULL;
	if (vm->port) {
		/* Its machine still exists: the conduit goes at detach. */
		vm->port->dead = true;
		vm->port->next = h->ports_dead;
		h->ports_dead = vm->port;
	}
	hyp_rm_vm_gone(vm);
	free(vm->rx.buf);
	free(vm->caps);
	free(vm);
	h->st.vms_destroyed++;
}

/* ---- hypercalls --------------------------------------------------------- */

static int64_t call_msgq(struct copro_sim_hyp *h, struct hyp_vm *vm,
			 unsigned call, struct copro_smccc_regs *r)
{
	unsigned right = call == COPRO_GH_CALL_MSGQ_SEND ||
					 call == COPRO_GH_CALL_MSGQ_CONF_SEND
				 ? RIGHT_SEND
				 : RIGHT_RECV;
	int64_t e;
	struct hyp_msgq *q = cap_lookup(vm, r->x[1], OBJ_MSGQ, right, &e);
	bool flag = false;
	size_t size = 0;

	if (!q)
		return e;
	switch (call) {
	case COPRO_GH_CALL_MSGQ_SEND:
		/* Reserved flag bits must be zero (unknown=0 in the ABI). */
		if (r->x[4] & ~(uint64_t)COPRO_GH_MSGQ_SEND_PUSH)
			return COPRO_GH_ARG_INVAL;
		e = hyp_msgq_send(h, q, (const void *)(uintptr_t)r->x[3],
				  r->x[2], r->x[4] & COPRO_GH_MSGQ_SEND_PUSH,
				  &flag);
		r->x[1] = flag;
		break;
	case COPRO_GH_CALL_MSGQ_RECV:
		e = hyp_msgq_recv(h, q, (void *)(uintptr_t)r->x[2], r->x[3],
				  &size, &flag);
		r->x[1] = size;
		r->x[2] = flag;
		break;
	case COPRO_GH_CALL_MSGQ_FLUSH:
		hyp_msgq_flush(h, q);
		e = COPRO_GH_OK;
		break;
	case COPRO_GH_CALL_MSGQ_CONF_SEND:
		e = hyp_msgq_conf_send(h, q, r->x[2], r->x[3]);
		break;
	default:
		e = hyp_msgq_conf_recv(h, q, r->x[2], r->x[3]);
		break;
	}
	return e;
}

static int64_t call_bell(struct copro_sim_hyp *h, struct hyp_vm *vm,
			 unsigned call, struct copro_smccc_regs *r)
{
	unsigned right = call == COPRO_GH_CALL_BELL_SEND ? RIGHT_SEND
							 : RIGHT_RECV;
	int64_t e;
	struct hyp_bell *b = cap_lookup(vm, r->x[1], OBJ_BELL, right, &e);
	uint64_t old = 0;

	if (!b)
		return e;
	switch (call) {
	case COPRO_GH_CALL_BELL_SEND:
		e = hyp_bell_send(h, b, r->x[2], &old);
		r->x[1] = old;
		break;
	case COPRO_GH_CALL_BELL_RECV:
		e = hyp_bell_recv(h, b, r->x[2], &old);
		r->x[1] = old;
		break;
	case COPRO_GH_CALL_BELL_MASK:
		e = hyp_bell_mask(h, b, r->x[2], r->x[3]);
		break;
	default:
		e = hyp_bell_reset(h, b);
		break;
	}
	return e;
}

static int64_t dispatch(struct copro_sim_hyp *h, struct hyp_vm *vm,
			unsigned call, struct copro_smccc_regs *r)
{
	int64_t e;

	switch (call) {
	case COPRO_GH_CALL_IDENTIFY:
		r->x[0] = COPRO_GH_API_V1 | COPRO_GH_API_64BIT;
		r->x[1] = COPRO_GH_FLAGS0_DOORBELL | COPRO_GH_FLAGS0_MSGQUEUE;
		r->x[2] = 0;
		r->x[3] = 0;
		return COPRO_GH_OK;
	case COPRO_GH_CALL_MSGQ_SEND:
	case COPRO_GH_CALL_MSGQ_RECV:
	case COPRO_GH_CALL_MSGQ_FLUSH:
	case COPRO_GH_CALL_MSGQ_CONF_SEND:
	case COPRO_GH_CALL_MSGQ_CONF_RECV:
		return call_msgq(h, vm, call, r);
	case COPRO_GH_CALL_BELL_SEND:
	case COPRO_GH_CALL_BELL_RECV:
	case COPRO_GH_CALL_BELL_MASK:
	case COPRO_GH_CALL_BELL_RESET:
		return call_bell(h, vm, call, r);
	case COPRO_GH_CALL_MSGQ_CONFIGURE:
	case COPRO_GH_CALL_MSGQ_BIND_SEND:
	case COPRO_GH_CALL_MSGQ_BIND_RECV:
	case COPRO_GH_CALL_MSGQ_UNBIND_SEND:
	case COPRO_GH_CALL_MSGQ_UNBIND_RECV:
	case COPRO_GH_CALL_BELL_BIND:
	case COPRO_GH_CALL_BELL_UNBIND:
		/*
		 * The RM configures objects and binds their interrupts; the
		 * capabilities it hands to VMs lack those rights.
		 */
		(void)cap_lookup(vm, r->x[1],
				 call == COPRO_GH_CALL_BELL_BIND ||
						 call == COPRO_GH_CALL_BELL_UNBIND
					 ? OBJ_BELL
					 : OBJ_MSGQ,
				 0, &e);
		return e;
	}
	return COPRO_GH_UNIMPLEMENTED;
}

static const char *call_name(unsigned call)
{
	switch (call) {
	case COPRO_GH_CALL_IDENTIFY: return "identify";
	case COPRO_GH_CALL_MSGQ_SEND: return "msgq_send";
	case COPRO_GH_CALL_MSGQ_RECV: return "msgq_recv";
	case COPRO_GH_CALL_MSGQ_FLUSH: return "msgq_flush";
	case COPRO_GH_CALL_MSGQ_CONF_SEND: return "msgq_configure_send";
	case COPRO_GH_CALL_MSGQ_CONF_RECV: return "msgq_configure_recv";
	case COPRO_GH_CALL_MSGQ_CONFIGURE: return "msgq_configure";
	case COPRO_GH_CALL_BELL_SEND: return "bell_send";
	case COPRO_GH_CALL_BELL_RECV: return "bell_recv";
	case COPRO_GH_CALL_BELL_MASK: return "bell_mask";
	case COPRO_GH_CALL_BELL_RESET: return "bell_reset";
	}
	return "call";
}

static void hyp_fwcall(void *ctx, enum copro_conduit conduit,
		       const struct copro_smccc_regs *in,
		       struct copro_smccc_regs *out)
{
	struct hyp_port *port = ctx;
	struct copro_sim_hyp *h = port->h;
	uint32_t fn = (uint32_t)in->x[0];
	unsigned call = (fn & 0xffff) - 0x8000;
	struct hyp_vm *vm;
	int64_t e;

	(void)conduit;
	/* Fast SMC64 calls of the vendor hypervisor owner, 0x8000 + n. */
	if ((in->x[0] >> 32) || (fn & 0xffff0000u) != 0xc6000000u ||
	    (fn & 0xffff) < 0x8000 || call > 0x7fff) {
		out->x[0] = (uint64_t)COPRO_GH_UNIMPLEMENTED;
		return;
	}
	copro_mutex_lock(&h->lock);
	vm = port->dead ? NULL : hyp_vm_find(h, port->vmid);
	e = dispatch(h, vm, call, out);
	h->st.hypercalls++;
	if (call != COPRO_GH_CALL_IDENTIFY) {
		if (e)
			h->st.hypercall_errors++;
		out->x[0] = (uint64_t)e;
		hyp_tracef(h, "vm %u: hvc %s(cap 0x%" PRIx64 ") -> %s",
			   port->vmid, call_name(call), in->x[1],
			   copro_gh_error_name(e));
	}
	copro_mutex_unlock(&h->lock);
}

/* ---- machines ---------------------------------------------------------- */

/*
 * A VM's hypercall entry on its machine's bus. Caller holds no lock: the
 * bus holds its handler table while a call runs, and a call takes h->lock,
 * so the table is never changed under h->lock. Until the caller makes it
 * the VM's port, calls through it find the VM by id like any other.
 */
static int port_open(struct copro_sim_hyp *h, uint16_t vmid,
		     struct copro_bus *bus, struct hyp_port **out)
{
	struct hyp_port *port = calloc(1, sizeof(*port));
	int ret;

	if (!port)
		return -ENOMEM;
	port->h = h;
	port->vmid = vmid;
	port->bus = bus;
	ret = copro_bus_add_fwcall(bus, COPRO_CONDUIT_HVC, COPRO_GH_OWNER,
				   hyp_fwcall, port);
	if (ret < 0) {
		free(port);
		return ret;
	}
	*out = port;
	return 0;
}

/* Caller holds no lock: removing the handler waits for calls in flight. */
static void port_close(struct copro_sim_hyp *h, struct hyp_port *port)
{
	copro_bus_remove_fwcall(port->bus, COPRO_CONDUIT_HVC, COPRO_GH_OWNER);
	(void)h;
	free(port);
}

/* Every level the VM's lines have, set on its new machine. */
static void lines_replay(struct copro_sim_hyp *h, struct hyp_vm *vm)
{
	for (struct hyp_obj *o = h->objs; o; o = o->next) {
		struct hyp_virq *v[2] = { NULL, NULL };

		if (o->type == OBJ_MSGQ) {
			v[0] = &((struct hyp_msgq *)o)->tx_irq;
			v[1] = &((struct hyp_msgq *)o)->rx_irq;
		} else {
			v[0] = &((struct hyp_bell *)o)->irq;
		}
		for (unsigned i = 0; i < 2; i++)
			if (v[i] && v[i]->vm == vm && v[i]->pending)
				copro_bus_irq_set(vm->port->bus, v[i]->line,
						  true);
	}
}

int copro_sim_hyp_attach(struct copro_sim_hyp *h, uint16_t vmid,
			 struct copro_bus *bus,
			 struct copro_sim_hyp_rm_desc *out)
{
	struct hyp_port *port;
	struct hyp_vm *vm;
	int ret = port_open(h, vmid, bus, &port);

	if (ret < 0)
		goto out;
	copro_mutex_lock(&h->lock);
	vm = hyp_vm_find(h, vmid);
	if (!vm)
		ret = -ENOENT;
	else if (vm->port)
		ret = -EBUSY;
	if (!ret) {
		vm->port = port;
		lines_replay(h, vm);
		if (out)
			*out = vm->rm_desc;
		hyp_tracef(h, "vm %u: machine attached", vmid);
	}
	copro_mutex_unlock(&h->lock);
	if (ret < 0)
		port_close(h, port);
out:
	if (ret < 0)
		copro_dev_err(&h->ld, "cannot attach a machine to VM %u: %s",
			      vmid, copro_strerror(ret));
	return ret;
}

void copro_sim_hyp_detach(struct copro_sim_hyp *h, uint16_t vmid)
{
	struct hyp_vm *vm;
	struct hyp_port *port = NULL;

	copro_mutex_lock(&h->lock);
	vm = hyp_vm_find(h, vmid);
	if (vm && vm->port) {
		port = vm->port;
		vm->port = NULL;
	}
	/* A VM freed while attached left its port behind. */
	for (struct hyp_port **pp = &h->ports_dead; !port && *pp;
	     pp = &(*pp)->next) {
		if ((*pp)->vmid == vmid) {
			port = *pp;
			*pp = port->next;
			break;
		}
	}
	copro_mutex_unlock(&h->lock);
	if (port)
		port_close(h, port);
}

int copro_sim_hyp_set_link_queues(struct copro_sim_hyp *h, unsigned depth,
				  unsigned msg_size)
{
	if (!depth || !msg_size || depth >= COPRO_GH_MSGQ_MAX_DEPTH ||
	    msg_size >= COPRO_GH_MSGQ_MAX_MSG_SIZE) {
		copro_dev_err(&h->ld,
			      "link queues of depth %u and message size %u:"
			      " the hypervisor takes depth 1..255, size 1..1023",
			      depth, msg_size);
		return -EINVAL;
	}
	copro_mutex_lock(&h->lock);
	h->link_depth = depth;
	h->link_size = msg_size;
	copro_mutex_unlock(&h->lock);
	return 0;
}

/* ---- faults -------------------------------------------------------------- */

/* The queue behind `capid` in `vmid`'s table, or NULL (h->lock held). */
static struct hyp_msgq *msgq_find_locked(struct copro_sim_hyp *h,
					 uint16_t vmid, uint64_t capid)
{
	struct hyp_vm *vm = hyp_vm_find(h, vmid);
	struct hyp_cap *c = vm ? cap_find(vm, capid) : NULL;

	if (!c || !c->obj || c->obj->type != OBJ_MSGQ)
		return NULL;
	return (struct hyp_msgq *)c->obj;
}

int copro_sim_hyp_msgq_stall(struct copro_sim_hyp *h, uint16_t vmid,
			     uint64_t capid, bool stall)
{
	struct hyp_msgq *q;
	int ret = 0;

	copro_mutex_lock(&h->lock);
	q = msgq_find_locked(h, vmid, capid);
	if (!q) {
		ret = -ENOENT;
	} else {
		if (stall) {
			q->stalled = true;
			hyp_virq_set(h, &q->rx_irq, false);
		} else {
			hyp_msgq_unstall(h, q);
		}
		hyp_tracef(h, "vm %u: queue cap 0x%" PRIx64 " %s (fault)", vmid,
			   capid, stall ? "stalled" : "released");
	}
	copro_mutex_unlock(&h->lock);
	return ret;
}

/* An error a hypervisor answers, and a receive may fail with. */
static bool gh_failure(int64_t err)
{
	switch (err) {
	case COPRO_GH_UNIMPLEMENTED:
	case COPRO_GH_RETRY:
	case COPRO_GH_ARG_INVAL:
	case COPRO_GH_ARG_SIZE:
	case COPRO_GH_ARG_ALIGN:
	case COPRO_GH_NOMEM:
	case COPRO_GH_ADDR_OVFL:
	case COPRO_GH_ADDR_UNFL:
	case COPRO_GH_ADDR_INVAL:
	case COPRO_GH_DENIED:
	case COPRO_GH_BUSY:
	case COPRO_GH_IDLE:
	case COPRO_GH_IRQ_BOUND:
	case COPRO_GH_IRQ_UNBOUND:
	case COPRO_GH_CSPACE_CAP_NULL:
	case COPRO_GH_CSPACE_CAP_REVOKED:
	case COPRO_GH_CSPACE_WRONG_OBJ_TYPE:
	case COPRO_GH_CSPACE_INSUF_RIGHTS:
	case COPRO_GH_CSPACE_FULL:
	case COPRO_GH_MSGQUEUE_FULL:
		return true;
	}
	return false;
}

int copro_sim_hyp_msgq_fail_recv(struct copro_sim_hyp *h, uint16_t vmid,
				 uint64_t capid, int64_t err, unsigned n)
{
	struct hyp_msgq *q;
	int ret = 0;

	/* Not OK, not EMPTY, not copro's own BAD_RESULT, not any number. */
	if (!gh_failure(err))
		return -EINVAL;
	copro_mutex_lock(&h->lock);
	q = msgq_find_locked(h, vmid, capid);
	if (!q) {
		ret = -ENOENT;
	} else {
		q->fail_err = err;
		q->fail_n = n;
		hyp_tracef(h, "vm %u: queue cap 0x%" PRIx64 ": next %u"
			   " receive(s) fail with %s (fault)", vmid, capid, n,
			   copro_gh_error_name(err));
	}
	copro_mutex_unlock(&h->lock);
	return ret;
}

void copro_sim_hyp_lose_irqs(struct copro_sim_hyp *h, uint16_t vmid,
			     unsigned n)
{
	struct hyp_vm *vm;

	copro_mutex_lock(&h->lock);
	vm = hyp_vm_find(h, vmid);
	if (vm)
		vm->lose_irqs = n;
	copro_mutex_unlock(&h->lock);
}

int copro_sim_hyp_vm_crash(struct copro_sim_hyp *h, uint16_t vmid)
{
	struct hyp_vm *vm;
	int ret = 0;

	copro_mutex_lock(&h->lock);
	vm = hyp_vm_find(h, vmid);
	if (!vm || vm->state != VM_RUNNING ||
	    vmid == COPRO_SIM_HYP_PRIMARY_VMID) {
		ret = -ENOENT;
	} else {
		hyp_tracef(h, "vm %u: crashed (fault)", vmid);
		hyp_rm_vm_exit(h, vm, 2 /* crash */);
	}
	copro_mutex_unlock(&h->lock);
	return ret;
}

/* ---- creation ------------------------------------------------------------ */

static int primary_rm_desc(struct copro_sim_hyp *h, int node,
			   struct copro_sim_hyp_rm_desc *d)
{
	const struct copro_dt *dt = copro_bus_dt(h->bus);
	int rm = copro_dt_next_compatible(dt, node, COPRO_SIM_HYP_RM_COMPATIBLE);
	uint64_t base;
	char path[256];
	int ret;

	if (rm < 0) {
		copro_dev_err(&h->ld, "%s: %s has no \"%s\" child",
			      copro_dt_name(dt),
			      copro_dt_node_path(dt, node, path, sizeof(path)),
			      COPRO_SIM_HYP_RM_COMPATIBLE);
		return -ENODEV;
	}
	ret = copro_dt_reg_raw(dt, rm, 0, &base);
	if (!ret)
		d->tx_capid = base;
	if (!ret)
		ret = copro_dt_reg_raw(dt, rm, 1, &base);
	if (!ret)
		d->rx_capid = base;
	if (!ret)
		ret = copro_dt_irq(dt, rm, 0, &d->tx_virq);
	if (!ret)
		ret = copro_dt_irq(dt, rm, 1, &d->rx_virq);
	if (ret < 0)
		copro_dev_err(&h->ld,
			      "%s: %s: needs reg = <TX cap>, <RX cap> and two"
			      " interrupts: %s",
			      copro_dt_name(dt),
			      copro_dt_node_path(dt, rm, path, sizeof(path)),
			      copro_strerror(ret));
	return ret;
}

int copro_sim_hyp_create(struct copro_bus *bus, int node,
			 struct copro_sim_hyp **out)
{
	struct copro_sim_hyp *h;
	struct copro_sim_hyp_rm_desc d;
	struct hyp_port *port;
	struct hyp_vm *vm;
	int ret;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->bus = bus;
	h->link_depth = HYP_LINK_DEPTH;
	h->link_size = HYP_LINK_MSG_SIZE;
	copro_logdev_init(&h->ld, copro_bus_log(bus), "gunyah");
	copro_event_init(&h->rm_ev);
	ret = copro_mutex_init(&h->lock);
	if (ret < 0) {
		free(h);
		return ret;
	}
	ret = primary_rm_desc(h, node, &d);
	if (ret < 0)
		goto err;

	ret = port_open(h, COPRO_SIM_HYP_PRIMARY_VMID, bus, &port);
	if (ret < 0)
		goto err;
	copro_mutex_lock(&h->lock);
	vm = hyp_vm_new(h, COPRO_SIM_HYP_PRIMARY_VMID, COPRO_SIM_HYP_RM_VMID);
	if (!vm) {
		ret = -ENOMEM;
	} else {
		vm->state = VM_RUNNING;
		vm->rm_desc = d;
		ret = hyp_rm_queues(h, vm);
		if (!ret)
			vm->port = port;
	}
	copro_mutex_unlock(&h->lock);
	if (ret < 0) {
		port_close(h, port);
		goto err_vms;
	}
	ret = hyp_rm_start(h);
	if (ret < 0)
		goto err_port;
	*out = h;
	return 0;

err_port:
	port_close(h, vm->port);
	vm->port = NULL;
err_vms:
	for (unsigned i = 0; i < HYP_MAX_VMS; i++)
		if (h->vms[i])
			hyp_vm_free(h, h->vms[i]);
err:
	copro_mutex_destroy(&h->lock);
	free(h);
	return ret;
}

void copro_sim_hyp_destroy(struct copro_sim_hyp *h)
{
	if (!h)
		return;
	hyp_rm_stop(h);
	for (unsigned i = 0; i < HYP_MAX_VMS; i++) {
		struct hyp_vm *vm = h->vms[i];

		if (!vm)
			continue;
		if (vm->port) {
			if (vm->vmid != COPRO_SIM_HYP_PRIMARY_VMID)
				copro_dev_warn(&h->ld,
					       "VM %u still has a machine"
					       " attached at destroy",
					       vm->vmid);
			port_close(h, vm->port);
			vm->port = NULL;
		}
	}
	copro_mutex_lock(&h->lock);
	for (unsigned i = 0; i < HYP_MAX_VMS; i++)
		if (h->vms[i])
			hyp_vm_free(h, h->vms[i]);
	copro_mutex_unlock(&h->lock);
	while (h->ports_dead) {
		struct hyp_port *port = h->ports_dead;

		h->ports_dead = port->next;
		copro_dev_warn(&h->ld,
			       "VM %u's machine was never detached", port->vmid);
		port_close(h, port);
	}
	copro_mutex_destroy(&h->lock);
	free(h);
}
