/* SPDX-License-Identifier: MIT */
/*
 * The raw-bus API (<copro/sim/raw.h>) and the PMGR power-state model it
 * relies on: registers as a CPU sees them, DMA memory at chosen (and
 * identity) addresses that the device side reaches, interrupt hooks and
 * waits. examples/bare_nvme.c drives a whole NVMe coprocessor with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <copro/dt.h>
#include <copro/error.h>
#include <copro/os.h>
#include <copro/sim/board.h>
#include <copro/sim/raw.h>

#include "testutil.h"

#define PS_ANS2 0x23b7003f0ull
#define PS_ANS2_PATH "/soc/power-management@23b700000/power-controller@3f0"
#define DRAM 0x800000000ull
#define LINE 700u

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

struct fx {
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_bus *bus;
};

static void fx_up(struct fx *f, bool threaded)
{
	struct copro_board_config cfg = { .board = "t8103",
					  .threaded = threaded };

	assert_int_equal(test_logcap_init(&f->cap), 0);
	cfg.log = test_logcap_log(&f->cap);
	assert_int_equal(copro_board_create(&cfg, &f->b), 0);
	f->bus = copro_board_bus(f->b);
}

static void fx_down(struct fx *f)
{
	copro_board_destroy(f->b);
	test_logcap_destroy(&f->cap);
}

static void test_pmgr_power_and_reset(void **state)
{
	struct fx f;
	int node;

	fx_up(&f, false);
	node = copro_dt_path(copro_board_dt(f.b), PS_ANS2_PATH);
	assert_true(node >= 0);

	/* Off at reset: target and actual power-gated. */
	assert_int_equal(copro_raw_read32(f.bus, PS_ANS2), 0);
	assert_false(copro_bus_power_is_on(f.bus, node, 0));

	copro_raw_write32(f.bus, PS_ANS2, 0xf);
	assert_int_equal(copro_raw_read32(f.bus, PS_ANS2), 0xff);
	assert_true(copro_bus_power_is_on(f.bus, node, 0));
	assert_false(copro_bus_reset_asserted(f.bus, node, 0));

	/* Bit 31 holds the device in reset; bit 10 is kept as written. */
	copro_raw_write32(f.bus, PS_ANS2, 0x8000040fu);
	assert_int_equal(copro_raw_read32(f.bus, PS_ANS2), 0x800004ffu);
	assert_true(copro_bus_reset_asserted(f.bus, node, 0));
	copro_raw_write32(f.bus, PS_ANS2, 0xf);
	assert_false(copro_bus_reset_asserted(f.bus, node, 0));

	/* Clock gated is not on for the devices in the domain. */
	copro_raw_write32(f.bus, PS_ANS2, 0x4);
	assert_int_equal(copro_raw_read32(f.bus, PS_ANS2), 0x44);
	assert_false(copro_bus_power_is_on(f.bus, node, 0));
	copro_raw_write32(f.bus, PS_ANS2, 0);
	assert_int_equal(copro_raw_read32(f.bus, PS_ANS2), 0);
	fx_down(&f);
}

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

/* A board from a devicetree blob in memory, as a test harness builds one. */
static void test_board_from_a_blob(void **state)
{
	struct copro_board_config cfg = { 0 };
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_dt *dt;
	const void *blob;
	size_t size;

	assert_int_equal(test_logcap_init(&cap), 0);
	assert_int_equal(copro_board_dt_open("t8103", NULL, &dt), 0);
	blob = copro_dt_blob(dt);
	size = be32((const char *)blob + 4); /* the FDT header's totalsize */
	cfg.dtb = blob;
	cfg.dtb_size = size;
	cfg.log = test_logcap_log(&cap);
	assert_int_equal(copro_board_create(&cfg, &b), 0);
	copro_dt_close(dt); /* copied */
	assert_string_equal(copro_dt_name(copro_board_dt(b)), "dtb");
	copro_raw_write32(copro_board_bus(b), PS_ANS2, 0xf);
	assert_int_equal(copro_raw_read32(copro_board_bus(b), PS_ANS2), 0xff);
	copro_board_destroy(b);

	/* A blob cut short is refused like a bad file. */
	assert_int_equal(copro_board_dt_open("t8103", NULL, &dt), 0);
	cfg.dtb = copro_dt_blob(dt);
	cfg.dtb_size = size / 2;
	cfg.board = "half";
	assert_int_equal(copro_board_create(&cfg, &b), -COPRO_EDT);
	assert_null(b);
	test_logcap_expect(&cap, "half");
	copro_dt_close(dt);
	test_logcap_destroy(&cap);
}

static void test_registers_nobody_answers(void **state)
{
	struct fx f;
	uint64_t v;

	fx_up(&f, false);
	assert_int_equal(copro_raw_read32(f.bus, 0x1000), 0xffffffffu);
	assert_int_equal(copro_raw_read64(f.bus, 0x1000), UINT64_MAX);
	copro_raw_write32(f.bus, 0x1000, 1); /* dropped, logged */
	assert_int_equal(copro_bus_read(f.bus, 0x1000, 4, &v), -ENXIO);
	test_logcap_expect(&f.cap, "0x1000");
	fx_down(&f);
}

static void test_dma_at_an_address(void **state)
{
	struct copro_raw_dma a, b;
	char seen[8];
	struct fx f;

	fx_up(&f, false);
	assert_int_equal(copro_raw_dma_alloc(f.bus, DRAM + 0x100000, 8192, 0, &a), 0);
	assert_int_equal(a.phys, DRAM + 0x100000);
	assert_int_equal(a.size, 8192);
	memcpy((char *)a.cpu + 4096, "written", 8);
	/* The device's view of the same address sees the CPU's write. */
	assert_int_equal(copro_bus_dma_read(f.bus, "test", a.phys + 4096, seen, 8), 0);
	assert_string_equal(seen, "written");

	assert_int_equal(copro_raw_dma_alloc(f.bus, DRAM + 0x101000, 4096, 0, &b),
			 -EBUSY);
	assert_int_equal(copro_raw_dma_alloc(f.bus, 0x1000, 4096, 0, &b), -EINVAL);
	assert_int_equal(copro_raw_dma_alloc(f.bus, DRAM + 1, 4096, 0, &b), -EINVAL);
	assert_int_equal(copro_raw_dma_alloc(f.bus, 0, 4096, 0x80, &b), -EINVAL);
	assert_int_equal(copro_raw_dma_alloc(f.bus, 0, 4096, 0, &b), 0);
	assert_true(b.phys >= DRAM && b.phys != a.phys);

	copro_raw_dma_free(f.bus, &a);
	assert_null(a.cpu);
	assert_int_equal(copro_bus_dma_read(f.bus, "test", DRAM + 0x100000, seen, 8),
			 -COPRO_EBUSFAULT);
	copro_raw_dma_free(f.bus, &b);
	fx_down(&f);
}

static void test_dma_identity(void **state)
{
	struct copro_raw_dma a;
	uint64_t phys = DRAM + 0x200000;
	char seen[6];
	struct fx f;
	int rc;

	fx_up(&f, false);
	rc = copro_raw_dma_alloc(f.bus, phys, 4096, COPRO_RAW_DMA_IDENTITY, &a);
#ifdef ASAN
	/* The sanitizer's shadow memory covers this window. */
	assert_int_equal(rc, -EADDRNOTAVAIL);
	test_logcap_expect(&f.cap, "same host address");
#else
	assert_int_equal(rc, 0);
	assert_ptr_equal(a.cpu, (void *)(uintptr_t)phys);
	memcpy((void *)(uintptr_t)phys, "ident", 6);
	assert_int_equal(copro_bus_dma_read(f.bus, "test", phys, seen, 6), 0);
	assert_string_equal(seen, "ident");
	/* The address is taken now, on the host as on the bus. */
	struct copro_raw_dma b;

	assert_int_equal(copro_raw_dma_alloc(f.bus, phys, 4096,
					     COPRO_RAW_DMA_IDENTITY, &b),
			 -EADDRNOTAVAIL);
	copro_raw_dma_free(f.bus, &a);
	/* Given back: the same address maps again. */
	assert_int_equal(copro_raw_dma_alloc(f.bus, phys, 4096,
					     COPRO_RAW_DMA_IDENTITY, &a), 0);
	copro_raw_dma_free(f.bus, &a);
#endif
	(void)seen;
	fx_down(&f);
}

struct edges {
	unsigned calls;
	bool last;
};

static void on_edge(void *ctx, unsigned line, bool level)
{
	struct edges *e = ctx;

	assert_int_equal(line, LINE);
	e->calls++;
	e->last = level;
}

static void test_irq_hook(void **state)
{
	struct edges e = { 0 }, other = { 0 };
	struct fx f;

	fx_up(&f, false);
	assert_int_equal(copro_raw_irq_hook(f.bus, LINE, on_edge, &e), 0);
	assert_int_equal(copro_raw_irq_hook(f.bus, LINE, on_edge, &other), -EBUSY);
	assert_int_equal(copro_raw_irq_hook(f.bus, COPRO_BUS_IRQ_LINES, on_edge,
					    &other), -EINVAL);
	copro_bus_irq_set(f.bus, LINE, true);
	assert_int_equal(e.calls, 1);
	assert_true(e.last);
	copro_bus_irq_set(f.bus, LINE, true); /* no change, no call */
	assert_int_equal(e.calls, 1);
	copro_bus_irq_set(f.bus, LINE + 1, true); /* another line */
	assert_int_equal(e.calls, 1);
	copro_bus_irq_set(f.bus, LINE, false);
	assert_int_equal(e.calls, 2);
	assert_false(e.last);
	copro_raw_irq_unhook(f.bus, LINE);
	copro_bus_irq_set(f.bus, LINE, true);
	assert_int_equal(e.calls, 2);
	assert_int_equal(other.calls, 0);
	copro_bus_irq_set(f.bus, LINE, false);
	copro_bus_irq_set(f.bus, LINE + 1, false);
	fx_down(&f);
}

struct raiser {
	struct copro_bus *bus;
	struct copro_completion waiting;
};

static void *raise_line(void *arg)
{
	struct raiser *r = arg;

	/* Whether the waiter sleeps yet or not, it must see the edge. */
	copro_completion_wait(&r->waiting, COPRO_FOREVER);
	copro_bus_irq_set(r->bus, LINE, true);
	return NULL;
}

static void test_irq_wait(void **state)
{
	struct copro_thread th = { 0 };
	struct raiser r;
	struct fx f;

	fx_up(&f, true);
	/* Already at the level: at once. */
	assert_int_equal(copro_raw_irq_wait(f.bus, LINE, false, 0), 0);
	assert_int_equal(copro_raw_irq_wait(f.bus, LINE, true, 0), -ETIMEDOUT);
	assert_int_equal(copro_raw_irq_wait(f.bus, LINE, true, COPRO_NSEC_PER_MSEC),
			 -ETIMEDOUT);
	assert_int_equal(copro_raw_irq_wait(f.bus, COPRO_BUS_IRQ_LINES, true, 0),
			 -EINVAL);

	r.bus = f.bus;
	copro_completion_init(&r.waiting);
	assert_int_equal(copro_thread_start(&th, "raiser", raise_line, &r), 0);
	copro_completion_complete(&r.waiting);
	assert_int_equal(copro_raw_irq_wait(f.bus, LINE, true, COPRO_FOREVER), 0);
	assert_true(copro_bus_irq_get(f.bus, LINE));
	copro_thread_join(&th);
	copro_bus_irq_set(f.bus, LINE, false);
	fx_down(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pmgr_power_and_reset),
		cmocka_unit_test(test_board_from_a_blob),
		cmocka_unit_test(test_registers_nobody_answers),
		cmocka_unit_test(test_dma_at_an_address),
		cmocka_unit_test(test_dma_identity),
		cmocka_unit_test(test_irq_hook),
		cmocka_unit_test(test_irq_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
