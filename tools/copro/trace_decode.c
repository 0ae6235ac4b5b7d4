/* SPDX-License-Identifier: MIT */
/*
 * Rebuilding messages and NVMe events from register accesses. A thread
 * writes SEND0 then SEND1 (or reads RECV0 then RECV1) of one window in
 * program order, and a trace keeps each thread's order, so the halves of
 * a message are paired per (thread, window). Register names come from
 * the reader (copro_trace_reg_name), which knows the device kinds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/regs/ans2.h>
#include <copro/regs/asc.h>
#include <copro/regs/rtkit.h>

#include "boot_trace.h"
#include "trace_decode.h"

/* A first half waiting for its second. */
struct half {
	uint32_t thread, region;
	bool send;
	uint64_t msg0;
};

struct trace_decode {
	const struct copro_trace_info *in;
	struct half *halves;
	size_t nhalves, cap;
	struct {
		uint64_t ns;
		bool pending, admin;
	} tags[ANS2_MAX_TAGS];
};

struct trace_decode *trace_decode_new(const struct copro_trace_info *in)
{
	struct trace_decode *d = calloc(1, sizeof(*d));

	if (d)
		d->in = in;
	return d;
}

void trace_decode_free(struct trace_decode *d)
{
	if (!d)
		return;
	free(d->halves);
	free(d);
}

const char *trace_device_short(const struct copro_trace_info *in, uint32_t dev)
{
	const char *slash;

	if (dev >= in->ndevices)
		return "-";
	slash = strrchr(in->devices[dev].path, '/');
	return slash && slash[1] ? slash + 1 : in->devices[dev].path;
}

static struct half *half_find(struct trace_decode *d, uint32_t thread,
			      uint32_t region, bool send)
{
	for (size_t i = 0; i < d->nhalves; i++)
		if (d->halves[i].thread == thread &&
		    d->halves[i].region == region && d->halves[i].send == send)
			return &d->halves[i];
	return NULL;
}

static void half_put(struct trace_decode *d, uint32_t thread, uint32_t region,
		     bool send, uint64_t msg0)
{
	struct half *h = half_find(d, thread, region, send);

	if (!h) {
		if (d->nhalves == d->cap) {
			size_t ncap = d->cap ? 2 * d->cap : 8;
			struct half *nv = realloc(d->halves, ncap * sizeof(*nv));

			if (!nv)
				return; /* that message goes undecoded */
			d->halves = nv;
			d->cap = ncap;
		}
		h = &d->halves[d->nhalves++];
		*h = (struct half){ thread, region, send, 0 };
	}
	h->msg0 = msg0;
}

/* The second half: a whole message, if the first was seen. */
static bool half_take(struct trace_decode *d, uint32_t thread, uint32_t region,
		      bool send, uint64_t *msg0)
{
	struct half *h = half_find(d, thread, region, send);

	if (!h)
		return false;
	*msg0 = h->msg0;
	*h = d->halves[--d->nhalves];
	return true;
}

static bool rtkit(struct trace_decode *d, const struct copro_trace_event *e,
		  const char *reg, struct trace_note *n)
{
	bool w = e->u.mmio.write;
	uint32_t th = e->thread, rg = e->u.mmio.region;
	uint64_t msg0;

	if (w && !strcmp(reg, "A2I_SEND0")) {
		half_put(d, th, rg, true, e->u.mmio.val);
		return false;
	}
	if (!w && !strcmp(reg, "I2A_RECV0")) {
		half_put(d, th, rg, false, e->u.mmio.val);
		return false;
	}
	if (!((w && !strcmp(reg, "A2I_SEND1")) ||
	      (!w && !strcmp(reg, "I2A_RECV1"))) ||
	    !half_take(d, th, rg, w, &msg0))
		return false;
	n->kind = NOTE_RTKIT;
	n->cat = "rtkit";
	n->to_iop = w;
	n->ep = (uint8_t)(e->u.mmio.val & RTK_ASC_EP_MASK);
	n->msg = msg0;
	boot_trace_format(n->text, sizeof(n->text), n->to_iop, n->ep, n->msg);
	return true;
}

static bool nvme_submit(struct trace_decode *d, const struct copro_trace_event *e,
			bool admin, struct trace_note *n)
{
	uint64_t tag = e->u.mmio.val;

	if (tag < ANS2_MAX_TAGS) {
		d->tags[tag].ns = e->ns;
		d->tags[tag].pending = true;
		d->tags[tag].admin = admin;
	}
	n->kind = NOTE_NVME;
	snprintf(n->text, sizeof(n->text), "NVMe %s submit, tag %llu",
		 admin ? "admin" : "I/O", (unsigned long long)tag);
	return true;
}

/* The A11's ring queues: the doorbell carries the new tail, not a tag. */
static bool nvme_ring_submit(const struct copro_trace_event *e, bool admin,
			     struct trace_note *n)
{
	n->kind = NOTE_NVME;
	snprintf(n->text, sizeof(n->text), "NVMe %s submit, SQ tail %llu",
		 admin ? "admin" : "I/O", (unsigned long long)e->u.mmio.val);
	return true;
}

static bool nvme_done(struct trace_decode *d, const struct copro_trace_event *e,
		      struct trace_note *n)
{
	uint64_t tag = e->u.mmio.val;

	n->kind = NOTE_NVME;
	if (tag >= ANS2_MAX_TAGS || !d->tags[tag].pending) {
		snprintf(n->text, sizeof(n->text),
			 "NVMe TCB %llu invalidated (no submission seen)",
			 (unsigned long long)tag);
		return true;
	}
	n->kind = NOTE_NVME_DONE;
	n->tag = (uint32_t)tag;
	n->submit_ns = d->tags[tag].ns;
	n->admin = d->tags[tag].admin;
	d->tags[tag].pending = false;
	snprintf(n->text, sizeof(n->text),
		 "NVMe %s tag %u done, TCB invalidated, %.1f us after submit",
		 n->admin ? "admin" : "I/O", n->tag,
		 (double)(e->ns - n->submit_ns) / 1e3);
	return true;
}

static bool nvme(struct trace_decode *d, const struct copro_trace_event *e,
		 const char *reg, struct trace_note *n)
{
	uint64_t v = e->u.mmio.val;

	if (e->u.mmio.write) {
		if (!strcmp(reg, "LINEAR_ASQ_DB"))
			return nvme_submit(d, e, true, n);
		if (!strcmp(reg, "LINEAR_IOSQ_DB"))
			return nvme_submit(d, e, false, n);
		if (!strcmp(reg, "ASQ_DB") || !strcmp(reg, "IOSQ_DB"))
			return nvme_ring_submit(e, reg[0] == 'A', n);
		if (!strcmp(reg, "NVMMU_TCB_INVAL"))
			return nvme_done(d, e, n);
		n->kind = NOTE_NVME;
		if (!strcmp(reg, "ACQ_DB") || !strcmp(reg, "IOCQ_DB"))
			snprintf(n->text, sizeof(n->text), "NVMe %s CQ head %llu",
				 reg[0] == 'A' ? "admin" : "I/O",
				 (unsigned long long)v);
		else if (!strcmp(reg, "CC") &&
			 (v & ANS2_CC_SHN_MASK) == ANS2_CC_SHN_NORMAL)
			snprintf(n->text, sizeof(n->text),
				 "NVMe controller shutdown requested (normal)");
		else if (!strcmp(reg, "CC"))
			snprintf(n->text, sizeof(n->text), "NVMe controller %s",
				 v & ANS2_CC_EN ? "enable" : "disable");
		else if (!strcmp(reg, "CPU_CONTROL"))
			snprintf(n->text, sizeof(n->text), "coprocessor CPU %s",
				 v & ASC_CPU_CONTROL_RUN ? "run" : "stop");
		else
			return false;
		return true;
	}
	n->kind = NOTE_NVME;
	if (!strcmp(reg, "CSTS"))
		snprintf(n->text, sizeof(n->text), "NVMe status:%s%s%s",
			 v & ANS2_CSTS_RDY ? " ready" : " not ready",
			 v & ANS2_CSTS_CFS ? ", fatal status" : "",
			 (v & ANS2_CSTS_SHST_MASK) == ANS2_CSTS_SHST_CMPLT
				 ? ", shutdown complete" : "");
	else if (!strcmp(reg, "BOOT_STATUS"))
		snprintf(n->text, sizeof(n->text), "NVMe boot status %s",
			 v == ANS2_BOOT_STATUS_OK ? "OK" : "not yet OK");
	else if (!strcmp(reg, "NVMMU_TCB_STAT") && v)
		snprintf(n->text, sizeof(n->text),
			 "NVMe TCB invalidation failed (status 0x%llx)",
			 (unsigned long long)v);
	else
		return false;
	return true;
}

bool trace_decode_event(struct trace_decode *d, size_t i,
			struct trace_note *note)
{
	const struct copro_trace_info *in = d->in;
	const struct copro_trace_event *e = &in->events[i];
	const char *reg;

	note->kind = NOTE_NONE;
	note->text[0] = '\0';
	if (e->kind != COPRO_TRACE_MMIO)
		return false;
	reg = copro_trace_reg_name(in, &in->regions[e->u.mmio.region],
				   e->u.mmio.off);
	if (!reg)
		return false;
	note->cat = "nvme";
	if (rtkit(d, e, reg, note))
		return true;
	if (nvme(d, e, reg, note)) {
		if (!strcmp(reg, "CPU_CONTROL"))
			note->cat = "asc";
		return true;
	}
	note->kind = NOTE_NONE;
	return false;
}
