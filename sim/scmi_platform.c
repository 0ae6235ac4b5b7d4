/* SPDX-License-Identifier: MIT */
/*
 * The SCMI platform model: creation from the devicetree, the firmware
 * thread that finishes asynchronous work (answers on channels with an
 * a2p interrupt, delayed responses, P2A retries), fault injection and
 * the test-facing state calls. See <copro/sim/scmi_platform.h>.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/log.h>

#include "scmi_internal.h"

struct sp_agent *sp_agent_by_id(struct copro_sim_scmi *s, uint32_t id)
{
	return id >= 1 && id <= s->nagents ? &s->agents[id - 1] : NULL;
}

/* xorshift64*: garbage for fault injection, deterministic per platform. */
uint32_t sp_random(struct copro_sim_scmi *s)
{
	uint64_t x = s->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

bool sp_fault_take(struct sp_fault *f, struct copro_sim_scmi_fault *out)
{
	if (f->f.kind == COPRO_SIM_SCMI_FAULT_NONE)
		return false;
	*out = f->f;
	if (f->f.count && --f->left == 0)
		f->f.kind = COPRO_SIM_SCMI_FAULT_NONE;
	return true;
}

int sp_job_add(struct copro_sim_scmi *s, const struct sp_job *j)
{
	if (s->njobs == SP_MAX_JOBS)
		return -ENOSPC;
	s->jobs[s->njobs++] = *j;
	copro_event_signal(&s->wake);
	return 0;
}

/* Lock held: take the earliest job due by `now`; else *next its time. */
static bool job_take(struct copro_sim_scmi *s, uint64_t now, struct sp_job *j,
		     uint64_t *next)
{
	unsigned best = 0;

	*next = UINT64_MAX;
	if (!s->njobs)
		return false;
	for (unsigned i = 1; i < s->njobs; i++)
		if (s->jobs[i].due < s->jobs[best].due)
			best = i;
	if (s->jobs[best].due > now) {
		*next = s->jobs[best].due;
		return false;
	}
	*j = s->jobs[best];
	s->jobs[best] = s->jobs[--s->njobs];
	return true;
}

/* Lock held on entry and exit; A2P work drops it (channel lock first). */
static void job_run(struct copro_sim_scmi *s, const struct sp_job *j)
{
	switch (j->kind) {
	case SP_JOB_A2P:
		j->c->job_queued = false;
		copro_mutex_unlock(&s->lock);
		sp_chan_process(j->c);
		copro_mutex_lock(&s->lock);
		break;
	case SP_JOB_CLOCK_RATE:
		sp_clock_job(s, j);
		break;
	case SP_JOB_PD_STATE:
		sp_pd_job(s, j);
		break;
	case SP_JOB_RESET:
		sp_reset_job(s, j);
		break;
	case SP_JOB_SENSOR:
		sp_sensor_job(s, j);
		break;
	case SP_JOB_P2A:
		j->a->p2a.retry_queued = false;
		sp_p2a_flush(s, j->a);
		break;
	}
}

/* The platform's CPU: asynchronous work, in due order. */
static void *firmware_main(void *arg)
{
	struct copro_sim_scmi *s = arg;

	while (!atomic_load(&s->stop)) {
		uint32_t key = copro_event_prepare(&s->wake);
		struct sp_job j;
		uint64_t next, now = copro_time_ns();
		bool ran = false;

		copro_mutex_lock(&s->lock);
		while (!atomic_load(&s->stop) && job_take(s, now, &j, &next)) {
			job_run(s, &j);
			ran = true;
			now = copro_time_ns();
		}
		copro_mutex_unlock(&s->lock);
		if (ran || atomic_load(&s->stop))
			continue;
		copro_event_wait(&s->wake, key,
				 next == UINT64_MAX ? COPRO_FOREVER
						    : (int64_t)(next - now),
				 COPRO_SPIN_DEFAULT_NS);
	}
	return NULL;
}

int copro_sim_scmi_create(const struct copro_sim_scmi_env *env, int node,
			  struct copro_sim_scmi **out)
{
	struct copro_sim_scmi *s;
	int ret;

	*out = NULL;
	if (!env || !env->bus || !env->sram || !env->dispatcher ||
	    !env->smc_mbox)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->env = *env;
	s->bus = env->bus;
	s->node = node;
	s->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)node;
	copro_logdev_init(&s->ld, copro_bus_log(s->bus), "scmi-platform");
	copro_event_init(&s->wake);
	atomic_init(&s->stop, false);
	ret = copro_mutex_init(&s->lock);
	if (ret) {
		free(s);
		return ret;
	}
	ret = sp_config(s);
	if (!ret)
		ret = sp_chans_attach(s);
	if (!ret)
		ret = copro_thread_start(&s->thread, "scmi-fw", firmware_main,
					 s);
	if (ret) {
		sp_chans_detach(s);
		sp_config_free(s);
		copro_mutex_destroy(&s->lock);
		free(s);
		return ret;
	}
	copro_dev_dbg(&s->ld, "%u agents, %u clocks, %u power domains, %u"
		      " performance domains, %u resets, %u sensors",
		      s->nagents, s->nclocks, s->npds, s->nperfs, s->nresets,
		      s->nsensors);
	*out = s;
	return 0;
}

void copro_sim_scmi_destroy(struct copro_sim_scmi *s)
{
	if (!s)
		return;
	/* No new triggers, then no thread. */
	sp_chans_detach(s);
	atomic_store(&s->stop, true);
	copro_event_signal(&s->wake);
	copro_thread_join(&s->thread);
	sp_config_free(s);
	copro_mutex_destroy(&s->lock);
	free(s);
}

unsigned copro_sim_scmi_agents(const struct copro_sim_scmi *s)
{
	return s->nagents;
}

uint32_t copro_sim_scmi_agent_of(const struct copro_sim_scmi *s, int node)
{
	for (unsigned i = 0; i < s->nagents; i++)
		if (s->agents[i].transport == node)
			return s->agents[i].id;
	return 0;
}

int copro_sim_scmi_inject(struct copro_sim_scmi *s, uint32_t agent,
			  const struct copro_sim_scmi_fault *f)
{
	struct sp_agent *a = sp_agent_by_id(s, agent);
	struct sp_fault *slot;

	if (!a || !f)
		return -ENOENT;
	copro_mutex_lock(&s->lock);
	slot = f->p2a ? &a->p2a_fault : &a->fault;
	slot->f = *f;
	slot->left = f->count;
	copro_mutex_unlock(&s->lock);
	return 0;
}

int copro_sim_scmi_script(struct copro_sim_scmi *s, uint32_t agent,
			  copro_sim_scmi_script_fn fn, void *ctx)
{
	struct sp_agent *a = sp_agent_by_id(s, agent);

	if (!a)
		return -ENOENT;
	copro_mutex_lock(&s->lock);
	a->script = fn;
	a->script_ctx = ctx;
	copro_mutex_unlock(&s->lock);
	return 0;
}

int copro_sim_scmi_report_error(struct copro_sim_scmi *s, uint32_t agent,
				bool fatal)
{
	struct sp_agent *a = sp_agent_by_id(s, agent);
	uint32_t w[3];

	if (!a)
		return -ENOENT;
	copro_mutex_lock(&s->lock);
	/* One report: the header of the agent's last failed command. */
	w[0] = (fatal ? SCMI_BASE_ERROR_FATAL : 0) | 1;
	w[1] = a->last_err_hdr;
	w[2] = 0;
	sp_notify(s, agent, SCMI_PROTO_BASE, SCMI_BASE_EVT_ERROR, 0, w, 3);
	copro_mutex_unlock(&s->lock);
	return 0;
}

int copro_sim_scmi_clock_state(struct copro_sim_scmi *s, uint32_t id,
			       uint64_t *rate, bool *enabled)
{
	int ret = 0;

	copro_mutex_lock(&s->lock);
	if (id < s->nclocks) {
		*rate = s->clocks[id].rate;
		*enabled = s->clocks[id].enabled;
	} else {
		ret = -ENOENT;
	}
	copro_mutex_unlock(&s->lock);
	return ret;
}

int copro_sim_scmi_pd_state(struct copro_sim_scmi *s, uint32_t id,
			    uint32_t *state)
{
	int ret = 0;

	copro_mutex_lock(&s->lock);
	if (id < s->npds)
		*state = s->pds[id].state;
	else
		ret = -ENOENT;
	copro_mutex_unlock(&s->lock);
	return ret;
}

int copro_sim_scmi_perf_state(struct copro_sim_scmi *s, uint32_t id,
			      uint32_t *level, uint32_t *max, uint32_t *min)
{
	int ret = 0;

	copro_mutex_lock(&s->lock);
	if (id < s->nperfs) {
		*level = s->perfs[id].level;
		*max = s->perfs[id].max;
		*min = s->perfs[id].min;
	} else {
		ret = -ENOENT;
	}
	copro_mutex_unlock(&s->lock);
	return ret;
}

uint32_t copro_sim_scmi_system_state(struct copro_sim_scmi *s)
{
	uint32_t v;

	copro_mutex_lock(&s->lock);
	v = s->system_state;
	copro_mutex_unlock(&s->lock);
	return v;
}

void copro_sim_scmi_get_stats(struct copro_sim_scmi *s,
			      struct copro_sim_scmi_stats *out)
{
	copro_mutex_lock(&s->lock);
	*out = s->stats;
	copro_mutex_unlock(&s->lock);
}
