#!/usr/bin/env bash
# The release build: what `cargo leptos build --release --precompress` builds, with cargo,
# wasm-bindgen and wasm-opt called directly, so building and testing need no cargo-leptos (a
# 20-minute install on 2 cores). cargo-leptos remains the tool for `cargo leptos watch` in
# development; the settings below mirror each project's `[package.metadata.leptos]`.
#
#   scripts/build.sh           the demo (target/release/vestibule + target/site), the example app
#                              (target/release/embedded + target/site-embedded), the islands bundles
#   scripts/build.sh demo      the demo and the islands bundles (`make run`)
#   scripts/build.sh islands   the islands bundles only, into $LEPTOS_SITE_ROOT/pkg (default
#                              target/site/pkg): for an app that embeds Vestibule in islands mode
#   WITH_TESTS=1               also builds the test targets the servers' crates have
#
# Every file of a site's pkg/ gets a brotli (.br) and a gzip (.gz) copy beside it, which the
# server sends to a browser that accepts them.
set -euo pipefail
cd "$(dirname "$0")/.."
# Read by leptos at compile time: one value for every build, so what is built once is reused.
export LEPTOS_OUTPUT_NAME=vestibule
WASM_OUT=target/wasm32-unknown-unknown/wasm-release
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# precompress FILE...: brotli at its best quality and gzip -9 beside each file.
precompress() {
  node -e '
  const fs = require("fs"), zlib = require("zlib");
  for (const f of process.argv.slice(1)) {
    const raw = fs.readFileSync(f);
    fs.writeFileSync(f + ".br", zlib.brotliCompressSync(raw, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
    }));
    fs.writeFileSync(f + ".gz", zlib.gzipSync(raw, { level: 9 }));
  }' "$@"
}

# bundle PACKAGE FEATURES PKG_DIR NAME: the package's library for the browser with FEATURES,
# optimised, as PKG_DIR/NAME.js and PKG_DIR/NAME.wasm.
bundle() {
  local package=$1 features=$2 pkg=$3 name=$4
  echo "==> $pkg/$name (${package}, features ${features})"
  cargo build -p "$package" --lib --target wasm32-unknown-unknown --profile wasm-release \
    --no-default-features --features "$features"
  wasm-bindgen --target=web --no-typescript --out-name="$name" --out-dir="$tmp" \
    "$WASM_OUT/$package.wasm"
  mkdir -p "$pkg"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$tmp/${name}_bg.wasm" -o "$pkg/$name.wasm"
  cp "$tmp/$name.js" "$pkg/$name.js"
  precompress "$pkg/$name.js" "$pkg/$name.wasm"
}

# site PACKAGE BIN BIN_FEATURES LIB_FEATURES SITE_ROOT STYLE [ASSETS]: the server binary, and
# the site root it serves — the whole-page bundle, the stylesheet and the assets.
site() {
  local package=$1 bin=$2 bin_features=$3 lib_features=$4 root=$5 style=$6 assets=${7:-}
  echo "==> target/release/$bin (${package}, features ${bin_features})"
  # With WITH_TESTS=1 (`make test`), the test targets too: built with the dev-dependencies'
  # features, as `cargo test` builds, so the server and its dependencies are compiled once.
  cargo build -p "$package" --bin "$bin" --release --no-default-features \
    --features "$bin_features" ${WITH_TESTS:+--tests}
  bundle "$package" "$lib_features" "$root/pkg" vestibule
  cp "$style" "$root/pkg/vestibule.css"
  precompress "$root/pkg/vestibule.css"
  if [ -n "$assets" ] && [ -n "$(ls -A "$assets" 2>/dev/null)" ]; then
    cp -R "$assets/." "$root/"
  fi
}

# The hosted pages' islands bundles (see `pages::hosted`): the sign-in steps and sign-up, the
# task pages, the portal pages — this crate's library without `demo`, once per bundle.
islands() {
  local pkg=${LEPTOS_SITE_ROOT:-target/site}/${LEPTOS_SITE_PKG_DIR:-pkg}
  for b in islands-flows:vestibule_islands islands-tasks:vestibule_tasks \
    islands-portal:vestibule_portal; do
    bundle vestibule "${b%%:*}" "$pkg" "${b#*:}"
  done
}

demo() {
  site vestibule vestibule ssr,demo hydrate,demo,no-hosted-flows target/site style/main.css public
}

embedded() {
  site embedded embedded ssr hydrate target/site-embedded examples/embedded/style/main.css
}

# (One call a line: `set -e` does not stop a function called on the left of `&&`.)
case "${1:-all}" in
  all)
    demo
    embedded
    islands
    ;;
  demo)
    demo
    islands
    ;;
  islands) islands ;;
  *)
    echo "usage: $0 [all|demo|islands]" >&2
    exit 2
    ;;
esac
