/* SPDX-License-Identifier: MIT */
/*
 * The Apple SART host driver (hardware.md 3): probe, the allow-list
 * bookkeeping and the provider lookup. The register layouts live in
 * sart_ops.c.
 *
 * One mutex covers the bookkeeping and the register writes of an add or
 * remove, so two clients never pick the same free entry and the filter
 * never sees two writers interleave on one entry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <copro/error.h>

#include "sart/sart_internal.h"

struct copro_sart {
	struct copro_logdev ld;
	struct copro_platform *p;
	int node;
	struct copro_mmio *mmio;
	const struct sart_ops *ops;
	bool provider_added;

	struct copro_mutex lock;
	uint32_t protected_mask; /* set at probe, read-only after */
	uint32_t used_mask;	 /* under lock */
	/* What each used entry holds, and how many times it was handed out. */
	struct sart_entry shadow[SART_MAX_ENTRIES];
	uint32_t gen[SART_MAX_ENTRIES];
};

static const struct sart_ops *const sart_versions[] = {
	&copro_sart_ops_v0,
	&copro_sart_ops_v2,
	&copro_sart_ops_v3,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static bool bit(uint32_t mask, unsigned i)
{
	return (mask >> i) & 1u;
}

static unsigned popcount16(uint32_t mask)
{
	return (unsigned)__builtin_popcount(mask & 0xffffu);
}

/* ---- probe ---------------------------------------------------------- */

/* The node's compatible list, quoted, for messages. */
static void compat_list(const struct copro_dt *dt, int node, char *buf,
			size_t len)
{
	const void *blob = copro_dt_blob(dt);
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; used < len; i++) {
		const char *s = fdt_stringlist_get(blob, node, "compatible", i,
						   NULL);
		if (!s)
			break;
		used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"",
					 i ? ", " : "", s);
	}
	if (!buf[0])
		snprintf(buf, len, "(none)");
}

/* The layout whose compatible comes first in the node's list: DT order. */
static const struct sart_ops *match_version(const struct copro_dt *dt,
					    int node)
{
	const struct sart_ops *best = NULL;
	int best_idx = -1;

	for (size_t i = 0; i < ARRAY_SIZE(sart_versions); i++) {
		int idx = fdt_stringlist_search(copro_dt_blob(dt), node,
						"compatible",
						sart_versions[i]->compatible);

		if (idx >= 0 && (best_idx < 0 || idx < best_idx)) {
			best = sart_versions[i];
			best_idx = idx;
		}
	}
	return best;
}

static void protect_bootloader_entries(struct copro_sart *sart)
{
	struct sart_entry e;

	for (unsigned i = 0; i < SART_MAX_ENTRIES; i++) {
		sart->ops->get(sart->mmio, i, &e);
		if (!e.flags)
			continue;
		sart->protected_mask |= 1u << i;
		copro_dev_dbg(&sart->ld,
			      "entry %u set by the bootloader: [0x%" PRIx64
			      ", 0x%" PRIx64 ") flags 0x%" PRIx32
			      "; protected",
			      i, e.phys, e.phys + e.size, e.flags);
	}
}

int copro_sart_probe(struct copro_platform *p, int node,
		     struct copro_sart **out)
{
	const struct copro_dt *dt = copro_platform_dt(p);
	struct copro_sart *sart;
	char path[256], compat[192];
	int ret;

	*out = NULL;
	sart = calloc(1, sizeof(*sart));
	if (!sart)
		return -ENOMEM;
	sart->p = p;
	sart->node = node;
	copro_logdev_init(&sart->ld, copro_platform_log(p), "%s",
			  copro_dt_node_name(dt, node));
	copro_dt_node_path(dt, node, path, sizeof(path));

	sart->ops = match_version(dt, node);
	if (!sart->ops) {
		compat_list(dt, node, compat, sizeof(compat));
		copro_dev_err(&sart->ld,
			      "%s: %s: compatible %s is not a SART this driver"
			      " knows (\"%s\", \"%s\" or \"%s\")",
			      copro_dt_name(dt), path, compat, SART_COMPAT_V0,
			      SART_COMPAT_V2, SART_COMPAT_V3);
		ret = -ENODEV;
		goto err_free;
	}
	ret = copro_mmio_map_dt(p, node, NULL, 0, &sart->mmio);
	if (ret < 0) {
		copro_dev_err(&sart->ld, "%s: %s: cannot map reg: %s",
			      copro_dt_name(dt), path, copro_strerror(ret));
		goto err_free;
	}
	if (copro_mmio_size(sart->mmio) < sart->ops->regs_size) {
		copro_dev_err(&sart->ld,
			      "%s: %s: reg size 0x%" PRIx64
			      " too small for the %s registers (0x%" PRIx64 ")",
			      copro_dt_name(dt), path,
			      copro_mmio_size(sart->mmio), sart->ops->name,
			      sart->ops->regs_size);
		ret = -EINVAL;
		goto err_unmap;
	}
	ret = copro_mutex_init(&sart->lock);
	if (ret < 0)
		goto err_unmap;

	protect_bootloader_entries(sart);

	ret = copro_platform_provider_add(p, COPRO_SART_PROVIDER, node, sart);
	if (ret < 0) {
		copro_dev_err(&sart->ld, "%s: %s: cannot register as provider: %s",
			      copro_dt_name(dt), path, copro_strerror(ret));
		goto err_lock;
	}
	sart->provider_added = true;
	copro_dev_dbg(&sart->ld, "%s at 0x%" PRIx64 ", %u bootloader entries",
		      sart->ops->name, copro_mmio_phys(sart->mmio),
		      popcount16(sart->protected_mask));
	*out = sart;
	return 0;

err_lock:
	copro_mutex_destroy(&sart->lock);
err_unmap:
	copro_mmio_unmap(sart->mmio);
err_free:
	free(sart);
	return ret;
}

int copro_sart_release(struct copro_sart *sart, bool clear)
{
	unsigned used;
	int ret;

	if (!sart)
		return 0;
	if (sart->provider_added) {
		/* Consumers hold references: they go first, or nothing does. */
		ret = copro_platform_provider_remove(sart->p,
						     COPRO_SART_PROVIDER,
						     sart->node);
		if (ret == -EBUSY)
			return ret;
	}
	/* Nobody can reach it any more: clearing races with no client. */
	if (clear)
		copro_sart_shutdown(sart);
	used = popcount16(sart->used_mask);
	if (used)
		copro_dev_warn(&sart->ld,
			       "destroyed with %u entries still allowing DMA",
			       used);
	copro_mutex_destroy(&sart->lock);
	copro_mmio_unmap(sart->mmio);
	free(sart);
	return 0;
}

int copro_sart_remove(struct copro_sart *sart)
{
	return copro_sart_release(sart, false);
}

int copro_sart_get_dt(struct copro_platform *p, int client_node,
		      struct copro_sart **out)
{
	const struct copro_dt *dt = copro_platform_dt(p);
	const char *client = copro_dt_node_name(dt, client_node);
	struct copro_sart *sart;
	char path[256];
	uint32_t phandle;
	int node, ret;

	*out = NULL;
	if (!copro_dt_has(dt, client_node, "apple,sart")) {
		copro_logf(copro_platform_log(p), COPRO_LOG_ERR, client,
			   "%s: %s: no apple,sart property",
			   copro_dt_name(dt),
			   copro_dt_node_path(dt, client_node, path,
					      sizeof(path)));
		return -ENOENT;
	}
	ret = copro_dt_u32(dt, client_node, "apple,sart", &phandle);
	if (ret < 0)
		return ret;
	node = copro_dt_by_phandle(dt, phandle);
	if (node < 0)
		return node;
	sart = copro_platform_provider_get(p, COPRO_SART_PROVIDER, node);
	if (!sart) {
		copro_logf(copro_platform_log(p), COPRO_LOG_ERR, client,
			   "%s: apple,sart points at %s, which has no SART"
			   " driver probed",
			   copro_dt_name(dt),
			   copro_dt_node_path(dt, node, path, sizeof(path)));
		return -ENODEV;
	}
	*out = sart;
	return 0;
}

void copro_sart_put(struct copro_sart *sart)
{
	if (sart)
		copro_platform_provider_put(sart->p, COPRO_SART_PROVIDER, sart);
}

/* ---- the allow list ------------------------------------------------- */

static int check_range(struct copro_sart *sart, uint64_t phys, uint64_t size)
{
	const struct sart_ops *ops = sart->ops;
	uint64_t limit = 1ull << ops->addr_bits;

	if (size == 0) {
		copro_dev_err(&sart->ld, "cannot add 0x%" PRIx64
			      ": size 0", phys);
		return -EINVAL;
	}
	if (phys & (SART_GRANULE - 1)) {
		copro_dev_err(&sart->ld,
			      "cannot add address 0x%" PRIx64
			      ": not 4 KiB aligned",
			      phys);
		return -EINVAL;
	}
	if (size & (SART_GRANULE - 1)) {
		copro_dev_err(&sart->ld,
			      "cannot add size 0x%" PRIx64
			      " at 0x%" PRIx64 ": not 4 KiB aligned",
			      size, phys);
		return -EINVAL;
	}
	if (size > ops->size_max) {
		copro_dev_err(&sart->ld,
			      "cannot add size 0x%" PRIx64 " at 0x%" PRIx64
			      ": above the %s limit of 0x%" PRIx64,
			      size, phys, ops->name, ops->size_max);
		return -EINVAL;
	}
	if (phys >= limit || size > limit - phys) {
		copro_dev_err(&sart->ld,
			      "cannot add [0x%" PRIx64 ", +0x%" PRIx64
			      "): beyond the %s's %u-bit address space",
			      phys, size, ops->name, ops->addr_bits);
		return -EINVAL;
	}
	return 0;
}

int copro_sart_allow(struct copro_sart *sart, uint64_t phys, size_t size,
		   struct copro_sart_handle *out)
{
	int ret;

	*out = (struct copro_sart_handle){ .index = -1 };
	ret = check_range(sart, phys, size);
	if (ret < 0)
		return ret;

	copro_mutex_lock(&sart->lock);
	for (unsigned i = 0; i < SART_MAX_ENTRIES; i++) {
		if (bit(sart->protected_mask | sart->used_mask, i))
			continue;
		sart->ops->set(sart->mmio, i, sart->ops->allow, phys, size);
		sart->used_mask |= 1u << i;
		sart->shadow[i] = (struct sart_entry){ sart->ops->allow, phys,
						       size };
		*out = (struct copro_sart_handle){
			.index = (int)i,
			.gen = ++sart->gen[i],
			.phys = phys,
			.size = size,
		};
		copro_mutex_unlock(&sart->lock);
		copro_dev_dbg(&sart->ld,
			      "entry %u allows [0x%" PRIx64 ", 0x%" PRIx64 ")",
			      i, phys, phys + size);
		return 0;
	}
	copro_mutex_unlock(&sart->lock);
	copro_dev_warn(&sart->ld,
		       "no free entry for [0x%" PRIx64 ", 0x%" PRIx64
		       "): all %u in use (%u by the bootloader)",
		       phys, phys + (uint64_t)size, SART_MAX_ENTRIES,
		       popcount16(sart->protected_mask));
	return -EBUSY;
}

/* Under lock; i is used. */
static void release_locked(struct copro_sart *sart, unsigned i)
{
	sart->ops->clear(sart->mmio, i);
	sart->used_mask &= ~(1u << i);
	sart->shadow[i] = (struct sart_entry){ 0 };
}

int copro_sart_revoke(struct copro_sart *sart, struct copro_sart_handle *h)
{
	unsigned i;

	if (h->index < 0 || h->index >= SART_MAX_ENTRIES) {
		copro_dev_err(&sart->ld,
			      "remove: handle holds no entry (index %d)",
			      h->index);
		return -ENOENT;
	}
	i = (unsigned)h->index;
	copro_mutex_lock(&sart->lock);
	if (!bit(sart->used_mask, i) || sart->gen[i] != h->gen) {
		copro_mutex_unlock(&sart->lock);
		copro_dev_err(&sart->ld,
			      "remove: stale handle for entry %u [0x%" PRIx64
			      ", 0x%" PRIx64 "): already removed",
			      i, h->phys, h->phys + h->size);
		return -ENOENT;
	}
	release_locked(sart, i);
	copro_mutex_unlock(&sart->lock);
	copro_dev_dbg(&sart->ld, "entry %u cleared", i);
	h->index = -1;
	return 0;
}

int copro_sart_revoke_range(struct copro_sart *sart, uint64_t phys,
			    size_t size)
{
	copro_mutex_lock(&sart->lock);
	for (unsigned i = 0; i < SART_MAX_ENTRIES; i++) {
		if (!bit(sart->used_mask, i) || sart->shadow[i].phys != phys ||
		    sart->shadow[i].size != size)
			continue;
		release_locked(sart, i);
		copro_mutex_unlock(&sart->lock);
		copro_dev_dbg(&sart->ld, "entry %u cleared", i);
		return 0;
	}
	copro_mutex_unlock(&sart->lock);
	copro_dev_err(&sart->ld,
		      "remove: no entry is exactly [0x%" PRIx64 ", 0x%" PRIx64
		      ")",
		      phys, phys + (uint64_t)size);
	return -ENOENT;
}

void copro_sart_shutdown(struct copro_sart *sart)
{
	copro_mutex_lock(&sart->lock);
	for (unsigned i = 0; i < SART_MAX_ENTRIES; i++) {
		if (bit(sart->protected_mask, i))
			continue;
		sart->ops->clear(sart->mmio, i);
		sart->shadow[i] = (struct sart_entry){ 0 };
	}
	sart->used_mask = 0;
	copro_mutex_unlock(&sart->lock);
}

/* ---- state ---------------------------------------------------------- */

unsigned copro_sart_version(const struct copro_sart *sart)
{
	return sart->ops->version;
}

const char *copro_sart_name(const struct copro_sart *sart)
{
	return sart->ld.name;
}

int copro_sart_node(const struct copro_sart *sart)
{
	return sart->node;
}

unsigned copro_sart_entry_count_used(struct copro_sart *sart)
{
	unsigned n;

	copro_mutex_lock(&sart->lock);
	n = popcount16(sart->used_mask);
	copro_mutex_unlock(&sart->lock);
	return n;
}

unsigned copro_sart_entry_count_protected(const struct copro_sart *sart)
{
	return popcount16(sart->protected_mask);
}

uint64_t copro_sart_size_max(const struct copro_sart *sart)
{
	return sart->ops->size_max;
}

unsigned copro_sart_addr_bits(const struct copro_sart *sart)
{
	return sart->ops->addr_bits;
}

int copro_sart_read_entry(struct copro_sart *sart, unsigned index,
			  struct copro_sart_entry *out)
{
	struct sart_entry e;

	if (index >= SART_MAX_ENTRIES)
		return -EINVAL;
	copro_mutex_lock(&sart->lock);
	sart->ops->get(sart->mmio, index, &e);
	*out = (struct copro_sart_entry){
		.flags = e.flags,
		.phys = e.phys,
		.size = e.size,
		.protected_ = bit(sart->protected_mask, index),
		.used = bit(sart->used_mask, index),
	};
	copro_mutex_unlock(&sart->lock);
	return 0;
}
