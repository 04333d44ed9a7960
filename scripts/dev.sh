#!/usr/bin/env bash
# README command 1: set up, create the SQLite database with demo data, and start
# BugZot on Flask's built-in server at http://127.0.0.1:5000 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The mail worker beside the server (once run.py has written instance/config.py): queued
# mail lands in instance/outbox/ as .eml files.
( until [ -f instance/config.py ]; do sleep 1; done; sleep 3
  exec .venv/bin/flask --app bugzot send-mail --loop ) &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null || true' EXIT
.venv/bin/python run.py --init
