/* SPDX-License-Identifier: MIT */
/*
 * copro bench mbox: the host -> coprocessor -> host round trip through the
 * ASC model and its echo firmware, and streaming throughput, each beside
 * baselines measured in the same run:
 *
 *   - a two-thread spin ping-pong on one cache line: the physical limit of
 *     a cross-core round trip on this machine;
 *   - an eventfd ping-pong: what a design that sleeps on every message
 *     pays;
 *   - a 16-slot lock-free ring between two threads: the streaming limit
 *     of a FIFO of the ASC's depth.
 *
 * The spin ping-pong and the two ASC round trips are measured in turns,
 * five passes of a fifth of the rounds each.
 *
 * With --record FILE the ASC figures are measured again with the board
 * recording (<copro/trace.h>), beside the same figures without: the cost
 * of tracing.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/os.h>

#include "asc_session.h"
#include "bench.h"
#include "bench_baselines.h"
#include "bench_util.h"
#include "cli.h"
#include "cli_json.h"

#define WAIT_TIMEOUT_NS (5 * COPRO_NSEC_PER_SEC)

enum wait_mode {
	/* No host threads: the waiting thread polls the mailbox itself. */
	WAIT_POLLED,
	/*
	 * Interrupt thread; the waiter busy-polls the mailbox for a short
	 * window (as SO_BUSY_POLL does for sockets), then sleeps until the
	 * interrupt thread delivers.
	 */
	WAIT_SPIN_THEN_SLEEP,
};

struct probe {
	alignas(64) _Atomic uint64_t received;
	struct copro_event ev;
	uint64_t bad;
	uint64_t expect;
};

struct opts {
	const char *board;
	const char *record;	/* --record: also measure while recording here */
	bool recording;		/* this session records */
	uint64_t rounds, stream;
	uint64_t spin_ns;
	bool json;
};

void bench_mbox_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro bench mbox [OPTION]...\n"
		"Measure the ASC mailbox round trip (host -> coprocessor echo firmware\n"
		"-> host) and streaming rate beside a spin ping-pong (the limit), an\n"
		"eventfd ping-pong, and a 16-slot lock-free ring.\n"
		"\n"
		"  -b, --board NAME|FILE  board (default t8103)\n"
		"  -r, --rounds N         round trips per figure (default 200k)\n"
		"  -s, --stream N         messages streamed (default 1M)\n"
		"      --spin-us N        how long a waiter spins before sleeping (default 50)\n"
		"      --record FILE      also measure the ASC figures while recording\n"
		"                         the board to FILE: the cost of tracing\n"
		"      --json             print one JSON object instead of the table\n"
		"  -h, --help             show this help and exit\n");
}

/* Both receive modes land here: interrupt context or our poll loop. */
static void probe_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		     size_t len)
{
	struct probe *pr = ctx;
	const struct copro_asc_msg *m = msg;

	(void)chan;
	if (len != sizeof(*m) || m->msg0 != pr->expect)
		pr->bad++;
	pr->expect++;
	atomic_fetch_add_explicit(&pr->received, 1, memory_order_release);
	copro_event_signal(&pr->ev);
}

/*
 * A waiter reads the clock once per this many polls: a read costs 33-43
 * ns here (kvm-clock), a third of an idle poll, and the spin ping-pong
 * it is compared with reads it once per round trip (as copro_event's
 * spin does, docs/performance.md).
 */
#define POLLS_PER_CLOCK 16

/*
 * held: the caller holds the platform busy-polled (it keeps polling from
 * one round trip to the next); let go only to sleep, and hold again
 * after.
 */
static int wait_received(struct asc_session *s, struct probe *pr,
			 uint64_t target, enum wait_mode mode, uint64_t spin_ns,
			 bool held)
{
	int ret;

	uint64_t deadline = copro_deadline(WAIT_TIMEOUT_NS);

	if (mode == WAIT_SPIN_THEN_SLEEP) {
		uint64_t spin_end = copro_time_ns() + spin_ns;
		unsigned polls = 0;

		while (atomic_load_explicit(&pr->received, memory_order_acquire) <
		       target) {
			if (++polls % POLLS_PER_CLOCK == 0 &&
			    copro_time_ns() > spin_end)
				break;
			copro_mbox_poll(s->chan);
		}
		if (atomic_load_explicit(&pr->received, memory_order_acquire) >=
		    target)
			return 0;
		if (held)
			copro_platform_poll_hold(s->p, false);
	}
	for (unsigned polls = 0;; polls++) {
		uint32_t key = copro_event_prepare(&pr->ev);
		if (atomic_load_explicit(&pr->received, memory_order_acquire) >=
		    target) {
			ret = 0;
			break;
		}
		if (mode == WAIT_POLLED && polls % POLLS_PER_CLOCK) {
			copro_mbox_poll(s->chan);
			continue;
		}
		int64_t left = copro_deadline_left(deadline);
		if (left == 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (mode == WAIT_POLLED)
			copro_mbox_poll(s->chan);
		else
			copro_event_wait(&pr->ev, key, left, 0);
	}
	if (held && mode == WAIT_SPIN_THEN_SLEEP)
		copro_platform_poll_hold(s->p, true);
	return ret;
}

static int open_session(const struct opts *o, enum wait_mode mode,
			struct probe *pr, struct asc_session *s)
{
	const struct copro_mbox_client client = {
		.ctx = pr,
		.rx = probe_rx,
		/* Straight from the interrupt: no ring hop for a round trip. */
		.rx_mode = COPRO_MBOX_RX_IRQ,
	};
	const struct asc_session_config cfg = {
		.board = o->board,
		.threaded = mode != WAIT_POLLED,
		/*
		 * The waiter does the spinning; an interrupt thread spinning
		 * too would leave three busy threads on a two-core machine.
		 */
		.irq_spin_ns = 1,
		.client = &client,
		.record = o->recording ? o->record : NULL,
	};

	memset(pr, 0, sizeof(*pr));
	copro_event_init(&pr->ev);
	int ret = asc_session_open(&cfg, s);
	if (ret)
		return ret;
	asc_session_cpu_run(s, true);
	return 0;
}

static int send_one(struct asc_session *s, uint64_t seq, enum wait_mode mode)
{
	const struct copro_asc_msg m = { .msg0 = seq, .msg1 = 0x20 };
	int ret;

	while ((ret = copro_mbox_send(s->chan, &m, sizeof(m),
				      mode == WAIT_POLLED ? 0 : WAIT_TIMEOUT_NS)) ==
	       -EAGAIN)
		copro_mbox_poll(s->chan);
	return ret;
}

static int measure_rtt(const struct opts *o, enum wait_mode mode,
		       struct bench_samples *rtt)
{
	struct asc_session s;
	struct probe pr;
	uint64_t warmup = o->rounds / 20 + 100;
	int ret = open_session(o, mode, &pr, &s);

	if (ret)
		return ret;
	/*
	 * The waiter busy-polls from before each send (the reply can be back
	 * before the send returns) and from one round trip to the next, and
	 * stops only to sleep: its polls take the replies, so the irq thread
	 * is not woken for them (copro_platform_poll_hold).
	 */
	bool hold = mode == WAIT_SPIN_THEN_SLEEP;

	if (hold)
		copro_platform_poll_hold(s.p, true);
	for (uint64_t i = 0; i < warmup + o->rounds && !ret; i++) {
		uint64_t t0 = copro_time_ns();

		ret = send_one(&s, i, mode);
		if (!ret)
			ret = wait_received(&s, &pr, i + 1, mode, o->spin_ns,
					    hold);
		if (i >= warmup)
			bench_samples_add(rtt, copro_time_ns() - t0);
	}
	if (hold)
		copro_platform_poll_hold(s.p, false);
	if (!ret && pr.bad)
		ret = -EIO;
	asc_session_close(&s);
	return ret;
}

int bench_mbox_rtt(const char *board, bool polled, uint64_t rounds,
		   struct bench_samples *rtt)
{
	const struct opts o = {
		.board = board,
		.rounds = rounds,
		.spin_ns = 50 * COPRO_NSEC_PER_USEC,
	};

	return measure_rtt(&o, polled ? WAIT_POLLED : WAIT_SPIN_THEN_SLEEP, rtt);
}

/*
 * The limit and the ASC round trips in turns, a fifth of the rounds each
 * per pass: a slow stretch of the VM then lands on the limit and on the
 * round trips alike, not on whichever ran in it (docs/performance.md).
 */
#define RTT_PASSES 5

static int measure_rtts(const struct opts *o, struct bench_samples *spin,
			struct bench_samples *poll, struct bench_samples *sleep,
			const char **step)
{
	struct opts part = *o;
	int ret = 0;

	for (uint64_t k = 0; k < RTT_PASSES && !ret; k++) {
		part.rounds = o->rounds / RTT_PASSES +
			      (k < o->rounds % RTT_PASSES ? 1 : 0);
		*step = "spin ping-pong";
		ret = bench_spin_pingpong((size_t)part.rounds, spin);
		if (!ret) {
			*step = "ASC round trip, polled";
			ret = measure_rtt(&part, WAIT_POLLED, poll);
		}
		if (!ret) {
			*step = "ASC round trip, irq thread";
			ret = measure_rtt(&part, WAIT_SPIN_THEN_SLEEP, sleep);
		}
	}
	return ret;
}

static int measure_stream(const struct opts *o, enum wait_mode mode,
			  double *msgs_per_s)
{
	struct asc_session s;
	struct probe pr;
	int ret = open_session(o, mode, &pr, &s);

	if (ret)
		return ret;
	uint64_t t0 = copro_time_ns();
	for (uint64_t i = 0; i < o->stream && !ret; i++) {
		ret = send_one(&s, i, mode);
		if (mode == WAIT_POLLED)
			copro_mbox_poll(s.chan);
	}
	if (!ret)
		ret = wait_received(&s, &pr, o->stream, mode, o->spin_ns,
				    false);
	double secs = (double)(copro_time_ns() - t0) / 1e9;
	*msgs_per_s = secs > 0 ? (double)o->stream / secs : 0;
	if (!ret && pr.bad)
		ret = -EIO;
	asc_session_close(&s);
	return ret;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "board", required_argument, NULL, 'b' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "stream", required_argument, NULL, 's' },
		{ "spin-us", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "record", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t spin_us = 50;
	int c;

	*o = (struct opts){ .rounds = 200000, .stream = 1000000 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:r:s:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'b': o->board = optarg; break;
		case 'r':
			if (cli_parse_count("bench mbox", "--rounds", optarg, &o->rounds))
				return CLI_EXIT_USAGE;
			break;
		case 's':
			if (cli_parse_count("bench mbox", "--stream", optarg, &o->stream))
				return CLI_EXIT_USAGE;
			break;
		case 'S':
			if (cli_parse_count("bench mbox", "--spin-us", optarg, &spin_us))
				return CLI_EXIT_USAGE;
			break;
		case 'j': o->json = true; break;
		case 'R': o->record = optarg; break;
		case 'h': bench_mbox_usage(stdout); return -1;
		default: return cli_usage_error("bench mbox", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("bench mbox", "unexpected argument '%s'",
				       argv[optind]);
	if (o->rounds == 0 || o->stream == 0)
		return cli_usage_error("bench mbox", "--rounds and --stream must be > 0");
	o->spin_ns = spin_us * COPRO_NSEC_PER_USEC;
	return 0;
}

struct figures {
	double spin_p50, spin_p99, efd_p50, efd_p99;
	double poll_p50, poll_p99, sleep_p50, sleep_p99;
	double spsc_rate, stream_poll, stream_irq;
	/* --record: the same, recording */
	double rec_poll_p50, rec_sleep_p50, rec_stream_poll, rec_stream_irq;
};

static void report_table(const struct opts *o, const struct figures *f)
{
	printf("copro bench mbox: %" PRIu64 " round trips per figure, %" PRIu64
	       " messages streamed\n\n", o->rounds, o->stream);
	printf("round trip, median (ns)\n");
	bench_row(stdout, "ASC, polled host", f->poll_p50, "ns",
		  "spin ping-pong (limit)", f->spin_p50);
	bench_row(stdout, "ASC, irq thread, spin-then-sleep", f->sleep_p50, "ns",
		  "spin ping-pong (limit)", f->spin_p50);
	bench_row(stdout, "ASC, polled host", f->poll_p50, "ns",
		  "eventfd ping-pong", f->efd_p50);
	bench_row(stdout, "ASC, irq thread, spin-then-sleep", f->sleep_p50, "ns",
		  "eventfd ping-pong", f->efd_p50);
	printf("round trip, p99 (ns)\n");
	bench_row(stdout, "ASC, polled host", f->poll_p99, "ns",
		  "spin ping-pong (limit)", f->spin_p99);
	bench_row(stdout, "ASC, irq thread, spin-then-sleep", f->sleep_p99, "ns",
		  "spin ping-pong (limit)", f->spin_p99);
	bench_row(stdout, "eventfd ping-pong", f->efd_p99, "ns",
		  "spin ping-pong (limit)", f->spin_p99);
	printf("streaming (messages/s, round trip through both FIFOs)\n");
	bench_row(stdout, "ASC, polled host", f->stream_poll, "msg/s",
		  "16-slot SPSC ring, one way", f->spsc_rate);
	bench_row(stdout, "ASC, irq thread", f->stream_irq, "msg/s",
		  "16-slot SPSC ring, one way", f->spsc_rate);
	if (!o->record)
		return;
	printf("the cost of tracing (recording to %s)\n", o->record);
	bench_row(stdout, "round trip, polled, recording", f->rec_poll_p50, "ns",
		  "not recording", f->poll_p50);
	bench_row(stdout, "round trip, irq thread, recording", f->rec_sleep_p50,
		  "ns", "not recording", f->sleep_p50);
	bench_row(stdout, "streaming, polled, recording", f->rec_stream_poll,
		  "msg/s", "not recording", f->stream_poll);
	bench_row(stdout, "streaming, irq thread, recording", f->rec_stream_irq,
		  "msg/s", "not recording", f->stream_irq);
}

static int report_json(const struct opts *o, const struct figures *f)
{
	json_t *j = json_object();
	int err = 0;
	double best_rtt = f->poll_p50 < f->sleep_p50 ? f->poll_p50 : f->sleep_p50;
	double best_stream = f->stream_poll > f->stream_irq ? f->stream_poll
							    : f->stream_irq;

	err |= cli_json_num(j, "rtt_ns", best_rtt);
	err |= cli_json_num(j, "rtt_spin_limit_ns", f->spin_p50);
	err |= cli_json_num(j, "rtt_ratio_to_limit", best_rtt / f->spin_p50);
	err |= cli_json_num(j, "rtt_eventfd_ns", f->efd_p50);
	err |= cli_json_num(j, "stream_msgs_per_s", best_stream);
	err |= cli_json_num(j, "rtt_polled_ns", f->poll_p50);
	err |= cli_json_num(j, "rtt_polled_p99_ns", f->poll_p99);
	err |= cli_json_num(j, "rtt_irq_thread_ns", f->sleep_p50);
	err |= cli_json_num(j, "rtt_irq_thread_p99_ns", f->sleep_p99);
	err |= cli_json_num(j, "rtt_spin_limit_p99_ns", f->spin_p99);
	err |= cli_json_num(j, "rtt_eventfd_p99_ns", f->efd_p99);
	err |= cli_json_num(j, "stream_polled_msgs_per_s", f->stream_poll);
	err |= cli_json_num(j, "stream_irq_thread_msgs_per_s", f->stream_irq);
	err |= cli_json_num(j, "stream_spsc_limit_msgs_per_s", f->spsc_rate);
	if (o->record) {
		err |= cli_json_num(j, "rtt_polled_recording_ns", f->rec_poll_p50);
		err |= cli_json_num(j, "rtt_polled_recording_ratio",
				    f->rec_poll_p50 / f->poll_p50);
		err |= cli_json_num(j, "rtt_irq_thread_recording_ns",
				    f->rec_sleep_p50);
		err |= cli_json_num(j, "rtt_irq_thread_recording_ratio",
				    f->rec_sleep_p50 / f->sleep_p50);
		err |= cli_json_num(j, "stream_polled_recording_msgs_per_s",
				    f->rec_stream_poll);
		err |= cli_json_num(j, "stream_polled_recording_ratio",
				    f->rec_stream_poll / f->stream_poll);
		err |= cli_json_num(j, "stream_irq_thread_recording_msgs_per_s",
				    f->rec_stream_irq);
		err |= cli_json_num(j, "stream_irq_thread_recording_ratio",
				    f->rec_stream_irq / f->stream_irq);
	}
	return cli_json_print("bench mbox", j, err, stdout);
}

/* The ASC figures again, the board recording to o->record. */
static int measure_recording(const struct opts *o, struct figures *f,
			     const char **step)
{
	struct opts rec = *o;
	struct bench_samples poll, sleep;
	int ret;

	rec.recording = true;
	if (bench_samples_init(&poll, (size_t)o->rounds) ||
	    bench_samples_init(&sleep, (size_t)o->rounds)) {
		bench_samples_free(&poll);
		return -ENOMEM;
	}
	*step = "ASC round trip, polled, recording";
	ret = measure_rtt(&rec, WAIT_POLLED, &poll);
	if (!ret) {
		*step = "ASC round trip, irq thread, recording";
		ret = measure_rtt(&rec, WAIT_SPIN_THEN_SLEEP, &sleep);
	}
	if (!ret) {
		*step = "ASC streaming, polled, recording";
		ret = measure_stream(&rec, WAIT_POLLED, &f->rec_stream_poll);
	}
	if (!ret) {
		*step = "ASC streaming, irq thread, recording";
		ret = measure_stream(&rec, WAIT_SPIN_THEN_SLEEP, &f->rec_stream_irq);
	}
	f->rec_poll_p50 = bench_percentile(&poll, 50);
	f->rec_sleep_p50 = bench_percentile(&sleep, 50);
	bench_samples_free(&poll);
	bench_samples_free(&sleep);
	return ret;
}

int bench_mbox_main(int argc, char **argv)
{
	struct opts o;
	struct figures f = { 0 };
	struct bench_samples spin, efd, poll, sleep;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret < 0 ? 0 : ret;
	size_t cap = (size_t)o.rounds;
	if (bench_samples_init(&spin, cap) || bench_samples_init(&efd, cap) ||
	    bench_samples_init(&poll, cap) || bench_samples_init(&sleep, cap)) {
		fprintf(stderr, "copro bench mbox: out of memory for %zu samples\n", cap);
		return CLI_EXIT_FAILURE;
	}

	const char *step = "spin ping-pong";
	if (!o.json)
		fprintf(stderr, "measuring: spin ping-pong and ASC round trips in turns, eventfd ping-pong, SPSC ring, ASC streaming...\n");
	ret = measure_rtts(&o, &spin, &poll, &sleep, &step);
	if (!ret) {
		step = "eventfd ping-pong";
		ret = bench_eventfd_pingpong(cap, &efd);
	}
	if (!ret) {
		step = "SPSC ring";
		ret = bench_spsc_stream(o.stream, &f.spsc_rate);
	}
	if (!ret) {
		step = "ASC streaming, polled";
		ret = measure_stream(&o, WAIT_POLLED, &f.stream_poll);
	}
	if (!ret) {
		step = "ASC streaming, irq thread";
		ret = measure_stream(&o, WAIT_SPIN_THEN_SLEEP, &f.stream_irq);
	}
	if (!ret && o.record)
		ret = measure_recording(&o, &f, &step);
	if (ret) {
		fprintf(stderr, "copro bench mbox: %s failed: %s\n", step,
			copro_strerror(ret));
	} else {
		f.spin_p50 = bench_percentile(&spin, 50);
		f.spin_p99 = bench_percentile(&spin, 99);
		f.efd_p50 = bench_percentile(&efd, 50);
		f.efd_p99 = bench_percentile(&efd, 99);
		f.poll_p50 = bench_percentile(&poll, 50);
		f.poll_p99 = bench_percentile(&poll, 99);
		f.sleep_p50 = bench_percentile(&sleep, 50);
		f.sleep_p99 = bench_percentile(&sleep, 99);
		if (o.json && report_json(&o, &f))
			ret = -EIO;
		else if (!o.json)
			report_table(&o, &f);
	}
	bench_samples_free(&spin);
	bench_samples_free(&efd);
	bench_samples_free(&poll);
	bench_samples_free(&sleep);
	return ret ? CLI_EXIT_FAILURE : 0;
}
