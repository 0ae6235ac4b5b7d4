/* SPDX-License-Identifier: MIT */
/*
 * The RTKit firmware model (sim/rtkit_fw*.c) against a hostile host. The
 * harness is the AP: it writes A2I messages and reads I2A through the ASC
 * mailbox registers of the t8103 board's NVMe coprocessor, starts and
 * stops its CPU through CPU_CONTROL, and answers buffer requests with
 * addresses of its choosing; copro's RTKit library (the well-behaved
 * host) is not involved. Each input restarts the CPU (a fresh firmware
 * boot: the model must come back from anything), then replays a script.
 *
 * Input: byte 0 picks the firmware configuration (bits 1:0: the board's
 * own ANS2 configuration; IOVA-placed buffers; buffers in the
 * coprocessor's SRAM window; a multi-chunk endpoint map with the old
 * oslog INIT and no SART) and, with bit 2, a well-behaved boot first.
 * Then records, the first byte's low 4 bits the operation:
 *
 *   0 ep msg[8]        a raw message
 *   1 sel f[6]         a management message around a known type
 *   2 sel cls sz off   a buffer answer for crashlog, syslog, ioreport or
 *                      oslog, its IOVA from a class (the granted DMA
 *                      window, the SRAM window, unmapped, straddling the
 *                      window's end, huge, zero, raw) and its size
 *   3 sel idx          a syslog acknowledgement (exact or altered)
 *   4 sel              an ioreport echo (exact or altered)
 *   5                  the well-behaved answers to what was received
 *                      (HELLO, EPMAP, IOP ON, buffers, LOG, ioreport)
 *   6                  sync: wait until the firmware has handled it all
 *   7 kind arg n ...   an injection (syslog, ioreport, crash, restart,
 *                      hostile)
 *   8 sel              CPU_CONTROL: stop, RUN, or stop then RUN
 *   9 reg w off v[8]   a raw mailbox register access
 *  10 - w off[2] v[4] an SRAM window access (32-bit only, else refused)
 *  11                  restart and boot well-behaved again
 *  12 sel f[4]         application endpoint traffic
 *
 * Checks, beside the sanitizers: every wait is bounded and the firmware
 * must handle every message it is sent (a fence message to an unmapped
 * endpoint is logged as refused, or ignored when silent) and answer a
 * well-behaved boot (HELLO after RUN, the map, IOP ON, the AP ON ack);
 * DMA lands only inside buffers the harness granted (the rest of the DMA
 * arena, SART-allowed or not, keeps its pattern); every message the
 * firmware sends is well-formed for its endpoint (unless a hostile burst
 * was injected or the harness pushed into I2A itself) and names an
 * endpoint of its map; a syslog LOG comes after its ring's INIT and never
 * for an entry the AP has not acknowledged; nothing follows a crash but a
 * new HELLO; the counters stay consistent.
 */
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/driver/platform.h>
#include <copro/le.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/regs/asc.h>
#include <copro/regs/rtkit.h>
#include <copro/sart.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>
#include <copro/sim/crashlog_writer.h>
#include <copro/sim/rtkit_fw.h>
#include <copro/sim/sart_model.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NCFG 4
#define ARENA_SIZE (512u * 1024)
#define GUARD (64u * 1024)		/* not SART-allowed, each end */
#define WINDOW (ARENA_SIZE - 2 * GUARD) /* SART-allowed */
#define SLOT (64u * 1024)		/* the well-behaved host's buffers */
#define PATTERN 0xa5u
#define SRAM_PHYS 0x23fe00000ull	/* the t8103 SMC's SRAM, unused */
#define SRAM_SIZE 0x40000ull
#define FENCE_TAG 0xfe7ce00000000000ull
#define FENCE_EP 0xff
#define WAIT_NS (10ull * 1000000000ull) /* a hang, not a slow machine */
#define MAX_GRANTS 64
#define MAX_STEPS 512

enum { B_CRASHLOG, B_SYSLOG, B_IOREPORT, B_OSLOG, NBUF };

static const uint8_t buf_eps[NBUF] = { 1, 2, 4, 8 };

static struct {
	bool ready;
	struct copro_log *log;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_bus *bus;
	struct copro_sim_asc *asc;
	struct copro_sim_sart *sart_model;
	struct copro_sart *sart;
	const struct asc_layout *lay;
	uint64_t mbox, cpu;
	struct copro_dma_buf arena;
	uint64_t window;		/* phys of the SART-allowed window */

	int cfg_id;
	struct copro_sim_rtkit_config cfg;
	struct copro_sim_rtkit *fw;
	uint8_t map[32];
	unsigned buf_pages;
	enum copro_sim_rtkit_buf modes[NBUF];

	bool verbose;			/* FUZZ_RTKIT_FW_VERBOSE: the log to stderr */
	_Atomic uint64_t fence_want, fence_seen;
	uint64_t fence_next;

	/* This input. */
	bool running;
	bool foreign;			/* I2A may hold what the firmware did not send */
	bool injected;			/* an injection since the last sync */
	struct {
		uint64_t iova, size;
	} grants[MAX_GRANTS];
	unsigned n_grants;
	bool grants_overflow;
	uint8_t ioreport_types[32];	/* types injected, bit per type */
	/* What the firmware said last, for answers. */
	bool have_req[NBUF];		/* buffer requests not yet answered */
	uint64_t last_log, last_ioreport;
	bool have_log, have_ioreport;
	uint8_t logs_pending[32];	/* LOG indices received, unacked */
	bool acks_untracked;		/* raw A2I pushes: acks unknown */
	bool syslog_init_seen;		/* since the last HELLO */
	bool crash_seen;		/* a crash message since the last HELLO */
	/* Handshake steps a well-behaved host would answer (op 5). */
	bool need_hello_reply, need_ap_on;
	uint64_t need_epmap_reply;	/* the chunk, 0: none */
} fz;

/* ---- the log: fences --------------------------------------------------- */

static void sink(void *ctx, enum copro_log_level level, const char *dev,
		 const char *msg)
{
	const char *at = strstr(msg, "ep 0xff msg 0x");
	uint64_t v, seen;

	(void)ctx;
	if (fz.verbose)
		fprintf(stderr, "[%d] %s: %s\n", (int)level, dev, msg);
	if (!at)
		return;
	v = strtoull(at + strlen("ep 0xff msg 0x"), NULL, 16);
	/* Only the fence awaited: a forged one cannot end a sync early. */
	if (v != atomic_load(&fz.fence_want))
		return;
	seen = atomic_load(&fz.fence_seen);
	while (v > seen && !atomic_compare_exchange_weak(&fz.fence_seen, &seen, v))
		;
}

/* ---- registers --------------------------------------------------------- */

static uint64_t rd(uint64_t phys, unsigned width)
{
	uint64_t v = 0;

	if (copro_bus_read(fz.bus, phys, width, &v))
		abort();
	return v;
}

static void wr(uint64_t phys, unsigned width, uint64_t v)
{
	if (copro_bus_write(fz.bus, phys, width, v))
		abort();
}

static void cpu_run(bool run)
{
	wr(fz.cpu + ASC_CPU_CONTROL, 4, run ? ASC_CPU_CONTROL_RUN : 0);
	fz.running = run;
}

static bool a2i_full(void)
{
	return rd(fz.mbox + fz.lay->a2i_control, 4) & ASC_CONTROL_FULL;
}

static bool i2a_pop(uint8_t *ep, uint64_t *msg)
{
	if (rd(fz.mbox + fz.lay->i2a_control, 4) & ASC_CONTROL_EMPTY)
		return false;
	*msg = rd(fz.mbox + fz.lay->i2a_recv0, 8);
	*ep = (uint8_t)rd(fz.mbox + fz.lay->i2a_recv1, 8);
	return true;
}

static void hang(const char *what)
{
	fprintf(stderr, "fuzz_rtkit_fw: the firmware hangs: %s\n", what);
	abort();
}

/* ---- what the firmware sends ---------------------------------------------- */

static bool in_map(unsigned ep)
{
	return fz.map[ep / 8] & (1u << (ep % 8));
}

static bool granted(uint64_t iova, uint64_t size)
{
	for (unsigned i = 0; i < fz.n_grants; i++)
		if (iova >= fz.grants[i].iova &&
		    iova - fz.grants[i].iova <= fz.grants[i].size &&
		    size <= fz.grants[i].size - (iova - fz.grants[i].iova))
			return true;
	return fz.grants_overflow;
}

static void grant(uint64_t iova, uint64_t size)
{
	if (fz.n_grants == MAX_GRANTS) {
		fz.grants_overflow = true;
		return;
	}
	fz.grants[fz.n_grants].iova = iova;
	fz.grants[fz.n_grants++].size = size;
}

static uint64_t slot_iova(int id)
{
	uint64_t base = fz.modes[id] == COPRO_SIM_RTKIT_BUF_MMIO
				? fz.cfg.sram_phys
				: fz.cfg.iova_base;

	return base + (uint64_t)id * fz.buf_pages * RTK_PAGE_SIZE;
}

static void bad(uint8_t ep, uint64_t msg, const char *why)
{
	fprintf(stderr, "fuzz_rtkit_fw: the firmware sent ep 0x%02x msg"
		" 0x%016" PRIx64 ": %s\n", ep, msg, why);
	abort();
}

static bool valid_pwr(unsigned s)
{
	return s == 0 || s == 1 || s == 0x10 || s == 0x20 || s == 0x201 ||
	       s == 0x220;
}

static void check_mgmt(uint64_t msg)
{
	unsigned type = (unsigned)RTK_MGMT_TYPE(msg);
	uint64_t rest = msg & ~RTK_MGMT_TYPE_MAKE(0xff);

	switch (type) {
	case RTK_MGMT_HELLO:
		if (rest != RTK_HELLO_MAKE(fz.cfg.ver_min, fz.cfg.ver_max))
			bad(0, msg, "HELLO with other versions");
		/* A new session: no ring, nothing awaiting the AP. */
		fz.syslog_init_seen = false;
		fz.crash_seen = false;
		memset(fz.logs_pending, 0, sizeof(fz.logs_pending));
		memset(fz.have_req, 0, sizeof(fz.have_req));
		fz.have_log = fz.have_ioreport = false;
		fz.need_hello_reply = true;
		fz.need_epmap_reply = 0;
		fz.need_ap_on = false;
		return;
	case RTK_MGMT_EPMAP: {
		unsigned base = (unsigned)RTK_EPMAP_BASE(msg);
		uint32_t want = copro_get_le32(&fz.map[base * 4]);

		if (rest & ~(RTK_EPMAP_LAST | RTK_EPMAP_BASE_MAKE(7) |
			     0xffffffffull))
			bad(0, msg, "EPMAP with stray bits");
		if (RTK_EPMAP_BITMAP(msg) != want)
			bad(0, msg, "EPMAP chunk is not the map");
		fz.need_epmap_reply = msg;
		return;
	}
	case RTK_MGMT_SET_IOP_PWR_STATE_ACK:
	case RTK_MGMT_SET_AP_PWR_STATE:
		if (rest & ~RTK_PWR_STATE_MAKE(0xffff) ||
		    !valid_pwr((unsigned)RTK_PWR_STATE(msg)))
			bad(0, msg, "power state ACK malformed");
		if (type == RTK_MGMT_SET_IOP_PWR_STATE_ACK) {
			unsigned st = (unsigned)RTK_PWR_STATE(msg);

			fz.need_ap_on = st == 0x20;
			/* Asleep, quiesced or off: the ring is gone. */
			if (st == 0 || st == 1 || st == 0x10) {
				fz.syslog_init_seen = false;
				memset(fz.logs_pending, 0,
				       sizeof(fz.logs_pending));
			}
		}
		return;
	default:
		bad(0, msg, "management type the IOP never sends");
	}
}

static void check_bufreq(int id, uint8_t ep, uint64_t msg)
{
	uint64_t iova;

	if (id == B_OSLOG) {
		if (fz.cfg.oslog_init_ack) {
			if (msg != RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT))
				bad(ep, msg, "old oslog INIT malformed");
			fz.have_req[id] = true;
			return;
		}
		if (RTK_OSLOG_TYPE(msg) != RTK_OSLOG_INIT ||
		    RTK_OSLOG_SIZE(msg) != fz.buf_pages * RTK_PAGE_SIZE)
			bad(ep, msg, "oslog request malformed");
		iova = RTK_OSLOG_IOVA(msg) << 12;
	} else {
		if (RTK_BUF_SIZE(msg) != fz.buf_pages ||
		    msg & ~(RTK_EP_TYPE_MAKE(0xff) | RTK_BUF_SIZE_MAKE(0xff) |
			    RTK_BUF_IOVA_MAKE(~0ull)))
			bad(ep, msg, "buffer request or crash malformed");
		iova = RTK_BUF_IOVA(msg);
	}
	if (fz.modes[id] == COPRO_SIM_RTKIT_BUF_NONE)
		bad(ep, msg, "a buffer request from an endpoint without one");
	if (iova == 0 ? fz.modes[id] != COPRO_SIM_RTKIT_BUF_HOST
		      : iova != slot_iova(id) &&
				!(id == B_CRASHLOG &&
				  granted(iova, fz.buf_pages * RTK_PAGE_SIZE)))
		bad(ep, msg, "buffer at an address nobody chose");
	fz.have_req[id] = iova == 0 || fz.modes[id] == COPRO_SIM_RTKIT_BUF_IOVA;
	if (id == B_CRASHLOG && iova && fz.modes[id] == COPRO_SIM_RTKIT_BUF_HOST) {
		fz.have_req[id] = false; /* a crash */
		fz.crash_seen = true;
	}
}

static void check_msg(uint8_t ep, uint64_t msg)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);

	if (fz.foreign)
		return;
	/* Nothing follows a crash but a new session's HELLO. */
	if (fz.crash_seen &&
	    (ep != 0 || RTK_MGMT_TYPE(msg) != RTK_MGMT_HELLO))
		bad(ep, msg, "a message after the crash");
	if (!in_map(ep))
		bad(ep, msg, "endpoint not in the map");
	switch (ep) {
	case 0:
		check_mgmt(msg);
		return;
	case 1:
		if (type != RTK_BUFFER_REQUEST)
			bad(ep, msg, "crashlog type");
		check_bufreq(B_CRASHLOG, ep, msg);
		return;
	case 2:
		if (type == RTK_BUFFER_REQUEST) {
			check_bufreq(B_SYSLOG, ep, msg);
		} else if (type == RTK_SYSLOG_INIT) {
			if (msg != (RTK_EP_TYPE_MAKE(RTK_SYSLOG_INIT) |
				    RTK_SYSLOG_INIT_MAKE(fz.cfg.syslog_entries,
							 fz.cfg.syslog_msg_size)))
				bad(ep, msg, "syslog INIT");
			fz.syslog_init_seen = true;
		} else if (type == RTK_SYSLOG_LOG) {
			unsigned i = (unsigned)RTK_SYSLOG_INDEX(msg);

			if (msg != (RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | i) ||
			    i >= fz.cfg.syslog_entries)
				bad(ep, msg, "syslog LOG");
			/* The AP cannot read a ring it was not told about. */
			if (!fz.syslog_init_seen)
				bad(ep, msg, "syslog LOG before the ring's INIT");
			/* An entry stays the AP's until acknowledged. */
			if (!fz.acks_untracked &&
			    fz.logs_pending[i / 8] & (1u << (i % 8)))
				bad(ep, msg, "syslog LOG of an entry not yet"
				    " acknowledged");
			fz.last_log = msg;
			fz.have_log = true;
			fz.logs_pending[i / 8] |= (uint8_t)(1u << (i % 8));
		} else {
			bad(ep, msg, "syslog type");
		}
		return;
	case 4:
		if (type == RTK_BUFFER_REQUEST) {
			check_bufreq(B_IOREPORT, ep, msg);
			return;
		}
		if (!(fz.ioreport_types[type / 8] & (1u << (type % 8))))
			bad(ep, msg, "ioreport type nobody asked for");
		fz.last_ioreport = msg;
		fz.have_ioreport = true;
		return;
	case 8:
		check_bufreq(B_OSLOG, ep, msg);
		return;
	default:
		bad(ep, msg, "an endpoint the firmware never talks on");
	}
}

/* Everything in I2A, checked. */
static unsigned drain(void)
{
	unsigned n = 0;
	uint8_t ep;
	uint64_t msg;

	while (i2a_pop(&ep, &msg)) {
		check_msg(ep, msg);
		n++;
	}
	return n;
}

/* ---- sending --------------------------------------------------------------- */

/*
 * One A2I message. A running firmware must make room (it may wait for
 * room in I2A itself: drained meanwhile); a stopped one cannot, and the
 * message is dropped.
 */
static void send(uint8_t ep, uint64_t msg)
{
	uint64_t deadline = copro_time_ns() + WAIT_NS;

	while (a2i_full()) {
		if (!fz.running)
			return;
		if (!drain())
			sched_yield();
		if (copro_time_ns() > deadline)
			hang("A2I never drains");
	}
	wr(fz.mbox + fz.lay->a2i_send0, 8, msg);
	wr(fz.mbox + fz.lay->a2i_send1, 8, ep);
	/* An exact acknowledgement frees the entry. */
	if (ep == 2 && msg == (RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | (msg & 0xff)))
		fz.logs_pending[(msg & 0xff) / 8] &=
			(uint8_t)~(1u << ((msg & 0xff) % 8));
}

static void fence(void)
{
	uint64_t f = FENCE_TAG | ++fz.fence_next;
	uint64_t deadline = copro_time_ns() + WAIT_NS;

	atomic_store(&fz.fence_want, f);
	send(FENCE_EP, f);
	while (atomic_load(&fz.fence_seen) < f) {
		if (!drain())
			sched_yield();
		if (copro_time_ns() > deadline)
			hang("a message was never handled");
	}
}

/*
 * Until the firmware handled everything sent so far (and, after an
 * injection, what it ran after it), then everything it sent, drained.
 */
static void sync_fw(void)
{
	if (fz.running) {
		fence();
		if (fz.injected)
			fence();
		fz.injected = false;
	}
	drain();
}

/* Wait (bounded) for a message on ep 0 of `type`, handling the rest. */
static uint64_t expect_mgmt(unsigned type, const char *what)
{
	uint64_t deadline = copro_time_ns() + WAIT_NS;
	uint8_t ep;
	uint64_t msg;

	for (;;) {
		if (i2a_pop(&ep, &msg)) {
			check_msg(ep, msg);
			if (ep == 0 && RTK_MGMT_TYPE(msg) == type)
				return msg;
			continue;
		}
		if (copro_time_ns() > deadline)
			hang(what);
		sched_yield();
	}
}

/* ---- the well-behaved host ------------------------------------------------ */

static uint64_t good_iova(int id)
{
	if (fz.modes[id] == COPRO_SIM_RTKIT_BUF_IOVA)
		return slot_iova(id);
	return fz.window + (uint64_t)id * SLOT;
}

static void answer_buf(int id)
{
	uint64_t pages = fz.buf_pages, iova = good_iova(id);

	if (!fz.have_req[id])
		return;
	fz.have_req[id] = false;
	if (id == B_OSLOG && fz.cfg.oslog_init_ack) {
		send(8, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_ACK));
		return;
	}
	grant(iova, pages * RTK_PAGE_SIZE);
	if (id == B_OSLOG)
		send(8, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT) |
				RTK_OSLOG_SIZE_MAKE(pages * RTK_PAGE_SIZE) |
				RTK_OSLOG_IOVA_MAKE(iova >> 12));
	else
		send(buf_eps[id], RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) |
					  RTK_BUF_SIZE_MAKE(pages) |
					  RTK_BUF_IOVA_MAKE(iova));
}

/* What a well-behaved host answers to what came in. */
static void answer_all(void)
{
	if (fz.need_hello_reply)
		send(0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO_REPLY) |
				RTK_HELLO_MAKE(fz.cfg.ver_max, fz.cfg.ver_max));
	if (fz.need_epmap_reply) {
		uint64_t m = fz.need_epmap_reply;

		send(0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) |
				RTK_EPMAP_BASE_MAKE(RTK_EPMAP_BASE(m)) |
				(m & RTK_EPMAP_LAST ? RTK_EPMAP_LAST
						    : RTK_EPMAP_MORE));
		if (m & RTK_EPMAP_LAST)
			for (unsigned ep = 1; ep < 0x20; ep++)
				if (in_map(ep))
					send(0, RTK_MGMT_TYPE_MAKE(
							RTK_MGMT_STARTEP) |
							RTK_STARTEP_MAKE(ep));
	}
	if (fz.need_ap_on)
		send(0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_AP_PWR_STATE) |
				RTK_PWR_STATE_MAKE(0x20));
	fz.need_hello_reply = fz.need_ap_on = false;
	fz.need_epmap_reply = 0;
	for (int id = 0; id < NBUF; id++)
		answer_buf(id);
	if (fz.have_log) {
		for (unsigned i = 0; i < 256; i++)
			if (fz.logs_pending[i / 8] & (1u << (i % 8)))
				send(2, RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | i);
	}
	if (fz.have_ioreport) {
		unsigned t = (unsigned)RTK_EP_TYPE(fz.last_ioreport);

		if (t == RTK_IOREPORT_UNKNOWN1 || t == RTK_IOREPORT_UNKNOWN2)
			send(4, fz.last_ioreport);
		fz.have_ioreport = false;
	}
}

/*
 * Stop, clear both FIFOs (a real host cannot clear A2I; this one does so
 * that inputs do not leak into each other), RUN.
 */
static void restart_clean(void)
{
	uint8_t ep;
	uint64_t msg;

	cpu_run(false);
	while (!(rd(fz.mbox + fz.lay->a2i_control, 4) & ASC_CONTROL_EMPTY))
		rd(fz.mbox + fz.lay->a2i_recv1, 8);
	while (i2a_pop(&ep, &msg))
		;
	memset(fz.have_req, 0, sizeof(fz.have_req));
	fz.have_log = fz.have_ioreport = false;
	memset(fz.logs_pending, 0, sizeof(fz.logs_pending));
	fz.need_hello_reply = fz.need_ap_on = false;
	fz.need_epmap_reply = 0;
	cpu_run(true);
}

/* From a clean restart to both states ON, each answer required. */
static void good_boot(void)
{
	uint64_t msg;
	unsigned ver = fz.cfg.ver_max;

	fz.foreign = false;
	restart_clean();
	msg = expect_mgmt(RTK_MGMT_HELLO, "no HELLO after RUN");
	(void)msg;
	fz.need_hello_reply = false;
	send(0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO_REPLY) |
			RTK_HELLO_MAKE(ver, ver));
	for (;;) {
		msg = expect_mgmt(RTK_MGMT_EPMAP, "no EPMAP chunk");
		if (msg & RTK_EPMAP_LAST) {
			send(0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) |
					RTK_EPMAP_BASE_MAKE(RTK_EPMAP_BASE(msg)) |
					RTK_EPMAP_LAST);
			break;
		}
		send(0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) |
				RTK_EPMAP_BASE_MAKE(RTK_EPMAP_BASE(msg)) |
				RTK_EPMAP_MORE);
	}
	for (unsigned ep = 1; ep < 0x20; ep++)
		if (in_map(ep))
			send(0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_STARTEP) |
					RTK_STARTEP_MAKE(ep));
	msg = expect_mgmt(RTK_MGMT_SET_IOP_PWR_STATE_ACK, "no IOP ON");
	if (RTK_PWR_STATE(msg) != 0x20)
		bad(0, msg, "IOP ACK at boot is not ON");
	sync_fw();
	fz.need_hello_reply = fz.need_ap_on = false;
	fz.need_epmap_reply = 0;
	answer_all();
	send(0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_AP_PWR_STATE) |
			RTK_PWR_STATE_MAKE(0x20));
	msg = expect_mgmt(RTK_MGMT_SET_AP_PWR_STATE, "no AP ON ack");
	if (RTK_PWR_STATE(msg) != 0x20)
		bad(0, msg, "AP ACK is not ON");
	sync_fw();
	answer_all();
	sync_fw();
	if (!copro_sim_rtkit_is_up(fz.fw) ||
	    copro_sim_rtkit_iop_state(fz.fw) != 0x20 ||
	    copro_sim_rtkit_ap_state(fz.fw) != 0x20)
		abort();
}

/* ---- configurations -------------------------------------------------------- */

static void make_cfg(int id, struct copro_sim_rtkit_config *c)
{
	memset(c, 0, sizeof(*c));
	c->name = "fuzz";
	c->ver_min = 11;
	c->ver_max = 12;
	switch (id) {
	case 0: /* as the board configures the ANS2 firmware */
		c->crashlog_buf = c->syslog_buf = COPRO_SIM_RTKIT_BUF_HOST;
		c->ioreport_buf = c->oslog_buf = COPRO_SIM_RTKIT_BUF_HOST;
		c->required_eps = (1u << 1) | (1u << 4) | (1u << 8);
		c->app_eps[0] = 0x20;
		c->sart = fz.sart_model;
		break;
	case 1: /* buffers at IOVAs the firmware picks, in the window */
		c->crashlog_buf = c->syslog_buf = COPRO_SIM_RTKIT_BUF_IOVA;
		c->ioreport_buf = COPRO_SIM_RTKIT_BUF_IOVA;
		c->oslog_buf = COPRO_SIM_RTKIT_BUF_HOST;
		c->iova_base = fz.window;
		/* Short: a forgotten echo stalls it within an input. */
		c->ioreport_timeout_ns = 3000000;
		c->syslog_entries = 3;
		c->syslog_msg_size = 0x40;
		c->sart = fz.sart_model;
		break;
	case 2: /* the SRAM window */
		c->crashlog_buf = c->syslog_buf = COPRO_SIM_RTKIT_BUF_MMIO;
		c->ioreport_buf = c->oslog_buf = COPRO_SIM_RTKIT_BUF_MMIO;
		c->sram_phys = SRAM_PHYS;
		c->sram_size = SRAM_SIZE;
		c->ver_min = c->ver_max = 12;
		/* What u-boot starts: syslog may come late, or never. */
		c->required_eps = (1u << 1) | (1u << 4) | (1u << 8);
		break;
	default: { /* a map over several chunks, old oslog, no SART */
		static const uint8_t eps[] = { 1, 2, 3, 4, 8, 0x0a, 0x45,
					       0x9c, 0xfe };

		for (size_t i = 0; i < sizeof(eps); i++)
			c->endpoints[eps[i] / 8] |= (uint8_t)(1u << (eps[i] % 8));
		c->crashlog_buf = c->syslog_buf = COPRO_SIM_RTKIT_BUF_HOST;
		c->ioreport_buf = COPRO_SIM_RTKIT_BUF_HOST;
		c->oslog_init_ack = true;
		c->buf_pages = 1;
		c->syslog_entries = 40;
		c->syslog_msg_size = 0x40;
		c->ver_min = 11;
		c->ver_max = 11;
		break;
	}
	}
}

static void use_cfg(int id)
{
	static const uint8_t sys[] = { 1, 2, 3, 4, 8 };
	bool explicit = false;

	if (fz.fw && fz.cfg_id == id)
		return;
	if (fz.fw) {
		cpu_run(false);
		copro_sim_rtkit_destroy(fz.fw);
		fz.fw = NULL;
	}
	make_cfg(id, &fz.cfg);
	if (copro_sim_rtkit_create(fz.asc, &fz.cfg, &fz.fw))
		abort();
	fz.cfg_id = id;
	/* As the model fills in its defaults and builds its map. */
	if (!fz.cfg.syslog_entries)
		fz.cfg.syslog_entries = 8;
	if (!fz.cfg.syslog_msg_size)
		fz.cfg.syslog_msg_size = 0x80;
	fz.buf_pages = fz.cfg.buf_pages ? fz.cfg.buf_pages : 4;
	fz.modes[B_CRASHLOG] = fz.cfg.crashlog_buf;
	fz.modes[B_SYSLOG] = fz.cfg.syslog_buf;
	fz.modes[B_IOREPORT] = fz.cfg.ioreport_buf;
	fz.modes[B_OSLOG] = fz.cfg.oslog_buf;
	for (size_t i = 0; i < sizeof(fz.cfg.endpoints); i++)
		explicit |= fz.cfg.endpoints[i] != 0;
	memset(fz.map, 0, sizeof(fz.map));
	if (explicit)
		memcpy(fz.map, fz.cfg.endpoints, sizeof(fz.map));
	else
		for (size_t i = 0; i < sizeof(sys); i++)
			fz.map[sys[i] / 8] |= (uint8_t)(1u << (sys[i] % 8));
	fz.map[0] |= 1;
	for (size_t i = 0; i < sizeof(fz.cfg.app_eps) && fz.cfg.app_eps[i]; i++)
		fz.map[fz.cfg.app_eps[i] / 8] |=
			(uint8_t)(1u << (fz.cfg.app_eps[i] % 8));
	if (in_map(FENCE_EP))
		abort();
}

static int setup(void)
{
	struct copro_log_sink s = { sink, NULL };
	struct copro_board_config bc = { .threaded = false,
					 .firmware_only = true };
	const struct copro_dt *dt;
	struct copro_dt_ref ref;
	struct copro_sart_handle h;
	uint64_t size;
	size_t n;
	const struct asc_layout *lays = asc_layouts(&n);
	int nvme;

	fz.verbose = getenv("FUZZ_RTKIT_FW_VERBOSE") != NULL;
	if (copro_log_create(&s, COPRO_LOG_DEBUG, &fz.log))
		return -1;
	bc.log = fz.log;
	if (copro_board_create(&bc, &fz.b))
		return -1;
	fz.p = copro_board_platform(fz.b);
	fz.bus = copro_board_bus(fz.b);
	dt = copro_board_dt(fz.b);
	nvme = copro_board_nvme_node(fz.b);
	if (nvme < 0 || copro_dt_ref(dt, nvme, "mboxes", "#mbox-cells", 0, &ref))
		return -1;
	fz.asc = copro_board_asc(fz.b, ref.node);
	if (!fz.asc || copro_dt_reg(dt, ref.node, 0, &fz.mbox, &size))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(lays[i].compatible, copro_sim_asc_layout(fz.asc)))
			fz.lay = &lays[i];
	if (!fz.lay)
		return -1;
	copro_sim_asc_cpu_region(fz.asc, &fz.cpu, &size);
	if (copro_dt_ref(dt, nvme, "apple,sart", NULL, 0, &ref))
		return -1;
	fz.sart_model = copro_board_sart(fz.b, ref.node);
	if (!fz.sart_model || copro_sart_probe(fz.p, ref.node, &fz.sart))
		return -1;
	if (copro_dma_alloc(fz.p, ARENA_SIZE, &fz.arena))
		return -1;
	fz.window = fz.arena.phys + GUARD;
	if (copro_sart_allow(fz.sart, fz.window, WINDOW, &h))
		return -1;
	/* The board's own model stays, replaced on the ASC by ours. */
	fz.ready = true;
	return 0;
}

/* ---- oracles at the end ------------------------------------------------------ */

static void check_arena(void)
{
	const uint8_t *a = fz.arena.cpu;

	for (size_t off = 0; off < ARENA_SIZE; off += 8) {
		uint64_t w;

		memcpy(&w, a + off, 8);
		if (w == 0xa5a5a5a5a5a5a5a5ull)
			continue;
		for (size_t i = off; i < off + 8; i++) {
			if (a[i] == PATTERN || granted(fz.arena.phys + i, 1))
				continue;
			fprintf(stderr, "fuzz_rtkit_fw: DMA wrote arena offset"
				" 0x%zx, outside every granted buffer\n", i);
			abort();
		}
	}
}

/*
 * After a sync the firmware is idle but for its timers: an ioreport
 * stall may still come, which clears `up` before it sets `stalled`, so
 * `stalled` is read first.
 */
static void check_stats(void)
{
	struct copro_sim_rtkit_stats s;
	bool stalled = copro_sim_rtkit_stalled(fz.fw);
	bool crashed = copro_sim_rtkit_crashed(fz.fw);

	copro_sim_rtkit_get_stats(fz.fw, &s);
	if (s.syslog_acked > s.syslog_sent ||
	    s.ioreport_echoed > s.ioreport_sent)
		abort();
	if (copro_sim_rtkit_is_up(fz.fw) &&
	    (copro_sim_rtkit_iop_state(fz.fw) != 0x20 ||
	     copro_sim_rtkit_ap_state(fz.fw) != 0x20 || crashed || stalled))
		abort();
}

/* ---- records --------------------------------------------------------------- */

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void op_mgmt(const uint8_t *r)
{
	static const unsigned states[] = { 0, 1, 0x10, 0x20, 0x201, 0x220 };
	uint64_t f = get(r + 1, 6), msg;
	unsigned v;

	switch (r[0] % 8) {
	case 0: /* HELLO_REPLY: versions near the range, or as given */
		v = r[1] & 0x80 ? (unsigned)(f & 0xffff) : 9u + (r[1] & 7u);
		msg = RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO_REPLY) |
		      RTK_HELLO_MAKE(v, r[2] & 0x80 ? v ^ r[3] : v);
		break;
	case 1: /* EPMAP reply */
		msg = RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) |
		      RTK_EPMAP_BASE_MAKE(r[1]) |
		      (r[2] & 1 ? RTK_EPMAP_LAST : 0) |
		      (r[2] & 2 ? RTK_EPMAP_MORE : 0) |
		      (r[2] & 4 ? (f & 0xffffffff0000ull) : 0);
		break;
	case 2: /* STARTEP */
		msg = RTK_MGMT_TYPE_MAKE(RTK_MGMT_STARTEP) |
		      RTK_STARTEP_MAKE(r[1]) | (r[2] & 1 ? (f & 0xff) : 0);
		break;
	case 3:
	case 4: /* power states, known or raw */
		msg = RTK_MGMT_TYPE_MAKE(r[0] % 8 == 3
						 ? RTK_MGMT_SET_IOP_PWR_STATE
						 : RTK_MGMT_SET_AP_PWR_STATE) |
		      RTK_PWR_STATE_MAKE(r[1] & 0x80 ? (unsigned)(f >> 8)
						     : states[r[1] % 6]);
		break;
	default: /* any type, any fields */
		msg = RTK_MGMT_TYPE_MAKE(r[1]) | (f & 0xfffffffffffffull);
		break;
	}
	send(0, msg);
}

static void op_buf(const uint8_t *r)
{
	int id = r[0] % NBUF;
	uint64_t pages = r[2] & 0x80 ? r[2] & 0x7f : fz.buf_pages;
	uint64_t page = RTK_PAGE_SIZE, iova;

	switch (r[1] % 8) {
	case 0: /* in the granted window */
		iova = fz.window + (uint64_t)(r[3] % (WINDOW / page)) * page;
		break;
	case 1: /* in the SRAM window (whether or not it is one) */
		iova = SRAM_PHYS + (uint64_t)(r[3] % 64) * page;
		break;
	case 2: /* unmapped, or the guard the SART does not allow */
		iova = r[3] & 1 ? 0x1000 : fz.arena.phys;
		break;
	case 3: /* straddling the window's end */
		iova = fz.window + WINDOW - (uint64_t)(1 + r[3] % 4) * page;
		break;
	case 4: /* huge */
		iova = 0xfffffffff000ull - (uint64_t)r[3] * page;
		pages = 0xff;
		break;
	case 5:
		iova = 0;
		pages = r[3] & 1 ? 0 : pages;
		break;
	case 6: /* what the firmware asked for */
		iova = fz.modes[id] != COPRO_SIM_RTKIT_BUF_HOST
			       ? slot_iova(id)
			       : fz.window + (uint64_t)id * SLOT;
		break;
	default: /* raw, unaligned too */
		iova = fz.window + (uint64_t)r[3] * 0x111;
		break;
	}
	if (id == B_OSLOG) {
		uint64_t bytes = r[2] & 0x40 ? (uint64_t)r[3] << 8
					     : pages * page;

		grant(iova & ~0xfffull, bytes);
		send(8, RTK_OSLOG_TYPE_MAKE(r[3] & 0x80 ? r[3] : RTK_OSLOG_INIT) |
				RTK_OSLOG_SIZE_MAKE(bytes) |
				RTK_OSLOG_IOVA_MAKE(iova >> 12));
		return;
	}
	grant(iova & RTK_BUF_IOVA_MAKE(~0ull), pages * page);
	send(buf_eps[id], RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) |
				  RTK_BUF_SIZE_MAKE(pages) |
				  RTK_BUF_IOVA_MAKE(iova));
}

static void op_syslog_ack(const uint8_t *r)
{
	uint64_t msg;

	switch (r[0] % 4) {
	case 0:
		msg = fz.have_log ? fz.last_log
				  : RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | r[1];
		break;
	case 1:
		msg = RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | r[1];
		break;
	case 2:
		msg = RTK_EP_TYPE_MAKE(RTK_SYSLOG_LOG) | (uint64_t)r[1] << 8 |
		      (fz.last_log & 0xff);
		break;
	default:
		msg = fz.last_log ^ ((uint64_t)r[1] << 40);
		break;
	}
	send(2, msg);
}

static void op_ioreport(const uint8_t *r)
{
	uint64_t m = fz.last_ioreport;

	if (!fz.have_ioreport)
		m = RTK_EP_TYPE_MAKE(r[0] & 1 ? 8 : 0xc) | RTK_MAKE(0x1005, 47, 32);
	if (r[0] & 2)
		m ^= 1ull << (r[0] >> 2);
	send(4, m);
}

static void op_inject(const uint8_t *r, const uint8_t *text, size_t n)
{
	char ctx[32], line[300];
	int ret = 0;

	switch (r[0] % 6) {
	case 0: {
		size_t c = n < 30 ? n / 2 : 15;

		memcpy(ctx, text, c);
		ctx[c] = 0;
		memcpy(line, text + c, n - c);
		line[n - c] = 0;
		ret = copro_sim_rtkit_syslog(fz.fw, ctx, line);
		break;
	}
	case 1:
	case 2: {
		unsigned t = r[0] % 6 == 1 ? (r[1] & 1 ? 8 : 0xc) : r[1];

		if (t != RTK_BUFFER_REQUEST)
			fz.ioreport_types[t / 8] |= (uint8_t)(1u << (t % 8));
		ret = copro_sim_rtkit_ioreport(fz.fw, t);
		break;
	}
	case 3:
		memcpy(line, text, n);
		line[n] = 0;
		ret = copro_sim_rtkit_crash(fz.fw, line,
					    (int)(r[1] % 15) - 1);
		break;
	case 4:
		ret = copro_sim_rtkit_restart(fz.fw);
		break;
	default:
		fz.foreign = true; /* malformed on purpose */
		ret = copro_sim_rtkit_hostile(
			fz.fw, (enum copro_sim_rtkit_hostile)(
				       r[1] % COPRO_SIM_RTKIT_HOSTILE_COUNT));
		break;
	}
	(void)ret;
	fz.injected = true;
}

static void op_reg(const uint8_t *r)
{
	static const unsigned widths[] = { 4, 8, 1, 2 };
	const struct asc_layout *l = fz.lay;
	const uint32_t regs[] = {
		l->a2i_control, l->a2i_send0, l->a2i_send1, l->a2i_recv0,
		l->a2i_recv1,	l->i2a_control, l->i2a_send0, l->i2a_send1,
		l->i2a_recv0,	l->i2a_recv1,
	};
	unsigned w = widths[r[1] % 4], sel = r[0] % 16;
	uint64_t off = sel < 10 ? regs[sel]
				: ((uint64_t)r[2] | (uint64_t)(r[1] & 0xf) << 8) << 2;
	uint64_t v = get(r + 3, 8), got;

	if (sel == 1 || sel == 2 || sel == 6 || sel == 7)
		w = r[1] & 0x80 ? w : 8;
	off &= ~(uint64_t)(w - 1);
	if (r[1] & 0x20) {
		/* Popping I2A only on request: the harness misses a message. */
		if (off == l->i2a_recv1 && !(r[1] & 0x40))
			return;
		(void)copro_bus_read(fz.bus, fz.mbox + off, w, &got);
		return;
	}
	/* No A2I overflow unless asked: later messages must get through. */
	if (off == l->a2i_send1 && a2i_full() && !(r[1] & 0x40))
		return;
	if (off == l->a2i_send1)
		fz.acks_untracked = true;
	/* Pushing into I2A: what comes out is not all the firmware's. */
	if (off == l->i2a_send1)
		fz.foreign = true;
	(void)copro_bus_write(fz.bus, fz.mbox + off, w, v);
}

static void op_sram(const uint8_t *r)
{
	static const unsigned widths[] = { 4, 4, 8, 1 };
	unsigned w = widths[r[1] % 4];
	uint64_t off = (get(r + 2, 2) * 4) % SRAM_SIZE, v = get(r + 4, 4);

	off &= ~(uint64_t)(w - 1);
	if (r[1] & 0x80)
		(void)copro_bus_read(fz.bus, SRAM_PHYS + off, w, &v);
	else
		(void)copro_bus_write(fz.bus, SRAM_PHYS + off, w, v);
}

static void op_app(const uint8_t *r)
{
	uint8_t ep = (uint8_t)(0x20 + r[0] % 4);

	if (r[0] & 4)
		send(0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_STARTEP) |
				RTK_STARTEP_MAKE(ep));
	else
		send(ep, get(r + 1, 4));
}

static void op_cpu(uint8_t sel)
{
	switch (sel % 3) {
	case 0:
		sync_fw();
		cpu_run(false);
		drain();
		break;
	case 1:
		if (!fz.running)
			cpu_run(true);
		break;
	default:
		cpu_run(false);
		cpu_run(true);
		break;
	}
}

static void reset_input(void)
{
	fz.foreign = false;
	fz.acks_untracked = false;
	fz.syslog_init_seen = fz.crash_seen = false;
	fz.injected = false;
	fz.n_grants = 0;
	fz.grants_overflow = false;
	memset(fz.ioreport_types, 0, sizeof(fz.ioreport_types));
	memset(fz.have_req, 0, sizeof(fz.have_req));
	fz.have_log = fz.have_ioreport = false;
	fz.last_log = fz.last_ioreport = 0;
	memset(fz.logs_pending, 0, sizeof(fz.logs_pending));
	memset(fz.arena.cpu, PATTERN, ARENA_SIZE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 1;
	unsigned steps = 0;

	if (!fz.ready && setup())
		abort();
	if (size < 1)
		return 0;
	cpu_run(false);
	use_cfg(data[0] % NCFG);
	reset_input();
	if (data[0] & 4) {
		good_boot();
	} else {
		restart_clean();
		expect_mgmt(RTK_MGMT_HELLO, "no HELLO after RUN");
	}
	while (i < size && steps++ < MAX_STEPS) {
		uint8_t op = data[i++] & 0xf;
		size_t left = size - i;
		const uint8_t *r = data + i;

		if (op == 0 && left >= 9) {
			send(r[0], get(r + 1, 8));
			i += 9;
		} else if (op == 1 && left >= 7) {
			op_mgmt(r);
			i += 7;
		} else if (op == 2 && left >= 4) {
			op_buf(r);
			i += 4;
		} else if (op == 3 && left >= 2) {
			op_syslog_ack(r);
			i += 2;
		} else if (op == 4 && left >= 1) {
			op_ioreport(r);
			i += 1;
		} else if (op == 5) {
			sync_fw();
			answer_all();
		} else if (op == 6) {
			sync_fw();
		} else if (op == 7 && left >= 3) {
			size_t n = r[2] % 64;

			if (n > left - 3)
				n = left - 3;
			op_inject(r, r + 3, n);
			i += 3 + n;
		} else if (op == 8 && left >= 1) {
			op_cpu(r[0]);
			i += 1;
		} else if (op == 9 && left >= 11) {
			op_reg(r);
			i += 11;
		} else if (op == 10 && left >= 8) {
			op_sram(r);
			i += 8;
		} else if (op == 11) {
			sync_fw();
			cpu_run(false);
			drain();
			check_arena();
			reset_input();
			good_boot();
		} else if (op == 12 && left >= 5) {
			op_app(r);
			i += 5;
		} else {
			break;
		}
	}
	sync_fw();
	check_stats();
	/* Stopped: nothing writes the arena while it is checked. */
	cpu_run(false);
	drain();
	check_arena();
	return 0;
}
