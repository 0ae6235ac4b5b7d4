/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <copro/os.h>

#include "bench_baselines.h"

struct spin_shared {
	alignas(64) _Atomic uint64_t ball;
	size_t rounds;
};

static void *spin_partner(void *arg)
{
	struct spin_shared *s = arg;

	for (uint64_t i = 1; i <= s->rounds; i++) {
		while (atomic_load_explicit(&s->ball, memory_order_acquire) != 2 * i - 1)
			copro_cpu_relax();
		atomic_store_explicit(&s->ball, 2 * i, memory_order_release);
	}
	return NULL;
}

int bench_spin_pingpong(size_t rounds, struct bench_samples *rtt)
{
	struct spin_shared s = { .rounds = rounds };
	struct copro_thread th;
	int ret = copro_thread_start(&th, "bench-spin", spin_partner, &s);

	if (ret)
		return ret;
	for (uint64_t i = 1; i <= rounds; i++) {
		uint64_t t0 = copro_time_ns();
		atomic_store_explicit(&s.ball, 2 * i - 1, memory_order_release);
		while (atomic_load_explicit(&s.ball, memory_order_acquire) != 2 * i)
			copro_cpu_relax();
		bench_samples_add(rtt, copro_time_ns() - t0);
	}
	copro_thread_join(&th);
	return 0;
}

struct efd_shared {
	int ping, pong;
	size_t rounds;
};

static void *efd_partner(void *arg)
{
	struct efd_shared *s = arg;
	uint64_t v;

	for (size_t i = 0; i < s->rounds; i++) {
		if (read(s->ping, &v, sizeof(v)) != sizeof(v))
			break;
		v = 1;
		if (write(s->pong, &v, sizeof(v)) != sizeof(v))
			break;
	}
	return NULL;
}

int bench_eventfd_pingpong(size_t rounds, struct bench_samples *rtt)
{
	struct efd_shared s = { .rounds = rounds };
	struct copro_thread th;
	uint64_t v;
	int ret = 0;

	s.ping = eventfd(0, EFD_CLOEXEC);
	s.pong = eventfd(0, EFD_CLOEXEC);
	if (s.ping < 0 || s.pong < 0) {
		ret = -errno;
		goto out;
	}
	ret = copro_thread_start(&th, "bench-efd", efd_partner, &s);
	if (ret)
		goto out;
	for (size_t i = 0; i < rounds; i++) {
		uint64_t t0 = copro_time_ns();
		v = 1;
		if (write(s.ping, &v, sizeof(v)) != sizeof(v) ||
		    read(s.pong, &v, sizeof(v)) != sizeof(v)) {
			ret = -EIO;
			break;
		}
		bench_samples_add(rtt, copro_time_ns() - t0);
	}
	copro_thread_join(&th);
out:
	if (s.ping >= 0)
		close(s.ping);
	if (s.pong >= 0)
		close(s.pong);
	return ret;
}

#define SPSC_SLOTS 16

struct spsc {
	alignas(64) _Atomic uint64_t head; /* written by the producer */
	alignas(64) _Atomic uint64_t tail; /* written by the consumer */
	alignas(64) struct { uint64_t a, b; } slot[SPSC_SLOTS];
	size_t count;
	uint64_t sum;
};

static void *spsc_consumer(void *arg)
{
	struct spsc *q = arg;
	uint64_t sum = 0;

	for (uint64_t t = 0; t < q->count; t++) {
		while (atomic_load_explicit(&q->head, memory_order_acquire) == t)
			copro_cpu_relax();
		sum += q->slot[t % SPSC_SLOTS].a ^ q->slot[t % SPSC_SLOTS].b;
		atomic_store_explicit(&q->tail, t + 1, memory_order_release);
	}
	q->sum = sum;
	return NULL;
}

int bench_spsc_stream(size_t count, double *msgs_per_s)
{
	static const struct spsc zero;
	struct spsc *q = aligned_alloc(64, sizeof(*q));
	struct copro_thread th;
	int ret;

	if (!q)
		return -ENOMEM;
	*q = zero;
	q->count = count;
	ret = copro_thread_start(&th, "bench-spsc", spsc_consumer, q);
	if (ret) {
		free(q);
		return ret;
	}
	uint64_t t0 = copro_time_ns();
	for (uint64_t h = 0; h < count; h++) {
		while (h - atomic_load_explicit(&q->tail, memory_order_acquire) >=
		       SPSC_SLOTS)
			copro_cpu_relax();
		q->slot[h % SPSC_SLOTS].a = h;
		q->slot[h % SPSC_SLOTS].b = ~h;
		atomic_store_explicit(&q->head, h + 1, memory_order_release);
	}
	copro_thread_join(&th);
	double secs = (double)(copro_time_ns() - t0) / 1e9;
	*msgs_per_s = secs > 0 ? (double)count / secs : 0;
	free(q);
	return 0;
}
