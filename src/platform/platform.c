// SPDX-License-Identifier: MIT
/*
 * The platform front end: lifetime, polling, DMA memory and firmware
 * calls (straight to the backend). MMIO, interrupts, reset/power handles
 * and the provider table live in their own files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform_internal.h"

/* Every op the front end calls without checking for NULL. */
static bool ops_complete(const struct copro_backend_ops *o)
{
	return o->threaded && o->poll && o->mmio_map && o->mmio_unmap &&
	       o->irq_request && o->irq_free && o->irq_enable &&
	       o->irq_disable && o->dma_alloc && o->dma_alloc_at &&
	       o->dma_free && o->dma_register && o->dma_unregister &&
	       o->reset_set && o->power_set;
}

int copro_platform_create(const struct copro_platform_config *cfg,
			  struct copro_platform **out)
{
	struct copro_platform *p;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->dt || !cfg->ops || !ops_complete(cfg->ops))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->dt = cfg->dt;
	p->ops = cfg->ops;
	p->be = cfg->backend;
	p->threaded = cfg->ops->threaded(cfg->backend);
	copro_logdev_init(&p->ld, cfg->log, "%s", copro_dt_name(cfg->dt));

	rc = copro_mutex_init(&p->prov_lock);
	if (rc) {
		free(p);
		return rc;
	}
	rc = copro_mutex_init(&p->pr_lock);
	if (rc) {
		copro_mutex_destroy(&p->prov_lock);
		free(p);
		return rc;
	}
	p->handles.prev = p->handles.next = &p->handles;
	*out = p;
	return 0;
}

void copro_platform_destroy(struct copro_platform *p)
{
	if (!p)
		return;
	copro_plat_providers_fini(p);
	copro_mutex_destroy(&p->prov_lock);
	copro_plat_handles_fini(p);
	copro_mutex_destroy(&p->pr_lock);
	free(p);
}

const struct copro_dt *copro_platform_dt(const struct copro_platform *p)
{
	return p->dt;
}

struct copro_log *copro_platform_log(const struct copro_platform *p)
{
	return p->ld.log;
}

bool copro_platform_threaded(const struct copro_platform *p)
{
	return p->threaded;
}

int copro_platform_poll(struct copro_platform *p)
{
	return p->ops->poll(p->be);
}

void copro_platform_poll_hold(struct copro_platform *p, bool on)
{
	if (p->ops->poll_hold)
		p->ops->poll_hold(p->be, on);
}

/* ---- DMA memory ---- */

int copro_dma_alloc(struct copro_platform *p, size_t size,
		    struct copro_dma_buf *out)
{
	memset(out, 0, sizeof(*out));
	return p->ops->dma_alloc(p->be, size, out);
}

int copro_dma_alloc_at(struct copro_platform *p, uint64_t phys, size_t size,
		       struct copro_dma_buf *out)
{
	memset(out, 0, sizeof(*out));
	return p->ops->dma_alloc_at(p->be, phys, size, out);
}

void copro_dma_free(struct copro_platform *p, struct copro_dma_buf *buf)
{
	if (!buf || !buf->cpu)
		return;
	p->ops->dma_free(p->be, buf);
	memset(buf, 0, sizeof(*buf));
}

int copro_dma_register(struct copro_platform *p, void *ptr, size_t size,
		       uint64_t *phys)
{
	return p->ops->dma_register(p->be, ptr, size, phys);
}

int copro_dma_unregister(struct copro_platform *p, uint64_t phys)
{
	return p->ops->dma_unregister(p->be, phys);
}

/* ---- firmware calls ---- */

int copro_fw_call(struct copro_platform *p, enum copro_conduit conduit,
		  const struct copro_smccc_regs *in,
		  struct copro_smccc_regs *out)
{
	struct copro_smccc_regs copy;

	if (conduit != COPRO_CONDUIT_SMC && conduit != COPRO_CONDUIT_HVC)
		return -EINVAL;
	if (!p->ops->fw_call)
		return -EOPNOTSUPP;
	/* Backends get distinct in and out: none copies the arguments. */
	if (in == out) {
		copy = *in;
		in = &copy;
	}
	return p->ops->fw_call(p->be, conduit, in, out);
}

/* ---- handles ---- */

void copro_plat_handle_add(struct copro_platform *p, struct plat_handle *h,
			   enum plat_handle_kind kind)
{
	h->kind = kind;
	h->next = &p->handles;
	h->prev = p->handles.prev;
	h->prev->next = h;
	p->handles.prev = h;
}

void copro_plat_handle_del(struct copro_platform *p, struct plat_handle *h)
{
	(void)p;
	h->prev->next = h->next;
	h->next->prev = h->prev;
}

void copro_plat_handles_fini(struct copro_platform *p)
{
	unsigned pr_leaked = 0;

	while (p->handles.next != &p->handles) {
		struct plat_handle *h = p->handles.next;

		copro_plat_handle_del(p, h);
		if (h->kind == PH_MMIO) {
			struct copro_mmio *m = (struct copro_mmio *)h;

			copro_dev_err(&p->ld,
				      "platform destroyed with MMIO mapping [0x%llx, +0x%llx) of '%s' still mapped",
				      (unsigned long long)m->phys,
				      (unsigned long long)m->size, m->w.name);
			p->ops->mmio_unmap(p->be, m->w.cookie);
		} else if (h->kind == PH_IRQ) {
			struct copro_irq *irq = (struct copro_irq *)h;

			copro_dev_err(&p->ld,
				      "platform destroyed with interrupt line %u ('%s') still requested",
				      irq->line, irq->name);
			p->ops->irq_free(p->be, irq->cookie);
		} else {
			pr_leaked++;
		}
		free(h);
	}
	if (pr_leaked)
		copro_dev_err(&p->ld,
			      "platform destroyed with %u reset/power handles not put",
			      pr_leaked);
	free(p->lines);
}
