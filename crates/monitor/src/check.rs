//! What changed for an image between two matches, and the two ways a store is re-checked:
//! every snapshot in full (`drydock monitor check`), or only the packages an advisory update
//! names (`drydock serve`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use drydock_matcher::Finding;
use serde::Serialize;

pub use crate::change::{Change, ChangeKind, finding_key, payload, worst_new};

use crate::Error;
use crate::store::{CheckWrite, ImageRow, RecordState, Store, StoredFinding};

/// Added, changed and removed findings, in key order.
pub fn diff(before: &[StoredFinding], after: &[StoredFinding]) -> Vec<Change> {
    let old: BTreeMap<&str, &Finding> = before.iter().map(|s| (s.key.as_str(), &s.finding)).collect();
    let new: BTreeMap<&str, &Finding> = after.iter().map(|s| (s.key.as_str(), &s.finding)).collect();
    let mut out = Vec::new();
    for (key, f) in &new {
        match old.get(key) {
            None => out.push(Change {
                kind: ChangeKind::Added,
                key: key.to_string(),
                finding: (*f).clone(),
                previous: None,
            }),
            Some(o) if o.severity != f.severity || o.fixed_version != f.fixed_version => out.push(Change {
                kind: ChangeKind::Changed,
                key: key.to_string(),
                finding: (*f).clone(),
                previous: Some(drydock_baseline::Previous {
                    severity: o.severity,
                    fixed_version: o.fixed_version.clone(),
                }),
            }),
            Some(_) => {}
        }
    }
    for (key, f) in &old {
        if !new.contains_key(key) {
            out.push(Change {
                kind: ChangeKind::Removed,
                key: key.to_string(),
                finding: (*f).clone(),
                previous: None,
            });
        }
    }
    out.sort_by(|a, b| (a.kind, &a.key).cmp(&(b.kind, &b.key)));
    out
}

/// Matches an inventory and keys each finding, with the store key its package is looked up
/// under (the first, for packages under several); with the matcher's warnings (an ecosystem
/// the database has no records for is "not checked", never "no findings").
fn keyed(
    inventory: &drydock_catalog::Inventory,
    db: &drydock_vulndb::Store,
) -> Result<(Vec<StoredFinding>, Vec<String>), Error> {
    let report = drydock_matcher::match_inventory(inventory, db)?;
    let mut by_purl: HashMap<&str, String> = HashMap::new();
    for (i, key) in drydock_matcher::lookup_keys(inventory) {
        by_purl.entry(inventory.packages[i].purl.as_str()).or_insert(key);
    }
    let mut out: Vec<StoredFinding> = report
        .findings
        .into_iter()
        .map(|f| StoredFinding {
            key: finding_key(&f),
            package_key: by_purl.get(f.package.purl.as_str()).cloned().unwrap_or_default(),
            finding: f,
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out.dedup_by(|a, b| a.key == b.key);
    Ok((out, report.warnings))
}

/// What matching a stored snapshot found, and what it could not check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Matched {
    /// Findings the image has.
    pub findings: usize,
    /// What could not be checked (an ecosystem the database lacks).
    pub warnings: Vec<String>,
}

/// Matches a snapshot as it is stored: the findings a later check is compared with.
pub fn initial_findings(
    store: &Store,
    image_id: i64,
    db: &drydock_vulndb::Store,
    now: i64,
) -> Result<Matched, Error> {
    initial_findings_of(store, image_id, &store.sbom(image_id)?, db, now)
}

/// [`initial_findings`] for an inventory in hand (just stored).
pub fn initial_findings_of(
    store: &Store,
    image_id: i64,
    sbom: &drydock_report::SbomDocument,
    db: &drydock_vulndb::Store,
    now: i64,
) -> Result<Matched, Error> {
    let (findings, warnings) = keyed(&sbom.inventory(), db)?;
    let n = findings.len();
    store.write_check(
        &CheckWrite {
            image_id,
            scope: None,
            findings,
            changes: Vec::new(),
            generation: String::new(),
        },
        now,
    )?;
    Ok(Matched {
        findings: n,
        warnings,
    })
}

/// One image's result of a full check.
#[derive(Debug, Clone, Serialize)]
pub struct ImageCheck {
    /// The image.
    pub image: ImageRow,
    /// Its findings now.
    pub findings: usize,
    /// What changed since the previous check.
    pub changes: Vec<Change>,
    /// False the first time an image is checked: everything is "added" then, and says nothing
    /// about what changed.
    pub compared: bool,
    /// What the matcher could not check (packages of an ecosystem the database lacks).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Re-matches every current snapshot against `db`, stores the findings and the changes
/// against the previous check (under `generation`), and returns them per image.
pub fn check_all(
    store: &Store,
    db: &drydock_vulndb::Store,
    generation: &str,
    now: i64,
) -> Result<Vec<ImageCheck>, Error> {
    let mut out = Vec::new();
    for image in store.images(true)? {
        let before = store.findings(image.id)?;
        let compared = image.checked_at.is_some();
        let (after, warnings) = keyed(&store.sbom(image.id)?.inventory(), db)?;
        let changes = if compared {
            diff(&before, &after)
        } else {
            Vec::new()
        };
        let write = CheckWrite {
            image_id: image.id,
            scope: None,
            findings: after,
            changes,
            generation: generation.to_string(),
        };
        store.write_check(&write, now)?;
        out.push(ImageCheck {
            findings: write.findings.len(),
            image,
            changes: write.changes,
            compared,
            warnings,
        });
    }
    Ok(out)
}

/// What one advisory database update did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateOutcome {
    /// The database generation processed.
    pub generation: String,
    /// Records new to it.
    pub added: usize,
    /// Records modified.
    pub changed: usize,
    /// Records withdrawn or gone.
    pub withdrawn: usize,
    /// Store keys (`ecosystem TAB name`) the changed records name.
    pub keys: usize,
    /// Images whose packages the changed records name.
    pub images_rechecked: usize,
    /// Notifications written.
    pub notifications: usize,
    /// The first state recorded: a baseline, nothing notified.
    pub initial: bool,
    /// Another server sharing the store processed this generation (or a newer one) first.
    pub skipped: bool,
}

/// A database's generation: its sources and their import times. Two servers with the same
/// database files see the same generation.
pub fn generation_of(db: &drydock_vulndb::Store) -> Result<String, Error> {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    let mut sources = db.sources()?;
    sources.sort_by(|a, b| a.name.cmp(&b.name));
    let mut newest = String::new();
    for s in &sources {
        h.update(format!("{}\0{}\0{}\0{}\n", s.name, s.imported_at, s.records, s.withdrawn).as_bytes());
        newest = newest.max(s.imported_at.clone());
    }
    // The newest import time first, so generations order by time as strings.
    Ok(format!("{newest}/{}", &hex::encode(h.finalize())[..16]))
}

/// Processes the database `db` against the state the store last processed: which records
/// were added, changed (their stored bytes differ) or withdrawn, which current images hold
/// a package those records name, and for those images only those packages re-matched. The
/// findings, notifications, outbox entries and the new state are written in one transaction,
/// only if no other server moved the store's generation meanwhile.
pub fn apply_update(store: &Store, db: &drydock_vulndb::Store, now: i64) -> Result<UpdateOutcome, Error> {
    let generation = generation_of(db)?;
    let previous = store.generation()?;
    let mut outcome = UpdateOutcome {
        generation: generation.clone(),
        ..UpdateOutcome::default()
    };
    let time = |g: &str| g.split('/').next().unwrap_or_default().to_string();
    if previous == generation || (!previous.is_empty() && time(&generation) < time(&previous)) {
        // Processed already, or this server's database is older than one processed.
        outcome.skipped = previous != generation;
        return Ok(outcome);
    }
    let state = store.advisory_state()?;
    let digests = db.record_digests()?;
    let mut changed_keys: BTreeSet<String> = BTreeSet::new();
    let mut upserts = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for d in &digests {
        seen.insert(d.id.as_str());
        let fingerprint = format!("{:016x}", d.fingerprint);
        let now_state = RecordState {
            fingerprint: fingerprint.clone(),
            modified: d.modified.clone(),
            keys: d.keys.clone(),
        };
        match state.get(&d.id) {
            Some(old) if old.fingerprint == fingerprint => continue,
            Some(old) => {
                outcome.changed += 1;
                changed_keys.extend(old.keys.iter().cloned());
            }
            None => outcome.added += 1,
        }
        changed_keys.extend(d.keys.iter().cloned());
        upserts.push((d.id.clone(), now_state));
    }
    let mut deletions = Vec::new();
    for (id, old) in &state {
        if !seen.contains(id.as_str()) {
            outcome.withdrawn += 1;
            changed_keys.extend(old.keys.iter().cloned());
            deletions.push(id.clone());
        }
    }
    outcome.keys = changed_keys.len();
    outcome.initial = previous.is_empty();
    let images = if !outcome.initial && !changed_keys.is_empty() {
        let keys: Vec<String> = changed_keys.iter().cloned().collect();
        store.images_with_keys(&keys)?
    } else {
        Vec::new()
    };
    outcome.images_rechecked = images.len();
    let mut recheck = |conn: &mut dyn crate::sql::Backend, image_id: i64| -> Result<CheckWrite, Error> {
        let sbom = crate::store::sbom_in(conn, image_id)?;
        let inventory = sbom.inventory();
        let lookups = drydock_matcher::lookup_keys(&inventory);
        let wanted: BTreeSet<usize> = lookups
            .iter()
            .filter(|(_, k)| changed_keys.contains(k))
            .map(|(i, _)| *i)
            .collect();
        let scope: Vec<String> = lookups
            .iter()
            .filter(|(i, _)| wanted.contains(i))
            .map(|(_, k)| k.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut part = inventory.clone();
        part.packages = wanted.iter().map(|i| inventory.packages[*i].clone()).collect();
        // The full check and the push report the matcher's warnings; an update re-checks only
        // packages the database has records for, so it has none to add.
        let (after, _) = keyed(&part, db)?;
        let before: Vec<StoredFinding> = crate::store::findings_in(conn, image_id)?
            .into_iter()
            .filter(|f| scope.contains(&f.package_key))
            .collect();
        let changes = diff(&before, &after);
        Ok(CheckWrite {
            image_id,
            scope: Some(scope),
            findings: after,
            changes,
            generation: generation.clone(),
        })
    };
    let update = crate::store::UpdateWrite {
        expected: &previous,
        generation: &generation,
        images: &images,
        upserts: &upserts,
        deletions: &deletions,
    };
    match store.commit_update(&update, &mut recheck, now)? {
        Some(n) => outcome.notifications = n,
        None => outcome.skipped = true,
    }
    Ok(outcome)
}
