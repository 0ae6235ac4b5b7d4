// SPDX-License-Identifier: MIT
/*
 * Gunyah hypercalls through the platform's HVC conduit, and what their
 * results mean. The hypervisor is untrusted like any firmware: results
 * are checked before they are believed (a size above the buffer, a
 * boolean that is neither 0 nor 1).
 */
#include <errno.h>
#include <string.h>

#include <copro/driver/platform.h>
#include <copro/gunyah.h>

static int64_t hvc(struct copro_platform *p, unsigned call,
		   struct copro_smccc_regs *r)
{
	r->x[0] = COPRO_GH_FN(call);
	if (copro_fw_call(p, COPRO_CONDUIT_HVC, r, r) < 0)
		return COPRO_GH_UNIMPLEMENTED;
	return (int64_t)r->x[0];
}

const char *copro_gh_error_name(int64_t err)
{
	switch (err) {
	case COPRO_GH_OK: return "OK";
	case COPRO_GH_UNIMPLEMENTED: return "UNIMPLEMENTED";
	case COPRO_GH_RETRY: return "RETRY";
	case COPRO_GH_ARG_INVAL: return "ARGUMENT_INVALID";
	case COPRO_GH_ARG_SIZE: return "ARGUMENT_SIZE";
	case COPRO_GH_ARG_ALIGN: return "ARGUMENT_ALIGNMENT";
	case COPRO_GH_NOMEM: return "NOMEM";
	case COPRO_GH_ADDR_OVFL: return "ADDR_OVERFLOW";
	case COPRO_GH_ADDR_UNFL: return "ADDR_UNDERFLOW";
	case COPRO_GH_ADDR_INVAL: return "ADDR_INVALID";
	case COPRO_GH_DENIED: return "DENIED";
	case COPRO_GH_BUSY: return "BUSY";
	case COPRO_GH_IDLE: return "IDLE";
	case COPRO_GH_IRQ_BOUND: return "IRQ_BOUND";
	case COPRO_GH_IRQ_UNBOUND: return "IRQ_UNBOUND";
	case COPRO_GH_CSPACE_CAP_NULL: return "CSPACE_CAP_NULL";
	case COPRO_GH_CSPACE_CAP_REVOKED: return "CSPACE_CAP_REVOKED";
	case COPRO_GH_CSPACE_WRONG_OBJ_TYPE: return "CSPACE_WRONG_OBJECT_TYPE";
	case COPRO_GH_CSPACE_INSUF_RIGHTS: return "CSPACE_INSUF_RIGHTS";
	case COPRO_GH_CSPACE_FULL: return "CSPACE_FULL";
	case COPRO_GH_MSGQUEUE_EMPTY: return "MSGQUEUE_EMPTY";
	case COPRO_GH_MSGQUEUE_FULL: return "MSGQUEUE_FULL";
	case COPRO_GH_BAD_RESULT: return "malformed result (copro)";
	}
	return "unknown";
}

int copro_gh_errno(int64_t err)
{
	switch (err) {
	case COPRO_GH_OK:
		return 0;
	case COPRO_GH_UNIMPLEMENTED:
	case COPRO_GH_RETRY:
		return -EOPNOTSUPP;
	case COPRO_GH_NOMEM:
		return -ENOMEM;
	case COPRO_GH_CSPACE_CAP_NULL:
	case COPRO_GH_CSPACE_CAP_REVOKED:
		return -ENODEV;
	case COPRO_GH_DENIED:
	case COPRO_GH_CSPACE_WRONG_OBJ_TYPE:
	case COPRO_GH_CSPACE_INSUF_RIGHTS:
	case COPRO_GH_CSPACE_FULL:
		return -EACCES;
	case COPRO_GH_BUSY:
	case COPRO_GH_IDLE:
		return -EBUSY;
	case COPRO_GH_MSGQUEUE_FULL:
	case COPRO_GH_MSGQUEUE_EMPTY:
		return -EAGAIN;
	case COPRO_GH_ARG_SIZE:
		return -EMSGSIZE;
	case COPRO_GH_ARG_INVAL:
	case COPRO_GH_ARG_ALIGN:
	case COPRO_GH_ADDR_OVFL:
	case COPRO_GH_ADDR_UNFL:
	case COPRO_GH_ADDR_INVAL:
	case COPRO_GH_IRQ_BOUND:
	case COPRO_GH_IRQ_UNBOUND:
		return -EINVAL;
	}
	return -EPROTO;
}

int64_t copro_gh_identify(struct copro_platform *p,
			  struct copro_gh_identity *out)
{
	struct copro_smccc_regs r = { { 0 } };
	int64_t e;

	r.x[0] = COPRO_GH_FN(COPRO_GH_CALL_IDENTIFY);
	if (copro_fw_call(p, COPRO_CONDUIT_HVC, &r, &r) < 0)
		return COPRO_GH_UNIMPLEMENTED;
	/* identify has no error field: NOT_SUPPORTED (-1) means no Gunyah. */
	e = (int64_t)r.x[0] == -1 ? COPRO_GH_UNIMPLEMENTED : COPRO_GH_OK;
	if (!e) {
		out->api_info = r.x[0];
		memcpy(out->flags, &r.x[1], sizeof(out->flags));
	}
	return e;
}

/*
 * The message is passed by address in x2: on the emulated board the
 * hypervisor model copies it from this process, as Gunyah copies from
 * the guest's address space.
 */
int64_t copro_gh_msgq_send(struct copro_platform *p, uint64_t capid,
			   const void *msg, size_t size, uint32_t flags,
			   bool *not_full)
{
	struct copro_smccc_regs r = { { 0 } };
	int64_t e;

	r.x[1] = capid;
	r.x[2] = size;
	r.x[3] = (uint64_t)(uintptr_t)msg;
	r.x[4] = flags;
	e = hvc(p, COPRO_GH_CALL_MSGQ_SEND, &r);
	if (!e && r.x[1] > 1)
		return COPRO_GH_BAD_RESULT; /* not a boolean */
	if (!e && not_full)
		*not_full = r.x[1];
	return e;
}

int64_t copro_gh_msgq_recv(struct copro_platform *p, uint64_t capid,
			   void *buf, size_t max, size_t *size,
			   bool *not_empty)
{
	struct copro_smccc_regs r = { { 0 } };
	int64_t e;

	r.x[1] = capid;
	r.x[2] = (uint64_t)(uintptr_t)buf;
	r.x[3] = max;
	e = hvc(p, COPRO_GH_CALL_MSGQ_RECV, &r);
	if (e)
		return e;
	if (r.x[1] > max || r.x[2] > 1)
		return COPRO_GH_BAD_RESULT;
	*size = r.x[1];
	*not_empty = r.x[2];
	return e;
}

int64_t copro_gh_msgq_flush(struct copro_platform *p, uint64_t capid)
{
	struct copro_smccc_regs r = { { 0 } };

	r.x[1] = capid;
	return hvc(p, COPRO_GH_CALL_MSGQ_FLUSH, &r);
}

int64_t copro_gh_msgq_configure_send(struct copro_platform *p, uint64_t capid,
				     uint32_t not_full_thres,
				     uint32_t not_full_delay)
{
	struct copro_smccc_regs r = { { 0 } };

	r.x[1] = capid;
	r.x[2] = not_full_thres;
	r.x[3] = not_full_delay;
	return hvc(p, COPRO_GH_CALL_MSGQ_CONF_SEND, &r);
}

int64_t copro_gh_msgq_configure_recv(struct copro_platform *p, uint64_t capid,
				     uint32_t not_empty_thres,
				     uint32_t not_empty_delay)
{
	struct copro_smccc_regs r = { { 0 } };

	r.x[1] = capid;
	r.x[2] = not_empty_thres;
	r.x[3] = not_empty_delay;
	return hvc(p, COPRO_GH_CALL_MSGQ_CONF_RECV, &r);
}

static int64_t bell_call(struct copro_platform *p, unsigned call,
			 uint64_t capid, uint64_t a, uint64_t b, uint64_t *old)
{
	struct copro_smccc_regs r = { { 0 } };
	int64_t e;

	r.x[1] = capid;
	r.x[2] = a;
	r.x[3] = b;
	e = hvc(p, call, &r);
	if (!e && old)
		*old = r.x[1];
	return e;
}

int64_t copro_gh_bell_send(struct copro_platform *p, uint64_t capid,
			   uint64_t flags, uint64_t *old)
{
	return bell_call(p, COPRO_GH_CALL_BELL_SEND, capid, flags, 0, old);
}

int64_t copro_gh_bell_recv(struct copro_platform *p, uint64_t capid,
			   uint64_t clear, uint64_t *old)
{
	return bell_call(p, COPRO_GH_CALL_BELL_RECV, capid, clear, 0, old);
}

int64_t copro_gh_bell_mask(struct copro_platform *p, uint64_t capid,
			   uint64_t enable, uint64_t ack)
{
	return bell_call(p, COPRO_GH_CALL_BELL_MASK, capid, enable, ack, NULL);
}

int64_t copro_gh_bell_reset(struct copro_platform *p, uint64_t capid)
{
	return bell_call(p, COPRO_GH_CALL_BELL_RESET, capid, 0, 0, NULL);
}
