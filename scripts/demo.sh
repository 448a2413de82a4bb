#!/usr/bin/env bash
# The main job on the embedded data set: set up, then run `strg demo` (arguments are passed on).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
exec "${STRG_VENV:-$root/.venv}/bin/python" -m strg.cli demo "$@"
