/* SPDX-License-Identifier: MIT */
/* Boards given as devicetree source, compiled with dtc (board_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <copro/dt.h>
#include <copro/log.h>
#include <copro/sim/board.h>

#include "board_file.h"
#include "disk_image.h"

#define DTC_MAX_OUT (16u << 20)
#define DTC_TIMEOUT_MS 30000

extern char **environ;

static int fail(char *err, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return ret;
}

static bool builtin(const char *name)
{
	for (const char *const *n = copro_board_names(); *n; n++)
		if (!strcmp(*n, name))
			return true;
	return false;
}

bool board_file_is_source(const char *path)
{
	size_t n = strlen(path);
	char head[8] = "";
	int fd;

	if (n > 4 && !strcmp(path + n - 4, ".dts"))
		return true;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return false;
	struct stat st;
	bool src = !fstat(fd, &st) && S_ISREG(st.st_mode) &&
		   read(fd, head, sizeof(head)) == (ssize_t)sizeof(head) &&
		   !memcmp(head, "/dts-v1/", 8);
	close(fd);
	return src;
}

/* Appends what is readable on fd to *buf; 0 at EOF, 1 for more, <0. */
static int drain(int fd, char **buf, size_t *n, size_t max)
{
	char chunk[16384];
	ssize_t got = read(fd, chunk, sizeof(chunk));

	if (got < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	if (got == 0)
		return 0;
	if (*n + (size_t)got > max)
		return -EFBIG;
	char *nb = realloc(*buf, *n + (size_t)got + 1);
	if (!nb)
		return -ENOMEM;
	memcpy(nb + *n, chunk, (size_t)got);
	*n += (size_t)got;
	nb[*n] = '\0';
	*buf = nb;
	return 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* dtc's output and error output, both read to the end (or the timeout). */
static int run_dtc(const char *path, char **out, size_t *outn, char **errs,
		   size_t *errn, int *status)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, ret;
	posix_spawn_file_actions_t fa;
	char *const argv[] = { "dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "-",
			       (char *)path, NULL };
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		ret = -errno;
		goto close;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO);
	ret = -posix_spawnp(&pid, "dtc", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret)
		goto close;
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;

	struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
	int64_t deadline = now_ms() + DTC_TIMEOUT_MS;
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (poll(fds, 2, (int)left) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		for (int i = 0; i < 2 && !ret; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			int r = i ? drain(fds[i].fd, errs, errn, 65536)
				  : drain(fds[i].fd, out, outn, DTC_MAX_OUT);
			if (r < 0)
				ret = r;
			else if (r == 0)
				fds[i].fd = -1;
		}
		if (ret)
			break;
	}
	if (ret)
		kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
close:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	return ret;
}

static int compile(const char *path, struct board_file *b, char *err,
		   size_t len)
{
	char *out = NULL, *errs = NULL;
	size_t outn = 0, errn = 0;
	int status = 0;
	int ret = run_dtc(path, &out, &outn, &errs, &errn, &status);

	if (ret == -ENOENT) {
		ret = fail(err, len, -ENOENT,
			   "board %s is devicetree source and dtc is not installed "
			   "to compile it: install device-tree-compiler, or run "
			   "'dtc -I dts -O dtb -o board.dtb %s' and give board.dtb",
			   path, path);
	} else if (ret < 0) {
		ret = fail(err, len, ret, "cannot compile board %s with dtc: %s",
			   path, strerror(-ret));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) || !outn) {
		if (errs)
			errs[strcspn(errs, "\n")] = '\0';
		ret = fail(err, len, -EINVAL,
			   "dtc cannot compile board %s: %s (the command: "
			   "dtc -I dts -O dtb -o board.dtb %s)",
			   path, errs && *errs ? errs : "it failed", path);
	} else {
		b->dtb = out;
		b->len = outn;
		out = NULL;
	}
	free(out);
	free(errs);
	return ret;
}

int board_file_load(const char *arg, struct board_file *out, char *err,
		    size_t len)
{
	struct stat st;
	const char *bad;

	*out = (struct board_file){ 0 };
	if (!arg || builtin(arg))
		return 0;
	/* Refuse what cannot be read whole (a FIFO would block forever). */
	if (stat(arg, &st) == 0 && (bad = disk_image_bad_type(&st, false)))
		return fail(err, len, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL,
			    "board %s is %s, not a .dtb or .dts file", arg, bad);
	if (!board_file_is_source(arg))
		return 0; /* a .dtb, or a name the library reports */
	return compile(arg, out, err, len);
}

void board_file_free(struct board_file *b)
{
	free(b->dtb);
	b->dtb = NULL;
	b->len = 0;
}

int board_file_create(struct copro_board_config *cfg,
		      struct copro_board **out)
{
	struct board_file bf;
	char err[BOARD_FILE_ERR];
	int ret = board_file_load(cfg->board, &bf, err, sizeof(err));

	if (ret) {
		copro_logf(cfg->log, COPRO_LOG_ERR, NULL, "%s", err);
		return ret;
	}
	/* The board keeps its own copy of compiled source. */
	cfg->dtb = bf.dtb;
	cfg->dtb_size = bf.len;
	ret = copro_board_create(cfg, out);
	board_file_free(&bf);
	cfg->dtb = NULL;
	cfg->dtb_size = 0;
	return ret;
}
