// SPDX-License-Identifier: MIT
/* Interrupt specifiers resolved through interrupt-parent to line numbers. */
#include <errno.h>

#include "platform/dt_internal.h"

/* Longer interrupt-parent chains than this are loops. */
#define DT_MAX_IRQ_HOPS 32

/*
 * The interrupt parent, as the devicetree specification defines it: a
 * node's `interrupt-parent`, or else its tree parent; a parent without
 * #interrupt-cells (a bus) passes the question on the same way.
 */
static int irq_parent(const struct copro_dt *dt, int node)
{
	char path[COPRO_DT_PATH_MAX];
	int cur = node;

	for (int hop = 0; hop < DT_MAX_IRQ_HOPS; hop++) {
		int len, next;
		const fdt32_t *ph = fdt_getprop(dt->blob, cur, "interrupt-parent",
						&len);

		if (ph) {
			uint32_t v = len == 4 ? fdt32_to_cpu(*ph) : 0;

			if (len != 4) {
				copro_dt_err(dt, cur,
					     "property 'interrupt-parent' has %d bytes, expected 4",
					     len);
				return -COPRO_EDT;
			}
			next = v && v != (uint32_t)-1
				       ? fdt_node_offset_by_phandle(dt->blob, v)
				       : -FDT_ERR_NOTFOUND;
			if (next < 0) {
				copro_dt_err(dt, cur,
					     "property 'interrupt-parent' = <0x%x> does not name a node",
					     v);
				return -COPRO_EDT;
			}
		} else {
			next = fdt_parent_offset(dt->blob, cur);
			if (next < 0) {
				copro_dt_err(dt, node,
					     "has interrupts but no interrupt parent (no 'interrupt-parent' up to the root)");
				return -COPRO_EDT;
			}
		}
		if (fdt_getprop(dt->blob, next, "#interrupt-cells", NULL))
			return next;
		cur = next;
	}
	copro_dt_err(dt, node,
		     "interrupt-parent chain loops (%d hops, last at %s)",
		     DT_MAX_IRQ_HOPS, copro_dt_node_path(dt, cur, path,
							 sizeof(path)));
	return -COPRO_EDT;
}

int copro_dt_irqspec(const struct copro_dt *dt, int node,
		     struct copro_dt_irqspec *out)
{
	char path[COPRO_DT_PATH_MAX];
	uint32_t cells;
	int len, rc;

	out->spec = fdt_getprop(dt->blob, node, "interrupts", &len);
	if (!out->spec) {
		copro_dt_err(dt, node, "missing property 'interrupts'");
		return -ENOENT;
	}
	out->parent = irq_parent(dt, node);
	if (out->parent < 0)
		return out->parent;
	copro_dt_node_path(dt, out->parent, path, sizeof(path));
	rc = copro_dt_u32(dt, out->parent, "#interrupt-cells", &cells);
	if (rc)
		return rc;
	if (cells == 0 || cells > COPRO_DT_MAX_ARGS) {
		copro_dt_err(dt, out->parent,
			     "#interrupt-cells = %u is not supported (1 to %u)",
			     cells, COPRO_DT_MAX_ARGS);
		return -EINVAL;
	}
	out->aic = copro_dt_is_compatible(dt, out->parent, "apple,aic");
	out->gic = copro_dt_is_compatible(dt, out->parent, "arm,gic-v3") ||
		   copro_dt_is_compatible(dt, out->parent, "arm,gic-400") ||
		   copro_dt_is_compatible(dt, out->parent, "arm,cortex-a15-gic");
	if (out->gic && cells != 3) {
		copro_dt_err(dt, out->parent,
			     "#interrupt-cells = %u, but a GIC has 3 (type, number, flags)",
			     cells);
		return -COPRO_EDT;
	}
	if (out->aic && cells != 3) {
		copro_dt_err(dt, out->parent,
			     "#interrupt-cells = %u, but an apple,aic has 3 (type, number, flags)",
			     cells);
		return -COPRO_EDT;
	}
	if (len == 0 || (unsigned)len % (cells * 4)) {
		copro_dt_err(dt, node,
			     "property 'interrupts' has %d bytes, expected a multiple of %u (#interrupt-cells = %u of %s)",
			     len, cells * 4, cells, path);
		return -COPRO_EDT;
	}
	out->cells = cells;
	out->count = (unsigned)len / (cells * 4);
	return 0;
}

int copro_dt_irq(const struct copro_dt *dt, int node, unsigned index,
		 unsigned *line)
{
	struct copro_dt_irqspec is;
	int rc = copro_dt_irqspec(dt, node, &is);

	if (rc)
		return rc;
	if (index >= is.count) {
		copro_dt_err(dt, node,
			     "property 'interrupts' has %u entries, no entry %u",
			     is.count, index);
		return -ENOENT;
	}
	/* AIC: <type number flags>; anything else: the line comes first. */
	*line = fdt32_to_cpu(is.spec[index * is.cells + (is.aic || is.gic)]);
	if (is.gic) {
		/* GIC: type 0 is an SPI (INTID 32 + n), 1 a PPI (16 + n). */
		uint32_t type = fdt32_to_cpu(is.spec[index * is.cells]);

		if (type > 1 || *line > 987) {
			copro_dt_err(dt, node,
				     "interrupts entry %u: GIC type %u number %u is not an SPI or PPI",
				     index, type, *line);
			return -COPRO_EDT;
		}
		*line += type == 0 ? 32 : 16;
	}
	return 0;
}

int copro_dt_irq_by_name(const struct copro_dt *dt, int node,
			 const char *name, unsigned *line)
{
	int idx = copro_dt_string_index(dt, node, "interrupt-names", name);

	if (idx < 0)
		return idx;
	return copro_dt_irq(dt, node, (unsigned)idx, line);
}
