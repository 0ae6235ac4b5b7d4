/* SPDX-License-Identifier: MIT */
/*
 * Timeouts. Every timeout in the API is an int64_t in nanoseconds: 0
 * never waits (the call returns -EAGAIN or -ETIMEDOUT at once when it
 * would have to), COPRO_FOREVER never expires.
 */
#ifndef COPRO_TIME_H
#define COPRO_TIME_H

#include <stdint.h>

#define COPRO_FOREVER ((int64_t)-1)
#define COPRO_NSEC_PER_USEC 1000LL
#define COPRO_NSEC_PER_MSEC 1000000LL
#define COPRO_NSEC_PER_SEC 1000000000LL

#endif
