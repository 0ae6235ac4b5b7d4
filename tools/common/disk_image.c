/* SPDX-License-Identifier: MIT */
/* Opening a disk image to serve it (see disk_image.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli_size.h"
#include "disk_image.h"

#define PROBE_LEN 512u

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

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static bool starts(const uint8_t *p, size_t len, const char *magic, size_t n)
{
	return len >= n && !memcmp(p, magic, n);
}

const char *disk_image_format(const uint8_t *h, size_t hl, const uint8_t *t,
			      size_t tl)
{
	if (starts(h, hl, "QFI\xfb", 4))
		return hl >= 8 && be32(h + 4) == 1 ? "qcow" : "qcow2";
	if (starts(h, hl, "QED\0", 4))
		return "qed";
	if (starts(h, hl, "KDMV", 4) || starts(h, hl, "COWD", 4) ||
	    starts(h, hl, "# Disk DescriptorFile", 21))
		return "vmdk";
	if (hl >= 0x44 && le32(h + 0x40) == 0xbeda107fu)
		return "vdi";
	if (starts(h, hl, "vhdxfile", 8))
		return "vhdx";
	if (starts(h, hl, "conectix", 8))
		return "vpc";
	if (starts(h, hl, "LUKS\xba\xbe", 6))
		return "luks";
	if (starts(h, hl, "WithoutFreeSpace", 16) ||
	    starts(h, hl, "WithouFreSpacExt", 16))
		return "parallels";
	if (starts(h, hl, "Bochs Virtual HD Image", 22))
		return "bochs";
	/* Fixed VHDs and DMGs say what they are in their last 512 bytes. */
	if (t && tl == 512 && starts(t, tl, "conectix", 8))
		return "vpc";
	if (t && tl == 512 && starts(t, tl, "koly", 4))
		return "dmg";
	return NULL;
}

const char *disk_image_bad_type(const struct stat *st, bool block_ok)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFREG: return NULL;
	case S_IFBLK: return block_ok ? NULL : "a block device";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO (named pipe)";
	case S_IFCHR: return "a character device";
	case S_IFSOCK: return "a socket";
	default: return "not a regular file";
	}
}

/*
 * OFD locks belong to open files, not processes, so /proc/locks may show
 * their PID as -1; every file descriptor's fdinfo lists the locks on its
 * open file ("lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:1234 0 EOF"), so
 * the process holding one is found there.
 */
static long holder_from_fdinfo(const char *want)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	long pid = -1, self = (long)getpid();

	if (!proc)
		return -1;
	while (pid < 0 && (p = readdir(proc))) {
		char path[300];
		long cand = strtol(p->d_name, NULL, 10);

		if (cand <= 0 || cand == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fdinfo", cand);
		DIR *fds = opendir(path);
		struct dirent *f;

		if (!fds)
			continue;
		while (pid < 0 && (f = readdir(fds))) {
			char fp[600], line[256];
			FILE *in;

			if (f->d_name[0] < '0' || f->d_name[0] > '9')
				continue;
			snprintf(fp, sizeof(fp), "%s/%s", path, f->d_name);
			in = fopen(fp, "re");
			if (!in)
				continue;
			while (fgets(line, sizeof(line), in))
				if (!strncmp(line, "lock:", 5) && strstr(line, want)) {
					pid = cand;
					break;
				}
			fclose(in);
		}
		closedir(fds);
	}
	closedir(proc);
	return pid;
}

/* /proc/locks: "1: OFDLCK ADVISORY  WRITE 1234 fd:01:5678 0 EOF". */
void disk_image_lock_holder(int fd, char *buf, size_t len)
{
	struct stat st;
	char line[256], want[64];
	long pid = -1;
	FILE *f;

	snprintf(buf, len, "another process");
	if (fstat(fd, &st) < 0)
		return;
	snprintf(want, sizeof(want), "%02x:%02x:%llu", major(st.st_dev),
		 minor(st.st_dev), (unsigned long long)st.st_ino);
	f = fopen("/proc/locks", "re");
	if (!f)
		return;
	while (pid < 0 && fgets(line, sizeof(line), f)) {
		char kind[16], mode[16], dev[64];
		long p;

		/* A "->" line is a waiter, not a holder: sscanf skips it. */
		if (sscanf(line, "%*d: %15s %*s %15s %ld %63s", kind, mode, &p,
			   dev) == 4 && !strcmp(dev, want) && p > 0)
			pid = p;
	}
	fclose(f);
	if (pid < 0) {
		/* Matched with a space after, so 1234 does not match 12345. */
		size_t n = strlen(want);

		if (n + 1 < sizeof(want)) {
			want[n] = ' ';
			want[n + 1] = '\0';
		}
		pid = holder_from_fdinfo(want);
	}
	if (pid < 0)
		return;

	char path[64], comm[64] = "";
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	if (comm[0])
		snprintf(buf, len, "process %ld (%s)", pid, comm);
	else
		snprintf(buf, len, "process %ld", pid);
}

static int lock_image(int fd, bool shared, const char *path, char *err,
		      size_t len)
{
	struct flock fl = {
		.l_type = shared ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
	};
	char holder[128];

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno != EAGAIN && errno != EACCES)
		return fail(err, len, -errno, "cannot lock disk %s: %s", path,
			    strerror(errno));
	disk_image_lock_holder(fd, holder, sizeof(holder));
	return fail(err, len, -EBUSY,
		    "disk %s is in use: %s holds a lock on it (%s)", path,
		    holder,
		    shared ? "it is open for writing"
			   : "another server or qemu has it open");
}

/* Reads what disk_image_format looks at; short files give short reads. */
static int probe_format(int fd, uint64_t size, const char *path, char *err,
			size_t len)
{
	uint8_t head[PROBE_LEN], tail[512];
	ssize_t hn = pread(fd, head, sizeof(head), 0), tn = 0;
	const char *fmt;

	if (hn < 0)
		return fail(err, len, -errno, "cannot read disk %s: %s", path,
			    strerror(errno));
	if (size >= 1024) {
		tn = pread(fd, tail, sizeof(tail), (off_t)(size - 512));
		if (tn < 0)
			return fail(err, len, -errno, "cannot read disk %s: %s",
				    path, strerror(errno));
	}
	fmt = disk_image_format(head, (size_t)hn, tn == 512 ? tail : NULL,
				(size_t)tn);
	if (!fmt)
		return 0;
	return fail(err, len, -EMEDIUMTYPE,
		    "disk %s is a %s image, not a raw disk: serving it would "
		    "show clients its %s metadata and let them overwrite it; "
		    "convert it with 'qemu-img convert -O raw %s %s.raw' and "
		    "serve that (or, if it really holds raw data, give --raw)",
		    path, fmt, fmt, path, path);
}

static int device_size(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISBLK(st->st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	*size = (uint64_t)st->st_size;
	return 0;
}

static int open_image(const char *path, const struct disk_image_opts *o,
		      bool *created, char *err, size_t len)
{
	int flags = (o->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		    O_NOCTTY | O_NONBLOCK;
	int fd = open(path, flags);

	*created = false;
	if (fd < 0 && errno == ENOENT && o->create && !o->read_only) {
		fd = open(path, flags | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			return fail(err, len, -errno, "cannot create disk %s: %s",
				    path, strerror(errno));
		*created = true;
	}
	if (fd >= 0)
		return fd;
	if (errno == EISDIR)
		return fail(err, len, -EISDIR, "disk %s is a directory", path);
	return fail(err, len, -errno, "cannot open disk %s for %s: %s", path,
		    o->read_only ? "reading" : "reading and writing",
		    strerror(errno));
}

/* The size to serve, growing a regular file when asked to. */
static int settle_size(struct disk_image *d, const struct disk_image_opts *o,
		       const char *path, uint64_t have, char *err, size_t len)
{
	char a[CLI_SIZE_BUF], b[CLI_SIZE_BUF];
	uint64_t want = o->size;

	d->old_size = have;
	if (d->created)
		want = want ? want : o->default_size;
	if (!want) {
		if (!have)
			return fail(err, len, -EINVAL,
				    "disk %s is empty: give its size with --size",
				    path);
		if (o->align && have % o->align)
			return fail(err, len, -EINVAL,
				    "disk %s is %" PRIu64 " bytes, not a multiple of "
				    "%" PRIu32 ": give a size with --size",
				    path, have, o->align);
		d->size = have;
		return 0;
	}
	if (o->align && want % o->align)
		return fail(err, len, -EINVAL, "size %" PRIu64 " of disk %s is "
			    "not a multiple of %" PRIu32, want, path, o->align);
	cli_format_size(have, a, sizeof(a));
	cli_format_size(want, b, sizeof(b));
	if (want < have && !d->created)
		return fail(err, len, -EINVAL,
			    "disk %s holds %s (%" PRIu64 " bytes); a size of %s "
			    "would hide its end: leave --size out to serve all of it",
			    path, a, have, b);
	if (want > have && d->block_device)
		return fail(err, len, -EINVAL,
			    "disk %s is a block device of %s; it cannot grow to %s",
			    path, a, b);
	if (want > have && o->read_only)
		return fail(err, len, -EINVAL,
			    "disk %s holds %s; it cannot grow to %s read-only",
			    path, a, b);
	if (want > have && ftruncate(d->fd, (off_t)want) < 0)
		return fail(err, len, -errno, "cannot grow disk %s from %s to %s: %s",
			    path, a, b, strerror(errno));
	d->size = want;
	return 0;
}

int disk_image_open(const char *path, const struct disk_image_opts *o,
		    struct disk_image *out, char *err, size_t len)
{
	struct disk_image d = { .fd = -1 };
	const char *bad;
	struct stat st;
	uint64_t have;
	int ret;

	*out = (struct disk_image){ .fd = -1 };
	d.fd = open_image(path, o, &d.created, err, len);
	if (d.fd < 0)
		return d.fd;
	if (fstat(d.fd, &st) < 0) {
		ret = fail(err, len, -errno, "cannot stat disk %s: %s", path,
			   strerror(errno));
		goto out;
	}
	bad = disk_image_bad_type(&st, true);
	if (bad) {
		ret = fail(err, len, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL,
			   "disk %s is %s, not a disk image (a regular file or "
			   "a block device)", path, bad);
		goto out;
	}
	/* O_NONBLOCK only kept a FIFO from blocking the open. */
	fcntl(d.fd, F_SETFL, fcntl(d.fd, F_GETFL) & ~O_NONBLOCK);
	d.block_device = S_ISBLK(st.st_mode);
	ret = lock_image(d.fd, o->read_only, path, err, len);
	if (ret < 0)
		goto out;
	ret = device_size(d.fd, &st, &have);
	if (ret < 0) {
		fail(err, len, ret, "cannot get the size of disk %s: %s", path,
		     strerror(-ret));
		goto out;
	}
	if (!d.created && !o->raw) {
		ret = probe_format(d.fd, have, path, err, len);
		if (ret < 0)
			goto out;
	}
	ret = settle_size(&d, o, path, have, err, len);
	if (ret < 0)
		goto out;
	*out = d;
	return 0;

out:
	close(d.fd);
	if (d.created)
		unlink(path);
	return ret;
}

void disk_image_close(struct disk_image *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
