/* SPDX-License-Identifier: MIT */
/*
 * The devicetree layer: opening blobs, lookups, address translation,
 * interrupts, references, board validation, and that every failure names
 * the board, the node and the property. Malformed boards are built here
 * with the tests' devicetree builder (tests/common/test_dtb.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include "copro/dt.h"
#include "copro/sim/board.h"
#include "copro/error.h"
#include "test_dtb.h"
#include "testutil.h"

#define AIC_PH 1
#define AIC_PATH "/soc/interrupt-controller@23b100000"

struct fx {
	struct test_logcap cap;
	struct copro_dt *dt;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx || test_logcap_init(&fx->cap))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	copro_dt_close(fx->dt);
	test_logcap_destroy(&fx->cap);
	free(fx);
	return 0;
}

static void expect_log(struct fx *fx, const char *text)
{
	test_logcap_expect(&fx->cap, text);
}

static size_t errors(struct fx *fx)
{
	return test_logcap_count(&fx->cap, "err: ");
}

/* ---- building blobs ---- */

/* The root, /memory, and /soc (an identity bus) with an AIC in it. */
static struct test_dtb *board_begin(void)
{
	struct test_dtb *t = test_dtb_new();

	test_dtb_begin(t, "");
	test_dtb_u32(t, "#address-cells", 2);
	test_dtb_u32(t, "#size-cells", 2);
	test_dtb_memory(t, 0x800000000, 0x10000000);
	test_dtb_begin(t, "soc");
	test_dtb_u32(t, "#address-cells", 2);
	test_dtb_u32(t, "#size-cells", 2);
	test_dtb_empty(t, "ranges");
	test_dtb_begin(t, "interrupt-controller@23b100000");
	TEST_DTB_STRS(t, "compatible", "apple,t8103-aic\0apple,aic");
	test_dtb_u32(t, "#interrupt-cells", 3);
	test_dtb_empty(t, "interrupt-controller");
	test_dtb_reg(t, 0x23b100000, 0x8000);
	test_dtb_phandle(t, AIC_PH);
	test_dtb_end(t);
	return t;
}

/* Closes /soc and the root and opens the result as board "test". */
static int board_open(struct fx *fx, struct test_dtb *t)
{
	test_dtb_end(t);
	test_dtb_end(t);
	return test_dtb_open(t, "test", test_logcap_log(&fx->cap), &fx->dt);
}

static int path(struct fx *fx, const char *p)
{
	int n = copro_dt_path(fx->dt, p);

	assert_true(n >= 0);
	return n;
}

/* ---- the built-in board ---- */

static void test_t8103_validates(void **state)
{
	struct fx *fx = *state;
	const char *const *names = copro_board_names();
	bool found = false;

	for (size_t i = 0; names[i]; i++)
		found |= !strcmp(names[i], "t8103");
	assert_true(found);
	assert_ptr_equal(copro_board_names(), names);

	assert_int_equal(copro_board_dt_open("t8103", test_logcap_log(&fx->cap),
					     &fx->dt), 0);
	assert_string_equal(copro_dt_name(fx->dt), "t8103");
	assert_int_equal(copro_dt_validate(fx->dt), 0);
	assert_int_equal(errors(fx), 0);
	assert_true(copro_dt_is_compatible(fx->dt, 0, "apple,t8103"));
}

static void test_default_board(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(copro_board_dt_open(NULL, test_logcap_log(&fx->cap),
					     &fx->dt), 0);
	assert_string_equal(copro_dt_name(fx->dt), COPRO_BOARD_DEFAULT);
}

static void test_t8103_ans_mailbox(void **state)
{
	struct fx *fx = *state;
	struct copro_dt_ref ref;
	char buf[128];
	uint64_t addr, size;
	unsigned line;
	int mbox;

	assert_int_equal(copro_board_dt_open("t8103", test_logcap_log(&fx->cap),
					     &fx->dt), 0);
	mbox = copro_dt_next_compatible(fx->dt, -1, "apple,asc-mailbox-v4");
	assert_true(mbox >= 0);
	assert_int_equal(copro_dt_next_compatible(fx->dt, mbox,
						  "apple,asc-mailbox-v4"),
			 -ENOENT);
	assert_string_equal(copro_dt_node_path(fx->dt, mbox, buf, sizeof(buf)),
			    "/soc/mbox@277408000");
	assert_string_equal(copro_dt_node_name(fx->dt, mbox), "mbox@277408000");

	assert_int_equal(copro_dt_reg(fx->dt, mbox, 0, &addr, &size), 0);
	assert_int_equal(addr, 0x277408000);
	assert_int_equal(size, 0x4000);

	assert_int_equal(copro_dt_irq(fx->dt, mbox, 0, &line), 0);
	assert_int_equal(line, 583);
	assert_int_equal(copro_dt_irq_by_name(fx->dt, mbox, "recv-not-empty",
					      &line), 0);
	assert_int_equal(line, 586);

	/* Power domain and reset provider, with a real `ranges` on the way. */
	assert_int_equal(copro_dt_ref(fx->dt, mbox, "power-domains",
				      "#power-domain-cells", 0, &ref), 0);
	assert_int_equal(ref.nargs, 0);
	assert_string_equal(copro_dt_node_path(fx->dt, ref.node, buf,
					       sizeof(buf)),
			    "/soc/power-management@23b700000/power-controller@3f0");
	assert_true(copro_dt_is_compatible(fx->dt, ref.node,
					   "apple,pmgr-pwrstate"));
	assert_true(copro_dt_has(fx->dt, ref.node, "#reset-cells"));
	assert_int_equal(copro_dt_reg(fx->dt, ref.node, 0, &addr, &size), 0);
	assert_int_equal(addr, 0x23b7003f0);
	assert_int_equal(size, 4);

	/* DRAM, and the ASC CPU control block's range left free. */
	assert_int_equal(copro_dt_reg(fx->dt, path(fx, "/memory"), 0, &addr,
				      &size), 0);
	assert_int_equal(addr, 0x800000000);
	assert_int_equal(size, 0x200000000);
	assert_int_equal(errors(fx), 0);
}

/* ---- opening ---- */

static void test_open_garbage(void **state)
{
	struct fx *fx = *state;
	unsigned char junk[256];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	assert_int_equal(copro_dt_open(junk, sizeof(junk), "junk",
				       test_logcap_log(&fx->cap), &fx->dt),
			 -COPRO_EDT);
	assert_null(fx->dt);
	expect_log(fx, "err: junk: not a devicetree blob");

	assert_int_equal(copro_dt_open(junk, 10, "short",
				       test_logcap_log(&fx->cap), &fx->dt),
			 -COPRO_EDT);
	expect_log(fx, "err: short: 10 bytes is too short");
}

static void test_open_truncated_and_corrupt(void **state)
{
	struct fx *fx = *state;
	struct test_dtb *t;
	char *copy, *blob;
	size_t size;

	t = board_begin();
	test_dtb_end(t);
	test_dtb_end(t);
	blob = test_dtb_finish(t, &size);

	assert_int_equal(copro_dt_open(blob, size - 8, "cut",
				       test_logcap_log(&fx->cap), &fx->dt),
			 -COPRO_EDT);
	expect_log(fx, "err: cut: devicetree header claims");
	expect_log(fx, "truncated");

	/* A node name's terminator lost inside the structure block. */
	copy = malloc(size);
	assert_non_null(copy);
	memcpy(copy, blob, size);
	for (size_t i = fdt_off_dt_struct(copy);
	     i < fdt_off_dt_struct(copy) + fdt_size_dt_struct(copy); i++)
		copy[i] = (char)0xa5;
	assert_int_equal(copro_dt_open(copy, size, "corrupt",
				       test_logcap_log(&fx->cap), &fx->dt),
			 -COPRO_EDT);
	expect_log(fx, "err: corrupt: malformed devicetree blob");

	/* Pre-2007 layouts are refused before libfdt walks them. */
	memcpy(copy, blob, size);
	fdt_set_version(copy, 16);
	assert_int_equal(copro_dt_open(copy, size, "old",
				       test_logcap_log(&fx->cap), &fx->dt),
			 -COPRO_EDT);
	expect_log(fx, "err: old: devicetree blob version 16 (compatible with 16) is not supported (need 17)");
	free(copy);
	free(blob);
}

static void test_open_board_unknown_and_file(void **state)
{
	struct fx *fx = *state;
	const struct copro_dt *builtin;
	struct copro_dt *dt;
	char tmpl[] = "/tmp/copro-test-dt-XXXXXX";
	char file[64];
	FILE *f;
	int fd;

	assert_int_equal(copro_board_dt_open("no-such-board",
					     test_logcap_log(&fx->cap), &fx->dt),
			 -ENOENT);
	/* The list grows with boards/; it names every built-in one. */
	expect_log(fx, "err: no-such-board: not a built-in board (gunyah, ");
	expect_log(fx, "scmi-mbox, scmi-smc, t6000, t8015, t8103)");

	assert_int_equal(copro_dt_open_file("/nonexistent/x.dtb",
					    test_logcap_log(&fx->cap), &fx->dt),
			 -ENOENT);
	expect_log(fx, "err: /nonexistent/x.dtb: cannot read devicetree blob");

	/* The built-in blob, written to a file and opened by path. */
	assert_int_equal(copro_board_dt_open("t8103", NULL, &dt), 0);
	builtin = dt;
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	close(fd);
	snprintf(file, sizeof(file), "%s", tmpl);
	f = fopen(file, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(copro_dt_blob(builtin), 1,
				fdt_totalsize(copro_dt_blob(builtin)), f),
			 fdt_totalsize(copro_dt_blob(builtin)));
	fclose(f);
	copro_dt_close(dt);

	assert_int_equal(copro_board_dt_open(file, test_logcap_log(&fx->cap),
					     &fx->dt), 0);
	assert_string_equal(copro_dt_name(fx->dt), file);
	assert_int_equal(copro_dt_validate(fx->dt), 0);
	unlink(file);
}

static void test_open_unaligned_copy(void **state)
{
	struct fx *fx = *state;
	struct copro_dt *dt;
	size_t size;
	char *buf;

	assert_int_equal(copro_board_dt_open("t8103", NULL, &dt), 0);
	size = fdt_totalsize(copro_dt_blob(dt));
	buf = malloc(size + 1);
	assert_non_null(buf);
	memcpy(buf + 1, copro_dt_blob(dt), size);
	copro_dt_close(dt);
	/* The caller's buffer is copied, so it may be odd and go away. */
	assert_int_equal(copro_dt_open(buf + 1, size, "odd",
				       test_logcap_log(&fx->cap), &fx->dt), 0);
	free(buf);
	assert_int_equal(copro_dt_validate(fx->dt), 0);
}

/* ---- properties ---- */

static void test_properties(void **state)
{
	struct fx *fx = *state;
	const char *s;
	uint64_t v64;
	uint32_t v;
	struct test_dtb *t;
	int n;

	t = board_begin();
	test_dtb_begin(t, "thing@0");
	test_dtb_cells(t, "one", 1, 7);
	test_dtb_cells(t, "two", 2, 0x1, 0x2);
	test_dtb_cells(t, "three", 3, 1, 2, 3);
	test_dtb_str(t, "label", "hello");
	TEST_DTB_STRS(t, "names", "a\0bb\0ccc");
	test_dtb_prop(t, "unterminated", "xyz", 3);
	test_dtb_str(t, "status", "disabled");
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);
	n = path(fx, "/soc/thing@0");

	assert_int_equal(copro_dt_u32(fx->dt, n, "one", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(copro_dt_u64(fx->dt, n, "two", &v64), 0);
	assert_int_equal(v64, 0x100000002);
	assert_int_equal(copro_dt_u64(fx->dt, n, "one", &v64), 0);
	assert_int_equal(v64, 7);
	assert_int_equal(copro_dt_string(fx->dt, n, "label", &s), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(copro_dt_string_index(fx->dt, n, "names", "ccc"), 2);
	assert_int_equal(errors(fx), 0);

	assert_int_equal(copro_dt_u32(fx->dt, n, "two", &v), -COPRO_EDT);
	expect_log(fx, "err: test: /soc/thing@0: property 'two' has 8 bytes, expected 4");
	assert_int_equal(copro_dt_u32(fx->dt, n, "absent", &v), -ENOENT);
	expect_log(fx, "err: test: /soc/thing@0: missing property 'absent'");
	assert_int_equal(copro_dt_u64(fx->dt, n, "three", &v64), -COPRO_EDT);
	expect_log(fx, "property 'three' has 12 bytes");
	assert_int_equal(copro_dt_string(fx->dt, n, "unterminated", &s),
			 -COPRO_EDT);
	expect_log(fx, "/soc/thing@0: property 'unterminated' (3 bytes) is not a NUL-terminated string");
	assert_int_equal(copro_dt_string_index(fx->dt, n, "names", "dd"),
			 -ENOENT);
	expect_log(fx, "/soc/thing@0: property 'names' has no entry 'dd' (it has 'a', 'bb', 'ccc')");
	assert_false(copro_dt_has(fx->dt, n, "absent"));
	assert_true(copro_dt_has(fx->dt, n, "one"));

	/* One error per failed lookup. */
	assert_int_equal(errors(fx), 5);

	/* Status. */
	assert_false(copro_dt_enabled(fx->dt, n));
	assert_true(copro_dt_enabled(fx->dt, path(fx, AIC_PATH)));
	assert_int_equal(copro_dt_path(fx->dt, "/soc/nothing"), -ENOENT);
	expect_log(fx, "err: test: no node at path '/soc/nothing'");
	assert_int_equal(copro_dt_by_phandle(fx->dt, AIC_PH),
			 path(fx, AIC_PATH));
	assert_int_equal(copro_dt_by_phandle(fx->dt, 99), -ENOENT);
	expect_log(fx, "no node has phandle 0x63");
}

static void test_status_and_compatible(void **state)
{
	struct fx *fx = *state;
	struct test_dtb *t;
	int a, c;

	t = board_begin();
	test_dtb_begin(t, "a");
	test_dtb_str(t, "compatible", "x,dev");
	test_dtb_str(t, "status", "ok");
	test_dtb_end(t);
	test_dtb_begin(t, "b");
	test_dtb_str(t, "compatible", "x,dev");
	test_dtb_str(t, "status", "disabled");
	test_dtb_end(t);
	test_dtb_begin(t, "c");
	TEST_DTB_STRS(t, "compatible", "x,other\0x,dev");
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);

	a = copro_dt_next_compatible(fx->dt, -1, "x,dev");
	assert_int_equal(a, path(fx, "/soc/a"));
	c = copro_dt_next_compatible(fx->dt, a, "x,dev");
	assert_int_equal(c, path(fx, "/soc/c")); /* b is disabled */
	assert_int_equal(copro_dt_next_compatible(fx->dt, c, "x,dev"), -ENOENT);
	assert_true(copro_dt_is_compatible(fx->dt, c, "x,other"));
	assert_false(copro_dt_is_compatible(fx->dt, a, "x,other"));
	assert_int_equal(errors(fx), 0);
}

/* ---- reg ---- */

static void test_reg_missing_and_bad_length(void **state)
{
	struct fx *fx = *state;
	uint64_t addr, size;
	struct test_dtb *t;

	t = board_begin();
	test_dtb_begin(t, "noreg");
	test_dtb_end(t);
	test_dtb_begin(t, "short@0");
	test_dtb_cells(t, "reg", 3, 0, 0x1000, 0);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);

	assert_int_equal(copro_dt_reg(fx->dt, path(fx, "/soc/noreg"), 0, &addr,
				      &size), -ENOENT);
	expect_log(fx, "err: test: /soc/noreg: missing property 'reg'");
	assert_int_equal(copro_dt_reg(fx->dt, path(fx, "/soc/short@0"), 0,
				      &addr, &size), -COPRO_EDT);
	expect_log(fx, "err: test: /soc/short@0: property 'reg' has 12 bytes, expected a multiple of 16 (#address-cells = 2, #size-cells = 2 of /soc)");
	assert_int_equal(copro_dt_reg(fx->dt, path(fx, AIC_PATH), 1, &addr,
				      &size), -ENOENT);
	expect_log(fx, AIC_PATH ": property 'reg' has 1 entries, no entry 1");
	assert_int_equal(errors(fx), 3);

	assert_int_equal(copro_dt_validate(fx->dt), -COPRO_EDT);
	expect_log(fx, "/soc/short@0: property 'reg' has 12 bytes");
}

static void test_reg_names(void **state)
{
	struct fx *fx = *state;
	uint64_t addr, size;
	struct test_dtb *t;
	int n;

	t = board_begin();
	test_dtb_begin(t, "nvme@27bcc0000");
	test_dtb_cells(t, "reg", 8, 0x2, 0x7bcc0000, 0x0, 0x40000, 0x2, 0x77400000,
	      0x0, 0x4000);
	TEST_DTB_STRS(t, "reg-names", "nvme\0ans");
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);
	n = path(fx, "/soc/nvme@27bcc0000");

	assert_int_equal(copro_dt_reg_by_name(fx->dt, n, "ans", &addr, &size),
			 0);
	assert_int_equal(addr, 0x277400000);
	assert_int_equal(size, 0x4000);
	assert_int_equal(copro_dt_reg_by_name(fx->dt, n, "nvme", &addr, &size),
			 0);
	assert_int_equal(addr, 0x27bcc0000);
	assert_int_equal(copro_dt_reg_by_name(fx->dt, n, "sart", &addr, &size),
			 -ENOENT);
	expect_log(fx, "/soc/nvme@27bcc0000: property 'reg-names' has no entry 'sart' (it has 'nvme', 'ans')");
	assert_int_equal(copro_dt_reg_by_name(fx->dt, path(fx, AIC_PATH), "x",
					      &addr, &size), -ENOENT);
	expect_log(fx, AIC_PATH ": missing property 'reg-names'");
	assert_int_equal(errors(fx), 2);
}

static void test_reg_translation(void **state)
{
	struct fx *fx = *state;
	uint64_t addr, size;
	struct test_dtb *t;

	t = board_begin();
	/* A 1/1-cell bus mapping child 0x0.. to 0x23b700000. */
	test_dtb_begin(t, "pmgr@23b700000");
	test_dtb_cells(t, "#address-cells", 1, 1);
	test_dtb_cells(t, "#size-cells", 1, 1);
	test_dtb_reg(t, 0x23b700000, 0x14000);
	test_dtb_cells(t, "ranges", 8, 0x0, 0x2, 0x3b700000, 0x10000,
	      0x20000, 0x2, 0x50000000, 0x1000);
	test_dtb_begin(t, "ps@3f0");
	test_dtb_cells(t, "reg", 2, 0x3f0, 4);
	test_dtb_end(t);
	test_dtb_begin(t, "far@20010");
	test_dtb_cells(t, "reg", 2, 0x20010, 0x10);
	test_dtb_end(t);
	test_dtb_begin(t, "outside@18000");
	test_dtb_cells(t, "reg", 2, 0x18000, 4);
	test_dtb_end(t);
	test_dtb_begin(t, "straddle@fff0");
	test_dtb_cells(t, "reg", 2, 0xfff0, 0x20);
	test_dtb_end(t);
	test_dtb_end(t);
	/* No ranges: its children's addresses mean nothing to the CPU. */
	test_dtb_begin(t, "i2c@0");
	test_dtb_cells(t, "#address-cells", 1, 1);
	test_dtb_cells(t, "#size-cells", 1, 0);
	test_dtb_reg(t, 0x235010000, 0x4000);
	test_dtb_begin(t, "codec@31");
	test_dtb_cells(t, "reg", 1, 0x31);
	test_dtb_end(t);
	test_dtb_end(t);
	/* No #address-cells/#size-cells: the defaults, 2 and 1. */
	test_dtb_begin(t, "defaults");
	test_dtb_empty(t, "ranges");
	test_dtb_begin(t, "x@1");
	test_dtb_cells(t, "reg", 3, 0x1, 0x0, 0x100);
	test_dtb_end(t);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);

	assert_int_equal(copro_dt_reg(fx->dt,
				      path(fx, "/soc/pmgr@23b700000/ps@3f0"), 0,
				      &addr, &size), 0);
	assert_int_equal(addr, 0x23b7003f0);
	assert_int_equal(size, 4);
	assert_int_equal(copro_dt_reg(fx->dt,
				      path(fx, "/soc/pmgr@23b700000/far@20010"),
				      0, &addr, &size), 0);
	assert_int_equal(addr, 0x250000010);
	assert_int_equal(copro_dt_reg(fx->dt, path(fx, "/soc/defaults/x@1"), 0,
				      &addr, &size), 0);
	assert_int_equal(addr, 0x100000000);
	assert_int_equal(size, 0x100);
	assert_int_equal(errors(fx), 0);

	assert_int_equal(copro_dt_reg(fx->dt,
				      path(fx, "/soc/pmgr@23b700000/outside@18000"),
				      0, &addr, &size), -COPRO_EDT);
	expect_log(fx, "err: test: /soc/pmgr@23b700000/outside@18000: reg [0x18000, +0x4) lies outside every 'ranges' entry of /soc/pmgr@23b700000");
	assert_int_equal(copro_dt_reg(fx->dt,
				      path(fx, "/soc/pmgr@23b700000/straddle@fff0"),
				      0, &addr, &size), -COPRO_EDT);
	expect_log(fx, "straddle@fff0: reg [0xfff0, +0x20) lies outside");
	assert_int_equal(copro_dt_reg(fx->dt, path(fx, "/soc/i2c@0/codec@31"), 0,
				      &addr, &size), -COPRO_EDT);
	expect_log(fx, "err: test: /soc/i2c@0/codec@31: reg [0x31, +0x0) cannot be translated: /soc/i2c@0 has no 'ranges'");
	assert_int_equal(errors(fx), 3);
}

static void test_overlapping_reg(void **state)
{
	struct fx *fx = *state;
	struct test_dtb *t;

	t = board_begin();
	test_dtb_begin(t, "mbox@277408000");
	test_dtb_reg(t, 0x277408000, 0x4000);
	test_dtb_end(t);
	test_dtb_begin(t, "intruder@27740a000");
	test_dtb_reg(t, 0x27740a000, 0x1000);
	test_dtb_end(t);
	/* Disabled nodes may overlap: they are not instantiated. */
	test_dtb_begin(t, "ghost@277408000");
	test_dtb_reg(t, 0x277408000, 0x4000);
	test_dtb_str(t, "status", "disabled");
	test_dtb_end(t);
	/* Adjacent is not overlapping. */
	test_dtb_begin(t, "next@27740c000");
	test_dtb_reg(t, 0x27740c000, 0x4000);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);

	assert_int_equal(copro_dt_validate(fx->dt), -COPRO_EDT);
	expect_log(fx, "err: test: /soc/intruder@27740a000: reg 0 [0x27740a000, 0x27740b000) overlaps reg 0 [0x277408000, 0x27740c000) of /soc/mbox@277408000");
	assert_int_equal(errors(fx), 1);
}

static void test_child_window_is_not_overlap(void **state)
{
	struct fx *fx = *state;
	struct test_dtb *t;

	t = board_begin();
	test_dtb_begin(t, "pmgr@23b700000");
	test_dtb_cells(t, "#address-cells", 1, 1);
	test_dtb_cells(t, "#size-cells", 1, 1);
	test_dtb_reg(t, 0x23b700000, 0x14000);
	test_dtb_cells(t, "ranges", 4, 0x0, 0x2, 0x3b700000, 0x14000);
	test_dtb_begin(t, "ps@3f0");
	test_dtb_cells(t, "reg", 2, 0x3f0, 4);
	test_dtb_end(t);
	test_dtb_begin(t, "ps@3f8");
	test_dtb_cells(t, "reg", 2, 0x3f8, 4);
	test_dtb_end(t);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);
	assert_int_equal(copro_dt_validate(fx->dt), 0);
	assert_int_equal(errors(fx), 0);
}

/* ---- interrupts ---- */

static void test_irq_wrong_cells(void **state)
{
	struct fx *fx = *state;
	unsigned line;
	struct test_dtb *t;

	t = board_begin();
	test_dtb_begin(t, "mbox@277408000");
	test_dtb_reg(t, 0x277408000, 0x4000);
	test_dtb_cells(t, "interrupt-parent", 1, AIC_PH);
	test_dtb_cells(t, "interrupts", 2, 0, 583);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);

	assert_int_equal(copro_dt_irq(fx->dt, path(fx, "/soc/mbox@277408000"),
				      0, &line), -COPRO_EDT);
	expect_log(fx, "err: test: /soc/mbox@277408000: property 'interrupts' has 8 bytes, expected a multiple of 12 (#interrupt-cells = 3 of /soc/interrupt-controller@23b100000)");
	assert_int_equal(errors(fx), 1);
	assert_int_equal(copro_dt_validate(fx->dt), -COPRO_EDT);
}

static void test_irq_by_name_and_parents(void **state)
{
	struct fx *fx = *state;
	unsigned line;
	struct test_dtb *t;
	int n;

	t = board_begin();
	/* A one-cell controller: the line is cell 0. */
	test_dtb_begin(t, "gpio@0");
	test_dtb_cells(t, "#interrupt-cells", 1, 1);
	test_dtb_empty(t, "interrupt-controller");
	test_dtb_cells(t, "phandle", 1, 2);
	test_dtb_end(t);
	/* A bus naming the AIC for its children. */
	test_dtb_begin(t, "bus");
	test_dtb_cells(t, "interrupt-parent", 1, AIC_PH);
	test_dtb_empty(t, "ranges");
	test_dtb_begin(t, "dev@0");
	test_dtb_cells(t, "interrupts", 6, 0, 583, 4, 0, 584, 4);
	TEST_DTB_STRS(t, "interrupt-names", "tx\0rx");
	test_dtb_end(t);
	test_dtb_begin(t, "other@0");
	test_dtb_cells(t, "interrupt-parent", 1, 2);
	test_dtb_cells(t, "interrupts", 2, 17, 18);
	test_dtb_end(t);
	test_dtb_end(t);
	test_dtb_begin(t, "orphan");
	test_dtb_cells(t, "interrupts", 3, 0, 1, 4);
	test_dtb_end(t);
	test_dtb_begin(t, "badparent");
	test_dtb_cells(t, "interrupt-parent", 1, 0x42);
	test_dtb_cells(t, "interrupts", 3, 0, 1, 4);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);

	n = path(fx, "/soc/bus/dev@0");
	assert_int_equal(copro_dt_irq_by_name(fx->dt, n, "rx", &line), 0);
	assert_int_equal(line, 584);
	assert_int_equal(copro_dt_irq(fx->dt, n, 0, &line), 0);
	assert_int_equal(line, 583);
	assert_int_equal(copro_dt_irq(fx->dt, path(fx, "/soc/bus/other@0"), 1,
				      &line), 0);
	assert_int_equal(line, 18);
	assert_int_equal(errors(fx), 0);

	assert_int_equal(copro_dt_irq_by_name(fx->dt, n, "err", &line), -ENOENT);
	expect_log(fx, "/soc/bus/dev@0: property 'interrupt-names' has no entry 'err' (it has 'tx', 'rx')");
	assert_int_equal(copro_dt_irq(fx->dt, n, 2, &line), -ENOENT);
	expect_log(fx, "/soc/bus/dev@0: property 'interrupts' has 2 entries, no entry 2");
	assert_int_equal(copro_dt_irq(fx->dt, path(fx, "/soc/orphan"), 0, &line),
			 -COPRO_EDT);
	expect_log(fx, "/soc/orphan: has interrupts but no interrupt parent");
	assert_int_equal(copro_dt_irq(fx->dt, path(fx, "/soc/badparent"), 0,
				      &line), -COPRO_EDT);
	expect_log(fx, "/soc/badparent: property 'interrupt-parent' = <0x42> does not name a node");
	assert_int_equal(errors(fx), 4);

	test_logcap_clear(&fx->cap);
	assert_int_equal(copro_dt_validate(fx->dt), -COPRO_EDT);
	expect_log(fx, "/soc/badparent: property 'interrupt-parent' = <0x42> does not name a node");
	expect_log(fx, "/soc/orphan: has interrupts but no interrupt parent");
}

static void test_irq_gic(void **state)
{
	struct fx *fx = *state;
	unsigned line;
	struct test_dtb *t;
	int dev;

	t = board_begin();
	test_dtb_begin(t, "gic@2f000000");
	TEST_DTB_STRS(t, "compatible", "arm,gic-v3");
	test_dtb_cells(t, "#interrupt-cells", 1, 3);
	test_dtb_empty(t, "interrupt-controller");
	test_dtb_cells(t, "phandle", 1, 7);
	test_dtb_end(t);
	test_dtb_begin(t, "dev@0");
	test_dtb_cells(t, "interrupt-parent", 1, 7);
	/* An SPI, a PPI, and type 2, which a GIC does not have. */
	test_dtb_cells(t, "interrupts", 9, 0, 40, 4, 1, 9, 4, 2, 1, 4);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);
	dev = path(fx, "/soc/dev@0");
	assert_int_equal(copro_dt_irq(fx->dt, dev, 0, &line), 0);
	assert_int_equal(line, 32 + 40);
	assert_int_equal(copro_dt_irq(fx->dt, dev, 1, &line), 0);
	assert_int_equal(line, 16 + 9);
	assert_int_equal(copro_dt_irq(fx->dt, dev, 2, &line), -COPRO_EDT);
	expect_log(fx, "interrupts entry 2: GIC type 2 number 1 is not an SPI or PPI");
}

/* Under #size-cells = <0> a reg is an id (an SCMI protocol), not an address. */
static void test_reg_as_id(void **state)
{
	struct fx *fx = *state;
	struct test_dtb *t;
	int scmi, child;

	t = board_begin();
	test_dtb_begin(t, "scmi");
	test_dtb_cells(t, "#address-cells", 1, 1);
	test_dtb_cells(t, "#size-cells", 1, 0);
	test_dtb_begin(t, "protocol@14");
	test_dtb_cells(t, "reg", 1, 0x14);
	test_dtb_end(t);
	test_dtb_begin(t, "protocol@15");
	test_dtb_cells(t, "reg", 1, 0x15);
	test_dtb_end(t);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);
	assert_int_equal(copro_dt_validate(fx->dt), 0);
	assert_int_equal(errors(fx), 0);
	/* Walking the children. */
	scmi = path(fx, "/soc/scmi");
	child = copro_dt_first_child(fx->dt, scmi);
	assert_string_equal(copro_dt_node_name(fx->dt, child), "protocol@14");
	child = copro_dt_next_child(fx->dt, child);
	assert_string_equal(copro_dt_node_name(fx->dt, child), "protocol@15");
	assert_int_equal(copro_dt_next_child(fx->dt, child), -ENOENT);
	assert_int_equal(copro_dt_first_child(fx->dt, child), -ENOENT);
}

static void test_irq_aic_needs_three_cells(void **state)
{
	struct fx *fx = *state;
	unsigned line;
	struct test_dtb *t;

	t = board_begin();
	test_dtb_begin(t, "aic2");
	test_dtb_str(t, "compatible", "apple,aic");
	test_dtb_cells(t, "#interrupt-cells", 1, 2);
	test_dtb_cells(t, "phandle", 1, 5);
	test_dtb_end(t);
	test_dtb_begin(t, "dev");
	test_dtb_cells(t, "interrupt-parent", 1, 5);
	test_dtb_cells(t, "interrupts", 2, 0, 7);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);
	assert_int_equal(copro_dt_irq(fx->dt, path(fx, "/soc/dev"), 0, &line),
			 -COPRO_EDT);
	expect_log(fx, "/soc/aic2: #interrupt-cells = 2, but an apple,aic has 3");
}

/* ---- references ---- */

static void test_refs_with_args(void **state)
{
	struct fx *fx = *state;
	struct copro_dt_ref ref;
	struct test_dtb *t;
	int n;

	t = board_begin();
	test_dtb_begin(t, "ctrl-a");
	test_dtb_cells(t, "#mbox-cells", 1, 2);
	test_dtb_cells(t, "phandle", 1, 10);
	test_dtb_end(t);
	test_dtb_begin(t, "ctrl-b");
	test_dtb_cells(t, "#mbox-cells", 1, 0);
	test_dtb_cells(t, "phandle", 1, 11);
	test_dtb_end(t);
	test_dtb_begin(t, "sart");
	test_dtb_cells(t, "phandle", 1, 12);
	test_dtb_end(t);
	test_dtb_begin(t, "client");
	test_dtb_cells(t, "mboxes", 5, 10, 1, 2, 11, 10);
	test_dtb_cells(t, "apple,sart", 1, 12);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);
	n = path(fx, "/soc/client");

	/* Entry 2 of <&a 1 2>, <&b>, <&a ...> lacks its two cells. */
	assert_int_equal(copro_dt_ref(fx->dt, n, "mboxes", "#mbox-cells", 0,
				      &ref), 0);
	assert_int_equal(ref.node, path(fx, "/soc/ctrl-a"));
	assert_int_equal(ref.nargs, 2);
	assert_int_equal(ref.args[0], 1);
	assert_int_equal(ref.args[1], 2);
	assert_int_equal(copro_dt_ref(fx->dt, n, "mboxes", "#mbox-cells", 1,
				      &ref), 0);
	assert_int_equal(ref.node, path(fx, "/soc/ctrl-b"));
	assert_int_equal(ref.nargs, 0);
	assert_int_equal(copro_dt_ref(fx->dt, n, "apple,sart", NULL, 0, &ref), 0);
	assert_int_equal(ref.node, path(fx, "/soc/sart"));
	assert_int_equal(ref.nargs, 0);
	assert_int_equal(copro_dt_ref_count(fx->dt, n, "apple,sart", NULL), 1);
	assert_int_equal(copro_dt_ref_count(fx->dt, n, "resets",
					    "#reset-cells"), 0);
	assert_int_equal(errors(fx), 0);

	assert_int_equal(copro_dt_ref(fx->dt, n, "mboxes", "#mbox-cells", 2,
				      &ref), -COPRO_EDT);
	expect_log(fx, "err: test: /soc/client: property 'mboxes' entry 2 needs 2 argument cells (#mbox-cells = 2 of /soc/ctrl-a) but only 0 remain");
	assert_int_equal(copro_dt_ref_count(fx->dt, n, "mboxes", "#mbox-cells"),
			 -COPRO_EDT);
	assert_int_equal(copro_dt_ref(fx->dt, n, "resets", "#reset-cells", 0,
				      &ref), -ENOENT);
	expect_log(fx, "/soc/client: missing property 'resets'");
	/* The SART has no #mbox-cells: it is not a mailbox. */
	assert_int_equal(copro_dt_ref(fx->dt, n, "apple,sart", "#mbox-cells", 0,
				      &ref), -COPRO_EDT);
	expect_log(fx, "/soc/client: property 'apple,sart' entry 0 refers to /soc/sart, which has no '#mbox-cells'");
	assert_int_equal(copro_dt_ref(fx->dt, n, "apple,sart", NULL, 1, &ref),
			 -ENOENT);
	expect_log(fx, "property 'apple,sart' has 1 entries, no entry 1");
}

static void test_bad_phandle_in_mboxes(void **state)
{
	struct fx *fx = *state;
	struct copro_dt_ref ref;
	struct test_dtb *t;

	t = board_begin();
	test_dtb_begin(t, "client");
	test_dtb_cells(t, "mboxes", 1, 0x63);
	test_dtb_end(t);
	test_dtb_begin(t, "client2");
	test_dtb_cells(t, "power-domains", 1, AIC_PH); /* no #power-domain-cells */
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);

	assert_int_equal(copro_dt_ref(fx->dt, path(fx, "/soc/client"), "mboxes",
				      "#mbox-cells", 0, &ref), -COPRO_EDT);
	expect_log(fx, "err: test: /soc/client: property 'mboxes' entry 0: phandle 0x63 does not name a node");
	assert_int_equal(errors(fx), 1);

	test_logcap_clear(&fx->cap);
	assert_int_equal(copro_dt_validate(fx->dt), -COPRO_EDT);
	expect_log(fx, "/soc/client: property 'mboxes' entry 0: phandle 0x63 does not name a node");
	expect_log(fx, "/soc/client2: property 'power-domains' entry 0 refers to " AIC_PATH ", which has no '#power-domain-cells'");
	assert_int_equal(errors(fx), 2);
}

static void test_duplicate_phandle(void **state)
{
	struct fx *fx = *state;
	struct test_dtb *t;

	t = board_begin();
	test_dtb_begin(t, "twin");
	test_dtb_cells(t, "phandle", 1, AIC_PH);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);
	assert_int_equal(copro_dt_validate(fx->dt), -COPRO_EDT);
	expect_log(fx, "/soc/twin: phandle 0x1 is also used by " AIC_PATH);
}

static void test_bad_cells_values(void **state)
{
	struct fx *fx = *state;
	uint64_t addr, size;
	struct test_dtb *t;

	t = board_begin();
	test_dtb_begin(t, "wide");
	test_dtb_cells(t, "#address-cells", 1, 3);
	test_dtb_empty(t, "ranges");
	test_dtb_begin(t, "x@0");
	test_dtb_cells(t, "reg", 4, 0, 0, 0, 1);
	test_dtb_end(t);
	test_dtb_end(t);
	test_dtb_begin(t, "wrap@0");
	test_dtb_reg(t, 0xfffffffffffff000, 0x2000);
	test_dtb_end(t);
	assert_int_equal(board_open(fx, t), 0);

	assert_int_equal(copro_dt_reg(fx->dt, path(fx, "/soc/wide/x@0"), 0,
				      &addr, &size), -EINVAL);
	expect_log(fx, "/soc/wide: #address-cells = 3 is not supported (1 to 2)");
	assert_int_equal(copro_dt_reg(fx->dt, path(fx, "/soc/wrap@0"), 0, &addr,
				      &size), -EINVAL);
	expect_log(fx, "/soc/wrap@0: reg entry 0 [0xfffffffffffff000, +0x2000) wraps around");
	assert_int_equal(copro_dt_validate(fx->dt), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_t8103_validates),
		T(test_default_board),
		T(test_t8103_ans_mailbox),
		T(test_open_garbage),
		T(test_open_truncated_and_corrupt),
		T(test_open_board_unknown_and_file),
		T(test_open_unaligned_copy),
		T(test_properties),
		T(test_status_and_compatible),
		T(test_reg_missing_and_bad_length),
		T(test_reg_names),
		T(test_reg_translation),
		T(test_overlapping_reg),
		T(test_child_window_is_not_overlap),
		T(test_irq_wrong_cells),
		T(test_irq_by_name_and_parents),
		T(test_irq_aic_needs_three_cells),
		T(test_irq_gic),
		T(test_reg_as_id),
		T(test_refs_with_args),
		T(test_bad_phandle_in_mboxes),
		T(test_duplicate_phandle),
		T(test_bad_cells_values),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
