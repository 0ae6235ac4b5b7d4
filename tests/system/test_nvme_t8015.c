/* SPDX-License-Identifier: MIT */
/*
 * The NVMe driver on the A11 (t8015) board, brought up by the probe-all
 * pass: the generation it picks (ring queues, fifteen I/O tags), the
 * SART v0 its RTKit buffers go through, deep asynchronous I/O through
 * 16-entry rings (far more requests than tags, so the tag bitmap and the
 * ring tails wrap many times), resets and suspend, and the model's
 * refusal counters at zero all along: the driver does what Linux's
 * apple.c does for "apple,t8015-nvme-ans2". The same workload on t8103
 * checks the M1 generation did not change. (The generic NVMe system
 * tests run on t8015 too: system.nvme.t8015, system.nvme_faults.t8015.)
 */
#include "test_nvme_fixture.h"

#include <copro/sim/sart_model.h>

#define DEEP_REQS 64u
#define DEEP_ROUNDS 8u
#define DEEP_LEN (2u * FX_LBA)

static void use_board(const char *board)
{
	assert_int_equal(setenv("COPRO_TEST_BOARD", board, 1), 0);
}

static void assert_no_refusals(struct fx *f)
{
	struct copro_sim_ans2_stats st;

	copro_sim_ans2_get_stats(f->m, &st);
	if (st.bad_accesses || st.doorbells_ignored || st.tag_errors ||
	    st.cid_conflicts || st.tcb_missing || st.prp_violations ||
	    st.errors)
		test_logcap_dump(&f->cap);
	assert_int_equal(st.bad_accesses, 0);
	assert_int_equal(st.doorbells_ignored, 0);
	assert_int_equal(st.tag_errors, 0);
	assert_int_equal(st.cid_conflicts, 0);
	assert_int_equal(st.tcb_missing, 0);
	assert_int_equal(st.prp_violations, 0);
	assert_int_equal(st.errors, 0);
}

static struct copro_sim_sart *board_sart(struct fx *f)
{
	struct copro_dt_ref ref;

	assert_int_equal(copro_dt_ref(copro_board_dt(f->b), f->node,
				      "apple,sart", NULL, 0, &ref),
			 0);
	return copro_board_sart(f->b, ref.node);
}

static void test_generation(void **state)
{
	struct copro_nvme_info in;
	struct copro_sim_sart *sart;
	unsigned used = 0;
	struct fx f;

	(void)state;
	use_board("t8015");
	fx_up(&f, true, NULL);
	copro_nvme_get_info(f.nvme, &in);
	assert_string_equal(in.generation, "t8015");
	assert_int_equal(in.io_tags, ANS2_T8015_DEPTH - 1);
	assert_int_equal(in.lba_size, FX_LBA);
	assert_string_equal(copro_sim_ans2_generation(f.m), "t8015");
	/* RTKit's buffers went through the SART v0's allow list. */
	sart = board_sart(&f);
	assert_non_null(sart);
	assert_int_equal(copro_sim_sart_version(sart), 0);
	for (unsigned i = 0; i < 16; i++) {
		struct copro_sim_sart_entry e;

		assert_int_equal(copro_sim_sart_get_entry(sart, i, &e), 0);
		if (e.flags) {
			assert_int_equal(e.flags, 0xf);
			used++;
		}
	}
	assert_true(used >= 3);
	assert_no_refusals(&f);
	fx_down(&f);

	use_board("t8103");
	fx_up(&f, true, NULL);
	copro_nvme_get_info(f.nvme, &in);
	assert_string_equal(in.generation, "t8103");
	assert_int_equal(in.io_tags, COPRO_NVME_IO_TAGS);
	fx_down(&f);
}

struct deep {
	struct copro_nvme_req req[DEEP_REQS];
	uint8_t *buf;
	_Atomic unsigned done, failed;
	struct copro_event ev;
};

static void deep_done(struct copro_nvme_req *req, int status)
{
	struct deep *d = req->ctx;

	if (status)
		atomic_fetch_add(&d->failed, 1);
	atomic_fetch_add(&d->done, 1);
	copro_event_signal(&d->ev);
}

static bool deep_all(void *arg)
{
	struct deep *d = arg;

	return atomic_load(&d->done) == DEEP_REQS;
}

/* DEEP_REQS requests at once, DEEP_ROUNDS times, then read them back. */
static void deep(struct fx *f, bool threaded)
{
	struct deep *d = calloc(1, sizeof(*d));
	uint8_t *back = fx_alloc(DEEP_LEN);

	assert_non_null(d);
	d->buf = fx_alloc((size_t)DEEP_REQS * DEEP_LEN);
	copro_event_init(&d->ev);
	for (unsigned round = 0; round < DEEP_ROUNDS; round++) {
		atomic_store(&d->done, 0);
		for (unsigned i = 0; i < DEEP_REQS; i++) {
			struct copro_nvme_req *r = &d->req[i];
			uint64_t lba = (uint64_t)round * DEEP_REQS * 2 + i * 2;

			fx_fill(d->buf + (size_t)i * DEEP_LEN, DEEP_LEN, lba,
				round);
			*r = (struct copro_nvme_req){
				.op = COPRO_NVME_WRITE,
				.offset = lba * FX_LBA,
				.len = DEEP_LEN,
				.buf = d->buf + (size_t)i * DEEP_LEN,
				.done = deep_done,
				.ctx = d,
			};
			assert_int_equal(copro_nvme_submit(f->nvme, r), 0);
		}
		if (threaded) {
			assert_true(test_wait_until(deep_all, d,
						    TEST_TIMEOUT_NS));
		} else {
			while (!deep_all(d))
				copro_nvme_poll(f->nvme);
		}
	}
	assert_int_equal(atomic_load(&d->failed), 0);
	for (unsigned round = 0; round < DEEP_ROUNDS; round++) {
		for (unsigned i = 0; i < DEEP_REQS; i += 7) {
			uint64_t lba = (uint64_t)round * DEEP_REQS * 2 + i * 2;
			uint8_t *want = d->buf;

			assert_int_equal(copro_nvme_read(f->nvme, lba * FX_LBA,
							 back, DEEP_LEN),
					 0);
			fx_fill(want, DEEP_LEN, lba, round);
			assert_memory_equal(back, want, DEEP_LEN);
		}
	}
	assert_no_refusals(f);
	free(back);
	free(d->buf);
	free(d);
}

/*
 * The tag bitmap holds the driver to fifteen I/O commands and one admin
 * command at once, with sixty-four requests queued. (That the model
 * really holds several at once is test_two_in_the_model: how many
 * overlap here depends on how the threads run.)
 */
static void check_depths(struct fx *f)
{
	struct copro_sim_ans2_stats st;

	copro_sim_ans2_get_stats(f->m, &st);
	assert_int_equal(st.inflight_max_admin, 1);
	assert_true(st.inflight_max_io <= ANS2_T8015_DEPTH - 1);
}

static void test_deep_async_t8015(void **state)
{
	struct fx f;

	(void)state;
	use_board("t8015");
	fx_up(&f, true, NULL);
	deep(&f, true);
	check_depths(&f);
	fx_down(&f);
}

static void test_deep_async_t8015_polled(void **state)
{
	struct fx f;

	(void)state;
	use_board("t8015");
	fx_up(&f, false, NULL);
	deep(&f, false);
	check_depths(&f);
	fx_down(&f);
}

static void test_deep_async_t8103(void **state)
{
	struct fx f;

	(void)state;
	use_board("t8103");
	fx_up(&f, true, NULL);
	deep(&f, true);
	fx_down(&f);
}

/*
 * A reset and a suspend/resume start the rings over at entry 0 on both
 * sides: I/O after them works and nothing is refused.
 */
static void test_rings_restart(void **state)
{
	uint8_t *buf = fx_alloc(FX_LBA), *back = fx_alloc(FX_LBA);
	struct fx f;

	(void)state;
	use_board("t8015");
	fx_up(&f, true, NULL);
	for (unsigned i = 0; i < 3; i++) {
		/* An odd number of commands leaves the tails mid-ring. */
		for (unsigned n = 0; n < 21; n++) {
			fx_fill(buf, FX_LBA, n, i);
			assert_int_equal(copro_nvme_write(f.nvme, n * FX_LBA,
							  buf, FX_LBA, false),
					 0);
		}
		if (i == 0)
			assert_int_equal(copro_nvme_reset(f.nvme), 0);
		else if (i == 1) {
			assert_int_equal(copro_nvme_suspend(f.nvme), 0);
			assert_int_equal(copro_nvme_resume(f.nvme), 0);
		}
		assert_int_equal(copro_nvme_read(f.nvme, 20 * FX_LBA, back,
						 FX_LBA),
				 0);
		fx_fill(buf, FX_LBA, 20, i);
		assert_memory_equal(back, buf, FX_LBA);
	}
	assert_no_refusals(&f);
	fx_down(&f);
	free(buf);
	free(back);
}

struct held_req {
	struct copro_nvme_req req;
	_Atomic int status;
	_Atomic bool done;
};

static void held_done(struct copro_nvme_req *req, int status)
{
	struct held_req *h = req->ctx;

	atomic_store(&h->status, status);
	atomic_store(&h->done, true);
}

static bool held_finished(void *arg)
{
	return atomic_load(&((struct held_req *)arg)->done);
}

/*
 * Two I/O commands in the model at once, whatever the scheduling: the
 * first one submitted is the first the model runs, and it never
 * completes (STUCK), so the second is fetched beside it. A driver that
 * waited for the first before issuing the second would leave the model
 * one at a time. The driver then times the first out, resets and
 * retries it.
 */
static void test_two_in_the_model(void **state)
{
	struct copro_nvme_config cfg = {
		.io_timeout_ns = 250 * COPRO_NSEC_PER_MSEC,
		.retries = 1,
	};
	uint8_t *a = fx_alloc(FX_LBA), *b = fx_alloc(FX_LBA);
	struct held_req *h = calloc(1, sizeof(*h));
	struct copro_sim_ans2_stats st;
	struct fx f;

	(void)state;
	assert_non_null(h);
	use_board("t8015");
	fx_up(&f, true, &cfg);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_STUCK, 1);
	fx_fill(a, FX_LBA, 5, 1);
	h->req = (struct copro_nvme_req){
		.op = COPRO_NVME_WRITE,
		.offset = 5 * FX_LBA,
		.len = FX_LBA,
		.buf = a,
		.done = held_done,
		.ctx = h,
	};
	assert_int_equal(copro_nvme_submit(f.nvme, &h->req), 0);
	assert_int_equal(copro_nvme_read(f.nvme, 0, b, FX_LBA), 0);
	copro_sim_ans2_get_stats(f.m, &st);
	assert_true(st.inflight_max_io >= 2);
	assert_true(test_wait_until(held_finished, h, TEST_TIMEOUT_NS));
	assert_int_equal(atomic_load(&h->status), 0);
	assert_int_equal(copro_nvme_read(f.nvme, 5 * FX_LBA, b, FX_LBA), 0);
	assert_memory_equal(a, b, FX_LBA);
	fx_down(&f);
	free(h);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generation),
		cmocka_unit_test(test_deep_async_t8015),
		cmocka_unit_test(test_deep_async_t8015_polled),
		cmocka_unit_test(test_deep_async_t8103),
		cmocka_unit_test(test_rings_restart),
		cmocka_unit_test(test_two_in_the_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
