/* SPDX-License-Identifier: MIT */
/*
 * The tracing backend and the trace reader: every kind of event recorded
 * over a bus and read back with its values and names, threads each
 * keeping their order across many chunks, an outer observer still told,
 * and files that are truncated, corrupt or of another version refused
 * with a clear message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "copro/driver/backend.h"
#include "copro/error.h"
#include "copro/os.h"
#include "copro/platform.h"
#include "copro/regs/sart.h"
#include "copro/sim/board.h"
#include "copro/sim/bus.h"
#include "copro/trace.h"
#include "testutil.h"

/* On t8103: the SART's window, the NVMe node's line, DRAM. */
#define SART_PHYS 0x27bc50000ull
#define SART_SIZE 0x10000ull
#define NVME_LINE 590u
#define DRAM_PHYS 0x800000000ull

struct regs_model {
	_Atomic uint32_t r[SART_SIZE / 4];
};

static uint64_t model_read(void *ctx, uint64_t off, unsigned width)
{
	struct regs_model *m = ctx;

	return width == 4 ? atomic_load(&m->r[off / 4]) : 0;
}

static void model_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct regs_model *m = ctx;

	if (width == 4)
		atomic_store(&m->r[off / 4], (uint32_t)val);
}

static const struct copro_mmio_ops model_ops = { model_read, model_write };

struct fx {
	struct test_logcap cap;
	struct copro_dt *dt;
	struct copro_bus *bus;
	struct copro_trace *tr;
	struct copro_platform *p;
	struct regs_model *model;
	char path[64];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(test_logcap_init(&fx->cap), 0);
	snprintf(fx->path, sizeof(fx->path), "/tmp/copro-test-trace.%d", getpid());
	assert_int_equal(copro_board_dt_open("t8103", test_logcap_log(&fx->cap),
					     &fx->dt), 0);
	fx->model = calloc(1, sizeof(*fx->model));
	assert_non_null(fx->model);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	unlink(fx->path);
	copro_dt_close(fx->dt);
	free(fx->model);
	test_logcap_destroy(&fx->cap);
	free(fx);
	return 0;
}

/* bus -> tracer -> platform, polled, with a register file at the SART. */
static void machine_up_mode(struct fx *fx, size_t buffer_size, bool threaded)
{
	const struct copro_bus_config bcfg = {
		.dt = fx->dt, .log = test_logcap_log(&fx->cap),
		.threaded = threaded,
	};
	struct copro_trace_config tcfg = {
		.ops = copro_bus_backend(), .path = fx->path, .dt = fx->dt,
		.log = test_logcap_log(&fx->cap), .buffer_size = buffer_size,
	};

	assert_int_equal(copro_bus_create(&bcfg, &fx->bus), 0);
	/*
	 * Plain memory, so an untraced platform would load and store it
	 * directly: the tracer must still see (and record) every access,
	 * which the tests below check.
	 */
	assert_int_equal(copro_bus_add_memory(fx->bus, SART_PHYS, SART_SIZE,
					      &model_ops, fx->model,
					      (void *)fx->model->r, "regs"), 0);
	tcfg.backend = fx->bus;
	assert_int_equal(copro_trace_create(&tcfg, &fx->tr), 0);
	const struct copro_platform_config pcfg = {
		.dt = fx->dt, .log = test_logcap_log(&fx->cap),
		.ops = copro_trace_backend(), .backend = fx->tr,
	};
	assert_int_equal(copro_platform_create(&pcfg, &fx->p), 0);
}

static void machine_up(struct fx *fx, size_t buffer_size)
{
	machine_up_mode(fx, buffer_size, false);
}

static void machine_down(struct fx *fx)
{
	copro_platform_destroy(fx->p);
	assert_int_equal(copro_trace_destroy(fx->tr), 0);
	copro_bus_remove_mmio(fx->bus, SART_PHYS);
	copro_bus_destroy(fx->bus);
}

static struct copro_trace_file *load(struct fx *fx)
{
	struct copro_trace_file *f;
	int rc = copro_trace_load(fx->path, test_logcap_log(&fx->cap), &f);

	if (rc)
		test_logcap_dump(&fx->cap);
	assert_int_equal(rc, 0);
	return f;
}

static const struct copro_trace_event *next_of(const struct copro_trace_info *in,
					       size_t *i,
					       enum copro_trace_kind kind)
{
	for (; *i < in->nevents; (*i)++)
		if (in->events[*i].kind == kind)
			return &in->events[(*i)++];
	fail_msg("no more %s events", copro_trace_kind_name(kind));
	return NULL;
}

struct handler_ctx {
	struct copro_bus *bus;
	int calls;
};

static void handler(void *arg)
{
	struct handler_ctx *h = arg;

	h->calls++;
	copro_bus_irq_set(h->bus, NVME_LINE, false);
}

static void fw_answer(void *ctx, enum copro_conduit conduit,
		      const struct copro_smccc_regs *in,
		      struct copro_smccc_regs *out)
{
	(void)ctx;
	(void)conduit;
	out->x[0] = in->x[1] + in->x[2];
	out->x[7] = 0x77;
}

/* One of everything, read back with its values. */
static void test_every_kind(void **state)
{
	struct fx *fx = *state;
	struct handler_ctx h = { 0 };
	struct copro_mmio *m;
	struct copro_irq *irq;
	struct copro_dma_buf buf, at;
	struct copro_power *pd;
	struct copro_reset *rst;
	struct copro_smccc_regs in = { { 0 } }, out;
	unsigned char mem[64] = { 0 };
	uint64_t phys;
	int nvme;

	machine_up(fx, 0);
	h.bus = fx->bus;
	nvme = copro_dt_next_compatible(fx->dt, -1, "apple,nvme-ans2");
	assert_true(nvme >= 0);

	assert_int_equal(copro_mmio_map(fx->p, SART_PHYS, SART_SIZE, &m), 0);
	copro_writel(m, SART_ADDR(3), 0x12345);
	assert_int_equal(copro_readl(m, SART_ADDR(3)), 0x12345);
	copro_writel(m, 0x1000, 7);
	copro_mmio_unmap(m);

	assert_int_equal(copro_irq_request(fx->p, NVME_LINE, handler, &h, "nvme-test",
					   &irq), 0);
	copro_bus_irq_set(fx->bus, NVME_LINE, true);
	assert_int_equal(copro_platform_poll(fx->p), 1);
	assert_int_equal(h.calls, 1);
	copro_irq_disable(irq);
	copro_irq_enable(irq);
	copro_irq_free(irq);

	assert_int_equal(copro_dma_alloc(fx->p, 8192, &buf), 0);
	assert_int_equal(copro_dma_alloc_at(fx->p, DRAM_PHYS + 0x100000, 4096, &at), 0);
	assert_int_equal(copro_dma_register(fx->p, mem, sizeof(mem), &phys), 0);
	assert_int_equal(copro_bus_dma_read(fx->bus, "test-dev", 0x1000, mem, 16),
			 -COPRO_EBUSFAULT);
	assert_int_equal(copro_dma_unregister(fx->p, phys), 0);
	copro_dma_free(fx->p, &at);
	copro_dma_free(fx->p, &buf);

	assert_int_equal(copro_power_get_dt(fx->p, nvme, 0, &pd), 0);
	assert_int_equal(copro_power_on(pd), 0);
	assert_int_equal(copro_reset_get_dt(fx->p, nvme, 0, &rst), 0);
	assert_int_equal(copro_reset_assert(rst), 0);
	assert_int_equal(copro_reset_deassert(rst), 0);
	copro_reset_put(rst);
	assert_int_equal(copro_power_off(pd), 0);
	copro_power_put(pd);

	assert_int_equal(copro_bus_add_fwcall(fx->bus, COPRO_CONDUIT_SMC, 2,
					      fw_answer, NULL), 0);
	in.x[0] = 0xc2000001;
	in.x[1] = 40;
	in.x[2] = 2;
	assert_int_equal(copro_fw_call(fx->p, COPRO_CONDUIT_SMC, &in, &out), 0);
	copro_bus_remove_fwcall(fx->bus, COPRO_CONDUIT_SMC, 2);
	assert_true(copro_trace_events(fx->tr) > 20);
	machine_down(fx);

	struct copro_trace_file *f = load(fx);
	const struct copro_trace_info *in_ = copro_trace_file_info(f);
	const struct copro_trace_event *e;
	size_t i = 0;

	assert_int_equal(in_->version, COPRO_TRACE_VERSION);
	assert_string_equal(in_->board, "t8103");
	assert_string_equal(in_->backend, "emulated");
	assert_true(in_->ndevices >= 5);
	assert_true(in_->nthreads == 1);

	e = next_of(in_, &i, COPRO_TRACE_MAP);
	const struct copro_trace_region *r = &in_->regions[e->u.mmio.region];
	assert_int_equal(r->phys, SART_PHYS);
	assert_int_equal(r->size, SART_SIZE);
	assert_string_equal(r->name, "regs");
	assert_true(r->device < in_->ndevices);
	assert_string_equal(in_->devices[r->device].path, "/soc/iommu@27bc50000");
	assert_string_equal(in_->devices[r->device].compatible, "apple,t8103-sart");

	e = next_of(in_, &i, COPRO_TRACE_MMIO);
	assert_true(e->u.mmio.write);
	assert_int_equal(e->u.mmio.off, SART_ADDR(3));
	assert_int_equal(e->u.mmio.val, 0x12345);
	assert_int_equal(e->u.mmio.width, 4);
	assert_string_equal(copro_trace_reg_name(in_, r, e->u.mmio.off), "ADDR3");
	e = next_of(in_, &i, COPRO_TRACE_MMIO);
	assert_false(e->u.mmio.write);
	assert_int_equal(e->u.mmio.val, 0x12345);
	e = next_of(in_, &i, COPRO_TRACE_MMIO);
	assert_null(copro_trace_reg_name(in_, r, e->u.mmio.off));
	next_of(in_, &i, COPRO_TRACE_UNMAP);

	e = next_of(in_, &i, COPRO_TRACE_IRQ_REQUEST);
	assert_int_equal(in_->irqs[e->u.irq.irq].line, NVME_LINE);
	assert_string_equal(in_->irqs[e->u.irq.irq].name, "nvme-test");
	e = next_of(in_, &i, COPRO_TRACE_IRQ_LEVEL);
	assert_int_equal(e->u.level.line, NVME_LINE);
	assert_true(e->u.level.level);
	const struct copro_trace_line *ln = copro_trace_line_find(in_, NVME_LINE);
	assert_non_null(ln);
	assert_string_equal(in_->devices[ln->device].path, "/soc/nvme@27bcc0000");
	e = next_of(in_, &i, COPRO_TRACE_IRQ_HANDLER);
	/* The handler's own level change sorts inside its run. */
	assert_int_equal(in_->irqs[e->u.irq.irq].line, NVME_LINE);
	e = next_of(in_, &i, COPRO_TRACE_IRQ_LEVEL);
	assert_false(e->u.level.level);
	next_of(in_, &i, COPRO_TRACE_IRQ_DISABLE);
	next_of(in_, &i, COPRO_TRACE_IRQ_ENABLE);
	next_of(in_, &i, COPRO_TRACE_IRQ_FREE);

	e = next_of(in_, &i, COPRO_TRACE_DMA_ALLOC);
	assert_int_equal(e->u.dma.size, 8192);
	assert_int_equal(e->u.dma.result, 0);
	e = next_of(in_, &i, COPRO_TRACE_DMA_ALLOC_AT);
	assert_int_equal(e->u.dma.phys, DRAM_PHYS + 0x100000);
	e = next_of(in_, &i, COPRO_TRACE_DMA_REGISTER);
	assert_int_equal(e->u.dma.phys, phys);
	e = next_of(in_, &i, COPRO_TRACE_DMA_FAULT);
	assert_int_equal(e->u.fault.phys, 0x1000);
	assert_int_equal(e->u.fault.len, 16);
	assert_string_equal(e->u.fault.who, "test-dev");
	next_of(in_, &i, COPRO_TRACE_DMA_UNREGISTER);
	next_of(in_, &i, COPRO_TRACE_DMA_FREE);
	next_of(in_, &i, COPRO_TRACE_DMA_FREE);

	e = next_of(in_, &i, COPRO_TRACE_POWER);
	assert_true(e->u.pr.on);
	assert_string_equal(in_->devices[e->u.pr.device].path,
			    "/soc/power-management@23b700000/power-controller@3f0");
	e = next_of(in_, &i, COPRO_TRACE_RESET);
	assert_true(e->u.pr.on);
	e = next_of(in_, &i, COPRO_TRACE_RESET);
	assert_false(e->u.pr.on);
	e = next_of(in_, &i, COPRO_TRACE_POWER);
	assert_false(e->u.pr.on);

	e = next_of(in_, &i, COPRO_TRACE_FWCALL);
	assert_int_equal(e->u.fw.conduit, COPRO_CONDUIT_SMC);
	assert_int_equal(e->u.fw.result, 0);
	assert_int_equal(e->u.fw.in[0], 0xc2000001);
	assert_int_equal(e->u.fw.in[2], 2);
	assert_int_equal(e->u.fw.out[0], 42);
	assert_int_equal(e->u.fw.out[7], 0x77);

	/* Time order throughout. */
	for (size_t k = 1; k < in_->nevents; k++)
		assert_true(in_->events[k - 1].ns <= in_->events[k].ns);
	copro_trace_file_free(f);
}

/*
 * A line already asserted when requested: the interrupt thread runs the
 * handler at once, and the handler disables its line through the handle
 * the request is still filling in, as the ASC driver's send-empty does.
 */
struct self_disable {
	struct copro_irq *irq;
	_Atomic int calls;
};

static void self_disabling(void *arg)
{
	struct self_disable *s = arg;

	copro_irq_disable(s->irq);
	atomic_fetch_add(&s->calls, 1);
}

static bool called(void *arg)
{
	return atomic_load(&((struct self_disable *)arg)->calls) > 0;
}

static void test_handler_at_request(void **state)
{
	struct fx *fx = *state;
	struct self_disable s = { 0 };

	machine_up_mode(fx, 0, true);
	copro_bus_irq_set(fx->bus, NVME_LINE, true);
	assert_int_equal(copro_irq_request(fx->p, NVME_LINE, self_disabling, &s,
					   "early", &s.irq), 0);
	assert_true(test_wait_until(called, &s, TEST_TIMEOUT_NS));
	copro_irq_free(s.irq);
	assert_int_equal(atomic_load(&s.calls), 1);
	copro_bus_irq_set(fx->bus, NVME_LINE, false);
	machine_down(fx);

	struct copro_trace_file *f = load(fx);
	const struct copro_trace_info *in = copro_trace_file_info(f);
	size_t i = 0;

	next_of(in, &i, COPRO_TRACE_IRQ_HANDLER);
	i = 0;
	next_of(in, &i, COPRO_TRACE_IRQ_DISABLE);
	copro_trace_file_free(f);
}

/* A driver spinning on a status register: one event and a count. */
static void test_spinning_reads(void **state)
{
	struct fx *fx = *state;
	struct copro_mmio *m;

	machine_up(fx, 1024);
	assert_int_equal(copro_mmio_map(fx->p, SART_PHYS, SART_SIZE, &m), 0);
	for (int i = 0; i < 100; i++)
		(void)copro_readl(m, SART_ADDR(1));
	/* Across a buffer's worth of them too. */
	for (int i = 0; i < 5000; i++)
		(void)copro_readl(m, SART_ADDR(2));
	copro_writel(m, SART_ADDR(2), 5);
	(void)copro_readl(m, SART_ADDR(2));
	(void)copro_readl(m, SART_ADDR(2));
	copro_writel(m, SART_ADDR(2), 6);
	(void)copro_readl(m, SART_ADDR(2));
	(void)copro_readl(m, SART_ADDR(1));
	copro_mmio_unmap(m);
	machine_down(fx);

	struct copro_trace_file *f = load(fx);
	const struct copro_trace_info *in = copro_trace_file_info(f);
	const struct { uint64_t off, val; bool write; uint32_t repeat; } want[] = {
		{ SART_ADDR(1), 0, false, 99 },
		{ SART_ADDR(2), 0, false, 4999 },
		{ SART_ADDR(2), 5, true, 0 },
		{ SART_ADDR(2), 5, false, 1 },
		{ SART_ADDR(2), 6, true, 0 },
		{ SART_ADDR(2), 6, false, 0 },
		{ SART_ADDR(1), 0, false, 0 },
	};
	size_t i = 0;

	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		const struct copro_trace_event *e = next_of(in, &i, COPRO_TRACE_MMIO);

		assert_int_equal(e->u.mmio.off, want[k].off);
		assert_int_equal(e->u.mmio.val, want[k].val);
		assert_int_equal(e->u.mmio.write, want[k].write);
		assert_int_equal(e->u.mmio.repeat, want[k].repeat);
	}
	assert_int_equal(in->nevents, 2 + sizeof(want) / sizeof(want[0]));
	copro_trace_file_free(f);
}

/* ---- threads --------------------------------------------------------- */

#define NTHREADS 4
#define PER_THREAD 5000

struct worker {
	struct copro_mmio *m;
	unsigned index;
	struct copro_thread th;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (uint32_t i = 0; i < PER_THREAD; i++)
		copro_writel(w->m, 4 * w->index, i);
	return NULL;
}

/* Small buffers: every thread's events span many chunks, in order. */
static void test_threads_keep_order(void **state)
{
	struct fx *fx = *state;
	struct worker w[NTHREADS];
	struct copro_mmio *m;
	char name[16];

	machine_up(fx, 1024);
	assert_int_equal(copro_mmio_map(fx->p, SART_PHYS, SART_SIZE, &m), 0);
	for (unsigned i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .m = m, .index = i };
		snprintf(name, sizeof(name), "worker%u", i);
		assert_int_equal(copro_thread_start(&w[i].th, name, work, &w[i]), 0);
	}
	/* A flush from outside while they write. */
	assert_int_equal(copro_trace_flush(fx->tr), 0);
	for (unsigned i = 0; i < NTHREADS; i++)
		copro_thread_join(&w[i].th);
	copro_mmio_unmap(m);
	machine_down(fx);

	struct copro_trace_file *f = load(fx);
	const struct copro_trace_info *in = copro_trace_file_info(f);
	uint32_t next[NTHREADS] = { 0 };

	assert_int_equal(in->nthreads, NTHREADS + 1);
	for (size_t i = 0; i < in->nevents; i++) {
		const struct copro_trace_event *e = &in->events[i];
		const struct copro_trace_thread *t = &in->threads[e->thread];
		unsigned idx;

		if (e->kind != COPRO_TRACE_MMIO)
			continue;
		assert_int_equal(sscanf(t->name, "worker%u", &idx), 1);
		assert_true(idx < NTHREADS);
		assert_int_equal(e->u.mmio.off, 4 * idx);
		assert_int_equal(e->u.mmio.val, next[idx]);
		next[idx]++;
	}
	for (unsigned i = 0; i < NTHREADS; i++)
		assert_int_equal(next[i], PER_THREAD);
	copro_trace_file_free(f);
}

/* ---- an observer above the tracer ---------------------------------- */

struct outer_seen {
	int levels, faults;
};

static void outer_level(void *ctx, unsigned line, bool level)
{
	(void)line;
	(void)level;
	((struct outer_seen *)ctx)->levels++;
}

static void outer_fault(void *ctx, const char *who, uint64_t phys, size_t len)
{
	(void)who;
	(void)phys;
	(void)len;
	((struct outer_seen *)ctx)->faults++;
}

static void test_outer_observer(void **state)
{
	struct fx *fx = *state;
	struct outer_seen seen = { 0 };
	const struct copro_backend_observer obs = {
		.irq_level = outer_level, .dma_fault = outer_fault, .ctx = &seen,
	};
	unsigned char b[4];

	machine_up(fx, 0);
	copro_trace_backend()->observe(fx->tr, &obs);
	copro_bus_irq_set(fx->bus, 7, true);
	copro_bus_irq_set(fx->bus, 7, false);
	assert_int_equal(copro_bus_dma_read(fx->bus, "x", 0x10, b, sizeof(b)),
			 -COPRO_EBUSFAULT);
	copro_trace_backend()->observe(fx->tr, NULL);
	copro_bus_irq_set(fx->bus, 7, true);
	assert_int_equal(seen.levels, 2);
	assert_int_equal(seen.faults, 1);
	machine_down(fx);

	struct copro_trace_file *f = load(fx);
	const struct copro_trace_info *in = copro_trace_file_info(f);
	int levels = 0;

	for (size_t i = 0; i < in->nevents; i++)
		levels += in->events[i].kind == COPRO_TRACE_IRQ_LEVEL;
	/* The tracer records what it passes on, and what it no longer does. */
	assert_int_equal(levels, 3);
	copro_trace_file_free(f);
}

/* ---- bad files ------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void record_small(struct fx *fx)
{
	struct copro_mmio *m;
	struct copro_dma_buf buf;

	machine_up(fx, 0);
	assert_int_equal(copro_mmio_map(fx->p, SART_PHYS, SART_SIZE, &m), 0);
	for (uint32_t i = 0; i < 8; i++)
		copro_writel(m, SART_CONFIG(i), i);
	copro_mmio_unmap(m);
	assert_int_equal(copro_dma_alloc(fx->p, 4096, &buf), 0);
	copro_dma_free(fx->p, &buf);
	machine_down(fx);
}

static int parse(struct fx *fx, const unsigned char *d, size_t len)
{
	struct copro_trace_file *f;
	int rc = copro_trace_parse(d, len, "bad.trace",
				   test_logcap_log(&fx->cap), &f);

	copro_trace_file_free(f);
	return rc;
}

/* Every proper prefix is refused: a recording cut short is never read. */
static void test_truncated(void **state)
{
	struct fx *fx = *state;
	size_t len;
	unsigned char *d;

	record_small(fx);
	d = slurp(fx->path, &len);
	assert_int_equal(parse(fx, d, len), 0);
	for (size_t cut = 0; cut < len; cut++) {
		test_logcap_clear(&fx->cap);
		assert_int_equal(parse(fx, d, cut), -EINVAL);
		assert_true(test_logcap_contains(&fx->cap, "trace bad.trace: offset 0x"));
	}
	test_logcap_clear(&fx->cap);
	assert_int_equal(parse(fx, d, len - 1), -EINVAL);
	test_logcap_expect(&fx->cap, "the file is truncated");
	free(d);
}

static size_t find_record(const unsigned char *d, size_t len, uint32_t type)
{
	size_t off = 24;

	while (off + 8 <= len) {
		uint32_t t = d[off] | d[off + 1] << 8 | d[off + 2] << 16 |
			     (uint32_t)d[off + 3] << 24;
		uint32_t l = d[off + 4] | d[off + 5] << 8 | d[off + 6] << 16 |
			     (uint32_t)d[off + 7] << 24;

		if (t == type)
			return off;
		off += 8 + l;
	}
	fail_msg("no record of type %u", type);
	return 0;
}

static void test_corrupt(void **state)
{
	struct fx *fx = *state;
	size_t len, chunk;
	unsigned char *d;

	record_small(fx);
	d = slurp(fx->path, &len);

	d[0] ^= 1;
	assert_int_equal(parse(fx, d, len), -EINVAL);
	test_logcap_expect(&fx->cap, "not a copro trace");
	d[0] ^= 1;

	d[8] = COPRO_TRACE_VERSION + 1;
	assert_int_equal(parse(fx, d, len), -EINVAL);
	test_logcap_expect(&fx->cap, "trace format version 2; this copro reads version 1");
	d[8] = COPRO_TRACE_VERSION;

	/* One flipped bit of an event: the chunk's checksum catches it. */
	chunk = find_record(d, len, 4);
	d[chunk + 8 + 28 + 20] ^= 0x10;
	assert_int_equal(parse(fx, d, len), -EINVAL);
	test_logcap_expect(&fx->cap, "checksum mismatch (the file is corrupt)");
	d[chunk + 8 + 28 + 20] ^= 0x10;

	/* A record claiming more than the file holds. */
	d[chunk + 6] = 0x7f;
	assert_int_equal(parse(fx, d, len), -EINVAL);
	test_logcap_expect(&fx->cap, "the file is truncated");
	d[chunk + 6] = 0;

	/* Bytes after the end. */
	unsigned char *longer = malloc(len + 3);
	assert_non_null(longer);
	memcpy(longer, d, len);
	memset(longer + len, 0, 3);
	assert_int_equal(parse(fx, longer, len + 3), -EINVAL);
	test_logcap_expect(&fx->cap, "3 bytes after the END record");
	free(longer);

	/* Intact again. */
	assert_int_equal(parse(fx, d, len), 0);

	/* A terminal escape in a name is read, made harmless. */
	size_t dev = find_record(d, len, 2);
	struct copro_trace_file *f;
	d[dev + 8 + 12 + 1] = 0x1b;
	assert_int_equal(copro_trace_parse(d, len, "esc.trace",
					   test_logcap_log(&fx->cap), &f), 0);
	assert_int_equal(copro_trace_file_info(f)->devices[0].path[1], '?');
	copro_trace_file_free(f);
	free(d);
}

static void test_bad_path(void **state)
{
	struct fx *fx = *state;
	struct copro_trace *tr;
	struct copro_trace_file *f;
	const struct copro_trace_config cfg = {
		.ops = copro_bus_backend(), .path = "/nonexistent/dir/x.trace",
		.log = test_logcap_log(&fx->cap),
	};

	assert_int_equal(copro_trace_create(&cfg, &tr), -ENOENT);
	test_logcap_expect(&fx->cap, "trace /nonexistent/dir/x.trace: cannot create the trace file");
	assert_int_equal(copro_trace_load("/nonexistent/x.trace",
					  test_logcap_log(&fx->cap), &f), -ENOENT);
	test_logcap_expect(&fx->cap, "trace /nonexistent/x.trace: cannot open");
}

/* A whole board recording: the board option does the wrapping. */
static void test_board_records(void **state)
{
	struct fx *fx = *state;
	const struct copro_board_config cfg = {
		.log = test_logcap_log(&fx->cap), .record_path = fx->path,
	};
	struct copro_board *b;
	struct copro_mmio *m;

	assert_int_equal(copro_board_create(&cfg, &b), 0);
	assert_non_null(copro_board_trace(b));
	int mbox = copro_dt_next_compatible(copro_board_dt(b), -1, "apple,asc-mailbox");
	assert_true(mbox >= 0);
	assert_int_equal(copro_mmio_map_dt(copro_board_platform(b), mbox, NULL, 0, &m), 0);
	(void)copro_readl(m, 0x114);
	copro_mmio_unmap(m);
	copro_board_destroy(b);

	struct copro_trace_file *f = load(fx);
	const struct copro_trace_info *in = copro_trace_file_info(f);
	size_t i = 0;
	const struct copro_trace_event *e = next_of(in, &i, COPRO_TRACE_MMIO);

	assert_string_equal(copro_trace_reg_name(in, &in->regions[e->u.mmio.region],
						 e->u.mmio.off), "I2A_CONTROL");
	copro_trace_file_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handler_at_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spinning_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_keep_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outer_observer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_board_records, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
