#!/bin/sh
# `copro serve --record` while nbdcopy reads the disk and nbdinfo looks
# at it: the recording holds the whole bring-up (RTKit handshake, NVMe
# enable) and the reads (I/O doorbells, each tag's completion), and its
# Chrome trace is valid Trace Event Format.
. "$(dirname "$0")/lib.sh"
need nbdcopy nbdinfo
: "${CHECK_CHROME:?CHECK_CHROME must point at check_chrome_trace}"

random_file "$work/disk.img" 4
serve "$work/log" --disk "$work/disk.img" --record "$work/serve.trace" --run '
	nbdcopy "$uri" "'"$work/copy.img"'" &&
	nbdinfo --size "$uri" >"'"$work/size"'"
' || fail "copro serve exited with status $?"

cmp "$work/disk.img" "$work/copy.img" || fail "nbdcopy read other bytes than the disk holds"
grep -qx 4194304 "$work/size" || fail "nbdinfo did not see 4 MiB"

"$COPRO" trace --messages "$work/serve.trace" >"$work/msgs" ||
	fail "copro trace cannot read the recording"
head -1 "$work/msgs"
for want in "rtkit IOP -> AP mgmt HELLO min=11 max=12" \
	"mgmt SET_AP_PWR_STATE_ACK state=ON" "NVMe boot status OK" \
	"NVMe controller enable" "NVMe status: ready" "NVMe I/O submit, tag" \
	"NVMe controller shutdown requested (normal)" \
	"shutdown complete" "NVMe controller disable" \
	"mgmt SET_IOP_PWR_STATE_ACK state=SLEEP"; do
	grep -qF "$want" "$work/msgs" || fail "the recording does not show '$want'"
done
# 4 MiB read in at most 4 MiB commands: at least one I/O command, each
# submitted tag completed.
submits=$(grep -c "NVMe I/O submit" "$work/msgs")
dones=$(grep -c "NVMe I/O tag [0-9]* done" "$work/msgs")
[ "$submits" -ge 1 ] || fail "no I/O command in the recording"
[ "$submits" -eq "$dones" ] || fail "$submits I/O commands submitted, $dones completed"
echo "recorded $submits I/O commands, each completed"

"$COPRO" trace --chrome-trace "$work/serve.json" "$work/serve.trace" ||
	fail "copro trace --chrome-trace failed"
"$CHECK_CHROME" "$work/serve.json" --cat nvme --cat rtkit --cat mmio --cat irq ||
	fail "the Chrome trace is not valid Trace Event Format"
echo PASS
