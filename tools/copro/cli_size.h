/* SPDX-License-Identifier: MIT */
/*
 * The one parser of sizes and ports behind every subcommand and
 * benchmark, and the one printer of sizes, so `--size 64M` means the
 * same everywhere and 4096 bytes never prints as "0 MiB".
 *
 * Sizes are bytes: a decimal number or 0x-prefixed hexadecimal, with an
 * optional unit K, M, G, T, P or E (powers of 1024, either case),
 * written alone or followed by "iB": 4096, 64k, 1M, 2G, 1T, 512KiB,
 * 1GiB, 0x1000. "B" alone means bytes. "KB"/"MB" are refused rather
 * than guessed at (1000 or 1024?).
 */
#ifndef COPRO_CLI_SIZE_H
#define COPRO_CLI_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* 0, -EINVAL (not a size) or -ERANGE (over 2^64 - 1 bytes). */
int cli_parse_size(const char *s, uint64_t *out);
/* A TCP port, decimal 1 to 65535: 0 or -EINVAL. */
int cli_parse_port(const char *s, uint16_t *out);

/*
 * The unit that reads best: "4 KiB", "1 GiB", "1.5 GiB", "1000 bytes".
 * Exact multiples print whole; others with one decimal. Returns buf.
 */
#define CLI_SIZE_BUF 32
const char *cli_format_size(uint64_t bytes, char *buf, size_t len);

/* What the parsers accept, for error messages. */
#define CLI_SIZE_SYNTAX "bytes, or with a unit: 64k, 1M, 2G, 1T, 512KiB, 0x1000"
#define CLI_PORT_SYNTAX "a TCP port, 1 to 65535"

#endif
