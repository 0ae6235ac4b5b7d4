// SPDX-License-Identifier: MIT
/*
 * The RTKit engine alone (rtkit_engine.h): no board, no platform, no
 * mailbox, no thread, no memory of its own. Each test plays the
 * coprocessor message by message and checks what the engine says to
 * send and to do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>
#include <copro/rtkit_engine.h>

#include "test_rtkit_msg.h"

#define SYS_MAP ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 8))

struct bench {
	struct copro_rtkit_engine e;
	struct copro_rtkit_out out;
	char log[8192];
	size_t log_len;
};

static void log_line(void *ctx, enum copro_log_level level, const char *msg)
{
	struct bench *b = ctx;
	int n = snprintf(b->log + b->log_len, sizeof(b->log) - b->log_len,
			 "%s: %s\n", copro_log_level_name(level), msg);

	if (n > 0 && (size_t)n < sizeof(b->log) - b->log_len)
		b->log_len += (size_t)n;
}

static void init(struct bench *b, const struct copro_rtkit_engine_config *cfg)
{
	struct copro_rtkit_engine_config c = cfg ? *cfg
						 : (struct copro_rtkit_engine_config){ 0 };

	memset(b, 0, sizeof(*b));
	c.log = log_line;
	c.log_ctx = b;
	copro_rtkit_engine_init(&b->e, &c);
}

static void logged(struct bench *b, const char *what)
{
	if (!strstr(b->log, what))
		fail_msg("log lacks \"%s\":\n%s", what, b->log);
}

/*
 * Every step also checks copro_rtkit_engine_events_of against what the
 * step emitted: the glue handles a message in interrupt context on its
 * word, so it may say more than happens, never less.
 */
static void rx(struct bench *b, uint8_t ep, uint64_t msg)
{
	unsigned may = copro_rtkit_engine_events_of(&b->e, ep, msg);

	copro_rtkit_engine_receive(&b->e, ep, msg, &b->out);
	for (unsigned i = 0; i < b->out.n_ev; i++)
		if (!(may & (1u << b->out.ev[i].type)))
			fail_msg("ep 0x%02x msg 0x%016llx emitted event %d;"
				 " events_of said 0x%x",
				 ep, (unsigned long long)msg, b->out.ev[i].type,
				 may);
}

#define EV(t) (1u << COPRO_RTKIT_EV_##t)

/* The step's messages are exactly these (ep, msg) pairs. */
static void sent(struct bench *b, unsigned n, ...)
{
	va_list ap;

	va_start(ap, n);
	assert_int_equal(b->out.n_msgs, n);
	for (unsigned i = 0; i < n; i++) {
		unsigned ep = va_arg(ap, unsigned);
		uint64_t msg = va_arg(ap, uint64_t);

		assert_int_equal(b->out.msg[i].ep, ep);
		assert_int_equal(b->out.msg[i].msg, msg);
	}
	va_end(ap);
}

static const struct copro_rtkit_event *event(struct bench *b, unsigned i,
					     enum copro_rtkit_event_type type)
{
	assert_true(i < b->out.n_ev);
	assert_int_equal(b->out.ev[i].type, type);
	return &b->out.ev[i];
}

/*
 * HELLO to RUNNING with the given map, no buffers: system endpoints in
 * chunk 0, endpoints 0x20 to 0x3f in `apps` (chunk 1, when not 0).
 */
static void boot(struct bench *b, uint32_t sys, uint32_t apps)
{
	assert_int_equal(copro_rtkit_engine_boot(&b->e, &b->out), 0);
	rx(b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	rx(b, 0, MGMT(RTK_MGMT_EPMAP, sys | (apps ? 0 : RTK_EPMAP_LAST)));
	if (apps)
		rx(b, 0, MGMT(RTK_MGMT_EPMAP,
			      apps | RTK_EPMAP_BASE_MAKE(1) | RTK_EPMAP_LAST));
	rx(b, 0, IOP_ACK(ON));
	rx(b, 0, AP_ACK(ON));
	assert_true(copro_rtkit_engine_running(&b->e));
}

/* Answers the one BUFFER event of the last step with `iova`. */
static void provide(struct bench *b, uint8_t ep, uint64_t iova, bool answer)
{
	const struct copro_rtkit_event *ev = event(b, 0, COPRO_RTKIT_EV_BUFFER);

	assert_int_equal(ev->ep, ep);
	copro_rtkit_engine_buffer(&b->e, ep, 0, NULL, iova, answer, &b->out);
}

/* ---- the boot handshake ----------------------------------------------- */

/*
 * What the glue's interrupt-context path relies on: the handshake's
 * messages emit nothing but buffers; restarts, crashes, syslog lines and
 * application messages are announced.
 */
static void test_events_of(void **state)
{
	struct bench b;
	const struct copro_rtkit_engine *e = &b.e;

	(void)state;
	init(&b, NULL);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	assert_int_equal(copro_rtkit_engine_events_of(
				 e, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12))),
			 0);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	assert_int_equal(copro_rtkit_engine_events_of(
				 e, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP)), 0);
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, 1 | RTK_EPMAP_BASE_MAKE(1) | RTK_EPMAP_LAST));
	assert_int_equal(copro_rtkit_engine_events_of(e, 1, BUFREQ(4, 0)),
			 EV(BUFFER));
	assert_int_equal(copro_rtkit_engine_events_of(e, 2, BUFREQ(4, 0)),
			 EV(BUFFER));
	/* Not in the map: refused, nothing to run. */
	assert_int_equal(copro_rtkit_engine_events_of(e, 5, BUFREQ(4, 0)), 0);
	rx(&b, 1, BUFREQ(4, 0));
	provide(&b, 1, 0x1000, true);
	/* With a buffer, the crashlog's request means a crash. */
	assert_int_equal(copro_rtkit_engine_events_of(e, 1, BUFREQ(4, 0)),
			 EV(CRASHED));
	assert_int_equal(copro_rtkit_engine_events_of(
				 e, 2, RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG)),
			 EV(SYSLOG));
	assert_int_equal(copro_rtkit_engine_events_of(e, 0, IOP_ACK(ON)), 0);
	rx(&b, 0, IOP_ACK(ON));
	rx(&b, 0, AP_ACK(ON));
	assert_true(copro_rtkit_engine_running(e));
	/* A HELLO now is a restart: the buffers go, the client is told. */
	assert_int_equal(copro_rtkit_engine_events_of(
				 e, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12))),
			 EV(FREE_BUFFERS) | EV(RESTARTED));
	/* Application endpoints: only started ones reach the client. */
	assert_int_equal(copro_rtkit_engine_events_of(e, 0x20, 1), 0);
	assert_int_equal(copro_rtkit_engine_start_ep(&b.e, 0x20, &b.out), 0);
	assert_int_equal(copro_rtkit_engine_events_of(e, 0x20, 1), EV(RECV));
	rx(&b, 1, BUFREQ(4, 0));
	event(&b, 0, COPRO_RTKIT_EV_CRASHED);
	/* A dead coprocessor's messages are only refused. */
	assert_int_equal(copro_rtkit_engine_events_of(e, 0x20, 1), 0);
}

static void test_boot(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	sent(&b, 0);
	assert_int_equal(copro_rtkit_engine_phase(&b.e), COPRO_RTKIT_PHASE_WAIT_HELLO);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 14)));
	sent(&b, 1, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP | (1u << 0x0a)));
	sent(&b, 1, 0, MGMT(RTK_MGMT_EPMAP, RTK_EPMAP_MORE));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, 1 | RTK_EPMAP_BASE_MAKE(1) | RTK_EPMAP_LAST));
	/* The reply, then every known system endpoint; tracekit is not. */
	sent(&b, 6, 0, MGMT(RTK_MGMT_EPMAP, RTK_EPMAP_BASE_MAKE(1) | RTK_EPMAP_LAST),
	     0, STARTEP(1), 0, STARTEP(2), 0, STARTEP(3), 0, STARTEP(4), 0,
	     STARTEP(8));
	assert_true(copro_rtkit_engine_has_ep(&b.e, 0x20));
	assert_true(copro_rtkit_engine_has_ep(&b.e, 0x0a));
	assert_false(copro_rtkit_engine_started(&b.e, 0x0a));
	/* A buffer request in the middle: the glue provides it. */
	rx(&b, 2, BUFREQ(4, 0));
	sent(&b, 0);
	assert_int_equal(event(&b, 0, COPRO_RTKIT_EV_BUFFER)->size, 4 * 4096);
	provide(&b, 2, 0x8000000, true);
	sent(&b, 1, 2, BUFREQ(4, 0x8000000));
	rx(&b, 0, IOP_ACK(ON));
	sent(&b, 1, 0, SET_AP(ON));
	assert_false(copro_rtkit_engine_running(&b.e));
	rx(&b, 0, AP_ACK(ON));
	sent(&b, 0);
	assert_true(copro_rtkit_engine_running(&b.e));
	assert_int_equal(copro_rtkit_engine_version(&b.e), 12);
	logged(&b, "running (protocol version 12)");
	/* The HELLO came after boot(): a second boot() finds it running. */
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), -EBUSY);
}

/* A HELLO before boot() runs the handshake; boot() then collects it. */
static void test_hello_first(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 11)));
	sent(&b, 1, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(11, 11)));
	rx(&b, 0, IOP_ACK(ON));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, (1u << 4) | RTK_EPMAP_LAST));
	/* IOP ON came before the map ended: AP ON right after it. */
	sent(&b, 3, 0, MGMT(RTK_MGMT_EPMAP, RTK_EPMAP_LAST), 0, STARTEP(4), 0,
	     SET_AP(ON));
	rx(&b, 0, AP_ACK(ON));
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 1);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), -EBUSY);

	/* boot() in the middle of such a handshake waits for it, once. */
	init(&b, NULL);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	sent(&b, 0);
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, (1u << 4) | RTK_EPMAP_LAST));
	rx(&b, 0, IOP_ACK(ON));
	rx(&b, 0, AP_ACK(ON));
	assert_true(copro_rtkit_engine_running(&b.e));
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), -EBUSY);
}

static void test_wake_on_boot(void **state)
{
	struct bench b;

	(void)state;
	init(&b, &(struct copro_rtkit_engine_config){ .wake_on_boot = true });
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	sent(&b, 1, 0, SET_IOP(INIT));
	init(&b, &(struct copro_rtkit_engine_config){
			 .wake_on_boot = true, .wake_iop_state = ON });
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	sent(&b, 1, 0, SET_IOP(ON));
}

static void test_versions(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(13, 14)));
	sent(&b, 0);
	assert_int_equal(copro_rtkit_engine_phase(&b.e), COPRO_RTKIT_PHASE_FAILED);
	assert_int_equal(copro_rtkit_engine_boot_error(&b.e), -EPROTONOSUPPORT);
	logged(&b, "HELLO offers versions 13 to 14; this host speaks 11 to 12");
	/* The failure is collected once; the next boot starts afresh. */
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), -EPROTONOSUPPORT);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(5, 10)));
	assert_int_equal(copro_rtkit_engine_boot_error(&b.e), -EPROTONOSUPPORT);
}

static void test_out_of_sequence(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	/* A map nobody asked for: refused, nothing else. */
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP | RTK_EPMAP_LAST));
	sent(&b, 0);
	logged(&b, "EPMAP not booting");
	assert_int_equal(copro_rtkit_engine_phase(&b.e), COPRO_RTKIT_PHASE_IDLE);
	/* During a handshake it fails the boot. */
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP | RTK_EPMAP_LAST));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP | RTK_EPMAP_LAST));
	assert_int_equal(copro_rtkit_engine_boot_error(&b.e), -EPROTO);
	rx(&b, 0, MGMT(0x3f, 0));
	logged(&b, "unknown management message type 0x3f");
}

/* ---- restarts --------------------------------------------------------- */

static void test_restart_while_running(void **state)
{
	struct bench b;
	uint64_t gen;

	(void)state;
	init(&b, NULL);
	boot(&b, SYS_MAP, 1);
	rx(&b, 1, BUFREQ(2, 0));
	provide(&b, 1, 0x1000, true);
	assert_int_equal(copro_rtkit_engine_start_ep(&b.e, 0x20, &b.out), 0);
	gen = copro_rtkit_engine_generation(&b.e);

	/* Restarted: buffers stale, app endpoints forgotten, HELLO answered. */
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	assert_int_equal(b.out.n_ev, 2);
	event(&b, 0, COPRO_RTKIT_EV_FREE_BUFFERS);
	event(&b, 1, COPRO_RTKIT_EV_RESTARTED);
	sent(&b, 1, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	assert_false(copro_rtkit_engine_running(&b.e));
	assert_false(copro_rtkit_engine_buffer_of(&b.e, 1, NULL, NULL));
	assert_false(copro_rtkit_engine_has_ep(&b.e, 1));
	assert_false(copro_rtkit_engine_started(&b.e, 0x20));
	assert_true(copro_rtkit_engine_generation(&b.e) != gen);
	logged(&b, "the coprocessor restarted (HELLO while running): handshaking again");
	/* The new handshake runs as the first did; the buffer comes again. */
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, 1 | RTK_EPMAP_BASE_MAKE(1) | RTK_EPMAP_LAST));
	rx(&b, 1, BUFREQ(2, 0));
	provide(&b, 1, 0x2000, true);
	sent(&b, 1, 1, BUFREQ(2, 0x2000));
	rx(&b, 0, IOP_ACK(ON));
	rx(&b, 0, AP_ACK(ON));
	assert_true(copro_rtkit_engine_running(&b.e));
	assert_int_equal(b.e.st.restarts, 1);
	assert_int_equal(b.e.st.refused, 0);
}

static void test_restart_mid_handshake(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP | RTK_EPMAP_LAST));
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	sent(&b, 1, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	/* Nothing was running: no RESTARTED for the client. */
	assert_int_equal(b.out.n_ev, 0);
	logged(&b, "restarted (HELLO in the middle of the handshake)");
	assert_int_equal(copro_rtkit_engine_phase(&b.e), COPRO_RTKIT_PHASE_WAIT_EPMAP);
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP | RTK_EPMAP_LAST));
	rx(&b, 0, IOP_ACK(ON));
	rx(&b, 0, AP_ACK(ON));
	assert_true(copro_rtkit_engine_running(&b.e));
}

/* A HELLO while a power request waits: the request is lost, not hung. */
static void test_restart_during_power_request(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	boot(&b, SYS_MAP, 0);
	assert_int_equal(copro_rtkit_engine_set_power(&b.e, true, QUIESCED, &b.out), 0);
	sent(&b, 1, 0, SET_AP(QUIESCED));
	assert_int_equal(copro_rtkit_engine_pwr_wait(&b.e, true), -EINPROGRESS);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	sent(&b, 1, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	assert_int_equal(copro_rtkit_engine_pwr_wait(&b.e, true), -EPROTO);
	logged(&b, "the AP QUIESCED request is lost: the coprocessor restarted");
}

/* ---- power states, wake and takeover ---------------------------------- */

static void test_shutdown_wake(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	boot(&b, SYS_MAP, 0);
	copro_rtkit_engine_set_power(&b.e, true, QUIESCED, &b.out);
	rx(&b, 0, AP_ACK(QUIESCED));
	assert_int_equal(copro_rtkit_engine_pwr_wait(&b.e, true), 0);
	copro_rtkit_engine_set_power(&b.e, false, SLEEP, &b.out);
	sent(&b, 1, 0, SET_IOP(SLEEP));
	rx(&b, 0, IOP_ACK(SLEEP));
	assert_int_equal(copro_rtkit_engine_pwr_wait(&b.e, false), 0);
	copro_rtkit_engine_reinit(&b.e);

	/* Wake: INIT, then a whole new handshake. */
	assert_int_equal(copro_rtkit_engine_wake(&b.e, &b.out), 0);
	sent(&b, 1, 0, SET_IOP(INIT));
	assert_int_equal(copro_rtkit_engine_phase(&b.e), COPRO_RTKIT_PHASE_WAIT_HELLO);
	assert_int_equal(copro_rtkit_engine_wake(&b.e, &b.out), -EBUSY);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP | RTK_EPMAP_LAST));
	assert_int_equal(b.out.n_msgs, 6);
	rx(&b, 0, IOP_ACK(ON));
	rx(&b, 0, AP_ACK(ON));
	assert_true(copro_rtkit_engine_running(&b.e));

	/* A wake answered with IOP ON and no HELLO: that session is unknown. */
	copro_rtkit_engine_set_power(&b.e, true, QUIESCED, &b.out);
	rx(&b, 0, AP_ACK(QUIESCED));
	copro_rtkit_engine_set_power(&b.e, false, SLEEP, &b.out);
	rx(&b, 0, IOP_ACK(SLEEP));
	copro_rtkit_engine_reinit(&b.e);
	assert_int_equal(copro_rtkit_engine_wake(&b.e, &b.out), 0);
	rx(&b, 0, IOP_ACK(ON));
	assert_int_equal(copro_rtkit_engine_phase(&b.e), COPRO_RTKIT_PHASE_FAILED);
	assert_int_equal(copro_rtkit_engine_boot_error(&b.e), -EPROTO);
	logged(&b, "IOP ON without a new HELLO");
}

static void test_idle_wake(void **state)
{
	struct bench b;

	(void)state;
	init(&b, &(struct copro_rtkit_engine_config){ .wake_iop_state = ON });
	boot(&b, SYS_MAP, 1);
	copro_rtkit_engine_set_power(&b.e, true, IDLE, &b.out);
	sent(&b, 1, 0, SET_AP(IDLE));
	rx(&b, 0, AP_ACK(IDLE));
	copro_rtkit_engine_set_power(&b.e, false, IDLE, &b.out);
	sent(&b, 1, 0, SET_IOP(IDLE));
	rx(&b, 0, IOP_ACK(IDLE));
	copro_rtkit_engine_set_states(&b.e, IDLE, IDLE);
	assert_int_equal(copro_rtkit_engine_ap_state(&b.e), IDLE);
	/* The session is kept: IOP ON and AP ON, no HELLO. */
	assert_int_equal(copro_rtkit_engine_wake(&b.e, &b.out), 0);
	sent(&b, 1, 0, SET_IOP(ON));
	assert_int_equal(copro_rtkit_engine_phase(&b.e), COPRO_RTKIT_PHASE_WAIT_IOP_ON);
	rx(&b, 0, IOP_ACK(ON));
	sent(&b, 1, 0, SET_AP(ON));
	rx(&b, 0, AP_ACK(ON));
	assert_true(copro_rtkit_engine_running(&b.e));
	assert_true(copro_rtkit_engine_has_ep(&b.e, 0x20));
	assert_int_equal(copro_rtkit_engine_version(&b.e), 12);
}

/* Another owner's session: put to sleep, then woken into our own. */
static void test_takeover_running(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	assert_int_equal(copro_rtkit_engine_takeover(&b.e, &b.out), 0);
	sent(&b, 1, 0, SET_IOP(INIT));
	/* Its syslog and ioreport still talk: answered, not refused. */
	rx(&b, 2, SYS(RTK_SYSLOG_LOG, 3));
	sent(&b, 1, 2, SYS(RTK_SYSLOG_LOG, 3));
	rx(&b, 4, SYS(RTK_IOREPORT_UNKNOWN1, 0x42));
	sent(&b, 1, 4, SYS(RTK_IOREPORT_UNKNOWN1, 0x42));
	rx(&b, 0, IOP_ACK(ON));
	sent(&b, 1, 0, SET_AP(QUIESCED));
	logged(&b, "runs another owner's session");
	rx(&b, 0, AP_ACK(QUIESCED));
	sent(&b, 1, 0, SET_IOP(SLEEP));
	rx(&b, 0, IOP_ACK(SLEEP));
	sent(&b, 1, 0, SET_IOP(INIT));
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP | RTK_EPMAP_LAST));
	rx(&b, 0, IOP_ACK(ON));
	rx(&b, 0, AP_ACK(ON));
	assert_true(copro_rtkit_engine_running(&b.e));
	assert_int_equal(b.e.st.refused, 0);
	/* Once the session has a map, unmapped traffic is refused again. */
	rx(&b, 5, SYS(RTK_SYSLOG_LOG, 3));
	assert_int_equal(b.e.st.refused, 1);
}

static void test_takeover_asleep(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	assert_int_equal(copro_rtkit_engine_takeover(&b.e, &b.out), 0);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	sent(&b, 1, 0, MGMT(RTK_MGMT_HELLO_REPLY, RTK_HELLO_MAKE(12, 12)));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, SYS_MAP | RTK_EPMAP_LAST));
	rx(&b, 0, IOP_ACK(ON));
	rx(&b, 0, AP_ACK(ON));
	assert_true(copro_rtkit_engine_running(&b.e));
	/* A takeover of a session of our own is not one. */
	assert_int_equal(copro_rtkit_engine_takeover(&b.e, &b.out), -EBUSY);
}

static void test_poweroff(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	boot(&b, SYS_MAP, 0);
	copro_rtkit_engine_set_power(&b.e, false, OFF, &b.out);
	rx(&b, 0, IOP_ACK(SLEEP));
	assert_int_equal(copro_rtkit_engine_pwr_wait(&b.e, false), -EPROTO);
	logged(&b, "IOP power state: asked for OFF (0x0), ACK says SLEEP (0x1)");
	copro_rtkit_engine_reinit(&b.e);
	copro_rtkit_engine_set_powered_off(&b.e);
	assert_int_equal(copro_rtkit_engine_wake(&b.e, &b.out), -EPERM);
	sent(&b, 0);
}

/* ---- system endpoints ----------------------------------------------------- */

static void test_buffer_requests(void **state)
{
	struct bench b;

	(void)state;
	init(&b, &(struct copro_rtkit_engine_config){ .shmem_max = 0x4000 });
	boot(&b, SYS_MAP, 0);
	rx(&b, 2, BUFREQ(0, 0));
	rx(&b, 2, BUFREQ(5, 0));
	rx(&b, 2, BUFREQ(1, 0x123));
	assert_int_equal(b.out.n_ev, 0);
	assert_int_equal(b.e.st.refused, 3);
	logged(&b, "a buffer of 0 bytes");
	logged(&b, "larger than the configured maximum");
	logged(&b, "not 4 KiB aligned");
	/* Refused by the glue: counted, not answered. */
	rx(&b, 4, BUFREQ(1, 0x900000000ull));
	event(&b, 0, COPRO_RTKIT_EV_BUFFER);
	copro_rtkit_engine_buffer(&b.e, 4, -EINVAL, "outside the window", 0,
				  true, &b.out);
	sent(&b, 0);
	assert_int_equal(b.e.st.refused, 4);
	logged(&b, "outside the window");
	/* A buffer the coprocessor manages: recorded, not answered. */
	rx(&b, 4, BUFREQ(1, 0x900000000ull));
	provide(&b, 4, 0x900000000ull, false);
	sent(&b, 0);
	assert_true(copro_rtkit_engine_buffer_of(&b.e, 4, NULL, NULL));
	/* A second request for it. */
	rx(&b, 4, BUFREQ(1, 0));
	assert_int_equal(b.out.n_ev, 0);
	logged(&b, "a second buffer request");
	/* oslog's own layout: size in bytes, IOVA >> 12. */
	rx(&b, 8, RTK_OSLOG_TYPE_MAKE(1) | RTK_OSLOG_SIZE_MAKE(0x2000));
	assert_int_equal(event(&b, 0, COPRO_RTKIT_EV_BUFFER)->size, 0x2000);
	provide(&b, 8, 0x7000, true);
	sent(&b, 1, 8,
	     RTK_OSLOG_TYPE_MAKE(1) | RTK_OSLOG_SIZE_MAKE(0x2000) |
		     RTK_OSLOG_IOVA_MAKE(7));
	/* The old INIT (no size, no address): ACK. Types 3-5: ignored. */
	rx(&b, 8, RTK_OSLOG_TYPE_MAKE(1));
	sent(&b, 1, 8, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_ACK));
	rx(&b, 8, RTK_OSLOG_TYPE_MAKE(4) | 0x55);
	sent(&b, 0);
	rx(&b, 8, RTK_OSLOG_TYPE_MAKE(9));
	logged(&b, "unknown oslog message type 0x9");
}

static void test_syslog(void **state)
{
	static const uint8_t entry_text[] = "line one\n";
	uint8_t entry[0x20 + 0x40] = { 0 };
	char context[COPRO_RTKIT_SYSLOG_CONTEXT_MAX], text[COPRO_RTKIT_SYSLOG_TEXT_MAX];
	const struct copro_rtkit_event *ev;
	struct bench b;

	(void)state;
	init(&b, NULL);
	boot(&b, SYS_MAP, 0);
	/* Before INIT and buffer: acknowledged, unread. */
	rx(&b, 2, SYS(RTK_SYSLOG_LOG, 0));
	sent(&b, 1, 2, SYS(RTK_SYSLOG_LOG, 0));
	assert_int_equal(b.out.n_ev, 0);
	logged(&b, "syslog LOG before INIT (acknowledged unread)");
	rx(&b, 2, SYS(RTK_SYSLOG_INIT, RTK_SYSLOG_INIT_MAKE(4, 0x40)));
	rx(&b, 2, BUFREQ(1, 0));
	provide(&b, 2, 0x10000, true);
	rx(&b, 2, SYS(RTK_SYSLOG_LOG, 2));
	ev = event(&b, 0, COPRO_RTKIT_EV_SYSLOG);
	assert_int_equal(ev->index, 2);
	assert_int_equal(ev->offset, 2 * 0x60);
	assert_int_equal(ev->size, 0x60);
	sent(&b, 1, 2, SYS(RTK_SYSLOG_LOG, 2));
	/* Out of range: refused, acknowledged all the same. */
	rx(&b, 2, SYS(RTK_SYSLOG_LOG, 4));
	sent(&b, 1, 2, SYS(RTK_SYSLOG_LOG, 4));
	assert_int_equal(b.out.n_ev, 0);
	logged(&b, "index 4, but there are 4 entries");
	assert_int_equal(b.e.st.syslog_acked, 3);

	memcpy(entry + 8, "ctx", 3);
	memcpy(entry + 0x20, entry_text, sizeof(entry_text));
	entry[0x20 + 10] = 0x07;
	assert_int_equal(copro_rtkit_syslog_entry(entry, sizeof(entry), 0x40,
						  context, text),
			 0);
	assert_string_equal(context, "ctx");
	assert_string_equal(text, "line one");
	assert_int_equal(copro_rtkit_syslog_entry(entry, 0x30, 0x40, context, text),
			 -EINVAL);
	memset(entry + 0x20, 0x80, 0x40);
	assert_int_equal(copro_rtkit_syslog_entry(entry, sizeof(entry), 0x40,
						  context, text),
			 0);
	assert_int_equal(strlen(text), 4 * 0x40);
}

static void test_ioreport(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	boot(&b, SYS_MAP, 0);
	rx(&b, 4, SYS(RTK_IOREPORT_UNKNOWN2, 0x99));
	sent(&b, 1, 4, SYS(RTK_IOREPORT_UNKNOWN2, 0x99));
	rx(&b, 4, SYS(0x55, 1));
	sent(&b, 0);
	logged(&b, "unknown ioreport message type 0x55");
	assert_int_equal(b.e.st.ioreport_echoed, 1);
}

static void test_crash(void **state)
{
	const struct copro_rtkit_event *ev;
	struct bench b;

	(void)state;
	init(&b, NULL);
	boot(&b, SYS_MAP, 1);
	rx(&b, 1, BUFREQ(3, 0));
	provide(&b, 1, 0x20000, true);
	assert_int_equal(copro_rtkit_engine_start_ep(&b.e, 0x20, &b.out), 0);
	rx(&b, 1, BUFREQ(3, 0));
	ev = event(&b, 0, COPRO_RTKIT_EV_CRASHED);
	assert_int_equal(ev->size, 3 * 4096);
	assert_int_equal(ev->iova, 0x20000);
	assert_true(copro_rtkit_engine_crashed(&b.e));
	assert_false(copro_rtkit_engine_running(&b.e));
	/* Dead: nothing answered, nothing asked. */
	rx(&b, 4, SYS(RTK_IOREPORT_UNKNOWN1, 1));
	sent(&b, 0);
	assert_int_equal(copro_rtkit_engine_start_ep(&b.e, 0x20, &b.out), -ECONNRESET);
	assert_int_equal(copro_rtkit_engine_check_send(&b.e, 0x20), -ECONNRESET);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), -ECONNRESET);
	assert_int_equal(copro_rtkit_engine_set_power(&b.e, true, QUIESCED, &b.out),
			 -ECONNRESET);
	assert_int_equal(b.e.st.crashes, 1);
	copro_rtkit_engine_reinit(&b.e);
	assert_false(copro_rtkit_engine_crashed(&b.e));
	assert_false(copro_rtkit_engine_buffer_of(&b.e, 1, NULL, NULL));
}

/* ---- application endpoints -------------------------------------------- */

static void test_app_endpoints(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	assert_int_equal(copro_rtkit_engine_start_ep(&b.e, 0x20, &b.out), -EINVAL);
	boot(&b, SYS_MAP, 0);
	assert_int_equal(copro_rtkit_engine_start_ep(&b.e, 0x04, &b.out), -EINVAL);
	assert_int_equal(copro_rtkit_engine_start_ep(&b.e, 0x21, &b.out), -EINVAL);
	logged(&b, "start: endpoint 0x21 is not in the endpoint map");
	init(&b, NULL);
	boot(&b, SYS_MAP, 1);
	assert_int_equal(copro_rtkit_engine_check_send(&b.e, 0x3f), -EINVAL);
	assert_int_equal(copro_rtkit_engine_check_send(&b.e, 0x1f), -EINVAL);
	assert_int_equal(copro_rtkit_engine_check_send(&b.e, 0x20), -EINVAL);
	logged(&b, "send: endpoint 0x20 was not started");
}

/* The glue could not send: a handshake fails, a STARTEP is undone. */
static void test_send_failed(void **state)
{
	struct bench b;
	uint32_t map = SYS_MAP;

	(void)state;
	init(&b, NULL);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	copro_rtkit_engine_send_failed(&b.e, 0, b.out.msg[0].msg, -EIO);
	assert_int_equal(copro_rtkit_engine_phase(&b.e), COPRO_RTKIT_PHASE_FAILED);
	assert_int_equal(copro_rtkit_engine_boot_error(&b.e), -EIO);

	init(&b, NULL);
	boot(&b, map, 0);
	/* Endpoint 0x20 sits in chunk 1. */
	init(&b, NULL);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	rx(&b, 0, MGMT(RTK_MGMT_HELLO, RTK_HELLO_MAKE(11, 12)));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, map));
	rx(&b, 0, MGMT(RTK_MGMT_EPMAP, 1 | RTK_EPMAP_BASE_MAKE(1) | RTK_EPMAP_LAST));
	rx(&b, 0, IOP_ACK(ON));
	rx(&b, 0, AP_ACK(ON));
	assert_int_equal(copro_rtkit_engine_start_ep(&b.e, 0x20, &b.out), 0);
	sent(&b, 1, 0, STARTEP(0x20));
	assert_true(copro_rtkit_engine_started(&b.e, 0x20));
	assert_int_equal(copro_rtkit_engine_check_send(&b.e, 0x20), 0);
	copro_rtkit_engine_send_failed(&b.e, 0, STARTEP(0x20), -EIO);
	assert_false(copro_rtkit_engine_started(&b.e, 0x20));
	assert_int_equal(copro_rtkit_engine_check_send(&b.e, 0x20), -EINVAL);
	/* Its messages are refused until it is started. */
	rx(&b, 0x20, 5);
	assert_int_equal(b.out.n_ev, 0);
	assert_int_equal(copro_rtkit_engine_start_ep(&b.e, 0x20, &b.out), 0);
	sent(&b, 1, 0, STARTEP(0x20));
	/* Started already: nothing more to send. */
	assert_int_equal(copro_rtkit_engine_start_ep(&b.e, 0x20, &b.out), 0);
	sent(&b, 0);
	rx(&b, 0x20, 5);
	assert_int_equal(event(&b, 0, COPRO_RTKIT_EV_RECV)->msg, 5);
	assert_true(copro_rtkit_engine_running(&b.e));
}

/* A timed-out boot is abandoned; the next one starts afresh. */
static void test_abort(void **state)
{
	struct bench b;

	(void)state;
	init(&b, NULL);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	copro_rtkit_engine_abort(&b.e);
	assert_int_equal(copro_rtkit_engine_phase(&b.e), COPRO_RTKIT_PHASE_IDLE);
	assert_int_equal(copro_rtkit_engine_boot(&b.e, &b.out), 0);
	assert_int_equal(copro_rtkit_engine_phase(&b.e), COPRO_RTKIT_PHASE_WAIT_HELLO);
	assert_string_equal(copro_rtkit_phase_name(COPRO_RTKIT_PHASE_TAKEOVER_IOP),
			    "taking over: waiting for the IOP SLEEP ACK");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_of),
		cmocka_unit_test(test_boot),
		cmocka_unit_test(test_hello_first),
		cmocka_unit_test(test_wake_on_boot),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_out_of_sequence),
		cmocka_unit_test(test_restart_while_running),
		cmocka_unit_test(test_restart_mid_handshake),
		cmocka_unit_test(test_restart_during_power_request),
		cmocka_unit_test(test_shutdown_wake),
		cmocka_unit_test(test_idle_wake),
		cmocka_unit_test(test_takeover_running),
		cmocka_unit_test(test_takeover_asleep),
		cmocka_unit_test(test_poweroff),
		cmocka_unit_test(test_buffer_requests),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_ioreport),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_app_endpoints),
		cmocka_unit_test(test_send_failed),
		cmocka_unit_test(test_abort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
