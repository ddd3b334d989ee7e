#!/usr/bin/env bash
# Installs (or upgrades) the Drover agent from an unpacked release tarball (drover-agent-VERSION.tar.gz, built by
# `./mvnw package` into agent/target/). Idempotent: run the newer tarball's copy to upgrade; an existing
# /etc/drover/agent.yaml is never overwritten.
#
# Usage: install-agent.sh [--root DIR] [--runtime DIR] [--no-systemctl]
#   --root DIR      install into DIR instead of / (image builds and tests); implies --no-systemctl
#   --runtime DIR   use this jlink runtime instead of the tarball's runtime/ or building one here with
#                   build-runtime.sh (which needs a JDK 17+ with jlink: JAVA_HOME or PATH)
#   --no-systemctl  do not run systemctl daemon-reload / enable
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=/
runtime=
use_systemctl=1

while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; use_systemctl=0; shift 2 ;;
    --runtime) runtime=$2; shift 2 ;;
    --no-systemctl) use_systemctl=0; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install-agent: unknown option $1" >&2; exit 2 ;;
  esac
done

for f in lib/drover-agent.jar bin/drover-agent bin/drover-run systemd/drover-agent.service \
  systemd/drover-agent-helper.service agent.example.yaml; do
  [ -f "$here/$f" ] || { echo "install-agent: $here/$f missing; run this from an unpacked drover-agent tarball" >&2; exit 1; }
done

prefix=${root%/}
# The agent's user: the agent runs as drover with no capability; its root helper (drover-agent-helper.service)
# mounts and starts tasks for it. Only on a real install; image builds into --root get it when installed there.
if [ "$prefix" = "" ] && [ "$(id -u)" = 0 ] && ! getent passwd drover >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/drover --no-create-home --shell /usr/sbin/nologin drover
fi
install -d -m 0755 "$prefix/opt/drover/lib" "$prefix/opt/drover/bin" "$prefix/etc/drover" \
  "$prefix/etc/systemd/system" "$prefix/usr/local/bin" "$prefix/var/spool/drover/logs"
# Renders run as the farm user and write their captured output here; sticky like /tmp.
install -d -m 1777 "$prefix/var/spool/drover/tasks"

# The runtime: given, shipped in the tarball, or built here from the jar (only the modules the agent needs).
rm -rf "$prefix/opt/drover/runtime.new"
if [ -n "$runtime" ]; then
  [ -x "$runtime/bin/java" ] || { echo "install-agent: $runtime/bin/java not found" >&2; exit 1; }
  cp -a "$runtime" "$prefix/opt/drover/runtime.new"
elif [ -x "$here/runtime/bin/java" ]; then
  cp -a "$here/runtime" "$prefix/opt/drover/runtime.new"
else
  bash "$here/build-runtime.sh" "$here/lib/drover-agent.jar" "$prefix/opt/drover/runtime.new"
fi
# Swap the runtime, then the jar and scripts: a running agent keeps its open files until it is restarted.
rm -rf "$prefix/opt/drover/runtime"
mv "$prefix/opt/drover/runtime.new" "$prefix/opt/drover/runtime"
install -m 0644 "$here/lib/drover-agent.jar" "$prefix/opt/drover/lib/drover-agent.jar"
install -m 0755 "$here/bin/drover-agent" "$prefix/opt/drover/bin/drover-agent"
install -m 0755 "$here/bin/drover-run" "$prefix/opt/drover/bin/drover-run"
install -m 0644 "$here/systemd/drover-agent.service" "$prefix/etc/systemd/system/drover-agent.service"
install -m 0644 "$here/systemd/drover-agent-helper.service" "$prefix/etc/systemd/system/drover-agent-helper.service"
ln -sfn /opt/drover/bin/drover-run "$prefix/usr/local/bin/drover-run"

# Config: root writes it (the helper takes mounts and tasks.runAs from it and refuses a config anyone else may
# write), the drover group reads it. Never replaced on upgrade.
if [ ! -e "$prefix/etc/drover/agent.yaml" ]; then
  install -m 0640 "$here/agent.example.yaml" "$prefix/etc/drover/agent.yaml"
fi
if [ "$(id -u)" = 0 ]; then
  chown -R root:root "$prefix/opt/drover"
  chown root:root "$prefix/etc/drover/agent.yaml" "$prefix/etc/systemd/system/drover-agent.service" \
    "$prefix/etc/systemd/system/drover-agent-helper.service"
fi
# On a real install the agent (group drover) reads its config and token, and writes its log spool.
if [ "$prefix" = "" ] && [ "$(id -u)" = 0 ]; then
  chown root:drover /etc/drover/agent.yaml
  chmod 0640 /etc/drover/agent.yaml
  if [ -e /etc/drover/enrolment-token ]; then
    chown root:drover /etc/drover/enrolment-token
    chmod 0640 /etc/drover/enrolment-token
  fi
  chown drover:drover /var/spool/drover/logs
fi

# The unprivileged user built-in queue tasks run as (tasks.runAs in the cloud-init config): no login, no home, no
# Drover secret readable. Only on a real install; image builds into --root create it when they boot (cloud-init).
if [ "$prefix" = "" ] && [ "$(id -u)" = 0 ] && ! id drover-task >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin drover-task
fi

# An AppCDS archive of drover-run's classes, so every task's wrapper starts faster. Java ties it to the exact
# jar path it was made with, so it is made only when installing into this machine's own root (as Packer does);
# drover-run uses it when present and runs without it otherwise.
rm -f "$prefix/opt/drover/lib/drover-run.jsa"
if [ "$prefix" = "" ]; then
  /opt/drover/runtime/bin/java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xms8m -Xmx48m \
    -Xlog:disable -XX:ArchiveClassesAtExit=/opt/drover/lib/drover-run.jsa \
    -cp /opt/drover/lib/drover-agent.jar dev.drover.agent.run.DroverRunMain -- true >/dev/null 2>&1 ||
    echo "install-agent: no AppCDS archive for drover-run; it will start a little slower" >&2
fi

if [ "$use_systemctl" = 1 ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload
  systemctl enable drover-agent-helper.service drover-agent.service
fi
echo "drover agent installed into ${root}"
