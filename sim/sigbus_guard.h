/* SPDX-License-Identifier: MIT */
/*
 * Copies through a file's shared mapping that fail instead of killing the
 * process. The kernel raises SIGBUS when the page behind a mapped address
 * cannot be had: the file shrank below it, its filesystem had no room to
 * fill a hole, a read of it failed. Inside a guarded copy that signal
 * ends the copy with -EFAULT; anywhere else it goes where it went before.
 */
#ifndef COPRO_SIM_SIGBUS_GUARD_H
#define COPRO_SIM_SIGBUS_GUARD_H

#include <stddef.h>

/*
 * Puts the guard's SIGBUS handler in place if it is not (signal actions
 * are per process, not per board): it passes every SIGBUS outside a
 * guarded copy on to the action it replaced. 0, or -errno if sigaction
 * failed.
 */
int sigbus_guard_install(void);

/* memcpy, or -EFAULT if the kernel raised SIGBUS on the way (dst or src). */
int sigbus_guarded_copy(void *dst, const void *src, size_t n);

#endif
