#!/usr/bin/env bash
# Lists on a million tickets: seeds 1,000,000 benchmark tickets (`tikal bench seed`) on SQLite
# and on PostgreSQL, starts `tikal serve` on each and measures every list page with
# target/release/tikal-bench at concurrency 1 and 16 (p50/p90/p99). Prints a Markdown table
# (and keeps the JSON lines in $WORK/million.jsonl).
#
# What is measured (each `GET`, 50 tickets a page, API key of the whole desk unless noted):
#   first_page      /api/v1/tickets?limit=50
#   deep_page       the page reached by following next_cursor 20 times
#   active          ?state=new,open,pending
#   done            ?state=resolved,closed
#   added_status    ?status=en_atencion        (a status the desk added)
#   department      ?department=<busiest department>
#   requester       ?requester=<busiest requester>
#   priority_open   ?priority=5&state=open
#   portal_open     the portal's /tickets signed in as the busiest requester: the open tab's page
#                   and both tab counts
#   portal_closed   the same page, closed tab
#
# Environment:
#   TIKAL_BENCH_PG          PostgreSQL server URL without database (default postgres://postgres@127.0.0.1:5432)
#   TIKAL_BENCH_DATABASES   which databases (default "sqlite postgres")
#   TIKAL_BENCH_TICKETS     how many tickets (default 1000000)
#   TIKAL_BENCH_NO_BUILD=1  use the binaries already in target/release (or $CARGO_TARGET_DIR/release)
#   TIKAL_BENCH_MAX_SECONDS time limit of each run (default 5)
#   TIKAL_BENCH_WORK        keep the seeded databases in this directory (and the PostgreSQL
#                           database `tikal_million`); a later run with the same directory skips
#                           seeding, migrates (new indexes) and measures again
#   TIKAL_BENCH_SEED_ONLY=1 with TIKAL_BENCH_WORK: seed and stop (to seed both databases at once
#                           from two runs, then measure with a third)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL="${TIKAL_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DATABASES="${TIKAL_BENCH_DATABASES:-sqlite postgres}"
TICKETS=${TIKAL_BENCH_TICKETS:-1000000}
MAX_SECONDS=${TIKAL_BENCH_MAX_SECONDS:-5}
PORTAL_PASSWORD="bench portal password"

unset TIKAL_CONFIG TIKAL_DATA_DIR TIKAL_DATABASE_URL TIKAL_LISTEN
export TIKAL_LOG=warn

log() { echo "million: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

for tool in cargo curl python3; do
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

KEEP=""
if [[ -n ${TIKAL_BENCH_WORK:-} ]]; then
  WORK=$TIKAL_BENCH_WORK
  KEEP=1
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/tikal-million.XXXXXX")
fi
SERVER_PID=""
PG_DB=""

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
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
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
  if [[ -z $KEEP ]]; then
    if [[ -n $PG_DB ]]; then
      psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || log "could not drop database $PG_DB"
    fi
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# measure DB NAME CONCURRENCY REQUESTS PATH [COOKIE]
measure() {
  local db=$1 name=$2 concurrency=$3 requests=$4 path=$5 cookie=${6:-} line
  log "$db: $name at concurrency $concurrency"
  line=$(TIKAL_BENCH_KEY="$KEY" TIKAL_BENCH_COOKIE="$cookie" "$DRIVER" --url "http://127.0.0.1:$PORT" --scenario get \
    --path "$path" --concurrency "$concurrency" --requests "$requests" --warmup 10 --max-seconds "$MAX_SECONDS") ||
    die "$db: $name at concurrency $concurrency failed"
  log "$line"
  printf '{"database":"%s","name":"%s","result":%s}\n' "$db" "$name" "$line" >>"$WORK/million.jsonl"
}

bench_database() {
  local db=$1
  local dir="$WORK/$db"
  local -a where=(--data-dir "$dir")
  mkdir -p "$dir"
  if [[ $db == postgres ]]; then
    command -v psql >/dev/null || die "psql is required for the PostgreSQL run"
    PG_DB=$([[ -n $KEEP ]] && echo tikal_million || echo "tikal_million_$$")
    where+=(--database-url "$PG_URL/$PG_DB")
  elif [[ $db != sqlite ]]; then
    die "unknown database $db (expected sqlite or postgres)"
  fi

  local state="$dir/seeded.env"
  if [[ -f $state ]]; then
    log "$db: reusing the seeded database; migrating"
    local started=$SECONDS
    "$TIKAL" migrate "${where[@]}" >/dev/null
    log "$db: migrated in $((SECONDS - started)) s"
  else
    if [[ $db == postgres ]]; then
      psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null
      psql_admin "CREATE DATABASE \"$PG_DB\"" >/dev/null
    fi
    log "$db: seeding $TICKETS tickets"
    local started=$SECONDS seeded
    seeded=$(printf '%s\n' "$PORTAL_PASSWORD" | "$TIKAL" bench seed --tickets "$TICKETS" --portal-password-stdin "${where[@]}")
    log "$db: seeded in $((SECONDS - started)) s"
    local key
    key=$("$TIKAL" api-key create --name bench "${where[@]}" | tail -n 1)
    {
      echo "KEY=$key"
      echo "REQUESTER=$(awk -F'\t' '$1 == "requester" {print $2}' <<<"$seeded")"
      echo "STATUS=$(awk -F'\t' '$1 == "status" {print $2}' <<<"$seeded")"
      echo "DEPARTMENT=$(awk -F'\t' '$1 == "department" {print $2}' <<<"$seeded")"
      echo "SEED_SECONDS=$((SECONDS - started))"
    } >"$state"
  fi
  # shellcheck disable=SC1090
  source "$state"
  [[ ${TIKAL_BENCH_SEED_ONLY:-} == 1 ]] && return 0

  PORT=$(free_port)
  "$TIKAL" serve --listen "127.0.0.1:$PORT" "${where[@]}" >"$WORK/$db-server.log" 2>&1 &
  SERVER_PID=$!
  local ready=""
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/readyz" 2>/dev/null; then
      ready=1
      break
    fi
    alive "$SERVER_PID" || break
    sleep 0.1
  done
  [[ -n $ready ]] || {
    tail -n 20 "$WORK/$db-server.log" >&2 || true
    die "$db: server did not become ready"
  }

  local api="/api/v1/tickets?limit=50"
  # The deep page: follow next_cursor 20 times.
  local cursor="" page
  for _ in $(seq 1 20); do
    page=$(curl -fsS -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT$api${cursor:+&cursor=$cursor}")
    cursor=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["next_cursor"] or "")' <<<"$page")
  done
  local requester
  requester=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$REQUESTER")

  # The portal: sign in as the busiest requester (form token from the login page).
  local jar="$WORK/$db-cookies" html csrf session
  rm -f "$jar"
  html=$(curl -fsS -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/login")
  csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$html" | head -n 1)
  curl -fsS -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "email=$REQUESTER" \
    --data-urlencode "password=$PORTAL_PASSWORD" "http://127.0.0.1:$PORT/login"
  session=$(awk '$6 == "tikal_session" {print $7}' "$jar")
  [[ -n $session ]] || die "$db: could not sign in to the portal as $REQUESTER"

  local -a names=(first_page deep_page active done added_status department requester priority_open portal_open portal_closed)
  local -a paths=(
    "$api"
    "$api&cursor=$cursor"
    "$api&state=new,open,pending"
    "$api&state=resolved,closed"
    "$api&status=$STATUS"
    "$api&department=$DEPARTMENT"
    "$api&requester=$requester"
    "$api&priority=5&state=open"
    "/tickets"
    "/tickets?tab=closed"
  )
  local i cookie
  for i in "${!names[@]}"; do
    cookie=""
    [[ ${names[$i]} == portal_* ]] && cookie="tikal_session=$session"
    measure "$db" "${names[$i]}" 1 200 "${paths[$i]}" "$cookie"
    measure "$db" "${names[$i]}" 16 600 "${paths[$i]}" "$cookie"
  done
  stop_server
}

for db in $DATABASES; do
  bench_database "$db"
done
[[ ${TIKAL_BENCH_SEED_ONLY:-} == 1 ]] && exit 0

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -h | awk '/^Mem:/ {print $2}') RAM; $(date -u '+%Y-%m-%d %H:%M UTC')"
python3 - "$WORK/million.jsonl" <<'PY'
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| database | list | c | requests | failures | req/s | p50 (ms) | p90 (ms) | p99 (ms) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for row in rows:
    r = row["result"]
    print(f"| {row['database']} | {row['name']} | {r['concurrency']} | {r['requests']} | {r['failures']} | "
          f"{r['throughput_rps']:,.1f} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} |")
PY
