/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 NVMe driver on the t8103 board: probe and remove, Identify,
 * read/write/flush/FUA round trips up to 4 MiB (PRP lists), zero-copy
 * against bounce buffers, many submitters at once, the vendor command,
 * suspend/resume, a reset with I/O outstanding, and polled mode.
 */
#include <pthread.h>

#include <copro/dt.h>
#include <copro/regs/ans2.h>
#include <copro/sart.h>
#include <copro/sim/bus.h>

#include "test_nvme_fixture.h"

static void roundtrip(struct fx *f, uint64_t off, size_t len, uint32_t gen,
		      bool fua)
{
	uint8_t *w = fx_alloc(len), *r = fx_alloc(len), *d = fx_alloc(len);

	fx_fill(w, len, off / FX_LBA, gen);
	memset(r, 0, len);
	assert_int_equal(copro_nvme_write(f->nvme, off, w, len, fua), 0);
	assert_int_equal(copro_nvme_read(f->nvme, off, r, len), 0);
	assert_memory_equal(w, r, len);
	/* And it is on the disk itself, not only somewhere in between. */
	if (!fua)
		assert_int_equal(copro_nvme_flush(f->nvme), 0);
	assert_int_equal(pread(f->fd, d, len, (off_t)off), (ssize_t)len);
	assert_memory_equal(w, d, len);
	free(w);
	free(r);
	free(d);
}

static void test_probe_identify_remove(void **state)
{
	struct copro_nvme_info info;
	struct copro_dt_ref pd;
	struct fx f;

	fx_up(&f, true, NULL);
	copro_nvme_get_info(f.nvme, &info);
	assert_int_equal(info.lba_size, FX_LBA);
	assert_int_equal(info.lba_count, FX_DISK_SIZE / FX_LBA);
	assert_int_equal(info.max_transfer, COPRO_NVME_MAX_TRANSFER);
	assert_true(strlen(info.model) > 0);
	assert_true(strlen(info.serial) > 0);
	assert_true(strlen(info.firmware) > 0);
	assert_false(copro_nvme_is_dead(f.nvme));
	assert_non_null(copro_nvme_rtkit(f.nvme));

	assert_int_equal(copro_dt_ref(copro_board_dt(f.b), f.node,
				      "power-domains", "#power-domain-cells", 0,
				      &pd), 0);
	assert_true(copro_bus_power_is_on(copro_board_bus(f.b), pd.node, 0));
	fx_remove(&f);
	assert_false(copro_bus_power_is_on(copro_board_bus(f.b), pd.node, 0));

	/* A clean remove leaves a device that probes again. */
	assert_int_equal(fx_probe(&f, NULL), 0);
	roundtrip(&f, 0, FX_LBA, 1, false);
	fx_down(&f);
}

static void test_roundtrips(void **state)
{
	static const size_t sizes[] = {
		4096, 8192, 12288, 65536, 69632, 1024 * 1024,
		COPRO_NVME_MAX_TRANSFER,
	};
	struct copro_nvme_stats st;
	struct fx f;

	fx_up(&f, true, NULL);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		roundtrip(&f, (uint64_t)i * 64 * FX_LBA, sizes[i], i, false);
		roundtrip(&f, FX_DISK_SIZE - sizes[i], sizes[i], i + 100, true);
	}
	copro_nvme_get_stats(f.nvme, &st);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.zero_copy_bytes, 0);
	assert_true(st.bounced_bytes > 2 * COPRO_NVME_MAX_TRANSFER);
	assert_int_equal(st.submitted, st.completed);
	fx_down(&f);
}

static void test_zero_copy(void **state)
{
	const size_t len = COPRO_NVME_MAX_TRANSFER;
	struct copro_nvme_stats st0, st1;
	uint8_t *reg = fx_alloc(2 * len), *plain = fx_alloc(len);
	struct fx f;

	fx_up(&f, true, NULL);
	assert_int_equal(copro_nvme_register_buffer(f.nvme, reg, 2 * len), 0);
	assert_int_equal(copro_nvme_register_buffer(f.nvme, reg + 4096, 4096),
			 -EEXIST);

	/* 4 MiB that starts 0x200 into a page: a three-page PRP list. */
	fx_fill(reg + 0x200, len, 0, 7);
	copro_nvme_get_stats(f.nvme, &st0);
	assert_int_equal(copro_nvme_write(f.nvme, 0, reg + 0x200, len, false), 0);
	copro_nvme_get_stats(f.nvme, &st1);
	assert_int_equal(st1.zero_copy_bytes - st0.zero_copy_bytes, len);
	assert_int_equal(st1.bounced_bytes, st0.bounced_bytes);

	/* The same data read through a bounce buffer, and back zero-copy. */
	assert_int_equal(copro_nvme_read(f.nvme, 0, plain, len), 0);
	assert_memory_equal(plain, reg + 0x200, len);
	memset(reg + len, 0, len);
	assert_int_equal(copro_nvme_read(f.nvme, 0, reg + len, len), 0);
	assert_memory_equal(plain, reg + len, len);
	copro_nvme_get_stats(f.nvme, &st0);
	assert_int_equal(st0.bounced_bytes - st1.bounced_bytes, len);
	assert_int_equal(st0.zero_copy_bytes - st1.zero_copy_bytes, len);

	/* Not dword-aligned: bounced even though registered. */
	fx_fill(plain, FX_LBA, 5, 9);
	memcpy(reg + 3, plain, FX_LBA);
	assert_int_equal(copro_nvme_write(f.nvme, 5 * FX_LBA, reg + 3, FX_LBA,
					  false), 0);
	copro_nvme_get_stats(f.nvme, &st1);
	assert_int_equal(st1.zero_copy_bytes, st0.zero_copy_bytes);
	memset(plain, 0, FX_LBA);
	assert_int_equal(copro_nvme_read(f.nvme, 5 * FX_LBA, plain, FX_LBA), 0);
	assert_memory_equal(plain, reg + 3, FX_LBA);

	assert_int_equal(copro_nvme_unregister_buffer(f.nvme, reg), 0);
	assert_int_equal(copro_nvme_unregister_buffer(f.nvme, reg), -ENOENT);
	fx_down(&f);
	free(reg);
	free(plain);
}

static int never_called;

static void count_done(struct copro_nvme_req *req, int status)
{
	never_called++;
}

static void test_bad_requests(void **state)
{
	struct copro_nvme_req r = { .done = count_done };
	uint8_t *buf = fx_alloc(2 * COPRO_NVME_MAX_TRANSFER);
	struct fx f;

	fx_up(&f, true, NULL);
	never_called = 0;
	r = (struct copro_nvme_req){ COPRO_NVME_READ, 1, FX_LBA, buf,
				     .done = count_done };
	assert_int_equal(copro_nvme_submit(f.nvme, &r), -EINVAL);
	r.offset = 0;
	r.len = 100;
	assert_int_equal(copro_nvme_submit(f.nvme, &r), -EINVAL);
	r.len = 0;
	assert_int_equal(copro_nvme_submit(f.nvme, &r), -EINVAL);
	r.len = COPRO_NVME_MAX_TRANSFER + FX_LBA;
	assert_int_equal(copro_nvme_submit(f.nvme, &r), -EINVAL);
	r.len = 2 * FX_LBA;
	r.offset = FX_DISK_SIZE - FX_LBA;
	assert_int_equal(copro_nvme_submit(f.nvme, &r), -EINVAL);
	r.offset = 0;
	r.buf = NULL;
	assert_int_equal(copro_nvme_submit(f.nvme, &r), -EINVAL);
	r.buf = buf;
	r.op = (enum copro_nvme_op)7;
	assert_int_equal(copro_nvme_submit(f.nvme, &r), -EINVAL);
	r.op = COPRO_NVME_READ;
	r.done = NULL;
	assert_int_equal(copro_nvme_submit(f.nvme, &r), -EINVAL);
	assert_int_equal(never_called, 0);
	test_logcap_expect(&f.cap, "bad offset");
	test_logcap_expect(&f.cap, "bad len");
	fx_down(&f);
	free(buf);
}

/* ---- many submitters ---------------------------------------------------- */

#define THREADS 6
#define BLOCKS_PER_THREAD 32u
#define OPS_PER_THREAD 300u

struct worker {
	struct copro_nvme *nvme;
	unsigned id;
	int failures;
	uint32_t gen[BLOCKS_PER_THREAD];
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	uint64_t base = (uint64_t)w->id * BLOCKS_PER_THREAD;
	uint32_t rng = w->id * 7919 + 1;
	uint8_t *buf = fx_alloc(4 * FX_LBA), *chk = fx_alloc(4 * FX_LBA);

	for (unsigned i = 0; i < OPS_PER_THREAD; i++) {
		unsigned blk, n;

		rng = rng * 1103515245u + 12345u;
		blk = (rng >> 8) % (BLOCKS_PER_THREAD - 3);
		n = 1 + (rng >> 20) % 4;
		if ((rng >> 4) & 1) {
			for (unsigned k = 0; k < n; k++) {
				w->gen[blk + k] = (w->id << 24) | (i + 1);
				fx_fill(buf + k * FX_LBA, FX_LBA, base + blk + k,
					w->gen[blk + k]);
			}
			if (copro_nvme_write(w->nvme, (base + blk) * FX_LBA, buf,
					     n * FX_LBA, (rng >> 5) & 1))
				w->failures++;
		} else {
			if (copro_nvme_read(w->nvme, (base + blk) * FX_LBA, buf,
					    n * FX_LBA))
				w->failures++;
			for (unsigned k = 0; k < n; k++) {
				if (!w->gen[blk + k])
					continue;
				fx_fill(chk, FX_LBA, base + blk + k,
					w->gen[blk + k]);
				if (memcmp(chk, buf + k * FX_LBA, FX_LBA))
					w->failures++;
			}
		}
	}
	free(buf);
	free(chk);
	return NULL;
}

struct burst {
	_Atomic unsigned done, ok;
};

static void burst_done(struct copro_nvme_req *req, int status)
{
	struct burst *b = req->ctx;

	if (!status)
		atomic_fetch_add(&b->ok, 1);
	atomic_fetch_add(&b->done, 1);
}

static bool burst_finished(void *arg)
{
	struct burst *b = arg;

	return atomic_load(&b->done) == 200;
}

static void test_many_submitters(void **state)
{
	static struct copro_nvme_req reqs[200];
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct burst b = { 0 };
	uint8_t *buf = fx_alloc(200 * FX_LBA);
	struct fx f;

	fx_up(&f, true, NULL);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .nvme = f.nvme, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
	}
	/* Meanwhile far more asynchronous requests than tags: submit waits. */
	for (unsigned i = 0; i < 200; i++) {
		reqs[i] = (struct copro_nvme_req){
			.op = COPRO_NVME_READ,
			.offset = (uint64_t)(i % 64) * FX_LBA,
			.len = FX_LBA,
			.buf = buf + (size_t)i * FX_LBA,
			.done = burst_done,
			.ctx = &b,
		};
		assert_int_equal(copro_nvme_submit(f.nvme, &reqs[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	assert_true(test_wait_until(burst_finished, &b, TEST_TIMEOUT_NS));
	assert_int_equal(atomic_load(&b.ok), 200);
	fx_down(&f);
	free(buf);
}

/* ---- vendor command, suspend, reset -------------------------------- */

static void test_vendor_cmd(void **state)
{
	uint8_t out[512], in[512];
	uint32_t cdw[6] = { sizeof(out) / 4, 0, ANS2_VENDOR_OP_WRITE, 64 };
	uint32_t result = 0;
	struct copro_sart *sart;
	unsigned used;
	struct fx f;

	fx_up(&f, true, NULL);
	assert_int_equal(copro_sart_get_dt(f.p, f.node, &sart), 0);
	used = copro_sart_entry_count_used(sart);
	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 37 + 1);
	assert_int_equal(copro_nvme_vendor_cmd(f.nvme, cdw, out, sizeof(out),
					       true, &result), 0);
	assert_int_equal(result, sizeof(out));
	cdw[2] = ANS2_VENDOR_OP_READ;
	memset(in, 0, sizeof(in));
	assert_int_equal(copro_nvme_vendor_cmd(f.nvme, cdw, in, sizeof(in),
					       false, &result), 0);
	assert_memory_equal(in, out, sizeof(in));
	/* The buffer was allowed only while the command ran. */
	assert_int_equal(copro_sart_entry_count_used(sart), used);
	/* A command the controller refuses is an error, not a hang. */
	cdw[2] = 0x55;
	assert_true(copro_nvme_vendor_cmd(f.nvme, cdw, in, sizeof(in), false,
					  &result) < 0);
	assert_int_equal(copro_sart_entry_count_used(sart), used);
	copro_sart_put(sart);
	roundtrip(&f, 0, FX_LBA, 3, false);
	fx_down(&f);
}

static void test_suspend_resume(void **state)
{
	uint8_t *buf = fx_alloc(FX_LBA);
	struct fx f;

	fx_up(&f, true, NULL);
	roundtrip(&f, 8 * FX_LBA, FX_LBA, 11, false);
	assert_int_equal(copro_nvme_suspend(f.nvme), 0);
	assert_int_equal(copro_nvme_read(f.nvme, 0, buf, FX_LBA), -ESHUTDOWN);
	assert_int_equal(copro_nvme_resume(f.nvme), 0);
	fx_fill(buf, FX_LBA, 8, 11);
	roundtrip(&f, 8 * FX_LBA, FX_LBA, 12, true);
	/* Suspended at remove: still a clean remove. */
	assert_int_equal(copro_nvme_suspend(f.nvme), 0);
	fx_down(&f);
	free(buf);
}

#define NOUT 48u

struct outstanding {
	struct copro_nvme_req reqs[NOUT];
	int status[NOUT];
	_Atomic unsigned done, ok, failed;
};

static void out_done(struct copro_nvme_req *req, int status)
{
	struct outstanding *o = req->ctx;

	o->status[req - o->reqs] = status;
	if (!status)
		atomic_fetch_add(&o->ok, 1);
	else
		atomic_fetch_add(&o->failed, 1);
	atomic_fetch_add(&o->done, 1);
}

static bool out_finished(void *arg)
{
	struct outstanding *o = arg;

	return atomic_load(&o->done) == NOUT;
}

static void reset_with_outstanding(unsigned retries)
{
	const size_t len = 16 * FX_LBA;
	struct copro_nvme_config cfg = { .retries = retries };
	uint8_t *buf = fx_alloc(NOUT * len), *chk = fx_alloc(len);
	struct outstanding *o = calloc(1, sizeof(*o));
	struct copro_nvme_stats st;
	struct fx f;

	assert_non_null(o);
	fx_up(&f, true, &cfg);
	for (unsigned i = 0; i < NOUT; i++) {
		fx_fill(buf + i * len, len, i * 16, 77);
		o->reqs[i] = (struct copro_nvme_req){
			.op = COPRO_NVME_WRITE,
			.offset = (uint64_t)i * len,
			.len = len,
			.buf = buf + i * len,
			.done = out_done,
			.ctx = o,
		};
		assert_int_equal(copro_nvme_submit(f.nvme, &o->reqs[i]), 0);
	}
	assert_int_equal(copro_nvme_reset(f.nvme), 0);
	assert_true(test_wait_until(out_finished, o, TEST_TIMEOUT_NS));
	copro_nvme_get_stats(f.nvme, &st);
	assert_int_equal(st.resets, 1);
	if (retries) {
		assert_int_equal(atomic_load(&o->ok), NOUT);
		assert_int_equal(st.failed, 0);
	} else {
		/* Whatever the reset caught failed; nothing is lost or hangs. */
		assert_int_equal(atomic_load(&o->failed), st.failed);
	}
	/* Every write that was acknowledged is there. */
	for (unsigned i = 0; i < NOUT; i++) {
		if (o->status[i]) {
			assert_int_equal(o->status[i], -ECANCELED);
			continue;
		}
		assert_int_equal(copro_nvme_read(f.nvme, o->reqs[i].offset, chk,
						 len), 0);
		assert_memory_equal(chk, buf + i * len, len);
	}
	roundtrip(&f, 0, FX_LBA, 5, false);
	fx_down(&f);
	free(o);
	free(buf);
	free(chk);
}

static void test_reset_retries_outstanding(void **state)
{
	reset_with_outstanding(1);
}

static void test_reset_fails_outstanding(void **state)
{
	reset_with_outstanding(0);
}

static void test_polled(void **state)
{
	struct fx f;

	/* An unthreaded platform: the driver polls, no config says so. */
	fx_up(&f, false, NULL);
	roundtrip(&f, 0, FX_LBA, 21, false);
	roundtrip(&f, 4 * FX_LBA, COPRO_NVME_MAX_TRANSFER, 22, true);
	assert_int_equal(copro_nvme_reset(f.nvme), 0);
	roundtrip(&f, 0, 16 * FX_LBA, 23, false);
	fx_down(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_identify_remove),
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_zero_copy),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_many_submitters),
		cmocka_unit_test(test_vendor_cmd),
		cmocka_unit_test(test_suspend_resume),
		cmocka_unit_test(test_reset_retries_outstanding),
		cmocka_unit_test(test_reset_fails_outstanding),
		cmocka_unit_test(test_polled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
