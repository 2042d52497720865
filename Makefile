# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
export LEPTOS_OUTPUT_NAME := vestibule
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(PATH)
# The tests cover both engines; PostgreSQL (installed and started by setup-test when absent) is
# required, so they never pass on SQLite alone.
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export TEST_REQUIRE_POSTGRES := 1

.PHONY: run test setup setup-test build test-size test-rust test-e2e lint bench

## Sets everything up and starts Vestibule on SQLite at http://127.0.0.1:3000
run: setup
	cargo leptos build --release --precompress --project vestibule
	scripts/build-islands.sh
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
## target directory, then the islands bundles of the hosted sign-in, sign-up and task pages.
build:
	cargo leptos build --release --precompress
	scripts/build-islands.sh

## The front end's weight (brotli): /sign-in within issue 14's 170 KB, no hosted page (sign-in,
## sign-up, portal) above its 250 KB; the demo's pages, which hydrate whole, kept from growing.
test-size:
	SIZE_BUDGET=170000 PAGE_BUDGET=250000 APP_BUDGET=310000 bench/size.sh

## Unit tests (the store contract on both engines), the integration suite on SQLite (and the
## several-instances tests on PostgreSQL), then the integration suite again on PostgreSQL.
test-rust:
	cargo test --release --no-default-features --features ssr,demo
	VESTIBULE_TEST_ENGINE=postgres cargo test --release --no-default-features --features ssr,demo \
	  --test api --test logs --test memory -- --skip instances::

test-e2e:
	cd end2end && E2E_ENGINE=sqlite npx playwright test
	cd end2end && E2E_ENGINE=postgres npx playwright test

lint:
	cargo fmt --all --check
	cargo clippy --all-targets --no-default-features --features ssr,demo -- -D warnings
	cargo clippy --lib --no-default-features --features hydrate,demo --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --no-default-features --features hydrate,demo,no-hosted-flows --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --no-default-features --features islands-flows --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --no-default-features --features islands-tasks --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --no-default-features --features islands-portal --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p embedded --all-targets --no-default-features --features ssr -- -D warnings
	cargo clippy -p embedded --lib --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

bench: setup build
	bench/run.sh
	bench/tokens.sh
	TTI=1 bench/size.sh
