// SPDX-License-Identifier: MIT
/*
 * The resource manager VM. Its CPU is a thread: it drains every VM's
 * queue towards it, reassembles requests (an 8-byte header, then up to 62
 * continuation fragments), runs them and answers with fragmented replies
 * (a 12-byte header on the first fragment) or sends notifications.
 *
 * The VM lifecycle it offers (the subset of Gunyah's RM RPC copro uses):
 *   VM_ALLOC_VMID   a new VM owned by the caller (the primary: no other
 *                   VM may), with its RM queue pair
 *   VM_START        the VM runs; the RM links it to its owner and to every
 *                   other running VM of that owner: a message queue each
 *                   way and a doorbell each way
 *   VM_STOP         links go (capabilities revoked), owner and peers get
 *                   VM_EXITED and VM_STATUS notifications
 *   VM_DEALLOC_VMID the VM and its capability table go
 *   VM_GET_HYP_RESOURCES  the caller's capabilities towards a VM (all of
 *                   them when it names itself)
 *   VM_GET_VMID     the caller's own id
 * Requests from a VM the RM cannot parse are dropped and counted, as a
 * real RM ignores malformed messages. What the RM sends a VM waits in that
 * VM's backlog while its queue is full, and goes as the VM makes room (its
 * not-full interrupt wakes the RM): a VM that never reads its replies holds
 * up only its own, and past HYP_RM_BACKLOG waiting messages the RM drops
 * the oldest, as Gunyah's RM drops what a VM leaves unread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/le.h>

#include "hyp_internal.h"

#define RM_IDLE_WAIT_NS (100 * COPRO_NSEC_PER_MSEC)
#define RM_FIRST_VMID 0x45
#define RM_FIRST_REPLY (COPRO_RM_MSGQ_SIZE - COPRO_RM_REPLY_HDR_SIZE)

/* ---- queues ------------------------------------------------------------ */

int hyp_rm_queues(struct copro_sim_hyp *h, struct hyp_vm *vm)
{
	struct copro_sim_hyp_rm_desc *d = &vm->rm_desc;
	bool fixed = d->tx_capid != 0; /* the primary's come from its DT */
	int64_t e;
	uint64_t cap;

	vm->to_rm = hyp_msgq_new(HYP_RM_DEPTH, COPRO_RM_MSGQ_SIZE, &e);
	vm->from_rm = hyp_msgq_new(HYP_RM_DEPTH, COPRO_RM_MSGQ_SIZE, &e);
	if (!vm->to_rm || !vm->from_rm) {
		hyp_msgq_free(vm->to_rm);
		hyp_msgq_free(vm->from_rm);
		vm->to_rm = vm->from_rm = NULL;
		return -ENOMEM;
	}
	hyp_obj_link(h, &vm->to_rm->o, OBJ_MSGQ, vm);
	hyp_obj_link(h, &vm->from_rm->o, OBJ_MSGQ, vm);
	/* Each line taken before the next is chosen. */
	if (!fixed)
		d->tx_virq = hyp_virq_alloc(h, vm);
	vm->to_rm->tx_irq = (struct hyp_virq){ .vm = vm, .line = d->tx_virq };
	vm->to_rm->rx_irq = (struct hyp_virq){ .rm = true };
	if (!fixed)
		d->rx_virq = hyp_virq_alloc(h, vm);
	vm->from_rm->rx_irq = (struct hyp_virq){ .vm = vm, .line = d->rx_virq };
	vm->from_rm->tx_irq = (struct hyp_virq){ .rm = true };

	cap = hyp_cap_add(vm, &vm->to_rm->o, RIGHT_SEND, COPRO_GH_RSC_MSGQ_TX,
			  COPRO_SIM_HYP_RM_VMID, d->tx_virq);
	if (!cap)
		return -ENOMEM;
	if (fixed)
		vm->caps[vm->ncaps - 1].id = d->tx_capid;
	else
		d->tx_capid = cap;
	cap = hyp_cap_add(vm, &vm->from_rm->o, RIGHT_RECV,
			  COPRO_GH_RSC_MSGQ_RX, COPRO_SIM_HYP_RM_VMID,
			  d->rx_virq);
	if (!cap)
		return -ENOMEM;
	if (fixed)
		vm->caps[vm->ncaps - 1].id = d->rx_capid;
	else
		d->rx_capid = cap;
	return 0;
}

/* Sends what fits of vm's waiting messages: true if anything went. */
static bool rm_flush(struct copro_sim_hyp *h, struct hyp_vm *vm)
{
	bool sent = false;

	while (vm->out && vm->from_rm) {
		struct rm_out *o = vm->out;
		unsigned i = o->next_frag;
		size_t h_len = i || o->type != COPRO_RM_REPLY
				       ? COPRO_RM_HDR_SIZE
				       : COPRO_RM_REPLY_HDR_SIZE;
		size_t n = o->len - o->off < COPRO_RM_MSGQ_SIZE - h_len
				   ? o->len - o->off
				   : COPRO_RM_MSGQ_SIZE - h_len;
		uint8_t msg[COPRO_RM_MSGQ_SIZE];
		bool not_full;
		int64_t e;

		msg[0] = COPRO_RM_API;
		msg[1] = (uint8_t)((i ? COPRO_RM_CONTINUATION : o->type) |
				   o->conts << COPRO_RM_FRAGS_SHIFT);
		copro_put_le16(msg + 2, o->seq);
		copro_put_le32(msg + 4, o->msg_id);
		if (h_len == COPRO_RM_REPLY_HDR_SIZE)
			copro_put_le32(msg + 8, o->err);
		if (n)
			memcpy(msg + h_len, o->payload + o->off, n);
		e = hyp_msgq_send(h, vm->from_rm, msg, h_len + n,
				  i == o->conts, &not_full);
		/* Full: the queue's not-full interrupt wakes the RM. */
		if (e == COPRO_GH_MSGQUEUE_FULL)
			break;
		sent = true;
		if (e) {
			h->st.rm_dropped++;
			hyp_tracef(h, "rm: message to vm %u dropped (%s)",
				   vm->vmid, copro_gh_error_name(e));
		} else {
			o->off += n;
			if (++o->next_frag <= o->conts)
				continue;
		}
		vm->out = o->next;
		vm->nout--;
		free(o);
	}
	return sent;
}

/*
 * The VM has left HYP_RM_BACKLOG messages unread: the oldest not begun
 * goes, as Gunyah's RM drops a pending reply for a newer one and the
 * oldest pending notification, so the answer to the VM's latest call is
 * there when it reads again.
 */
static void rm_drop_oldest(struct copro_sim_hyp *h, struct hyp_vm *vm)
{
	struct rm_out **pp = &vm->out, *o;

	if ((*pp)->next_frag)
		pp = &(*pp)->next; /* begun: the VM has part of it */
	o = *pp;
	*pp = o->next;
	vm->nout--;
	h->st.rm_dropped++;
	hyp_tracef(h, "rm: message 0x%08" PRIx32 " to vm %u dropped (%u more"
		   " wait for it to read its queue)", o->msg_id, vm->vmid,
		   vm->nout);
	free(o);
}

void hyp_rm_vm_gone(struct hyp_vm *vm)
{
	while (vm->out) {
		struct rm_out *o = vm->out;

		vm->out = o->next;
		free(o);
	}
	vm->nout = 0;
}

/*
 * A reply or notification, fragmented as the RPC requires, behind what
 * the VM already has waiting; as much goes at once as its queue takes.
 */
static void rm_send(struct copro_sim_hyp *h, uint16_t vmid,
		    enum copro_rm_type type, uint16_t seq, uint32_t msg_id,
		    uint32_t err, const uint8_t *payload, size_t len)
{
	size_t first = COPRO_RM_MSGQ_SIZE - (type == COPRO_RM_REPLY
						     ? COPRO_RM_REPLY_HDR_SIZE
						     : COPRO_RM_HDR_SIZE);
	struct hyp_vm *vm = hyp_vm_find(h, vmid);
	struct rm_out *o, **pp;

	if (type == COPRO_RM_REPLY)
		h->st.rm_replies++;
	else
		h->st.rm_notifications++;
	if (!vm || !vm->from_rm) {
		h->st.rm_dropped++;
		return;
	}
	if (vm->nout >= HYP_RM_BACKLOG)
		rm_drop_oldest(h, vm);
	o = malloc(sizeof(*o) + len);
	if (!o) {
		h->st.rm_dropped++;
		return;
	}
	*o = (struct rm_out){
		.type = type, .seq = seq, .msg_id = msg_id, .err = err,
		.len = len,
		.conts = len > first ? (unsigned)((len - first +
						   COPRO_RM_FRAG_PAYLOAD - 1) /
						  COPRO_RM_FRAG_PAYLOAD)
				     : 0,
	};
	if (len)
		memcpy(o->payload, payload, len);
	for (pp = &vm->out; *pp; pp = &(*pp)->next)
		;
	*pp = o;
	vm->nout++;
	rm_flush(h, vm);
}

/* ---- VM lifecycle ---------------------------------------------------------- */

static void notif_queue(struct copro_sim_hyp *h, uint16_t to, uint32_t msg_id,
			const uint8_t payload[8])
{
	struct rm_notif *n = calloc(1, sizeof(*n)), **pp;

	if (!n) {
		h->st.rm_dropped++;
		return;
	}
	n->to = to;
	n->msg_id = msg_id;
	memcpy(n->payload, payload, 8);
	for (pp = &h->notifs; *pp; pp = &(*pp)->next)
		;
	*pp = n;
	copro_event_signal(&h->rm_ev);
}

static void status_notif(struct copro_sim_hyp *h, uint16_t to, uint16_t vmid,
			 uint8_t status)
{
	uint8_t p[8] = { 0 };

	copro_put_le16(p, vmid);
	p[4] = status;
	notif_queue(h, to, COPRO_RM_NOTIF_VM_STATUS, p);
}

void hyp_rm_vm_exit(struct copro_sim_hyp *h, struct hyp_vm *vm,
		    uint32_t exit_type)
{
	uint16_t peers[HYP_MAX_VMS];
	unsigned n = hyp_vm_teardown(h, vm, true, peers);
	uint8_t p[8] = { 0 };

	vm->state = VM_EXITED;
	copro_put_le16(p, vm->vmid);
	copro_put_le32(p + 4, exit_type);
	notif_queue(h, vm->owner, COPRO_RM_NOTIF_VM_EXITED, p);
	status_notif(h, vm->owner, vm->vmid, COPRO_RM_VM_EXITED);
	for (unsigned i = 0; i < n; i++)
		if (peers[i] != vm->owner)
			notif_queue(h, peers[i], COPRO_RM_NOTIF_VM_EXITED, p);
	hyp_tracef(h, "rm: vm %u exited (type %" PRIu32 "), %u peer(s) told",
		   vm->vmid, exit_type, n);
}

static uint32_t link_queue(struct copro_sim_hyp *h, struct hyp_vm *from,
			   struct hyp_vm *to, struct hyp_vm *owner)
{
	int64_t e;
	struct hyp_msgq *q = hyp_msgq_new(h->link_depth, h->link_size, &e);
	unsigned vtx, vrx;

	if (!q)
		return COPRO_RM_NOMEM;
	hyp_obj_link(h, &q->o, OBJ_MSGQ, owner);
	q->o.peer = owner == from ? to : from;
	vtx = hyp_virq_alloc(h, from);
	vrx = hyp_virq_alloc(h, to);
	if (vtx == HYP_NO_VIRQ || vrx == HYP_NO_VIRQ)
		return COPRO_RM_NORESOURCE;
	q->tx_irq = (struct hyp_virq){ .vm = from, .line = vtx };
	q->rx_irq = (struct hyp_virq){ .vm = to, .line = vrx };
	if (!hyp_cap_add(from, &q->o, RIGHT_SEND, COPRO_GH_RSC_MSGQ_TX,
			 to->vmid, vtx) ||
	    !hyp_cap_add(to, &q->o, RIGHT_RECV, COPRO_GH_RSC_MSGQ_RX,
			 from->vmid, vrx))
		return COPRO_RM_NOMEM;
	return COPRO_RM_OK;
}

static uint32_t link_bell(struct copro_sim_hyp *h, struct hyp_vm *from,
			  struct hyp_vm *to, struct hyp_vm *owner)
{
	struct hyp_bell *b = hyp_bell_new();
	unsigned v;

	if (!b)
		return COPRO_RM_NOMEM;
	hyp_obj_link(h, &b->o, OBJ_BELL, owner);
	b->o.peer = owner == from ? to : from;
	v = hyp_virq_alloc(h, to);
	if (v == HYP_NO_VIRQ)
		return COPRO_RM_NORESOURCE;
	b->irq = (struct hyp_virq){ .vm = to, .line = v };
	if (!hyp_cap_add(from, &b->o, RIGHT_SEND, COPRO_GH_RSC_BELL_TX,
			 to->vmid, COPRO_GH_VIRQ_NONE) ||
	    !hyp_cap_add(to, &b->o, RIGHT_RECV, COPRO_GH_RSC_BELL_RX,
			 from->vmid, v))
		return COPRO_RM_NOMEM;
	return COPRO_RM_OK;
}

static uint32_t link(struct copro_sim_hyp *h, struct hyp_vm *x,
		     struct hyp_vm *y)
{
	uint32_t e = link_queue(h, x, y, x);

	if (!e)
		e = link_queue(h, y, x, x);
	if (!e)
		e = link_bell(h, x, y, x);
	if (!e)
		e = link_bell(h, y, x, x);
	return e;
}

/* ---- requests ------------------------------------------------------------ */

struct rm_req {
	struct hyp_vm *vm;
	uint32_t msg_id;
	const uint8_t *p;
	size_t len;
	uint8_t *out; /* reply payload */
	size_t out_len, out_cap;
};

static uint32_t target(struct copro_sim_hyp *h, struct rm_req *r,
		       struct hyp_vm **out)
{
	struct hyp_vm *t;

	if (r->len < 4)
		return COPRO_RM_ARGUMENT_INVALID;
	t = hyp_vm_find(h, copro_get_le16(r->p));
	if (!t || t->vmid == COPRO_SIM_HYP_PRIMARY_VMID)
		return COPRO_RM_VMID_INVALID;
	if (t->owner != r->vm->vmid)
		return COPRO_RM_DENIED;
	*out = t;
	return COPRO_RM_OK;
}

static uint32_t do_alloc(struct copro_sim_hyp *h, struct rm_req *r)
{
	uint16_t want = r->len >= 2 ? copro_get_le16(r->p) : 0;
	struct hyp_vm *vm;

	/*
	 * Only the primary VM creates VMs, as in Gunyah's RM: a VM's VMs
	 * would outlive it, and only their owner may deallocate them.
	 */
	if (r->vm->vmid != COPRO_SIM_HYP_PRIMARY_VMID)
		return COPRO_RM_DENIED;
	if (r->len < 4)
		return COPRO_RM_ARGUMENT_INVALID;
	if (!want)
		for (want = RM_FIRST_VMID; hyp_vm_find(h, want); want++)
			;
	if (want >= COPRO_SIM_HYP_RM_VMID || hyp_vm_find(h, want))
		return COPRO_RM_VMID_INVALID;
	vm = hyp_vm_new(h, want, r->vm->vmid);
	if (!vm)
		return COPRO_RM_NORESOURCE;
	if (hyp_rm_queues(h, vm) < 0) {
		hyp_vm_free(h, vm);
		return COPRO_RM_NOMEM;
	}
	copro_put_le16(r->out, want);
	copro_put_le16(r->out + 2, 0);
	r->out_len = 4;
	hyp_tracef(h, "rm: vm %u allocated for vm %u", want, r->vm->vmid);
	return COPRO_RM_OK;
}

static uint32_t do_start(struct copro_sim_hyp *h, struct rm_req *r)
{
	struct hyp_vm *t = NULL;
	uint32_t e = target(h, r, &t);

	if (e)
		return e;
	if (t->state != VM_ALLOCATED)
		return COPRO_RM_BUSY;
	/* Links to the owner first, then to its other running VMs. */
	e = link(h, t, r->vm);
	for (unsigned i = 0; !e && i < HYP_MAX_VMS; i++) {
		struct hyp_vm *o = h->vms[i];

		if (o && o != t && o->owner == t->owner &&
		    o->state == VM_RUNNING)
			e = link(h, t, o);
	}
	if (e) {
		hyp_vm_teardown(h, t, true, NULL);
		return e;
	}
	t->state = VM_RUNNING;
	status_notif(h, t->owner, t->vmid, COPRO_RM_VM_RUNNING);
	hyp_tracef(h, "rm: vm %u running", t->vmid);
	return COPRO_RM_OK;
}

static uint32_t do_stop(struct copro_sim_hyp *h, struct rm_req *r)
{
	struct hyp_vm *t = NULL;
	uint32_t e = target(h, r, &t);

	if (e)
		return e;
	if (t->state != VM_RUNNING)
		return COPRO_RM_BUSY;
	hyp_rm_vm_exit(h, t, 0 /* stopped by its owner */);
	return COPRO_RM_OK;
}

static uint32_t do_dealloc(struct copro_sim_hyp *h, struct rm_req *r)
{
	struct hyp_vm *t = NULL;
	uint32_t e = target(h, r, &t);

	if (e)
		return e;
	if (t->state == VM_RUNNING)
		return COPRO_RM_BUSY;
	hyp_tracef(h, "rm: vm %u deallocated", t->vmid);
	hyp_vm_free(h, t);
	return COPRO_RM_OK;
}

static uint32_t do_resources(struct copro_sim_hyp *h, struct rm_req *r)
{
	struct hyp_vm *vm = r->vm;
	uint16_t about;
	uint32_t n = 0;
	uint8_t *o;

	if (r->len < 4)
		return COPRO_RM_ARGUMENT_INVALID;
	about = copro_get_le16(r->p);
	if (about != vm->vmid && !hyp_vm_find(h, about))
		return COPRO_RM_VMID_INVALID;
	r->out_cap = 4 + (size_t)vm->ncaps * COPRO_RM_RSC_ENTRY_SIZE;
	o = malloc(r->out_cap);
	if (!o)
		return COPRO_RM_NOMEM;
	for (unsigned i = 0; i < vm->ncaps; i++) {
		struct hyp_cap *c = &vm->caps[i];
		uint8_t *e = o + 4 + (size_t)n * COPRO_RM_RSC_ENTRY_SIZE;

		if (!c->obj || (about != vm->vmid && c->partner != about))
			continue;
		memset(e, 0, COPRO_RM_RSC_ENTRY_SIZE);
		e[0] = (uint8_t)c->rsc;
		copro_put_le16(e + 2, c->partner);
		copro_put_le32(e + 4, (uint32_t)c->obj->id); /* resource handle */
		copro_put_le32(e + 8, c->label);
		copro_put_le64(e + 12, c->id);
		copro_put_le32(e + 20, c->virq); /* virq handle */
		copro_put_le32(e + 24, c->virq);
		n++;
	}
	copro_put_le32(o, n);
	r->out = o;
	r->out_len = 4 + (size_t)n * COPRO_RM_RSC_ENTRY_SIZE;
	return COPRO_RM_OK;
}

static const char *msg_name(uint32_t msg_id)
{
	switch (msg_id) {
	case COPRO_RM_VM_ALLOC_VMID: return "VM_ALLOC_VMID";
	case COPRO_RM_VM_DEALLOC_VMID: return "VM_DEALLOC_VMID";
	case COPRO_RM_VM_START: return "VM_START";
	case COPRO_RM_VM_STOP: return "VM_STOP";
	case COPRO_RM_VM_GET_HYP_RESOURCES: return "VM_GET_HYP_RESOURCES";
	case COPRO_RM_VM_GET_VMID: return "VM_GET_VMID";
	}
	return "unknown";
}

static void rm_handle(struct copro_sim_hyp *h, struct hyp_vm *vm, uint16_t seq,
		      uint32_t msg_id, const uint8_t *p, size_t len)
{
	uint8_t small[8];
	struct rm_req r = { vm, msg_id, p, len, small, 0, sizeof(small) };
	uint16_t vmid = vm->vmid;
	uint32_t e;

	h->st.rm_requests++;
	switch (msg_id) {
	case COPRO_RM_VM_ALLOC_VMID:
		e = do_alloc(h, &r);
		break;
	case COPRO_RM_VM_START:
		e = do_start(h, &r);
		break;
	case COPRO_RM_VM_STOP:
		e = do_stop(h, &r);
		break;
	case COPRO_RM_VM_DEALLOC_VMID:
		e = do_dealloc(h, &r);
		break;
	case COPRO_RM_VM_GET_HYP_RESOURCES:
		e = do_resources(h, &r);
		break;
	case COPRO_RM_VM_GET_VMID:
		copro_put_le16(small, vmid);
		copro_put_le16(small + 2, 0);
		r.out_len = 4;
		e = COPRO_RM_OK;
		break;
	default:
		e = COPRO_RM_UNIMPLEMENTED;
		break;
	}
	hyp_tracef(h, "rm: request 0x%08" PRIx32 " (%s) seq %u from vm %u ->"
		   " error 0x%" PRIx32 ", %zu-byte reply",
		   msg_id, msg_name(msg_id), seq, vmid, e,
		   e ? (size_t)0 : r.out_len);
	rm_send(h, vmid, COPRO_RM_REPLY, seq, msg_id, e, r.out,
		e ? 0 : r.out_len);
	if (r.out != small)
		free(r.out);
}

/* One fragment from a VM; a complete request runs. */
static void rm_feed(struct copro_sim_hyp *h, struct hyp_vm *vm,
		    const uint8_t *m, size_t len)
{
	struct rm_rx *rx = &vm->rx;
	unsigned type, frags;

	if (len < COPRO_RM_HDR_SIZE || m[0] != COPRO_RM_API) {
		h->st.rm_dropped++;
		return;
	}
	type = m[1] & COPRO_RM_TYPE_MASK;
	frags = m[1] >> COPRO_RM_FRAGS_SHIFT;
	if (type == COPRO_RM_REQUEST) {
		if (rx->active)
			h->st.rm_dropped++; /* the previous one was cut short */
		rx->active = false;
		if (frags > COPRO_RM_MAX_FRAGS) {
			h->st.rm_dropped++;
			return;
		}
		if (!rx->buf) {
			rx->buf = malloc(COPRO_RM_MAX_PAYLOAD);
			if (!rx->buf) {
				h->st.rm_dropped++;
				return;
			}
		}
		rx->msg_id = copro_get_le32(m + 4);
		rx->seq = copro_get_le16(m + 2);
		rx->frags_left = frags;
		rx->len = len - COPRO_RM_HDR_SIZE;
		memcpy(rx->buf, m + COPRO_RM_HDR_SIZE, rx->len);
		rx->active = true;
	} else if (type == COPRO_RM_CONTINUATION && rx->active &&
		   rx->frags_left && copro_get_le32(m + 4) == rx->msg_id &&
		   copro_get_le16(m + 2) == rx->seq) {
		memcpy(rx->buf + rx->len, m + COPRO_RM_HDR_SIZE,
		       len - COPRO_RM_HDR_SIZE);
		rx->len += len - COPRO_RM_HDR_SIZE;
		rx->frags_left--;
	} else {
		rx->active = false;
		h->st.rm_dropped++;
		return;
	}
	if (rx->active && !rx->frags_left) {
		rx->active = false;
		rm_handle(h, vm, rx->seq, rx->msg_id, rx->buf, rx->len);
	}
}

/* ---- the RM's CPU ------------------------------------------------------------ */

static bool rm_pass(struct copro_sim_hyp *h)
{
	bool work = false;

	for (unsigned i = 0; i < HYP_MAX_VMS && !h->rm_stop; i++)
		if (h->vms[i] && h->vms[i]->out && rm_flush(h, h->vms[i]))
			work = true;
	while (h->notifs && !h->rm_stop) {
		struct rm_notif *n = h->notifs;

		h->notifs = n->next;
		hyp_tracef(h, "rm: notification 0x%08" PRIx32 " (%s) to vm %u",
			   n->msg_id,
			   n->msg_id == COPRO_RM_NOTIF_VM_EXITED ? "VM_EXITED"
								: "VM_STATUS",
			   n->to);
		rm_send(h, n->to, COPRO_RM_NOTIF, 0, n->msg_id, 0, n->payload,
			sizeof(n->payload));
		free(n);
		work = true;
	}
	for (unsigned i = 0; i < HYP_MAX_VMS && !h->rm_stop; i++) {
		uint8_t m[COPRO_RM_MSGQ_SIZE];
		struct hyp_vm *vm = h->vms[i];
		size_t len;
		bool more;

		if (!vm || !vm->to_rm)
			continue;
		/* One message per VM per pass: fair, and vm may go meanwhile. */
		if (hyp_msgq_recv(h, vm->to_rm, m, sizeof(m), &len, &more))
			continue;
		rm_feed(h, vm, m, len);
		work = true;
	}
	return work;
}

static void *rm_main(void *arg)
{
	struct copro_sim_hyp *h = arg;

	copro_mutex_lock(&h->lock);
	while (!h->rm_stop) {
		uint32_t key = copro_event_prepare(&h->rm_ev);

		if (rm_pass(h))
			continue;
		copro_mutex_unlock(&h->lock);
		copro_event_wait(&h->rm_ev, key, RM_IDLE_WAIT_NS,
				 COPRO_SPIN_DEFAULT_NS);
		copro_mutex_lock(&h->lock);
	}
	copro_mutex_unlock(&h->lock);
	return NULL;
}

int hyp_rm_start(struct copro_sim_hyp *h)
{
	return copro_thread_start(&h->rm_thread, "gunyah-rm", rm_main, h);
}

void hyp_rm_stop(struct copro_sim_hyp *h)
{
	copro_mutex_lock(&h->lock);
	h->rm_stop = true;
	copro_mutex_unlock(&h->lock);
	copro_event_signal(&h->rm_ev);
	copro_thread_join(&h->rm_thread);
	while (h->notifs) {
		struct rm_notif *n = h->notifs;

		h->notifs = n->next;
		free(n);
	}
}
