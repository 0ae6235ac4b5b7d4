/* SPDX-License-Identifier: MIT */
/*
 * Errors: every fallible copro function returns 0 (or a count) on success
 * and a negative errno value on failure.
 */
#ifndef COPRO_ERROR_H
#define COPRO_ERROR_H

#include <errno.h>

#include <copro/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * copro's own errors live above the errno range so they never collide
 * with a system value.
 */
enum {
	COPRO_EBUSFAULT = 4096,	/* a device access outside mapped memory */
	COPRO_EDT = 4097,	/* malformed devicetree */
	COPRO_EPROBE_DEFER,	/* a provider is not there yet: probe again later */
};
/*
 * Everything else is a plain errno value; the ones with a fixed meaning
 * across the API: -ETIMEDOUT (a peer did not answer in time),
 * -ECONNRESET (the coprocessor crashed), -ENOTCONN (it is not running),
 * -EPROTO (a peer broke its protocol), -EAGAIN (a zero timeout found no
 * room), -ESHUTDOWN (the object is being torn down).
 */

/* Human-readable text for a negative (or positive) error code. Never NULL. */
COPRO_API const char *copro_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
