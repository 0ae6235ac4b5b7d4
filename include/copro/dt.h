/* SPDX-License-Identifier: MIT */
/*
 * Devicetree access (libfdt underneath). A struct copro_dt owns a private,
 * validated copy of a flattened devicetree; nodes are named by their
 * offset in it (an int >= 0), exactly as libfdt does.
 *
 * Every failing lookup logs one error that names the board, the node's
 * path and the property, and returns -COPRO_EDT (malformed), -ENOENT
 * (absent) or -EINVAL (present but wrong).
 */
#ifndef COPRO_DT_H
#define COPRO_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/log.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_dt;

#define COPRO_DT_MAX_ARGS 8

/* One phandle reference with its argument cells: `<&node a b>`. */
struct copro_dt_ref {
	int node;
	unsigned nargs;
	uint32_t args[COPRO_DT_MAX_ARGS];
};

/*
 * Copies and checks a DTB (header, structure, strings, phandles: the whole
 * blob is walked). `name` labels it in messages ("t8103", a file name).
 */
COPRO_API int copro_dt_open(const void *blob, size_t len, const char *name,
			    struct copro_log *log, struct copro_dt **out);
/* Reads a .dtb file. */
COPRO_API int copro_dt_open_file(const char *path, struct copro_log *log,
				 struct copro_dt **out);
COPRO_API void copro_dt_close(struct copro_dt *dt);

COPRO_API const void *copro_dt_blob(const struct copro_dt *dt);
COPRO_API const char *copro_dt_name(const struct copro_dt *dt);
COPRO_API struct copro_log *copro_dt_log(const struct copro_dt *dt);

/*
 * Board-wide checks done once before anything is instantiated: every
 * phandle reference in a known property (interrupt-parent, mboxes, resets,
 * power-domains, apple,sart, shmem) resolves; reg properties are well
 * formed; no two enabled nodes' reg ranges overlap.
 */
COPRO_API int copro_dt_validate(const struct copro_dt *dt);

/* Node lookup. Return a node offset >= 0 or a negative error. */
COPRO_API int copro_dt_path(const struct copro_dt *dt, const char *path);
/* Next enabled node after `from` (-1: start) with this compatible. */
COPRO_API int copro_dt_next_compatible(const struct copro_dt *dt, int from,
				       const char *compat);
COPRO_API int copro_dt_by_phandle(const struct copro_dt *dt, uint32_t phandle);
/* Children in order: the first, then each next; -ENOENT after the last. */
COPRO_API int copro_dt_first_child(const struct copro_dt *dt, int node);
COPRO_API int copro_dt_next_child(const struct copro_dt *dt, int child);
COPRO_API bool copro_dt_is_compatible(const struct copro_dt *dt, int node,
				      const char *compat);
COPRO_API bool copro_dt_enabled(const struct copro_dt *dt, int node);
/* Writes the full path ("/soc/mbox@277408000") for messages. */
COPRO_API const char *copro_dt_node_path(const struct copro_dt *dt, int node,
					 char *buf, size_t len);
/* The node's name ("mbox@277408000"). */
COPRO_API const char *copro_dt_node_name(const struct copro_dt *dt, int node);

/* Properties. */
COPRO_API bool copro_dt_has(const struct copro_dt *dt, int node,
			    const char *prop);
COPRO_API int copro_dt_u32(const struct copro_dt *dt, int node,
			   const char *prop, uint32_t *out);
COPRO_API int copro_dt_u64(const struct copro_dt *dt, int node,
			   const char *prop, uint64_t *out);
/* A NUL-terminated string property (the first string of a list). */
COPRO_API int copro_dt_string(const struct copro_dt *dt, int node,
			      const char *prop, const char **out);
/* Index of `name` in a string-list property ("reg-names", "mbox-names"). */
COPRO_API int copro_dt_string_index(const struct copro_dt *dt, int node,
				    const char *prop, const char *name);

/*
 * The address of reg entry `index` as written, untranslated: for buses
 * whose "addresses" are not physical (a hypervisor's capability ids).
 */
COPRO_API int copro_dt_reg_raw(const struct copro_dt *dt, int node,
			       unsigned index, uint64_t *addr);
/*
 * reg entry `index` as an absolute address (translated through the
 * parents' empty `ranges`), using the parent's #address-cells and
 * #size-cells. _by_name looks the index up in "reg-names".
 */
COPRO_API int copro_dt_reg(const struct copro_dt *dt, int node, unsigned index,
			   uint64_t *addr, uint64_t *size);
COPRO_API int copro_dt_reg_by_name(const struct copro_dt *dt, int node,
				   const char *name, uint64_t *addr,
				   uint64_t *size);

/*
 * Interrupt `index` (or by "interrupt-names") resolved through
 * interrupt-parent to a line number of that controller. With an
 * "apple,aic" parent (3 cells: type, number, flags) the line is the
 * number; with an Arm GIC ("arm,gic-v3", "arm,gic-400") it is the
 * interrupt id (SPI n: 32 + n, PPI n: 16 + n); with any other parent it
 * is the first cell.
 */
COPRO_API int copro_dt_irq(const struct copro_dt *dt, int node, unsigned index,
			   unsigned *line);
COPRO_API int copro_dt_irq_by_name(const struct copro_dt *dt, int node,
				   const char *name, unsigned *line);

/*
 * Reference `index` of a phandle list property (`mboxes`, `resets`,
 * `power-domains`), with as many argument cells as the target's
 * `cells_prop` (#mbox-cells...) says; a NULL cells_prop means none.
 */
COPRO_API int copro_dt_ref(const struct copro_dt *dt, int node,
			   const char *prop, const char *cells_prop,
			   unsigned index, struct copro_dt_ref *out);
/* Number of references in such a property (0 if absent). */
COPRO_API int copro_dt_ref_count(const struct copro_dt *dt, int node,
				 const char *prop, const char *cells_prop);

#ifdef __cplusplus
}
#endif
#endif
