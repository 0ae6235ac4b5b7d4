/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <copro/error.h>

#include "board_file.h"
#include "scmi_session.h"

int scmi_session_open(const struct scmi_session_config *cfg,
		      struct scmi_session *s)
{
	struct copro_board_config bc = {
		.board = cfg->board ? cfg->board : SCMI_SESSION_DEFAULT_BOARD,
		.log = cfg->log,
		.threaded = !cfg->polled,
	};
	const struct copro_dt *dt;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = board_file_create(&bc, &s->board);
	if (ret)
		return ret;
	s->p = copro_board_platform(s->board);
	dt = copro_board_dt(s->board);
	s->node = copro_scmi_node(dt, cfg->agent);
	if (s->node < 0) {
		copro_logf(cfg->log, COPRO_LOG_ERR, NULL,
			   "board %s has no SCMI agent %u (its SCMI nodes are"
			   " \"arm,scmi\", \"arm,scmi-smc\" and"
			   " \"arm,scmi-smc-param\", counted from 0)",
			   copro_dt_name(dt), cfg->agent);
		ret = -ENODEV;
		goto fail;
	}
	copro_dt_node_path(dt, s->node, s->path, sizeof(s->path));
	const struct copro_driver *const drivers[] = { copro_smc_mbox_driver(),
						       NULL };
	const struct copro_devices_config dc = { .drivers = drivers };

	ret = copro_devices_probe_all(s->p, &dc, &s->devs);
	if (!ret)
		ret = copro_scmi_probe(s->p, s->node, &cfg->scmi, &s->scmi);
	if (ret)
		goto fail;
	return 0;
fail:
	scmi_session_close(s);
	return ret;
}

void scmi_session_close(struct scmi_session *s)
{
	if (s->scmi)
		copro_scmi_remove(s->scmi);
	if (s->devs)
		copro_devices_remove_all(s->devs);
	if (s->board)
		copro_board_destroy(s->board);
	memset(s, 0, sizeof(*s));
}
