//! The snapshot store: images, their last findings, notifications, the advisory state last
//! processed, API tokens, webhooks and their outbox, watched tags. One implementation over
//! [`Backend`], so SQLite and PostgreSQL behave alike and one test suite runs on both.

use std::collections::HashMap;
use std::sync::Mutex;

use drydock_report::SbomDocument;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::snapshot::Snapshot;
use crate::sql::{Backend, Kind, Row, Value};

mod outbox;
mod tokens;
mod watches;

use outbox::webhooks_in;
pub use outbox::{Delivery, OutboxCounts, Webhook};
pub use tokens::TokenInfo;
pub use watches::Watch;

const MIGRATIONS_SQLITE: &[(i64, &str)] = &[(1, include_str!("../../migrations/sqlite/0001_init.sql"))];
const MIGRATIONS_POSTGRES: &[(i64, &str)] = &[(1, include_str!("../../migrations/postgres/0001_init.sql"))];

/// The snapshot store (see the module documentation).
pub struct Store {
    /// One connection for SQLite (one writer anyway); a few for PostgreSQL, so that
    /// concurrent API requests do not queue behind one another.
    pool: Vec<Mutex<Box<dyn Backend>>>,
    next: std::sync::atomic::AtomicUsize,
    kind: Kind,
}

/// Connections a PostgreSQL store opens.
const POSTGRES_POOL: usize = 4;

/// One stored image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRow {
    /// Its id.
    pub id: i64,
    /// What users call it.
    pub name: String,
    /// Its manifest digest.
    pub digest: String,
    /// Its repository.
    pub repository: Option<String>,
    /// Its tag.
    pub tag: Option<String>,
    /// Its platform.
    pub platform: Option<String>,
    /// Whether it is the latest snapshot under its name.
    pub current: bool,
    /// When it was first pushed (Unix seconds).
    pub first_seen: i64,
    /// When it was last pushed.
    pub last_seen: i64,
    /// When it was last checked.
    pub checked_at: Option<i64>,
}

const IMAGE_COLUMNS: &str =
    "id, name, digest, repository, tag, platform, current, first_seen, last_seen, checked_at";

fn image_row(r: Row) -> ImageRow {
    let mut it = r.into_iter();
    let mut next = || it.next().unwrap_or(Value::Null);
    ImageRow {
        id: next().int().unwrap_or_default(),
        name: next().into_text().unwrap_or_default(),
        digest: next().into_text().unwrap_or_default(),
        repository: next().into_text(),
        tag: next().into_text(),
        platform: next().into_text(),
        current: next().int().unwrap_or(1) != 0,
        first_seen: next().int().unwrap_or_default(),
        last_seen: next().int().unwrap_or_default(),
        checked_at: next().int(),
    }
}

/// A stored finding of an image's last check.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    /// `VULNERABILITY TAB purl`: its identity in the image.
    pub key: String,
    /// The store key its package is looked up under.
    pub package_key: String,
    /// The finding.
    pub finding: drydock_matcher::Finding,
}

/// What changed for one image, as stored and delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Its id, in creation order.
    pub id: i64,
    /// The image.
    pub image_id: i64,
    /// The image's name.
    pub image_name: String,
    /// The image's digest.
    pub digest: String,
    /// `added`, `changed` or `removed`.
    pub kind: String,
    /// The finding's key.
    pub finding_key: String,
    /// The advisory database generation (or check) that produced it.
    pub generation: String,
    /// The finding's severity.
    pub severity: String,
    /// The change itself.
    pub change: crate::Change,
    /// When it was written.
    pub created_at: i64,
}

/// A record as the last processed database held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordState {
    /// A fingerprint of the stored record's bytes.
    pub fingerprint: String,
    /// Its `modified`.
    pub modified: Option<String>,
    /// The store keys of the packages it names.
    pub keys: Vec<String>,
}

/// An advisory update's writes besides the image checks: see [`Store::commit_update`].
#[derive(Debug, Clone, Copy)]
pub struct UpdateWrite<'a> {
    /// The generation the update was worked out from.
    pub expected: &'a str,
    /// The generation it records.
    pub generation: &'a str,
    /// The images to re-check.
    pub images: &'a [i64],
    /// Records new or changed, by id.
    pub upserts: &'a [(String, RecordState)],
    /// Records gone, by id.
    pub deletions: &'a [String],
}

/// Everything one check of one image writes, applied in one transaction.
#[derive(Debug, Default)]
pub struct CheckWrite {
    /// The image.
    pub image_id: i64,
    /// `None` replaces every finding of the image; `Some(keys)` only those of packages under
    /// these store keys (a targeted update).
    pub scope: Option<Vec<String>>,
    /// Its findings now (in scope).
    pub findings: Vec<StoredFinding>,
    /// What changed.
    pub changes: Vec<crate::Change>,
    /// The generation (or check) that found them.
    pub generation: String,
}

fn text(v: &Value) -> String {
    v.text().unwrap_or_default().to_string()
}

impl Store {
    /// Opens (creating and migrating as needed) `sqlite://PATH`, a bare path, or
    /// `postgres://…`.
    pub fn open(url: &str) -> Result<Store, Error> {
        let mut store = Store::with_backend(crate::sql::open(url)?)?;
        if store.kind == Kind::Postgres {
            for _ in 1..POSTGRES_POOL {
                store.pool.push(Mutex::new(crate::sql::open(url)?));
            }
        }
        Ok(store)
    }

    /// A SQLite store in memory, for tests.
    pub fn in_memory() -> Result<Store, Error> {
        Store::with_backend(Box::new(crate::sql::Sqlite::in_memory()?))
    }

    /// A store over one backend, migrated.
    pub fn with_backend(mut backend: Box<dyn Backend>) -> Result<Store, Error> {
        let kind = backend.kind();
        migrate(backend.as_mut())?;
        Ok(Store {
            pool: vec![Mutex::new(backend)],
            next: std::sync::atomic::AtomicUsize::new(0),
            kind,
        })
    }

    /// Which database it uses.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Box<dyn Backend>> {
        // A panic while holding the connection leaves it usable: statements are atomic.
        for c in &self.pool {
            if let Ok(guard) = c.try_lock() {
                return guard;
            }
        }
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.pool.len();
        self.pool[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `work` in one transaction (SQLite: taking the write lock at once).
    fn tx<T>(&self, work: impl FnOnce(&mut dyn Backend) -> Result<T, Error>) -> Result<T, Error> {
        let mut db = self.conn();
        db.batch(match self.kind {
            Kind::Sqlite => "BEGIN IMMEDIATE",
            Kind::Postgres => "BEGIN",
        })?;
        match work(db.as_mut()) {
            Ok(v) => {
                db.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = db.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn insert_id(&self, db: &mut dyn Backend, sql: &str, params: &[Value]) -> Result<i64, Error> {
        let rows = db.query(&format!("{sql} RETURNING id"), params)?;
        rows.first()
            .and_then(|r| r.first())
            .and_then(Value::int)
            .ok_or_else(|| Error::Database("an insert returned no id".into()))
    }

    // --- snapshots ---

    /// Stores a snapshot and its package keys. The same (name, digest) again only updates
    /// `last_seen`; a new digest under a known name becomes the name's current one.
    /// Returns the image id and whether it was new.
    pub fn put_snapshot(&self, snap: &Snapshot, now: i64) -> Result<(i64, bool), Error> {
        let body = compress(&serde_json::to_vec(&snap.sbom).map_err(|e| Error::Input(e.to_string()))?)?;
        let inventory = snap.sbom.inventory();
        let mut keys: Vec<String> = drydock_matcher::lookup_keys(&inventory)
            .into_iter()
            .map(|(_, k)| k)
            .collect();
        keys.sort();
        keys.dedup();
        self.tx(|db| {
            let existing = db.query(
                "SELECT id FROM images WHERE name = $1 AND digest = $2",
                &[(&snap.name).into(), (&snap.digest).into()],
            )?;
            db.execute(
                "UPDATE images SET current = 0 WHERE name = $1 AND digest <> $2",
                &[(&snap.name).into(), (&snap.digest).into()],
            )?;
            if let Some(id) = existing.first().and_then(|r| r[0].int()) {
                db.execute(
                    "UPDATE images SET last_seen = $1, current = 1 WHERE id = $2",
                    &[now.into(), id.into()],
                )?;
                return Ok((id, false));
            }
            let id = self.insert_id(
                db,
                "INSERT INTO images (name, digest, repository, tag, platform, current, first_seen, last_seen, sbom) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)",
                &[
                    (&snap.name).into(),
                    (&snap.digest).into(),
                    snap.repository.clone().into(),
                    snap.tag.clone().into(),
                    snap.platform.clone().into(),
                    now.into(),
                    Value::Blob(body.clone()),
                ],
            )?;
            for chunk in keys.chunks(200) {
                let mut sql = String::from("INSERT INTO package_keys (image_id, key) VALUES ");
                let mut params = Vec::with_capacity(chunk.len() * 2);
                for (i, k) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
                    params.push(Value::Int(id));
                    params.push(Value::Text(k.clone()));
                }
                db.execute(&sql, &params)?;
            }
            Ok((id, true))
        })
    }

    /// The images, only the current snapshot of each name when asked.
    pub fn images(&self, only_current: bool) -> Result<Vec<ImageRow>, Error> {
        let sql = format!(
            "SELECT {IMAGE_COLUMNS} FROM images {} ORDER BY name, first_seen, id",
            if only_current { "WHERE current = 1" } else { "" }
        );
        Ok(self.conn().query(&sql, &[])?.into_iter().map(image_row).collect())
    }

    /// The image `id`.
    pub fn image(&self, id: i64) -> Result<Option<ImageRow>, Error> {
        let sql = format!("SELECT {IMAGE_COLUMNS} FROM images WHERE id = $1");
        Ok(self
            .conn()
            .query(&sql, &[id.into()])?
            .into_iter()
            .next()
            .map(image_row))
    }

    /// Removes every snapshot under this name (or this image id); returns how many.
    pub fn remove(&self, name: &str) -> Result<u64, Error> {
        self.tx(|db| {
            let by_id = name.parse::<i64>().ok();
            let n = db.execute(
                "DELETE FROM images WHERE name = $1 OR id = $2",
                &[name.into(), by_id.map_or(Value::Null, Value::Int)],
            )?;
            if self.kind == Kind::Sqlite {
                // Foreign keys cascade in both; SQLite's only when the pragma was on when the
                // rows were written, so clear explicitly.
                db.execute(
                    "DELETE FROM findings WHERE image_id NOT IN (SELECT id FROM images)",
                    &[],
                )?;
                db.execute(
                    "DELETE FROM package_keys WHERE image_id NOT IN (SELECT id FROM images)",
                    &[],
                )?;
            }
            Ok(n)
        })
    }

    /// An image's stored inventory.
    pub fn sbom(&self, id: i64) -> Result<SbomDocument, Error> {
        sbom_in(self.conn().as_mut(), id)
    }

    /// An image's findings of its last check.
    pub fn findings(&self, image_id: i64) -> Result<Vec<StoredFinding>, Error> {
        findings_in(self.conn().as_mut(), image_id)
    }

    /// How many findings each image's last check stored, by image id (one query, no bodies
    /// decoded).
    pub fn finding_counts(&self) -> Result<HashMap<i64, i64>, Error> {
        let rows = self
            .conn()
            .query("SELECT image_id, COUNT(*) FROM findings GROUP BY image_id", &[])?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some((r[0].int()?, r[1].int()?)))
            .collect())
    }

    /// Current images that hold a package under any of these store keys.
    pub fn images_with_keys(&self, keys: &[String]) -> Result<Vec<i64>, Error> {
        let mut ids = std::collections::BTreeSet::new();
        let mut db = self.conn();
        for chunk in keys.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT DISTINCT k.image_id FROM package_keys k JOIN images i ON i.id = k.image_id \
                 WHERE i.current = 1 AND k.key IN ({})",
                placeholders.join(", ")
            );
            let params: Vec<Value> = chunk.iter().map(Value::from).collect();
            for r in db.query(&sql, &params)? {
                if let Some(id) = r[0].int() {
                    ids.insert(id);
                }
            }
        }
        Ok(ids.into_iter().collect())
    }

    /// Writes one image's check: its findings (all, or those in scope), the changes as
    /// notifications (a repeat of the same change in the same generation is dropped), and an
    /// outbox entry per webhook that wants them. Returns the notifications actually added.
    pub fn write_check(&self, write: &CheckWrite, now: i64) -> Result<usize, Error> {
        self.tx(|db| self.write_check_in(db, write, now))
    }

    fn write_check_in(&self, db: &mut dyn Backend, write: &CheckWrite, now: i64) -> Result<usize, Error> {
        let image = db.query(
            "SELECT name, digest FROM images WHERE id = $1",
            &[write.image_id.into()],
        )?;
        let Some(image) = image.into_iter().next() else {
            return Ok(0);
        };
        let (name, digest) = (text(&image[0]), text(&image[1]));
        match &write.scope {
            None => {
                db.execute(
                    "DELETE FROM findings WHERE image_id = $1",
                    &[write.image_id.into()],
                )?;
            }
            Some(keys) => {
                for chunk in keys.chunks(500) {
                    let marks: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
                    let mut params: Vec<Value> = vec![write.image_id.into()];
                    params.extend(chunk.iter().map(Value::from));
                    db.execute(
                        &format!(
                            "DELETE FROM findings WHERE image_id = $1 AND package_key IN ({})",
                            marks.join(", ")
                        ),
                        &params,
                    )?;
                }
            }
        }
        for chunk in write.findings.chunks(100) {
            let mut sql = String::from(
                "INSERT INTO findings (image_id, key, package_key, severity, fixed_version, body) VALUES ",
            );
            let mut params = Vec::with_capacity(chunk.len() * 6);
            for (i, f) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let b = 6 * i;
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                ));
                params.push(write.image_id.into());
                params.push((&f.key).into());
                params.push((&f.package_key).into());
                params.push(f.finding.severity.as_str().into());
                params.push(f.finding.fixed_version.clone().into());
                params.push(
                    serde_json::to_string(&f.finding)
                        .map_err(|e| Error::Database(e.to_string()))?
                        .into(),
                );
            }
            sql.push_str(" ON CONFLICT (image_id, key) DO NOTHING");
            db.execute(&sql, &params)?;
        }
        db.execute(
            "UPDATE images SET checked_at = $1 WHERE id = $2",
            &[now.into(), write.image_id.into()],
        )?;
        let mut inserted: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
        for chunk in write.changes.chunks(100) {
            let mut sql = String::from(
                "INSERT INTO notifications (image_id, image_name, digest, kind, finding_key, generation, severity, body, created_at) VALUES ",
            );
            let mut params: Vec<Value> = Vec::with_capacity(chunk.len() * 9);
            for (i, c) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let b = 9 * i;
                let marks: Vec<String> = (1..=9).map(|k| format!("${}", b + k)).collect();
                sql.push_str(&format!("({})", marks.join(", ")));
                params.extend([
                    write.image_id.into(),
                    (&name).into(),
                    (&digest).into(),
                    c.kind.as_str().into(),
                    (&c.key).into(),
                    (&write.generation).into(),
                    c.finding.severity.as_str().into(),
                    serde_json::to_string(c)
                        .map_err(|e| Error::Database(e.to_string()))?
                        .into(),
                    now.into(),
                ]);
            }
            sql.push_str(
                " ON CONFLICT (digest, kind, finding_key, generation) DO NOTHING RETURNING kind, finding_key",
            );
            for r in db.query(&sql, &params)? {
                inserted.insert((text(&r[0]), text(&r[1])));
            }
        }
        let added: Vec<&crate::Change> = write
            .changes
            .iter()
            .filter(|c| inserted.contains(&(c.kind.as_str().to_string(), c.key.clone())))
            .collect();
        if !added.is_empty() {
            let hooks = webhooks_in(db)?;
            for hook in hooks {
                let threshold: drydock_vulndb::Severity = hook
                    .min_severity
                    .parse()
                    .unwrap_or(drydock_vulndb::Severity::Unknown);
                let wanted: Vec<&crate::Change> = added
                    .iter()
                    .copied()
                    .filter(|c| c.finding.severity >= threshold)
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                let payload = crate::change::payload(
                    &hook.format,
                    write.image_id,
                    &name,
                    &digest,
                    &write.generation,
                    &wanted,
                );
                db.execute(
                    "INSERT INTO outbox (webhook_id, payload, attempts, next_attempt, created_at) VALUES ($1, $2, 0, $3, $3)",
                    &[hook.id.into(), payload.into(), now.into()],
                )?;
            }
        }
        Ok(added.len())
    }

    /// Notifications created at or after `since` (seconds), oldest first.
    pub fn notifications_since(&self, since: i64, limit: i64) -> Result<Vec<Notification>, Error> {
        let rows = self.conn().query(
            "SELECT id, image_id, image_name, digest, kind, finding_key, generation, severity, body, created_at \
             FROM notifications WHERE created_at >= $1 ORDER BY id LIMIT $2",
            &[since.into(), limit.into()],
        )?;
        rows.into_iter()
            .map(|r| {
                Ok(Notification {
                    id: r[0].int().unwrap_or_default(),
                    image_id: r[1].int().unwrap_or_default(),
                    image_name: text(&r[2]),
                    digest: text(&r[3]),
                    kind: text(&r[4]),
                    finding_key: text(&r[5]),
                    generation: text(&r[6]),
                    severity: text(&r[7]),
                    change: serde_json::from_str(r[8].text().unwrap_or_default())
                        .map_err(|e| Error::Database(format!("stored notification: {e}")))?,
                    created_at: r[9].int().unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Rows per table, for metrics.
    pub fn counts(&self) -> Result<HashMap<&'static str, i64>, Error> {
        let mut db = self.conn();
        let mut out = HashMap::new();
        for (name, sql) in [
            ("images", "SELECT COUNT(*) FROM images WHERE current = 1"),
            ("snapshots", "SELECT COUNT(*) FROM images"),
            ("findings", "SELECT COUNT(*) FROM findings"),
            ("notifications", "SELECT COUNT(*) FROM notifications"),
            ("advisories", "SELECT COUNT(*) FROM advisory_state"),
        ] {
            let n = db
                .query(sql, &[])?
                .first()
                .and_then(|r| r[0].int())
                .unwrap_or_default();
            out.insert(name, n);
        }
        Ok(out)
    }

    // --- advisory state ---

    /// The advisory database generation last processed (`""` before the first).
    pub fn generation(&self) -> Result<String, Error> {
        Ok(self
            .conn()
            .query("SELECT value FROM meta WHERE key = 'generation'", &[])?
            .first()
            .map(|r| text(&r[0]))
            .unwrap_or_default())
    }

    /// Every record as the last processed database held it, by id.
    pub fn advisory_state(&self) -> Result<HashMap<String, RecordState>, Error> {
        let rows = self
            .conn()
            .query("SELECT id, fingerprint, modified, keys FROM advisory_state", &[])?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    text(&r[0]),
                    RecordState {
                        fingerprint: text(&r[1]),
                        modified: r[2].text().map(str::to_string),
                        keys: r[3]
                            .text()
                            .unwrap_or_default()
                            .split('\n')
                            .filter(|k| !k.is_empty())
                            .map(str::to_string)
                            .collect(),
                    },
                )
            })
            .collect())
    }

    /// Applies an update in one transaction, only if the generation is still `expected`
    /// (another server sharing the database may have processed it first): each image's
    /// check as `recheck` works it out, the record state (upserts and deletions) and the new
    /// generation. Returns `None` when another writer got there first, else the
    /// notifications added.
    pub fn commit_update(
        &self,
        update: &UpdateWrite<'_>,
        recheck: &mut dyn FnMut(&mut dyn Backend, i64) -> Result<CheckWrite, Error>,
        now: i64,
    ) -> Result<Option<usize>, Error> {
        let UpdateWrite {
            expected,
            generation,
            images,
            upserts,
            deletions,
        } = *update;
        self.tx(|db| {
            let lock = match self.kind {
                Kind::Sqlite => "SELECT value FROM meta WHERE key = 'generation'",
                Kind::Postgres => "SELECT value FROM meta WHERE key = 'generation' FOR UPDATE",
            };
            let current = db
                .query(lock, &[])?
                .first()
                .map(|r| text(&r[0]))
                .unwrap_or_default();
            if current != expected {
                return Ok(None);
            }
            // One image at a time, written as it is worked out: memory stays one image's
            // findings however many images the update touches.
            let mut added = 0;
            for id in images {
                let check = recheck(db, *id)?;
                added += self.write_check_in(db, &check, now)?;
            }
            for chunk in deletions.chunks(500) {
                let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let params: Vec<Value> = chunk.iter().map(Value::from).collect();
                db.execute(
                    &format!(
                        "DELETE FROM advisory_state WHERE id IN ({})",
                        placeholders.join(", ")
                    ),
                    &params,
                )?;
            }
            for chunk in upserts.chunks(250) {
                let mut sql =
                    String::from("INSERT INTO advisory_state (id, fingerprint, modified, keys) VALUES ");
                let mut params = Vec::with_capacity(chunk.len() * 4);
                for (i, (id, s)) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    let b = 4 * i;
                    sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
                    params.push(id.into());
                    params.push((&s.fingerprint).into());
                    params.push(s.modified.clone().into());
                    params.push(s.keys.join("\n").into());
                }
                sql.push_str(
                    " ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, \
                     modified = excluded.modified, keys = excluded.keys",
                );
                db.execute(&sql, &params)?;
            }
            db.execute(
                "UPDATE meta SET value = $1 WHERE key = 'generation'",
                &[generation.into()],
            )?;
            Ok(Some(added))
        })
    }
}

/// Stored inventories are gzip-compressed: their file lists compress about eight to one.
fn compress(json: &[u8]) -> Result<Vec<u8>, Error> {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json).map_err(|e| Error::Database(e.to_string()))?;
    gz.finish().map_err(|e| Error::Database(e.to_string()))
}

fn decompress(bytes: &[u8]) -> Result<Vec<u8>, std::io::Error> {
    use std::io::Read as _;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes.to_vec());
    }
    let limit = 8 * crate::snapshot::MAX_SNAPSHOT_BYTES as u64;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(limit + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(std::io::Error::other("expands past the snapshot size limit"));
    }
    Ok(out)
}

/// An image's stored inventory, read through a connection already held (inside a transaction).
pub fn sbom_in(db: &mut dyn Backend, id: i64) -> Result<SbomDocument, Error> {
    let rows = db.query("SELECT sbom FROM images WHERE id = $1", &[id.into()])?;
    let bytes = rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .and_then(Value::into_blob)
        .ok_or_else(|| Error::Input(format!("no image {id}")))?;
    let json = decompress(&bytes).map_err(|e| Error::Database(format!("stored snapshot {id}: {e}")))?;
    serde_json::from_slice(&json).map_err(|e| Error::Database(format!("stored snapshot {id}: {e}")))
}

/// An image's stored findings, through a connection already held.
pub fn findings_in(db: &mut dyn Backend, image_id: i64) -> Result<Vec<StoredFinding>, Error> {
    let rows = db.query(
        "SELECT key, package_key, body FROM findings WHERE image_id = $1 ORDER BY key",
        &[image_id.into()],
    )?;
    rows.into_iter()
        .map(|r| {
            let finding = serde_json::from_str(r[2].text().unwrap_or_default())
                .map_err(|e| Error::Database(format!("stored finding: {e}")))?;
            Ok(StoredFinding {
                key: text(&r[0]),
                package_key: text(&r[1]),
                finding,
            })
        })
        .collect()
}

fn migrate(db: &mut dyn Backend) -> Result<(), Error> {
    let kind = db.kind();
    let migrations = match kind {
        Kind::Sqlite => MIGRATIONS_SQLITE,
        Kind::Postgres => MIGRATIONS_POSTGRES,
    };
    db.with_migration_lock(&mut |db| {
        db.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")?;
        let applied: Vec<i64> = db
            .query("SELECT version FROM schema_migrations", &[])?
            .iter()
            .filter_map(|r| r[0].int())
            .collect();
        let newest_known = migrations.last().map_or(0, |m| m.0);
        if let Some(v) = applied.iter().find(|v| **v > newest_known) {
            return Err(Error::Input(format!(
                "the monitor store is at schema version {v}, newer than this drydock ({newest_known}): upgrade drydock"
            )));
        }
        for (version, sql) in migrations {
            if applied.contains(version) {
                continue;
            }
            let record = format!(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ({version}, {})",
                crate::now()
            );
            match kind {
                Kind::Postgres => db.batch(&format!("BEGIN;\n{sql}\n{record};\nCOMMIT;"))?,
                Kind::Sqlite => {
                    db.batch(sql)?;
                    db.batch(&record)?;
                }
            }
        }
        Ok(())
    })
}
