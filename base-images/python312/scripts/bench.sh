#!/usr/bin/env bash
# Side-by-side benchmark: bare Bottle on cheroot vs this runtime (needs wrk and taskset).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-dev.sh >/dev/null
exec .venv/bin/python bench/run.py "$@"
