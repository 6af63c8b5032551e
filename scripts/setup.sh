#!/usr/bin/env bash
# Installs what Lifeline needs to build, run and test on Debian 12, and only
# what is missing: it is quick when everything is already there.
#   - Debian packages (WebKitGTK, GStreamer codecs, X11/Xvfb, libvpx, ...)
#   - the UI's npm packages (npm ci from ui/package-lock.json)
#   - tauri-driver (WebDriver bridge for the end-to-end tests)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Build and runtime libraries for Tauri/WebKitGTK, codecs for WebCodecs,
# X11 libraries for capture (xcap) and input (XTest), libvpx for VP8, the X
# tools the tests use, a window manager (openbox) for the test that the
# client's session bar stays on top, and the proxies the desk link is
# tested through (tinyproxy for HTTP with a password, dante for SOCKS5),
# coturn for sessions through a TURN relay, nftables for the routers and
# firewalls of the tests' network namespaces (iproute2 makes them), and
# gsettings with GNOME's proxy schema for the system proxy's test.
APT_PACKAGES=(
  libwebkit2gtk-4.1-dev build-essential curl file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev libgtk-3-dev pkg-config
  xvfb webkit2gtk-driver xdotool xclip imagemagick x11-utils x11-xserver-utils xterm
  openbox
  tinyproxy dante-server coturn nftables iproute2
  libglib2.0-bin gsettings-desktop-schemas
  dbus-daemon dbus-bin
  gstreamer1.0-libav gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-gl
  gstreamer1.0-tools gstreamer1.0-x
  libclang-dev libvpx-dev libpipewire-0.3-dev libgbm-dev libegl-dev libwayland-dev
  libx11-dev libxi-dev libxtst-dev libxcb1-dev
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "Debian packages: all present"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust is missing. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "Node.js $(node --version) is too old: the UI build (Vite 7) needs Node 20.19 or newer." >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  say "Installing UI packages (npm ci)"
  npm --prefix ui ci --no-audit --no-fund
else
  say "UI packages: up to date"
fi

if ! command -v tauri-driver >/dev/null 2>&1; then
  say "Installing tauri-driver"
  cargo install tauri-driver --locked
else
  say "tauri-driver: present"
fi
