#!/usr/bin/env bash
# Run the python312 runtime's test suite (sets up the venv first). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-dev.sh >/dev/null
exec .venv/bin/python -m pytest -q -p no:cacheprovider tests "$@"
