/* SPDX-License-Identifier: MIT */
/*
 * The SCMI agent's handling of whatever a platform answers. Two modes,
 * picked by the first byte's top bit:
 *
 * Commands (top bit clear): an agent is brought up on the scmi-smc board
 * and runs discovery and every protocol's queries; each command's answer
 * comes from a scripted platform that takes it from the input. Per
 * command, one record:
 *   0              the reference platform's answer
 *   1 k (pos val)*k  the reference answer's area image (status, flags,
 *                  length, header, payload) with k bytes replaced
 *   2 st fl len(2) hdr-xor(4) n payload[n]   an answer made up whole
 * When the input ends, the reference answers.
 *
 * Receive channel (top bit set): records of header(4) n(1) payload[n]
 * go to the agent's P2A handling as notifications and delayed responses
 * (one of them awaited), on an agent with a subscriber for every event.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <copro/log.h>
#include <copro/scmi.h>
#include <copro/sim/board.h>
#include <copro/sim/scmi_platform.h>
#include <copro/smc_mbox.h>

#include "scmi/scmi_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define AREA_IMAGE 0x80

static struct {
	bool ready;
	struct copro_log *log;
	struct copro_board *smc;   /* commands */
	struct copro_board *mbox;  /* receive channel */
	struct copro_smc_mbox *mb[2];
	struct copro_scmi *rx_agent;
	const uint8_t *in;
	size_t left;
	uint64_t sink;
} fz;

static void quiet(void *ctx, enum copro_log_level level, const char *dev,
		  const char *msg)
{
	(void)ctx;
	(void)level;
	(void)dev;
	(void)msg;
}

static bool take(void *dst, size_t n)
{
	if (fz.left < n)
		return false;
	memcpy(dst, fz.in, n);
	fz.in += n;
	fz.left -= n;
	return true;
}

static void answer(void *ctx, const uint8_t *req, size_t len, size_t area,
		   struct copro_sim_scmi_area *a)
{
	uint8_t resp[256], img[AREA_IMAGE], mode = 0;
	size_t n;

	(void)ctx;
	n = copro_sim_scmi_handle(copro_board_scmi(fz.smc), 1, req, len, resp,
				  area - SCMI_SHMEM_HEADER);
	a->status = SCMI_SHMEM_STATUS_FREE;
	a->length = (uint32_t)n;
	memcpy(&a->header, resp, 4);
	a->payload_len = n >= 4 ? n - 4 : 0;
	memcpy(a->payload, resp + 4, a->payload_len);
	if (!take(&mode, 1) || (mode % 3) == 0)
		return;
	if (mode % 3 == 1) {
		uint8_t k = 0, pos, val;

		/* The image: status, flags, length, header, payload. */
		memcpy(img, &a->status, 4);
		memcpy(img + 4, &a->flags, 4);
		memcpy(img + 8, &a->length, 4);
		memcpy(img + 12, &a->header, 4);
		memcpy(img + 16, a->payload, sizeof(img) - 16);
		take(&k, 1);
		for (unsigned i = 0; i < k && take(&pos, 1) && take(&val, 1); i++)
			img[pos % sizeof(img)] = val;
		memcpy(&a->status, img, 4);
		memcpy(&a->flags, img + 4, 4);
		memcpy(&a->length, img + 8, 4);
		memcpy(&a->header, img + 12, 4);
		memcpy(a->payload, img + 16, sizeof(img) - 16);
		a->payload_len = sizeof(img) - 16;
		return;
	}
	uint8_t st = 0, fl = 0, np = 0;
	uint16_t l = 0;
	uint32_t x = 0;

	take(&st, 1);
	take(&fl, 1);
	take(&l, 2);
	take(&x, 4);
	take(&np, 1);
	a->status = st;
	a->flags = fl;
	a->length = l;
	a->header ^= x;
	/* At most 255 bytes: inside the 256-byte payload. */
	a->payload_len = np;
	memset(a->payload, 0, a->payload_len);
	take(a->payload, fz.left < a->payload_len ? fz.left : a->payload_len);
}

static void on_event(void *ctx, const struct copro_scmi_event *ev)
{
	(void)ctx;
	fz.sink += ev->protocol + ev->id + ev->agent_id + ev->src_id +
		   ev->u.rate;
}

static int setup(void)
{
	struct copro_log_sink sink = { quiet, NULL };
	struct copro_board_config bc = { .board = "scmi-smc", .threaded = false };
	static const struct {
		uint8_t proto, evt;
	} evs[] = {
		{ COPRO_SCMI_BASE, 0 }, { COPRO_SCMI_POWER, 0 },
		{ COPRO_SCMI_SYSTEM, 0 }, { COPRO_SCMI_PERF, 0 },
		{ COPRO_SCMI_PERF, 1 }, { COPRO_SCMI_CLOCK, 0 },
		{ COPRO_SCMI_CLOCK, 1 }, { COPRO_SCMI_RESET, 0 },
	};
	const struct copro_dt *dt;
	struct copro_scmi_sub *sub;
	unsigned n = 0;

	if (copro_log_create(&sink, COPRO_LOG_ERR, &fz.log))
		return -1;
	bc.log = fz.log;
	if (copro_board_create(&bc, &fz.smc))
		return -1;
	bc.board = "scmi-mbox";
	bc.threaded = true;
	if (copro_board_create(&bc, &fz.mbox))
		return -1;
	dt = copro_board_dt(fz.mbox);
	for (int node = copro_dt_next_compatible(dt, -1, "arm,smc-mbox");
	     node >= 0 && n < 2;
	     node = copro_dt_next_compatible(dt, node, "arm,smc-mbox"))
		if (copro_smc_mbox_probe(copro_board_platform(fz.mbox), node,
					 &fz.mb[n++]))
			return -1;
	if (copro_scmi_probe(copro_board_platform(fz.mbox),
			     copro_scmi_node(dt, 0), NULL, &fz.rx_agent))
		return -1;
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (copro_scmi_subscribe(fz.rx_agent, evs[i].proto, evs[i].evt,
					 0, on_event, NULL, &sub))
			return -1;
	if (copro_sim_scmi_script(copro_board_scmi(fz.smc), 1, answer, NULL))
		return -1;
	fz.ready = true;
	return 0;
}

/* Discovery, then every query the protocols offer. */
static void commands(void)
{
	struct copro_scmi_config cfg = {
		.timeout_ns = 2 * COPRO_NSEC_PER_MSEC,
		.poll = true,
	};
	struct copro_scmi *a;
	struct copro_scmi_clock_info ci;
	struct copro_scmi_clock_rates r;
	struct copro_scmi_pd_info pi;
	struct copro_scmi_perf_info fi;
	struct copro_scmi_perf_level *lv;
	struct copro_scmi_reset_info ri;
	struct copro_scmi_sensor_info *si;
	char name[COPRO_SCMI_NAME_LEN];
	uint32_t v32, w32;
	uint64_t v64;
	int64_t s64;
	size_t n;
	unsigned cnt;

	if (copro_scmi_probe(copro_board_platform(fz.smc),
			     copro_scmi_node(copro_board_dt(fz.smc), 0), &cfg,
			     &a))
		return;
	fz.sink += copro_scmi_base(a)->num_protocols;
	copro_scmi_discover_agent(a, 0, &v32, name);
	copro_scmi_message_attributes(a, COPRO_SCMI_CLOCK, 5, &v32);
	if (!copro_scmi_clock_count(a, &cnt))
		for (uint32_t id = 0; id < cnt && id < 3; id++) {
			copro_scmi_clock_attributes(a, id, &ci);
			if (!copro_scmi_clock_rates(a, id, &r))
				free(r.rates);
			copro_scmi_clock_rate_get(a, id, &v64);
		}
	if (!copro_scmi_pd_count(a, &cnt) && cnt) {
		copro_scmi_pd_attributes(a, 0, &pi);
		copro_scmi_pd_get(a, 0, &v32);
	}
	if (!copro_scmi_perf_count(a, &cnt) && cnt) {
		copro_scmi_perf_attributes(a, 0, &fi);
		if (!copro_scmi_perf_levels(a, 0, &lv, &n))
			free(lv);
		copro_scmi_perf_limits_get(a, 0, &v32, &w32);
		copro_scmi_perf_level_get(a, 0, &v32);
	}
	if (!copro_scmi_sensor_list(a, &si, &n)) {
		if (n)
			copro_scmi_sensor_read(a, si[0].id, false, &s64);
		free(si);
	}
	if (!copro_scmi_reset_count(a, &cnt) && cnt)
		copro_scmi_reset_attributes(a, 0, &ri);
	copro_scmi_system_get(a, &v32);
	copro_scmi_remove(a);
}

/* Messages on the receive channel, one of them awaited. */
static void receive(void)
{
	struct copro_scmi *s = fz.rx_agent;
	struct scmi_pending *p = &s->pending[0];
	struct scmi_msg m;
	uint8_t n;

	copro_mutex_lock(&s->lock);
	p->used = true;
	p->header = scmi_hdr(SCMI_PROTO_CLOCK, SCMI_CLOCK_RATE_SET, 0, 5);
	copro_completion_reinit(&p->done);
	copro_mutex_unlock(&s->lock);
	while (take(&m.header, 4) && take(&n, 1)) {
		m.len = n; /* at most 255: inside the payload */
		memset(m.payload, 0, m.len);
		take(m.payload, fz.left < m.len ? fz.left : m.len);
		if (scmi_hdr_type(m.header) == SCMI_MSG_DELAYED_RESP)
			scmi_xfer_delayed(s, &m);
		else
			scmi_notify_dispatch(s, &m);
	}
	copro_mutex_lock(&s->lock);
	p->used = false;
	copro_mutex_unlock(&s->lock);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz.ready && setup())
		abort();
	if (!size)
		return 0;
	fz.in = data + 1;
	fz.left = size - 1;
	if (data[0] & 0x80)
		receive();
	else
		commands();
	return 0;
}
