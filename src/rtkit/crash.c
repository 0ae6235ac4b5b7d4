// SPDX-License-Identifier: MIT
/*
 * The crashlog of a crash the engine reported (hardware.md 2.4): the whole
 * buffer is copied first (the coprocessor may still be writing, and
 * MMIO buffers take 32-bit reads only), then parsed from the copy,
 * logged, and kept for copro_rtkit_crashlog().
 */
#include <errno.h>
#include <stdlib.h>

#include <copro/error.h>

#include "rtkit/rtkit_internal.h"

struct copro_crashlog *rtk_crash_decode(struct copro_rtkit *rtk)
{
	const struct rtk_buf *b = rtk_shmem_get(rtk, COPRO_RTKIT_EP_CRASHLOG);
	struct copro_crashlog *cl;
	void *copy;
	int ret;

	if (!b)
		return NULL;
	copy = malloc(b->pub.size);
	cl = calloc(1, sizeof(*cl));
	if (!copy || !cl) {
		copro_dev_err(&rtk->ld, "crashlog: no memory for a 0x%zx-byte copy",
			      b->pub.size);
		goto fail;
	}
	ret = rtk_shmem_read(rtk, b, 0, copy, b->pub.size);
	if (ret < 0)
		goto fail;
	ret = copro_crashlog_parse(copy, b->pub.size, cl);
	if (ret < 0) {
		copro_dev_err(&rtk->ld, "crashlog unreadable: %s",
			      cl->error.msg[0] ? cl->error.msg
					       : copro_strerror(ret));
		goto fail;
	}
	free(copy);
	copro_crashlog_log(cl, &rtk->ld, COPRO_LOG_ERR);
	return cl;
fail:
	free(copy);
	free(cl);
	return NULL;
}
