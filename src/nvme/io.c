/* SPDX-License-Identifier: MIT */
/*
 * The I/O API: request checks, tags, zero-copy or bounce data, the read,
 * write and flush commands, and the blocking wrappers. Nothing here
 * allocates: tags, bounce chunks and PRP list pages are all preallocated.
 */
#include <errno.h>
#include <string.h>

#include <copro/error.h>

#include "nvme/nvme_internal.h"

/* Reaps after a doorbell, at most (see copro_nvme_submit). */
#define POLL_ROUNDS 64u
/* Slices of a wait whose real bound is the driver's own timeout handling. */
#define WAIT_SLICE_NS (100 * COPRO_NSEC_PER_MSEC)

static void wait_a_little(struct copro_nvme *nvme, struct copro_event *ev,
			  uint32_t key, uint64_t deadline)
{
	int64_t left = copro_deadline_left(deadline);

	if (nvme->polled) {
		/* No threads: make the progress we are waiting for ourselves. */
		copro_nvme_poll(nvme);
		copro_cpu_relax();
		return;
	}
	if (left < 0 || left > WAIT_SLICE_NS)
		left = WAIT_SLICE_NS;
	copro_event_wait(ev, key, left, COPRO_SPIN_DEFAULT_NS);
}

/*
 * A submission's deadline for getting a tag and bounce memory, read from
 * the clock only if it has to wait (*at 0: not read yet): a clock read
 * costs about as much as the rest of a submission's bookkeeping.
 */
static uint64_t submit_deadline(struct copro_nvme *nvme, uint64_t *at)
{
	if (!*at)
		*at = copro_deadline(copro_nvme_timeout(nvme));
	return *at;
}

/* Refusals that do not depend on the request. */
static int submit_state_errno(struct copro_nvme *nvme)
{
	switch (nvme_state(nvme)) {
	case NVME_DEAD:
		return -ECONNRESET;
	case NVME_FAILED:
		return nvme->fail_status ? nvme->fail_status : -EIO;
	case NVME_QUIESCING:
	case NVME_SUSPENDED:
	case NVME_REMOVED:
		return -ESHUTDOWN;
	default:
		return 0;
	}
}

static int get_tag(struct copro_nvme *nvme, uint64_t *deadline)
{
	for (;;) {
		uint32_t key = copro_event_prepare(&nvme->tag_ev);
		int tag = copro_nvme_tag_get(nvme), rc;

		if (tag >= 0)
			return tag;
		rc = submit_state_errno(nvme);
		if (rc)
			return rc;
		if (!copro_deadline_left(submit_deadline(nvme, deadline))) {
			copro_dev_err(&nvme->ld,
				      "no I/O tag came free within %lld ms (all %u taken)",
				      (long long)(copro_nvme_timeout(nvme) /
						  COPRO_NSEC_PER_MSEC),
				      nvme->hw->ntags - nvme->io_tag0);
			return -ETIMEDOUT;
		}
		wait_a_little(nvme, &nvme->tag_ev, key, *deadline);
	}
}

/* ---- bounce chunks ---------------------------------------------------- */

static void *chunk_cpu(struct copro_nvme *nvme, unsigned c)
{
	return (char *)nvme->chunks.cpu + (size_t)c * NVME_CHUNK_SIZE;
}

static int chunks_get(struct copro_nvme *nvme, struct nvme_tag *t,
		      unsigned tag, unsigned n, uint64_t *deadline)
{
	t->chunk[0] = (uint16_t)(tag - nvme->io_tag0);
	t->nchunks = 1;
	while (n > 1) {
		uint32_t key = copro_event_prepare(&nvme->pool_ev);
		bool got = false;
		int rc;

		/* All or nothing, so two large transfers never deadlock. */
		copro_mutex_lock(&nvme->pool_lock);
		if (nvme->pool_n >= n - 1) {
			for (unsigned i = 1; i < n; i++)
				t->chunk[i] = nvme->pool[--nvme->pool_n];
			got = true;
		}
		copro_mutex_unlock(&nvme->pool_lock);
		if (got) {
			t->nchunks = n;
			return 0;
		}
		rc = submit_state_errno(nvme);
		if (rc)
			return rc;
		if (!copro_deadline_left(submit_deadline(nvme, deadline))) {
			copro_dev_err(&nvme->ld,
				      "no bounce memory for a %u KiB transfer came free in time",
				      n * (NVME_CHUNK_SIZE / 1024));
			return -ETIMEDOUT;
		}
		wait_a_little(nvme, &nvme->pool_ev, key, *deadline);
	}
	return 0;
}

void copro_nvme_chunks_put(struct copro_nvme *nvme, struct nvme_tag *t)
{
	if (t->nchunks > 1) {
		copro_mutex_lock(&nvme->pool_lock);
		for (unsigned i = 1; i < t->nchunks; i++)
			nvme->pool[nvme->pool_n++] = t->chunk[i];
		copro_mutex_unlock(&nvme->pool_lock);
		copro_event_signal(&nvme->pool_ev);
	}
	t->nchunks = 0;
}

static void bounce_in(struct copro_nvme *nvme, struct nvme_tag *t,
		      const void *buf, size_t len)
{
	for (unsigned i = 0; len; i++) {
		size_t n = len < NVME_CHUNK_SIZE ? len : NVME_CHUNK_SIZE;

		memcpy(chunk_cpu(nvme, t->chunk[i]),
		       (const char *)buf + (size_t)i * NVME_CHUNK_SIZE, n);
		len -= n;
	}
}

void copro_nvme_bounce_out(struct copro_nvme *nvme, struct nvme_tag *t)
{
	size_t len = t->req->len;

	for (unsigned i = 0; len; i++) {
		size_t n = len < NVME_CHUNK_SIZE ? len : NVME_CHUNK_SIZE;

		memcpy((char *)t->req->buf + (size_t)i * NVME_CHUNK_SIZE,
		       chunk_cpu(nvme, t->chunk[i]), n);
		len -= n;
	}
}

/* ---- zero-copy registry ---------------------------------------------- */

/*
 * Lookups run on every submission and take no lock: reg_lock's holder
 * makes reg_seq odd while it moves an entry (copro_seqcount), and a
 * lookup that saw it move looks again. The rwlock's two calls cost about
 * 30 ns a command (perf, bench nvme).
 */
static void reg_set(struct nvme_reg *r, uintptr_t start, size_t len,
		    uint64_t phys)
{
	atomic_store_explicit(&r->start, start, memory_order_relaxed);
	atomic_store_explicit(&r->len, len, memory_order_relaxed);
	atomic_store_explicit(&r->phys, phys, memory_order_relaxed);
}

static bool zc_lookup(struct copro_nvme *nvme, const void *buf, size_t len,
		      uint64_t *phys)
{
	uintptr_t a = (uintptr_t)buf;

	for (;;) {
		uint32_t s = copro_seq_read_begin(&nvme->reg_seq);
		/* Acquire: an entry added is stored before its count. */
		unsigned n = atomic_load_explicit(&nvme->nregs,
						  memory_order_acquire);
		bool found = false;

		for (unsigned i = 0; i < n && i < NVME_MAX_REGS && !found; i++) {
			const struct nvme_reg *r = &nvme->regs_zc[i];
			uintptr_t start = atomic_load_explicit(
				&r->start, memory_order_relaxed);
			size_t rlen = atomic_load_explicit(&r->len,
							   memory_order_relaxed);

			if (a >= start && a - start <= rlen &&
			    len <= rlen - (a - start)) {
				*phys = atomic_load_explicit(
						&r->phys, memory_order_relaxed) +
					(a - start);
				found = true;
			}
		}
		if (copro_seq_read_retry(&nvme->reg_seq, s))
			continue;
		/* PRP1 must be dword-aligned; else it goes through a bounce. */
		return found && !(*phys & 3);
	}
}

int copro_nvme_register_buffer(struct copro_nvme *nvme, void *buf, size_t len)
{
	uintptr_t a = (uintptr_t)buf;
	uint64_t phys;
	int rc = 0;

	if (!buf || !len || a + len < a) {
		copro_dev_err(&nvme->ld, "cannot register %zu bytes at %p", len,
			      buf);
		return -EINVAL;
	}
	copro_rwlock_wrlock(&nvme->reg_lock);
	unsigned n = atomic_load(&nvme->nregs);

	for (unsigned i = 0; i < n && !rc; i++) {
		const struct nvme_reg *r = &nvme->regs_zc[i];
		uintptr_t start = atomic_load(&r->start);

		if (a < start + atomic_load(&r->len) && start < a + len)
			rc = -EEXIST;
	}
	if (!rc && n == NVME_MAX_REGS)
		rc = -ENOSPC;
	if (!rc)
		rc = copro_dma_register(nvme->p, buf, len, &phys);
	if (!rc) {
		/* The entry first, then the count that shows it. */
		reg_set(&nvme->regs_zc[n], a, len, phys);
		atomic_store_explicit(&nvme->nregs, n + 1, memory_order_release);
	}
	copro_rwlock_unlock(&nvme->reg_lock);
	if (rc == -EEXIST || rc == -ENOSPC)
		copro_dev_err(&nvme->ld, "cannot register %zu bytes at %p: %s",
			      len, buf,
			      rc == -EEXIST ? "overlaps a registered buffer"
					    : "too many registered buffers");
	return rc;
}

int copro_nvme_unregister_buffer(struct copro_nvme *nvme, void *buf)
{
	int rc = -ENOENT;

	copro_rwlock_wrlock(&nvme->reg_lock);
	unsigned n = atomic_load(&nvme->nregs);

	for (unsigned i = 0; i < n; i++) {
		struct nvme_reg *r = &nvme->regs_zc[i], *last = &nvme->regs_zc[n - 1];

		if (atomic_load(&r->start) != (uintptr_t)buf)
			continue;
		uint64_t phys = atomic_load(&r->phys);

		/*
		 * Lookups that overlap the move look again (they spin while
		 * the count is odd: only these few stores). The bus forgets
		 * the buffer once no lookup can find it.
		 */
		copro_seq_write_begin(&nvme->reg_seq);
		reg_set(r, atomic_load(&last->start), atomic_load(&last->len),
			atomic_load(&last->phys));
		atomic_store_explicit(&nvme->nregs, n - 1, memory_order_relaxed);
		copro_seq_write_end(&nvme->reg_seq);
		rc = copro_dma_unregister(nvme->p, phys);
		break;
	}
	copro_rwlock_unlock(&nvme->reg_lock);
	if (rc == -ENOENT)
		copro_dev_err(&nvme->ld, "no registered buffer starts at %p",
			      buf);
	return rc;
}

/* ---- submission ------------------------------------------------------- */

static int check_req(struct copro_nvme *nvme, const struct copro_nvme_req *r)
{
	uint64_t mask = nvme->info.lba_size - 1;
	uint64_t cap = nvme->info.lba_count * nvme->info.lba_size;
	const char *bad = NULL;

	if (!r || !r->done) {
		copro_dev_err(&nvme->ld, "request %p has no done() callback",
			      (const void *)r);
		return -EINVAL;
	}
	if (r->op == COPRO_NVME_FLUSH)
		return 0;
	if (r->op == COPRO_NVME_DISCARD || r->op == COPRO_NVME_WRITE_ZEROES) {
		int rc = copro_nvme_check_zero_req(nvme, r, &bad);

		if (rc)
			return rc;
		if (!bad && ((r->len & mask) || (r->offset & mask) ||
			     r->len > cap || r->offset > cap - r->len))
			bad = "offset";
	} else if (r->op != COPRO_NVME_READ && r->op != COPRO_NVME_WRITE)
		bad = "op";
	else if (!r->buf)
		bad = "buf";
	else if (!r->len || (r->len & mask) || r->len > nvme->info.max_transfer)
		bad = "len";
	else if ((r->offset & mask) || r->len > cap || r->offset > cap - r->len)
		bad = "offset";
	if (!bad)
		return 0;
	copro_dev_err(&nvme->ld,
		      "refused request: bad %s (op %d, offset 0x%llx, len 0x%zx; LBA size %u, capacity 0x%llx, max transfer 0x%x)",
		      bad, (int)r->op, (unsigned long long)r->offset, r->len,
		      nvme->info.lba_size, (unsigned long long)cap,
		      nvme->info.max_transfer);
	return -EINVAL;
}

/* Fills the slot's SQE and data for `req`. */
static int prepare(struct copro_nvme *nvme, unsigned tag,
		   struct copro_nvme_req *req, uint64_t *deadline)
{
	struct nvme_tag *t = &nvme->tags[tag];
	struct nvme_sqe *sqe = &t->sqe;
	struct nvme_seg segs[NVME_MAX_CHUNKS];
	unsigned nsegs = 0;
	uint64_t phys, nlb;
	int rc;

	memset(sqe, 0, sizeof(*sqe));
	sqe->cid = (uint16_t)tag;
	sqe->nsid = NVME_NSID;
	t->nchunks = 0;
	if (req->op == COPRO_NVME_FLUSH) {
		sqe->opcode = NVME_CMD_FLUSH;
		return 0;
	}
	if (req->op == COPRO_NVME_DISCARD || req->op == COPRO_NVME_WRITE_ZEROES) {
		copro_nvme_prep_zero(nvme, t, tag, req);
		return 0;
	}
	if (zc_lookup(nvme, req->buf, req->len, &phys)) {
		segs[nsegs++] = (struct nvme_seg){ phys, req->len };
		nvme_stat_add(&nvme->st.zero_copy_bytes, req->len);
	} else {
		unsigned n = (unsigned)((req->len + NVME_CHUNK_SIZE - 1) /
					NVME_CHUNK_SIZE);
		size_t left = req->len;

		rc = chunks_get(nvme, t, tag, n, deadline);
		if (rc)
			return rc;
		for (unsigned i = 0; i < n; i++) {
			size_t len = left < NVME_CHUNK_SIZE ? left : NVME_CHUNK_SIZE;

			segs[nsegs++] = (struct nvme_seg){
				nvme->chunks.phys +
					(uint64_t)t->chunk[i] * NVME_CHUNK_SIZE,
				len
			};
			left -= len;
		}
		if (req->op == COPRO_NVME_WRITE)
			bounce_in(nvme, t, req->buf, req->len);
		nvme_stat_add(&nvme->st.bounced_bytes, req->len);
	}
	rc = copro_nvme_prp_build(segs, nsegs, t->prp, NVME_PRP_PAGES,
				  &sqe->prp1, &sqe->prp2);
	if (rc < 0) {
		copro_dev_err(&nvme->ld,
			      "cannot describe a %zu-byte transfer at %p in PRPs: %s",
			      req->len, req->buf, copro_strerror(rc));
		copro_nvme_chunks_put(nvme, t);
		return rc;
	}
	nlb = (req->len >> nvme->lba_shift) - 1;
	sqe->opcode = req->op == COPRO_NVME_READ ? NVME_CMD_READ
						 : NVME_CMD_WRITE;
	sqe->cdw10 = (uint32_t)(req->offset >> nvme->lba_shift);
	sqe->cdw11 = (uint32_t)((req->offset >> nvme->lba_shift) >> 32);
	sqe->cdw12 = (uint32_t)nlb;
	if (req->fua && req->op == COPRO_NVME_WRITE)
		sqe->cdw12 |= NVME_RW_FUA;
	return 0;
}

/*
 * Polling our own completion queue right after the doorbell (as Linux's
 * polled queues do): a controller that answered at once has its
 * completion found here, in the submitting thread, with no interrupt
 * thread woken for it. Meanwhile the line is masked (a counted mask over
 * every submitter); the last one to leave unmasks it, and a completion
 * that arrived later (a slow command, on the controller's own time)
 * raises the interrupt then, as the line is level-triggered. The
 * interrupt path stays the only one for what nobody polls for.
 */
static void poll_begin(struct copro_nvme *nvme)
{
	if (!nvme->polled && atomic_fetch_add(&nvme->pollers, 1) == 0)
		copro_irq_disable(nvme->irq);
}

static void poll_end(struct copro_nvme *nvme)
{
	if (!nvme->polled && atomic_fetch_sub(&nvme->pollers, 1) == 1)
		copro_irq_enable(nvme->irq);
}

/* The doorbell; on refusal the slot is given back. */
static int issue(struct copro_nvme *nvme, unsigned tag)
{
	int rc;

	/* Counted first: the completion may be reaped before we return. */
	copro_owned_add(&nvme->tags[tag].n_submitted, 1);
	rc = copro_nvme_issue(nvme, tag, false);
	if (rc) {
		/* Refused: still ours, and no completion will come. */
		copro_owned_add(&nvme->tags[tag].n_submitted, -1);
		copro_nvme_chunks_put(nvme, &nvme->tags[tag]);
		copro_nvme_tag_put(nvme, tag);
	}
	return rc;
}

int copro_nvme_submit(struct copro_nvme *nvme, struct copro_nvme_req *req)
{
	uint64_t deadline = 0; /* submit_deadline */
	int rc, tag;

	rc = check_req(nvme, req);
	if (!rc)
		rc = submit_state_errno(nvme);
	if (rc)
		return rc;
	tag = get_tag(nvme, &deadline);
	if (tag < 0)
		return tag;
	nvme->tags[tag].req = req;
	req->attempts_ = 0;
	req->deadline_ = 0;
	rc = prepare(nvme, (unsigned)tag, req, &deadline);
	if (rc) {
		copro_nvme_chunks_put(nvme, &nvme->tags[tag]);
		copro_nvme_tag_put(nvme, (unsigned)tag);
		return rc;
	}
	if (nvme->cfg.irq_only)
		return issue(nvme, (unsigned)tag);
	/* Inside a done(): the poll running it looks again afterwards. */
	if (copro_nvme_reaping()) {
		rc = issue(nvme, (unsigned)tag);
		if (!rc)
			copro_nvme_note_resubmit();
		return rc;
	}
	poll_begin(nvme);
	rc = issue(nvme, (unsigned)tag);
	/*
	 * Again while a done() run by the poll submitted: that command's
	 * completion is ours to find too. Bounded; the interrupt takes the
	 * rest.
	 */
	for (unsigned i = 0; !rc && i < POLL_ROUNDS; i++) {
		unsigned before = copro_nvme_resubmits();

		if (copro_nvme_reap_try(nvme) <= 0 ||
		    copro_nvme_resubmits() == before)
			break;
	}
	poll_end(nvme);
	return rc;
}

/* ---- blocking wrappers ------------------------------------------------ */

struct sync_req {
	struct copro_nvme_req req;
	struct copro_nvme *nvme;
	int status;
	_Atomic bool done;
};

static void sync_done(struct copro_nvme_req *req, int status)
{
	struct sync_req *s = req->ctx;
	struct copro_nvme *nvme = s->nvme;

	s->status = status;
	/* The waiter may return (and its stack go) as soon as it sees this. */
	atomic_store_explicit(&s->done, true, memory_order_release);
	copro_event_signal(&nvme->sync_ev);
}

/*
 * Waits for done(). No deadline of its own: the watchdog (or, polled,
 * our own polling) times the request out, resets and fails or retries
 * it, and done() always runs; returning earlier would hand the caller
 * back a buffer the controller may still write.
 */
static int sync_run(struct copro_nvme *nvme, struct sync_req *s)
{
	int rc;

	s->nvme = nvme;
	atomic_init(&s->done, false);
	s->req.done = sync_done;
	s->req.ctx = s;
	rc = copro_nvme_submit(nvme, &s->req);
	if (rc)
		return rc;
	for (;;) {
		uint32_t key = copro_event_prepare(&nvme->sync_ev);

		if (atomic_load_explicit(&s->done, memory_order_acquire))
			break;
		wait_a_little(nvme, &nvme->sync_ev, key, UINT64_MAX);
	}
	return s->status;
}

int copro_nvme_read(struct copro_nvme *nvme, uint64_t offset, void *buf,
		    size_t len)
{
	struct sync_req s = { .req = { .op = COPRO_NVME_READ, .offset = offset,
				       .len = len, .buf = buf } };

	return sync_run(nvme, &s);
}

int copro_nvme_write(struct copro_nvme *nvme, uint64_t offset,
		     const void *buf, size_t len, bool fua)
{
	struct sync_req s = { .req = { .op = COPRO_NVME_WRITE, .offset = offset,
				       .len = len, .buf = (void *)buf,
				       .fua = fua } };

	return sync_run(nvme, &s);
}

int copro_nvme_flush(struct copro_nvme *nvme)
{
	struct sync_req s = { .req = { .op = COPRO_NVME_FLUSH } };

	return sync_run(nvme, &s);
}

int copro_nvme_discard(struct copro_nvme *nvme, uint64_t offset, size_t len)
{
	struct sync_req s = { .req = { .op = COPRO_NVME_DISCARD,
				       .offset = offset, .len = len } };

	return sync_run(nvme, &s);
}

int copro_nvme_write_zeroes(struct copro_nvme *nvme, uint64_t offset,
			    size_t len, bool deallocate, bool fua)
{
	struct sync_req s = { .req = { .op = COPRO_NVME_WRITE_ZEROES,
				       .offset = offset, .len = len,
				       .deallocate = deallocate, .fua = fua } };

	return sync_run(nvme, &s);
}
