/* SPDX-License-Identifier: MIT */
/*
 * The SCMI platform model's insides, shared by its files:
 *
 *   scmi_config.c     the devicetree: resources, agents, channels
 *   scmi_platform.c   create/destroy, the firmware thread, jobs, faults
 *   scmi_chan.c       shared-memory channels: SMC/mailbox triggers, A2P
 *                     requests and responses, the P2A queue
 *   scmi_handle.c     one message: header, protocol, permissions, sizes
 *   scmi_base.c, scmi_power.c, scmi_system.c, scmi_perf.c,
 *   scmi_clock.c, scmi_sensor.c, scmi_reset.c   the protocols
 *
 * Locking: `s->lock` covers every resource's state, the agents'
 * subscriptions, the P2A queues, the job queue, and a channel from the
 * moment its request is read until its answer is written. Nothing is
 * called on the bus with it held except interrupt levels and mailbox
 * posts, which never block.
 */
#ifndef COPRO_SIM_SCMI_INTERNAL_H
#define COPRO_SIM_SCMI_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/le.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/regs/scmi.h>
#include <copro/sim/scmi_platform.h>

#define SP_MAX_AGENTS 8
#define SP_MAX_CHANS 4		 /* per agent */
#define SP_MAX_RESOURCES 256	 /* per protocol */
#define SP_MAX_RATES 64		 /* per clock */
#define SP_MAX_LEVELS 32	 /* per performance domain */
#define SP_P2A_DEPTH 32		 /* queued delayed responses + notifications */
#define SP_P2A_NOTIFY_MAX 24	 /* beyond this, notifications are dropped */
#define SP_MAX_ASYNC 4		 /* outstanding async operations per protocol */
#define SP_MSG_MAX 256		 /* largest message the model builds */
#define SP_P2A_RETRY_NS (200 * COPRO_NSEC_PER_USEC)

#define SP_VERSION_BASE SCMI_VERSION(2, 0)
#define SP_VERSION_POWER SCMI_VERSION(2, 0)
#define SP_VERSION_SYSTEM SCMI_VERSION(2, 0)
#define SP_VERSION_PERF SCMI_VERSION(3, 0)
#define SP_VERSION_CLOCK SCMI_VERSION(2, 0)
#define SP_VERSION_SENSOR SCMI_VERSION(1, 0)
#define SP_VERSION_RESET SCMI_VERSION(1, 0)

struct copro_sim_sram;
struct copro_sim_smccc;
struct copro_sim_smc_mbox;

/* ---- resources --------------------------------------------------------- */

struct sp_clock {
	char name[SCMI_NAME_LEN];
	bool range;
	uint64_t rates[SP_MAX_RATES]; /* list form, ascending */
	unsigned nrates;
	uint64_t min, max, step;      /* range form */
	uint64_t rate;
	bool enabled;		      /* the last request wins */
	uint64_t async_ns;	      /* how long an async rate change takes */
	uint32_t latency_us;
};

struct sp_pd {
	char name[SCMI_NAME_LEN];
	uint32_t state;		     /* the last request wins */
	bool async, sync;
	uint64_t async_ns;
};

struct sp_level {
	uint32_t level, power, latency_us;
};

struct sp_perf {
	char name[SCMI_NAME_LEN];
	struct sp_level levels[SP_MAX_LEVELS]; /* ascending */
	unsigned nlevels;
	uint32_t level, max, min;
	uint32_t sustained_khz, sustained_level, rate_limit_us;
};

struct sp_reset {
	char name[SCMI_NAME_LEN];
	bool asserted;
	bool async;
	uint32_t latency_us;
	uint64_t async_ns;
	unsigned resets; /* completed autonomous resets */
};

struct sp_sensor {
	char name[SCMI_NAME_LEN];
	uint8_t type;
	int8_t scale; /* power of ten, -16..15 */
	bool async;
	int64_t value;
	uint64_t async_ns;
};

/* ---- agents and their channels ---------------------------------------- */

enum sp_trigger {
	SP_TRIG_SMC,	   /* arm,scmi-smc: one channel per function id */
	SP_TRIG_SMC_PARAM, /* arm,scmi-smc-param: x1 page, x2 offset */
	SP_TRIG_MBOX,	   /* arm,scmi over an SMC/HVC mailbox channel */
};

struct sp_agent;
struct copro_sim_scmi;

/* An agent-to-platform channel: requests in, responses out. */
struct sp_chan {
	struct copro_sim_scmi *s;
	struct sp_agent *a;
	int node; /* the node holding its "shmem" */
	struct copro_sim_sram *sram;
	uint64_t phys, off, size;
	/* The area's words in the SRAM (set at attach): the hot path's. */
	_Atomic uint32_t *w;
	enum sp_trigger trig;
	enum copro_conduit conduit;
	uint32_t fid;
	struct copro_sim_smc_mbox *mbox;
	uint32_t mbox_chan;
	/* With an a2p interrupt the firmware thread answers, then raises it. */
	int a2p_irq;
	/* The next channel rung by the same service (sp_svc), or NULL. */
	struct sp_chan *svc_next;
	bool job_queued; /* under s->lock */
	bool irq_level;	 /* under s->lock */
};

struct sp_p2a_msg {
	uint32_t hdr;
	uint32_t len;
	uint8_t payload[SP_MSG_MAX];
};

/* The platform-to-agent channel: delayed responses and notifications. */
struct sp_p2a {
	int node;
	struct copro_sim_sram *sram;
	uint64_t phys, off, size;
	struct copro_sim_smc_mbox *mbox;
	uint32_t mbox_chan;
	struct sp_p2a_msg q[SP_P2A_DEPTH];
	unsigned head, count;
	bool doorbell_pending; /* a message waits for its doorbell */
	bool retry_queued;     /* an SP_JOB_P2A is queued */
};

struct sp_fault {
	struct copro_sim_scmi_fault f;
	unsigned left; /* count remaining; 0 with f.count 0: forever */
};

/* Subscriptions: one bit per event id of a resource. */
struct sp_agent {
	uint32_t id;
	char name[SCMI_NAME_LEN];
	int transport; /* its transport node */
	uint32_t protocols; /* bit (proto - 0x10) */
	/* Resource rights: bit set = full access (else read only). */
	uint8_t *clock_rw, *pd_rw, *perf_rw, *reset_rw, *sensor_rw;
	bool errors_ok;	   /* may subscribe to base errors */
	bool system_ok;	   /* may set the system state */
	bool discover_ok;  /* may discover other agents */
	uint8_t *clock_ntf, *pd_ntf, *perf_ntf, *reset_ntf;
	bool sys_ntf, err_ntf;
	unsigned clock_async, sensor_async, reset_async; /* outstanding */
	struct sp_chan chans[SP_MAX_CHANS];
	unsigned nchans;
	struct sp_p2a p2a;
	bool has_p2a;
	struct sp_fault fault, p2a_fault;
	copro_sim_scmi_script_fn script;
	void *script_ctx;
	uint32_t ntf_token; /* tokens of notifications it receives */
	uint32_t last_err_hdr; /* its last command that failed */
};

/* ---- jobs for the firmware thread ---------------------------------- */

enum sp_job_kind {
	SP_JOB_A2P,	    /* answer a channel's request (a2p interrupt) */
	SP_JOB_CLOCK_RATE,  /* an async clock rate change completes */
	SP_JOB_PD_STATE,    /* an async power state change completes */
	SP_JOB_RESET,	    /* an async reset completes */
	SP_JOB_SENSOR,	    /* an async sensor reading completes */
	SP_JOB_P2A,	    /* push queued P2A messages (retry) */
};

struct sp_job {
	uint64_t due;
	enum sp_job_kind kind;
	struct sp_agent *a;
	struct sp_chan *c;
	uint32_t hdr; /* the command's header, for delayed responses */
	uint32_t id;
	uint64_t arg;
	bool respond; /* send a delayed response */
};

#define SP_MAX_JOBS 128

/* ---- the platform -------------------------------------------------- */

struct copro_sim_scmi {
	struct copro_sim_scmi_env env;
	struct copro_bus *bus;
	struct copro_logdev ld;
	int node;
	char vendor[SCMI_NAME_LEN], sub_vendor[SCMI_NAME_LEN];
	uint32_t impl_version;

	struct sp_clock *clocks;
	unsigned nclocks;
	struct sp_pd *pds;
	unsigned npds;
	struct sp_perf *perfs;
	unsigned nperfs;
	struct sp_reset *resets;
	unsigned nresets;
	struct sp_sensor *sensors;
	unsigned nsensors;
	uint32_t system_state;
	/* The configured initial state, for sp_reset_state. */
	struct sp_clock *clocks0;
	struct sp_pd *pds0;
	struct sp_perf *perfs0;
	struct sp_reset *resets0;
	struct sp_sensor *sensors0;

	struct sp_agent agents[SP_MAX_AGENTS];
	unsigned nagents;

	/* SMC services this platform registered: function ids per conduit. */
	struct sp_svc {
		struct copro_sim_scmi *s;
		struct copro_sim_smccc *disp;
		enum copro_conduit conduit;
		uint32_t fid;
		/*
		 * The channels behind fid, in attach order (linked by
		 * svc_next): a call rings the first that its arguments
		 * name (-param: x1 the area's page, x2 its offset).
		 */
		struct sp_chan *first;
	} svc[SP_MAX_AGENTS * SP_MAX_CHANS];
	unsigned nsvc;

	struct copro_mutex lock;
	struct sp_job jobs[SP_MAX_JOBS];
	unsigned njobs;
	struct copro_event wake;
	_Atomic bool stop;
	struct copro_thread thread;
	uint64_t rng;

	struct copro_sim_scmi_stats stats;
};

/* scmi_config.c */
int sp_config(struct copro_sim_scmi *s);
void sp_config_free(struct copro_sim_scmi *s);
/* Resource state back to the configured initial values (fuzzing). */
void sp_reset_state(struct copro_sim_scmi *s);

/* scmi_chan.c */
int sp_chans_attach(struct copro_sim_scmi *s);
void sp_chans_detach(struct copro_sim_scmi *s);
/* Answer the request in c's area (channel lock taken inside). */
void sp_chan_process(struct sp_chan *c);
/* Lock held: queue a message for the agent's P2A channel. */
int sp_p2a_queue(struct sp_agent *a, uint32_t hdr, const void *payload,
		 size_t len, bool droppable);
/* s->lock held: push queued P2A messages while the area is free. */
void sp_p2a_flush(struct copro_sim_scmi *s, struct sp_agent *a);

/* scmi_platform.c */
/* Lock held. -ENOSPC when the queue is full. */
int sp_job_add(struct copro_sim_scmi *s, const struct sp_job *j);
struct sp_agent *sp_agent_by_id(struct copro_sim_scmi *s, uint32_t id);
uint32_t sp_random(struct copro_sim_scmi *s);
/* Lock held: a fault to apply to this message, consuming one use. */
bool sp_fault_take(struct sp_fault *f, struct copro_sim_scmi_fault *out);

/* ---- the message handler ---------------------------------------------- */

/* One request being answered (s->lock held). */
struct sp_req {
	struct copro_sim_scmi *s;
	struct sp_agent *a;
	uint32_t hdr;
	const uint8_t *in;
	size_t in_len;
	uint8_t *out; /* the response payload after the status */
	size_t out_len, out_cap;
	int32_t status;
};

typedef void (*sp_handler_fn)(struct sp_req *r);

struct sp_msg_desc {
	sp_handler_fn fn; /* NULL: defined by the spec, not implemented */
	int req_len;	  /* exact payload size; -1: any (handler checks) */
};

struct sp_proto {
	uint8_t id;
	uint32_t version;
	const struct sp_msg_desc *msgs;
	unsigned nmsgs; /* message ids 0..nmsgs-1 are defined */
	/* PROTOCOL_ATTRIBUTES as this agent sees it. */
	void (*attributes)(struct sp_req *r);
};

extern const struct sp_proto sp_proto_base, sp_proto_power, sp_proto_system,
	sp_proto_perf, sp_proto_clock, sp_proto_sensor, sp_proto_reset;
const struct sp_proto *sp_proto_find(unsigned id);

/* scmi_handle.c: helpers for the protocol handlers. */
uint32_t sp_in32(const struct sp_req *r, unsigned word);
void sp_out32(struct sp_req *r, uint32_t v);
void sp_out64(struct sp_req *r, uint64_t v);
void sp_out_name(struct sp_req *r, const char *name);
/* Room for n more bytes of response? */
bool sp_room(const struct sp_req *r, size_t n);
/* Resource id check: NOT_FOUND, and for writes DENIED; true when fine. */
bool sp_res_ok(struct sp_req *r, uint32_t id, unsigned count,
	       const uint8_t *rw, bool write);
bool sp_agent_allows(const struct sp_agent *a, unsigned proto);
/* NOTIFY commands: enable bit only; INVALID_PARAMETERS otherwise. */
bool sp_notify_arg(struct sp_req *r, uint32_t v, bool *enable);
/*
 * Lock held: notification `evt` of `proto` about resource `id` to every
 * agent subscribed to it; the payload is the agent that caused it
 * (`cause`, 0 for the platform), then `words`.
 */
void sp_notify(struct copro_sim_scmi *s, uint32_t cause, unsigned proto,
	       unsigned evt, uint32_t id, const uint32_t *words,
	       unsigned nwords);
/* Lock held: a delayed response to the command whose header is hdr. */
void sp_delayed(struct copro_sim_scmi *s, struct sp_agent *a, uint32_t hdr,
		int32_t status, const uint32_t *words, unsigned nwords);
/* Messages 0..2, the same for every protocol. */
void sp_common_version(struct sp_req *r);
/* Asynchronous operations an agent may have in flight per protocol:
 * none without a P2A channel to carry their delayed responses. */
unsigned sp_max_async(const struct sp_agent *a);
/*
 * The delayed part of request r on object id, due after delay_ns and
 * counted in *inflight (one of the agent's *_async): BUSY when the agent
 * has its most in flight or the job queue is full.
 */
void sp_async_start(struct sp_req *r, enum sp_job_kind kind, uint32_t id,
		    uint64_t arg, uint64_t delay_ns, bool respond,
		    unsigned *inflight);
void sp_common_attributes(struct sp_req *r);
void sp_common_msg_attributes(struct sp_req *r);
#define SP_COMMON_MSGS                                                     \
	[SCMI_PROTOCOL_VERSION] = { sp_common_version, 0 },                \
	[SCMI_PROTOCOL_ATTRIBUTES] = { sp_common_attributes, 0 },          \
	[SCMI_PROTOCOL_MESSAGE_ATTRIBUTES] = { sp_common_msg_attributes, 4 }

size_t sp_handle_locked(struct copro_sim_scmi *s, struct sp_agent *a,
			const uint8_t *msg, size_t len, uint8_t *resp,
			size_t cap);

/* Completions of asynchronous work (firmware thread, lock held). */
void sp_clock_job(struct copro_sim_scmi *s, const struct sp_job *j);
void sp_pd_job(struct copro_sim_scmi *s, const struct sp_job *j);
void sp_reset_job(struct copro_sim_scmi *s, const struct sp_job *j);
void sp_sensor_job(struct copro_sim_scmi *s, const struct sp_job *j);
/* Lock held: apply a performance limit change (agents or the platform). */
void sp_perf_limits(struct copro_sim_scmi *s, uint32_t agent, uint32_t id,
		    uint32_t max, uint32_t min);

#endif
