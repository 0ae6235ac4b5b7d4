/* SPDX-License-Identifier: MIT */
/* Shared between the SART driver and its per-version register layouts. */
#ifndef COPRO_SART_INTERNAL_H
#define COPRO_SART_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/driver/platform.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/regs/sart.h>
#include <copro/sart.h>

struct sart_entry {
	uint32_t flags;
	uint64_t phys;
	uint64_t size;
};

/*
 * One register layout. set() writes the range before the flags and
 * clear() the flags before the range: the filter must never see enabled
 * flags with a stale or half-written range.
 */
struct sart_ops {
	const char *compatible;
	const char *name; /* "SART2" */
	unsigned version;
	unsigned addr_bits;
	uint64_t size_max; /* bytes */
	uint32_t allow;	   /* the flags an added entry gets */
	uint64_t regs_size;
	void (*get)(const struct copro_mmio *m, unsigned i,
		    struct sart_entry *e);
	void (*set)(const struct copro_mmio *m, unsigned i, uint32_t flags,
		    uint64_t phys, uint64_t size);
	void (*clear)(const struct copro_mmio *m, unsigned i);
};

/*
 * Unregister (-EBUSY while a client holds a reference: nothing changes),
 * clear every unprotected entry when `clear`, and free.
 */
int copro_sart_release(struct copro_sart *sart, bool clear);

extern const struct sart_ops copro_sart_ops_v0;
extern const struct sart_ops copro_sart_ops_v2;
extern const struct sart_ops copro_sart_ops_v3;

#endif
