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

#include <errno.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include <copro/crashlog.h>
#include <copro/log.h>
#include <copro/error.h>
#include <copro/os.h>
#include <copro/sim/rtkit_fw.h>

#include "boot_sequence.h"
#include "boot_trace.h"
#include "cli.h"
#include "disk_image.h"
#include "rtkit_session.h"

/*
 * Syslog lines the firmware sends around boot arrive asynchronously: wait
 * until the mailbox has been quiet for a while (bounded, for firmware
 * that keeps talking).
 */
#define BOOT_QUIET_NS (200 * COPRO_NSEC_PER_MSEC)
#define BOOT_SETTLE_MAX_NS (2 * COPRO_NSEC_PER_SEC)
#define BOOT_CRASH_TIMEOUT_NS (2 * COPRO_NSEC_PER_SEC)

void cmd_boot_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro boot [OPTION]...\n"
		"Boot the NVMe coprocessor's RTKit firmware on an emulated board (no\n"
		"NVMe), print the coprocessor's syslog, then shut it down cleanly.\n"
		"\n"
		"  -b, --board NAME|FILE  built-in board (t8103, t6000, t8015) or .dtb file\n"
		"                         (default t8103)\n"
		"  -t, --trace            print every mailbox message, decoded\n"
		"  -j, --json             print one JSON object instead: version,\n"
		"                         endpoints, boot_us, round_trips, syslog\n"
		"  -c, --crash FILE       after boot, make the firmware crash (crash\n"
		"                         injection), print the decoded crashlog and\n"
		"                         save the raw crashlog buffer to FILE\n"
		"  -s, --sequence LIST    run these lifecycle steps instead, comma\n"
		"                         separated: boot, shutdown, quiesce, wake,\n"
		"                         idle, poweroff, takeover; print each one's\n"
		"                         result, power states and endpoint map,\n"
		"                         then every model's refusal counters\n"
		"                         (with --json: a \"steps\" list)\n"
		"  -p, --polled           no host threads: poll the mailbox instead\n"
		"  -r, --record FILE      record every register access, interrupt, DMA\n"
		"                         and power change to FILE (see copro trace)\n"
		"  -v, --verbose          log at debug level\n"
		"  -h, --help             show this help and exit\n");
}

static void settle(struct boot_trace *t, struct rtkit_session *s, bool polled)
{
	uint64_t end = copro_deadline(BOOT_SETTLE_MAX_NS);
	uint64_t quiet_since = copro_time_ns();
	size_t seen = boot_trace_count(t);

	while (copro_deadline_left(end) > 0 &&
	       copro_time_ns() - quiet_since < BOOT_QUIET_NS) {
		if (polled)
			copro_rtkit_poll(s->rtk);
		else
			copro_sleep_ns(COPRO_NSEC_PER_MSEC);
		size_t now = boot_trace_count(t);
		if (now != seen) {
			seen = now;
			quiet_since = copro_time_ns();
		}
	}
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

/*
 * The firmware writes a crashlog (with the real mailbox history) and
 * reports the crash; the host decodes it. The raw buffer is saved for
 * `copro crashlog FILE`.
 */
/*
 * The log of this command: as the default one, except that while a crash
 * we injected is reported, the library's report of it (the decoded
 * crashlog, logged as errors) is left out: we print it ourselves, once.
 */
struct boot_log {
	_Atomic bool crash_expected;
};

static void boot_log_write(void *ctx, enum copro_log_level level,
			   const char *dev, const char *msg)
{
	struct boot_log *bl = ctx;

	if (level <= COPRO_LOG_ERR && atomic_load(&bl->crash_expected))
		return;
	fprintf(stderr, "copro: %s: %s%s%s\n", copro_log_level_name(level),
		dev ? dev : "", dev ? ": " : "", msg);
}

static int crash_and_save(struct rtkit_session *s, const char *path,
			  bool polled, struct boot_log *bl)
{
	struct copro_sim_rtkit *fw = copro_board_rtkit(s->board, s->node);
	uint64_t deadline = copro_deadline(BOOT_CRASH_TIMEOUT_NS);
	int ret;

	if (!fw) {
		fprintf(stderr, "copro boot: %s runs no RTKit firmware model\n",
			s->path);
		return -ENODEV;
	}
	atomic_store(&bl->crash_expected, true);
	ret = copro_sim_rtkit_crash(fw, "copro boot --crash: injected panic", -1);
	if (ret) {
		atomic_store(&bl->crash_expected, false);
		fprintf(stderr, "copro boot: crash injection: %s\n",
			copro_strerror(ret));
		return ret;
	}
	while (!copro_rtkit_crashlog(s->rtk)) {
		if (copro_deadline_left(deadline) == 0) {
			fprintf(stderr, "copro boot: %s: no crash reported within %d s\n",
				s->path, (int)(BOOT_CRASH_TIMEOUT_NS / COPRO_NSEC_PER_SEC));
			return -ETIMEDOUT;
		}
		if (polled)
			copro_rtkit_poll(s->rtk);
		else
			copro_sleep_ns(COPRO_NSEC_PER_MSEC);
	}
	/* The report is logged before the crashlog is published. */
	atomic_store(&bl->crash_expected, false);
	printf("the coprocessor crashed; decoded crashlog:\n\n");
	copro_crashlog_print(copro_rtkit_crashlog(s->rtk), stdout);

	const struct copro_rtkit_shmem *buf =
		copro_rtkit_shmem(s->rtk, COPRO_RTKIT_EP_CRASHLOG);
	if (!buf || !buf->buffer) {
		fprintf(stderr, "copro boot: %s: no crashlog buffer to save\n",
			s->path);
		return -ENOENT;
	}
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf->buffer, 1, buf->size, f) != buf->size) {
		ret = -errno;
		fprintf(stderr, "copro boot: cannot write %s: %s\n", path,
			strerror(errno));
		if (f)
			fclose(f);
		return ret ? ret : -EIO;
	}
	if (fclose(f)) {
		fprintf(stderr, "copro boot: cannot write %s: %s\n", path,
			strerror(errno));
		return -errno;
	}
	printf("\nraw crashlog buffer (%zu bytes) saved to %s; decode it with\n"
	       "  copro crashlog %s\n", buf->size, path, path);
	return 0;
}

int cmd_boot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "board", required_argument, NULL, 'b' },
		{ "trace", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "crash", required_argument, NULL, 'c' },
		{ "sequence", required_argument, NULL, 's' },
		{ "polled", no_argument, NULL, 'p' },
		{ "record", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *board = NULL, *crash_file = NULL, *record = NULL;
	const char *sequence = NULL;
	struct boot_sequence seq;
	bool trace = false, json = false, polled = false, verbose = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "b:tjc:s:pr:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': board = optarg; break;
		case 't': trace = true; break;
		case 'j': json = true; break;
		case 'c': crash_file = optarg; break;
		case 's': sequence = optarg; break;
		case 'p': polled = true; break;
		case 'r': record = optarg; break;
		case 'v': verbose = true; break;
		case 'h': cmd_boot_usage(stdout); return 0;
		default: return cli_usage_error("boot", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("boot", "unexpected argument '%s'", argv[optind]);
	if (sequence && crash_file)
		return cli_usage_error("boot", "--sequence and --crash do not go together");
	if (sequence && boot_sequence_parse(sequence, &seq))
		return CLI_EXIT_USAGE;

	/* The crashlog file is written, never read: it must be a file. */
	struct stat st;
	const char *bad;
	if (crash_file && stat(crash_file, &st) == 0 &&
	    (bad = disk_image_bad_type(&st, false))) {
		fprintf(stderr, "copro boot: %s is %s; --crash needs a file to save "
			"the crashlog in\n", crash_file, bad);
		return CLI_EXIT_FAILURE;
	}
	struct copro_log *log;
	static struct boot_log bl; /* outlives the log */
	const struct copro_log_sink sink = { .write = boot_log_write, .ctx = &bl };
	atomic_store(&bl.crash_expected, false);
	/* RTKit logs syslog at info; this command prints it itself. */
	if (copro_log_create(&sink, verbose ? COPRO_LOG_DEBUG : COPRO_LOG_WARN, &log))
		return CLI_EXIT_FAILURE;
	struct boot_trace *t = boot_trace_create();
	if (!t) {
		copro_log_destroy(log);
		return CLI_EXIT_FAILURE;
	}
	const struct rtkit_session_config cfg = {
		.board = board, .log = log, .polled = polled,
		.ops = boot_trace_ops(), .ctx = t, .record = record,
	};
	struct rtkit_session s;
	int ret = rtkit_session_open(&cfg, &s);
	if (ret) {
		fprintf(stderr, "copro boot: cannot set up the board: %s\n",
			copro_strerror(ret));
		goto out;
	}

	if (sequence) {
		boot_trace_start(t, copro_time_ns());
		ret = boot_sequence_run(&s, copro_dt_name(copro_board_dt(s.board)),
					&seq, json, polled);
		if (trace && !json)
			boot_trace_print(t, 0, SIZE_MAX, stdout);
		if (record && copro_trace_flush(copro_board_trace(s.board)) < 0) {
			fprintf(stderr, "copro boot: cannot write the recording %s\n",
				record);
			ret = -EIO;
		}
		rtkit_session_close(&s);
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
	settle(t, &s, polled);
	if (crash_file) {
		ret = crash_and_save(&s, crash_file, polled, &bl);
		rtkit_session_close(&s);
		goto out;
	}
	ret = copro_rtkit_shutdown(s.rtk);
	if (ret)
		fprintf(stderr, "copro boot: %s: shutdown failed: %s\n", s.path,
			copro_strerror(ret));

	const char *name = copro_dt_name(copro_board_dt(s.board));
	if (json) {
		if (boot_trace_json(t, name, boot_ns, stdout))
			ret = -EIO;
	} else {
		print_text(t, name, &s, boot_ns, trace);
		if (trace) {
			printf("\nafter boot (syslog, then shutdown):\n");
			boot_trace_print(t, t->booted_at, SIZE_MAX, stdout);
		}
		if (!ret)
			printf("shut down cleanly (AP QUIESCED, IOP SLEEP, reinit)\n");
	}
	if (record && copro_trace_flush(copro_board_trace(s.board)) < 0) {
		fprintf(stderr, "copro boot: cannot write the recording %s\n", record);
		ret = -EIO;
	}
	rtkit_session_close(&s);
	if (record && !ret && !json)
		printf("recorded to %s; decode it with: copro trace %s\n", record,
		       record);
out:
	boot_trace_destroy(t);
	copro_log_destroy(log);
	return ret ? CLI_EXIT_FAILURE : 0;
}
