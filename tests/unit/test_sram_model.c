/* SPDX-License-Identifier: MIT */
/*
 * The SRAM model's byte copies (what the SCMI platform reads requests
 * with and writes answers with): whole words straight through, partial
 * words at either end keeping the bytes around them, the same bytes seen
 * through MMIO, and nothing outside the SRAM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <copro/driver/platform.h>
#include <copro/error.h>
#include <copro/sim/sram_model.h>

#include "test_dtb.h"
#include "testutil.h"

#define SRAM_BASE 0x10000000u
#define SRAM_SIZE 0x100u

struct fx {
	struct test_logcap cap;
	struct copro_dt *dt;
	struct copro_bus *bus;
	struct copro_platform *p;
	struct copro_sim_sram *sram;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct test_dtb *b = test_dtb_new();

	assert_int_equal(test_logcap_init(&f->cap), 0);
	test_dtb_begin(b, "");
	test_dtb_u32(b, "#address-cells", 2);
	test_dtb_u32(b, "#size-cells", 2);
	test_dtb_begin(b, "sram@10000000");
	test_dtb_str(b, "compatible", "mmio-sram");
	test_dtb_reg(b, SRAM_BASE, SRAM_SIZE);
	test_dtb_end(b);
	test_dtb_end(b);
	assert_int_equal(test_dtb_open(b, "sram", test_logcap_log(&f->cap),
				       &f->dt),
			 0);
	assert_int_equal(test_platform_create(f->dt, test_logcap_log(&f->cap),
					      false, &f->bus, &f->p),
			 0);
	assert_int_equal(copro_sim_sram_create(
				 f->bus,
				 copro_dt_next_compatible(f->dt, -1, "mmio-sram"),
				 &f->sram),
			 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	copro_sim_sram_destroy(f->sram);
	test_platform_destroy(f->bus, f->p);
	copro_dt_close(f->dt);
	test_logcap_destroy(&f->cap);
	free(f);
	return 0;
}

/* Every offset and length near a word: the copy, and nothing else. */
static void test_byte_copies(void **state)
{
	struct fx *f = *state;
	uint8_t shadow[SRAM_SIZE], got[SRAM_SIZE], src[32];

	for (unsigned i = 0; i < SRAM_SIZE; i++)
		shadow[i] = (uint8_t)(0xa5 ^ i);
	assert_int_equal(copro_sim_sram_write(f->sram, 0, shadow, SRAM_SIZE), 0);
	for (unsigned off = 0x40; off < 0x48; off++) {
		for (unsigned len = 0; len <= sizeof(src); len++) {
			for (unsigned i = 0; i < len; i++)
				src[i] = (uint8_t)(off * 31 + len * 7 + i);
			assert_int_equal(copro_sim_sram_write(f->sram, off, src,
							      len),
					 0);
			memcpy(shadow + off, src, len);
			/* The whole SRAM: the bytes around it kept. */
			assert_int_equal(copro_sim_sram_read(f->sram, 0, got,
							     SRAM_SIZE),
					 0);
			assert_memory_equal(got, shadow, SRAM_SIZE);
			/* Read back at the same offset and length. */
			memset(got, 0, sizeof(got));
			assert_int_equal(copro_sim_sram_read(f->sram, off, got,
							     len),
					 0);
			assert_memory_equal(got, src, len);
		}
	}
	/* Words as the other side reads them. */
	for (unsigned w = 0; w < SRAM_SIZE; w += 4) {
		uint32_t v;

		memcpy(&v, shadow + w, 4);
		assert_int_equal(copro_sim_sram_read32(f->sram, w), v);
	}
}

static void test_mmio_view(void **state)
{
	struct fx *f = *state;
	struct copro_mmio *m;
	uint8_t src[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, got[12];

	assert_int_equal(copro_mmio_map(f->p, SRAM_BASE, SRAM_SIZE, &m), 0);
	assert_int_equal(copro_sim_sram_write(f->sram, 0x20, src, sizeof(src)),
			 0);
	assert_int_equal(copro_readq(m, 0x20), 0x0807060504030201ull);
	assert_int_equal(copro_readl(m, 0x28), 0x0c0b0a09u);
	copro_writeq(m, 0x30, 0x8877665544332211ull);
	assert_int_equal(copro_sim_sram_read(f->sram, 0x31, got, 6), 0);
	assert_memory_equal(got, "\x22\x33\x44\x55\x66\x77", 6);
	copro_mmio_unmap(m);
}

static void test_outside(void **state)
{
	struct fx *f = *state;
	uint8_t buf[8] = { 0 };

	assert_int_equal(copro_sim_sram_read(f->sram, SRAM_SIZE - 4, buf, 8),
			 -ERANGE);
	assert_int_equal(copro_sim_sram_write(f->sram, SRAM_SIZE - 3, buf, 4),
			 -ERANGE);
	assert_int_equal(copro_sim_sram_write(f->sram, UINT64_MAX - 1, buf, 4),
			 -ERANGE);
	assert_int_equal(copro_sim_sram_read(f->sram, SRAM_SIZE, buf, 0), 0);
	/* Whole-word reads past the end are refused before any byte. */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(copro_sim_sram_read(f->sram, SRAM_SIZE - 4, buf, 8),
			 -ERANGE);
	assert_int_equal(buf[0], 0xee);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_byte_copies, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mmio_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
