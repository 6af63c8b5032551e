//! The app as `make test-package` installs it, from its .deb in a fresh
//! Debian 12 made by debootstrap: it starts under Xvfb, inside the chroot
//! with the chroot's own libraries, and shows its start screen. The text is
//! checked through WebDriver, and the pixels of the screenshot: the
//! "I need help" button is painted in its own colour over the page's.
//!
//! Ignored in `make test`: `scripts/test-package.sh` makes the chroot and
//! runs it with `LIFELINE_PACKAGE_ROOT` set to the chroot.

use lifeline_e2e::{AppOptions, e2e};

/// A script that runs the installed app inside the chroot at `root`, as
/// WebDriver starts it (arguments and environment passed through).
fn launcher(root: &str, dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("lifeline-in-chroot");
    std::fs::write(
        &path,
        format!("#!/bin/sh\nexec chroot {root} /usr/bin/lifeline \"$@\"\n"),
    )?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    Ok(path)
}

fn pixel(png: &[u8], (x, y): (u32, u32)) -> anyhow::Result<[u8; 3]> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info()?;
    let mut buffer = vec![0; reader.output_buffer_size().unwrap_or_default()];
    let info = reader.next_frame(&mut buffer)?;
    let channels = info.color_type.samples();
    let at = (y as usize * info.width as usize + x as usize) * channels;
    Ok([buffer[at], buffer[at + 1], buffer[at + 2]])
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "make test-package runs it, in the chroot it makes"]
async fn the_installed_app_shows_its_start_screen() {
    let root =
        std::env::var("LIFELINE_PACKAGE_ROOT").expect("LIFELINE_PACKAGE_ROOT names the chroot");
    e2e("installed_package", |h| async move {
        let dir = tempfile::tempdir()?;
        let server = h.signaling().await?;
        let options = AppOptions {
            binary: Some(launcher(&root, dir.path())?),
            ..AppOptions::default()
        };
        let app = h.launch_app_with("installed", &server, options).await?;
        let question = app.text("#start-question").await?;
        anyhow::ensure!(
            question == "How can Lifeline help you today?",
            "the start screen asks {question:?}"
        );
        let shot = h.screenshot(&app, "start").await?;
        let png = std::fs::read(&shot)?;
        let button = app.wait_for("#mode-client").await?.rectangle().await?;
        let inside = (button.0 as u32 + 6, button.1 as u32 + 6);
        let page = (4, button.1 as u32 + button.3 as u32 + 40);
        let (ink, paper) = (pixel(&png, inside)?, pixel(&png, page)?);
        anyhow::ensure!(
            ink != paper && paper != [0, 0, 0],
            "the button {ink:?} on the page {paper:?}"
        );
        Ok(())
    })
    .await;
}
