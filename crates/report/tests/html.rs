//! Tier 1: the HTML report — the embedded document is the JSON report, nothing in the page loads
//! from anywhere, the Content-Security-Policy allows exactly the page's own script and style,
//! and markup planted in package names and advisory texts stays text.

use base64::Engine;
use drydock_catalog::PackageType;
use drydock_matcher::{Finding, MatchedOn, PackageRef, Status};
use drydock_report::ImageSummary;
use drydock_report::html::{Kind, embedded_json, render};
use drydock_report::scan::{ReportedFinding, ScanDocument};
use drydock_vulndb::Severity;
use sha2::{Digest, Sha256};

const EVIL: &str = "</script><script>alert(1)</script><img src=x onerror=alert(2)>";

fn doc() -> ScanDocument {
    let finding = Finding {
        id: "GHSA-xxxx-yyyy-zzzz".into(),
        aliases: vec!["CVE-2099-0001".into()],
        advisories: vec!["GHSA-xxxx-yyyy-zzzz".into()],
        summary: Some(format!("summary {EVIL} & more")),
        package: PackageRef {
            name: format!("pkg{EVIL}"),
            version: "1.0".into(),
            ecosystem: PackageType::Pypi,
            purl: "pkg:pypi/x@1.0".into(),
        },
        severity: Severity::High,
        score: None,
        status: Status::Fixed,
        fixed_version: Some("1.1".into()),
        layer: Some(0),
        matched: MatchedOn {
            ecosystem: "PyPI".parse().unwrap(),
            name: "x".into(),
            version: "1.0".into(),
        },
    };
    ScanDocument::new(
        ImageSummary {
            name: format!("oci:app{EVIL}"),
            transport: "oci".into(),
            ..Default::default()
        },
        vec![],
        Default::default(),
        vec![ReportedFinding::new(finding, None)],
        vec![],
        vec![],
    )
}

fn hash(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

/// The text between `open` (after its closing `>`) and `close`, for the n-th occurrence.
fn element<'a>(page: &'a str, open: &str, close: &str, n: usize) -> &'a str {
    let at = page.match_indices(open).nth(n).unwrap().0;
    let body = &page[at..];
    let start = body.find('>').unwrap() + 1;
    &body[start..body.find(close).unwrap()]
}

#[test]
fn the_page_embeds_the_json_report_and_keeps_planted_markup_as_text() {
    let json = drydock_report::scan::json(&doc());
    let page = render(Kind::Scan, "oci:app", &json);
    let embedded: serde_json::Value = serde_json::from_str(embedded_json(&page).unwrap()).unwrap();
    let original: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(embedded, original, "the embedded document is the JSON report");
    // Exactly two script elements, ours; the planted ones are escaped inside the data.
    assert_eq!(page.matches("<script").count(), 2);
    assert!(!page.contains("<img"));
    assert!(!page.contains("alert(1)</script>"));
    // The title is escaped too.
    assert!(element(&page, "<title", "</title>", 0).starts_with("drydock scan: oci:app"));
}

#[test]
fn nothing_loads_and_the_policy_pins_the_inline_code() {
    let page = render(Kind::Sbom, "x", "{\"packages\": []}");
    for forbidden in [
        "<link",
        "src=\"http",
        "src='http",
        "@import",
        "url(http",
        "<iframe",
        "<object",
        "<embed",
    ] {
        assert!(!page.contains(forbidden), "{forbidden}");
    }
    let script = element(&page, "<script>", "</script>", 0);
    let style = element(&page, "<style", "</style>", 0);
    let csp = page
        .split("http-equiv=\"Content-Security-Policy\" content=\"")
        .nth(1)
        .unwrap();
    let csp = &csp[..csp.find('"').unwrap()];
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(
        csp.contains(&format!("script-src 'sha256-{}'", hash(script))),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("style-src 'sha256-{}'", hash(style))),
        "{csp}"
    );
    // The script builds elements and sets text only: no way to turn data into markup.
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ] {
        assert!(!script.contains(sink), "{sink}");
    }
}
