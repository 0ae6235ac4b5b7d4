/* SPDX-License-Identifier: MIT */
/*
 * fio as a baseline: one job run to completion, its JSON report read for
 * the figures the benchmarks compare (rate, latency, and fio's own CPU
 * time per I/O), and a one-line description of how it ran, which every
 * benchmark prints beside the figures.
 */
#ifndef COPRO_BENCH_FIO_H
#define COPRO_BENCH_FIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_fio_job {
	const char *target;	/* --filename=FILE, or an nbd URI */
	bool nbd;		/* target is --uri for the nbd engine */
	const char *rw;		/* randread, randwrite, read, write */
	size_t bs;
	const char *engine;	/* psync, io_uring, nbd */
	unsigned iodepth;
	uint64_t seconds;
	uint64_t size;		/* bytes of the file or export */
	const char *log;	/* fio's stderr (NULL: discarded) */
	bool read_only;		/* fio --readonly: the file is the user's */
};

struct bench_fio_result {
	double iops;
	double mib_s;
	double lat_us;		/* mean total latency */
	uint64_t ios;		/* I/Os completed in the measured time */
	double cpu_us_per_io;	/* fio's own user + system time per I/O */
	/*
	 * Its io_uring workers' per I/O (bench_io_workers): the kernel
	 * threads that ran the writes io_uring could not do at once, on
	 * another CPU. 0 when it had none (psync, nbd, most reads).
	 */
	double workers_cpu_us_per_io;
	/*
	 * fio's context switches per I/O: how often its thread found
	 * nothing to do and slept (a busy client: a few in a hundred).
	 */
	double ctx_per_io;
};

/* Runs one fio job; 0, or a negative errno (and a message on stderr). */
int bench_fio_run(const struct bench_fio_job *job,
		  struct bench_fio_result *r);

/* "fio 3.33 psync, 1 job, iodepth 1, buffered, invalidate=0, ..." */
void bench_fio_describe(const struct bench_fio_job *job, char *buf,
			size_t len);

/*
 * Creates or grows the file to `size` bytes of pseudo-random data (so no
 * reader meets a hole) in 4 KiB writes, and writes it back. 4 KiB
 * writes keep the page cache's folios at 4 KiB: on this machine's kernel
 * (6.18, ext4) a 4 KiB write into a large folio, which 1 MiB writes or a
 * readahead make, costs 20-60 us of CPU instead of 3-5, for fio and for
 * us alike, and the write figures would measure that instead of the I/O
 * paths (docs/performance.md).
 */
int bench_fill_file(const char *path, uint64_t size);

/*
 * Brings the file to the same state before every measured run: writes
 * back its dirty pages (fdatasync), so that the writeback of an earlier
 * run's writes, or of the file's own filling, does not land in this run,
 * and reads it whole, so that buffered I/O finds it in the page cache
 * (fio's own invalidate is turned off for that reason). On ext4 a 4 KiB
 * random write into a file still being written back cost 20-30 us of CPU
 * against 3-5 once it was clean (docs/performance.md).
 */
int bench_fio_settle_file(const char *path);

#endif
