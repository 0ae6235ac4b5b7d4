// SPDX-License-Identifier: MIT
/*
 * The provider table: what frameworks register (mailbox controllers,
 * SARTs) so consumers find them by devicetree node or by name, with
 * reference counts so a provider in use cannot be unregistered under its
 * consumers. One table per platform, under prov_lock; a handful of
 * entries per board, so a linear search is the right structure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform_internal.h"

#define PATH_LEN 256

static bool kind_is(const struct provider *pv, const char *kind)
{
	return !strcmp(pv->kind, kind);
}

static struct provider *by_node(struct copro_platform *p, const char *kind,
				int node)
{
	for (size_t i = 0; i < p->nprov; i++)
		if (p->prov[i].node >= 0 && p->prov[i].node == node &&
		    kind_is(&p->prov[i], kind))
			return &p->prov[i];
	return NULL;
}

static struct provider *by_name(struct copro_platform *p, const char *kind,
				const char *name)
{
	for (size_t i = 0; i < p->nprov; i++)
		if (p->prov[i].name && !strcmp(p->prov[i].name, name) &&
		    kind_is(&p->prov[i], kind))
			return &p->prov[i];
	return NULL;
}

static struct provider *by_ptr(struct copro_platform *p, const char *kind,
			       const void *ptr)
{
	for (size_t i = 0; i < p->nprov; i++)
		if (p->prov[i].ptr == ptr && kind_is(&p->prov[i], kind))
			return &p->prov[i];
	return NULL;
}

/* "/soc/mbox@0", "\"name\"" or both, for messages. */
static const char *describe(struct copro_platform *p,
			    const struct provider *pv, char *buf, size_t len)
{
	char path[PATH_LEN];

	if (pv->node >= 0 && pv->name)
		snprintf(buf, len, "%s (\"%s\")",
			 copro_dt_node_path(p->dt, pv->node, path, sizeof(path)),
			 pv->name);
	else if (pv->node >= 0)
		copro_dt_node_path(p->dt, pv->node, buf, len);
	else
		snprintf(buf, len, "\"%s\"", pv->name ? pv->name : "?");
	return buf;
}

int copro_platform_provider_register(struct copro_platform *p,
				     const struct copro_provider_desc *d)
{
	char path[PATH_LEN];
	const char *clash = NULL;
	char *name = NULL;
	int rc = 0;

	if (!p || !d || !d->kind || !d->provider || d->node < -1 ||
	    (d->node < 0 && !d->name) || (d->name && !d->name[0]))
		return -EINVAL;
	if (d->name) {
		name = strdup(d->name);
		if (!name)
			return -ENOMEM;
	}
	copro_mutex_lock(&p->prov_lock);
	if (d->node >= 0 && by_node(p, d->kind, d->node))
		clash = "node";
	else if (d->name && by_name(p, d->kind, d->name))
		clash = "name";
	else if (by_ptr(p, d->kind, d->provider))
		clash = "provider";
	if (clash) {
		rc = -EEXIST;
	} else {
		rc = copro_grow((void **)&p->prov, &p->capprov, p->nprov,
				sizeof(*p->prov));
		if (!rc)
			p->prov[p->nprov++] = (struct provider){
				d->kind, d->node, name, d->provider, 0
			};
	}
	copro_mutex_unlock(&p->prov_lock);
	if (rc)
		free(name);
	if (rc == -EEXIST && d->node >= 0 && !strcmp(clash, "node"))
		copro_dev_err(&p->ld, "%s: a %s provider is already registered",
			      copro_dt_node_path(p->dt, d->node, path,
						 sizeof(path)),
			      d->kind);
	else if (rc == -EEXIST && !strcmp(clash, "name"))
		copro_dev_err(&p->ld,
			      "a %s provider named \"%s\" is already registered",
			      d->kind, d->name);
	else if (rc == -EEXIST)
		copro_dev_err(&p->ld, "that %s provider is already registered",
			      d->kind);
	return rc;
}

/* prov_lock held: unlink entry `pv` if it is not referenced. */
static int unregister_locked(struct copro_platform *p, struct provider *pv,
			     unsigned *refs, char **name)
{
	*refs = pv->refs;
	if (pv->refs)
		return -EBUSY;
	*name = pv->name;
	*pv = p->prov[--p->nprov];
	return 0;
}

static void busy_msg(struct copro_platform *p, const char *kind,
		     const char *what, unsigned refs)
{
	copro_dev_err(&p->ld,
		      "cannot unregister the %s provider %s: %u reference%s still held by consumers",
		      kind, what, refs, refs == 1 ? "" : "s");
}

/* The provider of `kind` that is `provider`, or else at `node`, taken out. */
static int unregister_one(struct copro_platform *p, const char *kind,
			  void *provider, int node)
{
	char what[PATH_LEN + 80];
	struct provider *pv;
	char *name = NULL;
	unsigned refs = 0;
	int rc = -ENOENT;

	copro_mutex_lock(&p->prov_lock);
	pv = provider ? by_ptr(p, kind, provider) : by_node(p, kind, node);
	if (pv) {
		describe(p, pv, what, sizeof(what));
		rc = unregister_locked(p, pv, &refs, &name);
	}
	copro_mutex_unlock(&p->prov_lock);
	free(name);
	if (rc == -EBUSY)
		busy_msg(p, kind, what, refs);
	return rc;
}

int copro_platform_provider_unregister(struct copro_platform *p,
				       const char *kind, void *provider)
{
	int rc = unregister_one(p, kind, provider, -1);

	if (rc == -ENOENT)
		copro_dev_warn(&p->ld, "no such %s provider to unregister", kind);
	return rc;
}

int copro_platform_provider_add(struct copro_platform *p, const char *kind,
				int node, void *provider)
{
	const struct copro_provider_desc d = { kind, node, NULL, provider };

	if (node < 0)
		return -EINVAL;
	return copro_platform_provider_register(p, &d);
}

int copro_platform_provider_remove(struct copro_platform *p, const char *kind,
				   int node)
{
	char path[PATH_LEN];
	int rc = unregister_one(p, kind, NULL, node);

	if (rc == -ENOENT)
		copro_dev_warn(&p->ld, "%s: no %s provider to remove",
			       copro_dt_node_path(p->dt, node, path,
						  sizeof(path)),
			       kind);
	return rc;
}

/* Looks up under the lock and, with `ref`, takes a reference. */
static void *lookup(struct copro_platform *p, const char *kind, int node,
		    const char *name, bool ref)
{
	struct provider *pv;
	void *ptr = NULL;

	if (!p || !kind || (!name && node < 0))
		return NULL;
	copro_mutex_lock(&p->prov_lock);
	pv = name ? by_name(p, kind, name) : by_node(p, kind, node);
	if (pv) {
		ptr = pv->ptr;
		if (ref)
			pv->refs++;
	}
	copro_mutex_unlock(&p->prov_lock);
	return ptr;
}

void *copro_platform_provider_find(struct copro_platform *p, const char *kind,
				   int node)
{
	return lookup(p, kind, node, NULL, false);
}

void *copro_platform_provider_find_named(struct copro_platform *p,
					 const char *kind, const char *name)
{
	return name ? lookup(p, kind, -1, name, false) : NULL;
}

void *copro_platform_provider_get(struct copro_platform *p, const char *kind,
				  int node)
{
	return lookup(p, kind, node, NULL, true);
}

void *copro_platform_provider_get_named(struct copro_platform *p,
					const char *kind, const char *name)
{
	return name ? lookup(p, kind, -1, name, true) : NULL;
}

void copro_platform_provider_put(struct copro_platform *p, const char *kind,
				 void *provider)
{
	struct provider *pv;
	bool unbalanced = false;

	if (!p || !kind || !provider)
		return;
	copro_mutex_lock(&p->prov_lock);
	pv = by_ptr(p, kind, provider);
	if (pv && pv->refs)
		pv->refs--;
	else
		unbalanced = true;
	copro_mutex_unlock(&p->prov_lock);
	/* A put with no get is a consumer bug; say so, change nothing. */
	if (unbalanced)
		copro_dev_err(&p->ld,
			      "put of a %s provider %s", kind,
			      pv ? "that holds no references"
				 : "that is not registered");
}

unsigned copro_platform_provider_refs(struct copro_platform *p,
				      const char *kind, void *provider)
{
	struct provider *pv;
	unsigned refs = 0;

	copro_mutex_lock(&p->prov_lock);
	pv = by_ptr(p, kind, provider);
	if (pv)
		refs = pv->refs;
	copro_mutex_unlock(&p->prov_lock);
	return refs;
}

void copro_plat_providers_fini(struct copro_platform *p)
{
	char what[PATH_LEN + 80];

	for (size_t i = 0; i < p->nprov; i++) {
		struct provider *pv = &p->prov[i];

		describe(p, pv, what, sizeof(what));
		if (pv->node >= 0 && !pv->name)
			copro_dev_err(&p->ld,
				      "platform destroyed with the %s provider of %s still registered",
				      pv->kind, what);
		else
			copro_dev_err(&p->ld,
				      "platform destroyed with the %s provider %s still registered",
				      pv->kind, what);
		free(pv->name);
	}
	free(p->prov);
	p->prov = NULL;
	p->nprov = p->capprov = 0;
}
