use super::*;

// Tag lists as the official images publish them (facts recorded from Docker Hub's tag lists:
// debian, python, alpine, node), a representative slice of each.
const DEBIAN: &[&str] = &[
    "12",
    "12.8",
    "12.8-slim",
    "12-slim",
    "bookworm",
    "bookworm-slim",
    "bookworm-20241202",
    "bookworm-20241202-slim",
    "bookworm-backports",
    "13",
    "trixie",
    "trixie-slim",
    "11",
    "bullseye",
    "bullseye-slim",
    "latest",
    "stable",
    "stable-slim",
    "oldstable",
    "testing",
    "sid",
    "unstable",
    "experimental",
    "rc-buggy",
];
const PYTHON: &[&str] = &[
    "3.12.7-slim-bookworm",
    "3.12-slim-bookworm",
    "3.12-slim",
    "3.12",
    "3.12.7",
    "3.12-alpine3.20",
    "3.12-alpine3.19",
    "3.12-alpine",
    "3.13.0rc3-bookworm",
    "3.13-slim",
    "3.11-slim-bookworm",
    "3-slim",
    "slim",
    "alpine",
    "latest",
    "3.12-slim-trixie",
];
const ALPINE: &[&str] = &[
    "3.19", "3.19.4", "3.20", "3.20.3", "3.21", "edge", "latest", "20240923",
];
const NODE: &[&str] = &[
    "20.18.1-bookworm-slim",
    "20-bookworm-slim",
    "22",
    "lts",
    "iron",
    "20-alpine3.20",
];

fn t(s: &str) -> Tag {
    Tag::parse(s)
}

#[test]
fn every_recorded_tag_parses_into_a_line_a_variant_and_a_distribution() {
    type Parsed<'a> = (&'a str, Line, String, Option<(String, Vec<u64>)>, Option<u64>);
    let parsed: Vec<Parsed> = DEBIAN
        .iter()
        .chain(PYTHON)
        .chain(ALPINE)
        .chain(NODE)
        .map(|s| {
            let tag = t(s);
            (*s, tag.line, tag.variant, tag.distro, tag.date)
        })
        .collect();
    let find = |s: &str| parsed.iter().find(|p| p.0 == s).cloned().unwrap();
    let deb = |v: &[u64]| Some(("debian".to_string(), v.to_vec()));
    assert_eq!(
        find("12.8-slim"),
        ("12.8-slim", Line::Version(vec![12, 8]), "slim".into(), None, None)
    );
    assert_eq!(
        find("bookworm"),
        ("bookworm", Line::Version(vec![12]), "".into(), deb(&[12]), None)
    );
    assert_eq!(
        find("bookworm-20241202-slim"),
        (
            "bookworm-20241202-slim",
            Line::Version(vec![12]),
            "slim".into(),
            deb(&[12]),
            Some(20241202)
        )
    );
    assert_eq!(find("bookworm-backports").2, "backports");
    assert_eq!(
        find("stable-slim"),
        ("stable-slim", Line::Moving, "slim".into(), None, None)
    );
    for moving in [
        "latest",
        "stable",
        "oldstable",
        "testing",
        "sid",
        "unstable",
        "experimental",
        "rc-buggy",
        "edge",
        "lts",
    ] {
        assert_eq!(find(moving).1, Line::Moving, "{moving}");
    }
    assert_eq!(
        find("3.12.7-slim-bookworm"),
        (
            "3.12.7-slim-bookworm",
            Line::Version(vec![3, 12, 7]),
            "slim".into(),
            deb(&[12]),
            None
        )
    );
    assert_eq!(
        find("3.12-alpine3.20"),
        (
            "3.12-alpine3.20",
            Line::Version(vec![3, 12]),
            "alpine".into(),
            Some(("alpine".into(), vec![3, 20])),
            None
        )
    );
    assert_eq!(find("3.13.0rc3-bookworm").1, Line::Other);
    assert_eq!(find("iron").1, Line::Other);
    assert_eq!(find("20240923").1, Line::Other);
    assert_eq!(find("slim").1, Line::Other);
    assert_eq!(find("20.18.1-bookworm-slim").2, "slim");
    assert_eq!(find("20.18.1-bookworm-slim").3, deb(&[12]));
}

#[test]
fn changes_between_debian_tags() {
    assert_eq!(change(&t("12"), &t("13")), Some(Change::Major));
    assert_eq!(change(&t("bookworm"), &t("trixie")), Some(Change::Major));
    assert_eq!(
        change(&t("bookworm-slim"), &t("trixie-slim")),
        Some(Change::Major)
    );
    assert_eq!(change(&t("12"), &t("trixie")), Some(Change::Major));
    assert_eq!(change(&t("12"), &t("12-slim")), Some(Change::Alternative));
    assert_eq!(
        change(&t("bookworm"), &t("bookworm-slim")),
        Some(Change::Alternative)
    );
    assert_eq!(change(&t("12.4"), &t("12.8")), Some(Change::Minor));
    assert_eq!(change(&t("12.4.1"), &t("12.4.3")), Some(Change::Patch));
    // Not a step forward: older, the same line under another name, inside the moving line,
    // a moving tag, a dated snapshot.
    assert_eq!(change(&t("12"), &t("11")), None);
    assert_eq!(change(&t("12"), &t("bookworm")), None);
    assert_eq!(change(&t("12"), &t("12.8")), None);
    assert_eq!(change(&t("12"), &t("latest")), None);
    assert_eq!(change(&t("bookworm"), &t("bookworm-20241202")), None);
    assert_eq!(change(&t("12"), &t("12")), None);
}

#[test]
fn changes_between_versioned_tags() {
    assert_eq!(change(&t("3.19"), &t("3.21")), Some(Change::Minor));
    assert_eq!(change(&t("3.19.1"), &t("3.19.4")), Some(Change::Patch));
    assert_eq!(change(&t("3.19.4"), &t("3.20.3")), Some(Change::Minor));
    assert_eq!(change(&t("3.12-slim"), &t("3.13-slim")), Some(Change::Minor));
    assert_eq!(
        change(&t("3.12-slim"), &t("3.12-alpine")),
        Some(Change::Alternative)
    );
    assert_eq!(
        change(&t("3.12-slim-bookworm"), &t("3.12-slim-trixie")),
        Some(Change::Major)
    );
    assert_eq!(
        change(&t("3.12-alpine3.19"), &t("3.12-alpine3.20")),
        Some(Change::Major)
    );
    assert_eq!(change(&t("3.12-alpine3.20"), &t("3.12-alpine3.19")), None);
    assert_eq!(change(&t("3.12"), &t("4.0")), Some(Change::Major));
    assert_eq!(change(&t("20-bookworm-slim"), &t("22")), None);
    assert_eq!(
        change(&t("20-bookworm-slim"), &t("20-alpine3.20")),
        Some(Change::Alternative)
    );
    // Another major line in another variant is not offered: one step at a time.
    assert_eq!(change(&t("3.12"), &t("3.13-alpine")), None);
    assert_eq!(change(&t("3.12"), &t("3.12.7")), None);
    assert_eq!(change(&t("3.12"), &t("3.13.0rc3-bookworm")), None);
}
