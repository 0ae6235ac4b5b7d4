/* SPDX-License-Identifier: MIT */
/*
 * copro bench nvme: the emulated ANS2 disk through the whole stack (NVMe
 * driver, NVMMU, PRPs, RTKit-booted controller model, backing file),
 * 4 KiB random reads and writes at queue depth 1 and 32 and 1 MiB
 * sequential reads, each beside fio on the same backing file in the same
 * run: queue depth 1 beside fio's psync engine (one pread per I/O, the
 * cheapest synchronous path), queue depth 32 beside io_uring at depth 32.
 * Ours runs each the same way: at queue depth 1 the model runs the
 * command in the doorbell write, in the asking thread; at 32 the host
 * polls its completion queue while the model's one worker runs the
 * commands, as io_uring's submitting thread and its io-wq worker split a
 * buffered write between two cores (struct workload).
 *
 * Each figure is the median of --repeat runs per side, the sides taking
 * turns to go first. Both sides use buffered I/O on a prefilled file
 * whose pages are clean and in the page cache (before each side's run
 * the file is written back and read once, and fio is told not to drop
 * its pages), so the comparison is of the I/O paths, not of the storage
 * under them or of the writeback of an earlier run. Our buffers are
 * registered for zero-copy, as a serious client of the driver would do.
 * Beside each rate, the CPU time per I/O: ours is the whole process
 * (driver, model, firmware threads), fio's its own report.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <copro/devices.h>
#include <copro/error.h>
#include <copro/nvme.h>
#include <copro/os.h>
#include <copro/sim/board.h>

#include "bench.h"
#include "bench_fio.h"
#include "bench_proc.h"
#include "bench_util.h"
#include "cli.h"
#include "cli_json.h"
#include "disk_image.h"

#define DISK_SIZE (256ull * 1024 * 1024)
#define MAX_QD 32u
#define WAIT_SLICE_NS (100 * COPRO_NSEC_PER_MSEC)
#define MAX_REPEAT 99

struct opts {
	const char *disk;
	uint64_t seconds;
	uint64_t repeat;	/* runs per figure and side; medians reported */
	bool json, force;
	bool quick;		/* one workload: 4 KiB random read, QD1 */
	const char *only;	/* --only KEY: that workload alone */
	/* A file of the user's, without --force: only reads touch it. */
	bool read_only;
};

void bench_nvme_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro bench nvme [OPTION]...\n"
		"Measure the emulated NVMe disk through the ANS2 driver (4 KiB random\n"
		"read and write at queue depth 1 and 32, 1 MiB sequential read) beside\n"
		"fio on the same backing file, page cache warm: psync at queue depth 1,\n"
		"io_uring at 32 (ours then with a polling host and one model worker).\n"
		"\n"
		"      --disk FILE    backing file (default: a temporary one, removed\n"
		"                     after). An existing FILE is only read (the\n"
		"                     write figures are skipped; it must hold 256 MiB)\n"
		"                     unless --force; a new FILE is a scratch file,\n"
		"                     removed after\n"
		"      --force        let the benchmark grow, fill and write --disk FILE\n"
		"      --seconds N    seconds per figure and engine (default 2)\n"
		"      --repeat N     runs per figure and side, the two sides taking\n"
		"                     turns to go first; the medians are reported\n"
		"                     (default 3, with --quick 1)\n"
		"      --quick        one workload only (4 KiB random read, QD1)\n"
		"      --only KEY     one workload only, by its JSON key: qd1_read_psync,\n"
		"                     qd32_read_uring, qd1_write_psync,\n"
		"                     qd32_write_uring or seqread_psync\n"
		"      --json         print one JSON object instead of the table\n"
		"  -h, --help         show this help and exit\n");
}

/* ---- the workloads ---------------------------------------------------- */

struct workload {
	const char *name, *key;	/* key: the JSON ratio's name */
	const char *fio_rw;	/* fio --rw */
	enum copro_nvme_op op;
	bool sequential;
	size_t bs;
	unsigned qd;
	const char *engine;	/* fio's engine for the baseline */
	/*
	 * Ours the way io_uring does it: the host polls its completion
	 * queue and the model runs every command on one worker thread,
	 * where fio's job thread and one io-wq worker split each write
	 * between the two cores. Otherwise the model runs each command in
	 * the doorbell write, with the interrupt thread for the rest (as
	 * psync runs each I/O in the thread that asks).
	 */
	bool pipelined;
};

static const struct workload workloads[] = {
	{ "4k random read, QD1", "qd1_read_psync", "randread", COPRO_NVME_READ, false, 4096, 1, "psync", false },
	{ "4k random read, QD32", "qd32_read_uring", "randread", COPRO_NVME_READ, false, 4096, 32, "io_uring", true },
	{ "4k random write, QD1", "qd1_write_psync", "randwrite", COPRO_NVME_WRITE, false, 4096, 1, "psync", false },
	{ "4k random write, QD32", "qd32_write_uring", "randwrite", COPRO_NVME_WRITE, false, 4096, 32, "io_uring", true },
	{ "1M sequential read, QD1", "seqread_psync", "read", COPRO_NVME_READ, true, 1024 * 1024, 1, "psync", false },
};
#define NWORK (sizeof(workloads) / sizeof(workloads[0]))

struct result {
	double ours, fio;		/* IOPS */
	double ours_cpu, fio_cpu;	/* us of CPU per I/O */
	double fio_workers_cpu;		/* of fio_cpu: its io_uring workers' */
};

/* ---- in-process runner -------------------------------------------- */

struct runner {
	struct copro_nvme *nvme;
	const struct workload *w;
	struct copro_nvme_req req[MAX_QD];
	uint8_t *buf;
	_Atomic uint64_t free_mask; /* slots not in flight */
	_Atomic uint64_t done;
	_Atomic int error;
	struct copro_event ev;
	uint64_t rng, next_off;
};

static void run_done(struct copro_nvme_req *req, int status)
{
	struct runner *r = req->ctx;

	if (status)
		atomic_store(&r->error, status);
	atomic_fetch_add_explicit(&r->done, 1, memory_order_relaxed);
	atomic_fetch_or(&r->free_mask, 1ull << (req - r->req));
	copro_event_signal(&r->ev);
}

static uint64_t next_offset(struct runner *r)
{
	uint64_t blocks = DISK_SIZE / r->w->bs, off;

	if (r->w->sequential) {
		off = r->next_off;
		r->next_off = (r->next_off + r->w->bs) % DISK_SIZE;
		return off;
	}
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return (r->rng % blocks) * r->w->bs;
}

/*
 * A polled host's wait until the free slots are `want` (0: any): nothing
 * reaps but us. Polls for up to POLL_SPIN_NS without a completion, then
 * naps between polls, so a stalled controller does not keep a core busy.
 */
#define POLL_SPIN_NS (50 * COPRO_NSEC_PER_USEC)
#define POLL_NAP_NS (20 * COPRO_NSEC_PER_USEC)
#define POLLS_PER_CLOCK 64u

static bool slots_free(struct runner *r, uint64_t want)
{
	uint64_t m = atomic_load(&r->free_mask);

	return want ? m == want : m != 0;
}

static void poll_for_slots(struct runner *r, uint64_t want)
{
	uint64_t idle_since = 0;
	unsigned polls = 0;

	while (!slots_free(r, want)) {
		if (copro_nvme_poll(r->nvme) > 0) {
			idle_since = 0;
			continue;
		}
		if (++polls % POLLS_PER_CLOCK)
			continue;
		uint64_t now = copro_time_ns();

		if (!idle_since)
			idle_since = now;
		else if (now - idle_since >= POLL_SPIN_NS)
			copro_sleep_ns(POLL_NAP_NS);
	}
}

/*
 * Until slots are free (`want`, or any for 0): polled, by polling; else
 * asleep on the completions' event (`key` from before the last look),
 * which wakes for any and is looked at again by the caller.
 */
static void wait_for_slots(struct runner *r, bool polled, uint32_t key,
			   uint64_t want)
{
	if (polled)
		poll_for_slots(r, want);
	else
		copro_event_wait(&r->ev, key, WAIT_SLICE_NS,
				 COPRO_SPIN_DEFAULT_NS);
}

/* User + system time of the whole process, in ns. */
static uint64_t process_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
		       COPRO_NSEC_PER_SEC +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) *
		       1000u;
}

static int run_ours(struct copro_nvme *nvme, bool polled, uint8_t *buf,
		    const struct workload *w, uint64_t seconds, double *iops,
		    double *cpu_us)
{
	struct runner *r = calloc(1, sizeof(*r));
	uint64_t start, deadline, cpu0, all = (1ull << w->qd) - 1;
	int rc = 0;

	if (!r)
		return -ENOMEM;
	r->nvme = nvme;
	r->w = w;
	r->buf = buf;
	r->rng = 0x9e3779b97f4a7c15ull;
	atomic_init(&r->free_mask, all);
	copro_event_init(&r->ev);
	for (unsigned i = 0; i < w->qd; i++)
		r->req[i] = (struct copro_nvme_req){
			.op = w->op, .len = w->bs, .buf = buf + i * w->bs,
			.done = run_done, .ctx = r,
		};
	start = copro_time_ns();
	cpu0 = process_cpu_ns();
	deadline = start + seconds * COPRO_NSEC_PER_SEC;
	while (copro_time_ns() < deadline && !atomic_load(&r->error)) {
		uint32_t key = copro_event_prepare(&r->ev);
		uint64_t m = atomic_exchange(&r->free_mask, 0);

		if (!m) {
			wait_for_slots(r, polled, key, 0);
			continue;
		}
		while (m) {
			unsigned i = (unsigned)__builtin_ctzll(m);

			m &= m - 1;
			r->req[i].offset = next_offset(r);
			rc = copro_nvme_submit(nvme, &r->req[i]);
			if (rc) {
				atomic_store(&r->error, rc);
				atomic_fetch_or(&r->free_mask, 1ull << i);
			}
		}
	}
	/* Let what is in flight land before the buffers are reused. */
	while (atomic_load(&r->free_mask) != all) {
		uint32_t key = copro_event_prepare(&r->ev);

		if (atomic_load(&r->free_mask) == all)
			break;
		wait_for_slots(r, polled, key, all);
	}
	*iops = (double)atomic_load(&r->done) * 1e9 /
		(double)(copro_time_ns() - start);
	*cpu_us = atomic_load(&r->done) ? (double)(process_cpu_ns() - cpu0) /
						  1e3 /
						  (double)atomic_load(&r->done)
					: 0;
	rc = atomic_load(&r->error);
	free(r);
	return rc;
}

/* ---- fio ------------------------------------------------------------ */

static void fio_job(const char *disk, const struct workload *w,
		    uint64_t seconds, struct bench_fio_job *job)
{
	*job = (struct bench_fio_job){
		.target = disk, .rw = w->fio_rw, .bs = w->bs,
		.engine = w->engine, .iodepth = w->qd, .seconds = seconds,
		.size = DISK_SIZE,
	};
}

/* cpu_us: fio's job thread and its io_uring workers; workers_us: theirs. */
static int run_fio(const char *disk, const struct workload *w,
		   uint64_t seconds, bool read_only, double *iops,
		   double *cpu_us, double *workers_us)
{
	struct bench_fio_job job;
	struct bench_fio_result r;
	int ret;

	fio_job(disk, w, seconds, &job);
	job.read_only = read_only;
	ret = bench_fio_run(&job, &r);
	*iops = ret ? -1 : r.iops;
	*cpu_us = ret ? -1 : r.cpu_us_per_io + r.workers_cpu_us_per_io;
	*workers_us = ret ? -1 : r.workers_cpu_us_per_io;
	return ret;
}

/*
 * One workload, --repeat times on each side, the sides taking turns to go
 * first (ours, fio; fio, ours; ...), each run from the same file, clean
 * and in the page cache: a drift in the machine's load lands on both
 * alike, and the medians leave a disturbed run out. A fio that cannot
 * run reads -1.
 */
static int measure(const struct opts *o, struct copro_nvme *nvme,
		   bool polled, uint8_t *buf, const struct workload *w,
		   struct result *res)
{
	double oi[MAX_REPEAT], oc[MAX_REPEAT], fi[MAX_REPEAT], fc[MAX_REPEAT];
	double fw[MAX_REPEAT];
	size_t n = (size_t)o->repeat;
	int rc = 0;

	for (size_t r = 0; r < n && !rc; r++) {
		for (int side = 0; side < 2 && !rc; side++) {
			bool ours = (side == 0) == (r % 2 == 0);

			rc = bench_fio_settle_file(o->disk);
			if (rc)
				break;
			if (ours)
				rc = run_ours(nvme, polled, buf, w, o->seconds,
					      &oi[r], &oc[r]);
			else
				run_fio(o->disk, w, o->seconds, o->read_only,
					&fi[r], &fc[r], &fw[r]);
		}
	}
	if (rc)
		return rc;
	*res = (struct result){ bench_median(oi, n), bench_median(fi, n),
				bench_median(oc, n), bench_median(fc, n),
				bench_median(fw, n) };
	return 0;
}

/* ---- setup ------------------------------------------------------------ */

/*
 * A --disk FILE of the user's is never written without --force: then it
 * is only read, and must already hold what the reads cover. One that
 * does not exist yet is ours, a scratch file removed after.
 */
static int user_disk(struct opts *o, bool *scratch)
{
	struct stat st;

	if (stat(o->disk, &st) < 0) {
		if (errno != ENOENT) {
			fprintf(stderr, "copro bench nvme: %s: %s\n", o->disk,
				strerror(errno));
			return CLI_EXIT_FAILURE;
		}
		*scratch = true;
		return 0;
	}
	const char *bad = disk_image_bad_type(&st, false);
	if (bad) {
		fprintf(stderr, "copro bench nvme: --disk %s is %s, not a file\n",
			o->disk, bad);
		return CLI_EXIT_FAILURE;
	}
	if (o->force)
		return 0;
	o->read_only = true;
	if ((uint64_t)st.st_size < DISK_SIZE) {
		fprintf(stderr, "copro bench nvme: --disk %s holds %lld bytes; reading "
			"it needs %llu (or give --force to let the benchmark grow "
			"and write it)\n", o->disk, (long long)st.st_size,
			(unsigned long long)DISK_SIZE);
		return CLI_EXIT_FAILURE;
	}
	return 0;
}

/* Grows and fills the file so reads return data, not holes. */
static int prepare_disk(const char *path)
{
	struct stat sb;

	if (!stat(path, &sb) && (uint64_t)sb.st_size >= DISK_SIZE)
		return 0;
	return bench_fill_file(path, DISK_SIZE);
}

static const struct workload *find_workload(const char *key)
{
	for (size_t i = 0; i < NWORK; i++)
		if (!strcmp(workloads[i].key, key))
			return &workloads[i];
	return NULL;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "disk", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 's' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct opts){ .seconds = 2 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->disk = optarg; break;
		case 'f': o->force = true; break;
		case 's':
			if (cli_parse_count("bench nvme", "--seconds", optarg,
					    &o->seconds))
				return CLI_EXIT_USAGE;
			break;
		case 'n':
			if (cli_parse_count("bench nvme", "--repeat", optarg,
					    &o->repeat))
				return CLI_EXIT_USAGE;
			if (o->repeat == 0 || o->repeat > MAX_REPEAT)
				return cli_usage_error(
					"bench nvme",
					"invalid value '%s' for --repeat (1 to 99)",
					optarg);
			break;
		case 'j': o->json = true; break;
		case 'q': o->quick = true; break;
		case 'o': o->only = optarg; break;
		case 'h': bench_nvme_usage(stdout); return -1;
		default: return cli_usage_error("bench nvme", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("bench nvme", "unexpected argument '%s'",
				       argv[optind]);
	if (!o->seconds || o->seconds > 3600)
		return cli_usage_error("bench nvme", "--seconds must be 1 to 3600");
	if (o->force && !o->disk)
		return cli_usage_error("bench nvme", "--force needs --disk FILE");
	if (o->only && o->quick)
		return cli_usage_error("bench nvme", "--only and --quick exclude each other");
	if (o->only && !find_workload(o->only))
		return cli_usage_error("bench nvme", "unknown workload '%s' for --only",
				       o->only);
	if (!o->repeat)
		o->repeat = o->quick ? 1 : 3;
	return 0;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void baseline_text(const struct opts *o, char *buf, size_t len)
{
	struct bench_fio_job psync, uring;
	char a[256], b[256];

	fio_job("DISK", &workloads[0], o->seconds, &psync);
	fio_job("DISK", &workloads[1], o->seconds, &uring);
	bench_fio_describe(&psync, a, sizeof(a));
	bench_fio_describe(&uring, b, sizeof(b));
	snprintf(buf, len,
		 "same 256 MiB file as the model's disk; QD1: %s; QD32: %s; "
		 "fio's CPU per I/O: its job's usr_cpu + sys_cpu, plus its "
		 "io_uring workers' (the iou-wrk threads that run the writes "
		 "io_uring cannot do at once, read from /proc/PID/task while "
		 "it runs); ours from getrusage of the whole process",
		 a, b);
}

/* How ours ran, as the baseline text says how fio did. */
static const char ours_text[] =
	"QD1: the interrupt thread and the model running each command in "
	"the doorbell write (psync's way: the I/O in the asking thread); "
	"QD32: the host polling its completion queue and the model running "
	"every command on its one worker thread (io_uring's way with "
	"buffered writes: a submitting thread and one worker, a core each)";

static int report(const struct opts *o, const struct result *res,
		  unsigned first, unsigned nwork)
{
	char base[1024];

	baseline_text(o, base, sizeof(base));
	if (o->json) {
		json_t *j = json_object();
		int err = 0;

		for (unsigned i = first; i < first + nwork; i++) {
			char key[64];
			const struct workload *w = &workloads[i];

			snprintf(key, sizeof(key), "%s_ratio", w->key);
			err |= cli_json_num(j, key, ratio(res[i].ours, res[i].fio));
			snprintf(key, sizeof(key), "%s_iops", w->key);
			err |= cli_json_num(j, key, res[i].ours);
			snprintf(key, sizeof(key), "%s_fio_iops", w->key);
			err |= cli_json_num(j, key, res[i].fio);
			snprintf(key, sizeof(key), "%s_cpu_us_per_io", w->key);
			err |= cli_json_num(j, key, res[i].ours_cpu);
			snprintf(key, sizeof(key), "%s_fio_cpu_us_per_io", w->key);
			err |= cli_json_num(j, key, res[i].fio_cpu);
			snprintf(key, sizeof(key), "%s_fio_workers_cpu_us_per_io",
				 w->key);
			err |= cli_json_num(j, key, res[i].fio_workers_cpu);
		}
		err |= cli_json_int(j, "seconds_per_run", (long long)o->seconds);
		err |= cli_json_int(j, "runs_per_point", (long long)o->repeat);
		err |= cli_json_str(j, "baseline", base);
		err |= cli_json_str(j, "ours", ours_text);
		return cli_json_print("bench nvme", j, err, stdout);
	}
	printf("copro bench nvme: %llu s per run, medians of %llu runs per side "
	       "taking turns, 256 MiB backing file, buffered I/O\n"
	       "baseline: %s\n"
	       "ours: %s\n",
	       (unsigned long long)o->seconds, (unsigned long long)o->repeat,
	       base, ours_text);
	for (unsigned i = first; i < first + nwork; i++) {
		char fio[64];

		snprintf(fio, sizeof(fio), "fio %s", workloads[i].engine);
		printf("%s\n", workloads[i].name);
		bench_row(stdout,
			  workloads[i].pipelined ? "copro NVMe (polled, 1 worker)"
						 : "copro NVMe (zero-copy)",
			  res[i].ours, "IOPS", fio, res[i].fio);
		bench_row(stdout, "  CPU per I/O", res[i].ours_cpu, "us", "",
			  res[i].fio_cpu);
		if (res[i].fio_workers_cpu > 0)
			printf("    of fio's: its io_uring workers %.1f us\n",
			       res[i].fio_workers_cpu);
	}
	printf("(a fio figure of -1 means fio could not run%s)\n",
	       o->read_only ? "; writes were skipped: --disk is read-only "
			      "without --force" : "");
	return 0;
}

/* ---- the board ------------------------------------------------------ */

/* One board on the disk, in a workload's configuration (struct workload). */
struct session {
	struct copro_board *b;
	struct copro_devices *devs;
	struct copro_nvme *nvme;
	bool pipelined, registered;
};

static int session_open(const struct opts *o, bool pipelined, uint8_t *buf,
			size_t buflen, struct session *s, const char **step)
{
	const struct copro_board_config bc = {
		.board = "t8103",
		/* Pipelined, no interrupt thread: the host polls. */
		.threaded = !pipelined,
		.disk_path = o->disk,
		.disk_size = DISK_SIZE,
		.disk_read_only = o->read_only,
		.ans2_workers_only = pipelined,
		.ans2_workers = pipelined ? 1 : 0,
	};
	int rc;

	memset(s, 0, sizeof(*s));
	s->pipelined = pipelined;
	*step = "creating the board";
	rc = copro_board_create(&bc, &s->b);
	if (!rc) {
		*step = "probing the board's drivers";
		rc = copro_devices_probe_all(copro_board_platform(s->b), NULL,
					     &s->devs);
	}
	if (!rc) {
		s->nvme = copro_nvme_from_device(copro_devices_find_compatible(
			s->devs, COPRO_NVME_COMPATIBLE, NULL));
		rc = s->nvme ? 0 : -ENODEV;
	}
	if (!rc) {
		*step = "registering buffers";
		rc = copro_nvme_register_buffer(s->nvme, buf, buflen);
		s->registered = !rc;
	}
	return rc;
}

/* Whatever session_open got to, undone; -EBUSY if a driver stayed. */
static int session_close(struct session *s, uint8_t *buf)
{
	int rc = 0;

	if (s->registered)
		copro_nvme_unregister_buffer(s->nvme, buf);
	if (s->devs && copro_devices_remove_all(s->devs) < 0)
		rc = -EBUSY;
	if (s->b)
		copro_board_destroy(s->b);
	memset(s, 0, sizeof(*s));
	return rc;
}

int bench_nvme_main(int argc, char **argv)
{
	char tmp[] = "/tmp/copro-bench-nvme-XXXXXX";
	struct session s = { 0 };
	bool open = false;
	struct result res[NWORK];
	const char *step = "";
	uint8_t *buf = NULL;
	size_t buflen = MAX_QD * 1024 * 1024;
	struct opts o;
	unsigned first = 0, nwork;
	int rc;

	rc = parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	bool scratch = false;

	nwork = o.quick || o.only ? 1 : NWORK;
	if (o.only)
		first = (unsigned)(find_workload(o.only) - workloads);
	if (!o.disk) {
		int fd = mkstemp(tmp);

		if (fd < 0) {
			perror("copro bench nvme: temporary disk");
			return CLI_EXIT_FAILURE;
		}
		close(fd);
		o.disk = tmp;
		scratch = true;
	} else {
		rc = user_disk(&o, &scratch);
		if (rc)
			return rc;
	}
	if (o.read_only) {
		if (!o.json)
			fprintf(stderr, "reading %s (read-only: its data is not "
				"touched; --force allows writes)\n", o.disk);
		rc = 0;
	} else {
		if (!o.json)
			fprintf(stderr, "preparing %s...\n", o.disk);
		step = "preparing the disk";
		rc = prepare_disk(o.disk);
	}
	if (!rc) {
		step = "allocating buffers";
		buf = aligned_alloc(4096, buflen);
		rc = buf ? 0 : -ENOMEM;
	}
	for (unsigned i = first; i < first + nwork && !rc; i++) {
		const struct workload *w = &workloads[i];

		if (o.read_only && w->op != COPRO_NVME_READ) {
			res[i] = (struct result){ -1, -1, -1, -1, -1 };
			continue;
		}
		/* A board holds the disk's lock: one at a time. */
		if (open && s.pipelined != w->pipelined) {
			step = "removing the board's drivers";
			rc = session_close(&s, buf);
			open = false;
			if (rc)
				break;
		}
		if (!open) {
			open = true;
			rc = session_open(&o, w->pipelined, buf, buflen, &s,
					  &step);
			if (rc)
				break;
		}
		if (!o.json)
			fprintf(stderr, "measuring %s...\n", w->name);
		step = w->name;
		rc = measure(&o, s.nvme, s.pipelined, buf, w, &res[i]);
	}
	if (open) {
		int crc = session_close(&s, buf);

		if (crc && !rc) {
			step = "removing the board's drivers";
			rc = crc;
		}
	}
	free(buf);
	if (scratch)
		unlink(o.disk);
	if (rc) {
		fprintf(stderr, "copro bench nvme: %s failed: %s\n", step,
			copro_strerror(rc));
		return CLI_EXIT_FAILURE;
	}
	return report(&o, res, first, nwork);
}
