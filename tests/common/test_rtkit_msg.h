/* SPDX-License-Identifier: MIT */
/*
 * RTKit messages as the firmware-model tests write them: management
 * messages, buffer requests, power states by their short names, and a
 * look into an endpoint bitmap.
 */
#ifndef TEST_RTKIT_MSG_H
#define TEST_RTKIT_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/regs/rtkit.h>

#define MGMT(t, v) (RTK_MGMT_TYPE_MAKE(t) | (v))
#define IOP_ACK(s) MGMT(RTK_MGMT_SET_IOP_PWR_STATE_ACK, RTK_PWR_STATE_MAKE(s))
#define SET_IOP(s) MGMT(RTK_MGMT_SET_IOP_PWR_STATE, RTK_PWR_STATE_MAKE(s))
#define SET_AP(s) MGMT(RTK_MGMT_SET_AP_PWR_STATE, RTK_PWR_STATE_MAKE(s))
/* The AP state's ACK has the request's type. */
#define AP_ACK(s) SET_AP(s)
/* A system endpoint's message: type in 59:52. */
#define SYS(t, v) (RTK_EP_TYPE_MAKE(t) | (uint64_t)(v))
#define STARTEP(ep) MGMT(RTK_MGMT_STARTEP, RTK_STARTEP_MAKE(ep))
#define BUFREQ(pages, iova)                                                  \
	(RTK_EP_TYPE_MAKE(RTK_BUFFER_REQUEST) | RTK_BUF_SIZE_MAKE(pages) |   \
	 RTK_BUF_IOVA_MAKE(iova))

enum { OFF = 0, SLEEP = 1, QUIESCED = 0x10, ON = 0x20, IDLE = 0x201,
       INIT = 0x220 };

/* Bit `ep` of an endpoint bitmap (EPMAP, started endpoints). */
static inline bool has(const uint8_t *map, unsigned ep)
{
	return map[ep / 8] & (1u << (ep % 8));
}

#endif
