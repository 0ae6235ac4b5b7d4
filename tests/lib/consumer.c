/* SPDX-License-Identifier: MIT */
/*
 * An embedder's program, built against an installed copro with
 * `pkg-config --cflags --libs copro`: libcopro works without libcopro-sim.
 */
#include <stdio.h>
#include <string.h>

#include <copro/error.h>
#include <copro/log.h>
#include <copro/rtkit.h>
#include <copro/time.h>

int main(void)
{
	struct copro_log *log;
	char buf[128];

	if (copro_log_create(NULL, COPRO_LOG_WARN, &log))
		return 1;
	copro_rtkit_decode(buf, sizeof(buf), false, 0, 0x00100000000c000bull);
	printf("%s | %s | %s\n", copro_strerror(-COPRO_EDT),
	       copro_rtkit_ep_name(COPRO_RTKIT_EP_SYSLOG), buf);
	copro_log_destroy(log);
	return strstr(buf, "HELLO") && COPRO_FOREVER < 0 ? 0 : 1;
}
