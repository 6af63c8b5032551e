//! Files for transfer tests: large files of noise, their digests, the
//! send field, a transfer's end as the UI shows it, and a receiver's
//! temporary file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ring::digest::{Context, SHA256};

use crate::flows::loopback;
use crate::{AppInstance, AppOptions};

/// Writes `size` bytes of noise to `path`: one pseudo-random MiB (xorshift),
/// repeated with every 4 KiB page stamped with its own number, so no two
/// chunks are alike and a misplaced one changes the digest. Cheap enough in
/// a debug build for a whole GiB.
pub fn random_file(path: &Path, size: u64, seed: u64) -> anyhow::Result<()> {
    write_noise(path, size, seed).with_context(|| {
        format!(
            "writing {} MiB of test data to {}; the disk has {}",
            size >> 20,
            path.display(),
            free_space(path)
        )
    })
}

/// What `df` says of the disk under `path`, for an error message.
fn free_space(path: &Path) -> String {
    let dir = path
        .ancestors()
        .find(|p| p.is_dir())
        .unwrap_or(Path::new("/"));
    let out = std::process::Command::new("df")
        .args(["-h", "--output=avail,size"])
        .arg(dir)
        .output();
    match out {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            match text.lines().nth(1).map(str::split_whitespace) {
                Some(mut row) => format!(
                    "{} free of {}",
                    row.next().unwrap_or("?"),
                    row.next().unwrap_or("?")
                ),
                None => "no figure from df".into(),
            }
        }
        Err(e) => format!("no figure from df ({e})"),
    }
}

fn write_noise(path: &Path, size: u64, seed: u64) -> anyhow::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut x = seed | 1;
    let noise: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut block = noise;
    let mut written = 0u64;
    let mut page = 0u64;
    while written < size {
        for stamp in block.chunks_mut(4096) {
            stamp[..8].copy_from_slice(&page.to_le_bytes());
            page += 1;
        }
        let n = (size - written).min(block.len() as u64) as usize;
        file.write_all(&block[..n])?;
        written += n as u64;
    }
    file.flush()?;
    Ok(())
}

pub fn sha256(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hash = Context::new(&SHA256);
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hash.finish().as_ref().to_vec());
        }
        hash.update(&buffer[..n]);
    }
}

pub fn with_downloads(dir: &Path) -> AppOptions {
    let mut options = loopback();
    options
        .env
        .push(("LIFELINE_DOWNLOAD_DIR".into(), dir.display().to_string()));
    options
}

/// The receiver's temporary file (`.lifeline-<random>.part`) in `folder`.
pub fn temporary_in(folder: &Path) -> Option<PathBuf> {
    std::fs::read_dir(folder)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(".lifeline-") && name.ends_with(".part")
        })
}

/// Types `path` into the send field and submits it with Enter.
pub async fn send_path(app: &AppInstance, path: &Path) -> anyhow::Result<()> {
    app.type_into("#files-path", &format!("{}\u{e007}", path.display()))
        .await
}

/// Waits until a transfer named `name` ended, and says how.
pub async fn transfer_ended(
    app: &AppInstance,
    name: &str,
    timeout: Duration,
) -> anyhow::Result<String> {
    let deadline = Instant::now() + timeout;
    let css = format!(".transfer[data-name='{name}']");
    loop {
        // The list re-renders as progress comes in, so the element found
        // may be stale by the time it is read: that is "not yet", not an
        // error.
        if let Ok(item) = app.client().find(crate::Locator::Css(&css)).await
            && let Ok(Some(state)) = item.attr("data-state").await
            && state != "running"
        {
            return Ok(state);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{name} did not finish in {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub fn same(a: &Path, b: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(b.exists(), "{} did not arrive", b.display());
    anyhow::ensure!(
        sha256(a)? == sha256(b)?,
        "{} and {} differ",
        a.display(),
        b.display()
    );
    Ok(())
}
