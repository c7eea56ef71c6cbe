#!/usr/bin/env bash
# The main job: set up a virtual environment (first run only) and run both services on SQLite
# with demo data. Needs only Python 3.11+.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/carecred ]; then
  echo "First run: installing into .venv (about a minute; log in .venv/install.log)..."
  "$PYTHON" -m venv .venv
  if ! { .venv/bin/pip install --upgrade pip && .venv/bin/pip install -e .; } > .venv/install.log 2>&1; then
    tail -n 30 .venv/install.log
    echo "installation failed; the whole log is in .venv/install.log" >&2
    rm -f .venv/bin/carecred
    exit 1
  fi
fi
# The scanner's QR decoder comes from the npm registry (pinned in services/credential/web/npm-lock.json, never
# committed); without it the page still verifies pasted text and, where the browser has one, uses BarcodeDetector.
.venv/bin/python -m carecred.webdeps || echo "warning: the web pages' scripts could not be fetched; camera scanning needs BarcodeDetector and /schema/docs shows only how to fetch them" >&2
exec .venv/bin/carecred demo "$@"
