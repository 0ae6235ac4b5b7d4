/* SPDX-License-Identifier: MIT */
/*
 * Byte ranges to NVMe requests. Each call splits its range into chunks of
 * at most max_transfer bytes, submits them all asynchronously (so one
 * large request keeps several tags busy, and many nbdkit threads share
 * the 62 tags), and sleeps on one waiter until the last chunk completes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>

#include "nbd_io.h"

/*
 * Large requests go out in chunks of this size: the controller model
 * runs commands on several worker threads, so the chunks of one request
 * move their data in parallel (copro bench nbd: 1 MiB sequential reads
 * gain about a fifth over one 1 MiB command).
 */
#define NBD_IO_SPLIT (256u * 1024u)
/*
 * A read or write this large moves its data straight between nbdkit's
 * buffer and the disk: the buffer is registered with the driver for the
 * request (a few hundred instructions) instead of every byte being
 * copied through bounce memory (copro bench nbd, 1 MiB sequential: the
 * copy was most of what copro serve spent beyond nbdkit file). At most
 * NBD_IO_ZC_USERS at once, well inside the driver's registry.
 */
#define NBD_IO_ZC_MIN (64u * 1024u)
#define NBD_IO_ZC_USERS 16u
/* Chunks in flight per call (the rest of a request waits its turn). */
#define NBD_IO_WINDOW 32u
/*
 * Waiters sleep at once. A completion needs the controller model's
 * worker and the interrupt thread to run first; on a machine with few
 * cores a spinning waiter takes the CPU they need, and copro bench nbd
 * measured spinning (20 us) slower at queue depth 1 and far slower at 16.
 */
#define NBD_IO_SPIN_NS 0

/*
 * Completions run in the driver's interrupt context and end by signalling
 * the waiter's event. The waiting thread may already have seen `pending`
 * reach zero and returned by then, so the event must outlive the call:
 * waiters come from a pool and are only freed with the nbd_io, after the
 * driver is gone. A late signal to a reused waiter is a spurious wakeup,
 * which its new owner tolerates (it re-checks `pending`).
 */
struct nbd_waiter {
	struct copro_event ev;
	_Atomic unsigned pending;
	_Atomic int err;
	struct nbd_waiter *next_free, *next_all;
};

static struct nbd_waiter *waiter_get(struct nbd_io *io)
{
	struct nbd_waiter *w;

	copro_spin_lock(&io->pool_lock);
	w = io->free_waiters;
	if (w)
		io->free_waiters = w->next_free;
	copro_spin_unlock(&io->pool_lock);
	if (w)
		return w;
	/* One more request at once than ever before: a new waiter. */
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	copro_event_init(&w->ev);
	copro_spin_lock(&io->pool_lock);
	w->next_all = io->all_waiters;
	io->all_waiters = w;
	copro_spin_unlock(&io->pool_lock);
	return w;
}

static void waiter_put(struct nbd_io *io, struct nbd_waiter *w)
{
	copro_spin_lock(&io->pool_lock);
	w->next_free = io->free_waiters;
	io->free_waiters = w;
	copro_spin_unlock(&io->pool_lock);
}

/* Interrupt context: must not block. */
static void chunk_done(struct copro_nvme_req *req, int status)
{
	struct nbd_waiter *w = req->ctx;

	if (status < 0) {
		int none = 0;
		atomic_compare_exchange_strong(&w->err, &none, status);
	}
	if (atomic_fetch_sub_explicit(&w->pending, 1, memory_order_acq_rel) == 1)
		copro_event_signal(&w->ev);
}

static const char *op_name(enum copro_nvme_op op)
{
	switch (op) {
	case COPRO_NVME_READ: return "read";
	case COPRO_NVME_WRITE: return "write";
	case COPRO_NVME_FLUSH: return "flush";
	case COPRO_NVME_DISCARD: return "trim";
	case COPRO_NVME_WRITE_ZEROES: return "zero";
	}
	return "?";
}

/*
 * The driver fails every request itself after its own timeout and
 * reset, so this wait only expires if that machinery is broken. The
 * chunks' buffers are still the driver's until done() runs, so giving up
 * would hand it freed memory: instead, force a reset (which fails what
 * is outstanding) and keep waiting, saying so each time.
 */
static void waiter_wait(struct nbd_io *io, struct nbd_waiter *w,
			enum copro_nvme_op op, uint64_t off)
{
	unsigned expiries = 0;

	for (;;) {
		uint32_t key = copro_event_prepare(&w->ev);

		if (atomic_load_explicit(&w->pending, memory_order_acquire) == 0)
			return;
		if (copro_event_wait(&w->ev, key, io->wait_timeout_ns,
				     NBD_IO_SPIN_NS) != -ETIMEDOUT)
			continue;
		expiries++;
		copro_dev_err(&io->ld,
			      "%s at offset 0x%" PRIx64 " not completed after %" PRId64
			      " ms (%u times); resetting the controller",
			      op_name(op), off,
			      (int64_t)(io->wait_timeout_ns / COPRO_NSEC_PER_MSEC),
			      expiries);
		int ret = copro_nvme_reset(io->nvme);
		if (ret < 0)
			copro_dev_err(&io->ld, "controller reset failed: %s",
				      copro_strerror(ret));
	}
}

/* ---- the RMW gate ---------------------------------------------------- */

#define NBD_GATE_EXCL 0x80000000u

/*
 * Waits here are bounded by the I/O of the holders, which the driver
 * times out itself; the timeout only makes the loop look again.
 */
static void gate_wait(struct nbd_io *io, uint32_t key)
{
	copro_event_wait(&io->gate.ev, key, io->wait_timeout_ns, 0);
}

static void gate_enter_shared(struct nbd_io *io)
{
	for (;;) {
		uint32_t key = copro_event_prepare(&io->gate.ev);
		uint32_t s = atomic_load_explicit(&io->gate.state,
						  memory_order_relaxed);

		if (s & NBD_GATE_EXCL) {
			gate_wait(io, key);
			continue;
		}
		if (atomic_compare_exchange_weak_explicit(
			    &io->gate.state, &s, s + 1, memory_order_acquire,
			    memory_order_relaxed))
			return;
	}
}

static void gate_exit_shared(struct nbd_io *io)
{
	uint32_t s = atomic_fetch_sub_explicit(&io->gate.state, 1,
					       memory_order_release);

	if (s == (NBD_GATE_EXCL | 1))
		copro_event_signal(&io->gate.ev);
}

static void gate_enter_excl(struct nbd_io *io)
{
	copro_mutex_lock(&io->gate.excl);
	/* From here on no new shared holder gets in; wait for the rest. */
	atomic_fetch_or_explicit(&io->gate.state, NBD_GATE_EXCL,
				 memory_order_acquire);
	for (;;) {
		uint32_t key = copro_event_prepare(&io->gate.ev);

		if (atomic_load_explicit(&io->gate.state, memory_order_acquire) ==
		    NBD_GATE_EXCL)
			return;
		gate_wait(io, key);
	}
}

static void gate_exit_excl(struct nbd_io *io)
{
	atomic_fetch_and_explicit(&io->gate.state, ~NBD_GATE_EXCL,
				  memory_order_release);
	copro_event_signal(&io->gate.ev);
	copro_mutex_unlock(&io->gate.excl);
}

/* Submits n prepared requests and waits for all of those accepted. */
static int run_batch(struct nbd_io *io, struct copro_nvme_req *reqs,
		     unsigned n)
{
	struct nbd_waiter *w = waiter_get(io);
	int submit_err = 0;

	if (!w)
		return -ENOMEM;
	/* Our own reference keeps pending above zero while we submit. */
	atomic_store_explicit(&w->pending, 1, memory_order_relaxed);
	atomic_store_explicit(&w->err, 0, memory_order_relaxed);
	for (unsigned i = 0; i < n; i++) {
		reqs[i].done = chunk_done;
		reqs[i].ctx = w;
		atomic_fetch_add_explicit(&w->pending, 1, memory_order_relaxed);
		submit_err = copro_nvme_submit(io->nvme, &reqs[i]);
		if (submit_err < 0) {
			/* Not accepted: done() will not run for it. */
			atomic_fetch_sub_explicit(&w->pending, 1,
						  memory_order_relaxed);
			break;
		}
	}
	if (atomic_fetch_sub_explicit(&w->pending, 1, memory_order_acq_rel) != 1)
		waiter_wait(io, w, reqs[0].op, reqs[0].offset);
	int err = atomic_load_explicit(&w->err, memory_order_acquire);
	waiter_put(io, w);
	return submit_err < 0 ? submit_err : err;
}

static void report(struct nbd_io *io, enum copro_nvme_op op, uint64_t len,
		   uint64_t off, int err)
{
	/* After a crash every request fails the same way: say it once. */
	if (copro_nvme_is_dead(io->nvme)) {
		bool was = atomic_exchange(&io->dead_reported, true);
		if (was) {
			copro_dev_dbg(&io->ld, "%s of %" PRIu64 " bytes at 0x%" PRIx64
				      ": device is dead", op_name(op), len, off);
			return;
		}
		copro_dev_err(&io->ld,
			      "the NVMe coprocessor has crashed: this and every later request fails (%s)",
			      copro_strerror(err));
		return;
	}
	copro_dev_err(&io->ld, "%s of %" PRIu64 " bytes at offset 0x%" PRIx64
		      " failed: %s", op_name(op), len, off, copro_strerror(err));
}

/* How much of a range one command of `op` may cover. */
static uint64_t op_chunk(const struct nbd_io *io, enum copro_nvme_op op)
{
	switch (op) {
	case COPRO_NVME_DISCARD: return io->max_discard;
	case COPRO_NVME_WRITE_ZEROES: return io->max_write_zeroes;
	default: return io->split;
	}
}

static bool zc_begin(struct nbd_io *io, void *buf, uint64_t len)
{
	if (len < NBD_IO_ZC_MIN || len > SIZE_MAX)
		return false;
	if (atomic_fetch_add(&io->zc_users, 1) >= NBD_IO_ZC_USERS) {
		atomic_fetch_sub(&io->zc_users, 1);
		return false;
	}
	if (copro_nvme_register_buffer(io->nvme, buf, (size_t)len) == 0)
		return true;
	atomic_fetch_sub(&io->zc_users, 1);
	return false;
}

static void zc_end(struct nbd_io *io, void *buf)
{
	copro_nvme_unregister_buffer(io->nvme, buf);
	atomic_fetch_sub(&io->zc_users, 1);
}

/*
 * An LBA-aligned range. `src_zero` makes every chunk of a write come from
 * the zero buffer instead of `buf`; discards and write-zeroes have no
 * buffer (`may_trim`: write-zeroes may deallocate).
 */
static int xfer_aligned_ex(struct nbd_io *io, enum copro_nvme_op op,
			   void *buf, bool src_zero, uint64_t len,
			   uint64_t off, bool fua, bool may_trim)
{
	struct copro_nvme_req reqs[NBD_IO_WINDOW];
	uint64_t done = 0, max = op_chunk(io, op);
	bool data = op == COPRO_NVME_READ || op == COPRO_NVME_WRITE;
	/* Every chunk is done (run_batch waits) before this ends. */
	bool zc = data && !src_zero && zc_begin(io, buf, len);
	int ret = 0;

	while (done < len && !ret) {
		unsigned n = 0;

		while (n < NBD_IO_WINDOW && done < len) {
			uint64_t chunk = len - done;

			if (chunk > max)
				chunk = max;
			reqs[n] = (struct copro_nvme_req){
				.op = op,
				.offset = off + done,
				.len = (size_t)chunk,
				.buf = !data ? NULL
				       : src_zero ? io->zeros : (char *)buf + done,
				.fua = fua,
				.deallocate = may_trim,
			};
			n++;
			done += chunk;
		}
		ret = run_batch(io, reqs, n);
		if (ret < 0)
			report(io, op, len, off, ret);
	}
	if (zc)
		zc_end(io, buf);
	return ret;
}

static int xfer_aligned(struct nbd_io *io, enum copro_nvme_op op, void *buf,
			bool src_zero, uint64_t len, uint64_t off, bool fua)
{
	return xfer_aligned_ex(io, op, buf, src_zero, len, off, fua, false);
}

static bool aligned(const struct nbd_io *io, uint64_t v)
{
	return (v & (io->lba_size - 1)) == 0;
}

static int do_read(struct nbd_io *io, void *buf, uint64_t len, uint64_t off)
{
	uint64_t bs = io->lba_size;

	if (aligned(io, off) && aligned(io, len))
		return xfer_aligned(io, COPRO_NVME_READ, buf, false, len, off,
				    false);

	/* Partial blocks at either end go through a block of our own. */
	char *blk = malloc(bs);
	int ret = 0;

	if (!blk)
		return -ENOMEM;
	while (len > 0 && ret == 0) {
		uint64_t base = off & ~(bs - 1), skip = off - base;
		uint64_t n;

		if (skip == 0 && len >= bs) {
			n = len & ~(bs - 1);
			ret = xfer_aligned(io, COPRO_NVME_READ, buf, false, n,
					   off, false);
		} else {
			n = bs - skip < len ? bs - skip : len;
			ret = xfer_aligned(io, COPRO_NVME_READ, blk, false, bs,
					   base, false);
			if (ret == 0)
				memcpy(buf, blk + skip, n);
		}
		buf = (char *)buf + n;
		off += n;
		len -= n;
	}
	free(blk);
	return ret;
}

/* A write of `buf` (or zeroes when buf is NULL). */
static int write_span(struct nbd_io *io, const void *buf, uint64_t len,
		      uint64_t off, bool fua)
{
	uint64_t bs = io->lba_size;
	int ret = 0;

	if (aligned(io, off) && aligned(io, len)) {
		gate_enter_shared(io);
		ret = xfer_aligned(io, COPRO_NVME_WRITE, (void *)buf, !buf, len,
				   off, fua);
		gate_exit_shared(io);
		return ret;
	}

	char *blk = malloc(bs);
	if (!blk)
		return -ENOMEM;
	gate_enter_excl(io);
	while (len > 0 && ret == 0) {
		uint64_t base = off & ~(bs - 1), skip = off - base;
		uint64_t n;

		if (skip == 0 && len >= bs) {
			n = len & ~(bs - 1);
			ret = xfer_aligned(io, COPRO_NVME_WRITE, (void *)buf,
					   !buf, n, off, fua);
		} else {
			n = bs - skip < len ? bs - skip : len;
			ret = xfer_aligned(io, COPRO_NVME_READ, blk, false, bs,
					   base, false);
			if (ret == 0) {
				if (buf)
					memcpy(blk + skip, buf, n);
				else
					memset(blk + skip, 0, n);
				ret = xfer_aligned(io, COPRO_NVME_WRITE, blk,
						   false, bs, base, fua);
			}
		}
		if (buf)
			buf = (const char *)buf + n;
		off += n;
		len -= n;
	}
	gate_exit_excl(io);
	free(blk);
	return ret;
}

static int do_flush(struct nbd_io *io)
{
	struct copro_nvme_req req = { .op = COPRO_NVME_FLUSH };
	int ret = run_batch(io, &req, 1);

	if (ret < 0)
		report(io, COPRO_NVME_FLUSH, 0, 0, ret);
	return ret;
}

/* The whole LBAs inside [off, off + len): false if there are none. */
static bool inner_blocks(const struct nbd_io *io, uint64_t off, uint64_t len,
			 uint64_t *start, uint64_t *end)
{
	uint64_t bs = io->lba_size;

	*start = (off + bs - 1) & ~(bs - 1);
	*end = (off + len) & ~(bs - 1);
	return *start < *end;
}

static int do_zero(struct nbd_io *io, uint64_t len, uint64_t off, bool fua,
		   bool may_trim, bool fast)
{
	uint64_t start, end;
	int ret = 0;

	if (!io->max_write_zeroes)
		return fast ? -ENOTSUP : write_span(io, NULL, len, off, fua);
	/* Partial blocks are a read-modify-write: not fast (as nbdkit's
	 * blocksize filter decides), and refused before anything is done. */
	if (fast && (!aligned(io, off) || !aligned(io, len)))
		return -ENOTSUP;
	if (!inner_blocks(io, off, len, &start, &end))
		return write_span(io, NULL, len, off, fua);
	if (start > off)
		ret = write_span(io, NULL, start - off, off, fua);
	if (!ret) {
		/* A write like any other: no RMW may straddle it. */
		gate_enter_shared(io);
		ret = xfer_aligned_ex(io, COPRO_NVME_WRITE_ZEROES, NULL, false,
				      end - start, start, fua, may_trim);
		gate_exit_shared(io);
	}
	if (!ret && off + len > end)
		ret = write_span(io, NULL, off + len - end, end, fua);
	return ret;
}

static int do_trim(struct nbd_io *io, uint64_t len, uint64_t off, bool fua)
{
	uint64_t start, end;
	int ret = 0;

	if (!io->max_discard)
		return -EOPNOTSUPP;
	if (inner_blocks(io, off, len, &start, &end)) {
		gate_enter_shared(io);
		ret = xfer_aligned_ex(io, COPRO_NVME_DISCARD, NULL, false,
				      end - start, start, false, false);
		gate_exit_shared(io);
	}
	/* Dataset Management has no FUA: a flush makes it durable. */
	if (!ret && fua)
		ret = do_flush(io);
	return ret;
}

/* ---- statistics around every request --------------------------------- */

static uint64_t stat_begin(struct nbd_io *io)
{
	atomic_fetch_add_explicit(&io->st.inflight, 1, memory_order_relaxed);
	return copro_time_ns();
}

static int stat_end(struct nbd_io *io, uint64_t t0, _Atomic uint64_t *ops,
		    _Atomic uint64_t *bytes, uint64_t len, int ret)
{
	atomic_fetch_add_explicit(&io->st.busy_ns, copro_time_ns() - t0,
				  memory_order_relaxed);
	atomic_fetch_sub_explicit(&io->st.inflight, 1, memory_order_relaxed);
	if (ret < 0) {
		atomic_fetch_add_explicit(&io->st.errors, 1, memory_order_relaxed);
		return ret;
	}
	atomic_fetch_add_explicit(ops, 1, memory_order_relaxed);
	if (bytes)
		atomic_fetch_add_explicit(bytes, len, memory_order_relaxed);
	return ret;
}

int nbd_io_read(struct nbd_io *io, void *buf, uint64_t len, uint64_t off)
{
	uint64_t t0 = stat_begin(io);

	return stat_end(io, t0, &io->st.reads, &io->st.bytes_read, len,
			do_read(io, buf, len, off));
}

int nbd_io_write(struct nbd_io *io, const void *buf, uint64_t len,
		 uint64_t off, bool fua)
{
	if (!buf && len)
		return -EINVAL;
	uint64_t t0 = stat_begin(io);

	return stat_end(io, t0, &io->st.writes, &io->st.bytes_written, len,
			write_span(io, buf, len, off, fua));
}

int nbd_io_zero(struct nbd_io *io, uint64_t len, uint64_t off, bool fua,
		bool may_trim, bool fast)
{
	uint64_t t0 = stat_begin(io);
	int ret = do_zero(io, len, off, fua, may_trim, fast);

	/* A refused fast zero is the client's cue, not an error. */
	if (ret == -ENOTSUP) {
		atomic_fetch_sub_explicit(&io->st.inflight, 1,
					  memory_order_relaxed);
		return ret;
	}
	return stat_end(io, t0, &io->st.zeroes, NULL, len, ret);
}

int nbd_io_trim(struct nbd_io *io, uint64_t len, uint64_t off, bool fua)
{
	uint64_t t0 = stat_begin(io);

	return stat_end(io, t0, &io->st.trims, NULL, len,
			do_trim(io, len, off, fua));
}

int nbd_io_flush(struct nbd_io *io)
{
	uint64_t t0 = stat_begin(io);

	return stat_end(io, t0, &io->st.flushes, NULL, 0, do_flush(io));
}

bool nbd_io_can_trim(const struct nbd_io *io)
{
	return io->max_discard != 0;
}

bool nbd_io_can_fast_zero(const struct nbd_io *io)
{
	return io->max_write_zeroes != 0;
}

void nbd_io_get_stats(struct nbd_io *io, struct nbd_io_stats *out)
{
	out->reads = atomic_load(&io->st.reads);
	out->writes = atomic_load(&io->st.writes);
	out->zeroes = atomic_load(&io->st.zeroes);
	out->trims = atomic_load(&io->st.trims);
	out->flushes = atomic_load(&io->st.flushes);
	out->errors = atomic_load(&io->st.errors);
	out->bytes_read = atomic_load(&io->st.bytes_read);
	out->bytes_written = atomic_load(&io->st.bytes_written);
	out->busy_ns = atomic_load(&io->st.busy_ns);
	out->inflight = atomic_load(&io->st.inflight);
}

int nbd_io_errno(int err)
{
	switch (-err) {
	case EINVAL: case ENOMEM: case ENOSPC: case EOVERFLOW:
	case ESHUTDOWN: case EPERM: case ENOTSUP:
		return -err;
	case EDQUOT:
		return ENOSPC;
	case EROFS: case EACCES:
		return EPERM;
	default:
		/* Timeouts, crashes, bus faults, device errors. */
		return EIO;
	}
}

int nbd_io_init(struct nbd_io *io, struct copro_nvme *nvme,
		struct copro_log *log, int64_t io_timeout_ns,
		unsigned retries)
{
	struct copro_nvme_info info;
	int ret;

	memset(io, 0, sizeof(*io));
	copro_logdev_init(&io->ld, log, "nbd");
	copro_nvme_get_info(nvme, &info);
	/* The driver checked Identify; these guard our own arithmetic. */
	if (info.lba_size < 512 || info.lba_size > 65536 ||
	    (info.lba_size & (info.lba_size - 1))) {
		copro_dev_err(&io->ld, "unusable LBA size %" PRIu32, info.lba_size);
		return -EINVAL;
	}
	if (info.lba_count == 0 || info.lba_count > UINT64_MAX / info.lba_size) {
		copro_dev_err(&io->ld, "unusable namespace size: %" PRIu64
			      " LBAs of %" PRIu32 " bytes", info.lba_count,
			      info.lba_size);
		return -EINVAL;
	}
	uint32_t max = info.max_transfer;
	if (max == 0 || max > COPRO_NVME_MAX_TRANSFER)
		max = COPRO_NVME_MAX_TRANSFER;
	max &= ~(info.lba_size - 1);
	if (max == 0) {
		copro_dev_err(&io->ld, "maximum transfer %" PRIu32
			      " is below one LBA (%" PRIu32 " bytes)",
			      info.max_transfer, info.lba_size);
		return -EINVAL;
	}
	io->nvme = nvme;
	io->lba_size = info.lba_size;
	io->max_transfer = max;
	io->split = max < NBD_IO_SPLIT ? max : NBD_IO_SPLIT;
	io->size = info.lba_count * info.lba_size;
	/* Whole LBAs per command; 0 when the device lacks the command. */
	io->max_discard = info.max_discard & ~(uint64_t)(info.lba_size - 1);
	io->max_write_zeroes = info.max_write_zeroes &
			       ~(uint64_t)(info.lba_size - 1);
	io->write_zeroes_deac = info.write_zeroes_deac;
	if (io_timeout_ns <= 0)
		io_timeout_ns = 5 * COPRO_NSEC_PER_SEC;
	/* Every try, a reset between tries, and some slack. */
	io->wait_timeout_ns = io_timeout_ns * (int64_t)(2 * (retries + 1)) +
			      10 * COPRO_NSEC_PER_SEC;
	io->zeros = calloc(1, io->split);
	if (!io->zeros)
		return -ENOMEM;
	copro_event_init(&io->gate.ev);
	ret = copro_mutex_init(&io->gate.excl);
	if (ret < 0)
		goto err_zeros;
	copro_spin_init(&io->pool_lock);
	return 0;

err_zeros:
	free(io->zeros);
	io->zeros = NULL;
	return ret;
}

void nbd_io_fini(struct nbd_io *io)
{
	struct nbd_waiter *w = io->all_waiters;

	while (w) {
		struct nbd_waiter *next = w->next_all;
		free(w);
		w = next;
	}
	io->all_waiters = io->free_waiters = NULL;
	copro_mutex_destroy(&io->gate.excl);
	free(io->zeros);
	io->zeros = NULL;
}
