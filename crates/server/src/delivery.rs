//! Webhook delivery from the outbox: claimed with a lease (servers sharing a database never
//! send one delivery twice at once), signed, posted, then marked delivered or rescheduled with
//! exponential backoff. A delivery interrupted by a restart is claimed again when its lease
//! runs out, so receivers should treat `X-Drydock-Delivery` as an idempotency key.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use drydock_monitor::store::Delivery;

use crate::signing::{DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use crate::{State, blocking, log};

const LEASE_SECONDS: i64 = 120;

/// Delivers the outbox for ever: claims due deliveries, sends them, records the outcome.
pub async fn run(state: Arc<State>) {
    loop {
        if let Err(e) = round(&state).await {
            log(format!("webhook delivery: {e}"));
        }
        tokio::time::sleep(state.config.delivery_poll).await;
    }
}

async fn round(state: &Arc<State>) -> Result<(), drydock_monitor::Error> {
    let due = blocking(&state.store, |s| {
        s.claim_deliveries(drydock_monitor::now(), LEASE_SECONDS, 50)
    })
    .await?;
    for d in due {
        let timeout = state.config.webhook_timeout;
        let attempt = d.attempts + 1;
        let (id, url) = (d.id, d.webhook.url.clone());
        let result = tokio::task::spawn_blocking(move || post(&d, timeout))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        let now = drydock_monitor::now();
        match result {
            Ok(()) => {
                blocking(&state.store, move |s| s.delivered(id, now)).await?;
                state.counters.deliveries.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                let next = (attempt < state.config.max_attempts).then(|| {
                    let base = i64::try_from(state.config.retry_base.as_secs().max(1)).unwrap_or(3600);
                    let factor = 1_i64 << (attempt - 1).clamp(0, 20);
                    now.saturating_add(base.saturating_mul(factor).min(3600))
                });
                log(format!(
                    "webhook {url}: delivery {id} attempt {attempt} failed: {e}{}",
                    if next.is_none() { "; given up" } else { "" }
                ));
                blocking(&state.store, move |s| s.delivery_failed(id, &e, next, now)).await?;
                // Counted once recorded: the count then says what a restart will find.
                state.counters.delivery_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}

fn post(d: &Delivery, timeout: Duration) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let timestamp = drydock_monitor::now();
    let body = d.payload.as_bytes();
    let response = agent
        .post(&d.webhook.url)
        .header("Content-Type", "application/json")
        .header("User-Agent", concat!("drydock/", env!("CARGO_PKG_VERSION")))
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, sign(&d.webhook.secret, timestamp, body))
        .header(DELIVERY_HEADER, d.id.to_string())
        .send(body)
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
    }
}
