//! Every rule in the registry has a Dockerfile that makes it fire and a near twin that does
//! not. The test walks the registry, so a rule added without its two cases fails it, and so does
//! a case for a rule that is not registered.

use std::collections::BTreeSet;

use drydock_lint::{Config, RULES, lint};

const CONFIG: &str = r#"
trusted-registries = ["docker.io"]
strict-labels = true
[labels]
"org.example.url" = "url"
"org.example.created" = "rfc3339"
"org.example.license" = "spdx"
"org.example.revision" = "hash"
"org.example.version" = "semver"
"org.example.contact" = "email"
"org.example.team" = "text"
"#;

/// Every schema label, each valid.
const LABELS: &str = r#"LABEL org.example.url="https://example.com" org.example.created="2024-01-01T00:00:00Z" org.example.license="MIT" org.example.revision="0123456789abcdef0123456789abcdef01234567" org.example.version="1.2.3" org.example.contact="team@example.com" org.example.team="platform""#;

/// (rule, fires on, quiet on). `{LABELS}` stands for the valid label line above.
const CASES: &[(&str, &str, &str)] = &[
    (
        "inline-ignore-pragma",
        "FROM debian:12\n# hadolint ignore=DL3008\nRUN apt-get install -y curl\n",
        "FROM debian:12\nRUN apt-get install -y curl\n",
    ),
    (
        "workdir-relative",
        "FROM debian:12\nWORKDIR app\n",
        "FROM debian:12\nWORKDIR /app\n",
    ),
    (
        "interactive-command",
        "FROM debian:12\nRUN vim /etc/hosts\n",
        "FROM debian:12\nRUN cat /etc/hosts\n",
    ),
    (
        "last-user-root",
        "FROM debian:12\nUSER root\n",
        "FROM debian:12\nUSER root\nRUN id\nUSER 1000\n",
    ),
    (
        "cd-in-run",
        "FROM debian:12\nRUN cd /tmp && make\n",
        "FROM debian:12\nWORKDIR /tmp\nRUN make\n",
    ),
    (
        "sudo",
        "FROM debian:12\nRUN sudo make install\n",
        "FROM debian:12\nRUN make install\n",
    ),
    ("from-untagged", "FROM debian\n", "FROM debian:12\n"),
    ("from-latest", "FROM debian:latest\n", "FROM debian:12\n"),
    (
        "apt-unpinned",
        "FROM debian:12\nRUN apt-get install -y curl\n",
        "FROM debian:12\nRUN apt-get install -y curl=7.88.1-10\n",
    ),
    (
        "apt-lists-kept",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl=1\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl=1 && rm -rf /var/lib/apt/lists/*\n",
    ),
    (
        "copy-then-extract",
        "FROM debian:12\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz\n",
        "FROM debian:12\nCOPY app.tar.gz /tmp/\nRUN ls /tmp\n",
    ),
    (
        "expose-port-range",
        "FROM debian:12\nEXPOSE 80000\n",
        "FROM debian:12\nEXPOSE 8080\n",
    ),
    (
        "healthcheck-repeated",
        "FROM debian:12\nHEALTHCHECK CMD true\nHEALTHCHECK CMD false\n",
        "FROM debian:12\nHEALTHCHECK CMD true\n",
    ),
    (
        "pip-unpinned",
        "FROM debian:12\nRUN pip install flask\n",
        "FROM debian:12\nRUN pip install flask==3.0.0\n",
    ),
    (
        "apt-no-yes",
        "FROM debian:12\nRUN apt-get install curl=1\n",
        "FROM debian:12\nRUN apt-get install -y curl=1\n",
    ),
    (
        "apt-recommends",
        "FROM debian:12\nRUN apt-get install -y curl=1\n",
        "FROM debian:12\nRUN apt-get install -y --no-install-recommends curl=1\n",
    ),
    (
        "npm-unpinned",
        "FROM node:20\nRUN npm install express\n",
        "FROM node:20\nRUN npm install express@4.18.2\n",
    ),
    (
        "apk-unpinned",
        "FROM alpine:3.19\nRUN apk add --no-cache curl\n",
        "FROM alpine:3.19\nRUN apk add --no-cache curl=8.5.0-r0\n",
    ),
    (
        "apk-cache",
        "FROM alpine:3.19\nRUN apk add curl=8.5.0-r0\n",
        "FROM alpine:3.19\nRUN apk add --no-cache curl=8.5.0-r0\n",
    ),
    (
        "add-local-file",
        "FROM debian:12\nADD app.py /app/\n",
        "FROM debian:12\nCOPY app.py /app/\n",
    ),
    (
        "copy-dest-not-dir",
        "FROM debian:12\nCOPY a.py b.py /app\n",
        "FROM debian:12\nCOPY a.py b.py /app/\n",
    ),
    (
        "copy-from-unknown",
        "FROM debian:12\nCOPY --from=build /x /x\n",
        "FROM debian:12 AS build\nRUN make\nFROM debian:12\nCOPY --from=build /x /x\n",
    ),
    (
        "copy-from-self",
        "FROM debian:12 AS app\nCOPY --from=app /x /x\n",
        "FROM debian:12 AS build\nRUN make\nFROM debian:12 AS app\nCOPY --from=build /x /x\n",
    ),
    (
        "stage-name-repeated",
        "FROM debian:12 AS a\nRUN make\nFROM debian:12 AS a\n",
        "FROM debian:12 AS a\nRUN make\nFROM debian:12 AS b\n",
    ),
    (
        "shell-form-cmd",
        "FROM debian:12\nCMD python3 app.py\n",
        "FROM debian:12\nCMD [\"python3\", \"app.py\"]\n",
    ),
    (
        "untrusted-registry",
        "FROM quay.io/org/image:1\n",
        "FROM docker.io/library/debian:12\n",
    ),
    (
        "apt-command",
        "FROM debian:12\nRUN apt install -y curl=1\n",
        "FROM debian:12\nRUN apt-get install -y curl=1\n",
    ),
    (
        "gem-unpinned",
        "FROM ruby:3\nRUN gem install rails\n",
        "FROM ruby:3\nRUN gem install rails:7.1.0\n",
    ),
    (
        "from-platform",
        "FROM --platform=linux/amd64 debian:12\n",
        "FROM debian:12\n",
    ),
    (
        "yum-no-yes",
        "FROM centos:7\nRUN yum install httpd-2.4.6 && yum clean all\n",
        "FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
    ),
    (
        "yum-cache",
        "FROM centos:7\nRUN yum install -y httpd-2.4.6\n",
        "FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
    ),
    (
        "yum-unpinned",
        "FROM centos:7\nRUN yum install -y httpd && yum clean all\n",
        "FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
    ),
    (
        "zypper-no-yes",
        "FROM opensuse/leap:15\nRUN zypper install httpd=2.4 && zypper clean\n",
        "FROM opensuse/leap:15\nRUN zypper install -y httpd=2.4 && zypper clean\n",
    ),
    (
        "zypper-dist-upgrade",
        "FROM opensuse/leap:15\nRUN zypper dist-upgrade -y && zypper clean\n",
        "FROM opensuse/leap:15\nRUN zypper install -y httpd=2.4 && zypper clean\n",
    ),
    (
        "zypper-cache",
        "FROM opensuse/leap:15\nRUN zypper install -y httpd=2.4\n",
        "FROM opensuse/leap:15\nRUN zypper install -y httpd=2.4 && zypper clean\n",
    ),
    (
        "zypper-unpinned",
        "FROM opensuse/leap:15\nRUN zypper install -y httpd && zypper clean\n",
        "FROM opensuse/leap:15\nRUN zypper install -y httpd=2.4 && zypper clean\n",
    ),
    (
        "dnf-no-yes",
        "FROM fedora:40\nRUN dnf install httpd-2.4.6 && dnf clean all\n",
        "FROM fedora:40\nRUN dnf install -y httpd-2.4.6 && dnf clean all\n",
    ),
    (
        "dnf-cache",
        "FROM fedora:40\nRUN dnf install -y httpd-2.4.6\n",
        "FROM fedora:40\nRUN dnf install -y httpd-2.4.6 && dnf clean all\n",
    ),
    (
        "dnf-unpinned",
        "FROM fedora:40\nRUN dnf install -y httpd && dnf clean all\n",
        "FROM fedora:40\nRUN dnf install -y httpd-2.4.6 && dnf clean all\n",
    ),
    (
        "pip-cache",
        "FROM python:3.12\nRUN pip install flask==3.0.0\n",
        "FROM python:3.12\nRUN pip install --no-cache-dir flask==3.0.0\n",
    ),
    (
        "onbuild-forbidden",
        "FROM debian:12\nONBUILD FROM debian:12\n",
        "FROM debian:12\nONBUILD RUN make\n",
    ),
    (
        "env-self-reference",
        "FROM debian:12\nENV A=1 B=$A\n",
        "FROM debian:12\nENV A=1\nENV B=$A\n",
    ),
    (
        "copy-relative-no-workdir",
        "FROM debian:12\nCOPY app.py app/\n",
        "FROM debian:12\nWORKDIR /srv\nCOPY app.py app/\n",
    ),
    (
        "useradd-large-uid",
        "FROM debian:12\nRUN useradd -u 123456 app\n",
        "FROM debian:12\nRUN useradd -l -u 123456 app\n",
    ),
    (
        "wget-progress",
        "FROM debian:12\nRUN wget https://example.com/file.tar.gz\n",
        "FROM debian:12\nRUN wget --progress=dot:giga https://example.com/file.tar.gz\n",
    ),
    (
        "label-key-invalid",
        "FROM debian:12\nLABEL org..example=1\n",
        "FROM debian:12\nLABEL org.example.team=platform\n",
    ),
    (
        "label-missing",
        "FROM debian:12\nLABEL org.example.team=platform\n",
        "FROM debian:12\n{LABELS}\n",
    ),
    (
        "label-superfluous",
        "FROM debian:12\n{LABELS}\nLABEL other=1\n",
        "FROM debian:12\n{LABELS}\n",
    ),
    (
        "label-empty",
        "FROM debian:12\n{LABELS}\nLABEL org.example.team=\"\"\n",
        "FROM debian:12\n{LABELS}\n",
    ),
    (
        "label-not-url",
        "FROM debian:12\n{LABELS}\nLABEL org.example.url=\"not a url\"\n",
        "FROM debian:12\n{LABELS}\n",
    ),
    (
        "label-not-rfc3339",
        "FROM debian:12\n{LABELS}\nLABEL org.example.created=yesterday\n",
        "FROM debian:12\n{LABELS}\n",
    ),
    (
        "label-not-spdx",
        "FROM debian:12\n{LABELS}\nLABEL org.example.license=\"Not A Licence\"\n",
        "FROM debian:12\n{LABELS}\n",
    ),
    (
        "label-not-git-hash",
        "FROM debian:12\n{LABELS}\nLABEL org.example.revision=xyz\n",
        "FROM debian:12\n{LABELS}\n",
    ),
    (
        "label-not-semver",
        "FROM debian:12\n{LABELS}\nLABEL org.example.version=v1\n",
        "FROM debian:12\n{LABELS}\n",
    ),
    (
        "healthcheck-missing",
        "FROM debian:12\nCMD [\"sleep\", \"1\"]\n",
        "FROM debian:12\nHEALTHCHECK CMD true\nCMD [\"sleep\", \"1\"]\n",
    ),
    (
        "label-not-email",
        "FROM debian:12\n{LABELS}\nLABEL org.example.contact=nobody\n",
        "FROM debian:12\n{LABELS}\n",
    ),
    (
        "run-consecutive",
        "FROM debian:12\nRUN make\nRUN make install\n",
        "FROM debian:12\nRUN make && make install\n",
    ),
    (
        "yarn-cache",
        "FROM node:20\nRUN yarn install\n",
        "FROM node:20\nRUN yarn install && yarn cache clean\n",
    ),
    (
        "instruction-before-from",
        "LABEL team=x\nFROM debian:12\n",
        "ARG VERSION=12\nFROM debian:${VERSION}\n",
    ),
    (
        "go-unpinned",
        "FROM golang:1.22\nRUN go install example.com/tool\n",
        "FROM golang:1.22\nRUN go install example.com/tool@v1.2.3\n",
    ),
    (
        "stage-name-reserved",
        "FROM debian:12 AS scratch\n",
        "FROM debian:12 AS build\n",
    ),
    (
        "secret-in-env",
        "FROM debian:12\nENV API_TOKEN=abc\n",
        "FROM debian:12\nENV API_URL=https://example.com\n",
    ),
    (
        "from-platform-redundant",
        "FROM --platform=$TARGETPLATFORM debian:12\n",
        "FROM --platform=$BUILDPLATFORM debian:12\n",
    ),
    (
        "user-non-numeric",
        "FROM debian:12\nUSER app\n",
        "FROM debian:12\nUSER 1000\n",
    ),
    (
        "copy-whole-stage",
        "FROM debian:12 AS b\nRUN make\nFROM debian:12\nCOPY --from=b / /\n",
        "FROM debian:12 AS b\nRUN make\nFROM debian:12\nCOPY --from=b /out /out\n",
    ),
    (
        "maintainer",
        "FROM debian:12\nMAINTAINER someone\n",
        "FROM debian:12\nLABEL maintainer=someone\n",
    ),
    (
        "wget-and-curl",
        "FROM debian:12\nRUN wget -q https://a.example/x && curl -fsSLO https://b.example/y\n",
        "FROM debian:12\nRUN curl -fsSLO https://b.example/y\n",
    ),
    (
        "cmd-repeated",
        "FROM debian:12\nCMD [\"a\"]\nCMD [\"b\"]\n",
        "FROM debian:12\nCMD [\"b\"]\n",
    ),
    (
        "entrypoint-repeated",
        "FROM debian:12\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\n",
        "FROM debian:12\nENTRYPOINT [\"b\"]\n",
    ),
    (
        "relink-sh",
        "FROM debian:12\nRUN ln -sf /bin/bash /bin/sh\n",
        "FROM debian:12\nSHELL [\"/bin/bash\", \"-c\"]\n",
    ),
    (
        "pipefail",
        "FROM debian:12\nRUN curl -fsSL https://example.com/x.tgz | tar -xz\n",
        "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -fsSL https://example.com/x.tgz | tar -xz\n",
    ),
    (
        "shell-unquoted-variable",
        "FROM debian:12\nRUN rm -rf $TARGET\n",
        "FROM debian:12\nRUN rm -rf \"$TARGET\"\n",
    ),
    // Lower case only, as ShellCheck: upper-case names may come from the environment.
    (
        "shell-unassigned-variable",
        "FROM debian:12\nRUN echo \"$version\"\n",
        "FROM debian:12\nARG version=1\nRUN echo \"$version\"\n",
    ),
    (
        "shell-misspelled-variable",
        "FROM debian:12\nENV APP_HOME=/app\nRUN echo \"$APP_HOMF\"\n",
        "FROM debian:12\nENV APP_HOME=/app\nRUN echo \"$APP_HOME\"\n",
    ),
    // SC3046: `source` in place of `.`.
    (
        "shell-not-posix",
        "FROM debian:12\nRUN source /etc/profile\n",
        "FROM debian:12\nRUN . /etc/profile\n",
    ),
    (
        "from-no-digest",
        "FROM debian:12\n",
        "FROM debian:12@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
    ),
    (
        "build-tools-single-stage",
        "FROM debian:12\nRUN apt-get install -y gcc=4:12.2.0-3\n",
        "FROM debian:12 AS build\nRUN apt-get install -y gcc=4:12.2.0-3\nFROM debian:12\nCOPY --from=build /out /out\n",
    ),
    (
        "apt-update-alone",
        "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl=1\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl=1\n",
    ),
    (
        "implicit-root",
        "FROM debian:12\nRUN make\n",
        "FROM debian:12\nRUN make\nUSER 1000\n",
    ),
    (
        "pipe-to-shell",
        "FROM debian:12\nRUN curl -fsSL https://example.com/install.sh | sh\n",
        "FROM debian:12\nRUN curl -fsSL -o /tmp/install.sh https://example.com/install.sh\n",
    ),
    (
        "add-remote-url",
        "FROM debian:12\nADD https://example.com/x.tar.gz /x.tar.gz\n",
        "FROM debian:12\nADD --checksum=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef https://example.com/x.tar.gz /x.tar.gz\n",
    ),
    (
        "volume-then-write",
        "FROM debian:12\nVOLUME /data\nRUN touch /data/x\n",
        "FROM debian:12\nRUN touch /data/x\nVOLUME /data\n",
    ),
    (
        "instruction-casing",
        "FROM debian:12\nrun make\n",
        "FROM debian:12\nRUN make\n",
    ),
    (
        "from-as-casing",
        "FROM debian:12 as build\n",
        "FROM debian:12 AS build\n",
    ),
    (
        "stage-name-casing",
        "FROM debian:12 AS Build\n",
        "FROM debian:12 AS build\n",
    ),
    (
        "empty-continuation",
        "FROM debian:12\nRUN echo a \\\n\n  && echo b\n",
        "FROM debian:12\nRUN echo a \\\n  && echo b\n",
    ),
    (
        "legacy-key-value",
        "FROM debian:12\nENV A 1\n",
        "FROM debian:12\nENV A=1\n",
    ),
    (
        "expose-invalid-format",
        "FROM debian:12\nEXPOSE 8080:80\n",
        "FROM debian:12\nEXPOSE 80\n",
    ),
    (
        "expose-proto-casing",
        "FROM debian:12\nEXPOSE 80/TCP\n",
        "FROM debian:12\nEXPOSE 80/tcp\n",
    ),
    (
        "from-arg-invalid-default",
        "ARG TAG\nFROM debian:${TAG}\n",
        "ARG TAG=12\nFROM debian:${TAG}\n",
    ),
    (
        "from-arg-undefined",
        "FROM debian:${TAG}\n",
        "ARG TAG=12\nFROM debian:${TAG}\n",
    ),
    (
        "undefined-var",
        "FROM debian:12\nCOPY $src /app/\n",
        "FROM debian:12\nARG src=.\nCOPY $src /app/\n",
    ),
    (
        "shell-unquoted-substitution",
        "FROM debian:12\nRUN rm $(ls /tmp)\n",
        "FROM debian:12\nRUN rm \"$(ls /tmp)\"\n",
    ),
    (
        "shell-useless-cat",
        "FROM debian:12\nRUN cat /etc/hosts | grep local\n",
        "FROM debian:12\nRUN grep local /etc/hosts\n",
    ),
    (
        "shell-bash-variable",
        "FROM debian:12\nRUN echo \"$RANDOM\"\n",
        "FROM debian:12\nSHELL [\"/bin/bash\", \"-c\"]\nRUN echo \"$RANDOM\"\n",
    ),
    (
        "shell-deprecated-grep",
        "FROM debian:12\nRUN egrep 'a|b' /etc/hosts\n",
        "FROM debian:12\nRUN grep -E 'a|b' /etc/hosts\n",
    ),
    (
        "shell-useless-echo",
        "FROM debian:12\nRUN useradd \"$(echo nagios)\"\n",
        "FROM debian:12\nRUN useradd \"$(id -un)\"\n",
    ),
];

fn rules(text: &str) -> Vec<&'static str> {
    let text = text.replace("{LABELS}", LABELS);
    let file = drydock_dockerfile::parse(&text).unwrap_or_else(|e| panic!("{text}: {}", e.message));
    let mut config = Config::from_toml(CONFIG).unwrap();
    config.all_rules = true;
    lint(&file, &config, "Dockerfile")
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

#[test]
fn every_registered_rule_fires_on_its_case_and_not_on_its_twin() {
    let registered: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
    let cased: BTreeSet<&str> = CASES.iter().map(|c| c.0).collect();
    assert_eq!(cased.len(), CASES.len(), "a rule has two rows");
    let missing: Vec<&&str> = registered.difference(&cased).collect();
    let unknown: Vec<&&str> = cased.difference(&registered).collect();
    assert!(missing.is_empty(), "rules without cases: {missing:?}");
    assert!(unknown.is_empty(), "cases for rules not registered: {unknown:?}");
    let mut wrong = Vec::new();
    for (rule, fires, quiet) in CASES {
        if !rules(fires).contains(rule) {
            wrong.push(format!(
                "{rule} does not fire on:\n{fires}   got {:?}",
                rules(fires)
            ));
        }
        if rules(quiet).contains(rule) {
            wrong.push(format!("{rule} fires on its quiet twin:\n{quiet}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        CASES.len() * 2,
        wrong.join("\n")
    );
}
