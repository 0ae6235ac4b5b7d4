/* SPDX-License-Identifier: MIT */
/*
 * The Gunyah hypervisor's guest ABI (hardware.md 6): hypercall numbers,
 * error codes, message queue and doorbell calls, and the resource
 * manager's RPC constants. Shared by the host-side drivers and the
 * hypervisor model; no state here.
 *
 * Numbering: Linux issues Gunyah calls as HVC fast SMC64 calls of the
 * vendor-hypervisor owner (6) with function number 0x8000 + the call
 * number of the hypervisor's API (whose own HVC immediates are
 * 0x6000 + n). copro uses the Linux form: x0 = COPRO_GH_FN(n).
 */
#ifndef COPRO_GUNYAH_H
#define COPRO_GUNYAH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>

#include <copro/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COPRO_GH_OWNER 6 /* SMCCC vendor hypervisor service */
#define COPRO_GH_FN(n) (0xc6000000u | (0x8000u + (n)))

/* Call numbers (the hypervisor's API document). */
enum {
	COPRO_GH_CALL_IDENTIFY = 0x00,
	COPRO_GH_CALL_BELL_BIND = 0x10,
	COPRO_GH_CALL_BELL_UNBIND = 0x11,
	COPRO_GH_CALL_BELL_SEND = 0x12,
	COPRO_GH_CALL_BELL_RECV = 0x13,
	COPRO_GH_CALL_BELL_RESET = 0x14,
	COPRO_GH_CALL_BELL_MASK = 0x15,
	COPRO_GH_CALL_MSGQ_BIND_SEND = 0x17,
	COPRO_GH_CALL_MSGQ_BIND_RECV = 0x18,
	COPRO_GH_CALL_MSGQ_UNBIND_SEND = 0x19,
	COPRO_GH_CALL_MSGQ_UNBIND_RECV = 0x1a,
	COPRO_GH_CALL_MSGQ_SEND = 0x1b,
	COPRO_GH_CALL_MSGQ_RECV = 0x1c,
	COPRO_GH_CALL_MSGQ_FLUSH = 0x1d,
	COPRO_GH_CALL_MSGQ_CONF_SEND = 0x1f,
	COPRO_GH_CALL_MSGQ_CONF_RECV = 0x20,
	COPRO_GH_CALL_MSGQ_CONFIGURE = 0x21,
};

/* Hypercall results (x0). */
enum copro_gh_error {
	COPRO_GH_OK = 0,
	COPRO_GH_UNIMPLEMENTED = -1,
	COPRO_GH_RETRY = -2,
	COPRO_GH_ARG_INVAL = 1,
	COPRO_GH_ARG_SIZE = 2,
	COPRO_GH_ARG_ALIGN = 3,
	COPRO_GH_NOMEM = 10,
	COPRO_GH_ADDR_OVFL = 20,
	COPRO_GH_ADDR_UNFL = 21,
	COPRO_GH_ADDR_INVAL = 22,
	COPRO_GH_DENIED = 30,
	COPRO_GH_BUSY = 31,
	COPRO_GH_IDLE = 32,
	COPRO_GH_IRQ_BOUND = 40,
	COPRO_GH_IRQ_UNBOUND = 41,
	COPRO_GH_CSPACE_CAP_NULL = 50,
	COPRO_GH_CSPACE_CAP_REVOKED = 51,
	COPRO_GH_CSPACE_WRONG_OBJ_TYPE = 52,
	COPRO_GH_CSPACE_INSUF_RIGHTS = 53,
	COPRO_GH_CSPACE_FULL = 54,
	COPRO_GH_MSGQUEUE_EMPTY = 60,
	COPRO_GH_MSGQUEUE_FULL = 61,
	/* copro's own, never from a hypervisor: its answer was malformed. */
	COPRO_GH_BAD_RESULT = -100,
};
COPRO_API const char *copro_gh_error_name(int64_t err);
/*
 * A hypercall result as a negative errno: a capability that is null or
 * revoked is -ENODEV (the object is gone: Linux says -EACCES), wrong type
 * or rights -EACCES, FULL/EMPTY -EAGAIN, sizes -EMSGSIZE, unimplemented
 * -EOPNOTSUPP, anything unknown -EPROTO.
 */
COPRO_API int copro_gh_errno(int64_t err);

/* Message queues. */
#define COPRO_GH_MSGQ_MAX_DEPTH 256    /* depth must be below */
#define COPRO_GH_MSGQ_MAX_MSG_SIZE 1024 /* size must be below */
#define COPRO_GH_MSGQ_SEND_PUSH (1u << 0)
#define COPRO_GH_MSGQ_UNCHANGED 0xffffffffu /* threshold or delay */
#define COPRO_GH_MSGQ_THRESHOLD_MAX 0xfffffffeu
/* create_info: depth 15:0, maximum message size 31:16. */
#define COPRO_GH_MSGQ_INFO(depth, size)                                      \
	((uint64_t)(depth) | ((uint64_t)(size) << 16))

/* hypervisor_identify: x0 API info, x1..x3 feature flags. */
#define COPRO_GH_API_VERSION_MASK 0x3fffull
#define COPRO_GH_API_64BIT (1ull << 15)
#define COPRO_GH_API_V1 1
#define COPRO_GH_FLAGS0_DOORBELL (1ull << 1)
#define COPRO_GH_FLAGS0_MSGQUEUE (1ull << 2)

/* Resource types of VM_GET_HYP_RESOURCES. */
enum copro_gh_rsc_type {
	COPRO_GH_RSC_BELL_TX = 0,
	COPRO_GH_RSC_BELL_RX = 1,
	COPRO_GH_RSC_MSGQ_TX = 2,
	COPRO_GH_RSC_MSGQ_RX = 3,
	COPRO_GH_RSC_VCPU = 4,
};
#define COPRO_GH_VIRQ_NONE 0xffffffffu

/* One resource as the RM describes it (decoded from the wire). */
struct copro_gh_resource {
	enum copro_gh_rsc_type type;
	uint16_t partner_vmid;
	uint32_t label;
	uint64_t capid;
	uint32_t virq; /* COPRO_GH_VIRQ_NONE: no interrupt */
};

/* ---- hypercalls (host side, through copro_fw_call) ------------------- */

/*
 * Each returns the hypervisor's result (enum copro_gh_error, 0 on
 * success). A platform without an HVC conduit, or without a hypervisor
 * behind it, answers UNIMPLEMENTED (SMCCC NOT_SUPPORTED is the same -1).
 * Outputs are written only on success.
 */
struct copro_gh_identity {
	uint64_t api_info, flags[3];
};
COPRO_API int64_t copro_gh_identify(struct copro_platform *p,
				    struct copro_gh_identity *out);
COPRO_API int64_t copro_gh_msgq_send(struct copro_platform *p, uint64_t capid,
				     const void *msg, size_t size, uint32_t flags,
				     bool *not_full);
COPRO_API int64_t copro_gh_msgq_recv(struct copro_platform *p, uint64_t capid,
				     void *buf, size_t max, size_t *size,
				     bool *not_empty);
COPRO_API int64_t copro_gh_msgq_flush(struct copro_platform *p, uint64_t capid);
COPRO_API int64_t copro_gh_msgq_configure_send(struct copro_platform *p, uint64_t capid,
					       uint32_t not_full_thres,
					       uint32_t not_full_delay);
COPRO_API int64_t copro_gh_msgq_configure_recv(struct copro_platform *p, uint64_t capid,
					       uint32_t not_empty_thres,
					       uint32_t not_empty_delay);
COPRO_API int64_t copro_gh_bell_send(struct copro_platform *p, uint64_t capid,
				     uint64_t flags, uint64_t *old);
COPRO_API int64_t copro_gh_bell_recv(struct copro_platform *p, uint64_t capid,
				     uint64_t clear, uint64_t *old);
COPRO_API int64_t copro_gh_bell_mask(struct copro_platform *p, uint64_t capid,
				     uint64_t enable, uint64_t ack);
COPRO_API int64_t copro_gh_bell_reset(struct copro_platform *p, uint64_t capid);

/* ---- resource manager RPC ------------------------------------------- */

/* Header: api, type, seq (le16), message id (le32); replies add a le32 error. */
#define COPRO_RM_HDR_SIZE 8
#define COPRO_RM_REPLY_HDR_SIZE 12
#define COPRO_RM_API 0x21 /* version 1 in 3:0, header words (2) in 7:4 */
#define COPRO_RM_TYPE_MASK 0x3
#define COPRO_RM_FRAGS_SHIFT 2 /* continuation fragments in 7:2 */
enum copro_rm_type {
	COPRO_RM_CONTINUATION = 0,
	COPRO_RM_REQUEST = 1,
	COPRO_RM_REPLY = 2,
	COPRO_RM_NOTIF = 3,
};
#define COPRO_RM_MAX_FRAGS 62
#define COPRO_RM_MSGQ_SIZE 240 /* the RM's queues' maximum message size */
#define COPRO_RM_FRAG_PAYLOAD (COPRO_RM_MSGQ_SIZE - COPRO_RM_HDR_SIZE)
/* The largest payload one message can carry (first fragment + 62). */
#define COPRO_RM_MAX_PAYLOAD ((COPRO_RM_MAX_FRAGS + 1) * COPRO_RM_FRAG_PAYLOAD)

/* Message ids (VM management). */
#define COPRO_RM_VM_ALLOC_VMID 0x56000001u
#define COPRO_RM_VM_DEALLOC_VMID 0x56000002u
#define COPRO_RM_VM_START 0x56000004u
#define COPRO_RM_VM_STOP 0x56000005u
#define COPRO_RM_VM_GET_HYP_RESOURCES 0x56000020u
#define COPRO_RM_VM_GET_VMID 0x56000024u
#define COPRO_RM_NOTIF_VM_EXITED 0x56100001u
#define COPRO_RM_NOTIF_VM_STATUS 0x56100008u

/* RM error codes (replies, le32; UNIMPLEMENTED is above int's range). */
#define COPRO_RM_OK 0x0u
#define COPRO_RM_NOMEM 0x1u
#define COPRO_RM_NORESOURCE 0x2u
#define COPRO_RM_DENIED 0x3u
#define COPRO_RM_INVALID 0x4u
#define COPRO_RM_BUSY 0x5u
#define COPRO_RM_ARGUMENT_INVALID 0x6u
#define COPRO_RM_HANDLE_INVALID 0x7u
#define COPRO_RM_VMID_INVALID 0xdu
#define COPRO_RM_UNIMPLEMENTED 0xffffffffu
/* copro_rm_errno (an RM error as an errno) is in <copro/gunyah_rm.h>. */

/* VM status (VM_STATUS notification). */
enum copro_rm_vm_status {
	COPRO_RM_VM_NO_STATE = 0,
	COPRO_RM_VM_INIT = 1,
	COPRO_RM_VM_READY = 2,
	COPRO_RM_VM_RUNNING = 3,
	COPRO_RM_VM_EXITED = 9,
};
/* Size of one VM_GET_HYP_RESOURCES entry on the wire. */
#define COPRO_RM_RSC_ENTRY_SIZE 40

#ifdef __cplusplus
}
#endif
#endif
