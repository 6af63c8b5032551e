//! The client's system information, for the expert's panel (the
//! `system_info` permission): a snapshot of the computer, taken on the
//! client when the expert asks, within the grants, and sent on the control
//! channel. [`snapshot`] is what crosses the wire, [`collect`] takes it
//! from the running system.

pub mod collect;
pub mod snapshot;

pub use snapshot::SystemSnapshot;
