/* SPDX-License-Identifier: MIT */
/* The copro command line: subcommand table and shared helpers. */
#ifndef COPRO_CLI_H
#define COPRO_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cli_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
};

/* Subcommands. */
int cmd_demo(int argc, char **argv);
void cmd_demo_usage(FILE *out);
int cmd_bench(int argc, char **argv);
void cmd_bench_usage(FILE *out);
/* One line per benchmark, for `copro --help` too. */
void cmd_bench_list(FILE *out, const char *indent);
int cmd_boot(int argc, char **argv);
void cmd_boot_usage(FILE *out);
int cmd_crashlog(int argc, char **argv);
void cmd_crashlog_usage(FILE *out);
int cmd_hyp(int argc, char **argv);
void cmd_hyp_usage(FILE *out);
int cmd_serve(int argc, char **argv);
int cmd_scmi(int argc, char **argv);
void cmd_scmi_usage(FILE *out);
void cmd_serve_usage(FILE *out);
int cmd_trace(int argc, char **argv);
void cmd_trace_usage(FILE *out);

/* Exit codes: 0 success, 1 failure, 2 usage error (GNU convention). */
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2

/*
 * Parses an unsigned count with an optional k/M/G suffix (powers of 1000),
 * rejecting junk and overflow. Prints "copro OPTION: ..." on error.
 */
int cli_parse_count(const char *cmd, const char *opt, const char *s,
		    uint64_t *out);
/* Reports a bad option/argument and points to --help; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
