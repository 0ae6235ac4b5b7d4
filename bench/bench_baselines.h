/* SPDX-License-Identifier: MIT */
/*
 * Baselines measured in the same run as the figure they judge: the
 * physical limit of a cross-core round trip, and what a blocking design
 * pays for one.
 */
#ifndef COPRO_BENCH_BASELINES_H
#define COPRO_BENCH_BASELINES_H

#include <stddef.h>

#include "bench_util.h"

/* Two threads bouncing a counter on one cache line, busy-waiting. */
int bench_spin_pingpong(size_t rounds, struct bench_samples *rtt);
/* Two threads bouncing through a pair of eventfds, sleeping in read(). */
int bench_eventfd_pingpong(size_t rounds, struct bench_samples *rtt);
/*
 * One-way streaming through a 16-slot lock-free ring between two threads
 * (the shape of the ASC FIFO without the device): messages per second.
 */
int bench_spsc_stream(size_t count, double *msgs_per_s);

#endif
