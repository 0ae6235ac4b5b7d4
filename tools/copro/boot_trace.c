/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <copro/regs/rtkit.h>

#include "boot_trace.h"
#include "cli_json.h"

/* This thread's id, asked of the kernel once per thread. */
static long thread_id(void)
{
	static _Thread_local long tid;

	if (!tid)
		tid = syscall(SYS_gettid);
	return tid;
}

static void on_trace(void *ctx, bool to_iop, uint8_t ep, uint64_t msg,
		     uint64_t time_ns)
{
	struct boot_trace *t = ctx;
	bool by_starter = thread_id() == t->starter;

	copro_mutex_lock(&t->lock);
	if (t->nmsgs < BOOT_TRACE_MAX)
		t->msgs[t->nmsgs++] = (struct boot_trace_msg){
			.time_ns = time_ns, .msg = msg, .ep = ep, .to_iop = to_iop,
			.by_starter = by_starter,
		};
	else
		t->dropped++;
	copro_mutex_unlock(&t->lock);
}

static void on_syslog(void *ctx, const char *context, const char *text)
{
	struct boot_trace *t = ctx;
	size_t len = strlen(context) + strlen(text) + 4;
	char *line = malloc(len);

	if (!line)
		return;
	snprintf(line, len, "[%s] %s", context, text);
	copro_mutex_lock(&t->lock);
	if (t->nsyslog < BOOT_TRACE_SYSLOG_MAX) {
		t->syslog[t->nsyslog++] = line;
		line = NULL;
	}
	copro_mutex_unlock(&t->lock);
	free(line);
}

static const struct copro_rtkit_ops trace_ops = {
	.trace = on_trace,
	.syslog = on_syslog,
};

const struct copro_rtkit_ops *boot_trace_ops(void)
{
	return &trace_ops;
}

struct boot_trace *boot_trace_create(void)
{
	struct boot_trace *t = calloc(1, sizeof(*t));

	if (t && copro_mutex_init(&t->lock)) {
		free(t);
		return NULL;
	}
	return t;
}

static void clear_syslog(struct boot_trace *t)
{
	for (size_t i = 0; i < t->nsyslog; i++)
		free(t->syslog[i]);
	t->nsyslog = 0;
}

void boot_trace_destroy(struct boot_trace *t)
{
	if (!t)
		return;
	clear_syslog(t);
	copro_mutex_destroy(&t->lock);
	free(t);
}

void boot_trace_start(struct boot_trace *t, uint64_t t0)
{
	copro_mutex_lock(&t->lock);
	t->t0 = t0;
	t->starter = thread_id();
	t->nmsgs = t->dropped = t->booted_at = 0;
	clear_syslog(t);
	copro_mutex_unlock(&t->lock);
}

void boot_trace_mark_booted(struct boot_trace *t, const struct copro_rtkit *rtk)
{
	copro_mutex_lock(&t->lock);
	t->booted_at = t->nmsgs;
	/*
	 * The handshake ends with the ACK of AP ON; syslog lines the
	 * firmware prints right after it may already be in the trace.
	 */
	for (size_t i = 0; i < t->nmsgs; i++) {
		const struct boot_trace_msg *m = &t->msgs[i];

		if (!m->to_iop && m->ep == COPRO_RTKIT_EP_MGMT &&
		    RTK_MGMT_TYPE(m->msg) == RTK_MGMT_SET_AP_PWR_STATE &&
		    RTK_PWR_STATE(m->msg) == COPRO_RTKIT_PWR_ON) {
			t->booted_at = i + 1;
			break;
		}
	}
	copro_mutex_unlock(&t->lock);
	t->version = copro_rtkit_version(rtk);
	t->neps = 0;
	for (unsigned ep = 1; ep < COPRO_RTKIT_MAX_EPS; ep++)
		if (copro_rtkit_has_ep(rtk, (uint8_t)ep))
			t->eps[t->neps++] = (uint8_t)ep;
}

size_t boot_trace_count(struct boot_trace *t)
{
	size_t n;

	copro_mutex_lock(&t->lock);
	n = t->nmsgs + t->dropped;
	copro_mutex_unlock(&t->lock);
	return n;
}

unsigned boot_trace_round_trips(const struct boot_trace *t)
{
	unsigned n = 0;

	for (size_t i = 1; i < t->booted_at; i++)
		if (t->msgs[i - 1].to_iop && !t->msgs[i].to_iop)
			n++;
	return n;
}

void boot_trace_format(char *buf, size_t len, bool to_iop, uint8_t ep,
		       uint64_t msg)
{
	char line[160];

	copro_rtkit_decode(line, sizeof(line), to_iop, ep, msg);
	snprintf(buf, len, "%-9s %-52s 0x%016llx",
		 to_iop ? "AP -> IOP" : "IOP -> AP", line,
		 (unsigned long long)msg);
}

void boot_trace_print(const struct boot_trace *t, size_t first, size_t end,
		      FILE *out)
{
	if (end > t->nmsgs)
		end = t->nmsgs;
	for (size_t i = first; i < end; i++) {
		const struct boot_trace_msg *m = &t->msgs[i];
		char line[256];
		double us = m->time_ns >= t->t0 ? (double)(m->time_ns - t->t0) / 1e3
						 : 0.0;

		boot_trace_format(line, sizeof(line), m->to_iop, m->ep, m->msg);
		fprintf(out, "  %10.1f  %s\n", us, line);
	}
	if (end == t->nmsgs && t->dropped)
		fprintf(out, "  (%zu more messages not recorded)\n", t->dropped);
}

void boot_trace_endpoints(const struct boot_trace *t, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < t->neps && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
				 copro_rtkit_ep_name(t->eps[i]));
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int boot_trace_json(const struct boot_trace *t, const char *board,
		    uint64_t boot_ns, FILE *out)
{
	json_t *j = json_object(), *eps = json_array(), *syslog = json_array();
	int err = 0;

	for (unsigned i = 0; i < t->neps; i++)
		err |= cli_json_append_str(eps, copro_rtkit_ep_name(t->eps[i]));
	for (size_t i = 0; i < t->nsyslog; i++)
		err |= cli_json_append_str(syslog, t->syslog[i]);
	err |= cli_json_str(j, "board", board);
	err |= cli_json_int(j, "version", t->version);
	err |= cli_json_set(j, "endpoints", eps);
	err |= cli_json_num(j, "boot_us", (double)boot_ns / 1e3);
	err |= cli_json_int(j, "round_trips", boot_trace_round_trips(t));
	err |= cli_json_int(j, "messages", (long long)t->booted_at);
	err |= cli_json_set(j, "syslog", syslog);
	return cli_json_print("boot", j, err, out);
}
