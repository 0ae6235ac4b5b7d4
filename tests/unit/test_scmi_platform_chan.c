/* SPDX-License-Identifier: MIT */
/*
 * The SCMI platform model's channels, driven as raw hardware (SMC calls
 * and shared-memory words, no agent): the SMC and -param triggers, a
 * spurious trigger, malformed areas (released with CHANNEL_ERROR, the
 * channel still usable), the a2p interrupt following the agent's flags,
 * every fault injection as the area shows it, and the P2A channel: delayed
 * responses, notifications, the queue behind a busy area, the mailbox
 * events and their acknowledgement.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <copro/driver/smccc.h>
#include <copro/regs/smc_mbox.h>
#include <copro/sim/bus.h>

#include "test_scmi.h"

/* scmi-smc: agent 1's base channel (-param), its perf channel (a2p). */
#define SMC_FID 0x82000010u
#define BASE_AREA 0x50000000ull
#define PERF_AREA 0x50000080ull
#define PERF_A2P_LINE (32 + 40)
/* scmi-mbox: agent 1's channels on the SMC mailbox. */
#define MBOX_FID 0x82000020u
#define MBOX_LINE (32 + 42)
#define TX_AREA 0x50000000ull
#define RX_AREA 0x50000080ull

struct fx {
	struct test_scmi t;
	struct copro_mmio *a, *b;
};

static int setup_smc(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	test_scmi_open(&f->t, "scmi-smc", true);
	assert_int_equal(copro_mmio_map(f->t.p, BASE_AREA, 0x80, &f->a), 0);
	assert_int_equal(copro_mmio_map(f->t.p, PERF_AREA, 0x80, &f->b), 0);
	*state = f;
	return 0;
}

static int setup_mbox(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	test_scmi_open(&f->t, "scmi-mbox", true);
	assert_int_equal(copro_mmio_map(f->t.p, TX_AREA, 0x80, &f->a), 0);
	assert_int_equal(copro_mmio_map(f->t.p, RX_AREA, 0x80, &f->b), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	copro_mmio_unmap(f->a);
	copro_mmio_unmap(f->b);
	test_scmi_close(&f->t);
	free(f);
	return 0;
}

/* An agent's command into an area: busy, flags, length, header, payload. */
static void put_cmd(struct copro_mmio *m, uint32_t flags, uint32_t hdr,
		    const uint32_t *w, unsigned nw)
{
	copro_writel(m, SCMI_SHMEM_STATUS, 0);
	copro_writel(m, SCMI_SHMEM_FLAGS, flags);
	copro_writel(m, SCMI_SHMEM_LENGTH, 4 + 4 * nw);
	copro_writel(m, SCMI_SHMEM_HEADER, hdr);
	for (unsigned i = 0; i < nw; i++)
		copro_writel(m, SCMI_SHMEM_PAYLOAD + 4 * i, w[i]);
}

static uint64_t smc(struct fx *f, uint32_t fid, uint64_t x1, uint64_t x2)
{
	struct copro_smccc_regs r;
	uint64_t args[2] = { x1, x2 };

	assert_int_equal(copro_smccc_call(f->t.p, COPRO_CONDUIT_SMC, fid, args,
					  2, &r),
			 0);
	return r.x[0];
}

/* The base channel's SMC: page and offset of its area. */
static uint64_t smc_base(struct fx *f)
{
	return smc(f, SMC_FID, BASE_AREA >> 12, BASE_AREA & 0xfff);
}

static uint32_t rd(struct copro_mmio *m, uint64_t off)
{
	return copro_readl(m, off);
}

static uint32_t version_hdr(unsigned token)
{
	return scmi_hdr(SCMI_PROTO_BASE, SCMI_PROTOCOL_VERSION, 0, token);
}

/* ---- triggers and areas ---------------------------------------------------- */

static void test_smc_param(void **state)
{
	struct fx *f = *state;

	put_cmd(f->a, 0, version_hdr(9), NULL, 0);
	assert_int_equal(smc_base(f), 0);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS), SCMI_SHMEM_STATUS_FREE);
	assert_int_equal(rd(f->a, SCMI_SHMEM_LENGTH), 12);
	assert_int_equal(rd(f->a, SCMI_SHMEM_HEADER), version_hdr(9));
	assert_int_equal(rd(f->a, SCMI_SHMEM_PAYLOAD), SCMI_SUCCESS);
	assert_int_equal(rd(f->a, SCMI_SHMEM_PAYLOAD + 4), SCMI_VERSION(2, 0));

	/* A page and offset no channel has: refused, the area untouched. */
	put_cmd(f->a, 0, version_hdr(10), NULL, 0);
	assert_int_equal(smc(f, SMC_FID, BASE_AREA >> 12, 0x40),
			 (uint32_t)COPRO_SMCCC_RET_INVALID_PARAMETER);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS), 0);
	/* An id nobody serves: NOT_SUPPORTED from the firmware. */
	assert_int_equal(smc(f, 0x82000099u, 0, 0),
			 (uint32_t)COPRO_SMCCC_RET_NOT_SUPPORTED);
}

static void test_spurious_and_malformed(void **state)
{
	struct fx *f = *state;
	struct copro_sim_scmi_stats st;

	/* A trigger with a free area: nothing to do, nothing done. */
	copro_writel(f->a, SCMI_SHMEM_STATUS, SCMI_SHMEM_STATUS_FREE);
	copro_writel(f->a, SCMI_SHMEM_HEADER, 0x1234);
	assert_int_equal(smc_base(f), 0);
	assert_int_equal(rd(f->a, SCMI_SHMEM_HEADER), 0x1234);
	copro_sim_scmi_get_stats(f->t.plat, &st);
	assert_int_equal(st.spurious, 1);

	/* Lengths under the header or past the area: CHANNEL_ERROR. */
	put_cmd(f->a, 0, version_hdr(1), NULL, 0);
	copro_writel(f->a, SCMI_SHMEM_LENGTH, 2);
	assert_int_equal(smc_base(f), 0);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS),
			 SCMI_SHMEM_STATUS_FREE | SCMI_SHMEM_STATUS_ERROR);
	put_cmd(f->a, 0, version_hdr(2), NULL, 0);
	copro_writel(f->a, SCMI_SHMEM_LENGTH, 0x80 - SCMI_SHMEM_HEADER + 4);
	assert_int_equal(smc_base(f), 0);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS),
			 SCMI_SHMEM_STATUS_FREE | SCMI_SHMEM_STATUS_ERROR);
	copro_sim_scmi_get_stats(f->t.plat, &st);
	assert_int_equal(st.channel_errors, 2);
	/* The longest length that fits is fine. */
	put_cmd(f->a, 0, version_hdr(3), NULL, 0);
	copro_writel(f->a, SCMI_SHMEM_LENGTH, 0x80 - SCMI_SHMEM_HEADER);
	assert_int_equal(smc_base(f), 0);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS), SCMI_SHMEM_STATUS_FREE);
	assert_int_equal((int32_t)rd(f->a, SCMI_SHMEM_PAYLOAD), SCMI_PROTOCOL_ERROR);
	/* And the channel still works. */
	put_cmd(f->a, 0, version_hdr(4), NULL, 0);
	assert_int_equal(smc_base(f), 0);
	assert_int_equal(rd(f->a, SCMI_SHMEM_PAYLOAD), SCMI_SUCCESS);
}

struct area_wait {
	struct copro_mmio *m;
	uint32_t status;
};

static bool area_is(void *arg)
{
	struct area_wait *w = arg;

	return copro_readl(w->m, SCMI_SHMEM_STATUS) == w->status;
}

static void wait_status(struct copro_mmio *m, uint32_t status)
{
	struct area_wait w = { m, status };

	assert_true(test_wait_until(area_is, &w, TEST_TIMEOUT_NS));
}

struct line_wait {
	struct copro_bus *bus;
	unsigned line;
};

static bool line_up(void *arg)
{
	struct line_wait *w = arg;

	return copro_bus_irq_get(w->bus, w->line);
}

static void test_a2p_interrupt(void **state)
{
	struct fx *f = *state;
	uint32_t hdr = scmi_hdr(SCMI_PROTO_PERF, SCMI_PERF_LEVEL_GET, 0, 3);
	uint32_t dom = 0;
	struct line_wait lw = { f->t.bus, PERF_A2P_LINE };

	/* Answered by the firmware thread, then the interrupt. */
	put_cmd(f->b, SCMI_SHMEM_FLAGS_INTR, hdr, &dom, 1);
	assert_int_equal(smc(f, SMC_FID, PERF_AREA >> 12, PERF_AREA & 0xfff),
			 0);
	wait_status(f->b, SCMI_SHMEM_STATUS_FREE);
	assert_true(test_wait_until(line_up, &lw, TEST_TIMEOUT_NS));
	assert_int_equal(rd(f->b, SCMI_SHMEM_HEADER), hdr);
	assert_int_equal(rd(f->b, SCMI_SHMEM_PAYLOAD + 4), 600);
	/* The next trigger acknowledges it; a polling agent gets none. */
	put_cmd(f->b, 0, hdr, &dom, 1);
	assert_int_equal(smc(f, SMC_FID, PERF_AREA >> 12, PERF_AREA & 0xfff),
			 0);
	assert_false(copro_bus_irq_get(f->t.bus, PERF_A2P_LINE));
	wait_status(f->b, SCMI_SHMEM_STATUS_FREE);
	assert_false(copro_bus_irq_get(f->t.bus, PERF_A2P_LINE));
}

/* ---- faults ------------------------------------------------------------------------ */

static void inject(struct fx *f, enum copro_sim_scmi_fault_kind kind,
		   unsigned count, uint64_t param, bool p2a)
{
	struct copro_sim_scmi_fault fault = { kind, count, param, p2a };

	assert_int_equal(copro_sim_scmi_inject(f->t.plat, 1, &fault), 0);
}

/* PROTOCOL_VERSION on the base channel, as the fault leaves it. */
static void version_cmd(struct fx *f, unsigned token)
{
	put_cmd(f->a, 0, version_hdr(token), NULL, 0);
	assert_int_equal(smc_base(f), 0);
}

static void test_fault_answers(void **state)
{
	struct fx *f = *state;
	struct copro_sim_scmi_stats st;

	inject(f, COPRO_SIM_SCMI_FAULT_WRONG_TOKEN, 1, 0, false);
	version_cmd(f, 7);
	assert_int_equal(rd(f->a, SCMI_SHMEM_HEADER), version_hdr(8));
	inject(f, COPRO_SIM_SCMI_FAULT_SHORT, 1, 0, false);
	version_cmd(f, 7);
	assert_int_equal(rd(f->a, SCMI_SHMEM_LENGTH), 8);
	inject(f, COPRO_SIM_SCMI_FAULT_OVERLONG, 1, 0, false);
	version_cmd(f, 7);
	assert_int_equal(rd(f->a, SCMI_SHMEM_LENGTH),
			 0x80 - SCMI_SHMEM_HEADER + 4);
	inject(f, COPRO_SIM_SCMI_FAULT_BAD_STATUS, 1, (uint32_t)-42, false);
	version_cmd(f, 7);
	assert_int_equal(rd(f->a, SCMI_SHMEM_PAYLOAD), (uint32_t)-42);
	inject(f, COPRO_SIM_SCMI_FAULT_LEAVE_BUSY, 1, 0, false);
	version_cmd(f, 7);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS), 0);
	assert_int_equal(rd(f->a, SCMI_SHMEM_PAYLOAD + 4), SCMI_VERSION(2, 0));
	inject(f, COPRO_SIM_SCMI_FAULT_CHANNEL_ERROR, 1, 0, false);
	version_cmd(f, 7);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS),
			 SCMI_SHMEM_STATUS_FREE | SCMI_SHMEM_STATUS_ERROR);
	assert_int_equal(rd(f->a, SCMI_SHMEM_HEADER), version_hdr(7));
	inject(f, COPRO_SIM_SCMI_FAULT_GARBAGE, 1, 0, false);
	version_cmd(f, 7);
	assert_true(rd(f->a, SCMI_SHMEM_STATUS) & SCMI_SHMEM_STATUS_FREE);
	assert_int_not_equal(rd(f->a, SCMI_SHMEM_HEADER), version_hdr(7));
	/* Each took one message; the next is answered as it should be. */
	version_cmd(f, 7);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS), SCMI_SHMEM_STATUS_FREE);
	assert_int_equal(rd(f->a, SCMI_SHMEM_LENGTH), 12);
	assert_int_equal(rd(f->a, SCMI_SHMEM_HEADER), version_hdr(7));
	copro_sim_scmi_get_stats(f->t.plat, &st);
	assert_int_equal(st.faults, 7);
}

static void test_fault_never_and_count(void **state)
{
	struct fx *f = *state;

	/* Taken, never answered: the area stays busy... */
	inject(f, COPRO_SIM_SCMI_FAULT_NEVER, 1, 0, false);
	version_cmd(f, 1);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS), 0);
	assert_int_equal(rd(f->a, SCMI_SHMEM_HEADER), version_hdr(1));
	/* ...until the agent rings again: the platform finds it waiting. */
	assert_int_equal(smc_base(f), 0);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS), SCMI_SHMEM_STATUS_FREE);

	/* A count: two messages, then no more; 0: until cleared. */
	inject(f, COPRO_SIM_SCMI_FAULT_BAD_STATUS, 2, SCMI_BUSY, false);
	for (unsigned i = 0; i < 3; i++) {
		version_cmd(f, i);
		assert_int_equal((int32_t)rd(f->a, SCMI_SHMEM_PAYLOAD),
				 i < 2 ? SCMI_BUSY : SCMI_SUCCESS);
	}
	inject(f, COPRO_SIM_SCMI_FAULT_BAD_STATUS, 0, SCMI_BUSY, false);
	for (unsigned i = 0; i < 3; i++) {
		version_cmd(f, i);
		assert_int_equal((int32_t)rd(f->a, SCMI_SHMEM_PAYLOAD),
				 SCMI_BUSY);
	}
	inject(f, COPRO_SIM_SCMI_FAULT_NONE, 0, 0, false);
	version_cmd(f, 4);
	assert_int_equal(rd(f->a, SCMI_SHMEM_PAYLOAD), SCMI_SUCCESS);
}

static void test_fault_late_a2p(void **state)
{
	struct fx *f = *state;
	uint32_t hdr = scmi_hdr(SCMI_PROTO_PERF, SCMI_PERF_LEVEL_GET, 0, 3);
	uint32_t dom = 0;

	/* A second late: well past the moment we look. */
	inject(f, COPRO_SIM_SCMI_FAULT_LATE, 1, COPRO_NSEC_PER_SEC, false);
	put_cmd(f->b, SCMI_SHMEM_FLAGS_INTR, hdr, &dom, 1);
	assert_int_equal(smc(f, SMC_FID, PERF_AREA >> 12, PERF_AREA & 0xfff),
			 0);
	assert_int_equal(rd(f->b, SCMI_SHMEM_STATUS), 0);
	wait_status(f->b, SCMI_SHMEM_STATUS_FREE);
	assert_int_equal(rd(f->b, SCMI_SHMEM_PAYLOAD + 4), 600);
}

/* ---- the P2A channel (scmi-mbox) ---------------------------------------------------------- */

static uint64_t mbox(struct fx *f, uint32_t chan, unsigned op,
		     struct copro_smccc_regs *r)
{
	uint64_t args[3] = { chan, op, 0 };

	assert_int_equal(copro_smccc_call(f->t.p, COPRO_CONDUIT_SMC, MBOX_FID,
					  args, 3, r),
			 0);
	return r->x[0];
}

/* A command on the tx channel: the mailbox send answers it in place. */
static void mbox_cmd(struct fx *f, unsigned proto, unsigned msg, unsigned token,
		     const uint32_t *w, unsigned nw)
{
	struct copro_smccc_regs r;

	put_cmd(f->a, 0, scmi_hdr(proto, msg, 0, token), w, nw);
	assert_int_equal(mbox(f, 0, COPRO_SMC_MBOX_SEND, &r), 0);
	assert_int_equal(rd(f->a, SCMI_SHMEM_STATUS), SCMI_SHMEM_STATUS_FREE);
	assert_int_equal(rd(f->a, SCMI_SHMEM_PAYLOAD), SCMI_SUCCESS);
}

struct recv_wait {
	struct fx *f;
	struct copro_smccc_regs r;
};

static bool event_taken(void *arg)
{
	struct recv_wait *rw = arg;

	return mbox(rw->f, 1, COPRO_SMC_MBOX_RECV, &rw->r) == 0;
}

/* The next P2A message: header and words, then released and acked. */
static void p2a_take(struct fx *f, uint32_t *hdr, uint32_t *w, unsigned nw)
{
	struct recv_wait rw = { .f = f };
	struct copro_smccc_regs r;

	wait_status(f->b, 0);
	/*
	 * Its mailbox event is queued for the receive channel: the platform
	 * rings after it has written the area, as firmware does, so the
	 * area may be seen busy a moment before the event is there.
	 */
	assert_true(test_wait_until(event_taken, &rw, TEST_TIMEOUT_NS));
	assert_int_equal(rw.r.x[1], 0);
	assert_int_equal(rd(f->b, SCMI_SHMEM_FLAGS), SCMI_SHMEM_FLAGS_INTR);
	assert_int_equal(rd(f->b, SCMI_SHMEM_LENGTH), 4 + 4 * nw);
	*hdr = rd(f->b, SCMI_SHMEM_HEADER);
	for (unsigned i = 0; i < nw; i++)
		w[i] = rd(f->b, SCMI_SHMEM_PAYLOAD + 4 * i);
	copro_writel(f->b, SCMI_SHMEM_STATUS, SCMI_SHMEM_STATUS_FREE);
	assert_int_equal(mbox(f, 1, COPRO_SMC_MBOX_SEND, &r), 0);
}

static void test_p2a_delayed_response(void **state)
{
	struct fx *f = *state;
	uint32_t set[4] = { SCMI_CLOCK_SET_ASYNC, 2, 50000000, 0 };
	uint32_t hdr, w[4];
	struct copro_smccc_regs r;
	struct line_wait lw = { f->t.bus, MBOX_LINE };

	/* The receive channel's events raise the line once enabled. */
	assert_int_equal(mbox(f, 1, COPRO_SMC_MBOX_RX_ENABLE, &r), 0);
	mbox_cmd(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, 77, set, 4);
	assert_true(test_wait_until(line_up, &lw, TEST_TIMEOUT_NS));
	/* CLOCK_RATE_SET_COMPLETE: status, clock, rate; the token echoed. */
	p2a_take(f, &hdr, w, 4);
	assert_int_equal(hdr, scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET,
				       SCMI_MSG_DELAYED_RESP, 77));
	assert_int_equal(w[0], SCMI_SUCCESS);
	assert_int_equal(w[1], 2);
	assert_int_equal(w[2], 50000000);
	assert_int_equal(w[3], 0);
	assert_false(copro_bus_irq_get(f->t.bus, MBOX_LINE));
	assert_int_equal(mbox(f, 1, COPRO_SMC_MBOX_RECV, &r),
			 (uint32_t)COPRO_SMCCC_RET_NOT_REQUIRED);

	/* The others: SENSOR_READING_COMPLETE and RESET_COMPLETE. */
	uint32_t rd_async[2] = { 0, SCMI_SENSOR_READ_ASYNC };

	mbox_cmd(f, SCMI_PROTO_SENSOR, SCMI_SENSOR_READING_GET, 78, rd_async, 2);
	p2a_take(f, &hdr, w, 4);
	assert_int_equal(hdr, scmi_hdr(SCMI_PROTO_SENSOR,
				       SCMI_SENSOR_READING_GET,
				       SCMI_MSG_DELAYED_RESP, 78));
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], 45250);
	uint32_t rst[3] = { 1, SCMI_RESET_AUTONOMOUS | SCMI_RESET_ASYNC, 0 };

	mbox_cmd(f, SCMI_PROTO_RESET, SCMI_RESET_RESET, 79, rst, 3);
	p2a_take(f, &hdr, w, 2);
	assert_int_equal(hdr, scmi_hdr(SCMI_PROTO_RESET, SCMI_RESET_RESET,
				       SCMI_MSG_DELAYED_RESP, 79));
	assert_int_equal(w[0], SCMI_SUCCESS);
	assert_int_equal(w[1], 1);
}

static void test_p2a_notifications(void **state)
{
	struct fx *f = *state;
	uint32_t on[2] = { 0, SCMI_NOTIFY_ENABLE };
	uint32_t set[4] = { 0, 0, 900000000, 0 };
	uint32_t lim[3] = { 1, 200, 100 };
	uint32_t hdr, w[4];

	mbox_cmd(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_NOTIFY, 1, on, 2);
	mbox_cmd(f, SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, 2, set, 4);
	p2a_take(f, &hdr, w, 4);
	assert_int_equal(scmi_hdr_type(hdr), SCMI_MSG_NOTIFICATION);
	assert_int_equal(scmi_hdr_proto(hdr), SCMI_PROTO_CLOCK);
	assert_int_equal(scmi_hdr_msg(hdr), SCMI_CLOCK_EVT_RATE_CHANGED);
	assert_int_equal(w[0], 1); /* the agent that caused it */
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], 900000000);

	/* Narrower limits: LIMITS_CHANGED, then the level it moved to. */
	on[0] = 1;
	mbox_cmd(f, SCMI_PROTO_PERF, SCMI_PERF_NOTIFY_LIMITS, 3, on, 2);
	mbox_cmd(f, SCMI_PROTO_PERF, SCMI_PERF_NOTIFY_LEVEL, 4, on, 2);
	mbox_cmd(f, SCMI_PROTO_PERF, SCMI_PERF_LIMITS_SET, 5, lim, 3);
	p2a_take(f, &hdr, w, 4);
	assert_int_equal(hdr & ~(SCMI_HDR_TOKEN_MASK << SCMI_HDR_TOKEN_SHIFT),
			 scmi_hdr(SCMI_PROTO_PERF, SCMI_PERF_EVT_LIMITS_CHANGED,
				  SCMI_MSG_NOTIFICATION, 0));
	assert_int_equal(w[1], 1);
	assert_int_equal(w[2], 200);
	assert_int_equal(w[3], 100);
	p2a_take(f, &hdr, w, 3);
	assert_int_equal(scmi_hdr_msg(hdr), SCMI_PERF_EVT_LEVEL_CHANGED);
	assert_int_equal(w[2], 200);

	/* The platform's own: a cap, and a system shutdown. */
	assert_int_equal(copro_sim_scmi_perf_cap(f->t.plat, 1, 100, 100), 0);
	p2a_take(f, &hdr, w, 4);
	assert_int_equal(w[0], 0);
	p2a_take(f, &hdr, w, 3);
	assert_int_equal(w[2], 100);
}

static void test_p2a_queue_and_faults(void **state)
{
	struct fx *f = *state;
	uint32_t on = SCMI_NOTIFY_ENABLE, hdr, w[4];
	struct copro_smccc_regs r;

	mbox_cmd(f, SCMI_PROTO_SYSTEM, SCMI_SYS_STATE_NOTIFY, 1, &on, 1);
	/* Three events while the agent sits on the first. */
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(copro_sim_scmi_system_event(
					 f->t.plat, SCMI_SYS_SHUTDOWN + i,
					 i == 0, 500),
				 0);
	for (unsigned i = 0; i < 3; i++) {
		p2a_take(f, &hdr, w, 4);
		assert_int_equal(scmi_hdr_proto(hdr), SCMI_PROTO_SYSTEM);
		assert_int_equal(w[0], 0);
		assert_int_equal(w[1], i == 0 ? SCMI_SYS_SET_GRACEFUL : 0);
		assert_int_equal(w[2], SCMI_SYS_SHUTDOWN + i);
		assert_int_equal(w[3], i == 0 ? 500 : 0);
	}
	/* A P2A fault: the token of a delayed response, off by one. */
	inject(f, COPRO_SIM_SCMI_FAULT_WRONG_TOKEN, 1, 0, true);
	uint32_t rd_async[2] = { 0, SCMI_SENSOR_READ_ASYNC };

	mbox_cmd(f, SCMI_PROTO_SENSOR, SCMI_SENSOR_READING_GET, 40, rd_async, 2);
	p2a_take(f, &hdr, w, 4);
	assert_int_equal(scmi_hdr_token(hdr), 41);
	/* Lost on the way: nothing reaches the area. */
	inject(f, COPRO_SIM_SCMI_FAULT_NEVER, 1, 0, true);
	mbox_cmd(f, SCMI_PROTO_SENSOR, SCMI_SENSOR_READING_GET, 42, rd_async, 2);
	mbox_cmd(f, SCMI_PROTO_SENSOR, SCMI_SENSOR_READING_GET, 43, rd_async, 2);
	p2a_take(f, &hdr, w, 4);
	assert_int_equal(scmi_hdr_token(hdr), 43);
	assert_int_equal(mbox(f, 1, COPRO_SMC_MBOX_RECV, &r),
			 (uint32_t)COPRO_SMCCC_RET_NOT_REQUIRED);
}

static void test_p2a_errors_report(void **state)
{
	struct fx *f = *state;
	uint32_t on = SCMI_NOTIFY_ENABLE, bad[1] = { 9 }, hdr, w[5];
	struct copro_smccc_regs r;

	mbox_cmd(f, SCMI_PROTO_BASE, SCMI_BASE_NOTIFY_ERRORS, 1, &on, 1);
	/* Agent 1 fails a command; the platform reports it. */
	put_cmd(f->a, 0, scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_GET, 0, 66),
		bad, 1);
	assert_int_equal(mbox(f, 0, COPRO_SMC_MBOX_SEND, &r), 0);
	assert_int_equal((int32_t)rd(f->a, SCMI_SHMEM_PAYLOAD), SCMI_NOT_FOUND);
	assert_int_equal(copro_sim_scmi_report_error(f->t.plat, 1, true), 0);
	p2a_take(f, &hdr, w, 4);
	assert_int_equal(scmi_hdr_proto(hdr), SCMI_PROTO_BASE);
	assert_int_equal(scmi_hdr_msg(hdr), SCMI_BASE_EVT_ERROR);
	assert_int_equal(w[0], 1);
	assert_int_equal(w[1], SCMI_BASE_ERROR_FATAL | 1);
	assert_int_equal(w[2], scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_GET,
					0, 66));
	assert_int_equal(w[3], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_smc_param, setup_smc,
						teardown),
		cmocka_unit_test_setup_teardown(test_spurious_and_malformed,
						setup_smc, teardown),
		cmocka_unit_test_setup_teardown(test_a2p_interrupt, setup_smc,
						teardown),
		cmocka_unit_test_setup_teardown(test_fault_answers, setup_smc,
						teardown),
		cmocka_unit_test_setup_teardown(test_fault_never_and_count,
						setup_smc, teardown),
		cmocka_unit_test_setup_teardown(test_fault_late_a2p, setup_smc,
						teardown),
		cmocka_unit_test_setup_teardown(test_p2a_delayed_response,
						setup_mbox, teardown),
		cmocka_unit_test_setup_teardown(test_p2a_notifications,
						setup_mbox, teardown),
		cmocka_unit_test_setup_teardown(test_p2a_queue_and_faults,
						setup_mbox, teardown),
		cmocka_unit_test_setup_teardown(test_p2a_errors_report,
						setup_mbox, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
