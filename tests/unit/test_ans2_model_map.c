/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 model's disk mapping: a page goes through it from its second
 * touch since the last flush (for writes, under the second-touch policy;
 * the measured one is tested in test_disk_map.c), a flush sends writes
 * back to the calls, deallocated pages leave it, the data is the file's
 * either way, writes can be kept off it, and a copy the kernel cannot
 * back (the file shrank behind the model's back) fails over to the calls
 * with a warning instead of killing the process.
 */
#include <sys/stat.h>

#include "test_ans2_model_host.h"

#define LBA 40u

static void write_lba(struct host *h, uint64_t lba, uint32_t seed)
{
	h_fill(h->data.cpu, ANS2_LBA_SIZE, seed);
	assert_int_equal(h_io(h, NVME_CMD_WRITE, 2, lba, 1, 0, false), 0);
}

/* The LBA reads back as `seed` wrote it, through the model and the file. */
static void check_lba(struct host *h, uint64_t lba, uint32_t seed)
{
	uint8_t want[ANS2_LBA_SIZE], file[ANS2_LBA_SIZE];

	h_fill(want, sizeof(want), seed);
	memset(h->data.cpu, 0xee, ANS2_LBA_SIZE);
	assert_int_equal(h_io(h, NVME_CMD_READ, 3, lba, 1, 0, false), 0);
	assert_memory_equal(h->data.cpu, want, sizeof(want));
	h_file(h, lba * ANS2_LBA_SIZE, file, sizeof(file));
	assert_memory_equal(file, want, sizeof(want));
}

/*
 * The model forgets which pages were written every 2^32 ns of the coarse
 * clock (disk_map.c): a test that counts copies starts a window with a
 * second or more left, so it never straddles two.
 */
static void fresh_window(void)
{
	const uint64_t window = 1ull << 32, need = 1000000000ull;
	uint64_t now = copro_time_coarse_ns();

	if (window - (now & (window - 1)) < need)
		copro_sleep_ns(window - (now & (window - 1)) + 10000000ull);
}

static uint16_t flush(struct host *h)
{
	struct nvme_sqe s = h_rw_sqe(NVME_CMD_FLUSH, 0, 1, 0, 0);

	s.cdw12 = 0;
	return h_cmd(h, 1, 2, s, NULL);
}

/* An LBA never written reads as zeroes, whichever way it is read. */
static void check_zero_lba(struct host *h, uint64_t lba)
{
	static const uint8_t zero[ANS2_LBA_SIZE];

	memset(h->data.cpu, 0xee, ANS2_LBA_SIZE);
	assert_int_equal(h_io(h, NVME_CMD_READ, 3, lba, 1, 0, false), 0);
	assert_memory_equal(h->data.cpu, zero, sizeof(zero));
}

static void test_second_touch(void **state)
{
	struct host *h = *state;
	struct copro_sim_ans2_stats st;

	h_bringup(h);
	assert_true(h_stats(h).mapped);
	fresh_window();
	/* First touch: a call. */
	write_lba(h, LBA, 1);
	st = h_stats(h);
	assert_int_equal(st.mapped_writes, 0);
	/* Second: through the mapping, and the page is readable there too. */
	write_lba(h, LBA, 2);
	assert_int_equal(h_stats(h).mapped_writes, 1);
	check_lba(h, LBA, 2);
	assert_int_equal(h_stats(h).mapped_reads, 1);
	write_lba(h, LBA, 3);
	assert_int_equal(h_stats(h).mapped_writes, 2);
	check_lba(h, LBA, 3);

	/* A flush write-protects the pages: writes go back to the calls... */
	assert_int_equal(flush(h), 0);
	write_lba(h, LBA, 4);
	assert_int_equal(h_stats(h).mapped_writes, 2);
	/* ...until touched twice again; reads stay on the mapping. */
	write_lba(h, LBA, 5);
	assert_int_equal(h_stats(h).mapped_writes, 3);
	check_lba(h, LBA, 5);
	assert_int_equal(h_stats(h).mapped_reads, 3);
	/* A read touches first too: its second read is a copy. */
	check_zero_lba(h, LBA + 1);
	st = h_stats(h);
	check_zero_lba(h, LBA + 1);
	assert_int_equal(h_stats(h).mapped_reads, st.mapped_reads + 1);
	assert_int_equal(h_stats(h).map_faults, 0);
}

/* Writes never go through the mapping; reads still do; the data is one. */
static void test_writes_never(void **state)
{
	struct host *h = *state;
	struct copro_sim_ans2_stats st;

	h_bringup(h);
	fresh_window();
	for (uint32_t i = 0; i < 4; i++) {
		write_lba(h, LBA, 20 + i);
		check_lba(h, LBA, 20 + i);
	}
	st = h_stats(h);
	assert_true(st.mapped);
	assert_false(st.map_takes_writes);
	assert_int_equal(st.mapped_writes, 0);
	assert_true(st.mapped_reads > 0);
	assert_int_equal(st.map_write_fault_ns, 0);
	assert_int_equal(st.map_write_hit_ns, 0);
}

/*
 * The measured policy's figures reach the stats: a call's cost once
 * every eighth write is timed, a fault's once a page is taken in (the
 * first pages are, whatever faults cost, until both are measured).
 */
static void test_measured_figures(void **state)
{
	struct host *h = *state;
	struct copro_sim_ans2_stats st;

	h_bringup(h);
	fresh_window();
	st = h_stats(h);
	assert_true(st.map_takes_writes);
	assert_int_equal(st.map_write_call_ns, 0);
	assert_int_equal(st.map_write_fault_ns, 0);
	for (uint32_t i = 0; i < 16; i++)
		write_lba(h, LBA + i, i);
	write_lba(h, LBA, 100);
	st = h_stats(h);
	assert_true(st.map_write_call_ns > 0);
	assert_true(st.map_write_fault_ns > 0);
	assert_int_equal(st.mapped_writes, 1);
	check_lba(h, LBA, 100);
	for (uint32_t i = 1; i < 16; i++)
		check_lba(h, LBA + i, i);
}

/* The policies' names, as copro serve and the plugin take them. */
static void test_map_writes_names(void **state)
{
	enum copro_sim_ans2_map_writes w = COPRO_SIM_ANS2_MAP_WRITES_NEVER;

	assert_int_equal(copro_sim_ans2_map_writes_parse("measured", &w), 0);
	assert_int_equal(w, COPRO_SIM_ANS2_MAP_WRITES_MEASURED);
	assert_int_equal(copro_sim_ans2_map_writes_parse("second-touch", &w), 0);
	assert_int_equal(w, COPRO_SIM_ANS2_MAP_WRITES_SECOND_TOUCH);
	assert_int_equal(copro_sim_ans2_map_writes_parse("never", &w), 0);
	assert_int_equal(w, COPRO_SIM_ANS2_MAP_WRITES_NEVER);
	assert_int_equal(copro_sim_ans2_map_writes_parse("Never", &w), -EINVAL);
	assert_int_equal(copro_sim_ans2_map_writes_parse("", &w), -EINVAL);
	assert_int_equal(w, COPRO_SIM_ANS2_MAP_WRITES_NEVER);
	(void)state;
}

static void test_deallocated_pages_leave(void **state)
{
	struct host *h = *state;
	struct nvme_dsm_range r = { .nlb = 1, .slba = LBA };
	size_t off = H_DATA_SIZE - NVME_PAGE_SIZE;
	struct nvme_sqe s = {
		.opcode = NVME_CMD_DSM,
		.nsid = ANS2_NSID,
		.prp1 = h->data.phys + off,
		.cdw11 = NVME_DSM_AD,
	};
	uint64_t mapped;

	h_bringup(h);
	write_lba(h, LBA, 7);
	write_lba(h, LBA, 8);
	check_lba(h, LBA, 8);
	mapped = h_stats(h).mapped_reads;
	assert_true(mapped > 0);
	memcpy((uint8_t *)h->data.cpu + off, &r, sizeof(r));
	assert_int_equal(h_cmd(h, 1, 2, s, NULL), 0);
	/* The hole reads as zeroes, by a call: the page left the mapping. */
	check_zero_lba(h, LBA);
	assert_int_equal(h_stats(h).mapped_reads, mapped);
	check_zero_lba(h, LBA);
	assert_int_equal(h_stats(h).mapped_reads, mapped + 1);
}

static int setup_map(void **state, bool unmapped,
		     enum copro_sim_ans2_map_writes w)
{
	struct host *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->unmapped = unmapped;
	h->map_writes = w;
	h_open_cfg(h, false);
	*state = h;
	return 0;
}

static int setup_unmapped(void **state)
{
	return setup_map(state, true, COPRO_SIM_ANS2_MAP_WRITES_MEASURED);
}

static int setup_second_touch(void **state)
{
	return setup_map(state, false, COPRO_SIM_ANS2_MAP_WRITES_SECOND_TOUCH);
}

static int setup_writes_never(void **state)
{
	return setup_map(state, false, COPRO_SIM_ANS2_MAP_WRITES_NEVER);
}

static void test_unmapped(void **state)
{
	struct host *h = *state;

	h_bringup(h);
	assert_false(h_stats(h).mapped);
	for (uint32_t i = 0; i < 3; i++) {
		write_lba(h, LBA, i);
		check_lba(h, LBA, i);
	}
	assert_int_equal(h_stats(h).mapped_writes, 0);
	assert_int_equal(h_stats(h).mapped_reads, 0);
}

/*
 * The file shrinks behind the model's back, below a page the mapping
 * holds. Reading it through the mapping raises SIGBUS: the copy fails
 * over to the call, which reads zeroes past the end as before, the
 * mapping is off from then on, and the log says so once.
 *
 * cmocka puts its own SIGBUS handler around each test and fixture, so
 * the model is made here, in the test, where its handler goes over
 * cmocka's.
 */
static void test_shrunk_file(void **state)
{
	struct host *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->map_writes = COPRO_SIM_ANS2_MAP_WRITES_SECOND_TOUCH;
	h_open_cfg(h, false);
	*state = h;

	uint64_t lba = H_DISK_SIZE / ANS2_LBA_SIZE - 8;
	struct copro_sim_ans2_stats st;

	h_bringup(h);
	fresh_window();
	write_lba(h, lba, 9);
	write_lba(h, lba, 10);
	check_lba(h, lba, 10);
	st = h_stats(h);
	assert_int_equal(st.mapped_writes, 1);
	assert_true(st.mapped_reads > 0);
	assert_int_equal(truncate(h->path, (off_t)(lba * ANS2_LBA_SIZE)), 0);

	check_zero_lba(h, lba);
	st = h_stats(h);
	assert_int_equal(st.map_faults, 1);
	assert_true(test_logcap_contains(h->cap, "through its mapping faulted"));
	/* Calls from now on: a write grows the file again, and reads back. */
	write_lba(h, lba, 11);
	write_lba(h, lba, 12);
	check_lba(h, lba, 12);
	check_zero_lba(h, LBA);
	check_zero_lba(h, LBA);
	assert_int_equal(h_stats(h).mapped_writes, st.mapped_writes);
	assert_int_equal(h_stats(h).mapped_reads, st.mapped_reads);
	assert_int_equal(h_stats(h).map_faults, 1);
	assert_int_equal(h_stats(h).errors, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_second_touch,
						setup_second_touch, h_teardown),
		cmocka_unit_test_setup_teardown(test_writes_never,
						setup_writes_never, h_teardown),
		cmocka_unit_test_setup_teardown(test_measured_figures, h_setup,
						h_teardown),
		cmocka_unit_test(test_map_writes_names),
		cmocka_unit_test_setup_teardown(test_deallocated_pages_leave,
						setup_second_touch, h_teardown),
		cmocka_unit_test_setup_teardown(test_unmapped, setup_unmapped,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_shrunk_file, NULL,
						h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
