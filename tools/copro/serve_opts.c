/* SPDX-License-Identifier: MIT */
/* copro serve's options (serve.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <copro/sim/ans2_model.h>

#include "cli.h"
#include "cli_size.h"
#include "serve.h"

void cmd_serve_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro serve [OPTION]... [-- NBDKIT-OPTION...]\n"
		"Boot the board's ANS2 NVMe coprocessor and serve its disk over NBD\n"
		"(through nbdkit) to any NBD client: nbdinfo, nbdcopy, qemu-img, fio.\n"
		"\n"
		"  -b, --board NAME|FILE   built-in board, .dtb, or .dts (compiled with\n"
		"                          dtc) (default t8103)\n"
		"  -d, --disk FILE         backing file or block device (default\n"
		"                          " SERVE_DEFAULT_DISK ", created sparse if missing);\n"
		"                          locked while served; qcow2 and other image\n"
		"                          formats are refused (convert them with qemu-img)\n"
		"  -s, --size SIZE         namespace size, e.g. 64M or 1GiB (a multiple\n"
		"                          of 4096): a new file's size (default 1 GiB), or\n"
		"                          an existing file grown to it; never smaller\n"
		"      --raw               serve a file that looks like an image as raw\n"
		"  -r, --readonly          read-only export and disk (shared lock)\n"
		"  -x, --export-name NAME  serve this export name only\n"
		"  -U, --socket PATH       listen on a Unix socket\n"
		"  -i, --ip ADDR           listen on this address (default " SERVE_DEFAULT_IP ")\n"
		"  -p, --port N            listen on TCP port N (default %d)\n"
		"      --tls off|on|require  TLS (on: offered; require: nothing without it)\n"
		"      --tls-certificates DIR  ca-cert.pem, server-cert.pem, server-key.pem\n"
		"                          (implies --tls on)\n"
		"  -t, --threads N         nbdkit threads per connection\n"
		"      --daemon            run in the background once serving\n"
		"      --pidfile FILE      write the server's PID to FILE (SIGTERM stops it)\n"
		"      --run CMD           run CMD (with $uri set), then stop; its exit\n"
		"                          status is copro serve's\n"
		"      --stats             once a second while clients are connected:\n"
		"                          IOPS, MiB/s, queue depth, latency; a summary\n"
		"                          at exit\n"
		"      --shutdown-timeout S  seconds Ctrl-C waits for clients before\n"
		"                          disconnecting them (default %d)\n"
		"      --slow-flush        flushes take as long as on the hardware (17 ms)\n"
		"      --no-map            the model moves data with read and write calls\n"
		"                          only, never through a mapping of the disk\n"
		"      --map-writes POLICY how writes use the mapping: measured (a page\n"
		"                          written twice goes in while that paid on\n"
		"                          this host; the default), second-touch or never\n"
		"      --record FILE       record every register access, interrupt, DMA\n"
		"                          buffer and power change to FILE; complete\n"
		"                          when the server stops (see copro trace)\n"
		"  -v, --verbose           nbdkit and driver debug messages\n"
		"  -h, --help              show this help and exit\n"
		"  -- NBDKIT-OPTION...     passed to nbdkit as they are\n"
		"\n"
		"Ctrl-C stops the server: it waits for connected clients, says how many;\n"
		"a second Ctrl-C disconnects them. Everything written is flushed and the\n"
		"NVMe controller shut down cleanly; a failed final flush exits with 1.\n",
		SERVE_DEFAULT_PORT, SERVE_DEFAULT_SHUTDOWN_TIMEOUT);
}

static int bad(const char *opt, const char *val, const char *what)
{
	return cli_usage_error("serve", "invalid value '%s' for %s (%s)", val,
			       opt, what);
}

static int parse_unsigned(const char *opt, const char *s, unsigned max,
			  unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		return bad(opt, s, "a number");
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max) {
		char what[48];

		snprintf(what, sizeof(what), "1 to %u", max);
		return bad(opt, s, what);
	}
	*out = (unsigned)v;
	return 0;
}

static int check_combinations(struct serve_opts *o)
{
	if (o->socket && (o->port || o->ip))
		return cli_usage_error("serve", "--socket and --%s exclude each other",
				       o->port ? "port" : "ip");
	if (!*o->disk)
		return bad("--disk", "", "a file name");
	if (o->socket && !*o->socket)
		return bad("--socket", "", "a path");
	if (o->tls_dir && o->tls == SERVE_TLS_OFF)
		o->tls = SERVE_TLS_ON;
	if (o->tls != SERVE_TLS_OFF && !o->tls_dir)
		return cli_usage_error("serve", "--tls %s needs --tls-certificates DIR",
				       o->tls == SERVE_TLS_ON ? "on" : "require");
	if (o->daemon && o->run)
		return cli_usage_error("serve", "--daemon and --run exclude each other");
	if (o->daemon && o->stats)
		return cli_usage_error("serve", "--stats prints to the terminal: not with --daemon");
	if (o->run && !*o->run)
		return bad("--run", "", "a command");
	return 0;
}

int serve_parse(int argc, char **argv, struct serve_opts *o)
{
	enum {
		OPT_SLOW_FLUSH = 256, OPT_NO_MAP, OPT_MAP_WRITES, OPT_RECORD, OPT_FAULT_CRASH,
		OPT_FAULT_BRINGUP, OPT_FAULT_FLUSH, OPT_TLS, OPT_TLS_CERTS,
		OPT_DAEMON, OPT_PIDFILE, OPT_RUN, OPT_STATS, OPT_RAW,
		OPT_SHUTDOWN_TIMEOUT,
	};
	static const struct option opts[] = {
		{ "board", required_argument, NULL, 'b' },
		{ "disk", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "raw", no_argument, NULL, OPT_RAW },
		{ "readonly", no_argument, NULL, 'r' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "export-name", required_argument, NULL, 'x' },
		{ "socket", required_argument, NULL, 'U' },
		{ "ip", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, 'p' },
		{ "tls", required_argument, NULL, OPT_TLS },
		{ "tls-certificates", required_argument, NULL, OPT_TLS_CERTS },
		{ "threads", required_argument, NULL, 't' },
		{ "daemon", no_argument, NULL, OPT_DAEMON },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "run", required_argument, NULL, OPT_RUN },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
		{ "slow-flush", no_argument, NULL, OPT_SLOW_FLUSH },
		{ "no-map", no_argument, NULL, OPT_NO_MAP },
		{ "map-writes", required_argument, NULL, OPT_MAP_WRITES },
		{ "record", required_argument, NULL, OPT_RECORD },
		/* Testing: the coprocessor crashes after N I/O commands; the
		 * bring-up fails after the checks passed; N flushes fail. */
		{ "fault-crash-after", required_argument, NULL, OPT_FAULT_CRASH },
		{ "fault-bringup", no_argument, NULL, OPT_FAULT_BRINGUP },
		{ "fault-flush", required_argument, NULL, OPT_FAULT_FLUSH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	*o = (struct serve_opts){ .disk = SERVE_DEFAULT_DISK,
				  .shutdown_timeout = SERVE_DEFAULT_SHUTDOWN_TIMEOUT };
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:d:s:rx:U:i:p:t:vh", opts, NULL)) != -1) {
		ret = 0;
		switch (c) {
		case 'b': o->board = optarg; break;
		case 'd': o->disk = optarg; break;
		case 's':
			if (cli_parse_size(optarg, &o->size) < 0 || !o->size ||
			    o->size % SERVE_LBA)
				ret = bad("--size", optarg,
					  "a multiple of 4096: " CLI_SIZE_SYNTAX);
			break;
		case OPT_RAW: o->raw = true; break;
		case 'r': o->read_only = true; break;
		case 'x': o->export_name = optarg; break;
		case 'U': o->socket = optarg; break;
		case 'i': o->ip = optarg; break;
		case 'p':
			if (cli_parse_port(optarg, &o->port) < 0)
				ret = bad("--port", optarg, CLI_PORT_SYNTAX);
			break;
		case OPT_TLS:
			if (!strcmp(optarg, "off"))
				o->tls = SERVE_TLS_OFF;
			else if (!strcmp(optarg, "on"))
				o->tls = SERVE_TLS_ON;
			else if (!strcmp(optarg, "require"))
				o->tls = SERVE_TLS_REQUIRE;
			else
				ret = bad("--tls", optarg, "off, on or require");
			break;
		case OPT_TLS_CERTS: o->tls_dir = optarg; break;
		case 't':
			ret = parse_unsigned("--threads", optarg, 1024, &o->threads);
			break;
		case OPT_DAEMON: o->daemon = true; break;
		case OPT_PIDFILE: o->pidfile = optarg; break;
		case OPT_RUN: o->run = optarg; break;
		case OPT_STATS: o->stats = true; break;
		case OPT_SHUTDOWN_TIMEOUT:
			ret = parse_unsigned("--shutdown-timeout", optarg, 86400,
					     &o->shutdown_timeout);
			break;
		case OPT_SLOW_FLUSH: o->slow_flush = true; break;
		case OPT_NO_MAP: o->no_map = true; break;
		case OPT_MAP_WRITES: {
			enum copro_sim_ans2_map_writes w;

			if (copro_sim_ans2_map_writes_parse(optarg, &w) < 0)
				ret = bad("--map-writes", optarg,
					  COPRO_SIM_ANS2_MAP_WRITES_NAMES);
			else
				o->map_writes = optarg;
			break;
		}
		case OPT_RECORD:
			if (!*optarg)
				ret = bad("--record", optarg, "a file name");
			o->record = optarg;
			break;
		case OPT_FAULT_CRASH:
			ret = parse_unsigned("--fault-crash-after", optarg,
					     UINT32_MAX, &o->fault_crash_after);
			break;
		case OPT_FAULT_BRINGUP: o->fault_bringup = true; break;
		case OPT_FAULT_FLUSH:
			ret = parse_unsigned("--fault-flush", optarg, UINT32_MAX,
					     &o->fault_flush);
			break;
		case 'v': o->verbose = true; break;
		case 'h': cmd_serve_usage(stdout); return -1;
		default: return cli_usage_error("serve", "invalid option");
		}
		if (ret)
			return ret;
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--"))
			return cli_usage_error("serve", "unexpected argument '%s' "
					       "(nbdkit options go after --)",
					       argv[optind]);
		o->nbdkit_args = argv + optind;
		o->n_nbdkit_args = argc - optind;
	}
	return check_combinations(o);
}
