/* SPDX-License-Identifier: MIT */
/*
 * copro serve, in four files:
 *   cmd_serve.c    the order of things, the banner
 *   serve_opts.c   options and --help
 *   serve_check.c  everything checked before nbdkit starts
 *   serve_run.c    running nbdkit (and --run's command) and watching it:
 *                  start-up, clients, Ctrl-C, --stats, the exit status
 */
#ifndef COPRO_SERVE_H
#define COPRO_SERVE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "board_file.h"

#define SERVE_PLUGIN "nbdkit-copro-plugin.so"
#define SERVE_DEFAULT_DISK "copro-disk.img"
#define SERVE_DEFAULT_SIZE (1ull << 30)
#define SERVE_DEFAULT_PORT 10809
#define SERVE_DEFAULT_IP "127.0.0.1"
#define SERVE_LBA 4096u
/* Seconds Ctrl-C waits for clients before disconnecting them. */
#define SERVE_DEFAULT_SHUTDOWN_TIMEOUT 30

enum serve_tls { SERVE_TLS_OFF, SERVE_TLS_ON, SERVE_TLS_REQUIRE };

struct serve_opts {
	const char *board, *disk, *socket, *ip, *run, *export_name;
	const char *tls_dir, *pidfile;
	const char *record;	/* --record: the trace file, or NULL */
	uint64_t size;		/* 0: the file's, or the default for a new one */
	uint16_t port;		/* 0: none given */
	enum serve_tls tls;
	unsigned threads;	/* 0: nbdkit's default */
	unsigned shutdown_timeout;
	bool read_only, raw, daemon, stats, slow_flush, no_map, verbose;
	const char *map_writes;	/* the plugin's map-writes=, or NULL */
	/* Testing. */
	unsigned fault_crash_after, fault_flush;
	bool fault_bringup;
	/* After `--`: passed to nbdkit as they are. */
	char **nbdkit_args;
	int n_nbdkit_args;
};

/* What the checks found, and what the server runs with. */
struct serve_ctx {
	struct serve_opts o;
	char nbdkit[PATH_MAX], plugin[PATH_MAX];
	char disk[PATH_MAX];		/* absolute */
	char board_arg[PATH_MAX];	/* absolute path or built-in name */
	struct board_file dtb;
	uint64_t size;
	bool block_device;
	char sock[PATH_MAX];		/* Unix socket, absolute; "" for TCP */
	char sockdir[PATH_MAX];		/* a private directory we remove */
	char tls_dir[PATH_MAX];
	char uri[PATH_MAX * 3 + 64];	/* percent-encoded */
	char pidfile[PATH_MAX];
};

/* serve_opts.c: 0 to go on, -1 after --help, or an exit status. */
int serve_parse(int argc, char **argv, struct serve_opts *o);

/* serve_check.c: each prints its error once and returns < 0. */
int serve_find_programs(struct serve_ctx *c);
int serve_check_board(struct serve_ctx *c);
int serve_check_disk(struct serve_ctx *c);
int serve_check_endpoint(struct serve_ctx *c);
int serve_check_tls(struct serve_ctx *c);
int serve_check_pidfile(struct serve_ctx *c);
/* Percent-encodes s (keeping unreserved characters and `keep`). */
void serve_uri_encode(char *out, size_t len, const char *s, const char *keep);
void serve_make_uri(struct serve_ctx *c);

/* serve_run.c: runs everything; returns the exit status. */
int serve_run(struct serve_ctx *c);

/* cmd_serve.c */
void serve_banner(FILE *out, const struct serve_ctx *c);

#endif
