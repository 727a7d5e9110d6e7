#!/usr/bin/env bash
# The demo: a local Temporal dev server with its web UI, the AWS emulator seeded with a small
# demo account, and the worker; starts a SnapStartCleanup run, prints the report and the UI
# link, then keeps everything up for browsing until Ctrl-C (or exits at once with --no-wait).
# Usage: scripts/demo.sh [--no-wait]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_services EXIT INT TERM

ensure_venv
cd "$ROOT"
log "building snapstart-cleaner"
cargo build --locked -q -p snapstart-worker
BIN="$ROOT/target/debug/snapstart-cleaner"

start_temporal ui
start_emulator
"$PY" emulator/seed.py --endpoint "$AWS_ENDPOINT_URL" --scenario demo >&2

export REPORT_DIR="$RUN_DIR/reports"
setsid "$BIN" worker --address "$TEMPORAL_ADDRESS" >"$RUN_DIR/worker.log" 2>&1 &
PIDS+=($!)
log "worker running (log: $RUN_DIR/worker.log)"

UI="http://127.0.0.1:$TEMPORAL_UI_PORT"
"$BIN" start --region us-west-2 --address "$TEMPORAL_ADDRESS" --ui-url "$UI" \
  --workflow-id "snapstart-demo-$(date +%s)" --wait

echo
echo "Temporal UI:  $UI  (each phase is an activity in the run's history)"
echo "Full report:  $REPORT_DIR/"
echo "Try:          AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing $BIN scan --region us-west-2"
if [ "${1:-}" = "--no-wait" ]; then exit 0; fi
echo "Press Ctrl-C to stop the demo stack."
while true; do sleep 3600; done
