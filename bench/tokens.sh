#!/usr/bin/env bash
# Session-token benchmarks (README, "Session tokens for other services"), figures for the README
# (nothing is asserted), each against a ceiling measured in the same run on the same machine:
#  - tokens minted per second through POST /api/sessions/token vs a bare axum hello-world;
#  - tokens verified per second in examples/resource_server (GET /sub: the extractor, with the
#    cached JWKS and the verified-token cache) vs the same server's hello-world route (GET /): the
#    target is >= 0.8. One token throughout, as a browser reuses its token for most of a minute.
# Needs a release build (`make build`) and wrk. SQLite, loopback only, bounded.
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
PORT=${BENCH_PORT:-3392}
RS_PORT=$((PORT + 1))
HELLO_PORT=$((PORT + 2))
BASE="http://127.0.0.1:$PORT"
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT

cat > "$tmp/bench.toml" <<TOML
[testing]
enabled = true
[backend]
secret_key = "sk_bench_0123456789abcdef"
[rate_limits]
enabled = false
[tokens]
# Long enough for the verification run to use one token throughout.
lifetime = "1h"
TOML
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
wait_up() { for _ in $(seq 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; return 1; }

cargo build -q --release --no-default-features --features ssr,demo --example hello --example resource_server
target/release/examples/hello "$HELLO_PORT" & pids+=($!)
rm -f "$tmp/bench.db"
RUST_LOG=warn DATABASE_URL="sqlite://$tmp/bench.db" LEPTOS_SITE_ADDR=127.0.0.1:$PORT \
  LEPTOS_SITE_ROOT=target/site "$BIN" --config "$tmp/bench.toml" --allow-testing-endpoints > "$tmp/server.log" 2>&1 & pids+=($!)
VESTIBULE_URL=$BASE target/release/examples/resource_server "$RS_PORT" & pids+=($!)
wait_up "http://127.0.0.1:$HELLO_PORT/"
wait_up "$BASE/healthz"
wait_up "http://127.0.0.1:$RS_PORT/"

curl -sf -X POST "$BASE/v1/users" -H "Authorization: Bearer sk_bench_0123456789abcdef" \
  -H 'Content-Type: application/json' \
  -d '{"email":"tokens@example.com","password":"Bench-password-123","email_verified":true}' >/dev/null
cookie=$(curl -si -X POST "$BASE/__testing/sign-in" -H 'Content-Type: application/json' \
  -d '{"email":"tokens@example.com"}' | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
cat > "$tmp/mint.lua" <<LUA
wrk.method = "POST"
wrk.body = ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Cookie"] = "$cookie"
LUA
jwt=$(curl -sf -X POST -H "Cookie: $cookie" -H 'Accept: application/json' \
  -H 'Content-Type: application/x-www-form-urlencoded' "$BASE/api/sessions/token" \
  | sed -E 's/.*"jwt":"([^"]+)".*/\1/')
# The service must accept the token (a 401 would measure the refusal path).
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $jwt" "http://127.0.0.1:$RS_PORT/sub")" = 200 ]

hello=$(wrk -t2 -c16 -d"${DUR}s" "http://127.0.0.1:$HELLO_PORT/" | rps)
mint=$(wrk -t2 -c16 -d"${DUR}s" -s "$tmp/mint.lua" "$BASE/api/sessions/token" | rps)
rs_hello=$(wrk -t2 -c16 -d"${DUR}s" "http://127.0.0.1:$RS_PORT/" | rps)
verify=$(wrk -t2 -c16 -d"${DUR}s" -H "Authorization: Bearer $jwt" "http://127.0.0.1:$RS_PORT/sub" | rps)

echo "| measure | req/s |"
echo "|---|---|"
echo "| tokens minted/s (POST /api/sessions/token) vs hello-world | $mint vs $hello = **$(ratio "$mint" "$hello")** |"
echo "| tokens verified/s in the resource server (GET /sub) vs its GET / | $verify vs $rs_hello = **$(ratio "$verify" "$rs_hello")** |"
