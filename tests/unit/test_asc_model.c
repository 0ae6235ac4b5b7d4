/* SPDX-License-Identifier: MIT */
/*
 * The ASC model through real MMIO on the t8103 board: every register's
 * side effects, the FIFO limits, the RECV1 bookkeeping, the four
 * interrupt lines, and the coprocessor CPU's RUN bit with firmware.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/regs/asc.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>
#include <copro/sim/raw.h>
#include <copro/os.h>

#include "testutil.h"

enum { SEND_EMPTY, SEND_NOT_EMPTY, RECV_EMPTY, RECV_NOT_EMPTY, NLINES };

static const char *const line_names[NLINES] = {
	ASC_IRQ_SEND_EMPTY,
	ASC_IRQ_SEND_NOT_EMPTY,
	ASC_IRQ_RECV_EMPTY,
	ASC_IRQ_RECV_NOT_EMPTY,
};

struct fx {
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_bus *bus;
	struct copro_sim_asc *asc;
	struct copro_mmio *mbox, *cpu;
	unsigned line[NLINES];
};

static void fx_open(struct fx *f)
{
	struct copro_board_config cfg = { .log = test_logcap_log(&f->cap) };
	const struct copro_dt *dt;
	uint64_t phys, size;
	int node;

	assert_int_equal(copro_board_create(&cfg, &f->b), 0);
	f->p = copro_board_platform(f->b);
	f->bus = copro_board_bus(f->b);
	f->asc = copro_board_first_asc(f->b);
	assert_non_null(f->asc);
	/* The board runs RTKit on the ANS mailbox; these tests want echoes. */
	assert_int_equal(copro_sim_asc_set_firmware(f->asc, copro_sim_fw_echo()),
			 0);
	dt = copro_board_dt(f->b);
	node = copro_sim_asc_node(f->asc);
	assert_ptr_equal(copro_board_asc(f->b, node), f->asc);
	assert_int_equal(copro_dt_reg(dt, node, 0, &phys, &size), 0);
	assert_int_equal(copro_mmio_map(f->p, phys, size, &f->mbox), 0);
	assert_int_equal(copro_mmio_map(f->p, phys - ASC_MBOX_OFFSET,
					ASC_CPU_REGION_SIZE, &f->cpu),
			 0);
	for (int i = 0; i < NLINES; i++)
		assert_int_equal(copro_dt_irq_by_name(dt, node, line_names[i],
						      &f->line[i]),
				 0);
}

static void fx_close(struct fx *f)
{
	copro_mmio_unmap(f->cpu);
	copro_mmio_unmap(f->mbox);
	copro_board_destroy(f->b);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(test_logcap_init(&f->cap), 0);
	fx_open(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_close(f);
	test_logcap_destroy(&f->cap);
	free(f);
	return 0;
}

static struct copro_sim_asc_stats stats(struct fx *f)
{
	struct copro_sim_asc_stats s;

	copro_sim_asc_get_stats(f->asc, &s);
	return s;
}

/* The AP pushes into A2I, the IOP side (through its registers) into I2A. */
static void a2i_push(struct fx *f, uint64_t msg0, uint32_t msg1)
{
	copro_writeq(f->mbox, ASC_A2I_SEND0, msg0);
	copro_writeq(f->mbox, ASC_A2I_SEND1, msg1);
}

static void i2a_push(struct fx *f, uint64_t msg0, uint32_t msg1)
{
	copro_writeq(f->mbox, ASC_I2A_SEND0, msg0);
	copro_writeq(f->mbox, ASC_I2A_SEND1, msg1);
}

static void pop(struct fx *f, bool a2i, uint64_t *msg0, uint64_t *recv1)
{
	*msg0 = copro_readq(f->mbox, a2i ? ASC_A2I_RECV0 : ASC_I2A_RECV0);
	*recv1 = copro_readq(f->mbox, a2i ? ASC_A2I_RECV1 : ASC_I2A_RECV1);
}

static bool level(struct fx *f, int which)
{
	return copro_bus_irq_get(f->bus, f->line[which]);
}

/* ---- registers ------------------------------------------------------- */

static void test_send1_pushes_send0_does_not(void **state)
{
	struct fx *f = *state;
	uint64_t m0, r1;

	copro_writeq(f->mbox, ASC_A2I_SEND0, 0x1122334455667788ull);
	assert_int_equal(stats(f).a2i_pushed, 0);
	assert_int_equal(copro_readl(f->mbox, ASC_A2I_CONTROL),
			 ASC_CONTROL_EMPTY);

	/* Only the low 32 bits of SEND1 are the message. */
	copro_writeq(f->mbox, ASC_A2I_SEND1, 0xdeadbeef000000abull);
	assert_int_equal(stats(f).a2i_pushed, 1);
	assert_int_equal(copro_readl(f->mbox, ASC_A2I_CONTROL), 0);

	/* The latch stays: a second SEND1 pushes the same msg0 again. */
	copro_writeq(f->mbox, ASC_A2I_SEND1, 0xcd);
	assert_int_equal(stats(f).a2i_pushed, 2);

	pop(f, true, &m0, &r1);
	assert_int_equal(m0, 0x1122334455667788ull);
	assert_int_equal(r1 & ASC_RECV1_MSG_MASK, 0xab);
	pop(f, true, &m0, &r1);
	assert_int_equal(m0, 0x1122334455667788ull);
	assert_int_equal(r1 & ASC_RECV1_MSG_MASK, 0xcd);
	assert_int_equal(stats(f).a2i_popped, 2);
	assert_int_equal(copro_readl(f->mbox, ASC_A2I_CONTROL),
			 ASC_CONTROL_EMPTY);
	/* Nothing leaked into the other direction. */
	assert_int_equal(stats(f).i2a_pushed, 0);
	assert_int_equal(copro_readl(f->mbox, ASC_I2A_CONTROL),
			 ASC_CONTROL_EMPTY);
}

static void test_recv0_peeks_recv1_pops(void **state)
{
	struct fx *f = *state;

	i2a_push(f, 0xaaaa, 1);
	i2a_push(f, 0xbbbb, 2);
	assert_int_equal(copro_readq(f->mbox, ASC_I2A_RECV0), 0xaaaa);
	assert_int_equal(copro_readq(f->mbox, ASC_I2A_RECV0), 0xaaaa);
	assert_int_equal(stats(f).i2a_popped, 0);
	assert_int_equal(copro_readq(f->mbox, ASC_I2A_RECV1) &
				 ASC_RECV1_MSG_MASK,
			 1);
	assert_int_equal(stats(f).i2a_popped, 1);
	assert_int_equal(copro_readq(f->mbox, ASC_I2A_RECV0), 0xbbbb);
	assert_int_equal(copro_readq(f->mbox, ASC_I2A_RECV1) &
				 ASC_RECV1_MSG_MASK,
			 2);
	/* An empty FIFO peeks as 0 and counts nothing. */
	assert_int_equal(copro_readq(f->mbox, ASC_I2A_RECV0), 0);
	assert_int_equal(stats(f).i2a_underflows, 0);
}

static void check_control_at(struct fx *f, bool a2i)
{
	uint64_t ctl = a2i ? ASC_A2I_CONTROL : ASC_I2A_CONTROL;
	uint64_t m0, r1;

	assert_int_equal(copro_readl(f->mbox, ctl), ASC_CONTROL_EMPTY);
	for (int n = 1; n <= ASC_FIFO_DEPTH; n++) {
		if (a2i)
			a2i_push(f, (uint64_t)n, (uint32_t)n);
		else
			i2a_push(f, (uint64_t)n, (uint32_t)n);
		if (n == ASC_FIFO_DEPTH)
			assert_int_equal(copro_readl(f->mbox, ctl),
					 ASC_CONTROL_FULL);
		else
			assert_int_equal(copro_readl(f->mbox, ctl), 0);
	}
	for (int n = ASC_FIFO_DEPTH - 1; n >= 0; n--) {
		pop(f, a2i, &m0, &r1);
		assert_int_equal(copro_readl(f->mbox, ctl),
				 n == 0 ? ASC_CONTROL_EMPTY : 0);
	}
}

static void test_control_bits(void **state)
{
	struct fx *f = *state;

	check_control_at(f, true);
	check_control_at(f, false);
}

static void test_overflow_loses_the_17th(void **state)
{
	struct fx *f = *state;
	struct copro_sim_asc_stats s;
	uint64_t m0, r1;

	for (uint32_t i = 0; i < ASC_FIFO_DEPTH + 1; i++)
		a2i_push(f, 0x100 + i, i);
	s = stats(f);
	assert_int_equal(s.a2i_pushed, ASC_FIFO_DEPTH);
	assert_int_equal(s.a2i_overflows, 1);
	assert_true(test_logcap_contains(&f->cap, "A2I FIFO overflow"));
	assert_true(test_logcap_contains(&f->cap, "0x00000010 lost"));

	for (uint32_t i = 0; i < ASC_FIFO_DEPTH; i++) {
		pop(f, true, &m0, &r1);
		assert_int_equal(m0, 0x100 + i);
		assert_int_equal(r1 & ASC_RECV1_MSG_MASK, i);
	}
	assert_int_equal(copro_readl(f->mbox, ASC_A2I_CONTROL),
			 ASC_CONTROL_EMPTY);

	/* The I2A direction fails the same way. */
	for (uint32_t i = 0; i < ASC_FIFO_DEPTH + 2; i++)
		i2a_push(f, i, i);
	assert_int_equal(stats(f).i2a_overflows, 2);
	assert_int_equal(stats(f).i2a_pushed, ASC_FIFO_DEPTH);
}

static void test_underflow(void **state)
{
	struct fx *f = *state;
	uint64_t r1 = copro_readq(f->mbox, ASC_I2A_RECV1);

	assert_int_equal(r1 & ASC_RECV1_MSG_MASK, 0);
	assert_int_equal((r1 >> ASC_RECV1_OUTCNT_SHIFT) & 0x1f, 0);
	assert_int_equal(stats(f).i2a_underflows, 1);
	assert_int_equal(stats(f).i2a_popped, 0);
	assert_true(test_logcap_contains(&f->cap, "I2A FIFO underflow"));

	r1 = copro_readq(f->mbox, ASC_A2I_RECV1);
	assert_int_equal(r1 & ASC_RECV1_MSG_MASK, 0);
	assert_int_equal(stats(f).a2i_underflows, 1);
	/* The FIFO still works afterwards. */
	i2a_push(f, 5, 6);
	assert_int_equal(copro_readq(f->mbox, ASC_I2A_RECV1) &
				 ASC_RECV1_MSG_MASK,
			 6);
}

struct bk {
	unsigned inptr, outptr, incnt, outcnt;
};

static struct bk decode(uint64_t r1)
{
	return (struct bk){
		.inptr = (r1 >> ASC_RECV1_INPTR_SHIFT) & 0xf,
		.outptr = (r1 >> ASC_RECV1_OUTPTR_SHIFT) & 0xf,
		.incnt = (r1 >> ASC_RECV1_INCNT_SHIFT) & 0xf,
		.outcnt = (r1 >> ASC_RECV1_OUTCNT_SHIFT) & 0x1f,
	};
}

static void test_recv1_bookkeeping(void **state)
{
	struct fx *f = *state;
	uint64_t m0, r1;
	struct bk k;

	/* Three in, the first out: next write slot 3, reading slot 0. */
	for (uint32_t i = 0; i < 3; i++)
		i2a_push(f, i, 0x40 + i);
	pop(f, false, &m0, &r1);
	k = decode(r1);
	assert_int_equal(r1 & ASC_RECV1_MSG_MASK, 0x40);
	assert_int_equal(k.inptr, 3);
	assert_int_equal(k.outptr, 0);
	assert_int_equal(k.outcnt, 3);
	assert_int_equal(k.incnt, 2);
	/* Bits between the fields stay clear. */
	assert_int_equal(r1 & ~(ASC_RECV1_MSG_MASK | (0x1ffffull << 40)), 0);

	pop(f, false, &m0, &r1);
	k = decode(r1);
	assert_int_equal(k.outptr, 1);
	assert_int_equal(k.outcnt, 2);
	assert_int_equal(k.incnt, 1);
	pop(f, false, &m0, &r1);
	k = decode(r1);
	assert_int_equal(k.outptr, 2);
	assert_int_equal(k.outcnt, 1);
	assert_int_equal(k.incnt, 0);

	/* Full: 16 entries need OUTCNT's fifth bit; the write index wraps. */
	for (uint32_t i = 0; i < ASC_FIFO_DEPTH; i++)
		i2a_push(f, i, i);
	pop(f, false, &m0, &r1);
	k = decode(r1);
	assert_int_equal(k.outcnt, 16);
	assert_int_equal(k.incnt, 15);
	assert_int_equal(k.outptr, 3);
	assert_int_equal(k.inptr, (3 + 16) % 16);
	for (unsigned i = 1; i < ASC_FIFO_DEPTH; i++) {
		pop(f, false, &m0, &r1);
		k = decode(r1);
		assert_int_equal(k.outptr, (3 + i) % 16);
		assert_int_equal(k.outcnt, 16 - i);
		assert_int_equal(k.incnt, 15 - i);
	}

	/* An underflow reports the pointers and zero counts. */
	r1 = copro_readq(f->mbox, ASC_I2A_RECV1);
	k = decode(r1);
	assert_int_equal(k.inptr, 3);
	assert_int_equal(k.outptr, 3);
	assert_int_equal(k.incnt, 0);
	assert_int_equal(k.outcnt, 0);
}

static void check_lines(struct fx *f, bool a2i_empty, bool i2a_empty)
{
	assert_int_equal(level(f, SEND_EMPTY), a2i_empty);
	assert_int_equal(level(f, SEND_NOT_EMPTY), !a2i_empty);
	assert_int_equal(level(f, RECV_EMPTY), i2a_empty);
	assert_int_equal(level(f, RECV_NOT_EMPTY), !i2a_empty);
}

static void test_interrupt_levels(void **state)
{
	struct fx *f = *state;
	uint64_t m0, r1;

	check_lines(f, true, true);
	a2i_push(f, 1, 1);
	check_lines(f, false, true);
	for (int i = 1; i < ASC_FIFO_DEPTH; i++)
		a2i_push(f, 1, 1);
	check_lines(f, false, true);
	/* An overflow changes nothing. */
	a2i_push(f, 1, 1);
	check_lines(f, false, true);

	i2a_push(f, 2, 2);
	check_lines(f, false, false);
	for (int i = 1; i < ASC_FIFO_DEPTH; i++) {
		pop(f, true, &m0, &r1);
		check_lines(f, false, false);
	}
	pop(f, true, &m0, &r1);
	check_lines(f, true, false);
	/* An underflow changes nothing either. */
	pop(f, true, &m0, &r1);
	check_lines(f, true, false);
	pop(f, false, &m0, &r1);
	check_lines(f, true, true);
	i2a_push(f, 3, 3);
	check_lines(f, true, false);
	pop(f, false, &m0, &r1);
	check_lines(f, true, true);
}

static void test_bad_accesses(void **state)
{
	struct fx *f = *state;

	/* Writes to the status registers are ignored. */
	copro_writel(f->mbox, ASC_A2I_CONTROL, ASC_CONTROL_FULL);
	copro_writel(f->mbox, ASC_I2A_CONTROL, 0);
	assert_int_equal(copro_readl(f->mbox, ASC_A2I_CONTROL),
			 ASC_CONTROL_EMPTY);
	assert_int_equal(stats(f).bad_accesses, 2);
	assert_true(test_logcap_contains(&f->cap, "write of mailbox register"
						  " 0x110"));

	/* Wrong widths. */
	assert_int_equal(copro_readq(f->mbox, ASC_A2I_CONTROL), 0);
	copro_writel(f->mbox, ASC_A2I_SEND0, 1);
	copro_writel(f->mbox, ASC_A2I_SEND1, 1);
	assert_int_equal(copro_readl(f->mbox, ASC_I2A_RECV1), 0);
	assert_int_equal(stats(f).bad_accesses, 6);
	assert_int_equal(stats(f).a2i_pushed, 0);

	/* Write-only and unknown registers. */
	assert_int_equal(copro_readq(f->mbox, ASC_A2I_SEND0), 0);
	assert_int_equal(copro_readl(f->mbox, 0), 0);
	copro_writeq(f->mbox, ASC_I2A_RECV0, 1);
	copro_writeq(f->mbox, 0x1000, 1);
	assert_int_equal(stats(f).bad_accesses, 10);

	/* The CPU block knows only CPU_CONTROL, 32 bits wide. */
	assert_int_equal(copro_readl(f->cpu, 0x40), 0);
	assert_int_equal(copro_readq(f->cpu, ASC_CPU_CONTROL - 4), 0);
	copro_writeq(f->cpu, 0x48, ASC_CPU_CONTROL_RUN);
	assert_int_equal(stats(f).bad_accesses, 13);
	assert_false(copro_sim_asc_cpu_running(f->asc));
	assert_true(test_logcap_contains(&f->cap, "CPU register 0x40"));

	/* None of it disturbed the FIFOs. */
	check_lines(f, true, true);
	assert_int_equal(stats(f).a2i_underflows + stats(f).i2a_underflows, 0);
}

/* ---- the CPU ----------------------------------------------------------- */

static void cpu_run(struct fx *f, bool run)
{
	copro_writel(f->cpu, ASC_CPU_CONTROL, run ? ASC_CPU_CONTROL_RUN : 0);
}

static bool i2a_has(void *arg)
{
	struct fx *f = arg;

	return !(copro_readl(f->mbox, ASC_I2A_CONTROL) & ASC_CONTROL_EMPTY);
}

struct i2a_count {
	struct fx *f;
	uint64_t n;
};

static bool i2a_pushed_reached(void *arg)
{
	struct i2a_count *c = arg;

	return stats(c->f).i2a_pushed >= c->n;
}

static void expect_echo(struct fx *f, uint64_t msg0, uint32_t msg1)
{
	uint64_t m0, r1;

	assert_true(test_wait_until(i2a_has, f, TEST_TIMEOUT_NS));
	pop(f, false, &m0, &r1);
	assert_int_equal(m0, msg0);
	assert_int_equal(r1 & ASC_RECV1_MSG_MASK, msg1);
}

static void test_cpu_run_echo(void **state)
{
	struct fx *f = *state;
	struct copro_sim_asc_stats s;

	assert_int_equal(copro_readl(f->cpu, ASC_CPU_CONTROL), 0);
	assert_false(copro_sim_asc_cpu_running(f->asc));

	/* Other bits read back as written. */
	copro_writel(f->cpu, ASC_CPU_CONTROL, ASC_CPU_CONTROL_RUN | 0x1);
	assert_int_equal(copro_readl(f->cpu, ASC_CPU_CONTROL),
			 ASC_CPU_CONTROL_RUN | 0x1);
	assert_true(copro_sim_asc_cpu_running(f->asc));
	a2i_push(f, 0xfeedface, 0x20);
	expect_echo(f, 0xfeedface, 0x20);

	/* Writing RUN again does not start a second CPU. */
	cpu_run(f, true);
	assert_int_equal(stats(f).cpu_starts, 1);

	cpu_run(f, false);
	assert_false(copro_sim_asc_cpu_running(f->asc));
	assert_int_equal(copro_readl(f->cpu, ASC_CPU_CONTROL), 0);
	/* A stopped CPU echoes nothing. */
	a2i_push(f, 7, 7);
	assert_false(i2a_has(f));

	cpu_run(f, true);
	expect_echo(f, 7, 7);
	cpu_run(f, false);
	s = stats(f);
	assert_int_equal(s.cpu_starts, 2);
	assert_int_equal(s.cpu_stops, 2);
	/* Stopping a stopped CPU is a no-op. */
	cpu_run(f, false);
	assert_int_equal(stats(f).cpu_stops, 2);
}

/*
 * A restart (RUN right after a stop) finds the CPU thread still watching
 * for RUN after its halt: no wake-up. Its first start, a start after the
 * watch, and any start with the watch off find it asleep. The watch is
 * made long (10 s) where it must catch a restart, so nothing depends on
 * when each thread runs; the default (20 us) is bench boot's business.
 */
static void test_cpu_restart_finds_the_cpu_awake(void **state)
{
	struct fx *f = *state;
	struct copro_sim_asc_stats s;

	cpu_run(f, true);
	a2i_push(f, 1, 1);
	expect_echo(f, 1, 1);
	assert_int_equal(stats(f).cpu_starts_spinning, 0);

	copro_sim_asc_set_restart_watch(f->asc, 10 * COPRO_NSEC_PER_SEC);
	for (unsigned i = 0; i < 20; i++) {
		cpu_run(f, false);
		if (i % 2)
			copro_sleep_ns(COPRO_NSEC_PER_MSEC);
		cpu_run(f, true);
		a2i_push(f, i, 0x20);
		expect_echo(f, i, 0x20);
	}
	s = stats(f);
	assert_int_equal(s.cpu_starts, 21);
	assert_int_equal(s.cpu_starts_spinning, 20);

	/* The watch is bounded: 1 ms of it, RUN 50 ms after the stop. */
	copro_sim_asc_set_restart_watch(f->asc, COPRO_NSEC_PER_MSEC);
	cpu_run(f, false);
	copro_sleep_ns(50 * COPRO_NSEC_PER_MSEC);
	cpu_run(f, true);
	a2i_push(f, 2, 2);
	expect_echo(f, 2, 2);
	assert_int_equal(stats(f).cpu_starts_spinning, 20);

	/* Off: however soon RUN comes, the thread was asleep or about to be. */
	copro_sim_asc_set_restart_watch(f->asc, 0);
	for (unsigned i = 0; i < 20; i++) {
		cpu_run(f, false);
		cpu_run(f, true);
	}
	a2i_push(f, 3, 3);
	expect_echo(f, 3, 3);
	assert_int_equal(stats(f).cpu_starts_spinning, 20);
	cpu_run(f, false);
}

/* A firmware that records what it receives and how its waits end. */
#define REC_MAX 64
struct rec_fw {
	struct copro_asc_msg got[REC_MAX];
	_Atomic unsigned n;
	_Atomic int last_ret;
	_Atomic unsigned runs, returns;
	/* Before receiving, push this many messages into I2A. */
	unsigned burst;
	_Atomic int burst_ret;
	_Atomic bool saw_stopping;
};

static void rec_run(void *ctx, struct copro_sim_asc *asc)
{
	struct rec_fw *r = ctx;
	struct copro_asc_msg m;
	int ret;

	atomic_fetch_add(&r->runs, 1);
	for (unsigned i = 0; i < r->burst; i++) {
		m = (struct copro_asc_msg){ .msg0 = 0xb000 + i, .msg1 = i };
		ret = copro_sim_asc_iop_send(asc, &m, COPRO_FOREVER);
		atomic_store(&r->burst_ret, ret);
		if (ret < 0)
			break;
	}
	for (;;) {
		ret = copro_sim_asc_iop_recv(asc, &m, COPRO_FOREVER);
		if (ret < 0)
			break;
		unsigned n = atomic_load(&r->n);

		r->got[n % REC_MAX] = m;
		atomic_store(&r->n, n + 1);
	}
	atomic_store(&r->last_ret, ret);
	atomic_store(&r->saw_stopping, copro_sim_asc_iop_stopping(asc));
	atomic_fetch_add(&r->returns, 1);
}

static bool rec_started(void *arg)
{
	struct rec_fw *r = arg;

	return atomic_load(&r->runs) >= 1;
}

static bool rec_has(void *arg)
{
	struct rec_fw *r = arg;

	return atomic_load(&r->n) >= 3;
}

static void test_cpu_recording_firmware(void **state)
{
	struct fx *f = *state;
	struct rec_fw *r = calloc(1, sizeof(*r));
	struct copro_sim_asc_fw fw = { .name = "rec", .run = rec_run, .ctx = r };

	assert_non_null(r);
	assert_int_equal(copro_sim_asc_set_firmware(f->asc, &fw), 0);
	cpu_run(f, true);
	assert_true(test_wait_until(rec_started, r, TEST_TIMEOUT_NS));
	/* The firmware cannot be swapped under a running CPU. */
	assert_int_equal(copro_sim_asc_set_firmware(f->asc,
						    copro_sim_fw_echo()),
			 -EBUSY);

	for (uint32_t i = 0; i < 3; i++)
		a2i_push(f, 0xa0 + i, 0x20 + i);
	assert_true(test_wait_until(rec_has, r, TEST_TIMEOUT_NS));
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(r->got[i].msg0, 0xa0 + i);
		assert_int_equal(r->got[i].msg1, 0x20 + i);
	}
	assert_int_equal(stats(f).a2i_popped, 3);

	/* Stop wakes the firmware out of its wait; it sees -ESHUTDOWN. */
	cpu_run(f, false);
	assert_int_equal(atomic_load(&r->returns), 1);
	assert_int_equal(atomic_load(&r->last_ret), -ESHUTDOWN);
	assert_true(atomic_load(&r->saw_stopping));

	cpu_run(f, true);
	cpu_run(f, false);
	assert_int_equal(atomic_load(&r->runs), 2);
	assert_int_equal(atomic_load(&r->returns), 2);
	free(r);
}

/* A firmware that notes which thread runs it, then idles until stopped. */
struct where_fw {
	pid_t tid[2];	/* kernel thread ids: never reused right away */
	_Atomic unsigned runs;
};

static void where_run(void *ctx, struct copro_sim_asc *asc)
{
	struct where_fw *w = ctx;
	struct copro_asc_msg m;
	unsigned n = atomic_load(&w->runs);

	if (n < 2)
		w->tid[n] = (pid_t)syscall(SYS_gettid);
	atomic_store(&w->runs, n + 1);
	while (copro_sim_asc_iop_recv(asc, &m, COPRO_FOREVER) == 0)
		;
}

static bool where_ran(void *arg)
{
	return atomic_load(&((struct where_fw *)arg)->runs) >= 1;
}

/*
 * The CPU thread is the model's from its creation: RUN wakes it, it does
 * not create it, so every start runs the firmware on the same thread.
 */
static void test_cpu_thread_is_the_models(void **state)
{
	struct fx *f = *state;
	struct where_fw *w = calloc(1, sizeof(*w));
	struct copro_sim_asc_fw fw = { .name = "where", .run = where_run,
				       .ctx = w };

	assert_non_null(w);
	assert_int_equal(copro_sim_asc_set_firmware(f->asc, &fw), 0);
	for (unsigned i = 0; i < 2; i++) {
		atomic_store(&w->runs, i);
		cpu_run(f, true);
		assert_true(test_wait_until(where_ran, w, TEST_TIMEOUT_NS));
		cpu_run(f, false);
	}
	assert_int_equal(atomic_load(&w->runs), 2);
	/* Another thread than ours, and the same one both times. */
	assert_int_not_equal(w->tid[0], (pid_t)syscall(SYS_gettid));
	assert_int_equal(w->tid[0], w->tid[1]);
	free(w);
}

static void test_cpu_stop_wakes_blocked_send(void **state)
{
	struct fx *f = *state;
	struct rec_fw *r = calloc(1, sizeof(*r));
	struct copro_sim_asc_fw fw = { .name = "burst", .run = rec_run,
				       .ctx = r };
	struct i2a_count full = { f, ASC_FIFO_DEPTH };

	assert_non_null(r);
	r->burst = ASC_FIFO_DEPTH + 4;
	assert_int_equal(copro_sim_asc_set_firmware(f->asc, &fw), 0);
	cpu_run(f, true);
	/* The firmware fills I2A and waits for room: no overflow. */
	assert_true(test_wait_until(i2a_pushed_reached, &full,
				    TEST_TIMEOUT_NS));
	assert_int_equal(copro_readl(f->mbox, ASC_I2A_CONTROL),
			 ASC_CONTROL_FULL);
	cpu_run(f, false);
	assert_int_equal(atomic_load(&r->burst_ret), -ESHUTDOWN);
	assert_int_equal(atomic_load(&r->returns), 1);
	assert_int_equal(stats(f).i2a_overflows, 0);
	assert_int_equal(stats(f).i2a_pushed, ASC_FIFO_DEPTH);
	free(r);
}

static void test_fifo_contents_survive_stop(void **state)
{
	struct fx *f = *state;

	/* Messages sent to a stopped CPU wait for it. */
	for (uint32_t i = 0; i < 5; i++)
		a2i_push(f, 0x500 + i, i);
	cpu_run(f, true);
	for (uint32_t i = 0; i < 5; i++)
		expect_echo(f, 0x500 + i, i);

	/* Replies sent before a stop stay readable after it... */
	a2i_push(f, 0x600, 1);
	a2i_push(f, 0x601, 2);
	struct i2a_count two = { f, 7 };
	assert_true(test_wait_until(i2a_pushed_reached, &two, TEST_TIMEOUT_NS));
	cpu_run(f, false);
	/* ...and requests sent while stopped are served after a restart. */
	a2i_push(f, 0x602, 3);
	assert_int_equal(copro_readl(f->mbox, ASC_A2I_CONTROL), 0);
	expect_echo(f, 0x600, 1);
	expect_echo(f, 0x601, 2);
	assert_false(i2a_has(f));
	cpu_run(f, true);
	expect_echo(f, 0x602, 3);
	cpu_run(f, false);
}

static void idle_run(void *ctx, struct copro_sim_asc *asc)
{
	(void)ctx;
	(void)asc;
}

static void test_iop_calls(void **state)
{
	struct fx *f = *state;
	struct copro_sim_asc_fw fw = { .name = "idle", .run = idle_run };
	struct copro_asc_msg m = { .msg0 = 9, .msg1 = 9 };

	/* A CPU that is not running has no IOP side to speak of. */
	assert_true(copro_sim_asc_iop_stopping(f->asc));
	assert_int_equal(copro_sim_asc_iop_recv(f->asc, &m, 0), -ESHUTDOWN);

	/* A firmware that returns at once leaves the test to play the IOP. */
	assert_int_equal(copro_sim_asc_set_firmware(f->asc, &fw), 0);
	cpu_run(f, true);
	assert_false(copro_sim_asc_iop_stopping(f->asc));
	assert_int_equal(copro_sim_asc_iop_recv(f->asc, &m, 0), -ETIMEDOUT);
	assert_int_equal(copro_sim_asc_iop_recv(f->asc, &m,
						COPRO_NSEC_PER_MSEC),
			 -ETIMEDOUT);
	a2i_push(f, 0x77, 0x78);
	assert_int_equal(copro_sim_asc_iop_recv(f->asc, &m, 0), 0);
	assert_int_equal(m.msg0, 0x77);
	assert_int_equal(m.msg1, 0x78);

	for (int i = 0; i < ASC_FIFO_DEPTH; i++)
		assert_int_equal(copro_sim_asc_iop_send(f->asc, &m, 0), 0);
	assert_int_equal(copro_sim_asc_iop_send(f->asc, &m, 0), -ETIMEDOUT);
	assert_int_equal(copro_sim_asc_iop_send(f->asc, &m,
						COPRO_NSEC_PER_MSEC),
			 -ETIMEDOUT);
	assert_int_equal(stats(f).i2a_overflows, 0);
	check_lines(f, true, false);
	cpu_run(f, false);
	assert_int_equal(copro_sim_asc_iop_send(f->asc, &m, 0), -ESHUTDOWN);

	/* No firmware at all: RUN starts a CPU that does nothing. */
	assert_int_equal(copro_sim_asc_set_firmware(f->asc, NULL), 0);
	cpu_run(f, true);
	assert_true(copro_sim_asc_cpu_running(f->asc));
	cpu_run(f, false);
}

static void test_identity(void **state)
{
	struct fx *f = *state;

	assert_ptr_equal(copro_sim_asc_bus(f->asc), f->bus);
	assert_string_equal(copro_sim_asc_name(f->asc), "mbox@277408000");
	assert_true(copro_dt_is_compatible(copro_board_dt(f->b),
					   copro_sim_asc_node(f->asc),
					   COPRO_ASC_COMPATIBLE));
	assert_null(copro_board_asc(f->b, 0));
}

static void test_two_boards(void **state)
{
	struct fx *a = *state;
	struct fx *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	assert_int_equal(test_logcap_init(&b->cap), 0);
	fx_open(b);
	assert_ptr_not_equal(a->asc, b->asc);

	cpu_run(a, true);
	cpu_run(b, true);
	a2i_push(a, 0xa, 1);
	a2i_push(b, 0xb, 2);
	a2i_push(b, 0xbb, 3);
	expect_echo(a, 0xa, 1);
	expect_echo(b, 0xb, 2);
	expect_echo(b, 0xbb, 3);
	assert_false(i2a_has(a));
	assert_int_equal(stats(a).a2i_pushed, 1);
	assert_int_equal(stats(b).a2i_pushed, 2);

	/* Stopping one leaves the other running. */
	cpu_run(a, false);
	a2i_push(b, 0xc, 4);
	expect_echo(b, 0xc, 4);
	cpu_run(b, false);

	fx_close(b);
	test_logcap_destroy(&b->cap);
	free(b);
}

/* Destroying a board whose CPU runs stops the CPU. */
static void test_destroy_running(void **state)
{
	(void)state;
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(test_logcap_init(&f->cap), 0);
	fx_open(f);
	cpu_run(f, true);
	a2i_push(f, 1, 1);
	fx_close(f);
	test_logcap_destroy(&f->cap);
	free(f);
}

/* ---- the FIFOs across threads ----------------------------------------- */

/*
 * The AP pushes a numbered stream through A2I from one thread, the IOP
 * echoes it, and the AP pops it from I2A in another: every message must
 * come back whole and in order, with RECV1's bookkeeping and the lines
 * agreeing with CONTROL all along. The model's FIFOs take no lock common
 * to the two sides: an entry read before its producer's store is visible,
 * an index published too early or a line left behind by a racing push and
 * pop fails here (the stream keeps both FIFOs filling and draining at
 * once).
 */
#define STRESS_N 20000u
#define STRESS_TIMEOUT_NS (120 * COPRO_NSEC_PER_SEC)

static uint32_t stress_tag(uint64_t seq)
{
	return (uint32_t)(seq * 2654435761u) ^ 0x5a5a5a5au;
}

struct stress {
	struct fx *f;
	_Atomic uint64_t fw_got, fw_bad, bad;
	/* The last level each line's raw hook heard (watched runs). */
	_Atomic int heard[NLINES];
};

static void stress_note(struct stress *s, const char *what, uint64_t seq)
{
	if (atomic_fetch_add(&s->bad, 1) < 5)
		print_error("stress: %s at message %llu\n", what,
			    (unsigned long long)seq);
}

static void stress_fw_run(void *ctx, struct copro_sim_asc *asc)
{
	struct stress *s = ctx;
	struct copro_asc_msg m;
	uint64_t want = 0;

	while (copro_sim_asc_iop_recv(asc, &m, COPRO_FOREVER) == 0) {
		if (m.msg0 != want || m.msg1 != stress_tag(want))
			atomic_fetch_add(&s->fw_bad, 1);
		want = m.msg0 + 1;
		atomic_store(&s->fw_got, want);
		if (copro_sim_asc_iop_send(asc, &m, COPRO_FOREVER) < 0)
			break;
	}
}

static bool stress_late(uint64_t deadline)
{
	return copro_deadline_left(deadline) == 0;
}

/* The only A2I producer: its lines' "empty" holds until it pushes. */
static void *stress_producer(void *arg)
{
	struct stress *s = arg;
	struct fx *f = s->f;
	uint64_t deadline = copro_deadline(STRESS_TIMEOUT_NS);

	for (uint64_t seq = 0; seq < STRESS_N; seq++) {
		uint32_t ctl;

		for (;;) {
			bool empty_line = level(f, SEND_EMPTY);

			ctl = copro_readl(f->mbox, ASC_A2I_CONTROL);
			if (empty_line && !(ctl & ASC_CONTROL_EMPTY))
				stress_note(s, "send-empty up, A2I not empty",
					    seq);
			if (ctl & ASC_CONTROL_EMPTY &&
			    (!level(f, SEND_EMPTY) || level(f, SEND_NOT_EMPTY)))
				stress_note(s, "A2I empty, lines say not", seq);
			if (!(ctl & ASC_CONTROL_FULL) || stress_late(deadline))
				break;
			sched_yield();
		}
		a2i_push(f, seq, stress_tag(seq));
	}
	return NULL;
}

/* The only I2A consumer: its lines' "not empty" holds until it pops. */
static void stress_consume(struct stress *s)
{
	struct fx *f = s->f;
	uint64_t deadline = copro_deadline(STRESS_TIMEOUT_NS);

	for (uint64_t seq = 0; seq < STRESS_N; seq++) {
		uint64_t m0, r1, out, outcnt, incnt, in;
		uint32_t ctl;

		for (;;) {
			bool full_line = level(f, RECV_NOT_EMPTY);

			ctl = copro_readl(f->mbox, ASC_I2A_CONTROL);
			if (full_line && (ctl & ASC_CONTROL_EMPTY))
				stress_note(s, "recv-not-empty up, I2A empty",
					    seq);
			if (!(ctl & ASC_CONTROL_EMPTY))
				break;
			if (stress_late(deadline)) {
				stress_note(s, "timed out waiting", seq);
				return;
			}
			sched_yield();
		}
		if (!level(f, RECV_NOT_EMPTY) || level(f, RECV_EMPTY))
			stress_note(s, "I2A not empty, lines say empty", seq);
		pop(f, false, &m0, &r1);
		out = (r1 >> ASC_RECV1_OUTPTR_SHIFT) & 0xf;
		in = (r1 >> ASC_RECV1_INPTR_SHIFT) & 0xf;
		outcnt = (r1 >> ASC_RECV1_OUTCNT_SHIFT) & 0x1f;
		incnt = (r1 >> ASC_RECV1_INCNT_SHIFT) & 0xf;
		if (m0 != seq || (r1 & ASC_RECV1_MSG_MASK) != stress_tag(seq))
			stress_note(s, "wrong message", seq);
		if (out != (seq & 0xf) || outcnt < 1 ||
		    outcnt > ASC_FIFO_DEPTH || incnt != outcnt - 1 ||
		    in != ((out + outcnt) & 0xf))
			stress_note(s, "RECV1 bookkeeping", seq);
	}
}

static void stress_hook(void *ctx, unsigned line, bool lv)
{
	struct stress *s = ctx;

	for (int i = 0; i < NLINES; i++)
		if (s->f->line[i] == line)
			atomic_store(&s->heard[i], lv);
}

static void run_stress(struct fx *f, bool watched)
{
	struct stress *s = calloc(1, sizeof(*s));
	struct copro_sim_asc_fw fw = { .name = "stress", .run = stress_fw_run };
	struct copro_sim_asc_stats st;
	struct copro_thread prod;

	assert_non_null(s);
	s->f = f;
	fw.ctx = s;
	for (int i = 0; i < NLINES; i++) {
		atomic_init(&s->heard[i], level(f, i));
		if (watched)
			assert_int_equal(copro_raw_irq_hook(f->bus, f->line[i],
							    stress_hook, s),
					 0);
	}
	assert_int_equal(copro_bus_irq_watched(f->bus), watched);
	assert_int_equal(copro_sim_asc_set_firmware(f->asc, &fw), 0);
	cpu_run(f, true);
	assert_int_equal(copro_thread_start(&prod, "stress-ap", stress_producer,
					    s),
			 0);
	stress_consume(s);
	copro_thread_join(&prod);
	cpu_run(f, false);

	assert_int_equal(atomic_load(&s->bad), 0);
	assert_int_equal(atomic_load(&s->fw_bad), 0);
	assert_int_equal(atomic_load(&s->fw_got), STRESS_N);
	st = stats(f);
	assert_int_equal(st.a2i_pushed, STRESS_N);
	assert_int_equal(st.a2i_popped, STRESS_N);
	assert_int_equal(st.i2a_pushed, STRESS_N);
	assert_int_equal(st.i2a_popped, STRESS_N);
	assert_int_equal(st.a2i_overflows + st.i2a_overflows, 0);
	assert_int_equal(st.a2i_underflows + st.i2a_underflows, 0);
	/* Both FIFOs empty, and every line says so. */
	assert_true(level(f, SEND_EMPTY));
	assert_false(level(f, SEND_NOT_EMPTY));
	assert_true(level(f, RECV_EMPTY));
	assert_false(level(f, RECV_NOT_EMPTY));
	if (watched) {
		/* Every change was told, the last one last. */
		for (int i = 0; i < NLINES; i++) {
			assert_int_equal(atomic_load(&s->heard[i]), level(f, i));
			copro_raw_irq_unhook(f->bus, f->line[i]);
		}
	}
	free(s);
}

static void test_fifo_stress(void **state)
{
	run_stress(*state, false);
}

/* The same while a raw hook hears every edge: the exact path. */
static void test_fifo_stress_watched(void **state)
{
	run_stress(*state, true);
}

/*
 * A firmware waiting for room in a full I2A must wake when the AP pops,
 * however close to its going to sleep the pop comes. The AP's pop does
 * not fence between storing its index and looking for sleepers (a fence
 * there cost the round trip a cache line's wait): the waiter counts
 * itself and then issues the heavy barrier. The AP pops one message at a
 * time, after a wait that scatters the pop around the moment the
 * firmware stops spinning (COPRO_SPIN_DEFAULT_NS) and sleeps. Without
 * the waiter's barrier a wake-up is lost in about one run in five
 * (the firmware sleeps through the room and its send times out).
 */
#define ROOM_N 20000u

struct room_fw {
	_Atomic uint64_t sent;
	_Atomic int ret;
};

static void room_fw_run(void *ctx, struct copro_sim_asc *asc)
{
	struct room_fw *r = ctx;

	for (uint64_t i = 0; i < ROOM_N + ASC_FIFO_DEPTH; i++) {
		struct copro_asc_msg m = { .msg0 = i, .msg1 = stress_tag(i) };
		int ret = copro_sim_asc_iop_send(asc, &m, TEST_TIMEOUT_NS);

		if (ret < 0) {
			atomic_store(&r->ret, ret);
			return;
		}
		atomic_store(&r->sent, i + 1);
	}
}

static bool room_done(void *arg)
{
	struct room_fw *r = arg;

	return atomic_load(&r->ret) ||
	       atomic_load(&r->sent) == ROOM_N + ASC_FIFO_DEPTH;
}

/* Until I2A is full (or the firmware gave up): false if it never is. */
static bool room_wait_full(struct fx *f, struct room_fw *r)
{
	uint64_t deadline = copro_deadline(TEST_TIMEOUT_NS);

	while (!(copro_readl(f->mbox, ASC_I2A_CONTROL) & ASC_CONTROL_FULL)) {
		if (atomic_load(&r->ret) || stress_late(deadline))
			return false;
		copro_cpu_relax();
	}
	return true;
}

static void test_room_waiter_wakes(void **state)
{
	struct fx *f = *state;
	struct room_fw *r = calloc(1, sizeof(*r));
	struct copro_sim_asc_fw fw = { .name = "room", .run = room_fw_run,
				       .ctx = r };
	uint64_t seed = 0x9e3779b97f4a7c15ull, bad = 0;

	assert_non_null(r);
	assert_int_equal(copro_sim_asc_set_firmware(f->asc, &fw), 0);
	cpu_run(f, true);
	for (uint64_t seq = 0; seq < ROOM_N; seq++) {
		uint64_t m0, r1;

		if (!room_wait_full(f, r))
			break;
		/* 19 to 21 us: around the end of the firmware's spin. */
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t until = copro_time_ns() + 19 * COPRO_NSEC_PER_USEC +
				 (seed >> 33) % (2 * COPRO_NSEC_PER_USEC);
		while (copro_time_ns() < until)
			copro_cpu_relax();
		pop(f, false, &m0, &r1);
		if (m0 != seq || (r1 & ASC_RECV1_MSG_MASK) != stress_tag(seq))
			bad++;
	}
	/* The last pop made room for the last 16 (or a send gave up). */
	assert_true(test_wait_until(room_done, r, TEST_TIMEOUT_NS));
	assert_int_equal(atomic_load(&r->ret), 0);
	assert_int_equal(atomic_load(&r->sent), ROOM_N + ASC_FIFO_DEPTH);
	assert_int_equal(bad, 0);
	cpu_run(f, false);
	free(r);
}

/*
 * Two writers of I2A at once: the firmware on the model's CPU thread and
 * another thread through the same IOP calls (a test, as here). The IOP
 * side's locks are biased to the CPU thread, which takes them with plain
 * stores; the other writer must revoke that bias each time it pushes.
 * Every message of each writer must arrive once and in its writer's
 * order; with the push unserialised (the bias not revoked, or no lock)
 * two pushes take the same slot and messages are lost.
 */
#define TWO_N 20000u

struct two_writers {
	struct copro_sim_asc *asc;
	_Atomic int ret;
};

static void two_push(struct two_writers *w, uint32_t tag)
{
	for (uint64_t i = 0; i < TWO_N; i++) {
		struct copro_asc_msg m = { .msg0 = i, .msg1 = tag };
		int ret = copro_sim_asc_iop_send(w->asc, &m, TEST_TIMEOUT_NS);

		if (ret < 0) {
			atomic_store(&w->ret, ret);
			return;
		}
	}
}

static void two_fw_run(void *ctx, struct copro_sim_asc *asc)
{
	(void)asc;
	two_push(ctx, 1);
}

static void *two_thread(void *arg)
{
	two_push(arg, 2);
	return NULL;
}

static void test_iop_second_writer(void **state)
{
	struct fx *f = *state;
	struct two_writers w = { .asc = f->asc };
	struct copro_sim_asc_fw fw = { .name = "two", .run = two_fw_run,
				       .ctx = &w };
	struct copro_thread t = { 0 };
	uint64_t next[3] = { 0 }, bad = 0;
	uint64_t deadline = copro_deadline(TEST_TIMEOUT_NS);

	assert_int_equal(copro_sim_asc_set_firmware(f->asc, &fw), 0);
	cpu_run(f, true);
	assert_int_equal(copro_thread_start(&t, "second", two_thread, &w), 0);
	while (next[1] + next[2] < 2 * TWO_N && !atomic_load(&w.ret) &&
	       !stress_late(deadline)) {
		uint32_t ctl = copro_readl(f->mbox, ASC_I2A_CONTROL);
		uint64_t m0, r1;
		uint32_t tag;

		/*
		 * Let the FIFO fill, then empty it at once: both writers then
		 * race to refill it, on the two cores, while this one sleeps.
		 */
		if (!(ctl & ASC_CONTROL_FULL) &&
		    next[1] + next[2] + ASC_FIFO_DEPTH <= 2 * TWO_N) {
			copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
			continue;
		}
		if (ctl & ASC_CONTROL_EMPTY)
			continue;
		pop(f, false, &m0, &r1);
		tag = (uint32_t)(r1 & ASC_RECV1_MSG_MASK);
		if ((tag != 1 && tag != 2) || m0 != next[tag]) {
			bad++;
			continue;
		}
		next[tag]++;
	}
	copro_thread_join(&t);
	assert_int_equal(atomic_load(&w.ret), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(next[1], TWO_N);
	assert_int_equal(next[2], TWO_N);
	assert_int_equal(stats(f).i2a_overflows, 0);
	cpu_run(f, false);
}

/*
 * RECV0 read by another CPU than the one popping: a host is free to read
 * any register from any core (a second thread of a driver, a debugger,
 * a hostile guest), and the register gives the head's msg0 or, racing a
 * pop and the refill of that slot, another message's. The model must
 * give the same without a data race on its ring (ThreadSanitizer: the
 * peek's read of a slot against the firmware's push into it, 16 messages
 * later; fuzz_mmio_models found it).
 */
#define PEEK_ROUNDS 400u
#define PEEK_BURST 8u

struct peeker {
	const struct copro_mmio *mbox;
	_Atomic bool stop;
	_Atomic uint64_t seen, bad;
};

static void *peek_thread(void *arg)
{
	struct peeker *p = arg;

	while (!atomic_load(&p->stop)) {
		uint64_t v = copro_readq(p->mbox, ASC_I2A_RECV0);

		/* Empty (0), or a message of the stream. */
		if (v >= (uint64_t)PEEK_ROUNDS * PEEK_BURST + 1)
			atomic_fetch_add(&p->bad, 1);
		atomic_fetch_add(&p->seen, 1);
	}
	return NULL;
}

static void test_recv0_from_another_cpu(void **state)
{
	struct fx *f = *state;
	struct peeker p = { .mbox = f->mbox };
	struct copro_thread t = { 0 };
	struct i2a_count want = { f, 0 };
	uint64_t next = 1, m0, r1;

	cpu_run(f, true);
	assert_int_equal(copro_thread_start(&t, "peeker", peek_thread, &p), 0);
	for (unsigned r = 0; r < PEEK_ROUNDS; r++) {
		for (unsigned i = 0; i < PEEK_BURST; i++)
			a2i_push(f, next + i, (uint32_t)(next + i));
		want.n += PEEK_BURST;
		assert_true(test_wait_until(i2a_pushed_reached, &want,
					    TEST_TIMEOUT_NS));
		for (unsigned i = 0; i < PEEK_BURST; i++, next++) {
			pop(f, false, &m0, &r1);
			assert_int_equal(m0, next);
			assert_int_equal((uint32_t)r1, (uint32_t)next);
		}
	}
	atomic_store(&p.stop, true);
	copro_thread_join(&t);
	assert_int_equal(atomic_load(&p.bad), 0);
	assert_true(atomic_load(&p.seen) > 0);
	cpu_run(f, false);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_send1_pushes_send0_does_not),
		T(test_recv0_peeks_recv1_pops),
		T(test_control_bits),
		T(test_overflow_loses_the_17th),
		T(test_underflow),
		T(test_recv1_bookkeeping),
		T(test_interrupt_levels),
		T(test_bad_accesses),
		T(test_cpu_run_echo),
		T(test_cpu_restart_finds_the_cpu_awake),
		T(test_cpu_recording_firmware),
		T(test_cpu_thread_is_the_models),
		T(test_cpu_stop_wakes_blocked_send),
		T(test_fifo_contents_survive_stop),
		T(test_iop_calls),
		T(test_identity),
		T(test_two_boards),
		T(test_fifo_stress),
		T(test_fifo_stress_watched),
		T(test_room_waiter_wakes),
		T(test_iop_second_writer),
		T(test_recv0_from_another_cpu),
		cmocka_unit_test(test_destroy_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
