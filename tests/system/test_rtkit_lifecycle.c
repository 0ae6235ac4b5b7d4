// SPDX-License-Identifier: MIT
/*
 * The host RTKit library against the board's firmware model through every
 * lifecycle step, as real firmware behaves (hardware.md 2.2): each wake after
 * shutdown, quiesce and idle ends in a running coprocessor with its whole
 * endpoint map and its buffers; a firmware that restarts on its own is
 * handshaken with again; a bootloader-style wake before HELLO wakes a
 * sleeping coprocessor; and a second host instance takes over one the
 * first left running. Neither side refuses anything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <copro/rtkit.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/rtkit_fw.h>

#include "test_rtkit_msg.h"
#include "test_rtkit_sys.h"

struct params {
	const char *board;
	bool threaded;
};

static struct test_sys *sys_new(const struct params *pm,
				const struct copro_rtkit_config *cfg)
{
	struct test_sys *s = calloc(1, sizeof(*s));
	struct copro_rtkit_config c = cfg ? *cfg : (struct copro_rtkit_config){ 0 };

	assert_non_null(s);
	test_sys_open(s, pm->board, pm->threaded);
	c.shmem_mode = COPRO_RTKIT_SHMEM_SART;
	assert_int_equal(test_sys_create(s, &c), 0);
	return s;
}

static void sys_free(struct test_sys *s)
{
	test_sys_close(s);
	free(s);
}

/* Running, with the whole map and a buffer for every endpoint that asks. */
static void full_session(struct test_sys *s)
{
	static const uint8_t eps[] = { 1, 2, 3, 4, 8, 0x20 };

	assert_true(copro_rtkit_is_running(s->rtk));
	assert_true(copro_sim_rtkit_is_up(s->fw));
	for (size_t i = 0; i < sizeof(eps); i++)
		assert_true(copro_rtkit_has_ep(s->rtk, eps[i]));
	assert_non_null(copro_rtkit_shmem(s->rtk, COPRO_RTKIT_EP_CRASHLOG));
	assert_non_null(copro_rtkit_shmem(s->rtk, COPRO_RTKIT_EP_SYSLOG));
	assert_non_null(copro_rtkit_shmem(s->rtk, COPRO_RTKIT_EP_IOREPORT));
	assert_non_null(copro_rtkit_shmem(s->rtk, COPRO_RTKIT_EP_OSLOG));
	assert_int_equal(copro_rtkit_iop_state(s->rtk), ON);
	assert_int_equal(copro_rtkit_ap_state(s->rtk), ON);
}

/*
 * Every model's refusal counter: the firmware's, the SART's filter, the
 * mailbox's bad accesses and FIFO misuse; and the host's.
 */
static void nobody_refused(struct test_sys *s)
{
	struct copro_sim_rtkit_stats fw = test_sys_fw_stats(s);
	struct copro_sim_asc_stats asc;

	copro_sim_asc_get_stats(s->asc, &asc);
	if (fw.refused || fw.sart_blocked || test_sys_host_stats(s).refused ||
	    asc.bad_accesses || asc.a2i_overflows || asc.i2a_underflows)
		test_logcap_dump(&s->cap);
	assert_int_equal(fw.refused, 0);
	assert_int_equal(fw.sart_blocked, 0);
	assert_int_equal(test_sys_host_stats(s).refused, 0);
	assert_int_equal(asc.bad_accesses, 0);
	assert_int_equal(asc.a2i_overflows, 0);
	assert_int_equal(asc.i2a_underflows, 0);
}

/* The steps of one sequence: 'S'hutdown, 'Q'uiesce, 'I'dle, 'W'ake. */
static void run_sequence(const struct params *pm, const char *steps,
			 unsigned boots)
{
	struct test_sys *s = sys_new(pm, NULL);

	assert_int_equal(test_sys_boot(s), 0);
	full_session(s);
	for (const char *c = steps; *c; c++) {
		switch (*c) {
		case 'S':
			assert_int_equal(copro_rtkit_shutdown(s->rtk), 0);
			assert_int_equal(copro_sim_rtkit_iop_state(s->fw), SLEEP);
			assert_false(copro_rtkit_has_ep(s->rtk, 0x20));
			break;
		case 'Q':
			assert_int_equal(copro_rtkit_quiesce(s->rtk), 0);
			assert_int_equal(copro_sim_rtkit_iop_state(s->fw), QUIESCED);
			assert_int_equal(copro_rtkit_iop_state(s->rtk), QUIESCED);
			break;
		case 'I':
			assert_int_equal(copro_rtkit_idle(s->rtk), 0);
			assert_int_equal(copro_sim_rtkit_iop_state(s->fw), IDLE);
			assert_int_equal(copro_sim_rtkit_ap_state(s->fw), IDLE);
			assert_false(copro_rtkit_is_running(s->rtk));
			/* Idle kept the session. */
			assert_true(copro_rtkit_has_ep(s->rtk, 0x20));
			break;
		case 'W':
			assert_int_equal(copro_rtkit_wake(s->rtk), 0);
			full_session(s);
			/* Application endpoints can be started again. */
			assert_int_equal(copro_rtkit_start_ep(s->rtk, 0x20), 0);
			break;
		}
	}
	assert_int_equal(test_sys_fw_stats(s).boots, boots);
	nobody_refused(s);
	sys_free(s);
}

static void check_sequences(const struct params *pm)
{
	/* The sequence; then every sleep followed by every sleep. */
	run_sequence(pm, "QWIWSWS", 3);
	run_sequence(pm, "SWQWIWIWQWSW", 5);
	run_sequence(pm, "IWSWIWQW", 3);
}

/*
 * The firmware restarts on its own: the host answers the new HELLO,
 * forgets the application endpoints, tells the client, and is running
 * again with fresh buffers.
 */
static bool running_again(void *arg)
{
	struct test_sys *s = arg;

	return atomic_load(&s->restarts) == 1 && copro_rtkit_is_running(s->rtk);
}

/*
 * Every message the host sent has left the mailbox: the firmware thread
 * takes each one whole before an injection such as a restart.
 */
static bool a2i_drained(void *arg)
{
	struct test_sys *s = arg;
	struct copro_sim_asc_stats asc;

	copro_sim_asc_get_stats(s->asc, &asc);
	return asc.a2i_popped == asc.a2i_pushed;
}

static void check_restart(const struct params *pm)
{
	struct test_sys *s = sys_new(pm, NULL);
	const struct copro_rtkit_shmem *sh;
	uint64_t before;

	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_rtkit_start_ep(s->rtk, 0x20), 0);
	sh = copro_rtkit_shmem(s->rtk, COPRO_RTKIT_EP_SYSLOG);
	assert_non_null(sh);
	before = test_sys_fw_stats(s).boots;
	/*
	 * STARTEP has no answer: a restart queued while it is still in the
	 * FIFO would meet it after the new HELLO, and refuse it (rightly).
	 */
	assert_true(test_sys_wait(s, a2i_drained, s));
	assert_int_equal(copro_sim_rtkit_restart(s->fw), 0);
	assert_true(test_sys_wait(s, running_again, s));
	full_session(s);
	test_logcap_expect(&s->cap, "the coprocessor restarted (HELLO while running)");
	assert_int_equal(test_sys_host_stats(s).restarts, 1);
	assert_int_equal(test_sys_fw_stats(s).boots, before + 1);
	/* What was started before the restart is not any more. */
	assert_int_equal(copro_rtkit_send_message(s->rtk, 0x20, 1, 0), -EINVAL);
	assert_int_equal(copro_rtkit_start_ep(s->rtk, 0x20), 0);
	nobody_refused(s);
	assert_int_equal(copro_rtkit_shutdown(s->rtk), 0);
	sys_free(s);
}

/*
 * wake_on_boot: IOP INIT before HELLO. A firmware that boots anyway
 * ignores it; one an earlier host left asleep (the CPU still running)
 * wakes and says HELLO.
 */
static void check_wake_on_boot(const struct params *pm)
{
	const struct copro_rtkit_config cfg = { .wake_on_boot = true };
	struct test_sys *s = sys_new(pm, &cfg);

	/* Booting anyway, it ignores the wake (or acks it once up). */
	assert_int_equal(test_sys_boot(s), 0);
	full_session(s);
	nobody_refused(s);

	/* The earlier owner shuts it down and leaves, CPU running. */
	assert_int_equal(copro_rtkit_shutdown(s->rtk), 0);
	copro_rtkit_destroy(s->rtk);
	s->rtk = NULL;
	assert_int_equal(test_sys_create(s, &(struct copro_rtkit_config){
						 .shmem_mode = COPRO_RTKIT_SHMEM_SART,
						 .wake_on_boot = true }),
			 0);
	assert_int_equal(copro_rtkit_boot(s->rtk), 0);
	full_session(s);
	assert_int_equal(test_sys_fw_stats(s).boots, 2);
	nobody_refused(s);
	sys_free(s);
}

/*
 * A first host instance goes away without a word, its coprocessor
 * running; a second one takes it over: the running session is put to
 * sleep and woken into its own, with buffers of its own.
 */
static void check_takeover(const struct params *pm)
{
	struct test_sys *s = sys_new(pm, NULL);

	assert_int_equal(test_sys_boot(s), 0);
	copro_rtkit_destroy(s->rtk);
	s->rtk = NULL;
	assert_true(copro_sim_rtkit_is_up(s->fw));
	assert_int_equal(test_sys_create(s, &(struct copro_rtkit_config){
						 .shmem_mode = COPRO_RTKIT_SHMEM_SART }),
			 0);
	assert_int_equal(copro_rtkit_takeover(s->rtk), 0);
	full_session(s);
	test_logcap_expect(&s->cap, "runs another owner's session");
	assert_int_equal(test_sys_fw_stats(s).boots, 2);
	assert_int_equal(test_sys_fw_stats(s).sart_blocked, 0);
	nobody_refused(s);
	/* And a takeover of one that sleeps: just the wake and HELLO. */
	assert_int_equal(copro_rtkit_shutdown(s->rtk), 0);
	assert_int_equal(copro_rtkit_takeover(s->rtk), 0);
	full_session(s);
	assert_int_equal(test_sys_fw_stats(s).boots, 3);
	nobody_refused(s);
	sys_free(s);
}

static const struct params t8103_threaded = { "t8103", true };
static const struct params t8103_polled = { "t8103", false };
static const struct params t6000_threaded = { "t6000", true };
/* The A11: its own mailbox layout and SART v0, the same RTKit. */
static const struct params t8015_threaded = { "t8015", true };
static const struct params t8015_polled = { "t8015", false };

#define CASE(fn, pm)                                                           \
	static void test_##fn##_##pm(void **state)                             \
	{                                                                      \
		(void)state;                                                   \
		check_##fn(&pm);                                               \
	}
CASE(sequences, t8103_threaded)
CASE(sequences, t8103_polled)
CASE(sequences, t6000_threaded)
CASE(sequences, t8015_threaded)
CASE(sequences, t8015_polled)
CASE(restart, t8103_threaded)
CASE(restart, t8103_polled)
CASE(restart, t8015_threaded)
CASE(wake_on_boot, t8103_threaded)
CASE(wake_on_boot, t8103_polled)
CASE(wake_on_boot, t8015_threaded)
CASE(takeover, t8103_threaded)
CASE(takeover, t8103_polled)
CASE(takeover, t6000_threaded)
CASE(takeover, t8015_threaded)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences_t8103_threaded),
		cmocka_unit_test(test_sequences_t8103_polled),
		cmocka_unit_test(test_sequences_t6000_threaded),
		cmocka_unit_test(test_sequences_t8015_threaded),
		cmocka_unit_test(test_sequences_t8015_polled),
		cmocka_unit_test(test_restart_t8103_threaded),
		cmocka_unit_test(test_restart_t8103_polled),
		cmocka_unit_test(test_restart_t8015_threaded),
		cmocka_unit_test(test_wake_on_boot_t8103_threaded),
		cmocka_unit_test(test_wake_on_boot_t8103_polled),
		cmocka_unit_test(test_wake_on_boot_t8015_threaded),
		cmocka_unit_test(test_takeover_t8103_threaded),
		cmocka_unit_test(test_takeover_t8103_polled),
		cmocka_unit_test(test_takeover_t6000_threaded),
		cmocka_unit_test(test_takeover_t8015_threaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
