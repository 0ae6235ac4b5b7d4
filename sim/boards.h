/* SPDX-License-Identifier: MIT */
/* The boards compiled into libcopro-sim (generated from boards/ at build time). */
#ifndef COPRO_SIM_BOARDS_H
#define COPRO_SIM_BOARDS_H

#include <stddef.h>

struct copro_builtin_board {
	const char *name;
	const unsigned char *dtb;
	size_t size;
};

/* Terminated by an entry with a NULL name. */
extern const struct copro_builtin_board copro_builtin_boards[];
/* The same boards' names, NULL-terminated. */
extern const char *const copro_builtin_board_names[];

#endif
