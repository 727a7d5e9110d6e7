#!/usr/bin/env bash
# Benchmarks (run by hand; figures, not assertions), on release builds:
#   1. scan: 200 functions × 10 versions, budget lifted and at the default budget (bench.py);
#   2. end to end through Temporal: 1,000 functions × 10 versions, approval email, confirm page,
#      approve-all, dry-run deletion (bench_e2e.py);
#   3. archive: the same loop with a live deletion that archives every version first, at
#      1,000 × 10 small packages, then 4 functions × 6 versions at 8, 32 and 128 MB packages (the
#      worker's RSS must not grow with package size).
# Usage: scripts/bench.sh [scan|e2e|archive]   (scan and e2e when no argument)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_services EXIT

what="${1:-all}"
ensure_venv
cd "$ROOT"
cargo build --release --locked -p snapstart-worker -p snapstart-resolver
release="${CARGO_TARGET_DIR:-$ROOT/target}/release"
start_emulator
if [ "$what" = all ] || [ "$what" = scan ]; then
  "$PY" scripts/bench.py --emulator "$AWS_ENDPOINT_URL" --bin "$release/snapstart-cleaner"
fi
if [ "$what" = all ] || [ "$what" = e2e ]; then
  start_temporal
  start_smtp_sink
  "$PY" scripts/bench_e2e.py --emulator "$AWS_ENDPOINT_URL" --temporal "$TEMPORAL_ADDRESS" \
    --temporal-cli "$VENV/bin/temporal" --bin-dir "$release" --maildir "$MAILDIR" --smtp-url "$SMTP_URL"
fi
if [ "$what" = archive ]; then
  start_temporal
  start_smtp_sink
  e2e=("$PY" scripts/bench_e2e.py --emulator "$AWS_ENDPOINT_URL" --temporal "$TEMPORAL_ADDRESS"
    --temporal-cli "$VENV/bin/temporal" --bin-dir "$release" --maildir "$MAILDIR" --smtp-url "$SMTP_URL" --archive)
  "${e2e[@]}"
  for mb in 8 32 128; do
    "${e2e[@]}" --functions 4 --versions 6 --package-mb "$mb"
  done
fi
