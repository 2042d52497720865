#!/usr/bin/env bash
# The front end's weight (README, "Front-end weight"): for the sign-in and sign-up pages, the
# portal's pages (signed in) and the demo's pages (which hydrate whole), the bytes of /pkg/* a
# browser downloads to make the page interactive (the stylesheet, the JavaScript glue and the wasm
# it loads), as the server sends them — uncompressed, then with `Accept-Encoding: gzip`, then `br` —
# plus each file's sizes. Needs a release build (`make build`, which precompresses with
# `--precompress`). Nothing is asserted here; SIZE_BUDGET (bytes), when set, fails the run if
# /sign-in transfers more with br, PAGE_BUDGET if a hosted page (sign-in, sign-up, portal) does,
# APP_BUDGET if the demo's home page does (`make test` sets all three).
set -euo pipefail
cd "$(dirname "$0")/.."
# The server's encryption key (README, "Encryption at rest"): the caller's, else a fresh one (the
# databases here are fresh).
if [ -z "${VESTIBULE_ENCRYPTION_KEY:-}${VESTIBULE_ENCRYPTION_KEY_FILE:-}" ]; then
  VESTIBULE_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
  export VESTIBULE_ENCRYPTION_KEY
fi
BIN=${SIZE_BIN:-target/release/vestibule}
PORT=${SIZE_PORT:-3392}
BASE="http://127.0.0.1:$PORT"
tmp=$(mktemp -d)
server=""
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
cat > "$tmp/size.toml" <<TOML
[organizations]
enabled = true
[testing]
enabled = true
[backend]
secret_key = "sk_size_0123456789abcdef"
TOML
LEPTOS_OUTPUT_NAME=vestibule LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$PORT" \
  DATABASE_URL="sqlite://$tmp/size.db" RUST_LOG=warn "$BIN" --config "$tmp/size.toml" --allow-testing-endpoints &
server=$!
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.2; done
# A signed-in account, for the portal's pages (which send a signed-out visitor to sign in).
curl -sf -X POST "$BASE/v1/users" -H "Authorization: Bearer sk_size_0123456789abcdef" \
  -H 'Content-Type: application/json' \
  -d '{"email":"size@example.com","password":"Size-password-123","email_verified":true}' >/dev/null
cookie=$(curl -si -X POST "$BASE/__testing/sign-in" -H 'Content-Type: application/json' \
  -d '{"email":"size@example.com"}' | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')

# The /pkg/ files a page loads: what its HTML names, and the wasm its JavaScript glue fetches
# (`$2`: the request's cookie, if any; a page that redirects counts as nothing).
assets() {
  local html js
  html=$(curl -s -H "Cookie: ${2:-}" "$BASE$1")
  grep -o '/pkg/[A-Za-z0-9_.-]*' <<<"$html" | sort -u
  for js in $(grep -o '/pkg/[A-Za-z0-9_.-]*\.js' <<<"$html" | sort -u); do
    curl -s "$BASE$js" | grep -o '[A-Za-z0-9_.-]*\.wasm' | sed 's|^|/pkg/|'
  done | sort -u | while read -r a; do
    # (the glue names a few files it may load; count the ones the server has)
    curl -sf -o /dev/null "$BASE$a" && echo "$a"
  done
}
bytes() { curl -s -o /dev/null -H "Accept-Encoding: $2" -w '%{size_download}' "$BASE$1"; }

over_budget=()
printf '%-14s %12s %12s %12s\n' page identity gzip br
# The hosted flow pages and the portal's pages load their islands bundles; the demo's pages load
# the app's whole-page bundle (measured on /).
for page in /sign-in /sign-up /user /organization /; do
  case $page in /user | /organization) jar=$cookie ;; *) jar="" ;; esac
  total_id=0 total_gz=0 total_br=0
  for a in $(assets "$page" "$jar" | sort -u); do
    total_id=$((total_id + $(bytes "$a" identity)))
    total_gz=$((total_gz + $(bytes "$a" gzip)))
    total_br=$((total_br + $(bytes "$a" br)))
  done
  label=$page budget=${PAGE_BUDGET:-}
  [ "$page" = / ] && label="/ (demo)" budget=${APP_BUDGET:-}
  printf '%-14s %12d %12d %12d\n' "$label" "$total_id" "$total_gz" "$total_br"
  [ "$page" = /sign-in ] && sign_in_br=$total_br
  if [ "$total_br" -eq 0 ]; then
    over_budget+=("$label loads no /pkg/ file: not measured")
  elif [ -n "$budget" ] && [ "$total_br" -gt "$budget" ]; then
    over_budget+=("$label transfers $total_br bytes (br), over the budget of $budget")
  fi
done
echo
# Every bundle, the task pages' too (a task page needs a pending session to be seen).
for a in $(cd "${LEPTOS_SITE_ROOT:-target/site}" && ls pkg/*.css pkg/*.js pkg/*.wasm | sed 's|^|/|'); do
  printf '%-40s %10d raw %10d gzip %10d br\n' "$a" "$(bytes "$a" identity)" "$(bytes "$a" gzip)" "$(bytes "$a" br)"
done
# With TTI=1, the time to interactive on a simulated slow 4G link (bench/tti.mjs, Chromium).
if [ "${TTI:-0}" = 1 ]; then
  node bench/tti.mjs "$BASE" "$cookie"
fi
if [ -n "${SIZE_BUDGET:-}" ] && [ "$sign_in_br" -gt "$SIZE_BUDGET" ]; then
  over_budget+=("/sign-in transfers $sign_in_br bytes (br), over the budget of $SIZE_BUDGET")
fi
if [ "${#over_budget[@]}" -gt 0 ]; then
  printf 'FAIL: %s\n' "${over_budget[@]}" >&2
  exit 1
fi
