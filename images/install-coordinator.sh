#!/usr/bin/env bash
# Installs (or upgrades) the Drover coordinator on the Tractor head node from an unpacked release tarball
# (drover-coordinator-VERSION.tar.gz, built by `./mvnw package` into coordinator/target/). Idempotent; an
# existing /etc/drover/coordinator.yaml is never overwritten. Java: bin/drover-coordinator uses DROVER_JAVA,
# /opt/drover/runtime, JAVA_HOME or `java` on PATH, whichever is first and 17+ (apt install openjdk-17-jre-headless).
#
# Usage: install-coordinator.sh [--root DIR] [--no-systemctl]
#   --root DIR      install into DIR instead of / (tests); implies --no-systemctl and creates no user
#   --no-systemctl  do not run systemctl daemon-reload / enable
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=/
use_systemctl=1

while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; use_systemctl=0; shift 2 ;;
    --no-systemctl) use_systemctl=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install-coordinator: unknown option $1" >&2; exit 2 ;;
  esac
done

for f in lib/drover-coordinator.jar bin/drover-coordinator systemd/drover-coordinator.service coordinator.example.yaml; do
  [ -f "$here/$f" ] || { echo "install-coordinator: $here/$f missing; run this from an unpacked drover-coordinator tarball" >&2; exit 1; }
done

prefix=${root%/}
# The service user: owns nothing but its state (/var/lib/drover, made by StateDirectory= in the unit) and
# reads its config and token files through the group.
if [ "$root" = / ] && ! getent passwd drover >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/drover --no-create-home --shell /usr/sbin/nologin drover
fi

install -d -m 0755 "$prefix/opt/drover/lib" "$prefix/opt/drover/bin" "$prefix/etc/drover" "$prefix/etc/systemd/system"
install -m 0644 "$here/lib/drover-coordinator.jar" "$prefix/opt/drover/lib/drover-coordinator.jar"
install -m 0755 "$here/bin/drover-coordinator" "$prefix/opt/drover/bin/drover-coordinator"
install -m 0644 "$here/systemd/drover-coordinator.service" "$prefix/etc/systemd/system/drover-coordinator.service"
# Config holds (or names) the enrolment and API tokens: root writes it, the drover group reads it.
if [ ! -e "$prefix/etc/drover/coordinator.yaml" ]; then
  install -m 0640 "$here/coordinator.example.yaml" "$prefix/etc/drover/coordinator.yaml"
fi
if [ "$root" = / ]; then
  chown root:drover /etc/drover/coordinator.yaml
fi

if [ "$use_systemctl" = 1 ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload
  systemctl enable drover-coordinator.service
fi
echo "drover coordinator installed into ${root}"
