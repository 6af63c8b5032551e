//! `lifeline-signaling expert …` keeps accounts distinguishable: user names
//! with reserved characters and display names with control, bidi or
//! invisible characters are refused, a display name another expert shows
//! (ignoring case and spacing) is refused, and `--admin` and `expert role`
//! set who may read every session and the audit log.

use std::io::Write;
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_lifeline-signaling");

struct Desk {
    _dir: tempfile::TempDir,
    database_url: String,
}

impl Desk {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("desk.db").display());
        Self {
            _dir: dir,
            database_url,
        }
    }

    /// Runs `expert <args>` with `stdin`: (success, stdout, stderr).
    fn expert(&self, args: &[&str], stdin: &str) -> (bool, String, String) {
        let mut child = Command::new(BINARY)
            .args(["--database-url", &self.database_url, "expert"])
            .args(args)
            .env("RUST_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn add(&self, user: &str, display_name: &str, extra: &[&str]) -> (bool, String, String) {
        let mut args = vec![
            "add",
            user,
            "--display-name",
            display_name,
            "--password-stdin",
        ];
        args.extend_from_slice(extra);
        self.expert(&args, "a long enough password\n")
    }
}

#[test]
fn names_stay_distinct_and_clean() {
    let desk = Desk::new();
    let (ok, out, err) = desk.add("ann", "Ann from the Help Desk", &[]);
    assert!(ok, "{out}{err}");

    for twin in [
        "Ann from the Help Desk",
        "ann FROM the help desk",
        "  Ann  from the\u{a0}Help Desk ",
    ] {
        let (ok, _, err) = desk.add("mallory", twin, &[]);
        assert!(!ok, "{twin:?} was accepted");
        assert!(err.contains("already shows as"), "{err}");
    }
    for dirty in [
        "Ann from the Help Desk\nAdmin",
        "Ann from the Help Desk\u{200b}",
        "\u{202e}ksed pleH eht morf nnA",
        "Ann\u{2066} from the Help Desk\u{2069}",
        &"A".repeat(65),
    ] {
        let (ok, _, err) = desk.add("mallory", dirty, &[]);
        assert!(!ok, "{dirty:?} was accepted");
        assert!(err.contains("display names are"), "{err}");
    }
    for user in ["#token", "mal#lory", "mal lory", ".mallory"] {
        let (ok, _, err) = desk.add(user, "Mallory", &[]);
        assert!(!ok, "{user:?} was accepted");
        assert!(err.contains("user names are"), "{err}");
    }

    let (_, list, _) = desk.expert(&["list"], "");
    assert_eq!(list.lines().count(), 1, "{list}");
}

#[test]
fn admins_are_made_with_add_admin_or_role() {
    let desk = Desk::new();
    let (ok, out, err) = desk.add("boss", "The Boss", &["--admin"]);
    assert!(ok && out.contains("added admin boss"), "{out}{err}");
    assert!(desk.add("ann", "Ann", &[]).0);

    let role = |list: &str, user: &str| -> String {
        list.lines()
            .find(|l| l.starts_with(&format!("{user}\t")))
            .and_then(|l| l.split('\t').nth(2))
            .unwrap_or_else(|| panic!("{user} not in {list}"))
            .to_owned()
    };
    let (_, list, _) = desk.expert(&["list"], "");
    assert_eq!(role(&list, "boss"), "admin");
    assert_eq!(role(&list, "ann"), "expert");

    let (ok, out, err) = desk.expert(&["role", "ann", "admin"], "");
    assert!(ok && out.contains("ann is now admin"), "{out}{err}");
    let (ok, _, _) = desk.expert(&["role", "boss", "expert"], "");
    assert!(ok);
    let (_, list, _) = desk.expert(&["list"], "");
    assert_eq!(role(&list, "ann"), "admin");
    assert_eq!(role(&list, "boss"), "expert");

    let (ok, _, _) = desk.expert(&["role", "ann", "root"], "");
    assert!(!ok, "only admin or expert");
    let (ok, _, err) = desk.expert(&["role", "nobody", "admin"], "");
    assert!(!ok && err.contains("no expert named nobody"), "{err}");
}
