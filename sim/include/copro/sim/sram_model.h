/* SPDX-License-Identifier: MIT */
/*
 * On-chip SRAM ("mmio-sram"): memory that both the application processor
 * (through MMIO, 32- and 64-bit accesses) and the firmware models (with
 * the calls below, directly) read and write, as both sides of a real SoC
 * do. SCMI's shared-memory channels ("arm,scmi-shmem" children) live in
 * it.
 *
 * Words are atomic, stores release and loads acquire: once one side
 * reads a word the other stored, it sees everything stored before it,
 * which is what a shared-memory protocol's "write the payload, then the
 * status word" relies on.
 */
#ifndef COPRO_SIM_SRAM_MODEL_H
#define COPRO_SIM_SRAM_MODEL_H

#include <copro/export.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/sim/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_sim_sram;

/* The node's first reg entry becomes the region. Zero-filled. */
COPRO_API int copro_sim_sram_create(struct copro_bus *bus, int node,
			  struct copro_sim_sram **out);
COPRO_API void copro_sim_sram_destroy(struct copro_sim_sram *s);
COPRO_API uint64_t copro_sim_sram_phys(const struct copro_sim_sram *s);
COPRO_API uint64_t copro_sim_sram_size(const struct copro_sim_sram *s);
COPRO_API int copro_sim_sram_node(const struct copro_sim_sram *s);

/* Is [phys, phys + len) inside? Then *off is its offset. */
COPRO_API bool copro_sim_sram_contains(const struct copro_sim_sram *s, uint64_t phys,
			     uint64_t len, uint64_t *off);

/* off must be 4-byte aligned and inside (otherwise 0 / ignored). */
COPRO_API uint32_t copro_sim_sram_read32(const struct copro_sim_sram *s, uint64_t off);
COPRO_API void copro_sim_sram_write32(struct copro_sim_sram *s, uint64_t off,
			    uint32_t v);
/*
 * The words of [off, off + len) for a model that works on an area of
 * the SRAM often (a firmware's channel): off and len 4-byte aligned and
 * inside, else NULL. They are C11 _Atomic uint32_t: access them only with
 * atomic acquire loads and release stores, as the calls here do. Valid
 * until the SRAM is destroyed.
 */
COPRO_API void *copro_sim_sram_words(struct copro_sim_sram *s, uint64_t off,
				     uint64_t len);
/* Byte copies, word by word; -ERANGE outside the SRAM. */
COPRO_API int copro_sim_sram_read(const struct copro_sim_sram *s, uint64_t off,
			void *dst, size_t len);
COPRO_API int copro_sim_sram_write(struct copro_sim_sram *s, uint64_t off,
			 const void *src, size_t len);

#ifdef __cplusplus
}
#endif
#endif
