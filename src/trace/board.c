// SPDX-License-Identifier: MIT
/*
 * What the file says about the board, written once at creation: every
 * devicetree node with registers, interrupts, resets or power domains
 * becomes a DEVICE record (path, compatible and reg-names), every interrupt it
 * lists a LINE record. Events then name devices by number: a mapped
 * window by the device and reg entry that hold it, a reset or power
 * change by its provider. The board was validated when it was opened;
 * a node whose properties still do not resolve is described without them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform/dt_internal.h"
#include "trace/trace_internal.h"

/* Path, compatible list and line names are cut to fit a record this size. */
#define DEV_REC_MAX 1024

static bool describes_device(const void *blob, int node)
{
	return fdt_getprop(blob, node, "reg", NULL) ||
	       fdt_getprop(blob, node, "interrupts", NULL) ||
	       fdt_getprop(blob, node, "#reset-cells", NULL) ||
	       fdt_getprop(blob, node, "#power-domain-cells", NULL);
}

/* The node's reg entries, as absolute addresses (none if they do not resolve). */
static int dev_regs(const struct copro_dt *dt, int node, struct trace_dev *d)
{
	int n;

	if (!fdt_getprop(dt->blob, node, "reg", NULL))
		return 0;
	n = copro_dt_reg_count(dt, node);
	if (n <= 0)
		return 0;
	d->regs = calloc((size_t)n, sizeof(*d->regs));
	if (!d->regs)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (copro_dt_reg(dt, node, (unsigned)i, &d->regs[i].phys,
				 &d->regs[i].size))
			break;
		d->nregs++;
	}
	return 0;
}

/*
 * Whole strings of a stringlist property that fit in `room` bytes, each
 * with its NUL (fdt_check_full made sure the property ends in one).
 */
static size_t stringlist(const void *blob, int node, const char *prop,
			 const char **out, size_t room)
{
	int len = 0;
	const char *v = fdt_getprop(blob, node, prop, &len);
	size_t take = 0;

	*out = v;
	if (!v || len <= 0 || v[len - 1] != '\0')
		return 0;
	while (take < (size_t)len) {
		size_t s = strlen(v + take) + 1;

		if (take + s > room)
			break;
		take += s;
	}
	return take;
}

/* One DEVICE record: id, the lists' lengths, path, compatible, reg-names. */
static int write_device(struct copro_trace *t, const struct copro_dt *dt,
			int node, uint32_t id)
{
	unsigned char rec[DEV_REC_MAX];
	char path[COPRO_DT_PATH_MAX];
	const char *compat, *regnames;
	size_t n = 12, plen, clen, rlen;

	copro_dt_node_path(dt, node, path, sizeof(path));
	plen = strnlen(path, sizeof(path) - 1);
	memcpy(rec + n, path, plen);
	rec[n + plen] = '\0';
	n += plen + 1;
	clen = stringlist(dt->blob, node, "compatible", &compat,
			  (sizeof(rec) - n) / 2);
	if (clen)
		memcpy(rec + n, compat, clen);
	n += clen;
	rlen = stringlist(dt->blob, node, "reg-names", &regnames,
			  sizeof(rec) - n);
	if (rlen)
		memcpy(rec + n, regnames, rlen);
	n += rlen;
	trf_put32(rec, id);
	trf_put32(rec + 4, (uint32_t)clen);
	trf_put32(rec + 8, (uint32_t)rlen);
	return trace_write_record(t, TRF_DEVICE, rec, n);
}

static int write_lines(struct copro_trace *t, const struct copro_dt *dt,
		       int node, uint32_t id)
{
	struct copro_dt_irqspec is;
	unsigned char rec[8 + TRF_NAME_MAX + 1];
	int rc;

	if (!fdt_getprop(dt->blob, node, "interrupts", NULL) ||
	    copro_dt_irqspec(dt, node, &is))
		return 0;
	for (unsigned i = 0; i < is.count; i++) {
		const char *name = fdt_stringlist_get(dt->blob, node,
						      "interrupt-names",
						      (int)i, NULL);
		uint32_t line = fdt32_to_cpu(is.spec[i * is.cells +
						     (is.aic ? 1 : 0)]);
		size_t n;

		trf_put32(rec, line);
		trf_put32(rec + 4, id);
		n = 8 + trace_put_str(rec + 8, name);
		rc = trace_write_record(t, TRF_LINE, rec, n);
		if (rc)
			return rc;
	}
	return 0;
}

int trace_board_write(struct copro_trace *t, const struct copro_dt *dt)
{
	unsigned cap = 0;
	int rc;

	for (int node = fdt_next_node(dt->blob, -1, NULL); node >= 0;
	     node = fdt_next_node(dt->blob, node, NULL))
		if (describes_device(dt->blob, node))
			cap++;
	t->devs = calloc(cap ? cap : 1, sizeof(*t->devs));
	if (!t->devs)
		return -ENOMEM;
	for (int node = fdt_next_node(dt->blob, -1, NULL);
	     node >= 0 && t->ndevs < cap;
	     node = fdt_next_node(dt->blob, node, NULL)) {
		struct trace_dev *d = &t->devs[t->ndevs];
		uint32_t id = t->ndevs;

		if (!describes_device(dt->blob, node))
			continue;
		d->node = node;
		rc = dev_regs(dt, node, d);
		if (rc)
			return rc;
		t->ndevs++;
		rc = write_device(t, dt, node, id);
		if (!rc)
			rc = write_lines(t, dt, node, id);
		if (rc)
			return rc;
	}
	return 0;
}

void trace_board_free(struct copro_trace *t)
{
	for (unsigned i = 0; i < t->ndevs; i++)
		free(t->devs[i].regs);
	free(t->devs);
	t->devs = NULL;
	t->ndevs = 0;
}

uint32_t trace_board_find(const struct copro_trace *t, uint64_t phys,
			  uint64_t size, uint32_t *reg, uint64_t *reg_off)
{
	for (unsigned i = 0; i < t->ndevs; i++) {
		const struct trace_dev *d = &t->devs[i];

		for (unsigned r = 0; r < d->nregs; r++) {
			if (phys >= d->regs[r].phys &&
			    phys - d->regs[r].phys < d->regs[r].size &&
			    size <= d->regs[r].size - (phys - d->regs[r].phys)) {
				*reg = r;
				*reg_off = phys - d->regs[r].phys;
				return i;
			}
		}
	}
	*reg = 0;
	*reg_off = 0;
	return COPRO_TRACE_NO_DEVICE;
}

uint32_t trace_board_node(const struct copro_trace *t, int node)
{
	for (unsigned i = 0; i < t->ndevs; i++)
		if (t->devs[i].node == node)
			return i;
	return COPRO_TRACE_NO_DEVICE;
}
