#!/bin/sh
# copro serve reports every setup mistake itself, once, naming the file
# or value, before the banner and before nbdkit serves anything; nothing
# is left behind, and nothing hangs (FIFOs are refused, not read).
. "$(dirname "$0")/lib.sh"
need nbdinfo nbdkit

# expect STATUS REGEX ARGS... : copro serve ARGS exits STATUS saying REGEX
# exactly once, without a banner.
expect() {
	want=$1 regex=$2
	shift 2
	status=0
	out=$(timeout 30 "$COPRO" serve "$@" 2>&1) || status=$?
	printf '%s\n' "$out"
	[ "$status" -eq "$want" ] || fail "copro serve $*: status $status, expected $want"
	[ "$(printf '%s\n' "$out" | grep -Ec -- "$regex")" -eq 1 ] ||
		fail "copro serve $*: output does not say /$regex/ exactly once"
	if [ "$want" -ne 0 ] && printf '%s\n' "$out" | grep -q "NVMe namespace on"; then
		fail "copro serve $*: printed a banner before failing"
	fi
}

expect 2 "invalid value '12x' for --size" --size 12x
expect 2 "invalid value '1000' for --size" --size 1000
expect 2 "invalid value '70000' for --port \(a TCP port, 1 to 65535\)" --port 70000
expect 2 "invalid value 'ten' for --threads" --threads ten
expect 2 "invalid value 'maybe' for --tls" --tls maybe
expect 2 "invalid value 'often' for --map-writes" --map-writes often
expect 2 "--tls require needs --tls-certificates DIR" --tls require
expect 2 "--socket and --port exclude each other" --socket "$work/s" --port 10809
expect 2 "--daemon and --run exclude each other" --daemon --run true
expect 2 "unexpected argument 'extra'" extra
expect 1 "board no-such-board cannot serve: .*not a built-in board" \
	--board no-such-board --disk "$work/d.img"
[ ! -e "$work/d.img" ] || fail "a bad board still created the disk"
expect 1 "disk $work is a directory" --disk "$work"
head -c 1000 /dev/zero >"$work/odd.img"
expect 1 "disk $work/odd.img is 1000 bytes, not a multiple of 4096: give a size with --size" \
	--disk "$work/odd.img"
expect 1 "cannot create disk $work/no/such/dir/d.img: No such file or directory" \
	--disk "$work/no/such/dir/d.img"

# Sizes: growing is said, shrinking refused, sizes read in their unit.
truncate -s 8M "$work/grow.img"
expect 1 "disk $work/grow.img holds 8 MiB .* a size of 4 MiB would hide its end" \
	--disk "$work/grow.img" --size 4M
expect 0 "grew $work/grow.img from 8 MiB to 16 MiB \(sparse\), as --size asked" \
	--disk "$work/grow.img" --size 16M --run true
[ "$(stat -c %s "$work/grow.img")" -eq 16777216 ] || fail "the disk was not grown"
expect 0 "NVMe namespace on $work/small.img \(4 KiB\)" --disk "$work/small.img" \
	--size 4096 --run true

# Image formats are refused, pointing at qemu-img convert.
if command -v qemu-img >/dev/null 2>&1; then
	qemu-img create -q -f qcow2 "$work/vm.qcow2" 16M
	expect 1 "disk $work/vm.qcow2 is a qcow2 image, not a raw disk.*qemu-img convert -O raw" \
		--disk "$work/vm.qcow2"
	expect 0 "NVMe namespace on $work/vm.qcow2" --disk "$work/vm.qcow2" --raw \
		--size 16M --run true
	qemu-img create -q -f vmdk "$work/vm.vmdk" 16M
	expect 1 "is a vmdk image" --disk "$work/vm.vmdk"
fi

# FIFOs and other non-files: refused at once, never read.
mkfifo "$work/fifo"
expect 1 "disk $work/fifo is a FIFO \(named pipe\), not a disk image" --disk "$work/fifo"
expect 1 "board $work/fifo is a FIFO \(named pipe\), not a .dtb or .dts file" \
	--board "$work/fifo" --disk "$work/d.img"
expect 1 "board $work is a directory" --board "$work" --disk "$work/d.img"
expect 1 "disk /dev/null is a character device" --disk /dev/null

# Boards as devicetree source: compiled with dtc, or refused with the command.
cp "$BOARDS_DIR/t6000.dts" "$work/board.dts"
expect 0 "board $work/board.dts, NVMe namespace" --board "$work/board.dts" \
	--disk "$work/d.img" --size 1M --run true
mkdir "$work/bin"
ln -s "$(command -v nbdkit)" "$work/bin/nbdkit"
status=0
out=$(env PATH="$work/bin" "$COPRO" serve --board "$work/board.dts" \
	--disk "$work/d.img" 2>&1) || status=$?
printf '%s\n' "$out"
[ "$status" -eq 1 ] && printf '%s\n' "$out" |
	grep -q "dtc is not installed.*'dtc -I dts -O dtb -o board.dtb $work/board.dts'" ||
	fail "a .dts board without dtc was not refused with the dtc command"
printf '/dts-v1/;\n/ { broken' >"$work/bad.dts"
expect 1 "dtc cannot compile board $work/bad.dts" --board "$work/bad.dts" --disk "$work/d.img"

# Where to listen: a missing directory, a port in use.
expect 1 "cannot listen on $work/nodir/s.sock: directory $work/nodir does not exist" \
	--socket "$work/nodir/s.sock" --disk "$work/d.img"
port=$((20000 + $$ % 20000))
nbdkit --foreground --exit-with-parent --ipaddr 127.0.0.1 --port "$port" \
	memory 1M >"$work/busy.log" 2>&1 &
busy=$!
cleanup_extra='kill $busy 2>/dev/null'
wait_for nbdinfo --size "nbd://127.0.0.1:$port/" || fail "nbdkit did not start on port $port"
expect 1 "port $port on 127.0.0.1 is in use" --port "$port" --disk "$work/d.img"
kill "$busy"
wait "$busy" 2>/dev/null || true

# A live server's socket is refused; once the server is killed outright,
# its socket is stale and removed.
"$COPRO" serve --socket "$work/s.sock" --disk "$work/live.img" --size 1M \
	>"$work/live.log" 2>&1 &
live=$!
wait_for serving "$work/s.sock" || { kill -9 "$live"; cat "$work/live.log"; fail "the server did not start"; }
expect 1 "socket $work/s.sock is in use by another server" --socket "$work/s.sock" \
	--disk "$work/d2.img"
[ ! -e "$work/d2.img" ] || fail "a socket in use still created the disk"
kill -9 "$live"
wait "$live" || true
# Its nbdkit goes on its own (--exit-with-parent), after the plugin's
# cleanup: until then the socket is rightly in use.
wait_for not_serving "$work/s.sock" || fail "the killed server's nbdkit kept serving"
expect 0 "removed stale socket $work/s.sock" --socket "$work/s.sock" \
	--disk "$work/d.img" --size 1M --run true
touch "$work/plain"
expect 1 "$work/plain exists and is not a socket" --socket "$work/plain"

status=0
out=$(env PATH=/nonexistent "$COPRO" serve --disk "$work/d.img" 2>&1) || status=$?
printf '%s\n' "$out"
[ "$status" -eq 1 ] && printf '%s\n' "$out" | grep -q "nbdkit is not installed" ||
	fail "a missing nbdkit was not reported (status $status)"

# The plugin on its own refuses to serve a throwaway disk.
status=0
# (A sanitized plugin needs its runtime preloaded; nbdkit's own leaks are
# not the plugin's.)
out=$(env ${NBDKIT_PRELOAD:+LD_PRELOAD="$NBDKIT_PRELOAD" ASAN_OPTIONS=detect_leaks=0} \
	timeout 30 nbdkit --foreground "$NBDKIT_PLUGIN" --run true 2>&1) || status=$?
printf '%s\n' "$out"
[ "$status" -ne 0 ] && printf '%s\n' "$out" | grep -q "no disk: give disk=FILE" ||
	fail "the plugin without disk= did not refuse (status $status)"
echo PASS
