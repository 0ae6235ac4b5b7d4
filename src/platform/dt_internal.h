/* SPDX-License-Identifier: MIT */
/* Shared between the devicetree files of src/platform. */
#ifndef COPRO_PLATFORM_DT_INTERNAL_H
#define COPRO_PLATFORM_DT_INTERNAL_H

#include <stdint.h>

#include <libfdt.h>

#include <copro/dt.h>
#include <copro/error.h>
#include <copro/log.h>

struct copro_dt {
	void *blob; /* validated by fdt_check_full, 8-byte aligned */
	size_t size;
	char *name;
	struct copro_logdev ld; /* prefix: the board's name */
};

/* Large enough for any path we print; longer ones are abbreviated. */
#define COPRO_DT_PATH_MAX 256

/* Logs "<node path>: <message>" under the board's name (node < 0: no path). */
void copro_dt_err(const struct copro_dt *dt, int node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Big-endian cells to a number; n is at most 2 here. */
static inline uint64_t copro_dt_read_cells(const fdt32_t *cells, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = (v << 32) | fdt32_to_cpu(cells[i]);
	return v;
}

/*
 * #address-cells / #size-cells that `bus` gives its children, with the
 * devicetree defaults (2 and 1), checked against what copro can use
 * (addresses of 1 or 2 cells, sizes of 0 to 2).
 */
int copro_dt_bus_cells(const struct copro_dt *dt, int bus, unsigned *ac,
		       unsigned *sc);

/* Number of entries of the node's reg (the property must exist). */
int copro_dt_reg_count(const struct copro_dt *dt, int node);

/*
 * The interrupt specifiers of `node`: its interrupt parent, that parent's
 * #interrupt-cells and the number of entries in "interrupts".
 */
struct copro_dt_irqspec {
	int parent;
	unsigned cells;
	unsigned count;
	const fdt32_t *spec;
	bool aic;
	bool gic; /* an Arm GIC: <type number flags>, SPIs from 32 */
};
int copro_dt_irqspec(const struct copro_dt *dt, int node,
		     struct copro_dt_irqspec *out);

#endif
