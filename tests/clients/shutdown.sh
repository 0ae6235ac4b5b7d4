#!/bin/sh
# Ctrl-C with a client connected: copro serve says it waits for it, a
# second Ctrl-C disconnects it, and the server still exits cleanly (the
# final flush ran). With --shutdown-timeout, one Ctrl-C and the timeout
# do the same.
. "$(dirname "$0")/lib.sh"
need fio nbdinfo
fio --enghelp=nbd >/dev/null 2>&1 || { echo "SKIP: fio has no nbd engine"; exit 77; }

# A client that stays connected (a slow fio job) until it is cut off.
hold() {
	fio --name=hold --ioengine=nbd --uri="nbd+unix:///?socket=$work/s.sock" \
		--size=4M --rw=randread --bs=4k --time_based --runtime=120 \
		--rate_iops=5 >"$work/client.$1" 2>&1 &
	client=$!
	wait_for grep -q "connected to NBD server" "$work/client.$1" ||
		fail "the client did not connect"
}

start() {
	"$COPRO" serve --socket "$work/s.sock" --disk "$work/disk.img" --size 4M \
		"$@" >"$work/log" 2>&1 &
	srv=$!
	cleanup_extra='kill -9 $srv $client 2>/dev/null'
	wait_for serving "$work/s.sock" || { cat "$work/log"; fail "no server"; }
}

start
hold 1
kill -INT "$srv"
wait_for grep -q "waiting for 1 client to disconnect" "$work/log" ||
	{ cat "$work/log"; fail "Ctrl-C did not say it waits for the client"; }
# Still serving the client, and nobody new.
sleep 1
kill -0 "$srv" || fail "the server did not wait"
kill -0 "$client" || fail "the client was cut off by the first Ctrl-C"
! nbdinfo --size "nbd+unix:///?socket=$work/s.sock" >/dev/null 2>&1 ||
	fail "a new client was let in while stopping"
kill -INT "$srv"
status=0
wait "$srv" || status=$?
cat "$work/log"
[ "$status" -eq 0 ] || fail "the server exited with status $status"
grep -q "disconnecting 1 client" "$work/log" || fail "the second Ctrl-C was not said"
wait "$client" 2>/dev/null || true

start --shutdown-timeout 1
hold 2
kill -INT "$srv"
status=0
wait "$srv" || status=$?
cat "$work/log"
[ "$status" -eq 0 ] || fail "the server exited with status $status after the timeout"
grep -q "disconnecting 1 client" "$work/log" || fail "the timeout did not disconnect"
wait "$client" 2>/dev/null || true
echo PASS
