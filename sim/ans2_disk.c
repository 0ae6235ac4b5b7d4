/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 model's namespace: a backing file of 4096-byte LBAs. Data
 * moves with preadv/pwritev (pread/pwrite for one segment) straight
 * between the file and the host's DMA memory (the iovecs point into it),
 * or, for one segment whose pages the file's mapping holds, with a copy
 * through that mapping, which costs a third of the call (disk_map.h). A
 * write has completed when the call or the copy returned; durability is
 * fdatasync, which Flush, FUA and a disabled write cache ask for. Deallocated LBAs are holes punched in the file (or
 * discarded blocks of a block device, which the kernel guarantees read
 * back as zeroes); zeroed LBAs stay allocated.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <copro/error.h>
#include <copro/os.h>

#include "ans2_internal.h"

/* A namespace when neither the config nor the file gives a size. */
#define DEFAULT_SIZE (64ull << 20)
/* Real ANS2 flushes take 17 to 18 ms. */
#define SLOW_FLUSH_NS (17 * COPRO_NSEC_PER_MSEC)
#define SLOW_FLUSH_JITTER_NS COPRO_NSEC_PER_MSEC

static int open_anonymous(struct copro_sim_ans2 *m)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* Filesystems without O_TMPFILE: create, then unlink at once. */
	snprintf(path, sizeof(path), "%s/copro-ans2-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		copro_dev_err(&m->ld, "cannot create a temporary disk in %s: %s",
			      dir, copro_strerror(err));
		return err;
	}
	unlink(path);
	return fd;
}

/* The bytes a regular file or block device holds. */
static int disk_bytes(int fd, const struct stat *st, uint64_t *have)
{
	if (S_ISBLK(st->st_mode))
		return ioctl(fd, BLKGETSIZE64, have) < 0 ? -errno : 0;
	*have = (uint64_t)st->st_size;
	return 0;
}

static int size_disk(struct copro_sim_ans2 *m, int fd, const char *what,
		     uint64_t want)
{
	struct stat st;
	uint64_t have;
	int ret;

	if (fstat(fd, &st) < 0) {
		int err = -errno;

		copro_dev_err(&m->ld, "cannot stat the disk %s: %s", what,
			      copro_strerror(err));
		return err;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		copro_dev_err(&m->ld, "the disk %s is neither a regular file nor a block device",
			      what);
		return -EINVAL;
	}
	m->disk.block_device = S_ISBLK(st.st_mode);
	ret = disk_bytes(fd, &st, &have);
	if (ret < 0) {
		copro_dev_err(&m->ld, "cannot get the size of the disk %s: %s",
			      what, copro_strerror(ret));
		return ret;
	}
	if (!want)
		want = have ? have & ~(uint64_t)(ANS2_LBA_SIZE - 1)
			    : DEFAULT_SIZE;
	if (!want) {
		copro_dev_err(&m->ld,
			      "the disk %s holds %" PRIu64
			      " bytes, less than one %u-byte LBA",
			      what, have, ANS2_LBA_SIZE);
		return -EINVAL;
	}
	/* Grown sparse, and said; a larger file keeps its tail, unused. */
	if (have < want) {
		if (m->disk.block_device || m->disk.read_only) {
			copro_dev_err(&m->ld, "the disk %s holds %" PRIu64
				      " bytes; a %s cannot grow to %" PRIu64,
				      what, have, m->disk.block_device ?
				      "block device" : "read-only disk", want);
			return -EINVAL;
		}
		if (ftruncate(fd, (off_t)want) < 0) {
			int err = -errno;

			copro_dev_err(&m->ld, "cannot grow the disk %s to %" PRIu64
				      " bytes: %s", what, want, copro_strerror(err));
			return err;
		}
		if (have)
			copro_dev_info(&m->ld, "grew the disk %s from %" PRIu64
				       " to %" PRIu64 " bytes (sparse)", what,
				       have, want);
	}
	m->disk.size = want;
	return 0;
}

static const char *const map_writes_names[] = {
	[COPRO_SIM_ANS2_MAP_WRITES_MEASURED] = "measured",
	[COPRO_SIM_ANS2_MAP_WRITES_SECOND_TOUCH] = "second-touch",
	[COPRO_SIM_ANS2_MAP_WRITES_NEVER] = "never",
};

int copro_sim_ans2_map_writes_parse(const char *name,
				    enum copro_sim_ans2_map_writes *out)
{
	for (unsigned i = 0;
	     i < sizeof(map_writes_names) / sizeof(map_writes_names[0]); i++)
		if (!strcmp(name, map_writes_names[i])) {
			*out = (enum copro_sim_ans2_map_writes)i;
			return 0;
		}
	return -EINVAL;
}

int ans2_disk_open(struct copro_sim_ans2 *m,
		   const struct copro_sim_ans2_config *cfg)
{
	const char *what = cfg->disk_path ? cfg->disk_path : "(temporary)";
	int fd, ret;

	m->disk.fd = -1;
	if ((unsigned)cfg->map_writes > COPRO_SIM_ANS2_MAP_WRITES_NEVER) {
		copro_dev_err(&m->ld, "disk %s: no such map_writes policy %u",
			      what, (unsigned)cfg->map_writes);
		return -EINVAL;
	}
	if (cfg->size % ANS2_LBA_SIZE) {
		copro_dev_err(&m->ld,
			      "disk size %" PRIu64
			      " is not a multiple of the %u-byte LBA",
			      cfg->size, ANS2_LBA_SIZE);
		return -EINVAL;
	}
	m->disk.read_only = cfg->read_only;
	if (cfg->disk_path) {
		fd = cfg->read_only
			? open(cfg->disk_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
			: open(cfg->disk_path,
			       O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
		if (fd < 0) {
			ret = -errno;
			copro_dev_err(&m->ld, "cannot open the disk %s: %s",
				      cfg->disk_path, copro_strerror(ret));
			return ret;
		}
		/* Non-blocking only so a FIFO cannot hang the open. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	} else {
		fd = open_anonymous(m);
		if (fd < 0)
			return fd;
	}
	ret = size_disk(m, fd, what, cfg->size);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	m->disk.fd = fd;
	m->disk.slow_flush = cfg->slow_flush;
	ret = disk_map_init(&m->disk.map, cfg->unmapped ? -1 : fd, m->disk.size,
			    !cfg->read_only, cfg->map_writes);
	if (ret < 0)
		copro_dev_dbg(&m->ld, "disk %s not mapped (%s): all its data moves with read and write calls",
			      what, copro_strerror(ret));
	atomic_init(&m->disk.rng, 0x9e3779b9u ^ (uint32_t)m->phys);
	copro_dev_dbg(&m->ld, "disk %s: %" PRIu64 " bytes, %" PRIu64 " LBAs",
		      what, m->disk.size, m->disk.size >> ANS2_LBA_SHIFT);
	return 0;
}

void ans2_disk_close(struct copro_sim_ans2 *m)
{
	struct disk_map *dm = &m->disk.map;

	if (disk_map_on(dm) && disk_map_cost_ns(dm, DISK_MAP_CALL))
		copro_dev_dbg(&m->ld, "disk: a page written costs %" PRIu64
			      " ns by call, %" PRIu64 " through the mapping taking it in, %"
			      PRIu64 " once in; pages written twice went %s of late",
			      disk_map_cost_ns(dm, DISK_MAP_CALL),
			      disk_map_cost_ns(dm, DISK_MAP_FAULT),
			      disk_map_cost_ns(dm, DISK_MAP_HIT),
			      disk_map_takes_writes(dm) ? "in" : "by call");
	/* The map is made right after the fd, and nothing fails between. */
	if (m->disk.fd >= 0) {
		disk_map_fini(&m->disk.map);
		close(m->disk.fd);
	}
	m->disk.fd = -1;
}

/* Consume n bytes from the front of an iovec array. */
static void iov_advance(struct iovec **iov, unsigned *niov, size_t n)
{
	while (n && *niov) {
		if (n < (*iov)->iov_len) {
			(*iov)->iov_base = (char *)(*iov)->iov_base + n;
			(*iov)->iov_len -= n;
			return;
		}
		n -= (*iov)->iov_len;
		(*iov)++;
		(*niov)--;
	}
}

/*
 * One segment may go through the mapping (1). If that faults, the
 * mapping is off from now on, which is said once, and the call goes
 * ahead: it returns what went wrong, or zeroes past a shrunk file's end.
 */
static int try_map(struct copro_sim_ans2 *m, struct iovec *iov, uint64_t off,
		   size_t len, bool write, uint64_t *call_t0)
{
	int ret = write ? disk_map_write(&m->disk.map, iov->iov_base, off, len,
					 call_t0)
			: disk_map_read(&m->disk.map, iov->iov_base, off, len);

	if (ret == -EFAULT)
		copro_dev_warn(&m->ld, "disk: a %s of %zu bytes at %" PRIu64
			       " through its mapping faulted (the file shrank, its filesystem is full, or a read of it failed); data moves with read and write calls from now on",
			       write ? "write" : "read", len, off);
	return ret;
}

/*
 * Short transfers are retried; reading past the end of a file that
 * shrank behind the model's back returns zeros, as unwritten LBAs do.
 * The iovecs are the caller's scratch and are consumed.
 */
static int rw_all(struct copro_sim_ans2 *m, struct iovec *iov, unsigned niov,
		  uint64_t off, size_t len, bool write)
{
	uint64_t call_t0 = 0;
	size_t all = len;

	if (niov == 1 && iov->iov_len == len &&
	    try_map(m, iov, off, len, write, &call_t0) > 0)
		return 1;
	while (len) {
		int cnt = niov > IOV_MAX ? IOV_MAX : (int)niov;
		ssize_t n;

		/*
		 * One segment (a one-page transfer) takes the plain call: the
		 * kernel's vector path copies the iovec in and costs more
		 * (perf, copro bench nbd 4 KiB writes: pwritev64 and
		 * vfs_writev 0.15 us a write above pwrite's).
		 */
		if (cnt == 1)
			n = write ? pwrite(m->disk.fd, iov->iov_base, iov->iov_len,
					   (off_t)off)
				  : pread(m->disk.fd, iov->iov_base, iov->iov_len,
					  (off_t)off);
		else
			n = write ? pwritev(m->disk.fd, iov, cnt, (off_t)off)
				  : preadv(m->disk.fd, iov, cnt, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			if (write)
				return -EIO;
			for (unsigned i = 0; i < niov; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		iov_advance(&iov, &niov, (size_t)n);
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	/* What the mapping weighs its copies against (disk_map.h). */
	if (call_t0)
		disk_map_call_timed(&m->disk.map, call_t0, all);
	return 0;
}

int ans2_disk_read(struct copro_sim_ans2 *m, struct iovec *iov,
		   unsigned niov, uint64_t off, size_t len)
{
	int ret = rw_all(m, iov, niov, off, len, false);

	if (ret < 0)
		copro_dev_err(&m->ld, "read of %zu bytes at %" PRIu64
			      " failed: %s", len, off, copro_strerror(ret));
	return ret;
}

int ans2_disk_write(struct copro_sim_ans2 *m, struct iovec *iov,
		    unsigned niov, uint64_t off, size_t len)
{
	int ret;

	disk_map_lock(&m->disk.map, off, len);
	ret = rw_all(m, iov, niov, off, len, true);
	disk_map_unlock(&m->disk.map, off, len);

	if (ret < 0)
		copro_dev_err(&m->ld, "write of %zu bytes at %" PRIu64
			      " failed: %s", len, off, copro_strerror(ret));
	return ret;
}

static uint64_t flush_jitter(struct ans2_disk *d)
{
	uint32_t x = atomic_load_explicit(&d->rng, memory_order_relaxed);

	/* xorshift32; a lost update between workers only repeats a value. */
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	atomic_store_explicit(&d->rng, x, memory_order_relaxed);
	return x % SLOW_FLUSH_JITTER_NS;
}

int ans2_disk_sync(struct copro_sim_ans2 *m, bool flush_cmd)
{
	uint64_t start = copro_time_ns(), target, now;
	int ret = 0;

	if (ans2_fault_take(m, COPRO_SIM_ANS2_FAULT_FLUSH)) {
		copro_dev_warn(&m->ld, "flush: injected fdatasync failure");
		ret = -EIO;
	} else if (fdatasync(m->disk.fd) < 0) {
		ret = -errno;
		copro_dev_err(&m->ld, "fdatasync of the disk failed: %s",
			      copro_strerror(ret));
	} else {
		/* Written back, the pages are write-protected in the map. */
		disk_map_synced(&m->disk.map);
	}
	ans2_count(&m->st.fdatasyncs, 1);
	if (!flush_cmd || !m->disk.slow_flush)
		return ret;
	target = start + SLOW_FLUSH_NS + flush_jitter(&m->disk);
	now = copro_time_ns();
	if (now < target)
		copro_sleep_ns(target - now);
	return ret;
}

/* ---- deallocate and zero --------------------------------------------- */

static const uint8_t zero_page[NVME_PAGE_SIZE];

/* The slow way: zeroes written over the range. */
static int write_zeroes(struct copro_sim_ans2 *m, uint64_t off, uint64_t len)
{
	struct iovec iov[64];

	for (unsigned i = 0; i < 64; i++)
		iov[i] = (struct iovec){ (void *)zero_page, sizeof(zero_page) };
	while (len) {
		uint64_t n = len < sizeof(iov) / sizeof(iov[0]) * NVME_PAGE_SIZE
				     ? len : sizeof(iov) / sizeof(iov[0]) * NVME_PAGE_SIZE;
		ssize_t w = pwritev(m->disk.fd, iov, (int)(n / NVME_PAGE_SIZE),
				    (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		/* Whole pages only: a short write resumes at a page boundary. */
		w &= ~(ssize_t)(NVME_PAGE_SIZE - 1);
		if (!w)
			return -EIO;
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

static bool unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOSYS || err == EINVAL;
}

static int zero_range(struct copro_sim_ans2 *m, uint64_t off, uint64_t len)
{
	int ret = 0;

	if (fallocate(m->disk.fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0)
		return 0;
	if (!unsupported(errno))
		ret = -errno;
	/* tmpfs and others: a hole, then the blocks allocated again. */
	else if (!m->disk.block_device &&
		 fallocate(m->disk.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   (off_t)off, (off_t)len) == 0 &&
		 fallocate(m->disk.fd, FALLOC_FL_KEEP_SIZE, (off_t)off,
			   (off_t)len) == 0)
		return 0;
	else
		ret = write_zeroes(m, off, len);
	if (ret < 0)
		copro_dev_err(&m->ld, "zeroing %" PRIu64 " bytes at %" PRIu64
			      " failed: %s", len, off, copro_strerror(ret));
	return ret;
}

static int deallocate_range(struct copro_sim_ans2 *m, uint64_t off,
			    uint64_t len)
{
	/* On a block device this discards, and the kernel zeroes if it must. */
	if (fallocate(m->disk.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0)
		return 0;
	if (!unsupported(errno)) {
		int ret = -errno;

		copro_dev_err(&m->ld, "deallocating %" PRIu64 " bytes at %" PRIu64
			      " failed: %s", len, off, copro_strerror(ret));
		return ret;
	}
	/* No holes here: deallocated LBAs must still read as zeroes. */
	return zero_range(m, off, len);
}

/*
 * Under the range's stripes, as a write is; the punched or zeroed pages
 * leave the mapping, so their bits go.
 */
static int drop_range(struct copro_sim_ans2 *m, uint64_t off, uint64_t len,
		      int (*how)(struct copro_sim_ans2 *, uint64_t, uint64_t))
{
	int ret;

	disk_map_lock(&m->disk.map, off, len);
	ret = how(m, off, len);
	disk_map_dropped(&m->disk.map, off, len);
	disk_map_unlock(&m->disk.map, off, len);
	return ret;
}

int ans2_disk_zero(struct copro_sim_ans2 *m, uint64_t off, uint64_t len)
{
	return drop_range(m, off, len, zero_range);
}

int ans2_disk_deallocate(struct copro_sim_ans2 *m, uint64_t off, uint64_t len)
{
	return drop_range(m, off, len, deallocate_range);
}
