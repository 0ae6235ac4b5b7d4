/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <copro/rtkit.h>

#include "bench_util.h"
#include "boot_timeline.h"
#include "cli_json.h"

#define STEP_NAME 64
#define MAX_STEPS 128
#define MAX_EVENTS (BOOT_TRACE_MAX + 4)

struct step {
	char name[STEP_NAME];
	struct bench_samples gap, at;
	uint64_t by_starter; /* traced in the boot's own thread */
};

struct event {
	uint64_t t;
	bool by_starter;
	char name[STEP_NAME];
};

struct boot_timeline {
	struct step steps[MAX_STEPS];
	unsigned nsteps;
	uint64_t boots, cap;
	uint64_t span_start, span_end;
	struct event ev[MAX_EVENTS];
};

/* A name cut to fit (a decoded message's first words always do). */
static void copy_name(char *dst, size_t len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > len - 1)
		la = len - 1;
	memmove(dst, a, la);
	if (lb > len - 1 - la)
		lb = len - 1 - la;
	memcpy(dst + la, b, lb);
	dst[la + lb] = '\0';
}

struct boot_timeline *boot_timeline_create(void)
{
	return calloc(1, sizeof(struct boot_timeline));
}

void boot_timeline_destroy(struct boot_timeline *tl)
{
	if (!tl)
		return;
	for (unsigned i = 0; i < tl->nsteps; i++) {
		bench_samples_free(&tl->steps[i].gap);
		bench_samples_free(&tl->steps[i].at);
	}
	free(tl);
}

void boot_timeline_span(struct boot_timeline *tl, uint64_t start, uint64_t end)
{
	tl->span_start = start;
	tl->span_end = end;
}

uint64_t boot_timeline_boots(const struct boot_timeline *tl)
{
	return tl->boots;
}

/* "IOP -> AP syslog LOG": direction, endpoint and the message's type. */
static void msg_name(char *buf, size_t len, const struct boot_trace_msg *m)
{
	char line[160];
	char *sp;

	copro_rtkit_decode(line, sizeof(line), m->to_iop, m->ep, m->msg);
	sp = strchr(line, ' ');
	if (sp)
		sp = strchr(sp + 1, ' ');
	if (sp)
		*sp = '\0';
	copy_name(buf, len, m->to_iop ? "AP -> IOP " : "IOP -> AP ", line);
}

static int cmp_event(const void *a, const void *b)
{
	uint64_t x = ((const struct event *)a)->t, y = ((const struct event *)b)->t;
	return (x > y) - (x < y);
}

static struct step *step_get(struct boot_timeline *tl, const char *name)
{
	for (unsigned i = 0; i < tl->nsteps; i++)
		if (!strcmp(tl->steps[i].name, name))
			return &tl->steps[i];
	if (tl->nsteps == MAX_STEPS)
		return NULL;
	struct step *s = &tl->steps[tl->nsteps];
	/* Samples grow by doubling; a step seen once per boot needs `boots`. */
	if (bench_samples_init(&s->gap, 1024) || bench_samples_init(&s->at, 1024)) {
		bench_samples_free(&s->gap);
		return NULL;
	}
	copy_name(s->name, sizeof(s->name), name, "");
	tl->nsteps++;
	return s;
}

static void add_event(struct boot_timeline *tl, size_t *n, uint64_t t,
		      bool by_starter, const char *name)
{
	if (*n < MAX_EVENTS && t) {
		tl->ev[*n].t = t;
		tl->ev[*n].by_starter = by_starter;
		copy_name(tl->ev[*n].name, STEP_NAME, name, "");
		(*n)++;
	}
}

int boot_timeline_add(struct boot_timeline *tl, struct boot_trace *t,
		      const struct boot_marks *m)
{
	size_t n = 0;
	char name[STEP_NAME];

	copro_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->nmsgs; i++) {
		msg_name(name, sizeof(name), &t->msgs[i]);
		add_event(tl, &n, t->msgs[i].time_ns, t->msgs[i].by_starter, name);
	}
	copro_mutex_unlock(&t->lock);
	add_event(tl, &n, m->booted, true, "(boot returned)");
	add_event(tl, &n, m->shut_down, true, "(shutdown returned)");
	add_event(tl, &n, m->stopped, true, "(CPU stopped)");
	qsort(tl->ev, n, sizeof(tl->ev[0]), cmp_event);

	/* The n-th time a name comes up in this boot is its own step. */
	uint64_t prev = m->run;
	for (size_t i = 0; i < n; i++) {
		unsigned seen = 1;
		char key[STEP_NAME], num[16];

		for (size_t j = 0; j < i; j++)
			seen += !strcmp(tl->ev[j].name, tl->ev[i].name);
		snprintf(num, sizeof(num), " #%u", seen);
		copy_name(key, sizeof(key) - sizeof(num), tl->ev[i].name, "");
		copy_name(key, sizeof(key), key, num);
		struct step *s = step_get(tl, key);
		uint64_t at = tl->ev[i].t > m->run ? tl->ev[i].t - m->run : 0;
		uint64_t gap = tl->ev[i].t > prev ? tl->ev[i].t - prev : 0;

		prev = tl->ev[i].t > prev ? tl->ev[i].t : prev;
		if (!s || bench_samples_push(&s->gap, gap) ||
		    bench_samples_push(&s->at, at))
			return -ENOMEM;
		s->by_starter += tl->ev[i].by_starter;
	}
	tl->boots++;
	return 0;
}

struct row {
	const struct step *s;
	double at, gap50, gap90;
};

static int cmp_row(const void *a, const void *b)
{
	double x = ((const struct row *)a)->at, y = ((const struct row *)b)->at;
	return (x > y) - (x < y);
}

static unsigned rows(struct boot_timeline *tl, struct row *r)
{
	for (unsigned i = 0; i < tl->nsteps; i++) {
		struct step *s = &tl->steps[i];

		r[i] = (struct row){
			.s = s,
			.at = bench_percentile(&s->at, 50),
			.gap50 = bench_percentile(&s->gap, 50),
			.gap90 = bench_percentile(&s->gap, 90),
		};
	}
	qsort(r, tl->nsteps, sizeof(*r), cmp_row);
	return tl->nsteps;
}

void boot_timeline_print(struct boot_timeline *tl, const char *title,
			 FILE *out)
{
	struct row r[MAX_STEPS];
	unsigned n = rows(tl, r);

	fprintf(out, "%s: %llu boots, each step's time from CPU_CONTROL.RUN and gap "
		"from the step before (us);\n'own': how often the boot's own thread "
		"traced it (%%)\n", title, (unsigned long long)tl->boots);
	fprintf(out, "  (counted from %.6f to %.6f s, CLOCK_MONOTONIC)\n",
		(double)tl->span_start / 1e9, (double)tl->span_end / 1e9);
	fprintf(out, "  %-44s %6s %9s %9s %9s %5s\n", "step", "boots", "at p50",
		"gap p50", "gap p90", "own");
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "  %-44s %6zu %9.1f %9.1f %9.1f %5.0f\n", r[i].s->name,
			r[i].s->gap.n, r[i].at / 1e3, r[i].gap50 / 1e3,
			r[i].gap90 / 1e3,
			100.0 * (double)r[i].s->by_starter / (double)r[i].s->gap.n);
}

json_t *boot_timeline_json(struct boot_timeline *tl)
{
	struct row r[MAX_STEPS];
	unsigned n = rows(tl, r);
	json_t *arr = json_array();
	int err = !arr;

	for (unsigned i = 0; i < n && !err; i++) {
		json_t *o = json_object();

		err |= cli_json_str(o, "step", r[i].s->name);
		err |= cli_json_int(o, "boots", (long long)r[i].s->gap.n);
		err |= cli_json_num(o, "at_us", r[i].at / 1e3);
		err |= cli_json_num(o, "gap_p50_us", r[i].gap50 / 1e3);
		err |= cli_json_num(o, "gap_p90_us", r[i].gap90 / 1e3);
		err |= cli_json_num(o, "own_thread",
				    (double)r[i].s->by_starter / (double)r[i].s->gap.n);
		if (!err && json_array_append_new(arr, o))
			err = 1;
		else if (err)
			json_decref(o);
	}
	if (err) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}
