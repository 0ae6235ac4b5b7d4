/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 NVMe driver against a controller that fails on purpose: lost
 * interrupts and stuck commands (alone, then in a random workload that
 * must keep every acknowledged write), DMA errors, a coprocessor crash
 * in the middle of a workload, and every way the bring-up can fail.
 */
#include <pthread.h>

#include <copro/sim/rtkit_fw.h>

#include "test_nvme_fixture.h"

/* Short enough for a quick test, long enough that no healthy command
 * under a sanitizer on a loaded machine ever reaches it. */
#define SHORT_TIMEOUT_NS (250 * COPRO_NSEC_PER_MSEC)

static void stats(struct fx *f, struct copro_nvme_stats *st)
{
	copro_nvme_get_stats(f->nvme, st);
}

static bool repoll_logged(void *arg)
{
	struct fx *f = arg;

	return test_logcap_contains(&f->cap, "re-polling");
}

static void test_lost_interrupt_repolled(void **state)
{
	/* Not polled after submitting: the interrupt is all there is. */
	struct copro_nvme_config cfg = { .io_timeout_ns = SHORT_TIMEOUT_NS,
					 .irq_only = true };
	uint8_t *w = fx_alloc(FX_LBA), *r = fx_alloc(FX_LBA);
	struct copro_nvme_stats st;
	struct fx f;

	fx_up(&f, true, &cfg);
	fx_fill(w, FX_LBA, 3, 1);
	assert_int_equal(copro_nvme_write(f.nvme, 3 * FX_LBA, w, FX_LBA, false), 0);
	/* Alone in flight, its completion raises nothing: only a re-poll helps. */
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_LOST_IRQ, 1);
	assert_int_equal(copro_nvme_read(f.nvme, 3 * FX_LBA, r, FX_LBA), 0);
	assert_memory_equal(w, r, FX_LBA);
	/* The watchdog counts and logs it just after completing the read. */
	assert_true(test_wait_until(repoll_logged, &f, TEST_TIMEOUT_NS));
	stats(&f, &st);
	assert_int_equal(st.repolled, 1);
	assert_int_equal(st.resets, 0);
	fx_down(&f);
	free(w);
	free(r);
}

static void stuck_write(unsigned retries)
{
	struct copro_nvme_config cfg = { .io_timeout_ns = SHORT_TIMEOUT_NS,
					 .retries = retries };
	uint8_t *w = fx_alloc(FX_LBA), *r = fx_alloc(FX_LBA);
	struct copro_nvme_stats st;
	struct fx f;
	int rc;

	fx_up(&f, true, &cfg);
	fx_fill(w, FX_LBA, 9, 2);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_STUCK, 1);
	rc = copro_nvme_write(f.nvme, 9 * FX_LBA, w, FX_LBA, false);
	stats(&f, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.resets, 1);
	test_logcap_expect(&f.cap, "timed out");
	if (retries) {
		assert_int_equal(rc, 0);
		assert_int_equal(st.retried, 1);
		assert_int_equal(copro_nvme_read(f.nvme, 9 * FX_LBA, r, FX_LBA), 0);
		assert_memory_equal(w, r, FX_LBA);
	} else {
		assert_int_equal(rc, -ETIMEDOUT);
		assert_int_equal(st.failed, 1);
	}
	/* The controller works after the reset. */
	assert_int_equal(copro_nvme_read(f.nvme, 0, r, FX_LBA), 0);
	fx_down(&f);
	free(w);
	free(r);
}

static void test_stuck_command_retried(void **state)
{
	stuck_write(1);
}

static void test_stuck_command_failed(void **state)
{
	stuck_write(0);
}

static void test_dma_fault(void **state)
{
	uint8_t *r = fx_alloc(FX_LBA);
	struct fx f;

	fx_up(&f, true, NULL);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_DMA, 1);
	assert_int_equal(copro_nvme_read(f.nvme, 0, r, FX_LBA), -EIO);
	test_logcap_expect(&f.cap, "failed: status type");
	assert_int_equal(copro_nvme_read(f.nvme, 0, r, FX_LBA), 0);
	fx_down(&f);
	free(r);
}

/* ---- a random workload with faults --------------------------------- */

#define THREADS 4
#define BLOCKS 24u
#define OPS 160u

struct worker {
	struct copro_nvme *nvme;
	unsigned id;
	int failures;
	uint32_t gen[BLOCKS];
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	uint64_t base = 64 + (uint64_t)w->id * BLOCKS;
	uint32_t rng = w->id * 104729 + 7;
	uint8_t *buf = fx_alloc(2 * FX_LBA), *chk = fx_alloc(FX_LBA);

	for (unsigned i = 0; i < OPS; i++) {
		unsigned blk, op, n;

		rng = rng * 1103515245u + 12345u;
		blk = (rng >> 8) % (BLOCKS - 1);
		n = 1 + ((rng >> 3) & 1);
		op = (rng >> 20) % 8;
		if (op < 3) {
			uint32_t g = (w->id << 24) | (i + 1);

			for (unsigned k = 0; k < n; k++)
				fx_fill(buf + k * FX_LBA, FX_LBA, base + blk + k, g);
			/* Only an acknowledged write has to be there later. */
			if (!copro_nvme_write(w->nvme, (base + blk) * FX_LBA, buf,
					      n * FX_LBA, op == 2)) {
				for (unsigned k = 0; k < n; k++)
					w->gen[blk + k] = g;
			} else {
				w->failures++;
			}
		} else if (op == 3) {
			if (copro_nvme_flush(w->nvme))
				w->failures++;
		} else {
			if (copro_nvme_read(w->nvme, (base + blk) * FX_LBA, buf,
					    n * FX_LBA)) {
				w->failures++;
				continue;
			}
			for (unsigned k = 0; k < n; k++) {
				if (!w->gen[blk + k])
					continue;
				fx_fill(chk, FX_LBA, base + blk + k, w->gen[blk + k]);
				if (memcmp(chk, buf + k * FX_LBA, FX_LBA))
					w->failures += 1000;
			}
		}
	}
	free(buf);
	free(chk);
	return NULL;
}

static void test_faulty_workload_keeps_acked_writes(void **state)
{
	struct copro_nvme_config cfg = { .io_timeout_ns = SHORT_TIMEOUT_NS,
					 .retries = 3 };
	uint8_t *chk = fx_alloc(FX_LBA), *buf = fx_alloc(FX_LBA);
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct copro_nvme_stats st;
	struct fx f;

	fx_up(&f, true, &cfg);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_LOST_IRQ, 6);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_STUCK, 2);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_DOORBELL_RACE, 1);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .nvme = f.nvme, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_DOORBELL_RACE, 0);
	stats(&f, &st);
	/* Retries absorb every fault: nothing failed, nothing was lost. */
	for (unsigned i = 0; i < THREADS; i++) {
		assert_int_equal(w[i].failures, 0);
		for (unsigned b = 0; b < BLOCKS; b++) {
			uint64_t lba = 64 + (uint64_t)i * BLOCKS + b;

			if (!w[i].gen[b])
				continue;
			assert_int_equal(copro_nvme_read(f.nvme, lba * FX_LBA,
							 buf, FX_LBA), 0);
			fx_fill(chk, FX_LBA, lba, w[i].gen[b]);
			assert_memory_equal(chk, buf, FX_LBA);
		}
	}
	assert_int_equal(st.failed, 0);
	assert_true(st.resets >= 1);
	fx_down(&f);
	free(chk);
	free(buf);
}

/* ---- crash ------------------------------------------------------------- */

#define CRASH_REQS 400u

struct crash_run {
	struct copro_nvme_req reqs[CRASH_REQS];
	int status[CRASH_REQS];
	_Atomic unsigned done, submitted;
	uint8_t *buf;
};

static void crash_done(struct copro_nvme_req *req, int status)
{
	struct crash_run *c = req->ctx;

	c->status[req - c->reqs] = status;
	atomic_fetch_add(&c->done, 1);
}

static bool crash_all_done(void *arg)
{
	struct crash_run *c = arg;

	return atomic_load(&c->done) == atomic_load(&c->submitted);
}

static void test_crash_fails_everything(void **state)
{
	struct copro_nvme_config cfg = { .io_timeout_ns = 30 * COPRO_NSEC_PER_SEC };
	struct crash_run *c = calloc(1, sizeof(*c));
	uint8_t *r = fx_alloc(FX_LBA);
	unsigned ok = 0, reset = 0;
	int rc = 0;
	struct fx f;

	assert_non_null(c);
	c->buf = fx_alloc(64 * FX_LBA);
	fx_up(&f, true, &cfg);
	/*
	 * The first command a worker takes never completes, so at least one
	 * is in flight when the crash comes, however the threads are
	 * scheduled (the crash counts completions: it comes after 100
	 * others).
	 */
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_STUCK, 1);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_CRASH, 100);
	for (unsigned i = 0; i < CRASH_REQS; i++) {
		c->reqs[i] = (struct copro_nvme_req){
			.op = i % 3 ? COPRO_NVME_READ : COPRO_NVME_WRITE,
			.offset = (uint64_t)(i % 64) * FX_LBA,
			.len = FX_LBA,
			.buf = c->buf + (size_t)(i % 64) * FX_LBA,
			.done = crash_done,
			.ctx = c,
		};
		rc = copro_nvme_submit(f.nvme, &c->reqs[i]);
		if (rc)
			break;
		atomic_fetch_add(&c->submitted, 1);
	}
	/* The crash came mid-run: submit refused, everything else answered. */
	assert_int_equal(rc, -ECONNRESET);
	assert_true(test_wait_until(crash_all_done, c, TEST_TIMEOUT_NS));
	for (unsigned i = 0; i < atomic_load(&c->submitted); i++) {
		if (!c->status[i])
			ok++;
		else if (c->status[i] == -ECONNRESET)
			reset++;
		else
			fail_msg("request %u ended with %d", i, c->status[i]);
	}
	/*
	 * Some finished before the crash (it comes after 100 commands, but
	 * completions still in the queue then are failed with the rest).
	 * The stuck command is among the failed: everything submitted was
	 * answered, and only the crash answers it. Which request it is
	 * depends on which of the model's workers takes the fault first.
	 */
	assert_true(ok >= 1);
	assert_true(reset >= 1);
	assert_true(copro_nvme_is_dead(f.nvme));
	assert_int_equal(copro_nvme_read(f.nvme, 0, r, FX_LBA), -ECONNRESET);
	assert_int_equal(copro_nvme_reset(f.nvme), -ECONNRESET);
	test_logcap_expect(&f.cap, "coprocessor crashed");
	test_logcap_expect(&f.cap, "mailbox history");
	fx_down(&f);
	free(c->buf);
	free(c);
	free(r);
}

/* ---- bring-up failures --------------------------------------------- */

static void bringup_fails(int fault, int rtkit_fault, const char *step)
{
	struct copro_nvme_config cfg = { .io_timeout_ns = SHORT_TIMEOUT_NS };
	struct copro_sim_rtkit *fw;
	struct fx f;

	fx_board(&f, true);
	fw = copro_board_rtkit(f.b, f.node);
	assert_non_null(fw);
	if (fault >= 0)
		copro_sim_ans2_set_fault(f.m, (enum copro_sim_ans2_fault)fault, 1);
	if (rtkit_fault >= 0)
		copro_sim_rtkit_set_fault(fw, (enum copro_sim_rtkit_fault)rtkit_fault,
					  true);
	assert_true(fx_probe(&f, &cfg) < 0);
	assert_null(f.nvme);
	test_logcap_expect(&f.cap, step);
	test_logcap_expect(&f.cap, "probe failed");
	/* Nothing was left behind: the same device probes once healed. */
	if (fault >= 0)
		copro_sim_ans2_set_fault(f.m, (enum copro_sim_ans2_fault)fault, 0);
	if (rtkit_fault >= 0)
		copro_sim_rtkit_set_fault(fw, (enum copro_sim_rtkit_fault)rtkit_fault,
					  false);
	assert_int_equal(fx_probe(&f, &cfg), 0);
	fx_down(&f);
}

static void test_bringup_firmware_silent(void **state)
{
	bringup_fails(-1, COPRO_SIM_RTKIT_FAULT_NO_HELLO, "RTKit boot");
}

static void test_bringup_no_boot_status(void **state)
{
	bringup_fails(COPRO_SIM_ANS2_FAULT_NO_BOOT_STATUS, -1, "BOOT_STATUS");
}

/*
 * ctrl_timeout_ns bounds the bring-up's waits: a BOOT_STATUS that never
 * reads OK fails the probe after it, not after the default second (the
 * error names the wait it gave up after; no clock is read here).
 */
static void test_bringup_ctrl_timeout(void **state)
{
	struct copro_nvme_config cfg = {
		.io_timeout_ns = SHORT_TIMEOUT_NS,
		.ctrl_timeout_ns = 50 * COPRO_NSEC_PER_MSEC,
	};
	struct fx f;

	(void)state;
	fx_board(&f, true);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_NO_BOOT_STATUS, 1);
	assert_int_equal(fx_probe(&f, &cfg), -ETIMEDOUT);
	test_logcap_expect(&f.cap, "50 ms after RTKit booted");
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_NO_BOOT_STATUS, 0);
	assert_int_equal(fx_probe(&f, &cfg), 0);
	fx_down(&f);
}

static void test_bringup_identify_fails(void **state)
{
	bringup_fails(COPRO_SIM_ANS2_FAULT_IDENTIFY, -1, "Identify Controller");
}

static void test_bringup_queue_count(void **state)
{
	bringup_fails(COPRO_SIM_ANS2_FAULT_QUEUE_COUNT, -1,
		      "Number of Queues) granted 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lost_interrupt_repolled),
		cmocka_unit_test(test_stuck_command_retried),
		cmocka_unit_test(test_stuck_command_failed),
		cmocka_unit_test(test_dma_fault),
		cmocka_unit_test(test_faulty_workload_keeps_acked_writes),
		cmocka_unit_test(test_crash_fails_everything),
		cmocka_unit_test(test_bringup_firmware_silent),
		cmocka_unit_test(test_bringup_no_boot_status),
		cmocka_unit_test(test_bringup_ctrl_timeout),
		cmocka_unit_test(test_bringup_identify_fails),
		cmocka_unit_test(test_bringup_queue_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
