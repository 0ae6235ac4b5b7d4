// SPDX-License-Identifier: MIT
/*
 * reg entries and their translation to absolute addresses through the
 * parents' `ranges`.
 */
#include <errno.h>

#include "platform/dt_internal.h"

/* Trees deeper than this are treated as corrupt rather than walked. */
#define DT_MAX_DEPTH 64

static int read_cells_prop(const struct copro_dt *dt, int bus,
			   const char *prop, unsigned dflt, unsigned min,
			   unsigned max, unsigned *out)
{
	int len;
	const fdt32_t *v = fdt_getprop(dt->blob, bus, prop, &len);
	uint32_t n;

	if (!v) {
		*out = dflt;
		return 0;
	}
	if (len != 4) {
		copro_dt_err(dt, bus, "property '%s' has %d bytes, expected 4",
			     prop, len);
		return -COPRO_EDT;
	}
	n = fdt32_to_cpu(*v);
	if (n < min || n > max) {
		copro_dt_err(dt, bus, "%s = %u is not supported (%u to %u)",
			     prop, n, min, max);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

int copro_dt_bus_cells(const struct copro_dt *dt, int bus, unsigned *ac,
		       unsigned *sc)
{
	int rc = read_cells_prop(dt, bus, "#address-cells", 2, 1, 2, ac);

	return rc ? rc : read_cells_prop(dt, bus, "#size-cells", 1, 0, 2, sc);
}

/* The reg layout of `node`: its parent (the bus) and that bus's cells. */
static int reg_layout(const struct copro_dt *dt, int node, int *bus,
		      unsigned *ac, unsigned *sc)
{
	*bus = node < 0 ? -FDT_ERR_BADOFFSET : fdt_parent_offset(dt->blob, node);
	if (*bus == -FDT_ERR_NOTFOUND) {
		copro_dt_err(dt, node, "the root node has no reg");
		return -EINVAL;
	}
	if (*bus < 0) {
		copro_dt_err(dt, -1, "reg lookup on a bad node offset %d", node);
		return -EINVAL;
	}
	return copro_dt_bus_cells(dt, *bus, ac, sc);
}

static int reg_prop(const struct copro_dt *dt, int node, unsigned ac,
		    unsigned sc, int bus, const fdt32_t **v)
{
	char path[COPRO_DT_PATH_MAX];
	unsigned entry = (ac + sc) * 4;
	int len;

	*v = fdt_getprop(dt->blob, node, "reg", &len);
	if (!*v) {
		copro_dt_err(dt, node, "missing property 'reg'");
		return -ENOENT;
	}
	if (len == 0 || (unsigned)len % entry) {
		copro_dt_err(dt, node,
			     "property 'reg' has %d bytes, expected a multiple of %u (#address-cells = %u, #size-cells = %u of %s)",
			     len, entry, ac, sc,
			     copro_dt_node_path(dt, bus, path, sizeof(path)));
		return -COPRO_EDT;
	}
	return (int)((unsigned)len / entry);
}

int copro_dt_reg_count(const struct copro_dt *dt, int node)
{
	const fdt32_t *v;
	unsigned ac, sc;
	int bus, rc;

	rc = reg_layout(dt, node, &bus, &ac, &sc);
	return rc ? rc : reg_prop(dt, node, ac, sc, bus, &v);
}

/*
 * One level of translation: `addr` is in the address space `bus` gives
 * its children; rewrite it into the space of bus's own parent.
 */
static int translate_one(const struct copro_dt *dt, int node, int bus,
			 int up, uint64_t *addr, uint64_t size)
{
	char path[COPRO_DT_PATH_MAX];
	unsigned cac, csc, pac, psc, entry, n;
	const fdt32_t *r;
	int len, rc;

	r = fdt_getprop(dt->blob, bus, "ranges", &len);
	if (!r) {
		copro_dt_err(dt, node,
			     "reg [0x%llx, +0x%llx) cannot be translated: %s has no 'ranges'",
			     (unsigned long long)*addr, (unsigned long long)size,
			     copro_dt_node_path(dt, bus, path, sizeof(path)));
		return -COPRO_EDT;
	}
	if (len == 0)
		return 0; /* empty ranges: same address space */

	rc = copro_dt_bus_cells(dt, bus, &cac, &csc);
	if (!rc)
		rc = copro_dt_bus_cells(dt, up, &pac, &psc);
	if (rc)
		return rc;
	entry = (cac + pac + csc) * 4;
	if ((unsigned)len % entry) {
		copro_dt_err(dt, bus,
			     "property 'ranges' has %d bytes, expected a multiple of %u (child #address-cells %u, parent #address-cells %u, #size-cells %u)",
			     len, entry, cac, pac, csc);
		return -COPRO_EDT;
	}
	n = (unsigned)len / entry;
	for (unsigned i = 0; i < n; i++, r += entry / 4) {
		uint64_t cb = copro_dt_read_cells(r, cac);
		uint64_t pb = copro_dt_read_cells(r + cac, pac);
		uint64_t rs = copro_dt_read_cells(r + cac + pac, csc);
		uint64_t off = *addr - cb;

		if (*addr < cb || off > rs || size > rs - off)
			continue;
		if (pb + off < pb || pb + off + size < pb + off) {
			copro_dt_err(dt, bus,
				     "ranges entry %u maps reg of %s past the end of the address space",
				     i, copro_dt_node_path(dt, node, path,
							   sizeof(path)));
			return -COPRO_EDT;
		}
		*addr = pb + off;
		return 0;
	}
	copro_dt_err(dt, node,
		     "reg [0x%llx, +0x%llx) lies outside every 'ranges' entry of %s",
		     (unsigned long long)*addr, (unsigned long long)size,
		     copro_dt_node_path(dt, bus, path, sizeof(path)));
	return -COPRO_EDT;
}

/* Entry `index` of node's 'reg', untranslated; its parent bus in *bus. */
static int reg_entry(const struct copro_dt *dt, int node, unsigned index,
		     int *bus, uint64_t *addr, uint64_t *size)
{
	const fdt32_t *v;
	unsigned ac, sc;
	int n, rc;

	rc = reg_layout(dt, node, bus, &ac, &sc);
	if (rc)
		return rc;
	n = reg_prop(dt, node, ac, sc, *bus, &v);
	if (n < 0)
		return n;
	if (index >= (unsigned)n) {
		copro_dt_err(dt, node, "property 'reg' has %d entries, no entry %u",
			     n, index);
		return -ENOENT;
	}
	v += index * (ac + sc);
	*addr = copro_dt_read_cells(v, ac);
	*size = copro_dt_read_cells(v + ac, sc);
	return 0;
}

int copro_dt_reg_raw(const struct copro_dt *dt, int node, unsigned index,
		     uint64_t *addr)
{
	uint64_t size;
	int bus;

	return reg_entry(dt, node, index, &bus, addr, &size);
}

int copro_dt_reg(const struct copro_dt *dt, int node, unsigned index,
		 uint64_t *addr, uint64_t *size)
{
	uint64_t a, s;
	int bus, rc;

	rc = reg_entry(dt, node, index, &bus, &a, &s);
	if (rc)
		return rc;
	if (a + s < a) {
		copro_dt_err(dt, node,
			     "reg entry %u [0x%llx, +0x%llx) wraps around the address space",
			     index, (unsigned long long)a, (unsigned long long)s);
		return -EINVAL;
	}

	for (int depth = 0;; depth++) {
		int up = fdt_parent_offset(dt->blob, bus);

		if (up < 0)
			break; /* bus is the root: a is absolute */
		if (depth == DT_MAX_DEPTH) {
			copro_dt_err(dt, node, "nested too deeply to translate reg");
			return -COPRO_EDT;
		}
		rc = translate_one(dt, node, bus, up, &a, s);
		if (rc)
			return rc;
		bus = up;
	}
	*addr = a;
	*size = s;
	return 0;
}

int copro_dt_reg_by_name(const struct copro_dt *dt, int node,
			 const char *name, uint64_t *addr, uint64_t *size)
{
	int idx = copro_dt_string_index(dt, node, "reg-names", name);

	if (idx < 0)
		return idx;
	return copro_dt_reg(dt, node, (unsigned)idx, addr, size);
}
