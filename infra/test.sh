#!/usr/bin/env bash
# Run every check against the real stack: lint (ruff), types (mypy) and the test suite (pytest).
# Installs and starts whatever is missing first. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/bootstrap.sh
bash infra/browser.sh
# The web pages' translations, compiled from their .po files in pure Python (no msgfmt).
.venv/bin/python -m services.web.i18n compile
.venv/bin/msc stack up
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy .
echo "== pytest"
.venv/bin/pytest "$@"
