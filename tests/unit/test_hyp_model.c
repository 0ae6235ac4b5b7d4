/* SPDX-License-Identifier: MIT */
/*
 * The Gunyah hypervisor model at the hypercall level: capability lookups
 * and their errors, message queue send/receive/flush/configure with PUSH
 * and both thresholds, doorbell flags and masks, capabilities vanishing
 * with their VM, a deallocated VM's machine reaching nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <copro/sim/bus.h>

#include "test_hyp.h"

struct pair {
	struct hyp_fix f;
	/* primary -> VM 0 queue: the primary's TX end, the VM's RX end */
	struct copro_gh_resource ptx, vrx, prx, vtx;
	struct copro_gh_resource pbell_tx, vbell_rx;
};

static int setup(void **state)
{
	struct pair *t = calloc(1, sizeof(*t));
	uint16_t v;

	assert_non_null(t);
	assert_int_equal(hyp_fix_init(&t->f, true), 0);
	assert_int_equal(hyp_fix_vm_up(&t->f, 0), 0);
	v = t->f.vm[0].vmid;
	assert_int_equal(hyp_fix_res(&t->f.prim, v, COPRO_GH_RSC_MSGQ_TX, &t->ptx), 0);
	assert_int_equal(hyp_fix_res(&t->f.prim, v, COPRO_GH_RSC_MSGQ_RX, &t->prx), 0);
	assert_int_equal(hyp_fix_res(&t->f.prim, v, COPRO_GH_RSC_BELL_TX, &t->pbell_tx), 0);
	assert_int_equal(hyp_fix_res(&t->f.vm[0], 3, COPRO_GH_RSC_MSGQ_RX, &t->vrx), 0);
	assert_int_equal(hyp_fix_res(&t->f.vm[0], 3, COPRO_GH_RSC_MSGQ_TX, &t->vtx), 0);
	assert_int_equal(hyp_fix_res(&t->f.vm[0], 3, COPRO_GH_RSC_BELL_RX, &t->vbell_rx), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct pair *t = *state;

	hyp_fix_fini(&t->f);
	free(t);
	return 0;
}

#define P(t) ((t)->f.prim.p)
#define V(t) ((t)->f.vm[0].p)
/* The machines, where the interrupt lines are. */
#define PB(t) ((t)->f.prim.bus)
#define VB(t) ((t)->f.vm[0].bus)

static void test_identify(void **state)
{
	struct pair *t = *state;
	struct copro_gh_identity id;

	assert_int_equal(copro_gh_identify(P(t), &id), COPRO_GH_OK);
	assert_int_equal(id.api_info & COPRO_GH_API_VERSION_MASK, COPRO_GH_API_V1);
	assert_true(id.api_info & COPRO_GH_API_64BIT);
	assert_true(id.flags[0] & COPRO_GH_FLAGS0_MSGQUEUE);
	assert_true(id.flags[0] & COPRO_GH_FLAGS0_DOORBELL);
}

static void test_cap_errors(void **state)
{
	struct pair *t = *state;
	uint8_t m[8] = { 0 };
	size_t n;
	bool b;
	uint64_t old;

	/* Never issued, wrong type, wrong end. */
	assert_int_equal(copro_gh_msgq_send(P(t), 0xdead, m, 1, 0, &b),
			 COPRO_GH_CSPACE_CAP_NULL);
	assert_int_equal(copro_gh_msgq_send(P(t), t->pbell_tx.capid, m, 1, 0, &b),
			 COPRO_GH_CSPACE_WRONG_OBJ_TYPE);
	assert_int_equal(copro_gh_bell_send(P(t), t->ptx.capid, 1, &old),
			 COPRO_GH_CSPACE_WRONG_OBJ_TYPE);
	assert_int_equal(copro_gh_msgq_send(P(t), t->prx.capid, m, 1, 0, &b),
			 COPRO_GH_CSPACE_INSUF_RIGHTS);
	assert_int_equal(copro_gh_msgq_recv(P(t), t->ptx.capid, m, 8, &n, &b),
			 COPRO_GH_CSPACE_INSUF_RIGHTS);
	/* Another VM's capability id means nothing in this table. */
	assert_int_equal(copro_gh_msgq_recv(P(t), t->vrx.capid, m, 8, &n, &b),
			 COPRO_GH_CSPACE_CAP_NULL);
	/* The RM binds and configures; a VM's capability has no such right. */
	struct copro_smccc_regs r = { { COPRO_GH_FN(COPRO_GH_CALL_MSGQ_CONFIGURE),
					t->ptx.capid, COPRO_GH_MSGQ_INFO(4, 64) } };
	assert_int_equal(copro_fw_call(P(t), COPRO_CONDUIT_HVC, &r, &r), 0);
	assert_int_equal((int64_t)r.x[0], COPRO_GH_CSPACE_INSUF_RIGHTS);
	/* An unknown call number. */
	r.x[0] = COPRO_GH_FN(0x7f);
	assert_int_equal(copro_fw_call(P(t), COPRO_CONDUIT_HVC, &r, &r), 0);
	assert_int_equal((int64_t)r.x[0], COPRO_GH_UNIMPLEMENTED);
}

static void test_msgq_basics(void **state)
{
	struct pair *t = *state;
	uint8_t big[COPRO_GH_MSGQ_MAX_MSG_SIZE] = { 0 }, m[300];
	size_t n = 0;
	bool nf = false, ne = true;

	/* The link queues carry at most 240 bytes (the model's default). */
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, big, 241, 0, &nf),
			 COPRO_GH_ARG_SIZE);
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, NULL, 4, 0, &nf),
			 COPRO_GH_ADDR_INVAL);
	/* Reserved send flags. */
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, big, 4, 2, &nf),
			 COPRO_GH_ARG_INVAL);
	assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, sizeof(m), &n, &ne),
			 COPRO_GH_MSGQUEUE_EMPTY);
	memset(big, 0xab, 200);
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, big, 200, 0, &nf),
			 COPRO_GH_OK);
	assert_true(nf);
	/* Too small a buffer: ARGUMENT_SIZE, and the message stays. */
	assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, 100, &n, &ne),
			 COPRO_GH_ARG_SIZE);
	assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, sizeof(m), &n, &ne),
			 COPRO_GH_OK);
	assert_int_equal(n, 200);
	assert_false(ne);
	assert_int_equal(m[199], 0xab);
	/* Flush empties it. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, big, 1, 0, &nf), 0);
	assert_int_equal(copro_gh_msgq_flush(P(t), t->ptx.capid),
			 COPRO_GH_CSPACE_INSUF_RIGHTS); /* flush is the receiver's */
	assert_int_equal(copro_gh_msgq_flush(V(t), t->vrx.capid), COPRO_GH_OK);
	assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, sizeof(m), &n, &ne),
			 COPRO_GH_MSGQUEUE_EMPTY);
}

static void test_msgq_full_and_not_full_irq(void **state)
{
	struct pair *t = *state;
	uint8_t m[240];
	size_t n;
	bool nf = true, ne;
	unsigned sent = 0;

	/* Send until full: not_full turns false on the last one. */
	while (nf) {
		m[0] = (uint8_t)sent;
		assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, m, 1, 0, &nf),
				 COPRO_GH_OK);
		sent++;
	}
	assert_int_equal(sent, 16); /* the model's link depth */
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, m, 1, 0, &nf),
			 COPRO_GH_MSGQUEUE_FULL);
	assert_false(copro_bus_irq_get(PB(t), t->ptx.virq));
	/* One receive brings it to depth - 1: the sender's line rises. */
	assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, sizeof(m), &n, &ne), 0);
	assert_int_equal(m[0], 0);
	assert_true(ne);
	assert_true(copro_bus_irq_get(PB(t), t->ptx.virq));
	/* Back above the threshold: it falls again. */
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, m, 1, 0, &nf), 0);
	assert_false(nf);
	assert_false(copro_bus_irq_get(PB(t), t->ptx.virq));
	/* A lower not-full threshold: the line waits for more room. */
	assert_int_equal(copro_gh_msgq_configure_send(P(t), t->ptx.capid, 4,
						      COPRO_GH_MSGQ_UNCHANGED), 0);
	for (unsigned i = 1; i < 12; i++) {
		assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m,
						    sizeof(m), &n, &ne), 0);
		assert_int_equal(m[0], i); /* in order */
		assert_false(copro_bus_irq_get(PB(t), t->ptx.virq));
	}
	assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, sizeof(m), &n, &ne), 0);
	assert_true(copro_bus_irq_get(PB(t), t->ptx.virq));
	/* Invalid configurations. */
	assert_int_equal(copro_gh_msgq_configure_send(P(t), t->ptx.capid, 16,
						      COPRO_GH_MSGQ_UNCHANGED),
			 COPRO_GH_ARG_INVAL);
	assert_int_equal(copro_gh_msgq_configure_send(P(t), t->ptx.capid, 4, 10),
			 COPRO_GH_UNIMPLEMENTED);
	assert_int_equal(copro_gh_msgq_configure_recv(V(t), t->vrx.capid, 0,
						      COPRO_GH_MSGQ_UNCHANGED),
			 COPRO_GH_ARG_INVAL);
	assert_int_equal(copro_gh_msgq_configure_recv(V(t), t->vrx.capid, 17,
						      COPRO_GH_MSGQ_UNCHANGED),
			 COPRO_GH_ARG_INVAL);
	assert_int_equal(copro_gh_msgq_configure_recv(V(t), t->vrx.capid, 2, 5),
			 COPRO_GH_UNIMPLEMENTED);
}

static void test_msgq_push_and_threshold(void **state)
{
	struct pair *t = *state;
	uint8_t m[16] = { 0 };
	size_t n;
	bool nf, ne;

	/* The VM's client would drain the queue: hold it off the line. */
	assert_int_equal(copro_gh_msgq_configure_recv(V(t), t->vrx.capid, 4,
						      COPRO_GH_MSGQ_UNCHANGED), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, m, 1, 0, &nf), 0);
		assert_false(copro_bus_irq_get(VB(t), t->vrx.virq));
	}
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, m, 1, 0, &nf), 0);
	assert_true(copro_bus_irq_get(VB(t), t->vrx.virq));
	/* Below the threshold again: the line falls. */
	assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, 16, &n, &ne), 0);
	assert_false(copro_bus_irq_get(VB(t), t->vrx.virq));
	for (int i = 0; i < 3; i++)
		assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, 16, &n, &ne), 0);
	assert_false(ne);
	/* PUSH interrupts at once, whatever the threshold. */
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, m, 1,
					    COPRO_GH_MSGQ_SEND_PUSH, &nf), 0);
	assert_true(copro_bus_irq_get(VB(t), t->vrx.virq));
	assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, 16, &n, &ne), 0);
	assert_false(copro_bus_irq_get(VB(t), t->vrx.virq));
	/* Lowering the threshold under a waiting count asserts at once. */
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, m, 1, 0, &nf), 0);
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, m, 1, 0, &nf), 0);
	assert_false(copro_bus_irq_get(VB(t), t->vrx.virq));
	assert_int_equal(copro_gh_msgq_configure_recv(V(t), t->vrx.capid, 2,
						      COPRO_GH_MSGQ_UNCHANGED), 0);
	assert_true(copro_bus_irq_get(VB(t), t->vrx.virq));
	assert_int_equal(copro_gh_msgq_flush(V(t), t->vrx.capid), 0);
	assert_false(copro_bus_irq_get(VB(t), t->vrx.virq));
}

static void test_doorbell(void **state)
{
	struct pair *t = *state;
	uint64_t old = 0;
	uint64_t tx = t->pbell_tx.capid, rx = t->vbell_rx.capid;
	unsigned line = t->vbell_rx.virq;

	assert_int_equal(copro_gh_bell_send(P(t), tx, 0, &old), COPRO_GH_ARG_INVAL);
	assert_int_equal(copro_gh_bell_recv(V(t), rx, 0, &old), COPRO_GH_ARG_INVAL);
	assert_int_equal(copro_gh_bell_send(V(t), rx, 1, &old),
			 COPRO_GH_CSPACE_INSUF_RIGHTS);
	/* send ORs and returns the old flags; the level line follows. */
	assert_int_equal(copro_gh_bell_send(P(t), tx, 0x5, &old), 0);
	assert_int_equal(old, 0);
	assert_true(copro_bus_irq_get(VB(t), line));
	assert_int_equal(copro_gh_bell_send(P(t), tx, 0x30, &old), 0);
	assert_int_equal(old, 0x5);
	/* receive clears what it is told and returns what was there. */
	assert_int_equal(copro_gh_bell_recv(V(t), rx, 0x1, &old), 0);
	assert_int_equal(old, 0x35);
	assert_true(copro_bus_irq_get(VB(t), line));
	assert_int_equal(copro_gh_bell_recv(V(t), rx, ~0ull, &old), 0);
	assert_int_equal(old, 0x34);
	assert_false(copro_bus_irq_get(VB(t), line));
	/* A disabled flag is kept but does not interrupt... */
	assert_int_equal(copro_gh_bell_mask(V(t), rx, 0xf0, 0), 0);
	assert_int_equal(copro_gh_bell_send(P(t), tx, 0x1, &old), 0);
	assert_false(copro_bus_irq_get(VB(t), line));
	/* ...until the mask enables it. */
	assert_int_equal(copro_gh_bell_mask(V(t), rx, 0xff, 0), 0);
	assert_true(copro_bus_irq_get(VB(t), line));
	assert_int_equal(copro_gh_bell_mask(V(t), rx, 0xf0, 0), 0);
	assert_false(copro_bus_irq_get(VB(t), line));
	/* Auto-acknowledge: the flag is cleared as the interrupt asserts. */
	assert_int_equal(copro_gh_bell_mask(V(t), rx, 0xff, 0x80), 0);
	assert_int_equal(copro_gh_bell_send(P(t), tx, 0x80, &old), 0);
	assert_int_equal(old, 0x1);
	assert_true(copro_bus_irq_get(VB(t), line));
	/* 0x80 was acknowledged as it asserted; 0x1 (not in ack) stays. */
	assert_int_equal(copro_gh_bell_recv(V(t), rx, ~0ull, &old), 0);
	assert_int_equal(old, 0x1);
	/* reset: no flags, everything enabled, no acknowledge. */
	assert_int_equal(copro_gh_bell_mask(V(t), rx, 0, 0), 0);
	assert_int_equal(copro_gh_bell_send(P(t), tx, 0x2, &old), 0);
	assert_false(copro_bus_irq_get(VB(t), line));
	assert_int_equal(copro_gh_bell_reset(V(t), rx), 0);
	assert_int_equal(copro_gh_bell_send(P(t), tx, 0x4, &old), 0);
	assert_int_equal(old, 0);
	assert_true(copro_bus_irq_get(VB(t), line));
	assert_int_equal(copro_gh_bell_recv(V(t), rx, 0x4, &old), 0);
	assert_int_equal(old, 0x4);
}

static bool exited_told(void *arg)
{
	struct hyp_side *s = arg;

	return atomic_load(&s->exited) > 0;
}

static void test_caps_vanish_with_vm(void **state)
{
	struct pair *t = *state;
	struct hyp_side *vm = &t->f.vm[0];
	uint8_t m[4] = { 0 };
	uint64_t old;
	size_t n;
	bool b;

	assert_int_equal(copro_gh_rm_vm_stop(t->f.prim.rm, vm->vmid), 0);
	/* Revoked in the primary's table... */
	assert_int_equal(copro_gh_msgq_send(P(t), t->ptx.capid, m, 1, 0, &b),
			 COPRO_GH_CSPACE_CAP_REVOKED);
	assert_int_equal(copro_gh_bell_send(P(t), t->pbell_tx.capid, 1, &old),
			 COPRO_GH_CSPACE_CAP_REVOKED);
	assert_int_equal(copro_gh_errno(COPRO_GH_CSPACE_CAP_REVOKED), -ENODEV);
	/* ...and in the stopped VM's own. */
	assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, 4, &n, &b),
			 COPRO_GH_CSPACE_CAP_REVOKED);
	/* The RM tells the owner (after its reply: wait for it). */
	assert_true(test_wait_until(exited_told, &t->f.prim, TEST_TIMEOUT_NS));
	assert_int_equal(atomic_load(&t->f.prim.last_exited), vm->vmid);
	/* Deallocated: the VM's table is gone with it. */
	assert_int_equal(copro_gh_rm_dealloc_vmid(t->f.prim.rm, vm->vmid), 0);
	assert_int_equal(copro_gh_msgq_recv(V(t), t->vrx.capid, m, 4, &n, &b),
			 COPRO_GH_CSPACE_CAP_NULL);
}

/*
 * A VM deallocated while its machine is still attached: the machine
 * reaches nothing, even once the RM gives its VMID to a new VM (whose
 * capability ids are numbered alike). Before, its hypercalls acted as
 * the new VM's.
 */
static void test_dead_machine_reaches_nothing(void **state)
{
	struct pair *t = *state;
	struct hyp_side *vm = &t->f.vm[0];
	struct copro_gh_resource *v;
	uint64_t from_rm = 0;
	uint16_t again = 0;
	uint8_t m[4];
	size_t n;
	bool b;

	assert_int_equal(copro_gh_rm_get_resources(vm->rm, vm->vmid, &v, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (v[i].type == COPRO_GH_RSC_MSGQ_RX &&
		    v[i].partner_vmid == COPRO_SIM_HYP_RM_VMID)
			from_rm = v[i].capid;
	free(v);
	assert_int_not_equal(from_rm, 0);
	assert_int_equal(copro_gh_rm_vm_stop(t->f.prim.rm, vm->vmid), 0);
	assert_int_equal(copro_gh_rm_dealloc_vmid(t->f.prim.rm, vm->vmid), 0);
	assert_int_equal(copro_gh_msgq_recv(V(t), from_rm, m, 4, &n, &b),
			 COPRO_GH_CSPACE_CAP_NULL);
	/* The VMID again, for a VM with no machine yet. */
	assert_int_equal(copro_gh_rm_alloc_vmid(t->f.prim.rm, vm->vmid, &again), 0);
	assert_int_equal(again, vm->vmid);
	assert_int_equal(copro_gh_msgq_recv(V(t), from_rm, m, 4, &n, &b),
			 COPRO_GH_CSPACE_CAP_NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msgq_basics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msgq_full_and_not_full_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msgq_push_and_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps_vanish_with_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_machine_reaches_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
