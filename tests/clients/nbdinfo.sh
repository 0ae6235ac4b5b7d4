#!/bin/sh
# nbdinfo sees the served namespace: its size, and flush, FUA and
# multi-conn advertised (the plugin implements all three natively).
. "$(dirname "$0")/lib.sh"
need nbdinfo

# The answers go to a file of their own (the server logs to the other).
serve "$work/log" --disk "$work/disk.img" --size 32M --run '
	exec >"'"$work/out"'"
	nbdinfo --size "$uri" &&
	nbdinfo --can flush "$uri" && echo can_flush=yes &&
	nbdinfo --can fua "$uri" && echo can_fua=yes &&
	nbdinfo --can multi-conn "$uri" && echo can_multi_conn=yes &&
	nbdinfo --can trim "$uri" || echo can_trim=no
	nbdinfo --json "$uri"
' || fail "copro serve exited with status $?"
cat "$work/out"

grep -qx 33554432 "$work/out" || fail "size is not 32 MiB"
for f in can_flush=yes can_fua=yes can_multi_conn=yes can_trim=no; do
	grep -qx "$f" "$work/out" || fail "nbdinfo did not report $f"
done
grep -q '"block_size_preferred": 4096' "$work/out" ||
	fail "preferred block size is not the LBA size"
[ "$(stat -c %s "$work/disk.img")" -eq 33554432 ] ||
	fail "the backing file was not created at 32 MiB"
echo PASS
