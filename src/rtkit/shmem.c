// SPDX-License-Identifier: MIT
/*
 * Shared buffers of the system endpoints (hardware.md 2.3): providing the
 * buffers the engine's BUFFER events ask for, in the client's mode.
 *
 * The engine has refused requests of size 0 or above shmem_max, second
 * requests and unaligned IOVAs; here a request is refused (logged and
 * counted by the engine, not answered) when the IOVA does not fit the
 * mode: DMA
 * and SART buffers are the host's to place (a coprocessor-chosen IOVA is
 * refused), MMIO buffers are the coprocessor's to place (IOVA 0 is
 * refused) and must lie in the configured window, as must a chosen IOVA
 * in IOVA mode.
 *
 * A buffer in the coprocessor's own MMIO region is fully managed by the
 * coprocessor, so that request is not answered; every other one is
 * answered with the buffer's IOVA and size.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <copro/error.h>
#include <copro/regs/rtkit.h>
#include <copro/sart.h>

#include "rtkit/rtkit_internal.h"

#define PAGE_MASK ((uint64_t)RTK_PAGE_SIZE - 1)

const char *copro_rtkit_shmem_mode_name(enum copro_rtkit_shmem_mode mode)
{
	switch (mode) {
	case COPRO_RTKIT_SHMEM_DMA:
		return "DMA";
	case COPRO_RTKIT_SHMEM_SART:
		return "SART";
	case COPRO_RTKIT_SHMEM_MMIO:
		return "MMIO";
	case COPRO_RTKIT_SHMEM_IOVA:
		return "IOVA";
	}
	return "unknown";
}

struct rtk_buf *rtk_shmem_get(struct copro_rtkit *rtk, uint8_t ep)
{
	if (ep >= RTK_SYS_EPS || !rtk->bufs[ep].used)
		return NULL;
	return &rtk->bufs[ep];
}

static bool in_window(const struct copro_rtkit *rtk, uint64_t iova,
		      uint64_t size)
{
	uint64_t base = rtk->cfg.iova_base, end = base + rtk->cfg.iova_size;

	return iova >= base && iova < end && size <= end - iova;
}

/* Why the mode cannot take this request, or NULL. */
static const char *mode_refuses(const struct copro_rtkit *rtk, uint64_t iova,
				uint64_t size)
{
	if (rtk->ops->shmem_setup)
		return NULL; /* the client's own setup judges */
	switch (rtk->cfg.shmem_mode) {
	case COPRO_RTKIT_SHMEM_DMA:
	case COPRO_RTKIT_SHMEM_SART:
		if (iova)
			return "a coprocessor-chosen IOVA, which this mode does not allow";
		break;
	case COPRO_RTKIT_SHMEM_MMIO:
		if (!iova)
			return "IOVA 0, but MMIO-mode buffers are placed by the coprocessor";
		if (!in_window(rtk, iova, size))
			return "a buffer outside the coprocessor's MMIO window";
		break;
	case COPRO_RTKIT_SHMEM_IOVA:
		if (iova && !in_window(rtk, iova, size))
			return "an IOVA outside the configured window";
		break;
	}
	return NULL;
}

static int setup_dma(struct copro_rtkit *rtk, struct rtk_buf *b)
{
	int ret;

	if (b->pub.iova)
		ret = copro_dma_alloc_at(rtk->p, b->pub.iova, b->pub.size,
					 &b->dma);
	else
		ret = copro_dma_alloc(rtk->p, b->pub.size, &b->dma);
	if (ret < 0)
		return ret;
	b->pub.buffer = b->dma.cpu;
	b->pub.iova = b->dma.phys;
	if (rtk->cfg.shmem_mode != COPRO_RTKIT_SHMEM_SART)
		return 0;
	/* The filter works in whole pages, as the allocation does. */
	ret = copro_sart_allow(rtk->cfg.sart, b->dma.phys,
			     (b->pub.size + PAGE_MASK) & ~PAGE_MASK, &b->sart);
	if (ret < 0) {
		copro_dma_free(rtk->p, &b->dma);
		b->pub.buffer = NULL;
	}
	return ret;
}

static int setup(struct copro_rtkit *rtk, struct rtk_buf *b)
{
	b->sart.index = -1;
	if (rtk->ops->shmem_setup) {
		int ret = rtk->ops->shmem_setup(rtk->cfg.ctx, &b->pub);

		if (ret >= 0 && !b->pub.buffer == !b->pub.iomem) {
			copro_dev_err(&rtk->ld,
				      "%s: the client's shmem_setup gave %s",
				      copro_rtkit_ep_name(b->pub.ep),
				      b->pub.buffer ? "both a buffer and iomem"
						    : "no buffer");
			rtk->ops->shmem_destroy(rtk->cfg.ctx, &b->pub);
			ret = -EINVAL;
		}
		b->custom = ret >= 0;
		return ret;
	}
	if (rtk->cfg.shmem_mode == COPRO_RTKIT_SHMEM_MMIO) {
		int ret = copro_mmio_map(rtk->p, b->pub.iova, b->pub.size,
					 &b->pub.iomem);

		b->pub.iomem_off = 0;
		return ret;
	}
	return setup_dma(rtk, b);
}

int rtk_shmem_setup(struct copro_rtkit *rtk, uint8_t ep, uint64_t iova,
		    uint64_t size, uint64_t *iova_out, bool *answer,
		    const char **why)
{
	struct rtk_buf *b;
	int ret;

	*why = NULL;
	if (ep >= RTK_SYS_EPS || rtk->bufs[ep].used) {
		*why = "the endpoint has a buffer already";
		return -EINVAL;
	}
	*why = mode_refuses(rtk, iova, size);
	if (*why) {
		snprintf(rtk->why, sizeof(rtk->why), "%s (%s mode)", *why,
			 copro_rtkit_shmem_mode_name(rtk->cfg.shmem_mode));
		*why = rtk->why;
		return -EINVAL;
	}
	b = &rtk->bufs[ep];
	memset(b, 0, sizeof(*b));
	b->pub.ep = ep;
	b->pub.iova = iova;
	b->pub.size = (size_t)size;
	ret = setup(rtk, b);
	if (ret < 0) {
		snprintf(rtk->why, sizeof(rtk->why), "failed in %s mode: %s",
			 rtk->ops->shmem_setup
				 ? "the client's"
				 : copro_rtkit_shmem_mode_name(rtk->cfg.shmem_mode),
			 copro_strerror(ret));
		*why = rtk->why;
		memset(b, 0, sizeof(*b));
		return ret;
	}
	b->used = true;
	*answer = rtk->ops->shmem_setup ? true
					: rtk->cfg.shmem_mode !=
						  COPRO_RTKIT_SHMEM_MMIO;
	if (b->custom && iova && b->pub.iomem)
		*answer = false;
	*iova_out = b->pub.iova;
	copro_dev_dbg(&rtk->ld, "%s: buffer at 0x%" PRIx64 ", 0x%zx bytes (%s)",
		      copro_rtkit_ep_name(ep), b->pub.iova, b->pub.size,
		      b->custom ? "client"
				: copro_rtkit_shmem_mode_name(rtk->cfg.shmem_mode));
	return 0;
}

static void rtk_shmem_free(struct copro_rtkit *rtk, uint8_t ep)
{
	struct rtk_buf *b = rtk_shmem_get(rtk, ep);

	if (!b)
		return;
	if (b->custom) {
		rtk->ops->shmem_destroy(rtk->cfg.ctx, &b->pub);
	} else if (b->pub.iomem) {
		copro_mmio_unmap(b->pub.iomem);
	} else {
		if (b->sart.index >= 0)
			copro_sart_revoke(rtk->cfg.sart, &b->sart);
		copro_dma_free(rtk->p, &b->dma);
	}
	memset(b, 0, sizeof(*b));
}

void rtk_shmem_free_all(struct copro_rtkit *rtk)
{
	for (unsigned ep = 0; ep < RTK_SYS_EPS; ep++)
		rtk_shmem_free(rtk, (uint8_t)ep);
}

int rtk_shmem_read(struct copro_rtkit *rtk, const struct rtk_buf *b,
		   uint64_t off, void *dst, size_t len)
{
	uint8_t *out = dst;

	if (off > b->pub.size || len > b->pub.size - off) {
		copro_dev_err(&rtk->ld,
			      "%s: read of [0x%" PRIx64 ", +0x%zx) outside the 0x%zx-byte buffer",
			      copro_rtkit_ep_name(b->pub.ep), off, len,
			      b->pub.size);
		return -EFAULT;
	}
	if (b->pub.buffer) {
		memcpy(out, (const uint8_t *)b->pub.buffer + off, len);
		return 0;
	}
	/* Coprocessor MMIO takes aligned 32-bit reads only. */
	while (len) {
		uint64_t word_off = (off & ~(uint64_t)3);
		unsigned skip = (unsigned)(off - word_off);
		uint32_t w = copro_readl(b->pub.iomem, b->pub.iomem_off + word_off);
		uint8_t bytes[4] = { (uint8_t)w, (uint8_t)(w >> 8),
				     (uint8_t)(w >> 16), (uint8_t)(w >> 24) };
		size_t n = 4 - skip < len ? 4 - skip : len;

		memcpy(out, bytes + skip, n);
		out += n;
		off += n;
		len -= n;
	}
	return 0;
}
