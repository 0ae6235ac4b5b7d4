/* SPDX-License-Identifier: MIT */
/*
 * An emulated board: the devicetree, the platform built from it, and one
 * device model per enabled node the simulator knows. Which compatible
 * gets which model is the first table below; a new model is a new row.
 *
 * Coprocessors then get their firmware from the second table: a client
 * node (the NVMe controller) names the ASC it talks through (`mboxes`)
 * and the SART filtering it (`apple,sart`), and that ASC's echo firmware
 * is replaced by an RTKit firmware model configured as the real
 * coprocessor is. ASCs no client claims keep the echo firmware.
 */
#include <errno.h>
#include <stdlib.h>

#include <copro/error.h>
#include <copro/log.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>
#include <copro/sim/rtkit_fw.h>
#include <copro/sim/sart_model.h>

struct model_kind {
	const char *name;
	const char *const *compatibles; /* NULL-terminated */
	int (*create)(struct copro_platform *p, int node, void **out);
	void (*destroy)(void *model);
};

struct board_model {
	const struct model_kind *kind;
	int node;
	void *model;
};

/* A coprocessor whose ASC runs an RTKit firmware model. */
struct board_fw {
	int node;	/* the client node ("apple,nvme-ans2") */
	struct copro_sim_asc *asc;
	struct copro_sim_rtkit *rtkit;
};

struct copro_board {
	struct copro_logdev ld;
	struct copro_dt *dt;
	struct copro_platform *p;
	struct board_model *models;
	size_t nmodels;
	struct board_fw *fws;
	size_t nfws;
};

/* ---- the models ------------------------------------------------------ */

static int asc_create(struct copro_platform *p, int node, void **out)
{
	struct copro_sim_asc *asc;
	int ret = copro_sim_asc_create(p, node, &asc);

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

/* "apple,t8103-asc-mailbox" nodes also list one of these. */
static const char *const asc_compatibles[] = {
	"apple,asc-mailbox-v4",
	"apple,asc-mailbox",
	NULL,
};

static int sart_create(struct copro_platform *p, int node, void **out)
{
	return copro_sim_sart_create(p, node, (struct copro_sim_sart **)out);
}

static void sart_destroy(void *model)
{
	copro_sim_sart_destroy(model);
}

/* The layouts copro_sim_sart_matches knows, one per SART version. */
static const char *const sart_compatibles[] = {
	"apple,t8015-sart",
	"apple,t8103-sart",
	"apple,t6000-sart",
	NULL,
};

enum { KIND_ASC, KIND_SART };

static const struct model_kind model_kinds[] = {
	[KIND_ASC] = { "ASC", asc_compatibles, asc_create, asc_destroy },
	[KIND_SART] = { "SART", sart_compatibles, sart_create, sart_destroy },
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
	ret = kind->create(b->p, node, &m->model);
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

/* ---- coprocessor firmware ------------------------------------------------ */

struct fw_kind {
	const char *name;
	const char *compatible; /* of the client node */
	void (*configure)(const struct copro_board *b, int node,
			  struct copro_sim_rtkit_config *cfg);
};

#define ANS2_APP_EP 0x20

/*
 * The ANS2 NVMe coprocessor: RTKit 11-12, the system endpoints 1, 2, 3,
 * 4, 8, host-allocated buffers whose DMA the SART filters, syslog, and
 * endpoint 0x20 kept for the NVMe side. The M1 Pro/Max firmware asks for
 * an oslog buffer (the newer scheme); the M1's sends INIT and wants ACK.
 */
static void ans2_configure(const struct copro_board *b, int node,
			   struct copro_sim_rtkit_config *cfg)
{
	cfg->ver_min = 11;
	cfg->ver_max = 12;
	cfg->crashlog_buf = COPRO_SIM_RTKIT_BUF_HOST;
	cfg->syslog_buf = COPRO_SIM_RTKIT_BUF_HOST;
	cfg->ioreport_buf = COPRO_SIM_RTKIT_BUF_HOST;
	cfg->oslog_buf = copro_dt_is_compatible(b->dt, node,
						"apple,t6000-nvme-ans2")
				 ? COPRO_SIM_RTKIT_BUF_HOST
				 : COPRO_SIM_RTKIT_BUF_NONE;
	cfg->app_eps[0] = ANS2_APP_EP;
}

static const struct fw_kind fw_kinds[] = {
	{ "ANS2", "apple,nvme-ans2", ans2_configure },
};

#define NFWKINDS (sizeof(fw_kinds) / sizeof(fw_kinds[0]))

static struct copro_sim_rtkit *fw_of_asc(const struct copro_board *b,
					 const struct copro_sim_asc *asc)
{
	for (size_t i = 0; i < b->nfws; i++)
		if (b->fws[i].asc == asc)
			return b->fws[i].rtkit;
	return NULL;
}

/* The model behind reference 0 of `prop`, or NULL (logged). */
static void *ref_model(struct copro_board *b, int node, const char *prop,
		       const char *cells, int kind, const char *what)
{
	struct copro_dt_ref ref;
	struct board_model *m;
	char path[256], target[256];
	int ret = copro_dt_ref(b->dt, node, prop, cells, 0, &ref);

	copro_dt_node_path(b->dt, node, path, sizeof(path));
	if (ret < 0) {
		copro_dev_err(&b->ld, "%s: no usable '%s': %s", path, prop,
			      copro_strerror(ret));
		return NULL;
	}
	m = find_model(b, ref.node);
	if (!m || m->kind != &model_kinds[kind]) {
		copro_dev_err(&b->ld, "%s: '%s' points at %s, which has no %s"
			      " model", path, prop,
			      copro_dt_node_path(b->dt, ref.node, target,
						 sizeof(target)),
			      what);
		return NULL;
	}
	return m->model;
}

static int instantiate_fw(struct copro_board *b, const struct fw_kind *kind,
			  int node)
{
	struct copro_sim_rtkit_config cfg = { 0 };
	struct board_fw *f = &b->fws[b->nfws];
	struct copro_sim_asc *asc;
	char path[256];
	int ret;

	copro_dt_node_path(b->dt, node, path, sizeof(path));
	asc = ref_model(b, node, "mboxes", "#mbox-cells", KIND_ASC, "ASC");
	if (!asc)
		return -ENODEV;
	if (fw_of_asc(b, asc)) {
		copro_dev_err(&b->ld, "%s: its mailbox %s already runs another"
			      " coprocessor's firmware", path,
			      copro_sim_asc_name(asc));
		return -EBUSY;
	}
	if (copro_dt_has(b->dt, node, "apple,sart")) {
		cfg.sart = ref_model(b, node, "apple,sart", NULL, KIND_SART,
				     "SART");
		if (!cfg.sart)
			return -ENODEV;
	}
	kind->configure(b, node, &cfg);
	ret = copro_sim_rtkit_create(asc, &cfg, &f->rtkit);
	if (ret < 0) {
		copro_dev_err(&b->ld, "%s: cannot load the %s firmware model on"
			      " %s: %s", path, kind->name,
			      copro_sim_asc_name(asc), copro_strerror(ret));
		return ret;
	}
	f->node = node;
	f->asc = asc;
	b->nfws++;
	return 0;
}

static int instantiate_fws(struct copro_board *b)
{
	size_t n = 0;

	for (size_t k = 0; k < NFWKINDS; k++)
		for (int node = copro_dt_next_compatible(b->dt, -1,
							 fw_kinds[k].compatible);
		     node >= 0;
		     node = copro_dt_next_compatible(b->dt, node,
						     fw_kinds[k].compatible))
			n++;
	b->fws = calloc(n ? n : 1, sizeof(*b->fws));
	if (!b->fws)
		return -ENOMEM;
	for (size_t k = 0; k < NFWKINDS; k++) {
		const char *c = fw_kinds[k].compatible;

		for (int node = copro_dt_next_compatible(b->dt, -1, c);
		     node >= 0; node = copro_dt_next_compatible(b->dt, node, c)) {
			int ret = instantiate_fw(b, &fw_kinds[k], node);

			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/* Every coprocessor CPU stops first: no firmware may run while freed. */
static void destroy_fws(struct copro_board *b)
{
	for (size_t i = 0; i < b->nmodels; i++)
		if (b->models[i].kind == &model_kinds[KIND_ASC])
			copro_sim_asc_cpu_stop(b->models[i].model);
	while (b->nfws > 0)
		copro_sim_rtkit_destroy(b->fws[--b->nfws].rtkit);
	free(b->fws);
	b->fws = NULL;
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

int copro_board_create(const struct copro_board_config *cfg,
		       struct copro_board **out)
{
	static const struct copro_board_config defaults;

	if (!cfg)
		cfg = &defaults;

	const char *name = cfg->board ? cfg->board : COPRO_DT_DEFAULT_BOARD;
	struct copro_platform_config pcfg = {
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

	ret = copro_dt_open_board(name, cfg->log, &b->dt);
	if (ret < 0)
		goto err_free;
	ret = copro_dt_validate(b->dt);
	if (ret < 0)
		goto err_dt;
	pcfg.dt = b->dt;
	ret = copro_platform_create(&pcfg, &b->p);
	if (ret < 0) {
		copro_dev_err(&b->ld, "cannot create the platform: %s",
			      copro_strerror(ret));
		goto err_dt;
	}
	ret = instantiate_all(b);
	if (ret < 0)
		goto err_models;
	ret = instantiate_fws(b);
	if (ret < 0)
		goto err_models;
	*out = b;
	return 0;

err_models:
	destroy_fws(b);
	destroy_models(b);
	copro_platform_destroy(b->p);
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
	destroy_fws(b);
	destroy_models(b);
	copro_platform_destroy(b->p);
	copro_dt_close(b->dt);
	free(b);
}

struct copro_platform *copro_board_platform(const struct copro_board *b)
{
	return b->p;
}

const struct copro_dt *copro_board_dt(const struct copro_board *b)
{
	return b->dt;
}

struct copro_sim_asc *copro_board_asc(const struct copro_board *b, int node)
{
	struct board_model *m = find_model(b, node);

	if (!m || m->kind != &model_kinds[KIND_ASC])
		return NULL;
	return m->model;
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
	struct board_model *m = find_model(b, node);

	if (!m || m->kind != &model_kinds[KIND_SART])
		return NULL;
	return m->model;
}

struct copro_sim_rtkit *copro_board_rtkit(const struct copro_board *b,
					  int nvme_node)
{
	for (size_t i = 0; i < b->nfws; i++)
		if (b->fws[i].node == nvme_node)
			return b->fws[i].rtkit;
	return NULL;
}

int copro_board_nvme_node(const struct copro_board *b)
{
	int node = copro_dt_next_compatible(b->dt, -1, "apple,nvme-ans2");

	return node >= 0 ? node : -ENOENT;
}
