/* SPDX-License-Identifier: MIT */
/*
 * An SCMI platform (Arm DEN0056) as EL3 firmware or a hypervisor runs it:
 * it reads each request from an agent's shared-memory channel, checks it
 * and answers per the specification, keeps the clocks, power domains,
 * performance domains, resets and sensors the board's devicetree gives
 * it, answers slow operations with delayed responses and reports state
 * changes as notifications on the agent's receive (P2A) channel.
 *
 * Configuration: a "copro,scmi-platform" node (resources, agents and
 * their permissions); each agent names its transport node, an
 * "arm,scmi-smc" / "arm,scmi-smc-param" node reached by SMC (or HVC, per
 * the board's PSCI method) or an "arm,scmi" node over an "arm,smc-mbox"
 * / "arm,hvc-mbox" mailbox. docs/scmi.md describes the bindings.
 *
 * It is the reference where other platforms deviate (OP-TEE's scmi-msg):
 * unknown message ids answer NOT_FOUND, defined but unimplemented ones
 * NOT_SUPPORTED, unknown protocols NOT_SUPPORTED, a payload of the wrong
 * size PROTOCOL_ERROR (as SCP-firmware does), bad resource ids NOT_FOUND,
 * reserved bits INVALID_PARAMETERS, and a malformed channel (length under
 * 4 or past the area) is released with CHANNEL_ERROR instead of being
 * left busy.
 */
#ifndef COPRO_SIM_SCMI_PLATFORM_H
#define COPRO_SIM_SCMI_PLATFORM_H

#include <copro/export.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/sim/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_sim_scmi;
struct copro_sim_smccc;
struct copro_sim_smc_mbox;
struct copro_sim_sram;

/* What the platform needs from the board it runs on. */
struct copro_sim_scmi_env {
	struct copro_bus *bus;
	void *ctx;
	/* The SRAM model of an "mmio-sram" node (NULL if none). */
	struct copro_sim_sram *(*sram)(void *ctx, int node);
	/* The board's call dispatcher for a conduit (created on demand). */
	struct copro_sim_smccc *(*dispatcher)(void *ctx,
					      enum copro_conduit conduit);
	/* The mailbox firmware of an "arm,smc-mbox" node (on demand). */
	struct copro_sim_smc_mbox *(*smc_mbox)(void *ctx, int node);
};

COPRO_API int copro_sim_scmi_create(const struct copro_sim_scmi_env *env, int node,
			  struct copro_sim_scmi **out);
/* Stops the firmware thread and leaves every channel. */
COPRO_API void copro_sim_scmi_destroy(struct copro_sim_scmi *s);

/* Agents, as configured: ids start at 1 (0 is the platform). */
COPRO_API unsigned copro_sim_scmi_agents(const struct copro_sim_scmi *s);
/* The agent whose transport is devicetree node `node`, or 0. */
COPRO_API uint32_t copro_sim_scmi_agent_of(const struct copro_sim_scmi *s, int node);

/*
 * The message handler itself, as a direct call: `msg` is a header and
 * its payload as agent `agent` sent it; the response (header, status,
 * payload) goes to `resp`, at most `cap` bytes. Returns the response's
 * length, or 0 when the message cannot be answered (under 4 bytes, or an
 * unknown agent). Delayed responses and notifications it causes go to
 * the agent's receive channel as usual.
 */
COPRO_API size_t copro_sim_scmi_handle(struct copro_sim_scmi *s, uint32_t agent,
			     const void *msg, size_t len, void *resp,
			     size_t cap);

/* ---- fault injection ----------------------------------------------- */

enum copro_sim_scmi_fault_kind {
	COPRO_SIM_SCMI_FAULT_NONE,
	COPRO_SIM_SCMI_FAULT_LATE,	    /* answer `param` ns late */
	COPRO_SIM_SCMI_FAULT_NEVER,	    /* take the message, never answer */
	COPRO_SIM_SCMI_FAULT_WRONG_TOKEN,   /* the token plus one */
	COPRO_SIM_SCMI_FAULT_SHORT,	    /* length 4 bytes short */
	COPRO_SIM_SCMI_FAULT_OVERLONG,	    /* length past the area's end */
	COPRO_SIM_SCMI_FAULT_BAD_STATUS,    /* status = (int32_t)param */
	COPRO_SIM_SCMI_FAULT_LEAVE_BUSY,    /* answer, but never set FREE */
	COPRO_SIM_SCMI_FAULT_GARBAGE,	    /* random words, FREE set */
	COPRO_SIM_SCMI_FAULT_CHANNEL_ERROR, /* ERROR | FREE, no answer */
};

struct copro_sim_scmi_fault {
	enum copro_sim_scmi_fault_kind kind;
	/* Messages it applies to; 0: every one until cleared. */
	unsigned count;
	uint64_t param;
	/* Applies to what the platform sends on the receive channel
	 * (delayed responses, notifications) instead of responses. */
	bool p2a;
};

/* NONE clears. -ENOENT for an unknown agent. */
COPRO_API int copro_sim_scmi_inject(struct copro_sim_scmi *s, uint32_t agent,
			  const struct copro_sim_scmi_fault *f);

/*
 * A scripted platform: every command agent `agent` sends goes to fn
 * instead of the handler. fn gets the request (header and payload, as
 * read from the channel) and fills the channel's area: status word,
 * flags, length, header, and `payload_len` bytes of payload. It may call
 * copro_sim_scmi_handle() for the reference answer. NULL restores the
 * handler.
 */
struct copro_sim_scmi_area {
	uint32_t status, flags, length, header;
	uint8_t payload[256];
	size_t payload_len;
	bool never_answer; /* leave the channel as it is */
};
typedef void (*copro_sim_scmi_script_fn)(void *ctx, const uint8_t *req,
					 size_t len, size_t area_size,
					 struct copro_sim_scmi_area *area);
COPRO_API int copro_sim_scmi_script(struct copro_sim_scmi *s, uint32_t agent,
			  copro_sim_scmi_script_fn fn, void *ctx);

/* Send a raw message on an agent's receive channel (tests). */
COPRO_API int copro_sim_scmi_p2a_raw(struct copro_sim_scmi *s, uint32_t agent,
			   uint32_t header, const void *payload, size_t len);

/* ---- platform-side events ---------------------------------------------- */

/* The platform changes the system state: notifies subscribed agents. */
COPRO_API int copro_sim_scmi_system_event(struct copro_sim_scmi *s, uint32_t state,
				bool graceful, uint32_t timeout_ms);
/* A sensor's next reading. */
COPRO_API int copro_sim_scmi_sensor_set(struct copro_sim_scmi *s, uint32_t id,
			      int64_t value);
/* The platform caps a performance domain (thermal): LIMITS_CHANGED. */
COPRO_API int copro_sim_scmi_perf_cap(struct copro_sim_scmi *s, uint32_t id,
			    uint32_t max, uint32_t min);
/* A base error report about `agent` to agents that asked for them. */
COPRO_API int copro_sim_scmi_report_error(struct copro_sim_scmi *s, uint32_t agent,
				bool fatal);

/* ---- state, for tests ---------------------------------------------------- */

COPRO_API int copro_sim_scmi_clock_state(struct copro_sim_scmi *s, uint32_t id,
			       uint64_t *rate, bool *enabled);
COPRO_API int copro_sim_scmi_pd_state(struct copro_sim_scmi *s, uint32_t id,
			    uint32_t *state);
COPRO_API int copro_sim_scmi_perf_state(struct copro_sim_scmi *s, uint32_t id,
			      uint32_t *level, uint32_t *max, uint32_t *min);
COPRO_API int copro_sim_scmi_reset_state(struct copro_sim_scmi *s, uint32_t id,
			       bool *asserted, unsigned *resets);
COPRO_API uint32_t copro_sim_scmi_system_state(struct copro_sim_scmi *s);

struct copro_sim_scmi_stats {
	uint64_t commands;	   /* answered */
	uint64_t errors;	   /* answered with a status other than SUCCESS */
	uint64_t channel_errors;   /* channels released with CHANNEL_ERROR */
	uint64_t spurious;	   /* triggers with nothing to do */
	uint64_t delayed;	   /* delayed responses sent */
	uint64_t notifications;	   /* notifications sent */
	uint64_t p2a_dropped;	   /* notifications dropped: queue full */
	uint64_t faults;	   /* messages a fault was applied to */
};
COPRO_API void copro_sim_scmi_get_stats(struct copro_sim_scmi *s,
			      struct copro_sim_scmi_stats *out);

#ifdef __cplusplus
}
#endif
#endif
