#!/usr/bin/env bash
# Installs (or upgrades) the Drover agent into a render image. Idempotent: run it again with a newer jar to
# upgrade; an existing /etc/drover/agent.yaml is never overwritten.
#
# Usage: install-agent.sh [--root DIR] [--jar FILE] [--runtime DIR] [--no-systemctl]
#   --root DIR      install into DIR instead of / (image builds and tests)
#   --jar FILE      the agent jar (default: agent/target/drover-agent.jar next to this script's repo)
#   --runtime DIR   a jlink runtime from images/build-runtime.sh (default: agent/target/runtime)
#   --no-systemctl  do not run systemctl (implied with --root)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=/
jar=$here/../agent/target/drover-agent.jar
runtime=$here/../agent/target/runtime
use_systemctl=1

while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; use_systemctl=0; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    --runtime) runtime=$2; shift 2 ;;
    --no-systemctl) use_systemctl=0; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install-agent: unknown option $1" >&2; exit 2 ;;
  esac
done

[ -f "$jar" ] || { echo "install-agent: agent jar $jar not found" >&2; exit 1; }
[ -x "$runtime/bin/java" ] || { echo "install-agent: runtime $runtime/bin/java not found (run images/build-runtime.sh)" >&2; exit 1; }

prefix=${root%/}
install -d -m 0755 "$prefix/opt/drover/lib" "$prefix/opt/drover/bin" "$prefix/etc/drover" \
  "$prefix/etc/systemd/system" "$prefix/var/spool/drover/logs"
# Renders run as the farm user and write their captured output here; sticky like /tmp.
install -d -m 1777 "$prefix/var/spool/drover/tasks"

# Replace the runtime and jar atomically enough for an image build: copy beside, then swap.
rm -rf "$prefix/opt/drover/runtime.new"
cp -a "$runtime" "$prefix/opt/drover/runtime.new"
rm -rf "$prefix/opt/drover/runtime"
mv "$prefix/opt/drover/runtime.new" "$prefix/opt/drover/runtime"
install -m 0644 "$jar" "$prefix/opt/drover/lib/drover-agent.jar"
install -m 0755 "$here/../agent/src/main/dist/drover-run" "$prefix/opt/drover/bin/drover-run"
install -m 0644 "$here/systemd/drover-agent.service" "$prefix/etc/systemd/system/drover-agent.service"

if [ ! -e "$prefix/etc/drover/agent.yaml" ]; then
  install -m 0640 "$here/../agent/agent.example.yaml" "$prefix/etc/drover/agent.yaml"
fi
ln -sfn /opt/drover/bin/drover-run "$prefix/usr/local/bin/drover-run" 2>/dev/null || {
  install -d -m 0755 "$prefix/usr/local/bin"
  ln -sfn /opt/drover/bin/drover-run "$prefix/usr/local/bin/drover-run"
}

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
  systemctl enable drover-agent.service
fi
echo "drover agent installed into ${root}"
