/* SPDX-License-Identifier: MIT */
/*
 * The System power protocol (0x12) from the agent's side. An OS mostly
 * listens (SYSTEM_POWER_STATE_NOTIFIER, through copro_scmi_subscribe);
 * agents the platform trusts may also change the state.
 */
#include <errno.h>
#include <stdlib.h>

#include "scmi/scmi_internal.h"

#define Y SCMI_PROTO_SYSTEM

int copro_scmi_system_set(struct copro_scmi *s, uint32_t state,
			  bool graceful)
{
	uint32_t w[2] = { graceful ? SCMI_SYS_SET_GRACEFUL : 0, state };
	const struct scmi_proto *pi;
	struct scmi_xfer xs, *x = &xs;
	int ret = scmi_proto(s, Y, &pi);

	if (ret)
		return ret;
	ret = scmi_cmd(s, Y, SCMI_SYS_STATE_SET, w, 2, false, x);
	if (!ret && x->rx_len)
		ret = scmi_bad(s, Y, SCMI_SYS_STATE_SET, "a payload after SUCCESS");
	return ret;
}

int copro_scmi_system_get(struct copro_scmi *s, uint32_t *state)
{
	const struct scmi_proto *pi;
	struct scmi_xfer xs, *x = &xs;
	struct scmi_rd r;
	int ret = scmi_proto(s, Y, &pi);

	if (ret)
		return ret;
	ret = scmi_cmd(s, Y, SCMI_SYS_STATE_GET, NULL, 0, false, x);
	if (!ret) {
		rd_init(&r, x->rx, x->rx_len);
		*state = rd_u32(&r);
		if (rd_end(&r))
			ret = scmi_bad(s, Y, SCMI_SYS_STATE_GET, r.why);
	}
	return ret;
}
