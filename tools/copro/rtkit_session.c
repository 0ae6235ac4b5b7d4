/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <copro/asc.h>
#include <copro/error.h>
#include <copro/nvme.h>
#include <copro/regs/asc.h>

#include "rtkit_session.h"
#include "board_file.h"

static void say(const struct rtkit_session_config *cfg, int err,
		const char *what, const char *path)
{
	copro_logf(cfg->log, COPRO_LOG_ERR, NULL, "%s: %s: %s", path, what,
		   copro_strerror(err));
}

static int power_on(const struct rtkit_session_config *cfg,
		    struct rtkit_session *s)
{
	const struct copro_dt *dt = copro_board_dt(s->board);
	int n = copro_dt_ref_count(dt, s->node, "power-domains",
				   "#power-domain-cells");

	if (n > RTKIT_SESSION_MAX_PD)
		n = RTKIT_SESSION_MAX_PD;
	for (int i = 0; i < n; i++) {
		int ret = copro_power_get_dt(s->p, s->node, (unsigned)i,
					     &s->pd[s->npd]);
		if (ret) {
			say(cfg, ret, "power domain", s->path);
			return ret;
		}
		s->npd++;
		ret = copro_power_on(s->pd[i]);
		if (ret) {
			say(cfg, ret, "power on", s->path);
			return ret;
		}
		s->npd_on++;
	}
	return 0;
}

int rtkit_session_open(const struct rtkit_session_config *cfg,
		       struct rtkit_session *s)
{
	struct copro_board_config bc = {
		.board = cfg->board,
		.log = cfg->log,
		.threaded = !cfg->polled,
		.record_path = cfg->record,
	};
	/*
	 * The providers the NVMe driver would find probed: the ASC mailbox
	 * and the SART, through the same probe-all pass, without the NVMe
	 * driver itself (the session plays its part at the RTKit level).
	 */
	const struct copro_driver *const drivers[] = {
		copro_asc_driver(), copro_sart_driver(), NULL,
	};
	const struct copro_devices_config dc = { .drivers = drivers };
	int ret;

	memset(s, 0, sizeof(*s));
	ret = board_file_create(&bc, &s->board);
	if (ret)
		return ret;
	s->p = copro_board_platform(s->board);
	const struct copro_dt *dt = copro_board_dt(s->board);

	s->node = copro_board_nvme_node(s->board);
	if (s->node < 0) {
		copro_logf(cfg->log, COPRO_LOG_ERR, NULL,
			   "board %s has no enabled '%s' or '%s' node",
			   copro_dt_name(dt), COPRO_NVME_COMPATIBLE,
			   COPRO_NVME_COMPATIBLE_T8015);
		ret = -ENODEV;
		goto fail;
	}
	copro_dt_node_path(dt, s->node, s->path, sizeof(s->path));
	ret = power_on(cfg, s);
	if (ret)
		goto fail;
	ret = copro_devices_probe_all(s->p, &dc, &s->devs);
	if (ret) {
		say(cfg, ret, "mailbox and SART probe", s->path);
		goto fail;
	}
	ret = copro_sart_get_dt(s->p, s->node, &s->sart);
	if (ret) {
		say(cfg, ret, "SART", s->path);
		goto fail;
	}
	ret = copro_mmio_map_dt(s->p, s->node, "ans", 0, &s->ans);
	if (ret) {
		say(cfg, ret, "map \"ans\"", s->path);
		goto fail;
	}
	const struct copro_rtkit_config rc = {
		.ops = cfg->ops,
		.ctx = cfg->ctx,
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
		.sart = s->sart,
	};
	ret = copro_rtkit_create(s->p, s->node, &rc, &s->rtk);
	if (ret) {
		say(cfg, ret, "RTKit", s->path);
		goto fail;
	}
	return 0;
fail:
	rtkit_session_close(s);
	return ret;
}

void rtkit_session_cpu_run(struct rtkit_session *s, bool run)
{
	copro_writel(s->ans, ASC_CPU_CONTROL, run ? ASC_CPU_CONTROL_RUN : 0);
}

void rtkit_session_close(struct rtkit_session *s)
{
	if (s->rtk && copro_rtkit_is_running(s->rtk))
		copro_rtkit_shutdown(s->rtk);
	if (s->ans)
		rtkit_session_cpu_run(s, false);
	if (s->rtk)
		copro_rtkit_destroy(s->rtk);
	copro_sart_put(s->sart);
	/* The SART driver's remove clears its entries, as shutdown did. */
	if (s->devs && copro_devices_remove_all(s->devs) < 0)
		copro_logf(copro_platform_log(s->p), COPRO_LOG_ERR, NULL,
			   "%s: the mailbox and SART did not come down", s->path);
	if (s->ans)
		copro_mmio_unmap(s->ans);
	for (unsigned i = 0; i < s->npd; i++) {
		if (i < s->npd_on)
			copro_power_off(s->pd[i]);
		copro_power_put(s->pd[i]);
	}
	if (s->board)
		copro_board_destroy(s->board);
	memset(s, 0, sizeof(*s));
}
