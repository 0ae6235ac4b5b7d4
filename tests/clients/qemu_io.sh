#!/bin/sh
# qemu-io pattern writes and reads, aligned and not (partial blocks are
# a read-modify-write in the plugin), with FUA, zeroes and a flush.
. "$(dirname "$0")/lib.sh"
need qemu-io

# The client's output goes to a file of its own (the server logs to the other).
status=0
serve "$work/log" --disk "$work/disk.img" --size 16M --run '
	exec >"'"$work/out"'" 2>&1
	qemu-io -f raw "$uri" \
		-c "write -P 0xab 0 1M" \
		-c "write -f -P 0x5a 1M 256k" \
		-c "write -P 0xcd 1000 3000" \
		-c "write -P 0xee 8190 5" \
		-c "write -z 2M 64k" \
		-c "write -z 3145828 4000" \
		-c flush \
		-c "read -P 0xab 0 1000" \
		-c "read -P 0xcd 1000 3000" \
		-c "read -P 0xab 4000 4190" \
		-c "read -P 0xee 8190 5" \
		-c "read -P 0xab 8195 1040381" \
		-c "read -P 0x5a 1M 256k" \
		-c "read -P 0 2M 64k" \
		-c "read -P 0 3145828 4000"
' || status=$?
cat "$work/out"
[ "$status" -eq 0 ] || fail "qemu-io failed (copro serve status $status)"

if grep -Eq "Pattern verification failed|error|failed" "$work/out"; then
	fail "qemu-io reported an error"
fi
[ "$(grep -c '^read ' "$work/out")" -eq 8 ] || fail "not every read completed"
echo PASS
