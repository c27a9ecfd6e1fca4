#!/usr/bin/env bash
# Create or update base-images/python312/.venv from the host python3 (3.11 or 3.12). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -r requirements.txt -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
echo "python312 dev environment ready: $(.venv/bin/python --version)"
