#!/bin/sh
# nbdinfo sees the served namespace: its size, and flush, FUA,
# multi-conn, trim and fast zero advertised (the plugin implements them
# natively: trim and zero through NVMe Dataset Management and Write
# Zeroes).
. "$(dirname "$0")/lib.sh"
need nbdinfo

# The answers go to a file of their own (the server logs to the other).
serve "$work/log" --disk "$work/disk.img" --size 32M --run '
	exec >"'"$work/out"'"
	nbdinfo --size "$uri" &&
	nbdinfo --can flush "$uri" && echo can_flush=yes &&
	nbdinfo --can fua "$uri" && echo can_fua=yes &&
	nbdinfo --can multi-conn "$uri" && echo can_multi_conn=yes &&
	nbdinfo --can trim "$uri" && echo can_trim=yes &&
	nbdinfo --can fast-zero "$uri" && echo can_fast_zero=yes
	nbdinfo --json "$uri"
' || fail "copro serve exited with status $?"
cat "$work/out"

grep -qx 33554432 "$work/out" || fail "size is not 32 MiB"
for f in can_flush=yes can_fua=yes can_multi_conn=yes can_trim=yes can_fast_zero=yes; do
	grep -qx "$f" "$work/out" || fail "nbdinfo did not report $f"
done
grep -q '"block_size_preferred": 4096' "$work/out" ||
	fail "preferred block size is not the LBA size"
[ "$(stat -c %s "$work/disk.img")" -eq 33554432 ] ||
	fail "the backing file was not created at 32 MiB"
echo PASS
