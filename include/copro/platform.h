/* SPDX-License-Identifier: MIT */
/*
 * The platform: the machine a board's drivers run on, as an embedder
 * holds it. Whoever owns the machine creates it (an emulated board of
 * libcopro-sim: copro_board_platform(); a backend of one's own:
 * <copro/driver/backend.h>) and hands it to the drivers' probe calls.
 * What drivers ask of it (registers, interrupts, DMA memory, resets,
 * power, firmware calls) is in <copro/driver/platform.h>.
 *
 * Threaded or polled: one rule for the whole stack. The backend decides,
 * once, whether the platform has an interrupt thread
 * (copro_platform_threaded()). On a threaded platform every framework
 * above it (mailbox, RTKit, NVMe) runs its own workers and calls its
 * clients back from them. On an unthreaded one nothing above it starts a
 * thread: interrupt handlers, deferred messages, RTKit and NVMe
 * completions run only inside the caller's poll calls
 * (copro_platform_poll(), copro_mbox_poll(), copro_rtkit_poll(),
 * copro_nvme_poll()), and blocking calls poll while they wait. There is
 * no per-object switch.
 */
#ifndef COPRO_PLATFORM_H
#define COPRO_PLATFORM_H

#include <stdbool.h>

#include <copro/export.h>
#include <copro/dt.h>
#include <copro/log.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_platform;

COPRO_API const struct copro_dt
*copro_platform_dt(const struct copro_platform *p);
COPRO_API struct copro_log *copro_platform_log(const struct copro_platform *p);
/* false: no host threads at all (see the rule above). */
COPRO_API bool copro_platform_threaded(const struct copro_platform *p);

/*
 * Polled mode: run the handlers of every asserted, enabled interrupt line
 * (repeatedly while they stay asserted, at most a bounded number of
 * rounds). Returns the number of handler calls. Safe from any thread;
 * handlers never run concurrently with themselves.
 */
COPRO_API int copro_platform_poll(struct copro_platform *p);

/*
 * Busy-polling on a threaded platform: between hold(true) and hold(false)
 * the caller keeps calling copro_platform_poll (a waiter spinning for a
 * reply, as SO_BUSY_POLL does for a socket), so an interrupt that rises
 * meanwhile need not wake the interrupt thread: the caller's next poll
 * runs its handler, and hold(false) looks once more before it returns,
 * handing whatever is still up to the interrupt thread. Holds from
 * several threads count. Does nothing without threads, or on a backend
 * that has no interrupt thread to spare.
 */
COPRO_API void copro_platform_poll_hold(struct copro_platform *p, bool on);

#ifdef __cplusplus
}
#endif
#endif
