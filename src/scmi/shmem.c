/* SPDX-License-Identifier: MIT */
/*
 * A shared-memory channel area ("arm,scmi-shmem", hardware.md 5), reached with
 * 32-bit MMIO accesses as the SRAM it lives in allows. The agent writes a
 * command only into a free area; it trusts nothing it reads back: the
 * length word is checked against the area before a byte of payload is
 * read.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <copro/error.h>
#include <copro/log.h>

#include <copro/driver/platform.h>

#include "copro/mmio_words.h"
#include "scmi/scmi_internal.h"

int scmi_area_map(struct copro_scmi *s, int user, unsigned index,
		  struct scmi_area *a)
{
	const struct copro_dt *dt = copro_platform_dt(s->p);
	struct copro_dt_ref ref;
	char path[256];
	uint64_t size;
	int ret = copro_dt_ref(dt, user, "shmem", NULL, index, &ref);

	memset(a, 0, sizeof(*a));
	if (ret < 0)
		return ret;
	copro_dt_node_path(dt, ref.node, path, sizeof(path));
	if (!copro_dt_is_compatible(dt, ref.node, "arm,scmi-shmem")) {
		copro_dev_err(&s->ld, "%s: %s: shmem entry %u of %s is not"
			      " \"arm,scmi-shmem\"", copro_dt_name(dt), path,
			      index, copro_dt_node_name(dt, user));
		return -EINVAL;
	}
	ret = copro_dt_reg(dt, ref.node, 0, &a->phys, &size);
	if (ret < 0)
		return ret;
	if (size < SCMI_SHMEM_MIN_SIZE || size > SCMI_SHMEM_PAYLOAD + SCMI_MAX_MSG ||
	    (a->phys & 3) || (size & 3)) {
		copro_dev_err(&s->ld, "%s: %s: a channel area of 0x%" PRIx64
			      " bytes at 0x%" PRIx64 ": it must be word"
			      " aligned and 0x%x to 0x%x bytes",
			      copro_dt_name(dt), path, size, a->phys,
			      SCMI_SHMEM_MIN_SIZE,
			      SCMI_SHMEM_PAYLOAD + SCMI_MAX_MSG);
		return -EINVAL;
	}
	if (a->phys & 7)
		/* OP-TEE overlays a 64-bit field: it needs 8-byte alignment. */
		copro_dev_warn(&s->ld, "%s: %s: area at 0x%" PRIx64 " is not"
			       " 8-byte aligned; some platforms need it",
			       copro_dt_name(dt), path, a->phys);
	a->size = (size_t)size;
	ret = copro_mmio_map(s->p, a->phys, size, &a->m);
	if (!ret)
		a->w = copro_mmio_words(a->m);
	if (ret < 0)
		copro_dev_err(&s->ld, "%s: %s: cannot map 0x%" PRIx64 "+0x%"
			      PRIx64 ": %s", copro_dt_name(dt), path, a->phys,
			      size, copro_strerror(ret));
	return ret;
}

void scmi_area_unmap(struct scmi_area *a)
{
	if (a->m)
		copro_mmio_unmap(a->m);
	a->m = NULL;
	a->w = NULL;
}

/*
 * Bytes to and from the area from offset `off` (8-byte aligned), in 64-bit
 * accesses where whole words allow, 32-bit for a trailing half: as few
 * bus accesses as the SRAM takes.
 */
static void area_put(const struct scmi_area *a, uint64_t off, const uint8_t *p,
		     size_t len)
{
	uint8_t w[8];
	size_t i = 0;

	for (; len - i >= 8; i += 8)
		scmi_wr64(a, off + i,
			     copro_get_le32(p + i) | (uint64_t)copro_get_le32(p + i + 4) << 32);
	if (i < len) {
		memset(w, 0, sizeof(w));
		memcpy(w, p + i, len - i);
		if (len - i <= 4)
			scmi_wr32(a, off + i, copro_get_le32(w));
		else
			scmi_wr64(a, off + i,
				     copro_get_le32(w) | (uint64_t)copro_get_le32(w + 4) << 32);
	}
}

static void area_get(const struct scmi_area *a, uint64_t off, uint8_t *p,
		     size_t len)
{
	uint8_t w[8];
	size_t i = 0;

	for (; len - i >= 8; i += 8) {
		uint64_t v = scmi_rd64(a, off + i);

		copro_put_le32(p + i, (uint32_t)v);
		copro_put_le32(p + i + 4, (uint32_t)(v >> 32));
	}
	if (i < len) {
		uint64_t v = len - i <= 4 ? scmi_rd32(a, off + i)
					  : scmi_rd64(a, off + i);

		copro_put_le32(w, (uint32_t)v);
		copro_put_le32(w + 4, (uint32_t)(v >> 32));
		memcpy(p + i, w, len - i);
	}
}

void scmi_area_write_cmd(const struct scmi_area *a, uint32_t header,
			 const void *payload, size_t len, bool want_irq)
{
	const uint8_t *p = payload;
	uint32_t flags = want_irq ? SCMI_SHMEM_FLAGS_INTR : 0;
	uint8_t w[4] = { 0 };

	/* Busy, error cleared: the area is the platform's from here. */
	scmi_wr32(a, SCMI_SHMEM_STATUS, 0);
	scmi_wr64(a, SCMI_SHMEM_FLAGS,
		     flags | (uint64_t)(uint32_t)(4 + len) << 32);
	/*
	 * The header and the payload's first word in one access, the rest
	 * straight from the caller's buffer (no staging copy).
	 */
	if (!len) {
		scmi_wr32(a, SCMI_SHMEM_HEADER, header);
		return;
	}
	if (len >= 4)
		memcpy(w, p, 4);
	else
		memcpy(w, p, len);
	scmi_wr64(a, SCMI_SHMEM_HEADER,
		     header | (uint64_t)copro_get_le32(w) << 32);
	if (len > 4)
		area_put(a, SCMI_SHMEM_HEADER + 8, p + 4, len - 4);
}

int scmi_area_read(const struct scmi_area *a, size_t min,
		   struct scmi_msg *msg, const char **why)
{
	uint64_t fl = scmi_rd64(a, SCMI_SHMEM_FLAGS), first;
	uint32_t length = (uint32_t)(fl >> 32);

	msg->flags = (uint32_t)fl;
	msg->len = 0;
	if (length < 4) {
		msg->header = scmi_rd32(a, SCMI_SHMEM_HEADER);
		*why = "a length below the header's 4 bytes";
		return -EPROTO;
	}
	if (length - 4 > scmi_area_payload_max(a) || length - 4 > SCMI_MAX_MSG) {
		msg->header = scmi_rd32(a, SCMI_SHMEM_HEADER);
		*why = "a length past the end of the area";
		return -EPROTO;
	}
	/*
	 * The header and the payload's first word in one access, the rest
	 * straight into msg: the same accesses as reading `length` bytes
	 * whole, with no staging copy.
	 */
	first = length == 4 ? scmi_rd32(a, SCMI_SHMEM_HEADER)
			    : scmi_rd64(a, SCMI_SHMEM_HEADER);
	msg->header = (uint32_t)first;
	if (length < 4 + min) {
		*why = "a length too short for its status";
		return -EPROTO;
	}
	msg->len = length - 4;
	if (msg->len >= 4) {
		copro_put_le32(msg->payload, (uint32_t)(first >> 32));
		area_get(a, SCMI_SHMEM_HEADER + 8, msg->payload + 4,
			 msg->len - 4);
	} else {
		uint8_t w[4];

		copro_put_le32(w, (uint32_t)(first >> 32));
		memcpy(msg->payload, w, msg->len);
	}
	return 0;
}

void scmi_area_release(const struct scmi_area *a)
{
	scmi_wr32(a, SCMI_SHMEM_STATUS, SCMI_SHMEM_STATUS_FREE);
}
