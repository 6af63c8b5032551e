#!/usr/bin/env python3
"""Completes ui/package-lock.json with the other platforms' optional packages.

npm records every platform variant of a native package (rollup, esbuild, the
Tauri CLI) in the lock file, and `npm ci` insists on them. The registry
mirror this project is developed against only serves the variants for its
own platform, so `npm install` there writes a lock file that `npm ci` then
rejects as out of sync. This adds, for each optional dependency the lock
lacks, the entry the public registry would have produced: its version and the
os/cpu/libc it is for. npm skips those entries on other platforms without
downloading anything. Run it after `npm install` changes the lock file:

    python3 scripts/complete-lockfile.py ui/package-lock.json
"""
import json
import re
import sys

PLATFORM = re.compile(
    r"[-/](android|darwin|freebsd|linux|netbsd|openbsd|openharmony|sunos|aix|win32|wasm32)"
    r"-([a-z0-9]+)(?:-(gnu|musl|gnueabihf|musleabihf|msvc|eabi))?$"
)


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        lock = json.load(f)
    packages = lock["packages"]
    added = 0
    for meta in list(packages.values()):
        for dep, spec in meta.get("optionalDependencies", {}).items():
            target = "node_modules/" + dep
            if target in packages:
                continue
            match = PLATFORM.search(dep)
            if not match:
                print(f"cannot tell the platform of {dep}; left out", file=sys.stderr)
                continue
            os_name, cpu, abi = match.groups()
            entry = {"version": spec.lstrip("^~="), "cpu": [cpu], "optional": True, "os": [os_name]}
            if abi in ("gnu", "musl"):
                entry["libc"] = ["glibc" if abi == "gnu" else "musl"]
            if meta.get("dev"):
                entry["dev"] = True
            packages[target] = entry
            added += 1
    lock["packages"] = dict(sorted(packages.items(), key=lambda kv: (kv[0] != "", kv[0])))
    with open(path, "w", encoding="utf-8") as f:
        json.dump(lock, f, indent=2)
        f.write("\n")
    print(f"{path}: added {added} platform entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "ui/package-lock.json"))
