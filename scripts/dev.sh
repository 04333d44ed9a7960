#!/usr/bin/env bash
# README command 1: set up, create the SQLite database with demo data, and start
# BugZot on Flask's built-in server at http://127.0.0.1:5000 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/python run.py --init
