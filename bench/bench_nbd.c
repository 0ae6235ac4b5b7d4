/* SPDX-License-Identifier: MIT */
/*
 * copro bench nbd: fio's nbd engine against `copro serve` (NBD -> nbdkit
 * -> plugin -> NVMe driver -> RTKit/ASC mailbox -> ANS2 model -> backing
 * file), beside fio against `nbdkit file` serving the same backing file
 * in the same run: what the emulated coprocessor costs over serving the
 * file directly. Both servers stay up for the whole run and are measured
 * alternately, each point --repeat times with the servers taking turns to
 * go first, and each figure is the median of its runs: drift on a shared
 * machine hits both, and one disturbed run moves no figure.
 *
 *   4 KiB random read and write at queue depth 1 (latency-bound) and 16
 *   (throughput-bound), 1 MiB sequential read and write (bandwidth), and
 *   at every point the serving process's CPU time per I/O (user +
 *   system, from /proc, the process and its children).
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
#include "bench_fio.h"
#include "bench_proc.h"
#include "bench_util.h"
#include "cli.h"
#include "cli_json.h"
#include "cli_size.h"
#include "cli_which.h"

#define NBD_SERVER_START_NS (30 * COPRO_NSEC_PER_SEC)
#define MAX_REPEAT 99

struct point;

struct opts {
	uint64_t seconds;	/* per fio run */
	uint64_t repeat;	/* runs per point and server; medians reported */
	uint64_t size;		/* bytes of the disk */
	bool json;
	bool quick;		/* one point (4 KiB random read, QD1) */
	const struct point *only; /* --only KEY: that point alone */
};

/* One fio workload. */
struct point {
	const char *name, *key;	/* key: the JSON ratio's name */
	const char *rw;
	size_t bs;
	unsigned iodepth;
	bool bandwidth;		/* report MiB/s rather than IOPS */
};

static const struct point points[] = {
	{ "4 KiB random read, QD1", "nbd_qd1", "randread", 4096, 1, false },
	{ "4 KiB random read, QD16", "nbd_qd16", "randread", 4096, 16, false },
	{ "4 KiB random write, QD1", "nbd_write_qd1", "randwrite", 4096, 1, false },
	{ "4 KiB random write, QD16", "nbd_write_qd16", "randwrite", 4096, 16, false },
	{ "1 MiB sequential read", "nbd_seqread", "read", 1 << 20, 1, true },
	{ "1 MiB sequential write", "nbd_seqwrite", "write", 1 << 20, 1, true },
};
#define NPOINTS (sizeof(points) / sizeof(points[0]))

static const struct point *find_point(const char *key)
{
	for (size_t i = 0; i < NPOINTS; i++)
		if (!strcmp(points[i].key, key))
			return &points[i];
	return NULL;
}

struct result {
	double value;		/* IOPS or MiB/s */
	double lat_us;		/* mean total latency */
	double cpu_us_per_io;	/* the server's user + system time per I/O */
	/*
	 * fio's context switches per I/O. A client that keeps finding
	 * replies waiting switches a few times in a hundred; one that waits
	 * for its server sleeps, and each wake-up costs both sides CPU
	 * (docs/performance.md, "The run of 23:54 UTC").
	 */
	double client_ctx_per_io;
	/*
	 * Ours only: the lowest and highest of each run's figure over the
	 * baseline's in the same pair of runs (how far the runs spread).
	 */
	double ratio_min, ratio_max;
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
		"serving the same backing file: 4 KiB random read and write at queue\n"
		"depth 1 and 16, 1 MiB sequential read and write; each with the\n"
		"server's CPU time (user + system) per I/O, and fio's context switches\n"
		"per I/O (how often the client slept waiting for its server). Needs fio\n"
		"and nbdkit.\n"
		"\n"
		"  -t, --seconds N  seconds per fio run (default 5)\n"
		"  -n, --repeat N   runs per point and server, alternating the two\n"
		"                   servers; the medians are reported (default 3)\n"
		"  -s, --size SIZE  disk size, 16M to 64G (default 256M)\n"
		"      --quick      one point only (4 KiB random read, QD1)\n"
		"      --only KEY   one point only, by its JSON key: nbd_qd1, nbd_qd16,\n"
		"                   nbd_write_qd1, nbd_write_qd16, nbd_seqread or\n"
		"                   nbd_seqwrite\n"
		"      --json       print one JSON object instead of the table\n"
		"  -h, --help       show this help and exit\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL;
	int c;

	*o = (struct opts){ .seconds = 5, .repeat = 3, .size = 256ull << 20 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:n:s:h", lopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (cli_parse_count("bench nbd", "--seconds", optarg, &o->seconds))
				return CLI_EXIT_USAGE;
			if (o->seconds == 0 || o->seconds > 3600)
				return cli_usage_error("bench nbd",
					"invalid value '%s' for --seconds (1 to 3600)", optarg);
			break;
		case 'n':
			if (cli_parse_count("bench nbd", "--repeat", optarg, &o->repeat))
				return CLI_EXIT_USAGE;
			if (o->repeat == 0 || o->repeat > MAX_REPEAT)
				return cli_usage_error("bench nbd",
					"invalid value '%s' for --repeat (1 to 99)", optarg);
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
		case 'q': o->quick = true; break;
		case 'o': only = optarg; break;
		case 'h': bench_nbd_usage(stdout); return -1;
		default: return cli_usage_error("bench nbd", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("bench nbd", "unexpected argument '%s'",
				       argv[optind]);
	if (only && o->quick)
		return cli_usage_error("bench nbd", "--only and --quick exclude each other");
	if (only && !(o->only = find_point(only)))
		return cli_usage_error("bench nbd", "unknown point '%s' for --only",
				       only);
	return 0;
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

static void fio_job(const struct bench *b, const struct server *s,
		    const struct point *pt, struct bench_fio_job *job,
		    char *uri, size_t urilen, char *log, size_t loglen)
{
	snprintf(uri, urilen, "nbd+unix:///?socket=%s", s->sock);
	snprintf(log, loglen, "%s/fio.log", b->dir);
	*job = (struct bench_fio_job){
		.target = uri, .nbd = true, .rw = pt->rw, .bs = pt->bs,
		.engine = "nbd", .iodepth = pt->iodepth,
		.seconds = b->o.seconds, .size = b->o.size, .log = log,
	};
}

/* One fio run against one server, with the server's CPU time around it. */
static int run_fio(struct bench *b, const struct server *s,
		   const struct point *pt, struct result *r)
{
	char uri[PATH_MAX + 32], log[PATH_MAX + 8];
	struct bench_fio_job job;
	struct bench_fio_result fr;
	uint64_t cpu0, cpu1;
	int ret;

	fio_job(b, s, pt, &job, uri, sizeof(uri), log, sizeof(log));
	/* Each run starts from the same disk: clean, in the page cache. */
	ret = bench_fio_settle_file(b->disk);
	if (!ret)
		ret = bench_proc_tree_cpu_ns(s->pid, &cpu0);
	if (!ret)
		ret = bench_fio_run(&job, &fr);
	if (!ret)
		ret = bench_proc_tree_cpu_ns(s->pid, &cpu1);
	if (ret < 0) {
		fprintf(stderr, "copro bench nbd: %s against %s failed: %s\n",
			pt->name, s->name, copro_strerror(ret));
		return ret;
	}
	r->value = pt->bandwidth ? fr.mib_s : fr.iops;
	r->lat_us = fr.lat_us;
	r->cpu_us_per_io = (double)(cpu1 - cpu0) / 1e3 / (double)fr.ios;
	r->client_ctx_per_io = fr.ctx_per_io;
	return 0;
}

/* The median of each figure on its own: one noisy run moves none of them. */
static struct result median(const struct result *runs, size_t n)
{
	double v[MAX_REPEAT], l[MAX_REPEAT], c[MAX_REPEAT], x[MAX_REPEAT];

	for (size_t i = 0; i < n; i++) {
		v[i] = runs[i].value;
		l[i] = runs[i].lat_us;
		c[i] = runs[i].cpu_us_per_io;
		x[i] = runs[i].client_ctx_per_io;
	}
	return (struct result){ .value = bench_median(v, n),
				.lat_us = bench_median(l, n),
				.cpu_us_per_io = bench_median(c, n),
				.client_ctx_per_io = bench_median(x, n) };
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/*
 * One point, --repeat times against each server. Which server goes first
 * alternates (file, copro; copro, file; ...), so a drift in the machine's
 * load lands on both alike.
 */
static int run_point(struct bench *b, const struct point *pt,
		     struct result *cp, struct result *fl)
{
	struct result cr[MAX_REPEAT], fr[MAX_REPEAT];
	int ret = 0;

	for (size_t r = 0; r < b->o.repeat && !ret; r++) {
		bool file_first = r % 2 == 0;

		ret = run_fio(b, file_first ? &b->file : &b->copro, pt,
			      file_first ? &fr[r] : &cr[r]);
		if (!ret)
			ret = run_fio(b, file_first ? &b->copro : &b->file, pt,
				      file_first ? &cr[r] : &fr[r]);
	}
	if (ret)
		return ret;
	*cp = median(cr, b->o.repeat);
	*fl = median(fr, b->o.repeat);
	for (size_t r = 0; r < b->o.repeat; r++) {
		double x = ratio(cr[r].value, fr[r].value);

		if (r == 0 || x < cp->ratio_min)
			cp->ratio_min = x;
		if (r == 0 || x > cp->ratio_max)
			cp->ratio_max = x;
	}
	return 0;
}

static void baseline_text(const struct bench *b, char *buf, size_t len)
{
	struct bench_fio_job job;
	char uri[PATH_MAX + 32], log[PATH_MAX + 8], fio[256];

	fio_job(b, &b->file, &points[0], &job, uri, sizeof(uri), log,
		sizeof(log));
	bench_fio_describe(&job, fio, sizeof(fio));
	snprintf(buf, len,
		 "nbdkit --foreground file file=DISK (its default threads), same disk "
		 "file (written back and read before every run: clean, in the page cache), over a Unix socket; %s; "
		 "%" PRIu64 " runs per point and server, the servers alternating "
		 "and taking turns to go first, medians reported; server CPU from "
		 "/proc (process and children)", fio, b->o.repeat);
}

/* How ours ran, as the baseline text says how nbdkit file did. */
static const char ours_text[] =
	"copro serve --disk DISK --size SIZE over a Unix socket, its defaults "
	"(nbdkit's threads; the model copies a page read twice through its "
	"shared mapping of the disk, and a page written twice since the last "
	"flush and within about 4 s while such copies repaid their page "
	"faults on this host (--map-writes measured); the rest with read and "
	"write calls, as --no-map does everything)";

static void report_table(const struct bench *b, const struct result *cp,
			 const struct result *fl, size_t first, size_t npoints)
{
	char base[1024], sz[CLI_SIZE_BUF];

	baseline_text(b, base, sizeof(base));
	printf("copro bench nbd: %" PRIu64 " s per run, median of %" PRIu64
	       " runs per point, %s disk\nbaseline: %s\nours: %s\n\n",
	       b->o.seconds, b->o.repeat, cli_format_size(b->o.size, sz, sizeof(sz)), base,
	       ours_text);
	for (size_t i = first; i < first + npoints; i++) {
		const struct point *pt = &points[i];

		printf("%s\n", pt->name);
		bench_row(stdout, "copro serve (ANS2 NVMe)", cp[i].value,
			  pt->bandwidth ? "MiB/s" : "IOPS", "nbdkit file",
			  fl[i].value);
		if (b->o.repeat > 1)
			printf("  %-34s %12.3f to %.3f\n",
			       "  ratio in each pair of runs", cp[i].ratio_min,
			       cp[i].ratio_max);
		printf("  %-34s %12.1f %-7s  %-28s %12.1f %-7s\n",
		       "  mean latency", cp[i].lat_us, "us", "", fl[i].lat_us,
		       "us");
		bench_row(stdout, "  server CPU per I/O", cp[i].cpu_us_per_io,
			  "us", "", fl[i].cpu_us_per_io);
		printf("  %-34s %12.3f %-7s  %-28s %12.3f\n",
		       "  fio's context switches per I/O",
		       cp[i].client_ctx_per_io, "", "", fl[i].client_ctx_per_io);
	}
}

static int report_json(const struct bench *b, const struct result *cp,
		       const struct result *fl, size_t first, size_t npoints)
{
	json_t *j = json_object();
	char key[64], base[1024];
	double worst_cpu = 0;
	int err = 0;

	for (size_t i = first; i < first + npoints; i++) {
		const struct point *pt = &points[i];
		const char *unit = pt->bandwidth ? "mib_s" : "iops";
		double cpu = ratio(cp[i].cpu_us_per_io, fl[i].cpu_us_per_io);

		snprintf(key, sizeof(key), "%s_ratio", pt->key);
		err |= cli_json_num(j, key, ratio(cp[i].value, fl[i].value));
		snprintf(key, sizeof(key), "%s_ratio_min", pt->key);
		err |= cli_json_num(j, key, cp[i].ratio_min);
		snprintf(key, sizeof(key), "%s_ratio_max", pt->key);
		err |= cli_json_num(j, key, cp[i].ratio_max);
		snprintf(key, sizeof(key), "%s_%s", pt->key, unit);
		err |= cli_json_num(j, key, cp[i].value);
		snprintf(key, sizeof(key), "%s_file_%s", pt->key, unit);
		err |= cli_json_num(j, key, fl[i].value);
		snprintf(key, sizeof(key), "%s_lat_us", pt->key);
		err |= cli_json_num(j, key, cp[i].lat_us);
		snprintf(key, sizeof(key), "%s_file_lat_us", pt->key);
		err |= cli_json_num(j, key, fl[i].lat_us);
		snprintf(key, sizeof(key), "%s_cpu_us_per_io", pt->key);
		err |= cli_json_num(j, key, cp[i].cpu_us_per_io);
		snprintf(key, sizeof(key), "%s_file_cpu_us_per_io", pt->key);
		err |= cli_json_num(j, key, fl[i].cpu_us_per_io);
		snprintf(key, sizeof(key), "%s_client_ctx_per_io", pt->key);
		err |= cli_json_num(j, key, cp[i].client_ctx_per_io);
		snprintf(key, sizeof(key), "%s_file_client_ctx_per_io", pt->key);
		err |= cli_json_num(j, key, fl[i].client_ctx_per_io);
		snprintf(key, sizeof(key), "%s_cpu_ratio", pt->key);
		err |= cli_json_num(j, key, cpu);
		if (cpu > worst_cpu)
			worst_cpu = cpu;
	}
	err |= cli_json_num(j, "cpu_per_io_ratio", worst_cpu);
	err |= cli_json_int(j, "seconds_per_run", (long long)b->o.seconds);
	err |= cli_json_int(j, "runs_per_point", (long long)b->o.repeat);
	baseline_text(b, base, sizeof(base));
	err |= cli_json_str(j, "baseline", base);
	err |= cli_json_str(j, "ours", ours_text);
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
	if (!cli_which("fio", b->fio, sizeof(b->fio)) ||
	    !cli_which("nbdkit", b->nbdkit, sizeof(b->nbdkit))) {
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
	int ret = bench_fill_file(b->disk, b->o.size);
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
	size_t first = 0, npoints = NPOINTS;

	if (ret)
		return ret < 0 ? 0 : ret;
	if (b.o.quick || b.o.only)
		npoints = 1;
	if (b.o.only)
		first = (size_t)(b.o.only - points);
	ret = setup(&b);
	if (!ret)
		ret = start_servers(&b);
	if (!ret && !b.o.json)
		fprintf(stderr, "measuring: %zu points x 2 servers x %" PRIu64
			" runs, %" PRIu64 " s each...\n", npoints, b.o.repeat,
			b.o.seconds);
	for (size_t i = first; i < first + npoints && !ret; i++)
		ret = run_point(&b, &points[i], &cp[i], &fl[i]);
	int rc = ret ? CLI_EXIT_FAILURE : 0;

	if (!ret && b.o.json)
		rc = report_json(&b, cp, fl, first, npoints);
	else if (!ret)
		report_table(&b, cp, fl, first, npoints);
	cleanup(&b);
	return rc;
}
