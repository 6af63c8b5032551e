//! Every file-channel message with the JSON it has on the wire
//! (docs/peer-protocol.md). A new kind of message, or of file-browser
//! request, does not compile in `kind` until it is added here with its
//! golden JSON.

use super::remote_fs::{Entry, EntryKind};
use super::wire::{FileMessage, FsOp};

/// Thirteen messages besides `fs`, and six file-browser requests.
const KINDS: usize = 13 + 6;

fn kind(message: &FileMessage) -> &'static str {
    match message {
        FileMessage::Start { .. } => "start",
        FileMessage::Offer { .. } => "offer",
        FileMessage::Folder { .. } => "folder",
        FileMessage::Resume { .. } => "resume",
        FileMessage::Done { .. } => "done",
        FileMessage::Verified { .. } => "verified",
        FileMessage::Failed { .. } => "failed",
        FileMessage::Cancel { .. } => "cancel",
        FileMessage::Clip { .. } => "clip",
        FileMessage::ClipDone { .. } => "clip_done",
        FileMessage::Fs { op, .. } => match op {
            FsOp::List { .. } => "fs list",
            FsOp::Mkdir { .. } => "fs mkdir",
            FsOp::Rename { .. } => "fs rename",
            FsOp::Copy { .. } => "fs copy",
            FsOp::Delete { .. } => "fs delete",
            FsOp::Download { .. } => "fs download",
        },
        FileMessage::Listing { .. } => "listing",
        FileMessage::FsDone { .. } => "fs_done",
        FileMessage::FsFailed { .. } => "fs_failed",
    }
}

fn fs(op: FsOp) -> FileMessage {
    FileMessage::Fs { request: 3, op }
}

/// A transfer's messages, both ways.
fn transfers() -> Vec<(FileMessage, &'static str)> {
    vec![
        (
            FileMessage::Start {
                transfer: 2,
                name: "logs".into(),
                files: 3,
                bytes: 4096,
                into: Some("Documents".into()),
            },
            r#"{"type":"start","transfer":2,"name":"logs","files":3,"bytes":4096,"into":"Documents"}"#,
        ),
        (
            FileMessage::Offer {
                transfer: 2,
                path: "logs/a.txt".into(),
                size: 10,
                modified_ms: 1700000000000,
            },
            r#"{"type":"offer","transfer":2,"path":"logs/a.txt","size":10,"modified_ms":1700000000000}"#,
        ),
        (
            FileMessage::Folder {
                transfer: 2,
                path: "logs/empty".into(),
            },
            r#"{"type":"folder","transfer":2,"path":"logs/empty"}"#,
        ),
        (
            FileMessage::Resume {
                transfer: 2,
                offset: 65536,
            },
            r#"{"type":"resume","transfer":2,"offset":65536}"#,
        ),
        (
            FileMessage::Done {
                transfer: 2,
                sha256: "abababababababababababababababababababababababababababababababab".into(),
            },
            r#"{"type":"done","transfer":2,"sha256":"abababababababababababababababababababababababababababababababab"}"#,
        ),
        (
            FileMessage::Verified {
                transfer: 2,
                saved_as: "/home/ann/Downloads/a.txt".into(),
            },
            r#"{"type":"verified","transfer":2,"saved_as":"/home/ann/Downloads/a.txt"}"#,
        ),
        (
            FileMessage::Failed {
                transfer: 2,
                code: "unsafe_name".into(),
                message: "the name is not safe".into(),
            },
            r#"{"type":"failed","transfer":2,"code":"unsafe_name","message":"the name is not safe"}"#,
        ),
        (
            FileMessage::Cancel { transfer: 2 },
            r#"{"type":"cancel","transfer":2}"#,
        ),
        (
            FileMessage::Clip {
                clip: 4,
                mime: "image/png".into(),
                bytes: 81234,
            },
            r#"{"type":"clip","clip":4,"mime":"image/png","bytes":81234}"#,
        ),
        (
            FileMessage::ClipDone {
                clip: 4,
                sha256: "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd".into(),
            },
            r#"{"type":"clip_done","clip":4,"sha256":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"}"#,
        ),
    ]
}

/// The file browser's requests and answers.
fn browsing() -> Vec<(FileMessage, &'static str)> {
    vec![
        (
            fs(FsOp::List {
                path: "Documents".into(),
            }),
            r#"{"type":"fs","request":3,"op":{"op":"list","path":"Documents"}}"#,
        ),
        (
            fs(FsOp::Mkdir {
                path: "Logs".into(),
            }),
            r#"{"type":"fs","request":3,"op":{"op":"mkdir","path":"Logs"}}"#,
        ),
        (
            fs(FsOp::Rename {
                from: "a".into(),
                to: "b".into(),
            }),
            r#"{"type":"fs","request":3,"op":{"op":"rename","from":"a","to":"b"}}"#,
        ),
        (
            fs(FsOp::Copy {
                from: "a".into(),
                to: "c".into(),
            }),
            r#"{"type":"fs","request":3,"op":{"op":"copy","from":"a","to":"c"}}"#,
        ),
        (
            fs(FsOp::Delete { path: "b".into() }),
            r#"{"type":"fs","request":3,"op":{"op":"delete","path":"b"}}"#,
        ),
        (
            fs(FsOp::Download {
                path: "report.txt".into(),
            }),
            r#"{"type":"fs","request":3,"op":{"op":"download","path":"report.txt"}}"#,
        ),
        (
            FileMessage::Listing {
                request: 3,
                path: "Documents".into(),
                entries: vec![Entry {
                    name: "report.txt".into(),
                    kind: EntryKind::File,
                    size: 10,
                    modified_ms: 1700000000000,
                }],
                truncated: false,
                last: true,
            },
            r#"{"type":"listing","request":3,"path":"Documents","entries":[{"name":"report.txt","kind":"file","size":10,"modifiedMs":1700000000000}],"truncated":false,"last":true}"#,
        ),
        (
            FileMessage::FsDone {
                request: 3,
                detail: "c (1)".into(),
            },
            r#"{"type":"fs_done","request":3,"detail":"c (1)"}"#,
        ),
        (
            FileMessage::FsFailed {
                request: 3,
                code: "exists".into(),
                message: "b already exists".into(),
            },
            r#"{"type":"fs_failed","request":3,"code":"exists","message":"b already exists"}"#,
        ),
    ]
}

#[test]
fn every_file_message_has_its_golden_json() {
    let golden: Vec<_> = transfers().into_iter().chain(browsing()).collect();
    let kinds: std::collections::HashSet<_> = golden.iter().map(|(m, _)| kind(m)).collect();
    assert_eq!(kinds.len(), KINDS, "every kind has a golden line");
    for (message, json) in golden {
        assert_eq!(message.to_json(), json, "{}", kind(&message));
        assert_eq!(FileMessage::parse(json.as_bytes()).ok(), Some(message));
    }
}
