/* SPDX-License-Identifier: MIT */
/*
 * COPRO_API marks what the shared libraries export. Everything else in
 * libcopro and libcopro-sim is built with hidden visibility, so their
 * internal names never reach (or collide with) an embedder's program.
 */
#ifndef COPRO_EXPORT_H
#define COPRO_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define COPRO_API __attribute__((visibility("default")))
#else
#define COPRO_API
#endif

#endif
