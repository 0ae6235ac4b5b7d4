/* SPDX-License-Identifier: MIT */
/*
 * The board's insides, shared by board.c (the device models, one per
 * node) and board_fw.c (the firmware the coprocessors run).
 */
#ifndef COPRO_SIM_BOARD_INTERNAL_H
#define COPRO_SIM_BOARD_INTERNAL_H

#include <stddef.h>

#include <copro/log.h>
#include <copro/platform.h>
#include <copro/sim/bus.h>
#include <copro/sim/ans2_model.h>
#include <copro/trace.h>

struct copro_sim_asc;
struct copro_sim_rtkit;
struct copro_sim_sart;
struct copro_sim_scmi;
struct copro_sim_smc_mbox;
struct copro_sim_smccc;
struct fw_kind;

#define BOARD_MAX_SMC_MBOX 8

struct model_kind {
	const char *name;
	const char *const *compatibles; /* NULL-terminated */
	int (*create)(struct copro_bus *bus, int node, void **out);
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
	struct copro_sim_sart *sart;	/* filtering it, or NULL */
	const struct fw_kind *kind;
	struct copro_sim_ans2 *ans2;	/* the hardware its app side drives */
};

struct copro_board {
	struct copro_logdev ld;
	struct copro_dt *dt;
	struct copro_bus *bus;
	struct copro_trace *trace;	/* between platform and bus, or NULL */
	struct copro_platform *p;
	struct board_model *models;
	size_t nmodels;
	struct board_fw *fws;
	size_t nfws;
	struct copro_sim_ans2_config disk; /* from the board config */
	bool firmware_only;
	/* Firmware reached by calls (board_scmi.c): EL3 (SMC), EL2 (HVC). */
	struct copro_sim_smccc *disp[2];
	struct {
		int node;
		struct copro_sim_smc_mbox *m;
	} smc_mbox[BOARD_MAX_SMC_MBOX];
	unsigned nsmc_mbox;
	struct copro_sim_scmi **scmi;
	unsigned nscmi;
};

enum board_kind { KIND_ASC, KIND_SART, KIND_PMGR, KIND_SRAM, KIND_HYP };

/* The model of `kind` instantiated for `node`, or NULL. */
void *board_model_of(const struct copro_board *b, int node,
		     enum board_kind kind);

/* board_fw.c: after the models; the CPUs are stopped before destroy. */
int board_fws_create(struct copro_board *b);
void board_fws_destroy(struct copro_board *b);

/* board_scmi.c: SCMI platforms and the call firmware they sit behind. */
int board_scmi_create(struct copro_board *b);
void board_scmi_destroy(struct copro_board *b);

#endif
