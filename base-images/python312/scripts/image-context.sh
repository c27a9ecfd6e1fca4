#!/usr/bin/env bash
# Prepare the Docker build context (this folder) for the Dockerfile:
# - pid1-sh: the shared PID 1 shell (../shared/pid1-sh), installed as the image's /bin/sh (KB-TERM).
#   The build context is this folder only, so it is copied in (git-ignored).
# - wheels/: the runtime's wheels for CPython 3.11 and 3.12 (manylinux x86_64), so the Dockerfile
#   can install them without network access (containers here cannot reach PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
cp ../shared/pid1-sh pid1-sh
PYTHON="${PYTHON:-python3}"
mkdir -p wheels
for version in 3.11 3.12; do
  "$PYTHON" -m pip download --quiet --disable-pip-version-check \
    --only-binary=:all: --dest wheels \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform linux_x86_64 \
    --implementation cp --python-version "$version" \
    -r requirements.txt
done
ls wheels
