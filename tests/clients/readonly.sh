#!/bin/sh
# --readonly: reads work, and writes, zeroes and trims from qemu-io are
# refused; the disk is unchanged.
. "$(dirname "$0")/lib.sh"
need qemu-io nbdinfo

random_file "$work/disk.img" 4
sum=$(md5sum <"$work/disk.img")
status=0
serve "$work/log" --readonly --disk "$work/disk.img" --run '
	exec >"'"$work/out"'" 2>&1
	nbdinfo --can write "$uri" && echo can_write=yes
	nbdinfo --is read-only "$uri" && echo read_only=yes
	qemu-io -f raw -r "$uri" -c "read 0 64k" && echo read=ok
	qemu-io -f raw "$uri" -c "write -P 0x55 0 4k"
	qemu-io -f raw "$uri" -c "write -z 8k 4k"
	qemu-io -f raw "$uri" -c "discard 16k 4k"
	true
' || status=$?
cat "$work/out"
[ "$status" -eq 0 ] || fail "copro serve --readonly failed (status $status)"
grep -qx read_only=yes "$work/out" || fail "the export is not read-only"
! grep -qx can_write=yes "$work/out" || fail "the export says it can write"
grep -qx read=ok "$work/out" || fail "reads failed"
! grep -q "^wrote" "$work/out" || fail "a write went through"
! grep -q "^discard " "$work/out" || fail "a discard went through"
[ "$(md5sum <"$work/disk.img")" = "$sum" ] || fail "the read-only disk changed"
echo PASS
