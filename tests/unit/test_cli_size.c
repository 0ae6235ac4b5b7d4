/* SPDX-License-Identifier: MIT */
/* The command line's one size and port parser, and its size printer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli_size.h"

static void size_is(const char *s, uint64_t want)
{
	uint64_t v = 0xdeadbeef;

	if (cli_parse_size(s, &v) != 0)
		fail_msg("'%s' was refused", s);
	if (v != want)
		fail_msg("'%s' parsed as %llu, expected %llu", s,
			 (unsigned long long)v, (unsigned long long)want);
}

static void size_bad(const char *s, int want)
{
	uint64_t v = 12345;

	assert_int_equal(cli_parse_size(s, &v), want);
	assert_int_equal(v, 12345); /* untouched */
}

static void test_sizes_from_the_issue(void **state)
{
	(void)state;
	size_is("4096", 4096);
	size_is("64k", 64 << 10);
	size_is("64K", 64 << 10);
	size_is("1M", 1 << 20);
	size_is("2G", 2ull << 30);
	size_is("1T", 1ull << 40);
	size_is("512KiB", 512 << 10);
	size_is("1GiB", 1ull << 30);
	size_is("0x1000", 4096);
	size_is("0X1000", 4096);
	size_is("0x10M", 16 << 20);
	size_is("4096B", 4096);
	size_is("1e", 1ull << 60);
	size_is("0", 0);
	size_is("18446744073709551615", UINT64_MAX);
	size_is("15E", 15ull << 60);
}

static void test_sizes_refused(void **state)
{
	(void)state;
	size_bad("", -EINVAL);
	size_bad("k", -EINVAL);
	size_bad("-1", -EINVAL);
	size_bad(" 12", -EINVAL);
	size_bad("12 ", -EINVAL);
	size_bad("1.5G", -EINVAL);
	size_bad("12x", -EINVAL);
	size_bad("1MB", -EINVAL);	/* 1000 or 1024? not guessed */
	size_bad("1Mi", -EINVAL);
	size_bad("1iB", -EINVAL);
	size_bad("1KiBB", -EINVAL);
	size_bad("0x", -EINVAL);
	size_bad("0xg", -EINVAL);
	size_bad("1Z", -EINVAL);
	size_bad("18446744073709551616", -ERANGE);
	size_bad("16E", -ERANGE);
	size_bad("0x10000000000000000", -ERANGE);
	assert_int_equal(cli_parse_size(NULL, &(uint64_t){ 0 }), -EINVAL);
}

static void test_ports(void **state)
{
	uint16_t p = 7;

	(void)state;
	assert_int_equal(cli_parse_port("10809", &p), 0);
	assert_int_equal(p, 10809);
	assert_int_equal(cli_parse_port("1", &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(cli_parse_port("65535", &p), 0);
	assert_int_equal(p, 65535);
	p = 7;
	assert_int_equal(cli_parse_port("0", &p), -EINVAL);
	assert_int_equal(cli_parse_port("65536", &p), -EINVAL);
	assert_int_equal(cli_parse_port("70000", &p), -EINVAL);
	assert_int_equal(cli_parse_port("1k", &p), -EINVAL);
	assert_int_equal(cli_parse_port("0x50", &p), -EINVAL);
	assert_int_equal(cli_parse_port("", &p), -EINVAL);
	assert_int_equal(cli_parse_port("-80", &p), -EINVAL);
	assert_int_equal(cli_parse_port("99999999999999999999999", &p), -EINVAL);
	assert_int_equal(p, 7);
}

static void fmt_is(uint64_t bytes, const char *want)
{
	char buf[CLI_SIZE_BUF];

	assert_string_equal(cli_format_size(bytes, buf, sizeof(buf)), want);
}

static void test_format(void **state)
{
	(void)state;
	fmt_is(0, "0 bytes");
	fmt_is(1, "1 byte");
	fmt_is(1000, "1000 bytes");
	fmt_is(4096, "4 KiB");
	fmt_is(1536, "1.5 KiB");
	fmt_is(1 << 20, "1 MiB");
	fmt_is(64ull << 20, "64 MiB");
	fmt_is(1ull << 30, "1 GiB");
	fmt_is(3ull << 29, "1.5 GiB");
	fmt_is(1ull << 40, "1 TiB");
	fmt_is(UINT64_MAX, "16.0 EiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_from_the_issue),
		cmocka_unit_test(test_sizes_refused),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
