//! A modified expert, speaking the files protocol by hand over real WebRTC,
//! against the client's real transfer runner: hostile names are refused
//! with `unsafe_name` and nothing is written outside the download folder;
//! garbage, stray chunks and out-of-place messages change nothing; without
//! the files permission every offer is refused; a well-formed file still
//! arrives afterwards; and the file browser cannot reach outside the
//! client's shared folder or act without the permission.
//!
//! Within the permission, it cannot plant a backdoor or write through a
//! link: uploads and folders into hidden, autostart, shell-profile and
//! credential places are refused with `protected_path`; the home folder is
//! not shared (`shared_folder_too_wide`); a link cannot be renamed
//! (`symlink`); a link planted where the old `<name>.part` went is not
//! written through, and the receiver's own temporary file never shows in
//! a listing, so there is no name to plant a link at.

mod peers;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lifeline_lib::clipboard::content::{ClipContent, MAX_CLIP_BYTES, PNG_MIME, TEXT_MIME};
use lifeline_lib::peer::{Channel, Incoming, RoundTrip};
use lifeline_lib::transfer::runner::{Report, Transfers};
use lifeline_lib::transfer::wire::{Chunk, FileMessage, FsOp};
use ring::digest::{SHA256, digest};

async fn say(channel: &Channel, message: FileMessage) {
    channel.send_text(&message.to_json()).await.unwrap();
}

/// The names the client's file browser lists at the shared folder's root.
async fn listed_root(expert: &Channel, request: u32) -> Vec<String> {
    let list = FsOp::List {
        path: String::new(),
    };
    say(expert, FileMessage::Fs { request, op: list }).await;
    match reply(expert).await {
        FileMessage::Listing { entries, .. } => entries.into_iter().map(|e| e.name).collect(),
        other => panic!("not listed: {other:?}"),
    }
}

/// The next transfer message the client answers with.
async fn reply(channel: &Channel) -> FileMessage {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Incoming::Message { data, .. } = channel.next().await {
                return FileMessage::parse(&data).expect("a transfer message");
            }
        }
    })
    .await
    .expect("the client answers")
}

fn start(transfer: u32) -> FileMessage {
    FileMessage::Start {
        transfer,
        name: "x".into(),
        files: 1,
        bytes: 5,
        into: None,
    }
}

fn offer(transfer: u32, path: &str) -> FileMessage {
    FileMessage::Offer {
        transfer,
        path: path.into(),
        size: 5,
        modified_ms: 1,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modified_expert_cannot_write_outside_the_download_folder() {
    let pair = peers::connected("files").await;
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("home/user/Downloads");
    let notes = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&notes);
    let _client = Transfers::start(
        pair.remote.clone(),
        RoundTrip::unknown(),
        1,
        downloads.clone(),
        None,
        true,
        move |report| {
            if let Report::Note { code, .. } = report {
                seen.lock().unwrap().push(code);
            }
        },
    );
    let expert = &pair.local;

    // Garbage, a chunk for no transfer, a stray reply: nothing happens.
    expert.send_text("{not json").await.unwrap();
    expert.send_bytes(&[0xFFu8; 20]).await.unwrap();
    let stray = Chunk {
        transfer: 77,
        offset: 0,
        data: b"boo",
    }
    .encode();
    expert.send_bytes(&stray).await.unwrap();
    say(
        expert,
        FileMessage::Verified {
            transfer: 77,
            saved_as: "/etc/passwd".into(),
        },
    )
    .await;

    let hostile = [
        "../../../.bashrc",
        "/etc/cron.d/evil",
        "a/../../../escape",
        "C:\\Windows\\evil.dll",
        "..",
        "con",
        "ok/\u{0}hidden",
        "report\u{202e}fdp.exe",
    ];
    for (n, path) in hostile.iter().enumerate() {
        let transfer = 2 * n as u32;
        say(expert, start(transfer)).await;
        say(expert, offer(transfer, path)).await;
        match reply(expert).await {
            FileMessage::Failed { code, .. } => assert_eq!(code, "unsafe_name", "{path:?}"),
            other => panic!("{path:?} was not refused: {other:?}"),
        }
    }
    // Nothing exists anywhere under the temporary root but the downloads.
    let mut found = Vec::new();
    let mut stack = vec![dir.path().to_owned()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            found.push(path);
        }
    }
    assert!(
        found
            .iter()
            .all(|p| downloads.starts_with(p) || p.starts_with(&downloads)),
        "written outside the downloads: {found:?}"
    );
    // One failure shown for each refused name (noted before the reply went
    // out), and nothing else: the garbage and stray replies said nothing.
    assert_eq!(
        *notes.lock().unwrap(),
        vec!["transfer_failed"; hostile.len()]
    );

    // The runner still works for a well-formed file.
    let transfer = 100;
    say(expert, start(transfer)).await;
    say(expert, offer(transfer, "fine/hello.txt")).await;
    assert_eq!(
        reply(expert).await,
        FileMessage::Resume {
            transfer,
            offset: 0
        }
    );
    // Its bytes land, and the digest checks out.
    let chunk = Chunk {
        transfer,
        offset: 0,
        data: b"hello",
    }
    .encode();
    expert.send_bytes(&chunk).await.unwrap();
    say(
        expert,
        FileMessage::Done {
            transfer,
            sha256: lifeline_lib::hex::encode(digest(&SHA256, b"hello").as_ref()),
        },
    )
    .await;
    match reply(expert).await {
        FileMessage::Verified { saved_as, .. } => {
            assert_eq!(
                saved_as,
                downloads.join("fine/hello.txt").display().to_string()
            );
        }
        other => panic!("the file was not verified: {other:?}"),
    }
    assert_eq!(
        std::fs::read(downloads.join("fine/hello.txt")).unwrap(),
        b"hello"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_files_permission_every_offer_is_refused() {
    let pair = peers::connected("files").await;
    let dir = tempfile::tempdir().unwrap();
    let _client = Transfers::start(
        pair.remote.clone(),
        RoundTrip::unknown(),
        1,
        dir.path().to_owned(),
        Some(dir.path().to_owned()),
        false,
        |_| {},
    );
    let expert = &pair.local;
    say(expert, start(0)).await;
    match reply(expert).await {
        FileMessage::Failed { code, .. } => assert_eq!(code, "not_granted"),
        other => panic!("not refused: {other:?}"),
    }
    say(expert, offer(0, "x.txt")).await;
    match reply(expert).await {
        FileMessage::Failed { code, .. } => assert_eq!(code, "unknown_transfer"),
        other => panic!("not refused: {other:?}"),
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // The file browser is refused too, and deletes nothing.
    std::fs::write(dir.path().join("keep.txt"), b"keep").unwrap();
    for op in [
        FsOp::List {
            path: String::new(),
        },
        FsOp::Delete {
            path: "keep.txt".into(),
        },
        FsOp::Download {
            path: "keep.txt".into(),
        },
    ] {
        say(expert, FileMessage::Fs { request: 1, op }).await;
        match reply(expert).await {
            FileMessage::FsFailed { code, .. } => assert_eq!(code, "not_granted"),
            other => panic!("not refused: {other:?}"),
        }
    }
    assert_eq!(std::fs::read(dir.path().join("keep.txt")).unwrap(), b"keep");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modified_expert_cannot_browse_or_change_anything_outside_the_shared_folder() {
    let pair = peers::connected("files").await;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("home");
    std::fs::create_dir_all(shared.join("Documents")).unwrap();
    std::fs::write(dir.path().join("secret"), b"outside").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path(), shared.join("Documents/up")).unwrap();
    let _client = Transfers::start(
        pair.remote.clone(),
        RoundTrip::unknown(),
        1,
        dir.path().join("Downloads"),
        Some(shared.clone()),
        true,
        |_| {},
    );
    let expert = &pair.local;

    let hostile = [
        FsOp::List { path: "..".into() },
        FsOp::List { path: "/".into() },
        FsOp::List {
            path: "Documents/up".into(),
        },
        FsOp::Delete {
            path: "../secret".into(),
        },
        FsOp::Delete {
            path: "Documents/up/secret".into(),
        },
        FsOp::Delete {
            path: String::new(),
        },
        FsOp::Rename {
            from: "../secret".into(),
            to: "mine".into(),
        },
        FsOp::Rename {
            from: "Documents".into(),
            to: "Documents/up/moved".into(),
        },
        FsOp::Copy {
            from: "Documents/up/secret".into(),
            to: "stolen".into(),
        },
        FsOp::Mkdir {
            path: "/tmp/evil".into(),
        },
        FsOp::Download {
            path: "../secret".into(),
        },
        FsOp::Download {
            path: "Documents/up/secret".into(),
        },
    ];
    for (request, op) in hostile.into_iter().enumerate() {
        let request = request as u32;
        say(
            expert,
            FileMessage::Fs {
                request,
                op: op.clone(),
            },
        )
        .await;
        match reply(expert).await {
            FileMessage::FsFailed {
                request: r, code, ..
            } => {
                assert_eq!(r, request);
                assert!(
                    ["unsafe_name", "symlink", "root"].contains(&code.as_str()),
                    "{op:?} failed with {code}"
                );
            }
            other => panic!("{op:?} was not refused: {other:?}"),
        }
    }
    // Uploading into a folder outside is refused before any byte moves.
    say(
        expert,
        FileMessage::Start {
            transfer: 0,
            name: "evil".into(),
            files: 1,
            bytes: 5,
            into: Some("Documents/up".into()),
        },
    )
    .await;
    match reply(expert).await {
        FileMessage::Failed { code, .. } => assert_eq!(code, "symlink"),
        other => panic!("the upload was not refused: {other:?}"),
    }

    assert_eq!(
        std::fs::read(dir.path().join("secret")).unwrap(),
        b"outside"
    );
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["home", "secret"]);
    let listed = std::fs::read_dir(shared.join("Documents")).unwrap().count();
    assert_eq!(listed, 1, "only the link the test made");
}

/// The names under `folder`, sorted.
fn names(folder: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

async fn refused(expert: &Channel, message: FileMessage) -> String {
    say(expert, message).await;
    match reply(expert).await {
        FileMessage::Failed { code, .. } | FileMessage::FsFailed { code, .. } => code,
        other => panic!("not refused: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modified_expert_cannot_plant_a_backdoor_in_the_shared_folder() {
    let pair = peers::connected("files").await;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("Shared");
    std::fs::create_dir_all(shared.join(".config/autostart")).unwrap();
    std::fs::create_dir_all(shared.join(".ssh")).unwrap();
    std::fs::write(shared.join(".bashrc"), b"# the user's").unwrap();
    std::fs::write(shared.join("notes.txt"), b"notes").unwrap();
    let _client = Transfers::start(
        pair.remote.clone(),
        RoundTrip::unknown(),
        1,
        dir.path().join("Downloads"),
        Some(shared.clone()),
        true,
        |_| {},
    );
    let expert = &pair.local;
    let upload = |transfer: u32, into: &str| FileMessage::Start {
        transfer,
        name: "evil".into(),
        files: 1,
        bytes: 5,
        into: Some(into.into()),
    };

    // Into a protected folder: refused before any byte moves.
    for (transfer, into) in [(0, ".config/autostart"), (2, ".ssh"), (4, ".config")] {
        assert_eq!(
            refused(expert, upload(transfer, into)).await,
            "protected_path",
            "{into}"
        );
    }
    // Into the shared folder itself (an empty `into`), under protected names.
    for (n, path) in [
        ".config/autostart/evil.desktop",
        ".ssh/authorized_keys",
        ".bashrc",
        ".profile",
        "keys/authorized_keys",
    ]
    .into_iter()
    .enumerate()
    {
        let transfer = 8 + 2 * n as u32;
        say(expert, upload(transfer, "")).await;
        assert_eq!(
            refused(expert, offer(transfer, path)).await,
            "protected_path",
            "{path}"
        );
    }
    say(expert, upload(20, "")).await;
    let folder = FileMessage::Folder {
        transfer: 20,
        path: ".config/systemd".into(),
    };
    assert_eq!(refused(expert, folder).await, "protected_path");
    // The browser can neither make, move into, download nor delete them.
    for (request, op) in [
        FsOp::Mkdir {
            path: ".local".into(),
        },
        FsOp::Rename {
            from: "notes.txt".into(),
            to: ".bashrc2".into(),
        },
        FsOp::Copy {
            from: "notes.txt".into(),
            to: ".config/autostart/x.desktop".into(),
        },
        FsOp::Delete {
            path: ".bashrc".into(),
        },
        FsOp::Download {
            path: ".ssh".into(),
        },
        FsOp::List {
            path: ".config".into(),
        },
    ]
    .into_iter()
    .enumerate()
    {
        let message = FileMessage::Fs {
            request: request as u32,
            op: op.clone(),
        };
        assert_eq!(refused(expert, message).await, "protected_path", "{op:?}");
    }
    // And the listing does not show them.
    let listed = listed_root(expert, 50).await;
    assert_eq!(listed, ["notes.txt"]);
    assert_eq!(names(&shared), [".bashrc", ".config", ".ssh", "notes.txt"]);
    assert_eq!(
        names(&shared.join(".config/autostart")),
        Vec::<String>::new()
    );
    assert_eq!(names(&shared.join(".ssh")), Vec::<String>::new());
    assert_eq!(
        std::fs::read(shared.join(".bashrc")).unwrap(),
        b"# the user's"
    );
    assert!(!dir.path().join("Downloads").exists(), "nothing arrived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_folder_is_not_shared() {
    let pair = peers::connected("files").await;
    let home = std::env::var_os("HOME").expect("a home folder").into();
    let dir = tempfile::tempdir().unwrap();
    let _client = Transfers::start(
        pair.remote.clone(),
        RoundTrip::unknown(),
        1,
        dir.path().join("Downloads"),
        Some(home),
        true,
        |_| {},
    );
    let expert = &pair.local;
    let list = FileMessage::Fs {
        request: 1,
        op: FsOp::List {
            path: String::new(),
        },
    };
    assert_eq!(refused(expert, list).await, "shared_folder_too_wide");
    let upload = FileMessage::Start {
        transfer: 0,
        name: "x".into(),
        files: 1,
        bytes: 5,
        into: Some(String::new()),
    };
    assert_eq!(refused(expert, upload).await, "shared_folder_too_wide");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modified_expert_cannot_make_the_receiver_write_through_a_link() {
    use std::os::unix::fs::symlink;
    let pair = peers::connected("files").await;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("Shared");
    std::fs::create_dir_all(&shared).unwrap();
    let precious = dir.path().join("precious");
    std::fs::write(&precious, b"the user's own bytes").unwrap();
    // Links where the old receiver put its temporary file and sidecar, and
    // one more, all pointing outside the shared folder.
    for name in ["hello.txt.part", "hello.txt.part.json", "link.txt"] {
        symlink(&precious, shared.join(name)).unwrap();
    }
    let _client = Transfers::start(
        pair.remote.clone(),
        RoundTrip::unknown(),
        1,
        dir.path().join("Downloads"),
        Some(shared.clone()),
        true,
        |_| {},
    );
    let expert = &pair.local;

    // A link cannot be renamed, so none can be moved to where a file goes.
    let rename = FileMessage::Fs {
        request: 1,
        op: FsOp::Rename {
            from: "link.txt".into(),
            to: "report.pdf.part".into(),
        },
    };
    assert_eq!(refused(expert, rename).await, "symlink");
    let copy = FileMessage::Fs {
        request: 2,
        op: FsOp::Copy {
            from: "link.txt".into(),
            to: "copied".into(),
        },
    };
    assert_eq!(refused(expert, copy).await, "symlink");

    // An upload of hello.txt into the shared folder.
    say(
        expert,
        FileMessage::Start {
            transfer: 0,
            name: "hello.txt".into(),
            files: 1,
            bytes: 5,
            into: Some(String::new()),
        },
    )
    .await;
    say(expert, offer(0, "hello.txt")).await;
    assert_eq!(
        reply(expert).await,
        FileMessage::Resume {
            transfer: 0,
            offset: 0
        }
    );
    // Mid-transfer, the listing shows no temporary file to aim a link at.
    let listed = listed_root(expert, 3).await;
    assert_eq!(
        listed,
        ["hello.txt.part", "hello.txt.part.json", "link.txt"]
    );
    let chunk = Chunk {
        transfer: 0,
        offset: 0,
        data: b"hello",
    }
    .encode();
    expert.send_bytes(&chunk).await.unwrap();
    say(
        expert,
        FileMessage::Done {
            transfer: 0,
            sha256: lifeline_lib::hex::encode(digest(&SHA256, b"hello").as_ref()),
        },
    )
    .await;
    match reply(expert).await {
        FileMessage::Verified { saved_as, .. } => {
            assert_eq!(saved_as, shared.join("hello.txt").display().to_string());
        }
        other => panic!("the file was not verified: {other:?}"),
    }
    assert_eq!(std::fs::read(&precious).unwrap(), b"the user's own bytes");
    assert_eq!(std::fs::read(shared.join("hello.txt")).unwrap(), b"hello");
    for name in ["hello.txt.part", "hello.txt.part.json", "link.txt"] {
        let meta = std::fs::symlink_metadata(shared.join(name)).unwrap();
        assert!(meta.file_type().is_symlink(), "{name} is still the link");
    }
    assert_eq!(
        names(&shared),
        [
            "hello.txt",
            "hello.txt.part",
            "hello.txt.part.json",
            "link.txt"
        ],
        "no temporary file is left"
    );
}

/// Announces clipboard content and sends `data` as its chunks.
async fn send_clip(expert: &Channel, clip: u32, mime: &str, announced: usize, data: &[u8]) {
    let clip_message = FileMessage::Clip {
        clip,
        mime: mime.into(),
        bytes: announced as u64,
    };
    say(expert, clip_message).await;
    for (n, part) in data.chunks(60_000).enumerate() {
        let chunk = Chunk {
            transfer: clip,
            offset: (n * 60_000) as u64,
            data: part,
        };
        expert.send_bytes(&chunk.encode()).await.unwrap();
    }
}

fn sha256_hex(data: &[u8]) -> String {
    digest(&SHA256, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A clip the client must refuse: the code it must give, the MIME type and
/// size announced, the bytes sent, and the checksum claimed (none: no end).
type BadClip<'a> = (&'a str, &'a str, usize, &'a [u8], Option<String>);

/// The code the client answers a clip with.
async fn clip_refused(expert: &Channel, clip: u32) -> String {
    match reply(expert).await {
        FileMessage::Failed { transfer, code, .. } if transfer == clip => code,
        other => panic!("clip {clip} not refused: {other:?}"),
    }
}

/// Clipboard content on the files channel, from a modified expert: without
/// the clipboard permission (files granted), and within it of a kind that
/// is not text or PNG, over 32 MiB, with a chunk out of place, fewer bytes
/// than announced, a wrong checksum, or a "PNG" that is not one: each is
/// answered `failed` with why, and nothing reaches the clipboard. A real
/// image sent after them all arrives byte for byte, and is the only thing
/// that did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modified_expert_cannot_put_anything_else_on_the_clipboard() {
    let pair = peers::connected("files").await;
    let dir = tempfile::tempdir().unwrap();
    let (reports, mut clips) = tokio::sync::mpsc::unbounded_channel();
    let client = Transfers::start(
        pair.remote.clone(),
        RoundTrip::unknown(),
        1,
        dir.path().to_owned(),
        None,
        true,
        move |report| {
            if let Report::Clip(content) = report {
                let _ = reports.send(content);
            }
        },
    );
    let expert = &pair.local;
    let text = b"ssh support@10.0.0.7";
    send_clip(expert, 0, TEXT_MIME, text.len(), text).await;
    assert_eq!(clip_refused(expert, 0).await, "not_granted");

    // Granted: a small text goes through (retried until the grant, which
    // travels beside the channel, is in).
    client.allow_clipboard(true);
    let mut clip = 2;
    let arrived = loop {
        send_clip(expert, clip, TEXT_MIME, text.len(), text).await;
        say(
            expert,
            FileMessage::ClipDone {
                clip,
                sha256: sha256_hex(text),
            },
        )
        .await;
        let refused = clip_refused(expert, clip);
        tokio::select! {
            content = clips.recv() => break content.unwrap(),
            code = refused => assert_eq!(code, "not_granted"),
        }
        clip += 2;
    };
    assert_eq!(
        arrived,
        ClipContent::Text(String::from_utf8(text.to_vec()).unwrap())
    );

    let png = lifeline_e2e::images::noise_png(400, 250, 7);
    let cases: [BadClip; 6] = [
        ("clip_kind", "text/html", 4, b"<b>x", None),
        ("too_large", PNG_MIME, MAX_CLIP_BYTES + 1, b"", None),
        ("bad_chunk", PNG_MIME, png.len(), &png[1000..2000], None),
        (
            "incomplete",
            PNG_MIME,
            png.len(),
            &png[..70_000],
            Some(sha256_hex(&png)),
        ),
        (
            "checksum",
            PNG_MIME,
            png.len(),
            &png,
            Some(sha256_hex(b"other")),
        ),
        (
            "clip_malformed",
            PNG_MIME,
            10,
            b"GIF89a....",
            Some(sha256_hex(b"GIF89a....")),
        ),
    ];
    for (want, mime, announced, data, done) in cases {
        clip += 2;
        if want == "bad_chunk" {
            // Out of place: the chunk claims to start at 1000.
            say(
                expert,
                FileMessage::Clip {
                    clip,
                    mime: mime.into(),
                    bytes: announced as u64,
                },
            )
            .await;
            let chunk = Chunk {
                transfer: clip,
                offset: 1000,
                data,
            };
            expert.send_bytes(&chunk.encode()).await.unwrap();
        } else {
            send_clip(expert, clip, mime, announced, data).await;
        }
        if let Some(sha256) = done {
            say(expert, FileMessage::ClipDone { clip, sha256 }).await;
        }
        assert_eq!(clip_refused(expert, clip).await, want, "{want}");
    }

    clip += 2;
    send_clip(expert, clip, PNG_MIME, png.len(), &png).await;
    let sha256 = sha256_hex(&png);
    say(expert, FileMessage::ClipDone { clip, sha256 }).await;
    let image = tokio::time::timeout(Duration::from_secs(10), clips.recv())
        .await
        .expect("the image arrives")
        .unwrap();
    assert_eq!(image, ClipContent::Png(png), "byte for byte");
    assert!(
        clips.try_recv().is_err(),
        "nothing else reached the clipboard"
    );
}
