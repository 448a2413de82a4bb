#!/usr/bin/env bash
# Set up strg's virtual environment, idempotently: create .venv if needed, install strg with the
# pinned set of requirements/constraints.txt when pyproject.toml or the constraints changed, and
# make sure ffmpeg/ffprobe are on PATH (installed with apt-get when running as root on Debian).
# Source it or run it; STRG_VENV overrides the location, PYTHON the interpreter (3.11+).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${STRG_VENV:-$root/.venv}"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "strg needs Python >= 3.11; set PYTHON to one (found: $("$python" --version 2>&1))" >&2
    exit 1
fi
if [[ ! -x "$venv/bin/python" ]]; then
    echo "[setup] creating the virtual environment $venv"
    "$python" -m venv "$venv"
fi
stamp="$venv/.strg-installed"
wanted="$(cat "$root/pyproject.toml" "$root/requirements/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "[setup] installing strg and its pinned dependencies into $venv (a few minutes the first time)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -c "$root/requirements/constraints.txt" -e "$root[all]"
    echo "$wanted" > "$stamp"
else
    echo "[setup] $venv is up to date"
fi
if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        echo "[setup] installing ffmpeg with apt-get"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
    else
        echo "ffmpeg and ffprobe are needed on PATH; install FFmpeg (Debian/Ubuntu: apt-get install ffmpeg)" >&2
        exit 1
    fi
fi
