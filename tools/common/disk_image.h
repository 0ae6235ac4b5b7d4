/* SPDX-License-Identifier: MIT */
/*
 * The disk image behind `copro serve` and the nbdkit plugin, opened so
 * that no mistake loses data:
 *  - only a regular file or a block device (a FIFO, socket, character
 *    device or directory is refused by name, and never read);
 *  - an OFD lock for as long as it is served, exclusive for read-write
 *    and shared for read-only, as qemu takes on its images: a second
 *    server on the same file is refused, naming the holder's PID where
 *    /proc/locks tells it;
 *  - qcow2, VMDK, VDI, VHD(X), QED, LUKS, Parallels, DMG and Bochs
 *    images are recognised by their magic and refused with the
 *    `qemu-img convert` command that makes a raw disk of them;
 *  - a file is grown only to an explicit larger size (the caller says
 *    so), a smaller size is an error, a block device has its own size.
 * Messages go into the caller's buffer, stated once, naming the file.
 */
#ifndef COPRO_DISK_IMAGE_H
#define COPRO_DISK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct disk_image_opts {
	bool read_only;
	bool create;		/* a missing file is created (read-write only) */
	uint64_t size;		/* 0: the file's (or default_size when new) */
	uint64_t default_size;	/* a new file without size */
	uint32_t align;		/* sizes must be multiples (the LBA size) */
	bool raw;		/* serve as raw even if it looks like an image */
};

struct disk_image {
	int fd;			/* holds the lock; -1 when closed */
	bool block_device;
	bool created;
	uint64_t size;		/* bytes served */
	uint64_t old_size;	/* before growing (== size if not grown) */
};

#define DISK_IMAGE_ERR 512

/* 0, or a negative errno with the reason in err. */
int disk_image_open(const char *path, const struct disk_image_opts *o,
		    struct disk_image *out, char *err, size_t errlen);
/* Releases the lock. Idempotent. */
void disk_image_close(struct disk_image *d);

/*
 * The format a file's first bytes (head) or last 512 bytes (tail, NULL
 * if unknown) belong to, or NULL for none known: what qemu-img calls it.
 */
const char *disk_image_format(const uint8_t *head, size_t head_len,
			      const uint8_t *tail, size_t tail_len);

/*
 * What kind of file st describes, when it is not one we read data from:
 * "a directory", "a FIFO (named pipe)", ...; NULL for regular files and
 * (if block_ok) block devices.
 */
struct stat;
const char *disk_image_bad_type(const struct stat *st, bool block_ok);

/*
 * Who holds a conflicting lock on the file open at fd: "process 1234
 * (nbdkit)", or "another process" when the system does not say.
 */
void disk_image_lock_holder(int fd, char *buf, size_t len);

#endif
