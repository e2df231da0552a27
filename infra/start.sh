#!/usr/bin/env bash
# Start the whole platform on this machine: Python environment, PostgreSQL, Kafka, ClickHouse,
# Keycloak, migrations and the API; then print where to go and how to log in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/bootstrap.sh
# The web pages' translations, compiled from their .po files in pure Python (no msgfmt).
.venv/bin/python -m services.web.i18n compile
exec .venv/bin/msc up "$@"
