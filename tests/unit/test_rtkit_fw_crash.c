/* SPDX-License-Identifier: MIT */
/*
 * The RTKit firmware model misbehaving on purpose: crash injection (a
 * crashlog the host decoder reads back with the real mailbox history,
 * every corruption kind, no buffer, SRAM, a SART that blocks the write)
 * and every kind of hostile traffic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <copro/crashlog.h>
#include <copro/error.h>
#include <copro/regs/rtkit.h>
#include <copro/sim/crashlog_writer.h>
#include <copro/sim/rtkit_fw.h>

#include "test_rtkit_ap.h"
#include "test_rtkit_msg.h"

#define BUF_SIZE (4 * 4096u)
#define HISTORY 32		/* entries the firmware keeps */
#define FROM_IOP (1ull << 32)	/* Cmbx msg1: sent by the coprocessor */
#define CRASH_MSG(iova)                                                      \
	(RTK_EP_TYPE_MAKE(RTK_CRASHLOG_CRASH) | RTK_BUF_SIZE_MAKE(4) |       \
	 RTK_BUF_IOVA_MAKE(iova))

static bool crashed(void *arg)
{
	return copro_sim_rtkit_crashed(arg);
}

/* Crash, expect the crash message, and decode the buffer as a host would. */
static int crash_and_parse(struct test_ap *ap, int corrupt,
			   struct copro_crashlog *cl)
{
	struct test_ap_buf *b = &ap->bufs[TEST_AP_CRASHLOG];
	uint8_t *copy = malloc(BUF_SIZE);
	int ret;

	assert_non_null(copy);
	assert_true(b->set);
	assert_int_equal(copro_sim_rtkit_crash(ap->fw, "ASSERT: queue stuck\n"
						       "at ans.c:42",
					       corrupt),
			 0);
	test_ap_expect(ap, 1, CRASH_MSG(b->iova));
	assert_true(copro_sim_rtkit_crashed(ap->fw));
	assert_false(copro_sim_rtkit_is_up(ap->fw));
	test_ap_read_buf(ap, TEST_AP_CRASHLOG, 0, copy, BUF_SIZE);
	ret = copro_crashlog_parse(copy, BUF_SIZE, cl);
	free(copy);
	return ret;
}

/* The messages of one direction, as Cmbx holds them, oldest first. */
static unsigned pick(const struct copro_crashlog *cl, bool from_iop,
		     struct test_ap_msg *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cl->n_mbx; i++)
		if (!!(cl->mbx[i].msg1 & FROM_IOP) == from_iop)
			out[n++] = (struct test_ap_msg){
				.ep = (uint8_t)cl->mbx[i].msg1,
				.msg = cl->mbx[i].msg0,
			};
	return n;
}

/* Cmbx's messages of one direction are the tail of what the AP saw. */
static void check_tail(const struct test_ap_msg *seen, unsigned n_seen,
		       const struct test_ap_msg *got, unsigned n_got)
{
	assert_true(n_got <= n_seen);
	for (unsigned i = 0; i < n_got; i++) {
		assert_int_equal(got[i].ep, seen[n_seen - n_got + i].ep);
		assert_int_equal(got[i].msg, seen[n_seen - n_got + i].msg);
	}
}

static void test_crash_decodes(void **state)
{
	struct test_ap *ap = test_ap_new("t8103", NULL);
	struct copro_crashlog *cl = malloc(sizeof(*cl));
	struct test_ap_msg dir[HISTORY];
	unsigned before, n;

	(void)state;
	assert_non_null(cl);
	test_ap_boot(ap);
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "c", "last words"), 0);
	test_ap_pump_lines(ap, 1);
	test_ap_send(ap, 0x20, 0x99); /* refused: not started */
	test_ap_wait_refused(ap, 1);

	assert_int_equal(crash_and_parse(ap, -1, cl), 0);
	assert_true(cl->has_str);
	assert_string_equal(cl->str, "ASSERT: queue stuck\nat ans.c:42");
	assert_true(cl->has_version);
	assert_non_null(strstr(cl->version_str, "copro-sim"));
	assert_true(cl->has_time);
	assert_true(cl->has_footer);
	assert_true(cl->has_regs);
	assert_int_equal(cl->regs.esr >> 26, 0x25);
	assert_non_null(strstr(copro_crashlog_esr_class_name(0x25),
			       "data abort"));

	/* Cmbx: the real history, both directions, up to the crash. */
	assert_true(cl->has_mbx);
	before = ap->n_sent + ap->n_recv - 1; /* the crash message came after */
	assert_int_equal(cl->n_mbx, before < HISTORY ? before : HISTORY);
	assert_int_equal(cl->mbx_index, cl->n_mbx);
	n = pick(cl, true, dir);
	check_tail(ap->recv_log, ap->n_recv - 1, dir, n);
	n = pick(cl, false, dir);
	check_tail(ap->sent_log, ap->n_sent, dir, n);
	/* The last thing before the crash was the AP's refused message. */
	assert_int_equal(cl->mbx[cl->n_mbx - 1].msg0, 0x99);
	assert_int_equal(cl->mbx[cl->n_mbx - 1].msg1, 0x20);

	/* Dead: nothing is answered, nothing injected comes out. */
	test_ap_send(ap, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_AP_PWR_STATE) | 0x10);
	test_ap_wait_log(ap, "silent: ignored ep 0x00");
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "c", "ghost"), 0);
	test_ap_wait_log(ap, "silent: injection ignored");
	test_ap_expect_none(ap);

	/* A CPU restart is a new firmware boot. */
	test_ap_cpu(ap, false);
	test_ap_reinit(ap);
	test_ap_boot(ap);
	assert_false(copro_sim_rtkit_crashed(ap->fw));
	free(cl);
	test_ap_free(ap);
}

static const struct {
	enum copro_sim_crashlog_corruption kind;
	int ret;
	unsigned kept; /* sections decoded before the damage */
} corruptions[] = {
	{ COPRO_SIM_CRASHLOG_BAD_MAGIC, -EBADMSG, 0 },
	{ COPRO_SIM_CRASHLOG_HEADER_TOO_BIG, -EBADMSG, 0 },
	{ COPRO_SIM_CRASHLOG_HEADER_TOO_SMALL, -EBADMSG, 0 },
	{ COPRO_SIM_CRASHLOG_ZERO_SECTION, COPRO_CRASHLOG_PARTIAL, 0 },
	{ COPRO_SIM_CRASHLOG_TINY_SECTION, COPRO_CRASHLOG_PARTIAL, 0 },
	{ COPRO_SIM_CRASHLOG_OVERSIZED_SECTION, COPRO_CRASHLOG_PARTIAL, 0 },
	{ COPRO_SIM_CRASHLOG_CUT_SECTION_HEADER, COPRO_CRASHLOG_PARTIAL, 5 },
	{ COPRO_SIM_CRASHLOG_NO_FOOTER, 0, 5 },
	{ COPRO_SIM_CRASHLOG_SHORT_CSTR, COPRO_CRASHLOG_PARTIAL, 0 },
	{ COPRO_SIM_CRASHLOG_UNTERMINATED_CSTR, 0, 5 },
	{ COPRO_SIM_CRASHLOG_SHORT_CVER, COPRO_CRASHLOG_PARTIAL, 1 },
	{ COPRO_SIM_CRASHLOG_SHORT_CTIM, COPRO_CRASHLOG_PARTIAL, 2 },
	{ COPRO_SIM_CRASHLOG_SHORT_CMBX, COPRO_CRASHLOG_PARTIAL, 3 },
	{ COPRO_SIM_CRASHLOG_SHORT_CRG8, COPRO_CRASHLOG_PARTIAL, 4 },
};

static void test_crash_corrupted(void **state)
{
	struct copro_crashlog *cl = malloc(sizeof(*cl));

	(void)state;
	assert_non_null(cl);
	for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]);
	     i++) {
		struct test_ap *ap = test_ap_new("t6000", NULL);
		int ret;

		test_ap_boot(ap);
		ret = crash_and_parse(ap, (int)corruptions[i].kind, cl);
		assert_int_equal(ret, corruptions[i].ret);
		if (ret >= 0)
			assert_int_equal(cl->has_str + cl->has_version +
						 cl->has_time + cl->has_mbx +
						 cl->has_regs,
					 corruptions[i].kept);
		if (corruptions[i].kind == COPRO_SIM_CRASHLOG_NO_FOOTER)
			assert_false(cl->has_footer);
		if (corruptions[i].kind == COPRO_SIM_CRASHLOG_UNTERMINATED_CSTR)
			assert_true(cl->str_unterminated);
		test_ap_free(ap);
	}
	free(cl);
}

static void test_crash_without_buffer(void **state)
{
	struct copro_sim_rtkit_config cfg = {
		.syslog_buf = COPRO_SIM_RTKIT_BUF_HOST,
		.ioreport_buf = COPRO_SIM_RTKIT_BUF_HOST,
	};
	struct test_ap *ap = test_ap_new(NULL, &cfg);

	(void)state;
	test_ap_boot(ap);
	assert_false(ap->bufs[TEST_AP_CRASHLOG].set);
	assert_int_equal(copro_sim_rtkit_crash(ap->fw, "no log", -1), -ENOENT);
	assert_true(test_wait_until(crashed, ap->fw, TEST_TIMEOUT_NS));
	test_ap_wait_log(ap, "no crashlog buffer: the AP is not told");
	test_ap_expect_none(ap);
	assert_false(copro_sim_rtkit_is_up(ap->fw));
	test_ap_free(ap);
}

static void test_crash_in_sram(void **state)
{
	struct copro_sim_rtkit_config cfg = {
		.crashlog_buf = COPRO_SIM_RTKIT_BUF_MMIO,
		.sram_phys = 0x23fe00000ull,
		.sram_size = 0x100000,
	};
	struct copro_crashlog *cl = malloc(sizeof(*cl));
	struct test_ap *ap = test_ap_new(NULL, &cfg);

	(void)state;
	assert_non_null(cl);
	test_ap_boot(ap);
	assert_non_null(ap->bufs[TEST_AP_CRASHLOG].mmio);
	assert_int_equal(crash_and_parse(ap, -1, cl), 0);
	assert_string_equal(cl->str, "ASSERT: queue stuck\nat ans.c:42");
	assert_true(cl->has_mbx && cl->has_regs && cl->has_footer);
	free(cl);
	test_ap_free(ap);
}

/* The SART stops the crashlog write: the host gets the message, no log. */
static void test_crash_blocked_by_sart(void **state)
{
	struct test_ap *ap = test_ap_new("t8103", NULL);
	struct copro_crashlog *cl = malloc(sizeof(*cl));

	(void)state;
	assert_non_null(cl);
	ap->no_sart_add = true;
	test_ap_boot(ap);
	assert_int_equal(crash_and_parse(ap, -1, cl), -EBADMSG);
	assert_int_equal(test_ap_stats(ap).sart_blocked, 1);
	test_logcap_expect(&ap->cap, "writing the crashlog failed");
	free(cl);
	test_ap_free(ap);
}

/* ---- hostile traffic ---------------------------------------------------- */

static struct test_ap *hostile(const char *board,
			       enum copro_sim_rtkit_hostile kind)
{
	struct test_ap *ap = test_ap_new(board, NULL);

	test_ap_boot(ap);
	assert_int_equal(copro_sim_rtkit_hostile(ap->fw, kind), 0);
	return ap;
}

/* After the burst the firmware works as before. */
static void still_fine(struct test_ap *ap, uint64_t refused)
{
	unsigned lines = ap->syslog_lines;

	assert_true(copro_sim_rtkit_is_up(ap->fw));
	assert_int_equal(copro_sim_rtkit_syslog(ap->fw, "ok", "still here"), 0);
	test_ap_pump_lines(ap, lines + 1);
	assert_string_equal(ap->last_text, "still here");
	test_ap_expect_none(ap);
	assert_int_equal(test_ap_stats(ap).refused, refused);
	test_ap_free(ap);
}

static void test_hostile_unknown_ep(void **state)
{
	struct test_ap *ap = hostile(NULL, COPRO_SIM_RTKIT_HOSTILE_UNKNOWN_EP);

	(void)state;
	/* 0x05 and 0x7e are free; 0x20 is mapped, so 0x21; 0xff too. */
	test_ap_expect(ap, 0x05, 0xbadc0ffee0ddf00dull);
	test_ap_expect(ap, 0x21, 0xbadc0ffee0ddf00dull);
	test_ap_expect(ap, 0x7e, 0xbadc0ffee0ddf00dull);
	test_ap_expect(ap, 0xff, 0xbadc0ffee0ddf00dull);
	test_logcap_expect(&ap->cap, "hostile burst: unknown-ep");
	still_fine(ap, 0);
}

static void test_hostile_unknown_type(void **state)
{
	struct test_ap *ap = hostile(NULL, COPRO_SIM_RTKIT_HOSTILE_UNKNOWN_TYPE);

	(void)state;
	test_ap_expect(ap, 0, RTK_MGMT_TYPE_MAKE(0x3f) | 0x1234);
	test_ap_expect(ap, 0, RTK_MGMT_TYPE_MAKE(6) | 0x20);
	test_ap_expect(ap, 1, RTK_EP_TYPE_MAKE(7) | 0x42);
	test_ap_expect(ap, 2, RTK_EP_TYPE_MAKE(0x77) | 0x42);
	test_ap_expect(ap, 3, RTK_EP_TYPE_MAKE(2) | 0x42);
	test_ap_expect(ap, 4, RTK_EP_TYPE_MAKE(0x55) | 0x42);
	test_ap_expect(ap, 8, RTK_OSLOG_TYPE_MAKE(0x42) | 0x42);
	still_fine(ap, 0);
}

static void test_hostile_syslog_index(void **state)
{
	struct test_ap *ap = hostile(NULL, COPRO_SIM_RTKIT_HOSTILE_SYSLOG_INDEX);

	(void)state;
	test_ap_expect(ap, 2, RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | 8);
	test_ap_expect(ap, 2, RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | 0xff);
	/* An AP that acknowledges them anyway is refused. */
	test_ap_send(ap, 2, RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | 8);
	test_ap_wait_refused(ap, 1);
	still_fine(ap, 1);
}

static void test_hostile_syslog_text(void **state)
{
	struct test_ap *ap = hostile(NULL, COPRO_SIM_RTKIT_HOSTILE_SYSLOG_TEXT);
	uint8_t ctx[RTK_SYSLOG_CONTEXT_SIZE], text[0x80];
	uint8_t ep;
	uint64_t msg;

	(void)state;
	/* Read the entries raw: the helper's reader would cut them. */
	ap->no_syslog_ack = true;
	for (unsigned i = 0; i < 3; i++) {
		assert_true(test_ap_recv(ap, &ep, &msg));
		assert_int_equal(ep, 2);
		assert_int_equal(msg, RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | i);
		test_ap_read_syslog(ap, i, ctx, text, sizeof(text));
		if (i == 0) {
			for (size_t k = 0; k < sizeof(ctx); k++)
				assert_int_equal(ctx[k], 'C');
			for (size_t k = 0; k < sizeof(text); k++)
				assert_int_equal(text[k], 'U');
		} else if (i == 1) {
			assert_memory_equal(ctx, "bin\x1b[31m", 8);
			assert_null(memchr(text, 0, sizeof(text)));
		} else {
			assert_memory_equal(text, "line\n\n\n\0", 8);
			assert_int_equal(text[8], 0xee);
		}
		test_ap_send(ap, 2, msg);
	}
	ap->no_syslog_ack = false;
	ap->syslog_lines = 0;
	still_fine(ap, 0);
}

static void test_hostile_buffers(void **state)
{
	const struct {
		enum copro_sim_rtkit_hostile kind;
		uint64_t syslog, ioreport;
	} cases[] = {
		{ COPRO_SIM_RTKIT_HOSTILE_BUF_ZERO, BUFREQ(0, 0), BUFREQ(0, 0) },
		{ COPRO_SIM_RTKIT_HOSTILE_BUF_HUGE, BUFREQ(0xff, 0),
		  BUFREQ(0xff, 0) },
		{ COPRO_SIM_RTKIT_HOSTILE_BUF_DUP, BUFREQ(4, 0), BUFREQ(4, 0) },
		{ COPRO_SIM_RTKIT_HOSTILE_BUF_BAD_IOVA,
		  BUFREQ(4, 0xffffffff000ull), BUFREQ(4, 0x1000) },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct test_ap *ap = hostile("t6000", cases[i].kind);

		test_ap_expect(ap, 2, cases[i].syslog);
		test_ap_expect(ap, 4, cases[i].ioreport);
		if (cases[i].kind == COPRO_SIM_RTKIT_HOSTILE_BUF_HUGE)
			test_ap_expect(ap, 8,
				       RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT) |
					       RTK_OSLOG_SIZE_MAKE(0xfffff));
		/* The firmware's own buffers are untouched. */
		still_fine(ap, 0);
	}
}

static void test_hostile_mgmt(void **state)
{
	struct test_ap *ap = hostile(NULL, COPRO_SIM_RTKIT_HOSTILE_MGMT);

	(void)state;
	test_ap_expect(ap, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) | 0xffff0000u |
				      RTK_EPMAP_BASE_MAKE(3));
	test_ap_expect(ap, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) | 0xffffffffu |
				      RTK_EPMAP_BASE_MAKE(7) | RTK_EPMAP_LAST);
	/* An AP that plays along is refused: the firmware never asked. */
	test_ap_send(ap, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO_REPLY) |
				    RTK_HELLO_MAKE(12, 12));
	test_ap_send(ap, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) |
				    RTK_EPMAP_BASE_MAKE(7) | RTK_EPMAP_LAST);
	test_ap_wait_refused(ap, 2);
	still_fine(ap, 2);
}

static void test_hostile_names(void **state)
{
	(void)state;
	for (int k = 0; k < COPRO_SIM_RTKIT_HOSTILE_COUNT; k++) {
		const char *name = copro_sim_rtkit_hostile_name(k);

		assert_non_null(name);
		assert_string_not_equal(name, "invalid");
	}
	assert_string_equal(copro_sim_rtkit_hostile_name(
				    COPRO_SIM_RTKIT_HOSTILE_COUNT),
			    "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_decodes),
		cmocka_unit_test(test_crash_corrupted),
		cmocka_unit_test(test_crash_without_buffer),
		cmocka_unit_test(test_crash_in_sram),
		cmocka_unit_test(test_crash_blocked_by_sart),
		cmocka_unit_test(test_hostile_unknown_ep),
		cmocka_unit_test(test_hostile_unknown_type),
		cmocka_unit_test(test_hostile_syslog_index),
		cmocka_unit_test(test_hostile_syslog_text),
		cmocka_unit_test(test_hostile_buffers),
		cmocka_unit_test(test_hostile_mgmt),
		cmocka_unit_test(test_hostile_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
