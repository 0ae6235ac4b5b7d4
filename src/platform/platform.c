// SPDX-License-Identifier: MIT
/*
 * The emulated platform: lifetime, polling and the provider table. MMIO,
 * interrupts, DMA memory and reset/power live in their own files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform_internal.h"

/* A line stuck asserted must not keep a polling caller forever. */
#define POLL_MAX_ROUNDS 64

int copro_plat_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

int copro_platform_create(const struct copro_platform_config *cfg,
			  struct copro_platform **out)
{
	struct copro_platform *p;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->dt)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->dt = cfg->dt;
	p->threaded = cfg->threaded;
	copro_logdev_init(&p->ld, cfg->log, "%s", copro_dt_name(cfg->dt));

	rc = copro_mutex_init(&p->prov_lock);
	if (rc) {
		free(p);
		return rc;
	}
	rc = copro_plat_mmio_init(p);
	if (rc)
		goto err_prov;
	rc = copro_plat_irq_init(p, cfg->irq_spin_ns ? cfg->irq_spin_ns
						     : COPRO_SPIN_DEFAULT_NS);
	if (rc)
		goto err_mmio;
	rc = copro_plat_dma_init(p);
	if (rc)
		goto err_irq;
	rc = copro_plat_pr_init(p);
	if (rc)
		goto err_dma;
	rc = copro_rwlock_init(&p->fw.lock);
	if (rc)
		goto err_pr;
	if (p->threaded) {
		rc = copro_plat_irq_start(p);
		if (rc)
			goto err_fw;
	}
	*out = p;
	return 0;

err_fw:
	copro_rwlock_destroy(&p->fw.lock);
err_pr:
	copro_plat_pr_fini(p);
err_dma:
	copro_plat_dma_fini(p);
err_irq:
	copro_plat_irq_fini(p);
err_mmio:
	copro_plat_mmio_fini(p);
err_prov:
	copro_mutex_destroy(&p->prov_lock);
	free(p);
	return rc;
}

void copro_platform_destroy(struct copro_platform *p)
{
	char path[256];

	if (!p)
		return;
	copro_plat_irq_stop(p);
	for (size_t i = 0; i < p->nprov; i++)
		copro_dev_err(&p->ld,
			      "platform destroyed with the %s provider of %s still registered",
			      p->prov[i].kind,
			      copro_dt_node_path(p->dt, p->prov[i].node, path,
						 sizeof(path)));
	free(p->prov);
	copro_mutex_destroy(&p->prov_lock);
	for (unsigned c = 0; c < 2; c++)
		for (unsigned o = 0; o < COPRO_FW_OWNERS; o++)
			if (p->fw.h[c][o].fn)
				copro_dev_err(&p->ld,
					      "platform destroyed with a firmware"
					      " call handler for %s owner %u",
					      c ? "HVC" : "SMC", o);
	copro_rwlock_destroy(&p->fw.lock);
	copro_plat_pr_fini(p);
	copro_plat_irq_fini(p);
	copro_plat_mmio_fini(p);
	copro_plat_dma_fini(p);
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
	unsigned total = 0;

	for (int round = 0; round < POLL_MAX_ROUNDS; round++) {
		bool busy;
		unsigned n = copro_plat_irq_dispatch(p, &busy);

		if (!n)
			break;
		total += n;
	}
	return total > INT32_MAX ? INT32_MAX : (int)total;
}

/* ---- providers ---- */

static struct provider *prov_find(struct copro_platform *p, const char *kind,
				  int node)
{
	for (size_t i = 0; i < p->nprov; i++)
		if (p->prov[i].node == node && !strcmp(p->prov[i].kind, kind))
			return &p->prov[i];
	return NULL;
}

int copro_platform_provider_add(struct copro_platform *p, const char *kind,
				int node, void *provider)
{
	char path[256];
	int rc = 0;

	if (!kind || !provider || node < 0)
		return -EINVAL;
	copro_mutex_lock(&p->prov_lock);
	if (prov_find(p, kind, node)) {
		rc = -EEXIST;
	} else {
		rc = copro_plat_grow((void **)&p->prov, &p->capprov, p->nprov,
				     sizeof(*p->prov));
		if (!rc)
			p->prov[p->nprov++] = (struct provider){ kind, node,
								 provider };
	}
	copro_mutex_unlock(&p->prov_lock);
	if (rc == -EEXIST)
		copro_dev_err(&p->ld, "%s: a %s provider is already registered",
			      copro_dt_node_path(p->dt, node, path, sizeof(path)),
			      kind);
	return rc;
}

void copro_platform_provider_remove(struct copro_platform *p, const char *kind,
				    int node)
{
	char path[256];
	struct provider *pv;

	copro_mutex_lock(&p->prov_lock);
	pv = prov_find(p, kind, node);
	if (pv)
		*pv = p->prov[--p->nprov];
	copro_mutex_unlock(&p->prov_lock);
	if (!pv)
		copro_dev_warn(&p->ld, "%s: no %s provider to remove",
			       copro_dt_node_path(p->dt, node, path,
						  sizeof(path)),
			       kind);
}

void *copro_platform_provider_find(struct copro_platform *p, const char *kind,
				   int node)
{
	struct provider *pv;
	void *ptr;

	copro_mutex_lock(&p->prov_lock);
	pv = prov_find(p, kind, node);
	ptr = pv ? pv->ptr : NULL;
	copro_mutex_unlock(&p->prov_lock);
	return ptr;
}
