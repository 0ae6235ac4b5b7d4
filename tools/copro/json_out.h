/* SPDX-License-Identifier: MIT */
/*
 * A small JSON writer for command output: nested objects and arrays,
 * strings escaped, numbers exact (64-bit integers are printed as
 * integers, never through a double).
 */
#ifndef COPRO_JSON_OUT_H
#define COPRO_JSON_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_OUT_DEPTH 8

struct json_out {
	FILE *f;
	int depth;
	bool first[JSON_OUT_DEPTH];
	bool after_key;
};

void json_init(struct json_out *j, FILE *f);
void json_obj(struct json_out *j);   /* { */
void json_arr(struct json_out *j);   /* [ */
void json_end(struct json_out *j, char close); /* } or ] */
void json_key(struct json_out *j, const char *key);
void json_str(struct json_out *j, const char *v);
void json_u64(struct json_out *j, uint64_t v);
void json_i64(struct json_out *j, int64_t v);
void json_bool(struct json_out *j, bool v);
/* key and value in one call */
void json_kstr(struct json_out *j, const char *key, const char *v);
void json_ku64(struct json_out *j, const char *key, uint64_t v);
void json_ki64(struct json_out *j, const char *key, int64_t v);
void json_kbool(struct json_out *j, const char *key, bool v);
/* Ends the document with a newline. */
void json_done(struct json_out *j);

#endif
