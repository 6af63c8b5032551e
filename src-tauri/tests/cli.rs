//! The app's command line, as a packager and a user see it: `--help` and
//! `--version` against golden files (`LIFELINE_WRITE_GOLDEN=1` writes them
//! again), and a command line that makes no sense refused with its reason
//! and exit code 2, before any window opens.

use std::path::PathBuf;
use std::process::{Command, Output};

fn lifeline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .args(args)
        // No display: anything that tried to open a window would fail.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("the app runs")
}

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("LIFELINE_WRITE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "{} differs (LIFELINE_WRITE_GOLDEN=1 writes it)",
        path.display()
    );
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn help_matches_its_golden_file() {
    golden("help.txt", &stdout(&lifeline(&["--help"])));
    golden("client-help.txt", &stdout(&lifeline(&["client", "--help"])));
    golden("expert-help.txt", &stdout(&lifeline(&["expert", "--help"])));
}

#[test]
fn version_is_the_workspaces() {
    let version = stdout(&lifeline(&["--version"]));
    assert_eq!(version, format!("lifeline {}\n", env!("CARGO_PKG_VERSION")));
    golden(
        "version.txt",
        &version.replace(env!("CARGO_PKG_VERSION"), "VERSION"),
    );
}

#[test]
fn a_command_line_that_makes_no_sense_is_refused_with_its_reason() {
    let cases: &[(&[&str], &str)] = &[
        (&["client"], "--desk <URL>"),
        (
            &["client", "--desk", "ftp://desk.example"],
            "is not a desk address",
        ),
        (
            &["expert", "--desk", "https://desk.example", "--pin", "12"],
            "64 hexadecimal digits",
        ),
        (&["share"], "not a command, and not a lifeline:// link"),
        (&["--frobnicate"], "unexpected argument"),
    ];
    for (args, says) in cases {
        let output = lifeline(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
