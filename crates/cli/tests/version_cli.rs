//! `drydock version compare`, one pair and `--stdin`, including the upstream vectors (tier 2).

use assert_cmd::Command;

fn drydock() -> Command {
    Command::cargo_bin("drydock").unwrap()
}

#[test]
fn compare_prints_one_operator() {
    for (scheme, a, b, want) in [
        ("dpkg", "1.0~rc1", "1.0", "<\n"),
        ("rpm", "1:1.0", "2.0", ">\n"),
        ("apk", "1.0-r1", "1.0-r1", "=\n"),
        ("pypi", "1.0.post1", "1.0", ">\n"),
    ] {
        drydock()
            .args(["version", "compare", scheme, a, b])
            .assert()
            .success()
            .stdout(want);
    }
}

#[test]
fn invalid_version_exits_2_with_a_message() {
    let out = drydock()
        .args(["version", "compare", "pep440", "not!valid", "1.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid pep440 version \"not!valid\""));
    let out = drydock()
        .args(["version", "compare", "cobol", "1", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn stdin_prints_one_line_per_input_and_marks_bad_lines() {
    let out = drydock()
        .args(["version", "compare", "semver", "--stdin"])
        .write_stdin("1.0.0\t2.0.0\nnope\t1.0.0\n2.0.0\t2.0.0\nmissing-tab\n1.0.0-rc.1\t1.0.0\n")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "<\n!\n=\n!\n<\n");
    assert_eq!(
        out.status.code(),
        Some(2),
        "bad lines make the run fail at the end"
    );
}

#[test]
fn stdin_agrees_with_upstream_vectors() {
    let Some(data) = drydock_testkit::shared_testdata() else {
        return;
    };
    for (file, scheme) in [
        ("dpkg.tsv", "dpkg"),
        ("apk.tsv", "apk"),
        ("pep440.tsv", "pep440"),
        ("maven.tsv", "maven"),
    ] {
        let text = std::fs::read_to_string(data.join("versions").join(file)).unwrap();
        let rows: Vec<Vec<&str>> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| l.split('\t').collect())
            .collect();
        let input: String = rows.iter().map(|r| format!("{}\t{}\n", r[0], r[2])).collect();
        let out = drydock()
            .args(["version", "compare", scheme, "--stdin"])
            .write_stdin(input)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        let want: Vec<String> = rows.iter().map(|r| r[1].to_string()).collect();
        assert_eq!(got, want, "{file}");
    }
}
