/* SPDX-License-Identifier: MIT */
/*
 * An emulated board: a devicetree, the platform built from it, and a
 * device model for every enabled node the simulator knows. Two boards
 * can live in one process.
 */
#ifndef COPRO_SIM_BOARD_H
#define COPRO_SIM_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/dt.h>
#include <copro/log.h>
#include <copro/platform.h>
#include <copro/sim/ans2_model.h>
#include <copro/sim/bus.h>
#include <copro/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_board;
struct copro_sim_asc;
struct copro_sim_rtkit;
struct copro_sim_sart;
struct copro_sim_ans2;
struct copro_sim_scmi;
struct copro_sim_smccc;

/* The built-in board used when none is named. */
#define COPRO_BOARD_DEFAULT "t8103"

/*
 * A built-in board's devicetree by name ("t8103"), else a .dtb file path.
 * NULL: COPRO_BOARD_DEFAULT.
 */
COPRO_API int copro_board_dt_open(const char *name_or_path,
				  struct copro_log *log, struct copro_dt **out);
/* The built-in boards' names, NULL-terminated. */
COPRO_API const char *const *copro_board_names(void);

struct copro_board_config {
	/* Built-in board name or .dtb path; NULL: COPRO_BOARD_DEFAULT. */
	const char *board;
	/*
	 * Or a devicetree blob in memory (copied, and checked like a file):
	 * when set, `board` only names it in messages.
	 */
	const void *dtb;
	size_t dtb_size;
	struct copro_log *log; /* NULL: stderr, warnings and errors */
	bool threaded;	       /* see struct copro_bus_config */
	uint64_t irq_spin_ns;
	/* The ANS2 NVMe model's namespace (struct copro_sim_ans2_config). */
	const char *disk_path;	/* NULL: an anonymous temporary file */
	uint64_t disk_size;	/* bytes; 0: the file's size (or 64 MiB new) */
	bool slow_flush;
	bool ans2_workers_only;	/* copro_sim_ans2_config.workers_only */
	unsigned ans2_workers;	/* copro_sim_ans2_config.workers */
	bool disk_read_only;	/* the namespace is write protected */
	bool disk_unmapped;	/* copro_sim_ans2_config.unmapped */
	enum copro_sim_ans2_map_writes disk_map_writes; /* .map_writes */
	/*
	 * Coprocessors get their firmware model but not the hardware its
	 * application side drives (no ANS2 controller model): for tests
	 * that create and own that model themselves.
	 */
	bool firmware_only;
	/*
	 * Record everything the board's drivers do (<copro/trace.h>): the
	 * platform goes over a tracer writing this file, which is complete
	 * once the board is destroyed. NULL: no recording.
	 */
	const char *record_path;
	size_t record_buffer; /* per-thread buffer bytes (0: default) */
};

COPRO_API int copro_board_create(const struct copro_board_config *cfg,
				 struct copro_board **out);
/* Stops every model; drivers must have been removed first. */
COPRO_API void copro_board_destroy(struct copro_board *b);

COPRO_API struct copro_platform
*copro_board_platform(const struct copro_board *b);
/* The emulated machine the board's models sit on. */
COPRO_API struct copro_bus *copro_board_bus(const struct copro_board *b);
/* The tracer recording the board (record_path), or NULL. */
COPRO_API struct copro_trace *copro_board_trace(const struct copro_board *b);
COPRO_API const struct copro_dt *copro_board_dt(const struct copro_board *b);

/*
 * The ASC model of an "apple,asc-mailbox" node (NULL if none). Every ASC
 * model starts with the echo firmware until another is set.
 */
COPRO_API struct copro_sim_asc *copro_board_asc(const struct copro_board *b,
						int node);
/* The first ASC model on the board (NULL if none). */
COPRO_API struct copro_sim_asc
*copro_board_first_asc(const struct copro_board *b);

/* The SART model of a SART node (NULL if none). */
COPRO_API struct copro_sim_sart *copro_board_sart(const struct copro_board *b,
						  int node);
/*
 * The RTKit firmware model running on the ASC an "apple,nvme-ans2" node's
 * mailbox points at (NULL if none), and the ANS2 model of that node.
 */
COPRO_API struct copro_sim_rtkit *copro_board_rtkit(const struct copro_board *b,
						    int nvme_node);
COPRO_API struct copro_sim_ans2 *copro_board_ans2(const struct copro_board *b,
						  int nvme_node);
/* The Gunyah hypervisor model of a "gunyah" board (NULL if none). */
struct copro_sim_hyp;
COPRO_API struct copro_sim_hyp *copro_board_hyp(const struct copro_board *b);
/* The first ANS2 NVMe node ("apple,nvme-ans2" or the A11's
 * "apple,t8015-nvme-ans2"), or -ENOENT. */
COPRO_API int copro_board_nvme_node(const struct copro_board *b);

/*
 * The SCMI platform of the board's first "copro,scmi-platform" node (NULL
 * if none), and the firmware answering a conduit's calls (NULL if the
 * board has none: such calls answer NOT_SUPPORTED).
 */
COPRO_API struct copro_sim_scmi *copro_board_scmi(const struct copro_board *b);
COPRO_API struct copro_sim_smccc *copro_board_smccc(const struct copro_board *b,
						    enum copro_conduit conduit);

#ifdef __cplusplus
}
#endif
#endif
