/* SPDX-License-Identifier: MIT */
/*
 * The RTKit protocol engine (hardware.md section 2), sans-I/O: it consumes one
 * message from the coprocessor, or one request of the host (boot, a
 * power state, start an endpoint), and produces what must happen next:
 * messages to send, shared buffers to provide, and events for the
 * client. It never touches a mailbox, memory shared with the
 * coprocessor, a lock, a thread or a clock; allocating buffers, mapping
 * them in an IOMMU or SART, copying out of them (MMIO included) and
 * waiting are the glue's job. The engine needs the C library's
 * formatting functions and nothing else, so a bootloader can drive it
 * from a polling loop; libcopro's copro_rtkit (rtkit.h) is the glue for
 * the copro platform.
 *
 * The coprocessor is untrusted: every message is validated, and a bad
 * one is logged, counted (stats.refused) and not acted upon. The engine
 * keeps no pointer into anything the coprocessor can write.
 *
 * One engine drives one coprocessor. Calls must not overlap (the glue
 * serialises them). The struct is public so it can live anywhere (no
 * allocation); its fields are private to rtkit_engine*.c.
 *
 *   struct copro_rtkit_engine e;
 *   struct copro_rtkit_out out;
 *   copro_rtkit_engine_init(&e, &cfg);
 *   copro_rtkit_engine_boot(&e, &out);        // send out.msg[], if any
 *   for each message (ep, msg) received:
 *       copro_rtkit_engine_receive(&e, ep, msg, &out);
 *       handle out.ev[0 .. out.n_ev) first (a BUFFER event: provide
 *       memory, then copro_rtkit_engine_buffer() with the outcome, which
 *       adds the answer to out; a SYSLOG event: copy the entry out
 *       before its acknowledgement goes), then send out.msg[0 .. n_msgs)
 *   until copro_rtkit_engine_phase(&e) is RUNNING or FAILED.
 */
#ifndef COPRO_RTKIT_ENGINE_H
#define COPRO_RTKIT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where the session with the coprocessor stands (hardware.md 2.2). */
enum copro_rtkit_phase {
	COPRO_RTKIT_PHASE_IDLE,	       /* not running, nothing expected */
	COPRO_RTKIT_PHASE_WAIT_HELLO,  /* booting: HELLO next */
	COPRO_RTKIT_PHASE_WAIT_EPMAP,  /* HELLO answered, map chunks coming */
	COPRO_RTKIT_PHASE_WAIT_IOP_ON, /* map done (or woken), IOP ON next */
	COPRO_RTKIT_PHASE_WAIT_AP_ON,  /* AP ON sent, its ACK next */
	COPRO_RTKIT_PHASE_RUNNING,
	COPRO_RTKIT_PHASE_FAILED,      /* the handshake failed: boot_error */
	/*
	 * Taking over a coprocessor another owner left running or asleep:
	 * the wake request is out; a HELLO means it was asleep (the
	 * handshake follows), IOP ON means it runs another owner's session,
	 * which is put to sleep (AP QUIESCED, IOP SLEEP) and woken for a
	 * session of our own.
	 */
	COPRO_RTKIT_PHASE_TAKEOVER,
	COPRO_RTKIT_PHASE_TAKEOVER_AP,	/* AP QUIESCED sent */
	COPRO_RTKIT_PHASE_TAKEOVER_IOP, /* IOP SLEEP sent */
};
COPRO_API const char *copro_rtkit_phase_name(enum copro_rtkit_phase phase);

/* At most this many messages and events come out of one call. */
#define COPRO_RTKIT_OUT_MSGS 16
#define COPRO_RTKIT_OUT_EVENTS 4

enum copro_rtkit_event_type {
	/*
	 * A system endpoint asks for a shared buffer: ep, iova (0: the host
	 * places it), size in bytes. Generic checks passed (size, duplicate,
	 * alignment). Answer with copro_rtkit_engine_buffer(), before the
	 * next receive.
	 */
	COPRO_RTKIT_EV_BUFFER,
	/*
	 * The coprocessor restarted (a new HELLO): every system buffer it
	 * was given is stale; free them all. Comes before anything else of
	 * the same call.
	 */
	COPRO_RTKIT_EV_FREE_BUFFERS,
	/*
	 * A syslog line is ready: entry `index` of the syslog buffer,
	 * `offset` and `size` (bytes, inside the buffer) to copy out, then
	 * copro_rtkit_syslog_entry() to turn into text. The acknowledgement
	 * is already among the messages to send.
	 */
	COPRO_RTKIT_EV_SYSLOG,
	/*
	 * The coprocessor crashed. `size` > 0: the crashlog buffer holds the
	 * log (copy all `size` bytes first, then parse). From now on nothing
	 * is sent and every request fails with -ECONNRESET until reinit.
	 */
	COPRO_RTKIT_EV_CRASHED,
	/* A message of a started application endpoint: ep, msg. */
	COPRO_RTKIT_EV_RECV,
	/*
	 * A HELLO while running: the coprocessor restarted on its own. The
	 * application endpoints are forgotten (start them again once
	 * running); what was outstanding on them will never be answered.
	 * The new handshake is under way.
	 */
	COPRO_RTKIT_EV_RESTARTED,
};

struct copro_rtkit_event {
	enum copro_rtkit_event_type type;
	uint8_t ep;
	uint64_t msg;	  /* RECV: the message */
	unsigned index;	  /* SYSLOG: the entry */
	uint64_t iova;	  /* BUFFER */
	uint64_t offset;  /* SYSLOG */
	uint64_t size;	  /* BUFFER, SYSLOG, CRASHED: bytes */
};

struct copro_rtkit_out {
	unsigned n_msgs, n_ev;
	struct {
		uint8_t ep;
		uint64_t msg;
	} msg[COPRO_RTKIT_OUT_MSGS];
	struct copro_rtkit_event ev[COPRO_RTKIT_OUT_EVENTS];
};

struct copro_rtkit_engine_config {
	/* Largest buffer accepted; 0: 4 MiB. */
	uint64_t shmem_max;
	/* IOP state a wake (and a takeover) sends: ON or INIT (0: INIT). */
	unsigned wake_iop_state;
	/* boot() sends SET_IOP_PWR_STATE(wake state) first, as bootloaders do. */
	bool wake_on_boot;
	/*
	 * Every log line, already formatted; may be NULL. `level` is one of
	 * enum copro_log_level.
	 */
	void (*log)(void *ctx, enum copro_log_level level, const char *msg);
	void *log_ctx;
};

struct copro_rtkit_engine_stats {
	uint64_t received;
	uint64_t refused;	   /* invalid messages and buffer requests */
	uint64_t ioreport_echoed;
	uint64_t syslog_acked;
	uint64_t crashes;
	uint64_t restarts;	   /* HELLOs while running or booting */
};

/* A power-state request waiting for its ACK. */
struct copro_rtkit_pwr_wait {
	bool pending;
	unsigned want;
	int result; /* once !pending: 0, -EPROTO (another state), ... */
};

#define COPRO_RTKIT_ENGINE_SYS_EPS 0x20

/* Private: use the functions below. */
struct copro_rtkit_engine {
	struct copro_rtkit_engine_config cfg;
	enum copro_rtkit_phase phase;
	int boot_err;
	bool boot_claimed;   /* boot() or wake() returned for this run */
	bool iop_on_seen;    /* this handshake saw IOP ON */
	bool powered_off;
	bool crashed;
	bool have_map;	     /* a complete endpoint map this session */
	unsigned version;
	unsigned iop_state, ap_state;
	struct copro_rtkit_pwr_wait ap_wait, iop_wait;
	uint64_t eps[4], started[4];
	struct {
		bool present;
		bool pending; /* asked for, waiting for the glue */
		uint64_t iova, size;
		uint64_t msg; /* the request, for the log */
	} bufs[COPRO_RTKIT_ENGINE_SYS_EPS];
	unsigned syslog_entries, syslog_msg_size;
	uint64_t generation; /* a new one with every HELLO */
	struct copro_rtkit_engine_stats st;
};

COPRO_API void copro_rtkit_engine_init(struct copro_rtkit_engine *e,
			     const struct copro_rtkit_engine_config *cfg);

/* ---- the coprocessor's messages ------------------------------------ */

/* One received message (ep: msg1 7:0 of the mailbox). */
COPRO_API void copro_rtkit_engine_receive(struct copro_rtkit_engine *e, uint8_t ep,
				uint64_t msg, struct copro_rtkit_out *out);
/*
 * Which event types receiving (ep, msg) now could emit, as a mask of
 * 1u << enum copro_rtkit_event_type, without receiving it or changing
 * anything: never less than copro_rtkit_engine_receive would emit in the
 * same state. A glue that can run some events only in some contexts
 * (client callbacks outside interrupt context, say) decides with it
 * where to receive a message.
 */
COPRO_API unsigned copro_rtkit_engine_events_of(const struct copro_rtkit_engine *e,
				  uint8_t ep, uint64_t msg);
/*
 * The outcome of a BUFFER event. err < 0: the glue could not or would not
 * provide it (logged and counted with `why`, which may be NULL). Else the
 * buffer lives at `iova` (the request's when it named one) and is
 * answered unless `answer` is false (a buffer the coprocessor manages in
 * its own memory).
 */
COPRO_API void copro_rtkit_engine_buffer(struct copro_rtkit_engine *e, uint8_t ep,
			       int err, const char *why, uint64_t iova,
			       bool answer, struct copro_rtkit_out *out);

/* ---- the host's requests ------------------------------------------- */

/*
 * Boot: from here the handshake runs as the coprocessor's messages
 * arrive. 1 when it already finished on its own (a HELLO came first),
 * 0 when under way (wait for RUNNING or FAILED), -ECONNRESET crashed,
 * -EBUSY already running, or the error of a handshake that failed
 * before anyone asked.
 */
COPRO_API int copro_rtkit_engine_boot(struct copro_rtkit_engine *e,
			    struct copro_rtkit_out *out);
/*
 * Wake after shutdown, quiesce or idle: SET_IOP_PWR_STATE(wake state).
 * After a reinit the coprocessor starts over from HELLO; after idle it
 * kept its session and answers IOP ON. -EPERM after poweroff, -EBUSY
 * while running or booting, -ECONNRESET crashed.
 */
COPRO_API int copro_rtkit_engine_wake(struct copro_rtkit_engine *e,
			    struct copro_rtkit_out *out);
/*
 * Take over a coprocessor another owner (a bootloader) left running or
 * asleep: see COPRO_RTKIT_PHASE_TAKEOVER. Wait for RUNNING as for boot.
 */
COPRO_API int copro_rtkit_engine_takeover(struct copro_rtkit_engine *e,
				struct copro_rtkit_out *out);
/*
 * SET_AP_PWR_STATE (ap) or SET_IOP_PWR_STATE; its ACK completes
 * copro_rtkit_engine_pwr_wait(e, ap). The coprocessor is not running
 * from here on. -ECONNRESET crashed.
 */
COPRO_API int copro_rtkit_engine_set_power(struct copro_rtkit_engine *e, bool ap,
				 unsigned state, struct copro_rtkit_out *out);
/* Forget everything about the coprocessor (the glue frees its buffers). */
COPRO_API void copro_rtkit_engine_reinit(struct copro_rtkit_engine *e);
/*
 * After quiesce or idle: record both states (the ACKs said so). Ignored
 * while running or booting.
 */
COPRO_API void copro_rtkit_engine_set_states(struct copro_rtkit_engine *e, unsigned ap,
				   unsigned iop);
/* After poweroff: a wake is refused from now on. */
COPRO_API void copro_rtkit_engine_set_powered_off(struct copro_rtkit_engine *e);
/*
 * STARTEP of an application endpoint (nothing to send when it is started
 * already this session). -EINVAL system or unmapped, -ECONNRESET
 * crashed, -ENOTCONN not running. Logged.
 */
COPRO_API int copro_rtkit_engine_start_ep(struct copro_rtkit_engine *e, uint8_t ep,
				struct copro_rtkit_out *out);
/* May the host send to application endpoint ep now? Same errors, and
 * -EINVAL for an endpoint not started. Logged. */
COPRO_API int copro_rtkit_engine_check_send(const struct copro_rtkit_engine *e,
				  uint8_t ep);
/*
 * The glue could not send (ep, msg), which came out of the engine: a
 * handshake message fails the handshake with err, a STARTEP leaves the
 * endpoint not started.
 */
COPRO_API void copro_rtkit_engine_send_failed(struct copro_rtkit_engine *e, uint8_t ep,
				    uint64_t msg, int err);
/*
 * Give up on a boot, wake or takeover under way (its wait timed out):
 * not running, nothing expected. The next boot starts afresh.
 */
COPRO_API void copro_rtkit_engine_abort(struct copro_rtkit_engine *e);

/* ---- state ----------------------------------------------------------- */

COPRO_API enum copro_rtkit_phase copro_rtkit_engine_phase(const struct copro_rtkit_engine *e);
COPRO_API int copro_rtkit_engine_boot_error(const struct copro_rtkit_engine *e);
/* 0 done, -EINPROGRESS waiting, or why it failed. */
COPRO_API int copro_rtkit_engine_pwr_wait(const struct copro_rtkit_engine *e, bool ap);
/* Give up on a power-state request (its wait timed out). */
COPRO_API void copro_rtkit_engine_pwr_cancel(struct copro_rtkit_engine *e, bool ap);
/* Not crashed, and both power states ON (hardware.md 2.1). */
COPRO_API bool copro_rtkit_engine_running(const struct copro_rtkit_engine *e);
COPRO_API bool copro_rtkit_engine_crashed(const struct copro_rtkit_engine *e);
COPRO_API bool copro_rtkit_engine_has_ep(const struct copro_rtkit_engine *e, uint8_t ep);
COPRO_API bool copro_rtkit_engine_started(const struct copro_rtkit_engine *e, uint8_t ep);
COPRO_API unsigned copro_rtkit_engine_version(const struct copro_rtkit_engine *e);
COPRO_API unsigned copro_rtkit_engine_iop_state(const struct copro_rtkit_engine *e);
COPRO_API unsigned copro_rtkit_engine_ap_state(const struct copro_rtkit_engine *e);
COPRO_API uint64_t copro_rtkit_engine_generation(const struct copro_rtkit_engine *e);
/* The buffer of a system endpoint as recorded: false when it has none. */
COPRO_API bool copro_rtkit_engine_buffer_of(const struct copro_rtkit_engine *e,
				  uint8_t ep, uint64_t *iova, uint64_t *size);
COPRO_API void copro_rtkit_engine_get_stats(const struct copro_rtkit_engine *e,
				  struct copro_rtkit_engine_stats *out);

/*
 * A syslog entry (hardware.md 2.5) as copied out of the buffer, `len` bytes
 * (0x20 + msg_size), to one clean line each: text cut at the first NUL
 * and at msg_size, trailing newlines dropped, anything unprintable
 * escaped as \xNN. context needs 4 * 24 + 1 bytes, text 4 * msg_size + 1
 * (COPRO_RTKIT_SYSLOG_TEXT_MAX covers every size). -EINVAL when len is
 * too short for msg_size.
 */
#define COPRO_RTKIT_SYSLOG_CONTEXT_MAX (4 * 24 + 1)
#define COPRO_RTKIT_SYSLOG_TEXT_MAX (4 * 255 + 1)
COPRO_API int copro_rtkit_syslog_entry(const uint8_t *entry, size_t len,
			     unsigned msg_size, char *context, char *text);

#ifdef __cplusplus
}
#endif
#endif
