/* SPDX-License-Identifier: MIT */
/* On-chip SRAM: see <copro/sim/sram_model.h>. */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/log.h>
#include <copro/sim/sram_model.h>

/* A bound that keeps a typo'd reg from allocating gigabytes. */
#define SRAM_MAX_SIZE (16u << 20)

struct copro_sim_sram {
	struct copro_bus *bus;
	struct copro_logdev ld;
	int node;
	uint64_t phys, size;
	_Atomic uint32_t *w;
};

/*
 * Stores release and loads acquire: what one side wrote before a store
 * (the payload before the status word) is visible to the other once it
 * has loaded that store's value. That is all a shared-memory protocol
 * asks, and on x86 it costs no fence.
 */
static uint32_t ld(const struct copro_sim_sram *s, uint64_t off)
{
	return atomic_load_explicit(&s->w[off / 4], memory_order_acquire);
}

static void st(struct copro_sim_sram *s, uint64_t off, uint32_t v)
{
	atomic_store_explicit(&s->w[off / 4], v, memory_order_release);
}

static uint64_t sram_mmio_read(void *ctx, uint64_t off, unsigned width)
{
	struct copro_sim_sram *s = ctx;
	uint64_t v = ld(s, off);

	if (width == 8)
		v |= (uint64_t)ld(s, off + 4) << 32;
	return v;
}

static void sram_mmio_write(void *ctx, uint64_t off, uint64_t val,
			    unsigned width)
{
	struct copro_sim_sram *s = ctx;

	st(s, off, (uint32_t)val);
	if (width == 8)
		st(s, off + 4, (uint32_t)(val >> 32));
}

static const struct copro_mmio_ops sram_ops = {
	.read = sram_mmio_read,
	.write = sram_mmio_write,
};

int copro_sim_sram_create(struct copro_bus *bus, int node,
			  struct copro_sim_sram **out)
{
	const struct copro_dt *dt = copro_bus_dt(bus);
	struct copro_sim_sram *s;
	char path[256];
	int ret;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->bus = bus;
	s->node = node;
	copro_logdev_init(&s->ld, copro_bus_log(bus), "sram:%s",
			  copro_dt_node_name(dt, node));
	ret = copro_dt_reg(dt, node, 0, &s->phys, &s->size);
	if (ret < 0)
		goto err;
	if (!s->size || s->size > SRAM_MAX_SIZE || (s->size & 7) ||
	    (s->phys & 7)) {
		copro_dev_err(&s->ld,
			      "%s: %s: reg 0x%" PRIx64 "+0x%" PRIx64
			      ": an SRAM must be 8-byte aligned, non-empty and"
			      " at most 16 MiB",
			      copro_dt_name(dt),
			      copro_dt_node_path(dt, node, path, sizeof(path)),
			      s->phys, s->size);
		ret = -EINVAL;
		goto err;
	}
	s->w = calloc(s->size / 4, sizeof(*s->w));
	if (!s->w) {
		ret = -ENOMEM;
		goto err;
	}
	/* Plain memory: a platform maps the words as a CPU maps SRAM. */
	ret = copro_bus_add_memory(bus, s->phys, s->size, &sram_ops, s,
				   (void *)s->w, copro_dt_node_name(dt, node));
	if (ret < 0) {
		copro_dev_err(&s->ld, "cannot add the region at 0x%" PRIx64
			      ": %s", s->phys, copro_strerror(ret));
		goto err;
	}
	*out = s;
	return 0;
err:
	free(s->w);
	free(s);
	return ret;
}

void copro_sim_sram_destroy(struct copro_sim_sram *s)
{
	if (!s)
		return;
	copro_bus_remove_mmio(s->bus, s->phys);
	free(s->w);
	free(s);
}

uint64_t copro_sim_sram_phys(const struct copro_sim_sram *s)
{
	return s->phys;
}

uint64_t copro_sim_sram_size(const struct copro_sim_sram *s)
{
	return s->size;
}

int copro_sim_sram_node(const struct copro_sim_sram *s)
{
	return s->node;
}

bool copro_sim_sram_contains(const struct copro_sim_sram *s, uint64_t phys,
			     uint64_t len, uint64_t *off)
{
	if (phys < s->phys || len > s->size || phys - s->phys > s->size - len)
		return false;
	if (off)
		*off = phys - s->phys;
	return true;
}

uint32_t copro_sim_sram_read32(const struct copro_sim_sram *s, uint64_t off)
{
	if ((off & 3) || off >= s->size)
		return 0;
	return ld(s, off);
}

void copro_sim_sram_write32(struct copro_sim_sram *s, uint64_t off,
			    uint32_t v)
{
	if ((off & 3) || off >= s->size)
		return;
	st(s, off, v);
}

void *copro_sim_sram_words(struct copro_sim_sram *s, uint64_t off,
			   uint64_t len)
{
	if ((off & 3) || (len & 3) || off > s->size || len > s->size - off)
		return NULL;
	return (void *)(s->w + off / 4);
}

static bool in_range(const struct copro_sim_sram *s, uint64_t off, size_t len)
{
	return off <= s->size && len <= s->size - off;
}

int copro_sim_sram_read(const struct copro_sim_sram *s, uint64_t off,
			void *dst, size_t len)
{
	uint8_t *d = dst;

	if (!in_range(s, off, len))
		return -ERANGE;
	/* Whole words (every SCMI message): no partial-word bookkeeping. */
	if (!(off & 3)) {
		for (; len >= 4; d += 4, off += 4, len -= 4) {
			uint32_t w = ld(s, off);

			memcpy(d, &w, 4);
		}
	}
	while (len) {
		uint32_t w = ld(s, off & ~(uint64_t)3);
		size_t skip = off & 3, n = 4 - skip < len ? 4 - skip : len;

		memcpy(d, (uint8_t *)&w + skip, n);
		d += n;
		off += n;
		len -= n;
	}
	return 0;
}

int copro_sim_sram_write(struct copro_sim_sram *s, uint64_t off,
			 const void *src, size_t len)
{
	const uint8_t *p = src;

	if (!in_range(s, off, len))
		return -ERANGE;
	if (!(off & 3)) {
		for (; len >= 4; p += 4, off += 4, len -= 4) {
			uint32_t w;

			memcpy(&w, p, 4);
			st(s, off, w);
		}
	}
	while (len) {
		size_t skip = off & 3, n = 4 - skip < len ? 4 - skip : len;
		uint32_t w;

		if (n == 4) {
			memcpy(&w, p, 4);
		} else {
			/* A partial word: keep the bytes around it. */
			w = ld(s, off & ~(uint64_t)3);
			memcpy((uint8_t *)&w + skip, p, n);
		}
		st(s, off & ~(uint64_t)3, w);
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}
