/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <copro/error.h>

#include "test_scmi.h"

static void probe_all(struct test_scmi *t, const char *compat)
{
	const struct copro_dt *dt = copro_board_dt(t->b);

	for (int node = copro_dt_next_compatible(dt, -1, compat); node >= 0;
	     node = copro_dt_next_compatible(dt, node, compat)) {
		assert_true(t->nmbox < 4);
		assert_int_equal(copro_smc_mbox_probe(t->p, node,
						      &t->mbox[t->nmbox]),
				 0);
		t->nmbox++;
	}
}

void test_scmi_open(struct test_scmi *t, const char *board, bool threaded)
{
	test_scmi_open_recorded(t, board, threaded, NULL);
}

void test_scmi_open_recorded(struct test_scmi *t, const char *board,
			     bool threaded, const char *record_path)
{
	struct copro_board_config cfg = { .board = board, .threaded = threaded,
					  .record_path = record_path };

	memset(t, 0, sizeof(*t));
	assert_int_equal(test_logcap_init(&t->cap), 0);
	cfg.log = test_logcap_log(&t->cap);
	assert_int_equal(copro_board_create(&cfg, &t->b), 0);
	t->p = copro_board_platform(t->b);
	t->bus = copro_board_bus(t->b);
	t->plat = copro_board_scmi(t->b);
	assert_non_null(t->plat);
	probe_all(t, COPRO_SMC_MBOX_COMPATIBLE);
	probe_all(t, COPRO_HVC_MBOX_COMPATIBLE);
}

int test_scmi_agent(struct test_scmi *t, unsigned n,
		    const struct copro_scmi_config *cfg)
{
	int node = copro_scmi_node(copro_board_dt(t->b), n);

	assert_true(n < TEST_SCMI_MAX_AGENTS);
	assert_true(node >= 0);
	return copro_scmi_probe(t->p, node, cfg, &t->agent[n]);
}

void test_scmi_agent_remove(struct test_scmi *t, unsigned n)
{
	copro_scmi_remove(t->agent[n]);
	t->agent[n] = NULL;
}

void test_scmi_close(struct test_scmi *t)
{
	for (unsigned i = 0; i < TEST_SCMI_MAX_AGENTS; i++)
		if (t->agent[i])
			test_scmi_agent_remove(t, i);
	while (t->nmbox)
		assert_int_equal(copro_smc_mbox_remove(t->mbox[--t->nmbox]), 0);
	copro_board_destroy(t->b);
	test_logcap_destroy(&t->cap);
}

void test_scmi_call_hdr(struct copro_sim_scmi *plat, uint32_t agent,
			uint32_t hdr, const uint32_t *w, unsigned nw,
			size_t cap, struct test_scmi_resp *r)
{
	uint32_t msg[33], resp[70];

	assert_true(nw <= 32);
	memset(r, 0, sizeof(*r));
	msg[0] = hdr;
	if (nw)
		memcpy(msg + 1, w, 4 * nw);
	r->len = copro_sim_scmi_handle(plat, agent, msg, 4 + 4 * (size_t)nw,
				       resp, cap ? cap : 128 - SCMI_SHMEM_HEADER);
	assert_true(r->len >= 8 && r->len % 4 == 0);
	r->hdr = resp[0];
	r->status = (int32_t)resp[1];
	r->n = (unsigned)(r->len / 4 - 2);
	memcpy(r->w, resp + 2, 4 * r->n);
}

void test_scmi_call(struct copro_sim_scmi *plat, uint32_t agent,
		    unsigned proto, unsigned msg, const uint32_t *w,
		    unsigned nw, size_t cap, struct test_scmi_resp *r)
{
	uint32_t hdr = scmi_hdr(proto, msg, SCMI_MSG_COMMAND, 5);

	test_scmi_call_hdr(plat, agent, hdr, w, nw, cap, r);
	assert_int_equal(r->hdr, hdr);
}
