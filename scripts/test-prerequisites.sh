#!/usr/bin/env bash
# Makes sure the real components the test suite talks to are present and running:
# Debian's Chromium (browser tests) and PostgreSQL at 127.0.0.1:5432 (store contract suite).
# Safe to run repeatedly; installs only what is missing. Needs root (or sudo) on a fresh machine.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ ! -x /usr/bin/chromium ]; then
  echo "test prerequisites: installing Debian's chromium"
  apt_install chromium
fi

PGURL="${SSPR_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_ready() { pg_isready -q -d "$PGURL" 2>/dev/null; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  echo "test prerequisites: installing PostgreSQL"
  apt_install postgresql postgresql-client
fi

if ! pg_ready; then
  echo "test prerequisites: starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main
  # Trust authentication on loopback, as the test suite connects as postgres without a password.
  if ! grep -q "openssspr-tests" "$conf/pg_hba.conf" 2>/dev/null; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust # openssspr-tests\nhost all all ::1/128 trust # openssspr-tests' "$conf/pg_hba.conf"
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || $SUDO pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi

if ! pg_ready; then
  echo "test prerequisites: PostgreSQL is not reachable at $PGURL" >&2
  exit 1
fi
psql "$PGURL" -qtAc 'select 1' >/dev/null
echo "test prerequisites: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), PostgreSQL ready"
