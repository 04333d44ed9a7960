#!/usr/bin/env bash
# Prepare this Debian/Ubuntu machine for the live-Apache tests (tests/test_apache.py) and
# for docs/DEPLOY-LINUX.md: Apache httpd with its build headers, mod_wsgi in the
# virtualenv, and search permission for Apache's user on the folders it must reach.
# Idempotent: does only what is missing. Run as root (scripts/test.sh calls it).
#
#   scripts/install-apache.sh            # venv: ./.venv, Apache user: www-data
#   VENV=/srv/bugzot/.venv APACHE_USER=www-data scripts/install-apache.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
APACHE_USER="${APACHE_USER:-www-data}"

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "install-apache.sh: $1 needs root; run it with sudo." >&2
        exit 1
    fi
}

# 1. Apache and apxs (apache2-dev), which `pip install mod_wsgi` compiles against.
if ! command -v apache2 >/dev/null || ! command -v apxs >/dev/null; then
    need_root "installing apache2 and apache2-dev"
    export DEBIAN_FRONTEND=noninteractive
    # Wait for another apt/dpkg run (e.g. unattended upgrades) instead of failing.
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq apache2 apache2-dev >/dev/null
fi

# 2. mod_wsgi built for the virtualenv's Python (not Debian's libapache2-mod-wsgi-py3).
if ! "$VENV/bin/python" -c "import mod_wsgi" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet mod_wsgi
fi

# 3. Apache's user must be able to *reach* the base Python the venv was made from, the
#    venv and the checkout. A pyenv Python lives under /root (mode 0700), and then the
#    daemon dies with "failed to get the Python codec of the filesystem encoding".
#    Grant search (o+x) only - no listing, no reading of other files - on each folder
#    above them that lacks it.
BASE_PREFIX="$("$VENV/bin/python" -c 'import sys; print(sys.base_prefix)')"
for target in "$BASE_PREFIX" "$VENV" "$ROOT"; do
    dir="$target"
    while [ "$dir" != "/" ]; do
        if [ -d "$dir" ] && [ "$(( 0$(stat -c %a "$dir") & 01 ))" = 0 ]; then
            need_root "chmod o+x $dir"
            chmod o+x "$dir"
            echo "install-apache.sh: chmod o+x $dir (so $APACHE_USER can reach $target)"
        fi
        dir="$(dirname "$dir")"
    done
done

# 4. Prove it: Apache's user can start the venv's Python and import the app's packages.
if [ "$(id -u)" = 0 ] && ! (cd "$ROOT" && runuser -u "$APACHE_USER" -- "$VENV/bin/python" \
        -c "import flask, mod_wsgi, bugzot") 2>"${err:=$(mktemp)}"; then
    echo "install-apache.sh: $APACHE_USER cannot run $VENV/bin/python with BugZot:" >&2
    cat "$err" >&2
    exit 1
fi
echo "install-apache.sh: $(apache2 -v | head -1 | cut -d' ' -f3), mod_wsgi in $VENV, permissions OK."
