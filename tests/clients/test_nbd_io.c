/* SPDX-License-Identifier: MIT */
/*
 * The plugin's I/O layer (tools/nbdkit/nbd_io.c) on a real board and
 * driver, without nbdkit: byte ranges of any alignment, requests larger
 * than a command, zeroes, concurrent read-modify-writes sharing blocks,
 * and what clients see after a coprocessor crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <copro/devices.h>
#include <copro/error.h>
#include <copro/nvme.h>
#include <copro/sim/ans2_model.h>
#include <copro/sim/board.h>

#include "nbd_io.h"
#include "testutil.h"

#define DISK_SIZE (16u << 20)

struct fx {
	struct test_logcap cap;
	char path[64];
	int fd;
	struct copro_board *b;
	struct copro_devices *devs;
	struct copro_nvme *nvme;
	struct copro_sim_ans2 *m;
	struct nbd_io io;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct copro_board_config bc = {
		.board = "t8103", .threaded = true, .disk_size = DISK_SIZE,
	};
	const struct copro_nvme_config nc = { 0 };
	int node;

	assert_non_null(f);
	assert_int_equal(test_logcap_init(&f->cap), 0);
	copro_log_set_level(test_logcap_log(&f->cap), COPRO_LOG_INFO);
	snprintf(f->path, sizeof(f->path), "/tmp/copro-nbd-io-XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	bc.disk_path = f->path;
	bc.log = test_logcap_log(&f->cap);
	assert_int_equal(copro_board_create(&bc, &f->b), 0);
	node = copro_board_nvme_node(f->b);
	assert_true(node >= 0);
	f->m = copro_board_ans2(f->b, node);
	assert_non_null(f->m);
	assert_int_equal(copro_devices_probe_all(
				 copro_board_platform(f->b),
				 &(struct copro_devices_config){
					 .configs = (struct copro_driver_config[]){
						 { "nvme", &nc }, { NULL, NULL } } },
				 &f->devs),
			 0);
	f->nvme = copro_nvme_from_device(copro_devices_find(f->devs, node));
	assert_non_null(f->nvme);
	assert_int_equal(nbd_io_init(&f->io, f->nvme, test_logcap_log(&f->cap),
				     0, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(copro_devices_remove_all(f->devs), 0);
	nbd_io_fini(&f->io);
	copro_board_destroy(f->b);
	close(f->fd);
	unlink(f->path);
	test_logcap_destroy(&f->cap);
	free(f);
	return 0;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* What the backing file holds, read past the driver. */
static void file_read(struct fx *f, void *buf, size_t len, off_t off)
{
	assert_int_equal(pread(f->fd, buf, len, off), (ssize_t)len);
}

static void test_geometry(void **state)
{
	struct fx *f = *state;

	assert_int_equal(f->io.lba_size, 4096);
	assert_int_equal(f->io.size, DISK_SIZE);
	assert_true(f->io.split >= f->io.lba_size);
	assert_true(f->io.split <= f->io.max_transfer);
	assert_int_equal(f->io.split % f->io.lba_size, 0);
}

/* Bigger than a command and a window of chunks, starting mid-block. */
static void test_large_unaligned_round_trip(void **state)
{
	struct fx *f = *state;
	size_t len = 9u * 1024 * 1024 + 517;
	uint64_t off = 4096 + 100;
	uint8_t *src = malloc(len), *back = malloc(len), *file = malloc(len);

	assert_non_null(src);
	assert_non_null(back);
	assert_non_null(file);
	fill(src, len, 1);
	assert_int_equal(nbd_io_write(&f->io, src, len, off, false), 0);
	assert_int_equal(nbd_io_flush(&f->io), 0);
	memset(back, 0, len);
	assert_int_equal(nbd_io_read(&f->io, back, len, off), 0);
	assert_memory_equal(src, back, len);
	file_read(f, file, len, (off_t)off);
	assert_memory_equal(src, file, len);
	free(src);
	free(back);
	free(file);
}

/*
 * Large reads and writes move straight between the caller's buffer and
 * the disk (registered for the request, then let go); small ones bounce.
 */
static void test_large_requests_zero_copy(void **state)
{
	struct fx *f = *state;
	size_t len = 1u << 20;
	uint8_t *src = malloc(len), *back = malloc(len), *small = malloc(4096);
	struct copro_nvme_stats a, b;

	assert_non_null(src);
	assert_non_null(back);
	assert_non_null(small);
	fill(src, len, 7);
	copro_nvme_get_stats(f->nvme, &a);
	assert_int_equal(nbd_io_write(&f->io, src, len, 1u << 20, false), 0);
	assert_int_equal(nbd_io_read(&f->io, back, len, 1u << 20), 0);
	copro_nvme_get_stats(f->nvme, &b);
	assert_memory_equal(src, back, len);
	assert_int_equal(b.zero_copy_bytes - a.zero_copy_bytes, 2 * len);
	assert_int_equal(b.bounced_bytes, a.bounced_bytes);
	/* Let go after the request: the same memory registers again. */
	assert_int_equal(copro_nvme_register_buffer(f->nvme, back, len), 0);
	assert_int_equal(copro_nvme_unregister_buffer(f->nvme, back), 0);
	assert_int_equal(nbd_io_read(&f->io, small, 4096, 1u << 20), 0);
	copro_nvme_get_stats(f->nvme, &a);
	assert_int_equal(a.bounced_bytes - b.bounced_bytes, 4096);
	assert_memory_equal(small, src, 4096);
	free(src);
	free(back);
	free(small);
}

static void test_zero_keeps_neighbours(void **state)
{
	struct fx *f = *state;
	uint8_t pat[3 * 4096], back[3 * 4096], want[3 * 4096];

	fill(pat, sizeof(pat), 2);
	assert_int_equal(nbd_io_write(&f->io, pat, sizeof(pat), 8192, true), 0);
	/* From the middle of the first block to the middle of the third. */
	assert_int_equal(nbd_io_zero(&f->io, 7000, 8192 + 1000, false, false, false), 0);
	memcpy(want, pat, sizeof(want));
	memset(want + 1000, 0, 7000);
	assert_int_equal(nbd_io_read(&f->io, back, sizeof(back), 8192), 0);
	assert_memory_equal(want, back, sizeof(back));
	/* A whole-block zero and a one-byte one. */
	assert_int_equal(nbd_io_zero(&f->io, 4096, 8192, true, false, false), 0);
	assert_int_equal(nbd_io_zero(&f->io, 1, 8192 + 2 * 4096 + 4095, false, true, false), 0);
	memset(want, 0, 4096);
	want[2 * 4096 + 4095] = 0;
	assert_int_equal(nbd_io_read(&f->io, back, sizeof(back), 8192), 0);
	assert_memory_equal(want, back, sizeof(back));
}

static uint64_t allocated(struct fx *f)
{
	struct stat st;

	assert_int_equal(fstat(f->fd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static bool zeroes(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Trim deallocates the whole blocks inside its range (the edges are
 * left alone) and zero with may_trim keeps the file sparse, both through
 * the driver's Dataset Management and Write Zeroes; a fast zero that
 * would need a read-modify-write is refused before anything is done.
 */
static void test_trim_and_zero_stay_sparse(void **state)
{
	struct fx *f = *state;
	const size_t len = 4u << 20;
	uint8_t *src = malloc(len), *back = malloc(len);
	struct copro_nvme_info info;
	uint64_t full;

	assert_non_null(src);
	assert_non_null(back);
	copro_nvme_get_info(f->nvme, &info);
	assert_true(info.max_discard >= len);
	assert_true(info.max_write_zeroes > 0);
	assert_true(info.discard_zeroes && info.write_zeroes_deac);
	assert_true(nbd_io_can_trim(&f->io) && nbd_io_can_fast_zero(&f->io));

	fill(src, len, 7);
	assert_int_equal(nbd_io_write(&f->io, src, len, 0, true), 0);
	full = allocated(f);
	assert_true(full >= len);

	/* 1 MiB + 100 bytes in: the block before 1 MiB + 4096 is kept. */
	assert_int_equal(nbd_io_trim(&f->io, (1u << 20) - 100, (1u << 20) + 100,
				     false), 0);
	assert_true(allocated(f) <= full - (1u << 20) + 8192);
	assert_int_equal(nbd_io_read(&f->io, back, len, 0), 0);
	assert_memory_equal(back, src, (1u << 20) + 4096);
	assert_true(zeroes(back + (1u << 20) + 4096, (1u << 20) - 4096));
	assert_memory_equal(back + (2u << 20), src + (2u << 20), len - (2u << 20));

	/* Zero that may trim: a hole; the unaligned edges zeroed in place. */
	full = allocated(f);
	assert_int_equal(nbd_io_zero(&f->io, (1u << 20) + 2000, (2u << 20) - 1000,
				     false, true, false), 0);
	assert_true(allocated(f) <= full - (1u << 20) + 8192);
	assert_int_equal(nbd_io_read(&f->io, back, len, 0), 0);
	assert_true(zeroes(back + (2u << 20) - 1000, (1u << 20) + 2000));
	assert_memory_equal(back + (3u << 20) + 1000, src + (3u << 20) + 1000,
			    len - (3u << 20) - 1000);

	/* Fast zero: aligned is fine, a partial block is refused untouched. */
	assert_int_equal(nbd_io_zero(&f->io, 4096, 0, false, false, true), 0);
	assert_int_equal(nbd_io_zero(&f->io, 100, 8192, false, false, true),
			 -ENOTSUP);
	assert_int_equal(nbd_io_read(&f->io, back, 3 * 4096, 0), 0);
	assert_true(zeroes(back, 4096));
	assert_memory_equal(back + 4096, src + 4096, 2 * 4096);

	struct nbd_io_stats st;
	nbd_io_get_stats(&f->io, &st);
	assert_int_equal(st.trims, 1);
	assert_int_equal(st.zeroes, 2);
	assert_int_equal(st.inflight, 0);
	assert_true(st.busy_ns > 0);
	free(src);
	free(back);
}

static uint64_t fdatasyncs(struct fx *f)
{
	struct copro_sim_ans2_stats st;

	copro_sim_ans2_get_stats(f->m, &st);
	return st.fdatasyncs;
}

/* FUA and flush reach the model as durability; plain writes do not. */
static void test_fua_and_flush(void **state)
{
	struct fx *f = *state;
	uint8_t buf[4096];
	uint64_t n;

	fill(buf, sizeof(buf), 4);
	n = fdatasyncs(f);
	assert_int_equal(nbd_io_write(&f->io, buf, sizeof(buf), 0, false), 0);
	assert_int_equal(fdatasyncs(f), n);
	assert_int_equal(nbd_io_write(&f->io, buf, sizeof(buf), 0, true), 0);
	assert_true(fdatasyncs(f) > n);
	n = fdatasyncs(f);
	assert_int_equal(nbd_io_flush(&f->io), 0);
	assert_true(fdatasyncs(f) > n);
	/* An unaligned FUA write is durable too (its write-back carries it). */
	n = fdatasyncs(f);
	assert_int_equal(nbd_io_write(&f->io, buf, 10, 4000, true), 0);
	assert_true(fdatasyncs(f) > n);
}

/*
 * Threads write interleaved 3-byte slots that share blocks, every write
 * a read-modify-write. Without the gate, two RMWs of one block lose one
 * of the updates.
 */
#define RMW_THREADS 4
#define RMW_SLOTS 1024	/* per thread, 16 bytes apart: 4 blocks */
#define RMW_BASE (1u << 20)

struct rmw_arg {
	struct fx *f;
	unsigned id;
	int err;
};

static uint64_t slot_off(unsigned id, unsigned k)
{
	return RMW_BASE + (uint64_t)k * 16 + (uint64_t)id * 4;
}

static void *rmw_thread(void *p)
{
	struct rmw_arg *a = p;

	for (unsigned k = 0; k < RMW_SLOTS && !a->err; k++) {
		uint8_t v[3] = { (uint8_t)(0x40 + a->id), (uint8_t)k,
				 (uint8_t)(k >> 8) };
		a->err = nbd_io_write(&a->f->io, v, sizeof(v),
				      slot_off(a->id, k), false);
	}
	return NULL;
}

static void test_concurrent_rmw(void **state)
{
	struct fx *f = *state;
	pthread_t th[RMW_THREADS];
	struct rmw_arg args[RMW_THREADS];
	size_t span = (size_t)slot_off(RMW_THREADS - 1, RMW_SLOTS - 1) + 3 -
		      RMW_BASE;
	uint8_t *back = malloc(span);

	assert_non_null(back);
	for (unsigned i = 0; i < RMW_THREADS; i++) {
		args[i] = (struct rmw_arg){ .f = f, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, rmw_thread,
						&args[i]), 0);
	}
	for (unsigned i = 0; i < RMW_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].err, 0);
	}
	assert_int_equal(nbd_io_read(&f->io, back, span, RMW_BASE), 0);
	for (unsigned i = 0; i < RMW_THREADS; i++)
		for (unsigned k = 0; k < RMW_SLOTS; k++) {
			const uint8_t *v = back + slot_off(i, k) - RMW_BASE;

			if (v[0] != 0x40 + i || v[1] != (uint8_t)k ||
			    v[2] != (uint8_t)(k >> 8))
				fail_msg("thread %u slot %u lost: %02x %02x %02x",
					 i, k, v[0], v[1], v[2]);
		}
	free(back);
}

static void test_crash_fails_everything(void **state)
{
	struct fx *f = *state;
	uint8_t buf[8192];
	int ret = 0;

	fill(buf, sizeof(buf), 3);
	copro_sim_ans2_set_fault(f->m, COPRO_SIM_ANS2_FAULT_CRASH, 3);
	/* The crash lands within a few commands; none of them may hang. */
	for (int i = 0; i < 8 && ret == 0; i++)
		ret = nbd_io_write(&f->io, buf, sizeof(buf), 4096 * (uint64_t)i,
				   false);
	assert_int_equal(nbd_io_errno(ret), EIO);
	assert_true(copro_nvme_is_dead(f->nvme));
	assert_int_equal(nbd_io_errno(nbd_io_read(&f->io, buf, 100, 5)), EIO);
	assert_int_equal(nbd_io_errno(nbd_io_flush(&f->io)), EIO);
	assert_int_equal(nbd_io_errno(nbd_io_zero(&f->io, 4096, 0, true, false, false)), EIO);
	/* Said once, not once per request. */
	assert_int_equal(test_logcap_count(&f->cap,
					   "NVMe coprocessor has crashed"), 1);
}

static void test_errno_map(void **state)
{
	(void)state;
	assert_int_equal(nbd_io_errno(-EINVAL), EINVAL);
	assert_int_equal(nbd_io_errno(-ENOSPC), ENOSPC);
	assert_int_equal(nbd_io_errno(-EDQUOT), ENOSPC);
	assert_int_equal(nbd_io_errno(-ENOTSUP), ENOTSUP);
	assert_int_equal(nbd_io_errno(-EIO), EIO);
	assert_int_equal(nbd_io_errno(-ESHUTDOWN), ESHUTDOWN);
	assert_int_equal(nbd_io_errno(-EROFS), EPERM);
	assert_int_equal(nbd_io_errno(-ECONNRESET), EIO);
	assert_int_equal(nbd_io_errno(-ETIMEDOUT), EIO);
	assert_int_equal(nbd_io_errno(-COPRO_EBUSFAULT), EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_geometry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_unaligned_round_trip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_requests_zero_copy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_keeps_neighbours, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fua_and_flush, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_rmw, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crash_fails_everything,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_trim_and_zero_stay_sparse,
						setup, teardown),
		cmocka_unit_test(test_errno_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
