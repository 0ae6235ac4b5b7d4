/* SPDX-License-Identifier: MIT */
/*
 * Probe and remove: power domains, register regions, the SART and the
 * mailbox (providers probed by someone else, held here by reference),
 * RTKit, queues and the interrupt, then the first bring-up. Everything
 * is undone in reverse, on remove and on every probe failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/rtkit.h>

#include "nvme/nvme_internal.h"

const char *copro_nvme_state_name(enum nvme_state s)
{
	static const char *const names[] = {
		[NVME_RESETTING] = "resetting", [NVME_LIVE] = "live",
		[NVME_QUIESCING] = "quiescing", [NVME_SUSPENDED] = "suspended",
		[NVME_FAILED] = "failed",	[NVME_DEAD] = "dead",
		[NVME_REMOVED] = "removed",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static const struct copro_rtkit_ops rtkit_ops = {
	.crashed = copro_nvme_crashed,
};

int copro_nvme_power(struct copro_nvme *nvme, bool on)
{
	int rc;

	if (!on) {
		/* Off in reverse, once nothing can touch the controller. */
		while (nvme->npower_on)
			copro_power_off(nvme->power[--nvme->npower_on]);
		return 0;
	}
	/* Every domain on before the controller is touched. */
	while (nvme->npower_on < nvme->npower) {
		rc = copro_power_on(nvme->power[nvme->npower_on]);
		if (rc) {
			copro_dev_err(&nvme->ld, "power domain %u did not come on: %s",
				      nvme->npower_on, copro_strerror(rc));
			return rc;
		}
		nvme->npower_on++;
	}
	return 0;
}

static int power_up(struct copro_nvme *nvme)
{
	const struct copro_dt *dt = copro_platform_dt(nvme->p);
	int n = copro_dt_ref_count(dt, nvme->node, "power-domains",
				   "#power-domain-cells");
	int rc;

	if (n < 0)
		return n;
	if ((unsigned)n > sizeof(nvme->power) / sizeof(nvme->power[0])) {
		copro_dev_err(&nvme->ld, "power-domains lists %d domains; at most %zu supported",
			      n, sizeof(nvme->power) / sizeof(nvme->power[0]));
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		rc = copro_power_get_dt(nvme->p, nvme->node, (unsigned)i,
					&nvme->power[i]);
		if (rc)
			return rc;
		nvme->npower++;
	}
	return copro_nvme_power(nvme, true);
}

static void power_down(struct copro_nvme *nvme)
{
	copro_nvme_power(nvme, false);
	while (nvme->npower)
		copro_power_put(nvme->power[--nvme->npower]);
}

/* Every line of "resets", as Linux takes them (an array, all at once). */
static int get_resets(struct copro_nvme *nvme)
{
	const struct copro_dt *dt = copro_platform_dt(nvme->p);
	int n, rc;

	if (!copro_dt_has(dt, nvme->node, "resets"))
		return 0;
	n = copro_dt_ref_count(dt, nvme->node, "resets", "#reset-cells");
	if (n < 0)
		return n;
	if ((unsigned)n > sizeof(nvme->resets) / sizeof(nvme->resets[0])) {
		copro_dev_err(&nvme->ld, "resets lists %d lines; at most %zu supported",
			      n, sizeof(nvme->resets) / sizeof(nvme->resets[0]));
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		rc = copro_reset_get_dt(nvme->p, nvme->node, (unsigned)i,
					&nvme->resets[i]);
		if (rc)
			return rc;
		nvme->nresets++;
	}
	return 0;
}

/*
 * The SART behind "apple,sart", held by reference: its driver probed it
 * (the probe-all pass orders that) and removes it after us.
 */
static int get_sart(struct copro_nvme *nvme)
{
	int rc = copro_sart_get_dt(nvme->p, nvme->node, &nvme->sart);

	if (rc)
		copro_dev_err(&nvme->ld, "no usable apple,sart: %s",
			      copro_strerror(rc));
	return rc;
}

/*
 * RTKit over the mailbox behind "mboxes": binding the channel holds the
 * controller, which its own driver probed.
 */
static int get_rtkit(struct copro_nvme *nvme)
{
	const struct copro_dt *dt = copro_platform_dt(nvme->p);
	struct copro_rtkit_config rc_cfg = {
		.ops = &rtkit_ops,
		.ctx = nvme,
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
		.sart = nvme->sart,
		/* 0: RTKit's own default. */
		.timeout_ns = nvme_ctrl_timeout(nvme, 0),
	};
	struct copro_dt_ref ref;
	char path[256];
	int rc;

	rc = copro_rtkit_create(nvme->p, nvme->node, &rc_cfg, &nvme->rtk);
	if (rc == -ENODEV &&
	    !copro_dt_ref(dt, nvme->node, "mboxes", "#mbox-cells", 0, &ref))
		copro_dev_err(&nvme->ld,
			      "mboxes names %s, which has no mailbox controller probed",
			      copro_dt_node_path(dt, ref.node, path,
						 sizeof(path)));
	if (rc)
		copro_dev_err(&nvme->ld, "cannot set up RTKit over the mailbox: %s",
			      copro_strerror(rc));
	return rc;
}

static int map_regions(struct copro_nvme *nvme)
{
	int rc;

	rc = copro_mmio_map_dt(nvme->p, nvme->node, "nvme", 0, &nvme->regs);
	if (!rc)
		rc = copro_mmio_map_dt(nvme->p, nvme->node, "ans", 0,
				       &nvme->ans);
	if (rc) {
		copro_dev_err(&nvme->ld, "cannot map the \"%s\" registers: %s",
			      nvme->regs ? "ans" : "nvme", copro_strerror(rc));
		return rc;
	}
	if (copro_mmio_size(nvme->regs) < ANS2_NVME_REGION_SIZE ||
	    copro_mmio_size(nvme->ans) < ANS2_CPU_CONTROL + 4) {
		copro_dev_err(&nvme->ld,
			      "register regions too small: nvme 0x%llx (need 0x%x), ans 0x%llx",
			      (unsigned long long)copro_mmio_size(nvme->regs),
			      ANS2_NVME_REGION_SIZE,
			      (unsigned long long)copro_mmio_size(nvme->ans));
		return -EINVAL;
	}
	return 0;
}

static void teardown(struct copro_nvme *nvme)
{
	if (nvme->watchdog.started)
		copro_nvme_watchdog_stop(nvme);
	if (nvme->irq)
		copro_irq_free(nvme->irq);
	if (nvme->rtk)
		copro_rtkit_destroy(nvme->rtk);
	/* After RTKit: its buffers' SART entries are gone with it. */
	copro_sart_put(nvme->sart);
	copro_nvme_queues_free(nvme);
	copro_dma_free(nvme->p, &nvme->idbuf);
	for (unsigned i = 0; i < atomic_load(&nvme->nregs); i++)
		copro_dma_unregister(nvme->p, atomic_load(&nvme->regs_zc[i].phys));
	if (nvme->ans)
		copro_mmio_unmap(nvme->ans);
	if (nvme->regs)
		copro_mmio_unmap(nvme->regs);
	while (nvme->nresets)
		copro_reset_put(nvme->resets[--nvme->nresets]);
	/* Off only once nothing can touch the controller any more. */
	power_down(nvme);
	copro_rwlock_destroy(&nvme->reg_lock);
	copro_mutex_destroy(&nvme->pool_lock);
	copro_mutex_destroy(&nvme->cq_lock);
	copro_mutex_destroy(&nvme->reset_lock);
	free(nvme);
}

static int nvme_init(struct copro_nvme *nvme, struct copro_platform *p,
		     int node, const struct copro_nvme_config *cfg)
{
	const struct copro_dt *dt = copro_platform_dt(p);
	int rc;

	copro_logdev_init(&nvme->ld, copro_platform_log(p), "%s",
			  copro_dt_node_name(dt, node));
	nvme->p = p;
	nvme->node = node;
	if (cfg)
		nvme->cfg = *cfg;
	nvme->polled = !copro_platform_threaded(p);
	atomic_init(&nvme->state, NVME_RESETTING);
	atomic_init(&nvme->stop, false);
	atomic_init(&nvme->db_gate, 0);
	copro_event_init(&nvme->tag_ev);
	copro_event_init(&nvme->pool_ev);
	copro_event_init(&nvme->sync_ev);
	copro_event_init(&nvme->watch_ev);
	copro_completion_init(&nvme->admin_comp);
	rc = copro_mutex_init(&nvme->reset_lock);
	if (!rc)
		rc = copro_mutex_init(&nvme->cq_lock);
	if (!rc)
		rc = copro_mutex_init(&nvme->pool_lock);
	if (!rc)
		rc = copro_rwlock_init(&nvme->reg_lock);
	return rc;
}

int copro_nvme_probe(struct copro_platform *p, int node,
		     const struct copro_nvme_config *cfg,
		     struct copro_nvme **out)
{
	const struct copro_dt *dt = copro_platform_dt(p);
	struct copro_nvme *nvme;
	int rc;

	const struct nvme_hw *hw = copro_nvme_hw_match(dt, node);

	*out = NULL;
	if (!hw) {
		copro_logf(copro_platform_log(p), COPRO_LOG_ERR,
			   copro_dt_node_name(dt, node),
			   "compatible with neither \"%s\" nor \"%s\"",
			   COPRO_NVME_COMPATIBLE, COPRO_NVME_COMPATIBLE_T8015);
		return -ENODEV;
	}
	nvme = calloc(1, sizeof(*nvme));
	if (!nvme)
		return -ENOMEM;
	nvme->hw = hw;
	nvme->io_tag0 = hw->admin_tags;
	rc = nvme_init(nvme, p, node, cfg);
	if (rc) {
		free(nvme);
		return rc;
	}
	rc = power_up(nvme);
	if (!rc)
		rc = get_resets(nvme);
	if (!rc)
		rc = map_regions(nvme);
	if (!rc)
		rc = get_sart(nvme);
	if (!rc)
		rc = get_rtkit(nvme);
	if (!rc)
		rc = copro_nvme_queues_alloc(nvme);
	if (!rc)
		rc = copro_dma_alloc(p, NVME_PAGE_SIZE, &nvme->idbuf);
	if (!rc)
		rc = copro_irq_request_dt(p, node, NULL, 0, copro_nvme_irq, nvme,
					  &nvme->irq);
	if (rc)
		goto fail;

	copro_mutex_lock(&nvme->reset_lock);
	rc = copro_nvme_bringup(nvme, true);
	copro_nvme_cq_lock(nvme);
	if (!rc && nvme_state(nvme) == NVME_RESETTING)
		atomic_store(&nvme->state, NVME_LIVE);
	else if (!rc)
		rc = -ECONNRESET; /* crashed during bring-up */
	copro_nvme_cq_unlock(nvme);
	copro_mutex_unlock(&nvme->reset_lock);
	if (!rc && !nvme->polled)
		rc = copro_nvme_watchdog_start(nvme);
	if (rc)
		goto fail;
	*out = nvme;
	return 0;
fail:
	copro_dev_err(&nvme->ld, "probe failed: %s", copro_strerror(rc));
	if (nvme->ans)
		copro_writel(nvme->ans, ANS2_CPU_CONTROL, 0);
	teardown(nvme);
	return rc;
}

void copro_nvme_remove(struct copro_nvme *nvme)
{
	if (!nvme)
		return;
	if (nvme->watchdog.started)
		copro_nvme_watchdog_stop(nvme);
	copro_mutex_lock(&nvme->reset_lock);
	copro_nvme_quiesce_locked(nvme, NVME_REMOVED);
	/*
	 * The CPU is stopped: a reset toggle hands the block over clean, as
	 * u-boot and OpenBSD leave it; teardown then powers it down.
	 */
	if (!copro_nvme_resets(nvme, true))
		copro_nvme_resets(nvme, false);
	copro_mutex_unlock(&nvme->reset_lock);
	teardown(nvme);
}

void copro_nvme_get_info(const struct copro_nvme *nvme,
			 struct copro_nvme_info *out)
{
	*out = nvme->info;
	out->generation = nvme->hw->name;
	out->io_tags = nvme->hw->ntags - nvme->io_tag0;
}

struct copro_rtkit *copro_nvme_rtkit(struct copro_nvme *nvme)
{
	return nvme->rtk;
}

void copro_nvme_get_stats(const struct copro_nvme *nvme,
			  struct copro_nvme_stats *out)
{
	struct copro_nvme *n = (struct copro_nvme *)nvme;

	out->submitted = out->completed = 0;
	for (unsigned t = 0; t < ANS2_MAX_TAGS; t++) {
		out->submitted += atomic_load(&n->tags[t].n_submitted);
		out->completed += atomic_load(&n->tags[t].n_completed);
	}
	out->errors = atomic_load(&n->st.errors);
	out->timeouts = atomic_load(&n->st.timeouts);
	out->repolled = atomic_load(&n->st.repolled);
	out->resets = atomic_load(&n->st.resets);
	out->retried = atomic_load(&n->st.retried);
	out->failed = atomic_load(&n->st.failed);
	out->bounced_bytes = atomic_load(&n->st.bounced_bytes);
	out->zero_copy_bytes = atomic_load(&n->st.zero_copy_bytes);
}
