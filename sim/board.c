/* SPDX-License-Identifier: MIT */
/*
 * An emulated board: the devicetree, the bus built from it with one device
 * model per enabled node the simulator knows, and a platform over the bus. Which compatible
 * gets which model is the table below; a new model is a new row. The
 * coprocessors' firmware comes after, from board_fw.c.
 */
#include <errno.h>
#include <stdlib.h>

#include <copro/error.h>
#include <copro/log.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>
#include <copro/sim/hyp.h>
#include <copro/sim/sart_model.h>
#include <copro/sim/sram_model.h>

#include "board_internal.h"
#include "pmgr_model.h"

/* ---- the models ------------------------------------------------------ */

static int asc_create(struct copro_bus *bus, int node, void **out)
{
	struct copro_sim_asc *asc;
	int ret = copro_sim_asc_create(bus, node, &asc);

	if (ret < 0)
		return ret;
	ret = copro_sim_asc_set_firmware(asc, copro_sim_fw_echo());
	if (ret < 0) {
		copro_sim_asc_destroy(asc);
		return ret;
	}
	*out = asc;
	return 0;
}

static void asc_destroy(void *model)
{
	copro_sim_asc_destroy(model);
}

/*
 * The mailbox layouts of <copro/regs/asc.h> ("apple,t8103-asc-mailbox"
 * nodes also list v4; the A11's has only its own compatible).
 */
static const char *const asc_compatibles[] = {
	"apple,asc-mailbox-v4",
	"apple,asc-mailbox",
	"apple,t8015-asc-mailbox",
	"apple,m3-mailbox-v2",
	NULL,
};

static int sart_create(struct copro_bus *bus, int node, void **out)
{
	return copro_sim_sart_create(bus, node, (struct copro_sim_sart **)out);
}

static void sart_destroy(void *model)
{
	copro_sim_sart_destroy(model);
}

static int pmgr_create(struct copro_bus *bus, int node, void **out)
{
	return sim_pmgr_ps_create(bus, node, (struct sim_pmgr_ps **)out);
}

static void pmgr_destroy(void *model)
{
	sim_pmgr_ps_destroy(model);
}

static const char *const pmgr_compatibles[] = {
	"apple,pmgr-pwrstate",
	NULL,
};

/* The layouts copro_sim_sart_matches knows, one per SART version. */
static const char *const sart_compatibles[] = {
	"apple,t8015-sart",
	"apple,t8103-sart",
	"apple,t6000-sart",
	NULL,
};

static int sram_create(struct copro_bus *bus, int node, void **out)
{
	return copro_sim_sram_create(bus, node, (struct copro_sim_sram **)out);
}

static void sram_destroy(void *model)
{
	copro_sim_sram_destroy(model);
}

static const char *const sram_compatibles[] = {
	"mmio-sram",
	NULL,
};

static int hyp_create(struct copro_bus *bus, int node, void **out)
{
	return copro_sim_hyp_create(bus, node, (struct copro_sim_hyp **)out);
}

static void hyp_destroy(void *model)
{
	copro_sim_hyp_destroy(model);
}

static const char *const hyp_compatibles[] = {
	COPRO_SIM_HYP_COMPATIBLE,
	NULL,
};

static const struct model_kind model_kinds[] = {
	[KIND_ASC] = { "ASC", asc_compatibles, asc_create, asc_destroy },
	[KIND_SART] = { "SART", sart_compatibles, sart_create, sart_destroy },
	[KIND_PMGR] = { "PMGR power state", pmgr_compatibles, pmgr_create,
			pmgr_destroy },
	[KIND_SRAM] = { "SRAM", sram_compatibles, sram_create, sram_destroy },
	[KIND_HYP] = { "Gunyah hypervisor", hyp_compatibles, hyp_create,
		       hyp_destroy },
};

#define NKINDS (sizeof(model_kinds) / sizeof(model_kinds[0]))

/* ---- instantiation ---------------------------------------------------- */

static struct board_model *find_model(const struct copro_board *b, int node)
{
	for (size_t i = 0; i < b->nmodels; i++)
		if (b->models[i].node == node)
			return &b->models[i];
	return NULL;
}

void *board_model_of(const struct copro_board *b, int node,
		     enum board_kind kind)
{
	struct board_model *m = find_model(b, node);

	return m && m->kind == &model_kinds[kind] ? m->model : NULL;
}

/* Every coprocessor CPU stops first: no firmware may run while freed. */
static void stop_cpus(struct copro_board *b)
{
	for (size_t i = 0; i < b->nmodels; i++)
		if (b->models[i].kind == &model_kinds[KIND_ASC])
			copro_sim_asc_cpu_stop(b->models[i].model);
}

/* Nodes matching several compatibles of the table are visited once each. */
static int count_nodes(const struct copro_board *b)
{
	int n = 0;

	for (size_t k = 0; k < NKINDS; k++)
		for (const char *const *c = model_kinds[k].compatibles; *c; c++)
			for (int node = copro_dt_next_compatible(b->dt, -1, *c);
			     node >= 0;
			     node = copro_dt_next_compatible(b->dt, node, *c))
				n++;
	return n;
}

static int instantiate(struct copro_board *b, const struct model_kind *kind,
		       int node)
{
	struct board_model *m = &b->models[b->nmodels];
	char path[256];
	int ret;

	if (find_model(b, node))
		return 0;
	ret = kind->create(b->bus, node, &m->model);
	if (ret < 0) {
		copro_dev_err(&b->ld, "cannot instantiate the %s model of %s: %s",
			      kind->name,
			      copro_dt_node_path(b->dt, node, path,
						 sizeof(path)),
			      copro_strerror(ret));
		return ret;
	}
	m->kind = kind;
	m->node = node;
	b->nmodels++;
	return 0;
}

static int instantiate_all(struct copro_board *b)
{
	int n = count_nodes(b);

	b->models = calloc(n ? (size_t)n : 1, sizeof(*b->models));
	if (!b->models)
		return -ENOMEM;
	for (size_t k = 0; k < NKINDS; k++) {
		const struct model_kind *kind = &model_kinds[k];

		for (const char *const *c = kind->compatibles; *c; c++) {
			for (int node = copro_dt_next_compatible(b->dt, -1, *c);
			     node >= 0;
			     node = copro_dt_next_compatible(b->dt, node, *c)) {
				int ret = instantiate(b, kind, node);

				if (ret < 0)
					return ret;
			}
		}
	}
	return 0;
}

static void destroy_models(struct copro_board *b)
{
	while (b->nmodels > 0) {
		struct board_model *m = &b->models[--b->nmodels];

		m->kind->destroy(m->model);
	}
	free(b->models);
	b->models = NULL;
}

/*
 * The platform over the bus, or over a tracer over the bus when the
 * board records.
 */
static int platform_create(struct copro_board *b,
			   const struct copro_board_config *cfg)
{
	struct copro_platform_config pcfg = {
		.dt = b->dt,
		.log = cfg->log,
		.ops = copro_bus_backend(),
		.backend = b->bus,
	};
	int ret;

	if (cfg->record_path) {
		const struct copro_trace_config tcfg = {
			.ops = copro_bus_backend(),
			.backend = b->bus,
			.path = cfg->record_path,
			.dt = b->dt,
			.log = cfg->log,
			.buffer_size = cfg->record_buffer,
		};

		ret = copro_trace_create(&tcfg, &b->trace);
		if (ret < 0) {
			copro_dev_err(&b->ld, "cannot record to %s: %s",
				      cfg->record_path, copro_strerror(ret));
			return ret;
		}
		pcfg.ops = copro_trace_backend();
		pcfg.backend = b->trace;
	}
	ret = copro_platform_create(&pcfg, &b->p);
	if (ret < 0) {
		copro_dev_err(&b->ld, "cannot create the platform: %s",
			      copro_strerror(ret));
		copro_trace_destroy(b->trace);
		b->trace = NULL;
	}
	return ret;
}

/* The models are gone: nothing reports to the tracer any more. */
static void platform_destroy(struct copro_board *b)
{
	copro_platform_destroy(b->p);
	b->p = NULL;
	if (b->trace && copro_trace_destroy(b->trace) < 0)
		copro_dev_err(&b->ld, "the recording is incomplete");
	b->trace = NULL;
}

int copro_board_create(const struct copro_board_config *cfg,
		       struct copro_board **out)
{
	static const struct copro_board_config defaults;

	if (!cfg)
		cfg = &defaults;

	const char *name = cfg->board ? cfg->board
			   : cfg->dtb  ? "dtb"
				       : COPRO_BOARD_DEFAULT;
	struct copro_bus_config bcfg = {
		.log = cfg->log,
		.threaded = cfg->threaded,
		.irq_spin_ns = cfg->irq_spin_ns,
	};
	struct copro_board *b;
	int ret;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	copro_logdev_init(&b->ld, cfg->log, "board:%s", name);
	b->disk = (struct copro_sim_ans2_config){
		.disk_path = cfg->disk_path,
		.size = cfg->disk_size,
		.slow_flush = cfg->slow_flush,
		.workers_only = cfg->ans2_workers_only,
		.workers = cfg->ans2_workers,
		.read_only = cfg->disk_read_only,
		.unmapped = cfg->disk_unmapped,
		.map_writes = cfg->disk_map_writes,
	};
	b->firmware_only = cfg->firmware_only;

	ret = cfg->dtb ? copro_dt_open(cfg->dtb, cfg->dtb_size, name, cfg->log,
				       &b->dt)
		       : copro_board_dt_open(name, cfg->log, &b->dt);
	if (ret < 0)
		goto err_free;
	ret = copro_dt_validate(b->dt);
	if (ret < 0)
		goto err_dt;
	bcfg.dt = b->dt;
	ret = copro_bus_create(&bcfg, &b->bus);
	if (ret < 0) {
		copro_dev_err(&b->ld, "cannot create the bus: %s",
			      copro_strerror(ret));
		goto err_dt;
	}
	ret = platform_create(b, cfg);
	if (ret < 0)
		goto err_bus;
	ret = instantiate_all(b);
	if (ret < 0)
		goto err_models;
	ret = board_fws_create(b);
	if (ret < 0)
		goto err_models;
	ret = board_scmi_create(b);
	if (ret < 0)
		goto err_models;
	*out = b;
	return 0;

err_models:
	stop_cpus(b);
	board_scmi_destroy(b);
	board_fws_destroy(b);
	destroy_models(b);
	platform_destroy(b);
err_bus:
	copro_bus_destroy(b->bus);
err_dt:
	copro_dt_close(b->dt);
err_free:
	free(b);
	return ret;
}

void copro_board_destroy(struct copro_board *b)
{
	if (!b)
		return;
	stop_cpus(b);
	board_scmi_destroy(b);
	board_fws_destroy(b);
	destroy_models(b);
	platform_destroy(b);
	copro_bus_destroy(b->bus);
	copro_dt_close(b->dt);
	free(b);
}

struct copro_sim_hyp *copro_board_hyp(const struct copro_board *b)
{
	for (size_t i = 0; i < b->nmodels; i++)
		if (b->models[i].kind == &model_kinds[KIND_HYP])
			return b->models[i].model;
	return NULL;
}

struct copro_platform *copro_board_platform(const struct copro_board *b)
{
	return b->p;
}

struct copro_bus *copro_board_bus(const struct copro_board *b)
{
	return b->bus;
}

struct copro_trace *copro_board_trace(const struct copro_board *b)
{
	return b->trace;
}

const struct copro_dt *copro_board_dt(const struct copro_board *b)
{
	return b->dt;
}

struct copro_sim_asc *copro_board_asc(const struct copro_board *b, int node)
{
	return board_model_of(b, node, KIND_ASC);
}

/* "First" in devicetree order, whichever compatible found it. */
struct copro_sim_asc *copro_board_first_asc(const struct copro_board *b)
{
	const struct board_model *first = NULL;

	for (size_t i = 0; i < b->nmodels; i++) {
		const struct board_model *m = &b->models[i];

		if (m->kind == &model_kinds[KIND_ASC] &&
		    (!first || m->node < first->node))
			first = m;
	}
	return first ? first->model : NULL;
}

struct copro_sim_sart *copro_board_sart(const struct copro_board *b, int node)
{
	return board_model_of(b, node, KIND_SART);
}
