#!/usr/bin/env bash
# Run every check against the real stack: lint (ruff), types (mypy) and the test suite (pytest).
# Installs and starts whatever is missing first. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/bootstrap.sh
bash infra/browser.sh
.venv/bin/msc stack up
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy .
echo "== pytest"
.venv/bin/pytest "$@"
