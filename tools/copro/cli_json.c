/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>

#include "cli.h"
#include "cli_json.h"

/*
 * Six significant digits, as the tables print: benchmark figures carry
 * no more than that, and %.17g would print 0.1 as 0.10000000000000001.
 */
#define CLI_JSON_FLAGS (JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))

int cli_json_set(json_t *obj, const char *key, json_t *v)
{
	if (!obj || !v) {
		json_decref(v);
		return -ENOMEM;
	}
	/* Consumes v even on failure. */
	return json_object_set_new(obj, key, v) ? -ENOMEM : 0;
}

int cli_json_num(json_t *obj, const char *key, double v)
{
	return cli_json_set(obj, key, isfinite(v) ? json_real(v) : json_null());
}

int cli_json_int(json_t *obj, const char *key, long long v)
{
	return cli_json_set(obj, key, json_integer((json_int_t)v));
}

int cli_json_str(json_t *obj, const char *key, const char *v)
{
	return cli_json_set(obj, key, json_string(v));
}

int cli_json_append_str(json_t *arr, const char *s)
{
	json_t *v = json_string(s);

	if (!arr || !v) {
		json_decref(v);
		return -ENOMEM;
	}
	return json_array_append_new(arr, v) ? -ENOMEM : 0;
}

int cli_json_print(const char *cmd, json_t *obj, int err, FILE *out)
{
	int rc = 0;

	if (!obj || err) {
		fprintf(stderr, "copro %s: cannot build the JSON report (out of memory, or a string not in UTF-8)\n",
			cmd);
		rc = CLI_EXIT_FAILURE;
	} else if (json_dumpf(obj, out, CLI_JSON_FLAGS) || fputc('\n', out) == EOF ||
		   fflush(out)) {
		fprintf(stderr, "copro %s: cannot write the JSON report\n", cmd);
		rc = CLI_EXIT_FAILURE;
	}
	json_decref(obj);
	return rc;
}
