//! The HTTP API, version 1 (`docs/server.md`, `docs/openapi.yaml`). Every endpoint needs a
//! bearer token with the scope it names; errors are `{"error": "…"}` with a 4xx or 5xx status.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{self, Scope};
use crate::{State, blocking};

/// An error answer: a status and a one-line reason, as JSON.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<drydock_monitor::Error> for ApiError {
    fn from(e: drydock_monitor::Error) -> Self {
        match e {
            drydock_monitor::Error::Input(m) => ApiError(StatusCode::BAD_REQUEST, m),
            other => {
                crate::log(format!("internal error: {other}"));
                ApiError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error (see the server log)".into(),
                )
            }
        }
    }
}

type Result<T> = std::result::Result<T, ApiError>;

/// The v1 API.
pub fn router(state: Arc<State>) -> Router {
    let limit = state.config.max_upload;
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/metrics", get(metrics))
        .route("/v1/snapshots", post(push))
        .route("/v1/images", get(images))
        .route("/v1/images/{id}", get(image).delete(remove_image))
        .route("/v1/images/{id}/findings", get(findings))
        .route("/v1/changes", get(changes))
        .route("/v1/webhooks", get(webhooks).post(add_webhook))
        .route("/v1/webhooks/{id}", delete(remove_webhook))
        .route("/v1/advisories/check", post(check_advisories))
        .fallback(|| async { ApiError(StatusCode::NOT_FOUND, "no such endpoint".into()) })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

async fn authorize(state: &Arc<State>, headers: &HeaderMap, needed: Scope) -> Result<()> {
    state.counters.requests.fetch_add(1, Ordering::Relaxed);
    let token = auth::bearer(headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()));
    let Some(token) = token else {
        state.counters.unauthorized.fetch_add(1, Ordering::Relaxed);
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "a bearer token is required".into(),
        ));
    };
    let hash = auth::hash(token);
    let scopes = blocking(&state.store, move |s| {
        s.token_scopes(&hash, drydock_monitor::now())
    })
    .await?;
    match scopes {
        None => {
            state.counters.unauthorized.fetch_add(1, Ordering::Relaxed);
            Err(ApiError(StatusCode::UNAUTHORIZED, "unknown token".into()))
        }
        Some(granted) if !auth::allows(&granted, needed) => Err(ApiError(
            StatusCode::FORBIDDEN,
            format!("this token lacks the {} scope", needed.as_str()),
        )),
        Some(_) => Ok(()),
    }
}

async fn health(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Read).await?;
    let generation = blocking(&state.store, |s| s.generation()).await?;
    let loaded = state.advisories.read().await.is_some();
    Ok(axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "store": match state.store.kind() {
            drydock_monitor::sql::Kind::Sqlite => "sqlite",
            drydock_monitor::sql::Kind::Postgres => "postgres",
        },
        "advisories": { "loaded": loaded, "generation": generation },
        "uptime_seconds": state.started.elapsed().as_secs(),
    })))
}

async fn metrics(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Read).await?;
    let (counts, outbox) = blocking(&state.store, |s| Ok((s.counts()?, s.outbox_counts()?))).await?;
    let c = &state.counters;
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, v) in samples {
            out.push_str(&format!("{name}{labels} {v}\n"));
        }
    };
    let get = |k: &str| counts.get(k).copied().unwrap_or_default() as u64;
    metric(
        "drydock_images",
        "gauge",
        "Images whose current snapshot is monitored.",
        &[("", get("images"))],
    );
    metric(
        "drydock_snapshots",
        "gauge",
        "Snapshots stored, current or not.",
        &[("", get("snapshots"))],
    );
    metric(
        "drydock_findings",
        "gauge",
        "Findings of the current snapshots' last checks.",
        &[("", get("findings"))],
    );
    metric(
        "drydock_notifications",
        "gauge",
        "Notifications stored.",
        &[("", get("notifications"))],
    );
    metric(
        "drydock_advisory_records",
        "gauge",
        "Advisory records in the last processed database.",
        &[("", get("advisories"))],
    );
    metric(
        "drydock_webhook_deliveries",
        "gauge",
        "Outbox entries by state.",
        &[
            ("{state=\"pending\"}", outbox.pending as u64),
            ("{state=\"delivered\"}", outbox.delivered as u64),
            ("{state=\"failed\"}", outbox.failed as u64),
        ],
    );
    metric(
        "drydock_http_requests_total",
        "counter",
        "API requests.",
        &[("", load(&c.requests))],
    );
    metric(
        "drydock_http_unauthorized_total",
        "counter",
        "Requests refused for a missing or unknown token.",
        &[("", load(&c.unauthorized))],
    );
    metric(
        "drydock_uploads_total",
        "counter",
        "Snapshots accepted.",
        &[("", load(&c.uploads))],
    );
    metric(
        "drydock_uploads_rejected_total",
        "counter",
        "Snapshots refused as malformed.",
        &[("", load(&c.uploads_rejected))],
    );
    metric(
        "drydock_advisory_updates_total",
        "counter",
        "Advisory database versions processed.",
        &[("", load(&c.updates))],
    );
    metric(
        "drydock_advisory_update_failures_total",
        "counter",
        "Advisory database versions that failed to process.",
        &[("", load(&c.update_failures))],
    );
    metric(
        "drydock_advisory_update_last_timestamp_seconds",
        "gauge",
        "When the last update was processed.",
        &[("", load(&c.last_update))],
    );
    metric(
        "drydock_advisory_update_last_duration_milliseconds",
        "gauge",
        "How long the last update took.",
        &[("", load(&c.last_update_millis))],
    );
    metric(
        "drydock_webhook_attempts_failed_total",
        "counter",
        "Delivery attempts that failed.",
        &[("", load(&c.delivery_failures))],
    );
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}

#[derive(Deserialize)]
struct PushQuery {
    name: Option<String>,
}

async fn push(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Query(q): Query<PushQuery>,
    body: Bytes,
) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Push).await?;
    let snap = match drydock_monitor::Snapshot::from_json(&body, q.name.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            state.counters.uploads_rejected.fetch_add(1, Ordering::Relaxed);
            return Err(e.into());
        }
    };
    let db = state.advisories.read().await.clone();
    let (name, digest) = (snap.name.clone(), snap.digest.clone());
    let (id, new, findings) = blocking(&state.store, move |s| {
        let now = drydock_monitor::now();
        let (id, new) = s.put_snapshot(&snap, now)?;
        let findings = match (&db, new) {
            (Some(db), true) => Some(drydock_monitor::check::initial_findings_of(
                s, id, &snap.sbom, db, now,
            )?),
            _ => None,
        };
        Ok((id, new, findings))
    })
    .await?;
    state.counters.uploads.fetch_add(1, Ordering::Relaxed);
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    let (count, warnings) = match findings {
        Some(m) => (Some(m.findings), m.warnings),
        None => (None, Vec::new()),
    };
    Ok((
        status,
        axum::Json(json!({
            "id": id, "name": name, "digest": digest, "new": new,
            "findings": count, "warnings": warnings,
        })),
    ))
}

async fn images(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Read).await?;
    Ok(axum::Json(blocking(&state.store, |s| s.images(false)).await?))
}

fn image_id(raw: &str) -> Result<i64> {
    raw.parse()
        .map_err(|_| ApiError(StatusCode::BAD_REQUEST, format!("{raw:?} is not an image id")))
}

async fn image(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Read).await?;
    let id = image_id(&id)?;
    match blocking(&state.store, move |s| s.image(id)).await? {
        Some(row) => Ok(axum::Json(row)),
        None => Err(ApiError(StatusCode::NOT_FOUND, format!("no image {id}"))),
    }
}

async fn remove_image(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Admin).await?;
    let id = image_id(&id)?;
    let n = blocking(&state.store, move |s| s.remove(&id.to_string())).await?;
    if n == 0 {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("no image {id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn findings(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Read).await?;
    let id = image_id(&id)?;
    let (row, findings) = blocking(&state.store, move |s| Ok((s.image(id)?, s.findings(id)?))).await?;
    let Some(row) = row else {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("no image {id}")));
    };
    let findings: Vec<_> = findings.into_iter().map(|f| f.finding).collect();
    Ok(axum::Json(json!({ "image": row, "findings": findings })))
}

#[derive(Deserialize)]
struct ChangesQuery {
    /// RFC 3339 time or seconds since the epoch.
    since: Option<String>,
    limit: Option<i64>,
}

async fn changes(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Query(q): Query<ChangesQuery>,
) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Read).await?;
    let since = match q.since.as_deref() {
        None => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(n) => n,
            Err(_) => s.parse::<jiff::Timestamp>().map(|t| t.as_second()).map_err(|e| {
                ApiError(
                    StatusCode::BAD_REQUEST,
                    format!("since={s:?}: not RFC 3339 or seconds: {e}"),
                )
            })?,
        },
    };
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
    Ok(axum::Json(
        blocking(&state.store, move |s| s.notifications_since(since, limit)).await?,
    ))
}

async fn webhooks(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Admin).await?;
    Ok(axum::Json(blocking(&state.store, |s| s.webhooks()).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWebhook {
    url: String,
    secret: String,
    #[serde(default = "json_format")]
    format: String,
    #[serde(default = "lowest")]
    min_severity: String,
}

fn json_format() -> String {
    "json".into()
}
fn lowest() -> String {
    "UNKNOWN".into()
}

/// Checks what a webhook definition says, for the API and the CLI alike.
pub fn validate_webhook(
    url: &str,
    secret: &str,
    format: &str,
    min_severity: &str,
) -> std::result::Result<String, String> {
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.len() > 2000
        || url.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(format!(
            "webhook url {url:?}: http:// or https:// only, without spaces or control characters"
        ));
    }
    if secret.len() < 16 {
        return Err("the webhook secret must be at least 16 characters".into());
    }
    if !matches!(format, "json" | "slack") {
        return Err(format!("format {format:?}: json or slack"));
    }
    let severity: drydock_vulndb::Severity = min_severity.parse()?;
    Ok(severity.as_str().to_string())
}

async fn add_webhook(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Admin).await?;
    let hook: NewWebhook = serde_json::from_slice(&body)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("webhook: {e}")))?;
    let severity = validate_webhook(&hook.url, &hook.secret, &hook.format, &hook.min_severity)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    let id = blocking(&state.store, move |s| {
        s.add_webhook(
            &hook.url,
            &hook.secret,
            &hook.format,
            &severity,
            drydock_monitor::now(),
        )
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "id": id }))))
}

async fn remove_webhook(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Admin).await?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError(StatusCode::BAD_REQUEST, format!("{id:?} is not a webhook id")))?;
    match blocking(&state.store, move |s| s.remove_webhook(id)).await? {
        0 => Err(ApiError(StatusCode::NOT_FOUND, format!("no webhook {id}"))),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

async fn check_advisories(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
) -> Result<impl IntoResponse> {
    authorize(&state, &headers, Scope::Admin).await?;
    if !state.config.advisories.is_file() {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("no advisory database at {}", state.config.advisories.display()),
        ));
    }
    match crate::updates::process(&state).await {
        Ok(outcome) => Ok(axum::Json(outcome)),
        Err(e) => {
            state.counters.update_failures.fetch_add(1, Ordering::Relaxed);
            Err(ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("advisory update failed: {e}"),
            ))
        }
    }
}
