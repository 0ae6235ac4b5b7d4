#!/bin/sh
# The backing file system fills up: the client gets ENOSPC ("No space
# left on device"), not a generic I/O error. Needs a small tmpfs (root).
. "$(dirname "$0")/lib.sh"
need qemu-io

mkdir "$work/mnt"
mount -t tmpfs -o size=2M tmpfs "$work/mnt" 2>/dev/null ||
	{ echo "SKIP: cannot mount a tmpfs (needs root)"; exit 77; }
cleanup_extra='umount "$work/mnt"'
status=0
serve "$work/log" --disk "$work/mnt/disk.img" --size 16M --run '
	qemu-io -f raw "$uri" -c "write -P 0x11 0 8M" >"'"$work/out"'" 2>&1
	true
' || status=$?
cat "$work/out"
grep -q "No space left on device" "$work/out" ||
	fail "the client was not told ENOSPC"
echo PASS
