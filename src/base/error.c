/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "copro/error.h"

#define COPRO_ERR_BASE COPRO_EBUSFAULT

static const char *const copro_err_text[] = {
	[COPRO_EBUSFAULT - COPRO_ERR_BASE] =
		"bus fault: device access outside mapped memory",
	[COPRO_EDT - COPRO_ERR_BASE] = "malformed devicetree",
	[COPRO_EPROBE_DEFER - COPRO_ERR_BASE] = "probe deferred: a provider is not there yet",
};

#define COPRO_ERR_COUNT (sizeof(copro_err_text) / sizeof(copro_err_text[0]))

/*
 * strerror() may hand back a shared static buffer for unknown values, so
 * take the text from glibc's constant table and format unknown codes
 * ourselves.
 */
static const char *errno_text(unsigned int e)
{
#ifdef __GLIBC__
	return strerrordesc_np((int)e);
#else
	return NULL;
#endif
}

const char *copro_strerror(int err)
{
	/* Unsigned negation: -INT_MIN would overflow. */
	unsigned int e = err < 0 ? 0u - (unsigned int)err : (unsigned int)err;
	const char *s = NULL;

	if (e >= COPRO_ERR_BASE && e - COPRO_ERR_BASE < COPRO_ERR_COUNT)
		s = copro_err_text[e - COPRO_ERR_BASE];
	else if (e < COPRO_ERR_BASE)
		s = errno_text(e);
	if (s)
		return s;

	/*
	 * Unknown codes carry their number, which needs storage; per-thread
	 * storage keeps concurrent callers from overwriting each other's text.
	 */
	static _Thread_local char unknown[32];
	snprintf(unknown, sizeof(unknown), "unknown error %d", err);
	return unknown;
}
