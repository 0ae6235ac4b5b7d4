#!/usr/bin/env bash
# make install DESTDIR=$tmp PREFIX=/usr as a packager runs it (its own
# build directory, no tests), then programs built against the installed
# tree: with pkg-config (copro, copro-sim) and with find_package(copro)
# (examples/, which then runs).
#
# install.sh SOURCE_DIR
set -euo pipefail
src=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== make install DESTDIR=$root PREFIX=/usr"
make -C "$src" --no-print-directory install BUILD="$tmp/build" \
	DESTDIR="$root" PREFIX=/usr JOBS=2 CMAKE_FLAGS=-DCOPRO_TESTS=OFF \
	>"$tmp/install.log" 2>&1 || { tail -40 "$tmp/install.log" >&2; fail "make install"; }
if grep -q -- '-Werror' "$tmp/build/compile_commands.json"; then
	fail "a packager's build uses -Werror"
fi

for f in usr/bin/copro usr/include/copro/rtkit.h usr/include/copro/driver/platform.h \
	 usr/include/copro/sim/raw.h; do
	[ -e "$root/$f" ] || fail "$f is not installed"
done
[ ! -e "$root/usr/include/copro/os.h" ] || fail "the internal os.h is installed"
[ ! -e "$root/usr/include/copro/regs" ] || fail "the internal regs/ are installed"
libdir=$(dirname "$(find "$root/usr" -name 'libcopro.so.*.*' | head -1)")
[ -d "$libdir" ] || fail "libcopro.so is not installed"
for f in libcopro.so libcopro.so.0 libcopro.a libcopro-sim.so libcopro-sim.so.0 \
	 libcopro-sim.a pkgconfig/copro.pc pkgconfig/copro-sim.pc \
	 cmake/copro/coproConfig.cmake cmake/copro/coproTargets.cmake; do
	[ -e "$libdir/$f" ] || fail "$libdir/$f is not installed"
done
plugindir=$(pkg-config --variable=plugindir nbdkit 2>/dev/null || true)
if [ -n "$plugindir" ]; then
	[ -e "$root$plugindir/nbdkit-copro-plugin.so" ] ||
		fail "the nbdkit plugin is not in nbdkit's plugin directory ($root$plugindir)"
fi

echo "== every installed header compiles on its own, as C11 and as C++"
n=0
for h in $(cd "$root/usr/include" && find copro -name '*.h' | sort); do
	printf '#include <%s>\nint copro_header_check;\n' "$h" >"$tmp/h.c"
	gcc -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only \
		-I"$root/usr/include" "$tmp/h.c" || fail "$h does not compile on its own"
	if command -v g++ >/dev/null; then
		g++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -x c++ \
			-I"$root/usr/include" "$tmp/h.c" || fail "$h does not compile as C++"
	fi
	n=$((n + 1))
done
echo "$n headers"

export PKG_CONFIG_PATH=$libdir/pkgconfig
export LD_LIBRARY_PATH=$libdir
echo "== pkg-config copro: $(pkg-config --cflags --libs copro)"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/consumer" "$here/consumer.c" \
	$(pkg-config --cflags --libs copro) || fail "building against copro.pc"
"$tmp/consumer" || fail "the copro consumer"
if readelf -d "$tmp/consumer" | grep NEEDED | grep -q copro-sim; then
	fail "a libcopro program needs libcopro-sim"
fi
readelf -d "$tmp/consumer" | grep -q 'NEEDED.*libcopro.so.0' ||
	fail "the consumer does not use libcopro.so.0"

echo "== pkg-config copro-sim: $(pkg-config --cflags --libs copro-sim)"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/sim_consumer" "$here/sim_consumer.c" \
	$(pkg-config --cflags --libs copro-sim) || fail "building against copro-sim.pc"
"$tmp/sim_consumer" || fail "the copro-sim consumer"

echo "== the static archives: the same names as the shared libraries"
for l in libcopro libcopro-sim; do
	nm -g --defined-only "$libdir/$l.a" | awk 'NF == 3 {print $3}' | sort -u >"$tmp/$l.a.syms"
	nm -D --defined-only "$libdir/$l.so" | awk '{print $NF}' | sort -u >"$tmp/$l.so.syms"
	cmp -s "$tmp/$l.a.syms" "$tmp/$l.so.syms" || {
		diff "$tmp/$l.a.syms" "$tmp/$l.so.syms" | head -20 >&2
		fail "$l.a defines global names $l.so does not export"
	}
done
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/sim_static" "$here/sim_consumer.c" \
	-I"$root/usr/include" "$libdir/libcopro-sim.a" "$libdir/libcopro.a" -lfdt -lz -pthread ||
	fail "linking the static archives"
if readelf -d "$tmp/sim_static" | grep NEEDED | grep -q copro; then
	fail "the static build needs a copro shared library"
fi
"$tmp/sim_static" || fail "the statically linked copro-sim consumer"

mkdir -p "$tmp/cmake-static"
cp "$here/sim_consumer.c" "$tmp/cmake-static/"
cat >"$tmp/cmake-static/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(static_consumer C)
find_package(copro 0.1 REQUIRED)
add_executable(sim_consumer sim_consumer.c)
target_link_libraries(sim_consumer PRIVATE copro::copro-sim-static)
CMAKE
cmake -S "$tmp/cmake-static" -B "$tmp/cmake-static/build" \
	-DCMAKE_PREFIX_PATH="$root/usr" >"$tmp/static.log" 2>&1 &&
	cmake --build "$tmp/cmake-static/build" >>"$tmp/static.log" 2>&1 ||
	{ cat "$tmp/static.log" >&2; fail "find_package(copro) with copro::copro-sim-static"; }
"$tmp/cmake-static/build/sim_consumer" || fail "the copro::copro-sim-static consumer"

echo "== find_package(copro): examples/"
cmake -S "$src/examples" -B "$tmp/examples" -DCMAKE_PREFIX_PATH="$root/usr" \
	-DCMAKE_C_FLAGS="-Wall -Wextra -Werror" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$tmp/examples.log" 2>&1 ||
	{ cat "$tmp/examples.log" >&2; fail "configuring examples/ with find_package(copro)"; }
cmake --build "$tmp/examples" >>"$tmp/examples.log" 2>&1 ||
	{ cat "$tmp/examples.log" >&2; fail "building examples/"; }
if grep -q -- "-I$src" "$tmp/examples/compile_commands.json"; then
	fail "examples/ were built against the source tree"
fi
"$tmp/examples/bare_nvme" || fail "examples/bare_nvme against the installed libraries"
echo "install: ok"
