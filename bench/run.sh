#!/usr/bin/env bash
# Every benchmark figure of the project, side by side, from one run on this machine:
#   - the plugin (through host-sim, 1 thread) vs a bare keep-alive client (and the official
#     Python SDK, for information);
#   - 16 plugin threads vs 16 bare clients;
#   - 16 threads x 8,000 sends (one token request, every message recorded once);
#   - cold start: a fresh process's first flow (wall time, round trips to the server);
#   - the platform limit (emulator at 20 calls/s, plugin qpsLimit 20, 16 threads);
#   - bulk at the platform limit: sends to 1,000 users each, 20 per batchSend, at 20 calls/s;
#   - plugin load + manifest cost, stripped cdylib size, peak memory after 10,000 sends.
# Each emulator is the release `dingtalk-emulator` binary in its own process, so the bench
# process's memory is host-sim's and the plugin's only.
#
# Usage: bash bench/run.sh    (honours CARGO_TARGET_DIR; needs python3, curl, strip and mkfifo:
#        Linux or macOS; peak memory is measured on Linux only and shows "not measured" elsewhere)
# Environment: ROUNDS (default 5) alternating plugin/raw rounds, SENDS (default 3000) per
#              1-thread round, SENDS16 (default 8000) per 16-thread round, SDK_SENDS (default
#              500) per SDK round, BULK (default 6) sends to 1,000 users at the platform limit.
set -euo pipefail
cd "$(dirname "$0")/.."
KEY=benchappkey0001
SECRET=bench-secret-0001
REL="${CARGO_TARGET_DIR:-target}/release"
ROUNDS="${ROUNDS:-5}"
SENDS="${SENDS:-3000}"
SENDS16="${SENDS16:-8000}"
SDK_SENDS="${SDK_SENDS:-500}"
BULK="${BULK:-6}"
FLOW=bench/flows/text.json
case "$(uname -s)" in
  Darwin) LIB=libdingtalk_robot.dylib STRIP="strip -x" ;; # a dylib keeps its exported symbols
  *) LIB=libdingtalk_robot.so STRIP=strip ;;
esac

echo "== building release" >&2
cargo build --release --workspace >&2
cargo build --release -p host-sim --example raw_batch_send >&2
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -c 'import alibabacloud_dingtalk' 2>/dev/null ||
  .venv/bin/pip install --quiet --disable-pip-version-check alibabacloud-dingtalk >&2

PIDS=()
FIFOS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "${FIFOS[@]}"; do rm -f "$f"; done
}
trap cleanup EXIT

# start_emulator QPS_LIMIT [USERS FLOW_CONTROLLED]: starts an emulator (default: users u1,u2,u3,
# u3 flow-controlled) and sets URL to its address (parsed from its first line, "listening on
# http://127.0.0.1:PORT").
start_emulator() {
  local fifo first
  fifo=$(mktemp -u)
  mkfifo "$fifo"
  FIFOS+=("$fifo")
  "$REL/dingtalk-emulator" --port 0 --app-key "$KEY" --app-secret "$SECRET" --users "${2:-u1,u2,u3}" \
    --flow-controlled "${3-u3}" --qps-limit "$1" >"$fifo" &
  PIDS+=($!)
  exec 3<"$fifo"
  read -r first <&3
  # Keep reading (and dropping) its later output, so that it never blocks on a full pipe.
  cat <&3 >/dev/null &
  PIDS+=($!)
  exec 3<&-
  URL="${first#listening on }"
  case "$URL" in http://127.0.0.1:*) ;; *) echo "emulator did not start: $first" >&2; exit 1 ;; esac
}
stats() { curl -sf "$1/_emulator/stats"; }
# bench URL QPS_LIMIT ITERATIONS THREADS [WARMUP]: host-sim bench of the text flow (connect +
# one text send per run), after WARMUP untimed runs per thread (default 0: a thread's first
# run makes its connection inside the clock); progress goes to the terminal, the JSON report
# to stdout.
bench() {
  "$REL/host-sim" bench "$FLOW" --iterations "$3" --threads "$4" --warmup "${5:-0}" \
    --var url="$1" --var appKey="$KEY" --var appSecret="$SECRET" --var-json qps="$2"
}

echo "== 1 thread: plugin vs raw keep-alive client ($ROUNDS alternating rounds of $SENDS), then the SDK" >&2
start_emulator 0
URL1=$URL
bench "$URL1" 0 300 1 >/dev/null # warm the emulator up
PLUGIN1=()
RAW1=()
SDK1=()
for _ in $(seq "$ROUNDS"); do
  PLUGIN1+=("$(bench "$URL1" 0 "$SENDS" 1 1)")
  RAW1+=("$("$REL/examples/raw_batch_send" "$URL1" "$KEY" "$SECRET" "$SENDS")")
done
for _ in 1 2; do
  SDK1+=("$(.venv/bin/python bench/sdk_bench.py "${URL1#http://}" "$KEY" "$SECRET" "$SDK_SENDS")")
done

echo "== 16 threads: plugin vs 16 raw keep-alive clients ($ROUNDS alternating rounds of $SENDS16)" >&2
PLUGIN16=()
RAW16=()
for _ in $(seq "$ROUNDS"); do
  PLUGIN16+=("$(bench "$URL1" 0 "$SENDS16" 16 1)")
  RAW16+=("$("$REL/examples/raw_batch_send" "$URL1" "$KEY" "$SECRET" "$SENDS16" current 16)")
done

echo "== cold start: a fresh process's first flow (load, connect, first send), fresh emulator" >&2
start_emulator 0
# The whole process, from its start to its exit, timed from outside.
COLD=$(python3 -c 'import json, subprocess, sys, time
t = time.perf_counter()
out = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, check=True).stdout
print(json.dumps({"wallMs": (time.perf_counter() - t) * 1000, "report": json.loads(out)}))' \
  "$REL/host-sim" bench "$FLOW" --iterations 1 --threads 1 \
  --var url="$URL" --var appKey="$KEY" --var appSecret="$SECRET" --var-json qps=0)
STC=$(stats "$URL")

echo "== 16 threads x 8,000 sends, fresh emulator" >&2
start_emulator 0
B16=$(bench "$URL" 0 8000 16)
ST16=$(stats "$URL")

echo "== platform limit: emulator at 20 calls/s, plugin qpsLimit 20, 16 threads x 200 sends" >&2
start_emulator 20
BQ=$(bench "$URL" 20 200 16)
STQ=$(stats "$URL")

echo "== bulk at the platform limit: emulator at 20 calls/s with 1,000 users, $BULK sends to all 1,000 (qpsLimit 20)" >&2
USERS1000=$(seq -s, -f 'u%g' 1 1000)
start_emulator 20 "$USERS1000" ""
BB=$("$REL/host-sim" bench bench/flows/bulk.json --iterations "$BULK" --threads 1 \
  --var url="$URL" --var appKey="$KEY" --var appSecret="$SECRET" --var-json qps=20 \
  --var-json userIds="$(python3 -c 'import json; print(json.dumps([f"u{i}" for i in range(1, 1001)]))')")
STB=$(stats "$URL")

echo "== peak memory: 10,000 sends over 16 threads, fresh emulator" >&2
start_emulator 0
BM=$(bench "$URL" 0 10000 16)
STM=$(stats "$URL")

STRIPPED="${TMPDIR:-/tmp}/stripped.$LIB"
cp "$REL/$LIB" "$STRIPPED"
$STRIP "$STRIPPED"
SIZE=$(wc -c <"$STRIPPED" | tr -d ' ')
rm -f "$STRIPPED"
UNSTRIPPED=$(wc -c <"$REL/$LIB" | tr -d ' ')

if [ -r /proc/cpuinfo ]; then
  CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
  RAM=$(awk '/MemTotal/ {printf "%.0f GB RAM", $2 / 1048576}' /proc/meminfo)
else
  CPU=$(sysctl -n machdep.cpu.brand_string 2>/dev/null || uname -m)
  RAM=$(sysctl -n hw.memsize 2>/dev/null | awk '{printf "%.0f GB RAM", $1 / 1073741824}')
fi
MACHINE="$(date -u +%Y-%m-%d), $(getconf _NPROCESSORS_ONLN) cores ($CPU), $RAM"

LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime | sed 's/.*averages*: //')

python3 - "$MACHINE" "$SIZE" "$UNSTRIPPED" "$B16" "$ST16" "$BQ" "$STQ" "$BM" "$STM" "$COLD" "$STC" "$LOAD" "$BB" "$STB" "$BULK" \
  "${#PLUGIN1[@]}" "${PLUGIN1[@]}" "${RAW1[@]}" "${PLUGIN16[@]}" "${RAW16[@]}" "${SDK1[@]}" <<'PY'
import json, statistics, sys

machine, size, unstripped = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b16, st16, bq, stq, bm, stm, cold, stc = (json.loads(x) for x in sys.argv[4:12])
load_avg = sys.argv[12]
bb, stb, bulk = json.loads(sys.argv[13]), json.loads(sys.argv[14]), int(sys.argv[15])
rounds = int(sys.argv[16])
rest = [json.loads(x) for x in sys.argv[17:]]
plugin, raw, plugin16, raw16 = (rest[i * rounds : (i + 1) * rounds] for i in range(4))
sdk = rest[4 * rounds :]
med = lambda runs: statistics.median(r["opsPerSec"] for r in runs)
p1, r1, s1, p16, r16 = med(plugin), med(raw), med(sdk), med(plugin16), med(raw16)
# Plugin and raw client run in alternating rounds, so that a change of load hits a pair alike:
# each pair's ratio, and their median, is what the goal is checked against.
ratios = lambda ps, rs: [p["opsPerSec"] / r["opsPerSec"] for p, r in zip(ps, rs)]
q1, q16 = ratios(plugin, raw), ratios(plugin16, raw16)
rq1, rq16 = statistics.median(q1), statistics.median(q16)
pct = lambda qs: " / ".join(f"{100 * q:.0f}%" for q in qs)
loads = [r["loadMs"] for r in plugin + plugin16 + [b16, bq, bm, bb]]
load = statistics.median(loads)
errors1 = sum(r["errors"] for r in plugin)
errors16 = sum(r["errors"] for r in plugin16)
# Round trips of the cold start: one per TCP connection (its handshake) and one per request;
# the stats call that counts them made one of the connections.
trips = (stc["connections"] - 1) + stc["tokenRequests"] + stc["batchSendRequests"]
cold_report = cold["report"]

def spread(runs):
    return " / ".join(f"{r['opsPerSec']:,.0f}" for r in runs)

rows = [
    ("plugin, 1 thread, text send, limiter off: flow runs/s (median; rounds)",
     f"{p1:,.0f} ({spread(plugin)}); p50 {statistics.median(r['p50Ms'] for r in plugin):.3f} ms", "", None),
    ("raw keep-alive client, same call: sends/s (median; rounds)", f"{r1:,.0f} ({spread(raw)})", "", None),
    ("plugin vs raw ceiling, 1 thread (median of the rounds' ratios; rounds)", f"{100 * rq1:.0f}% ({pct(q1)})",
     ">= 80%", rq1 >= 0.8 and errors1 == 0),
    ("plugin, 16 threads: flow runs/s (median; rounds)", f"{p16:,.0f} ({spread(plugin16)})", "", None),
    ("16 raw keep-alive clients: sends/s (median; rounds)", f"{r16:,.0f} ({spread(raw16)})", "", None),
    ("plugin vs raw ceiling, 16 threads (median of the rounds' ratios; rounds)", f"{100 * rq16:.0f}% ({pct(q16)})",
     ">= 80%", rq16 >= 0.8 and errors16 == 0),
    ("official Python SDK, same calls (for information): sends/s (median; rounds)",
     f"{s1:,.0f} ({spread(sdk)}); plugin {p1 / s1:.1f}x", "", None),
    ("cold start: fresh process to first flow done (load + connect + send), wall ms",
     f"{cold['wallMs']:.1f} (load {cold_report['loadMs']:.2f}, flow {cold_report['p50Ms']:.2f})", "",
     None if cold_report["errors"] == 0 else False),
    ("cold start: round trips to the server (TCP connections + token + batchSend)",
     f"{trips} ({stc['connections'] - 1} + {stc['tokenRequests']} + {stc['batchSendRequests']})", "3", trips == 3),
    ("16 threads x 8,000: flow runs/s, p50 / p99 ms",
     f"{b16['opsPerSec']:,.0f}, {b16['p50Ms']:.2f} / {b16['p99Ms']:.2f}", "", None),
    ("16 threads x 8,000: token requests", f"{st16['tokenRequests']}", "1", st16["tokenRequests"] == 1),
    ("16 threads x 8,000: messages, batchSend calls, errors",
     f"{st16['messages']}, {st16['batchSendRequests']}, {b16['errors']}", "8000, 8000, 0",
     st16["messages"] == 8000 and st16["batchSendRequests"] == 8000 and b16["errors"] == 0),
    ("platform limit (20/s), 16 threads x 200: calls/s", f"{bq['opsPerSec']:.2f}", ">= 19",
     bq["opsPerSec"] >= 19 and bq["errors"] == 0 and stq["batchSendRequests"] == 200),
    ("platform limit: throttled requests", f"{stq['throttled']}", "0", stq["throttled"] == 0),
    (f"bulk at the platform limit (20 calls/s): {bulk} sends to 1,000 users each, messages/s",
     f"{bb['opsPerSec'] * 1000:.0f} ({100 * bb['opsPerSec'] * 1000 / 400:.0f}% of the 400/s the limit allows)", ">= 380",
     bb["opsPerSec"] * 1000 >= 380 and bb["errors"] == 0),
    ("bulk: messages delivered, batchSend calls, throttled requests",
     f"{stb['messages']}, {stb['batchSendRequests']}, {stb['throttled']}",
     f"{bulk * 1000}, {bulk * 50}, 0",
     stb["messages"] == bulk * 1000 and stb["batchSendRequests"] == bulk * 50 and stb["throttled"] == 0),
    ("load plugin + parse manifest, ms (median of runs)",
     f"{load:.2f} (min {min(loads):.2f}, max {max(loads):.2f})", "< 5", load < 5),
    ("cdylib size, stripped (unstripped)", f"{size / 1e6:.2f} MB ({unstripped / 1e6:.2f} MB)", "< 8 MB", size < 8e6),
    ("peak memory (VmHWM) after 10,000 sends, 16 threads",
     "not measured" if bm["peakRssKb"] is None else f"{bm['peakRssKb'] / 1024:.1f} MB", "< 40 MB",
     None if bm["peakRssKb"] is None else
     bm["peakRssKb"] / 1024 < 40 and bm["errors"] == 0 and stm["messages"] == 10000),
]
print(f"Measured {machine}; load average before the summary: {load_avg}")
print()
print("| figure | measured | goal | result |")
print("|---|---|---|---|")
for name, value, goal, ok in rows:
    verdict = "" if ok is None else ("PASS" if ok else "FAIL")
    print(f"| {name} | {value} | {goal} | {verdict} |")
failed = [name for name, _, _, ok in rows if ok is False]
print()
print("all goals met" if not failed else "goals missed: " + "; ".join(failed))
for r in plugin + plugin16 + [b16, bq, bm, bb, cold_report]:
    if r.get("firstError"):
        print(f"first error in a bench run: {r['firstError']}")
PY
