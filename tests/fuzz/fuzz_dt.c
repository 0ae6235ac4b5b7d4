/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the devicetree layer: the input is a DTB. It is
 * opened and validated, and whether or not it validates, every node is
 * put through the lookups drivers and models use (reg, interrupts,
 * references, strings), then a polled platform is built on it and its
 * resets, power domains and interrupt lines are exercised. Nothing may
 * crash, hang or leak.
 *
 * Seeds: tests/fuzz/corpus/dt/.
 */
#include <stddef.h>
#include <stdint.h>

#include <libfdt.h>

#include "copro/sim/bus.h"
#include "copro/dt.h"
#include "copro/log.h"
#include "copro/driver/platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps a hostile tree from turning one input into a long run. */
#define MAX_NODES 4096
#define MAX_INDEX 4

static void discard(void *ctx, enum copro_log_level level, const char *dev,
		    const char *msg)
{
	(void)ctx;
	(void)level;
	(void)dev;
	(void)msg;
}

static const struct {
	const char *prop, *cells;
} refs[] = {
	{ "mboxes", "#mbox-cells" },
	{ "resets", "#reset-cells" },
	{ "power-domains", "#power-domain-cells" },
	{ "apple,sart", NULL },
	{ "shmem", NULL },
	{ "interrupt-parent", NULL },
};

static void walk_node(const struct copro_dt *dt, int node)
{
	const void *blob = copro_dt_blob(dt);
	struct copro_dt_ref ref;
	char path[128];
	const char *s;
	uint64_t a, b;
	uint32_t v;
	unsigned line;

	copro_dt_node_path(dt, node, path, sizeof(path));
	copro_dt_node_name(dt, node);
	copro_dt_enabled(dt, node);
	copro_dt_is_compatible(dt, node, "apple,aic");
	copro_dt_next_compatible(dt, node, "apple,asc-mailbox");
	copro_dt_by_phandle(dt, fdt_get_phandle(blob, node));

	for (unsigned i = 0; i < MAX_INDEX; i++)
		if (copro_dt_reg(dt, node, i, &a, &b))
			break;
	copro_dt_reg_by_name(dt, node, "nvme", &a, &b);
	for (unsigned i = 0; i < MAX_INDEX; i++)
		if (copro_dt_irq(dt, node, i, &line))
			break;
	copro_dt_irq_by_name(dt, node, "recv-not-empty", &line);

	for (size_t r = 0; r < sizeof(refs) / sizeof(refs[0]); r++) {
		int n = copro_dt_ref_count(dt, node, refs[r].prop,
					   refs[r].cells);

		for (int i = 0; i < n && i < MAX_INDEX; i++)
			copro_dt_ref(dt, node, refs[r].prop, refs[r].cells,
				     (unsigned)i, &ref);
	}

	copro_dt_u32(dt, node, "#address-cells", &v);
	copro_dt_u64(dt, node, "reg", &a);
	copro_dt_string(dt, node, "compatible", &s);
	copro_dt_string(dt, node, "status", &s);
	copro_dt_string_index(dt, node, "compatible", "simple-bus");
	copro_dt_has(dt, node, "ranges");
}

static void irq_handler(void *ctx)
{
	struct copro_irq **irq = ctx;

	copro_irq_disable(*irq);
}

static void exercise_platform(struct copro_bus *bus, struct copro_platform *p,
			      int node)
{
	struct copro_reset *rst;
	struct copro_power *pd;
	struct copro_irq *irq;

	if (!copro_reset_get_dt(p, node, 0, &rst)) {
		copro_reset_assert(rst);
		copro_reset_deassert(rst);
		copro_reset_put(rst);
	}
	if (!copro_power_get_dt(p, node, 0, &pd)) {
		copro_power_on(pd);
		copro_power_off(pd);
		copro_power_put(pd);
	}
	if (!copro_irq_request_dt(p, node, NULL, 0, irq_handler, &irq, &irq)) {
		copro_bus_irq_set(bus, copro_irq_line(irq), true);
		copro_platform_poll(p);
		copro_bus_irq_set(bus, copro_irq_line(irq), false);
		copro_irq_free(irq);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct copro_log_sink sink = { discard, NULL };
	struct copro_platform *p = NULL;
	struct copro_bus *bus = NULL;
	struct copro_log *log;
	struct copro_dt *dt;
	int nodes = 0;

	if (copro_log_create(&sink, COPRO_LOG_ERR, &log))
		return 0;
	if (copro_dt_open(data, size, "fuzz", log, &dt)) {
		copro_log_destroy(log);
		return 0;
	}
	copro_dt_validate(dt);
	copro_dt_path(dt, "/memory");

	struct copro_bus_config cfg = { .dt = dt, .log = log };

	if (copro_bus_create(&cfg, &bus) == 0 &&
	    copro_bus_platform_create(bus, &p))
		p = NULL;
	if (p) {
		struct copro_dma_buf buf;

		if (!copro_dma_alloc(p, 100, &buf))
			copro_dma_free(p, &buf);
	}
	for (int node = fdt_next_node(copro_dt_blob(dt), -1, NULL);
	     node >= 0 && nodes < MAX_NODES;
	     node = fdt_next_node(copro_dt_blob(dt), node, NULL), nodes++) {
		walk_node(dt, node);
		if (p)
			exercise_platform(bus, p, node);
	}
	copro_platform_destroy(p);
	copro_bus_destroy(bus);
	copro_dt_close(dt);
	copro_log_destroy(log);
	return 0;
}
