#!/usr/bin/env bash
# Resident memory of `tikal serve --demo` around bursts of concurrent sign-ins with wrong
# passwords (each one an Argon2 verification of ~19 MiB) and of concurrent registrations.
#
#   bench/rss-burst.sh                 # debug build (argon2 is optimised in dev too)
#   TIKAL_BIN=target/release/tikal bench/rss-burst.sh
#
# Every request comes "from" its own client (X-Forwarded-For, with 127.0.0.1 a trusted proxy),
# so the per-client rate limits do not hide the hashing: this measures the hash queue and the
# memory it holds. Prints RSS (VmRSS from /proc) before and after each burst.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TIKAL_BIN:-target/debug/tikal}
PORT=${PORT:-18089}
N=${N:-100}
[ -x "$BIN" ] || cargo build -p tikal
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cat > "$dir/tikal.toml" <<TOML
[http]
trusted_proxies = ["127.0.0.1/32"]
TOML
TIKAL_LOG=warn "$BIN" serve --demo --config "$dir/tikal.toml" --data-dir "$dir/data" --listen "127.0.0.1:$PORT" >"$dir/server.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 300); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk '/VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$pid/status"; }
# An anonymous form token: the cookie, sent back as the form field too.
token=$(curl -s -D - -o /dev/null "$base/login" | tr -d '\r' | sed -n 's/^set-cookie: tikal_csrf=\([0-9a-f]*\);.*/\1/ip' | head -1)

burst() { # $1 = label, $2 = path, $3 = form fields (with @I@ replaced by the request number)
    local codes="$dir/codes"
    : > "$codes"
    local pids=()
    for i in $(seq 1 "$N"); do
        local fields=${3//@I@/$i}
        curl -s -o /dev/null -w '%{http_code}\n' -X POST "$base$2" \
            -H "Cookie: tikal_csrf=$token" -H "X-Forwarded-For: 198.18.$((i / 250)).$((i % 250 + 1))" \
            --data "csrf=$token&$fields" >> "$codes" &
        pids+=($!)
    done
    wait "${pids[@]}" 2>/dev/null || true
    local answers
    answers=$(sort "$codes" | uniq -c | awk '{ printf "%s x%s ", $2, $1 }')
    sleep 2
    printf '%-34s RSS after: %4s MiB   answers: %s\n' "$1" "$(rss)" "$answers"
}

printf 'tikal %s, %s concurrent requests per burst, %s cores\n' "$BIN" "$N" "$(nproc)"
printf '%-34s RSS:       %4s MiB\n' "started (demo data)" "$(rss)"
burst "burst 1: wrong sign-ins" /login "email=operador%40tikal.example&password=incorrecta@I@"
burst "burst 2: wrong sign-ins" /login "email=operador%40tikal.example&password=incorrecta@I@"
burst "burst 3: registrations" /register "email=p@I@%40gob.example&name=Persona&password=una+clave+larga+123"
sleep 3
printf '%-34s RSS:       %4s MiB (VmHWM peak %s MiB)\n' "settled" "$(rss)" "$(awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$pid/status")"
