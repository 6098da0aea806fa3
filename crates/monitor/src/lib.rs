//! Images watched after they ship: their inventories stored once, re-matched against every
//! advisory database update, and what changed recorded as notifications.
//!
//! * [`snapshot`]: a snapshot is an image's `drydock sbom` JSON plus its identity (name,
//!   manifest digest, platform). Layers are read once; checks only re-match stored inventories.
//! * [`store`]: the snapshot store, one code path over SQLite (embedded, the default) and
//!   PostgreSQL (fleets; several servers can share one), behind [`sql::Backend`]. Migrations
//!   are versioned files per backend under `migrations/`.
//! * [`check`]: what changed for an image (findings added, changed, removed), a full re-check,
//!   and the targeted update a server runs: advisory records added, changed or withdrawn
//!   since the last processed database, looked up through an (ecosystem, name) index of the
//!   stored inventories, re-matching only the packages those records name.
//!
//! The HTTP server and webhook delivery live in `drydock-server`; this crate knows nothing of
//! the network.

pub mod change;
pub mod check;
pub mod snapshot;
pub mod sql;
pub mod store;

pub use change::{Change, ChangeKind};
pub use check::UpdateOutcome;
pub use snapshot::Snapshot;
pub use store::{ImageRow, Notification, Store};

/// Why a monitor operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: a malformed snapshot, an unreachable or unusable database URL.
    #[error("{0}")]
    Input(String),
    /// The store failed a statement.
    #[error("monitor store: {0}")]
    Database(String),
    /// The advisory database could not be read.
    #[error(transparent)]
    Advisories(#[from] drydock_vulndb::Error),
    /// Matching failed.
    #[error(transparent)]
    Matcher(#[from] drydock_matcher::Error),
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}
