/* SPDX-License-Identifier: MIT */
/*
 * copro boot --sequence: any sequence of RTKit lifecycle steps on the
 * board's NVMe coprocessor, each with its result, both power states and
 * the endpoint map afterwards, as text or as JSON (jansson).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <copro/error.h>
#include <copro/rtkit.h>
#include <copro/sim/rtkit_fw.h>
#include <copro/os.h>

#include "boot_sequence.h"
#include "cli.h"

/* Lines the firmware sends after a step: wait for quiet, bounded. */
#define SEQ_QUIET_NS (50 * COPRO_NSEC_PER_MSEC)
#define SEQ_SETTLE_MAX_NS COPRO_NSEC_PER_SEC

static const char *const step_names[] = {
	[SEQ_BOOT] = "boot",	       [SEQ_SHUTDOWN] = "shutdown",
	[SEQ_QUIESCE] = "quiesce",     [SEQ_WAKE] = "wake",
	[SEQ_IDLE] = "idle",	       [SEQ_POWEROFF] = "poweroff",
	[SEQ_TAKEOVER] = "takeover",
};

int boot_sequence_parse(const char *list, struct boot_sequence *seq)
{
	char buf[512], *save = NULL, *tok;

	seq->n = 0;
	if (!list || strlen(list) >= sizeof(buf))
		return cli_usage_error("boot", "--sequence needs a list of at most %zu characters",
				       sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t k;

		for (k = 0; k < SEQ_COUNT; k++)
			if (!strcmp(tok, step_names[k]))
				break;
		if (k == SEQ_COUNT)
			return cli_usage_error("boot", "unknown step '%s' in --sequence (steps: boot, shutdown, quiesce, wake, idle, poweroff, takeover)",
					       tok);
		if (seq->n == BOOT_SEQUENCE_MAX)
			return cli_usage_error("boot", "--sequence has more than %d steps",
					       BOOT_SEQUENCE_MAX);
		seq->steps[seq->n++] = (enum seq_step)k;
	}
	if (!seq->n)
		return cli_usage_error("boot", "--sequence lists no step");
	return 0;
}

/* Waits until the host has received nothing for SEQ_QUIET_NS. */
static void settle(struct rtkit_session *s, bool polled)
{
	uint64_t end = copro_deadline(SEQ_SETTLE_MAX_NS), quiet = copro_time_ns();
	struct copro_rtkit_stats st;
	uint64_t seen;

	copro_rtkit_get_stats(s->rtk, &st);
	seen = st.received;
	while (copro_deadline_left(end) > 0 &&
	       copro_time_ns() - quiet < SEQ_QUIET_NS) {
		if (polled)
			copro_rtkit_poll(s->rtk);
		else
			copro_sleep_ns(COPRO_NSEC_PER_MSEC);
		copro_rtkit_get_stats(s->rtk, &st);
		if (st.received != seen) {
			seen = st.received;
			quiet = copro_time_ns();
		}
	}
}

/* A cold boot: the CPU (re)started, the host's view forgotten. */
static int cold_boot(struct rtkit_session *s)
{
	rtkit_session_cpu_run(s, false);
	copro_rtkit_reinit(s->rtk);
	rtkit_session_cpu_run(s, true);
	return copro_rtkit_boot(s->rtk);
}

static int run_step(struct rtkit_session *s, enum seq_step step)
{
	switch (step) {
	case SEQ_BOOT:
		return cold_boot(s);
	case SEQ_SHUTDOWN:
		return copro_rtkit_shutdown(s->rtk);
	case SEQ_QUIESCE:
		return copro_rtkit_quiesce(s->rtk);
	case SEQ_WAKE:
		return copro_rtkit_wake(s->rtk);
	case SEQ_IDLE:
		return copro_rtkit_idle(s->rtk);
	case SEQ_POWEROFF:
		return copro_rtkit_poweroff(s->rtk);
	case SEQ_TAKEOVER:
		return copro_rtkit_takeover(s->rtk);
	case SEQ_COUNT:
		break;
	}
	return -EINVAL;
}

static json_t *endpoints(const struct copro_rtkit *rtk)
{
	json_t *a = json_array();

	for (unsigned ep = 1; ep < COPRO_RTKIT_MAX_EPS; ep++)
		if (copro_rtkit_has_ep(rtk, (uint8_t)ep))
			json_array_append_new(a, json_string(copro_rtkit_ep_name((uint8_t)ep)));
	return a;
}

static void print_row(FILE *out, json_t *row)
{
	json_t *eps = json_object_get(row, "endpoints");
	size_t i;
	json_t *v;

	fprintf(out, "  %-9s %-24s %-9s %-9s", json_string_value(json_object_get(row, "step")),
		json_string_value(json_object_get(row, "result")),
		json_string_value(json_object_get(row, "iop_state")),
		json_string_value(json_object_get(row, "ap_state")));
	if (!json_array_size(eps))
		fprintf(out, " -");
	json_array_foreach(eps, i, v)
		fprintf(out, " %s", json_string_value(v));
	fprintf(out, "\n");
}

int boot_sequence_run(struct rtkit_session *s, const char *board,
		      const struct boot_sequence *seq, bool json, bool polled)
{
	struct copro_sim_rtkit *fw = copro_board_rtkit(s->board, s->node);
	struct copro_sim_rtkit_stats fst = { 0 };
	struct copro_rtkit_stats hst;
	json_t *root = json_object(), *steps = json_array();
	size_t i;
	json_t *row;
	int failed = 0;

	if (!root || !steps)
		return -ENOMEM;
	json_object_set_new(root, "board", json_string(board));
	for (unsigned k = 0; k < seq->n; k++) {
		int ret = run_step(s, seq->steps[k]);

		settle(s, polled);
		row = json_object();
		json_object_set_new(row, "step", json_string(step_names[seq->steps[k]]));
		json_object_set_new(row, "result",
				    json_string(ret ? copro_strerror(ret) : "ok"));
		json_object_set_new(row, "error", json_integer(ret));
		json_object_set_new(row, "iop_state",
				    json_string(copro_rtkit_pwr_state_name(
					    copro_rtkit_iop_state(s->rtk))));
		json_object_set_new(row, "ap_state",
				    json_string(copro_rtkit_pwr_state_name(
					    copro_rtkit_ap_state(s->rtk))));
		json_object_set_new(row, "running",
				    json_boolean(copro_rtkit_is_running(s->rtk)));
		json_object_set_new(row, "endpoints", endpoints(s->rtk));
		json_array_append_new(steps, row);
		if (ret)
			failed++;
	}
	json_object_set_new(root, "steps", steps);
	if (fw)
		copro_sim_rtkit_get_stats(fw, &fst);
	copro_rtkit_get_stats(s->rtk, &hst);
	json_object_set_new(root, "firmware_refused", json_integer((json_int_t)fst.refused));
	json_object_set_new(root, "firmware_boots", json_integer((json_int_t)fst.boots));
	json_object_set_new(root, "host_refused", json_integer((json_int_t)hst.refused));

	if (json) {
		json_dumpf(root, stdout, JSON_INDENT(0) | JSON_COMPACT);
		printf("\n");
	} else {
		printf("board %s: %s\n", board, s->path);
		printf("  %-9s %-24s %-9s %-9s %s\n", "step", "result", "IOP", "AP",
		       "endpoints");
		json_array_foreach(steps, i, row)
			print_row(stdout, row);
		printf("firmware: %llu boots, %llu messages refused; host: %llu refused\n",
		       (unsigned long long)fst.boots,
		       (unsigned long long)fst.refused,
		       (unsigned long long)hst.refused);
	}
	json_decref(root);
	return failed ? -EIO : 0;
}
