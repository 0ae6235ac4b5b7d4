/* SPDX-License-Identifier: MIT */
/* Latency samples, percentiles, and side-by-side reporting for benchmarks. */
#ifndef COPRO_BENCH_UTIL_H
#define COPRO_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bench_samples {
	uint64_t *ns;
	size_t n, cap;
};

int bench_samples_init(struct bench_samples *s, size_t cap);
void bench_samples_free(struct bench_samples *s);
static inline void bench_samples_add(struct bench_samples *s, uint64_t ns)
{
	if (s->n < s->cap)
		s->ns[s->n++] = ns;
}
/* Adds a sample, growing the array (doubling) when it is full. */
int bench_samples_push(struct bench_samples *s, uint64_t ns);
/* Sorts the samples; p in [0, 100]. 0 when empty. */
double bench_percentile(struct bench_samples *s, double p);

/*
 * The median of n figures (sorts v; n > 0): the figure of a point run
 * several times, so that one disturbed run moves none.
 */
double bench_median(double *v, size_t n);

/* One figure of a report, printed beside its baseline with the ratio. */
void bench_row(FILE *out, const char *what, double value, const char *unit,
	       const char *baseline_name, double baseline);

#endif
