/* SPDX-License-Identifier: MIT */
/* copro: the command line. `copro --help` lists the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef COPRO_VERSION
#define COPRO_VERSION "0.1.0"
#endif

static const struct cli_cmd commands[] = {
	{ "serve", "serve the emulated NVMe coprocessor's disk over NBD (nbdkit)",
	  cmd_serve, cmd_serve_usage },
	{ "demo", "boot the default board and show messages crossing the ASC mailbox",
	  cmd_demo, cmd_demo_usage },
	{ "boot", "boot the NVMe coprocessor's RTKit, trace the handshake, shut down",
	  cmd_boot, cmd_boot_usage },
	{ "crashlog", "decode an RTKit crashlog dump file",
	  cmd_crashlog, cmd_crashlog_usage },
	{ "trace", "print a recording (--record) decoded, or write it for Perfetto",
	  cmd_trace, cmd_trace_usage },
	{ "scmi", "talk SCMI to a board's platform firmware (SMC/HVC, shared memory)",
	  cmd_scmi, cmd_scmi_usage },
	{ "hyp", "Gunyah hypervisor model: VMs, message queues, doorbells, RM RPC (demo)",
	  cmd_hyp, cmd_hyp_usage },
	{ "bench", "run a benchmark beside its baselines (each below)",
	  cmd_bench, cmd_bench_usage },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: copro [--help] [--version] COMMAND [ARGS...]\n"
		"\n"
		"copro drives coprocessors over mailboxes, and emulates the hardware\n"
		"and firmware so that everything runs on an ordinary Linux machine.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nBenchmarks (copro bench NAME):\n");
	cmd_bench_list(out, "  ");
	fprintf(out,
		"\n"
		"Options:\n"
		"  -h, --help     show this help and exit\n"
		"  -V, --version  show the version and exit\n"
		"\n"
		"Run 'copro COMMAND --help' for a command's options.\n");
}

static const struct cli_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "copro %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'copro %s --help' for more information.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_parse_count(const char *cmd, const char *opt, const char *s,
		    uint64_t *out)
{
	char *end;
	uint64_t mult = 1;

	errno = 0;
	if (*s == '-' || *s == '\0')
		goto bad;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1000ull; end++; break;
	case 'M': mult = 1000000ull; end++; break;
	case 'G': mult = 1000000000ull; end++; break;
	default: goto bad;
	}
	if (*end != '\0' || (v && mult > UINT64_MAX / v))
		goto bad;
	*out = v * mult;
	return 0;
bad:
	cli_usage_error(cmd, "invalid value '%s' for %s (a count, e.g. 1000 or 10k)",
			s, opt);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *arg = argv[1];
	if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
		printf("copro %s\n", COPRO_VERSION);
		return 0;
	}
	if (!strcmp(arg, "help")) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		const struct cli_cmd *c = find(argv[2]);
		if (!c) {
			fprintf(stderr, "copro: unknown command '%s'\n", argv[2]);
			return CLI_EXIT_USAGE;
		}
		c->usage(stdout);
		return 0;
	}
	const struct cli_cmd *c = find(arg);
	if (!c) {
		fprintf(stderr,
			"copro: unknown command '%s'\nTry 'copro --help' for the list.\n",
			arg);
		return CLI_EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
