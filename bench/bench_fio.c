/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <copro/error.h>
#include <copro/os.h>

#include "bench_fio.h"
#include "bench_proc.h"
#include "cli_which.h"

/* fio's start-up and reporting beyond --runtime; then it is killed. */
#define FIO_SLACK_S 60

/* obj[key] as a number, or -1 when it is missing or not a number. */
static double num(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : -1;
}

/*
 * jobs[0] of fio's --output-format=json report (one job). fio may print
 * notes before the JSON object, so parsing starts at the first '{'.
 */
static int parse_report(const char *out, bool write,
			struct bench_fio_result *r)
{
	const char *start = strchr(out, '{');
	json_t *root, *job, *sec;
	json_error_t error;
	double runtime_ms, usr, sys, ctx;
	int ret = 0;

	if (!start)
		return -EPROTO;
	root = json_loads(start, JSON_DISABLE_EOF_CHECK, &error);
	if (!root) {
		fprintf(stderr, "copro bench: fio's report is not JSON: line %d: %s\n",
			error.line, error.text);
		return -EPROTO;
	}
	job = json_array_get(json_object_get(root, "jobs"), 0);
	sec = json_object_get(job, write ? "write" : "read");
	r->iops = num(sec, "iops");
	r->mib_s = num(sec, "bw_bytes") / (1024.0 * 1024.0);
	runtime_ms = num(sec, "runtime");
	r->ios = num(sec, "total_ios") > 0 ? (uint64_t)num(sec, "total_ios") : 0;
	r->lat_us = num(json_object_get(sec, "lat_ns"), "mean") / 1e3;
	usr = num(job, "usr_cpu");
	sys = num(job, "sys_cpu");
	ctx = num(job, "ctx");
	if (r->iops <= 0 || runtime_ms <= 0 || !r->ios || usr < 0 || sys < 0 ||
	    ctx < 0) {
		ret = -EPROTO;
	} else {
		/* usr_cpu and sys_cpu: percent of one CPU over the runtime. */
		r->cpu_us_per_io = (usr + sys) / 100.0 * runtime_ms * 1e3 /
				   (double)r->ios;
		r->ctx_per_io = ctx / (double)r->ios;
	}
	json_decref(root);
	return ret;
}

int bench_fio_run(const struct bench_fio_job *job,
		  struct bench_fio_result *r)
{
	char target[PATH_MAX + 32], rw[32], bs[32], engine[32], depth[32];
	char runtime[32], size[32], fio[PATH_MAX], *argv[24], *out = NULL;
	struct bench_io_workers workers;
	bool write = strstr(job->rw, "write") != NULL;
	int n = 0, ret;

	memset(r, 0, sizeof(*r));
	if (!cli_which("fio", fio, sizeof(fio))) {
		fprintf(stderr, "copro bench: fio is not in PATH (scripts/deps.sh installs it)\n");
		return -ENOENT;
	}
	snprintf(target, sizeof(target), "%s%s",
		 job->nbd ? "--uri=" : "--filename=", job->target);
	snprintf(rw, sizeof(rw), "--rw=%s", job->rw);
	snprintf(bs, sizeof(bs), "--bs=%zu", job->bs);
	snprintf(engine, sizeof(engine), "--ioengine=%s", job->engine);
	snprintf(depth, sizeof(depth), "--iodepth=%u", job->iodepth);
	snprintf(runtime, sizeof(runtime), "--runtime=%" PRIu64, job->seconds);
	snprintf(size, sizeof(size), "--size=%" PRIu64, job->size);
	argv[n++] = fio;
	argv[n++] = "--name=copro-bench";
	/* Before the target: the nbd engine's --uri exists only after it. */
	argv[n++] = engine;
	argv[n++] = target;
	argv[n++] = rw;
	argv[n++] = bs;
	argv[n++] = depth;
	argv[n++] = "--numjobs=1";
	argv[n++] = "--thread";
	argv[n++] = "--time_based";
	argv[n++] = runtime;
	argv[n++] = size;
	argv[n++] = "--randrepeat=0";
	argv[n++] = "--norandommap";
	if (!job->nbd) {
		/*
		 * Buffered, and the page cache left alone: fio's default
		 * invalidate=1 drops the file's pages before the job, which
		 * turns a page-cache benchmark into a disk benchmark.
		 */
		argv[n++] = "--direct=0";
		argv[n++] = "--invalidate=0";
	}
	argv[n++] = "--output-format=json";
	if (job->read_only)
		argv[n++] = "--readonly";
	argv[n] = NULL;

	ret = bench_run_capture_workers(argv, job->log ? job->log : "/dev/null",
					(int64_t)(job->seconds + FIO_SLACK_S) *
						COPRO_NSEC_PER_SEC,
					&out, &workers);
	if (ret > 0)
		ret = -EIO;
	if (!ret)
		ret = parse_report(out, write, r);
	if (!ret)
		r->workers_cpu_us_per_io = (double)bench_io_workers_ns(&workers) /
					   1e3 / (double)r->ios;
	if (ret < 0) {
		fprintf(stderr, "copro bench: fio %s %s bs=%zu iodepth=%u on %s failed: %s\n",
			job->engine, job->rw, job->bs, job->iodepth, job->target,
			copro_strerror(ret));
		if (job->log)
			bench_print_log_tail(job->log, 8);
	}
	free(out);
	return ret;
}

void bench_fio_describe(const struct bench_fio_job *job, char *buf,
			size_t len)
{
	if (job->nbd)
		snprintf(buf, len,
			 "fio --ioengine=nbd --numjobs=1 --iodepth=%u --time_based --runtime=%" PRIu64
			 " --norandommap",
			 job->iodepth, job->seconds);
	else
		snprintf(buf, len,
			 "fio --ioengine=%s --numjobs=1 --iodepth=%u --thread --direct=0 --invalidate=0"
			 " --time_based --runtime=%" PRIu64
			 " --norandommap, file written back (fdatasync) and read"
			 " once beforehand (clean, page cache warm)",
			 job->engine, job->iodepth, job->seconds);
}

int bench_fill_file(const char *path, uint64_t size)
{
	uint64_t block[4096 / sizeof(uint64_t)], x = 0x9e3779b97f4a7c15ull;
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600), ret = 0;

	if (fd < 0)
		return -errno;
	for (uint64_t off = 0; off < size && !ret; off += sizeof(block)) {
		size_t len = size - off < sizeof(block) ? (size_t)(size - off)
							: sizeof(block);

		for (size_t i = 0; i < sizeof(block) / sizeof(block[0]); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			block[i] = x;
		}
		ssize_t n = pwrite(fd, block, len, (off_t)off);
		if (n != (ssize_t)len)
			ret = n < 0 ? -errno : -EIO;
	}
	if (!ret && fdatasync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int bench_fio_settle_file(const char *path)
{
	char *buf = malloc(1 << 20);
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;
	ssize_t n;

	if (fd < 0 || !buf) {
		ret = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	if (fdatasync(fd) < 0) {
		ret = -errno;
		goto out;
	}
	while ((n = read(fd, buf, 1 << 20)) > 0)
		;
	if (n < 0)
		ret = -errno;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}
