# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
export LEPTOS_OUTPUT_NAME := vestibule
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(PATH)
# The tests cover both engines; PostgreSQL (installed and started by setup-test when absent) is
# required, so they never pass on SQLite alone.
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export TEST_REQUIRE_POSTGRES := 1

.PHONY: run test setup setup-test build test-size test-rust test-e2e lint bench

## The key `make run` seals the stored secrets with (README, "Encryption at rest"): 32 random
## bytes, made the first time and kept (git-ignored). Unused when VESTIBULE_ENCRYPTION_KEY is set.
ENCRYPTION_KEY_FILE := .vestibule/encryption.key

$(ENCRYPTION_KEY_FILE):
	mkdir -p $(@D)
	chmod 700 $(@D)
	umask 077 && head -c 32 /dev/urandom | base64 > $@.tmp && mv $@.tmp $@

## Sets everything up and starts Vestibule on SQLite at http://127.0.0.1:3000
run: setup $(ENCRYPTION_KEY_FILE)
	scripts/build.sh demo
	if [ -z "$${VESTIBULE_ENCRYPTION_KEY:-}" ]; then \
	  export VESTIBULE_ENCRYPTION_KEY_FILE=$${VESTIBULE_ENCRYPTION_KEY_FILE:-$(ENCRYPTION_KEY_FILE)}; fi; \
	LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR=$${LEPTOS_SITE_ADDR:-127.0.0.1:3000} \
	  DATABASE_URL=$${DATABASE_URL:-sqlite://vestibule.db} target/release/vestibule --config Leptos.toml

## Sets everything up, checks formatting and clippy (both feature sets), runs every test:
## Rust unit + integration and Playwright (JS on and off), each on SQLite and on PostgreSQL.
test: setup-test lint build test-size test-rust test-e2e

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

## Builds the demo and the example app that embeds Vestibule (examples/embedded), sharing one
## target directory, then the islands bundles of the hosted sign-in, sign-up and task pages —
## with cargo, wasm-bindgen and wasm-opt, as `cargo leptos build --release --precompress` would.
build:
	WITH_TESTS=1 scripts/build.sh

## The front end's weight (brotli; README, "Front-end weight"): /sign-in within 170 KB, no hosted
## page (sign-in, sign-up, portal) above 250 KB; the demo's pages, which hydrate whole, kept from
## growing.
test-size:
	SIZE_BUDGET=170000 PAGE_BUDGET=250000 APP_BUDGET=310000 bench/size.sh

## Unit tests (the store contract on both engines), the integration suite on SQLite (and the
## several-instances tests on PostgreSQL), then the integration suite again on PostgreSQL.
test-rust:
	cargo test --release --no-default-features --features ssr,demo
	VESTIBULE_TEST_ENGINE=postgres cargo test --release --no-default-features --features ssr,demo \
	  --test api --test logs --test memory -- --skip instances::

## Every flow with JavaScript on and off on SQLite, then with JavaScript on again on PostgreSQL:
## the engine is behind the server functions, which a page without JavaScript calls the same way
## (a form post) as one with it, so the second run checks the engine, not the browser again.
test-e2e:
	cd end2end && E2E_ENGINE=sqlite npx playwright test
	cd end2end && E2E_ENGINE=postgres npx playwright test --project js

## Clippy in the profiles the builds use (release for the server, wasm-release for the browser),
## so its build scripts and proc macros are the ones `build` and `test-rust` reuse.
SERVER_CLIPPY := cargo clippy --release
WASM_CLIPPY := cargo clippy --profile wasm-release --target wasm32-unknown-unknown
lint:
	cargo fmt --all --check
	@# The layers import one way (README, "Architecture"): std only, compiled on its own.
	@mkdir -p target && rustc --edition 2021 --test tests/layers.rs -o target/layers-check && target/layers-check -q
	$(SERVER_CLIPPY) --all-targets --no-default-features --features ssr,demo -- -D warnings
	$(WASM_CLIPPY) --lib --no-default-features --features hydrate,demo -- -D warnings
	$(WASM_CLIPPY) --lib --no-default-features --features hydrate,demo,no-hosted-flows -- -D warnings
	$(WASM_CLIPPY) --lib --no-default-features --features islands-flows -- -D warnings
	$(WASM_CLIPPY) --lib --no-default-features --features islands-tasks -- -D warnings
	$(WASM_CLIPPY) --lib --no-default-features --features islands-portal -- -D warnings
	$(SERVER_CLIPPY) -p embedded --all-targets --no-default-features --features ssr -- -D warnings
	$(WASM_CLIPPY) -p embedded --lib --no-default-features --features hydrate -- -D warnings

bench: setup build
	bench/run.sh
	bench/tokens.sh
	TTI=1 bench/size.sh
