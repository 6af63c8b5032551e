#!/usr/bin/env bash
# What `make bench` needs beyond `make setup`, installed only when missing:
#   - Chromium and chromedriver: the standard WebRTC receiver that the
#     end-to-end screen bench runs beside the Lifeline expert app;
#   - GStreamer's X, PipeWire, VP8 and RTP elements: the baseline
#     pipelines (ximagesrc or pipewiresrc → vp8enc → rtpvp8pay → udpsink);
#   - Xwayland: the screen bench's X clients on its Wayland desktop;
#   - PostgreSQL and Redis: the console report bench's second database,
#     and the cluster bench's shared stores (throw-away servers the
#     benches start; the installed services themselves are not used).
# The tests never need these, so `make test` does not install them.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(chromium chromium-driver postgresql redis-server gstreamer1.0-tools gstreamer1.0-x
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-pipewire
  xwayland xvfb x11-utils)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  printf '\033[1m==> Installing for the benchmarks: %s\033[0m\n' "${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  printf '\033[1m==> Benchmark packages: all present\033[0m\n'
fi
