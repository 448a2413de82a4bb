#!/usr/bin/env bash
# The test suite: set up, then lint with ruff and run pytest (arguments are passed to pytest).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
venv="${STRG_VENV:-$root/.venv}"
"$venv/bin/ruff" check .
exec "$venv/bin/python" -m pytest "$@"
