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
#include <copro/dt.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>
#include <copro/sim/rtkit_fw.h>
#include <copro/os.h>

#include "boot_sequence.h"
#include "cli.h"
#include "cli_json.h"

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

static json_t *endpoints(const struct copro_rtkit *rtk, int *err)
{
	json_t *a = json_array();

	for (unsigned ep = 1; ep < COPRO_RTKIT_MAX_EPS; ep++)
		if (copro_rtkit_has_ep(rtk, (uint8_t)ep))
			*err |= cli_json_append_str(a, copro_rtkit_ep_name((uint8_t)ep));
	return a;
}

/* One step's row: its result, both power states, the endpoint map. */
static json_t *step_row(struct rtkit_session *s, enum seq_step step, int ret,
			int *err)
{
	json_t *row = json_object();

	*err |= cli_json_str(row, "step", step_names[step]);
	*err |= cli_json_str(row, "result", ret ? copro_strerror(ret) : "ok");
	*err |= cli_json_int(row, "error", ret);
	*err |= cli_json_str(row, "iop_state",
			     copro_rtkit_pwr_state_name(copro_rtkit_iop_state(s->rtk)));
	*err |= cli_json_str(row, "ap_state",
			     copro_rtkit_pwr_state_name(copro_rtkit_ap_state(s->rtk)));
	*err |= cli_json_set(row, "running",
			     json_boolean(copro_rtkit_is_running(s->rtk)));
	*err |= cli_json_set(row, "endpoints", endpoints(s->rtk, err));
	return row;
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

/* The mailbox model behind the session's coprocessor, if the board has it. */
static struct copro_sim_asc *session_asc(const struct rtkit_session *s)
{
	struct copro_dt_ref ref;

	if (copro_dt_ref(copro_board_dt(s->board), s->node, "mboxes",
			 "#mbox-cells", 0, &ref))
		return NULL;
	return copro_board_asc(s->board, ref.node);
}

int boot_sequence_run(struct rtkit_session *s, const char *board,
		      const struct boot_sequence *seq, bool json, bool polled)
{
	struct copro_sim_rtkit *fw = copro_board_rtkit(s->board, s->node);
	struct copro_sim_asc *asc = session_asc(s);
	struct copro_sim_rtkit_stats fst = { 0 };
	struct copro_sim_asc_stats ast = { 0 };
	struct copro_rtkit_stats hst;
	json_t *root = json_object(), *steps = json_array();
	size_t i;
	json_t *row;
	int failed = 0, err = 0, rc;

	for (unsigned k = 0; k < seq->n; k++) {
		int ret = run_step(s, seq->steps[k]);

		settle(s, polled);
		row = step_row(s, seq->steps[k], ret, &err);
		if (!steps) {
			json_decref(row);
			err |= -ENOMEM;
		} else if (json_array_append_new(steps, row)) {
			err |= -ENOMEM;
		}
		if (ret)
			failed++;
	}
	if (fw)
		copro_sim_rtkit_get_stats(fw, &fst);
	if (asc)
		copro_sim_asc_get_stats(asc, &ast);
	copro_rtkit_get_stats(s->rtk, &hst);
	err |= cli_json_str(root, "board", board);
	err |= cli_json_set(root, "steps", json_incref(steps));
	err |= cli_json_int(root, "firmware_boots", (long long)fst.boots);
	/* Every model's refusals: a host that does as the real drivers do gets none. */
	err |= cli_json_int(root, "firmware_refused", (long long)fst.refused);
	err |= cli_json_int(root, "sart_blocked", (long long)fst.sart_blocked);
	err |= cli_json_int(root, "mailbox_bad_accesses", (long long)ast.bad_accesses);
	err |= cli_json_int(root, "host_refused", (long long)hst.refused);

	if (json) {
		rc = cli_json_print("boot", root, err, stdout);
	} else {
		printf("board %s: %s\n", board, s->path);
		printf("  %-9s %-24s %-9s %-9s %s\n", "step", "result", "IOP", "AP",
		       "endpoints");
		json_array_foreach(steps, i, row)
			print_row(stdout, row);
		printf("firmware: %llu boots, %llu messages refused; SART: %llu DMA blocked; mailbox: %llu bad accesses; host: %llu refused\n",
		       (unsigned long long)fst.boots,
		       (unsigned long long)fst.refused,
		       (unsigned long long)fst.sart_blocked,
		       (unsigned long long)ast.bad_accesses,
		       (unsigned long long)hst.refused);
		json_decref(root);
		rc = 0;
	}
	json_decref(steps);
	if (rc)
		return -EIO;
	return failed ? -EIO : 0;
}
