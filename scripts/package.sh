#!/usr/bin/env bash
# `make package`: the app as .deb and .rpm (Tauri's bundler, from a release
# build), and the desk's server as .deb (cargo-deb), gathered in
# target/packages/ under their packages' own names.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

OUT=target/packages

if ! command -v cargo-deb >/dev/null 2>&1; then
  say "Installing cargo-deb (the server's packager)"
  cargo install cargo-deb --locked --version '^3'
fi

say "The app: a release build, then .deb and .rpm"
ui/node_modules/.bin/tauri build --bundles deb,rpm

say "The desk's server: a release build, then .deb"
rm -rf "$OUT"
mkdir -p "$OUT"
cargo deb -p lifeline-signaling --output "$OUT/"

# Tauri names its files after the product ("Lifeline_…"); apt and the
# desk's /get-help page list them by package name.
for deb in target/release/bundle/deb/*.deb; do
  name=$(dpkg-deb -f "$deb" Package)_$(dpkg-deb -f "$deb" Version)_$(dpkg-deb -f "$deb" Architecture).deb
  cp "$deb" "$OUT/$name"
done
for rpm in target/release/bundle/rpm/*.rpm; do
  base=$(basename "$rpm")
  cp "$rpm" "$OUT/$(echo "${base:0:1}" | tr '[:upper:]' '[:lower:]')${base:1}"
done

say "Packages in $OUT:"
ls -l "$OUT"
