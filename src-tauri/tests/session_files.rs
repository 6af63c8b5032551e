//! File transfer between two real engines over real WebRTC: a folder with
//! nested files and an empty folder goes to the client, a file comes back,
//! both with identical SHA-256; a transfer cut off by the end of the session
//! resumes in the next one where the receiver's copy ends.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{
    InputRecorder, MemoryClipboard, downloads_of, establish, side_with, start_desk, wait_for,
};
use lifeline_lib::desk::link::DeskLink;
use lifeline_lib::session::engine::{Command, SessionHandle};
use lifeline_lib::session::log::{EventCode, LogEntry};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::view::{Phase, SessionView};
use lifeline_lib::transfer::runner::{Direction, State};
use lifeline_signaling::protocol::Role;
use ring::digest::{SHA256, digest};

fn files_only() -> Scopes {
    [Scope::Files].into_iter().collect()
}

/// Pseudo-random bytes (xorshift), so a wrong offset cannot go unnoticed.
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The receiver's temporary file in `folder`, if there is one: it names
/// it itself (`.lifeline-<random>.part`), so the test looks for it.
fn temporary_in(folder: &Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(".lifeline-") && name.ends_with(".part")
        })
}

fn sha(path: &Path) -> Vec<u8> {
    digest(&SHA256, &std::fs::read(path).unwrap())
        .as_ref()
        .to_vec()
}

async fn transfer_ends(side: &SessionHandle, direction: Direction, count: usize) -> SessionView {
    wait_for(&mut side.subscribe(), "the transfer to end", |v| {
        v.transfers
            .iter()
            .filter(|t| t.direction == direction && t.state != State::Running)
            .count()
            >= count
    })
    .await
}

struct Pair {
    client_link: DeskLink,
    client: SessionHandle,
    expert_link: DeskLink,
    expert: SessionHandle,
}

fn pair(url: &str, dir: &Path) -> Pair {
    let (input, clip) = (InputRecorder::default(), MemoryClipboard::default());
    let (client_link, client) = side_with(url, Role::Client, &dir.join("client"), &input, &clip);
    let (expert_link, expert) = side_with(url, Role::Expert, &dir.join("expert"), &input, &clip);
    Pair {
        client_link,
        client,
        expert_link,
        expert,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_and_files_go_both_ways_intact() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let p = pair(&url, dir.path());
    establish(
        &p.client_link,
        &p.client,
        &p.expert_link,
        &p.expert,
        files_only(),
        files_only(),
    )
    .await;

    // The expert sends a folder: nested files and an empty folder.
    let source = dir.path().join("source/tools");
    std::fs::create_dir_all(source.join("drivers/empty")).unwrap();
    std::fs::write(source.join("readme.txt"), "run setup.exe").unwrap();
    std::fs::write(source.join("drivers/net.bin"), random_bytes(5 << 20, 7)).unwrap();
    p.expert
        .command(Command::SendFiles {
            path: source.clone(),
            into: None,
        })
        .await
        .unwrap();
    let sent = transfer_ends(&p.expert, Direction::Outgoing, 1).await;
    let outgoing = &sent.transfers[0];
    assert_eq!(outgoing.state, State::Done, "{outgoing:?}");
    assert_eq!((outgoing.files, outgoing.files_done), (2, 2));
    let received = transfer_ends(&p.client, Direction::Incoming, 1).await;
    assert_eq!(received.transfers[0].state, State::Done);
    let client_downloads = downloads_of(&dir.path().join("client"));
    for file in ["readme.txt", "drivers/net.bin"] {
        assert_eq!(
            sha(&client_downloads.join("tools").join(file)),
            sha(&source.join(file)),
            "{file}"
        );
    }
    assert!(client_downloads.join("tools/drivers/empty").is_dir());
    assert_eq!(temporary_in(&client_downloads.join("tools/drivers")), None);

    // The client sends a file back.
    let report = dir.path().join("diagnostics.zip");
    std::fs::write(&report, random_bytes(3 << 20, 11)).unwrap();
    p.client
        .command(Command::SendFiles {
            path: report.clone(),
            into: None,
        })
        .await
        .unwrap();
    transfer_ends(&p.client, Direction::Outgoing, 1).await;
    transfer_ends(&p.expert, Direction::Incoming, 1).await;
    let expert_downloads = downloads_of(&dir.path().join("expert"));
    assert_eq!(sha(&expert_downloads.join("diagnostics.zip")), sha(&report));

    // The same name again does not overwrite.
    p.client
        .command(Command::SendFiles {
            path: report.clone(),
            into: None,
        })
        .await
        .unwrap();
    transfer_ends(&p.expert, Direction::Incoming, 2).await;
    assert!(expert_downloads.join("diagnostics (1).zip").exists());

    // Without the grant, nothing moves.
    p.client
        .command(Command::SetGrants(Scopes::NONE))
        .await
        .unwrap();
    wait_for(
        &mut p.expert.subscribe(),
        "the withdrawal",
        |v| matches!(&v.phase, Phase::Active { scopes, .. } if scopes.is_empty()),
    )
    .await;
    p.expert
        .command(Command::SendFiles {
            path: source.join("readme.txt"),
            into: None,
        })
        .await
        .unwrap();
    wait_for(&mut p.expert.subscribe(), "the refusal", |v| {
        v.notice.as_ref().is_some_and(|n| n.code == "not_granted")
    })
    .await;
    assert!(!client_downloads.join("readme.txt").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_cut_off_resumes_in_the_next_session() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("image.iso");
    // Large enough that the cut lands mid-file on an idle machine too
    // (progress is published every 250 ms; 48 MiB could finish before).
    let size = 160 << 20;
    std::fs::write(&big, random_bytes(size, 3)).unwrap();
    let client_downloads = downloads_of(&dir.path().join("client"));

    let first = pair(&url, dir.path());
    establish(
        &first.client_link,
        &first.client,
        &first.expert_link,
        &first.expert,
        files_only(),
        files_only(),
    )
    .await;
    first
        .expert
        .command(Command::SendFiles {
            path: big.clone(),
            into: None,
        })
        .await
        .unwrap();
    // Cut the session once a part has arrived.
    wait_for(&mut first.client.subscribe(), "a part to arrive", |v| {
        v.transfers.iter().any(|t| t.bytes_done > (4 << 20))
    })
    .await;
    first.client.command(Command::Stop).await.unwrap();
    wait_for(&mut first.expert.subscribe(), "the end", |v| {
        v.phase == Phase::Idle
    })
    .await;
    wait_for(&mut first.client.subscribe(), "the client's end", |v| {
        v.phase == Phase::Idle
    })
    .await;
    // The client's writer may still flush the chunks it had taken in: the
    // kept copy is what stays once it stops growing.
    let part = temporary_in(&client_downloads).unwrap_or_else(|| {
        let listed: Vec<_> = std::fs::read_dir(&client_downloads)
            .map(|d| d.map(|e| e.unwrap().file_name()).collect())
            .unwrap_or_default();
        panic!("no kept partial copy among {listed:?}")
    });
    let mut kept = std::fs::metadata(&part).unwrap().len();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = std::fs::metadata(&part).unwrap().len();
        if now == kept {
            break;
        }
        kept = now;
    }
    assert!(kept > 0 && kept < size as u64, "kept {kept} bytes");
    assert!(!client_downloads.join("image.iso").exists());
    drop(first);

    // A new session, the same file: it continues where the copy ends.
    let second = pair(&url, dir.path());
    establish(
        &second.client_link,
        &second.client,
        &second.expert_link,
        &second.expert,
        files_only(),
        files_only(),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    second
        .expert
        .command(Command::SendFiles {
            path: big.clone(),
            into: None,
        })
        .await
        .unwrap();
    let done = transfer_ends(&second.client, Direction::Incoming, 1).await;
    assert_eq!(done.transfers[0].state, State::Done, "{:?}", done.transfers);
    assert_eq!(sha(&client_downloads.join("image.iso")), sha(&big));
    assert!(!part.exists());
    let log = second.client.log().await.unwrap();
    let resumed = log.iter().find_map(|item| match &item.entry {
        LogEntry::Event { code, detail, .. } if *code == EventCode::TransferResumed => {
            Some(detail.clone())
        }
        _ => None,
    });
    let resumed = resumed.expect("the second session resumed");
    let at: u64 = resumed.rsplit(' ').next().unwrap().parse().unwrap();
    assert_eq!(at, kept, "resumed where the kept copy ends");
}

/// The expert's file browser on the client's shared folder.
mod browser {
    use super::*;
    use common::shared_of;
    use lifeline_lib::transfer::remote_fs::EntryKind;
    use lifeline_lib::transfer::wire::FsOp;

    /// Sends `op` and waits for the listing that follows it (every change is
    /// followed by a fresh listing of the folder on show).
    async fn browse(
        expert: &SessionHandle,
        op: FsOp,
        shows: impl Fn(&[(String, EntryKind)]) -> bool,
    ) {
        let mut views = expert.subscribe();
        views.borrow_and_update();
        expert.command(Command::Browse(op.clone())).await.unwrap();
        wait_for(&mut views, "the file browser to show the change", |v| {
            v.remote_files.as_ref().is_some_and(|f| {
                assert!(f.error.is_none(), "{op:?}: {:?}", f.error);
                let entries: Vec<_> = f
                    .listing
                    .entries
                    .iter()
                    .map(|e| (e.name.clone(), e.kind))
                    .collect();
                shows(&entries)
            })
        })
        .await;
    }

    fn has(entries: &[(String, EntryKind)], name: &str, kind: EntryKind) -> bool {
        entries.iter().any(|(n, k)| n == name && *k == kind)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_expert_lists_changes_uploads_and_downloads_the_clients_files() {
        let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
        let dir = tempfile::tempdir().unwrap();
        let shared = shared_of(&dir.path().join("client"));
        std::fs::create_dir_all(shared.join("Documents")).unwrap();
        std::fs::write(shared.join("Documents/report.txt"), "quarterly").unwrap();
        let p = pair(&url, dir.path());
        establish(
            &p.client_link,
            &p.client,
            &p.expert_link,
            &p.expert,
            files_only(),
            files_only(),
        )
        .await;

        browse(
            &p.expert,
            FsOp::List {
                path: String::new(),
            },
            |e| has(e, "Documents", EntryKind::Folder),
        )
        .await;
        browse(
            &p.expert,
            FsOp::List {
                path: "Documents".into(),
            },
            |e| has(e, "report.txt", EntryKind::File),
        )
        .await;
        browse(
            &p.expert,
            FsOp::Mkdir {
                path: "Documents/Logs".into(),
            },
            |e| has(e, "Logs", EntryKind::Folder),
        )
        .await;
        browse(
            &p.expert,
            FsOp::Copy {
                from: "Documents/report.txt".into(),
                to: "Documents/report.txt".into(),
            },
            |e| has(e, "report (1).txt", EntryKind::File),
        )
        .await;
        browse(
            &p.expert,
            FsOp::Rename {
                from: "Documents/report (1).txt".into(),
                to: "Documents/Logs/old.txt".into(),
            },
            |e| !has(e, "report (1).txt", EntryKind::File),
        )
        .await;
        assert_eq!(
            std::fs::read_to_string(shared.join("Documents/Logs/old.txt")).unwrap(),
            "quarterly"
        );

        // Upload into the folder picked in the browser, not Downloads.
        let tool = dir.path().join("fix.sh");
        std::fs::write(&tool, random_bytes(300_000, 3)).unwrap();
        p.expert
            .command(Command::SendFiles {
                path: tool.clone(),
                into: Some("Documents/Logs".into()),
            })
            .await
            .unwrap();
        let received = transfer_ends(&p.client, Direction::Incoming, 1).await;
        assert_eq!(received.transfers[0].state, State::Done);
        assert_eq!(sha(&shared.join("Documents/Logs/fix.sh")), sha(&tool));

        // Download: the client sends it to the expert's Downloads.
        p.expert
            .command(Command::Browse(FsOp::Download {
                path: "Documents/report.txt".into(),
            }))
            .await
            .unwrap();
        let fetched = transfer_ends(&p.expert, Direction::Incoming, 1).await;
        assert_eq!(fetched.transfers[0].state, State::Done);
        assert_eq!(
            std::fs::read_to_string(downloads_of(&dir.path().join("expert")).join("report.txt"))
                .unwrap(),
            "quarterly"
        );

        browse(
            &p.expert,
            FsOp::Delete {
                path: "Documents/Logs".into(),
            },
            |e| !has(e, "Logs", EntryKind::Folder),
        )
        .await;
        assert!(!shared.join("Documents/Logs").exists());

        // A refused request shows its reason and changes nothing.
        let mut views = p.expert.subscribe();
        p.expert
            .command(Command::Browse(FsOp::Delete {
                path: "../client.downloads".into(),
            }))
            .await
            .unwrap();
        let refused = wait_for(&mut views, "the refusal", |v| {
            v.remote_files.as_ref().is_some_and(|f| f.error.is_some())
        })
        .await;
        let error = refused.remote_files.unwrap().error.unwrap();
        assert_eq!(error.code, "unsafe_name");

        // The client's running log names every change the expert made.
        let log = p.client.log().await.unwrap();
        let changes: Vec<String> = log
            .iter()
            .filter_map(|item| match &item.entry {
                LogEntry::Event { code, detail, .. } if *code == EventCode::FilesChanged => {
                    Some(detail.clone())
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            changes,
            [
                "created folder /Documents/Logs",
                "copied /Documents/report.txt to /Documents/report.txt",
                "moved /Documents/report (1).txt to /Documents/Logs/old.txt",
                "downloaded /Documents/report.txt",
                "deleted /Documents/Logs",
            ]
        );
    }
}
