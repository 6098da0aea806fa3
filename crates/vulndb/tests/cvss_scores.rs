//! Severities computed from CVSS vectors equal a CVSS calculator's base scores (the values
//! in `cvss_table` are FIRST's calculator results for CVSS 2.0, 3.1 and 4.0), with the NVD
//! rating bands.

mod cvss_table;

use cvss_table::SCORED;
use drydock_vulndb::{Severity, Store, import_path};

#[test]
fn each_vector_scores_as_the_calculator_does() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (kind, vector, _, _)) in SCORED.iter().enumerate() {
        let record = serde_json::json!({
            "id": format!("TEST-CVSS-{i}"),
            "modified": "2026-01-01T00:00:00Z",
            "severity": [{"type": kind, "score": vector}],
            "affected": [{"package": {"ecosystem": "PyPI", "name": format!("p{i}")},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}],
        });
        std::fs::write(dir.path().join(format!("{i}.json")), record.to_string()).unwrap();
    }
    let store = Store::in_memory().unwrap();
    import_path(&store, dir.path()).unwrap();
    for (i, (_, vector, score, level)) in SCORED.iter().enumerate() {
        let s = store
            .get(&format!("TEST-CVSS-{i}"))
            .unwrap()
            .unwrap()
            .severity
            .unwrap();
        assert_eq!(
            (s.score, s.level, s.source.as_str()),
            (Some(*score), *level, "cvss"),
            "{vector}"
        );
        assert_eq!(s.vector.as_deref(), Some(*vector));
    }
}

#[test]
fn the_newest_cvss_version_wins_and_a_word_severity_comes_first() {
    let dir = tempfile::tempdir().unwrap();
    let both = serde_json::json!({
        "id": "TEST-BOTH", "modified": "2026-01-01T00:00:00Z",
        "severity": [
            {"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
            {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N"},
        ],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}}],
    });
    let worded = serde_json::json!({
        "id": "TEST-WORD", "modified": "2026-01-01T00:00:00Z",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "database_specific": {"severity": "LOW"},
        "affected": [{"package": {"ecosystem": "PyPI", "name": "b"}}],
    });
    std::fs::write(dir.path().join("both.json"), both.to_string()).unwrap();
    std::fs::write(dir.path().join("word.json"), worded.to_string()).unwrap();
    let store = Store::in_memory().unwrap();
    import_path(&store, dir.path()).unwrap();
    let s = store.get("TEST-BOTH").unwrap().unwrap().severity.unwrap();
    assert_eq!((s.score, s.level), (Some(3.7), Severity::Low), "3.1 over 2.0");
    let s = store.get("TEST-WORD").unwrap().unwrap().severity.unwrap();
    assert_eq!((s.level, s.source.as_str()), (Severity::Low, "advisory"));
}
