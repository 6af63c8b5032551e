//! File and folder transfer. Received names pass [`safe_path`] before
//! anything touches the disk.

pub mod safe_path;
