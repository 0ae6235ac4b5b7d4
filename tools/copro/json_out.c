/* SPDX-License-Identifier: MIT */
#include <inttypes.h>

#include "json_out.h"

void json_init(struct json_out *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

/* The separator a new value needs where it is written. */
static void sep(struct json_out *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputs(", ", j->f);
	j->first[j->depth] = false;
}

static void json_open(struct json_out *j, char c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth + 1 < JSON_OUT_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

void json_obj(struct json_out *j)
{
	json_open(j, '{');
}

void json_arr(struct json_out *j)
{
	json_open(j, '[');
}

void json_end(struct json_out *j, char close)
{
	fputc(close, j->f);
	if (j->depth > 0)
		j->depth--;
}

static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_key(struct json_out *j, const char *key)
{
	sep(j);
	quoted(j->f, key);
	fputs(": ", j->f);
	j->after_key = true;
}

void json_str(struct json_out *j, const char *v)
{
	sep(j);
	quoted(j->f, v);
}

void json_u64(struct json_out *j, uint64_t v)
{
	sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_i64(struct json_out *j, int64_t v)
{
	sep(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_bool(struct json_out *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void json_kstr(struct json_out *j, const char *key, const char *v)
{
	json_key(j, key);
	json_str(j, v);
}

void json_ku64(struct json_out *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_ki64(struct json_out *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_i64(j, v);
}

void json_kbool(struct json_out *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_done(struct json_out *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
