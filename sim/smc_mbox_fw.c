/* SPDX-License-Identifier: MIT */
/*
 * The SMC/HVC mailbox's firmware: see <copro/sim/smc_mbox_fw.h> and the
 * call convention in <copro/regs/smc_mbox.h>.
 *
 * One mutex covers the channel table, the queues and the interrupt
 * level; sends run outside it, counted, so removing a channel can wait
 * for them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/regs/smc_mbox.h>
#include <copro/sim/smc_mbox_fw.h>
#include <copro/driver/smccc.h>

#define MAX_CHANS 32

struct event {
	uint32_t len;
	uint8_t data[COPRO_SMC_MBOX_MTU];
};

struct chan {
	bool used;
	uint32_t id;
	unsigned can;
	const struct copro_sim_smc_mbox_chan_ops *ops;
	void *ctx;
	bool rx_enabled;
	unsigned busy; /* sends in flight */
	struct event q[COPRO_SIM_SMC_MBOX_DEPTH];
	unsigned head, count;
};

struct copro_sim_smc_mbox {
	struct copro_bus *bus;
	struct copro_sim_smccc *disp;
	struct copro_logdev ld;
	int node;
	uint32_t fid;
	size_t mtu; /* 24 bytes, 12 for an SMC32 id */
	int irq;
	struct copro_mutex lock;
	struct copro_event idle; /* a send finished */
	struct chan ch[MAX_CHANS];
	bool level;
};

static struct chan *find(struct copro_sim_smc_mbox *m, uint32_t id)
{
	for (unsigned i = 0; i < MAX_CHANS; i++)
		if (m->ch[i].used && m->ch[i].id == id)
			return &m->ch[i];
	return NULL;
}

/* Lock held: the line follows "an enabled channel has an event". */
static void update_irq(struct copro_sim_smc_mbox *m)
{
	bool level = false;

	if (m->irq < 0)
		return;
	for (unsigned i = 0; i < MAX_CHANS; i++)
		if (m->ch[i].used && m->ch[i].rx_enabled && m->ch[i].count)
			level = true;
	if (level != m->level) {
		m->level = level;
		copro_bus_irq_set(m->bus, (unsigned)m->irq, level);
	}
}

static void set_ret(struct copro_smccc_regs *out, uint32_t fid, int32_t v)
{
	out->x[0] = copro_smccc_is_64(fid) ? (uint64_t)(int64_t)v : (uint32_t)v;
}

/* rb: bytes per register, 8 for SMC64 ids, 4 for SMC32 ones. */
static void words_to_bytes(const uint64_t *w, uint8_t *b, size_t len,
			   unsigned rb)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(w[i / rb] >> (8 * (i % rb)));
}

static void bytes_to_words(const uint8_t *b, size_t len, uint64_t *w,
			   unsigned rb)
{
	for (size_t i = 0; i < COPRO_SMC_MBOX_WORDS; i++)
		w[i] = 0;
	for (size_t i = 0; i < len; i++)
		w[i / rb] |= (uint64_t)b[i] << (8 * (i % rb));
}

static void do_send(struct copro_sim_smc_mbox *m, struct chan *c,
		    const struct copro_smccc_regs *in,
		    struct copro_smccc_regs *out)
{
	uint8_t msg[COPRO_SMC_MBOX_MTU];
	uint64_t len = in->x[3];
	uint32_t id = c->id;

	if (!(c->can & COPRO_SMC_MBOX_CAN_SEND) || len > m->mtu) {
		copro_mutex_unlock(&m->lock);
		set_ret(out, m->fid, COPRO_SMCCC_RET_INVALID_PARAMETER);
		return;
	}
	words_to_bytes(&in->x[4], msg, (size_t)len,
		       copro_smc_mbox_reg_bytes(m->fid));
	c->busy++;
	copro_mutex_unlock(&m->lock);
	for (unsigned i = 0; i < 4; i++)
		out->x[i] = 0;
	c->ops->send(c->ctx, id, msg, (size_t)len, out);
	copro_mutex_lock(&m->lock);
	c->busy--;
	copro_mutex_unlock(&m->lock);
	copro_event_signal(&m->idle);
}

static void do_recv(struct copro_sim_smc_mbox *m, struct chan *c,
		    struct copro_smccc_regs *out)
{
	if (!(c->can & COPRO_SMC_MBOX_CAN_RECV)) {
		set_ret(out, m->fid, COPRO_SMCCC_RET_INVALID_PARAMETER);
		return;
	}
	if (!c->count) {
		set_ret(out, m->fid, COPRO_SMCCC_RET_NOT_REQUIRED);
		return;
	}
	struct event *e = &c->q[c->head];

	out->x[0] = 0;
	out->x[1] = e->len;
	bytes_to_words(e->data, e->len, &out->x[2],
		       copro_smc_mbox_reg_bytes(m->fid));
	c->head = (c->head + 1) % COPRO_SIM_SMC_MBOX_DEPTH;
	c->count--;
	update_irq(m);
}

static void mbox_call(void *ctx, const struct copro_smccc_regs *in,
		      struct copro_smccc_regs *out)
{
	struct copro_sim_smc_mbox *m = ctx;
	uint32_t id = (uint32_t)in->x[1];
	struct chan *c;

	copro_mutex_lock(&m->lock);
	c = find(m, id);
	if (!c) {
		copro_mutex_unlock(&m->lock);
		copro_dev_dbg(&m->ld, "call for channel %" PRIu32
			      ", which does not exist", id);
		set_ret(out, m->fid, COPRO_SMCCC_RET_INVALID_PARAMETER);
		return;
	}
	switch (in->x[2]) {
	case COPRO_SMC_MBOX_SEND:
		do_send(m, c, in, out); /* unlocks */
		return;
	case COPRO_SMC_MBOX_RECV:
		do_recv(m, c, out);
		break;
	case COPRO_SMC_MBOX_RX_ENABLE:
	case COPRO_SMC_MBOX_RX_DISABLE:
		if (!(c->can & COPRO_SMC_MBOX_CAN_RECV)) {
			set_ret(out, m->fid, COPRO_SMCCC_RET_INVALID_PARAMETER);
			break;
		}
		c->rx_enabled = in->x[2] == COPRO_SMC_MBOX_RX_ENABLE;
		update_irq(m);
		out->x[0] = 0;
		break;
	case COPRO_SMC_MBOX_INFO:
		out->x[0] = 0;
		out->x[1] = c->can;
		break;
	default:
		set_ret(out, m->fid, COPRO_SMCCC_RET_INVALID_PARAMETER);
		break;
	}
	copro_mutex_unlock(&m->lock);
}

int copro_sim_smc_mbox_create(struct copro_bus *bus,
			      struct copro_sim_smccc *disp, int node,
			      struct copro_sim_smc_mbox **out)
{
	const struct copro_dt *dt = copro_bus_dt(bus);
	struct copro_sim_smc_mbox *m;
	char path[256], desc[96];
	unsigned line;
	int ret;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->bus = bus;
	m->disp = disp;
	m->node = node;
	m->irq = -1;
	copro_logdev_init(&m->ld, copro_bus_log(bus), "smc-mbox-fw:%s",
			  copro_dt_node_name(dt, node));
	copro_dt_node_path(dt, node, path, sizeof(path));
	ret = copro_dt_u32(dt, node, "arm,func-id", &m->fid);
	if (ret < 0)
		goto err;
	if (copro_smccc_fid_check(m->fid) < 0 ||
	    !copro_smccc_is_fast(m->fid)) {
		copro_dev_err(&m->ld, "%s: %s: arm,func-id %s is not a fast call"
			      " id", copro_dt_name(dt), path,
			      copro_smccc_fid_describe(m->fid, desc,
						       sizeof(desc)));
		ret = -EINVAL;
		goto err;
	}
	m->mtu = COPRO_SMC_MBOX_WORDS * copro_smc_mbox_reg_bytes(m->fid);
	if (copro_dt_has(dt, node, "interrupts")) {
		ret = copro_dt_irq(dt, node, 0, &line);
		if (ret < 0)
			goto err;
		m->irq = (int)line;
	}
	copro_event_init(&m->idle);
	ret = copro_mutex_init(&m->lock);
	if (ret < 0)
		goto err;
	ret = copro_sim_smccc_add(disp, m->fid, mbox_call, m);
	if (ret < 0) {
		copro_mutex_destroy(&m->lock);
		goto err;
	}
	*out = m;
	return 0;
err:
	free(m);
	return ret;
}

void copro_sim_smc_mbox_destroy(struct copro_sim_smc_mbox *m)
{
	if (!m)
		return;
	copro_sim_smccc_remove(m->disp, m->fid);
	for (unsigned i = 0; i < MAX_CHANS; i++)
		if (m->ch[i].used)
			copro_dev_err(&m->ld, "destroyed with channel %" PRIu32
				      " still attached", m->ch[i].id);
	if (m->level)
		copro_bus_irq_set(m->bus, (unsigned)m->irq, false);
	copro_mutex_destroy(&m->lock);
	free(m);
}

int copro_sim_smc_mbox_node(const struct copro_sim_smc_mbox *m)
{
	return m->node;
}

uint32_t copro_sim_smc_mbox_fid(const struct copro_sim_smc_mbox *m)
{
	return m->fid;
}

int copro_sim_smc_mbox_irq(const struct copro_sim_smc_mbox *m)
{
	return m->irq;
}

int copro_sim_smc_mbox_add_chan(struct copro_sim_smc_mbox *m, uint32_t id,
				unsigned can,
				const struct copro_sim_smc_mbox_chan_ops *ops,
				void *ctx)
{
	struct chan *free_slot = NULL;
	int ret = 0;

	if (!can || (can & ~(unsigned)(COPRO_SMC_MBOX_CAN_SEND |
				       COPRO_SMC_MBOX_CAN_RECV)) ||
	    ((can & COPRO_SMC_MBOX_CAN_SEND) && (!ops || !ops->send)))
		return -EINVAL;
	copro_mutex_lock(&m->lock);
	if (find(m, id)) {
		ret = -EEXIST;
	} else {
		for (unsigned i = 0; i < MAX_CHANS && !free_slot; i++)
			if (!m->ch[i].used)
				free_slot = &m->ch[i];
		if (!free_slot)
			ret = -ENOSPC;
	}
	if (!ret)
		*free_slot = (struct chan){ .used = true, .id = id, .can = can,
					    .ops = ops, .ctx = ctx };
	copro_mutex_unlock(&m->lock);
	if (ret)
		copro_dev_err(&m->ld, "cannot add channel %" PRIu32 ": %s", id,
			      copro_strerror(ret));
	return ret;
}

void copro_sim_smc_mbox_remove_chan(struct copro_sim_smc_mbox *m, uint32_t id)
{
	struct chan *c;

	copro_mutex_lock(&m->lock);
	c = find(m, id);
	while (c && c->busy) {
		uint32_t key = copro_event_prepare(&m->idle);

		copro_mutex_unlock(&m->lock);
		copro_event_wait(&m->idle, key, COPRO_FOREVER, 0);
		copro_mutex_lock(&m->lock);
		c = find(m, id);
	}
	if (c) {
		c->used = false;
		update_irq(m);
	}
	copro_mutex_unlock(&m->lock);
}

int copro_sim_smc_mbox_post(struct copro_sim_smc_mbox *m, uint32_t id,
			    const void *msg, size_t len)
{
	struct chan *c;
	int ret = 0;

	if (len > m->mtu || (len && !msg))
		return -EMSGSIZE;
	copro_mutex_lock(&m->lock);
	c = find(m, id);
	if (!c)
		ret = -ENOENT;
	else if (!(c->can & COPRO_SMC_MBOX_CAN_RECV))
		ret = -EOPNOTSUPP;
	else if (c->count == COPRO_SIM_SMC_MBOX_DEPTH)
		ret = -ENOSPC;
	if (!ret) {
		struct event *e =
			&c->q[(c->head + c->count) % COPRO_SIM_SMC_MBOX_DEPTH];

		e->len = (uint32_t)len;
		if (len)
			memcpy(e->data, msg, len);
		c->count++;
		update_irq(m);
	}
	copro_mutex_unlock(&m->lock);
	return ret;
}

unsigned copro_sim_smc_mbox_queued(struct copro_sim_smc_mbox *m, uint32_t id)
{
	struct chan *c;
	unsigned n = 0;

	copro_mutex_lock(&m->lock);
	c = find(m, id);
	if (c)
		n = c->count;
	copro_mutex_unlock(&m->lock);
	return n;
}
