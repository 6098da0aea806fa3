//! Tier 1: the `drydock sbom` command end to end, on the example image shipped in the repo and
//! on synthetic images.

use assert_cmd::Command;
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder, workspace_root};

fn drydock() -> Command {
    let mut c = Command::cargo_bin("drydock").unwrap();
    // Every read in these tests is a cold one: no layer cache to answer for the image.
    c.env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/nonexistent-drydock-test")
        .env("DRYDOCK_NO_CACHE", "true");
    c
}

fn example() -> String {
    workspace_root()
        .join("examples/debian-mini")
        .display()
        .to_string()
}

fn sbom_json(source: &str) -> serde_json::Value {
    let out = drydock()
        .args(["sbom", source, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn example_image_inventory_matches_its_build_record() {
    let doc = sbom_json(&example());
    // name, version, ecosystem, layer — as the build script recorded them.
    let mut expected: Vec<(String, String, String, u64)> =
        std::fs::read_to_string(workspace_root().join("examples/debian-mini/packages.tsv"))
            .unwrap()
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (
                    f[0].to_string(),
                    f[1].to_string(),
                    f[2].to_string(),
                    f[3].parse().unwrap(),
                )
            })
            .collect();
    let mut got: Vec<(String, String, String, u64)> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["version"].as_str().unwrap().into(),
                p["ecosystem"].as_str().unwrap().into(),
                p["layer"].as_u64().unwrap(),
            )
        })
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["image"]["os"]["id"], "debian");
    assert_eq!(doc["image"]["layers"].as_array().unwrap().len(), 4);
    for p in doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] == "deb")
    {
        assert!(p["purl"].as_str().unwrap().starts_with("pkg:deb/debian/"));
        assert!(
            !p["files"].as_array().unwrap().is_empty(),
            "{} owns files",
            p["name"]
        );
    }
    let zlib = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "zlib1g")
        .unwrap();
    assert_eq!(zlib["source_name"], "zlib");
    let urllib3 = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "urllib3")
        .unwrap();
    assert_eq!(urllib3["purl"], "pkg:pypi/urllib3@1.26.4");
    assert!(doc["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn table_cyclonedx_and_spdx() {
    let out = drydock().args(["sbom", &example()]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Packages: 9"), "{text}");
    assert!(text.contains("libxml2"));
    let out = drydock()
        .args(["sbom", &example(), "-f", "cyclonedx"])
        .output()
        .unwrap();
    let cdx: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cdx["specVersion"], "1.6");
    assert_eq!(
        cdx["components"].as_array().unwrap().len(),
        10,
        "9 packages and the OS"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sbom.spdx.json");
    drydock()
        .args(["sbom", &example(), "-f", "spdx-json", "-o"])
        .arg(&file)
        .assert()
        .success()
        .stdout("");
    let spdx: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(
        spdx["packages"].as_array().unwrap().len(),
        11,
        "image, OS and 9 packages"
    );
}

fn one_line_error(out: &std::process::Output, code: i32, needle: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("drydock: error: "), "{err}");
    assert!(err.contains(needle), "{err}");
    assert!(out.stdout.is_empty(), "nothing reported as scanned");
}

#[test]
fn bad_inputs_are_one_line_errors_with_exit_2() {
    let out = drydock()
        .args(["sbom", "/nonexistent/image.tar"])
        .output()
        .unwrap();
    one_line_error(&out, 2, "no such file");

    let dir = tempfile::tempdir().unwrap();
    let mut img = ImageBuilder::new().layer(
        LayerBuilder::new()
            .file("etc/os-release", b"ID=debian\n")
            .finish(),
        Comp::Gzip,
        "x",
    );
    img.tamper_blob = Some((0, drydock_testkit::compress(b"not the layer", Comp::Gzip)));
    img.write_oci_dir(dir.path());
    let out = drydock()
        .args(["sbom", &format!("oci:{}", dir.path().display()), "-f", "json"])
        .output()
        .unwrap();
    one_line_error(&out, 2, "layer 0");

    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(
            LayerBuilder::new().raw_file("../escape", b"x").finish(),
            Comp::None,
            "x",
        )
        .write_oci_dir(dir.path());
    let out = drydock()
        .args(["sbom", &dir.path().display().to_string()])
        .output()
        .unwrap();
    one_line_error(&out, 2, "hostile path");

    let out = drydock()
        .args(["sbom", &example(), "--platform", "linux"])
        .output()
        .unwrap();
    one_line_error(&out, 2, "invalid platform");
}

#[test]
fn an_image_without_package_database_says_so() {
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(
            LayerBuilder::new().file("bin/app", b"\x7fELF").finish(),
            Comp::Gzip,
            "COPY app /bin/app",
        )
        .write_oci_dir(dir.path());
    let out = drydock()
        .args(["sbom", &dir.path().display().to_string(), "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: no OS identified"), "{stderr}");
    assert!(
        stderr.contains("warning: no OS package database found"),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 2);
    assert!(doc["packages"].as_array().unwrap().is_empty());
    // Each warning is said once, by sbom as by scan (which adds the matcher's and the
    // database's own), and the scan report carries it.
    assert_eq!(stderr.matches("warning: no OS identified").count(), 1, "{stderr}");
    let advisories = format!("{}/../../examples/advisories", env!("CARGO_MANIFEST_DIR"));
    let out = drydock()
        .args([
            "scan",
            &dir.path().display().to_string(),
            "--advisories",
            &advisories,
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("warning: no OS identified").count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("warning: no OS package database found").count(),
        1,
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings: Vec<&str> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert_eq!(
        warnings
            .iter()
            .filter(|w| w.starts_with("no OS identified"))
            .count(),
        1,
        "{warnings:?}"
    );
}

#[test]
fn unknown_os_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(
            LayerBuilder::new()
                .file("etc/os-release", b"ID=plan9\nVERSION_ID=4\n")
                .finish(),
            Comp::Gzip,
            "x",
        )
        .write_oci_dir(dir.path());
    let out = drydock()
        .args(["sbom", &dir.path().display().to_string(), "-f", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("\"plan9\""), "{stderr}");
    assert!(stderr.contains("not one drydock knows"), "{stderr}");
}

#[test]
fn elf_files_no_package_accounts_for_are_listed() {
    let elf = fake_elf(2);
    let mut lib = elf.clone();
    lib[16] = 3;
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(
            LayerBuilder::new()
                .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
                .finish(),
            Comp::Gzip,
            "base",
        )
        .layer(
            LayerBuilder::new()
                .file("opt/tool/bin/tool", &elf)
                .file("opt/tool/lib/libtool.so.1", &lib)
                .finish(),
            Comp::Gzip,
            "COPY tool /opt/tool",
        )
        .write_oci_dir(dir.path());
    let doc = sbom_json(&dir.path().display().to_string());
    let unscanned: Vec<(String, u64, String)> = doc["unscanned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["path"].as_str().unwrap().into(),
                u["layer"].as_u64().unwrap(),
                u["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        unscanned,
        vec![
            ("/opt/tool/bin/tool".to_string(), 1, "executable".to_string()),
            (
                "/opt/tool/lib/libtool.so.1".to_string(),
                1,
                "shared-library".to_string()
            )
        ]
    );
    let out = drydock()
        .args(["sbom", &dir.path().display().to_string()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Unscanned: 2 executables and shared libraries"));
}

#[test]
fn runtimes_gems_and_composer_packages() {
    let elf = fake_elf(2);
    let gemspec =
        b"Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.3\"\nend\n";
    let installed =
        br#"{"packages":[{"name":"guzzlehttp/guzzle","version":"7.4.0"}],"dev-package-names":[]}"#;
    let dir = tempfile::tempdir().unwrap();
    let mut img = ImageBuilder::new()
        .layer(
            LayerBuilder::new()
                .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
                .finish(),
            Comp::Gzip,
            "base",
        )
        .layer(
            LayerBuilder::new()
                .file("usr/local/bin/python3.11", &elf)
                .file("usr/local/bundle/specifications/rack-2.2.3.gemspec", gemspec)
                .file("var/www/vendor/composer/installed.json", installed)
                .finish(),
            Comp::Gzip,
            "install",
        );
    img.env = vec!["PYTHON_VERSION=3.11.7".into()];
    img.write_oci_dir(dir.path());
    let doc = sbom_json(&dir.path().display().to_string());
    let got: Vec<(String, String, String)> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["ecosystem"].as_str().unwrap().into(),
                p["name"].as_str().unwrap().into(),
                p["version"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("gem".to_string(), "rack".to_string(), "2.2.3".to_string()),
            (
                "composer".to_string(),
                "guzzlehttp/guzzle".to_string(),
                "7.4.0".to_string()
            ),
            ("generic".to_string(), "python".to_string(), "3.11.7".to_string()),
        ]
    );
    assert!(
        doc["unscanned"].as_array().unwrap().is_empty(),
        "the python binary is accounted for"
    );
}

#[test]
fn a_jdk_is_known_by_its_release_file_once() {
    let elf = fake_elf(2);
    let dir = tempfile::tempdir().unwrap();
    let mut img = ImageBuilder::new().layer(
        LayerBuilder::new()
            .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
            .file("opt/java/openjdk/bin/java", &elf)
            .file(
                "opt/java/openjdk/release",
                b"IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"17.0.9\"\nJAVA_VERSION_DATE=\"2023-10-17\"\n",
            )
            // A file called release that is not a JDK's.
            .file("srv/app/release", b"JAVA_VERSION=\"1.0\"\n")
            .finish(),
        Comp::Gzip,
        "jdk",
    );
    img.env = vec!["JAVA_VERSION=jdk-17.0.9+9".into()];
    img.write_oci_dir(dir.path());
    let doc = sbom_json(&dir.path().display().to_string());
    let jdks: Vec<(&str, &str, &str)> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["purl"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(jdks, [("openjdk", "17.0.9", "pkg:generic/openjdk@17.0.9")]);
    assert!(
        doc["unscanned"].as_array().unwrap().is_empty(),
        "bin/java belongs to the JDK"
    );
}

#[test]
fn ruby_is_known_by_its_library_and_reported_once() {
    let elf = fake_elf(3);
    let mut lib = elf.clone();
    lib.extend_from_slice(b"\0ruby 3.2.2p53 (2023-03-30 revision e51014f9c0) [x86_64-linux]\0");
    // A version-like string that is not the description.
    lib.extend_from_slice(b"\0ruby 3.0 is required\0");
    let dir = tempfile::tempdir().unwrap();
    let mut img = ImageBuilder::new().layer(
        LayerBuilder::new()
            .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
            .file("usr/local/bin/ruby", &elf)
            .file("usr/local/lib/libruby.so.3.2.2", &lib)
            .finish(),
        Comp::Gzip,
        "ruby",
    );
    img.env = vec!["RUBY_VERSION=3.2.2".into()];
    img.write_oci_dir(dir.path());
    let doc = sbom_json(&dir.path().display().to_string());
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 1, "{packages:?}");
    assert_eq!(packages[0]["purl"], "pkg:generic/ruby@3.2.2");
    assert!(
        doc["unscanned"].as_array().unwrap().is_empty(),
        "{}",
        doc["unscanned"]
    );
}

/// The smallest file the ELF probe takes: a 64-bit little-endian header of the given e_type
/// (2 executable, 3 shared object), zero-padded.
fn fake_elf(e_type: u8) -> Vec<u8> {
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.resize(16, 0);
    elf.extend_from_slice(&[e_type, 0]);
    elf.resize(4096, 0);
    elf
}

/// Files past what drydock reads for their kind: a language manifest is a warning naming it,
/// the OS package database an error, never an image with "no packages".
#[test]
fn files_too_large_to_read_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let huge_metadata = vec![b' '; 17 << 20];
    let layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .file(
            "var/lib/dpkg/status",
            b"Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n",
        )
        .file(
            "usr/lib/python3/dist-packages/big-1.0.dist-info/METADATA",
            &huge_metadata,
        )
        .finish();
    let path = dir.path().join("warned");
    ImageBuilder::new()
        .layer(layer, Comp::Gzip, "ADD")
        .write_oci_dir(&path);
    let out = drydock()
        .args(["sbom", &format!("oci:{}", path.display()), "-q", "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "/usr/lib/python3/dist-packages/big-1.0.dist-info/METADATA (17825792 bytes) was not read"
        ),
        "{stderr}"
    );

    let huge_status = vec![b'\n'; 65 << 20];
    let layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .file("var/lib/dpkg/status", &huge_status)
        .finish();
    let path = dir.path().join("refused");
    ImageBuilder::new()
        .layer(layer, Comp::Gzip, "ADD")
        .write_oci_dir(&path);
    let out = drydock()
        .args(["sbom", &format!("oci:{}", path.display()), "-q", "-f", "json"])
        .output()
        .unwrap();
    one_line_error(
        &out,
        2,
        "/var/lib/dpkg/status: package database not read (68157440 bytes)",
    );
}

/// A package database that is a hard link to a file the layer does not hold cannot be read:
/// an error, not an image with no packages.
#[test]
fn a_database_hard_linked_to_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let layer = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .hardlink("var/lib/dpkg/status", "var/lib/dpkg/status-gone")
        .finish();
    let path = dir.path().join("linked");
    ImageBuilder::new()
        .layer(layer, Comp::Gzip, "ADD")
        .write_oci_dir(&path);
    let out = drydock()
        .args(["sbom", &format!("oci:{}", path.display()), "-q", "-f", "json"])
        .output()
        .unwrap();
    one_line_error(&out, 2, "hard link to /var/lib/dpkg/status-gone");
}
