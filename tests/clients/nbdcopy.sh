#!/bin/sh
# nbdcopy 64 MiB of random data into the served disk and back out, over
# several connections at once (multi-conn); both copies, and the backing
# file after a clean shutdown, must match the source byte for byte.
. "$(dirname "$0")/lib.sh"
need nbdcopy cmp

random_file "$work/src.img" 64
serve "$work/log" --disk "$work/disk.img" --size 64M --run '
	nbdcopy --flush "'"$work/src.img"'" "$uri" &&
	nbdcopy "$uri" "'"$work/back.img"'"
' || fail "nbdcopy failed (copro serve status $?)"

cmp "$work/src.img" "$work/back.img" || fail "data read back differs"
cmp "$work/src.img" "$work/disk.img" || fail "backing file differs after shutdown"
echo PASS
