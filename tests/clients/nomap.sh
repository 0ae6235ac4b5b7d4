#!/bin/sh
# The disk's mapping: copro serve maps its disk by default (whichever
# --map-writes policy), and --no-map keeps the model on read and write
# calls, with no mapping at all (the server's /proc/PID/maps, PID the
# nbdkit beside the --run command). Data written and read back every way.
. "$(dirname "$0")/lib.sh"
need qemu-io

for opt in "" --no-map --map-writes=second-touch --map-writes=never; do
	status=0
	serve "$work/log" --disk "$work/disk.img" --size 16M $opt --run '
		n=$(pgrep -P $PPID -x nbdkit) && grep -c disk.img /proc/$n/maps >"'"$work/maps"'"
		qemu-io -f raw -t writeback "$uri" -c "write -P 0x5a 0 8k" \
			-c "write -P 0x5b 0 8k" -c "read -P 0x5b 0 8k" >"'"$work/out"'" 2>&1
	' || status=$?
	cat "$work/out"
	[ "$status" -eq 0 ] || fail "copro serve $opt failed (status $status)"
	grep -q "Pattern verification failed" "$work/out" && fail "data differ ($opt)"
	maps=$(cat "$work/maps" 2>/dev/null || echo 0)
	if [ "$opt" != --no-map ]; then
		[ "$maps" -ge 1 ] || fail "the disk was not mapped ($opt)"
	else
		[ "$maps" -eq 0 ] || fail "--no-map still mapped the disk ($maps)"
	fi
done
echo PASS
