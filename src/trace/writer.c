// SPDX-License-Identifier: MIT
/*
 * The trace file and the per-thread buffers that feed it. Recording an
 * event is a lookup of the thread's buffer (a thread-specific key of
 * this tracer, so two tracers in one process keep apart), an uncontended
 * lock and a copy; a full buffer becomes one checksummed chunk written
 * under the file lock. A thread that exits hands its last events to the
 * file on its way out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <copro/error.h>

#include "trace/trace_internal.h"

#define TRACE_BUF_DEFAULT (64u * 1024u)
/* Small buffers only make sense in tests; never below one event. */
#define TRACE_BUF_MIN 1024u

/* ---- the file ---------------------------------------------------------- */

/* All of iov, or the error (partial writes are continued). */
static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Under file_lock. The first error is kept and reported once. */
static int file_write(struct copro_trace *t, struct iovec *iov, int n)
{
	int rc;

	if (t->err)
		return t->err;
	rc = write_all(t->fd, iov, n);
	if (rc) {
		t->err = rc;
		copro_dev_err(&t->ld, "cannot write the trace: %s; later events are lost",
			      copro_strerror(rc));
	}
	return rc;
}

int trace_write_record(struct copro_trace *t, uint32_t type,
		       const unsigned char *payload, size_t len)
{
	unsigned char hdr[TRF_REC_HDR];
	struct iovec iov[2] = {
		{ hdr, sizeof(hdr) },
		{ (void *)payload, len },
	};
	int rc;

	trf_put32(hdr, type);
	trf_put32(hdr + 4, (uint32_t)len);
	copro_mutex_lock(&t->file_lock);
	rc = file_write(t, iov, len ? 2 : 1);
	copro_mutex_unlock(&t->file_lock);
	return rc;
}

/* Under b->lock: the buffer's events as one chunk; the buffer empties. */
static void buf_flush(struct copro_trace *t, struct trace_buf *b)
{
	unsigned char hdr[TRF_REC_HDR + TRF_CHUNK_HDR];
	unsigned char *c = hdr + TRF_REC_HDR;
	struct iovec iov[2] = {
		{ hdr, sizeof(hdr) },
		{ b->data, b->used },
	};

	if (!b->nevents)
		return;
	trf_put32(hdr, TRF_CHUNK);
	trf_put32(hdr + 4, (uint32_t)(TRF_CHUNK_HDR + b->used));
	trf_put32(c, b->tid);
	memcpy(c + 4, b->name, TRF_THREAD_NAME);
	trf_put32(c + 4 + TRF_THREAD_NAME, b->nevents);
	trf_put32(c + 8 + TRF_THREAD_NAME,
		  (uint32_t)crc32(0L, b->data, (uInt)b->used));
	copro_mutex_lock(&t->file_lock);
	if (!file_write(t, iov, 2)) {
		t->nchunks++;
		t->nevents += b->nevents;
	}
	copro_mutex_unlock(&t->file_lock);
	b->used = 0;
	b->nevents = 0;
	b->last_read = NO_READ;
}

/* ---- per-thread buffers ----------------------------------------------- */

static void buf_unlink(struct copro_trace *t, struct trace_buf *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		t->bufs = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

/* The key's destructor: the thread is exiting with events to hand over. */
static void buf_thread_exit(void *arg)
{
	struct trace_buf *b = arg;
	struct copro_trace *t = b->t;

	copro_mutex_lock(&t->list_lock);
	buf_unlink(t, b);
	copro_mutex_lock(&b->lock);
	buf_flush(t, b);
	copro_mutex_unlock(&b->lock);
	copro_mutex_unlock(&t->list_lock);
	copro_mutex_destroy(&b->lock);
	free(b);
}

static struct trace_buf *buf_new(struct copro_trace *t)
{
	struct trace_buf *b = calloc(1, sizeof(*b) + t->buf_size);

	if (!b)
		return NULL;
	if (copro_mutex_init(&b->lock)) {
		free(b);
		return NULL;
	}
	b->t = t;
	b->last_read = NO_READ;
	b->tid = (uint32_t)gettid();
	if (pthread_getname_np(pthread_self(), b->name, sizeof(b->name)))
		snprintf(b->name, sizeof(b->name), "thread %u", b->tid);
	copro_mutex_lock(&t->list_lock);
	b->next = t->bufs;
	if (t->bufs)
		t->bufs->prev = b;
	t->bufs = b;
	copro_mutex_unlock(&t->list_lock);
	if (pthread_setspecific(t->key, b)) {
		copro_mutex_lock(&t->list_lock);
		buf_unlink(t, b);
		copro_mutex_unlock(&t->list_lock);
		copro_mutex_destroy(&b->lock);
		free(b);
		return NULL;
	}
	return b;
}

static struct trace_buf *this_buf(struct copro_trace *t)
{
	struct trace_buf *b = pthread_getspecific(t->key);

	if (__builtin_expect(!b, 0)) {
		b = buf_new(t);
		if (!b)
			copro_dev_err(&t->ld, "out of memory for a thread's trace buffer: event lost");
	}
	return b;
}

/* Under b->lock. */
static void append(struct copro_trace *t, struct trace_buf *b,
		   const unsigned char *ev, size_t len)
{
	if (__builtin_expect(t->buf_size - b->used < len, 0))
		buf_flush(t, b);
	memcpy(b->data + b->used, ev, len);
	b->used += len;
	b->nevents++;
}

void trace_put(struct copro_trace *t, const unsigned char *ev, size_t len)
{
	struct trace_buf *b = this_buf(t);

	if (!b)
		return;
	copro_mutex_lock(&b->lock);
	append(t, b, ev, len);
	b->last_read = NO_READ;
	copro_mutex_unlock(&b->lock);
}

/* Offsets in an MMIO event: flags, then region, repeats, offset, value. */
#define RD_FLAGS 1
#define RD_REGION TRF_EV_HDR
#define RD_REPEAT (TRF_EV_HDR + 4)
#define RD_REST (TRF_EV_HDR + 8)

void trace_put_read(struct copro_trace *t, const unsigned char *ev)
{
	struct trace_buf *b = this_buf(t);
	unsigned char *last;

	if (!b)
		return;
	copro_mutex_lock(&b->lock);
	if (b->last_read != NO_READ) {
		last = b->data + b->last_read;
		if (last[RD_FLAGS] == ev[RD_FLAGS] &&
		    !memcmp(last + RD_REGION, ev + RD_REGION, 4) &&
		    !memcmp(last + RD_REST, ev + RD_REST, 16) &&
		    trf_get32(last + RD_REPEAT) < UINT32_MAX) {
			trf_put32(last + RD_REPEAT, trf_get32(last + RD_REPEAT) + 1);
			copro_mutex_unlock(&b->lock);
			return;
		}
	}
	append(t, b, ev, TRF_EV_HDR + TRF_EV_MMIO);
	b->last_read = b->used - (TRF_EV_HDR + TRF_EV_MMIO);
	copro_mutex_unlock(&b->lock);
}

size_t trace_put_str(unsigned char *p, const char *s)
{
	size_t n = s ? strnlen(s, TRF_NAME_MAX) : 0;

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return n + 1;
}

/* ---- lifetime ---------------------------------------------------------- */

static int write_header(struct copro_trace *t, const struct copro_dt *dt)
{
	unsigned char hdr[TRF_HEADER_SIZE] = { 0 };
	unsigned char info[2 * 256];
	struct timespec now;
	struct iovec iov = { hdr, sizeof(hdr) };
	size_t n;
	int rc;

	clock_gettime(CLOCK_REALTIME, &now);
	memcpy(hdr, TRF_MAGIC, TRF_MAGIC_LEN);
	trf_put16(hdr + 8, COPRO_TRACE_VERSION);
	trf_put16(hdr + 10, TRF_HEADER_SIZE);
	trf_put32(hdr + 12, (uint32_t)getpid());
	trf_put64(hdr + 16, (uint64_t)now.tv_sec * COPRO_NSEC_PER_SEC +
				    (uint64_t)now.tv_nsec);
	copro_mutex_lock(&t->file_lock);
	rc = file_write(t, &iov, 1);
	copro_mutex_unlock(&t->file_lock);
	if (rc)
		return rc;
	n = trace_put_str(info, dt ? copro_dt_name(dt) : "");
	n += trace_put_str(info + n, t->ops->name ? t->ops->name : "");
	return trace_write_record(t, TRF_INFO, info, n);
}

int copro_trace_create(const struct copro_trace_config *cfg,
		       struct copro_trace **out)
{
	struct copro_trace *t;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->ops || !cfg->path)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ops = cfg->ops;
	t->be = cfg->backend;
	t->buf_size = cfg->buffer_size ? cfg->buffer_size : TRACE_BUF_DEFAULT;
	if (t->buf_size < TRACE_BUF_MIN)
		t->buf_size = TRACE_BUF_MIN;
	if (t->buf_size > TRF_REC_MAX - TRF_CHUNK_HDR)
		t->buf_size = TRF_REC_MAX - TRF_CHUNK_HDR;
	copro_logdev_init(&t->ld, cfg->log, "trace %s", cfg->path);
	atomic_init(&t->next_region, 0);
	atomic_init(&t->next_irq, 0);
	atomic_init(&t->outer_set, false);

	rc = copro_mutex_init(&t->list_lock);
	if (rc)
		goto err_free;
	rc = copro_mutex_init(&t->file_lock);
	if (rc)
		goto err_list;
	rc = -pthread_key_create(&t->key, buf_thread_exit);
	if (rc)
		goto err_file;
	t->fd = open(cfg->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (t->fd < 0) {
		rc = -errno;
		copro_dev_err(&t->ld, "cannot create the trace file: %s",
			      copro_strerror(rc));
		goto err_key;
	}
	t->t0 = copro_time_ns();
	rc = write_header(t, cfg->dt);
	if (!rc && cfg->dt)
		rc = trace_board_write(t, cfg->dt);
	if (rc)
		goto err_fd;
	trace_observe_inner(t, true);
	*out = t;
	return 0;

err_fd:
	trace_board_free(t);
	close(t->fd);
	unlink(cfg->path);
err_key:
	pthread_key_delete(t->key);
err_file:
	copro_mutex_destroy(&t->file_lock);
err_list:
	copro_mutex_destroy(&t->list_lock);
err_free:
	free(t);
	return rc;
}

int copro_trace_flush(struct copro_trace *t)
{
	int rc;

	copro_mutex_lock(&t->list_lock);
	for (struct trace_buf *b = t->bufs; b; b = b->next) {
		copro_mutex_lock(&b->lock);
		buf_flush(t, b);
		copro_mutex_unlock(&b->lock);
	}
	copro_mutex_unlock(&t->list_lock);
	copro_mutex_lock(&t->file_lock);
	rc = t->err;
	copro_mutex_unlock(&t->file_lock);
	return rc;
}

uint64_t copro_trace_events(struct copro_trace *t)
{
	uint64_t n = 0;

	copro_mutex_lock(&t->list_lock);
	for (struct trace_buf *b = t->bufs; b; b = b->next) {
		copro_mutex_lock(&b->lock);
		n += b->nevents;
		copro_mutex_unlock(&b->lock);
	}
	copro_mutex_lock(&t->file_lock);
	n += t->nevents;
	copro_mutex_unlock(&t->file_lock);
	copro_mutex_unlock(&t->list_lock);
	return n;
}

int copro_trace_destroy(struct copro_trace *t)
{
	unsigned char end[TRF_END_SIZE];
	int rc;

	if (!t)
		return 0;
	trace_observe_inner(t, false);
	/* No thread's exit may touch the buffers from here on. */
	pthread_key_delete(t->key);
	copro_trace_flush(t);
	trf_put64(end, t->nevents);
	trf_put64(end + 8, t->nchunks);
	trace_write_record(t, TRF_END, end, sizeof(end));
	rc = t->err;
	if (close(t->fd) < 0 && !rc) {
		rc = -errno;
		copro_dev_err(&t->ld, "cannot close the trace: %s",
			      copro_strerror(rc));
	}
	while (t->bufs) {
		struct trace_buf *b = t->bufs;

		t->bufs = b->next;
		copro_mutex_destroy(&b->lock);
		free(b);
	}
	trace_board_free(t);
	copro_mutex_destroy(&t->file_lock);
	copro_mutex_destroy(&t->list_lock);
	free(t);
	return rc;
}
