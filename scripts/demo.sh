#!/usr/bin/env bash
# The main job: build a sample Function image with rtbuild on each of the project's base images (every
# row of the runtime table: each Node major and Python), check each with rtcheck under both launches
# (its own entrypoint, and Kyma's buildless launch), then run it as a platform would and send it one
# CloudEvent over 127.0.0.1.
# Needs: `make build base-images` (the Makefile's `demo` target does that first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$here/lib.sh"
cd "$root"

containers=()
cleanup() { [ ${#containers[@]} -eq 0 ] || docker rm -fv "${containers[@]}" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

table=$(node --import tsx scripts/runtime-table.ts)
# The table on fd 3: the commands in the loop must not eat its lines from standard input.
while read -r runtime family _version _folder base _rest <&3; do
  case "$family" in nodejs) name=hello-nodejs ;; python) name=hello-python ;; esac
  image="rt-demo/$name:$runtime"
  say ""
  say "== $name: rtbuild on $base"
  bin/rtbuild --base-image "$base" --source "examples/$name" --tag "$image"
  say "== $name on $runtime: rtcheck $image (both launches)"
  bin/rtcheck "$image"
  say "== $name: run it and send a CloudEvent"
  port=$(free_port)
  cid=$(docker run -d --network host --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
    --label io.rt-toolchain.managed=true --label "io.rt-toolchain.owner=$(hostname):$$" --label io.rt-toolchain.purpose=demo \
    -e FUNC_PORT="$port" -e FUNC_NAME="$name" "$image")
  containers+=("$cid")
  wait_until 20 "$name to answer on 127.0.0.1:$port" curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" \
    || { docker logs "$cid" >&2; die "$name did not become healthy"; }
  answer=$(curl -fsS -H 'ce-specversion: 1.0' -H 'ce-type: demo.greeting' -H 'ce-source: /demo' -H 'ce-id: 1' \
    -H 'content-type: application/json' -d '{"from":"make demo"}' "http://127.0.0.1:$port/")
  say "answer: $answer"
  docker rm -fv "$cid" >/dev/null
  containers=()
done 3<<<"$table"

# Kyma's buildless launch with the dependencies baked in (contract section 12): an override image for a
# Function's runtimeImageOverride, and the Function resource that runs it.
kyma_runtime=nodejs22
kyma_base=$(awk -v id="$kyma_runtime" '$1 == id { print $5 }' <<<"$table")
[ -n "$kyma_base" ] || die "the runtime table has no $kyma_runtime"
mkdir -p .rt
kyma_manifest=.rt/greeting-kyma.function.yaml
say ""
say "== greeting-kyma: rtbuild --for kyma on $kyma_base (its dependency baked into the image)"
bin/rtbuild --for kyma --base-image "$kyma_base" --source examples/greeting-kyma \
  --tag "rt-demo/greeting-kyma:$kyma_runtime" --env FUNC_TIMEOUT=30 --manifest "$kyma_manifest"
say "== greeting-kyma: the Function resource that runs it ($kyma_manifest)"
cat "$kyma_manifest"
say "== greeting-kyma: rtcheck the override image as Kyma runs it (with that Function, no registry at start)"
bin/rtcheck "rt-demo/greeting-kyma:$kyma_runtime" --launch kyma --function "$kyma_manifest"

say ""
say "demo: the sample Functions on every base image ($(cut -d' ' -f1 <<<"$table" | xargs)) were built, passed rtcheck under both launches and answered;"
say "      greeting-kyma was built for Kyma's runtimeImageOverride with its dependency baked in, and checked with the Function that runs it ($kyma_manifest)."
