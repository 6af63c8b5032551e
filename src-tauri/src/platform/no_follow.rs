//! Opening a file without following a symbolic link at its last component:
//! the one platform-specific step of writing received files safely. On
//! Unix the open fails (`ELOOP`) when the name is a link; on Windows the
//! link itself is opened, never its target. Elsewhere the callers' own
//! checks (`create_new`, `symlink_metadata`) stand alone.

use std::fs::OpenOptions;

/// Makes `options` refuse to go through a symbolic link named by the path.
pub fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        /// FILE_FLAG_OPEN_REPARSE_POINT: open the link, not what it names.
        const OPEN_REPARSE_POINT: u32 = 0x0020_0000;
        options.custom_flags(OPEN_REPARSE_POINT)
    }
    #[cfg(not(any(unix, windows)))]
    {
        options
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_not_opened_and_its_target_keeps_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let opened = no_follow(OpenOptions::new().read(true).write(true)).open(&link);
        assert!(opened.is_err(), "a link is never opened");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(
            no_follow(OpenOptions::new().read(true))
                .open(&target)
                .is_ok(),
            "a plain file opens"
        );
    }
}
