#!/usr/bin/env bash
# `make run`: starts a local signaling server on loopback (unless one already
# answers there) and opens Lifeline pointed at it. Stops the server on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

LISTEN="${LIFELINE_LISTEN:-127.0.0.1:7890}"
PROFILE_DIR="${CARGO_TARGET_DIR:-target}/${PROFILE:-debug}"
DATA_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/lifeline"
mkdir -p "$DATA_DIR"

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display: run this from a desktop session (or set DISPLAY)." >&2
  exit 1
fi

server_pid=""
cleanup() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT INT TERM

DB_URL="sqlite://$DATA_DIR/desk.db?mode=rwc"
SIGNALING="$PROFILE_DIR/lifeline-signaling"

# A local desk needs one expert to sign in with: create "demo" once.
if [ -z "$("$SIGNALING" --database-url "$DB_URL" expert list 2>/dev/null)" ]; then
  echo "demo-expert" | "$SIGNALING" --database-url "$DB_URL" \
    expert add demo --display-name "Demo Expert" --password-stdin >/dev/null
  echo "Created the expert account demo / demo-expert on the local desk."
fi

if curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1; then
  echo "Using the signaling server already running on $LISTEN"
else
  echo "Starting lifeline-signaling on $LISTEN (log: $DATA_DIR/signaling.log)"
  "$SIGNALING" --listen "$LISTEN" --database-url "$DB_URL" \
    >/dev/null 2>>"$DATA_DIR/signaling.log" &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

LIFELINE_SIGNALING_URL="ws://$LISTEN/ws" "$PROFILE_DIR/lifeline"
