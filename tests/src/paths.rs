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

/// A copy of the app's executable in a folder of its own under `target/`
/// (a hard link where it can be), as an installation would put it, so a
/// test can put files beside it. Removed with the returned folder.
pub fn installed_copy(name: &str) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let built = binary(name)?;
    let parent = target_dir().join("e2e-installs");
    std::fs::create_dir_all(&parent)?;
    let dir = tempfile::Builder::new()
        .prefix("install-")
        .tempdir_in(&parent)?;
    let copy = dir.path().join(name);
    if std::fs::hard_link(&built, &copy).is_err() {
        std::fs::copy(&built, &copy)?;
    }
    Ok((dir, copy))
}
