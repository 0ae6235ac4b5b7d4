/* SPDX-License-Identifier: MIT */
/*
 * The RTKit firmware model's insides, shared by its files:
 *   rtkit_fw.c          lifecycle, the CPU thread's loop, sending, state
 *   rtkit_fw_inject.c   the injection queue and the on-demand calls
 *   rtkit_fw_mgmt.c     management endpoint: boot handshake, power states
 *   rtkit_fw_buf.c      shared buffers in their four modes, DMA, SRAM
 *   rtkit_fw_log.c      syslog, ioreport, oslog
 *   rtkit_fw_crash.c    mailbox history and crash injection
 *   rtkit_fw_hostile.c  malformed traffic on purpose
 *
 * Threads: everything not atomic below belongs to the CPU thread (the
 * ASC model's firmware thread running fw_run). Other threads read the
 * published atomics, arm faults, and queue injections that the CPU thread
 * executes; the history ring and the SRAM have their own locks because
 * apps may send and the host reads SRAM from other threads.
 */
#ifndef COPRO_SIM_RTKIT_FW_INTERNAL_H
#define COPRO_SIM_RTKIT_FW_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/log.h>
#include <copro/os.h>
#include <copro/regs/rtkit.h>
#include <copro/sim/rtkit_fw.h>

#define FW_EP_CRASHLOG 0x01
#define FW_EP_SYSLOG 0x02
#define FW_EP_DEBUG 0x03
#define FW_EP_IOREPORT 0x04
#define FW_EP_OSLOG 0x08
#define FW_APP_EP_START 0x20

#define FW_PWR_OFF 0x000
#define FW_PWR_SLEEP 0x001
#define FW_PWR_QUIESCED 0x010
#define FW_PWR_ON 0x020
#define FW_PWR_IDLE 0x201
#define FW_PWR_INIT 0x220

#define FW_QUEUE_LEN 32
#define FW_TEXT_MAX 256		/* syslog text or crash message, with NUL */
#define FW_HISTORY_LEN 32	/* mailbox messages kept for Cmbx */
#define FW_IOREPORT_PENDING 16	/* echoes awaited at once */
#define FW_MAX_APP_EPS 8
#define FW_SYSLOG_HELD 8	/* lines waiting for the AP to be able to read */
#define FW_SYSLOG_MAX_STRIDE (RTK_SYSLOG_ENTRY_HDR + 0xff)

/* Cmbx entries: msg1 bit 32 marks a message the coprocessor sent. */
#define FW_HISTORY_FROM_IOP (1ull << 32)

enum fw_buf_id { FWB_CRASHLOG, FWB_SYSLOG, FWB_IOREPORT, FWB_OSLOG, FWB_COUNT };

enum fw_buf_state { FB_NONE, FB_WAIT, FB_READY };

struct fw_buf {
	enum copro_sim_rtkit_buf mode;
	enum fw_buf_state state;
	uint64_t iova;	/* as the coprocessor addresses it */
	uint64_t size;	/* bytes */
};

/* Where the handshake is; power states are kept beside it. */
enum fw_phase {
	PH_HELLO,	/* HELLO sent, waiting for HELLO_REPLY */
	PH_EPMAP,	/* an EPMAP chunk sent, waiting for its reply */
	PH_STARTEP,	/* map acknowledged, waiting for the system endpoints */
	PH_BOOTED,	/* every system endpoint started */
	PH_ASLEEP,	/* IOP SLEEP or QUIESCED: only a wake is accepted */
	PH_IDLE,	/* IOP IDLE: asleep, keeping the session */
	PH_OFF,		/* IOP OFF: refuses to wake until the CPU restarts */
	PH_SILENT,	/* no HELLO, bad version, crashed or stalled */
};

enum fw_inj_kind { INJ_SYSLOG, INJ_IOREPORT, INJ_CRASH, INJ_HOSTILE, INJ_RESTART };

struct fw_inj {
	enum fw_inj_kind kind;
	int arg; /* ioreport type, crash corruption, hostile kind */
	char context[RTK_SYSLOG_CONTEXT_SIZE];
	char text[FW_TEXT_MAX];
};

struct fw_hist {
	uint64_t msg0, msg1;
	uint32_t timestamp;
};

struct fw_echo {
	uint64_t msg;
	uint64_t deadline;
};

struct copro_sim_rtkit {
	struct copro_logdev ld;
	struct copro_sim_asc *asc;
	struct copro_bus *bus;
	struct copro_sim_rtkit_config cfg; /* defaults filled in */
	char name[64];
	char who[96];			/* DMA master, for bus and SART logs */
	uint64_t buf_size;		/* bytes per buffer */

	/* The application side; changed only while the CPU is stopped. */
	struct copro_sim_rtkit_app app;
	bool have_app;
	uint8_t app_eps[FW_MAX_APP_EPS];
	unsigned n_app_eps;

	/* ---- CPU thread only ---- */
	uint8_t map[32];		/* endpoint bitmap announced this boot */
	uint8_t started[32];
	enum fw_phase phase;
	unsigned version;
	unsigned epmap_base, epmap_last; /* chunk in flight, last chunk */
	uint64_t epmap_sent;		/* the chunk in flight, to check replies */
	bool iop_on;			/* booted, IOP ON: the app runs */
	bool ap_on;			/* the AP's state is ON */
	bool waking;			/* handshake answers a wake request */
	bool boot_counted;		/* stats.boots counted this handshake */
	struct fw_buf bufs[FWB_COUNT];
	bool oslog_init_pending;	/* old scheme: INIT sent, no ACK yet */
	/* syslog ring */
	unsigned syslog_next;
	uint8_t syslog_pending[32];	/* bitmap of entries awaiting an ack */
	uint64_t syslog_seq;
	uint64_t next_syslog_ns;
	uint8_t held[FW_SYSLOG_HELD][FW_SYSLOG_MAX_STRIDE];
	unsigned n_held;
	/* ioreport */
	struct fw_echo echoes[FW_IOREPORT_PENDING];
	unsigned n_echoes;
	uint32_t ioreport_seq;
	uint64_t next_ioreport_ns;

	/* ---- published ---- */
	_Atomic uint64_t start_ns;	/* CPU start, for history timestamps */
	_Atomic unsigned iop_state, ap_state;
	_Atomic bool up; /* IOP and AP both ON */
	_Atomic bool crashed, stalled, crashlog_ready;
	_Atomic uint32_t faults;	/* bit per enum copro_sim_rtkit_fault */
	struct {
		_Atomic uint64_t boots, refused, syslog_sent, syslog_acked;
		_Atomic uint64_t ioreport_sent, ioreport_echoed, sart_blocked;
		_Atomic uint64_t injections_dropped, app_messages;
	} st;

	/* ---- injections, any thread to the CPU thread ---- */
	struct copro_mutex q_lock;
	struct fw_inj q[FW_QUEUE_LEN];
	unsigned q_head, q_n;

	/* ---- mailbox history: the CPU thread and app senders ---- */
	struct copro_mutex hist_lock;
	struct fw_hist hist[FW_HISTORY_LEN];
	uint64_t hist_n;		/* messages recorded since CPU start */

	/* ---- MMIO buffer mode: the SRAM window, read by the host ---- */
	struct copro_mutex sram_lock;
	uint8_t *sram;
	bool sram_on_bus;
	char sram_region_name[96];
};

#define fw_stat_inc(fw, field)                                               \
	atomic_fetch_add_explicit(&(fw)->st.field, 1, memory_order_relaxed)

static inline bool fw_bit(const uint8_t *map, unsigned ep)
{
	return map[ep / 8] & (1u << (ep % 8));
}

static inline void fw_set_bit(uint8_t *map, unsigned ep)
{
	map[ep / 8] |= (uint8_t)(1u << (ep % 8));
}

static inline bool fw_fault(const struct copro_sim_rtkit *fw,
			    enum copro_sim_rtkit_fault f)
{
	return atomic_load(&fw->faults) & (1u << f);
}

/* rtkit_fw.c */
int fw_send(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg);
void fw_refuse(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
uint32_t fw_timestamp(const struct copro_sim_rtkit *fw);
void fw_set_iop_on(struct copro_sim_rtkit *fw, bool on);
void fw_set_ap_on(struct copro_sim_rtkit *fw, bool on);
void fw_go_silent(struct copro_sim_rtkit *fw);
/* Start over as a CPU start would, without one (a watchdog restart). */
void fw_restart(struct copro_sim_rtkit *fw);
bool fw_is_app_ep(const struct copro_sim_rtkit *fw, uint8_t ep);

/* rtkit_fw_inject.c */
void fw_run_injections(struct copro_sim_rtkit *fw);
void fw_drain_injections(struct copro_sim_rtkit *fw);

/* rtkit_fw_mgmt.c */
void fw_mgmt_boot(struct copro_sim_rtkit *fw);
void fw_mgmt_rx(struct copro_sim_rtkit *fw, uint64_t msg);
void fw_mgmt_startep(struct copro_sim_rtkit *fw, uint64_t msg);
const char *fw_pwr_name(unsigned state);

/* rtkit_fw_buf.c */
int fw_buf_config(struct copro_sim_rtkit *fw);
int fw_sram_add(struct copro_sim_rtkit *fw);
void fw_sram_remove(struct copro_sim_rtkit *fw);
void fw_buf_reset(struct copro_sim_rtkit *fw);
void fw_buf_request(struct copro_sim_rtkit *fw, enum fw_buf_id id);
void fw_buf_reply(struct copro_sim_rtkit *fw, enum fw_buf_id id, uint8_t ep,
		  uint64_t msg);
int fw_buf_write(struct copro_sim_rtkit *fw, enum fw_buf_id id, uint64_t off,
		 const void *src, size_t len);
uint64_t fw_buf_slot_iova(const struct copro_sim_rtkit *fw, enum fw_buf_id id);
const char *fw_buf_name(enum fw_buf_id id);

/* rtkit_fw_log.c */
void fw_log_start_ep(struct copro_sim_rtkit *fw, uint8_t ep);
void fw_log_rx(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg);
void fw_syslog_line(struct copro_sim_rtkit *fw, const char *context,
		    const char *text);
size_t fw_syslog_stride(const struct copro_sim_rtkit *fw);
int fw_syslog_emit(struct copro_sim_rtkit *fw, const void *entry);
/* Sends the held lines if the AP can read them now. */
void fw_syslog_flush(struct copro_sim_rtkit *fw);
void fw_ioreport_send(struct copro_sim_rtkit *fw, unsigned type);
void fw_log_timers(struct copro_sim_rtkit *fw, uint64_t now,
		   uint64_t *next_wake);
void fw_log_reset(struct copro_sim_rtkit *fw);
void fw_log_schedule(struct copro_sim_rtkit *fw);

/* rtkit_fw_crash.c */
void fw_hist_record(struct copro_sim_rtkit *fw, uint8_t ep, uint64_t msg,
		    bool from_iop);
void fw_hist_reset(struct copro_sim_rtkit *fw);
void fw_crash(struct copro_sim_rtkit *fw, const char *message, int corrupt);

/* rtkit_fw_hostile.c */
void fw_hostile(struct copro_sim_rtkit *fw, enum copro_sim_rtkit_hostile kind);

#endif
