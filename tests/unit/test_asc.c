/* SPDX-License-Identifier: MIT */
/*
 * The ASC mailbox driver against the ASC model: probe errors on small
 * hand-built devicetrees, round trips through the echo firmware, CREDIT
 * flow control (a full A2I FIFO pushes back into the framework, never
 * overflows the hardware) and receive-ring backpressure (a full ring
 * leaves messages in the I2A FIFO, never loses them), on threaded and
 * polled platforms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <copro/asc.h>
#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/mbox.h>
#include <copro/regs/asc.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>

#include "test_dtb.h"
#include "testutil.h"
#include "test_modes.h"

#define T8103_MBOX "mbox@277408000"

/* ---- a client that records what it receives -------------------------- */

#define RX_MAX 256

struct rx_rec {
	struct copro_asc_msg msgs[RX_MAX];
	_Atomic size_t n;
	_Atomic size_t bad_len;
	/* When set, the first delivery waits until this returns true. */
	bool (*hold_first)(void *arg);
	void *hold_arg;
	_Atomic bool held;
	/* TX completions, when the test asks for them. */
	_Atomic unsigned tx_n;
	_Atomic int tx_last;
};

static void rec_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		   size_t len)
{
	struct rx_rec *r = ctx;
	size_t n = atomic_load(&r->n);

	(void)chan;
	if (len != sizeof(struct copro_asc_msg)) {
		atomic_fetch_add(&r->bad_len, 1);
		return;
	}
	if (n == 0 && r->hold_first)
		atomic_store(&r->held, test_wait_until(r->hold_first,
						       r->hold_arg,
						       TEST_TIMEOUT_NS));
	memcpy(&r->msgs[n % RX_MAX], msg, sizeof(struct copro_asc_msg));
	atomic_store(&r->n, n + 1);
}

/* ---- the board fixture ------------------------------------------------ */

struct fx {
	struct test_logcap cap;
	bool threaded;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_sim_asc *model;
	struct copro_mmio *cpu, *mbox;
	struct copro_asc *asc;
	struct copro_mbox_chan *chan;
	struct rx_rec rx;
	struct copro_mbox_client client;
};

static void fx_open(struct fx *f, bool threaded)
{
	struct copro_board_config cfg = {
		.log = test_logcap_log(&f->cap),
		.threaded = threaded,
	};
	const struct copro_dt *dt;
	uint64_t phys, size;
	int node;

	f->threaded = threaded;
	assert_int_equal(copro_board_create(&cfg, &f->b), 0);
	f->p = copro_board_platform(f->b);
	dt = copro_board_dt(f->b);
	node = copro_dt_path(dt, "/soc/" T8103_MBOX);
	assert_true(node >= 0);
	f->model = copro_board_asc(f->b, node);
	assert_non_null(f->model);
	/* The board runs RTKit on the ANS mailbox; these tests want echoes. */
	assert_int_equal(copro_sim_asc_set_firmware(f->model,
						    copro_sim_fw_echo()),
			 0);
	assert_int_equal(copro_dt_reg(dt, node, 0, &phys, &size), 0);
	assert_int_equal(copro_mmio_map(f->p, phys - ASC_MBOX_OFFSET,
					ASC_CPU_REGION_SIZE, &f->cpu),
			 0);
	assert_int_equal(copro_mmio_map(f->p, phys, size, &f->mbox), 0);
	assert_int_equal(copro_asc_probe(f->p, node, &f->asc), 0);
	assert_non_null(copro_asc_controller(f->asc));
	f->client = (struct copro_mbox_client){
		.ctx = &f->rx,
		.rx = rec_rx,
		.rx_mode = COPRO_MBOX_RX_DEFERRED,
	};
}

static void fx_bind(struct fx *f)
{
	assert_int_equal(copro_mbox_request(f->p, T8103_MBOX, 0, &f->client,
					    &f->chan),
			 0);
	assert_int_equal(copro_mbox_mtu(f->chan), sizeof(struct copro_asc_msg));
	assert_int_equal(copro_mbox_dir(f->chan), COPRO_MBOX_DIR_BIDI);
	assert_int_equal(copro_mbox_txdone_mode(f->chan),
			 COPRO_MBOX_TXDONE_CREDIT);
}

static void fx_close(struct fx *f)
{
	copro_writel(f->cpu, ASC_CPU_CONTROL, 0);
	if (f->chan)
		copro_mbox_free(f->chan);
	copro_asc_remove(f->asc);
	copro_mmio_unmap(f->mbox);
	copro_mmio_unmap(f->cpu);
	copro_board_destroy(f->b);
}

static int setup(void **state)
{
	bool threaded = test_threaded(state);
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(test_logcap_init(&f->cap), 0);
	fx_open(f, threaded);
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

static void cpu_run(struct fx *f, bool run)
{
	copro_writel(f->cpu, ASC_CPU_CONTROL, run ? ASC_CPU_CONTROL_RUN : 0);
}

static struct copro_sim_asc_stats model_stats(struct fx *f)
{
	struct copro_sim_asc_stats s;

	copro_sim_asc_get_stats(f->model, &s);
	return s;
}

/*
 * Wait for pred, driving the mailbox ourselves on a polled platform
 * (nothing else would).
 */
static bool fx_wait(struct fx *f, bool (*pred)(void *), void *arg)
{
	uint64_t deadline;

	if (f->threaded)
		return test_wait_until(pred, arg, TEST_TIMEOUT_NS);
	deadline = copro_deadline(TEST_TIMEOUT_NS);
	while (!pred(arg)) {
		if (copro_deadline_left(deadline) == 0)
			return pred(arg);
		if (copro_mbox_poll(f->chan) == 0)
			copro_cpu_relax();
	}
	return true;
}

struct count_arg {
	struct fx *f;
	size_t n;
};

static bool received(void *arg)
{
	struct count_arg *c = arg;

	return atomic_load(&c->f->rx.n) >= c->n;
}

static bool a2i_pushed(void *arg)
{
	struct count_arg *c = arg;

	return model_stats(c->f).a2i_pushed >= c->n;
}

static bool i2a_full(void *arg)
{
	struct fx *f = arg;
	struct copro_sim_asc_stats s = model_stats(f);

	return s.i2a_pushed - s.i2a_popped == ASC_FIFO_DEPTH;
}

static struct copro_asc_msg msg_n(uint64_t n)
{
	return (struct copro_asc_msg){ .msg0 = 0x5eed0000 + n,
				       .msg1 = (uint32_t)(n << 8) | 0x20 };
}

static void expect_in_order(struct fx *f, size_t n)
{
	struct count_arg c = { f, n };

	assert_true(fx_wait(f, received, &c));
	assert_int_equal(atomic_load(&f->rx.n), n);
	assert_int_equal(atomic_load(&f->rx.bad_len), 0);
	for (size_t i = 0; i < n; i++) {
		struct copro_asc_msg want = msg_n(i);

		assert_int_equal(f->rx.msgs[i].msg0, want.msg0);
		assert_int_equal(f->rx.msgs[i].msg1, want.msg1);
	}
}

/* ---- round trips ------------------------------------------------------ */

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	const size_t n = 200;

	fx_bind(f);
	cpu_run(f, true);
	/* One at a time: each reply before the next request. */
	for (size_t i = 0; i < n; i++) {
		struct copro_asc_msg m = msg_n(i);
		struct count_arg c = { f, i + 1 };

		assert_int_equal(copro_mbox_send(f->chan, &m, sizeof(m),
						 TEST_TIMEOUT_NS),
				 0);
		assert_true(fx_wait(f, received, &c));
	}
	expect_in_order(f, n);

	struct copro_mbox_stats s;

	copro_mbox_get_stats(f->chan, &s);
	assert_int_equal(s.sent, n);
	assert_int_equal(s.received, n);
	assert_int_equal(model_stats(f).a2i_overflows, 0);
	assert_int_equal(model_stats(f).i2a_underflows, 0);
}

/* Messages the IOP sent before anyone bound wait in the FIFO for a client. */
static void test_rx_before_bind(void **state)
{
	struct fx *f = *state;

	for (uint64_t i = 0; i < 3; i++) {
		struct copro_asc_msg m = msg_n(i);

		copro_writeq(f->mbox, ASC_I2A_SEND0, m.msg0);
		copro_writeq(f->mbox, ASC_I2A_SEND1, m.msg1);
	}
	if (!f->threaded)
		copro_platform_poll(f->p);
	assert_int_equal(model_stats(f).i2a_popped, 0);
	fx_bind(f);
	expect_in_order(f, 3);
	assert_int_equal(model_stats(f).i2a_underflows, 0);
}

/*
 * The receive handler takes one message a call and leaves the rest to the
 * line's level: one poll still takes a full FIFO, in order, as the
 * dispatcher goes round again while the line stays asserted.
 */
static void test_one_poll_takes_a_full_fifo(void **state)
{
	struct fx *f = *state;

	fx_bind(f);
	for (uint64_t i = 0; i < ASC_FIFO_DEPTH; i++) {
		struct copro_asc_msg m = msg_n(i);

		copro_writeq(f->mbox, ASC_I2A_SEND0, m.msg0);
		copro_writeq(f->mbox, ASC_I2A_SEND1, m.msg1);
	}
	assert_int_equal(model_stats(f).i2a_pushed, ASC_FIFO_DEPTH);
	assert_int_equal(copro_mbox_poll(f->chan), ASC_FIFO_DEPTH);
	assert_int_equal(model_stats(f).i2a_popped, ASC_FIFO_DEPTH);
	assert_int_equal(copro_readl(f->mbox, ASC_I2A_CONTROL),
			 ASC_CONTROL_EMPTY);
	expect_in_order(f, ASC_FIFO_DEPTH);
	assert_int_equal(model_stats(f).i2a_underflows, 0);
	assert_int_equal(copro_mbox_poll(f->chan), 0);
}

/*
 * The IOP floods I2A (this thread, through its registers) while the
 * interrupt thread alone drains it: a push onto a FIFO the AP has just
 * emptied must always raise "recv-not-empty", however its store and the
 * AP's pop cross. A lost edge leaves the interrupt thread asleep and the
 * FIFO full for good.
 */
static void test_flood_loses_no_edge(void **state)
{
	struct fx *f = *state;
	const uint64_t n = 200000;

	fx_bind(f);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t deadline = copro_deadline(TEST_TIMEOUT_NS);

		while (copro_readl(f->mbox, ASC_I2A_CONTROL) & ASC_CONTROL_FULL) {
			if (copro_deadline_left(deadline) == 0) {
				print_error("I2A full for %llu ms at message %llu of %llu:"
					    " the interrupt thread missed its edge\n",
					    (unsigned long long)(TEST_TIMEOUT_NS / 1000000),
					    (unsigned long long)i,
					    (unsigned long long)n);
				fail();
			}
			copro_cpu_relax();
		}
		copro_writeq(f->mbox, ASC_I2A_SEND0, i);
		copro_writeq(f->mbox, ASC_I2A_SEND1, 0x20);
	}
	struct count_arg c = { f, n };

	assert_true(fx_wait(f, received, &c));
	assert_int_equal(model_stats(f).i2a_overflows, 0);
}

static void rec_tx_done(void *ctx, struct copro_mbox_chan *chan, int status)
{
	struct rx_rec *r = ctx;

	(void)chan;
	atomic_store(&r->tx_last, status);
	atomic_fetch_add(&r->tx_n, 1);
}

/* Only whole messages go out: a short one fails, the next still works. */
static void test_send_wrong_length(void **state)
{
	struct fx *f = *state;
	struct copro_asc_msg m = msg_n(0);

	f->client.tx_done = rec_tx_done;
	fx_bind(f);
	assert_int_equal(copro_mbox_send(f->chan, &m, 12, 0), 0);
	assert_int_equal(atomic_load(&f->rx.tx_n), 1);
	assert_int_equal(atomic_load(&f->rx.tx_last), -EINVAL);
	assert_true(test_logcap_contains(&f->cap, "message of 12 bytes"));
	assert_int_equal(model_stats(f).a2i_pushed, 0);

	assert_int_equal(copro_mbox_send(f->chan, &m, sizeof(m), 0), 0);
	assert_int_equal(atomic_load(&f->rx.tx_n), 2);
	assert_int_equal(atomic_load(&f->rx.tx_last), 0);
	assert_int_equal(model_stats(f).a2i_pushed, 1);
}

/* ---- CREDIT flow control ---------------------------------------------- */

static void test_credit_backpressure(void **state)
{
	struct fx *f = *state;
	const size_t extra = 20;
	struct count_arg full = { f, ASC_FIFO_DEPTH };

	fx_bind(f);
	/* The CPU is stopped: nothing drains A2I. */
	for (size_t i = 0; i < ASC_FIFO_DEPTH + extra; i++) {
		struct copro_asc_msg m = msg_n(i);

		assert_int_equal(copro_mbox_send(f->chan, &m, sizeof(m), 0), 0);
	}
	assert_true(fx_wait(f, a2i_pushed, &full));
	/* The rest wait in the framework, not lost in the hardware. */
	assert_int_equal(model_stats(f).a2i_pushed, ASC_FIFO_DEPTH);
	assert_int_equal(model_stats(f).a2i_overflows, 0);
	assert_int_equal(copro_readl(f->mbox, ASC_A2I_CONTROL),
			 ASC_CONTROL_FULL);

	cpu_run(f, true);
	expect_in_order(f, ASC_FIFO_DEPTH + extra);
	assert_int_equal(model_stats(f).a2i_pushed, ASC_FIFO_DEPTH + extra);
	assert_int_equal(model_stats(f).a2i_overflows, 0);
	assert_int_equal(model_stats(f).i2a_overflows, 0);
	assert_int_equal(copro_mbox_flush(f->chan, TEST_TIMEOUT_NS), 0);
}

/* A full FIFO plus a full queue: non-blocking sends push back. */
static void test_credit_queue_full(void **state)
{
	struct fx *f = *state;
	struct count_arg full = { f, ASC_FIFO_DEPTH };
	struct copro_asc_msg m;
	size_t sent = 0;
	int ret;

	f->client.tx_queue = 4;
	fx_bind(f);
	for (;;) {
		m = msg_n(sent);
		ret = copro_mbox_send(f->chan, &m, sizeof(m), 0);
		if (ret == -EAGAIN) {
			/* Only once the hardware holds all it can. */
			if (model_stats(f).a2i_pushed < ASC_FIFO_DEPTH) {
				assert_true(fx_wait(f, a2i_pushed, &full));
				continue;
			}
			break;
		}
		assert_int_equal(ret, 0);
		sent++;
		assert_true(sent <= ASC_FIFO_DEPTH + 4);
	}
	assert_int_equal(sent, ASC_FIFO_DEPTH + 4);
	assert_int_equal(model_stats(f).a2i_overflows, 0);

	cpu_run(f, true);
	expect_in_order(f, sent);
}

/* ---- receive-ring backpressure ---------------------------------------- */

#define BURST 100

static void burst_run(void *ctx, struct copro_sim_asc *asc)
{
	struct copro_asc_msg m;

	(void)ctx;
	for (uint64_t i = 0; i < BURST; i++) {
		m = msg_n(i);
		if (copro_sim_asc_iop_send(asc, &m, COPRO_FOREVER) < 0)
			return;
	}
	while (copro_sim_asc_iop_recv(asc, &m, COPRO_FOREVER) == 0)
		;
}

static void test_rx_ring_full_no_loss(void **state)
{
	struct fx *f = *state;
	const struct copro_sim_asc_fw fw = { .name = "burst", .run = burst_run };
	struct copro_mbox_stats s;

	f->client.rx_ring = 4;
	if (f->threaded) {
		/* Hold the worker until the firmware has filled I2A. */
		f->rx.hold_first = i2a_full;
		f->rx.hold_arg = f;
	}
	assert_int_equal(copro_sim_asc_set_firmware(f->model, &fw), 0);
	fx_bind(f);
	cpu_run(f, true);
	if (!f->threaded) {
		/* Nothing drains before we poll: I2A fills up. */
		assert_true(test_wait_until(i2a_full, f, TEST_TIMEOUT_NS));
	}
	expect_in_order(f, BURST);
	if (f->threaded)
		assert_true(atomic_load(&f->rx.held));

	copro_mbox_get_stats(f->chan, &s);
	assert_true(s.rx_stalls >= 1);
	assert_int_equal(s.received, BURST);
	assert_int_equal(model_stats(f).i2a_overflows, 0);
	assert_int_equal(model_stats(f).i2a_underflows, 0);
	assert_int_equal(model_stats(f).i2a_popped, BURST);
}

/* ---- probe errors, on small hand-built devicetrees --------------------- */

struct dtb_opts {
	bool reg;
	const char *names; /* NUL-separated interrupt-names */
	size_t names_len;
	unsigned nirqs;
	uint32_t mbox_cells;
	bool client;
};

#define NAMES4 "send-empty\0send-not-empty\0recv-empty\0recv-not-empty"
#define NAMES3 "send-empty\0send-not-empty\0recv-empty"
#define SMALL_MBOX_PHYS 0x10008000ull

static struct test_dtb *build_dtb(const struct dtb_opts *o)
{
	struct test_dtb *b = test_dtb_new();
	unsigned lines[4];

	test_dtb_begin(b, "");
	test_dtb_u32(b, "#address-cells", 2);
	test_dtb_u32(b, "#size-cells", 2);

	test_dtb_begin(b, "interrupt-controller@1000");
	TEST_DTB_STRS(b, "compatible", "apple,t8103-aic\0apple,aic");
	test_dtb_u32(b, "#interrupt-cells", 3);
	test_dtb_empty(b, "interrupt-controller");
	test_dtb_phandle(b, 1);
	test_dtb_end(b);

	test_dtb_begin(b, "mbox@10008000");
	TEST_DTB_STRS(b, "compatible", "apple,t8103-asc-mailbox\0apple,asc-mailbox");
	if (o->reg)
		test_dtb_reg(b, SMALL_MBOX_PHYS, ASC_MBOX_REGION_SIZE);
	test_dtb_u32(b, "interrupt-parent", 1);
	assert_true(o->nirqs <= 4);
	for (unsigned i = 0; i < o->nirqs; i++)
		lines[i] = 10 + i;
	test_dtb_aic_irqs_v(b, lines, o->nirqs);
	test_dtb_prop(b, "interrupt-names", o->names, o->names_len);
	test_dtb_u32(b, "#mbox-cells", o->mbox_cells);
	test_dtb_phandle(b, 2);
	test_dtb_end(b);

	if (o->client) {
		test_dtb_begin(b, "client");
		/* <&mbox 3>, cut to the controller's #mbox-cells. */
		assert_true(o->mbox_cells <= 1);
		test_dtb_cells(b, "mboxes", 1 + o->mbox_cells, 2, 3);
		test_dtb_end(b);
	}
	test_dtb_end(b);
	return b;
}

struct small {
	struct test_logcap cap;
	struct copro_dt *dt;
	struct copro_bus *bus;
	struct copro_platform *p;
	int node;
};

static void small_open(struct small *s, const struct dtb_opts *o)
{
	assert_int_equal(test_logcap_init(&s->cap), 0);
	assert_int_equal(test_dtb_open(build_dtb(o), "small",
				       test_logcap_log(&s->cap), &s->dt),
			 0);
	assert_int_equal(test_platform_create(s->dt, test_logcap_log(&s->cap),
					      false, &s->bus, &s->p),
			 0);
	s->node = copro_dt_path(s->dt, "/mbox@10008000");
	assert_true(s->node >= 0);
}

static void small_close(struct small *s)
{
	test_platform_destroy(s->bus, s->p);
	copro_dt_close(s->dt);
	test_logcap_destroy(&s->cap);
}

static void test_probe_no_reg(void **state)
{
	const struct dtb_opts o = { .names = NAMES4, .names_len = sizeof(NAMES4),
				    .nirqs = 4 };
	struct small s;
	struct copro_asc *asc = (void *)1;

	(void)state;
	small_open(&s, &o);
	assert_true(copro_asc_probe(s.p, s.node, &asc) < 0);
	assert_null(asc);
	assert_true(test_logcap_contains(&s.cap, "mbox@10008000"));
	assert_true(test_logcap_contains(&s.cap, "reg"));
	small_close(&s);
}

static uint64_t dummy_read(void *ctx, uint64_t off, unsigned width)
{
	(void)ctx;
	(void)off;
	(void)width;
	return 0;
}

static void dummy_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	(void)ctx;
	(void)off;
	(void)val;
	(void)width;
}

static const struct copro_mmio_ops dummy_ops = { dummy_read, dummy_write };

static void test_probe_no_recv_irq(void **state)
{
	const struct dtb_opts o = { .reg = true, .names = NAMES3,
				    .names_len = sizeof(NAMES3), .nirqs = 3 };
	struct small s;
	struct copro_asc *asc = (void *)1;

	(void)state;
	small_open(&s, &o);
	/* Registers to map, so that only the interrupt is missing. */
	assert_int_equal(copro_bus_add_mmio(s.bus, SMALL_MBOX_PHYS,
					    ASC_MBOX_REGION_SIZE, &dummy_ops,
					    NULL, "dummy"),
			 0);
	assert_true(copro_asc_probe(s.p, s.node, &asc) < 0);
	assert_null(asc);
	assert_true(test_logcap_contains(&s.cap, "mbox@10008000"));
	assert_true(test_logcap_contains(&s.cap, "recv-not-empty"));
	/* And the model refuses such a node too. */
	struct copro_sim_asc *model = (void *)1;

	assert_true(copro_sim_asc_create(s.bus, s.node, &model) < 0);
	assert_null(model);
	copro_bus_remove_mmio(s.bus, SMALL_MBOX_PHYS);
	small_close(&s);
}

static void test_probe_not_asc(void **state)
{
	const struct dtb_opts o = { .reg = true, .names = NAMES4,
				    .names_len = sizeof(NAMES4), .nirqs = 4 };
	struct small s;
	struct copro_asc *asc;
	int aic;

	(void)state;
	small_open(&s, &o);
	aic = copro_dt_path(s.dt, "/interrupt-controller@1000");
	assert_true(aic >= 0);
	assert_int_equal(copro_asc_probe(s.p, aic, &asc), -ENODEV);
	assert_true(test_logcap_contains(&s.cap, COPRO_ASC_COMPATIBLE));
	small_close(&s);
}

/* Through "mboxes": #mbox-cells = <0> binds channel 0, anything else fails. */
static void check_dt_bind(uint32_t mbox_cells, int want)
{
	const struct dtb_opts o = { .reg = true, .names = NAMES4,
				    .names_len = sizeof(NAMES4), .nirqs = 4,
				    .mbox_cells = mbox_cells, .client = true };
	struct rx_rec *rx = calloc(1, sizeof(*rx));
	const struct copro_mbox_client cl = { .ctx = rx, .rx = rec_rx };
	struct copro_sim_asc *model;
	struct copro_mbox_chan *chan;
	struct copro_asc *asc;
	struct small s;
	int ret;

	assert_non_null(rx);
	small_open(&s, &o);
	assert_int_equal(copro_sim_asc_create(s.bus, s.node, &model), 0);
	assert_int_equal(copro_sim_asc_set_firmware(model, copro_sim_fw_echo()),
			 0);
	assert_int_equal(copro_asc_probe(s.p, s.node, &asc), 0);
	ret = copro_mbox_request_dt(s.p, copro_dt_path(s.dt, "/client"), NULL,
				    0, &cl, &chan);
	if (want == 0) {
		struct copro_asc_msg m = msg_n(0);
		uint64_t deadline = copro_deadline(TEST_TIMEOUT_NS);
		struct copro_mmio *cpu;

		assert_int_equal(ret, 0);
		assert_int_equal(copro_mbox_chan_id(chan), 0);
		/* The small board is polled: drive it by hand. */
		assert_int_equal(copro_mmio_map(s.p,
						SMALL_MBOX_PHYS - ASC_MBOX_OFFSET,
						ASC_CPU_REGION_SIZE, &cpu),
				 0);
		copro_writel(cpu, ASC_CPU_CONTROL, ASC_CPU_CONTROL_RUN);
		assert_int_equal(copro_mbox_send(chan, &m, sizeof(m), 0), 0);
		while (atomic_load(&rx->n) == 0 &&
		       copro_deadline_left(deadline) > 0)
			copro_mbox_poll(chan);
		assert_int_equal(atomic_load(&rx->n), 1);
		assert_int_equal(rx->msgs[0].msg0, m.msg0);
		copro_writel(cpu, ASC_CPU_CONTROL, 0);
		copro_mmio_unmap(cpu);
		copro_mbox_free(chan);
	} else {
		assert_int_equal(ret, want);
		assert_true(test_logcap_contains(&s.cap, "#mbox-cells"));
	}
	copro_asc_remove(asc);
	copro_sim_asc_destroy(model);
	small_close(&s);
	free(rx);
}

static void test_dt_bind(void **state)
{
	(void)state;
	check_dt_bind(0, 0);
	check_dt_bind(1, -EINVAL);
}

static void test_no_such_channel(void **state)
{
	struct fx *f = *state;
	struct copro_mbox_chan *chan;

	assert_true(copro_mbox_request(f->p, T8103_MBOX, 1, &f->client,
				       &chan) < 0);
	assert_true(test_logcap_contains(&f->cap, "only channel 0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_no_reg),
		cmocka_unit_test(test_probe_no_recv_irq),
		cmocka_unit_test(test_probe_not_asc),
		cmocka_unit_test(test_dt_bind),
		TEST_THREADED(test_no_such_channel, setup, teardown),
		TEST_POLLED(test_send_wrong_length, setup, teardown),
		TEST_BOTH(test_round_trip, setup, teardown),
		TEST_BOTH(test_rx_before_bind, setup, teardown),
		TEST_POLLED(test_one_poll_takes_a_full_fifo, setup, teardown),
		TEST_THREADED(test_flood_loses_no_edge, setup, teardown),
		TEST_BOTH(test_credit_backpressure, setup, teardown),
		TEST_BOTH(test_credit_queue_full, setup, teardown),
		TEST_BOTH(test_rx_ring_full_no_loss, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
