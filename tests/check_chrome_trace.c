/* SPDX-License-Identifier: MIT */
/*
 * Checks that a file is the Trace Event Format that Perfetto and
 * chrome://tracing open, as `copro trace --chrome-trace` must write it:
 *
 *   check_chrome_trace FILE [--cat CATEGORY]... [--min-events N]
 *
 * A JSON object with a traceEvents array and a displayTimeUnit; every
 * event an object with a string name, a known phase (X, i, B, E, M) and
 * integer pid and tid; timed events with a non-negative ts, X events a
 * non-negative dur; B and E paired per track, each E closing an open B;
 * every process and thread that has events named by M metadata. Each
 * --cat must appear on some event. Prints what was wrong and exits 1.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct track {
	json_int_t pid, tid;
	bool named;
	int open; /* B without E */
};

static struct track *tracks;
static size_t ntracks;
static json_int_t *pids_named;
static size_t npids_named;

static int fail(size_t i, const char *what)
{
	fprintf(stderr, "check_chrome_trace: event %zu: %s\n", i, what);
	return 1;
}

static struct track *track(json_int_t pid, json_int_t tid)
{
	for (size_t i = 0; i < ntracks; i++)
		if (tracks[i].pid == pid && tracks[i].tid == tid)
			return &tracks[i];
	tracks = realloc(tracks, (ntracks + 1) * sizeof(*tracks));
	if (!tracks) {
		perror("check_chrome_trace");
		exit(2);
	}
	tracks[ntracks] = (struct track){ .pid = pid, .tid = tid };
	return &tracks[ntracks++];
}

static bool pid_named(json_int_t pid)
{
	for (size_t i = 0; i < npids_named; i++)
		if (pids_named[i] == pid)
			return true;
	return false;
}

static int check_event(size_t i, json_t *ev, const char **cats, size_t ncats,
		       bool *seen)
{
	json_t *name = json_object_get(ev, "name"), *ph = json_object_get(ev, "ph");
	json_t *pid = json_object_get(ev, "pid"), *tid = json_object_get(ev, "tid");
	json_t *ts = json_object_get(ev, "ts"), *cat = json_object_get(ev, "cat");
	const char *p;

	if (!json_is_object(ev))
		return fail(i, "not an object");
	if (!json_is_string(name) || !json_is_string(ph))
		return fail(i, "no string name or ph");
	if (!json_is_integer(pid) || !json_is_integer(tid))
		return fail(i, "no integer pid or tid");
	p = json_string_value(ph);
	if (!strcmp(p, "M")) {
		json_t *args = json_object_get(ev, "args");
		const char *n = json_string_value(name);

		if (!json_is_string(json_object_get(args, "name")))
			return fail(i, "metadata without args.name");
		if (!strcmp(n, "process_name")) {
			pids_named = realloc(pids_named, (npids_named + 1) * sizeof(*pids_named));
			if (!pids_named)
				exit(2);
			pids_named[npids_named++] = json_integer_value(pid);
		} else if (!strcmp(n, "thread_name")) {
			track(json_integer_value(pid), json_integer_value(tid))->named = true;
		} else {
			return fail(i, "metadata other than process_name/thread_name");
		}
		return 0;
	}
	if (!json_is_number(ts) || json_number_value(ts) < 0)
		return fail(i, "no non-negative ts");
	struct track *t = track(json_integer_value(pid), json_integer_value(tid));

	if (!strcmp(p, "X")) {
		json_t *dur = json_object_get(ev, "dur");

		if (!json_is_number(dur) || json_number_value(dur) < 0)
			return fail(i, "X event without a non-negative dur");
	} else if (!strcmp(p, "i")) {
		json_t *s = json_object_get(ev, "s");

		if (s && (!json_is_string(s) || !strchr("tpg", json_string_value(s)[0]) ||
			  json_string_value(s)[1]))
			return fail(i, "i event with a scope other than t, p or g");
	} else if (!strcmp(p, "B")) {
		t->open++;
	} else if (!strcmp(p, "E")) {
		if (!t->open)
			return fail(i, "E event closing no B on its track");
		t->open--;
	} else {
		return fail(i, "unknown phase");
	}
	for (size_t c = 0; c < ncats; c++)
		if (json_is_string(cat) && !strcmp(json_string_value(cat), cats[c]))
			seen[c] = true;
	return 0;
}

int main(int argc, char **argv)
{
	const char *cats[16];
	bool seen[16] = { false };
	size_t ncats = 0, min_events = 1, n;
	json_error_t err;
	json_t *root, *events, *unit;

	if (argc < 2) {
		fprintf(stderr, "usage: check_chrome_trace FILE [--cat C]... [--min-events N]\n");
		return 2;
	}
	for (int a = 2; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--cat") && ncats < 16)
			cats[ncats++] = argv[a + 1];
		else if (!strcmp(argv[a], "--min-events"))
			min_events = strtoul(argv[a + 1], NULL, 10);
		else {
			fprintf(stderr, "check_chrome_trace: unknown option %s\n", argv[a]);
			return 2;
		}
	}
	root = json_load_file(argv[1], 0, &err);
	if (!root) {
		fprintf(stderr, "check_chrome_trace: %s: not JSON: line %d: %s\n",
			argv[1], err.line, err.text);
		return 1;
	}
	events = json_object_get(root, "traceEvents");
	unit = json_object_get(root, "displayTimeUnit");
	if (!json_is_object(root) || !json_is_array(events)) {
		fprintf(stderr, "check_chrome_trace: %s: no traceEvents array\n", argv[1]);
		return 1;
	}
	if (!json_is_string(unit) || (strcmp(json_string_value(unit), "ns") &&
				      strcmp(json_string_value(unit), "ms"))) {
		fprintf(stderr, "check_chrome_trace: %s: displayTimeUnit is not \"ns\" or \"ms\"\n",
			argv[1]);
		return 1;
	}
	n = json_array_size(events);
	for (size_t i = 0; i < n; i++)
		if (check_event(i, json_array_get(events, i), cats, ncats, seen))
			return 1;
	if (n < min_events) {
		fprintf(stderr, "check_chrome_trace: %zu events, fewer than %zu\n", n,
			min_events);
		return 1;
	}
	for (size_t i = 0; i < ntracks; i++) {
		if (tracks[i].open) {
			fprintf(stderr, "check_chrome_trace: track %lld/%lld: %d B events never closed\n",
				(long long)tracks[i].pid, (long long)tracks[i].tid,
				tracks[i].open);
			return 1;
		}
		if (!tracks[i].named || !pid_named(tracks[i].pid)) {
			fprintf(stderr, "check_chrome_trace: track %lld/%lld has no %s_name metadata\n",
				(long long)tracks[i].pid, (long long)tracks[i].tid,
				tracks[i].named ? "process" : "thread");
			return 1;
		}
	}
	for (size_t c = 0; c < ncats; c++) {
		if (!seen[c]) {
			fprintf(stderr, "check_chrome_trace: no event of category '%s'\n",
				cats[c]);
			return 1;
		}
	}
	printf("check_chrome_trace: %s: %zu events on %zu tracks of %zu processes: valid\n",
	       argv[1], n, ntracks, npids_named);
	json_decref(root);
	free(tracks);
	free(pids_named);
	return 0;
}
