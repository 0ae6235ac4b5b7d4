/* SPDX-License-Identifier: MIT */
/*
 * The register-level device models against a hostile host: raw MMIO of
 * any width at any address, and SMC/HVC calls with any function id and
 * arguments, on every board, as an untrusted driver (Linux, m1n1,
 * u-boot, OpenBSD, or a broken one) would make them. Models: the ASC
 * mailbox and CPU control registers (sim/asc_model.c, all three
 * layouts), the SART (v0, v2, v3), the SRAM, the PMGR power states, the
 * SMCCC dispatcher and the SMC mailbox firmware behind SMC and HVC, and
 * the bus itself (regions, holes, widths, alignment, the platform's
 * mappings, DMA). Others are only reached: the ANS2 controller's
 * registers are read (fuzz_ans2_model drives them), the ASCs run the echo
 * firmware instead of RTKit (fuzz_rtkit_fw), and Gunyah's hypercalls are
 * one more owner behind HVC here (fuzz_hyp_model plays its guests).
 *
 * Every built-in board is set up once (copro_board_names(), in that
 * order), and one variant: "t8103-m3", the t8103 with its mailbox in the
 * M3 layout (interrupt enable and acknowledge registers), which no
 * built-in board has. The regions are read from the bus's table, so a
 * record names "region k, offset o", never an address of one board.
 * Before each input the board is put back: the ASC's CPU stopped with
 * the echo firmware and its FIFOs drained, SART registers and PMGR
 * states back to what the board started with, SRAM zeroed, DMA buffers
 * of the last input freed; a board whose firmware (SCMI, Gunyah) a call
 * reached is created afresh, since those models have state no register
 * resets.
 *
 * Input: byte 0 picks the board (modulo their number). Then records, a
 * kind byte (modulo 10) and its fields, multi-byte fields
 * little-endian, until the input ends or MAX_RECORDS ran:
 *
 *   0 ACCESS f k a[8] v[8]  an access: f bits 1:0 the width (4, 8, 1,
 *                      2; with bit 2: 0, 3, 16, 4), bit 3 a write of v,
 *                      bits 5:4 where (0 region k at a mod its size, 1
 *                      up to 64 KiB below it, 2 up to 64 KiB past its
 *                      end, 3 the address a), bit 6 aligned to the
 *                      width, bit 7 through the platform's mapping of
 *                      region k instead of by address
 *   1 SART s e o c[4] a[4] z[4]  program SART s's entry e: o bits 1:0
 *                      the registers and their order (ADDR first,
 *                      CONFIG first, ADDR only, CONFIG only), bit 2 a and
 *                      z as a page and a page count of the DMA arena
 *                      (else raw register values), then the filter is
 *                      queried at the entry's edges
 *   2 FILTER s m d[4] l[4]  SART s's filter at an address (m bits 1:0:
 *                      entry m>>4's start + d, its end - d, the arena +
 *                      d, d << 12 as is) for l mod 128 KiB bytes; bit 2
 *                      a DMA write through the SART, bit 3 a DMA read
 *   3 ASC a o x[12]    ASC a: o mod 10 picks CPU_CONTROL = x, the
 *                      firmware (echo or none), x[0] mod 20 A2I pushes,
 *                      I2A pops, I2A pushes or A2I pops (the IOP's
 *                      registers, which the AP reaches too), IRQ_ENABLE
 *                      = x, IRQ_ACK = x, every readable register, or a
 *                      wait until the echo firmware has caught up
 *   4 POWER p o v[4]   PMGR state p: the bus's power domain on/off, its
 *                      reset line asserted/deasserted, the register
 *                      written (v) or read
 *   5 CALL c f[4] x[28]  SMC (or HVC: c bit 0); the function id f or,
 *                      with c bit 1, one the board answers (f[0]) with
 *                      bits flipped (f[1]); x1..x7 from x, small (mod 8)
 *                      with c bit 2, upper halves set with c bit 3, x0's
 *                      with bit 4; Gunyah's message pointers NULL with
 *                      bit 5 (else a buffer of the harness: the model
 *                      takes the caller's pointers, as a VM's IPA)
 *   6 SRAM s m o[2] n d[n]  n mod 41 bytes written (m bit 3: read) in
 *                      SRAM s at offset o of shared-memory area m & 7
 *                      (else of the SRAM), as 32-bit accesses
 *   7 DMA o a[8] l[4]  o mod 6: a buffer at an address, one anywhere, a
 *                      buffer freed, a device write, read or map of l
 *                      mod 80 KiB bytes at an address (o bits 5:4: the
 *                      arena + a, DRAM + a, a buffer + a, a as is)
 *   8 STEP s           yield, sleep, poll the platform, or wait for
 *                      every echo firmware to catch up
 *   9 PAR r n o[4][4]  a second host CPU: a thread repeats 16 + 2r
 *                      times n mod 4 + 1 accesses (o: region, bit 0
 *                      64-bit, bit 1 a write, bit 2 by address instead
 *                      of through the mapping, offset[2], its low byte
 *                      also picking the value written) to mailboxes,
 *                      CPU_CONTROL, SART registers, PMGR states, SRAM (the
 *                      ANS2 block only read) while the records after it
 *                      run, until the next PAR or the input's end; the
 *                      harness checks then only what stays true whatever
 *                      the order, and learns the rest from the models
 *                      once the thread is joined
 *
 * Checks, beside the sanitizers (ThreadSanitizer too: the corpus runs
 * in every build): no hang (every wait is bounded);
 * an access outside every region, straddling a region's end, of a width
 * other than 4 and 8 or misaligned fails as the bus documents (-ENXIO,
 * -EINVAL) and reads all ones, and so does one outside a mapping or
 * misaligned through the platform; each model answers each register as
 * its header says: unknown offsets and widths are bad accesses (counted,
 * read 0), registers read back what was written masked to their bits,
 * SRAM reads what was written (by address or through a mapping alike),
 * PMGR reads target, actual, the kept bit and reset as last set, by
 * register or by the bus, and the bus's power and reset state agree;
 * the ANS2 block reads all ones while a domain is off or its reset held
 * (the ASC and SART headers promise nothing of power: their registers
 * behave alike whatever the PMGR state);
 * an ASC's FIFOs never hold more than 16 messages and, while no firmware
 * runs, behave exactly as a FIFO (order, contents, CONTROL's FULL and
 * EMPTY, RECV1's bookkeeping, the overflow and underflow counts, the
 * interrupt lines, M3's latches and enables); the SART filter allows an
 * access exactly when it lies in one entry with flags set, as the
 * registers read back say, and DMA through it changes memory only there;
 * a device's DMA succeeds exactly inside a buffer, and bus faults are
 * counted; a call no one takes answers NOT_SUPPORTED with x1..x17 as
 * they were, the dispatcher answers the architecture calls, narrows
 * SMC32 registers and answers NOT_SUPPORTED to ids nobody serves, the
 * mailbox firmware and SCMI answer only their documented codes, Gunyah
 * only its error codes. After the input a well-behaved host still gets
 * what it expects: the echo of one message each way through each ASC,
 * an entry programmed as Linux does allows exactly its range, PMGR on
 * and off, SMCCC_VERSION, SCMI's BASE version over its transport,
 * Gunyah's identify; and the bus's regions are the ones it started with.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include <copro/driver/platform.h>
#include <copro/driver/smccc.h>
#include <copro/error.h>
#include <copro/gunyah.h>
#include <copro/le.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/regs/asc.h>
#include <copro/regs/sart.h>
#include <copro/regs/scmi.h>
#include <copro/regs/smc_mbox.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>
#include <copro/sim/raw.h>
#include <copro/sim/sart_model.h>

#include "bus_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BOARDS 12
#define MAX_REGIONS 32
#define MAX_ASC 2
#define MAX_SART 2
#define MAX_PMGR 4
#define MAX_SRAM 2
#define MAX_AREAS 8
#define MAX_FIDS 24
#define MAX_ARGS 8
#define MAX_BUFS 8
#define MAX_DYN 4
#define MAX_RECORDS 256
#define MAX_DEPS 4
#define ARENA_SIZE (64u * 1024)
#define PAGE 4096u
#define SART_REGS 48
#define GH_BUF 2048
#define WAIT_NS (5ull * 1000000000ull) /* a hang, not a slow machine */
#define FIFO_DEPTH ASC_FIFO_DEPTH
#define LINE_EMPTY 1u
#define LINE_NOT_EMPTY 2u
#define DISK_SIZE (1u << 20)
#define PAR_OPS 4

/* ---- what the harness knows of each board -------------------------------- */

enum rkind { RK_OTHER, RK_MBOX, RK_CPU, RK_SART, RK_PMGR, RK_SRAM, RK_ANS2 };

struct region {
	uint64_t phys, size;
	enum rkind kind;
	unsigned idx;		/* into the board's list of that kind */
	struct copro_mmio *map; /* all of it, through the board's platform */
};

/* One FIFO, as a host that made every access itself knows it. */
struct fshadow {
	bool exact;		/* no firmware ran since counts were taken */
	uint64_t wr, rd;	/* pushed and popped since creation */
	struct copro_asc_msg ent[FIFO_DEPTH];
	uint32_t known;		/* slots whose message the harness pushed */
	uint64_t send0;		/* SEND0 as last written */
	uint64_t over, under;	/* the model's counters, as they must be */
	unsigned latch, enable; /* M3: LINE_* bits */
	bool latch_known;
};

enum { A2I, I2A };

struct asc {
	struct copro_sim_asc *m;
	const struct asc_layout *lay;
	uint64_t mbox, cpu;
	unsigned line[2][2]; /* [fifo][0: empty, 1: not empty] */
	bool running, echo;
	uint32_t cpu_control;
	uint64_t bad;
	struct fshadow f[2];
};

struct sart {
	struct copro_sim_sart *m;
	uint64_t phys;
	unsigned ver, nregs;
	uint32_t regs[SART_REGS], init[SART_REGS];
	uint64_t bad, writes, allowed, blocked;
};

struct pmgr {
	int node;
	uint64_t phys;
	bool on, reset;
	uint32_t off_target, kept;
};

struct sram {
	uint64_t phys, size;
	uint8_t *shadow;
	/* Shared-memory areas: firmware writes them behind our back. */
	struct {
		uint64_t off, size;
	} area[MAX_AREAS];
	unsigned nareas;
	bool shared; /* the board has firmware reading and writing them */
};

/* The services of a board's call dispatchers. */
enum svc { SVC_SCMI, SVC_SCMI_PARAM, SVC_MBOX };

struct fid {
	uint32_t fid;
	enum copro_conduit conduit;
	enum svc kind;
	int node;
	/* -param: its channels' areas; a mailbox: its channel ids. */
	uint64_t arg[MAX_ARGS];
	unsigned nargs;
};

struct span {
	uint64_t phys, size;
};

struct board {
	const char *name;
	void *dtb; /* a variant's devicetree, else NULL */
	size_t dtb_size;
	struct copro_board *b;
	struct copro_bus *bus;
	struct copro_platform *p;
	const struct copro_dt *dt;
	bool dirty; /* firmware with state a call reached: create it again */
	bool par;   /* a helper thread makes accesses of its own */

	struct region reg[MAX_REGIONS];
	unsigned nreg;
	struct asc asc[MAX_ASC];
	unsigned nasc;
	struct sart sart[MAX_SART];
	unsigned nsart;
	struct pmgr pmgr[MAX_PMGR];
	unsigned npmgr;
	struct sram sram[MAX_SRAM];
	unsigned nsram;
	struct {
		bool present;
		uint64_t phys, size;
		int pd[MAX_DEPS], rst[MAX_DEPS]; /* PMGR indices, -1: other */
		unsigned npd, nrst;
	} ans2;
	struct fid fids[MAX_FIDS];
	unsigned nfids;
	bool hyp;
	/* The OS's SCMI transport (scmi_good). */
	struct scmi_way {
		bool present;
		enum copro_conduit conduit;
		uint32_t fid;
		uint64_t args[3], area;
		unsigned nargs;
	} scmi;

	uint64_t dram_base, dram_end;
	struct copro_dma_buf arena;
	uint8_t arena_shadow[ARENA_SIZE];
	struct span bufs[MAX_BUFS]; /* what the bus had once the arena came */
	unsigned nbufs;
	struct copro_raw_dma dyn[MAX_DYN];
	unsigned ndyn;
	uint64_t faults; /* the bus's DMA faults, as they must be */
};

/*
 * One access as the host makes it: by physical address, or through the
 * platform's mapping of a region (map), at offset `off` of it.
 */
struct access {
	uint64_t phys;
	unsigned width;
	bool write;
	uint64_t val;
	const struct region *map;
	uint64_t off;
};

static struct {
	bool ready;
	bool verbose;
	struct copro_log *log;
	struct board bd[MAX_BOARDS];
	unsigned nboards;
	uint8_t pattern[128 * 1024];
	uint8_t gh[GH_BUF];
	struct board *cur; /* for messages */
	/* A second host CPU: the PAR record's accesses, in a thread. */
	struct helper {
		struct copro_thread t;
		struct board *bd;
		struct access op[PAR_OPS];
		unsigned nops, rounds;
	} helper;
} fz;

/* ---- failing ------------------------------------------------------------- */

static void sink(void *ctx, enum copro_log_level level, const char *dev,
		 const char *msg)
{
	(void)ctx;
	if (fz.verbose)
		fprintf(stderr, "[%d] %s: %s\n", (int)level, dev ? dev : "-",
			msg);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_mmio_models: %s: ",
		fz.cur ? fz.cur->name : "setup");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond))                                               \
			die(__VA_ARGS__);                                  \
	} while (0)

static uint64_t ones(unsigned width)
{
	return width >= 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
}

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE - 1) & ~(uint64_t)(PAGE - 1);
}

/* [phys, phys + len) inside [base, base + size), without wrapping. */
static bool inside(uint64_t phys, uint64_t len, uint64_t base,
		   uint64_t size)
{
	uint64_t end;

	if (__builtin_add_overflow(phys, len, &end))
		return false;
	return phys >= base && end <= base + size;
}

/* ---- accesses ------------------------------------------------------------ */

/* The region holding [phys, phys + width), or NULL. */
static const struct region *region_of(const struct board *bd, uint64_t phys,
				      uint64_t width)
{
	for (unsigned i = 0; i < bd->nreg; i++)
		if (inside(phys, width, bd->reg[i].phys, bd->reg[i].size))
			return &bd->reg[i];
	return NULL;
}

/* An access the bus must take (the caller checked): its value read. */
static uint64_t do_io(struct board *bd, const struct access *a)
{
	const struct copro_mmio *m = a->map ? a->map->map : NULL;
	uint64_t v = 0;
	int rc;

	if (m && a->write) {
		if (a->width == 8)
			copro_writeq(m, a->off, a->val);
		else
			copro_writel(m, a->off, (uint32_t)a->val);
		return 0;
	}
	if (m)
		return a->width == 8 ? copro_readq(m, a->off)
				     : copro_readl(m, a->off);
	rc = a->write ? copro_bus_write(bd->bus, a->phys, a->width, a->val)
		      : copro_bus_read(bd->bus, a->phys, a->width, &v);
	CHECK(rc == 0, "%u-byte %s at 0x%" PRIx64 " refused (%d)", a->width,
	      a->write ? "write" : "read", a->phys, rc);
	return v;
}

static uint64_t route(struct board *bd, const struct access *a);

static uint64_t rd(struct board *bd, uint64_t phys, unsigned width)
{
	struct access a = { .phys = phys, .width = width };

	return route(bd, &a);
}

static void wr(struct board *bd, uint64_t phys, unsigned width, uint64_t v)
{
	struct access a = { .phys = phys, .width = width, .write = true,
			    .val = v };

	route(bd, &a);
}

/* ---- the ASC ------------------------------------------------------------- */

static unsigned fifo_count(const struct fshadow *f)
{
	return (unsigned)(f->wr - f->rd);
}

static unsigned fifo_cond(const struct fshadow *f)
{
	return f->wr == f->rd ? LINE_EMPTY : LINE_NOT_EMPTY;
}

/* No firmware moves the FIFOs: the CPU is stopped or runs nothing. */
static bool asc_quiet(const struct asc *s)
{
	return !s->running || !s->echo;
}

static void asc_stats(struct asc *s, struct copro_sim_asc_stats *st)
{
	copro_sim_asc_get_stats(s->m, st);
}

/* Counts from the model once no firmware runs; contents unknown. */
static void asc_resync(struct asc *s)
{
	struct copro_sim_asc_stats st;

	asc_stats(s, &st);
	s->f[A2I].wr = st.a2i_pushed;
	s->f[A2I].rd = st.a2i_popped;
	s->f[A2I].over = st.a2i_overflows;
	s->f[A2I].under = st.a2i_underflows;
	s->f[I2A].wr = st.i2a_pushed;
	s->f[I2A].rd = st.i2a_popped;
	s->f[I2A].over = st.i2a_overflows;
	s->f[I2A].under = st.i2a_underflows;
	for (int i = 0; i < 2; i++) {
		s->f[i].known = 0;
		s->f[i].exact = true;
		/* The firmware's pushes and pops latched what they saw. */
		s->f[i].latch_known = false;
	}
}

static void asc_unsync(struct asc *s)
{
	s->f[A2I].exact = s->f[I2A].exact = false;
}

/* RECV1's bits 63:32 for a pop at rd with wr pushed (asc_model.c). */
static uint64_t recv1_bk(uint64_t wr, uint64_t rd)
{
	uint64_t n = wr - rd;
	uint64_t bk = (wr & 0xf) << ASC_RECV1_INPTR_SHIFT |
		      (rd & 0xf) << ASC_RECV1_OUTPTR_SHIFT;

	if (n)
		bk |= ((n - 1) & 0xf) << ASC_RECV1_INCNT_SHIFT |
		      (n & 0x1f) << ASC_RECV1_OUTCNT_SHIFT;
	return bk;
}

static void asc_check_lines(struct board *bd, struct asc *s)
{
	for (int i = 0; i < 2; i++) {
		const struct fshadow *f = &s->f[i];
		unsigned want;

		if (!f->exact || (s->lay->irq_controls && !f->latch_known))
			continue;
		want = s->lay->irq_controls ? f->latch & f->enable
					    : fifo_cond(f);
		for (int l = 0; l < 2; l++)
			CHECK(copro_bus_irq_get(bd->bus, s->line[i][l]) ==
				      !!(want & (l ? LINE_NOT_EMPTY
						   : LINE_EMPTY)),
			      "ASC %s line %u is %d, not %u",
			      i == A2I ? "A2I" : "I2A", s->line[i][l],
			      copro_bus_irq_get(bd->bus, s->line[i][l]),
			      !!(want & (l ? LINE_NOT_EMPTY : LINE_EMPTY)));
	}
}

/* A FIFO's counts, where the shadow knows them exactly. */
static void fifo_check_counts(const struct fshadow *f, const char *name,
			      uint64_t pushed, uint64_t popped, uint64_t over,
			      uint64_t under)
{
	if (!f->exact)
		return;
	CHECK(pushed == f->wr && popped == f->rd && over == f->over &&
		      under == f->under,
	      "%s counts %" PRIu64 "/%" PRIu64 " over %" PRIu64
	      " under %" PRIu64 ", expected %" PRIu64 "/%" PRIu64 " %" PRIu64
	      " %" PRIu64,
	      name, pushed, popped, over, under, f->wr, f->rd, f->over,
	      f->under);
}

static void asc_check(struct board *bd, struct asc *s)
{
	struct copro_sim_asc_stats st, later;

	/*
	 * Pushed, then popped as it was after that: never more than 16
	 * apart, whoever pushes and pops meanwhile.
	 */
	asc_stats(s, &st);
	asc_stats(s, &later);
	CHECK((int64_t)(st.a2i_pushed - later.a2i_popped) <= FIFO_DEPTH &&
		      (int64_t)(st.i2a_pushed - later.i2a_popped) <= FIFO_DEPTH &&
		      st.a2i_popped <= st.a2i_pushed &&
		      st.i2a_popped <= st.i2a_pushed,
	      "a FIFO holds more than 16: A2I %" PRIu64 "/%" PRIu64
	      ", I2A %" PRIu64 "/%" PRIu64,
	      st.a2i_pushed, later.a2i_popped, st.i2a_pushed,
	      later.i2a_popped);
	CHECK(bd->par || st.bad_accesses == s->bad,
	      "ASC bad accesses %" PRIu64 ", expected %" PRIu64,
	      st.bad_accesses, s->bad);
	fifo_check_counts(&s->f[A2I], "A2I", st.a2i_pushed, st.a2i_popped,
			  st.a2i_overflows, st.a2i_underflows);
	fifo_check_counts(&s->f[I2A], "I2A", st.i2a_pushed, st.i2a_popped,
			  st.i2a_overflows, st.i2a_underflows);
	asc_check_lines(bd, s);
}

static void fifo_push(struct fshadow *f, uint32_t msg1)
{
	unsigned slot = (unsigned)(f->wr % FIFO_DEPTH);

	if (!f->exact)
		return;
	if (fifo_count(f) == FIFO_DEPTH) {
		f->over++; /* lost, as the hardware loses it */
		return;
	}
	f->ent[slot] = (struct copro_asc_msg){ f->send0, msg1 };
	f->known |= 1u << slot;
	f->wr++;
	f->latch |= LINE_NOT_EMPTY;
}

static void fifo_check_peek(const struct fshadow *f, uint64_t got)
{
	unsigned slot = (unsigned)(f->rd % FIFO_DEPTH);

	if (!f->exact)
		return;
	if (!fifo_count(f))
		CHECK(got == 0, "RECV0 of an empty FIFO reads 0x%" PRIx64, got);
	else if (f->known & (1u << slot))
		CHECK(got == f->ent[slot].msg0,
		      "RECV0 reads 0x%" PRIx64 ", the head is 0x%" PRIx64, got,
		      f->ent[slot].msg0);
}

static void fifo_check_pop(struct fshadow *f, uint64_t got)
{
	unsigned slot = (unsigned)(f->rd % FIFO_DEPTH);
	uint64_t bk = recv1_bk(f->wr, f->rd);

	if (!f->exact) {
		unsigned out = (unsigned)(got >> ASC_RECV1_OUTCNT_SHIFT) & 0x1f;

		CHECK(out <= FIFO_DEPTH, "RECV1 says %u entries", out);
		return;
	}
	if (!fifo_count(f)) {
		CHECK(got == bk, "RECV1 of an empty FIFO reads 0x%" PRIx64
		      ", expected 0x%" PRIx64, got, bk);
		f->under++;
		return;
	}
	CHECK((got & ~ASC_RECV1_MSG_MASK) == bk,
	      "RECV1 bookkeeping 0x%" PRIx64 ", expected 0x%" PRIx64,
	      (uint64_t)(got & ~ASC_RECV1_MSG_MASK), bk);
	if (f->known & (1u << slot))
		CHECK((uint32_t)got == f->ent[slot].msg1,
		      "RECV1 pops 0x%08" PRIx32 ", pushed 0x%08" PRIx32,
		      (uint32_t)got, f->ent[slot].msg1);
	f->known &= ~(1u << slot);
	f->rd++;
	f->latch |= fifo_cond(f);
}

static void fifo_check_control(const struct fshadow *f, uint64_t got)
{
	uint64_t want = 0;

	if (!f->exact) {
		CHECK((got & ~(uint64_t)(ASC_CONTROL_FULL | ASC_CONTROL_EMPTY)) ==
				      0 &&
			      (got & (ASC_CONTROL_FULL | ASC_CONTROL_EMPTY)) !=
				      (ASC_CONTROL_FULL | ASC_CONTROL_EMPTY),
		      "CONTROL reads 0x%" PRIx64, got);
		return;
	}
	if (!fifo_count(f))
		want = ASC_CONTROL_EMPTY;
	else if (fifo_count(f) == FIFO_DEPTH)
		want = ASC_CONTROL_FULL;
	CHECK(got == want, "CONTROL reads 0x%" PRIx64 " with %u queued", got,
	      fifo_count(f));
}

enum mreg { MR_BAD, MR_CONTROL, MR_SEND0, MR_SEND1, MR_RECV0, MR_RECV1,
	    MR_ENABLE, MR_ACK };

/* What an access does in this layout (the layout table, regs/asc.h). */
static enum mreg mbox_decode(const struct asc_layout *l,
			     const struct access *a, uint64_t off,
			     unsigned *fifo)
{
	const uint32_t regs[2][5] = {
		{ l->a2i_control, l->a2i_send0, l->a2i_send1, l->a2i_recv0,
		  l->a2i_recv1 },
		{ l->i2a_control, l->i2a_send0, l->i2a_send1, l->i2a_recv0,
		  l->i2a_recv1 },
	};
	/* Width 4 reads, width 8 writes, width 8 writes, width 8 reads... */
	static const struct {
		enum mreg r;
		unsigned width;
		bool write;
	} what[5] = {
		{ MR_CONTROL, 4, false }, { MR_SEND0, 8, true },
		{ MR_SEND1, 8, true },	  { MR_RECV0, 8, false },
		{ MR_RECV1, 8, false },
	};

	*fifo = A2I;
	for (unsigned f = 0; f < 2; f++)
		for (unsigned i = 0; i < 5; i++)
			if (off == regs[f][i]) {
				*fifo = f;
				return a->width == what[i].width &&
						       a->write == what[i].write
					       ? what[i].r
					       : MR_BAD;
			}
	if (l->irq_controls && off == l->irq_enable && a->width == 4)
		return MR_ENABLE;
	if (l->irq_controls && off == l->irq_ack && a->width == 4 && a->write)
		return MR_ACK;
	return MR_BAD;
}

static void m3_enable(struct asc *s, uint32_t v)
{
	for (int i = 0; i < 2; i++) {
		struct fshadow *f = &s->f[i];

		f->enable = (v >> (2 * i)) & (LINE_EMPTY | LINE_NOT_EMPTY);
		f->latch |= fifo_cond(f);
	}
}

static void m3_ack(struct asc *s, uint32_t v)
{
	for (int i = 0; i < 2; i++) {
		struct fshadow *f = &s->f[i];
		unsigned bits = (v >> (2 * i)) & (LINE_EMPTY | LINE_NOT_EMPTY);

		f->latch = (f->latch & ~bits) | fifo_cond(f);
		/* Both cleared: what is latched now is the condition. */
		if (bits == (LINE_EMPTY | LINE_NOT_EMPTY) && f->exact)
			f->latch_known = true;
	}
}

static uint64_t mbox_io(struct board *bd, const struct region *r,
			const struct access *a)
{
	struct asc *s = &bd->asc[r->idx];
	unsigned fifo;
	enum mreg reg = mbox_decode(s->lay, a, a->phys - r->phys, &fifo);
	struct fshadow *f = &s->f[fifo];
	uint64_t got = do_io(bd, a);

	switch (reg) {
	case MR_BAD:
		s->bad++;
		CHECK(a->write || got == 0,
		      "bad mailbox read at 0x%" PRIx64 " reads 0x%" PRIx64,
		      a->phys - r->phys, got);
		break;
	case MR_CONTROL:
		fifo_check_control(f, got);
		break;
	case MR_SEND0:
		f->send0 = a->val;
		break;
	case MR_SEND1:
		fifo_push(f, (uint32_t)a->val);
		break;
	case MR_RECV0:
		fifo_check_peek(f, got);
		break;
	case MR_RECV1:
		fifo_check_pop(f, got);
		break;
	case MR_ENABLE:
		if (a->write)
			m3_enable(s, (uint32_t)a->val);
		else
			CHECK(bd->par ||
				      got == (s->f[A2I].enable |
					      s->f[I2A].enable << 2),
			      "IRQ_ENABLE reads 0x%" PRIx64, got);
		break;
	case MR_ACK:
		m3_ack(s, (uint32_t)a->val);
		break;
	}
	asc_check(bd, s);
	return got;
}

static uint64_t cpu_io(struct board *bd, const struct region *r,
		       const struct access *a)
{
	struct asc *s = &bd->asc[r->idx];
	bool was = s->running;
	uint64_t got;

	if (a->phys - r->phys != ASC_CPU_CONTROL || a->width != 4) {
		got = do_io(bd, a);
		s->bad++;
		CHECK(a->write || got == 0, "bad CPU read reads 0x%" PRIx64,
		      got);
		asc_check(bd, s);
		return got;
	}
	got = do_io(bd, a);
	if (bd->par) { /* the helper may start and stop it too */
		if (a->write)
			s->running = a->val & ASC_CPU_CONTROL_RUN;
		return got;
	}
	if (!a->write) {
		CHECK(got == s->cpu_control,
		      "CPU_CONTROL reads 0x%" PRIx64 ", wrote 0x%" PRIx32, got,
		      s->cpu_control);
		return got;
	}
	s->cpu_control = (uint32_t)a->val;
	s->running = s->cpu_control & ASC_CPU_CONTROL_RUN;
	CHECK(copro_sim_asc_cpu_running(s->m) == s->running,
	      "CPU_CONTROL 0x%08" PRIx32 ", but the CPU %s", s->cpu_control,
	      s->running ? "is stopped" : "runs");
	if (!asc_quiet(s))
		asc_unsync(s);
	else if (was && s->echo)
		asc_resync(s);
	asc_check(bd, s);
	return got;
}

/* ---- the SART ------------------------------------------------------------ */

static uint32_t sart_mask(const struct sart *s, unsigned idx)
{
	switch (s->ver) {
	case 0:
		return idx < 16 ? SART0_CONFIG_FLAGS_MASK | SART0_CONFIG_SIZE_MASK
				: SART0_ADDR_MASK;
	case 2:
		return idx < 16 ? SART2_CONFIG_FLAGS_MASK | SART2_CONFIG_SIZE_MASK
				: SART2_ADDR_MASK;
	default:
		return idx < 16	  ? SART3_FLAGS_MASK
		       : idx < 32 ? SART3_ADDR_MASK
				  : SART3_SIZE_MASK;
	}
}

struct sentry {
	uint32_t flags;
	uint64_t phys, size;
};

/* Entry i from the registers, by the field layout of regs/sart.h. */
static void sart_entry(const struct sart *s, unsigned i, struct sentry *e)
{
	uint32_t cfg = s->regs[i];

	e->phys = (uint64_t)s->regs[16 + i] << 12;
	switch (s->ver) {
	case 0:
		e->flags = (cfg >> 24) & 0x1f;
		e->size = (uint64_t)(cfg & 0x7ffff) << 12;
		break;
	case 2:
		e->flags = cfg >> 24;
		e->size = (uint64_t)(cfg & 0xffffff) << 12;
		break;
	default:
		e->flags = cfg & 0xff;
		e->size = (uint64_t)s->regs[32 + i] << 12;
		break;
	}
}

/* The filter's answer, from what the registers read back. */
static bool sart_allows(const struct sart *s, uint64_t phys, uint64_t len)
{
	struct sentry e;

	if (!len)
		return true;
	for (unsigned i = 0; i < 16; i++) {
		sart_entry(s, i, &e);
		if (e.flags && inside(phys, len, e.phys, e.size))
			return true;
	}
	return false;
}

/* The model's counts become the shadow's: after what it cannot predict. */
static void sart_take_stats(struct sart *s)
{
	struct copro_sim_sart_stats st;

	copro_sim_sart_get_stats(s->m, &st);
	s->bad = st.bad_accesses;
	s->writes = st.reg_writes;
	s->allowed = st.allowed;
	s->blocked = st.blocked;
}

static void sart_check_stats(struct sart *s)
{
	struct copro_sim_sart_stats st;

	copro_sim_sart_get_stats(s->m, &st);
	CHECK(st.bad_accesses == s->bad && st.reg_writes == s->writes &&
		      st.allowed == s->allowed && st.blocked == s->blocked,
	      "SART counts bad %" PRIu64 " writes %" PRIu64 " allowed %" PRIu64
	      " blocked %" PRIu64 ", expected %" PRIu64 " %" PRIu64
	      " %" PRIu64 " %" PRIu64,
	      st.bad_accesses, st.reg_writes, st.allowed, st.blocked, s->bad,
	      s->writes, s->allowed, s->blocked);
}

static uint64_t sart_io(struct board *bd, const struct region *r,
			const struct access *a)
{
	struct sart *s = &bd->sart[r->idx];
	uint64_t off = a->phys - r->phys, got = do_io(bd, a);
	unsigned idx = (unsigned)(off / 4);

	if (bd->par) /* the helper's accesses count too: resync at its end */
		return got;
	if (a->width != 4 || off >= s->nregs * 4u) {
		s->bad++;
		CHECK(a->write || got == 0,
		      "bad SART read at 0x%" PRIx64 " reads 0x%" PRIx64, off,
		      got);
	} else if (a->write) {
		s->regs[idx] = (uint32_t)a->val & sart_mask(s, idx);
		s->writes++;
	} else {
		CHECK(got == s->regs[idx],
		      "SART register 0x%" PRIx64 " reads 0x%" PRIx64
		      ", holds 0x%" PRIx32,
		      off, got, s->regs[idx]);
	}
	sart_check_stats(s);
	return got;
}

/* The model's filter against the registers, counted as it counts. */
static void sart_query(struct board *bd, struct sart *s, uint64_t phys,
		       uint64_t len)
{
	bool want = sart_allows(s, phys, len);
	int rc = copro_sim_sart_check(s->m, phys, (size_t)len, false);

	if (bd->par)
		return;
	CHECK(rc == (want ? 0 : -COPRO_EBUSFAULT),
	      "SART v%u %s [0x%" PRIx64 ", +0x%" PRIx64 ")", s->ver,
	      want ? "blocks" : "allows", phys, len);
	if (len)
		*(want ? &s->allowed : &s->blocked) += 1;
	sart_check_stats(s);
}

/* ---- PMGR, SRAM, ANS2 ---------------------------------------------------- */

static uint32_t pmgr_value(const struct pmgr *g)
{
	uint32_t st = g->on ? 0xfu : g->off_target;

	return st | st << 4 | g->kept | (g->reset ? 1u << 31 : 0);
}

static void pmgr_check_bus(struct board *bd, const struct pmgr *g)
{
	CHECK(copro_bus_power_is_on(bd->bus, g->node, 0) == g->on &&
		      copro_bus_reset_asserted(bd->bus, g->node, 0) == g->reset,
	      "PMGR 0x%" PRIx64 ": the bus says power %d reset %d, not %d %d",
	      g->phys, copro_bus_power_is_on(bd->bus, g->node, 0),
	      copro_bus_reset_asserted(bd->bus, g->node, 0), g->on, g->reset);
}

static uint64_t pmgr_io(struct board *bd, const struct region *r,
			const struct access *a)
{
	struct pmgr *g = &bd->pmgr[r->idx];
	uint64_t got = do_io(bd, a);
	uint32_t v = (uint32_t)a->val;

	if (bd->par)
		return got;
	/* The region is the one 4-byte register: nothing else gets here. */
	if (a->write) {
		g->on = (v & 0xf) == 0xf;
		if (!g->on)
			g->off_target = v & 0xf;
		g->kept = v & (1u << 10);
		g->reset = v >> 31;
	} else {
		CHECK(got == pmgr_value(g),
		      "PMGR 0x%" PRIx64 " reads 0x%" PRIx64
		      ", expected 0x%" PRIx32,
		      g->phys, got, pmgr_value(g));
	}
	pmgr_check_bus(bd, g);
	return got;
}

static bool sram_volatile(const struct sram *m, uint64_t off)
{
	if (!m->shared)
		return false;
	for (unsigned i = 0; i < m->nareas; i++)
		if (inside(off, 4, m->area[i].off, m->area[i].size))
			return true;
	return false;
}

static uint64_t sram_io(struct board *bd, const struct region *r,
			const struct access *a)
{
	struct sram *m = &bd->sram[r->idx];
	uint64_t off = a->phys - r->phys, got = do_io(bd, a);

	if (bd->par)
		return got;
	for (unsigned w = 0; w < a->width / 4; w++) {
		uint64_t o = off + 4 * w;
		uint8_t *sh = m->shadow + o;

		if (a->write) {
			copro_put_le32(sh, (uint32_t)(a->val >> (32 * w)));
		} else if (!sram_volatile(m, o)) {
			CHECK((uint32_t)(got >> (32 * w)) == copro_get_le32(sh),
			      "SRAM 0x%" PRIx64 " reads 0x%08" PRIx32
			      ", holds 0x%08" PRIx32,
			      o, (uint32_t)(got >> (32 * w)), copro_get_le32(sh));
		}
	}
	return got;
}

static bool ans2_powered(const struct board *bd)
{
	for (unsigned i = 0; i < bd->ans2.npd; i++)
		if (bd->ans2.pd[i] >= 0 && !bd->pmgr[bd->ans2.pd[i]].on)
			return false;
	for (unsigned i = 0; i < bd->ans2.nrst; i++)
		if (bd->ans2.rst[i] >= 0 && bd->pmgr[bd->ans2.rst[i]].reset)
			return false;
	return true;
}

/*
 * The NVMe registers are fuzz_ans2_model's: here only reads, and writes
 * while the block is not there, which must be dropped.
 */
static uint64_t ans2_io(struct board *bd, const struct region *r,
			const struct access *a)
{
	bool on = ans2_powered(bd);
	uint64_t got;

	(void)r;
	if (a->write && (on || bd->par))
		return 0;
	got = do_io(bd, a);
	if (!a->write && !on && !bd->par)
		CHECK(got == ones(a->width),
		      "ANS2 off or in reset reads 0x%" PRIx64 " at 0x%" PRIx64,
		      got, a->phys);
	return got;
}

/* A valid access: through the model's checks. */
static uint64_t route(struct board *bd, const struct access *a)
{
	const struct region *r = region_of(bd, a->phys, a->width);

	CHECK(r, "no region at 0x%" PRIx64, a->phys);
	switch (r->kind) {
	case RK_MBOX:
		return mbox_io(bd, r, a);
	case RK_CPU:
		return cpu_io(bd, r, a);
	case RK_SART:
		return sart_io(bd, r, a);
	case RK_PMGR:
		return pmgr_io(bd, r, a);
	case RK_SRAM:
		return sram_io(bd, r, a);
	case RK_ANS2:
		return ans2_io(bd, r, a);
	default:
		return do_io(bd, a);
	}
}

/* ---- the ASC's operations ------------------------------------------------ */

static void asc_wr(struct board *bd, struct asc *s, uint32_t off,
		   unsigned width, uint64_t v)
{
	wr(bd, s->mbox + off, width, v);
}

static uint64_t asc_rd(struct board *bd, struct asc *s, uint32_t off,
		       unsigned width)
{
	return rd(bd, s->mbox + off, width);
}

static void asc_cpu(struct board *bd, struct asc *s, uint32_t v)
{
	wr(bd, s->cpu + ASC_CPU_CONTROL, 4, v);
}

static void asc_firmware(struct board *bd, struct asc *s, bool echo)
{
	int rc = copro_sim_asc_set_firmware(s->m,
					    echo ? copro_sim_fw_echo() : NULL);

	CHECK(bd->par || rc == (s->running ? -EBUSY : 0),
	      "loading firmware with the CPU %s: %d",
	      s->running ? "running" : "stopped", rc);
	if (!rc)
		s->echo = echo;
	if (asc_quiet(s) && !s->f[A2I].exact && !bd->par)
		asc_resync(s);
	else if (!asc_quiet(s))
		asc_unsync(s);
}

static bool asc_empty(struct board *bd, struct asc *s, int fifo)
{
	const struct asc_layout *l = s->lay;

	return asc_rd(bd, s, fifo == A2I ? l->a2i_control : l->i2a_control,
		      4) &
	       ASC_CONTROL_EMPTY;
}

static bool asc_full(struct board *bd, struct asc *s, int fifo)
{
	const struct asc_layout *l = s->lay;

	return asc_rd(bd, s, fifo == A2I ? l->a2i_control : l->i2a_control,
		      4) &
	       ASC_CONTROL_FULL;
}

/*
 * The echo firmware has taken every message it can: A2I is empty, or it
 * waits for room in I2A.
 */
static void asc_settle(struct board *bd, struct asc *s)
{
	uint64_t until = copro_time_ns() + WAIT_NS;

	/* The model's own state: the helper may have stopped the CPU. */
	while (s->echo && copro_sim_asc_cpu_running(s->m) &&
	       !asc_empty(bd, s, A2I) && !asc_full(bd, s, I2A)) {
		CHECK(copro_time_ns() < until,
		      "the echo firmware takes no message from A2I");
		sched_yield();
	}
}

static void asc_push(struct board *bd, struct asc *s, int fifo, uint64_t m0,
		     uint32_t m1)
{
	const struct asc_layout *l = s->lay;

	asc_wr(bd, s, fifo == A2I ? l->a2i_send0 : l->i2a_send0, 8, m0);
	asc_wr(bd, s, fifo == A2I ? l->a2i_send1 : l->i2a_send1, 8, m1);
}

static struct copro_asc_msg asc_pop(struct board *bd, struct asc *s,
				    int fifo)
{
	const struct asc_layout *l = s->lay;
	struct copro_asc_msg m;

	m.msg0 = asc_rd(bd, s, fifo == A2I ? l->a2i_recv0 : l->i2a_recv0, 8);
	m.msg1 = (uint32_t)asc_rd(bd, s,
				  fifo == A2I ? l->a2i_recv1 : l->i2a_recv1, 8);
	return m;
}

static void asc_read_all(struct board *bd, struct asc *s)
{
	const struct asc_layout *l = s->lay;

	asc_rd(bd, s, l->a2i_control, 4);
	asc_rd(bd, s, l->i2a_control, 4);
	asc_rd(bd, s, l->a2i_recv0, 8);
	asc_rd(bd, s, l->i2a_recv0, 8);
	rd(bd, s->cpu + ASC_CPU_CONTROL, 4);
	if (l->irq_controls)
		asc_rd(bd, s, l->irq_enable, 4);
}

static void op_asc(struct board *bd, const uint8_t *r)
{
	struct asc *s;
	const uint8_t *x = r + 2;
	unsigned n = x[0] % 20;
	uint64_t m0 = copro_get_le64(x + 1);
	uint32_t m1 = copro_get_le16(x + 9) | (uint32_t)x[11] << 16;

	if (!bd->nasc)
		return;
	s = &bd->asc[r[0] % bd->nasc];
	switch (r[1] % 10) {
	case 0:
		asc_cpu(bd, s, copro_get_le32(x));
		break;
	case 1:
		asc_firmware(bd, s, x[0] & 1);
		break;
	case 2:
	case 4:
		for (unsigned i = 0; i < n; i++)
			asc_push(bd, s, r[1] % 10 == 2 ? A2I : I2A, m0 + i,
				 m1 | i << 24);
		break;
	case 3:
	case 5:
		for (unsigned i = 0; i < n; i++)
			asc_pop(bd, s, r[1] % 10 == 3 ? I2A : A2I);
		break;
	case 6:
		asc_wr(bd, s, s->lay->irq_controls ? s->lay->irq_enable
						   : M3_IRQ_ENABLE,
		       4, copro_get_le32(x));
		break;
	case 7:
		asc_wr(bd, s, s->lay->irq_controls ? s->lay->irq_ack
						   : M3_IRQ_ACK,
		       4, copro_get_le32(x));
		break;
	case 8:
		asc_read_all(bd, s);
		break;
	default:
		asc_settle(bd, s);
		break;
	}
}

/* Stopped, with the echo firmware, both FIFOs empty, M3 all masked. */
static void asc_reset(struct board *bd, struct asc *s)
{
	const struct asc_layout *l = s->lay;

	asc_cpu(bd, s, 0);
	asc_firmware(bd, s, true);
	if (!s->f[A2I].exact)
		asc_resync(s);
	while (fifo_count(&s->f[I2A]))
		asc_pop(bd, s, I2A);
	while (fifo_count(&s->f[A2I]))
		asc_pop(bd, s, A2I);
	asc_wr(bd, s, l->a2i_send0, 8, 0);
	asc_wr(bd, s, l->i2a_send0, 8, 0);
	if (l->irq_controls) {
		asc_wr(bd, s, l->irq_enable, 4, 0);
		asc_wr(bd, s, l->irq_ack, 4, M3_IRQ_ALL);
	}
}

/* A well-behaved host: one message out, its echo back. */
static void asc_good(struct board *bd, struct asc *s)
{
	const struct copro_asc_msg sent = { 0x0123456789abcdefull, 0x5a5a5a5a };
	uint64_t until = copro_time_ns() + WAIT_NS;
	struct copro_asc_msg got;

	asc_reset(bd, s);
	asc_cpu(bd, s, ASC_CPU_CONTROL_RUN);
	CHECK(asc_empty(bd, s, I2A), "I2A not empty after a reset");
	asc_push(bd, s, A2I, sent.msg0, sent.msg1);
	while (asc_empty(bd, s, I2A)) {
		CHECK(copro_time_ns() < until, "no echo within %llu s",
		      WAIT_NS / 1000000000ull);
		sched_yield();
	}
	got = asc_pop(bd, s, I2A);
	CHECK(got.msg0 == sent.msg0 && got.msg1 == sent.msg1,
	      "the echo is 0x%016" PRIx64 " 0x%08" PRIx32, got.msg0, got.msg1);
	asc_cpu(bd, s, 0);
	CHECK(!fifo_count(&s->f[A2I]) && !fifo_count(&s->f[I2A]),
	      "FIFOs hold %u and %u after one echo", fifo_count(&s->f[A2I]),
	      fifo_count(&s->f[I2A]));
}

/* ---- SART operations ----------------------------------------------------- */

static void sart_set(struct board *bd, struct sart *s, unsigned idx,
		     uint32_t v)
{
	wr(bd, s->phys + 4 * idx, 4, v);
}

/* Entry e's registers in `order` (the record's o bits 1:0). */
static void sart_program(struct board *bd, struct sart *s, unsigned e,
			 unsigned order, uint32_t cfg, uint32_t addr,
			 uint32_t size)
{
	bool addr_first = order == 0, cfg_only = order == 3;

	if (order == 2) {
		sart_set(bd, s, 16 + e, addr);
		return;
	}
	if (addr_first)
		sart_set(bd, s, 16 + e, addr);
	if (s->ver == 3 && !cfg_only)
		sart_set(bd, s, 32 + e, size);
	sart_set(bd, s, e, cfg);
	if (order == 1)
		sart_set(bd, s, 16 + e, addr);
}

/* The filter at an entry's edges. */
static void sart_edges(struct board *bd, struct sart *s, unsigned e)
{
	struct sentry en;

	sart_entry(s, e, &en);
	sart_query(bd, s, en.phys, en.size);
	sart_query(bd, s, en.phys, en.size + 1);
	sart_query(bd, s, en.phys - 1, 1);
	sart_query(bd, s, en.phys + en.size - 1, 1);
	sart_query(bd, s, en.phys + en.size, 1);
}

static void op_sart(struct board *bd, const uint8_t *r)
{
	struct sart *s;
	unsigned e = r[1] % 16, order = r[2] % 4;
	uint32_t c = copro_get_le32(r + 3), a = copro_get_le32(r + 7);
	uint32_t z = copro_get_le32(r + 11);

	if (!bd->nsart)
		return;
	s = &bd->sart[r[0] % bd->nsart];
	if (r[2] & 4) {
		/* Pages of the arena: a window a driver would allow. */
		uint64_t page = a % (ARENA_SIZE / PAGE);

		a = (uint32_t)((bd->arena.phys >> 12) + page);
		z = z % (ARENA_SIZE / PAGE - page + 1);
		if (s->ver != 3)
			c = (c & 0xff000000u) | z;
	}
	sart_program(bd, s, e, order, c, a, z);
	sart_edges(bd, s, e);
}

/* A DMA master behind the SART: memory may change only where allowed. */
static bool in_bufs(const struct board *bd, uint64_t phys, uint64_t len);
static void arena_check(struct board *bd);

static void sart_dma(struct board *bd, struct sart *s, uint64_t phys,
		     uint64_t len, bool write)
{
	static uint8_t buf[128 * 1024];
	bool allow = sart_allows(s, phys, len);
	bool mem = in_bufs(bd, phys, len);
	uint64_t before = copro_bus_dma_faults(bd->bus);
	int rc = write ? copro_sim_sart_dma_write(s->m, "fuzz", phys,
						  fz.pattern, (size_t)len)
		       : copro_sim_sart_dma_read(s->m, "fuzz", phys, buf,
						 (size_t)len);

	if (bd->par) {
		/* The registers may change under us: what happened, happened. */
		bd->faults = copro_bus_dma_faults(bd->bus);
		if (!rc && write && len &&
		    inside(phys, len, bd->arena.phys, ARENA_SIZE))
			memcpy(bd->arena_shadow + (phys - bd->arena.phys),
			       fz.pattern, (size_t)len);
		return;
	}
	if (len)
		*(allow ? &s->allowed : &s->blocked) += 1;
	sart_check_stats(s);
	if (!allow) {
		CHECK(rc == -COPRO_EBUSFAULT &&
			      copro_bus_dma_faults(bd->bus) == before,
		      "SART let DMA [0x%" PRIx64 ", +0x%" PRIx64
		      ") through: %d",
		      phys, len, rc);
		return;
	}
	if (!mem) {
		CHECK(rc == -COPRO_EBUSFAULT, "DMA outside memory: %d", rc);
		bd->faults++;
		return;
	}
	CHECK(rc == 0, "allowed DMA [0x%" PRIx64 ", +0x%" PRIx64 ") fails: %d",
	      phys, len, rc);
	if (len && inside(phys, len, bd->arena.phys, ARENA_SIZE)) {
		uint8_t *sh = bd->arena_shadow + (phys - bd->arena.phys);

		if (write)
			memcpy(sh, fz.pattern, (size_t)len);
		else
			CHECK(!memcmp(sh, buf, (size_t)len),
			      "DMA read through the SART differs");
	}
}

static void op_filter(struct board *bd, const uint8_t *r)
{
	struct sart *s;
	struct sentry e;
	uint32_t d = copro_get_le32(r + 2);
	uint64_t len = copro_get_le32(r + 6) % (128 * 1024), phys;

	if (!bd->nsart)
		return;
	s = &bd->sart[r[0] % bd->nsart];
	sart_entry(s, (r[1] >> 4) % 16, &e);
	switch (r[1] % 4) {
	case 0:
		phys = e.phys + (int32_t)d;
		break;
	case 1:
		phys = e.phys + e.size - d % PAGE;
		break;
	case 2:
		phys = bd->arena.phys + (int32_t)d;
		break;
	default:
		phys = (uint64_t)d << 12;
		break;
	}
	sart_query(bd, s, phys, len);
	if (r[1] & 4)
		sart_dma(bd, s, phys, len, true);
	if (r[1] & 8)
		sart_dma(bd, s, phys, len, false);
	arena_check(bd);
}

/* Cleared, entry 3 as Linux programs it, its range exactly, restored. */
static void sart_good(struct board *bd, struct sart *s)
{
	uint64_t base = bd->arena.phys + PAGE, size = 2 * PAGE;
	uint32_t flags = s->ver == 0 ? SART0_FLAGS_ALLOW : SART2_FLAGS_ALLOW;

	for (unsigned i = 0; i < s->nregs; i++)
		sart_set(bd, s, i, 0);
	/* Linux's sart.c: the address, then the size, then the flags. */
	sart_set(bd, s, 16 + 3, (uint32_t)(base >> 12));
	if (s->ver == 3) {
		sart_set(bd, s, 32 + 3, (uint32_t)(size >> 12));
		sart_set(bd, s, 3, flags);
	} else {
		sart_set(bd, s, 3, flags << 24 | (uint32_t)(size >> 12));
	}
	CHECK(sart_allows(s, base, size) && !sart_allows(s, base - 1, 1) &&
		      !sart_allows(s, base + size, 1),
	      "the registers do not read back the entry written");
	sart_edges(bd, s, 3);
	sart_dma(bd, s, base, 64, true);
	arena_check(bd);
	for (unsigned i = 0; i < s->nregs; i++)
		sart_set(bd, s, i, s->init[i]);
}

/* ---- DMA ----------------------------------------------------------------- */

/*
 * [phys, phys + len) inside one buffer; a zero-length access is one at
 * its address (the bus looks the address up all the same).
 */
static bool in_bufs(const struct board *bd, uint64_t phys, uint64_t len)
{
	for (unsigned i = 0; i < bd->nbufs; i++)
		if (inside(phys, len ? len : 1, bd->bufs[i].phys,
			   bd->bufs[i].size))
			return true;
	/* The bus registers page-rounded sizes (bus_dma.c). */
	for (unsigned i = 0; i < bd->ndyn; i++)
		if (inside(phys, len ? len : 1, bd->dyn[i].phys,
			   page_up(bd->dyn[i].size)))
			return true;
	return false;
}

static void arena_check(struct board *bd)
{
	CHECK(!memcmp(bd->arena.cpu, bd->arena_shadow, ARENA_SIZE),
	      "DMA changed memory it was not allowed to");
	CHECK(copro_bus_dma_faults(bd->bus) == bd->faults,
	      "bus faults %" PRIu64 ", expected %" PRIu64,
	      copro_bus_dma_faults(bd->bus), bd->faults);
}

static bool pages_free(const struct board *bd, uint64_t phys, uint64_t len)
{
	for (unsigned i = 0; i < bd->nbufs; i++)
		if (phys < page_up(bd->bufs[i].phys + bd->bufs[i].size) &&
		    bd->bufs[i].phys < phys + len)
			return false;
	for (unsigned i = 0; i < bd->ndyn; i++)
		if (phys < bd->dyn[i].phys + page_up(bd->dyn[i].size) &&
		    bd->dyn[i].phys < phys + len)
			return false;
	return true;
}

static void dma_alloc(struct board *bd, uint64_t phys, uint64_t size)
{
	struct copro_raw_dma *d = &bd->dyn[bd->ndyn];
	uint64_t len = page_up(size);
	bool ok;
	int rc;

	if (bd->ndyn == MAX_DYN)
		return;
	ok = size && !(phys & (PAGE - 1)) && phys >= bd->dram_base &&
	     inside(phys, len, bd->dram_base, bd->dram_end - bd->dram_base) &&
	     pages_free(bd, phys, len);
	rc = copro_raw_dma_alloc(bd->bus, phys, (size_t)size, 0, d);
	if (phys)
		CHECK(ok ? rc == 0 : rc < 0,
		      "a buffer of 0x%" PRIx64 " at 0x%" PRIx64 ": %d", size,
		      phys, rc);
	if (!rc) {
		CHECK(!phys || d->phys == phys, "the buffer is elsewhere");
		CHECK(inside(d->phys, len, bd->dram_base,
			     bd->dram_end - bd->dram_base) &&
			      !(d->phys & (PAGE - 1)) &&
			      pages_free(bd, d->phys, len),
		      "a buffer at 0x%" PRIx64 " over another or outside DRAM",
		      d->phys);
		bd->ndyn++;
	}
}

static void dma_free(struct board *bd, unsigned k)
{
	if (!bd->ndyn)
		return;
	k %= bd->ndyn;
	copro_raw_dma_free(bd->bus, &bd->dyn[k]);
	bd->dyn[k] = bd->dyn[--bd->ndyn];
}

/* A device's DMA straight on the bus: inside a buffer or a bus fault. */
static void dma_device(struct board *bd, unsigned op, uint64_t phys,
		       uint64_t len)
{
	static uint8_t buf[80 * 1024];
	bool mem = in_bufs(bd, phys, len);
	bool arena = len && inside(phys, len, bd->arena.phys, ARENA_SIZE);
	void *ptr = NULL;
	int rc;

	if (op == 3)
		rc = copro_bus_dma_write(bd->bus, "fuzz", phys, fz.pattern,
					 (size_t)len);
	else if (op == 4)
		rc = copro_bus_dma_read(bd->bus, "fuzz", phys, buf, (size_t)len);
	else
		rc = copro_bus_dma_map(bd->bus, "fuzz", phys, (size_t)len, &ptr);
	if (rc)
		bd->faults++;
	CHECK(rc == (mem ? 0 : -COPRO_EBUSFAULT),
	      "device DMA [0x%" PRIx64 ", +0x%" PRIx64 "): %d", phys, len, rc);
	if (rc || !arena)
		return;
	if (op == 3)
		memcpy(bd->arena_shadow + (phys - bd->arena.phys), fz.pattern,
		       (size_t)len);
	else if (op == 4)
		CHECK(!memcmp(buf, bd->arena_shadow + (phys - bd->arena.phys),
			      (size_t)len),
		      "device DMA read differs");
	else
		CHECK(ptr == (uint8_t *)bd->arena.cpu + (phys - bd->arena.phys),
		      "the arena maps elsewhere");
}

static void op_dma(struct board *bd, const uint8_t *r)
{
	unsigned op = r[0] % 6;
	uint64_t a = copro_get_le64(r + 1), phys;
	uint64_t l = copro_get_le32(r + 9);

	switch ((r[0] >> 4) & 3) {
	case 0:
		phys = bd->arena.phys + (int64_t)(int32_t)a;
		break;
	case 1:
		phys = bd->dram_base + a % (bd->dram_end - bd->dram_base + 1);
		break;
	case 2:
		phys = (a >> 32) % (2 * PAGE) +
		       (bd->ndyn ? bd->dyn[a % bd->ndyn].phys : bd->arena.phys);
		break;
	default:
		phys = a;
		break;
	}
	switch (op) {
	case 0:
		dma_alloc(bd, phys & ~(uint64_t)((r[0] & 0x40) ? 0 : PAGE - 1),
			  l % (64 * 1024) + 1);
		break;
	case 1:
		dma_alloc(bd, 0, l % (64 * 1024) + 1);
		break;
	case 2:
		dma_free(bd, (unsigned)a);
		break;
	default:
		dma_device(bd, op, phys, l % (80 * 1024));
		break;
	}
	arena_check(bd);
}

/* ---- power --------------------------------------------------------------- */

static void op_power(struct board *bd, const uint8_t *r)
{
	const struct copro_backend_ops *ops = copro_bus_backend();
	struct pmgr *g;
	uint32_t v = copro_get_le32(r + 2);

	if (!bd->npmgr)
		return;
	g = &bd->pmgr[r[0] % bd->npmgr];
	switch (r[1] % 6) {
	case 0:
	case 1:
		CHECK(ops->power_set(bd->bus, g->node, 0, r[1] % 6 == 0) == 0,
		      "power_set refused");
		g->on = r[1] % 6 == 0;
		break;
	case 2:
	case 3:
		CHECK(ops->reset_set(bd->bus, g->node, 0, r[1] % 6 == 2) == 0,
		      "reset_set refused");
		g->reset = r[1] % 6 == 2;
		break;
	case 4:
		wr(bd, g->phys, 4, v);
		break;
	default:
		rd(bd, g->phys, 4);
		break;
	}
	if (!bd->par)
		pmgr_check_bus(bd, g);
	rd(bd, g->phys, 4);
}

static void pmgr_good(struct board *bd, struct pmgr *g)
{
	wr(bd, g->phys, 4, 0xf);
	CHECK(rd(bd, g->phys, 4) == 0xff, "PMGR not active after 0xf");
	wr(bd, g->phys, 4, 0);
	CHECK(rd(bd, g->phys, 4) == 0, "PMGR not off after 0");
}

/* ---- calls --------------------------------------------------------------- */

static const struct fid *fid_find(const struct board *bd,
				  enum copro_conduit c, uint32_t fid)
{
	for (unsigned i = 0; i < bd->nfids; i++)
		if (bd->fids[i].fid == fid && bd->fids[i].conduit == c)
			return &bd->fids[i];
	return NULL;
}

/* x1..x17 as they went in (from `from` on). */
static void same_regs(const struct copro_smccc_regs *in,
		      const struct copro_smccc_regs *out, unsigned from)
{
	for (unsigned i = from; i < COPRO_SMCCC_NREGS; i++)
		CHECK(out->x[i] == in->x[i],
		      "x%u 0x%" PRIx64 " came back 0x%" PRIx64, i, in->x[i],
		      out->x[i]);
}

static uint64_t ret32(uint32_t fid, int32_t v)
{
	return copro_smccc_is_64(fid) ? (uint64_t)(int64_t)v : (uint32_t)v;
}

static bool fid_arg(const struct fid *f, uint64_t v)
{
	for (unsigned i = 0; i < f->nargs; i++)
		if (f->arg[i] == v)
			return true;
	return false;
}

/*
 * SCMI over SMC rings its channel (-param: the one whose area x1 and x2
 * name, else INVALID_PARAMETER); the mailbox answers its codes, and
 * INVALID_PARAMETER for a channel that does not exist or an operation it
 * does not know.
 */
static void check_service(const struct fid *f,
			  const struct copro_smccc_regs *w,
			  const struct copro_smccc_regs *out)
{
	uint64_t x0 = out->x[0], inval =
		ret32(f->fid, COPRO_SMCCC_RET_INVALID_PARAMETER);
	unsigned mtu = COPRO_SMC_MBOX_WORDS * copro_smc_mbox_reg_bytes(f->fid);

	if (f->kind != SVC_MBOX) {
		bool named = f->kind == SVC_SCMI ||
			     (w->x[2] < 0x1000 &&
			      fid_arg(f, w->x[1] << 12 | w->x[2]) &&
			      w->x[1] < 1ull << 52);

		CHECK(x0 == (named ? 0 : inval),
		      "SCMI's SMC (x1 0x%" PRIx64 " x2 0x%" PRIx64
		      ") answers 0x%" PRIx64,
		      w->x[1], w->x[2], x0);
		same_regs(w, out, 1);
		return;
	}
	CHECK(x0 == 0 || x0 == ret32(f->fid, COPRO_SMCCC_RET_NOT_REQUIRED) ||
		      x0 == inval,
	      "the SMC mailbox answers 0x%" PRIx64, x0);
	if (!fid_arg(f, (uint32_t)w->x[1]) || w->x[2] > COPRO_SMC_MBOX_INFO)
		CHECK(x0 == inval, "channel %" PRIu64 " op %" PRIu64
		      " answers 0x%" PRIx64, w->x[1], w->x[2], x0);
	if (x0) {
		same_regs(w, out, 1);
		return;
	}
	if (w->x[2] == COPRO_SMC_MBOX_RECV)
		CHECK(out->x[1] <= mtu, "RECV of %" PRIu64 " bytes", out->x[1]);
	if (w->x[2] == COPRO_SMC_MBOX_INFO)
		CHECK(out->x[1] >= 1 && out->x[1] <= 3, "INFO 0x%" PRIx64,
		      out->x[1]);
}

/* The EL3/EL2 dispatcher (smccc_fw.h). */
static void check_dispatcher(const struct board *bd, enum copro_conduit c,
			     const struct copro_smccc_regs *in,
			     const struct copro_smccc_regs *out)
{
	uint32_t fid = (uint32_t)in->x[0];
	bool is64 = copro_smccc_is_64(fid);
	uint64_t ns = ret32(fid, COPRO_SMCCC_RET_NOT_SUPPORTED), upper = 0;
	struct copro_smccc_regs w = *in;
	const struct fid *svc;

	/* Fast calls with 23:16 set, yielding calls outside trusted OSes. */
	if (copro_smccc_is_fast(fid) ? (fid & 0x00ff0000u)
				     : copro_smccc_owner(fid) < 50) {
		CHECK(out->x[0] == ns, "a malformed id answers 0x%" PRIx64,
		      out->x[0]);
		same_regs(in, out, 1);
		return;
	}
	for (unsigned i = 0; i < 8; i++)
		upper |= in->x[i] >> 32;
	for (unsigned i = 0; i < 8 && !is64 && upper; i++)
		w.x[i] = (uint32_t)w.x[i];
	if (copro_smccc_owner(fid) == 0) {
		uint32_t q = (uint32_t)w.x[1];
		uint64_t want = ns;

		if (fid == COPRO_SMCCC_VERSION)
			want = COPRO_SMCCC_VERSION_1_2;
		if (fid == COPRO_SMCCC_ARCH_FEATURES &&
		    (q == COPRO_SMCCC_VERSION || q == COPRO_SMCCC_ARCH_FEATURES))
			want = 0;
		CHECK(out->x[0] == want, "arch call 0x%08" PRIx32 " answers 0x%"
		      PRIx64, fid, out->x[0]);
		same_regs(&w, out, 1);
		return;
	}
	svc = fid_find(bd, c, fid);
	if (!svc) {
		CHECK(out->x[0] == ns, "0x%08" PRIx32 " nobody serves answers 0x%"
		      PRIx64, fid, out->x[0]);
		same_regs(&w, out, 1);
		return;
	}
	check_service(svc, &w, out);
}

static bool gh_known(int64_t e)
{
	static const int64_t codes[] = {
		COPRO_GH_OK, COPRO_GH_UNIMPLEMENTED, COPRO_GH_RETRY,
		COPRO_GH_ARG_INVAL, COPRO_GH_ARG_SIZE, COPRO_GH_ARG_ALIGN,
		COPRO_GH_NOMEM, COPRO_GH_ADDR_OVFL, COPRO_GH_ADDR_UNFL,
		COPRO_GH_ADDR_INVAL, COPRO_GH_DENIED, COPRO_GH_BUSY,
		COPRO_GH_IDLE, COPRO_GH_IRQ_BOUND, COPRO_GH_IRQ_UNBOUND,
		COPRO_GH_CSPACE_CAP_NULL, COPRO_GH_CSPACE_CAP_REVOKED,
		COPRO_GH_CSPACE_WRONG_OBJ_TYPE, COPRO_GH_CSPACE_INSUF_RIGHTS,
		COPRO_GH_CSPACE_FULL, COPRO_GH_MSGQUEUE_EMPTY,
		COPRO_GH_MSGQUEUE_FULL,
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (e == codes[i])
			return true;
	return false;
}

static void check_hyp(const struct copro_smccc_regs *in,
		      const struct copro_smccc_regs *out)
{
	uint32_t fid = (uint32_t)in->x[0];

	if (fid == COPRO_GH_FN(COPRO_GH_CALL_IDENTIFY) && !(in->x[0] >> 32)) {
		CHECK(out->x[0] == (COPRO_GH_API_V1 | COPRO_GH_API_64BIT),
		      "identify answers 0x%" PRIx64, out->x[0]);
		return;
	}
	CHECK(gh_known((int64_t)out->x[0]), "hypercall 0x%" PRIx64
	      " answers 0x%" PRIx64, in->x[0], out->x[0]);
}

/* Makes the call and checks the answer by who took it. */
static void call(struct board *bd, enum copro_conduit c,
		 const struct copro_smccc_regs *in,
		 struct copro_smccc_regs *out)
{
	struct bus_fwcall *slot =
		&bd->bus->fw.by_owner[c - 1][COPRO_SMCCC_OWNER(in->x[0])];
	copro_bus_fwcall_fn fn = atomic_load(&slot->fn);
	void *ctx = atomic_load(&slot->ctx);

	CHECK(copro_bus_backend()->fw_call(bd->bus, c, in, out) == 0,
	      "the call was not made");
	if (!fn) {
		CHECK(out->x[0] == COPRO_SMCCC_NOT_SUPPORTED,
		      "a call nobody takes answers 0x%" PRIx64, out->x[0]);
		same_regs(in, out, 1);
	} else if (ctx == copro_board_smccc(bd->b, c)) {
		check_dispatcher(bd, c, in, out);
	} else {
		check_hyp(in, out);
	}
}

static uint32_t call_fid(const struct board *bd, const uint8_t *f, bool known)
{
	static const uint32_t common[] = {
		COPRO_SMCCC_VERSION,
		COPRO_SMCCC_ARCH_FEATURES,
		COPRO_GH_FN(COPRO_GH_CALL_IDENTIFY),
		COPRO_GH_FN(COPRO_GH_CALL_MSGQ_SEND),
		COPRO_GH_FN(COPRO_GH_CALL_MSGQ_RECV),
		COPRO_GH_FN(COPRO_GH_CALL_BELL_SEND),
	};
	unsigned n = (unsigned)(sizeof(common) / sizeof(common[0])), k;
	uint32_t fid;

	if (!known)
		return copro_get_le32(f);
	k = f[0] % (n + bd->nfids);
	fid = k < n ? common[k] : bd->fids[k - n].fid;
	if (f[1] & 1)
		fid ^= COPRO_SMCCC_SMC64;
	if (f[1] & 2)
		fid ^= (uint32_t)f[2] << 16;
	if (f[1] & 4)
		fid ^= (uint32_t)f[3];
	return fid;
}

static void op_call(struct board *bd, const uint8_t *r)
{
	enum copro_conduit c = r[0] & 1 ? COPRO_CONDUIT_HVC : COPRO_CONDUIT_SMC;
	struct copro_smccc_regs in, out;
	uint32_t fid = call_fid(bd, r + 1, r[0] & 2);
	unsigned gh;

	for (unsigned i = 0; i < COPRO_SMCCC_NREGS; i++)
		in.x[i] = 0x1111111111111111ull * i;
	in.x[0] = fid | (r[0] & 0x10 ? (uint64_t)copro_get_le32(r + 1) << 32
				     : 0);
	for (unsigned i = 1; i < 8; i++) {
		uint64_t v = copro_get_le32(r + 1 + 4 * i);

		if (r[0] & 4)
			v %= 8;
		if (r[0] & 8)
			v |= (uint64_t)(~(uint32_t)v) << 32;
		in.x[i] = v;
	}
	/* Gunyah's model takes message buffers as pointers: ours, or NULL. */
	gh = (fid & 0xffff) - 0x8000;
	if (bd->hyp && (fid & 0xffff0000u) == 0xc6000000u &&
	    (gh == COPRO_GH_CALL_MSGQ_SEND || gh == COPRO_GH_CALL_MSGQ_RECV)) {
		memcpy(fz.gh, fz.pattern, sizeof(fz.gh));
		in.x[gh == COPRO_GH_CALL_MSGQ_SEND ? 3 : 2] =
			r[0] & 0x20 ? 0 : (uint64_t)(uintptr_t)fz.gh;
		if (gh == COPRO_GH_CALL_MSGQ_RECV && in.x[3] > GH_BUF)
			in.x[3] = GH_BUF;
	}
	call(bd, c, &in, &out);
	if (atomic_load(&bd->bus->fw.by_owner[c - 1][COPRO_SMCCC_OWNER(fid)].fn))
		bd->dirty = true;
}

static void call_simple(struct board *bd, enum copro_conduit c, uint32_t fid,
			const uint64_t *args, unsigned nargs,
			struct copro_smccc_regs *out)
{
	struct copro_smccc_regs in = { { fid } };

	for (unsigned i = 0; i < nargs; i++)
		in.x[1 + i] = args[i];
	call(bd, c, &in, out);
}

/* SMCCC_VERSION from every dispatcher, identify from the hypervisor. */
static void calls_good(struct board *bd)
{
	struct copro_smccc_regs out;

	for (int c = COPRO_CONDUIT_SMC; c <= COPRO_CONDUIT_HVC; c++)
		if (copro_board_smccc(bd->b, (enum copro_conduit)c)) {
			call_simple(bd, (enum copro_conduit)c,
				    COPRO_SMCCC_VERSION, NULL, 0, &out);
			CHECK(out.x[0] == COPRO_SMCCC_VERSION_1_2,
			      "SMCCC_VERSION 0x%" PRIx64, out.x[0]);
		}
	if (bd->hyp) {
		call_simple(bd, COPRO_CONDUIT_HVC,
			    COPRO_GH_FN(COPRO_GH_CALL_IDENTIFY), NULL, 0, &out);
		CHECK(out.x[0] == (COPRO_GH_API_V1 | COPRO_GH_API_64BIT),
		      "identify 0x%" PRIx64, out.x[0]);
	}
}

/*
 * SCMI BASE_PROTOCOL_VERSION from the OS's agent over its transport, as
 * Linux's scmi driver sends it: the area marked busy, the header, the
 * call (or the mailbox's SEND), then the area handed back with SUCCESS
 * and a version.
 */
static void scmi_good(struct board *bd)
{
	const struct scmi_way *w = &bd->scmi;
	uint32_t hdr = scmi_hdr(SCMI_PROTO_BASE, 0, SCMI_MSG_COMMAND, 0x2a);
	uint64_t until = copro_time_ns() + WAIT_NS;
	struct copro_smccc_regs out;

	if (!w->present)
		return;
	wr(bd, w->area + SCMI_SHMEM_STATUS, 4, 0);
	wr(bd, w->area + SCMI_SHMEM_FLAGS, 4, 0);
	wr(bd, w->area + SCMI_SHMEM_LENGTH, 4, 4);
	wr(bd, w->area + SCMI_SHMEM_HEADER, 4, hdr);
	call_simple(bd, w->conduit, w->fid, w->args, w->nargs, &out);
	CHECK(out.x[0] == 0, "the SCMI call answers 0x%" PRIx64, out.x[0]);
	while (!(rd(bd, w->area + SCMI_SHMEM_STATUS, 4) &
		 SCMI_SHMEM_STATUS_FREE)) {
		CHECK(copro_time_ns() < until, "SCMI never answers");
		sched_yield();
	}
	CHECK(!(rd(bd, w->area + SCMI_SHMEM_STATUS, 4) &
		SCMI_SHMEM_STATUS_ERROR) &&
		      rd(bd, w->area + SCMI_SHMEM_LENGTH, 4) >= 12 &&
		      rd(bd, w->area + SCMI_SHMEM_HEADER, 4) == hdr &&
		      rd(bd, w->area + SCMI_SHMEM_PAYLOAD, 4) == 0 &&
		      rd(bd, w->area + SCMI_SHMEM_PAYLOAD + 4, 4) != 0,
	      "SCMI BASE_PROTOCOL_VERSION has no good answer");
}

/* ---- SRAM ---------------------------------------------------------------- */

static void op_sram(struct board *bd, const uint8_t *r, const uint8_t *d,
		    size_t n)
{
	struct sram *m;
	unsigned a = r[1] & 7;
	uint64_t off = copro_get_le16(r + 2), base = 0, span;

	if (!bd->nsram)
		return;
	m = &bd->sram[r[0] % bd->nsram];
	span = m->size;
	if (a < m->nareas) {
		base = m->area[a].off;
		span = m->area[a].size;
	}
	off = (base + off % span) & ~3ull;
	for (size_t i = 0; i < n && off + 4 <= m->size; i += 4, off += 4) {
		uint8_t w[4] = { 0 };

		memcpy(w, d + i, n - i < 4 ? n - i : 4);
		if (r[1] & 8)
			rd(bd, m->phys + off, 4);
		else
			wr(bd, m->phys + off, 4, copro_get_le32(w));
	}
}

/* ---- plain accesses ------------------------------------------------------ */

static const unsigned widths[8] = { 4, 8, 1, 2, 0, 3, 16, 4 };

/* An access the bus must refuse: an error, and all ones read. */
static void io_refused(struct board *bd, const struct access *a, int want)
{
	uint64_t v = 0;
	int rc = a->write ? copro_bus_write(bd->bus, a->phys, a->width, a->val)
			  : copro_bus_read(bd->bus, a->phys, a->width, &v);

	CHECK(rc == want, "%u-byte access at 0x%" PRIx64 ": %d, expected %d",
	      a->width, a->phys, rc, want);
	if (!a->write)
		CHECK((v & ones(a->width ? a->width : 8)) ==
			      ones(a->width ? a->width : 8),
		      "a refused read reads 0x%" PRIx64, v);
}

static void access_raw(struct board *bd, struct access *a)
{
	bool bad_width = a->width != 4 && a->width != 8;

	if (bad_width || (a->phys & (a->width - 1))) {
		io_refused(bd, a, -EINVAL);
		return;
	}
	if (!region_of(bd, a->phys, a->width)) {
		io_refused(bd, a, -ENXIO);
		return;
	}
	route(bd, a);
}

/* Through the platform's mapping: bounds and alignment the front end's. */
static void access_mapped(struct board *bd, struct access *a)
{
	const struct region *r = a->map;
	uint64_t v;

	a->width = a->width == 8 ? 8 : 4;
	a->phys = r->phys + a->off;
	if (a->off >= r->size || r->size - a->off < a->width ||
	    (a->phys & (a->width - 1))) {
		if (a->write)
			return; /* dropped: nothing to see but the log */
		v = do_io(bd, a);
		CHECK(v == ones(a->width),
		      "a read outside the mapping reads 0x%" PRIx64, v);
		return;
	}
	route(bd, a);
}

static void op_access(struct board *bd, const uint8_t *r)
{
	unsigned f = r[0];
	const struct region *k = bd->nreg ? &bd->reg[r[1] % bd->nreg] : NULL;
	uint64_t a = copro_get_le64(r + 2);
	struct access acc = {
		.width = widths[(f & 3) | (f & 4)],
		.write = f & 8,
		.val = copro_get_le64(r + 10),
	};
	uint64_t off;

	if (!k && ((f >> 4) & 3) != 3)
		return;
	switch ((f >> 4) & 3) {
	case 0:
		off = a % k->size;
		break;
	case 1:
		off = (uint64_t)0 - 1 - a % 65536;
		break;
	case 2:
		off = k->size + a % 65536;
		break;
	default:
		off = a - (k ? k->phys : 0);
		break;
	}
	if ((f & 0x40) && acc.width && acc.width <= 8)
		off &= ~(uint64_t)(acc.width - 1);
	if ((f & 0x80) && k) {
		acc.map = k;
		acc.off = off;
		access_mapped(bd, &acc);
		return;
	}
	acc.phys = (k ? k->phys : 0) + off;
	access_raw(bd, &acc);
}

/* ---- a second host CPU --------------------------------------------------- */

static void *helper_main(void *arg)
{
	struct helper *h = arg;

	for (unsigned i = 0; i < h->rounds; i++)
		for (unsigned k = 0; k < h->nops; k++)
			do_io(h->bd, &h->op[k]);
	return NULL;
}

static uint64_t raw_rd(struct board *bd, uint64_t phys, unsigned width)
{
	uint64_t v;

	CHECK(!copro_bus_read(bd->bus, phys, width, &v), "read refused");
	return v;
}

static void asc_after_helper(struct board *bd, struct asc *s)
{
	const struct asc_layout *l = s->lay;
	struct copro_sim_asc_stats st;
	uint32_t en;

	asc_stats(s, &st);
	s->bad = st.bad_accesses;
	s->cpu_control = (uint32_t)raw_rd(bd, s->cpu + ASC_CPU_CONTROL, 4);
	s->running = copro_sim_asc_cpu_running(s->m);
	CHECK(s->running == !!(s->cpu_control & ASC_CPU_CONTROL_RUN),
	      "CPU_CONTROL 0x%08" PRIx32 " after two writers, but the CPU %s",
	      s->cpu_control, s->running ? "runs" : "is stopped");
	/* SEND0 latches to known values; M3's enables as they read. */
	CHECK(!copro_bus_write(bd->bus, s->mbox + l->a2i_send0, 8, 0) &&
		      !copro_bus_write(bd->bus, s->mbox + l->i2a_send0, 8, 0),
	      "SEND0 refused");
	s->f[A2I].send0 = s->f[I2A].send0 = 0;
	en = l->irq_controls ? (uint32_t)raw_rd(bd, s->mbox + l->irq_enable, 4)
			     : 0;
	s->f[A2I].enable = en & 3;
	s->f[I2A].enable = (en >> 2) & 3;
	if (asc_quiet(s))
		asc_resync(s);
}

static void sart_after_helper(struct board *bd, struct sart *s)
{
	for (unsigned i = 0; i < s->nregs; i++)
		s->regs[i] = (uint32_t)raw_rd(bd, s->phys + 4 * i, 4);
	sart_take_stats(s);
}

/*
 * The helper is done: the harness learns what it did from the models
 * (counts, registers, SRAM words) and puts the PMGR states back off,
 * whose history (the target last asked for) no register tells.
 */
static void helper_join(struct board *bd)
{
	if (!bd->par)
		return;
	copro_thread_join(&fz.helper.t);
	bd->par = false;
	for (unsigned i = 0; i < bd->nasc; i++)
		asc_after_helper(bd, &bd->asc[i]);
	for (unsigned i = 0; i < bd->nsart; i++)
		sart_after_helper(bd, &bd->sart[i]);
	for (unsigned i = 0; i < bd->npmgr; i++)
		wr(bd, bd->pmgr[i].phys, 4, 0);
	for (unsigned i = 0; i < bd->nsram; i++) {
		struct sram *m = &bd->sram[i];

		for (uint64_t o = 0; o < m->size; o += 4)
			copro_put_le32(m->shadow + o,
				       (uint32_t)raw_rd(bd, m->phys + o, 4));
	}
	bd->faults = copro_bus_dma_faults(bd->bus);
}

/*
 * An access for the helper: any to a mailbox, CPU_CONTROL, a SART
 * register, a PMGR state or the SRAM; the ANS2 block only read.
 */
static void helper_op(struct board *bd, const uint8_t *o, struct access *a)
{
	const struct region *r = &bd->reg[o[0] % bd->nreg];
	uint64_t off = copro_get_le16(o + 2);

	*a = (struct access){ .width = o[1] & 1 ? 8 : 4,
			      .write = r->kind != RK_ANS2 && (o[1] & 2),
			      .val = copro_get_le64(fz.pattern + o[2] * 8) };
	switch (r->kind) {
	case RK_SART:
		off %= bd->sart[r->idx].nregs * 4u;
		a->width = 4;
		break;
	case RK_CPU:
		off = ASC_CPU_CONTROL;
		a->width = 4;
		break;
	default:
		break;
	}
	if (a->width > r->size)
		a->width = 4;
	off %= r->size;
	off &= ~(uint64_t)(a->width - 1);
	if (off + a->width > r->size)
		off = 0;
	a->phys = r->phys + off;
	if (!(o[1] & 4)) { /* through the mapping: no lookup, no lock */
		a->map = r;
		a->off = off;
	}
}

static void op_par(struct board *bd, const uint8_t *r)
{
	struct helper *h = &fz.helper;

	helper_join(bd);
	if (!bd->nreg)
		return;
	h->bd = bd;
	h->rounds = 16 + r[0] * 2u;
	h->nops = 1 + r[1] % PAR_OPS;
	for (unsigned k = 0; k < h->nops; k++)
		helper_op(bd, r + 2 + 4 * k, &h->op[k]);
	bd->par = true;
	for (unsigned i = 0; i < bd->nasc; i++)
		asc_unsync(&bd->asc[i]);
	CHECK(!copro_thread_start(&h->t, "fuzz-cpu1", helper_main, h),
	      "no helper thread");
}

/* ---- steps --------------------------------------------------------------- */

static void op_step(struct board *bd, uint8_t s)
{
	switch (s % 4) {
	case 0:
		sched_yield();
		break;
	case 1:
		usleep((s >> 2) * 20u);
		break;
	case 2:
		copro_platform_poll(bd->p);
		break;
	default:
		for (unsigned i = 0; i < bd->nasc; i++)
			asc_settle(bd, &bd->asc[i]);
		break;
	}
}

/* ---- the boards ---------------------------------------------------------- */

static int pmgr_index(const struct board *bd, int node)
{
	for (unsigned i = 0; i < bd->npmgr; i++)
		if (bd->pmgr[i].node == node)
			return (int)i;
	return -1;
}

static void find_pmgrs(struct board *bd)
{
	uint64_t size;

	for (int n = copro_dt_next_compatible(bd->dt, -1, "apple,pmgr-pwrstate");
	     n >= 0 && bd->npmgr < MAX_PMGR;
	     n = copro_dt_next_compatible(bd->dt, n, "apple,pmgr-pwrstate")) {
		struct pmgr *g = &bd->pmgr[bd->npmgr++];

		*g = (struct pmgr){ .node = n };
		CHECK(!copro_dt_reg(bd->dt, n, 0, &g->phys, &size),
		      "a PMGR state without reg");
	}
}

static const struct asc_layout *layout_named(const char *compatible)
{
	size_t n;
	const struct asc_layout *l = asc_layouts(&n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i].compatible, compatible))
			return &l[i];
	die("no layout %s", compatible);
}

static void asc_add(struct board *bd, int node, struct copro_sim_asc *m)
{
	static const char *const names[2][2] = {
		{ ASC_IRQ_SEND_EMPTY, ASC_IRQ_SEND_NOT_EMPTY },
		{ ASC_IRQ_RECV_EMPTY, ASC_IRQ_RECV_NOT_EMPTY },
	};
	struct asc *s = &bd->asc[bd->nasc++];
	struct copro_sim_asc_stats st;
	uint64_t size;

	*s = (struct asc){ .m = m, .echo = true };
	s->lay = layout_named(copro_sim_asc_layout(m));
	CHECK(!copro_dt_reg(bd->dt, node, 0, &s->mbox, &size), "ASC reg");
	copro_sim_asc_cpu_region(m, &s->cpu, &size);
	for (int f = 0; f < 2; f++)
		for (int l = 0; l < 2; l++)
			CHECK(!copro_dt_irq_by_name(bd->dt, node, names[f][l],
						    &s->line[f][l]),
			      "ASC line %s", names[f][l]);
	/* The echo firmware instead of RTKit: the mailbox is what is fuzzed. */
	CHECK(!copro_sim_asc_set_firmware(m, copro_sim_fw_echo()),
	      "cannot load the echo firmware");
	asc_stats(s, &st);
	s->bad = st.bad_accesses;
	asc_resync(s);
}

static void find_ascs(struct board *bd)
{
	static const char *const compat[] = {
		ASC_COMPAT_V4, ASC_COMPAT_GENERIC, ASC_COMPAT_T8015,
		ASC_COMPAT_M3,
	};

	for (size_t c = 0; c < sizeof(compat) / sizeof(compat[0]); c++) {
		for (int n = copro_dt_next_compatible(bd->dt, -1, compat[c]);
		     n >= 0; n = copro_dt_next_compatible(bd->dt, n, compat[c])) {
			struct copro_sim_asc *m = copro_board_asc(bd->b, n);
			bool seen = false;

			for (unsigned i = 0; i < bd->nasc; i++)
				seen |= bd->asc[i].m == m;
			if (m && !seen && bd->nasc < MAX_ASC)
				asc_add(bd, n, m);
		}
	}
}

static void find_sarts(struct board *bd)
{
	static const char *const compat[] = { SART_COMPAT_V0, SART_COMPAT_V2,
					      SART_COMPAT_V3 };
	uint64_t size, v;

	for (size_t c = 0; c < sizeof(compat) / sizeof(compat[0]); c++) {
		for (int n = copro_dt_next_compatible(bd->dt, -1, compat[c]);
		     n >= 0 && bd->nsart < MAX_SART;
		     n = copro_dt_next_compatible(bd->dt, n, compat[c])) {
			struct sart *s = &bd->sart[bd->nsart];

			*s = (struct sart){ .m = copro_board_sart(bd->b, n) };
			if (!s->m)
				continue;
			bd->nsart++;
			s->ver = copro_sim_sart_version(s->m);
			s->nregs = s->ver == 3 ? 48 : 32;
			CHECK(!copro_dt_reg(bd->dt, n, 0, &s->phys, &size),
			      "SART reg");
			for (unsigned i = 0; i < s->nregs; i++) {
				CHECK(!copro_bus_read(bd->bus, s->phys + 4 * i, 4,
						      &v),
				      "SART register %u", i);
				s->init[i] = s->regs[i] = (uint32_t)v;
			}
			sart_take_stats(s);
		}
	}
}

static void find_srams(struct board *bd)
{
	for (int n = copro_dt_next_compatible(bd->dt, -1, "mmio-sram");
	     n >= 0 && bd->nsram < MAX_SRAM;
	     n = copro_dt_next_compatible(bd->dt, n, "mmio-sram")) {
		struct sram *m = &bd->sram[bd->nsram++];

		*m = (struct sram){ .shared = copro_board_scmi(bd->b) != NULL };
		CHECK(!copro_dt_reg(bd->dt, n, 0, &m->phys, &m->size),
		      "SRAM reg");
		m->shadow = calloc(1, m->size);
		CHECK(m->shadow, "out of memory");
		for (int c = copro_dt_first_child(bd->dt, n);
		     c >= 0 && m->nareas < MAX_AREAS;
		     c = copro_dt_next_child(bd->dt, c)) {
			uint64_t phys, size;

			if (!copro_dt_is_compatible(bd->dt, c, "arm,scmi-shmem") ||
			    copro_dt_reg(bd->dt, c, 0, &phys, &size))
				continue;
			m->area[m->nareas].off = phys - m->phys;
			m->area[m->nareas++].size = size;
		}
	}
}

/* The PMGR states whose references `prop` lists, as indices. */
static void ans2_deps(struct board *bd, int node, const char *prop,
		      const char *cells, int *out, unsigned *n)
{
	int count = copro_dt_ref_count(bd->dt, node, prop, cells);
	struct copro_dt_ref ref;

	for (int i = 0; i < count && *n < MAX_DEPS; i++)
		if (!copro_dt_ref(bd->dt, node, prop, cells, (unsigned)i, &ref))
			out[(*n)++] = ref.nargs ? -1 : pmgr_index(bd, ref.node);
}

static void find_ans2(struct board *bd)
{
	int node = copro_board_nvme_node(bd->b);

	if (node < 0 || !copro_board_ans2(bd->b, node) ||
	    copro_dt_reg_by_name(bd->dt, node, "nvme", &bd->ans2.phys,
				 &bd->ans2.size))
		return;
	bd->ans2.present = true;
	ans2_deps(bd, node, "power-domains", "#power-domain-cells",
		  bd->ans2.pd, &bd->ans2.npd);
	ans2_deps(bd, node, "resets", "#reset-cells", bd->ans2.rst,
		  &bd->ans2.nrst);
}

/* The areas of node's "shmem" (its own, and its protocols'). */
static void fid_areas(struct board *bd, struct fid *f, int node)
{
	int n = copro_dt_ref_count(bd->dt, node, "shmem", NULL);
	struct copro_dt_ref ref;
	uint64_t size;

	for (int i = 0; i < n && f->nargs < MAX_ARGS; i++)
		if (!copro_dt_ref(bd->dt, node, "shmem", NULL, (unsigned)i, &ref) &&
		    !copro_dt_reg(bd->dt, ref.node, 0, &f->arg[f->nargs], &size))
			f->nargs++;
	for (int c = copro_dt_first_child(bd->dt, node); c >= 0;
	     c = copro_dt_next_child(bd->dt, c))
		fid_areas(bd, f, c);
}

/* The channels SCMI's "arm,scmi" transports use on mailbox `node`. */
static void fid_chans(struct board *bd, struct fid *f, int node)
{
	struct copro_dt_ref ref;

	for (int n = copro_dt_next_compatible(bd->dt, -1, "arm,scmi"); n >= 0;
	     n = copro_dt_next_compatible(bd->dt, n, "arm,scmi")) {
		int count = copro_dt_ref_count(bd->dt, n, "mboxes", "#mbox-cells");

		for (int i = 0; i < count && f->nargs < MAX_ARGS; i++)
			if (!copro_dt_ref(bd->dt, n, "mboxes", "#mbox-cells",
					  (unsigned)i, &ref) &&
			    ref.node == node && ref.nargs)
				f->arg[f->nargs++] = ref.args[0];
	}
}

static void fid_add(struct board *bd, int node, const char *prop,
		    enum copro_conduit c, enum svc kind)
{
	struct fid *f = &bd->fids[bd->nfids];
	uint32_t fid;

	if (bd->nfids == MAX_FIDS || copro_dt_u32(bd->dt, node, prop, &fid))
		return;
	*f = (struct fid){ .fid = fid, .conduit = c, .kind = kind,
			   .node = node };
	if (kind == SVC_SCMI_PARAM)
		fid_areas(bd, f, node);
	if (kind == SVC_MBOX)
		fid_chans(bd, f, node);
	bd->nfids++;
}

/* The services behind SMC and HVC, from the devicetree's bindings. */
static void find_fids(struct board *bd)
{
	static const struct {
		const char *compatible, *prop;
		enum svc kind;
	} svcs[] = {
		{ "arm,scmi-smc", "arm,smc-id", SVC_SCMI },
		{ "arm,scmi-smc-param", "arm,smc-id", SVC_SCMI_PARAM },
		{ "arm,smc-mbox", "arm,func-id", SVC_MBOX },
		{ "arm,hvc-mbox", "arm,func-id", SVC_MBOX },
	};
	enum copro_conduit c;

	for (size_t k = 0; k < sizeof(svcs) / sizeof(svcs[0]); k++) {
		for (int n = copro_dt_next_compatible(bd->dt, -1, svcs[k].compatible);
		     n >= 0;
		     n = copro_dt_next_compatible(bd->dt, n, svcs[k].compatible)) {
			if (svcs[k].kind == SVC_MBOX)
				c = k == 3 ? COPRO_CONDUIT_HVC : COPRO_CONDUIT_SMC;
			else if (copro_smccc_conduit_dt(bd->dt, n, &c))
				continue;
			fid_add(bd, n, svcs[k].prop, c, svcs[k].kind);
		}
	}
}

/* The OS's SCMI agent: the first transport the devicetree lists. */
static void find_scmi(struct board *bd)
{
	static const char *const compat[] = { "arm,scmi-smc-param",
					      "arm,scmi-smc", "arm,scmi" };
	struct scmi_way *w = &bd->scmi;
	struct copro_dt_ref ref;
	uint64_t size;
	int n = -1;
	size_t k;

	if (!copro_board_scmi(bd->b))
		return;
	for (k = 0; k < 3 && n < 0; k++)
		n = copro_dt_next_compatible(bd->dt, -1, compat[k]);
	if (n < 0 || copro_dt_ref(bd->dt, n, "shmem", NULL, 0, &ref) ||
	    copro_dt_reg(bd->dt, ref.node, 0, &w->area, &size))
		return;
	if (k < 3) { /* over SMC (or the PSCI conduit) */
		if (copro_dt_u32(bd->dt, n, "arm,smc-id", &w->fid) ||
		    copro_smccc_conduit_dt(bd->dt, n, &w->conduit))
			return;
		w->args[0] = w->area >> 12;
		w->args[1] = w->area & 0xfff;
		w->nargs = k == 1 ? 2 : 0;
	} else { /* a SEND on the mailbox channel "tx" */
		if (copro_dt_ref(bd->dt, n, "mboxes", "#mbox-cells", 0, &ref) ||
		    copro_dt_u32(bd->dt, ref.node, "arm,func-id", &w->fid))
			return;
		w->conduit = copro_dt_is_compatible(bd->dt, ref.node,
						    "arm,hvc-mbox")
				     ? COPRO_CONDUIT_HVC
				     : COPRO_CONDUIT_SMC;
		w->args[0] = ref.nargs ? ref.args[0] : 0;
		w->args[1] = COPRO_SMC_MBOX_SEND;
		w->nargs = 3;
	}
	w->present = true;
}

static void find_memory(struct board *bd)
{
	int n = copro_dt_path(bd->dt, "/memory");
	uint64_t base, size;
	struct bus_dma *d = &bd->bus->dma;

	CHECK(n >= 0 && !copro_dt_reg(bd->dt, n, 0, &base, &size),
	      "no /memory");
	bd->dram_base = page_up(base);
	bd->dram_end = (base + size) & ~(uint64_t)(PAGE - 1);
	CHECK(!copro_dma_alloc(bd->p, ARENA_SIZE, &bd->arena), "no arena");
	/* Whatever the board has besides: faults never happen there. */
	copro_rwlock_rdlock(&d->lock);
	for (size_t i = 0; i < d->n && bd->nbufs < MAX_BUFS; i++)
		bd->bufs[bd->nbufs++] = (struct span){ d->v[i].phys,
						       d->v[i].size };
	copro_rwlock_unlock(&d->lock);
}

static enum rkind region_kind(const struct board *bd, uint64_t phys,
			      unsigned *idx)
{
	for (*idx = 0; *idx < bd->nasc; (*idx)++) {
		if (bd->asc[*idx].mbox == phys)
			return RK_MBOX;
		if (bd->asc[*idx].cpu == phys)
			return RK_CPU;
	}
	for (*idx = 0; *idx < bd->nsart; (*idx)++)
		if (bd->sart[*idx].phys == phys)
			return RK_SART;
	for (*idx = 0; *idx < bd->npmgr; (*idx)++)
		if (bd->pmgr[*idx].phys == phys)
			return RK_PMGR;
	for (*idx = 0; *idx < bd->nsram; (*idx)++)
		if (bd->sram[*idx].phys == phys)
			return RK_SRAM;
	*idx = 0;
	return bd->ans2.present && bd->ans2.phys == phys ? RK_ANS2 : RK_OTHER;
}

/* The bus's regions, in address order, each mapped through the platform. */
static void find_regions(struct board *bd)
{
	struct bus_mmio *m = &bd->bus->mmio;

	copro_mutex_lock(&m->lock);
	CHECK(m->n <= MAX_REGIONS, "%zu regions", m->n);
	for (size_t i = 0; i < m->n; i++)
		bd->reg[bd->nreg++] = (struct region){
			.phys = m->v[i]->phys, .size = m->v[i]->size };
	copro_mutex_unlock(&m->lock);
	for (unsigned i = 0; i < bd->nreg; i++) {
		struct region *r = &bd->reg[i];

		r->kind = region_kind(bd, r->phys, &r->idx);
		CHECK(!copro_mmio_map(bd->p, r->phys, r->size, &r->map),
		      "cannot map region 0x%" PRIx64, r->phys);
	}
}

static void regions_same(struct board *bd)
{
	struct bus_mmio *m = &bd->bus->mmio;
	bool same;

	copro_mutex_lock(&m->lock);
	same = m->n == bd->nreg;
	for (size_t i = 0; same && i < m->n; i++)
		same = m->v[i]->phys == bd->reg[i].phys &&
		       m->v[i]->size == bd->reg[i].size;
	copro_mutex_unlock(&m->lock);
	CHECK(same, "the bus's regions changed");
}

static void board_open(struct board *bd)
{
	struct copro_board_config bc = {
		.board = bd->name,
		.dtb = bd->dtb,
		.dtb_size = bd->dtb_size,
		.log = fz.log,
		.disk_size = DISK_SIZE,
	};

	fz.cur = bd;
	CHECK(!copro_board_create(&bc, &bd->b), "cannot create the board");
	bd->bus = copro_board_bus(bd->b);
	bd->p = copro_board_platform(bd->b);
	bd->dt = copro_board_dt(bd->b);
	bd->hyp = copro_board_hyp(bd->b) != NULL;
	find_pmgrs(bd);
	find_ascs(bd);
	find_sarts(bd);
	find_srams(bd);
	find_ans2(bd);
	find_fids(bd);
	find_scmi(bd);
	find_memory(bd);
	find_regions(bd);
	bd->faults = copro_bus_dma_faults(bd->bus);
}

static void board_close(struct board *bd)
{
	const char *name = bd->name;
	void *dtb = bd->dtb;
	size_t dtb_size = bd->dtb_size;

	for (unsigned i = 0; i < bd->nreg; i++)
		copro_mmio_unmap(bd->reg[i].map);
	while (bd->ndyn)
		dma_free(bd, 0);
	copro_dma_free(bd->p, &bd->arena);
	for (unsigned i = 0; i < bd->nsram; i++)
		free(bd->sram[i].shadow);
	copro_board_destroy(bd->b);
	memset(bd, 0, sizeof(*bd));
	bd->name = name;
	bd->dtb = dtb;
	bd->dtb_size = dtb_size;
}

/* The t8103 with its mailbox in the M3 layout. */
static void *m3_variant(size_t *size)
{
	struct copro_dt *dt;
	const void *blob;
	void *out;
	int node;

	CHECK(!copro_board_dt_open("t8103", fz.log, &dt), "no t8103");
	blob = copro_dt_blob(dt);
	*size = fdt_totalsize(blob) + 256;
	out = malloc(*size);
	CHECK(out && !fdt_open_into(blob, out, (int)*size), "t8103's blob");
	copro_dt_close(dt);
	node = fdt_node_offset_by_compatible(out, -1, ASC_COMPAT_V4);
	CHECK(node >= 0 && !fdt_setprop_string(out, node, "compatible",
					       ASC_COMPAT_M3),
	      "no mailbox to make M3");
	return out;
}

static void setup(void)
{
	struct copro_log_sink s = { sink, NULL };
	const char *const *names = copro_board_names();
	uint64_t x = 0x9e3779b97f4a7c15ull;

	fz.verbose = getenv("FUZZ_MMIO_LOG") != NULL;
	CHECK(!copro_log_create(&s, fz.verbose ? COPRO_LOG_DEBUG : COPRO_LOG_ERR,
				&fz.log),
	      "no log");
	for (size_t i = 0; i < sizeof(fz.pattern); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fz.pattern[i] = (uint8_t)x;
	}
	for (size_t i = 0; names[i] && fz.nboards < MAX_BOARDS - 1; i++)
		fz.bd[fz.nboards++].name = names[i];
	fz.bd[fz.nboards].name = "t8103-m3";
	fz.bd[fz.nboards].dtb = m3_variant(&fz.bd[fz.nboards].dtb_size);
	fz.nboards++;
	for (unsigned i = 0; i < fz.nboards; i++) {
		struct board *bd = &fz.bd[i];

		board_open(bd);
		if (fz.verbose)
			fprintf(stderr, "board %u %s: %u regions, %u ASC, %u SART,"
				" %u PMGR, %u SRAM, ANS2 %d, %u services,"
				" SCMI %d, Gunyah %d\n",
				i, bd->name, bd->nreg, bd->nasc, bd->nsart,
				bd->npmgr, bd->nsram, bd->ans2.present,
				bd->nfids, bd->scmi.present, bd->hyp);
		for (unsigned r = 0; fz.verbose && r < bd->nreg; r++)
			fprintf(stderr, "  region %u: [0x%" PRIx64 ", +0x%" PRIx64
				") kind %d\n", r, bd->reg[r].phys,
				bd->reg[r].size, (int)bd->reg[r].kind);
	}
	fz.cur = NULL;
	fz.ready = true;
}

/* ---- between inputs ------------------------------------------------------ */

static const struct region *region_by_kind(const struct board *bd,
					   enum rkind kind, unsigned idx)
{
	for (unsigned i = 0; i < bd->nreg; i++)
		if (bd->reg[i].kind == kind && bd->reg[i].idx == idx)
			return &bd->reg[i];
	return NULL;
}

static void sram_zero(struct board *bd, unsigned i)
{
	const struct region *r = region_by_kind(bd, RK_SRAM, i);

	for (uint64_t off = 0; r && off < r->size; off += 8) {
		struct access a = { .phys = r->phys + off, .width = 8,
				    .write = true, .map = r, .off = off };

		route(bd, &a);
	}
}

static void board_reset(struct board *bd)
{
	if (bd->dirty) {
		board_close(bd);
		board_open(bd);
	}
	for (unsigned i = 0; i < bd->nasc; i++)
		asc_reset(bd, &bd->asc[i]);
	for (unsigned i = 0; i < bd->nsart; i++)
		for (unsigned r = 0; r < bd->sart[i].nregs; r++)
			sart_set(bd, &bd->sart[i], r, bd->sart[i].init[r]);
	for (unsigned i = 0; i < bd->npmgr; i++)
		wr(bd, bd->pmgr[i].phys, 4, 0);
	for (unsigned i = 0; i < bd->nsram; i++)
		sram_zero(bd, i);
	while (bd->ndyn)
		dma_free(bd, 0);
	memcpy(bd->arena.cpu, fz.pattern + 4096, ARENA_SIZE);
	memcpy(bd->arena_shadow, bd->arena.cpu, ARENA_SIZE);
	bd->faults = copro_bus_dma_faults(bd->bus);
}

/* A well-behaved host, after whatever the input did. */
static void board_good(struct board *bd)
{
	for (unsigned i = 0; i < bd->nasc; i++)
		asc_good(bd, &bd->asc[i]);
	for (unsigned i = 0; i < bd->nsart; i++)
		sart_good(bd, &bd->sart[i]);
	for (unsigned i = 0; i < bd->npmgr; i++)
		pmgr_good(bd, &bd->pmgr[i]);
	calls_good(bd);
	scmi_good(bd);
	arena_check(bd);
	regions_same(bd);
}

/* ---- the input ----------------------------------------------------------- */

enum kind { K_ACCESS, K_SART, K_FILTER, K_ASC, K_POWER, K_CALL, K_SRAM,
	    K_DMA, K_STEP, K_PAR, NKINDS };

/* Bytes after the kind byte (K_SRAM: then its n bytes of data). */
static const size_t rec_len[NKINDS] = {
	[K_ACCESS] = 18, [K_SART] = 15, [K_FILTER] = 10, [K_ASC] = 14,
	[K_POWER] = 6,	 [K_CALL] = 33, [K_SRAM] = 5,	 [K_DMA] = 13,
	[K_STEP] = 1,	 [K_PAR] = 18,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct board *bd;
	size_t i = 1;

	if (!fz.ready)
		setup();
	if (!size)
		return 0;
	bd = &fz.bd[data[0] % fz.nboards];
	fz.cur = bd;
	board_reset(bd);
	for (unsigned n = 0; n < MAX_RECORDS && i < size; n++) {
		enum kind k = (enum kind)(data[i] % NKINDS);
		const uint8_t *r = data + i + 1;
		size_t left = size - i - 1, dn = 0;

		if (left < rec_len[k])
			break;
		if (k == K_SRAM) {
			dn = r[4] % 41;
			if (dn > left - rec_len[k])
				dn = left - rec_len[k];
		}
		i += 1 + rec_len[k] + dn;
		switch (k) {
		case K_ACCESS:
			op_access(bd, r);
			break;
		case K_SART:
			op_sart(bd, r);
			break;
		case K_FILTER:
			op_filter(bd, r);
			break;
		case K_ASC:
			op_asc(bd, r);
			break;
		case K_POWER:
			op_power(bd, r);
			break;
		case K_CALL:
			op_call(bd, r);
			break;
		case K_SRAM:
			op_sram(bd, r, r + rec_len[k], dn);
			break;
		case K_DMA:
			op_dma(bd, r);
			break;
		case K_STEP:
			op_step(bd, r[0]);
			break;
		default:
			op_par(bd, r);
			break;
		}
	}
	helper_join(bd);
	board_good(bd);
	fz.cur = NULL;
	return 0;
}
