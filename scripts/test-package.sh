#!/usr/bin/env bash
# `make test-package`: the packages on a clean Debian 12. A fresh chroot
# made by debootstrap from Debian's packages (its base tarball cached in
# ~/.cache/lifeline/ between runs); then:
#   - `apt-get install ./lifeline_*.deb ./lifeline-signaling_*.deb` pulls
#     every runtime dependency, and the app's libraries all resolve;
#   - the installed app starts under Xvfb inside the chroot and shows its
#     start screen (tests/tests/installed_package.rs: WebDriver's text,
#     and the screenshot's pixels);
#   - the server's unit passes `systemd-analyze verify`, its user and
#     folders exist, and the installed binary, started as the `lifeline`
#     user with the packaged configuration, answers /healthz and serves
#     /get-help and /client-config.
# Prints how long each step took. Needs root (debootstrap, chroot, mounts).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[1;31mFAILED: %s\033[0m\n' "$*"; exit 1; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

MIRROR=${LIFELINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/lifeline
BASE="$CACHE/debootstrap-bookworm-minbase.tgz"
WORK="$REPO/target/package-test"
ROOT="$WORK/root"
PACKAGES="$REPO/target/packages"

ls "$PACKAGES"/lifeline_*.deb "$PACKAGES"/lifeline-signaling_*.deb >/dev/null 2>&1 \
  || fail "no packages in $PACKAGES: run \`make package\` first"

MOUNTS=()
cleanup() {
  for (( i=${#MOUNTS[@]}-1; i>=0; i-- )); do $SUDO umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
  if [ -n "${SERVER_PID:-}" ]; then $SUDO kill "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
bind() { $SUDO mkdir -p "$ROOT$1"; $SUDO mount --bind "$1" "$ROOT$1"; MOUNTS+=("$ROOT$1"); }
in_root() { $SUDO chroot "$ROOT" "$@"; }
clock() { date +%s%3N; }
took() { local ms=$(( $(clock) - $1 )); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }

# 1. A clean Debian 12.
mkdir -p "$CACHE" "$WORK"
start=$(clock)
BASE_MADE="from the cached tarball"
if [ ! -f "$BASE" ]; then
  say "Making the base tarball (once; cached in $BASE)"
  # A mirror that drops a download mid-way gets two more tries.
  for attempt in 1 2 3; do
    $SUDO rm -rf "$WORK/tarball-root"
    $SUDO debootstrap --variant=minbase --make-tarball="$BASE.part" bookworm "$WORK/tarball-root" "$MIRROR" \
      >"$WORK/debootstrap.log" 2>&1 && break
    [ "$attempt" = 3 ] && { tail -20 "$WORK/debootstrap.log"; fail "debootstrap could not download Debian 12"; }
  done
  $SUDO mv "$BASE.part" "$BASE"
  $SUDO rm -rf "$WORK/tarball-root"
  BASE_MADE="downloading the tarball first"
fi
say "A fresh chroot from the base tarball"
$SUDO rm -rf "$ROOT"
$SUDO debootstrap --variant=minbase --unpack-tarball="$BASE" bookworm "$ROOT" "$MIRROR" >/dev/null
DEBOOTSTRAP_TIME=$(took "$start")

bind /proc; bind /sys; bind /dev; bind /dev/pts
# The host's /tmp: the test's X server's socket, and the app's folders.
bind /tmp
$SUDO cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# No service starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$ROOT/usr/sbin/policy-rc.d" >/dev/null
$SUDO chmod 755 "$ROOT/usr/sbin/policy-rc.d"
echo "deb $MIRROR bookworm main" | $SUDO tee "$ROOT/etc/apt/sources.list" >/dev/null
echo 'Acquire::Retries "3";' | $SUDO tee "$ROOT/etc/apt/apt.conf.d/80retries" >/dev/null

# 2. apt installs the packages and everything they depend on.
say "apt-get install ./lifeline_*.deb ./lifeline-signaling_*.deb"
$SUDO mkdir -p "$ROOT/packages"
$SUDO cp "$PACKAGES"/*.deb "$ROOT/packages/"
before=$(in_root dpkg-query -W -f='.\n' | wc -l)
start=$(clock)
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  $(cd "$ROOT" && ls packages/lifeline_*.deb packages/lifeline-signaling_*.deb | sed 's|^|/|') >"$WORK/apt.log" \
  || { tail -30 "$WORK/apt.log"; fail "apt-get install"; }
APT_TIME=$(took "$start")
after=$(in_root dpkg-query -W -f='.\n' | wc -l)
DOWNLOADED=$(du -sh "$ROOT/var/cache/apt/archives" | cut -f1)

missing=$(in_root ldd /usr/bin/lifeline | grep "not found" || true)
[ -z "$missing" ] || fail "the app's libraries do not all resolve: $missing"
version=$(in_root /usr/bin/lifeline --version)
[ "$version" = "lifeline $(dpkg-deb -f "$PACKAGES"/lifeline_*.deb Version)" ] || fail "lifeline --version says $version"
in_root test -f /usr/share/applications/Lifeline.desktop -o -f /usr/share/applications/lifeline.desktop \
  || fail "no desktop entry"
grep -q "x-scheme-handler/lifeline" "$ROOT"/usr/share/applications/*.desktop || fail "the desktop entry does not take lifeline:// links"
in_root test -f /usr/share/man/man1/lifeline.1 || fail "no man page"

# 3. The installed app starts and shows its start screen.
say "The installed app, under Xvfb, inside the chroot"
# The e2e harness and the host's debug server; the same selection as `make
# test`, so nothing builds twice.
cargo test --workspace --no-run -q
start=$(clock)
LIFELINE_PACKAGE_ROOT="$ROOT" cargo test --workspace --test installed_package -- --ignored \
  || fail "the installed app did not show its start screen"
APP_TIME=$(took "$start")

# The desktop hands lifeline:// links to the app: with xdg-utils and the
# desktop's MIME cache (as any desktop has them), xdg-open starts the
# installed app with the link as its argument.
say "xdg-open 'lifeline://get-help?…' starts the installed app"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  xdg-utils desktop-file-utils >>"$WORK/apt.log"
in_root update-desktop-database -q /usr/share/applications
handler=$(in_root xdg-mime query default x-scheme-handler/lifeline)
[ -n "$handler" ] || fail "no handler for lifeline:// links"
link="lifeline://get-help?desk=https%3A%2F%2Fhelp.example.com&pin=$(printf '0f%.0s' $(seq 32))"
display=$(python3 -c 'import random; print(random.randint(300, 900))')
Xvfb ":$display" -noreset -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
in_root env DISPLAY=":$display" HOME=/root XDG_RUNTIME_DIR=/tmp NO_AT_BRIDGE=1 xdg-open "$link" >/dev/null 2>&1 &
opened=""
for _ in $(seq 1 100); do
  opened=$(pgrep -af "^/usr/bin/lifeline lifeline://get-help" || true)
  [ -n "$opened" ] && break
  sleep 0.1
done
pkill -f "^/usr/bin/lifeline lifeline://get-help" || true
kill "$XVFB_PID" 2>/dev/null || true
[ -n "$opened" ] || fail "xdg-open did not start the app with the link"

# 4. The server: its unit, its user, and the binary as that user.
say "The server's unit, user and folders"
unit=$(ls "$ROOT"/lib/systemd/system/lifeline-signaling.service "$ROOT"/usr/lib/systemd/system/lifeline-signaling.service 2>/dev/null | head -1)
[ -n "$unit" ] || fail "no systemd unit"
# Documentation= names the man page, which the chroot has (checked above).
$SUDO systemd-analyze verify --man=no --root="$ROOT" "${unit#$ROOT}" || fail "systemd-analyze verify"
in_root test -f /usr/share/man/man8/lifeline-signaling.8.gz || fail "no man page for the server"
in_root getent passwd lifeline >/dev/null || fail "no lifeline user"
owner=$(in_root stat -c %U:%G /var/lib/lifeline-signaling)
[ "$owner" = "lifeline:lifeline" ] || fail "/var/lib/lifeline-signaling belongs to $owner"
in_root test -f /etc/lifeline-signaling/signaling.toml || fail "no configuration"

say "The installed server, as the lifeline user"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$SUDO cp "$PACKAGES"/lifeline_*.deb "$ROOT/var/lib/lifeline-signaling/downloads/"
$SUDO chroot --userspec=lifeline:lifeline "$ROOT" /usr/bin/lifeline-signaling \
  --config /etc/lifeline-signaling/signaling.toml --listen "127.0.0.1:$port" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
health=""
for _ in $(seq 1 100); do
  health=$(curl -fsS "http://127.0.0.1:$port/healthz" 2>/dev/null || true)
  [ -n "$health" ] && break
  sleep 0.1
done
[ "$health" = "ok" ] || { cat "$WORK/server.log"; fail "/healthz said ${health:-nothing}"; }
curl -fsS "http://127.0.0.1:$port/get-help" | grep -q 'href="/downloads/lifeline_' || fail "/get-help does not offer the .deb"
curl -fsS "http://127.0.0.1:$port/client-config" | grep -q '"desk"' || fail "/client-config"
db_owner=$(in_root stat -c %U /var/lib/lifeline-signaling/lifeline-signaling.db)
[ "$db_owner" = "lifeline" ] || fail "the database belongs to $db_owner"

say "Installed on a clean Debian 12"
printf '  %-50s %s\n' \
  "debootstrap (minbase, $BASE_MADE)" "$DEBOOTSTRAP_TIME" \
  "apt-get install of both packages" "$APT_TIME" \
  "packages apt added" "$((after - before))" \
  "downloaded" "$DOWNLOADED" \
  "installed app to its start screen (the e2e test)" "$APP_TIME" \
  "xdg-open's handler for lifeline://" "$handler" \
  "/healthz of the installed server" "$health"
