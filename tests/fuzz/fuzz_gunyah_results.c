/* SPDX-License-Identifier: MIT */
/*
 * The Gunyah message-queue and doorbell controllers' handling of
 * hypercall results: a hostile "hypervisor" answers every hypercall with
 * registers taken from the input (any error code, sizes above the
 * buffer, booleans that are not, flags from nowhere, and message bytes
 * written into the caller's buffer), while a script drives the host side:
 * sends, receive and not-full interrupts, doorbell rings and interrupts,
 * withdrawal of resources. The controllers must neither crash nor read
 * past a buffer nor loop forever, and the framework's invariants must
 * hold (every send reported once).
 *
 * Platform: a polled board (no host threads), so interrupts run only in
 * copro_platform_poll and everything is deterministic. The board has no
 * hypervisor model; the fake one takes the vendor-hypervisor HVC owner.
 *
 * Input: records, each an opcode byte, then what it needs:
 *   0 n            send an n-byte message on the TX queue (timeout 0)
 *   1 / 2          raise / drop the RX queue's line, then poll
 *   3 / 4          raise / drop the TX queue's line, then poll
 *   5              ring doorbell bit 0 (SYNC)
 *   6 / 7          raise / drop the doorbell's RX line, then poll
 *   8              withdraw the TX queue's resource (revoke the channel)
 *   9              deliver deferred messages (copro_mbox_poll)
 * Bytes after the opcodes' arguments feed the hypervisor's answers:
 *   x0 selector[1] x1[8] x2[8], and for a receive up to x1 bytes of data.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/gunyah.h>
#include <copro/gunyah_msgq.h>
#include <copro/log.h>
#include <copro/mbox.h>
#include <copro/sim/board.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TX_VIRQ 200
#define RX_VIRQ 201
#define BELL_VIRQ 202
#define TX_CAP 0x10
#define RX_CAP 0x11
#define BELL_TX_CAP 0x12
#define BELL_RX_CAP 0x13

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t take64(struct input *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | take(in);
	return v;
}

static const int64_t errors[] = {
	COPRO_GH_OK,
	COPRO_GH_MSGQUEUE_EMPTY,
	COPRO_GH_MSGQUEUE_FULL,
	COPRO_GH_CSPACE_CAP_REVOKED,
	COPRO_GH_CSPACE_CAP_NULL,
	COPRO_GH_ARG_SIZE,
	COPRO_GH_UNIMPLEMENTED,
	COPRO_GH_ARG_INVAL,
};

/* The hostile hypervisor: answers from the input's tail. */
static void fake_hyp(void *ctx, enum copro_conduit conduit,
		     const struct copro_smccc_regs *in,
		     struct copro_smccc_regs *out)
{
	struct input *ans = ctx;
	uint8_t sel = take(ans);
	unsigned call = ((uint32_t)in->x[0] & 0xffff) - 0x8000;

	(void)conduit;
	out->x[0] = sel < 0xf0 ? (uint64_t)errors[sel % 8] : take64(ans);
	out->x[1] = take(ans) & 1 ? take64(ans) : take(ans);
	out->x[2] = take(ans) & 1 ? take64(ans) : take(ans) & 1;
	if (!ans->n) {
		/* Out of answers: a quiet hypervisor, so loops end. */
		out->x[0] = call == COPRO_GH_CALL_MSGQ_RECV
				    ? (uint64_t)COPRO_GH_MSGQUEUE_EMPTY
				    : (uint64_t)COPRO_GH_UNIMPLEMENTED;
	}
	if (call == COPRO_GH_CALL_MSGQ_RECV && out->x[0] == 0 &&
	    out->x[1] <= in->x[3]) {
		/* The hypervisor writes the message into the caller's buffer. */
		uint8_t *buf = (uint8_t *)(uintptr_t)in->x[2];

		for (uint64_t i = 0; i < out->x[1]; i++)
			buf[i] = take(ans);
	}
}

struct ctx {
	unsigned done, rx;
};

static void on_rx(void *c, struct copro_mbox_chan *chan, const void *msg,
		  size_t len)
{
	struct ctx *x = c;

	(void)chan;
	/* Touch every byte: an overread would show under ASan. */
	for (size_t i = 0; i < len; i++)
		x->rx += ((const uint8_t *)msg)[i];
}

static void on_done(void *c, struct copro_mbox_chan *chan, int status)
{
	(void)chan;
	(void)status;
	((struct ctx *)c)->done++;
}

static void discard(void *ctx, enum copro_log_level level, const char *dev,
		    const char *m)
{
	(void)ctx;
	(void)level;
	(void)dev;
	(void)m;
}

/* One board for the whole run: only what an input builds is torn down. */
static struct copro_board *board(void)
{
	static const struct copro_log_sink sink = { discard, NULL };
	static struct copro_board *b;
	static struct copro_log *log;

	if (!b) {
		struct copro_board_config cfg = { .board = "t8103" };

		if (copro_log_create(&sink, COPRO_LOG_ERR, &log) < 0)
			abort();
		cfg.log = log;
		if (copro_board_create(&cfg, &b) < 0)
			abort();
	}
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct copro_platform *p = copro_board_platform(board());
	struct copro_bus *bus = copro_board_bus(board());
	struct input script = { data, size / 2 };
	struct input ans = { data + size / 2, size - size / 2 };
	struct copro_gh_resource tx = { COPRO_GH_RSC_MSGQ_TX, 1, 0, TX_CAP, TX_VIRQ };
	struct copro_gh_resource rx = { COPRO_GH_RSC_MSGQ_RX, 1, 0, RX_CAP, RX_VIRQ };
	struct copro_gh_resource btx = { COPRO_GH_RSC_BELL_TX, 1, 0, BELL_TX_CAP,
					 COPRO_GH_VIRQ_NONE };
	struct copro_gh_resource brx = { COPRO_GH_RSC_BELL_RX, 1, 0, BELL_RX_CAP,
					 BELL_VIRQ };
	struct ctx x = { 0 };
	struct copro_mbox_client cl_tx = { .ctx = &x, .tx_done = on_done };
	struct copro_mbox_client cl_rx = { .ctx = &x, .rx = on_rx, .rx_ring = 4 };
	struct copro_mbox_client cl_bell = { .ctx = &x, .rx = on_rx };
	struct copro_mbox_chan *ctx_ = NULL, *crx = NULL, *cbt = NULL, *cbr = NULL;
	struct copro_gh_msgq *mq;
	struct copro_gh_bell *db;
	unsigned sent = 0;
	uint8_t msg[COPRO_GH_MSGQ_MAX_MSG_SIZE] = { 0 };

	if (copro_bus_add_fwcall(bus, COPRO_CONDUIT_HVC, COPRO_GH_OWNER, fake_hyp,
				 &ans) < 0)
		abort();
	if (copro_gh_msgq_probe(p, NULL, &mq) < 0 ||
	    copro_gh_bell_probe(p, NULL, &db) < 0)
		abort();
	copro_gh_msgq_add(mq, &tx, NULL);
	copro_gh_msgq_add(mq, &rx, NULL);
	copro_gh_bell_add(db, &btx);
	copro_gh_bell_add(db, &brx);
	copro_mbox_request(p, COPRO_GH_MSGQ_CONTROLLER, TX_CAP, &cl_tx, &ctx_);
	copro_mbox_request(p, COPRO_GH_MSGQ_CONTROLLER, RX_CAP, &cl_rx, &crx);
	copro_mbox_request(p, COPRO_GH_BELL_CONTROLLER,
			   copro_gh_bell_chan(BELL_TX_CAP, 0), &cl_tx, &cbt);
	copro_mbox_request(p, COPRO_GH_BELL_CONTROLLER,
			   copro_gh_bell_chan(BELL_RX_CAP, 0), &cl_bell, &cbr);

	while (script.n) {
		uint8_t op = take(&script) % 10;
		size_t n;

		switch (op) {
		case 0:
			n = take(&script) * 4u;
			if (ctx_ && copro_mbox_send(ctx_, msg, n, 0) == 0)
				sent++;
			break;
		case 1: case 2:
			copro_bus_irq_set(bus, RX_VIRQ, op == 1);
			copro_platform_poll(p);
			break;
		case 3: case 4:
			copro_bus_irq_set(bus, TX_VIRQ, op == 3);
			copro_platform_poll(p);
			break;
		case 5:
			if (cbt)
				copro_mbox_ring(cbt, 0);
			break;
		case 6: case 7:
			copro_bus_irq_set(bus, BELL_VIRQ, op == 6);
			copro_platform_poll(p);
			break;
		case 8:
			copro_gh_msgq_del(mq, TX_CAP);
			break;
		default:
			if (crx)
				copro_mbox_poll(crx);
			if (cbr)
				copro_mbox_poll(cbr);
			break;
		}
	}
	copro_bus_irq_set(bus, RX_VIRQ, false);
	copro_bus_irq_set(bus, TX_VIRQ, false);
	copro_bus_irq_set(bus, BELL_VIRQ, false);
	copro_mbox_free(ctx_);
	/* Every accepted message was reported exactly once (or cancelled). */
	if (ctx_ && x.done < sent)
		abort();
	copro_mbox_free(crx);
	copro_mbox_free(cbt);
	copro_mbox_free(cbr);
	copro_gh_bell_remove(db);
	copro_gh_msgq_remove(mq);
	copro_bus_remove_fwcall(bus, COPRO_CONDUIT_HVC, COPRO_GH_OWNER);
	return 0;
}
