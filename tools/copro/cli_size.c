/* SPDX-License-Identifier: MIT */
/* Sizes and ports on the command line (see cli_size.h). */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli_size.h"

static const char units[] = "KMGTPE";

/* The power of 1024 a unit letter stands for (1..6), or 0. */
static unsigned unit_shift(char c)
{
	const char *u = c ? strchr(units, toupper((unsigned char)c)) : NULL;

	return u ? (unsigned)(u - units + 1) * 10 : 0;
}

/* Digits in `base`, at least one, without overflow. */
static int parse_number(const char **sp, unsigned base, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;
	bool any = false;

	for (;; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*sp = s;
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned base = 10, shift = 0;
	uint64_t v;
	int rc;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	rc = parse_number(&s, base, &v);
	if (rc)
		return rc;
	if (*s == 'b' || *s == 'B') {
		s++;
	} else if ((shift = unit_shift(*s)) != 0) {
		s++;
		if (s[0] == 'i' && (s[1] == 'B' || s[1] == 'b'))
			s += 2;
	}
	if (*s)
		return -EINVAL;
	if (shift && v > UINT64_MAX >> shift)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int cli_parse_port(const char *s, uint16_t *out)
{
	uint64_t v;

	if (!s || parse_number(&s, 10, &v) || *s || v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

const char *cli_format_size(uint64_t bytes, char *buf, size_t len)
{
	unsigned i = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " byte%s", bytes,
			 bytes == 1 ? "" : "s");
		return buf;
	}
	while (i + 1 < sizeof(units) - 1 && bytes >> (10 * (i + 2)))
		i++;
	unsigned shift = 10 * (i + 1);
	if (!(bytes & ((1ull << shift) - 1)))
		snprintf(buf, len, "%" PRIu64 " %ciB", bytes >> shift, units[i]);
	else
		snprintf(buf, len, "%.1f %ciB",
			 (double)bytes / (double)(1ull << shift), units[i]);
	return buf;
}
