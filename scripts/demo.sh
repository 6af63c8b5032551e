#!/usr/bin/env bash
# `make demo`: a whole support session on one desktop. It starts a local
# signaling server with a demo expert account and opens two Lifeline
# windows pointed at it: one already in client mode ("I need help") and one
# in expert mode ("I'm the expert"). Each window keeps its own settings and
# files under a temporary folder, so the demo leaves your own Lifeline
# untouched. Closing both windows (or Ctrl+C) stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

LISTEN="${LIFELINE_DEMO_LISTEN:-127.0.0.1:7891}"
PROFILE_DIR="${CARGO_TARGET_DIR:-target}/${PROFILE:-debug}"
SIGNALING="$PROFILE_DIR/lifeline-signaling"
APP="$PROFILE_DIR/lifeline"

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display: run this from a desktop session (or set DISPLAY)." >&2
  exit 1
fi

DEMO="$(mktemp -d -t lifeline-demo-XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DEMO"
}
trap cleanup EXIT INT TERM

DB_URL="sqlite://$DEMO/desk.db?mode=rwc"
echo "demo-expert" | "$SIGNALING" --database-url "$DB_URL" \
  expert add demo --display-name "Demo Expert" --password-stdin >/dev/null

"$SIGNALING" --listen "$LISTEN" --database-url "$DB_URL" >/dev/null 2>"$DEMO/signaling.log" &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# One home per window: its mode is chosen already, its received files and
# shared folder are its own.
window() {
  local name=$1 mode=$2 home="$DEMO/$1"
  mkdir -p "$home/config/lifeline" "$home/data" "$home/shared" "$home/received"
  printf '{"mode":"%s"}\n' "$mode" >"$home/config/lifeline/settings.json"
  XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" \
    LIFELINE_SIGNALING_URL="ws://$LISTEN/ws" \
    LIFELINE_DOWNLOAD_DIR="$home/received" LIFELINE_SHARED_DIR="$home/shared" \
    "$APP" >/dev/null 2>"$DEMO/$name.log" &
  pids+=($!)
}
window client client
window expert expert
echo "A demo expert file." >"$DEMO/expert/shared/notes.txt"
echo "Welcome to the Lifeline demo." >"$DEMO/client/shared/readme.txt"

cat <<MSG
Lifeline demo: a local desk on $LISTEN and two windows.
  1. Client window: click "Get ID" and read the ID.
  2. Expert window: sign in as  demo / demo-expert , type the ID, Connect.
  3. Client window: look at who asks for what, then Accept.
Both windows run on this desktop, so the expert sees the client's whole
screen, its own window included. Close both windows or press Ctrl+C to end.
MSG
# Ends when either window is closed.
wait -n "${pids[1]}" "${pids[2]}" || true
