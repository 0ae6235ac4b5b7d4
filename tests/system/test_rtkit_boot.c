/* SPDX-License-Identifier: MIT */
/*
 * The host RTKit library against the RTKit firmware model on the boards:
 * boot on both boards, threaded and polled, version ranges, shutdown and
 * boot again, quiesce and wake, idle, poweroff, lost acknowledgements,
 * a reinit with the old coprocessor's EPMAP still queued or being
 * handled, and an application endpoint.
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
#include <copro/sim/asc_model.h>
#include <copro/sim/rtkit_fw.h>

#include "test_rtkit_msg.h"
#include "test_rtkit_sys.h"
#include "test_modes.h"

#define SHORT_NS (50 * COPRO_NSEC_PER_MSEC)

static struct test_sys *sys_new(const char *board, bool threaded)
{
	struct test_sys *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	test_sys_open(s, board, threaded);
	return s;
}

static void sys_free(struct test_sys *s)
{
	test_sys_close(s);
	free(s);
}

static bool two_echoes(void *arg)
{
	return test_sys_fw_stats(arg).ioreport_echoed == 2;
}

/* Boot, a syslog line and an ioreport round trip, shutdown, boot again. */
static void check_board(const char *board, bool threaded)
{
	struct test_sys *s = sys_new(board, threaded);
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
	};

	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_true(copro_rtkit_is_running(s->rtk));
	assert_true(copro_sim_rtkit_is_up(s->fw));
	assert_int_equal(copro_rtkit_version(s->rtk), 12);
	for (unsigned ep = 0; ep < 0x100; ep++)
		assert_int_equal(copro_rtkit_has_ep(s->rtk, (uint8_t)ep),
				 ep <= 4 || ep == 8 || ep == 0x20);
	/* crashlog, syslog, ioreport and oslog (M1 and M1 Pro alike). */
	assert_non_null(copro_rtkit_shmem(s->rtk, COPRO_RTKIT_EP_CRASHLOG));
	assert_non_null(copro_rtkit_shmem(s->rtk, COPRO_RTKIT_EP_SYSLOG));
	assert_non_null(copro_rtkit_shmem(s->rtk, COPRO_RTKIT_EP_IOREPORT));
	assert_non_null(copro_rtkit_shmem(s->rtk, COPRO_RTKIT_EP_OSLOG));
	assert_int_equal(copro_sart_entry_count_used(s->sart), 4);

	assert_int_equal(copro_sim_rtkit_syslog(s->fw, "ans", "booted"), 0);
	test_sys_wait_lines(s, 1);
	assert_string_equal(s->last_context, "ans");
	assert_string_equal(s->last_text, "booted");
	assert_int_equal(copro_sim_rtkit_ioreport(s->fw, 8), 0);
	assert_int_equal(copro_sim_rtkit_ioreport(s->fw, 0xc), 0);
	assert_true(test_sys_wait(s, two_echoes, s));
	assert_int_equal(test_sys_host_stats(s).ioreport_echoed, 2);

	/* Shutdown, reset, and boot again from a stopped CPU. */
	assert_int_equal(copro_rtkit_shutdown(s->rtk), 0);
	assert_false(copro_rtkit_is_running(s->rtk));
	assert_int_equal(copro_sim_rtkit_iop_state(s->fw), 1);
	assert_int_equal(copro_sart_entry_count_used(s->sart), 0);
	test_sys_cpu(s, false);
	assert_int_equal(copro_rtkit_reinit(s->rtk), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_true(copro_rtkit_is_running(s->rtk));
	assert_int_equal(test_sys_fw_stats(s).boots, 2);
	assert_int_equal(copro_sim_rtkit_syslog(s->fw, "ans", "again"), 0);
	test_sys_wait_lines(s, 2);
	assert_string_equal(s->last_text, "again");

	/* Neither side refused anything. */
	assert_int_equal(test_sys_fw_stats(s).refused, 0);
	assert_int_equal(test_sys_host_stats(s).refused, 0);
	sys_free(s);
}

static void test_t8103(void **state)
{
	check_board("t8103", test_threaded(state));
}

static void test_t6000(void **state)
{
	check_board("t6000", test_threaded(state));
}

/* ---- versions ------------------------------------------------------------ */

static void test_versions(void **state)
{
	static const struct {
		unsigned min, max;
		int ret;
		unsigned version;
	} cases[] = {
		{ 11, 11, 0, 11 },
		{ 12, 12, 0, 12 },
		{ 11, 12, 0, 12 },
		{ 10, 14, 0, 12 },
		{ 13, 14, -EPROTONOSUPPORT, 0 },   /* min > 12 */
		{ 9, 10, -EPROTONOSUPPORT, 0 },    /* max < 11 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct test_sys *s = sys_new("t8103", true);
		struct copro_sim_rtkit_config fcfg = test_sys_ans_cfg(s);
		struct copro_rtkit_config cfg = {
			.shmem_mode = COPRO_RTKIT_SHMEM_SART,
		};

		fcfg.ver_min = cases[i].min;
		fcfg.ver_max = cases[i].max;
		test_sys_replace_fw(s, &fcfg);
		assert_int_equal(test_sys_create(s, &cfg), 0);
		assert_int_equal(test_sys_boot(s), cases[i].ret);
		assert_int_equal(copro_rtkit_is_running(s->rtk),
				 cases[i].ret == 0);
		assert_int_equal(copro_sim_rtkit_is_up(s->fw), cases[i].ret == 0);
		if (cases[i].ret == 0)
			assert_int_equal(copro_rtkit_version(s->rtk),
					 cases[i].version);
		sys_free(s);
	}
}

/* ---- power states ----------------------------------------------------------- */

static void check_quiesce_wake(unsigned wake_state)
{
	struct test_sys *s = sys_new("t8103", true);
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
		.wake_iop_state = wake_state,
	};

	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_rtkit_quiesce(s->rtk), 0);
	assert_false(copro_sim_rtkit_is_up(s->fw));
	assert_int_equal(copro_sim_rtkit_iop_state(s->fw), 0x10);
	assert_int_equal(copro_rtkit_iop_state(s->rtk), 0x10);
	assert_int_equal(copro_rtkit_wake(s->rtk), 0);
	assert_true(copro_rtkit_is_running(s->rtk));
	assert_true(copro_sim_rtkit_is_up(s->fw));
	/* Idle and back. */
	assert_int_equal(copro_rtkit_idle(s->rtk), 0);
	assert_false(copro_rtkit_is_running(s->rtk));
	assert_int_equal(copro_sim_rtkit_ap_state(s->fw), 0x201);
	assert_int_equal(copro_rtkit_wake(s->rtk), 0);
	assert_true(copro_sim_rtkit_is_up(s->fw));
	assert_int_equal(test_sys_fw_stats(s).refused, 0);
	assert_int_equal(test_sys_host_stats(s).refused, 0);
	sys_free(s);
}

static void test_quiesce_wake_on(void **state)
{
	(void)state;
	check_quiesce_wake(0x20);
}

static void test_quiesce_wake_init(void **state)
{
	(void)state;
	check_quiesce_wake(0x220);
}

static void test_poweroff(void **state)
{
	struct test_sys *s = sys_new("t6000", true);
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
	};

	(void)state;
	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_rtkit_poweroff(s->rtk), 0);
	assert_int_equal(copro_sim_rtkit_iop_state(s->fw), 0);
	assert_int_equal(copro_sim_rtkit_ap_state(s->fw), 0);
	assert_int_equal(copro_rtkit_wake(s->rtk), -EPERM);
	assert_false(copro_sim_rtkit_is_up(s->fw));
	sys_free(s);
}

/* ---- lost acknowledgements --------------------------------------------------- */

static void check_fault(enum copro_sim_rtkit_fault fault, bool at_boot)
{
	struct test_sys *s = sys_new("t8103", true);
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
	};
	int ret;

	assert_int_equal(test_sys_create(s, &cfg), 0);
	copro_sim_rtkit_set_fault(s->fw, fault, true);
	if (at_boot) {
		assert_int_equal(copro_rtkit_set_timeout(s->rtk, SHORT_NS), 0);
		ret = test_sys_boot(s);
		/* An endless map may be cut short by the host, or time out. */
		assert_true(ret == -ETIMEDOUT ||
			    (fault == COPRO_SIM_RTKIT_FAULT_NO_EPMAP_LAST &&
			     ret == -EPROTO));
	} else {
		assert_int_equal(test_sys_boot(s), 0);
		assert_int_equal(copro_rtkit_set_timeout(s->rtk, SHORT_NS), 0);
		assert_int_equal(copro_rtkit_shutdown(s->rtk), -ETIMEDOUT);
	}
	assert_false(copro_rtkit_is_running(s->rtk));

	/* Cleared and restarted, the same coprocessor boots. */
	copro_sim_rtkit_set_fault(s->fw, fault, false);
	/*
	 * At once: what the stopped coprocessor sent last may still be in
	 * the FIFO, the interrupt thread or the mailbox's ring. The reinit
	 * drops it all; none of it may reach the new session.
	 */
	test_sys_cpu(s, false);
	assert_int_equal(copro_rtkit_reinit(s->rtk), 0);
	assert_int_equal(copro_rtkit_set_timeout(s->rtk, TEST_TIMEOUT_NS), 0);
	assert_int_equal(test_sys_boot(s), 0);
	assert_true(copro_rtkit_is_running(s->rtk));
	sys_free(s);
}

static void test_fault_no_hello(void **state)
{
	(void)state;
	check_fault(COPRO_SIM_RTKIT_FAULT_NO_HELLO, true);
}

static void test_fault_endless_map(void **state)
{
	(void)state;
	check_fault(COPRO_SIM_RTKIT_FAULT_NO_EPMAP_LAST, true);
}

static void test_fault_no_iop_on(void **state)
{
	(void)state;
	check_fault(COPRO_SIM_RTKIT_FAULT_NO_IOP_ON, true);
}

static void test_fault_no_ap_ack(void **state)
{
	(void)state;
	check_fault(COPRO_SIM_RTKIT_FAULT_NO_AP_ACK, true);
}

static void test_fault_no_iop_ack(void **state)
{
	(void)state;
	check_fault(COPRO_SIM_RTKIT_FAULT_NO_IOP_ACK, false);
}

/* ---- a reinit drops what the old coprocessor sent -------------------------- */

/*
 * A client whose restarted callback holds the mailbox worker at a gate,
 * and whose trace callback, armed, holds it with a received EPMAP before
 * the library took its lock for it (deferred context traces first).
 */
struct held {
	_Atomic bool gate_closed;
	_Atomic unsigned in_callback;
	_Atomic bool trace_armed;
	_Atomic bool trace_gate_closed;
	_Atomic unsigned in_trace;
	/* Messages the interrupt thread had handled when the trace was armed. */
	uint64_t irq_handled_at_arm;
	_Atomic bool irq_took; /* the armed EPMAP took the interrupt path */
	struct test_sys *s;
};

static void held_trace(void *ctx, bool to_iop, uint8_t ep, uint64_t msg,
		       uint64_t t_ns)
{
	struct held *h = ctx;

	(void)t_ns;
	if (to_iop || ep != COPRO_RTKIT_EP_MGMT ||
	    RTK_MGMT_TYPE(msg) != RTK_MGMT_EPMAP ||
	    !atomic_exchange(&h->trace_armed, false))
		return;
	/*
	 * The interrupt thread traces a message it has handled already, and
	 * holding it there would hold the reinit's rx_sync: say so instead.
	 * (It gets the EPMAP when it popped it before the gate opened but
	 * handed it over after: the ring was empty by then.)
	 */
	if (test_sys_host_stats(h->s).irq_handled != h->irq_handled_at_arm) {
		atomic_store(&h->irq_took, true);
		return;
	}
	atomic_fetch_add(&h->in_trace, 1);
	while (atomic_load(&h->trace_gate_closed))
		copro_sleep_ns(50 * COPRO_NSEC_PER_USEC);
	atomic_fetch_sub(&h->in_trace, 1);
}

static void held_restarted(void *ctx)
{
	struct held *h = ctx;

	atomic_fetch_add(&h->in_callback, 1);
	while (atomic_load(&h->gate_closed))
		copro_sleep_ns(50 * COPRO_NSEC_PER_USEC);
	atomic_fetch_sub(&h->in_callback, 1);
}

/*
 * Opens the gate once the boot is under way: with wake_on_boot its first
 * step, under the lock, is to wait for HELLO, and its second to send the
 * wake (which the booting firmware ignores).
 */
struct releaser {
	struct held *h;
	uint64_t a2i;
};

static bool boot_waits(void *arg)
{
	struct releaser *r = arg;
	struct copro_sim_asc_stats st;

	copro_sim_asc_get_stats(r->h->s->asc, &st);
	return st.a2i_pushed > r->a2i;
}

static void *release_thread(void *arg)
{
	struct releaser *r = arg;

	/* Asserted by the boot: a gate left closed fails it by timeout. */
	if (test_wait_until(boot_waits, r, TEST_TIMEOUT_NS)) {
		atomic_store(&r->h->gate_closed, false);
		atomic_store(&r->h->trace_gate_closed, false);
	}
	return NULL;
}

/* The worker is held, and the host took `n` messages off the FIFO. */
struct popped_arg {
	struct held *h;
	uint64_t n;
};

static bool held_and_popped(void *arg)
{
	struct popped_arg *a = arg;
	struct copro_sim_asc_stats st;

	copro_sim_asc_get_stats(a->h->s->asc, &st);
	return atomic_load(&a->h->in_callback) == 1 && st.i2a_pushed == a->n &&
	       st.i2a_popped == a->n;
}

/*
 * The coprocessor restarts on its own; the mailbox worker is held inside
 * the restarted callback, so the first chunk of the new endpoint map
 * waits in the mailbox's ring behind it (and the firmware for its
 * acknowledgement). The coprocessor is stopped and the library
 * reinitialised while that EPMAP still waits; restarted, the coprocessor
 * says HELLO, which lines up behind it, and the boot begins. Released
 * then, the worker must drop the old EPMAP: delivered, the new session
 * would take it before HELLO and refuse it, out of sequence, which fails
 * the boot with -EPROTO (unless the boot only looks after the HELLO).
 * The boot succeeds, nothing is refused, and the drop is counted and
 * logged.
 */
/*
 * Both tests below: booted once, then restarted with the mailbox worker
 * held in `restarted` (after answering the HELLO) and the old session's
 * EPMAP queued behind it in the ring.
 */
static void restart_held(struct test_sys *s, struct held *h,
			 const struct copro_rtkit_ops *ops,
			 struct popped_arg *pa)
{
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
		.ops = ops,
		.ctx = h,
		.wake_on_boot = true,
	};
	struct copro_sim_asc_stats asc;

	assert_int_equal(test_sys_create(s, &cfg), 0);
	assert_int_equal(test_sys_boot(s), 0);
	atomic_store(&h->gate_closed, true);
	copro_sim_asc_get_stats(s->asc, &asc);
	/* HELLO (the worker answers it, then is held), EPMAP (queued). */
	pa->n = asc.i2a_pushed + 2;
	assert_int_equal(copro_sim_rtkit_restart(s->fw), 0);
	assert_true(test_sys_wait(s, held_and_popped, pa));
}

/*
 * The new boot, with what holds the old message released once it waits
 * for HELLO (its wake_on_boot message has left).
 */
static void boot_releasing(struct test_sys *s, struct held *h)
{
	struct copro_sim_asc_stats asc;
	struct releaser rel = { h, 0 };
	struct copro_thread th;

	copro_sim_asc_get_stats(s->asc, &asc);
	rel.a2i = asc.a2i_pushed;
	assert_int_equal(copro_thread_start(&th, "release", release_thread,
					    &rel),
			 0);
	assert_int_equal(copro_rtkit_boot(s->rtk), 0);
	copro_thread_join(&th);
	assert_true(copro_rtkit_is_running(s->rtk));
}

static void test_reinit_drops_queued(void **state)
{
	static const struct copro_rtkit_ops ops = { .restarted = held_restarted };
	struct test_sys *s = sys_new("t8103", true);
	struct held h = { .s = s };
	struct popped_arg pa = { &h, 0 };

	(void)state;
	restart_held(s, &h, &ops, &pa);
	test_sys_cpu(s, false);
	assert_int_equal(copro_rtkit_reinit(s->rtk), 0);
	assert_int_equal(test_sys_host_stats(s).stale, 0);

	/* The new HELLO is taken off the FIFO behind the old EPMAP. */
	test_sys_cpu(s, true);
	pa.n++;
	assert_true(test_sys_wait(s, held_and_popped, &pa));
	boot_releasing(s, &h);
	/* Delivered, the new session would have refused it. */
	assert_int_equal(test_sys_host_stats(s).refused, 0);
	assert_int_equal(test_sys_host_stats(s).stale, 1);
	assert_true(test_logcap_contains(&s->cap,
					 "dropped a message of receive epoch"));
	assert_int_equal(test_sys_fw_stats(s).refused, 0);
	sys_free(s);
}

static bool trace_held(void *arg)
{
	struct held *h = arg;

	return atomic_load(&h->in_trace) == 1 || atomic_load(&h->irq_took);
}

/*
 * As above, but the old EPMAP has left the ring: the worker holds it in
 * RTKit's handler, past the mailbox's own check and before the library's
 * lock, while the reinit runs. Released once the new boot waits for
 * HELLO, the handler must find the message stale under the lock
 * (copro_mbox_rx_stale) and drop it, not fail the boot with -EPROTO.
 */
/* False when the interleaving was not reached (see held_trace). */
static bool reinit_drops_in_progress(void)
{
	static const struct copro_rtkit_ops ops = {
		.restarted = held_restarted,
		.trace = held_trace,
	};
	struct test_sys *s = sys_new("t8103", true);
	struct held h = { .s = s };
	struct popped_arg pa = { &h, 0 };

	restart_held(s, &h, &ops, &pa);
	/* Then taken by the worker, and held in RTKit's handler. */
	h.irq_handled_at_arm = test_sys_host_stats(s).irq_handled;
	atomic_store(&h.trace_gate_closed, true);
	atomic_store(&h.trace_armed, true);
	atomic_store(&h.gate_closed, false);
	assert_true(test_sys_wait(s, trace_held, &h));
	if (atomic_load(&h.irq_took)) {
		sys_free(s);
		return false;
	}
	test_sys_cpu(s, false);
	assert_int_equal(copro_rtkit_reinit(s->rtk), 0);

	test_sys_cpu(s, true);
	boot_releasing(s, &h);
	/*
	 * Handled, the EPMAP is refused out of sequence, and fails the boot
	 * unless the new HELLO comes before the boot looks. RTKit dropped it
	 * itself: the mailbox had delivered it.
	 */
	assert_int_equal(test_sys_host_stats(s).refused, 0);
	assert_int_equal(test_sys_host_stats(s).stale, 1);
	assert_true(test_logcap_contains(&s->cap,
					 "(received before a reinit)"));
	assert_int_equal(test_sys_fw_stats(s).refused, 0);
	sys_free(s);
	return true;
}

static void test_reinit_drops_in_progress(void **state)
{
	unsigned tries = 0;

	(void)state;
	while (!reinit_drops_in_progress())
		if (++tries == 10)
			fail_msg("the EPMAP took the interrupt path %u times",
				 tries);
}

/* ---- an application endpoint ------------------------------------------------- */

static void app_recv(void *ctx, struct copro_sim_rtkit *fw, uint8_t ep,
		     uint64_t msg)
{
	(void)ctx;
	copro_sim_rtkit_send(fw, ep, msg * 2);
}

static bool app_answered(void *arg)
{
	return atomic_load(&((struct test_sys *)arg)->app_msgs) == 1;
}

static bool two_app_messages(void *arg)
{
	return test_sys_fw_stats(arg).app_messages == 2;
}

static void test_app_endpoint(void **state)
{
	const struct copro_sim_rtkit_app app = { .recv = app_recv };
	struct test_sys *s = sys_new("t6000", true);
	struct copro_rtkit_config cfg = {
		.shmem_mode = COPRO_RTKIT_SHMEM_SART,
	};

	(void)state;
	/* The board reserved 0x20 for the NVMe side; this app takes it. */
	assert_int_equal(copro_sim_rtkit_set_app(s->fw, &app, NULL), 0);
	assert_int_equal(test_sys_create(s, &cfg), 0);
	/* Before boot the host has no map: the endpoint is unknown. */
	assert_int_equal(copro_rtkit_start_ep(s->rtk, 0x20), -EINVAL);
	assert_int_equal(test_sys_boot(s), 0);
	assert_int_equal(copro_rtkit_start_ep(s->rtk, 0x20), 0);
	assert_int_equal(copro_rtkit_send_message(s->rtk, 0x20, 21,
						  TEST_TIMEOUT_NS),
			 0);
	assert_true(test_sys_wait(s, app_answered, s));
	assert_int_equal(atomic_load(&s->last_app_msg), 42);
	/* Counted once the app's send returned, maybe after the host saw it. */
	assert_true(test_sys_wait(s, two_app_messages, s));
	sys_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_t8103, NULL, NULL),
		TEST_BOTH(test_t6000, NULL, NULL),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_quiesce_wake_on),
		cmocka_unit_test(test_quiesce_wake_init),
		cmocka_unit_test(test_poweroff),
		cmocka_unit_test(test_fault_no_hello),
		cmocka_unit_test(test_fault_endless_map),
		cmocka_unit_test(test_fault_no_iop_on),
		cmocka_unit_test(test_fault_no_ap_ack),
		cmocka_unit_test(test_fault_no_iop_ack),
		cmocka_unit_test(test_reinit_drops_queued),
		cmocka_unit_test(test_reinit_drops_in_progress),
		cmocka_unit_test(test_app_endpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
