#!/usr/bin/env bash
# drover-run benchmark: start-up of `drover-run -- true`, and the CPU drover-run adds to a render printing
# 100k lines/s (Blender-like progress lines) with a local agent listening, each against the command run bare
# in the same run. Runtimes: the full JDK, the jlink runtime, and the jlink runtime with the AppCDS archive
# install-agent.sh makes. Reports each against bare as a ratio, and the load average before and after (the
# numbers mean little without it). Usage (after ./mvnw package): images/bench-drover-run.sh [RUNS] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$here/..
runs=${1:-10}
secs=${2:-10}
jar=$repo/agent/target/drover-agent.jar
launcher=$repo/agent/src/main/dist/drover-run
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

"$here/build-runtime.sh" "$jar" "$work/runtime" >/dev/null
cp "$jar" "$work/drover-agent.jar"
"$work/runtime/bin/java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xms8m -Xmx48m -Xlog:disable \
  -XX:ArchiveClassesAtExit="$work/drover-run.jsa" -cp "$work/drover-agent.jar" dev.drover.agent.run.DroverRunMain \
  -- true >/dev/null 2>&1

# A render printing $secs s of 100k lines/s, and a local agent that reads (and counts) what drover-run sends.
cat > "$work/render.py" <<'PY'
import sys, time
secs, rate = float(sys.argv[1]), 100_000
out, start, n, total = sys.stdout, time.monotonic(), 0, int(float(sys.argv[1]) * rate)
while n < total:
    batch = "".join(f"Fra:1 Mem:9.20M (Peak 9.42M) | Time:00:00.01 | Remaining:00:05.00 | Scene, ViewLayer | Sample {i % 4096 + 1}/4096\n" for i in range(n, n + 1000))
    out.write(batch); n += 1000
    ahead = n / rate - (time.monotonic() - start)
    if ahead > 0: time.sleep(ahead)
out.flush()
PY
cat > "$work/agent.py" <<'PY'
import socket, sys, threading
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
counts = open(sys.argv[2], "a")
def serve(c):
    n = sum(1 for _ in c.makefile())
    counts.write(f"{n}\n"); counts.flush()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$work/agent.py" "$work/agent.sock" "$work/agent-lines" &
for _ in $(seq 50); do [ -S "$work/agent.sock" ] && break; sleep 0.1; done

clk=$(getconf CLK_TCK)
# cpu_of CMD...: wall ms and CPU ms (user+sys of the command and all it waited for)
cpu_of() {
  local t0 t1 before after me=$BASHPID
  before=$(awk '{print $14+$15+$16+$17}' "/proc/$me/stat")
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 </dev/null
  t1=$(date +%s%N)
  after=$(awk '{print $14+$15+$16+$17}' "/proc/$me/stat")
  echo "$(( (t1 - t0) / 1000000 )) $(( (after - before) * 1000 / clk ))"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

declare -A startup startcpu
for _ in $(seq "$runs"); do
  for v in bare jdk jlink jlink-cds; do
    case $v in
      bare) r=$(cpu_of true) ;;
      jdk) r=$(DROVER_JAVA=$(command -v java) DROVER_AGENT_JAR=$work/drover-agent.jar DROVER_RUN_CDS=/none cpu_of sh "$launcher" -- true) ;;
      jlink) r=$(DROVER_JAVA=$work/runtime/bin/java DROVER_AGENT_JAR=$work/drover-agent.jar DROVER_RUN_CDS=/none cpu_of sh "$launcher" -- true) ;;
      jlink-cds) r=$(DROVER_JAVA=$work/runtime/bin/java DROVER_AGENT_JAR=$work/drover-agent.jar DROVER_RUN_CDS=$work/drover-run.jsa cpu_of sh "$launcher" -- true) ;;
    esac
    startup[$v]+="${r%% *} "
    startcpu[$v]+="${r#* } "
  done
done
echo "start-up of 'drover-run -- true', median of $runs (wall ms, CPU ms):"
for v in bare jdk jlink jlink-cds; do
  w=$(echo "${startup[$v]}" | tr ' ' '\n' | grep . | median)
  c=$(echo "${startcpu[$v]}" | tr ' ' '\n' | grep . | median)
  declare "w_${v//-/_}=$w" "c_${v//-/_}=$c"
  echo "  $v: $w $c"
done
echo "  start-up added over bare (wall ms, CPU ms): jdk $((w_jdk - w_bare)) $((c_jdk - c_bare)), jlink" \
  "$((w_jlink - w_bare)) $((c_jlink - c_bare)), jlink-cds $((w_jlink_cds - w_bare)) $((c_jlink_cds - c_bare))" \
  "(target: 300 ms wall on jlink-cds)"

echo "100k lines/s for $secs s, agent listening (wall ms, CPU ms):"
export TR_ENV_JID=1 TR_ENV_TID=1 TR_ENV_CID=1 DROVER_AGENT_SOCKET=$work/agent.sock
bare=$(cpu_of python3 "$work/render.py" "$secs")
wrapped=$(DROVER_JAVA=$work/runtime/bin/java DROVER_AGENT_JAR=$work/drover-agent.jar DROVER_RUN_CDS=$work/drover-run.jsa \
  cpu_of sh "$launcher" -- python3 "$work/render.py" "$secs")
echo "  bare:        $bare"
echo "  drover-run:  $wrapped"
sleep 0.5
echo "  lines the agent received from drover-run: $(tail -1 "$work/agent-lines" 2>/dev/null || echo 0)"
echo "  drover-run's own CPU per second of render: $(( (${wrapped#* } - ${bare#* }) / secs )) ms"
echo "  ratio drover-run / bare: wall $(ratio "${wrapped%% *}" "${bare%% *}"), CPU $(ratio "${wrapped#* }" "${bare#* }")"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
