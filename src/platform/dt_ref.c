// SPDX-License-Identifier: MIT
/* Phandle lists with argument cells: `mboxes = <&a 1>, <&b 2>;`. */
#include <errno.h>
#include <string.h>

#include "platform/dt_internal.h"

/*
 * Walks the list checking every entry up to entry `want` and writes that
 * one to `out`; without `out`, checks them all and counts them. An
 * absent property is -ENOENT, not logged.
 */
static int ref_walk(const struct copro_dt *dt, int node, const char *prop,
		    const char *cells_prop, unsigned want,
		    struct copro_dt_ref *out)
{
	char path[COPRO_DT_PATH_MAX];
	const fdt32_t *v;
	unsigned ncells, i = 0, n = 0;
	int len;

	v = fdt_getprop(dt->blob, node, prop, &len);
	if (!v)
		return -ENOENT;
	if (len % 4) {
		copro_dt_err(dt, node,
			     "property '%s' has %d bytes, not a whole number of cells",
			     prop, len);
		return -COPRO_EDT;
	}
	ncells = (unsigned)len / 4;
	while (i < ncells) {
		uint32_t ph = fdt32_to_cpu(v[i]);
		int target = -FDT_ERR_NOTFOUND;
		uint32_t nargs = 0;

		if (ph != 0 && ph != (uint32_t)-1)
			target = fdt_node_offset_by_phandle(dt->blob, ph);
		if (target < 0) {
			copro_dt_err(dt, node,
				     "property '%s' entry %u: phandle 0x%x does not name a node",
				     prop, n, ph);
			return -COPRO_EDT;
		}
		if (cells_prop) {
			int clen;
			const fdt32_t *c = fdt_getprop(dt->blob, target,
						       cells_prop, &clen);

			copro_dt_node_path(dt, target, path, sizeof(path));
			if (!c || clen != 4) {
				copro_dt_err(dt, node,
					     "property '%s' entry %u refers to %s, which %s '%s'",
					     prop, n, path,
					     c ? "has a malformed" : "has no",
					     cells_prop);
				return -COPRO_EDT;
			}
			nargs = fdt32_to_cpu(*c);
			if (nargs > COPRO_DT_MAX_ARGS) {
				copro_dt_err(dt, target,
					     "%s = %u is more than copro supports (%u)",
					     cells_prop, nargs, COPRO_DT_MAX_ARGS);
				return -EINVAL;
			}
			if (nargs > ncells - i - 1) {
				copro_dt_err(dt, node,
					     "property '%s' entry %u needs %u argument cells (%s = %u of %s) but only %u remain",
					     prop, n, nargs, cells_prop, nargs,
					     path, ncells - i - 1);
				return -COPRO_EDT;
			}
		}
		if (out && n == want) {
			out->node = target;
			out->nargs = nargs;
			memset(out->args, 0, sizeof(out->args));
			for (unsigned a = 0; a < nargs; a++)
				out->args[a] = fdt32_to_cpu(v[i + 1 + a]);
			return (int)n;
		}
		i += 1 + nargs;
		n++;
	}
	if (out) {
		copro_dt_err(dt, node, "property '%s' has %u entries, no entry %u",
			     prop, n, want);
		return -ENOENT;
	}
	return (int)n;
}

int copro_dt_ref(const struct copro_dt *dt, int node, const char *prop,
		 const char *cells_prop, unsigned index,
		 struct copro_dt_ref *out)
{
	int rc = ref_walk(dt, node, prop, cells_prop, index, out);

	if (rc == -ENOENT && !fdt_getprop(dt->blob, node, prop, NULL))
		copro_dt_err(dt, node, "missing property '%s'", prop);
	return rc < 0 ? rc : 0;
}

int copro_dt_ref_count(const struct copro_dt *dt, int node, const char *prop,
		       const char *cells_prop)
{
	int rc = ref_walk(dt, node, prop, cells_prop, 0, NULL);

	return rc == -ENOENT ? 0 : rc;
}
