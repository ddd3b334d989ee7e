#!/usr/bin/env bash
# Agent footprint benchmark: idle RSS, idle CPU and time to first heartbeat, for the agent on its jlink
# runtime and, as the in-run baseline, on the full JDK. Usage (after ./mvnw package):
#   images/bench-agent-footprint.sh [SECONDS]      (default 60 s of idle per runtime)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$here/..
secs=${1:-60}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

"$here/build-runtime.sh" "$repo/agent/target/drover-agent.jar" "$work/runtime" >/dev/null
runtime_size=$(du -sm "$work/runtime" | cut -f1)
token=bench-token-0123456789abcdef
port=$((20000 + RANDOM % 10000)); http=$((port + 1))
cat > "$work/c.yaml" <<YAML
gateway: {host: 127.0.0.1, port: $port}
http: {host: 127.0.0.1, port: $http}
enrolment: {tokens: [$token]}
YAML
java -jar "$repo/coordinator/target/drover-coordinator.jar" --config "$work/c.yaml" > "$work/coordinator.log" 2>&1 &
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/healthz" >/dev/null && break; sleep 0.1; done

clk=$(getconf CLK_TCK)
measure() { # name java
  local name=$1 java=$2 start pid t0 first ticks0 ticks1 rss
  start=$(date +%s%N)
  DROVER_ENROLMENT_TOKEN=$token "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xms8m -Xmx48m \
    -XX:MaxMetaspaceSize=64m -jar "$repo/agent/target/drover-agent.jar" --no-imds --node-id "bench-$name" \
    --coordinator "127.0.0.1:$port" --local-socket "$work/$name.sock" > "$work/$name.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$http/api/nodes/bench-$name" | grep -q '"lastHeartbeat":"'; do sleep 0.02; done
  first=$(( ($(date +%s%N) - start) / 1000000 ))
  sleep 5 # let start-up work finish before measuring idle
  ticks0=$(awk '{print $14 + $15}' "/proc/$pid/stat"); t0=$(date +%s%N)
  sleep "$secs"
  ticks1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status")
  local cpu
  cpu=$(awk -v d=$((ticks1 - ticks0)) -v c="$clk" -v ns=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.3f", 100 * d / c / (ns / 1e9)}')
  kill "$pid"; wait "$pid" || true
  echo "$name first_heartbeat_ms=$first idle_rss_mb=$rss idle_cpu_percent_of_core=$cpu"
}
echo "jlink runtime size: ${runtime_size} MB"
measure jlink "$work/runtime/bin/java"
measure fulljdk "$(command -v java)"
