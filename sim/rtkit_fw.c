/* SPDX-License-Identifier: MIT */
/*
 * The RTKit firmware model: lifecycle, the CPU thread's main loop,
 * sending and state. The protocol itself is in the other rtkit_fw_*.c
 * files (see rtkit_fw_internal.h for the map).
 *
 * Each CPU start is a fresh firmware boot: HELLO, the endpoint map, the
 * system endpoints' buffer requests, IOP ON. Clearing RUN ends fw_run();
 * nothing survives into the next start except configuration and faults.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/sim/asc_model.h>

#include "rtkit_fw_internal.h"

#define FW_DEFAULT_VER_MIN 11
#define FW_DEFAULT_VER_MAX 12
/* Generous: a busy host must not stall a firmware it does echo. */
#define FW_DEFAULT_IOREPORT_TIMEOUT_NS (2 * COPRO_NSEC_PER_SEC)

static const uint8_t system_eps[] = { FW_EP_CRASHLOG, FW_EP_SYSLOG,
				      FW_EP_DEBUG, FW_EP_IOREPORT,
				      FW_EP_OSLOG };

/* ---- sending and refusing --------------------------------------------- */

int fw_send(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg)
{
	struct copro_asc_msg m = { .msg0 = msg, .msg1 = ep };
	/* A full I2A FIFO blocks the firmware, as it would the real CPU. */
	int ret = copro_sim_asc_iop_send(fw->asc, &m, COPRO_FOREVER);

	if (ret < 0)
		return ret;
	fw_hist_record(fw, ep, msg, true);
	copro_dev_trace(&fw->ld, "sent ep 0x%02x msg 0x%016" PRIx64, ep, msg);
	return 0;
}

void fw_refuse(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg,
	       const char *fmt, ...)
{
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	copro_dev_warn(&fw->ld, "refused ep 0x%02x msg 0x%016" PRIx64 ": %s",
		       ep, msg, why);
	/* Counted after the line: whoever sees the count finds the line. */
	fw_stat_inc(fw, refused);
}

uint32_t fw_timestamp(const struct copro_sim_rtkit *fw)
{
	return (uint32_t)((copro_time_ns() - atomic_load(&fw->start_ns)) /
			  COPRO_NSEC_PER_USEC);
}

bool fw_is_app_ep(const struct copro_sim_rtkit *fw, uint8_t ep)
{
	for (unsigned i = 0; i < fw->n_app_eps; i++)
		if (fw->app_eps[i] == ep)
			return true;
	return false;
}

/* Both ON: the AP may talk to application endpoints, logs may flow. */
static void update_up(struct copro_sim_rtkit *fw)
{
	bool up = fw->iop_on && fw->ap_on;
	bool was = atomic_exchange(&fw->up, up);

	/* Periodic traffic starts counting now; held lines follow the ACK. */
	if (up && !was)
		fw_log_schedule(fw);
}

/*
 * The firmware is up once the IOP reports ON, with or without AP ON:
 * that is when the app (the ANS2 controller) starts and BOOT_STATUS says
 * OK, as u-boot, which never sends AP ON, relies on.
 */
void fw_set_iop_on(struct copro_sim_rtkit *fw, bool on)
{
	if (on != fw->iop_on) {
		fw->iop_on = on;
		if (fw->have_app) {
			if (on && fw->app.up)
				fw->app.up(fw->app.ctx, fw);
			else if (!on && fw->app.down)
				fw->app.down(fw->app.ctx, fw);
		}
	}
	update_up(fw);
}

void fw_set_ap_on(struct copro_sim_rtkit *fw, bool on)
{
	fw->ap_on = on;
	update_up(fw);
}

void fw_go_silent(struct copro_sim_rtkit *fw)
{
	fw->phase = PH_SILENT;
	fw->ap_on = false;
	fw_set_iop_on(fw, false);
}

/* ---- receiving ------------------------------------------------------ */

static void rx_app(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg)
{
	if (!fw_bit(fw->map, ep)) {
		fw_refuse(fw, ep, msg, "endpoint 0x%02x is not in the map", ep);
		return;
	}
	if (!atomic_load(&fw->up)) {
		fw_refuse(fw, ep, msg,
			  "application endpoint 0x%02x before boot completed"
			  " (IOP %s, AP %s)",
			  ep, fw_pwr_name(atomic_load(&fw->iop_state)),
			  fw_pwr_name(atomic_load(&fw->ap_state)));
		return;
	}
	if (!fw_bit(fw->started, ep)) {
		fw_refuse(fw, ep, msg, "endpoint 0x%02x was not started", ep);
		return;
	}
	if (!fw->have_app || !fw->app.recv || !fw_is_app_ep(fw, ep)) {
		fw_refuse(fw, ep, msg, "no application owns endpoint 0x%02x",
			  ep);
		return;
	}
	fw_stat_inc(fw, app_messages);
	fw->app.recv(fw->app.ctx, fw, ep, msg);
}

static void rx(struct copro_sim_rtkit *fw, const struct copro_asc_msg *m)
{
	uint8_t ep = m->msg1 & RTK_ASC_EP_MASK;

	fw_hist_record(fw, ep, m->msg0, false);
	copro_dev_trace(&fw->ld, "received ep 0x%02x msg 0x%016" PRIx64, ep,
			m->msg0);
	if (fw->phase == PH_SILENT) {
		copro_dev_dbg(&fw->ld,
			      "silent: ignored ep 0x%02x msg 0x%016" PRIx64, ep,
			      m->msg0);
		return;
	}
	if (ep == 0)
		fw_mgmt_rx(fw, m->msg0);
	else if (ep < FW_APP_EP_START)
		fw_log_rx(fw, ep, m->msg0);
	else
		rx_app(fw, ep, m->msg0);
}

/* ---- the CPU thread --------------------------------------------------- */

static void build_map(struct copro_sim_rtkit *fw)
{
	bool explicit = false;

	for (size_t i = 0; i < sizeof(fw->cfg.endpoints); i++)
		explicit |= fw->cfg.endpoints[i] != 0;
	memset(fw->map, 0, sizeof(fw->map));
	if (explicit) {
		memcpy(fw->map, fw->cfg.endpoints, sizeof(fw->map));
	} else {
		for (size_t i = 0; i < sizeof(system_eps); i++)
			fw_set_bit(fw->map, system_eps[i]);
	}
	fw_set_bit(fw->map, 0);
	for (unsigned i = 0; i < fw->n_app_eps; i++)
		fw_set_bit(fw->map, fw->app_eps[i]);
}

static void boot_reset(struct copro_sim_rtkit *fw)
{
	atomic_store(&fw->start_ns, copro_time_ns());
	memset(fw->started, 0, sizeof(fw->started));
	fw->version = 0;
	fw->waking = false;
	fw->iop_on = false;
	fw->ap_on = false;
	atomic_store(&fw->up, false);
	atomic_store(&fw->crashed, false);
	atomic_store(&fw->stalled, false);
	atomic_store(&fw->iop_state, FW_PWR_OFF);
	atomic_store(&fw->ap_state, FW_PWR_OFF);
	fw_hist_reset(fw);
	fw_buf_reset(fw);
	fw_log_reset(fw);
	build_map(fw);
}

void fw_restart(struct copro_sim_rtkit *fw)
{
	copro_dev_info(&fw->ld, "restarting on its own: HELLO again");
	fw->ap_on = false;
	fw_set_iop_on(fw, false);
	boot_reset(fw);
	fw_mgmt_boot(fw);
}

static void fw_run(void *ctx, struct copro_sim_asc *asc)
{
	struct copro_sim_rtkit *fw = ctx;
	struct copro_asc_msg m;

	(void)asc;
	boot_reset(fw);
	fw_mgmt_boot(fw);
	for (;;) {
		uint64_t now = copro_time_ns(), next = UINT64_MAX;
		int64_t timeout = COPRO_FOREVER;
		int ret;

		if (fw->phase != PH_SILENT)
			fw_log_timers(fw, now, &next);
		if (next != UINT64_MAX)
			timeout = next > now ? (int64_t)(next - now) : 0;
		ret = copro_sim_asc_iop_recv(fw->asc, &m, timeout);
		if (ret == -ESHUTDOWN)
			break;
		if (ret == 0)
			rx(fw, &m);
		fw_run_injections(fw);
	}
	fw->ap_on = false;
	fw_set_iop_on(fw, false);
	fw_drain_injections(fw);
	copro_dev_dbg(&fw->ld, "CPU stopped: firmware halted");
}

/* ---- lifecycle ---------------------------------------------------------- */

static int set_app_eps(struct copro_sim_rtkit *fw, const uint8_t *eps,
		       size_t max)
{
	unsigned n = 0;

	for (size_t i = 0; eps && i < max && eps[i]; i++) {
		if (eps[i] < FW_APP_EP_START) {
			copro_dev_err(&fw->ld,
				      "app endpoint 0x%02x is a system endpoint"
				      " (application endpoints start at 0x%02x)",
				      eps[i], FW_APP_EP_START);
			return -EINVAL;
		}
		if (n == FW_MAX_APP_EPS) {
			copro_dev_err(&fw->ld, "more than %d app endpoints",
				      FW_MAX_APP_EPS);
			return -EINVAL;
		}
		fw->app_eps[n++] = eps[i];
	}
	fw->n_app_eps = n;
	return 0;
}

static int check_config(struct copro_sim_rtkit *fw)
{
	struct copro_sim_rtkit_config *c = &fw->cfg;

	if (!c->ver_min && !c->ver_max) {
		c->ver_min = FW_DEFAULT_VER_MIN;
		c->ver_max = FW_DEFAULT_VER_MAX;
	}
	if (c->ver_min > c->ver_max || c->ver_max > 0xffff) {
		copro_dev_err(&fw->ld, "version range [%u, %u] is empty or"
			      " does not fit 16 bits", c->ver_min, c->ver_max);
		return -EINVAL;
	}
	if (!c->ioreport_timeout_ns)
		c->ioreport_timeout_ns = FW_DEFAULT_IOREPORT_TIMEOUT_NS;
	return fw_buf_config(fw);
}

int copro_sim_rtkit_create(struct copro_sim_asc *asc,
			   const struct copro_sim_rtkit_config *cfg,
			   struct copro_sim_rtkit **out)
{
	struct copro_sim_rtkit *fw;
	struct copro_sim_asc_fw afw;
	int ret;

	*out = NULL;
	if (!asc || !cfg)
		return -EINVAL;
	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return -ENOMEM;
	fw->asc = asc;
	fw->bus = copro_sim_asc_bus(asc);
	fw->cfg = *cfg;
	snprintf(fw->name, sizeof(fw->name), "%s",
		 cfg->name ? cfg->name : copro_sim_asc_name(asc));
	fw->cfg.name = fw->name;
	snprintf(fw->who, sizeof(fw->who), "rtkit firmware of %s", fw->name);
	copro_logdev_init(&fw->ld, copro_bus_log(fw->bus), "sim:%s:rtkit",
			  fw->name);

	ret = check_config(fw);
	if (ret < 0)
		goto err_free;
	ret = set_app_eps(fw, cfg->app_eps, sizeof(cfg->app_eps));
	if (ret < 0)
		goto err_free;
	if (cfg->app) {
		fw->app = *cfg->app;
		fw->have_app = true;
	}
	ret = copro_mutex_init(&fw->q_lock);
	if (ret < 0)
		goto err_free;
	ret = copro_mutex_init(&fw->hist_lock);
	if (ret < 0)
		goto err_q;
	ret = copro_mutex_init(&fw->sram_lock);
	if (ret < 0)
		goto err_hist;
	ret = fw_sram_add(fw);
	if (ret < 0)
		goto err_sram_lock;

	afw = (struct copro_sim_asc_fw){ .name = "rtkit", .run = fw_run,
					 .ctx = fw };
	ret = copro_sim_asc_set_firmware(asc, &afw);
	if (ret < 0)
		goto err_sram;
	copro_dev_dbg(&fw->ld, "RTKit firmware model loaded (versions %u-%u)",
		      fw->cfg.ver_min, fw->cfg.ver_max);
	*out = fw;
	return 0;

err_sram:
	fw_sram_remove(fw);
err_sram_lock:
	copro_mutex_destroy(&fw->sram_lock);
err_hist:
	copro_mutex_destroy(&fw->hist_lock);
err_q:
	copro_mutex_destroy(&fw->q_lock);
err_free:
	free(fw);
	return ret;
}

void copro_sim_rtkit_destroy(struct copro_sim_rtkit *fw)
{
	if (!fw)
		return;
	if (copro_sim_asc_cpu_running(fw->asc)) {
		copro_dev_warn(&fw->ld, "destroyed while its CPU runs:"
			       " stopping the CPU first");
		copro_sim_asc_cpu_stop(fw->asc);
	}
	copro_sim_asc_set_firmware(fw->asc, NULL);
	fw_sram_remove(fw);
	copro_mutex_destroy(&fw->sram_lock);
	copro_mutex_destroy(&fw->hist_lock);
	copro_mutex_destroy(&fw->q_lock);
	free(fw);
}

int copro_sim_rtkit_set_app(struct copro_sim_rtkit *fw,
			    const struct copro_sim_rtkit_app *app,
			    const uint8_t *eps)
{
	int ret;

	if (copro_sim_asc_cpu_running(fw->asc)) {
		copro_dev_err(&fw->ld, "cannot change the app while the CPU"
			      " runs");
		return -EBUSY;
	}
	/* With no list, an app takes the endpoints the config reserved. */
	if (!app || eps) {
		ret = set_app_eps(fw, app ? eps : NULL, FW_MAX_APP_EPS + 1);
		if (ret < 0)
			return ret;
	}
	fw->have_app = app != NULL;
	if (app)
		fw->app = *app;
	else
		memset(&fw->app, 0, sizeof(fw->app));
	return 0;
}

int copro_sim_rtkit_send(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg)
{
	int ret;

	if (!fw_is_app_ep(fw, ep)) {
		copro_dev_err(&fw->ld, "app send on endpoint 0x%02x, which is"
			      " not one of its endpoints", ep);
		return -EINVAL;
	}
	if (atomic_load(&fw->crashed))
		return -ECONNRESET;
	if (!atomic_load(&fw->up))
		return -ENOTCONN;
	ret = fw_send(fw, ep, msg);
	if (ret == 0)
		fw_stat_inc(fw, app_messages);
	return ret;
}

/* ---- state ------------------------------------------------------------ */

bool copro_sim_rtkit_is_up(const struct copro_sim_rtkit *fw)
{
	return atomic_load(&fw->up);
}

unsigned copro_sim_rtkit_iop_state(const struct copro_sim_rtkit *fw)
{
	return atomic_load(&fw->iop_state);
}

unsigned copro_sim_rtkit_ap_state(const struct copro_sim_rtkit *fw)
{
	return atomic_load(&fw->ap_state);
}

bool copro_sim_rtkit_crashed(const struct copro_sim_rtkit *fw)
{
	return atomic_load(&fw->crashed);
}

bool copro_sim_rtkit_stalled(const struct copro_sim_rtkit *fw)
{
	return atomic_load(&fw->stalled);
}

void copro_sim_rtkit_get_stats(const struct copro_sim_rtkit *fw,
			       struct copro_sim_rtkit_stats *out)
{
	*out = (struct copro_sim_rtkit_stats){
		.boots = atomic_load(&fw->st.boots),
		.refused = atomic_load(&fw->st.refused),
		.syslog_sent = atomic_load(&fw->st.syslog_sent),
		.syslog_acked = atomic_load(&fw->st.syslog_acked),
		.ioreport_sent = atomic_load(&fw->st.ioreport_sent),
		.ioreport_echoed = atomic_load(&fw->st.ioreport_echoed),
		.sart_blocked = atomic_load(&fw->st.sart_blocked),
		.injections_dropped = atomic_load(&fw->st.injections_dropped),
		.app_messages = atomic_load(&fw->st.app_messages),
	};
}
