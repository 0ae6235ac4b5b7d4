// SPDX-License-Identifier: MIT
/*
 * RTKit host library, shared buffers (hardware.md 2.3) in all four modes (DMA,
 * SART, MMIO, IOVA) and the client's own setup, and every malformed
 * buffer request: refused (not answered), logged, counted, and the
 * coprocessor's accesses stay inside what the host gave it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>
#include <copro/sart.h>
#include <copro/sim/board.h>
#include <copro/sim/sart_model.h>

#include "test_iop.h"
#include "test_modes.h"

#define SRAM_PHYS 0x278000000ull
#define SRAM_SIZE 0x10000ull
#define IOVA_BASE 0x900000000ull
#define IOVA_SIZE 0x100000ull

static uint64_t buf_req(uint64_t pages, uint64_t iova)
{
	return RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) | RTK_BUF_SIZE_MAKE(pages) |
	       RTK_BUF_IOVA_MAKE(iova);
}

static void boot(struct test_rtk *t, const struct copro_rtkit_config *cfg)
{
	assert_int_equal(test_rtk_create(t, cfg), 0);
	assert_int_equal(test_rtk_boot(t), 0);
}

/* Sends a request and returns the host's answer. */
static uint64_t request(struct test_rtk *t, uint8_t ep, uint64_t msg)
{
	size_t cur = test_iop_count(t->iop);
	uint64_t answer;

	assert_int_equal(test_iop_send(t->iop, ep, msg), 0);
	assert_true(test_rtk_wait_ap(t, &cur, ep, RTK_BUFFER_REQUEST, &answer));
	return answer;
}

/*
 * Sends a request that must be refused: an ioreport message sent after it
 * is echoed (every mode answers those), and the refused one never was.
 */
static void refused(struct test_rtk *t, uint8_t ep, uint64_t msg,
		    const char *why)
{
	struct copro_rtkit_stats before, after;
	size_t answers = test_iop_count_of(t->iop, ep, RTK_BUFFER_REQUEST);
	size_t cur = test_iop_count(t->iop);

	copro_rtkit_get_stats(t->rtk, &before);
	assert_int_equal(test_iop_send(t->iop, ep, msg), 0);
	assert_int_equal(test_iop_send(t->iop, COPRO_RTKIT_EP_IOREPORT,
				       RTK_EP_TYPE_MAKE(RTK_IOREPORT_UNKNOWN1)),
			 0);
	assert_true(test_rtk_wait_ap(t, &cur, COPRO_RTKIT_EP_IOREPORT,
				     RTK_IOREPORT_UNKNOWN1, NULL));
	copro_rtkit_get_stats(t->rtk, &after);
	assert_int_equal(after.refused, before.refused + 1);
	assert_int_equal(test_iop_count_of(t->iop, ep, RTK_BUFFER_REQUEST),
			 answers);
	test_logcap_expect(&t->cap, why);
}

static void test_dma_mode(void **state)
{
	struct copro_rtkit_config cfg = { 0 };
	const struct copro_rtkit_shmem *sh;
	struct test_rtk t;
	uint64_t answer;
	char back[8];

	test_rtk_open(&t, test_threaded(state), NULL);
	boot(&t, &cfg);
	answer = request(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(2, 0));
	sh = copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_SYSLOG);
	assert_non_null(sh);
	assert_int_equal(answer, buf_req(2, sh->iova));
	assert_int_equal(sh->size, 2 * 4096);
	assert_non_null(sh->buffer);
	assert_null(sh->iomem);
	assert_true(sh->iova >= 0x800000000ull);
	/* The coprocessor reaches it, and only it. */
	assert_int_equal(test_iop_dma_write(t.iop, sh->iova + 8188, "abcd", 4), 0);
	assert_memory_equal((char *)sh->buffer + 8188, "abcd", 4);
	assert_int_equal(test_iop_dma_read(t.iop, sh->iova, back, 8), 0);
	assert_true(test_iop_dma_write(t.iop, sh->iova + 8190, "abcd", 4) < 0);

	/* Shutdown frees it: the address is no memory any more. */
	uint64_t iova = sh->iova;

	assert_int_equal(copro_rtkit_shutdown(t.rtk), 0);
	assert_null(copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_SYSLOG));
	assert_true(test_iop_dma_read(t.iop, iova, back, 8) < 0);
	test_rtk_close(&t);
}

static void test_hostile_requests(void **state)
{
	struct copro_rtkit_config cfg = { .shmem_max = 4 * 4096 };
	struct test_rtk t;

	test_rtk_open(&t, test_threaded(state), NULL);
	boot(&t, &cfg);
	refused(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(0, 0), "a buffer of 0 bytes");
	refused(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(5, 0),
		"larger than the configured maximum");
	refused(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(0xff, 0),
		"iova 0x0, size 0xff000, limit 0x4000");
	refused(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(1, 0x900000000ull),
		"a coprocessor-chosen IOVA, which this mode does not allow");
	refused(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(1, 0x900000123ull),
		"an IOVA that is not 4 KiB aligned");
	refused(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(1, 0xfffffffffffull),
		"not 4 KiB aligned");
	/* A second request for a buffer that exists. */
	request(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(1, 0));
	const struct copro_rtkit_shmem *sh =
		copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_SYSLOG);
	uint64_t first = sh->iova;
	struct copro_rtkit_stats st;
	size_t cur = test_iop_count(t.iop);

	assert_int_equal(test_iop_send(t.iop, COPRO_RTKIT_EP_SYSLOG,
				       buf_req(2, 0)),
			 0);
	request(&t, COPRO_RTKIT_EP_IOREPORT, buf_req(1, 0));
	assert_int_equal(test_iop_count_of(t.iop, COPRO_RTKIT_EP_SYSLOG,
					   RTK_BUFFER_REQUEST),
			 1);
	assert_int_equal(copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_SYSLOG)->iova,
			 first);
	assert_int_equal(copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_SYSLOG)->size,
			 4096);
	test_logcap_expect(&t.cap, "a second buffer request");
	copro_rtkit_get_stats(t.rtk, &st);
	assert_true(st.refused >= 1);
	(void)cur;
	/* Still alive and well after all that. */
	assert_true(copro_rtkit_is_running(t.rtk));
	test_rtk_close(&t);
}

static void test_sart_mode(void **state)
{
	struct copro_sim_sart *model;
	struct copro_sart *sart;
	struct test_rtk t;
	int node;

	test_rtk_open(&t, test_threaded(state), NULL);
	node = copro_dt_next_compatible(t.dt, -1, "apple,t8103-sart");
	assert_true(node >= 0);
	model = copro_board_sart(t.b, node);
	assert_non_null(model);
	assert_int_equal(copro_sart_probe(t.p, node, &sart), 0);
	test_iop_destroy(t.iop);
	assert_int_equal(test_iop_create(t.model,
					 &(struct test_iop_config){ .sart = model },
					 &t.iop),
			 0);

	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
		.sart = sart,
	};

	boot(&t, &cfg);
	request(&t, COPRO_RTKIT_EP_CRASHLOG, buf_req(3, 0));
	const struct copro_rtkit_shmem *sh =
		copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_CRASHLOG);
	uint64_t iova = sh->iova;

	assert_int_equal(copro_sart_entry_count_used(sart), 1);
	/* Through the filter: the whole buffer, nothing past it. */
	assert_int_equal(test_iop_dma_write(t.iop, iova, "x", 1), 0);
	assert_int_equal(test_iop_dma_write(t.iop, iova + 3 * 4096 - 1, "y", 1),
			 0);
	assert_true(test_iop_dma_write(t.iop, iova + 3 * 4096, "z", 1) < 0);
	assert_memory_equal(sh->buffer, "x", 1);

	/* A chosen IOVA is refused in this mode. */
	refused(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(1, 0x900000000ull),
		"SART mode");
	/* Shutdown frees the buffer, and the entry goes with it. */
	assert_int_equal(copro_sart_entry_count_used(sart), 1);
	assert_int_equal(copro_rtkit_shutdown(t.rtk), 0);
	assert_int_equal(copro_sart_entry_count_used(sart), 0);
	assert_int_equal(copro_sim_sart_check(model, iova, 1, true),
			 -COPRO_EBUSFAULT);

	test_rtk_cpu(&t, false);
	copro_rtkit_destroy(t.rtk);
	t.rtk = NULL;
	copro_sart_remove(sart);
	test_rtk_close(&t);
}

static void test_mmio_mode(void **state)
{
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_MMIO,
		.iova_base = SRAM_PHYS,
		.iova_size = SRAM_SIZE,
	};
	struct test_sram *sram;
	struct test_rtk t;

	test_rtk_open(&t, test_threaded(state), NULL);
	assert_int_equal(test_sram_create(t.bus, SRAM_PHYS, SRAM_SIZE, &sram), 0);
	boot(&t, &cfg);

	/* Placed by the coprocessor in its SRAM: mapped, not answered. */
	size_t cur = test_iop_count(t.iop);
	struct copro_rtkit_stats st;

	assert_int_equal(test_iop_send(t.iop, COPRO_RTKIT_EP_SYSLOG,
				       buf_req(1, SRAM_PHYS + 0x2000)),
			 0);
	assert_int_equal(test_iop_send(t.iop, COPRO_RTKIT_EP_SYSLOG,
				       RTK_EP_TYPE_MAKE(RTK_SYSLOG_INIT) |
					       RTK_SYSLOG_INIT_MAKE(4, 0x3d)),
			 0);
	/* Entry 1 sits at 0x5d: unaligned for 32-bit accesses. */
	uint8_t entry[0x5d] = { 0 };

	memcpy(entry + RTK_SYSLOG_CONTEXT_OFF, "sram-ctx", 8);
	memcpy(entry + RTK_SYSLOG_TEXT_OFF, "from the SMC's SRAM\n", 20);
	test_sram_write(sram, 0x2000 + 0x5d, entry, sizeof(entry));
	assert_int_equal(test_iop_send(t.iop, COPRO_RTKIT_EP_SYSLOG,
				       RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | 1),
			 0);
	assert_true(test_rtk_wait_ap(&t, &cur, COPRO_RTKIT_EP_SYSLOG,
				     RTK_SYSLOG_LOG, NULL));
	test_logcap_expect(&t.cap, "info: rtk: syslog [sram-ctx] from the SMC's SRAM");
	assert_int_equal(test_iop_count_of(t.iop, COPRO_RTKIT_EP_SYSLOG,
					   RTK_BUFFER_REQUEST),
			 0);
	const struct copro_rtkit_shmem *sh =
		copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_SYSLOG);

	assert_non_null(sh);
	assert_null(sh->buffer);
	assert_non_null(sh->iomem);
	assert_int_equal(sh->iova, SRAM_PHYS + 0x2000);
	/* Only 32-bit accesses reached the SRAM. */
	assert_true(test_sram_reads(sram) > 0);
	assert_int_equal(test_sram_bad_accesses(sram), 0);

	/* Outside the window, straddling its end, or left to the host. */
	copro_rtkit_get_stats(t.rtk, &st);
	refused(&t, COPRO_RTKIT_EP_CRASHLOG, buf_req(1, SRAM_PHYS + SRAM_SIZE),
		"a buffer outside the coprocessor's MMIO window");
	refused(&t, COPRO_RTKIT_EP_CRASHLOG,
		buf_req(2, SRAM_PHYS + SRAM_SIZE - 4096),
		"outside the coprocessor's MMIO window");
	refused(&t, COPRO_RTKIT_EP_CRASHLOG, buf_req(1, 0),
		"MMIO-mode buffers are placed by the coprocessor");
	test_rtk_cpu(&t, false);
	copro_rtkit_destroy(t.rtk);
	t.rtk = NULL;
	test_sram_destroy(sram);
	test_rtk_close(&t);
}

static void test_iova_mode(void **state)
{
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_IOVA,
		.iova_base = IOVA_BASE,
		.iova_size = IOVA_SIZE,
	};
	struct test_rtk t;
	uint64_t answer;

	test_rtk_open(&t, test_threaded(state), NULL);
	boot(&t, &cfg);
	answer = request(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(2, IOVA_BASE + 0x10000));
	assert_int_equal(answer, buf_req(2, IOVA_BASE + 0x10000));
	const struct copro_rtkit_shmem *sh =
		copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_SYSLOG);

	assert_int_equal(sh->iova, IOVA_BASE + 0x10000);
	assert_int_equal(test_iop_dma_write(t.iop, IOVA_BASE + 0x11ffc, "1234", 4),
			 0);
	assert_memory_equal((char *)sh->buffer + 0x1ffc, "1234", 4);
	/* IOVA 0 still gets memory from the host. */
	answer = request(&t, COPRO_RTKIT_EP_CRASHLOG, buf_req(1, 0));
	assert_true(RTK_BUF_IOVA(answer) != 0);
	assert_int_equal(RTK_BUF_IOVA(answer),
			 copro_rtkit_shmem(t.rtk, COPRO_RTKIT_EP_CRASHLOG)->iova);

	refused(&t, COPRO_RTKIT_EP_OSLOG,
		RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT) | RTK_OSLOG_SIZE_MAKE(0x1000) |
			RTK_OSLOG_IOVA_MAKE((IOVA_BASE + IOVA_SIZE) >> 12),
		"an IOVA outside the configured window");
	refused(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(1, IOVA_BASE - 0x1000),
		"an IOVA outside the configured window");
	refused(&t, COPRO_RTKIT_EP_SYSLOG,
		buf_req(2, IOVA_BASE + IOVA_SIZE - 0x1000),
		"an IOVA outside the configured window");
	test_rtk_close(&t);
}

/* ---- the client's own setup -------------------------------------------------- */

struct custom {
	struct copro_platform *p;
	struct copro_dma_buf dma[0x20];
	int setups, destroys;
	bool refuse;
};

static int custom_setup(void *ctx, struct copro_rtkit_shmem *buf)
{
	struct custom *c = ctx;
	int ret;

	c->setups++;
	if (c->refuse)
		return -ENOSPC;
	ret = copro_dma_alloc(c->p, buf->size, &c->dma[buf->ep]);
	if (ret < 0)
		return ret;
	buf->buffer = c->dma[buf->ep].cpu;
	buf->iova = c->dma[buf->ep].phys;
	return 0;
}

static void custom_destroy(void *ctx, struct copro_rtkit_shmem *buf)
{
	struct custom *c = ctx;

	c->destroys++;
	copro_dma_free(c->p, &c->dma[buf->ep]);
}

static void test_client_setup(void **state)
{
	static const struct copro_rtkit_ops ops = {
		.shmem_setup = custom_setup,
		.shmem_destroy = custom_destroy,
	};
	struct test_rtk t;
	struct custom c = { 0 };
	struct copro_rtkit_config cfg = { .ops = &ops, .ctx = &c };
	uint64_t answer;

	test_rtk_open(&t, test_threaded(state), NULL);
	c.p = t.p;
	boot(&t, &cfg);
	answer = request(&t, COPRO_RTKIT_EP_SYSLOG, buf_req(1, 0));
	assert_int_equal(c.setups, 1);
	assert_int_equal(RTK_BUF_IOVA(answer), c.dma[COPRO_RTKIT_EP_SYSLOG].phys);
	c.refuse = true;
	refused(&t, COPRO_RTKIT_EP_CRASHLOG, buf_req(1, 0),
		"failed in the client's mode: No space left on device");
	assert_int_equal(c.setups, 2);
	assert_int_equal(c.destroys, 0);
	assert_int_equal(copro_rtkit_shutdown(t.rtk), 0);
	assert_int_equal(c.destroys, 1);
	test_rtk_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_dma_mode, NULL, NULL),
		TEST_BOTH(test_hostile_requests, NULL, NULL),
		TEST_BOTH(test_sart_mode, NULL, NULL),
		TEST_BOTH(test_mmio_mode, NULL, NULL),
		TEST_BOTH(test_iova_mode, NULL, NULL),
		TEST_BOTH(test_client_setup, NULL, NULL),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
