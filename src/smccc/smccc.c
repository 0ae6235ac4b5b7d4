/* SPDX-License-Identifier: MIT */
/*
 * The SMCCC conduit: function id helpers, the conduit a devicetree
 * chooses, and calls with the convention's register rules applied.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <copro/error.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/driver/smccc.h>

const char *copro_smccc_owner_name(unsigned owner)
{
	static const char *const names[] = {
		[COPRO_SMCCC_OWNER_ARCH] = "Arm architecture",
		[COPRO_SMCCC_OWNER_CPU] = "CPU",
		[COPRO_SMCCC_OWNER_SIP] = "SiP",
		[COPRO_SMCCC_OWNER_OEM] = "OEM",
		[COPRO_SMCCC_OWNER_STD] = "standard secure",
		[COPRO_SMCCC_OWNER_STD_HYP] = "standard hypervisor",
		[COPRO_SMCCC_OWNER_VENDOR_HYP] = "vendor hypervisor",
	};

	if (owner < sizeof(names) / sizeof(names[0]))
		return names[owner];
	if (owner == 48 || owner == 49)
		return "trusted application";
	if (owner >= 50 && owner <= 63)
		return "trusted OS";
	return "reserved";
}

const char *copro_conduit_name(enum copro_conduit c)
{
	switch (c) {
	case COPRO_CONDUIT_SMC: return "SMC";
	case COPRO_CONDUIT_HVC: return "HVC";
	}
	return "no conduit";
}

const char *copro_smccc_ret_name(int64_t ret)
{
	switch (ret) {
	case COPRO_SMCCC_RET_SUCCESS: return "SUCCESS";
	case COPRO_SMCCC_RET_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case COPRO_SMCCC_RET_NOT_REQUIRED: return "NOT_REQUIRED";
	case COPRO_SMCCC_RET_INVALID_PARAMETER: return "INVALID_PARAMETER";
	}
	return NULL;
}

const char *copro_smccc_fid_describe(uint32_t fid, char *buf, size_t len)
{
	snprintf(buf, len, "0x%08" PRIx32 " (%s SMC%s, %s, function 0x%x)", fid,
		 copro_smccc_is_fast(fid) ? "fast" : "yielding",
		 copro_smccc_is_64(fid) ? "64" : "32",
		 copro_smccc_owner_name(copro_smccc_owner(fid)),
		 copro_smccc_number(fid));
	return buf;
}

int copro_smccc_fid_check(uint32_t fid)
{
	if (copro_smccc_is_fast(fid))
		return (fid & COPRO_SMCCC_FAST_MBZ) ? -EINVAL : 0;
	/* Yielding calls exist only for trusted OSes. */
	return copro_smccc_owner(fid) >= COPRO_SMCCC_OWNER_TRUSTED_OS ? 0
								     : -EINVAL;
}

int copro_smccc_errno(int64_t ret)
{
	switch (ret) {
	case COPRO_SMCCC_RET_SUCCESS: return 0;
	case COPRO_SMCCC_RET_NOT_SUPPORTED: return -EOPNOTSUPP;
	case COPRO_SMCCC_RET_NOT_REQUIRED: return -EALREADY;
	case COPRO_SMCCC_RET_INVALID_PARAMETER: return -EINVAL;
	}
	return -EIO;
}

static int method_of(const struct copro_dt *dt, int node,
		     enum copro_conduit *out)
{
	const char *m;
	char path[256];
	int ret = copro_dt_string(dt, node, "method", &m);

	if (ret < 0)
		return ret;
	if (!strcmp(m, "smc")) {
		*out = COPRO_CONDUIT_SMC;
		return 0;
	}
	if (!strcmp(m, "hvc")) {
		*out = COPRO_CONDUIT_HVC;
		return 0;
	}
	copro_logf(copro_dt_log(dt), COPRO_LOG_ERR, "smccc",
		   "%s: %s: method \"%s\" is neither \"smc\" nor \"hvc\"",
		   copro_dt_name(dt),
		   copro_dt_node_path(dt, node, path, sizeof(path)), m);
	return -EINVAL;
}

int copro_smccc_conduit_dt(const struct copro_dt *dt, int node,
			   enum copro_conduit *out)
{
	static const char *const psci[] = { "arm,psci-1.0", "arm,psci-0.2",
					    "arm,psci" };
	char path[256];

	if (node >= 0 && copro_dt_has(dt, node, "method"))
		return method_of(dt, node, out);
	for (size_t i = 0; i < sizeof(psci) / sizeof(psci[0]); i++) {
		int n = copro_dt_next_compatible(dt, -1, psci[i]);

		if (n >= 0)
			return method_of(dt, n, out);
	}
	copro_logf(copro_dt_log(dt), COPRO_LOG_ERR, "smccc",
		   "%s: %s: no conduit: the node has no \"method\" and the"
		   " board no PSCI node (\"arm,psci-1.0\") saying smc or hvc",
		   copro_dt_name(dt),
		   node >= 0 ? copro_dt_node_path(dt, node, path, sizeof(path))
			     : "/");
	return -ENOENT;
}

int copro_smccc_call(struct copro_platform *p, enum copro_conduit conduit,
		     uint32_t fid, const uint64_t *args, unsigned nargs,
		     struct copro_smccc_regs *res)
{
	static const struct copro_smccc_regs zero;
	struct copro_smccc_regs in;
	bool smc64 = copro_smccc_is_64(fid);
	unsigned i;
	int ret;

	if (nargs > COPRO_SMCCC_NREGS - 1 || (nargs && !args) || !res)
		return -EINVAL;
	/*
	 * Cleared by a copy (16-byte moves), not an initialiser: that
	 * compiles to rep stos, whose microcode start perf annotate found
	 * to be a third of this call. The registers then one at a time.
	 */
	in = zero;
	in.x[0] = fid;
	for (i = 0; i < nargs; i++)
		in.x[i + 1] = copro_reg_word(smc64 ? args[i] : (uint32_t)args[i]);
	ret = copro_fw_call(p, conduit, &in, res);
	if (ret < 0)
		return ret;
	/*
	 * SMC32 results are w0..w7 (SMCCC 1.2; 1.0 and 1.1 had w0..w3).
	 * Rewritten only when the firmware left something above them: a
	 * clean file (every model's) costs loads, no stores.
	 */
	if (!smc64 && ((res->x[0] | res->x[1] | res->x[2] | res->x[3] |
			res->x[4] | res->x[5] | res->x[6] | res->x[7]) >> 32))
		for (i = 0; i < 8; i++)
			res->x[i] = copro_reg_word((uint32_t)res->x[i]);
	return 0;
}

int copro_smccc_version(struct copro_platform *p, enum copro_conduit conduit,
			uint32_t *version)
{
	struct copro_smccc_regs r;
	int ret = copro_smccc_call(p, conduit, COPRO_SMCCC_VERSION, NULL, 0, &r);

	if (ret < 0)
		return ret;
	if ((int32_t)r.x[0] == COPRO_SMCCC_RET_NOT_SUPPORTED)
		*version = COPRO_SMCCC_VERSION_1_0;
	else if ((int32_t)r.x[0] < 0)
		return -EIO;
	else
		*version = (uint32_t)r.x[0];
	return 0;
}

int copro_smccc_arch_features(struct copro_platform *p,
			      enum copro_conduit conduit, uint32_t fid,
			      int32_t *result)
{
	struct copro_smccc_regs r;
	uint64_t arg = fid;
	int ret = copro_smccc_call(p, conduit, COPRO_SMCCC_ARCH_FEATURES, &arg,
				   1, &r);

	if (ret < 0)
		return ret;
	*result = (int32_t)r.x[0];
	return 0;
}
