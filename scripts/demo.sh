#!/usr/bin/env bash
# The demo: a local Temporal dev server with its web UI, the AWS emulator seeded with a small
# demo account, an SMTP sink, the worker and the resolver. Starts a SnapStartCleanup run, prints
# the report, where the approval email is and its Approve link; open it in a browser, confirm,
# and the run deletes (dry run by default) and mails the summary. Ctrl-C stops everything.
# Usage: scripts/demo.sh [--live] [--no-wait]
#   --live     the worker really deletes approved versions (in the emulator)
#   --no-wait  exit once the run waits for approval (for scripted checks)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_services EXIT INT TERM
LIVE=false; NO_WAIT=false
for arg in "$@"; do
  case "$arg" in --live) LIVE=true ;; --no-wait) NO_WAIT=true ;; *) echo "unknown option $arg" >&2; exit 2 ;; esac
done

ensure_venv
cd "$ROOT"
log "building snapstart-cleaner and snapstart-cleaner-resolver"
cargo build --locked -q -p snapstart-worker -p snapstart-resolver
BIN="$ROOT/target/debug"

# The resolver's port first: the UI decodes payloads through its codec endpoint.
RESOLVER_PORT="$(free_port)"
export RESOLVER_PUBLIC_URL="http://127.0.0.1:$RESOLVER_PORT"
CODEC_ENDPOINT="$RESOLVER_PUBLIC_URL/codec" start_temporal ui
start_emulator
start_smtp_sink
"$PY" emulator/seed.py --endpoint "$AWS_ENDPOINT_URL" --scenario demo >/dev/null

# A fresh link-signing secret for this demo only.
export APPROVAL_LINK_SECRET="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')"
export TEMPORAL_UI_URL="http://127.0.0.1:$TEMPORAL_UI_PORT"
# The UI runs on 127.0.0.1 or localhost, whichever the user opens: both may call the codec.
export CODEC_CORS_ORIGINS="http://127.0.0.1:$TEMPORAL_UI_PORT,http://localhost:$TEMPORAL_UI_PORT"
export APPROVAL_EMAIL_FROM="snapstart-cleaner <cleaner@demo.test>" APPROVAL_EMAIL_TO="approver@demo.test"
export NOTIFY_LOG_LINKS=true REPORT_DIR="$RUN_DIR/reports" DELETE_DRY_RUN="$([ "$LIVE" = true ] && echo false || echo true)"

setsid "$BIN/snapstart-cleaner-resolver" --listen "127.0.0.1:$RESOLVER_PORT" >"$RUN_DIR/resolver.log" 2>&1 &
PIDS+=($!)
setsid "$BIN/snapstart-cleaner" worker >"$RUN_DIR/worker.log" 2>&1 &
PIDS+=($!)
wait_for "curl -fs $RESOLVER_PUBLIC_URL/healthz" 30
log "worker (DELETE_DRY_RUN=$DELETE_DRY_RUN) and resolver at $RESOLVER_PUBLIC_URL running; logs in $RUN_DIR"

ID="snapstart-demo-$(date +%s)"
"$BIN/snapstart-cleaner" start --region us-west-2 --ui-url "$TEMPORAL_UI_URL" --workflow-id "$ID" --wait

wait_for "ls '$MAILDIR'/new/* " 30
MAIL="$(ls -t "$MAILDIR"/new/* | tail -n 1)"
APPROVE="$("$PY" - "$MAIL" <<'PYEOF'
import email, re, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
text = next(p.get_payload(decode=True).decode() for p in msg.walk() if p.get_content_type() == "text/plain")
print(re.search(r"http\S+/approve\?token=\S+", text).group(0))
PYEOF
)"
echo
echo "Approval email:  $MAIL"
echo "Approve link:    $APPROVE"
echo "Temporal UI:     $TEMPORAL_UI_URL/namespaces/default/workflows/$ID (payloads decoded by $RESOLVER_PUBLIC_URL/codec)"
echo "Run status:      $VENV/bin/temporal workflow query --address $TEMPORAL_ADDRESS --workflow-id $ID --name status"
if [ "$NO_WAIT" = true ]; then exit 0; fi
echo
echo "Open the Approve link in a browser, confirm, then watch the run finish:"
# In the background + wait, so Ctrl-C/SIGTERM reach the trap at once.
"$VENV/bin/temporal" workflow result --address "$TEMPORAL_ADDRESS" --workflow-id "$ID" 2>/dev/null &
PIDS+=($!)
wait $! || true
echo "Completion email: $(ls -t "$MAILDIR"/new/* | head -n 1)"
OUTCOME="$("$VENV/bin/temporal" workflow describe --address "$TEMPORAL_ADDRESS" --workflow-id "$ID" -o json 2>/dev/null \
  | "$PY" -c 'import json,sys,base64; sa=json.load(sys.stdin)["workflowExecutionInfo"].get("searchAttributes",{}).get("indexedFields",{}); print(base64.b64decode(sa["SnapStartOutcome"]["data"]).decode().strip(chr(34)) if "SnapStartOutcome" in sa else "")' 2>/dev/null || true)"
echo "Runs by outcome:  $TEMPORAL_UI_URL/namespaces/default/workflows?query=SnapStartOutcome%3D%22${OUTCOME:-done}%22"
echo "                  (or: $VENV/bin/temporal workflow list --address $TEMPORAL_ADDRESS --query 'SnapStartOutcome=\"${OUTCOME:-done}\"')"
echo "Press Ctrl-C to stop the demo stack."
while true; do sleep 3600 & wait $!; done
