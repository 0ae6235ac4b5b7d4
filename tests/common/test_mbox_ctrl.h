/* SPDX-License-Identifier: MIT */
/*
 * A fake mailbox controller for the mailbox framework's tests: "hardware"
 * with eight channels behind one interrupt line of the real platform, in
 * any of the five TX completion modes. Its interrupt handler calls the
 * framework exactly as a real driver's would (copro_mbox_chan_txdone,
 * _tx_room, _rx, _rx_room), so tests drive the framework through the
 * platform's interrupt thread (threaded) or copro_platform_poll (polled).
 *
 * Channels: ids 0-5 send and receive, 6 only receives, 7 only sends;
 * startup of any other id fails with -ENOENT.
 *
 * The hardware, per mode:
 *   IRQ     takes one message; unless stalled, raises "done" at once.
 *   POLL    takes one message; unless stalled, last_tx_done says yes on
 *           the polls_needed-th poll.
 *   ACK     takes one message; the test acks with copro_mbox_client_txdone.
 *   CREDIT  a FIFO of credit_depth messages; unless stalled, the interrupt
 *           handler drains it and raises room when it was full.
 *   SYNC    takes the message in send; call() replies with every byte
 *           inverted.
 * A message whose TMSG_FAIL flag is set is refused with -EIO.
 *
 * Received messages wait in a per-channel hardware FIFO (tctrl_inject)
 * until the handler hands them to the framework; a full ring makes the
 * handler stop and disable its receive side until rx_resume. A discard
 * (rx_sync) hands the whole FIFO over from the discarding thread.
 */
#ifndef TEST_MBOX_CTRL_H
#define TEST_MBOX_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/driver/mbox_controller.h>
#include <copro/dt.h>
#include <copro/platform.h>

#include "testutil.h"

#define TCTRL_CHANS 8
#define TCTRL_CHAN_RX_ONLY 6
#define TCTRL_CHAN_TX_ONLY 7
#define TCTRL_MTU 16
#define TCTRL_LOG 4096 /* messages recorded per channel */
#define TCTRL_RXQ 512  /* hardware receive FIFO entries */

/* Interrupt lines the fake controllers use: far above the board's. */
#define TCTRL_LINE_BASE 3000
/* A line no test controller uses: for test_irq_gate.h's gate. */
#define TCTRL_GATE_LINE (TCTRL_LINE_BASE + 500)

/* The tests' message: a sequence number and flags. */
struct tmsg {
	uint32_t seq;
	uint32_t flags;
};
#define TMSG_FAIL 1u /* the fake hardware refuses it with -EIO */

struct tctrl_msg {
	uint32_t len;
	uint8_t data[TCTRL_MTU];
};

struct tctrl_config {
	const char *name;
	enum copro_mbox_txdone mode;
	unsigned line;	  /* interrupt line (TCTRL_LINE_BASE + n) */
	int node;	  /* devicetree node, or -1 */
	size_t mtu;	  /* 0: TCTRL_MTU */
	bool doorbell;
	bool stalled;	  /* start with the hardware not completing */
	unsigned credit_depth;	 /* CREDIT: FIFO depth (0: 4) */
	bool credit_no_full;	 /* CREDIT: never say SENT_FULL, only -EBUSY */
	unsigned polls_needed;	 /* POLL: polls until done (0: 1) */
	bool rx_use_room;	 /* check rx_room before popping (else -ENOSPC) */
	bool use_xlate;		 /* xlate: channel = first cell + 0 (checked) */
};

struct tctrl;

int tctrl_create(struct copro_platform *p, struct copro_bus *bus,
		 const struct tctrl_config *cfg,
		 struct tctrl **out);
void tctrl_destroy(struct tctrl *t);
struct copro_mbox_controller *tctrl_controller(struct tctrl *t);

/* Stalled hardware takes messages but does not complete or drain them. */
void tctrl_set_stalled(struct tctrl *t, bool stalled);
/* The next n sends (any mode but SYNC) get -EBUSY and arm the room irq. */
void tctrl_busy_next(struct tctrl *t, unsigned n);

/* Messages that reached the hardware on channel id, in order. */
unsigned tctrl_hw_count(struct tctrl *t, unsigned id);
struct tctrl_msg tctrl_hw_msg(struct tctrl *t, unsigned id, unsigned i);
/* CREDIT: messages in the hardware FIFO now. */
unsigned tctrl_fifo_level(struct tctrl *t, unsigned id);
/* CREDIT: the far side consumes n messages (raising room if it was full). */
void tctrl_fifo_pop(struct tctrl *t, unsigned id, unsigned n);
/* Sends that got -EBUSY. */
unsigned tctrl_busy_count(struct tctrl *t);
/* SYNC: sends/calls that overlapped on one channel (must stay 0). */
unsigned tctrl_sync_overlaps(struct tctrl *t);

/* Queue a message from the far side and raise the receive interrupt. */
void tctrl_inject(struct tctrl *t, unsigned id, const void *msg, size_t len);
/* Messages still waiting in the hardware receive FIFO. */
unsigned tctrl_rx_pending(struct tctrl *t, unsigned id);
unsigned tctrl_rx_resumes(struct tctrl *t, unsigned id);
/* Times the framework had the hardware emptied (rx_sync, a discard). */
unsigned tctrl_rx_syncs(struct tctrl *t, unsigned id);
/* copro_mbox_chan_rx calls that failed other than with -ENOSPC. */
unsigned tctrl_rx_errors(struct tctrl *t, unsigned id);
unsigned tctrl_shutdowns(struct tctrl *t, unsigned id);
/* True in the thread running a fake controller's interrupt handler. */
bool tctrl_in_handler(void);

/* ---- a platform on the built-in t8103 board --------------------------- */

struct tenv {
	struct test_logcap cap;
	struct copro_dt *dt;
	struct copro_bus *bus;
	struct copro_platform *p;
	bool threaded;
};

/*
 * cmocka setup/teardown; the case's mode (test_modes.h) says threaded or
 * polled, and *state becomes a struct tenv.
 */
int tenv_setup(void **state);
int tenv_teardown(void **state);
/* Both from an existing devicetree (the env does not own dt). */
int tenv_init_dt(struct tenv *e, struct copro_dt *dt, bool threaded);
void tenv_fini(struct tenv *e);

/* ---- a recording client -------------------------------------------------- */

#define TREC_MAX 4096

struct trec {
	struct copro_mutex lock;
	struct copro_mbox_chan *chan;
	int status[TREC_MAX]; /* tx_done statuses, in call order */
	unsigned ntx;
	struct tctrl_msg rx[TREC_MAX];
	unsigned nrx;
	unsigned rx_in_handler; /* rx calls made inside the fake's handler */
	/* While closed, rx blocks (in_rx counts callers inside). */
	_Atomic bool gate_closed;
	_Atomic unsigned in_rx;
};

void trec_init(struct trec *r);
void trec_fini(struct trec *r);
/* A client recording into r, with these modes and sizes. */
struct copro_mbox_client trec_client(struct trec *r,
				     enum copro_mbox_rx_mode mode,
				     unsigned rx_ring, unsigned tx_queue);
unsigned trec_ntx(struct trec *r);
unsigned trec_nrx(struct trec *r);
void trec_open_gate(struct trec *r);

/* Sends a struct tmsg. */
int tsend(struct copro_mbox_chan *chan, uint32_t seq, uint32_t flags,
	  int64_t timeout_ns);
uint32_t tmsg_seq(const struct tctrl_msg *m);

/*
 * Waits for cond(arg) up to TEST_TIMEOUT_NS; on a polled platform it
 * keeps the platform's interrupts (and chan, if given) polled meanwhile.
 */
bool tenv_wait(struct tenv *e, struct copro_mbox_chan *chan,
	       bool (*cond)(void *arg), void *arg);

#endif
