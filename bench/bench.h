/* SPDX-License-Identifier: MIT */
/* Benchmarks, run as `copro bench NAME`. */
#ifndef COPRO_BENCH_H
#define COPRO_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct bench_samples;

int bench_mbox_main(int argc, char **argv);
void bench_mbox_usage(FILE *out);
/*
 * ASC mailbox round trips through the echo firmware, polled host or
 * interrupt thread with a spinning waiter (the fastest each mode gets).
 */
int bench_mbox_rtt(const char *board, bool polled, uint64_t rounds,
		   struct bench_samples *rtt);
int bench_boot_main(int argc, char **argv);
void bench_boot_usage(FILE *out);
int bench_nvme_main(int argc, char **argv);
void bench_nvme_usage(FILE *out);
int bench_scmi_main(int argc, char **argv);
void bench_scmi_usage(FILE *out);
int bench_msgq_main(int argc, char **argv);
void bench_msgq_usage(FILE *out);
int bench_nbd_main(int argc, char **argv);
void bench_nbd_usage(FILE *out);

#endif
