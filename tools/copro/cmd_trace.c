/* SPDX-License-Identifier: MIT */
/*
 * copro trace: read a recording (copro boot --record, copro serve
 * --record) and print it decoded, or write it for Perfetto.
 */
#include <getopt.h>
#include <stdio.h>

#include <copro/error.h>
#include <copro/log.h>
#include <copro/trace.h>

#include "cli.h"
#include "trace_print.h"

void cmd_trace_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro trace [OPTION]... FILE\n"
		"Print a recording made with 'copro boot --record' or 'copro serve\n"
		"--record': every register access (with its name), interrupt, DMA\n"
		"buffer, reset, power change and firmware call in time order, with the\n"
		"RTKit messages and NVMe events the mailbox and controller registers\n"
		"carry decoded beneath them.\n"
		"\n"
		"  -m, --messages            print only the decoded RTKit messages and\n"
		"                            NVMe events\n"
		"  -c, --chrome-trace OUT    write the Trace Event Format to OUT (open it\n"
		"                            in Perfetto or chrome://tracing) instead\n"
		"  -h, --help                show this help and exit\n");
}

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "messages", no_argument, NULL, 'm' },
		{ "chrome-trace", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chrome = NULL;
	bool messages = false;
	struct copro_trace_file *f;
	struct copro_log *log;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "mc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': messages = true; break;
		case 'c': chrome = optarg; break;
		case 'h': cmd_trace_usage(stdout); return 0;
		default: return cli_usage_error("trace", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("trace", "no trace file given");
	if (optind + 1 < argc)
		return cli_usage_error("trace", "unexpected argument '%s'",
				       argv[optind + 1]);
	if (copro_log_create(NULL, COPRO_LOG_WARN, &log))
		return CLI_EXIT_FAILURE;
	ret = copro_trace_load(argv[optind], log, &f);
	if (ret) {
		fprintf(stderr, "copro trace: cannot read %s: %s\n", argv[optind],
			copro_strerror(ret));
		copro_log_destroy(log);
		return CLI_EXIT_FAILURE;
	}
	const struct copro_trace_info *in = copro_trace_file_info(f);

	if (chrome) {
		ret = trace_chrome_write(in, chrome);
		if (!ret)
			printf("wrote %zu events of %s to %s (open it in Perfetto or chrome://tracing)\n",
			       in->nevents, argv[optind], chrome);
	} else {
		trace_print_summary(in, argv[optind], stdout);
		ret = trace_print(in, messages, stdout);
	}
	copro_trace_file_free(f);
	copro_log_destroy(log);
	return ret ? CLI_EXIT_FAILURE : 0;
}
