//! What every connection and HTTP handler shares: handles to the owners of
//! state (the hub, the databases' stores, the limits), never the state.

use std::sync::Arc;

use sqlx::AnyPool;

use crate::accounts::Accounts;
use crate::audit::AuditHandle;
use crate::config::Config;
use crate::hub::HubHandle;
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::policy::PolicyStore;
use crate::records::RecordsHandle;

#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    pub pool: AnyPool,
    pub hub: HubHandle,
    pub accounts: Accounts,
    pub records: RecordsHandle,
    pub audit: AuditHandle,
    pub limits: Limits,
    pub policy: PolicyStore,
    /// What `/client-config` and `/get-help` say of the desk.
    pub front: crate::get_help::card::Front,
    /// Console sign-ins between the password and the second factor.
    pub console_pending: crate::console::PendingSignIns,
    /// Exports running at once: each holds a database connection while
    /// it streams, so a few slow downloads cannot take the pool.
    pub console_exports: Arc<tokio::sync::Semaphore>,
    pub metrics: Arc<Metrics>,
    /// Becomes true when the server shuts down: connections say goodbye
    /// (close code 1001) instead of holding the shutdown open.
    pub closing: tokio::sync::watch::Receiver<bool>,
}
