#!/usr/bin/env bash
# Builds the agent's Java runtime with jlink: only the modules the agent needs, so a render image carries no
# full JDK. Usage: images/build-runtime.sh [AGENT_JAR] [OUT_DIR]   (defaults: agent/target/drover-agent.jar,
# agent/target/runtime). Needs a JDK 17+ with jlink (JAVA_HOME or PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar=${1:-$here/../agent/target/drover-agent.jar}
out=${2:-$here/../agent/target/runtime}
jlink_bin=${JAVA_HOME:+$JAVA_HOME/bin/}jlink

if [ ! -f "$jar" ]; then
  echo "build-runtime: $jar not found; run ./mvnw package first" >&2
  exit 1
fi
# From `jdeps --print-module-deps` on the shaded jar, plus java.xml (logback's config) and jdk.crypto.ec
# (TLS to Azure Storage and Entra ID uses elliptic-curve key exchange), and jdk.net (the helper checks its peer's
# uid with SO_PEERCRED). The CDS archive costs ~20 MB of disk
# and buys a faster start (classes mapped, not parsed).
modules=java.base,java.desktop,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.jfr,jdk.net,jdk.unsupported

rm -rf "$out"
"$jlink_bin" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=2 --generate-cds-archive --output "$out"
du -sh "$out" | awk '{print "runtime: " $1}'
