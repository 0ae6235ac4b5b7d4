#!/bin/sh
# copro serve reports every setup mistake itself, naming the file or
# value, before nbdkit is started; nothing is left behind.
. "$(dirname "$0")/lib.sh"
need nbdinfo

# expect STATUS REGEX ARGS... : copro serve ARGS exits STATUS saying REGEX.
expect() {
	want=$1 regex=$2
	shift 2
	status=0
	out=$(timeout 30 "$COPRO" serve "$@" 2>&1) || status=$?
	printf '%s\n' "$out"
	[ "$status" -eq "$want" ] || fail "copro serve $*: status $status, expected $want"
	printf '%s\n' "$out" | grep -Eq -- "$regex" ||
		fail "copro serve $*: output does not match /$regex/"
}

expect 2 "invalid value '12x' for --size" --size 12x
expect 2 "invalid value '1000' for --size" --size 1000
expect 2 "invalid value '70000' for --port" --port 70000
expect 2 "--socket and --port exclude each other" --socket "$work/s" --port 10809
expect 2 "unexpected argument 'extra'" extra
expect 1 "cannot open board 'no-such-board'" --board no-such-board --disk "$work/d.img"
[ ! -e "$work/d.img" ] || fail "a bad board still created the disk"
expect 1 "cannot open disk $work for reading and writing: Is a directory" --disk "$work"
head -c 1000 /dev/zero >"$work/odd.img"
expect 1 "disk $work/odd.img is 1000 bytes, not a positive multiple of 4096: give --size" \
	--disk "$work/odd.img"
expect 1 "cannot create disk $work/no/such/dir/d.img: No such file or directory" \
	--disk "$work/no/such/dir/d.img"
# A live server's socket is refused; once the server is killed outright,
# its socket is stale and removed.
"$COPRO" serve --socket "$work/s.sock" --disk "$work/live.img" --size 1M \
	>"$work/live.log" 2>&1 &
live=$!
tries=0
until [ -S "$work/s.sock" ] && nbdinfo --size "nbd+unix:///?socket=$work/s.sock" \
	>/dev/null 2>&1; do
	tries=$((tries + 1))
	[ "$tries" -lt 300 ] || { kill -9 "$live"; cat "$work/live.log"; fail "the server did not start"; }
	sleep 0.1
done
expect 1 "socket $work/s.sock is in use by another server" --socket "$work/s.sock" \
	--disk "$work/d.img"
[ ! -e "$work/d.img" ] || fail "a socket in use still created the disk"
kill -9 "$live"
wait "$live" || true
expect 0 "removed stale socket $work/s.sock" --socket "$work/s.sock" \
	--disk "$work/d.img" --size 1M --run true
expect 1 "$work/d.img exists and is not a socket" --socket "$work/d.img"

status=0
out=$(env PATH=/nonexistent "$COPRO" serve --disk "$work/d.img" 2>&1) || status=$?
printf '%s\n' "$out"
[ "$status" -eq 1 ] && printf '%s\n' "$out" | grep -q "nbdkit is not installed" ||
	fail "a missing nbdkit was not reported (status $status)"
echo PASS
