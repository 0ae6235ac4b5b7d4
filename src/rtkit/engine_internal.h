/* SPDX-License-Identifier: MIT */
/*
 * Shared between the RTKit engine's files (see rtkit_engine.h):
 *   engine.c       init, outputs, logging, routing, state queries
 *   engine_mgmt.c  the management endpoint: HELLO, EPMAP, power ACKs,
 *                  restarts and takeover
 *   engine_life.c  the host's requests: boot, wake, takeover, power
 *                  states, reinit, application endpoints
 *   engine_sys.c   crashlog, syslog, ioreport, oslog and buffer requests
 */
#ifndef COPRO_RTKIT_ENGINE_INTERNAL_H
#define COPRO_RTKIT_ENGINE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <copro/rtkit_engine.h>

/* engine.c */
void eng_vlog(const struct copro_rtkit_engine *e, enum copro_log_level level,
	      const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
void eng_log(const struct copro_rtkit_engine *e, enum copro_log_level level,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Counts a refused message and logs why. */
void eng_refuse(struct copro_rtkit_engine *e, uint8_t ep, uint64_t msg,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void eng_send(struct copro_rtkit_engine *e, struct copro_rtkit_out *out,
	      uint8_t ep, uint64_t msg);
void eng_emit(struct copro_rtkit_engine *e, struct copro_rtkit_out *out,
	      const struct copro_rtkit_event *ev);
void eng_out_init(struct copro_rtkit_out *out);
bool eng_bit(const uint64_t *set, uint8_t ep);
void eng_set_bit(uint64_t *set, uint8_t ep);
void eng_clear_bit(uint64_t *set, uint8_t ep);
void eng_set_phase(struct copro_rtkit_engine *e, enum copro_rtkit_phase phase);
/* HELLO answered, the handshake not finished. */
bool eng_handshaking(const struct copro_rtkit_engine *e);
/* Waiting for the coprocessor to reach RUNNING in any way. */
bool eng_booting(const struct copro_rtkit_engine *e);
void eng_boot_fail(struct copro_rtkit_engine *e, int err);

/* engine_mgmt.c */
void eng_mgmt_rx(struct copro_rtkit_engine *e, uint64_t msg,
		 struct copro_rtkit_out *out);
/* SET_{AP,IOP}_PWR_STATE(state). */
void eng_send_pwr(struct copro_rtkit_engine *e, struct copro_rtkit_out *out,
		  bool ap, unsigned state);
/* Forget the session's map, endpoints and buffers (FREE_BUFFERS). */
void eng_forget_session(struct copro_rtkit_engine *e,
			struct copro_rtkit_out *out);

/* engine_sys.c */
void eng_crashlog_rx(struct copro_rtkit_engine *e, uint64_t msg,
		     struct copro_rtkit_out *out);
void eng_syslog_rx(struct copro_rtkit_engine *e, uint64_t msg,
		   struct copro_rtkit_out *out);
void eng_ioreport_rx(struct copro_rtkit_engine *e, uint64_t msg,
		     struct copro_rtkit_out *out);
void eng_oslog_rx(struct copro_rtkit_engine *e, uint64_t msg,
		  struct copro_rtkit_out *out);
/*
 * A system endpoint's message while this session has no map (a
 * coprocessor left running by another owner): what must be answered for
 * the coprocessor to make progress is answered. False: refuse it.
 */
bool eng_unmapped_sys_rx(struct copro_rtkit_engine *e, uint8_t ep,
			 uint64_t msg, struct copro_rtkit_out *out);

#endif
