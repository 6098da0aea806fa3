//! BuildKit's build checks: every ❌ example of its rule docs makes the corresponding drydock
//! rule fire, every ✅ example leaves it quiet. Checks drydock does not implement are named.

use std::fs;

use drydock_lint::registry::for_buildkit;
use drydock_lint::{Config, lint};
use serde_json::Value;

/// Not implemented: CopyIgnoredFile needs the build context's .dockerignore, which a linter of
/// the Dockerfile alone does not have; InvalidDefinitionDescription concerns `--call=outline`
/// documentation comments, not the build.
const NOT_IMPLEMENTED: &[&str] = &["CopyIgnoredFile", "InvalidDefinitionDescription"];

#[test]
fn buildkit_check_examples() {
    let Some(data) = drydock_testkit::shared_testdata() else {
        return;
    };
    let rules: Value =
        serde_json::from_str(&fs::read_to_string(data.join("dockerfile/buildkit-lint-rules.json")).unwrap())
            .unwrap();
    let config = Config {
        all_rules: true,
        ..Config::default()
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for (check, spec) in rules.as_object().unwrap() {
        let ours = for_buildkit(check);
        if ours.is_empty() {
            assert!(
                NOT_IMPLEMENTED.contains(&check.as_str()),
                "{check} has no drydock rule"
            );
            continue;
        }
        for example in spec["examples"].as_array().unwrap() {
            let text = example["dockerfile"].as_str().unwrap();
            let file = drydock_dockerfile::parse(text).unwrap_or_else(|e| panic!("{check}: {e}\n{text}"));
            let fired = lint(&file, &config, "Dockerfile")
                .iter()
                .any(|f| ours.contains(&f.rule));
            let want = example["verdict"] == "bad";
            if fired != want {
                failures.push(format!(
                    "{check} ({}) expected {}: {text:?}",
                    ours.join(","),
                    example["verdict"]
                ));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 40, "{checked}");
}
