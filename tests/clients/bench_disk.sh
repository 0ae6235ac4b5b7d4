#!/bin/sh
# copro bench nvme never writes a user's file without --force: a file too
# small to read is refused untouched; one big enough is only read (the
# write figures are skipped); --force lets it write.
. "$(dirname "$0")/lib.sh"

printf 'precious' >"$work/small.img"
status=0
"$COPRO" bench nvme --disk "$work/small.img" --seconds 1 >"$work/out" 2>&1 || status=$?
cat "$work/out"
[ "$status" -eq 1 ] && grep -q "holds 8 bytes; reading it needs 268435456" "$work/out" ||
	fail "a small user file was not refused"
[ "$(cat "$work/small.img")" = precious ] || fail "the small file was changed"

truncate -s 256M "$work/big.img"
printf 'precious' | dd of="$work/big.img" bs=1 seek=4096 conv=notrunc status=none
sum=$(md5sum <"$work/big.img")
"$COPRO" bench nvme --disk "$work/big.img" --seconds 1 --json >"$work/out" 2>"$work/err" ||
	{ cat "$work/err"; fail "the read-only benchmark failed"; }
cat "$work/out"
grep -Eq '"qd1_read_psync_iops": [0-9.e+]+' "$work/out" || fail "no read figure"
grep -q '"qd1_write_psync_iops": -1' "$work/out" || fail "writes were not skipped"
[ "$(md5sum <"$work/big.img")" = "$sum" ] || fail "the user's file was written"
"$COPRO" bench nvme --disk "$work/big.img" --force --seconds 1 --json >"$work/out" 2>&1 ||
	fail "the benchmark with --force failed"
[ "$(md5sum <"$work/big.img")" != "$sum" ] || fail "--force did not let it write"
[ -e "$work/big.img" ] || fail "--force removed the user's file"
echo PASS
