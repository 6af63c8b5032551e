//! Test artifacts (screenshots, logs) under `target/e2e-artifacts/<test>/`.

use std::path::{Path, PathBuf};

/// The artifacts dir of one test, created if needed.
pub fn dir_for(test_name: &str) -> anyhow::Result<PathBuf> {
    let safe: String = test_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dir = super::paths::target_dir().join("e2e-artifacts").join(safe);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Copies every regular file under `from` into `to`, flattening nothing:
/// the relative layout is kept. Errors are reported, not fatal.
pub fn copy_tree(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for entry in entries.flatten() {
        let source = entry.path();
        let target = to.join(entry.file_name());
        if source.is_dir() {
            let _ = std::fs::create_dir_all(&target);
            copy_tree(&source, &target);
        } else if let Err(error) = std::fs::copy(&source, &target) {
            eprintln!("e2e: could not copy {}: {error}", source.display());
        }
    }
}
