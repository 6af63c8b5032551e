//! File and folder transfer.
//!
//! - [`safe_path`]: received names are vetted before anything touches disk.
//! - `lookalike`: characters that make a name look like another one.
//! - [`protected`]: hidden, start-up, shell and credential places the peer
//!   may never touch, and which folders may be shared at all.
//! - [`wire`]: the `files` channel's JSON messages and binary chunk frames.
//! - [`send`]: what a picked file or folder consists of, and reading one
//!   file in chunks from a resume point, hashing as it goes.
//! - `partial`: the receiver's temporary files, under names it picks,
//!   never through a link, and their final name that replaces nothing.
//! - [`receive`]: writing one file to a temporary file, resuming a kept
//!   one of the same file, and naming it only when its SHA-256 matches.
//! - [`remote_fs`]: the client's shared folder as the expert's file browser
//!   sees it: list, mkdir, rename or move, copy, delete, download.
//! - [`progress`]: a transfer as the UI sees it.
//! - `pump`: sending one transfer's files in order.
//! - `pace`, `paced`: how much of a file may wait in the connection, so
//!   what is sent beside it does not wait long behind it.
//! - [`runner`]: the session's task on the `files` channel, sending and
//!   receiving within the `files` permission, with progress.

pub mod error;
pub(crate) mod lookalike;
mod pace;
mod paced;
mod partial;
pub mod progress;
pub mod protected;
mod pump;
mod read_ahead;
pub mod receive;
pub mod remote_fs;
pub mod runner;
pub mod safe_path;
pub mod send;
pub mod wire;
#[cfg(test)]
mod wire_golden;
mod writer;
