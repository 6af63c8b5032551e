//! Where things are: the workspace, the built binaries, the artifacts dir.

use std::path::PathBuf;

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Cargo's target dir, honouring `CARGO_TARGET_DIR`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// A binary of the workspace, built in the profile named by
/// `LIFELINE_E2E_PROFILE` (default `debug`). The harness does not build it:
/// `make test` does, so that a test never waits on a hidden compile.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let profile = std::env::var("LIFELINE_E2E_PROFILE").unwrap_or_else(|_| "debug".into());
    let path = target_dir().join(profile).join(name);
    anyhow::ensure!(
        path.is_file(),
        "{} is not built; run `make test`, or `npm --prefix ui run build && cargo build -p lifeline -p lifeline-signaling`",
        path.display()
    );
    Ok(path)
}
