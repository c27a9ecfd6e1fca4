#!/usr/bin/env bash
# Builds the project's runtime base images into the local engine as rt/<runtime>:dev.
# Usage: scripts/build-base-images.sh [nodejs20] [nodejs22] [nodejs24] [python312]   (default: all)
# The runtimes and their folders, build arguments and upstream variables match the runtime
# table (src/platform/runtimes.ts): the Node majors share base-images/nodejs (--build-arg NODE_MAJOR)
# and take their upstream from NODE<major>_BASE_IMAGE, Python from PYTHON_BASE_IMAGE (see
# scripts/base-images.sh); the Dockerfiles default to the official images when those are not set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$here/lib.sh"

ALL=(nodejs20 nodejs22 nodejs24 python312)
runtimes=("$@")
[ ${#runtimes[@]} -gt 0 ] || runtimes=("${ALL[@]}")
for runtime in "${runtimes[@]}"; do
  case "$runtime" in
    nodejs20 | nodejs22 | nodejs24 | python312) ;;
    *) die "unknown runtime '$runtime' (known: ${ALL[*]})" ;;
  esac
done

revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
node_context_ready=""

# build RUNTIME FOLDER UPSTREAM [BUILD-ARG...]: docker build of one image, timed.
build() {
  local runtime=$1 dir=$2 base=$3 started=$SECONDS
  shift 3
  docker build -q ${base:+--build-arg BASE_IMAGE="$base"} "$@" \
    --label org.opencontainers.image.revision="$revision" \
    -t "rt/$runtime:dev" "$dir" >/dev/null
  say "base-images: built rt/$runtime:dev${base:+ on $base} in $(( SECONDS - started )) s"
}

for runtime in "${runtimes[@]}"; do
  case "$runtime" in
    nodejs*)
      major=${runtime#nodejs}
      dir="$root/base-images/nodejs"
      # One context (compiled, bundled server, launch files) for every major: prepared once.
      if [ -z "$node_context_ready" ]; then
        say "base-images: preparing the Node build context (compile, bundle) for every major..."
        # npm ci only when node_modules is older than the package files (the Makefile's rule for it).
        (cd "$dir" \
          && { [ node_modules/.package-lock.json -nt package.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
               || npm ci --no-audit --no-fund --loglevel=error >&2; } \
          && npm run --silent image-context >&2)
        node_context_ready=1
      fi
      upstream_var="NODE${major}_BASE_IMAGE"
      build "$runtime" "$dir" "${!upstream_var:-}" --build-arg NODE_MAJOR="$major"
      ;;
    python312)
      dir="$root/base-images/python312"
      say "base-images: preparing the python312 build context (wheels from PyPI)..."
      bash "$dir/scripts/image-context.sh" >&2
      build "$runtime" "$dir" "${PYTHON_BASE_IMAGE:-}"
      ;;
  esac
done
