/* SPDX-License-Identifier: MIT */
/* Benchmarks, run as `copro bench NAME`. */
#ifndef COPRO_BENCH_H
#define COPRO_BENCH_H

#include <stdio.h>

int bench_mbox_main(int argc, char **argv);
void bench_mbox_usage(FILE *out);

#endif
