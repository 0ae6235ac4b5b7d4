/* SPDX-License-Identifier: MIT */
/*
 * SCMI (Arm DEN0056) constants shared by the agent (src/scmi) and the
 * platform model (sim/scmi*): the shared-memory channel layout (hardware.md 5),
 * the message header, protocol and message ids, status codes, and the
 * bit fields of the messages copro implements. Every field is
 * little-endian; every message is a sequence of 32-bit words.
 */
#ifndef COPRO_REGS_SCMI_H
#define COPRO_REGS_SCMI_H

#include <stdint.h>

/* ---- shared-memory channel ("arm,scmi-shmem") ---------------------- */

#define SCMI_SHMEM_RESERVED0 0x00
#define SCMI_SHMEM_STATUS 0x04
#define SCMI_SHMEM_RESERVED1 0x08 /* two words */
#define SCMI_SHMEM_FLAGS 0x10
#define SCMI_SHMEM_LENGTH 0x14 /* 4 (the header) + payload bytes */
#define SCMI_SHMEM_HEADER 0x18
#define SCMI_SHMEM_PAYLOAD 0x1c
/* The smallest area that holds a header and a status word. */
#define SCMI_SHMEM_MIN_SIZE 0x20

#define SCMI_SHMEM_STATUS_FREE (1u << 0)
#define SCMI_SHMEM_STATUS_ERROR (1u << 1)
#define SCMI_SHMEM_FLAGS_INTR (1u << 0) /* ask for a completion interrupt */

/* ---- message header ------------------------------------------------- */

#define SCMI_HDR_MSG_ID_MASK 0xffu
#define SCMI_HDR_TYPE_SHIFT 8
#define SCMI_HDR_TYPE_MASK 0x3u
#define SCMI_HDR_PROTO_SHIFT 10
#define SCMI_HDR_PROTO_MASK 0xffu
#define SCMI_HDR_TOKEN_SHIFT 18
#define SCMI_HDR_TOKEN_MASK 0x3ffu
/* Bits 31:28 are reserved. */
#define SCMI_HDR_RESERVED_MASK 0xf0000000u
#define SCMI_TOKENS 1024u

enum scmi_msg_type {
	SCMI_MSG_COMMAND = 0,
	SCMI_MSG_DELAYED_RESP = 2,
	SCMI_MSG_NOTIFICATION = 3,
};

static inline uint32_t scmi_hdr(unsigned proto, unsigned msg, unsigned type,
				unsigned token)
{
	return (msg & SCMI_HDR_MSG_ID_MASK) |
	       (type & SCMI_HDR_TYPE_MASK) << SCMI_HDR_TYPE_SHIFT |
	       (proto & SCMI_HDR_PROTO_MASK) << SCMI_HDR_PROTO_SHIFT |
	       (token & SCMI_HDR_TOKEN_MASK) << SCMI_HDR_TOKEN_SHIFT;
}

static inline unsigned scmi_hdr_msg(uint32_t h)
{
	return h & SCMI_HDR_MSG_ID_MASK;
}

static inline unsigned scmi_hdr_type(uint32_t h)
{
	return (h >> SCMI_HDR_TYPE_SHIFT) & SCMI_HDR_TYPE_MASK;
}

static inline unsigned scmi_hdr_proto(uint32_t h)
{
	return (h >> SCMI_HDR_PROTO_SHIFT) & SCMI_HDR_PROTO_MASK;
}

static inline unsigned scmi_hdr_token(uint32_t h)
{
	return (h >> SCMI_HDR_TOKEN_SHIFT) & SCMI_HDR_TOKEN_MASK;
}

/* ---- status codes ----------------------------------------------------- */

enum scmi_status {
	SCMI_SUCCESS = 0,
	SCMI_NOT_SUPPORTED = -1,
	SCMI_INVALID_PARAMETERS = -2,
	SCMI_DENIED = -3,
	SCMI_NOT_FOUND = -4,
	SCMI_OUT_OF_RANGE = -5,
	SCMI_BUSY = -6,
	SCMI_COMMS_ERROR = -7,
	SCMI_GENERIC_ERROR = -8,
	SCMI_HARDWARE_ERROR = -9,
	SCMI_PROTOCOL_ERROR = -10,
};
#define SCMI_STATUS_MIN SCMI_PROTOCOL_ERROR

/* ---- protocols --------------------------------------------------------- */

enum scmi_protocol {
	SCMI_PROTO_BASE = 0x10,
	SCMI_PROTO_POWER = 0x11,
	SCMI_PROTO_SYSTEM = 0x12,
	SCMI_PROTO_PERF = 0x13,
	SCMI_PROTO_CLOCK = 0x14,
	SCMI_PROTO_SENSOR = 0x15,
	SCMI_PROTO_RESET = 0x16,
};

/* Every protocol. */
#define SCMI_PROTOCOL_VERSION 0x0
#define SCMI_PROTOCOL_ATTRIBUTES 0x1
#define SCMI_PROTOCOL_MESSAGE_ATTRIBUTES 0x2

/* Versions: major 31:16, minor 15:0. */
#define SCMI_VERSION(major, minor) ((uint32_t)(major) << 16 | (minor))
#define SCMI_VERSION_MAJOR(v) ((v) >> 16)

/* Names in attributes and discovery are 16 bytes, NUL-terminated. */
#define SCMI_NAME_LEN 16

/* Base (0x10), version 2.0. */
#define SCMI_BASE_DISCOVER_VENDOR 0x3
#define SCMI_BASE_DISCOVER_SUB_VENDOR 0x4
#define SCMI_BASE_DISCOVER_IMPL_VERSION 0x5
#define SCMI_BASE_DISCOVER_LIST_PROTOCOLS 0x6
#define SCMI_BASE_DISCOVER_AGENT 0x7
#define SCMI_BASE_NOTIFY_ERRORS 0x8
#define SCMI_BASE_SET_DEVICE_PERMISSIONS 0x9
#define SCMI_BASE_SET_PROTOCOL_PERMISSIONS 0xa
#define SCMI_BASE_RESET_AGENT_CONFIGURATION 0xb
#define SCMI_BASE_MSG_MAX 0xb
#define SCMI_BASE_ATTR_PROTOCOLS(a) ((a) & 0xffu)
#define SCMI_BASE_ATTR_AGENTS(a) (((a) >> 8) & 0xffu)
#define SCMI_BASE_AGENT_SELF 0xffffffffu
#define SCMI_BASE_EVT_ERROR 0x0
#define SCMI_BASE_ERROR_FATAL (1u << 31)
#define SCMI_BASE_ERROR_COUNT(s) ((s) & 0x3ffu)

/* Power domain (0x11), version 2.0. */
#define SCMI_PD_ATTRIBUTES 0x3
#define SCMI_PD_STATE_SET 0x4
#define SCMI_PD_STATE_GET 0x5
#define SCMI_PD_STATE_NOTIFY 0x6
#define SCMI_PD_STATE_CHANGE_REQUESTED_NOTIFY 0x7
#define SCMI_PD_MSG_MAX 0x7
#define SCMI_PD_ATTR_NOTIFY (1u << 31)
#define SCMI_PD_ATTR_ASYNC (1u << 30)
#define SCMI_PD_ATTR_SYNC (1u << 29)
#define SCMI_PD_SET_ASYNC (1u << 0)
#define SCMI_PD_STATE_ON 0x00000000u
#define SCMI_PD_STATE_OFF 0x40000000u /* bit 30: context lost */
#define SCMI_PD_STATE_TYPE (1u << 30)
#define SCMI_PD_STATE_ID_MASK 0x0fffffffu
#define SCMI_PD_STATE_RESERVED 0xb0000000u
#define SCMI_PD_EVT_STATE_CHANGED 0x0

/* System power (0x12), version 2.0. */
#define SCMI_SYS_STATE_SET 0x3
#define SCMI_SYS_STATE_GET 0x4
#define SCMI_SYS_STATE_NOTIFY 0x5
#define SCMI_SYS_MSG_MAX 0x5
#define SCMI_SYS_ATTR_WARM_RESET (1u << 31)
#define SCMI_SYS_ATTR_SUSPEND (1u << 30)
#define SCMI_SYS_SET_GRACEFUL (1u << 0)
#define SCMI_SYS_SHUTDOWN 0u
#define SCMI_SYS_COLD_RESET 1u
#define SCMI_SYS_WARM_RESET 2u
#define SCMI_SYS_POWER_UP 3u
#define SCMI_SYS_SUSPEND 4u
#define SCMI_SYS_EVT_NOTIFIER 0x0

/* Performance (0x13), version 3.0. */
#define SCMI_PERF_DOMAIN_ATTRIBUTES 0x3
#define SCMI_PERF_DESCRIBE_LEVELS 0x4
#define SCMI_PERF_LIMITS_SET 0x5
#define SCMI_PERF_LIMITS_GET 0x6
#define SCMI_PERF_LEVEL_SET 0x7
#define SCMI_PERF_LEVEL_GET 0x8
#define SCMI_PERF_NOTIFY_LIMITS 0x9
#define SCMI_PERF_NOTIFY_LEVEL 0xa
#define SCMI_PERF_DESCRIBE_FASTCHANNEL 0xb
#define SCMI_PERF_DOMAIN_NAME_GET 0xc
#define SCMI_PERF_MSG_MAX 0xc
#define SCMI_PERF_ATTR_POWER_MW (1u << 16)
#define SCMI_PERF_DOM_SET_LIMITS (1u << 31)
#define SCMI_PERF_DOM_SET_LEVEL (1u << 30)
#define SCMI_PERF_DOM_LIMITS_NOTIFY (1u << 29)
#define SCMI_PERF_DOM_LEVEL_NOTIFY (1u << 28)
#define SCMI_PERF_DOM_FASTCHANNELS (1u << 27)
#define SCMI_PERF_DOM_EXT_NAME (1u << 26)
#define SCMI_PERF_EVT_LIMITS_CHANGED 0x0
#define SCMI_PERF_EVT_LEVEL_CHANGED 0x1
/* DESCRIBE_LEVELS: returned 15:0, remaining 31:16; a level is 3 words. */
#define SCMI_PERF_LEVEL_WORDS 3

/* Clock (0x14), version 2.0. */
#define SCMI_CLOCK_ATTRIBUTES 0x3
#define SCMI_CLOCK_DESCRIBE_RATES 0x4
#define SCMI_CLOCK_RATE_SET 0x5
#define SCMI_CLOCK_RATE_GET 0x6
#define SCMI_CLOCK_CONFIG_SET 0x7
#define SCMI_CLOCK_NAME_GET 0x8
#define SCMI_CLOCK_RATE_NOTIFY 0x9
#define SCMI_CLOCK_RATE_CHANGE_REQUESTED_NOTIFY 0xa
#define SCMI_CLOCK_MSG_MAX 0xa
#define SCMI_CLOCK_PATTR_CLOCKS(a) ((a) & 0xffffu)
#define SCMI_CLOCK_PATTR_MAX_ASYNC(a) (((a) >> 16) & 0xffu)
#define SCMI_CLOCK_ATTR_RATE_NOTIFY (1u << 31)
#define SCMI_CLOCK_ATTR_RATE_REQ_NOTIFY (1u << 30)
#define SCMI_CLOCK_ATTR_EXT_NAME (1u << 29)
#define SCMI_CLOCK_ATTR_ENABLED (1u << 0)
#define SCMI_CLOCK_RATES_RETURNED(f) ((f) & 0xfffu)
#define SCMI_CLOCK_RATES_RANGE (1u << 12)
#define SCMI_CLOCK_RATES_REMAINING(f) ((f) >> 16)
#define SCMI_CLOCK_RATES_RESERVED 0x0000e000u
#define SCMI_CLOCK_SET_ASYNC (1u << 0)
#define SCMI_CLOCK_SET_IGNORE_DELAYED (1u << 1)
#define SCMI_CLOCK_SET_ROUND_UP (1u << 2)
#define SCMI_CLOCK_SET_ROUND_AUTO (1u << 3)
#define SCMI_CLOCK_SET_RESERVED 0xfffffff0u
#define SCMI_CLOCK_CONFIG_ENABLE (1u << 0)
#define SCMI_CLOCK_CONFIG_RESERVED 0xfffffffeu
#define SCMI_CLOCK_EVT_RATE_CHANGED 0x0
#define SCMI_CLOCK_EVT_RATE_CHANGE_REQUESTED 0x1

/* Sensor (0x15), version 1.0. */
#define SCMI_SENSOR_DESCRIPTION_GET 0x3
#define SCMI_SENSOR_TRIP_POINT_NOTIFY 0x4
#define SCMI_SENSOR_TRIP_POINT_CONFIG 0x5
#define SCMI_SENSOR_READING_GET 0x6
#define SCMI_SENSOR_MSG_MAX 0x6
#define SCMI_SENSOR_PATTR_SENSORS(a) ((a) & 0xffffu)
#define SCMI_SENSOR_PATTR_MAX_ASYNC(a) (((a) >> 16) & 0xffu)
/* A v1.0 descriptor: id, attributes low, attributes high, name[16]. */
#define SCMI_SENSOR_DESC_SIZE 28
#define SCMI_SENSOR_ATTRL_ASYNC (1u << 31)
#define SCMI_SENSOR_ATTRL_TRIPS(a) ((a) & 0xffu)
#define SCMI_SENSOR_ATTRL_RESERVED 0x7fffff00u
#define SCMI_SENSOR_ATTRH_TYPE(a) ((a) & 0xffu)
#define SCMI_SENSOR_ATTRH_SCALE(a) (((a) >> 11) & 0x1fu) /* signed 5 bits */
#define SCMI_SENSOR_ATTRH_UPDATE_SCALE(a) (((a) >> 22) & 0x1fu)
#define SCMI_SENSOR_ATTRH_UPDATE_BASE(a) (((a) >> 27) & 0x1fu)
#define SCMI_SENSOR_ATTRH_RESERVED 0x003f0700u
#define SCMI_SENSOR_READ_ASYNC (1u << 0)
#define SCMI_SENSOR_EVT_TRIP_POINT 0x0
/* Sensor types (a subset of the specification's table). */
#define SCMI_SENSOR_TYPE_NONE 0
#define SCMI_SENSOR_TYPE_DEG_C 2
#define SCMI_SENSOR_TYPE_VOLTS 5
#define SCMI_SENSOR_TYPE_AMPS 6
#define SCMI_SENSOR_TYPE_WATTS 7

/* Reset (0x16), version 1.0. */
#define SCMI_RESET_DOMAIN_ATTRIBUTES 0x3
#define SCMI_RESET_RESET 0x4
#define SCMI_RESET_NOTIFY 0x5
#define SCMI_RESET_MSG_MAX 0x5
#define SCMI_RESET_ATTR_ASYNC (1u << 31)
#define SCMI_RESET_ATTR_NOTIFY (1u << 30)
#define SCMI_RESET_AUTONOMOUS (1u << 0)
#define SCMI_RESET_EXPLICIT_ASSERT (1u << 1)
#define SCMI_RESET_ASYNC (1u << 2)
#define SCMI_RESET_FLAGS_RESERVED 0xfffffff8u
#define SCMI_RESET_STATE_VENDOR (1u << 31)
#define SCMI_RESET_STATE_COLD 0u
#define SCMI_RESET_LATENCY_UNKNOWN 0xffffffffu
#define SCMI_RESET_EVT_ISSUED 0x0

/* NOTIFY commands: notify_enable bit 0, the rest reserved. */
#define SCMI_NOTIFY_ENABLE (1u << 0)
#define SCMI_NOTIFY_RESERVED 0xfffffffeu

#endif
