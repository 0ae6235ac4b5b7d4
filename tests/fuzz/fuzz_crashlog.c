/* SPDX-License-Identifier: MIT */
/*
 * The crashlog decoder against arbitrary bytes: parse must never read
 * outside the input, and every result, even a rejection, must print.
 * Printing goes to /dev/null, opened once, to exercise the formatter
 * without the cost of real output.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "copro/crashlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct copro_crashlog cl;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (copro_crashlog_parse(data, size, &cl) != -EINVAL && devnull)
		copro_crashlog_print(&cl, devnull);
	return 0;
}
