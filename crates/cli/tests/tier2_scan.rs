//! Tier 2: `drydock scan` end to end on real images against real advisories.

use std::collections::BTreeSet;

use assert_cmd::Command;
use drydock_testkit::{built_images, shared_testdata};

fn scan_json(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("drydock")
        .unwrap()
        // Every read in these tests is a cold one: no layer cache to answer for the image.
        .env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// deb-extras' pip-installed packages against PyPA's advisories: exactly the records whose
/// ranges cover them; the pip, setuptools and wheel that Debian packages own get none.
#[test]
fn deb_extras_python_packages_against_pypa() {
    let (Some(images), Some(data)) = (built_images(), shared_testdata()) else {
        return;
    };
    let image = format!("oci:{}/oci/deb-extras", images.display());
    let pypa = data.join("vulndb/osv-pypi-pypa").display().to_string();
    let doc = scan_json(&["scan", &image, "--advisories", &pypa, "-f", "json", "-q"]);
    let got: BTreeSet<(String, String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
                f["fixed_version"].as_str().unwrap_or_default().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String, String)> = [
        ("certifi", "PYSEC-2022-42986", "2022.12.7"),
        ("certifi", "PYSEC-2023-135", "2023.7.22"),
        ("idna", "PYSEC-2024-60", "3.7"),
        ("urllib3", "PYSEC-2021-108", "1.26.5"),
        ("urllib3", "PYSEC-2023-212", "1.26.18"),
    ]
    .iter()
    .map(|(p, id, fix)| {
        (
            p.to_string(),
            id.to_string(),
            fix.to_string(),
            "fixed".to_string(),
        )
    })
    .collect();
    assert_eq!(got, want);
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["layer"], 2, "pip install ran in layer 2");
        assert_eq!(f["package"]["ecosystem"], "pypi");
    }
}

/// `lib/apk/db/installed` of a `docker save` archive (gzip) of one layer, read here with tar
/// and flate2: (package, version, origin).
fn apk_installed(archive: &std::path::Path) -> Vec<(String, String, String)> {
    use std::io::Read as _;
    let read_member = |want: &dyn Fn(&str) -> bool| -> Vec<u8> {
        let gz = flate2::read::GzDecoder::new(std::fs::File::open(archive).unwrap());
        let mut outer = tar::Archive::new(gz);
        for entry in outer.entries().unwrap() {
            let mut entry = entry.unwrap();
            if want(&entry.path().unwrap().to_string_lossy()) {
                let mut data = Vec::new();
                entry.read_to_end(&mut data).unwrap();
                return data;
            }
        }
        panic!("member not found in {}", archive.display());
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&read_member(&|p| p == "manifest.json")).unwrap();
    let layer = manifest[0]["Layers"][0].as_str().unwrap().to_string();
    let layer_tar = read_member(&|p| p == layer);
    let mut inner = tar::Archive::new(&layer_tar[..]);
    let mut text = String::new();
    for entry in inner.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_string_lossy() == "lib/apk/db/installed" {
            entry.read_to_string(&mut text).unwrap();
        }
    }
    text.split("\n\n")
        .filter_map(|stanza| {
            let field = |k: &str| stanza.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string);
            let name = field("P:")?;
            let origin = field("o:").unwrap_or_else(|| name.clone());
            Some((name, field("V:")?, origin))
        })
        .collect()
}

/// The real Alpine 3.10 image against its branch's secdb. The expectation comes from the two
/// files themselves: every origin the secdb lists for this image (busybox, musl, openssl) has,
/// in `lib/apk/db/installed`, the same upstream version as its newest fix and a revision at or
/// above it, so nothing is affected. Then the same image against that secdb with one newer
/// busybox fix added: exactly the packages whose origin is busybox are affected.
#[test]
fn alpine_310_image_against_its_secdb() {
    let Some(data) = shared_testdata() else { return };
    let archive = data.join("images/trivy-docker-archive/alpine-310/alpine-310.tar.gz");
    let image = archive.display().to_string();
    let installed = apk_installed(&archive);
    assert_eq!(installed.len(), 14);
    let secdb_dir = data.join("vulndb/alpine-secdb/v3.10");
    let main: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(secdb_dir.join("main.yaml")).unwrap()).unwrap();
    // (upstream, revision) of "1.30.1-r2".
    let split = |v: &str| {
        let (up, r) = v.rsplit_once("-r").unwrap();
        (up.to_string(), r.parse::<u32>().unwrap())
    };
    let mut listed = 0;
    for p in main["packages"].as_array().unwrap() {
        let origin = p["pkg"]["name"].as_str().unwrap();
        let Some((_, version, _)) = installed.iter().find(|(_, _, o)| o == origin) else {
            continue;
        };
        let newest = p["pkg"]["secfixes"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| split(k))
            .max()
            .unwrap();
        let have = split(version);
        assert_eq!(
            have.0, newest.0,
            "{origin}: same upstream version as its newest fix"
        );
        assert!(
            have.1 >= newest.1,
            "{origin} {version} is below its fix {newest:?}"
        );
        listed += 1;
    }
    assert_eq!(listed, 3, "busybox, musl and openssl");
    let secdb = secdb_dir.display().to_string();
    let doc = scan_json(&["scan", &image, "--advisories", &secdb, "-f", "json", "-q"]);
    assert_eq!(doc["packages_scanned"], 14);
    assert_eq!(doc["summary"]["total"], 0, "{}", doc["findings"]);
    assert_eq!(doc["database"]["sources"].as_array().unwrap().len(), 2);

    // A newer busybox fix (the real CVE-2021-42374, fixed in 3.10's busybox 1.30.1-r5 in later
    // secdb releases): busybox and ssl_client, whose origin is busybox, are affected.
    let dir = tempfile::tempdir().unwrap();
    let (busybox_version, _) = split(&installed.iter().find(|p| p.0 == "busybox").unwrap().1);
    let fixed = format!("{busybox_version}-r5");
    let yaml = format!(
        "apkurl: '{{{{urlprefix}}}}/{{{{distroversion}}}}/{{{{reponame}}}}/{{{{arch}}}}/{{{{pkg.name}}}}-{{{{pkg.ver}}}}.apk'\narchs:\n- x86_64\nreponame: main\nurlprefix: http://dl-cdn.alpinelinux.org/alpine\ndistroversion: v3.10\npackages:\n- pkg:\n    name: busybox\n    secfixes:\n      {fixed}:\n      - CVE-2021-42374\n"
    );
    std::fs::write(dir.path().join("main.yaml"), yaml).unwrap();
    let doc = scan_json(&[
        "scan",
        &image,
        "--advisories",
        &dir.path().display().to_string(),
        "-f",
        "json",
        "-q",
    ]);
    let got: BTreeSet<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["fixed_version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = installed
        .iter()
        .filter(|(_, _, origin)| origin == "busybox")
        .map(|(name, _, _)| (name.clone(), fixed.clone()))
        .collect();
    assert_eq!(want.len(), 2, "busybox and ssl_client");
    assert_eq!(got, want);
}

/// deb-extras' esbuild (a Go binary) against Go's vulndb: its standard library (go1.20.12) and
/// modules are matched; nothing else in the image is a Go package.
#[test]
fn deb_extras_go_binary_against_go_vulndb() {
    let (Some(images), Some(data)) = (built_images(), shared_testdata()) else {
        return;
    };
    let image = format!("oci:{}/oci/deb-extras", images.display());
    let vulndb = data.join("vulndb/osv-go-vulndb").display().to_string();
    let doc = scan_json(&["scan", &image, "--advisories", &vulndb, "-f", "json", "-q"]);
    let findings = doc["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| f["package"]["ecosystem"] == "golang" && f["layer"] == 4)
    );
    let got: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Both fixed only in later Go releases (1.21.8 / 1.22.1 and 1.21.11 / 1.22.4).
    for id in ["GO-2024-2599", "GO-2024-2887"] {
        assert!(got.contains(&("stdlib".to_string(), id.to_string())), "{id}");
    }
}
