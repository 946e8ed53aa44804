#!/usr/bin/env bash
# Measures POST and GET /api/v1/tickets at concurrency 1 and 16 on SQLite and PostgreSQL, on this
# machine (loopback only), and writes bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PG="${TIKAL_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
cargo build --release -q -p tikal -p tikal-bench
BIN=target/release/tikal
DRIVER=target/release/tikal-bench
OUT=$(mktemp -d)
SERVER_PID=""
PG_DB="tikal_bench_$$"
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  rm -rf "$OUT"
}
trap cleanup EXIT

run_db() {
  local name=$1 url=$2 dir port
  dir=$(mktemp -d -p "$OUT")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  export TIKAL_DATA_DIR=$dir TIKAL_DATABASE_URL=$url TIKAL_LOG=warn
  "$BIN" migrate >/dev/null
  local key
  key=$("$BIN" api-key create --name bench 2>/dev/null | tail -n 1)
  # One department to route tickets to.
  "$BIN" serve --listen "127.0.0.1:$port" --demo >/dev/null 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  for spec in "create 1 3000" "create 16 20000" "list 1 2000" "list 16 10000"; do
    set -- $spec
    "$DRIVER" --url "http://127.0.0.1:$port" --key "$key" --scenario "$1" --concurrency "$2" --requests "$3" --max-seconds 30 \
      | sed "s/^{/{\"database\":\"$name\",/" >> "$OUT/results.jsonl"
  done
  local rss
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
  echo "{\"database\":\"$name\",\"peak_rss_kb\":$rss}" >> "$OUT/rss.jsonl"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

run_db sqlite "sqlite://$OUT/bench.db?mode=rwc"
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $PG_DB" >/dev/null
run_db postgres "$PG/$PG_DB"

python3 - "$OUT" <<'PY' > bench/RESULTS.md
import json, sys, subprocess, datetime, os
out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl"))]
rss = {r["database"]: r["peak_rss_kb"] for r in map(json.loads, open(os.path.join(out, "rss.jsonl")))}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.split("\n")[1].split()[1]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print("# Benchmark results\n")
print(f"Measured {datetime.date.today()} at commit `{commit}` by `bench/run.sh`: release build, server and load driver on the same machine ({os.cpu_count()} cores, {cpu}, {mem} RAM), loopback HTTP with keep-alive. Create = `POST /api/v1/tickets` (new ticket, first message, created event, outbox job in one transaction); list = `GET /api/v1/tickets?limit=50` (first page, names resolved).\n")
print("| database | scenario | concurrency | requests | failures | throughput (req/s) | p50 (ms) | p90 (ms) | p99 (ms) |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['database']} | {r['scenario']} | {r['concurrency']} | {r['requests']} | {r['failures']} | {r['throughput_rps']} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} |")
print("\nPeak server RSS (VmHWM): " + ", ".join(f"{k} {v/1024:.0f} MiB" for k, v in rss.items()) + ".\n")
print("Target on this 2-core machine: at least 3,000 tickets created per second on SQLite with p99 under 25 ms at concurrency 16.")
PY
cat bench/RESULTS.md
