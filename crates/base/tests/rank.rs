//! Candidate choice from an index, and ranking on inventories made up here.

use std::collections::BTreeMap;

use drydock_base::BaseIndex;
use drydock_base::index::{Repository, Snapshot, TagEntry};
use drydock_base::rank::{Kind, Score, candidates, delta, headline, rank};
use drydock_catalog::{BaseConfidence, BaseEvidence, BaseImage, PackageType};
use drydock_matcher::{Finding, MatchedOn, PackageRef, Status};
use drydock_vulndb::Severity;

fn snap(digest: char, size: u64, created: &str) -> Snapshot {
    Snapshot {
        digest: format!("sha256:{}", digest.to_string().repeat(64)),
        manifest_digest: format!("sha256:{}", digest.to_string().repeat(64)),
        platform: Some("linux/amd64".into()),
        created: Some(created.into()),
        size,
        chain_ids: vec![format!("sha256:{}", digest.to_string().repeat(64))],
        first_seen: "2026-01-01T00:00:00Z".into(),
        last_seen: "2026-01-01T00:00:00Z".into(),
    }
}

fn entry(s: Snapshot, previous: Vec<Snapshot>) -> TagEntry {
    TagEntry {
        current: s,
        previous,
        gone: false,
    }
}

/// debian-like: 12 moved from `a` to `b`; 12.8 = b; 12-slim; 13 = trixie; 14 (forky); 11; latest.
fn index() -> BaseIndex {
    let mut tags = BTreeMap::new();
    tags.insert(
        "12".to_string(),
        entry(snap('b', 50, "2026-02-01"), vec![snap('a', 50, "2026-01-01")]),
    );
    tags.insert("12.8".to_string(), entry(snap('b', 50, "2026-02-01"), vec![]));
    tags.insert("bookworm".to_string(), entry(snap('b', 50, "2026-02-01"), vec![]));
    tags.insert("12-slim".to_string(), entry(snap('c', 30, "2026-02-01"), vec![]));
    tags.insert(
        "12.7-slim".to_string(),
        entry(snap('9', 30, "2025-10-01"), vec![]),
    );
    tags.insert("13".to_string(), entry(snap('d', 48, "2026-02-01"), vec![]));
    tags.insert("trixie".to_string(), entry(snap('d', 48, "2026-02-01"), vec![]));
    tags.insert("13-slim".to_string(), entry(snap('e', 28, "2026-02-01"), vec![]));
    tags.insert("14".to_string(), entry(snap('f', 47, "2026-02-01"), vec![]));
    tags.insert("11".to_string(), entry(snap('1', 45, "2026-02-01"), vec![]));
    tags.insert("latest".to_string(), entry(snap('d', 48, "2026-02-01"), vec![]));
    let mut gone = entry(snap('7', 10, "2026-02-01"), vec![]);
    gone.gone = true;
    tags.insert("12-tiny".to_string(), gone);
    let mut index = BaseIndex::default();
    index.repositories.insert(
        "registry.example/library/debian".into(),
        Repository {
            updated: "2026-02-01T00:00:00Z".into(),
            tags,
        },
    );
    index
}

fn base(tag: &str, digest: char) -> BaseImage {
    BaseImage {
        name: Some("registry.example/library/debian".into()),
        tag: Some(tag.into()),
        digest: Some(format!("sha256:{}", digest.to_string().repeat(64))),
        evidence: BaseEvidence::Layers,
        confidence: BaseConfidence::High,
        layers: Some(1),
        tags: vec![],
        notes: vec![],
    }
}

#[test]
fn the_index_offers_refresh_the_next_major_line_and_the_newest_of_each_variant() {
    let picked = candidates(&index(), &base("12", 'a'), 10);
    let got: Vec<(Kind, &str, Vec<&str>)> = picked
        .candidates
        .iter()
        .map(|c| {
            (
                c.kind,
                c.name.as_str(),
                c.tags.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Kind::Refresh,
                "registry.example/library/debian:12.8",
                vec!["12.8", "12", "bookworm"]
            ),
            (
                Kind::Major,
                "registry.example/library/debian:13",
                vec!["13", "trixie", "latest"]
            ),
            (
                Kind::Alternative,
                "registry.example/library/debian:12-slim",
                vec!["12-slim"]
            ),
        ]
    );
    assert_eq!(
        picked.candidates[0].source,
        format!(
            "docker://registry.example/library/debian@sha256:{}",
            "b".repeat(64)
        )
    );
}

#[test]
fn an_up_to_date_base_gets_no_refresh_and_max_cuts_the_list() {
    let picked = candidates(&index(), &base("12", 'b'), 10);
    assert!(picked.candidates.iter().all(|c| c.kind != Kind::Refresh));
    assert_eq!(picked.candidates.len(), 2);
    let one = candidates(&index(), &base("12", 'a'), 1);
    assert_eq!(one.candidates.len(), 1);
    assert!(
        one.notes.iter().any(|n| n.contains("2 more candidates")),
        "{:?}",
        one.notes
    );
    // From the slim variant: the next slim line and the plain variant of the same line.
    let slim = candidates(&index(), &base("12-slim", 'c'), 10);
    let names: Vec<(Kind, &str)> = slim
        .candidates
        .iter()
        .map(|c| (c.kind, c.name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            (Kind::Major, "registry.example/library/debian:13-slim"),
            (Kind::Alternative, "registry.example/library/debian:12.8"),
        ]
    );
    // An unknown repository says what to do.
    let mut other = base("12", 'a');
    other.name = Some("quay.example/x/y".into());
    let none = candidates(&index(), &other, 10);
    assert!(none.candidates.is_empty());
    assert!(
        none.notes[0].contains("drydock base index quay.example/x/y"),
        "{:?}",
        none.notes
    );
}

fn finding(id: &str, package: &str, severity: Severity) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![],
        advisories: vec![id.into()],
        summary: None,
        package: PackageRef {
            name: package.into(),
            version: "1".into(),
            ecosystem: PackageType::Deb,
            purl: format!("pkg:deb/debian/{package}@1"),
        },
        severity,
        score: None,
        status: Status::Fixed,
        fixed_version: None,
        layer: Some(0),
        matched: MatchedOn {
            ecosystem: "Debian:12".parse().unwrap(),
            name: package.into(),
            version: "1".into(),
        },
    }
}

#[test]
fn ranking_puts_fewer_severe_vulnerabilities_first_then_size() {
    let current = Score::new(
        100,
        50 << 20,
        &[
            finding("CVE-1", "openssl", Severity::Critical),
            finding("CVE-2", "zlib", Severity::High),
            finding("CVE-3", "patch", Severity::Medium),
            // The same vulnerability reported twice for a package counts once.
            finding("CVE-3", "patch", Severity::Low),
        ],
    );
    assert_eq!(current.counts().total(), 3);
    let cand = |name: &str, kind: Kind| drydock_base::rank::Candidate {
        name: name.into(),
        kind,
        source: name.into(),
        tags: vec![],
        digest: None,
        created: None,
    };
    let refresh = Score::new(
        100,
        50 << 20,
        &[
            finding("CVE-2", "zlib", Severity::High),
            finding("CVE-3", "patch", Severity::Medium),
        ],
    );
    let major = Score::new(90, 48 << 20, &[finding("CVE-9", "glibc", Severity::Medium)]);
    let slim = Score::new(
        60,
        30 << 20,
        &[
            finding("CVE-2", "zlib", Severity::High),
            finding("CVE-3", "patch", Severity::Medium),
        ],
    );
    let worse = Score::new(
        120,
        80 << 20,
        &[
            finding("CVE-1", "openssl", Severity::Critical),
            finding("CVE-2", "zlib", Severity::High),
            finding("CVE-3", "patch", Severity::Medium),
            finding("CVE-4", "curl", Severity::Critical),
        ],
    );
    let ranked = rank(
        &current,
        vec![
            (cand("worse", Kind::Alternative), Ok(worse)),
            (cand("refresh", Kind::Refresh), Ok(refresh)),
            (cand("broken", Kind::Candidate), Err("pull failed: HTTP 404")),
            (cand("slim", Kind::Alternative), Ok(slim)),
            (cand("major", Kind::Major), Ok(major)),
        ],
    );
    let order: Vec<(&str, Option<usize>, bool)> = ranked
        .iter()
        .map(|r| (r.candidate.name.as_str(), r.rank, r.better))
        .collect();
    assert_eq!(
        order,
        vec![
            ("major", Some(1), true),
            ("slim", Some(2), true),
            ("refresh", Some(3), true),
            ("worse", Some(4), false),
            ("broken", None, false),
        ]
    );
    let d = ranked[0].delta.as_ref().unwrap();
    assert_eq!(
        (d.removed, d.added, d.removed_by_severity.critical, d.size),
        (3, 1, 1, -(2 << 20))
    );
    let d = ranked[3].delta.as_ref().unwrap();
    assert_eq!((d.removed, d.added, d.added_by_severity.critical), (0, 1, 1));
    assert_eq!(ranked[4].error.as_deref(), Some("pull failed: HTTP 404"));
    assert_eq!(
        headline(&current, &ranked),
        "switching to major removes 3 of 3 vulnerabilities (100 %), 1 critical, adds 1, and 2.0 MB smaller"
    );
    // When nothing is better, it says so.
    let ranked = rank(
        &current,
        vec![(
            cand("worse", Kind::Alternative),
            Ok::<_, String>(delta_free(&current)),
        )],
    );
    assert!(!ranked[0].better);
    assert_eq!(
        headline(&current, &ranked),
        "no candidate is better than the current base (1 evaluated)"
    );
    assert_eq!(delta(&current, &current).removed, 0);
}

fn delta_free(s: &Score) -> Score {
    s.clone()
}
