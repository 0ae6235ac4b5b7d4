/* SPDX-License-Identifier: MIT */
/*
 * The Gunyah message-queue and doorbell controllers against the model:
 * CREDIT streaming with queue-full push-back (nothing lost, nothing
 * reordered), withdrawing a bound resource, sends to a destroyed queue,
 * VMs created and destroyed while traffic flows, a peer VM disappearing
 * mid-conversation, doorbell bit and mask channels, and discards that
 * take what the hypervisor still holds.
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
#include <copro/mbox.h>
#include <copro/os.h>

#include "test_hyp.h"

struct rec {
	_Atomic uint32_t n;
	_Atomic uint32_t bad; /* out of order or malformed */
	_Atomic uint32_t tx_ok, tx_enodev, tx_other;
	_Atomic uint64_t last_word;
};

static void rec_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		   size_t len)
{
	struct rec *r = ctx;
	uint32_t v;

	(void)chan;
	if (len == 8) {
		uint64_t w;

		memcpy(&w, msg, 8);
		atomic_store(&r->last_word, w);
		atomic_fetch_add(&r->n, 1);
		return;
	}
	if (len == 0) {
		atomic_fetch_add(&r->n, 1);
		return;
	}
	memcpy(&v, msg, sizeof(v));
	if (len != 16 || v != atomic_load(&r->n))
		atomic_fetch_add(&r->bad, 1);
	atomic_fetch_add(&r->n, 1);
}

static void rec_tx_done(void *ctx, struct copro_mbox_chan *chan, int status)
{
	struct rec *r = ctx;

	(void)chan;
	if (!status)
		atomic_fetch_add(&r->tx_ok, 1);
	else if (status == -ENODEV)
		atomic_fetch_add(&r->tx_enodev, 1);
	else
		atomic_fetch_add(&r->tx_other, 1);
}

/* A doorbell client that holds its first signal until told to go. */
struct gate {
	_Atomic bool closed;
	_Atomic unsigned in_rx, n, stale;
};

struct t {
	struct hyp_fix f;
	struct gate g; /* opened by teardown, should a test fail holding it */
	struct copro_gh_resource ptx, vrx;
	struct copro_mbox_chan *tx, *rx;
	struct rec txr, rxr;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct copro_mbox_client ctx = { 0 }, crx = { 0 };
	uint16_t v;

	assert_non_null(t);
	assert_int_equal(hyp_fix_init(&t->f, true), 0);
	assert_int_equal(hyp_fix_vm_up(&t->f, 0), 0);
	v = t->f.vm[0].vmid;
	assert_int_equal(hyp_fix_res(&t->f.prim, v, COPRO_GH_RSC_MSGQ_TX, &t->ptx), 0);
	assert_int_equal(hyp_fix_res(&t->f.vm[0], 3, COPRO_GH_RSC_MSGQ_RX, &t->vrx), 0);
	assert_int_equal(copro_gh_msgq_add(t->f.prim.mq, &t->ptx, NULL), 0);
	assert_int_equal(copro_gh_msgq_add(t->f.vm[0].mq, &t->vrx, NULL), 0);
	ctx.ctx = &t->txr;
	ctx.tx_done = rec_tx_done;
	assert_int_equal(copro_mbox_request(t->f.prim.p, COPRO_GH_MSGQ_CONTROLLER,
					    t->ptx.capid, &ctx, &t->tx), 0);
	assert_int_equal(copro_mbox_dir(t->tx), COPRO_MBOX_DIR_TX);
	assert_int_equal(copro_mbox_txdone_mode(t->tx), COPRO_MBOX_TXDONE_CREDIT);
	crx.ctx = &t->rxr;
	crx.rx = rec_rx;
	assert_int_equal(copro_mbox_request(t->f.vm[0].p, COPRO_GH_MSGQ_CONTROLLER,
					    t->vrx.capid, &crx, &t->rx), 0);
	assert_int_equal(copro_mbox_dir(t->rx), COPRO_MBOX_DIR_RX);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	atomic_store(&t->g.closed, false);
	copro_mbox_free(t->tx);
	copro_mbox_free(t->rx);
	hyp_fix_fini(&t->f);
	free(t);
	return 0;
}

static void msg16(uint8_t m[16], uint32_t i)
{
	memset(m, 0x5a, 16);
	memcpy(m, &i, sizeof(i));
}

struct count_arg {
	_Atomic uint32_t *v;
	uint32_t want;
};

static bool reached(void *arg)
{
	struct count_arg *a = arg;

	return atomic_load(a->v) >= a->want;
}

static bool wait_count(_Atomic uint32_t *v, uint32_t want)
{
	struct count_arg a = { v, want };

	return test_wait_until(reached, &a, TEST_TIMEOUT_NS);
}

static void test_full_pushback_nothing_lost(void **state)
{
	struct t *t = *state;
	struct copro_mbox_stats st;
	struct copro_gh_msgq_stats ms;
	uint8_t m[16];
	uint32_t i = 0;
	int ret;

	/* A stalled receiver: the hypervisor queue fills, then ours. */
	assert_int_equal(copro_sim_hyp_msgq_stall(t->f.hyp, t->f.vm[0].vmid,
						  t->vrx.capid, true), 0);
	for (;; i++) {
		msg16(m, i);
		ret = copro_mbox_send(t->tx, m, sizeof(m), 0);
		if (ret)
			break;
	}
	assert_int_equal(ret, -EAGAIN);
	/* 16 in the hypervisor's queue, 64 in the channel's. */
	assert_int_equal(i, 16 + COPRO_MBOX_DEFAULT_QUEUE);
	copro_mbox_get_stats(t->tx, &st);
	assert_int_equal(st.sent, 16);
	assert_true(st.backpressure >= 1);
	assert_int_equal(atomic_load(&t->rxr.n), 0);
	/* Released: everything arrives, in order, and the stream goes on. */
	assert_int_equal(copro_sim_hyp_msgq_stall(t->f.hyp, t->f.vm[0].vmid,
						  t->vrx.capid, false), 0);
	for (; i < 20000; i++) {
		msg16(m, i);
		assert_int_equal(copro_mbox_send(t->tx, m, sizeof(m),
						 TEST_TIMEOUT_NS), 0);
	}
	assert_int_equal(copro_mbox_flush(t->tx, TEST_TIMEOUT_NS), 0);
	assert_true(wait_count(&t->rxr.n, 20000));
	assert_int_equal(atomic_load(&t->rxr.n), 20000);
	assert_int_equal(atomic_load(&t->rxr.bad), 0);
	/* Flushed: done, though the last tx_done calls may still run. */
	assert_true(wait_count(&t->txr.tx_ok, 20000));
	copro_gh_msgq_get_stats(t->f.prim.mq, &ms);
	assert_true(ms.tx_irqs >= 1); /* resumed by the not-full interrupt */
	assert_int_equal(ms.hyp_errors, 0);
}

/* The not-full interrupt is lost: the sender times out, a kick recovers. */
static void test_lost_not_full_interrupt(void **state)
{
	struct t *t = *state;
	uint8_t m[16];
	uint32_t i;

	assert_int_equal(copro_sim_hyp_msgq_stall(t->f.hyp, t->f.vm[0].vmid,
						  t->vrx.capid, true), 0);
	msg16(m, 0);
	for (i = 0; copro_mbox_send(t->tx, m, sizeof(m), 0) == 0; i++)
		msg16(m, i + 1);
	assert_int_equal(i, 16 + COPRO_MBOX_DEFAULT_QUEUE);
	copro_sim_hyp_lose_irqs(t->f.hyp, COPRO_SIM_HYP_PRIMARY_VMID, 1);
	assert_int_equal(copro_sim_hyp_msgq_stall(t->f.hyp, t->f.vm[0].vmid,
						  t->vrx.capid, false), 0);
	/* The receiver drains the hypervisor's queue; the sender never hears. */
	assert_true(wait_count(&t->rxr.n, 16));
	assert_int_equal(copro_mbox_flush(t->tx, 50 * COPRO_NSEC_PER_MSEC),
			 -ETIMEDOUT);
	assert_int_equal(atomic_load(&t->rxr.n), 16);
	assert_int_equal(copro_gh_msgq_kick(t->f.prim.mq, t->ptx.capid), 0);
	assert_int_equal(copro_mbox_flush(t->tx, TEST_TIMEOUT_NS), 0);
	assert_true(wait_count(&t->rxr.n, i));
	assert_int_equal(atomic_load(&t->rxr.bad), 0);
	assert_int_equal(copro_gh_msgq_kick(t->f.prim.mq, t->vrx.capid), -ENOENT);
}

static bool one_hyp_error(void *arg)
{
	struct copro_gh_msgq_stats st;

	copro_gh_msgq_get_stats(arg, &st);
	return st.hyp_errors >= 1;
}

/*
 * A receive fails: the error is logged and counted, the receive
 * interrupt goes off (the same error would repeat while the line stays
 * asserted) with the message left in the queue, and a kick brings it.
 */
static void test_receive_error_then_kick(void **state)
{
	struct t *t = *state;
	struct hyp_side *v = &t->f.vm[0];
	struct copro_gh_msgq_stats st;
	uint8_t m[16];

	assert_int_equal(copro_sim_hyp_msgq_fail_recv(t->f.hyp, v->vmid,
						      t->vrx.capid,
						      COPRO_GH_OK, 1),
			 -EINVAL);
	/* Only a hypervisor's error: not copro's own, not any number. */
	assert_int_equal(copro_sim_hyp_msgq_fail_recv(t->f.hyp, v->vmid,
						      t->vrx.capid,
						      COPRO_GH_BAD_RESULT, 1),
			 -EINVAL);
	assert_int_equal(copro_sim_hyp_msgq_fail_recv(t->f.hyp, v->vmid,
						      t->vrx.capid, 0x1234, 1),
			 -EINVAL);
	assert_int_equal(copro_sim_hyp_msgq_fail_recv(t->f.hyp, v->vmid,
						      t->vrx.capid,
						      COPRO_GH_ADDR_INVAL, 1),
			 0);
	msg16(m, 0);
	assert_int_equal(copro_mbox_send(t->tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	assert_true(test_wait_until(one_hyp_error, v->mq, TEST_TIMEOUT_NS));
	test_logcap_expect(&t->f.cap, "msgq_recv: ADDR_INVALID (22), receive"
				      " interrupt disabled");
	/* Still queued, the line asserted, yet nothing delivered. */
	assert_true(copro_bus_irq_get(v->bus, t->vrx.virq));
	assert_int_equal(atomic_load(&t->rxr.n), 0);
	assert_int_equal(copro_gh_msgq_kick(v->mq, t->vrx.capid), 0);
	assert_true(wait_count(&t->rxr.n, 1));
	assert_int_equal(atomic_load(&t->rxr.bad), 0);
	copro_gh_msgq_get_stats(v->mq, &st);
	assert_int_equal(st.hyp_errors, 1);
	/* And the stream goes on. */
	msg16(m, 1);
	assert_int_equal(copro_mbox_send(t->tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	assert_true(wait_count(&t->rxr.n, 2));
}

static void test_withdraw_fails_pending(void **state)
{
	struct t *t = *state;
	uint8_t m[16];
	uint32_t i;

	assert_int_equal(copro_sim_hyp_msgq_stall(t->f.hyp, t->f.vm[0].vmid,
						  t->vrx.capid, true), 0);
	for (i = 0; i < 40; i++) {
		msg16(m, i);
		assert_int_equal(copro_mbox_send(t->tx, m, sizeof(m), 0), 0);
	}
	/* The VM is going: the controller lets go of the capability. */
	assert_int_equal(copro_gh_msgq_del(t->f.prim.mq, t->ptx.capid), 0);
	assert_int_equal(atomic_load(&t->txr.tx_ok), 16);
	assert_int_equal(atomic_load(&t->txr.tx_enodev), 24);
	assert_int_equal(copro_mbox_send(t->tx, m, sizeof(m), 0), -ENODEV);
	assert_int_equal(copro_gh_msgq_del(t->f.prim.mq, t->ptx.capid), -ENOENT);
	/* The channel is still the client's to free (teardown does)... */
	assert_int_equal(copro_mbox_dir(t->tx), COPRO_MBOX_DIR_TX);
	/* ...and it holds the controller: removal refuses meanwhile. */
	assert_int_equal(copro_gh_msgq_remove(t->f.prim.mq), -EBUSY);
}

static void test_send_to_destroyed_queue(void **state)
{
	struct t *t = *state;
	uint8_t m[16];

	msg16(m, 0);
	assert_int_equal(copro_mbox_send(t->tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	assert_true(wait_count(&t->rxr.n, 1));
	/* The VM stops; the channel is still bound on the primary. */
	assert_int_equal(copro_gh_rm_vm_stop(t->f.prim.rm, t->f.vm[0].vmid), 0);
	msg16(m, 1);
	assert_int_equal(copro_mbox_send(t->tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	assert_int_equal(atomic_load(&t->txr.tx_enodev), 1);
	test_logcap_expect(&t->f.cap, "msgq_send of 16 bytes: CSPACE_CAP_REVOKED");
}

/* One side of a race: a client's free, or the withdrawal of its resource. */
struct unbinder {
	struct copro_mbox_chan *chan;
	struct copro_gh_msgq *mq; /* del from this... */
	struct copro_gh_bell *db; /* ...or this */
	uint64_t capid;
	int del_ret;
};

static void *free_main(void *arg)
{
	copro_mbox_free(((struct unbinder *)arg)->chan);
	return NULL;
}

static void *del_main(void *arg)
{
	struct unbinder *u = arg;

	u->del_ret = u->db ? copro_gh_bell_del(u->db, u->capid)
			   : copro_gh_msgq_del(u->mq, u->capid);
	return NULL;
}

/*
 * The VM goes (del) just as the client lets go of the channel (free),
 * both at once, round after round, with sends in flight: whichever comes
 * first, the resource, its line and the channel are let go once, and the
 * capability can be offered and bound again.
 */
static void test_withdraw_races_unbind(void **state)
{
	struct t *t = *state;
	struct copro_mbox_client ct = { .ctx = &t->txr, .tx_done = rec_tx_done };
	uint8_t m[16];

	copro_mbox_free(t->tx);
	t->tx = NULL;
	assert_int_equal(copro_gh_msgq_del(t->f.prim.mq, t->ptx.capid), 0);
	for (unsigned round = 0; round < 200; round++) {
		struct unbinder u = { .mq = t->f.prim.mq, .capid = t->ptx.capid };
		struct copro_thread a, b;

		assert_int_equal(copro_gh_msgq_add(t->f.prim.mq, &t->ptx, NULL), 0);
		assert_int_equal(copro_mbox_request(t->f.prim.p,
						    COPRO_GH_MSGQ_CONTROLLER,
						    t->ptx.capid, &ct, &u.chan),
				 0);
		msg16(m, 0);
		for (unsigned i = 0; i < round % 24; i++)
			copro_mbox_send(u.chan, m, sizeof(m), 0);
		assert_int_equal(copro_thread_start(&a, "free", free_main, &u), 0);
		assert_int_equal(copro_thread_start(&b, "del", del_main, &u), 0);
		copro_thread_join(&a);
		copro_thread_join(&b);
		/* Bound or already unbound when it ran: withdrawn either way. */
		assert_int_equal(u.del_ret, 0);
		assert_int_equal(copro_gh_msgq_del(t->f.prim.mq, t->ptx.capid),
				 -ENOENT);
	}
	/* Offered once more: it binds and hands the hypervisor a message. */
	struct rec fin = { 0 };

	ct.ctx = &fin;
	assert_int_equal(copro_gh_msgq_add(t->f.prim.mq, &t->ptx, NULL), 0);
	assert_int_equal(copro_mbox_request(t->f.prim.p, COPRO_GH_MSGQ_CONTROLLER,
					    t->ptx.capid, &ct, &t->tx), 0);
	msg16(m, 0);
	assert_int_equal(copro_mbox_send(t->tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	assert_true(wait_count(&fin.tx_ok, 1));
	assert_int_equal(atomic_load(&fin.tx_other) + atomic_load(&fin.tx_enodev),
			 0);
}

static bool word_has_bit5(void *arg)
{
	return atomic_load((_Atomic uint64_t *)arg) & 1u << 5;
}

/*
 * The same race on a receiving doorbell with two bit channels, each
 * freed by its own thread while a third withdraws the doorbell and
 * signals keep arriving: the line and the resource are let go once, and
 * the doorbell can be offered and bound again.
 */
static void test_bell_withdraw_races_unbind(void **state)
{
	struct t *t = *state;
	struct hyp_side *v = &t->f.vm[0];
	struct copro_gh_resource btx, brx;
	struct rec r = { 0 };
	struct copro_mbox_client crx = { .ctx = &r, .rx = rec_rx };
	struct copro_mbox_client ctx = { 0 };
	struct copro_mbox_chan *tx;
	uint64_t old;

	assert_int_equal(hyp_fix_res(&t->f.prim, v->vmid, COPRO_GH_RSC_BELL_TX, &btx), 0);
	assert_int_equal(hyp_fix_res(v, 3, COPRO_GH_RSC_BELL_RX, &brx), 0);
	assert_int_equal(copro_gh_bell_add(t->f.prim.db, &btx), 0);
	assert_int_equal(copro_mbox_request(t->f.prim.p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(btx.capid, COPRO_GH_BELL_ALL),
					    &ctx, &tx), 0);
	for (unsigned round = 0; round < 200; round++) {
		struct unbinder u[2] = { 0 };
		struct unbinder d = { .db = v->db, .capid = brx.capid,
				      .del_ret = -1 };
		struct copro_thread th[3];
		uint64_t both = 1u << 1 | 1u << 2;

		assert_int_equal(copro_gh_bell_add(v->db, &brx), 0);
		for (unsigned i = 0; i < 2; i++)
			assert_int_equal(copro_mbox_request(
						 v->p, COPRO_GH_BELL_CONTROLLER,
						 copro_gh_bell_chan(brx.capid, 1 + i),
						 &crx, &u[i].chan),
					 0);
		assert_int_equal(copro_mbox_send(tx, &both, sizeof(both), 0), 0);
		assert_int_equal(copro_thread_start(&th[0], "free1", free_main, &u[0]), 0);
		assert_int_equal(copro_thread_start(&th[1], "del", del_main, &d), 0);
		assert_int_equal(copro_thread_start(&th[2], "free2", free_main, &u[1]), 0);
		assert_int_equal(copro_mbox_send(tx, &both, sizeof(both), 0), 0);
		for (unsigned i = 0; i < 3; i++)
			copro_thread_join(&th[i]);
		assert_int_equal(d.del_ret, 0);
		assert_int_equal(copro_gh_bell_del(v->db, brx.capid), -ENOENT);
	}
	/*
	 * Offered once more: it binds (the whole mask this time) and hears a
	 * ring on bit 5, which no round used: flags of bits 1 and 2 the
	 * rounds left set may come with it or before it.
	 */
	struct copro_mbox_chan *rx;
	uint64_t five = 1u << 5;

	assert_int_equal(copro_gh_bell_add(v->db, &brx), 0);
	assert_int_equal(copro_mbox_request(v->p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(brx.capid, COPRO_GH_BELL_ALL),
					    &crx, &rx), 0);
	assert_int_equal(copro_gh_bell_send(t->f.prim.p, btx.capid, five, &old), 0);
	assert_true(test_wait_until(word_has_bit5, &r.last_word, TEST_TIMEOUT_NS));
	copro_mbox_free(rx);
	copro_mbox_free(tx);
}

struct streamer {
	struct copro_mbox_chan *tx;
	uint32_t count;
	int ret;
};

static void *stream_main(void *arg)
{
	struct streamer *s = arg;
	uint8_t m[16];

	for (uint32_t i = 0; i < s->count && !s->ret; i++) {
		msg16(m, i);
		s->ret = copro_mbox_send(s->tx, m, sizeof(m), TEST_TIMEOUT_NS);
	}
	return NULL;
}

static void test_vms_come_and_go_during_traffic(void **state)
{
	struct t *t = *state;
	struct streamer s = { t->tx, 30000, 0 };
	struct copro_thread th;

	assert_int_equal(copro_thread_start(&th, "stream", stream_main, &s), 0);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(hyp_fix_vm_up(&t->f, 1), 0);
		assert_int_equal(hyp_fix_vm_up(&t->f, 2), 0);
		hyp_fix_vm_down(&t->f, 1);
		hyp_fix_vm_down(&t->f, 2);
	}
	copro_thread_join(&th);
	assert_int_equal(s.ret, 0);
	/*
	 * The receiver may have every message before the sender's last
	 * tx_done calls ran (they run after the channel's lock is let go).
	 */
	assert_int_equal(copro_mbox_flush(t->tx, TEST_TIMEOUT_NS), 0);
	assert_true(wait_count(&t->rxr.n, 30000));
	assert_int_equal(atomic_load(&t->rxr.bad), 0);
	assert_true(wait_count(&t->txr.tx_ok, 30000));
	assert_int_equal(atomic_load(&t->txr.tx_other), 0);
}

/* VM 0 and VM 1 talk; VM 1 disappears; VM 0 sees clean errors. */
static void test_peer_disappears_mid_conversation(void **state)
{
	struct t *t = *state;
	struct hyp_side *a = &t->f.vm[0], *b;
	struct copro_gh_resource atx, brx;
	struct copro_mbox_client ca = { 0 }, cb = { 0 };
	struct copro_mbox_chan *tx, *rx;
	struct rec ra = { 0 }, rb = { 0 };
	static const struct copro_gh_msgq_opts push = { .push = true };
	uint8_t m[16];

	assert_int_equal(hyp_fix_vm_up(&t->f, 1), 0);
	b = &t->f.vm[1];
	/* VM 1 was started after VM 0: the RM linked them. */
	assert_int_equal(hyp_fix_res(a, b->vmid, COPRO_GH_RSC_MSGQ_TX, &atx), 0);
	assert_int_equal(hyp_fix_res(b, a->vmid, COPRO_GH_RSC_MSGQ_RX, &brx), 0);
	assert_int_equal(copro_gh_msgq_add(a->mq, &atx, &push), 0);
	assert_int_equal(copro_gh_msgq_add(b->mq, &brx, NULL), 0);
	ca.ctx = &ra;
	ca.tx_done = rec_tx_done;
	cb.ctx = &rb;
	cb.rx = rec_rx;
	assert_int_equal(copro_mbox_request(a->p, COPRO_GH_MSGQ_CONTROLLER,
					    atx.capid, &ca, &tx), 0);
	assert_int_equal(copro_mbox_request(b->p, COPRO_GH_MSGQ_CONTROLLER,
					    brx.capid, &cb, &rx), 0);
	for (uint32_t i = 0; i < 100; i++) {
		msg16(m, i);
		assert_int_equal(copro_mbox_send(tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	}
	assert_true(wait_count(&rb.n, 100));
	assert_int_equal(atomic_load(&rb.bad), 0);
	/* Every earlier message is out and answered: the refusal below is
	 * message 100's. */
	assert_int_equal(copro_mbox_flush(tx, TEST_TIMEOUT_NS), 0);
	assert_true(wait_count(&ra.tx_ok, 100));

	assert_int_equal(copro_sim_hyp_vm_crash(t->f.hyp, b->vmid), 0);
	/* The RM tells the peer. */
	msg16(m, 100);
	assert_int_equal(copro_mbox_send(tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	assert_true(wait_count((_Atomic uint32_t *)&a->exited, 1));
	assert_int_equal(atomic_load(&a->last_exited), b->vmid);
	assert_true(wait_count((_Atomic uint32_t *)&t->f.prim.exited, 1));
	/*
	 * VM 0 lets go of what it had towards VM 1. Message 100 has failed
	 * with -ENODEV by then, one way or the other. Either the hypervisor
	 * refused it, or the framework was still holding it for the
	 * not-full interrupt that the queue's last message called for. The
	 * crash took that interrupt away with the queue, before the
	 * interrupt thread got to it, and the withdrawal fails the message.
	 */
	assert_int_equal(copro_gh_msgq_del(a->mq, atx.capid), 0);
	assert_true(wait_count(&ra.tx_enodev, 1));
	assert_int_equal(atomic_load(&ra.tx_enodev), 1);
	assert_int_equal(atomic_load(&ra.tx_other), 0);
	assert_int_equal(copro_mbox_send(tx, m, sizeof(m), 0), -ENODEV);
	copro_mbox_free(tx);
	copro_mbox_free(rx);
	copro_gh_msgq_del(b->mq, brx.capid);
	/* VM 0's link to the primary is untouched. */
	msg16(m, 0);
	assert_int_equal(copro_mbox_send(t->tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	assert_true(wait_count(&t->rxr.n, 1));
}

/*
 * VM 0 sends to the primary: offer and bind both ends, the primary's
 * receiving end with `rx_opts`; rx delivers to t->rxr.
 */
static void bind_vm0_to_primary(struct t *t, const struct copro_gh_resource *vtx,
				const struct copro_gh_resource *prx,
				const struct copro_gh_msgq_opts *rx_opts,
				struct copro_mbox_chan **rx,
				struct copro_mbox_chan **tx)
{
	struct hyp_side *v = &t->f.vm[0];
	struct copro_mbox_client cl = { .ctx = &t->rxr, .rx = rec_rx };
	struct copro_mbox_client ct = { 0 };

	assert_int_equal(copro_gh_msgq_add(t->f.prim.mq, prx, rx_opts), 0);
	assert_int_equal(copro_mbox_request(t->f.prim.p, COPRO_GH_MSGQ_CONTROLLER,
					    prx->capid, &cl, rx), 0);
	assert_int_equal(copro_gh_msgq_add(v->mq, vtx, NULL), 0);
	assert_int_equal(copro_mbox_request(v->p, COPRO_GH_MSGQ_CONTROLLER,
					    vtx->capid, &ct, tx), 0);
}

/* Thresholds the client asks for are set at bind time. */
static void test_thresholds_from_the_client(void **state)
{
	struct t *t = *state;
	struct hyp_side *v = &t->f.vm[0];
	struct copro_gh_resource vtx, prx;
	struct copro_gh_msgq_opts four = { .not_empty_thres = 4 };
	struct copro_gh_msgq_opts bad = { .not_empty_thres = 17 };
	struct copro_mbox_client cl = { .ctx = &t->rxr, .rx = rec_rx };
	struct copro_mbox_chan *rx, *tx;
	uint8_t m[16];

	assert_int_equal(hyp_fix_res(v, 3, COPRO_GH_RSC_MSGQ_TX, &vtx), 0);
	assert_int_equal(hyp_fix_res(&t->f.prim, v->vmid, COPRO_GH_RSC_MSGQ_RX, &prx), 0);
	/* Deeper than the queue: the hypervisor refuses, so does the bind. */
	assert_int_equal(copro_gh_msgq_add(t->f.prim.mq, &prx, &bad), 0);
	assert_int_equal(copro_mbox_request(t->f.prim.p, COPRO_GH_MSGQ_CONTROLLER,
					    prx.capid, &cl, &rx), -EINVAL);
	test_logcap_expect(&t->f.cap, "not-empty threshold 17 refused: ARGUMENT_INVALID");
	assert_int_equal(copro_gh_msgq_del(t->f.prim.mq, prx.capid), 0);
	bind_vm0_to_primary(t, &vtx, &prx, &four, &rx, &tx);
	for (uint32_t i = 0; i < 3; i++) {
		msg16(m, i);
		assert_int_equal(copro_mbox_send(tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
		/* Below the threshold: no interrupt, so nothing delivered. */
		assert_false(copro_bus_irq_get(t->f.prim.bus, prx.virq));
	}
	assert_int_equal(atomic_load(&t->rxr.n), 0);
	msg16(m, 3);
	assert_int_equal(copro_mbox_send(tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	assert_true(wait_count(&t->rxr.n, 4));
	assert_int_equal(atomic_load(&t->rxr.bad), 0);
	copro_mbox_free(tx);
	copro_mbox_free(rx);
}

static void test_doorbell_channels(void **state)
{
	struct t *t = *state;
	struct hyp_side *v = &t->f.vm[0];
	struct copro_gh_resource btx, brx;
	struct copro_mbox_client ctx = { 0 }, crx = { 0 };
	struct copro_mbox_chan *tx3, *tx5, *rx3, *rx5, *rxall, *txall, *busy;
	struct rec r3 = { 0 }, r5 = { 0 }, rall = { 0 };
	uint64_t word = 0x11, old = 0;
	size_t len = sizeof(old);

	assert_int_equal(hyp_fix_res(&t->f.prim, v->vmid, COPRO_GH_RSC_BELL_TX, &btx), 0);
	assert_int_equal(hyp_fix_res(v, 3, COPRO_GH_RSC_BELL_RX, &brx), 0);
	assert_int_equal(copro_gh_bell_add(t->f.prim.db, &btx), 0);
	assert_int_equal(copro_gh_bell_add(v->db, &brx), 0);
	crx.rx = rec_rx;
	crx.ctx = &r3;
	assert_int_equal(copro_mbox_request(v->p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(brx.capid, 3), &crx, &rx3), 0);
	crx.ctx = &r5;
	assert_int_equal(copro_mbox_request(v->p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(brx.capid, 5), &crx, &rx5), 0);
	/* The whole mask belongs to one client, bits to others: not both. */
	crx.ctx = &rall;
	assert_int_equal(copro_mbox_request(v->p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(brx.capid, COPRO_GH_BELL_ALL),
					    &crx, &busy), -EBUSY);
	assert_int_equal(copro_mbox_request(t->f.prim.p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(btx.capid, 3), &ctx, &tx3), 0);
	assert_int_equal(copro_mbox_request(t->f.prim.p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(btx.capid, 5), &ctx, &tx5), 0);
	assert_int_equal(copro_mbox_txdone_mode(tx3), COPRO_MBOX_TXDONE_SYNC);
	/* A bit channel takes no payload. */
	assert_int_equal(copro_mbox_send(tx3, &word, 8, 0), -EINVAL);
	assert_int_equal(copro_mbox_ring(tx3, 0), 0);
	assert_true(wait_count(&r3.n, 1));
	assert_int_equal(copro_mbox_ring(tx5, 0), 0);
	assert_true(wait_count(&r5.n, 1));
	assert_int_equal(atomic_load(&r3.n), 1);
	/* Bit 9 is bound by nobody: masked, so it never interrupts. */
	assert_int_equal(copro_gh_bell_send(t->f.prim.p, btx.capid, 1u << 9, &old), 0);
	assert_int_equal(copro_mbox_ring(tx3, 0), 0);
	assert_true(wait_count(&r3.n, 2));
	copro_mbox_free(rx3);
	copro_mbox_free(rx5);
	copro_mbox_free(tx3);
	copro_mbox_free(tx5);

	/* Now one client takes the whole mask. */
	assert_int_equal(copro_mbox_request(v->p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(brx.capid, COPRO_GH_BELL_ALL),
					    &crx, &rxall), 0);
	assert_true(wait_count(&rall.n, 1)); /* bit 9, kept while masked */
	assert_int_equal(atomic_load(&rall.last_word), 1u << 9);
	assert_int_equal(copro_mbox_request(t->f.prim.p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(btx.capid, COPRO_GH_BELL_ALL),
					    &ctx, &txall), 0);
	assert_int_equal(copro_mbox_call(txall, &word, sizeof(word), &old, &len), 0);
	assert_int_equal(len, 8);
	assert_true(wait_count(&rall.n, 2));
	assert_int_equal(atomic_load(&rall.last_word), 0x11);
	/* The peer goes: the doorbell's channels are revoked, not freed. */
	assert_int_equal(copro_gh_bell_del(t->f.prim.db, btx.capid), 0);
	assert_int_equal(copro_mbox_call(txall, &word, sizeof(word), &old, &len),
			 -ENODEV);
	copro_mbox_free(txall);
	copro_mbox_free(rxall);
}

/*
 * Below the not-empty threshold the messages sit in the hypervisor's
 * queue with no interrupt: a discard takes them (dropped, counted), and
 * only what is sent after it arrives.
 */
static void test_discard_takes_the_queue(void **state)
{
	struct t *t = *state;
	struct hyp_side *v = &t->f.vm[0];
	struct copro_gh_resource vtx, prx;
	struct copro_gh_msgq_opts four = { .not_empty_thres = 4 };
	struct copro_mbox_chan *rx, *tx;
	struct copro_mbox_stats st;
	uint8_t m[16];

	assert_int_equal(hyp_fix_res(v, 3, COPRO_GH_RSC_MSGQ_TX, &vtx), 0);
	assert_int_equal(hyp_fix_res(&t->f.prim, v->vmid, COPRO_GH_RSC_MSGQ_RX, &prx), 0);
	bind_vm0_to_primary(t, &vtx, &prx, &four, &rx, &tx);
	/* Numbered 7..9: rec_rx counts any of them arriving as bad. */
	for (uint32_t i = 7; i < 10; i++) {
		msg16(m, i);
		assert_int_equal(copro_mbox_send(tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	}
	assert_int_equal(copro_mbox_flush(tx, TEST_TIMEOUT_NS), 0);
	assert_false(copro_bus_irq_get(t->f.prim.bus, prx.virq));
	assert_int_equal(copro_mbox_rx_discard(rx), 0);
	copro_mbox_get_stats(rx, &st);
	assert_int_equal(st.rx_discarded, 3);
	/* Four more reach the threshold: exactly those four arrive. */
	for (uint32_t i = 0; i < 4; i++) {
		msg16(m, i);
		assert_int_equal(copro_mbox_send(tx, m, sizeof(m), TEST_TIMEOUT_NS), 0);
	}
	assert_true(wait_count(&t->rxr.n, 4));
	assert_int_equal(atomic_load(&t->rxr.bad), 0);
	copro_mbox_free(tx);
	assert_int_equal(atomic_load(&t->rxr.n), 4);
	copro_mbox_get_stats(rx, &st);
	assert_int_equal(st.received, 4);
	assert_int_equal(st.rx_discarded, 3);
	copro_mbox_free(rx);
}

/*
 * A hostile hypervisor whose receive queue is never empty: every
 * msgq_recv returns one more message and says more are waiting.
 */
struct endless_hyp {
	_Atomic uint32_t recvs, other;
};

#define ENDLESS_CAP 0x77u
#define ENDLESS_LINE 40u

static void endless_hvc(void *ctx, enum copro_conduit conduit,
			const struct copro_smccc_regs *in,
			struct copro_smccc_regs *out)
{
	struct endless_hyp *e = ctx;
	uint32_t call = ((uint32_t)in->x[0] & 0xffff) - 0x8000;
	uint8_t m[16];

	(void)conduit;
	if (call != COPRO_GH_CALL_MSGQ_RECV || in->x[1] != ENDLESS_CAP ||
	    in->x[3] < sizeof(m)) {
		atomic_fetch_add(&e->other, 1);
		out->x[0] = (uint64_t)COPRO_GH_UNIMPLEMENTED;
		return;
	}
	msg16(m, atomic_fetch_add(&e->recvs, 1));
	memcpy((void *)(uintptr_t)in->x[2], m, sizeof(m));
	out->x[0] = COPRO_GH_OK;
	out->x[1] = sizeof(m);
	out->x[2] = 1; /* not empty, ever */
}

/*
 * Neither the receive interrupt nor a discard lets such a hypervisor
 * hold the host: a pass takes a queue's depth (256) and returns, the
 * level brings the handler back, the poll returns after its rounds, and
 * a discard drops exactly one pass's worth.
 */
static void test_hypervisor_that_never_runs_dry(void **state)
{
	struct t *t = *state;
	struct endless_hyp e = { 0 };
	struct rec r = { 0 };
	struct copro_bus_config bc = {
		.dt = copro_board_dt(t->f.b),
		.log = test_logcap_log(&t->f.cap),
		.threaded = false,
	};
	const struct copro_gh_resource res = {
		.type = COPRO_GH_RSC_MSGQ_RX,
		.capid = ENDLESS_CAP,
		.virq = ENDLESS_LINE,
	};
	struct copro_mbox_client cl = {
		.ctx = &r, .rx = rec_rx, .rx_mode = COPRO_MBOX_RX_IRQ,
	};
	struct copro_mbox_stats st;
	struct copro_bus *bus;
	struct copro_platform *p;
	struct copro_gh_msgq *mq;
	struct copro_mbox_chan *c;
	uint32_t n;

	assert_int_equal(copro_bus_create(&bc, &bus), 0);
	assert_int_equal(copro_bus_platform_create(bus, &p), 0);
	assert_int_equal(copro_bus_add_fwcall(bus, COPRO_CONDUIT_HVC,
					      COPRO_GH_OWNER, endless_hvc, &e),
			 0);
	assert_int_equal(copro_gh_msgq_probe(p, NULL, &mq), 0);
	assert_int_equal(copro_gh_msgq_add(mq, &res, NULL), 0);
	assert_int_equal(copro_mbox_request(p, COPRO_GH_MSGQ_CONTROLLER,
					    ENDLESS_CAP, &cl, &c), 0);
	copro_bus_irq_set(bus, ENDLESS_LINE, true);
	copro_mbox_poll(c);
	n = atomic_load(&r.n);
	assert_true(n >= COPRO_GH_MSGQ_MAX_DEPTH);
	assert_int_equal(n % COPRO_GH_MSGQ_MAX_DEPTH, 0);
	assert_int_equal(atomic_load(&e.recvs), n);
	assert_int_equal(atomic_load(&r.bad), 0);
	/* A discard takes one pass's worth, drops it, and returns. */
	assert_int_equal(copro_mbox_rx_discard(c), 0);
	copro_mbox_get_stats(c, &st);
	assert_int_equal(st.rx_discarded, COPRO_GH_MSGQ_MAX_DEPTH);
	assert_int_equal(atomic_load(&r.n), n);
	assert_int_equal(atomic_load(&e.other), 0);
	copro_bus_irq_set(bus, ENDLESS_LINE, false);
	copro_mbox_free(c);
	assert_int_equal(copro_gh_msgq_remove(mq), 0);
	copro_bus_remove_fwcall(bus, COPRO_CONDUIT_HVC, COPRO_GH_OWNER);
	copro_platform_destroy(p);
	copro_bus_destroy(bus);
}

static void gate_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct gate *g = ctx;

	(void)msg;
	(void)len;
	atomic_fetch_add(&g->in_rx, 1);
	while (atomic_load(&g->closed))
		copro_sleep_ns(50 * COPRO_NSEC_PER_USEC);
	if (copro_mbox_rx_stale(chan))
		atomic_fetch_add(&g->stale, 1);
	atomic_fetch_add(&g->n, 1);
}

struct queued_arg {
	struct copro_mbox_chan *chan;
	unsigned want;
};

static bool queued(void *arg)
{
	struct queued_arg *a = arg;

	return copro_mbox_rx_queued(a->chan) >= a->want;
}

/*
 * One signal in the client, one behind it in its ring (of two: the one
 * in rx keeps its slot), the third still a flag at the hypervisor: the discard drops the ring's and takes the
 * flag; the one inside rx finds itself stale; later rings arrive.
 */
static void test_doorbell_discard_takes_the_flag(void **state)
{
	struct t *t = *state;
	struct hyp_side *v = &t->f.vm[0];
	struct copro_gh_resource btx, brx;
	struct gate *g = &t->g;
	struct copro_mbox_client ctx = { 0 };
	struct copro_mbox_client crx = { .ctx = g, .rx = gate_rx, .rx_ring = 2 };
	struct copro_mbox_chan *tx, *rx;
	struct copro_mbox_stats st;
	struct queued_arg q;
	uint64_t old = 0;

	assert_int_equal(hyp_fix_res(&t->f.prim, v->vmid, COPRO_GH_RSC_BELL_TX, &btx), 0);
	assert_int_equal(hyp_fix_res(v, 3, COPRO_GH_RSC_BELL_RX, &brx), 0);
	assert_int_equal(copro_gh_bell_add(t->f.prim.db, &btx), 0);
	assert_int_equal(copro_gh_bell_add(v->db, &brx), 0);
	assert_int_equal(copro_mbox_request(v->p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(brx.capid, 6), &crx, &rx), 0);
	assert_int_equal(copro_mbox_request(t->f.prim.p, COPRO_GH_BELL_CONTROLLER,
					    copro_gh_bell_chan(btx.capid, 6), &ctx, &tx), 0);
	atomic_store(&g->closed, true);
	q.chan = rx;
	/* Each ring waits for the last to be taken: flags do not queue. */
	assert_int_equal(copro_mbox_ring(tx, 0), 0);
	q.want = 1;
	assert_true(test_wait_until(queued, &q, TEST_TIMEOUT_NS));
	assert_true(wait_count(&g->in_rx, 1));
	assert_int_equal(copro_mbox_ring(tx, 0), 0);
	q.want = 2;
	assert_true(test_wait_until(queued, &q, TEST_TIMEOUT_NS));
	assert_int_equal(copro_mbox_ring(tx, 0), 0);
	assert_int_equal(copro_mbox_rx_discard(rx), 0);
	/* The flag is gone from the hypervisor (bit 9: bound by nobody). */
	assert_int_equal(copro_gh_bell_send(t->f.prim.p, btx.capid, 1u << 9, &old), 0);
	assert_int_equal(old, 0);
	/* The flag's signal is dropped now; the ring's when rx returns. */
	copro_mbox_get_stats(rx, &st);
	assert_int_equal(st.rx_discarded, 1);
	atomic_store(&g->closed, false);
	assert_true(wait_count(&g->n, 1));
	assert_int_equal(atomic_load(&g->stale), 1);
	/* A ring after the discard arrives (behind the drop), not stale. */
	assert_int_equal(copro_mbox_ring(tx, 0), 0);
	assert_true(wait_count(&g->n, 2));
	assert_int_equal(atomic_load(&g->stale), 1);
	copro_mbox_free(tx);
	copro_mbox_get_stats(rx, &st);
	assert_int_equal(st.received, 2);
	assert_int_equal(st.rx_discarded, 2);
	copro_mbox_free(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_pushback_nothing_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_not_full_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_error_then_kick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_fails_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_to_destroyed_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_races_unbind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bell_withdraw_races_unbind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vms_come_and_go_during_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_disappears_mid_conversation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thresholds_from_the_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbell_channels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard_takes_the_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbell_discard_takes_the_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hypervisor_that_never_runs_dry, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
