#!/bin/sh
# Trim and write-zeroes reach the backing file: qemu-io's discard and
# write -z -u (may unmap) give the space back and read as zeroes; write
# -z without -u zeroes but keeps it allocated; nbdcopy of a mostly-empty
# image over a full disk leaves a sparse one. Space is measured as the
# file's allocated blocks, after the server has shut down.
. "$(dirname "$0")/lib.sh"
need qemu-io nbdcopy cmp
MiB=$((1024 * 1024))

random_file "$work/full.img" 16
serve "$work/log" --disk "$work/disk.img" --size 16M --run '
	nbdcopy "'"$work/full.img"'" "$uri"' || fail "nbdcopy failed"
full=$(allocated "$work/disk.img")
[ "$full" -ge $((16 * MiB)) ] || fail "the full disk holds only $full bytes"

status=0
serve "$work/log" --disk "$work/disk.img" --run '
	exec >"'"$work/out"'" 2>&1
	qemu-io -f raw "$uri" -c "discard 0 4M" -c "read -P 0 0 4M" &&
	qemu-io -f raw "$uri" -c "write -z -u 4M 4M" -c "read -P 0 4M 4M" &&
	qemu-io -f raw "$uri" -c "write -z 8M 4M" -c "read -P 0 8M 4M" &&
	qemu-io -f raw "$uri" -c "discard 12M 1000" -c "write -z -u 13M 1000"
' || status=$?
cat "$work/out"
[ "$status" -eq 0 ] || fail "qemu-io failed (copro serve status $status)"
! grep -Eq "verification failed|error" "$work/out" || fail "qemu-io reported an error"
now=$(allocated "$work/disk.img")
# 8 MiB unmapped, 4 MiB zeroed in place (still allocated), the rest data.
[ "$now" -le $((full - 8 * MiB + 64 * 1024)) ] ||
	fail "discard and write -z -u left $now of $full bytes allocated"
[ "$now" -ge $((8 * MiB - 64 * 1024)) ] ||
	fail "write -z without -u (or the data) lost its allocation: $now bytes"
cmp -s -n $MiB -i $((14 * MiB)) "$work/full.img" "$work/disk.img" ||
	fail "data beyond the zeroed ranges changed"
# Sub-block trims and zeroes leave the blocks around them alone.
cmp -s -n 4096 -i $((12 * MiB + 4096)) "$work/full.img" "$work/disk.img" ||
	fail "a 1000-byte trim touched the next block"

# A 16 MiB image holding 1 MiB of data, copied over the full disk.
random_file "$work/full.img" 16
truncate -s 0 "$work/sparse.img"
truncate -s 16M "$work/sparse.img"
head -c $MiB /dev/urandom | dd of="$work/sparse.img" bs=1M seek=5 conv=notrunc status=none
serve "$work/log" --disk "$work/disk2.img" --size 16M --run '
	nbdcopy "'"$work/full.img"'" "$uri" &&
	nbdcopy "'"$work/sparse.img"'" "$uri"' || fail "nbdcopy failed"
cmp "$work/sparse.img" "$work/disk2.img" || fail "the copy differs"
[ "$(allocated "$work/disk2.img")" -le $((2 * MiB)) ] ||
	fail "nbdcopy of a mostly-empty image left $(allocated "$work/disk2.img") bytes allocated"
echo PASS
