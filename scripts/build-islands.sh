#!/usr/bin/env bash
# Builds the islands bundles the hosted pages load in islands mode (issue 14; see
# `pages::hosted`): this crate's library for the browser, without `demo`, once with
# `islands-flows` (the sign-in steps and sign-up: vestibule_islands) and once with
# `islands-tasks` (the task pages: vestibule_tasks), once with `islands-portal` (the portal
# pages: vestibule_portal), each optimised and precompressed as
# `cargo leptos build --release --precompress` does the app's bundle —
# target/site/pkg/<name>.{js,wasm} with a .br and a .gz beside each.
# Run after `cargo leptos build --release` (`make build` does); it reuses that build's target dir.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=${LEPTOS_SITE_ROOT:-target/site}/${LEPTOS_SITE_PKG_DIR:-pkg}
# The same compile-time environment as cargo-leptos's browser build, so the dependencies built
# for it are reused rather than rebuilt.
export LEPTOS_OUTPUT_NAME=${LEPTOS_OUTPUT_NAME:-vestibule}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$pkg"
for bundle in islands-flows:vestibule_islands islands-tasks:vestibule_tasks islands-portal:vestibule_portal; do
  feature=${bundle%%:*} name=${bundle#*:}
  cargo build --lib --target wasm32-unknown-unknown --profile wasm-release \
    --no-default-features --features "$feature"
  wasm-bindgen --target=web --no-typescript --out-name="$name" --out-dir="$out" \
    target/wasm32-unknown-unknown/wasm-release/vestibule.wasm
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$out/${name}_bg.wasm" -o "$pkg/$name.wasm"
  cp "$out/$name.js" "$pkg/$name.js"
  # Precompressed copies for the server's ServeDir (brotli at its best quality, gzip -9).
  node -e '
  const fs = require("fs"), zlib = require("zlib");
  for (const f of process.argv.slice(1)) {
    const raw = fs.readFileSync(f);
    fs.writeFileSync(f + ".br", zlib.brotliCompressSync(raw, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
    }));
    fs.writeFileSync(f + ".gz", zlib.gzipSync(raw, { level: 9 }));
  }' "$pkg/$name.js" "$pkg/$name.wasm"
  ls -l "$pkg/$name".*
done
