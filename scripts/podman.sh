#!/usr/bin/env bash
# Makes a Podman service answer with its Docker-compatible API, for the tests that run rtcheck and
# rtbuild against Podman as well as Docker (issue: Podman is a supported engine). Prints, on stdout,
# PODMAN_HOST=unix://… for DOCKER_HOST. Idempotent. On a Debian machine as root it installs Debian's
# podman (4.3) when it is missing; elsewhere it uses a podman on PATH or says how to get one.
#
# Podman asks the kernel for open-file and process limits of 1048576 for every container. Where the
# host caps them lower (this workplace: 20000 open files, 32768 processes for a service), every
# container fails to start with "error setting rlimits for ready process: error setting rlimit type 7"
# (or 6), as plain `podman run` does: this script writes default_ulimits well below such caps into
# /etc/containers/containers.conf when it is root and the file does not set them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

socket=${PODMAN_SOCKET:-/run/podman/podman.sock}
answers() { curl -fsS --unix-socket "$socket" http://podman/_ping >/dev/null 2>&1; }

if ! command -v podman >/dev/null 2>&1; then
  is_debian_root || die "podman is not installed; install Podman 4 (Debian: apt-get install podman) to run the Podman tests"
  say "podman: installing Debian's podman..."
  apt_install podman || die "could not install podman"
fi

conf=/etc/containers/containers.conf
if [ "$(id -u)" = 0 ] && ! grep -qs '^default_ulimits' "$conf"; then
  mkdir -p "$(dirname "$conf")"
  printf '\n[containers]\n# Written by rt-toolchain scripts/podman.sh: limits below this host'"'"'s caps (see the script).\ndefault_ulimits = ["nofile=8192:8192", "nproc=8192:8192"]\n' >> "$conf"
  say "podman: wrote default_ulimits into $conf"
fi

if ! answers; then
  mkdir -p "$(dirname "$socket")"
  say "podman: starting the API service on unix://$socket; log: $RT_STATE_DIR/podman.log"
  # From /: the service outlives the folder that started it (a CI clone is deleted and made again), and
  # conmon starts every container in the service's working directory ("Failed to get working
  # directory", then "write child: broken pipe" for every container start once it is gone).
  (cd / && { setsid nohup podman system service --time=0 "unix://$socket" >"$RT_STATE_DIR/podman.log" 2>&1 </dev/null &
    echo $! >"$RT_STATE_DIR/podman.pid"; })
  wait_until 30 "the Podman API" answers || { tail -n 20 "$RT_STATE_DIR/podman.log" >&2; die "podman did not answer within 30 s"; }
fi
say "podman: answering at unix://$socket ($(podman --version))"
echo "PODMAN_HOST=unix://$socket"
