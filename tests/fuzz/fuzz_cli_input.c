/* SPDX-License-Identifier: MIT */
/*
 * What copro serve reads from users' files and arguments: the image
 * format probe (disk_image_format on a file's first and last bytes) and
 * the size and port parsers. None may read out of bounds or accept a
 * value that does not round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_size.h"
#include "disk_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	char *s = malloc(len + 1);
	uint64_t v;
	uint16_t port;

	if (!copy || !s) {
		free(copy);
		free(s);
		return 0;
	}
	/* Exact-size copies, so ASan sees any read past the end. */
	memcpy(copy, data, len);
	(void)disk_image_format(copy, len, len >= 512 ? copy + len - 512 : NULL,
				len >= 512 ? 512 : 0);
	memcpy(s, data, len);
	s[len] = '\0';
	if (cli_parse_size(s, &v) == 0) {
		char buf[CLI_SIZE_BUF];

		cli_format_size(v, buf, sizeof(buf));
	}
	if (cli_parse_port(s, &port) == 0 && (port == 0))
		abort();
	free(copy);
	free(s);
	return 0;
}
