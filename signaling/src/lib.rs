//! Lifeline's signaling server, as a library with a thin binary.
//!
//! # Layout
//! - [`protocol`]: the wire types shared with the app (always built; the app
//!   uses this crate with default features off and gets only this).
//! - [`ids`]: one-time six-digit client IDs: issue, expire, use, supersede.
//! - [`pairings`]: who is paired with whom; pending requests and sessions.
//! - [`hub`]: the one owner of IDs, pairings and outboxes, as a task.
//! - [`connect_gate`]: the hub's limits on experts' connects: back-off
//!   per account and address, a desk-wide budget of misses, and requests
//!   per client ID, checked and counted in one step.
//! - [`connection`]: one task per WebSocket; parses, bounds, limits, asks.
//! - [`accounts`]: expert accounts and login tokens (argon2id, hashed tokens).
//! - [`records`]: the session records, written by one task.
//! - [`limits`] and [`backoff`]: rate limits, sign-in back-off, connection
//!   caps.
//! - [`ice`]: STUN/TURN servers and coturn REST credentials.
//! - [`untrusted`]: network text escaped and cut short for the logs.
//! - [`listener`]: the accept loop: caps on connections (all, and per
//!   address) at accept, hyper with a header-read timeout, shutdown.
//! - [`http`]: the routes: `/ws`, `/healthz`, `/metrics`, `/api/sessions`,
//!   `/api/audit`, and who may read each.
//! - [`get_help`]: `/client-config`, `/get-help` and `/downloads/…`: the
//!   desk's card for a branded client, and its installers.
//! - [`frames`]: the WebSocket size limit and its close code 1009.
//!
//! # Run loop
//! [`serve`] opens the database, starts the records writer and the hub,
//! then accepts connections, each on its own task once it has a place
//! under the caps; each upgraded WebSocket gets its own task holding an
//! `Arc` of [`state::Shared`] and its places. Shutting down stops
//! accepting, lets HTTP requests under way finish, and tells WebSockets to
//! close (1001).

pub mod protocol;

#[doc(hidden)]
pub mod fuzzing;

#[cfg(feature = "server")]
pub mod accounts;
#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod backoff;
#[cfg(feature = "server")]
pub mod cluster;
#[cfg(feature = "server")]
mod code_lock;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod connect_gate;
#[cfg(feature = "server")]
pub mod connection;
#[cfg(feature = "server")]
pub mod console;
#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod frames;
#[cfg(feature = "server")]
pub mod get_help;
#[cfg(feature = "server")]
pub mod http;
#[cfg(feature = "server")]
pub mod hub;
#[cfg(feature = "server")]
pub mod ice;
#[cfg(feature = "server")]
pub mod ids;
#[cfg(feature = "server")]
pub mod limits;
#[cfg(feature = "server")]
pub mod listener;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
pub mod pairings;
#[cfg(feature = "server")]
pub mod policy;
#[cfg(feature = "server")]
mod random;
#[cfg(feature = "server")]
pub mod reconnects;
#[cfg(feature = "server")]
pub mod records;
#[cfg(feature = "server")]
pub mod report;
#[cfg(feature = "server")]
pub mod report_pages;
#[cfg(feature = "server")]
pub mod sign_in;
#[cfg(feature = "server")]
pub mod state;
#[cfg(feature = "server")]
pub mod untrusted;

#[cfg(feature = "server")]
pub use config::Config;
#[cfg(feature = "server")]
pub use http::{ServeError, serve};
