#!/usr/bin/env bash
# Makes a Docker engine answer, or says what the user must provide.
# Idempotent: an engine that already answers (DOCKER_HOST or the default socket) is used as is.
# On a Debian machine as root it installs Debian's docker.io when dockerd is missing and starts
# dockerd with the bridge switched off (see ../shared/ENGINE.md: no bridge networks, ever).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

engine_answers() { docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1; }

if ! command -v docker >/dev/null 2>&1 && is_debian_root; then
  say "installing Debian's docker.io (client and engine)..."
  apt_install docker.io
fi
command -v docker >/dev/null 2>&1 || die "no docker client on PATH; install Docker (engine API 1.41 or newer) and run this again"

if engine_answers; then
  say "engine: already answering at ${DOCKER_HOST:-unix:///var/run/docker.sock} (API $(docker version --format '{{.Server.APIVersion}}'))"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ]; then
  die "DOCKER_HOST=${DOCKER_HOST} does not answer. Start that engine, or unset DOCKER_HOST to let this script start a local one."
fi

if ! is_debian_root; then
  die "no Docker engine answers at /var/run/docker.sock and this is not a Debian machine where I run as root.
Start a Docker engine yourself (Docker Desktop, dockerd, or a remote engine via DOCKER_HOST=tcp://...), then run this again."
fi

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing Debian's docker.io (dockerd, containerd, runc)..."
  apt_install docker.io
fi

say "engine: starting dockerd (bridge off, iptables off); log: $RT_STATE_DIR/dockerd.log"
# setsid + nohup: the engine must outlive this script and the CI step that started it; from /, as it
# outlives the folder that started it too.
cd /
setsid nohup dockerd \
  -H unix:///var/run/docker.sock \
  --bridge=none --iptables=false --ip-masq=false \
  --pidfile "$RT_STATE_DIR/dockerd.pid" \
  >"$RT_STATE_DIR/dockerd.log" 2>&1 < /dev/null &

if ! wait_until 60 "the Docker engine API" engine_answers; then
  tail -n 20 "$RT_STATE_DIR/dockerd.log" >&2 || true
  die "dockerd did not answer within 60 s; its log is above ($RT_STATE_DIR/dockerd.log)"
fi
say "engine: answering (API $(docker version --format '{{.Server.APIVersion}}'))"
