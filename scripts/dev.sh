#!/usr/bin/env bash
# README command 1: set up, create the SQLite database with demo data, and start
# BugZot on Flask's built-in server at http://127.0.0.1:5000 (Ctrl-C stops it).
# Arguments go on to run.py: scripts/dev.sh --port 8080 [--host 0.0.0.0].
# The mail worker runs inside the server process: queued mail lands in instance/outbox/
# as .eml files, its links naming the address actually served.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python run.py --init --mail-worker "$@"
