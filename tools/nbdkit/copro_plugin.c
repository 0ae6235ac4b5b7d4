/* SPDX-License-Identifier: MIT */
/*
 * nbdkit-copro-plugin: serves the namespace of an emulated board's ANS2
 * NVMe coprocessor over NBD.
 *
 *   nbdkit ./nbdkit-copro-plugin.so [disk=]FILE [board=NAME|FILE]
 *          [size=SIZE] [slow-flush=BOOL] [log=LEVEL] [record=FILE]
 *
 * Lifecycle: configuration is checked in config_complete and get_ready,
 * where errors still reach the user; the board (whose platform and models
 * run threads) and the driver come up in after_fork, because threads do
 * not survive nbdkit's fork. cleanup (and unload, should cleanup be
 * skipped) shuts the controller down cleanly and destroys the board.
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

#include "nbd_io.h"

/* Requests from any connection and thread may run at once. */
#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

#define LBA_ALIGN 4096u /* the ANS2 model's LBA size, which sizes must fit */

struct copro_plugin {
	/* Configuration. */
	char *board_name;	/* NULL: the default board; else name or abs. path */
	char *disk;		/* absolute path; NULL: anonymous temporary disk */
	int64_t size;		/* bytes; 0: the file's size */
	bool slow_flush;
	enum copro_log_level log_level;
	unsigned fault_crash_after; /* testing: crash after N more commands */
	char *record;		/* absolute path of the recording, or NULL */
	/* After after_fork. */
	struct copro_log *log;
	struct copro_board *board;
	struct copro_devices *devs; /* the host side: mailbox, SART, NVMe */
	struct copro_nvme *nvme;
	struct nbd_io io;
	bool io_ready;
};

static struct copro_plugin cp = { .log_level = COPRO_LOG_INFO };

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
	if (!strcmp(key, "log")) {
		if (copro_log_level_parse(value, &cp.log_level) < 0) {
			nbdkit_error("log: invalid level '%s' (err, warn, info, debug, trace)",
				     value);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "record")) {
		free(cp.record);
		cp.record = nbdkit_absolute_path(value);
		return cp.record ? 0 : -1;
	}
	/* Testing only: the coprocessor crashes after N more commands. */
	if (!strcmp(key, "fault-crash-after")) {
		return nbdkit_parse_unsigned("fault-crash-after", value,
					     &cp.fault_crash_after);
	}
	nbdkit_error("unknown parameter '%s' (see nbdkit copro --help)", key);
	return -1;
}

/* The disk must be a regular file we can read and write, or creatable. */
static int check_disk(void)
{
	struct stat st;

	if (!cp.disk)
		return 0;
	if (stat(cp.disk, &st) < 0) {
		if (errno != ENOENT) {
			nbdkit_error("disk %s: %m", cp.disk);
			return -1;
		}
		char *dir = strdup(cp.disk), *slash = dir ? strrchr(dir, '/') : NULL;
		int ok;

		if (!dir) {
			nbdkit_error("disk: out of memory");
			return -1;
		}
		if (slash == dir)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		ok = access(dir, W_OK | X_OK) == 0;
		if (!ok)
			nbdkit_error("disk %s does not exist and cannot be created in %s: %m",
				     cp.disk, dir);
		free(dir);
		return ok ? 0 : -1;
	}
	if (!S_ISREG(st.st_mode)) {
		nbdkit_error("disk %s is not a regular file", cp.disk);
		return -1;
	}
	if (access(cp.disk, R_OK | W_OK) < 0) {
		nbdkit_error("disk %s: %m", cp.disk);
		return -1;
	}
	if (!cp.size && (st.st_size == 0 || st.st_size % LBA_ALIGN)) {
		nbdkit_error("disk %s: its size, %jd bytes, is not a positive multiple of %u (give size=)",
			     cp.disk, (intmax_t)st.st_size, LBA_ALIGN);
		return -1;
	}
	return 0;
}

/* Opens the board's devicetree (no threads yet) to check it early. */
static int check_board(void)
{
	struct copro_dt *dt;
	const char *name = cp.board_name ? cp.board_name : COPRO_BOARD_DEFAULT;
	int ret = copro_board_dt_open(name, cp.log, &dt);

	if (ret < 0) {
		nbdkit_error("board %s: %s", name, copro_strerror(ret));
		return -1;
	}
	ret = copro_dt_validate(dt);
	if (ret == 0 && copro_dt_next_compatible(dt, -1, COPRO_NVME_COMPATIBLE) < 0) {
		nbdkit_error("board %s has no \"%s\" node", name,
			     COPRO_NVME_COMPATIBLE);
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
	if (check_disk() < 0 || check_board() < 0 || check_record() < 0)
		return -1;
	return 0;
}

/* ---- bring-up and teardown ------------------------------------------- */

static int copro_plugin_after_fork(void)
{
	const struct copro_board_config bcfg = {
		.board = cp.board_name,
		.log = cp.log,
		.threaded = true,
		/*
		 * The interrupt thread sleeps at once: spinning, it competes
		 * with nbdkit's threads and the controller model's workers
		 * for few cores (see NBD_IO_SPIN_NS).
		 */
		.irq_spin_ns = 1,
		.disk_path = cp.disk,
		.disk_size = (uint64_t)cp.size,
		.slow_flush = cp.slow_flush,
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
	return 0;

err:
	teardown();
	return -1;
}

/* Idempotent: cleanup runs it, and unload again in case cleanup did not. */
static void teardown(void)
{
	if (cp.devs) {
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
	copro_log_destroy(cp.log);
	cp.log = NULL;
	free(cp.disk);
	cp.disk = NULL;
	free(cp.board_name);
	cp.board_name = NULL;
	free(cp.record);
	cp.record = NULL;
}

/* ---- connections ------------------------------------------------------- */

static void *copro_plugin_open(int readonly)
{
	(void)readonly;
	if (!cp.io_ready) {
		nbdkit_error("the NVMe device is not up");
		return NULL;
	}
	/* Every connection shares the one device. */
	return &cp;
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

static int copro_plugin_can_flush(void *h) { (void)h; return 1; }
static int copro_plugin_is_rotational(void *h) { (void)h; return 0; }
static int copro_plugin_can_trim(void *h) { (void)h; return 0; }
static int copro_plugin_can_zero(void *h) { (void)h; return 1; }
/* Writing zeroes is a real write here: fast-zero requests fail at once. */
static int copro_plugin_can_fast_zero(void *h) { (void)h; return 1; }
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
	if (flags & NBDKIT_FLAG_FAST_ZERO) {
		nbdkit_set_error(ENOTSUP);
		return -1;
	}
	int ret = nbd_io_zero(&cp.io, count, offset, flags & NBDKIT_FLAG_FUA);
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
		"[disk=]FILE               backing file (created if missing)\n"
		"board=NAME|FILE           built-in board or .dtb (default t8103)\n"
		"size=SIZE                 namespace size (default: the file's)\n"
		"slow-flush=BOOL           flushes take as long as on hardware\n"
		"log=LEVEL                 err, warn, info, debug or trace\n"
		"record=FILE               record every register access, interrupt,\n"
		"                          DMA buffer and power change (copro trace)",
	.magic_config_key = "disk",
	.get_ready = copro_plugin_get_ready,
	.after_fork = copro_plugin_after_fork,
	.cleanup = copro_plugin_cleanup,
	.unload = copro_plugin_unload,
	.open = copro_plugin_open,
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
	.flush = copro_plugin_flush,
	.errno_is_preserved = 0,
};

/* nbdkit's entry point, which the macro below defines. */
NBDKIT_DLL_PUBLIC struct nbdkit_plugin *plugin_init(void);
NBDKIT_REGISTER_PLUGIN(plugin)
