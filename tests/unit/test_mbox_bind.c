/* SPDX-License-Identifier: MIT */
/*
 * The mailbox framework's controllers and bindings: registration, binding
 * by name and id and through a devicetree "mboxes" reference, double
 * binds, unbinding with messages queued, rebinding, and two platforms
 * with same-named controllers in one process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <copro/driver/mbox_controller.h>
#include <copro/error.h>

#include "test_dtb.h"
#include "test_mbox_ctrl.h"
#include "test_modes.h"

static struct tctrl_config cfg_of(const char *name,
				  enum copro_mbox_txdone mode, unsigned line)
{
	struct tctrl_config cfg = {
		.name = name,
		.mode = mode,
		.line = TCTRL_LINE_BASE + line,
		.node = -1,
	};
	return cfg;
}

/* ---- by name and id ------------------------------------------------------------ */

static void test_request_by_name(void **state)
{
	struct tenv *e = *state;
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_IRQ, 0);
	struct copro_mbox_chan *a = (void *)1, *b, *c;
	struct copro_mbox_client cl;
	struct tctrl *t;
	struct trec r;

	trec_init(&r);
	cl = trec_client(&r, COPRO_MBOX_RX_DEFERRED, 0, 0);
	/* Not registered (yet). */
	assert_int_equal(copro_mbox_request(e->p, "tc", 3, &cl, &a), -ENODEV);
	assert_null(a);

	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t), 0);
	assert_int_equal(copro_mbox_request(e->p, "tc", 3, &cl, &a), 0);
	assert_int_equal(copro_mbox_chan_id(a), 3);
	assert_int_equal(copro_mbox_mtu(a), TCTRL_MTU);
	assert_int_equal(copro_mbox_dir(a), COPRO_MBOX_DIR_BIDI);
	assert_int_equal(copro_mbox_txdone_mode(a), COPRO_MBOX_TXDONE_IRQ);

	/* One client per channel; other channels are independent. */
	assert_int_equal(copro_mbox_request(e->p, "tc", 3, &cl, &b), -EBUSY);
	assert_null(b);
	assert_int_equal(copro_mbox_request(e->p, "tc", 4, &cl, &b), 0);
	/* The controller refuses ids it does not have. */
	assert_int_equal(copro_mbox_request(e->p, "tc", 99, &cl, &c), -ENOENT);
	assert_int_equal(copro_mbox_request(e->p, "other", 3, &cl, &c),
			 -ENODEV);

	/* Unbinding frees the id. */
	copro_mbox_free(a);
	assert_int_equal(copro_mbox_request(e->p, "tc", 3, &cl, &a), 0);
	assert_int_equal(tsend(a, 7, 0, TEST_TIMEOUT_NS), 0);
	assert_int_equal(copro_mbox_flush(a, TEST_TIMEOUT_NS), 0);
	assert_int_equal(tctrl_hw_count(t, 3), 1);
	copro_mbox_free(a);
	copro_mbox_free(b);
	tctrl_destroy(t);
	trec_fini(&r);
}

/* ---- through the devicetree ------------------------------------------------------- */

/*
 *   / { memory@800000000 { ... };
 *       ctrl: mbox-ctrl { #mbox-cells = <1>; };
 *       orphan: mbox-orphan { #mbox-cells = <0>; };
 *       client { mboxes = <&ctrl 3>, <&ctrl 5>; mbox-names = "tx", "rx"; };
 *       lonely { mboxes = <&orphan>; }; }
 */
static struct test_dtb *build_dtb(void)
{
	struct test_dtb *b = test_dtb_new();

	test_dtb_begin(b, "");
	test_dtb_str(b, "compatible", "copro,test");
	test_dtb_u32(b, "#address-cells", 2);
	test_dtb_u32(b, "#size-cells", 2);
	/* The platform wants a DRAM window for DMA. */
	test_dtb_memory(b, 0x800000000, 0x10000000);

	test_dtb_begin(b, "mbox-ctrl");
	test_dtb_str(b, "compatible", "copro,test-mbox");
	test_dtb_u32(b, "#mbox-cells", 1);
	test_dtb_phandle(b, 1);
	test_dtb_end(b);

	test_dtb_begin(b, "mbox-orphan");
	test_dtb_u32(b, "#mbox-cells", 0);
	test_dtb_phandle(b, 2);
	test_dtb_end(b);

	test_dtb_begin(b, "client");
	test_dtb_cells(b, "mboxes", 4, 1, 3, 1, 5);
	TEST_DTB_STRS(b, "mbox-names", "tx\0rx");
	test_dtb_end(b);

	test_dtb_begin(b, "lonely");
	test_dtb_u32(b, "mboxes", 2);
	test_dtb_end(b);

	test_dtb_end(b);
	return b;
}

static void run_request_dt(struct tenv *e, bool use_xlate)
{
	const struct copro_dt *dt = copro_platform_dt(e->p);
	int ctrl_node = copro_dt_path(dt, "/mbox-ctrl");
	int client = copro_dt_path(dt, "/client");
	int lonely = copro_dt_path(dt, "/lonely");
	struct tctrl_config cfg = cfg_of("dt", COPRO_MBOX_TXDONE_IRQ, 2);
	struct copro_mbox_chan *tx = (void *)1, *rx, *c;
	struct copro_mbox_client cl;
	struct tctrl *t;
	struct trec r;

	assert_true(ctrl_node >= 0 && client >= 0 && lonely >= 0);
	trec_init(&r);
	cl = trec_client(&r, COPRO_MBOX_RX_DEFERRED, 0, 0);

	/* The controller has not probed yet: retry later. */
	assert_int_equal(copro_mbox_request_dt(e->p, client, "tx", 0, &cl, &tx),
			 -ENODEV);
	assert_null(tx);

	cfg.node = ctrl_node;
	cfg.use_xlate = use_xlate;
	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t), 0);
	/* By name, and by index; the cell is the channel id. */
	assert_int_equal(copro_mbox_request_dt(e->p, client, "rx", 7, &cl, &rx),
			 0);
	assert_int_equal(copro_mbox_chan_id(rx), 5);
	assert_int_equal(copro_mbox_request_dt(e->p, client, NULL, 0, &cl, &tx),
			 0);
	assert_int_equal(copro_mbox_chan_id(tx), 3);
	assert_int_equal(copro_mbox_request_dt(e->p, client, "tx", 0, &cl, &c),
			 -EBUSY);
	assert_true(copro_mbox_request_dt(e->p, client, "none", 0, &cl, &c) <
		    0);
	assert_true(copro_mbox_request_dt(e->p, client, NULL, 2, &cl, &c) < 0);
	assert_int_equal(copro_mbox_request_dt(e->p, lonely, NULL, 0, &cl, &c),
			 -ENODEV);
	/* The same controller answers to its name too. */
	assert_int_equal(copro_mbox_request(e->p, "dt", 3, &cl, &c), -EBUSY);

	assert_int_equal(tsend(tx, 1, 0, TEST_TIMEOUT_NS), 0);
	assert_int_equal(copro_mbox_flush(tx, TEST_TIMEOUT_NS), 0);
	assert_int_equal(tctrl_hw_count(t, 3), 1);

	copro_mbox_free(tx);
	assert_int_equal(copro_mbox_request_dt(e->p, client, "tx", 0, &cl, &tx),
			 0);
	copro_mbox_free(tx);
	copro_mbox_free(rx);
	tctrl_destroy(t);
	trec_fini(&r);
}

static void run_dt_env(bool threaded)
{
	struct copro_dt *dt;
	struct tenv e = { 0 };

	assert_int_equal(test_logcap_init(&e.cap), 0);
	assert_int_equal(test_dtb_open(build_dtb(), "mbox-test",
				       test_logcap_log(&e.cap), &dt),
			 0);
	assert_int_equal(tenv_init_dt(&e, dt, threaded), 0);
	run_request_dt(&e, false);
	run_request_dt(&e, true);
	tenv_fini(&e);
	copro_dt_close(dt);
	test_logcap_destroy(&e.cap);
}

static void test_request_dt(void **state)
{
	run_dt_env(test_threaded(state));
}

/* ---- unbinding ---------------------------------------------------------------------- */

static void test_unbind_cancels(void **state)
{
	struct tenv *e = *state;
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_IRQ, 0);
	struct copro_mbox_client cl;
	struct copro_mbox_chan *chan;
	struct tctrl *t;
	struct trec r, r2;

	cfg.stalled = true;
	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t), 0);
	trec_init(&r);
	cl = trec_client(&r, COPRO_MBOX_RX_DEFERRED, 0, 8);
	assert_int_equal(copro_mbox_request(e->p, "tc", 2, &cl, &chan), 0);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(tsend(chan, i, 0, 0), 0);
	assert_int_equal(tctrl_hw_count(t, 2), 1);

	test_logcap_clear(&e->cap);
	copro_mbox_free(chan);
	/* Every message got its tx_done, in order, before free returned. */
	assert_int_equal(trec_ntx(&r), 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(r.status[i], -ECANCELED);
	assert_true(test_logcap_contains(
		&e->cap, "warn: mbox:tc: channel 2: unbound with 4 queued and"
			 " 1 in-flight messages, cancelled"));
	assert_int_equal(tctrl_shutdowns(t, 2), 1);
	/* Nothing queued reached the hardware after the unbinding. */
	tctrl_set_stalled(t, false);
	assert_int_equal(tctrl_hw_count(t, 2), 1);

	/* Bound again, the channel works. */
	trec_init(&r2);
	cl = trec_client(&r2, COPRO_MBOX_RX_DEFERRED, 0, 8);
	assert_int_equal(copro_mbox_request(e->p, "tc", 2, &cl, &chan), 0);
	assert_int_equal(tsend(chan, 100, 0, TEST_TIMEOUT_NS), 0);
	assert_int_equal(copro_mbox_flush(chan, TEST_TIMEOUT_NS), 0);
	assert_int_equal(tctrl_hw_count(t, 2), 2);
	struct tctrl_msg m = tctrl_hw_msg(t, 2, 1);

	assert_int_equal(tmsg_seq(&m), 100);
	copro_mbox_free(chan);
	assert_int_equal(trec_ntx(&r2), 1);
	assert_int_equal(r2.status[0], 0);
	tctrl_destroy(t);
	trec_fini(&r);
	trec_fini(&r2);
}

struct blocked_send {
	struct copro_mbox_chan *chan;
	_Atomic int ret;
};

static void *blocked_sender(void *arg)
{
	struct blocked_send *b = arg;

	atomic_store(&b->ret, tsend(b->chan, 9, 0, COPRO_FOREVER));
	return NULL;
}

static bool blocked(void *arg)
{
	struct copro_mbox_stats st;

	copro_mbox_get_stats(arg, &st);
	return st.backpressure == 1;
}

static void test_free_wakes_blocked_sender(void **state)
{
	struct tenv *e = *state;
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_IRQ, 0);
	struct copro_mbox_client cl;
	struct copro_mbox_chan *chan;
	struct copro_thread th;
	struct tctrl *t;
	struct trec r;

	cfg.stalled = true;
	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t), 0);
	trec_init(&r);
	cl = trec_client(&r, COPRO_MBOX_RX_DEFERRED, 0, 2);
	assert_int_equal(copro_mbox_request(e->p, "tc", 2, &cl, &chan), 0);
	assert_int_equal(tsend(chan, 0, 0, 0), 0);
	assert_int_equal(tsend(chan, 1, 0, 0), 0);

	struct blocked_send b = { .chan = chan, .ret = 1 };

	assert_int_equal(copro_thread_start(&th, "sender", blocked_sender, &b),
			 0);
	assert_true(test_wait_until(blocked, chan, TEST_TIMEOUT_NS));
	copro_mbox_free(chan);
	copro_thread_join(&th);
	assert_int_equal(atomic_load(&b.ret), -ESHUTDOWN);
	assert_int_equal(trec_ntx(&r), 2);
	tctrl_destroy(t);
	trec_fini(&r);
}

/* ---- registration -------------------------------------------------------------------- */

static int nop_startup(void *ctx, struct copro_mbox_chan *chan, uint64_t id,
		       unsigned *dir)
{
	*dir = COPRO_MBOX_DIR_RX;
	return 0;
}

static const struct copro_mbox_controller_ops nop_ops = {
	.startup = nop_startup,
};

static void test_register_checks(void **state)
{
	struct tenv *e = *state;
	struct copro_mbox_controller *ctrl = (void *)1;
	struct copro_mbox_controller_desc d = {
		.name = "nop",
		.node = -1,
		.ops = &nop_ops,
		.txdone = COPRO_MBOX_TXDONE_POLL,
		.mtu = 8,
	};

	/* POLL needs last_tx_done. */
	test_logcap_clear(&e->cap);
	assert_int_equal(copro_mbox_controller_register(e->p, &d, &ctrl),
			 -EINVAL);
	assert_null(ctrl);
	assert_true(test_logcap_contains(&e->cap, "without a last_tx_done"));
	d.txdone = COPRO_MBOX_TXDONE_IRQ;
	d.name = NULL;
	assert_int_equal(copro_mbox_controller_register(e->p, &d, &ctrl),
			 -EINVAL);
	d.name = "nop";
	d.mtu = 0;
	assert_int_equal(copro_mbox_controller_register(e->p, &d, &ctrl),
			 -EINVAL);
	d.mtu = 1u << 20;
	assert_int_equal(copro_mbox_controller_register(e->p, &d, &ctrl),
			 -EINVAL);
	/* A doorbell-only controller has no payload at all. */
	d.mtu = 0;
	d.doorbell = true;
	assert_int_equal(copro_mbox_controller_register(e->p, &d, &ctrl), 0);
	copro_mbox_controller_unregister(ctrl);

	/* Names are unique per platform. */
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_IRQ, 0);
	struct tctrl_config cfg2 = cfg_of("tc", COPRO_MBOX_TXDONE_ACK, 1);
	struct tctrl *t, *t2;

	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t), 0);
	assert_int_equal(tctrl_create(e->p, e->bus, &cfg2, &t2), -EEXIST);
	cfg2.name = "tc2";
	assert_int_equal(tctrl_create(e->p, e->bus, &cfg2, &t2), 0);
	tctrl_destroy(t2);
	tctrl_destroy(t);
}

static void test_unregister_with_channels(void **state)
{
	struct tenv *e = *state;
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_IRQ, 0);
	struct copro_mbox_client cl;
	struct copro_mbox_chan *chan, *c2;
	struct tctrl *t;
	struct trec r;

	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t), 0);
	trec_init(&r);
	cl = trec_client(&r, COPRO_MBOX_RX_DEFERRED, 0, 0);
	assert_int_equal(copro_mbox_request(e->p, "tc", 1, &cl, &chan), 0);

	/* Refused, loudly; the controller stays usable. */
	test_logcap_clear(&e->cap);
	assert_int_equal(copro_mbox_controller_unregister(tctrl_controller(t)),
			 -EBUSY);
	assert_true(test_logcap_contains(&e->cap, "err: mbox:tc: cannot"
						  " unregister: 1 channel(s)"
						  " still bound"));
	assert_int_equal(copro_mbox_request(e->p, "tc", 1, &cl, &c2), -EBUSY);
	assert_int_equal(copro_mbox_request(e->p, "tc", 2, &cl, &c2), 0);
	/* Every bound channel holds a reference; a refused bind does not. */
	assert_int_equal(copro_platform_provider_refs(e->p, COPRO_MBOX_PROVIDER,
						      tctrl_controller(t)),
			 2);
	assert_int_equal(tsend(chan, 1, 0, TEST_TIMEOUT_NS), 0);
	assert_int_equal(copro_mbox_flush(chan, TEST_TIMEOUT_NS), 0);
	copro_mbox_free(c2);
	copro_mbox_free(chan);
	assert_int_equal(copro_platform_provider_refs(e->p, COPRO_MBOX_PROVIDER,
						      tctrl_controller(t)),
			 0);
	tctrl_destroy(t);
	trec_fini(&r);
}

/*
 * A controller bound at run time has a name and no node: it lives in the
 * mailbox name space, not at some devicetree node.
 */
static void test_name_space(void **state)
{
	struct tenv *e = *state;
	struct tctrl_config cfg = cfg_of("hvq-7", COPRO_MBOX_TXDONE_IRQ, 0);
	struct copro_mbox_client cl;
	struct copro_mbox_chan *chan;
	struct tctrl *t;
	struct trec r;

	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t), 0);
	assert_ptr_equal(copro_platform_provider_find_named(
				 e->p, COPRO_MBOX_PROVIDER, "hvq-7"),
			 tctrl_controller(t));
	assert_null(copro_platform_provider_find(e->p, COPRO_MBOX_PROVIDER, 0));
	/* Only mailbox names live there: a SART named alike is another. */
	assert_null(copro_platform_provider_find_named(e->p, "sart", "hvq-7"));
	trec_init(&r);
	cl = trec_client(&r, COPRO_MBOX_RX_DEFERRED, 0, 0);
	assert_int_equal(copro_mbox_request(e->p, "hvq-7", 1, &cl, &chan), 0);
	assert_int_equal(copro_platform_provider_refs(e->p, COPRO_MBOX_PROVIDER,
						      tctrl_controller(t)),
			 1);
	copro_mbox_free(chan);
	tctrl_destroy(t);
	assert_null(copro_platform_provider_find_named(
		e->p, COPRO_MBOX_PROVIDER, "hvq-7"));
	trec_fini(&r);
}

/* Two boards in one process: same controller names, separate worlds. */
static void test_two_platforms(void **state)
{
	struct tenv *e = *state;
	void *state2 = test_mode_state(true);
	struct tctrl_config cfg = cfg_of("tc", COPRO_MBOX_TXDONE_CREDIT, 0);
	struct copro_mbox_chan *c1, *c2;
	struct copro_mbox_client cl;
	struct tctrl *t1, *t2;
	struct trec r;

	assert_int_equal(tenv_setup(&state2), 0);
	struct tenv *e2 = state2;

	trec_init(&r);
	cl = trec_client(&r, COPRO_MBOX_RX_DEFERRED, 0, 0);
	assert_int_equal(tctrl_create(e->p, e->bus, &cfg, &t1), 0);
	assert_int_equal(tctrl_create(e2->p, e2->bus, &cfg, &t2), 0);
	assert_int_equal(copro_mbox_request(e->p, "tc", 0, &cl, &c1), 0);
	assert_int_equal(copro_mbox_request(e2->p, "tc", 0, &cl, &c2), 0);
	assert_int_equal(tsend(c1, 1, 0, TEST_TIMEOUT_NS), 0);
	assert_int_equal(tsend(c2, 2, 0, TEST_TIMEOUT_NS), 0);
	assert_int_equal(tsend(c2, 3, 0, TEST_TIMEOUT_NS), 0);
	assert_int_equal(copro_mbox_flush(c1, TEST_TIMEOUT_NS), 0);
	assert_int_equal(copro_mbox_flush(c2, TEST_TIMEOUT_NS), 0);
	assert_int_equal(tctrl_hw_count(t1, 0), 1);
	assert_int_equal(tctrl_hw_count(t2, 0), 2);
	copro_mbox_free(c1);
	copro_mbox_free(c2);
	tctrl_destroy(t1);
	tctrl_destroy(t2);
	trec_fini(&r);
	tenv_teardown(&state2);
}

static void test_txdone_names(void **state)
{
	assert_string_equal(copro_mbox_txdone_name(COPRO_MBOX_TXDONE_IRQ),
			    "irq");
	assert_string_equal(copro_mbox_txdone_name(COPRO_MBOX_TXDONE_POLL),
			    "poll");
	assert_string_equal(copro_mbox_txdone_name(COPRO_MBOX_TXDONE_ACK),
			    "ack");
	assert_string_equal(copro_mbox_txdone_name(COPRO_MBOX_TXDONE_CREDIT),
			    "credit");
	assert_string_equal(copro_mbox_txdone_name(COPRO_MBOX_TXDONE_SYNC),
			    "sync");
	assert_string_equal(copro_mbox_txdone_name((enum copro_mbox_txdone)99),
			    "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_BOTH(test_request_by_name, tenv_setup, tenv_teardown),
		TEST_BOTH(test_request_dt, NULL, NULL),
		TEST_BOTH(test_unbind_cancels, tenv_setup, tenv_teardown),
		TEST_BOTH(test_free_wakes_blocked_sender, tenv_setup, tenv_teardown),
		TEST_BOTH(test_register_checks, tenv_setup, tenv_teardown),
		TEST_BOTH(test_unregister_with_channels, tenv_setup, tenv_teardown),
		TEST_BOTH(test_name_space, tenv_setup, tenv_teardown),
		TEST_BOTH(test_two_platforms, tenv_setup, tenv_teardown),
		cmocka_unit_test(test_txdone_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
