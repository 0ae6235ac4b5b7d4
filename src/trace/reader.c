// SPDX-License-Identifier: MIT
/*
 * Reading a trace back. The file is untrusted: every record and event
 * length is checked against what holds it, every chunk against its
 * checksum, every string for its terminator, every reference (window,
 * interrupt, device) against what the file defines, and every value
 * against what the writer can produce. The first problem ends the read
 * with a message naming the file, the byte offset and what was wrong.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <copro/error.h>
#include <copro/driver/platform.h>
#include <copro/grow.h>
#include <copro/trace.h>

#include "trace/trace_format.h"

struct copro_trace_file {
	unsigned char *data;
	size_t len;
	struct copro_trace_info info;
	struct copro_trace_thread *threads;
	struct copro_trace_device *devices;
	struct copro_trace_line *lines;
	struct copro_trace_region *regions;
	struct copro_trace_irq *irqs;
	struct copro_trace_event *events;
};

/* While parsing: raw ids, file order, growing arrays. */
struct parse {
	struct copro_trace_file *f;
	struct copro_logdev ld;
	size_t cap_threads, cap_devices, cap_lines, cap_regions, cap_irqs,
		cap_events, cap_region_ids, cap_irq_ids, cap_order;
	/* Per region/irq slot: its id in the file; per event: file order. */
	uint32_t *region_ids, *irq_ids;
	size_t *order;
};

__attribute__((format(printf, 3, 4)))
static int bad(struct parse *ps, size_t off, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	copro_dev_err(&ps->ld, "offset 0x%zx: %s", off, msg);
	return -EINVAL;
}

/* A NUL-terminated string inside [p, p + room), or NULL. */
static const char *str_in(const unsigned char *p, size_t room)
{
	return room && memchr(p, '\0', room) ? (const char *)p : NULL;
}

/*
 * Strings end up on terminals and in JSON: anything but printable ASCII
 * (a control character, a byte of broken UTF-8) becomes '?'. The bytes
 * are the reader's own copy. NULs, which end strings, stay.
 */
static void printable(const void *s, size_t len)
{
	unsigned char *p = (unsigned char *)(uintptr_t)s;

	for (size_t i = 0; i < len; i++)
		if (p[i] && (p[i] < 0x20 || p[i] > 0x7e))
			p[i] = '?';
}

static void printable_str(const char *s)
{
	printable(s, strlen(s));
}

/* A run of NUL-terminated strings filling exactly [p, p + len). */
static bool strlist_ok(const unsigned char *p, size_t len)
{
	return len == 0 || p[len - 1] == '\0';
}

/* ---- top-level records ------------------------------------------------ */

static int rec_info(struct parse *ps, size_t off, const unsigned char *p,
		    size_t len)
{
	const char *board = str_in(p, len), *backend;

	if (!board)
		return bad(ps, off, "INFO record: the board name has no terminator");
	backend = str_in(p + strlen(board) + 1, len - strlen(board) - 1);
	if (!backend)
		return bad(ps, off, "INFO record: the backend name has no terminator");
	printable_str(board);
	printable_str(backend);
	ps->f->info.board = board;
	ps->f->info.backend = backend;
	return 0;
}

static int rec_device(struct parse *ps, size_t off, const unsigned char *p,
		      size_t len)
{
	struct copro_trace_file *f = ps->f;
	struct copro_trace_device *d;
	uint32_t id, clen, rlen;
	const char *path;
	size_t rest;

	if (len < 13)
		return bad(ps, off, "DEVICE record of %zu bytes (at least 13)", len);
	id = trf_get32(p);
	clen = trf_get32(p + 4);
	rlen = trf_get32(p + 8);
	if (id != f->info.ndevices)
		return bad(ps, off, "DEVICE record with id %u where %zu comes next",
			   id, f->info.ndevices);
	path = str_in(p + 12, len - 12);
	if (!path)
		return bad(ps, off, "device %u: the path has no terminator", id);
	rest = len - 12 - strlen(path) - 1;
	if (clen > rest || rlen != rest - clen)
		return bad(ps, off, "device %u: lists of %u and %u bytes in %zu bytes",
			   id, clen, rlen, rest);
	const unsigned char *c = p + 12 + strlen(path) + 1;
	if (!strlist_ok(c, clen) || !strlist_ok(c + clen, rlen))
		return bad(ps, off, "device %u: a string list without its terminator",
			   id);
	printable_str(path);
	printable(c, clen + rlen);
	if (copro_grow((void **)&f->devices, &ps->cap_devices, f->info.ndevices,
		       sizeof(*f->devices)))
		return -ENOMEM;
	d = &f->devices[f->info.ndevices++];
	*d = (struct copro_trace_device){
		.path = path,
		.compatible = clen ? (const char *)c : "",
		.compat_list = (const char *)c,
		.compat_len = clen,
		.reg_names = (const char *)c + clen,
		.reg_names_len = rlen,
	};
	return 0;
}

static int rec_line(struct parse *ps, size_t off, const unsigned char *p,
		    size_t len)
{
	struct copro_trace_file *f = ps->f;
	uint32_t dev;
	const char *name;

	if (len < 9)
		return bad(ps, off, "LINE record of %zu bytes (at least 9)", len);
	dev = trf_get32(p + 4);
	name = str_in(p + 8, len - 8);
	if (!name || strlen(name) + 9 != len)
		return bad(ps, off, "LINE record: the name does not fill the record with its terminator");
	if (dev != COPRO_TRACE_NO_DEVICE && dev >= f->info.ndevices)
		return bad(ps, off, "line %u names device %u; the file describes %zu",
			   trf_get32(p), dev, f->info.ndevices);
	printable_str(name);
	if (copro_grow((void **)&f->lines, &ps->cap_lines, f->info.nlines,
		       sizeof(*f->lines)))
		return -ENOMEM;
	f->lines[f->info.nlines++] = (struct copro_trace_line){
		.line = trf_get32(p), .device = dev, .name = name,
	};
	return 0;
}

/* ---- events ----------------------------------------------------------- */

/* The fixed payload of each kind; 0: unknown. */
static size_t fixed_size(unsigned kind)
{
	switch (kind) {
	case COPRO_TRACE_MAP: return TRF_EV_MAP;
	case COPRO_TRACE_UNMAP:
	case COPRO_TRACE_IRQ_FREE:
	case COPRO_TRACE_IRQ_ENABLE:
	case COPRO_TRACE_IRQ_DISABLE: return TRF_EV_ID;
	case COPRO_TRACE_MMIO: return TRF_EV_MMIO;
	case COPRO_TRACE_IRQ_REQUEST: return TRF_EV_IRQ_REQUEST;
	case COPRO_TRACE_IRQ_LEVEL: return TRF_EV_LEVEL;
	case COPRO_TRACE_IRQ_HANDLER: return TRF_EV_HANDLER;
	case COPRO_TRACE_DMA_ALLOC:
	case COPRO_TRACE_DMA_ALLOC_AT:
	case COPRO_TRACE_DMA_FREE:
	case COPRO_TRACE_DMA_REGISTER:
	case COPRO_TRACE_DMA_UNREGISTER: return TRF_EV_DMA;
	case COPRO_TRACE_DMA_FAULT: return TRF_EV_FAULT;
	case COPRO_TRACE_RESET:
	case COPRO_TRACE_POWER: return TRF_EV_PR;
	case COPRO_TRACE_FWCALL: return TRF_EV_FW;
	}
	return 0;
}

static bool has_string(unsigned kind)
{
	return kind == COPRO_TRACE_MAP || kind == COPRO_TRACE_IRQ_REQUEST ||
	       kind == COPRO_TRACE_DMA_FAULT;
}

static int new_region(struct parse *ps, size_t off, const unsigned char *p,
		      const char *name)
{
	struct copro_trace_file *f = ps->f;
	size_t n = f->info.nregions;
	uint32_t dev = trf_get32(p + 4);
	uint64_t phys = trf_get64(p + 16), size = trf_get64(p + 24);

	if (dev != COPRO_TRACE_NO_DEVICE && dev >= f->info.ndevices)
		return bad(ps, off, "window %u names device %u; the file describes %zu",
			   trf_get32(p), dev, f->info.ndevices);
	if (!size || phys + size < phys)
		return bad(ps, off, "window %u: [0x%llx, +0x%llx) is empty or wraps",
			   trf_get32(p), (unsigned long long)phys,
			   (unsigned long long)size);
	if (copro_grow((void **)&f->regions, &ps->cap_regions, n,
		       sizeof(*f->regions)) ||
	    copro_grow((void **)&ps->region_ids, &ps->cap_region_ids, n,
		       sizeof(*ps->region_ids)))
		return -ENOMEM;
	ps->region_ids[n] = trf_get32(p);
	f->regions[n] = (struct copro_trace_region){
		.phys = phys, .size = size, .device = dev,
		.reg = trf_get32(p + 8), .reg_off = trf_get64(p + 32),
		.name = name,
	};
	f->info.nregions++;
	return 0;
}

static int new_irq(struct parse *ps, const unsigned char *p, const char *name)
{
	struct copro_trace_file *f = ps->f;
	size_t n = f->info.nirqs;

	if (copro_grow((void **)&f->irqs, &ps->cap_irqs, n, sizeof(*f->irqs)) ||
	    copro_grow((void **)&ps->irq_ids, &ps->cap_irq_ids, n,
		       sizeof(*ps->irq_ids)))
		return -ENOMEM;
	ps->irq_ids[n] = trf_get32(p);
	f->irqs[n] = (struct copro_trace_irq){ .line = trf_get32(p + 4),
					       .name = name };
	f->info.nirqs++;
	return 0;
}

/* One event at `off`, `len` bytes, of thread `thread`. */
static int event(struct parse *ps, size_t off, const unsigned char *e,
		 size_t len, uint32_t thread)
{
	struct copro_trace_file *f = ps->f;
	unsigned kind = e[0], flags = e[1];
	size_t fixed = fixed_size(kind);
	const unsigned char *p = e + TRF_EV_HDR;
	const char *s = NULL;
	struct copro_trace_event *ev;
	unsigned width;
	int rc;

	if (!fixed)
		return bad(ps, off, "event of unknown kind %u", kind);
	if (has_string(kind)) {
		if (len < TRF_EV_HDR + fixed + 1 ||
		    !(s = str_in(p + fixed, len - TRF_EV_HDR - fixed)) ||
		    TRF_EV_HDR + fixed + strlen(s) + 1 != len)
			return bad(ps, off, "%s event of %zu bytes: its string does not end the event",
				   copro_trace_kind_name(kind), len);
		printable_str(s);
	} else if (len != TRF_EV_HDR + fixed) {
		return bad(ps, off, "%s event of %zu bytes (expected %zu)",
			   copro_trace_kind_name(kind), len, TRF_EV_HDR + fixed);
	}
	if (copro_grow((void **)&f->events, &ps->cap_events, f->info.nevents,
		       sizeof(*f->events)))
		return -ENOMEM;
	ev = &f->events[f->info.nevents];
	*ev = (struct copro_trace_event){
		.kind = (enum copro_trace_kind)kind,
		.ns = trf_get64(e + 4),
		.thread = thread,
	};
	switch (kind) {
	case COPRO_TRACE_MAP:
		rc = new_region(ps, off, p, s);
		if (rc)
			return rc;
		ev->u.mmio.region = trf_get32(p);
		break;
	case COPRO_TRACE_MMIO:
		width = flags >> TRF_MMIO_WIDTH_SHIFT;
		if ((width != 4 && width != 8) ||
		    (flags & ~(TRF_MMIO_WRITE | 0xf0u)))
			return bad(ps, off, "MMIO event with flags 0x%02x (width %u)",
				   flags, width);
		ev->u.mmio.region = trf_get32(p);
		ev->u.mmio.off = trf_get64(p + 8);
		ev->u.mmio.val = trf_get64(p + 16);
		ev->u.mmio.width = (uint8_t)width;
		ev->u.mmio.write = flags & TRF_MMIO_WRITE;
		ev->u.mmio.repeat = trf_get32(p + 4);
		if (ev->u.mmio.write && ev->u.mmio.repeat)
			return bad(ps, off, "an MMIO write with a repeat count (%u)",
				   ev->u.mmio.repeat);
		if (width == 4 && ev->u.mmio.val > UINT32_MAX)
			return bad(ps, off, "4-byte MMIO of value 0x%llx",
				   (unsigned long long)ev->u.mmio.val);
		break;
	case COPRO_TRACE_UNMAP:
		ev->u.mmio.region = trf_get32(p);
		break;
	case COPRO_TRACE_IRQ_REQUEST:
		rc = new_irq(ps, p, s);
		if (rc)
			return rc;
		/* fall through */
	case COPRO_TRACE_IRQ_FREE:
	case COPRO_TRACE_IRQ_ENABLE:
	case COPRO_TRACE_IRQ_DISABLE:
		ev->u.irq.irq = trf_get32(p);
		break;
	case COPRO_TRACE_IRQ_HANDLER:
		ev->u.irq.irq = trf_get32(p);
		ev->u.irq.dur_ns = trf_get64(p + 8);
		break;
	case COPRO_TRACE_IRQ_LEVEL:
		if (flags > 1)
			return bad(ps, off, "interrupt level %u", flags);
		ev->u.level.line = trf_get32(p);
		ev->u.level.level = flags;
		break;
	case COPRO_TRACE_DMA_FAULT:
		ev->u.fault.phys = trf_get64(p);
		ev->u.fault.len = trf_get64(p + 8);
		ev->u.fault.who = s;
		break;
	case COPRO_TRACE_RESET:
	case COPRO_TRACE_POWER:
		ev->u.pr.device = trf_get32(p);
		ev->u.pr.arg = trf_get32(p + 4);
		ev->u.pr.result = (int32_t)trf_get32(p + 8);
		ev->u.pr.on = flags & 1;
		if (flags > 1 || (ev->u.pr.device != COPRO_TRACE_NO_DEVICE &&
				  ev->u.pr.device >= f->info.ndevices))
			return bad(ps, off, "%s event: flags 0x%x, device %u of %zu",
				   copro_trace_kind_name(kind), flags,
				   ev->u.pr.device, f->info.ndevices);
		break;
	case COPRO_TRACE_FWCALL:
		if (flags != COPRO_CONDUIT_SMC && flags != COPRO_CONDUIT_HVC)
			return bad(ps, off, "firmware call through conduit %u", flags);
		ev->u.fw.conduit = (uint8_t)flags;
		ev->u.fw.result = (int32_t)trf_get32(p);
		ev->u.fw.dur_ns = trf_get64(p + 8);
		for (unsigned i = 0; i < COPRO_TRACE_FW_REGS; i++) {
			ev->u.fw.in[i] = trf_get64(p + 16 + 8 * i);
			ev->u.fw.out[i] = trf_get64(p + 16 + 8 * (COPRO_TRACE_FW_REGS + i));
		}
		break;
	default: /* the DMA kinds */
		ev->u.dma.phys = trf_get64(p);
		ev->u.dma.size = trf_get64(p + 8);
		ev->u.dma.result = (int32_t)trf_get32(p + 16);
		break;
	}
	if (kind != COPRO_TRACE_IRQ_LEVEL && kind != COPRO_TRACE_RESET &&
	    kind != COPRO_TRACE_POWER && kind != COPRO_TRACE_FWCALL &&
	    kind != COPRO_TRACE_MMIO && flags)
		return bad(ps, off, "%s event with flags 0x%x",
			   copro_trace_kind_name(kind), flags);
	if (copro_grow((void **)&ps->order, &ps->cap_order, f->info.nevents,
		       sizeof(*ps->order)))
		return -ENOMEM;
	ps->order[f->info.nevents] = off;
	f->info.nevents++;
	return 0;
}

static uint32_t thread_index(struct parse *ps, uint32_t tid, const char *name,
			     int *rc)
{
	struct copro_trace_file *f = ps->f;
	size_t i;

	*rc = 0;
	for (i = 0; i < f->info.nthreads; i++)
		if (f->threads[i].tid == tid &&
		    !strncmp(f->threads[i].name, name, TRF_THREAD_NAME))
			return (uint32_t)i;
	if (copro_grow((void **)&f->threads, &ps->cap_threads, i,
		       sizeof(*f->threads))) {
		*rc = -ENOMEM;
		return 0;
	}
	f->threads[i].tid = tid;
	memcpy(f->threads[i].name, name, TRF_THREAD_NAME);
	f->threads[i].name[TRF_THREAD_NAME - 1] = '\0';
	f->info.nthreads++;
	return (uint32_t)i;
}

static int rec_chunk(struct parse *ps, size_t off, const unsigned char *p,
		     size_t len, uint64_t *events)
{
	uint32_t tid, n, crc, seen = 0;
	uint32_t thread;
	size_t at = TRF_CHUNK_HDR;
	int rc;

	if (len < TRF_CHUNK_HDR + TRF_EV_HDR)
		return bad(ps, off, "CHUNK record of %zu bytes (at least %d)", len,
			   TRF_CHUNK_HDR + TRF_EV_HDR);
	tid = trf_get32(p);
	n = trf_get32(p + 4 + TRF_THREAD_NAME);
	crc = trf_get32(p + 8 + TRF_THREAD_NAME);
	if (crc != (uint32_t)crc32(0L, p + TRF_CHUNK_HDR,
				   (uInt)(len - TRF_CHUNK_HDR)))
		return bad(ps, off, "chunk of thread %u: checksum mismatch (the file is corrupt)",
			   tid);
	if (!memchr(p + 4, '\0', TRF_THREAD_NAME))
		return bad(ps, off, "chunk of thread %u: the thread name has no terminator",
			   tid);
	printable_str((const char *)p + 4);
	thread = thread_index(ps, tid, (const char *)p + 4, &rc);
	if (rc)
		return rc;
	while (at < len) {
		size_t elen;

		if (len - at < TRF_EV_HDR)
			return bad(ps, off + TRF_REC_HDR + at,
				   "an event header cut short by the end of its chunk");
		elen = trf_get16(p + at + 2);
		if (elen < TRF_EV_HDR || elen > len - at)
			return bad(ps, off + TRF_REC_HDR + at,
				   "event of %zu bytes in the %zu left of its chunk",
				   elen, len - at);
		rc = event(ps, off + TRF_REC_HDR + at, p + at, elen, thread);
		if (rc)
			return rc;
		at += elen;
		seen++;
	}
	if (seen != n)
		return bad(ps, off, "chunk of thread %u holds %u events, its header says %u",
			   tid, seen, n);
	*events += n;
	return 0;
}

/* ---- resolution -------------------------------------------------------- */

/* Sorted (id, index) pairs for the lookups of every event. */
struct id_index {
	uint32_t id, index;
};

static int cmp_id(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int index_ids(struct parse *ps, const uint32_t *ids, size_t n,
		     const char *what, struct id_index **out)
{
	struct id_index *v = calloc(n ? n : 1, sizeof(*v));

	*out = v;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct id_index){ ids[i], (uint32_t)i };
	if (n)
		qsort(v, n, sizeof(*v), cmp_id);
	for (size_t i = 1; i < n; i++)
		if (v[i].id == v[i - 1].id)
			return bad(ps, 0, "%s %u is defined twice", what, v[i].id);
	return 0;
}

static int lookup(const struct id_index *v, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].id < id)
			lo = mid + 1;
		else if (v[mid].id > id)
			hi = mid;
		else
			return (int)v[mid].index;
	}
	return -1;
}

/* Rewrites ids into indexes and checks each access against its window. */
static int resolve(struct parse *ps)
{
	struct copro_trace_file *f = ps->f;
	struct id_index *regions = NULL, *irqs = NULL;
	int rc = index_ids(ps, ps->region_ids, f->info.nregions,
			   "window", &regions);

	if (!rc)
		rc = index_ids(ps, ps->irq_ids, f->info.nirqs, "interrupt",
			       &irqs);
	for (size_t i = 0; !rc && i < f->info.nevents; i++) {
		struct copro_trace_event *ev = &f->events[i];
		int ix;

		switch (ev->kind) {
		case COPRO_TRACE_MAP:
		case COPRO_TRACE_UNMAP:
		case COPRO_TRACE_MMIO:
			ix = lookup(regions, f->info.nregions, ev->u.mmio.region);
			if (ix < 0) {
				rc = bad(ps, ps->order[i], "%s of window %u, which no MAP event defines",
					 copro_trace_kind_name(ev->kind),
					 ev->u.mmio.region);
				break;
			}
			ev->u.mmio.region = (uint32_t)ix;
			if (ev->kind == COPRO_TRACE_MMIO &&
			    (ev->u.mmio.off >= f->regions[ix].size ||
			     f->regions[ix].size - ev->u.mmio.off < ev->u.mmio.width))
				rc = bad(ps, ps->order[i],
					 "%u-byte MMIO at offset 0x%llx of a window of 0x%llx bytes",
					 ev->u.mmio.width,
					 (unsigned long long)ev->u.mmio.off,
					 (unsigned long long)f->regions[ix].size);
			break;
		case COPRO_TRACE_IRQ_REQUEST:
		case COPRO_TRACE_IRQ_FREE:
		case COPRO_TRACE_IRQ_ENABLE:
		case COPRO_TRACE_IRQ_DISABLE:
		case COPRO_TRACE_IRQ_HANDLER:
			ix = lookup(irqs, f->info.nirqs, ev->u.irq.irq);
			if (ix < 0)
				rc = bad(ps, ps->order[i], "%s of interrupt %u, which no request defines",
					 copro_trace_kind_name(ev->kind),
					 ev->u.irq.irq);
			else
				ev->u.irq.irq = (uint32_t)ix;
			break;
		default:
			break;
		}
	}
	free(regions);
	free(irqs);
	return rc;
}

/* Time order; a thread's events (and ties) keep their file order. */
static int cmp_order(const void *a, const void *b, void *arg)
{
	const struct copro_trace_event *ev = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (ev[x].ns != ev[y].ns)
		return ev[x].ns < ev[y].ns ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int sort_events(struct copro_trace_file *f)
{
	size_t n = f->info.nevents;
	size_t *ix = malloc((n ? n : 1) * sizeof(*ix));
	struct copro_trace_event *sorted = malloc((n ? n : 1) * sizeof(*sorted));

	if (!ix || !sorted) {
		free(ix);
		free(sorted);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		ix[i] = i;
	if (n)
		qsort_r(ix, n, sizeof(*ix), cmp_order, f->events);
	for (size_t i = 0; i < n; i++)
		sorted[i] = f->events[ix[i]];
	free(ix);
	free(f->events);
	f->events = sorted;
	return 0;
}

/* ---- the file ---------------------------------------------------------- */

static int parse_records(struct parse *ps)
{
	struct copro_trace_file *f = ps->f;
	const unsigned char *d = f->data;
	size_t off = TRF_HEADER_SIZE;
	uint64_t events = 0, chunks = 0;
	bool ended = false;
	int rc = 0;

	while (!rc && off < f->len) {
		uint32_t type, len;

		if (ended)
			return bad(ps, off, "%zu bytes after the END record",
				   f->len - off);
		if (f->len - off < TRF_REC_HDR)
			return bad(ps, off, "a record header cut short: the file is truncated");
		type = trf_get32(d + off);
		len = trf_get32(d + off + 4);
		if (len > f->len - off - TRF_REC_HDR)
			return bad(ps, off, "a record of %u bytes with %zu left: the file is truncated",
				   len, f->len - off - TRF_REC_HDR);
		if (len > TRF_REC_MAX)
			return bad(ps, off, "a record of %u bytes (at most %u)", len,
				   TRF_REC_MAX);
		if (off == TRF_HEADER_SIZE && type != TRF_INFO)
			return bad(ps, off, "the first record is of type %u, not INFO",
				   type);
		const unsigned char *p = d + off + TRF_REC_HDR;
		switch (type) {
		case TRF_INFO:
			if (off != TRF_HEADER_SIZE)
				return bad(ps, off, "a second INFO record");
			rc = rec_info(ps, off, p, len);
			break;
		case TRF_DEVICE:
			rc = rec_device(ps, off, p, len);
			break;
		case TRF_LINE:
			rc = rec_line(ps, off, p, len);
			break;
		case TRF_CHUNK:
			rc = rec_chunk(ps, off, p, len, &events);
			chunks++;
			break;
		case TRF_END:
			if (len != TRF_END_SIZE)
				return bad(ps, off, "END record of %u bytes (expected %d)",
					   len, TRF_END_SIZE);
			if (trf_get64(p) != events || trf_get64(p + 8) != chunks)
				return bad(ps, off, "the END record counts %llu events in %llu chunks; the file holds %llu in %llu (events were lost)",
					   (unsigned long long)trf_get64(p),
					   (unsigned long long)trf_get64(p + 8),
					   (unsigned long long)events,
					   (unsigned long long)chunks);
			ended = true;
			break;
		default:
			return bad(ps, off, "a record of unknown type %u", type);
		}
		off += TRF_REC_HDR + len;
	}
	if (!rc && !ended)
		rc = bad(ps, f->len, "no END record: the file is truncated (the recording did not finish)");
	return rc;
}

static int parse_header(struct parse *ps)
{
	const unsigned char *d = ps->f->data;
	unsigned version, hsize;

	if (ps->f->len < TRF_HEADER_SIZE ||
	    memcmp(d, TRF_MAGIC, TRF_MAGIC_LEN))
		return bad(ps, 0, "not a copro trace (no \"%s\" header)", TRF_MAGIC);
	version = trf_get16(d + 8);
	hsize = trf_get16(d + 10);
	if (version != COPRO_TRACE_VERSION)
		return bad(ps, 8, "trace format version %u; this copro reads version %d",
			   version, COPRO_TRACE_VERSION);
	if (hsize != TRF_HEADER_SIZE)
		return bad(ps, 10, "header of %u bytes (version %u has %d)", hsize,
			   version, TRF_HEADER_SIZE);
	ps->f->info.version = version;
	ps->f->info.pid = trf_get32(d + 12);
	ps->f->info.start_realtime_ns = trf_get64(d + 16);
	return 0;
}

/* Takes `data` (malloc'd), which the file keeps or frees. */
static int parse_owned(unsigned char *data, size_t len, const char *name,
		       struct copro_log *log, struct copro_trace_file **out)
{
	struct copro_trace_file *f = calloc(1, sizeof(*f));
	struct parse ps = { .f = f };
	int rc;

	*out = NULL;
	if (!f) {
		free(data);
		return -ENOMEM;
	}
	copro_logdev_init(&ps.ld, log, "trace %s", name ? name : "(memory)");
	f->len = len;
	f->data = data;
	rc = parse_header(&ps);
	if (!rc)
		rc = parse_records(&ps);
	if (!rc)
		rc = resolve(&ps);
	if (!rc)
		rc = sort_events(f);
	free(ps.region_ids);
	free(ps.irq_ids);
	free(ps.order);
	if (rc) {
		copro_trace_file_free(f);
		return rc;
	}
	f->info.threads = f->threads;
	f->info.devices = f->devices;
	f->info.lines = f->lines;
	f->info.regions = f->regions;
	f->info.irqs = f->irqs;
	f->info.events = f->events;
	*out = f;
	return 0;
}

int copro_trace_parse(const void *data, size_t len, const char *name,
		      struct copro_log *log, struct copro_trace_file **out)
{
	unsigned char *copy = malloc(len ? len : 1);

	*out = NULL;
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	return parse_owned(copy, len, name, log, out);
}

int copro_trace_load(const char *path, struct copro_log *log,
		     struct copro_trace_file **out)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	if (!fp) {
		rc = -errno;
		copro_logf(log, COPRO_LOG_ERR, NULL, "trace %s: cannot open: %s",
			   path, copro_strerror(rc));
		return rc;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 1u << 16;
			unsigned char *nb = realloc(buf, ncap);

			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0) {
			if (ferror(fp)) {
				rc = -EIO;
				copro_logf(log, COPRO_LOG_ERR, NULL,
					   "trace %s: cannot read: %s", path,
					   strerror(errno));
			}
			break;
		}
	}
	fclose(fp);
	if (rc) {
		free(buf);
		return rc;
	}
	return parse_owned(buf, len, path, log, out);
}

void copro_trace_file_free(struct copro_trace_file *f)
{
	if (!f)
		return;
	free(f->threads);
	free(f->devices);
	free(f->lines);
	free(f->regions);
	free(f->irqs);
	free(f->events);
	free(f->data);
	free(f);
}

const struct copro_trace_info *copro_trace_file_info(
	const struct copro_trace_file *f)
{
	return &f->info;
}
