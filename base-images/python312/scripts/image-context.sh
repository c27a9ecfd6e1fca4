#!/usr/bin/env bash
# Fetch the runtime's wheels for CPython 3.11 and 3.12 (manylinux x86_64) into wheels/, so the
# Dockerfile can install them without network access (containers here cannot reach PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
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
