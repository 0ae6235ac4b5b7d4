/* SPDX-License-Identifier: MIT */
/*
 * Building devicetree blobs in tests: the one builder every test that
 * needs a board of its own uses (libfdt's sequential-write API, grown as
 * needed; any libfdt error fails the running cmocka test).
 *
 *   struct test_dtb *b = test_dtb_new();
 *   test_dtb_begin(b, "");                        root
 *   test_dtb_u32(b, "#address-cells", 2);         children's reg cells,
 *   test_dtb_u32(b, "#size-cells", 2);            remembered by the builder
 *   test_dtb_memory(b, 0x800000000, 0x10000000);  /memory@800000000
 *   test_dtb_begin(b, "mbox@10008000");
 *   TEST_DTB_STRS(b, "compatible", "apple,t8103-asc-mailbox\0apple,asc-mailbox");
 *   test_dtb_reg(b, 0x10008000, 0x4000);          in the parent's cells
 *   test_dtb_u32(b, "interrupt-parent", AIC_PH);
 *   test_dtb_aic_irqs(b, 4, 10, 11, 12, 13);
 *   test_dtb_phandle(b, 2);
 *   test_dtb_end(b);
 *   test_dtb_end(b);                              closes the root
 *   test_dtb_open(b, "small", log, &dt);          finishes, opens, frees b
 *
 * or `blob = test_dtb_finish(b, &len)` for the raw blob (malloc'd; free it).
 */
#ifndef COPRO_TEST_DTB_H
#define COPRO_TEST_DTB_H

#include <stddef.h>
#include <stdint.h>

#include "copro/dt.h"
#include "copro/log.h"

struct test_dtb;

/* An empty blob with an empty reservation map; never NULL. */
struct test_dtb *test_dtb_new(void);
/* Discards a builder that was not finished. NULL is fine. */
void test_dtb_free(struct test_dtb *b);

/* Opens node `name` ("" for the root) under the open one, and closes it. */
void test_dtb_begin(struct test_dtb *b, const char *name);
void test_dtb_end(struct test_dtb *b);

/* A property of raw bytes (len may be 0: a flag property). */
void test_dtb_prop(struct test_dtb *b, const char *name, const void *val,
		   size_t len);
void test_dtb_empty(struct test_dtb *b, const char *name);
void test_dtb_str(struct test_dtb *b, const char *name, const char *s);
/* A string list as one literal, "a\0b", with its terminating NUL. */
#define TEST_DTB_STRS(b, name, lit) test_dtb_prop(b, name, lit, sizeof(lit))
/* A string list of the arguments up to a NULL (which may come first). */
void test_dtb_strings(struct test_dtb *b, const char *name, ...);
/*
 * n 32-bit cells, big-endian. "#address-cells" and "#size-cells" of one
 * cell are remembered as the cells of this node's children's reg.
 */
void test_dtb_cells(struct test_dtb *b, const char *name, unsigned n, ...);
void test_dtb_cells_v(struct test_dtb *b, const char *name, const uint32_t *v,
		      size_t n);
void test_dtb_u32(struct test_dtb *b, const char *name, uint32_t v);
void test_dtb_phandle(struct test_dtb *b, uint32_t phandle);
/*
 * reg = <addr size>, each in the cell counts of the parent node (the
 * devicetree defaults, 2 and 1, when it declared none); test_dtb_regs
 * takes n (addr, size) pairs.
 */
void test_dtb_reg(struct test_dtb *b, uint64_t addr, uint64_t size);
void test_dtb_regs(struct test_dtb *b, const uint64_t *pairs, size_t n);
/*
 * interrupts = <0 line 4> per line: an Apple AIC specifier (type IRQ,
 * level high), as the boards' interrupt controller expects.
 */
void test_dtb_aic_irqs(struct test_dtb *b, unsigned n, ...);
void test_dtb_aic_irqs_v(struct test_dtb *b, const unsigned *lines, size_t n);
/* A node "memory@<base>" with device_type "memory" and reg. */
void test_dtb_memory(struct test_dtb *b, uint64_t base, uint64_t size);

/*
 * Ends the blob (every node must be closed) and frees the builder. The
 * blob is malloc'd; *len (optional) is its size.
 */
void *test_dtb_finish(struct test_dtb *b, size_t *len);
/* test_dtb_finish, then copro_dt_open(blob, len, name, log, dt); its result. */
int test_dtb_open(struct test_dtb *b, const char *name, struct copro_log *log,
		  struct copro_dt **dt);

/*
 * Editing a built-in board: nodes named by path, added or given
 * properties, then the edited blob (malloc'd; *len its size).
 *
 *   struct test_dtb_edit *e = test_dtb_edit_board("t8103");
 *   uint32_t ph = test_dtb_edit_phandle(e, "/soc/iommu@27bc50000");
 *   test_dtb_edit_add(e, "/soc", "client");
 *   test_dtb_edit_u32(e, "/soc/client", "apple,sart", ph);
 *   blob = test_dtb_edit_finish(e, &len);
 */
struct test_dtb_edit;

struct test_dtb_edit *test_dtb_edit_board(const char *board);
/* The node at path, or the first compatible with `compatible`. */
int test_dtb_edit_node(struct test_dtb_edit *e, const char *path);
int test_dtb_edit_compatible(struct test_dtb_edit *e, const char *compatible);
void test_dtb_edit_add(struct test_dtb_edit *e, const char *parent,
		       const char *name);
void test_dtb_edit_str(struct test_dtb_edit *e, const char *path,
		       const char *prop, const char *v);
void test_dtb_edit_u32(struct test_dtb_edit *e, const char *path,
		       const char *prop, uint32_t v);
/* The node's phandle; fails the test when it has none. */
uint32_t test_dtb_edit_phandle(struct test_dtb_edit *e, const char *path);
void *test_dtb_edit_finish(struct test_dtb_edit *e, size_t *len);

/*
 * A built-in board with string properties set on the first node
 * compatible with `compatible`: props is {name, value, ..., NULL}.
 * The blob is malloc'd; *len its size.
 */
void *test_dtb_board_with(const char *board, const char *compatible,
			  const char *const *props, size_t *len);

#endif
