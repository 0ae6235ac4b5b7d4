/* SPDX-License-Identifier: MIT */
/*
 * A recording in Chrome's Trace Event Format, for Perfetto and
 * chrome://tracing. Each device is a process (named by its devicetree
 * path), each recording thread a thread in the processes it touched;
 * register accesses and messages are instant events on the thread that
 * made them, interrupt handlers and firmware calls complete events with
 * their durations, an interrupt line's asserted spans B/E pairs on a
 * track of its own, and each NVMe tag a track of its own from doorbell
 * to TCB invalidation.
 *
 * The events are written one by one as jansson objects between the
 * array's brackets, so a long recording never sits in memory as JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/grow.h>
#include <copro/rtkit.h>

#include "trace_decode.h"
#include "trace_print.h"

/* Synthetic thread ids, above any kernel tid (pid_max is at most 2^22). */
#define TID_LINE 0x40000000u
#define TID_TAG 0x50000000u
#define TID_SYNTH_MASK 0x0fffffffu

struct track {
	uint32_t pid, tid;
	char name[64];
};

struct chrome {
	const struct copro_trace_info *in;
	FILE *out;
	size_t written;
	int err;
	uint32_t pid_host, pid_fw, pid_dma;
	struct track *tracks;
	size_t ntracks, cap;
	/* Lines now inside a B (asserted) span, for the matching E. */
	uint32_t *open;
	size_t nopen, capopen;
};

/* Adds ev (stolen) to the array. */
static void emit(struct chrome *c, json_t *ev)
{
	if (!ev) {
		c->err = c->err ? c->err : -ENOMEM;
		return;
	}
	if (!c->err) {
		if (c->written && fputs(",\n", c->out) < 0)
			c->err = -EIO;
		else if (json_dumpf(ev, c->out, JSON_COMPACT) < 0)
			c->err = -EIO;
	}
	c->written++;
	json_decref(ev);
}

/* Remember that (pid, tid) is used, with the name its metadata gives it. */
static void track(struct chrome *c, uint32_t pid, uint32_t tid,
		  const char *name)
{
	for (size_t i = 0; i < c->ntracks; i++)
		if (c->tracks[i].pid == pid && c->tracks[i].tid == tid)
			return;
	if (copro_grow((void **)&c->tracks, &c->cap, c->ntracks,
		       sizeof(*c->tracks))) {
		c->err = -ENOMEM;
		return;
	}
	c->tracks[c->ntracks] = (struct track){ .pid = pid, .tid = tid };
	snprintf(c->tracks[c->ntracks].name, sizeof(c->tracks[0].name), "%s",
		 name);
	c->ntracks++;
}

static uint32_t dev_pid(const struct chrome *c, uint32_t dev)
{
	return dev < c->in->ndevices ? dev + 1 : c->pid_host;
}

static double us(uint64_t ns)
{
	return (double)ns / 1e3;
}

/* An event of phase ph on (pid, thread's tid), with args (stolen, or NULL). */
static json_t *base(struct chrome *c, const char *ph, const char *name,
		    const char *cat, uint32_t pid, uint32_t tid, uint64_t ns,
		    json_t *args)
{
	json_t *ev = json_pack("{s:s, s:s, s:s, s:f, s:I, s:I}", "name", name,
			       "cat", cat, "ph", ph, "ts", us(ns), "pid",
			       (json_int_t)pid, "tid", (json_int_t)tid);

	if (ev && !strcmp(ph, "i"))
		json_object_set_new(ev, "s", json_string("t"));
	if (ev && args)
		json_object_set_new(ev, "args", args);
	else
		json_decref(args);
	return ev;
}

static json_t *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

static uint32_t thread_tid(struct chrome *c, uint32_t pid, uint32_t thread)
{
	char label[48];

	trace_thread_label(c->in, thread, label, sizeof(label));
	track(c, pid, c->in->threads[thread].tid, label);
	return c->in->threads[thread].tid;
}

static void mmio(struct chrome *c, const struct copro_trace_event *e,
		 uint32_t pid, uint32_t tid)
{
	const struct copro_trace_region *r = &c->in->regions[e->u.mmio.region];
	const char *reg = copro_trace_reg_name(c->in, r, e->u.mmio.off);
	char name[96];

	if (reg)
		snprintf(name, sizeof(name), "%s %s",
			 e->u.mmio.write ? "write" : "read", reg);
	else
		snprintf(name, sizeof(name), "%s +0x%" PRIx64,
			 e->u.mmio.write ? "write" : "read", e->u.mmio.off);
	emit(c, base(c, "i", name, "mmio", pid, tid, e->ns,
		     json_pack("{s:o, s:o, s:I, s:s, s:I}", "offset",
			       hex(e->u.mmio.off), "value", hex(e->u.mmio.val),
			       "width", (json_int_t)e->u.mmio.width, "window",
			       r->name, "repeat", (json_int_t)e->u.mmio.repeat)));
}

static void note(struct chrome *c, const struct copro_trace_event *e,
		 const struct trace_note *n, uint32_t pid, uint32_t tid)
{
	char name[200], line[160];

	switch (n->kind) {
	case NOTE_RTKIT:
		copro_rtkit_decode(line, sizeof(line), n->to_iop, n->ep, n->msg);
		snprintf(name, sizeof(name), "%s %s",
			 n->to_iop ? "AP -> IOP" : "IOP -> AP", line);
		emit(c, base(c, "i", name, "rtkit", pid, tid, e->ns,
			     json_pack("{s:s, s:I, s:o}", "endpoint",
				       copro_rtkit_ep_name(n->ep), "ep",
				       (json_int_t)n->ep, "msg", hex(n->msg))));
		return;
	case NOTE_NVME_DONE:
		snprintf(name, sizeof(name), "NVMe %s tag %u",
			 n->admin ? "admin" : "I/O", n->tag);
		snprintf(line, sizeof(line), "NVMe tag %u", n->tag);
		track(c, pid, TID_TAG + (n->tag & TID_SYNTH_MASK), line);
		json_t *ev = base(c, "X", name, "nvme", pid,
				  TID_TAG + (n->tag & TID_SYNTH_MASK),
				  n->submit_ns, NULL);
		if (ev)
			json_object_set_new(ev, "dur", json_real(us(e->ns - n->submit_ns)));
		emit(c, ev);
		return;
	default:
		emit(c, base(c, "i", n->text, n->cat, pid, tid, e->ns, NULL));
		return;
	}
}

static bool line_open(struct chrome *c, uint32_t line, bool set, bool *was)
{
	for (size_t i = 0; i < c->nopen; i++) {
		if (c->open[i] == line) {
			*was = true;
			if (!set)
				c->open[i] = c->open[--c->nopen];
			return true;
		}
	}
	*was = false;
	if (!set)
		return true;
	if (copro_grow((void **)&c->open, &c->capopen, c->nopen,
		       sizeof(*c->open)))
		return false;
	c->open[c->nopen++] = line;
	return true;
}

static void level(struct chrome *c, const struct copro_trace_event *e,
		  uint32_t pid)
{
	const struct copro_trace_line *l = copro_trace_line_find(c->in, e->u.level.line);
	uint32_t tid = TID_LINE + (e->u.level.line & TID_SYNTH_MASK);
	char name[96];
	bool was;

	snprintf(name, sizeof(name), "line %u%s%s%s", e->u.level.line,
		 l && l->name[0] ? " (" : "", l ? l->name : "",
		 l && l->name[0] ? ")" : "");
	track(c, pid, tid, name);
	if (!line_open(c, e->u.level.line, e->u.level.level, &was)) {
		c->err = -ENOMEM;
		return;
	}
	/* B on a rise, E on the fall that ends it; nothing unmatched. */
	if (e->u.level.level && !was)
		emit(c, base(c, "B", "asserted", "irq", pid, tid, e->ns, NULL));
	else if (!e->u.level.level && was)
		emit(c, base(c, "E", "asserted", "irq", pid, tid, e->ns, NULL));
}

static void fwcall(struct chrome *c, const struct copro_trace_event *e,
		   uint32_t tid)
{
	json_t *in = json_array(), *out = json_array(), *ev;
	char name[64];

	for (unsigned i = 0; i < COPRO_TRACE_FW_REGS; i++) {
		json_array_append_new(in, hex(e->u.fw.in[i]));
		json_array_append_new(out, hex(e->u.fw.out[i]));
	}
	snprintf(name, sizeof(name), "%s 0x%08" PRIx64,
		 e->u.fw.conduit == 1 ? "SMC" : "HVC", e->u.fw.in[0]);
	ev = base(c, "X", name, "fwcall", c->pid_fw, tid, e->ns,
		  json_pack("{s:o, s:o, s:i}", "in", in, "out", out, "result",
			    (int)e->u.fw.result));
	if (ev)
		json_object_set_new(ev, "dur", json_real(us(e->u.fw.dur_ns)));
	emit(c, ev);
}

static void one(struct chrome *c, struct trace_decode *d, size_t i)
{
	const struct copro_trace_event *e = &c->in->events[i];
	uint32_t dev = trace_event_device(c->in, e);
	uint32_t pid = dev_pid(c, dev), tid;
	struct trace_note n;
	char text[320];
	json_t *ev;

	switch (e->kind) {
	case COPRO_TRACE_MMIO:
		tid = thread_tid(c, pid, e->thread);
		mmio(c, e, pid, tid);
		if (trace_decode_event(d, i, &n))
			note(c, e, &n, pid, tid);
		return;
	case COPRO_TRACE_IRQ_LEVEL:
		level(c, e, pid);
		return;
	case COPRO_TRACE_IRQ_HANDLER:
		tid = thread_tid(c, pid, e->thread);
		snprintf(text, sizeof(text), "irq %s",
			 c->in->irqs[e->u.irq.irq].name);
		ev = base(c, "X", text, "irq", pid, tid, e->ns,
			  json_pack("{s:I}", "line",
				    (json_int_t)c->in->irqs[e->u.irq.irq].line));
		if (ev)
			json_object_set_new(ev, "dur", json_real(us(e->u.irq.dur_ns)));
		emit(c, ev);
		return;
	case COPRO_TRACE_FWCALL:
		fwcall(c, e, thread_tid(c, c->pid_fw, e->thread));
		return;
	case COPRO_TRACE_DMA_ALLOC:
	case COPRO_TRACE_DMA_ALLOC_AT:
	case COPRO_TRACE_DMA_FREE:
	case COPRO_TRACE_DMA_REGISTER:
	case COPRO_TRACE_DMA_UNREGISTER:
	case COPRO_TRACE_DMA_FAULT:
		pid = c->pid_dma;
		break;
	default:
		break;
	}
	tid = thread_tid(c, pid, e->thread);
	trace_event_text(c->in, e, text, sizeof(text));
	emit(c, base(c, "i", text, copro_trace_kind_name(e->kind), pid, tid,
		     e->ns, NULL));
}

static void metadata(struct chrome *c)
{
	const struct copro_trace_info *in = c->in;
	char name[400];

	for (uint32_t pid = 1; pid <= c->pid_dma; pid++) {
		bool used = false;

		for (size_t i = 0; i < c->ntracks && !used; i++)
			used = c->tracks[i].pid == pid;
		if (!used)
			continue;
		if (pid == c->pid_host)
			snprintf(name, sizeof(name), "host (no device)");
		else if (pid == c->pid_fw)
			snprintf(name, sizeof(name), "firmware calls (SMC/HVC)");
		else if (pid == c->pid_dma)
			snprintf(name, sizeof(name), "DMA memory");
		else
			snprintf(name, sizeof(name), "%s%s%s%s",
				 in->devices[pid - 1].path,
				 in->devices[pid - 1].compatible[0] ? " (" : "",
				 in->devices[pid - 1].compatible,
				 in->devices[pid - 1].compatible[0] ? ")" : "");
		emit(c, json_pack("{s:s, s:s, s:I, s:I, s:{s:s}}", "name",
				  "process_name", "ph", "M", "pid", (json_int_t)pid,
				  "tid", (json_int_t)0, "args", "name", name));
	}
	for (size_t i = 0; i < c->ntracks; i++)
		emit(c, json_pack("{s:s, s:s, s:I, s:I, s:{s:s}}", "name",
				  "thread_name", "ph", "M", "pid",
				  (json_int_t)c->tracks[i].pid, "tid",
				  (json_int_t)c->tracks[i].tid, "args", "name",
				  c->tracks[i].name));
}

int trace_chrome_write(const struct copro_trace_info *in, const char *path)
{
	struct chrome c = { .in = in };
	struct trace_decode *d = trace_decode_new(in);
	json_t *other;
	uint64_t last = in->nevents ? in->events[in->nevents - 1].ns : 0;

	if (!d)
		return -ENOMEM;
	c.pid_host = (uint32_t)in->ndevices + 1;
	c.pid_fw = c.pid_host + 1;
	c.pid_dma = c.pid_fw + 1;
	c.out = fopen(path, "w");
	if (!c.out) {
		int err = -errno;

		fprintf(stderr, "copro trace: cannot create %s: %s\n", path,
			strerror(errno));
		trace_decode_free(d);
		return err;
	}
	other = json_pack("{s:s, s:s, s:I, s:I}", "board", in->board, "backend",
			  in->backend, "pid", (json_int_t)in->pid,
			  "format_version", (json_int_t)in->version);
	if (fputs("{\"displayTimeUnit\": \"ns\", \"otherData\": ", c.out) < 0 ||
	    !other || json_dumpf(other, c.out, JSON_COMPACT) < 0 ||
	    fputs(", \"traceEvents\": [\n", c.out) < 0)
		c.err = -EIO;
	json_decref(other);
	for (size_t i = 0; i < in->nevents && !c.err; i++)
		one(&c, d, i);
	/* Lines still asserted at the end: close their spans there. */
	for (size_t i = 0; i < c.nopen && !c.err; i++) {
		uint32_t line = c.open[i];
		const struct copro_trace_line *l = copro_trace_line_find(in, line);

		emit(&c, base(&c, "E", "asserted", "irq",
			      dev_pid(&c, l ? l->device : COPRO_TRACE_NO_DEVICE),
			      TID_LINE + (line & TID_SYNTH_MASK), last, NULL));
	}
	if (!c.err)
		metadata(&c);
	if (!c.err && fputs("\n]}\n", c.out) < 0)
		c.err = -EIO;
	if (fclose(c.out) && !c.err)
		c.err = -EIO;
	if (c.err)
		fprintf(stderr, "copro trace: cannot write %s: %s\n", path,
			c.err == -ENOMEM ? "out of memory" : "write error");
	free(c.tracks);
	free(c.open);
	trace_decode_free(d);
	return c.err;
}
