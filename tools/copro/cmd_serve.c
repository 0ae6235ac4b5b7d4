/* SPDX-License-Identifier: MIT */
/*
 * copro serve: boot the board's ANS2 NVMe coprocessor and serve its
 * namespace over NBD. nbdkit does the serving, with nbdkit-copro-plugin
 * loaded: this command checks everything it can up front (nbdkit, the
 * plugin, the board, the disk) so a mistake is reported here, by name,
 * and then becomes nbdkit. Ctrl-C reaches nbdkit, whose unloading of the
 * plugin shuts the NVMe controller and coprocessor down cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <copro/dt.h>
#include <copro/error.h>
#include <copro/nvme.h>
#include <copro/sim/board.h>

#include "cli.h"

#define SERVE_PLUGIN "nbdkit-copro-plugin.so"
#define SERVE_DEFAULT_DISK "copro-disk.img"
#define SERVE_DEFAULT_SIZE (1ull << 30)
#define SERVE_DEFAULT_PORT 10809
#define SERVE_LBA 4096u
#define SERVE_HOST "127.0.0.1"

struct serve_opts {
	const char *board, *disk, *socket, *run, *record;
	uint64_t size;		/* 0: the file's, or the default for a new one */
	unsigned port;		/* 0: none given */
	unsigned fault_crash_after;
	bool slow_flush, verbose;
};

void cmd_serve_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro serve [OPTION]...\n"
		"Boot the board's ANS2 NVMe coprocessor and serve its disk over NBD\n"
		"(through nbdkit) to any NBD client: nbdinfo, nbdcopy, qemu-img, fio.\n"
		"\n"
		"  -b, --board NAME|FILE  built-in board or .dtb file (default t8103)\n"
		"  -d, --disk FILE        backing file of the namespace (default\n"
		"                         " SERVE_DEFAULT_DISK ", created sparse if missing)\n"
		"  -s, --size SIZE        namespace size, e.g. 64M or 1G (powers of 1024,\n"
		"                         a multiple of 4096); default: the file's size,\n"
		"                         or 1G for a new file\n"
		"  -U, --socket PATH      listen on a Unix socket\n"
		"  -p, --port N           listen on TCP port N of " SERVE_HOST " (default %d)\n"
		"  -r, --run CMD          run CMD (with $uri set), then stop: see nbdkit --run\n"
		"      --slow-flush       flushes take as long as on the hardware (17 ms)\n"
		"      --record FILE      record every register access, interrupt, DMA\n"
		"                         buffer and power change to FILE; complete when\n"
		"                         the server stops (see copro trace)\n"
		"  -v, --verbose          nbdkit and driver debug messages\n"
		"  -h, --help             show this help and exit\n"
		"\n"
		"Ctrl-C stops the server and shuts the NVMe controller down cleanly.\n",
		SERVE_DEFAULT_PORT);
}

/* Bytes, or a number with K/M/G/T (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned shift = 0;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return -EINVAL;
	}
	if (*end != '\0' || v == 0 || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_opts(int argc, char **argv, struct serve_opts *o)
{
	enum { OPT_SLOW_FLUSH = 256, OPT_FAULT_CRASH, OPT_RECORD };
	static const struct option opts[] = {
		{ "board", required_argument, NULL, 'b' },
		{ "disk", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'U' },
		{ "port", required_argument, NULL, 'p' },
		{ "run", required_argument, NULL, 'r' },
		{ "slow-flush", no_argument, NULL, OPT_SLOW_FLUSH },
		{ "record", required_argument, NULL, OPT_RECORD },
		/* Testing: the coprocessor crashes after N I/O commands. */
		{ "fault-crash-after", required_argument, NULL, OPT_FAULT_CRASH },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	*o = (struct serve_opts){ .disk = SERVE_DEFAULT_DISK };
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:d:s:U:p:r:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o->board = optarg; break;
		case 'd': o->disk = optarg; break;
		case 's':
			if (parse_size(optarg, &o->size) < 0 || o->size % SERVE_LBA)
				return cli_usage_error("serve",
					"invalid value '%s' for --size (bytes, or with K, M, G, T: a multiple of %u)",
					optarg, SERVE_LBA);
			break;
		case 'U': o->socket = optarg; break;
		case 'p':
			if (cli_parse_count("serve", "--port", optarg, &v))
				return CLI_EXIT_USAGE;
			if (v == 0 || v > 65535)
				return cli_usage_error("serve",
					"invalid value '%s' for --port (1 to 65535)", optarg);
			o->port = (unsigned)v;
			break;
		case 'r': o->run = optarg; break;
		case OPT_SLOW_FLUSH: o->slow_flush = true; break;
		case OPT_RECORD: o->record = optarg; break;
		case OPT_FAULT_CRASH:
			if (cli_parse_count("serve", "--fault-crash-after", optarg, &v))
				return CLI_EXIT_USAGE;
			if (v == 0 || v > UINT32_MAX)
				return cli_usage_error("serve",
					"invalid value '%s' for --fault-crash-after", optarg);
			o->fault_crash_after = (unsigned)v;
			break;
		case 'v': o->verbose = true; break;
		case 'h': cmd_serve_usage(stdout); return -1;
		default: return cli_usage_error("serve", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (o->socket && o->port)
		return cli_usage_error("serve", "--socket and --port exclude each other");
	if (!*o->disk)
		return cli_usage_error("serve", "invalid value '' for --disk");
	if (o->socket && !*o->socket)
		return cli_usage_error("serve", "invalid value '' for --socket");
	if (o->record && !*o->record)
		return cli_usage_error("serve", "invalid value '' for --record");
	return 0;
}

/* The first executable `name` in $PATH, into buf. */
static bool find_in_path(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		int w = snprintf(buf, len, "%.*s/%s", (int)(n ? n : 1),
				 n ? path : ".", name);

		if (w > 0 && (size_t)w < len && access(buf, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/* Beside the copro binary (a build tree), else where it is installed. */
static int find_plugin(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			int w = snprintf(buf, len, "%s/%s", self, SERVE_PLUGIN);
			if (w > 0 && (size_t)w < len && access(buf, R_OK) == 0)
				return 0;
		}
	}
#ifdef COPRO_NBDKIT_PLUGIN_DIR
	char *beside = strdup(buf);
	snprintf(buf, len, "%s/%s", COPRO_NBDKIT_PLUGIN_DIR, SERVE_PLUGIN);
	if (access(buf, R_OK) == 0) {
		free(beside);
		return 0;
	}
	fprintf(stderr, "copro serve: cannot find the nbdkit plugin: neither %s nor %s exists\n",
		beside ? beside : SERVE_PLUGIN, buf);
	free(beside);
#else
	fprintf(stderr, "copro serve: cannot find the nbdkit plugin %s\n", buf);
#endif
	return -ENOENT;
}

/* The board must open, validate and have an NVMe node. */
static int check_board(const char *board)
{
	const char *name = board ? board : COPRO_BOARD_DEFAULT;
	struct copro_dt *dt;
	int ret = copro_board_dt_open(name, NULL, &dt);

	if (ret < 0) {
		fprintf(stderr, "copro serve: cannot open board '%s': %s\n", name,
			copro_strerror(ret));
		return ret;
	}
	ret = copro_dt_validate(dt);
	if (ret < 0)
		fprintf(stderr, "copro serve: board '%s' is not valid: %s\n", name,
			copro_strerror(ret));
	else if (copro_dt_next_compatible(dt, -1, COPRO_NVME_COMPATIBLE) < 0) {
		fprintf(stderr, "copro serve: board '%s' has no NVMe coprocessor (no \"%s\" node)\n",
			name, COPRO_NVME_COMPATIBLE);
		ret = -ENOENT;
	}
	copro_dt_close(dt);
	return ret;
}

/*
 * The disk: an existing regular file we may read and write, whose size
 * suits, or a new sparse one. Leaves its absolute path and size.
 */
static int prepare_disk(const struct serve_opts *o, char abs[PATH_MAX],
			uint64_t *size)
{
	struct stat st;
	int fd = open(o->disk, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd >= 0) {
		*size = o->size ? o->size : SERVE_DEFAULT_SIZE;
		if (ftruncate(fd, (off_t)*size) < 0) {
			int err = errno;
			fprintf(stderr, "copro serve: cannot size new disk %s to %" PRIu64
				" bytes: %s\n", o->disk, *size, strerror(err));
			close(fd);
			unlink(o->disk);
			return -err;
		}
		fprintf(stderr, "copro serve: created %s (%" PRIu64 " MiB, sparse)\n",
			o->disk, *size >> 20);
	} else if (errno == EEXIST) {
		fd = open(o->disk, O_RDWR | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			int err = errno;
			fprintf(stderr, "copro serve: cannot open disk %s for reading and writing: %s\n",
				o->disk, strerror(err));
			if (fd >= 0)
				close(fd);
			return -err;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "copro serve: disk %s is not a regular file\n",
				o->disk);
			close(fd);
			return -EINVAL;
		}
		*size = o->size ? o->size : (uint64_t)st.st_size;
		if (!o->size && (*size == 0 || *size % SERVE_LBA)) {
			fprintf(stderr, "copro serve: disk %s is %" PRIu64
				" bytes, not a positive multiple of %u: give --size\n",
				o->disk, *size, SERVE_LBA);
			close(fd);
			return -EINVAL;
		}
	} else {
		int err = errno;
		fprintf(stderr, "copro serve: cannot create disk %s: %s\n", o->disk,
			strerror(err));
		return -err;
	}
	close(fd);
	if (!realpath(o->disk, abs)) {
		int err = errno;
		fprintf(stderr, "copro serve: disk %s: %s\n", o->disk, strerror(err));
		return -err;
	}
	return 0;
}

#ifdef COPRO_SANITIZER_PRELOAD
/*
 * Sanitizer builds: the plugin needs the runtime preloaded into nbdkit
 * (tools/nbdkit/CMakeLists.txt). Leaks are suppressed only where the
 * nbdkit binary allocated directly, which needs allocation stacks cut to
 * the immediate caller, since nbdkit frames sit above every plugin frame.
 */
static int sanitizer_env(void)
{
	const char *old = getenv("LSAN_OPTIONS");
	char *lsan;

	if (asprintf(&lsan, "%s%ssuppressions=%s:malloc_context_size=2",
		     old ? old : "", old && *old ? ":" : "",
		     COPRO_SANITIZER_LSAN_SUPP) < 0)
		return -ENOMEM;
	setenv("LSAN_OPTIONS", lsan, 1);
	free(lsan);
	setenv("LD_PRELOAD", COPRO_SANITIZER_PRELOAD, 1);
	return 0;
}
#endif

/*
 * A socket left behind by a server that died would make nbdkit fail with
 * "Address already in use": remove it if nobody listens on it; refuse if
 * someone does, or if the path is something else.
 */
static int check_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "copro serve: socket path %s is too long (at most %zu bytes)\n",
			path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "copro serve: %s exists and is not a socket\n", path);
		return -EEXIST;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int in_use = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		     errno != ECONNREFUSED;
	close(fd);
	if (in_use) {
		fprintf(stderr, "copro serve: socket %s is in use by another server\n",
			path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0) {
		int err = errno;
		fprintf(stderr, "copro serve: cannot remove stale socket %s: %s\n",
			path, strerror(err));
		return -err;
	}
	fprintf(stderr, "copro serve: removed stale socket %s\n", path);
	return 0;
}

static void banner(FILE *out, const struct serve_opts *o, const char *disk,
		   uint64_t size, const char *uri)
{
	fprintf(out, "copro serve: board %s, NVMe namespace on %s (%" PRIu64 " MiB)%s\n",
		o->board ? o->board : COPRO_BOARD_DEFAULT, disk, size >> 20,
		o->slow_flush ? ", slow flushes" : "");
	if (!uri) {
		fprintf(out, "running: %s (the command finds the server in $uri)\n",
			o->run);
		return;
	}
	fprintf(out,
		"serving %s; Ctrl-C stops it and shuts the controller down\n"
		"connect with, for example:\n"
		"  nbdinfo %s\n"
		"  nbdcopy %s disk-copy.img\n"
		"  qemu-img info %s\n"
		"  qemu-io -f raw -c 'read -v 0 512' %s\n",
		uri, uri, uri, uri, uri);
}

int cmd_serve(int argc, char **argv)
{
	struct serve_opts o;
	char nbdkit[PATH_MAX], plugin[PATH_MAX], disk[PATH_MAX];
	char sock[PATH_MAX], uri[PATH_MAX + 64];
	uint64_t size = 0;
	int ret = parse_opts(argc, argv, &o);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (o.socket) {
		/* nbdkit changes directory; the URI must work from anywhere. */
		char cwd[PATH_MAX];
		int w = o.socket[0] == '/' ?
			snprintf(sock, sizeof(sock), "%s", o.socket) :
			snprintf(sock, sizeof(sock), "%s/%s",
				 getcwd(cwd, sizeof(cwd)) ? cwd : ".", o.socket);
		if (w < 0 || (size_t)w >= sizeof(sock))
			return cli_usage_error("serve", "invalid value '%s' for --socket (path too long)",
					       o.socket);
		if (check_socket(sock) < 0)
			return CLI_EXIT_FAILURE;
	}
	if (!find_in_path("nbdkit", nbdkit, sizeof(nbdkit))) {
		fprintf(stderr, "copro serve: nbdkit is not installed (not found in PATH); "
			"install it with scripts/deps.sh or 'apt-get install nbdkit'\n");
		return CLI_EXIT_FAILURE;
	}
	if (find_plugin(plugin, sizeof(plugin)) < 0 || check_board(o.board) < 0 ||
	    prepare_disk(&o, disk, &size) < 0)
		return CLI_EXIT_FAILURE;

	const char *args[32];
	char a_disk[PATH_MAX + 8], a_board[PATH_MAX + 8], a_size[40];
	char a_fault[48], a_port[16], a_record[PATH_MAX + 8];
	bool have_uri = true;
	int n = 0;

	args[n++] = "nbdkit";
	args[n++] = "--foreground";
	args[n++] = "--exit-with-parent";
	if (o.verbose)
		args[n++] = "--verbose";
	if (o.socket) {
		args[n++] = "--unix";
		args[n++] = sock;
		snprintf(uri, sizeof(uri), "nbd+unix:///?socket=%s", sock);
	} else if (o.port || !o.run) {
		snprintf(a_port, sizeof(a_port), "%u", o.port ? o.port : SERVE_DEFAULT_PORT);
		args[n++] = "--ipaddr";
		args[n++] = SERVE_HOST;
		args[n++] = "--port";
		args[n++] = a_port;
		snprintf(uri, sizeof(uri), "nbd://%s:%s/", SERVE_HOST, a_port);
	} else {
		/* --run alone: a private socket; the command gets $uri. */
		args[n++] = "--unix";
		args[n++] = "-";
		have_uri = false;
	}
	char *run = NULL;
	if (o.run) {
#ifdef COPRO_SANITIZER_PRELOAD
		/* The runtime is for the sanitized plugin, not the clients. */
		if (asprintf(&run, "unset LD_PRELOAD\n%s", o.run) < 0)
			return CLI_EXIT_FAILURE;
#else
		run = strdup(o.run);
		if (!run)
			return CLI_EXIT_FAILURE;
#endif
		args[n++] = "--run";
		args[n++] = run;
	}
	args[n++] = plugin;
	snprintf(a_disk, sizeof(a_disk), "disk=%s", disk);
	args[n++] = a_disk;
	if (o.board) {
		snprintf(a_board, sizeof(a_board), "board=%s", o.board);
		args[n++] = a_board;
	}
	snprintf(a_size, sizeof(a_size), "size=%" PRIu64, size);
	args[n++] = a_size;
	if (o.slow_flush)
		args[n++] = "slow-flush=true";
	if (o.verbose)
		args[n++] = "log=debug";
	if (o.record) {
		/* The plugin makes it absolute before nbdkit changes directory. */
		snprintf(a_record, sizeof(a_record), "record=%s", o.record);
		args[n++] = a_record;
	}
	if (o.fault_crash_after) {
		snprintf(a_fault, sizeof(a_fault), "fault-crash-after=%u",
			 o.fault_crash_after);
		args[n++] = a_fault;
	}
	args[n] = NULL;

	/* With --run, stdout belongs to the command. */
	banner(o.run ? stderr : stdout, &o, disk, size, have_uri ? uri : NULL);
	fflush(stdout);
	fflush(stderr);
#ifdef COPRO_SANITIZER_PRELOAD
	if (sanitizer_env() < 0)
		return CLI_EXIT_FAILURE;
#endif
	execv(nbdkit, (char *const *)args);
	ret = errno;
	fprintf(stderr, "copro serve: cannot run %s: %s\n", nbdkit, strerror(ret));
	free(run);
	return CLI_EXIT_FAILURE;
}
