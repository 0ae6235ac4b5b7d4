/* SPDX-License-Identifier: MIT */
/*
 * The SMCCC conduit (function id fields, the conduit a devicetree
 * chooses, SMC32 register rules) and the EL3/EL2 firmware's dispatcher
 * (SMCCC_VERSION, SMCCC_ARCH_FEATURES, NOT_SUPPORTED for whatever it does
 * not serve, services added and removed).
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

#include <copro/driver/smccc.h>
#include <copro/error.h>
#include <copro/os.h>
#include <copro/scmi.h>
#include <copro/sim/board.h>
#include <copro/sim/smccc_fw.h>

#include "testutil.h"

struct fx {
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_sim_smccc *el3;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct copro_board_config cfg = { .board = "scmi-smc" };

	assert_int_equal(test_logcap_init(&f->cap), 0);
	cfg.log = test_logcap_log(&f->cap);
	assert_int_equal(copro_board_create(&cfg, &f->b), 0);
	f->p = copro_board_platform(f->b);
	f->el3 = copro_board_smccc(f->b, COPRO_CONDUIT_SMC);
	assert_non_null(f->el3);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	copro_board_destroy(f->b);
	test_logcap_destroy(&f->cap);
	free(f);
	return 0;
}

static void test_fid_fields(void **state)
{
	char buf[96];
	uint32_t fid = copro_smccc_fid(true, false, COPRO_SMCCC_OWNER_SIP, 0x10);

	(void)state;
	assert_int_equal(fid, 0x82000010);
	assert_true(copro_smccc_is_fast(fid));
	assert_false(copro_smccc_is_64(fid));
	assert_int_equal(copro_smccc_owner(fid), COPRO_SMCCC_OWNER_SIP);
	assert_int_equal(copro_smccc_number(fid), 0x10);
	assert_int_equal(copro_smccc_fid(true, true, 63, 0x1234), 0xff001234);
	assert_string_equal(copro_smccc_fid_describe(fid, buf, sizeof(buf)),
			    "0x82000010 (fast SMC32, SiP, function 0x10)");
	assert_string_equal(copro_smccc_owner_name(49), "trusted application");
	assert_string_equal(copro_smccc_owner_name(55), "trusted OS");
	/* Fast calls keep 23:16 zero; yielding calls are for trusted OSes. */
	assert_int_equal(copro_smccc_fid_check(fid), 0);
	assert_int_equal(copro_smccc_fid_check(fid | 1u << 16), -EINVAL);
	assert_int_equal(copro_smccc_fid_check(0x02000010), -EINVAL);
	assert_int_equal(copro_smccc_fid_check(0x32000010), 0);
	/* SMC32 returns are w0, sign-extended. */
	assert_int_equal(copro_smccc_ret(fid, 0xfffffffeu), -2);
	assert_int_equal(copro_smccc_ret(fid | COPRO_SMCCC_SMC64, 0xfffffffeu),
			 0xfffffffe);
	assert_int_equal(copro_smccc_errno(COPRO_SMCCC_RET_NOT_SUPPORTED),
			 -EOPNOTSUPP);
	assert_int_equal(copro_smccc_errno(COPRO_SMCCC_RET_INVALID_PARAMETER),
			 -EINVAL);
	assert_int_equal(copro_smccc_errno(-9), -EIO);
	assert_string_equal(copro_smccc_ret_name(COPRO_SMCCC_RET_NOT_REQUIRED),
			    "NOT_REQUIRED");
	assert_null(copro_smccc_ret_name(5));
}

/* A tiny board: a PSCI node with `psci_method`, and a node with `own`. */
static struct copro_dt *dt_with(struct test_logcap *cap, const char *psci_method,
				const char *own)
{
	static char blob[1024];
	struct copro_dt *dt;

	assert_int_equal(fdt_create(blob, sizeof(blob)), 0);
	assert_int_equal(fdt_finish_reservemap(blob), 0);
	assert_int_equal(fdt_begin_node(blob, ""), 0);
	if (psci_method) {
		assert_int_equal(fdt_begin_node(blob, "psci"), 0);
		assert_int_equal(fdt_property_string(blob, "compatible",
						     "arm,psci-1.0"),
				 0);
		assert_int_equal(fdt_property_string(blob, "method",
						     psci_method),
				 0);
		assert_int_equal(fdt_end_node(blob), 0);
	}
	assert_int_equal(fdt_begin_node(blob, "fw"), 0);
	if (own)
		assert_int_equal(fdt_property_string(blob, "method", own), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_finish(blob), 0);
	assert_int_equal(copro_dt_open(blob, fdt_totalsize(blob), "tiny",
				       test_logcap_log(cap), &dt),
			 0);
	return dt;
}

static void test_conduit_dt(void **state)
{
	struct fx *f = *state;
	enum copro_conduit c;
	struct copro_dt *dt;

	/* The board's PSCI method. */
	assert_int_equal(copro_smccc_conduit_dt(copro_board_dt(f->b),
						copro_scmi_node(copro_board_dt(f->b), 0),
						&c),
			 0);
	assert_int_equal(c, COPRO_CONDUIT_SMC);
	/* A node's own method wins. */
	dt = dt_with(&f->cap, "smc", "hvc");
	assert_int_equal(copro_smccc_conduit_dt(dt, copro_dt_path(dt, "/fw"), &c),
			 0);
	assert_int_equal(c, COPRO_CONDUIT_HVC);
	copro_dt_close(dt);
	dt = dt_with(&f->cap, "hvc", NULL);
	assert_int_equal(copro_smccc_conduit_dt(dt, copro_dt_path(dt, "/fw"), &c),
			 0);
	assert_int_equal(c, COPRO_CONDUIT_HVC);
	copro_dt_close(dt);
	/* Neither says: an error naming the node. */
	dt = dt_with(&f->cap, NULL, NULL);
	assert_int_equal(copro_smccc_conduit_dt(dt, copro_dt_path(dt, "/fw"), &c),
			 -ENOENT);
	test_logcap_expect(&f->cap, "tiny: /fw: no conduit");
	copro_dt_close(dt);
	dt = dt_with(&f->cap, "svc", NULL);
	assert_int_equal(copro_smccc_conduit_dt(dt, -1, &c), -EINVAL);
	test_logcap_expect(&f->cap, "tiny: /psci: method \"svc\"");
	copro_dt_close(dt);
}

static uint64_t call(struct fx *f, enum copro_conduit c, uint32_t fid,
		     uint64_t a1)
{
	struct copro_smccc_regs r;

	assert_int_equal(copro_smccc_call(f->p, c, fid, &a1, 1, &r), 0);
	return r.x[0];
}

static void test_dispatcher_answers(void **state)
{
	struct fx *f = *state;
	struct copro_sim_smccc_stats st0, st;
	uint32_t v;
	int32_t feat;

	copro_sim_smccc_stats(f->el3, &st0);
	assert_int_equal(copro_smccc_version(f->p, COPRO_CONDUIT_SMC, &v), 0);
	assert_int_equal(v, COPRO_SMCCC_VERSION_1_2);
	assert_int_equal(copro_smccc_arch_features(f->p, COPRO_CONDUIT_SMC,
						   COPRO_SMCCC_ARCH_FEATURES,
						   &feat),
			 0);
	assert_int_equal(feat, 0);
	/* Workarounds and other owners' ids: not this call's business. */
	assert_int_equal(copro_smccc_arch_features(f->p, COPRO_CONDUIT_SMC,
						   0x80008000u, &feat),
			 0);
	assert_int_equal(feat, COPRO_SMCCC_RET_NOT_SUPPORTED);
	assert_int_equal(copro_smccc_arch_features(f->p, COPRO_CONDUIT_SMC,
						   0x82000010u, &feat),
			 0);
	assert_int_equal(feat, COPRO_SMCCC_RET_NOT_SUPPORTED);
	/* Unserved ids, fast ids with 23:16 set, yielding non-TOS calls. */
	assert_int_equal(call(f, COPRO_CONDUIT_SMC, 0x82000099u, 0),
			 0xffffffffu);
	assert_int_equal(call(f, COPRO_CONDUIT_SMC, 0xc2000099u, 0), UINT64_MAX);
	assert_int_equal(call(f, COPRO_CONDUIT_SMC, 0x82010010u, 0),
			 0xffffffffu);
	assert_int_equal(call(f, COPRO_CONDUIT_SMC, 0x02000010u, 0),
			 0xffffffffu);
	assert_int_equal(call(f, COPRO_CONDUIT_SMC, 0xc0000000u, 0), UINT64_MAX);
	/* No hypervisor on this board: nobody answers HVC. */
	assert_null(copro_board_smccc(f->b, COPRO_CONDUIT_HVC));
	assert_int_equal(copro_smccc_version(f->p, COPRO_CONDUIT_HVC, &v), 0);
	assert_int_equal(v, COPRO_SMCCC_VERSION_1_0);
	copro_sim_smccc_stats(f->el3, &st);
	/* Each SMC above, counted by the bus for the owners it holds. */
	assert_int_equal(st.calls - st0.calls, 9);
	assert_int_equal(st.not_supported - st0.not_supported, 5);
}

struct seen {
	uint64_t x1;
	unsigned calls;
};

static void echo_service(void *ctx, const struct copro_smccc_regs *in,
			 struct copro_smccc_regs *out)
{
	struct seen *s = ctx;

	s->x1 = in->x[1];
	s->calls++;
	out->x[0] = 0;
	out->x[1] = 0xaaaaaaaabbbbbbbbull;
}

static void test_services(void **state)
{
	struct fx *f = *state;
	struct copro_smccc_regs r;
	struct seen s = { 0 };
	uint64_t arg = 0x100000002ull;

	assert_int_equal(copro_sim_smccc_add(f->el3, 0x82000042u, echo_service,
					     &s),
			 0);
	assert_int_equal(copro_sim_smccc_add(f->el3, 0xc2000042u, echo_service,
					     &s),
			 0);
	/* SMC32: w registers both ways. */
	assert_int_equal(copro_smccc_call(f->p, COPRO_CONDUIT_SMC, 0x82000042u,
					  &arg, 1, &r),
			 0);
	assert_int_equal(s.x1, 2);
	assert_int_equal(r.x[1], 0xbbbbbbbbu);
	/* SMC64: whole registers. */
	assert_int_equal(copro_smccc_call(f->p, COPRO_CONDUIT_SMC, 0xc2000042u,
					  &arg, 1, &r),
			 0);
	assert_int_equal(s.x1, arg);
	assert_int_equal(r.x[1], 0xaaaaaaaabbbbbbbbull);
	/* Ids taken, ids no caller could use, the architecture's own. */
	assert_int_equal(copro_sim_smccc_add(f->el3, 0x82000042u, echo_service,
					     &s),
			 -EEXIST);
	assert_int_equal(copro_sim_smccc_add(f->el3, 0x82100042u, echo_service,
					     &s),
			 -EINVAL);
	assert_int_equal(copro_sim_smccc_add(f->el3, 0x80000042u, echo_service,
					     &s),
			 -EINVAL);
	copro_sim_smccc_remove(f->el3, 0x82000042u);
	copro_sim_smccc_remove(f->el3, 0xc2000042u);
	assert_int_equal(call(f, COPRO_CONDUIT_SMC, 0x82000042u, 0),
			 0xffffffffu);
	assert_int_equal(s.calls, 2);
	/* The board's own services are still there. */
	uint32_t v;

	assert_int_equal(copro_smccc_version(f->p, COPRO_CONDUIT_SMC, &v), 0);
}

/* A service that holds its caller until the test lets it go. */
struct held {
	_Atomic bool entered, release, removed;
	struct fx *f;
	struct copro_smccc_regs r;
	int ret;
};

static void held_service(void *ctx, const struct copro_smccc_regs *in,
			 struct copro_smccc_regs *out)
{
	struct held *h = ctx;

	(void)in;
	atomic_store(&h->entered, true);
	while (!atomic_load(&h->release))
		copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);
	out->x[0] = 7;
}

static void *held_caller(void *arg)
{
	struct held *h = arg;

	h->ret = copro_smccc_call(h->f->p, COPRO_CONDUIT_SMC, 0x82000043u, NULL,
				  0, &h->r);
	return NULL;
}

static void *remover(void *arg)
{
	struct held *h = arg;

	copro_sim_smccc_remove(h->f->el3, 0x82000043u);
	atomic_store(&h->removed, true);
	return NULL;
}

/*
 * Removing a service waits out the calls already inside it (the
 * dispatcher relies on the bus's copro_bus_fwcall_sync for that): its
 * context may be freed as soon as remove returns.
 */
static void test_remove_waits_for_calls(void **state)
{
	struct fx *f = *state;
	struct held h = { .f = f };
	struct copro_thread call_th = { 0 }, rm_th = { 0 };

	assert_int_equal(copro_sim_smccc_add(f->el3, 0x82000043u, held_service,
					     &h),
			 0);
	assert_int_equal(copro_thread_start(&call_th, "caller", held_caller,
					    &h),
			 0);
	while (!atomic_load(&h.entered))
		copro_sleep_ns(100 * COPRO_NSEC_PER_USEC);
	assert_int_equal(copro_thread_start(&rm_th, "remover", remover, &h), 0);
	/* However long it is given, remove may not return yet. */
	copro_sleep_ns(20 * COPRO_NSEC_PER_MSEC);
	assert_false(atomic_load(&h.removed));
	atomic_store(&h.release, true);
	copro_thread_join(&rm_th);
	copro_thread_join(&call_th);
	assert_true(atomic_load(&h.removed));
	assert_int_equal(h.ret, 0);
	assert_int_equal(h.r.x[0], 7);
	/* Gone: the id is not served any more. */
	assert_int_equal(call(f, COPRO_CONDUIT_SMC, 0x82000043u, 0),
			 0xffffffffu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fid_fields),
		cmocka_unit_test_setup_teardown(test_conduit_dt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatcher_answers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_services, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_waits_for_calls,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
