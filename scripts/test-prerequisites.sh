#!/usr/bin/env bash
# Makes sure the real components the test suite talks to are present and running:
# Debian's Chromium (browser tests), PostgreSQL at 127.0.0.1:5432 (store contract suite) and
# Samba's AD DC programs (Active Directory tests; they start their own throw-away DCs).
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
# Pages are tested and photographed in Japanese and Arabic too: Chromium needs a font for CJK
# (DejaVu covers Arabic). Without it the Japanese name in the language switch shows as boxes.
if [ ! -d /usr/share/fonts/opentype/noto ] || ! ls /usr/share/fonts/opentype/noto 2>/dev/null | grep -q CJK; then
  echo "test prerequisites: installing fonts-noto-cjk"
  apt_install fonts-noto-cjk
fi

# Samba AD DC: the tests provision and run their own domain controllers in temp folders, each on
# its own 127.x.y.z address (test/helpers/samba-dc.ts). Only the programs are needed: no Samba
# service may run system-wide (a system DC would hold ports 389/636 on every address).
samba_missing() {
  [ ! -x /usr/sbin/samba ] || ! command -v samba-tool >/dev/null 2>&1 \
    || [ ! -d /usr/share/samba/setup/ad-schema ] || ! command -v wbinfo >/dev/null 2>&1 \
    || ! command -v ldapsearch >/dev/null 2>&1 || ! command -v kinit >/dev/null 2>&1
}
if samba_missing; then
  echo "test prerequisites: installing Samba AD DC (samba, samba-ad-dc, winbind, ldap-utils, krb5-user)"
  # The packages' maintainer scripts start smbd, nmbd, winbind and samba-ad-dc through
  # invoke-rc.d / deb-systemd-invoke; a policy-rc.d answering 101 ("action forbidden") keeps them
  # all stopped during the install. An existing policy-rc.d (Docker's, for one) is left alone.
  policy_rc=/usr/sbin/policy-rc.d
  own_policy_rc=0
  if [ ! -e "$policy_rc" ]; then
    printf '#!/bin/sh\n# openssspr-tests: no services started while test prerequisites install\nexit 101\n' | $SUDO tee "$policy_rc" >/dev/null
    $SUDO chmod 755 "$policy_rc"
    own_policy_rc=1
    trap '$SUDO rm -f "$policy_rc"' EXIT
  fi
  # samba-ad-provision is only a recommendation of samba-ad-dc, but provisioning needs its schema files.
  apt_install samba samba-ad-dc samba-ad-provision winbind ldap-utils krb5-user
  if [ "$own_policy_rc" -eq 1 ]; then
    $SUDO rm -f "$policy_rc"
    trap - EXIT
  fi
  # Nor at the next boot.
  if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now smbd nmbd winbind samba-ad-dc >/dev/null 2>&1 || true
  fi
fi
if command -v ss >/dev/null 2>&1 && ss -ltnH 2>/dev/null | awk '{print $4}' | grep -Eq '^(0\.0\.0\.0|\*|\[::\]):(389|636)$'; then
  echo "test prerequisites: something listens on port 389 or 636 on every address (a system Samba or LDAP server?);" >&2
  echo "  the Active Directory tests need those ports on their own 127.x.y.z addresses — stop that service first" >&2
  exit 1
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
echo "test prerequisites: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), $(/usr/sbin/samba --version 2>/dev/null | sed 's/^Version /Samba /'), PostgreSQL ready"
