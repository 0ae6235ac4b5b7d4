/* SPDX-License-Identifier: MIT */
/* copro crashlog FILE: decode an RTKit crashlog dump. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <copro/crashlog.h>
#include <copro/error.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "disk_image.h"

/* A crashlog buffer is a few pages; anything far larger is not one. */
#define CRASHLOG_FILE_MAX (16u << 20)

void cmd_crashlog_usage(FILE *out)
{
	fprintf(out,
		"Usage: copro crashlog [OPTION]... FILE\n"
		"Decode an Apple RTKit crashlog dump (the coprocessor's crashlog\n"
		"buffer, as saved by the host when the coprocessor crashed).\n"
		"\n"
		"  -h, --help  show this help and exit\n"
		"\n"
		"Exit status: 0 when the whole crashlog decoded, 1 when it is\n"
		"unreadable or only partly decoded (the good part is printed).\n");
}

/* Only a regular file: a FIFO would be read forever. */
static int read_file(const char *path, unsigned char **buf, size_t *len,
		     const char **what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	size_t cap = 1 << 16, n = 0;
	unsigned char *b = NULL;
	struct stat st;
	FILE *f;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (*what = disk_image_bad_type(&st, false))) {
		close(fd);
		return -EINVAL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return -errno;
	}
	for (;;) {
		unsigned char *nb = realloc(b, cap);
		if (!nb) {
			free(b);
			fclose(f);
			return -ENOMEM;
		}
		b = nb;
		n += fread(b + n, 1, cap - n, f);
		if (n < cap || cap >= CRASHLOG_FILE_MAX)
			break;
		cap *= 2;
	}
	int err = ferror(f) ? -EIO : 0;
	if (!err && n == cap && fgetc(f) != EOF)
		err = -EFBIG;
	fclose(f);
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

int cmd_crashlog(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			cmd_crashlog_usage(stdout);
			return 0;
		}
		return cli_usage_error("crashlog", "invalid option");
	}
	if (optind + 1 != argc)
		return cli_usage_error("crashlog", optind == argc ? "missing FILE"
								  : "too many arguments");
	const char *path = argv[optind];
	unsigned char *buf = NULL;
	size_t len = 0;
	const char *what = NULL;
	int ret = read_file(path, &buf, &len, &what);
	if (ret) {
		if (what)
			fprintf(stderr, "copro crashlog: %s is %s, not a crashlog file\n",
				path, what);
		else
			fprintf(stderr, "copro crashlog: %s: %s\n", path,
				ret == -EFBIG ? "larger than 16 MiB, not a crashlog"
					      : copro_strerror(ret));
		return CLI_EXIT_FAILURE;
	}

	struct copro_crashlog *cl = malloc(sizeof(*cl));
	if (!cl) {
		free(buf);
		return CLI_EXIT_FAILURE;
	}
	ret = copro_crashlog_parse(buf, len, cl);
	free(buf);
	if (ret < 0) {
		fprintf(stderr, "copro crashlog: %s: not a crashlog: %s\n", path,
			cl->error.msg[0] ? cl->error.msg : copro_strerror(ret));
		free(cl);
		return CLI_EXIT_FAILURE;
	}
	int pret = copro_crashlog_print(cl, stdout);
	if (ret == COPRO_CRASHLOG_PARTIAL)
		fprintf(stderr, "copro crashlog: %s: decoded only in part: %s\n",
			path, cl->error.msg);
	free(cl);
	return ret == 0 && pret == 0 ? 0 : CLI_EXIT_FAILURE;
}
