/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/regs/asc.h>
#include <copro/regs/rtkit.h>
#include <copro/sim/asc_model.h>

#include "test_rtkit_ap.h"

#define POLL_NS (20 * COPRO_NSEC_PER_USEC)
#define MAX_EPMAP_CHUNKS 8

static void ap_rx(void *ctx, struct copro_mbox_chan *chan, const void *msg,
		  size_t len)
{
	struct test_ap *ap = ctx;
	const struct copro_asc_msg *m = msg;

	(void)chan;
	(void)len;
	copro_mutex_lock(&ap->lock);
	if (ap->n < TEST_AP_RING) {
		struct test_ap_msg got = { .ep = m->msg1 & RTK_ASC_EP_MASK,
					   .msg = m->msg0 };

		ap->ring[(ap->head + ap->n++) % TEST_AP_RING] = got;
		if (ap->n_recv < TEST_AP_LOG)
			ap->recv_log[ap->n_recv++] = got;
		atomic_fetch_add(&ap->received, 1);
	}
	copro_mutex_unlock(&ap->lock);
}

static int ref_node(struct test_ap *ap, const char *prop, const char *cells)
{
	struct copro_dt_ref ref;

	assert_int_equal(copro_dt_ref(copro_board_dt(ap->b), ap->nvme, prop,
				      cells, 0, &ref),
			 0);
	return ref.node;
}

static void open_ap(struct test_ap *ap, const char *board,
		    const struct copro_sim_rtkit_config *cfg, bool ans2)
{
	/* The ANS2 model's tests create their own controller model. */
	struct copro_board_config bc = {
		.board = board, .threaded = true, .firmware_only = !ans2,
		.disk_size = 16u << 20,
	};
	const struct copro_mbox_client client = {
		.ctx = ap,
		.rx = ap_rx,
		.rx_mode = COPRO_MBOX_RX_DEFERRED,
		.rx_ring = 256,
	};
	uint64_t phys, size;
	int asc_node;

	memset(ap, 0, sizeof(*ap));
	assert_int_equal(test_logcap_init(&ap->cap), 0);
	assert_int_equal(copro_mutex_init(&ap->lock), 0);
	bc.log = test_logcap_log(&ap->cap);
	assert_int_equal(copro_board_create(&bc, &ap->b), 0);
	ap->p = copro_board_platform(ap->b);
	ap->nvme = copro_board_nvme_node(ap->b);
	assert_true(ap->nvme >= 0);
	ap->fw = copro_board_rtkit(ap->b, ap->nvme);
	assert_non_null(ap->fw);
	asc_node = ref_node(ap, "mboxes", "#mbox-cells");
	ap->asc = copro_board_asc(ap->b, asc_node);
	assert_non_null(ap->asc);
	if (cfg)
		test_ap_replace_fw(ap, cfg);

	copro_sim_asc_cpu_region(ap->asc, &phys, &size);
	assert_int_equal(copro_mmio_map(ap->p, phys, size, &ap->cpu), 0);
	assert_int_equal(copro_asc_probe(ap->p, asc_node, &ap->drv), 0);
	assert_int_equal(copro_mbox_request_dt(ap->p, ap->nvme, NULL, 0,
					       &client, &ap->chan),
			 0);
	assert_int_equal(copro_sart_probe(ap->p,
					  ref_node(ap, "apple,sart", NULL),
					  &ap->sart),
			 0);
}

void test_ap_open(struct test_ap *ap, const char *board,
		  const struct copro_sim_rtkit_config *cfg)
{
	open_ap(ap, board, cfg, false);
}

struct test_ap *test_ap_new_ans2(const char *board)
{
	struct test_ap *ap = calloc(1, sizeof(*ap));

	assert_non_null(ap);
	open_ap(ap, board, NULL, true);
	return ap;
}

void test_ap_release(struct test_ap *ap)
{
	copro_mbox_free(ap->chan);
	ap->chan = NULL;
}

void test_ap_replace_fw(struct test_ap *ap,
			const struct copro_sim_rtkit_config *cfg)
{
	assert_null(ap->own);
	assert_int_equal(copro_sim_rtkit_create(ap->asc, cfg, &ap->own), 0);
	ap->fw = ap->own;
}

static void free_buf(struct test_ap *ap, struct test_ap_buf *b)
{
	if (b->sart.index >= 0 && b->sart.size)
		copro_sart_revoke(ap->sart, &b->sart);
	if (b->allocated)
		copro_dma_free(ap->p, &b->dma);
	if (b->mmio)
		copro_mmio_unmap(b->mmio);
	memset(b, 0, sizeof(*b));
}

void test_ap_reinit(struct test_ap *ap)
{
	for (int i = 0; i < TEST_AP_NBUFS; i++)
		free_buf(ap, &ap->bufs[i]);
	memset(ap->map, 0, sizeof(ap->map));
	ap->version = 0;
	ap->syslog_entries = ap->syslog_msg_size = 0;
	ap->oslog_acked = false;
}

struct test_ap *test_ap_new(const char *board,
			    const struct copro_sim_rtkit_config *cfg)
{
	struct test_ap *ap = calloc(1, sizeof(*ap));

	assert_non_null(ap);
	test_ap_open(ap, board, cfg);
	return ap;
}

void test_ap_free(struct test_ap *ap)
{
	test_ap_close(ap);
	free(ap);
}

void test_ap_close(struct test_ap *ap)
{
	test_ap_cpu(ap, false);
	test_ap_reinit(ap);
	if (ap->iova_mem.cpu)
		copro_dma_free(ap->p, &ap->iova_mem);
	if (ap->chan)
		copro_mbox_free(ap->chan);
	copro_asc_remove(ap->drv);
	copro_sart_shutdown(ap->sart);
	copro_sart_remove(ap->sart);
	copro_mmio_unmap(ap->cpu);
	copro_sim_rtkit_destroy(ap->own);
	copro_board_destroy(ap->b);
	copro_mutex_destroy(&ap->lock);
	test_logcap_destroy(&ap->cap);
}

void test_ap_cpu(struct test_ap *ap, bool run)
{
	copro_writel(ap->cpu, ASC_CPU_CONTROL, run ? ASC_CPU_CONTROL_RUN : 0);
}

/* ---- messages ----------------------------------------------------------- */

void test_ap_send(struct test_ap *ap, uint8_t ep, uint64_t msg)
{
	struct copro_asc_msg m = { .msg0 = msg, .msg1 = ep };

	copro_mutex_lock(&ap->lock);
	if (ap->n_sent < TEST_AP_LOG)
		ap->sent_log[ap->n_sent++] = (struct test_ap_msg){ ep, msg };
	copro_mutex_unlock(&ap->lock);
	assert_int_equal(copro_mbox_send(ap->chan, &m, sizeof(m),
					 TEST_TIMEOUT_NS),
			 0);
}

static bool take(struct test_ap *ap, struct test_ap_msg *out)
{
	bool got = false;

	copro_mutex_lock(&ap->lock);
	if (ap->n) {
		*out = ap->ring[ap->head];
		ap->head = (ap->head + 1) % TEST_AP_RING;
		ap->n--;
		got = true;
	}
	copro_mutex_unlock(&ap->lock);
	return got;
}

bool test_ap_recv(struct test_ap *ap, uint8_t *ep, uint64_t *msg)
{
	uint64_t deadline = copro_deadline(TEST_TIMEOUT_NS);
	struct test_ap_msg m;

	while (!take(ap, &m)) {
		if (copro_deadline_left(deadline) == 0)
			return false;
		copro_sleep_ns(POLL_NS);
	}
	*ep = m.ep;
	*msg = m.msg;
	return true;
}

void test_ap_expect(struct test_ap *ap, uint8_t ep, uint64_t msg)
{
	uint8_t got_ep;
	uint64_t got;

	if (!test_ap_recv(ap, &got_ep, &got)) {
		test_logcap_dump(&ap->cap);
		fail_msg("no message; wanted ep 0x%02x msg 0x%016" PRIx64, ep,
			 msg);
	}
	if (got_ep != ep || got != msg) {
		test_logcap_dump(&ap->cap);
		fail_msg("got ep 0x%02x msg 0x%016" PRIx64 ", wanted ep 0x%02x"
			 " msg 0x%016" PRIx64, got_ep, got, ep, msg);
	}
}

unsigned test_ap_queued(struct test_ap *ap)
{
	unsigned n;

	copro_mutex_lock(&ap->lock);
	n = ap->n;
	copro_mutex_unlock(&ap->lock);
	return n;
}

static bool settled(void *arg)
{
	struct test_ap *ap = arg;
	struct copro_sim_asc_stats s;

	copro_sim_asc_get_stats(ap->asc, &s);
	return s.i2a_pushed == atomic_load(&ap->received);
}

void test_ap_settle(struct test_ap *ap)
{
	assert_true(test_wait_until(settled, ap, TEST_TIMEOUT_NS));
}

void test_ap_expect_none(struct test_ap *ap)
{
	struct test_ap_msg m;

	test_ap_settle(ap);
	if (take(ap, &m))
		fail_msg("unexpected ep 0x%02x msg 0x%016" PRIx64, m.ep, m.msg);
}

struct copro_sim_rtkit_stats test_ap_stats(struct test_ap *ap)
{
	struct copro_sim_rtkit_stats s;

	copro_sim_rtkit_get_stats(ap->fw, &s);
	return s;
}

struct log_arg {
	struct test_ap *ap;
	const char *what;
};

static bool log_has(void *arg)
{
	struct log_arg *l = arg;

	return test_logcap_contains(&l->ap->cap, l->what);
}

void test_ap_wait_log(struct test_ap *ap, const char *what)
{
	struct log_arg l = { ap, what };

	if (!test_wait_until(log_has, &l, TEST_TIMEOUT_NS))
		test_logcap_expect(&ap->cap, what);
}

struct refused_arg {
	struct test_ap *ap;
	uint64_t n;
};

static bool refused_reached(void *arg)
{
	struct refused_arg *r = arg;

	return test_ap_stats(r->ap).refused >= r->n;
}

void test_ap_wait_refused(struct test_ap *ap, uint64_t n)
{
	struct refused_arg r = { ap, n };

	if (!test_wait_until(refused_reached, &r, TEST_TIMEOUT_NS)) {
		test_logcap_dump(&ap->cap);
		fail_msg("refused %" PRIu64 ", wanted %" PRIu64,
			 test_ap_stats(ap).refused, n);
	}
	test_ap_settle(ap);
}

/* ---- buffers ------------------------------------------------------------ */

static int buf_index(uint8_t ep)
{
	switch (ep) {
	case 1: return TEST_AP_CRASHLOG;
	case 2: return TEST_AP_SYSLOG;
	case 4: return TEST_AP_IOREPORT;
	case 8: return TEST_AP_OSLOG;
	default: return -1;
	}
}

/*
 * Set up the buffer a request asks for. Returns true when the AP answers
 * (host-allocated or IOVA-placed), false for SRAM (mapped, no answer).
 */
static bool setup_buf(struct test_ap *ap, struct test_ap_buf *b,
		      uint64_t iova, uint64_t size)
{
	assert_false(b->set);
	assert_true(size > 0);
	b->set = true;
	b->size = size;
	if (!iova) {
		assert_int_equal(copro_dma_alloc(ap->p, size, &b->dma), 0);
		b->allocated = true;
		b->iova = b->dma.phys;
		b->sart.index = -1;
		if (!ap->no_sart_add)
			assert_int_equal(copro_sart_allow(ap->sart, b->iova,
							(size + 4095) & ~4095ull,
							&b->sart),
					 0);
		return true;
	}
	b->iova = iova;
	b->sart.index = -1;
	if (ap->iova_mem.cpu && iova >= ap->iova_mem.phys &&
	    iova + size <= ap->iova_mem.phys + ap->iova_mem.size)
		return true;
	/* Not memory the AP placed: it must be the coprocessor's SRAM. */
	assert_int_equal(copro_mmio_map(ap->p, iova, size, &b->mmio), 0);
	return false;
}

static void buffer_request(struct test_ap *ap, uint8_t ep, uint64_t msg)
{
	struct test_ap_buf *b = &ap->bufs[buf_index(ep)];
	uint64_t pages = RTK_BUF_SIZE(msg);

	if (setup_buf(ap, b, RTK_BUF_IOVA(msg), pages * RTK_PAGE_SIZE))
		test_ap_send(ap, ep, RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) |
					     RTK_BUF_SIZE_MAKE(pages) |
					     RTK_BUF_IOVA_MAKE(b->iova));
}

void test_ap_read_buf(struct test_ap *ap, int buf, uint64_t off, void *dst,
		      size_t len)
{
	struct test_ap_buf *b = &ap->bufs[buf];
	uint8_t *d = dst;

	assert_true(b->set);
	assert_true(off + len <= b->size);
	if (b->mmio) {
		/* The SRAM takes 32-bit accesses only. */
		for (size_t i = 0; i < len; i++) {
			uint64_t a = off + i;
			uint32_t w = copro_readl(b->mmio, a & ~3ull);

			d[i] = (uint8_t)(w >> (8 * (a & 3)));
		}
	} else if (b->allocated) {
		memcpy(d, (uint8_t *)b->dma.cpu + off, len);
	} else {
		memcpy(d, (uint8_t *)ap->iova_mem.cpu +
				  (b->iova - ap->iova_mem.phys) + off,
		       len);
	}
}

void test_ap_read_syslog(struct test_ap *ap, unsigned index,
			 uint8_t *context24, uint8_t *text, size_t text_len)
{
	uint64_t stride = RTK_SYSLOG_ENTRY_HDR + ap->syslog_msg_size;

	assert_true(index < ap->syslog_entries);
	test_ap_read_buf(ap, TEST_AP_SYSLOG,
			 index * stride + RTK_SYSLOG_CONTEXT_OFF, context24,
			 RTK_SYSLOG_CONTEXT_SIZE);
	test_ap_read_buf(ap, TEST_AP_SYSLOG, index * stride + RTK_SYSLOG_TEXT_OFF,
			 text, text_len);
}

/* ---- the AP's side of each endpoint --------------------------------------- */

static void syslog_log(struct test_ap *ap, uint64_t msg)
{
	uint8_t ctx[RTK_SYSLOG_CONTEXT_SIZE];
	uint8_t text[256];
	unsigned index = (unsigned)RTK_SYSLOG_INDEX(msg);
	size_t size = ap->syslog_msg_size;

	assert_true(ap->syslog_entries > 0);
	assert_true(index < ap->syslog_entries);
	test_ap_read_syslog(ap, index, ctx, text, size);
	snprintf(ap->last_context, sizeof(ap->last_context), "%.*s",
		 (int)sizeof(ctx), (const char *)ctx);
	snprintf(ap->last_text, sizeof(ap->last_text), "%.*s", (int)size,
		 (const char *)text);
	ap->syslog_lines++;
	if (!ap->no_syslog_ack)
		test_ap_send(ap, 2, msg);
}

static bool oslog(struct test_ap *ap, uint64_t msg)
{
	struct test_ap_buf *b = &ap->bufs[TEST_AP_OSLOG];
	uint64_t size = RTK_OSLOG_SIZE(msg);
	uint64_t iova = RTK_OSLOG_IOVA(msg) << 12;

	if (RTK_OSLOG_TYPE(msg) != RTK_OSLOG_INIT)
		return false;
	if (!size && !iova) {
		test_ap_send(ap, 8, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_ACK));
		ap->oslog_acked = true;
		return true;
	}
	if (setup_buf(ap, b, iova, size))
		test_ap_send(ap, 8, RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT) |
					    RTK_OSLOG_SIZE_MAKE(size) |
					    RTK_OSLOG_IOVA_MAKE(b->iova >> 12));
	return true;
}

bool test_ap_handle(struct test_ap *ap, uint8_t ep, uint64_t msg)
{
	unsigned type = (unsigned)RTK_EP_TYPE(msg);

	switch (ep) {
	case 1:
		/* Once the buffer exists, type 1 is a crash: the caller's. */
		if (type != RTK_BUFFER_REQUEST || ap->bufs[TEST_AP_CRASHLOG].set)
			return false;
		buffer_request(ap, ep, msg);
		return true;
	case 2:
		if (type == RTK_BUFFER_REQUEST && !ap->bufs[TEST_AP_SYSLOG].set) {
			buffer_request(ap, ep, msg);
		} else if (type == RTK_SYSLOG_INIT) {
			ap->syslog_entries = (unsigned)RTK_SYSLOG_N_ENTRIES(msg);
			ap->syslog_msg_size = (unsigned)RTK_SYSLOG_MSG_SIZE(msg);
		} else if (type == RTK_SYSLOG_LOG) {
			syslog_log(ap, msg);
		} else {
			return false;
		}
		return true;
	case 4:
		if (type == RTK_BUFFER_REQUEST &&
		    !ap->bufs[TEST_AP_IOREPORT].set) {
			buffer_request(ap, ep, msg);
		} else if (type == RTK_IOREPORT_UNKNOWN1 ||
			   type == RTK_IOREPORT_UNKNOWN2) {
			if (!ap->no_ioreport_echo)
				test_ap_send(ap, ep, msg);
		} else {
			return false;
		}
		return true;
	case 8:
		return !ap->bufs[TEST_AP_OSLOG].set && oslog(ap, msg);
	default:
		return false;
	}
}

void test_ap_pump_until(struct test_ap *ap, uint8_t ep, uint64_t msg)
{
	for (;;) {
		uint8_t got_ep;
		uint64_t got;

		if (!test_ap_recv(ap, &got_ep, &got)) {
			test_logcap_dump(&ap->cap);
			fail_msg("no message; waiting for ep 0x%02x msg 0x%016"
				 PRIx64, ep, msg);
		}
		if (got_ep == ep && got == msg)
			return;
		if (!test_ap_handle(ap, got_ep, got)) {
			test_logcap_dump(&ap->cap);
			fail_msg("unexpected ep 0x%02x msg 0x%016" PRIx64
				 " while waiting for ep 0x%02x msg 0x%016"
				 PRIx64, got_ep, got, ep, msg);
		}
	}
}

void test_ap_pump_lines(struct test_ap *ap, unsigned lines)
{
	while (ap->syslog_lines < lines) {
		uint8_t ep;
		uint64_t msg;

		if (!test_ap_recv(ap, &ep, &msg)) {
			test_logcap_dump(&ap->cap);
			fail_msg("%u syslog lines, waiting for %u",
				 ap->syslog_lines, lines);
		}
		if (!test_ap_handle(ap, ep, msg)) {
			test_logcap_dump(&ap->cap);
			fail_msg("unexpected ep 0x%02x msg 0x%016" PRIx64
				 " while waiting for syslog lines", ep, msg);
		}
	}
}

/* ---- management ----------------------------------------------------------- */

void test_ap_hello(struct test_ap *ap, unsigned min, unsigned max,
		   unsigned ver)
{
	test_ap_cpu(ap, true);
	test_ap_expect(ap, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO) |
				      RTK_HELLO_MAKE(min, max));
	test_ap_send(ap, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_HELLO_REPLY) |
				    RTK_HELLO_MAKE(ver, ver));
	ap->version = ver;
}

unsigned test_ap_epmap(struct test_ap *ap)
{
	for (unsigned chunks = 1; chunks <= MAX_EPMAP_CHUNKS; chunks++) {
		uint8_t ep;
		uint64_t msg, reply;
		unsigned base;

		assert_true(test_ap_recv(ap, &ep, &msg));
		assert_int_equal(ep, 0);
		assert_int_equal(RTK_MGMT_TYPE(msg), RTK_MGMT_EPMAP);
		base = (unsigned)RTK_EPMAP_BASE(msg);
		for (unsigned i = 0; i < 32; i++)
			if (RTK_EPMAP_BITMAP(msg) & (1u << i))
				ap->map[(32 * base + i) / 8] |=
					(uint8_t)(1u << (i % 8));
		reply = RTK_MGMT_TYPE_MAKE(RTK_MGMT_EPMAP) |
			RTK_EPMAP_BASE_MAKE(base) |
			(msg & RTK_EPMAP_LAST ? RTK_EPMAP_LAST : RTK_EPMAP_MORE);
		test_ap_send(ap, 0, reply);
		if (msg & RTK_EPMAP_LAST)
			return chunks;
	}
	fail_msg("more than %d EPMAP chunks", MAX_EPMAP_CHUNKS);
	return 0;
}

void test_ap_start_system(struct test_ap *ap)
{
	static const uint8_t eps[] = { 1, 2, 3, 4, 8 };

	for (size_t i = 0; i < sizeof(eps); i++)
		if (ap->map[eps[i] / 8] & (1u << (eps[i] % 8)))
			test_ap_send(ap, 0,
				     RTK_MGMT_TYPE_MAKE(RTK_MGMT_STARTEP) |
					     RTK_STARTEP_MAKE(eps[i]));
	test_ap_pump_until(ap, 0,
			   RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_IOP_PWR_STATE_ACK) |
				   RTK_PWR_STATE_MAKE(0x20));
}

void test_ap_ap_state(struct test_ap *ap, unsigned state)
{
	uint64_t msg = RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_AP_PWR_STATE) |
		       RTK_PWR_STATE_MAKE(state);

	test_ap_send(ap, 0, msg);
	test_ap_pump_until(ap, 0, msg);
}

void test_ap_iop_state(struct test_ap *ap, unsigned state)
{
	test_ap_send(ap, 0, RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_IOP_PWR_STATE) |
				    RTK_PWR_STATE_MAKE(state));
	test_ap_pump_until(ap, 0,
			   RTK_MGMT_TYPE_MAKE(RTK_MGMT_SET_IOP_PWR_STATE_ACK) |
				   RTK_PWR_STATE_MAKE(state));
}

void test_ap_boot(struct test_ap *ap)
{
	test_ap_hello(ap, 11, 12, 12);
	test_ap_epmap(ap);
	test_ap_start_system(ap);
	test_ap_ap_state(ap, 0x20);
	assert_true(copro_sim_rtkit_is_up(ap->fw));
}
