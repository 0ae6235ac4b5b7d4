/* SPDX-License-Identifier: MIT */
/*
 * Internal: the plain-memory view of an MMIO mapping, for libcopro's own
 * drivers of shared memory in SRAM (SCMI's channel areas), as Linux's
 * memremap gives a driver normal memory where ioremap gives registers.
 * Not installed and not exported.
 */
#ifndef COPRO_MMIO_WORDS_H
#define COPRO_MMIO_WORDS_H

#include <stdatomic.h>
#include <stdint.h>

struct copro_mmio;

/*
 * The mapping's 32-bit words when it is plain memory: the words at
 * offsets 0, 4, ... up to its size, loaded with acquire and stored with
 * release (a 64-bit access is the low word, then the high one: what
 * copro_readq and copro_writeq do on it). NULL for a device's registers,
 * a traced window or a mapping not word aligned: use the accessors. The
 * caller keeps its accesses inside the mapping; nothing checks them.
 */
_Atomic uint32_t *copro_mmio_words(const struct copro_mmio *m);

#endif
