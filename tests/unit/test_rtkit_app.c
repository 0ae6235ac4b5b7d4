// SPDX-License-Identifier: MIT
/*
 * RTKit host library, application endpoints: starting them (refused
 * before the map, for system endpoints, when not running), blocking and
 * non-blocking sends with back-pressure, receiving in deferred context
 * and through the interrupt-context recv_message_early, traces, and a
 * send waiting for room when the coprocessor restarts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>

#include "test_iop.h"
#include "test_modes.h"

#define EP TEST_IOP_APP_EP
#define N_MSGS 40

struct client {
	struct copro_mutex lock;
	uint64_t got[N_MSGS];
	unsigned n;
	_Atomic unsigned early_seen, early_taken;
	uint64_t early[N_MSGS];
	_Atomic unsigned traced_in, traced_out;
};

static void on_recv(void *ctx, uint8_t ep, uint64_t msg)
{
	struct client *c = ctx;

	assert_int_equal(ep, EP);
	copro_mutex_lock(&c->lock);
	if (c->n < N_MSGS)
		c->got[c->n] = msg;
	c->n++;
	copro_mutex_unlock(&c->lock);
}

/* Takes the odd messages in interrupt context. */
static bool on_early(void *ctx, uint8_t ep, uint64_t msg)
{
	struct client *c = ctx;

	assert_int_equal(ep, EP);
	atomic_fetch_add(&c->early_seen, 1);
	if (!(msg & 1))
		return false;
	c->early[atomic_load(&c->early_taken) % N_MSGS] = msg;
	atomic_fetch_add(&c->early_taken, 1);
	return true;
}

static void on_trace(void *ctx, bool to_iop, uint8_t ep, uint64_t msg,
		     uint64_t time_ns)
{
	struct client *c = ctx;

	(void)ep;
	(void)msg;
	assert_true(time_ns > 0);
	atomic_fetch_add(to_iop ? &c->traced_out : &c->traced_in, 1);
}

static const struct copro_rtkit_ops recv_ops = {
	.recv_message = on_recv,
	.trace = on_trace,
};
static const struct copro_rtkit_ops early_ops = {
	.recv_message = on_recv,
	.recv_message_early = on_early,
};

static void open_app(struct test_rtk *t, void **state, struct client *c,
		     const struct copro_rtkit_ops *ops)
{
	struct copro_rtkit_config cfg = { .ops = ops, .ctx = c };

	memset(c, 0, sizeof(*c));
	copro_mutex_init(&c->lock);
	test_rtk_open(t, test_threaded(state), NULL);
	assert_int_equal(test_rtk_create(t, &cfg), 0);
}

static unsigned received(struct client *c)
{
	copro_mutex_lock(&c->lock);
	unsigned n = c->n;
	copro_mutex_unlock(&c->lock);
	return n;
}

struct recv_arg {
	struct client *c;
	unsigned n;
};

static bool got_all(void *arg)
{
	struct recv_arg *a = arg;

	return received(a->c) + atomic_load(&a->c->early_taken) >= a->n;
}

static void test_start_and_talk(void **state)
{
	struct test_rtk t;
	struct client c;
	struct copro_rtkit_stats st;
	size_t cur;
	uint64_t got;

	open_app(&t, state, &c, &recv_ops);
	/* Nothing is mapped before boot. */
	assert_int_equal(copro_rtkit_start_ep(t.rtk, EP), -EINVAL);
	assert_int_equal(copro_rtkit_send_message(t.rtk, EP, 1, 0), -EINVAL);
	assert_int_equal(copro_rtkit_send_message_atomic(t.rtk, EP, 1), -EINVAL);
	assert_int_equal(test_rtk_boot(&t), 0);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, COPRO_RTKIT_EP_SYSLOG),
			 -EINVAL);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, 0x21), -EINVAL);
	test_logcap_expect(&t.cap, "start: endpoint 0x21 is not in the endpoint map");
	assert_int_equal(copro_rtkit_send_message(t.rtk, 0x02, 1, 0), -EINVAL);
	/* Mapped but not started: not to be talked to yet, either way. */
	assert_int_equal(copro_rtkit_send_message(t.rtk, EP, 1, 0), -EINVAL);
	cur = test_iop_count(t.iop);
	test_iop_send(t.iop, EP, 0x77);
	test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, RTK_EP_TYPE_MAKE(8));
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_IOREPORT, 8, NULL));
	assert_int_equal(received(&c), 0);
	test_logcap_expect(&t.cap, "endpoint 0x20 was not started");

	cur = test_iop_count(t.iop);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, EP), 0);
	assert_true(test_rtk_wait_ap(&t, &cur, 0, RTK_MGMT_STARTEP, &got));
	assert_int_equal(got, RTK_MGMT_TYPE_MAKE(RTK_MGMT_STARTEP) |
				      RTK_STARTEP_MAKE(EP));

	/* Both ways, in order. */
	for (uint64_t i = 0; i < N_MSGS; i++)
		assert_int_equal(copro_rtkit_send_message(t.rtk, EP, 0x1000 + i,
							  TEST_TIMEOUT_NS),
				 0);
	assert_int_equal(copro_rtkit_flush(t.rtk, TEST_TIMEOUT_NS), 0);
	for (uint64_t i = 0; i < N_MSGS; i++) {
		assert_true(test_rtk_wait_ap(&t, &cur, EP, -1, &got));
		assert_int_equal(got, 0x1000 + i);
	}
	/* The atomic way too, in order after them. */
	for (uint64_t i = 0; i < N_MSGS; i++)
		assert_int_equal(copro_rtkit_send_message_atomic(t.rtk, EP,
								 0x3000 + i),
				 0);
	for (uint64_t i = 0; i < N_MSGS; i++) {
		assert_true(test_rtk_wait_ap(&t, &cur, EP, -1, &got));
		assert_int_equal(got, 0x3000 + i);
	}
	for (uint64_t i = 0; i < N_MSGS; i++)
		assert_int_equal(test_rtk_iop_send(&t, EP, 0x2000 + i), 0);
	struct recv_arg a = { &c, N_MSGS };

	assert_true(test_rtk_wait(&t, got_all, &a));
	for (unsigned i = 0; i < N_MSGS; i++)
		assert_int_equal(c.got[i], 0x2000 + i);

	copro_rtkit_get_stats(t.rtk, &st);
	assert_int_equal(atomic_load(&c.traced_out), st.sent);
	assert_int_equal(atomic_load(&c.traced_in), st.received);
	test_rtk_close(&t);
	copro_mutex_destroy(&c.lock);
}

static void test_back_pressure(void **state)
{
	struct test_rtk t;
	struct client c;
	int ret = 0;
	unsigned sent = 0;

	open_app(&t, state, &c, &recv_ops);
	assert_int_equal(test_rtk_boot(&t), 0);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, EP), 0);
	/* A coprocessor that stops reading: the mailbox fills up. */
	test_rtk_cpu(&t, false);
	while (sent < 1000) {
		ret = copro_rtkit_send_message(t.rtk, EP, sent, 0);
		if (ret)
			break;
		sent++;
	}
	assert_int_equal(ret, -EAGAIN);
	assert_true(sent >= 16);
	assert_int_equal(copro_rtkit_send_message(t.rtk, EP, 0,
						  50 * COPRO_NSEC_PER_MSEC),
			 -ETIMEDOUT);
	assert_int_equal(copro_rtkit_flush(t.rtk, 50 * COPRO_NSEC_PER_MSEC),
			 -ETIMEDOUT);
	/* An atomic send busy-waits a bounded time for room, then gives up. */
	assert_int_equal(copro_rtkit_send_message_atomic(t.rtk, EP, 0), -ETIMEDOUT);
	test_logcap_expect(&t.cap, "no room in the mailbox for 500 ms (atomic send)");
	test_rtk_close(&t);
	copro_mutex_destroy(&c.lock);
}

/*
 * A coprocessor that restarts while a send waits for room: the send ends
 * with -ECONNRESET (its endpoint is gone with the old session), the new
 * HELLO is answered, and the new session works once the endpoint is
 * started again. The coprocessor stalls on the first application message
 * (its mailbox fills up behind it) and, released, restarts; it drains its
 * mailbox only once the waiting send has returned, so the send cannot
 * slip out before the host learnt of the restart.
 */
struct stall {
	_Atomic bool held, release;
	struct blocked *b;
};

struct blocked {
	struct copro_rtkit *rtk;
	_Atomic bool started, done;
	_Atomic int ret;
};

static bool stall_hook(void *ctx, struct test_iop *iop, uint8_t ep,
		       uint64_t msg)
{
	struct stall *st = ctx;
	uint64_t end = copro_deadline(TEST_TIMEOUT_NS);

	(void)msg;
	if (ep != EP || atomic_load(&st->held))
		return false;
	atomic_store(&st->held, true);
	while (!atomic_load(&st->release) && copro_deadline_left(end))
		copro_sleep_ns(COPRO_NSEC_PER_MSEC);
	test_iop_restart(iop);
	end = copro_deadline(TEST_TIMEOUT_NS);
	while (!atomic_load(&st->b->done) && copro_deadline_left(end))
		copro_sleep_ns(COPRO_NSEC_PER_MSEC);
	return true;
}

static void *blocked_send(void *arg)
{
	struct blocked *b = arg;

	atomic_store(&b->started, true);
	atomic_store(&b->ret, copro_rtkit_send_message(b->rtk, EP, 0xb10c,
						       2 * TEST_TIMEOUT_NS));
	atomic_store(&b->done, true);
	return NULL;
}

static bool held(void *arg)
{
	return atomic_load(&((struct stall *)arg)->held);
}

static bool restarted_and_running(void *arg)
{
	struct test_rtk *t = arg;
	struct copro_rtkit_stats st;

	copro_rtkit_get_stats(t->rtk, &st);
	return st.restarts == 1 && copro_rtkit_is_running(t->rtk);
}

static void test_restart_fails_blocked_send(void **state)
{
	struct blocked b = { 0 };
	struct stall st = { .b = &b };
	struct test_iop_config icfg = { .hook = stall_hook, .hook_ctx = &st };
	struct copro_rtkit_stats rs;
	struct copro_thread th = { 0 };
	struct test_rtk t;
	unsigned filled = 0;
	uint64_t got = 0;
	size_t cursor;

	test_rtk_open(&t, test_threaded(state), &icfg);
	assert_int_equal(test_rtk_create(&t, &(struct copro_rtkit_config){ 0 }), 0);
	assert_int_equal(test_rtk_boot(&t), 0);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, EP), 0);
	assert_int_equal(copro_rtkit_send_message(t.rtk, EP, 1, 0), 0);
	assert_true(test_rtk_wait(&t, held, &st));
	while (copro_rtkit_send_message(t.rtk, EP, 2, 0) == 0)
		filled++;
	assert_true(filled >= 15);
	b.rtk = t.rtk;
	assert_int_equal(copro_thread_start(&th, "blocked-send", blocked_send, &b), 0);
	while (!atomic_load(&b.started))
		copro_sleep_ns(COPRO_NSEC_PER_MSEC);
	/* The mailbox is full and the coprocessor stalled: the send waits. */
	copro_sleep_ns(100 * COPRO_NSEC_PER_MSEC);
	assert_false(atomic_load(&b.done));
	atomic_store(&st.release, true);
	copro_thread_join(&th);
	assert_int_equal(atomic_load(&b.ret), -ECONNRESET);

	assert_true(test_rtk_wait(&t, restarted_and_running, &t));
	test_logcap_expect(&t.cap, "the coprocessor restarted (HELLO while running)");
	/* The endpoint went with the old session; started again, it works. */
	assert_int_equal(copro_rtkit_send_message(t.rtk, EP, 3, 0), -EINVAL);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, EP), 0);
	cursor = test_iop_count(t.iop);
	assert_int_equal(copro_rtkit_send_message(t.rtk, EP, 4, TEST_TIMEOUT_NS), 0);
	assert_true(test_rtk_wait_ap(&t, &cursor, EP, -1, &got));
	assert_int_equal(got, 4);
	copro_rtkit_get_stats(t.rtk, &rs);
	assert_int_equal(rs.refused, 0);
	test_rtk_close(&t);
}

static void test_recv_early(void **state)
{
	struct test_rtk t;
	struct client c;
	struct copro_rtkit_stats st;

	open_app(&t, state, &c, &early_ops);
	assert_int_equal(test_rtk_boot(&t), 0);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, EP), 0);
	for (uint64_t i = 0; i < N_MSGS; i++)
		assert_int_equal(test_rtk_iop_send(&t, EP, i), 0);
	struct recv_arg a = { &c, N_MSGS };

	assert_true(test_rtk_wait(&t, got_all, &a));
	/* Every message was offered early; the odd ones stayed there. */
	assert_int_equal(atomic_load(&c.early_seen), N_MSGS);
	assert_int_equal(atomic_load(&c.early_taken), N_MSGS / 2);
	assert_int_equal(received(&c), N_MSGS / 2);
	for (unsigned i = 0; i < N_MSGS / 2; i++) {
		assert_int_equal(c.early[i], 2 * i + 1);
		assert_int_equal(c.got[i], 2 * i);
	}
	copro_rtkit_get_stats(t.rtk, &st);
	/* Handshake messages plus all 40. */
	assert_true(st.received >= N_MSGS);

	/* System messages are never offered early. */
	unsigned seen = atomic_load(&c.early_seen);
	size_t cur = test_iop_count(t.iop);

	test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, RTK_EP_TYPE_MAKE(8) | 1);
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_IOREPORT, 8, NULL));
	assert_int_equal(atomic_load(&c.early_seen), seen);
	test_rtk_close(&t);
	copro_mutex_destroy(&c.lock);
}

static void test_decode(void **state)
{
	char buf[128];

	(void)state;
	copro_rtkit_decode(buf, sizeof(buf), false, 0,
			   RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO) |
				   RTK_HELLO_MAKE(11, 12));
	assert_string_equal(buf, "mgmt HELLO min=11 max=12");
	copro_rtkit_decode(buf, sizeof(buf), true, 0,
			   RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) |
				   RTK_EPMAP_BASE_MAKE(2) | RTK_EPMAP_MORE);
	assert_string_equal(buf, "mgmt EPMAP_REPLY base=2 MORE");
	copro_rtkit_decode(buf, sizeof(buf), false, 0,
			   RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_AP_PWR_STATE) | 0x20);
	assert_string_equal(buf, "mgmt SET_AP_PWR_STATE_ACK state=ON (0x20)");
	copro_rtkit_decode(buf, sizeof(buf), false, 2,
			   RTK_EP_TYPE_MAKE(8) | RTK_SYSLOG_INIT_MAKE(8, 0x80));
	assert_string_equal(buf, "syslog INIT entries=8 msg_size=128");
	copro_rtkit_decode(buf, sizeof(buf), false, 0x8f, 0x1234);
	assert_string_equal(buf, "app 0x8f msg=0x0000000000001234");
	copro_rtkit_decode(buf, 10, false, 1,
			   RTK_EP_TYPE_MAKE(1) | RTK_BUF_SIZE_MAKE(4));
	assert_string_equal(buf, "crashlog ");
	/* Any value decodes to something. */
	for (unsigned ep = 0; ep < 0x100; ep++) {
		copro_rtkit_decode(buf, sizeof(buf), ep & 1, (uint8_t)ep,
				   ~0ull - ep);
		assert_true(strlen(buf) > 0);
		assert_non_null(copro_rtkit_ep_name((uint8_t)ep));
	}
	assert_string_equal(copro_rtkit_ep_name(0x20), "app 0x20");
	assert_string_equal(copro_rtkit_ep_name(0x0a), "tracekit");
	assert_string_equal(copro_rtkit_pwr_state_name(0x220), "INIT");
	assert_string_equal(copro_rtkit_pwr_state_name(0x7), "unknown");
	assert_string_equal(copro_rtkit_shmem_mode_name(COPRO_RTKIT_SHMEM_IOVA),
			    "IOVA");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_start_and_talk, NULL, NULL),
		TEST_BOTH(test_back_pressure, NULL, NULL),
		TEST_BOTH(test_recv_early, NULL, NULL),
		TEST_THREADED(test_restart_fails_blocked_send, NULL, NULL),
		cmocka_unit_test(test_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
