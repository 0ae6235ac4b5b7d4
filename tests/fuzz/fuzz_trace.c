/* SPDX-License-Identifier: MIT */
/*
 * The trace reader against arbitrary bytes: it must refuse or accept
 * without reading outside the input, and everything it accepts must go
 * through the decoders and printers of `copro trace` (text, messages,
 * Chrome trace) to /dev/null.
 *
 * Most mutations break a chunk's checksum, which the reader checks
 * first; so each input is read twice: as it is, and with every
 * well-framed chunk's checksum made right, which lets the fuzzer reach
 * the event parser behind it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "copro/trace.h"
#include "trace/trace_format.h"
#include "trace_print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fix_checksums(unsigned char *d, size_t len)
{
	size_t off = TRF_HEADER_SIZE;

	while (len >= TRF_REC_HDR && off <= len - TRF_REC_HDR) {
		uint32_t type = trf_get32(d + off), rlen = trf_get32(d + off + 4);
		unsigned char *p = d + off + TRF_REC_HDR;

		if (rlen > len - off - TRF_REC_HDR)
			return;
		if (type == TRF_CHUNK && rlen >= TRF_CHUNK_HDR)
			trf_put32(p + 8 + TRF_THREAD_NAME,
				  (uint32_t)crc32(0L, p + TRF_CHUNK_HDR,
						  (uInt)(rlen - TRF_CHUNK_HDR)));
		off += TRF_REC_HDR + rlen;
	}
}

static void read_and_print(const unsigned char *d, size_t len,
			   struct copro_log *log, FILE *devnull)
{
	struct copro_trace_file *f;

	if (copro_trace_parse(d, len, "fuzz", log, &f))
		return;
	const struct copro_trace_info *in = copro_trace_file_info(f);

	trace_print_summary(in, "fuzz", devnull);
	trace_print(in, false, devnull);
	trace_print(in, true, devnull);
	trace_chrome_write(in, "/dev/null");
	copro_trace_file_free(f);
}

/* Rejections are formatted (that code runs too) and dropped. */
static void drop(void *ctx, enum copro_log_level level, const char *dev,
		 const char *msg)
{
	(void)ctx;
	(void)level;
	(void)dev;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	static struct copro_log *log;
	static const struct copro_log_sink quiet = { .write = drop };
	unsigned char *copy;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!log && copro_log_create(&quiet, COPRO_LOG_ERR, &log))
		return 0;
	if (!devnull)
		return 0;
	read_and_print(data, size, log, devnull);
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_checksums(copy, size);
	read_and_print(copy, size, log, devnull);
	free(copy);
	return 0;
}
