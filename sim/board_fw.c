/* SPDX-License-Identifier: MIT */
/*
 * The firmware a board's coprocessors run. A client node (the NVMe
 * controller) names the ASC it talks through (`mboxes`) and the SART
 * filtering its coprocessor's DMA (`apple,sart`); that ASC's echo
 * firmware is replaced by an RTKit firmware model configured as the real
 * coprocessor is. Which client gets which configuration is the table
 * below. ASCs no client claims keep the echo firmware.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <copro/error.h>
#include <copro/log.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>
#include <copro/sim/rtkit_fw.h>

#include "board_internal.h"

struct fw_kind {
	const char *name;
	const char *compatible; /* of the client node */
	void (*configure)(const struct copro_board *b, int node,
			  struct copro_sim_rtkit_config *cfg);
	/* Optional: the hardware model the firmware's app side drives. */
	int (*attach)(struct copro_board *b, struct board_fw *f);
	void (*detach)(struct board_fw *f);
};

#define ANS2_APP_EP 0x20
#define BOARD_DEFAULT_DISK_SIZE (64ull << 20)

/*
 * The ANS2 NVMe coprocessor: RTKit 11-12, the system endpoints 1, 2, 3,
 * 4, 8, host-allocated buffers whose DMA the SART filters (oslog's too:
 * the M1 and M1 Pro/Max firmware ask for one), syslog, and endpoint 0x20
 * kept for the NVMe side. It reaches IOP ON once crashlog, ioreport and
 * oslog are started: u-boot starts no others and boots real machines.
 * The A11's RTKit is driven by the same Linux code: configured alike.
 */
static void ans2_configure(const struct copro_board *b, int node,
			   struct copro_sim_rtkit_config *cfg)
{
	(void)b;
	(void)node;
	cfg->ver_min = 11;
	cfg->ver_max = 12;
	cfg->crashlog_buf = COPRO_SIM_RTKIT_BUF_HOST;
	cfg->syslog_buf = COPRO_SIM_RTKIT_BUF_HOST;
	cfg->ioreport_buf = COPRO_SIM_RTKIT_BUF_HOST;
	cfg->oslog_buf = COPRO_SIM_RTKIT_BUF_HOST;
	cfg->required_eps = (1u << 0x01) | (1u << 0x04) | (1u << 0x08);
	cfg->app_eps[0] = ANS2_APP_EP;
}

/* The NVMe controller behind the coprocessor, with the board's disk. */
static int ans2_attach(struct copro_board *b, struct board_fw *f)
{
	struct copro_sim_ans2_config disk = b->disk;
	struct stat st;

	/* A new (or empty) file of unspecified size gets the default; a
	 * block device (st_size 0) has its own. */
	if (!disk.size && (!disk.disk_path || stat(disk.disk_path, &st) ||
			   (S_ISREG(st.st_mode) && st.st_size == 0)))
		disk.size = BOARD_DEFAULT_DISK_SIZE;
	return copro_sim_ans2_create(b->bus, f->node, f->rtkit, f->sart, &disk,
				     &f->ans2);
}

static void ans2_detach(struct board_fw *f)
{
	if (f->ans2)
		copro_sim_ans2_destroy(f->ans2);
	f->ans2 = NULL;
}

/* The A11's NVMe node has no "apple,nvme-ans2" fallback: a row of its own. */
static const struct fw_kind fw_kinds[] = {
	{ "ANS2", "apple,nvme-ans2", ans2_configure, ans2_attach, ans2_detach },
	{ "ANS2", "apple,t8015-nvme-ans2", ans2_configure, ans2_attach,
	  ans2_detach },
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
		       const char *cells, enum board_kind kind,
		       const char *what)
{
	struct copro_dt_ref ref;
	void *model;
	char path[256], target[256];
	int ret = copro_dt_ref(b->dt, node, prop, cells, 0, &ref);

	copro_dt_node_path(b->dt, node, path, sizeof(path));
	if (ret < 0) {
		copro_dev_err(&b->ld, "%s: no usable '%s': %s", path, prop,
			      copro_strerror(ret));
		return NULL;
	}
	model = board_model_of(b, ref.node, kind);
	if (!model) {
		copro_dev_err(&b->ld, "%s: '%s' points at %s, which has no %s"
			      " model", path, prop,
			      copro_dt_node_path(b->dt, ref.node, target,
						 sizeof(target)),
			      what);
		return NULL;
	}
	return model;
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
	f->sart = cfg.sart;
	f->kind = kind;
	b->nfws++;
	if (kind->attach && !b->firmware_only) {
		ret = kind->attach(b, f);
		if (ret < 0) {
			copro_dev_err(&b->ld, "%s: cannot create the %s hardware"
				      " model: %s", path, kind->name,
				      copro_strerror(ret));
			return ret;
		}
	}
	return 0;
}

int board_fws_create(struct copro_board *b)
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

void board_fws_destroy(struct copro_board *b)
{
	while (b->nfws > 0) {
		struct board_fw *f = &b->fws[--b->nfws];

		if (f->kind->detach)
			f->kind->detach(f);
		copro_sim_rtkit_destroy(f->rtkit);
	}
	free(b->fws);
	b->fws = NULL;
}

struct copro_sim_rtkit *copro_board_rtkit(const struct copro_board *b,
					  int nvme_node)
{
	for (size_t i = 0; i < b->nfws; i++)
		if (b->fws[i].node == nvme_node)
			return b->fws[i].rtkit;
	return NULL;
}

/* In devicetree order, whichever generation. */
int copro_board_nvme_node(const struct copro_board *b)
{
	int best = -ENOENT;

	for (size_t k = 0; k < NFWKINDS; k++) {
		int node = copro_dt_next_compatible(b->dt, -1,
						    fw_kinds[k].compatible);

		if (node >= 0 && (best < 0 || node < best))
			best = node;
	}
	return best;
}

struct copro_sim_ans2 *copro_board_ans2(const struct copro_board *b,
					int nvme_node)
{
	for (size_t i = 0; i < b->nfws; i++)
		if (b->fws[i].node == nvme_node)
			return b->fws[i].ans2;
	return NULL;
}
