#!/usr/bin/env bash
# Installs what BugZot needs on Debian/Ubuntu: system packages (only those missing),
# a virtualenv in .venv and the Python requirements. Safe to run again.
#   scripts/setup.sh          runtime requirements
#   scripts/setup.sh --dev    plus the test tools (requirements-dev.txt)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "BugZot needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)." >&2; exit 1; }

# mod_wsgi (in requirements.txt) compiles against Apache's headers and Python's.
pkgs=(apache2-dev gcc)
if [ "$("$PYTHON" -c 'import sys; print(sys.prefix)')" = "/usr" ]; then
  pyver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  pkgs+=(python3-venv "python${pyver}-dev")
fi
apt_install "${pkgs[@]}"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
req=requirements.txt
[ "${1:-}" = "--dev" ] && req=requirements-dev.txt
echo "==> pip install -r $req"
.venv/bin/python -m pip install -q -r "$req"
# BugZot itself, editable: plain `pytest`, `flask --app bugzot` and scripts import it from here.
.venv/bin/python -m pip install -q --no-deps -e .
