/* SPDX-License-Identifier: MIT */
/*
 * Where commands run and where their completions are found: the ANS2
 * model runs a quick command in the thread that rang its doorbell and
 * leaves slow ones (Flush, FUA) to its workers; workers_only sends every
 * command there. The driver polls its own completion queue right after
 * the doorbell, so a command the controller answered at once completes
 * before copro_nvme_submit returns; irq_only leaves completions to the
 * interrupt. Figures are never judged here, only which path ran.
 */
#include <pthread.h>

#include "test_nvme_fixture.h"

static uint64_t inline_count(struct fx *f)
{
	struct copro_sim_ans2_stats st;

	copro_sim_ans2_get_stats(f->m, &st);
	return st.inline_commands;
}

static void rw(struct fx *f, uint64_t lba, bool fua, uint32_t gen)
{
	uint8_t *w = fx_alloc(FX_LBA), *r = fx_alloc(FX_LBA);

	fx_fill(w, FX_LBA, lba, gen);
	assert_int_equal(copro_nvme_write(f->nvme, lba * FX_LBA, w, FX_LBA, fua), 0);
	assert_int_equal(copro_nvme_read(f->nvme, lba * FX_LBA, r, FX_LBA), 0);
	assert_memory_equal(w, r, FX_LBA);
	free(w);
	free(r);
}

static void test_quick_commands_inline(void **state)
{
	struct fx f;
	uint64_t before;

	(void)state;
	fx_up(&f, true, NULL);
	before = inline_count(&f);
	rw(&f, 5, false, 1);
	/* The write and the read ran in this thread. */
	assert_int_equal(inline_count(&f) - before, 2);
	/* A FUA write (fdatasync) and a flush go to the workers. */
	before = inline_count(&f);
	rw(&f, 6, true, 2);
	assert_int_equal(inline_count(&f) - before, 1); /* the read */
	before = inline_count(&f);
	assert_int_equal(copro_nvme_flush(f.nvme), 0);
	assert_int_equal(inline_count(&f), before);
	/* So does everything while an I/O fault is armed. */
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_LOST_IRQ, 1);
	before = inline_count(&f);
	{
		uint8_t *r = fx_alloc(FX_LBA);

		assert_int_equal(copro_nvme_read(f.nvme, 5 * FX_LBA, r, FX_LBA), 0);
		free(r);
	}
	assert_int_equal(inline_count(&f), before);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_LOST_IRQ, 0);
	fx_down(&f);
}

static void workers_only(bool threaded)
{
	struct fx f;

	fx_board_ex(&f, threaded, true);
	assert_int_equal(fx_probe(&f, NULL), 0);
	for (unsigned i = 0; i < 8; i++)
		rw(&f, 10 + i, i & 1, 3 + i);
	assert_int_equal(copro_nvme_flush(f.nvme), 0);
	assert_int_equal(inline_count(&f), 0);
	fx_down(&f);
}

static void test_workers_only_threaded(void **state)
{
	(void)state;
	workers_only(true);
}

static void test_workers_only_polled(void **state)
{
	(void)state;
	workers_only(false);
}

/* ---- where done() runs --------------------------------------------- */

struct probe {
	pthread_t thread;
	_Atomic bool done;
	int status;
};

static void probe_done(struct copro_nvme_req *req, int status)
{
	struct probe *p = req->ctx;

	p->thread = pthread_self();
	p->status = status;
	atomic_store(&p->done, true);
}

static bool probe_finished(void *arg)
{
	return atomic_load(&((struct probe *)arg)->done);
}

static void submit_probe(struct fx *f, struct probe *p, void *buf)
{
	struct copro_nvme_req req = {
		.op = COPRO_NVME_READ, .offset = 0, .len = FX_LBA, .buf = buf,
		.done = probe_done, .ctx = p,
	};

	atomic_init(&p->done, false);
	assert_int_equal(copro_nvme_submit(f->nvme, &req), 0);
	/* req lives on this frame: wait for done() before it goes. */
	assert_true(test_wait_until(probe_finished, p, TEST_TIMEOUT_NS));
}

static void test_polled_after_submit(void **state)
{
	uint8_t *buf = fx_alloc(FX_LBA);
	struct copro_nvme_req req = {
		.op = COPRO_NVME_READ, .len = FX_LBA, .buf = buf,
		.done = probe_done,
	};
	struct probe p;
	struct fx f;

	(void)state;
	fx_up(&f, true, NULL);
	req.ctx = &p;
	atomic_init(&p.done, false);
	assert_int_equal(copro_nvme_submit(f.nvme, &req), 0);
	/* Answered inside the doorbell, found by our own poll. */
	assert_true(atomic_load(&p.done));
	assert_true(pthread_equal(p.thread, pthread_self()));
	assert_int_equal(p.status, 0);
	fx_down(&f);
	free(buf);
}

static void test_irq_only(void **state)
{
	const struct copro_nvme_config cfg = { .irq_only = true };
	uint8_t *buf = fx_alloc(FX_LBA);
	struct probe p;
	struct fx f;

	(void)state;
	fx_up(&f, true, &cfg);
	for (unsigned i = 0; i < 4; i++) {
		submit_probe(&f, &p, buf);
		/* Always the interrupt thread's work, never the submitter's. */
		assert_false(pthread_equal(p.thread, pthread_self()));
		assert_int_equal(p.status, 0);
	}
	fx_down(&f);
	free(buf);
}

/* ---- resubmitting from done() ---------------------------------------- */

#define CHAIN 200

struct chain {
	struct copro_nvme *nvme;
	struct copro_nvme_req req;
	unsigned left, depth, max_depth;
	_Atomic unsigned finished;
	int err;
};

static void chain_done(struct copro_nvme_req *req, int status)
{
	struct chain *c = req->ctx;

	if (++c->depth > c->max_depth)
		c->max_depth = c->depth;
	if (status && !c->err)
		c->err = status;
	if (--c->left && !c->err) {
		c->req.offset = (uint64_t)(c->left % 64) * FX_LBA;
		c->err = copro_nvme_submit(c->nvme, &c->req);
	}
	c->depth--;
	if (!c->left || c->err)
		atomic_store(&c->finished, 1);
}

static bool chain_finished(void *arg)
{
	return atomic_load(&((struct chain *)arg)->finished);
}

static void test_resubmit_from_done(void **state)
{
	uint8_t *buf = fx_alloc(FX_LBA);
	struct chain *c = calloc(1, sizeof(*c));
	struct fx f;

	(void)state;
	assert_non_null(c);
	fx_up(&f, true, NULL);
	c->nvme = f.nvme;
	c->left = CHAIN;
	c->req = (struct copro_nvme_req){
		.op = COPRO_NVME_READ, .len = FX_LBA, .buf = buf,
		.done = chain_done, .ctx = c,
	};
	assert_int_equal(copro_nvme_submit(f.nvme, &c->req), 0);
	assert_true(test_wait_until(chain_finished, c, TEST_TIMEOUT_NS));
	assert_int_equal(c->err, 0);
	assert_int_equal(c->left, 0);
	/* Each done() returned before the next ran: no recursion. */
	assert_int_equal(c->max_depth, 1);
	fx_down(&f);
	free(c);
	free(buf);
}

/* ---- one worker beside a polling host --------------------------------- */

/*
 * The configuration copro bench nvme runs its queue-depth-32 workloads
 * in: every command on the model's one worker, the host polling its
 * completion queue. A queue's worth of writes and then of reads at once,
 * several times over: all complete, in the worker, and read back what
 * was written.
 */
#define PIPE_DEPTH 32u
#define PIPE_ROUNDS 4u

struct pipe {
	struct copro_nvme *nvme;
	_Atomic unsigned done, want;
	_Atomic int err;
};

static void pipe_done(struct copro_nvme_req *req, int status)
{
	struct pipe *p = req->ctx;
	int none = 0;

	if (status)
		atomic_compare_exchange_strong(&p->err, &none, status);
	atomic_fetch_add(&p->done, 1);
}

/* Polled: nothing reaps but us. */
static bool pipe_landed(void *arg)
{
	struct pipe *p = arg;

	copro_nvme_poll(p->nvme);
	return atomic_load(&p->done) >= atomic_load(&p->want);
}

static void pipe_round(struct pipe *p, enum copro_nvme_op op, uint8_t *buf)
{
	struct copro_nvme_req req[PIPE_DEPTH];

	atomic_fetch_add(&p->want, PIPE_DEPTH);
	for (unsigned i = 0; i < PIPE_DEPTH; i++) {
		req[i] = (struct copro_nvme_req){
			.op = op, .offset = (uint64_t)i * FX_LBA, .len = FX_LBA,
			.buf = buf + (size_t)i * FX_LBA, .done = pipe_done,
			.ctx = p,
		};
		assert_int_equal(copro_nvme_submit(p->nvme, &req[i]), 0);
	}
	/* req lives on this frame: every done() before it goes. */
	assert_true(test_wait_until(pipe_landed, p, TEST_TIMEOUT_NS));
}

static void test_one_worker_polled_pipeline(void **state)
{
	uint8_t *w = fx_alloc(PIPE_DEPTH * FX_LBA);
	uint8_t *r = fx_alloc(PIPE_DEPTH * FX_LBA);
	struct copro_sim_ans2_stats st;
	struct pipe p = { 0 };
	struct fx f;

	(void)state;
	fx_board_workers(&f, false, true, 1);
	assert_int_equal(fx_probe(&f, NULL), 0);
	p.nvme = f.nvme;
	for (unsigned round = 0; round < PIPE_ROUNDS; round++) {
		for (unsigned i = 0; i < PIPE_DEPTH; i++)
			fx_fill(w + (size_t)i * FX_LBA, FX_LBA, i, 20 + round);
		memset(r, 0, PIPE_DEPTH * FX_LBA);
		pipe_round(&p, COPRO_NVME_WRITE, w);
		pipe_round(&p, COPRO_NVME_READ, r);
		assert_memory_equal(w, r, PIPE_DEPTH * FX_LBA);
	}
	assert_int_equal(atomic_load(&p.err), 0);
	copro_sim_ans2_get_stats(f.m, &st);
	assert_int_equal(st.workers, 1);
	assert_int_equal(st.inline_commands, 0);
	assert_true(st.writes >= PIPE_DEPTH * PIPE_ROUNDS);
	fx_down(&f);
	free(w);
	free(r);
}

static void test_worker_count(void **state)
{
	struct copro_sim_ans2_stats st;
	struct test_logcap cap;
	struct copro_board *b = NULL;
	struct fx f;

	(void)state;
	fx_board(&f, true);
	copro_sim_ans2_get_stats(f.m, &st);
	assert_int_equal(st.workers, COPRO_SIM_ANS2_WORKERS_DEFAULT);
	fx_down(&f);

	assert_int_equal(test_logcap_init(&cap), 0);
	struct copro_board_config bc = {
		.board = "t8103",
		.disk_size = FX_DISK_SIZE,
		.ans2_workers = COPRO_SIM_ANS2_WORKERS_MAX + 1,
		.log = test_logcap_log(&cap),
	};
	assert_int_equal(copro_board_create(&bc, &b), -EINVAL);
	assert_null(b);
	char want[64];

	snprintf(want, sizeof(want), "%u worker threads asked for",
		 COPRO_SIM_ANS2_WORKERS_MAX + 1);
	assert_true(test_logcap_contains(&cap, want));
	test_logcap_destroy(&cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quick_commands_inline),
		cmocka_unit_test(test_workers_only_threaded),
		cmocka_unit_test(test_workers_only_polled),
		cmocka_unit_test(test_polled_after_submit),
		cmocka_unit_test(test_irq_only),
		cmocka_unit_test(test_resubmit_from_done),
		cmocka_unit_test(test_one_worker_polled_pipeline),
		cmocka_unit_test(test_worker_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
