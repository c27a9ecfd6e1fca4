# Shared helpers for the project's shell scripts. Sourced, never run.
# Messages go to stderr so scripts can print machine-readable output on stdout.

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND against a deadline.
wait_until() {
  local seconds=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "timed out after ${seconds}s waiting for ${what}"
      return 1
    fi
    sleep 0.2
  done
}

is_debian_root() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_updated=""
apt_install() {
  is_debian_root || return 1
  if [ -z "$apt_updated" ]; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 || return 1
    apt_updated=1
  fi
  # Wait for the dpkg lock instead of failing when another apt run holds it.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" >&2
}

# The state directory holds logs, pid files and the registry's storage.
RT_STATE_DIR=${RT_STATE_DIR:-/var/tmp/rt-toolchain}
mkdir -p "$RT_STATE_DIR"
