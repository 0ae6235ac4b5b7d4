/* SPDX-License-Identifier: MIT */
/*
 * The NBD side of the ANS2 NVMe driver: byte-addressed reads, writes,
 * zeroes and flushes from many nbdkit threads at once, turned into
 * LBA-aligned asynchronous NVMe requests no larger than the driver's
 * maximum transfer. Independent of nbdkit so it can be tested alone.
 */
#ifndef COPRO_NBD_IO_H
#define COPRO_NBD_IO_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/log.h>
#include <copro/nvme.h>
#include <copro/os.h>

struct nbd_waiter;

struct nbd_io {
	struct copro_logdev ld;
	struct copro_nvme *nvme;
	uint32_t lba_size;
	uint32_t max_transfer;	/* bytes per NVMe command, LBA multiple */
	uint32_t split;		/* chunk size of large requests, LBA multiple */
	uint64_t size;		/* bytes */
	/* How long a request may take before we force a controller reset. */
	int64_t wait_timeout_ns;
	/*
	 * A write that does not cover whole LBAs is a read-modify-write of
	 * its edge blocks. It holds this gate alone; every other write holds
	 * it shared, so no write lands between an RMW's read and its
	 * write-back. Writer-preferring, so a stream of aligned writes cannot
	 * starve an RMW (glibc's rwlock prefers readers).
	 */
	struct {
		_Atomic uint32_t state;	/* shared holders | NBD_GATE_EXCL */
		struct copro_event ev;
		struct copro_mutex excl; /* one exclusive holder at a time */
	} gate;
	/*
	 * Waiters are reused, never freed while requests can complete. A
	 * spin lock: held for a list's two stores, twice a request.
	 */
	struct copro_spinlock pool_lock;
	struct nbd_waiter *free_waiters, *all_waiters;
	void *zeros;		/* `split` bytes, read-only */
	_Atomic unsigned zc_users; /* requests with a registered buffer */
	_Atomic bool dead_reported;
	/* Per command, in bytes (0: the device lacks it). */
	uint64_t max_discard, max_write_zeroes;
	bool write_zeroes_deac;
	/* What --stats shows: every NBD request, counted as it ends. */
	struct {
		_Atomic uint64_t reads, writes, zeroes, trims, flushes, errors;
		_Atomic uint64_t bytes_read, bytes_written;
		_Atomic uint64_t busy_ns;	/* sum of request latencies */
		_Atomic uint32_t inflight;
	} st;
};

struct nbd_io_stats {
	uint64_t reads, writes, zeroes, trims, flushes, errors;
	uint64_t bytes_read, bytes_written;
	uint64_t busy_ns;	/* over an interval / its length: queue depth */
	uint32_t inflight;
};
void nbd_io_get_stats(struct nbd_io *io, struct nbd_io_stats *out);

/* io_timeout_ns and retries: as given to copro_nvme_probe (0: defaults). */
int nbd_io_init(struct nbd_io *io, struct copro_nvme *nvme,
		struct copro_log *log, int64_t io_timeout_ns,
		unsigned retries);
/* After copro_nvme_remove(): no completion may still be on its way. */
void nbd_io_fini(struct nbd_io *io);

/* Byte ranges inside [0, size). Negative errno on failure (logged). */
int nbd_io_read(struct nbd_io *io, void *buf, uint64_t len, uint64_t off);
int nbd_io_write(struct nbd_io *io, const void *buf, uint64_t len,
		 uint64_t off, bool fua);
/*
 * Zeroes a range. With Write Zeroes on the device, whole blocks are
 * zeroed by it (deallocated when may_trim and the namespace allows) and
 * partial blocks at the ends are read-modify-written; without, zeroes
 * are written. `fast`: fail with -ENOTSUP, having done nothing, unless
 * the device can do it all without writing data (NBD fast-zero).
 */
int nbd_io_zero(struct nbd_io *io, uint64_t len, uint64_t off, bool fua,
		bool may_trim, bool fast);
/*
 * Discards the whole blocks inside a range (partial blocks at the ends
 * are left alone, as a trim is only advice); they read back as zeroes
 * when the namespace says so. -EOPNOTSUPP without Dataset Management.
 */
int nbd_io_trim(struct nbd_io *io, uint64_t len, uint64_t off, bool fua);
bool nbd_io_can_trim(const struct nbd_io *io);
bool nbd_io_can_fast_zero(const struct nbd_io *io);
/* Device-wide: every write completed before the flush is durable. */
int nbd_io_flush(struct nbd_io *io);

/* The errno an NBD client should see for a driver error. */
int nbd_io_errno(int err);

#endif
