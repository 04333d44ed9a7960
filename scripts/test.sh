#!/usr/bin/env bash
# README command 2 (and what CI runs through .ci/run): install everything the tests
# need, make sure a PostgreSQL server is reachable, then run the whole suite.
#   scripts/test.sh [pytest args...]
# Needs: Debian/Ubuntu, Python 3.11+, root or sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

scripts/setup.sh --dev

# System packages the tests drive for real: Apache httpd (+ headers for mod_wsgi),
# headless Chromium, a PostgreSQL server in case none is running, and rotatelogs
# (apache2-utils) and logrotate for the log-rotation tests, and Redis (rate limits
# shared by two servers).
apt_install apache2 apache2-dev apache2-utils logrotate chromium postgresql redis-server

# Directory and single sign-on tests: OpenLDAP's slapd, a Kerberos KDC with its tools,
# and mod_auth_gssapi. The tests start their own slapd and KDC on loopback ports, so
# slapd's package must not set up (and start) a system directory of its own.
if ! dpkg-query -W -f='${Status}' slapd 2>/dev/null | grep -q "install ok installed"; then
  echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
fi
apt_install slapd ldap-utils krb5-kdc krb5-admin-server krb5-user libapache2-mod-auth-gssapi curl

# axe-core (npm; package-lock.json pins it), which the browser tests inject into every
# page they check (tests/browser_support.py).
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
npm ci --no-audit --no-fund --loglevel=error

# Apache + mod_wsgi set-up, including read access for www-data to the Python home.
scripts/install-apache.sh

# PostgreSQL: use BUGZOT_TEST_POSTGRES_URL, else the server on 127.0.0.1:5432, else
# start a throwaway cluster of our own on a free port (stopped when we exit).
PG_TMP=""
cleanup() {
  if [ -n "$PG_TMP" ]; then
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_TMP/data' -m immediate stop" >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}
trap cleanup EXIT
if [ -z "${BUGZOT_TEST_POSTGRES_URL:-}" ] && [ -z "${BUGZOT_TEST_POSTGRES_ADMIN_URL:-}" ]; then
  # BUGZOT_TEST_OWN_POSTGRES=1 forces the throwaway cluster (to test this path).
  if [ -n "${BUGZOT_TEST_OWN_POSTGRES:-}" ] || ! .venv/bin/python - <<'PY' 2>/dev/null
import psycopg2
psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3).close()
PY
  then
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    PG_PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    PG_TMP=$(mktemp -d /tmp/bugzot-pg.XXXXXX)
    chmod 755 "$PG_TMP"
    chown postgres "$PG_TMP" 2>/dev/null || $SUDO chown postgres "$PG_TMP"
    echo "==> starting a throwaway PostgreSQL server on 127.0.0.1:$PG_PORT"
    run_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
    run_pg "$PG_BIN/initdb -D '$PG_TMP/data' -U postgres -A trust -E UTF8 >/dev/null"
    run_pg "$PG_BIN/pg_ctl -D '$PG_TMP/data' -l '$PG_TMP/log' -w -o \"-h 127.0.0.1 -p $PG_PORT -k $PG_TMP\" start >/dev/null"
    export BUGZOT_TEST_POSTGRES_ADMIN_URL="postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT/postgres"
  fi
fi

echo "==> lint-imports (the layers in pyproject.toml) and ruff"
.venv/bin/lint-imports --no-cache
.venv/bin/ruff check bugzot tests

echo "==> bandit -r bugzot -ll (each accepted finding carries its reason in a nosec comment)"
.venv/bin/bandit -r bugzot -ll -q

# Two test processes (pytest-xdist), one per core of the 2-core machines we run on; a
# module's tests stay in one process (its data set is built once) and every Apache
# test runs in the same one (conftest.py). BUGZOT_TEST_WORKERS=0 runs in this process.
WORKERS=${BUGZOT_TEST_WORKERS:-2}
XDIST=()
if [ "$WORKERS" != "0" ]; then XDIST=(-n "$WORKERS" --dist loadgroup); fi
echo "==> pytest ${XDIST[*]}"
set +e
.venv/bin/python -m pytest "${XDIST[@]}" "$@"
status=$?
set -e
exit $status
