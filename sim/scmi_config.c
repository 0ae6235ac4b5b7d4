/* SPDX-License-Identifier: MIT */
/*
 * The SCMI platform's configuration from its "copro,scmi-platform" node:
 * identity, the resources of each protocol, the agents with their rights,
 * and each agent's channels, read from the transport node it names (the
 * same node the agent's OS probes). docs/scmi.md has the binding.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <copro/error.h>
#include <copro/log.h>
#include <copro/sim/sram_model.h>
#include <copro/driver/smccc.h>

#include "scmi_internal.h"

struct cfg {
	struct copro_sim_scmi *s;
	const struct copro_dt *dt;
	const void *fdt;
	char path[256];
};

static void cfg_err(struct cfg *c, int node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Every configuration error names the board, the node and the value. */
static void cfg_err(struct cfg *c, int node, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	copro_dev_err(&c->s->ld, "%s: %s: %s", copro_dt_name(c->dt),
		      copro_dt_node_path(c->dt, node, c->path,
					 sizeof(c->path)),
		      msg);
}

/* ---- small property readers ---------------------------------------- */

static int prop_u32s(struct cfg *c, int node, const char *name,
		     const uint32_t **out, unsigned *n)
{
	int len;
	const void *v = fdt_getprop(c->fdt, node, name, &len);

	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (len % 4) {
		cfg_err(c, node, "property '%s' has %d bytes, not a list of"
			" 32-bit cells", name, len);
		return -COPRO_EDT;
	}
	*out = v;
	*n = (unsigned)len / 4;
	return 0;
}

static uint32_t cell(const uint32_t *v, unsigned i)
{
	return fdt32_to_cpu(v[i]);
}

static uint64_t cell64(const uint32_t *v, unsigned i)
{
	return (uint64_t)cell(v, 2 * i) << 32 | cell(v, 2 * i + 1);
}

static int opt_u32(struct cfg *c, int node, const char *name, uint32_t def,
		   uint32_t *out)
{
	const uint32_t *v;
	unsigned n;
	int ret = prop_u32s(c, node, name, &v, &n);

	if (ret < 0)
		return ret;
	if (!v) {
		*out = def;
		return 0;
	}
	if (n != 1) {
		cfg_err(c, node, "property '%s' has %u cells, expected 1", name,
			n);
		return -COPRO_EDT;
	}
	*out = cell(v, 0);
	return 0;
}

static bool has(struct cfg *c, int node, const char *name)
{
	return fdt_getprop(c->fdt, node, name, NULL) != NULL;
}

/* A name of at most 15 characters (SCMI names are 16 bytes with NUL). */
static int name_of(struct cfg *c, int node, const char *prop, char *out)
{
	int len;
	const char *v = fdt_getprop(c->fdt, node, prop, &len);

	if (!v) {
		cfg_err(c, node, "missing property '%s'", prop);
		return -ENOENT;
	}
	if (len < 1 || v[len - 1] || strlen(v) >= SCMI_NAME_LEN) {
		cfg_err(c, node, "property '%s' must be a string of 1 to %d"
			" characters", prop, SCMI_NAME_LEN - 1);
		return -EINVAL;
	}
	memset(out, 0, SCMI_NAME_LEN);
	memcpy(out, v, strlen(v));
	return 0;
}

static int async_ns(struct cfg *c, int node, uint64_t *out)
{
	uint32_t us;
	int ret = opt_u32(c, node, "copro,async-us", 100, &us);

	*out = (uint64_t)us * COPRO_NSEC_PER_USEC;
	return ret;
}

/*
 * The resource children of `group` ("clocks", ...): count them and check
 * their ids (reg) run 0..n-1, as SCMI's dense ids do.
 */
static int group_count(struct cfg *c, const char *group, int *group_node,
		       unsigned *n)
{
	int child, g = fdt_subnode_offset(c->fdt, c->s->node, group);

	*n = 0;
	*group_node = g;
	if (g < 0)
		return 0;
	fdt_for_each_subnode(child, c->fdt, g)
		(*n)++;
	if (*n > SP_MAX_RESOURCES) {
		cfg_err(c, g, "%u resources, at most %d", *n, SP_MAX_RESOURCES);
		return -EINVAL;
	}
	return 0;
}

static int res_id(struct cfg *c, int node, unsigned n, unsigned *id)
{
	uint32_t v;
	int ret = copro_dt_u32(c->dt, node, "reg", &v);

	if (ret < 0)
		return ret;
	if (v >= n) {
		cfg_err(c, node, "reg = <%" PRIu32 ">: resource ids run 0..%u"
			" without gaps", v, n - 1);
		return -EINVAL;
	}
	*id = v;
	return 0;
}

/* Calls fn for each child with its id, each id exactly once. */
static int for_each_res(struct cfg *c, int g, unsigned n,
			int (*fn)(struct cfg *c, int node, unsigned id))
{
	uint8_t *seen;
	int child, ret = 0;

	if (!n)
		return 0;
	seen = calloc(n, 1);
	if (!seen)
		return -ENOMEM;
	fdt_for_each_subnode(child, c->fdt, g) {
		unsigned id;

		ret = res_id(c, child, n, &id);
		if (!ret && seen[id]) {
			cfg_err(c, child, "a second resource with id %u", id);
			ret = -EINVAL;
		}
		if (!ret) {
			seen[id] = 1;
			ret = fn(c, child, id);
		}
		if (ret)
			break;
	}
	free(seen);
	return ret;
}

/* ---- resources ------------------------------------------------------------ */

static int clock_one(struct cfg *c, int node, unsigned id)
{
	struct sp_clock *k = &c->s->clocks[id];
	const uint32_t *v;
	unsigned n;
	int ret = name_of(c, node, "label", k->name);

	if (!ret)
		ret = prop_u32s(c, node, "copro,rates", &v, &n);
	if (ret)
		return ret;
	if (v) {
		if (n % 2 || !n || n / 2 > SP_MAX_RATES) {
			cfg_err(c, node, "copro,rates: 1 to %d 64-bit rates",
				SP_MAX_RATES);
			return -EINVAL;
		}
		k->nrates = n / 2;
		for (unsigned i = 0; i < k->nrates; i++) {
			k->rates[i] = cell64(v, i);
			if (i && k->rates[i] <= k->rates[i - 1]) {
				cfg_err(c, node, "copro,rates must ascend");
				return -EINVAL;
			}
		}
		k->rate = k->rates[0];
	} else {
		ret = prop_u32s(c, node, "copro,rate-range", &v, &n);
		if (ret)
			return ret;
		if (n != 6 || !cell64(v, 2) || cell64(v, 0) > cell64(v, 1) ||
		    (cell64(v, 1) - cell64(v, 0)) % cell64(v, 2)) {
			cfg_err(c, node, "needs copro,rates or copro,rate-range"
				" = /bits/ 64 <min max step> (step > 0 dividing"
				" max - min)");
			return -EINVAL;
		}
		k->range = true;
		k->min = cell64(v, 0);
		k->max = cell64(v, 1);
		k->step = cell64(v, 2);
		k->rate = k->min;
	}
	ret = prop_u32s(c, node, "copro,rate", &v, &n);
	if (!ret && v) {
		if (n != 2) {
			cfg_err(c, node, "copro,rate: one 64-bit rate");
			return -EINVAL;
		}
		k->rate = cell64(v, 0);
	}
	k->enabled = has(c, node, "copro,enabled");
	if (!ret)
		ret = async_ns(c, node, &k->async_ns);
	if (!ret)
		ret = opt_u32(c, node, "copro,latency-us", 10, &k->latency_us);
	return ret;
}

static int pd_one(struct cfg *c, int node, unsigned id)
{
	struct sp_pd *d = &c->s->pds[id];
	int ret = name_of(c, node, "label", d->name);

	d->state = has(c, node, "copro,on") ? SCMI_PD_STATE_ON
					    : SCMI_PD_STATE_OFF;
	d->async = has(c, node, "copro,async");
	d->sync = !has(c, node, "copro,async-only");
	if (!ret)
		ret = async_ns(c, node, &d->async_ns);
	return ret;
}

static int perf_one(struct cfg *c, int node, unsigned id)
{
	struct sp_perf *f = &c->s->perfs[id];
	const uint32_t *v;
	unsigned n;
	int ret = name_of(c, node, "label", f->name);

	if (!ret)
		ret = prop_u32s(c, node, "copro,levels", &v, &n);
	if (ret)
		return ret;
	if (!v || !n || n % 3 || n / 3 > SP_MAX_LEVELS) {
		cfg_err(c, node, "copro,levels: 1 to %d <level power"
			" latency-us> triplets", SP_MAX_LEVELS);
		return -EINVAL;
	}
	f->nlevels = n / 3;
	for (unsigned i = 0; i < f->nlevels; i++) {
		f->levels[i] = (struct sp_level){ cell(v, 3 * i),
						  cell(v, 3 * i + 1),
						  cell(v, 3 * i + 2) };
		if ((i && f->levels[i].level <= f->levels[i - 1].level) ||
		    f->levels[i].latency_us > 0xffff) {
			cfg_err(c, node, "copro,levels must ascend, latencies"
				" below 65536 us");
			return -EINVAL;
		}
	}
	f->min = f->levels[0].level;
	f->max = f->levels[f->nlevels - 1].level;
	ret = opt_u32(c, node, "copro,level", f->max, &f->level);
	if (!ret)
		ret = opt_u32(c, node, "copro,rate-limit-us", 1000,
			      &f->rate_limit_us);
	if (!ret) {
		ret = prop_u32s(c, node, "copro,sustained", &v, &n);
		if (!ret && v && n == 2) {
			f->sustained_khz = cell(v, 0);
			f->sustained_level = cell(v, 1);
		} else if (!ret && v) {
			cfg_err(c, node, "copro,sustained = <khz level>");
			ret = -EINVAL;
		}
	}
	return ret;
}

static int reset_one(struct cfg *c, int node, unsigned id)
{
	struct sp_reset *r = &c->s->resets[id];
	int ret = name_of(c, node, "label", r->name);

	r->async = has(c, node, "copro,async");
	if (!ret)
		ret = opt_u32(c, node, "copro,latency-us",
			      SCMI_RESET_LATENCY_UNKNOWN, &r->latency_us);
	if (!ret)
		ret = async_ns(c, node, &r->async_ns);
	return ret;
}

static int sensor_one(struct cfg *c, int node, unsigned id)
{
	struct sp_sensor *x = &c->s->sensors[id];
	const uint32_t *v;
	unsigned n;
	uint32_t type, scale;
	int ret = name_of(c, node, "label", x->name);

	if (!ret)
		ret = opt_u32(c, node, "copro,type", SCMI_SENSOR_TYPE_NONE,
			      &type);
	if (!ret)
		ret = opt_u32(c, node, "copro,scale", 0, &scale);
	if (ret)
		return ret;
	if (type > 0xff || (int32_t)scale < -16 || (int32_t)scale > 15) {
		cfg_err(c, node, "copro,type is 8 bits, copro,scale -16..15");
		return -EINVAL;
	}
	x->type = (uint8_t)type;
	x->scale = (int8_t)(int32_t)scale;
	x->async = has(c, node, "copro,async");
	ret = prop_u32s(c, node, "copro,value", &v, &n);
	if (!ret && v) {
		if (n != 2) {
			cfg_err(c, node, "copro,value: one 64-bit value");
			return -EINVAL;
		}
		x->value = (int64_t)cell64(v, 0);
	}
	if (!ret)
		ret = async_ns(c, node, &x->async_ns);
	return ret;
}

/* ---- agents --------------------------------------------------------------- */

/* `prop` lists the ids with full access; absent: every resource. */
static int rights(struct cfg *c, int node, const char *prop, unsigned count,
		  uint8_t **out)
{
	const uint32_t *v;
	unsigned n;
	int ret = prop_u32s(c, node, prop, &v, &n);

	if (ret)
		return ret;
	*out = calloc(count ? count : 1, 1);
	if (!*out)
		return -ENOMEM;
	for (unsigned i = 0; i < count; i++)
		(*out)[i] = v ? 0 : 1;
	for (unsigned i = 0; v && i < n; i++) {
		if (cell(v, i) >= count) {
			cfg_err(c, node, "%s lists id %" PRIu32 "; there are %u",
				prop, cell(v, i), count);
			return -EINVAL;
		}
		(*out)[cell(v, i)] = 1;
	}
	return 0;
}

static int subs(unsigned count, uint8_t **out)
{
	*out = calloc(count ? count : 1, 1);
	return *out ? 0 : -ENOMEM;
}

/* The SRAM area a "shmem" entry names. */
static int shmem_area(struct cfg *c, int user, unsigned index, int *shm_node,
		      struct copro_sim_sram **sram, uint64_t *phys,
		      uint64_t *off, uint64_t *size)
{
	struct copro_dt_ref ref;
	int parent, ret = copro_dt_ref(c->dt, user, "shmem", NULL, index, &ref);

	if (ret < 0)
		return ret;
	*shm_node = ref.node;
	if (!copro_dt_is_compatible(c->dt, ref.node, "arm,scmi-shmem")) {
		cfg_err(c, ref.node, "shmem of %s is not \"arm,scmi-shmem\"",
			copro_dt_node_name(c->dt, user));
		return -EINVAL;
	}
	ret = copro_dt_reg(c->dt, ref.node, 0, phys, size);
	if (ret < 0)
		return ret;
	parent = fdt_parent_offset(c->fdt, ref.node);
	*sram = parent >= 0 ? c->s->env.sram(c->s->env.ctx, parent) : NULL;
	if (!*sram || !copro_sim_sram_contains(*sram, *phys, *size, off)) {
		cfg_err(c, ref.node, "0x%" PRIx64 "+0x%" PRIx64 " is not inside"
			" an \"mmio-sram\" the board models", *phys, *size);
		return -EINVAL;
	}
	if (*size < SCMI_SHMEM_MIN_SIZE || (*phys & 3) || (*size & 3) ||
	    *size - SCMI_SHMEM_PAYLOAD > SP_MSG_MAX) {
		cfg_err(c, ref.node, "a channel area of 0x%" PRIx64 " bytes at"
			" 0x%" PRIx64 ": it must be word aligned, 0x%x to 0x%x"
			" bytes", *size, *phys, SCMI_SHMEM_MIN_SIZE,
			SCMI_SHMEM_PAYLOAD + SP_MSG_MAX);
		return -EINVAL;
	}
	return 0;
}

static struct sp_chan *chan_new(struct cfg *c, struct sp_agent *a, int node)
{
	struct sp_chan *ch;

	if (a->nchans == SP_MAX_CHANS) {
		cfg_err(c, node, "agent %" PRIu32 " has more than %d channels",
			a->id, SP_MAX_CHANS);
		return NULL;
	}
	ch = &a->chans[a->nchans++];
	ch->s = c->s;
	ch->a = a;
	ch->node = node;
	ch->a2p_irq = -1;
	return ch;
}

static int a2p_irq(struct cfg *c, int node, struct sp_chan *ch)
{
	unsigned line;
	int ret;

	if (!has(c, node, "interrupts"))
		return 0;
	ret = copro_dt_irq_by_name(c->dt, node, "a2p", &line);
	if (ret < 0)
		return ret;
	ch->a2p_irq = (int)line;
	return 0;
}

/* arm,scmi-smc(-param): the node's channel, and protocols' own ones. */
static int smc_channels(struct cfg *c, struct sp_agent *a, int t)
{
	bool param = copro_dt_is_compatible(c->dt, t, "arm,scmi-smc-param");
	enum copro_conduit conduit;
	uint32_t fid;
	int child, ret = copro_dt_u32(c->dt, t, "arm,smc-id", &fid);

	if (!ret)
		ret = copro_smccc_conduit_dt(c->dt, -1, &conduit);
	if (ret)
		return ret;
	for (child = t; child >= 0;) {
		if (child == t || has(c, child, "shmem")) {
			struct sp_chan *ch = chan_new(c, a, child);

			if (!ch)
				return -ENOSPC;
			ch->trig = param ? SP_TRIG_SMC_PARAM : SP_TRIG_SMC;
			ch->conduit = conduit;
			ch->fid = fid;
			ret = shmem_area(c, child, 0, &ch->node, &ch->sram,
					 &ch->phys, &ch->off, &ch->size);
			if (!ret)
				ret = a2p_irq(c, child, ch);
			if (ret)
				return ret;
			ch->node = child;
		}
		child = child == t ? fdt_first_subnode(c->fdt, t)
				   : fdt_next_subnode(c->fdt, child);
	}
	if (!param && a->nchans > 1) {
		cfg_err(c, t, "%u channels share arm,smc-id 0x%08" PRIx32
			" without \"arm,scmi-smc-param\": the firmware cannot"
			" tell them apart", a->nchans, fid);
		return -EINVAL;
	}
	return 0;
}

static int mbox_chan_of(struct cfg *c, int node, unsigned index,
			struct copro_sim_smc_mbox **mbox, uint32_t *id)
{
	struct copro_dt_ref ref;
	int ret = copro_dt_ref(c->dt, node, "mboxes", "#mbox-cells", index,
			       &ref);

	if (ret < 0)
		return ret;
	if (!copro_dt_is_compatible(c->dt, ref.node, "arm,smc-mbox") &&
	    !copro_dt_is_compatible(c->dt, ref.node, "arm,hvc-mbox")) {
		cfg_err(c, ref.node, "the platform answers only SMC/HVC"
			" mailboxes (\"arm,smc-mbox\", \"arm,hvc-mbox\")");
		return -EINVAL;
	}
	if (ref.nargs != 1) {
		cfg_err(c, node, "mboxes entry %u has %u cells; the SMC"
			" mailbox has one (the channel id)", index, ref.nargs);
		return -EINVAL;
	}
	*mbox = c->s->env.smc_mbox(c->s->env.ctx, ref.node);
	*id = ref.args[0];
	return *mbox ? 0 : -ENODEV;
}

/* arm,scmi over SMC mailboxes: tx (and rx) mailbox channels + shmem. */
static int mbox_channels(struct cfg *c, struct sp_agent *a, int t)
{
	int child, ret, nmbox, nshm;

	for (child = t; child >= 0;) {
		if (child == t || has(c, child, "mboxes")) {
			struct sp_chan *ch = chan_new(c, a, child);

			if (!ch)
				return -ENOSPC;
			ch->trig = SP_TRIG_MBOX;
			ret = mbox_chan_of(c, child, 0, &ch->mbox,
					   &ch->mbox_chan);
			if (!ret)
				ret = shmem_area(c, child, 0, &ch->node,
						 &ch->sram, &ch->phys, &ch->off,
						 &ch->size);
			if (ret)
				return ret;
			ch->node = child;
		}
		child = child == t ? fdt_first_subnode(c->fdt, t)
				   : fdt_next_subnode(c->fdt, child);
	}
	nmbox = copro_dt_ref_count(c->dt, t, "mboxes", "#mbox-cells");
	nshm = copro_dt_ref_count(c->dt, t, "shmem", NULL);
	if (nmbox < 2 || nshm < 2)
		return 0;
	a->has_p2a = true;
	ret = mbox_chan_of(c, t, 1, &a->p2a.mbox, &a->p2a.mbox_chan);
	if (!ret)
		ret = shmem_area(c, t, 1, &a->p2a.node, &a->p2a.sram,
				 &a->p2a.phys, &a->p2a.off, &a->p2a.size);
	return ret;
}

static int agent_one(struct cfg *c, int node)
{
	struct copro_sim_scmi *s = c->s;
	struct sp_agent *a;
	const uint32_t *v;
	unsigned n;
	uint32_t id, ph;
	int t, ret = copro_dt_u32(c->dt, node, "reg", &id);

	if (ret)
		return ret;
	if (id == 0 || id > SP_MAX_AGENTS || id != s->nagents + 1) {
		cfg_err(c, node, "agent ids run 1..%d in order; this is %" PRIu32,
			SP_MAX_AGENTS, id);
		return -EINVAL;
	}
	a = &s->agents[s->nagents++];
	a->id = id;
	ret = name_of(c, node, "label", a->name);
	if (!ret)
		ret = copro_dt_u32(c->dt, node, "copro,transport", &ph);
	if (ret)
		return ret;
	t = copro_dt_by_phandle(c->dt, ph);
	if (t < 0) {
		cfg_err(c, node, "copro,transport = <0x%" PRIx32 "> names no"
			" node", ph);
		return -EINVAL;
	}
	a->transport = t;
	ret = prop_u32s(c, node, "copro,protocols", &v, &n);
	if (ret)
		return ret;
	a->protocols = 1u << 0; /* Base, always */
	for (unsigned i = 0; i < n; i++) {
		if (!sp_proto_find(cell(v, i))) {
			cfg_err(c, node, "copro,protocols: 0x%" PRIx32 " is not"
				" a protocol this platform implements",
				cell(v, i));
			return -EINVAL;
		}
		a->protocols |= 1u << (cell(v, i) - SCMI_PROTO_BASE);
	}
	a->errors_ok = has(c, node, "copro,errors");
	a->system_ok = has(c, node, "copro,system");
	a->discover_ok = !has(c, node, "copro,no-discover");
	ret = rights(c, node, "copro,clocks", s->nclocks, &a->clock_rw);
	if (!ret)
		ret = rights(c, node, "copro,power-domains", s->npds, &a->pd_rw);
	if (!ret)
		ret = rights(c, node, "copro,performance", s->nperfs,
			     &a->perf_rw);
	if (!ret)
		ret = rights(c, node, "copro,resets", s->nresets, &a->reset_rw);
	if (!ret)
		ret = rights(c, node, "copro,sensors", s->nsensors,
			     &a->sensor_rw);
	if (!ret)
		ret = subs(s->nclocks, &a->clock_ntf);
	if (!ret)
		ret = subs(s->npds, &a->pd_ntf);
	if (!ret)
		ret = subs(s->nperfs, &a->perf_ntf);
	if (!ret)
		ret = subs(s->nresets, &a->reset_ntf);
	if (ret)
		return ret;
	if (copro_dt_is_compatible(c->dt, t, "arm,scmi-smc") ||
	    copro_dt_is_compatible(c->dt, t, "arm,scmi-smc-param"))
		return smc_channels(c, a, t);
	if (copro_dt_is_compatible(c->dt, t, "arm,scmi"))
		return mbox_channels(c, a, t);
	cfg_err(c, t, "agent %" PRIu32 "'s transport is neither"
		" \"arm,scmi-smc\" nor \"arm,scmi\"", id);
	return -EINVAL;
}

/* ---- the whole node ------------------------------------------------------- */

#define DUP(field, n)                                                      \
	do {                                                               \
		s->field##0 = malloc(sizeof(*s->field) * ((n) ? (n) : 1)); \
		if (!s->field##0)                                          \
			return -ENOMEM;                                    \
		memcpy(s->field##0, s->field, sizeof(*s->field) * (n));    \
	} while (0)

int sp_config(struct copro_sim_scmi *s)
{
	struct cfg c = { .s = s, .dt = copro_bus_dt(s->bus) };
	int g, child, ret;
	unsigned n;

	c.fdt = copro_dt_blob(c.dt);
	ret = name_of(&c, s->node, "vendor", s->vendor);
	if (!ret)
		ret = name_of(&c, s->node, "sub-vendor", s->sub_vendor);
	if (!ret)
		ret = opt_u32(&c, s->node, "implementation-version", 0,
			      &s->impl_version);
	if (ret)
		return ret;

#define GROUP(name, field, count, one)                                      \
	ret = group_count(&c, name, &g, &n);                                \
	if (ret)                                                            \
		return ret;                                                 \
	s->field = calloc(n ? n : 1, sizeof(*s->field));                    \
	if (!s->field)                                                      \
		return -ENOMEM;                                             \
	s->count = n;                                                       \
	ret = for_each_res(&c, g, n, one);                                  \
	if (ret)                                                            \
		return ret;
	GROUP("clocks", clocks, nclocks, clock_one)
	GROUP("power-domains", pds, npds, pd_one)
	GROUP("performance", perfs, nperfs, perf_one)
	GROUP("resets", resets, nresets, reset_one)
	GROUP("sensors", sensors, nsensors, sensor_one)
#undef GROUP
	for (unsigned i = 0; i < s->nclocks; i++) {
		struct sp_clock *k = &s->clocks[i];
		bool ok = k->range ? k->rate >= k->min && k->rate <= k->max
				   : false;

		for (unsigned j = 0; !k->range && j < k->nrates; j++)
			ok |= k->rates[j] == k->rate;
		if (!ok) {
			copro_dev_err(&s->ld, "clock %u (%s): copro,rate %"
				      PRIu64 " is not one of its rates", i,
				      k->name, k->rate);
			return -EINVAL;
		}
	}
	s->system_state = SCMI_SYS_POWER_UP;

	fdt_for_each_subnode(child, c.fdt, s->node) {
		const char *name = fdt_get_name(c.fdt, child, NULL);

		if (!name || strncmp(name, "agent@", 6))
			continue;
		if (s->nagents == SP_MAX_AGENTS) {
			cfg_err(&c, child, "more than %d agents", SP_MAX_AGENTS);
			return -EINVAL;
		}
		ret = agent_one(&c, child);
		if (ret)
			return ret;
	}
	if (!s->nagents) {
		cfg_err(&c, s->node, "no agent@N nodes: nobody could call");
		return -EINVAL;
	}
	DUP(clocks, s->nclocks);
	DUP(pds, s->npds);
	DUP(perfs, s->nperfs);
	DUP(resets, s->nresets);
	DUP(sensors, s->nsensors);
	return 0;
}

void sp_reset_state(struct copro_sim_scmi *s)
{
	memcpy(s->clocks, s->clocks0, sizeof(*s->clocks) * s->nclocks);
	memcpy(s->pds, s->pds0, sizeof(*s->pds) * s->npds);
	memcpy(s->perfs, s->perfs0, sizeof(*s->perfs) * s->nperfs);
	memcpy(s->resets, s->resets0, sizeof(*s->resets) * s->nresets);
	memcpy(s->sensors, s->sensors0, sizeof(*s->sensors) * s->nsensors);
	s->system_state = SCMI_SYS_POWER_UP;
	for (unsigned i = 0; i < s->nagents; i++) {
		struct sp_agent *a = &s->agents[i];

		memset(a->clock_ntf, 0, s->nclocks);
		memset(a->pd_ntf, 0, s->npds);
		memset(a->perf_ntf, 0, s->nperfs);
		memset(a->reset_ntf, 0, s->nresets);
		a->sys_ntf = a->err_ntf = false;
		a->clock_async = a->sensor_async = a->reset_async = 0;
	}
}

void sp_config_free(struct copro_sim_scmi *s)
{
	for (unsigned i = 0; i < SP_MAX_AGENTS; i++) {
		struct sp_agent *a = &s->agents[i];

		free(a->clock_rw);
		free(a->pd_rw);
		free(a->perf_rw);
		free(a->reset_rw);
		free(a->sensor_rw);
		free(a->clock_ntf);
		free(a->pd_ntf);
		free(a->perf_ntf);
		free(a->reset_ntf);
	}
	free(s->clocks);
	free(s->pds);
	free(s->perfs);
	free(s->resets);
	free(s->sensors);
	free(s->clocks0);
	free(s->pds0);
	free(s->perfs0);
	free(s->resets0);
	free(s->sensors0);
}
