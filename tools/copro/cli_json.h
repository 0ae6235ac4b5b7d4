/* SPDX-License-Identifier: MIT */
/*
 * Machine-readable output (--json) through jansson: the report functions
 * build a json_t object with these helpers and print it with
 * cli_json_print, so every command writes JSON the same way.
 */
#ifndef COPRO_CLI_JSON_H
#define COPRO_CLI_JSON_H

#include <stdio.h>

#include <jansson.h>

/*
 * obj[key] = v, consuming v. A figure that is not finite (a ratio to a
 * baseline that could not be measured) becomes null: JSON has no NaN.
 * These return 0, or -ENOMEM (v NULL, or the object could not grow);
 * callers OR the results together and hand them to cli_json_print.
 */
int cli_json_set(json_t *obj, const char *key, json_t *v);
int cli_json_num(json_t *obj, const char *key, double v);
int cli_json_int(json_t *obj, const char *key, long long v);
int cli_json_str(json_t *obj, const char *key, const char *v);
/* Appends the string s to the array arr. */
int cli_json_append_str(json_t *arr, const char *s);

/*
 * Prints obj as one line and releases it. `err` is the OR of the set
 * calls that built it: when any failed (or obj is NULL) nothing is
 * printed and an error naming CMD goes to stderr.
 * Returns 0 or CLI_EXIT_FAILURE.
 */
int cli_json_print(const char *cmd, json_t *obj, int err, FILE *out);

#endif
