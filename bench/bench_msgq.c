// SPDX-License-Identifier: MIT
/*
 * copro bench msgq: message throughput through the Gunyah hypervisor
 * model, primary VM -> a run-time VM over a link message queue.
 *
 *   credit            copro's message-queue controller: CREDIT completion,
 *                     the framework keeps the hypervisor's queue full and
 *                     resumes on the not-full interrupt.
 *   one in flight     the same hypercalls behind a controller shaped like
 *                     Linux's gunyah msgq driver under the Linux mailbox
 *                     framework: IRQ completion, one message in flight,
 *                     TX done reported from deferred context (Linux's
 *                     tasklet; here a thread) when the send said not_full,
 *                     or from the not-full interrupt when it did not.
 *
 * Both run in the same process, on the same VMs, in the same run; the
 * receiver is the same interrupt-context client for both.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/driver/mbox_controller.h>
#include <copro/os.h>

#include "bench.h"
#include "bench_util.h"
#include "cli.h"
#include "cli_json.h"
#include "hyp_session.h"

#define MSG_SIZE 64
#define QUEUE_DEPTH 255
#define ONE_NAME "gunyah-msgq-1"
#define WAIT_NS (30 * COPRO_NSEC_PER_SEC)

/* ---- the receiver --------------------------------------------------------- */

struct sink {
	_Atomic uint64_t n;
	_Atomic uint64_t bad;
	uint64_t expect;
};

static void sink_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct sink *s = ctx;
	uint64_t seq;

	(void)chan;
	memcpy(&seq, msg, sizeof(seq));
	if (len != MSG_SIZE || seq != s->expect)
		atomic_fetch_add(&s->bad, 1);
	s->expect = seq + 1;
	atomic_fetch_add_explicit(&s->n, 1, memory_order_release);
}

/* ---- the Linux-shaped controller -------------------------------------------- */

struct one {
	struct copro_platform *p;
	struct copro_gh_resource r;
	struct copro_mbox_controller *ctrl;
	struct copro_irq *irq;
	struct copro_mbox_chan *_Atomic chan;
	/* The "tasklet": a thread reporting TX done after a send. */
	struct copro_thread th;
	struct copro_event ev;
	_Atomic bool pending, stop;
};

static void *one_tasklet(void *arg)
{
	struct one *o = arg;

	while (!atomic_load(&o->stop)) {
		uint32_t key = copro_event_prepare(&o->ev);

		if (atomic_exchange(&o->pending, false)) {
			copro_mbox_chan_txdone(atomic_load(&o->chan), 0);
			continue;
		}
		copro_event_wait(&o->ev, key, COPRO_FOREVER,
				 COPRO_SPIN_DEFAULT_NS);
	}
	return NULL;
}

static void one_tx_irq(void *ctx)
{
	struct one *o = ctx;
	struct copro_mbox_chan *chan = atomic_load(&o->chan);

	/* Lines start enabled: it may fire before anyone waits. */
	copro_irq_disable(o->irq);
	if (chan)
		copro_mbox_chan_txdone(chan, 0);
}

static int one_startup(void *ctx, struct copro_mbox_chan *chan, uint64_t id,
		       unsigned *dir)
{
	struct one *o = ctx;

	if (id != o->r.capid)
		return -ENOENT;
	atomic_store(&o->chan, chan);
	*dir = COPRO_MBOX_DIR_TX;
	return 0;
}

static int one_send(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct one *o = ctx;
	bool not_full = false;
	int64_t e;

	(void)chan;
	e = copro_gh_msgq_send(o->p, o->r.capid, msg, len, 0, &not_full);
	if (e == COPRO_GH_MSGQUEUE_FULL)
		return -EBUSY;
	if (e)
		return copro_gh_errno(e);
	if (!not_full) {
		/* TX done when the not-full interrupt comes. */
		copro_irq_enable(o->irq);
		return 0;
	}
	/* The framework wants TX done asynchronously: defer it. */
	atomic_store(&o->pending, true);
	copro_event_signal(&o->ev);
	return 0;
}

static const struct copro_mbox_controller_ops one_ops = {
	.startup = one_startup,
	.send = one_send,
};

static int one_open(struct one *o, struct copro_platform *p,
		    const struct copro_gh_resource *r)
{
	struct copro_mbox_controller_desc d = {
		.name = ONE_NAME,
		.node = -1,
		.ops = &one_ops,
		.ctx = o,
		.txdone = COPRO_MBOX_TXDONE_IRQ,
		.mtu = MSG_SIZE,
	};
	int ret;

	o->p = p;
	o->r = *r;
	copro_event_init(&o->ev);
	ret = copro_irq_request(p, r->virq, one_tx_irq, o, "msgq-1-tx",
				&o->irq);
	if (ret < 0)
		return ret;
	copro_irq_disable(o->irq);
	ret = copro_thread_start(&o->th, "tasklet", one_tasklet, o);
	if (ret < 0)
		return ret;
	return copro_mbox_controller_register(p, &d, &o->ctrl);
}

static void one_close(struct one *o)
{
	atomic_store(&o->stop, true);
	copro_event_signal(&o->ev);
	copro_thread_join(&o->th);
	copro_mbox_controller_unregister(o->ctrl);
	copro_irq_free(o->irq);
}

/* ---- the runs ---------------------------------------------------------------- */

struct opts {
	uint64_t count;
	bool json;
};

static int stream(struct copro_mbox_chan *tx, struct sink *s, uint64_t count,
		  double *msgs_per_s)
{
	uint8_t m[MSG_SIZE] = { 0 };
	uint64_t base = atomic_load(&s->n), t0 = copro_time_ns();
	uint64_t deadline = copro_deadline(WAIT_NS);

	for (uint64_t i = 0; i < count; i++) {
		uint64_t seq = base + i;
		int ret;

		memcpy(m, &seq, sizeof(seq));
		ret = copro_mbox_send(tx, m, sizeof(m), WAIT_NS);
		if (ret < 0)
			return ret;
	}
	while (atomic_load_explicit(&s->n, memory_order_acquire) < base + count)
		if (!copro_deadline_left(deadline))
			return -ETIMEDOUT;
	*msgs_per_s = (double)count * 1e9 / (double)(copro_time_ns() - t0);
	return atomic_load(&s->bad) ? -EBADMSG : 0;
}

void bench_msgq_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro bench msgq [OPTION]...\n"
		"Message throughput through the Gunyah hypervisor model (64-byte\n"
		"messages, primary VM to a run-time VM): CREDIT completion keeping\n"
		"the queue full, beside one message in flight at a time (the Linux\n"
		"mailbox framework's way), in the same run.\n"
		"\n"
		"  -n, --count N  messages per run (default 200k)\n"
		"      --json     print one JSON object instead of the table\n"
		"  -h, --help     show this help and exit\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->count = 200000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (cli_parse_count("bench msgq", "--count", optarg,
					    &o->count) ||
			    !o->count)
				return cli_usage_error("bench msgq",
						       "invalid --count");
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			bench_msgq_usage(stdout);
			return 1;
		default:
			return cli_usage_error("bench msgq", "invalid option");
		}
	}
	return 0;
}

static int run(struct hyp_session *s, struct hyp_vm_side *vm,
	       const struct opts *o, double *credit, double *one_rate)
{
	struct copro_gh_resource tx, rx;
	struct copro_mbox_client ctx = { 0 };
	struct copro_mbox_client crx = { 0 };
	struct copro_mbox_chan *txc = NULL, *rxc = NULL;
	struct sink sink = { 0 };
	struct one one = { 0 };
	/* Refill in batches: an interrupt when half the queue is free. */
	const struct copro_gh_msgq_opts batch = { .not_full_thres =
							  QUEUE_DEPTH / 2 };
	int ret;

	ret = hyp_session_res(&s->prim, vm->vmid, COPRO_GH_RSC_MSGQ_TX, &tx);
	if (!ret)
		ret = hyp_session_res(vm, s->prim.vmid, COPRO_GH_RSC_MSGQ_RX, &rx);
	if (!ret)
		ret = copro_gh_msgq_add(vm->mq, &rx, NULL);
	crx.ctx = &sink;
	crx.rx = sink_rx;
	crx.rx_mode = COPRO_MBOX_RX_IRQ;
	if (!ret)
		ret = copro_mbox_request(vm->p, COPRO_GH_MSGQ_CONTROLLER,
					 rx.capid, &crx, &rxc);
	/* CREDIT: copro's controller. */
	if (!ret)
		ret = copro_gh_msgq_add(s->prim.mq, &tx, &batch);
	if (!ret)
		ret = copro_mbox_request(s->prim.p, COPRO_GH_MSGQ_CONTROLLER,
					 tx.capid, &ctx, &txc);
	if (!ret)
		ret = stream(txc, &sink, o->count, credit);
	copro_mbox_free(txc);
	copro_gh_msgq_del(s->prim.mq, tx.capid);
	/* One in flight: the same queue behind the Linux-shaped controller. */
	if (!ret)
		ret = one_open(&one, s->prim.p, &tx);
	if (!ret)
		ret = copro_mbox_request(s->prim.p, ONE_NAME, tx.capid, &ctx,
					 &txc);
	if (!ret)
		ret = stream(txc, &sink, o->count, one_rate);
	copro_mbox_free(txc);
	if (one.ctrl)
		one_close(&one);
	copro_mbox_free(rxc);
	return ret;
}

int bench_msgq_main(int argc, char **argv)
{
	struct hyp_session s = { 0 };
	struct hyp_vm_side vm = { 0 };
	struct copro_log *log = NULL;
	double credit = 0, one_rate = 0;
	struct opts o;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret > 0 ? 0 : ret;
	if (copro_log_create(NULL, COPRO_LOG_WARN, &log) < 0)
		return CLI_EXIT_FAILURE;
	ret = hyp_session_open(&s, log);
	/* The deepest queue the hypervisor allows, of 64-byte messages. */
	if (!ret)
		ret = copro_sim_hyp_set_link_queues(s.hyp, QUEUE_DEPTH, MSG_SIZE);
	if (!ret)
		ret = hyp_session_vm_create(&s, &vm, "sink");
	if (!ret)
		ret = hyp_session_vm_start(&s, &vm);
	if (!ret)
		ret = run(&s, &vm, &o, &credit, &one_rate);
	if (ret < 0) {
		fprintf(stderr, "copro bench msgq: %s\n", copro_strerror(ret));
	} else if (o.json) {
		json_t *j = json_object();
		int err = 0;

		err |= cli_json_num(j, "credit_msgs_per_s", credit);
		err |= cli_json_num(j, "one_in_flight_msgs_per_s", one_rate);
		err |= cli_json_num(j, "speedup", credit / one_rate);
		if (cli_json_print("bench msgq", j, err, stdout))
			ret = -EIO;
	} else {
		printf("Gunyah message queue, %" PRIu64 " x %d-byte messages,"
		       " primary VM -> VM %u:\n",
		       o.count, MSG_SIZE, vm.vmid);
		bench_row(stdout, "CREDIT (queue kept full)", credit, "msg/s",
			  "one in flight (Linux mailbox)", one_rate);
	}
	if (vm.p)
		hyp_session_vm_destroy(&s, &vm);
	if (s.b)
		hyp_session_close(&s);
	copro_log_destroy(log);
	return ret < 0 ? CLI_EXIT_FAILURE : 0;
}
