/* SPDX-License-Identifier: MIT */
/*
 * The SMC/HVC mailbox as a generic mailbox, with no SCMI in sight: the
 * controller driver over its firmware (a dispatcher and the SMC mailbox
 * firmware on a bus of the test's own). Probe checks; channels the
 * firmware has or not; sends with their bytes and the reply registers;
 * receive with the interrupt, in order, through a full ring (the
 * firmware holds the rest); events queued before binding; a channel
 * without the interrupt; the HVC variant; polled operation; a discard
 * taking what the firmware still holds; a firmware that never runs dry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <copro/driver/mbox_controller.h>
#include <copro/error.h>
#include <copro/mbox.h>
#include <copro/regs/smc_mbox.h>
#include <copro/sim/smc_mbox_fw.h>
#include <copro/sim/smccc_fw.h>
#include <copro/smc_mbox.h>

#include "testutil.h"

#define FID 0x82000050u
#define HVC_FID 0x86000050u
#define FID64 0xc2000050u
#define LINE 77 /* SPI 45 */

/* Send-only channel 3; send and receive channel 4; receive-only 5. */
struct fw_side {
	uint8_t last[COPRO_SMC_MBOX_MTU];
	size_t last_len;
	uint32_t last_chan;
	unsigned sends;
};

struct fx {
	struct test_logcap cap;
	char blob[2048];
	struct copro_dt *dt;
	struct copro_bus *bus;
	struct copro_platform *p;
	struct copro_sim_smccc *el3, *el2;
	struct copro_sim_smc_mbox *fw, *hfw;
	struct fw_side side;
	struct copro_smc_mbox *drv;
};

static void fw_send(void *ctx, uint32_t chan, const void *msg, size_t len,
		    struct copro_smccc_regs *out)
{
	struct fw_side *s = ctx;

	memcpy(s->last, msg, len);
	s->last_len = len;
	s->last_chan = chan;
	s->sends++;
	out->x[1] = 0x1111;
	out->x[2] = 0x2222;
	out->x[3] = len;
}

static const struct copro_sim_smc_mbox_chan_ops fw_ops = { .send = fw_send };

static void prop_u32s(void *b, const char *name, unsigned n, ...)
{
	fdt32_t v[8];
	va_list ap;

	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		v[i] = cpu_to_fdt32(va_arg(ap, uint32_t));
	va_end(ap);
	assert_int_equal(fdt_property(b, name, v, 4 * n), 0);
}

static void mbox_node(void *b, const char *name, const char *compat,
		      uint32_t fid, unsigned cells, unsigned line)
{
	assert_int_equal(fdt_begin_node(b, name), 0);
	assert_int_equal(fdt_property_string(b, "compatible", compat), 0);
	prop_u32s(b, "arm,func-id", 1, fid);
	prop_u32s(b, "#mbox-cells", 1, cells);
	if (line)
		prop_u32s(b, "interrupts", 3, 0, line - 32, 4);
	assert_int_equal(fdt_end_node(b), 0);
}

static void build_dt(struct fx *f)
{
	void *b = f->blob;

	assert_int_equal(fdt_create(b, sizeof(f->blob)), 0);
	assert_int_equal(fdt_finish_reservemap(b), 0);
	assert_int_equal(fdt_begin_node(b, ""), 0);
	prop_u32s(b, "#address-cells", 1, 2);
	prop_u32s(b, "#size-cells", 1, 2);
	prop_u32s(b, "interrupt-parent", 1, 1);
	assert_int_equal(fdt_begin_node(b, "gic"), 0);
	assert_int_equal(fdt_property_string(b, "compatible", "arm,gic-v3"), 0);
	prop_u32s(b, "#interrupt-cells", 1, 3);
	assert_int_equal(fdt_property(b, "interrupt-controller", NULL, 0), 0);
	prop_u32s(b, "phandle", 1, 1);
	assert_int_equal(fdt_end_node(b), 0);
	mbox_node(b, "mbox", "arm,smc-mbox", FID, 1, LINE);
	mbox_node(b, "mbox-noirq", "arm,smc-mbox", FID, 1, 0);
	mbox_node(b, "mbox-hvc", "arm,hvc-mbox", HVC_FID, 1, LINE + 1);
	mbox_node(b, "bad-cells", "arm,smc-mbox", FID, 0, 0);
	mbox_node(b, "bad-fid", "arm,smc-mbox", 0x02000050u, 1, 0);
	mbox_node(b, "not-smc", "vendor,other-mbox", FID, 1, 0);
	mbox_node(b, "mbox64", "arm,smc-mbox", FID64, 1, 0);
	assert_int_equal(fdt_end_node(b), 0);
	assert_int_equal(fdt_finish(b), 0);
	assert_int_equal(copro_dt_open(b, fdt_totalsize(b), "smc-mbox-test",
				       test_logcap_log(&f->cap), &f->dt),
			 0);
}

static int node(struct fx *f, const char *path)
{
	int n = copro_dt_path(f->dt, path);

	assert_true(n >= 0);
	return n;
}

static void open_fx(struct fx *f, bool threaded)
{
	assert_int_equal(test_logcap_init(&f->cap), 0);
	build_dt(f);
	assert_int_equal(test_platform_create(f->dt, test_logcap_log(&f->cap),
					      threaded, &f->bus, &f->p),
			 0);
	assert_int_equal(copro_sim_smccc_create(f->bus, COPRO_CONDUIT_SMC,
						&f->el3),
			 0);
	assert_int_equal(copro_sim_smccc_create(f->bus, COPRO_CONDUIT_HVC,
						&f->el2),
			 0);
	assert_int_equal(copro_sim_smc_mbox_create(f->bus, f->el3,
						   node(f, "/mbox"), &f->fw),
			 0);
	assert_int_equal(copro_sim_smc_mbox_add_chan(f->fw, 3,
						     COPRO_SMC_MBOX_CAN_SEND,
						     &fw_ops, &f->side),
			 0);
	assert_int_equal(copro_sim_smc_mbox_add_chan(
				 f->fw, 4,
				 COPRO_SMC_MBOX_CAN_SEND | COPRO_SMC_MBOX_CAN_RECV,
				 &fw_ops, &f->side),
			 0);
	assert_int_equal(copro_sim_smc_mbox_add_chan(f->fw, 5,
						     COPRO_SMC_MBOX_CAN_RECV,
						     NULL, NULL),
			 0);
	assert_int_equal(copro_smc_mbox_probe(f->p, node(f, "/mbox"), &f->drv),
			 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	open_fx(f, true);
	*state = f;
	return 0;
}

static int setup_polled(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	open_fx(f, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(copro_smc_mbox_remove(f->drv), 0);
	if (f->hfw) {
		copro_sim_smc_mbox_remove_chan(f->hfw, 0);
		copro_sim_smc_mbox_destroy(f->hfw);
	}
	if (f->fw) {
		copro_sim_smc_mbox_remove_chan(f->fw, 3);
		copro_sim_smc_mbox_remove_chan(f->fw, 4);
		copro_sim_smc_mbox_remove_chan(f->fw, 5);
		copro_sim_smc_mbox_destroy(f->fw);
	}
	copro_sim_smccc_destroy(f->el2);
	copro_sim_smccc_destroy(f->el3);
	test_platform_destroy(f->bus, f->p);
	copro_dt_close(f->dt);
	test_logcap_destroy(&f->cap);
	free(f);
	return 0;
}

struct rx_log {
	_Atomic unsigned n;
	uint8_t msgs[16][COPRO_SMC_MBOX_MTU];
	size_t lens[16];
};

static void rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
	       size_t len)
{
	struct rx_log *l = ctx;
	unsigned i = atomic_load(&l->n);

	(void)chan;
	if (i < 16) {
		memcpy(l->msgs[i], msg, len);
		l->lens[i] = len;
	}
	atomic_store(&l->n, i + 1);
}

static int bind(struct fx *f, uint32_t id, struct rx_log *l, unsigned ring,
		struct copro_mbox_chan **out)
{
	struct copro_mbox_client cl = {
		.ctx = l,
		.rx = l ? rx : NULL,
		.rx_ring = ring,
	};

	return copro_mbox_request(f->p, "mbox", id, &cl, out);
}

static void test_probe_checks(void **state)
{
	struct fx *f = *state;
	struct copro_smc_mbox *m;

	assert_false(copro_smc_mbox_is_hvc(f->drv));
	assert_non_null(copro_smc_mbox_controller(f->drv));
	assert_int_equal(copro_smc_mbox_probe(f->p, node(f, "/bad-cells"), &m),
			 -EINVAL);
	test_logcap_expect(&f->cap, "#mbox-cells = <0>, the SMC mailbox needs <1>");
	assert_int_equal(copro_smc_mbox_probe(f->p, node(f, "/bad-fid"), &m),
			 -EINVAL);
	test_logcap_expect(&f->cap, "the mailbox needs a fast call id");
	assert_int_equal(copro_smc_mbox_probe(f->p, node(f, "/not-smc"), &m),
			 -ENODEV);
}

static void test_send_and_reply(void **state)
{
	struct fx *f = *state;
	struct copro_mbox_chan *c;
	struct copro_smc_mbox_reply reply;
	size_t len = sizeof(reply);
	const uint8_t msg[5] = { 1, 2, 3, 4, 5 };
	struct copro_mbox_stats st;

	assert_int_equal(bind(f, 3, NULL, 0, &c), 0);
	assert_int_equal(copro_mbox_dir(c), COPRO_MBOX_DIR_TX);
	assert_int_equal(copro_mbox_txdone_mode(c), COPRO_MBOX_TXDONE_SYNC);
	/* An SMC32 id: 32-bit registers, 12 bytes of message. */
	assert_int_equal(copro_mbox_mtu(c), 12);
	/* The bytes arrive as sent; the firmware's registers come back. */
	assert_int_equal(copro_mbox_call(c, msg, sizeof(msg), &reply, &len), 0);
	assert_int_equal(len, sizeof(reply));
	assert_int_equal(f->side.last_chan, 3);
	assert_int_equal(f->side.last_len, 5);
	assert_memory_equal(f->side.last, msg, 5);
	assert_int_equal(reply.x[0], 0);
	assert_int_equal(reply.x[1], 0x1111);
	assert_int_equal(reply.x[3], 5);
	/* A doorbell, and a plain send completed at once. */
	assert_int_equal(copro_mbox_ring(c, 0), 0);
	assert_int_equal(f->side.last_len, 0);
	assert_int_equal(copro_mbox_send(c, msg, 3, 0), 0);
	assert_int_equal(f->side.sends, 3);
	copro_mbox_get_stats(c, &st);
	assert_int_equal(st.tx_done, 3);
	assert_int_equal(copro_mbox_send(c, msg, 13, 0),
			 -EMSGSIZE);
	/* A bound channel keeps the controller. */
	assert_int_equal(copro_smc_mbox_remove(f->drv), -EBUSY);
	copro_mbox_free(c);
}

static void test_unknown_channel(void **state)
{
	struct fx *f = *state;
	struct copro_mbox_chan *c;

	assert_int_equal(bind(f, 9, NULL, 0, &c), -ENOENT);
	test_logcap_expect(&f->cap, "no channel 9: the firmware answered"
				    " INVALID_PARAMETER");
}

struct rx_wait {
	struct rx_log *l;
	unsigned n;
	struct copro_mbox_chan *poll;
};

static bool rx_got(void *arg)
{
	struct rx_wait *w = arg;

	if (w->poll)
		copro_mbox_poll(w->poll);
	return atomic_load(&w->l->n) >= w->n;
}

static void test_receive_in_order_through_a_full_ring(void **state)
{
	struct fx *f = *state;
	struct rx_log l = { 0 };
	struct rx_wait w = { &l, 8, NULL };
	struct copro_mbox_chan *c;
	struct copro_mbox_stats st;

	/* Two queued before binding: they fire once it is bound. */
	for (uint8_t i = 0; i < 2; i++)
		assert_int_equal(copro_sim_smc_mbox_post(f->fw, 4, &i, 1), 0);
	assert_int_equal(bind(f, 4, &l, 2, &c), 0);
	assert_int_equal(copro_mbox_dir(c), COPRO_MBOX_DIR_BIDI);
	/* More than the ring holds: the firmware keeps the rest. */
	for (uint8_t i = 2; i < 8; i++)
		while (copro_sim_smc_mbox_post(f->fw, 4, &i, 1) == -ENOSPC)
			copro_sleep_ns(COPRO_NSEC_PER_MSEC);
	assert_true(test_wait_until(rx_got, &w, TEST_TIMEOUT_NS));
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(l.lens[i], 1);
		assert_int_equal(l.msgs[i][0], i);
	}
	/* A full message, every byte. */
	uint8_t big[12];

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(copro_sim_smc_mbox_post(f->fw, 4, big, sizeof(big)), 0);
	assert_int_equal(copro_sim_smc_mbox_post(f->fw, 4, big, 13), -EMSGSIZE);
	w.n = 9;
	assert_true(test_wait_until(rx_got, &w, TEST_TIMEOUT_NS));
	assert_memory_equal(l.msgs[8], big, sizeof(big));
	copro_mbox_get_stats(c, &st);
	assert_int_equal(st.received, 9);
	copro_mbox_free(c);
	assert_int_equal(copro_sim_smc_mbox_queued(f->fw, 4), 0);
	/* Unbound, the channel's events wait at the firmware. */
	assert_int_equal(copro_sim_smc_mbox_post(f->fw, 4, NULL, 0), 0);
	assert_int_equal(copro_sim_smc_mbox_queued(f->fw, 4), 1);
	assert_false(copro_bus_irq_get(f->bus, LINE));
}

static void test_receive_only_channel(void **state)
{
	struct fx *f = *state;
	struct rx_log l = { 0 };
	struct rx_wait w = { &l, 1, NULL };
	struct copro_mbox_chan *c;

	assert_int_equal(bind(f, 5, &l, 0, &c), 0);
	assert_int_equal(copro_mbox_dir(c), COPRO_MBOX_DIR_RX);
	assert_int_equal(copro_mbox_ring(c, 0), -EOPNOTSUPP);
	assert_int_equal(copro_sim_smc_mbox_post(f->fw, 5, NULL, 0), 0);
	assert_true(test_wait_until(rx_got, &w, TEST_TIMEOUT_NS));
	assert_int_equal(l.lens[0], 0);
	/* The firmware's queue is bounded. */
	copro_mbox_free(c);
	for (unsigned i = 0; i < COPRO_SIM_SMC_MBOX_DEPTH; i++)
		assert_int_equal(copro_sim_smc_mbox_post(f->fw, 5, NULL, 0), 0);
	assert_int_equal(copro_sim_smc_mbox_post(f->fw, 5, NULL, 0), -ENOSPC);
	assert_int_equal(copro_sim_smc_mbox_post(f->fw, 3, NULL, 0),
			 -EOPNOTSUPP);
	assert_int_equal(copro_sim_smc_mbox_post(f->fw, 8, NULL, 0), -ENOENT);
}

static void test_no_interrupt_no_receive(void **state)
{
	struct fx *f = *state;
	struct copro_smc_mbox *m;
	struct copro_mbox_chan *c;
	struct copro_mbox_client cl = { 0 };

	assert_int_equal(copro_smc_mbox_probe(f->p, node(f, "/mbox-noirq"), &m),
			 0);
	/* Same firmware (same id): channel 4 receives, but not without a line. */
	assert_int_equal(copro_mbox_request(f->p, "mbox-noirq", 4, &cl, &c), 0);
	assert_int_equal(copro_mbox_dir(c), COPRO_MBOX_DIR_TX);
	copro_mbox_free(c);
	assert_int_equal(copro_smc_mbox_remove(m), 0);
}

static void test_hvc_and_missing_firmware(void **state)
{
	struct fx *f = *state;
	struct copro_smc_mbox *m;
	struct copro_mbox_chan *c;
	struct copro_mbox_client cl = { 0 };
	uint8_t b = 7;

	assert_int_equal(copro_smc_mbox_probe(f->p, node(f, "/mbox-hvc"), &m),
			 0);
	assert_true(copro_smc_mbox_is_hvc(m));
	/* Nothing answers its id yet: the channel cannot start. */
	assert_int_equal(copro_mbox_request(f->p, "mbox-hvc", 0, &cl, &c),
			 -ENODEV);
	test_logcap_expect(&f->cap, "does not implement function id 0x86000050");
	/* The hypervisor's mailbox, through the HVC dispatcher. */
	assert_int_equal(copro_sim_smc_mbox_create(f->bus, f->el2,
						   node(f, "/mbox-hvc"), &f->hfw),
			 0);
	assert_int_equal(copro_sim_smc_mbox_add_chan(f->hfw, 0,
						     COPRO_SMC_MBOX_CAN_SEND,
						     &fw_ops, &f->side),
			 0);
	assert_int_equal(copro_mbox_request(f->p, "mbox-hvc", 0, &cl, &c), 0);
	assert_int_equal(copro_mbox_send(c, &b, 1, 0), 0);
	assert_int_equal(f->side.last[0], 7);
	assert_int_equal(f->side.last_chan, 0);
	copro_mbox_free(c);
	assert_int_equal(copro_smc_mbox_remove(m), 0);
}

/* An SMC64 id: 64-bit registers carry 24 bytes. */
static void test_smc64_mtu(void **state)
{
	struct fx *f = *state;
	struct copro_sim_smc_mbox *fw64;
	struct copro_smc_mbox *m;
	struct copro_mbox_chan *c;
	struct copro_mbox_client cl = { 0 };
	uint8_t msg[COPRO_SMC_MBOX_MTU];

	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(copro_sim_smc_mbox_create(f->bus, f->el3,
						   node(f, "/mbox64"), &fw64),
			 0);
	assert_int_equal(copro_sim_smc_mbox_add_chan(fw64, 3,
						     COPRO_SMC_MBOX_CAN_SEND,
						     &fw_ops, &f->side),
			 0);
	assert_int_equal(copro_smc_mbox_probe(f->p, node(f, "/mbox64"), &m), 0);
	assert_int_equal(copro_mbox_request(f->p, "mbox64", 3, &cl, &c), 0);
	assert_int_equal(copro_mbox_mtu(c), 24);
	assert_int_equal(copro_mbox_send(c, msg, sizeof(msg), 0), 0);
	assert_int_equal(f->side.last_len, 24);
	assert_memory_equal(f->side.last, msg, 24);
	copro_mbox_free(c);
	assert_int_equal(copro_smc_mbox_remove(m), 0);
	copro_sim_smc_mbox_remove_chan(fw64, 3);
	copro_sim_smc_mbox_destroy(fw64);
}

static void test_polled(void **state)
{
	struct fx *f = *state;
	struct rx_log l = { 0 };
	struct copro_mbox_chan *c;
	struct rx_wait w = { &l, 3, NULL };

	assert_int_equal(bind(f, 4, &l, 0, &c), 0);
	w.poll = c;
	for (uint8_t i = 0; i < 3; i++)
		assert_int_equal(copro_sim_smc_mbox_post(f->fw, 4, &i, 1), 0);
	/* Nothing moves until the host polls. */
	assert_int_equal(atomic_load(&l.n), 0);
	assert_true(test_wait_until(rx_got, &w, TEST_TIMEOUT_NS));
	assert_int_equal(l.msgs[2][0], 2);
	copro_mbox_free(c);
}

/*
 * Polled, so the events stay at the firmware until asked for: a discard
 * takes them (dropped, counted), and only what comes after arrives.
 */
static void test_discard_takes_the_firmwares_events(void **state)
{
	struct fx *f = *state;
	struct rx_log l = { 0 };
	struct copro_mbox_chan *c;
	struct rx_wait w = { &l, 1, NULL };
	struct copro_mbox_stats st;

	assert_int_equal(bind(f, 4, &l, 0, &c), 0);
	w.poll = c;
	for (uint8_t i = 0; i < 3; i++)
		assert_int_equal(copro_sim_smc_mbox_post(f->fw, 4, &i, 1), 0);
	assert_int_equal(copro_sim_smc_mbox_queued(f->fw, 4), 3);
	assert_int_equal(copro_mbox_rx_discard(c), 0);
	assert_int_equal(copro_sim_smc_mbox_queued(f->fw, 4), 0);
	copro_mbox_get_stats(c, &st);
	assert_int_equal(st.rx_discarded, 3);
	assert_int_equal(st.received, 0);
	/* The line went down with the queue: a poll finds nothing. */
	assert_false(copro_bus_irq_get(f->bus, LINE));
	copro_mbox_poll(c);
	assert_int_equal(atomic_load(&l.n), 0);
	/* What comes after the discard is delivered as usual. */
	uint8_t after = 0x42;

	assert_int_equal(copro_sim_smc_mbox_post(f->fw, 4, &after, 1), 0);
	assert_true(test_wait_until(rx_got, &w, TEST_TIMEOUT_NS));
	assert_int_equal(atomic_load(&l.n), 1);
	assert_int_equal(l.msgs[0][0], 0x42);
	copro_mbox_free(c);
}

/*
 * A hostile hypervisor's mailbox: channel 0 receives, and RECV always has
 * one more event; the test holds the line asserted itself.
 */
struct endless {
	_Atomic unsigned recvs;
};

static void endless_fw(void *ctx, const struct copro_smccc_regs *in,
		       struct copro_smccc_regs *out)
{
	struct endless *e = ctx;

	out->x[0] = 0;
	switch (in->x[2]) {
	case COPRO_SMC_MBOX_INFO:
		out->x[1] = COPRO_SMC_MBOX_CAN_RECV;
		break;
	case COPRO_SMC_MBOX_RECV:
		out->x[1] = 1;
		out->x[2] = atomic_fetch_add(&e->recvs, 1) & 0xff;
		break;
	case COPRO_SMC_MBOX_RX_ENABLE:
	case COPRO_SMC_MBOX_RX_DISABLE:
		break;
	default:
		out->x[0] = (uint64_t)COPRO_SMCCC_NOT_SUPPORTED;
	}
}

/*
 * Neither the interrupt handler nor a discard lets such a firmware hold
 * the host: a pass takes 64 events a channel and returns, the level
 * brings the handler back, and the poll returns after its rounds.
 */
static void test_firmware_that_never_runs_dry(void **state)
{
	struct fx *f = *state;
	struct endless e = { 0 };
	struct rx_log l = { 0 };
	struct copro_mbox_client cl = {
		.ctx = &l, .rx = rx, .rx_mode = COPRO_MBOX_RX_IRQ,
	};
	struct copro_smc_mbox *m;
	struct copro_mbox_chan *c;
	struct copro_mbox_stats st;
	unsigned n;

	assert_int_equal(copro_sim_smccc_add(f->el2, HVC_FID, endless_fw, &e),
			 0);
	assert_int_equal(copro_smc_mbox_probe(f->p, node(f, "/mbox-hvc"), &m),
			 0);
	assert_int_equal(copro_mbox_request(f->p, "mbox-hvc", 0, &cl, &c), 0);
	copro_bus_irq_set(f->bus, LINE + 1, true);
	copro_mbox_poll(c);
	n = atomic_load(&l.n);
	assert_true(n >= 64);
	assert_int_equal(n % 64, 0);
	assert_int_equal(atomic_load(&e.recvs), n);
	/* A discard takes one pass's worth, drops it, and returns. */
	assert_int_equal(copro_mbox_rx_discard(c), 0);
	copro_mbox_get_stats(c, &st);
	assert_int_equal(st.rx_discarded, 64);
	assert_int_equal(atomic_load(&l.n), n);
	copro_bus_irq_set(f->bus, LINE + 1, false);
	copro_mbox_free(c);
	assert_int_equal(copro_smc_mbox_remove(m), 0);
	copro_sim_smccc_remove(f->el2, HVC_FID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_probe_checks),
		T(test_send_and_reply),
		T(test_unknown_channel),
		T(test_receive_in_order_through_a_full_ring),
		T(test_receive_only_channel),
		T(test_no_interrupt_no_receive),
		T(test_hvc_and_missing_firmware),
		T(test_smc64_mtu),
		cmocka_unit_test_setup_teardown(test_polled, setup_polled,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_discard_takes_the_firmwares_events, setup_polled,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_firmware_that_never_runs_dry, setup_polled,
			teardown),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
