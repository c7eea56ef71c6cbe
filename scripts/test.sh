#!/usr/bin/env bash
# The whole test suite: set up a virtual environment from pyproject.toml and run pytest.
# PostgreSQL tests use CARECRED_TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test);
# without a server they skip on a laptop and fail in CI (CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${CARECRED_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -e '.[test]'
"$VENV/bin/python" -m carecred.webdeps   # the scanner's QR library and the API docs page's Swagger UI, pinned, from the npm registry
exec "$VENV/bin/python" -m pytest "$@"
