/* SPDX-License-Identifier: MIT */
/*
 * The host RTKit library against the RTKit firmware model: the four
 * buffer modes end to end (DMA, SART with the filter enforced, MMIO in
 * the coprocessor's SRAM, IOVA chosen by the coprocessor), each carrying
 * syslog lines and a crashlog, and every system endpoint.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/rtkit.h>
#include <copro/sim/rtkit_fw.h>
#include <copro/sim/sart_model.h>

#include "test_rtkit_sys.h"

#define BUF_SIZE (4 * 4096u)

static struct test_sys *sys_new(const char *board)
{
	struct test_sys *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	test_sys_open(s, board, true);
	return s;
}

static void sys_free(struct test_sys *s)
{
	test_sys_close(s);
	free(s);
}

static bool crashed(void *arg)
{
	return atomic_load(&((struct test_sys *)arg)->crashes) == 1;
}

/*
 * Both buffer users through whatever mode is set up: a syslog line in
 * the syslog buffer, then a crash whose log the host decodes from the
 * crashlog buffer.
 */
static void lines_and_crash(struct test_sys *s)
{
	const struct copro_crashlog *cl;

	assert_int_equal(copro_sim_rtkit_syslog(s->fw, "mode", "a line"), 0);
	test_sys_wait_lines(s, 1);
	assert_string_equal(s->last_text, "a line");
	assert_int_equal(copro_sim_rtkit_crash(s->fw, "mode crash", -1), 0);
	assert_true(test_sys_wait(s, crashed, s));
	assert_int_equal(atomic_load(&s->crashes_with_log), 1);
	assert_string_equal(s->crash_str, "mode crash");
	cl = copro_rtkit_crashlog(s->rtk);
	assert_non_null(cl);
	assert_true(cl->has_mbx && cl->n_mbx > 0);
	assert_int_equal(test_sys_fw_stats(s).refused, 0);
	assert_int_equal(test_sys_host_stats(s).refused, 0);
}

static void test_dma_mode(void **state)
{
	struct test_sys *s = sys_new("t8103");
	struct copro_sim_rtkit_config fcfg = test_sys_ans_cfg(s);
	struct copro_rtkit_config cfg = { .shmem_mode = COPRO_RTKIT_SHMEM_DMA };

	(void)state;
	/* A coprocessor whose DMA nothing filters. */
	fcfg.sart = NULL;
	test_sys_replace_fw(s, &fcfg);
	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_sart_entry_count_used(s->sart), 0);
	lines_and_crash(s);
	sys_free(s);
}

static void test_sart_mode(void **state)
{
	struct test_sys *s = sys_new("t6000");
	struct copro_rtkit_config cfg = { .shmem_mode = COPRO_RTKIT_SHMEM_SART };

	(void)state;
	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_sart_entry_count_used(s->sart), 4);
	lines_and_crash(s);
	assert_int_equal(test_sys_fw_stats(s).sart_blocked, 0);
	sys_free(s);
}

static bool blocked(void *arg)
{
	return test_sys_fw_stats(arg).sart_blocked >= 2;
}

/* A host that forgets the SART: the filter stops the firmware's DMA. */
static void test_sart_enforced(void **state)
{
	struct test_sys *s = sys_new("t8103");
	struct copro_rtkit_config cfg = { .shmem_mode = COPRO_RTKIT_SHMEM_DMA };
	struct copro_sim_sart_stats ss;

	(void)state;
	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_sart_entry_count_used(s->sart), 0);
	assert_int_equal(copro_sim_rtkit_syslog(s->fw, "c", "never seen"), 0);
	assert_int_equal(copro_sim_rtkit_crash(s->fw, "unwritten", -1), 0);
	assert_true(test_sys_wait(s, blocked, s));
	copro_sim_sart_get_stats(copro_board_sart(s->b,
						  copro_sart_node(s->sart)),
				 &ss);
	assert_int_equal(ss.blocked, 2);
	assert_true(test_sys_wait(s, crashed, s));
	/* No line got through; the crashlog buffer held no crashlog. */
	assert_int_equal(atomic_load(&s->syslog_lines), 0);
	assert_int_equal(s->crash_str[0], '\0');
	assert_true(copro_rtkit_is_crashed(s->rtk));
	sys_free(s);
}

static void test_mmio_mode(void **state)
{
	struct test_sys *s = sys_new("t8103");
	struct copro_sim_rtkit_config fcfg = {
		.crashlog_buf = COPRO_SIM_RTKIT_BUF_MMIO,
		.syslog_buf = COPRO_SIM_RTKIT_BUF_MMIO,
		.ioreport_buf = COPRO_SIM_RTKIT_BUF_MMIO,
		.oslog_buf = COPRO_SIM_RTKIT_BUF_MMIO,
		.sram_phys = TEST_SYS_SRAM_PHYS,
		.sram_size = TEST_SYS_SRAM_SIZE,
	};
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_MMIO,
		.iova_base = TEST_SYS_SRAM_PHYS,
		.iova_size = TEST_SYS_SRAM_SIZE,
	};
	const struct copro_rtkit_shmem *sh;

	(void)state;
	test_sys_replace_fw(s, &fcfg);
	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	sh = copro_rtkit_shmem(s->rtk, 2);
	assert_non_null(sh);
	assert_non_null(sh->iomem);
	assert_int_equal(sh->iova, TEST_SYS_SRAM_PHYS + BUF_SIZE);
	assert_non_null(copro_rtkit_shmem(s->rtk, 8));
	lines_and_crash(s);
	sys_free(s);
}

static void test_iova_mode(void **state)
{
	struct test_sys *s = sys_new("t6000");
	struct copro_sim_rtkit_config fcfg = {
		.crashlog_buf = COPRO_SIM_RTKIT_BUF_IOVA,
		.syslog_buf = COPRO_SIM_RTKIT_BUF_IOVA,
		.ioreport_buf = COPRO_SIM_RTKIT_BUF_IOVA,
		.oslog_buf = COPRO_SIM_RTKIT_BUF_IOVA,
	};
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_IOVA,
		.iova_size = TEST_SYS_IOVA_SIZE,
	};
	const struct copro_rtkit_shmem *sh;

	(void)state;
	fcfg.iova_base = s->dram_base + TEST_SYS_IOVA_OFFSET;
	cfg.iova_base = fcfg.iova_base;
	test_sys_replace_fw(s, &fcfg);
	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	for (uint8_t ep = 1, slot = 0; ep <= 8; ep++) {
		if (ep == 3 || (ep > 4 && ep < 8))
			continue;
		sh = copro_rtkit_shmem(s->rtk, ep);
		assert_non_null(sh);
		assert_int_equal(sh->iova, fcfg.iova_base + slot++ * BUF_SIZE);
	}
	lines_and_crash(s);
	sys_free(s);
}

/* ---- every system endpoint --------------------------------------------------- */

static bool echoed(void *arg)
{
	return test_sys_fw_stats(arg).ioreport_echoed == 3;
}

static void test_system_endpoints(void **state)
{
	struct test_sys *s = sys_new("t8103");
	struct copro_sim_rtkit_config fcfg = test_sys_ans_cfg(s);
	struct copro_rtkit_config cfg = { .shmem_mode = COPRO_RTKIT_SHMEM_SART };

	(void)state;
	/* Endpoint 0x0a (tracekit) too, which the host leaves alone. */
	memset(fcfg.endpoints, 0, sizeof(fcfg.endpoints));
	fcfg.endpoints[0] = 0x1f;     /* 0 - 4 */
	fcfg.endpoints[1] = 0x05;     /* 8, 0x0a */
	fcfg.syslog_period_ns = 2 * COPRO_NSEC_PER_MSEC;
	/* The host still tolerates the old oslog INIT. */
	fcfg.oslog_init_ack = true;
	test_sys_replace_fw(s, &fcfg);
	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_true(copro_rtkit_has_ep(s->rtk, 0x0a));
	test_logcap_expect(&s->cap, "endpoint 0x03 started"); /* debug */
	test_sys_wait_log(s, "oslog INIT acknowledged");

	/* syslog: periodic lines and one on demand, all acknowledged. */
	test_sys_wait_lines(s, 3);
	/* ioreport: both types that need an echo, and one that does not. */
	assert_int_equal(copro_sim_rtkit_ioreport(s->fw, 8), 0);
	assert_int_equal(copro_sim_rtkit_ioreport(s->fw, 0xc), 0);
	assert_int_equal(copro_sim_rtkit_ioreport(s->fw, 8), 0);
	assert_true(test_sys_wait(s, echoed, s));
	assert_false(copro_sim_rtkit_stalled(s->fw));
	/* crashlog: the crash, decoded and reported. */
	assert_int_equal(copro_sim_rtkit_crash(s->fw, "all endpoints", -1), 0);
	assert_true(test_sys_wait(s, crashed, s));
	assert_string_equal(s->crash_str, "all endpoints");
	assert_int_equal(test_sys_host_stats(s).refused, 0);
	assert_int_equal(test_sys_fw_stats(s).refused, 0);
	sys_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_mode),
		cmocka_unit_test(test_sart_mode),
		cmocka_unit_test(test_sart_enforced),
		cmocka_unit_test(test_mmio_mode),
		cmocka_unit_test(test_iova_mode),
		cmocka_unit_test(test_system_endpoints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
