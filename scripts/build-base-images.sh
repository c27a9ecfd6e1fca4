#!/usr/bin/env bash
# Builds the project's runtime base images into the local engine as rt/<runtime>:dev.
# Usage: scripts/build-base-images.sh [nodejs20] [python312]   (default: both)
# The upstream base comes from NODE_BASE_IMAGE / PYTHON_BASE_IMAGE (see scripts/base-images.sh);
# the Dockerfiles default to the official images when those are not set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$here/lib.sh"

runtimes=("$@")
[ ${#runtimes[@]} -gt 0 ] || runtimes=(nodejs20 python312)

for runtime in "${runtimes[@]}"; do
  dir="$root/base-images/$runtime"
  case "$runtime" in
    nodejs20)
      base=${NODE_BASE_IMAGE:-}
      say "base-images: preparing the nodejs20 build context (compile, production node_modules)..."
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2 && npm run --silent image-context >&2)
      ;;
    python312)
      base=${PYTHON_BASE_IMAGE:-}
      say "base-images: preparing the python312 build context (wheels from PyPI)..."
      bash "$dir/scripts/image-context.sh" >&2
      ;;
    *) die "unknown runtime '$runtime' (known: nodejs20, python312)" ;;
  esac
  started=$(date +%s)
  docker build -q ${base:+--build-arg BASE_IMAGE="$base"} \
    --label org.opencontainers.image.revision="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)" \
    -t "rt/$runtime:dev" "$dir" >/dev/null
  say "base-images: built rt/$runtime:dev${base:+ on $base} in $(( $(date +%s) - started )) s"
done
