/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <copro/error.h>
#include <copro/regs/asc.h>

#include "asc_session.h"
#include "board_file.h"

int asc_session_open(const struct asc_session_config *cfg,
		     struct asc_session *s)
{
	struct copro_board_config bc = {
		.board = cfg->board,
		.log = cfg->log,
		.threaded = cfg->threaded,
		.irq_spin_ns = cfg->irq_spin_ns,
		.record_path = cfg->record,
	};
	/* The session is the mailbox's client: the ASC driver alone. */
	const struct copro_driver *const drivers[] = { copro_asc_driver(),
						       NULL };
	const struct copro_devices_config dc = { .drivers = drivers };
	uint64_t base, size;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = board_file_create(&bc, &s->board);
	if (ret)
		return ret;
	s->p = copro_board_platform(s->board);
	const struct copro_dt *dt = copro_board_dt(s->board);

	s->node = copro_asc_next(dt, -1);
	if (s->node < 0) {
		copro_logf(cfg->log, COPRO_LOG_ERR, NULL,
			   "board %s has no enabled mailbox node ('%s', '%s' or"
			   " '%s')",
			   copro_dt_name(dt), COPRO_ASC_COMPATIBLE_V4,
			   COPRO_ASC_COMPATIBLE_T8015, COPRO_ASC_COMPATIBLE_M3);
		ret = -ENODEV;
		goto fail;
	}
	copro_dt_node_path(dt, s->node, s->path, sizeof(s->path));
	s->model = copro_board_asc(s->board, s->node);
	/*
	 * The board runs RTKit firmware on a mailbox an NVMe node uses; a
	 * session talks raw mailbox messages, so it loads the echo firmware.
	 */
	ret = s->model ? copro_sim_asc_set_firmware(s->model,
						    copro_sim_fw_echo())
		       : -ENODEV;
	if (ret)
		goto fail;

	/* The coprocessor's CPU control block, wherever the board puts it. */
	copro_sim_asc_cpu_region(s->model, &base, &size);
	ret = copro_mmio_map(s->p, base, size, &s->cpu);
	if (ret)
		goto fail;
	ret = copro_devices_probe_all(s->p, &dc, &s->devs);
	if (ret)
		goto fail;
	ret = copro_mbox_request(s->p, copro_dt_node_name(dt, s->node), 0,
				 cfg->client, &s->chan);
	if (ret) {
		copro_logf(cfg->log, COPRO_LOG_ERR, NULL,
			   "%s: cannot bind mailbox channel 0: %s", s->path,
			   copro_strerror(ret));
		goto fail;
	}
	return 0;
fail:
	asc_session_close(s);
	return ret;
}

void asc_session_cpu_run(struct asc_session *s, bool run)
{
	copro_writel(s->cpu, ASC_CPU_CONTROL, run ? ASC_CPU_CONTROL_RUN : 0);
}

void asc_session_close(struct asc_session *s)
{
	if (s->cpu)
		asc_session_cpu_run(s, false);
	if (s->chan)
		copro_mbox_free(s->chan);
	if (s->devs && copro_devices_remove_all(s->devs) < 0)
		copro_logf(copro_platform_log(s->p), COPRO_LOG_ERR, NULL,
			   "%s: the mailbox did not come down", s->path);
	if (s->cpu)
		copro_mmio_unmap(s->cpu);
	if (s->board)
		copro_board_destroy(s->board);
	memset(s, 0, sizeof(*s));
}
