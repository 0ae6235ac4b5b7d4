/* SPDX-License-Identifier: MIT */
/*
 * The boards: t8103, t6000 and t8015 instantiate every model their devicetree
 * asks for (ASC, SART, the RTKit firmware model on the NVMe node's
 * mailbox), the accessors find them by node, and two boards live side by
 * side in one process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/regs/asc.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/ans2_model.h>
#include <copro/sim/board.h>
#include <copro/sim/rtkit_fw.h>
#include <copro/sim/sart_model.h>

#include "testutil.h"

struct expect {
	const char *board;
	const char *mbox, *sart, *nvme;
	unsigned sart_version;
	uint64_t dma_above;	/* DRAM starts here */
};

static const struct expect t8103 = {
	"t8103", "/soc/mbox@277408000", "/soc/iommu@27bc50000",
	"/soc/nvme@27bcc0000", 2, 0x800000000ull,
};

static const struct expect t6000 = {
	"t6000", "/soc/mbox@38f408000", "/soc/iommu@393c50000",
	"/soc/nvme@393cc0000", 3, 0x10000000000ull,
};

static const struct expect t8015 = {
	"t8015", "/soc/mbox@257008000", "/soc/iommu@259c50000",
	"/soc/nvme@259cc0000", 0, 0x800000000ull,
};

struct fx {
	struct test_logcap cap;
	struct copro_board *b;
};

static void open_board(struct fx *f, const char *name)
{
	struct copro_board_config cfg = { .board = name };

	assert_int_equal(test_logcap_init(&f->cap), 0);
	cfg.log = test_logcap_log(&f->cap);
	assert_int_equal(copro_board_create(&cfg, &f->b), 0);
}

static void close_board(struct fx *f)
{
	copro_board_destroy(f->b);
	test_logcap_destroy(&f->cap);
}

static void check_models(struct fx *f, const struct expect *e)
{
	const struct copro_dt *dt = copro_board_dt(f->b);
	int mbox = copro_dt_path(dt, e->mbox);
	int sart = copro_dt_path(dt, e->sart);
	int nvme = copro_dt_path(dt, e->nvme);
	struct copro_sim_asc *asc;
	struct copro_sim_sart *s;
	struct copro_sim_rtkit *fw;
	struct copro_dma_buf buf;

	assert_true(mbox >= 0 && sart >= 0 && nvme >= 0);
	assert_string_equal(copro_dt_name(dt), e->board);

	asc = copro_board_asc(f->b, mbox);
	assert_non_null(asc);
	assert_ptr_equal(copro_board_first_asc(f->b), asc);
	s = copro_board_sart(f->b, sart);
	assert_non_null(s);
	assert_int_equal(copro_sim_sart_version(s), e->sart_version);
	assert_int_equal(copro_sim_sart_node(s), sart);

	assert_int_equal(copro_board_nvme_node(f->b), nvme);
	fw = copro_board_rtkit(f->b, nvme);
	assert_non_null(fw);
	/* Nothing runs until the host starts the CPU. */
	assert_false(copro_sim_asc_cpu_running(asc));
	assert_false(copro_sim_rtkit_is_up(fw));
	assert_int_equal(copro_sim_rtkit_iop_state(fw), 0);
	/* The NVMe controller model, with the default 64 MiB disk. */
	assert_non_null(copro_board_ans2(f->b, nvme));
	assert_int_equal(copro_sim_ans2_size(copro_board_ans2(f->b, nvme)),
			 64ull << 20);
	assert_null(copro_board_ans2(f->b, mbox));

	/* Accessors answer only for the right kind of node. */
	assert_null(copro_board_asc(f->b, sart));
	assert_null(copro_board_sart(f->b, mbox));
	assert_null(copro_board_rtkit(f->b, mbox));
	assert_null(copro_board_sart(f->b, nvme));

	/* DMA memory comes from this board's DRAM window. */
	assert_int_equal(copro_dma_alloc(copro_board_platform(f->b), 4096,
					 &buf),
			 0);
	assert_true(buf.phys >= e->dma_above);
	copro_dma_free(copro_board_platform(f->b), &buf);
}

/* Firmware-only boards leave the controller model to the test. */
static void test_firmware_only(void **state)
{
	struct copro_board_config cfg = { .firmware_only = true };
	struct copro_board *b;
	int nvme;

	(void)state;
	assert_int_equal(copro_board_create(&cfg, &b), 0);
	nvme = copro_board_nvme_node(b);
	assert_true(nvme >= 0);
	assert_non_null(copro_board_rtkit(b, nvme));
	assert_null(copro_board_ans2(b, nvme));
	copro_board_destroy(b);
}

static void test_t8103(void **state)
{
	struct fx f;

	(void)state;
	open_board(&f, "t8103");
	check_models(&f, &t8103);
	close_board(&f);
}

static void test_t6000(void **state)
{
	struct fx f;

	(void)state;
	open_board(&f, "t6000");
	check_models(&f, &t6000);
	/* The DT layer's 3-cell AIC gives the upstream line numbers. */
	unsigned line;
	const struct copro_dt *dt = copro_board_dt(f.b);

	assert_int_equal(copro_dt_irq_by_name(dt, copro_dt_path(dt, t6000.mbox),
					      "recv-not-empty", &line),
			 0);
	assert_int_equal(line, 1072);
	assert_int_equal(copro_dt_irq(dt, copro_dt_path(dt, t6000.nvme), 0,
				      &line),
			 0);
	assert_int_equal(line, 1832);
	close_board(&f);
}

/*
 * The A11: its own mailbox layout and controller generation, and the
 * coprocessor's CPU block where the NVMe node's "ans" reg is, not at the
 * mailbox's ASC base; upstream's interrupt numbers.
 */
static void test_t8015(void **state)
{
	const struct copro_dt *dt;
	struct copro_sim_asc *asc;
	uint64_t phys, size;
	unsigned line;
	int nvme;
	struct fx f;

	(void)state;
	open_board(&f, "t8015");
	check_models(&f, &t8015);
	dt = copro_board_dt(f.b);
	nvme = copro_dt_path(dt, t8015.nvme);
	asc = copro_board_asc(f.b, copro_dt_path(dt, t8015.mbox));
	assert_string_equal(copro_sim_asc_layout(asc), "apple,t8015-asc-mailbox");
	assert_string_equal(copro_sim_ans2_generation(copro_board_ans2(f.b, nvme)),
			    "t8015");
	copro_sim_asc_cpu_region(asc, &phys, &size);
	assert_int_equal(phys, 0x259d20000ull);
	assert_int_equal(size, 0x2000);
	assert_int_equal(copro_dt_irq_by_name(dt, copro_dt_path(dt, t8015.mbox),
					      "recv-not-empty", &line),
			 0);
	assert_int_equal(line, 268);
	assert_int_equal(copro_dt_irq(dt, nvme, 0, &line), 0);
	assert_int_equal(line, 270);
	assert_int_equal(copro_dt_ref_count(dt, nvme, "power-domains",
					    "#power-domain-cells"),
			 2);
	close_board(&f);
}

static void test_default_board(void **state)
{
	struct fx f;

	(void)state;
	open_board(&f, NULL);
	check_models(&f, &t8103);
	close_board(&f);
}

/* Both boards at once, each with its own models and firmware. */
static void test_two_boards(void **state)
{
	struct fx a, b;

	(void)state;
	open_board(&a, "t8103");
	open_board(&b, "t6000");
	check_models(&a, &t8103);
	check_models(&b, &t6000);
	assert_ptr_not_equal(copro_board_rtkit(a.b, copro_board_nvme_node(a.b)),
			     copro_board_rtkit(b.b, copro_board_nvme_node(b.b)));
	close_board(&b);
	/* The other board is untouched by its neighbour's teardown. */
	check_models(&a, &t8103);
	close_board(&a);
}

/* A board torn down while its coprocessor runs stops it first. */
static void test_destroy_running(void **state)
{
	const struct copro_dt *dt;
	struct copro_mmio *cpu;
	uint64_t phys, size;
	struct fx f;

	(void)state;
	open_board(&f, "t6000");
	dt = copro_board_dt(f.b);
	assert_int_equal(copro_dt_reg(dt, copro_dt_path(dt, t6000.mbox), 0,
				      &phys, &size),
			 0);
	assert_int_equal(copro_mmio_map(copro_board_platform(f.b),
					phys - ASC_MBOX_OFFSET,
					ASC_CPU_REGION_SIZE, &cpu),
			 0);
	copro_writel(cpu, ASC_CPU_CONTROL, ASC_CPU_CONTROL_RUN);
	assert_true(copro_sim_asc_cpu_running(copro_board_first_asc(f.b)));
	copro_mmio_unmap(cpu);
	close_board(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_t8103),
		cmocka_unit_test(test_t6000),
		cmocka_unit_test(test_t8015),
		cmocka_unit_test(test_default_board),
		cmocka_unit_test(test_firmware_only),
		cmocka_unit_test(test_two_boards),
		cmocka_unit_test(test_destroy_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
