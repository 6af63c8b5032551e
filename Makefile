# Lifeline: the two commands a newcomer needs are `make run` and `make test`.
# Both set up a fresh Debian 12 machine first (scripts/setup.sh).

CARGO ?= cargo
NPM   ?= npm

.PHONY: run test setup ui build lint test-rust test-ui test-e2e bench clean

## Set up what is missing, build, start a local signaling server, open the app.
run: setup build
	./scripts/run.sh

## Set up what is missing, then every check CI runs.
test: setup lint test-ui test-rust test-e2e

setup:
	./scripts/setup.sh

ui:
	$(NPM) --prefix ui run build

build: ui
	$(CARGO) build -p lifeline -p lifeline-signaling

lint: ui
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(NPM) --prefix ui run check

test-ui:
	$(NPM) --prefix ui test

test-rust: ui
	$(CARGO) test --workspace --exclude lifeline-e2e

# The e2e tests drive the built binaries. Building them through `cargo test
# --no-run` with the same packages as test-rust reuses its compiled crates
# (a plain `cargo build` resolves features differently and recompiles Tauri).
test-e2e: ui
	$(CARGO) test --workspace --exclude lifeline-e2e --no-run
	$(CARGO) test -p lifeline-e2e -- --test-threads 2

## Benchmarks: they print figures and assert nothing about speed.
bench: setup ui
	$(CARGO) bench -p lifeline-signaling --bench load
	$(CARGO) bench -p lifeline --bench screen
	$(CARGO) build --release -p lifeline -p lifeline-signaling
	LIFELINE_E2E_PROFILE=release $(CARGO) bench -p lifeline-e2e --bench screen_latency

clean:
	$(CARGO) clean
	rm -rf ui/dist
