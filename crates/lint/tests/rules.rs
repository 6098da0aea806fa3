//! Each rule of drydock's own fires where it should and stays quiet where it should not, and
//! RUN heredocs (which Hadolint 2.15 cannot parse) are linted like any RUN body.

use drydock_lint::{Config, lint};

fn rules(text: &str) -> Vec<&'static str> {
    let file = drydock_dockerfile::parse(text).expect("parses");
    let config = Config {
        all_rules: true,
        ..Config::default()
    };
    lint(&file, &config, "Dockerfile")
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

fn fires(rule: &str, text: &str) {
    assert!(
        rules(text).contains(&rule),
        "{rule} should fire on:\n{text}\ngot {:?}",
        rules(text)
    );
}

fn quiet(rule: &str, text: &str) {
    assert!(!rules(text).contains(&rule), "{rule} should not fire on:\n{text}");
}

#[test]
fn base_image_digest() {
    fires("from-no-digest", "FROM debian:12\n");
    quiet(
        "from-no-digest",
        "FROM debian:12@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
    );
    quiet("from-no-digest", "FROM scratch\n");
    quiet("from-no-digest", "FROM debian:12@sha256:ab AS b\nFROM b\n");
}

#[test]
fn build_tools_in_a_single_stage() {
    fires(
        "build-tools-single-stage",
        "FROM debian:12\nRUN apt-get install -y build-essential libssl-dev\n",
    );
    fires(
        "build-tools-single-stage",
        "FROM alpine:3\nRUN apk add --no-cache build-base\n",
    );
    fires(
        "build-tools-single-stage",
        "FROM golang:1.22\nRUN go build ./...\n",
    );
    quiet(
        "build-tools-single-stage",
        "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM debian:12\nCOPY --from=build /app /app\n",
    );
    quiet(
        "build-tools-single-stage",
        "FROM debian:12\nRUN apt-get install -y curl\n",
    );
}

#[test]
fn apt_update_alone() {
    fires(
        "apt-update-alone",
        "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n",
    );
    quiet(
        "apt-update-alone",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
    );
}

#[test]
fn implicit_root() {
    fires("implicit-root", "FROM debian:12\nRUN true\n");
    quiet("implicit-root", "FROM debian:12\nUSER 1000\n");
    quiet("implicit-root", "FROM debian:12 AS base\nUSER app\nFROM base\n");
}

#[test]
fn pipe_to_shell() {
    fires(
        "pipe-to-shell",
        "FROM debian:12\nRUN curl -fsSL https://get.example.sh | sh\n",
    );
    fires(
        "pipe-to-shell",
        "FROM debian:12\nRUN wget -qO- https://x/install | bash -s --\n",
    );
    quiet(
        "pipe-to-shell",
        "FROM debian:12\nRUN curl -fsSL https://x/f.tgz | tar -xz\n",
    );
}

#[test]
fn add_remote_url() {
    fires(
        "add-remote-url",
        "FROM debian:12\nADD https://example.com/a.tgz /opt/\n",
    );
    quiet(
        "add-remote-url",
        "FROM debian:12\nADD --checksum=sha256:abc https://example.com/a.tgz /opt/\n",
    );
}

#[test]
fn volume_then_write() {
    fires(
        "volume-then-write",
        "FROM debian:12\nVOLUME /data\nRUN touch /data/x\n",
    );
    fires(
        "volume-then-write",
        "FROM debian:12\nVOLUME [\"/data\"]\nCOPY seed /data/seed\n",
    );
    quiet(
        "volume-then-write",
        "FROM debian:12\nRUN touch /data/x\nVOLUME /data\n",
    );
}

#[test]
fn secrets_in_env_and_arg() {
    fires("secret-in-env", "FROM debian:12\nARG GITHUB_TOKEN\n");
    fires("secret-in-env", "FROM debian:12\nENV DB_PASSWORD=hunter2\n");
    fires("secret-in-env", "FROM debian:12\nENV NPM_AUTH=abc\n");
    quiet(
        "secret-in-env",
        "FROM debian:12\nENV GPG_PUBLIC_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D\n",
    );
    quiet(
        "secret-in-env",
        "FROM debian:12\nENV TOKENIZERS_PARALLELISM=false\n",
    );
    quiet(
        "secret-in-env",
        "FROM debian:12\nARG KEYRING_DIR=/etc/apt/keyrings\n",
    );
}

#[test]
fn heredoc_bodies_are_linted() {
    let text = "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nUSER 1000\n";
    fires("apt-unpinned", text);
    fires("apt-lists-kept", text);
    // The instruction after the terminator is read as an instruction, not as shell.
    quiet("implicit-root", text);
    fires(
        "pip-unpinned",
        "FROM python:3.12\nRUN bash <<-EOT\n\tpip install --no-cache-dir flask\n\tEOT\n",
    );
    quiet(
        "pip-unpinned",
        "FROM python:3.12\nRUN <<EOF\npip install --no-cache-dir flask==3.0.0\nEOF\n",
    );
    // A heredoc that is a file's content, not a script.
    quiet(
        "apt-unpinned",
        "FROM debian:12\nCOPY <<EOF /etc/motd\napt-get install curl\nEOF\n",
    );
    quiet(
        "apt-unpinned",
        "FROM debian:12\nRUN cat <<EOF > /notes\napt-get install curl\nEOF\n",
    );
}

#[test]
fn pragmas_are_honoured() {
    let file = drydock_dockerfile::parse(
        "FROM debian:12\n# hadolint ignore=DL3008,DL3015\nRUN apt-get install -y curl\n# drydock ignore=apt-no-yes\nRUN apt-get install curl=1\n",
    )
    .unwrap();
    let found: Vec<(&str, usize)> = lint(&file, &Config::default(), "D")
        .into_iter()
        .map(|f| (f.rule, f.line))
        .collect();
    assert!(!found.contains(&("apt-unpinned", 3)) && !found.contains(&("apt-recommends", 3)));
    assert!(!found.contains(&("apt-no-yes", 5)) && found.contains(&("apt-recommends", 5)));
    let global = drydock_dockerfile::parse("# hadolint global ignore=DL3006\nFROM debian\n").unwrap();
    assert!(
        lint(&global, &Config::default(), "D")
            .iter()
            .all(|f| f.rule != "from-untagged")
    );
}

#[test]
fn severities_and_ignores_from_config() {
    let file = drydock_dockerfile::parse("FROM debian\nRUN cd /x\n").unwrap();
    let config = Config::from_toml("ignore = [\"from-untagged\"]\n[severity]\nDL3003 = \"error\"\n").unwrap();
    let found = lint(&file, &config, "D");
    assert!(found.iter().all(|f| f.rule != "from-untagged"));
    let cd = found.iter().find(|f| f.rule == "cd-in-run").unwrap();
    assert_eq!(
        (cd.severity, cd.hadolint),
        (drydock_lint::Severity::Error, Some("DL3003"))
    );
}

#[test]
fn shell_variable_checks_respect_quoting_defaults_and_heredoc_content() {
    fires("shell-unquoted-variable", "FROM debian:12\nRUN rm -rf $TARGET\n");
    quiet(
        "shell-unquoted-variable",
        "FROM debian:12\nRUN rm -rf \"$TARGET\"\n",
    );
    quiet(
        "shell-unquoted-variable",
        "FROM debian:12\nRUN cat <<EOF > /etc/x\nhome=$HOME_DIR\nEOF\n",
    );
    fires(
        "shell-unassigned-variable",
        "FROM debian:12\nRUN echo \"$version\"\n",
    );
    quiet(
        "shell-unassigned-variable",
        "FROM debian:12\nARG version=1\nRUN echo \"$version\"\n",
    );
    quiet(
        "shell-unassigned-variable",
        "FROM debian:12\nRUN echo \"${version:-1}\"\n",
    );
    quiet(
        "shell-unassigned-variable",
        "FROM debian:12\nRUN for f in a b; do echo \"$f\"; done\n",
    );
}

#[test]
fn apt_upgrade_counts_as_using_the_index() {
    quiet(
        "apt-update-alone",
        "FROM debian:12\nRUN apt-get update && apt-get upgrade -y\n",
    );
    fires(
        "apt-lists-kept",
        "FROM debian:12\nRUN apt-get update && apt-get upgrade -y\n",
    );
    quiet(
        "implicit-root",
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\n",
    );
}

#[test]
fn buildkit_check_directive_and_ids() {
    let text = "# check=skip=JSONArgsRecommended,StageNameCasing\nFROM alpine:3 AS Build\nCMD run\nUSER 1\n";
    let file = drydock_dockerfile::parse(text).unwrap();
    let found: Vec<&str> = lint(&file, &Config::default(), "D")
        .into_iter()
        .map(|f| f.rule)
        .collect();
    assert!(!found.contains(&"shell-form-cmd") && !found.contains(&"stage-name-casing"));
    let file = drydock_dockerfile::parse("FROM alpine:3 AS Build\nCMD run\n").unwrap();
    let found: Vec<&str> = lint(&file, &Config::default(), "D")
        .into_iter()
        .map(|f| f.rule)
        .collect();
    assert!(found.contains(&"shell-form-cmd") && found.contains(&"stage-name-casing"));
    // Only the named checks are skipped: another BuildKit check still fires, and `all` skips
    // every BuildKit check but none of drydock's own rules.
    let body = "FROM alpine:3 AS Build\nMAINTAINER me\nCMD run\nRUN apk add curl\n";
    let some = rules(&format!("# check=skip=JSONArgsRecommended\n{body}"));
    assert!(
        some.contains(&"maintainer") && some.contains(&"stage-name-casing"),
        "{some:?}"
    );
    assert!(!some.contains(&"shell-form-cmd"), "{some:?}");
    let all = rules(&format!("# check=skip=all\n{body}"));
    assert!(
        !all.contains(&"maintainer")
            && !all.contains(&"stage-name-casing")
            && !all.contains(&"shell-form-cmd"),
        "{all:?}"
    );
    assert!(all.contains(&"apk-unpinned"), "{all:?}");
    let config = Config::from_toml("ignore = [\"MultipleInstructionsDisallowed\"]").unwrap();
    let file = drydock_dockerfile::parse("FROM alpine:3\nCMD [\"a\"]\nCMD [\"b\"]\n").unwrap();
    assert!(lint(&file, &config, "D").iter().all(|f| f.rule != "cmd-repeated"));
}

#[test]
fn build_arguments_in_from() {
    fires("from-arg-undefined", "FROM node:22${VARIANT}\n");
    quiet(
        "from-arg-undefined",
        "ARG VARIANT=-slim\nFROM node:22${VARIANT}\n",
    );
    fires("from-arg-invalid-default", "ARG TAG\nFROM busybox:${TAG}\n");
    quiet("from-arg-invalid-default", "ARG TAG=1.36\nFROM busybox:${TAG}\n");
    fires("undefined-var", "FROM alpine:3\nCOPY $src /app/\n");
    quiet("undefined-var", "FROM alpine:3\nARG src=.\nCOPY $src /app/\n");
    quiet(
        "undefined-var",
        "FROM alpine:3 AS base\nARG src=.\nFROM base\nCOPY $src /app/\n",
    );
}

#[test]
fn command_substitution_and_useless_cat() {
    fires(
        "shell-unquoted-substitution",
        "FROM debian:12\nRUN apt-get remove $(dpkg -l | awk '{print $2}')\n",
    );
    quiet(
        "shell-unquoted-substitution",
        "FROM debian:12\nRUN echo \"$(date)\" && x=$(date) && echo $((1 + 2))\n",
    );
    fires(
        "shell-useless-cat",
        "FROM debian:12\nRUN cat /etc/os-release | grep ID\n",
    );
    quiet("shell-useless-cat", "FROM debian:12\nRUN cat a b | sort\n");
}

#[test]
fn deprecated_grep_and_useless_echo() {
    fires(
        "shell-deprecated-grep",
        "FROM debian:12\nRUN egrep -i x /etc/group\n",
    );
    quiet(
        "shell-deprecated-grep",
        "FROM debian:12\nRUN grep -E x /etc/group\n",
    );
    fires(
        "shell-useless-echo",
        "FROM debian:12\nRUN useradd \"$(echo nagios)\"\n",
    );
    quiet(
        "shell-useless-echo",
        "FROM debian:12\nRUN useradd \"$(id -un)\"\n",
    );
}

#[test]
fn shell_changes_apply_from_where_they_are_written() {
    let text = "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -O - https://x | wc -l\nSHELL [\"/bin/sh\", \"-c\"]\nRUN wget -O - https://x | wc -l\n";
    let file = drydock_dockerfile::parse(text).unwrap();
    let config = Config {
        all_rules: true,
        ..Config::default()
    };
    let lines: Vec<usize> = lint(&file, &config, "D")
        .into_iter()
        .filter(|f| f.rule == "pipefail")
        .map(|f| f.line)
        .collect();
    assert_eq!(lines, [5]);
}

#[test]
fn onbuild_triggers() {
    fires("instruction-before-from", "ONBUILD RUN make\nFROM debian:12\n");
    fires(
        "apt-unpinned",
        "FROM debian:12\nONBUILD RUN apt-get install -y curl\n",
    );
    quiet("copy-relative-no-workdir", "FROM debian:12\nONBUILD COPY a b\n");
    fires(
        "shell-form-cmd",
        "FROM debian:12\nHEALTHCHECK CMD curl -f http://localhost/\n",
    );
    quiet(
        "shell-form-cmd",
        "FROM debian:12\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\n",
    );
}

#[test]
fn apt_options_with_values_before_the_subcommand() {
    fires(
        "apt-unpinned",
        "FROM debian:12\nRUN apt-get -o APT::Install-Recommends=false install -y python3\n",
    );
    quiet(
        "apt-recommends",
        "FROM debian:12\nRUN apt-get -o APT::Install-Recommends=false install -y python3\n",
    );
}

#[test]
fn options_with_values_before_subcommands() {
    fires(
        "apk-unpinned",
        "FROM alpine:3\nRUN apk --repository https://dl-cdn.alpinelinux.org/alpine/edge add curl\n",
    );
    fires(
        "npm-unpinned",
        "FROM node:22\nRUN npm --prefix /app install express\n",
    );
    fires(
        "dnf-no-yes",
        "FROM fedora:40\nRUN dnf --releasever 40 install curl-8.6.0\n",
    );
    fires(
        "go-unpinned",
        "FROM golang:1.22\nRUN go -C /src install example.com/tool\n",
    );
}

#[test]
fn pipelines_of_compound_commands_only() {
    // No simple command in the pipeline: nothing to check, and no crash.
    quiet("shell-useless-cat", "FROM debian:12\nRUN (( 1 )) | (( 2 ))\n");
}

#[test]
fn apt_quiet_level_two_implies_yes() {
    for quiet_two in [
        "-qq",
        "-q=2",
        "--quiet=2",
        "-q -q",
        "-q --quiet",
        "-sqq",
        "-q=3",
        "--quiet --quiet",
    ] {
        quiet(
            "apt-no-yes",
            &format!("FROM debian:12\nRUN apt-get install {quiet_two} python3\n"),
        );
    }
    for one in ["-q", "--quiet", "-q=1", "--quiet=1", "-s"] {
        fires(
            "apt-no-yes",
            &format!("FROM debian:12\nRUN apt-get install {one} python3\n"),
        );
    }
}

#[test]
fn pip_from_vcs_pins_only_with_a_revision() {
    for unpinned in [
        "git+https://github.com/org/repo.git",
        "git+https://github.com/org/repo.git#egg=repo",
        "hg+https://hg.example.org/repo",
        "svn+svn://svn.example.org/repo/trunk",
        "requests",
    ] {
        fires(
            "pip-unpinned",
            &format!("FROM python:3\nRUN pip install --no-cache-dir {unpinned}\n"),
        );
    }
    for pinned in [
        "git+https://github.com/org/repo.git@v1.2.0",
        "git+https://github.com/org/repo.git@1a2b3c4#egg=repo",
        "https://example.org/pkg-1.0.tar.gz",
        "pkg-1.0-py3-none-any.whl",
        "requests==2.31.0",
        "./vendor/pkg",
    ] {
        quiet(
            "pip-unpinned",
            &format!("FROM python:3\nRUN pip install --no-cache-dir {pinned}\n"),
        );
    }
    // An editable install's argument is not a requirement to pin.
    quiet(
        "pip-unpinned",
        "FROM python:3\nRUN pip install --no-cache-dir -e git+https://github.com/org/repo.git\n",
    );
}

#[test]
fn inline_ignore_pragmas_follow_hadolints_grammar() {
    for pragma in [
        "# hadolint ignore=DL3003",
        "#hadolint ignore=DL3003,DL3008",
        "# hadolint   ignore = DL3003 , SC2086",
        "# hadolint ignore=DL3003 # because",
        "# drydock ignore=from-no-digest",
    ] {
        let text = format!("FROM debian:12\n{pragma}\nRUN cd /tmp\n");
        fires("inline-ignore-pragma", &text);
        let file = drydock_dockerfile::parse(&text).unwrap();
        let config = Config {
            all_rules: true,
            ..Config::default()
        };
        let found = lint(&file, &config, "Dockerfile");
        let at: Vec<usize> = found
            .iter()
            .filter(|f| f.rule == "inline-ignore-pragma")
            .map(|f| f.line)
            .collect();
        assert_eq!(at, vec![2], "reported on the pragma's own line: {pragma}");
    }
    for other in [
        "# hadolint global ignore=DL3003",
        "# hadolint shell=powershell",
        "# hadolint ignore=dl3003",
        "# hadolint ignore=",
        "# hadolintignore=DL3003",
        "# foobar",
    ] {
        quiet(
            "inline-ignore-pragma",
            &format!("FROM debian:12\n{other}\nRUN cd /tmp\n"),
        );
    }
    // A comment inside a continued RUN is not an instruction-level comment.
    quiet(
        "inline-ignore-pragma",
        "FROM debian:12\nRUN cd /tmp && \\\n# hadolint ignore=DL3003\n    ls\n",
    );
}

/// `# hadolint shell=powershell` says RUN bodies are not POSIX shell: the shell checks stay
/// quiet on them, and come back without the pragma.
#[test]
fn a_shell_pragma_turns_the_shell_checks_off() {
    let body = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN cat $FILE | grep x\n";
    let posix = rules(body);
    assert!(posix.contains(&"shell-unquoted-variable"), "{posix:?}");
    let powershell = rules(&format!("# hadolint shell=powershell\n{body}"));
    assert!(
        !powershell.iter().any(|r| r.starts_with("shell-")),
        "{powershell:?}"
    );
}
