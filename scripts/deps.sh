#!/usr/bin/env bash
# Install the Debian packages copro needs to build, test, fuzz and serve.
# Idempotent: installs only what is missing, and runs `apt-get update` only
# when something has to be installed.
set -euo pipefail

packages=(
	build-essential cmake ninja-build pkg-config clang llvm libclang-rt-dev
	device-tree-compiler libfdt-dev
	zlib1g-dev libjansson-dev
	libcmocka-dev jq
	nbdkit nbdkit-plugin-dev libnbd-bin
	fio qemu-utils liburing-dev
	gnutls-bin
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		sudo=(sudo)
	else
		echo "deps.sh: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	fi
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
