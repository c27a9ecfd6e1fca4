#!/usr/bin/env bash
# Builds the project's runtime base images into the local engine as rt/<runtime>:dev.
# Usage: scripts/build-base-images.sh [RUNTIME...]   (default: every base image the project ships)
# The runtimes, their folders, build arguments and upstream variables come from the runtime table
# (src/platform/runtimes.ts, printed by scripts/runtime-table.ts): the Node majors share
# base-images/nodejs (--build-arg NODE_MAJOR) and take their upstream from NODE<major>_BASE_IMAGE, Python
# from PYTHON_BASE_IMAGE (see scripts/base-images.sh); the Dockerfiles default to the official images
# when those are not set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$here/lib.sh"

table=$(cd "$root" && node --import tsx scripts/runtime-table.ts) || die "cannot read the runtime table (run npm ci first)"
mapfile -t ALL < <(cut -d' ' -f1 <<<"$table")
runtimes=("$@")
[ ${#runtimes[@]} -gt 0 ] || runtimes=("${ALL[@]}")
for runtime in "${runtimes[@]}"; do
  grep -q "^$runtime " <<<"$table" || die "unknown runtime '$runtime' (known: ${ALL[*]})"
done

revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
node_context_ready=""

# build TAG FOLDER UPSTREAM [--build-arg K=V...]: docker build of one image, timed.
build() {
  local tag=$1 dir=$2 base=$3 started=$SECONDS
  shift 3
  docker build -q ${base:+--build-arg BASE_IMAGE="$base"} "$@" \
    --label org.opencontainers.image.revision="$revision" \
    -t "$tag" "$dir" >/dev/null
  say "base-images: built $tag${base:+ on $base} in $(( SECONDS - started )) s"
}

for runtime in "${runtimes[@]}"; do
  read -r _id family _version folder tag upstream_var build_args <<<"$(grep "^$runtime " <<<"$table")"
  dir="$root/$folder"
  args=()
  for arg in $build_args; do args+=(--build-arg "$arg"); done
  case "$family" in
    nodejs)
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
      ;;
    python)
      say "base-images: preparing the $runtime build context (wheels from PyPI)..."
      bash "$dir/scripts/image-context.sh" >&2
      ;;
  esac
  build "$tag" "$dir" "${!upstream_var:-}" "${args[@]}"
done
