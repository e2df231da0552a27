#!/usr/bin/env bash
# Create or refresh the Python environment in .venv/ (Python 3.11) with the project installed.
# Called by infra/start.sh and infra/test.sh; safe to run again (does nothing when up to date).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${MSC_PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON="$candidate"; break
    fi
  done
fi
if [[ -z "$PYTHON" ]]; then
  echo "bootstrap: Python 3.11 is required (set MSC_PYTHON to its path)" >&2
  exit 1
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "bootstrap: creating .venv with $PYTHON"
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian splits venv support into its own package.
    echo "bootstrap: installing Debian's python3-venv"
    rm -rf .venv
    if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo -n"; fi
    $SUDO apt-get update -q && $SUDO apt-get install -y -q python3-venv
    "$PYTHON" -m venv .venv
  fi
fi

stamp=".venv/.msc-installed"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
  echo "bootstrap: installing the project and its development tools into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$wanted" > "$stamp"
fi
