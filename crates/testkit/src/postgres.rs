//! A real PostgreSQL for tier-2 tests: `.ci/run` starts an unprivileged cluster on 127.0.0.1
//! and exports its URL as `DRYDOCK_POSTGRES_URL`; each test works in a database of its own.

/// `$DRYDOCK_POSTGRES_URL`, or a skip (a failure when CI is set).
pub fn postgres_url() -> Option<String> {
    match std::env::var("DRYDOCK_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("DRYDOCK_POSTGRES_URL is required when CI is set");
            }
            eprintln!("skipping: no PostgreSQL (DRYDOCK_POSTGRES_URL)");
            None
        }
    }
}

/// Drops and creates database `name` (made unique per process) on the server at `url`;
/// returns the URL of the new database.
pub fn fresh_postgres_database(url: &str, name: &str) -> String {
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect to PostgreSQL");
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        client.batch_execute(&sql).expect("create a test database");
    }
    let (base, _) = url.rsplit_once('/').expect("a database URL ends in /NAME");
    format!("{base}/{name}")
}

/// The CA of the test server's TLS certificate (`$DRYDOCK_POSTGRES_CA`), or a skip (a failure
/// when CI is set).
pub fn postgres_ca() -> Option<std::path::PathBuf> {
    match std::env::var_os("DRYDOCK_POSTGRES_CA").map(std::path::PathBuf::from) {
        Some(p) if p.is_file() => Some(p),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("DRYDOCK_POSTGRES_CA is required when CI is set");
            }
            eprintln!("skipping: no PostgreSQL CA (DRYDOCK_POSTGRES_CA)");
            None
        }
    }
}
