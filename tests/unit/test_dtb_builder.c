/* SPDX-License-Identifier: MIT */
/*
 * The tests' devicetree builder and board editor (tests/common/test_dtb.h):
 * what they write is what the tests built on them think they wrote. Checked through libfdt
 * itself, byte for byte, not through copro's own DT layer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "copro/dt.h"
#include "test_dtb.h"

/* The property's cells, checked for exactly n of them. */
static void expect_cells(const void *blob, const char *path,
			 const char *prop, size_t n, const uint32_t *want)
{
	int node = fdt_path_offset(blob, path), len;
	const fdt32_t *v;

	assert_true(node >= 0);
	v = fdt_getprop(blob, node, prop, &len);
	assert_non_null(v);
	assert_int_equal(len, n * 4);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(fdt32_to_cpu(v[i]), want[i]);
}

static void test_reg_follows_parent_cells(void **state)
{
	struct test_dtb *b = test_dtb_new();
	size_t len;
	void *blob;

	(void)state;
	test_dtb_begin(b, "");
	test_dtb_u32(b, "#address-cells", 2);
	test_dtb_u32(b, "#size-cells", 2);
	test_dtb_begin(b, "wide@123456789");
	test_dtb_reg(b, 0x123456789, 0x1000);
	test_dtb_end(b);
	test_dtb_begin(b, "narrow@800");
	/* Declared here, for the children: not this node's own reg. */
	test_dtb_u32(b, "#address-cells", 1);
	test_dtb_u32(b, "#size-cells", 0);
	test_dtb_reg(b, 0x800, 0x100);
	test_dtb_begin(b, "child@31");
	test_dtb_reg(b, 0x31, 0);
	test_dtb_end(b);
	test_dtb_end(b);
	test_dtb_begin(b, "defaults");
	test_dtb_begin(b, "x@1");
	test_dtb_reg(b, 0x100000001, 0x100);
	test_dtb_end(b);
	test_dtb_end(b);
	test_dtb_end(b);
	blob = test_dtb_finish(b, &len);

	assert_int_equal(fdt_check_full(blob, len), 0);
	expect_cells(blob, "/wide@123456789", "reg", 4,
		     (const uint32_t[]){ 0x1, 0x23456789, 0, 0x1000 });
	expect_cells(blob, "/narrow@800", "reg", 4,
		     (const uint32_t[]){ 0, 0x800, 0, 0x100 });
	expect_cells(blob, "/narrow@800/child@31", "reg", 1,
		     (const uint32_t[]){ 0x31 });
	/* No #address-cells/#size-cells: the defaults, 2 and 1. */
	expect_cells(blob, "/defaults/x@1", "reg", 3,
		     (const uint32_t[]){ 0x1, 0x1, 0x100 });
	free(blob);
}

static void test_properties(void **state)
{
	struct test_dtb *b = test_dtb_new();
	const char *s;
	size_t len;
	void *blob;
	int node, n;

	(void)state;
	test_dtb_begin(b, "");
	test_dtb_begin(b, "dev");
	test_dtb_strings(b, "compatible", "a,b", "c", NULL);
	TEST_DTB_STRS(b, "names", "x\0yy");
	test_dtb_str(b, "label", "hello");
	test_dtb_empty(b, "flag");
	test_dtb_phandle(b, 7);
	test_dtb_aic_irqs(b, 2, 583, 586);
	test_dtb_cells(b, "three", 3, 1, 2, 3);
	test_dtb_prop(b, "raw", "xyz", 3);
	test_dtb_end(b);
	test_dtb_memory(b, 0x800000000, 0x10000000);
	test_dtb_end(b);
	blob = test_dtb_finish(b, &len);
	assert_int_equal(fdt_check_full(blob, len), 0);

	node = fdt_path_offset(blob, "/dev");
	assert_true(node >= 0);
	s = fdt_getprop(blob, node, "compatible", &n);
	assert_int_equal(n, sizeof("a,b\0c"));
	assert_memory_equal(s, "a,b\0c", n);
	s = fdt_getprop(blob, node, "names", &n);
	assert_int_equal(n, sizeof("x\0yy"));
	assert_memory_equal(s, "x\0yy", n);
	assert_string_equal(fdt_getprop(blob, node, "label", NULL), "hello");
	assert_non_null(fdt_getprop(blob, node, "flag", &n));
	assert_int_equal(n, 0);
	assert_int_equal(fdt_get_phandle(blob, node), 7);
	expect_cells(blob, "/dev", "interrupts", 6,
		     (const uint32_t[]){ 0, 583, 4, 0, 586, 4 });
	expect_cells(blob, "/dev", "three", 3, (const uint32_t[]){ 1, 2, 3 });
	s = fdt_getprop(blob, node, "raw", &n);
	assert_int_equal(n, 3);
	assert_memory_equal(s, "xyz", 3);

	node = fdt_path_offset(blob, "/memory@800000000");
	assert_true(node >= 0);
	assert_string_equal(fdt_getprop(blob, node, "device_type", NULL),
			    "memory");
	/* The root declared nothing: 2 address cells, 1 size cell. */
	expect_cells(blob, "/memory@800000000", "reg", 3,
		     (const uint32_t[]){ 0x8, 0, 0x10000000 });
	free(blob);
}

/* Far past the first buffer: the builder grows instead of failing. */
static void test_grows(void **state)
{
	struct test_dtb *b = test_dtb_new();
	struct copro_dt *dt;
	char name[32];

	(void)state;
	test_dtb_begin(b, "");
	for (unsigned i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "node@%x", i);
		test_dtb_begin(b, name);
		test_dtb_str(b, "compatible", "copro,filler-with-a-long-name");
		test_dtb_cells(b, "data", 4, i, i + 1, i + 2, i + 3);
		test_dtb_end(b);
	}
	test_dtb_end(b);
	assert_int_equal(test_dtb_open(b, "big", NULL, &dt), 0);
	assert_true(fdt_totalsize(copro_dt_blob(dt)) > 16384);
	assert_true(copro_dt_path(dt, "/node@1f3") >= 0);
	copro_dt_close(dt);
}

static void test_board_with(void **state)
{
	static const char *const props[] = {
		"apple,model", "a test disk",
		"apple,serial", "SN-1",
		NULL,
	};
	size_t len;
	void *blob = test_dtb_board_with("t8103", "apple,nvme-ans2", props,
					 &len);
	int node;

	(void)state;
	assert_int_equal(fdt_check_full(blob, len), 0);
	node = fdt_node_offset_by_compatible(blob, -1, "apple,nvme-ans2");
	assert_true(node >= 0);
	assert_string_equal(fdt_getprop(blob, node, "apple,model", NULL),
			    "a test disk");
	assert_string_equal(fdt_getprop(blob, node, "apple,serial", NULL),
			    "SN-1");
	/* The rest of the board is untouched. */
	assert_true(fdt_node_offset_by_compatible(blob, -1, "apple,t8103-sart") >= 0);
	free(blob);
}

/* A node added to a built-in board, pointing at one that was there. */
static void test_edit(void **state)
{
	struct test_dtb_edit *e = test_dtb_edit_board("t8103");
	uint32_t ph = test_dtb_edit_phandle(e, "/soc/iommu@27bc50000");
	size_t len;
	void *blob;
	int node;

	(void)state;
	assert_true(ph != 0);
	test_dtb_edit_add(e, "/soc", "client");
	test_dtb_edit_str(e, "/soc/client", "compatible", "copro,test");
	test_dtb_edit_u32(e, "/soc/client", "apple,sart", ph);
	blob = test_dtb_edit_finish(e, &len);

	assert_int_equal(fdt_check_full(blob, len), 0);
	node = fdt_path_offset(blob, "/soc/client");
	assert_true(node >= 0);
	assert_string_equal(fdt_getprop(blob, node, "compatible", NULL),
			    "copro,test");
	expect_cells(blob, "/soc/client", "apple,sart", 1,
		     (const uint32_t[]){ ph });
	assert_int_equal(fdt_node_offset_by_phandle(blob, ph),
			 fdt_path_offset(blob, "/soc/iommu@27bc50000"));
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reg_follows_parent_cells),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_grows),
		cmocka_unit_test(test_board_with),
		cmocka_unit_test(test_edit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
