/* SPDX-License-Identifier: MIT */
/*
 * copro serve: boot the board's ANS2 NVMe coprocessor and serve its
 * namespace over NBD. nbdkit does the serving, with nbdkit-copro-plugin
 * loaded; this command checks everything it can up front (nbdkit, the
 * plugin, the board brought up once, the disk, where to listen) so a
 * mistake is reported here, once and by name, then runs nbdkit and
 * watches it (serve_run.c). See serve.h for the files.
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <copro/dt.h>
#include <copro/sim/board.h>

#include "cli.h"
#include "cli_size.h"
#include "serve.h"

/* The URI wherever it appears is percent-encoded; sizes read best. */
void serve_banner(FILE *out, const struct serve_ctx *c)
{
	const struct serve_opts *o = &c->o;
	char size[CLI_SIZE_BUF], q[PATH_MAX * 3 + 70];

	fprintf(out, "copro serve: board %s, NVMe namespace on %s (%s%s%s%s)\n",
		o->board ? o->board : COPRO_BOARD_DEFAULT, c->disk,
		cli_format_size(c->size, size, sizeof(size)),
		c->block_device ? ", block device" : "",
		o->read_only ? ", read-only" : "",
		o->slow_flush ? ", slow flushes" : "");
	if (o->run) {
		fprintf(out, "copro serve: running `%s` with $uri=%s; the server "
			"stops when it exits\n", o->run, c->uri);
		return;
	}
	/* Quoted for the shell: the URI may hold '&' and '?'. */
	snprintf(q, sizeof(q), "'%s'", c->uri);
	fprintf(out,
		"serving %s%s%s; Ctrl-C stops it and shuts the controller down\n"
		"connect with, for example:\n"
		"  nbdinfo %s\n"
		"  nbdcopy %s disk-copy.img\n"
		"  qemu-img info %s\n"
		"  qemu-io -f raw -c 'read -v 0 512' %s\n",
		c->uri, o->tls == SERVE_TLS_REQUIRE ? " (TLS required)"
			: o->tls == SERVE_TLS_ON ? " (TLS offered)" : "",
		o->export_name ? " (that export name only)" : "",
		q, q, q, q);
	if (o->tls != SERVE_TLS_OFF)
		fprintf(out, "(qemu needs --image-opts or --object tls-creds-x509 "
			"for TLS; libnbd clients take the URI as it is)\n");
}

int cmd_serve(int argc, char **argv)
{
	static struct serve_ctx c; /* large; main's only call */
	int ret;

	memset(&c, 0, sizeof(c));
	ret = serve_parse(argc, argv, &c.o);
	if (ret)
		return ret < 0 ? 0 : ret;
	/* Cheapest first; nothing is created until the board is known good. */
	if (serve_find_programs(&c) < 0 || serve_check_tls(&c) < 0 ||
	    serve_check_pidfile(&c) < 0 || serve_check_endpoint(&c) < 0 ||
	    serve_check_board(&c) < 0 || serve_check_disk(&c) < 0) {
		ret = CLI_EXIT_FAILURE;
	} else {
		serve_make_uri(&c);
		ret = serve_run(&c);
	}
	if (c.sockdir[0] && ret == CLI_EXIT_FAILURE)
		rmdir(c.sockdir);
	board_file_free(&c.dtb);
	return ret;
}
