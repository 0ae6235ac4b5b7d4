/* SPDX-License-Identifier: MIT */
/*
 * The RTKit firmware model: the coprocessor side of hardware.md section 2, run
 * by an ASC model's CPU thread. It plays real firmware faithfully (HELLO
 * with its version range, a possibly multi-chunk endpoint map, buffer
 * requests in the mode each system endpoint uses, syslog, ioreport,
 * oslog, power states) and refuses what real firmware refuses. Crash and
 * hostile-traffic injection let tests make it misbehave on purpose.
 *
 * Application endpoints belong to "apps" plugged in by other models (the
 * ANS2 NVMe firmware): they are told when the coprocessor is up, receive
 * their endpoints' messages on the CPU thread and may send.
 *
 * All calls are thread-safe; injections are queued to the CPU thread and
 * happen while the firmware runs (they are dropped, and counted, while
 * the CPU is stopped). An injection call returns 0 once queued,
 * -ESHUTDOWN when dropped, -EAGAIN when 32 are already waiting.
 *
 * For observers: a state change (power states, up, stalled, crashed) is
 * in effect before the message that announces it is sent, and a count
 * (refused, sart_blocked) moves only after its log line was written.
 */
#ifndef COPRO_SIM_RTKIT_FW_H
#define COPRO_SIM_RTKIT_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>
#include <copro/sim/asc_model.h>
#include <copro/sim/crashlog_writer.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_sim_rtkit;
struct copro_sim_sart;

/* How a system endpoint asks the AP for its buffer (hardware.md 2.3). */
enum copro_sim_rtkit_buf {
	COPRO_SIM_RTKIT_BUF_NONE,  /* the endpoint asks for no buffer */
	COPRO_SIM_RTKIT_BUF_HOST,  /* IOVA 0: the AP allocates */
	COPRO_SIM_RTKIT_BUF_IOVA,  /* a coprocessor-chosen IOVA */
	COPRO_SIM_RTKIT_BUF_MMIO,  /* inside the coprocessor's SRAM window */
};

struct copro_sim_rtkit_app {
	void *ctx;
	/*
	 * The coprocessor reached IOP ON (the end of its boot, with or
	 * without the AP's AP ON); the app may start.
	 */
	void (*up)(void *ctx, struct copro_sim_rtkit *fw);
	/* It left IOP ON (sleep, quiesce, idle, off, crash, CPU stopped). */
	void (*down)(void *ctx, struct copro_sim_rtkit *fw);
	/* A message for one of its endpoints, on the CPU thread. */
	void (*recv)(void *ctx, struct copro_sim_rtkit *fw, uint8_t ep,
		     uint64_t msg);
};

struct copro_sim_rtkit_config {
	const char *name;		/* for logs; NULL: the ASC's name */
	unsigned ver_min, ver_max;	/* 0, 0: 11, 12 */
	/*
	 * Endpoints the map announces. All zero: the system endpoints
	 * 1, 2, 3, 4, 8 plus app_eps. A map with an endpoint >= 32 takes
	 * several EPMAP chunks.
	 */
	uint8_t endpoints[32];		/* bitmap, bit ep */
	/*
	 * Buffer mode of crashlog, syslog, ioreport and oslog (NONE: the
	 * endpoint asks for no buffer). oslog asks with its own layout, the
	 * buffer-request scheme of supported firmware (M1, M1 Pro/Max).
	 */
	enum copro_sim_rtkit_buf crashlog_buf, syslog_buf, ioreport_buf;
	enum copro_sim_rtkit_buf oslog_buf;
	/*
	 * Test option: oslog sends the old INIT and wants ACK instead (never
	 * seen on supported firmware; for the host's tolerance of it).
	 */
	bool oslog_init_ack;
	/*
	 * System endpoints that must be started before the IOP reports ON,
	 * bit per endpoint (1 to 31), among those in the map. 0: every one
	 * of crashlog, syslog, debug, ioreport and oslog in the map (Linux
	 * starts them all, "without starting these RTKit refuses to
	 * boot"). The ANS2 firmware needs crashlog, ioreport and oslog only:
	 * u-boot starts no others and boots real M1 machines.
	 */
	uint32_t required_eps;
	unsigned buf_pages;		/* each buffer; 0: 4 (16 KiB) */
	uint64_t iova_base;		/* IOVA mode: buffers placed from here */
	/*
	 * MMIO mode: the coprocessor SRAM window the model registers on
	 * the bus (32-bit accesses only) and places buffers in.
	 */
	uint64_t sram_phys, sram_size;
	unsigned syslog_entries, syslog_msg_size; /* 0: 8, 0x80 */
	uint64_t syslog_period_ns;	/* 0: only on demand */
	uint64_t ioreport_period_ns;	/* 0: only on demand */
	/* Filters the firmware's DMA to host-allocated buffers; may be NULL. */
	struct copro_sim_sart *sart;
	/* Application endpoints' owner; may be NULL. */
	const struct copro_sim_rtkit_app *app;
	uint8_t app_eps[8];		/* its endpoints (0 ends the list) */
	/*
	 * How long an ioreport message that needs an echo may stay
	 * unechoed before the firmware stalls; 0: 2 s.
	 */
	uint64_t ioreport_timeout_ns;
};

/*
 * Install the model as `asc`'s firmware (the CPU must be stopped). The
 * config is copied. copro_sim_rtkit_destroy before the ASC model goes:
 * it stops the CPU if it still runs (warning) and unloads the firmware,
 * so the ASC is left with none. In MMIO mode the SRAM window is on the
 * bus from create to destroy.
 */
COPRO_API int copro_sim_rtkit_create(struct copro_sim_asc *asc,
				     const struct copro_sim_rtkit_config *cfg,
				     struct copro_sim_rtkit **out);
COPRO_API void copro_sim_rtkit_destroy(struct copro_sim_rtkit *fw);
/*
 * Plug in (or, with NULL, remove) the application side after creation,
 * while the CPU is stopped; `eps` lists its endpoints, 0-terminated, at
 * most 8 (NULL: keep the config's app_eps). -EBUSY while the CPU runs,
 * -EINVAL for a system endpoint in `eps`.
 */
COPRO_API int copro_sim_rtkit_set_app(struct copro_sim_rtkit *fw,
				      const struct copro_sim_rtkit_app *app,
				      const uint8_t *eps);

/* For apps, on the CPU thread: send on one of their endpoints. */
COPRO_API int copro_sim_rtkit_send(struct copro_sim_rtkit *fw, uint8_t ep,
				   uint64_t msg);
/* Write/read a DMA buffer as this coprocessor (through its SART filter). */
COPRO_API int copro_sim_rtkit_dma_read(struct copro_sim_rtkit *fw,
				       uint64_t iova, void *dst, size_t len);
COPRO_API int copro_sim_rtkit_dma_write(struct copro_sim_rtkit *fw,
					uint64_t iova, const void *src,
					size_t len);

/* ---- state ---------------------------------------------------------- */

/* Booted and both power states ON. */
COPRO_API bool copro_sim_rtkit_is_up(const struct copro_sim_rtkit *fw);
/*
 * The firmware restarts on its own now (as after a watchdog): it forgets
 * its session and says HELLO again, as a CPU start would, without one.
 * Queued like the other injections.
 */
COPRO_API int copro_sim_rtkit_restart(struct copro_sim_rtkit *fw);
COPRO_API unsigned copro_sim_rtkit_iop_state(const struct copro_sim_rtkit *fw);
COPRO_API unsigned copro_sim_rtkit_ap_state(const struct copro_sim_rtkit *fw);
COPRO_API bool copro_sim_rtkit_crashed(const struct copro_sim_rtkit *fw);
/* An ioreport message was not echoed in time: the firmware is stuck. */
COPRO_API bool copro_sim_rtkit_stalled(const struct copro_sim_rtkit *fw);

struct copro_sim_rtkit_stats {
	uint64_t boots;
	uint64_t refused;	   /* AP messages real firmware refuses */
	uint64_t syslog_sent, syslog_acked;
	uint64_t ioreport_sent, ioreport_echoed;
	uint64_t sart_blocked;	   /* DMA the SART filter stopped */
	uint64_t injections_dropped; /* queued while the CPU was stopped */
	uint64_t app_messages;
};
COPRO_API void copro_sim_rtkit_get_stats(const struct copro_sim_rtkit *fw,
					 struct copro_sim_rtkit_stats *out);

/* ---- on-demand traffic and faults ----------------------------------- */

/* A syslog line (context up to 23 chars, text cut at the entry size). */
COPRO_API int copro_sim_rtkit_syslog(struct copro_sim_rtkit *fw,
				     const char *context, const char *text);
/* An ioreport message of the given type (8 and 0xc need an echo). */
COPRO_API int
copro_sim_rtkit_ioreport(struct copro_sim_rtkit *fw, unsigned type);

/* Faults the host must survive. */
enum copro_sim_rtkit_fault {
	COPRO_SIM_RTKIT_FAULT_NO_HELLO,	     /* silent after RUN */
	COPRO_SIM_RTKIT_FAULT_NO_EPMAP_LAST, /* the map never ends */
	COPRO_SIM_RTKIT_FAULT_NO_IOP_ON,     /* never reports IOP ON */
	COPRO_SIM_RTKIT_FAULT_NO_AP_ACK,     /* SET_AP_PWR_STATE unanswered */
	COPRO_SIM_RTKIT_FAULT_NO_IOP_ACK,    /* SET_IOP_PWR_STATE unanswered */
	COPRO_SIM_RTKIT_FAULT_COUNT
};
/* Armed faults stay until cleared. */
COPRO_API void copro_sim_rtkit_set_fault(struct copro_sim_rtkit *fw,
					 enum copro_sim_rtkit_fault f, bool on);

/*
 * Crash now: write a crashlog into the crashlog buffer (Cstr with
 * `message`, Cver, Ctim, Cmbx with the real recent mailbox history,
 * Crg8), corrupted with an enum copro_sim_crashlog_corruption kind
 * unless `corrupt` is negative, and send the crash message. The firmware then stops
 * answering. -ENOENT when no crashlog buffer was set up (it still dies,
 * without telling the AP); judged when called, the crash itself runs on
 * the CPU thread right after.
 *
 * Cmbx holds the last 32 messages, both directions, oldest first, and
 * its index word the number of entries; msg1 is the mailbox's msg1
 * (endpoint in 7:0) with bit 32 set for messages the coprocessor sent.
 */
COPRO_API int copro_sim_rtkit_crash(struct copro_sim_rtkit *fw,
				    const char *message, int corrupt);

/* Hostile traffic, each kind one burst of malformed messages. */
enum copro_sim_rtkit_hostile {
	COPRO_SIM_RTKIT_HOSTILE_UNKNOWN_EP,	/* unmapped endpoints */
	COPRO_SIM_RTKIT_HOSTILE_UNKNOWN_TYPE,	/* unknown types per system ep */
	COPRO_SIM_RTKIT_HOSTILE_SYSLOG_INDEX,	/* LOG index >= entries */
	COPRO_SIM_RTKIT_HOSTILE_SYSLOG_TEXT,	/* unterminated, huge, binary */
	COPRO_SIM_RTKIT_HOSTILE_BUF_ZERO,	/* buffer request of size 0 */
	COPRO_SIM_RTKIT_HOSTILE_BUF_HUGE,	/* absurd size */
	COPRO_SIM_RTKIT_HOSTILE_BUF_DUP,	/* second request, same ep */
	COPRO_SIM_RTKIT_HOSTILE_BUF_BAD_IOVA,	/* IOVA outside any window */
	/* Endpoint maps out of sequence (a HELLO is a restart, not hostile). */
	COPRO_SIM_RTKIT_HOSTILE_MGMT,
	COPRO_SIM_RTKIT_HOSTILE_COUNT
};
COPRO_API int copro_sim_rtkit_hostile(struct copro_sim_rtkit *fw,
				      enum copro_sim_rtkit_hostile kind);
COPRO_API const char
*copro_sim_rtkit_hostile_name(enum copro_sim_rtkit_hostile kind);

#ifdef __cplusplus
}
#endif
#endif
