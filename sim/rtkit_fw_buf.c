/* SPDX-License-Identifier: MIT */
/*
 * Shared buffers, coprocessor side (hardware.md 2.3): how each system endpoint
 * asks for its buffer, what it accepts as the AP's answer, and how the
 * firmware writes into it.
 *
 *   HOST  IOVA 0 in the request; the AP allocates and answers with the
 *         address. The firmware reaches it by DMA, through the SART when
 *         one filters this coprocessor.
 *   IOVA  the firmware names the address (iova_base + slot); the AP maps
 *         memory there and answers with the same address.
 *   MMIO  the buffer lies in the coprocessor's own SRAM window
 *         (sram_phys + slot), which this model puts on the bus with 32-bit
 *         accesses only; the AP maps it and does not answer.
 *
 * Slots are fixed per endpoint (crashlog, syslog, ioreport, oslog), one
 * buffer size apart, so addresses are predictable in tests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/sim/sart_model.h>

#include "rtkit_fw_internal.h"

#define FW_DEFAULT_BUF_PAGES 4
#define FW_MAX_BUF_PAGES 0xff		/* the request's size field, 51:44 */
#define FW_DEFAULT_SYSLOG_ENTRIES 8
#define FW_DEFAULT_SYSLOG_MSG_SIZE 0x80
#define FW_MAX_SYSLOG_FIELD 0xff	/* count 7:0 and size 31:24 */
#define FW_MAX_SRAM (64ull << 20)	/* bytes the model will back */
#define FW_IOVA_LIMIT (1ull << 44)	/* the request's IOVA field, 43:0 */

static const char *const buf_names[FWB_COUNT] = {
	[FWB_CRASHLOG] = "crashlog",
	[FWB_SYSLOG] = "syslog",
	[FWB_IOREPORT] = "ioreport",
	[FWB_OSLOG] = "oslog",
};

const char *fw_buf_name(enum fw_buf_id id)
{
	return buf_names[id];
}

static const char *mode_name(enum copro_sim_rtkit_buf mode)
{
	switch (mode) {
	case COPRO_SIM_RTKIT_BUF_NONE: return "none";
	case COPRO_SIM_RTKIT_BUF_HOST: return "host";
	case COPRO_SIM_RTKIT_BUF_IOVA: return "iova";
	case COPRO_SIM_RTKIT_BUF_MMIO: return "mmio";
	}
	return "invalid";
}

uint64_t fw_buf_slot_iova(const struct copro_sim_rtkit *fw, enum fw_buf_id id)
{
	uint64_t base = fw->bufs[id].mode == COPRO_SIM_RTKIT_BUF_MMIO
				? fw->cfg.sram_phys
				: fw->cfg.iova_base;

	return base + (uint64_t)id * fw->buf_size;
}

/* ---- configuration ------------------------------------------------------- */

static int check_slots(struct copro_sim_rtkit *fw, enum copro_sim_rtkit_buf mode,
		       uint64_t base, uint64_t limit, const char *what)
{
	const uint64_t page = RTK_PAGE_SIZE;

	for (int id = 0; id < FWB_COUNT; id++) {
		uint64_t end = (uint64_t)(id + 1) * fw->buf_size;

		if (fw->bufs[id].mode != mode)
			continue;
		if (!base || base % page) {
			copro_dev_err(&fw->ld, "%s buffer in %s mode needs a"
				      " non-zero, page-aligned %s (0x%" PRIx64
				      ")", buf_names[id], mode_name(mode), what,
				      base);
			return -EINVAL;
		}
		if (end > limit || base > FW_IOVA_LIMIT - end) {
			copro_dev_err(&fw->ld, "%s buffer slot [0x%" PRIx64
				      ", +0x%" PRIx64 ") does not fit the %s",
				      buf_names[id],
				      base + (uint64_t)id * fw->buf_size,
				      fw->buf_size, what);
			return -EINVAL;
		}
	}
	return 0;
}

int fw_buf_config(struct copro_sim_rtkit *fw)
{
	struct copro_sim_rtkit_config *c = &fw->cfg;
	const enum copro_sim_rtkit_buf modes[FWB_COUNT] = {
		c->crashlog_buf, c->syslog_buf, c->ioreport_buf, c->oslog_buf,
	};
	uint64_t stride;
	int ret;

	for (int id = 0; id < FWB_COUNT; id++) {
		if ((unsigned)modes[id] > COPRO_SIM_RTKIT_BUF_MMIO) {
			copro_dev_err(&fw->ld, "%s buffer mode %d is invalid",
				      buf_names[id], (int)modes[id]);
			return -EINVAL;
		}
		fw->bufs[id].mode = modes[id];
	}
	if (!c->buf_pages)
		c->buf_pages = FW_DEFAULT_BUF_PAGES;
	if (c->buf_pages > FW_MAX_BUF_PAGES) {
		copro_dev_err(&fw->ld, "buf_pages %u exceeds the request's"
			      " 8-bit size field", c->buf_pages);
		return -EINVAL;
	}
	fw->buf_size = (uint64_t)c->buf_pages * RTK_PAGE_SIZE;
	if (!c->syslog_entries)
		c->syslog_entries = FW_DEFAULT_SYSLOG_ENTRIES;
	if (!c->syslog_msg_size)
		c->syslog_msg_size = FW_DEFAULT_SYSLOG_MSG_SIZE;
	if (c->syslog_entries > FW_MAX_SYSLOG_FIELD ||
	    c->syslog_msg_size > FW_MAX_SYSLOG_FIELD) {
		copro_dev_err(&fw->ld, "syslog %u entries of %u bytes: both"
			      " must fit the INIT message's 8-bit fields",
			      c->syslog_entries, c->syslog_msg_size);
		return -EINVAL;
	}
	stride = RTK_SYSLOG_ENTRY_HDR + c->syslog_msg_size;
	if (c->syslog_buf != COPRO_SIM_RTKIT_BUF_NONE &&
	    c->syslog_entries * stride > fw->buf_size) {
		copro_dev_err(&fw->ld, "syslog ring of %u entries x 0x%" PRIx64
			      " bytes does not fit a 0x%" PRIx64 "-byte buffer",
			      c->syslog_entries, stride, fw->buf_size);
		return -EINVAL;
	}
	ret = check_slots(fw, COPRO_SIM_RTKIT_BUF_IOVA, c->iova_base,
			  FW_IOVA_LIMIT, "iova_base");
	if (ret < 0)
		return ret;
	if (c->sram_size > FW_MAX_SRAM) {
		copro_dev_err(&fw->ld, "SRAM window of 0x%" PRIx64 " bytes is"
			      " larger than the model backs (0x%llx)",
			      c->sram_size, (unsigned long long)FW_MAX_SRAM);
		return -EINVAL;
	}
	return check_slots(fw, COPRO_SIM_RTKIT_BUF_MMIO, c->sram_phys,
			   c->sram_size, "SRAM window");
}

/* ---- the SRAM window ----------------------------------------------------- */

static uint64_t sram_read(void *ctx, uint64_t off, unsigned width)
{
	struct copro_sim_rtkit *fw = ctx;
	uint32_t v;

	if (width != 4) {
		copro_dev_warn(&fw->ld, "bad %u-byte read of SRAM offset 0x%"
			       PRIx64 ": 32-bit accesses only", width, off);
		return 0;
	}
	copro_mutex_lock(&fw->sram_lock);
	memcpy(&v, fw->sram + off, sizeof(v));
	copro_mutex_unlock(&fw->sram_lock);
	return v;
}

static void sram_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct copro_sim_rtkit *fw = ctx;
	uint32_t v = (uint32_t)val;

	if (width != 4) {
		copro_dev_warn(&fw->ld, "bad %u-byte write of SRAM offset 0x%"
			       PRIx64 ": 32-bit accesses only, dropped",
			       width, off);
		return;
	}
	copro_mutex_lock(&fw->sram_lock);
	memcpy(fw->sram + off, &v, sizeof(v));
	copro_mutex_unlock(&fw->sram_lock);
}

static const struct copro_mmio_ops sram_ops = {
	.read = sram_read,
	.write = sram_write,
};

int fw_sram_add(struct copro_sim_rtkit *fw)
{
	bool need = false;
	int ret;

	for (int id = 0; id < FWB_COUNT; id++)
		need |= fw->bufs[id].mode == COPRO_SIM_RTKIT_BUF_MMIO;
	if (!need)
		return 0;
	fw->sram = calloc(1, fw->cfg.sram_size);
	if (!fw->sram)
		return -ENOMEM;
	snprintf(fw->sram_region_name, sizeof(fw->sram_region_name),
		 "%s coprocessor SRAM", fw->name);
	ret = copro_bus_add_mmio(fw->bus, fw->cfg.sram_phys, fw->cfg.sram_size,
				 &sram_ops, fw, fw->sram_region_name);
	if (ret < 0) {
		copro_dev_err(&fw->ld, "cannot put the SRAM window [0x%" PRIx64
			      ", +0x%" PRIx64 ") on the bus: %s",
			      fw->cfg.sram_phys, fw->cfg.sram_size,
			      copro_strerror(ret));
		free(fw->sram);
		fw->sram = NULL;
		return ret;
	}
	fw->sram_on_bus = true;
	return 0;
}

void fw_sram_remove(struct copro_sim_rtkit *fw)
{
	if (fw->sram_on_bus)
		copro_bus_remove_mmio(fw->bus, fw->cfg.sram_phys);
	fw->sram_on_bus = false;
	free(fw->sram);
	fw->sram = NULL;
}

/* ---- requests and answers ----------------------------------------------- */

void fw_buf_reset(struct copro_sim_rtkit *fw)
{
	for (int id = 0; id < FWB_COUNT; id++) {
		fw->bufs[id].state = FB_NONE;
		fw->bufs[id].iova = 0;
		fw->bufs[id].size = 0;
	}
	atomic_store(&fw->crashlog_ready, false);
}

static uint8_t buf_ep(enum fw_buf_id id)
{
	static const uint8_t eps[FWB_COUNT] = { FW_EP_CRASHLOG, FW_EP_SYSLOG,
						FW_EP_IOREPORT, FW_EP_OSLOG };

	return eps[id];
}

static void set_ready(struct copro_sim_rtkit *fw, enum fw_buf_id id)
{
	fw->bufs[id].state = FB_READY;
	if (id == FWB_CRASHLOG)
		atomic_store(&fw->crashlog_ready, true);
	copro_dev_dbg(&fw->ld, "%s buffer ready at 0x%" PRIx64 " (0x%" PRIx64
		      " bytes, %s)", buf_names[id], fw->bufs[id].iova,
		      fw->bufs[id].size, mode_name(fw->bufs[id].mode));
}

void fw_buf_request(struct copro_sim_rtkit *fw, enum fw_buf_id id)
{
	struct fw_buf *b = &fw->bufs[id];
	uint64_t iova, msg;

	if (b->mode == COPRO_SIM_RTKIT_BUF_NONE)
		return;
	iova = b->mode == COPRO_SIM_RTKIT_BUF_HOST ? 0
						    : fw_buf_slot_iova(fw, id);
	if (id == FWB_OSLOG)
		msg = RTK_OSLOG_TYPE_MAKE(RTK_OSLOG_INIT) |
		      RTK_OSLOG_SIZE_MAKE(fw->buf_size) |
		      RTK_OSLOG_IOVA_MAKE(iova >> 12);
	else
		msg = RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) |
		      RTK_BUF_SIZE_MAKE(fw->cfg.buf_pages) |
		      RTK_BUF_IOVA_MAKE(iova);
	b->iova = iova;
	b->size = fw->buf_size;
	b->state = FB_WAIT;
	/*
	 * The AP maps an SRAM buffer without answering. Held syslog lines
	 * wait for the ring's INIT (fw_log_start_ep), which follows this.
	 */
	if (b->mode == COPRO_SIM_RTKIT_BUF_MMIO)
		set_ready(fw, id);
	fw_send(fw, buf_ep(id), msg);
}

void fw_buf_reply(struct copro_sim_rtkit *fw, enum fw_buf_id id, uint8_t ep,
		  uint64_t msg)
{
	struct fw_buf *b = &fw->bufs[id];
	uint64_t iova, size;

	if (id == FWB_OSLOG) {
		iova = RTK_OSLOG_IOVA(msg) << 12;
		size = RTK_OSLOG_SIZE(msg);
	} else {
		iova = RTK_BUF_IOVA(msg);
		size = RTK_BUF_SIZE(msg) * RTK_PAGE_SIZE;
	}
	if (b->state == FB_READY && iova == b->iova && size == b->size) {
		copro_dev_dbg(&fw->ld, "%s buffer answer repeats the buffer"
			      " in place", buf_names[id]);
		return;
	}
	if (b->state != FB_WAIT) {
		fw_refuse(fw, ep, msg, "%s buffer answer, but %s", buf_names[id],
			  b->state == FB_NONE ? "none was requested"
					      : "it is already set up");
		return;
	}
	if (size < b->size) {
		fw_refuse(fw, ep, msg, "%s buffer answer: size 0x%" PRIx64
			  " is smaller than the 0x%" PRIx64 " requested",
			  buf_names[id], size, b->size);
		return;
	}
	if (b->mode == COPRO_SIM_RTKIT_BUF_HOST &&
	    (!iova || iova % RTK_PAGE_SIZE)) {
		fw_refuse(fw, ep, msg, "%s buffer answer: IOVA 0x%" PRIx64
			  " is not a page-aligned buffer", buf_names[id], iova);
		return;
	}
	if (b->mode == COPRO_SIM_RTKIT_BUF_IOVA && iova != b->iova) {
		fw_refuse(fw, ep, msg, "%s buffer answer: IOVA 0x%" PRIx64
			  ", but the buffer was placed at 0x%" PRIx64,
			  buf_names[id], iova, b->iova);
		return;
	}
	b->iova = iova;
	set_ready(fw, id);
	/* The ring's INIT went out at STARTEP: held lines may follow. */
	if (id == FWB_SYSLOG)
		fw_syslog_flush(fw);
}

/* ---- access --------------------------------------------------------------- */

static int dma(struct copro_sim_rtkit *fw, uint64_t iova, void *buf,
	       size_t len, bool write)
{
	int ret;

	if (fw->cfg.sart) {
		ret = copro_sim_sart_check(fw->cfg.sart, iova, len, write);
		if (ret < 0) {
			copro_dev_warn(&fw->ld, "DMA %s of 0x%zx bytes at 0x%"
				       PRIx64 " blocked by the SART",
				       write ? "write" : "read", len, iova);
			fw_stat_inc(fw, sart_blocked);
			return ret;
		}
	}
	return write ? copro_bus_dma_write(fw->bus, fw->who, iova, buf, len)
		     : copro_bus_dma_read(fw->bus, fw->who, iova, buf, len);
}

int copro_sim_rtkit_dma_read(struct copro_sim_rtkit *fw, uint64_t iova,
			     void *dst, size_t len)
{
	return dma(fw, iova, dst, len, false);
}

int copro_sim_rtkit_dma_write(struct copro_sim_rtkit *fw, uint64_t iova,
			      const void *src, size_t len)
{
	return dma(fw, iova, (void *)src, len, true);
}

int fw_buf_write(struct copro_sim_rtkit *fw, enum fw_buf_id id, uint64_t off,
		 const void *src, size_t len)
{
	const struct fw_buf *b = &fw->bufs[id];

	if (b->state != FB_READY)
		return -ENOENT;
	if (off > b->size || len > b->size - off)
		return -EINVAL;
	if (b->mode == COPRO_SIM_RTKIT_BUF_MMIO) {
		copro_mutex_lock(&fw->sram_lock);
		memcpy(fw->sram + (b->iova - fw->cfg.sram_phys) + off, src,
		       len);
		copro_mutex_unlock(&fw->sram_lock);
		return 0;
	}
	return copro_sim_rtkit_dma_write(fw, b->iova + off, src, len);
}
