/* SPDX-License-Identifier: MIT */
/*
 * The emulated platform: MMIO regions and accessors, interrupt lines in
 * threaded and polled mode, emulated DMA memory, reset lines and power
 * domains, providers, leak reports, and two boards side by side.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "copro/sim/board.h"
#include "copro/sim/bus.h"
#include "copro/sim/raw.h"
#include "copro/driver/backend.h"
#include "copro/error.h"
#include "copro/os.h"
#include "copro/driver/platform.h"
#include "test_dtb.h"
#include "testutil.h"
#include "test_modes.h"

struct fx {
	struct test_logcap cap;
	struct copro_dt *dt;
	struct copro_bus *bus;
	struct copro_platform *p;
};

static void expect_log(struct fx *fx, const char *text)
{
	test_logcap_expect(&fx->cap, text);
}

static size_t errors(struct fx *fx)
{
	return test_logcap_count(&fx->cap, "err: ");
}

/* ---- a second, tiny board ---- */

#define PS_PH 2
#define PS2_PH 3

/*
 * DRAM at 0x100000000; /soc/ps (0 cells) and /soc/ps2 (1 cell) provide
 * power domains and resets; /soc/dev uses both.
 */
static struct test_dtb *tiny_board(bool with_memory)
{
	struct test_dtb *b = test_dtb_new();

	test_dtb_begin(b, "");
	test_dtb_u32(b, "#address-cells", 2);
	test_dtb_u32(b, "#size-cells", 2);
	if (with_memory)
		test_dtb_memory(b, 0x100000000, 0x100000);
	test_dtb_begin(b, "soc");
	test_dtb_u32(b, "#address-cells", 2);
	test_dtb_u32(b, "#size-cells", 2);
	test_dtb_empty(b, "ranges");
	test_dtb_begin(b, "ps");
	test_dtb_u32(b, "#power-domain-cells", 0);
	test_dtb_u32(b, "#reset-cells", 0);
	test_dtb_phandle(b, PS_PH);
	test_dtb_end(b);
	test_dtb_begin(b, "ps2");
	test_dtb_u32(b, "#power-domain-cells", 1);
	test_dtb_u32(b, "#reset-cells", 1);
	test_dtb_phandle(b, PS2_PH);
	test_dtb_end(b);
	test_dtb_begin(b, "dev");
	test_dtb_cells(b, "power-domains", 3, PS_PH, PS2_PH, 5);
	test_dtb_cells(b, "resets", 3, PS_PH, PS2_PH, 7);
	test_dtb_end(b);
	test_dtb_end(b);
	test_dtb_end(b);
	return b;
}

static int open_tiny(struct fx *fx, struct copro_dt **dt)
{
	return test_dtb_open(tiny_board(true), "tiny",
			     test_logcap_log(&fx->cap), dt);
}

static int make_platform(struct fx *fx, struct copro_dt *dt, bool threaded,
			 struct copro_bus **bus, struct copro_platform **p)
{
	return test_platform_create(dt, test_logcap_log(&fx->cap), threaded,
				    bus, p);
}

/* ---- fixtures ---- */

static int setup_common(void **state, bool tiny, bool threaded)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx || test_logcap_init(&fx->cap))
		return -1;
	if (tiny ? open_tiny(fx, &fx->dt)
		 : copro_board_dt_open("t8103", test_logcap_log(&fx->cap),
				       &fx->dt))
		return -1;
	if (make_platform(fx, fx->dt, threaded, &fx->bus, &fx->p))
		return -1;
	*state = fx;
	return 0;
}

/* The t8103 board, in the case's mode. */
static int setup(void **state)
{
	return setup_common(state, false, test_threaded(state));
}

static int setup_tiny(void **state)
{
	return setup_common(state, true, false);
}

static int setup_bare(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx || test_logcap_init(&fx->cap))
		return -1;
	*state = fx;
	return 0;
}

/* Every test releases what it took: destroy must find nothing left. */
static int teardown(void **state)
{
	struct fx *fx = *state;
	int rc = 0;

	test_platform_destroy(fx->bus, fx->p);
	if (test_logcap_count(&fx->cap, "destroyed with")) {
		test_logcap_dump(&fx->cap);
		rc = -1;
	}
	copro_dt_close(fx->dt);
	test_logcap_destroy(&fx->cap);
	free(fx);
	return rc;
}

/* ---- MMIO ---- */

struct fake {
	unsigned char regs[0x200];
	_Atomic unsigned reads, writes;
	uint64_t last_off;
	unsigned last_width;
};

static uint64_t fake_read(void *ctx, uint64_t off, unsigned width)
{
	struct fake *f = ctx;
	uint64_t v = 0;

	f->reads++;
	f->last_off = off;
	f->last_width = width;
	memcpy(&v, f->regs + off, width);
	return v;
}

static void fake_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct fake *f = ctx;

	f->writes++;
	f->last_off = off;
	f->last_width = width;
	memcpy(f->regs + off, &val, width);
}

static const struct copro_mmio_ops fake_ops = { fake_read, fake_write };

#define FAKE_BASE 0x10000ull

static void test_mmio_map_and_access(void **state)
{
	struct fx *fx = *state;
	struct fake f = { 0 };
	struct copro_mmio *m;

	assert_int_equal(copro_bus_add_mmio(fx->bus, FAKE_BASE, sizeof(f.regs),
					    &fake_ops, &f, "fake"), 0);
	assert_int_equal(copro_mmio_map(fx->p, FAKE_BASE + 0x100, 0x80, &m), 0);
	assert_int_equal(copro_mmio_phys(m), FAKE_BASE + 0x100);
	assert_int_equal(copro_mmio_size(m), 0x80);

	copro_writel(m, 0x4, 0xdeadbeef);
	assert_int_equal(f.last_off, 0x104);
	assert_int_equal(f.last_width, 4);
	assert_int_equal(copro_readl(m, 0x4), 0xdeadbeef);
	copro_writeq(m, 0x78, 0x0123456789abcdefull);
	assert_int_equal(f.last_off, 0x178);
	assert_int_equal(f.last_width, 8);
	assert_int_equal(copro_readq(m, 0x78), 0x0123456789abcdefull);
	assert_int_equal(copro_readl(m, 0x7c), 0x01234567);
	assert_int_equal(f.reads, 3);
	assert_int_equal(f.writes, 2);
	assert_int_equal(errors(fx), 0);

	copro_mmio_unmap(m);
	copro_bus_remove_mmio(fx->bus, FAKE_BASE);
}

static void test_mmio_bad_access(void **state)
{
	struct fx *fx = *state;
	struct fake f = { 0 };
	struct copro_mmio *m;

	memset(f.regs, 0x11, sizeof(f.regs));
	assert_int_equal(copro_bus_add_mmio(fx->bus, FAKE_BASE, sizeof(f.regs),
					    &fake_ops, &f, "fake"), 0);
	assert_int_equal(copro_mmio_map(fx->p, FAKE_BASE + 0x100, 0x80, &m), 0);

	assert_int_equal(copro_readl(m, 0x80), UINT32_MAX);
	expect_log(fx, "err: t8103: mmio: bus error: 4-byte read at offset 0x80 of 'fake' mapping [0x10100, +0x80): outside the mapping");
	assert_int_equal(copro_readq(m, 0x7c), UINT64_MAX);
	expect_log(fx, "8-byte read at offset 0x7c of 'fake' mapping [0x10100, +0x80): outside the mapping");
	assert_int_equal(copro_readl(m, 0x2), UINT32_MAX);
	expect_log(fx, "4-byte read at offset 0x2 of 'fake' mapping [0x10100, +0x80): misaligned");
	assert_int_equal(copro_readq(m, 0x4), UINT64_MAX);
	expect_log(fx, "8-byte read at offset 0x4 of 'fake' mapping [0x10100, +0x80): misaligned");
	assert_int_equal(copro_readl(m, UINT64_MAX - 1), UINT32_MAX);
	copro_writel(m, 0x1000, 1);
	expect_log(fx, "4-byte write at offset 0x1000 of 'fake'");
	copro_writeq(m, 0x3, 1);
	expect_log(fx, "8-byte write at offset 0x3 of 'fake'");

	/* None of them reached the model. */
	assert_int_equal(f.reads, 0);
	assert_int_equal(f.writes, 0);
	assert_int_equal(errors(fx), 7);

	copro_mmio_unmap(m);
	copro_bus_remove_mmio(fx->bus, FAKE_BASE);
}

/* A region that is plain memory: words the model shares with the CPU. */
struct ram {
	_Atomic uint32_t w[0x200 / 4];
	_Atomic unsigned calls;
};

static uint64_t ram_read(void *ctx, uint64_t off, unsigned width)
{
	struct ram *r = ctx;
	uint64_t v = atomic_load(&r->w[off / 4]);

	r->calls++;
	if (width == 8)
		v |= (uint64_t)atomic_load(&r->w[off / 4 + 1]) << 32;
	return v;
}

static void ram_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct ram *r = ctx;

	r->calls++;
	atomic_store(&r->w[off / 4], (uint32_t)val);
	if (width == 8)
		atomic_store(&r->w[off / 4 + 1], (uint32_t)(val >> 32));
}

static const struct copro_mmio_ops ram_ops = { ram_read, ram_write };

/*
 * A platform loads and stores plain memory itself, with the same words
 * and the same checks: no call into the model, values where the model
 * sees them, bad accesses still refused and reported.
 */
static void test_mmio_memory_direct(void **state)
{
	struct fx *fx = *state;
	struct ram *r = calloc(1, sizeof(*r));
	struct copro_mmio *m;
	uint64_t v;

	assert_non_null(r);
	assert_int_equal(copro_bus_add_memory(fx->bus, FAKE_BASE + 2,
					      sizeof(r->w), &ram_ops, r,
					      (void *)r->w, "ram"), -EINVAL);
	expect_log(fx, "cannot add memory 'ram' [0x10002, +0x200): not word aligned");
	assert_int_equal(copro_bus_add_memory(fx->bus, FAKE_BASE, sizeof(r->w),
					      &ram_ops, r, (void *)r->w,
					      "ram"), 0);
	assert_int_equal(copro_mmio_map(fx->p, FAKE_BASE + 0x100, 0x80, &m), 0);

	copro_writel(m, 0x4, 0xdeadbeef);
	assert_int_equal(atomic_load(&r->w[0x104 / 4]), 0xdeadbeef);
	copro_writeq(m, 0x78, 0x0123456789abcdefull);
	assert_int_equal(atomic_load(&r->w[0x178 / 4]), 0x89abcdef);
	assert_int_equal(atomic_load(&r->w[0x17c / 4]), 0x01234567);
	atomic_store(&r->w[0x108 / 4], 0x55aa55aa);
	assert_int_equal(copro_readl(m, 0x8), 0x55aa55aa);
	assert_int_equal(copro_readq(m, 0x78), 0x0123456789abcdefull);
	assert_int_equal(copro_readl(m, 0x7c), 0x01234567);
	assert_int_equal(atomic_load(&r->calls), 0);
	assert_int_equal(errors(fx), 1);

	assert_int_equal(copro_readl(m, 0x80), UINT32_MAX);
	expect_log(fx, "4-byte read at offset 0x80 of 'ram' mapping [0x10100, +0x80): outside the mapping");
	assert_int_equal(copro_readq(m, 0x4), UINT64_MAX);
	expect_log(fx, "8-byte read at offset 0x4 of 'ram' mapping [0x10100, +0x80): misaligned");
	copro_writel(m, 0x2, 1);
	expect_log(fx, "4-byte write at offset 0x2 of 'ram'");
	copro_writeq(m, 0x80, 1);
	expect_log(fx, "8-byte write at offset 0x80 of 'ram'");
	assert_int_equal(errors(fx), 5);

	/* Raw accesses by address still go through the model. */
	assert_int_equal(copro_bus_read(fx->bus, FAKE_BASE + 0x104, 4, &v), 0);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(atomic_load(&r->calls), 1);

	copro_mmio_unmap(m);
	copro_bus_remove_mmio(fx->bus, FAKE_BASE);
	free(r);
}

static void test_mmio_overlap_and_bad_maps(void **state)
{
	struct fx *fx = *state;
	struct fake a = { 0 }, b = { 0 };
	struct copro_mmio *m;

	assert_int_equal(copro_bus_add_mmio(fx->bus, FAKE_BASE, 0x200, &fake_ops,
					    &a, "first"), 0);
	assert_int_equal(copro_bus_add_mmio(fx->bus, FAKE_BASE + 0x1f0, 0x100,
					    &fake_ops, &b, "second"),
			 -EEXIST);
	expect_log(fx, "err: t8103: mmio: region 'second' [0x101f0, +0x100) overlaps region 'first' [0x10000, +0x200)");
	assert_int_equal(copro_bus_add_mmio(fx->bus, FAKE_BASE - 0x10, 0x20,
					    &fake_ops, &b, "before"),
			 -EEXIST);
	expect_log(fx, "region 'before' [0xfff0, +0x20) overlaps region 'first'");
	/* Adjacent on both sides is fine. */
	assert_int_equal(copro_bus_add_mmio(fx->bus, FAKE_BASE + 0x200, 0x200,
					    &fake_ops, &b, "second"), 0);
	assert_int_equal(copro_bus_add_mmio(fx->bus, FAKE_BASE - 0x200, 0x200,
					    &fake_ops, &b, "third"), 0);
	assert_int_equal(copro_bus_add_mmio(fx->bus, 0x20000, 0, &fake_ops, &b,
					    "empty"), -EINVAL);

	assert_int_equal(copro_mmio_map(fx->p, FAKE_BASE + 0x100, 0x200, &m),
			 -ENXIO);
	assert_null(m);
	expect_log(fx, "mmio: cannot map [0x10100, +0x200): not inside region 'first' [0x10000, +0x200)");
	assert_int_equal(copro_mmio_map(fx->p, 0x40000, 4, &m), -ENXIO);
	expect_log(fx, "mmio: cannot map [0x40000, +0x4): no device there");
	assert_int_equal(copro_mmio_map(fx->p, FAKE_BASE, 0, &m), -EINVAL);

	copro_bus_remove_mmio(fx->bus, FAKE_BASE);
	copro_bus_remove_mmio(fx->bus, FAKE_BASE + 0x200);
	copro_bus_remove_mmio(fx->bus, FAKE_BASE - 0x200);
	copro_bus_remove_mmio(fx->bus, FAKE_BASE);
	expect_log(fx, "mmio: no region starts at 0x10000");
}

static void test_mmio_map_dt(void **state)
{
	struct fx *fx = *state;
	struct fake f = { 0 };
	struct copro_mmio *m;
	int mbox = copro_dt_next_compatible(fx->dt, -1, "apple,asc-mailbox");

	assert_true(mbox >= 0);
	assert_int_equal(copro_mmio_map_dt(fx->p, mbox, NULL, 0, &m), -ENXIO);
	assert_int_equal(copro_bus_add_mmio(fx->bus, 0x277408000, 0x4000,
					    &fake_ops, &f, "asc-mbox"), 0);
	assert_int_equal(copro_mmio_map_dt(fx->p, mbox, NULL, 0, &m), 0);
	assert_int_equal(copro_mmio_phys(m), 0x277408000);
	assert_int_equal(copro_mmio_size(m), 0x4000);
	copro_writel(m, 0x110, 5);
	assert_int_equal(f.last_off, 0x110);
	copro_mmio_unmap(m);

	assert_int_equal(copro_mmio_map_dt(fx->p, mbox, "mbox", 0, &m), -ENOENT);
	expect_log(fx, "err: t8103: /soc/mbox@277408000: missing property 'reg-names'");
	copro_bus_remove_mmio(fx->bus, 0x277408000);
}

static void test_mmio_remove_while_mapped(void **state)
{
	struct fx *fx = *state;
	struct fake f = { 0 };
	struct copro_mmio *m1, *m2;

	assert_int_equal(copro_bus_add_mmio(fx->bus, FAKE_BASE, 0x200, &fake_ops,
					    &f, "fake"), 0);
	assert_int_equal(copro_mmio_map(fx->p, FAKE_BASE, 0x10, &m1), 0);
	assert_int_equal(copro_mmio_map(fx->p, FAKE_BASE + 0x10, 0x10, &m2), 0);
	copro_mmio_unmap(m1);
	copro_bus_remove_mmio(fx->bus, FAKE_BASE);
	expect_log(fx, "err: t8103: mmio: region 'fake' removed with 1 live mappings (drivers must unmap first)");
	/* Gone from the bus at once; the late unmap frees it (ASan checks). */
	assert_int_equal(copro_mmio_map(fx->p, FAKE_BASE, 0x10, &m1), -ENXIO);
	copro_mmio_unmap(m2);
}

/* ---- interrupts ---- */

struct line_ctx {
	struct copro_bus *bus;
	unsigned line;
	struct copro_irq *irq;
	_Atomic int calls;
	bool clear;	   /* deassert the line (clear the cause) */
	bool disable_self; /* mask the line from its own handler */
	bool free_self;	   /* free the line from its own handler */
	bool reenable;	   /* re-enable the line on the way out */
	_Atomic int inside;
	_Atomic bool overlap; /* ran concurrently with itself */
	/* Blocks inside the handler until released. */
	bool block;
	_Atomic bool entered, release, finished;
};

static void line_handler(void *arg)
{
	struct line_ctx *c = arg;

	if (atomic_fetch_add(&c->inside, 1))
		atomic_store(&c->overlap, true);
	c->calls++;
	if (c->block) {
		atomic_store(&c->entered, true);
		uint64_t deadline = copro_deadline(TEST_TIMEOUT_NS);

		while (!atomic_load(&c->release) && copro_deadline_left(deadline))
			copro_cpu_relax();
	}
	for (volatile int i = 0; i < 50; i++)
		; /* widen any overlap window */
	if (c->clear)
		copro_bus_irq_set(c->bus, c->line, false);
	if (c->disable_self)
		copro_irq_disable(c->irq);
	if (c->free_self)
		copro_irq_free(c->irq);
	if (c->reenable)
		copro_irq_enable(c->irq);
	atomic_store(&c->finished, true);
	atomic_fetch_sub(&c->inside, 1);
}

static void request(struct fx *fx, struct line_ctx *c, unsigned line)
{
	c->bus = fx->bus;
	c->line = line;
	assert_int_equal(copro_irq_request(fx->p, line, line_handler, c, "test",
					   &c->irq), 0);
	assert_int_equal(copro_irq_line(c->irq), line);
}

static void test_irq_polled_level(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .clear = true };

	request(fx, &c, 10);
	assert_int_equal(copro_platform_poll(fx->p), 0);
	copro_bus_irq_set(fx->bus, 10, true);
	assert_true(copro_bus_irq_get(fx->bus, 10));
	assert_int_equal(copro_platform_poll(fx->p), 1);
	assert_int_equal(c.calls, 1);
	assert_false(copro_bus_irq_get(fx->bus, 10));
	assert_int_equal(copro_platform_poll(fx->p), 0);

	/* Asserted before anyone listened: the handler runs once requested. */
	copro_bus_irq_set(fx->bus, 11, true);
	struct line_ctx d = { .clear = true };

	request(fx, &d, 11);
	assert_int_equal(copro_platform_poll(fx->p), 1);
	assert_int_equal(d.calls, 1);
	copro_irq_free(c.irq);
	copro_irq_free(d.irq);
}

static void test_irq_stuck_line_is_bounded(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .clear = false };
	int n;

	request(fx, &c, 12);
	copro_bus_irq_set(fx->bus, 12, true);
	/* Level semantics: it runs again and again, but poll returns. */
	n = copro_platform_poll(fx->p);
	assert_true(n > 1);
	assert_int_equal(c.calls, n);
	assert_int_equal(copro_platform_poll(fx->p), n);
	copro_irq_free(c.irq);
	assert_int_equal(copro_platform_poll(fx->p), 0);
}

static void test_irq_disable_enable(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .clear = true };
	struct line_ctx s = { .disable_self = true };

	request(fx, &c, 13);
	copro_irq_disable(c.irq);
	copro_bus_irq_set(fx->bus, 13, true);
	assert_int_equal(copro_platform_poll(fx->p), 0);
	copro_irq_enable(c.irq);
	assert_int_equal(copro_platform_poll(fx->p), 1);
	assert_int_equal(c.calls, 1);

	/* A handler that masks itself runs once; enabling re-runs it. */
	request(fx, &s, 14);
	copro_bus_irq_set(fx->bus, 14, true);
	assert_int_equal(copro_platform_poll(fx->p), 1);
	assert_int_equal(copro_platform_poll(fx->p), 0);
	assert_true(copro_bus_irq_get(fx->bus, 14));
	copro_irq_enable(s.irq);
	assert_int_equal(copro_platform_poll(fx->p), 1);
	assert_int_equal(s.calls, 2);

	copro_irq_free(c.irq);
	copro_irq_free(s.irq);
}

static void test_irq_request_errors(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .clear = true }, d = { 0 };
	struct copro_irq *irq;

	request(fx, &c, 15);
	assert_int_equal(copro_irq_request(fx->p, 15, line_handler, &d, "other",
					   &irq), -EBUSY);
	assert_null(irq);
	expect_log(fx, "err: t8103: irq: line 15 requested for 'other' is already held by 'test'");
	assert_int_equal(copro_irq_request(fx->p, 4096, line_handler, &d, "big",
					   &irq), -EINVAL);
	expect_log(fx, "irq: cannot request line 4096 for 'big': no such line");
	assert_int_equal(copro_irq_request(fx->p, 16, NULL, &d, "nohandler",
					   &irq), -EINVAL);

	/* Freed lines can be requested again, by someone else. */
	copro_irq_free(c.irq);
	d.clear = true;
	request(fx, &d, 15);
	copro_bus_irq_set(fx->bus, 15, true);
	assert_int_equal(copro_platform_poll(fx->p), 1);
	assert_int_equal(c.calls, 0);
	assert_int_equal(d.calls, 1);
	copro_irq_free(d.irq);
	copro_bus_irq_set(fx->bus, 5000, true);
	expect_log(fx, "irq: a model drove line 5000");
	assert_false(copro_bus_irq_get(fx->bus, 5000));
}

static void test_irq_request_dt(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .clear = true };
	struct copro_irq *a, *b, *dup;
	int mbox = copro_dt_next_compatible(fx->dt, -1, "apple,asc-mailbox");

	c.bus = fx->bus;
	c.line = 586;
	assert_int_equal(copro_irq_request_dt(fx->p, mbox, "recv-not-empty", 0,
					      line_handler, &c, &a), 0);
	assert_int_equal(copro_irq_line(a), 586);
	assert_int_equal(copro_irq_request_dt(fx->p, mbox, NULL, 0, line_handler,
					      &c, &b), 0);
	assert_int_equal(copro_irq_line(b), 583);
	assert_int_equal(copro_irq_request_dt(fx->p, mbox, NULL, 0, line_handler,
					      &c, &dup), -EBUSY);
	assert_null(dup);
	expect_log(fx, "irq: line 583 requested for 'mbox@277408000:0' is already held by 'mbox@277408000:0'");
	assert_int_equal(copro_irq_request_dt(fx->p, mbox, "bogus", 0,
					      line_handler, &c, &dup), -ENOENT);
	expect_log(fx, "/soc/mbox@277408000: property 'interrupt-names' has no entry 'bogus'");

	copro_bus_irq_set(fx->bus, 586, true);
	assert_int_equal(copro_platform_poll(fx->p), 1);
	copro_irq_free(a);
	copro_irq_free(b);
}

static void test_irq_free_from_own_handler(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .free_self = true };
	struct line_ctx d = { .clear = true };

	request(fx, &c, 17);
	copro_bus_irq_set(fx->bus, 17, true);
	assert_int_equal(copro_platform_poll(fx->p), 1);
	assert_int_equal(copro_platform_poll(fx->p), 0);
	request(fx, &d, 17);
	assert_int_equal(copro_platform_poll(fx->p), 1);
	copro_irq_free(d.irq);
}

struct poller {
	struct copro_platform *p;
	int rounds;
};

static void *poll_thread(void *arg)
{
	struct poller *pl = arg;

	for (int i = 0; i < pl->rounds; i++)
		copro_platform_poll(pl->p);
	return NULL;
}

static void test_irq_poll_from_two_threads(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .clear = false };
	struct poller pl = { fx->p, 100 };
	struct copro_thread t1 = { 0 }, t2 = { 0 };

	request(fx, &c, 18);
	copro_bus_irq_set(fx->bus, 18, true);
	assert_int_equal(copro_thread_start(&t1, "poll1", poll_thread, &pl), 0);
	assert_int_equal(copro_thread_start(&t2, "poll2", poll_thread, &pl), 0);
	copro_thread_join(&t1);
	copro_thread_join(&t2);
	assert_true(c.calls > 0);
	assert_false(atomic_load(&c.overlap));
	copro_irq_free(c.irq);
}

static bool calls_at_least(void *arg)
{
	struct line_ctx *c = arg;

	return atomic_load(&c->calls) >= 1;
}

static bool entered(void *arg)
{
	return atomic_load(&((struct line_ctx *)arg)->entered);
}

static void test_irq_threaded(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .clear = true };

	assert_true(copro_platform_threaded(fx->p));
	request(fx, &c, 20);
	copro_bus_irq_set(fx->bus, 20, true);
	assert_true(test_wait_until(calls_at_least, &c, TEST_TIMEOUT_NS));

	/* Masked while asserted: enabling must deliver it. */
	copro_irq_disable(c.irq);
	c.calls = 0;
	copro_bus_irq_set(fx->bus, 20, true);
	copro_irq_enable(c.irq);
	assert_true(test_wait_until(calls_at_least, &c, TEST_TIMEOUT_NS));
	copro_irq_free(c.irq);
}

static bool line_low(void *arg)
{
	struct line_ctx *c = arg;

	return !copro_bus_irq_get(c->bus, c->line);
}

static void test_irq_threaded_many_edges(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .clear = true };

	request(fx, &c, 21);
	for (int i = 0; i < 200; i++) {
		copro_bus_irq_set(fx->bus, 21, true);
		assert_true(test_wait_until(line_low, &c, TEST_TIMEOUT_NS));
	}
	assert_int_equal(c.calls, 200);
	copro_irq_free(c.irq);
}

struct irq_waits {
	struct copro_bus *bus;
	uint64_t after;
};

static bool irq_thread_waited(void *arg)
{
	struct irq_waits *w = arg;
	struct copro_bus_irq_stats st;

	copro_bus_irq_get_stats(w->bus, &st);
	return st.thread_waits > w->after;
}

/*
 * The interrupt thread, woken for an edge raised just before a poller
 * counted itself, handles it and then sleeps at once: no spin while a
 * poller would take every later edge. Without a poller it spins first.
 */
static void test_irq_thread_sleeps_unspun_while_polled(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .clear = true };
	struct copro_bus_irq_stats st;
	int i;

	request(fx, &c, 22);
	/* Whether the thread wakes before or after the hold is its luck. */
	for (i = 0; i < 2000; i++) {
		struct irq_waits w = { .bus = fx->bus };

		copro_bus_irq_get_stats(fx->bus, &st);
		w.after = st.thread_waits;
		copro_bus_irq_set(fx->bus, 22, true);
		copro_platform_poll_hold(fx->p, true);
		assert_true(test_wait_until(line_low, &c, TEST_TIMEOUT_NS));
		bool waited = test_wait_until(irq_thread_waited, &w,
					      TEST_TIMEOUT_NS);
		copro_platform_poll_hold(fx->p, false);
		assert_true(waited);
		copro_bus_irq_get_stats(fx->bus, &st);
		if (st.thread_waits_unspun)
			break;
	}
	assert_int_equal(c.calls, i + 1 > 2000 ? 2000 : i + 1);
	assert_true(st.thread_waits_unspun >= 1);

	/* No poller: the thread's wait after the edge is a spun one. */
	struct irq_waits w = { .bus = fx->bus, .after = st.thread_waits };
	uint64_t unspun = st.thread_waits_unspun;

	copro_bus_irq_set(fx->bus, 22, true);
	assert_true(test_wait_until(line_low, &c, TEST_TIMEOUT_NS));
	assert_true(test_wait_until(irq_thread_waited, &w, TEST_TIMEOUT_NS));
	copro_bus_irq_get_stats(fx->bus, &st);
	assert_int_equal(st.thread_waits_unspun, unspun);
	copro_irq_free(c.irq);
}

/* ---- lines whose level a model computes --------------------------------- */

struct computed {
	_Atomic bool up;	/* the model's state the level follows */
	_Atomic int calls;
	_Atomic int refill;	/* the handler leaves it up this many times */
	struct copro_bus *bus;
	unsigned line;
};

static bool computed_level(void *ctx, unsigned line)
{
	struct computed *m = ctx;

	(void)line;
	return atomic_load(&m->up);
}

/* The handler clears the cause, as a driver draining a FIFO does. */
static void computed_handler(void *arg)
{
	struct computed *m = arg;

	if (atomic_load(&m->refill) > 0)
		atomic_fetch_sub(&m->refill, 1);
	else
		atomic_store(&m->up, false);
	atomic_fetch_add(&m->calls, 1);
}

static void computed_raise(struct computed *m)
{
	atomic_store(&m->up, true);
	copro_bus_irq_set(m->bus, m->line, true);
}

static void hook_noop(void *ctx, unsigned line, bool level)
{
	(void)ctx;
	(void)line;
	(void)level;
}

static void test_irq_computed_level(void **state)
{
	struct fx *fx = *state;
	struct computed m = { .bus = fx->bus, .line = 24 };
	struct copro_irq *irq;

	assert_int_equal(copro_bus_irq_set_source(fx->bus, 24, computed_level,
						  &m),
			 0);
	assert_int_equal(copro_bus_irq_set_source(fx->bus, 24, computed_level,
						  &m),
			 -EBUSY);
	assert_int_equal(copro_bus_irq_set_source(fx->bus, 4096, computed_level,
						  &m),
			 -EINVAL);
	assert_int_equal(copro_irq_request(fx->p, 24, computed_handler, &m,
					   "computed", &irq),
			 0);
	/* The level is the model's state, read when the line is looked at. */
	assert_false(copro_bus_irq_get(fx->bus, 24));
	atomic_store(&m.up, true);
	assert_true(copro_bus_irq_get(fx->bus, 24));
	assert_int_equal(copro_platform_poll(fx->p), 1);
	assert_int_equal(atomic_load(&m.calls), 1);
	assert_false(copro_bus_irq_get(fx->bus, 24));
	assert_int_equal(copro_platform_poll(fx->p), 0);
	/* Reporting an edge stores nothing: the state still rules. */
	copro_bus_irq_set(fx->bus, 24, true);
	assert_false(copro_bus_irq_get(fx->bus, 24));
	computed_raise(&m);
	assert_int_equal(copro_platform_poll(fx->p), 1);

	/* Without its source the line reads its stored level: low. */
	atomic_store(&m.up, true);
	assert_int_equal(copro_bus_irq_set_source(fx->bus, 24, NULL, NULL), 0);
	assert_false(copro_bus_irq_get(fx->bus, 24));
	assert_int_equal(copro_platform_poll(fx->p), 0);
	assert_int_equal(atomic_load(&m.calls), 2);

	/* Watched: while a raw hook listens to every change. */
	assert_false(copro_bus_irq_watched(fx->bus));
	assert_int_equal(copro_raw_irq_hook(fx->bus, 24, hook_noop, NULL), 0);
	assert_true(copro_bus_irq_watched(fx->bus));
	copro_raw_irq_unhook(fx->bus, 24);
	assert_false(copro_bus_irq_watched(fx->bus));
	copro_irq_free(irq);
}

/*
 * Level semantics as a poll keeps them: it goes round again for a line
 * its handler left asserted, as often as the handler leaves it so, and
 * not for one the handler drained.
 */
static void test_irq_poll_passes(void **state)
{
	struct fx *fx = *state;
	struct computed m = { .bus = fx->bus, .line = 26 };
	struct copro_irq *irq;

	assert_int_equal(copro_bus_irq_set_source(fx->bus, 26, computed_level,
						  &m),
			 0);
	assert_int_equal(copro_irq_request(fx->p, 26, computed_handler, &m,
					   "passes", &irq),
			 0);
	atomic_store(&m.up, true);
	assert_int_equal(copro_platform_poll(fx->p), 1);
	assert_int_equal(atomic_load(&m.calls), 1);
	/* Left up twice: three calls in the one poll. */
	atomic_store(&m.up, true);
	atomic_store(&m.refill, 2);
	assert_int_equal(copro_platform_poll(fx->p), 3);
	assert_int_equal(atomic_load(&m.calls), 4);
	assert_false(copro_bus_irq_get(fx->bus, 26));
	assert_int_equal(copro_platform_poll(fx->p), 0);
	copro_irq_free(irq);
	assert_int_equal(copro_bus_irq_set_source(fx->bus, 26, NULL, NULL), 0);
}

/*
 * copro_bus_irq_edges_wake: an edge wakes someone only on a bus with an
 * interrupt thread and no busy poller counted (models skip reading the
 * other core's line for their edges otherwise).
 */
static void test_irq_edges_wake(void **state)
{
	struct fx *fx = *state;
	bool threaded = copro_platform_threaded(fx->p);

	assert_int_equal(copro_bus_irq_edges_wake(fx->bus), threaded);
	copro_platform_poll_hold(fx->p, true);
	assert_false(copro_bus_irq_edges_wake(fx->bus));
	copro_platform_poll_hold(fx->p, true);
	copro_platform_poll_hold(fx->p, false);
	assert_false(copro_bus_irq_edges_wake(fx->bus));
	copro_platform_poll_hold(fx->p, false);
	assert_int_equal(copro_bus_irq_edges_wake(fx->bus), threaded);
}

struct busy_poller {
	struct copro_platform *p;
	_Atomic int go; /* the edge the main thread is about to raise */
	_Atomic bool stop;
};

/*
 * Busy-polls (copro_platform_poll_hold) a few times (0 to 3) as each
 * edge is raised, then stops, as a waiter that gives up does: the edge
 * may rise before, during or after its polls.
 */
static void *busy_poll_thread(void *arg)
{
	struct busy_poller *bp = arg;
	int seen = 0;

	while (!atomic_load(&bp->stop)) {
		int go = atomic_load(&bp->go);

		if (go == seen) {
			copro_cpu_relax();
			continue;
		}
		seen = go;
		copro_platform_poll_hold(bp->p, true);
		for (int i = 0; i < go % 4; i++)
			copro_platform_poll(bp->p);
		copro_platform_poll_hold(bp->p, false);
	}
	return NULL;
}

static bool computed_handled(void *arg)
{
	return !atomic_load(&((struct computed *)arg)->up);
}

/*
 * A thread busy-polling the platform keeps the interrupt thread asleep
 * for edges it will see itself; none may be lost, whether the poller,
 * the interrupt thread or both are looking when the line rises, and
 * however soon the poller stops.
 */
static void test_irq_edges_while_polling(void **state)
{
	struct fx *fx = *state;
	struct computed m = { .bus = fx->bus, .line = 25 };
	struct busy_poller bp = { .p = fx->p };
	struct copro_thread t = { 0 };
	struct copro_irq *irq;
	const int edges = 3000;

	assert_int_equal(copro_bus_irq_set_source(fx->bus, 25, computed_level,
						  &m),
			 0);
	assert_int_equal(copro_irq_request(fx->p, 25, computed_handler, &m,
					   "computed", &irq),
			 0);
	assert_int_equal(copro_thread_start(&t, "busy-poll", busy_poll_thread,
					    &bp),
			 0);
	for (int i = 1; i <= edges; i++) {
		atomic_store(&bp.go, i);
		for (volatile int d = 0; d < (i * 7) % 200; d++)
			; /* vary where in the polls the edge lands */
		computed_raise(&m);
		if (!test_wait_until(computed_handled, &m, TEST_TIMEOUT_NS))
			fail_msg("edge %d of %d was never handled", i, edges);
	}
	atomic_store(&bp.stop, true);
	copro_thread_join(&t);
	assert_int_equal(atomic_load(&m.calls), edges);
	copro_irq_free(irq);
	assert_int_equal(copro_bus_irq_set_source(fx->bus, 25, NULL, NULL), 0);
}

struct freer {
	struct line_ctx *c;
	_Atomic bool done;
	bool saw_finished;
};

static void *free_thread(void *arg)
{
	struct freer *f = arg;

	copro_irq_free(f->c->irq);
	f->saw_finished = atomic_load(&f->c->finished);
	atomic_store(&f->done, true);
	return NULL;
}

static bool freer_done(void *arg)
{
	return atomic_load(&((struct freer *)arg)->done);
}

static void test_irq_free_waits_for_handler(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .clear = true, .block = true };
	struct freer f = { .c = &c };
	struct copro_thread t = { 0 };

	request(fx, &c, 22);
	copro_bus_irq_set(fx->bus, 22, true);
	assert_true(test_wait_until(entered, &c, TEST_TIMEOUT_NS));
	assert_int_equal(copro_thread_start(&t, "freer", free_thread, &f), 0);
	copro_sleep_ns(5 * COPRO_NSEC_PER_MSEC);
	assert_false(atomic_load(&f.done)); /* still inside the handler */
	atomic_store(&c.release, true);
	assert_true(test_wait_until(freer_done, &f, TEST_TIMEOUT_NS));
	copro_thread_join(&t);
	assert_true(f.saw_finished);
}

struct disabler {
	struct line_ctx *c;
	_Atomic bool done;
	bool saw_finished;
	int calls_at_return;
};

static void *disable_thread(void *arg)
{
	struct disabler *d = arg;

	copro_irq_disable(d->c->irq);
	d->saw_finished = atomic_load(&d->c->finished);
	d->calls_at_return = atomic_load(&d->c->calls);
	atomic_store(&d->done, true);
	return NULL;
}

static bool disabler_done(void *arg)
{
	return atomic_load(&((struct disabler *)arg)->done);
}

/*
 * Like Linux's disable_irq: disable waits out a running handler, and a
 * handler re-enabling its still-asserted line on the way out does not
 * win over it.
 */
static void test_irq_disable_waits_for_handler(void **state)
{
	struct fx *fx = *state;
	struct line_ctx c = { .block = true, .reenable = true };
	struct disabler d = { .c = &c };
	struct copro_thread t = { 0 };

	request(fx, &c, 23);
	copro_bus_irq_set(fx->bus, 23, true);
	assert_true(test_wait_until(entered, &c, TEST_TIMEOUT_NS));
	assert_int_equal(copro_thread_start(&t, "disabler", disable_thread, &d),
			 0);
	copro_sleep_ns(5 * COPRO_NSEC_PER_MSEC);
	assert_false(atomic_load(&d.done));
	atomic_store(&c.release, true);
	assert_true(test_wait_until(disabler_done, &d, TEST_TIMEOUT_NS));
	copro_thread_join(&t);
	assert_true(d.saw_finished);
	/* Still asserted, but masked: the handler stays quiet. */
	copro_sleep_ns(5 * COPRO_NSEC_PER_MSEC);
	assert_true(copro_bus_irq_get(fx->bus, 23));
	assert_int_equal(atomic_load(&c.calls), d.calls_at_return);
	copro_bus_irq_set(fx->bus, 23, false);
	copro_irq_free(c.irq);
}

/* ---- DMA ---- */

static void test_dma_alloc(void **state)
{
	struct fx *fx = *state;
	struct copro_dma_buf a, b, c;

	assert_int_equal(copro_dma_alloc(fx->p, 100, &a), 0);
	assert_int_equal(a.size, 100);
	assert_int_equal((uintptr_t)a.cpu & 0xfff, 0);
	assert_int_equal(a.phys & 0xfff, 0);
	assert_true(a.phys >= 0x800000000 && a.phys < 0xa00000000);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal(((unsigned char *)a.cpu)[i], 0);

	assert_int_equal(copro_dma_alloc(fx->p, 5000, &b), 0);
	assert_true(b.phys >= a.phys + 4096 || b.phys + 8192 <= a.phys);
	/* First fit: a freed range is reused. */
	copro_dma_free(fx->p, &a);
	assert_null(a.cpu);
	assert_int_equal(copro_dma_alloc(fx->p, 4096, &c), 0);
	assert_int_equal(c.phys, 0x800000000);

	assert_int_equal(copro_dma_alloc(fx->p, 0, &a), -EINVAL);
	expect_log(fx, "err: t8103: dma: cannot allocate a buffer of 0x0 bytes");
	assert_int_equal(copro_dma_alloc(fx->p, (size_t)16 << 30, &a), -ENOMEM);
	expect_log(fx, "err: t8103: dma: no room for 0x400000000 bytes in the DRAM window [0x800000000, 0xa00000000)");
	copro_dma_free(fx->p, &b);
	copro_dma_free(fx->p, &c);
	assert_int_equal(errors(fx), 2);
}

/*
 * A freed allocation is handed out again for the same size (fresh pages
 * cost a page fault each on first touch), zeroed like a new one; under
 * AddressSanitizer it is really freed, so only the zeroing is checked.
 */
#if defined(__SANITIZE_ADDRESS__)
#define DMA_REUSE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DMA_REUSE 0
#endif
#endif
#ifndef DMA_REUSE
#define DMA_REUSE 1
#endif

static void test_dma_reuse(void **state)
{
	struct fx *fx = *state;
	struct copro_dma_buf a, b, c;
	void *cpu;

	assert_int_equal(copro_dma_alloc(fx->p, 4 * 4096, &a), 0);
	memset(a.cpu, 0xa5, 4 * 4096);
	cpu = a.cpu;
	copro_dma_free(fx->p, &a);
	/* Another size does not take it. */
	assert_int_equal(copro_dma_alloc(fx->p, 4096, &c), 0);
	assert_ptr_not_equal(c.cpu, cpu);
	assert_int_equal(copro_dma_alloc(fx->p, 4 * 4096 - 100, &b), 0);
	if (DMA_REUSE)
		assert_ptr_equal(b.cpu, cpu);
	for (size_t i = 0; i < 4 * 4096; i++)
		assert_int_equal(((unsigned char *)b.cpu)[i], 0);
	copro_dma_free(fx->p, &b);
	copro_dma_free(fx->p, &c);
	assert_int_equal(errors(fx), 0);
}

static void test_dma_alloc_at(void **state)
{
	struct fx *fx = *state;
	struct copro_dma_buf a, b, c;
	unsigned char tmp[4] = { 1, 2, 3, 4 }, out[4];
	uint64_t at = 0x900000000ull;

	assert_int_equal(copro_dma_alloc_at(fx->p, at, 5000, &a), 0);
	assert_int_equal(a.phys, at);
	assert_int_equal(a.size, 5000);
	assert_int_equal((uintptr_t)a.cpu & 0xfff, 0);
	for (size_t i = 0; i < 8192; i++)
		assert_int_equal(((unsigned char *)a.cpu)[i], 0);
	/* A device sees it there, and only there. */
	assert_int_equal(copro_bus_dma_write(fx->bus, "dev", at + 4996, tmp, 4),
			 0);
	memcpy(out, (unsigned char *)a.cpu + 4996, 4);
	assert_memory_equal(out, tmp, 4);

	/* Overlaps, counting whole pages: the second page is taken. */
	assert_int_equal(copro_dma_alloc_at(fx->p, at + 4096, 4096, &b), -EBUSY);
	expect_log(fx, "dma: [0x900001000, +0x1000) overlaps a buffer that exists");
	assert_null(b.cpu);
	assert_int_equal(copro_dma_alloc_at(fx->p, at - 4096, 8192, &b), -EBUSY);
	assert_int_equal(copro_dma_alloc_at(fx->p, at - 4096, 4096, &b), 0);
	assert_int_equal(copro_dma_alloc_at(fx->p, at + 8192, 4096, &c), 0);

	/* Unaligned, empty, outside DRAM or running off its end. */
	struct copro_dma_buf e, d;

	assert_int_equal(copro_dma_alloc_at(fx->p, at + 0x10123, 16, &e), -EINVAL);
	expect_log(fx, "dma: cannot allocate 0x10 bytes at 0x900010123: address not page aligned");
	assert_int_equal(copro_dma_alloc_at(fx->p, at + 0x20000, 0, &e), -EINVAL);
	assert_int_equal(copro_dma_alloc_at(fx->p, 0x1000, 4096, &e), -EINVAL);
	expect_log(fx, "dma: [0x1000, +0x1000) is outside the DRAM window [0x800000000, 0xa00000000)");
	assert_int_equal(copro_dma_alloc_at(fx->p, 0x9fffff000ull, 8192, &e),
			 -EINVAL);
	assert_int_equal(copro_dma_alloc_at(fx->p, 0xa00000000ull, 4096, &e),
			 -EINVAL);
	assert_null(e.cpu);

	/* Ordinary allocations steer around it; freeing makes room again. */
	copro_dma_free(fx->p, &b);
	assert_int_equal(copro_dma_alloc(fx->p, 3 * 4096, &d), 0);
	assert_true(d.phys + 3 * 4096 <= at - 4096 || d.phys >= at + 3 * 4096);
	assert_int_equal(copro_dma_alloc_at(fx->p, at + 8192, 4096, &e), -EBUSY);
	copro_dma_free(fx->p, &a);
	assert_int_equal(copro_dma_alloc_at(fx->p, at, 8192, &a), 0);
	copro_dma_free(fx->p, &a);
	copro_dma_free(fx->p, &c);
	copro_dma_free(fx->p, &d);
}

static void test_dma_register_and_round_trip(void **state)
{
	struct fx *fx = *state;
	unsigned char *mem = aligned_alloc(4096, 8192);
	char out[16] = { 0 };
	uint64_t phys;
	void *ptr;

	assert_non_null(mem);
	memset(mem, 0, 8192);
	assert_int_equal(copro_dma_register(fx->p, mem + 0x123, 100, &phys), 0);
	assert_int_equal(phys & 0xfff, 0x123);

	assert_int_equal(copro_bus_dma_write(fx->bus, "dev", phys + 4, "hello", 6),
			 0);
	assert_string_equal((char *)mem + 0x127, "hello");
	assert_int_equal(copro_bus_dma_read(fx->bus, "dev", phys + 4, out, 6), 0);
	assert_string_equal(out, "hello");
	assert_int_equal(copro_bus_dma_map(fx->bus, "dev", phys, 100, &ptr), 0);
	assert_ptr_equal(ptr, mem + 0x123);
	/* One byte past the registered end is a fault, page or not. */
	assert_int_equal(copro_bus_dma_read(fx->bus, "dev", phys + 99, out, 2),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_bus_dma_faults(fx->bus), 1);

	assert_int_equal(copro_dma_unregister(fx->p, phys), 0);
	assert_int_equal(copro_bus_dma_read(fx->bus, "dev", phys, out, 1),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_dma_unregister(fx->p, phys), -ENOENT);
	expect_log(fx, "dma: no registered buffer at");
	assert_int_equal(copro_dma_register(fx->p, mem, 0, &phys), -EINVAL);
	free(mem);
}

static void test_dma_bus_faults(void **state)
{
	struct fx *fx = *state;
	struct copro_dma_buf a, b;
	unsigned char tmp[8];
	void *ptr;

	assert_int_equal(copro_dma_alloc(fx->p, 4096, &a), 0);
	assert_int_equal(copro_dma_alloc(fx->p, 4096, &b), 0);
	assert_int_equal(b.phys, a.phys + 4096);

	/* Contiguous buffers are still two buffers. */
	assert_int_equal(copro_bus_dma_read(fx->bus, "sart0", a.phys + 4092, tmp,
					    8), -COPRO_EBUSFAULT);
	expect_log(fx, "err: t8103: dma: bus fault: sart0 accessed [0x800000ffc, +0x8), which runs past the end of the buffer [0x800000000, +0x1000)");
	assert_int_equal(copro_bus_dma_faults(fx->bus), 1);

	assert_int_equal(copro_bus_dma_write(fx->bus, "ans2", 0x1000, tmp, 8),
			 -COPRO_EBUSFAULT);
	expect_log(fx, "dma: bus fault: ans2 accessed [0x1000, +0x8), which is not in any DMA buffer");
	assert_int_equal(copro_bus_dma_map(fx->bus, "ans2", a.phys + 8192, 1, &ptr),
			 -COPRO_EBUSFAULT);
	assert_null(ptr);
	assert_int_equal(copro_bus_dma_faults(fx->bus), 3);

	/* An empty access is fine at a valid address only. */
	assert_int_equal(copro_bus_dma_map(fx->bus, "ans2", a.phys + 10, 0, &ptr),
			 0);
	assert_ptr_equal(ptr, (char *)a.cpu + 10);
	assert_int_equal(copro_bus_dma_map(fx->bus, "ans2", 0x10, 0, &ptr),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_bus_dma_map(fx->bus, "ans2", b.phys, 4096, &ptr), 0);
	assert_int_equal(copro_bus_dma_map(fx->bus, "ans2", b.phys, SIZE_MAX, &ptr),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_bus_dma_faults(fx->bus), 5);
	assert_int_equal(errors(fx), 5);

	uint64_t freed = a.phys;

	copro_dma_free(fx->p, &a);
	assert_int_equal(copro_bus_dma_map(fx->bus, "late", freed, 1, &ptr),
			 -COPRO_EBUSFAULT);
	expect_log(fx, "late accessed [0x800000000, +0x1), which is not in any DMA buffer");
	copro_dma_free(fx->p, &b);
}

/*
 * A hint answers only for the buffer it names, and only while the table
 * has not changed: an access beyond that buffer, a buffer freed since,
 * and a new buffer at a freed one's address are all looked up again.
 */
static void test_dma_hint(void **state)
{
	struct fx *fx = *state;
	struct copro_bus_dma_hint h = { 0 };
	struct copro_dma_buf a, b, c;
	unsigned char out[4];
	uint64_t gen;
	void *ptr;

	assert_int_equal(copro_dma_alloc(fx->p, 4096, &a), 0);
	assert_int_equal(copro_dma_alloc(fx->p, 8192, &b), 0);
	assert_int_equal(copro_bus_dma_map_hint(fx->bus, "dev", a.phys + 8, 8,
						&ptr, &h), 0);
	assert_ptr_equal(ptr, (char *)a.cpu + 8);
	assert_int_equal(h.phys, a.phys);
	assert_int_equal(h.size, 4096);
	gen = h.gen;
	assert_true(gen != 0);
	assert_int_equal(copro_bus_dma_map_hint(fx->bus, "dev", a.phys + 4000,
						96, &ptr, &h), 0);
	assert_ptr_equal(ptr, (char *)a.cpu + 4000);
	/* Past the hint's buffer: looked up, and a fault as without one. */
	assert_int_equal(copro_bus_dma_map_hint(fx->bus, "dev", a.phys + 4000,
						97, &ptr, &h),
			 -COPRO_EBUSFAULT);
	expect_log(fx, "runs past the end of the buffer");
	assert_null(ptr);
	/* Another buffer refills it. */
	((unsigned char *)b.cpu)[5] = 0xa5;
	assert_int_equal(copro_bus_dma_read_hint(fx->bus, "dev", b.phys + 5, out,
						 1, &h), 0);
	assert_int_equal(out[0], 0xa5);
	assert_int_equal(h.phys, b.phys);
	assert_int_equal(h.gen, gen);

	/* Freed: the hint no longer stands. */
	uint64_t freed = b.phys;

	copro_dma_free(fx->p, &b);
	assert_int_equal(copro_bus_dma_map_hint(fx->bus, "late", freed, 1, &ptr,
						&h),
			 -COPRO_EBUSFAULT);
	expect_log(fx, "late accessed");
	/* A new buffer at the same address: its own memory, not the old. */
	assert_int_equal(copro_dma_alloc(fx->p, 8192, &c), 0);
	assert_int_equal(c.phys, freed);
	assert_int_equal(copro_bus_dma_map_hint(fx->bus, "dev", c.phys + 16, 4,
						&ptr, &h), 0);
	assert_ptr_equal(ptr, (char *)c.cpu + 16);
	assert_true(h.gen > gen);
	assert_int_equal(copro_bus_dma_faults(fx->bus), 2);
	copro_dma_free(fx->p, &a);
	copro_dma_free(fx->p, &c);
}

/*
 * Models look DMA addresses up without a lock (a sequence count) while
 * drivers allocate and free: the table's entries shift under the reader
 * and its array is outgrown and replaced. A buffer that stays put must be
 * found at every look, whole (its size) and at its own memory, never a
 * fault: a torn entry (the new address with the old size or memory), an
 * entry briefly missing while its neighbours shift, or an array read past
 * its end would each show.
 *
 * The kept buffers sit above a gap the churning thread fills first
 * (first fit), so every allocation and free there moves the kept
 * entries; each round starts a fresh bus, so the array grows (8, 16, 32,
 * 64, 128 entries) while the reader looks. Every other look goes through
 * a hint per kept buffer, kept across the changes: a hint that stood for
 * a changed table would show the same way.
 */
#define CHURN_GAP 64 /* pages below the kept buffers */
#define CHURN_KEEP 4
#define CHURN_ROUNDS 6
#define CHURN_LOOKUPS 150000 /* per round, at least */
#define CHURN_CYCLES 40	     /* alloc/free cycles per round, at least */

struct dma_churn {
	struct copro_platform *p;
	_Atomic bool stop;
	_Atomic unsigned cycles;
	int err;
};

static void *dma_churn_thread(void *arg)
{
	struct dma_churn *c = arg;
	/* The gap, and as many again above the kept buffers. */
	struct copro_dma_buf b[2 * CHURN_GAP];
	unsigned n = sizeof(b) / sizeof(b[0]);

	while (!atomic_load(&c->stop)) {
		for (unsigned i = 0; i < n && !c->err; i++)
			c->err = copro_dma_alloc(c->p, 4096, &b[i]);
		if (c->err)
			return NULL;
		/* In an order that takes entries from all over the table. */
		for (unsigned i = 0; i < n; i++)
			copro_dma_free(c->p, &b[(i * 37) % n]);
		atomic_fetch_add(&c->cycles, 1);
	}
	return NULL;
}

static void dma_churn_round(struct fx *fx)
{
	struct copro_dma_buf gap, sep[CHURN_KEEP], keep[CHURN_KEEP];
	struct copro_bus_dma_hint hint[CHURN_KEEP] = { 0 };
	struct dma_churn c = { 0 };
	struct copro_bus *bus;
	pthread_t th;
	unsigned bad = 0;

	assert_int_equal(make_platform(fx, fx->dt, false, &bus, &c.p), 0);
	assert_int_equal(copro_dma_alloc(c.p, CHURN_GAP * 4096, &gap), 0);
	for (unsigned k = 0; k < CHURN_KEEP; k++) {
		/* Sizes differ, so a size from another entry shows. */
		assert_int_equal(copro_dma_alloc(c.p, (k + 2) * 4096, &keep[k]), 0);
		assert_int_equal(copro_dma_alloc(c.p, 4096, &sep[k]), 0);
	}
	copro_dma_free(c.p, &gap);
	assert_int_equal(pthread_create(&th, NULL, dma_churn_thread, &c), 0);
	for (unsigned n = 0; n < CHURN_LOOKUPS ||
			     atomic_load(&c.cycles) < CHURN_CYCLES; n++) {
		const struct copro_dma_buf *k = &keep[n % CHURN_KEEP];
		uint64_t off = (n * 4093u) % k->size;
		void *ptr = NULL;

		/* Its whole rest: a torn size would fault. */
		if (copro_bus_dma_map_hint(bus, "dev", k->phys + off,
					   k->size - off, &ptr,
					   n % 2 ? &hint[n % CHURN_KEEP] : NULL) ||
		    ptr != (char *)k->cpu + off)
			bad++;
		if (c.err)
			break;
	}
	atomic_store(&c.stop, true);
	pthread_join(th, NULL);
	assert_int_equal(c.err, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(copro_bus_dma_faults(bus), 0);
	for (unsigned k = 0; k < CHURN_KEEP; k++) {
		copro_dma_free(c.p, &keep[k]);
		copro_dma_free(c.p, &sep[k]);
	}
	test_platform_destroy(bus, c.p);
}

static void test_dma_lookups_while_the_table_changes(void **state)
{
	for (unsigned r = 0; r < CHURN_ROUNDS; r++)
		dma_churn_round(*state);
}

static void test_no_memory_node(void **state)
{
	struct fx *fx = *state;
	struct copro_dma_buf buf;
	char mem[64];
	uint64_t phys;

	/* MMIO and interrupts work; DMA memory does not exist. */
	assert_int_equal(test_dtb_open(tiny_board(false), "nomem",
				       test_logcap_log(&fx->cap), &fx->dt), 0);
	assert_int_equal(make_platform(fx, fx->dt, false, &fx->bus, &fx->p), 0);
	assert_int_equal(copro_dma_alloc(fx->p, 64, &buf), -ENOMEM);
	expect_log(fx, "err: nomem: dma: the board has no /memory node, so there is no DRAM window for DMA buffers");
	assert_int_equal(copro_dma_register(fx->p, mem, sizeof(mem), &phys),
			 -ENOMEM);
	assert_int_equal(copro_bus_dma_read(fx->bus, "dev", 0, mem, 1),
			 -COPRO_EBUSFAULT);
}

/* ---- reset lines and power domains ---- */

struct event {
	int node;
	uint32_t arg;
	bool on;
};

struct recorder {
	struct copro_bus *bus;
	struct event ev[16];
	int n;
	bool saw_on_in_callback;
	struct copro_power *nested; /* turned on from the callback */
	bool unwatch_self;
	struct copro_bus_watch *self;
};

static void record(void *ctx, int node, uint32_t arg, bool on)
{
	struct recorder *r = ctx;

	assert_true(r->n < 16);
	r->ev[r->n++] = (struct event){ node, arg, on };
	/* Watchers run with no platform lock held: they may ask. */
	r->saw_on_in_callback = copro_bus_power_is_on(r->bus, node, arg);
	if (r->nested && on)
		assert_int_equal(copro_power_on(r->nested), 0);
	if (r->unwatch_self)
		copro_bus_unwatch(r->bus, node, r->self);
}

static int node_at(struct fx *fx, const char *path)
{
	int n = copro_dt_path(fx->dt, path);

	assert_true(n >= 0);
	return n;
}

static void test_power_refcount(void **state)
{
	struct fx *fx = *state;
	struct recorder r = { .bus = fx->bus };
	struct copro_bus_watch w = { record, &r };
	int dev = node_at(fx, "/soc/dev"), ps = node_at(fx, "/soc/ps");
	struct copro_power *a, *b;

	assert_int_equal(copro_bus_watch_power(fx->bus, ps, &w), 0);
	assert_int_equal(copro_power_get_dt(fx->p, dev, 0, &a), 0);
	assert_int_equal(copro_power_get_dt(fx->p, dev, 0, &b), 0);
	assert_false(copro_bus_power_is_on(fx->bus, ps, 0));

	assert_int_equal(copro_power_on(a), 0);
	assert_int_equal(r.n, 1);
	assert_true(r.ev[0].on);
	assert_int_equal(r.ev[0].node, ps);
	assert_true(r.saw_on_in_callback);
	assert_int_equal(copro_power_on(b), 0);
	assert_int_equal(copro_power_off(a), 0);
	assert_int_equal(r.n, 1);
	assert_true(copro_bus_power_is_on(fx->bus, ps, 0));
	assert_int_equal(copro_power_off(b), 0);
	assert_int_equal(r.n, 2);
	assert_false(r.ev[1].on);
	assert_false(r.saw_on_in_callback);
	assert_false(copro_bus_power_is_on(fx->bus, ps, 0));

	assert_int_equal(copro_power_off(b), -EINVAL);
	expect_log(fx, "err: tiny: power: domain /soc/ps:0 turned off more often than on");

	/* Putting a handle that is still on turns its share off. */
	assert_int_equal(copro_power_on(a), 0);
	copro_power_put(a);
	assert_int_equal(r.n, 4);
	assert_false(r.ev[3].on);
	expect_log(fx, "warn: tiny: power: domain /soc/ps:0 put while still on; turning it off");
	copro_power_put(b);
	copro_bus_unwatch(fx->bus, ps, &w);
}

static void test_power_with_argument_and_nesting(void **state)
{
	struct fx *fx = *state;
	int dev = node_at(fx, "/soc/dev"), ps = node_at(fx, "/soc/ps"),
	    ps2 = node_at(fx, "/soc/ps2");
	struct copro_power *a, *b, *none;
	struct recorder r1 = { .bus = fx->bus }, r2 = { .bus = fx->bus };
	struct copro_bus_watch w1 = { record, &r1 }, w2 = { record, &r2 };

	assert_int_equal(copro_power_get_dt(fx->p, dev, 0, &a), 0);
	assert_int_equal(copro_power_get_dt(fx->p, dev, 1, &b), 0);
	assert_int_equal(copro_power_get_dt(fx->p, dev, 2, &none), -ENOENT);
	assert_null(none);
	assert_int_equal(copro_bus_watch_power(fx->bus, ps, &w1), 0);
	assert_int_equal(copro_bus_watch_power(fx->bus, ps2, &w2), 0);

	/* Powering ps turns ps2:5 on from inside the watcher. */
	r1.nested = b;
	assert_int_equal(copro_power_on(a), 0);
	assert_int_equal(r1.n, 1);
	assert_int_equal(r2.n, 1);
	assert_int_equal(r2.ev[0].node, ps2);
	assert_int_equal(r2.ev[0].arg, 5);
	assert_true(copro_bus_power_is_on(fx->bus, ps2, 5));
	assert_false(copro_bus_power_is_on(fx->bus, ps2, 6));

	/* Unwatching, even from inside a callback, stops the calls. */
	r2.unwatch_self = true;
	r2.self = &w2;
	assert_int_equal(copro_power_off(b), 0);
	assert_int_equal(r2.n, 2);
	assert_int_equal(copro_power_on(b), 0);
	assert_int_equal(r2.n, 2);
	copro_bus_unwatch(fx->bus, ps, &w1);
	assert_int_equal(copro_power_off(a), 0);
	assert_int_equal(r1.n, 1);

	assert_int_equal(copro_power_off(b), 0);
	copro_power_put(a);
	copro_power_put(b);
	assert_int_equal(copro_bus_watch_power(fx->bus, dev, &w1), -EINVAL);
	expect_log(fx, "err: tiny: /soc/dev: cannot watch: not a power domain provider (no '#power-domain-cells')");
}

static void test_resets(void **state)
{
	struct fx *fx = *state;
	int dev = node_at(fx, "/soc/dev"), ps2 = node_at(fx, "/soc/ps2");
	struct recorder r = { .bus = fx->bus };
	struct copro_bus_watch w = { record, &r };
	struct copro_reset *rst, *rst0;

	assert_int_equal(copro_bus_watch_reset(fx->bus, ps2, &w), 0);
	assert_int_equal(copro_reset_get_dt(fx->p, dev, 1, &rst), 0);
	assert_int_equal(copro_reset_get_dt(fx->p, dev, 0, &rst0), 0);
	assert_false(copro_bus_reset_asserted(fx->bus, ps2, 7));

	assert_int_equal(copro_reset_assert(rst), 0);
	assert_true(copro_bus_reset_asserted(fx->bus, ps2, 7));
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ev[0].arg, 7);
	assert_true(r.ev[0].on);
	assert_int_equal(copro_reset_assert(rst), 0);
	assert_int_equal(r.n, 1);
	/* A reset of another provider is not this watcher's business. */
	assert_int_equal(copro_reset_assert(rst0), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(copro_reset_deassert(rst), 0);
	assert_int_equal(r.n, 2);
	assert_false(r.ev[1].on);
	assert_false(copro_bus_reset_asserted(fx->bus, ps2, 7));

	copro_bus_unwatch(fx->bus, ps2, &w);
	copro_bus_unwatch(fx->bus, ps2, &w);
	expect_log(fx, "warn: tiny: /soc/ps2: unwatch of a watcher never added");
	copro_reset_put(rst);
	copro_reset_put(rst0);
	assert_int_equal(copro_reset_get_dt(fx->p, node_at(fx, "/soc/ps"), 0,
					    &rst), -ENOENT);
	expect_log(fx, "err: tiny: /soc/ps: missing property 'resets'");
}

/* ---- providers ---- */

static void test_providers(void **state)
{
	struct fx *fx = *state;
	int a = node_at(fx, "/soc/ps"), b = node_at(fx, "/soc/ps2");
	int x, y;

	assert_int_equal(copro_platform_provider_add(fx->p, "mbox", a, &x), 0);
	assert_int_equal(copro_platform_provider_add(fx->p, "sart", a, &y), 0);
	assert_int_equal(copro_platform_provider_add(fx->p, "mbox", a, &y),
			 -EEXIST);
	expect_log(fx, "err: tiny: /soc/ps: a mbox provider is already registered");
	assert_ptr_equal(copro_platform_provider_find(fx->p, "mbox", a), &x);
	assert_ptr_equal(copro_platform_provider_find(fx->p, "sart", a), &y);
	assert_null(copro_platform_provider_find(fx->p, "mbox", b));
	copro_platform_provider_remove(fx->p, "mbox", a);
	assert_null(copro_platform_provider_find(fx->p, "mbox", a));
	assert_ptr_equal(copro_platform_provider_find(fx->p, "sart", a), &y);
	copro_platform_provider_remove(fx->p, "sart", a);
	copro_platform_provider_remove(fx->p, "sart", a);
	expect_log(fx, "warn: tiny: /soc/ps: no sart provider to remove");
}

/* One entry per provider, found by node and by name, held by reference. */
static void test_provider_refs(void **state)
{
	struct fx *fx = *state;
	int a = node_at(fx, "/soc/ps"), b = node_at(fx, "/soc/ps2");
	int x, y, z;
	const struct copro_provider_desc both = { "mbox", a, "ctl-a", &x };
	const struct copro_provider_desc named = { "mbox", -1, "hvq-5", &y };

	assert_int_equal(copro_platform_provider_register(fx->p, &both), 0);
	assert_int_equal(copro_platform_provider_register(fx->p, &named), 0);
	/* A name is per kind: a SART may use it too. */
	assert_int_equal(copro_platform_provider_register(
				 fx->p, &(struct copro_provider_desc){
						"sart", -1, "hvq-5", &z }),
			 0);
	/* Clashes: the name, the node, the same provider twice. */
	assert_int_equal(copro_platform_provider_register(
				 fx->p, &(struct copro_provider_desc){
						"mbox", b, "hvq-5", &z }),
			 -EEXIST);
	expect_log(fx, "a mbox provider named \"hvq-5\" is already registered");
	assert_int_equal(copro_platform_provider_register(
				 fx->p, &(struct copro_provider_desc){
						"mbox", a, NULL, &z }),
			 -EEXIST);
	assert_int_equal(copro_platform_provider_register(
				 fx->p, &(struct copro_provider_desc){
						"mbox", b, NULL, &x }),
			 -EEXIST);
	/* Neither node nor name, or an empty name: nothing to find it by. */
	assert_int_equal(copro_platform_provider_register(
				 fx->p, &(struct copro_provider_desc){
						"mbox", -1, NULL, &z }),
			 -EINVAL);
	assert_int_equal(copro_platform_provider_register(
				 fx->p, &(struct copro_provider_desc){
						"mbox", -1, "", &z }),
			 -EINVAL);

	/* A run-time name is not a node: nothing is found at node 0. */
	assert_null(copro_platform_provider_find(fx->p, "mbox", 0));
	assert_ptr_equal(copro_platform_provider_find_named(fx->p, "mbox",
							    "hvq-5"), &y);
	assert_ptr_equal(copro_platform_provider_find_named(fx->p, "sart",
							    "hvq-5"), &z);
	assert_ptr_equal(copro_platform_provider_find(fx->p, "mbox", a), &x);
	assert_ptr_equal(copro_platform_provider_find_named(fx->p, "mbox",
							    "ctl-a"), &x);
	assert_null(copro_platform_provider_find_named(fx->p, "mbox", "nope"));

	/* References through either key count on the one entry. */
	assert_ptr_equal(copro_platform_provider_get(fx->p, "mbox", a), &x);
	assert_ptr_equal(copro_platform_provider_get_named(fx->p, "mbox",
							   "ctl-a"), &x);
	assert_int_equal(copro_platform_provider_refs(fx->p, "mbox", &x), 2);
	assert_null(copro_platform_provider_get(fx->p, "mbox", b));
	assert_int_equal(copro_platform_provider_unregister(fx->p, "mbox", &x),
			 -EBUSY);
	expect_log(fx, "cannot unregister the mbox provider /soc/ps (\"ctl-a\"): 2 references still held by consumers");
	assert_int_equal(copro_platform_provider_remove(fx->p, "mbox", a),
			 -EBUSY);
	/* Still there and still usable. */
	assert_ptr_equal(copro_platform_provider_find(fx->p, "mbox", a), &x);
	copro_platform_provider_put(fx->p, "mbox", &x);
	copro_platform_provider_put(fx->p, "mbox", &x);
	assert_int_equal(copro_platform_provider_refs(fx->p, "mbox", &x), 0);
	/* One put too many is refused and said, not counted below zero. */
	test_logcap_clear(&fx->cap);
	copro_platform_provider_put(fx->p, "mbox", &x);
	expect_log(fx, "put of a mbox provider that holds no references");
	assert_int_equal(copro_platform_provider_refs(fx->p, "mbox", &x), 0);
	assert_int_equal(copro_platform_provider_unregister(fx->p, "mbox", &x),
			 0);
	assert_null(copro_platform_provider_find_named(fx->p, "mbox", "ctl-a"));
	assert_int_equal(copro_platform_provider_unregister(fx->p, "mbox", &x),
			 -ENOENT);

	/* The name is free again; the named-only one goes by pointer. */
	assert_int_equal(copro_platform_provider_register(
				 fx->p, &(struct copro_provider_desc){
						"mbox", -1, "ctl-a", &x }),
			 0);
	assert_int_equal(copro_platform_provider_unregister(fx->p, "mbox", &x),
			 0);
	assert_int_equal(copro_platform_provider_unregister(fx->p, "mbox", &y),
			 0);
	assert_int_equal(copro_platform_provider_unregister(fx->p, "sart", &z),
			 0);
}

/* ---- lifetime ---- */

static void test_destroy_reports_leaks(void **state)
{
	struct fx *fx = *state;
	struct fake f = { 0 };
	struct copro_dma_buf buf;
	struct copro_mmio *m;
	struct copro_irq *irq;
	struct copro_power *pd;
	struct recorder r = { .bus = fx->bus };
	struct copro_bus_watch w = { record, &r };
	int dev = node_at(fx, "/soc/dev"), ps = node_at(fx, "/soc/ps");
	int prov;

	assert_int_equal(copro_bus_add_mmio(fx->bus, FAKE_BASE, 0x200, &fake_ops,
					    &f, "leaky"), 0);
	assert_int_equal(copro_mmio_map(fx->p, FAKE_BASE, 4, &m), 0);
	assert_int_equal(copro_irq_request(fx->p, 3, line_handler, NULL,
					   "leaky-irq", &irq), 0);
	assert_int_equal(copro_dma_alloc(fx->p, 10, &buf), 0);
	assert_int_equal(copro_power_get_dt(fx->p, dev, 0, &pd), 0);
	assert_int_equal(copro_bus_watch_power(fx->bus, ps, &w), 0);
	assert_int_equal(copro_platform_provider_add(fx->p, "mbox", ps, &prov),
			 0);

	/* The front end releases the driver's leftovers to the backend... */
	copro_platform_destroy(fx->p);
	fx->p = NULL;
	expect_log(fx, "err: tiny: platform destroyed with MMIO mapping [0x10000, +0x4) of 'leaky' still mapped");
	expect_log(fx, "platform destroyed with interrupt line 3 ('leaky-irq') still requested");
	expect_log(fx, "platform destroyed with 1 reset/power handles not put");
	expect_log(fx, "platform destroyed with the mbox provider of /soc/ps still registered");
	/* ... and the bus reports the models' and the memory's. */
	copro_bus_destroy(fx->bus);
	fx->bus = NULL;
	expect_log(fx, "err: tiny: bus destroyed with MMIO region 'leaky' [0x10000, +0x200) still on the bus (0 mappings)");
	expect_log(fx, "bus destroyed with DMA buffer [0x100000000, +0x1000) still allocated");
	expect_log(fx, "bus destroyed with a power watcher of /soc/ps still registered");
	assert_int_equal(test_logcap_count(&fx->cap, "still requested"), 1);
	/* The leaked handles went with the platform (ASan checks). */
	(void)m;
	(void)pd;
	test_logcap_clear(&fx->cap);
}


/* ---- firmware calls ---- */

struct fw_model {
	unsigned calls;
	enum copro_conduit conduit;
	uint64_t seen_x1;
};

/* Adds x1 and x2 into x0, leaves x3 alone, swaps x4 and x5. */
static void fw_handler(void *ctx, enum copro_conduit conduit,
		       const struct copro_smccc_regs *in,
		       struct copro_smccc_regs *out)
{
	struct fw_model *m = ctx;

	m->calls++;
	m->conduit = conduit;
	m->seen_x1 = in->x[1];
	out->x[0] = in->x[1] + in->x[2];
	out->x[4] = in->x[5];
	out->x[5] = in->x[4];
}

static void test_fw_call_routing(void **state)
{
	struct fx *fx = *state;
	struct fw_model sip = { 0 }, hyp = { 0 };
	struct copro_smccc_regs r = { { 0 } }, out;

	/* A SiP fast SMC64 call: owner 2. */
	r.x[0] = 0xc2000010;
	r.x[1] = 40;
	r.x[2] = 2;
	r.x[3] = 0x33;
	r.x[4] = 4;
	r.x[5] = 5;
	/* Nobody answers yet: NOT_SUPPORTED, the rest untouched. */
	assert_int_equal(copro_fw_call(fx->p, COPRO_CONDUIT_SMC, &r, &out), 0);
	assert_int_equal((int64_t)out.x[0], -1);
	assert_int_equal(out.x[1], 40);

	assert_int_equal(copro_bus_add_fwcall(fx->bus, COPRO_CONDUIT_SMC, 2,
					      fw_handler, &sip), 0);
	assert_int_equal(copro_bus_add_fwcall(fx->bus, COPRO_CONDUIT_HVC, 6,
					      fw_handler, &hyp), 0);
	assert_int_equal(copro_bus_add_fwcall(fx->bus, COPRO_CONDUIT_SMC, 2,
					      fw_handler, &hyp), -EEXIST);
	expect_log(fx, "SMC owner 2 already has a handler");
	assert_int_equal(copro_bus_add_fwcall(fx->bus, COPRO_CONDUIT_SMC, 64,
					      fw_handler, &hyp), -EINVAL);
	expect_log(fx, "cannot add a handler for conduit 1 owner 64");

	assert_int_equal(copro_fw_call(fx->p, COPRO_CONDUIT_SMC, &r, &out), 0);
	assert_int_equal(out.x[0], 42);
	assert_int_equal(out.x[3], 0x33);
	assert_int_equal(out.x[4], 5);
	assert_int_equal(out.x[5], 4);
	assert_int_equal(sip.calls, 1);
	assert_int_equal(sip.conduit, COPRO_CONDUIT_SMC);
	assert_int_equal(hyp.calls, 0);

	/* The same owner through the other conduit is another firmware. */
	assert_int_equal(copro_fw_call(fx->p, COPRO_CONDUIT_HVC, &r, &out), 0);
	assert_int_equal((int64_t)out.x[0], -1);
	assert_int_equal(sip.calls, 1);

	/* In place: the handler still reads the arguments it was given. */
	r.x[0] = 0xc6000001;
	assert_int_equal(copro_fw_call(fx->p, COPRO_CONDUIT_HVC, &r, &r), 0);
	assert_int_equal(r.x[0], 42);
	assert_int_equal(r.x[4], 5);
	assert_int_equal(r.x[5], 4);
	assert_int_equal(hyp.seen_x1, 40);
	assert_int_equal(hyp.conduit, COPRO_CONDUIT_HVC);

	assert_int_equal(copro_fw_call(fx->p, (enum copro_conduit)3, &r, &out),
			 -EINVAL);

	copro_bus_remove_fwcall(fx->bus, COPRO_CONDUIT_SMC, 2);
	copro_bus_remove_fwcall(fx->bus, COPRO_CONDUIT_HVC, 6);
	r.x[0] = 0xc2000010;
	assert_int_equal(copro_fw_call(fx->p, COPRO_CONDUIT_SMC, &r, &out), 0);
	assert_int_equal((int64_t)out.x[0], -1);
	copro_bus_remove_fwcall(fx->bus, COPRO_CONDUIT_SMC, 2);
	expect_log(fx, "no SMC handler of owner 2 to remove");

	/* Every call through an entry counted, answered or not. */
	assert_int_equal(copro_bus_fwcall_count(fx->bus, COPRO_CONDUIT_SMC, 2), 3);
	assert_int_equal(copro_bus_fwcall_count(fx->bus, COPRO_CONDUIT_HVC, 2), 1);
	assert_int_equal(copro_bus_fwcall_count(fx->bus, COPRO_CONDUIT_HVC, 6), 1);
	assert_int_equal(copro_bus_fwcall_count(fx->bus, COPRO_CONDUIT_SMC, 6), 0);
	assert_int_equal(copro_bus_fwcall_count(fx->bus, COPRO_CONDUIT_SMC, 64), 0);
}

/* A handler that holds its call until released. */
struct fw_held {
	struct fx *fx;
	_Atomic bool entered, release, removed;
	struct copro_smccc_regs out;
};

static void fw_held_handler(void *ctx, enum copro_conduit conduit,
			    const struct copro_smccc_regs *in,
			    struct copro_smccc_regs *out)
{
	struct fw_held *h = ctx;

	(void)conduit;
	(void)in;
	atomic_store(&h->entered, true);
	while (!atomic_load(&h->release))
		copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);
	out->x[0] = 9;
}

static void *fw_held_caller(void *arg)
{
	struct fw_held *h = arg;
	struct copro_smccc_regs in = { { 0xc2000001 } };

	copro_fw_call(h->fx->p, COPRO_CONDUIT_SMC, &in, &h->out);
	return NULL;
}

static void *fw_remover(void *arg)
{
	struct fw_held *h = arg;

	copro_bus_remove_fwcall(h->fx->bus, COPRO_CONDUIT_SMC, 2);
	atomic_store(&h->removed, true);
	return NULL;
}

/*
 * Removing an entry waits out the calls inside it (its context may be
 * freed once remove returns), and only those: another entry's removal
 * and the calls through it go on meanwhile.
 */
static void test_fw_remove_waits(void **state)
{
	struct fx *fx = *state;
	struct fw_held h = { .fx = fx };
	struct fw_model other = { 0 };
	struct copro_thread call_th = { 0 }, rm_th = { 0 };
	struct copro_smccc_regs r = { { 0xc3000001 } }, out;

	assert_int_equal(copro_bus_add_fwcall(fx->bus, COPRO_CONDUIT_SMC, 2,
					      fw_held_handler, &h), 0);
	assert_int_equal(copro_bus_add_fwcall(fx->bus, COPRO_CONDUIT_SMC, 3,
					      fw_handler, &other), 0);
	assert_int_equal(copro_thread_start(&call_th, "caller", fw_held_caller,
					    &h), 0);
	while (!atomic_load(&h.entered))
		copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);

	/* Owner 3 is not held up by the call inside owner 2. */
	assert_int_equal(copro_fw_call(fx->p, COPRO_CONDUIT_SMC, &r, &out), 0);
	assert_int_equal(other.calls, 1);
	copro_bus_remove_fwcall(fx->bus, COPRO_CONDUIT_SMC, 3);

	assert_int_equal(copro_thread_start(&rm_th, "remover", fw_remover, &h),
			 0);
	/* However long it is given, remove may not return yet. */
	copro_sleep_ns(20 * COPRO_NSEC_PER_MSEC);
	assert_false(atomic_load(&h.removed));
	atomic_store(&h.release, true);
	copro_thread_join(&rm_th);
	copro_thread_join(&call_th);
	assert_true(atomic_load(&h.removed));
	assert_int_equal(h.out.x[0], 9);
	assert_int_equal(copro_bus_fwcall_count(fx->bus, COPRO_CONDUIT_SMC, 2),
			 1);
}

/*
 * More calling threads than the bus keeps count words for (64): the rest
 * count in the entry's shared word, and removal waits for those too.
 */
#define FW_CROWD 70

struct fw_crowd {
	struct fx *fx;
	_Atomic unsigned called;
	_Atomic bool release;
};

static void fw_crowd_handler(void *ctx, enum copro_conduit conduit,
			     const struct copro_smccc_regs *in,
			     struct copro_smccc_regs *out)
{
	struct fw_crowd *c = ctx;

	(void)conduit;
	(void)in;
	atomic_fetch_add(&c->called, 1);
	out->x[0] = 0;
}

static void *fw_crowd_caller(void *arg)
{
	struct fw_crowd *c = arg;
	struct copro_smccc_regs in = { { 0xc3000001 } }, out;

	copro_fw_call(c->fx->p, COPRO_CONDUIT_SMC, &in, &out);
	/* Alive to the end: no later thread takes over its record. */
	while (!atomic_load(&c->release))
		copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);
	return NULL;
}

static void test_fw_many_threads(void **state)
{
	struct fx *fx = *state;
	struct fw_crowd crowd = { .fx = fx };
	struct fw_held h = { .fx = fx };
	struct copro_thread th[FW_CROWD] = { { 0 } }, call_th = { 0 },
			    rm_th = { 0 };

	assert_int_equal(copro_bus_add_fwcall(fx->bus, COPRO_CONDUIT_SMC, 3,
					      fw_crowd_handler, &crowd), 0);
	assert_int_equal(copro_bus_add_fwcall(fx->bus, COPRO_CONDUIT_SMC, 2,
					      fw_held_handler, &h), 0);
	for (unsigned i = 0; i < FW_CROWD; i++)
		assert_int_equal(copro_thread_start(&th[i], "crowd",
						    fw_crowd_caller, &crowd),
				 0);
	while (atomic_load(&crowd.called) < FW_CROWD)
		copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);
	/* Every call counted, whether in a thread's word or the shared one. */
	assert_int_equal(copro_bus_fwcall_count(fx->bus, COPRO_CONDUIT_SMC, 3),
			 FW_CROWD);

	/* A call from one more thread (no word left) is waited out all the same. */
	assert_int_equal(copro_thread_start(&call_th, "caller", fw_held_caller,
					    &h), 0);
	while (!atomic_load(&h.entered))
		copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);
	assert_int_equal(copro_thread_start(&rm_th, "remover", fw_remover, &h),
			 0);
	copro_sleep_ns(20 * COPRO_NSEC_PER_MSEC);
	assert_false(atomic_load(&h.removed));
	atomic_store(&h.release, true);
	copro_thread_join(&rm_th);
	copro_thread_join(&call_th);
	assert_true(atomic_load(&h.removed));
	assert_int_equal(h.out.x[0], 9);
	assert_int_equal(copro_bus_fwcall_count(fx->bus, COPRO_CONDUIT_SMC, 2),
			 1);

	atomic_store(&crowd.release, true);
	for (unsigned i = 0; i < FW_CROWD; i++)
		copro_thread_join(&th[i]);
	copro_bus_remove_fwcall(fx->bus, COPRO_CONDUIT_SMC, 3);
}

/* ---- raw bus accesses ---- */

static void test_bus_raw_access(void **state)
{
	struct fx *fx = *state;
	struct fake f = { 0 };
	uint64_t v;

	assert_int_equal(copro_bus_add_mmio(fx->bus, FAKE_BASE, sizeof(f.regs),
					    &fake_ops, &f, "raw"), 0);
	assert_int_equal(copro_bus_write(fx->bus, FAKE_BASE + 0x10, 4,
					 0x12345678), 0);
	assert_int_equal(f.last_off, 0x10);
	assert_int_equal(copro_bus_read(fx->bus, FAKE_BASE + 0x10, 4, &v), 0);
	assert_int_equal(v, 0x12345678);
	assert_int_equal(copro_bus_write(fx->bus, FAKE_BASE + 0x18, 8,
					 0x1122334455667788ull), 0);
	assert_int_equal(copro_bus_read(fx->bus, FAKE_BASE + 0x18, 8, &v), 0);
	assert_int_equal(v, 0x1122334455667788ull);
	assert_int_equal(f.last_width, 8);

	assert_int_equal(copro_bus_read(fx->bus, FAKE_BASE + 0x12, 4, &v),
			 -EINVAL);
	assert_int_equal(v, UINT32_MAX);
	expect_log(fx, "4-byte read at 0x10012: misaligned");
	assert_int_equal(copro_bus_write(fx->bus, FAKE_BASE, 2, 0), -EINVAL);
	expect_log(fx, "width must be 4 or 8");
	assert_int_equal(copro_bus_read(fx->bus, 0x90000, 4, &v), -ENXIO);
	expect_log(fx, "no device there");
	copro_bus_remove_mmio(fx->bus, FAKE_BASE);
}

/* ---- a backend of the test's own ---- */

/*
 * A machine with one 32-bit register at 0x1000, no interrupts, no
 * memory, no conduit, and resets it records: enough to show that the
 * front end needs nothing of the emulated bus.
 */
struct own_be {
	uint32_t reg;
	unsigned maps, unmaps, resets, power_ons, power_offs;
};

static uint64_t own_read(void *ctx, uint64_t off, unsigned width)
{
	return off == 0 ? ((struct own_be *)ctx)->reg : 0;
}

static void own_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	if (off == 0)
		((struct own_be *)ctx)->reg = (uint32_t)val;
}

static bool own_threaded(void *be)
{
	return false;
}

static int own_poll(void *be)
{
	return 0;
}

static int own_map(void *be, uint64_t phys, uint64_t size,
		   struct copro_mmio_window *w)
{
	struct own_be *o = be;

	if (phys != 0x1000 || size > 4)
		return -ENXIO;
	o->maps++;
	w->read = own_read;
	w->write = own_write;
	w->ctx = o;
	w->base = 0;
	w->cookie = o;
	snprintf(w->name, sizeof(w->name), "own");
	return 0;
}

static void own_unmap(void *be, void *cookie)
{
	((struct own_be *)be)->unmaps++;
}

static int own_irq_request(void *be, unsigned line, copro_irq_handler_t h,
			   void *ctx, const char *name, void **cookie)
{
	return -ENODEV;
}

static void own_irq_nop(void *be, void *cookie)
{
}

static int own_dma_alloc(void *be, size_t size, struct copro_dma_buf *out)
{
	return -ENOMEM;
}

static int own_dma_alloc_at(void *be, uint64_t phys, size_t size,
			    struct copro_dma_buf *out)
{
	return -ENOMEM;
}

static void own_dma_free(void *be, const struct copro_dma_buf *buf)
{
}

static int own_dma_register(void *be, void *ptr, size_t size, uint64_t *phys)
{
	return -ENOMEM;
}

static int own_dma_unregister(void *be, uint64_t phys)
{
	return -ENOENT;
}

static int own_reset_set(void *be, int provider, uint32_t arg, bool asserted)
{
	((struct own_be *)be)->resets++;
	return 0;
}

static int own_power_set(void *be, int provider, uint32_t arg, bool on)
{
	struct own_be *o = be;

	if (on)
		o->power_ons++;
	else
		o->power_offs++;
	return 0;
}

static const struct copro_backend_ops own_ops = {
	.name = "own",
	.threaded = own_threaded,
	.poll = own_poll,
	.mmio_map = own_map,
	.mmio_unmap = own_unmap,
	.irq_request = own_irq_request,
	.irq_free = own_irq_nop,
	.irq_enable = own_irq_nop,
	.irq_disable = own_irq_nop,
	.dma_alloc = own_dma_alloc,
	.dma_alloc_at = own_dma_alloc_at,
	.dma_free = own_dma_free,
	.dma_register = own_dma_register,
	.dma_unregister = own_dma_unregister,
	.reset_set = own_reset_set,
	.power_set = own_power_set,
};

static void test_own_backend(void **state)
{
	struct fx *fx = *state;
	struct own_be o = { 0 };
	struct copro_platform_config cfg = {
		.dt = fx->dt,
		.log = test_logcap_log(&fx->cap),
		.ops = &own_ops,
		.backend = &o,
	};
	struct copro_backend_ops partial = own_ops;
	struct copro_smccc_regs r = { { 0 } };
	int dev = node_at(fx, "/soc/dev");
	struct copro_platform *p;
	struct copro_power *pd1, *pd2;
	struct copro_reset *rst;
	struct copro_dma_buf buf;
	struct copro_irq *irq;
	struct copro_mmio *m;

	partial.power_set = NULL;
	cfg.ops = &partial;
	assert_int_equal(copro_platform_create(&cfg, &p), -EINVAL);
	cfg.ops = &own_ops;
	assert_int_equal(copro_platform_create(&cfg, &p), 0);
	assert_false(copro_platform_threaded(p));

	assert_int_equal(copro_mmio_map(p, 0x1000, 4, &m), 0);
	copro_writel(m, 0, 0xfeed);
	assert_int_equal(copro_readl(m, 0), 0xfeed);
	assert_int_equal(o.reg, 0xfeed);
	/* The front end's checks hold whatever the backend. */
	assert_int_equal(copro_readl(m, 4), UINT32_MAX);
	expect_log(fx, "mmio: bus error: 4-byte read at offset 0x4 of 'own'");
	copro_mmio_unmap(m);
	assert_int_equal(o.unmaps, 1);
	assert_int_equal(copro_mmio_map(p, 0x2000, 4, &m), -ENXIO);

	assert_int_equal(copro_irq_request(p, 1, line_handler, NULL, "x", &irq),
			 -ENODEV);
	assert_null(irq);
	assert_int_equal(copro_dma_alloc(p, 64, &buf), -ENOMEM);
	assert_null(buf.cpu);
	assert_int_equal(copro_fw_call(p, COPRO_CONDUIT_SMC, &r, &r),
			 -EOPNOTSUPP);

	/* Two users of one domain: the backend hears one on and one off. */
	assert_int_equal(copro_power_get_dt(p, dev, 0, &pd1), 0);
	assert_int_equal(copro_power_get_dt(p, dev, 0, &pd2), 0);
	assert_int_equal(copro_power_on(pd1), 0);
	assert_int_equal(copro_power_on(pd2), 0);
	assert_int_equal(copro_power_off(pd1), 0);
	assert_int_equal(o.power_ons, 1);
	assert_int_equal(o.power_offs, 0);
	assert_int_equal(copro_power_off(pd2), 0);
	assert_int_equal(o.power_offs, 1);
	copro_power_put(pd1);
	copro_power_put(pd2);
	assert_int_equal(copro_reset_get_dt(p, dev, 0, &rst), 0);
	assert_int_equal(copro_reset_assert(rst), 0);
	assert_int_equal(copro_reset_deassert(rst), 0);
	assert_int_equal(o.resets, 2);
	copro_reset_put(rst);
	copro_platform_destroy(p);
}

/* ---- the observer ---- */

struct obs_rec {
	unsigned rises, falls, faults;
	unsigned last_line;
	uint64_t last_phys;
};

static void obs_irq(void *ctx, unsigned line, bool level)
{
	struct obs_rec *r = ctx;

	if (level)
		r->rises++;
	else
		r->falls++;
	r->last_line = line;
}

static void obs_fault(void *ctx, const char *who, uint64_t phys, size_t len)
{
	struct obs_rec *r = ctx;

	r->faults++;
	r->last_phys = phys;
}

static void test_bus_observer(void **state)
{
	struct fx *fx = *state;
	struct obs_rec r = { 0 };
	const struct copro_backend_observer obs = { obs_irq, obs_fault, &r };
	char byte;

	copro_bus_backend()->observe(fx->bus, &obs);
	copro_bus_irq_set(fx->bus, 9, true);
	copro_bus_irq_set(fx->bus, 9, true); /* no edge: not reported */
	copro_bus_irq_set(fx->bus, 9, false);
	assert_int_equal(r.rises, 1);
	assert_int_equal(r.falls, 1);
	assert_int_equal(r.last_line, 9);
	assert_int_equal(copro_bus_dma_read(fx->bus, "obs", 0x1234, &byte, 1),
			 -COPRO_EBUSFAULT);
	expect_log(fx, "dma: bus fault: obs accessed [0x1234, +0x1)");
	assert_int_equal(r.faults, 1);
	assert_int_equal(r.last_phys, 0x1234);

	copro_bus_backend()->observe(fx->bus, NULL);
	copro_bus_irq_set(fx->bus, 9, true);
	copro_bus_irq_set(fx->bus, 9, false);
	assert_int_equal(r.rises, 1);
}

struct board_side {
	struct copro_dt *dt;
	struct copro_bus *bus;
	struct copro_platform *p;
	struct line_ctx line;
	struct fake regs;
	struct copro_mmio *m;
	struct copro_dma_buf buf;
};

static void test_two_boards_in_one_process(void **state)
{
	struct fx *fx = *state;
	struct board_side s[2];

	memset(s, 0, sizeof(s));
	assert_int_equal(copro_board_dt_open("t8103", test_logcap_log(&fx->cap),
					     &s[0].dt), 0);
	assert_int_equal(open_tiny(fx, &s[1].dt), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(make_platform(fx, s[i].dt, true, &s[i].bus, &s[i].p), 0);
		/* Same address, same line number: separate machines. */
		assert_int_equal(copro_bus_add_mmio(s[i].bus, FAKE_BASE, 0x200,
						    &fake_ops, &s[i].regs,
						    "regs"), 0);
		assert_int_equal(copro_mmio_map(s[i].p, FAKE_BASE, 0x200,
						&s[i].m), 0);
		s[i].line.clear = true;
		s[i].line.bus = s[i].bus;
		s[i].line.line = 7;
		assert_int_equal(copro_irq_request(s[i].p, 7, line_handler,
						   &s[i].line, "shared-number",
						   &s[i].line.irq), 0);
		assert_int_equal(copro_dma_alloc(s[i].p, 64, &s[i].buf), 0);
	}
	assert_int_equal(s[0].buf.phys, 0x800000000);
	assert_int_equal(s[1].buf.phys, 0x100000000);

	copro_writel(s[0].m, 0, 0xaaaa);
	copro_writel(s[1].m, 0, 0xbbbb);
	assert_int_equal(copro_readl(s[0].m, 0), 0xaaaa);
	assert_int_equal(copro_readl(s[1].m, 0), 0xbbbb);

	copro_bus_irq_set(s[1].bus, 7, true);
	assert_true(test_wait_until(calls_at_least, &s[1].line, TEST_TIMEOUT_NS));
	copro_bus_irq_set(s[0].bus, 7, true);
	assert_true(test_wait_until(calls_at_least, &s[0].line, TEST_TIMEOUT_NS));
	assert_int_equal(s[0].line.calls, 1);
	assert_int_equal(s[1].line.calls, 1);

	/* Each board's messages carry its own name. */
	copro_readl(s[0].m, 0x1000);
	copro_readl(s[1].m, 0x1000);
	expect_log(fx, "err: t8103: mmio: bus error");
	expect_log(fx, "err: tiny: mmio: bus error");
	assert_int_equal(copro_bus_dma_faults(s[0].bus), 0);
	uint64_t phys1 = s[1].buf.phys;
	char b;

	assert_int_equal(copro_bus_dma_read(s[0].bus, "x", phys1, &b, 1),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_bus_dma_faults(s[0].bus), 1);
	assert_int_equal(copro_bus_dma_faults(s[1].bus), 0);

	for (int i = 0; i < 2; i++) {
		copro_dma_free(s[i].p, &s[i].buf);
		copro_irq_free(s[i].line.irq);
		copro_mmio_unmap(s[i].m);
		copro_bus_remove_mmio(s[i].bus, FAKE_BASE);
		test_platform_destroy(s[i].bus, s[i].p);
		copro_dt_close(s[i].dt);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define P(fn) TEST_POLLED(fn, setup, teardown)
#define TH(fn) TEST_THREADED(fn, setup, teardown)
#define TINY(fn) cmocka_unit_test_setup_teardown(fn, setup_tiny, teardown)
#define BARE(fn) cmocka_unit_test_setup_teardown(fn, setup_bare, teardown)
		P(test_mmio_map_and_access),
		P(test_mmio_bad_access),
		P(test_mmio_memory_direct),
		P(test_mmio_overlap_and_bad_maps),
		P(test_mmio_map_dt),
		P(test_mmio_remove_while_mapped),
		P(test_irq_polled_level),
		P(test_irq_stuck_line_is_bounded),
		P(test_irq_disable_enable),
		P(test_irq_request_errors),
		P(test_irq_request_dt),
		P(test_irq_free_from_own_handler),
		P(test_irq_poll_from_two_threads),
		TH(test_irq_threaded),
		TH(test_irq_threaded_many_edges),
		P(test_irq_computed_level),
		P(test_irq_poll_passes),
		TH(test_irq_edges_while_polling),
		TH(test_irq_thread_sleeps_unspun_while_polled),
		P(test_irq_edges_wake),
		TH(test_irq_edges_wake),
		TH(test_irq_free_waits_for_handler),
		TH(test_irq_disable_waits_for_handler),
		P(test_dma_alloc),
		P(test_dma_reuse),
		P(test_dma_alloc_at),
		P(test_dma_register_and_round_trip),
		P(test_dma_bus_faults),
		P(test_dma_hint),
		P(test_dma_lookups_while_the_table_changes),
		BARE(test_no_memory_node),
		TINY(test_power_refcount),
		TINY(test_power_with_argument_and_nesting),
		TINY(test_resets),
		TINY(test_providers),
		TINY(test_provider_refs),
		TINY(test_destroy_reports_leaks),
		P(test_fw_call_routing),
		P(test_fw_remove_waits),
		P(test_fw_many_threads),
		P(test_bus_raw_access),
		TINY(test_own_backend),
		P(test_bus_observer),
		BARE(test_two_boards_in_one_process),
#undef P
#undef TH
#undef TINY
#undef BARE
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
