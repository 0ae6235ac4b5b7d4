/* SPDX-License-Identifier: MIT */
/*
 * What copro serve checks before nbdkit starts, so that a mistake is
 * reported here, once, by name, and nothing hangs or is left behind:
 * nbdkit and the plugin, the board (instantiated and brought up, as the
 * plugin will), the disk (type, lock, format, size), the listening
 * socket or port, the TLS certificates and the pidfile's directory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <copro/devices.h>
#include <copro/dt.h>
#include <copro/error.h>
#include <copro/log.h>
#include <copro/nvme.h>
#include <copro/sim/board.h>

#include "cli_size.h"
#include "cli_which.h"
#include "disk_image.h"
#include "serve.h"

#define ERR(...) fprintf(stderr, "copro serve: " __VA_ARGS__)

/* ---- programs ------------------------------------------------------- */

/* Beside the copro binary (a build tree), else where it is installed. */
static int find_plugin(char *buf, size_t len)
{
	char self[PATH_MAX], beside[PATH_MAX] = SERVE_PLUGIN;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			int w = snprintf(beside, sizeof(beside), "%s/%s", self,
					 SERVE_PLUGIN);
			if (w > 0 && (size_t)w < sizeof(beside) &&
			    access(beside, R_OK) == 0) {
				snprintf(buf, len, "%s", beside);
				return 0;
			}
		}
	}
#ifdef COPRO_NBDKIT_PLUGIN_DIR
	snprintf(buf, len, "%s/%s", COPRO_NBDKIT_PLUGIN_DIR, SERVE_PLUGIN);
	if (access(buf, R_OK) == 0)
		return 0;
	ERR("cannot find the nbdkit plugin: neither %s nor %s exists\n", beside,
	    buf);
#else
	ERR("cannot find the nbdkit plugin %s\n", beside);
#endif
	return -ENOENT;
}

int serve_find_programs(struct serve_ctx *c)
{
	if (!cli_which("nbdkit", c->nbdkit, sizeof(c->nbdkit))) {
		ERR("nbdkit is not installed (not found in PATH); install it with "
		    "scripts/deps.sh or 'apt-get install nbdkit'\n");
		return -ENOENT;
	}
	return find_plugin(c->plugin, sizeof(c->plugin));
}

/* ---- the board -------------------------------------------------------- */

static bool builtin_board(const char *name)
{
	for (const char *const *n = copro_board_names(); *n; n++)
		if (!strcmp(*n, name))
			return true;
	return false;
}

/* The library's first error, kept to be said once, by us. */
struct first_err {
	char msg[512];
};

static void keep_first(void *ctx, enum copro_log_level level,
		       const char *dev, const char *msg)
{
	struct first_err *f = ctx;

	if (level <= COPRO_LOG_ERR && !f->msg[0])
		snprintf(f->msg, sizeof(f->msg), "%s%s%s", dev ? dev : "",
			 dev ? ": " : "", msg);
}

/*
 * The board is instantiated and its NVMe coprocessor brought up, just as
 * the plugin will do it, on a scratch disk: what fails here would fail
 * in nbdkit, where it would be harder to report.
 */
int serve_check_board(struct serve_ctx *c)
{
	const char *name = c->o.board ? c->o.board : COPRO_BOARD_DEFAULT;
	struct first_err fe = { "" };
	const struct copro_log_sink sink = { .write = keep_first, .ctx = &fe };
	char err[BOARD_FILE_ERR];
	struct copro_log *log = NULL;
	struct copro_board *b = NULL;
	struct copro_devices *devs = NULL;
	int node, ret;

	ret = board_file_load(c->o.board, &c->dtb, err, sizeof(err));
	if (ret < 0) {
		ERR("%s\n", err);
		return ret;
	}
	ret = copro_log_create(&sink, COPRO_LOG_ERR, &log);
	if (ret < 0)
		return ret;
	const struct copro_board_config bc = {
		.board = c->o.board,
		.dtb = c->dtb.dtb,
		.dtb_size = c->dtb.len,
		.log = log,
		.threaded = true,
		.disk_size = 64ull << 20, /* anonymous scratch disk */
	};
	ret = copro_board_create(&bc, &b);
	if (!ret) {
		node = copro_board_nvme_node(b);
		if (node < 0) {
			snprintf(fe.msg, sizeof(fe.msg),
				 "it has no NVMe coprocessor (no \"%s\" or"
				 " \"%s\" node)",
				 COPRO_NVME_COMPATIBLE, COPRO_NVME_COMPATIBLE_T8015);
			ret = node;
		} else {
			/* Every device, as the plugin brings them up. */
			ret = copro_devices_probe_all(copro_board_platform(b), NULL,
						      &devs);
			if (!ret && !copro_nvme_from_device(
					    copro_devices_find(devs, node)))
				ret = -ENODEV;
		}
	}
	if (devs)
		copro_devices_remove_all(devs);
	copro_board_destroy(b);
	copro_log_destroy(log);
	if (ret < 0) {
		ERR("board %s cannot serve: %s\n", name,
		    fe.msg[0] ? fe.msg : copro_strerror(ret));
		return ret;
	}
	/* The plugin gets a name it can open from nbdkit's directory. */
	if (c->o.board && !builtin_board(c->o.board) &&
	    realpath(c->o.board, c->board_arg))
		return 0;
	snprintf(c->board_arg, sizeof(c->board_arg), "%s",
		 c->o.board ? c->o.board : "");
	return 0;
}

/* ---- the disk -------------------------------------------------------- */

int serve_check_disk(struct serve_ctx *c)
{
	const struct disk_image_opts o = {
		.read_only = c->o.read_only,
		.create = true,
		.size = c->o.size,
		.default_size = SERVE_DEFAULT_SIZE,
		.align = SERVE_LBA,
		.raw = c->o.raw,
	};
	char err[DISK_IMAGE_ERR], a[CLI_SIZE_BUF], b[CLI_SIZE_BUF];
	struct disk_image d;
	int ret = disk_image_open(c->o.disk, &o, &d, err, sizeof(err));

	if (ret < 0) {
		ERR("%s\n", err);
		return ret;
	}
	c->size = d.size;
	c->block_device = d.block_device;
	if (d.created)
		ERR("created %s (%s, sparse)\n", c->o.disk,
		    cli_format_size(d.size, a, sizeof(a)));
	else if (d.size > d.old_size)
		ERR("grew %s from %s to %s (sparse), as --size asked\n", c->o.disk,
		    cli_format_size(d.old_size, a, sizeof(a)),
		    cli_format_size(d.size, b, sizeof(b)));
	if (!realpath(c->o.disk, c->disk)) {
		ret = -errno;
		ERR("disk %s: %s\n", c->o.disk, strerror(-ret));
	}
	/* The plugin takes the lock for as long as it serves. */
	disk_image_close(&d);
	return ret;
}

/* ---- where to listen -------------------------------------------------- */

static int dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return snprintf(dir, len, ".") < 0 ? -EINVAL : 0;
	if (slash == path)
		return snprintf(dir, len, "/") < 0 ? -EINVAL : 0;
	if ((size_t)(slash - path) >= len)
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return 0;
}

/*
 * A socket left behind by a server that died would make nbdkit fail with
 * "Address already in use": remove it if nobody listens on it; refuse if
 * someone does, or if the path is something else, or its directory is
 * missing.
 */
static int check_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[PATH_MAX];
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		ERR("socket path %s is too long (at most %zu bytes)\n", path,
		    sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if (dir_of(path, dir, sizeof(dir)) == 0) {
		int serr = stat(dir, &st) < 0 ? errno : 0;

		if (serr || !S_ISDIR(st.st_mode)) {
			ERR("cannot listen on %s: directory %s %s\n", path, dir,
			    serr && serr != ENOENT ? strerror(serr)
						   : "does not exist");
			return -ENOENT;
		}
	}
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		ERR("%s exists and is not a socket\n", path);
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
		ERR("socket %s is in use by another server\n", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0) {
		int err = errno;
		ERR("cannot remove stale socket %s: %s\n", path, strerror(err));
		return -err;
	}
	ERR("removed stale socket %s\n", path);
	return 0;
}

/* Binds the address and port ourselves, as nbdkit will, and lets go. */
static int check_port(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1, ret = 0;

	if (inet_pton(AF_INET, ip, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else {
		ERR("--ip %s is not an IPv4 or IPv6 address\n", ip);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* As nbdkit does, so a port in TIME_WAIT is not "in use". */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		ret = -errno;
		if (ret == -EADDRINUSE)
			ERR("port %u on %s is in use (another server is listening "
			    "there); choose another with --port\n", port, ip);
		else
			ERR("cannot listen on %s port %u: %s\n", ip, port,
			    strerror(-ret));
	}
	close(fd);
	return ret;
}

int serve_check_endpoint(struct serve_ctx *c)
{
	if (c->o.socket) {
		/* nbdkit changes directory; the URI must work from anywhere. */
		char cwd[PATH_MAX];
		int w = c->o.socket[0] == '/' ?
			snprintf(c->sock, sizeof(c->sock), "%s", c->o.socket) :
			snprintf(c->sock, sizeof(c->sock), "%s/%s",
				 getcwd(cwd, sizeof(cwd)) ? cwd : ".", c->o.socket);
		if (w < 0 || (size_t)w >= sizeof(c->sock)) {
			ERR("socket path %s is too long\n", c->o.socket);
			return -ENAMETOOLONG;
		}
		return check_socket(c->sock);
	}
	if (c->o.run && !c->o.port && !c->o.ip) {
		/* --run alone: a private socket in a directory of our own. */
		const char *tmp = getenv("TMPDIR");

		snprintf(c->sockdir, sizeof(c->sockdir), "%s/copro-serve-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(c->sockdir)) {
			int err = errno;
			ERR("cannot create a directory for the socket in %s: %s\n",
			    tmp && *tmp ? tmp : "/tmp", strerror(err));
			c->sockdir[0] = '\0';
			return -err;
		}
		if ((size_t)snprintf(c->sock, sizeof(c->sock), "%s/nbd.sock",
				     c->sockdir) >= sizeof(c->sock))
			return -ENAMETOOLONG;
		return 0;
	}
	if (!c->o.ip)
		c->o.ip = SERVE_DEFAULT_IP;
	if (!c->o.port)
		c->o.port = SERVE_DEFAULT_PORT;
	return check_port(c->o.ip, c->o.port);
}

/* ---- TLS, pidfile ----------------------------------------------------- */

int serve_check_tls(struct serve_ctx *c)
{
	static const char *const need[] = { "ca-cert.pem", "server-cert.pem",
					    "server-key.pem" };
	struct stat st;

	if (c->o.tls == SERVE_TLS_OFF)
		return 0;
	if (!realpath(c->o.tls_dir, c->tls_dir) || stat(c->tls_dir, &st) < 0 ||
	    !S_ISDIR(st.st_mode)) {
		ERR("--tls-certificates %s is not a directory\n", c->o.tls_dir);
		return -ENOTDIR;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		char p[PATH_MAX + 32];

		snprintf(p, sizeof(p), "%s/%s", c->tls_dir, need[i]);
		if (access(p, R_OK) < 0) {
			ERR("--tls-certificates %s has no readable %s (it needs "
			    "ca-cert.pem, server-cert.pem and server-key.pem)\n",
			    c->o.tls_dir, need[i]);
			return -ENOENT;
		}
	}
	return 0;
}

int serve_check_pidfile(struct serve_ctx *c)
{
	char dir[PATH_MAX], abs[PATH_MAX];
	struct stat st;

	if (!c->o.pidfile)
		return 0;
	if (dir_of(c->o.pidfile, dir, sizeof(dir)) < 0 ||
	    !realpath(dir, abs) || stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		ERR("cannot write pidfile %s: its directory does not exist\n",
		    c->o.pidfile);
		return -ENOENT;
	}
	const char *base = strrchr(c->o.pidfile, '/');
	if ((size_t)snprintf(c->pidfile, sizeof(c->pidfile), "%s/%s", abs,
			     base ? base + 1 : c->o.pidfile) >= sizeof(c->pidfile)) {
		ERR("pidfile path %s is too long\n", c->o.pidfile);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* ---- the URI ------------------------------------------------------------ */

void serve_uri_encode(char *out, size_t len, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s && n + 4 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) ||
		    (keep && strchr(keep, ch))) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
}

void serve_make_uri(struct serve_ctx *c)
{
	char name[PATH_MAX * 3], sock[PATH_MAX * 3], certs[PATH_MAX * 3];
	const char *s = c->o.tls != SERVE_TLS_OFF ? "s" : "";
	size_t n;

	serve_uri_encode(name, sizeof(name),
			 c->o.export_name ? c->o.export_name : "", NULL);
	if (c->sock[0]) {
		serve_uri_encode(sock, sizeof(sock), c->sock, "/");
		n = (size_t)snprintf(c->uri, sizeof(c->uri),
				     "nbd%s+unix:///%s?socket=%s", s, name, sock);
	} else {
		bool v6 = strchr(c->o.ip, ':') != NULL;

		n = (size_t)snprintf(c->uri, sizeof(c->uri), "nbd%s://%s%s%s:%u/%s",
				     s, v6 ? "[" : "", c->o.ip, v6 ? "]" : "",
				     c->o.port, name);
	}
	if (c->o.tls != SERVE_TLS_OFF && n < sizeof(c->uri)) {
		serve_uri_encode(certs, sizeof(certs), c->tls_dir, "/");
		snprintf(c->uri + n, sizeof(c->uri) - n, "%stls-certificates=%s",
			 c->sock[0] ? "&" : "?", certs);
	}
}
