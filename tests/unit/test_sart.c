/* SPDX-License-Identifier: MIT */
/*
 * The SART driver against the SART model, in all three register layouts:
 * the allow-list bookkeeping, the exact register contents and write
 * order, protected bootloader entries, the limits of each version, the
 * filter, and finding a SART through a client's apple,sart phandle.
 *
 * Every board is a small DTB built here (tests/common/test_dtb.h), so
 * each version gets the same tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include <copro/driver/platform.h>
#include <copro/error.h>
#include <copro/os.h>
#include <copro/regs/sart.h>
#include <copro/sart.h>
#include <copro/sim/bus.h>
#include <copro/sim/sart_model.h>

#include "test_dtb.h"
#include "testutil.h"

#define SART_PHYS 0x27bc50000ull
#define SART_REG_SIZE 0x10000ull
#define SART_NAME "iommu@27bc50000"
#define OTHER_SART_PHYS 0x27bc60000ull
#define DRAM_BASE 0x800000000ull
#define DRAM_SIZE 0x40000000ull
#define PH_SART 1
#define PH_OTHER 2
#define PAGE 0x1000ull

/* ---- versions ------------------------------------------------------- */

struct ver {
	const char *compat;
	unsigned version;
	unsigned addr_bits;
	uint64_t size_max; /* bytes */
	uint32_t allow;
	uint32_t flags_width_max; /* largest value the flags field holds */
};

static const struct ver v0 = { SART_COMPAT_V0, 0, 36,
			       (uint64_t)SART0_SIZE_MAX << 12, 0xf, 0x1f };
static const struct ver v2 = { SART_COMPAT_V2, 2, 36,
			       (uint64_t)SART2_SIZE_MAX << 12, 0xff, 0xff };
static const struct ver v3 = { SART_COMPAT_V3, 3, 42,
			       (uint64_t)SART3_SIZE_MAX << 12, 0xff, 0xff };

/* What the registers of an entry must hold, per layout. */
struct regs {
	uint32_t cfg;  /* CONFIG (v0, v2) or FLAGS (v3) */
	uint32_t addr;
	uint32_t size; /* SIZE (v3 only) */
};

static struct regs expect(const struct ver *v, uint32_t flags, uint64_t phys,
			  uint64_t size)
{
	struct regs r = { .addr = (uint32_t)(phys >> 12) };

	switch (v->version) {
	case 0:
		r.cfg = (flags << 24) | (uint32_t)(size >> 12);
		break;
	case 2:
		r.cfg = (flags << 24) | (uint32_t)(size >> 12);
		break;
	default:
		r.cfg = flags;
		r.size = (uint32_t)(size >> 12);
		break;
	}
	return r;
}

/* ---- boards --------------------------------------------------------- */

struct board_opts {
	const char *compat; /* of the SART under test */
	const char *compat2; /* NULL, or a second compatible string */
	const uint32_t *boot; /* apple,bootloader-entries cells */
	size_t nboot;
};

/*
 * / { memory, soc { iommu@27bc50000 (under test), iommu@27bc60000 (never
 * probed), nvme and second (apple,sart = the SART), orphan (points at
 * the other), plain (no apple,sart) } }
 */
static struct test_dtb *build_board(const struct board_opts *o)
{
	struct test_dtb *b = test_dtb_new();

	test_dtb_begin(b, "");
	test_dtb_u32(b, "#address-cells", 2);
	test_dtb_u32(b, "#size-cells", 2);
	test_dtb_str(b, "compatible", "copro,test-sart");
	test_dtb_memory(b, DRAM_BASE, DRAM_SIZE);

	test_dtb_begin(b, "soc");
	test_dtb_str(b, "compatible", "simple-bus");
	test_dtb_u32(b, "#address-cells", 2);
	test_dtb_u32(b, "#size-cells", 2);
	test_dtb_empty(b, "ranges");

	test_dtb_begin(b, SART_NAME);
	test_dtb_strings(b, "compatible", o->compat, o->compat2, NULL);
	test_dtb_reg(b, SART_PHYS, SART_REG_SIZE);
	test_dtb_phandle(b, PH_SART);
	if (o->boot)
		test_dtb_cells_v(b, COPRO_SIM_SART_BOOT_ENTRIES, o->boot, o->nboot);
	test_dtb_end(b);

	test_dtb_begin(b, "iommu@27bc60000");
	test_dtb_str(b, "compatible", SART_COMPAT_V2);
	test_dtb_reg(b, OTHER_SART_PHYS, SART_REG_SIZE);
	test_dtb_phandle(b, PH_OTHER);
	test_dtb_end(b);

	test_dtb_begin(b, "nvme@27bcc0000");
	test_dtb_str(b, "compatible", "copro,test-client");
	test_dtb_u32(b, "apple,sart", PH_SART);
	test_dtb_end(b);

	test_dtb_begin(b, "second");
	test_dtb_str(b, "compatible", "copro,test-client");
	test_dtb_u32(b, "apple,sart", PH_SART);
	test_dtb_end(b);

	test_dtb_begin(b, "orphan");
	test_dtb_str(b, "compatible", "copro,test-client");
	test_dtb_u32(b, "apple,sart", PH_OTHER);
	test_dtb_end(b);

	test_dtb_begin(b, "plain");
	test_dtb_str(b, "compatible", "copro,test-client");
	test_dtb_end(b);

	test_dtb_end(b); /* soc */
	test_dtb_end(b); /* / */
	return b;
}

/* ---- fixture -------------------------------------------------------- */

#define TRACE_MAX 128

struct trace {
	size_t n;
	uint64_t off[TRACE_MAX];
	uint32_t val[TRACE_MAX];
};

struct fx {
	const struct ver *v;
	struct test_logcap cap;
	struct copro_dt *dt;
	struct copro_bus *bus;
	struct copro_platform *p;
	struct copro_sim_sart *model;
	struct copro_sart *sart;
	struct copro_mmio *regs; /* the test's own view of the registers */
	int node;
	struct trace tr;
};

static void on_write(void *ctx, uint64_t off, uint32_t val)
{
	struct trace *t = ctx;

	if (t->n < TRACE_MAX) {
		t->off[t->n] = off;
		t->val[t->n] = val;
	}
	t->n++;
}

/* Board, platform and model; the driver only when `probe`. */
static void fx_open(struct fx *f, const struct board_opts *o, bool probe)
{
	assert_int_equal(test_dtb_open(build_board(o), "test-sart",
				       test_logcap_log(&f->cap), &f->dt),
			 0);
	assert_int_equal(test_platform_create(f->dt, test_logcap_log(&f->cap),
					      false, &f->bus, &f->p),
			 0);
	f->node = copro_dt_path(f->dt, "/soc/" SART_NAME);
	assert_true(f->node >= 0);
	assert_int_equal(copro_sim_sart_create(f->bus, f->node, &f->model), 0);
	assert_int_equal(copro_mmio_map(f->p, SART_PHYS, SART_REG_SIZE,
					&f->regs),
			 0);
	if (probe)
		assert_int_equal(copro_sart_probe(f->p, f->node, &f->sart), 0);
	memset(&f->tr, 0, sizeof(f->tr));
	copro_sim_sart_set_trace(f->model, on_write, &f->tr);
}

static void fx_close(struct fx *f)
{
	copro_sart_remove(f->sart);
	f->sart = NULL;
	copro_mmio_unmap(f->regs);
	copro_sim_sart_destroy(f->model);
	test_platform_destroy(f->bus, f->p);
	copro_dt_close(f->dt);
}

static void fx_reopen_with_boot(struct fx *f, const uint32_t *boot,
				size_t nboot)
{
	struct board_opts o = { .compat = f->v->compat, .boot = boot,
				.nboot = nboot };

	fx_close(f);
	fx_open(f, &o, true);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct board_opts o = { 0 };

	assert_non_null(f);
	f->v = *state;
	o.compat = f->v->compat;
	assert_int_equal(test_logcap_init(&f->cap), 0);
	fx_open(f, &o, true);
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

/* The registers of entry i, read through MMIO. */
static struct regs read_regs(struct fx *f, unsigned i)
{
	struct regs r = {
		.cfg = copro_readl(f->regs, SART_CONFIG(i)),
		.addr = copro_readl(f->regs, SART_ADDR(i)),
	};

	if (f->v->version == 3)
		r.size = copro_readl(f->regs, SART3_SIZE(i));
	return r;
}

static void assert_regs(struct fx *f, unsigned i, struct regs want)
{
	struct regs got = read_regs(f, i);

	assert_int_equal(got.cfg, want.cfg);
	assert_int_equal(got.addr, want.addr);
	assert_int_equal(got.size, want.size);
}

static void assert_entry_clear(struct fx *f, unsigned i)
{
	assert_regs(f, i, (struct regs){ 0 });
}

static struct copro_sim_sart_stats mstats(struct fx *f)
{
	struct copro_sim_sart_stats s;

	copro_sim_sart_get_stats(f->model, &s);
	return s;
}

/* ---- probe ---------------------------------------------------------- */

static void test_probe_picks_layout(void **state)
{
	struct fx *f = *state;

	assert_int_equal(copro_sart_version(f->sart), f->v->version);
	assert_int_equal(copro_sim_sart_version(f->model), f->v->version);
	assert_string_equal(copro_sart_name(f->sart), SART_NAME);
	assert_int_equal(copro_sart_node(f->sart), f->node);
	assert_int_equal(copro_sart_addr_bits(f->sart), f->v->addr_bits);
	assert_int_equal(copro_sart_size_max(f->sart), f->v->size_max);
	assert_int_equal(copro_sart_entry_count_used(f->sart), 0);
	assert_int_equal(copro_sart_entry_count_protected(f->sart), 0);
	/* Probing only reads. */
	assert_int_equal(f->tr.n, 0);
}

static void test_unknown_compatible(void **state)
{
	struct fx *f = *state;
	struct board_opts o = { .compat = "apple,t9999-sart" };
	struct copro_sart *s = (struct copro_sart *)&o;
	struct copro_sim_sart *m = (struct copro_sim_sart *)&o;

	fx_close(f);
	/* The model refuses the node too, so build the rest by hand. */
	{
		assert_int_equal(test_dtb_open(build_board(&o), "test-sart",
					       test_logcap_log(&f->cap),
					       &f->dt),
				 0);
		assert_int_equal(test_platform_create(f->dt,
						      test_logcap_log(&f->cap),
						      false, &f->bus, &f->p),
				 0);
	}
	f->node = copro_dt_path(f->dt, "/soc/" SART_NAME);
	assert_true(f->node >= 0);

	assert_int_equal(copro_sart_probe(f->p, f->node, &s), -ENODEV);
	assert_null(s);
	assert_true(test_logcap_contains(&f->cap, "/soc/" SART_NAME));
	assert_true(test_logcap_contains(&f->cap, "\"apple,t9999-sart\""));
	assert_int_equal(copro_sim_sart_create(f->bus, f->node, &m), -ENODEV);
	assert_null(m);
	assert_true(test_logcap_count(&f->cap, "apple,t9999-sart") >= 2);

	/* No provider was left behind. */
	assert_null(copro_platform_provider_find(f->p, COPRO_SART_PROVIDER,
						 f->node));
	test_platform_destroy(f->bus, f->p);
	copro_dt_close(f->dt);

	/* Reopen normally so teardown has something to close. */
	{
		struct board_opts ok = { .compat = f->v->compat };

		fx_open(f, &ok, true);
	}
}

static void test_first_listed_compatible_wins(void **state)
{
	struct fx *f = *state;
	struct board_opts o = { .compat = SART_COMPAT_V3,
				.compat2 = SART_COMPAT_V2 };

	fx_close(f);
	fx_open(f, &o, true);
	assert_int_equal(copro_sart_version(f->sart), 3);
	assert_int_equal(copro_sim_sart_version(f->model), 3);
	fx_close(f);
	o.compat = SART_COMPAT_V0;
	fx_open(f, &o, true);
	assert_int_equal(copro_sart_version(f->sart), 0);
	assert_int_equal(copro_sim_sart_version(f->model), 0);
}

/* ---- registers and write order ------------------------------------ */

static void test_add_sets_registers(void **state)
{
	struct fx *f = *state;
	const struct ver *v = f->v;
	struct copro_sart_handle h0, h1, h2;
	uint64_t top = 1ull << v->addr_bits;
	struct copro_sart_entry e;

	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE + 0x10000, 0x3000,
					&h0),
			 0);
	assert_int_equal(h0.index, 0);
	assert_int_equal(h0.phys, DRAM_BASE + 0x10000);
	assert_int_equal(h0.size, 0x3000);
	assert_regs(f, 0, expect(v, v->allow, DRAM_BASE + 0x10000, 0x3000));

	/* The largest size fills the size field and nothing beside it. */
	assert_int_equal(copro_sart_allow(f->sart, 0, v->size_max, &h1), 0);
	assert_int_equal(h1.index, 1);
	assert_regs(f, 1, expect(v, v->allow, 0, v->size_max));

	/* The highest page fills the address field. */
	assert_int_equal(copro_sart_allow(f->sart, top - PAGE, PAGE, &h2), 0);
	assert_int_equal(h2.index, 2);
	assert_regs(f, 2, expect(v, v->allow, top - PAGE, PAGE));
	assert_int_equal(read_regs(f, 2).addr,
			 v->version == 3 ? SART3_ADDR_MASK : SART2_ADDR_MASK);

	for (unsigned i = 3; i < SART_MAX_ENTRIES; i++)
		assert_entry_clear(f, i);
	assert_int_equal(copro_sart_entry_count_used(f->sart), 3);

	assert_int_equal(copro_sart_read_entry(f->sart, 1, &e), 0);
	assert_int_equal(e.flags, v->allow);
	assert_int_equal(e.phys, 0);
	assert_int_equal(e.size, v->size_max);
	assert_true(e.used);
	assert_false(e.protected_);
	assert_int_equal(copro_sart_read_entry(f->sart, 16, &e), -EINVAL);
}

static void test_write_order(void **state)
{
	struct fx *f = *state;
	const struct ver *v = f->v;
	struct copro_sart_handle h;
	uint64_t phys = DRAM_BASE + 0x200000;
	struct regs r = expect(v, v->allow, phys, 0x5000);

	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE, PAGE, &h), 0);
	f->tr.n = 0;
	assert_int_equal(copro_sart_allow(f->sart, phys, 0x5000, &h), 0);
	assert_int_equal(h.index, 1);
	/* The range first; the flags, which enable it, last. */
	if (v->version == 3) {
		assert_int_equal(f->tr.n, 3);
		assert_int_equal(f->tr.off[0], SART_ADDR(1));
		assert_int_equal(f->tr.val[0], r.addr);
		assert_int_equal(f->tr.off[1], SART3_SIZE(1));
		assert_int_equal(f->tr.val[1], r.size);
		assert_int_equal(f->tr.off[2], SART3_FLAGS(1));
		assert_int_equal(f->tr.val[2], v->allow);
	} else {
		/* Size and flags share CONFIG: one store enables a whole range. */
		assert_int_equal(f->tr.n, 2);
		assert_int_equal(f->tr.off[0], SART_ADDR(1));
		assert_int_equal(f->tr.val[0], r.addr);
		assert_int_equal(f->tr.off[1], SART_CONFIG(1));
		assert_int_equal(f->tr.val[1], r.cfg);
	}

	/* Removal disables first, then clears the range. */
	f->tr.n = 0;
	assert_int_equal(copro_sart_revoke(f->sart, &h), 0);
	if (v->version == 3) {
		assert_int_equal(f->tr.n, 3);
		assert_int_equal(f->tr.off[0], SART3_FLAGS(1));
		assert_int_equal(f->tr.off[1], SART3_SIZE(1));
		assert_int_equal(f->tr.off[2], SART_ADDR(1));
	} else {
		assert_int_equal(f->tr.n, 2);
		assert_int_equal(f->tr.off[0], SART_CONFIG(1));
		assert_int_equal(f->tr.off[1], SART_ADDR(1));
	}
	for (size_t i = 0; i < f->tr.n; i++)
		assert_int_equal(f->tr.val[i], 0);
	assert_entry_clear(f, 1);
}

/* ---- add and remove ------------------------------------------------- */

static void test_remove_by_handle(void **state)
{
	struct fx *f = *state;
	struct copro_sart_handle a, b, stale;

	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE, 0x2000, &a), 0);
	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE + 0x10000, 0x1000,
					&b),
			 0);
	stale = a;
	assert_int_equal(copro_sart_revoke(f->sart, &a), 0);
	assert_int_equal(a.index, -1);
	assert_entry_clear(f, 0);
	assert_regs(f, 1, expect(f->v, f->v->allow, DRAM_BASE + 0x10000,
				 0x1000));
	assert_int_equal(copro_sart_entry_count_used(f->sart), 1);

	/* A reset handle and a stale copy both fail. */
	assert_int_equal(copro_sart_revoke(f->sart, &a), -ENOENT);
	assert_int_equal(copro_sart_revoke(f->sart, &stale), -ENOENT);

	/*
	 * Entry 0 is handed out again, even for the same range: the stale
	 * copy must not remove the new owner's entry.
	 */
	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE, 0x2000, &a), 0);
	assert_int_equal(a.index, 0);
	f->tr.n = 0;
	assert_int_equal(copro_sart_revoke(f->sart, &stale), -ENOENT);
	assert_int_equal(f->tr.n, 0);
	assert_true(test_logcap_contains(&f->cap, "stale handle"));
	assert_regs(f, 0, expect(f->v, f->v->allow, DRAM_BASE, 0x2000));
	assert_int_equal(copro_sart_revoke(f->sart, &a), 0);
	assert_int_equal(copro_sart_revoke(f->sart, &b), 0);
	assert_int_equal(copro_sart_entry_count_used(f->sart), 0);
}

static void test_remove_range(void **state)
{
	struct fx *f = *state;
	struct copro_sart_handle a, b;

	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE, 0x2000, &a), 0);
	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE + 0x8000, 0x4000,
					&b),
			 0);

	/* Only an exact match of address and size removes. */
	f->tr.n = 0;
	assert_int_equal(copro_sart_revoke_range(f->sart, DRAM_BASE + 0x8000,
						 0x2000),
			 -ENOENT);
	assert_int_equal(copro_sart_revoke_range(f->sart, DRAM_BASE + 0x9000,
						 0x3000),
			 -ENOENT);
	assert_int_equal(copro_sart_revoke_range(f->sart, 0x900000000ull,
						 0x1000),
			 -ENOENT);
	assert_int_equal(f->tr.n, 0);
	assert_true(test_logcap_contains(&f->cap,
					 SART_NAME ": remove: no entry is "
						   "exactly [0x900000000, "
						   "0x900001000)"));

	assert_int_equal(copro_sart_revoke_range(f->sart, DRAM_BASE + 0x8000,
						 0x4000),
			 0);
	assert_entry_clear(f, 1);
	assert_regs(f, 0, expect(f->v, f->v->allow, DRAM_BASE, 0x2000));
	assert_int_equal(copro_sart_entry_count_used(f->sart), 1);
	/* Removed by range, so the handle is stale now. */
	assert_int_equal(copro_sart_revoke(f->sart, &b), -ENOENT);
	assert_int_equal(copro_sart_revoke_range(f->sart, DRAM_BASE, 0x2000),
			 0);
	assert_int_equal(copro_sart_entry_count_used(f->sart), 0);
}

static void test_full_table(void **state)
{
	struct fx *f = *state;
	struct copro_sart_handle h[SART_MAX_ENTRIES], extra;

	for (unsigned i = 0; i < SART_MAX_ENTRIES; i++) {
		assert_int_equal(copro_sart_allow(f->sart,
						DRAM_BASE + i * 0x10000, PAGE,
						&h[i]),
				 0);
		assert_int_equal(h[i].index, (int)i);
	}
	f->tr.n = 0;
	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE + 0x200000, PAGE,
					&extra),
			 -EBUSY);
	assert_int_equal(extra.index, -1);
	assert_int_equal(f->tr.n, 0);
	assert_true(test_logcap_contains(&f->cap, "warn: " SART_NAME
						  ": no free entry for "
						  "[0x800200000, 0x800201000)"));

	/* A freed entry is the next one handed out. */
	assert_int_equal(copro_sart_revoke(f->sart, &h[9]), 0);
	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE + 0x200000, PAGE,
					&extra),
			 0);
	assert_int_equal(extra.index, 9);
	assert_regs(f, 9, expect(f->v, f->v->allow, DRAM_BASE + 0x200000,
				 PAGE));
	assert_int_equal(copro_sart_entry_count_used(f->sart),
			 SART_MAX_ENTRIES);
}

static void test_bad_adds(void **state)
{
	struct fx *f = *state;
	const struct ver *v = f->v;
	uint64_t top = 1ull << v->addr_bits;
	struct copro_sart_handle h;
	char want[160];

	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE + 0x800, PAGE, &h),
			 -EINVAL);
	assert_int_equal(h.index, -1);
	assert_true(test_logcap_contains(
		&f->cap, "err: " SART_NAME ": cannot add address 0x800000800:"
			 " not 4 KiB aligned"));

	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE, 0x1800, &h),
			 -EINVAL);
	assert_true(test_logcap_contains(&f->cap, "cannot add size 0x1800 at "
						  "0x800000000: not 4 KiB "
						  "aligned"));

	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE, 0, &h), -EINVAL);
	assert_true(test_logcap_contains(&f->cap,
					 "cannot add 0x800000000: size 0"));

	assert_int_equal(copro_sart_allow(f->sart, 0, v->size_max + PAGE, &h),
			 -EINVAL);
	snprintf(want, sizeof(want), "cannot add size 0x%llx at 0x0: above",
		 (unsigned long long)(v->size_max + PAGE));
	assert_true(test_logcap_contains(&f->cap, want));

	/* Beyond the address space, and crossing its end. */
	assert_int_equal(copro_sart_allow(f->sart, top, PAGE, &h), -EINVAL);
	snprintf(want, sizeof(want), "cannot add [0x%llx, +0x1000): beyond",
		 (unsigned long long)top);
	assert_true(test_logcap_contains(&f->cap, want));
	assert_int_equal(copro_sart_allow(f->sart, top - PAGE, 2 * PAGE, &h),
			 -EINVAL);
	snprintf(want, sizeof(want), "-bit address space");
	assert_int_equal(test_logcap_count(&f->cap, want), 2);

	/* Nothing reached the hardware or the bookkeeping. */
	assert_int_equal(f->tr.n, 0);
	assert_int_equal(copro_sart_entry_count_used(f->sart), 0);
}

/* ---- bootloader entries --------------------------------------------- */

/* Entries 0 and 3, with flags the driver would never write. */
#define BOOT_A (DRAM_BASE + 0x3ff00000ull)
#define BOOT_B 0x2a0000000ull
static const uint32_t boot_cells[] = {
	0, 0x8, 0x3ff00000, 0, 0x100000, 0x3,
	3, 0x2, 0xa0000000, 0, 0x4000,	 0x1,
};

static void test_protected_entries(void **state)
{
	struct fx *f = *state;
	const struct ver *v = f->v;
	struct copro_sart_handle h[SART_MAX_ENTRIES], extra;
	struct regs ra = expect(v, 0x3, BOOT_A, 0x100000);
	struct regs rb = expect(v, 0x1, BOOT_B, 0x4000);
	struct copro_sart_entry e;
	int n = 0;

	fx_reopen_with_boot(f, boot_cells, 12);
	assert_int_equal(copro_sart_entry_count_protected(f->sart), 2);
	assert_true(test_logcap_contains(
		&f->cap, "debug: " SART_NAME ": entry 3 set by the bootloader:"
			 " [0x2a0000000, 0x2a0004000) flags 0x1; protected"));
	assert_regs(f, 0, ra);
	assert_regs(f, 3, rb);
	assert_int_equal(copro_sart_read_entry(f->sart, 3, &e), 0);
	assert_true(e.protected_);
	assert_false(e.used);

	/* Only the 14 other entries are handed out. */
	for (unsigned i = 0; i < SART_MAX_ENTRIES - 2; i++) {
		assert_int_equal(copro_sart_allow(f->sart,
						DRAM_BASE + i * 0x10000, PAGE,
						&h[n]),
				 0);
		assert_int_not_equal(h[n].index, 0);
		assert_int_not_equal(h[n].index, 3);
		n++;
	}
	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE + 0x200000, PAGE,
					&extra),
			 -EBUSY);
	assert_true(test_logcap_contains(&f->cap, "(2 by the bootloader)"));

	/* Not removable by range either. */
	assert_int_equal(copro_sart_revoke_range(f->sart, BOOT_B, 0x4000),
			 -ENOENT);

	/* Shutdown clears everything else and never writes entries 0, 3. */
	f->tr.n = 0;
	copro_sart_shutdown(f->sart);
	assert_true(f->tr.n > 0 && f->tr.n <= TRACE_MAX);
	for (size_t i = 0; i < f->tr.n; i++) {
		unsigned idx = (unsigned)(f->tr.off[i] % 0x40) / 4;

		assert_int_not_equal(idx, 0);
		assert_int_not_equal(idx, 3);
	}
	assert_regs(f, 0, ra);
	assert_regs(f, 3, rb);
	for (unsigned i = 0; i < SART_MAX_ENTRIES; i++)
		if (i != 0 && i != 3)
			assert_entry_clear(f, i);
	assert_int_equal(copro_sart_entry_count_used(f->sart), 0);
	assert_int_equal(copro_sart_revoke(f->sart, &h[0]), -ENOENT);

	/* The bootloader's ranges still pass the filter. */
	assert_int_equal(copro_sim_sart_check(f->model, BOOT_B, 0x4000, true),
			 0);
	assert_int_equal(copro_sim_sart_check(f->model, BOOT_A + 0x80000, 16,
					      false),
			 0);
}

static void test_bad_bootloader_entries(void **state)
{
	struct fx *f = *state;
	struct board_opts o = { .compat = f->v->compat };
	const uint32_t misaligned[] = { 2, 0x8, 0x800, 0, 0x1000, 0x1 };
	const uint32_t no_flags[] = { 2, 0x8, 0x0, 0, 0x1000, 0x0 };
	const uint32_t short_prop[] = { 2, 0x8, 0x0, 0, 0x1000 };
	const uint32_t twice[] = { 4, 0x8, 0x0, 0, 0x1000, 0x1,
				   4, 0x8, 0x2000, 0, 0x1000, 0x1 };
	const uint32_t wide_flags[] = { 2, 0x8, 0x0, 0, 0x1000,
					f->v->flags_width_max + 1 };
	const struct {
		const uint32_t *c;
		size_t n;
		const char *why;
	} bad[] = {
		{ misaligned, 6, "not 4 KiB aligned" },
		{ no_flags, 6, "flags zero" },
		{ short_prop, 5, "is 20 bytes" },
		{ twice, 12, "index listed twice" },
		{ wide_flags, 6, "wider than the flags field" },
	};
	struct copro_sim_sart *m;

	fx_close(f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.boot = bad[i].c;
		o.nboot = bad[i].n;
		assert_int_equal(test_dtb_open(build_board(&o), "test-sart",
					       test_logcap_log(&f->cap),
					       &f->dt),
				 0);
		assert_int_equal(test_platform_create(f->dt,
						      test_logcap_log(&f->cap),
						      false, &f->bus, &f->p),
				 0);
		f->node = copro_dt_path(f->dt, "/soc/" SART_NAME);
		test_logcap_clear(&f->cap);
		assert_int_equal(copro_sim_sart_create(f->bus, f->node, &m),
				 -EINVAL);
		assert_true(test_logcap_contains(&f->cap,
						 COPRO_SIM_SART_BOOT_ENTRIES));
		assert_true(test_logcap_contains(&f->cap, bad[i].why));
		test_platform_destroy(f->bus, f->p);
		copro_dt_close(f->dt);
	}
	o.boot = NULL;
	fx_open(f, &o, true);
}

static void test_shutdown_clears_all(void **state)
{
	struct fx *f = *state;
	struct copro_sart_handle h;

	/* Stale contents with no flags are not the bootloader's: cleared. */
	copro_writel(f->regs, SART_ADDR(7), 0x123);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE + i * PAGE,
						PAGE, &h),
				 0);
	copro_sart_shutdown(f->sart);
	for (unsigned i = 0; i < SART_MAX_ENTRIES; i++)
		assert_entry_clear(f, i);
	assert_int_equal(copro_sart_entry_count_used(f->sart), 0);
	assert_int_equal(copro_sart_revoke(f->sart, &h), -ENOENT);
	/* Usable again after a shutdown. */
	assert_int_equal(copro_sart_allow(f->sart, DRAM_BASE, PAGE, &h), 0);
	assert_int_equal(h.index, 0);
}

/* ---- the model ------------------------------------------------------ */

static void test_model_registers(void **state)
{
	struct fx *f = *state;
	const struct ver *v = f->v;
	uint64_t end = v->version == 3 ? SART3_REGS_SIZE : SART0_REGS_SIZE;
	uint32_t cfg_mask, addr_mask;
	struct copro_sim_sart_entry e;

	switch (v->version) {
	case 0:
		cfg_mask = SART0_CONFIG_FLAGS_MASK | SART0_CONFIG_SIZE_MASK;
		addr_mask = SART0_ADDR_MASK;
		break;
	case 2:
		cfg_mask = SART2_CONFIG_FLAGS_MASK | SART2_CONFIG_SIZE_MASK;
		addr_mask = SART2_ADDR_MASK;
		break;
	default:
		cfg_mask = SART3_FLAGS_MASK;
		addr_mask = SART3_ADDR_MASK;
		break;
	}
	/* Registers keep what is written, masked to the implemented bits. */
	copro_writel(f->regs, SART_CONFIG(5), 0xffffffff);
	copro_writel(f->regs, SART_ADDR(5), 0xffffffff);
	assert_int_equal(copro_readl(f->regs, SART_CONFIG(5)), cfg_mask);
	assert_int_equal(copro_readl(f->regs, SART_ADDR(5)), addr_mask);
	if (v->version == 3) {
		copro_writel(f->regs, SART3_SIZE(5), 0xffffffff);
		assert_int_equal(copro_readl(f->regs, SART3_SIZE(5)),
				 SART3_SIZE_MASK);
	}
	assert_int_equal(copro_sim_sart_get_entry(f->model, 5, &e), 0);
	assert_int_equal(e.flags, v->flags_width_max);
	assert_int_equal(e.phys, (uint64_t)addr_mask << 12);
	assert_int_equal(e.size, v->size_max);
	assert_int_equal(copro_sim_sart_get_entry(f->model, 16, &e), -EINVAL);
	assert_int_equal(mstats(f).reg_writes, v->version == 3 ? 3 : 2);
	assert_int_equal(mstats(f).bad_accesses, 0);

	/* Past the layout, and 64-bit accesses: bad, counted, no effect. */
	copro_writel(f->regs, end, 0x1);
	assert_int_equal(copro_readl(f->regs, end), 0);
	copro_writeq(f->regs, SART_ADDR(6), 0x55);
	assert_int_equal(copro_readq(f->regs, SART_ADDR(6)), 0);
	assert_int_equal(copro_readl(f->regs, SART_ADDR(6)), 0);
	assert_int_equal(mstats(f).bad_accesses, 4);
	assert_true(test_logcap_contains(&f->cap, "bad 8-byte write at offset 0x58"));
	assert_int_equal(mstats(f).reg_writes, v->version == 3 ? 3 : 2);
}

static void test_filter(void **state)
{
	struct fx *f = *state;
	const uint64_t a = DRAM_BASE + 0x100000;
	struct copro_sart_handle h1, h2;
	char want[160];

	/* Nothing allowed before an add. */
	assert_int_equal(copro_sim_sart_check(f->model, a, 16, false),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_sart_allow(f->sart, a, 0x4000, &h1), 0);
	assert_int_equal(copro_sart_allow(f->sart, a + 0x4000, 0x4000, &h2), 0);

	/* Inside one entry, up to its edges. */
	assert_int_equal(copro_sim_sart_check(f->model, a, 0x4000, true), 0);
	assert_int_equal(copro_sim_sart_check(f->model, a + 0x1234, 8, false),
			 0);
	assert_int_equal(copro_sim_sart_check(f->model, a + 0x7fff, 1, true),
			 0);
	assert_int_equal(copro_sim_sart_check(f->model, a, 0, true), 0);
	assert_int_equal(mstats(f).allowed, 3); /* len 0 is not counted */

	/* Outside, across the end, and across two adjacent entries. */
	assert_int_equal(copro_sim_sart_check(f->model, a - 1, 2, false),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_sim_sart_check(f->model, a + 0x7000, 0x2000,
					      true),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_sim_sart_check(f->model, a + 0x3000, 0x2000,
					      true),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_sim_sart_check(f->model, UINT64_MAX - 7, 16,
					      false),
			 -COPRO_EBUSFAULT);
	snprintf(want, sizeof(want),
		 "sim:" SART_NAME ": blocked DMA write of 0x2000 bytes at 0x%llx",
		 (unsigned long long)(a + 0x3000));
	assert_true(test_logcap_contains(&f->cap, want));

	/* Removed: blocked again. */
	assert_int_equal(copro_sart_revoke(f->sart, &h1), 0);
	assert_int_equal(copro_sim_sart_check(f->model, a, 16, false),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_sim_sart_check(f->model, a + 0x4000, 16, false),
			 0);
	assert_int_equal(mstats(f).blocked, 1 + 4 + 1);
	assert_int_equal(mstats(f).allowed, 3 + 1);
}

/* A range without flags allows nothing: the flags are the enable. */
static void test_filter_needs_flags(void **state)
{
	struct fx *f = *state;
	const struct ver *v = f->v;
	const uint64_t a = DRAM_BASE + 0x300000;
	struct regs r = expect(v, v->allow, a, 0x2000);

	copro_writel(f->regs, SART_ADDR(10), r.addr);
	if (v->version == 3)
		copro_writel(f->regs, SART3_SIZE(10), r.size);
	else
		copro_writel(f->regs, SART_CONFIG(10), (uint32_t)(0x2000 >> 12));
	assert_int_equal(copro_sim_sart_check(f->model, a, 16, true),
			 -COPRO_EBUSFAULT);

	copro_writel(f->regs, SART_CONFIG(10), r.cfg);
	assert_int_equal(copro_sim_sart_check(f->model, a, 16, true), 0);
	assert_int_equal(copro_sim_sart_check(f->model, a + 0x2000, 16, true),
			 -COPRO_EBUSFAULT);
	assert_int_equal(mstats(f).blocked, 2);
	assert_int_equal(mstats(f).allowed, 1);
}

static void test_filtered_dma(void **state)
{
	struct fx *f = *state;
	struct copro_dma_buf buf;
	struct copro_sart_handle h;
	const char msg[] = "through the SART";
	char back[sizeof(msg)];
	uint64_t faults;

	assert_int_equal(copro_dma_alloc(f->p, 0x2000, &buf), 0);
	faults = copro_bus_dma_faults(f->bus);

	assert_int_equal(copro_sim_sart_dma_write(f->model, "ans", buf.phys,
						  msg, sizeof(msg)),
			 -COPRO_EBUSFAULT);
	assert_int_equal(((char *)buf.cpu)[0], 0);
	assert_true(test_logcap_contains(&f->cap, "bytes at"));
	assert_true(test_logcap_contains(&f->cap, " by ans"));

	assert_int_equal(copro_sart_allow(f->sart, buf.phys, PAGE, &h), 0);
	assert_int_equal(copro_sim_sart_dma_write(f->model, "ans", buf.phys,
						  msg, sizeof(msg)),
			 0);
	assert_memory_equal(buf.cpu, msg, sizeof(msg));
	assert_int_equal(copro_sim_sart_dma_read(f->model, "ans", buf.phys,
						 back, sizeof(back)),
			 0);
	assert_memory_equal(back, msg, sizeof(msg));
	/* The second page of the buffer was never allowed. */
	assert_int_equal(copro_sim_sart_dma_read(f->model, "ans",
						 buf.phys + PAGE, back, 4),
			 -COPRO_EBUSFAULT);

	assert_int_equal(copro_sart_revoke(f->sart, &h), 0);
	assert_int_equal(copro_sim_sart_dma_read(f->model, "ans", buf.phys,
						 back, sizeof(back)),
			 -COPRO_EBUSFAULT);
	/* The SART stopped them before the bus saw them. */
	assert_int_equal(copro_bus_dma_faults(f->bus), faults);
	assert_int_equal(mstats(f).blocked, 3);
	copro_dma_free(f->p, &buf);
}

/* ---- provider lookup ----------------------------------------------- */

static void test_get_dt(void **state)
{
	struct fx *f = *state;
	struct copro_sart *s = NULL;
	int client = copro_dt_path(f->dt, "/soc/nvme@27bcc0000");
	int orphan = copro_dt_path(f->dt, "/soc/orphan");
	int plain = copro_dt_path(f->dt, "/soc/plain");

	assert_true(client >= 0 && orphan >= 0 && plain >= 0);
	assert_int_equal(copro_sart_get_dt(f->p, client, &s), 0);
	assert_ptr_equal(s, f->sart);
	copro_sart_put(s);

	assert_int_equal(copro_sart_get_dt(f->p, plain, &s), -ENOENT);
	assert_null(s);
	assert_true(test_logcap_contains(&f->cap, "/soc/plain: no apple,sart"));

	assert_int_equal(copro_sart_get_dt(f->p, orphan, &s), -ENODEV);
	assert_null(s);
	assert_true(test_logcap_contains(&f->cap,
					 "/soc/iommu@27bc60000, which has no"
					 " SART driver probed"));

	/* Gone with the driver. */
	copro_sart_remove(f->sart);
	f->sart = NULL;
	assert_int_equal(copro_sart_get_dt(f->p, client, &s), -ENODEV);
}

/*
 * Two clients share one SART: each holds a reference and its own
 * entries; the SART cannot go while either holds it, and one client
 * leaving does not disturb the other.
 */
static void test_shared_by_two_clients(void **state)
{
	struct fx *f = *state;
	struct copro_sart *a = NULL, *b = NULL;
	struct copro_sart_handle ha, hb;
	int na = copro_dt_path(f->dt, "/soc/nvme@27bcc0000");
	int nb = copro_dt_path(f->dt, "/soc/second");
	struct copro_sart_entry e;

	assert_int_equal(copro_sart_get_dt(f->p, na, &a), 0);
	assert_int_equal(copro_sart_get_dt(f->p, nb, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(copro_platform_provider_refs(f->p, COPRO_SART_PROVIDER,
						      f->sart), 2);
	assert_int_equal(copro_sart_allow(a, DRAM_BASE, 0x4000, &ha), 0);
	assert_int_equal(copro_sart_allow(b, DRAM_BASE + 0x10000, 0x1000, &hb),
			 0);
	assert_int_equal(copro_sart_entry_count_used(f->sart), 2);

	/* Refused while held, loudly, and the SART keeps working. */
	assert_int_equal(copro_sart_remove(f->sart), -EBUSY);
	test_logcap_expect(&f->cap, "cannot unregister the sart provider"
				    " /soc/" SART_NAME ": 2 references");
	assert_int_equal(copro_sart_revoke(a, &ha), 0);
	copro_sart_put(a);
	assert_int_equal(copro_sart_remove(f->sart), -EBUSY);
	test_logcap_expect(&f->cap, "1 reference still held");
	/* The other client's entry is untouched. */
	assert_int_equal(copro_sart_read_entry(f->sart, (unsigned)hb.index, &e),
			 0);
	assert_true(e.used);
	assert_int_equal(e.phys, DRAM_BASE + 0x10000);
	assert_int_equal(copro_sart_revoke(b, &hb), 0);
	copro_sart_put(b);
	assert_int_equal(copro_platform_provider_refs(f->p, COPRO_SART_PROVIDER,
						      f->sart), 0);
	assert_int_equal(copro_sart_remove(f->sart), 0);
	f->sart = NULL;
}

/* ---- threads -------------------------------------------------------- */

#define THREAD_ROUNDS 200
#define THREAD_ENTRIES 8

struct worker {
	struct fx *f;
	uint64_t base;
	int errors;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct copro_sart_handle h[THREAD_ENTRIES];

	for (int r = 0; r < THREAD_ROUNDS; r++) {
		for (int i = 0; i < THREAD_ENTRIES; i++) {
			uint64_t phys = w->base + (uint64_t)i * PAGE;

			if (copro_sart_allow(w->f->sart, phys, PAGE, &h[i]) < 0 ||
			    copro_sim_sart_check(w->f->model, phys, PAGE,
						 true) < 0)
				w->errors++;
		}
		for (int i = 0; i < THREAD_ENTRIES; i++) {
			uint64_t phys = w->base + (uint64_t)i * PAGE;
			int ret = (r & 1) ? copro_sart_revoke(w->f->sart, &h[i])
					  : copro_sart_revoke_range(w->f->sart,
								    phys, PAGE);

			if (ret < 0)
				w->errors++;
		}
	}
	return NULL;
}

static void test_shared_by_threads(void **state)
{
	struct fx *f = *state;
	struct worker w[2] = {
		{ .f = f, .base = DRAM_BASE },
		{ .f = f, .base = DRAM_BASE + 0x100000 },
	};
	struct copro_thread th[2];

	/* Two clients together fill the table exactly: a lost entry shows. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(copro_thread_start(&th[i], "sart-client",
						    worker_fn, &w[i]),
				 0);
	for (int i = 0; i < 2; i++)
		copro_thread_join(&th[i]);
	assert_int_equal(w[0].errors, 0);
	assert_int_equal(w[1].errors, 0);
	assert_int_equal(copro_sart_entry_count_used(f->sart), 0);
	for (unsigned i = 0; i < SART_MAX_ENTRIES; i++)
		assert_entry_clear(f, i);
	assert_int_equal(mstats(f).blocked, 0);
}

/* ---- main ----------------------------------------------------------- */

/* Each test once per layout, named "test_x(v2)" so a failure says which. */
#define VERSION_TEST(fn, v) \
	{ #fn "(" #v ")", fn, setup, teardown, (void *)&v }
#define PER_VERSION(fn) \
	VERSION_TEST(fn, v0), VERSION_TEST(fn, v2), VERSION_TEST(fn, v3)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PER_VERSION(test_probe_picks_layout),
		PER_VERSION(test_unknown_compatible),
		VERSION_TEST(test_first_listed_compatible_wins, v2),
		PER_VERSION(test_add_sets_registers),
		PER_VERSION(test_write_order),
		PER_VERSION(test_remove_by_handle),
		PER_VERSION(test_remove_range),
		PER_VERSION(test_full_table),
		PER_VERSION(test_bad_adds),
		PER_VERSION(test_protected_entries),
		PER_VERSION(test_bad_bootloader_entries),
		PER_VERSION(test_shutdown_clears_all),
		PER_VERSION(test_model_registers),
		PER_VERSION(test_filter),
		PER_VERSION(test_filter_needs_flags),
		PER_VERSION(test_filtered_dma),
		PER_VERSION(test_get_dt),
		PER_VERSION(test_shared_by_two_clients),
		PER_VERSION(test_shared_by_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
