/* SPDX-License-Identifier: MIT */
/*
 * Injections: on-demand traffic, faults, crashes and hostile bursts asked
 * for from any thread, queued to the CPU thread, which runs them between
 * messages (copro_sim_asc_iop_kick wakes it). While the CPU is stopped
 * they are dropped and counted: there is no firmware to run them.
 */
#include <errno.h>
#include <stdio.h>

#include <copro/sim/asc_model.h>

#include "rtkit_fw_internal.h"

/* ---- injections ------------------------------------------------------- */

static int enqueue(struct copro_sim_rtkit *fw, const struct fw_inj *inj)
{
	int ret = 0;

	copro_mutex_lock(&fw->q_lock);
	/*
	 * `stopping` is set before fw_run can return, and fw_run drains the
	 * queue under this lock on its way out: nothing queued here can
	 * outlive the run it was meant for.
	 */
	if (!copro_sim_asc_cpu_running(fw->asc) ||
	    copro_sim_asc_iop_stopping(fw->asc)) {
		fw_stat_inc(fw, injections_dropped);
		ret = -ESHUTDOWN;
	} else if (fw->q_n == FW_QUEUE_LEN) {
		ret = -EAGAIN;
	} else {
		fw->q[(fw->q_head + fw->q_n++) % FW_QUEUE_LEN] = *inj;
	}
	copro_mutex_unlock(&fw->q_lock);
	if (ret == 0)
		copro_sim_asc_iop_kick(fw->asc);
	else if (ret == -ESHUTDOWN)
		copro_dev_dbg(&fw->ld, "injection dropped: the CPU is stopped");
	else
		copro_dev_warn(&fw->ld, "injection refused: %u already queued",
			       FW_QUEUE_LEN);
	return ret;
}

static bool dequeue(struct copro_sim_rtkit *fw, struct fw_inj *out)
{
	bool got = false;

	copro_mutex_lock(&fw->q_lock);
	if (fw->q_n) {
		*out = fw->q[fw->q_head];
		fw->q_head = (fw->q_head + 1) % FW_QUEUE_LEN;
		fw->q_n--;
		got = true;
	}
	copro_mutex_unlock(&fw->q_lock);
	return got;
}

void fw_run_injections(struct copro_sim_rtkit *fw)
{
	struct fw_inj inj;

	while (dequeue(fw, &inj)) {
		/* A restart brings back even a silent firmware. */
		if (inj.kind == INJ_RESTART) {
			fw_restart(fw);
			continue;
		}
		if (fw->phase == PH_SILENT) {
			copro_dev_dbg(&fw->ld, "silent: injection ignored");
			continue;
		}
		switch (inj.kind) {
		case INJ_SYSLOG:
			fw_syslog_line(fw, inj.context, inj.text);
			break;
		case INJ_IOREPORT:
			fw_ioreport_send(fw, (unsigned)inj.arg);
			break;
		case INJ_CRASH:
			fw_crash(fw, inj.text, inj.arg);
			break;
		case INJ_HOSTILE:
			fw_hostile(fw, (enum copro_sim_rtkit_hostile)inj.arg);
			break;
		case INJ_RESTART:
			break;
		}
	}
}

void fw_drain_injections(struct copro_sim_rtkit *fw)
{
	copro_mutex_lock(&fw->q_lock);
	atomic_fetch_add(&fw->st.injections_dropped, fw->q_n);
	fw->q_n = 0;
	copro_mutex_unlock(&fw->q_lock);
}

/* ---- on-demand traffic and faults --------------------------------------- */

int copro_sim_rtkit_restart(struct copro_sim_rtkit *fw)
{
	struct fw_inj inj = { .kind = INJ_RESTART };

	return enqueue(fw, &inj);
}

int copro_sim_rtkit_syslog(struct copro_sim_rtkit *fw, const char *context,
			   const char *text)
{
	struct fw_inj inj = { .kind = INJ_SYSLOG };

	snprintf(inj.context, sizeof(inj.context), "%s",
		 context ? context : "");
	snprintf(inj.text, sizeof(inj.text), "%s", text ? text : "");
	return enqueue(fw, &inj);
}

int copro_sim_rtkit_ioreport(struct copro_sim_rtkit *fw, unsigned type)
{
	struct fw_inj inj = { .kind = INJ_IOREPORT, .arg = (int)type };

	/* Type 1 is the buffer request, not a report. */
	if (type > 0xff || type == RTK_BUFFER_REQUEST)
		return -EINVAL;
	return enqueue(fw, &inj);
}

void copro_sim_rtkit_set_fault(struct copro_sim_rtkit *fw,
			       enum copro_sim_rtkit_fault f, bool on)
{
	if ((unsigned)f >= COPRO_SIM_RTKIT_FAULT_COUNT)
		return;
	if (on)
		atomic_fetch_or(&fw->faults, 1u << f);
	else
		atomic_fetch_and(&fw->faults, ~(1u << f));
}

int copro_sim_rtkit_crash(struct copro_sim_rtkit *fw, const char *message,
			  int corrupt)
{
	struct fw_inj inj = { .kind = INJ_CRASH, .arg = corrupt };
	int ret;

	if (corrupt > COPRO_SIM_CRASHLOG_SHORT_CRG8)
		return -EINVAL;
	snprintf(inj.text, sizeof(inj.text), "%s", message ? message : "");
	/* Sampled now: the CPU thread may not have run the crash yet. */
	bool have_log = atomic_load(&fw->crashlog_ready);

	ret = enqueue(fw, &inj);
	if (ret < 0)
		return ret;
	return have_log ? 0 : -ENOENT;
}

int copro_sim_rtkit_hostile(struct copro_sim_rtkit *fw,
			    enum copro_sim_rtkit_hostile kind)
{
	struct fw_inj inj = { .kind = INJ_HOSTILE, .arg = (int)kind };

	if ((unsigned)kind >= COPRO_SIM_RTKIT_HOSTILE_COUNT)
		return -EINVAL;
	return enqueue(fw, &inj);
}
