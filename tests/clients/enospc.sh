#!/bin/sh
# The backing file system fills up: the client gets ENOSPC ("No space
# left on device"), not a generic I/O error. Needs a small tmpfs (root).
#
# Twice: writes that go to the calls (each page's first touch), and
# pages written a second time, which go through the disk's mapping:
# filling a hole there raises SIGBUS, which the model turns back into the
# call and its ENOSPC, saying so in the log.
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

rm -f "$work/mnt/disk.img"
# 4 KiB writes over 3 MiB, each page twice in a row (qemu-io reads them
# from its stdin; writeback: its default, writethrough, flushes after
# every write, and a flush sends the next write of a page back to the
# calls): the second write of a page goes through the mapping, and past
# 2 MiB it has no room.
i=0
while [ $i -lt 768 ]; do
	echo "write -P 0x22 $((i * 4096)) 4096"
	echo "write -P 0x23 $((i * 4096)) 4096"
	i=$((i + 1))
done >"$work/cmds"
status=0
serve "$work/log2" --disk "$work/mnt/disk.img" --size 16M --run '
	qemu-io -f raw -t writeback "$uri" <"'"$work/cmds"'" >"'"$work/out2"'" 2>&1
	true
' || status=$?
tail -3 "$work/out2"
grep -q "No space left on device" "$work/out2" ||
	fail "the client was not told ENOSPC through the mapping"
grep -q "through its mapping faulted" "$work/log2" ||
	fail "no write went through the mapping and faulted"
[ "$status" -eq 0 ] || [ "$status" -eq 1 ] ||
	fail "copro serve died (status $status)"
echo PASS
