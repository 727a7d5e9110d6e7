#!/usr/bin/env bash
# Runs every test: installs what they need (Python tools into .local/, reused when present;
# Debian's chromium and chromium-driver if missing), starts a Temporal dev server, then runs the
# Rust tests (unit, emulator integration, end to end, browser) and the emulator's own tests.
# Usage: scripts/test.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# Whatever the tests left running fails the run, after the services are stopped.
finish() {
  local rc=$?
  stop_services
  check_nothing_left || rc=1
  exit "$rc"
}
trap finish EXIT

ensure_venv
ensure_chromium
start_temporal

# Integration tests start their own emulator, SMTP sink, worker and resolver (one set per test,
# for isolation) from these.
export SNAPSTART_TEST_PYTHON="$PY"
export SNAPSTART_TEST_EMULATOR="$ROOT/emulator/snapstart_emulator.py"
# The second opinion: stock moto behind a thin shim (emulator/FIDELITY.md).
export SNAPSTART_TEST_STOCK_EMULATOR="$ROOT/emulator/stock_moto.py"
export SNAPSTART_TEST_TEMPORAL_ADDRESS="$TEMPORAL_ADDRESS"
export SNAPSTART_TEST_TEMPORAL_CLI="$VENV/bin/temporal"

# Tests that need these services are #[ignore]d with that reason, so a plain `cargo test` lists
# them as ignored rather than passed; here they run.
cd "$ROOT"
# A one-off build gains nothing from incremental state, which would double the target folder.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
log "cargo test"
cargo test --workspace --locked -- --include-ignored --test-threads 4
log "emulator tests"
"$PY" -m pytest -q emulator/tests
log "deployable stack checks"
"$PY" -m pytest -q scripts/tests
