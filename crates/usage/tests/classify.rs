//! Classification and removal on an inventory made up here, with an image whose symlinks are
//! merged `/usr` as Debian 12 has them.

use std::collections::{BTreeMap, BTreeSet};

use drydock_catalog::{Package, PackageType};
use drydock_usage::access::{Format, read};
use drydock_usage::{ImageFiles, State, classify, removal};

fn pkg(name: &str, ecosystem: PackageType, files: &[&str], locations: &[&str], depends: &[&str]) -> Package {
    Package {
        name: name.into(),
        version: "1".into(),
        ecosystem,
        purl: format!("pkg:{}/{name}@1", ecosystem.as_str()),
        source_name: None,
        source_version: None,
        arch: None,
        epoch: None,
        modularity_label: None,
        layer: Some(0),
        locations: locations.iter().map(|s| s.to_string()).collect(),
        files: files.iter().map(|s| s.to_string()).collect(),
        licenses: vec![],
        owner: None,
        dev: false,
        introduced_by: None,
        depends: depends.iter().map(|s| s.to_string()).collect(),
        installed_size: Some(1024),
        essential: false,
    }
}

/// `lib` → `usr/lib`, `bin` → `usr/bin`, and `usr/bin/python3` → `python3.11`.
fn resolve(path: &str) -> String {
    let p = path.trim_start_matches('/');
    let p = if let Some(rest) = p.strip_prefix("lib/") {
        format!("usr/lib/{rest}")
    } else if let Some(rest) = p.strip_prefix("bin/") {
        format!("usr/bin/{rest}")
    } else {
        p.to_string()
    };
    if p == "usr/bin/python3" {
        "usr/bin/python3.11".into()
    } else {
        p
    }
}

fn is_file(path: &str) -> bool {
    !path.ends_with("/lib") && path != "usr/lib/x86_64-linux-gnu"
}

#[test]
fn used_required_and_unused_through_symlinks_dependencies_and_folders() {
    let mut essential = pkg(
        "base-files",
        PackageType::Deb,
        &["/etc/os-release"],
        &[],
        &["libtinfo6"],
    );
    essential.essential = true;
    let mut pip_of_debian = pkg(
        "pip",
        PackageType::Pypi,
        &[],
        &["/usr/lib/python3/dist-packages/pip-23.0.1.dist-info"],
        &[],
    );
    pip_of_debian.owner = Some("deb:python3-pip".into());
    let packages = vec![
        // The loader names /lib/…, dpkg's list says /lib/… too, the file is in /usr/lib.
        pkg(
            "libc6",
            PackageType::Deb,
            &["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu"],
            &[],
            &["libgcc-s1"],
        ),
        pkg(
            "libgcc-s1",
            PackageType::Deb,
            &["/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"],
            &[],
            &["gcc-12-base"],
        ),
        pkg(
            "gcc-12-base",
            PackageType::Deb,
            &["/usr/share/doc/gcc-12-base/copyright"],
            &[],
            &[],
        ),
        pkg(
            "python3.11-minimal",
            PackageType::Deb,
            &["/usr/bin/python3.11"],
            &[],
            &["libc6"],
        ),
        pkg("curl", PackageType::Deb, &["/usr/bin/curl"], &[], &["libcurl4"]),
        pkg(
            "libcurl4",
            PackageType::Deb,
            &["/usr/lib/x86_64-linux-gnu/libcurl.so.4"],
            &[],
            &["libc6"],
        ),
        pkg(
            "libtinfo6",
            PackageType::Deb,
            &["/usr/lib/x86_64-linux-gnu/libtinfo.so.6"],
            &[],
            &[],
        ),
        essential,
        pkg(
            "python3-pip",
            PackageType::Deb,
            &["/usr/lib/python3/dist-packages/pip/__init__.py"],
            &[],
            &[],
        ),
        pip_of_debian,
        pkg(
            "requests",
            PackageType::Pypi,
            &[],
            &["/usr/local/lib/python3.11/dist-packages/requests-2.25.1.dist-info"],
            &[],
        ),
        pkg(
            "PyYAML",
            PackageType::Pypi,
            &[],
            &["/usr/local/lib/python3.11/dist-packages/PyYAML-6.0.dist-info"],
            &[],
        ),
        pkg(
            "express",
            PackageType::Npm,
            &[],
            &["/app/node_modules/express/package.json"],
            &[],
        ),
        pkg(
            "debug",
            PackageType::Npm,
            &[],
            &["/app/node_modules/express/node_modules/debug/package.json"],
            &[],
        ),
        pkg(
            "esbuild",
            PackageType::Golang,
            &[],
            &["/usr/local/bin/esbuild"],
            &[],
        ),
    ];
    let mut extra = BTreeMap::new();
    // PyYAML's RECORD names the `yaml` package its name would not give.
    extra.insert(
        11,
        vec!["/usr/local/lib/python3.11/dist-packages/yaml/__init__.py".to_string()],
    );
    let trace = "/bin/python3\n/lib/x86_64-linux-gnu/libc.so.6\n/usr/lib/x86_64-linux-gnu\n/usr/local/lib/python3.11/dist-packages/requests/__init__.py\n/usr/local/lib/python3.11/dist-packages/yaml/__init__.py\n/app/node_modules/express/node_modules/debug/src/index.js\n/app/main.js\n";
    let access = read(Format::Paths, trace).unwrap();
    let c = classify(
        &ImageFiles {
            packages: &packages,
            resolve: &resolve,
            is_file: &is_file,
            extra_files: &extra,
        },
        &access,
    );
    let by_state = |s: State| -> BTreeSet<&str> {
        c.packages
            .iter()
            .filter(|u| u.state == s)
            .map(|u| packages[u.index].name.as_str())
            .collect()
    };
    assert_eq!(
        by_state(State::Used),
        BTreeSet::from(["python3.11-minimal", "libc6", "requests", "PyYAML", "debug"])
    );
    assert_eq!(
        by_state(State::Required),
        BTreeSet::from(["libgcc-s1", "gcc-12-base", "base-files", "libtinfo6"])
    );
    assert_eq!(
        by_state(State::Unused),
        BTreeSet::from(["curl", "libcurl4", "python3-pip", "pip", "express", "esbuild"])
    );
    let why = |name: &str| {
        c.packages
            .iter()
            .find(|u| packages[u.index].name == name)
            .unwrap()
            .required_by
            .clone()
    };
    assert_eq!(why("libgcc-s1").as_deref(), Some("libc6"));
    assert_eq!(why("base-files").as_deref(), Some("essential"));
    assert_eq!(why("libtinfo6").as_deref(), Some("base-files"));
    // /app/main.js is the application's own; the folder /usr/lib/x86_64-linux-gnu marks nobody.
    assert_eq!(c.unowned_files, 1);
    assert_eq!(c.packages[0].files_accessed, 1);

    let unused: Vec<&Package> = c
        .packages
        .iter()
        .filter(|u| u.state == State::Unused)
        .map(|u| &packages[u.index])
        .collect();
    assert_eq!(
        removal(&unused),
        vec![
            "apt-get purge -y --auto-remove curl libcurl4 python3-pip".to_string(),
            "npm uninstall express".to_string(),
        ]
    );
}

#[test]
fn a_used_os_package_keeps_the_language_package_it_installed() {
    let mut pip = pkg(
        "pip",
        PackageType::Pypi,
        &[],
        &["/usr/lib/python3/dist-packages/pip-23.0.1.dist-info"],
        &[],
    );
    pip.owner = Some("deb:python3-pip".into());
    let packages = vec![
        pkg("python3-pip", PackageType::Deb, &["/usr/bin/pip3"], &[], &[]),
        pip,
    ];
    let access = read(Format::Paths, "/usr/bin/pip3\n").unwrap();
    let c = classify(
        &ImageFiles {
            packages: &packages,
            resolve: &resolve,
            is_file: &is_file,
            extra_files: &BTreeMap::new(),
        },
        &access,
    );
    assert_eq!(c.packages[1].state, State::Required);
    assert_eq!(c.packages[1].required_by.as_deref(), Some("deb:python3-pip"));
}

#[test]
fn removal_commands_per_package_manager() {
    let packages = [
        pkg("zlib", PackageType::Apk, &["/lib/libz.so.1"], &[], &[]),
        pkg("curl", PackageType::Apk, &["/usr/bin/curl"], &[], &[]),
        pkg(
            "openssl-libs",
            PackageType::Rpm,
            &["/usr/lib64/libssl.so.3"],
            &[],
            &[],
        ),
        pkg(
            "urllib3",
            PackageType::Pypi,
            &[],
            &["/usr/lib/python3.12/site-packages/urllib3-2.0.0.dist-info"],
            &[],
        ),
        pkg(
            "lodash",
            PackageType::Npm,
            &[],
            &["/app/node_modules/lodash/package.json"],
            &[],
        ),
        pkg("jackson-core", PackageType::Maven, &[], &["/app/app.jar"], &[]),
    ];
    let refs: Vec<&Package> = packages.iter().collect();
    assert_eq!(
        removal(&refs),
        vec![
            "apk del curl zlib",
            "dnf remove -y openssl-libs",
            "pip uninstall -y urllib3",
            "npm uninstall lodash",
        ]
    );
    assert_eq!(
        drydock_usage::record_files(
            "/usr/local/lib/python3.11/dist-packages/requests-2.25.1.dist-info",
            "requests/__init__.py,sha256=abc,4000\n\"requests/odd,name.py\",,\n../../../bin/normalizer,,\nrequests-2.25.1.dist-info/RECORD,,\n"
        ),
        vec![
            "/usr/local/lib/python3.11/dist-packages/requests/__init__.py",
            "/usr/local/lib/python3.11/dist-packages/requests/odd,name.py",
            "/usr/local/bin/normalizer",
            "/usr/local/lib/python3.11/dist-packages/requests-2.25.1.dist-info/RECORD",
        ]
    );
}
