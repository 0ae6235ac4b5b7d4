/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "copro/sim/board.h"
#include "test_dtb.h"

#define DTB_START_SIZE 4096
#define DTB_MAX_DEPTH 32
#define DTB_MAX_CELLS 64

struct test_dtb {
	void *buf;
	int size;
	unsigned depth;
	/* What each open node declares for its children's reg. */
	struct {
		uint32_t addr, size;
	} cells[DTB_MAX_DEPTH];
};

static void check(int rc, const char *what)
{
	if (rc)
		fail_msg("test_dtb: %s: %s", what, fdt_strerror(rc));
}

/* Runs one sequential-write step, doubling the buffer while it is full. */
#define GROW(b, call, what)                                                  \
	do {                                                                 \
		int rc_;                                                     \
		while ((rc_ = (call)) == -FDT_ERR_NOSPACE)                   \
			grow(b);                                             \
		check(rc_, what);                                            \
	} while (0)

static void grow(struct test_dtb *b)
{
	int size = b->size * 2;
	void *nb = malloc((size_t)size);

	if (!nb)
		fail_msg("test_dtb: out of memory for %d bytes", size);
	check(fdt_resize(b->buf, nb, size), "resize");
	free(b->buf);
	b->buf = nb;
	b->size = size;
}

struct test_dtb *test_dtb_new(void)
{
	struct test_dtb *b = calloc(1, sizeof(*b));

	if (!b || !(b->buf = malloc(DTB_START_SIZE)))
		fail_msg("test_dtb: out of memory");
	b->size = DTB_START_SIZE;
	check(fdt_create(b->buf, b->size), "create");
	GROW(b, fdt_finish_reservemap(b->buf), "reservation map");
	return b;
}

void test_dtb_free(struct test_dtb *b)
{
	if (b)
		free(b->buf);
	free(b);
}

void test_dtb_begin(struct test_dtb *b, const char *name)
{
	if (b->depth == DTB_MAX_DEPTH)
		fail_msg("test_dtb: nodes nested deeper than %d", DTB_MAX_DEPTH);
	GROW(b, fdt_begin_node(b->buf, name), name);
	/* The devicetree specification's defaults. */
	b->cells[b->depth].addr = 2;
	b->cells[b->depth].size = 1;
	b->depth++;
}

void test_dtb_end(struct test_dtb *b)
{
	if (!b->depth)
		fail_msg("test_dtb: end without an open node");
	GROW(b, fdt_end_node(b->buf), "end node");
	b->depth--;
}

void test_dtb_prop(struct test_dtb *b, const char *name, const void *val,
		   size_t len)
{
	if (!b->depth)
		fail_msg("test_dtb: property %s outside any node", name);
	GROW(b, fdt_property(b->buf, name, val, (int)len), name);
}

void test_dtb_empty(struct test_dtb *b, const char *name)
{
	test_dtb_prop(b, name, NULL, 0);
}

void test_dtb_str(struct test_dtb *b, const char *name, const char *s)
{
	test_dtb_prop(b, name, s, strlen(s) + 1);
}

void test_dtb_strings(struct test_dtb *b, const char *name, ...)
{
	char buf[1024];
	size_t len = 0;
	const char *s;
	va_list ap;

	va_start(ap, name);
	while ((s = va_arg(ap, const char *))) {
		size_t n = strlen(s) + 1;

		if (len + n > sizeof(buf))
			fail_msg("test_dtb: %s: string list too long", name);
		memcpy(buf + len, s, n);
		len += n;
	}
	va_end(ap);
	test_dtb_prop(b, name, buf, len);
}

void test_dtb_cells_v(struct test_dtb *b, const char *name, const uint32_t *v,
		      size_t n)
{
	fdt32_t c[DTB_MAX_CELLS] = { 0 };

	if (n > DTB_MAX_CELLS)
		fail_msg("test_dtb: %s: %zu cells, at most %d", name, n,
			 DTB_MAX_CELLS);
	for (size_t i = 0; i < n; i++)
		c[i] = cpu_to_fdt32(v[i]);
	test_dtb_prop(b, name, c, n * sizeof(c[0]));
	if (n == 1 && b->depth && !strcmp(name, "#address-cells"))
		b->cells[b->depth - 1].addr = v[0];
	if (n == 1 && b->depth && !strcmp(name, "#size-cells"))
		b->cells[b->depth - 1].size = v[0];
}

void test_dtb_cells(struct test_dtb *b, const char *name, unsigned n, ...)
{
	uint32_t v[DTB_MAX_CELLS];
	va_list ap;

	if (n > DTB_MAX_CELLS)
		fail_msg("test_dtb: %s: %u cells, at most %d", name, n,
			 DTB_MAX_CELLS);
	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		v[i] = va_arg(ap, uint32_t);
	va_end(ap);
	test_dtb_cells_v(b, name, v, n);
}

void test_dtb_u32(struct test_dtb *b, const char *name, uint32_t v)
{
	test_dtb_cells_v(b, name, &v, 1);
}

void test_dtb_phandle(struct test_dtb *b, uint32_t phandle)
{
	test_dtb_u32(b, "phandle", phandle);
}

/* Appends v as `cells` big-endian cells (1 or 2; 0 writes nothing). */
static size_t put(uint32_t *out, size_t at, uint64_t v, uint32_t cells)
{
	if (cells > 2)
		fail_msg("test_dtb: reg with %u cells per value", cells);
	if (cells == 2)
		out[at++] = (uint32_t)(v >> 32);
	if (cells >= 1)
		out[at++] = (uint32_t)v;
	return at;
}

void test_dtb_regs(struct test_dtb *b, const uint64_t *pairs, size_t n)
{
	uint32_t v[DTB_MAX_CELLS];
	uint32_t ac = 2, sc = 1;
	size_t at = 0;

	if (b->depth >= 2) {
		ac = b->cells[b->depth - 2].addr;
		sc = b->cells[b->depth - 2].size;
	}
	if (n * 4 > DTB_MAX_CELLS)
		fail_msg("test_dtb: %zu reg entries", n);
	for (size_t i = 0; i < n; i++) {
		at = put(v, at, pairs[2 * i], ac);
		at = put(v, at, pairs[2 * i + 1], sc);
	}
	test_dtb_cells_v(b, "reg", v, at);
}

void test_dtb_reg(struct test_dtb *b, uint64_t addr, uint64_t size)
{
	const uint64_t pair[2] = { addr, size };

	test_dtb_regs(b, pair, 1);
}

void test_dtb_aic_irqs_v(struct test_dtb *b, const unsigned *lines, size_t n)
{
	uint32_t v[DTB_MAX_CELLS];

	if (3 * n > DTB_MAX_CELLS)
		fail_msg("test_dtb: %zu interrupts", n);
	for (size_t i = 0; i < n; i++) {
		v[3 * i] = 0;			/* AIC_IRQ */
		v[3 * i + 1] = lines[i];
		v[3 * i + 2] = 4;		/* IRQ_TYPE_LEVEL_HIGH */
	}
	test_dtb_cells_v(b, "interrupts", v, 3 * n);
}

void test_dtb_aic_irqs(struct test_dtb *b, unsigned n, ...)
{
	unsigned lines[DTB_MAX_CELLS / 3];
	va_list ap;

	if (n > DTB_MAX_CELLS / 3)
		fail_msg("test_dtb: %u interrupts", n);
	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		lines[i] = va_arg(ap, unsigned);
	va_end(ap);
	test_dtb_aic_irqs_v(b, lines, n);
}

void test_dtb_memory(struct test_dtb *b, uint64_t base, uint64_t size)
{
	char name[32];

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)base);
	test_dtb_begin(b, name);
	test_dtb_str(b, "device_type", "memory");
	test_dtb_reg(b, base, size);
	test_dtb_end(b);
}

void *test_dtb_finish(struct test_dtb *b, size_t *len)
{
	void *blob;

	if (b->depth)
		fail_msg("test_dtb: finished with %u nodes open", b->depth);
	GROW(b, fdt_finish(b->buf), "finish");
	blob = b->buf;
	if (len)
		*len = fdt_totalsize(blob);
	free(b);
	return blob;
}

int test_dtb_open(struct test_dtb *b, const char *name, struct copro_log *log,
		  struct copro_dt **dt)
{
	size_t len;
	void *blob = test_dtb_finish(b, &len);
	int rc = copro_dt_open(blob, len, name, log, dt);

	free(blob);
	return rc;
}

struct test_dtb_edit {
	void *buf;
	int size;
	const char *board;
};

/* Runs one libfdt edit, growing the blob while it is out of room. */
#define EDIT(e, call, what)                                                  \
	do {                                                                 \
		int rc_;                                                     \
		while ((rc_ = (call)) == -FDT_ERR_NOSPACE)                   \
			edit_grow(e);                                        \
		check(rc_ < 0 ? rc_ : 0, what);                              \
	} while (0)

static void edit_grow(struct test_dtb_edit *e)
{
	int size = e->size * 2;
	void *nb = malloc((size_t)size);

	if (!nb)
		fail_msg("test_dtb: out of memory for %d bytes", size);
	check(fdt_open_into(e->buf, nb, size), e->board);
	free(e->buf);
	e->buf = nb;
	e->size = size;
}

struct test_dtb_edit *test_dtb_edit_board(const char *board)
{
	struct test_dtb_edit *e = calloc(1, sizeof(*e));
	struct copro_dt *dt;
	const void *src;
	int rc;

	if (!e)
		fail_msg("test_dtb: out of memory");
	if (copro_board_dt_open(board, NULL, &dt))
		fail_msg("test_dtb: no built-in board %s", board);
	src = copro_dt_blob(dt);
	e->board = board;
	e->size = (int)fdt_totalsize(src) + DTB_START_SIZE;
	e->buf = malloc((size_t)e->size);
	if (!e->buf)
		fail_msg("test_dtb: out of memory");
	rc = fdt_open_into(src, e->buf, e->size);
	copro_dt_close(dt);
	check(rc, board);
	return e;
}

int test_dtb_edit_node(struct test_dtb_edit *e, const char *path)
{
	int node = fdt_path_offset(e->buf, path);

	if (node < 0)
		fail_msg("test_dtb: %s has no node %s", e->board, path);
	return node;
}

int test_dtb_edit_compatible(struct test_dtb_edit *e, const char *compatible)
{
	int node = fdt_node_offset_by_compatible(e->buf, -1, compatible);

	if (node < 0)
		fail_msg("test_dtb: %s has no node compatible with %s", e->board,
			 compatible);
	return node;
}

void test_dtb_edit_add(struct test_dtb_edit *e, const char *parent,
		       const char *name)
{
	EDIT(e, fdt_add_subnode(e->buf, test_dtb_edit_node(e, parent), name),
	     name);
}

void test_dtb_edit_str(struct test_dtb_edit *e, const char *path,
		       const char *prop, const char *v)
{
	EDIT(e, fdt_setprop_string(e->buf, test_dtb_edit_node(e, path), prop, v),
	     prop);
}

void test_dtb_edit_u32(struct test_dtb_edit *e, const char *path,
		       const char *prop, uint32_t v)
{
	EDIT(e, fdt_setprop_u32(e->buf, test_dtb_edit_node(e, path), prop, v),
	     prop);
}

uint32_t test_dtb_edit_phandle(struct test_dtb_edit *e, const char *path)
{
	uint32_t ph = fdt_get_phandle(e->buf, test_dtb_edit_node(e, path));

	if (!ph)
		fail_msg("test_dtb: %s: %s has no phandle", e->board, path);
	return ph;
}

void *test_dtb_edit_finish(struct test_dtb_edit *e, size_t *len)
{
	void *blob = e->buf;

	check(fdt_pack(blob), "pack");
	if (len)
		*len = fdt_totalsize(blob);
	free(e);
	return blob;
}

void *test_dtb_board_with(const char *board, const char *compatible,
			  const char *const *props, size_t *len)
{
	struct test_dtb_edit *e = test_dtb_edit_board(board);
	char path[256];
	int node = test_dtb_edit_compatible(e, compatible);

	check(fdt_get_path(e->buf, node, path, sizeof(path)), compatible);
	for (; props[0]; props += 2)
		test_dtb_edit_str(e, path, props[0], props[1]);
	return test_dtb_edit_finish(e, len);
}
