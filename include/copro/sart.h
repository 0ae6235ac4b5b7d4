/* SPDX-License-Identifier: MIT */
/*
 * The Apple SART host driver (hardware.md 3): a 16-entry allow list for
 * some of a device's DMA. It does not remap; a driver adds the physical
 * ranges its coprocessor may reach and removes them when done.
 *
 * Three register layouts, chosen by compatible:
 *   "apple,t8015-sart"  v0 (SART1): 36-bit addresses, sizes below 2 GiB
 *   "apple,t8103-sart"  v2 (SART2): 36-bit addresses and sizes
 *   "apple,t6000-sart"  v3 (SART3): 42-bit addresses and sizes
 *
 * Entries that are enabled when the driver probes belong to the
 * bootloader: they are protected, never handed out, changed or cleared.
 *
 * Thread-safe: several drivers may share one SART.
 */
#ifndef COPRO_SART_H
#define COPRO_SART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_sart;

/* The provider kind a SART registers under its node. */
#define COPRO_SART_PROVIDER "sart"

/*
 * The driver table for the probe-all pass (<copro/devices.h>): every
 * layout above; removal clears the unprotected entries.
 */
struct copro_driver;
COPRO_API const struct copro_driver *copro_sart_driver(void);

/*
 * What copro_sart_allow gives back and copro_sart_revoke takes. A value the
 * caller keeps; the generation makes a stale handle (already removed, or
 * cleared by shutdown) fail instead of removing someone else's entry.
 */
struct copro_sart_handle {
	int index; /* entry, -1 when the handle holds nothing */
	uint32_t gen;
	uint64_t phys;
	uint64_t size;
};

/*
 * Probe a SART node: pick the layout by compatible, map reg, protect the
 * bootloader's entries and register as the node's "sart" provider.
 * -ENODEV for an unknown compatible.
 */
COPRO_API int copro_sart_probe(struct copro_platform *p, int node,
			       struct copro_sart **out);
/*
 * Unregister and free. Leaves the hardware as it is (call
 * copro_sart_shutdown first to clear it). -EBUSY (logged; nothing
 * changes) while a client holds a reference from copro_sart_get_dt.
 */
COPRO_API int copro_sart_remove(struct copro_sart *sart);

/*
 * The SART a client node points at with `apple,sart = <&sart>`, with a
 * reference the client drops with copro_sart_put when done; any number
 * of clients may share one SART. -ENOENT without the property, -ENODEV
 * when that SART is not probed.
 */
COPRO_API int copro_sart_get_dt(struct copro_platform *p, int client_node,
				struct copro_sart **out);
COPRO_API void copro_sart_put(struct copro_sart *sart);

/*
 * Allow DMA to [phys, phys + size). Both 4 KiB aligned, size > 0, the
 * range inside the version's address space and size limit (-EINVAL,
 * logged with the value). -EBUSY when every free entry is taken. The
 * entry's range is written before its flags, so the filter never allows
 * a half-written range.
 */
COPRO_API int copro_sart_allow(struct copro_sart *sart, uint64_t phys,
			       size_t size, struct copro_sart_handle *out);
/*
 * Disallow an entry added by copro_sart_allow: flags first, then the range.
 * Resets *h. -ENOENT for a handle that no longer holds an entry.
 */
COPRO_API int copro_sart_revoke(struct copro_sart *sart,
				struct copro_sart_handle *h);
/* Remove the entry with exactly this address and size (-ENOENT if none). */
COPRO_API int copro_sart_revoke_range(struct copro_sart *sart, uint64_t phys,
				      size_t size);
/* Clear every entry that is not protected; outstanding handles go stale. */
COPRO_API void copro_sart_shutdown(struct copro_sart *sart);

/* ---- state, for tools and tests ------------------------------------- */

/* 0, 2 or 3. */
COPRO_API unsigned copro_sart_version(const struct copro_sart *sart);
COPRO_API const char *copro_sart_name(const struct copro_sart *sart);
COPRO_API int copro_sart_node(const struct copro_sart *sart);
/* Entries added through this driver and not yet removed. */
COPRO_API unsigned copro_sart_entry_count_used(struct copro_sart *sart);
/* Entries the bootloader left enabled. */
COPRO_API unsigned
copro_sart_entry_count_protected(const struct copro_sart *sart);
/* Largest entry size in bytes, and the address width, of this version. */
COPRO_API uint64_t copro_sart_size_max(const struct copro_sart *sart);
COPRO_API unsigned copro_sart_addr_bits(const struct copro_sart *sart);

/* One entry as the hardware holds it right now. */
struct copro_sart_entry {
	uint32_t flags;
	uint64_t phys;
	uint64_t size;
	bool protected_; /* the bootloader's */
	bool used;	 /* added through this driver */
};
/* index < 16, else -EINVAL. */
COPRO_API int copro_sart_read_entry(struct copro_sart *sart, unsigned index,
				    struct copro_sart_entry *out);

#ifdef __cplusplus
}
#endif
#endif
