#!/bin/sh
# The coprocessor crashes in the middle of a copy: every NBD client must
# get an error promptly (no hang), later requests fail too, and the
# server still shuts down cleanly.
. "$(dirname "$0")/lib.sh"
need nbdcopy qemu-io

random_file "$work/src.img" 16
status=0
serve "$work/log" --disk "$work/disk.img" --size 16M --fault-crash-after 20 --run '
	if nbdcopy "'"$work/src.img"'" "$uri"; then echo "copy: succeeded"
	else echo "copy: failed"; fi
	if qemu-io -f raw "$uri" -c "read 0 4k" 2>&1 | grep -q "Input/output error"
	then echo "read after crash: EIO"; fi
' || status=$?

[ "$status" -eq 0 ] || fail "copro serve exited with status $status"
grep -qx "copy: failed" "$work/log" || fail "the copy did not fail"
grep -qx "read after crash: EIO" "$work/log" || fail "a read after the crash did not fail with EIO"
grep -q "crashed" "$work/log" || fail "the crash was not reported"
echo PASS
