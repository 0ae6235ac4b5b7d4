/* SPDX-License-Identifier: MIT */
/*
 * `copro trace FILE`: a recording as text, one event a line in time
 * order, with register names and, beneath the accesses that complete
 * them, the RTKit messages and NVMe events they carry.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <copro/error.h>

#include "trace_decode.h"
#include "trace_print.h"

static uint32_t line_device(const struct copro_trace_info *in, uint32_t line)
{
	const struct copro_trace_line *l = copro_trace_line_find(in, line);

	return l ? l->device : COPRO_TRACE_NO_DEVICE;
}

/* "590 (recv-not-empty)" or "590". */
static void line_label(const struct copro_trace_info *in, uint32_t line,
		       char *buf, size_t len)
{
	const struct copro_trace_line *l = copro_trace_line_find(in, line);

	if (l && l->name[0])
		snprintf(buf, len, "%u (%s)", line, l->name);
	else
		snprintf(buf, len, "%u", line);
}

uint32_t trace_event_device(const struct copro_trace_info *in,
			    const struct copro_trace_event *e)
{
	switch (e->kind) {
	case COPRO_TRACE_MAP:
	case COPRO_TRACE_UNMAP:
	case COPRO_TRACE_MMIO:
		return in->regions[e->u.mmio.region].device;
	case COPRO_TRACE_IRQ_REQUEST:
	case COPRO_TRACE_IRQ_FREE:
	case COPRO_TRACE_IRQ_ENABLE:
	case COPRO_TRACE_IRQ_DISABLE:
	case COPRO_TRACE_IRQ_HANDLER:
		return line_device(in, in->irqs[e->u.irq.irq].line);
	case COPRO_TRACE_IRQ_LEVEL:
		return line_device(in, e->u.level.line);
	case COPRO_TRACE_RESET:
	case COPRO_TRACE_POWER:
		return e->u.pr.device;
	default:
		return COPRO_TRACE_NO_DEVICE;
	}
}

static void result(char *buf, size_t len, int32_t rc)
{
	if (rc)
		snprintf(buf, len, ": failed, %s", copro_strerror(rc));
	else
		buf[0] = '\0';
}

void trace_event_text(const struct copro_trace_info *in,
		      const struct copro_trace_event *e, char *buf, size_t len)
{
	const struct copro_trace_region *r;
	const struct copro_trace_irq *q;
	char l[96], res[96];
	const char *reg;

	switch (e->kind) {
	case COPRO_TRACE_MAP:
		r = &in->regions[e->u.mmio.region];
		snprintf(buf, len, "map [0x%" PRIx64 ", +0x%" PRIx64 ") '%s'",
			 r->phys, r->size, r->name);
		return;
	case COPRO_TRACE_UNMAP:
		snprintf(buf, len, "unmap '%s'",
			 in->regions[e->u.mmio.region].name);
		return;
	case COPRO_TRACE_MMIO:
		r = &in->regions[e->u.mmio.region];
		reg = copro_trace_reg_name(in, r, e->u.mmio.off);
		if (reg)
			snprintf(l, sizeof(l), "%s", reg);
		else
			snprintf(l, sizeof(l), "+0x%" PRIx64, e->u.mmio.off);
		snprintf(res, sizeof(res), " (%u more times)", e->u.mmio.repeat);
		snprintf(buf, len, "%-5s %-20s %s 0x%0*" PRIx64 "%s",
			 e->u.mmio.write ? "write" : "read", l,
			 e->u.mmio.write ? "<-" : "->", 2 * e->u.mmio.width,
			 e->u.mmio.val, e->u.mmio.repeat ? res : "");
		return;
	case COPRO_TRACE_IRQ_REQUEST:
	case COPRO_TRACE_IRQ_FREE:
	case COPRO_TRACE_IRQ_ENABLE:
	case COPRO_TRACE_IRQ_DISABLE:
		q = &in->irqs[e->u.irq.irq];
		line_label(in, q->line, l, sizeof(l));
		snprintf(buf, len, "%s line %s for '%s'",
			 e->kind == COPRO_TRACE_IRQ_REQUEST ? "request"
			 : e->kind == COPRO_TRACE_IRQ_FREE  ? "free"
			 : e->kind == COPRO_TRACE_IRQ_ENABLE ? "enable"
							     : "disable",
			 l, q->name);
		return;
	case COPRO_TRACE_IRQ_HANDLER:
		q = &in->irqs[e->u.irq.irq];
		line_label(in, q->line, l, sizeof(l));
		snprintf(buf, len, "handler '%s' of line %s ran %.3f us", q->name,
			 l, (double)e->u.irq.dur_ns / 1e3);
		return;
	case COPRO_TRACE_IRQ_LEVEL:
		line_label(in, e->u.level.line, l, sizeof(l));
		snprintf(buf, len, "line %s %s", l,
			 e->u.level.level ? "asserted" : "deasserted");
		return;
	case COPRO_TRACE_DMA_FAULT:
		snprintf(buf, len, "DMA bus fault: '%s' at [0x%" PRIx64 ", +0x%" PRIx64 ")",
			 e->u.fault.who, e->u.fault.phys, e->u.fault.len);
		return;
	case COPRO_TRACE_RESET:
	case COPRO_TRACE_POWER:
		result(res, sizeof(res), e->u.pr.result);
		snprintf(buf, len, "%s %u %s%s",
			 e->kind == COPRO_TRACE_RESET ? "reset line" : "power domain",
			 e->u.pr.arg,
			 e->kind == COPRO_TRACE_RESET
				 ? (e->u.pr.on ? "asserted" : "deasserted")
				 : (e->u.pr.on ? "on" : "off"),
			 res);
		return;
	case COPRO_TRACE_FWCALL:
		result(res, sizeof(res), e->u.fw.result);
		snprintf(buf, len,
			 "%s 0x%08" PRIx64 " (0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
			 ") -> 0x%" PRIx64 " (0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
			 ") in %.3f us%s",
			 e->u.fw.conduit == 1 ? "SMC" : "HVC", e->u.fw.in[0],
			 e->u.fw.in[1], e->u.fw.in[2], e->u.fw.in[3],
			 e->u.fw.out[0], e->u.fw.out[1], e->u.fw.out[2],
			 e->u.fw.out[3], (double)e->u.fw.dur_ns / 1e3, res);
		return;
	default: /* DMA */
		result(res, sizeof(res), e->u.dma.result);
		snprintf(buf, len, "%s [0x%" PRIx64 ", +0x%" PRIx64 ")%s",
			 copro_trace_kind_name(e->kind), e->u.dma.phys,
			 e->u.dma.size, res);
		return;
	}
}

void trace_thread_label(const struct copro_trace_info *in, uint32_t thread,
			char *buf, size_t len)
{
	const struct copro_trace_thread *t = &in->threads[thread];

	snprintf(buf, len, "%s/%u", t->name, t->tid);
}

void trace_print_summary(const struct copro_trace_info *in, const char *path,
			 FILE *out)
{
	double ms = in->nevents ? (double)in->events[in->nevents - 1].ns / 1e6 : 0;

	fprintf(out,
		"trace %s: board %s, backend %s, pid %u: %zu events from %zu threads over %.3f ms\n",
		path, in->board[0] ? in->board : "(none)", in->backend, in->pid,
		in->nevents, in->nthreads, ms);
}

int trace_print(const struct copro_trace_info *in, bool messages_only,
		FILE *out)
{
	struct trace_decode *d = trace_decode_new(in);
	struct trace_note n;
	char th[48], text[320];

	if (!d)
		return -ENOMEM;
	fprintf(out, "\n  %12s  %-22s %-20s %s\n", "time (us)", "thread",
		"device", "event");
	for (size_t i = 0; i < in->nevents; i++) {
		const struct copro_trace_event *e = &in->events[i];
		const char *dev = trace_device_short(in, trace_event_device(in, e));
		bool noted = trace_decode_event(d, i, &n);

		if (messages_only && !noted)
			continue;
		trace_thread_label(in, e->thread, th, sizeof(th));
		if (!messages_only) {
			trace_event_text(in, e, text, sizeof(text));
			fprintf(out, "  %12.3f  %-22s %-20s %s\n",
				(double)e->ns / 1e3, th, dev, text);
		}
		if (noted)
			fprintf(out, "  %12.3f  %-22s %-20s %-5s %s\n",
				(double)e->ns / 1e3, th, dev, n.cat, n.text);
	}
	trace_decode_free(d);
	return 0;
}
