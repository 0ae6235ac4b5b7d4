/* SPDX-License-Identifier: MIT */
/*
 * The three mailbox layouts Linux's drivers/soc/apple/mailbox.c drives,
 * ASC v4 (t8103), the A11's ASC (t8015) and M3 v2 (the t8103 board with
 * its mailbox declared "apple,m3-mailbox-v2"):
 *  - the model against a hand-written host: each layout's registers at
 *    its offsets and no others, the FIFO limits, where the CPU control
 *    block is, and M3's latched interrupts with IRQ_ENABLE and IRQ_ACK;
 *  - the driver against the model: message streams through the echo
 *    firmware with the FIFO filling up, and M3's acknowledgements (a
 *    driver that skipped them would see "send-empty" fire at once with
 *    the FIFO full, and "recv-not-empty" stay up with it empty).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <libfdt.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <copro/asc.h>
#include <copro/error.h>
#include <copro/mbox.h>
#include <copro/regs/asc.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>

#include "testutil.h"

enum variant { V4, T8015, M3, NVARIANTS };

static const char *const variant_board[NVARIANTS] = { "t8103", "t8015",
						       "t8103" };

enum { SEND_EMPTY, SEND_NOT_EMPTY, RECV_EMPTY, RECV_NOT_EMPTY, NLINES };

static const char *const line_names[NLINES] = {
	ASC_IRQ_SEND_EMPTY, ASC_IRQ_SEND_NOT_EMPTY, ASC_IRQ_RECV_EMPTY,
	ASC_IRQ_RECV_NOT_EMPTY,
};

struct fx {
	struct test_logcap cap;
	enum variant v;
	const struct asc_layout *lay;
	char dtb[64 * 1024];
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_bus *bus;
	struct copro_sim_asc *asc;
	int node;
	uint64_t mbox_phys;
	struct copro_mmio *mbox, *cpu;
	unsigned line[NLINES];
};

static const struct asc_layout *layout(const char *compatible)
{
	size_t n;
	const struct asc_layout *l = asc_layouts(&n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i].compatible, compatible))
			return &l[i];
	fail_msg("no layout %s", compatible);
	return NULL;
}

/* The t8103 board, its mailbox declared an M3 mailbox. */
static void m3_dtb(struct fx *f)
{
	static const char compat[] = "apple,t8103-m3-mailbox\0"
				     "apple,m3-mailbox-v2";
	struct copro_dt *dt;
	int node;

	assert_int_equal(copro_board_dt_open("t8103", NULL, &dt), 0);
	assert_int_equal(fdt_open_into(copro_dt_blob(dt), f->dtb,
				       sizeof(f->dtb)),
			 0);
	copro_dt_close(dt);
	node = fdt_node_offset_by_compatible(f->dtb, -1,
					     "apple,asc-mailbox-v4");
	assert_true(node >= 0);
	assert_int_equal(fdt_setprop(f->dtb, node, "compatible", compat,
				     sizeof(compat)),
			 0);
	assert_int_equal(fdt_pack(f->dtb), 0);
}

static void fx_open(struct fx *f, enum variant v, bool threaded)
{
	struct copro_board_config cfg = {
		.board = variant_board[v],
		.log = test_logcap_log(&f->cap),
		.threaded = threaded,
	};
	const struct copro_dt *dt;
	uint64_t phys, size;

	f->v = v;
	if (v == M3) {
		m3_dtb(f);
		cfg.dtb = f->dtb;
		cfg.dtb_size = fdt_totalsize(f->dtb);
	}
	assert_int_equal(copro_board_create(&cfg, &f->b), 0);
	f->p = copro_board_platform(f->b);
	f->bus = copro_board_bus(f->b);
	dt = copro_board_dt(f->b);
	f->node = copro_asc_next(dt, -1);
	assert_true(f->node >= 0);
	f->asc = copro_board_asc(f->b, f->node);
	assert_non_null(f->asc);
	f->lay = layout(copro_sim_asc_layout(f->asc));
	assert_string_equal(f->lay->compatible,
			    v == V4	 ? ASC_COMPAT_V4
			    : v == M3 ? ASC_COMPAT_M3
				      : ASC_COMPAT_T8015);
	/* The board runs RTKit on this mailbox; these tests want echoes. */
	assert_int_equal(copro_sim_asc_set_firmware(f->asc, copro_sim_fw_echo()),
			 0);
	assert_int_equal(copro_dt_reg(dt, f->node, 0, &f->mbox_phys, &size),
			 0);
	assert_int_equal(copro_mmio_map(f->p, f->mbox_phys, size, &f->mbox), 0);
	copro_sim_asc_cpu_region(f->asc, &phys, &size);
	assert_int_equal(copro_mmio_map(f->p, phys, size, &f->cpu), 0);
	for (int i = 0; i < NLINES; i++)
		assert_int_equal(copro_dt_irq_by_name(dt, f->node, line_names[i],
						      &f->line[i]),
				 0);
}

static void fx_close(struct fx *f)
{
	copro_writel(f->cpu, ASC_CPU_CONTROL, 0);
	copro_mmio_unmap(f->cpu);
	copro_mmio_unmap(f->mbox);
	copro_board_destroy(f->b);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(test_logcap_init(&f->cap), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->b)
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

static bool level(struct fx *f, int which)
{
	return copro_bus_irq_get(f->bus, f->line[which]);
}

static void push(struct fx *f, bool a2i, uint64_t msg0, uint32_t msg1)
{
	copro_writeq(f->mbox, a2i ? f->lay->a2i_send0 : f->lay->i2a_send0,
		     msg0);
	copro_writeq(f->mbox, a2i ? f->lay->a2i_send1 : f->lay->i2a_send1,
		     msg1);
}

static void pop(struct fx *f, bool a2i, uint64_t *msg0, uint32_t *msg1)
{
	*msg0 = copro_readq(f->mbox, a2i ? f->lay->a2i_recv0
					 : f->lay->i2a_recv0);
	*msg1 = (uint32_t)copro_readq(f->mbox, a2i ? f->lay->a2i_recv1
						   : f->lay->i2a_recv1);
}

static uint32_t control(struct fx *f, bool a2i)
{
	return copro_readl(f->mbox, a2i ? f->lay->a2i_control
					: f->lay->i2a_control);
}

/* ---- the model, register by register ---------------------------------- */

static void check_layout(struct fx *f)
{
	/* The offsets another layout uses for CONTROL registers. */
	static const uint32_t others[] = {
		ASC_A2I_CONTROL, ASC_I2A_CONTROL, ASC_T8015_A2I_CONTROL,
		ASC_T8015_I2A_CONTROL, M3_A2I_CONTROL, M3_I2A_CONTROL,
		M3_IRQ_ENABLE,
	};
	uint64_t m0, bad;
	uint32_t m1;

	assert_int_equal(control(f, true), ASC_CONTROL_EMPTY);
	assert_int_equal(control(f, false), ASC_CONTROL_EMPTY);
	push(f, true, 0x1122334455667788ull, 0xab);
	push(f, false, 0x99, 0xcd);
	assert_int_equal(control(f, true), 0);
	assert_int_equal(control(f, false), 0);
	pop(f, true, &m0, &m1);
	assert_int_equal(m0, 0x1122334455667788ull);
	assert_int_equal(m1, 0xab);
	pop(f, false, &m0, &m1);
	assert_int_equal(m0, 0x99);
	assert_int_equal(m1, 0xcd);
	assert_int_equal(control(f, true), ASC_CONTROL_EMPTY);

	bad = stats(f).bad_accesses;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (others[i] == f->lay->a2i_control ||
		    others[i] == f->lay->i2a_control ||
		    (f->lay->irq_controls && others[i] == f->lay->irq_enable))
			continue;
		assert_int_equal(copro_readl(f->mbox, others[i]), 0);
		bad++;
	}
	assert_int_equal(stats(f).bad_accesses, bad);

	/* Sixteen entries, then FULL; the seventeenth is lost. */
	for (unsigned i = 0; i < ASC_FIFO_DEPTH; i++)
		push(f, true, i, i);
	assert_int_equal(control(f, true), ASC_CONTROL_FULL);
	push(f, true, 99, 99);
	assert_int_equal(stats(f).a2i_overflows, 1);
	test_logcap_expect(&f->cap, "A2I FIFO overflow");
	for (unsigned i = 0; i < ASC_FIFO_DEPTH; i++) {
		pop(f, true, &m0, &m1);
		assert_int_equal(m0, i);
	}
}

static void test_layout_v4(void **state)
{
	struct fx *f = *state;

	fx_open(f, V4, true);
	check_layout(f);
}

static void test_layout_t8015(void **state)
{
	struct fx *f = *state;

	fx_open(f, T8015, true);
	check_layout(f);
	/* Its FIFO lines follow the FIFOs, as on v4: no mailbox latch. */
	assert_true(level(f, SEND_EMPTY));
	assert_false(level(f, SEND_NOT_EMPTY));
	push(f, true, 1, 1);
	assert_false(level(f, SEND_EMPTY));
	assert_true(level(f, SEND_NOT_EMPTY));
}

static void test_layout_m3(void **state)
{
	struct fx *f = *state;

	fx_open(f, M3, true);
	check_layout(f);
}

/*
 * The A11's CPU control block is where the NVMe node's "ans" reg says,
 * far from the mailbox; RUN there starts the firmware behind this
 * mailbox. Nothing answers at the ASC base below the mailbox.
 */
static bool i2a_filled(void *arg)
{
	return !(control(arg, false) & ASC_CONTROL_EMPTY);
}

static void test_t8015_cpu_block(void **state)
{
	struct fx *f = *state;
	uint64_t phys, size, v, m0;
	uint32_t m1;

	fx_open(f, T8015, true);
	copro_sim_asc_cpu_region(f->asc, &phys, &size);
	assert_int_equal(phys, 0x259d20000ull);
	assert_int_equal(size, 0x2000);
	assert_int_equal(copro_bus_read(f->bus, f->mbox_phys - ASC_MBOX_OFFSET +
						ASC_CPU_CONTROL,
					4, &v),
			 -ENXIO);
	copro_writel(f->cpu, ASC_CPU_CONTROL, ASC_CPU_CONTROL_RUN);
	assert_true(copro_sim_asc_cpu_running(f->asc));
	push(f, true, 0x5a5a, 0x20);
	/* The echo comes from the firmware's thread: however late it runs. */
	assert_true(test_wait_until(i2a_filled, f, TEST_TIMEOUT_NS));
	pop(f, false, &m0, &m1);
	assert_int_equal(m0, 0x5a5a);
	assert_int_equal(m1, 0x20);
}

/* M3: a condition latches, IRQ_ENABLE gates, IRQ_ACK clears (and re-latches). */
static void test_m3_interrupts(void **state)
{
	struct fx *f = *state;
	uint64_t m0, bad;
	uint32_t m1;

	fx_open(f, M3, true);
	/* Out of reset nothing is enabled: all four lines low. */
	for (int i = 0; i < NLINES; i++)
		assert_false(level(f, i));
	assert_int_equal(copro_readl(f->mbox, M3_IRQ_ENABLE), 0);

	copro_writel(f->mbox, M3_IRQ_ENABLE,
		     M3_IRQ_A2I_EMPTY | M3_IRQ_I2A_NOT_EMPTY | 0xf0);
	assert_int_equal(copro_readl(f->mbox, M3_IRQ_ENABLE),
			 M3_IRQ_A2I_EMPTY | M3_IRQ_I2A_NOT_EMPTY);
	/* A2I has been empty since reset: latched. */
	assert_true(level(f, SEND_EMPTY));
	assert_false(level(f, SEND_NOT_EMPTY));
	assert_false(level(f, RECV_EMPTY));
	assert_false(level(f, RECV_NOT_EMPTY));

	/* Not empty any more, but the latch holds until acknowledged. */
	push(f, true, 1, 1);
	assert_true(level(f, SEND_EMPTY));
	copro_writel(f->mbox, M3_IRQ_ACK, M3_IRQ_A2I_EMPTY);
	assert_false(level(f, SEND_EMPTY));
	/* Empty again: it fires; acknowledging while empty re-latches. */
	pop(f, true, &m0, &m1);
	assert_true(level(f, SEND_EMPTY));
	copro_writel(f->mbox, M3_IRQ_ACK, M3_IRQ_A2I_EMPTY);
	assert_true(level(f, SEND_EMPTY));

	/* recv-not-empty stays up after the FIFO drained, until acked. */
	push(f, false, 2, 2);
	assert_true(level(f, RECV_NOT_EMPTY));
	pop(f, false, &m0, &m1);
	assert_true(level(f, RECV_NOT_EMPTY));
	copro_writel(f->mbox, M3_IRQ_ACK, M3_IRQ_I2A_NOT_EMPTY);
	assert_false(level(f, RECV_NOT_EMPTY));

	/* Disabling drops a line but keeps its latch. */
	push(f, false, 3, 3);
	pop(f, false, &m0, &m1);
	copro_writel(f->mbox, M3_IRQ_ENABLE, M3_IRQ_A2I_EMPTY);
	assert_false(level(f, RECV_NOT_EMPTY));
	copro_writel(f->mbox, M3_IRQ_ENABLE, M3_IRQ_ALL);
	assert_true(level(f, RECV_NOT_EMPTY));
	/* recv-empty was latched by the drained I2A FIFO too. */
	assert_true(level(f, RECV_EMPTY));

	/* IRQ_ACK is write-only; both are 32-bit registers. */
	bad = stats(f).bad_accesses;
	assert_int_equal(copro_readl(f->mbox, M3_IRQ_ACK), 0);
	copro_writeq(f->mbox, M3_IRQ_ENABLE, 0);
	assert_int_equal(stats(f).bad_accesses, bad + 2);
	assert_int_equal(copro_readl(f->mbox, M3_IRQ_ENABLE), M3_IRQ_ALL);
}

/* ---- the driver against the model ------------------------------------- */

#define STREAM 4000u

struct rx {
	_Atomic uint32_t n, bad;
};

static void rx_cb(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		  size_t len)
{
	struct rx *r = ctx;
	const struct copro_asc_msg *m = msg;
	uint32_t n = atomic_load(&r->n);

	(void)chan;
	if (len != sizeof(*m) || m->msg0 != n || m->msg1 != (n & 0xff))
		atomic_fetch_add(&r->bad, 1);
	atomic_store(&r->n, n + 1);
}

struct wait_n {
	struct rx *r;
	uint32_t want;
};

static bool got_n(void *arg)
{
	struct wait_n *w = arg;

	return atomic_load(&w->r->n) >= w->want;
}

struct line_wait {
	struct fx *f;
	int line;
};

static bool line_low(void *arg)
{
	struct line_wait *w = arg;

	return !level(w->f, w->line);
}

/* Threaded: wait for cond. Polled: nobody else acts, so poll until it. */
static void until(struct copro_mbox_chan *chan, bool threaded,
		  bool (*cond)(void *), void *arg)
{
	if (threaded) {
		assert_true(test_wait_until(cond, arg, TEST_TIMEOUT_NS));
		return;
	}
	for (int i = 0; i < 10000000 && !cond(arg); i++)
		copro_mbox_poll(chan);
	assert_true(cond(arg));
}

static void stream(struct fx *f, bool threaded)
{
	struct rx r = { 0 };
	struct copro_mbox_client client = {
		.ctx = &r,
		.rx = rx_cb,
		.rx_mode = COPRO_MBOX_RX_DEFERRED,
	};
	struct wait_n w = { &r, STREAM };
	struct line_wait lw = { f, RECV_NOT_EMPTY };
	struct copro_asc *drv;
	struct copro_mbox_chan *chan;
	struct copro_sim_asc_stats st;

	assert_int_equal(copro_asc_probe(f->p, f->node, &drv), 0);
	assert_int_equal(copro_mbox_request(f->p,
					    copro_dt_node_name(copro_board_dt(f->b),
							       f->node),
					    0, &client, &chan),
			 0);
	if (f->lay->irq_controls)
		assert_int_equal(copro_readl(f->mbox, M3_IRQ_ENABLE),
				 M3_IRQ_I2A_NOT_EMPTY | M3_IRQ_A2I_EMPTY);
	copro_writel(f->cpu, ASC_CPU_CONTROL, ASC_CPU_CONTROL_RUN);
	for (uint32_t i = 0; i < STREAM; i++) {
		struct copro_asc_msg m = { .msg0 = i, .msg1 = i & 0xff };
		int rc;

		/* Unthreaded, nobody else makes room: poll while full. */
		while ((rc = copro_mbox_send(chan, &m, sizeof(m),
					     threaded ? TEST_TIMEOUT_NS : 0)) ==
		       -EAGAIN)
			copro_mbox_poll(chan);
		assert_int_equal(rc, 0);
	}
	until(chan, threaded, got_n, &w);
	assert_int_equal(atomic_load(&r.bad), 0);
	st = stats(f);
	assert_int_equal(st.a2i_overflows, 0);
	assert_int_equal(st.i2a_underflows, 0);
	assert_int_equal(st.bad_accesses, 0);
	/*
	 * M3: the driver acknowledged "recv-not-empty" once drained. A
	 * polled driver does that in a poll: the one that delivered the
	 * last message may have stopped at a full receive ring, before
	 * seeing the FIFO empty, so it is polled until then.
	 */
	until(chan, threaded, line_low, &lw);
	copro_mbox_free(chan);
	if (f->lay->irq_controls)
		assert_int_equal(copro_readl(f->mbox, M3_IRQ_ENABLE), 0);
	copro_writel(f->cpu, ASC_CPU_CONTROL, 0);
	copro_asc_remove(drv);
}

static void test_driver_t8015(void **state)
{
	struct fx *f = *state;

	fx_open(f, T8015, true);
	stream(f, true);
}

static void test_driver_t8015_polled(void **state)
{
	struct fx *f = *state;

	fx_open(f, T8015, false);
	stream(f, false);
}

static void test_driver_m3(void **state)
{
	struct fx *f = *state;

	fx_open(f, M3, true);
	stream(f, true);
}

static void test_driver_m3_polled(void **state)
{
	struct fx *f = *state;

	fx_open(f, M3, false);
	stream(f, false);
}

/*
 * M3 with the coprocessor stopped: sixteen messages fill A2I, the next
 * waits in the framework for "send-empty". The driver acknowledged the
 * latch left from the empty FIFO before enabling the line, so the line
 * is low while the FIFO is full (no interrupt storm of retried sends);
 * once the coprocessor drains the FIFO, the waiting message goes out.
 */
static void test_driver_m3_send_empty_ack(void **state)
{
	struct fx *f = *state;
	struct rx r = { 0 };
	struct copro_mbox_client client = {
		.ctx = &r,
		.rx = rx_cb,
		.rx_mode = COPRO_MBOX_RX_DEFERRED,
	};
	struct wait_n w = { &r, ASC_FIFO_DEPTH + 1 };
	struct copro_asc *drv;
	struct copro_mbox_chan *chan;

	fx_open(f, M3, true);
	assert_int_equal(copro_asc_probe(f->p, f->node, &drv), 0);
	assert_int_equal(copro_mbox_request(f->p,
					    copro_dt_node_name(copro_board_dt(f->b),
							       f->node),
					    0, &client, &chan),
			 0);
	for (uint32_t i = 0; i <= ASC_FIFO_DEPTH; i++) {
		struct copro_asc_msg m = { .msg0 = i, .msg1 = i & 0xff };

		assert_int_equal(copro_mbox_send(chan, &m, sizeof(m), 0), 0);
	}
	assert_int_equal(control(f, true), ASC_CONTROL_FULL);
	assert_false(level(f, SEND_EMPTY));
	assert_int_equal(stats(f).a2i_pushed, ASC_FIFO_DEPTH);

	copro_writel(f->cpu, ASC_CPU_CONTROL, ASC_CPU_CONTROL_RUN);
	assert_true(test_wait_until(got_n, &w, TEST_TIMEOUT_NS));
	assert_int_equal(atomic_load(&r.bad), 0);
	assert_int_equal(stats(f).a2i_overflows, 0);
	copro_mbox_free(chan);
	copro_writel(f->cpu, ASC_CPU_CONTROL, 0);
	copro_asc_remove(drv);
}

/* A node naming no layout is refused by name. */
static void test_driver_unknown_layout(void **state)
{
	struct fx *f = *state;
	struct copro_asc *drv;
	int sart;

	fx_open(f, V4, true);
	sart = copro_dt_next_compatible(copro_board_dt(f->b), -1,
					"apple,t8103-sart");
	assert_true(sart >= 0);
	assert_int_equal(copro_asc_probe(f->p, sart, &drv), -ENODEV);
	test_logcap_expect(&f->cap, "apple,t8015-asc-mailbox");
	assert_int_equal(copro_asc_next(copro_board_dt(f->b), f->node),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout_v4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_t8015, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_layout_m3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_t8015_cpu_block, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_m3_interrupts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_driver_t8015, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_driver_t8015_polled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_driver_m3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_m3_polled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_driver_m3_send_empty_ack,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_unknown_layout,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
