//! `drydock lint` and `drydock dockerfile dump` as a user runs them.

use assert_cmd::Command;
use predicates::prelude::*;

fn drydock() -> Command {
    Command::cargo_bin("drydock").unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn dump_prints_buildkit_notation() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "Dockerfile",
        "# escape=`\nFROM --platform=linux/amd64 alpine:3 AS base\nENV A=1 B=\"two words\"\nRUN echo a `\n  && echo b\nONBUILD COPY --chown=1:1 . /src\nCMD [\"sh\", \"-c\", \"true\"]\n",
    );
    drydock()
        .args(["dockerfile", "dump", &file])
        .assert()
        .success()
        .stdout(
            "(from [\"--platform=linux/amd64\"] \"alpine:3\" \"AS\" \"base\")\n\
         (env \"A\" \"1\" \"=\" \"B\" \"\\\"two words\\\"\" \"=\")\n\
         (run \"echo a   && echo b\")\n\
         (onbuild (copy [\"--chown=1:1\"] \".\" \"/src\"))\n\
         (cmd \"sh\" \"-c\" \"true\")\n",
        );
}

#[test]
fn rejected_files_exit_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "Dockerfile", "FROM busybox\n\nENV PATH\n");
    drydock()
        .args(["dockerfile", "dump", &file])
        .assert()
        .code(2)
        .stderr(format!("drydock: error: {file}:3: ENV must have two arguments\n"));
    let heredoc = write(&dir, "Heredoc", "FROM busybox\nRUN <<EOF\necho never closed\n");
    drydock()
        .args(["lint", &heredoc])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(":2: unterminated heredoc"));
    // Nothing that looks like a result on an error.
    for format in ["json", "sarif", "checkstyle", "gitlab", "html"] {
        drydock()
            .args(["lint", "-f", format, &heredoc])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::starts_with("drydock: error: "));
    }
    let empty = write(&dir, "Empty", "# only a comment\n");
    drydock()
        .args(["lint", &empty])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("file with no instructions"));
}

#[test]
fn lint_json_and_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "Dockerfile",
        "FROM debian:12\nRUN apt-get install -y curl\nUSER 1000\nHEALTHCHECK NONE\n",
    );
    let out = drydock()
        .args(["lint", "--format", "json", &file])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let apt = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "apt-unpinned")
        .unwrap();
    assert_eq!(apt["hadolint"], "DL3008");
    assert_eq!(apt["severity"], "warning");
    assert_eq!(apt["line"], 2);
    assert_eq!(apt["column"], 1);
    assert_eq!(apt["file"], file.as_str());
    assert!(apt["message"].as_str().unwrap().contains("curl"));
    // Only info-level findings remain once the warnings are ignored: below the threshold.
    drydock()
        .args(["lint", "--ignore", "DL3008", &file])
        .assert()
        .success();
    drydock()
        .args(["lint", "--ignore", "DL3008", "-t", "info", &file])
        .assert()
        .code(1);
    drydock().args(["lint", "-t", "none", &file]).assert().success();
    drydock()
        .args(["lint", "--ignore", "DL9999", &file])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule `DL9999`"));
}

#[test]
fn lint_reads_stdin_and_config() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir,
        ".drydock.toml",
        "ignore = [\"from-no-digest\", \"DL3057\"]\ntrusted-registries = [\"registry.corp\"]\n",
    );
    drydock()
        .current_dir(dir.path())
        .args(["lint", "-"])
        .write_stdin("FROM debian:12\nUSER 1000\n")
        .assert()
        .code(1)
        .stdout("<stdin>:1 untrusted-registry (DL3026) error: debian:12 comes from docker.io, not a trusted registry\n");
    write(&dir, "bad.toml", "ignore = 3\n");
    drydock()
        .current_dir(dir.path())
        .args(["lint", "--config", "bad.toml", "-"])
        .write_stdin("FROM a\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml"));
}

#[test]
fn lint_sarif_checkstyle_gitlab() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "Dockerfile", "FROM debian\nMAINTAINER me\n");
    for (format, needle) in [
        ("sarif", "\"ruleId\": \"maintainer\""),
        ("checkstyle", "source=\"maintainer (DL4000)\""),
        ("gitlab", "\"check_name\": \"maintainer\""),
    ] {
        drydock()
            .args(["lint", "-f", format, &file])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(needle));
    }
    drydock().args(["lint", "-f", "xml", &file]).assert().code(2);
}

#[test]
fn a_directory_is_searched_for_dockerfiles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("svc/api")).unwrap();
    std::fs::create_dir_all(dir.path().join("node_modules/x")).unwrap();
    write(&dir, "svc/api/Dockerfile", "FROM debian\n");
    write(&dir, "svc/worker.Dockerfile", "FROM alpine\n");
    write(&dir, "node_modules/x/Dockerfile", "FROM ignored\n");
    let out = drydock()
        .args([
            "lint",
            "-f",
            "json",
            "-t",
            "none",
            &dir.path().display().to_string(),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let mut files: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["file"]
                .as_str()
                .unwrap()
                .rsplit_once("/svc/")
                .unwrap()
                .1
                .to_string()
        })
        .collect();
    files.dedup();
    assert_eq!(files, ["api/Dockerfile", "worker.Dockerfile"]);
    let empty = tempfile::tempdir().unwrap();
    drydock()
        .args(["lint", &empty.path().display().to_string()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no Dockerfile in this directory"));
}

#[test]
fn a_hadolint_configuration_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir,
        ".hadolint.yaml",
        "ignored:\n  - DL3006\n  - DL3057\nfailure-threshold: warning\n",
    );
    drydock()
        .current_dir(dir.path())
        .args(["lint", "-f", "json", "-"])
        .write_stdin("FROM debian\nUSER 1000\n")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("DL3006")
                .not()
                .and(predicate::str::contains("from-no-digest")),
        );
    write(&dir, "bad.yml", "ignored: [DL9999]\n");
    drydock()
        .current_dir(dir.path())
        .args(["lint", "--config", "bad.yml", "-"])
        .write_stdin("FROM a\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule `DL9999`"));
}
