/* SPDX-License-Identifier: MIT */
/*
 * copro boot: boot the NVMe coprocessor's RTKit on a board (no NVMe), show
 * the handshake message by message and the coprocessor's syslog, then
 * shut it down cleanly.
 */
#include <getopt.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/os.h>

#include "boot_trace.h"
#include "cli.h"
#include "rtkit_session.h"

/* Syslog lines the firmware sends around boot arrive asynchronously. */
#define BOOT_SETTLE_NS (50 * COPRO_NSEC_PER_MSEC)

void cmd_boot_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro boot [OPTION]...\n"
		"Boot the NVMe coprocessor's RTKit firmware on an emulated board (no\n"
		"NVMe), print the coprocessor's syslog, then shut it down cleanly.\n"
		"\n"
		"  -b, --board NAME|FILE  built-in board (t8103, t6000) or .dtb file\n"
		"                         (default t8103)\n"
		"  -t, --trace            print every mailbox message, decoded\n"
		"  -j, --json             print one JSON object instead: version,\n"
		"                         endpoints, boot_us, round_trips, syslog\n"
		"  -p, --polled           no host threads: poll the mailbox instead\n"
		"  -v, --verbose          log at debug level\n"
		"  -h, --help             show this help and exit\n");
}

static void print_text(const struct boot_trace *t, const char *board,
		       const struct rtkit_session *s, uint64_t boot_ns,
		       bool trace)
{
	char eps[512];

	printf("board %s: %s, SART v%u\n", board, s->path,
	       copro_sart_version(s->sart));
	if (trace) {
		printf("\n  %10s  %-9s %-52s %s\n", "time (us)", "direction",
		       "endpoint and message", "payload");
		boot_trace_print(t, 0, t->booted_at, stdout);
		printf("\n");
	}
	boot_trace_endpoints(t, eps, sizeof(eps));
	printf("booted RTKit v%u in %.0f us, %u round trips\n",
	       t->version, (double)boot_ns / 1e3,
	       boot_trace_round_trips(t));
	printf("endpoints: %s\n", eps);
	printf("syslog (%zu lines):\n", t->nsyslog);
	for (size_t i = 0; i < t->nsyslog; i++)
		printf("  %s\n", t->syslog[i]);
}

int cmd_boot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "board", required_argument, NULL, 'b' },
		{ "trace", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "polled", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *board = NULL;
	bool trace = false, json = false, polled = false, verbose = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "b:tjpvh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': board = optarg; break;
		case 't': trace = true; break;
		case 'j': json = true; break;
		case 'p': polled = true; break;
		case 'v': verbose = true; break;
		case 'h': cmd_boot_usage(stdout); return 0;
		default: return cli_usage_error("boot", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("boot", "unexpected argument '%s'", argv[optind]);

	struct copro_log *log;
	/* RTKit logs syslog at info; this command prints it itself. */
	if (copro_log_create(NULL, verbose ? COPRO_LOG_DEBUG : COPRO_LOG_WARN, &log))
		return CLI_EXIT_FAILURE;
	struct boot_trace *t = boot_trace_create();
	if (!t) {
		copro_log_destroy(log);
		return CLI_EXIT_FAILURE;
	}
	const struct rtkit_session_config cfg = {
		.board = board, .log = log, .polled = polled,
		.ops = boot_trace_ops(), .ctx = t,
	};
	struct rtkit_session s;
	int ret = rtkit_session_open(&cfg, &s);
	if (ret) {
		fprintf(stderr, "copro boot: cannot set up the board: %s\n",
			copro_strerror(ret));
		goto out;
	}

	uint64_t t0 = copro_time_ns();
	boot_trace_start(t, t0);
	rtkit_session_cpu_run(&s, true);
	ret = copro_rtkit_boot(s.rtk);
	uint64_t boot_ns = copro_time_ns() - t0;
	boot_trace_mark_booted(t, s.rtk);
	if (ret) {
		fprintf(stderr, "copro boot: %s: RTKit boot failed: %s\n", s.path,
			copro_strerror(ret));
		if (trace) {
			fprintf(stderr, "messages until the failure:\n");
			boot_trace_print(t, 0, SIZE_MAX, stderr);
		}
		rtkit_session_close(&s);
		goto out;
	}
	/* Let the firmware's boot-time syslog lines arrive. */
	uint64_t deadline = copro_deadline(BOOT_SETTLE_NS);
	while (copro_deadline_left(deadline) > 0) {
		if (polled)
			copro_rtkit_poll(s.rtk);
		else
			copro_sleep_ns(COPRO_NSEC_PER_MSEC);
	}
	ret = copro_rtkit_shutdown(s.rtk);
	if (ret)
		fprintf(stderr, "copro boot: %s: shutdown failed: %s\n", s.path,
			copro_strerror(ret));

	const char *name = copro_dt_name(copro_board_dt(s.board));
	if (json)
		boot_trace_json(t, name, boot_ns, stdout);
	else {
		print_text(t, name, &s, boot_ns, trace);
		if (trace) {
			printf("\nshutdown:\n");
			boot_trace_print(t, t->booted_at, SIZE_MAX, stdout);
		}
		if (!ret)
			printf("shut down cleanly (AP QUIESCED, IOP SLEEP, reinit)\n");
	}
	rtkit_session_close(&s);
out:
	boot_trace_destroy(t);
	copro_log_destroy(log);
	return ret ? CLI_EXIT_FAILURE : 0;
}
