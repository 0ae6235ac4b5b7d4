/* SPDX-License-Identifier: MIT */
/*
 * The Apple ANS2 NVMe host driver (hardware.md 4): RTKit brings the
 * coprocessor up, then an NVMe controller with one admin and one I/O
 * queue. Two generations, as Linux's apple.c drives them: the M1's
 * ("apple,nvme-ans2": linear submission queues, NVMMU transfer control
 * blocks, one 64-tag space, admin 2 tags, I/O 62) and the A11's
 * ("apple,t8015-nvme-ans2": ring submission queues with tail doorbells,
 * 16 entries, 128-byte I/O entries, admin 1 tag, I/O 15).
 *
 * I/O is asynchronous: copro_nvme_submit() takes a request and calls its
 * done() once, from the completion path (interrupt context on a threaded
 * platform, or the caller of copro_nvme_poll() on an unthreaded one: see
 * <copro/platform.h>). Blocking wrappers wait for that (polling on an
 * unthreaded platform). All calls are thread-safe.
 *
 * Failure model: a request that times out first re-polls the completion
 * queue (the interrupt may have been lost); only then is the controller
 * reset, and what was outstanding is retried (up to cfg.retries) or
 * failed. A coprocessor crash fails every outstanding and every new
 * request with -ECONNRESET at once and logs the decoded crashlog; nothing
 * hangs.
 */
#ifndef COPRO_NVME_H
#define COPRO_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_nvme;
struct copro_rtkit;

#define COPRO_NVME_COMPATIBLE "apple,nvme-ans2"
#define COPRO_NVME_COMPATIBLE_T8015 "apple,t8015-nvme-ans2"
#define COPRO_NVME_MAX_TRANSFER (4096u * 1024u) /* bytes per command */
#define COPRO_NVME_MAX_SEGMENTS 127u
/* I/O requests in flight at most: the M1's; info.io_tags is the node's. */
#define COPRO_NVME_IO_TAGS 62u

struct copro_nvme_config {
	int64_t io_timeout_ns;	 /* per command; 0: 5 s */
	unsigned retries;	 /* per request after a reset; default 0 */
	/*
	 * Completions only through the interrupt (and the watchdog's
	 * re-poll): a submitter does not poll the completion queue after
	 * ringing the doorbell, as it does by default.
	 */
	bool irq_only;
	/*
	 * Every wait on the controller and its coprocessor outside I/O:
	 * each admin command, each register poll of the bring-up, reset and
	 * shutdown (BOOT_STATUS, CSTS ready, shutdown complete) and each of
	 * RTKit's waits (copro_rtkit_config.timeout_ns). 0: the defaults
	 * (admin commands 2 s, BOOT_STATUS and shutdown 1 s, ready CAP.TO
	 * kept within 0.5-5 s, RTKit 1 s). For tests and harnesses that
	 * make the controller fail on purpose and need each failure to end
	 * quickly.
	 */
	int64_t ctrl_timeout_ns;
};

/*
 * The next enabled node after `from` (-1: the first) the driver binds to
 * (either generation), in devicetree order, or -ENOENT.
 */
COPRO_API int copro_nvme_next(const struct copro_dt *dt, int from);

/*
 * Probe an ANS2 node of either generation: power domains on, map "nvme" and
 * "ans", RTKit over its mailbox with SART-filtered buffers, the full
 * bring-up of hardware.md 4 and Identify. Every failure is a clear error
 * (logged with the step and the value) and leaves nothing behind.
 */
COPRO_API int copro_nvme_probe(struct copro_platform *p, int node,
			       const struct copro_nvme_config *cfg,
			       struct copro_nvme **out);
/* Clean shutdown (controller shutdown, RTKit shutdown, CPU stop, power off). */
COPRO_API void copro_nvme_remove(struct copro_nvme *nvme);

/*
 * The driver table for the probe-all pass (<copro/devices.h>): it waits
 * for the node's "mboxes" controller and "apple,sart" SART, then runs
 * copro_nvme_probe with the struct copro_nvme_config given for driver
 * "nvme" (or the defaults).
 */
struct copro_driver;
struct copro_device;
COPRO_API const struct copro_driver *copro_nvme_driver(void);
/* The NVMe device's driver object; NULL for any other device or NULL. */
COPRO_API struct copro_nvme *
copro_nvme_from_device(const struct copro_device *dev);

struct copro_nvme_info {
	char model[41], serial[21], firmware[9]; /* trimmed, NUL-terminated */
	uint32_t lba_size;	/* bytes */
	uint64_t lba_count;
	bool volatile_cache;	/* flush needed for durability */
	uint32_t max_transfer;	/* bytes per command */
	/*
	 * Optional commands (Identify Controller ONCS) and what deallocated
	 * blocks read as (Identify Namespace DLFEAT). 0 where unsupported.
	 */
	uint64_t max_discard;	  /* bytes per COPRO_NVME_DISCARD */
	uint64_t max_write_zeroes; /* bytes per COPRO_NVME_WRITE_ZEROES */
	bool discard_zeroes;	  /* deallocated blocks read back as zeroes */
	bool write_zeroes_deac;	  /* Write Zeroes may deallocate (DEAC) */
	const char *generation;	/* "t8103" (M1 and later) or "t8015" (A11) */
	unsigned io_tags;	/* I/O requests the controller takes at once */
};
COPRO_API void copro_nvme_get_info(const struct copro_nvme *nvme,
				   struct copro_nvme_info *out);

enum copro_nvme_op {
	COPRO_NVME_READ,
	COPRO_NVME_WRITE,
	COPRO_NVME_FLUSH,
	/* Dataset Management, deallocate: one range, no buffer. */
	COPRO_NVME_DISCARD,
	/* Write Zeroes: no buffer; `deallocate` lets the device unmap. */
	COPRO_NVME_WRITE_ZEROES,
};

/*
 * One request. The caller owns the memory until done() ran. offset and
 * len are bytes, multiples of the LBA size; len <= max_transfer for
 * reads and writes (whose buf may be any memory, bounced, or lie inside
 * a registered buffer, zero-copy), <= max_discard or max_write_zeroes
 * for those (which have no buf). A discard or write-zeroes request on a
 * device without the command fails with -EOPNOTSUPP (done() not called).
 */
struct copro_nvme_req {
	enum copro_nvme_op op;
	uint64_t offset;
	size_t len;
	void *buf;
	bool fua;		/* writes and write-zeroes: durable when done */
	/*
	 * Write-zeroes: the blocks may be deallocated rather than written
	 * (NVMe DEAC), which keeps a thin disk thin. Honoured only when the
	 * namespace reads deallocated blocks as zeroes (write_zeroes_deac).
	 */
	bool deallocate;
	void (*done)(struct copro_nvme_req *req, int status);
	void *ctx;
	/* driver-private */
	unsigned attempts_;
	uint64_t deadline_;
};

/*
 * Queue a request. Waits for a free tag (up to the I/O timeout) when all
 * are taken. -EINVAL for a misaligned or oversized request (done() is
 * not called), -ECONNRESET after a crash, -ESHUTDOWN while suspended or
 * removed, -EOPNOTSUPP for a command the device does not have.
 */
COPRO_API int copro_nvme_submit(struct copro_nvme *nvme,
				struct copro_nvme_req *req);
/*
 * Polled mode: reap completions; once per tick of the coarse clock (a
 * few ms) also poll the RTKit endpoints and run timeouts. Returns
 * completions.
 */
COPRO_API int copro_nvme_poll(struct copro_nvme *nvme);

/* Blocking wrappers. */
COPRO_API int copro_nvme_read(struct copro_nvme *nvme, uint64_t offset,
			      void *buf, size_t len);
COPRO_API int copro_nvme_write(struct copro_nvme *nvme, uint64_t offset,
			       const void *buf, size_t len, bool fua);
COPRO_API int copro_nvme_flush(struct copro_nvme *nvme);
COPRO_API int copro_nvme_discard(struct copro_nvme *nvme, uint64_t offset,
				 size_t len);
COPRO_API int copro_nvme_write_zeroes(struct copro_nvme *nvme, uint64_t offset,
				      size_t len, bool deallocate, bool fua);

/*
 * Zero-copy: I/O whose buffer lies inside a registered range skips the
 * bounce buffer. Register before use, unregister when done.
 */
COPRO_API int copro_nvme_register_buffer(struct copro_nvme *nvme, void *buf,
					 size_t len);
COPRO_API int copro_nvme_unregister_buffer(struct copro_nvme *nvme, void *buf);

/*
 * Apple's vendor admin command (0xD8): `buf` is allowed in the SART for
 * the duration of the command; cdw10..15 as given.
 */
COPRO_API int
copro_nvme_vendor_cmd(struct copro_nvme *nvme, const uint32_t cdw[6], void *buf,
		      size_t len, bool to_device, uint32_t *result);

/* Full reset (hardware.md 4) now; outstanding I/O retried or failed. */
COPRO_API int copro_nvme_reset(struct copro_nvme *nvme);
COPRO_API int copro_nvme_suspend(struct copro_nvme *nvme);
COPRO_API int copro_nvme_resume(struct copro_nvme *nvme);

/* The coprocessor crashed; the device is dead until removed. */
COPRO_API bool copro_nvme_is_dead(const struct copro_nvme *nvme);
COPRO_API struct copro_rtkit *copro_nvme_rtkit(struct copro_nvme *nvme);

struct copro_nvme_stats {
	uint64_t submitted, completed, errors;
	uint64_t timeouts;	  /* requests past their deadline */
	uint64_t repolled;	  /* completions found by a timeout's re-poll */
	uint64_t resets;
	uint64_t retried, failed; /* after resets and crashes */
	uint64_t bounced_bytes, zero_copy_bytes;
};
COPRO_API void copro_nvme_get_stats(const struct copro_nvme *nvme,
				    struct copro_nvme_stats *out);

#ifdef __cplusplus
}
#endif
#endif
