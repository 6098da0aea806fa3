//! Tier 2: `usage trace` runs real commands inside the real Debian image deb-extras, and
//! `usage report` says which packages they used. The expectation is worked out here from
//! strace's own output, the image's flattened root filesystem (built beside the images by the
//! shared builder) and its dpkg file lists and status: no list of packages is written down.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use drydock_testkit::built_images;

fn have_strace() -> bool {
    let ok = std::process::Command::new("sh")
        .args(["-c", "command -v strace && command -v unshare"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("strace and unshare are required when CI is set");
    }
    if !ok {
        eprintln!("skipping: strace not installed");
    }
    ok
}

fn drydock(cache: &Path) -> Command {
    let mut c = Command::cargo_bin("drydock").unwrap();
    c.env("DRYDOCK_CACHE_DIR", cache);
    c
}

/// An image path's real place under `root`, symlinks followed inside it.
fn real(root: &Path, path: &str) -> PathBuf {
    let mut todo: Vec<String> = path.split('/').rev().map(str::to_string).collect();
    let mut parts: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = todo.pop() {
        if part.is_empty() || part == "." {
            continue;
        }
        if part == ".." {
            parts.pop();
            continue;
        }
        let candidate: PathBuf = root.join(parts.join("/")).join(&part);
        match std::fs::read_link(&candidate) {
            Ok(target) if hops < 40 => {
                hops += 1;
                let t = target.to_string_lossy().to_string();
                if t.starts_with('/') {
                    parts.clear();
                }
                todo.extend(t.split('/').rev().map(str::to_string));
            }
            _ => parts.push(part),
        }
    }
    root.join(parts.join("/"))
}

/// Absolute paths strace saw opened or run after the chroot: the first quoted argument of each
/// open or exec that returned without error.
fn traced_files(raw: &str, root: &Path) -> BTreeSet<PathBuf> {
    let mut inside = false;
    let mut out = BTreeSet::new();
    for line in raw.lines() {
        if line.contains("chroot(\"") && line.trim_end().ends_with("= 0") {
            inside = true;
            continue;
        }
        let Some((left, result)) = line.rsplit_once(" = ") else {
            continue;
        };
        if !inside || result.trim_start().starts_with('-') {
            continue;
        }
        // Opened or run: a file only stat'ed is not used.
        if !["open(", "openat(", "openat2(", "creat(", "execve(", "execveat("]
            .iter()
            .any(|c| left.contains(c))
        {
            continue;
        }
        let Some(start) = left.find('"') else { continue };
        let Some(len) = left[start + 1..].find('"') else {
            continue;
        };
        let path = &left[start + 1..start + 1 + len];
        if path.starts_with('/')
            && !path.starts_with("/proc")
            && !path.starts_with("/dev")
            && !path.starts_with("/sys")
        {
            let p = real(root, path);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
                out.insert(p);
            }
        }
    }
    out
}

struct Dpkg {
    depends: BTreeMap<String, Vec<String>>,
    essential: BTreeSet<String>,
    files: BTreeMap<String, BTreeSet<PathBuf>>,
}

fn dpkg(root: &Path) -> Dpkg {
    let status = std::fs::read_to_string(root.join("var/lib/dpkg/status")).unwrap();
    let mut d = Dpkg {
        depends: BTreeMap::new(),
        essential: BTreeSet::new(),
        files: BTreeMap::new(),
    };
    for stanza in status.split("\n\n") {
        let field = |k: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}: ")[..]))
                .map(str::to_string)
        };
        let Some(name) = field("Package") else { continue };
        if !field("Status").is_some_and(|s| s.ends_with(" installed")) {
            continue;
        }
        let mut deps = Vec::new();
        for k in ["Depends", "Pre-Depends"] {
            for alt in field(k).unwrap_or_default().split([',', '|']) {
                let n = alt.trim().split([' ', ':']).next().unwrap_or("");
                if !n.is_empty() {
                    deps.push(n.to_string());
                }
            }
        }
        if field("Essential").as_deref() == Some("yes") || field("Priority").as_deref() == Some("required") {
            d.essential.insert(name.clone());
        }
        let arch = field("Architecture").unwrap_or_default();
        let info = root.join("var/lib/dpkg/info");
        let list = std::fs::read_to_string(info.join(format!("{name}.list")))
            .or_else(|_| std::fs::read_to_string(info.join(format!("{name}:{arch}.list"))))
            .unwrap_or_default();
        let files: BTreeSet<PathBuf> = list
            .lines()
            .map(|l| real(root, l))
            .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
            .collect();
        d.depends.insert(name.clone(), deps);
        d.files.insert(name, files);
    }
    d
}

fn trace(cache: &Path, image: &str, dir: &Path, name: &str, command: &[&str]) -> (PathBuf, String) {
    let record = dir.join(format!("{name}.json"));
    let raw = dir.join(format!("{name}.strace"));
    let out = drydock(cache)
        .args(["usage", "trace", "-q", image, "-o"])
        .arg(&record)
        .arg("--raw")
        .arg(&raw)
        .arg("--")
        .args(command)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (record, std::fs::read_to_string(&raw).unwrap())
}

#[test]
fn traced_commands_in_deb_extras_mark_exactly_the_packages_whose_files_they_touched() {
    let Some(images) = built_images() else { return };
    if !have_strace() {
        return;
    }
    let root = images.join("rootfs/deb-extras");
    let image = format!("oci:{}/oci/deb-extras", images.display());
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (python, python_raw) = trace(
        cache.path(),
        &image,
        dir.path(),
        "python",
        &["python3", "-c", "import requests"],
    );
    let (curl, curl_raw) = trace(cache.path(), &image, dir.path(), "curl", &["curl", "--version"]);
    let d = dpkg(&root);

    let report = |traces: &[&PathBuf]| -> serde_json::Value {
        let mut cmd = drydock(cache.path());
        cmd.args(["usage", "report", "-q", &image, "-f", "json", "--advisories"])
            .arg(drydock_testkit::workspace_root().join("examples/advisories"));
        for t in traces {
            cmd.arg("--trace").arg(t);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    for (traces, raws) in [
        (vec![&python], vec![&python_raw]),
        (vec![&python, &curl], vec![&python_raw, &curl_raw]),
    ] {
        let touched: BTreeSet<PathBuf> = raws.iter().flat_map(|r| traced_files(r, &root)).collect();
        let used: BTreeSet<String> = d
            .files
            .iter()
            .filter(|(_, files)| !files.is_disjoint(&touched))
            .map(|(n, _)| n.clone())
            .collect();
        let mut required: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<String> = used.iter().chain(&d.essential).cloned().collect();
        for e in &d.essential {
            if !used.contains(e) {
                required.insert(e.clone());
            }
        }
        while let Some(p) = queue.pop_front() {
            for dep in d.depends.get(&p).into_iter().flatten() {
                if d.depends.contains_key(dep) && !used.contains(dep) && required.insert(dep.clone()) {
                    queue.push_back(dep.clone());
                }
            }
        }
        let doc = report(&traces);
        let state = |s: &str| -> BTreeSet<String> {
            doc["packages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["ecosystem"] == "deb" && p["state"] == s)
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(state("used"), used, "used Debian packages");
        assert_eq!(state("required"), required, "required Debian packages");
        let unused: BTreeSet<String> = d
            .depends
            .keys()
            .filter(|n| !used.contains(*n) && !required.contains(*n))
            .cloned()
            .collect();
        assert_eq!(state("unused"), unused);
        let purge = doc["removal"][0].as_str().unwrap();
        assert_eq!(
            purge,
            format!(
                "apt-get purge -y --auto-remove {}",
                unused.iter().cloned().collect::<Vec<_>>().join(" ")
            )
        );
        // The Python packages requests imports are used; the Python interpreter ran.
        let pypi_used: BTreeSet<&str> = doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["ecosystem"] == "pypi" && p["state"] == "used")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for p in ["requests", "urllib3", "idna", "chardet", "certifi"] {
            assert!(
                pypi_used.contains(p),
                "{p} is imported by requests: {pypi_used:?}"
            );
        }
        assert!(used.contains("libpython3.11-stdlib"));
        assert_eq!(
            used.contains("libcurl4"),
            traces.len() == 2,
            "curl ran only in the second trace"
        );
    }
    // The same strace output imported gives the same record as the traced run wrote.
    let raw_file = dir.path().join("python.strace");
    let out = drydock(cache.path())
        .args(["usage", "import", "--format", "strace"])
        .arg(&raw_file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let imported: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let traced: serde_json::Value = serde_json::from_slice(&std::fs::read(&python).unwrap()).unwrap();
    assert_eq!(imported["paths"], traced["paths"]);
    assert_eq!(imported["executed"], traced["executed"]);
    // scan --usage marks each finding's package; --only-used leaves out the untouched ones.
    if let Some(data) = drydock_testkit::shared_testdata() {
        let pypa = data.join("vulndb/osv-pypi-pypa");
        let scan = |trace: &PathBuf, only_used: bool| -> serde_json::Value {
            let mut cmd = drydock(cache.path());
            cmd.args(["scan", "-q", &image, "-f", "json", "--advisories"])
                .arg(&pypa)
                .arg("--usage")
                .arg(trace);
            if only_used {
                cmd.arg("--only-used");
            }
            let out = cmd.output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let marks = |doc: &serde_json::Value| -> BTreeSet<(String, String)> {
            doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["package"]["name"].as_str().unwrap().to_string(),
                        f["usage"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        let with_python = scan(&python, false);
        assert!(!with_python["findings"].as_array().unwrap().is_empty());
        assert!(
            marks(&with_python).iter().all(|(_, u)| u == "used"),
            "{:?}",
            marks(&with_python)
        );
        let with_curl = scan(&curl, false);
        assert!(
            marks(&with_curl).iter().all(|(_, u)| u == "unused"),
            "{:?}",
            marks(&with_curl)
        );
        assert_eq!(
            with_curl["findings"].as_array().unwrap().len(),
            with_python["findings"].as_array().unwrap().len()
        );
        assert!(scan(&curl, true)["findings"].as_array().unwrap().is_empty());
    }
    // fanotify (fatrace) sees the same run differently — canonical paths, no stat — and the
    // packages come out the same.
    let fatrace_ok = std::process::Command::new("sh")
        .args(["-c", "command -v fatrace && [ \"$(id -u)\" = 0 ]"])
        .output()
        .is_ok_and(|o| o.status.success());
    if std::env::var_os("CI").is_some() {
        assert!(fatrace_ok, "fatrace and root are required when CI is set");
    }
    if fatrace_ok {
        let record = dir.path().join("fatrace.json");
        let out = drydock(cache.path())
            .args(["usage", "trace", "-q", &image, "--recorder", "fatrace", "-o"])
            .arg(&record)
            .args(["--", "python3", "-c", "import requests"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let states = |doc: serde_json::Value| -> BTreeSet<(String, String)> {
            doc["packages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_string(),
                        p["state"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(states(report(&[&record])), states(report(&[&python])));
    }
    // The temporary root is gone.
    assert!(
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().starts_with("drydock-trace-")),
        "a trace directory was left behind"
    );
}
