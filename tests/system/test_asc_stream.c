/* SPDX-License-Identifier: MIT */
/*
 * A million messages host -> ASC model -> echo firmware -> host on the
 * t8103 board, every one checked to come back exactly once and in order:
 * once with the platform's interrupt thread and deferred delivery by the
 * framework's worker, once fully polled from the sending thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <copro/asc.h>
#include <copro/error.h>
#include <copro/mbox.h>
#include <copro/regs/asc.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>

#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define STREAM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STREAM_SANITIZED 1
#endif
#endif

#ifndef STREAM_COUNT
#ifdef STREAM_SANITIZED
#define STREAM_COUNT 200000u
#else
#define STREAM_COUNT 1000000u
#endif
#endif

/*
 * A stream may take long on a loaded machine (and longer under the
 * sanitizers); only one that stops moving is stuck. The deadline is for
 * progress: it restarts whenever another message arrives.
 */
#define STREAM_STALL_NS (60 * COPRO_NSEC_PER_SEC)

#define EP 0x20u

/* Polled loop: how long to spin on an idle mailbox before sleeping. */
#define IDLE_SPINS 64
#define IDLE_SLEEP_NS (5 * COPRO_NSEC_PER_USEC)

static uint32_t pattern(uint64_t seq)
{
	/* 24 bits that change with every message and differ from seq. */
	return (uint32_t)((seq * 0x9e3779b1u) >> 8) & 0xffffffu;
}

static struct copro_asc_msg make_msg(uint64_t seq)
{
	return (struct copro_asc_msg){ .msg0 = seq,
				       .msg1 = pattern(seq) << 8 | EP };
}

struct sink {
	_Atomic uint64_t received;
	uint64_t expect;	/* written by one delivering context at a time */
	_Atomic uint64_t bad;
	uint64_t first_bad_seq, first_bad_got;
	struct copro_event ev;
};

static void sink_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct sink *s = ctx;
	const struct copro_asc_msg *m = msg;
	struct copro_asc_msg want = make_msg(s->expect);

	(void)chan;
	if (len != sizeof(*m) || m->msg0 != want.msg0 ||
	    m->msg1 != want.msg1) {
		if (atomic_fetch_add(&s->bad, 1) == 0) {
			s->first_bad_seq = s->expect;
			s->first_bad_got = len == sizeof(*m) ? m->msg0 : ~0ull;
		}
	}
	s->expect++;
	atomic_store_explicit(&s->received, s->expect, memory_order_release);
	copro_event_signal(&s->ev);
}

struct stream {
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_sim_asc *model;
	struct copro_mmio *cpu;
	struct copro_asc *asc;
	struct copro_mbox_chan *chan;
	struct sink sink;
};

static void stream_open(struct stream *st, bool threaded)
{
	struct copro_board_config cfg = {
		.log = test_logcap_log(&st->cap),
		.threaded = threaded,
	};
	struct copro_mbox_client cl = {
		.ctx = &st->sink,
		.rx = sink_rx,
		.rx_mode = COPRO_MBOX_RX_DEFERRED,
	};
	const struct copro_dt *dt;
	uint64_t phys, size;
	int node;

	assert_int_equal(test_logcap_init(&st->cap), 0);
	/* Per-message debug lines would dominate the run. */
	copro_log_set_level(test_logcap_log(&st->cap), COPRO_LOG_INFO);
	copro_event_init(&st->sink.ev);
	assert_int_equal(copro_board_create(&cfg, &st->b), 0);
	st->p = copro_board_platform(st->b);
	st->model = copro_board_first_asc(st->b);
	assert_non_null(st->model);
	/* The board runs RTKit on the ANS mailbox; the stream wants echoes. */
	assert_int_equal(copro_sim_asc_set_firmware(st->model,
						    copro_sim_fw_echo()),
			 0);
	dt = copro_board_dt(st->b);
	node = copro_sim_asc_node(st->model);
	assert_int_equal(copro_dt_reg(dt, node, 0, &phys, &size), 0);
	assert_int_equal(copro_mmio_map(st->p, phys - ASC_MBOX_OFFSET,
					ASC_CPU_REGION_SIZE, &st->cpu),
			 0);
	assert_int_equal(copro_asc_probe(st->p, node, &st->asc), 0);
	assert_int_equal(copro_mbox_request(st->p, copro_dt_node_name(dt, node),
					    0, &cl, &st->chan),
			 0);
	copro_writel(st->cpu, ASC_CPU_CONTROL, ASC_CPU_CONTROL_RUN);
}

static void stream_check_and_close(struct stream *st, uint64_t n,
				   uint64_t t0)
{
	uint64_t elapsed = copro_time_ns() - t0;
	struct copro_sim_asc_stats ms;
	struct copro_mbox_stats s;

	copro_writel(st->cpu, ASC_CPU_CONTROL, 0);
	copro_sim_asc_get_stats(st->model, &ms);
	copro_mbox_get_stats(st->chan, &s);
	/* For the reader only: nothing here asserts on time. */
	printf("# %" PRIu64 " messages in %.2f s: sent %" PRIu64
	       ", received %" PRIu64 ", backpressure %" PRIu64
	       ", rx stalls %" PRIu64 "\n",
	       n, (double)elapsed / 1e9, s.sent, s.received, s.backpressure,
	       s.rx_stalls);
	if (atomic_load(&st->sink.bad))
		printf("# first bad message: expected seq %" PRIu64
		       ", got 0x%" PRIx64 "\n",
		       st->sink.first_bad_seq, st->sink.first_bad_got);

	assert_int_equal(atomic_load(&st->sink.received), n);
	assert_int_equal(atomic_load(&st->sink.bad), 0);
	assert_int_equal(s.sent, n);
	assert_int_equal(s.received, n);
	assert_int_equal(ms.a2i_pushed, n);
	assert_int_equal(ms.i2a_popped, n);
	assert_int_equal(ms.a2i_overflows, 0);
	assert_int_equal(ms.a2i_underflows, 0);
	assert_int_equal(ms.i2a_overflows, 0);
	assert_int_equal(ms.i2a_underflows, 0);
	assert_int_equal(ms.bad_accesses, 0);

	copro_mbox_free(st->chan);
	copro_asc_remove(st->asc);
	copro_mmio_unmap(st->cpu);
	copro_board_destroy(st->b);
	test_logcap_destroy(&st->cap);
}

static bool all_received(struct stream *st, uint64_t n)
{
	return atomic_load_explicit(&st->sink.received,
				    memory_order_acquire) >= n;
}

/* Restarts *deadline while messages keep arriving; false once stuck. */
static bool still_moving(struct stream *st, uint64_t *seen,
			 uint64_t *deadline)
{
	uint64_t now = atomic_load_explicit(&st->sink.received,
					    memory_order_acquire);

	if (now != *seen) {
		*seen = now;
		*deadline = copro_deadline(STREAM_STALL_NS);
		return true;
	}
	if (copro_deadline_left(*deadline) > 0)
		return true;
	printf("# stuck: no message for %d s, %" PRIu64 " received\n",
	       (int)(STREAM_STALL_NS / COPRO_NSEC_PER_SEC), now);
	return false;
}

/* Interrupt thread + worker deliver; this thread only sends, blocking. */
static void test_stream_threaded(void **state)
{
	struct stream *st = calloc(1, sizeof(*st));
	const uint64_t n = STREAM_COUNT;
	uint64_t deadline, t0, seen = 0;

	(void)state;
	assert_non_null(st);
	printf("# streaming %" PRIu64 " messages (threaded)\n", n);
	stream_open(st, true);
	t0 = copro_time_ns();
	for (uint64_t seq = 0; seq < n; seq++) {
		struct copro_asc_msg m = make_msg(seq);
		int ret = copro_mbox_send(st->chan, &m, sizeof(m),
					  TEST_TIMEOUT_NS);

		if (ret != 0) {
			printf("# send %" PRIu64 " failed: %s\n", seq,
			       copro_strerror(ret));
			assert_int_equal(ret, 0);
		}
	}
	deadline = copro_deadline(STREAM_STALL_NS);
	while (!all_received(st, n) && still_moving(st, &seen, &deadline)) {
		uint32_t key = copro_event_prepare(&st->sink.ev);

		if (all_received(st, n))
			break;
		copro_event_wait(&st->sink.ev, key,
				 copro_deadline_left(deadline),
				 COPRO_SPIN_DEFAULT_NS);
	}
	stream_check_and_close(st, n, t0);
	free(st);
}

/*
 * No host threads: this thread sends without blocking and, whenever the
 * queue pushes back, polls the mailbox to move replies (and credit)
 * along. Only the firmware's thread runs beside it.
 */
static void test_stream_polled(void **state)
{
	struct stream *st = calloc(1, sizeof(*st));
	const uint64_t n = STREAM_COUNT;
	uint64_t deadline, t0, seq = 0, seen = 0;
	unsigned idle = 0;

	(void)state;
	assert_non_null(st);
	printf("# streaming %" PRIu64 " messages (polled)\n", n);
	stream_open(st, false);
	t0 = copro_time_ns();
	deadline = copro_deadline(STREAM_STALL_NS);
	while (seq < n || !all_received(st, n)) {
		if (seq < n) {
			struct copro_asc_msg m = make_msg(seq);
			int ret = copro_mbox_send(st->chan, &m, sizeof(m), 0);

			if (ret == 0) {
				seq++;
				idle = 0;
				continue;
			}
			if (ret != -EAGAIN) {
				printf("# send %" PRIu64 " failed: %s\n", seq,
				       copro_strerror(ret));
				assert_int_equal(ret, 0);
			}
		}
		if (copro_mbox_poll(st->chan) > 0) {
			idle = 0;
			continue;
		}
		if (!still_moving(st, &seen, &deadline))
			break;
		/*
		 * Nothing moved: the firmware is behind. Spinning on would
		 * keep it off a shared core, so back off after a while.
		 */
		if (++idle < IDLE_SPINS)
			copro_cpu_relax();
		else
			copro_sleep_ns(IDLE_SLEEP_NS);
	}
	stream_check_and_close(st, n, t0);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_threaded),
		cmocka_unit_test(test_stream_polled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
