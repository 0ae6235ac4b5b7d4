/* SPDX-License-Identifier: MIT */
/*
 * The Gunyah hypervisor model (sim/hyp_*.c) against hostile guests: the
 * model runs under guests it did not write (Linux's Gunyah drivers, say),
 * so every hypercall argument and every resource-manager RPC byte a guest
 * sends is untrusted. copro's own host side (src/hyp) is not used: the
 * harness plays three guests itself, issuing raw hypercalls through each
 * VM's HVC conduit (copro_fw_call on the VM's machine) and speaking the RM
 * RPC with its own encoder and reassembler.
 *
 * Set up once: the "gunyah" board (the primary VM, VMID 3, and the model
 * with its RM thread), and two VMs the primary allocates, attaches a
 * machine to and starts through the RM, vm-a and vm-b: links (a message
 * queue and a doorbell each way) join every pair. Each guest learns its
 * capabilities with VM_GET_HYP_RESOURCES, as a guest does. Between
 * inputs the faults are disarmed, queues flushed, doorbells reset and
 * thresholds restored by hypercall; when an input changed the VMs (a
 * stop, a crash, a deallocation, VMs it allocated) every VM but the
 * primary is deallocated and vm-a and vm-b are created again. The
 * primary's capability table keeps every capability it was ever given,
 * revoked ones too (as Gunyah's cspace does), so every 64 such rebuilds
 * the board itself is made anew, to keep inputs fast.
 *
 * Input: records, up to 4096 bytes. A record's first byte: the low nibble
 * is the kind, the high nibble modulo 3 the acting guest (0 the primary,
 * 1 vm-a, 2 vm-b). "cap" is a capability selector: one of the actor's
 * own (its links, its RM queues), another guest's, one it held before
 * (revoked), a special value (0, ~0, ...), or an own id with bits flipped
 * or high bits set. Sizes, thresholds and flags come from selectors that
 * favour the edges (0, 240, 241, 1023, 1024, 2^32, ~0, reserved bits).
 *   0 SEND     cap size[2] buf flags    msgqueue_send
 *   1 RECV     cap max[2] buf           msgqueue_receive
 *   2 FLUSH    cap                      msgqueue_flush
 *   3 CONF     cap how thd delay        msgqueue_configure_send/receive
 *   4 BSEND    cap flags[2]             doorbell_send
 *   5 BRECV    cap flags[2]             doorbell_receive
 *   6 BMASK    cap enable[2] ack[2]     doorbell_mask
 *   7 BRESET   cap                      doorbell_reset
 *   8 RAW      fn cap x2[8] x3[8] x4    any function id (other encodings,
 *                                       unknown and RM-only calls), raw
 *                                       64-bit arguments
 *   9 RMFRAG   len bytes[len]           one raw fragment to the RM
 *  10 RMREQ    msg seq hdr api vm[2] len  a request's first fragment
 *                                       (any id, type, fragment count)
 *  11 RMCONT   msg seq hdr len          a continuation fragment
 *  12 RMPOLL   n                        receive what the RM sent
 *  13 VMOP     op target                a whole RM call, waited for:
 *                                       alloc/start/stop/dealloc/...
 *  14 FAULT    kind cap arg             stall, failing receives, lost
 *                                       virqs, a VM crash, link sizes
 *  15 STEP     what                     service the actor's interrupts
 *                                       (the virq acknowledgement), wait
 *                                       for the RM, identify, relearn
 * A buffer selector gives the actor's memory (placed so that the bytes
 * the call may touch end where its allocation ends: ASan sees one byte
 * too many), NULL, or an unmapped page (only where the model must refuse
 * before touching it: zero or oversized lengths, reserved flags).
 *
 * What must hold, beyond the sanitizers:
 *  - every hypercall answers a Gunyah error code its call can give
 *    (UNIMPLEMENTED for anything not a Gunyah call), identify the API;
 *    on success a receive's size fits the buffer and the queue, no byte
 *    past it is written, the booleans are 0 or 1;
 *  - the links behave exactly as the harness's shadow of them (count,
 *    FIFO order and content, FULL/EMPTY, sizes, thresholds, doorbell
 *    flags), capability errors are the ones Gunyah gives for the id;
 *  - a machine whose VM was deallocated reaches nothing (CSPACE_CAP_NULL);
 *  - every fragment the RM sends is well formed, every reply's error is
 *    an RM error, a call from a VM that is not the target's owner never
 *    succeeds, the resources the RM lists are the caller's own;
 *  - the model's state stays within bounds: counts within depths,
 *    thresholds valid, every interrupt line a real one (below
 *    COPRO_BUS_IRQ_LINES) and used once, each line's level on its machine
 *    the model's latch, no capability pointing at a freed object;
 *  - waits are bounded: the RM answers each guest within 2 s whatever
 *    the others do (a guest that does not drain its replies must not
 *    stall the others), and goes idle (a guest's own RM queues are
 *    released from injected faults before it makes a whole RM call);
 *  - the statistics only grow, count exactly the harness's hypercalls and
 *    failures, and every request got its reply;
 *  - after every input nothing is left over (no VM but the three) and a
 *    well-behaved exchange works on every link: a message and a doorbell
 *    each way, with the receiver's interrupt rising and falling.
 *
 * FUZZ_HYP_LOG=1 prints the model's log and trace.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <copro/dt.h>
#include <copro/error.h>
#include <copro/gunyah.h>
#include <copro/le.h>
#include <copro/log.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>
#include <copro/sim/hyp.h>

#include "hyp_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NG 3		/* guests: the primary, vm-a, vm-b */
#define NLINK (NG * (NG - 1))
#define MAX_RES 64
#define MAX_OLD 64
#define BUF_SIZE 1024	/* above any queue's maximum message size */
#define MAX_INPUT 4096
#define WAIT_NS (2 * COPRO_NSEC_PER_SEC)
#define SEQ_OWN 0x8000u	/* the harness's own RM calls; raw ones below */
#define ANY INT64_MIN	/* no exact prediction */
#define REBUILDS_PER_BOARD 64

/*
 * The harness's own bookkeeping and checks: not the model's code, no
 * coverage (their loops would cost most of the time, and teach libFuzzer
 * nothing about the model).
 */
#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(no_sanitize)
#define NO_COV __attribute__((no_sanitize("coverage")))
#endif
#endif
#ifndef NO_COV
#define NO_COV
#endif

enum { PRIM, VMA, VMB };

/* A capability as the RM described it to a guest. */
struct res {
	enum copro_gh_rsc_type type;
	uint16_t partner;
	uint64_t capid;
	uint32_t virq;
};

/* What a guest reassembles of the RM's messages. */
struct rm_asm {
	uint8_t buf[COPRO_RM_MAX_PAYLOAD];
	size_t len;
	unsigned left;
	uint8_t type;
	uint16_t seq;
	uint32_t id, err;
	bool active;
};

struct guest {
	const char *name;
	uint16_t vmid;
	struct copro_bus *bus;
	struct copro_platform *p;
	const void *port;	/* the model's port of this machine (identity) */
	struct copro_sim_hyp_rm_desc rm;
	struct res res[MAX_RES];
	unsigned nres;
	uint64_t old[MAX_OLD];	/* ids it held before */
	unsigned nold;
	uint16_t seq;
	bool stale;		/* res out of date: learn again before use */
	struct rm_asm as;
};

/* The harness's shadow of one link queue: what it must contain. */
struct shq {
	int tx, rx;
	uint64_t txcap, rxcap;
	unsigned depth, max_size, n, head;
	uint16_t len[COPRO_GH_MSGQ_MAX_DEPTH];
	uint32_t tag[COPRO_GH_MSGQ_MAX_DEPTH];
	bool stalled, dead;
	int64_t fail_err;
	unsigned fail_n;
};

struct shb {
	int tx, rx;
	uint64_t txcap, rxcap;
	uint64_t flags, enable, ack;
	bool dead;
};

/* A resolved capability selector. */
struct capref {
	uint64_t id;
	bool known;		/* the actor holds it: type and end known */
	bool msgq, tx;		/* a queue (or a doorbell); the sending end */
	bool rm;		/* one of the actor's RM queues */
	unsigned max_size;	/* of a queue */
	struct shq *q;
	struct shb *b;
};

static struct {
	bool ready;
	struct copro_log *log;
	struct copro_board *b;
	struct copro_sim_hyp *h;
	struct guest g[NG];
	struct shq q[NLINK];
	struct shb bl[NLINK];
	unsigned nq, nb;
	uint8_t *txbuf, *rxbuf;
	void *wild;
	/* This input's: */
	uint32_t tag;
	uint64_t calls, errors, injected, lose_asked;
	bool dirty;		/* VMs changed: rebuild at the end */
	bool rm_used;		/* anything went to or came from the RM */
	uint16_t raw_seq;
	uint32_t raw_id;
	uint16_t extra;		/* the last VM a VMOP allocated */
	struct copro_sim_hyp_stats st;
	unsigned rebuilds;	/* since the board was made */
} fz;

/* ---- basics ------------------------------------------------------------- */

static void quiet(void *ctx, enum copro_log_level level, const char *dev,
		  const char *msg)
{
	(void)ctx;
	(void)level;
	if (getenv("FUZZ_HYP_LOG"))
		fprintf(stderr, "%s: %s\n", dev ? dev : "-", msg);
}

static void trace(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "[hyp] %s\n", line);
}

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_hyp_model: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* The RM runs on the other core: spin a while before sleeping. */
static void pause_a_little(unsigned i)
{
	if (i < 1024) {
		for (unsigned k = 0; k < 16; k++)
			copro_cpu_relax();
	} else {
		usleep(50);
	}
}

static void lock(void)
{
	copro_mutex_lock(&fz.h->lock);
}

static void unlock(void)
{
	copro_mutex_unlock(&fz.h->lock);
}

/* The guest's VM still exists and this machine is still its machine. */
NO_COV static bool alive(const struct guest *g)
{
	struct hyp_vm *vm;
	bool ok;

	lock();
	vm = hyp_vm_find(fz.h, g->vmid);
	ok = vm && vm->port && (const void *)vm->port == g->port;
	unlock();
	return ok;
}

/* ---- hypercalls ------------------------------------------------------- */

/* What the model takes as a Gunyah call (and counts). */
static bool gh_shaped(uint64_t x0)
{
	return !(x0 >> 32) && (x0 & 0xffff0000u) == 0xc6000000u &&
	       (x0 & 0xffff) >= 0x8000;
}

static uint64_t bit(int64_t e)
{
	return e >= -1 && e <= 62 ? 1ull << (e + 1) : 0;
}

#define CAPERRS                                                            \
	(bit(COPRO_GH_CSPACE_CAP_NULL) | bit(COPRO_GH_CSPACE_CAP_REVOKED) |  \
	 bit(COPRO_GH_CSPACE_WRONG_OBJ_TYPE) |                               \
	 bit(COPRO_GH_CSPACE_INSUF_RIGHTS))

/* The answers each call may give. */
static uint64_t allowed(unsigned call)
{
	switch (call) {
	case COPRO_GH_CALL_MSGQ_SEND:
		return bit(COPRO_GH_OK) | bit(COPRO_GH_ARG_INVAL) |
		       bit(COPRO_GH_ARG_SIZE) | bit(COPRO_GH_ADDR_INVAL) |
		       bit(COPRO_GH_MSGQUEUE_FULL) | CAPERRS;
	case COPRO_GH_CALL_MSGQ_RECV:
		return bit(COPRO_GH_OK) | bit(COPRO_GH_ARG_SIZE) |
		       bit(COPRO_GH_ADDR_INVAL) | bit(COPRO_GH_MSGQUEUE_EMPTY) |
		       CAPERRS | fz.injected;
	case COPRO_GH_CALL_MSGQ_FLUSH:
	case COPRO_GH_CALL_BELL_MASK:
	case COPRO_GH_CALL_BELL_RESET:
		return bit(COPRO_GH_OK) | CAPERRS;
	case COPRO_GH_CALL_MSGQ_CONF_SEND:
	case COPRO_GH_CALL_MSGQ_CONF_RECV:
		return bit(COPRO_GH_OK) | bit(COPRO_GH_ARG_INVAL) |
		       bit(COPRO_GH_UNIMPLEMENTED) | CAPERRS;
	case COPRO_GH_CALL_BELL_SEND:
	case COPRO_GH_CALL_BELL_RECV:
		return bit(COPRO_GH_OK) | bit(COPRO_GH_ARG_INVAL) | CAPERRS;
	case COPRO_GH_CALL_MSGQ_CONFIGURE:
	case COPRO_GH_CALL_MSGQ_BIND_SEND:
	case COPRO_GH_CALL_MSGQ_BIND_RECV:
	case COPRO_GH_CALL_MSGQ_UNBIND_SEND:
	case COPRO_GH_CALL_MSGQ_UNBIND_RECV:
	case COPRO_GH_CALL_BELL_BIND:
	case COPRO_GH_CALL_BELL_UNBIND:
		return CAPERRS;
	}
	return bit(COPRO_GH_UNIMPLEMENTED);
}

static bool takes_cap(unsigned call)
{
	return allowed(call) & CAPERRS;
}

/*
 * One hypercall from guest g: r in, results out. Checks what holds of
 * every answer; returns x0.
 */
static int64_t hvc(struct guest *g, struct copro_smccc_regs *r)
{
	struct copro_smccc_regs in = *r;
	unsigned call = (unsigned)(in.x[0] & 0xffff) - 0x8000;
	bool dead = g->port && !alive(g);
	int64_t e;

	if (copro_fw_call(g->p, COPRO_CONDUIT_HVC, &in, r))
		die("%s: the HVC conduit failed", g->name);
	e = (int64_t)r->x[0];
	if (!gh_shaped(in.x[0])) {
		if (e != COPRO_GH_UNIMPLEMENTED)
			die("%s: function 0x%" PRIx64 " is no Gunyah call, yet"
			    " it answered %" PRId64, g->name, in.x[0], e);
		return e;
	}
	fz.calls++;
	if (call == COPRO_GH_CALL_IDENTIFY) {
		if (r->x[0] != (COPRO_GH_API_V1 | COPRO_GH_API_64BIT) ||
		    r->x[1] != (COPRO_GH_FLAGS0_DOORBELL |
				COPRO_GH_FLAGS0_MSGQUEUE) || r->x[2] || r->x[3])
			die("%s: identify answered 0x%" PRIx64 " 0x%" PRIx64,
			    g->name, r->x[0], r->x[1]);
		return COPRO_GH_OK;
	}
	if (e)
		fz.errors++;
	if (!(allowed(call) & bit(e)))
		die("%s: hvc 0x%x (cap 0x%" PRIx64 ") answered %" PRId64
		    " (%s), not an answer of that call", g->name, call,
		    in.x[1], e, copro_gh_error_name(e));
	if (dead && takes_cap(call) && e != COPRO_GH_CSPACE_CAP_NULL)
		die("%s: its VM is gone, yet hvc 0x%x (cap 0x%" PRIx64 ")"
		    " through its machine answered %s", g->name, call,
		    in.x[1], copro_gh_error_name(e));
	if (e)
		return e;
	if (call == COPRO_GH_CALL_MSGQ_SEND && r->x[1] > 1)
		die("%s: msgq_send: not_full %" PRIu64, g->name, r->x[1]);
	if (call == COPRO_GH_CALL_MSGQ_RECV &&
	    (r->x[1] > in.x[3] || r->x[1] >= COPRO_GH_MSGQ_MAX_MSG_SIZE ||
	     r->x[2] > 1))
		die("%s: msgq_recv into %" PRIu64 " bytes: size %" PRIu64
		    ", not_empty %" PRIu64, g->name, in.x[3], r->x[1],
		    r->x[2]);
	return e;
}

/* ---- capabilities ------------------------------------------------------ */

NO_COV static struct shq *shq_find(int g, uint64_t cap)
{
	for (unsigned i = 0; i < fz.nq; i++) {
		struct shq *q = &fz.q[i];

		if ((q->tx == g && q->txcap == cap) ||
		    (q->rx == g && q->rxcap == cap))
			return q;
	}
	return NULL;
}

NO_COV static struct shb *shb_find(int g, uint64_t cap)
{
	for (unsigned i = 0; i < fz.nb; i++) {
		struct shb *b = &fz.bl[i];

		if ((b->tx == g && b->txcap == cap) ||
		    (b->rx == g && b->rxcap == cap))
			return b;
	}
	return NULL;
}

static void learn(struct guest *g);

/* What the actor knows of id. */
static struct capref classify(struct guest *g, uint64_t id)
{
	int gi = (int)(g - fz.g);
	/* Unknown: it may still be valid, for a queue of any size. */
	struct capref c = { .id = id,
			    .max_size = COPRO_GH_MSGQ_MAX_MSG_SIZE - 1 };

	if (id == g->rm.tx_capid || id == g->rm.rx_capid) {
		c.known = c.msgq = c.rm = true;
		c.tx = id == g->rm.tx_capid;
		c.max_size = COPRO_RM_MSGQ_SIZE;
		return c;
	}
	for (unsigned i = 0; i < g->nres; i++) {
		const struct res *r = &g->res[i];

		if (r->capid != id)
			continue;
		c.known = true;
		c.msgq = r->type == COPRO_GH_RSC_MSGQ_TX ||
			 r->type == COPRO_GH_RSC_MSGQ_RX;
		c.tx = r->type == COPRO_GH_RSC_MSGQ_TX ||
		       r->type == COPRO_GH_RSC_BELL_TX;
		c.q = shq_find(gi, id);
		c.b = shb_find(gi, id);
		if (c.q)
			c.max_size = c.q->max_size;
		break;
	}
	return c;
}

static uint64_t own_id(struct guest *g, unsigned i)
{
	unsigned n = g->nres + 2;

	i %= n;
	if (i == g->nres)
		return g->rm.tx_capid;
	if (i == g->nres + 1)
		return g->rm.rx_capid;
	return g->res[i].capid;
}

/* A capability selector: see the header. */
static struct capref cap_sel(struct guest *g, uint8_t s)
{
	static const uint64_t special[8] = {
		0, 1, 2, ~0ull, 0x100, 0x3100, 1ull << 63, 0xffffffffu,
	};
	uint64_t id;

	if (g->stale)
		learn(g);
	switch (s >> 5) {
	case 0:
	case 1:
	case 2:
		id = own_id(g, s & 31);
		break;
	case 3: {
		struct guest *o = &fz.g[(g - fz.g + 1 + (s & 1)) % NG];

		id = own_id(o, (s >> 1) & 15);
		break;
	}
	case 4:
		id = g->nold ? g->old[(s & 31) % g->nold] : own_id(g, s);
		break;
	case 5:
		id = special[s & 7];
		break;
	case 6:
		id = own_id(g, s & 3) ^ (1ull << ((s >> 2) & 7));
		break;
	default:
		id = own_id(g, s & 31) | (1ull << (32 + (s & 31)));
		break;
	}
	return classify(g, id);
}

/* ---- the shadow ------------------------------------------------------ */

/* The bytes of message `tag`. */
static uint8_t pattern(uint32_t tag, size_t i)
{
	return (uint8_t)(tag * 31u + i * 7u + (tag >> 8));
}

static void shadow_kill_vm(uint16_t vmid)
{
	for (unsigned i = 0; i < fz.nq; i++)
		if (fz.g[fz.q[i].tx].vmid == vmid ||
		    fz.g[fz.q[i].rx].vmid == vmid)
			fz.q[i].dead = true;
	for (unsigned i = 0; i < fz.nb; i++)
		if (fz.g[fz.bl[i].tx].vmid == vmid ||
		    fz.g[fz.bl[i].rx].vmid == vmid)
			fz.bl[i].dead = true;
}

/*
 * Gunyah's cspace answer for a call on a capability the actor holds, or
 * OK when the object must do the call's own checks.
 */
static int64_t cap_answer(const struct capref *c, unsigned call)
{
	bool want_msgq, want_send;

	switch (call) {
	case COPRO_GH_CALL_MSGQ_SEND:
	case COPRO_GH_CALL_MSGQ_CONF_SEND:
		want_msgq = want_send = true;
		break;
	case COPRO_GH_CALL_MSGQ_RECV:
	case COPRO_GH_CALL_MSGQ_FLUSH:
	case COPRO_GH_CALL_MSGQ_CONF_RECV:
		want_msgq = true;
		want_send = false;
		break;
	case COPRO_GH_CALL_BELL_SEND:
		want_msgq = false;
		want_send = true;
		break;
	case COPRO_GH_CALL_BELL_RECV:
	case COPRO_GH_CALL_BELL_MASK:
	case COPRO_GH_CALL_BELL_RESET:
		want_msgq = want_send = false;
		break;
	case COPRO_GH_CALL_BELL_BIND:
	case COPRO_GH_CALL_BELL_UNBIND:
		/* Rights the RM keeps: a VM's capabilities lack them. */
		return c->msgq ? COPRO_GH_CSPACE_WRONG_OBJ_TYPE
			       : COPRO_GH_CSPACE_INSUF_RIGHTS;
	default:
		return c->msgq ? COPRO_GH_CSPACE_INSUF_RIGHTS
			       : COPRO_GH_CSPACE_WRONG_OBJ_TYPE;
	}
	if (want_msgq != c->msgq)
		return COPRO_GH_CSPACE_WRONG_OBJ_TYPE;
	if (want_send != c->tx)
		return COPRO_GH_CSPACE_INSUF_RIGHTS;
	return COPRO_GH_OK;
}

static int64_t predict_send(const struct shq *q, uint64_t size,
			    uint64_t ptr, uint64_t flags)
{
	if (flags & ~(uint64_t)COPRO_GH_MSGQ_SEND_PUSH)
		return COPRO_GH_ARG_INVAL;
	if (q->n == q->depth)
		return COPRO_GH_MSGQUEUE_FULL;
	if (size > q->max_size)
		return COPRO_GH_ARG_SIZE;
	if (size && !ptr)
		return COPRO_GH_ADDR_INVAL;
	return COPRO_GH_OK;
}

static int64_t predict_recv(const struct shq *q, uint64_t ptr, uint64_t max)
{
	if (!q->n || q->stalled)
		return COPRO_GH_MSGQUEUE_EMPTY;
	if (q->fail_n)
		return q->fail_err;
	if (q->len[q->head] > max)
		return COPRO_GH_ARG_SIZE;
	if (q->len[q->head] && !ptr)
		return COPRO_GH_ADDR_INVAL;
	return COPRO_GH_OK;
}

static int64_t predict_conf(const struct shq *q, bool send, uint64_t thd,
			    uint64_t delay)
{
	if (delay != COPRO_GH_MSGQ_UNCHANGED)
		return COPRO_GH_UNIMPLEMENTED;
	if (send)
		return thd == COPRO_GH_MSGQ_UNCHANGED || thd < q->depth
			       ? COPRO_GH_OK
			       : COPRO_GH_ARG_INVAL;
	if (!thd || (thd > q->depth && thd != COPRO_GH_MSGQ_THRESHOLD_MAX &&
		     thd != COPRO_GH_MSGQ_UNCHANGED))
		return COPRO_GH_ARG_INVAL;
	return COPRO_GH_OK;
}

/* The doorbell's own answer, and its effect on the shadow (flags kept). */
static int64_t bell_apply(struct shb *b, unsigned call, uint64_t a,
			  uint64_t c, uint64_t *old)
{
	*old = b->flags;
	switch (call) {
	case COPRO_GH_CALL_BELL_SEND:
		if (!a)
			return COPRO_GH_ARG_INVAL;
		b->flags |= a;
		break;
	case COPRO_GH_CALL_BELL_RECV:
		if (!a)
			return COPRO_GH_ARG_INVAL;
		b->flags &= ~a;
		return COPRO_GH_OK;
	case COPRO_GH_CALL_BELL_MASK:
		b->enable = a;
		b->ack = c;
		break;
	default:
		b->flags = b->ack = 0;
		b->enable = ~0ull;
		return COPRO_GH_OK;
	}
	/* Acknowledged flags clear as the interrupt asserts. */
	if (b->flags & b->enable)
		b->flags &= ~b->ack;
	return COPRO_GH_OK;
}

/*
 * The answer the actor must get for `call` on c with arguments x2..x4,
 * or ANY. Revocation can come at any time (the RM's thread stops VMs):
 * the caller accepts CSPACE_CAP_REVOKED instead.
 */
static int64_t predict(const struct capref *c, unsigned call, uint64_t x2,
		       uint64_t x3, uint64_t x4)
{
	int64_t e;

	if (!c->known)
		return ANY;
	e = cap_answer(c, call);
	if (e || c->rm)
		return e ? e : ANY;
	if (c->q && !c->q->dead) {
		switch (call) {
		case COPRO_GH_CALL_MSGQ_SEND:
			return predict_send(c->q, x2, x3, x4);
		case COPRO_GH_CALL_MSGQ_RECV:
			return predict_recv(c->q, x2, x3);
		case COPRO_GH_CALL_MSGQ_FLUSH:
			return COPRO_GH_OK;
		default:
			return predict_conf(c->q,
					    call == COPRO_GH_CALL_MSGQ_CONF_SEND,
					    x2, x3);
		}
	}
	if (c->b && !c->b->dead) {
		struct shb copy = *c->b;
		uint64_t old;

		return bell_apply(&copy, call, x2, x3, &old);
	}
	return ANY;
}

/* The call succeeded on a shadowed queue: the shadow follows. */
static void shq_apply(struct guest *g, struct shq *q, unsigned call,
		      const struct copro_smccc_regs *in,
		      const struct copro_smccc_regs *out, const uint8_t *got)
{
	switch (call) {
	case COPRO_GH_CALL_MSGQ_SEND:
		q->len[(q->head + q->n) % q->depth] = (uint16_t)in->x[2];
		q->tag[(q->head + q->n) % q->depth] = fz.tag;
		q->n++;
		if (out->x[1] != (q->n < q->depth))
			die("%s: msgq_send: not_full %" PRIu64 " with %u of"
			    " %u queued", g->name, out->x[1], q->n, q->depth);
		break;
	case COPRO_GH_CALL_MSGQ_RECV: {
		unsigned len = q->len[q->head];
		uint32_t tag = q->tag[q->head];

		if (out->x[1] != len)
			die("%s: msgq_recv: %" PRIu64 " bytes, the message"
			    " sent had %u", g->name, out->x[1], len);
		for (unsigned i = 0; i < len; i++)
			if (got[i] != pattern(tag, i))
				die("%s: msgq_recv: byte %u of message %" PRIu32
				    " is 0x%02x, 0x%02x was sent", g->name, i,
				    tag, got[i], pattern(tag, i));
		q->head = (q->head + 1) % q->depth;
		q->n--;
		if (out->x[2] != (q->n != 0))
			die("%s: msgq_recv: not_empty %" PRIu64 " with %u"
			    " left", g->name, out->x[2], q->n);
		break;
	}
	case COPRO_GH_CALL_MSGQ_FLUSH:
		q->n = q->head = 0;
		break;
	}
}

/* Compares an answer with the prediction and updates the shadow. */
static void judge(struct guest *g, const struct capref *c, unsigned call,
		  int64_t want, const struct copro_smccc_regs *in,
		  const struct copro_smccc_regs *out, const uint8_t *got)
{
	int64_t e = (int64_t)out->x[0];

	if (want != ANY && e != want) {
		if (e == COPRO_GH_CSPACE_CAP_REVOKED && !c->rm) {
			if (c->q)
				c->q->dead = true;
			if (c->b)
				c->b->dead = true;
			return;
		}
		if (e == COPRO_GH_CSPACE_CAP_NULL && !alive(g))
			return;
		die("%s: hvc 0x%x on cap 0x%" PRIx64 " (x2 0x%" PRIx64
		    " x3 0x%" PRIx64 " x4 0x%" PRIx64 ") answered %s, %s"
		    " expected", g->name, call, c->id, in->x[2], in->x[3],
		    in->x[4], copro_gh_error_name(e),
		    copro_gh_error_name(want));
	}
	/* Only a call that reached the object changes it. */
	if (want == ANY || cap_answer(c, call))
		return;
	if (c->q && !c->q->dead) {
		if (call == COPRO_GH_CALL_MSGQ_RECV && c->q->fail_n &&
		    c->q->n && !c->q->stalled)
			c->q->fail_n--;
		if (!e)
			shq_apply(g, c->q, call, in, out, got);
	}
	if (c->b && !c->b->dead && !e) {
		uint64_t old;

		bell_apply(c->b, call, in->x[2], in->x[3], &old);
		if ((call == COPRO_GH_CALL_BELL_SEND ||
		     call == COPRO_GH_CALL_BELL_RECV) &&
		    out->x[1] != old)
			die("%s: doorbell call 0x%x returned old flags 0x%"
			    PRIx64 ", they were 0x%" PRIx64, g->name, call,
			    out->x[1], old);
	}
}

/* ---- the actor's memory ------------------------------------------------ */

/*
 * The bytes a call may read or write end where the buffer's allocation
 * ends. The unmapped page only where the model must not touch memory.
 */
static uint64_t buf_at(uint8_t *buf, uint64_t n, uint8_t mode, bool untouched)
{
	uint64_t k = n < BUF_SIZE ? n : BUF_SIZE;

	switch (mode % 8) {
	case 5:
		return 0;
	case 6:
	case 7:
		if (untouched)
			return (uint64_t)(uintptr_t)fz.wild + (mode & 0xf0);
		break;
	}
	return (uint64_t)(uintptr_t)(buf + BUF_SIZE - k);
}

/* ---- typed hypercalls ------------------------------------------------- */

static bool in_buf(const uint8_t *buf, uint64_t a)
{
	return a >= (uintptr_t)buf && a < (uintptr_t)(buf + BUF_SIZE);
}

/*
 * One message-queue or doorbell call from g on c, with x2..x4 (buffers
 * already placed), checked and shadowed.
 */
static int64_t call_on(struct guest *g, const struct capref *c, unsigned call,
		       uint64_t x2, uint64_t x3, uint64_t x4)
{
	struct copro_smccc_regs r = { { COPRO_GH_FN(call), c->id, x2, x3, x4 } };
	struct copro_smccc_regs in = r;
	const uint8_t *got = NULL;
	int64_t want, e;

	fz.rm_used |= c->rm;
	if (call == COPRO_GH_CALL_MSGQ_SEND && in_buf(fz.txbuf, x3)) {
		uint8_t *m = (uint8_t *)(uintptr_t)x3;
		size_t k = (size_t)(fz.txbuf + BUF_SIZE - m);

		fz.tag++;
		for (size_t i = 0; i < k; i++)
			m[i] = pattern(fz.tag, i);
	}
	if (call == COPRO_GH_CALL_MSGQ_RECV) {
		memset(fz.rxbuf, 0xee, BUF_SIZE);
		if (in_buf(fz.rxbuf, x2))
			got = (const uint8_t *)(uintptr_t)x2;
	}
	want = alive(g) ? predict(c, call, x2, x3, x4) : ANY;
	e = hvc(g, &r);
	if (call == COPRO_GH_CALL_MSGQ_RECV && !e && got) {
		/* Not a byte written past the message. */
		for (const uint8_t *p = fz.rxbuf; p < fz.rxbuf + BUF_SIZE; p++)
			if ((p < got || p >= got + r.x[1]) && *p != 0xee)
				die("%s: msgq_recv of %" PRIu64 " bytes wrote"
				    " byte %td of the buffer", g->name, r.x[1],
				    p - got);
	}
	judge(g, c, call, want, &in, &r, got);
	return e;
}

static uint64_t size_sel(const uint8_t *s)
{
	static const uint64_t special[12] = {
		0, 1, 239, 240, 241, 1023, 1024, 1ull << 16,
		1ull << 32, (1ull << 32) | 16, ~0ull, UINT64_MAX / 2,
	};
	uint16_t v = copro_get_le16(s);

	if (v & 0x8000)
		return special[v % 12];
	return v & 0x4000 ? v & 0x3fff : v & 0x3ff;
}

static uint64_t thd_sel(const struct capref *c, uint8_t t)
{
	unsigned depth = c->q ? c->q->depth : c->rm ? HYP_RM_DEPTH
						    : HYP_LINK_DEPTH;
	const uint64_t special[8] = {
		COPRO_GH_MSGQ_UNCHANGED, COPRO_GH_MSGQ_THRESHOLD_MAX, depth,
		depth - 1, depth + 1, (1ull << 32) | 1, ~0ull,
		(1ull << 32) | COPRO_GH_MSGQ_UNCHANGED,
	};

	return t < 0xf0 ? t % 0x40 : special[t & 7];
}

static uint64_t delay_sel(uint8_t d)
{
	static const uint64_t special[5] = {
		0, 1, COPRO_GH_MSGQ_THRESHOLD_MAX,
		(1ull << 32) | COPRO_GH_MSGQ_UNCHANGED, ~0ull,
	};

	return d < 0xc0 ? COPRO_GH_MSGQ_UNCHANGED : special[d % 5];
}

static uint64_t flags_sel(const uint8_t *s)
{
	uint16_t v = copro_get_le16(s);
	uint64_t x = v & 0xfff;

	switch (v >> 12) {
	case 0:
		return 0;
	case 1:
		return ~0ull;
	case 2:
		return x << 52;
	case 3:
		return ~(1ull << (x & 63));
	case 4:
		return x * 0x0001000100010001ull;
	case 5:
		return x;
	default:
		return 1ull << (x & 63);
	}
}

static void rec_send(struct guest *g, const uint8_t *r)
{
	struct capref c = cap_sel(g, r[0]);
	uint64_t size = size_sel(r + 1);
	uint64_t flags = (r[4] & 1) |
			 (r[4] & 0x80 ? 1ull << (1 + (r[4] >> 1) % 63) : 0);
	bool untouched = !size || size > c.max_size ||
			 (flags & ~(uint64_t)COPRO_GH_MSGQ_SEND_PUSH) ||
			 (!c.known && size >= COPRO_GH_MSGQ_MAX_MSG_SIZE);

	call_on(g, &c, COPRO_GH_CALL_MSGQ_SEND, size,
		buf_at(fz.txbuf, size, r[3], untouched), flags);
}

static void rec_recv(struct guest *g, const uint8_t *r)
{
	struct capref c = cap_sel(g, r[0]);
	uint64_t max = size_sel(r + 1);

	call_on(g, &c, COPRO_GH_CALL_MSGQ_RECV,
		buf_at(fz.rxbuf, max, r[3], !max), max, 0);
}

static void rec_conf(struct guest *g, const uint8_t *r)
{
	struct capref c = cap_sel(g, r[0]);

	call_on(g, &c, r[1] & 1 ? COPRO_GH_CALL_MSGQ_CONF_RECV
				: COPRO_GH_CALL_MSGQ_CONF_SEND,
		thd_sel(&c, r[2]), delay_sel(r[3]), 0);
}

static void rec_bell(struct guest *g, unsigned call, const uint8_t *r)
{
	struct capref c = cap_sel(g, r[0]);
	uint64_t a = 0, b = 0;

	if (call != COPRO_GH_CALL_BELL_RESET)
		a = flags_sel(r + 1);
	if (call == COPRO_GH_CALL_BELL_MASK)
		b = flags_sel(r + 3);
	call_on(g, &c, call, a, b, 0);
}

/*
 * A RAW record's function id: fn's low 6 bits the call number, the top 2
 * the encoding (Linux's, the hypervisor's own 0x6000 + n, SMC32, high
 * bits set).
 */
static uint64_t raw_fn(uint8_t fn, uint8_t hi)
{
	unsigned n = fn & 0x3f;

	switch (fn >> 6) {
	case 0:
		return COPRO_GH_FN(n);
	case 1:
		return 0xc6000000u | (0x6000u + n);
	case 2:
		return 0x86000000u | (0x8000u + n);
	}
	return COPRO_GH_FN(n) | (uint64_t)(hi | 1) << 32;
}

static bool shadowed_call(unsigned n)
{
	switch (n) {
	case COPRO_GH_CALL_MSGQ_FLUSH:
	case COPRO_GH_CALL_MSGQ_CONF_SEND:
	case COPRO_GH_CALL_MSGQ_CONF_RECV:
	case COPRO_GH_CALL_BELL_SEND:
	case COPRO_GH_CALL_BELL_RECV:
	case COPRO_GH_CALL_BELL_MASK:
	case COPRO_GH_CALL_BELL_RESET:
		return true;
	}
	return false;
}

/*
 * Any function id with raw 64-bit arguments. Calls with buffers get the
 * actor's (which hold any length the model may take); the typed path
 * keeps the shadow of what they do.
 */
static void rec_raw(struct guest *g, const uint8_t *r)
{
	unsigned n = r[0] & 0x3f;
	struct capref c = cap_sel(g, r[1]);
	uint64_t x2 = copro_get_le64(r + 2), x3 = copro_get_le64(r + 10);
	struct copro_smccc_regs regs = {
		{ raw_fn(r[0], r[18]), c.id, x2, x3, r[18] }
	};
	struct copro_smccc_regs in = regs;
	bool linux_form = !(r[0] >> 6);
	int64_t want = ANY;

	if (linux_form && n == COPRO_GH_CALL_MSGQ_SEND) {
		call_on(g, &c, n, x2, (uint64_t)(uintptr_t)fz.txbuf, r[18]);
		return;
	}
	if (linux_form && n == COPRO_GH_CALL_MSGQ_RECV) {
		call_on(g, &c, n, (uint64_t)(uintptr_t)fz.rxbuf, x3, 0);
		return;
	}
	if (linux_form && shadowed_call(n)) {
		call_on(g, &c, n, x2, x3, r[18]);
		return;
	}
	/* Nothing here takes a buffer: the call cannot touch memory. */
	if (linux_form && takes_cap(n) && alive(g))
		want = predict(&c, n, x2, x3, 0);
	hvc(g, &regs);
	if (linux_form && takes_cap(n))
		judge(g, &c, n, want, &in, &regs, NULL);
}

/* ---- the RM RPC, as a guest speaks it ---------------------------------- */

static bool rm_error_ok(uint32_t e)
{
	switch (e) {
	case COPRO_RM_OK:
	case COPRO_RM_NOMEM:
	case COPRO_RM_NORESOURCE:
	case COPRO_RM_DENIED:
	case COPRO_RM_BUSY:
	case COPRO_RM_ARGUMENT_INVALID:
	case COPRO_RM_VMID_INVALID:
	case COPRO_RM_UNIMPLEMENTED:
		return true;
	}
	return false;
}

/* One fragment to the RM; the answer. */
static int64_t rm_tx(struct guest *g, const uint8_t *m, size_t len)
{
	struct capref c = classify(g, g->rm.tx_capid);

	fz.rm_used = true;
	memcpy(fz.txbuf + BUF_SIZE - len, m, len);
	/* The harness's bytes, not a shadowed message: no pattern. */
	struct copro_smccc_regs r = {
		{ COPRO_GH_FN(COPRO_GH_CALL_MSGQ_SEND), c.id, len,
		  (uint64_t)(uintptr_t)(fz.txbuf + BUF_SIZE - len),
		  COPRO_GH_MSGQ_SEND_PUSH }
	};

	return hvc(g, &r);
}

/* Every fragment from the RM must be well formed. */
static void rm_check_frag(struct guest *g, const uint8_t *m, size_t len)
{
	unsigned type = m[1] & COPRO_RM_TYPE_MASK;

	if (len < COPRO_RM_HDR_SIZE || len > COPRO_RM_MSGQ_SIZE ||
	    m[0] != COPRO_RM_API || type == COPRO_RM_REQUEST ||
	    (type == COPRO_RM_REPLY && len < COPRO_RM_REPLY_HDR_SIZE) ||
	    (m[1] >> COPRO_RM_FRAGS_SHIFT) > COPRO_RM_MAX_FRAGS)
		die("%s: the RM sent a malformed %zu-byte fragment (%02x %02x)",
		    g->name, len, m[0], m[1]);
}

/* A fragment into g's reassembly: true when a message is complete. */
static bool rm_asm_feed(struct guest *g, const uint8_t *m, size_t len)
{
	struct rm_asm *a = &g->as;
	unsigned type = m[1] & COPRO_RM_TYPE_MASK;
	unsigned frags = m[1] >> COPRO_RM_FRAGS_SHIFT;
	uint16_t seq = copro_get_le16(m + 2);
	uint32_t id = copro_get_le32(m + 4);

	if (type != COPRO_RM_CONTINUATION) {
		size_t h = type == COPRO_RM_REPLY ? COPRO_RM_REPLY_HDR_SIZE
						  : COPRO_RM_HDR_SIZE;

		a->type = (uint8_t)type;
		a->seq = seq;
		a->id = id;
		a->err = type == COPRO_RM_REPLY ? copro_get_le32(m + 8) : 0;
		a->left = frags;
		a->len = len - h;
		memcpy(a->buf, m + h, a->len);
		a->active = true;
	} else {
		/* A message cut short (the guest flushed its queue). */
		if (!a->active || !a->left || seq != a->seq || id != a->id) {
			a->active = false;
			return false;
		}
		memcpy(a->buf + a->len, m + COPRO_RM_HDR_SIZE,
		       len - COPRO_RM_HDR_SIZE);
		a->len += len - COPRO_RM_HDR_SIZE;
		a->left--;
	}
	if (!a->active || a->left)
		return false;
	a->active = false;
	if (a->type == COPRO_RM_NOTIF &&
	    ((a->id != COPRO_RM_NOTIF_VM_EXITED &&
	      a->id != COPRO_RM_NOTIF_VM_STATUS) || a->len != 8))
		die("%s: the RM sent notification 0x%08" PRIx32 " of %zu"
		    " bytes", g->name, a->id, a->len);
	if (a->type == COPRO_RM_REPLY && !rm_error_ok(a->err))
		die("%s: the RM answered 0x%08" PRIx32 " with error 0x%"
		    PRIx32, g->name, a->id, a->err);
	return true;
}

/*
 * Receives one fragment from the RM: 1 a message is complete (in g->as),
 * 0 a fragment, -1 nothing (empty, or an injected failure).
 */
static int rm_rx(struct guest *g)
{
	struct capref c = classify(g, g->rm.rx_capid);
	uint8_t *buf = fz.rxbuf + BUF_SIZE - COPRO_RM_MSGQ_SIZE;

	fz.rm_used = true;
	memset(fz.rxbuf, 0xee, BUF_SIZE);
	struct copro_smccc_regs r = {
		{ COPRO_GH_FN(COPRO_GH_CALL_MSGQ_RECV), c.id,
		  (uint64_t)(uintptr_t)buf, COPRO_RM_MSGQ_SIZE }
	};

	if (hvc(g, &r))
		return -1;
	rm_check_frag(g, buf, r.x[1]);
	return rm_asm_feed(g, buf, r.x[1]);
}

/*
 * A whole RM call from g, waited for (at most WAIT_NS: the RM must
 * answer whatever the other guests do). The reply's error; its payload
 * in out (up to *len bytes).
 */
static uint32_t rm_call(struct guest *g, uint32_t id, const uint8_t *p,
			size_t plen, uint8_t *out, size_t *len)
{
	uint16_t seq = (uint16_t)(SEQ_OWN | (g->seq++ & 0x7fff));
	uint64_t until = copro_time_ns() + WAIT_NS;
	uint8_t m[COPRO_RM_MSGQ_SIZE] = { COPRO_RM_API, COPRO_RM_REQUEST };
	bool sent = false;

	copro_put_le16(m + 2, seq);
	copro_put_le32(m + 4, id);
	memcpy(m + COPRO_RM_HDR_SIZE, p, plen);
	/* Its own RM queues without the faults an input injected. */
	copro_sim_hyp_msgq_stall(fz.h, g->vmid, g->rm.tx_capid, false);
	copro_sim_hyp_msgq_stall(fz.h, g->vmid, g->rm.rx_capid, false);
	copro_sim_hyp_msgq_fail_recv(fz.h, g->vmid, g->rm.rx_capid,
				     COPRO_GH_ARG_INVAL, 0);
	for (unsigned i = 0;; i++) {
		int64_t e;
		int got;

		if (!sent) {
			e = rm_tx(g, m, COPRO_RM_HDR_SIZE + plen);
			if (e && e != COPRO_GH_MSGQUEUE_FULL)
				die("%s: its RM queue answered %s", g->name,
				    copro_gh_error_name(e));
			sent = !e;
		}
		/* As a driver: when its interrupt says so (or now and then). */
		if (sent && i % 64 && !copro_bus_irq_get(g->bus, g->rm.rx_virq)) {
			pause_a_little(i);
			continue;
		}
		while ((got = rm_rx(g)) >= 0) {
			struct rm_asm *a = &g->as;

			if (got && a->type == COPRO_RM_REPLY && a->seq == seq &&
			    a->id == id) {
				size_t n = a->len < *len ? a->len : *len;

				memcpy(out, a->buf, n);
				*len = a->len;
				return a->err;
			}
		}
		if (copro_time_ns() > until)
			die("%s: no answer from the RM to 0x%08" PRIx32
			    " within %lld s", g->name, id,
			    WAIT_NS / COPRO_NSEC_PER_SEC);
		pause_a_little(i);
	}
}

/* ---- the model's state ------------------------------------------------- */

NO_COV static struct hyp_cap *cap_of(struct hyp_vm *vm, uint64_t id)
{
	for (unsigned i = 0; vm && i < vm->ncaps; i++)
		if (vm->caps[i].id == id)
			return &vm->caps[i];
	return NULL;
}

NO_COV static bool rm_idle(void)
{
	bool idle = !fz.h->notifs;

	for (unsigned i = 0; i < HYP_MAX_VMS; i++) {
		struct hyp_vm *vm = fz.h->vms[i];

		/* A stalled queue holds its requests until released. */
		if (vm && vm->to_rm && vm->to_rm->count && !vm->to_rm->stalled)
			idle = false;
	}
	return idle;
}

static void wait_rm_idle(void)
{
	uint64_t until = copro_time_ns() + WAIT_NS;

	for (unsigned i = 0;; i++) {
		bool idle;

		lock();
		idle = rm_idle();
		unlock();
		if (idle)
			return;
		if (copro_time_ns() > until)
			die("the RM still has work after %lld s",
			    WAIT_NS / COPRO_NSEC_PER_SEC);
		pause_a_little(i);
	}
}

NO_COV static bool vm_listed(struct hyp_vm *vm)
{
	for (unsigned i = 0; i < HYP_MAX_VMS; i++)
		if (fz.h->vms[i] == vm)
			return true;
	return false;
}

NO_COV static bool obj_listed(struct hyp_obj *o)
{
	for (struct hyp_obj *p = fz.h->objs; p; p = p->next)
		if (p == o)
			return true;
	return false;
}

struct line_use {
	const struct hyp_vm *vm;
	unsigned line;
};

NO_COV static void check_virq(const struct hyp_virq *v, struct line_use *used,
		       unsigned *n)
{
	if (v->rm || !v->vm)
		return;
	if (!vm_listed(v->vm))
		die("an interrupt goes to a VM that is gone");
	if (v->line >= COPRO_BUS_IRQ_LINES)
		die("vm %u: virq %u: beyond the machine's %u lines",
		    v->vm->vmid, v->line, COPRO_BUS_IRQ_LINES);
	for (unsigned i = 0; i < *n; i++)
		if (used[i].vm == v->vm && used[i].line == v->line)
			die("vm %u: virq %u is bound to two sources",
			    v->vm->vmid, v->line);
	used[(*n)++] = (struct line_use){ v->vm, v->line };
	if (v->vm->port &&
	    copro_bus_irq_get(v->vm->port->bus, v->line) != v->pending)
		die("vm %u: line %u is %s, its latch %s", v->vm->vmid, v->line,
		    v->pending ? "low" : "high",
		    v->pending ? "set" : "clear");
}

NO_COV static void check_msgq(const struct hyp_msgq *q, bool lost)
{
	if (!q->depth || q->depth >= COPRO_GH_MSGQ_MAX_DEPTH || !q->max_size ||
	    q->max_size >= COPRO_GH_MSGQ_MAX_MSG_SIZE)
		die("a queue of depth %u, size %u", q->depth, q->max_size);
	if (q->count > q->depth || q->head >= q->depth)
		die("a queue of depth %u holds %u from %u", q->depth, q->count,
		    q->head);
	for (unsigned i = 0; i < q->count; i++)
		if (q->len[(q->head + i) % q->depth] > q->max_size)
			die("a %u-byte message in a queue of %u-byte ones",
			    q->len[(q->head + i) % q->depth], q->max_size);
	if (!q->notempty_thd || q->notempty_thd > q->depth ||
	    q->notfull_thd >= q->depth)
		die("thresholds %u/%u on a queue of depth %u",
		    q->notempty_thd, q->notfull_thd, q->depth);
	if (q->rx_irq.pending && (!q->count || q->stalled))
		die("not-empty asserted on an empty or stalled queue");
	if (q->tx_irq.pending && q->count > q->notfull_thd)
		die("not-full asserted with %u of %u queued (threshold %u)",
		    q->count, q->depth, q->notfull_thd);
	/* No interrupt missed, unless one was lost on purpose. */
	if (!lost && q->rx_irq.vm && !q->rx_irq.pending && !q->stalled &&
	    q->count >= q->notempty_thd && q->count < q->depth)
		die("%u queued, threshold %u, not-empty low", q->count,
		    q->notempty_thd);
}

NO_COV static void check_vm(const struct hyp_vm *vm)
{
	if (vm->ncaps > vm->capcaps)
		die("vm %u: %u capabilities in a table of %u", vm->vmid,
		    vm->ncaps, vm->capcaps);
	for (unsigned i = 0; i < vm->ncaps; i++) {
		const struct hyp_cap *c = &vm->caps[i];

		if (!c->id)
			die("vm %u: capability id 0", vm->vmid);
		if (!c->obj)
			continue;
		if (!obj_listed(c->obj))
			die("vm %u: cap 0x%" PRIx64 " names a freed object",
			    vm->vmid, c->id);
		for (unsigned j = 0; j < vm->ncaps; j++)
			if (j != i && vm->caps[j].id == c->id)
				die("vm %u: cap 0x%" PRIx64 " twice", vm->vmid,
				    c->id);
	}
	if (vm->rx.frags_left > COPRO_RM_MAX_FRAGS ||
	    vm->rx.len > COPRO_RM_MAX_PAYLOAD)
		die("vm %u: the RM reassembles %zu bytes, %u to come",
		    vm->vmid, vm->rx.len, vm->rx.frags_left);
}

/* The model's invariants (its lock taken). */
NO_COV static void check_model(void)
{
	static struct line_use used[4 * 1024];
	struct copro_sim_hyp_stats st;
	unsigned n = 0, nobj = 0;
	bool lost;

	lock();
	st = fz.h->st;
	lost = st.virq_lost != fz.st.virq_lost;
	for (unsigned i = 0; i < HYP_MAX_VMS; i++) {
		const struct hyp_vm *vm = fz.h->vms[i];

		if (!vm)
			continue;
		for (unsigned j = 0; j < i; j++)
			if (fz.h->vms[j] && fz.h->vms[j]->vmid == vm->vmid)
				die("two VMs %u", vm->vmid);
		check_vm(vm);
	}
	for (struct hyp_obj *o = fz.h->objs; o; o = o->next) {
		if (++nobj > 1000)
			die("more than 1000 objects (a loop?)");
		if (!vm_listed(o->owner) || (o->peer && !vm_listed(o->peer)))
			die("an object of a VM that is gone");
		if (o->type == OBJ_MSGQ) {
			struct hyp_msgq *q = (struct hyp_msgq *)o;

			check_msgq(q, lost);
			check_virq(&q->tx_irq, used, &n);
			check_virq(&q->rx_irq, used, &n);
		} else if (o->type == OBJ_BELL) {
			check_virq(&((struct hyp_bell *)o)->irq, used, &n);
		} else {
			die("an object of type %d", o->type);
		}
	}
	unlock();
}

/* ---- guests and VMs ---------------------------------------------------- */

/* id is in vmid's table; and still names an object (if live). */
NO_COV static bool cap_valid(uint16_t vmid, uint64_t id, bool live)
{
	struct hyp_cap *c;
	bool ok;

	lock();
	c = cap_of(hyp_vm_find(fz.h, vmid), id);
	ok = c && (c->obj || !live);
	unlock();
	return ok;
}

/* The guest asks the RM for its own capabilities. */
static void learn(struct guest *g)
{
	static uint8_t out[COPRO_RM_MAX_PAYLOAD];
	uint8_t p[4] = { 0 };
	size_t len = sizeof(out);
	struct res prev[MAX_RES];
	unsigned nprev = g->nres;
	uint32_t e, n;

	g->stale = false;
	if (!alive(g))
		return;
	memcpy(prev, g->res, sizeof(prev));
	copro_put_le16(p, g->vmid);
	e = rm_call(g, COPRO_RM_VM_GET_HYP_RESOURCES, p, 4, out, &len);
	if (e)
		die("%s: VM_GET_HYP_RESOURCES about itself: error 0x%" PRIx32,
		    g->name, e);
	n = len >= 4 ? copro_get_le32(out) : 0;
	if (len != 4 + (size_t)n * COPRO_RM_RSC_ENTRY_SIZE)
		die("%s: VM_GET_HYP_RESOURCES: %zu bytes for %" PRIu32
		    " entries", g->name, len, n);
	g->nres = 0;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e8 = out + 4 + i * COPRO_RM_RSC_ENTRY_SIZE;
		struct res r = {
			.type = e8[0],
			.partner = copro_get_le16(e8 + 2),
			.capid = copro_get_le64(e8 + 12),
			.virq = copro_get_le32(e8 + 24),
		};

		if (r.type > COPRO_GH_RSC_MSGQ_RX ||
		    (r.virq == COPRO_GH_VIRQ_NONE) !=
			    (r.type == COPRO_GH_RSC_BELL_TX) ||
		    (r.virq != COPRO_GH_VIRQ_NONE &&
		     r.virq >= COPRO_BUS_IRQ_LINES))
			die("%s: the RM lists a resource of type %u, virq %"
			    PRIu32, g->name, r.type, r.virq);
		if (!cap_valid(g->vmid, r.capid, false))
			die("%s: the RM lists cap 0x%" PRIx64 ", not one of"
			    " its own", g->name, r.capid);
		if (g->nres < MAX_RES)
			g->res[g->nres++] = r;
	}
	/* What it held and no longer does is revoked (or null) now. */
	for (unsigned i = 0; i < nprev; i++) {
		bool kept = false;

		for (unsigned j = 0; j < g->nres; j++)
			kept |= g->res[j].capid == prev[i].capid;
		if (!kept && g->nold < MAX_OLD)
			g->old[g->nold++] = prev[i].capid;
	}
}

static const struct res *res_to(const struct guest *g, uint16_t partner,
				enum copro_gh_rsc_type type)
{
	for (unsigned i = 0; i < g->nres; i++)
		if (g->res[i].partner == partner && g->res[i].type == type)
			return &g->res[i];
	return NULL;
}

/* The link queues' and doorbells' shadows, fresh. */
static void shadows_build(void)
{
	fz.nq = fz.nb = 0;
	for (int x = 0; x < NG; x++) {
		for (int y = 0; y < NG; y++) {
			const struct guest *gx = &fz.g[x], *gy = &fz.g[y];
			const struct res *t, *r;

			if (x == y)
				continue;
			t = res_to(gx, gy->vmid, COPRO_GH_RSC_MSGQ_TX);
			r = res_to(gy, gx->vmid, COPRO_GH_RSC_MSGQ_RX);
			if (!t || !r)
				die("no link queue from %s to %s", gx->name,
				    gy->name);
			struct shq *q = &fz.q[fz.nq++];
			struct hyp_cap *c;

			memset(q, 0, sizeof(*q));
			q->tx = x;
			q->rx = y;
			q->txcap = t->capid;
			q->rxcap = r->capid;
			lock();
			c = cap_of(hyp_vm_find(fz.h, gx->vmid), t->capid);
			if (!c || !c->obj || c->obj->type != OBJ_MSGQ)
				die("%s: its link queue to %s has gone",
				    gx->name, gy->name);
			q->depth = ((struct hyp_msgq *)c->obj)->depth;
			q->max_size = ((struct hyp_msgq *)c->obj)->max_size;
			unlock();
			t = res_to(gx, gy->vmid, COPRO_GH_RSC_BELL_TX);
			r = res_to(gy, gx->vmid, COPRO_GH_RSC_BELL_RX);
			if (!t || !r)
				die("no doorbell from %s to %s", gx->name,
				    gy->name);
			fz.bl[fz.nb++] = (struct shb){
				.tx = x, .rx = y, .txcap = t->capid,
				.rxcap = r->capid, .enable = ~0ull,
			};
		}
	}
}

static uint32_t vm_call(struct guest *g, uint32_t id, uint16_t vmid,
			uint8_t *out, size_t *len)
{
	uint8_t p[4] = { 0 };
	uint8_t dummy[8];
	size_t dlen = sizeof(dummy);

	copro_put_le16(p, vmid);
	if (!out) {
		out = dummy;
		len = &dlen;
	}
	return rm_call(g, id, p, sizeof(p), out, len);
}

/* vm-a or vm-b: allocated, given its machine, started by the primary. */
static void vm_create(struct guest *g)
{
	uint8_t out[8];
	size_t len = sizeof(out);
	struct hyp_vm *vm;
	uint32_t e;

	e = vm_call(&fz.g[PRIM], COPRO_RM_VM_ALLOC_VMID, 0, out, &len);
	if (e || len != 4)
		die("the primary cannot allocate %s: error 0x%" PRIx32,
		    g->name, e);
	g->vmid = copro_get_le16(out);
	if (copro_sim_hyp_attach(fz.h, g->vmid, g->bus, &g->rm))
		die("%s: cannot attach its machine", g->name);
	lock();
	vm = hyp_vm_find(fz.h, g->vmid);
	g->port = vm ? vm->port : NULL;
	unlock();
	memset(&g->as, 0, sizeof(g->as));
	g->nres = g->nold = 0;
	e = vm_call(&fz.g[PRIM], COPRO_RM_VM_START, g->vmid, NULL, NULL);
	if (e)
		die("the primary cannot start %s: error 0x%" PRIx32, g->name,
		    e);
}

struct vm_info {
	uint16_t vmid, owner;
	enum hyp_vm_state state;
	const void *port;
};

static unsigned vms_list(struct vm_info *v)
{
	unsigned n = 0;

	lock();
	for (unsigned i = 0; i < HYP_MAX_VMS; i++) {
		struct hyp_vm *vm = fz.h->vms[i];

		if (vm)
			v[n++] = (struct vm_info){ vm->vmid, vm->owner,
						   vm->state, vm->port };
	}
	unlock();
	return n;
}

static struct guest *guest_of(uint16_t vmid)
{
	for (int i = 0; i < NG; i++)
		if (fz.g[i].vmid == vmid && alive(&fz.g[i]))
			return &fz.g[i];
	return NULL;
}

/* A VM goes: stopped (if running) and deallocated by its owner. */
static void vm_remove(const struct vm_info *v)
{
	struct guest *owner = guest_of(v->owner);
	uint32_t e;

	if (!owner)
		die("VM %u is left over: its owner %u is gone, and nobody"
		    " may deallocate it", v->vmid, v->owner);
	if (v->state == VM_RUNNING) {
		e = vm_call(owner, COPRO_RM_VM_STOP, v->vmid, NULL, NULL);
		if (e)
			die("%s cannot stop VM %u: error 0x%" PRIx32,
			    owner->name, v->vmid, e);
	}
	e = vm_call(owner, COPRO_RM_VM_DEALLOC_VMID, v->vmid, NULL, NULL);
	if (e)
		die("%s cannot deallocate VM %u: error 0x%" PRIx32,
		    owner->name, v->vmid, e);
}

/* Every VM but the primary goes; vm-a and vm-b come back. */
static void rebuild(void)
{
	struct vm_info v[HYP_MAX_VMS];
	unsigned n = vms_list(v);

	/* VMs the guests allocated first, while their owners exist. */
	for (unsigned i = 0; i < n; i++) {
		bool guest = false;

		for (int k = 0; k < NG; k++)
			guest |= v[i].vmid == fz.g[k].vmid &&
				 v[i].port == fz.g[k].port;
		if (!guest)
			vm_remove(&v[i]);
	}
	for (int k = VMA; k < NG; k++) {
		for (unsigned i = 0; i < n; i++)
			if (v[i].vmid == fz.g[k].vmid &&
			    v[i].port == fz.g[k].port && fz.g[k].port)
				vm_remove(&v[i]);
		if (fz.g[k].port)
			copro_sim_hyp_detach(fz.h, fz.g[k].vmid);
		fz.g[k].port = NULL;
	}
	n = vms_list(v);
	if (n != 1)
		die("%u VMs left besides the primary", n - 1);
	for (int k = VMA; k < NG; k++)
		vm_create(&fz.g[k]);
	for (int k = 0; k < NG; k++) {
		fz.g[k].nold = 0;
		learn(&fz.g[k]);
	}
	shadows_build();
}

/* ---- RM records -------------------------------------------------------- */

static uint16_t vm_sel(uint8_t t)
{
	switch (t & 7) {
	case 0:
		return COPRO_SIM_HYP_PRIMARY_VMID;
	case 1:
		return fz.g[VMA].vmid;
	case 2:
		return fz.g[VMB].vmid;
	case 3:
		return fz.extra ? fz.extra : 0x50;
	case 4:
		return 0;
	case 5:
		return COPRO_SIM_HYP_RM_VMID;
	case 6:
		return 0xfffe;
	}
	return (uint16_t)(0x40 + (t >> 3));
}

static uint32_t msg_sel(uint8_t m)
{
	static const uint32_t ids[10] = {
		COPRO_RM_VM_ALLOC_VMID, COPRO_RM_VM_DEALLOC_VMID,
		COPRO_RM_VM_START, COPRO_RM_VM_STOP,
		COPRO_RM_VM_GET_HYP_RESOURCES, COPRO_RM_VM_GET_VMID,
		COPRO_RM_NOTIF_VM_EXITED, COPRO_RM_NOTIF_VM_STATUS, 0,
		0x560000ff,
	};

	if (m == 0xff)
		return fz.raw_id;
	return m < 0xf0 ? ids[m % 10] : 0x56000000u | m;
}

/* Any request a VM may send: the RM runs it on its own time. */
static void rec_rmreq(struct guest *g, const uint8_t *r)
{
	uint8_t m[COPRO_RM_MSGQ_SIZE + 16] = { 0 };
	size_t len = COPRO_RM_HDR_SIZE + (r[6] % (COPRO_RM_MSGQ_SIZE + 9));
	uint16_t vmid = r[5] ? (uint16_t)(r[4] | r[5] << 8) : vm_sel(r[4]);

	fz.raw_id = msg_sel(r[0]);
	fz.raw_seq = r[1] == 0xff ? fz.raw_seq : r[1];
	m[0] = r[3] < 0xf0 ? COPRO_RM_API : r[3];
	m[1] = (uint8_t)(((r[2] & 0x40) ? (r[2] & 0x3f) << 2 : 0) |
			 ((r[2] & 0x80) ? (r[2] & 3) : COPRO_RM_REQUEST));
	copro_put_le16(m + 2, fz.raw_seq);
	copro_put_le32(m + 4, fz.raw_id);
	copro_put_le16(m + 8, vmid);
	rm_tx(g, m, len);
}

static void rec_rmcont(struct guest *g, const uint8_t *r)
{
	uint8_t m[COPRO_RM_MSGQ_SIZE + 16] = { 0 };
	size_t len = COPRO_RM_HDR_SIZE + (r[3] % (COPRO_RM_MSGQ_SIZE + 9));

	m[0] = COPRO_RM_API;
	m[1] = (uint8_t)((r[2] & 0x3f) << COPRO_RM_FRAGS_SHIFT);
	copro_put_le16(m + 2, r[1] == 0xff ? fz.raw_seq : r[1]);
	copro_put_le32(m + 4, msg_sel(r[0]));
	memset(m + COPRO_RM_HDR_SIZE, r[3], len - COPRO_RM_HDR_SIZE);
	rm_tx(g, m, len);
}

static void rec_rmpoll(struct guest *g, uint8_t n)
{
	for (unsigned i = 0; i <= n % 16u; i++)
		if (rm_rx(g) < 0)
			break;
}

/* Whose VM vmid is: the owner's id, or 0 for no such VM. */
static uint16_t owner_of(uint16_t vmid)
{
	struct hyp_vm *vm;
	uint16_t o;

	lock();
	vm = hyp_vm_find(fz.h, vmid);
	o = vm ? vm->owner : 0;
	unlock();
	return o;
}

static void vmop_check_resources(struct guest *g, const uint8_t *out,
				 size_t len)
{
	uint32_t n = len >= 4 ? copro_get_le32(out) : 0;

	if (len != 4 + (size_t)n * COPRO_RM_RSC_ENTRY_SIZE)
		die("%s: VM_GET_HYP_RESOURCES: %zu bytes for %" PRIu32
		    " entries", g->name, len, n);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t id = copro_get_le64(out + 4 +
					     i * COPRO_RM_RSC_ENTRY_SIZE + 12);

		/* Revoked since by a stop the RM ran after: not an error. */
		struct hyp_cap *c;

		lock();
		c = cap_of(hyp_vm_find(fz.h, g->vmid), id);
		unlock();
		if (!c)
			die("%s: the RM lists cap 0x%" PRIx64 ", which is not"
			    " in its table", g->name, id);
	}
}

/*
 * A well-formed RM call, waited for: op's low 3 bits the call, 0x08 a
 * 2-byte payload, 0x10 none. Only a target's owner may start, stop or
 * deallocate it.
 */
static void rec_vmop(struct guest *g, const uint8_t *r)
{
	static const uint32_t ids[6] = {
		COPRO_RM_VM_ALLOC_VMID, COPRO_RM_VM_START, COPRO_RM_VM_STOP,
		COPRO_RM_VM_DEALLOC_VMID, COPRO_RM_VM_GET_HYP_RESOURCES,
		COPRO_RM_VM_GET_VMID,
	};
	static uint8_t out[COPRO_RM_MAX_PAYLOAD];
	uint32_t id = ids[(r[0] & 7) % 6];
	uint16_t vmid = vm_sel(r[1]);
	uint16_t owner;
	uint8_t p[4] = { 0 };
	size_t plen = r[0] & 0x10 ? 0 : r[0] & 0x08 ? 2 : 4;
	size_t len = sizeof(out);
	uint32_t e;

	if (!alive(g))
		return;
	/* What the actor sent before runs first: owners are known then. */
	wait_rm_idle();
	owner = owner_of(vmid);
	copro_put_le16(p, vmid);
	e = rm_call(g, id, p, plen, out, &len);
	if (e)
		return;
	switch (id) {
	case COPRO_RM_VM_ALLOC_VMID:
		if (len != 4)
			die("%s: VM_ALLOC_VMID: %zu-byte reply", g->name, len);
		fz.extra = copro_get_le16(out);
		fz.dirty = true;
		break;
	case COPRO_RM_VM_START:
	case COPRO_RM_VM_STOP:
	case COPRO_RM_VM_DEALLOC_VMID:
		if (owner != g->vmid)
			die("%s: the RM let it 0x%08" PRIx32 " VM %u, owned by"
			    " %u", g->name, id, vmid, owner);
		fz.dirty = true;
		if (id != COPRO_RM_VM_START) {
			shadow_kill_vm(vmid);
			break;
		}
		/* New links: the guests learn their capabilities again. */
		for (int k = 0; k < NG; k++)
			fz.g[k].stale = true;
		break;
	case COPRO_RM_VM_GET_HYP_RESOURCES:
		vmop_check_resources(g, out, len);
		break;
	default:
		if (len != 4 || copro_get_le16(out) != g->vmid)
			die("%s: VM_GET_VMID: %zu bytes, VM %u", g->name, len,
			    len >= 2 ? copro_get_le16(out) : 0);
		break;
	}
}

/* ---- faults, steps ----------------------------------------------------- */

static void set_stall(struct guest *g, const struct capref *c, bool on)
{
	int ret = copro_sim_hyp_msgq_stall(fz.h, g->vmid, c->id, on);

	if (!ret && c->q && !c->q->dead)
		c->q->stalled = on;
}

static void set_fail(struct guest *g, const struct capref *c, uint8_t arg)
{
	static const int64_t errs[10] = {
		COPRO_GH_ARG_INVAL, COPRO_GH_ARG_SIZE, COPRO_GH_ADDR_INVAL,
		COPRO_GH_CSPACE_CAP_REVOKED, COPRO_GH_MSGQUEUE_FULL,
		COPRO_GH_UNIMPLEMENTED, COPRO_GH_OK, COPRO_GH_MSGQUEUE_EMPTY,
		0x1234, -100,
	};
	int64_t err = errs[(arg >> 3) % 10];
	int ret;

	/*
	 * Not on the RM's own receive: its thread would retry at its idle
	 * pace (100 ms), a slow input with nothing to find.
	 */
	if (c->id == g->rm.tx_capid)
		return;
	ret = copro_sim_hyp_msgq_fail_recv(fz.h, g->vmid, c->id, err, arg & 7);
	if (ret)
		return;
	if (!bit(err) || err == COPRO_GH_OK || err == COPRO_GH_MSGQUEUE_EMPTY)
		die("fail_recv took %" PRId64 ", which is no hypervisor error"
		    " a receive may give", err);
	fz.injected |= bit(err);
	if (c->q && !c->q->dead) {
		c->q->fail_err = err;
		c->q->fail_n = arg & 7;
	}
}

static void rec_fault(struct guest *g, const uint8_t *r)
{
	struct capref c = cap_sel(g, r[1]);

	fz.rm_used |= c.rm;
	switch (r[0] % 6) {
	case 0:
	case 1:
		set_stall(g, &c, !(r[0] % 6));
		break;
	case 2:
		set_fail(g, &c, r[2]);
		break;
	case 3:
		copro_sim_hyp_lose_irqs(fz.h, g->vmid, r[2] % 4);
		fz.lose_asked += r[2] % 4;
		break;
	case 4: {
		uint16_t vmid = vm_sel(r[2]);

		if (!copro_sim_hyp_vm_crash(fz.h, vmid)) {
			shadow_kill_vm(vmid);
			fz.dirty = true;
		}
		break;
	}
	default: {
		static const unsigned depth[6] = { 0, 1, 2, 16, 255, 256 };
		static const unsigned size[5] = { 0, 1, 240, 1023, 1024 };

		copro_sim_hyp_set_link_queues(fz.h, depth[r[2] % 6],
					      size[(r[2] / 6) % 5]);
		break;
	}
	}
}

/*
 * The actor's driver acknowledges its interrupts: each raised line of a
 * link is serviced (the queue drained, the doorbell's flags taken), and
 * must then be low.
 */
static void service(struct guest *g)
{
	for (unsigned i = 0; i < g->nres; i++) {
		const struct res *r = &g->res[i];
		struct capref c = classify(g, r->capid);
		int64_t e = COPRO_GH_OK;

		if (r->virq == COPRO_GH_VIRQ_NONE ||
		    r->type == COPRO_GH_RSC_MSGQ_TX ||
		    !copro_bus_irq_get(g->bus, r->virq))
			continue;
		if (r->type == COPRO_GH_RSC_BELL_RX) {
			e = call_on(g, &c, COPRO_GH_CALL_BELL_RECV, ~0ull, 0, 0);
		} else {
			for (unsigned k = 0; k < 256 && !e; k++)
				e = call_on(g, &c, COPRO_GH_CALL_MSGQ_RECV,
					    (uint64_t)(uintptr_t)fz.rxbuf,
					    BUF_SIZE, 0);
			if (e == COPRO_GH_MSGQUEUE_EMPTY)
				e = COPRO_GH_OK;
		}
		if (!e && (c.q || c.b) && copro_bus_irq_get(g->bus, r->virq))
			die("%s: line %" PRIu32 " still high once serviced",
			    g->name, r->virq);
	}
	for (unsigned k = 0; k < 64 && copro_bus_irq_get(g->bus, g->rm.rx_virq);
	     k++)
		if (rm_rx(g) < 0)
			break;
}

static void rec_step(struct guest *g, uint8_t what)
{
	struct copro_smccc_regs r = { { COPRO_GH_FN(COPRO_GH_CALL_IDENTIFY) } };

	switch (what % 4) {
	case 0:
		service(g);
		break;
	case 1:
		wait_rm_idle();
		break;
	case 2:
		hvc(g, &r);
		break;
	default:
		learn(g);
		break;
	}
}

/* ---- between inputs ---------------------------------------------------- */

/*
 * Every guest's RM still answers, whatever the others left behind (when
 * the input had anything to do with the RM).
 */
static void check_rm_answers(void)
{
	for (int k = 0; k < NG && fz.rm_used; k++) {
		struct guest *g = &fz.g[k];
		uint8_t out[8];
		size_t len = sizeof(out);

		if (!alive(g))
			continue;
		if (vm_call(g, COPRO_RM_VM_GET_VMID, 0, out, &len) ||
		    len != 4 || copro_get_le16(out) != g->vmid)
			die("%s: VM_GET_VMID answered wrong", g->name);
	}
}

static void faults_off(void)
{
	for (int k = 0; k < NG; k++) {
		struct guest *g = &fz.g[k];
		uint64_t ids[MAX_RES + 2];
		unsigned n = 0;

		copro_sim_hyp_lose_irqs(fz.h, g->vmid, 0);
		ids[n++] = g->rm.tx_capid;
		ids[n++] = g->rm.rx_capid;
		for (unsigned i = 0; i < g->nres; i++)
			ids[n++] = g->res[i].capid;
		for (unsigned i = 0; i < n; i++) {
			copro_sim_hyp_msgq_stall(fz.h, g->vmid, ids[i], false);
			copro_sim_hyp_msgq_fail_recv(fz.h, g->vmid, ids[i],
						     COPRO_GH_ARG_INVAL, 0);
		}
	}
	if (copro_sim_hyp_set_link_queues(fz.h, HYP_LINK_DEPTH,
					  HYP_LINK_MSG_SIZE))
		die("the default link queues refused");
}

/* Are the three VMs and their links as the last rebuild left them? */
static bool topology_intact(void)
{
	struct vm_info v[HYP_MAX_VMS];
	unsigned n = vms_list(v);

	if (fz.dirty || n != NG)
		return false;
	for (int k = 0; k < NG; k++) {
		if (!alive(&fz.g[k]))
			return false;
		for (unsigned i = 0; i < fz.g[k].nres; i++)
			if (!cap_valid(fz.g[k].vmid, fz.g[k].res[i].capid,
				       true))
				return false;
	}
	for (unsigned i = 0; i < n; i++)
		if (v[i].vmid != COPRO_SIM_HYP_PRIMARY_VMID &&
		    v[i].state != VM_RUNNING)
			return false;
	return true;
}

static void expect_ok(struct guest *g, struct capref c, unsigned call,
		      uint64_t x2, uint64_t x3)
{
	int64_t e = call_on(g, &c, call, x2, x3, 0);

	if (e)
		die("%s: reset: hvc 0x%x on cap 0x%" PRIx64 ": %s", g->name,
		    call, c.id, copro_gh_error_name(e));
}

/* Queues flushed, thresholds back, doorbells reset, RM replies taken. */
static void links_reset(void)
{
	for (unsigned i = 0; i < fz.nq; i++) {
		struct shq *q = &fz.q[i];
		struct guest *tx = &fz.g[q->tx], *rx = &fz.g[q->rx];

		q->stalled = false;
		q->fail_n = 0;
		expect_ok(rx, classify(rx, q->rxcap), COPRO_GH_CALL_MSGQ_FLUSH,
			  0, 0);
		expect_ok(tx, classify(tx, q->txcap),
			  COPRO_GH_CALL_MSGQ_CONF_SEND, q->depth - 1,
			  COPRO_GH_MSGQ_UNCHANGED);
		expect_ok(rx, classify(rx, q->rxcap),
			  COPRO_GH_CALL_MSGQ_CONF_RECV, 1,
			  COPRO_GH_MSGQ_UNCHANGED);
	}
	for (unsigned i = 0; i < fz.nb; i++) {
		struct guest *rx = &fz.g[fz.bl[i].rx];

		expect_ok(rx, classify(rx, fz.bl[i].rxcap),
			  COPRO_GH_CALL_BELL_RESET, 0, 0);
	}
	for (int k = 0; k < NG; k++) {
		struct guest *g = &fz.g[k];

		expect_ok(g, classify(g, g->rm.tx_capid),
			  COPRO_GH_CALL_MSGQ_CONF_SEND, HYP_RM_DEPTH - 1,
			  COPRO_GH_MSGQ_UNCHANGED);
		expect_ok(g, classify(g, g->rm.rx_capid),
			  COPRO_GH_CALL_MSGQ_CONF_RECV, 1,
			  COPRO_GH_MSGQ_UNCHANGED);
		while (rm_rx(g) >= 0)
			;
		memset(&g->as, 0, sizeof(g->as));
	}
}

/* A message and a doorbell each way on every link. */
static void good_exchange(void)
{
	for (unsigned i = 0; i < fz.nq; i++) {
		struct shq *q = &fz.q[i];
		struct guest *tx = &fz.g[q->tx], *rx = &fz.g[q->rx];
		const struct res *r = res_to(rx, tx->vmid, COPRO_GH_RSC_MSGQ_RX);
		uint64_t size = 1 + i * 37 % q->max_size;

		expect_ok(tx, classify(tx, q->txcap), COPRO_GH_CALL_MSGQ_SEND,
			  size, buf_at(fz.txbuf, size, 0, false));
		if (!copro_bus_irq_get(rx->bus, r->virq))
			die("%s: a message from %s, and line %" PRIu32
			    " did not rise", rx->name, tx->name, r->virq);
		expect_ok(rx, classify(rx, q->rxcap), COPRO_GH_CALL_MSGQ_RECV,
			  buf_at(fz.rxbuf, BUF_SIZE, 0, false), BUF_SIZE);
		if (copro_bus_irq_get(rx->bus, r->virq))
			die("%s: queue from %s empty, line %" PRIu32
			    " still high", rx->name, tx->name, r->virq);
	}
	for (unsigned i = 0; i < fz.nb; i++) {
		struct shb *b = &fz.bl[i];
		struct guest *tx = &fz.g[b->tx], *rx = &fz.g[b->rx];
		const struct res *r = res_to(rx, tx->vmid, COPRO_GH_RSC_BELL_RX);

		expect_ok(tx, classify(tx, b->txcap), COPRO_GH_CALL_BELL_SEND,
			  1ull << i, 0);
		if (!copro_bus_irq_get(rx->bus, r->virq))
			die("%s: rung by %s, and line %" PRIu32
			    " did not rise", rx->name, tx->name, r->virq);
		expect_ok(rx, classify(rx, b->rxcap), COPRO_GH_CALL_BELL_RECV,
			  ~0ull, 0);
		if (copro_bus_irq_get(rx->bus, r->virq))
			die("%s: doorbell from %s taken, line %" PRIu32
			    " still high", rx->name, tx->name, r->virq);
	}
}

static void check_stats(void)
{
	struct copro_sim_hyp_stats a = fz.st, b;
	const uint64_t *pa = (const uint64_t *)&a, *pb = (const uint64_t *)&b;

	copro_sim_hyp_get_stats(fz.h, &b);
	for (size_t i = 0; i < sizeof(a) / sizeof(uint64_t); i++)
		if (pb[i] < pa[i])
			die("statistic %zu went back from %" PRIu64 " to %"
			    PRIu64, i, pa[i], pb[i]);
	if (b.hypercalls - a.hypercalls != fz.calls ||
	    b.hypercall_errors - a.hypercall_errors != fz.errors)
		die("%" PRIu64 " hypercalls, %" PRIu64 " failed; the model"
		    " counted %" PRIu64 " and %" PRIu64, fz.calls, fz.errors,
		    b.hypercalls - a.hypercalls,
		    b.hypercall_errors - a.hypercall_errors);
	if (b.hypercall_errors > b.hypercalls ||
	    b.msgq_received > b.msgq_sent ||
	    b.vms_destroyed > b.vms_created ||
	    b.virq_lost - a.virq_lost > fz.lose_asked ||
	    b.rm_replies != b.rm_requests)
		die("statistics that do not add up");
	fz.st = b;
}

static void world_down(void);
static int world_up(void);

static void reset(void)
{
	check_rm_answers();
	faults_off();
	wait_rm_idle();
	if (topology_intact()) {
		links_reset();
	} else {
		rebuild();
		fz.rebuilds++;
	}
	check_model();
	good_exchange();
	wait_rm_idle();
	check_model();
	check_stats();
	/*
	 * The primary's table keeps every capability it was given, revoked
	 * ones too (as Gunyah's cspace), and the model searches it: a new
	 * board now and then keeps it short and the inputs fast.
	 */
	if (fz.rebuilds >= REBUILDS_PER_BOARD) {
		world_down();
		if (world_up())
			die("a new board failed");
	}
}

/* ---- setup ------------------------------------------------------------ */

static int primary_setup(struct guest *g)
{
	const struct copro_dt *dt = copro_board_dt(fz.b);
	int node = copro_dt_next_compatible(dt, -1,
					    COPRO_SIM_HYP_RM_COMPATIBLE);
	uint64_t cap;

	g->name = "primary";
	g->vmid = COPRO_SIM_HYP_PRIMARY_VMID;
	g->p = copro_board_platform(fz.b);
	g->bus = copro_board_bus(fz.b);
	/* As a Linux guest: the RM's queues are in the devicetree. */
	if (node < 0 || copro_dt_reg_raw(dt, node, 0, &cap))
		return -1;
	g->rm.tx_capid = cap;
	if (copro_dt_reg_raw(dt, node, 1, &cap))
		return -1;
	g->rm.rx_capid = cap;
	if (copro_dt_irq(dt, node, 0, &g->rm.tx_virq) ||
	    copro_dt_irq(dt, node, 1, &g->rm.rx_virq))
		return -1;
	lock();
	g->port = hyp_vm_find(fz.h, g->vmid)->port;
	unlock();
	return 0;
}

/* The board, the hypervisor and the VMs' machines; the three VMs up. */
static int world_up(void)
{
	struct copro_board_config bc = { .board = "gunyah", .log = fz.log };
	static const char *const names[NG] = { "primary", "vm-a", "vm-b" };

	if (copro_board_create(&bc, &fz.b) || !(fz.h = copro_board_hyp(fz.b)))
		return -1;
	if (getenv("FUZZ_HYP_LOG"))
		copro_sim_hyp_set_trace(fz.h, trace, NULL);
	memset(fz.g, 0, sizeof(fz.g));
	if (primary_setup(&fz.g[PRIM]))
		return -1;
	for (int k = VMA; k < NG; k++) {
		struct copro_bus_config cfg = { .dt = copro_board_dt(fz.b),
						.log = fz.log };

		fz.g[k].name = names[k];
		if (copro_bus_create(&cfg, &fz.g[k].bus) ||
		    copro_bus_platform_create(fz.g[k].bus, &fz.g[k].p))
			return -1;
	}
	rebuild();
	check_model();
	good_exchange();
	copro_sim_hyp_get_stats(fz.h, &fz.st);
	fz.rebuilds = 0;
	return 0;
}

static void world_down(void)
{
	for (int k = VMA; k < NG; k++) {
		if (fz.g[k].port)
			copro_sim_hyp_detach(fz.h, fz.g[k].vmid);
		copro_platform_destroy(fz.g[k].p);
		copro_bus_destroy(fz.g[k].bus);
	}
	copro_board_destroy(fz.b);
	fz.b = NULL;
	fz.h = NULL;
}

static int setup(void)
{
	struct copro_log_sink sink = { quiet, NULL };

	if (copro_log_create(&sink, getenv("FUZZ_HYP_LOG") ? COPRO_LOG_DEBUG
							   : COPRO_LOG_ERR,
			     &fz.log))
		return -1;
	fz.txbuf = malloc(BUF_SIZE);
	fz.rxbuf = malloc(BUF_SIZE);
	fz.wild = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (!fz.txbuf || !fz.rxbuf || fz.wild == MAP_FAILED)
		return -1;
	return world_up();
}

/* ---- records ----------------------------------------------------------- */

/* Bytes each kind takes after its first (RMFRAG: 1 + its length). */
static const uint8_t rec_len[16] = {
	5, 4, 1, 4, 3, 3, 5, 1, 19, 1, 7, 4, 1, 2, 3, 1,
};

static void run(struct guest *g, unsigned kind, const uint8_t *r, size_t n)
{
	switch (kind) {
	case 0:
		rec_send(g, r);
		break;
	case 1:
		rec_recv(g, r);
		break;
	case 2: {
		struct capref c = cap_sel(g, r[0]);

		call_on(g, &c, COPRO_GH_CALL_MSGQ_FLUSH, 0, 0, 0);
		break;
	}
	case 3:
		rec_conf(g, r);
		break;
	case 4:
		rec_bell(g, COPRO_GH_CALL_BELL_SEND, r);
		break;
	case 5:
		rec_bell(g, COPRO_GH_CALL_BELL_RECV, r);
		break;
	case 6:
		rec_bell(g, COPRO_GH_CALL_BELL_MASK, r);
		break;
	case 7:
		rec_bell(g, COPRO_GH_CALL_BELL_RESET, r);
		break;
	case 8:
		rec_raw(g, r);
		break;
	case 9:
		if (n)
			rm_tx(g, r, n);
		break;
	case 10:
		rec_rmreq(g, r);
		break;
	case 11:
		rec_rmcont(g, r);
		break;
	case 12:
		rec_rmpoll(g, r[0]);
		break;
	case 13:
		rec_vmop(g, r);
		break;
	case 14:
		rec_fault(g, r);
		break;
	default:
		rec_step(g, r[0]);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;

	if (!fz.ready) {
		if (setup())
			die("setup failed");
		fz.ready = true;
	}
	if (size > MAX_INPUT)
		return 0;
	fz.calls = fz.errors = fz.injected = fz.lose_asked = 0;
	fz.tag = 0;
	fz.dirty = false;
	fz.rm_used = false;
	fz.raw_seq = 0;
	fz.raw_id = 0;
	fz.extra = 0;
	while (i < size) {
		uint8_t op = data[i++];
		unsigned kind = op & 15;
		size_t n = rec_len[kind];
		const uint8_t *r = data + i;

		if (kind == 9) {
			if (i >= size)
				break;
			n = 1 + data[i];
			r = data + i + 1;
			if (n > size - i)
				n = size - i;
			i += n;
			run(&fz.g[(op >> 4) % NG], kind, r, n - 1);
			check_model();
			continue;
		}
		if (n > size - i)
			break;
		i += n;
		run(&fz.g[(op >> 4) % NG], kind, r, n);
		check_model();
	}
	reset();
	return 0;
}
