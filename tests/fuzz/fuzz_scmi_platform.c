/* SPDX-License-Identifier: MIT */
/*
 * The SCMI platform model's parsing of whatever an agent sends, on the
 * scmi-smc board. The first byte picks the way in:
 *
 *   even: a message straight into the handler, from agent 1 or 2 (bit 1),
 *         with room for the answer from the second byte; the rest is the
 *         message (header and payload).
 *   odd:  a whole shared-memory area (status, flags, length, header,
 *         payload) as the agent would leave it, then the SMC: the
 *         channel's own checks before the handler's.
 *
 * The platform must answer within its room, echo the header, and never
 * leave the area busy: it always hands it back, with CHANNEL_ERROR if it
 * could not read it. The resources are reset between inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <copro/driver/smccc.h>
#include <copro/log.h>
#include <copro/sim/board.h>
#include <copro/sim/bus.h>
#include <copro/sim/scmi_platform.h>

#include "scmi_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define AREA 0x50000000ull
#define AREA_SIZE 0x80u
#define FID 0x82000010u

static struct {
	bool ready;
	struct copro_log *log;
	struct copro_board *b;
	struct copro_sim_scmi *s;
} fz;

static void quiet(void *ctx, enum copro_log_level level, const char *dev,
		  const char *msg)
{
	(void)ctx;
	(void)level;
	(void)dev;
	(void)msg;
}

static int setup(void)
{
	struct copro_log_sink sink = { quiet, NULL };
	struct copro_board_config bc = { .board = "scmi-smc", .threaded = false };

	if (copro_log_create(&sink, COPRO_LOG_ERR, &fz.log))
		return -1;
	bc.log = fz.log;
	if (copro_board_create(&bc, &fz.b))
		return -1;
	fz.s = copro_board_scmi(fz.b);
	fz.ready = fz.s != NULL;
	return fz.ready ? 0 : -1;
}

static void reset(void)
{
	copro_mutex_lock(&fz.s->lock);
	sp_reset_state(fz.s);
	fz.s->njobs = 0;
	copro_mutex_unlock(&fz.s->lock);
}

static void direct(const uint8_t *data, size_t size)
{
	uint8_t resp[256];
	uint32_t agent = 1 + ((data[0] >> 1) & 1);
	size_t cap, n;

	if (size < 2)
		return;
	cap = 8 + data[1] % (sizeof(resp) - 8);
	n = copro_sim_scmi_handle(fz.s, agent, data + 2, size - 2, resp, cap);
	if (size - 2 < 4) {
		if (n)
			abort();
		return;
	}
	/* Always an answer, inside its room, the header as it came. */
	if (n < 8 || n > cap || n % 4 || memcmp(resp, data + 2, 4))
		abort();
}

static void channel(const uint8_t *data, size_t size)
{
	struct copro_bus *bus = copro_board_bus(fz.b);
	struct copro_smccc_regs r;
	uint8_t img[AREA_SIZE] = { 0 };
	uint64_t args[2] = { AREA >> 12, AREA & 0xfff }, v = 0;
	uint32_t before, after, len;

	memcpy(img, data + 1, size - 1 < sizeof(img) ? size - 1 : sizeof(img));
	for (unsigned off = 0; off < AREA_SIZE; off += 4) {
		uint32_t w;

		memcpy(&w, img + off, 4);
		copro_bus_write(bus, AREA + off, 4, w);
	}
	before = (uint32_t)img[4] | (uint32_t)img[5] << 8 |
		 (uint32_t)img[6] << 16 | (uint32_t)img[7] << 24;
	if (copro_smccc_call(copro_board_platform(fz.b), COPRO_CONDUIT_SMC, FID,
			     args, 2, &r) ||
	    r.x[0])
		abort();
	copro_bus_read(bus, AREA + SCMI_SHMEM_STATUS, 4, &v);
	after = (uint32_t)v;
	copro_bus_read(bus, AREA + SCMI_SHMEM_LENGTH, 4, &v);
	len = (uint32_t)v;
	if (before & SCMI_SHMEM_STATUS_FREE) {
		/* Nothing was the platform's to do: nothing changed. */
		if (after != before)
			abort();
		return;
	}
	/* Handed back, and any answer fits the area. */
	if (!(after & SCMI_SHMEM_STATUS_FREE))
		abort();
	if (!(after & SCMI_SHMEM_STATUS_ERROR) &&
	    (len < 8 || len > AREA_SIZE - SCMI_SHMEM_HEADER))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz.ready && setup())
		abort();
	if (!size)
		return 0;
	reset();
	if (data[0] & 1)
		channel(data, size);
	else
		direct(data, size);
	return 0;
}
