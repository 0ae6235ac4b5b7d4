/* SPDX-License-Identifier: MIT */
/*
 * Growing an array by doubling: the one helper behind the platform's and
 * the bus's tables, the trace reader's arrays and those of its Chrome
 * export. Internal.
 */
#ifndef COPRO_GROW_H
#define COPRO_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Makes *v (*cap elements of `elem` bytes, n of them used) hold n + 1:
 * 0, or -ENOMEM with *v and *cap untouched (as when the size would
 * overflow).
 */
static inline int copro_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap <= n || !elem || ncap > SIZE_MAX / elem)
		return -ENOMEM;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

#endif
