/* SPDX-License-Identifier: MIT */
/*
 * The RTKit engine alone (rtkit_engine.h): no board, no platform, no
 * mailbox, no thread. The input is a script of coprocessor messages and
 * host requests; a stand-in glue answers the engine's events with
 * decisions and bytes taken from the input (buffers provided or
 * refused, syslog entries and crashlogs with arbitrary contents), and
 * every step is checked against the engine's promises, so a broken
 * invariant is a crash the fuzzer reports:
 *   - a step produces at most COPRO_RTKIT_OUT_* messages and events;
 *   - nothing is sent for a message received after a crash;
 *   - running means both power states ON, a version of 11 or 12 and a
 *     complete endpoint map;
 *   - only mapped application endpoints are ever started;
 *   - a buffer on record is non-empty and page aligned, and the engine
 *     asks for at most one buffer per endpoint at a time.
 *
 * Input: byte 0 configures the engine, then records:
 *   0 ep msg[8]     a message from the coprocessor
 *   1 action        a host request (boot, wake, power states, ...)
 *   2 sel type f[6] a message built around a known type
 *   3 n data[n]     bytes the stand-in glue hands out for its answers
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/crashlog.h>
#include <copro/regs/rtkit.h>
#include <copro/rtkit.h>
#include <copro/rtkit_engine.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_rtkit: broken: %s (line %d)\n", \
				#cond, __LINE__);                              \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

/* The stand-in glue: a feed of bytes for its decisions and contents. */
struct glue {
	const uint8_t *feed;
	size_t feed_len, feed_pos;
	uint64_t next_iova;
	uint64_t sink; /* keeps the work from being optimised away */
};

static uint8_t feed_byte(struct glue *g)
{
	if (g->feed_pos >= g->feed_len)
		return 0;
	return g->feed[g->feed_pos++];
}

/* Fills buf from the feed (zeroes once it runs dry). */
static void feed_bytes(struct glue *g, uint8_t *buf, size_t len)
{
	size_t n = g->feed_len - g->feed_pos;

	if (n > len)
		n = len;
	if (n)
		memcpy(buf, g->feed + g->feed_pos, n);
	memset(buf + n, 0, len - n);
	g->feed_pos += n;
}

static void log_sink(void *ctx, enum copro_log_level level, const char *msg)
{
	struct glue *g = ctx;

	g->sink += (uint64_t)level + strlen(msg);
}

static void check_state(const struct copro_rtkit_engine *e)
{
	uint64_t iova, size;

	if (copro_rtkit_engine_running(e)) {
		CHECK((copro_rtkit_engine_iop_state(e) & 0xff) == COPRO_RTKIT_PWR_ON);
		CHECK((copro_rtkit_engine_ap_state(e) & 0xff) == COPRO_RTKIT_PWR_ON);
		CHECK(copro_rtkit_engine_version(e) >= COPRO_RTKIT_MIN_VERSION &&
		      copro_rtkit_engine_version(e) <= COPRO_RTKIT_MAX_VERSION);
		CHECK(e->have_map);
	}
	for (unsigned ep = 0; ep < COPRO_RTKIT_MAX_EPS; ep++) {
		if (copro_rtkit_engine_started(e, (uint8_t)ep))
			CHECK(copro_rtkit_engine_has_ep(e, (uint8_t)ep));
	}
	for (unsigned ep = 0; ep < COPRO_RTKIT_ENGINE_SYS_EPS; ep++) {
		if (!copro_rtkit_engine_buffer_of(e, (uint8_t)ep, &iova, &size))
			continue;
		CHECK(size > 0 && !(iova & (RTK_PAGE_SIZE - 1)));
		CHECK(!e->bufs[ep].pending);
	}
}

/* What the glue does with a step's events; answers go into out. */
static void run_events(struct copro_rtkit_engine *e, struct glue *g,
		       struct copro_rtkit_out *out)
{
	char context[COPRO_RTKIT_SYSLOG_CONTEXT_MAX];
	char text[COPRO_RTKIT_SYSLOG_TEXT_MAX];
	uint8_t entry[RTK_SYSLOG_ENTRY_HDR + 0xff];
	struct copro_crashlog cl;
	unsigned buffers = 0;
	uint8_t *copy;

	CHECK(out->n_msgs <= COPRO_RTKIT_OUT_MSGS);
	CHECK(out->n_ev <= COPRO_RTKIT_OUT_EVENTS);
	for (unsigned i = 0; i < out->n_ev; i++) {
		const struct copro_rtkit_event *ev = &out->ev[i];
		uint8_t how;

		switch (ev->type) {
		case COPRO_RTKIT_EV_BUFFER:
			CHECK(++buffers == 1);
			CHECK(ev->ep < COPRO_RTKIT_ENGINE_SYS_EPS);
			CHECK(ev->size > 0 && ev->size <= e->cfg.shmem_max);
			how = feed_byte(g);
			if (how % 4 == 3) {
				copro_rtkit_engine_buffer(e, ev->ep, -ENOMEM,
							  "fuzz: refused", 0,
							  true, out);
			} else {
				uint64_t iova = ev->iova;

				if (!iova) {
					iova = g->next_iova;
					g->next_iova += (ev->size + 0xfff) &
							~0xfffull;
				}
				copro_rtkit_engine_buffer(e, ev->ep, 0, NULL,
							  iova, how % 4 != 2,
							  out);
			}
			break;
		case COPRO_RTKIT_EV_SYSLOG:
			CHECK(ev->size > RTK_SYSLOG_ENTRY_HDR &&
			      ev->size <= sizeof(entry));
			feed_bytes(g, entry, (size_t)ev->size);
			CHECK(copro_rtkit_syslog_entry(entry, (size_t)ev->size,
						       (unsigned)(ev->size -
								  RTK_SYSLOG_ENTRY_HDR),
						       context, text) == 0);
			g->sink += strlen(context) + strlen(text);
			break;
		case COPRO_RTKIT_EV_CRASHED:
			CHECK(copro_rtkit_engine_crashed(e));
			CHECK(ev->size > 0 && ev->size <= e->cfg.shmem_max);
			copy = malloc((size_t)ev->size);
			if (!copy)
				break;
			feed_bytes(g, copy, (size_t)ev->size);
			if (copro_crashlog_parse(copy, (size_t)ev->size, &cl) == 0)
				g->sink += cl.n_sections;
			free(copy);
			break;
		case COPRO_RTKIT_EV_RECV:
			CHECK(ev->ep >= COPRO_RTKIT_APP_EP_START);
			CHECK(copro_rtkit_engine_started(e, ev->ep));
			g->sink += ev->msg;
			break;
		case COPRO_RTKIT_EV_FREE_BUFFERS:
		case COPRO_RTKIT_EV_RESTARTED:
			g->sink++;
			break;
		}
	}
	CHECK(out->n_msgs <= COPRO_RTKIT_OUT_MSGS);
	/* The glue could not send one of them, now and then. */
	if (out->n_msgs && (feed_byte(g) & 0x3f) == 0x3f)
		copro_rtkit_engine_send_failed(e, out->msg[0].ep,
					       out->msg[0].msg, -EIO);
	for (unsigned i = 0; i < out->n_msgs; i++)
		g->sink += out->msg[i].ep ^ out->msg[i].msg;
}

static void receive(struct copro_rtkit_engine *e, struct glue *g, uint8_t ep,
		    uint64_t msg)
{
	struct copro_rtkit_out out;
	bool crashed = copro_rtkit_engine_crashed(e);
	unsigned may = copro_rtkit_engine_events_of(e, ep, msg);

	copro_rtkit_engine_receive(e, ep, msg, &out);
	if (crashed)
		CHECK(out.n_msgs == 0 && out.n_ev == 0);
	/* The glue decides by it where a message may run: never less. */
	for (unsigned i = 0; i < out.n_ev; i++)
		CHECK(may & (1u << out.ev[i].type));
	run_events(e, g, &out);
}

static void action(struct copro_rtkit_engine *e, struct glue *g, uint8_t a)
{
	static const unsigned states[] = {
		COPRO_RTKIT_PWR_OFF,	  COPRO_RTKIT_PWR_SLEEP,
		COPRO_RTKIT_PWR_QUIESCED, COPRO_RTKIT_PWR_ON,
		COPRO_RTKIT_PWR_IDLE,	  COPRO_RTKIT_PWR_INIT,
	};
	struct copro_rtkit_out out = { 0 };
	uint8_t ep = (uint8_t)(0x20 + (a >> 4));

	switch (a % 16) {
	case 0:
		copro_rtkit_engine_boot(e, &out);
		break;
	case 1:
		copro_rtkit_engine_wake(e, &out);
		break;
	case 2:
		copro_rtkit_engine_takeover(e, &out);
		break;
	case 3:
	case 4:
		copro_rtkit_engine_set_power(e, a % 16 == 3,
					     states[(a >> 4) % 6], &out);
		break;
	case 5:
		copro_rtkit_engine_reinit(e);
		break;
	case 6:
		copro_rtkit_engine_start_ep(e, ep, &out);
		break;
	case 7:
		g->sink += (uint64_t)copro_rtkit_engine_check_send(e, ep);
		break;
	case 8:
		copro_rtkit_engine_abort(e);
		break;
	case 9:
		copro_rtkit_engine_pwr_cancel(e, a & 0x10);
		break;
	case 10:
		copro_rtkit_engine_set_states(e, states[(a >> 4) % 6],
					      states[(a >> 5) % 6]);
		break;
	case 11:
		copro_rtkit_engine_set_powered_off(e);
		break;
	default:
		g->sink += (uint64_t)copro_rtkit_engine_pwr_wait(e, a & 0x10) +
			   copro_rtkit_engine_boot_error(e) +
			   copro_rtkit_engine_phase(e) +
			   copro_rtkit_engine_generation(e);
		g->sink += strlen(copro_rtkit_phase_name(copro_rtkit_engine_phase(e)));
		break;
	}
	run_events(e, g, &out);
}

/* A message built around a type the engine knows, so depth comes quickly. */
static void typed(struct copro_rtkit_engine *e, struct glue *g,
		  const uint8_t *r)
{
	static const uint8_t eps[] = { 0, 0, 0, 1, 2, 4, 8, 0x20 };
	static const unsigned states[] = { 0, 1, 0x10, 0x20, 0x201, 0x220 };
	uint8_t ep = eps[r[0] % 8];
	uint64_t fields = 0, msg;

	for (int i = 0; i < 6; i++)
		fields |= (uint64_t)r[2 + i] << (8 * i);
	if (ep == 0) {
		/* HELLO with a sane range, EPMAP chunks, ACKs of real states. */
		switch (r[1] % 4) {
		case 0:
			msg = RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO) |
			      RTK_HELLO_MAKE(10 + r[2] % 4, 11 + r[3] % 4);
			break;
		case 1:
			msg = RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) |
			      (fields & 0xffffffffull) |
			      RTK_EPMAP_BASE_MAKE(r[6] % 8) |
			      ((r[7] & 1) ? RTK_EPMAP_LAST : 0);
			break;
		default:
			msg = RTK_MGMT_TYPE_MAKE(r[1] % 4 == 2
							 ? RTK_MGMT_SET_IOP_PWR_STATE_ACK
							 : RTK_MGMT_SET_AP_PWR_STATE) |
			      RTK_PWR_STATE_MAKE(states[r[2] % 6]);
			break;
		}
	} else if (ep == COPRO_RTKIT_EP_OSLOG) {
		msg = RTK_OSLOG_TYPE_MAKE(r[1] % 6) | (fields << 12);
	} else if (r[0] & 8) {
		/* A buffer request: pages and a page-aligned IOVA. */
		msg = RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) |
		      RTK_BUF_SIZE_MAKE(r[1] % 20) |
		      RTK_BUF_IOVA_MAKE((fields & 0xfffffffff) << 12);
	} else {
		msg = RTK_EP_TYPE_MAKE(r[1] & 0xf) | fields;
	}
	receive(e, g, ep, msg);
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
	struct glue g = { .next_iova = 0x800000000ull };
	struct copro_rtkit_engine e;
	size_t i = 1;

	if (size < 1)
		return 0;
	copro_rtkit_engine_init(&e, &(struct copro_rtkit_engine_config){
					    .shmem_max = (data[0] & 1) ? 0x10000 : 0,
					    .wake_iop_state = (data[0] & 2)
								      ? COPRO_RTKIT_PWR_ON
								      : 0,
					    .wake_on_boot = data[0] & 4,
					    .log = (data[0] & 8) ? log_sink : NULL,
					    .log_ctx = &g,
				    });
	while (i < size) {
		uint8_t op = data[i++] % 4;

		if (op == 0 && size - i >= 9) {
			receive(&e, &g, data[i], get64(data + i + 1));
			i += 9;
		} else if (op == 1 && size - i >= 1) {
			action(&e, &g, data[i++]);
		} else if (op == 2 && size - i >= 8) {
			typed(&e, &g, data + i);
			i += 8;
		} else if (op == 3 && size - i >= 1) {
			size_t n = data[i++];

			if (n > size - i)
				n = size - i;
			g.feed = data + i;
			g.feed_len = n;
			g.feed_pos = 0;
			i += n;
		} else {
			break;
		}
		check_state(&e);
	}
	return (int)(g.sink & 0);
}
