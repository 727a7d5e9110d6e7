#!/usr/bin/env bash
# Scan benchmark (run by hand; figures, not assertions): builds the release binary, starts the
# emulator, and runs scripts/bench.py. Usage: scripts/bench.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_services EXIT

ensure_venv
cd "$ROOT"
cargo build --release --locked -p snapstart-worker
start_emulator
"$PY" scripts/bench.py --emulator "$AWS_ENDPOINT_URL" --bin "$ROOT/target/release/snapstart-cleaner"
