/* SPDX-License-Identifier: MIT */
/* copro bench NAME: dispatch to the benchmarks in bench/. */
#include <string.h>

#include "bench.h"
#include "cli.h"

static const struct {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
} benches[] = {
	{ "mbox", "ASC mailbox round trip and streaming vs spin and eventfd ping-pong",
	  bench_mbox_main, bench_mbox_usage },
	{ "boot", "RTKit boot handshake vs its round trips x the mailbox round trip",
	  bench_boot_main, bench_boot_usage },
	{ "nvme", "NVMe disk I/O through the ANS2 driver vs fio psync and io_uring",
	  bench_nvme_main, bench_nvme_usage },
	{ "nbd", "fio over NBD against copro serve vs against nbdkit file",
	  bench_nbd_main, bench_nbd_usage },
	{ "scmi", "an SCMI command over SMC + shared memory vs a direct handler call",
	  bench_scmi_main, bench_scmi_usage },
	{ "msgq", "Gunyah message queue: CREDIT completion vs one message in flight",
	  bench_msgq_main, bench_msgq_usage },
};
#define NBENCHES (sizeof(benches) / sizeof(benches[0]))

void cmd_bench_list(FILE *out, const char *indent)
{
	for (size_t i = 0; i < NBENCHES; i++)
		fprintf(out, "%s%-8s %s\n", indent, benches[i].name,
			benches[i].summary);
}

void cmd_bench_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro bench NAME [OPTION]...\n"
		"Run a benchmark. Every figure is printed beside a baseline measured\n"
		"in the same run, with the ratio.\n"
		"\n"
		"Benchmarks:\n");
	cmd_bench_list(out, "  ");
	fprintf(out, "\nRun 'copro bench NAME --help' for a benchmark's options.\n");
}

int cmd_bench(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("bench", "missing benchmark name");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cmd_bench_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < NBENCHES; i++)
		if (!strcmp(benches[i].name, argv[1]))
			return benches[i].run(argc - 1, argv + 1);
	return cli_usage_error("bench", "unknown benchmark '%s'", argv[1]);
}
