/* SPDX-License-Identifier: MIT */
/*
 * The resource manager RPC: fragmentation at its boundaries, reassembly
 * and every way it rejects a sequence, the RM client's calls against the
 * model's RM and their failures (refusals, a lost interrupt, a reply that
 * comes too late), a VM that never reads its replies stalling nobody and
 * getting the answer to its latest call once it reads again,
 * interrupt lines coming back with the VMs that took them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <copro/le.h>

#include "test_hyp.h"

/* ---- codec ------------------------------------------------------------------ */

#define MAX_FRAGS 70

struct frags {
	uint8_t m[MAX_FRAGS][COPRO_RM_MSGQ_SIZE];
	size_t len[MAX_FRAGS];
	unsigned n, lasts;
};

static int collect(void *ctx, const void *frag, size_t len, bool last)
{
	struct frags *f = ctx;

	assert_true(f->n < MAX_FRAGS);
	assert_true(len <= COPRO_RM_MSGQ_SIZE);
	memcpy(f->m[f->n], frag, len);
	f->len[f->n++] = len;
	f->lasts += last;
	return 0;
}

static unsigned frag_count(enum copro_rm_type type, size_t len)
{
	struct frags *f = calloc(1, sizeof(*f));
	uint8_t *p = calloc(1, len ? len : 1);
	unsigned n;

	assert_int_equal(copro_rm_encode(type, 7, 0x56000001, 0, p, len,
					 collect, f), 0);
	assert_int_equal(f->lasts, 1);
	n = f->n;
	free(p);
	free(f);
	return n;
}

static void test_fragment_boundaries(void **state)
{
	uint8_t *big = calloc(1, COPRO_RM_MAX_PAYLOAD + 1);
	struct frags f;

	(void)state;
	assert_int_equal(frag_count(COPRO_RM_REQUEST, 0), 1);
	assert_int_equal(frag_count(COPRO_RM_REQUEST, 232), 1);
	assert_int_equal(frag_count(COPRO_RM_REQUEST, 233), 2);
	assert_int_equal(frag_count(COPRO_RM_REPLY, 228), 1);
	assert_int_equal(frag_count(COPRO_RM_REPLY, 229), 2);
	assert_int_equal(frag_count(COPRO_RM_REQUEST, COPRO_RM_MAX_PAYLOAD), 63);
	assert_int_equal(copro_rm_encode(COPRO_RM_REQUEST, 0, 1, 0, big,
					 COPRO_RM_MAX_PAYLOAD + 1, collect, &f),
			 -E2BIG);
	assert_int_equal(copro_rm_encode(COPRO_RM_CONTINUATION, 0, 1, 0, big, 1,
					 collect, &f),
			 -EINVAL);
	free(big);
}

struct rx_fix {
	struct copro_rm_rx rx;
	struct frags f;
	uint8_t payload[COPRO_RM_MAX_PAYLOAD];
};

static int rx_setup(void **state)
{
	struct rx_fix *x = calloc(1, sizeof(*x));

	assert_int_equal(copro_rm_rx_init(&x->rx, false), 0);
	for (size_t i = 0; i < sizeof(x->payload); i++)
		x->payload[i] = (uint8_t)(i * 7 + i / 251);
	*state = x;
	return 0;
}

static int rx_teardown(void **state)
{
	struct rx_fix *x = *state;

	copro_rm_rx_fini(&x->rx);
	free(x);
	return 0;
}

static void encode(struct rx_fix *x, enum copro_rm_type type, uint16_t seq,
		   uint32_t id, size_t len)
{
	x->f.n = x->f.lasts = 0;
	assert_int_equal(copro_rm_encode(type, seq, id, 0x6, x->payload, len,
					 collect, &x->f), 0);
}

static void test_reassembly_roundtrip(void **state)
{
	struct rx_fix *x = *state;
	struct copro_rm_msg m;
	size_t sizes[] = { 0, 1, 228, 229, 1000, COPRO_RM_MAX_PAYLOAD - 4 };

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		encode(x, COPRO_RM_REPLY, (uint16_t)s, 0x56000020, sizes[s]);
		for (unsigned i = 0; i + 1 < x->f.n; i++)
			assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[i],
							  x->f.len[i], &m),
					 COPRO_RM_RX_MORE);
		assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[x->f.n - 1],
						  x->f.len[x->f.n - 1], &m),
				 COPRO_RM_RX_DONE);
		assert_int_equal(m.type, COPRO_RM_REPLY);
		assert_int_equal(m.seq, s);
		assert_int_equal(m.msg_id, 0x56000020);
		assert_int_equal(m.err, 0x6);
		assert_int_equal(m.len, sizes[s]);
		if (sizes[s])
			assert_memory_equal(m.payload, x->payload, sizes[s]);
	}
	/* A notification, too. */
	encode(x, COPRO_RM_NOTIF, 0, COPRO_RM_NOTIF_VM_STATUS, 8);
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[0], x->f.len[0], &m),
			 COPRO_RM_RX_DONE);
	assert_int_equal(m.type, COPRO_RM_NOTIF);
}

static void test_reassembly_rejects(void **state)
{
	struct rx_fix *x = *state;
	struct copro_rm_msg m;
	uint8_t bad[COPRO_RM_MSGQ_SIZE + 1];

	/* Truncated: shorter than a header, or than a reply's header. */
	encode(x, COPRO_RM_REPLY, 1, 0x56000001, 4);
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[0], 7, &m),
			 COPRO_RM_RX_SHORT);
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[0], 11, &m),
			 COPRO_RM_RX_SHORT);
	/* Another API version. */
	memcpy(bad, x->f.m[0], x->f.len[0]);
	bad[0] = 0x22;
	assert_int_equal(copro_rm_rx_feed(&x->rx, bad, x->f.len[0], &m),
			 COPRO_RM_RX_BAD_API);
	/* A request, where only replies and notifications come. */
	encode(x, COPRO_RM_REQUEST, 1, 0x56000001, 4);
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[0], x->f.len[0], &m),
			 COPRO_RM_RX_BAD_TYPE);
	/* Oversized: 63 continuations announced, or a fragment over 240. */
	encode(x, COPRO_RM_REPLY, 1, 0x56000001, 4);
	memcpy(bad, x->f.m[0], x->f.len[0]);
	bad[1] = (uint8_t)(COPRO_RM_REPLY | 63 << COPRO_RM_FRAGS_SHIFT);
	assert_int_equal(copro_rm_rx_feed(&x->rx, bad, x->f.len[0], &m),
			 COPRO_RM_RX_OVERSIZED);
	memset(bad + 16, 0, sizeof(bad) - 16);
	assert_int_equal(copro_rm_rx_feed(&x->rx, bad, sizeof(bad), &m),
			 COPRO_RM_RX_OVERSIZED);
	/* Out of order: a continuation with nothing begun... */
	encode(x, COPRO_RM_REPLY, 2, 0x56000020, 600);
	assert_int_equal(x->f.n, 3);
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[1], x->f.len[1], &m),
			 COPRO_RM_RX_OUT_OF_ORDER);
	/* ...or one more than announced. */
	for (unsigned i = 0; i < 3; i++)
		copro_rm_rx_feed(&x->rx, x->f.m[i], x->f.len[i], &m);
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[2], x->f.len[2], &m),
			 COPRO_RM_RX_OUT_OF_ORDER);
	/* Interleaved: a continuation of another message drops both. */
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[0], x->f.len[0], &m),
			 COPRO_RM_RX_MORE);
	memcpy(bad, x->f.m[1], x->f.len[1]);
	bad[2] ^= 1; /* another sequence */
	assert_int_equal(copro_rm_rx_feed(&x->rx, bad, x->f.len[1], &m),
			 COPRO_RM_RX_INTERLEAVED);
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[1], x->f.len[1], &m),
			 COPRO_RM_RX_OUT_OF_ORDER);
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[0], x->f.len[0], &m),
			 COPRO_RM_RX_MORE);
	memcpy(bad, x->f.m[1], x->f.len[1]);
	bad[4] ^= 1; /* another message id */
	assert_int_equal(copro_rm_rx_feed(&x->rx, bad, x->f.len[1], &m),
			 COPRO_RM_RX_INTERLEAVED);
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[0], x->f.len[0], &m),
			 COPRO_RM_RX_MORE);
	memcpy(bad, x->f.m[1], x->f.len[1]);
	bad[1] = (uint8_t)(COPRO_RM_CONTINUATION | 3 << COPRO_RM_FRAGS_SHIFT);
	assert_int_equal(copro_rm_rx_feed(&x->rx, bad, x->f.len[1], &m),
			 COPRO_RM_RX_INTERLEAVED);
	/* Truncated sequence: a new message before the last one ended. */
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[0], x->f.len[0], &m),
			 COPRO_RM_RX_MORE);
	assert_false(x->rx.aborted);
	encode(x, COPRO_RM_NOTIF, 0, COPRO_RM_NOTIF_VM_EXITED, 8);
	assert_int_equal(copro_rm_rx_feed(&x->rx, x->f.m[0], x->f.len[0], &m),
			 COPRO_RM_RX_DONE);
	assert_true(x->rx.aborted);
	assert_int_equal(x->rx.aborted_msg.seq, 2);
	assert_int_equal(x->rx.aborted_msg.type, COPRO_RM_REPLY);
	assert_int_equal(x->rx.truncated, 1);
	assert_int_equal(m.msg_id, COPRO_RM_NOTIF_VM_EXITED);
}

static void test_rm_errno(void **state)
{
	(void)state;
	assert_int_equal(copro_rm_errno(COPRO_RM_OK), 0);
	assert_int_equal(copro_rm_errno(COPRO_RM_UNIMPLEMENTED), -EOPNOTSUPP);
	assert_int_equal(copro_rm_errno(COPRO_RM_BUSY), -EBUSY);
	assert_int_equal(copro_rm_errno(COPRO_RM_DENIED), -EPERM);
	assert_int_equal(copro_rm_errno(COPRO_RM_VMID_INVALID), -EINVAL);
	assert_int_equal(copro_rm_errno(0x1234), -EBADMSG);
}

static void test_parse_resources(void **state)
{
	uint8_t p[4 + 2 * COPRO_RM_RSC_ENTRY_SIZE] = { 2 };
	struct copro_gh_resource *v;
	size_t n;

	(void)state;
	p[4] = COPRO_GH_RSC_MSGQ_RX;
	p[4 + 12] = 0x34;
	p[4 + 24] = 70;
	p[4 + COPRO_RM_RSC_ENTRY_SIZE] = COPRO_GH_RSC_BELL_TX;
	assert_int_equal(copro_gh_rm_parse_resources(p, sizeof(p), &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].capid, 0x34);
	assert_int_equal(v[0].virq, 70);
	assert_int_equal(v[1].type, COPRO_GH_RSC_BELL_TX);
	free(v);
	/* Fewer or more bytes than the count says; an unknown type. */
	assert_int_equal(copro_gh_rm_parse_resources(p, sizeof(p) - 1, &v, &n), -EBADMSG);
	p[0] = 1;
	assert_int_equal(copro_gh_rm_parse_resources(p, sizeof(p), &v, &n), -EBADMSG);
	p[0] = 0xff;
	p[3] = 0xff;
	assert_int_equal(copro_gh_rm_parse_resources(p, sizeof(p), &v, &n), -EBADMSG);
	p[0] = 2;
	p[3] = 0;
	p[4] = 9;
	assert_int_equal(copro_gh_rm_parse_resources(p, sizeof(p), &v, &n), -EBADMSG);
	assert_int_equal(copro_gh_rm_parse_resources(p, 3, &v, &n), -EBADMSG);
}

/* ---- the client against the model's RM ------------------------------------ */

static int rm_setup(void **state)
{
	struct hyp_fix *f = calloc(1, sizeof(*f));

	assert_int_equal(hyp_fix_init(f, true), 0);
	*state = f;
	return 0;
}

static int rm_setup_polled(void **state)
{
	struct hyp_fix *f = calloc(1, sizeof(*f));

	assert_int_equal(hyp_fix_init(f, false), 0);
	*state = f;
	return 0;
}

static int rm_teardown(void **state)
{
	struct hyp_fix *f = *state;

	hyp_fix_fini(f);
	free(f);
	return 0;
}

static void test_rm_lifecycle(void **state)
{
	struct hyp_fix *f = *state;
	struct copro_gh_resource *v;
	uint16_t vmid = 0, self = 0;
	size_t n;

	assert_int_equal(copro_gh_rm_get_vmid(f->prim.rm, &self), 0);
	assert_int_equal(self, COPRO_SIM_HYP_PRIMARY_VMID);
	assert_int_equal(copro_gh_rm_alloc_vmid(f->prim.rm, 0, &vmid), 0);
	assert_int_not_equal(vmid, 0);
	/* Not started yet: nothing links the primary to it. */
	assert_int_equal(copro_gh_rm_get_resources(f->prim.rm, vmid, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(copro_gh_rm_vm_start(f->prim.rm, vmid), 0);
	assert_int_equal(copro_gh_rm_get_resources(f->prim.rm, vmid, &v, &n), 0);
	assert_int_equal(n, 4); /* a queue and a doorbell each way */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i].partner_vmid, vmid);
	free(v);
	/* Refusals. */
	assert_int_equal(copro_gh_rm_vm_start(f->prim.rm, vmid), -EBUSY);
	assert_int_equal(copro_gh_rm_dealloc_vmid(f->prim.rm, vmid), -EBUSY);
	assert_int_equal(copro_gh_rm_vm_start(f->prim.rm, 0x99), -EINVAL);
	assert_int_equal(copro_gh_rm_alloc_vmid(f->prim.rm, vmid, &self), -EINVAL);
	assert_int_equal(copro_gh_rm_call(f->prim.rm, 0x56000077, NULL, 0, NULL,
					  NULL, NULL),
			 -EOPNOTSUPP);
	assert_int_equal(copro_gh_rm_vm_stop(f->prim.rm, vmid), 0);
	assert_int_equal(copro_gh_rm_vm_stop(f->prim.rm, vmid), -EBUSY);
	assert_int_equal(copro_gh_rm_dealloc_vmid(f->prim.rm, vmid), 0);
	assert_int_equal(copro_gh_rm_dealloc_vmid(f->prim.rm, vmid), -EINVAL);
}

static void test_rm_only_owner(void **state)
{
	struct hyp_fix *f = *state;
	uint32_t err = 0;
	uint8_t req[4] = { (uint8_t)COPRO_SIM_HYP_PRIMARY_VMID };

	assert_int_equal(hyp_fix_vm_up(f, 0), 0);
	assert_int_equal(hyp_fix_vm_up(f, 1), 0);
	/* VM 0 may not stop its sibling: the primary owns it. */
	req[0] = (uint8_t)f->vm[1].vmid;
	assert_int_equal(copro_gh_rm_call(f->vm[0].rm, COPRO_RM_VM_STOP, req,
					  sizeof(req), NULL, NULL, &err),
			 -EPERM);
	assert_int_equal(err, COPRO_RM_DENIED);
	/*
	 * Nor allocate VMs of its own, as Gunyah's RM: they would outlive
	 * it, with nobody left who may deallocate them.
	 */
	memset(req, 0, sizeof(req));
	assert_int_equal(copro_gh_rm_call(f->vm[0].rm, COPRO_RM_VM_ALLOC_VMID,
					  req, sizeof(req), NULL, NULL, &err),
			 -EPERM);
	assert_int_equal(err, COPRO_RM_DENIED);
	/* Truncated request payload. */
	assert_int_equal(copro_gh_rm_call(f->prim.rm, COPRO_RM_VM_START, req, 2,
					  NULL, NULL, &err),
			 -EINVAL);
	assert_int_equal(err, COPRO_RM_ARGUMENT_INVALID);
}

static void test_rm_fragmented_both_ways(void **state)
{
	struct hyp_fix *f = *state;
	struct copro_gh_resource *v;
	uint8_t *big = calloc(1, 2000);
	size_t n;

	/* A 2000-byte request reaches the RM whole (it answers UNIMPL). */
	assert_int_equal(copro_gh_rm_call(f->prim.rm, 0x56000099, big, 2000,
					  NULL, NULL, NULL),
			 -EOPNOTSUPP);
	free(big);
	/* Three VMs: the primary's table answers in several fragments. */
	for (unsigned i = 0; i < HYP_FIX_VMS; i++)
		assert_int_equal(hyp_fix_vm_up(f, i), 0);
	assert_int_equal(copro_gh_rm_get_resources(f->prim.rm,
						   COPRO_SIM_HYP_PRIMARY_VMID,
						   &v, &n),
			 0);
	assert_int_equal(n, 2 + 4 * HYP_FIX_VMS); /* RM queues + links */
	assert_true(4 + n * COPRO_RM_RSC_ENTRY_SIZE > 228);
	free(v);
	/* VM 2 was started last: linked to the primary, VM 0 and VM 1. */
	assert_int_equal(copro_gh_rm_get_resources(f->vm[2].rm, f->vm[2].vmid,
						   &v, &n),
			 0);
	assert_int_equal(n, 2 + 4 * 3);
	free(v);
}

static void test_rm_lost_interrupt(void **state)
{
	struct hyp_fix *f = *state;
	struct copro_gh_rm_stats st;
	uint16_t self;

	/* The reply's interrupt is lost: the call times out cleanly. */
	copro_sim_hyp_lose_irqs(f->hyp, COPRO_SIM_HYP_PRIMARY_VMID, 1);
	assert_int_equal(copro_gh_rm_get_vmid(f->prim.rm, &self), -ETIMEDOUT);
	/* The next reply's interrupt drains both; the stale one is dropped. */
	assert_int_equal(copro_gh_rm_get_vmid(f->prim.rm, &self), 0);
	assert_int_equal(self, COPRO_SIM_HYP_PRIMARY_VMID);
	copro_gh_rm_get_stats(f->prim.rm, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.unmatched, 1);
	test_logcap_expect(&f->cap, "matches no call in flight");
}

static void test_rm_polled(void **state)
{
	struct hyp_fix *f = *state;
	uint16_t self = 0;

	assert_int_equal(copro_gh_rm_get_vmid(f->prim.rm, &self), 0);
	assert_int_equal(self, COPRO_SIM_HYP_PRIMARY_VMID);
	assert_int_equal(hyp_fix_vm_up(f, 0), 0);
	hyp_fix_vm_down(f, 0);
}

struct rm_caller {
	struct copro_gh_rm *rm;
	uint64_t calls_before;
	uint16_t self;
	_Atomic int ret;
};

static void *get_vmid_main(void *arg)
{
	struct rm_caller *c = arg;

	atomic_store(&c->ret, copro_gh_rm_get_vmid(c->rm, &c->self));
	return NULL;
}

static bool call_out(void *arg)
{
	struct rm_caller *c = arg;
	struct copro_gh_rm_stats st;

	copro_gh_rm_get_stats(c->rm, &st);
	return st.calls > c->calls_before;
}

/*
 * The client closes while a call waits for a reply that will not come
 * (the primary's queue from the RM stalled): the caller wakes with
 * -ESHUTDOWN, and close frees the client only once the caller has let
 * go of it (before, the caller took a destroyed lock and aborted).
 */
static void test_rm_close_during_a_call(void **state)
{
	struct hyp_fix *f = *state;
	struct rm_caller c = { .rm = f->prim.rm, .ret = 1 };
	struct copro_gh_rm_stats st;
	struct copro_thread th;

	const struct copro_dt *dt = copro_board_dt(f->b);
	int node = copro_dt_next_compatible(dt, -1, COPRO_SIM_HYP_RM_COMPATIBLE);
	uint64_t from_rm;

	assert_true(node >= 0);
	assert_int_equal(copro_dt_reg_raw(dt, node, 1, &from_rm), 0);
	copro_gh_rm_get_stats(f->prim.rm, &st);
	c.calls_before = st.calls;
	assert_int_equal(copro_sim_hyp_msgq_stall(f->hyp,
						  COPRO_SIM_HYP_PRIMARY_VMID,
						  from_rm, true),
			 0);
	assert_int_equal(copro_thread_start(&th, "call", get_vmid_main, &c), 0);
	assert_true(test_wait_until(call_out, &c, TEST_TIMEOUT_NS));
	copro_gh_rm_close(f->prim.rm);
	f->prim.rm = NULL;
	copro_thread_join(&th);
	assert_int_equal(atomic_load(&c.ret), -ESHUTDOWN);
	assert_int_equal(copro_sim_hyp_msgq_stall(f->hyp,
						  COPRO_SIM_HYP_PRIMARY_VMID,
						  from_rm, false),
			 0);
}

/* VM i up, its RM client closed: its RM queues are the test's to drive. */
static void vm_without_rm_client(struct hyp_fix *f, unsigned i,
				 uint64_t *to_rm, uint64_t *from_rm)
{
	struct hyp_side *vm = &f->vm[i];
	struct copro_gh_resource *v;
	size_t n;

	*to_rm = *from_rm = 0;
	assert_int_equal(hyp_fix_vm_up(f, i), 0);
	assert_int_equal(copro_gh_rm_get_resources(vm->rm, vm->vmid, &v, &n), 0);
	for (size_t k = 0; k < n; k++) {
		if (v[k].partner_vmid != COPRO_SIM_HYP_RM_VMID)
			continue;
		if (v[k].type == COPRO_GH_RSC_MSGQ_TX)
			*to_rm = v[k].capid;
		else if (v[k].type == COPRO_GH_RSC_MSGQ_RX)
			*from_rm = v[k].capid;
	}
	free(v);
	assert_int_not_equal(*to_rm, 0);
	assert_int_not_equal(*from_rm, 0);
	copro_gh_rm_close(vm->rm);
	vm->rm = NULL;
}

/* A VM_GET_VMID request, by hypercall: waits while its queue is full. */
static void raw_get_vmid(struct hyp_side *vm, uint64_t to_rm, uint16_t seq)
{
	uint8_t req[COPRO_RM_HDR_SIZE + 4] = { COPRO_RM_API, COPRO_RM_REQUEST };
	bool nf;

	copro_put_le16(req + 2, seq);
	copro_put_le32(req + 4, COPRO_RM_VM_GET_VMID);
	for (unsigned k = 0; k < 20000; k++) {
		if (copro_gh_msgq_send(vm->p, to_rm, req, sizeof(req),
				       COPRO_GH_MSGQ_SEND_PUSH, &nf) !=
		    COPRO_GH_MSGQUEUE_FULL)
			return;
		usleep(100);
	}
	fail_msg("the RM took no request from VM %u", vm->vmid);
}

/*
 * A VM sends requests and never reads the replies (its RM client closed,
 * its queue from the RM full): the RM still answers the others. Before,
 * its thread waited up to 5 s for room in that VM's queue, reply after
 * reply (four of them here), with every other VM's call behind it: the
 * primary's call below ran out of its 5 s and failed. No clock is read.
 */
static void test_rm_unread_replies_stall_nobody(void **state)
{
	struct hyp_fix *f = *state;
	uint64_t to_rm, from_rm;
	uint16_t self = 0;

	vm_without_rm_client(f, 0, &to_rm, &from_rm);
	/* More requests than its queue from the RM (8 deep) holds replies. */
	for (uint16_t i = 0; i < 12; i++)
		raw_get_vmid(&f->vm[0], to_rm, i);
	assert_int_equal(copro_gh_rm_get_vmid(f->prim.rm, &self), 0);
	assert_int_equal(self, COPRO_SIM_HYP_PRIMARY_VMID);
}

struct rm_count {
	struct copro_sim_hyp *hyp;
	uint64_t until;
};

static bool rm_handled(void *arg)
{
	struct rm_count *c = arg;
	struct copro_sim_hyp_stats st;

	copro_sim_hyp_get_stats(c->hyp, &st);
	return st.rm_requests >= c->until;
}

/*
 * A VM left more replies unread than the RM keeps for it (8 in its queue,
 * 32 waiting): the RM drops the oldest, so once the VM reads again the
 * answer to its latest request is there. Dropping the newest instead
 * lost the answer to every call the VM made until it had read all.
 */
static void test_rm_overflowing_vm_gets_its_answer(void **state)
{
	struct hyp_fix *f = *state;
	struct hyp_side *vm = &f->vm[0];
	struct copro_sim_hyp_stats st;
	struct rm_count c;
	uint8_t m[COPRO_RM_MSGQ_SIZE];
	uint64_t to_rm, from_rm;
	unsigned got = 0, found = 0;
	size_t n;
	bool ne;

	vm_without_rm_client(f, 0, &to_rm, &from_rm);
	copro_sim_hyp_get_stats(f->hyp, &st);
	c.hyp = f->hyp;
	c.until = st.rm_requests + 49;
	for (uint16_t i = 0; i < 48; i++)
		raw_get_vmid(vm, to_rm, i);
	raw_get_vmid(vm, to_rm, 0x4242);
	/* All answered (or dropped) before the VM reads again. */
	assert_true(test_wait_until(rm_handled, &c, TEST_TIMEOUT_NS));
	/* Read what comes, until the answer to 0x4242 or 5 s of nothing. */
	for (unsigned idle = 0; !found && idle < 50000;) {
		if (copro_gh_msgq_recv(vm->p, from_rm, m, sizeof(m), &n, &ne)) {
			idle++;
			usleep(100);
			continue;
		}
		got++;
		assert_true(n >= COPRO_RM_REPLY_HDR_SIZE);
		found = copro_get_le16(m + 2) == 0x4242;
	}
	assert_true(found);
	/* Its queue's 8, then the 32 the RM kept, the latest last. */
	assert_int_equal(got, 8 + 32);
}

/* The primary's interrupt line for its link queue from vmid. */
static uint32_t rx_line_from(struct hyp_fix *f, uint16_t vmid)
{
	struct copro_gh_resource *v;
	uint32_t line = COPRO_GH_VIRQ_NONE;
	size_t n;

	assert_int_equal(copro_gh_rm_get_resources(f->prim.rm, vmid, &v, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (v[i].type == COPRO_GH_RSC_MSGQ_RX)
			line = v[i].virq;
	free(v);
	return line;
}

/*
 * VMs come and go for as long as the primary runs: the interrupt lines
 * their links took on the primary's machine come back with them. Each
 * start takes three; before, never returned, they ran past the machine's
 * COPRO_BUS_IRQ_LINES (4096) after some 1,340 starts, and a new link's
 * interrupt could never rise.
 */
static void test_rm_virqs_come_back(void **state)
{
	struct hyp_fix *f = *state;
	uint32_t line, prev = 0;
	unsigned wrapped = 0;
	uint16_t vmid;

	for (unsigned i = 0; i < 1400; i++) {
		assert_int_equal(copro_gh_rm_alloc_vmid(f->prim.rm, 0, &vmid), 0);
		assert_int_equal(copro_gh_rm_vm_start(f->prim.rm, vmid), 0);
		line = rx_line_from(f, vmid);
		assert_true(line < COPRO_BUS_IRQ_LINES);
		wrapped += line < prev;
		prev = line;
		assert_int_equal(copro_gh_rm_vm_stop(f->prim.rm, vmid), 0);
		assert_int_equal(copro_gh_rm_dealloc_vmid(f->prim.rm, vmid), 0);
	}
	/* Past the last line, the first ones again, once. */
	assert_int_equal(wrapped, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fragment_boundaries),
		cmocka_unit_test_setup_teardown(test_reassembly_roundtrip, rx_setup, rx_teardown),
		cmocka_unit_test_setup_teardown(test_reassembly_rejects, rx_setup, rx_teardown),
		cmocka_unit_test(test_rm_errno),
		cmocka_unit_test(test_parse_resources),
		cmocka_unit_test_setup_teardown(test_rm_lifecycle, rm_setup, rm_teardown),
		cmocka_unit_test_setup_teardown(test_rm_only_owner, rm_setup, rm_teardown),
		cmocka_unit_test_setup_teardown(test_rm_fragmented_both_ways, rm_setup, rm_teardown),
		cmocka_unit_test_setup_teardown(test_rm_lost_interrupt, rm_setup, rm_teardown),
		cmocka_unit_test_setup_teardown(test_rm_polled, rm_setup_polled, rm_teardown),
		cmocka_unit_test_setup_teardown(test_rm_close_during_a_call, rm_setup, rm_teardown),
		cmocka_unit_test_setup_teardown(test_rm_unread_replies_stall_nobody, rm_setup, rm_teardown),
		cmocka_unit_test_setup_teardown(test_rm_overflowing_vm_gets_its_answer, rm_setup, rm_teardown),
		cmocka_unit_test_setup_teardown(test_rm_virqs_come_back, rm_setup, rm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
