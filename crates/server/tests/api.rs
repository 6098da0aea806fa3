//! The API in process: every path and method docs/openapi.yaml documents exists and refuses a
//! request without a token; scopes; the upload limit; a malformed snapshot changes nothing.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use drydock_server::{Config, Counters, State};
use tower::ServiceExt as _;

fn state(max_upload: usize) -> Arc<State> {
    let store = drydock_monitor::Store::in_memory().unwrap();
    let mut config = Config::new(
        "127.0.0.1:0".parse().unwrap(),
        "/nonexistent/advisories.redb".into(),
    );
    config.max_upload = max_upload;
    Arc::new(State {
        store: Arc::new(store),
        config,
        advisories: tokio::sync::RwLock::new(None),
        counters: Counters::default(),
        check_now: tokio::sync::Notify::new(),
        started: std::time::Instant::now(),
    })
}

async fn call(
    state: &Arc<State>,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let resp = drydock_server::api::router(state.clone())
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn token(state: &Arc<State>, name: &str, scopes: &[&str]) -> String {
    let t = drydock_server::auth::new_token();
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    state
        .store
        .add_token(name, &drydock_server::auth::hash(&t), &scopes, 0)
        .unwrap();
    t
}

#[derive(serde::Deserialize)]
struct OpenApi {
    paths: std::collections::BTreeMap<String, std::collections::BTreeMap<String, serde_json::Value>>,
}

#[tokio::test]
async fn every_documented_endpoint_exists_and_wants_a_token() {
    let text = std::fs::read_to_string(drydock_testkit::workspace_root().join("docs/openapi.yaml")).unwrap();
    let spec: OpenApi = serde_saphyr::from_str(&text).unwrap();
    let state = state(1 << 20);
    let mut checked = 0;
    for (path, methods) in &spec.paths {
        for method in methods
            .keys()
            .filter(|m| ["get", "post", "delete"].contains(&m.as_str()))
        {
            let concrete = path.replace("{id}", "1");
            let m: Method = method.to_uppercase().parse().unwrap();
            let (status, body) = call(&state, m, &concrete, None, Vec::new()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
            checked += 1;
        }
    }
    assert_eq!(
        checked, 12,
        "the documented operations: as many as the router serves"
    );
    let (status, _) = call(&state, Method::GET, "/v1/nothing-here", None, Vec::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scopes_limits_and_malformed_uploads() {
    let state = state(4096);
    let reader = token(&state, "reader", &["read"]);
    let pusher = token(&state, "pusher", &["push"]);
    let admin = token(&state, "admin", &["admin"]);
    assert_eq!(
        call(&state, Method::GET, "/v1/images", Some("ddk_wrong"), Vec::new())
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&state, Method::GET, "/v1/images", Some(&reader), Vec::new())
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        call(&state, Method::GET, "/v1/images", Some(&pusher), Vec::new())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&state, Method::GET, "/v1/images", Some(&admin), Vec::new())
            .await
            .0,
        StatusCode::OK,
        "admin includes read"
    );
    assert_eq!(
        call(
            &state,
            Method::POST,
            "/v1/snapshots",
            Some(&reader),
            b"{}".to_vec()
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&state, Method::GET, "/v1/webhooks", Some(&reader), Vec::new())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = call(
        &state,
        Method::POST,
        "/v1/snapshots",
        Some(&pusher),
        b"[1, 2".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("not a drydock SBOM document"), "{body}");
    let (status, _) = call(
        &state,
        Method::POST,
        "/v1/snapshots",
        Some(&pusher),
        vec![b' '; 5000],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(state.store.images(false).unwrap().is_empty(), "nothing stored");
    let (status, body) = call(
        &state,
        Method::GET,
        "/v1/changes?since=yesterday",
        Some(&reader),
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = call(&state, Method::GET, "/v1/images/x", Some(&reader), Vec::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = call(&state, Method::GET, "/v1/images/99", Some(&reader), Vec::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let hook = br#"{"url": "https://hooks.example/x", "secret": "0123456789abcdef", "format": "slack", "min_severity": "high"}"#;
    let (status, body) = call(&state, Method::POST, "/v1/webhooks", Some(&admin), hook.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, listed) = call(&state, Method::GET, "/v1/webhooks", Some(&admin), Vec::new()).await;
    assert!(
        listed.contains("\"min_severity\":\"HIGH\"") && !listed.contains("0123456789abcdef"),
        "{listed}"
    );
    let (status, _) = call(
        &state,
        Method::POST,
        "/v1/webhooks",
        Some(&admin),
        br#"{"url": "file:///etc/passwd", "secret": "0123456789abcdef"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = call(&state, Method::GET, "/v1/metrics", Some(&reader), Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("drydock_http_unauthorized_total 1\n"), "{body}");
    assert!(body.contains("drydock_uploads_rejected_total 1\n"), "{body}");
}

#[test]
fn bearer_headers_and_scopes() {
    use drydock_server::auth::{Scope, allows, bearer};
    assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
    assert_eq!(bearer(Some("bearer  abc ")), Some("abc"));
    assert_eq!(bearer(Some("Basic abc")), None);
    assert_eq!(bearer(Some("Bearer ")), None);
    assert_eq!(bearer(None), None);
    let push = vec!["push".to_string()];
    assert!(allows(&push, Scope::Push) && !allows(&push, Scope::Read) && !allows(&push, Scope::Admin));
    assert!(allows(&["admin".to_string()], Scope::Read));
    let a = drydock_server::auth::new_token();
    assert!(a.starts_with("ddk_") && a.len() == 68);
    assert_ne!(a, drydock_server::auth::new_token());
}
