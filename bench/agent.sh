#!/usr/bin/env bash
# The agent workspace on a million tickets: seeds 1,000,000 benchmark tickets (`tikal bench seed
# --agent-password-stdin`) on SQLite and on PostgreSQL, starts `tikal serve` on each, signs in
# the seeded supervisor (tecnico01@tikal.example, supervisor of every department and owner of
# tickets) at /agent/login and measures with target/release/tikal-bench at concurrency 8
# (p50/p90/p99). Prints a Markdown table with each page's target (and keeps the JSON lines in
# $WORK/agent.jsonl). Same conventions as bench/million.sh.
#
# What is measured (agent pages signed in with the `tikal_agent` cookie; 50 tickets a page):
#   queue_unassigned  /agent/tickets?view=unassigned
#   queue_mine        /agent/tickets?view=mine
#   queue_filtered    /agent/tickets?state=open&priority=5&sort=due_asc
#   queue_deep        the page reached by following the queue's "next" link 20 times (default view)
#   desk              /agent/tickets/{n}: the desk page of the first ticket of "mine" (message
#                     and replies in its thread)
#   dashboard         /agent (counts from the maintained counters)
#   reply             POST /api/v1/tickets/{n}/messages {"kind": "reply"} by the desk's API key,
#                     spread over the 50 tickets of the first page of "mine"
#   admin_*           administration pages (issue #8) as the administrator `tikal admin create`
#                     made: departments (with their ticket totals from the counters), the first
#                     page of requesters, a requester search, agents, the audit log, the
#                     configuration file (GET /api/v1/configuration by the API key), the
#                     e-mail accounts, the outbox (pending and failed mail), the inbound mail
#   mail_intake       POST /api/v1/mail/inbound: raw e-mails (new tickets, and every third a
#                     reply threaded by Message-ID), stored, parsed and imported (issue #9)
# Targets: queue p99 < 50 ms, desk p99 < 30 ms, dashboard p99 < 50 ms, reply p99 < 30 ms,
# administration pages p99 < 50 ms; mail intake p99 < 50 ms (no target in the issue: the
# default of the pages).
#
# Environment:
#   TIKAL_BENCH_PG          PostgreSQL server URL without database (default postgres://postgres@127.0.0.1:5432)
#   TIKAL_BENCH_DATABASES   which databases (default "sqlite postgres")
#   TIKAL_BENCH_TICKETS     how many tickets (default 1000000)
#   TIKAL_BENCH_NO_BUILD=1  use the binaries already in target/release (or $CARGO_TARGET_DIR/release)
#   TIKAL_BENCH_MAX_SECONDS time limit of each run (default 10)
#   TIKAL_BENCH_REQUESTS    measured requests of each run (default 1000)
#   TIKAL_BENCH_WORK        keep the seeded databases in this directory (and the PostgreSQL
#                           database `tikal_agent`); a later run with the same directory skips
#                           seeding, migrates (new indexes) and measures again
#   TIKAL_BENCH_SEED_ONLY=1 with TIKAL_BENCH_WORK: seed and stop
#   TIKAL_BENCH_SEARCH_ONLY=1 measure the search scenarios only (issue #11):
#     search_word      /agent/search?q=impresoras   (a word of ~1 ticket in 10, in subjects)
#     search_words     /agent/search?q=correo+contraseña (two words, subject and message)
#     search_message   /agent/search?q=marcado      (a word of messages only, ~1 in 30)
#     search_none      /agent/search?q=xilofono     (no ticket holds it: the whole index asked)
#     search_number    /agent/search?q=<number>     (a ticket number, matched exactly)
#     queue_search     /agent/tickets?q=impresoras  (the queue's default sort, filtered by words)
#     api_search       GET /api/v1/tickets?q=vpn    (the API key; its default sort)
#   TIKAL_BENCH_SEARCH_CONCURRENCIES  the search rows' concurrencies, in turn (default "1 8":
#                           one agent alone, then eight at once)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL="${TIKAL_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DATABASES="${TIKAL_BENCH_DATABASES:-sqlite postgres}"
TICKETS=${TIKAL_BENCH_TICKETS:-1000000}
MAX_SECONDS=${TIKAL_BENCH_MAX_SECONDS:-10}
REQUESTS=${TIKAL_BENCH_REQUESTS:-1000}
CONCURRENCY=8
SEARCH_CONCURRENCIES="${TIKAL_BENCH_SEARCH_CONCURRENCIES:-1 8}"
AGENT_PASSWORD="bench agent password"

unset TIKAL_CONFIG TIKAL_DATA_DIR TIKAL_DATABASE_URL TIKAL_LISTEN
export TIKAL_LOG=warn

log() { echo "agent: $*" >&2; }
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
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/tikal-agent.XXXXXX")
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

# measure DB NAME ARGS...: one run of the driver at $CONCURRENCY (8 but for the search rows);
# ARGS are the scenario's.
measure() {
  local db=$1 name=$2 line
  shift 2
  log "$db: $name"
  line=$(TIKAL_BENCH_KEY="$KEY" TIKAL_BENCH_COOKIE="tikal_agent=$COOKIE" "$DRIVER" --url "http://127.0.0.1:$PORT" \
    --concurrency "$CONCURRENCY" --requests "$REQUESTS" --warmup 20 --max-seconds "$MAX_SECONDS" "$@") ||
    die "$db: $name failed"
  log "$line"
  printf '{"database":"%s","name":"%s","result":%s}\n' "$db" "$name" "$line" >>"$WORK/agent.jsonl"
}

# sign_in DB BASE EMAIL: signs in at /agent/login (the form token from the page, its cookie
# `tikal_csrf` with it) and prints the `tikal_agent` session cookie.
sign_in() {
  local db=$1 base=$2 email=$3 jar="$WORK/$1-cookies" html csrf cookie
  rm -f "$jar"
  html=$(curl -fsS -c "$jar" -b "$jar" "$base/agent/login")
  csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$html" | head -n 1)
  curl -fsS -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "email=$email" \
    --data-urlencode "password=$AGENT_PASSWORD" "$base/agent/login"
  cookie=$(awk '$6 == "tikal_agent" {print $7}' "$jar")
  [[ -n $cookie ]] || die "$db: could not sign in as $email"
  echo "$cookie"
}

# The href of the element with id="next-page" in an HTML page on stdin (unescaped), or nothing.
next_link() {
  python3 -c '
import html, re, sys
m = re.search(r"<a [^>]*href=\"([^\"]*)\"[^>]*id=\"next-page\"", sys.stdin.read())
print(html.unescape(m.group(1)) if m else "")'
}

bench_database() {
  local db=$1
  local dir="$WORK/$db"
  local -a where=(--data-dir "$dir")
  mkdir -p "$dir"
  if [[ $db == postgres ]]; then
    command -v psql >/dev/null || die "psql is required for the PostgreSQL run"
    PG_DB=$([[ -n $KEEP ]] && echo tikal_agent || echo "tikal_agent_$$")
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
    local started seeded ended
    started=$(date +%s.%N)
    seeded=$(printf '%s\n' "$AGENT_PASSWORD" | "$TIKAL" bench seed --tickets "$TICKETS" --agent-password-stdin "${where[@]}")
    ended=$(date +%s.%N)
    log "$db: seeded in $(python3 -c "print(round($ended - $started, 1))") s"
    local key
    key=$("$TIKAL" api-key create --name bench "${where[@]}" | tail -n 1)
    {
      echo "KEY=$key"
      echo "AGENT=$(awk -F'\t' '$1 == "agent" {print $2}' <<<"$seeded")"
      echo "SEED_SECONDS=$(python3 -c "print(round($ended - $started, 1))")"
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
  local base="http://127.0.0.1:$PORT"

  AGENT_COOKIE=$(sign_in "$db" "$base" "$AGENT")
  COOKIE=$AGENT_COOKIE
  local get=(curl -fsS -b "tikal_agent=$AGENT_COOKIE")

  # The deep page: follow "next" 20 times from the default queue.
  local path="/agent/tickets" next
  for _ in $(seq 1 20); do
    next=$("${get[@]}" "$base$path" | next_link)
    [[ -n $next ]] || die "$db: no next page after $path"
    path=$next
  done
  local deep=$path
  # The first page of "mine": its tickets get the replies; the first one is the desk page.
  local numbers
  numbers=$("${get[@]}" "$base/agent/tickets?view=mine" | python3 -c '
import re, sys
seen = []
for n in re.findall(r"href=\"/agent/tickets/([A-Za-z-]*[0-9][0-9A-Za-z-]*)\"", sys.stdin.read()):
    if n not in seen:
        seen.append(n)
print(",".join(seen[:50]))')
  [[ -n $numbers ]] || die "$db: no ticket in the agent's own queue"
  local first=${numbers%%,*}
  "${get[@]}" "$base/agent/tickets/$first" | grep -q 'reply' || log "$db: warning: the desk page of $first shows no reply"

  if [[ ${TIKAL_BENCH_SEARCH_ONLY:-} == 1 ]]; then
    "${get[@]}" "$base/agent/search?q=impresoras" | grep -q '<mark>' || log "$db: warning: the search found nothing marked"
    # One agent searching alone (how long a search takes), then eight at once on the 2 cores.
    local searchers
    for searchers in $SEARCH_CONCURRENCIES; do
      CONCURRENCY=$searchers
      measure "$db" search_word --scenario get --path "/agent/search?q=impresoras"
      measure "$db" search_words --scenario get --path "/agent/search?q=correo+contrase%C3%B1a"
      measure "$db" search_message --scenario get --path "/agent/search?q=marcado"
      measure "$db" search_none --scenario get --path "/agent/search?q=xilofono"
      measure "$db" search_number --scenario get --path "/agent/search?q=$first"
      measure "$db" queue_search --scenario get --path "/agent/tickets?q=impresoras"
      measure "$db" api_search --scenario get --path "/api/v1/tickets?q=vpn"
    done
    CONCURRENCY=8
    log "$db: server peak RSS $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status" 2>/dev/null || echo unknown)"
    stop_server
    return 0
  fi
  measure "$db" queue_unassigned --scenario get --path "/agent/tickets?view=unassigned"
  measure "$db" queue_mine --scenario get --path "/agent/tickets?view=mine"
  measure "$db" queue_filtered --scenario get --path "/agent/tickets?state=open&priority=5&sort=due_asc"
  measure "$db" queue_deep --scenario get --path "$deep"
  measure "$db" desk --scenario get --path "/agent/tickets/$first"
  measure "$db" dashboard --scenario get --path "/agent"
  measure "$db" reply --scenario reply --tickets "$numbers"

  # Administration, as an administrator (made once, kept with the seeded database).
  if ! grep -q '^ADMIN=' "$state"; then
    printf '%s\n' "$AGENT_PASSWORD" |
      "$TIKAL" admin create --email admin.bench@tikal.example --name "Administración" --password-stdin "${where[@]}" >/dev/null
    echo "ADMIN=admin.bench@tikal.example" >>"$state"
  fi
  COOKIE=$(sign_in "$db" "$base" admin.bench@tikal.example)
  curl -fsS -b "tikal_agent=$COOKIE" "$base/admin/requesters?q=torres" | grep -q '/admin/requesters/' ||
    log "$db: warning: the requester search found no one"
  measure "$db" admin_departments --scenario get --path "/admin/departments"
  measure "$db" admin_requesters --scenario get --path "/admin/requesters"
  measure "$db" admin_requester_search --scenario get --path "/admin/requesters?q=torres"
  measure "$db" admin_agents --scenario get --path "/admin/agents"
  measure "$db" admin_audit --scenario get --path "/admin/audit"
  measure "$db" admin_config_export --scenario get --path "/api/v1/configuration"
  measure "$db" admin_mail_accounts --scenario get --path "/admin/mail"
  measure "$db" admin_outbox --scenario get --path "/admin/outbox"
  # Mail in (issue #9): raw messages posted by the API key, then the list of what arrived.
  measure "$db" mail_intake --scenario mail
  measure "$db" admin_inbound --scenario get --path "/admin/inbound"
  log "$db: server peak RSS $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status" 2>/dev/null || echo unknown)"
  stop_server
}

for db in $DATABASES; do
  bench_database "$db"
done
[[ ${TIKAL_BENCH_SEED_ONLY:-} == 1 ]] && exit 0

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -h | awk '/^Mem:/ {print $2}') RAM; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
python3 - "$WORK/agent.jsonl" <<'PY'
import json
import sys

targets = {"desk": 30, "reply": 30}
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| database | page | c | requests | failures | req/s | p50 (ms) | p90 (ms) | p99 (ms) | target p99 | met |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for row in rows:
    r = row["result"]
    target = targets.get(row["name"], 50)
    met = "yes" if r["p99_ms"] < target else "**no**"
    print(f"| {row['database']} | {row['name']} | {r['concurrency']} | {r['requests']} | {r['failures']} | "
          f"{r['throughput_rps']:,.1f} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | < {target} | {met} |")
PY
