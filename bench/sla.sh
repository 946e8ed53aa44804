#!/usr/bin/env bash
# SLA sweep (issue #10): with many open tickets, how long a sweep takes when nothing is due
# (what every scheduler tick costs) and when every ticket's breach comes due at once (how late
# the last escalation fires), on SQLite and on PostgreSQL, each on a fresh database.
#
# `tikal bench sla --tickets N` opens N tickets through the desk, 8 at a time, in a department
# held to a plan of one hour for the first response (warning at 75 %; at the breach: tell the
# manager, mark overdue), so each ticket's due times and first check are computed as in
# production. It then sweeps 20 times with nothing due (median and worst), and once at an
# instant past every ticket's response due time: each ticket records the passed-over warning
# and fires its breach (event, overdue mark, an alert job in the outbox), one transaction per
# ticket, eight tickets at a time. The last escalation is as late as that sweep is long, plus the scheduler's period
# (15 s) at worst.
#
# Environment:
#   TIKAL_BENCH_PG           PostgreSQL server URL without database (default postgres://postgres@127.0.0.1:5432)
#   TIKAL_BENCH_DATABASES    which databases (default "sqlite postgres")
#   TIKAL_BENCH_NO_BUILD=1   use the binary already in target/release (or $CARGO_TARGET_DIR/release)
#   TIKAL_BENCH_SLA_TICKETS  open tickets (default 100000)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL="${TIKAL_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DATABASES="${TIKAL_BENCH_DATABASES:-sqlite postgres}"
TICKETS=${TIKAL_BENCH_SLA_TICKETS:-100000}
unset TIKAL_CONFIG TIKAL_DATA_DIR TIKAL_DATABASE_URL TIKAL_LISTEN TIKAL_SECRET_KEY
export TIKAL_LOG=warn

log() { echo "sla: $*" >&2; }
[[ $TICKETS =~ ^[0-9]+$ && $TICKETS -ge 1 ]] || { log "TIKAL_BENCH_SLA_TICKETS must be a number"; exit 1; }

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
if [ -z "${TIKAL_BENCH_NO_BUILD:-}" ]; then
  log "building the release binary"
  cargo build --release --locked -p tikal >&2
fi
TIKAL="$TARGET/release/tikal"
[ -x "$TIKAL" ] || { log "no binary at $TIKAL"; exit 1; }

WORK=$(mktemp -d)
PG_DB="tikal_bench_sla_$$"
cleanup() {
  rm -rf "$WORK"
  if [[ " $DATABASES " == *" postgres "* ]]; then
    psql -h 127.0.0.1 -U postgres -d postgres -qAt -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

ROWS=()
for db in $DATABASES; do
  data="$WORK/$db"
  mkdir -p "$data"
  case "$db" in
    sqlite) url="sqlite://$data/tikal.db?mode=rwc" ;;
    postgres)
      psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
      url="$PG_URL/$PG_DB"
      ;;
    *) log "unknown database $db"; exit 1 ;;
  esac
  log "$db: $TICKETS tickets"
  row="$("$TIKAL" --data-dir "$data" --database-url "$url" bench sla --tickets "$TICKETS")"
  log "$row"
  ROWS+=("$row")
done

MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -h | awk '/Mem:/{print $2}') RAM; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| database | open tickets | opening (s) | idle sweep p50 (ms) | idle sweep max (ms) | tickets swept | escalations | burst sweep = lateness of the last (s) | escalations/s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Machine: $MACHINE."
