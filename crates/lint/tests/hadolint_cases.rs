//! Agreement with Hadolint's own rule specs (`hadolint-cases.json` in the shared corpus).
//! Every case where drydock answers differently must be listed, with a reason, in
//! `tests/hadolint-disagreements.toml`; a listed case that agrees again fails too, so the list
//! stays true.

use std::collections::BTreeMap;
use std::fs;

use drydock_dockerfile::Instruction;
use drydock_lint::config::LabelType;
use drydock_lint::{Config, lint};
use serde_json::Value;

fn config_from_haskell(spec: &str) -> Config {
    let mut config = Config {
        all_rules: true,
        ..Config::default()
    };
    let quoted = |s: &str| -> Vec<String> { s.split('"').skip(1).step_by(2).map(str::to_string).collect() };
    if let Some(at) = spec.find("allowedRegistries") {
        let list = &spec[at..];
        let list = &list[..list.find(']').unwrap()];
        config.trusted_registries = quoted(list);
    }
    if let Some(at) = spec.find("labelSchema") {
        let body = &spec[at..];
        for entry in body.split('(').skip(1) {
            let name = quoted(entry).into_iter().next().unwrap();
            let kind = entry
                .split(',')
                .nth(1)
                .unwrap()
                .trim()
                .trim_end_matches([')', ' ']);
            let kind = match kind
                .rsplit('.')
                .next()
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
            {
                "RawText" => LabelType::Text,
                "Url" => LabelType::Url,
                "Rfc3339" => LabelType::Rfc3339,
                "Spdx" => LabelType::Spdx,
                "GitHash" => LabelType::Hash,
                "SemVer" => LabelType::Semver,
                "Email" => LabelType::Email,
                other => panic!("label type {other}"),
            };
            config.labels.insert(name, kind);
        }
    }
    config.strict_labels = spec.contains("strictLabels = True");
    config
}

fn wrap_runs_in_onbuild(file: &mut drydock_dockerfile::Dockerfile) {
    for inst in &mut file.instructions {
        if inst.is("run") {
            let run = inst.clone();
            *inst = Instruction {
                keyword: "ONBUILD".into(),
                flags: Vec::new(),
                args: Vec::new(),
                sub: Some(Box::new(run.clone())),
                json: false,
                original: format!("ONBUILD {}", run.original),
                heredocs: Vec::new(),
                start_line: run.start_line,
                end_line: run.end_line,
            };
        }
    }
}

#[derive(serde::Deserialize)]
struct Known {
    case: Vec<KnownCase>,
}

#[derive(serde::Deserialize)]
struct KnownCase {
    rule: String,
    source: String,
    reason: String,
}

#[test]
fn agrees_with_hadolint_rule_specs() {
    let Some(data) = drydock_testkit::shared_testdata() else {
        return;
    };
    let cases: Value =
        serde_json::from_str(&fs::read_to_string(data.join("dockerfile/hadolint-cases.json")).unwrap())
            .unwrap();
    let known: Known = toml::from_str(
        &fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/hadolint-disagreements.toml"
        ))
        .unwrap(),
    )
    .unwrap();

    let mut total = 0;
    let mut disagreements: BTreeMap<String, String> = BTreeMap::new();
    for (rule, list) in cases["cases"].as_object().unwrap() {
        for case in list.as_array().unwrap() {
            total += 1;
            let text = format!("{}\n", case["dockerfile"].as_str().unwrap());
            let config = match case["config"].as_str() {
                Some(spec) => config_from_haskell(spec),
                None => Config {
                    all_rules: true,
                    ..Config::default()
                },
            };
            let count = match drydock_dockerfile::parse(&text) {
                Ok(mut file) => {
                    if case["mode"] == "onbuild" {
                        wrap_runs_in_onbuild(&mut file);
                    }
                    lint(&file, &config, "Dockerfile")
                        .iter()
                        .filter(|f| match rule.as_str() {
                            "SC*" => f.hadolint.is_some_and(|h| h.starts_with("SC")),
                            r => f.hadolint == Some(r),
                        })
                        .count()
                }
                Err(_) => usize::MAX,
            };
            let ok = match case["expect"].as_str().unwrap() {
                "fires" => count >= 1 && count != usize::MAX,
                "fires_once" => count == 1,
                "not" => count == 0,
                "count" => count as u64 == case["count"].as_u64().unwrap(),
                other => panic!("expect {other}"),
            };
            if !ok {
                let source = format!(
                    "{}:{}:{}",
                    case["source_file"].as_str().unwrap().rsplit('/').next().unwrap(),
                    case["source_line"],
                    case["mode"].as_str().unwrap()
                );
                disagreements.insert(
                    source,
                    format!(
                        "{rule} expect={} got={count} {:?}",
                        case["expect"],
                        case["dockerfile"].as_str().unwrap()
                    ),
                );
            }
        }
    }
    let agreement = 1.0 - disagreements.len() as f64 / total as f64;
    let unexplained: Vec<String> = disagreements
        .iter()
        .filter(|(source, _)| !known.case.iter().any(|k| &k.source == *source))
        .map(|(s, d)| format!("{s}: {d}"))
        .collect();
    let stale: Vec<&str> = known
        .case
        .iter()
        .filter(|k| !disagreements.contains_key(&k.source))
        .map(|k| k.source.as_str())
        .collect();
    assert!(
        known
            .case
            .iter()
            .all(|k| !k.reason.trim().is_empty() && !k.rule.is_empty())
    );
    assert!(
        unexplained.is_empty(),
        "{} unexplained disagreements:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    assert!(stale.is_empty(), "listed but now agreeing: {stale:?}");
    assert!(agreement >= 0.98, "agreement {agreement:.4} over {total} cases");
    eprintln!(
        "agreement with Hadolint: {:.2}% of {total} cases",
        agreement * 100.0
    );
}
