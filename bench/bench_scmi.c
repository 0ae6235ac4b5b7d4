/* SPDX-License-Identifier: MIT */
/*
 * copro bench scmi: a synchronous SCMI command's round trip (CLOCK_RATE_GET)
 * through the agent, the SMC conduit and the shared-memory area, beside a
 * direct function call into the same platform handler with the same
 * message (the limit: what answering costs with no transport at all).
 * The ratio says what the transport adds: the SMC's dispatch, the area's
 * MMIO accesses, the answer's checks. The same command over the SMC
 * mailbox transport and a bare SMCCC_VERSION call are printed as well.
 *
 * Figures are medians of batches (each batch's mean per call), so the
 * clock read costs nothing per command.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/os.h>
#include <copro/regs/scmi.h>
#include <copro/scmi.h>
#include <copro/sim/scmi_platform.h>
#include <copro/driver/smccc.h>

#include "bench.h"
#include "bench_util.h"
#include "cli.h"
#include "cli_json.h"
#include "scmi_session.h"

#define BATCH 64

struct opts {
	uint64_t rounds;
	bool json;
};

struct figures {
	double smc_ns, direct_ns, mbox_ns, mbox_direct_ns, call_ns;
};

void bench_scmi_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro bench scmi [OPTION]...\n"
		"Measure a synchronous SCMI command (CLOCK_RATE_GET) through the agent,\n"
		"the SMC conduit and shared memory, beside a direct call into the same\n"
		"platform handler (the limit); also over the SMC mailbox transport.\n"
		"\n"
		"  -r, --rounds N   commands per figure (default 200k)\n"
		"      --json       print one JSON object instead of the table\n"
		"  -h, --help       show this help and exit\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .rounds = 200000 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (cli_parse_count("bench scmi", "--rounds", optarg,
					    &o->rounds))
				return CLI_EXIT_USAGE;
			break;
		case 'j': o->json = true; break;
		case 'h': bench_scmi_usage(stdout); return -1;
		default: return cli_usage_error("bench scmi", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("bench scmi", "unexpected argument '%s'",
				       argv[optind]);
	if (o->rounds < BATCH)
		return cli_usage_error("bench scmi", "--rounds must be at least %d",
				       BATCH);
	return 0;
}

enum what { VIA_AGENT, VIA_DIRECT, VIA_SMCCC, N_WHAT };

/* One batch of BATCH commands of one kind: its time per command. */
static int batch(struct scmi_session *s, enum what w, uint64_t *ns)
{
	struct copro_sim_scmi *plat = copro_board_scmi(s->board);
	uint32_t agent = copro_scmi_base(s->scmi)->agent_id;
	uint32_t req[2] = { scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_GET,
				     SCMI_MSG_COMMAND, 1), 0 };
	uint8_t resp[64];
	uint64_t rate = 0, t0 = copro_time_ns();
	int ret = 0;

	for (unsigned i = 0; i < BATCH && !ret; i++) {
		switch (w) {
		case VIA_AGENT:
			ret = copro_scmi_clock_rate_get(s->scmi, 0, &rate);
			break;
		case VIA_DIRECT:
			if (copro_sim_scmi_handle(plat, agent, req, sizeof(req),
						  resp, sizeof(resp)) != 16)
				ret = -EIO;
			break;
		case VIA_SMCCC: {
			uint32_t v;

			ret = copro_smccc_version(s->p, COPRO_CONDUIT_SMC, &v);
			break;
		}
		case N_WHAT:
			ret = -EINVAL;
			break;
		}
	}
	*ns = (copro_time_ns() - t0) / BATCH;
	return ret;
}

/*
 * The median per-command time of rounds/BATCH batches of each kind in
 * `which`, the kinds' batches taken in turn: a slow stretch of the
 * machine (another process, the hypervisor) falls on all of them alike
 * instead of on whichever was being measured then.
 */
static int measure(struct scmi_session *s, const bool which[N_WHAT],
		   uint64_t rounds, double out[N_WHAT])
{
	struct bench_samples batches[N_WHAT];
	int ret = 0;
	unsigned w;

	for (w = 0; w < N_WHAT && !ret; w++)
		if (which[w])
			ret = bench_samples_init(&batches[w], rounds / BATCH);
	if (ret) {
		while (w-- > 0)
			if (which[w])
				bench_samples_free(&batches[w]);
		return ret;
	}
	for (uint64_t b = 0; b < rounds / BATCH && !ret; b++) {
		for (w = 0; w < N_WHAT && !ret; w++) {
			uint64_t ns;

			if (!which[w])
				continue;
			ret = batch(s, (enum what)w, &ns);
			bench_samples_add(&batches[w], ns);
		}
	}
	for (w = 0; w < N_WHAT; w++) {
		if (!which[w])
			continue;
		out[w] = bench_percentile(&batches[w], 50);
		bench_samples_free(&batches[w]);
	}
	return ret;
}

static int run_board(const char *board, const struct opts *o, double *agent,
		     double *direct, double *call)
{
	struct scmi_session_config cfg = { .board = board };
	struct scmi_session s;
	int ret = copro_log_create(NULL, COPRO_LOG_WARN, &cfg.log);

	if (ret)
		return ret;
	ret = scmi_session_open(&cfg, &s);
	if (ret) {
		fprintf(stderr, "copro bench scmi: board %s: %s\n", board,
			copro_strerror(ret));
		copro_log_destroy(cfg.log);
		return ret;
	}
	/* Warm up caches and the protocol's cached attributes. */
	const bool warm[N_WHAT] = { [VIA_AGENT] = true, [VIA_DIRECT] = true };
	const bool which[N_WHAT] = { [VIA_AGENT] = true, [VIA_DIRECT] = true,
				     [VIA_SMCCC] = call != NULL };
	double t[N_WHAT] = { 0 };

	ret = measure(&s, warm, BATCH * 16, t);
	if (!ret)
		ret = measure(&s, which, o->rounds, t);
	*agent = t[VIA_AGENT];
	*direct = t[VIA_DIRECT];
	if (call)
		*call = t[VIA_SMCCC];
	if (ret)
		fprintf(stderr, "copro bench scmi: board %s: %s\n", board,
			copro_strerror(ret));
	scmi_session_close(&s);
	copro_log_destroy(cfg.log);
	return ret;
}

int bench_scmi_main(int argc, char **argv)
{
	struct figures f = { 0 };
	struct opts o;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret < 0 ? 0 : ret;
	ret = run_board("scmi-smc", &o, &f.smc_ns, &f.direct_ns, &f.call_ns);
	if (!ret)
		ret = run_board("scmi-mbox", &o, &f.mbox_ns, &f.mbox_direct_ns,
				NULL);
	if (ret)
		return CLI_EXIT_FAILURE;
	if (o.json) {
		json_t *j = json_object();
		int err = 0;

		err |= cli_json_num(j, "scmi_smc_ns", f.smc_ns);
		err |= cli_json_num(j, "direct_call_ns", f.direct_ns);
		err |= cli_json_num(j, "smc_ratio_to_direct",
				    f.smc_ns / f.direct_ns);
		err |= cli_json_num(j, "scmi_mbox_ns", f.mbox_ns);
		err |= cli_json_num(j, "mbox_direct_call_ns", f.mbox_direct_ns);
		err |= cli_json_num(j, "mbox_ratio_to_direct",
				    f.mbox_ns / f.mbox_direct_ns);
		err |= cli_json_num(j, "smccc_version_call_ns", f.call_ns);
		err |= cli_json_int(j, "rounds", (long long)o.rounds);
		return cli_json_print("bench scmi", j, err, stdout);
	}
	printf("SCMI CLOCK_RATE_GET, median of %d-command batches, %" PRIu64
	       " commands per figure\n\n", BATCH, o.rounds);
	bench_row(stdout, "agent, SMC conduit + shmem", f.smc_ns, "ns",
		  "direct handler call", f.direct_ns);
	bench_row(stdout, "agent, SMC mailbox + shmem", f.mbox_ns, "ns",
		  "direct handler call", f.mbox_direct_ns);
	bench_row(stdout, "bare SMCCC_VERSION call", f.call_ns, "ns",
		  "direct handler call", f.direct_ns);
	return 0;
}
