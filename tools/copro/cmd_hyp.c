// SPDX-License-Identifier: MIT
/*
 * copro hyp demo: the Gunyah story end to end. The primary VM asks the
 * resource manager to create two VMs at run time; each learns its
 * capabilities through the RM's RPC, binds message queues and doorbells
 * by capability id, and they exchange requests and ring each other. Then
 * one VM is destroyed mid-conversation and the other sees clean errors:
 * its sends fail with -ENODEV, the RM tells it the peer exited, and it
 * lets go of the peer's capabilities. Every hypercall, virtual interrupt
 * edge and RM message is logged (the hypervisor model's trace), and every
 * RPC the host side makes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/mbox.h>
#include <copro/os.h>

#include "cli.h"
#include "cli_json.h"
#include "hyp_session.h"

#define WAIT_NS (5 * COPRO_NSEC_PER_SEC)

enum { MSG_REQ = 1, MSG_RESP = 2 };

struct wire {
	uint32_t kind, seq;
};

struct link {
	struct hyp_vm_side *me, *peer;
	struct copro_gh_resource qtx, qrx, btx, brx;
	struct copro_mbox_chan *tx, *rx, *bell_tx, *bell_rx;
	_Atomic uint32_t answered, responses, rings, tx_failed;
	_Atomic int last_fail;
};

struct demo {
	bool quiet;
	struct copro_mutex out_lock;
	struct hyp_session s;
	struct hyp_vm_side a, b;
	struct link la, lb; /* a's view of b, b's view of a */
	uint64_t rpc_calls;
};

static void say(struct demo *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	if (d->quiet)
		return;
	copro_mutex_lock(&d->out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	/* Whole lines: the log's errors go to stderr in between. */
	fflush(stdout);
	copro_mutex_unlock(&d->out_lock);
}

static void trace(void *ctx, const char *line)
{
	say(ctx, "  [hyp] %s", line);
}

/* ---- the conversation ------------------------------------------------------- */

static void link_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct link *l = ctx;
	struct wire w;

	(void)chan;
	if (len != sizeof(w))
		return;
	memcpy(&w, msg, sizeof(w));
	if (w.kind == MSG_REQ) {
		struct wire r = { MSG_RESP, w.seq };

		/* Answer from the receive worker: never block there. */
		if (copro_mbox_send(l->tx, &r, sizeof(r), 0) == 0)
			atomic_fetch_add(&l->answered, 1);
	} else if (w.kind == MSG_RESP) {
		atomic_fetch_add(&l->responses, 1);
	}
}

static void link_tx_done(void *ctx, struct copro_mbox_chan *chan, int status)
{
	struct link *l = ctx;

	(void)chan;
	if (status) {
		atomic_fetch_add(&l->tx_failed, 1);
		atomic_store(&l->last_fail, status);
	}
}

static void bell_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		    size_t len)
{
	struct link *l = ctx;

	(void)chan;
	(void)msg;
	(void)len;
	atomic_fetch_add(&l->rings, 1);
}

static int link_open(struct demo *d, struct link *l, struct hyp_vm_side *me,
		     struct hyp_vm_side *peer)
{
	struct copro_mbox_client tx = { .ctx = l, .tx_done = link_tx_done };
	struct copro_mbox_client rx = { .ctx = l, .rx = link_rx };
	struct copro_mbox_client brx = { .ctx = l, .rx = bell_rx };
	struct copro_mbox_client btx = { .ctx = l };
	static const struct copro_gh_msgq_opts push = { .push = true };
	int ret;

	l->me = me;
	l->peer = peer;
	ret = hyp_session_res(me, peer->vmid, COPRO_GH_RSC_MSGQ_TX, &l->qtx);
	if (!ret)
		ret = hyp_session_res(me, peer->vmid, COPRO_GH_RSC_MSGQ_RX, &l->qrx);
	if (!ret)
		ret = hyp_session_res(me, peer->vmid, COPRO_GH_RSC_BELL_TX, &l->btx);
	if (!ret)
		ret = hyp_session_res(me, peer->vmid, COPRO_GH_RSC_BELL_RX, &l->brx);
	d->rpc_calls += 4;
	if (ret < 0)
		return ret;
	say(d, "%s (VM %u) towards %s (VM %u): queue TX cap 0x%" PRIx64
	       " (virq %u), RX cap 0x%" PRIx64 " (virq %u), doorbell TX cap 0x%"
	       PRIx64 ", RX cap 0x%" PRIx64 " (virq %u)",
	    me->name, me->vmid, peer->name, peer->vmid, l->qtx.capid,
	    l->qtx.virq, l->qrx.capid, l->qrx.virq, l->btx.capid,
	    l->brx.capid, l->brx.virq);
	ret = copro_gh_msgq_add(me->mq, &l->qtx, &push);
	if (!ret)
		ret = copro_gh_msgq_add(me->mq, &l->qrx, NULL);
	if (!ret)
		ret = copro_gh_bell_add(me->db, &l->btx);
	if (!ret)
		ret = copro_gh_bell_add(me->db, &l->brx);
	if (!ret)
		ret = copro_mbox_request(me->p, COPRO_GH_MSGQ_CONTROLLER,
					 l->qtx.capid, &tx, &l->tx);
	if (!ret)
		ret = copro_mbox_request(me->p, COPRO_GH_MSGQ_CONTROLLER,
					 l->qrx.capid, &rx, &l->rx);
	if (!ret)
		ret = copro_mbox_request(me->p, COPRO_GH_BELL_CONTROLLER,
					 copro_gh_bell_chan(l->btx.capid, 0),
					 &btx, &l->bell_tx);
	if (!ret)
		ret = copro_mbox_request(me->p, COPRO_GH_BELL_CONTROLLER,
					 copro_gh_bell_chan(l->brx.capid, 0),
					 &brx, &l->bell_rx);
	return ret;
}

/* The peer is gone: let go of its capabilities; the channels stay ours. */
static void link_withdraw(struct link *l)
{
	copro_gh_msgq_del(l->me->mq, l->qtx.capid);
	copro_gh_msgq_del(l->me->mq, l->qrx.capid);
	copro_gh_bell_del(l->me->db, l->btx.capid);
	copro_gh_bell_del(l->me->db, l->brx.capid);
}

static void link_close(struct link *l)
{
	copro_mbox_free(l->tx);
	copro_mbox_free(l->rx);
	copro_mbox_free(l->bell_tx);
	copro_mbox_free(l->bell_rx);
	l->tx = l->rx = l->bell_tx = l->bell_rx = NULL;
	if (l->me && l->me->mq) {
		/* Whatever is still offered (nothing, after a withdrawal). */
		copro_gh_msgq_del(l->me->mq, l->qtx.capid);
		copro_gh_msgq_del(l->me->mq, l->qrx.capid);
		copro_gh_bell_del(l->me->db, l->btx.capid);
		copro_gh_bell_del(l->me->db, l->brx.capid);
	}
}

struct until {
	_Atomic uint32_t *v;
	uint32_t want;
};

static bool wait_for(_Atomic uint32_t *v, uint32_t want)
{
	uint64_t deadline = copro_deadline(WAIT_NS);

	while (atomic_load(v) < want)
		if (!copro_deadline_left(deadline))
			return false;
		else
			copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);
	return true;
}

static int send_requests(struct demo *d, struct link *l, uint32_t first,
			 uint32_t n)
{
	for (uint32_t i = first; i < first + n; i++) {
		struct wire w = { MSG_REQ, i };
		int ret = copro_mbox_send(l->tx, &w, sizeof(w), WAIT_NS);

		if (ret < 0) {
			say(d, "%s: request %u to %s: %s", l->me->name, i,
			    l->peer->name, copro_strerror(ret));
			return ret;
		}
	}
	return 0;
}

/* ---- the command ---------------------------------------------------------------- */

void cmd_hyp_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro hyp demo [OPTION]...\n"
		"The Gunyah hypervisor model: the primary VM has the resource manager\n"
		"create two VMs at run time; they learn their capabilities over the\n"
		"RM's RPC, exchange requests over message queues and ring each\n"
		"other's doorbells; then one is destroyed mid-conversation and the\n"
		"other sees clean errors. Every hypercall, virtual interrupt and RM\n"
		"message is logged.\n"
		"\n"
		"  -n, --requests N  requests each way before the destruction (default 8)\n"
		"  -c, --crash       the VM crashes (fault injection) instead of being\n"
		"                    stopped by the primary\n"
		"  -j, --json        print only the counts, as JSON\n"
		"  -v, --verbose     log at debug level\n"
		"  -h, --help        show this help and exit\n");
}

static int demo_run(struct demo *d, uint32_t n, bool crash)
{
	struct copro_sim_hyp_stats hs;
	int ret;

	say(d, "== primary VM %u: resource manager from the devicetree",
	    d->s.prim.vmid);
	ret = hyp_session_vm_create(&d->s, &d->a, "vm-a");
	if (!ret)
		ret = hyp_session_vm_create(&d->s, &d->b, "vm-b");
	d->rpc_calls += 2;
	if (ret < 0)
		return ret;
	say(d, "== RM allocated VM %u (vm-a) and VM %u (vm-b); starting them",
	    d->a.vmid, d->b.vmid);
	ret = hyp_session_vm_start(&d->s, &d->a);
	if (!ret)
		ret = hyp_session_vm_start(&d->s, &d->b);
	d->rpc_calls += 2;
	if (ret < 0)
		return ret;
	say(d, "== each VM asks the RM for its capabilities");
	ret = link_open(d, &d->la, &d->a, &d->b);
	if (!ret)
		ret = link_open(d, &d->lb, &d->b, &d->a);
	if (ret < 0)
		return ret;

	say(d, "== vm-a and vm-b exchange %u requests each way", n);
	ret = send_requests(d, &d->la, 0, n);
	if (!ret)
		ret = send_requests(d, &d->lb, 0, n);
	if (ret < 0)
		return ret;
	if (!wait_for(&d->la.responses, n) || !wait_for(&d->lb.responses, n))
		return -ETIMEDOUT;
	say(d, "vm-a: %u answers from vm-b; vm-b: %u answers from vm-a",
	    atomic_load(&d->la.responses), atomic_load(&d->lb.responses));
	say(d, "== doorbells");
	ret = copro_mbox_ring(d->la.bell_tx, 0);
	if (!ret && wait_for(&d->lb.rings, 1))
		say(d, "vm-b: doorbell rung by vm-a");
	if (!ret)
		ret = copro_mbox_ring(d->lb.bell_tx, 0);
	if (!ret && wait_for(&d->la.rings, 1))
		say(d, "vm-a: doorbell rung by vm-b");
	if (ret < 0)
		return ret;

	say(d, "== vm-b is %s mid-conversation",
	    crash ? "crashing (fault injection)" : "stopped by the primary");
	ret = send_requests(d, &d->la, n, n / 2);
	if (ret < 0)
		return ret;
	if (crash)
		ret = copro_sim_hyp_vm_crash(d->s.hyp, d->b.vmid);
	else
		ret = copro_gh_rm_vm_stop(d->s.prim.rm, d->b.vmid);
	d->rpc_calls += !crash;
	if (ret < 0)
		return ret;
	/* vm-a goes on talking: the hypervisor refuses, nothing hangs. */
	ret = send_requests(d, &d->la, n + n / 2, n / 2 ? n / 2 : 1);
	if (ret < 0)
		return ret;
	if (!wait_for((_Atomic uint32_t *)&d->a.exited, 1))
		return -ETIMEDOUT;
	say(d, "vm-a: RM says VM %u exited; %u of its sends failed: %s",
	    atomic_load(&d->a.last_exited), atomic_load(&d->la.tx_failed),
	    copro_strerror(atomic_load(&d->la.last_fail)));
	link_withdraw(&d->la);
	{
		struct wire w = { MSG_REQ, 999 };
		int r = copro_mbox_send(d->la.tx, &w, sizeof(w), 0);

		say(d, "vm-a: withdrew vm-b's capabilities; a new send returns %d"
		       " (%s), a ring %s",
		    r, copro_strerror(r),
		    copro_strerror(copro_mbox_ring(d->la.bell_tx, 0)));
	}
	copro_sim_hyp_get_stats(d->s.hyp, &hs);
	say(d, "== %" PRIu64 " hypercalls (%" PRIu64 " refused), %" PRIu64
	       " virq assertions, %" PRIu64 " RM requests, %" PRIu64
	       " notifications",
	    hs.hypercalls, hs.hypercall_errors, hs.virq_asserted,
	    hs.rm_requests, hs.rm_notifications);
	return 0;
}

static int demo_json(struct demo *d)
{
	struct copro_sim_hyp_stats hs;
	json_t *j = json_object();
	int err = 0;

	copro_sim_hyp_get_stats(d->s.hyp, &hs);
	err |= cli_json_int(j, "hypercalls", (long long)hs.hypercalls);
	err |= cli_json_int(j, "hypercall_errors", (long long)hs.hypercall_errors);
	err |= cli_json_int(j, "msgq_sent", (long long)hs.msgq_sent);
	err |= cli_json_int(j, "msgq_received", (long long)hs.msgq_received);
	err |= cli_json_int(j, "doorbells_sent", (long long)hs.bell_sent);
	err |= cli_json_int(j, "virq_asserted", (long long)hs.virq_asserted);
	err |= cli_json_int(j, "rm_requests", (long long)hs.rm_requests);
	err |= cli_json_int(j, "rm_replies", (long long)hs.rm_replies);
	err |= cli_json_int(j, "rm_notifications", (long long)hs.rm_notifications);
	err |= cli_json_int(j, "vms_created", (long long)hs.vms_created);
	err |= cli_json_int(j, "requests_answered",
			    atomic_load(&d->la.answered) +
				    atomic_load(&d->lb.answered));
	err |= cli_json_int(j, "sends_failed", atomic_load(&d->la.tx_failed));
	return cli_json_print("hyp demo", j, err, stdout);
}

static int hyp_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "requests", required_argument, NULL, 'n' },
		{ "crash", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo *dp;
	struct copro_log *log = NULL;
	uint64_t n = 8;
	bool crash = false, json = false, verbose = false;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:cjvh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (cli_parse_count("hyp demo", "--requests", optarg, &n))
				return CLI_EXIT_USAGE;
			if (n < 2 || n > 1000)
				return cli_usage_error("hyp demo",
						       "--requests must be 2..1000");
			break;
		case 'c':
			crash = true;
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			cmd_hyp_usage(stdout);
			return 0;
		default:
			return cli_usage_error("hyp demo", "invalid option");
		}
	}
	if (optind != argc)
		return cli_usage_error("hyp demo", "unexpected argument '%s'",
				       argv[optind]);
	dp = calloc(1, sizeof(*dp));
	if (!dp || copro_mutex_init(&dp->out_lock) < 0 ||
	    copro_log_create(NULL, verbose ? COPRO_LOG_DEBUG : COPRO_LOG_WARN,
			     &log) < 0) {
		free(dp);
		return CLI_EXIT_FAILURE;
	}
	struct demo *d = dp;

	d->quiet = json;
	ret = hyp_session_open(&d->s, log);
	if (ret == 0) {
		if (!json)
			copro_sim_hyp_set_trace(d->s.hyp, trace, d);
		ret = demo_run(d, (uint32_t)n, crash);
	}
	if (ret < 0)
		fprintf(stderr, "copro hyp demo: %s\n", copro_strerror(ret));
	else if (json && demo_json(d))
		ret = -EIO;
	if (d->s.hyp)
		copro_sim_hyp_set_trace(d->s.hyp, NULL, NULL);
	link_close(&d->la);
	link_close(&d->lb);
	if (d->s.b) {
		hyp_session_vm_destroy(&d->s, &d->a);
		hyp_session_vm_destroy(&d->s, &d->b);
		hyp_session_close(&d->s);
	}
	copro_mutex_destroy(&d->out_lock);
	copro_log_destroy(log);
	free(d);
	return ret < 0 ? CLI_EXIT_FAILURE : 0;
}

int cmd_hyp(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("hyp", "missing subcommand (demo)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cmd_hyp_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "demo"))
		return hyp_demo(argc - 1, argv + 1);
	return cli_usage_error("hyp", "unknown subcommand '%s'", argv[1]);
}
