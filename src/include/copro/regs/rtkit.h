/* SPDX-License-Identifier: MIT */
/*
 * RTKit message layouts (hardware.md 2.1 - 2.7), shared by the host library and
 * the firmware model. A message is (endpoint, 64-bit payload); the
 * endpoint travels in the ASC message's msg1 7:0, the payload in msg0.
 */
#ifndef COPRO_REGS_RTKIT_H
#define COPRO_REGS_RTKIT_H

#include <stdint.h>

#define RTK_FIELD(msg, hi, lo)                                               \
	(((uint64_t)(msg) >> (lo)) & ((((uint64_t)1) << ((hi) - (lo) + 1)) - 1))
#define RTK_MAKE(val, hi, lo)                                                \
	((((uint64_t)(val)) & ((((uint64_t)1) << ((hi) - (lo) + 1)) - 1)) << (lo))

#define RTK_ASC_EP_MASK 0xffu /* msg1 7:0 */

/* Management endpoint: type in 59:52. */
#define RTK_MGMT_TYPE(m) RTK_FIELD(m, 59, 52)
#define RTK_MGMT_TYPE_MAKE(t) RTK_MAKE(t, 59, 52)
#define RTK_MGMT_HELLO 1
#define RTK_MGMT_HELLO_REPLY 2
#define RTK_MGMT_STARTEP 5
#define RTK_MGMT_SET_IOP_PWR_STATE 6
#define RTK_MGMT_SET_IOP_PWR_STATE_ACK 7
#define RTK_MGMT_EPMAP 8
#define RTK_MGMT_SET_AP_PWR_STATE 0xb

#define RTK_HELLO_MIN(m) RTK_FIELD(m, 15, 0)
#define RTK_HELLO_MAX(m) RTK_FIELD(m, 31, 16)
#define RTK_HELLO_MAKE(min, max) (RTK_MAKE(min, 15, 0) | RTK_MAKE(max, 31, 16))

#define RTK_STARTEP_EP(m) RTK_FIELD(m, 39, 32)
#define RTK_STARTEP_MAKE(ep) (RTK_MAKE(ep, 39, 32) | RTK_MAKE(1, 1, 1))
#define RTK_STARTEP_FLAG (1ull << 1)

#define RTK_PWR_STATE(m) RTK_FIELD(m, 15, 0)
#define RTK_PWR_STATE_MAKE(s) RTK_MAKE(s, 15, 0)

#define RTK_EPMAP_BITMAP(m) RTK_FIELD(m, 31, 0)
#define RTK_EPMAP_BASE(m) RTK_FIELD(m, 34, 32)
#define RTK_EPMAP_BASE_MAKE(b) RTK_MAKE(b, 34, 32)
#define RTK_EPMAP_LAST (1ull << 51)
#define RTK_EPMAP_MORE (1ull << 0) /* in the reply when not LAST */

/* Buffer requests of crashlog, syslog, ioreport (hardware.md 2.3). */
#define RTK_EP_TYPE(m) RTK_FIELD(m, 59, 52)
#define RTK_EP_TYPE_MAKE(t) RTK_MAKE(t, 59, 52)
#define RTK_BUFFER_REQUEST 1
#define RTK_BUF_SIZE(m) RTK_FIELD(m, 51, 44) /* 4 KiB pages */
#define RTK_BUF_SIZE_MAKE(pages) RTK_MAKE(pages, 51, 44)
#define RTK_BUF_IOVA(m) RTK_FIELD(m, 43, 0)
#define RTK_BUF_IOVA_MAKE(iova) RTK_MAKE(iova, 43, 0)
#define RTK_PAGE_SIZE 4096u

/* Crashlog endpoint: type 1 is the request, then "crashed". */
#define RTK_CRASHLOG_CRASH 1

/* Syslog endpoint. */
#define RTK_SYSLOG_INIT 8
#define RTK_SYSLOG_LOG 5
#define RTK_SYSLOG_N_ENTRIES(m) RTK_FIELD(m, 7, 0)
#define RTK_SYSLOG_MSG_SIZE(m) RTK_FIELD(m, 31, 24)
#define RTK_SYSLOG_INIT_MAKE(n, size)                                        \
	(RTK_MAKE(n, 7, 0) | RTK_MAKE(size, 31, 24))
#define RTK_SYSLOG_INDEX(m) RTK_FIELD(m, 7, 0)
#define RTK_SYSLOG_ENTRY_HDR 0x20u    /* stride = 0x20 + msg_size */
#define RTK_SYSLOG_CONTEXT_OFF 8u
#define RTK_SYSLOG_CONTEXT_SIZE 24u
#define RTK_SYSLOG_TEXT_OFF 0x20u

/* IOReport endpoint: these types must be echoed. */
#define RTK_IOREPORT_UNKNOWN1 8
#define RTK_IOREPORT_UNKNOWN2 0xc

/* OSLog endpoint: type in 63:56. */
#define RTK_OSLOG_TYPE(m) RTK_FIELD(m, 63, 56)
#define RTK_OSLOG_TYPE_MAKE(t) RTK_MAKE(t, 63, 56)
#define RTK_OSLOG_INIT 1 /* old: INIT; new: buffer request */
#define RTK_OSLOG_ACK 3
#define RTK_OSLOG_SIZE(m) RTK_FIELD(m, 55, 36)	/* bytes */
#define RTK_OSLOG_SIZE_MAKE(s) RTK_MAKE(s, 55, 36)
#define RTK_OSLOG_IOVA(m) RTK_FIELD(m, 35, 0)	/* IOVA >> 12 */
#define RTK_OSLOG_IOVA_MAKE(pfn) RTK_MAKE(pfn, 35, 0)

#endif
