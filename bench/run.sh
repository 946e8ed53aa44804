#!/usr/bin/env bash
# Load benchmark of the Tikal REST API on this machine (loopback only).
#
# Builds release binaries, then for SQLite and for PostgreSQL: a fresh data directory (and a fresh
# PostgreSQL database, dropped at the end), `tikal migrate`, an API key, one department to route
# tickets to, `tikal serve` on a free port; then POST and GET /api/v1/tickets at concurrency 1 and
# 16 with target/release/tikal-bench, the server's peak RSS, and bench/RESULTS.md.
#
# Environment:
#   TIKAL_BENCH_PG         PostgreSQL server URL without database (default postgres://postgres@127.0.0.1:5432)
#   TIKAL_BENCH_DATABASES  which databases to measure (default "sqlite postgres")
#   TIKAL_BENCH_NO_BUILD=1 use the binaries already in target/release (or $CARGO_TARGET_DIR/release)
#   TIKAL_BENCH_MAX_SECONDS time limit of each run (default 30)
#   TIKAL_BENCH_SQLITE_SYNC full (default, as shipped) or normal: `[database] sqlite_synchronous`
#                          of the measured server, to compare the two
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL="${TIKAL_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DATABASES="${TIKAL_BENCH_DATABASES:-sqlite postgres}"
MAX_SECONDS=${TIKAL_BENCH_MAX_SECONDS:-30}
SQLITE_SYNC=${TIKAL_BENCH_SQLITE_SYNC:-full}
case $SQLITE_SYNC in full | normal) ;; *) echo "bench: TIKAL_BENCH_SQLITE_SYNC must be full or normal" >&2 && exit 1 ;; esac
# scenario concurrency requests [keys: an Idempotency-Key with every create]
RUNS=(
  "create 1 3000"
  "create 16 20000"
  "create 16 10000 keys"
  "list 1 2000"
  "list 16 10000"
)

# Settings of whoever runs this must not leak into the measured server.
unset TIKAL_CONFIG TIKAL_DATA_DIR TIKAL_DATABASE_URL TIKAL_LISTEN
export TIKAL_LOG=warn

log() { echo "bench: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

for tool in cargo curl python3 git; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

if [[ ${TIKAL_BENCH_NO_BUILD:-} != 1 ]]; then
  log "building release binaries"
  cargo build --release -p tikal -p tikal-bench
fi
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TIKAL="$TARGET_DIR/release/tikal"
DRIVER="$TARGET_DIR/release/tikal-bench"
[[ -x $TIKAL && -x $DRIVER ]] || die "binaries not found in $TARGET_DIR/release"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tikal-bench.XXXXXX")
SERVER_PID=""
PG_DB=""

# True while the process exists and is not a zombie.
alive() {
  local state
  state=$(sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state && $state != Z ]]
}

stop_server() {
  local pid=$SERVER_PID
  SERVER_PID=""
  [[ -n $pid ]] || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "server $pid did not stop within 10 s of SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

psql_admin() {
  psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt -c "$1"
}

cleanup() {
  local status=$?
  trap - EXIT
  stop_server
  if [[ -n $PG_DB ]]; then
    psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || log "could not drop database $PG_DB"
    PG_DB=""
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

bench_database() {
  local db=$1
  local dir="$WORK/$db"
  mkdir -p "$dir"
  printf '[database]\nsqlite_synchronous = "%s"\n' "$SQLITE_SYNC" >"$dir/tikal.toml"
  local -a where=(--data-dir "$dir" --config "$dir/tikal.toml")
  case $db in
    sqlite) ;; # default: a database file in the data directory
    postgres)
      command -v psql >/dev/null || die "psql is required for the PostgreSQL run"
      PG_DB="tikal_bench_$$"
      psql_admin "CREATE DATABASE \"$PG_DB\"" >/dev/null
      where+=(--database-url "$PG_URL/$PG_DB")
      ;;
    *) die "unknown database $db (expected sqlite or postgres)" ;;
  esac

  log "$db: migrating, creating an API key and a department"
  "$TIKAL" migrate "${where[@]}" >/dev/null
  local key
  key=$("$TIKAL" api-key create --name bench "${where[@]}" | tail -n 1)
  [[ -n $key ]] || die "$db: tikal api-key create printed no key"
  # Tickets that name no department need one to be routed to.
  "$TIKAL" department create --name "Mesa de Ayuda (Nivel 1)" "${where[@]}" >/dev/null

  local port
  port=$(free_port)
  "$TIKAL" serve --listen "127.0.0.1:$port" "${where[@]}" >"$WORK/$db-server.log" 2>&1 &
  SERVER_PID=$!
  local ready=""
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/readyz" 2>/dev/null; then
      ready=1
      break
    fi
    alive "$SERVER_PID" || break
    sleep 0.1
  done
  if [[ -z $ready ]]; then
    tail -n 20 "$WORK/$db-server.log" >&2 || true
    die "$db: server did not become ready on port $port"
  fi

  local spec scenario concurrency requests keys line
  for spec in "${RUNS[@]}"; do
    read -r scenario concurrency requests keys <<<"$spec"
    local -a options=()
    [[ $keys == keys ]] && options+=(--idempotency-keys)
    log "$db: $scenario ${keys:+with keys }at concurrency $concurrency ($requests requests, at most ${MAX_SECONDS} s)"
    line=$(TIKAL_BENCH_KEY="$key" "$DRIVER" --url "http://127.0.0.1:$port" --scenario "$scenario" \
      --concurrency "$concurrency" --requests "$requests" --max-seconds "$MAX_SECONDS" "${options[@]}") ||
      die "$db: $scenario at concurrency $concurrency failed"
    log "$line"
    printf '{"database":"%s","result":%s}\n' "$db" "$line" >>"$WORK/results.jsonl"
  done

  alive "$SERVER_PID" || die "$db: server exited during the runs"
  local rss_kb
  rss_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")
  printf '{"database":"%s","peak_rss_kb":%s}\n' "$db" "${rss_kb:-null}" >>"$WORK/rss.jsonl"
  stop_server

  if [[ $db == postgres ]]; then
    psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null
    PG_DB=""
  fi
}

for db in $DATABASES; do
  bench_database "$db"
done

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
MEM=$(free -h | awk '/^Mem:/ {print $2}')
NPROC=$(nproc)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain 2>/dev/null) ]]; then
  COMMIT="$COMMIT (with uncommitted changes)"
fi
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')

python3 - "$WORK/results.jsonl" "$WORK/rss.jsonl" "$NPROC" "${CPU:-unknown}" "${MEM:-unknown}" "$DATE" "$COMMIT" "$SQLITE_SYNC" >"$WORK/RESULTS.md" <<'PY'
import json
import sys

results_path, rss_path, nproc, cpu, mem, date, commit, sync = sys.argv[1:9]
rows = [json.loads(line) for line in open(results_path) if line.strip()]
rss = [json.loads(line) for line in open(rss_path) if line.strip()]

print("## HTTP API: creates and lists (bench/run.sh)\n")
print(f"Measured {date} at commit `{commit}` by `bench/run.sh`.\n")
print(f"Machine: {nproc} cores, {cpu}, {mem} RAM. SQLite `synchronous = {sync.upper()}`. Release build; server and load driver on the same machine, "
      "loopback HTTP/1.1 with keep-alive. Create = `POST /api/v1/tickets`; list = `GET /api/v1/tickets?limit=50` "
      "(run after the creates); `create + key` sends a distinct `Idempotency-Key` with each create. "
      "Latency is measured by the driver per request; failures are non-2xx answers and errors.\n")
print("| database | scenario | concurrency | requests | failures | throughput (req/s) | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for row in rows:
    r = row["result"]
    scenario = r["scenario"] + (" + key" if r.get("idempotency_keys") else "")
    print(f"| {row['database']} | {scenario} | {r['concurrency']} | {r['requests']} | {r['failures']} | "
          f"{r['throughput_rps']:,.1f} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | {r['max_ms']} |")
print("\nPeak server RSS (VmHWM, after all runs on that database):\n")
for entry in rss:
    kb = entry["peak_rss_kb"]
    print(f"- {entry['database']}: " + (f"{kb / 1024:.0f} MiB" if kb is not None else "unknown"))
print("\nTarget on the 2-core machine: at least 3,000 tickets created per second on SQLite with p99 under 25 ms "
      "at concurrency 16.")
for row in rows:
    r = row["result"]
    if row["database"] == "sqlite" and r["scenario"] == "create" and r["concurrency"] == 16 and not r.get("idempotency_keys"):
        met = r["throughput_rps"] >= 3000 and r["p99_ms"] < 25 and r["failures"] == 0
        print(f"This run: {r['throughput_rps']:,.1f} tickets/s, p99 {r['p99_ms']} ms: target "
              + ("met." if met else "**not met**."))
PY
# Replace this script's own section of bench/RESULTS.md and keep every other (the other
# scripts' figures, written from their output), in their order.
if [ -f "$ROOT/bench/RESULTS.md" ]; then
    python3 - "$ROOT/bench/RESULTS.md" "$WORK/RESULTS.md" <<'PY'
import sys

old_path, new_path = sys.argv[1:3]
heading = "## HTTP API: creates and lists (bench/run.sh)"
section = open(new_path).read().rstrip("\n") + "\n"
kept, skipping = [], False
for line in open(old_path).read().split("\n"):
    if line.startswith(heading):
        skipping = True
        continue
    if skipping and line.startswith("## "):
        skipping = False
    if not skipping:
        kept.append(line)
text = "\n".join(kept).lstrip("\n")
title = "# Benchmark results"
if text.startswith(title):
    text = text[len(title):].lstrip("\n")
open(new_path, "w").write(f"{title}\n\n{section}\n{text}")
PY
fi
mv "$WORK/RESULTS.md" "$ROOT/bench/RESULTS.md"
log "wrote bench/RESULTS.md"
cat "$ROOT/bench/RESULTS.md"
