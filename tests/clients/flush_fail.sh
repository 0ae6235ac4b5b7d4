#!/bin/sh
# Flushes that fail (the device's fdatasync, injected): the client's
# flush gets EIO, and copro serve's final flush fails too, so it exits
# with status 1 saying what may be lost.
. "$(dirname "$0")/lib.sh"
need qemu-io

status=0
serve "$work/log" --disk "$work/disk.img" --size 4M --fault-flush 100 --run '
	qemu-io -f raw "$uri" -c "write 0 4k" -c flush >"'"$work/out"'" 2>&1
	true
' || status=$?
cat "$work/out"
grep -q "flush: Input/output error\|Input/output error" "$work/out" ||
	fail "the client's flush did not fail with EIO"
[ "$status" -eq 1 ] || fail "copro serve exited with status $status, expected 1"
grep -q "the final flush failed" "$work/log" || fail "the failed final flush was not said"

# Without the fault the same run exits 0.
serve "$work/log" --disk "$work/disk.img" --run '
	qemu-io -f raw "$uri" -c "write 0 4k" -c flush' ||
	fail "a clean run exited with status $?"
echo PASS
