#!/usr/bin/env bash
# Benchmarks (figures go in the README, nothing is asserted), on SQLite and PostgreSQL side by side
# in one run, each against a ceiling measured in the same run on the same machine:
#  - the server's RSS at start, after one sign-up and sign-in, at its peak during 64 concurrent
#    sign-ins and once idle again;
#  - password sign-ins/s through the real endpoint vs raw argon2id verifications/s;
#  - the session check (/api/app/whoami) vs a bare axum hello-world;
#  - /dashboard signed in vs / signed out;
#  - the session check's p99 and throughput while 32 connections send wrong-password sign-ins,
#    against the same alone.
# BENCH_BIN benchmarks another build of the server (default target/release/vestibule).
# Needs a release build (`make build`) and wrk (`apt-get install wrk`). Loopback only, bounded.
# DATABASE_URL, when set, benchmarks that one database instead of both engines (it is emptied of
# nothing: use a fresh one). BENCH_POSTGRES_URL is the server the PostgreSQL run creates its
# fresh database on (default the test server).
set -euo pipefail
cd "$(dirname "$0")/.."
# The server's encryption key (README, "Encryption at rest"): the caller's, else a fresh one (the
# databases here are fresh).
if [ -z "${VESTIBULE_ENCRYPTION_KEY:-}${VESTIBULE_ENCRYPTION_KEY_FILE:-}" ]; then
  VESTIBULE_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
  export VESTIBULE_ENCRYPTION_KEY
fi
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk; }
export LEPTOS_OUTPUT_NAME=vestibule
DUR=${BENCH_SECONDS:-10}
BIN=${BENCH_BIN:-target/release/vestibule}
PORT=${BENCH_PORT:-3390}
HELLO_PORT=$((PORT + 1))
BASE="http://127.0.0.1:$PORT"
KEY="sk_bench_0123456789abcdef"
PG_ADMIN=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=vestibule_bench
tmp=$(mktemp -d)
server=""
hello=""
trap 'kill $server $hello 2>/dev/null || true; rm -rf "$tmp"' EXIT

cat > "$tmp/bench.toml" <<TOML
[testing]
enabled = true
[backend]
secret_key = "$KEY"
[rate_limits]
enabled = false
[lockout]
max_attempts = 1000000
TOML

PW="Bench-password-123"
post_lua() {
  cat > "$tmp/$1.lua" <<LUA
wrk.method = "POST"
wrk.body = "$2"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
LUA
}
post_lua signin "email=bench%40example.com&password=$PW"
post_lua wrong "email=bench%40example.com&password=Wrong-password-1"
post_lua whoami ""

rps() { awk '/Requests\/sec/ {printf "%.0f", $2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
wait_up() { for _ in $(seq 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; return 1; }

echo "== ceilings (${DUR}s each)"
cargo build -q --release --no-default-features --features ssr,demo --example argon2_rate --example hello
raw=$(target/release/examples/argon2_rate "$DUR")
target/release/examples/hello "$HELLO_PORT" &
hello=$!
wait_up "http://127.0.0.1:$HELLO_PORT/"
hello_rps=$(wrk -t2 -c16 -d"${DUR}s" "http://127.0.0.1:$HELLO_PORT/" | rps)
kill $hello; wait $hello 2>/dev/null || true; hello=""
echo "raw argon2id verify/s: $raw"
echo "hello-world req/s:     $hello_rps"

# The server's resident set size, in MiB.
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# Samples the server's RSS every 100 ms into $tmp/peak until stopped (prints nothing).
sample_peak() {
  echo 0 > "$tmp/peak"
  while kill -0 "$1" 2>/dev/null; do
    local now
    now=$(rss_mib "$1" 2>/dev/null || echo 0)
    [ "${now:-0}" -gt "$(cat "$tmp/peak")" ] && echo "$now" > "$tmp/peak"
    sleep 0.1
  done
}
p99_ms() { awk '/ 99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f", v}'; }

# One engine's run: prints "name rss_start rss_one peak after signins whoami dash home p99 p99_flood
# rps_flood".
bench_engine() {
  local name=$1 url=$2
  # This runs in a subshell (its output is the result): stop its server whatever happens.
  trap 'kill $server 2>/dev/null || true' EXIT
  RUST_LOG=warn DATABASE_URL=$url LEPTOS_SITE_ADDR=127.0.0.1:$PORT LEPTOS_SITE_ROOT=target/site \
    "$BIN" --config "$tmp/bench.toml" --allow-testing-endpoints > "$tmp/$name.log" 2>&1 &
  server=$!
  wait_up "$BASE/healthz"
  local rss_start rss_one rss_one_idle peak after signins cookie whoami dash home p99 p99_flood rps_flood
  rss_start=$(rss_mib $server)
  # One sign-up (through the Backend API, which hashes the password) and one sign-in.
  curl -sf -X POST "$BASE/v1/users" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"email\":\"bench@example.com\",\"password\":\"$PW\",\"email_verified\":true}" >/dev/null
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
    -H 'Accept: application/json' --data "email=bench%40example.com&password=$PW" "$BASE/api/sign_in/start"
  rss_one=$(rss_mib $server)
  sleep 2
  rss_one_idle=$(rss_mib $server)
  # 64 concurrent sign-ins (every connection a new browser): peak RSS, then RSS once idle.
  sample_peak $server &
  local sampler=$!
  wrk -t2 -c64 -d"${DUR}s" -s "$tmp/signin.lua" "$BASE/api/sign_in/start" > /dev/null
  kill $sampler 2>/dev/null; wait $sampler 2>/dev/null || true
  peak=$(cat "$tmp/peak")
  sleep 3
  after=$(rss_mib $server)
  signins=$(wrk -t2 -c8 -d"${DUR}s" -s "$tmp/signin.lua" "$BASE/api/sign_in/start" | rps)
  cookie=$(curl -si -X POST "$BASE/__testing/sign-in" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com"}' | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
  # The session check must answer 200 (a 401 would measure the signed-out path).
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Cookie: $cookie" "$BASE/api/app/whoami")" = 200 ]
  whoami=$(wrk -t2 -c16 -d"${DUR}s" -s "$tmp/whoami.lua" -H "Cookie: $cookie" "$BASE/api/app/whoami" | rps)
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$BASE/dashboard")" = 200 ]
  dash=$(wrk -t2 -c16 -d"${DUR}s" -H "Cookie: $cookie" "$BASE/dashboard" | rps)
  home=$(wrk -t2 -c16 -d"${DUR}s" "$BASE/" | rps)
  # The session check's p99 and throughput alone, then while 32 connections send wrong passwords.
  wrk -t1 -c4 -d"${DUR}s" --latency -s "$tmp/whoami.lua" -H "Cookie: $cookie" "$BASE/api/app/whoami" \
    > "$tmp/alone.txt"
  p99=$(p99_ms < "$tmp/alone.txt")
  wrk -t2 -c32 -d"$((DUR + 2))s" -s "$tmp/wrong.lua" "$BASE/api/sign_in/start" > /dev/null &
  local flooding=$!
  sleep 1
  wrk -t1 -c4 -d"${DUR}s" --latency -s "$tmp/whoami.lua" -H "Cookie: $cookie" "$BASE/api/app/whoami" \
    > "$tmp/flood.txt"
  wait $flooding
  p99_flood=$(p99_ms < "$tmp/flood.txt")
  rps_flood=$(awk -v a="$(rps < "$tmp/flood.txt")" -v b="$(rps < "$tmp/alone.txt")" \
    'BEGIN {printf "%.2f", a/b}')
  kill $server; wait $server 2>/dev/null || true; server=""
  echo "$name $rss_start $rss_one/$rss_one_idle $peak $after $signins $whoami $dash $home $p99 $p99_flood $rps_flood"
}

results=()
if [ -n "${DATABASE_URL:-}" ]; then
  results+=("$(bench_engine "${DATABASE_URL%%:*}" "$DATABASE_URL")")
else
  rm -f target/bench.db target/bench.db-wal target/bench.db-shm
  results+=("$(bench_engine sqlite sqlite://target/bench.db)")
  if psql "$PG_ADMIN" -qXtc "SELECT 1" >/dev/null 2>&1; then
    psql "$PG_ADMIN" -qX -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB"
    results+=("$(bench_engine postgres "${PG_ADMIN%/*}/$PG_DB")")
  else
    echo "PostgreSQL does not answer at $PG_ADMIN: SQLite only" >&2
  fi
fi

echo
echo "| measure | $(for r in "${results[@]}"; do printf '%s | ' "${r%% *}"; done)"
echo "|---|$(for _ in "${results[@]}"; do printf -- '---|'; done)"
# A row: a field against a ceiling (with the ratio; `@n` is field n), a field → a second field, or
# one field.
row() {
  local label=$1 field=$2 ceiling=$3 second=${4:-}
  printf '| %s | ' "$label"
  for r in "${results[@]}"; do
    read -r -a f <<< "$r"
    local c=$ceiling
    [ "${c:0:1}" = "@" ] && c=${f[${c:1}]}
    if [ -n "$c" ]; then
      printf '%s vs %s = **%s** | ' "${f[$field]}" "$c" "$(ratio "${f[$field]}" "$c")"
    elif [ -n "$second" ]; then
      printf '%s → %s | ' "${f[$field]}" "${f[$second]}"
    else
      printf '**%s** | ' "${f[$field]}"
    fi
  done
  echo
}
row "server RSS at start → after one sign-up and sign-in / idle 2 s later (MiB)" 1 "" 2
row "server RSS peak during 64 concurrent sign-ins → idle 3 s later (MiB)" 3 "" 4
row "password sign-ins/s vs raw argon2id verifications/s" 5 "$raw"
row "session check POST /api/app/whoami req/s vs hello-world" 6 "$hello_rps"
row "GET /dashboard signed in vs GET / signed out (req/s)" 7 "@8"
row "whoami p99 (ms) alone → during 32 wrong-password connections" 9 "" 10
row "whoami throughput during the flood / alone" 11 ""
