/* SPDX-License-Identifier: MIT */
/*
 * The RTKit glue (libcopro's copro_rtkit around the engine) with
 * arbitrary message sequences from the coprocessor and arbitrary bytes
 * in the shared buffers, in every buffer mode: the engine alone is
 * fuzz_rtkit; this one adds the real buffer setup (DMA, SART, MMIO,
 * IOVA), the copies out of shared memory and the client callbacks, on a
 * board with a stand-in for the mailbox (no thread is involved): the
 * input is a script of coprocessor messages, writes into the buffers the
 * host handed out, and host-side lifecycle steps, replayed against one
 * host instance per mode that is reinitialised between inputs.
 *
 * Input: byte 0 picks the mode, then records:
 *   0 ep msg[8]             a message from the coprocessor
 *   1 ep off[2] n data[n]   the coprocessor writes into ep's buffer
 *   2 action                a host-side step (boot, wake, power, ...)
 *   3 sel type f[6]         a message built around a known type
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/log.h>
#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>
#include <copro/sart.h>
#include <copro/sim/board.h>
#include <copro/sim/sart_model.h>

#include "rtkit/rtkit_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SRAM_PHYS 0x278000000ull
#define SRAM_SIZE 0x10000ull
#define IOVA_BASE 0x900000000ull
#define IOVA_SIZE 0x100000ull
#define MODES 4

static struct {
	bool ready;
	struct copro_log *log;
	struct copro_board *b;
	struct copro_platform *p;
	struct copro_sim_sart *sart_model;
	struct copro_sart *sart;
	struct copro_rtkit *rtk[MODES];
	uint8_t sram[SRAM_SIZE];
	uint64_t sent;
} fz;

static void quiet(void *ctx, enum copro_log_level level, const char *dev,
		  const char *msg)
{
	(void)ctx;
	(void)level;
	(void)dev;
	(void)msg;
}

static uint64_t sram_read(void *ctx, uint64_t off, unsigned width)
{
	uint32_t v = 0;

	(void)ctx;
	if (width == 4)
		memcpy(&v, fz.sram + off, 4);
	return v;
}

static void sram_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	uint32_t v = (uint32_t)val;

	(void)ctx;
	if (width == 4)
		memcpy(fz.sram + off, &v, 4);
}

static const struct copro_mmio_ops sram_ops = { sram_read, sram_write };

static int fz_send(void *ctx, uint8_t ep, uint64_t msg, int64_t timeout_ns)
{
	(void)ctx;
	(void)timeout_ns;
	fz.sent += ep ^ msg;
	return 0;
}

static int fz_poll(void *ctx)
{
	(void)ctx;
	return 0;
}

static int fz_flush(void *ctx, int64_t timeout_ns)
{
	(void)ctx;
	(void)timeout_ns;
	return 0;
}

static const struct rtk_io fz_io = {
	.send = fz_send, .poll = fz_poll, .flush = fz_flush,
};

/* Client callbacks that look at everything they are given. */
static void on_crashed(void *ctx, const struct copro_crashlog *cl)
{
	(void)ctx;
	if (cl)
		fz.sent += cl->n_sections + strlen(cl->str);
}

static void on_syslog(void *ctx, const char *context, const char *text)
{
	(void)ctx;
	fz.sent += strlen(context) + strlen(text);
}

static void on_recv(void *ctx, uint8_t ep, uint64_t msg)
{
	(void)ctx;
	fz.sent += ep + msg;
}

static void on_restarted(void *ctx)
{
	(void)ctx;
	fz.sent++;
}

static const struct copro_rtkit_ops fz_ops = {
	.crashed = on_crashed,
	.syslog = on_syslog,
	.recv_message = on_recv,
	.restarted = on_restarted,
};

static int setup(void)
{
	struct copro_log_sink sink = { quiet, NULL };
	struct copro_board_config bc = { .threaded = false };
	int node;

	if (copro_log_create(&sink, COPRO_LOG_ERR, &fz.log))
		return -1;
	bc.log = fz.log;
	if (copro_board_create(&bc, &fz.b))
		return -1;
	fz.p = copro_board_platform(fz.b);
	node = copro_dt_next_compatible(copro_board_dt(fz.b), -1,
					"apple,t8103-sart");
	if (node < 0 || !(fz.sart_model = copro_board_sart(fz.b, node)) ||
	    copro_sart_probe(fz.p, node, &fz.sart))
		return -1;
	if (copro_bus_add_mmio(copro_board_bus(fz.b), SRAM_PHYS, SRAM_SIZE, &sram_ops, NULL,
			       "fuzz-sram"))
		return -1;
	for (int m = 0; m < MODES; m++) {
		struct copro_rtkit_config cfg = {
			.ops = &fz_ops,
			.shmem_mode = (enum copro_rtkit_shmem_mode)m,
			.sart = fz.sart,
			.iova_base = m == COPRO_RTKIT_SHMEM_MMIO ? SRAM_PHYS
								 : IOVA_BASE,
			.iova_size = m == COPRO_RTKIT_SHMEM_MMIO ? SRAM_SIZE
								 : IOVA_SIZE,
			.shmem_max = 0x10000,
		};

		if (rtk_create(fz.p, &cfg, "fuzz", &fz_io, NULL, &fz.rtk[m]))
			return -1;
	}
	return 0;
}

/* The coprocessor writes into a buffer the host gave it, bounds-checked. */
static void write_buf(struct copro_rtkit *rtk, uint8_t ep, uint64_t off,
		      const uint8_t *src, size_t n)
{
	struct rtk_buf *b;

	copro_mutex_lock(&rtk->lock);
	b = rtk_shmem_get(rtk, ep % RTK_SYS_EPS);
	if (b && off < b->pub.size) {
		if (n > b->pub.size - off)
			n = b->pub.size - off;
		if (b->pub.buffer) {
			memcpy((uint8_t *)b->pub.buffer + off, src, n);
		} else {
			uint64_t at = b->pub.iova - SRAM_PHYS + off;

			if (at < SRAM_SIZE && n <= SRAM_SIZE - at)
				memcpy(fz.sram + at, src, n);
		}
	}
	copro_mutex_unlock(&rtk->lock);
}

/* One engine request and what it produced, without the glue's wait. */
static void request(struct copro_rtkit *rtk,
		    int (*fn)(struct copro_rtkit_engine *,
			      struct copro_rtkit_out *))
{
	struct copro_rtkit_out out;

	copro_mutex_lock(&rtk->lock);
	fn(&rtk->eng, &out);
	rtk_request_events(rtk, &out);
	rtk_sync(rtk);
	copro_mutex_unlock(&rtk->lock);
	rtk_send_out(rtk, &out);
}

static void power(struct copro_rtkit *rtk, bool ap, unsigned state)
{
	struct copro_rtkit_out out;

	copro_mutex_lock(&rtk->lock);
	copro_rtkit_engine_set_power(&rtk->eng, ap, state, &out);
	rtk_sync(rtk);
	copro_mutex_unlock(&rtk->lock);
	rtk_send_out(rtk, &out);
}

static void action(struct copro_rtkit *rtk, uint8_t a)
{
	static const unsigned states[] = {
		COPRO_RTKIT_PWR_OFF,	  COPRO_RTKIT_PWR_SLEEP,
		COPRO_RTKIT_PWR_QUIESCED, COPRO_RTKIT_PWR_ON,
		COPRO_RTKIT_PWR_IDLE,	  COPRO_RTKIT_PWR_INIT,
	};
	char line[160];

	switch (a % 8) {
	case 0:
		request(rtk, (a & 8) ? copro_rtkit_engine_takeover
				     : copro_rtkit_engine_boot);
		break;
	case 1:
		request(rtk, copro_rtkit_engine_wake);
		break;
	case 2:
	case 3:
		power(rtk, a % 8 == 2, states[(a >> 3) % 6]);
		break;
	case 4:
		copro_rtkit_start_ep(rtk, (uint8_t)(0x20 + (a >> 3)));
		break;
	case 5:
		copro_rtkit_send_message(rtk, (uint8_t)(0x20 + (a >> 3)), a, 0);
		break;
	case 6:
		copro_mutex_lock(&rtk->lock);
		rtk_reinit_locked(rtk);
		copro_mutex_unlock(&rtk->lock);
		break;
	case 7:
		if (a & 0x80) {
			copro_rtkit_send_message_atomic(rtk,
							(uint8_t)(0x20 + (a >> 3)),
							a);
			break;
		}
		copro_rtkit_decode(line, sizeof(line), a & 8, (uint8_t)a,
				   fz.sent);
		fz.sent += strlen(line) + copro_rtkit_is_running(rtk);
		break;
	}
}

/* A message built around a type the host knows, so depth comes quickly. */
static void typed(struct copro_rtkit *rtk, const uint8_t *r)
{
	static const uint8_t eps[] = { 0, 1, 2, 3, 4, 8, 0x0a, 0x20 };
	uint8_t ep = eps[r[0] % 8];
	uint64_t fields = 0, msg;

	for (int i = 0; i < 6; i++)
		fields |= (uint64_t)r[2 + i] << (8 * i);
	if (ep == COPRO_RTKIT_EP_OSLOG)
		msg = RTK_OSLOG_TYPE_MAKE(r[1] & 3) | (fields << 12);
	else if (ep <= COPRO_RTKIT_EP_IOREPORT && (r[0] & 8))
		/* A buffer request: pages and a page-aligned IOVA. */
		msg = RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) |
		      RTK_BUF_SIZE_MAKE(r[1] % 20) |
		      RTK_BUF_IOVA_MAKE((fields & 0xfffffffff) << 12);
	else
		msg = RTK_EP_TYPE_MAKE(r[1] & 0xf) | fields;
	rtk_handle(rtk, ep, msg);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct copro_rtkit *rtk;
	size_t i = 1;

	if (!fz.ready) {
		if (setup())
			return 0;
		fz.ready = true;
	}
	if (size < 1)
		return 0;
	rtk = fz.rtk[data[0] % MODES];
	while (i < size) {
		uint8_t op = data[i++] % 4;

		if (op == 0 && size - i >= 9) {
			rtk_handle(rtk, data[i], get64(data + i + 1));
			i += 9;
		} else if (op == 1 && size - i >= 4) {
			uint8_t ep = data[i];
			uint64_t off = data[i + 1] | (uint64_t)data[i + 2] << 8;
			size_t n = data[i + 3];

			i += 4;
			if (n > size - i)
				n = size - i;
			write_buf(rtk, ep, off, data + i, n);
			i += n;
		} else if (op == 2 && size - i >= 1) {
			action(rtk, data[i++]);
		} else if (op == 3 && size - i >= 8) {
			typed(rtk, data + i);
			i += 8;
		} else {
			break;
		}
	}
	copro_mutex_lock(&rtk->lock);
	rtk_reinit_locked(rtk);
	copro_mutex_unlock(&rtk->lock);
	memset(fz.sram, 0, sizeof(fz.sram));
	return 0;
}
