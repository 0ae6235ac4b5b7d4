// SPDX-License-Identifier: MIT
/*
 * Board-wide checks, run once before anything is instantiated, so that a
 * broken board fails with every problem named instead of half-booting.
 */
#include <errno.h>
#include <stdlib.h>

#include "platform/dt_internal.h"

/* Properties holding phandle lists, and the cells property of their target. */
static const struct {
	const char *prop;
	const char *cells;
} phandle_props[] = {
	{ "mboxes", "#mbox-cells" },
	{ "resets", "#reset-cells" },
	{ "power-domains", "#power-domain-cells" },
	{ "apple,sart", NULL },
	{ "shmem", NULL },
};

/* A corrupt board can overlap quadratically; the first few say enough. */
#define DT_MAX_OVERLAP_REPORTS 32

struct reg_span {
	uint64_t start, end; /* [start, end) */
	int node, depth;
	unsigned index;
};

struct spans {
	struct reg_span *v;
	size_t n, cap;
};

static int spans_add(struct spans *s, int node, int depth, unsigned index,
		     uint64_t addr, uint64_t size)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct reg_span *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct reg_span){ addr, addr + size, node, depth, index };
	return 0;
}

static int span_cmp(const void *a, const void *b)
{
	const struct reg_span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->node - y->node;
}

/* Keeps the first error; later ones are logged but do not replace it. */
static void note(int *first, int rc)
{
	if (rc < 0 && !*first)
		*first = rc;
}

static int check_refs(const struct copro_dt *dt, int node, bool irqs_checked)
{
	int first = 0, len;
	const void *ip = fdt_getprop(dt->blob, node, "interrupt-parent", &len);

	/* Resolving the node's interrupts reports a bad parent already. */
	if (ip && !irqs_checked) {
		uint32_t ph = len == 4 ? fdt32_to_cpu(*(const fdt32_t *)ip) : 0;

		if (len != 4 || ph == 0 || ph == (uint32_t)-1 ||
		    fdt_node_offset_by_phandle(dt->blob, ph) < 0) {
			if (len != 4)
				copro_dt_err(dt, node,
					     "property 'interrupt-parent' has %d bytes, expected 4",
					     len);
			else
				copro_dt_err(dt, node,
					     "property 'interrupt-parent' = <0x%x> does not name a node",
					     ph);
			note(&first, -COPRO_EDT);
		}
	}
	for (size_t i = 0; i < sizeof(phandle_props) / sizeof(phandle_props[0]);
	     i++)
		note(&first, copro_dt_ref_count(dt, node, phandle_props[i].prop,
						phandle_props[i].cells));
	return first;
}

/*
 * Under a parent with #size-cells = <0>, reg is an identifier (an SCMI
 * protocol number, a resource id), not an address: nothing to translate.
 */
static bool reg_is_id(const struct copro_dt *dt, int node)
{
	int bus = fdt_parent_offset(dt->blob, node);
	unsigned ac, sc;

	return bus >= 0 && copro_dt_bus_cells(dt, bus, &ac, &sc) == 0 &&
	       sc == 0;
}

static int check_enabled_node(const struct copro_dt *dt, int node, int depth,
			      struct spans *spans)
{
	struct copro_dt_irqspec is;
	int first = 0;

	if (fdt_getprop(dt->blob, node, "interrupts", NULL))
		note(&first, copro_dt_irqspec(dt, node, &is));

	if (fdt_getprop(dt->blob, node, "reg", NULL) &&
	    !reg_is_id(dt, node)) {
		int n = copro_dt_reg_count(dt, node);

		note(&first, n);
		for (int i = 0; i < n; i++) {
			uint64_t addr, size;
			int rc = copro_dt_reg(dt, node, (unsigned)i, &addr, &size);

			note(&first, rc);
			if (!rc && size) {
				rc = spans_add(spans, node, depth, (unsigned)i,
					       addr, size);
				if (rc)
					return rc;
			}
		}
	}
	return first;
}

static bool is_ancestor(const struct copro_dt *dt, const struct reg_span *anc,
			const struct reg_span *s)
{
	return s->depth > anc->depth &&
	       fdt_supernode_atdepth_offset(dt->blob, s->node, anc->depth,
					    NULL) == anc->node;
}

/*
 * Sorted by start, a span can only overlap the ones after it that start
 * before it ends. A child's reg inside its parent's (a syscon and its
 * power-state children) is a window, not a conflict.
 */
static int check_overlaps(const struct copro_dt *dt, struct spans *s)
{
	char pa[COPRO_DT_PATH_MAX];
	unsigned reported = 0;
	int first = 0;

	/* A tree with no reg has no array at all: qsort's base must not be NULL. */
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), span_cmp);
	for (size_t i = 0; i < s->n; i++) {
		const struct reg_span *a = &s->v[i];

		for (size_t j = i + 1; j < s->n && s->v[j].start < a->end; j++) {
			const struct reg_span *b = &s->v[j];

			if (is_ancestor(dt, a, b) || is_ancestor(dt, b, a))
				continue;
			note(&first, -COPRO_EDT);
			if (reported++ == DT_MAX_OVERLAP_REPORTS) {
				copro_dt_err(dt, -1,
					     "too many overlapping reg entries; not checking the rest");
				return first;
			}
			copro_dt_node_path(dt, a->node, pa, sizeof(pa));
			copro_dt_err(dt, b->node,
				     "reg %u [0x%llx, 0x%llx) overlaps reg %u [0x%llx, 0x%llx) of %s",
				     b->index, (unsigned long long)b->start,
				     (unsigned long long)b->end, a->index,
				     (unsigned long long)a->start,
				     (unsigned long long)a->end, pa);
		}
	}
	return first;
}

struct phandle_use {
	uint32_t phandle;
	int node;
};

static int phandle_cmp(const void *a, const void *b)
{
	const struct phandle_use *x = a, *y = b;

	if (x->phandle != y->phandle)
		return x->phandle < y->phandle ? -1 : 1;
	return x->node - y->node;
}

/* libfdt resolves a duplicated phandle to whichever node comes first. */
static int check_phandles(const struct copro_dt *dt)
{
	struct phandle_use *v = NULL;
	size_t n = 0, cap = 0;
	int first = 0;

	for (int node = fdt_next_node(dt->blob, -1, NULL); node >= 0;
	     node = fdt_next_node(dt->blob, node, NULL)) {
		uint32_t ph = fdt_get_phandle(dt->blob, node);

		if (!ph)
			continue;
		if (n == cap) {
			struct phandle_use *nv;

			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = (struct phandle_use){ ph, node };
	}
	if (n)
		qsort(v, n, sizeof(*v), phandle_cmp);
	for (size_t i = 1; i < n; i++) {
		char po[COPRO_DT_PATH_MAX];

		if (v[i].phandle != v[i - 1].phandle)
			continue;
		copro_dt_err(dt, v[i].node, "phandle 0x%x is also used by %s",
			     v[i].phandle,
			     copro_dt_node_path(dt, v[i - 1].node, po, sizeof(po)));
		note(&first, -COPRO_EDT);
	}
	free(v);
	return first;
}

int copro_dt_validate(const struct copro_dt *dt)
{
	struct spans spans = { 0 };
	int first = 0, depth = -1, rc; /* the root is at depth 0 */

	rc = check_phandles(dt);
	if (rc == -ENOMEM)
		return rc;
	note(&first, rc);

	for (int node = fdt_next_node(dt->blob, -1, &depth); node >= 0;
	     node = fdt_next_node(dt->blob, node, &depth)) {
		bool enabled = copro_dt_enabled(dt, node);

		note(&first, check_refs(dt, node,
					enabled && fdt_getprop(dt->blob, node,
							       "interrupts",
							       NULL)));
		if (!enabled)
			continue;
		rc = check_enabled_node(dt, node, depth, &spans);
		if (rc == -ENOMEM) {
			free(spans.v);
			return rc;
		}
		note(&first, rc);
	}
	note(&first, check_overlaps(dt, &spans));
	free(spans.v);
	return first;
}
