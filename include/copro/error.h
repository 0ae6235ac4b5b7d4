/* SPDX-License-Identifier: MIT */
/*
 * Errors: every fallible copro function returns 0 (or a count) on success
 * and a negative errno value on failure.
 */
#ifndef COPRO_ERROR_H
#define COPRO_ERROR_H

#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * copro's own errors live above the errno range so they never collide
 * with a system value.
 */
enum {
	COPRO_EBUSFAULT = 4096,	/* a device access outside mapped memory */
	COPRO_EPROTO_FW,	/* firmware broke its protocol */
	COPRO_ECRASHED,		/* the coprocessor has crashed */
	COPRO_ENOTRUNNING,	/* the coprocessor is not running */
	COPRO_EDT,		/* malformed devicetree */
	COPRO_EPROBE_DEFER,	/* a provider is not there yet: probe again later */
};

/* Human-readable text for a negative (or positive) error code. Never NULL. */
const char *copro_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
