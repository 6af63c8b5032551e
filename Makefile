# Lifeline: the two commands a newcomer needs are `make run` and `make test`.
# Both set up a fresh Debian 12 machine first (scripts/setup.sh).

CARGO ?= cargo
NPM   ?= npm

# A private Node.js, when setup.sh had to fetch one (Debian 12's is too old).
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)

.PHONY: run demo test setup ui build check lint codes test-rust test-ui test-e2e bench fuzz clean package test-package

## Set up what is missing, build, start a local signaling server, open the app.
run: setup build
	./scripts/run.sh

## A whole session on one desktop: a local desk, a client window and an
## expert window pointed at it (sign in as demo / demo-expert).
demo: setup build
	./scripts/demo.sh

## Set up what is missing, then every check CI runs.
test: setup check test-ui test-rust

setup:
	./scripts/setup.sh

ui:
	$(NPM) --prefix ui run build

build: ui
	$(CARGO) build -p lifeline -p lifeline-signaling

## Formatting, the UI's type check and the code's boundaries (quick; part
## of `make test`).
check: ui
	$(CARGO) fmt --all -- --check
	$(NPM) --prefix ui run check
	./scripts/check-boundaries.sh

## Everything `check` does, plus clippy over every target (benches too).
lint: check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Clippy's lints, enforced in the test build itself: cargo hands the
# workspace's own crates to clippy-driver, exactly as `cargo clippy` does,
# while the dependencies compile once, for the tests. A separate `cargo
# clippy` compiles every dependency a second time (in check mode): about
# fifteen minutes of CI on 2 cores. Any warning fails the build.
CLIPPY_DRIVER ?= $(shell rustup which clippy-driver 2>/dev/null || command -v clippy-driver)
LINTED = RUSTC_WORKSPACE_WRAPPER="$(CLIPPY_DRIVER)" CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

test-ui:
	$(NPM) --prefix ui test

# One `cargo test` over the whole workspace: unit, integration and end-to-end
# tests. A single package selection means a single feature resolution, so no
# dependency is compiled twice (`-p lifeline-e2e` alone, or `--exclude`, would
# resolve features differently and rebuild a hundred crates). The e2e tests
# drive the `lifeline` and `lifeline-signaling` binaries this same command
# builds, and each runs in its own test binary with its own X servers.
# Then the desk's integration tests again, each server a node with Redis
# and PostgreSQL: a fresh database in a throw-away cluster, and a Redis,
# each started by the test binary (signaling/tests/common/database.rs and
# redis.rs). The same selection, so nothing recompiles.
DESK_TESTS := $(patsubst signaling/tests/%.rs,--test %,$(wildcard signaling/tests/*.rs))
test-rust: ui
	$(LINTED) $(CARGO) test --workspace
	LIFELINE_TEST_DATABASE=postgres LIFELINE_TEST_REDIS=1 $(LINTED) $(CARGO) test --workspace $(DESK_TESTS)

## The app as .deb and .rpm and the desk's server as .deb, from release
## builds, in target/packages/ (scripts/package.sh).
package: setup ui
	./scripts/package.sh

## Installs the packages on a clean Debian 12 made by debootstrap, and
## checks that the app starts and the server answers (scripts/test-package.sh).
## Long (a release build, and a Debian to download once): not in `make test`.
test-package: package
	$(LINTED) ./scripts/test-package.sh

## Only the end-to-end tests, with the same selection (nothing recompiles).
E2E_TESTS := $(patsubst tests/tests/%.rs,--test %,$(wildcard tests/tests/*.rs))
test-e2e: ui
	$(LINTED) $(CARGO) test --workspace --no-run
	$(LINTED) $(CARGO) test --workspace $(E2E_TESTS)

## Writes ui/src/lib/generated/codes.ts again from the Rust code lists
## (notices, desk errors, log events); `make test` fails when it is stale.
codes:
	LIFELINE_WRITE_CODES=1 $(LINTED) $(CARGO) test --workspace --lib ui_contract

## Benchmarks: they print figures and assert nothing about speed.
## bench-setup.sh adds Chromium and chromedriver (the screen bench's
## standard receiver); `make test` never needs them.
bench: setup ui
	./scripts/bench-setup.sh
	$(CARGO) bench -p lifeline-signaling --bench load
	$(CARGO) bench -p lifeline-signaling --bench console_report
	$(CARGO) bench -p lifeline-signaling --bench cluster
	$(CARGO) bench -p lifeline --bench screen
	$(CARGO) bench -p lifeline --bench input
	$(CARGO) bench -p lifeline --bench files
	$(CARGO) bench -p lifeline --bench networks
	$(CARGO) build --release -p lifeline -p lifeline-signaling
	LIFELINE_E2E_PROFILE=release $(CARGO) bench -p lifeline-e2e --bench screen_latency
	LIFELINE_E2E_PROFILE=release $(CARGO) bench -p lifeline-e2e --bench screen_delivery

## Fuzzing (nightly, cargo-fuzz): each target for FUZZ_SECONDS (600 by
## default); prints executions and crashes. The corpus replays in `make test`.
fuzz: setup ui
	./scripts/fuzz.sh

clean:
	$(CARGO) clean
	rm -rf ui/dist
