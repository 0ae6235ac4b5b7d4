/* SPDX-License-Identifier: MIT */
/*
 * The RTKit firmware model's shared buffers and log endpoints at the
 * message level: each buffer mode (host, IOVA, SRAM), the answers it
 * accepts and refuses, syslog entries and their acknowledgements, the
 * ioreport echo and the stall without it, both oslog schemes, periodic
 * traffic, and DMA through the SART.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/regs/rtkit.h>
#include <copro/sim/rtkit_fw.h>
#include <copro/sim/sart_model.h>

#include "test_rtkit_ap.h"
#include "test_rtkit_msg.h"

#define BUF_SIZE (4 * 4096u)
#define SRAM_PHYS 0x23fe00000ull /* the t8103 SMC's SRAM, unused here */
#define SRAM_SIZE 0x100000ull
#define SYSLOG_LOG(i) (RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | (i))

static struct copro_sim_rtkit_config all_modes(enum copro_sim_rtkit_buf m)
{
	return (struct copro_sim_rtkit_config){
		.crashlog_buf = m, .syslog_buf = m, .ioreport_buf = m,
		.oslog_buf = m,
	};
}

struct stat_arg {
	struct test_ap *ap;
	uint64_t want;
};

static bool acked_reached(void *arg)
{
	struct stat_arg *a = arg;

	return test_ap_stats(a->ap).syslog_acked >= a->want;
}

static void wait_acked(struct test_ap *ap, uint64_t n)
{
	struct stat_arg a = { ap, n };

	assert_true(test_wait_until(acked_reached, &a, TEST_TIMEOUT_NS));
}

/* ---- host buffers and syslog ----------------------------------------------- */

static void test_syslog_lines(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);
	uint8_t ctx[RTK_SYSLOG_CONTEXT_SIZE], text[0x80];
	char longtext[300];

	(void)state;
	test_ap_boot(ap);
	assert_int_equal(ap->bufs[TEST_AP_SYSLOG].size, BUF_SIZE);
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "ans", "hello world"),
			 0);
	test_ap_pump_lines(ap, 1);
	assert_string_equal(ap->last_context, "ans");
	assert_string_equal(ap->last_text, "hello world");
	wait_acked(ap, 1);

	/* Cut at 23 context characters and msg_size - 1 text bytes. */
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw,
						"0123456789abcdefghijklmnopq",
						longtext),
			 0);
	test_ap_pump_lines(ap, 2);
	test_ap_read_syslog(ap, 1, ctx, text, sizeof(text));
	assert_memory_equal(ctx, "0123456789abcdefghijklm", 24);
	assert_int_equal(text[0x7e], 'x');
	assert_int_equal(text[0x7f], 0);
	wait_acked(ap, 2);
	assert_int_equal(test_ap_stats(ap).syslog_sent, 2);
	assert_int_equal(test_ap_stats(ap).refused, 0);
	test_ap_free(ap);
}

/* Entries stay busy until acknowledged; a full ring drops new lines. */
static void test_syslog_ring_full(void **state)
{
	struct test_ap *ap = test_ap_new(NULL, NULL);

	(void)state;
	test_ap_boot(ap);
	ap->no_syslog_ack = true;
	for (int i = 0; i < 9; i++)
		assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "c", "line"), 0);
	test_ap_pump_lines(ap, 8);
	test_ap_wait_log(ap, "all 8 entries await the AP's acknowledgement");
	test_ap_expect_none(ap);
	assert_int_equal(test_ap_stats(ap).syslog_sent, 8);

	/* Acknowledge entry 5: the next line goes there. */
	test_ap_send(ap, 2, SYSLOG_LOG(5));
	wait_acked(ap, 1);
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "c", "again"), 0);
	test_ap_expect(ap, 2, SYSLOG_LOG(5));

	/* Acknowledgements of idle entries, or changed ones, are refused. */
	test_ap_send(ap, 2, SYSLOG_LOG(5) | 0x100);
	test_ap_send(ap, 2, SYSLOG_LOG(9));
	test_ap_send(ap, 2, SYSLOG_LOG(5));
	test_ap_send(ap, 2, SYSLOG_LOG(5));
	test_ap_wait_refused(ap, 3);
	test_logcap_expect(&ap->cap, "not the LOG message sent back unchanged");
	test_logcap_expect(&ap->cap, "acknowledgement of entry 9, which awaits"
				     " none");
	test_logcap_expect(&ap->cap, "acknowledgement of entry 5, which awaits"
				     " none");
	test_ap_free(ap);
}

static void test_periodic_traffic(void **state)
{
	struct copro_sim_rtkit_config cfg = all_modes(COPRO_SIM_RTKIT_BUF_HOST);
	struct test_ap *ap;

	(void)state;
	cfg.syslog_period_ns = 2 * COPRO_NSEC_PER_MSEC;
	cfg.ioreport_period_ns = 2 * COPRO_NSEC_PER_MSEC;
	ap = test_ap_new(NULL, &cfg);
	test_ap_boot(ap);
	test_ap_pump_lines(ap, 3);
	assert_string_equal(ap->last_context, "tick");
	assert_true(test_ap_stats(ap).ioreport_sent > 0);
	/* Nothing periodic while the AP is not on. */
	test_ap_ap_state(ap, 0x10);
	test_ap_settle(ap);
	while (test_ap_queued(ap)) {
		uint8_t ep;
		uint64_t msg;

		assert_true(test_ap_recv(ap, &ep, &msg));
		assert_true(test_ap_handle(ap, ep, msg));
	}
	uint64_t sent = test_ap_stats(ap).syslog_sent;

	/*
	 * Five periods of nothing. A slow machine can only make this pass
	 * without proving much, never fail spuriously.
	 */
	copro_sleep_ns(10 * COPRO_NSEC_PER_MSEC);
	test_ap_expect_none(ap);
	assert_int_equal(test_ap_stats(ap).syslog_sent, sent);
	test_ap_free(ap);
}

/* ---- ioreport -------------------------------------------------------------- */

static bool echoed_reached(void *arg)
{
	struct stat_arg *a = arg;

	return test_ap_stats(a->ap).ioreport_echoed >= a->want;
}

static bool stalled(void *arg)
{
	return copro_sim_rtkit_stalled(arg);
}

static void test_ioreport_echo(void **state)
{
	struct copro_sim_rtkit_config cfg = all_modes(COPRO_SIM_RTKIT_BUF_HOST);
	struct test_ap *ap;
	struct stat_arg a;
	uint8_t ep;
	uint64_t m8, m10;

	(void)state;
	/* Long enough that a slow test never stalls the firmware here. */
	cfg.ioreport_timeout_ns = TEST_TIMEOUT_NS;
	ap = test_ap_new(NULL, &cfg);
	test_ap_boot(ap);
	ap->no_ioreport_echo = true;
	assert_int_equal(copro_sim_rtkit_ioreport(ap->fw, 8), 0);
	assert_int_equal(copro_sim_rtkit_ioreport(ap->fw, 0x10), 0);
	assert_true(test_ap_recv(ap, &ep, &m8));
	assert_true(test_ap_recv(ap, &ep, &m10));
	assert_int_equal(ep, 4);
	assert_int_equal(RTK_EP_TYPE(m8), 8);
	assert_int_equal(RTK_EP_TYPE(m10), 0x10);
	assert_int_equal(m8 >> 52, 8);
	/* A changed echo is no echo; then the right one. */
	test_ap_send(ap, 4, m8 ^ 1);
	test_ap_wait_refused(ap, 1);
	test_logcap_expect(&ap->cap, "echo of a message that was never sent");
	test_ap_send(ap, 4, m8);
	a = (struct stat_arg){ ap, 1 };
	assert_true(test_wait_until(echoed_reached, &a, TEST_TIMEOUT_NS));
	/* Echoing a message twice is refused too. */
	test_ap_send(ap, 4, m8);
	test_ap_wait_refused(ap, 2);
	assert_false(copro_sim_rtkit_stalled(ap->fw));
	assert_int_equal(test_ap_stats(ap).ioreport_sent, 2);
	test_ap_free(ap);
}

/* 0xc without its echo: the firmware stalls and falls silent. */
static void test_ioreport_stall(void **state)
{
	struct copro_sim_rtkit_config cfg = all_modes(COPRO_SIM_RTKIT_BUF_HOST);
	struct test_ap *ap;
	uint8_t ep;
	uint64_t mc;

	(void)state;
	cfg.ioreport_timeout_ns = 20 * COPRO_NSEC_PER_MSEC;
	ap = test_ap_new(NULL, &cfg);
	test_ap_boot(ap);
	assert_int_equal(copro_sim_rtkit_ioreport(ap->fw, 0xc), 0);
	assert_true(test_ap_recv(ap, &ep, &mc));
	assert_int_equal(RTK_EP_TYPE(mc), 0xc);
	assert_true(test_wait_until(stalled, ap->fw, TEST_TIMEOUT_NS));
	assert_false(copro_sim_rtkit_is_up(ap->fw));
	test_logcap_expect(&ap->cap, "not echoed within 20 ms: firmware stalled");
	/* Too late: nothing is answered any more. */
	test_ap_send(ap, 4, mc);
	test_ap_send(ap, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_AP_PWR_STATE) | 0x10);
	test_ap_wait_log(ap, "silent: ignored ep 0x00");
	test_ap_expect_none(ap);
	assert_int_equal(test_ap_stats(ap).ioreport_echoed, 0);
	test_ap_free(ap);
}

/* ---- oslog --------------------------------------------------------------------- */

/* The old INIT/ACK scheme, a test option: no supported firmware has it. */
static void test_oslog_old_scheme(void **state)
{
	const struct copro_sim_rtkit_config cfg = { .oslog_init_ack = true };
	struct test_ap *ap = test_ap_new(NULL, &cfg);

	(void)state;
	test_ap_boot(ap);
	assert_true(ap->oslog_acked);
	assert_false(ap->bufs[TEST_AP_OSLOG].set);
	test_ap_send(ap, 8, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_ACK));
	test_ap_send(ap, 8, RTK_OSLOG_TYPE_MAKE(0x5));
	test_ap_wait_refused(ap, 2);
	test_logcap_expect(&ap->cap, "oslog ACK without an INIT");
	test_logcap_expect(&ap->cap, "oslog type 0x5 is not the ACK of INIT");
	test_ap_free(ap);
}

static void test_oslog_new_scheme(void **state)
{
	struct test_ap *ap = test_ap_new("t6000", NULL);

	(void)state;
	test_ap_boot(ap);
	assert_false(ap->oslog_acked);
	assert_true(ap->bufs[TEST_AP_OSLOG].set);
	assert_true(ap->bufs[TEST_AP_OSLOG].allocated);
	assert_int_equal(ap->bufs[TEST_AP_OSLOG].size, BUF_SIZE);
	/* An ACK is not the answer in this scheme. */
	test_ap_send(ap, 8, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_ACK));
	test_ap_wait_refused(ap, 1);
	test_logcap_expect(&ap->cap, "oslog type 0x3 is not a buffer answer");
	test_ap_free(ap);
}

/* ---- answers the firmware refuses ------------------------------------------------ */

static void test_buffer_answers(void **state)
{
	struct copro_sim_rtkit_config cfg = all_modes(COPRO_SIM_RTKIT_BUF_HOST);
	struct test_ap *ap = test_ap_new(NULL, &cfg);
	struct copro_dma_buf mem;
	unsigned refused = 0;

	(void)state;
	test_ap_hello(ap, 11, 12, 12);
	test_ap_epmap(ap);
	/* An answer before the request, then the request itself. */
	test_ap_send(ap, 0, STARTEP(4));
	test_ap_expect(ap, 4, BUFREQ(4, 0));
	assert_int_equal(copro_dma_alloc(ap->p, BUF_SIZE, &mem), 0);
	test_ap_send(ap, 2, BUFREQ(4, mem.phys)); /* syslog not started */
	test_ap_send(ap, 4, BUFREQ(3, mem.phys)); /* too small */
	test_ap_send(ap, 4, BUFREQ(4, 0));	  /* no address */
	test_ap_send(ap, 4, BUFREQ(4, mem.phys + 8)); /* not a page */
	test_ap_wait_refused(ap, refused += 4);
	test_logcap_expect(&ap->cap, "endpoint 0x02 was not started");
	test_logcap_expect(&ap->cap, "size 0x3000 is smaller than the 0x4000"
				     " requested");
	test_logcap_expect(&ap->cap, "IOVA 0x0 is not a page-aligned buffer");
	/* A good answer, then the same again (harmless), then another. */
	test_ap_send(ap, 4, BUFREQ(4, mem.phys));
	test_ap_send(ap, 4, BUFREQ(4, mem.phys));
	test_ap_send(ap, 4, BUFREQ(4, mem.phys + BUF_SIZE));
	test_ap_wait_refused(ap, refused += 1);
	test_logcap_expect(&ap->cap, "ioreport buffer answer, but it is already"
				     " set up");
	test_ap_expect_none(ap);
	test_ap_cpu(ap, false);
	copro_dma_free(ap->p, &mem);
	test_ap_free(ap);
}

/* ---- IOVA mode ------------------------------------------------------------------------ */

static void test_iova_mode(void **state)
{
	struct copro_sim_rtkit_config cfg = all_modes(COPRO_SIM_RTKIT_BUF_IOVA);
	struct test_ap *ap = test_ap_new(NULL, NULL);
	uint8_t ep;
	uint64_t msg;

	(void)state;
	/* The memory the coprocessor will name, placed before it runs. */
	assert_int_equal(copro_dma_alloc(ap->p, 4 * BUF_SIZE, &ap->iova_mem), 0);
	cfg.iova_base = ap->iova_mem.phys;
	test_ap_replace_fw(ap, &cfg);

	test_ap_hello(ap, 11, 12, 12);
	test_ap_epmap(ap);
	/* A wrong address in the answer is refused; the right one taken. */
	test_ap_send(ap, 0, STARTEP(4));
	assert_true(test_ap_recv(ap, &ep, &msg));
	assert_int_equal(msg, BUFREQ(4, cfg.iova_base + 2 * BUF_SIZE));
	test_ap_send(ap, 4, BUFREQ(4, cfg.iova_base));
	test_ap_wait_refused(ap, 1);
	test_logcap_expect(&ap->cap, "but the buffer was placed at");
	assert_true(test_ap_handle(ap, ep, msg));

	test_ap_send(ap, 0, STARTEP(1));
	test_ap_send(ap, 0, STARTEP(2));
	test_ap_send(ap, 0, STARTEP(3));
	test_ap_send(ap, 0, STARTEP(8));
	test_ap_pump_until(ap, 0, RTK_MGMT_TYPE_MAKE(7) | 0x20);
	test_ap_ap_state(ap, 0x20);
	for (int b = 0; b < TEST_AP_NBUFS; b++) {
		assert_true(ap->bufs[b].set);
		assert_int_equal(ap->bufs[b].iova,
				 cfg.iova_base + (uint64_t)b * BUF_SIZE);
	}
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "iova", "placed"), 0);
	test_ap_pump_lines(ap, 1);
	assert_string_equal(ap->last_text, "placed");
	/* The text really is in the memory at the coprocessor's address. */
	assert_string_equal((char *)ap->iova_mem.cpu + BUF_SIZE +
				    RTK_SYSLOG_TEXT_OFF,
			    "placed");
	assert_int_equal(test_ap_stats(ap).refused, 1);
	test_ap_free(ap);
}

/* ---- SRAM (MMIO) mode ------------------------------------------------------------------ */

static void test_mmio_mode(void **state)
{
	struct copro_sim_rtkit_config cfg = all_modes(COPRO_SIM_RTKIT_BUF_MMIO);
	struct copro_mmio *sram;
	struct test_ap *ap;

	(void)state;
	cfg.sram_phys = SRAM_PHYS;
	cfg.sram_size = SRAM_SIZE;
	ap = test_ap_new(NULL, &cfg);
	test_ap_boot(ap);
	/* No answers were needed: the buffers are in the SRAM window. */
	for (int b = 0; b < TEST_AP_NBUFS; b++) {
		assert_non_null(ap->bufs[b].mmio);
		assert_int_equal(ap->bufs[b].iova,
				 SRAM_PHYS + (uint64_t)b * BUF_SIZE);
	}
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "smc", "in sram"), 0);
	test_ap_pump_lines(ap, 1);
	assert_string_equal(ap->last_context, "smc");
	assert_string_equal(ap->last_text, "in sram");

	/* 32-bit accesses only; the AP's writes land. */
	assert_int_equal(copro_mmio_map(ap->p, SRAM_PHYS, SRAM_SIZE, &sram), 0);
	assert_int_equal(copro_readq(sram, BUF_SIZE + RTK_SYSLOG_TEXT_OFF), 0);
	test_logcap_expect(&ap->cap, "bad 8-byte read of SRAM offset 0x4020");
	copro_writeq(sram, 0x100, ~0ull);
	test_logcap_expect(&ap->cap, "bad 8-byte write of SRAM offset 0x100");
	assert_int_equal(copro_readl(sram, 0x100), 0);
	copro_writel(sram, 0x100, 0xfeedf00d);
	assert_int_equal(copro_readl(sram, 0x100), 0xfeedf00d);
	copro_mmio_unmap(sram);
	/* An answer for an SRAM buffer repeating it in place is tolerated. */
	test_ap_send(ap, 2, BUFREQ(4, SRAM_PHYS + BUF_SIZE));
	test_ap_send(ap, 2, BUFREQ(4, SRAM_PHYS));
	test_ap_wait_refused(ap, 1);
	test_ap_free(ap);
}

/*
 * Syslog started after AP ON (not needed to boot, as under u-boot) with
 * its ring in SRAM: a line held until then goes out only after the
 * buffer request and INIT that tell the AP where and how the ring is.
 */
static void test_mmio_syslog_started_late(void **state)
{
	struct copro_sim_rtkit_config cfg = all_modes(COPRO_SIM_RTKIT_BUF_MMIO);
	struct test_ap *ap;
	uint8_t ep;
	uint64_t msg;

	(void)state;
	cfg.sram_phys = SRAM_PHYS;
	cfg.sram_size = SRAM_SIZE;
	cfg.required_eps = (1u << 1) | (1u << 4) | (1u << 8);
	ap = test_ap_new(NULL, &cfg);
	test_ap_hello(ap, 11, 12, 12);
	test_ap_epmap(ap);
	test_ap_send(ap, 0, STARTEP(1));
	test_ap_send(ap, 0, STARTEP(4));
	test_ap_send(ap, 0, STARTEP(8));
	test_ap_pump_until(ap, 0, IOP_ACK(ON));
	test_ap_ap_state(ap, ON);
	/* Held: syslog is not started. Two round trips: it has run. */
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "late", "held"), 0);
	test_ap_ap_state(ap, ON);
	test_ap_ap_state(ap, ON);
	test_ap_expect_none(ap);

	test_ap_send(ap, 0, STARTEP(2));
	assert_true(test_ap_recv(ap, &ep, &msg));
	assert_int_equal(ep, 2);
	assert_int_equal(msg, BUFREQ(4, SRAM_PHYS + BUF_SIZE));
	assert_true(test_ap_handle(ap, ep, msg));
	assert_true(test_ap_recv(ap, &ep, &msg));
	assert_int_equal(ep, 2);
	assert_int_equal(msg, SYS(RTK_SYSLOG_INIT,
				  RTK_SYSLOG_INIT_MAKE(8, 0x80)));
	assert_true(test_ap_handle(ap, ep, msg));
	test_ap_pump_lines(ap, 1);
	assert_string_equal(ap->last_context, "late");
	assert_string_equal(ap->last_text, "held");
	assert_int_equal(test_ap_stats(ap).refused, 0);
	test_ap_free(ap);
}

/* ---- the SART filter -------------------------------------------------------------------- */

static bool blocked_once(void *arg)
{
	return test_ap_stats(arg).sart_blocked >= 1;
}

static void test_sart_blocks(void **state)
{
	struct test_ap *ap = test_ap_new("t6000", NULL);
	struct copro_sim_sart_stats ss;
	struct copro_sim_sart *sart;
	struct test_ap_buf *b;
	uint8_t word[4] = { 1, 2, 3, 4 };

	(void)state;
	sart = copro_board_sart(ap->b, copro_sart_node(ap->sart));
	assert_non_null(sart);
	ap->no_sart_add = true;
	test_ap_boot(ap);

	/* The buffer exists but the SART does not allow it: no line. */
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "c", "blocked"), 0);
	b = &ap->bufs[TEST_AP_SYSLOG];
	assert_true(test_wait_until(blocked_once, ap, TEST_TIMEOUT_NS));
	test_ap_expect_none(ap);
	test_logcap_expect(&ap->cap, "blocked by the SART");
	copro_sim_sart_get_stats(sart, &ss);
	assert_int_equal(ss.blocked, 1);
	assert_int_equal(copro_sim_rtkit_dma_write(ap->fw, b->iova, word, 4),
			 -COPRO_EBUSFAULT);
	assert_int_equal(test_ap_stats(ap).sart_blocked, 2);

	/* Allowed, the same line goes through. */
	assert_int_equal(copro_sart_allow(ap->sart, b->iova, b->size, &b->sart), 0);
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "c", "allowed"), 0);
	test_ap_pump_lines(ap, 1);
	assert_string_equal(ap->last_text, "allowed");
	assert_int_equal(copro_sim_rtkit_dma_write(ap->fw, b->iova, word, 4), 0);
	memset(word, 0, sizeof(word));
	assert_int_equal(copro_sim_rtkit_dma_read(ap->fw, b->iova, word, 4), 0);
	assert_int_equal(word[3], 4);
	assert_int_equal(test_ap_stats(ap).sart_blocked, 2);
	test_ap_free(ap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syslog_lines),
		cmocka_unit_test(test_syslog_ring_full),
		cmocka_unit_test(test_periodic_traffic),
		cmocka_unit_test(test_ioreport_echo),
		cmocka_unit_test(test_ioreport_stall),
		cmocka_unit_test(test_oslog_old_scheme),
		cmocka_unit_test(test_oslog_new_scheme),
		cmocka_unit_test(test_buffer_answers),
		cmocka_unit_test(test_iova_mode),
		cmocka_unit_test(test_mmio_mode),
		cmocka_unit_test(test_mmio_syslog_started_late),
		cmocka_unit_test(test_sart_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
