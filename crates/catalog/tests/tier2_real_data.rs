//! Tier 2: real package databases, real images and the ground truth that came with them.

use std::collections::BTreeSet;
use std::path::Path;

use drydock_catalog::{Inventory, catalog, wants};
use drydock_source::{Image, Platform, SourceSpec};
use drydock_testkit::{built_images, shared_testdata};

fn inventory(source: &str) -> (Image, Inventory) {
    let spec = SourceSpec::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let mut image = Image::open(&spec, &Platform::default()).unwrap_or_else(|e| panic!("{source}: {e}"));
    let fs = image
        .scan(&wants(), &|_| {})
        .unwrap_or_else(|e| panic!("{source}: {e}"));
    let inv = catalog(&fs).unwrap_or_else(|e| panic!("{source}: {e}"));
    (image, inv)
}

fn read_tsv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn deb_row(p: &drydock_catalog::Package) -> Vec<String> {
    vec![
        p.name.clone(),
        p.version.clone(),
        p.source_name.clone().unwrap_or_default(),
        p.source_version.clone().unwrap_or_default(),
        p.arch.clone().unwrap_or_default(),
    ]
}

#[test]
fn built_images_match_their_dpkg_truth_in_every_format() {
    let Some(images) = built_images() else { return };
    let truth_of = |name: &str| -> BTreeSet<Vec<String>> {
        read_tsv(&images.join(format!("truth/{name}/dpkg.tsv")))
            .into_iter()
            .collect()
    };
    let base = truth_of("deb-base");
    let multi = truth_of("deb-multi");
    for name in ["deb-base", "deb-multi", "deb-extras"] {
        let truth = truth_of(name);
        let sources = [
            format!("oci:{}/oci/{name}", images.display()),
            format!("oci-archive:{}/{name}.oci.tar", images.display()),
            format!("docker-archive:{}/{name}.docker.tar", images.display()),
            format!("{}/{name}.docker25.tar", images.display()),
            format!("dir:{}/rootfs/{name}", images.display()),
        ];
        for source in &sources {
            let (image, inv) = inventory(source);
            let debs: Vec<&drydock_catalog::Package> = inv
                .packages
                .iter()
                .filter(|p| p.ecosystem == drydock_catalog::PackageType::Deb)
                .collect();
            let got: BTreeSet<Vec<String>> = debs.iter().map(|p| deb_row(p)).collect();
            assert_eq!(got, truth, "{source}: package list differs from truth");
            check_language_truth(&images, name, &inv, source.starts_with("dir:"));
            assert_eq!(
                inv.distro.as_ref().map(|d| d.id.as_str()),
                Some("debian"),
                "{source}"
            );
            assert!(inv.warnings.is_empty(), "{source}: {:?}", inv.warnings);
            if source.starts_with("dir:") {
                continue;
            }
            // Layer attribution: what deb-base had stays in layer 0; what deb-multi added is
            // layer 1; the rest came with deb-extras' python3-pip layer (2).
            for p in debs {
                let row = deb_row(p);
                let want = if base.contains(&row) {
                    0
                } else if multi.contains(&row) {
                    1
                } else {
                    2
                };
                assert_eq!(p.layer, Some(want), "{source}: layer of {}", p.name);
                assert!(!p.files.is_empty(), "{source}: {} owns no files", p.name);
            }
            assert!(
                image
                    .layers
                    .iter()
                    .all(|l| l.digest.is_some() && l.diff_id.is_some())
            );
        }
    }
}

/// Python and npm packages against the truth files: every dist (owned ones marked with their
/// Debian package), nothing removed in a later layer, and the layer that installed each.
fn check_language_truth(images: &Path, name: &str, inv: &Inventory, rootfs: bool) {
    use drydock_catalog::PackageType;
    let python: BTreeSet<(String, String, String, String)> =
        read_tsv(&images.join(format!("truth/{name}/python.tsv")))
            .into_iter()
            .map(|r| {
                (
                    r[0].clone(),
                    r[1].clone(),
                    r[2].clone(),
                    if r[3] == "-" {
                        String::new()
                    } else {
                        format!("deb:{}", r[3])
                    },
                )
            })
            .collect();
    let got: BTreeSet<(String, String, String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == PackageType::Pypi)
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.locations[0].clone(),
                p.owner.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(got, python, "{name}: python packages");
    let npm: BTreeSet<(String, String, String)> = read_tsv(&images.join(format!("truth/{name}/npm.tsv")))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    let got: BTreeSet<(String, String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == PackageType::Npm)
        .map(|p| (p.name.clone(), p.version.clone(), p.locations[0].clone()))
        .collect();
    assert_eq!(got, npm, "{name}: npm packages");
    // Binaries outside any package manager: name, version, path.
    let binaries: BTreeSet<(String, String, String)> =
        read_tsv(&images.join(format!("truth/{name}/binaries.tsv")))
            .into_iter()
            .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
            .collect();
    let got: BTreeSet<(String, String, String)> = inv
        .packages
        .iter()
        .filter(|p| match p.ecosystem {
            PackageType::Generic => true,
            // the main module of a Go binary names the binary
            PackageType::Golang => {
                p.name != "stdlib"
                    && p.files
                        .first()
                        .is_some_and(|f| f.ends_with(p.name.rsplit('/').next().unwrap_or("")))
            }
            _ => false,
        })
        .map(|p| {
            (
                p.name.rsplit('/').next().unwrap_or(&p.name).to_string(),
                p.version.trim_start_matches('v').to_string(),
                p.locations[0].clone(),
            )
        })
        .collect();
    assert_eq!(got, binaries, "{name}: binaries outside the package manager");
    assert!(
        inv.unscanned.is_empty(),
        "{name}: every ELF file is accounted for: {:?}",
        inv.unscanned
    );
    if name == "deb-extras" && !rootfs {
        for p in &inv.packages {
            match (p.ecosystem, p.name.as_str()) {
                (PackageType::Generic, "node") => assert_eq!(p.layer, Some(3)),
                (PackageType::Golang, _) => assert_eq!(p.layer, Some(4), "{}", p.name),
                _ => {}
            }
        }
        let stdlib = inv
            .packages
            .iter()
            .find(|p| p.ecosystem == PackageType::Golang && p.name == "stdlib")
            .unwrap();
        assert_eq!(stdlib.version, "1.20.12");
    }
    if name == "deb-extras" && !rootfs {
        // pip installs in layer 2; COPY app /app is layer 5.
        for p in &inv.packages {
            match p.ecosystem {
                PackageType::Pypi => assert_eq!(p.layer, Some(2), "{}", p.name),
                PackageType::Npm => assert_eq!(p.layer, Some(5), "{}", p.name),
                _ => {}
            }
        }
    }
}

#[test]
fn alpine_310_image_matches_trivy_package_list() {
    let Some(data) = shared_testdata() else { return };
    let (image, inv) = inventory(
        &data
            .join("images/trivy-docker-archive/alpine-310/alpine-310.tar.gz")
            .display()
            .to_string(),
    );
    let golden: serde_json::Value = serde_json::from_slice(
        &std::fs::read(data.join("golden/trivy-packages/alpine-310.json.golden")).unwrap(),
    )
    .unwrap();
    // Trivy's golden list was recorded from an earlier build of alpine:3.10, so names, origins
    // and arches are compared with it and versions with the image's own database.
    let want: BTreeSet<Vec<String>> = golden
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            vec![s("Name"), s("SrcName"), s("Arch")]
        })
        .collect();
    let got: BTreeSet<Vec<String>> = inv
        .packages
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.source_name.clone().unwrap_or_default(),
                p.arch.clone().unwrap_or_default(),
            ]
        })
        .collect();
    assert_eq!(got, want);
    let versions: BTreeSet<(String, String)> = inv
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    assert!(
        versions.contains(&("libssl1.1".to_string(), "1.1.1d-r2".to_string())),
        "{versions:?}"
    );
    assert!(
        versions.contains(&("musl".to_string(), "1.1.22-r3".to_string())),
        "{versions:?}"
    );
    let distro = inv.distro.unwrap();
    assert_eq!(
        (distro.id.as_str(), distro.version_id.as_deref()),
        ("alpine", Some("3.10.4"))
    );
    assert_eq!(image.layers.len(), 1);
    assert!(
        inv.packages
            .iter()
            .all(|p| p.layer == Some(0) && p.purl.starts_with("pkg:apk/alpine/"))
    );
    let musl = inv.packages.iter().find(|p| p.name == "musl").unwrap();
    assert!(
        musl.files.iter().any(|f| f == "/lib/ld-musl-x86_64.so.1"),
        "{:?}",
        musl.files
    );
}

type RpmRow = (String, Option<u64>, String, String, String, String);

fn rpm_rows(expected: &[serde_json::Value]) -> BTreeSet<RpmRow> {
    expected
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            (
                s("name"),
                p["epoch"].as_u64(),
                s("version"),
                s("release"),
                s("arch"),
                s("sourcerpm"),
            )
        })
        .collect()
}

#[test]
fn rpm_databases_in_all_three_formats_match_upstream_expectations() {
    let Some(data) = shared_testdata() else { return };
    for case in ["syft-bdb-dive", "go-rpmdb-sle15-bci", "go-rpmdb-cbl-mariner-2.0"] {
        let dir = data.join("pkgdb/rpm").join(case);
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        let (_, inv) = inventory(&format!("dir:{}", dir.display()));
        let got: Vec<serde_json::Value> = inv
            .packages
            .iter()
            .map(|p| {
                let vr = p.version.split_once(':').map(|(_, v)| v).unwrap_or(&p.version);
                let (version, release) = vr.rsplit_once('-').unwrap_or((vr, ""));
                serde_json::json!({"name": p.name, "epoch": p.epoch, "version": version, "release": release, "arch": p.arch,
                    "sourcerpm": format!("{}-{}.src.rpm", p.source_name.clone().unwrap_or_default(), p.source_version.clone().unwrap_or_default())})
            })
            .collect();
        let got = rpm_rows(&got);
        match expected.get("packages") {
            Some(list) => assert_eq!(got, rpm_rows(list.as_array().unwrap()), "{case}"),
            None => {
                let one = rpm_rows(std::slice::from_ref(&expected["package"]));
                assert!(
                    one.is_subset(&got),
                    "{case}: {one:?} not among {} packages",
                    got.len()
                );
            }
        }
        assert!(
            inv.packages.iter().all(|p| p.purl.starts_with("pkg:rpm/")),
            "{case}"
        );
    }
    let (_, inv) = inventory(&format!("dir:{}", data.join("pkgdb/rpm/syft-bdb-dive").display()));
    assert_eq!(inv.packages[0].files, vec!["/usr/local/bin/dive".to_string()]);
}

#[test]
fn rpm_header_blobs_parse() {
    let Some(data) = shared_testdata() else { return };
    let blob = std::fs::read(data.join("pkgdb/rpm/go-rpmdb-header-blob/blob.bin")).unwrap();
    let h = drydock_catalog::rpm::header::parse(&blob).unwrap();
    assert!(!h.name.is_empty() && !h.version.is_empty());
    // Every truncation of a real blob is an error or a value, never a panic.
    for len in (0..blob.len()).step_by(97) {
        let _ = drydock_catalog::rpm::header::parse(&blob[..len]);
    }
}

#[test]
fn apk_databases_parse_with_origins_and_files() {
    let Some(data) = shared_testdata() else { return };
    let dir = data.join("pkgdb/apk");
    for case in std::fs::read_dir(&dir).unwrap() {
        let case = case.unwrap().path();
        // Every case holds a database: a missing one must fail here, not compare 0 with 0.
        let raw = std::fs::read_to_string(case.join("lib/apk/db/installed")).unwrap();
        // Independently of drydock's parser: the (P:, V:) pair of each paragraph that has both.
        let expected: std::collections::BTreeSet<(String, String)> = raw
            .split("\n\n")
            .filter_map(|p| {
                let field = |k: &str| p.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string);
                Some((field("P:")?, field("V:")?))
            })
            .collect();
        assert!(!expected.is_empty(), "{}", case.display());
        let (_, inv) = inventory(&format!("dir:{}", case.display()));
        let got: std::collections::BTreeSet<(String, String)> = inv
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(got, expected, "{}", case.display());
        assert_eq!(inv.packages.len(), expected.len(), "{}", case.display());
        for p in &inv.packages {
            assert!(
                p.source_name.is_some(),
                "{}: origin of {}",
                case.display(),
                p.name
            );
        }
    }
}

#[test]
fn alpine_os_release_matches_claircore() {
    let Some(data) = shared_testdata() else { return };
    for entry in std::fs::read_dir(data.join("pkgdb/os-release")).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(want) = std::fs::read(dir.join("want")) else {
            continue;
        };
        let want: serde_json::Value = serde_json::from_slice(&want).unwrap();
        let (_, inv) = inventory(&format!("dir:{}", dir.display()));
        let d = inv
            .distro
            .unwrap_or_else(|| panic!("{}: no distro", dir.display()));
        assert_eq!(d.id, want[0]["did"].as_str().unwrap(), "{}", dir.display());
        assert_eq!(
            d.pretty_name.as_deref(),
            want[0]["pretty_name"].as_str(),
            "{}",
            dir.display()
        );
    }
}

/// Every real dpkg database (classic `status` and distroless `status.d`): the installed
/// paragraphs, counted independently, and the fields of a known one.
#[test]
fn dpkg_databases_classic_and_distroless() {
    let Some(data) = shared_testdata() else { return };
    let mut checked = 0;
    for entry in std::fs::read_dir(data.join("pkgdb/dpkg")).unwrap() {
        let case = entry.unwrap().path();
        let mut texts = Vec::new();
        for db in ["var/lib/dpkg/status", "var/lib/dpkg/status.d"] {
            let p = case.join(db);
            if p.is_file() {
                texts.push(std::fs::read_to_string(&p).unwrap_or_default());
            } else if p.is_dir() {
                for f in std::fs::read_dir(&p).unwrap() {
                    let f = f.unwrap().path();
                    if !f.to_string_lossy().ends_with(".md5sums") {
                        texts.push(String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned());
                    }
                }
            }
        }
        if texts.is_empty() {
            continue;
        }
        checked += 1;
        // Independently of drydock's parser: the (Package, Version) of each installed paragraph.
        let expected: std::collections::BTreeSet<(String, String)> = texts
            .iter()
            .flat_map(|t| t.split("\n\n"))
            .filter_map(|p| {
                let field = |k: &str| {
                    p.lines()
                        .find_map(|l| l.strip_prefix(k))
                        .map(|v| v.trim().to_string())
                };
                let installed =
                    field("Status:").is_none_or(|s| s.split_whitespace().nth(2) == Some("installed"));
                installed.then_some((field("Package:")?, field("Version:")?))
            })
            .collect();
        let (_, inv) = inventory(&format!("dir:{}", case.display()));
        let debs: std::collections::BTreeSet<(String, String)> = inv
            .packages
            .iter()
            .filter(|p| p.ecosystem == drydock_catalog::PackageType::Deb)
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(debs, expected, "{}", case.display());
    }
    // Every case but the empty ones holds a database; none may be passed over silently.
    assert_eq!(
        checked, 13,
        "dpkg cases checked: 13 of the 15 cases hold a database"
    );
    let (_, inv) = inventory(&format!(
        "dir:{}",
        data.join("pkgdb/dpkg/syft-status.d-libpam-runtime").display()
    ));
    let pam = inv.packages.iter().find(|p| p.name == "libpam-runtime").unwrap();
    assert_eq!(
        (
            pam.version.as_str(),
            pam.source_name.as_deref(),
            pam.arch.as_deref()
        ),
        ("1.5.2-6+deb12u1", Some("pam"), Some("all"))
    );
    assert_eq!(
        pam.locations,
        vec!["/var/lib/dpkg/status.d/libpam-runtime".to_string()]
    );
    let (_, inv) = inventory(&format!(
        "dir:{}",
        data.join("pkgdb/dpkg/syft-status.d-corrupt").display()
    ));
    assert!(inv.packages.is_empty());
    assert!(
        inv.warnings.iter().any(|w| w.contains("status.d/corrupt")),
        "{:?}",
        inv.warnings
    );
}

/// Lock files of real projects (Trivy's test repositories) against Trivy's own package lists
/// for them: the production dependencies match; development ones are present and marked.
#[test]
fn npm_lock_files_match_trivy() {
    let Some(data) = shared_testdata() else { return };
    let inputs = data.join("golden/trivy-vulns-inputs/npm");
    let golden: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("golden/trivy-vulns/npm.json.golden")).unwrap())
            .unwrap();
    let want: BTreeSet<(String, String)> = golden["Results"][0]["Packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["Name"].as_str().unwrap().to_string(),
                p["Version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let lock = std::fs::read_to_string(inputs.join("package-lock.json")).unwrap();
    let got: BTreeSet<(String, String)> = drydock_catalog::npm::package_lock(&lock, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|(_, _, dev)| !dev)
        .map(|(n, v, _)| (n, v))
        .collect();
    assert_eq!(got, want);
    // Through the whole pipeline, each package is reported once.
    let (_, inv) = inventory(&format!("dir:{}", inputs.display()));
    let mut seen = BTreeSet::new();
    for p in inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == drydock_catalog::PackageType::Npm)
    {
        assert!(
            seen.insert((p.name.clone(), p.version.clone(), p.dev)),
            "{} {} twice",
            p.name,
            p.version
        );
    }
    for (name, version) in &want {
        assert!(
            seen.iter().any(|(n, v, _)| n == name && v == version),
            "{name} {version}"
        );
    }
    let pnpm = std::fs::read_to_string(data.join("golden/trivy-vulns-inputs/pnpm/pnpm-lock.yaml")).unwrap();
    let pnpm: BTreeSet<(String, String)> = drydock_catalog::npm::pnpm_lock(&pnpm, usize::MAX)
        .into_iter()
        .map(|(n, v, _)| (n, v))
        .collect();
    assert!(
        pnpm.contains(&("jquery".to_string(), "3.3.9".to_string())),
        "{pnpm:?}"
    );
    assert!(
        pnpm.contains(&("lodash".to_string(), "4.17.4".to_string())),
        "{pnpm:?}"
    );
    let yarn = std::fs::read_to_string(data.join("golden/trivy-vulns-inputs/yarn/yarn.lock")).unwrap();
    let yarn: BTreeSet<(String, String)> = drydock_catalog::npm::yarn_lock(&yarn, usize::MAX)
        .into_iter()
        .map(|(n, v, _)| (n, v))
        .collect();
    for pair in [("asap", "2.0.6"), ("jquery", "3.2.1"), ("promise", "8.0.3")] {
        assert!(
            yarn.contains(&(pair.0.to_string(), pair.1.to_string())),
            "{pair:?} in {yarn:?}"
        );
    }
}

/// A CPython interpreter copied in by hand is recognised from its version string; the same
/// binary installed by dpkg is the dpkg package, not a second "python".
#[test]
fn hand_copied_python_is_recognised_and_dpkg_python_is_not_doubled() {
    let Some(images) = built_images() else { return };
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("usr/local/bin")).unwrap();
    std::fs::copy(
        images.join("rootfs/deb-extras/usr/bin/python3.11"),
        root.path().join("usr/local/bin/python3.11"),
    )
    .unwrap();
    let (_, inv) = inventory(&format!("dir:{}", root.path().display()));
    let generic: Vec<(String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == drydock_catalog::PackageType::Generic)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    // deb-extras' python3.11 is Debian's 3.11.2-6+deb12u9 build.
    assert_eq!(generic, vec![("python".to_string(), "3.11.2".to_string())]);
    let (_, inv) = inventory(&format!("oci:{}/oci/deb-extras", images.display()));
    assert!(
        !inv.packages
            .iter()
            .any(|p| p.ecosystem == drydock_catalog::PackageType::Generic && p.name == "python")
    );
}

/// A real BerkeleyDB rpmdb cut on a page boundary passes every size check but its metadata
/// page's count: it must be an error naming the database, never fewer packages.
#[test]
fn a_bdb_rpmdb_cut_on_a_page_boundary_is_an_error() {
    let Some(data) = shared_testdata() else { return };
    let whole = std::fs::read(data.join("pkgdb/rpm/syft-bdb-dive/var/lib/rpm/Packages")).unwrap();
    let page_size = u32::from_le_bytes(whole[20..24].try_into().unwrap()) as usize;
    assert!(
        whole.len() / page_size >= 2,
        "the real database has more than one page"
    );
    assert!(drydock_catalog::rpm::bdb::values(&whole).is_ok());
    let cut = &whole[..whole.len() - page_size];
    let err = drydock_catalog::rpm::bdb::values(cut).unwrap_err();
    let held = whole.len() / page_size - 1;
    assert_eq!(
        err,
        drydock_catalog::rpm::bdb::Error::MissingPages {
            counted: held + 1,
            held
        }
    );
}

/// claircore's os-release cases that state the parsed distribution (`Distribution`): Alpine,
/// Ubuntu, Debian (distroless included), RHEL/UBI, openSUSE and Fedora. Each `os-release` is laid at
/// `etc/os-release` of a root filesystem and read as an image; the id and version must be
/// claircore's, the pretty name and codename the ones claircore parsed.
#[test]
fn os_release_matches_claircores_distributions() {
    let Some(data) = shared_testdata() else { return };
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(data.join("pkgdb/os-release")).unwrap() {
        let dir = entry.unwrap().path();
        let (Ok(release), Ok(want)) = (
            std::fs::read(dir.join("os-release")),
            std::fs::read(dir.join("Distribution")),
        ) else {
            continue;
        };
        let want: serde_json::Value = serde_json::from_slice(&want).unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::write(root.path().join("etc/os-release"), &release).unwrap();
        let (_, inv) = inventory(&format!("dir:{}", root.path().display()));
        let d = inv
            .distro
            .unwrap_or_else(|| panic!("{}: no distro", dir.display()));
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        // claircore's `Distribution` maps some releases onto its own table (Fedora's pretty
        // name becomes "Fedora"); the os-release fields themselves are in its `Parsed`.
        let parsed: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("Parsed")).unwrap()).unwrap();
        assert_eq!(d.id, want["did"].as_str().unwrap(), "{name}");
        assert_eq!(d.version_id.as_deref(), want["version_id"].as_str(), "{name}");
        assert_eq!(d.pretty_name.as_deref(), parsed["PRETTY_NAME"].as_str(), "{name}");
        assert_eq!(
            d.version_codename.as_deref(),
            parsed["VERSION_CODENAME"].as_str().filter(|c| !c.is_empty()),
            "{name}"
        );
        checked.push(name);
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "claircore-Alpine",
            "claircore-Bionic",
            "claircore-Buster",
            "claircore-DistrolessCorrupt",
            "claircore-EmptyKey",
            "claircore-OpenSUSe",
            "claircore-Silverblue",
            "claircore-Toolbox",
            "claircore-Ubi8"
        ]
    );
}
