#!/usr/bin/env bash
# Every benchmark figure of the project, side by side, from one run on this machine.
# Usage: bash bench/run.sh   (builds release; needs python3 for the SDK comparison)
set -euo pipefail
cd "$(dirname "$0")/.."
KEY=benchappkey0001
SECRET=bench-secret-0001
REL=target/release

echo "== building release" >&2
cargo build --release --workspace >&2
cargo build --release -p host-sim --example raw_batch_send >&2
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install --quiet alibabacloud-dingtalk >&2

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_emulator QPS_LIMIT -> prints the URL; the emulator runs as its own process, so the
# bench process's memory is the host's and the plugin's only.
start_emulator() {
  local fifo; fifo=$(mktemp -u); mkfifo "$fifo"
  "$REL/dingtalk-emulator" --port 0 --app-key "$KEY" --app-secret "$SECRET" --users u1,u2,u3 \
    --flow-controlled u3 --qps-limit "$1" >"$fifo" &
  PIDS+=($!)
  local first; read -r first <"$fifo"; rm -f "$fifo"
  echo "${first#listening on }"
}
stats() { curl -s "$1/_emulator/stats"; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
bench() { # URL QPS ITERATIONS THREADS
  "$REL/host-sim" bench bench/flows/text.json --iterations "$3" --threads "$4" \
    --var url="$1" --var appKey="$KEY" --var appSecret="$SECRET" --var-json qps="$2" 2>/dev/null
}

echo "== 1 thread: plugin vs official Python SDK vs raw keep-alive client" >&2
URL=$(start_emulator 0)
bench "$URL" 0 300 1 >/dev/null # warm-up: token, pool
PLUGIN=$(bench "$URL" 0 5000 1)
RAW=$("$REL/examples/raw_batch_send" "$URL" "$KEY" "$SECRET" 5000)
SDK=$(.venv/bin/python bench/sdk_bench.py "${URL#http://}" "$KEY" "$SECRET" 500)
P1=$(field "$PLUGIN" opsPerSec); R1=$(field "$RAW" opsPerSec); S1=$(field "$SDK" opsPerSec)

echo "== 16 threads, 8,000 sends, fresh emulator" >&2
URL16=$(start_emulator 0)
B16=$(bench "$URL16" 0 8000 16)
ST16=$(stats "$URL16")

echo "== platform limit: emulator 20 calls/s, plugin qpsLimit 20, 16 threads" >&2
URLQ=$(start_emulator 20)
BQ=$(bench "$URLQ" 20 200 16)
STQ=$(stats "$URLQ")

echo "== peak memory and load cost: 10,000 sends" >&2
URLM=$(start_emulator 0)
BM=$(bench "$URLM" 0 10000 4)

strip -o /tmp/libdingtalk_robot.stripped.so "$REL/libdingtalk_robot.so"
SIZE=$(stat -c %s /tmp/libdingtalk_robot.stripped.so)

python3 - "$P1" "$R1" "$S1" "$B16" "$ST16" "$BQ" "$STQ" "$BM" "$SIZE" <<'PY'
import json, sys
p1, r1, s1 = (float(x) for x in sys.argv[1:4])
b16, st16, bq, stq, bm = (json.loads(x) for x in sys.argv[4:9])
size = int(sys.argv[9])
rows = [
    ("plugin, 1 thread, sends/s", f"{p1:,.0f}", "", ""),
    ("official Python SDK, 1 thread, sends/s", f"{s1:,.0f}", "", ""),
    ("plugin / SDK", f"{p1 / s1:.1f}x", ">= 10x", p1 / s1 >= 10),
    ("raw keep-alive client, 1 thread, sends/s", f"{r1:,.0f}", "", ""),
    ("plugin / raw", f"{100 * p1 / r1:.0f}%", ">= 80%", p1 / r1 >= 0.8),
    ("16 threads x 8,000: sends/s", f"{b16['opsPerSec']:,.0f}", "", ""),
    ("16 threads x 8,000: p50 / p99 ms", f"{b16['p50Ms']:.2f} / {b16['p99Ms']:.2f}", "", ""),
    ("16 threads x 8,000: token requests", st16["tokenRequests"], "== 1", st16["tokenRequests"] == 1),
    ("16 threads x 8,000: messages, batchSend calls, errors",
     f"{st16['messages']}, {st16['batchSendRequests']}, {b16['errors']}", "8000, 8000, 0",
     st16["messages"] == 8000 and st16["batchSendRequests"] == 8000 and b16["errors"] == 0),
    ("platform limit 20/s, 16 threads: calls/s", f"{bq['opsPerSec']:.2f}", ">= 19", bq["opsPerSec"] >= 19),
    ("platform limit: throttled requests", stq["throttled"], "== 0", stq["throttled"] == 0 and bq["errors"] == 0),
    ("load plugin + read manifest, ms", f"{bm['loadMs']:.2f}", "< 5", bm["loadMs"] < 5),
    ("stripped cdylib, MB", f"{size / 1e6:.2f}", "< 8", size < 8e6),
    ("peak memory after 10,000 sends, MB", f"{bm['peakRssKb'] / 1024:.1f}", "< 40",
     bm["peakRssKb"] / 1024 < 40 and bm["errors"] == 0),
]
print("| figure | measured | goal | |")
print("|---|---|---|---|")
for name, value, goal, ok in rows:
    verdict = "" if goal == "" else ("PASS" if ok else "FAIL")
    print(f"| {name} | {value} | {goal} | {verdict} |")
PY
