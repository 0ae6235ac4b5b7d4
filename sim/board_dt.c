// SPDX-License-Identifier: MIT
/* The built-in boards' devicetrees, or a board's .dtb by path. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <copro/error.h>
#include <copro/sim/board.h>

#include "boards.h"

int copro_board_dt_open(const char *name_or_path, struct copro_log *log,
			struct copro_dt **out)
{
	const struct copro_builtin_board *b;
	struct copro_logdev ld;
	char known[256] = "";
	size_t used = 0;
	int rc;

	*out = NULL;
	if (!name_or_path)
		name_or_path = COPRO_BOARD_DEFAULT;
	for (b = copro_builtin_boards; b->name; b++)
		if (!strcmp(b->name, name_or_path))
			return copro_dt_open(b->dtb, b->size, b->name, log, out);
	if (access(name_or_path, R_OK) == 0)
		return copro_dt_open_file(name_or_path, log, out);

	rc = -errno;
	for (b = copro_builtin_boards; b->name && used < sizeof(known); b++)
		used += (size_t)snprintf(known + used, sizeof(known) - used,
					 "%s%s", used ? ", " : "", b->name);
	copro_logdev_init(&ld, log, "%s", name_or_path);
	copro_dev_err(&ld,
		      "not a built-in board (%s) and not a readable .dtb file: %s",
		      known[0] ? known : "none", copro_strerror(rc));
	return rc;
}

const char *const *copro_board_names(void)
{
	return copro_builtin_board_names;
}
