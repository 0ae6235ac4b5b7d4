/* SPDX-License-Identifier: MIT */
/*
 * The firmware a board runs behind SMC and HVC: an EL3 dispatcher (and an
 * EL2 one when something is reached by HVC), the SMC mailboxes' firmware,
 * and an SCMI platform per "copro,scmi-platform" node. Dispatchers and
 * mailboxes are created when a platform's configuration first needs
 * them, so a board without SCMI has no call firmware at all (every call
 * then answers NOT_SUPPORTED).
 */
#include <errno.h>
#include <stdlib.h>

#include <copro/error.h>
#include <copro/log.h>
#include <copro/sim/board.h>
#include <copro/sim/scmi_platform.h>
#include <copro/sim/smc_mbox_fw.h>
#include <copro/sim/smccc_fw.h>
#include <copro/sim/sram_model.h>
#include <copro/driver/smccc.h>

#include "board_internal.h"

#define SCMI_PLATFORM_COMPATIBLE "copro,scmi-platform"

static struct copro_sim_sram *env_sram(void *ctx, int node)
{
	return board_model_of(ctx, node, KIND_SRAM);
}

static struct copro_sim_smccc *env_dispatcher(void *ctx,
					      enum copro_conduit conduit)
{
	struct copro_board *b = ctx;
	unsigned i = conduit == COPRO_CONDUIT_HVC;

	if (conduit != COPRO_CONDUIT_SMC && conduit != COPRO_CONDUIT_HVC)
		return NULL;
	if (!b->disp[i] && copro_sim_smccc_create(b->bus, conduit, &b->disp[i]))
		return NULL;
	return b->disp[i];
}

static struct copro_sim_smc_mbox *env_smc_mbox(void *ctx, int node)
{
	struct copro_board *b = ctx;
	enum copro_conduit conduit =
		copro_dt_is_compatible(b->dt, node, "arm,hvc-mbox")
			? COPRO_CONDUIT_HVC
			: COPRO_CONDUIT_SMC;
	struct copro_sim_smccc *d;

	for (unsigned i = 0; i < b->nsmc_mbox; i++)
		if (b->smc_mbox[i].node == node)
			return b->smc_mbox[i].m;
	if (b->nsmc_mbox == BOARD_MAX_SMC_MBOX)
		return NULL;
	d = env_dispatcher(b, conduit);
	if (!d || copro_sim_smc_mbox_create(b->bus, d, node,
					    &b->smc_mbox[b->nsmc_mbox].m))
		return NULL;
	b->smc_mbox[b->nsmc_mbox++].node = node;
	return b->smc_mbox[b->nsmc_mbox - 1].m;
}

int board_scmi_create(struct copro_board *b)
{
	const struct copro_sim_scmi_env env = {
		.bus = b->bus,
		.ctx = b,
		.sram = env_sram,
		.dispatcher = env_dispatcher,
		.smc_mbox = env_smc_mbox,
	};
	enum copro_conduit psci;
	unsigned n = 0;
	int node, ret;

	/* A board with PSCI has firmware that answers the SMCCC queries. */
	if (copro_dt_next_compatible(b->dt, -1, "arm,psci-1.0") >= 0 &&
	    copro_smccc_conduit_dt(b->dt, -1, &psci) == 0 &&
	    !env_dispatcher(b, psci))
		return -ENOMEM;
	for (node = copro_dt_next_compatible(b->dt, -1, SCMI_PLATFORM_COMPATIBLE);
	     node >= 0;
	     node = copro_dt_next_compatible(b->dt, node,
					     SCMI_PLATFORM_COMPATIBLE))
		n++;
	if (!n)
		return 0;
	b->scmi = calloc(n, sizeof(*b->scmi));
	if (!b->scmi)
		return -ENOMEM;
	for (node = copro_dt_next_compatible(b->dt, -1, SCMI_PLATFORM_COMPATIBLE);
	     node >= 0;
	     node = copro_dt_next_compatible(b->dt, node,
					     SCMI_PLATFORM_COMPATIBLE)) {
		ret = copro_sim_scmi_create(&env, node, &b->scmi[b->nscmi]);
		if (ret < 0) {
			copro_dev_err(&b->ld, "cannot create the SCMI platform"
				      " of %s: %s", copro_dt_node_name(b->dt, node),
				      copro_strerror(ret));
			return ret;
		}
		b->nscmi++;
	}
	return 0;
}

void board_scmi_destroy(struct copro_board *b)
{
	while (b->nscmi)
		copro_sim_scmi_destroy(b->scmi[--b->nscmi]);
	free(b->scmi);
	b->scmi = NULL;
	while (b->nsmc_mbox)
		copro_sim_smc_mbox_destroy(b->smc_mbox[--b->nsmc_mbox].m);
	for (unsigned i = 0; i < 2; i++) {
		copro_sim_smccc_destroy(b->disp[i]);
		b->disp[i] = NULL;
	}
}

struct copro_sim_scmi *copro_board_scmi(const struct copro_board *b)
{
	return b->nscmi ? b->scmi[0] : NULL;
}

struct copro_sim_smccc *copro_board_smccc(const struct copro_board *b,
					  enum copro_conduit conduit)
{
	if (conduit == COPRO_CONDUIT_SMC)
		return b->disp[0];
	if (conduit == COPRO_CONDUIT_HVC)
		return b->disp[1];
	return NULL;
}
