/* SPDX-License-Identifier: MIT */
/*
 * An SCMI agent (Arm DEN0056): the OS's side of the System Control and
 * Management Interface, over shared memory with either transport:
 *
 *  - "arm,scmi-smc" / "arm,scmi-smc-param": each command is one SMC (or
 *    HVC, per the board's PSCI method) with `arm,smc-id`; the -param
 *    variant passes the area's 4 KiB page in x1 and its offset in x2.
 *    An "a2p" interrupt, when present, completes commands instead of the
 *    call's return.
 *  - "arm,scmi": any copro mailbox channel ("tx", and "rx" for delayed
 *    responses and notifications) with the `shmem` areas beside it; here
 *    the SMC/HVC mailbox.
 *
 * A protocol subnode with its own `shmem` (and interrupt or mailboxes)
 * gets a channel of its own. Completion is by the call's return (SYNC
 * transports, no interrupt), by interrupt, or by polling the area; every
 * command has a timeout. Asynchronous commands get their delayed response
 * matched by token on the receive channel; notifications go to
 * subscribers.
 *
 * The platform is untrusted: every response is checked (length, header
 * and token, status, reserved bits, counts against the payload) and a
 * bad one is an error (-EPROTO), never a crash, an overread or a hang.
 *
 * Calls may block (they wait for the platform); they are thread-safe. A
 * platform status becomes an errno: NOT_SUPPORTED -EOPNOTSUPP,
 * INVALID_PARAMETERS -EINVAL, DENIED -EACCES, NOT_FOUND -ENOENT,
 * OUT_OF_RANGE -ERANGE, BUSY -EBUSY, COMMS_ERROR -ECOMM, GENERIC_ERROR
 * -EIO, HARDWARE_ERROR -EREMOTEIO, PROTOCOL_ERROR -EBADMSG; a response
 * that breaks the protocol is -EPROTO; no answer in time -ETIMEDOUT.
 */
#ifndef COPRO_SCMI_H
#define COPRO_SCMI_H

#include <copro/export.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/dt.h>
#include <copro/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_scmi;

/* Protocol ids, and the event ids of copro_scmi_subscribe(). */
enum copro_scmi_protocol {
	COPRO_SCMI_BASE = 0x10,
	COPRO_SCMI_POWER = 0x11,
	COPRO_SCMI_SYSTEM = 0x12,
	COPRO_SCMI_PERF = 0x13,
	COPRO_SCMI_CLOCK = 0x14,
	COPRO_SCMI_SENSOR = 0x15,
	COPRO_SCMI_RESET = 0x16,
};

enum copro_scmi_event_id {
	COPRO_SCMI_BASE_ERROR = 0,	      /* Base */
	COPRO_SCMI_POWER_STATE_CHANGED = 0,   /* Power domain */
	COPRO_SCMI_SYSTEM_NOTIFIER = 0,	      /* System power */
	COPRO_SCMI_PERF_LIMITS_CHANGED = 0,   /* Performance */
	COPRO_SCMI_PERF_LEVEL_CHANGED = 1,
	COPRO_SCMI_CLOCK_RATE_CHANGED = 0,    /* Clock */
	COPRO_SCMI_CLOCK_RATE_CHANGE_REQUESTED = 1,
	COPRO_SCMI_RESET_ISSUED = 0,	      /* Reset */
};

/* Names in attributes and discovery: 16 bytes, NUL-terminated. */
#define COPRO_SCMI_NAME_LEN 16

#define COPRO_SCMI_COMPATIBLE "arm,scmi"
#define COPRO_SCMI_SMC_COMPATIBLE "arm,scmi-smc"
#define COPRO_SCMI_SMC_PARAM_COMPATIBLE "arm,scmi-smc-param"

/* One message crossing a channel, for tracing. */
struct copro_scmi_trace {
	bool to_platform;
	const char *channel;	/* "a2p", "perf a2p", "p2a" ... */
	uint32_t header;
	const uint8_t *payload; /* after the header (responses: the status) */
	size_t len;
};

struct copro_scmi_config {
	/* Per command; 0: 500 ms. A delayed response; 0: 2 s. */
	int64_t timeout_ns;
	int64_t delayed_timeout_ns;
	/* Complete by polling the area even where an interrupt exists. */
	bool poll;
	/* Every message, both directions (any thread; must not block). */
	void (*trace)(void *ctx, const struct copro_scmi_trace *t);
	void *trace_ctx;
};

/* node: an "arm,scmi", "arm,scmi-smc" or "arm,scmi-smc-param" node. */
COPRO_API int copro_scmi_probe(struct copro_platform *p, int node,
		     const struct copro_scmi_config *cfg,
		     struct copro_scmi **out);
COPRO_API void copro_scmi_remove(struct copro_scmi *s);
/*
 * Its table for the probe-all pass (<copro/devices.h>): name "scmi",
 * every SCMI node, after the mailboxes its "mboxes" name; the driver's
 * config is a struct copro_scmi_config. The device's data is the
 * struct copro_scmi.
 */
struct copro_driver;
COPRO_API const struct copro_driver *copro_scmi_driver(void);
/* The n-th enabled SCMI node of the board (n from 0), or -ENOENT. */
COPRO_API int copro_scmi_node(const struct copro_dt *dt, unsigned n);

/* Names for messages: "SUCCESS", "clock", "CLOCK_RATE_SET"... */
COPRO_API const char *copro_scmi_status_name(int32_t status);
COPRO_API const char *copro_scmi_protocol_name(unsigned proto);
COPRO_API const char *copro_scmi_message_name(unsigned proto, unsigned type,
				    unsigned msg);
/* A platform status as an errno (above). */
COPRO_API int copro_scmi_status_errno(int32_t status);
/*
 * One message decoded into text ("clock CLOCK_RATE_SET token=3 flags=0x1
 * clock_id=2 rate=..."). `is_response`: a command's response (payload
 * starts with the status) rather than a command. Returns buf.
 */
COPRO_API const char *copro_scmi_describe(uint32_t header, const uint8_t *payload,
				size_t len, bool is_response, char *buf,
				size_t size);

/* ---- Base --------------------------------------------------------------- */

struct copro_scmi_base_info {
	uint32_t version;
	char vendor[COPRO_SCMI_NAME_LEN];
	char sub_vendor[COPRO_SCMI_NAME_LEN];
	uint32_t impl_version;
	unsigned num_agents;
	unsigned num_protocols;
	uint8_t protocols[256];
	uint32_t agent_id; /* this agent, as the platform numbers it */
	char agent_name[COPRO_SCMI_NAME_LEN];
};

/* Discovered at probe. */
COPRO_API const struct copro_scmi_base_info *copro_scmi_base(const struct copro_scmi *s);
COPRO_API bool copro_scmi_has_protocol(const struct copro_scmi *s, unsigned proto);
/* DISCOVER_AGENT (COPRO_SCMI_AGENT_SELF: this agent; 0: the platform). */
#define COPRO_SCMI_AGENT_SELF 0xffffffffu
/* A protocol version: major 31:16, minor 15:0. */
#define COPRO_SCMI_VERSION_MAJOR(v) ((v) >> 16)
COPRO_API int copro_scmi_discover_agent(struct copro_scmi *s, uint32_t agent,
			      uint32_t *id, char name[COPRO_SCMI_NAME_LEN]);
/* PROTOCOL_VERSION of any protocol the platform lists (cached). */
COPRO_API int copro_scmi_protocol_version(struct copro_scmi *s, unsigned proto,
				uint32_t *version);
/* PROTOCOL_MESSAGE_ATTRIBUTES: -ENOENT when the message is not there. */
COPRO_API int copro_scmi_message_attributes(struct copro_scmi *s, unsigned proto,
				  unsigned msg, uint32_t *attributes);

/* ---- Power domains --------------------------------------------------- */

/* States: bit 30 set means context lost (off); 27:0 the state's id. */
#define COPRO_SCMI_PD_ON 0x00000000u
#define COPRO_SCMI_PD_OFF 0x40000000u
#define COPRO_SCMI_PD_CONTEXT_LOST 0x40000000u

struct copro_scmi_pd_info {
	char name[COPRO_SCMI_NAME_LEN];
	bool notify, async, sync;
};

COPRO_API int copro_scmi_pd_count(struct copro_scmi *s, unsigned *n);
COPRO_API int copro_scmi_pd_attributes(struct copro_scmi *s, uint32_t id,
			     struct copro_scmi_pd_info *out);
/* async: acknowledged at once; the change shows later (notification). */
COPRO_API int copro_scmi_pd_set(struct copro_scmi *s, uint32_t id, uint32_t state,
		      bool async);
COPRO_API int copro_scmi_pd_get(struct copro_scmi *s, uint32_t id, uint32_t *state);

/* ---- Performance ------------------------------------------------------- */

struct copro_scmi_perf_info {
	char name[COPRO_SCMI_NAME_LEN];
	bool set_limits, set_level, limits_notify, level_notify;
	uint32_t rate_limit_us, sustained_khz, sustained_level;
};

struct copro_scmi_perf_level {
	uint32_t level, power, latency_us;
};

COPRO_API int copro_scmi_perf_count(struct copro_scmi *s, unsigned *n);
COPRO_API int copro_scmi_perf_attributes(struct copro_scmi *s, uint32_t id,
			       struct copro_scmi_perf_info *out);
/* Every level (paged as the platform answers), ascending; free() them. */
COPRO_API int copro_scmi_perf_levels(struct copro_scmi *s, uint32_t id,
			   struct copro_scmi_perf_level **levels, size_t *n);
COPRO_API int copro_scmi_perf_limits_set(struct copro_scmi *s, uint32_t id,
			       uint32_t max, uint32_t min);
COPRO_API int copro_scmi_perf_limits_get(struct copro_scmi *s, uint32_t id,
			       uint32_t *max, uint32_t *min);
COPRO_API int copro_scmi_perf_level_set(struct copro_scmi *s, uint32_t id,
			      uint32_t level);
COPRO_API int copro_scmi_perf_level_get(struct copro_scmi *s, uint32_t id,
			      uint32_t *level);

/* ---- Clocks -------------------------------------------------------------- */

struct copro_scmi_clock_info {
	char name[COPRO_SCMI_NAME_LEN];
	bool enabled;
	bool rate_notify, rate_req_notify;
	uint32_t enable_latency_us; /* version 2.0 on; 0 before */
};

struct copro_scmi_clock_rates {
	bool range;
	uint64_t min, max, step; /* range form */
	uint64_t *rates;	 /* list form, ascending; free() it */
	size_t n;
};

/* Rate-set flags: asynchronous, and the rounding the platform applies. */
#define COPRO_SCMI_CLOCK_ASYNC (1u << 0)
#define COPRO_SCMI_CLOCK_ROUND_UP (1u << 2)
#define COPRO_SCMI_CLOCK_ROUND_AUTO (1u << 3)

COPRO_API int copro_scmi_clock_count(struct copro_scmi *s, unsigned *n);
/* The platform's outstanding asynchronous rate changes per agent. */
COPRO_API int copro_scmi_clock_max_async(struct copro_scmi *s, unsigned *n);
COPRO_API int copro_scmi_clock_attributes(struct copro_scmi *s, uint32_t id,
				struct copro_scmi_clock_info *out);
COPRO_API int copro_scmi_clock_rates(struct copro_scmi *s, uint32_t id,
			   struct copro_scmi_clock_rates *out);
COPRO_API int copro_scmi_clock_rate_get(struct copro_scmi *s, uint32_t id,
			      uint64_t *rate);
/*
 * With COPRO_SCMI_CLOCK_ASYNC, returns once the delayed response
 * (CLOCK_RATE_SET_COMPLETE) arrived; *set (optional) is the rate it
 * reports. Without, *set is left alone.
 */
COPRO_API int copro_scmi_clock_rate_set(struct copro_scmi *s, uint32_t id,
			      uint64_t rate, uint32_t flags, uint64_t *set);
COPRO_API int copro_scmi_clock_enable(struct copro_scmi *s, uint32_t id, bool enable);

/* ---- Resets ------------------------------------------------------------- */

struct copro_scmi_reset_info {
	char name[COPRO_SCMI_NAME_LEN];
	bool async, notify;
	uint32_t latency_us; /* COPRO_SCMI_LATENCY_UNKNOWN when unknown */
};

#define COPRO_SCMI_LATENCY_UNKNOWN 0xffffffffu

COPRO_API int copro_scmi_reset_count(struct copro_scmi *s, unsigned *n);
COPRO_API int copro_scmi_reset_attributes(struct copro_scmi *s, uint32_t id,
				struct copro_scmi_reset_info *out);
/* An autonomous (cold) reset; async: wait for RESET_COMPLETE. */
COPRO_API int copro_scmi_reset(struct copro_scmi *s, uint32_t id, bool async);
/* Explicit control: assert and hold, or release. */
COPRO_API int copro_scmi_reset_assert(struct copro_scmi *s, uint32_t id, bool assert);

/* ---- Sensors --------------------------------------------------------------- */

struct copro_scmi_sensor_info {
	uint32_t id;
	char name[COPRO_SCMI_NAME_LEN];
	uint8_t type;	/* the specification's unit codes: 2 degrees C... */
	int scale;	/* value x 10^scale in the type's unit */
	bool async;
	unsigned trip_points;
};

COPRO_API int copro_scmi_sensor_count(struct copro_scmi *s, unsigned *n);
/* Every sensor's description (paged as answered); free() them. */
COPRO_API int copro_scmi_sensor_list(struct copro_scmi *s,
			   struct copro_scmi_sensor_info **out, size_t *n);
/* async: ask for SENSOR_READING_COMPLETE and wait for it. */
COPRO_API int copro_scmi_sensor_read(struct copro_scmi *s, uint32_t id, bool async,
			   int64_t *value);
/* "degrees C", "volts", ...; "" for none or unknown. */
COPRO_API const char *copro_scmi_sensor_unit(uint8_t type);

/* ---- System power ---------------------------------------------------- */

/* System states; bit 31 set: vendor-defined. */
#define COPRO_SCMI_SYSTEM_SHUTDOWN 0u
#define COPRO_SCMI_SYSTEM_COLD_RESET 1u
#define COPRO_SCMI_SYSTEM_WARM_RESET 2u
#define COPRO_SCMI_SYSTEM_POWER_UP 3u
#define COPRO_SCMI_SYSTEM_SUSPEND 4u
#define COPRO_SCMI_SYSTEM_GRACEFUL (1u << 0) /* notifier flags */

COPRO_API int copro_scmi_system_set(struct copro_scmi *s, uint32_t state,
			  bool graceful);
COPRO_API int copro_scmi_system_get(struct copro_scmi *s, uint32_t *state);

/* ---- notifications ----------------------------------------------------- */

struct copro_scmi_event {
	uint8_t protocol, id; /* e.g. COPRO_SCMI_CLOCK, COPRO_SCMI_CLOCK_RATE_CHANGED */
	uint32_t agent_id;    /* who caused it (0: the platform) */
	uint32_t src_id;      /* the resource (0 for system and base) */
	union {
		uint64_t rate;	     /* clock */
		uint32_t state;	     /* power domain, reset */
		uint32_t level;	     /* perf level */
		struct {
			uint32_t max, min;
		} limits;	     /* perf limits */
		struct {
			uint32_t flags, state, timeout;
		} system;
		struct {
			uint32_t status; /* fatal bit 31, count 9:0 */
			uint64_t report; /* the first message report */
		} error;
	} u;
};

typedef void (*copro_scmi_event_fn)(void *ctx,
				    const struct copro_scmi_event *ev);
struct copro_scmi_sub;

/*
 * Ask the platform for event `evt` of `proto` about resource `src` (the
 * NOTIFY command, sent when the first subscriber for it arrives) and call
 * fn for each. fn runs on the receive channel's context (the mailbox
 * worker, or copro_scmi_poll) with the agent's event lock held: it must
 * not subscribe or unsubscribe, nor wait for a delayed response.
 */
COPRO_API int copro_scmi_subscribe(struct copro_scmi *s, unsigned proto, unsigned evt,
			 uint32_t src, copro_scmi_event_fn fn, void *ctx,
			 struct copro_scmi_sub **out);
/* After it returns fn is not running and will not run. */
COPRO_API void copro_scmi_unsubscribe(struct copro_scmi_sub *sub);

/* No host threads: deliver what the receive channel holds. */
COPRO_API int copro_scmi_poll(struct copro_scmi *s);

struct copro_scmi_stats {
	uint64_t commands, errors, timeouts, bad_responses;
	uint64_t delayed, notifications, dropped; /* dropped: malformed P2A */
};
COPRO_API void copro_scmi_get_stats(struct copro_scmi *s, struct copro_scmi_stats *out);

#ifdef __cplusplus
}
#endif
#endif
