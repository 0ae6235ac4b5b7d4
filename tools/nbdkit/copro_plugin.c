/* SPDX-License-Identifier: MIT */
/*
 * nbdkit-copro-plugin: serves the namespace of an emulated board's ANS2
 * NVMe coprocessor over NBD.
 *
 *   nbdkit ./nbdkit-copro-plugin.so [disk=]FILE [board=NAME|FILE]
 *          [size=SIZE] [readonly=BOOL] [export=NAME] [raw=BOOL]
 *          [slow-flush=BOOL] [map=BOOL] [map-writes=POLICY] [log=LEVEL]
 *          [record=FILE]
 *
 * Lifecycle: configuration is checked in config_complete and get_ready,
 * where errors still reach the user: the disk is opened there and locked
 * for the life of the process (tools/common/disk_image.h). The board
 * (whose platform and models run threads) and the driver come up in
 * after_fork, because threads do not survive nbdkit's fork. cleanup
 * (and unload, should cleanup be skipped) flushes, shuts the controller
 * down cleanly and destroys the board.
 *
 * nbdkit loads a plugin once per process and calls its global callbacks
 * without a handle, so the one instance below is the plugin's state; the
 * libraries under it keep none of their own.
 */
#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <copro/devices.h>
#include <copro/dt.h>
#include <copro/error.h>
#include <copro/log.h>
#include <copro/nvme.h>
#include <copro/sim/ans2_model.h>
#include <copro/sim/board.h>

#include "board_file.h"
#include "cli_size.h"
#include "control.h"
#include "disk_image.h"
#include "nbd_io.h"

/* Requests from any connection and thread may run at once. */
#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

#define LBA_ALIGN 4096u /* the ANS2 model's LBA size, which sizes must fit */

struct copro_plugin {
	/* Configuration. */
	char *board_name;	/* NULL: the default board; else name or abs. path */
	char *disk;		/* absolute path; required */
	int64_t size;		/* bytes; 0: the file's size */
	char *export_name;	/* NULL: any name the client asks for */
	char *record;		/* absolute path of the recording, or NULL */
	bool read_only, raw, slow_flush, no_map;
	enum copro_sim_ans2_map_writes map_writes;
	enum copro_log_level log_level;
	int status_fd;		/* copro serve's channel, or -1 */
	/* Testing: the coprocessor crashes after N more commands; bring-up
	 * fails (Identify); the next N flushes fail. */
	unsigned fault_crash_after, fault_flush;
	bool fault_bringup;
	/* From get_ready. */
	struct board_file dtb;
	struct disk_image img;	/* holds the disk's lock */
	struct control ctl;
	bool ctl_ready;
	/* After after_fork. */
	struct copro_log *log;
	struct copro_board *board;
	struct copro_devices *devs; /* the host side: mailbox, SART, NVMe */
	struct copro_nvme *nvme;
	struct nbd_io io;
	bool io_ready;
};

static struct copro_plugin cp = {
	.log_level = COPRO_LOG_INFO,
	.status_fd = -1,
	.img = { .fd = -1 },
};

/* copro's log lines go where nbdkit's own messages go. */
static void log_sink(void *ctx, enum copro_log_level level, const char *dev,
		     const char *msg)
{
	(void)ctx;
	if (level <= COPRO_LOG_WARN)
		nbdkit_error("%s%s%s%s", dev ? dev : "", dev ? ": " : "",
			     level == COPRO_LOG_WARN ? "warning: " : "", msg);
	else
		nbdkit_debug("%s%s%s", dev ? dev : "", dev ? ": " : "", msg);
}

static void teardown(void);

/* ---- configuration ---------------------------------------------------- */

/* Anything but a built-in board's name is a .dtb file. */
static bool board_is_builtin(const char *s)
{
	for (const char *const *n = copro_board_names(); *n; n++)
		if (!strcmp(*n, s))
			return true;
	return false;
}

static int copro_plugin_config(const char *key, const char *value)
{
	if (!strcmp(key, "disk")) {
		free(cp.disk);
		cp.disk = nbdkit_absolute_path(value);
		return cp.disk ? 0 : -1;
	}
	if (!strcmp(key, "board")) {
		free(cp.board_name);
		/* nbdkit changes directory before after_fork opens it. */
		cp.board_name = board_is_builtin(value) ? strdup(value)
						        : nbdkit_absolute_path(value);
		if (!cp.board_name)
			nbdkit_error("board: out of memory");
		return cp.board_name ? 0 : -1;
	}
	if (!strcmp(key, "size")) {
		int64_t v = nbdkit_parse_size(value);

		if (v < 0)
			return -1;
		if (v == 0 || v % LBA_ALIGN) {
			nbdkit_error("size: '%s' is not a positive multiple of %u bytes",
				     value, LBA_ALIGN);
			return -1;
		}
		cp.size = v;
		return 0;
	}
	if (!strcmp(key, "slow-flush")) {
		int v = nbdkit_parse_bool(value);

		if (v < 0)
			return -1;
		cp.slow_flush = v;
		return 0;
	}
	if (!strcmp(key, "map")) {
		int v = nbdkit_parse_bool(value);

		if (v < 0)
			return -1;
		cp.no_map = !v;
		return 0;
	}
	if (!strcmp(key, "map-writes")) {
		if (!copro_sim_ans2_map_writes_parse(value, &cp.map_writes))
			return 0;
		nbdkit_error("map-writes=%s: not " COPRO_SIM_ANS2_MAP_WRITES_NAMES,
			     value);
		return -1;
	}
	if (!strcmp(key, "record")) {
		free(cp.record);
		cp.record = nbdkit_absolute_path(value);
		return cp.record ? 0 : -1;
	}
	if (!strcmp(key, "log")) {
		if (copro_log_level_parse(value, &cp.log_level) < 0) {
			nbdkit_error("log: invalid level '%s' (err, warn, info, debug, trace)",
				     value);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "readonly") || !strcmp(key, "raw")) {
		int v = nbdkit_parse_bool(value);

		if (v < 0)
			return -1;
		*(key[0] == 'r' && key[1] == 'e' ? &cp.read_only : &cp.raw) = v;
		return 0;
	}
	if (!strcmp(key, "export")) {
		free(cp.export_name);
		cp.export_name = strdup(value);
		if (!cp.export_name)
			nbdkit_error("export: out of memory");
		return cp.export_name ? 0 : -1;
	}
	/* copro serve's channel (tools/nbdkit/control.h). */
	if (!strcmp(key, "status-fd"))
		return nbdkit_parse_int("status-fd", value, &cp.status_fd);
	/* Testing only: the coprocessor crashes after N more commands. */
	if (!strcmp(key, "fault-crash-after")) {
		return nbdkit_parse_unsigned("fault-crash-after", value,
					     &cp.fault_crash_after);
	}
	/* Testing only: bring-up fails after the pre-checks passed. */
	if (!strcmp(key, "fault-bringup")) {
		int v = nbdkit_parse_bool(value);

		if (v < 0)
			return -1;
		cp.fault_bringup = v;
		return 0;
	}
	/* Testing only: the next N flushes fail (the device's fdatasync). */
	if (!strcmp(key, "fault-flush")) {
		return nbdkit_parse_unsigned("fault-flush", value,
					     &cp.fault_flush);
	}
	nbdkit_error("unknown parameter '%s' (see nbdkit copro --help)", key);
	return -1;
}

/*
 * Without disk= nbdkit would have us serve a throwaway temporary file
 * whose writes vanish at exit: refuse.
 */
static int copro_plugin_config_complete(void)
{
	if (!cp.disk) {
		nbdkit_error("no disk: give disk=FILE (the backing file or block "
			     "device of the namespace; a new file is created)");
		return -1;
	}
	if (cp.status_fd >= 0 && fcntl(cp.status_fd, F_GETFD) < 0) {
		nbdkit_error("status-fd=%d is not an open file descriptor",
			     cp.status_fd);
		return -1;
	}
	return 0;
}

/* Opens and locks the disk; grows it only to an explicit size=, and says so. */
static int open_disk(void)
{
	const struct disk_image_opts o = {
		.read_only = cp.read_only,
		.create = true,
		.size = (uint64_t)cp.size,
		.default_size = 1ull << 30,
		.align = LBA_ALIGN,
		.raw = cp.raw,
	};
	char err[DISK_IMAGE_ERR], a[32], b[32];

	if (disk_image_open(cp.disk, &o, &cp.img, err, sizeof(err)) < 0) {
		nbdkit_error("%s", err);
		return -1;
	}
	if (cp.img.created)
		fprintf(stderr, "nbdkit: copro: created disk %s (%s, sparse)\n",
			cp.disk, cli_format_size(cp.img.size, a, sizeof(a)));
	else if (cp.img.size > cp.img.old_size)
		fprintf(stderr, "nbdkit: copro: grew disk %s from %s to %s (sparse)\n",
			cp.disk, cli_format_size(cp.img.old_size, a, sizeof(a)),
			cli_format_size(cp.img.size, b, sizeof(b)));
	return 0;
}

/* Opens the board's devicetree (no threads yet) to check it early. */
static int check_board(void)
{
	struct copro_dt *dt;
	const char *name = cp.board_name ? cp.board_name : COPRO_BOARD_DEFAULT;
	char err[BOARD_FILE_ERR];
	int ret = board_file_load(cp.board_name, &cp.dtb, err, sizeof(err));

	if (ret < 0) {
		nbdkit_error("%s", err);
		return -1;
	}
	ret = cp.dtb.dtb ? copro_dt_open(cp.dtb.dtb, cp.dtb.len, name, cp.log, &dt)
			 : copro_board_dt_open(name, cp.log, &dt);

	if (ret < 0) {
		nbdkit_error("board %s: %s", name, copro_strerror(ret));
		return -1;
	}
	ret = copro_dt_validate(dt);
	if (ret == 0 && copro_nvme_next(dt, -1) < 0) {
		nbdkit_error("board %s has no \"%s\" or \"%s\" node", name,
			     COPRO_NVME_COMPATIBLE, COPRO_NVME_COMPATIBLE_T8015);
		ret = -ENOENT;
	} else if (ret < 0) {
		nbdkit_error("board %s: invalid devicetree: %s", name,
			     copro_strerror(ret));
	}
	copro_dt_close(dt);
	return ret < 0 ? -1 : 0;
}

/* The recording is written from after_fork on: say now if it cannot be. */
static int check_record(void)
{
	int fd;

	if (!cp.record)
		return 0;
	fd = open(cp.record, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		nbdkit_error("record %s: %m", cp.record);
		return -1;
	}
	close(fd);
	return 0;
}

static int copro_plugin_get_ready(void)
{
	const struct copro_log_sink sink = { .write = log_sink };

	if (copro_log_create(&sink, cp.log_level, &cp.log) < 0) {
		nbdkit_error("cannot create the log");
		return -1;
	}
	if (control_init(&cp.ctl, cp.status_fd) < 0) {
		nbdkit_error("cannot set up the status channel");
		return -1;
	}
	cp.status_fd = -1; /* the channel owns it now */
	cp.ctl_ready = true;
	if (check_board() < 0 || open_disk() < 0 || check_record() < 0)
		return -1;
	return 0;
}

/* ---- bring-up and teardown ------------------------------------------- */

static int copro_plugin_after_fork(void)
{
	const struct copro_board_config bcfg = {
		.board = cp.board_name,
		.dtb = cp.dtb.dtb,
		.dtb_size = cp.dtb.len,
		.log = cp.log,
		.threaded = true,
		/*
		 * The interrupt thread sleeps at once: spinning, it competes
		 * with nbdkit's threads and the controller model's workers
		 * for few cores (see NBD_IO_SPIN_NS).
		 */
		.irq_spin_ns = 1,
		.disk_path = cp.disk,
		.disk_size = cp.img.size,
		.disk_read_only = cp.read_only,
		.slow_flush = cp.slow_flush,
		.disk_unmapped = cp.no_map,
		.disk_map_writes = cp.map_writes,
		.record_path = cp.record,
	};
	const struct copro_nvme_config ncfg = { 0 };
	int node, ret;

	ret = copro_board_create(&bcfg, &cp.board);
	if (ret < 0) {
		nbdkit_error("cannot create board %s: %s",
			     cp.board_name ? cp.board_name : COPRO_BOARD_DEFAULT,
			     copro_strerror(ret));
		return -1;
	}
	node = copro_board_nvme_node(cp.board);
	if (node < 0) {
		nbdkit_error("the board has no NVMe node: %s", copro_strerror(node));
		goto err;
	}
	if (cp.fault_bringup || cp.fault_flush) {
		struct copro_sim_ans2 *m = copro_board_ans2(cp.board, node);

		if (!m) {
			nbdkit_error("fault injection: the board has no ANS2 model");
			goto err;
		}
		if (cp.fault_bringup)
			copro_sim_ans2_set_fault(m, COPRO_SIM_ANS2_FAULT_IDENTIFY, 1);
		if (cp.fault_flush)
			copro_sim_ans2_set_fault(m, COPRO_SIM_ANS2_FAULT_FLUSH,
						 cp.fault_flush);
	}
	const struct copro_driver_config dcfg[] = {
		{ "nvme", &ncfg },
		{ NULL, NULL },
	};
	const struct copro_devices_config dc = { .configs = dcfg };

	ret = copro_devices_probe_all(copro_board_platform(cp.board), &dc,
				      &cp.devs);
	cp.nvme = ret < 0 ? NULL
			  : copro_nvme_from_device(
				    copro_devices_find(cp.devs, node));
	if (ret == 0 && !cp.nvme)
		ret = -ENODEV;
	if (ret < 0) {
		nbdkit_error("NVMe coprocessor bring-up failed: %s",
			     copro_strerror(ret));
		goto err;
	}
	ret = nbd_io_init(&cp.io, cp.nvme, cp.log, ncfg.io_timeout_ns,
			  ncfg.retries);
	if (ret < 0) {
		nbdkit_error("cannot serve the namespace: %s", copro_strerror(ret));
		goto err;
	}
	cp.io_ready = true;

	struct copro_nvme_info info;
	copro_nvme_get_info(cp.nvme, &info);
	nbdkit_debug("ANS2 NVMe up: model '%s', serial '%s', firmware '%s', %" PRIu64
		     " LBAs of %" PRIu32 " bytes, max transfer %" PRIu32,
		     info.model, info.serial, info.firmware, info.lba_count,
		     info.lba_size, info.max_transfer);
	if (cp.fault_crash_after) {
		struct copro_sim_ans2 *m = copro_board_ans2(cp.board, node);

		if (!m) {
			nbdkit_error("fault-crash-after: the board has no ANS2 model");
			goto err;
		}
		copro_sim_ans2_set_fault(m, COPRO_SIM_ANS2_FAULT_CRASH,
					 cp.fault_crash_after);
		nbdkit_debug("fault injection: the coprocessor crashes after %u commands",
			     cp.fault_crash_after);
	}
	if (control_start(&cp.ctl, &cp.io) < 0) {
		nbdkit_error("cannot start the status channel's thread");
		goto err;
	}
	control_send(&cp.ctl, "ready");
	return 0;

err:
	teardown();
	return -1;
}

/*
 * The last flush: everything clients wrote is durable before the
 * controller shuts down, or the failure is said (and copro serve exits
 * non-zero). Returns whether it failed.
 */
static bool final_flush(void)
{
	int ret;

	if (!cp.io_ready || cp.read_only)
		return false;
	ret = nbd_io_flush(&cp.io);
	if (!ret) {
		control_send(&cp.ctl, "final ok");
		return false;
	}
	/* Under copro serve, copro serve says it (once). */
	if (cp.ctl.fd < 0)
		nbdkit_error("the final flush of %s failed: %s; data written since "
			     "the last successful flush may not be on the disk",
			     cp.disk, copro_strerror(ret));
	control_send(&cp.ctl, "final failed %s", copro_strerror(ret));
	return true;
}

/* Idempotent: cleanup runs it, and unload again in case cleanup did not. */
static void teardown(void)
{
	control_stop(&cp.ctl);
	if (cp.io_ready)
		control_send_stats(&cp.ctl);
	if (cp.devs) {
		final_flush();
		/*
		 * Controller shutdown, RTKit shutdown, CPU stop, power off,
		 * then the SART and the mailbox.
		 */
		if (copro_devices_remove_all(cp.devs) < 0)
			nbdkit_error("the board's devices did not all come down");
		cp.devs = NULL;
		cp.nvme = NULL;
	}
	if (cp.io_ready) {
		nbd_io_fini(&cp.io);
		cp.io_ready = false;
	}
	copro_board_destroy(cp.board);
	cp.board = NULL;
}

static void copro_plugin_cleanup(void)
{
	teardown();
}

static void copro_plugin_unload(void)
{
	teardown();
	if (cp.ctl_ready)
		control_fini(&cp.ctl);
	cp.ctl_ready = false;
	disk_image_close(&cp.img);
	board_file_free(&cp.dtb);
	copro_log_destroy(cp.log);
	cp.log = NULL;
	free(cp.disk);
	cp.disk = NULL;
	free(cp.board_name);
	cp.board_name = NULL;
	free(cp.export_name);
	cp.export_name = NULL;
	free(cp.record);
	cp.record = NULL;
}

/* ---- connections ------------------------------------------------------- */

/* The one export, when it has a name: clients asking for another fail. */
static int copro_plugin_list_exports(int readonly, int is_tls,
				     struct nbdkit_exports *exports)
{
	(void)readonly;
	(void)is_tls;
	return nbdkit_add_export(exports, cp.export_name ? cp.export_name : "",
				 "the emulated ANS2 NVMe namespace");
}

static void *copro_plugin_open(int readonly)
{
	const char *name = nbdkit_export_name();

	(void)readonly;
	if (cp.export_name && (!name || strcmp(name, cp.export_name))) {
		nbdkit_error("the client asked for export '%s'; this server "
			     "serves only '%s'", name ? name : "", cp.export_name);
		nbdkit_set_error(ENOENT);
		return NULL;
	}
	if (!cp.io_ready) {
		nbdkit_error("the NVMe device is not up");
		return NULL;
	}
	if (atomic_load(&cp.ctl.draining)) {
		nbdkit_error("the server is shutting down: no new connections");
		nbdkit_set_error(ESHUTDOWN);
		return NULL;
	}
	control_clients(&cp.ctl, +1);
	/* Every connection shares the one device. */
	return &cp;
}

static void copro_plugin_close(void *h)
{
	(void)h;
	control_clients(&cp.ctl, -1);
}

static int64_t copro_plugin_get_size(void *h)
{
	(void)h;
	return (int64_t)cp.io.size;
}

static int copro_plugin_block_size(void *h, uint32_t *minimum,
				   uint32_t *preferred, uint32_t *maximum)
{
	(void)h;
	/*
	 * Any byte range works; less than an LBA costs a read-modify-write.
	 * 32 MiB is the most the NBD protocol lets a client assume anyway.
	 */
	*minimum = 1;
	*preferred = cp.io.lba_size;
	*maximum = 32u << 20;
	return 0;
}

static int copro_plugin_can_write(void *h) { (void)h; return !cp.read_only; }
static int copro_plugin_can_flush(void *h) { (void)h; return 1; }
static int copro_plugin_is_rotational(void *h) { (void)h; return 0; }
/* Dataset Management (deallocate), when the controller has it. */
static int copro_plugin_can_trim(void *h)
{
	(void)h;
	return nbd_io_can_trim(&cp.io);
}
static int copro_plugin_can_zero(void *h) { (void)h; return 1; }
/*
 * Fast with NVMe Write Zeroes (no data moves); without it a zero is a
 * write, and fast-zero requests fail at once (nbd_io_zero).
 */
static int copro_plugin_can_fast_zero(void *h)
{
	(void)h;
	return 1;
}
static int copro_plugin_can_fua(void *h) { (void)h; return NBDKIT_FUA_NATIVE; }
static int copro_plugin_can_cache(void *h) { (void)h; return NBDKIT_CACHE_NONE; }

/*
 * Multi-conn is safe: every connection drives the same nbd_io and driver
 * instance with no per-connection cache, a write is in the controller
 * before its reply is sent, and an NVMe Flush (like FUA) covers the whole
 * namespace's volatile cache, not one connection's writes. So a flush or
 * FUA on any connection makes every write completed on every connection
 * durable before it returns, which is what multi-conn promises.
 */
static int copro_plugin_can_multi_conn(void *h) { (void)h; return 1; }

static int fail(int err)
{
	nbdkit_set_error(nbd_io_errno(err));
	return -1;
}

static int copro_plugin_pread(void *h, void *buf, uint32_t count,
			      uint64_t offset, uint32_t flags)
{
	(void)h;
	(void)flags;
	int ret = nbd_io_read(&cp.io, buf, count, offset);
	return ret < 0 ? fail(ret) : 0;
}

static int copro_plugin_pwrite(void *h, const void *buf, uint32_t count,
			       uint64_t offset, uint32_t flags)
{
	(void)h;
	int ret = nbd_io_write(&cp.io, buf, count, offset,
			       flags & NBDKIT_FLAG_FUA);
	return ret < 0 ? fail(ret) : 0;
}

static int copro_plugin_zero(void *h, uint32_t count, uint64_t offset,
			     uint32_t flags)
{
	(void)h;
	int ret = nbd_io_zero(&cp.io, count, offset, flags & NBDKIT_FLAG_FUA,
			      flags & NBDKIT_FLAG_MAY_TRIM,
			      flags & NBDKIT_FLAG_FAST_ZERO);
	return ret < 0 ? fail(ret) : 0;
}

static int copro_plugin_trim(void *h, uint32_t count, uint64_t offset,
			     uint32_t flags)
{
	(void)h;
	int ret = nbd_io_trim(&cp.io, count, offset, flags & NBDKIT_FLAG_FUA);
	return ret < 0 ? fail(ret) : 0;
}

static int copro_plugin_flush(void *h, uint32_t flags)
{
	(void)h;
	(void)flags;
	int ret = nbd_io_flush(&cp.io);
	return ret < 0 ? fail(ret) : 0;
}

static struct nbdkit_plugin plugin = {
	.name = "copro",
	.longname = "copro emulated ANS2 NVMe coprocessor",
	.version = "0.1.0",
	.description = "Serves the namespace of an emulated Apple ANS2 NVMe "
		       "coprocessor (RTKit over the ASC mailbox, SART, NVMMU).",
	.config = copro_plugin_config,
	.config_help =
		"[disk=]FILE               backing file or block device (required;\n"
		"                          a missing file is created)\n"
		"board=NAME|FILE           built-in board, .dtb or .dts (default t8103)\n"
		"size=SIZE                 namespace size (default: the file's; a\n"
		"                          larger one grows the file, a smaller one\n"
		"                          is refused)\n"
		"readonly=BOOL             write-protected namespace, shared lock\n"
		"export=NAME               serve only this export name\n"
		"raw=BOOL                  serve a file that looks like qcow2 etc. raw\n"
		"slow-flush=BOOL           flushes take as long as on hardware\n"
		"map=BOOL                  the model may copy pages through a mapping\n"
		"                          of the disk (default true; false: read and\n"
		"                          write calls only)\n"
		"map-writes=POLICY         how writes use the mapping: measured (a\n"
		"                          page written twice goes in while that paid\n"
		"                          on this host; default), second-touch or\n"
		"                          never\n"
		"log=LEVEL                 err, warn, info, debug or trace\n"
		"record=FILE               record every register access, interrupt,\n"
		"                          DMA buffer and power change (copro trace)",
	.magic_config_key = "disk",
	.config_complete = copro_plugin_config_complete,
	.get_ready = copro_plugin_get_ready,
	.after_fork = copro_plugin_after_fork,
	.cleanup = copro_plugin_cleanup,
	.unload = copro_plugin_unload,
	.list_exports = copro_plugin_list_exports,
	.open = copro_plugin_open,
	.close = copro_plugin_close,
	.can_write = copro_plugin_can_write,
	.get_size = copro_plugin_get_size,
	.block_size = copro_plugin_block_size,
	.can_flush = copro_plugin_can_flush,
	.is_rotational = copro_plugin_is_rotational,
	.can_trim = copro_plugin_can_trim,
	.can_zero = copro_plugin_can_zero,
	.can_fast_zero = copro_plugin_can_fast_zero,
	.can_fua = copro_plugin_can_fua,
	.can_multi_conn = copro_plugin_can_multi_conn,
	.can_cache = copro_plugin_can_cache,
	.pread = copro_plugin_pread,
	.pwrite = copro_plugin_pwrite,
	.zero = copro_plugin_zero,
	.trim = copro_plugin_trim,
	.flush = copro_plugin_flush,
	.errno_is_preserved = 0,
};

/* nbdkit's entry point, which the macro below defines. */
NBDKIT_DLL_PUBLIC struct nbdkit_plugin *plugin_init(void);
NBDKIT_REGISTER_PLUGIN(plugin)
