#!/usr/bin/env bash
# The boundaries the code keeps, checked by `make check` (so `make test`):
#   - only src-tauri/src/peer/ names webrtc-rs: the rest of the app speaks
#     to the peer connection through peer::Channel and peer::PeerEvent;
#   - only ui/src/lib/api.ts reaches Tauri's commands (invoke) and its core
#     module, so every command has one typed wrapper.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=0
report() {
  echo "boundary broken: $1" >&2
  echo "$2" >&2
  failed=1
}

if found=$(grep -rnE '(^|[^[:alnum:]_])(use |extern crate )?webrtc::|^use webrtc\b' \
  src-tauri/src --include='*.rs' | grep -v '^src-tauri/src/peer/'); then
  report "webrtc is named outside src-tauri/src/peer/" "$found"
fi

if found=$(grep -rnE "@tauri-apps/api/core|\binvoke\(" ui/src --include='*.ts' --include='*.svelte' \
  | grep -v '^ui/src/lib/api.ts:'); then
  report "Tauri's invoke is used outside ui/src/lib/api.ts" "$found"
fi

exit "$failed"
