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
};

/* Runs one fio job; 0, or a negative errno (and a message on stderr). */
int bench_fio_run(const struct bench_fio_job *job,
		  struct bench_fio_result *r);

/* "fio 3.33 psync, 1 job, iodepth 1, buffered, invalidate=0, ..." */
void bench_fio_describe(const struct bench_fio_job *job, char *buf,
			size_t len);

/*
 * Reads the whole file once so that a later buffered fio run finds it in
 * the page cache (fio's own invalidate is turned off for that reason).
 */
int bench_fio_warm_file(const char *path);

#endif
