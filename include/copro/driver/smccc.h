/* SPDX-License-Identifier: MIT */
/*
 * The Arm SMC Calling Convention (hardware.md 5): function id fields,
 * the standard return codes, the conduit a devicetree chooses, and calls
 * through the platform's copro_fw_call().
 *
 * For SMC32 calls the convention passes arguments and results in the w
 * registers: copro_smccc_call() clears the upper halves of the arguments
 * and of x0..x3 on return, so a caller never reads what the firmware
 * left above bit 31.
 */
#ifndef COPRO_DRIVER_SMCCC_H
#define COPRO_DRIVER_SMCCC_H

#include <copro/export.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/driver/platform.h>
#include <copro/dt.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COPRO_SMCCC_FAST (1u << 31)
#define COPRO_SMCCC_SMC64 (1u << 30)
#define COPRO_SMCCC_OWNER_SHIFT 24
#define COPRO_SMCCC_OWNER_MASK 0x3fu
/* Fast calls must have bits 23:16 zero. */
#define COPRO_SMCCC_FAST_MBZ 0x00ff0000u
#define COPRO_SMCCC_NUMBER_MASK 0xffffu

enum copro_smccc_owner {
	COPRO_SMCCC_OWNER_ARCH = 0,
	COPRO_SMCCC_OWNER_CPU = 1,
	COPRO_SMCCC_OWNER_SIP = 2,
	COPRO_SMCCC_OWNER_OEM = 3,
	COPRO_SMCCC_OWNER_STD = 4,
	COPRO_SMCCC_OWNER_STD_HYP = 5,
	COPRO_SMCCC_OWNER_VENDOR_HYP = 6,
	COPRO_SMCCC_OWNER_TRUSTED_APP = 48,  /* 48..49 */
	COPRO_SMCCC_OWNER_TRUSTED_OS = 50,   /* 50..63 */
};

/* Standard return codes (x0, or w0 for SMC32). */
#define COPRO_SMCCC_RET_SUCCESS 0
#define COPRO_SMCCC_RET_NOT_SUPPORTED (-1)
#define COPRO_SMCCC_RET_NOT_REQUIRED (-2)
#define COPRO_SMCCC_RET_INVALID_PARAMETER (-3)

/* Arm architecture calls (owner 0). */
#define COPRO_SMCCC_VERSION 0x80000000u
#define COPRO_SMCCC_ARCH_FEATURES 0x80000001u
#define COPRO_SMCCC_VERSION_1_0 0x10000u
#define COPRO_SMCCC_VERSION_1_2 0x10002u

static inline uint32_t copro_smccc_fid(bool fast, bool smc64, unsigned owner,
				       unsigned number)
{
	return (fast ? COPRO_SMCCC_FAST : 0) |
	       (smc64 ? COPRO_SMCCC_SMC64 : 0) |
	       (owner & COPRO_SMCCC_OWNER_MASK) << COPRO_SMCCC_OWNER_SHIFT |
	       (number & COPRO_SMCCC_NUMBER_MASK);
}

static inline bool copro_smccc_is_fast(uint32_t fid)
{
	return fid & COPRO_SMCCC_FAST;
}

static inline bool copro_smccc_is_64(uint32_t fid)
{
	return fid & COPRO_SMCCC_SMC64;
}

static inline unsigned copro_smccc_owner(uint32_t fid)
{
	return (fid >> COPRO_SMCCC_OWNER_SHIFT) & COPRO_SMCCC_OWNER_MASK;
}

static inline unsigned copro_smccc_number(uint32_t fid)
{
	return fid & COPRO_SMCCC_NUMBER_MASK;
}

COPRO_API const char *copro_smccc_owner_name(unsigned owner);
COPRO_API const char *copro_conduit_name(enum copro_conduit c);
/* "NOT_SUPPORTED", ..., or NULL for a value that is not a standard code. */
COPRO_API const char *copro_smccc_ret_name(int64_t ret);
/*
 * Writes "0xc2000010 (fast SMC64, SiP, function 0x10)" into buf.
 * Returns buf.
 */
COPRO_API const char *copro_smccc_fid_describe(uint32_t fid, char *buf, size_t len);
/*
 * A function id a caller may use: fast calls with bits 23:16 zero, or
 * yielding calls (trusted OS owners only). -EINVAL otherwise.
 */
COPRO_API int copro_smccc_fid_check(uint32_t fid);

/* x0 as a signed return value: w0 sign-extended for SMC32 calls. */
static inline int64_t copro_smccc_ret(uint32_t fid, uint64_t x0)
{
	return copro_smccc_is_64(fid) ? (int64_t)x0 : (int64_t)(int32_t)x0;
}

/*
 * The conduit a node's calls use: its own "method" property ("smc" or
 * "hvc"), else that of the board's PSCI node ("arm,psci*", as Linux's
 * SMCCC layer does). -ENOENT when neither says; -EINVAL for another
 * value. Errors are logged with the board, node and value.
 */
COPRO_API int copro_smccc_conduit_dt(const struct copro_dt *dt, int node,
			   enum copro_conduit *out);

/*
 * One call: x0 = fid, x1.. = args (at most 17). Arguments of SMC32 calls
 * keep their low 32 bits only, and so do x0..x3 of the result. Returns
 * copro_fw_call()'s result (0: the call was made; the firmware's return
 * is in res->x[0]).
 */
COPRO_API int copro_smccc_call(struct copro_platform *p, enum copro_conduit conduit,
		     uint32_t fid, const uint64_t *args, unsigned nargs,
		     struct copro_smccc_regs *res);

/*
 * SMCCC_VERSION. A firmware without it implements SMCCC 1.0 (*version is
 * then COPRO_SMCCC_VERSION_1_0 and the call still succeeds).
 */
COPRO_API int copro_smccc_version(struct copro_platform *p, enum copro_conduit conduit,
			uint32_t *version);
/* SMCCC_ARCH_FEATURES(fid): the firmware's answer, sign-extended. */
COPRO_API int copro_smccc_arch_features(struct copro_platform *p,
			      enum copro_conduit conduit, uint32_t fid,
			      int32_t *result);

/* A standard return code as an errno: 0, -EOPNOTSUPP, -EALREADY, -EINVAL; -EIO otherwise. */
COPRO_API int copro_smccc_errno(int64_t ret);

#ifdef __cplusplus
}
#endif
#endif
