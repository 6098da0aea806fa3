//! BuildKit's own parser fixtures, heredoc vectors and shell-lexer vectors.

use std::collections::HashMap;
use std::fs;

use drydock_dockerfile::shell::Lex;
use drydock_dockerfile::{dump, parse, parser};
use serde_json::Value;

#[test]
fn parser_fixtures_dump_exactly_as_buildkit() {
    let Some(data) = drydock_testkit::shared_testdata() else {
        return;
    };
    let dir = data.join("dockerfile/buildkit-parser/testfiles");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let case = entry.unwrap().path();
        let text = fs::read_to_string(case.join("Dockerfile")).unwrap();
        let expected = fs::read_to_string(case.join("result")).unwrap();
        let file = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        assert_eq!(dump::dump(&file), expected, "{}", case.display());
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} fixtures");
}

#[test]
fn negative_fixtures_are_rejected_with_a_line() {
    let Some(data) = drydock_testkit::shared_testdata() else {
        return;
    };
    let dir = data.join("dockerfile/buildkit-parser/testfiles-negative");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let case = entry.unwrap().path();
        let text = fs::read_to_string(case.join("Dockerfile")).unwrap();
        let err = parse(&text).expect_err(&case.display().to_string());
        assert!(err.line >= 1 && !err.message.is_empty());
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn line_numbers_follow_continuations_and_blank_lines() {
    let Some(data) = drydock_testkit::shared_testdata() else {
        return;
    };
    let text = fs::read_to_string(data.join("dockerfile/buildkit-parser/testfile-line/Dockerfile")).unwrap();
    let file = parse(&text).unwrap();
    let lines: Vec<(usize, usize)> = file
        .instructions
        .iter()
        .map(|i| (i.start_line, i.end_line))
        .collect();
    // BuildKit's TestParseLineNumbers: FROM 5-5, ENV 11-12, RUN 17-31 (blank lines inside).
    assert_eq!(lines, [(5, 5), (11, 12), (17, 31)]);
}

fn heredoc_json(h: &drydock_dockerfile::Heredoc) -> Value {
    serde_json::json!({"Name": h.name, "Content": h.content, "Expand": h.expand, "Chomp": h.chomp,
        "FileDescriptor": h.file_descriptor})
}

#[test]
fn heredoc_vectors() {
    let Some(data) = drydock_testkit::shared_testdata() else {
        return;
    };
    let cases: Value = serde_json::from_str(
        &fs::read_to_string(data.join("dockerfile/buildkit-heredoc-cases.json")).unwrap(),
    )
    .unwrap();

    let extract = &cases["TestParseExtractsHeredoc"];
    let file = parse(extract["dockerfile"].as_str().unwrap()).unwrap();
    let expected = extract["expected"].as_array().unwrap();
    // USER takes no heredoc, so "USER <<INVALID" and its "INVALID" line are two instructions.
    assert_eq!(file.instructions.len() - 1, expected.len());
    for (inst, want) in file.instructions[1..].iter().zip(expected) {
        let got: Vec<Value> = inst.heredocs.iter().map(heredoc_json).collect();
        let want = want["heredocs"].as_array().cloned().unwrap_or_default();
        assert_eq!(got, want, "{}", inst.original);
    }

    let json = parse(cases["TestParseJSONHeredoc"]["dockerfile"].as_str().unwrap()).unwrap();
    assert!(
        json.instructions[1..4]
            .iter()
            .all(|i| i.heredocs.is_empty() && i.json)
    );

    let chomp = &cases["TestHeredocChomp"];
    let doc = drydock_dockerfile::Heredoc {
        name: "X".into(),
        content: chomp["input"].as_str().unwrap().into(),
        expand: true,
        chomp: true,
        file_descriptor: 0,
    };
    assert_eq!(doc.body(), chomp["expected"].as_str().unwrap());

    let helpers = &cases["TestParseHeredocHelpers"];
    for src in helpers["valid_name_EOF"].as_array().unwrap() {
        let doc = parser::parse_heredoc(src.as_str().unwrap())
            .unwrap()
            .expect("a heredoc");
        assert_eq!(doc.name, "EOF", "{src}");
    }
    for src in helpers["invalid_error"].as_array().unwrap() {
        assert!(parser::parse_heredoc(src.as_str().unwrap()).is_err(), "{src}");
    }
    for src in helpers["not_heredoc"].as_array().unwrap() {
        assert_eq!(
            parser::parse_heredoc(src.as_str().unwrap()).unwrap(),
            None,
            "{src}"
        );
    }

    for case in cases["TestHeredocsFromLine"].as_array().unwrap() {
        let docs = parser::heredocs_from_line(case["line"].as_str().unwrap()).unwrap();
        let names: Vec<&str> = docs.iter().map(|d| d.name.as_str()).collect();
        let want: Vec<&str> = case["heredoc_names"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(names, want, "{}", case["line"]);
    }
}

#[test]
fn shell_word_vectors() {
    let Some(data) = drydock_testkit::shared_testdata() else {
        return;
    };
    let dir = data.join("dockerfile/buildkit-shell");
    let lex = Lex::new('\\');

    let mut env: HashMap<String, String> = HashMap::new();
    let mut checked = 0;
    for line in fs::read_to_string(dir.join("wordsTest")).unwrap().lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(kv) = line.strip_prefix("ENV ") {
            let (k, v) = kv.split_once('=').unwrap();
            env.insert(k.into(), v.into());
            continue;
        }
        let (input, expected) = line.split_once('|').unwrap();
        let input = input.trim();
        let expected = expected.trim_start();
        match lex.process_words(input, &env) {
            Ok(words) => assert_eq!(words.join(","), expected, "{input:?}"),
            Err(_) => assert_eq!(expected, "error", "{input:?}"),
        }
        checked += 1;
    }
    assert!(checked > 20);

    let mut env: HashMap<String, String> = HashMap::from([
        ("PWD".into(), "/home".into()),
        ("SHELL".into(), "bash".into()),
        ("KOREAN".into(), "한국어".into()),
        ("NULL".into(), String::new()),
    ]);
    let mut checked = 0;
    for line in fs::read_to_string(dir.join("envVarTest")).unwrap().lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(kv) = line.strip_prefix("ENV ") {
            let (k, v) = kv.split_once('=').unwrap();
            env.insert(k.into(), v.into());
            continue;
        }
        let mut parts = line.splitn(3, '|');
        let (platform, input, expected) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        if platform.trim() == "W" {
            continue;
        }
        let input = input.trim();
        let expected = expected.trim();
        match lex.process_word(input, &env) {
            Ok(word) => assert_eq!(word, expected, "{input:?}"),
            Err(_) => assert_eq!(expected, "error", "{input:?}"),
        }
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}

/// ARGs that double each other grow exponentially; expansion stops at BuildKit's line limit.
#[test]
fn doubling_args_are_bounded() {
    let mut text = String::from("ARG A0=xxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        text.push_str(&format!("ARG A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
    }
    text.push_str("FROM busybox:${A39}\nRUN true\n");
    let file = drydock_dockerfile::parse(&text).unwrap();
    let defaults = drydock_dockerfile::stages::global_arg_defaults(&file);
    let longest = defaults
        .iter()
        .filter_map(|(_, v)| v.as_ref())
        .map(String::len)
        .max()
        .unwrap();
    assert!(
        longest <= 2 * drydock_dockerfile::shell::MAX_EXPANSION,
        "{longest}"
    );
}
