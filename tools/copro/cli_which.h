/* SPDX-License-Identifier: MIT */
/*
 * Finding a program in $PATH, as the shell would: for copro serve's
 * nbdkit and the benchmarks' fio and nbdkit.
 */
#ifndef COPRO_CLI_WHICH_H
#define COPRO_CLI_WHICH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The first executable `name` in $PATH (or, with no $PATH, in
 * /usr/local/bin, /usr/bin and /bin), into buf; false when none, or when
 * its path does not fit in len bytes. An empty entry of $PATH means the
 * current directory.
 */
bool cli_which(const char *name, char *buf, size_t len);

#endif
