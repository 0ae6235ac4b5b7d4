#!/bin/sh
# A block device is a disk at its own size (here a loop device over a
# file): served, written through, and its size cannot be changed.
. "$(dirname "$0")/lib.sh"
need nbdcopy cmp losetup

truncate -s 8M "$work/backing"
dev=$(losetup -f --show "$work/backing" 2>/dev/null) ||
	{ echo "SKIP: no loop device (needs root)"; exit 77; }
cleanup_extra='losetup -d "$dev"'
random_file "$work/src.img" 8
status=0
serve "$work/log" --disk "$dev" --run '
	nbdinfo --size "$uri" >"'"$work/size"'" &&
	nbdcopy --flush "'"$work/src.img"'" "$uri"' || status=$?
[ "$status" -eq 0 ] || fail "serving $dev failed (status $status)"
[ "$(cat "$work/size")" -eq 8388608 ] || fail "the size is not the device's"
grep -q "(8 MiB, block device)" "$work/log" || fail "the banner does not say block device"
sync
cmp "$work/src.img" "$work/backing" || fail "the data is not on the device"
status=0
serve "$work/log" --disk "$dev" --size 16M --run true || status=$?
[ "$status" -eq 1 ] && grep -q "is a block device of 8 MiB; it cannot grow to 16 MiB" "$work/log" ||
	fail "growing a block device was not refused"
echo PASS
