#!/usr/bin/env bash
# Makes an image registry answer on 127.0.0.1:5000 (RT_REGISTRY_ADDR), or says what to provide.
# Idempotent. On a Debian machine as root it installs Debian's docker-registry (CNCF Distribution)
# when missing and runs it with filesystem storage under the state directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

addr=${RT_REGISTRY_ADDR:-127.0.0.1:5000}
registry_answers() { curl -fs -o /dev/null "http://$addr/v2/"; }

if registry_answers; then
  say "registry: already answering at http://$addr/v2/"
  exit 0
fi
if ! command -v docker-registry >/dev/null 2>&1; then
  is_debian_root || die "no registry answers at $addr and docker-registry is not installed.
Run one yourself (e.g. 'docker-registry serve CONFIG' or the 'registry:2' image on $addr), then run this again."
  say "installing Debian's docker-registry..."
  apt_install docker-registry
fi

storage="$RT_STATE_DIR/registry-data"
config="$RT_STATE_DIR/registry.yml"
mkdir -p "$storage"
cat >"$config" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $storage
  delete:
    enabled: true
http:
  addr: $addr
YAML
say "registry: starting on $addr; log: $RT_STATE_DIR/registry.log"
# From /: the registry outlives the folder that started it (a CI clone is deleted and made again).
cd /
setsid nohup docker-registry serve "$config" >"$RT_STATE_DIR/registry.log" 2>&1 < /dev/null &
echo $! >"$RT_STATE_DIR/registry.pid"
if ! wait_until 30 "the registry on $addr" registry_answers; then
  tail -n 20 "$RT_STATE_DIR/registry.log" >&2 || true
  die "the registry did not answer within 30 s; its log is above"
fi
say "registry: answering at http://$addr/v2/"
