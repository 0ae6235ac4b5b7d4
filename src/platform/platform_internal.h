/* SPDX-License-Identifier: MIT */
/*
 * The platform front end's state, shared by platform.c, mmio.c, irq.c
 * and resets.c. The machine itself is the backend's (<copro/driver/backend.h>);
 * the front end holds what every backend needs alike: devicetree lookups,
 * handles, power reference counts and the provider table.
 */
#ifndef COPRO_PLATFORM_INTERNAL_H
#define COPRO_PLATFORM_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/driver/backend.h>
#include <copro/driver/platform.h>
#include <copro/error.h>
#include <copro/grow.h>
#include <copro/log.h>
#include <copro/os.h>

/*
 * Every handle a driver holds (mapping, line, reset, power domain) is on
 * the platform's list, so destroy can report and release what leaked.
 */
enum plat_handle_kind { PH_MMIO, PH_IRQ, PH_RESET, PH_POWER };

struct plat_handle {
	struct plat_handle *prev, *next;
	enum plat_handle_kind kind;
};

/* What an accessor needs, in one place: no lookup, no lock. */
struct copro_mmio {
	struct plat_handle h; /* first: the list frees handles through it */
	struct copro_mmio_window w;
	/* Plain memory (w.mem): the word at offset 0 of the mapping. */
	_Atomic uint32_t *mem;
	uint64_t phys, size;
	struct copro_platform *p;
};

struct copro_irq {
	struct plat_handle h; /* first */
	struct copro_platform *p;
	void *cookie;
	unsigned line;
	char name[48];
};

/* A reset line or power domain: (provider node, argument cell). */
struct pr_line {
	int node;
	uint32_t arg;
	unsigned power_refs;
};

struct provider {
	const char *kind;
	int node;	/* -1: none */
	char *name;	/* NULL: none */
	void *ptr;
	unsigned refs;
};

struct copro_platform {
	const struct copro_dt *dt;
	struct copro_logdev ld; /* prefix: the board's name */
	const struct copro_backend_ops *ops;
	void *be;
	bool threaded;

	struct copro_mutex pr_lock; /* the power counts and the handles */
	struct pr_line *lines;
	size_t nlines, caplines;
	struct plat_handle handles; /* list head of live handles */

	struct copro_mutex prov_lock;
	struct provider *prov;
	size_t nprov, capprov;
};

/* Handle bookkeeping, under pr_lock. */
void copro_plat_handle_add(struct copro_platform *p, struct plat_handle *h,
			   enum plat_handle_kind kind);
void copro_plat_handle_del(struct copro_platform *p, struct plat_handle *h);
/* Reports and releases every handle still held; frees the power counts. */
void copro_plat_handles_fini(struct copro_platform *p);

/* Reports the providers still registered and frees the table. */
void copro_plat_providers_fini(struct copro_platform *p);

#endif
