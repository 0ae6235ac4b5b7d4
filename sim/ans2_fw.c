/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 model as the application side of its coprocessor's RTKit
 * firmware model: the NVMe controller runs only while the firmware is
 * up, stops when it goes down, and dies with it when it crashes. The
 * firmware's application endpoint carries nothing the host needs (Linux
 * never starts it); a message there is logged and dropped.
 */
#include <inttypes.h>

#include <copro/error.h>
#include <copro/regs/asc.h>
#include <copro/sim/rtkit_fw.h>

#include "ans2_internal.h"

/* What the real ANS2 firmware's syslog says once it is up, in short. */
static void app_up(void *ctx, struct copro_sim_rtkit *fw)
{
	struct copro_sim_ans2 *m = ctx;
	const char *const lines[] = {
		"ANS2 coprocessor up (RTKit_iOS-1843.120.3 copro-sim)",
		m->gen->linear
			? "NVMe: linear SQ, NVMMU with 64 TCBs, one I/O queue pair"
			: "NVMe: ring SQs of 16 entries (128-byte I/O entries),"
			  " one I/O queue pair",
		"NVMe: waiting for the host to enable the controller",
	};

	ans2_fw_up(m);
	/* Queued: the lines go out after the AP ON acknowledgement. */
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		copro_sim_rtkit_syslog(fw, "ans2", lines[i]);
}

static void app_down(void *ctx, struct copro_sim_rtkit *fw)
{
	ans2_fw_down(ctx, copro_sim_rtkit_crashed(fw));
}

static void app_recv(void *ctx, struct copro_sim_rtkit *fw, uint8_t ep,
		     uint64_t msg)
{
	struct copro_sim_ans2 *m = ctx;

	copro_dev_warn(&m->ld, "message 0x%016" PRIx64 " on endpoint 0x%02x"
		       " ignored: the ANS2 firmware defines none there",
		       msg, ep);
	/* Counted once logged: whoever sees the count finds the line. */
	ans2_count(&m->st.app_messages, 1);
}

int ans2_fw_attach(struct copro_sim_ans2 *m)
{
	static const uint8_t eps[] = { ANS2_RTKIT_APP_EP, 0 };
	const struct copro_sim_rtkit_app app = {
		.ctx = m,
		.up = app_up,
		.down = app_down,
		.recv = app_recv,
	};
	int ret;

	if (!m->fw)
		return 0;
	ret = copro_sim_rtkit_set_app(m->fw, &app, eps);
	if (ret < 0)
		copro_dev_err(&m->ld, "cannot plug into the RTKit firmware"
			      " model: %s", copro_strerror(ret));
	return ret;
}

/*
 * The firmware must stop calling into a model about to be freed. It
 * takes a new app only while the coprocessor CPU is stopped, so a CPU
 * still running is stopped here through the node's "ans" block, as
 * tearing down the controller would.
 */
void ans2_fw_detach(struct copro_sim_ans2 *m)
{
	uint64_t ans, size;
	int ret;

	if (!m->fw)
		return;
	ret = copro_sim_rtkit_set_app(m->fw, NULL, NULL);
	if (ret != -EBUSY)
		return;
	copro_dev_warn(&m->ld, "destroyed while the coprocessor runs:"
		       " stopping its CPU");
	ret = copro_dt_reg_by_name(copro_bus_dt(m->bus), m->node, "ans", &ans,
				   &size);
	if (!ret)
		ret = copro_bus_write(m->bus, ans + ASC_CPU_CONTROL, 4, 0);
	if (ret < 0) {
		copro_dev_err(&m->ld, "cannot stop the CPU through \"ans\": %s",
			      copro_strerror(ret));
		return;
	}
	ret = copro_sim_rtkit_set_app(m->fw, NULL, NULL);
	if (ret < 0)
		copro_dev_err(&m->ld, "cannot unplug from the RTKit firmware"
			      " model: %s", copro_strerror(ret));
}

void ans2_fw_crash(struct copro_sim_ans2 *m, const char *why)
{
	int ret;

	if (!m->fw)
		return;
	ret = copro_sim_rtkit_crash(m->fw, why, -1);
	if (ret < 0 && ret != -ENOENT)
		copro_dev_err(&m->ld, "cannot crash the firmware: %s",
			      copro_strerror(ret));
}
