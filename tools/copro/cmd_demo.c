/* SPDX-License-Identifier: MIT */
/*
 * copro demo: boot the default board, start the coprocessor (echo
 * firmware), and show messages crossing the ASC mailbox both ways, then
 * stream a burst and check nothing was lost, duplicated or reordered.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <copro/error.h>
#include <copro/os.h>

#include "asc_session.h"
#include "cli.h"

#define DEMO_TIMEOUT_NS (2 * COPRO_NSEC_PER_SEC)

struct demo {
	_Atomic uint64_t received;	/* echoes seen */
	_Atomic uint64_t bad;		/* out of order or corrupted */
	struct copro_asc_msg last;
	struct copro_completion got;
	uint64_t expect;		/* next msg0 in the stream */
};

void cmd_demo_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro demo [OPTION]...\n"
		"Boot a board, start its coprocessor's echo firmware, and show\n"
		"messages going both ways through the Apple ASC mailbox.\n"
		"\n"
		"  -b, --board NAME|FILE  built-in board or .dtb file (default t8103)\n"
		"  -n, --count N          messages to stream after the trace (default 100k)\n"
		"  -p, --polled           no host threads: poll the mailbox instead\n"
		"  -v, --verbose          log at debug level\n"
		"  -h, --help             show this help and exit\n");
}

/* Deferred context (the mailbox worker, or our own poll loop). */
static void demo_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct demo *d = ctx;
	const struct copro_asc_msg *m = msg;

	(void)chan;
	if (len != sizeof(*m) || m->msg0 != d->expect ||
	    m->msg1 != (uint32_t)(d->expect * 0x9e3779b1u))
		atomic_fetch_add(&d->bad, 1);
	d->expect++;
	d->last = *m;
	atomic_fetch_add_explicit(&d->received, 1, memory_order_release);
	copro_completion_complete(&d->got);
}

static struct copro_asc_msg demo_msg(uint64_t seq)
{
	return (struct copro_asc_msg){ .msg0 = seq,
				       .msg1 = (uint32_t)(seq * 0x9e3779b1u) };
}

/* Waits for the echo of message `seq`, polling when there are no threads. */
static int demo_wait(struct asc_session *s, struct demo *d, uint64_t count,
		     bool polled)
{
	uint64_t deadline = copro_deadline(DEMO_TIMEOUT_NS);

	while (atomic_load_explicit(&d->received, memory_order_acquire) < count) {
		if (copro_deadline_left(deadline) == 0)
			return -ETIMEDOUT;
		if (polled)
			copro_mbox_poll(s->chan);
		else
			copro_completion_wait(&d->got, COPRO_NSEC_PER_MSEC);
	}
	return 0;
}

static void progress(uint64_t done, uint64_t total)
{
	if (!isatty(STDERR_FILENO))
		return;
	int width = 40, fill = (int)(done * width / (total ? total : 1));
	fprintf(stderr, "\r  [%.*s%*s] %3d%%", fill,
		"########################################", width - fill, "",
		(int)(done * 100 / (total ? total : 1)));
	if (done == total)
		fputc('\n', stderr);
}

static int demo_stream(struct asc_session *s, struct demo *d, uint64_t first,
		       uint64_t count, bool polled)
{
	uint64_t t0 = copro_time_ns(), step = count / 100 ? count / 100 : 1;
	uint64_t target = first + count;

	for (uint64_t seq = first; seq < target; seq++) {
		struct copro_asc_msg m = demo_msg(seq);
		int ret;

		/* Back-pressure: a full queue makes us wait, never drops. */
		while ((ret = copro_mbox_send(s->chan, &m, sizeof(m),
					      polled ? 0 : DEMO_TIMEOUT_NS)) ==
		       -EAGAIN)
			copro_mbox_poll(s->chan);
		if (ret)
			return ret;
		if (polled)
			copro_mbox_poll(s->chan);
		if ((seq - first) % step == 0)
			progress(seq - first, count);
	}
	int ret = demo_wait(s, d, target, polled);
	progress(count, count);
	if (ret)
		return ret;
	double secs = (double)(copro_time_ns() - t0) / 1e9;
	printf("  %" PRIu64 " sent, %" PRIu64 " echoed in order, %" PRIu64
	       " out of order or corrupted, %.0f messages/s\n",
	       count, atomic_load(&d->received) - first, atomic_load(&d->bad),
	       secs > 0 ? (double)count / secs : 0.0);
	return atomic_load(&d->bad) ? -EIO : 0;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "board", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "polled", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *board = NULL;
	uint64_t count = 100000;
	bool polled = false, verbose = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "b:n:pvh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': board = optarg; break;
		case 'n':
			if (cli_parse_count("demo", "--count", optarg, &count))
				return CLI_EXIT_USAGE;
			break;
		case 'p': polled = true; break;
		case 'v': verbose = true; break;
		case 'h': cmd_demo_usage(stdout); return 0;
		default: return cli_usage_error("demo", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);

	struct copro_log *log;
	if (copro_log_create(NULL, verbose ? COPRO_LOG_DEBUG : COPRO_LOG_INFO, &log))
		return CLI_EXIT_FAILURE;

	struct demo d = { 0 };
	copro_completion_init(&d.got);
	const struct copro_mbox_client client = {
		.ctx = &d, .rx = demo_rx, .rx_mode = COPRO_MBOX_RX_DEFERRED,
	};
	const struct asc_session_config cfg = {
		.board = board, .log = log, .threaded = !polled, .client = &client,
	};
	struct asc_session s;
	int ret = asc_session_open(&cfg, &s);
	if (ret) {
		fprintf(stderr, "copro demo: cannot set up the board: %s\n",
			copro_strerror(ret));
		copro_log_destroy(log);
		return CLI_EXIT_FAILURE;
	}

	printf("board %s: ASC mailbox %s, %s\n", copro_dt_name(copro_board_dt(s.board)),
	       s.path, polled ? "polled (no host threads)" : "interrupt thread");
	asc_session_cpu_run(&s, true);
	printf("coprocessor CPU started (CPU_CONTROL.RUN), firmware: echo\n\n");

	printf("  %-18s %-20s %-10s %s\n", "direction", "msg0", "msg1", "round trip");
	for (uint64_t seq = 0; seq < 8 && ret == 0; seq++) {
		struct copro_asc_msg m = demo_msg(seq);
		uint64_t t0 = copro_time_ns();

		printf("  %-18s 0x%016" PRIx64 "   0x%08" PRIx32 "\n",
		       "host -> copro", m.msg0, m.msg1);
		ret = copro_mbox_send(s.chan, &m, sizeof(m), DEMO_TIMEOUT_NS);
		if (!ret)
			ret = demo_wait(&s, &d, seq + 1, polled);
		if (!ret)
			printf("  %-18s 0x%016" PRIx64 "   0x%08" PRIx32 " %.1f us\n",
			       "copro -> host", d.last.msg0, d.last.msg1,
			       (double)(copro_time_ns() - t0) / 1e3);
	}
	if (!ret && count) {
		printf("\nstreaming %" PRIu64 " messages through the 16-entry FIFOs:\n",
		       count);
		ret = demo_stream(&s, &d, 8, count, polled);
	}

	struct copro_mbox_stats ms;
	struct copro_sim_asc_stats as;
	copro_mbox_get_stats(s.chan, &ms);
	copro_sim_asc_get_stats(s.model, &as);
	printf("\nmailbox: %" PRIu64 " sent, %" PRIu64 " received, %" PRIu64
	       " sends waited for room; FIFO overflows %" PRIu64 ", underflows %" PRIu64 "\n",
	       ms.sent, ms.received, ms.backpressure,
	       as.a2i_overflows + as.i2a_overflows,
	       as.a2i_underflows + as.i2a_underflows);
	asc_session_close(&s);
	printf("coprocessor CPU stopped\n");
	copro_log_destroy(log);
	if (ret) {
		fprintf(stderr, "copro demo: %s\n", copro_strerror(ret));
		return CLI_EXIT_FAILURE;
	}
	return 0;
}
