/* SPDX-License-Identifier: MIT */
/*
 * copro bench nbd: fio's nbd engine against `copro serve` (NBD -> nbdkit
 * -> plugin -> NVMe driver -> RTKit/ASC mailbox -> ANS2 model -> backing
 * file), beside fio against `nbdkit file` serving the same backing file
 * in the same run: what the emulated coprocessor costs over serving the
 * file directly. Both servers stay up for the whole run and are measured
 * alternately, point by point, so drift on a shared machine hits both.
 *
 *   4 KiB random read at queue depth 1 (latency-bound) and 16
 *   (throughput-bound), and 1 MiB sequential read (bandwidth).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <copro/error.h>
#include <copro/os.h>

#include "bench.h"
#include "bench_proc.h"
#include "bench_util.h"
#include "cli.h"
#include "cli_json.h"
#include "cli_size.h"

#define NBD_SERVER_START_NS (30 * COPRO_NSEC_PER_SEC)

struct opts {
	uint64_t seconds;	/* per fio run */
	uint64_t size;		/* bytes of the disk */
	bool json;
};

/* One fio workload. */
struct point {
	const char *name, *key;
	const char *rw, *bs;
	unsigned iodepth;
	bool bandwidth;		/* report MiB/s rather than IOPS */
};

static const struct point points[] = {
	{ "4 KiB random read, QD1", "qd1", "randread", "4k", 1, false },
	{ "4 KiB random read, QD16", "qd16", "randread", "4k", 16, false },
	{ "1 MiB sequential read", "seq", "read", "1M", 1, true },
};
#define NPOINTS (sizeof(points) / sizeof(points[0]))

struct result {
	double value;		/* IOPS or MiB/s */
	double lat_us;		/* mean total latency */
};

struct server {
	const char *name;
	char sock[PATH_MAX], log[PATH_MAX];
	pid_t pid;
};

struct bench {
	struct opts o;
	char dir[256], disk[PATH_MAX];	/* dir: short, sockets live in it */
	char fio[PATH_MAX], nbdkit[PATH_MAX], self[PATH_MAX];
	struct server copro, file;
};

void bench_nbd_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro bench nbd [OPTION]...\n"
		"fio's nbd engine against `copro serve` beside fio against `nbdkit file`\n"
		"serving the same backing file: 4 KiB random read at queue depth 1 and\n"
		"16, and 1 MiB sequential read. Needs fio and nbdkit.\n"
		"\n"
		"  -t, --seconds N  seconds per fio run, six runs (default 8)\n"
		"  -s, --size SIZE  disk size, 16M to 64G (default 256M)\n"
		"      --json       print one JSON object instead of the table\n"
		"  -h, --help       show this help and exit\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .seconds = 8, .size = 256ull << 20 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:s:h", lopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (cli_parse_count("bench nbd", "--seconds", optarg, &o->seconds))
				return CLI_EXIT_USAGE;
			if (o->seconds == 0 || o->seconds > 3600)
				return cli_usage_error("bench nbd",
					"invalid value '%s' for --seconds (1 to 3600)", optarg);
			break;
		case 's':
			if (cli_parse_size(optarg, &o->size) < 0 ||
			    o->size < (16ull << 20) || o->size > (64ull << 30) ||
			    o->size % 4096)
				return cli_usage_error("bench nbd",
					"invalid value '%s' for --size (16M to 64G, a multiple of 4096; "
					CLI_SIZE_SYNTAX ")", optarg);
			break;
		case 'j': o->json = true; break;
		case 'h': bench_nbd_usage(stdout); return -1;
		default: return cli_usage_error("bench nbd", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("bench nbd", "unexpected argument '%s'",
				       argv[optind]);
	return 0;
}

/* Real data, so neither server reads holes. */
static int make_disk(const char *path, uint64_t size)
{
	FILE *f = fopen(path, "wb");
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint64_t block[8192];
	int ret = 0;

	if (!f)
		return -errno;
	for (uint64_t done = 0; done < size && !ret; done += sizeof(block)) {
		for (size_t i = 0; i < 8192; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			block[i] = x;
		}
		if (fwrite(block, sizeof(block), 1, f) != 1)
			ret = -EIO;
	}
	if (fclose(f) != 0 && !ret)
		ret = -errno;
	return ret;
}

static int start(struct bench *b, struct server *s, char *const argv[])
{
	int ret = bench_spawn(argv, s->log, &s->pid);

	if (ret < 0) {
		fprintf(stderr, "copro bench nbd: cannot start %s: %s\n", s->name,
			copro_strerror(ret));
		return ret;
	}
	ret = bench_wait_socket(s->sock, s->pid, NBD_SERVER_START_NS);
	if (ret < 0) {
		fprintf(stderr, "copro bench nbd: %s did not start serving: %s; its log:\n",
			s->name, ret == -ECHILD ? "it exited" : copro_strerror(ret));
		bench_print_log_tail(s->log, 12);
		bench_stop(s->pid);
		s->pid = 0;
	}
	(void)b;
	return ret;
}

static int start_servers(struct bench *b)
{
	char size_arg[32], file_arg[PATH_MAX + 8];
	int ret;

	snprintf(size_arg, sizeof(size_arg), "%" PRIu64, b->o.size);
	char *copro_argv[] = { b->self, "serve", "--disk", b->disk, "--size",
			       size_arg, "--socket", b->copro.sock, NULL };
	ret = start(b, &b->copro, copro_argv);
	if (ret < 0)
		return ret;

	snprintf(file_arg, sizeof(file_arg), "file=%s", b->disk);
	char *file_argv[] = { b->nbdkit, "--foreground", "--exit-with-parent",
			      "--unix", b->file.sock, "file", file_arg, NULL };
	return start(b, &b->file, file_argv);
}

/*
 * fio's terse format, version 3: field 7 is read bandwidth (KiB/s),
 * 8 read IOPS, 40 the mean total read latency (us).
 */
static int parse_terse(const char *out, struct result *r, bool bandwidth)
{
	const char *line = strstr(out, "3;fio-");
	double f[41] = { 0 };
	int i = 1;

	if (!line)
		return -EPROTO;
	for (const char *p = line; *p && *p != '\n' && i <= 40; i++) {
		f[i] = strtod(p, NULL);
		p += strcspn(p, ";\n");
		if (*p == ';')
			p++;
	}
	if (i <= 40)
		return -EPROTO;
	r->value = bandwidth ? f[7] / 1024.0 : f[8];
	r->lat_us = f[40];
	return r->value > 0 ? 0 : -EPROTO;
}

static int run_fio(struct bench *b, const struct server *s,
		   const struct point *pt, struct result *r)
{
	char uri[PATH_MAX + 32], runtime[32], depth[16], size[32], log[PATH_MAX + 8];
	unsigned ramp = b->o.seconds >= 4 ? 1 : 0;
	char ramp_arg[32];
	char *out = NULL;

	snprintf(uri, sizeof(uri), "--uri=nbd+unix:///?socket=%s", s->sock);
	snprintf(runtime, sizeof(runtime), "--runtime=%" PRIu64, b->o.seconds);
	snprintf(ramp_arg, sizeof(ramp_arg), "--ramp_time=%u", ramp);
	snprintf(depth, sizeof(depth), "--iodepth=%u", pt->iodepth);
	snprintf(size, sizeof(size), "--size=%" PRIu64, b->o.size);
	snprintf(log, sizeof(log), "%s/fio.log", b->dir);
	char rw[32], bs[32];
	snprintf(rw, sizeof(rw), "--rw=%s", pt->rw);
	snprintf(bs, sizeof(bs), "--bs=%s", pt->bs);
	char *argv[] = { b->fio, "--name=bench", "--ioengine=nbd", uri, rw, bs,
			 depth, size, "--time_based", runtime, ramp_arg,
			 "--norandommap", "--randrepeat=0",
			 "--output-format=terse", "--terse-version=3", NULL };
	int64_t limit = (int64_t)(b->o.seconds + ramp + 60) * COPRO_NSEC_PER_SEC;
	int ret = bench_run_capture(argv, log, limit, &out);

	if (ret == 0)
		ret = parse_terse(out, r, pt->bandwidth);
	else if (ret > 0)
		ret = -EIO;
	if (ret < 0) {
		fprintf(stderr, "copro bench nbd: fio (%s) against %s failed: %s\n",
			pt->name, s->name, copro_strerror(ret));
		bench_print_log_tail(log, 8);
	}
	free(out);
	return ret;
}

static void report_table(const struct bench *b, const struct result *cp,
			 const struct result *fl)
{
	char sz[CLI_SIZE_BUF];

	printf("copro bench nbd: fio nbd engine, %" PRIu64 " s per run, %s disk\n\n",
	       b->o.seconds, cli_format_size(b->o.size, sz, sizeof(sz)));
	for (size_t i = 0; i < NPOINTS; i++) {
		const struct point *pt = &points[i];

		printf("%s\n", pt->name);
		bench_row(stdout, "copro serve (ANS2 NVMe)", cp[i].value,
			  pt->bandwidth ? "MiB/s" : "IOPS", "nbdkit file",
			  fl[i].value);
		if (!pt->bandwidth)
			printf("  %-34s %12.1f %-7s  %-28s %12.1f %-7s\n",
			       "  mean latency", cp[i].lat_us, "us", "", fl[i].lat_us,
			       "us");
	}
}

static int report_json(const struct bench *b, const struct result *cp,
		       const struct result *fl)
{
	json_t *j = json_object();
	char key[64];
	int err = 0;

	for (size_t i = 0; i < NPOINTS; i++) {
		const struct point *pt = &points[i];
		const char *unit = pt->bandwidth ? "mib_s" : "iops";

		snprintf(key, sizeof(key), "nbd_%s_ratio", pt->key);
		err |= cli_json_num(j, key, fl[i].value > 0 ? cp[i].value / fl[i].value : 0);
		snprintf(key, sizeof(key), "nbd_%s_%s", pt->key, unit);
		err |= cli_json_num(j, key, cp[i].value);
		snprintf(key, sizeof(key), "nbd_%s_file_%s", pt->key, unit);
		err |= cli_json_num(j, key, fl[i].value);
		if (!pt->bandwidth) {
			snprintf(key, sizeof(key), "nbd_%s_lat_us", pt->key);
			err |= cli_json_num(j, key, cp[i].lat_us);
			snprintf(key, sizeof(key), "nbd_%s_file_lat_us", pt->key);
			err |= cli_json_num(j, key, fl[i].lat_us);
		}
	}
	err |= cli_json_int(j, "seconds_per_run", (long long)b->o.seconds);
	return cli_json_print("bench nbd", j, err, stdout);
}

static int setup(struct bench *b)
{
	ssize_t n = readlink("/proc/self/exe", b->self, sizeof(b->self) - 1);

	if (n <= 0) {
		fprintf(stderr, "copro bench nbd: cannot find the copro binary: %s\n",
			strerror(errno));
		return -ENOENT;
	}
	b->self[n] = '\0';
	if (!bench_which("fio", b->fio, sizeof(b->fio)) ||
	    !bench_which("nbdkit", b->nbdkit, sizeof(b->nbdkit))) {
		fprintf(stderr, "copro bench nbd: needs fio and nbdkit in PATH "
			"(scripts/deps.sh installs them)\n");
		return -ENOENT;
	}
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int w = snprintf(b->dir, sizeof(b->dir), "%s/copro-bench-nbd.XXXXXX", tmp);
	if (w < 0 || (size_t)w >= sizeof(b->dir)) {
		fprintf(stderr, "copro bench nbd: TMPDIR %s is too long for a socket path\n",
			tmp);
		b->dir[0] = '\0';
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(b->dir)) {
		fprintf(stderr, "copro bench nbd: cannot create a directory %s: %s\n",
			b->dir, strerror(errno));
		return -errno;
	}
	b->copro.name = "copro serve";
	b->file.name = "nbdkit file";
	snprintf(b->disk, sizeof(b->disk), "%s/disk.img", b->dir);
	snprintf(b->copro.sock, sizeof(b->copro.sock), "%s/copro.sock", b->dir);
	snprintf(b->copro.log, sizeof(b->copro.log), "%s/copro.log", b->dir);
	snprintf(b->file.sock, sizeof(b->file.sock), "%s/file.sock", b->dir);
	snprintf(b->file.log, sizeof(b->file.log), "%s/file.log", b->dir);
	int ret = make_disk(b->disk, b->o.size);
	if (ret < 0)
		fprintf(stderr, "copro bench nbd: cannot write %s: %s\n", b->disk,
			copro_strerror(ret));
	return ret;
}

static void cleanup(struct bench *b)
{
	const char *files[] = { b->disk, b->copro.sock, b->copro.log,
				b->file.sock, b->file.log, NULL };
	char fio_log[PATH_MAX + 8];

	bench_stop(b->copro.pid);
	bench_stop(b->file.pid);
	for (size_t i = 0; files[i]; i++)
		if (files[i][0])
			unlink(files[i]);
	snprintf(fio_log, sizeof(fio_log), "%s/fio.log", b->dir);
	unlink(fio_log);
	if (b->dir[0])
		rmdir(b->dir);
}

int bench_nbd_main(int argc, char **argv)
{
	struct bench b = { 0 };
	struct result cp[NPOINTS] = { 0 }, fl[NPOINTS] = { 0 };
	int ret = parse(argc, argv, &b.o);

	if (ret)
		return ret < 0 ? 0 : ret;
	ret = setup(&b);
	if (!ret)
		ret = start_servers(&b);
	if (!ret && !b.o.json)
		fprintf(stderr, "measuring: %zu points x 2 servers, %" PRIu64 " s each...\n",
			NPOINTS, b.o.seconds);
	for (size_t i = 0; i < NPOINTS && !ret; i++) {
		ret = run_fio(&b, &b.file, &points[i], &fl[i]);
		if (!ret)
			ret = run_fio(&b, &b.copro, &points[i], &cp[i]);
	}
	int rc = ret ? CLI_EXIT_FAILURE : 0;

	if (!ret && b.o.json)
		rc = report_json(&b, cp, fl);
	else if (!ret)
		report_table(&b, cp, fl);
	cleanup(&b);
	return rc;
}
