#!/usr/bin/env bash
# Installs what building (and, with --test, testing) Vestibule needs on a fresh Debian machine.
# Every step checks first, so a re-run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_pkgs=()
command -v cc >/dev/null || apt_pkgs+=(build-essential)
command -v npm >/dev/null || apt_pkgs+=(nodejs npm)
if [ "$want_tests" = 1 ]; then
  [ -x /usr/bin/chromium ] || apt_pkgs+=(chromium)
fi
if [ "${#apt_pkgs[@]}" -gt 0 ]; then
  echo "==> apt-get install ${apt_pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_pkgs[@]}"
fi

if ! cargo clippy --version >/dev/null 2>&1 || ! cargo fmt --version >/dev/null 2>&1; then
  echo "==> rustup component add clippy rustfmt"
  rustup component add clippy rustfmt
fi

if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
  echo "==> rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# No cargo-leptos: scripts/build.sh builds with cargo, wasm-bindgen and wasm-opt directly. (For
# `cargo leptos watch` in development: cargo install cargo-leptos --version 0.3.10 --locked.)

wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q "$wbg"; then
  echo "==> cargo install wasm-bindgen-cli $wbg"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install wasm-bindgen-cli --version "$wbg"
fi

# The tests run on PostgreSQL as well as SQLite: when nothing answers at TEST_DATABASE_URL's
# default address, install PostgreSQL, start it and let local TCP connections in without a
# password (a test machine; the URL has none).
default_pg=postgres://postgres@127.0.0.1:5432/postgres
if [ "$want_tests" = 1 ] && [ "${TEST_DATABASE_URL:-$default_pg}" = "$default_pg" ]; then
  pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
  if ! pg_up; then
    if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
      echo "==> PostgreSQL is not running on 127.0.0.1:5432: apt-get install postgresql"
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
    fi
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
      as_root pg_createcluster "$version" main
    fi
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if ! as_root grep -q "vestibule tests" "$hba"; then
      echo "==> trusting local TCP connections in $hba (for the tests)"
      as_root sed -i '1i # vestibule tests: local TCP connections need no password\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
    fi
    echo "==> pg_ctlcluster $version main start"
    as_root pg_ctlcluster "$version" main start || as_root pg_ctlcluster "$version" main reload
    for _ in $(seq 50); do pg_up && break; sleep 0.2; done
    pg_up || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
  fi
  if ! command -v psql >/dev/null; then
    echo "==> apt-get install postgresql-client"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client
  fi
fi

# npm's binaryen provides wasm-opt (Debian's is broken for this use); Playwright for the tests.
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  echo "==> npm ci (end2end)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
