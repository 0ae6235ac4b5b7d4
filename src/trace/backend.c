// SPDX-License-Identifier: MIT
/*
 * The tracing backend: every op passes through to the inner backend and
 * leaves an event behind. An MMIO window is the inner window behind one
 * of ours; an interrupt handler is called through a wrapper that times
 * it; the inner backend's observer reports interrupt levels and bus
 * faults. An event's time is taken before the inner call, so an
 * interrupt edge a register write causes sorts after the write.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace_internal.h"

/* ---- MMIO ---------------------------------------------------------------- */

struct tr_map {
	struct copro_trace *t;
	struct copro_mmio_window inner;
	uint32_t id;
};

static void put_mmio(struct tr_map *m, uint64_t ns, uint64_t off, uint64_t val,
		     unsigned width, bool write)
{
	unsigned char ev[TRF_EV_HDR + TRF_EV_MMIO];
	unsigned char *p = trace_ev(ev, COPRO_TRACE_MMIO,
				    (write ? TRF_MMIO_WRITE : 0) |
					    width << TRF_MMIO_WIDTH_SHIFT,
				    sizeof(ev), ns);

	trf_put32(p, m->id);
	trf_put32(p + 4, 0);
	trf_put64(p + 8, off);
	trf_put64(p + 16, val);
	if (write)
		trace_put(m->t, ev, sizeof(ev));
	else
		trace_put_read(m->t, ev);
}

static uint64_t tr_read(void *ctx, uint64_t off, unsigned width)
{
	struct tr_map *m = ctx;
	uint64_t ns = trace_now(m->t);
	uint64_t v = m->inner.read(m->inner.ctx, m->inner.base + off, width);

	put_mmio(m, ns, off, v, width, false);
	return v;
}

static void tr_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct tr_map *m = ctx;
	uint64_t ns = trace_now(m->t);

	m->inner.write(m->inner.ctx, m->inner.base + off, val, width);
	put_mmio(m, ns, off, val, width, true);
}

static int tr_mmio_map(void *be, uint64_t phys, uint64_t size,
		       struct copro_mmio_window *w)
{
	struct copro_trace *t = be;
	unsigned char ev[TRF_EV_HDR + TRF_EV_MAP + TRF_NAME_MAX + 1];
	unsigned char *p;
	struct tr_map *m = calloc(1, sizeof(*m));
	uint64_t reg_off;
	uint32_t dev, reg;
	size_t len;
	int rc;

	if (!m)
		return -ENOMEM;
	rc = t->ops->mmio_map(t->be, phys, size, &m->inner);
	if (rc) {
		free(m);
		return rc;
	}
	m->t = t;
	m->id = atomic_fetch_add(&t->next_region, 1);
	/*
	 * Every access goes through tr_read/tr_write: no direct memory
	 * (mem stays NULL even when the inner window is plain memory).
	 */
	*w = (struct copro_mmio_window){
		.read = tr_read, .write = tr_write, .ctx = m, .base = 0,
		.cookie = m,
	};
	memcpy(w->name, m->inner.name, sizeof(w->name));
	w->name[sizeof(w->name) - 1] = '\0';

	dev = trace_board_find(t, phys, size, &reg, &reg_off);
	p = trace_ev(ev, COPRO_TRACE_MAP, 0, 0, trace_now(t));
	trf_put32(p, m->id);
	trf_put32(p + 4, dev);
	trf_put32(p + 8, reg);
	trf_put32(p + 12, 0);
	trf_put64(p + 16, phys);
	trf_put64(p + 24, size);
	trf_put64(p + 32, reg_off);
	len = TRF_EV_HDR + TRF_EV_MAP + trace_put_str(p + TRF_EV_MAP, w->name);
	trf_put16(ev + 2, (uint16_t)len);
	trace_put(t, ev, len);
	return 0;
}

static void put_id(struct copro_trace *t, enum copro_trace_kind kind,
		   uint32_t id)
{
	unsigned char ev[TRF_EV_HDR + TRF_EV_ID];

	trf_put32(trace_ev(ev, kind, 0, sizeof(ev), trace_now(t)), id);
	trace_put(t, ev, sizeof(ev));
}

static void tr_mmio_unmap(void *be, void *cookie)
{
	struct copro_trace *t = be;
	struct tr_map *m = cookie;

	t->ops->mmio_unmap(t->be, m->inner.cookie);
	put_id(t, COPRO_TRACE_UNMAP, m->id);
	free(m);
}

/* ---- interrupts ------------------------------------------------------------ */

struct tr_irq {
	struct copro_trace *t;
	copro_irq_handler_t fn;
	void *ctx;
	void *inner;
	uint32_t id;
};

static void tr_irq_handler(void *arg)
{
	struct tr_irq *q = arg;
	unsigned char ev[TRF_EV_HDR + TRF_EV_HANDLER];
	uint64_t ns = trace_now(q->t);
	unsigned char *p;

	q->fn(q->ctx);
	p = trace_ev(ev, COPRO_TRACE_IRQ_HANDLER, 0, sizeof(ev), ns);
	trf_put32(p, q->id);
	trf_put32(p + 4, 0);
	trf_put64(p + 8, trace_now(q->t) - ns);
	trace_put(q->t, ev, sizeof(ev));
}

static int tr_irq_request(void *be, unsigned line, copro_irq_handler_t handler,
			  void *ctx, const char *name, void **cookie)
{
	struct copro_trace *t = be;
	unsigned char ev[TRF_EV_HDR + TRF_EV_IRQ_REQUEST + TRF_NAME_MAX + 1];
	struct tr_irq *q = calloc(1, sizeof(*q));
	unsigned char *p;
	size_t len;
	int rc;

	if (!q)
		return -ENOMEM;
	/* Whole before the inner backend can run the handler. */
	*q = (struct tr_irq){ .t = t, .fn = handler, .ctx = ctx,
			      .id = atomic_fetch_add(&t->next_irq, 1) };
	p = trace_ev(ev, COPRO_TRACE_IRQ_REQUEST, 0, 0, trace_now(t));
	/*
	 * The handler may run, and disable its own line through the
	 * driver's handle, before the inner request returns: the handle
	 * must lead to us by then, as the inner one leads to it.
	 */
	*cookie = q;
	rc = t->ops->irq_request(t->be, line, tr_irq_handler, q, name,
				 &q->inner);
	if (rc) {
		*cookie = NULL;
		free(q);
		return rc;
	}
	trf_put32(p, q->id);
	trf_put32(p + 4, line);
	len = TRF_EV_HDR + TRF_EV_IRQ_REQUEST +
	      trace_put_str(p + TRF_EV_IRQ_REQUEST, name);
	trf_put16(ev + 2, (uint16_t)len);
	trace_put(t, ev, len);
	return 0;
}

static void tr_irq_free(void *be, void *cookie)
{
	struct copro_trace *t = be;
	struct tr_irq *q = cookie;

	t->ops->irq_free(t->be, q->inner);
	put_id(t, COPRO_TRACE_IRQ_FREE, q->id);
	free(q);
}

static void tr_irq_enable(void *be, void *cookie)
{
	struct copro_trace *t = be;
	struct tr_irq *q = cookie;

	put_id(t, COPRO_TRACE_IRQ_ENABLE, q->id);
	t->ops->irq_enable(t->be, q->inner);
}

static void tr_irq_disable(void *be, void *cookie)
{
	struct copro_trace *t = be;
	struct tr_irq *q = cookie;

	put_id(t, COPRO_TRACE_IRQ_DISABLE, q->id);
	t->ops->irq_disable(t->be, q->inner);
}

static bool tr_threaded(void *be)
{
	struct copro_trace *t = be;

	return t->ops->threaded(t->be);
}

static int tr_poll(void *be)
{
	struct copro_trace *t = be;

	return t->ops->poll(t->be);
}

static void tr_poll_hold(void *be, bool on)
{
	struct copro_trace *t = be;

	if (t->ops->poll_hold)
		t->ops->poll_hold(t->be, on);
}

/* ---- DMA ------------------------------------------------------------------- */

static void put_dma(struct copro_trace *t, enum copro_trace_kind kind,
		    uint64_t ns, uint64_t phys, uint64_t size, int result)
{
	unsigned char ev[TRF_EV_HDR + TRF_EV_DMA];
	unsigned char *p = trace_ev(ev, kind, 0, sizeof(ev), ns);

	trf_put64(p, phys);
	trf_put64(p + 8, size);
	trf_put32(p + 16, (uint32_t)result);
	trace_put(t, ev, sizeof(ev));
}

static int tr_dma_alloc(void *be, size_t size, struct copro_dma_buf *out)
{
	struct copro_trace *t = be;
	uint64_t ns = trace_now(t);
	int rc = t->ops->dma_alloc(t->be, size, out);

	put_dma(t, COPRO_TRACE_DMA_ALLOC, ns, rc ? 0 : out->phys, size, rc);
	return rc;
}

static int tr_dma_alloc_at(void *be, uint64_t phys, size_t size,
			   struct copro_dma_buf *out)
{
	struct copro_trace *t = be;
	uint64_t ns = trace_now(t);
	int rc = t->ops->dma_alloc_at(t->be, phys, size, out);

	put_dma(t, COPRO_TRACE_DMA_ALLOC_AT, ns, phys, size, rc);
	return rc;
}

static void tr_dma_free(void *be, const struct copro_dma_buf *buf)
{
	struct copro_trace *t = be;
	uint64_t ns = trace_now(t), phys = buf->phys, size = buf->size;

	t->ops->dma_free(t->be, buf);
	put_dma(t, COPRO_TRACE_DMA_FREE, ns, phys, size, 0);
}

static int tr_dma_register(void *be, void *ptr, size_t size, uint64_t *phys)
{
	struct copro_trace *t = be;
	uint64_t ns = trace_now(t);
	int rc = t->ops->dma_register(t->be, ptr, size, phys);

	put_dma(t, COPRO_TRACE_DMA_REGISTER, ns, rc ? 0 : *phys, size, rc);
	return rc;
}

static int tr_dma_unregister(void *be, uint64_t phys)
{
	struct copro_trace *t = be;
	uint64_t ns = trace_now(t);
	int rc = t->ops->dma_unregister(t->be, phys);

	put_dma(t, COPRO_TRACE_DMA_UNREGISTER, ns, phys, 0, rc);
	return rc;
}

/* ---- resets, power, firmware -------------------------------------------- */

static int put_pr(struct copro_trace *t, enum copro_trace_kind kind,
		  uint64_t ns, int provider, uint32_t arg, bool on, int rc)
{
	unsigned char ev[TRF_EV_HDR + TRF_EV_PR];
	unsigned char *p = trace_ev(ev, kind, on ? 1 : 0, sizeof(ev), ns);

	trf_put32(p, trace_board_node(t, provider));
	trf_put32(p + 4, arg);
	trf_put32(p + 8, (uint32_t)rc);
	trace_put(t, ev, sizeof(ev));
	return rc;
}

static int tr_reset_set(void *be, int provider, uint32_t arg, bool asserted)
{
	struct copro_trace *t = be;
	uint64_t ns = trace_now(t);

	return put_pr(t, COPRO_TRACE_RESET, ns, provider, arg, asserted,
		      t->ops->reset_set(t->be, provider, arg, asserted));
}

static int tr_power_set(void *be, int provider, uint32_t arg, bool on)
{
	struct copro_trace *t = be;
	uint64_t ns = trace_now(t);

	return put_pr(t, COPRO_TRACE_POWER, ns, provider, arg, on,
		      t->ops->power_set(t->be, provider, arg, on));
}

static int tr_fw_call(void *be, enum copro_conduit conduit,
		      const struct copro_smccc_regs *in,
		      struct copro_smccc_regs *out)
{
	struct copro_trace *t = be;
	unsigned char ev[TRF_EV_HDR + TRF_EV_FW];
	/* out may be in: keep the arguments. */
	struct copro_smccc_regs args = *in;
	uint64_t ns = trace_now(t), dur;
	unsigned char *p;
	int rc = t->ops->fw_call ? t->ops->fw_call(t->be, conduit, in, out)
				 : -EOPNOTSUPP;

	dur = trace_now(t) - ns;
	p = trace_ev(ev, COPRO_TRACE_FWCALL, (unsigned)conduit & 0xff,
		     sizeof(ev), ns);
	trf_put32(p, (uint32_t)rc);
	trf_put32(p + 4, 0);
	trf_put64(p + 8, dur);
	for (unsigned i = 0; i < COPRO_TRACE_FW_REGS; i++) {
		trf_put64(p + 16 + 8 * i, args.x[i]);
		trf_put64(p + 16 + 8 * (COPRO_TRACE_FW_REGS + i),
			  rc ? 0 : out->x[i]);
	}
	trace_put(t, ev, sizeof(ev));
	return rc;
}

/* ---- what the inner backend reports ---------------------------------- */

static void obs_irq_level(void *ctx, unsigned line, bool level)
{
	struct copro_trace *t = ctx;
	unsigned char ev[TRF_EV_HDR + TRF_EV_LEVEL];

	trf_put32(trace_ev(ev, COPRO_TRACE_IRQ_LEVEL, level ? 1 : 0,
			   sizeof(ev), trace_now(t)),
		  line);
	trace_put(t, ev, sizeof(ev));
	if (atomic_load_explicit(&t->outer_set, memory_order_acquire) &&
	    t->outer.irq_level)
		t->outer.irq_level(t->outer.ctx, line, level);
}

static void obs_dma_fault(void *ctx, const char *who, uint64_t phys,
			  size_t len)
{
	struct copro_trace *t = ctx;
	unsigned char ev[TRF_EV_HDR + TRF_EV_FAULT + TRF_NAME_MAX + 1];
	unsigned char *p = trace_ev(ev, COPRO_TRACE_DMA_FAULT, 0, 0,
				    trace_now(t));
	size_t n;

	trf_put64(p, phys);
	trf_put64(p + 8, len);
	n = TRF_EV_HDR + TRF_EV_FAULT + trace_put_str(p + TRF_EV_FAULT, who);
	trf_put16(ev + 2, (uint16_t)n);
	trace_put(t, ev, n);
	if (atomic_load_explicit(&t->outer_set, memory_order_acquire) &&
	    t->outer.dma_fault)
		t->outer.dma_fault(t->outer.ctx, who, phys, len);
}

void trace_observe_inner(struct copro_trace *t, bool on)
{
	const struct copro_backend_observer obs = {
		.irq_level = obs_irq_level,
		.dma_fault = obs_dma_fault,
		.ctx = t,
	};

	if (t->ops->observe)
		t->ops->observe(t->be, on ? &obs : NULL);
}

/* Someone above us wants to watch too: we pass what we see on. */
static void tr_observe(void *be, const struct copro_backend_observer *obs)
{
	struct copro_trace *t = be;

	atomic_store_explicit(&t->outer_set, false, memory_order_release);
	if (obs) {
		t->outer = *obs;
		atomic_store_explicit(&t->outer_set, true, memory_order_release);
	}
}

static const struct copro_backend_ops trace_ops = {
	.name = "trace",
	.threaded = tr_threaded,
	.poll = tr_poll,
	.poll_hold = tr_poll_hold,
	.mmio_map = tr_mmio_map,
	.mmio_unmap = tr_mmio_unmap,
	.irq_request = tr_irq_request,
	.irq_free = tr_irq_free,
	.irq_enable = tr_irq_enable,
	.irq_disable = tr_irq_disable,
	.dma_alloc = tr_dma_alloc,
	.dma_alloc_at = tr_dma_alloc_at,
	.dma_free = tr_dma_free,
	.dma_register = tr_dma_register,
	.dma_unregister = tr_dma_unregister,
	.reset_set = tr_reset_set,
	.power_set = tr_power_set,
	.fw_call = tr_fw_call,
	.observe = tr_observe,
};

const struct copro_backend_ops *copro_trace_backend(void)
{
	return &trace_ops;
}
