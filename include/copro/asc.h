/* SPDX-License-Identifier: MIT */
/*
 * The Apple ASC mailbox host driver: a CREDIT-mode mailbox controller
 * with one bidirectional channel (#mbox-cells = <0>) whose messages are
 * struct copro_asc_msg.
 */
#ifndef COPRO_ASC_H
#define COPRO_ASC_H

#include <stdint.h>

#include <copro/dt.h>
#include <copro/export.h>
#include <copro/mbox.h>
#include <copro/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One 96-bit mailbox message. RTKit puts the endpoint in msg1 7:0. */
struct copro_asc_msg {
	uint64_t msg0;
	uint32_t msg1;
};

struct copro_asc;

/*
 * Probe a mailbox node in one of the layouts Linux drives: ASC v4
 * ("apple,asc-mailbox-v4", or copro's older "apple,asc-mailbox"), the
 * A11's ASC ("apple,t8015-asc-mailbox") or M3 ("apple,m3-mailbox-v2"):
 * map its reg, request "recv-not-empty" and "send-empty", and register
 * the controller under the node and, for run-time binding, under the
 * node's name ("mbox@277408000").
 */
COPRO_API int copro_asc_probe(struct copro_platform *p, int node,
			      struct copro_asc **out);
/*
 * -EBUSY (logged; nothing changes, the mailbox keeps working) while a
 * client has its channel bound.
 */
COPRO_API int copro_asc_remove(struct copro_asc *asc);
COPRO_API struct copro_mbox_controller *
copro_asc_controller(struct copro_asc *asc);
/*
 * The next enabled node after `from` (-1: the first) that the driver
 * binds to, in devicetree order, or -ENOENT.
 */
COPRO_API int copro_asc_next(const struct copro_dt *dt, int from);

/* The compatibles the driver binds to. */
#define COPRO_ASC_COMPATIBLE "apple,asc-mailbox"
#define COPRO_ASC_COMPATIBLE_V4 "apple,asc-mailbox-v4"
#define COPRO_ASC_COMPATIBLE_T8015 "apple,t8015-asc-mailbox"
#define COPRO_ASC_COMPATIBLE_M3 "apple,m3-mailbox-v2"

/* The driver table for the probe-all pass (<copro/devices.h>). */
struct copro_driver;
COPRO_API const struct copro_driver *copro_asc_driver(void);

#ifdef __cplusplus
}
#endif
#endif
