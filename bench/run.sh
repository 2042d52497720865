#!/usr/bin/env bash
# Benchmarks of SPEC/issue 2 (figures go in the README, nothing is asserted):
#  (a) password sign-ins per second through the real endpoint vs raw argon2id verifications;
#  (b) requests per second for /dashboard signed in vs the public page /;
#  (c) p99 latency of /dashboard while 32 concurrent wrong-password sign-ins hammer the server.
# Needs a release build (`make build`) and wrk (`apt-get install wrk`). Loopback only, bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk; }
export LEPTOS_OUTPUT_NAME=vestibule
DUR=${BENCH_SECONDS:-10}
PORT=${BENCH_PORT:-3300}
BASE="http://127.0.0.1:$PORT"
KEY="sk_bench_0123456789abcdef"
DB=target/bench.db
tmp=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT

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
rm -f $DB $DB-wal $DB-shm
RUST_LOG=warn DATABASE_URL=sqlite://$DB LEPTOS_SITE_ADDR=127.0.0.1:$PORT LEPTOS_SITE_ROOT=target/site \
  target/release/vestibule --config "$tmp/bench.toml" &
server=$!
for _ in $(seq 50); do curl -sf "$BASE/" >/dev/null && break; sleep 0.2; done

PW="Bench-password-123"
curl -sf -X POST "$BASE/v1/users" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d "{\"email\":\"bench@example.com\",\"password\":\"$PW\",\"email_verified\":true}" >/dev/null

post_lua() {
  cat > "$tmp/$1.lua" <<LUA
wrk.method = "POST"
wrk.body = "email=bench%40example.com&password=$2"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
LUA
}
post_lua signin "$PW"
post_lua wrong "Wrong-password-1"

rps() { awk '/Requests\/sec/ {print $2}'; }

echo "== (a) sign-ins/s vs raw argon2id verifications/s (${DUR}s each)"
raw=$(cargo run -q --release --no-default-features --features ssr --example argon2_rate -- "$DUR")
signins=$(wrk -t2 -c8 -d"${DUR}s" -s "$tmp/signin.lua" "$BASE/api/sign_in/start" | rps)
echo "raw argon2id verify/s: $raw"
echo "sign-ins/s:            $signins"
echo "ratio:                 $(awk -v a="$signins" -v b="$raw" 'BEGIN {printf "%.2f", a/b}')"

echo "== (b) /dashboard signed in vs / (${DUR}s each)"
cookie=$(curl -si -X POST "$BASE/__testing/sign-in" -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com"}' | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
home=$(wrk -t2 -c16 -d"${DUR}s" -H "Cookie: $cookie" "$BASE/" | rps)
dash=$(wrk -t2 -c16 -d"${DUR}s" -H "Cookie: $cookie" "$BASE/dashboard" | rps)
echo "/ req/s:          $home"
echo "/dashboard req/s: $dash"
echo "ratio:            $(awk -v a="$dash" -v b="$home" 'BEGIN {printf "%.2f", a/b}')"

echo "== (c) /dashboard p99 under 32 concurrent wrong-password sign-ins (${DUR}s)"
wrk -t2 -c32 -d"$((DUR + 2))s" -s "$tmp/wrong.lua" "$BASE/api/sign_in/start" > "$tmp/hammer.txt" &
hammer=$!
sleep 1
wrk -t1 -c4 -d"${DUR}s" --latency -H "Cookie: $cookie" "$BASE/dashboard" | awk '/ 99%/ {print "p99: " $2}'
wait $hammer
echo "wrong-password sign-ins/s meanwhile: $(rps < "$tmp/hammer.txt")"
