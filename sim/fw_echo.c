/* SPDX-License-Identifier: MIT */
/*
 * The echo firmware: every message the AP sends comes straight back,
 * unchanged. The simplest peer that exercises both FIFOs, both
 * directions' flow control and the CPU start/stop path.
 */
#include <errno.h>

#include <copro/os.h>
#include <copro/sim/asc_model.h>

static void echo_run(void *ctx, struct copro_sim_asc *asc)
{
	struct copro_asc_msg msg;

	(void)ctx;
	/* Waits are unbounded: only a CPU stop (-ESHUTDOWN) ends them. */
	while (copro_sim_asc_iop_recv(asc, &msg, COPRO_FOREVER) == 0 &&
	       copro_sim_asc_iop_send(asc, &msg, COPRO_FOREVER) == 0)
		;
}

static const struct copro_sim_asc_fw echo_fw = {
	.name = "echo",
	.run = echo_run,
};

const struct copro_sim_asc_fw *copro_sim_fw_echo(void)
{
	return &echo_fw;
}
