// SPDX-License-Identifier: MIT
/*
 * RTKit host library, the system endpoints: syslog (INIT, LOG, the ACK,
 * index and text validation), ioreport (echo of 8 and 0xc), oslog in
 * both schemes, debug, and unknown endpoints and types: refused and
 * logged, never answered, the host still running.
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

#define ENTRIES 4
#define MSG_SIZE 0x40

struct lines {
	int n;
	char context[8][128];
	char text[8][1100];
};

static void on_syslog(void *ctx, const char *context, const char *text)
{
	struct lines *l = ctx;

	if (l->n < 8) {
		snprintf(l->context[l->n], sizeof(l->context[0]), "%s", context);
		snprintf(l->text[l->n], sizeof(l->text[0]), "%s", text);
	}
	l->n++;
}

static const struct copro_rtkit_ops syslog_ops = { .syslog = on_syslog };

struct bench {
	struct test_rtk t;
	struct lines lines;
	const struct copro_rtkit_shmem *sh;
};

static uint64_t sys_msg(unsigned type, uint64_t fields)
{
	return RTK_EP_TYPE_MAKE(type) | fields;
}

static void open_syslog(struct bench *b, void **state, unsigned entries,
			unsigned msg_size, unsigned pages)
{
	struct copro_rtkit_config cfg = { .ops = &syslog_ops, .ctx = &b->lines };
	size_t cur;

	memset(&b->lines, 0, sizeof(b->lines));
	test_rtk_open(&b->t, test_threaded(state), NULL);
	assert_int_equal(test_rtk_create(&b->t, &cfg), 0);
	assert_int_equal(test_rtk_boot(&b->t), 0);
	cur = test_iop_count(b->t.iop);
	assert_int_equal(test_iop_send(b->t.iop, COPRO_RTKIT_EP_SYSLOG,
				       sys_msg(RTK_BUFFER_REQUEST,
					       RTK_BUF_SIZE_MAKE(pages))),
			 0);
	assert_true(test_rtk_wait_ap(&b->t, &cur, COPRO_RTKIT_EP_SYSLOG,
				     RTK_BUFFER_REQUEST, NULL));
	assert_int_equal(test_iop_send(b->t.iop, COPRO_RTKIT_EP_SYSLOG,
				       sys_msg(RTK_SYSLOG_INIT,
					       RTK_SYSLOG_INIT_MAKE(entries,
								    msg_size))),
			 0);
	b->sh = copro_rtkit_shmem(b->t.rtk, COPRO_RTKIT_EP_SYSLOG);
	assert_non_null(b->sh);
}

static void write_entry(struct bench *b, unsigned idx, unsigned msg_size,
			const char *context, const void *text, size_t len)
{
	uint64_t at = b->sh->iova + (uint64_t)idx * (0x20 + msg_size);
	char ctx[RTK_SYSLOG_CONTEXT_SIZE] = { 0 };

	memcpy(ctx, context, strlen(context));
	assert_int_equal(test_iop_dma_write(b->t.iop, at + RTK_SYSLOG_CONTEXT_OFF,
					    ctx, sizeof(ctx)),
			 0);
	assert_int_equal(test_iop_dma_write(b->t.iop, at + RTK_SYSLOG_TEXT_OFF,
					    text, len),
			 0);
}

/* Sends LOG idx; true when it was acknowledged (sent back unchanged). */
static bool log_line(struct bench *b, unsigned idx)
{
	uint64_t msg = sys_msg(RTK_SYSLOG_LOG, idx), got;
	size_t cur = test_iop_count(b->t.iop);

	assert_int_equal(test_iop_send(b->t.iop, COPRO_RTKIT_EP_SYSLOG, msg), 0);
	/* ioreport's echo marks the point where the LOG was handled. */
	assert_int_equal(test_iop_send(b->t.iop, COPRO_RTKIT_EP_IOREPORT,
				       sys_msg(RTK_IOREPORT_UNKNOWN2, 0x1234)),
			 0);
	size_t mark = cur;

	assert_true(test_rtk_wait_ap(&b->t, &mark, COPRO_RTKIT_EP_IOREPORT,
				     RTK_IOREPORT_UNKNOWN2, NULL));
	if (!test_iop_wait(b->t.iop, &cur, COPRO_RTKIT_EP_SYSLOG,
			   RTK_SYSLOG_LOG, &got, 0, NULL, NULL))
		return false;
	assert_int_equal(got, msg);
	return true;
}

static void test_syslog(void **state)
{
	struct bench b;
	struct copro_rtkit_stats st;

	open_syslog(&b, state, ENTRIES, MSG_SIZE, 1);
	write_entry(&b, 2, MSG_SIZE, "ans2", "hello from the IOP\n\n", 21);
	assert_true(log_line(&b, 2));
	test_logcap_expect(&b.t.cap, "info: rtk: syslog [ans2] hello from the IOP");
	assert_int_equal(b.lines.n, 1);
	assert_string_equal(b.lines.context[0], "ans2");
	assert_string_equal(b.lines.text[0], "hello from the IOP");

	/* No NUL: cut at the message size. Binary: escaped. */
	uint8_t text[MSG_SIZE];

	memset(text, 'A', sizeof(text));
	text[0] = 0x1b;
	text[1] = 0xff;
	text[2] = '\t';
	write_entry(&b, 3, MSG_SIZE, "0123456789abcdefghijklmn", text,
		    sizeof(text));
	assert_true(log_line(&b, 3));
	assert_int_equal(b.lines.n, 2);
	/* The context has no terminator either: 24 bytes, no more. */
	assert_string_equal(b.lines.context[1], "0123456789abcdefghijklmn");
	assert_int_equal(strncmp(b.lines.text[1], "\\x1b\\xff\\x09AAA", 15), 0);
	assert_int_equal(strlen(b.lines.text[1]), 3 * 4 + MSG_SIZE - 3);

	/*
	 * Index out of range: refused, and acknowledged all the same (the
	 * firmware waits for it before reusing the entry).
	 */
	assert_true(log_line(&b, ENTRIES));
	test_logcap_expect(&b.t.cap, "syslog LOG index 4, but there are 4 entries (acknowledged unread)");
	assert_true(log_line(&b, 0xff));
	assert_int_equal(b.lines.n, 2);
	copro_rtkit_get_stats(b.t.rtk, &st);
	assert_int_equal(st.syslog_lines, 2);
	assert_int_equal(st.refused, 2);
	assert_true(copro_rtkit_is_running(b.t.rtk));
	test_rtk_close(&b.t);
}

/* An INIT whose entries do not fit the buffer: only those that fit log. */
static void test_syslog_entry_past_buffer(void **state)
{
	struct bench b;

	open_syslog(&b, state, 200, 0xff, 1);
	/* Stride 0x11f: entry 13 ends at 0xfb2, entry 14 would end at 0x10d1. */
	write_entry(&b, 13, 0xff, "c", "last that fits", 15);
	assert_true(log_line(&b, 13));
	assert_true(log_line(&b, 14));
	test_logcap_expect(&b.t.cap,
			   "syslog entry 14 at 0xfb2 runs past the 0x1000-byte buffer");
	assert_true(log_line(&b, 199));
	assert_int_equal(b.lines.n, 1);
	test_rtk_close(&b.t);
}

static void test_syslog_before_init_or_buffer(void **state)
{
	struct test_rtk t;
	size_t cur;

	test_rtk_open(&t, test_threaded(state), NULL);
	assert_int_equal(test_rtk_create(&t, &(struct copro_rtkit_config){ 0 }),
			 0);
	assert_int_equal(test_rtk_boot(&t), 0);
	cur = test_iop_count(t.iop);
	test_iop_send(t.iop, 2, sys_msg(RTK_SYSLOG_LOG, 0));
	test_iop_send(t.iop, 2, sys_msg(RTK_SYSLOG_INIT, RTK_SYSLOG_INIT_MAKE(4, 0)));
	test_iop_send(t.iop, 2, sys_msg(RTK_SYSLOG_INIT, RTK_SYSLOG_INIT_MAKE(4, 8)));
	test_iop_send(t.iop, 2, sys_msg(RTK_SYSLOG_LOG, 0));
	test_iop_send(t.iop, 2, sys_msg(0x33, 0));
	test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, sys_msg(8, 0));
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_IOREPORT, 8, NULL));
	test_logcap_expect(&t.cap, "syslog LOG before INIT");
	test_logcap_expect(&t.cap, "syslog INIT with 4 entries of 0 bytes");
	test_logcap_expect(&t.cap, "syslog LOG without a buffer");
	test_logcap_expect(&t.cap, "unknown syslog message type 0x33");
	/* Both LOGs acknowledged, unread; nothing else answered. */
	assert_int_equal(test_iop_count_of(t.iop, 2, -1), 2);
	assert_int_equal(test_iop_count_of(t.iop, 2, RTK_SYSLOG_LOG), 2);
	test_rtk_close(&t);
}

static void test_ioreport(void **state)
{
	struct test_rtk t;
	struct copro_rtkit_stats st;
	size_t cur;
	uint64_t got;

	test_rtk_open(&t, test_threaded(state), NULL);
	assert_int_equal(test_rtk_create(&t, &(struct copro_rtkit_config){ 0 }),
			 0);
	assert_int_equal(test_rtk_boot(&t), 0);
	cur = test_iop_count(t.iop);
	uint64_t a = sys_msg(RTK_IOREPORT_UNKNOWN1, 0xabcdef0123ull);
	uint64_t c = sys_msg(RTK_IOREPORT_UNKNOWN2, 0xfffffffffffull) | 0xf0ull << 56;

	test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, sys_msg(5, 1));
	test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, a);
	test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, c);
	/* Echoed unchanged, every bit of them. */
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_IOREPORT, -1, &got));
	assert_int_equal(got, a);
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_IOREPORT, -1, &got));
	assert_int_equal(got, c);
	assert_int_equal(test_iop_count_of(t.iop, COPRO_RTKIT_EP_IOREPORT, -1), 2);
	test_logcap_expect(&t.cap, "unknown ioreport message type 0x5");
	copro_rtkit_get_stats(t.rtk, &st);
	assert_int_equal(st.ioreport_echoed, 2);
	assert_int_equal(st.refused, 1);
	test_rtk_close(&t);
}

/*
 * With an interrupt thread, a message whose handling needs no client
 * callback is answered from interrupt context (one thread hop instead of
 * three); an application message goes to the worker; a polled host
 * handles everything where it polls.
 */
static void test_interrupt_context(void **state)
{
	bool threaded = test_threaded(state);
	struct copro_rtkit_stats before, after;
	struct test_rtk t;
	size_t cur;
	uint64_t got, a = sys_msg(RTK_IOREPORT_UNKNOWN1, 0x1234);

	test_rtk_open(&t, threaded, NULL);
	assert_int_equal(test_rtk_create(&t, &(struct copro_rtkit_config){ 0 }),
			 0);
	assert_int_equal(test_rtk_boot(&t), 0);
	copro_rtkit_get_stats(t.rtk, &before);
	if (!threaded)
		assert_int_equal(before.irq_handled, 0);
	cur = test_iop_count(t.iop);
	/* Nobody holds the library's lock now: nothing sends it elsewhere. */
	test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, a);
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_IOREPORT, -1, &got));
	assert_int_equal(got, a);
	copro_rtkit_get_stats(t.rtk, &after);
	assert_int_equal(after.received, before.received + 1);
	assert_int_equal(after.irq_handled, before.irq_handled + threaded);
	test_rtk_close(&t);
}

/* Holds the firmware in its first application message until opened. */
struct gate {
	_Atomic bool closed;
};

static bool gate_hook(void *ctx, struct test_iop *iop, uint8_t ep,
		      uint64_t msg)
{
	struct gate *g = ctx;

	(void)iop;
	(void)msg;
	if (ep < TEST_IOP_APP_EP)
		return false;
	while (atomic_load(&g->closed))
		copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);
	return true;
}

struct received_arg {
	struct copro_rtkit *rtk;
	uint64_t n;
};

static bool received(void *arg)
{
	struct received_arg *a = arg;
	struct copro_rtkit_stats st;

	copro_rtkit_get_stats(a->rtk, &st);
	return st.received >= a->n;
}

/*
 * Back-pressure: with the send queue full, the interrupt thread must not
 * take a message whose answer it could not send without waiting (the
 * "room again" interrupt it would wait for runs on the interrupt thread
 * itself). The message goes to the worker, whose send waits for room,
 * and the answer leaves once the coprocessor drains its FIFO.
 */
static void test_full_send_queue_defers(void **state)
{
	struct gate g = { .closed = true };
	struct test_iop_config icfg = { .hook = gate_hook, .hook_ctx = &g };
	struct copro_rtkit_stats before, after;
	struct test_rtk t;
	struct received_arg ra;
	unsigned n = 0;
	size_t cur;
	uint64_t got, a = sys_msg(RTK_IOREPORT_UNKNOWN1, 0x5678);

	test_rtk_open(&t, test_threaded(state), &icfg);
	assert_int_equal(test_rtk_create(&t, &(struct copro_rtkit_config){ 0 }),
			 0);
	assert_int_equal(test_rtk_boot(&t), 0);
	assert_int_equal(copro_rtkit_start_ep(t.rtk, TEST_IOP_APP_EP), 0);
	/* The firmware stops in the first; its FIFO, then the queue fill. */
	while (copro_rtkit_send_message(t.rtk, TEST_IOP_APP_EP, n, 0) == 0)
		n++;
	assert_true(n > 16);
	copro_rtkit_get_stats(t.rtk, &before);
	cur = test_iop_count(t.iop);
	assert_int_equal(test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, a), 0);
	ra = (struct received_arg){ t.rtk, before.received + 1 };
	assert_true(test_rtk_wait(&t, received, &ra));
	atomic_store(&g.closed, false);
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_IOREPORT, -1, &got));
	assert_int_equal(got, a);
	copro_rtkit_get_stats(t.rtk, &after);
	assert_int_equal(after.irq_handled, before.irq_handled);
	assert_int_equal(after.ioreport_echoed, before.ioreport_echoed + 1);
	test_rtk_close(&t);
}

static void test_oslog(void **state)
{
	struct test_rtk t;
	size_t cur;
	uint64_t got;

	test_rtk_open(&t, test_threaded(state), NULL);
	assert_int_equal(test_rtk_create(&t, &(struct copro_rtkit_config){ 0 }),
			 0);
	assert_int_equal(test_rtk_boot(&t), 0);
	cur = test_iop_count(t.iop);
	/* Old firmware: INIT, answered with ACK. */
	test_iop_send(t.iop, COPRO_RTKIT_EP_OSLOG,
		      RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT));
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_OSLOG, -1, &got));
	assert_int_equal(got, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_ACK));
	assert_null(copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_OSLOG));
	/* Newer firmware: a buffer request in bytes, IOVA in pages. */
	test_iop_send(t.iop, COPRO_RTKIT_EP_OSLOG,
		      RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT) |
			      RTK_OSLOG_SIZE_MAKE(0x6000));
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_OSLOG, -1, &got));
	const struct copro_rtkit_shmem *sh =
		copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_OSLOG);

	assert_non_null(sh);
	assert_int_equal(sh->size, 0x6000);
	assert_int_equal(got, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT) |
				      RTK_OSLOG_SIZE_MAKE(0x6000) |
				      RTK_OSLOG_IOVA_MAKE(sh->iova >> 12));
	assert_int_equal(test_iop_dma_write(t.iop, sh->iova + 0x5fff, "!", 1), 0);
	/* Unknown oslog types. */
	test_iop_send(t.iop, COPRO_RTKIT_EP_OSLOG, RTK_OSLOG_TYPE_MAKE(7));
	test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, sys_msg(8, 0));
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_IOREPORT, 8, NULL));
	test_logcap_expect(&t.cap, "unknown oslog message type 0x7");
	test_rtk_close(&t);
}

/* Unknown and unmapped endpoints, messages to the debug endpoint. */
static void test_unknown_endpoints(void **state)
{
	struct test_iop_config icfg = {
		.eps = { (1ull << 1) | (1ull << 2) | (1ull << 3) | (1ull << 4) |
			 (1ull << 8) | (1ull << 5) | (1ull << 0x20) },
	};
	struct copro_rtkit_stats st;
	struct test_rtk t;
	size_t cur;

	test_rtk_open(&t, test_threaded(state), &icfg);
	assert_int_equal(test_rtk_create(&t, &(struct copro_rtkit_config){ 0 }),
			 0);
	assert_int_equal(test_rtk_boot(&t), 0);
	test_logcap_expect(&t.cap, "unknown system endpoint 0x05");
	cur = test_iop_count(t.iop);
	test_iop_send(t.iop, 0x05, 1);		 /* mapped, no protocol */
	test_iop_send(t.iop, 0x06, 1);		 /* unmapped system */
	test_iop_send(t.iop, 0x0a, 1);		 /* tracekit, unmapped here */
	test_iop_send(t.iop, 0x30, 1);		 /* unmapped application */
	test_iop_send(t.iop, 0xff, ~0ull);	 /* unmapped, all ones */
	test_iop_send(t.iop, COPRO_RTKIT_EP_DEBUG, 0x42); /* no protocol */
	test_iop_send(t.iop, COPRO_RTKIT_EP_CRASHLOG, sys_msg(9, 0));
	test_iop_send(t.iop, COPRO_RTKIT_EP_IOREPORT, sys_msg(8, 0));
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_IOREPORT, 8, NULL));
	copro_rtkit_get_stats(t.rtk, &st);
	assert_int_equal(st.refused, 7);
	test_logcap_expect(&t.cap, "endpoint 0x06 is not in the endpoint map");
	test_logcap_expect(&t.cap, "endpoint 0x30 is not in the endpoint map");
	test_logcap_expect(&t.cap, "no protocol is known for endpoint 0x03 (debug)");
	test_logcap_expect(&t.cap, "unknown crashlog message type 0x9");
	/* Nothing but the echo went back, and the host is unharmed. */
	assert_int_equal(test_iop_count(t.iop), cur);
	assert_true(copro_rtkit_is_running(t.rtk));
	test_rtk_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_syslog, NULL, NULL),
		TEST_BOTH(test_syslog_entry_past_buffer, NULL, NULL),
		TEST_BOTH(test_syslog_before_init_or_buffer, NULL, NULL),
		TEST_BOTH(test_ioreport, NULL, NULL),
		TEST_BOTH(test_interrupt_context, NULL, NULL),
		/* Polled, the waiting send would be the test's own thread. */
		TEST_THREADED(test_full_send_queue_defers, NULL, NULL),
		TEST_BOTH(test_oslog, NULL, NULL),
		TEST_BOTH(test_unknown_endpoints, NULL, NULL),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
