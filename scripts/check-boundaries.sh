#!/usr/bin/env bash
# The boundaries the code keeps, checked by `make check` (so `make test`):
#   - only src-tauri/src/peer/ names webrtc-rs: the rest of the app speaks
#     to the peer connection through peer::Channel and peer::PeerEvent;
#   - only ui/src/lib/api.ts reaches Tauri's commands (invoke) and its core
#     module, so every command has one typed wrapper;
#   - no function in src-tauri/src or signaling/src runs over 80 lines
#     (from its `fn` line to its closing brace).
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

# A function ends at the first line that is its indentation and `}` (what
# rustfmt writes).
if found=$(find src-tauri/src signaling/src -name '*.rs' -print0 | xargs -0 awk '
  FNR == 1 { open = 0 }
  open && $0 == indent "}" {
    if (FNR - start + 1 > 80) printf "%s:%d: fn %s is %d lines\n", FILENAME, start, name, FNR - start + 1
    open = 0
  }
  !open && match($0, /^ *(pub(\([a-z:]+\))? +)?(const +)?(async +)?(unsafe +)?fn +[A-Za-z0-9_]+/) {
    indent = $0; sub(/[^ ].*$/, "", indent)
    name = substr($0, RSTART, RLENGTH); sub(/.*fn +/, "", name)
    start = FNR; open = 1
    if ($0 ~ /[;}] *$/) open = 0
  }
') && [ -n "$found" ]; then
  report "functions over 80 lines" "$found"
fi

exit "$failed"
