/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "bench_util.h"

int bench_samples_init(struct bench_samples *s, size_t cap)
{
	s->ns = calloc(cap ? cap : 1, sizeof(*s->ns));
	s->n = 0;
	s->cap = cap;
	return s->ns ? 0 : -ENOMEM;
}

int bench_samples_push(struct bench_samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		uint64_t *v = realloc(s->ns, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->ns = v;
		s->cap = cap;
	}
	s->ns[s->n++] = ns;
	return 0;
}

void bench_samples_free(struct bench_samples *s)
{
	free(s->ns);
	s->ns = NULL;
	s->n = s->cap = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

double bench_percentile(struct bench_samples *s, double p)
{
	if (!s->n)
		return 0;
	qsort(s->ns, s->n, sizeof(*s->ns), cmp_u64);
	size_t i = (size_t)ceil(p / 100.0 * (double)s->n);
	if (i > 0)
		i--;
	if (i >= s->n)
		i = s->n - 1;
	return (double)s->ns[i];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_row(FILE *out, const char *what, double value, const char *unit,
	       const char *baseline_name, double baseline)
{
	fprintf(out, "  %-34s %12.1f %-7s  %-28s %12.1f %-7s  ratio %6.2f\n",
		what, value, unit, baseline_name, baseline, unit,
		baseline > 0 ? value / baseline : 0.0);
}
