/* SPDX-License-Identifier: MIT */
/*
 * The Gunyah hypervisor model (hardware.md 6, docs/hyp.md): VMs with
 * capability tables, message queues and doorbells reached by hypercall
 * through each VM's HVC conduit, level virtual interrupts on each VM's
 * interrupt lines, and a resource-manager VM (a thread, the RM's CPU)
 * that creates, starts and tears down VMs over its RPC.
 *
 * Every VM is a machine of its own: the primary VM is the board the
 * model was created on; a VM the RM creates gets a machine when the host
 * attaches a platform to it (its CPUs, its interrupt lines, its HVC).
 */
#ifndef COPRO_SIM_HYP_H
#define COPRO_SIM_HYP_H

#include <stdbool.h>
#include <stdint.h>

#include <copro/export.h>

#include <copro/platform.h>
#include <copro/sim/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

struct copro_sim_hyp;

#define COPRO_SIM_HYP_PRIMARY_VMID 3
#define COPRO_SIM_HYP_RM_VMID 0xff
#define COPRO_SIM_HYP_COMPATIBLE "gunyah-hypervisor"
#define COPRO_SIM_HYP_RM_COMPATIBLE "gunyah-resource-manager"

/*
 * `node` is the "gunyah-hypervisor" node; its "gunyah-resource-manager"
 * child gives the primary VM's RM queues (reg: TX and RX capability ids)
 * and their interrupts, as a Linux guest reads them.
 */
COPRO_API int copro_sim_hyp_create(struct copro_bus *bus, int node,
				   struct copro_sim_hyp **out);
COPRO_API void copro_sim_hyp_destroy(struct copro_sim_hyp *h);

/* What the RM tells a VM about its own RM queues (its devicetree node). */
struct copro_sim_hyp_rm_desc {
	uint64_t tx_capid, rx_capid;
	unsigned tx_virq, rx_virq;
};
/*
 * Give VM `vmid` (allocated by the RM) its machine: hypercalls through
 * `bus`'s HVC conduit act as that VM, its interrupts drive `bus`'s lines.
 * -ENOENT for no such VM, -EBUSY when it has one.
 */
COPRO_API int copro_sim_hyp_attach(struct copro_sim_hyp *h, uint16_t vmid,
				   struct copro_bus *bus,
				   struct copro_sim_hyp_rm_desc *out);
/* Take the machine away again (before destroying that bus). */
COPRO_API void copro_sim_hyp_detach(struct copro_sim_hyp *h, uint16_t vmid);

/*
 * Links between VMs the RM starts: a message queue each way and a
 * doorbell each way. Depth < 256, message size < 1024 (-EINVAL
 * otherwise, as the hypervisor's configure refuses them).
 */
COPRO_API int copro_sim_hyp_set_link_queues(struct copro_sim_hyp *h, unsigned depth,
					    unsigned msg_size);

/* ---- fault injection ------------------------------------------------- */

/*
 * The queue behind `capid` in `vmid`'s table stalls: receive answers
 * EMPTY and the receive interrupt stays low until it is released.
 */
COPRO_API int copro_sim_hyp_msgq_stall(struct copro_sim_hyp *h, uint16_t vmid,
				       uint64_t capid, bool stall);
/*
 * The next `n` receives on the queue behind `capid` that find a message
 * fail with the hypervisor error `err` (a COPRO_GH_* code other than OK,
 * MSGQUEUE_EMPTY and copro's own BAD_RESULT; -EINVAL otherwise, a number
 * that is no error included); the message stays queued and
 * the interrupt asserted. -ENOENT if there is no such queue.
 */
COPRO_API int copro_sim_hyp_msgq_fail_recv(struct copro_sim_hyp *h,
					   uint16_t vmid, uint64_t capid,
					   int64_t err, unsigned n);
/* The next `n` interrupt assertions towards `vmid` are lost. */
COPRO_API void copro_sim_hyp_lose_irqs(struct copro_sim_hyp *h, uint16_t vmid,
				       unsigned n);
/*
 * `vmid` disappears now, as if it crashed: its objects go, every
 * capability to them is revoked, and the RM tells its owner and peers
 * (VM_EXITED, VM_STATUS). -ENOENT if not running.
 */
COPRO_API int copro_sim_hyp_vm_crash(struct copro_sim_hyp *h, uint16_t vmid);

/* ---- observation ------------------------------------------------------ */

/* One line per hypercall, virq edge and RM message, from any thread. */
typedef void (*copro_sim_hyp_trace_fn)(void *ctx, const char *line);
COPRO_API void copro_sim_hyp_set_trace(struct copro_sim_hyp *h, copro_sim_hyp_trace_fn fn,
				       void *ctx);

struct copro_sim_hyp_stats {
	uint64_t hypercalls, hypercall_errors;
	uint64_t msgq_sent, msgq_received, msgq_full, msgq_empty;
	uint64_t bell_sent, bell_received;
	uint64_t virq_asserted, virq_lost;
	uint64_t rm_requests, rm_replies, rm_notifications, rm_dropped;
	uint64_t vms_created, vms_destroyed;
};
COPRO_API void copro_sim_hyp_get_stats(struct copro_sim_hyp *h,
				       struct copro_sim_hyp_stats *out);

#ifdef __cplusplus
}
#endif
#endif
