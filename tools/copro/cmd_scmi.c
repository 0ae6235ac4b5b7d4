/* SPDX-License-Identifier: MIT */
/*
 * copro scmi: talk SCMI to a board's platform firmware as one of its
 * agents: discovery, clocks, power domains, performance domains, resets
 * and sensors; human-readable or --json, --trace for every message.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/os.h>
#include <copro/scmi.h>

#include "cli.h"
#include "cli_json.h"
#include "scmi_session.h"

/* A power domain set that only goes asynchronously is waited for this. */
#define PD_SETTLE_NS (2 * COPRO_NSEC_PER_SEC)

void cmd_scmi_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro scmi [OPTION]... COMMAND [ARG]...\n"
		"Talk SCMI to an emulated board's platform firmware as one of its\n"
		"agents.\n"
		"\n"
		"Commands:\n"
		"  list                   vendor, versions, protocols, this agent\n"
		"  clock list             every clock: rate, state, supported rates\n"
		"  clock get ID           a clock's rate\n"
		"  clock set ID RATE      set a rate (Hz; k, M, G allowed), read it back\n"
		"  pd list | pd get ID    power domains and their states\n"
		"  pd set ID STATE        STATE: on, off, or a number\n"
		"  perf list | perf get ID | perf set ID LEVEL\n"
		"                         performance domains, levels, limits\n"
		"  reset ID               reset a domain (assert, then release)\n"
		"  sensor list | sensor get ID\n"
		"                         sensors and their readings\n"
		"\n"
		"Options:\n"
		"  -b, --board NAME|FILE  built-in board (scmi-smc, scmi-mbox), .dtb or .dts\n"
		"                         file (default scmi-smc)\n"
		"  -a, --agent N          the board's N-th SCMI node, from 0 (default 0)\n"
		"      --async            clock set, reset, sensor get: asynchronously,\n"
		"                         waiting for the delayed response\n"
		"  -j, --json             one JSON object: list: vendor, sub_vendor,\n"
		"                         implementation_version, protocols; clock\n"
		"                         get/set: rate; pd get/set: state; perf\n"
		"                         get/set: level; sensor get: value\n"
		"  -t, --trace            print every message, decoded, both directions\n"
		"                         (to stderr with --json)\n"
		"  -p, --poll             complete commands by polling the channel\n"
		"  -v, --verbose          log at debug level\n"
		"  -h, --help             show this help and exit\n");
}

struct ctx {
	struct scmi_session s;
	struct copro_scmi *a;
	bool json, async;
	FILE *trace_out;
	const char *what; /* the command, for errors */
};

static void trace(void *arg, const struct copro_scmi_trace *t)
{
	struct ctx *c = arg;
	char buf[512];

	copro_scmi_describe(t->header, t->payload, t->len, !t->to_platform,
			    buf, sizeof(buf));
	fprintf(c->trace_out, "  %s %-16s %s\n", t->to_platform ? ">>" : "<<",
		t->channel, buf);
}

/*
 * An error as the platform's status name where it is one. A positive err
 * is an exit status whose error was reported already.
 */
static int fail(struct ctx *c, int err)
{
	const char *what;

	if (err > 0)
		return err;
	switch (err) {
	case -EOPNOTSUPP: what = "NOT_SUPPORTED"; break;
	case -EINVAL: what = "INVALID_PARAMETERS"; break;
	case -EACCES: what = "DENIED: this agent may not"; break;
	case -ENOENT: what = "NOT_FOUND: no such id"; break;
	case -ERANGE: what = "OUT_OF_RANGE"; break;
	case -EBUSY: what = "BUSY"; break;
	case -EBADMSG: what = "PROTOCOL_ERROR"; break;
	case -EPROTO: what = "the platform's answer broke the protocol"; break;
	case -ETIMEDOUT: what = "no answer in time"; break;
	default: what = copro_strerror(err); break;
	}
	fprintf(stderr, "copro scmi: %s: %s\n", c->what, what);
	return CLI_EXIT_FAILURE;
}

static int parse_id(const char *cmd, const char *s, uint32_t *id)
{
	uint64_t v;

	if (cli_parse_count(cmd, "ID", s, &v))
		return -EINVAL;
	if (v > UINT32_MAX) {
		cli_usage_error(cmd, "id %s is above 2^32", s);
		return -EINVAL;
	}
	*id = (uint32_t)v;
	return 0;
}

/*
 * One JSON object of a report: appended to `list` when the command lists
 * several (0 or -ENOMEM), else printed as the whole answer (0 or
 * CLI_EXIT_FAILURE, reported).
 */
static int json_emit(json_t *list, json_t *obj, int err)
{
	if (!list) /* printed, or the failure reported: an exit status */
		return cli_json_print("copro scmi", obj, err, stdout);
	if (err || !obj || json_array_append_new(list, obj)) {
		json_decref(obj);
		return -ENOMEM;
	}
	return 0;
}

/* Prints {"key": list}, releasing it. */
static int json_emit_list(const char *key, json_t *list)
{
	json_t *o = json_object();

	return cli_json_print("copro scmi", o, cli_json_set(o, key, list),
			      stdout) ? CLI_EXIT_FAILURE : 0;
}

/* ---- list ----------------------------------------------------------------- */

static int do_list(struct ctx *c)
{
	const struct copro_scmi_base_info *b = copro_scmi_base(c->a);

	if (c->json) {
		json_t *j = json_object(), *protos = json_array();
		int err = 0;

		err |= cli_json_str(j, "vendor", b->vendor);
		err |= cli_json_str(j, "sub_vendor", b->sub_vendor);
		err |= cli_json_int(j, "implementation_version",
				    b->impl_version);
		for (unsigned i = 0; i < b->num_protocols && protos; i++)
			err |= json_array_append_new(
				protos, json_integer(b->protocols[i])) ? -ENOMEM : 0;
		err |= cli_json_set(j, "protocols", protos);
		err |= cli_json_int(j, "base_version", b->version);
		if (b->agent_id != COPRO_SCMI_AGENT_SELF) {
			err |= cli_json_int(j, "agent_id", b->agent_id);
			err |= cli_json_str(j, "agent_name", b->agent_name);
		}
		err |= cli_json_int(j, "agents", b->num_agents);
		return cli_json_print("copro scmi", j, err, stdout);
	}
	printf("board %s: %s\n", copro_dt_name(copro_board_dt(c->s.board)),
	       c->s.path);
	printf("vendor:                 %s\n", b->vendor);
	printf("sub-vendor:             %s\n", b->sub_vendor);
	printf("implementation version: 0x%08" PRIx32 "\n", b->impl_version);
	printf("base protocol:          %" PRIu32 ".%" PRIu32 "\n",
	       b->version >> 16, b->version & 0xffff);
	if (b->agent_id != COPRO_SCMI_AGENT_SELF)
		printf("this agent:             %" PRIu32 " (%s) of %u\n",
		       b->agent_id, b->agent_name, b->num_agents);
	printf("protocols:\n");
	for (unsigned i = 0; i < b->num_protocols; i++) {
		uint32_t v = 0;
		int ret = copro_scmi_protocol_version(c->a, b->protocols[i], &v);

		printf("  0x%02x %-14s", b->protocols[i],
		       copro_scmi_protocol_name(b->protocols[i]));
		if (ret)
			printf(" (%s)\n", copro_strerror(ret));
		else
			printf(" version %" PRIu32 ".%" PRIu32 "\n", v >> 16,
			       v & 0xffff);
	}
	return 0;
}

/* ---- clocks ---------------------------------------------------------------- */

static void rates_text(const struct copro_scmi_clock_rates *r)
{
	if (r->range) {
		printf("%" PRIu64 "..%" PRIu64 " step %" PRIu64, r->min, r->max,
		       r->step);
		return;
	}
	for (size_t i = 0; i < r->n; i++)
		printf("%s%" PRIu64, i ? " " : "", r->rates[i]);
}

/* Rates are below 2^63 Hz: the platform's 64-bit values are checked so. */
static int rates_json(json_t *j, const struct copro_scmi_clock_rates *r)
{
	json_t *v;
	int err = 0;

	if (r->range) {
		v = json_object();
		err |= cli_json_int(v, "min", (long long)r->min);
		err |= cli_json_int(v, "max", (long long)r->max);
		err |= cli_json_int(v, "step", (long long)r->step);
		return err | cli_json_set(j, "range", v);
	}
	v = json_array();
	for (size_t i = 0; i < r->n && v; i++)
		if (json_array_append_new(v, json_integer((json_int_t)r->rates[i])))
			err = -ENOMEM;
	return err | cli_json_set(j, "rates", v);
}

static int clock_list(struct ctx *c)
{
	json_t *list = NULL;
	unsigned n;
	int ret = copro_scmi_clock_count(c->a, &n);

	if (ret)
		return fail(c, ret);
	if (c->json) {
		list = json_array();
		if (!list)
			return fail(c, -ENOMEM);
	} else {
		printf("%3s  %-15s %12s  %-7s  %s\n", "id", "name", "rate (Hz)",
		       "enabled", "rates");
	}
	for (uint32_t id = 0; id < n; id++) {
		struct copro_scmi_clock_info ci;
		struct copro_scmi_clock_rates r;
		uint64_t rate;

		ret = copro_scmi_clock_attributes(c->a, id, &ci);
		if (!ret)
			ret = copro_scmi_clock_rate_get(c->a, id, &rate);
		if (!ret)
			ret = copro_scmi_clock_rates(c->a, id, &r);
		if (ret) {
			json_decref(list);
			return fail(c, ret);
		}
		if (c->json) {
			json_t *o = json_object();
			int err = 0;

			err |= cli_json_int(o, "id", id);
			err |= cli_json_str(o, "name", ci.name);
			err |= cli_json_int(o, "rate", (long long)rate);
			err |= cli_json_set(o, "enabled", json_boolean(ci.enabled));
			err |= rates_json(o, &r);
			ret = json_emit(list, o, err);
		} else {
			printf("%3" PRIu32 "  %-15s %12" PRIu64 "  %-7s  ", id,
			       ci.name, rate, ci.enabled ? "yes" : "no");
			rates_text(&r);
			printf("\n");
		}
		free(r.rates);
		if (ret) {
			json_decref(list);
			return fail(c, ret);
		}
	}
	return list ? json_emit_list("clocks", list) : 0;
}

static int clock_report(struct ctx *c, uint32_t id, const uint64_t *asked,
			uint64_t rate)
{
	struct copro_scmi_clock_info ci;
	int ret = copro_scmi_clock_attributes(c->a, id, &ci);

	if (ret)
		return fail(c, ret);
	if (c->json) {
		json_t *j = json_object();
		int err = 0;

		err |= cli_json_int(j, "id", id);
		err |= cli_json_str(j, "name", ci.name);
		err |= cli_json_int(j, "rate", (long long)rate);
		if (asked) {
			err |= cli_json_int(j, "requested", (long long)*asked);
			err |= cli_json_set(j, "async", json_boolean(c->async));
		}
		return cli_json_print("copro scmi", j, err, stdout);
	} else if (asked) {
		printf("clock %" PRIu32 " (%s): %" PRIu64 " Hz (asked %" PRIu64
		       "%s)\n", id, ci.name, rate, *asked,
		       c->async ? ", asynchronously" : "");
	} else {
		printf("clock %" PRIu32 " (%s): %" PRIu64 " Hz\n", id, ci.name,
		       rate);
	}
	return 0;
}

static int do_clock(struct ctx *c, int argc, char **argv)
{
	uint32_t id;
	uint64_t rate, asked;
	int ret;

	if (argc == 1 && !strcmp(argv[0], "list"))
		return clock_list(c);
	if (argc == 2 && !strcmp(argv[0], "get")) {
		if (parse_id("scmi", argv[1], &id))
			return CLI_EXIT_USAGE;
		ret = copro_scmi_clock_rate_get(c->a, id, &rate);
		return ret ? fail(c, ret) : clock_report(c, id, NULL, rate);
	}
	if (argc == 3 && !strcmp(argv[0], "set")) {
		if (parse_id("scmi", argv[1], &id) ||
		    cli_parse_count("scmi", "RATE", argv[2], &asked))
			return CLI_EXIT_USAGE;
		ret = copro_scmi_clock_rate_set(c->a, id, asked,
						c->async ? COPRO_SCMI_CLOCK_ASYNC
							 : 0,
						NULL);
		if (!ret)
			ret = copro_scmi_clock_rate_get(c->a, id, &rate);
		return ret ? fail(c, ret) : clock_report(c, id, &asked, rate);
	}
	return cli_usage_error("scmi", "clock: list | get ID | set ID RATE");
}

/* ---- power domains ----------------------------------------------------------- */

static const char *pd_state_name(uint32_t st)
{
	if (st == COPRO_SCMI_PD_ON)
		return "on";
	if (st == COPRO_SCMI_PD_OFF)
		return "off";
	return (st & COPRO_SCMI_PD_CONTEXT_LOST) ? "off (retention)" : "on (custom)";
}

static int pd_report(struct ctx *c, uint32_t id, uint32_t st, json_t *list)
{
	struct copro_scmi_pd_info pi;
	int ret = copro_scmi_pd_attributes(c->a, id, &pi);

	if (ret)
		return ret;
	if (c->json) {
		json_t *o = json_object();
		int err = 0;

		err |= cli_json_int(o, "id", id);
		err |= cli_json_str(o, "name", pi.name);
		err |= cli_json_int(o, "state", st);
		err |= cli_json_set(o, "on", json_boolean(
			!(st & COPRO_SCMI_PD_CONTEXT_LOST)));
		return json_emit(list, o, err);
	} else {
		printf("power domain %" PRIu32 " (%s): %s (0x%08" PRIx32 ")\n",
		       id, pi.name, pd_state_name(st), st);
	}
	return 0;
}

static int parse_state(const char *s, uint32_t *st)
{
	uint64_t v;

	if (!strcmp(s, "on")) {
		*st = COPRO_SCMI_PD_ON;
		return 0;
	}
	if (!strcmp(s, "off")) {
		*st = COPRO_SCMI_PD_OFF;
		return 0;
	}
	if (cli_parse_count("scmi", "STATE", s, &v) || v > UINT32_MAX)
		return -EINVAL;
	*st = (uint32_t)v;
	return 0;
}

/* A domain that changes only asynchronously shows the change later. */
static int pd_set(struct ctx *c, uint32_t id, uint32_t st, uint32_t *now)
{
	struct copro_scmi_pd_info pi;
	uint64_t deadline = copro_deadline(PD_SETTLE_NS);
	int ret = copro_scmi_pd_attributes(c->a, id, &pi);

	if (!ret)
		ret = copro_scmi_pd_set(c->a, id, st, !pi.sync && pi.async);
	while (!ret) {
		ret = copro_scmi_pd_get(c->a, id, now);
		if (ret || *now == st || pi.sync ||
		    copro_deadline_left(deadline) == 0)
			break;
		copro_sleep_ns(COPRO_NSEC_PER_MSEC);
	}
	return ret;
}

static int do_pd(struct ctx *c, int argc, char **argv)
{
	uint32_t id, st;
	unsigned n;
	int ret;

	if (argc == 1 && !strcmp(argv[0], "list")) {
		json_t *list = NULL;

		ret = copro_scmi_pd_count(c->a, &n);
		if (!ret && c->json && !(list = json_array()))
			ret = -ENOMEM;
		for (id = 0; id < n && !ret; id++) {
			ret = copro_scmi_pd_get(c->a, id, &st);
			if (!ret)
				ret = pd_report(c, id, st, list);
		}
		if (ret) {
			json_decref(list);
			return fail(c, ret);
		}
		return list ? json_emit_list("domains", list) : 0;
	}
	if (argc == 2 && !strcmp(argv[0], "get")) {
		if (parse_id("scmi", argv[1], &id))
			return CLI_EXIT_USAGE;
		ret = copro_scmi_pd_get(c->a, id, &st);
	} else if (argc == 3 && !strcmp(argv[0], "set")) {
		uint32_t want;

		if (parse_id("scmi", argv[1], &id))
			return CLI_EXIT_USAGE;
		if (parse_state(argv[2], &want))
			return cli_usage_error("scmi", "STATE is on, off or a"
					       " number, not '%s'", argv[2]);
		ret = pd_set(c, id, want, &st);
	} else {
		return cli_usage_error("scmi", "pd: list | get ID | set ID STATE");
	}
	if (!ret)
		ret = pd_report(c, id, st, NULL);
	return ret ? fail(c, ret) : 0;
}

/* ---- performance ---------------------------------------------------------------- */

static int perf_one(struct ctx *c, uint32_t id, bool full, json_t *list)
{
	struct copro_scmi_perf_info pi;
	struct copro_scmi_perf_level *lv = NULL;
	uint32_t level, max, min;
	size_t n = 0;
	int ret = copro_scmi_perf_attributes(c->a, id, &pi);

	if (!ret)
		ret = copro_scmi_perf_level_get(c->a, id, &level);
	if (!ret && full)
		ret = copro_scmi_perf_limits_get(c->a, id, &max, &min);
	if (!ret && full)
		ret = copro_scmi_perf_levels(c->a, id, &lv, &n);
	if (ret)
		return ret;
	if (c->json) {
		json_t *o = json_object(), *levels;
		int err = 0;

		err |= cli_json_int(o, "id", id);
		err |= cli_json_str(o, "name", pi.name);
		err |= cli_json_int(o, "level", level);
		if (full) {
			err |= cli_json_int(o, "max", max);
			err |= cli_json_int(o, "min", min);
			levels = json_array();
			for (size_t i = 0; i < n && levels; i++)
				if (json_array_append_new(
					    levels, json_integer(lv[i].level)))
					err = -ENOMEM;
			err |= cli_json_set(o, "levels", levels);
		}
		free(lv);
		return json_emit(list, o, err);
	} else if (full) {
		printf("%3" PRIu32 "  %-15s %6" PRIu32 "  %6" PRIu32 "..%-6" PRIu32
		       " ", id, pi.name, level, min, max);
		for (size_t i = 0; i < n; i++)
			printf(" %" PRIu32, lv[i].level);
		printf("\n");
	} else {
		printf("performance domain %" PRIu32 " (%s): level %" PRIu32 "\n",
		       id, pi.name, level);
	}
	free(lv);
	return 0;
}

static int do_perf(struct ctx *c, int argc, char **argv)
{
	uint32_t id, level;
	unsigned n;
	int ret;

	if (argc == 1 && !strcmp(argv[0], "list")) {
		json_t *list = NULL;

		ret = copro_scmi_perf_count(c->a, &n);
		if (ret)
			return fail(c, ret);
		if (c->json && !(list = json_array()))
			return fail(c, -ENOMEM);
		if (!c->json)
			printf("%3s  %-15s %6s  %-14s  %s\n", "id", "name",
			       "level", "limits", "levels");
		for (id = 0; id < n && !ret; id++)
			ret = perf_one(c, id, true, list);
		if (ret) {
			json_decref(list);
			return fail(c, ret);
		}
		return list ? json_emit_list("domains", list) : 0;
	}
	if (argc == 2 && !strcmp(argv[0], "get")) {
		if (parse_id("scmi", argv[1], &id))
			return CLI_EXIT_USAGE;
		ret = 0;
	} else if (argc == 3 && !strcmp(argv[0], "set")) {
		if (parse_id("scmi", argv[1], &id) ||
		    parse_id("scmi", argv[2], &level))
			return CLI_EXIT_USAGE;
		ret = copro_scmi_perf_level_set(c->a, id, level);
	} else {
		return cli_usage_error("scmi",
				       "perf: list | get ID | set ID LEVEL");
	}
	if (!ret)
		ret = perf_one(c, id, false, NULL);
	return ret ? fail(c, ret) : 0;
}

/* ---- resets ------------------------------------------------------------------- */

static int do_reset(struct ctx *c, int argc, char **argv)
{
	struct copro_scmi_reset_info ri;
	uint32_t id;
	int ret;

	if (argc != 1)
		return cli_usage_error("scmi", "reset ID");
	if (parse_id("scmi", argv[0], &id))
		return CLI_EXIT_USAGE;
	ret = copro_scmi_reset_attributes(c->a, id, &ri);
	if (!ret)
		ret = copro_scmi_reset(c->a, id, c->async);
	if (ret)
		return fail(c, ret);
	if (c->json) {
		json_t *j = json_object();
		int err = 0;

		err |= cli_json_int(j, "id", id);
		err |= cli_json_str(j, "name", ri.name);
		err |= cli_json_set(j, "reset", json_true());
		err |= cli_json_set(j, "async", json_boolean(c->async));
		return cli_json_print("copro scmi", j, err, stdout);
	} else {
		printf("reset domain %" PRIu32 " (%s): reset%s\n", id, ri.name,
		       c->async ? " (RESET_COMPLETE received)" : "");
	}
	return 0;
}

/* ---- sensors --------------------------------------------------------------------- */

/* value x 10^scale as a decimal, exactly. */
static void print_scaled(int64_t v, int scale)
{
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t p = 1;

	if (scale >= 0) {
		printf("%" PRId64 "e%d", v, scale);
		return;
	}
	for (int i = 0; i < -scale && i < 19; i++)
		p *= 10;
	printf("%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", m / p, -scale,
	       m % p);
}

static int sensor_one(struct ctx *c, const struct copro_scmi_sensor_info *si,
		      json_t *list)
{
	int64_t v;
	int ret = copro_scmi_sensor_read(c->a, si->id, c->async && si->async,
					 &v);

	if (ret)
		return ret;
	if (c->json) {
		json_t *o = json_object();
		int err = 0;

		err |= cli_json_int(o, "id", si->id);
		err |= cli_json_str(o, "name", si->name);
		err |= cli_json_int(o, "type", si->type);
		err |= cli_json_str(o, "unit", copro_scmi_sensor_unit(si->type));
		err |= cli_json_int(o, "scale", si->scale);
		err |= cli_json_int(o, "value", v);
		return json_emit(list, o, err);
	} else {
		printf("sensor %" PRIu32 " (%s): ", si->id, si->name);
		print_scaled(v, si->scale);
		printf(" %s (%" PRId64 " x 10^%d)\n",
		       copro_scmi_sensor_unit(si->type), v, si->scale);
	}
	return 0;
}

static int do_sensor(struct ctx *c, int argc, char **argv)
{
	struct copro_scmi_sensor_info *si = NULL;
	json_t *arr = NULL;
	bool list = argc == 1 && !strcmp(argv[0], "list");
	uint32_t id = 0;
	size_t n;
	int ret;

	if (!list && !(argc == 2 && !strcmp(argv[0], "get")))
		return cli_usage_error("scmi", "sensor: list | get ID");
	if (!list && parse_id("scmi", argv[1], &id))
		return CLI_EXIT_USAGE;
	ret = copro_scmi_sensor_list(c->a, &si, &n);
	if (ret)
		return fail(c, ret);
	if (list && c->json && !(arr = json_array()))
		ret = -ENOMEM;
	if (!list && id >= n)
		ret = -ENOENT;
	for (size_t i = 0; i < n && !ret; i++)
		if (list || si[i].id == id)
			ret = sensor_one(c, &si[i], arr);
	free(si);
	if (ret) {
		json_decref(arr);
		return fail(c, ret);
	}
	return arr ? json_emit_list("sensors", arr) : 0;
}

/* ---- the command -------------------------------------------------------------- */

int cmd_scmi(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "board", required_argument, NULL, 'b' },
		{ "agent", required_argument, NULL, 'a' },
		{ "async", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ "trace", no_argument, NULL, 't' },
		{ "poll", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scmi_session_config cfg = { 0 };
	struct ctx c = { .trace_out = stdout };
	bool trace_on = false, verbose = false;
	char what[128] = "";
	uint64_t agent;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "b:a:jtpvh", opts, NULL)) != -1) {
		switch (opt) {
		case 'b': cfg.board = optarg; break;
		case 'a':
			if (cli_parse_count("scmi", "--agent", optarg, &agent))
				return CLI_EXIT_USAGE;
			if (agent > 63)
				return cli_usage_error("scmi", "no agent %s",
						       optarg);
			cfg.agent = (unsigned)agent;
			break;
		case 'A': c.async = true; break;
		case 'j': c.json = true; break;
		case 't': trace_on = true; break;
		case 'p': cfg.scmi.poll = true; break;
		case 'v': verbose = true; break;
		case 'h': cmd_scmi_usage(stdout); return 0;
		default: return cli_usage_error("scmi", "invalid option");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return cli_usage_error("scmi", "missing command");
	for (int i = 0; i < argc; i++) {
		size_t len = strlen(what);

		snprintf(what + len, sizeof(what) - len, "%s%s", i ? " " : "",
			 argv[i]);
	}
	c.what = what;
	if (c.async && !(argc >= 2 && ((!strcmp(argv[0], "clock") &&
					 !strcmp(argv[1], "set")) ||
					(!strcmp(argv[0], "sensor") &&
					 !strcmp(argv[1], "get")))) &&
	    strcmp(argv[0], "reset"))
		return cli_usage_error("scmi", "--async goes with clock set,"
				       " reset and sensor get");
	if (strcmp(argv[0], "list") && strcmp(argv[0], "clock") &&
	    strcmp(argv[0], "pd") && strcmp(argv[0], "perf") &&
	    strcmp(argv[0], "reset") && strcmp(argv[0], "sensor"))
		return cli_usage_error("scmi", "unknown command '%s'", argv[0]);
	if (!strcmp(argv[0], "list") && argc != 1)
		return cli_usage_error("scmi", "list takes no arguments");

	if (copro_log_create(NULL, verbose ? COPRO_LOG_DEBUG : COPRO_LOG_WARN,
			     &cfg.log))
		return CLI_EXIT_FAILURE;
	c.trace_out = c.json ? stderr : stdout;
	if (trace_on) {
		cfg.scmi.trace = trace;
		cfg.scmi.trace_ctx = &c;
	}
	ret = scmi_session_open(&cfg, &c.s);
	if (ret) {
		fprintf(stderr, "copro scmi: cannot bring up agent %u of board"
			" %s: %s\n", cfg.agent,
			cfg.board ? cfg.board : SCMI_SESSION_DEFAULT_BOARD,
			copro_strerror(ret));
		copro_log_destroy(cfg.log);
		return CLI_EXIT_FAILURE;
	}
	c.a = c.s.scmi;
	if (!strcmp(argv[0], "list"))
		ret = do_list(&c);
	else if (!strcmp(argv[0], "clock"))
		ret = do_clock(&c, argc - 1, argv + 1);
	else if (!strcmp(argv[0], "pd"))
		ret = do_pd(&c, argc - 1, argv + 1);
	else if (!strcmp(argv[0], "perf"))
		ret = do_perf(&c, argc - 1, argv + 1);
	else if (!strcmp(argv[0], "reset"))
		ret = do_reset(&c, argc - 1, argv + 1);
	else
		ret = do_sensor(&c, argc - 1, argv + 1);
	scmi_session_close(&c.s);
	copro_log_destroy(cfg.log);
	return ret;
}
