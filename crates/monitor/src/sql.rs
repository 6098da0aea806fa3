//! The two databases behind one small interface: statements with `$1`-style parameters,
//! rows of plain values, explicit transactions. The store's SQL is written once; only the
//! migrations differ per backend (column types, identity columns).
//!
//! SQLite numbers `$N` parameters by first appearance, so every statement names its
//! parameters in order (`$1` before `$2`); repeating one is fine.

use std::path::Path;

use crate::Error;

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// The integer, if it is one.
    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The text, if it is text.
    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The text, if it is text.
    pub fn into_text(self) -> Option<String> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The bytes, if it is a blob.
    pub fn into_blob(self) -> Option<Vec<u8>> {
        match self {
            Value::Blob(b) => Some(b),
            Value::Text(t) => Some(t.into_bytes()),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One result row.
pub type Row = Vec<Value>;

/// Which database a backend talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// One connection to one of the two databases.
pub trait Backend: Send {
    /// Which database it is.
    fn kind(&self) -> Kind;
    /// Runs a statement with `$N` parameters; the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error>;
    /// Runs a query with `$N` parameters; its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error>;
    /// Several statements without parameters (migrations, BEGIN/COMMIT).
    fn batch(&mut self, sql: &str) -> Result<(), Error>;
    /// Runs `work` holding the database-wide migration lock.
    fn with_migration_lock(
        &mut self,
        work: &mut dyn FnMut(&mut dyn Backend) -> Result<(), Error>,
    ) -> Result<(), Error>;
}

/// Opens `sqlite://PATH`, `postgres://…` / `postgresql://…`, or a bare path (SQLite).
pub fn open(url: &str) -> Result<Box<dyn Backend>, Error> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(Postgres::connect(url)?));
    }
    let path = url.strip_prefix("sqlite://").unwrap_or(url);
    if path.is_empty() {
        return Err(Error::Input("an empty database path".into()));
    }
    Ok(Box::new(Sqlite::open(Path::new(path))?))
}

/// A SQLite backend (WAL mode).
pub struct Sqlite {
    conn: rusqlite::Connection,
}

impl Sqlite {
    /// Opens or creates the database file.
    pub fn open(path: &Path) -> Result<Sqlite, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::Input(format!("{}: {e}", dir.display())))?;
        }
        let conn =
            rusqlite::Connection::open(path).map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
        Self::configure(conn)
    }

    /// A database in memory, for tests.
    pub fn in_memory() -> Result<Sqlite, Error> {
        Self::configure(rusqlite::Connection::open_in_memory().map_err(sqlite_err)?)
    }

    fn configure(conn: rusqlite::Connection) -> Result<Sqlite, Error> {
        // WAL lets `monitor list` read while a check writes; the busy timeout makes a second
        // writer wait instead of failing at once; the size limit gives back the WAL a large
        // update grew.
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(sqlite_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
             PRAGMA journal_size_limit = 67108864;",
        )
        .map_err(sqlite_err)?;
        Ok(Sqlite { conn })
    }
}

fn sqlite_err(e: rusqlite::Error) -> Error {
    Error::Database(e.to_string())
}

fn to_sqlite(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(i) => rusqlite::types::Value::Integer(*i),
        Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
        Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
    }
}

impl Backend for Sqlite {
    fn kind(&self) -> Kind {
        Kind::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(sqlite_err)?;
        let params: Vec<rusqlite::types::Value> = params.iter().map(to_sqlite).collect();
        let n = stmt
            .execute(rusqlite::params_from_iter(params))
            .map_err(sqlite_err)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(sqlite_err)?;
        let columns = stmt.column_count();
        let params: Vec<rusqlite::types::Value> = params.iter().map(to_sqlite).collect();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(sqlite_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sqlite_err)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(sqlite_err)? {
                    rusqlite::types::ValueRef::Null => Value::Null,
                    rusqlite::types::ValueRef::Integer(n) => Value::Int(n),
                    rusqlite::types::ValueRef::Real(f) => Value::Int(f as i64),
                    rusqlite::types::ValueRef::Text(t) => {
                        Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                    rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            out.push(values);
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.conn.execute_batch(sql).map_err(sqlite_err)
    }

    fn with_migration_lock(
        &mut self,
        work: &mut dyn FnMut(&mut dyn Backend) -> Result<(), Error>,
    ) -> Result<(), Error> {
        // An immediate transaction is SQLite's write lock: a second process waits on it.
        self.batch("BEGIN IMMEDIATE")?;
        match work(self) {
            Ok(()) => self.batch("COMMIT"),
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// A PostgreSQL backend: one connection, its prepared statements cached.
pub struct Postgres {
    client: postgres::Client,
    /// Statements prepared once per connection: a plain `execute(&str)` prepares every time,
    /// a round trip per statement.
    prepared: std::collections::HashMap<String, postgres::Statement>,
}

impl Postgres {
    /// Connects to `postgres://…`. `sslmode=require` (or `verify-ca`, `verify-full`) speaks
    /// TLS and verifies the server's certificate and name against the webpki roots, or against
    /// the CA in `sslrootcert=PATH`; without it the connection is plain TCP.
    pub fn connect(url: &str) -> Result<Postgres, Error> {
        let fail = |e: &dyn std::fmt::Display| Error::Input(format!("PostgreSQL at {}: {e}", redact(url)));
        // The driver's message ("error performing TLS handshake") hides its cause: say it.
        let chain = |e: &postgres::Error| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        };
        let (conn_url, tls) = tls_settings(url).map_err(|e| fail(&e))?;
        let client = match tls {
            Some(config) => {
                let connector = tokio_postgres_rustls::MakeRustlsConnect::new(config);
                postgres::Client::connect(&conn_url, connector)
            }
            None => postgres::Client::connect(&conn_url, postgres::NoTls),
        }
        .map_err(|e| fail(&chain(&e)))?;
        Ok(Postgres {
            client,
            prepared: std::collections::HashMap::new(),
        })
    }
}

/// The URL to hand the driver, and a TLS configuration when its `sslmode` asks for one. The
/// driver knows `disable`, `prefer` and `require`; `verify-ca` and `verify-full` become
/// `require` here, since the rustls connector always verifies the certificate and the name.
/// `sslrootcert` is drydock's to read, so it is taken out of the URL.
fn tls_settings(url: &str) -> Result<(String, Option<rustls::ClientConfig>), String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => return Ok((url.to_string(), None)),
    };
    let mut mode = None;
    let mut root = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => mode = Some(v.to_string()),
            Some(("sslrootcert", v)) => root = Some(v.to_string()),
            _ => kept.push(pair.to_string()),
        }
    }
    let tls = match mode.as_deref() {
        None | Some("disable") | Some("allow") | Some("prefer") => false,
        Some("require") | Some("verify-ca") | Some("verify-full") => true,
        Some(other) => {
            return Err(format!(
                "sslmode={other}: disable, prefer, require, verify-ca or verify-full"
            ));
        }
    };
    if let Some(m) = &mode {
        let m = if tls {
            "require"
        } else if m == "prefer" {
            "prefer"
        } else {
            "disable"
        };
        kept.push(format!("sslmode={m}"));
    }
    let conn_url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    if !tls {
        if root.is_some() {
            return Err("sslrootcert needs sslmode=require (or verify-ca, verify-full)".into());
        }
        return Ok((conn_url, None));
    }
    let mut roots = rustls::RootCertStore::empty();
    match &root {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| format!("sslrootcert {path}: {e}"))?;
            let mut added = 0;
            use rustls::pki_types::pem::PemObject as _;
            for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| format!("sslrootcert {path}: {e}"))?;
                roots.add(cert).map_err(|e| format!("sslrootcert {path}: {e}"))?;
                added += 1;
            }
            if added == 0 {
                return Err(format!("sslrootcert {path}: no PEM certificate in it"));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok((conn_url, Some(config)))
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

fn pg_err(e: postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => Error::Database(format!("PostgreSQL: {}", db.message())),
        None => Error::Database(format!("PostgreSQL: {e}")),
    }
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match self {
            Value::Null => Ok(postgres::types::IsNull::Yes),
            Value::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) if *ty == Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) if *ty == Type::BOOL => (*i != 0).to_sql(ty, out),
            Value::Int(i) => i.to_sql(ty, out),
            Value::Text(t) if *ty == Type::BYTEA => t.as_bytes().to_sql(ty, out),
            Value::Text(t) => t.to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl Postgres {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, Error> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(pg_err)?;
        if self.prepared.len() < 256 {
            self.prepared.insert(sql.to_string(), s.clone());
        }
        Ok(s)
    }
}

impl Backend for Postgres {
    fn kind(&self) -> Kind {
        Kind::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        self.client.execute(&statement, &params).map_err(pg_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        use postgres::types::Type;
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self.client.query(&statement, &params).map_err(pg_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let ty = column.type_();
                let v = if *ty == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i).map_err(pg_err)?.map(Value::Int)
                } else if *ty == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)
                        .map_err(pg_err)?
                        .map(|n| Value::Int(n.into()))
                } else if *ty == Type::INT2 {
                    row.try_get::<_, Option<i16>>(i)
                        .map_err(pg_err)?
                        .map(|n| Value::Int(n.into()))
                } else if *ty == Type::BOOL {
                    row.try_get::<_, Option<bool>>(i)
                        .map_err(pg_err)?
                        .map(|b| Value::Int(b.into()))
                } else if *ty == Type::BYTEA {
                    row.try_get::<_, Option<Vec<u8>>>(i)
                        .map_err(pg_err)?
                        .map(Value::Blob)
                } else {
                    row.try_get::<_, Option<String>>(i)
                        .map_err(pg_err)?
                        .map(Value::Text)
                };
                values.push(v.unwrap_or(Value::Null));
            }
            out.push(values);
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.client.batch_execute(sql).map_err(pg_err)
    }

    fn with_migration_lock(
        &mut self,
        work: &mut dyn FnMut(&mut dyn Backend) -> Result<(), Error>,
    ) -> Result<(), Error> {
        // Several servers starting at once against one database: one migrates, the others
        // wait on the advisory lock and then find nothing to do.
        const LOCK: i64 = 0x0064_7279_646f_636b; // "drydock"
        self.execute("SELECT pg_advisory_lock($1)", &[Value::Int(LOCK)])?;
        let result = work(self);
        let unlocked = self.execute("SELECT pg_advisory_unlock($1)", &[Value::Int(LOCK)]);
        result.and(unlocked.map(|_| ()))
    }
}
