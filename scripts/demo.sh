#!/usr/bin/env bash
# The main job: set up a virtual environment (first run only) and run both services on SQLite
# with demo data. Needs only Python 3.11+.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/carecred ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e .
fi
exec .venv/bin/carecred demo "$@"
