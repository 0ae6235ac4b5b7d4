#!/bin/sh
# The coprocessor crashes in the middle of a copy: every NBD client must
# get an error promptly (no hang), later requests fail too, and the
# server still shuts down, with status 1: its final flush failed, so
# what was written may not all be on the disk, and it says so once.
. "$(dirname "$0")/lib.sh"
need nbdcopy qemu-io

random_file "$work/src.img" 16
status=0
# One request in flight: nbdkit 1.32 can abort (raw_send_socket: Assertion
# `sock >= 0') when a client drops its connection while other requests'
# replies are still being sent, and nbdcopy drops it on the first error.
# Each client is bounded on its own, so a hang shows as a failed verdict.
# The server logs to the same place: the verdicts go to a file of their own.
serve "$work/log" --disk "$work/disk.img" --size 16M --fault-crash-after 20 --run '
	if timeout 60 nbdcopy --connections=1 --requests=1 \
		"'"$work/src.img"'" "$uri"
	then echo "copy: succeeded"
	else echo "copy: failed"; fi >>"'"$work/verdict"'"
	if timeout 60 qemu-io -f raw "$uri" -c "read 0 4k" 2>&1 |
		grep -q "Input/output error"
	then echo "read after crash: EIO"; fi >>"'"$work/verdict"'"
' || status=$?

cat "$work/verdict"
[ "$status" -eq 1 ] || fail "copro serve exited with status $status, expected 1"
[ "$(grep -c 'final flush failed' "$work/log")" -eq 1 ] ||
	fail "the failed final flush was not said exactly once"
grep -qx "copy: failed" "$work/verdict" || fail "the copy did not fail"
grep -qx "read after crash: EIO" "$work/verdict" ||
	fail "a read after the crash did not fail with EIO"
grep -q "crashed" "$work/log" || fail "the crash was not reported"
echo PASS
