#!/usr/bin/env bash
# Benchmarks (figures go in the README, nothing is asserted), on SQLite and PostgreSQL side by side
# in one run, each against a ceiling measured in the same run on the same machine:
#  (a) password sign-ins/s through the real endpoint vs raw argon2id verifications/s;
#  (b) the session check (/api/app/whoami) and /dashboard, signed in, vs a bare axum hello-world;
#  (c) p99 latency of /dashboard while 32 connections send wrong-password sign-ins.
# Needs a release build (`make build`) and wrk (`apt-get install wrk`). Loopback only, bounded.
# DATABASE_URL, when set, benchmarks that one database instead of both engines (it is emptied of
# nothing: use a fresh one). BENCH_POSTGRES_URL is the server the PostgreSQL run creates its
# fresh database on (default the test server).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk; }
export LEPTOS_OUTPUT_NAME=vestibule
DUR=${BENCH_SECONDS:-10}
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
cargo build -q --release --no-default-features --features ssr --example argon2_rate --example hello
raw=$(target/release/examples/argon2_rate "$DUR")
target/release/examples/hello "$HELLO_PORT" &
hello=$!
wait_up "http://127.0.0.1:$HELLO_PORT/"
hello_rps=$(wrk -t2 -c16 -d"${DUR}s" "http://127.0.0.1:$HELLO_PORT/" | rps)
kill $hello; wait $hello 2>/dev/null || true; hello=""
echo "raw argon2id verify/s: $raw"
echo "hello-world req/s:     $hello_rps"

# One engine's run: prints "name signins whoami dashboard p99 flood_rps".
bench_engine() {
  local name=$1 url=$2
  # This runs in a subshell (its output is the result): stop its server whatever happens.
  trap 'kill $server 2>/dev/null || true' EXIT
  RUST_LOG=warn DATABASE_URL=$url LEPTOS_SITE_ADDR=127.0.0.1:$PORT LEPTOS_SITE_ROOT=target/site \
    target/release/vestibule --config "$tmp/bench.toml" > "$tmp/$name.log" 2>&1 &
  server=$!
  wait_up "$BASE/healthz"
  curl -sf -X POST "$BASE/v1/users" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"email\":\"bench@example.com\",\"password\":\"$PW\",\"email_verified\":true}" >/dev/null
  local signins cookie whoami dash p99 flood
  signins=$(wrk -t2 -c8 -d"${DUR}s" -s "$tmp/signin.lua" "$BASE/api/sign_in/start" | rps)
  cookie=$(curl -si -X POST "$BASE/__testing/sign-in" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com"}' | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
  # The session check must answer 200 (a 401 would measure the signed-out path).
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Cookie: $cookie" "$BASE/api/app/whoami")" = 200 ]
  whoami=$(wrk -t2 -c16 -d"${DUR}s" -s "$tmp/whoami.lua" -H "Cookie: $cookie" "$BASE/api/app/whoami" | rps)
  dash=$(wrk -t2 -c16 -d"${DUR}s" -H "Cookie: $cookie" "$BASE/dashboard" | rps)
  wrk -t2 -c32 -d"$((DUR + 2))s" -s "$tmp/wrong.lua" "$BASE/api/sign_in/start" > "$tmp/flood.txt" &
  local flooding=$!
  sleep 1
  p99=$(wrk -t1 -c4 -d"${DUR}s" --latency -H "Cookie: $cookie" "$BASE/dashboard" | awk '/ 99%/ {print $2}')
  wait $flooding
  flood=$(rps < "$tmp/flood.txt")
  kill $server; wait $server 2>/dev/null || true; server=""
  echo "$name $signins $whoami $dash $p99 $flood"
}

results=()
if [ -n "${DATABASE_URL:-}" ]; then
  results+=("$(bench_engine "${DATABASE_URL%%:*}" "$DATABASE_URL")")
else
  rm -f target/bench.db target/bench.db-wal target/bench.db-shm
  results+=("$(bench_engine sqlite sqlite://target/bench.db)")
  psql "$PG_ADMIN" -qX -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB"
  results+=("$(bench_engine postgres "${PG_ADMIN%/*}/$PG_DB")")
fi

echo
echo "| measure | $(for r in "${results[@]}"; do printf '%s | ' "${r%% *}"; done)"
echo "|---|$(for _ in "${results[@]}"; do printf -- '---|'; done)"
row() {
  local label=$1 field=$2 ceiling=$3
  printf '| %s | ' "$label"
  for r in "${results[@]}"; do
    read -r -a f <<< "$r"
    if [ -n "$ceiling" ]; then
      printf '%s vs %s = **%s** | ' "${f[$field]}" "$ceiling" "$(ratio "${f[$field]}" "$ceiling")"
    else
      printf '**%s** | ' "${f[$field]}"
    fi
  done
  echo
}
row "(a) password sign-ins/s vs raw argon2id verifications/s" 1 "$raw"
row "(b) session check /api/app/whoami req/s vs hello-world" 2 "$hello_rps"
row "(b) /dashboard signed in req/s vs hello-world" 3 "$hello_rps"
row "(c) /dashboard p99 under 32 wrong-password connections" 4 ""
row "wrong-password sign-ins/s during (c)" 5 ""
