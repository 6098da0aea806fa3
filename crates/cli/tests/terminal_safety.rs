//! Tier 1: text from images and advisory data never reaches the terminal as control sequences.

use assert_cmd::Command;
use drydock_testkit::workspace_root;

#[test]
fn escape_sequences_in_advisories_are_shown_not_obeyed() {
    let dir = tempfile::tempdir().unwrap();
    let record = serde_json::json!({
        "id": "GHSA-evil-evil-evil",
        "aliases": ["CVE-2099-\u{1b}[2J"],
        "summary": "clears\u{1b}[2J the screen \u{1b}[8mhidden\r overwritten \u{202e}reversed",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "urllib3"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}]}],
    });
    std::fs::write(dir.path().join("evil.json"), record.to_string()).unwrap();
    let out = Command::cargo_bin("drydock")
        .unwrap()
        .env("DRYDOCK_NO_CACHE", "true")
        .current_dir(workspace_root())
        .args(["scan", "-q", "examples/debian-mini", "--advisories"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{202e}'),
            "{text}"
        );
    }
    assert!(stdout.contains("GHSA-evil-evil-evil"), "{stdout}");
    assert!(stdout.contains("\\u{1b}[2J"), "the sequence is shown: {stdout}");
    // JSON escapes it its own way, and keeps the data intact.
    let out = Command::cargo_bin("drydock")
        .unwrap()
        .env("DRYDOCK_NO_CACHE", "true")
        .current_dir(workspace_root())
        .args(["scan", "-q", "-f", "json", "examples/debian-mini", "--advisories"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.stdout.contains(&0x1b));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let summary = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f["summary"].as_str())
        .unwrap();
    assert!(summary.contains("\u{1b}[8m"));
}
