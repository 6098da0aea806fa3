//! Every check on small synthetic images, read through the same layer pass as a real scan.

use std::collections::BTreeMap;

use drydock_audit::{Config, Input, Level, Thresholds};
use drydock_source::{Filesystem, Image, Platform, SourceSpec};
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder};

fn read(image: ImageBuilder) -> (tempfile::TempDir, Image, Filesystem) {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("image");
    image.write_oci_dir(&layout);
    let spec = SourceSpec::parse(&format!("oci:{}", layout.display())).unwrap();
    let mut img = Image::open(&spec, &Platform::default()).unwrap();
    let fs = img
        .scan(&drydock_audit::wants(drydock_catalog::wants()), &|_| {})
        .unwrap();
    (dir, img, fs)
}

struct Run {
    findings: Vec<drydock_audit::Finding>,
    size: drydock_audit::size::SizeReport,
}

fn audit_with(fs: &Filesystem, image: &Image, config: Config, base: Option<&str>) -> Run {
    let inventory = drydock_catalog::catalog(fs).unwrap();
    let history = image
        .history
        .iter()
        .filter_map(|h| Some((h.layer, h.created_by.clone()?)))
        .collect();
    let input = Input {
        fs,
        packages: &inventory.packages,
        layers: &[],
        config,
        history,
        reference: "oci:image:1.0",
        base: base.map(str::to_string),
    };
    let r = drydock_audit::audit(&input, &Thresholds::default());
    Run {
        findings: r.findings,
        size: r.size,
    }
}

fn ids(run: &Run) -> Vec<(String, Option<String>)> {
    run.findings
        .iter()
        .map(|f| (f.id.clone(), f.path.clone()))
        .collect()
}

fn no_labels() -> BTreeMap<String, String> {
    BTreeMap::new()
}

/// An unprivileged user and a health check: no configuration finding.
fn plain_config<'a>(env: &'a [String], labels: &'a BTreeMap<String, String>) -> Config<'a> {
    static TEST: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    Config {
        user: Some("app"),
        env,
        labels,
        volumes: &[],
        healthcheck: Some(TEST.get_or_init(|| vec!["CMD".to_string(), "true".to_string()])),
    }
}

#[test]
fn size_figures_follow_dives_definitions() {
    let l0 = LayerBuilder::new()
        .file("a", &[b'a'; 100])
        .dir("d")
        .file("d/x", &[b'x'; 50])
        .file("d/y", &[b'y'; 30])
        .finish();
    let l1 = LayerBuilder::new().file("a", &[b'b'; 120]).whiteout("d").finish();
    let l2 = LayerBuilder::new().whiteout("a").finish();
    let (_d, img, fs) = read(
        ImageBuilder::new()
            .layer(l0, Comp::Gzip, "ADD")
            .layer(l1, Comp::None, "RUN one")
            .layer(l2, Comp::Zstd, "RUN two"),
    );
    let labels = no_labels();
    let run = audit_with(&fs, &img, plain_config(&[], &labels), None);
    // a: 100 + 120 + 0 (a deleted file weighs nothing); d: 80 (a deleted folder weighs what was
    // under it); d/x 50, d/y 30. Smallest per path: 0 + 80 + 50 + 30.
    assert_eq!(run.size.wasted_bytes, 220);
    assert!(
        (run.size.efficiency - 160.0 / 380.0).abs() < 1e-12,
        "{}",
        run.size.efficiency
    );
    assert!((run.size.user_wasted_percent.unwrap() - 220.0 / 120.0).abs() < 1e-12);
    let reclaimable: Vec<u64> = run.size.layers.iter().map(|l| l.reclaimable_bytes).collect();
    assert_eq!(reclaimable, [180, 120, 0]);
    assert_eq!(run.size.inefficient[0].path, "/a");
    assert_eq!(run.size.inefficient[0].count, 3);
    // dive's thresholds: efficiency under 0.9 and more than 10 % wasted.
    let got = ids(&run);
    assert!(got.contains(&("DD-SIZE-0001".into(), None)));
    assert!(got.contains(&("DD-SIZE-0003".into(), None)));
    assert!(!got.iter().any(|(id, _)| id == "DD-SIZE-0002"));
}

#[test]
fn file_checks() {
    let shadow = "root:*:19000:0:99999:7:::\nbob::19000:0:99999:7:::\nalice:!:19000::::::\n";
    let passwd = "root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\nevil:x:0:0::/:/bin/sh\n";
    let group = "root:x:0:\nstaff:x:50:\nother:x:50:\n";
    let l0 = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .file("etc/shadow", shadow.as_bytes())
        .file("etc/passwd", passwd.as_bytes())
        .file("etc/group", group.as_bytes())
        .file_mode("usr/bin/passwd", b"#!/bin/sh\n", 0o4755)
        .file_mode("usr/bin/wall", b"#!/bin/sh\n", 0o2755)
        .file_mode("opt/app/data.txt", b"x", 0o666)
        .file_mode("tmp/scratch", b"x", 0o666)
        .file("root/.cache/pip/http/abc", &[0; 10])
        .file("var/lib/apt/lists/lock", b"")
        .file("var/lib/apt/lists/deb.example_dists_bookworm_InRelease", &[1; 7])
        .finish();
    let (_d, img, fs) = read(ImageBuilder::new().layer(l0, Comp::Gzip, "ADD file:abc in / "));
    let labels = no_labels();
    let run = audit_with(&fs, &img, plain_config(&[], &labels), None);
    let got = ids(&run);
    let has = |id: &str, path: Option<&str>| got.contains(&(id.to_string(), path.map(str::to_string)));
    assert!(has("CIS-DI-0008", Some("/usr/bin/passwd")));
    assert!(has("CIS-DI-0008", Some("/usr/bin/wall")));
    assert!(has("DD-FS-0001", Some("/opt/app/data.txt")));
    assert!(!has("DD-FS-0001", Some("/tmp/scratch")));
    let details = |id: &str| -> Vec<String> {
        run.findings
            .iter()
            .filter(|f| f.id == id)
            .map(|f| f.detail.clone())
            .collect()
    };
    assert_eq!(
        details("DKL-LI-0001"),
        ["user `bob` has an empty password in /etc/shadow"]
    );
    assert_eq!(
        details("DKL-LI-0002"),
        [
            "GID 50 is shared by staff, other in /etc/group",
            "UID 0 is shared by root, evil in /etc/passwd"
        ]
    );
    assert_eq!(
        details("DKL-LI-0003"),
        [
            "pip cache left in /root/.cache/pip/: 1 file(s), 10 bytes",
            "temporary files left in /tmp/: 1 file(s), 1 bytes",
            "apt package lists left in /var/lib/apt/lists/: 1 file(s), 7 bytes",
        ]
    );
    // The base image's own root filesystem (`ADD file:… in /`) is not an ADD to avoid.
    assert!(!has("CIS-DI-0009", None));
}

#[test]
fn configuration_checks() {
    let (_d, img, fs) = read(ImageBuilder::new().layer(
        LayerBuilder::new().file("x", b"x").finish(),
        Comp::Gzip,
        "COPY x /x",
    ));
    let env = vec![
        "PATH=/usr/bin".to_string(),
        "GPG_KEY=ABCD".to_string(),
        "DB_PASSWORD=hunter2".to_string(),
    ];
    let labels = BTreeMap::from([("com.example.api-token".to_string(), "t".to_string())]);
    let volumes = ["/data".to_string(), "/proc/".to_string()];
    let none = ["NONE".to_string()];
    let root = Config {
        user: Some("0:0"),
        env: &env,
        labels: &labels,
        volumes: &volumes,
        healthcheck: Some(&none),
    };
    let run = audit_with(&fs, &img, root, Some("debian:latest"));
    let details = |id: &str| -> Vec<String> {
        run.findings
            .iter()
            .filter(|f| f.id == id)
            .map(|f| f.detail.clone())
            .collect()
    };
    assert_eq!(details("CIS-DI-0001").len(), 1);
    assert_eq!(details("CIS-DI-0006").len(), 1);
    assert_eq!(
        details("CIS-DI-0010"),
        [
            "suspicious ENV key `DB_PASSWORD` (contains PASSWORD): pass secrets at run time, not in the image",
            "suspicious LABEL key `com.example.api-token` (contains TOKEN): pass secrets at run time, not in the image"
        ]
    );
    assert_eq!(details("DKL-DI-0002"), ["VOLUME /proc"]);
    assert_eq!(details("DKL-DI-0006").len(), 1, "{:?}", details("DKL-DI-0006"));

    let check = ["CMD".to_string(), "true".to_string()];
    let labels = no_labels();
    let healthy = Config {
        user: Some("app"),
        env: &[],
        labels: &labels,
        volumes: &[],
        healthcheck: Some(&check),
    };
    let run = audit_with(&fs, &img, healthy, Some("debian:12"));
    let ids: Vec<&str> = run.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["DD-BASE-0001"], "{:?}", run.findings);
}

#[test]
fn history_checks() {
    let steps = [
        "/bin/sh -c apt-get update",
        "/bin/sh -c apt-get update && apt-get install -y curl",
        "/bin/sh -c apk add curl",
        "/bin/sh -c sudo make install",
        "/bin/sh -c apt-get dist-upgrade -y",
        "/bin/sh -c #(nop) ADD https://example.org/x.tgz /opt/",
    ];
    let mut image = ImageBuilder::new();
    for (i, s) in steps.iter().enumerate() {
        image = image.layer(
            LayerBuilder::new().file(&format!("f{i}"), b"x").finish(),
            Comp::Gzip,
            s,
        );
    }
    let (_d, img, fs) = read(image);
    let labels = no_labels();
    let run = audit_with(&fs, &img, plain_config(&[], &labels), None);
    let by_layer: Vec<(String, Option<usize>)> = run
        .findings
        .iter()
        .filter(|f| !f.id.starts_with("DD-SIZE"))
        .map(|f| (f.id.clone(), f.layer))
        .collect();
    let expect = [
        ("CIS-DI-0007", Some(0)),
        ("CIS-DI-0009", Some(5)),
        ("DKL-DI-0001", Some(3)),
        ("DKL-DI-0003", Some(4)),
        ("DKL-DI-0004", Some(2)),
        ("DKL-DI-0005", Some(1)),
    ];
    for (id, layer) in expect {
        assert!(
            by_layer.contains(&(id.to_string(), layer)),
            "{id} at {layer:?} in {by_layer:?}"
        );
    }
    assert_eq!(by_layer.len(), expect.len(), "{by_layer:?}");
}

#[test]
fn secrets_in_deleted_layers_and_build_tools() {
    let key = format!("AKIA{}", "QWERTYUIOPASDFGH");
    let pem = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    );
    let status = "Package: gcc-12\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.2.0-14\n\n\
                  Package: zlib1g-dev\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n\n";
    let l0 = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .file("var/lib/dpkg/status", status.as_bytes())
        .file("var/lib/dpkg/info/gcc-12.list", b"/usr/bin/gcc\n")
        .file("var/lib/dpkg/info/zlib1g-dev.list", b"/usr/include/zlib.h\n")
        .file("usr/bin/gcc", b"#!/bin/sh\n")
        .file("usr/include/zlib.h", b"/* zlib */\n")
        .file("usr/local/go/bin/go", b"#!/bin/sh\n")
        .finish();
    let l1 = LayerBuilder::new()
        .file("root/.ssh/id_ed25519", pem.as_bytes())
        .file("root/.ssh/id_ed25519.pub", b"ssh-ed25519 AAAA test\n")
        .file(
            "root/.aws/credentials",
            format!("[default]\naws_access_key_id = {key}\n").as_bytes(),
        )
        .file("app/.env", b"X=1\n")
        .finish();
    let l2 = LayerBuilder::new()
        .whiteout("root/.ssh")
        .whiteout("root/.aws")
        .finish();
    let (_d, img, fs) = read(
        ImageBuilder::new()
            .layer(l0, Comp::Gzip, "ADD file:abc in / ")
            .layer(l1, Comp::Gzip, "COPY . /")
            .layer(l2, Comp::Gzip, "RUN rm -rf /root/.ssh /root/.aws"),
    );
    let labels = no_labels();
    let run = audit_with(&fs, &img, plain_config(&[], &labels), None);
    let secrets: Vec<(String, Option<usize>, Option<String>)> = run
        .findings
        .iter()
        .filter(|f| f.id.starts_with("DD-SECRET/"))
        .map(|f| (f.id.clone(), f.layer, f.path.clone()))
        .collect();
    let want = [
        ("DD-SECRET/private-key", "/root/.ssh/id_ed25519"),
        ("DD-SECRET/aws-access-key-id", "/root/.aws/credentials"),
        ("DD-SECRET/ssh-private-key-file", "/root/.ssh/id_ed25519"),
        ("DD-SECRET/aws-credentials-file", "/root/.aws/credentials"),
        ("DD-SECRET/dotenv", "/app/.env"),
    ];
    for (id, path) in want {
        assert!(
            secrets.contains(&(id.to_string(), Some(1), Some(path.to_string()))),
            "{id} {path} in {secrets:?}"
        );
    }
    assert_eq!(secrets.len(), want.len(), "{secrets:?}");
    let aws = run
        .findings
        .iter()
        .find(|f| f.id == "DD-SECRET/aws-access-key-id")
        .unwrap();
    assert!(aws.detail.contains("still shipped"), "{}", aws.detail);
    assert!(!aws.detail.contains(&key[4..]), "{}", aws.detail);
    assert!(aws.detail.contains("line 2: AKIA****"), "{}", aws.detail);
    assert_eq!(aws.level, Level::Fatal);
    let dotenv = run.findings.iter().find(|f| f.id == "DD-SECRET/dotenv").unwrap();
    assert!(!dotenv.detail.contains("still shipped"));

    let tools: Vec<(Option<String>, Option<String>)> = run
        .findings
        .iter()
        .filter(|f| f.id == "CIS-DI-0003")
        .map(|f| (f.package.clone(), f.path.clone()))
        .collect();
    assert_eq!(
        tools,
        [
            (Some("deb:gcc-12".into()), None),
            (Some("deb:zlib1g-dev".into()), None),
            (None, Some("/usr/local/go/bin/go".into())),
        ]
    );
}
