//! `drydock serve`: the monitor store for a fleet, behind an HTTP API.
//!
//! * [`api`]: versioned JSON endpoints (`/v1/…`), every one behind a bearer token with a
//!   scope ([`auth`]); uploads are size-limited and validated before anything is stored.
//! * [`updates`]: watches the advisory database file; when an update replaces it, the
//!   records added, changed or withdrawn are worked out and only the packages they name are
//!   re-matched ([`drydock_monitor::check::apply_update`]).
//! * [`delivery`]: the webhook outbox, delivered with HMAC-SHA256 signatures ([`signing`]),
//!   retried with backoff; the outbox is a table, so a restart loses nothing.
//!
//! The store is synchronous (SQLite, or PostgreSQL through the blocking client); handlers
//! reach it through `spawn_blocking`, so the async runtime never blocks on it.

pub mod api;
pub mod auth;
pub mod delivery;
pub mod signing;
pub mod updates;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use drydock_monitor::Store;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting that cannot work (plain HTTP off loopback, a missing certificate).
    #[error("{0}")]
    Config(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] drydock_monitor::Error),
    /// The listener or TLS set-up failed.
    #[error("{0}")]
    Io(String),
}

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The advisory database file (`drydock db update` replaces it; the server notices).
    pub advisories: PathBuf,
    /// PEM certificate chain and private key: serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Serve plain HTTP on an address other than loopback.
    pub allow_plaintext: bool,
    /// The largest snapshot upload accepted, in bytes.
    pub max_upload: usize,
    /// How often the advisory database file is looked at.
    pub poll: Duration,
    /// How often the outbox is looked at.
    pub delivery_poll: Duration,
    /// First retry delay; each further retry doubles it, up to an hour.
    pub retry_base: Duration,
    /// Attempts before a delivery is given up (kept, marked failed).
    pub max_attempts: i64,
    /// How long one webhook request may take.
    pub webhook_timeout: Duration,
}

impl Config {
    /// The defaults, listening on `listen` and watching `advisories`.
    pub fn new(listen: SocketAddr, advisories: PathBuf) -> Config {
        Config {
            listen,
            advisories,
            tls: None,
            allow_plaintext: false,
            max_upload: drydock_monitor::snapshot::MAX_SNAPSHOT_BYTES,
            poll: Duration::from_secs(60),
            delivery_poll: Duration::from_secs(2),
            retry_base: Duration::from_secs(10),
            max_attempts: 12,
            webhook_timeout: Duration::from_secs(10),
        }
    }

    /// Plain HTTP only on loopback, unless asked for explicitly: tokens travel in headers.
    pub fn check(&self) -> Result<(), Error> {
        if self.tls.is_none() && !self.listen.ip().is_loopback() && !self.allow_plaintext {
            return Err(Error::Config(format!(
                "refusing to serve plain HTTP on {} (not loopback): give --tls-cert and --tls-key, or --allow-plaintext",
                self.listen
            )));
        }
        Ok(())
    }
}

/// Counters for `/v1/metrics`.
#[derive(Default)]
pub struct Counters {
    /// `drydock_http_requests_total`.
    pub requests: AtomicU64,
    /// `drydock_http_unauthorized_total`.
    pub unauthorized: AtomicU64,
    /// `drydock_uploads_total`.
    pub uploads: AtomicU64,
    /// `drydock_uploads_rejected_total`.
    pub uploads_rejected: AtomicU64,
    /// `drydock_advisory_updates_total`.
    pub updates: AtomicU64,
    /// `drydock_advisory_update_failures_total`.
    pub update_failures: AtomicU64,
    /// `drydock_advisory_update_last_timestamp_seconds`.
    pub last_update: AtomicU64,
    /// `drydock_advisory_update_last_duration_milliseconds`.
    pub last_update_millis: AtomicU64,
    /// Webhook deliveries made.
    pub deliveries: AtomicU64,
    /// `drydock_webhook_attempts_failed_total`.
    pub delivery_failures: AtomicU64,
}

/// What every request handler and background task shares.
pub struct State {
    /// The snapshot store.
    pub store: Arc<Store>,
    /// The settings.
    pub config: Config,
    /// The advisory database the last processed update opened (`None` before one exists).
    pub advisories: tokio::sync::RwLock<Option<Arc<drydock_vulndb::Store>>>,
    /// The metrics.
    pub counters: Counters,
    /// Wakes the update watcher at once (`POST /v1/advisories/check`).
    pub check_now: tokio::sync::Notify,
    /// When the server started, for `/v1/health`.
    pub started: std::time::Instant,
}

/// The server's log: one timestamped line on standard error.
#[allow(clippy::print_stderr)]
pub fn log(message: impl std::fmt::Display) {
    eprintln!(
        "drydock serve: {} {message}",
        jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ")
    );
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(store: Store, config: Config) -> Result<(), Error> {
    config.check()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("starting the runtime: {e}")))?;
    runtime.block_on(serve(store, config))
}

async fn serve(store: Store, config: Config) -> Result<(), Error> {
    let state = Arc::new(State {
        store: Arc::new(store),
        config: config.clone(),
        advisories: tokio::sync::RwLock::new(None),
        counters: Counters::default(),
        check_now: tokio::sync::Notify::new(),
        started: std::time::Instant::now(),
    });
    // The database as it is now is processed before the first request, so a snapshot pushed
    // at start is matched against it, not stored unmatched.
    if config.advisories.is_file()
        && let Err(e) = updates::process(&state).await
    {
        log(format!("advisory update failed: {e}"));
    }
    tokio::spawn(updates::watch(state.clone()));
    tokio::spawn(delivery::run(state.clone()));
    let app = api::router(state.clone());
    let handle = axum_server::Handle::new();
    let shutdown = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        shutdown.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    match &config.tls {
        Some((cert, key)) => {
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|e| Error::Config(format!("TLS certificate or key: {e}")))?;
            log(format!("listening on https://{}", config.listen));
            axum_server::bind_rustls(config.listen, tls)
                .handle(handle)
                .serve(service)
                .await
        }
        None => {
            log(format!("listening on http://{}", config.listen));
            axum_server::bind(config.listen)
                .handle(handle)
                .serve(service)
                .await
        }
    }
    .map_err(|e| Error::Io(format!("{}: {e}", config.listen)))?;
    log("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = ctrl_c.await;
            return;
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

/// Runs store work off the async threads.
pub async fn blocking<T: Send + 'static>(
    store: &Arc<Store>,
    work: impl FnOnce(&Store) -> Result<T, drydock_monitor::Error> + Send + 'static,
) -> Result<T, drydock_monitor::Error> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || work(&store))
        .await
        .unwrap_or_else(|e| {
            Err(drydock_monitor::Error::Database(format!(
                "a store task failed: {e}"
            )))
        })
}
