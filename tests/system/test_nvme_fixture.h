/* SPDX-License-Identifier: MIT */
/*
 * A board with a temporary disk file and its host side brought up by the
 * probe-all pass (the ASC mailbox, the SART, then the NVMe driver),
 * shared by the NVMe system tests: t8103, or the board COPRO_TEST_BOARD
 * names (CTest runs these tests on the A11's t8015 too, whose controller
 * generation differs).
 */
#ifndef TEST_NVME_FIXTURE_H
#define TEST_NVME_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <copro/devices.h>
#include <copro/dt.h>
#include <copro/error.h>
#include <copro/nvme.h>
#include <copro/regs/ans2.h>
#include <copro/regs/asc.h>
#include <copro/sim/ans2_model.h>
#include <copro/sim/board.h>

#include "testutil.h"

#define FX_LBA 4096u
#define FX_DISK_SIZE (16u * 1024 * 1024)

/* The NVMe driver's CPU control is the ASC block's, under its own name. */
_Static_assert(ANS2_CPU_CONTROL == ASC_CPU_CONTROL &&
		       ANS2_CPU_CONTROL_RUN == ASC_CPU_CONTROL_RUN,
	       "one CPU control register");

struct fx {
	struct test_logcap cap;
	char path[64];
	int fd;			/* the backing file, to check it directly */
	struct copro_board *b;
	struct copro_platform *p;
	int node;
	struct copro_sim_ans2 *m;
	struct copro_devices *devs;
	struct copro_nvme *nvme;
};

/*
 * workers_only: the ANS2 model runs every command on its workers, of
 * which it runs `workers` (0: its default).
 */
static inline void fx_board_workers(struct fx *f, bool threaded,
				    bool workers_only, unsigned workers)
{
	const char *board = getenv("COPRO_TEST_BOARD");
	struct copro_board_config bc = {
		.board = board && *board ? board : "t8103",
		.threaded = threaded,
		.disk_size = FX_DISK_SIZE,
		.ans2_workers_only = workers_only,
		.ans2_workers = workers,
	};

	memset(f, 0, sizeof(*f));
	assert_int_equal(test_logcap_init(&f->cap), 0);
	copro_log_set_level(test_logcap_log(&f->cap), COPRO_LOG_INFO);
	snprintf(f->path, sizeof(f->path), "/tmp/copro-nvme-test-XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	bc.disk_path = f->path;
	bc.log = test_logcap_log(&f->cap);
	assert_int_equal(copro_board_create(&bc, &f->b), 0);
	f->p = copro_board_platform(f->b);
	f->node = copro_board_nvme_node(f->b);
	assert_true(f->node >= 0);
	f->m = copro_board_ans2(f->b, f->node);
	assert_non_null(f->m);
}

static inline void fx_board_ex(struct fx *f, bool threaded, bool workers_only)
{
	fx_board_workers(f, threaded, workers_only, 0);
}

static inline void fx_board(struct fx *f, bool threaded)
{
	fx_board_ex(f, threaded, false);
}

/* The whole host side, or nothing (the pass removes what it probed). */
static inline int fx_probe(struct fx *f, const struct copro_nvme_config *cfg)
{
	const struct copro_driver_config dcfg[] = {
		{ "nvme", cfg },
		{ NULL, NULL },
	};
	const struct copro_devices_config dc = { .configs = dcfg };
	int rc = copro_devices_probe_all(f->p, &dc, &f->devs);

	if (rc)
		return rc;
	f->nvme = copro_nvme_from_device(copro_devices_find(f->devs, f->node));
	assert_non_null(f->nvme);
	return 0;
}

/* NVMe driver, SART and mailbox removed: the board is as created. */
static inline void fx_remove(struct fx *f)
{
	if (f->devs)
		assert_int_equal(copro_devices_remove_all(f->devs), 0);
	f->devs = NULL;
	f->nvme = NULL;
}

static inline void fx_up(struct fx *f, bool threaded,
			 const struct copro_nvme_config *cfg)
{
	int rc;

	fx_board(f, threaded);
	rc = fx_probe(f, cfg);
	if (rc)
		test_logcap_dump(&f->cap);
	assert_int_equal(rc, 0);
}

/* Nothing may be left behind: the platform complains about leaks. */
static inline void fx_down(struct fx *f)
{
	fx_remove(f);
	copro_board_destroy(f->b);
	if (test_logcap_contains(&f->cap, "still")) {
		test_logcap_dump(&f->cap);
		fail_msg("the board was left with resources held");
	}
	close(f->fd);
	unlink(f->path);
	test_logcap_destroy(&f->cap);
}

/* Deterministic content for block `lba` as written in round `gen`. */
static inline void fx_fill(void *buf, size_t len, uint64_t lba, uint32_t gen)
{
	uint32_t *w = buf;

	for (size_t i = 0; i < len / 4; i++)
		w[i] = (uint32_t)((lba + i / (FX_LBA / 4)) * 0x9e3779b1u) ^
		       (uint32_t)i * 0x85ebca6bu ^ gen;
}

static inline void *fx_alloc(size_t len)
{
	void *p = aligned_alloc(4096, len);

	assert_non_null(p);
	return p;
}

#endif
