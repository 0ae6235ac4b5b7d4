/* SPDX-License-Identifier: MIT */
/*
 * A --board argument: a built-in board's name, a .dtb file, or
 * devicetree source (a .dts file, or any file starting "/dts-v1/"),
 * which is compiled with dtc into memory. Without dtc the source is
 * refused with the command that compiles it.
 */
#ifndef COPRO_BOARD_FILE_H
#define COPRO_BOARD_FILE_H

#include <stdbool.h>
#include <stddef.h>

struct board_file {
	void *dtb;	/* compiled source; NULL: use the name or path as is */
	size_t len;
};

#define BOARD_FILE_ERR 1024

/* 0, or a negative errno with the reason (naming the file) in err. */
int board_file_load(const char *arg, struct board_file *out, char *err,
		    size_t errlen);
void board_file_free(struct board_file *b);

struct copro_board;
struct copro_board_config;

/*
 * copro_board_create() on cfg with cfg->board taken as a --board
 * argument (a name, a .dtb or devicetree source); errors go to cfg->log.
 * cfg->dtb is set for the call only.
 */
int board_file_create(struct copro_board_config *cfg,
		      struct copro_board **out);

/* Does the file look like devicetree source? (Name or first bytes.) */
bool board_file_is_source(const char *path);

#endif
