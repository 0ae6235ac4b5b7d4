/* SPDX-License-Identifier: MIT */
/*
 * The SCMI agent's insides:
 *
 *   msg.c        sans-I/O: the checked response reader, statuses, names
 *   describe.c   messages as text (tracing)
 *   shmem.c      a shared-memory area through MMIO: write a command,
 *                read and check an answer
 *   chan.c       channels: SMC and mailbox triggers, completion by
 *                return, interrupt or polling
 *   xfer.c       commands: tokens, timeouts, delayed responses
 *   p2a.c        the receive channel: delayed responses, notifications
 *   notify.c     subscriptions and event decoding
 *   probe.c      the devicetree, channels per protocol, Base discovery
 *   base.c power.c perf.c clock.c reset.c sensor.c system.c
 *                the protocols' calls
 */
#ifndef COPRO_SCMI_INTERNAL_H
#define COPRO_SCMI_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/driver/platform.h>
#include <copro/le.h>
#include <copro/log.h>
#include <copro/mbox.h>
#include <copro/os.h>
#include <copro/platform.h>
#include <copro/regs/scmi.h>
#include <copro/scmi.h>

#define SCMI_DEFAULT_TIMEOUT_NS (500 * COPRO_NSEC_PER_MSEC)
#define SCMI_DEFAULT_DELAYED_NS (2 * COPRO_NSEC_PER_SEC)
#define SCMI_MAX_CHANS 8
#define SCMI_MAX_PENDING 16	 /* commands awaiting a delayed response */
#define SCMI_MAX_MSG 256	 /* largest payload handled */
#define SCMI_TOKEN_NONE 0xffffffffu
/* Paged lists: more pages than this is a platform that never ends. */
#define SCMI_MAX_PAGES 256

/* ---- the checked reader (msg.c) --------------------------------------- */

/*
 * Reads a response payload word by word. Any read past the end, or a
 * reserved bit found set, marks it bad (-EPROTO) and says what, once;
 * reads after that return 0. rd_end() also fails a payload with bytes
 * left over: every answer has an exact length.
 */
struct scmi_rd {
	const uint8_t *p;
	size_t len, off;
	int err;
	const char *why;
};

void rd_name(struct scmi_rd *r, char out[SCMI_NAME_LEN]);
/* Fails the reader when (v & mask) != 0. */
uint32_t rd_mbz(struct scmi_rd *r, uint32_t v, uint32_t mask,
		const char *field);
void rd_fail(struct scmi_rd *r, const char *why);
size_t rd_left(const struct scmi_rd *r);

/* Inline: every answer is read through these, most in two or three words. */
static inline void rd_init(struct scmi_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
	r->why = NULL;
}

static inline uint32_t rd_u32(struct scmi_rd *r)
{
	uint32_t v;

	if (r->err)
		return 0;
	if (r->len - r->off < 4 || r->off > r->len) {
		rd_fail(r, "the answer is shorter than its fields");
		return 0;
	}
	v = copro_get_le32(r->p + r->off);
	r->off += 4;
	return v;
}

/* Low word first. */
static inline uint64_t rd_u64(struct scmi_rd *r)
{
	uint64_t lo = rd_u32(r);

	return lo | (uint64_t)rd_u32(r) << 32;
}

static inline int rd_end(struct scmi_rd *r)
{
	if (!r->err && r->off != r->len)
		rd_fail(r, "the answer is longer than its fields");
	return r->err;
}

/* ---- shared memory (shmem.c) ---------------------------------------- */

struct scmi_area {
	struct copro_mmio *m;
	/* The area's words when it is plain memory (copro_mmio_words). */
	_Atomic uint32_t *w;
	uint64_t phys;
	size_t size;
};

/* What was found in an area after the platform answered. */
struct scmi_msg {
	uint32_t flags;
	uint32_t header;
	size_t len;		      /* payload bytes after the header */
	uint8_t payload[SCMI_MAX_MSG];
};

int scmi_area_map(struct copro_scmi *s, int user, unsigned index,
		  struct scmi_area *a);
void scmi_area_unmap(struct scmi_area *a);
/*
 * The area's words at offsets the caller has checked against its size:
 * loads and stores when it is plain memory (acquire and release, a
 * 64-bit access the low word first, as the accessors do), the accessors
 * otherwise. Inline: eight per command.
 */
static inline uint32_t scmi_rd32(const struct scmi_area *a, uint64_t off)
{
	if (a->w)
		return atomic_load_explicit(&a->w[off / 4], memory_order_acquire);
	return copro_readl(a->m, off);
}

static inline uint64_t scmi_rd64(const struct scmi_area *a, uint64_t off)
{
	if (a->w) {
		uint64_t lo = atomic_load_explicit(&a->w[off / 4],
						   memory_order_acquire);

		return lo | (uint64_t)atomic_load_explicit(&a->w[off / 4 + 1],
							   memory_order_acquire)
				    << 32;
	}
	return copro_readq(a->m, off);
}

static inline void scmi_wr32(const struct scmi_area *a, uint64_t off,
			     uint32_t v)
{
	if (a->w)
		atomic_store_explicit(&a->w[off / 4], v, memory_order_release);
	else
		copro_writel(a->m, off, v);
}

static inline void scmi_wr64(const struct scmi_area *a, uint64_t off,
			     uint64_t v)
{
	if (a->w) {
		atomic_store_explicit(&a->w[off / 4], (uint32_t)v,
				      memory_order_release);
		atomic_store_explicit(&a->w[off / 4 + 1], (uint32_t)(v >> 32),
				      memory_order_release);
	} else {
		copro_writeq(a->m, off, v);
	}
}

/* Inline: every command asks these once or twice. */
static inline uint32_t scmi_area_status(const struct scmi_area *a)
{
	return scmi_rd32(a, SCMI_SHMEM_STATUS);
}

static inline bool scmi_area_free(const struct scmi_area *a)
{
	return scmi_area_status(a) & SCMI_SHMEM_STATUS_FREE;
}

/* The largest payload (after the header) the area holds. */
static inline size_t scmi_area_payload_max(const struct scmi_area *a)
{
	return a->size - SCMI_SHMEM_PAYLOAD;
}
void scmi_area_write_cmd(const struct scmi_area *a, uint32_t header,
			 const void *payload, size_t len, bool want_irq);
/*
 * Read what the platform left: checks the length word against the area
 * (at least `min` bytes after the header, and inside the area); -EPROTO
 * with *why set otherwise. The status word is the caller's to read.
 */
int scmi_area_read(const struct scmi_area *a, size_t min,
		   struct scmi_msg *msg, const char **why);
void scmi_area_release(const struct scmi_area *a);

/* ---- channels (chan.c) ------------------------------------------------- */

enum scmi_completion {
	SCMI_DONE_RETURN, /* the call's return: SYNC transports */
	SCMI_DONE_IRQ,	  /* an interrupt: a2p, or the mailbox's receive */
	SCMI_DONE_POLL,	  /* the area's status word */
};

enum scmi_trigger {
	SCMI_TRIG_SMC,
	SCMI_TRIG_MBOX,
};

struct scmi_chan {
	struct copro_scmi *s;
	char name[24]; /* "a2p", "perf a2p" */
	int node;      /* the node its transport properties are on */
	struct scmi_area area;
	enum scmi_trigger trig;
	/* SMC */
	enum copro_conduit conduit;
	uint32_t fid;
	bool param;
	struct copro_irq *a2p_irq;
	/* mailbox */
	struct copro_mbox_chan *tx;
	bool tx_sync;
	enum scmi_completion done_by;
	/*
	 * One command at a time: the area holds one. Biased: a channel
	 * driven by one thread pays no locked instruction for it.
	 */
	struct copro_bias_lock lock;
	/*
	 * Under lock: the channel's next command (its tokens are
	 * index + n * token_stride) and its command count (stored, not
	 * added: only the lock holder writes it, get_stats reads it).
	 */
	unsigned index;
	uint32_t seq;
	_Atomic uint64_t commands;
	/* Interrupt completion: the token waited for, and the signal. */
	_Atomic uint32_t waiting;
	struct copro_completion done;
};

int scmi_chan_smc(struct copro_scmi *s, int node, int transport,
		  struct scmi_chan *c);
int scmi_chan_mbox(struct copro_scmi *s, int node, struct scmi_chan *c);
void scmi_chan_free(struct scmi_chan *c);
/*
 * One command on the channel (its lock held by the caller): the area
 * must be free; write, trigger, wait for completion, read the answer
 * into *msg (length checked against the area).
 */
int scmi_chan_exchange(struct scmi_chan *c, uint32_t header,
		       const void *payload, size_t len, int64_t timeout_ns,
		       struct scmi_msg *msg);

/* ---- the receive channel (p2a.c) ---------------------------------------- */

struct scmi_p2a {
	struct scmi_area area;
	struct copro_mbox_chan *rx;
	bool can_ack;
};

int scmi_p2a_setup(struct copro_scmi *s, int node);
void scmi_p2a_free(struct copro_scmi *s);

/* ---- commands (xfer.c) ------------------------------------------------- */

struct scmi_pending {
	bool used;
	uint32_t header; /* the command's, type 0 */
	struct copro_completion done;
	int32_t status;
	uint8_t payload[SCMI_MAX_MSG];
	size_t len;
	int err; /* a malformed delayed response */
};

struct scmi_xfer {
	uint8_t proto, msg;
	const void *tx;
	size_t tx_len;
	/* Asynchronous: wait for the delayed response too. */
	bool async;
	/* The answer after the status word: read once, into m's payload. */
	const uint8_t *rx;
	size_t rx_len;
	int32_t status;
	struct scmi_msg m;
	uint8_t dr[SCMI_MAX_MSG];
	size_t dr_len;
	int32_t dr_status;
};

/*
 * Send a command and wait for its answer (and delayed response). 0 when
 * the platform answered SUCCESS (and its delayed response did); the
 * status as an errno when it answered another; -EPROTO / -ETIMEDOUT /
 * -EBUSY ... when the exchange itself failed (logged).
 */
int scmi_xfer(struct copro_scmi *s, struct scmi_xfer *x);
/* Shorthand: a command of `nw` words, its answer in x. */
int scmi_cmd(struct copro_scmi *s, unsigned proto, unsigned msg,
	     const uint32_t *words, unsigned nw, bool async,
	     struct scmi_xfer *x);
/* A delayed response arrived (p2a.c). */
void scmi_xfer_delayed(struct copro_scmi *s, const struct scmi_msg *m);
/* Hand a message to the trace callback (scmi_trace: only if there is one). */
void scmi_trace_msg(struct copro_scmi *s, const char *chan, bool to_platform,
		    uint32_t header, const uint8_t *payload, size_t len);
/* A response that broke the protocol: logged and counted. */
int scmi_bad(struct copro_scmi *s, unsigned proto, unsigned msg,
	     const char *why);

/* ---- protocols ---------------------------------------------------------- */

/* What each protocol's PROTOCOL_VERSION/ATTRIBUTES said (cached). */
struct scmi_proto {
	_Atomic bool probed; /* then the rest is fixed */
	int err;
	uint32_t version;
	uint32_t attr[4];
	size_t attr_words;
};

/*
 * Protocol `proto` checked usable: listed by the platform, of a major
 * version this agent reads, its attributes fetched. -EOPNOTSUPP when not
 * listed, -EPROTONOSUPPORT for a major version too new. scmi_proto()
 * (below the agent) asks this only until the answer is cached.
 */
int scmi_proto_probe(struct copro_scmi *s, unsigned proto,
		     const struct scmi_proto **out);

/* id < count of the protocol's resources, else -ENOENT (no command). */
int scmi_check_id(struct copro_scmi *s, unsigned proto, uint32_t id,
		  unsigned count);

/* notify.c */
void scmi_notify_dispatch(struct copro_scmi *s, const struct scmi_msg *m);
void scmi_notify_free(struct copro_scmi *s);

struct copro_scmi_sub {
	struct copro_scmi *s;
	struct copro_scmi_sub *next;
	uint8_t proto, evt;
	uint32_t src;
	copro_scmi_event_fn fn;
	void *ctx;
};

/* ---- the agent ---------------------------------------------------------- */

struct copro_scmi {
	struct copro_platform *p;
	struct copro_logdev ld;
	int node;
	struct copro_scmi_config cfg;
	bool threaded;

	struct scmi_chan chans[SCMI_MAX_CHANS];
	unsigned nchans;
	struct scmi_chan *proto_chan[256]; /* NULL: chans[0] */
	struct scmi_p2a p2a;
	bool has_p2a;

	struct copro_mutex lock; /* pending, protocol cache */
	/* Channels' token slices: a power of two >= nchans, fixed at probe. */
	unsigned token_stride;
	_Atomic unsigned npending;
	struct scmi_pending pending[SCMI_MAX_PENDING];
	struct scmi_proto protos[256];
	struct copro_scmi_base_info base;

	struct copro_mutex sub_lock; /* subscriptions and their dispatch */
	struct copro_scmi_sub *subs;

	struct {
		_Atomic uint64_t errors, timeouts, bad_responses; /* + chans' commands */
		_Atomic uint64_t delayed, notifications, dropped;
	} stats;
};

int scmi_base_discover(struct copro_scmi *s);

/* Inline: untraced, every message would pay a call for nothing. */
static inline void scmi_trace(struct copro_scmi *s, const char *chan,
			      bool to_platform, uint32_t header,
			      const uint8_t *payload, size_t len)
{
	if (s->cfg.trace)
		scmi_trace_msg(s, chan, to_platform, header, payload, len);
}

/* Inline: once probed (every command after the first), a load. */
static inline int scmi_proto(struct copro_scmi *s, unsigned proto,
			     const struct scmi_proto **out)
{
	struct scmi_proto *pi = &s->protos[proto & 0xff];

	/* Probed only once the protocol list had it: the list is fixed. */
	if (atomic_load_explicit(&pi->probed, memory_order_acquire)) {
		*out = pi;
		return 0;
	}
	return scmi_proto_probe(s, proto, out);
}

#endif
