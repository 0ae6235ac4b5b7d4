/* SPDX-License-Identifier: MIT */
/*
 * The mailbox history and crash injection (hardware.md 2.4, coprocessor side).
 *
 * Every message through the mailbox, both directions, goes into a ring
 * of the last FW_HISTORY_LEN. A crash writes it into Cmbx oldest first,
 * with the index word holding the number of entries; msg1 carries the
 * mailbox's msg1 (endpoint in 7:0) plus FW_HISTORY_FROM_IOP for messages
 * the coprocessor sent. Then the crashlog is written into the crashlog
 * buffer, the crash message (type 1 with the buffer's address and size)
 * sent, and the firmware falls silent until its CPU restarts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <copro/error.h>
#include <copro/sim/crashlog_writer.h>

#include "rtkit_fw_internal.h"

#define CRASH_STR_ID 0x2000
#define CRASH_VERSION_STR "RTKit_iOS-1843.120.3 copro-sim"
#define CRASH_LOG_VERSION 1

/* A data abort at EL1: ESR EC 0x25, IL set, DFSC translation fault L3. */
#define CRASH_ESR ((0x25u << 26) | (1u << 25) | 0x7u)
#define CRASH_FAR 0xdead0040ull
#define CRASH_PC 0x1000a5c8ull
#define CRASH_SP 0x10ff7e90ull

void fw_hist_record(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg,
		    bool from_iop)
{
	uint32_t ts = fw_timestamp(fw);

	copro_mutex_lock(&fw->hist_lock);
	fw->hist[fw->hist_n % FW_HISTORY_LEN] = (struct fw_hist){
		.msg0 = msg,
		.msg1 = ep | (from_iop ? FW_HISTORY_FROM_IOP : 0),
		.timestamp = ts,
	};
	fw->hist_n++;
	copro_mutex_unlock(&fw->hist_lock);
}

void fw_hist_reset(struct copro_sim_rtkit *fw)
{
	copro_mutex_lock(&fw->hist_lock);
	fw->hist_n = 0;
	copro_mutex_unlock(&fw->hist_lock);
}

static size_t hist_snapshot(struct copro_sim_rtkit *fw,
			    struct copro_sim_crashlog_mbx_msg *out)
{
	size_t n;

	copro_mutex_lock(&fw->hist_lock);
	n = fw->hist_n < FW_HISTORY_LEN ? (size_t)fw->hist_n : FW_HISTORY_LEN;
	for (size_t i = 0; i < n; i++) {
		const struct fw_hist *h =
			&fw->hist[(fw->hist_n - n + i) % FW_HISTORY_LEN];

		out[i] = (struct copro_sim_crashlog_mbx_msg){
			.msg0 = h->msg0,
			.msg1 = h->msg1,
			.timestamp = h->timestamp,
		};
	}
	copro_mutex_unlock(&fw->hist_lock);
	return n;
}

static void fake_regs(struct copro_sim_crashlog_regs *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 31; i++)
		r->x[i] = 0x1000000000ull + (uint64_t)i * 0x10;
	r->sp = CRASH_SP;
	r->pc = CRASH_PC;
	r->psr = 0x60000005; /* EL1h, Z and C set */
	r->esr = CRASH_ESR;
	r->far = CRASH_FAR;
}

static int write_crashlog(struct copro_sim_rtkit *fw, const char *message,
			  int corrupt)
{
	const struct fw_buf *b = &fw->bufs[FWB_CRASHLOG];
	struct copro_sim_crashlog_mbx_msg mbx[FW_HISTORY_LEN];
	struct copro_sim_crashlog_regs regs;
	struct copro_sim_crashlog_info info = {
		.version = CRASH_LOG_VERSION,
		.str = message,
		.str_id = CRASH_STR_ID,
		.version_str = CRASH_VERSION_STR,
		.has_time = true,
		.time = copro_time_ns() - atomic_load(&fw->start_ns),
		.has_mbx = true,
		.mbx = mbx,
		.regs = &regs,
	};
	uint8_t *img;
	long used;
	int ret;

	info.n_mbx = hist_snapshot(fw, mbx);
	info.mbx_index = (uint32_t)info.n_mbx;
	fake_regs(&regs);
	img = calloc(1, b->size);
	if (!img)
		return -ENOMEM;
	used = copro_sim_crashlog_write(&info, img, b->size);
	if (used < 0) {
		copro_dev_err(&fw->ld, "crashlog does not fit the 0x%" PRIx64
			      "-byte buffer: %s", b->size,
			      copro_strerror((int)used));
	}
	if (corrupt >= 0) {
		ret = copro_sim_crashlog_corrupt(img, b->size,
				(enum copro_sim_crashlog_corruption)corrupt, 0);
		if (ret < 0)
			copro_dev_warn(&fw->ld, "crashlog corruption %d not"
				       " applied: %s", corrupt,
				       copro_strerror(ret));
	}
	ret = fw_buf_write(fw, FWB_CRASHLOG, 0, img, b->size);
	free(img);
	return ret;
}

void fw_crash(struct copro_sim_rtkit *fw, const char *message, int corrupt)
{
	const struct fw_buf *b = &fw->bufs[FWB_CRASHLOG];
	int ret;

	/* Before the app hears "down", so it can tell a crash from sleep. */
	atomic_store(&fw->crashed, true);
	if (b->state != FB_READY) {
		fw_go_silent(fw);
		copro_dev_err(&fw->ld, "crashed: %s (no crashlog buffer: the"
			      " AP is not told)", message);
		return;
	}
	copro_dev_err(&fw->ld, "crashed: %s", message);
	ret = write_crashlog(fw, message, corrupt);
	if (ret < 0)
		copro_dev_err(&fw->ld, "writing the crashlog failed: %s",
			      copro_strerror(ret));
	fw_go_silent(fw);
	fw_send(fw, FW_EP_CRASHLOG, RTK_EP_TYPE_MAKE(RTK_CRASHLOG_CRASH) |
					    RTK_BUF_SIZE_MAKE(b->size /
							      RTK_PAGE_SIZE) |
					    RTK_BUF_IOVA_MAKE(b->iova));
}
