//! Tier 2: the HTML report of a real image scan, opened in headless Chromium. The rendered DOM
//! must hold every finding, the right totals, and narrow the list when a filter is given in the
//! URL fragment. A screenshot is left in the target directory for people to look at.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use drydock_testkit::{built_images, shared_testdata, workspace_root};
use serde_json::Value;

fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|d| Path::new(d).join(name))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (.ci/run installs it)"
        );
        eprintln!("skipping: chromium not installed");
    }
    found
}

fn browse(browser: &Path, page: &Path, fragment: &str, extra: &[&str]) -> String {
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
        ])
        .args(extra)
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn shown(dom: &str, table: &str) -> usize {
    let at = dom.find(&format!("id=\"{table}\"")).expect("table rendered");
    let tag = &dom[dom[..at].rfind('<').unwrap()..];
    let tag = &tag[..tag.find('>').unwrap()];
    let v = tag.split("data-shown=\"").nth(1).expect("data-shown");
    v[..v.find('"').unwrap()].parse().unwrap()
}

#[test]
fn a_real_scan_renders_in_a_browser_with_its_findings_totals_and_filters() {
    let (Some(data), Some(images)) = (shared_testdata(), built_images()) else {
        return;
    };
    let Some(browser) = chromium() else { return };
    let work = tempfile::tempdir().unwrap();
    let page = work.path().join("report.html");
    let scan = |format: &str, output: &Path| {
        let out = Command::cargo_bin("drydock")
            .unwrap()
            .env("DRYDOCK_NO_CACHE", "true")
            .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
            .env_remove("DRYDOCK_CACHE_DIR")
            .args(["scan", "-q", "-f", format, "-o"])
            .arg(output)
            .arg(format!("oci:{}", images.join("oci/deb-extras").display()))
            .arg("--baseline")
            .arg(format!("oci:{}", images.join("oci/deb-base").display()))
            .arg("--advisories")
            .arg(data.join("vulndb/osv-pypi-pypa"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    scan("html", &page);
    let json_path = work.path().join("report.json");
    scan("json", &json_path);
    let report: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.len() >= 3,
        "the PyPA advisories match deb-extras' pip packages"
    );

    let dom = browse(&browser, &page, "", &["--dump-dom"]);
    assert!(
        dom.contains("data-ready=\"true\""),
        "the script ran under the page's CSP"
    );
    assert_eq!(shown(&dom, "findings"), findings.len());
    for f in findings {
        let id = f["id"].as_str().unwrap();
        assert!(dom.contains(&format!(">{id}</a>")), "{id} listed with its link");
    }
    for (sev, n) in report["summary"]["by_severity"].as_object().unwrap() {
        assert!(dom.contains(&format!("{sev}: {n}")), "total {sev}: {n}");
    }
    assert_eq!(
        shown(&dom, "packages"),
        report["packages"].as_array().unwrap().len()
    );

    // Filters given in the URL fragment narrow the list.
    let high = report["summary"]["by_severity"]["HIGH"].as_u64().unwrap_or(0) as usize;
    assert_eq!(
        shown(
            &browse(&browser, &page, "#severity=HIGH", &["--dump-dom"]),
            "findings"
        ),
        high
    );
    let urllib3 = findings
        .iter()
        .filter(|f| f["package"]["name"] == "urllib3")
        .count();
    assert!(urllib3 > 0);
    assert_eq!(
        shown(
            &browse(&browser, &page, "#q=urllib3", &["--dump-dom"]),
            "findings"
        ),
        urllib3
    );
    let new = report["baseline"]["new"].as_u64().unwrap() as usize;
    assert_eq!(
        shown(
            &browse(&browser, &page, "#baseline=new", &["--dump-dom"]),
            "findings"
        ),
        new
    );

    // A screenshot for people to look at, beside the build.
    let shot = workspace_root().join("target").join("html-report.png");
    browse(
        &browser,
        &page,
        "",
        &[
            "--window-size=1280,1600",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 10_000)
            .unwrap_or(false),
        "screenshot written"
    );
    eprintln!("screenshot of the report: {}", shot.display());
}
