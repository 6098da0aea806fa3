//! The advisory database watcher: `drydock db update` (or `db import`) replaces the database
//! file with a rename; the watcher sees the file's identity change, opens it and processes
//! the update. At start the current file is processed too, so an update that happened while
//! the server was down is not missed.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::{State, log};

/// What identifies one version of the file: replaced by rename, it gets a new inode.
fn identity(path: &std::path::Path) -> Option<(u64, u64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.ino(), m.len(), m.mtime_nsec() + m.mtime() * 1_000_000_000))
}

/// Watches the advisory database file and runs the targeted update when it changes.
pub async fn watch(state: Arc<State>) {
    let mut seen = None;
    let mut missing_logged = false;
    loop {
        let now = identity(&state.config.advisories);
        if now.is_none() && !missing_logged {
            log(format!(
                "no advisory database at {} yet: snapshots are stored and matched once one exists",
                state.config.advisories.display()
            ));
            missing_logged = true;
        }
        if now.is_some() && now != seen {
            match process(&state).await {
                Ok(_) => seen = now,
                Err(e) => {
                    state.counters.update_failures.fetch_add(1, Ordering::Relaxed);
                    log(format!("advisory update failed: {e}"));
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(state.config.poll) => {}
            _ = state.check_now.notified() => {}
        }
    }
}

/// Why an advisory database update was not applied (the store is left as it was).
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The advisory database file could not be opened.
    #[error(transparent)]
    Advisories(#[from] drydock_vulndb::Error),
    /// The snapshot store failed.
    #[error(transparent)]
    Store(#[from] drydock_monitor::Error),
    /// The blocking task that re-matches panicked or was cancelled.
    #[error("the update task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Opens the database file and applies it to the store.
pub async fn process(state: &Arc<State>) -> Result<drydock_monitor::UpdateOutcome, UpdateError> {
    let path = state.config.advisories.clone();
    let store = state.store.clone();
    let started = std::time::Instant::now();
    let (db, outcome) = tokio::task::spawn_blocking(move || {
        let db = drydock_vulndb::Store::open_read_only(&path)?;
        let now = drydock_monitor::now();
        // Snapshots pushed before any database existed get their first findings now.
        for image in store.images(true)? {
            if image.checked_at.is_none() {
                drydock_monitor::check::initial_findings(&store, image.id, &db, now)?;
            }
        }
        let outcome = drydock_monitor::check::apply_update(&store, &db, now)?;
        Ok::<_, UpdateError>((db, outcome))
    })
    .await??;
    *state.advisories.write().await = Some(Arc::new(db));
    state.counters.updates.fetch_add(1, Ordering::Relaxed);
    state
        .counters
        .last_update
        .store(drydock_monitor::now() as u64, Ordering::Relaxed);
    state
        .counters
        .last_update_millis
        .store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
    log(format!(
        "advisories {}: {} added, {} changed, {} withdrawn; {} image(s) re-checked, {} notification(s){}",
        outcome.generation,
        outcome.added,
        outcome.changed,
        outcome.withdrawn,
        outcome.images_rechecked,
        outcome.notifications,
        if outcome.initial {
            " (first state: a baseline)"
        } else if outcome.skipped {
            " (already processed by another server)"
        } else {
            ""
        }
    ));
    Ok(outcome)
}
